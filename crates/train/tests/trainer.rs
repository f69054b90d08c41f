//! The training loop: learns, repeats bit for bit from a seed, stops when asked, and
//! reports bad batches as errors.

use ndarray::{array, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::Dataset;
use tapegrad_nn::{Dense, Module, ReLU, Sequential};
use tapegrad_optim::Adam;
use tapegrad_train::{evaluate, TrainError, Trainer};

/// Two Gaussian-ish blobs in 2-D, 100 points each, labels 0 and 1.
fn blobs(seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let features = Array2::from_shape_fn((200, 2), |(i, j)| {
        let centre = if i < 100 { -1.0 } else { 1.0 };
        centre * if j == 0 { 1.0 } else { 0.5 } + rand::RngExt::random_range(&mut rng, -0.8..0.8)
    });
    Dataset::new(features, (0..200).map(|i| usize::from(i >= 100)).collect()).unwrap()
}

fn model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(2, 16, &mut rng)).add(ReLU).add(Dense::new(16, 2, &mut rng))
}

fn params(model: &impl Module<f32>) -> Vec<f32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().copied()));
    out
}

#[test]
fn it_learns_and_records_every_epoch() {
    let (train, test) = (blobs(1), blobs(2));
    let mut net = model(3);
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let history = Trainer::new()
        .epochs(20)
        .batch_size(16)
        .quiet(true)
        .fit(&mut net, &mut adam, &train, Some(&test))
        .unwrap();
    assert_eq!(history.epochs.len(), 20);
    let (first, last) = (&history.epochs[0], history.last().unwrap());
    assert!(last.train_loss < first.train_loss / 2.0, "{first:?} → {last:?}");
    assert!(last.validation_accuracy.unwrap() > 0.95, "{last:?}");
    assert_eq!(
        evaluate(&net, &test).unwrap(),
        (last.validation_loss.unwrap(), last.validation_accuracy.unwrap())
    );
    assert_eq!(history.to_csv().lines().count(), 21);
}

#[test]
fn the_same_seed_gives_the_same_run_bit_for_bit() {
    let train = blobs(1);
    let run = |seed| {
        let mut net = model(3);
        let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
        let history =
            Trainer::new().epochs(3).seed(seed).quiet(true).fit(&mut net, &mut adam, &train, None).unwrap();
        (params(&net), history.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>())
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0, "another seed shuffles differently");
}

#[test]
fn a_label_out_of_range_is_an_error_not_a_panic() {
    let bad = Dataset::new(array![[0.0f32, 1.0], [1.0, 0.0]], vec![0, 7]).unwrap();
    let mut net = model(3);
    let mut adam = Adam::builder().build().unwrap();
    let err = Trainer::new().quiet(true).fit(&mut net, &mut adam, &bad, None).unwrap_err();
    assert!(matches!(err, TrainError::Loss(_)), "{err}");
    assert!(err.to_string().contains('7'), "{err}");
}
