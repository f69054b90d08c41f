//! `Sequential`: layers applied one after another, with hierarchical parameter names.

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters};

/// A stack of modules applied in order. Parameters are named `layers.{i}.{name}`
/// (`layers.0.weight`), and an input-shape error names the failing layer's position.
///
/// ```
/// use rand::SeedableRng;
/// use tapegrad_nn::{Dense, Module, ReLU, Sequential, Parameters};
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let model = Sequential::new()
///     .add(Dense::<f32>::new(4, 8, &mut rng))
///     .add(ReLU)
///     .add(Dense::new(8, 3, &mut rng));
/// assert_eq!(model.param_count(), 4 * 8 + 8 + 8 * 3 + 3);
/// assert_eq!(model.param_names(), ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]);
///
/// let tape = tapegrad_tape::Tape::new();
/// let logits = model.forward(&tape, tape.constant(ndarray::Array2::<f32>::zeros((5, 4)))).unwrap();
/// assert_eq!(logits.shape(), vec![5, 3]);
/// let err = model.forward(&tape, tape.constant(ndarray::Array2::<f32>::zeros((5, 6)))).unwrap_err();
/// assert_eq!(err.to_string(), "layers.0 (Dense(4 → 8)): expected input of shape [batch, 4], got [5, 6]");
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Module<T>>>,
    /// Per layer: whether its parameters are frozen ([`Sequential::set_trainable`]).
    frozen: Vec<bool>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty stack (the identity).
    ///
    /// ```
    /// let model = tapegrad_nn::Sequential::<f32>::new();
    /// assert!(model.is_empty());
    /// ```
    pub fn new() -> Self {
        Sequential { layers: Vec::new(), frozen: Vec::new() }
    }

    /// Appends a layer (builder style).
    ///
    /// ```
    /// use tapegrad_nn::{Sequential, Tanh};
    /// let model = Sequential::<f64>::new().add(Tanh).add(Tanh);
    /// assert_eq!(model.len(), 2);
    /// ```
    #[allow(clippy::should_implement_trait)] // builder method, not arithmetic
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.push(layer);
        self
    }

    /// Appends a layer.
    ///
    /// ```
    /// let mut model = tapegrad_nn::Sequential::<f64>::new();
    /// model.push(tapegrad_nn::ReLU);
    /// assert_eq!(model.len(), 1);
    /// ```
    pub fn push(&mut self, layer: impl Module<T> + 'static) {
        self.layers.push(Box::new(layer));
        self.frozen.push(false);
    }

    /// The number of layers.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::Sequential::<f32>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    ///
    /// ```
    /// assert!(tapegrad_nn::Sequential::<f32>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layer at `index` (its parameters are named `layers.{index}.…`), if there is one.
    ///
    /// ```
    /// use tapegrad_nn::{Dense, Module, ReLU, Sequential, Parameters};
    /// let model = Sequential::<f32>::new().add(Dense::from_arrays(ndarray::Array2::zeros((2, 3)), None)).add(ReLU);
    /// assert_eq!(model.get(0).unwrap().param_count(), 6);
    /// assert!(model.get(2).is_none());
    /// ```
    pub fn get(&self, index: usize) -> Option<&dyn Module<T>> {
        self.layers.get(index).map(|layer| &**layer as &dyn Module<T>)
    }

    /// The layer at `index`, to change (set its weights, switch it to evaluation), if there
    /// is one.
    ///
    /// ```
    /// use tapegrad_nn::{Dropout, Module, Sequential};
    /// let mut model = Sequential::<f32>::new().add(Dropout::new(0.5, 0)?);
    /// model.get_mut(0).unwrap().set_training(false);
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Option<&mut dyn Module<T>> {
        match self.layers.get_mut(index) {
            Some(layer) => Some(&mut **layer),
            None => None,
        }
    }

    /// The layers in order.
    ///
    /// ```
    /// use tapegrad_nn::{Module, ReLU, Sequential, Tanh, Parameters};
    /// let model = Sequential::<f64>::new().add(ReLU).add(Tanh);
    /// assert_eq!(model.iter().count(), 2);
    /// assert!(model.iter().all(|layer| layer.param_count() == 0));
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &dyn Module<T>> {
        self.layers.iter().map(|layer| &**layer as &dyn Module<T>)
    }

    /// Freezes (`false`) or unfreezes (`true`) every parameter of the layer at `index`, as
    /// Keras's `layer.trainable = False` does: from the next forward pass on, backward
    /// computes no gradient for them and optimizers leave them as they are, while
    /// gradients still flow through the layer to the ones before it (see
    /// [`Tape::freeze`]). The parameters are still saved and loaded. Every layer starts
    /// trainable.
    ///
    /// # Errors
    /// [`NnError::NoSuchLayer`] if there is no layer at `index`.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// use tapegrad_nn::{Dense, Module, ReLU, Sequential, Parameters};
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let mut model = Sequential::<f64>::new().add(Dense::new(2, 3, &mut rng)).add(ReLU).add(Dense::new(3, 1, &mut rng));
    /// model.set_trainable(0, false)?;
    /// assert!(!model.is_trainable(0) && model.is_trainable(2));
    /// let tape = tapegrad_tape::Tape::new();
    /// let loss = model.forward(&tape, tape.constant(ndarray::array![[1.0, -1.0]]))?.sum();
    /// let grads = tape.backward(loss);
    /// let mut trained = Vec::new();
    /// model.visit_params(&mut |name, p| if grads.param(&p).is_some() { trained.push(name.to_string()) });
    /// assert_eq!(trained, ["layers.2.weight", "layers.2.bias"]);
    /// assert!(model.set_trainable(3, false).is_err());
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn set_trainable(&mut self, index: usize, trainable: bool) -> Result<(), NnError> {
        match self.frozen.get_mut(index) {
            Some(frozen) => {
                *frozen = !trainable;
                Ok(())
            }
            None => Err(NnError::NoSuchLayer { index, len: self.layers.len() }),
        }
    }

    /// Whether the layer at `index` trains (`false` for a frozen layer or no layer).
    ///
    /// ```
    /// let model = tapegrad_nn::Sequential::<f64>::new().add(tapegrad_nn::ReLU);
    /// assert!(model.is_trainable(0) && !model.is_trainable(1));
    /// ```
    pub fn is_trainable(&self, index: usize) -> bool {
        self.frozen.get(index) == Some(&false)
    }
}

