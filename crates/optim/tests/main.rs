//! tapegrad-optim's integration tests, as one test binary: each file here is a module.
//! (One binary per file meant a link per file; linking was most of a fresh `cargo test`.)
//! Run one file's tests with `cargo test -p tapegrad-optim --test integration <file>::`.

mod clipping;
mod common;
mod early_stopping;
mod errors;
mod hand_derived;
mod layouts;
mod lbfgs;
mod schedules;
mod torch_lbfgs;
mod torch_reference;
mod training;
