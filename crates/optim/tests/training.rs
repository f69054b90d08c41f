//! Every optimizer minimises a convex quadratic and trains a 2-4-1 MLP on XOR; steps over a
//! set of `Parameters` skip parameters without gradients and keep state by parameter name.

use ndarray::{array, Array1};
use tapegrad_optim::{Adagrad, Adam, AdamW, NamedParam, Optimizer, RmsProp, Sgd};
use tapegrad_tape::{Parameters, Tape};

use crate::common::{assert_close, train_xor, xor_predictions, Linear};

/// One of each optimizer and variant, with a learning rate that suits `problem`.
fn all_optimizers(problem: &str) -> Vec<(&'static str, Box<dyn Optimizer<f64>>)> {
    let xor = problem == "xor";
    let pick = |quadratic: f64, xor_rate: f64| if xor { xor_rate } else { quadratic };
    vec![
        ("sgd", Box::new(Sgd::builder().learning_rate(pick(0.15, 1.0)).build().unwrap())),
        (
            "sgd momentum",
            Box::new(Sgd::builder().learning_rate(pick(0.02, 0.2)).momentum(0.9).build().unwrap()),
        ),
        (
            "sgd nesterov",
            Box::new(
                Sgd::builder().learning_rate(pick(0.02, 0.2)).momentum(0.9).nesterov(true).build().unwrap(),
            ),
        ),
        ("adagrad", Box::new(Adagrad::builder().learning_rate(pick(1.0, 0.5)).build().unwrap())),
        ("rmsprop", Box::new(RmsProp::builder().learning_rate(pick(0.02, 0.02)).build().unwrap())),
        (
            "rmsprop centered momentum",
            Box::new(
                RmsProp::builder()
                    .learning_rate(pick(0.005, 0.005))
                    .momentum(0.9)
                    .centered(true)
                    .build()
                    .unwrap(),
            ),
        ),
        ("adam", Box::new(Adam::builder().learning_rate(pick(0.1, 0.05)).build().unwrap())),
        (
            "adam amsgrad",
            Box::new(Adam::builder().learning_rate(pick(0.1, 0.05)).amsgrad(true).build().unwrap()),
        ),
        ("adamw", Box::new(AdamW::builder().learning_rate(pick(0.1, 0.05)).build().unwrap())),
    ]
}

/// f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)² with curvatures a = [1, 10], minimum at c = [1, −2]; ∇f = a(θ − c).
fn quadratic(theta: &Array1<f64>) -> (f64, Array1<f64>) {
    let (a, c) = (array![1.0, 10.0], array![1.0, -2.0]);
    let diff = theta - &c;
    (0.5 * (&a * &diff * &diff).sum(), &a * &diff)
}

#[test]
fn every_optimizer_minimises_a_convex_quadratic() {
    for (name, mut optimizer) in all_optimizers("quadratic") {
        let mut theta = array![0.0, 0.0];
        let (start, _) = quadratic(&theta);
        for _ in 0..300 {
            let (_, grad) = quadratic(&theta);
            let _report = optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &grad)]).unwrap();
        }
        let (end, _) = quadratic(&theta);
        // From f = 20.5 to within 1e-4 of the minimum (AdamW's decay moves its minimum a little).
        assert!(end < 1e-4 * start, "{name}: f went from {start} to {end} (θ = {theta})");
    }
}

#[test]
fn every_optimizer_trains_xor() {
    for (name, mut optimizer) in all_optimizers("xor") {
        let (model, first, last) = train_xor(optimizer.as_mut(), 250);
        assert_eq!(xor_predictions(&model), [false, true, true, false], "{name}: loss {first} → {last}");
        assert!(last < 0.1, "{name}: loss went from {first} to only {last}");
    }
}

#[test]
fn xor_trains_in_f32() {
    let mut adam = Adam::<f32>::builder().learning_rate(0.05).build().unwrap();
    let (model, first, last) = train_xor(&mut adam, 250);
    assert_eq!(xor_predictions(&model), [false, true, true, false], "loss {first} → {last}");
}

#[test]
fn state_is_kept_by_parameter_name() {
    let mut adam = Adam::builder().learning_rate(0.05).build().unwrap();
    train_xor(&mut adam, 3);
    let names: Vec<&String> = adam.states().keys().collect();
    assert_eq!(names, ["hidden.bias", "hidden.weight", "output.bias", "output.weight"]);
    assert!(adam.states().values().all(|state| state.step == 3));
    assert_eq!(adam.state("hidden.weight").unwrap().exp_avg.shape(), [2, 4]);
}

/// Two linear layers; `forward` uses only the first unless `use_second` is set, like a
/// head that is frozen or not yet attached.
struct TwoHeads {
    first: Linear<f64>,
    second: Linear<f64>,
    use_second: bool,
}

impl TwoHeads {
    fn forward<'t>(
        &'t self,
        tape: &'t Tape<'t, f64>,
        x: tapegrad_tape::Var<'t, f64>,
    ) -> tapegrad_tape::Var<'t, f64> {
        let y = self.first.forward(tape, x);
        if self.use_second {
            y + self.second.forward(tape, x)
        } else {
            y
        }
    }
}

impl Parameters<f64> for TwoHeads {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewD<'a, f64>)) {
        self.first.visit_params(&mut |name, p| visit(&format!("first.{name}"), p));
        self.second.visit_params(&mut |name, p| visit(&format!("second.{name}"), p));
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewMutD<'_, f64>)) {
        self.first.visit_params_mut(&mut |name, p| visit(&format!("first.{name}"), p));
        self.second.visit_params_mut(&mut |name, p| visit(&format!("second.{name}"), p));
    }
}

