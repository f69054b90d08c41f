//! `Lbfgs` beyond PyTorch's trajectories (`torch_lbfgs.rs`): what a mistake does (no
//! gradients, a NaN, a state from another model) and that a failed step changes nothing;
//! frozen parameters; the flattening helpers it is built on.

use std::collections::BTreeMap;

use ndarray::{array, ArrayD};
use tapegrad_optim::{
    gradients_to_vector, parameters_to_vector, vector_to_parameters, Lbfgs, LbfgsState, LineSearch,
    OptimError,
};
use tapegrad_tape::{Grads, Tape};

type Model = BTreeMap<String, ArrayD<f64>>;

fn model(entries: &[(&str, ArrayD<f64>)]) -> Model {
    entries.iter().map(|(name, array)| (name.to_string(), array.clone())).collect()
}

/// `Σ (w − target)²` over `w`; `b` is recorded only when `use_b`.
fn quadratic(model: &Model, use_b: bool) -> (f64, Grads<f64>) {
    let tape = Tape::new();
    let mut loss = (tape.param(&model["w"]) - tape.constant(array![1.0, -2.0, 3.0])).square().sum();
    if use_b {
        loss = loss + tape.param(&model["b"]).square().sum();
    }
    (loss.item(), tape.backward(loss))
}

#[test]
fn a_quadratic_is_solved_and_a_frozen_parameter_never_moves() {
    for search in [LineSearch::Fixed, LineSearch::StrongWolfe] {
        let mut m = model(&[("b", array![5.0].into_dyn()), ("w", array![0.0, 0.0, 0.0].into_dyn())]);
        let mut lbfgs = Lbfgs::builder().line_search(search).build().unwrap();
        // `b` gets no gradient (it is not recorded): it counts as zero, as in PyTorch.
        let first = lbfgs.step(&mut m, |m| Ok::<_, OptimError>(quadratic(m, false))).unwrap();
        assert_eq!(first, 14.0);
        assert_eq!(m["b"], array![5.0].into_dyn(), "{search:?}");
        for (w, target) in m["w"].iter().zip([1.0, -2.0, 3.0]) {
            assert!((w - target).abs() < 1e-9, "{search:?}: {w} vs {target}");
        }
    }
}

#[test]
fn no_gradient_at_all_is_an_error_and_changes_nothing() {
    let mut m = model(&[("b", array![5.0].into_dyn()), ("w", array![0.0, 0.0, 0.0].into_dyn())]);
    let before = m.clone();
    let mut lbfgs = Lbfgs::builder().build().unwrap();
    let err = lbfgs
        .step(&mut m, |m| {
            // Gradients of a copy of the model: none is for `m`'s arrays.
            let copy = m.clone();
            Ok::<_, OptimError>(quadratic(&copy, true))
        })
        .unwrap_err();
    assert_eq!(err, OptimError::NoGradients { optimizer: "Lbfgs", parameters: 2 });
    assert_eq!(m, before);
    assert_eq!(lbfgs.state(), &LbfgsState::default());
}

