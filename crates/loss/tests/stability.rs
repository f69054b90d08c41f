//! Extreme inputs: logits of ±100 and ±1000, probabilities of exactly 0 and 1, zero
//! targets in KL. Values and gradients must stay finite (and right).

use approx::assert_abs_diff_eq;
use ndarray::array;
use tapegrad_loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, kl_div,
    LossError, Reduction,
};
use tapegrad_tape::Tape;

fn all_finite<'a>(values: impl IntoIterator<Item = &'a f64>) -> bool {
    values.into_iter().all(|v| v.is_finite())
}

#[test]
fn binary_cross_entropy_with_logits_at_plus_minus_100() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![100.0, -100.0, 100.0, -100.0]);
    let target = tape.constant(array![0.0, 1.0, 1.0, 0.0]);
    let losses = binary_cross_entropy_with_logits(logits, target, Reduction::None)?;
    // confidently wrong: softplus(100) − 0 = 100 and softplus(−100) + 100 = 100 (to 1e-44);
    // confidently right: 100 − 100 = 0 and softplus(−100) = e⁻¹⁰⁰ ≈ 0
    assert_abs_diff_eq!(losses.value(), array![100.0, 100.0, 0.0, 0.0].into_dyn(), epsilon = 1e-12);
    let grads = tape.backward(losses.sum());
    let grad = grads.get(logits).unwrap();
    assert!(all_finite(grad.iter()), "{grad}");
    // σ(x) − y = [1 − 0, 0 − 1, 1 − 1, 0 − 0]
    assert_abs_diff_eq!(grad, array![1.0, -1.0, 0.0, 0.0].into_dyn(), epsilon = 1e-12);
    Ok(())
}

#[test]
fn binary_cross_entropy_with_logits_at_plus_minus_100_in_f32() -> Result<(), LossError> {
    let tape = Tape::<f32>::new();
    let logits = tape.var(array![100.0f32, -100.0]);
    let target = tape.constant(array![0.0f32, 1.0]);
    let loss = binary_cross_entropy_with_logits(logits, target, Reduction::Mean)?;
    assert_eq!(loss.item(), 100.0);
    let grads = tape.backward(loss);
    assert_eq!(grads.get(logits).unwrap(), array![0.5f32, -0.5].into_dyn());
    Ok(())
}

#[test]
fn binary_cross_entropy_at_probabilities_0_and_1_has_finite_gradients() -> Result<(), LossError> {
    for tape_target in [array![1.0f64, 0.0, 0.0, 1.0], array![0.5, 0.5, 0.5, 0.5]] {
        let tape = Tape::new();
        let probabilities = tape.var(array![0.0, 1.0, 0.0, 1.0]);
        let target = tape.var(tape_target);
        let loss = binary_cross_entropy(probabilities, target, Reduction::Sum)?;
        assert!(loss.item().is_finite());
        let grads = tape.backward(loss);
        assert!(all_finite(grads.get(probabilities).unwrap().iter()));
        assert!(all_finite(grads.get(target).unwrap().iter()));
    }
    Ok(())
}

#[test]
fn binary_cross_entropy_at_probabilities_0_and_1_in_f32() -> Result<(), LossError> {
    let tape = Tape::<f32>::new();
    // 1e-40 is subnormal in f32: its term is −100 too (PyTorch would keep log 1e-40 = −92.1)
    let probabilities = tape.var(array![0.0f32, 1.0, 1e-40]);
    let target = tape.constant(array![1.0f32, 0.0, 1.0]);
    let losses = binary_cross_entropy(probabilities, target, Reduction::None)?;
    assert_eq!(losses.value(), array![100.0f32, 100.0, 100.0].into_dyn());
    let grads = tape.backward(losses.sum());
    assert!(grads.get(probabilities).unwrap().iter().all(|g| g.is_finite()));
    Ok(())
}

#[test]
fn cross_entropy_at_plus_minus_1000() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]]);
    let losses = cross_entropy(logits, &[1, 0], Reduction::None)?;
    // sample 0: log Σ eˣ = 1000, minus x[1] = −1000, gives 2000;
    // sample 1: log Σ eˣ = 1000 + ln 2, minus x[0] = −1000, gives 2000 + ln 2
    assert_abs_diff_eq!(losses.value(), array![2000.0, 2000.0 + 2f64.ln()].into_dyn(), epsilon = 1e-9);
    let grads = tape.backward(losses.sum());
    // softmax − onehot = [[1, −1, 0], [−1, ½, ½]]
    let expected = array![[1.0, -1.0, 0.0], [-1.0, 0.5, 0.5]].into_dyn();
    assert_abs_diff_eq!(grads.get(logits).unwrap(), expected, epsilon = 1e-12);
    Ok(())
}

#[test]
fn cross_entropy_at_plus_minus_1000_in_f32() -> Result<(), LossError> {
    let tape = Tape::<f32>::new();
    let logits = tape.var(array![[1000.0f32, -1000.0], [-1000.0, 1000.0]]);
    let right = cross_entropy(logits, &[0, 1], Reduction::Mean)?;
    assert_eq!(right.item(), 0.0);
    let wrong = cross_entropy(logits, &[1, 0], Reduction::Mean)?;
    assert_eq!(wrong.item(), 2000.0);
    let grads = tape.backward(wrong);
    assert_eq!(grads.get(logits).unwrap(), array![[0.5f32, -0.5], [-0.5, 0.5]].into_dyn());
    Ok(())
}

#[test]
fn cross_entropy_probs_at_plus_minus_1000() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![[1000.0, -1000.0]]);
    let target = tape.constant(array![[0.5, 0.5]]);
    // −(½ · 0 + ½ · (−2000)) = 1000
    let loss = cross_entropy_probs(logits, target, Reduction::Mean)?;
    assert_abs_diff_eq!(loss.item(), 1000.0, epsilon = 1e-9);
    let grads = tape.backward(loss);
    // softmax − t = [1 − ½, 0 − ½]
    assert_abs_diff_eq!(grads.get(logits).unwrap(), array![[0.5, -0.5]].into_dyn(), epsilon = 1e-12);
    Ok(())
}

#[test]
fn kl_div_with_zero_targets_and_very_negative_log_probabilities() -> Result<(), LossError> {
    let tape = Tape::new();
    let log_q = tape.var(array![[-1000.0, 0.0]]);
    let p = tape.var(array![[0.0, 1.0]]);
    // 0 · (…) + 1 · (0 − 0) = 0
    let loss = kl_div(log_q, p, Reduction::Sum)?;
    assert_eq!(loss.item(), 0.0);
    let grads = tape.backward(loss);
    assert!(all_finite(grads.get(log_q).unwrap().iter()));
    assert!(all_finite(grads.get(p).unwrap().iter()));
    Ok(())
}
