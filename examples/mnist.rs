//! Trains an MLP on MNIST (60,000 training and 10,000 test images of handwritten digits,
//! 28×28 pixels) read from the four standard IDX files: the digits example at full scale.
//! It teaches loading real data from disk (gzip or not, with a helpful message when files
//! are missing), mini-batch training with Adam, and evaluating in chunks on an inference
//! tape so memory stays flat however large the test set.
//!
//! Run it with `cargo run --release --example mnist -- <dir> [--model 784-128-10|784-10-10]
//! [--epochs N]`, where `<dir>` holds `train-images-idx3-ubyte.gz` and its three siblings.
//! The default 784 → 128 → 10 model (ReLU, He init) reaches about 97.8% held-out accuracy
//! in 3 epochs; `--model 784-10-10` is the tiny network of the Keras seed example.

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use ndarray::{Array2, ArrayView1, Axis};
use tapegrad::data::load_mnist;
use tapegrad::loss::{cross_entropy, Reduction};
use tapegrad::optim::{ExponentialLr, LrSchedule};
use tapegrad::prelude::*;

const USAGE: &str =
    "usage: cargo run --release --example mnist -- <dir> [--model 784-128-10|784-10-10] [--epochs N]";

const FILES_HELP: &str = "\
MNIST needs four files in one directory:
  train-images-idx3-ubyte.gz   train-labels-idx1-ubyte.gz
  t10k-images-idx3-ubyte.gz    t10k-labels-idx1-ubyte.gz
(gzip-compressed or not; dot-named variants such as train-images.idx3-ubyte work too).
They are distributed on the MNIST database page of Yann LeCun, Corinna Cortes and
Christopher Burges (http://yann.lecun.com/exdb/mnist/), and by mirrors such as the one
torchvision downloads from (https://ossci-datasets.s3.amazonaws.com/mnist/).
Download them, then pass their directory: cargo run --release --example mnist -- <dir>";

/// The command line: the MNIST directory, the hidden layer's width, the number of epochs.
fn parse_args() -> Result<(String, usize, usize), String> {
    let (mut dir, mut hidden, mut epochs) = (None, 128, 3);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => match args.next().as_deref() {
                Some("784-128-10") => hidden = 128,
                Some("784-10-10") => hidden = 10,
                other => return Err(format!("--model takes 784-128-10 or 784-10-10, not {other:?}")),
            },
            "--epochs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => epochs = n,
                _ => return Err("--epochs takes a positive whole number".to_string()),
            },
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if dir.is_none() => dir = Some(path.to_string()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    Ok((dir.ok_or("no MNIST directory given")?, hidden, epochs))
}

/// Loss and accuracy of `model` on `data`, in chunks of 1,000 on inference tapes (which
/// record nothing for backward), so memory does not grow with the data set.
fn evaluate(model: &Sequential<f32>, data: &Dataset<f32>) -> Result<(f64, f64), Box<dyn Error>> {
    let (mut loss, mut right) = (0.0f64, 0usize);
    for batch in data.batches_in_order(1000) {
        let tape = Tape::inference();
        let logits = model.forward(&tape, tape.constant(&batch.features))?;
        loss += f64::from(cross_entropy(logits, &batch.targets, Reduction::Sum)?.item());
        let logits: Array2<f32> = logits.value().into_dimensionality()?;
        let best =
            |row: ArrayView1<f32>| row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
        right += logits
            .axis_iter(Axis(0))
            .zip(&batch.targets)
            .filter(|(row, y)| best(row.view()) == Some(**y))
            .count();
    }
    Ok((loss / data.len() as f64, right as f64 / data.len() as f64))
}

fn run((dir, hidden, epochs): (String, usize, usize)) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let (train, test) = load_mnist::<f32>(&dir)?;
    let (n_train, n_test, elapsed) = (train.len(), test.len(), start.elapsed());
    println!(
        "loaded {n_train} training and {n_test} test images of 28×28 pixels from {dir} in {elapsed:.2?}"
    );

    // One mean and standard deviation over all training pixels (summed in f64), as torchvision
    // does: per-pixel statistics would blow up the border pixels that are almost always 0.
    let (n, sum, squares) = train
        .features()
        .iter()
        .map(|&p| f64::from(p))
        .fold((0.0, 0.0, 0.0), |(n, s, q), p| (n + 1.0, s + p, q + p * p));
    let (mean, std) = ((sum / n) as f32, (squares / n - (sum / n).powi(2)).sqrt() as f32);
    let standardise = |data: Dataset<f32>| {
        let features = data.features().mapv(|pixel| (pixel - mean) / std);
        data.with_features(features)
    };
    let (train, test) = (standardise(train)?, standardise(test)?);
    println!("pixels standardised with the training set's mean {mean:.4} and standard deviation {std:.4}");

    let mut rng = StdRng::seed_from_u64(7);
    let mut model = Sequential::new()
        .add(Dense::with_init(784, hidden, Init::HeUniform, Some(Init::Zeros), &mut rng))
        .add(ReLU)
        .add(Dense::with_init(hidden, 10, Init::XavierUniform, Some(Init::Zeros), &mut rng));
    // A high rate shrinking 0.3× each epoch: 97.6–98.0% in 3 epochs over seeds, where a
    // constant 1e-3 (batches of 64, unstandardised pixels) reached 97.0%.
    let (learning_rate, decay, batch_size) = (3e-3, 0.3, 64);
    let schedule = ExponentialLr::new(learning_rate, decay)?;
    let mut optimizer = Adam::builder().learning_rate(learning_rate).build()?;
    let parameters = model.param_count();
    println!("model: 784 → {hidden} (ReLU) → 10, {parameters} parameters");
    println!("Adam, learning rate {learning_rate:e} × {decay} each epoch, batches of {batch_size}\n");

    let start = Instant::now();
    for epoch in 1..=epochs {
        let rate = schedule.apply(epoch - 1, &mut optimizer);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for batch in train.batches(batch_size, &mut rng) {
            let tape = Tape::new();
            let logits = model.forward(&tape, tape.constant(&batch.features))?;
            let loss = cross_entropy(logits, &batch.targets, Reduction::Mean)?;
            total += f64::from(loss.item()) * batch.targets.len() as f64;
            seen += batch.targets.len();
            let grads = tape.backward(loss);
            let _report = optimizer.step(&mut model, &grads)?; // every parameter reaches the loss
        }
        let (test_loss, test_accuracy) = evaluate(&model, &test)?;
        println!(
            "epoch {epoch:>2}/{epochs}: lr {rate:.1e}  train loss {:.4}  test loss {test_loss:.4}  \
             test accuracy {:.2}%  ({:.1?} elapsed)",
            total / seen as f64,
            100.0 * test_accuracy,
            start.elapsed()
        );
    }
    let (_, train_accuracy) = evaluate(&model, &train)?;
    let (test_loss, test_accuracy) = evaluate(&model, &test)?;
    println!(
        "\ntrained {epochs} epochs in {:.2?}: train accuracy {:.2}%, held-out test accuracy {:.2}% (loss {test_loss:.4})",
        start.elapsed(),
        100.0 * train_accuracy,
        100.0 * test_accuracy
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("mnist: {message}\n{USAGE}\n\n{FILES_HELP}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mnist: {err}");
            if matches!(err.downcast_ref(), Some(DataError::MissingMnistFiles { .. } | DataError::Io { .. }))
            {
                eprintln!("\n{FILES_HELP}");
            }
            ExitCode::FAILURE
        }
    }
}
