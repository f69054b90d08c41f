//! Training checkpoints: everything a run needs to go on exactly where it stopped — the
//! weights and buffers, the optimizer's state, the epoch, every random generator's state
//! and the history so far — in a directory, written so that a kill at any moment leaves a
//! whole checkpoint behind.
//!
//! The directory holds `optimizer-<epoch>.safetensors` (the optimizer's state, from
//! `save_state`) and `model.safetensors`: the model's tensors, with the epoch, the run's
//! settings, the random states and the history in its metadata. `model.safetensors` is
//! written last and names its optimizer file, so it is the commit point: an older
//! optimizer file is removed only after it. With `restore_best_weights`, the best epoch's
//! tensors are kept in `best.safetensors` too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use tapegrad_nn::{load_weights, read_tensors, write_tensors, Module, NnError, RandomState};
use tapegrad_optim::{load_state, save_state, Optimizer, StateError};
use tapegrad_tape::Float;

use crate::{History, TrainError, Trainer};

const MODEL: &str = "model.safetensors";
const BEST: &str = "best.safetensors";
const FORMAT: &str = "tapegrad-checkpoint";

/// Where a resumed run starts: the epochs done, and their history.
pub(crate) struct Resumed<T> {
    pub(crate) epoch: usize,
    pub(crate) history: History,
    pub(crate) best_weights: Option<Vec<ArrayD<T>>>,
}

fn io<E: Into<NnError>>(path: &Path) -> impl Fn(E) -> TrainError + '_ {
    move |err| match err.into() {
        NnError::Io { source, .. } => TrainError::Io { path: path.to_path_buf(), source },
        other => TrainError::Model(other),
    }
}

fn state_error(path: &Path) -> impl Fn(StateError) -> TrainError + '_ {
    move |err| TrainError::Checkpoint { path: path.to_path_buf(), reason: err.to_string() }
}

/// The run's settings a checkpoint must agree with to resume bit for bit.
fn settings(trainer: &Trainer) -> String {
    format!("seed {}, batch size {}, drop_last {}", trainer.seed, trainer.batch_size, trainer.drop_last)
}

/// Copies of every parameter and buffer, in visiting order (names: [`tensor_names`]).
pub(crate) fn snapshot<T: Float, M: Module<T> + ?Sized>(model: &M) -> Vec<ArrayD<T>> {
    let mut arrays = Vec::new();
    model.visit_params(&mut |_, param| arrays.push(param.to_owned()));
    model.visit_buffers(&mut |_, buffer| arrays.push(buffer.to_owned()));
    arrays
}

/// Puts a [`snapshot`] back.
pub(crate) fn restore<T: Float, M: Module<T> + ?Sized>(model: &mut M, arrays: Vec<ArrayD<T>>) {
    let mut arrays = arrays.into_iter();
    let mut put = |mut target: ndarray::ArrayViewMutD<'_, T>| {
        if let Some(array) = arrays.next().filter(|a| a.shape() == target.shape()) {
            target.assign(&array);
        }
    };
    model.visit_params_mut(&mut |_, param| put(param));
    model.visit_buffers_mut(&mut |_, buffer| put(buffer));
}

/// Writes the checkpoint of epoch `epoch` into `dir`.
pub(crate) fn save<T: Float, M: Module<T>>(
    dir: &Path,
    trainer: &Trainer,
    model: &mut M,
    optimizer: &dyn Optimizer<T>,
    history: &History,
    epoch: usize,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io { path: dir.to_path_buf(), source })?;
    let optimizer_file = format!("optimizer-{epoch}.safetensors");
    let optimizer_path = dir.join(&optimizer_file);
    save_state(optimizer, &optimizer_path).map_err(state_error(&optimizer_path))?;
    let mut metadata = BTreeMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("epoch".to_string(), epoch.to_string()),
        ("settings".to_string(), settings(trainer)),
        ("optimizer_file".to_string(), optimizer_file.clone()),
        ("history".to_string(), history.to_csv()),
    ]);
    model.visit_random_states(&mut |name, state| {
        metadata.insert(format!("random.{name}"), format!("{} {}", state.seed, state.draws));
    });
    let model_path = dir.join(MODEL);
    let arrays = snapshot(&*model);
    let named = tensor_names(&*model).into_iter().zip(arrays.iter().map(|a| a.view()));
    write_tensors(&model_path, named, metadata).map_err(io(&model_path))?;
    // The checkpoint is whole: older optimizer files can go.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with("optimizer-") && name.ends_with(".safetensors") && name != optimizer_file {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}

