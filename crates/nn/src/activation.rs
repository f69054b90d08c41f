//! Activation layers: ReLU, LeakyReLU, Tanh, Sigmoid, SiLU, GELU, Softmax and LogSoftmax, as modules
//! without parameters so they can sit in a [`Sequential`](crate::Sequential).

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters};

/// Implements `Module` for a parameterless layer whose forward is one `Var` method.
/// With `name = |layer| …`, also the name a summary prints (the type's name otherwise).
macro_rules! parameterless {
    ($layer:ty, |$self_:ident, $x:ident| $body:expr $(, name = |$named:ident| $name:expr)?) => {
        impl<T: Float> Parameters<T> for $layer {
            fn visit_params<'a>(&'a self, _visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {}
            fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {}
        }
        impl<T: Float> Module<T> for $layer {
            #[track_caller]
            fn forward<'t>(
                &'t self,
                _tape: &'t Tape<'t, T>,
                input: Var<'t, T>,
            ) -> Result<Var<'t, T>, NnError> {
                let ($self_, $x) = (self, input);
                $body
            }
            $(
                fn layer_name(&self) -> String {
                    let $named = self;
                    $name
                }
            )?
        }
    };
}

/// `max(0, x)` elementwise (derivative 0 at 0, as PyTorch).
///
/// ```
/// use tapegrad_nn::{Module, ReLU};
/// let tape = tapegrad_tape::Tape::new();
/// let y = ReLU.forward(&tape, tape.constant(ndarray::array![[-1.0, 2.0]])).unwrap();
/// assert_eq!(y.value(), ndarray::array![[0.0, 2.0]].into_dyn());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ReLU;
parameterless!(ReLU, |_layer, x| Ok(x.relu()));

/// `x` for `x > 0`, `slope · x` otherwise. PyTorch's default slope is 0.01.
///
/// ```
/// use tapegrad_nn::{LeakyReLU, Module};
/// let layer = LeakyReLU::default();
/// let tape = tapegrad_tape::Tape::new();
/// let y = layer.forward(&tape, tape.constant(ndarray::array![[-1.0, 2.0]])).unwrap();
/// assert_eq!(y.value(), ndarray::array![[-0.01, 2.0]].into_dyn());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LeakyReLU {
    /// The slope for negative inputs.
    pub slope: f64,
}
impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU { slope: 0.01 }
    }
}
parameterless!(LeakyReLU, |layer, x| Ok(x.leaky_relu(T::from_f64(layer.slope))));

/// Hyperbolic tangent elementwise.
///
/// ```
/// use tapegrad_nn::{Module, Tanh};
/// let tape = tapegrad_tape::Tape::new();
/// let y = Tanh.forward(&tape, tape.constant(ndarray::array![[0.0]])).unwrap();
/// assert_eq!(y.item(), 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Tanh;
parameterless!(Tanh, |_layer, x| Ok(x.tanh()));

/// Logistic sigmoid elementwise.
///
/// ```
/// use tapegrad_nn::{Module, Sigmoid};
/// let tape = tapegrad_tape::Tape::new();
/// let y = Sigmoid.forward(&tape, tape.constant(ndarray::array![[0.0]])).unwrap();
/// assert_eq!(y.item(), 0.5);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Sigmoid;
parameterless!(Sigmoid, |_layer, x| Ok(x.sigmoid()));

/// SiLU (swish) `x·σ(x)` elementwise, PyTorch's `nn.SiLU`
/// ([`Var::silu`](tapegrad_tape::Var::silu)).
///
/// ```
/// use tapegrad_nn::{Module, SiLU};
/// let tape = tapegrad_tape::Tape::new();
/// let y = SiLU.forward(&tape, tape.constant(ndarray::array![[0.0, 1.0]])).unwrap();
/// assert_eq!(y.value(), ndarray::array![[0.0, 1.0 / (1.0 + (-1f64).exp())]].into_dyn());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SiLU;
parameterless!(SiLU, |_layer, x| Ok(x.silu()));

