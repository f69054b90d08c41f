//! Regression on a real table: scikit-learn's diabetes data (442 patients, 10 baseline
//! measurements, and how far the disease progressed a year later), loaded as published —
//! features space-separated in one file, targets in another — and fitted twice with the
//! same `Trainer`: a linear model (one `Dense` layer: ordinary least squares, by gradient
//! descent) and a small MLP with early stopping that keeps its best epoch.
//!
//! The lesson in the numbers: on 10 noisy clinical features, a straight line explains
//! about half of the variance, and a network barely does better. R² says how much of the
//! spread the model explains; MAE is the typical error, in the target's own units.
//!
//! Run: `cargo run --release --example diabetes` (writes `target/diabetes-history.svg`).

use std::error::Error;
use std::path::Path;

use tapegrad::ndarray::Array2;
use tapegrad::prelude::*;
use tapegrad::train::evaluate_with;

fn main() -> Result<(), Box<dyn Error>> {
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let x =
        CsvOptions::new().delimiter(b' ').load_matrix::<f64>(data_dir.join("diabetes_data_raw.csv.gz"))?;
    let y = CsvOptions::new().load_matrix::<f64>(data_dir.join("diabetes_target.csv.gz"))?;
    let diabetes = Dataset::new(x, y)?;
    let mut rng = StdRng::seed_from_u64(0);
    let (train, test) = diabetes.split(0.2, &mut rng)?;
    let (train, validation) = train.split(0.2, &mut rng)?;
    println!(
        "diabetes: {} patients, {} features; train {} / validation {} / test {}",
        diabetes.len(),
        diabetes.num_features(),
        train.len(),
        validation.len(),
        test.len()
    );

    // Features and targets standardised with the training part's statistics only; the
    // errors are reported back in the target's units.
    let features = Standardizer::fit(train.features())?;
    let targets = Standardizer::fit(train.targets())?;
    let scaled = |data: &Dataset<f64, Array2<f64>>| -> Result<Dataset<f64, Array2<f64>>, DataError> {
        Dataset::new(features.transform(data.features())?, targets.transform(data.targets())?)
    };
    let (train, validation, test) = (scaled(&train)?, scaled(&validation)?, scaled(&test)?);
    let unit = targets.std()[0];

    let mut linear = Sequential::new().add(Dense::new(10, 1, &mut rng));
    let mut mlp = Sequential::new()
        .add(Dense::with_init(10, 32, Init::HeUniform, Some(Init::Zeros), &mut rng))
        .add(ReLU)
        .add(Dropout::new(0.1, 7)?)
        .add(Dense::new(32, 1, &mut rng));
    let trainer = Trainer::new()
        .epochs(300)
        .batch_size(32)
        .quiet(true)
        .progress(Progress::Off)
        .metrics([Metric::Mae, Metric::R2])
        .early_stopping(25, 1e-4)
        .restore_best_weights(true);

    println!("\n{:<28} {:>8} {:>12} {:>10}", "model (best epoch)", "test R²", "test MAE", "epochs");
    let mut histories = Vec::new();
    for (name, model) in [("linear: 10 → 1", &mut linear), ("MLP: 10 → 32 → 1, dropout", &mut mlp)] {
        let mut adam = Adam::builder().learning_rate(0.01).build()?;
        let history = trainer.fit(model, &mut adam, &train, Some(&validation))?;
        model.set_training(false);
        let (_, metrics) = evaluate_with(&*model, &test, Loss::Mse, &[Metric::R2, Metric::Mae])?;
        let best = history
            .epochs
            .iter()
            .min_by(|a, b| {
                a.validation_loss.partial_cmp(&b.validation_loss).unwrap_or(std::cmp::Ordering::Equal)
            })
            .map_or(0, |record| record.epoch);
        println!(
            "{:<34} {:>8.3} {:>10.1} {:>7}",
            format!("{name} ({best})"),
            metrics[0].1,
            metrics[1].1 * unit,
            history.epochs.len()
        );
        histories.push(history);
    }
    println!("(MAE in the target's units: disease progression, which ranges from 25 to 346)");

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let svg = out.join("diabetes-history.svg");
    histories[1].write_svg(&svg, "diabetes: the MLP's loss, MAE and R² per epoch (standardised units)")?;
    println!("training history: {}", svg.display());
    Ok(())
}
