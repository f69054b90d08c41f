//! A physics-informed network: a small MLP `u(x)` fitted to the differential equation
//! `u''(x) = −π² sin(πx)` on `[0, 1]` with `u(0) = u(1) = 0`, whose solution is
//! `u(x) = sin(πx)`. No value of `u` is ever shown to the network: the loss is the
//! equation itself, at 32 points, plus the two boundary values.
//!
//! That needs the network's second derivative with respect to its *input* inside the loss,
//! and then the loss's gradient with respect to the weights: gradients of gradients.
//! `tape.grad(u.sum(), &[x], true)` records `du/dx` as ops on the tape (each sample's
//! output depends only on its own input, so the gradient of the sum is every `u'(xᵢ)`);
//! doing it again gives `u''`; `backward` then differentiates the whole thing.
//!
//! Run: `cargo run --release --example pinn`.

use std::error::Error;
use std::f64::consts::PI;
use std::time::Instant;

use tapegrad::ndarray::{Array1, Array2};
use tapegrad::prelude::*;

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(0);
    let mut model = Sequential::new()
        .add(Dense::<f64>::new(1, 16, &mut rng))
        .add(Tanh)
        .add(Dense::new(16, 16, &mut rng))
        .add(Tanh)
        .add(Dense::new(16, 1, &mut rng));
    let points = 32;
    let x = Array2::from_shape_fn((points, 1), |(i, _)| (i as f64 + 0.5) / points as f64);
    let forcing = x.mapv(|v| -PI * PI * (PI * v).sin());
    let boundary = Array2::from_shape_vec((2, 1), vec![0.0, 1.0])?;
    let mut adam = Adam::builder().learning_rate(0.01).build()?;
    println!(
        "u'' = −π² sin(πx) on [0, 1], u(0) = u(1) = 0; MLP 1 → 16 → 16 → 1 (tanh), {} parameters",
        model.param_count()
    );
    println!("{points} collocation points; loss = mean (u'' − f)² + u(0)² + u(1)²");

    let start = Instant::now();
    let steps = 3000;
    for step in 0..=steps {
        let tape = Tape::new();
        let xs = tape.var(x.view());
        let u = model.forward(&tape, xs)?;
        let du = tape.grad(u.sum(), &[xs], true)?[0]; // u'(xᵢ) for every point, recorded
        let d2u = tape.grad(du.sum(), &[xs], true)?[0]; // u''(xᵢ)
        let residual = (d2u - tape.constant(forcing.view())).square().mean();
        let ends = model.forward(&tape, tape.constant(boundary.view()))?.square().sum();
        let loss = residual + ends;
        if step % 500 == 0 {
            println!(
                "  step {step:>4}: loss {:.3e} (equation {:.3e}, boundary {:.3e})",
                loss.item(),
                residual.item(),
                ends.item()
            );
        }
        if step == steps {
            break;
        }
        let grads = tape.backward(loss);
        let _report = adam.step(&mut model, &grads)?;
    }

    // The error against the exact solution, on a finer grid than the training points.
    let grid = Array2::from_shape_fn((101, 1), |(i, _)| i as f64 / 100.0);
    let tape = Tape::inference();
    let u = model.forward(&tape, tape.constant(grid.view()))?.value();
    let exact: Array1<f64> = grid.column(0).mapv(|v| (PI * v).sin());
    let max_error = u.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    println!("trained in {:.2?}", start.elapsed());
    println!("max |u(x) − sin(πx)| over 101 points in [0, 1]: {max_error:.2e}");
    for v in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let i = (v * 100.0) as usize;
        println!("  u({v:.2}) = {:+.4}   sin(π·{v:.2}) = {:+.4}", u[[i, 0]], exact[i]);
    }
    if max_error > 0.05 {
        return Err(format!(
            "the fitted solution is off by {max_error:.3}, more than the 0.05 this example promises"
        )
        .into());
    }
    Ok(())
}
