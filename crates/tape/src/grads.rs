//! `Grads`: the gradient store backward returns, separate from the tape and outliving it.

use ndarray::{ArrayBase, ArrayD, ArrayViewD, ArrayViewMutD, Data, Dimension, Zip};

use crate::params::SharedRegistry;
use crate::value::scalar_view;
use crate::{pool, Float, Var, VarId};

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
    /// One slot per node up to the root.
    slots: Vec<Slot<T>>,
    /// The gradient arrays the slots refer to.
    arrays: Vec<ArrayD<T>>,
    pub(crate) params: SharedRegistry<T>,
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
        self.view_at(id.index)
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
        self.view_at(index)
    }

    /// The gradient of a parameter, as [`param`](Grads::param) finds it, to change in
    /// place (clip it, add noise, average it with another store's) before an optimizer
    /// reads it.
    ///
    /// ```
    /// use ndarray::array;
    /// let w = array![2.0, 3.0];
    /// let mut grads = {
    ///     let tape = tapegrad_tape::Tape::new();
    ///     let loss = (tape.param(&w) * 10.0).sum();
    ///     tape.backward(loss)
    /// };
    /// grads.param_mut(&w).unwrap().mapv_inplace(|g| g / 10.0);
    /// assert_eq!(grads.param(&w).unwrap(), &array![1.0, 1.0].into_dyn());
    /// ```
    pub fn param_mut<S, D>(&mut self, array: &ArrayBase<S, D>) -> Option<ArrayViewMutD<'_, T>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let (_, index) = self.params.find(array)?;
        // A bare number becomes a 0-d array, which can be lent mutably.
        if let Some(Slot::Scalar(value)) = self.slots.get(index).copied() {
            // A store has fewer arrays than its tape has nodes, and nodes are counted in u32.
            if let Ok(at) = u32::try_from(self.arrays.len()) {
                self.arrays.push(ArrayD::from_elem(ndarray::IxDyn(&[]), value));
                self.slots[index] = Slot::Array(at);
            }
        }
        match self.slots.get(index)? {
            Slot::Array(at) => Some(self.arrays[*at as usize].view_mut()),
            _ => None,
        }
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
        self.slots.iter().filter(|g| !matches!(g, Slot::Empty)).count()
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

impl<T: Float> Grads<T> {
    /// A store with no gradient yet for nodes `0..len`.
    pub(crate) fn empty(tape: u64, len: usize, params: SharedRegistry<T>) -> Self {
        let mut slots = pool::slot_list();
        slots.resize(len, Slot::Empty);
        Grads { tape, slots, arrays: pool::array_list(), params }
    }

    /// The node backpropagated from (the last the store has a slot for).
    pub(crate) fn root(&self) -> Option<usize> {
        self.slots.len().checked_sub(1)
    }

    /// The gradient of node `index`, if any.
    pub(crate) fn view_at(&self, index: usize) -> Option<ArrayViewD<'_, T>> {
        match self.slots.get(index)? {
            Slot::Empty => None,
            Slot::Scalar(value) => Some(scalar_view(value)),
            Slot::Array(at) => Some(self.arrays[*at as usize].view()),
        }
    }

    /// The bare number, when node `index`'s gradient is one.
    pub(crate) fn scalar_at(&self, index: usize) -> Option<T> {
        match self.slots[index] {
            Slot::Scalar(value) => Some(value),
            _ => None,
        }
    }

    /// `∂L/∂node += grad` for a 0-d node.
    pub(crate) fn add_scalar(&mut self, index: usize, grad: T) {
        match self.slots[index] {
            Slot::Empty => self.slots[index] = Slot::Scalar(grad),
            Slot::Scalar(ref mut total) => *total += grad,
            Slot::Array(at) => self.arrays[at as usize].map_inplace(|v| *v += grad),
        }
    }

    /// `∂L/∂node += grad`. The first contribution is kept as it is (no copy); later ones
    /// are added in place and their buffers reused.
    pub(crate) fn add_array(&mut self, index: usize, grad: ArrayD<T>) {
        if grad.ndim() == 0 {
            let value = grad[[]];
            pool::recycle(grad);
            return self.add_scalar(index, value);
        }
        match self.slots[index] {
            Slot::Empty => {
                self.arrays.push(grad);
                let at = u32::try_from(self.arrays.len() - 1).expect("fewer than 2³² gradients");
                self.slots[index] = Slot::Array(at);
            }
            Slot::Scalar(total) => {
                let mut grad = grad;
                grad.map_inplace(|v| *v += total);
                self.slots[index] = Slot::Empty;
                self.add_array(index, grad);
            }
            Slot::Array(at) => {
                add_assign(&mut self.arrays[at as usize], &grad.view());
                pool::recycle(grad);
            }
        }
    }
}

/// `total += grad` for two arrays of one shape, over slices when both are contiguous in
/// standard order.
pub(crate) fn add_assign<T: Float>(total: &mut ArrayD<T>, grad: &ArrayViewD<'_, T>) {
    match (total.as_slice_mut(), grad.as_slice()) {
        (Some(total), Some(grad)) => crate::kernels::add_assign(total, grad),
        _ => Zip::from(total).and(grad).for_each(|t, &g| *t += g),
    }
}

impl<T: Float> Drop for Grads<T> {
    fn drop(&mut self) {
        pool::give_slot_list(std::mem::take(&mut self.slots));
        pool::give_array_list(std::mem::take(&mut self.arrays));
    }
}

/// One node's accumulated gradient: none yet, a bare number (0-d values on the scalar
/// fast path), or an index into the store's arrays.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<T> {
    Empty,
    Scalar(T),
    Array(u32),
}
