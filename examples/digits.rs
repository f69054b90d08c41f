//! Trains a small MLP on the bundled UCI handwritten digits (8×8 images, 10 classes):
//! load the CSV, hold out 20% as the test set (stratified, seeded) and carve a validation
//! set from the rest, standardise with the training set's statistics, train 64 → 64 → 10
//! with ReLU and Adam on mini-batches with a progress bar, report loss and accuracy on the
//! validation set each epoch, report the test set once at the end, then save the weights
//! as safetensors and the loss curve as CSV and SVG.
//!
//! Run it with `cargo run --release --example digits`. `Trainer` runs the loop; the loop
//! itself, step by step, is in `docs/05-training-an-mlp.md`.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use tapegrad::prelude::*;
use tapegrad::train::evaluate;

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("data/digits.csv.gz");
    let digits = CsvOptions::new().load::<f32>(&path)?;
    println!(
        "loaded {} digits with {} features and {} classes from {}",
        digits.len(),
        digits.num_features(),
        digits.num_classes(),
        path.display()
    );

    let mut rng = StdRng::seed_from_u64(7);
    let (train, test) = digits.split_stratified(0.2, &mut rng)?;
    // The test set is looked at once, at the end; choices during training use a
    // validation set carved from the training part.
    let (train, validation) = train.split_stratified(0.15, &mut rng)?;
    let scaler = Standardizer::fit(train.features())?;
    let (train, validation, test) = (
        scaler.transform_dataset(&train)?,
        scaler.transform_dataset(&validation)?,
        scaler.transform_dataset(&test)?,
    );
    println!(
        "train {} / validation {} / test {} samples, standardised with the training set's mean and std",
        train.len(),
        validation.len(),
        test.len()
    );

    let mut model = Sequential::new()
        .add(Dense::with_init(64, 64, Init::HeUniform, Some(Init::Zeros), &mut rng))
        .add(ReLU)
        .add(Dense::with_init(64, 10, Init::XavierUniform, Some(Init::Zeros), &mut rng));
    let mut optimizer = Adam::builder().learning_rate(2e-3).build()?;
    println!("{}", summary(&mut model, &[32, 64])?);
    println!("Adam, learning rate 2e-3, batches of 32\n");

    let start = Instant::now();
    let trainer = Trainer::new().epochs(30).batch_size(32).seed(7);
    let history = trainer.fit(&mut model, &mut optimizer, &train, Some(&validation))?;
    let (_, train_accuracy) = evaluate(&model, &train)?;
    let (test_loss, test_accuracy) = evaluate(&model, &test)?;
    println!(
        "\ntrained {} epochs in {:.2?}: train accuracy {:.1}%, held-out test accuracy {:.1}% (loss {test_loss:.4})",
        history.epochs.len(),
        start.elapsed(),
        100.0 * train_accuracy,
        100.0 * test_accuracy
    );

    let out = root.join("target");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    save_weights(&model, out.join("digits.safetensors"))?;
    history.write_csv(out.join("digits-history.csv"))?;
    history.write_svg(out.join("digits-loss.svg"), "digits: 64 → 64 → 10 MLP, Adam")?;
    println!(
        "weights: {} (safetensors; Python reads it with safetensors.numpy.load_file)",
        out.join("digits.safetensors").display()
    );
    println!(
        "history: {} and the loss curve {}",
        out.join("digits-history.csv").display(),
        out.join("digits-loss.svg").display()
    );
    if test_accuracy < 0.97 {
        return Err(format!(
            "held-out accuracy {:.1}% is below the 97% this example promises",
            100.0 * test_accuracy
        )
        .into());
    }
    Ok(())
}
