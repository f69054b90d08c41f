//! Two interleaved half moons, which no straight line separates, learned by a
//! 2 → 16 → 16 → 2 MLP — and the boundary it learned, drawn.
//!
//! The data is made here, like scikit-learn's `make_moons`: 100 points on the upper half
//! of a unit circle (class 0), 100 on a lower half circle shifted right and up into it
//! (class 1), each nudged by Gaussian noise of standard deviation 0.1 from a seeded
//! generator. A quarter is held out; `Trainer` fits the rest with Adam; the program prints
//! the train and test accuracy and writes `target/moons-boundary.svg`: the plane shaded by
//! the net's P(class 1), the 0.5 contour where it decides, and the points on top. Two tanh
//! layers are enough to bend that contour into an S between the moons.
//!
//! It also writes `target/moons-training.html`, the run epoch by epoch: open it in a
//! browser and drag the epoch slider (or press space to play) to watch the boundary bend
//! into shape beside the loss curves and each layer's gradient norm.
//!
//! Run: `cargo run --release --example moons`.

use std::error::Error;
use std::f64::consts::PI;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use tapegrad::prelude::*;
use tapegrad::rand::RngExt;
use tapegrad::train::{evaluate, write_decision_boundary_svg, TrainingPage};

/// A standard normal sample from two uniforms (Box–Muller): `√(−2 ln u₁) · cos(2π u₂)`.
fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1], so ln u₁ is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// `per_moon` points on each moon with `noise` added: class 0 on `(cos t, sin t)`,
/// class 1 on `(1 − cos t, 0.5 − sin t)`, for `t` evenly spaced over `[0, π]`.
fn make_moons(per_moon: usize, noise: f64, rng: &mut StdRng) -> (Array2<f64>, Vec<usize>) {
    let mut points = Array2::zeros((2 * per_moon, 2));
    let mut labels = Vec::with_capacity(2 * per_moon);
    for class in 0..2 {
        for i in 0..per_moon {
            let t = PI * i as f64 / (per_moon - 1) as f64;
            let (x, y) = if class == 0 { (t.cos(), t.sin()) } else { (1.0 - t.cos(), 0.5 - t.sin()) };
            let row = class * per_moon + i;
            points[[row, 0]] = x + noise * standard_normal(rng);
            points[[row, 1]] = y + noise * standard_normal(rng);
            labels.push(class);
        }
    }
    (points, labels)
}

/// The net's P(class 1) for each row of `x`: softmax of its logits, in one forward pass.
fn probability_of_class_1(model: &Sequential<f32>, x: ArrayView2<f64>) -> Result<Vec<f64>, TrainError> {
    let tape = Tape::inference();
    let logits = model.forward(&tape, tape.constant(x.mapv(|v| v as f32)))?;
    let probabilities = logits.softmax(1).value();
    Ok(probabilities.outer_iter().map(|row| f64::from(row[1])).collect())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(0);
    let (points, labels) = make_moons(100, 0.1, &mut rng);
    let moons = Dataset::new(points.mapv(|v| v as f32), labels.clone())?;
    let (train, test) = moons.split_stratified(0.25, &mut rng)?;
    println!("two moons: {} points, noise 0.1; train {} / test {}", moons.len(), train.len(), test.len());

    let mut model = Sequential::new()
        .add(Dense::new(2, 16, &mut rng))
        .add(Tanh)
        .add(Dense::new(16, 16, &mut rng))
        .add(Tanh)
        .add(Dense::new(16, 2, &mut rng));
    let mut optimizer = Adam::builder().learning_rate(0.01).build()?;
    println!(
        "model: 2 → 16 → 16 → 2 (tanh), {} parameters; Adam, learning rate 0.01, batches of 16",
        model.param_count()
    );

    // Every epoch's boundary, losses and gradient norms (from the trainer's diagnostics),
    // for the training page.
    let title = "two moons: a 2 → 16 → 16 → 2 MLP learning its decision boundary";
    let mut page = TrainingPage::new(title, points.view(), &labels)?;
    let start = Instant::now();
    let trainer = Trainer::new()
        .epochs(150)
        .batch_size(16)
        .seed(0)
        .quiet(true)
        .progress(Progress::Off)
        .diagnostics(true);
    let history = trainer.fit_with_callback(&mut model, &mut optimizer, &train, Some(&test), |end| {
        let model = &*end.model;
        page.record(end.record, |grid| probability_of_class_1(model, grid))?;
        Ok(true)
    })?;
    for record in history.epochs.iter().filter(|r| r.epoch == 1 || r.epoch % 30 == 0) {
        println!(
            "  epoch {:>3}: train loss {:.4}, test accuracy {:.1}%",
            record.epoch,
            record.train_loss,
            100.0 * record.validation_accuracy().unwrap_or(f64::NAN)
        );
    }
    let (_, train_accuracy) = evaluate(&model, &train)?;
    let (test_loss, test_accuracy) = evaluate(&model, &test)?;
    println!(
        "trained {} epochs in {:.2?}: train accuracy {:.1}%, test accuracy {:.1}% (loss {test_loss:.4})",
        history.epochs.len(),
        start.elapsed(),
        100.0 * train_accuracy,
        100.0 * test_accuracy
    );

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let svg = out.join("moons-boundary.svg");
    let title = "two moons: the decision boundary of a 2 → 16 → 16 → 2 MLP";
    write_decision_boundary_svg(&svg, title, points.view(), &labels, |grid| {
        probability_of_class_1(&model, grid)
    })?;
    println!("decision boundary: {}", svg.display());
    let html = out.join("moons-training.html");
    page.write_html(&html)?;
    println!("the run epoch by epoch (open it in a browser): {}", html.display());
    if test_accuracy < 0.95 {
        return Err(format!(
            "test accuracy {:.1}% is below the 95% this example promises",
            100.0 * test_accuracy
        )
        .into());
    }
    Ok(())
}
