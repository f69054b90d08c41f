//! Forward-only batches of W1's model (784-128-10 ReLU, batch 64): `Sequential::forward` on
//! an inference tape (`Tape::inference()`: values only, nothing recorded for backward)
//! against the same forward pass hand-written with ndarray into preallocated buffers.
//!
//!     cargo bench --bench inference

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use common::{HandStep, NnStep};

fn inference(c: &mut Criterion) {
    let w = common::w1();
    let (nn, mut hand) = (NnStep::new(&w), HandStep::new(&w));
    hand.forward();
    assert!((nn.infer() - hand.output()).abs() < 1e-5, "the two forward passes disagree");
    let mut group = c.benchmark_group("inference W1 784-128-10");
    group.bench_function("tapegrad inference tape", |b| b.iter(|| black_box(nn.infer())));
    group.bench_function("ndarray hand-written", |b| {
        b.iter(|| {
            hand.forward();
            black_box(hand.output())
        })
    });
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