#[test]
fn parameters_without_gradients_are_skipped_and_keep_no_state() {
    let linear = || Linear { weight: array![[1.0], [2.0]], bias: array![0.5] };
    let mut model = TwoHeads { first: linear(), second: linear(), use_second: false };
    let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.9).build().unwrap();
    let x = array![[1.0, -1.0]];
    for use_second in [false, true] {
        model.use_second = use_second;
        let grads = {
            let tape = Tape::new();
            let y = model.forward(&tape, tape.constant(&x));
            tape.backward(y.sum())
        };
        let report = sgd.step(&mut model, &grads).unwrap();
        if use_second {
            assert_eq!((report.updated, report.skipped.len()), (4, 0));
        } else {
            assert_eq!(report.updated, 2);
            assert_eq!(report.skipped, ["second.weight", "second.bias"]);
            // As PyTorch leaves a parameter whose .grad is None: untouched, no state.
            assert_eq!(model.second.weight, array![[1.0], [2.0]]);
            assert!(sgd.state("second.weight").is_none());
        }
    }
    // ∂y/∂W = xᵀ = [1, −1], ∂y/∂b = 1. first: b = g, then b = 0.9g + g = 1.9g, so
    // W = W₀ − 0.1·(1 + 1.9)·xᵀ; second: one step, W = W₀ − 0.1·xᵀ.
    assert_close(&model.first.weight, &array![[1.0 - 0.29], [2.0 + 0.29]], 1e-15, "first.weight");
    assert_close(&model.second.weight, &array![[0.9], [2.1]], 1e-15, "second.weight");
    assert_eq!((sgd.state("first.bias").unwrap().step, sgd.state("second.bias").unwrap().step), (2, 1));
}

#[test]
#[should_panic(expected = "Sgd: the gradient of `w` has shape [3], but the parameter has shape [2]")]
fn a_gradient_of_the_wrong_shape_names_the_parameter() {
    let mut sgd = Sgd::builder().build().unwrap();
    let mut w = array![1.0, 2.0];
    let _report = sgd.step_params(&mut [NamedParam::new("w", &mut w, &array![1.0, 2.0, 3.0])]).unwrap();
}

#[test]
#[should_panic(expected = "Adam: the state has shape [2], but the parameter has shape [3]")]
fn one_name_for_two_arrays_is_caught() {
    let mut adam = Adam::builder().build().unwrap();
    let (mut a, mut b) = (array![1.0, 2.0], array![1.0, 2.0, 3.0]);
    let _report = adam.step_params(&mut [NamedParam::new("w", &mut a, &array![1.0, 1.0])]).unwrap();
    let _report = adam.step_params(&mut [NamedParam::new("w", &mut b, &array![1.0, 1.0, 1.0])]).unwrap();
}

#[test]
#[should_panic(expected = "RmsProp: set_learning_rate(-0.1): the learning rate must be finite and ≥ 0")]
fn a_negative_learning_rate_cannot_be_set() {
    RmsProp::<f64>::builder().build().unwrap().set_learning_rate(-0.1);
}

/// Issue 12: parameter groups. Each parameter is updated with its group's
/// hyperparameters, exactly as a separate optimizer with those settings would; schedules
/// scale every group by the same factor.
#[test]
fn parameter_groups_update_each_parameter_with_its_groups_settings() {
    use tapegrad_optim::{AdamW, RmsProp};
    let grads = [array![0.5, -1.0], array![2.0, 0.25], array![-0.75, 1.5]];
    let names = ["body.0.weight", "body.1.bias", "head.weight"];
    // A grouped optimizer against two plain ones: body with one, head with the other.
    macro_rules! check {
        ($kind:ident, $base:expr, $body:expr) => {{
            let mut grouped = $base.build().unwrap().group(["body"], $body.build().unwrap());
            let (mut plain_head, mut plain_body) = ($base.build().unwrap(), $body.build().unwrap());
            let mut params: Vec<Array1<f64>> = vec![array![1.0, 2.0], array![-1.0, 0.5], array![0.3, 0.3]];
            let mut expected = params.clone();
            for step in 0..3 {
                if step == 2 {
                    grouped.set_learning_rate(grouped.learning_rate() * 0.5);
                    plain_head.set_learning_rate(plain_head.learning_rate() * 0.5);
                    plain_body.set_learning_rate(plain_body.learning_rate() * 0.5);
                }
                let mut named: Vec<NamedParam<'_, f64>> = params
                    .iter_mut()
                    .zip(&grads)
                    .zip(names)
                    .map(|((p, g), name)| NamedParam::new(name, p, g))
                    .collect();
                let _report = grouped.step_params(&mut named).unwrap();
                for ((p, g), name) in expected.iter_mut().zip(&grads).zip(names) {
                    let optimizer: &mut dyn Optimizer<f64> =
                        if name.starts_with("body.") { &mut plain_body } else { &mut plain_head };
                    let _report = optimizer.step_params(&mut [NamedParam::new(name, p, g)]).unwrap();
                }
            }
            assert_eq!(params, expected, "{}", stringify!($kind));
        }};
    }
    check!(
        Sgd,
        Sgd::builder().learning_rate(0.1).momentum(0.9),
        Sgd::builder().learning_rate(0.01).weight_decay(0.1)
    );
    check!(Adam, Adam::builder().learning_rate(0.1), Adam::builder().learning_rate(0.02).amsgrad(true));
    check!(
        AdamW,
        AdamW::builder().learning_rate(0.1),
        AdamW::builder().learning_rate(0.05).weight_decay(0.5)
    );
    check!(Adagrad, Adagrad::builder().learning_rate(0.1), Adagrad::builder().learning_rate(0.3));
    check!(
        RmsProp,
        RmsProp::builder().learning_rate(0.01),
        RmsProp::builder().learning_rate(0.001).centered(true)
    );
}
