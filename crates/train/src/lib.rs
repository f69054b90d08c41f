//! # tapegrad-train
//!
//! The training loop, so a program is data, a model, an optimizer and one call:
//! [`Trainer::fit`] runs epochs of shuffled mini-batches for a classifier (class labels) or
//! a regressor (rows of values), with any [`Loss`] (or a loss function of your own) and the
//! [`Metric`]s you choose, shows a progress bar on a terminal, evaluates on a held-out set,
//! keeps or checkpoints the best epoch, stops early when asked, and returns a [`History`]
//! that can be written as CSV or (with the `plot` feature) drawn as an SVG chart of the
//! metrics it has.

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod checkpoint;
mod diagnostics;
mod error;
mod evaluate;
mod fit;
mod history;
mod metric;
mod page;
mod plane;
#[cfg(feature = "plot")]
mod plot;
mod run;
mod trainer;

pub use diagnostics::{Diagnostics, ParamDiagnostics};
pub use error::TrainError;
pub use evaluate::{evaluate, evaluate_with, predict, predict_classes};
pub use fit::EpochEnd;
pub use history::{EpochRecord, History};
pub use metric::{Loss, Metric, Monitor, TrainTargets};
pub use page::TrainingPage;
#[cfg(feature = "plot")]
pub use plot::write_decision_boundary_svg;
pub use trainer::{OnNonFinite, Progress, Trainer};