impl<T: Float> Parameters<T> for Sequential<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            crate::visit_child(format_args!("layers.{i}"), &**layer, visit);
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            crate::visit_child_mut(format_args!("layers.{i}"), &mut **layer, visit);
        }
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        // A loop, not a fold with a closure, and `forward_child`: the built-in layers then
        // mark their values with the line that called this `forward`, the user's.
        let mut x = input;
        for (i, (layer, &frozen)) in self.layers.iter().zip(&self.frozen).enumerate() {
            if frozen {
                layer.visit_params(&mut |_, param| tape.freeze(&param));
            }
            x = match layer.forward_child(tape, x) {
                Ok(y) => y,
                Err(NnError::InputShape { layer, expected, actual }) => {
                    return Err(NnError::InputShape {
                        layer: format!("layers.{i} ({layer})"),
                        expected,
                        actual,
                    })
                }
                Err(other) => return Err(other),
            };
        }
        Ok(x)
    }

    fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            visit(&format!("layers.{i}"), &**layer);
        }
    }

    fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<T>)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            visit(&format!("layers.{i}"), &mut **layer);
        }
    }

    // The four below are what the defaults would do through `visit_children`, written
    // out so that no name is formatted on the heap per layer and call.
    fn visit_buffers(&self, visit: &mut dyn FnMut(&str, ArrayViewD<'_, T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            crate::visit_child_buffers(format_args!("layers.{i}"), &**layer, visit);
        }
    }

    fn visit_buffers_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            crate::visit_child_buffers_mut(format_args!("layers.{i}"), &mut **layer, visit);
        }
    }

    fn visit_random_states(&mut self, visit: &mut dyn FnMut(&str, &mut crate::RandomState)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            crate::visit_child_random_states(format_args!("layers.{i}"), &mut **layer, visit);
        }
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
}
