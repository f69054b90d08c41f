//! # tapegrad-optim
//!
//! Optimizers, learning-rate schedules, gradient clipping and early stopping, following
//! `torch.optim`'s documented algorithms and defaults exactly.
//!
//! | type | PyTorch | state per parameter |
//! |---|---|---|
//! | [`Sgd`] | `SGD` (momentum, dampening, Nesterov, weight decay) | momentum buffer |
//! | [`Adagrad`] | `Adagrad` | sum of squared gradients |
//! | [`RmsProp`] | `RMSprop` (momentum, centered) | square average, buffer, gradient average |
//! | [`Adam`] | `Adam` (weight decay, AMSGrad) | first and second moments |
//! | [`AdamW`] | `AdamW` (decoupled weight decay) | first and second moments |
//! | [`Lbfgs`] | `LBFGS` (fixed step or strong-Wolfe line search) | history of `(s, y)` pairs, over all parameters |
//!
//! - Every optimizer implements [`Optimizer`]: [`step`](Optimizer::step) over a
//!   [`Parameters`](tapegrad_tape::Parameters)' named arrays (every `tapegrad_nn::Module`'s) with the [`Grads`](tapegrad_tape::Grads)
//!   of a backward pass, or [`step_params`](Optimizer::step_params) over plain named arrays.
//!   The update of one parameter is a pure function, `config.update(param, grad, &mut state)`,
//!   with its algorithm as formulas in its doc; state is kept per parameter name, in plain
//!   arrays.
//! - Hyperparameters are set with chained builder methods from PyTorch's defaults; `build()`
//!   rejects what PyTorch rejects, with an [`OptimError`] naming the optimizer, the
//!   hyperparameter and the value.
//! - [`Lbfgs`] is a closure-based optimizer, as PyTorch's: its [`step`](Lbfgs::step)
//!   re-evaluates the loss and gradients as often as it needs; it works on all parameters
//!   as one flat vector ([`parameters_to_vector`], [`vector_to_parameters`],
//!   [`gradients_to_vector`], public for any second-order or quasi-Newton method).
//! - [`GradientClipping`] (by value, or by the global norm over all gradients) is a setting
//!   the optimizer applies at the start of each step.
//! - Schedules ([`StepLr`], [`ExponentialLr`], [`CosineAnnealingLr`], [`LinearLr`]) are
//!   functions of the epoch ([`LrSchedule`]); [`ReduceLrOnPlateau`] watches a metric;
//!   [`EarlyStopping`] says when to stop.
//! - [`save_state`] and [`load_state`] keep every parameter's state in a safetensors file
//!   (with step counts and the learning rate), so a run resumed from it continues bit for
//!   bit as if it had never stopped.
//!
//! ```
//! use ndarray::array;
//! use tapegrad_optim::{Adam, LrSchedule, NamedParam, Optimizer, StepLr};
//! use tapegrad_tape::Tape;
//!
//! // Fit w so that x · w ≈ y, by least squares.
//! let x = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let y = array![[2.0], [-1.0], [1.0]];
//! let mut w = array![[0.0], [0.0]];
//! let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
//! let schedule = StepLr::new(0.1, 100, 0.5).unwrap();
//! for epoch in 0..300 {
//!     schedule.apply(epoch, &mut adam);
//!     let grads = {
//!         let tape = Tape::new();
//!         let error = tape.constant(&x).matmul(&tape.param(&w)) - tape.constant(&y);
//!         tape.backward(error.square().mean())
//!     };
//!     let grad_w = grads.param(&w).unwrap();
//!     let _report = adam.step_params(&mut [NamedParam::new("w", &mut w, &grad_w)]).unwrap();
//! }
//! assert!((w[[0, 0]] - 2.0f64).abs() < 1e-3 && (w[[1, 0]] + 1.0f64).abs() < 1e-3);
//! ```

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod adagrad;
mod adam;
mod adamw;
mod clip;
mod config;
mod early_stopping;
mod elementwise;
mod error;
mod flat;
mod kernels;
mod lbfgs;
mod lbfgs_file;
mod mode;
mod optimizer;
mod plateau;
mod rmsprop;
mod schedule;
mod sgd;
mod state;
mod stateful;

pub use adagrad::{Adagrad, AdagradConfig, AdagradState};
pub use adam::{Adam, AdamConfig, AdamState};
pub use adamw::{AdamW, AdamWConfig};
pub use clip::{clip_gradients, clip_param_grads, global_grad_norm, l2_norm, GradientClipping};
pub use early_stopping::EarlyStopping;
pub use error::OptimError;
pub use flat::{gradients_to_vector, parameters_to_vector, vector_to_parameters};
pub use lbfgs::{Lbfgs, LbfgsConfig, LbfgsState, LineSearch};
pub use mode::Mode;
pub use optimizer::{NamedParam, Optimizer, StepReport, VisitNames};
pub use plateau::{ReduceLrOnPlateau, ReduceLrOnPlateauConfig, ThresholdMode};
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use schedule::{CosineAnnealingLr, ExponentialLr, LinearLr, LrSchedule, StepLr};
pub use sgd::{Sgd, SgdConfig, SgdState};
pub use state::{load_state, save_state, SavedState, StateEntry, StateError, MAX_STEP};
pub use stateful::{Stateful, UpdateRule};
