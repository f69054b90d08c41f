//! `History`: one record per epoch (losses, accuracies, time, learning rate), written as
//! CSV for spreadsheets and, with the `plot` feature, drawn as an SVG line chart.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::{Diagnostics, TrainError};

/// What one epoch measured. Validation fields are `None` when no validation set was given.
///
/// ```
/// let epoch = tapegrad_train::EpochRecord { epoch: 1, train_loss: 0.5, train_accuracy: 0.8, ..Default::default() };
/// assert_eq!(epoch.validation_loss, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochRecord {
    /// The epoch number, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// The fraction of training samples classified right during the epoch (as the
    /// weights were when each batch was seen).
    pub train_accuracy: f64,
    /// The loss on the validation set after the epoch.
    pub validation_loss: Option<f64>,
    /// The accuracy on the validation set after the epoch.
    pub validation_accuracy: Option<f64>,
    /// The learning rate used during the epoch.
    pub learning_rate: f64,
    /// Wall-clock time the epoch took (training and validation).
    pub duration: Duration,
    /// Gradient norms, update-to-weight ratios and dead ReLU fractions, when the trainer
    /// ran with [`diagnostics(true)`](crate::Trainer::diagnostics); `None` otherwise. Not
    /// part of [`History::to_csv`].
    pub diagnostics: Option<Diagnostics>,
    /// Batches skipped because their loss or gradient norm was NaN or infinite (only with
    /// [`OnNonFinite::SkipBatch`](crate::OnNonFinite::SkipBatch); otherwise training stops
    /// at the first one).
    pub skipped_batches: usize,
}

/// Every epoch's record, in order.
///
/// ```
/// use tapegrad_train::{EpochRecord, History};
/// let mut history = History::default();
/// history.push(EpochRecord { epoch: 1, train_loss: 0.5, ..Default::default() });
/// history.push(EpochRecord { epoch: 2, train_loss: 0.25, ..Default::default() });
/// assert_eq!(history.last().unwrap().train_loss, 0.25);
/// assert!(history.to_csv().starts_with("epoch,train_loss,train_accuracy,"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The records, epoch 1 first.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// Appends one epoch's record.
    ///
    /// ```
    /// let mut history = tapegrad_train::History::default();
    /// history.push(Default::default());
    /// assert_eq!(history.epochs.len(), 1);
    /// ```
    pub fn push(&mut self, record: EpochRecord) {
        self.epochs.push(record);
    }

    /// The latest epoch's record.
    ///
    /// ```
    /// assert!(tapegrad_train::History::default().last().is_none());
    /// ```
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// The history as CSV with a header line; missing validation values are empty fields.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, History};
    /// let mut history = History::default();
    /// history.push(EpochRecord { epoch: 1, train_loss: 0.5, train_accuracy: 0.75, learning_rate: 0.01, ..Default::default() });
    /// assert_eq!(
    ///     history.to_csv(),
    ///     "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds\n1,0.5,0.75,,,0.01,0\n"
    /// );
    /// ```
    pub fn to_csv(&self) -> String {
        let mut csv = String::from(
            "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds\n",
        );
        let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for e in &self.epochs {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                e.epoch,
                e.train_loss,
                e.train_accuracy,
                optional(e.validation_loss),
                optional(e.validation_accuracy),
                e.learning_rate,
                e.duration.as_secs_f64()
            );
        }
        csv
    }

    /// Writes [`to_csv`](History::to_csv) to `path`, atomically (a kill leaves the old
    /// file or the new one, whole; see [`tapegrad_nn::write_atomically`]).
    ///
    /// # Errors
    /// [`TrainError::Io`] naming the path if it cannot be written.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("tapegrad-doc-history.csv");
    /// tapegrad_train::History::default().write_csv(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().starts_with("epoch,"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        let path = path.as_ref();
        write(path, self.to_csv().as_bytes())
    }
}

/// Writes a file the library produces (a history, a chart) atomically, with the policy of
/// [`tapegrad_nn::write_atomically`]: a kill leaves the old file or the new one whole.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    tapegrad_nn::write_atomically(path, bytes).map_err(|err| match err {
        tapegrad_nn::NnError::Io { source, .. } => TrainError::Io { path: path.to_path_buf(), source },
        other => TrainError::Model(other),
    })
}
