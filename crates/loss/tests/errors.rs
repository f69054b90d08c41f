//! Bad labels and targets are `Err`s, never panics, and each message names the loss and
//! the offending element.

use ndarray::array;
use tapegrad_loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, hinge, huber,
    kl_div, l1, mse, multi_margin, nll, LossError, Reduction,
};
use tapegrad_tape::Tape;

#[test]
fn a_label_out_of_range_names_the_sample_the_label_and_the_class_count() {
    let tape = Tape::new();
    let logits = tape.var(array![[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]);
    type Classify = for<'t> fn(
        tapegrad_tape::Var<'t, f64>,
        &[usize],
        Reduction,
    ) -> Result<tapegrad_tape::Var<'t, f64>, LossError>;
    let losses: [(&str, Classify); 3] =
        [("cross_entropy", cross_entropy), ("nll", nll), ("multi_margin", multi_margin)];
    for (op, loss) in losses {
        let err = loss(logits, &[0, 2, 3], Reduction::Mean).unwrap_err();
        assert_eq!(err, LossError::LabelOutOfRange { op, sample: 2, label: 3, classes: 3 });
        assert_eq!(err.to_string(), format!("{op}: label 3 of sample 2 is out of range for 3 classes"));
    }
}

#[test]
fn a_label_count_that_is_not_the_batch_size_is_an_error() {
    let tape = Tape::new();
    let logits = tape.var(array![[1.0, 2.0], [0.0, 0.0]]);
    let err = cross_entropy(logits, &[0, 1, 1], Reduction::Mean).unwrap_err();
    assert_eq!(err, LossError::LabelCount { op: "cross_entropy", labels: 3, batch: 2 });
    assert_eq!(err.to_string(), "cross_entropy: got 3 labels for a batch of 2 samples");
    let err = nll(logits, &[0], Reduction::Sum).unwrap_err();
    assert_eq!(err.to_string(), "nll: got 1 labels for a batch of 2 samples");
    let err = multi_margin(logits, &[], Reduction::Sum).unwrap_err();
    assert_eq!(err.to_string(), "multi_margin: got 0 labels for a batch of 2 samples");
}

#[test]
fn classification_inputs_must_be_batch_by_classes() {
    let tape = Tape::new();
    let flat = tape.var(array![1.0, 2.0, 3.0]);
    let err = cross_entropy(flat, &[0], Reduction::Mean).unwrap_err();
    assert_eq!(err.to_string(), "cross_entropy: expected an input of shape [batch, classes], got [3]");
    let err = cross_entropy_probs(flat, flat, Reduction::Mean).unwrap_err();
    assert!(matches!(err, LossError::InputShape { op: "cross_entropy_probs", .. }), "{err}");
}

#[test]
fn a_target_of_another_shape_names_both_shapes() {
    let tape = Tape::new();
    let input = tape.var(array![[0.2, 0.8], [0.4, 0.6]]);
    let column = tape.constant(array![[1.0], [0.0]]); // would broadcast: still rejected
    type Compare = for<'t> fn(
        tapegrad_tape::Var<'t, f64>,
        tapegrad_tape::Var<'t, f64>,
        Reduction,
    ) -> Result<tapegrad_tape::Var<'t, f64>, LossError>;
    let losses: [(&str, Compare); 8] = [
        ("mse", mse),
        ("l1", l1),
        ("binary_cross_entropy", binary_cross_entropy),
        ("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits),
        ("cross_entropy_probs", cross_entropy_probs),
        ("hinge", hinge),
        ("kl_div", kl_div),
        ("huber", |x, y, r| huber(x, y, 1.0, r)),
    ];
    for (op, loss) in losses {
        let err = loss(input, column, Reduction::Mean).unwrap_err();
        assert_eq!(err, LossError::ShapeMismatch { op, expected: vec![2, 2], actual: vec![2, 1] });
        assert_eq!(
            err.to_string(),
            format!("{op}: expected a target of the input's shape [2, 2], got [2, 1]")
        );
    }
}

#[test]
fn a_hinge_label_that_is_not_plus_minus_one_names_its_index_and_value() {
    let tape = Tape::new();
    let scores = tape.var(array![[0.5, -1.0], [2.0, 0.1]]);
    let zero_one = tape.constant(array![[1.0, -1.0], [0.0, 1.0]]);
    let err = hinge(scores, zero_one, Reduction::Mean).unwrap_err();
    assert_eq!(err, LossError::NotPlusMinusOne { op: "hinge", index: vec![1, 0], value: 0.0 });
    assert_eq!(err.to_string(), "hinge: label at index [1, 0] is 0, but hinge labels must be -1 or +1");
    let soft = tape.constant(array![[1.0, -1.0], [1.0, 0.5]]);
    let err = hinge(scores, soft, Reduction::Mean).unwrap_err();
    assert!(err.to_string().contains("index [1, 1] is 0.5"), "{err}");
}

#[test]
fn binary_cross_entropy_rejects_inputs_that_are_not_probabilities() {
    let tape = Tape::new();
    let logits = tape.var(array![0.3, 2.5, -1.0]);
    let target = tape.constant(array![1.0, 0.0, 1.0]);
    let err = binary_cross_entropy(logits, target, Reduction::Mean).unwrap_err();
    assert_eq!(err, LossError::NotProbability { op: "binary_cross_entropy", index: vec![1], value: 2.5 });
    assert_eq!(
        err.to_string(),
        "binary_cross_entropy: input at index [1] is 2.5, not a probability in [0, 1] \
         (for logits use binary_cross_entropy_with_logits)"
    );
    let nan = tape.var(array![0.3, 0.5, f64::NAN]);
    let err = binary_cross_entropy(nan, target, Reduction::Mean).unwrap_err();
    assert!(err.to_string().contains("index [2] is NaN"), "{err}");
}

#[test]
fn huber_needs_a_finite_positive_delta() {
    let tape = Tape::new();
    let x = tape.var(array![1.0]);
    for delta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = huber(x, x, delta, Reduction::Mean).unwrap_err();
        assert!(matches!(err, LossError::InvalidParameter { op: "huber", name: "delta", .. }), "{err:?}");
    }
    let err = huber(x, x, 0.0, Reduction::Mean).unwrap_err();
    assert_eq!(err.to_string(), "huber: delta = 0 (must be finite and > 0)");
}
