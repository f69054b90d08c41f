//! The error type of the training loop.

use std::path::PathBuf;

use thiserror::Error;

/// Why training, or writing its history, failed.
///
/// ```
/// let err = tapegrad_train::TrainError::Io { path: "x.csv".into(), source: std::io::Error::other("disk full") };
/// assert_eq!(err.to_string(), "cannot write x.csv: disk full");
/// ```
#[derive(Debug, Error)]
pub enum TrainError {
    /// A layer rejected a batch (e.g. the wrong number of features).
    #[error(transparent)]
    Model(#[from] tapegrad_nn::NnError),
    /// The loss rejected the targets (e.g. a label out of range).
    #[error(transparent)]
    Loss(#[from] tapegrad_loss::LossError),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The chart could not be drawn.
    #[error("cannot draw {}: {message}", path.display())]
    Plot {
        /// The file.
        path: PathBuf,
        /// What the plotting library said.
        message: String,
    },
}
