//! One training step of the three MLP workloads (W1, W2, W3 in `docs/performance.md`),
//! written three ways in one group each: tapegrad's idiomatic nn path, its raw tape ops,
//! and the same arithmetic hand-written with ndarray and preallocated buffers. Compare
//! times within a group (one run, one machine), not across machines.
//!
//!     cargo bench --bench mlp
//!     TAPEGRAD_NUM_THREADS=2 cargo bench --bench mlp -- W3   # the opt-in threads
//!
//! Before timing, each group checks that the three start from the same loss.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use common::{HandStep, NnStep, TapeStep, Workload};

fn bench_workload(c: &mut Criterion, w: Workload) {
    let (mut nn, mut tape, mut hand) = (NnStep::new(&w), TapeStep::new(&w), HandStep::new(&w));
    let first = [nn.step(), tape.step(), hand.step()];
    assert!(
        first.iter().all(|&loss| (loss - first[2]).abs() <= 1e-5 * first[2].abs().max(1.0)),
        "{}: the three steps start from different losses {first:?}",
        w.name
    );
    println!("{}: first loss {:.6}", w.name, first[0]);
    let mut group = c.benchmark_group(w.name);
    group.bench_function("tapegrad nn", |b| b.iter(|| black_box(nn.step())));
    group.bench_function("tapegrad tape", |b| b.iter(|| black_box(tape.step())));
    group.bench_function("ndarray hand-written", |b| b.iter(|| black_box(hand.step())));
    group.finish();
}

fn mlp(c: &mut Criterion) {
    bench_workload(c, common::w1());
    bench_workload(c, common::w2());
    bench_workload(c, common::w3());
}

criterion_group!(benches, mlp);
criterion_main!(benches);
