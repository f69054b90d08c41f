//! The training loop behind every `Trainer::fit*`: epochs of batches, validation, the best
//! epoch kept, early stopping, and the line printed per epoch.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::ArrayD;
use rand::rngs::StdRng;
use tapegrad_data::Dataset;
use tapegrad_loss::LossError;
use tapegrad_nn::{
    assign_buffers, assign_random_states, copy_buffers, copy_random_states, Module, RandomState,
};
use tapegrad_optim::{global_grad_norm, EarlyStopping, Mode, Optimizer};
use tapegrad_tape::{Float, Tape, Var};

use crate::checkpoint;
use crate::diagnostics::{Diagnostics, DiagnosticsAccumulator};
use crate::fit::EpochEnd;
use crate::metric::MetricSums;
use crate::trainer::{OnNonFinite, Progress};
use crate::{EpochRecord, History, Metric, Monitor, TrainError, TrainTargets, Trainer};

/// Rows evaluated per inference tape, so memory stays flat on large data sets.
const CHUNK: usize = 1024;

/// A batch loss function: prediction and targets to a 0-d mean.
pub(crate) trait LossFn<T: Float, Y>:
    for<'t> Fn(Var<'t, T>, &Y) -> Result<Var<'t, T>, LossError>
{
}
impl<T: Float, Y, F: for<'t> Fn(Var<'t, T>, &Y) -> Result<Var<'t, T>, LossError>> LossFn<T, Y> for F {}

/// `loss`, with its signature fixed as higher-ranked (closures get one only where a bound
/// asks for it).
pub(crate) fn loss_fn<T: Float, Y, F>(loss: F) -> F
where
    F: for<'t> Fn(Var<'t, T>, &Y) -> Result<Var<'t, T>, LossError>,
{
    loss
}

/// What one epoch of training measured.
struct Trained {
    loss: f64,
    sums: MetricSums,
    skipped: usize,
    diagnostics: Option<Diagnostics>,
}

/// The best monitored value so far, its epoch, and the weights then (when they are kept).
struct Best<T> {
    value: Option<(f64, usize)>,
    weights: Option<Vec<ArrayD<T>>>,
}

