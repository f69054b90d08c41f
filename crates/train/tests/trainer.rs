//! The training loop: learns, repeats bit for bit from a seed, stops when asked, and
//! reports bad batches as errors.

use ndarray::{array, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::Dataset;
use tapegrad_nn::{Dense, Module, Parameters, ReLU, Sequential};
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
    assert!(last.validation_accuracy().unwrap() > 0.95, "{last:?}");
    assert_eq!(
        evaluate(&net, &test).unwrap(),
        (last.validation_loss.unwrap(), last.validation_accuracy().unwrap())
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

/// Issue 22, E4: a batch that is skipped, or that stops the run, leaves BatchNorm's running
/// statistics as they were (the forward pass had already folded the NaN batch into them,
/// and every validation loss after was NaN).
#[test]
fn a_skipped_or_stopping_batch_leaves_the_running_statistics_as_they_were() {
    let data = blobs_with_nan(1, 5);
    let validation = blobs(2);
    let mut net = dropout_model(3);
    let history = Trainer::new()
        .epochs(3)
        .batch_size(8)
        .quiet(true)
        .on_non_finite(tapegrad_train::OnNonFinite::SkipBatch)
        .fit(&mut net, &mut Adam::builder().build().unwrap(), &data, Some(&validation))
        .unwrap();
    assert!(history.epochs.iter().all(|epoch| epoch.skipped_batches == 1));
    assert!(buffers(&net).iter().all(|v| v.is_finite()), "{:?}", buffers(&net));
    assert!(history.epochs.iter().all(|epoch| epoch.validation_loss.unwrap().is_finite()));
    // Stopping: the buffers are those after the batch before, exactly. The NaN row is in
    // the first epoch's shuffled batches somewhere; a callback-free run stopped there keeps
    // the state of a run of the batches before it, which is finite.
    let mut stopped = dropout_model(3);
    let err = Trainer::new()
        .epochs(3)
        .batch_size(8)
        .quiet(true)
        .fit(&mut stopped, &mut Adam::builder().build().unwrap(), &data, Some(&validation))
        .unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { epoch: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("the weights and buffers are those after the previous batch"), "{err}");
    assert!(buffers(&stopped).iter().all(|v| v.is_finite()), "{:?}", buffers(&stopped));
}

/// Issue 22, E5: an epoch whose steps leave a weight infinite (finite gradients, a
/// learning rate far too high), or whose validation loss is NaN, does not end `Ok`.
#[test]
fn an_epoch_that_ends_with_a_ruined_model_is_an_error() {
    let data = blobs(1);
    // Inputs of size 100 give gradients above 1, which f32::MAX times overflows.
    let large = Dataset::new(data.features() * 100.0, data.labels().to_vec()).unwrap();
    let mut net = model(2);
    let mut sgd = tapegrad_optim::Sgd::builder().learning_rate(f32::MAX).build().unwrap();
    let err = Trainer::new()
        .epochs(2)
        .batch_size(200)
        .quiet(true)
        .fit(&mut net, &mut sgd, &large, None)
        .unwrap_err();
    assert!(matches!(err, TrainError::NonFiniteModel { epoch: 1, .. }), "{err:?}");
    assert!(err.to_string().starts_with("epoch 1: after its steps, `layers."), "{err}");
    // NaN in the validation data: an error, or (when skipping) a NaN in the record.
    let validation = blobs_with_nan(2, 0);
    let err = Trainer::new().epochs(2).quiet(true).fit(
        &mut model(2),
        &mut Adam::builder().build().unwrap(),
        &data,
        Some(&validation),
    );
    let err = err.unwrap_err();
    assert!(err.to_string().starts_with("epoch 1: after its steps, the validation loss is NaN"), "{err}");
    let history = Trainer::new()
        .epochs(2)
        .quiet(true)
        .on_non_finite(tapegrad_train::OnNonFinite::SkipBatch)
        .fit(&mut model(2), &mut Adam::builder().build().unwrap(), &data, Some(&validation))
        .unwrap();
    assert!(history.epochs.iter().all(|epoch| epoch.validation_loss.unwrap().is_nan()));
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
    assert!(history.last().unwrap().train_accuracy().unwrap() > 0.9, "{:?}", history.last());
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

impl Parameters<f32> for SqrtShift {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewD<'a, f32>)) {
        self.inner.visit_params(&mut |name, p| visit(&format!("inner.{name}"), p));
        visit("s", self.s.view().into_dyn());
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewMutD<'_, f32>)) {
        self.inner.visit_params_mut(&mut |name, p| visit(&format!("inner.{name}"), p));
        visit("s", self.s.view_mut().into_dyn());
    }
}

impl Module<f32> for SqrtShift {
    fn forward<'t>(
        &'t self,
        tape: &'t tapegrad_tape::Tape<'t, f32>,
        x: tapegrad_tape::Var<'t, f32>,
    ) -> Result<tapegrad_tape::Var<'t, f32>, tapegrad_nn::NnError> {
        Ok(self.inner.forward(tape, x)? + tape.param(&self.s).sqrt())
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

// ---- Issue 12: one Trainer for classification and regression ----

use tapegrad_train::{evaluate_with, Loss, Metric, Monitor};

/// y = [x₀ + 2x₁, x₀ − x₁] + noise: a two-output regression.
fn linear(seed: u64, rows: usize) -> Dataset<f64, Array2<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, 2), |_| rand::RngExt::random_range(&mut rng, -1.0..1.0));
    let y = Array2::from_shape_fn((rows, 2), |(i, j)| {
        let noise = rand::RngExt::random_range(&mut rng, -0.05..0.05);
        (if j == 0 { x[[i, 0]] + 2.0 * x[[i, 1]] } else { x[[i, 0]] - x[[i, 1]] }) + noise
    });
    Dataset::new(x, y).unwrap()
}

