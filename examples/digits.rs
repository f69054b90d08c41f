//! Trains a small MLP on the bundled UCI handwritten digits (8×8 images, 10 classes):
//! load the CSV, split 80/20 (stratified, seeded), standardise with the training set's
//! statistics, train 64 → 64 → 10 with ReLU and Adam on mini-batches, report loss and
//! accuracy each epoch, and save the weights as safetensors.
//!
//! Run it with `cargo run --release --example digits`. Every gradient comes from the tape;
//! the loop below is the whole training pattern, spelled out.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array2, Axis};
use tapegrad::loss::{cross_entropy, Reduction};
use tapegrad::prelude::*;

/// The fraction of rows of `logits` whose largest entry is at the label.
fn accuracy(logits: &Array2<f32>, labels: &[usize]) -> f64 {
    let correct = logits
        .axis_iter(Axis(0))
        .zip(labels)
        .filter(|(row, label)| {
            let best = row
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
            best.0 == **label
        })
        .count();
    correct as f64 / labels.len() as f64
}

/// Loss and accuracy of `model` on a whole data set, recording nothing for backward.
fn evaluate(model: &Sequential<f32>, data: &Dataset<f32>) -> Result<(f32, f64), Box<dyn Error>> {
    let tape = Tape::inference();
    let logits = model.forward(&tape, tape.constant(data.features()))?;
    let loss = cross_entropy(logits, data.labels(), Reduction::Mean)?.item();
    let logits: Array2<f32> = logits.value().into_dimensionality()?;
    Ok((loss, accuracy(&logits, data.labels())))
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv.gz");
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
    let scaler = Standardizer::fit(train.features())?;
    let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
    println!(
        "train {} / test {} samples, standardised with the training set's mean and std\n",
        train.len(),
        test.len()
    );

    let mut model = Sequential::new()
        .add(Dense::with_init(64, 64, Init::HeUniform, Some(Init::Zeros), &mut rng))
        .add(ReLU)
        .add(Dense::with_init(64, 10, Init::XavierUniform, Some(Init::Zeros), &mut rng));
    let mut optimizer = Adam::builder().learning_rate(1e-3).build()?;
    println!(
        "model: 64 → 64 (ReLU) → 10, {} parameters; Adam, learning rate 1e-3, batches of 32",
        model.param_count()
    );

    let start = Instant::now();
    let epochs = 30;
    for epoch in 1..=epochs {
        let (mut total, mut seen) = (0.0f64, 0usize);
        for batch in train.batches(32, &mut rng) {
            let tape = Tape::new();
            let logits = model.forward(&tape, tape.constant(&batch.features))?;
            let loss = cross_entropy(logits, &batch.targets, Reduction::Mean)?;
            total += f64::from(loss.item()) * batch.targets.len() as f64;
            seen += batch.targets.len();
            let grads = tape.backward(loss);
            optimizer.step(&mut model, &grads);
        }
        let (test_loss, test_accuracy) = evaluate(&model, &test)?;
        println!(
            "epoch {epoch:>2}/{epochs}: train loss {:.4}  test loss {test_loss:.4}  test accuracy {:.1}%",
            total / seen as f64,
            100.0 * test_accuracy
        );
    }
    let (_, train_accuracy) = evaluate(&model, &train)?;
    let (test_loss, test_accuracy) = evaluate(&model, &test)?;
    println!(
        "\ntrained {epochs} epochs in {:.2?}: train accuracy {:.1}%, held-out test accuracy {:.1}% (loss {test_loss:.4})",
        start.elapsed(),
        100.0 * train_accuracy,
        100.0 * test_accuracy
    );

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/digits.safetensors");
    std::fs::create_dir_all(out.parent().expect("a file in a directory"))
        .map_err(|e| format!("cannot create {}: {e}", out.parent().unwrap_or(&out).display()))?;
    save_weights(&model, &out)?;
    println!("weights saved to {} (load them in Python with safetensors.numpy.load_file)", out.display());
    if test_accuracy < 0.97 {
        return Err(format!(
            "held-out accuracy {:.1}% is below the 97% this example promises",
            100.0 * test_accuracy
        )
        .into());
    }
    Ok(())
}
