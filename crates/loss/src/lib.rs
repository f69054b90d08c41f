//! # tapegrad-loss
//!
//! Loss functions over tape [`Var`](tapegrad_tape::Var)s, as free functions that follow
//! PyTorch's definitions and `reduction` argument. Each is composed from the tape's ops,
//! so its gradient comes from the tape, with one exception: [`cross_entropy`] with
//! integer labels is one fused op for speed, whose backward is written by hand as the
//! composed form computes it (the same numbers bit for bit, a test holds it to that, and
//! its second derivative is recorded from tape ops).
//!
//! | function | PyTorch | input, target |
//! |---|---|---|
//! | [`mse`] | `MSELoss` | prediction, target of the same shape |
//! | [`l1`] | `L1Loss` | prediction, target |
//! | [`huber`] | `HuberLoss(delta)` | prediction, target |
//! | [`binary_cross_entropy`] | `BCELoss` | probabilities, targets in `[0, 1]` |
//! | [`binary_cross_entropy_with_logits`] | `BCEWithLogitsLoss` | logits, targets in `[0, 1]` |
//! | [`cross_entropy`] | `CrossEntropyLoss` | logits `[batch, classes]`, labels `&[usize]` |
//! | [`cross_entropy_probs`] | `CrossEntropyLoss` (probability targets) | logits, distributions of the same shape |
//! | [`nll`] | `NLLLoss` | log-probabilities `[batch, classes]`, labels |
//! | [`hinge`] | — (`mean(max(0, 1 − y·s))`) | scores, labels ±1 of the same shape |
//! | [`multi_margin`] | `MultiMarginLoss` | logits `[batch, classes]`, labels |
//! | [`kl_div`] | `KLDivLoss` | log-probabilities, probabilities |
//!
//! Conventions:
//! - Every loss takes a [`Reduction`] last: `Mean` (the default), `Sum`, `None`, and
//!   `BatchMean` (PyTorch's `'batchmean'`, meant for [`kl_div`]).
//! - Classification losses take logits, not probabilities, and integer labels; they go
//!   through the stable `log_softmax`, so logits of ±1000 stay finite.
//! - Targets and labels come from outside the model, so bad ones (a label `≥` the number
//!   of classes, a shape mismatch, a hinge label that is not ±1, …) are a [`LossError`]
//!   naming the loss and the offending element; losses never panic on them.
//! - Generic over the element type: `f32` to train, `f64` to check gradients.
//!
//! ```
//! use ndarray::array;
//! use tapegrad_loss::{cross_entropy, Reduction};
//! use tapegrad_tape::Tape;
//!
//! // One training step's loss: a linear model's logits for 2 samples and 3 classes.
//! let weight = array![[0.1f32, -0.2, 0.3], [0.0, 0.5, -0.5]];
//! let tape = Tape::new();
//! let x = tape.constant(array![[1.0f32, 2.0], [-1.0, 0.5]]);
//! let logits = x.matmul(&tape.param(&weight));
//! let loss = cross_entropy(logits, &[2, 0], Reduction::Mean)?;
//! let grads = tape.backward(loss);
//! assert_eq!(grads.param(&weight).unwrap().shape(), &[2, 3]);
//! # Ok::<(), tapegrad_loss::LossError>(())
//! ```

#![warn(missing_docs, clippy::missing_panics_doc, clippy::missing_errors_doc)]

mod binary;
mod cross_entropy;
mod error;
mod hinge;
mod kl;
mod reduction;
mod regression;
mod softmax_cross_entropy;

pub use binary::{binary_cross_entropy, binary_cross_entropy_with_logits};
pub use cross_entropy::{cross_entropy, cross_entropy_probs, nll};
pub use error::LossError;
pub use hinge::{hinge, multi_margin};
pub use kl::kl_div;
pub use reduction::Reduction;
pub use regression::{huber, l1, mse};
