//! `History`: one record per epoch (losses, metrics, time, learning rate), written as
//! CSV for spreadsheets and, with the `plot` feature, drawn as an SVG line chart.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::{Diagnostics, Metric, TrainError};

/// What one epoch measured. Validation fields are empty when no validation set was given.
///
/// ```
/// use tapegrad_train::{EpochRecord, Metric};
/// let epoch = EpochRecord {
///     epoch: 1,
///     train_loss: 0.5,
///     train_metrics: vec![(Metric::Accuracy, 0.8)],
///     ..Default::default()
/// };
/// assert_eq!(epoch.train_accuracy(), Some(0.8));
/// assert_eq!((epoch.validation_loss, epoch.validation_accuracy()), (None, None));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochRecord {
    /// The epoch number, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// The metrics on the training batches during the epoch (as the weights were when
    /// each batch was seen), in the order they were asked for.
    pub train_metrics: Vec<(Metric, f64)>,
    /// The loss on the validation set after the epoch.
    pub validation_loss: Option<f64>,
    /// The metrics on the validation set after the epoch (empty without one).
    pub validation_metrics: Vec<(Metric, f64)>,
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

impl EpochRecord {
    /// A metric on the training batches, if it was measured.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, Metric};
    /// let record = EpochRecord { train_metrics: vec![(Metric::R2, 0.5)], ..Default::default() };
    /// assert_eq!((record.train_metric(Metric::R2), record.train_metric(Metric::Mae)), (Some(0.5), None));
    /// ```
    pub fn train_metric(&self, metric: Metric) -> Option<f64> {
        self.train_metrics.iter().find(|(m, _)| *m == metric).map(|&(_, value)| value)
    }

    /// A metric on the validation set, if it was measured.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, Metric};
    /// let record = EpochRecord { validation_metrics: vec![(Metric::Mae, 2.0)], ..Default::default() };
    /// assert_eq!(record.validation_metric(Metric::Mae), Some(2.0));
    /// ```
    pub fn validation_metric(&self, metric: Metric) -> Option<f64> {
        self.validation_metrics.iter().find(|(m, _)| *m == metric).map(|&(_, value)| value)
    }

    /// The training accuracy, for a classifier.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::EpochRecord::default().train_accuracy(), None);
    /// ```
    pub fn train_accuracy(&self) -> Option<f64> {
        self.train_metric(Metric::Accuracy)
    }

    /// The validation accuracy, for a classifier with a validation set.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::EpochRecord::default().validation_accuracy(), None);
    /// ```
    pub fn validation_accuracy(&self) -> Option<f64> {
        self.validation_metric(Metric::Accuracy)
    }
}