/// Trains `model` as `trainer` says; see [`Trainer::fit_with_loss`].
pub(crate) fn run<T, M, Y, C>(
    trainer: &Trainer,
    model: &mut M,
    optimizer: &mut dyn Optimizer<T>,
    train: &Dataset<T, Y>,
    validation: Option<&Dataset<T, Y>>,
    loss: &impl LossFn<T, Y>,
    mut callback: C,
) -> Result<History, TrainError>
where
    T: Float,
    M: Module<T>,
    Y: TrainTargets<T>,
    C: FnMut(EpochEnd<'_, T, M>) -> Result<bool, TrainError>,
{
    let metrics = trainer.chosen_metrics::<T, Y>();
    let monitor = check_settings(trainer, train, validation, &metrics)?;
    let mut stopper = match trainer.early_stopping {
        Some((patience, min_delta)) => Some(
            EarlyStopping::new(patience, min_delta)
                .map_err(|e| TrainError::InvalidSetting(format!("early stopping: {e}")))?
                .mode(monitor.mode()),
        ),
        None => None,
    };
    check_evaluation_mode(model, train)?;
    let Start { mut history, mut best, done, finished } =
        start(trainer, model, optimizer, monitor, stopper.as_mut(), (train, loss))?;
    let last = if finished { done } else { trainer.epochs };
    for epoch in done + 1..=last {
        if let Some(schedule) = &trainer.schedule {
            apply_schedule(schedule, epoch, optimizer)?;
        }
        let record = run_epoch(trainer, model, optimizer, train, validation, loss, &metrics, epoch)?;
        if !trainer.quiet {
            println!("{}", epoch_line(&record, trainer.epochs));
            if let Some(diagnostics) = &record.diagnostics {
                println!("  {diagnostics}");
            }
        }
        let value = monitor.value(&record).unwrap_or(f64::NAN);
        if improves(value, best.value.map(|(v, _)| v), monitor.mode()) {
            keep_best(trainer, &*model, &mut best, (value, epoch))?;
        }
        history.push(record);
        let stop = stopper.as_mut().is_some_and(|stopper| stopper.step(value));
        let Some(record) = history.epochs.last() else { break };
        let go_on = callback(EpochEnd { record, history: &history, model, optimizer, best: best.value })?;
        if let Some(dir) = &trainer.checkpoint_dir {
            let kept = best.weights.as_deref().zip(best.value.map(|(_, epoch)| epoch));
            checkpoint::save(dir, trainer, model, &*optimizer, &history, epoch, kept.map(|(w, e)| (e, w)))?;
        }
        if !go_on || stop {
            break;
        }
    }
    if let Some(weights) = best.weights {
        tapegrad_nn::assign_weights(model, weights);
    }
    history.best_epoch = best.value.map(|(_, epoch)| epoch);
    history.stopped_early = history.epochs.last().is_some_and(|record| record.epoch < trainer.epochs);
    Ok(history)
}

/// Sets the learning rate of `epoch` (from 1) from the trainer's schedule, which counts
/// epochs from 0 as PyTorch's schedulers do.
fn apply_schedule<T: Float>(
    schedule: &crate::trainer::EpochSchedule,
    epoch: usize,
    optimizer: &mut dyn Optimizer<T>,
) -> Result<(), TrainError> {
    let rate = schedule.learning_rate(epoch - 1);
    if !(rate >= 0.0 && rate.is_finite()) {
        return Err(TrainError::InvalidSetting(format!(
            "the learning-rate schedule gave {rate} for epoch {epoch}: a rate must be finite and at least 0"
        )));
    }
    optimizer.set_learning_rate(T::from_f64(rate.min(T::max_value().to_f64())));
    Ok(())
}

/// Where a run starts: from nothing, or (with `resume`) from the checkpoint, with the
/// history, the best epoch and the early-stopping counters as the interrupted run left
/// them; `finished` when that run had already stopped early.
struct Start<T> {
    history: History,
    best: Best<T>,
    done: usize,
    finished: bool,
}

fn start<T: Float, M: Module<T>, Y: TrainTargets<T>>(
    trainer: &Trainer,
    model: &mut M,
    optimizer: &mut dyn Optimizer<T>,
    monitor: Monitor,
    stopper: Option<&mut EarlyStopping<f64>>,
    (train, loss): (&Dataset<T, Y>, &impl LossFn<T, Y>),
) -> Result<Start<T>, TrainError> {
    let mut start = Start {
        history: History::default(),
        best: Best { value: None, weights: None },
        done: 0,
        finished: false,
    };
    if !trainer.resume {
        return Ok(start);
    }
    let dir = trainer.checkpoint_dir.as_deref().ok_or_else(|| {
        TrainError::InvalidSetting("resume(true) needs checkpoint_every_epoch(dir) to say where from".into())
    })?;
    // Everything is read and checked before anything changes.
    let Some(checkpoint) = checkpoint::read(dir, trainer, model)? else {
        return Ok(start);
    };
    // The early-stopping counters and the best epoch follow from the history (on a copy
    // of the stopper, kept only once the checkpoint is applied).
    let mut counters = stopper.as_deref().cloned();
    for record in &checkpoint.history.epochs {
        let value = monitor.value(record).unwrap_or(f64::NAN);
        if improves(value, start.best.value.map(|(v, _)| v), monitor.mode()) {
            start.best.value = Some((value, record.epoch));
        }
        if counters.as_mut().is_some_and(|stopper| stopper.step(value)) {
            // The checkpointed run had stopped early: it is finished.
            start.finished = true;
        }
    }
    if trainer.restore_best {
        let history_best = start.best.value.map(|(_, epoch)| epoch);
        let file_best = checkpoint.best.as_ref().map(|(epoch, _)| *epoch);
        if history_best != file_best {
            let says =
                |epoch: Option<usize>| epoch.map_or("none".to_string(), |epoch| format!("epoch {epoch}"));
            return Err(TrainError::Checkpoint {
                path: dir.join("model.safetensors"),
                reason: format!(
                    "its best weights are of {}, but its history's best is {} (restore_best_weights \
                     needs the two to agree; was the checkpoint written without it, or by another monitor?)",
                    says(file_best),
                    says(history_best)
                ),
            });
        }
    }
    // Weights that are finite but absurd (a weight of 1e30) give a non-finite loss,
    // gradients whose squares overflow (Adam's second moment would be infinite after one
    // step), or batch statistics that overflow a BatchNorm's running variance: such a
    // checkpoint cannot be trained from. One training-mode pass over the first rows of
    // the training data finds out; its effects on buffers and random states are undone,
    // so a resumed run stays bit for bit the uninterrupted one.
    let probe_rows: Vec<usize> = (0..train.len().min(CHUNK)).collect();
    let probe = train.subset(&probe_rows);
    let check = |model: &mut M| {
        let (buffers, random_states) = (copy_buffers(&*model), copy_random_states(model));
        model.set_training(true);
        let outcome = trainable(model, &probe, loss);
        assign_buffers(model, buffers);
        assign_random_states(model, &random_states);
        outcome.map_err(|what| TrainError::Checkpoint {
            path: dir.join("model.safetensors"),
            reason: format!(
                "{what} on the first {} training rows: a run cannot go on from it",
                probe_rows.len()
            ),
        })
    };
    let checkpoint::Resumed { epoch: done, history, best } = checkpoint.apply(model, optimizer, check)?;
    if let (Some(stopper), Some(counters)) = (stopper, counters) {
        *stopper = counters;
    }
    start.best.weights = best.map(|(_, weights)| weights);
    start.done = done;
    start.history = history;
    Ok(start)
}

/// What a model that still trains in evaluation mode is told.
const STILL_TRAINING: &str = "a layer is still in training mode (a Dropout, a BatchNorm). A composite Module \
     must pass set_training on to its children, and visit their buffers and random states too, or checkpoints \
     miss them: implement visit_children and visit_children_mut, from which all of these follow";

/// Checks that `model` in evaluation mode is a function of each row alone: two passes
/// over the first rows agree, and the first row alone gives what it gives in the batch. A
/// layer left in training mode (a Dropout's mask, a BatchNorm's batch statistics) breaks
/// both, which is what a composite `Module` that does not pass `set_training` on to its
/// children looks like; its buffers and random states are then most likely not visited
/// either, and a checkpoint would silently miss them. The model's buffers, random states
/// and mode are put back.
fn check_evaluation_mode<T: Float, M: Module<T>, Y: TrainTargets<T>>(
    model: &mut M,
    data: &Dataset<T, Y>,
) -> Result<(), TrainError> {
    let rows = data.len().min(8);
    if rows == 0 {
        return Ok(());
    }
    let (buffers, random_states) = (copy_buffers(&*model), copy_random_states(model));
    model.set_training(false);
    let output = |model: &M, rows: usize| -> Result<ndarray::ArrayD<T>, TrainError> {
        let tape = Tape::inference();
        let x = data.features().slice(ndarray::s![..rows, ..]);
        Ok(model.forward(&tape, tape.constant(x))?.value())
    };
    let outcome = (|| {
        let (first, second) = (output(model, rows)?, output(model, rows)?);
        // A layer still in training mode may refuse a single row (BatchNorm: no variance).
        let alone = match output(model, 1) {
            Ok(alone) => alone,
            Err(err) if rows >= 2 => {
                return Err(TrainError::InvalidSetting(format!(
                    "in evaluation mode (set_training(false)) the model takes a batch of {rows} rows but not its \
                     first row alone ({err}): {STILL_TRAINING}"
                )))
            }
            Err(err) => return Err(err),
        };
        let same = |a: T, b: T| {
            let (a, b) = (a.to_f64(), b.to_f64());
            (a - b).abs() <= 1e-5 + 1e-3 * a.abs().max(b.abs()) || (a.is_nan() && b.is_nan())
        };
        let row = |array: &ndarray::ArrayD<T>| array.outer_iter().next().map(|row| row.to_owned());
        let alone_agrees = rows < 2
            || match (row(&first), row(&alone)) {
                (Some(a), Some(b)) => {
                    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(&a, &b)| same(a, b))
                }
                _ => true,
            };
        let repeatable = first.iter().zip(second.iter()).all(|(&a, &b)| same(a, b));
        match repeatable && alone_agrees {
            true => Ok(()),
            false => Err(TrainError::InvalidSetting(format!(
                "in evaluation mode (set_training(false)) the model {}: {STILL_TRAINING}",
                if repeatable {
                    format!("gives the first row another output alone than in a batch of {rows}")
                } else {
                    "gives two passes over the same rows different outputs".to_string()
                }
            ))),
        }
    })();
    assign_buffers(model, buffers);
    assign_random_states(model, &random_states);
    outcome
}

