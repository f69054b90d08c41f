//! # tapegrad-data
//!
//! The data side of tapegrad: in-memory data sets, seeded mini-batches, splits,
//! standardisation, one-hot labels, and loaders for CSV tables and MNIST's IDX files.
//!
//! ```
//! use rand::SeedableRng;
//! use rand::rngs::StdRng;
//! use tapegrad_data::{CsvOptions, Dataset, Standardizer};
//!
//! // The bundled UCI digits: 1,797 rows of 64 pixel counts and a label, gzip-compressed.
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv.gz");
//! let digits: Dataset<f32> = CsvOptions::new().load(path)?;
//! let mut rng = StdRng::seed_from_u64(0);
//! let (train, test) = digits.split_stratified(0.2, &mut rng)?;
//! let standardizer = Standardizer::fit(train.features())?; // training statistics only
//! let (train, test) = (standardizer.transform_dataset(&train)?, standardizer.transform_dataset(&test)?);
//! assert_eq!((train.len(), test.len()), (1437, 360));
//! for _epoch in 0..2 {
//!     for batch in train.batches(32, &mut rng) {
//!         // batch.features: [32, 64] (29 rows in the last batch); batch.targets: the labels
//!         assert_eq!(batch.features.nrows(), batch.targets.len());
//!     }
//! }
//! # Ok::<(), tapegrad_data::DataError>(())
//! ```
//!
//! - [`Dataset`]: features `[samples, features]` with class labels (`Dataset<T>`) or
//!   regression targets (`Dataset<T, Array2<T>>`); shape mismatches are errors.
//! - [`Dataset::batches`]: one epoch of shuffled mini-batches from an explicit RNG (a fresh
//!   order each epoch, the same epochs for the same seed), the last partial batch kept or
//!   dropped; [`Dataset::batches_in_order`] for evaluation.
//! - [`Dataset::split`] and [`Dataset::split_stratified`]: seeded train/test splits.
//! - [`Standardizer`]: per-feature mean and standard deviation fitted on training data;
//!   constant features are centred, not divided by zero.
//! - [`one_hot`] and [`Dataset::one_hot`]: labels as one-hot rows.
//! - [`CsvOptions`]: CSV tables as published (a header or scikit-learn's count line, any
//!   delimiter, comments, skipped lines), plain or gzip; columns chosen by name or index;
//!   class labels, regression targets or a bare matrix; categorical text columns as indices
//!   and missing values dropped on request, both kept in a [`CsvTable`]; every bad field an
//!   error naming file, line and column.
//! - [`read_idx_labels`], [`read_idx_images`], [`load_idx`] and [`load_mnist`]: MNIST's
//!   IDX files, plain or gzip, with damaged files reported by offset.
//! - [`DataError`]: the one error type.
//!
//! The element type is tapegrad's [`Float`](tapegrad_tape::Float) (f32 or f64), so data
//! and models agree on it.

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod batches;
mod csv;
mod dataset;
mod error;
mod gzip;
mod idx;
mod mnist;
mod one_hot;
mod split;
mod standardize;

pub use batches::{Batch, Batches};
pub use csv::{Column, CsvOptions, CsvProblem, CsvTable, TableTargets, MAX_CSV_DECOMPRESSED};
pub use dataset::{Dataset, Targets, MAX_CLASSES};
pub use error::{DataError, IdxProblem};
pub use idx::{load_idx, read_idx_images, read_idx_labels};
pub use mnist::load_mnist;
pub use one_hot::one_hot;
pub use standardize::Standardizer;
