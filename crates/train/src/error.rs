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
    /// The optimizer refused a step (no parameter had a gradient, or a non-finite norm
    /// under norm clipping); the weights are as they were before that step.
    #[error(transparent)]
    Optimizer(#[from] tapegrad_optim::OptimError),
    /// A batch's loss, gradient norm or a running statistic (a BatchNorm buffer) was NaN
    /// or infinite: training stopped before that batch's step, so the weights and buffers
    /// are those after the previous batch.
    #[error(
        "epoch {epoch}, batch {batch}: the {what} is {value} (not finite); training stopped before \
         this batch's step, so the weights and buffers are those after the previous batch (a NaN or \
         infinity in the data, a learning rate too high, or a log of 0)"
    )]
    NonFinite {
        /// The epoch, counting from 1.
        epoch: usize,
        /// The batch within the epoch, counting from 1.
        batch: usize,
        /// `"loss"`, `"gradient norm"` or `"running statistic (a buffer)"`.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// After an epoch's steps a weight or buffer is NaN or infinite although every batch's
    /// loss and gradients were finite (an update overflowed: a learning rate far too high),
    /// or, with [`OnNonFinite::Stop`](crate::OnNonFinite::Stop), the validation loss is:
    /// the run stops rather than go on from (or checkpoint) a model that cannot be used.
    #[error("epoch {epoch}: after its steps, {what} is {value} (not finite); {hint}")]
    NonFiniteModel {
        /// The epoch, counting from 1.
        epoch: usize,
        /// What is not finite: `` the weight `layers.0.weight` `` or `the validation loss`.
        what: String,
        /// The value.
        value: f64,
        /// The likely cause, in words.
        hint: &'static str,
    },
    /// An epoch trained on no batch at all: every batch was skipped as non-finite, or
    /// `drop_last` dropped the only, partial, batch. Its loss and accuracy would be
    /// undefined, not 0.
    #[error("epoch {epoch}: no batch was trained on ({reason})")]
    NoBatches {
        /// The epoch, counting from 1.
        epoch: usize,
        /// Why.
        reason: String,
    },
    /// The training or validation data set has no samples.
    #[error("the {which} data set has no samples: nothing to train on or measure")]
    EmptyData {
        /// `"training"`, `"validation"` or `"evaluation"`.
        which: &'static str,
    },
    /// A setting of the trainer is out of range.
    #[error("Trainer: {0}")]
    InvalidSetting(String),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A history CSV that [`History::from_csv`](crate::History::from_csv) cannot read.
    #[error("history CSV, line {line}: {reason}")]
    HistoryCsv {
        /// The line, from 1 (the header).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A training checkpoint cannot be resumed from: damaged, or made by a run with
    /// other settings.
    #[error("{}: cannot resume from this checkpoint: {reason}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// A [`TrainingPage`](crate::TrainingPage) was given data it cannot draw.
    #[error("training page: {0}")]
    Page(String),
    /// The chart could not be drawn.
    #[error("cannot draw {}: {message}", path.display())]
    Plot {
        /// The file.
        path: PathBuf,
        /// What the plotting library said.
        message: String,
    },
}
