//! Freezing: parameters that keep their values while the rest of a model trains.

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters};

/// A module whose parameters are frozen, all of them or the named ones: its forward
/// pass records them with [`Tape::freeze`], so backward computes no gradient for them and
/// every optimizer's `step` leaves them as they are, while gradients still flow through
/// the module to the layers before it (Keras's `layer.trainable = False`, PyTorch's
/// `requires_grad_(False)`). They are still visited, so they are saved, loaded and
/// counted with the rest of the model under the same names.
///
/// ```
/// use ndarray::array;
/// use rand::SeedableRng;
/// use tapegrad_nn::{Dense, Frozen, Module, Sequential, Parameters};
/// use tapegrad_tape::Tape;
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// // A pretrained encoder kept fixed, and a new head trained on top of it.
/// let model = Sequential::new()
///     .add(Dense::<f64>::new(3, 4, &mut rng))
///     .add(Frozen::new(Dense::new(4, 4, &mut rng)))
///     .add(Dense::new(4, 1, &mut rng));
/// let tape = Tape::new();
/// let loss = model.forward(&tape, tape.constant(array![[1.0, 2.0, 3.0]]))?.square().sum();
/// let grads = tape.backward(loss);
/// let mut with_gradient = Vec::new();
/// model.visit_params(&mut |name, p| if grads.param(&p).is_some() { with_gradient.push(name.to_string()) });
/// // The frozen middle layer has none, but the first layer, before it, still does.
/// assert_eq!(with_gradient, ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]);
/// assert_eq!(model.param_names().len(), 6); // all still saved and loaded
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Frozen<M> {
    /// The module.
    pub inner: M,
    /// The names frozen (as the inner module names them); `None`: all.
    only: Option<Vec<String>>,
}

impl<M> Frozen<M> {
    /// Freezes every parameter of `module`.
    ///
    /// ```
    /// let layer = tapegrad_nn::Frozen::new(tapegrad_nn::LayerNorm::<f32>::new(3));
    /// assert!(layer.is_frozen("weight") && layer.is_frozen("bias"));
    /// ```
    pub fn new(module: M) -> Self {
        Frozen { inner: module, only: None }
    }

    /// Freezes only the parameters of `module` that these names select, by the rule of
    /// optimizer parameter groups ([`tapegrad_tape::selects`]): a full name, a scope
    /// (`"encoder"` freezes `encoder.weight`) or a pattern (`"*.bias"`); the others train.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let layer = tapegrad_nn::Dense::<f32>::new(2, 2, &mut rand::rngs::StdRng::seed_from_u64(0));
    /// let layer = tapegrad_nn::Frozen::only(layer, ["bias"]);
    /// assert!(layer.is_frozen("bias") && !layer.is_frozen("weight"));
    /// ```
    pub fn only<S: Into<String>>(module: M, names: impl IntoIterator<Item = S>) -> Self {
        Frozen { inner: module, only: Some(names.into_iter().map(Into::into).collect()) }
    }

    /// Whether the inner module's parameter `name` is frozen.
    ///
    /// ```
    /// let layer = tapegrad_nn::Frozen::only(tapegrad_nn::LayerNorm::<f32>::new(3), ["weight"]);
    /// assert!(!layer.is_frozen("bias"));
    /// let biases = tapegrad_nn::Frozen::only(tapegrad_nn::LayerNorm::<f32>::new(3), ["*bias"]);
    /// assert!(biases.is_frozen("bias") && !biases.is_frozen("weight"));
    /// ```
    pub fn is_frozen(&self, name: &str) -> bool {
        match &self.only {
            None => true,
            Some(names) => names.iter().any(|frozen| tapegrad_tape::selects(frozen, name)),
        }
    }

    /// The module, unfrozen.
    ///
    /// ```
    /// let layer = tapegrad_nn::Frozen::new(tapegrad_nn::LayerNorm::<f32>::new(3));
    /// assert_eq!(layer.into_inner().features(), 3);
    /// ```
    pub fn into_inner(self) -> M {
        self.inner
    }
}

impl<T: Float, M: Module<T>> Parameters<T> for Frozen<M> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        self.inner.visit_params(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        self.inner.visit_params_mut(visit);
    }
}

impl<T: Float, M: Module<T>> Module<T> for Frozen<M> {
    fn layer_name(&self) -> String {
        match &self.only {
            None => format!("Frozen({})", self.inner.layer_name()),
            Some(names) => format!("Frozen({}, only {names:?})", self.inner.layer_name()),
        }
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        self.inner.visit_params(&mut |name, param| {
            if self.is_frozen(name) {
                tape.freeze(&param);
            }
        });
        // `forward`, not `forward_child`: the wrapper is transparent, so a summary shows
        // one row for it (its children are the inner module's), and the inner layer's
        // `#[track_caller]` forward still marks the caller's line.
        self.inner.forward(tape, input)
    }

    // Transparent: the inner module's children, buffers and states, under the same names.
    fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<T>)) {
        self.inner.visit_children(visit);
    }

    fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<T>)) {
        self.inner.visit_children_mut(visit);
    }

    fn visit_buffers(&self, visit: &mut dyn FnMut(&str, ArrayViewD<'_, T>)) {
        self.inner.visit_buffers(visit);
    }

    fn visit_buffers_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        self.inner.visit_buffers_mut(visit);
    }

    fn visit_random_states(&mut self, visit: &mut dyn FnMut(&str, &mut crate::RandomState)) {
        self.inner.visit_random_states(visit);
    }

    fn set_training(&mut self, training: bool) {
        self.inner.set_training(training);
    }
}
