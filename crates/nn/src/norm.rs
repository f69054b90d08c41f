//! Normalisation layers: [`LayerNorm`] over each sample's features, [`BatchNorm1d`] over
//! the batch with running statistics kept as buffers. Both are composed from tape ops, so
//! their gradients come from the tape.

use std::cell::RefCell;

use ndarray::{Array1, ArrayViewD, ArrayViewMutD, Axis};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters};

/// Checks a setting that must be a finite number in `[low, high]`.
fn setting(
    layer: &'static str,
    name: &'static str,
    value: f64,
    low: f64,
    high: f64,
    expected: &'static str,
) -> Result<f64, NnError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(NnError::InvalidSetting { layer, name, value, expected })
    }
}

/// γ and β, as both layers name them (`weight`, `bias`, as PyTorch does).
fn visit_scale_shift<'a, T: Float>(
    weight: &'a Array1<T>,
    bias: &'a Array1<T>,
    visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>),
) {
    visit("weight", weight.view().into_dyn());
    visit("bias", bias.view().into_dyn());
}

/// [`visit_scale_shift`], mutably.
fn visit_scale_shift_mut<T: Float>(
    weight: &mut Array1<T>,
    bias: &mut Array1<T>,
    visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>),
) {
    visit("weight", weight.view_mut().into_dyn());
    visit("bias", bias.view_mut().into_dyn());
}

/// `(x − mean) / √(var + ε)` over `axis` (kept as length 1), with the biased variance;
/// also returns the mean and variance. Marked as recorded by the layer's caller.
#[track_caller]
fn normalize<'t, T: Float>(x: Var<'t, T>, axis: usize, eps: T) -> (Var<'t, T>, Var<'t, T>, Var<'t, T>) {
    let mean = x.mean_axes(&[axis], true);
    let centered = x - mean;
    let var = centered.square().mean_axes(&[axis], true);
    (centered / var.add_scalar(eps).sqrt(), mean, var)
}

/// Layer normalisation over the last axis (PyTorch's `LayerNorm(features)`, Keras's
/// `LayerNormalization()`): each sample's features are centred and scaled to unit
/// variance, then multiplied by a learned `weight` (γ, initially 1) and shifted by a
/// learned `bias` (β, initially 0):
///
/// `y = (x − μ) / √(σ² + ε) · γ + β`, with `μ` and `σ²` (the biased variance) taken over
/// the last axis of each sample.
///
/// It is composed of tape ops (mean, subtract, square, sqrt, divide, multiply, add), so
/// `∂L/∂x`, `∂L/∂γ = Σ ∂L/∂y · x̂` and `∂L/∂β = Σ ∂L/∂y` all come from the tape. It behaves
/// the same in training and evaluation.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::{LayerNorm, Module, Parameters};
/// use tapegrad_tape::Tape;
/// let layer = LayerNorm::<f64>::new(4);
/// let tape = Tape::new();
/// let y = layer.forward(&tape, tape.constant(array![[1.0, 2.0, 3.0, 4.0]]))?.value();
/// let mean = y.mean().unwrap();
/// let var = y.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
/// assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-4); // ε = 1e-5 keeps it just under 1
/// assert_eq!(layer.param_names(), ["weight", "bias"]);
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm<T: Float> {
    /// γ, one per feature; ones at first.
    pub weight: Array1<T>,
    /// β, one per feature; zeros at first.
    pub bias: Array1<T>,
    eps: T,
}

impl<T: Float> LayerNorm<T> {
    /// Normalises the last axis, of length `features`, with ε = 1e-5 (PyTorch's default).
    ///
    /// ```
    /// let layer = tapegrad_nn::LayerNorm::<f32>::new(8);
    /// assert_eq!((layer.features(), layer.eps()), (8, 1e-5));
    /// ```
    pub fn new(features: usize) -> Self {
        LayerNorm { weight: Array1::ones(features), bias: Array1::zeros(features), eps: T::from_f64(1e-5) }
    }

    /// The same layer with another ε, added to the variance before the square root.
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] unless `eps` is finite and `≥ 0`.
    ///
    /// ```
    /// let layer = tapegrad_nn::LayerNorm::<f64>::new(2).with_eps(1e-3)?;
    /// assert_eq!(layer.eps(), 1e-3);
    /// assert!(tapegrad_nn::LayerNorm::<f64>::new(2).with_eps(-1.0).is_err());
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn with_eps(mut self, eps: f64) -> Result<Self, NnError> {
        self.eps = T::from_f64(setting("LayerNorm", "eps", eps, 0.0, f64::MAX, "finite and ≥ 0")?);
        Ok(self)
    }

    /// The length of the normalised axis.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::LayerNorm::<f32>::new(5).features(), 5);
    /// ```
    pub fn features(&self) -> usize {
        self.weight.len()
    }

    /// ε.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::LayerNorm::<f64>::new(5).eps(), 1e-5);
    /// ```
    pub fn eps(&self) -> T {
        self.eps
    }
}

