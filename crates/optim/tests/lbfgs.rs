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

/// A non-quadratic loss, so the history matters: Σ (w − target)⁴ + Σ w².
fn quartic(model: &Model) -> (f64, Grads<f64>) {
    let tape = Tape::new();
    let w = tape.param(&model["w"]);
    let loss = (w - tape.constant(array![1.0, -2.0, 3.0])).powf(4.0).sum() + w.square().sum();
    (loss.item(), tape.backward(loss))
}

#[test]
fn a_saved_state_resumes_bit_for_bit() {
    let path = std::env::temp_dir().join(format!("tapegrad-lbfgs-resume-{}.safetensors", std::process::id()));
    for search in [LineSearch::Fixed, LineSearch::StrongWolfe] {
        let config = || Lbfgs::builder().max_iter(3).history_size(4).learning_rate(0.5).line_search(search);
        let start = model(&[("w", array![0.0, 0.0, 0.0].into_dyn())]);
        // Four steps straight.
        let mut straight = start.clone();
        let mut lbfgs = config().build().unwrap();
        for _ in 0..4 {
            lbfgs.step(&mut straight, |m| Ok::<_, OptimError>(quartic(m))).unwrap();
        }
        // Two steps, save, load into a fresh optimizer, two more.
        let mut resumed = start.clone();
        let mut first = config().build().unwrap();
        for _ in 0..2 {
            first.step(&mut resumed, |m| Ok::<_, OptimError>(quartic(m))).unwrap();
        }
        assert!(first.state().history_len() > 0, "{search:?}: the saved state has a history");
        first.save_state(&path).unwrap();
        let mut second = config().learning_rate(9.0).build().unwrap();
        second.load_state(&resumed, &path).unwrap();
        assert_eq!(second.state(), first.state());
        assert_eq!(second.learning_rate(), 0.5, "the learning rate comes back");
        for _ in 0..2 {
            second.step(&mut resumed, |m| Ok::<_, OptimError>(quartic(m))).unwrap();
        }
        assert_eq!(resumed, straight, "{search:?}");
        assert_eq!(second.state(), lbfgs.state(), "{search:?}");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_state_file_that_does_not_fit_is_refused_whole() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("tapegrad-lbfgs-refused-{}.safetensors", std::process::id()));
    let mut m = model(&[("w", array![0.0, 0.0, 0.0].into_dyn())]);
    let mut lbfgs = Lbfgs::builder().max_iter(5).build().unwrap();
    lbfgs.step(&mut m, |m| Ok::<_, OptimError>(quartic(m))).unwrap();
    assert!(lbfgs.state().history_len() >= 2);
    lbfgs.save_state(&path).unwrap();
    let problems = |result: Result<(), tapegrad_optim::StateError>| match result {
        Err(tapegrad_optim::StateError::Mismatch { problems, .. }) => problems.join("\n"),
        other => panic!("{other:?}"),
    };
    // Another model size.
    let mut other = Lbfgs::builder().max_iter(5).build().unwrap();
    let bigger = model(&[("w", array![0.0, 0.0, 0.0, 0.0].into_dyn())]);
    let text = problems(other.load_state(&bigger, &path));
    assert!(text.contains("saved for 3 parameters, the model has 4"), "{text}");
    assert!(text.contains("`direction`: shape [3], expected [4]"), "{text}");
    assert_eq!(other.state(), &LbfgsState::default(), "unchanged");
    // A shorter history than the one saved.
    let mut short = Lbfgs::builder().history_size(1).build().unwrap();
    let text = problems(short.load_state(&m, &path));
    assert!(text.contains("this optimizer keeps 1 (history_size)"), "{text}");
    // Another optimizer's file.
    let adam_path = dir.join(format!("tapegrad-lbfgs-adam-{}.safetensors", std::process::id()));
    tapegrad_optim::save_state(&tapegrad_optim::Adam::<f64>::builder().build().unwrap(), &adam_path).unwrap();
    let text = problems(Lbfgs::<f64>::builder().build().unwrap().load_state(&m, &adam_path));
    assert!(text.contains("saved by Adam, loading into Lbfgs"), "{text}");
    // The right model and optimizer load it.
    let mut same = Lbfgs::builder().max_iter(5).build().unwrap();
    same.load_state(&m, &path).unwrap();
    assert_eq!(same.state(), lbfgs.state());
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&adam_path).unwrap();
}