#[test]
fn a_nan_mid_step_undoes_the_step() {
    for search in [LineSearch::Fixed, LineSearch::StrongWolfe] {
        let mut m = model(&[("w", array![0.0, 0.0, 0.0].into_dyn())]);
        let mut short = Lbfgs::builder().max_iter(1).line_search(search).build().unwrap();
        // One short step first (one iteration does not reach the minimum), so there is
        // state, carried on by an optimizer that iterates longer.
        short.step(&mut m, |m| Ok::<_, OptimError>(quadratic(m, false))).unwrap();
        let (after_one, state) = (m.clone(), short.state().clone());
        assert_eq!(state.n_iter, 1);
        let mut lbfgs = Lbfgs::builder().line_search(search).build().unwrap();
        lbfgs.set_state(state.clone());
        let mut calls = 0;
        let err = lbfgs
            .step(&mut m, |m| {
                calls += 1;
                let (loss, grads) = quadratic(m, false);
                Ok::<_, OptimError>((if calls < 2 { loss } else { f64::NAN }, grads))
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Lbfgs: evaluation 2 of this step gave a loss of NaN (not finite); the parameters and the \
             optimizer's state are as before the step"
        );
        assert_eq!(m, after_one, "{search:?}: the parameters are put back");
        assert_eq!(lbfgs.state(), &state, "{search:?}: the state is put back");
    }
    // A non-finite gradient names its parameter: d√|w|/dw at w = 0 is (1/0)·0.
    let mut m = model(&[("w", array![0.0, 1.0].into_dyn())]);
    let err = Lbfgs::builder()
        .build()
        .unwrap()
        .step(&mut m, |m| {
            let tape = Tape::new();
            let loss = tape.param(&m["w"]).abs().sqrt().sum();
            Ok::<_, OptimError>((loss.item(), tape.backward(loss)))
        })
        .unwrap_err();
    assert!(err.to_string().contains("evaluation 1 of this step gave a gradient of NaN in `w`"), "{err}");
}

#[test]
fn a_state_from_a_model_of_another_size_is_refused() {
    let mut m = model(&[("w", array![0.0, 0.0, 0.0].into_dyn())]);
    let mut lbfgs = Lbfgs::builder().max_iter(2).build().unwrap();
    lbfgs.step(&mut m, |m| Ok::<_, OptimError>(quadratic(m, false))).unwrap();
    let mut other = model(&[("w", array![0.0, 0.0, 0.0].into_dyn()), ("x", array![1.0].into_dyn())]);
    let before = other.clone();
    let err = lbfgs.step(&mut other, |m| Ok::<_, OptimError>(quadratic(m, false))).unwrap_err();
    assert_eq!(err, OptimError::VectorLength { expected: 4, got: 3 });
    assert_eq!(other, before);
    // A fresh state fits any model.
    lbfgs.set_state(LbfgsState::default());
    lbfgs.step(&mut other, |m| Ok::<_, OptimError>(quadratic(m, false))).unwrap();
}

#[test]
fn the_closures_own_error_passes_through() {
    #[derive(Debug, PartialEq)]
    enum Mine {
        Data(&'static str),
        Optim(OptimError),
    }
    impl From<OptimError> for Mine {
        fn from(err: OptimError) -> Self {
            Mine::Optim(err)
        }
    }
    let mut m = model(&[("w", array![0.0].into_dyn())]);
    let mut lbfgs = Lbfgs::builder().build().unwrap();
    let err = lbfgs.step(&mut m, |_| Err::<(f64, Grads<f64>), _>(Mine::Data("no such file"))).unwrap_err();
    assert_eq!(err, Mine::Data("no such file"));
    // A model without parameters: the closure's loss, nothing else.
    let mut empty = Model::new();
    let loss = lbfgs
        .step(&mut empty, |_| {
            let tape = Tape::new();
            let loss = tape.constant(array![2.0]).sum();
            Ok::<_, Mine>((loss.item(), tape.backward(loss)))
        })
        .unwrap();
    assert_eq!(loss, 2.0);
}

#[test]
fn hyperparameters_out_of_range_are_named() {
    let cases: [(Result<Lbfgs<f64>, OptimError>, &str); 6] = [
        (Lbfgs::builder().learning_rate(-1.0).build(), "learning_rate"),
        (Lbfgs::builder().learning_rate(f64::NAN).build(), "learning_rate"),
        (Lbfgs::builder().tolerance_grad(-1e-7).build(), "tolerance_grad"),
        (Lbfgs::builder().tolerance_change(f64::INFINITY).build(), "tolerance_change"),
        (Lbfgs::builder().max_iter(0).build(), "max_iter"),
        (Lbfgs::builder().max_eval(0).build(), "max_eval"),
    ];
    for (result, name) in cases {
        match result {
            Err(OptimError::InvalidHyperparameter { optimizer: "Lbfgs", name: got, .. }) => {
                assert_eq!(got, name)
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn flattening_round_trips_in_visiting_order() {
    let mut m =
        model(&[("a", array![[1.0, 2.0], [3.0, 4.0]].into_dyn()), ("b", array![5.0, 6.0].into_dyn())]);
    // A transposed (non-standard layout) parameter is read and written in logical order.
    m.insert("c".into(), array![[7.0, 8.0], [9.0, 10.0]].reversed_axes().into_dyn());
    let flat = parameters_to_vector(&m);
    assert_eq!(flat.to_vec(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0, 8.0, 10.0]);
    vector_to_parameters(&(&flat * -1.0), &mut m).unwrap();
    assert_eq!(m["c"], array![[-7.0, -9.0], [-8.0, -10.0]].into_dyn());
    assert_eq!(parameters_to_vector(&m), &flat * -1.0);
    let before = m.clone();
    assert_eq!(
        vector_to_parameters(&ndarray::Array1::zeros(11), &mut m),
        Err(OptimError::VectorLength { expected: 10, got: 11 })
    );
    assert_eq!(m, before, "nothing written");
    let tape = Tape::new();
    let loss = (tape.param(&m["a"]) * 3.0).sum() + tape.param(&m["c"]).square().sum();
    let grads = tape.backward(loss);
    assert_eq!(
        gradients_to_vector(&m, &grads).to_vec(),
        [3.0, 3.0, 3.0, 3.0, 0.0, 0.0, -14.0, -18.0, -16.0, -20.0]
    );
}
