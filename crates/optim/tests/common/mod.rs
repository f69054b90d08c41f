//! Models and checks the integration tests share: a linear layer and a 2-4-1 MLP built
//! from raw tape ops and `Parameters` (optim does not depend on nn's layers), and a
//! relative-closeness assertion.

#![allow(dead_code)] // each test binary uses part of this

use ndarray::{array, Array1, Array2, ArrayBase, ArrayViewD, ArrayViewMutD, Data, Dimension};
use tapegrad_optim::Optimizer;
use tapegrad_tape::{Float, Parameters, Tape, Var};

/// Asserts `|actual − expected| ≤ rel · max(|actual|, |expected|) + 1e-300` element-wise,
/// printing the context and the worst element on failure.
#[track_caller]
pub fn assert_close<S1, S2, D1, D2>(
    actual: &ArrayBase<S1, D1>,
    expected: &ArrayBase<S2, D2>,
    rel: f64,
    context: &str,
) where
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
    D1: Dimension,
    D2: Dimension,
{
    assert_eq!(actual.shape(), expected.shape(), "{context}: shapes differ");
    for (index, (&a, &e)) in actual.iter().zip(expected.iter()).enumerate() {
        let error = (a - e).abs();
        assert!(
            error <= rel * a.abs().max(e.abs()) + 1e-300,
            "{context}: element {index}: got {a:e}, expected {e:e} (relative error {:e})\n got      {actual}\n expected {expected}",
            error / a.abs().max(e.abs())
        );
    }
}

/// `|a − e| ≤ rel · max(|a|, |e|)` for two numbers.
#[track_caller]
pub fn assert_close_scalar(actual: f64, expected: f64, rel: f64, context: &str) {
    assert_close(&array![actual], &array![expected], rel, context);
}

/// `y = x · weight + bias`, weight `[in, out]`, with parameters `weight` and `bias`.
pub struct Linear<T> {
    pub weight: Array2<T>,
    pub bias: Array1<T>,
}

impl<T: Float> Linear<T> {
    pub fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.matmul(&tape.param(&self.weight)) + tape.param(&self.bias)
    }
}

impl<T: Float> Parameters<T> for Linear<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        visit("weight", self.weight.view().into_dyn());
        visit("bias", self.bias.view().into_dyn());
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit("weight", self.weight.view_mut().into_dyn());
        visit("bias", self.bias.view_mut().into_dyn());
    }
}

/// A 2-4-1 perceptron, `logit = tanh(x · W₁ + b₁) · W₂ + b₂`, from fixed starting weights.
pub struct Mlp<T> {
    pub hidden: Linear<T>,
    pub output: Linear<T>,
}

impl<T: Float> Mlp<T> {
    pub fn new() -> Self {
        let f = |rows: Array2<f64>| rows.mapv(T::from_f64);
        Mlp {
            hidden: Linear {
                weight: f(array![[0.5, -0.7, 0.3, 0.9], [-0.6, 0.4, 0.8, -0.2]]),
                bias: array![0.1, -0.1, 0.05, 0.0].mapv(T::from_f64),
            },
            output: Linear { weight: f(array![[0.3], [-0.4], [0.5], [0.2]]), bias: array![T::zero()] },
        }
    }
}

impl<T: Float> Mlp<T> {
    pub fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let hidden = self.hidden.forward(tape, x).tanh();
        self.output.forward(tape, hidden)
    }
}

impl<T: Float> Parameters<T> for Mlp<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        self.hidden.visit_params(&mut |name, p| visit(&format!("hidden.{name}"), p));
        self.output.visit_params(&mut |name, p| visit(&format!("output.{name}"), p));
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        self.hidden.visit_params_mut(&mut |name, p| visit(&format!("hidden.{name}"), p));
        self.output.visit_params_mut(&mut |name, p| visit(&format!("output.{name}"), p));
    }
}

/// Trains the MLP on XOR for `steps` full-batch steps with binary cross-entropy on the
/// logits, `mean(softplus(z) − y·z)`; returns the trained model and the first and last losses.
pub fn train_xor<T: Float>(optimizer: &mut dyn Optimizer<T>, steps: usize) -> (Mlp<T>, T, T) {
    let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]].mapv(T::from_f64);
    let y = array![[0.0], [1.0], [1.0], [0.0]].mapv(T::from_f64);
    let mut model = Mlp::new();
    let (mut first, mut last) = (T::nan(), T::nan());
    for step in 0..steps {
        let (loss, grads) = {
            let tape = Tape::new();
            let logits = model.forward(&tape, tape.constant(&x));
            let loss = (logits.softplus() - logits * tape.constant(&y)).mean();
            (loss.item(), tape.backward(loss))
        };
        if step == 0 {
            first = loss;
        }
        last = loss;
        let report = optimizer.step(&mut model, &grads).unwrap();
        assert_eq!(report.updated, 4);
    }
    (model, first, last)
}

/// The MLP's predicted classes (logit > 0) for the four XOR inputs.
pub fn xor_predictions<T: Float>(model: &Mlp<T>) -> Vec<bool> {
    let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]].mapv(T::from_f64);
    let tape = Tape::inference();
    let logits = model.forward(&tape, tape.constant(&x)).value();
    logits.iter().map(|&z| z > T::zero()).collect()
}
