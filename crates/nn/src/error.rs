//! The error type of the nn crate: bad input shapes and bad weight files.

use thiserror::Error;

/// What went wrong in a layer, named so the message alone finds the problem.
///
/// ```
/// use tapegrad_nn::NnError;
/// let err = NnError::InputShape { layer: "Dense(3 → 2)".into(), expected: "[batch, 3]".into(), actual: vec![4, 5] };
/// assert_eq!(err.to_string(), "Dense(3 → 2): expected input of shape [batch, 3], got [4, 5]");
/// ```
#[derive(Debug, Error)]
pub enum NnError {
    /// An input batch does not have the shape a layer needs.
    #[error("{layer}: expected input of shape {expected}, got {actual:?}")]
    InputShape {
        /// The layer, as it prints (`Dense(3 → 2)`, or its path in a container).
        layer: String,
        /// The shape it needs, in words (`[batch, 3]`).
        expected: String,
        /// The shape it was given.
        actual: Vec<usize>,
    },
    /// An input element that should be an index (an [`Embedding`](crate::Embedding)'s
    /// category) is not a whole number below the table's size.
    #[error("{layer}: input element {position:?} is {value}, not an index below {count} (expected whole numbers from 0)")]
    BadIndex {
        /// The layer, as it prints.
        layer: String,
        /// Where the element is in the input.
        position: Vec<usize>,
        /// The element.
        value: f64,
        /// The number of rows of the table.
        count: usize,
    },
    /// A container has no layer at an index.
    #[error("no layer at index {index}: the model has {len} layers")]
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// How many layers there are.
        len: usize,
    },
    /// A layer's setting is out of its range (`Dropout`'s `p` outside `[0, 1)`).
    #[error("{layer}: {name} = {value} (must be {expected})")]
    InvalidSetting {
        /// The layer.
        layer: &'static str,
        /// The setting.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
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
    /// A weight file is truncated or not valid safetensors.
    #[error("{}: not a valid safetensors file: {reason}", path.display())]
    CorruptWeights {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and at which offset where known.
        reason: String,
    },
    /// A tensor to be saved is not finite, so the file was not written (a weight file must
    /// load again, and [`load_weights`](crate::load_weights) refuses NaN and ±∞).
    #[error(
        "{}: not written: tensor `{tensor}` element {index:?} is {value}, and a weight file must hold \
         finite numbers to be loaded again",
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
    /// A weight file's tensors do not fit the model: every problem, one per line.
    #[error("{}: the weights do not fit the model:\n  - {}", path.display(), problems.join("\n  - "))]
    WeightsMismatch {
        /// The file.
        path: std::path::PathBuf,
        /// One line per missing, unexpected, mis-shaped or mis-typed tensor.
        problems: Vec<String>,
    },
    /// Two models' parameters do not correspond (for [`copy_params`](crate::copy_params)):
    /// every problem, one per line.
    #[error("the models' parameters do not correspond:\n  - {}", problems.join("\n  - "))]
    ParamsMismatch {
        /// One line per missing, unexpected or mis-shaped parameter.
        problems: Vec<String>,
    },
    /// [`check_module`](crate::check_module) found the model's loss different at the same
    /// input in two forward passes: some layer draws random numbers.
    #[error(
        "check_module: two forward passes at the same input gave losses {first:e} and {second:e}: a layer \
         draws random numbers (a Dropout in training mode?); call set_training(false) before checking"
    )]
    NotDeterministic {
        /// The first pass's loss.
        first: f64,
        /// The second's.
        second: f64,
    },
    /// An error from the tape (an index out of range, …).
    #[error(transparent)]
    Tape(#[from] tapegrad_tape::TapeError),
}

impl From<tapegrad_tape::FileError> for NnError {
    fn from(err: tapegrad_tape::FileError) -> Self {
        match err {
            tapegrad_tape::FileError::Io { action, path, source } => NnError::Io { action, path, source },
            tapegrad_tape::FileError::Corrupt { path, reason } => NnError::CorruptWeights { path, reason },
            tapegrad_tape::FileError::NotFinite { path, tensor, index, value } => {
                NnError::NotFinite { path, tensor, index, value }
            }
        }
    }
}
