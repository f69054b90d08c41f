//! W1's training step (784-h-10 ReLU, softmax cross-entropy, SGD) swept over the batch
//! size (1…1024 at h = 128) and the hidden width (16…2048 at batch 64), tapegrad's nn path
//! beside the hand-written ndarray step. Throughput is in FLOPs of the step's matrix
//! products, so criterion's "elements/s" reads as FLOP/s: where tapegrad's rate meets the
//! hand-written one, the step's cost is the arithmetic, not the framework.
//!
//!     cargo bench --bench scaling
//!     python3 tools/criterion_table.py scaling      # the table in docs/performance.md

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use common::{HandStep, NnStep, Workload};

fn sweep(c: &mut Criterion, group_name: &str, workloads: Vec<(usize, Workload)>) {
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (parameter, w) in workloads {
        group.throughput(Throughput::Elements(w.flops() as u64));
        let (mut nn, mut hand) = (NnStep::new(&w), HandStep::new(&w));
        group.bench_with_input(BenchmarkId::new("tapegrad nn", parameter), &parameter, |b, _| {
            b.iter(|| black_box(nn.step()))
        });
        group.bench_with_input(BenchmarkId::new("ndarray hand-written", parameter), &parameter, |b, _| {
            b.iter(|| black_box(hand.step()))
        });
    }
    group.finish();
}

fn with(batch: usize, hidden: usize) -> Workload {
    Workload { name: "W1 sweep", sizes: vec![784, hidden, 10], batch, ..common::w1() }
}

fn scaling(c: &mut Criterion) {
    sweep(c, "scaling batch (784-128-10)", [1, 4, 16, 64, 256, 1024].map(|b| (b, with(b, 128))).to_vec());
    sweep(
        c,
        "scaling hidden (784-h-10, batch 64)",
        [16, 64, 256, 1024, 2048].map(|h| (h, with(64, h))).to_vec(),
    );
}

criterion_group!(benches, scaling);
criterion_main!(benches);
