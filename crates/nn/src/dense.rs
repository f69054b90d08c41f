//! Dense (fully connected) layer: `y = x · W + b`, weight `[in, out]` (Keras's layout).

use ndarray::{Array1, Array2, ArrayViewD, ArrayViewMutD};
use rand::Rng;
use tapegrad_tape::{Float, Tape, Var};

use crate::{Init, Module, NnError, Parameters};

/// A fully connected layer: `y = x · W + b` for a batch `x` of shape `[batch, in]`, with
/// weight `W` of shape `[in, out]` and bias `b` of shape `[out]` (Keras's convention, no
/// transpose; PyTorch's `Linear` stores `Wᵀ`, shape `[out, in]`).
///
/// Its gradients come from the tape's fused `affine` op (`matmul` then broadcasting
/// `add`, as one node):
/// `∂L/∂W = xᵀ · ∂L/∂y`, `∂L/∂b = Σ_batch ∂L/∂y`, `∂L/∂x = ∂L/∂y · Wᵀ`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::{Dense, Module, Parameters};
/// use tapegrad_tape::Tape;
///
/// let layer = Dense::from_arrays(array![[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], Some(array![0.5, -0.5]));
/// let tape = Tape::new();
/// let y = layer.forward(&tape, tape.constant(array![[1.0, 2.0, 3.0]])).unwrap();
/// assert_eq!(y.value(), array![[4.5, 6.5]].into_dyn()); // [1+3, 4+3] + [0.5, −0.5]
/// assert_eq!(layer.param_names(), ["weight", "bias"]);
/// ```
#[derive(Debug, Clone)]
pub struct Dense<T: Float> {
    /// `W`, shape `[in, out]`.
    pub weight: Array2<T>,
    /// `b`, shape `[out]`; `None` for a layer without bias.
    pub bias: Option<Array1<T>>,
}

impl<T: Float> Dense<T> {
    /// A layer with Glorot/Xavier-uniform weights and zero bias — Keras's default, which
    /// suits tanh and sigmoid networks; for ReLU networks prefer
    /// [`with_init`](Dense::with_init) and [`Init::HeUniform`]. (PyTorch's `Linear`
    /// default, `U(±1/√in)` for weights and bias, is [`Init::TorchLinear`].)
    ///
    /// # Panics
    /// If the weights cannot be allocated (`new(1 << 20, 1 << 20)`: 4 TiB), naming their
    /// shape; the allocation is fallible, so this is a panic, not an abort of the process.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    /// let layer = tapegrad_nn::Dense::<f32>::new(64, 10, &mut rng);
    /// assert_eq!(layer.weight.dim(), (64, 10));
    /// assert!(layer.bias.as_ref().unwrap().iter().all(|&b| b == 0.0));
    /// ```
    #[track_caller]
    pub fn new(inputs: usize, outputs: usize, rng: &mut (impl Rng + ?Sized)) -> Self {
        Self::with_init(inputs, outputs, Init::XavierUniform, Some(Init::Zeros), rng)
    }

    /// A layer with the given weight initialiser and bias initialiser (`None`: no bias).
    /// `Init::TorchLinear` for both starts where PyTorch's `nn.Linear` does.
    ///
    /// # Panics
    /// If the weights cannot be allocated, naming their shape (see [`new`](Dense::new)),
    /// or an initialiser's settings are out of range: settings read from outside (a
    /// config file) are checked first with [`Init::check`], which returns the error.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// use tapegrad_nn::{Dense, Init, Module, Parameters};
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let layer = Dense::<f64>::with_init(4, 3, Init::HeNormal, None, &mut rng);
    /// assert!(layer.bias.is_none());
    /// assert_eq!(layer.param_count(), 12);
    /// ```
    pub fn with_init(
        inputs: usize,
        outputs: usize,
        weight: Init,
        bias: Option<Init>,
        rng: &mut (impl Rng + ?Sized),
    ) -> Self {
        let weight = weight
            .array(&[inputs, outputs], inputs, outputs, rng)
            .into_dimensionality()
            .expect("a 2-d shape was asked for");
        let bias = bias.map(|init| {
            init.array(&[outputs], inputs, outputs, rng)
                .into_dimensionality()
                .expect("a 1-d shape was asked for")
        });
        Dense { weight, bias }
    }

    /// A layer with these weights (`[in, out]`) and bias (`[out]`).
    ///
    /// # Panics
    /// If the bias length differs from the weight's output width.
    ///
    /// ```
    /// let layer = tapegrad_nn::Dense::from_arrays(ndarray::Array2::<f32>::eye(2), None);
    /// assert_eq!(layer.inputs(), 2);
    /// ```
    pub fn from_arrays(weight: Array2<T>, bias: Option<Array1<T>>) -> Self {
        if let Some(b) = &bias {
            assert_eq!(
                b.len(),
                weight.ncols(),
                "Dense: bias of length {} does not fit a weight of shape {:?}",
                b.len(),
                weight.shape()
            );
        }
        Dense { weight, bias }
    }

    /// The input width `in`.
    ///
    /// ```
    /// let layer = tapegrad_nn::Dense::<f32>::from_arrays(ndarray::Array2::zeros((3, 5)), None);
    /// assert_eq!((layer.inputs(), layer.outputs()), (3, 5));
    /// ```
    pub fn inputs(&self) -> usize {
        self.weight.nrows()
    }

    /// The output width `out`.
    ///
    /// ```
    /// let layer = tapegrad_nn::Dense::<f32>::from_arrays(ndarray::Array2::zeros((3, 5)), None);
    /// assert_eq!(layer.outputs(), 5);
    /// ```
    pub fn outputs(&self) -> usize {
        self.weight.ncols()
    }

    fn label(&self) -> String {
        format!("Dense({} → {})", self.inputs(), self.outputs())
    }
}

impl<T: Float> Parameters<T> for Dense<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        visit("weight", self.weight.view().into_dyn());
        if let Some(bias) = &self.bias {
            visit("bias", bias.view().into_dyn());
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit("weight", self.weight.view_mut().into_dyn());
        if let Some(bias) = &mut self.bias {
            visit("bias", bias.view_mut().into_dyn());
        }
    }
}

impl<T: Float> Module<T> for Dense<T> {
    fn layer_name(&self) -> String {
        match self.bias {
            Some(_) => self.label(),
            None => format!("Dense({} → {}, no bias)", self.inputs(), self.outputs()),
        }
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        if !input.with_value(|x| x.ndim() == 2 && x.shape()[1] == self.inputs()) {
            return Err(NnError::InputShape {
                layer: self.label(),
                expected: format!("[batch, {}]", self.inputs()),
                actual: input.shape(),
            });
        }
        let weight = tape.param(&self.weight);
        Ok(match &self.bias {
            Some(bias) => input.affine(&weight, &tape.param(bias)),
            None => input.matmul(&weight),
        })
    }
}
