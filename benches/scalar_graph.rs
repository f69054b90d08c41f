//! A micrograd-style scalar graph: the MLP of micrograd's README (3 → 4 → 4 → 1, tanh
//! on the hidden layers) on its 4 samples, built from 0-d values one multiply and add at
//! a time, then differentiated. Reports time per forward+backward; divide by the node
//! count printed at start-up for ns per node (criterion's "elements" throughput is nodes).
//!
//! Beside it, the same arithmetic with plain `f64` and a hand-derived backward, so the
//! tape's overhead on a scalar graph is a ratio measured in one run; and the tape with
//! anomaly detection on, its price when asked for.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use tapegrad::prelude::*;

use common::scalar::{mlp, tape_loss, Mlp, SIZES, XS, YS};

/// The same loss and its gradient with plain f64 and a hand-derived backward pass.
fn hand_loss_and_grads(
    w: &[Vec<Vec<f64>>],
    b: &[Vec<f64>],
    gw: &mut [Vec<Vec<f64>>],
    gb: &mut [Vec<f64>],
) -> f64 {
    let mut loss = 0.0;
    for (x, &y) in XS.iter().zip(&YS) {
        let mut acts: Vec<Vec<f64>> = vec![x.to_vec()];
        for (layer, (wl, bl)) in w.iter().zip(b).enumerate() {
            let input = acts.last().unwrap();
            let out: Vec<f64> = wl
                .iter()
                .zip(bl)
                .map(|(wn, bn)| {
                    let s = bn + wn.iter().zip(input).map(|(a, b)| a * b).sum::<f64>();
                    if layer + 2 < SIZES.len() {
                        s.tanh()
                    } else {
                        s
                    }
                })
                .collect();
            acts.push(out);
        }
        let out = acts.last().unwrap()[0];
        loss += (out - y) * (out - y);
        let mut grad = vec![2.0 * (out - y)];
        for layer in (0..w.len()).rev() {
            let hidden = layer + 2 < SIZES.len();
            let (input, output) = (&acts[layer], &acts[layer + 1]);
            let grad_pre: Vec<f64> =
                grad.iter().zip(output).map(|(g, o)| if hidden { g * (1.0 - o * o) } else { *g }).collect();
            let mut grad_in = vec![0.0; input.len()];
            for (n, gp) in grad_pre.iter().enumerate() {
                gb[layer][n] += gp;
                for (i, xi) in input.iter().enumerate() {
                    gw[layer][n][i] += gp * xi;
                    grad_in[i] += gp * w[layer][n][i];
                }
            }
            grad = grad_in;
        }
    }
    loss
}

/// The two versions must compute the same loss and gradient, or the comparison is unfair.
fn check_agreement(model: &Mlp, w: &[Vec<Vec<f64>>], b: &[Vec<f64>]) {
    let tape = Tape::new();
    let loss = tape_loss(&tape, model);
    let grads = tape.backward(loss);
    let mut gw: Vec<Vec<Vec<f64>>> =
        w.iter().map(|l| l.iter().map(|n| vec![0.0; n.len()]).collect()).collect();
    let mut gb: Vec<Vec<f64>> = b.iter().map(|l| vec![0.0; l.len()]).collect();
    let hand = hand_loss_and_grads(w, b, &mut gw, &mut gb);
    assert!((hand - loss.item()).abs() < 1e-12, "losses differ: {hand} vs {}", loss.item());
    for (l, layer) in model.weights.iter().enumerate() {
        for (n, neuron) in layer.iter().enumerate() {
            for (i, weight) in neuron.iter().enumerate() {
                assert!((grads.param(weight).unwrap()[[]] - gw[l][n][i]).abs() < 1e-12);
            }
            assert!((grads.param(&model.biases[l][n]).unwrap()[[]] - gb[l][n]).abs() < 1e-12);
        }
    }
}

fn bench(c: &mut Criterion) {
    let model = mlp();
    let w: Vec<Vec<Vec<f64>>> =
        model.weights.iter().map(|l| l.iter().map(|n| n.iter().map(|v| v[[]]).collect()).collect()).collect();
    let b: Vec<Vec<f64>> = model.biases.iter().map(|l| l.iter().map(|v| v[[]]).collect()).collect();
    check_agreement(&model, &w, &b);
    let nodes = {
        let tape = Tape::new();
        tape_loss(&tape, &model);
        tape.len()
    };
    println!("micrograd MLP 3-4-4-1 on 4 samples: {nodes} tape nodes per forward+backward");
    let mut group = c.benchmark_group("scalar_mlp");
    group.throughput(Throughput::Elements(nodes as u64));
    group.bench_function("tape forward+backward", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let loss = tape_loss(&tape, black_box(&model));
            let grads = tape.backward(loss);
            black_box(grads.param(&model.biases[0][0]).is_some())
        })
    });
    // Anomaly detection reads every value and gradient as it is made: what it costs when
    // on. Off (the line above) it is one flag read per op and per backward pass.
    group.bench_function("tape forward+backward, anomaly detection on", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            tape.detect_anomalies(true);
            let loss = tape_loss(&tape, black_box(&model));
            let grads = tape.try_backward(loss).expect("a finite graph");
            black_box(grads.param(&model.biases[0][0]).is_some())
        })
    });
    group.bench_function("hand-derived f64", |bench| {
        bench.iter(|| {
            let mut gw: Vec<Vec<Vec<f64>>> =
                w.iter().map(|l| l.iter().map(|n| vec![0.0; n.len()]).collect()).collect();
            let mut gb: Vec<Vec<f64>> = b.iter().map(|l| vec![0.0; l.len()]).collect();
            black_box(hand_loss_and_grads(black_box(&w), black_box(&b), &mut gw, &mut gb))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
