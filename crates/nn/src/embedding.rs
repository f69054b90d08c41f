//! A lookup table of learned vectors, one per category: the usual way into a network for
//! categorical features and tokens.

use ndarray::{Array2, ArrayViewD, ArrayViewMutD};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters};

/// A table of `count` learned vectors of length `dim` (PyTorch's `Embedding`, Keras's
/// `Embedding`): each input element is an index, replaced by its row of `weight`, so an
/// input of shape `[…]` gives an output of shape `[…, dim]`.
///
/// Indices arrive as the model's float type, as the CSV loader's categorical columns
/// give them (`2.0` is category 2); each must be a whole number below `count`, or the
/// forward pass is an [`NnError::BadIndex`] naming the element. The input gets no
/// gradient (an index is not differentiable); `∂L/∂weight` adds each output row's
/// gradient to the row it was looked up from (an index used twice gets both), as the
/// tape's `select` does.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::{Embedding, Module};
/// use tapegrad_tape::Tape;
/// let table = Embedding::from_array(array![[0.0, 0.0], [1.0, 1.5], [2.0, 2.5]]);
/// let tape = Tape::new();
/// let y = table.forward(&tape, tape.constant(array![[2.0, 1.0], [1.0, 1.0]]))?;
/// assert_eq!(y.shape(), [2, 2, 2]);
/// let grads = tape.backward(y.sum());
/// assert_eq!(grads.param(&table.weight).unwrap(), array![[0.0, 0.0], [3.0, 3.0], [1.0, 1.0]].into_dyn());
///
/// let tape = Tape::new();
/// let err = table.forward(&tape, tape.constant(array![0.0, 3.0])).unwrap_err();
/// assert_eq!(err.to_string(), "Embedding(3, 2): input element [1] is 3, not an index below 3 (expected whole numbers from 0)");
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Embedding<T: Float> {
    /// The table, `[count, dim]`: row `i` is category `i`'s vector.
    pub weight: Array2<T>,
}

impl<T: Float> Embedding<T> {
    /// A table of `count` vectors of length `dim`, drawn from `N(0, 1)` (PyTorch's
    /// default).
    ///
    /// # Panics
    /// If the table cannot be allocated (`new(1 << 40, 1)`: 4 TiB), naming its shape; the
    /// allocation is fallible, so this is a panic, not an abort of the process.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let table = tapegrad_nn::Embedding::<f32>::new(3, 4, &mut rand::rngs::StdRng::seed_from_u64(0));
    /// assert_eq!((table.count(), table.dim()), (3, 4));
    /// ```
    #[track_caller]
    pub fn new(count: usize, dim: usize, rng: &mut (impl Rng + ?Sized)) -> Self {
        let weight = crate::init::filled(&[count, dim], || {
            let value: f64 = StandardNormal.sample(&mut *rng);
            T::from_f64(value)
        });
        Embedding { weight: weight.into_dimensionality().expect("a 2-d shape was asked for") }
    }

    /// A table with these vectors, `[count, dim]`.
    ///
    /// ```
    /// let table = tapegrad_nn::Embedding::from_array(ndarray::Array2::<f64>::eye(3));
    /// assert_eq!(table.count(), 3);
    /// ```
    pub fn from_array(weight: Array2<T>) -> Self {
        Embedding { weight }
    }

    /// The number of vectors (categories).
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::Embedding::from_array(ndarray::Array2::<f32>::zeros((7, 2))).count(), 7);
    /// ```
    pub fn count(&self) -> usize {
        self.weight.nrows()
    }

    /// The length of each vector.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::Embedding::from_array(ndarray::Array2::<f32>::zeros((7, 2))).dim(), 2);
    /// ```
    pub fn dim(&self) -> usize {
        self.weight.ncols()
    }

    fn label(&self) -> String {
        format!("Embedding({}, {})", self.count(), self.dim())
    }
}

impl<T: Float> Parameters<T> for Embedding<T> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        visit("weight", self.weight.view().into_dyn());
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        visit("weight", self.weight.view_mut().into_dyn());
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    fn layer_name(&self) -> String {
        self.label()
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        let count = self.count();
        let indices = input.with_value(|x| {
            x.indexed_iter()
                .map(|(position, &value)| {
                    let value = value.to_f64();
                    if value >= 0.0 && value.fract() == 0.0 && value < count as f64 {
                        Ok(value as usize)
                    } else {
                        Err(NnError::BadIndex {
                            layer: self.label(),
                            position: ndarray::Dimension::slice(&position).to_vec(),
                            value,
                            count,
                        })
                    }
                })
                .collect::<Result<Vec<usize>, NnError>>()
        })?;
        let mut shape = input.shape();
        shape.push(self.dim());
        let rows = tape.param(&self.weight).select(0, &indices)?;
        Ok(rows.reshape(&shape))
    }
}
