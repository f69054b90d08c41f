//! # tapegrad
//!
//! A small, fast, honest reverse-mode automatic-differentiation engine: a tape records
//! operations on n-d [`ndarray`] arrays as they run, and backpropagation is one reverse
//! loop over it. Every gradient of a composed model comes from the tape.
//!
//! This root crate re-exports the workspace crates:
//! - [`tape`] — the tape, [`Var`](tape::Var), the ops, [`Grads`](tape::Grads), the public
//!   [`gradcheck`](tape::gradcheck), graph export and traces;
//! - [`nn`] — [`Module`](nn::Module), [`Dense`](nn::Dense), activations,
//!   [`Sequential`](nn::Sequential), [`Dropout`](nn::Dropout), initialisers, a module
//!   gradient checker and safetensors weights;
//! - [`loss`] — MSE, L1, Huber, binary and categorical cross-entropy, NLL, hinge,
//!   multi-margin and KL divergence, with PyTorch's reductions;
//! - [`optim`] — SGD (momentum, Nesterov), AdaGrad, RMSprop, Adam, AdamW, L-BFGS following
//!   torch.optim's algorithms, learning-rate schedules, gradient clipping, early stopping;
//! - [`data`] — in-memory datasets with seeded shuffled batches, splits, standardisation,
//!   one-hot encoding, and CSV and MNIST IDX loaders (gzip or not);
//! - [`train`] — the training loop for classifiers with a progress bar and a history
//!   written as CSV or drawn as an SVG chart (feature `plot`, on by default).
//!
//! ```
//! use tapegrad::prelude::*;
//! use ndarray::array;
//!
//! let tape = Tape::new();
//! let x = tape.var(array![1.0, 2.0, 3.0]);
//! let loss = (x * x).sum();               // Σ x²
//! let grads = tape.backward(loss);
//! assert_eq!(grads.get(x).unwrap(), &array![2.0, 4.0, 6.0].into_dyn()); // 2x
//! ```

#![warn(missing_docs)]

pub use tapegrad_data as data;
pub use tapegrad_loss as loss;
pub use tapegrad_nn as nn;
pub use tapegrad_optim as optim;
pub use tapegrad_tape as tape;
pub use tapegrad_train as train;

/// Re-exported: initialisers and Dropout take an explicit `rand` generator.
pub use rand;

/// Re-exported: tapegrad's values are `ndarray` arrays, so a program needs only `tapegrad`
/// in its `Cargo.toml` (`use tapegrad::ndarray::array;`).
///
/// ```
/// use tapegrad::ndarray::array;
/// let tape = tapegrad::tape::Tape::new();
/// assert_eq!(tape.var(array![1.0, 2.0]).sum().item(), 3.0);
/// ```
pub use ndarray;

/// The names most programs need: `use tapegrad::prelude::*;`.
///
/// ```
/// use tapegrad::prelude::*;
/// let tape: Tape<'_, f32> = Tape::new();
/// assert!(tape.is_empty());
/// ```
pub mod prelude {
    pub use rand::rngs::StdRng;
    pub use rand::SeedableRng;
    pub use tapegrad_data::{CsvOptions, CsvTable, DataError, Dataset, Standardizer};
    pub use tapegrad_loss::{LossError, Reduction};
    pub use tapegrad_nn::{
        check_module, load_weights, save_weights, summary, BatchNorm1d, Dense, Dropout, Embedding, Frozen,
        Init, LayerNorm, LeakyReLU, LogSoftmax, Module, NnError, ReLU, Sequential, Sigmoid, Softmax, Tanh,
    };
    pub use tapegrad_optim::{
        Adagrad, Adam, AdamW, GradientClipping, Lbfgs, LineSearch, Optimizer, RmsProp, Sgd,
    };
    pub use tapegrad_tape::gradcheck::{check_gradients, numeric_gradient, GradCheck};
    pub use tapegrad_tape::{Float, Grads, Parameters, Tape, TapeError, Var};
    pub use tapegrad_train::{History, Loss, Metric, Monitor, Progress, TrainError, Trainer};
}

/// The chapters in `docs/`, compiled as doctests so their code and numbers cannot rot.
#[cfg(doctest)]
pub mod docs {
    #[doc = include_str!("../README.md")]
    pub struct Readme;
    #[doc = include_str!("../docs/01-the-tape.md")]
    pub struct TheTape;
    #[doc = include_str!("../docs/02-writing-an-op.md")]
    pub struct WritingAnOp;
    #[doc = include_str!("../docs/03-gradient-checking.md")]
    pub struct GradientChecking;
    #[doc = include_str!("../docs/04-losses-and-optimizers.md")]
    pub struct LossesAndOptimizers;
    #[doc = include_str!("../docs/05-training-an-mlp.md")]
    pub struct TrainingAnMlp;
    #[doc = include_str!("../docs/06-tables-to-models.md")]
    pub struct TablesToModels;
    #[doc = include_str!("../docs/07-gradients-of-gradients.md")]
    pub struct GradientsOfGradients;
}