/// How [`GELU`] computes `x·Φ(x)`: PyTorch's `approximate` argument.
///
/// ```
/// use tapegrad_nn::{GeluApproximation, GELU};
/// assert_eq!(GELU::default().approximate, GeluApproximation::Exact);
/// // The same layer as GELU::tanh(), built from the setting (say, read from a config).
/// let layer = GELU { approximate: GeluApproximation::Tanh };
/// assert_eq!(layer.approximate, GELU::tanh().approximate);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GeluApproximation {
    /// `Φ` from the error function ([`Var::gelu`](tapegrad_tape::Var::gelu);
    /// `approximate='none'`, the default).
    #[default]
    Exact,
    /// `Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³)))`
    /// ([`Var::gelu_tanh`](tapegrad_tape::Var::gelu_tanh); `approximate='tanh'`).
    Tanh,
}

/// GELU `x·Φ(x)` elementwise (`Φ` the standard normal distribution function), PyTorch's
/// `nn.GELU`: exact by default, [`GELU::tanh`] for the tanh approximation.
///
/// ```
/// use tapegrad_nn::{GELU, Module};
/// let (exact_layer, tanh_layer) = (GELU::default(), GELU::tanh());
/// let tape = tapegrad_tape::Tape::new();
/// let x = tape.constant(ndarray::array![[1.0f64]]);
/// let exact = exact_layer.forward(&tape, x).unwrap().item();
/// let approximate = tanh_layer.forward(&tape, x).unwrap().item();
/// assert!((exact - 0.8413447460685429).abs() < 1e-15);
/// assert!((approximate - exact).abs() < 2e-4);
/// // A summary names the form, as PyTorch's module print does.
/// assert_eq!(Module::<f64>::layer_name(&tanh_layer), "GELU(approximate = tanh)");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GELU {
    /// Exact (the default) or the tanh approximation.
    pub approximate: GeluApproximation,
}
impl GELU {
    /// The tanh approximation (`nn.GELU(approximate='tanh')`).
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::GELU::tanh().approximate, tapegrad_nn::GeluApproximation::Tanh);
    /// ```
    pub fn tanh() -> Self {
        GELU { approximate: GeluApproximation::Tanh }
    }
}
parameterless!(
    GELU,
    |layer, x| Ok(match layer.approximate {
        GeluApproximation::Exact => x.gelu(),
        GeluApproximation::Tanh => x.gelu_tanh(),
    }),
    name = |layer| match layer.approximate {
        GeluApproximation::Exact => "GELU".into(),
        GeluApproximation::Tanh => "GELU(approximate = tanh)".into(),
    }
);

/// Softmax over the last axis (the classes of a `[batch, classes]` batch), stable for
/// large logits. For training, prefer logits with a cross-entropy loss, which is more
/// accurate than a softmax followed by a log.
///
/// ```
/// use tapegrad_nn::{Module, Softmax};
/// let tape = tapegrad_tape::Tape::new();
/// let y = Softmax.forward(&tape, tape.constant(ndarray::array![[1000.0, 1000.0]])).unwrap();
/// assert_eq!(y.value(), ndarray::array![[0.5, 0.5]].into_dyn());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Softmax;
parameterless!(Softmax, |_layer, x| {
    let axis = last_axis(x, "Softmax")?;
    Ok(x.softmax(axis))
});

/// Log-softmax over the last axis, stable for large logits.
///
/// ```
/// use tapegrad_nn::{LogSoftmax, Module};
/// let tape = tapegrad_tape::Tape::new();
/// let y = LogSoftmax.forward(&tape, tape.constant(ndarray::array![[0.0, 0.0]])).unwrap();
/// assert!((y.value()[[0, 0]] + 2f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSoftmax;
parameterless!(LogSoftmax, |_layer, x| {
    let axis = last_axis(x, "LogSoftmax")?;
    Ok(x.log_softmax(axis))
});

/// The last axis of `x`, or an error for a 0-d input (which has no axis to normalise over).
fn last_axis<T: Float>(x: Var<'_, T>, layer: &str) -> Result<usize, NnError> {
    match x.ndim() {
        0 => Err(NnError::InputShape {
            layer: layer.into(),
            expected: "at least one axis".into(),
            actual: vec![],
        }),
        ndim => Ok(ndim - 1),
    }
}