fn regressor(seed: u64) -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(2, 8, &mut rng)).add(tapegrad_nn::Tanh).add(Dense::new(8, 2, &mut rng))
}

#[test]
fn regression_trains_with_its_own_loss_and_metrics() {
    let (train, test) = (linear(1, 256), linear(2, 64));
    let mut net = regressor(0);
    let mut adam = Adam::builder().learning_rate(0.02).build().unwrap();
    let history = Trainer::new()
        .epochs(60)
        .batch_size(32)
        .quiet(true)
        .fit(&mut net, &mut adam, &train, Some(&test))
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.train_metrics.iter().map(|(m, _)| *m).collect::<Vec<_>>(), [Metric::Mae, Metric::R2]);
    assert!(last.validation_metric(Metric::R2).unwrap() > 0.98, "{last:?}");
    assert_eq!(last.train_accuracy(), None);
    // The validation numbers are evaluate_with's on the final model.
    net.set_training(false);
    let (loss, metrics) = evaluate_with(&net, &test, Loss::Mse, &[Metric::Mae, Metric::R2]).unwrap();
    assert_eq!((Some(loss), metrics), (last.validation_loss, last.validation_metrics.clone()));
    assert!(history
        .to_csv()
        .starts_with("epoch,train_loss,train_mae,train_r2,validation_loss,validation_mae,validation_r2,"));
    // R² agrees with its definition computed directly.
    let tape = tapegrad_tape::Tape::new();
    let prediction = net.forward(&tape, tape.constant(test.features())).unwrap().value();
    let r2: f64 = (0..2)
        .map(|j| {
            let (y, p) = (test.targets().column(j), prediction.index_axis(ndarray::Axis(1), j));
            let mean = y.mean().unwrap();
            let total: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
            let residual: f64 = y.iter().zip(p.iter()).map(|(a, b)| (a - b).powi(2)).sum();
            1.0 - residual / total
        })
        .sum::<f64>()
        / 2.0;
    assert!((r2 - metrics_r2(&last.validation_metrics)).abs() < 1e-12);
}

fn metrics_r2(metrics: &[(Metric, f64)]) -> f64 {
    metrics.iter().find(|(m, _)| *m == Metric::R2).unwrap().1
}

#[test]
fn other_losses_and_metrics_are_chosen_by_name() {
    let train = linear(3, 128);
    for loss in [Loss::Mae, Loss::Huber { delta: 0.5 }, Loss::Mse] {
        let mut net = regressor(1);
        let mut adam = Adam::builder().learning_rate(0.02).build().unwrap();
        let history = Trainer::new()
            .epochs(5)
            .quiet(true)
            .loss(loss)
            .metrics([Metric::Mse])
            .fit(&mut net, &mut adam, &train, None)
            .unwrap();
        let first = &history.epochs[0];
        assert!(
            history.last().unwrap().train_metric(Metric::Mse).unwrap()
                < first.train_metric(Metric::Mse).unwrap()
        );
        assert_eq!(first.train_metrics.len(), 1, "{loss:?}");
    }
}

