//! The training steps the benches time, each written three ways from the same initial
//! weights and data, so every ratio comes from one run:
//! - `NnStep`: the idiomatic path a user writes (`Sequential` of `Dense`, a loss from
//!   `loss`, an optimizer from `optim`, a fresh `Tape` every step);
//! - `TapeStep`: raw tape ops (`matmul`, broadcasting `add`, `log_softmax`/`gather`) and an
//!   optimizer over named arrays, no layers;
//! - `HandStep`: the same arithmetic hand-written with ndarray, forward and backward
//!   derived by hand, every buffer preallocated, products through ndarray's
//!   `general_mat_mul` (matrixmultiply): the zero-overhead reference.
//!
//! The workloads are the peer harness's (`docs/performance.md`): W1 784-128-10 ReLU,
//! batch 64, softmax cross-entropy, SGD; W2 2-16-16-1 tanh, batch 32, MSE, SGD; W3
//! 784-512-512-10 ReLU, batch 256, softmax cross-entropy, Adam.

#![allow(dead_code)] // each bench uses part of this module

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, Axis, Zip};
use tapegrad::loss::{cross_entropy, mse};
use tapegrad::optim::NamedParam;
use tapegrad::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    Relu,
    Tanh,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LossKind {
    /// Softmax cross-entropy on integer labels, mean over the batch.
    CrossEntropy,
    /// Mean squared error over all elements.
    Mse,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Opt {
    Sgd,
    /// Adam with betas (0.9, 0.999), eps 1e-8.
    Adam,
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub name: &'static str,
    pub sizes: Vec<usize>,
    pub batch: usize,
    pub act: Act,
    pub loss: LossKind,
    pub opt: Opt,
    pub learning_rate: f32,
}

impl Workload {
    /// Multiply-adds × 2 of one step's matrix products (forward, weight gradients, and
    /// input gradients for every layer but the first).
    pub fn flops(&self) -> f64 {
        let b = self.batch as f64;
        self.sizes
            .windows(2)
            .enumerate()
            .map(|(i, p)| {
                let product = 2.0 * b * p[0] as f64 * p[1] as f64;
                if i == 0 {
                    2.0 * product
                } else {
                    3.0 * product
                }
            })
            .sum()
    }
}

pub fn w1() -> Workload {
    Workload {
        name: "W1 784-128-10",
        sizes: vec![784, 128, 10],
        batch: 64,
        act: Act::Relu,
        loss: LossKind::CrossEntropy,
        opt: Opt::Sgd,
        learning_rate: 0.01,
    }
}

pub fn w2() -> Workload {
    Workload {
        name: "W2 2-16-16-1",
        sizes: vec![2, 16, 16, 1],
        batch: 32,
        act: Act::Tanh,
        loss: LossKind::Mse,
        opt: Opt::Sgd,
        learning_rate: 0.01,
    }
}

pub fn w3() -> Workload {
    Workload {
        name: "W3 784-512-512-10",
        sizes: vec![784, 512, 512, 10],
        batch: 256,
        act: Act::Relu,
        loss: LossKind::CrossEntropy,
        opt: Opt::Adam,
        learning_rate: 1e-3,
    }
}

/// The harness's counter-based generator: splitmix64 of `seed` and `i`.
fn splitmix(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` uniforms in `[−scale, scale)`.
fn uniform(seed: u64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((splitmix(seed, i as u64) >> 40) as f32 / 16_777_216.0 * 2.0 - 1.0) * scale).collect()
}

/// Weight `[in, out]` from `U(±1/√in)` and a zero bias, per layer.
pub fn init(sizes: &[usize]) -> Vec<(Array2<f32>, Array1<f32>)> {
    sizes
        .windows(2)
        .enumerate()
        .map(|(l, p)| {
            let scale = 1.0 / (p[0] as f32).sqrt();
            let w =
                Array2::from_shape_vec((p[0], p[1]), uniform(100 + l as u64, p[0] * p[1], scale)).unwrap();
            (w, Array1::zeros(p[1]))
        })
        .collect()
}

pub struct Data {
    pub x: Array2<f32>,
    pub labels: Vec<usize>,
    pub y: Array2<f32>,
}

pub fn data(w: &Workload) -> Data {
    let out = *w.sizes.last().unwrap();
    Data {
        x: Array2::from_shape_vec((w.batch, w.sizes[0]), uniform(1, w.batch * w.sizes[0], 1.0)).unwrap(),
        labels: (0..w.batch).map(|i| (splitmix(2, i as u64) % out as u64) as usize).collect(),
        y: Array2::from_shape_vec((w.batch, out), uniform(3, w.batch * out, 1.0)).unwrap(),
    }
}

fn optimizer(w: &Workload) -> Box<dyn Optimizer<f32>> {
    match w.opt {
        Opt::Sgd => Box::new(Sgd::builder().learning_rate(w.learning_rate).build().unwrap()),
        Opt::Adam => Box::new(
            Adam::builder().learning_rate(w.learning_rate).betas(0.9, 0.999).eps(1e-8).build().unwrap(),
        ),
    }
}

/// The README's idiom: `Sequential` of `Dense`, `loss`, `optim`, a fresh tape per step.
pub struct NnStep {
    model: Sequential<f32>,
    optimizer: Box<dyn Optimizer<f32>>,
    data: Data,
    loss: LossKind,
}

impl NnStep {
    pub fn new(w: &Workload) -> Self {
        let mut model = Sequential::new();
        let layers = init(&w.sizes);
        let n = layers.len();
        for (i, (weight, bias)) in layers.into_iter().enumerate() {
            model.push(Dense::from_arrays(weight, Some(bias)));
            if i + 1 < n {
                match w.act {
                    Act::Relu => model.push(ReLU),
                    Act::Tanh => model.push(Tanh),
                }
            }
        }
        NnStep { model, optimizer: optimizer(w), data: data(w), loss: w.loss }
    }

    /// One training step; returns the loss before the update.
    pub fn step(&mut self) -> f32 {
        let tape = Tape::new();
        let output = self.model.forward(&tape, tape.constant(&self.data.x)).unwrap();
        let loss = match self.loss {
            LossKind::CrossEntropy => cross_entropy(output, &self.data.labels, Reduction::Mean),
            LossKind::Mse => mse(output, tape.constant(&self.data.y), Reduction::Mean),
        }
        .unwrap();
        let value = loss.item();
        let grads = tape.backward(loss);
        let _report = self.optimizer.step(&mut self.model, &grads).unwrap();
        value
    }

    /// A forward pass on an inference tape (no recording); returns the first output.
    pub fn infer(&self) -> f32 {
        let tape = Tape::inference();
        let output = self.model.forward(&tape, tape.constant(&self.data.x)).unwrap();
        output.with_value(|y| y[[0, 0]])
    }
}

const NAMES: [(&str, &str); 3] = [("0.weight", "0.bias"), ("1.weight", "1.bias"), ("2.weight", "2.bias")];

/// Raw tape ops and an optimizer over named arrays: no layers, no loss crate.
pub struct TapeStep {
    layers: Vec<(Array2<f32>, Array1<f32>)>,
    optimizer: Box<dyn Optimizer<f32>>,
    data: Data,
    label_column: Array2<usize>,
    act: Act,
    loss: LossKind,
}

impl TapeStep {
    pub fn new(w: &Workload) -> Self {
        let data = data(w);
        let label_column = Array1::from(data.labels.clone()).insert_axis(Axis(1));
        TapeStep {
            layers: init(&w.sizes),
            optimizer: optimizer(w),
            data,
            label_column,
            act: w.act,
            loss: w.loss,
        }
    }

    pub fn step(&mut self) -> f32 {
        let n = self.layers.len();
        let (grads, value) = {
            let tape = Tape::new();
            let mut h = tape.constant(&self.data.x);
            for (i, (w, b)) in self.layers.iter().enumerate() {
                h = h.matmul(&tape.param(w)).add(&tape.param(b));
                if i + 1 < n {
                    h = match self.act {
                        Act::Relu => h.relu(),
                        Act::Tanh => h.tanh(),
                    };
                }
            }
            let batch = self.data.x.nrows() as f32;
            let loss = match self.loss {
                LossKind::CrossEntropy => {
                    h.log_softmax(1).gather(1, &self.label_column).unwrap().sum().mul_scalar(-1.0 / batch)
                }
                LossKind::Mse => {
                    let count = self.data.y.len() as f32;
                    (h - tape.constant(&self.data.y)).square().sum().mul_scalar(1.0 / count)
                }
            };
            (tape.backward(loss), loss.item())
        };
        let views: Vec<_> =
            self.layers.iter().map(|(w, b)| (grads.param(w).unwrap(), grads.param(b).unwrap())).collect();
        let mut params: Vec<NamedParam<'_, f32>> = Vec::with_capacity(2 * n);
        for (((w, b), (gw, gb)), (nw, nb)) in self.layers.iter_mut().zip(&views).zip(NAMES) {
            params.push(NamedParam::new(nw, w, gw));
            params.push(NamedParam::new(nb, b, gb));
        }
        let _report = self.optimizer.step_params(&mut params).unwrap();
        value
    }
}

/// One layer's parameters, gradients and Adam moments, preallocated.
struct HandLayer {
    w: Array2<f32>,
    b: Array1<f32>,
    gw: Array2<f32>,
    gb: Array1<f32>,
    mw: Array2<f32>,
    vw: Array2<f32>,
    mb: Array1<f32>,
    vb: Array1<f32>,
}

/// Forward and backward derived by hand, every buffer preallocated, products through
/// ndarray's `general_mat_mul`, bias and activation fused into one pass.
pub struct HandStep {
    w: Workload,
    layers: Vec<HandLayer>,
    data: Data,
    /// `acts[i]`: the input of layer `i` (`acts[0]` unused: the data), `acts[n]` the output.
    acts: Vec<Array2<f32>>,
    grads: Vec<Array2<f32>>,
    t: i32,
}

impl HandStep {
    pub fn new(w: &Workload) -> Self {
        let layers = init(&w.sizes)
            .into_iter()
            .map(|(weight, bias)| HandLayer {
                gw: Array2::zeros(weight.raw_dim()),
                mw: Array2::zeros(weight.raw_dim()),
                vw: Array2::zeros(weight.raw_dim()),
                gb: Array1::zeros(bias.len()),
                mb: Array1::zeros(bias.len()),
                vb: Array1::zeros(bias.len()),
                w: weight,
                b: bias,
            })
            .collect();
        let acts = w.sizes.iter().map(|&k| Array2::zeros((w.batch, k))).collect();
        let grads = w.sizes.iter().map(|&k| Array2::zeros((w.batch, k))).collect();
        HandStep { w: w.clone(), layers, data: data(w), acts, grads, t: 0 }
    }

    /// The forward pass into the preallocated activations.
    pub fn forward(&mut self) {
        let n = self.layers.len();
        for i in 0..n {
            let (lo, hi) = self.acts.split_at_mut(i + 1);
            let input = if i == 0 { &self.data.x } else { &lo[i] };
            let z = &mut hi[0];
            let shape = z.raw_dim();
            z.assign(&self.layers[i].b.broadcast(shape).unwrap());
            general_mat_mul(1.0, input, &self.layers[i].w, 1.0, z);
            if i + 1 < n {
                match self.w.act {
                    Act::Relu => z.mapv_inplace(|v| v.max(0.0)),
                    Act::Tanh => z.mapv_inplace(f32::tanh),
                }
            }
        }
    }

    /// The first output of the last forward pass.
    pub fn output(&self) -> f32 {
        self.acts[self.layers.len()][[0, 0]]
    }

    pub fn step(&mut self) -> f32 {
        let n = self.layers.len();
        self.forward();
        let loss;
        {
            let (out, grad) = (&self.acts[n], &mut self.grads[n]);
            match self.w.loss {
                LossKind::CrossEntropy => {
                    let inv_batch = 1.0 / self.w.batch as f32;
                    let mut total = 0.0f32;
                    for ((row, mut grow), &label) in
                        out.axis_iter(Axis(0)).zip(grad.axis_iter_mut(Axis(0))).zip(&self.data.labels)
                    {
                        let max = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                        let mut sum = 0.0;
                        Zip::from(&mut grow).and(&row).for_each(|g, &v| {
                            *g = (v - max).exp();
                            sum += *g;
                        });
                        total += sum.ln() - (row[label] - max);
                        let k = inv_batch / sum;
                        grow.mapv_inplace(|v| v * k);
                        grow[label] -= inv_batch;
                    }
                    loss = total * inv_batch;
                }
                LossKind::Mse => {
                    let count = out.len() as f32;
                    let k = 2.0 / count;
                    let mut total = 0.0f32;
                    Zip::from(&mut *grad).and(out).and(&self.data.y).for_each(|g, &o, &y| {
                        let d = o - y;
                        total += d * d;
                        *g = d * k;
                    });
                    loss = total / count;
                }
            }
        }
        self.t += 1;
        let (c1, c2) = (1.0 - 0.9f32.powi(self.t), 1.0 - 0.999f32.powi(self.t));
        for i in (0..n).rev() {
            let (lo, hi) = self.grads.split_at_mut(i + 1);
            let g = &hi[0];
            let input = if i == 0 { &self.data.x } else { &self.acts[i] };
            let layer = &mut self.layers[i];
            general_mat_mul(1.0, &input.t(), g, 0.0, &mut layer.gw);
            for (j, column) in g.axis_iter(Axis(1)).enumerate() {
                layer.gb[j] = column.sum();
            }
            if i > 0 {
                let gx = &mut lo[i];
                general_mat_mul(1.0, g, &layer.w.t(), 0.0, gx);
                match self.w.act {
                    Act::Relu => gx.zip_mut_with(&self.acts[i], |d, &v| {
                        if v <= 0.0 {
                            *d = 0.0
                        }
                    }),
                    Act::Tanh => gx.zip_mut_with(&self.acts[i], |d, &v| *d *= 1.0 - v * v),
                }
            }
            let lr = self.w.learning_rate;
            match self.w.opt {
                Opt::Sgd => {
                    layer.w.scaled_add(-lr, &layer.gw);
                    layer.b.scaled_add(-lr, &layer.gb);
                }
                Opt::Adam => {
                    let adam = |p: &mut f32, m: &mut f32, v: &mut f32, &g: &f32| {
                        *m = 0.9 * *m + 0.1 * g;
                        *v = 0.999 * *v + 0.001 * g * g;
                        *p -= lr * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
                    };
                    Zip::from(&mut layer.w)
                        .and(&mut layer.mw)
                        .and(&mut layer.vw)
                        .and(&layer.gw)
                        .for_each(adam);
                    Zip::from(&mut layer.b)
                        .and(&mut layer.mb)
                        .and(&mut layer.vb)
                        .and(&layer.gb)
                        .for_each(adam);
                }
            }
        }
        loss
    }
}

/// W4: micrograd's README network (3 → 4 → 4 → 1, tanh on the hidden layers) on its 4
/// samples, built from 0-d values one multiply and add at a time.
pub mod scalar {
    use ndarray::{arr0, ArrayD};
    use tapegrad::prelude::*;

    pub const SIZES: [usize; 4] = [3, 4, 4, 1];
    pub const XS: [[f64; 3]; 4] = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]];
    pub const YS: [f64; 4] = [1.0, -1.0, -1.0, 1.0];

    /// One 0-d array per weight and bias, layer by layer: `weights[l][neuron][input]`.
    pub struct Mlp {
        pub weights: Vec<Vec<Vec<ArrayD<f64>>>>,
        pub biases: Vec<Vec<ArrayD<f64>>>,
    }

    pub fn mlp() -> Mlp {
        let mut k = 0.0;
        let mut next = || {
            k += 1.0;
            arr0((k * 0.618_034f64).fract() * 2.0 - 1.0).into_dyn()
        };
        let weights = SIZES
            .windows(2)
            .map(|w| (0..w[1]).map(|_| (0..w[0]).map(|_| next()).collect()).collect())
            .collect();
        let biases = SIZES[1..].iter().map(|&n| (0..n).map(|_| next()).collect()).collect();
        Mlp { weights, biases }
    }

    /// Loss Σ (ŷ − y)² recorded on the tape, scalar op by scalar op.
    pub fn tape_loss<'t>(tape: &'t Tape<'t, f64>, model: &'t Mlp) -> Var<'t, f64> {
        let mut loss = tape.scalar(0.0);
        for (x, &y) in XS.iter().zip(&YS) {
            let mut act: Vec<Var<'t, f64>> = x.iter().map(|&v| tape.scalar(v)).collect();
            for (layer, (weights, biases)) in model.weights.iter().zip(&model.biases).enumerate() {
                act = weights
                    .iter()
                    .zip(biases)
                    .map(|(w, b)| {
                        let mut sum = tape.param(b);
                        for (wi, xi) in w.iter().zip(&act) {
                            sum = sum + tape.param(wi) * xi;
                        }
                        if layer + 2 < SIZES.len() {
                            sum.tanh()
                        } else {
                            sum
                        }
                    })
                    .collect();
            }
            loss = loss + (act[0] - y).square();
        }
        loss
    }
}
