//! XOR, the problem a single neuron cannot solve, learned by a 2 → 4 → 1 MLP.
//!
//! No straight line separates XOR's ones from its zeros, so the network needs a hidden
//! layer: four tanh units bend the plane, and one output unit reads the answer off. The
//! program prints the truth table the untrained net gives, trains it with Adam on the
//! four rows (a seeded generator, so every run is the same), prints the loss as it falls,
//! and prints the truth table again. It exits with an error if any row is still wrong.
//!
//! Run: `cargo run --release --example xor`.

use std::error::Error;

use ndarray::{array, Array2};
use tapegrad::loss::binary_cross_entropy_with_logits;
use tapegrad::prelude::*;

/// `1 / (1 + e^(−z))`: a logit as a probability.
fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The net's probability of a 1 for each row of `x` (a forward pass, nothing recorded).
fn probabilities(model: &Sequential<f32>, x: &Array2<f32>) -> Result<Vec<f32>, Box<dyn Error>> {
    let tape = Tape::inference();
    let logits = model.forward(&tape, tape.constant(x))?.value();
    Ok(logits.iter().map(|&z| sigmoid(z)).collect())
}

/// Prints the truth table with the net's answers; returns how many rows it gets right.
fn print_truth_table(title: &str, x: &Array2<f32>, y: &Array2<f32>, p: &[f32]) -> usize {
    println!("{title}");
    println!("  x1  x2 | target | P(1)   | predicted (1 when P(1) ≥ 0.5)");
    let mut correct = 0;
    for ((row, target), &p) in x.outer_iter().zip(y.iter()).zip(p) {
        let predicted = if p >= 0.5 { 1.0 } else { 0.0 };
        let verdict = if predicted == *target { "right" } else { "WRONG" };
        correct += usize::from(predicted == *target);
        println!("  {:>2}  {:>2} | {:>6} | {p:.4} | {predicted:>9} {verdict}", row[0], row[1], target);
    }
    println!("  {correct} of {} rows right\n", p.len());
    correct
}

fn main() -> Result<(), Box<dyn Error>> {
    let x: Array2<f32> = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y: Array2<f32> = array![[0.0], [1.0], [1.0], [0.0]];

    // The output layer has no sigmoid: it gives a logit z, and the loss is binary
    // cross-entropy on logits, log(1 + e^z) − y·z. Its gradient with respect to z is
    // simply σ(z) − y, large whenever the answer is wrong. The alternative, a sigmoid
    // output with mean-squared error, multiplies that gradient by σ'(z) = σ(z)(1 − σ(z)),
    // which is near 0 once the output saturates — even when it saturates on the WRONG
    // answer — so training stalls. On logits it is also numerically stable (no log(0)).
    let mut rng = StdRng::seed_from_u64(1);
    let mut model =
        Sequential::new().add(Dense::new(2, 4, &mut rng)).add(Tanh).add(Dense::new(4, 1, &mut rng));
    println!(
        "model: 2 → 4 (tanh) → 1 logit, {} parameters, Xavier-uniform weights from seed 1\n",
        model.param_count()
    );

    print_truth_table("Before training (random weights):", &x, &y, &probabilities(&model, &x)?);

    let (epochs, every, learning_rate) = (500, 50, 0.05);
    let mut optimizer = Adam::builder().learning_rate(learning_rate).build()?;
    println!("Training: Adam, learning rate {learning_rate}, full batch of 4 rows, {epochs} epochs");
    let mut last_loss = f32::NAN;
    for epoch in 1..=epochs {
        let tape = Tape::new();
        let logits = model.forward(&tape, tape.constant(&x))?;
        let loss = binary_cross_entropy_with_logits(logits, tape.constant(&y), Reduction::Mean)?;
        last_loss = loss.item();
        if epoch == 1 || epoch % every == 0 {
            println!("  epoch {epoch:>3}: loss {last_loss:.5}");
        }
        let grads = tape.backward(loss);
        let _report = optimizer.step(&mut model, &grads)?; // every parameter reaches the loss
    }
    println!("  (a loss of ln 2 ≈ 0.693 means guessing 0.5 everywhere; 0 means certain and right)\n");

    let correct = print_truth_table("After training:", &x, &y, &probabilities(&model, &x)?);
    if correct != y.len() {
        return Err(format!(
            "the trained net gets {} of {} rows wrong (final loss {last_loss:.4}); \
             XOR should be learned exactly",
            y.len() - correct,
            y.len()
        )
        .into());
    }
    println!(
        "XOR learned: every row right. The hidden layer moved the four points to where one line splits them."
    );
    Ok(())
}
