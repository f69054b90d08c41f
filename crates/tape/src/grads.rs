//! `Grads`: the gradient store backward returns, separate from the tape and outliving it.

use ndarray::{ArrayBase, ArrayD, ArrayViewD, Data, Dimension};

use crate::params::ParamRegistry;
use crate::value::scalar_view;
use crate::{Float, Var, VarId};

/// The gradients from one backward pass: `∂L/∂v` for every recorded value `v` that the
/// loss depends on and that wants a gradient.
///
/// It owns its arrays and borrows nothing, so it outlives the tape: drop the tape, then
/// update your parameters from it. There is no `zero_grad`: each backward returns a fresh
/// store.
///
/// A value that did not influence the loss, a constant, or a value recorded under
/// `no_grad` has no entry: [`get`](Grads::get) returns `None` (never a panic), and
/// [`get_or_zeros`](Grads::get_or_zeros) gives zeros of the right shape.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let x = tape.var(array![1.0, 2.0]);
/// let unused = tape.var(array![5.0]);
/// let loss = (x * x).sum();
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(x).unwrap(), &array![2.0, 4.0].into_dyn());
/// assert!(grads.get(unused).is_none());
/// assert_eq!(grads.get_or_zeros(unused), array![0.0].into_dyn());
/// ```
#[derive(Debug, Clone)]
pub struct Grads<T: Float> {
    pub(crate) tape: u64,
    pub(crate) grads: Vec<Slot<T>>,
    pub(crate) params: ParamRegistry,
}

impl<T: Float> Grads<T> {
    /// `∂L/∂v` for a `Var` (or its [`VarId`]) as a view; `None` when no gradient
    /// reached it. (`.to_owned()` gives an array you keep.)
    ///
    /// # Panics
    /// If `var` comes from a different tape than the one this store was computed on.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![3.0]);
    /// let grads = tape.backward(x.powf(2.0).sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 6.0);
    /// ```
    #[track_caller]
    pub fn get(&self, var: impl Into<VarId>) -> Option<ArrayViewD<'_, T>> {
        let id = var.into();
        self.check_tape(id);
        self.grads.get(id.index).and_then(Slot::view)
    }

    /// `∂L/∂v`, or zeros of `v`'s shape when no gradient reached it. Takes the `Var`
    /// itself (not a [`VarId`]) because the shape is read from the tape.
    ///
    /// # Panics
    /// If `var` comes from a different tape.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 2.0]);
    /// let c = tape.constant(ndarray::array![1.0]);
    /// let grads = tape.backward(x.sum());
    /// assert_eq!(grads.get_or_zeros(c), ndarray::array![0.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn get_or_zeros(&self, var: Var<'_, T>) -> ArrayD<T> {
        match self.get(var) {
            Some(grad) => grad.to_owned(),
            None => ArrayD::zeros(var.shape()),
        }
    }

    /// The gradient of a parameter registered with [`Tape::param`](crate::Tape::param),
    /// found by the array itself (its address, shape and strides), so it works after the
    /// tape is dropped. `None` if that array was not a parameter on the tape or got no
    /// gradient.
    ///
    /// ```
    /// use ndarray::array;
    /// let w = array![2.0, 3.0];
    /// let grads = {
    ///     let tape = tapegrad_tape::Tape::new();
    ///     let loss = (tape.param(&w) * 10.0).sum();
    ///     tape.backward(loss)
    /// };
    /// assert_eq!(grads.param(&w).unwrap(), &array![10.0, 10.0].into_dyn());
    /// ```
    pub fn param<S, D>(&self, array: &ArrayBase<S, D>) -> Option<ArrayViewD<'_, T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let (_, index) = self.params.find(array)?;
        self.grads.get(index).and_then(Slot::view)
    }

    /// How many values received a gradient.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// let grads = tape.backward(x.exp().sum());
    /// assert_eq!(grads.len(), 3); // sum, exp and x
    /// ```
    pub fn len(&self) -> usize {
        self.grads.iter().filter(|g| !matches!(g, Slot::Empty)).count()
    }

    /// Whether no value received a gradient.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let c = tape.constant(ndarray::array![1.0]);
    /// assert!(tape.backward(c.sum()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[track_caller]
    fn check_tape(&self, id: VarId) {
        assert!(
            id.tape == self.tape,
            "Grads::get: the Var (node {}) belongs to tape {}, but these gradients come from tape {}",
            id.index,
            id.tape,
            self.tape
        );
    }
}

/// One node's accumulated gradient: none yet, a bare number (0-d values on the scalar
/// fast path), or an array.
#[derive(Debug, Clone)]
pub(crate) enum Slot<T> {
    Empty,
    Scalar(T),
    /// Boxed so that a slot is two words: the store for a scalar graph stays small.
    Array(Box<ArrayD<T>>),
}

impl<T: Float> Slot<T> {
    /// A seed or first contribution; 0-d arrays become bare numbers.
    pub(crate) fn from_array(array: ArrayD<T>) -> Self {
        match array.ndim() {
            0 => Slot::Scalar(array[[]]),
            _ => Slot::Array(Box::new(array)),
        }
    }

    pub(crate) fn view(&self) -> Option<ArrayViewD<'_, T>> {
        match self {
            Slot::Empty => None,
            Slot::Scalar(value) => Some(scalar_view(value)),
            Slot::Array(array) => Some(array.view()),
        }
    }

    /// `self += grad` for a 0-d node.
    pub(crate) fn add_scalar(&mut self, grad: T) {
        match self {
            Slot::Empty => *self = Slot::Scalar(grad),
            Slot::Scalar(total) => *total += grad,
            Slot::Array(total) => total.mapv_inplace(|v| v + grad),
        }
    }

    /// `self += grad`.
    pub(crate) fn add_array(&mut self, grad: ArrayD<T>) {
        match self {
            Slot::Empty => *self = Slot::from_array(grad),
            Slot::Scalar(total) => {
                let total = *total;
                *self = Slot::Array(Box::new(grad.mapv(|v| v + total)));
            }
            Slot::Array(total) => **total += &grad,
        }
    }
}
