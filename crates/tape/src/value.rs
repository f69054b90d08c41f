//! `Value`: a recorded array, borrowed (parameters, data views), owned (op results), or a
//! bare number (0-d values on the scalar fast path).

use ndarray::{Array, ArrayBase, ArrayD, ArrayView, ArrayViewD, Data, Dimension, IxDyn};

use crate::Float;

/// The value a node holds: borrowed from outside the tape for the tape's lifetime (no
/// copy), owned by the tape, or — for 0-d values — a bare number with no allocation.
///
/// You rarely name it: [`Tape::var`](crate::Tape::var) and
/// [`Tape::constant`](crate::Tape::constant) accept anything that converts into it — an
/// owned `Array`, an `ArrayView`, or a reference to an `Array` — of any dimension.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::Value;
/// let data = array![[1.0, 2.0]];
/// let borrowed: Value<'_, f64> = (&data).into();
/// assert!(borrowed.is_borrowed());
/// let owned: Value<'_, f64> = data.clone().into();
/// assert_eq!(owned.view(), borrowed.view());
/// ```
#[derive(Debug, Clone)]
pub struct Value<'t, T: Float>(pub(crate) Repr<'t, T>);

/// What a [`Value`] holds. On the tape, arrays live in the tape's lists and nodes refer to
/// them by index ([`crate::store`]), so a node stays a few words.
#[derive(Debug, Clone)]
pub(crate) enum Repr<'t, T: Float> {
    Borrowed(ArrayViewD<'t, T>),
    Owned(ArrayD<T>),
}

impl<'t, T: Float> Value<'t, T> {
    /// A view of the array.
    ///
    /// ```
    /// let v: tapegrad_tape::Value<'_, f32> = ndarray::array![1.0f32].into();
    /// assert_eq!(v.view().len(), 1);
    /// ```
    pub fn view(&self) -> ArrayViewD<'_, T> {
        match &self.0 {
            Repr::Borrowed(view) => view.view(),
            Repr::Owned(array) => array.view(),
        }
    }

    /// Whether the array is borrowed from outside the tape rather than owned.
    ///
    /// ```
    /// let v: tapegrad_tape::Value<'_, f32> = ndarray::array![1.0f32].into();
    /// assert!(!v.is_borrowed());
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Repr::Borrowed(_))
    }

    /// The number, if the value is 0-d (however it is stored).
    ///
    /// ```
    /// let v: tapegrad_tape::Value<'_, f64> = ndarray::arr0(2.5).into();
    /// assert_eq!(v.scalar(), Some(2.5));
    /// let w: tapegrad_tape::Value<'_, f64> = ndarray::array![2.5].into();
    /// assert_eq!(w.scalar(), None); // shape [1] is not 0-d
    /// ```
    pub fn scalar(&self) -> Option<T> {
        match &self.0 {
            Repr::Borrowed(view) if view.ndim() == 0 => view.first().copied(),
            Repr::Owned(array) if array.ndim() == 0 => array.first().copied(),
            _ => None,
        }
    }
}

/// A 0-d view of one number.
pub(crate) fn scalar_view<T>(value: &T) -> ArrayViewD<'_, T> {
    ArrayView::from_shape(IxDyn(&[]), std::slice::from_ref(value)).expect("one element fits the 0-d shape")
}

impl<'t, T: Float, D: Dimension> From<Array<T, D>> for Value<'t, T> {
    fn from(array: Array<T, D>) -> Self {
        Value(Repr::Owned(array.into_dyn()))
    }
}

impl<'t, T: Float, D: Dimension> From<ArrayView<'t, T, D>> for Value<'t, T> {
    fn from(view: ArrayView<'t, T, D>) -> Self {
        Value(Repr::Borrowed(view.into_dyn()))
    }
}

impl<'t, T: Float, S: Data<Elem = T>, D: Dimension> From<&'t ArrayBase<S, D>> for Value<'t, T> {
    fn from(array: &'t ArrayBase<S, D>) -> Self {
        Value(Repr::Borrowed(array.view().into_dyn()))
    }
}
