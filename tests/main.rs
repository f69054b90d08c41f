//! The workspace's end-to-end tests, as one test binary (each file a module), apart from
//! `allocations.rs`, whose counting global allocator must not count other tests.

mod crash;
mod determinism;
mod mutation;
