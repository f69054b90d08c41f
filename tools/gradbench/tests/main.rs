//! tapegrad-gradbench's tests, as one binary: the protocol round trip of every module, every
//! derivative against finite differences or a closed form, and inputs that must be refused
//! with an error naming the problem. None of it reads GradBench's files: the inputs are
//! made here, small enough for an unoptimised build.

mod common;
mod derivatives;
mod hand;
mod protocol;
mod refusals;
