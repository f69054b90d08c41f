//! Forward against reverse mode (issue 24): the full Jacobian of a function with 1 input
//! and 100 outputs, and the full gradient of one with 100 inputs and 1 output, each both
//! ways. Forward mode costs a sweep per input, reverse a pass per output, so each mode
//! should win its own case by a large factor: the ratios, measured in one run, are what
//! docs/performance.md records.
//!
//! Both functions are a small elementwise chain over a vector of 100,
//! `y = tanh(t·c + sin(t·c))·c` with `c` fixed; the curve takes a scalar `t` broadcast to
//! 100 outputs, the field sums `y` over 100 inputs.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapegrad::ndarray::{Array1, ArrayD};
use tapegrad::prelude::*;

const N: usize = 100;

fn coefficients() -> Array1<f64> {
    Array1::from_shape_fn(N, |i| 0.5 + i as f64 / N as f64)
}

fn chain<'t>(x: Var<'t, f64>, c: Var<'t, f64>) -> Var<'t, f64> {
    let z = x * c;
    (z + z.sin()).tanh() * c
}

fn modes(criterion: &mut Criterion) {
    let c = coefficients();
    let mut group = criterion.benchmark_group("modes");
    // ℝ → ℝ¹⁰⁰: one forward sweep against 100 reverse passes.
    group.bench_function("curve 1 → 100, forward (jacobian_forward)", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let t = tape.var(ndarray::array![0.7]);
            let y = chain(t, tape.constant(&c));
            black_box(tape.jacobian_forward(y, t).unwrap())
        })
    });
    group.bench_function("curve 1 → 100, reverse (a grad per output)", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let t = tape.var(ndarray::array![0.7]);
            let y = chain(t, tape.constant(&c));
            let rows: Vec<ArrayD<f64>> = (0..N)
                .map(|j| tape.grad(y.slice_axis(0, j..j + 1).sum(), &[t], false).unwrap()[0].value())
                .collect();
            black_box(rows)
        })
    });
    // ℝ¹⁰⁰ → ℝ: one reverse pass against 100 forward sweeps.
    let x0 = Array1::from_shape_fn(N, |i| (i as f64 * 0.1).cos());
    group.bench_function("field 100 → 1, reverse (backward)", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let x = tape.var(&x0);
            let y = chain(x, tape.constant(&c)).sum();
            black_box(tape.backward(y).get(x).unwrap().to_owned())
        })
    });
    group.bench_function("field 100 → 1, forward (a jvp per input)", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let x = tape.var(&x0);
            let y = chain(x, tape.constant(&c)).sum();
            black_box(tape.jacobian_forward(y, x).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, modes);
criterion_main!(benches);
