//! Heap allocations per training step, counted by a counting global allocator (not a
//! timing: the counts are exact and repeatable), and the live heap over many steps.
//!
//!     cargo bench --bench allocations
//!
//! Each workload warms up (the buffer pool fills), then counts the allocations of 200
//! steps and reports the mean per step, and the bytes the process holds after the warm-up
//! and after many more steps: a flat figure means nothing grows.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use tapegrad::prelude::*;

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn count(bytes: i64) {
    ALLOCATIONS.fetch_add(1, Relaxed);
    ALLOCATED_BYTES.fetch_add(bytes.max(0) as u64, Relaxed);
    LIVE_BYTES.fetch_add(bytes, Relaxed);
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Warm up, count 200 steps, then run `long` more and compare the live heap.
fn measure(name: &str, long: usize, mut step: impl FnMut()) {
    for _ in 0..50 {
        step();
    }
    let (before, bytes_before) = (ALLOCATIONS.load(Relaxed), ALLOCATED_BYTES.load(Relaxed));
    for _ in 0..200 {
        step();
    }
    let per_step = (ALLOCATIONS.load(Relaxed) - before) as f64 / 200.0;
    let bytes_per_step = (ALLOCATED_BYTES.load(Relaxed) - bytes_before) as f64 / 200.0;
    let live_warm = LIVE_BYTES.load(Relaxed);
    for _ in 0..long {
        step();
    }
    let live_after = LIVE_BYTES.load(Relaxed);
    println!(
        "| {name} | {per_step:.1} | {bytes_per_step:.0} | {live_warm} | {long} | {live_after} | {:+} |",
        live_after - live_warm
    );
}

fn main() {
    println!("| workload | allocations / step | bytes allocated / step | live heap after warm-up | more steps | live heap after them | change |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (w, long) in [(common::w1(), 10_000), (common::w2(), 100_000), (common::w3(), 500)] {
        let mut nn = common::NnStep::new(&w);
        measure(&format!("{} nn path", w.name), long, || {
            black_box(nn.step());
        });
        let mut tape = common::TapeStep::new(&w);
        measure(&format!("{} raw tape", w.name), long / 10, || {
            black_box(tape.step());
        });
        let mut hand = common::HandStep::new(&w);
        measure(&format!("{} hand-written ndarray", w.name), long / 10, || {
            black_box(hand.step());
        });
    }
    let model = common::scalar::mlp();
    measure("W4 scalar graph (forward + backward)", 100_000, || {
        let tape = Tape::new();
        let loss = common::scalar::tape_loss(&tape, &model);
        black_box(tape.backward(loss));
    });
    let nn = common::NnStep::new(&common::w1());
    measure("W1 inference (forward on an inference tape)", 10_000, || {
        black_box(nn.infer());
    });
}
