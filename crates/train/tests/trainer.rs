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

/// `blobs(seed)` with row `row` set to NaN.
fn blobs_with_nan(seed: u64, row: usize) -> Dataset<f32> {
    let data = blobs(seed);
    let mut features = data.features().clone();
    features.row_mut(row).fill(f32::NAN);
    Dataset::new(features, data.labels().to_vec()).unwrap()
}

/// Class 5 of issue 11: a NaN in one input row stops training with an error naming the
/// epoch and batch, before that batch's step, so the weights are still finite (before,
/// relu(NaN) = 0 hid it: training ended `Ok` with a finite loss and NaN weights).
#[test]
fn a_nan_in_the_data_stops_training_before_the_step_it_would_ruin() {
    let data = blobs_with_nan(1, 5);
    let mut net = model(2);
    let before = params(&net);
    let mut adam = Adam::builder().build().unwrap();
    // One batch an epoch: the first step would be the bad one.
    let trainer = Trainer::new().epochs(3).batch_size(data.len()).quiet(true);
    let err = trainer.fit(&mut net, &mut adam, &data, None).unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { epoch: 1, batch: 1, what: "loss", .. }), "{err:?}");
    assert!(err.to_string().starts_with("epoch 1, batch 1: the loss is NaN (not finite)"), "{err}");
    assert_eq!(params(&net), before, "the weights changed");
    // Smaller batches: training stops at the batch holding the row; all weights finite.
    let err =
        Trainer::new().epochs(3).batch_size(4).quiet(true).fit(&mut net, &mut adam, &data, None).unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { epoch: 1, .. }), "{err:?}");
    assert!(params(&net).iter().all(|w| w.is_finite()));
}

/// The documented alternative: skip such batches, count them, and go on.
#[test]
fn non_finite_batches_can_be_skipped_and_are_counted() {
    let data = blobs_with_nan(1, 5);
    let mut net = model(2);
    let mut adam = Adam::builder().build().unwrap();
    let history = Trainer::new()
        .epochs(3)
        .batch_size(4)
        .quiet(true)
        .on_non_finite(tapegrad_train::OnNonFinite::SkipBatch)
        .fit(&mut net, &mut adam, &data, None)
        .unwrap();
    assert!(history.epochs.iter().all(|epoch| epoch.skipped_batches == 1 && epoch.train_loss.is_finite()));
    assert!(params(&net).iter().all(|w| w.is_finite()));
}

/// Class 6 of issue 11: no data, an empty validation set and a batch size of 0 are errors,
/// not a history of loss 0 and accuracy 0 (or a panic).
#[test]
fn empty_data_and_a_zero_batch_size_are_errors() {
    let empty = Dataset::new(Array2::<f32>::zeros((0, 2)), vec![]).unwrap();
    let data = blobs(1);
    let mut net = model(2);
    let mut adam = Adam::builder().build().unwrap();
    let trainer = Trainer::new().epochs(1).quiet(true);
    let err = trainer.fit(&mut net, &mut adam, &empty, None).unwrap_err();
    assert!(matches!(err, TrainError::EmptyData { which: "training" }), "{err:?}");
    let err = trainer.fit(&mut net, &mut adam, &data, Some(&empty)).unwrap_err();
    assert!(matches!(err, TrainError::EmptyData { which: "validation" }), "{err:?}");
    assert!(matches!(evaluate(&net, &empty), Err(TrainError::EmptyData { .. })));
    let err = Trainer::new().batch_size(0).quiet(true).fit(&mut net, &mut adam, &data, None).unwrap_err();
    assert_eq!(err.to_string(), "Trainer: the batch size must be at least 1, got 0");
}

/// Class 7 of issue 11: models, layers, gradients and optimizers are `Send`, so training
/// can move to another thread.
#[test]
fn everything_a_training_run_holds_is_send_and_trains_in_a_spawned_thread() {
    fn send<S: Send>() {}
    send::<Sequential<f32>>();
    send::<Dense<f64>>();
    send::<tapegrad_nn::Dropout>();
    send::<(
        ReLU,
        tapegrad_nn::Tanh,
        tapegrad_nn::Sigmoid,
        tapegrad_nn::LeakyReLU,
        tapegrad_nn::Softmax,
        tapegrad_nn::LogSoftmax,
    )>();
    send::<tapegrad_tape::Grads<f32>>();
    send::<(
        Adam<f32>,
        tapegrad_optim::AdamW<f32>,
        tapegrad_optim::Sgd<f32>,
        tapegrad_optim::RmsProp<f64>,
        tapegrad_optim::Adagrad<f64>,
    )>();
    send::<Box<dyn tapegrad_optim::Optimizer<f32> + Send>>();
    send::<(Trainer, tapegrad_train::History, Dataset<f32>)>();

    let data = blobs(3);
    let mut net = model(4).add(tapegrad_nn::Dropout::new(0.1, 5).unwrap());
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let (net, history) = std::thread::spawn(move || {
        let history = Trainer::new().epochs(5).quiet(true).fit(&mut net, &mut adam, &data, None).unwrap();
        (net, history)
    })
    .join()
    .unwrap();
    assert!(history.last().unwrap().train_accuracy > 0.9, "{:?}", history.last());
    assert!(params(&net).iter().all(|w| w.is_finite()));
}