/// Whether one training step on `data` from `model` as it is could be taken: a finite
/// loss, gradients whose squares are finite, finite buffers after the forward pass, and a
/// finite loss in evaluation mode; otherwise what is not. Changes the buffers and random states (the caller restores them).
fn trainable<T: Float, M: Module<T>, Y: TrainTargets<T>>(
    model: &mut M,
    data: &Dataset<T, Y>,
    loss: &impl LossFn<T, Y>,
) -> Result<(), String> {
    let tape = Tape::new();
    let prediction = model.forward(&tape, tape.constant(data.features())).map_err(|err| err.to_string())?;
    let value = loss(prediction, data.targets()).map_err(|err| err.to_string())?;
    if !value.item().is_finite() {
        return Err(format!("it gives a loss of {:?}", value.item()));
    }
    let grads = tape.backward(value);
    let mut problem = None;
    model.visit_params(&mut |name, param| {
        // The largest magnitude, NaN if there is one (`max` would drop it).
        let largest = grads.param(&param).map_or(T::zero(), |g| {
            g.iter().map(|v| v.abs()).fold(T::zero(), |m, v| if v > m || v.is_nan() { v } else { m })
        });
        if problem.is_none() && !(largest * largest).is_finite() {
            problem = Some(format!(
                "it gives `{name}` a gradient of {largest:?}, whose square is not finite in {}",
                T::NAME
            ));
        }
    });
    model.visit_buffers(&mut |name, buffer| {
        if let Some(value) = buffer.iter().find(|v| !v.is_finite()).filter(|_| problem.is_none()) {
            problem = Some(format!("a training step makes the buffer `{name}` {value:?}"));
        }
    });
    if let Some(problem) = problem {
        return Err(problem);
    }
    // Evaluation uses the running statistics instead of the batch's.
    model.set_training(false);
    let (value, _) = measure(&*model, data, loss).map_err(|err| err.to_string())?;
    match value.is_finite() {
        true => Ok(()),
        false => Err(format!("it gives a loss of {value:?} in evaluation mode")),
    }
}

