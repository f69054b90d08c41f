//! `Value`: a recorded array, borrowed (parameters, data views) or owned (op results).

use ndarray::{Array, ArrayBase, ArrayD, ArrayView, ArrayViewD, Data, Dimension};

use crate::Float;

/// The array a node holds: borrowed from outside the tape for the tape's lifetime (no
/// copy), or owned by the tape.
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
pub enum Value<'t, T: Float> {
    /// A view of an array that lives outside the tape.
    Borrowed(ArrayViewD<'t, T>),
    /// An array the tape owns.
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
        match self {
            Value::Borrowed(view) => view.view(),
            Value::Owned(array) => array.view(),
        }
    }

    /// Whether the array is borrowed rather than owned.
    ///
    /// ```
    /// let v: tapegrad_tape::Value<'_, f32> = ndarray::array![1.0f32].into();
    /// assert!(!v.is_borrowed());
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self, Value::Borrowed(_))
    }

    /// The same value again: a view stays a view (free), an owned array is copied.
    pub(crate) fn share(&self) -> Value<'t, T> {
        match self {
            Value::Borrowed(view) => Value::Borrowed(view.clone()),
            Value::Owned(array) => Value::Owned(array.clone()),
        }
    }
}

impl<'t, T: Float, D: Dimension> From<Array<T, D>> for Value<'t, T> {
    fn from(array: Array<T, D>) -> Self {
        Value::Owned(array.into_dyn())
    }
}

impl<'t, T: Float, D: Dimension> From<ArrayView<'t, T, D>> for Value<'t, T> {
    fn from(view: ArrayView<'t, T, D>) -> Self {
        Value::Borrowed(view.into_dyn())
    }
}

impl<'t, T: Float, S: Data<Elem = T>, D: Dimension> From<&'t ArrayBase<S, D>> for Value<'t, T> {
    fn from(array: &'t ArrayBase<S, D>) -> Self {
        Value::Borrowed(array.view().into_dyn())
    }
}