#[test]
fn settings_that_cannot_work_are_refused_before_training() {
    let regression = linear(3, 16);
    let mut net = regressor(1);
    let mut adam = Adam::builder().build().unwrap();
    let refused = |trainer: Trainer, net: &mut Sequential<f64>, adam: &mut Adam<f64>| {
        let err = trainer.quiet(true).fit(net, adam, &regression, None).unwrap_err();
        assert!(matches!(err, TrainError::InvalidSetting(_)), "{err:?}");
        err.to_string()
    };
    let before = params64(&net);
    assert!(refused(Trainer::new().metrics([Metric::Accuracy]), &mut net, &mut adam)
        .contains("accuracy does not apply to regression targets"));
    assert!(refused(Trainer::new().loss(Loss::CrossEntropy), &mut net, &mut adam)
        .contains("CrossEntropy does not apply"));
    assert!(refused(Trainer::new().loss(Loss::Huber { delta: -1.0 }), &mut net, &mut adam).contains("delta"));
    assert!(refused(Trainer::new().monitor(Monitor::ValidationLoss), &mut net, &mut adam)
        .contains("no validation set"));
    assert!(refused(Trainer::new().monitor(Monitor::Train(Metric::Mse)), &mut net, &mut adam)
        .contains("not among the metrics"));
    assert!(refused(Trainer::new().early_stopping(3, -1.0), &mut net, &mut adam).contains("min_delta"));
    assert_eq!(params64(&net), before, "nothing trained");
    let classes = blobs(1);
    let err = Trainer::new().quiet(true).metrics([Metric::R2]).fit(
        &mut model(0),
        &mut Adam::builder().build().unwrap(),
        &classes,
        None,
    );
    assert!(matches!(err, Err(TrainError::InvalidSetting(_))));
}

fn params64(model: &impl Module<f64>) -> Vec<f64> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().copied()));
    out
}