/// One epoch: training, then the validation measurements, as its record.
#[allow(clippy::too_many_arguments)]
fn run_epoch<T: Float, M: Module<T>, Y: TrainTargets<T>>(
    trainer: &Trainer,
    model: &mut M,
    optimizer: &mut dyn Optimizer<T>,
    train: &Dataset<T, Y>,
    validation: Option<&Dataset<T, Y>>,
    loss: &impl LossFn<T, Y>,
    metrics: &[Metric],
    epoch: usize,
) -> Result<EpochRecord, TrainError> {
    let start = Instant::now();
    let learning_rate = optimizer.learning_rate().to_f64();
    model.set_training(true);
    // Each epoch's shuffle has its own generator, from the seed and the epoch, so a
    // resumed run shuffles as the uninterrupted one would.
    let mut rng = RandomState { seed: trainer.seed, draws: epoch as u64 }.generator();
    let trained = train_epoch(trainer, model, optimizer, train, loss, epoch, &mut rng)?;
    model.set_training(false);
    // Every batch was checked before its step; the steps themselves are checked here,
    // once an epoch, so that no epoch ends (or is checkpointed) with a ruined model.
    if let Some((name, value)) = first_non_finite_tensor(&*model) {
        return Err(TrainError::NonFiniteModel {
            epoch,
            what: format!("`{name}`"),
            value,
            hint: "an update overflowed with finite gradients: a learning rate far too high?",
        });
    }
    let (validation_loss, validation_metrics) = match validation {
        Some(data) => {
            let (value, sums) = measure(&*model, data, loss)?;
            if !value.is_finite() && trainer.on_non_finite == OnNonFinite::Stop {
                return Err(TrainError::NonFiniteModel {
                    epoch,
                    what: "the validation loss".into(),
                    value,
                    hint: "a NaN or infinity in the validation data, or a model whose outputs overflow \
                           on it (OnNonFinite::SkipBatch records it instead)",
                });
            }
            (Some(value), collect(metrics, &sums))
        }
        None => (None, Vec::new()),
    };
    Ok(EpochRecord {
        epoch,
        train_loss: trained.loss,
        train_metrics: collect(metrics, &trained.sums),
        validation_loss,
        validation_metrics,
        learning_rate,
        duration: start.elapsed(),
        diagnostics: trained.diagnostics,
        skipped_batches: trained.skipped,
    })
}

