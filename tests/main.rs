//! The workspace's end-to-end tests, as one test binary (each file a module), apart from
//! `allocations.rs` and `mutation.rs`: each counts heap use with its own global allocator,
//! which must not count other tests' allocations.

mod crash;
mod determinism;
