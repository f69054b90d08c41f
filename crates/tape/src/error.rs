//! The error type for data that reaches the tape from outside (index tensors, seed shapes).

use thiserror::Error;

/// An error about data that came from outside the composed math: an index tensor, a
/// seed gradient, a shape read from a file.
///
/// Each variant names the operation, what it expected and what it got, so the message
/// alone is enough to find the problem.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::{Tape, TapeError};
///
/// let tape = Tape::new();
/// let logits = tape.var(array![[1.0, 2.0, 3.0]].into_dyn());
/// let err = logits.gather(1, &array![[7usize]]).unwrap_err();
/// assert!(matches!(err, TapeError::IndexOutOfRange { op: "gather", index: 7, len: 3, .. }));
/// assert_eq!(
///     err.to_string(),
///     "gather: index 7 at position [0, 0] is out of range for axis 1 of length 3"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TapeError {
    /// An index (e.g. a class label) is not below the length of the axis it indexes.
    #[error("{op}: index {index} at position {position:?} is out of range for axis {axis} of length {len}")]
    IndexOutOfRange {
        /// The operation that read the index.
        op: &'static str,
        /// The offending index value.
        index: usize,
        /// Where the offending index sits in the index tensor.
        position: Vec<usize>,
        /// The axis being indexed.
        axis: usize,
        /// The length of that axis.
        len: usize,
    },
    /// A shape that came from outside does not fit.
    #[error("{op}: expected shape {expected:?}, got {actual:?}{}", detail_suffix(.detail))]
    ShapeMismatch {
        /// The operation that checked the shape.
        op: &'static str,
        /// The shape it needed.
        expected: Vec<usize>,
        /// The shape it was given.
        actual: Vec<usize>,
        /// Extra context ("seed gradient", "index tensor", …); may be empty.
        detail: String,
    },
    /// An axis argument is not below the number of dimensions.
    #[error("{op}: axis {axis} is out of range for a tensor of {ndim} dimensions (shape {shape:?})")]
    AxisOutOfRange {
        /// The operation.
        op: &'static str,
        /// The requested axis.
        axis: usize,
        /// The tensor's number of dimensions.
        ndim: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A gradient of a gradient was asked of an op whose backward cannot be recorded as
    /// ops (see [`Op::backward_vars`](crate::Op::backward_vars)).
    #[error(
        "{op} (node {node}, recorded at {site}) has no differentiable backward: its gradient \
         cannot be differentiated again (grad with create_graph); give the op a \
         `backward_vars` that writes its backward with tape ops"
    )]
    NotTwiceDifferentiable {
        /// The op.
        op: &'static str,
        /// Its node on the tape.
        node: usize,
        /// The source line that recorded it.
        site: String,
    },
    /// Forward mode ([`Tape::jvp`](crate::Tape::jvp)) met an op without a tangent rule
    /// (see [`Op::tangent`](crate::Op::tangent)): a custom op that defines only its backward.
    #[error(
        "{op} (node {node}, recorded at {site}) has no tangent rule: forward mode (jvp) cannot \
         pass through it (give the op a `tangent`, or use reverse mode)"
    )]
    NoTangentRule {
        /// The op.
        op: &'static str,
        /// Its node on the tape.
        node: usize,
        /// The source line that recorded it.
        site: String,
    },
    /// A derivative was asked with respect to a value that wants no gradient (a constant,
    /// a detached value, a frozen parameter, or one recorded under `no_grad`): the tape
    /// kept nothing to compute it with, and zeros would be a wrong answer, not a derivative.
    #[error(
        "{op}: input {input} (node {node}, recorded at {site}) wants no gradient (a constant, a \
         detached or frozen value, or recorded under no_grad); record it with `tape.var` to \
         differentiate with respect to it"
    )]
    NoGradient {
        /// The operation that was asked for the derivative.
        op: &'static str,
        /// Its position in the list of inputs.
        input: usize,
        /// Its node on the tape.
        node: usize,
        /// The source line that recorded it.
        site: String,
    },
    /// With anomaly detection on, the first NaN or infinity: where it was made (see
    /// [`Tape::try_backward`](crate::Tape::try_backward)).
    #[error("{0}")]
    Anomaly(Box<crate::Anomaly>),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

/// A file that could not be written or read: the tensor files (weights, optimizer state)
/// and everything else tapegrad saves atomically.
///
/// ```
/// use tapegrad_tape::FileError;
/// let err = FileError::Corrupt { path: "w.safetensors".into(), reason: "the header is cut short".into() };
/// assert_eq!(err.to_string(), "w.safetensors: not a valid safetensors file: the header is cut short");
/// ```
#[derive(Debug, Error)]
pub enum FileError {
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`"read"`, `"create"`, `"rename into"`, …).
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A tensor file is truncated or not valid safetensors (or two tensors share a name).
    #[error("{}: not a valid safetensors file: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and at which offset where known.
        reason: String,
    },
    /// A tensor to be saved holds a NaN or an infinity, which the weight and state loaders
    /// refuse: the file is not written, so no save can leave a file that cannot be loaded
    /// ([`write_finite_tensors`](crate::write_finite_tensors)).
    #[error(
        "{}: not written: tensor `{tensor}` element {index:?} is {value}, and a weight or state file \
         must hold finite numbers to be loaded again",
        path.display()
    )]
    NotFinite {
        /// The file that was not written.
        path: std::path::PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The element's index.
        index: Vec<usize>,
        /// The value (NaN or ±∞).
        value: f64,
    },
}
