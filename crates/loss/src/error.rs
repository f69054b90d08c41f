//! What can be wrong with the data a loss is given, and the checks that find it.
//!
//! Labels and targets come from outside the model (a data set, a file), so a bad one is
//! a [`LossError`] naming the loss, the offending element and what was expected — never
//! a panic.

use ndarray::Dimension;
use tapegrad_tape::{Float, TapeError, Var};
use thiserror::Error;

/// Bad labels or targets handed to a loss. Each message names the loss and the
/// offending element, so it alone finds the problem.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{cross_entropy, LossError, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let logits = tape.var(array![[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]);
/// let err = cross_entropy(logits, &[2, 5], Reduction::Mean).unwrap_err();
/// assert_eq!(err, LossError::LabelOutOfRange { op: "cross_entropy", sample: 1, label: 5, classes: 3 });
/// assert_eq!(err.to_string(), "cross_entropy: label 5 of sample 1 is out of range for 3 classes");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LossError {
    /// A class label is not below the number of classes.
    #[error("{op}: label {label} of sample {sample} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// The loss.
        op: &'static str,
        /// The sample (row of the batch) whose label is bad.
        sample: usize,
        /// The offending label.
        label: usize,
        /// The number of classes (columns of the input).
        classes: usize,
    },
    /// The number of labels differs from the batch size.
    #[error("{op}: got {labels} labels for a batch of {batch} samples")]
    LabelCount {
        /// The loss.
        op: &'static str,
        /// How many labels were given.
        labels: usize,
        /// The batch size (rows of the input).
        batch: usize,
    },
    /// The target's shape differs from the input's (losses do not broadcast targets).
    #[error("{op}: expected a target of the input's shape {expected:?}, got {actual:?}")]
    ShapeMismatch {
        /// The loss.
        op: &'static str,
        /// The input's shape, which the target must have.
        expected: Vec<usize>,
        /// The target's shape.
        actual: Vec<usize>,
    },
    /// The input does not have the shape the loss needs (`[batch, classes]`).
    #[error("{op}: expected an input of shape {expected}, got {actual:?}")]
    InputShape {
        /// The loss.
        op: &'static str,
        /// The shape it needs, in words.
        expected: &'static str,
        /// The shape it was given.
        actual: Vec<usize>,
    },
    /// A parameter of the loss is out of its range (`huber`'s `delta` must be finite and
    /// positive).
    #[error("{op}: {name} = {value} (must be {expected})")]
    InvalidParameter {
        /// The loss.
        op: &'static str,
        /// The parameter.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// A hinge label is neither −1 nor +1.
    #[error("{op}: label at index {index:?} is {value}, but hinge labels must be -1 or +1")]
    NotPlusMinusOne {
        /// The loss.
        op: &'static str,
        /// Where the label sits in the label tensor.
        index: Vec<usize>,
        /// The offending value.
        value: f64,
    },
    /// An input that should be a probability lies outside `[0, 1]` (or is NaN).
    #[error(
        "{op}: input at index {index:?} is {value}, not a probability in [0, 1] \
         (for logits use binary_cross_entropy_with_logits)"
    )]
    NotProbability {
        /// The loss.
        op: &'static str,
        /// Where the value sits in the input.
        index: Vec<usize>,
        /// The offending value.
        value: f64,
    },
    /// An error from the tape (kept for completeness: the checks above run first).
    #[error(transparent)]
    Tape(#[from] TapeError),
}

/// The target must have exactly the input's shape.
pub(crate) fn check_same_shape<T: Float>(
    op: &'static str,
    input: Var<'_, T>,
    target: Var<'_, T>,
) -> Result<(), LossError> {
    if input.with_value(|a| target.with_value(|b| a.shape() == b.shape())) {
        Ok(())
    } else {
        Err(LossError::ShapeMismatch { op, expected: input.shape(), actual: target.shape() })
    }
}

/// The input must be `[batch, classes]`; returns `(batch, classes)`.
pub(crate) fn check_batch_by_classes<T: Float>(
    op: &'static str,
    input: Var<'_, T>,
) -> Result<(usize, usize), LossError> {
    match input.with_value(|x| match *x.shape() {
        [batch, classes] => Some((batch, classes)),
        _ => None,
    }) {
        Some(dims) => Ok(dims),
        None => Err(LossError::InputShape { op, expected: "[batch, classes]", actual: input.shape() }),
    }
}

/// The input must be `[batch, classes]`, with one label below `classes` per sample;
/// returns `(batch, classes)`.
pub(crate) fn check_labels<T: Float>(
    op: &'static str,
    input: Var<'_, T>,
    labels: &[usize],
) -> Result<(usize, usize), LossError> {
    let (batch, classes) = check_batch_by_classes(op, input)?;
    if labels.len() != batch {
        return Err(LossError::LabelCount { op, labels: labels.len(), batch });
    }
    match labels.iter().enumerate().find(|&(_, &label)| label >= classes) {
        Some((sample, &label)) => Err(LossError::LabelOutOfRange { op, sample, label, classes }),
        None => Ok((batch, classes)),
    }
}

/// The first element (index and value) for which `bad` holds, if any.
fn find_element<T: Float>(values: Var<'_, T>, bad: impl Fn(T) -> bool) -> Option<(Vec<usize>, f64)> {
    values.with_value(|view| {
        view.indexed_iter().find(|&(_, &v)| bad(v)).map(|(index, &v)| (index.slice().to_vec(), v.to_f64()))
    })
}

/// Every label must be exactly −1 or +1.
pub(crate) fn check_plus_minus_one<T: Float>(op: &'static str, labels: Var<'_, T>) -> Result<(), LossError> {
    match find_element(labels, |v| v != T::one() && v != -T::one()) {
        Some((index, value)) => Err(LossError::NotPlusMinusOne { op, index, value }),
        None => Ok(()),
    }
}

/// Every input must lie in `[0, 1]` (NaN fails too).
pub(crate) fn check_probabilities<T: Float>(op: &'static str, input: Var<'_, T>) -> Result<(), LossError> {
    match find_element(input, |v| !(v >= T::zero() && v <= T::one())) {
        Some((index, value)) => Err(LossError::NotProbability { op, index, value }),
        None => Ok(()),
    }
}
