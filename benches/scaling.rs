//! W1's training step (784-h-10 ReLU, softmax cross-entropy, SGD) swept over the batch
//! size (1…1024 at h = 128) and the hidden width (16…2048 at batch 64), tapegrad's nn path
//! beside the hand-written ndarray step. Throughput is in FLOPs of the step's matrix
//! products, so criterion's "elements/s" reads as FLOP/s: where tapegrad's rate meets the
//! hand-written one, the step's cost is the arithmetic, not the framework.
//!
//!
//! The `threads` group runs every such step of at least 50 MFLOP at one thread and at two
//! (`set_num_threads`), one right after the other: issue 21's target is two threads in at
//! most 0.75× the one-thread time.
//!
//!     cargo bench --bench scaling
//!     cargo bench --bench scaling -- threads        # the thread ratios only
//!     python3 tools/criterion_table.py scaling      # the table in docs/performance.md

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use common::{HandStep, NnStep, Workload};
use tapegrad::tape::set_num_threads;

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

/// Each step of at least 50 MFLOP at one thread, then at two.
fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads (784-h-10 steps of 50 MFLOP or more)");
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    let steps = [(128, 128), (256, 128), (1024, 128), (64, 256), (64, 1024), (64, 2048)];
    for (batch, hidden) in steps {
        let w = with(batch, hidden);
        assert!(w.flops() >= 50e6, "batch {batch}, width {hidden}: under 50 MFLOP");
        group.throughput(Throughput::Elements(w.flops() as u64));
        let mut nn = NnStep::new(&w);
        for threads in [1, 2] {
            let id = BenchmarkId::new(
                format!("{threads} thread{}", if threads == 1 { "" } else { "s" }),
                format!("batch {batch}, h {hidden}"),
            );
            set_num_threads(threads);
            group.bench_function(id, |b| b.iter(|| black_box(nn.step())));
        }
        set_num_threads(1);
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

criterion_group!(benches, scaling, threads);
criterion_main!(benches);