/// Saves the best epoch's tensors beside the checkpoint, for `restore_best_weights`.
pub(crate) fn save_best<T: Float>(
    dir: &Path,
    weights: &[ArrayD<T>],
    names: &[String],
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io { path: dir.to_path_buf(), source })?;
    let path = dir.join(BEST);
    let tensors = names.iter().cloned().zip(weights.iter().map(|w| w.view()));
    write_tensors(&path, tensors, BTreeMap::new()).map_err(io(&path))
}

/// The names of the model's tensors, in the order of a snapshot.
pub(crate) fn tensor_names<T: Float, M: Module<T> + ?Sized>(model: &M) -> Vec<String> {
    let mut names = Vec::new();
    model.visit_params(&mut |name, _| names.push(name.to_string()));
    model.visit_buffers(&mut |name, _| names.push(name.to_string()));
    names
}

/// Loads the checkpoint in `dir`, if there is one, into `model` and `optimizer`.
pub(crate) fn load<T: Float, M: Module<T>>(
    dir: &Path,
    trainer: &Trainer,
    model: &mut M,
    optimizer: &mut dyn Optimizer<T>,
) -> Result<Option<Resumed<T>>, TrainError> {
    let model_path = dir.join(MODEL);
    if !model_path.exists() {
        return Ok(None);
    }
    let bad = |reason: String| TrainError::Checkpoint { path: model_path.clone(), reason };
    let (_, metadata) = read_tensors::<T>(&model_path).map_err(io(&model_path))?;
    if metadata.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(bad(
            "not a training checkpoint (no `format: tapegrad-checkpoint` in its metadata)".into()
        ));
    }
    let epoch: usize = metadata
        .get("epoch")
        .and_then(|e| e.parse().ok())
        .ok_or_else(|| bad("no epoch in its metadata".into()))?;
    let saved = metadata.get("settings").cloned().unwrap_or_default();
    if saved != settings(trainer) {
        return Err(bad(format!(
            "it was made with {saved}, this run has {}: a resumed run must shuffle the same way",
            settings(trainer)
        )));
    }
    let history = History::from_csv(metadata.get("history").map_or("", String::as_str))
        .map_err(|e| bad(format!("its history: {e}")))?;
    if history.epochs.len() != epoch {
        return Err(bad(format!(
            "its history has {} epochs, but it is of epoch {epoch}",
            history.epochs.len()
        )));
    }
    let mut states: BTreeMap<String, RandomState> = BTreeMap::new();
    for (key, value) in &metadata {
        if let Some(name) = key.strip_prefix("random.") {
            let mut numbers = value.split(' ').map(str::parse::<u64>);
            let (Some(Ok(seed)), Some(Ok(draws)), None) = (numbers.next(), numbers.next(), numbers.next())
            else {
                return Err(bad(format!("the random state `{name}` is `{value}`, not two numbers")));
            };
            states.insert(name.to_string(), RandomState { seed, draws });
        }
    }
    let mut names = Vec::new();
    model.visit_random_states(&mut |name, _| names.push(name.to_string()));
    let missing: Vec<&String> = names.iter().filter(|name| !states.contains_key(*name)).collect();
    let extra: Vec<&String> = states.keys().filter(|key| !names.contains(key)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(bad(format!(
            "its random generator states do not fit the model: missing {missing:?}, not in the model {extra:?}"
        )));
    }
    let optimizer_path = dir.join(metadata.get("optimizer_file").cloned().unwrap_or_default());
    // Everything is checked before anything changes: the weights first (validated whole by
    // load_weights), then the optimizer state against the model, then the random states.
    let backup = snapshot(&*model);
    load_weights(model, &model_path).map_err(io(&model_path))?;
    if let Err(err) = load_state(optimizer, &*model, &optimizer_path) {
        restore(model, backup);
        return Err(state_error(&optimizer_path)(err));
    }
    model.visit_random_states(&mut |name, state| {
        if let Some(saved) = states.get(name) {
            *state = *saved;
        }
    });
    let best_weights = if trainer.restore_best { load_best(dir, &*model)? } else { None };
    Ok(Some(Resumed { epoch, history, best_weights }))
}

/// The best epoch's tensors saved beside a checkpoint, in snapshot order.
fn load_best<T: Float, M: Module<T> + ?Sized>(
    dir: &Path,
    model: &M,
) -> Result<Option<Vec<ArrayD<T>>>, TrainError> {
    let path: PathBuf = dir.join(BEST);
    if !path.exists() {
        return Ok(None);
    }
    let (mut found, _) = read_tensors::<T>(&path).map_err(io(&path))?;
    let mut weights = Vec::new();
    for name in tensor_names(model) {
        let values = found.remove(&name).and_then(|t| t.values).ok_or_else(|| TrainError::Checkpoint {
            path: path.clone(),
            reason: format!("`{name}` is missing"),
        })?;
        weights.push(values);
    }
    Ok(Some(weights))
}
