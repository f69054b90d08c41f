//! tapegrad-data's integration tests, as one test binary: each file here is a module.
//! (One binary per file meant a link per file; linking was most of a fresh `cargo test`.)
//! Run one file's tests with `cargo test -p tapegrad-data --test integration <file>::`.

mod common;
mod csv;
mod dataset;
mod idx;
