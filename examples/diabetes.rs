//! Regression on a real table: scikit-learn's diabetes data (442 patients, 10 baseline
//! measurements, and how far the disease progressed a year later), loaded as published —
//! features space-separated in one file, targets in another — and fitted three ways on
//! one seeded split: ordinary least squares solved exactly (the normal equations), the
//! same straight line fitted by `Trainer` (one `Dense` layer, gradient descent), and a
//! small MLP with early stopping that keeps its best epoch.
//!
//! The lesson in the numbers: on 10 noisy clinical features a straight line explains
//! about half of the variance, and a network can match it but not do much better. R² is
//! the fraction of the spread explained; MAE the typical error, in the target's units.
//!
//! Run: `cargo run --release --example diabetes` (writes `target/diabetes-history.svg`).

use std::error::Error;
use std::path::Path;

use tapegrad::ndarray::{Array1, Array2, Axis};
use tapegrad::prelude::*;
use tapegrad::train::evaluate_with;

/// Least squares with an intercept, solved exactly: `β = (AᵀA)⁻¹ Aᵀy` for `A = [X 1]`,
/// by Gaussian elimination with partial pivoting on the normal equations.
fn least_squares(x: &Array2<f64>, y: &Array1<f64>) -> Result<Array1<f64>, String> {
    let a = tapegrad::ndarray::concatenate(Axis(1), &[x.view(), Array2::ones((x.nrows(), 1)).view()])
        .map_err(|e| e.to_string())?;
    let (mut m, mut v) = (a.t().dot(&a), a.t().dot(y));
    let n = v.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[[i, col]].abs().total_cmp(&m[[j, col]].abs())).unwrap_or(col);
        if m[[pivot, col]].abs() < 1e-12 {
            return Err("the features are linearly dependent".into());
        }
        for k in 0..n {
            m.swap([col, k], [pivot, k]);
        }
        v.swap(col, pivot);
        for row in col + 1..n {
            let factor = m[[row, col]] / m[[col, col]];
            for k in col..n {
                m[[row, k]] -= factor * m[[col, k]];
            }
            v[row] -= factor * v[col];
        }
    }
    let mut beta = Array1::zeros(n);
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| m[[row, k]] * beta[k]).sum();
        beta[row] = (v[row] - rest) / m[[row, row]];
    }
    Ok(beta)
}

/// `1 − Σ(y − ŷ)² / Σ(y − ȳ)²`.
fn r_squared(y: &Array1<f64>, predicted: &Array1<f64>) -> f64 {
    let mean = y.mean().unwrap_or(0.0);
    let residual: f64 = y.iter().zip(predicted).map(|(a, b)| (a - b).powi(2)).sum();
    let total: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
    1.0 - residual / total
}

fn main() -> Result<(), Box<dyn Error>> {
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let x =
        CsvOptions::new().delimiter(b' ').load_matrix::<f64>(data_dir.join("diabetes_data_raw.csv.gz"))?;
    let y = CsvOptions::new().load_matrix::<f64>(data_dir.join("diabetes_target.csv.gz"))?;
    let diabetes = Dataset::new(x, y)?;
    let mut rng = StdRng::seed_from_u64(0);
    let (development, test) = diabetes.split(0.2, &mut rng)?;
    let (train, validation) = development.split(0.2, &mut rng)?;
    println!(
        "diabetes: {} patients, {} features; train {} / validation {} / test {}",
        diabetes.len(),
        diabetes.num_features(),
        train.len(),
        validation.len(),
        test.len()
    );

    // Features and targets standardised with the training rows' statistics only; errors
    // are reported back in the target's units.
    let features = Standardizer::fit(development.features())?;
    let targets = Standardizer::fit(development.targets())?;
    let scaled = |data: &Dataset<f64, Array2<f64>>| -> Result<Dataset<f64, Array2<f64>>, DataError> {
        Dataset::new(features.transform(data.features())?, targets.transform(data.targets())?)
    };
    let (development, train, validation, test) =
        (scaled(&development)?, scaled(&train)?, scaled(&validation)?, scaled(&test)?);
    let unit = targets.std()[0];
    let column = |data: &Dataset<f64, Array2<f64>>| data.targets().column(0).to_owned();

    // The reference: least squares on every development row (it needs no validation).
    let beta = least_squares(development.features(), &column(&development))?;
    let ols = test.features().dot(&beta.slice(tapegrad::ndarray::s![..10])) + beta[10];
    let ols_r2 = r_squared(&column(&test), &ols);
    let ols_mae = column(&test).iter().zip(&ols).map(|(a, b)| (a - b).abs()).sum::<f64>() / test.len() as f64;

    let mut linear = Sequential::new().add(Dense::new(10, 1, &mut rng));
    let mut mlp = Sequential::new()
        .add(Dense::new(10, 16, &mut rng))
        .add(Tanh)
        .add(Dropout::new(0.2, 7)?)
        .add(Dense::new(16, 1, &mut rng));
    let trainer = Trainer::new()
        .epochs(400)
        .batch_size(32)
        .quiet(true)
        .progress(Progress::Off)
        .metrics([Metric::Mae, Metric::R2])
        .early_stopping(40, 1e-4)
        .restore_best_weights(true);

    println!("\n{:<40} {:>8} {:>10} {:>7}", "model", "test R²", "test MAE", "epochs");
    println!(
        "{:<40} {:>8.3} {:>10.1} {:>7}",
        "least squares (normal equations)",
        ols_r2,
        ols_mae * unit,
        "-"
    );
    let mut results = Vec::new();
    for (name, model) in
        [("line, gradient descent: 10 → 1", &mut linear), ("MLP: 10 → 16 → 1, tanh, dropout", &mut mlp)]
    {
        let mut adam = AdamW::builder().learning_rate(0.005).weight_decay(0.05).build()?;
        let history = trainer.fit(model, &mut adam, &train, Some(&validation))?;
        model.set_training(false);
        let (_, metrics) = evaluate_with(&*model, &test, Loss::Mse, &[Metric::R2, Metric::Mae])?;
        println!(
            "{:<40} {:>8.3} {:>10.1} {:>7}",
            name,
            metrics[0].1,
            metrics[1].1 * unit,
            history.epochs.len()
        );
        results.push((metrics[0].1, history));
    }
    println!("(MAE in the target's units: disease progression, from 25 to 346; best epochs restored)");

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let svg = out.join("diabetes-history.svg");
    results[1].1.write_svg(&svg, "diabetes: the MLP's loss, MAE and R² per epoch (standardised units)")?;
    println!("training history: {}", svg.display());
    if results[1].0 < ols_r2 {
        return Err(
            format!("the MLP's test R² {:.3} is below least squares' {ols_r2:.3}", results[1].0).into()
        );
    }
    Ok(())
}
