//! Issue 23: a model's graph and trace read as the user's program. Every value a layer
//! records is marked with the user's line (not `crates/nn/src/dense.rs`), parameters carry
//! their module names, and small matrices show their numbers a row per line.

use ndarray::array;
use tapegrad_nn::{
    name_params, BatchNorm1d, Dense, LayerNorm, LogSoftmax, Module, ReLU, Sequential, Softmax, Tanh,
};
use tapegrad_tape::{Parameters, Tape};

fn rng() -> rand::rngs::StdRng {
    rand::SeedableRng::seed_from_u64(23)
}

fn model() -> Sequential<f64> {
    let r = &mut rng();
    Sequential::new()
        .add(Dense::new(3, 4, r))
        .add(ReLU)
        .add(LayerNorm::new(4))
        .add(Dense::new(4, 4, r))
        .add(Tanh)
        .add(BatchNorm1d::new(4))
        .add(Softmax)
        .add(LogSoftmax)
}

#[test]
fn every_recorded_value_is_marked_with_the_users_line() {
    let model = model();
    let tape = Tape::new();
    let x = tape.constant(array![[1.0, -2.0, 0.5], [0.3, 0.1, -0.7]]);
    let line = line!() + 1;
    let y = model.forward(&tape, x).unwrap().sum();
    let grads = tape.backward(y);
    let dot = tape.to_dot(Some(&grads));
    let here = format!("graphs.rs:{line}");
    let nodes = dot.lines().filter(|l| l.contains("label=")).count();
    // The input constant is recorded above; every other value at the `forward` call.
    assert_eq!(dot.matches(&here).count(), nodes - 1, "{dot}");
    assert!(!dot.contains("crates/nn/src"), "{dot}");
}

#[test]
fn a_custom_modules_values_are_marked_with_its_own_lines() {
    // A user's module: its layers' values are marked with the lines in its `forward`.
    struct Twice(Dense<f64>);
    impl Parameters<f64> for Twice {
        fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewD<'a, f64>)) {
            self.0.visit_params(visit)
        }
        fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewMutD<'_, f64>)) {
            self.0.visit_params_mut(visit)
        }
    }
    const INNER: u32 = line!() + 7;
    impl Module<f64> for Twice {
        fn forward<'t>(
            &'t self,
            tape: &'t Tape<'t, f64>,
            x: tapegrad_tape::Var<'t, f64>,
        ) -> Result<tapegrad_tape::Var<'t, f64>, tapegrad_nn::NnError> {
            let once = self.0.forward(tape, x)?;
            Ok(once * 2.0)
        }
    }
    let model = Sequential::new().add(Twice(Dense::new(2, 2, &mut rng())));
    let tape = Tape::new();
    let _y = model.forward(&tape, tape.constant(array![[1.0, 2.0]])).unwrap();
    let dot = tape.to_dot(None);
    assert!(dot.contains(&format!("graphs.rs:{INNER}")), "the Dense inside: {dot}");
    assert!(dot.contains(&format!("graphs.rs:{}", INNER + 1)), "the doubling: {dot}");
}

#[test]
fn parameters_carry_their_module_names_and_small_values_show_as_rows() {
    let r = &mut rng();
    let model = Sequential::new().add(Dense::<f64>::new(2, 2, r)).add(Tanh).add(Dense::new(2, 1, r));
    let tape = Tape::new();
    let y = model.forward(&tape, tape.constant(array![[1.0, 2.0]])).unwrap().sum();
    assert_eq!(name_params(&tape, &model), 4);
    let (grads, trace) = tape.backward_trace(y);
    let dot = tape.to_dot(Some(&grads));
    for name in ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"] {
        assert!(dot.contains(&format!("\\\"{name}\\\" param")), "{name}: {dot}");
    }
    // The first layer's 2 × 2 weight, a row per line.
    let mut w = None;
    model.visit_params(&mut |name, param| {
        if name == "layers.0.weight" {
            w = Some(param.to_owned());
        }
    });
    let w = w.unwrap();
    let first_row = format!("value [[{:.4}, {:.4}],\\n", w[[0, 0]], w[[0, 1]]);
    assert!(dot.contains(&first_row), "{first_row} in {dot}");
    let text = trace.to_string();
    assert!(text.contains("∂L/∂layers.0.weight += [["), "{text}");
}
