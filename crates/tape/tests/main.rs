//! tapegrad-tape's integration tests, as one test binary: each file here is a module.
//! (One binary per file meant a link per file; linking was most of a fresh `cargo test`.)
//! Run one file's tests with `cargo test -p tapegrad-tape --test integration <file>::`.

mod checker;
mod errors;
mod forward;
mod ops;
mod page;
mod plain_checks;
mod properties;
mod semantics;
mod stability;
mod structure;