#[test]
fn early_stopping_restores_and_checkpoints_the_best_epoch() {
    let (train, test) = (blobs(1), blobs(2));
    let dir = std::env::temp_dir().join(format!("tapegrad-train-best-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("best.safetensors");
    let mut net = model(3);
    // A learning rate too high to settle: the validation loss goes up and down.
    let mut adam = Adam::builder().learning_rate(0.3).build().unwrap();
    let mut best_weights = Vec::new();
    let mut best_epoch = 0;
    let history = Trainer::new()
        .epochs(200)
        .batch_size(16)
        .quiet(true)
        .early_stopping(4, 0.0)
        .restore_best_weights(true)
        .checkpoint_best(&path)
        .fit_with_callback(&mut net, &mut adam, &train, Some(&test), |end| {
            if end.is_best() {
                best_weights = params(&*end.model);
                best_epoch = end.record.epoch;
            }
            Ok(true)
        })
        .unwrap();
    let losses: Vec<f64> = history.epochs.iter().map(|e| e.validation_loss.unwrap()).collect();
    let (argmin, _) =
        losses.iter().enumerate().fold((0, f64::INFINITY), |b, (i, &v)| if v < b.1 { (i, v) } else { b });
    assert_eq!(best_epoch, argmin + 1);
    assert!(history.epochs.len() < 200, "stopped early");
    assert_eq!(history.epochs.len(), best_epoch + 4, "4 epochs of patience after the best");
    assert_eq!(params(&net), best_weights, "the best epoch's weights are back");
    let mut loaded = model(9);
    tapegrad_nn::load_weights(&mut loaded, &path).unwrap();
    assert_eq!(params(&loaded), best_weights, "the checkpoint is the best epoch's");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_callback_error_stops_training_with_it() {
    let train = blobs(1);
    let mut net = model(3);
    let mut adam = Adam::builder().build().unwrap();
    let err = Trainer::new()
        .epochs(10)
        .quiet(true)
        .fit_with_callback(&mut net, &mut adam, &train, None, |end| {
            if end.record.epoch == 2 {
                return Err(TrainError::InvalidSetting("stop here".into()));
            }
            Ok(true)
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "Trainer: stop here");
}

// ---- Issue 12: checkpoints that resume a run bit for bit ----

fn dropout_model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Dense::new(2, 16, &mut rng))
        .add(tapegrad_nn::BatchNorm1d::new(16))
        .add(ReLU)
        .add(tapegrad_nn::Dropout::new(0.3, 11).unwrap())
        .add(Dense::new(16, 2, &mut rng))
}

fn buffers(model: &impl Module<f32>) -> Vec<f32> {
    let mut out = Vec::new();
    model.visit_buffers(&mut |_, b| out.extend(b.iter().copied()));
    out
}

#[test]
fn an_interrupted_run_resumes_bit_for_bit_with_early_stopping_and_the_best_epoch() {
    let (train, test) = (blobs(1), blobs(2));
    let dir = std::env::temp_dir().join(format!("tapegrad-train-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let trainer = Trainer::new()
        .batch_size(16)
        .quiet(true)
        .early_stopping(6, 0.0)
        .restore_best_weights(true)
        .monitor(Monitor::Validation(Metric::Accuracy));
    let adam = || Adam::builder().learning_rate(0.05).build().unwrap();
    // The lr schedule lives in the callback: the checkpoint must carry the changed rate.
    let decay = |end: tapegrad_train::EpochEnd<'_, f32, Sequential<f32>>| {
        end.optimizer.set_learning_rate(end.optimizer.learning_rate() * 0.8);
        Ok(true)
    };

    let (mut straight, mut opt) = (dropout_model(5), adam());
    let whole = trainer
        .clone()
        .epochs(40)
        .fit_with_callback(&mut straight, &mut opt, &train, Some(&test), decay)
        .unwrap();

    let resumable = trainer.clone().checkpoint_every_epoch(&dir).resume(true);
    let mut lengths = Vec::new();
    let mut model = dropout_model(5);
    for stop_at in [2, 5, 9, 40] {
        // A fresh process each time: a new model and optimizer, the state from the files.
        model = dropout_model(5);
        let mut opt = adam();
        let history = resumable
            .clone()
            .epochs(stop_at)
            .fit_with_callback(&mut model, &mut opt, &train, Some(&test), decay)
            .unwrap();
        lengths.push(history.epochs.len());
        if stop_at == 40 {
            assert_eq!(history.epochs.len(), whole.epochs.len());
            for (a, b) in history.epochs.iter().zip(&whole.epochs) {
                assert_eq!(
                    (a.train_loss, a.validation_loss, a.learning_rate),
                    (b.train_loss, b.validation_loss, b.learning_rate)
                );
            }
        }
    }
    assert!(lengths[0] == 2 && lengths[1] == 5, "{lengths:?}");
    assert_eq!(params(&model), params(&straight), "weights bit for bit");
    assert_eq!(buffers(&model), buffers(&straight), "running statistics bit for bit");
    assert!(whole.epochs.len() < 40, "early stopping happened: {}", whole.epochs.len());

    // A checkpoint of another run's settings is refused, and nothing is changed.
    let mut other = dropout_model(6);
    let before = params(&other);
    let err =
        resumable.clone().seed(3).epochs(50).fit(&mut other, &mut adam(), &train, Some(&test)).unwrap_err();
    assert!(err.to_string().contains("cannot resume from this checkpoint: it was made with seed 0"), "{err}");
    assert_eq!(params(&other), before);
    // So is a model of another shape (the weight file names the problem).
    let mut rng = StdRng::seed_from_u64(0);
    let mut wider =
        Sequential::new().add(Dense::<f32>::new(2, 8, &mut rng)).add(ReLU).add(Dense::new(8, 2, &mut rng));
    assert!(resumable.clone().epochs(50).fit(&mut wider, &mut adam(), &train, Some(&test)).is_err());
    // A damaged checkpoint is an error, not a panic.
    let model_file = dir.join("model.safetensors");
    let bytes = std::fs::read(&model_file).unwrap();
    std::fs::write(&model_file, &bytes[..bytes.len() / 2]).unwrap();
    assert!(resumable
        .clone()
        .epochs(50)
        .fit(&mut dropout_model(5), &mut adam(), &train, Some(&test))
        .is_err());
    // Resuming needs a directory.
    let err = Trainer::new()
        .quiet(true)
        .resume(true)
        .fit(&mut dropout_model(5), &mut adam(), &train, None)
        .unwrap_err();
    assert!(matches!(err, TrainError::InvalidSetting(_)), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 12: a frozen layer keeps its values bit for bit under every optimizer (weight
/// decay included), while the layers before and after it train.
#[test]
fn every_optimizer_leaves_frozen_parameters_untouched() {
    use rand::SeedableRng;
    use tapegrad_nn::{Dense, Frozen, Sequential, Tanh};
    use tapegrad_optim::{Adagrad, AdamW, Optimizer, RmsProp, Sgd};
    let optimizers: Vec<(&str, Box<dyn Optimizer<f64>>)> = vec![
        ("sgd", Box::new(Sgd::builder().learning_rate(0.1).momentum(0.9).build().unwrap())),
        ("sgd weight decay", Box::new(Sgd::builder().learning_rate(0.1).weight_decay(0.1).build().unwrap())),
        ("adagrad", Box::new(Adagrad::builder().learning_rate(0.1).build().unwrap())),
        (
            "rmsprop centered",
            Box::new(RmsProp::builder().learning_rate(0.01).centered(true).momentum(0.9).build().unwrap()),
        ),
        ("adam amsgrad", Box::new(Adam::builder().learning_rate(0.05).amsgrad(true).build().unwrap())),
        ("adamw", Box::new(AdamW::builder().learning_rate(0.05).build().unwrap())),
    ];
    for (name, mut optimizer) in optimizers {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut model = Sequential::new()
            .add(Dense::<f64>::new(2, 3, &mut rng))
            .add(Tanh)
            .add(Frozen::new(Dense::new(3, 3, &mut rng)))
            .add(Tanh)
            .add(Dense::new(3, 1, &mut rng));
        model.set_trainable(4, false).unwrap();
        model.set_trainable(4, true).unwrap();
        let snapshot = |model: &Sequential<f64>| {
            let mut all = Vec::new();
            model.visit_params(&mut |name, p| all.push((name.to_string(), p.to_owned())));
            all
        };
        let before = snapshot(&model);
        for _ in 0..5 {
            let tape = tapegrad_tape::Tape::new();
            let x = tape.constant(ndarray::array![[0.0, 1.0], [1.0, 0.0]]);
            let loss = model.forward(&tape, x).unwrap().square().sum();
            let grads = tape.backward(loss);
            let report = optimizer.step(&mut model, &grads).unwrap();
            assert_eq!(report.skipped, ["layers.2.weight", "layers.2.bias"], "{name}");
        }
        for ((param, old), (_, new)) in before.iter().zip(snapshot(&model)) {
            if param.starts_with("layers.2.") {
                assert_eq!(old, &new, "{name}: frozen {param} changed");
            } else {
                assert_ne!(old, &new, "{name}: {param} did not train");
            }
        }
    }
}

#[test]
fn a_schedule_sets_each_epochs_rate_counting_from_zero_as_pytorch() {
    use tapegrad_optim::{CosineAnnealingLr, LrSchedule, Optimizer, StepLr};
    let data = blobs(1);
    let mut adam = Adam::builder().learning_rate(0.5).build().unwrap();
    let history = Trainer::new()
        .epochs(5)
        .quiet(true)
        .schedule(StepLr::new(0.01f32, 2, 0.5).unwrap())
        .fit(&mut model(3), &mut adam, &data, None)
        .unwrap();
    let rates: Vec<f32> = history.epochs.iter().map(|e| e.learning_rate as f32).collect();
    assert_eq!(rates, [0.01, 0.01, 0.005, 0.005, 0.0025]);
    // A schedule in f64 drives an f32 model's optimizer too; the optimizer ends at the last rate.
    let cosine = CosineAnnealingLr::new(0.1, 4, 0.0).unwrap();
    let expected: Vec<f32> = (0..4).map(|e| LrSchedule::<f64>::learning_rate(&cosine, e) as f32).collect();
    let mut adam = Adam::builder().build().unwrap();
    let history = Trainer::new()
        .epochs(4)
        .quiet(true)
        .schedule(cosine)
        .fit(&mut model(3), &mut adam, &data, None)
        .unwrap();
    let rates: Vec<f32> = history.epochs.iter().map(|e| e.learning_rate as f32).collect();
    assert_eq!(rates, expected);
    assert_eq!(adam.learning_rate(), expected[3]);
    // A schedule that gives a negative rate is an error naming the epoch, not a silent step.
    struct Broken;
    impl LrSchedule<f64> for Broken {
        fn learning_rate(&self, epoch: usize) -> f64 {
            if epoch == 2 {
                -1.0
            } else {
                0.01
            }
        }
    }
    let error = Trainer::new()
        .epochs(5)
        .quiet(true)
        .schedule(Broken)
        .fit(&mut model(3), &mut Adam::builder().build().unwrap(), &data, None)
        .unwrap_err();
    assert!(error.to_string().contains("gave -1 for epoch 3"), "{error}");
}

#[test]
fn history_says_which_epoch_was_best_and_whether_training_stopped_early() {
    let (train, test) = (blobs(1), blobs(2));
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let history =
        Trainer::new().epochs(6).quiet(true).fit(&mut model(3), &mut adam, &train, Some(&test)).unwrap();
    assert!(!history.stopped_early);
    let best = history.best_epoch.unwrap();
    let lowest = history
        .epochs
        .iter()
        .min_by(|a, b| a.validation_loss.unwrap().total_cmp(&b.validation_loss.unwrap()))
        .unwrap()
        .epoch;
    assert_eq!(best, lowest);
    // Early stopping with a patience of 1 and an impossible improvement: stops at epoch 2.
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let history = Trainer::new()
        .epochs(20)
        .quiet(true)
        .early_stopping(1, 1e9)
        .fit(&mut model(3), &mut adam, &train, Some(&test))
        .unwrap();
    assert!(history.stopped_early);
    assert_eq!(history.epochs.len(), 2);
    let lower = if history.epochs[1].validation_loss < history.epochs[0].validation_loss { 2 } else { 1 };
    assert_eq!(
        history.best_epoch,
        Some(lower),
        "the best is the lowest loss, whatever min_delta asks of progress"
    );
    // A callback that stops is early too.
    let mut adam = Adam::builder().build().unwrap();
    let history = Trainer::new()
        .epochs(5)
        .quiet(true)
        .fit_with(&mut model(3), &mut adam, &train, None, |record, _| record.epoch < 3)
        .unwrap();
    assert!(history.stopped_early && history.epochs.len() == 3);
}

#[test]
fn predict_gives_outputs_and_classes_as_evaluate_scores_them() {
    use tapegrad_train::{predict, predict_classes};
    let (train, test) = (blobs(1), blobs(2));
    let mut net = model(3).add(tapegrad_nn::Dropout::new(0.5, 9).unwrap());
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    Trainer::new().epochs(10).quiet(true).fit(&mut net, &mut adam, &train, None).unwrap();
    // fit leaves the model in evaluation mode: dropout is off, so predictions repeat.
    let first = predict(&net, test.features()).unwrap();
    assert_eq!(first, predict(&net, test.features()).unwrap());
    assert_eq!(first.dim(), (200, 2));
    let classes = predict_classes(&net, test.features()).unwrap();
    let correct = classes.iter().zip(test.labels()).filter(|(c, l)| c == l).count();
    let (_, accuracy) = evaluate(&net, &test).unwrap();
    assert_eq!(correct as f64 / 200.0, accuracy);
    // More rows than one chunk, and no rows at all.
    let many = ndarray::concatenate(ndarray::Axis(0), &[test.features().view(); 7]).unwrap();
    let outputs = predict(&net, &many).unwrap();
    assert_eq!(outputs.dim(), (1400, 2));
    assert_eq!(outputs.slice(ndarray::s![1200..1400, ..]), first);
    assert_eq!(predict(&net, &many.slice(ndarray::s![0..0, ..])).unwrap().dim(), (0, 2));
    // Features of the wrong width: the model's error.
    let wrong = Array2::<f32>::zeros((3, 5));
    assert!(matches!(predict(&net, &wrong), Err(TrainError::Model(_))));
}