impl<T: Float> Parameters<T> for LayerNorm<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        visit_scale_shift(&self.weight, &self.bias, visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit_scale_shift_mut(&mut self.weight, &mut self.bias, visit);
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    fn layer_name(&self) -> String {
        format!("LayerNorm({})", self.features())
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        let shape = input.shape();
        if shape.last() != Some(&self.features()) {
            return Err(NnError::InputShape {
                layer: format!("LayerNorm({})", self.features()),
                expected: format!("[…, {}]", self.features()),
                actual: shape,
            });
        }
        let (normalized, _, _) = normalize(input, shape.len() - 1, self.eps);
        Ok(normalized * tape.param(&self.weight) + tape.param(&self.bias))
    }
}

/// Batch normalisation of `[batch, features]` inputs (PyTorch's `BatchNorm1d`, Keras's
/// `BatchNormalization()`).
///
/// In training mode each feature is normalised with the batch's mean `μ_B` and biased
/// variance `σ²_B`, then scaled and shifted by the learned `weight` γ and `bias` β:
/// `y = (x − μ_B) / √(σ²_B + ε) · γ + β`. The gradient flows through `μ_B` and `σ²_B`
/// too (it is composed of tape ops). Each training forward also updates the running
/// statistics, as PyTorch does:
/// `running_mean ← (1 − m)·running_mean + m·μ_B` and
/// `running_var ← (1 − m)·running_var + m·σ²_B·n/(n − 1)` (the unbiased variance), with
/// momentum `m` = 0.1.
///
/// In evaluation mode ([`set_training(false)`](Module::set_training)) it uses the running
/// statistics instead: `y = (x − running_mean) / √(running_var + ε) · γ + β`, so a single
/// sample is normalised the same way whatever batch it is in.
///
/// The running statistics are buffers ([`Module::visit_buffers`]): saved and loaded with
/// the weights by [`save_weights`](crate::save_weights) and
/// [`load_weights`](crate::load_weights), never touched by optimizers.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::{BatchNorm1d, Module};
/// use tapegrad_tape::Tape;
/// let mut layer = BatchNorm1d::<f64>::new(2);
/// let x = array![[1.0, 10.0], [3.0, 30.0]];
/// let tape = Tape::new();
/// let y = layer.forward(&tape, tape.constant(&x))?.value();
/// assert!((y[[0, 0]] + 1.0).abs() < 1e-4 && (y[[1, 1]] - 1.0).abs() < 1e-4);
/// // One step of momentum 0.1 from mean 0 and variance 1:
/// assert_eq!(layer.running_mean().to_vec(), vec![0.2, 2.0]);
/// assert!((layer.running_var()[1] - (0.9 + 0.1 * 200.0)).abs() < 1e-12);
///
/// layer.set_training(false);
/// let tape = Tape::new();
/// let one = layer.forward(&tape, tape.constant(array![[0.2, 2.0]]))?.value();
/// assert_eq!(one, array![[0.0, 0.0]].into_dyn()); // the running mean maps to β = 0
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm1d<T: Float> {
    /// γ, one per feature; ones at first.
    pub weight: Array1<T>,
    /// β, one per feature; zeros at first.
    pub bias: Array1<T>,
    running_mean: RefCell<Array1<T>>,
    running_var: RefCell<Array1<T>>,
    eps: T,
    momentum: T,
    training: bool,
}

impl<T: Float> BatchNorm1d<T> {
    /// Normalises `features` features, with ε = 1e-5 and momentum 0.1 (PyTorch's
    /// defaults), running mean 0 and running variance 1, in training mode.
    ///
    /// ```
    /// let layer = tapegrad_nn::BatchNorm1d::<f32>::new(4);
    /// assert_eq!((layer.features(), layer.eps(), layer.momentum()), (4, 1e-5, 0.1));
    /// assert_eq!(layer.running_var().to_vec(), vec![1.0; 4]);
    /// ```
    pub fn new(features: usize) -> Self {
        BatchNorm1d {
            weight: Array1::ones(features),
            bias: Array1::zeros(features),
            running_mean: RefCell::new(Array1::zeros(features)),
            running_var: RefCell::new(Array1::ones(features)),
            eps: T::from_f64(1e-5),
            momentum: T::from_f64(0.1),
            training: true,
        }
    }