/// A new best epoch: noted, its weights kept when they will be restored, and written to
/// `checkpoint_best` when asked.
fn keep_best<T: Float, M: Module<T>>(
    trainer: &Trainer,
    model: &M,
    best: &mut Best<T>,
    (value, epoch): (f64, usize),
) -> Result<(), TrainError> {
    best.value = Some((value, epoch));
    if trainer.restore_best {
        // Written beside the checkpoint by the epoch's `checkpoint::save`, with which it
        // commits.
        best.weights = Some(checkpoint::snapshot(model));
    }
    if let Some(path) = &trainer.checkpoint_best {
        tapegrad_nn::save_weights(model, path).map_err(|err| match err {
            tapegrad_nn::NnError::Io { source, .. } => TrainError::Io { path: path.clone(), source },
            other => TrainError::Model(other),
        })?;
    }
    Ok(())
}

/// Refuses settings that cannot work; returns the monitor to watch.
fn check_settings<T: Float, Y: TrainTargets<T>>(
    trainer: &Trainer,
    train: &Dataset<T, Y>,
    validation: Option<&Dataset<T, Y>>,
    metrics: &[Metric],
) -> Result<Monitor, TrainError> {
    if trainer.batch_size == 0 {
        return Err(TrainError::InvalidSetting("the batch size must be at least 1, got 0".into()));
    }
    if train.is_empty() {
        return Err(TrainError::EmptyData { which: "training" });
    }
    if validation.is_some_and(|data| data.is_empty()) {
        return Err(TrainError::EmptyData { which: "validation" });
    }
    let monitor = trainer.monitor.unwrap_or(if validation.is_some() {
        Monitor::ValidationLoss
    } else {
        Monitor::TrainLoss
    });
    if monitor.needs_validation() && validation.is_none() {
        return Err(TrainError::InvalidSetting(format!(
            "the monitor is the {monitor}, but there is no validation set"
        )));
    }
    if let Monitor::Train(metric) | Monitor::Validation(metric) = monitor {
        if !metrics.contains(&metric) {
            return Err(TrainError::InvalidSetting(format!(
                "the monitor is the {monitor}, but {metric} is not among the metrics measured ({})",
                metrics.iter().map(|metric| metric.name()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(monitor)
}

/// Whether `value` beats `best` (NaN never does; anything beats nothing).
fn improves(value: f64, best: Option<f64>, mode: Mode) -> bool {
    match (best, mode) {
        _ if value.is_nan() => false,
        (None, _) => true,
        (Some(best), Mode::Min) => value < best,
        (Some(best), Mode::Max) => value > best,
    }
}

/// The metrics' values from their sums, in order.
fn collect(metrics: &[Metric], sums: &MetricSums) -> Vec<(Metric, f64)> {
    metrics.iter().filter_map(|&metric| sums.value(metric).map(|value| (metric, value))).collect()
}

/// One epoch of shuffled batches, one optimizer step each.
fn train_epoch<T: Float, M: Module<T>, Y: TrainTargets<T>>(
    trainer: &Trainer,
    model: &mut M,
    optimizer: &mut dyn Optimizer<T>,
    train: &Dataset<T, Y>,
    loss: &impl LossFn<T, Y>,
    epoch: usize,
    rng: &mut StdRng,
) -> Result<Trained, TrainError> {
    let batches = train.batches(trainer.batch_size, rng).drop_last(trainer.drop_last);
    let bar = progress_bar(trainer, batches.len(), epoch);
    let (mut total_loss, mut seen, mut skipped) = (0.0, 0, 0);
    let mut sums = MetricSums::default();
    let mut diagnostics = trainer.diagnostics.then(|| DiagnosticsAccumulator::new(&*model));
    for (index, batch) in batches.enumerate() {
        // The forward pass updates buffers (BatchNorm's running statistics): a batch that
        // is skipped or stops the run must leave them as they were.
        let buffers = copy_buffers(&*model);
        let tape = Tape::new();
        let prediction = model.forward(&tape, tape.constant(&batch.features))?;
        let batch_loss = loss(prediction, &batch.targets)?;
        let loss_value = batch_loss.item().to_f64();
        let grads = loss_value.is_finite().then(|| tape.backward(batch_loss));
        // A finite loss can still have a NaN gradient (√0, or a NaN weight the loss does
        // not reach), or overflow a running variance: all are checked before the step
        // changes anything.
        let norm = grads.as_ref().map_or(f64::NAN, |grads| global_grad_norm(&*model, grads).to_f64());
        let buffer = (!buffers.is_empty()).then(|| first_non_finite_buffer(&*model)).flatten();
        let problem = match (loss_value.is_finite(), norm.is_finite(), buffer) {
            (false, _, _) => Some(("loss", loss_value)),
            (true, false, _) => Some(("gradient norm", norm)),
            (true, true, Some(value)) => Some(("running statistic (a buffer)", value)),
            (true, true, None) => None,
        };
        let (Some(grads), None) = (grads, problem) else {
            assign_buffers(model, buffers);
            let (what, value) = problem.unwrap_or(("loss", loss_value));
            match trainer.on_non_finite {
                OnNonFinite::Stop => {
                    return Err(TrainError::NonFinite { epoch, batch: index + 1, what, value })
                }
                OnNonFinite::SkipBatch => {
                    skipped += 1;
                    bar.inc(1);
                    continue;
                }
            }
        };
        let n = batch.targets.num_samples();
        prediction.with_value(|v| batch.targets.measure(v.view(), &mut sums));
        if let Some(diagnostics) = &mut diagnostics {
            diagnostics.record_activations(&tape);
        }
        total_loss += loss_value * n as f64;
        seen += n;
        let before = diagnostics.as_mut().map(|diagnostics| {
            diagnostics.record_gradients(&*model, &grads);
            DiagnosticsAccumulator::snapshot(&*model)
        });
        let _report = optimizer.step(model, &grads)?; // parameters without a gradient (frozen) are fine
        if let (Some(diagnostics), Some(before)) = (&mut diagnostics, before) {
            diagnostics.record_update(&*model, &before);
        }
        bar.inc(1);
        bar.set_message(format!("loss {:.4}", total_loss / seen as f64));
    }
    bar.finish_and_clear();
    if seen == 0 {
        let reason = if skipped > 0 {
            format!("all {skipped} batches had a NaN or infinite loss or gradient norm and were skipped")
        } else {
            format!(
                "drop_last dropped the only batch: {} samples, batch size {}",
                train.len(),
                trainer.batch_size
            )
        };
        return Err(TrainError::NoBatches { epoch, reason });
    }
    Ok(Trained {
        loss: total_loss / seen as f64,
        sums,
        skipped,
        diagnostics: diagnostics.map(DiagnosticsAccumulator::finish),
    })
}

/// The first parameter or buffer of `model` holding a NaN or an infinity, with that value.
fn first_non_finite_tensor<T: Float, M: Module<T> + ?Sized>(model: &M) -> Option<(String, f64)> {
    let mut found = None;
    let mut look = |name: &str, tensor: ndarray::ArrayViewD<'_, T>| {
        if found.is_none() {
            found = tensor.iter().find(|v| !v.is_finite()).map(|&v| (name.to_string(), Float::to_f64(v)));
        }
    };
    model.visit_params(&mut |name, param| look(name, param));
    model.visit_buffers(&mut |name, buffer| look(name, buffer));
    found
}

/// The first NaN or infinite value in `model`'s buffers.
fn first_non_finite_buffer<T: Float, M: Module<T> + ?Sized>(model: &M) -> Option<f64> {
    let mut found = None;
    model.visit_buffers(&mut |_, buffer| {
        if found.is_none() {
            found = buffer.iter().find(|v| !v.is_finite()).map(|&v| Float::to_f64(v));
        }
    });
    found
}

/// The mean loss and the metric sums of `model` on `data`, in chunks on inference tapes.
pub(crate) fn measure<T: Float, M: Module<T> + ?Sized, Y: TrainTargets<T>>(
    model: &M,
    data: &Dataset<T, Y>,
    loss: &impl LossFn<T, Y>,
) -> Result<(f64, MetricSums), TrainError> {
    let (mut total, mut sums) = (0.0, MetricSums::default());
    for batch in data.batches_in_order(CHUNK) {
        let tape = Tape::inference();
        let prediction = model.forward(&tape, tape.constant(&batch.features))?;
        total += loss(prediction, &batch.targets)?.item().to_f64() * batch.targets.num_samples() as f64;
        prediction.with_value(|v| batch.targets.measure(v.view(), &mut sums));
    }
    Ok((total / data.len() as f64, sums))
}

/// A progress bar for one epoch: drawn on a terminal (or when asked), hidden otherwise.
fn progress_bar(trainer: &Trainer, batches: usize, epoch: usize) -> ProgressBar {
    let show = !trainer.quiet
        && match trainer.progress {
            Progress::On => true,
            Progress::Off => false,
            Progress::Auto => std::io::stderr().is_terminal(),
        };
    let bar = if show { ProgressBar::new(batches as u64) } else { ProgressBar::hidden() };
    if let Ok(style) =
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} batches, {msg} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(format!("{epoch}/{}", trainer.epochs));
    bar
}

/// `epoch  3/30: train loss 0.1234 accuracy 96.1% | validation loss 0.2000 accuracy 95.0% | lr 1.0e-3 | 12ms`
pub(crate) fn epoch_line(record: &EpochRecord, epochs: usize) -> String {
    let width = epochs.to_string().len();
    let mut line = format!("epoch {:>width$}/{epochs}: train loss {:.4}", record.epoch, record.train_loss);
    for (metric, value) in &record.train_metrics {
        line.push_str(&format!(" {metric} {}", metric.format(*value)));
    }
    if let Some(loss) = record.validation_loss {
        line.push_str(&format!(" | validation loss {loss:.4}"));
        for (metric, value) in &record.validation_metrics {
            line.push_str(&format!(" {metric} {}", metric.format(*value)));
        }
    }
    line.push_str(&format!(" | lr {:.1e} | {:.0?}", record.learning_rate, record.duration));
    line
}
