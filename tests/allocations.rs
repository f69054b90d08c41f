//! A guard on the buffer pool: once a training loop is warm, a step allocates almost
//! nothing and the live heap stays flat. `cargo bench --bench allocations` reports the
//! exact figures (W1 10 and W2 7 heap allocations a step on an AVX-512 machine, most of
//! them inside the GEMM library's packing); the bounds here leave room for other CPUs'
//! GEMM kernels, and would catch the pool breaking (W1 allocated 95 times a step before it).

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as i64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Mean allocations per step over `steps` warm steps, and the change of the live heap.
fn per_step(steps: usize, mut step: impl FnMut()) -> (f64, i64) {
    for _ in 0..20 {
        step();
    }
    let (allocations, live) = (ALLOCATIONS.load(Relaxed), LIVE_BYTES.load(Relaxed));
    for _ in 0..steps {
        step();
    }
    ((ALLOCATIONS.load(Relaxed) - allocations) as f64 / steps as f64, LIVE_BYTES.load(Relaxed) - live)
}

// One test function: the counters are process-wide, so nothing else may run beside it.
#[test]
fn a_warm_training_step_allocates_almost_nothing_and_memory_stays_flat() {
    let mut w1 = common::NnStep::new(&common::w1());
    let (allocations, growth) = per_step(200, || {
        w1.step();
    });
    assert!(allocations <= 12.0, "W1 allocates {allocations} times a step");
    assert_eq!(growth, 0, "W1's live heap grew by {growth} bytes over 200 steps");

    let mut w2 = common::NnStep::new(&common::w2());
    let (allocations, growth) = per_step(2000, || {
        w2.step();
    });
    assert!(allocations <= 10.0, "W2 allocates {allocations} times a step");
    assert_eq!(growth, 0, "W2's live heap grew by {growth} bytes over 2000 steps");

    let inference = common::NnStep::new(&common::w1());
    let (allocations, growth) = per_step(200, || {
        inference.infer();
    });
    assert!(allocations <= 4.0, "W1's inference forward allocates {allocations} times");
    assert_eq!(growth, 0);
}
