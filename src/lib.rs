//! # tapegrad
//!
//! A small, fast, honest reverse-mode automatic-differentiation engine: a tape records
//! operations on n-d [`ndarray`] arrays as they run, and backpropagation is one reverse
//! loop over it. Every gradient of a composed model comes from the tape.
//!
//! This root crate re-exports the workspace crates:
//! - [`tape`] — the tape, [`Var`](tape::Var), the ops, [`Grads`](tape::Grads), the public
//!   [`gradcheck`](tape::gradcheck), graph export and traces.
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

pub use tapegrad_tape as tape;

/// The names most programs need: `use tapegrad::prelude::*;`.
///
/// ```
/// use tapegrad::prelude::*;
/// let tape: Tape<'_, f32> = Tape::new();
/// assert!(tape.is_empty());
/// ```
pub mod prelude {
    pub use tapegrad_tape::gradcheck::{check_gradients, numeric_gradient, GradCheck};
    pub use tapegrad_tape::{Float, Grads, Tape, TapeError, Var};
}

/// The chapters in `docs/`, compiled as doctests so their code and numbers cannot rot.
#[cfg(doctest)]
pub mod docs {
    #[doc = include_str!("../README.md")]
    pub struct Readme;
    #[doc = include_str!("../docs/01-the-tape.md")]
    pub struct TheTape;
}
