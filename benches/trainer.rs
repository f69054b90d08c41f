//! The cost of `Trainer` itself: one epoch of the 784-128-10 ReLU MLP with Adam (batch
//! 64, 2,048 samples: 32 steps), by `Trainer::fit` and by the loop a user writes by hand
//! (shuffled batches, forward, cross-entropy, backward, step). Issue 24 asks the trainer to
//! cost at most 5% more than the hand loop; its extra work is the per-batch checks (the
//! loss and gradient norm finite), the training accuracy, and the per-epoch model check.
//!
//!     cargo bench --bench trainer

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use ndarray::Array2;
use tapegrad::loss::{cross_entropy, Reduction};
use tapegrad::prelude::*;

const SAMPLES: usize = 2048;
const BATCH: usize = 64;

fn data() -> Dataset<f32> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let features = Array2::from_shape_simple_fn((SAMPLES, 784), || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    });
    Dataset::new(features, (0..SAMPLES).map(|i| i % 10).collect()).expect("a valid data set")
}

fn model() -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(7);
    Sequential::new().add(Dense::new(784, 128, &mut rng)).add(ReLU).add(Dense::new(128, 10, &mut rng))
}

fn adam() -> Adam<f32> {
    Adam::builder().learning_rate(1e-3).build().expect("valid settings")
}

/// One epoch as a user writes it; returns the mean loss.
fn hand_epoch(
    model: &mut Sequential<f32>,
    optimizer: &mut Adam<f32>,
    data: &Dataset<f32>,
    rng: &mut StdRng,
) -> f64 {
    let (mut total, mut seen) = (0.0, 0);
    for batch in data.batches(BATCH, rng) {
        let tape = Tape::new();
        let logits = model.forward(&tape, tape.constant(&batch.features)).expect("the model fits the data");
        let loss = cross_entropy(logits, &batch.targets, Reduction::Mean).expect("labels in range");
        total += f64::from(loss.item()) * batch.targets.len() as f64;
        seen += batch.targets.len();
        let grads = tape.backward(loss);
        let _report = optimizer.step(model, &grads).expect("a finite step");
    }
    total / seen as f64
}

fn trainer(c: &mut Criterion) {
    let data = data();
    let (mut by_trainer, mut by_hand) = (model(), model());
    let (mut adam_trainer, mut adam_hand) = (adam(), adam());
    let mut rng = StdRng::seed_from_u64(0);
    let trainer = Trainer::new().epochs(1).batch_size(BATCH).quiet(true);
    // First the two interleaved, epoch for epoch, so that a slow phase of the machine hits
    // both alike (criterion times one, then the other): the minimum of each and their ratio.
    let (mut fastest_trainer, mut fastest_hand) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..100 {
        let start = std::time::Instant::now();
        black_box(trainer.fit(&mut by_trainer, &mut adam_trainer, &data, None).expect("trains"));
        fastest_trainer = fastest_trainer.min(start.elapsed().as_secs_f64());
        let start = std::time::Instant::now();
        black_box(hand_epoch(&mut by_hand, &mut adam_hand, &data, &mut rng));
        fastest_hand = fastest_hand.min(start.elapsed().as_secs_f64());
    }
    println!(
        "interleaved, fastest of 100 epochs each: Trainer::fit {:.2} ms, hand-written {:.2} ms, ratio {:.3}",
        fastest_trainer * 1e3,
        fastest_hand * 1e3,
        fastest_trainer / fastest_hand
    );
    let mut group = c.benchmark_group("epoch 784-128-10 Adam");
    group.bench_function("Trainer::fit", |b| {
        b.iter(|| black_box(trainer.fit(&mut by_trainer, &mut adam_trainer, &data, None).expect("trains")))
    });
    group.bench_function("hand-written loop", |b| {
        b.iter(|| black_box(hand_epoch(&mut by_hand, &mut adam_hand, &data, &mut rng)))
    });
    group.finish();
}

criterion_group!(benches, trainer);
criterion_main!(benches);