/// An epoch that trains on no batch is an error, not a record of loss 0 and accuracy 0.
#[test]
fn an_epoch_without_a_batch_is_an_error() {
    let data = blobs(1).subset(&[0, 1, 2, 100, 101, 102, 103, 104]);
    let mut net = model(2);
    let mut adam = Adam::builder().build().unwrap();
    let err = Trainer::new()
        .batch_size(100)
        .drop_last(true)
        .quiet(true)
        .fit(&mut net, &mut adam, &data, None)
        .unwrap_err();
    assert!(matches!(err, TrainError::NoBatches { epoch: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("drop_last dropped the only batch: 8 samples, batch size 100"), "{err}");
    let nan = blobs_with_nan(1, 0).subset(&[0, 1]);
    let err = Trainer::new()
        .batch_size(2)
        .quiet(true)
        .on_non_finite(tapegrad_train::OnNonFinite::SkipBatch)
        .fit(&mut net, &mut adam, &nan, None)
        .unwrap_err();
    assert!(err.to_string().contains("all 1 batches had a NaN or infinite loss"), "{err}");
}

/// A model whose outputs are NaN predicts nothing: evaluation counts none of its rows
/// as correct (the argmax of a NaN row used to be class 0).
#[test]
fn a_nan_model_scores_no_accuracy() {
    let model = Dense::from_arrays(Array2::from_elem((2, 2), f32::NAN), None);
    let data = Dataset::new(array![[1.0f32, 0.0], [0.0, 1.0]], vec![0, 0]).unwrap();
    let (loss, accuracy) = evaluate(&model, &data).unwrap();
    assert!(loss.is_nan());
    assert_eq!(accuracy, 0.0);
}

/// `y = x + √s` with `s = 0`: a finite loss whose gradient is infinite (d√s/ds = ∞ at 0).
struct SqrtShift {
    inner: Dense<f32>,
    s: ndarray::Array1<f32>,
}

impl Module<f32> for SqrtShift {
    fn forward<'t>(
        &'t self,
        tape: &'t tapegrad_tape::Tape<'t, f32>,
        x: tapegrad_tape::Var<'t, f32>,
    ) -> Result<tapegrad_tape::Var<'t, f32>, tapegrad_nn::NnError> {
        Ok(self.inner.forward(tape, x)? + tape.param(&self.s).sqrt())
    }
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewD<'a, f32>)) {
        self.inner.visit_params(&mut |name, p| visit(&format!("inner.{name}"), p));
        visit("s", self.s.view().into_dyn());
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewMutD<'_, f32>)) {
        self.inner.visit_params_mut(&mut |name, p| visit(&format!("inner.{name}"), p));
        visit("s", self.s.view_mut().into_dyn());
    }
}

/// A finite loss with an infinite gradient is caught by the gradient-norm check, before
/// the step, and a skipped batch's predictions do not count towards accuracy.
#[test]
fn an_infinite_gradient_behind_a_finite_loss_stops_training() {
    let data = blobs(1);
    let mut net =
        SqrtShift { inner: Dense::new(2, 2, &mut StdRng::seed_from_u64(3)), s: ndarray::Array1::zeros(2) };
    let before = params(&net);
    let mut adam = Adam::builder().build().unwrap();
    let err = Trainer::new().epochs(1).quiet(true).fit(&mut net, &mut adam, &data, None).unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { epoch: 1, batch: 1, what: "gradient norm", .. }),
        "{err:?}"
    );
    assert_eq!(params(&net), before);
    let err = Trainer::new()
        .epochs(1)
        .quiet(true)
        .on_non_finite(tapegrad_train::OnNonFinite::SkipBatch)
        .fit(&mut net, &mut adam, &data, None)
        .unwrap_err();
    assert!(matches!(err, TrainError::NoBatches { epoch: 1, .. }), "{err:?}");
    assert_eq!(params(&net), before);
}
