//! tapegrad-nn's integration tests, as one test binary: each file here is a module.
//! (One binary per file meant a link per file; linking was most of a fresh `cargo test`.)
//! Run one file's tests with `cargo test -p tapegrad-nn --test integration <file>::`.

mod graphs;
mod init;
mod layers;
mod summary;
mod weights;