/// Every epoch's record, in order.
///
/// ```
/// use tapegrad_train::{EpochRecord, History};
/// let mut history = History::default();
/// history.push(EpochRecord { epoch: 1, train_loss: 0.5, ..Default::default() });
/// history.push(EpochRecord { epoch: 2, train_loss: 0.25, ..Default::default() });
/// assert_eq!(history.last().unwrap().train_loss, 0.25);
/// assert!(history.to_csv().starts_with("epoch,train_loss,validation_loss,"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The records, epoch 1 first.
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose monitored value ([`Trainer::monitor`](crate::Trainer::monitor):
    /// the validation loss by default, the training loss without validation data) was the
    /// best, as [`Trainer`](crate::Trainer) judged it; `None` until an epoch has run (or
    /// in a history read from CSV).
    pub best_epoch: Option<usize>,
    /// Whether training ended before its last epoch: early stopping, or a callback that
    /// returned `false`.
    pub stopped_early: bool,
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

    /// The metrics any epoch measured, in the order first seen.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, History, Metric};
    /// let mut history = History::default();
    /// history.push(EpochRecord { train_metrics: vec![(Metric::Mae, 1.0), (Metric::R2, 0.1)], ..Default::default() });
    /// assert_eq!(history.metrics(), [Metric::Mae, Metric::R2]);
    /// ```
    pub fn metrics(&self) -> Vec<Metric> {
        let mut metrics: Vec<Metric> = Vec::new();
        for (metric, _) in
            self.epochs.iter().flat_map(|e| e.train_metrics.iter().chain(&e.validation_metrics))
        {
            if !metrics.contains(metric) {
                metrics.push(*metric);
            }
        }
        metrics
    }

    /// The history as CSV with a header line: the epoch, the training loss and each
    /// metric, the validation loss and each metric, the learning rate and the seconds the
    /// epoch took. Values not measured are empty fields.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, History, Metric};
    /// let mut history = History::default();
    /// history.push(EpochRecord {
    ///     epoch: 1,
    ///     train_loss: 0.5,
    ///     train_metrics: vec![(Metric::Accuracy, 0.75)],
    ///     learning_rate: 0.01,
    ///     ..Default::default()
    /// });
    /// assert_eq!(
    ///     history.to_csv(),
    ///     "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds\n1,0.5,0.75,,,0.01,0\n"
    /// );
    /// ```
    pub fn to_csv(&self) -> String {
        let metrics = self.metrics();
        let mut csv = String::from("epoch,train_loss");
        for metric in &metrics {
            let _ = write!(csv, ",train_{metric}");
        }
        csv.push_str(",validation_loss");
        for metric in &metrics {
            let _ = write!(csv, ",validation_{metric}");
        }
        csv.push_str(",learning_rate,seconds\n");
        let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for e in &self.epochs {
            let _ = write!(csv, "{},{}", e.epoch, e.train_loss);
            for &metric in &metrics {
                let _ = write!(csv, ",{}", optional(e.train_metric(metric)));
            }
            let _ = write!(csv, ",{}", optional(e.validation_loss));
            for &metric in &metrics {
                let _ = write!(csv, ",{}", optional(e.validation_metric(metric)));
            }
            let _ = writeln!(csv, ",{},{}", e.learning_rate, e.duration.as_secs_f64());
        }
        csv
    }

    /// Reads a history written by [`to_csv`](History::to_csv) (a checkpoint keeps one to
    /// resume from). Durations come back from their seconds; diagnostics and skipped-batch
    /// counts are not in the CSV, so they come back empty.
    ///
    /// # Errors
    /// [`TrainError::HistoryCsv`] naming the line and what is wrong: an unknown column, a
    /// field that is not a number, a row of another width.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, History, Metric};
    /// let mut history = History::default();
    /// history.push(EpochRecord {
    ///     epoch: 1,
    ///     train_loss: 0.1 + 0.2,
    ///     train_metrics: vec![(Metric::R2, 0.5)],
    ///     validation_loss: Some(1.0 / 3.0),
    ///     validation_metrics: vec![(Metric::R2, 0.25)],
    ///     learning_rate: 1e-3,
    ///     ..Default::default()
    /// });
    /// assert_eq!(History::from_csv(&history.to_csv())?, history); // every f64 exactly
    /// assert!(History::from_csv("epoch,speed\n1,2\n").is_err());
    /// # Ok::<(), tapegrad_train::TrainError>(())
    /// ```
    pub fn from_csv(text: &str) -> Result<History, TrainError> {
        let mut lines = text.lines().enumerate();
        let error = |line: usize, reason: String| TrainError::HistoryCsv { line: line + 1, reason };
        let Some((_, header)) = lines.next() else { return Ok(History::default()) };
        let columns: Vec<&str> = header.split(',').collect();
        let metric = |name: &str| {
            [Metric::Accuracy, Metric::Mse, Metric::Mae, Metric::R2].into_iter().find(|m| m.name() == name)
        };
        for column in &columns {
            let known =
                matches!(*column, "epoch" | "train_loss" | "validation_loss" | "learning_rate" | "seconds")
                    || column.strip_prefix("train_").and_then(metric).is_some()
                    || column.strip_prefix("validation_").and_then(metric).is_some();
            if !known {
                return Err(error(0, format!("unknown column `{column}`")));
            }
        }
        let mut history = History::default();
        for (index, line) in lines {
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != columns.len() {
                return Err(error(
                    index,
                    format!("{} fields, the header has {}", fields.len(), columns.len()),
                ));
            }
            let mut record = EpochRecord::default();
            for (column, field) in columns.iter().zip(&fields) {
                if field.is_empty() {
                    continue;
                }
                let value: f64 = field
                    .parse()
                    .map_err(|_| error(index, format!("`{field}` in column `{column}` is not a number")))?;
                match *column {
                    "epoch" => {
                        record.epoch = field
                            .parse()
                            .map_err(|_| error(index, format!("epoch `{field}` is not a whole number")))?
                    }
                    "train_loss" => record.train_loss = value,
                    "validation_loss" => record.validation_loss = Some(value),
                    "learning_rate" => record.learning_rate = value,
                    "seconds" => {
                        record.duration = Duration::try_from_secs_f64(value)
                            .map_err(|_| error(index, format!("{value} is not a duration in seconds")))?
                    }
                    other => match (other.strip_prefix("train_"), other.strip_prefix("validation_")) {
                        (Some(name), _) => record.train_metrics.extend(metric(name).map(|m| (m, value))),
                        (_, Some(name)) => record.validation_metrics.extend(metric(name).map(|m| (m, value))),
                        _ => {}
                    },
                }
            }
            history.push(record);
        }
        Ok(history)
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
        tapegrad_tape::FileError::Io { source, .. } => TrainError::Io { path: path.to_path_buf(), source },
        other => TrainError::Model(other.into()),
    })
}
