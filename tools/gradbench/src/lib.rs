//! # tapegrad-gradbench
//!
//! tapegrad as a tool for [GradBench](https://github.com/gradbench/gradbench), the field's
//! public automatic-differentiation benchmark: a program that speaks its JSON-lines
//! protocol ([`protocol`]) and evaluates each eval's functions ([`evals`]) with tapegrad's
//! public API. The programs are GradBench's, not ours: recursion (`det`), loops (`ode`,
//! `lstm`), mixtures (`gmm`), Hessians (`kmeans`), nested derivatives (`saddle`,
//! `particle`) and large sparse Jacobians (`ba`, `ht`). Every derivative comes from the
//! tape; nothing is derived by hand.
//!
//! ```
//! use tapegrad_gradbench::protocol::respond;
//! let reply = respond(r#"{"id": 7, "kind": "evaluate", "module": "lse", "function": "gradient",
//!                        "input": {"x": [0.0, 0.0], "min_runs": 1, "min_seconds": 0}}"#);
//! // ∇ log(eˣ⁰ + eˣ¹) at (0, 0) is the softmax (½, ½)
//! assert!(reply.contains(r#""output":[0.5,0.5]"#), "{reply}");
//! ```

#![warn(missing_docs)]

pub mod evals;
pub mod input;
pub mod protocol;
