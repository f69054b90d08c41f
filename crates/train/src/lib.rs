//! # tapegrad-train
//!
//! The training loop for classifiers, so a program is data, a model, an optimizer and one
//! call: [`Trainer::fit`] runs epochs of shuffled mini-batches, shows a progress bar on a
//! terminal, evaluates on a held-out set, and returns a [`History`] that can be written as
//! CSV or (with the `plot` feature) drawn as an SVG line chart.

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod diagnostics;
mod error;
mod evaluate;
mod history;
#[cfg(feature = "plot")]
mod plot;
mod trainer;

pub use diagnostics::{Diagnostics, ParamDiagnostics};
pub use error::TrainError;
pub use evaluate::evaluate;
pub use history::{EpochRecord, History};
#[cfg(feature = "plot")]
pub use plot::write_decision_boundary_svg;
pub use trainer::{OnNonFinite, Progress, Trainer};