    /// The same layer with another ε.
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] unless `eps` is finite and `≥ 0`.
    ///
    /// ```
    /// assert!(tapegrad_nn::BatchNorm1d::<f32>::new(2).with_eps(f64::NAN).is_err());
    /// ```
    pub fn with_eps(mut self, eps: f64) -> Result<Self, NnError> {
        self.eps = T::from_f64(setting("BatchNorm1d", "eps", eps, 0.0, f64::MAX, "finite and ≥ 0")?);
        Ok(self)
    }

    /// The same layer with another momentum: the weight of each new batch's statistics in
    /// the running ones (0 keeps them fixed, 1 keeps only the last batch's).
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] unless `momentum` is in `[0, 1]`.
    ///
    /// ```
    /// let layer = tapegrad_nn::BatchNorm1d::<f64>::new(2).with_momentum(0.01)?;
    /// assert_eq!(layer.momentum(), 0.01);
    /// let err = tapegrad_nn::BatchNorm1d::<f64>::new(2).with_momentum(1.5).unwrap_err();
    /// assert_eq!(err.to_string(), "BatchNorm1d: momentum = 1.5 (must be in [0, 1])");
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn with_momentum(mut self, momentum: f64) -> Result<Self, NnError> {
        self.momentum = T::from_f64(setting("BatchNorm1d", "momentum", momentum, 0.0, 1.0, "in [0, 1]")?);
        Ok(self)
    }

    /// The number of features.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::BatchNorm1d::<f32>::new(3).features(), 3);
    /// ```
    pub fn features(&self) -> usize {
        self.weight.len()
    }

    /// ε.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::BatchNorm1d::<f64>::new(3).eps(), 1e-5);
    /// ```
    pub fn eps(&self) -> T {
        self.eps
    }

    /// The momentum of the running statistics.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::BatchNorm1d::<f64>::new(3).momentum(), 0.1);
    /// ```
    pub fn momentum(&self) -> T {
        self.momentum
    }

    /// Whether it normalises with the batch's statistics (training) or the running ones.
    ///
    /// ```
    /// use tapegrad_nn::{BatchNorm1d, Module};
    /// let mut layer = BatchNorm1d::<f32>::new(3);
    /// layer.set_training(false);
    /// assert!(!layer.is_training());
    /// ```
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// A copy of the running mean, one per feature.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::BatchNorm1d::<f32>::new(2).running_mean().to_vec(), vec![0.0, 0.0]);
    /// ```
    pub fn running_mean(&self) -> Array1<T> {
        self.running_mean.borrow().clone()
    }

    /// A copy of the running (unbiased) variance, one per feature.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::BatchNorm1d::<f32>::new(2).running_var().to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn running_var(&self) -> Array1<T> {
        self.running_var.borrow().clone()
    }

    fn label(&self) -> String {
        format!("BatchNorm1d({})", self.features())
    }

    /// Folds one batch's mean and biased variance (`[1, features]`) of `n` samples into
    /// the running statistics.
    fn update_running(&self, mean: Var<'_, T>, var: Var<'_, T>, n: usize) {
        let m = self.momentum;
        let keep = T::one() - m;
        let unbiased = T::from_f64(n as f64 / (n - 1) as f64);
        mean.with_value(|mean| {
            let mut running = self.running_mean.borrow_mut();
            for (r, &b) in running.iter_mut().zip(mean.iter()) {
                *r = keep * *r + m * b;
            }
        });
        var.with_value(|var| {
            let mut running = self.running_var.borrow_mut();
            for (r, &b) in running.iter_mut().zip(var.iter()) {
                *r = keep * *r + m * b * unbiased;
            }
        });
    }
}

impl<T: Float> Parameters<T> for BatchNorm1d<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        visit_scale_shift(&self.weight, &self.bias, visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit_scale_shift_mut(&mut self.weight, &mut self.bias, visit);
    }
}

impl<T: Float> Module<T> for BatchNorm1d<T> {
    fn layer_name(&self) -> String {
        self.label()
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        let shape = input.shape();
        let fits = shape.len() == 2 && shape[1] == self.features();
        if !fits || (self.training && shape[0] < 2) {
            let expected = if self.training {
                format!("[batch ≥ 2, {}] in training mode (a batch of one has no variance)", self.features())
            } else {
                format!("[batch, {}]", self.features())
            };
            return Err(NnError::InputShape { layer: self.label(), expected, actual: shape });
        }
        let (gamma, beta) = (tape.param(&self.weight), tape.param(&self.bias));
        if self.training {
            let (normalized, mean, var) = normalize(input, 0, self.eps);
            self.update_running(mean, var, shape[0]);
            return Ok(normalized * gamma + beta);
        }
        let eps = self.eps;
        let mean = tape.constant(self.running_mean.borrow().clone().insert_axis(Axis(0)));
        let inv_std = tape
            .constant(self.running_var.borrow().mapv(|v| T::one() / (v + eps).sqrt()).insert_axis(Axis(0)));
        Ok((input - mean) * inv_std * gamma + beta)
    }

    fn visit_buffers(&self, visit: &mut dyn FnMut(&str, ArrayViewD<'_, T>)) {
        visit("running_mean", self.running_mean.borrow().view().into_dyn());
        visit("running_var", self.running_var.borrow().view().into_dyn());
    }

    fn visit_buffers_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit("running_mean", self.running_mean.get_mut().view_mut().into_dyn());
        visit("running_var", self.running_var.get_mut().view_mut().into_dyn());
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
