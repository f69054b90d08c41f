//! # tapegrad-nn
//!
//! Neural-network layers on the tapegrad tape. A [`Module`] owns its parameters as
//! plain `ndarray` arrays; its `forward` borrows them onto a tape (no copy), so every
//! gradient comes from the tape.
//!
//! - [`Dense`] (weight `[in, out]`, `y = x · W + b`), the activations [`ReLU`],
//!   [`LeakyReLU`], [`Tanh`], [`Sigmoid`], [`SiLU`], [`GELU`], [`Softmax`], [`LogSoftmax`], [`Dropout`],
//!   [`LayerNorm`], [`BatchNorm1d`] (running statistics as buffers), [`Embedding`], and
//!   [`Sequential`] to stack them;
//! - [`Frozen`]: a module whose parameters (all, or the named ones) keep their values
//!   while the rest trains; gradients still flow through it;
//! - [`Init`]: Xavier/Glorot and He/Kaiming initialisers, each from an explicit RNG;
//! - [`check_module`]: a whole model's gradients against finite differences;
//! - [`save_weights`]/[`load_weights`]: safetensors files, written atomically and
//!   validated in full on load.

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod activation;
mod check;
mod dense;
mod dropout;
mod embedding;
mod error;
mod frozen;
mod init;
mod module;
mod norm;
mod sequential;
mod summary;
mod weights;

pub use activation::{GeluApproximation, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh, GELU};
pub use check::check_module;
pub use dense::Dense;
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use error::NnError;
pub use frozen::Frozen;
pub use init::Init;
pub use module::{
    assign_buffers, assign_random_states, copy_buffers, copy_random_states, name_params, visit_child,
    visit_child_buffers, visit_child_buffers_mut, visit_child_mut, visit_child_random_states,
    visit_children_params, visit_children_params_mut, Module, RandomState,
};
pub use norm::{BatchNorm1d, LayerNorm};
pub use sequential::Sequential;
pub use summary::{summary, Summary, SummaryRow};
// The tensor files and atomic writes live in `tapegrad-tape` (so that `tapegrad-optim`
// needs no layers); re-exported here, where weights are saved. (A plain comment: a doc
// comment on a `pub use` is prepended to each item's page.)
pub use tapegrad_tape::{
    read_tensors, write_atomically, write_finite_tensors, write_tensors, Parameters, StoredTensor,
};
pub use weights::{assign_weights, check_weights, copy_params, load_weights, save_weights};
