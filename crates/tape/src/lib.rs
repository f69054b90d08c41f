//! # tapegrad-tape
//!
//! Reverse-mode automatic differentiation over n-d arrays: a tape (Wengert list) that
//! records each operation as it runs on [`ndarray`] arrays, and a backward pass that is
//! one reverse loop over it.
//!
//! ```
//! use ndarray::array;
//! use tapegrad_tape::Tape;
//!
//! // A neuron: y = tanh(x · w + b), with the gradient of y for every input.
//! let w = array![[-3.0], [1.0]];
//! let b = array![6.8813735870195432];
//! let tape = Tape::new();
//! let x = tape.constant(array![[2.0, 0.0]]);
//! let y = x.matmul(&tape.param(&w)).add(&tape.param(&b)).tanh().sum();
//! let grads = tape.backward(y);
//! assert!((y.item() - 0.7071f64).abs() < 1e-4);
//! // ∂y/∂w = xᵀ · (1 − y²) = [[2 · 0.5], [0 · 0.5]]
//! let grad_w = grads.param(&w).unwrap();
//! assert!((grad_w[[0, 0]] - 1.0f64).abs() < 1e-6 && grad_w[[1, 0]] == 0.0);
//! ```
//!
//! - [`Tape`] records; [`Var`] is a copyable handle to a recorded value with the ops as
//!   methods and operators; [`Grads`] is the gradient store `backward` returns.
//! - [`Op`] is the trait every operation implements (forward and backward side by side);
//!   implement it to add your own.
//! - [`gradcheck`] checks gradients against finite differences in f64, per input element
//!   or per recorded op, and explains any disagreement.
//! - [`Tape::grad`] records the backward pass for gradients of gradients; Jacobians,
//!   Hessians and their products build on it, and [`Tape::batch_jacobian`],
//!   [`Tape::grad_and_hessian_diagonal`] and [`Tape::jacobian_times`] use known structure
//!   to take fewer passes. [`special`] has `ln Γ` for the constants of log-densities.
//! - [`Tape::to_dot`] draws the graph for Graphviz; [`Tape::backward_trace`] writes out
//!   the backward pass step by step.

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod anomaly;
mod atomic;
mod backward;
mod error;
mod float;
mod forward;
mod gemm;
pub mod gradcheck;
mod grads;
mod graph;
mod higher;
mod html;
mod inspect;
mod kernels;
mod math;
mod ops;
mod parameters;
mod params;
mod pool;
// Compiles the ops for f32 and f64 in this crate, for the crates that use them (see there).
#[cfg(all(debug_assertions, not(test)))]
#[doc(hidden)]
pub mod prebuilt;
mod shape;
mod show;
pub mod special;
mod store;
mod structured;
mod tape;
mod tensor_file;
mod threads;
mod value;
mod var;

pub use anomaly::{Anomaly, Pass};
pub use atomic::write_atomically;
pub use backward::{Trace, TraceStep};
pub use error::{FileError, TapeError};
pub use float::{Float, FloatKind};
pub use gradcheck::BranchSignature;
pub use grads::Grads;
pub use ops::{
    broadcast_shape, linear_tangent, sum_all, sum_to_shape, Binary, BinaryFn, InputGrads, Op, ScalarGrads,
    Triangle, Unary, UnaryFn, VarGrads,
};
pub use parameters::{selects, Parameters};
pub use pool::{recycle, zeros as pooled_zeros};
pub use shape::checked_size;
pub use tape::{NodeKind, Tape};
pub use tensor_file::{
    dtype_name, read_regular_file, read_tensors, write_finite_tensors, write_tensors, StoredTensor,
};
pub use threads::{for_each_part, num_threads, set_num_threads, Split};
pub use value::Value;
pub use var::{Var, VarId};

/// Re-exported so `Op` implementations can name `ArrayD`/`ArrayViewD` without a direct
/// dependency.
pub use ndarray;
/// Re-exported so `Op` implementations can build [`InputGrads`]/[`ScalarGrads`] without a
/// direct dependency.
pub use smallvec;
