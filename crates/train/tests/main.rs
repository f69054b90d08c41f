//! tapegrad-train's integration tests, as one test binary: each file here is a module.
//! (One binary per file meant a link per file; linking was most of a fresh `cargo test`.)
//! Run one file's tests with `cargo test -p tapegrad-train --test integration <file>::`.

mod checkpoints;
mod diagnostics;
mod optimizer_state;
mod page;
mod plot;
mod trainer;
