//! Training checkpoints: everything a run needs to go on exactly where it stopped — the
//! weights and buffers, the optimizer's state, the epoch, every random generator's state
//! and the history so far — in a directory, written so that a kill at any moment leaves a
//! whole checkpoint behind, and read so that a resume either applies all of it or changes
//! nothing.
//!
//! The directory holds `optimizer-<epoch>.safetensors` (the optimizer's state, from
//! `save_state`), with `restore_best_weights` the best epoch's tensors in
//! `best-<best epoch>.safetensors`, and `model.safetensors`: the model's tensors, with the
//! epoch, the run's settings, the random states, the history and the names of the other
//! two files in its metadata. `model.safetensors` is written last, so it is the commit
//! point: a checkpoint and its best weights commit together, and older files are removed
//! only after it. The names it holds are checked to be the ones it would write (never a
//! path elsewhere), the history to be its epochs in order, the best file to be of the
//! history's best epoch. Every file is read and checked (shapes, finite values, the
//! optimizer state against the model) before the model or optimizer changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use tapegrad_nn::{
    assign_random_states, assign_weights, check_weights, copy_random_states, read_tensors,
    write_finite_tensors, Module, NnError, RandomState,
};
use tapegrad_optim::{load_state, save_state, Optimizer, StateError};
use tapegrad_tape::Float;

use crate::{History, TrainError, Trainer};

const MODEL: &str = "model.safetensors";
const FORMAT: &str = "tapegrad-checkpoint";

/// What an applied checkpoint gives the run: the epochs done, their history, and the best
/// epoch's number and tensors when the run keeps them.
pub(crate) struct Resumed<T> {
    pub(crate) epoch: usize,
    pub(crate) history: History,
    pub(crate) best: Option<(usize, Vec<ArrayD<T>>)>,
}

/// A checkpoint read and checked against the model, nothing applied yet.
pub(crate) struct Checkpoint<T> {
    /// The epochs done.
    pub(crate) epoch: usize,
    /// Their history.
    pub(crate) history: History,
    /// The best epoch's number and tensors, when the run kept them.
    pub(crate) best: Option<(usize, Vec<ArrayD<T>>)>,
    /// The model's tensors in snapshot order, checked.
    weights: Vec<ArrayD<T>>,
    /// The optimizer's state file (checked when applied: `load_state` checks it against
    /// the model and changes nothing on error).
    optimizer_path: PathBuf,
    /// Every random generator's state, by the module's name.
    random_states: BTreeMap<String, RandomState>,
}

fn io<E: Into<NnError>>(path: &Path) -> impl Fn(E) -> TrainError + '_ {
    // `TrainError::Io` says "cannot write": a failed read keeps the nn error, which says
    // "cannot read".
    move |err| match err.into() {
        NnError::Io { source, action, .. } if action != "read" => {
            TrainError::Io { path: path.to_path_buf(), source }
        }
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

/// The optimizer file a checkpoint of `epoch` names.
fn optimizer_file(epoch: usize) -> String {
    format!("optimizer-{epoch}.safetensors")
}

/// The best-weights file of best epoch `epoch`.
fn best_file(epoch: usize) -> String {
    format!("best-{epoch}.safetensors")
}

/// A save's error: the file it concerns, and what went wrong writing it.
fn save_error(path: &Path) -> impl Fn(StateError) -> TrainError + '_ {
    move |err| match err {
        StateError::File(err) => io(path)(err),
        StateError::Mismatch { .. } => {
            TrainError::Checkpoint { path: path.to_path_buf(), reason: err.to_string() }
        }
    }
}

/// Writes the checkpoint of epoch `epoch` into `dir`, with the best epoch's weights when
/// the run keeps them (`best`: the epoch and its snapshot).
pub(crate) fn save<T: Float, M: Module<T>>(
    dir: &Path,
    trainer: &Trainer,
    model: &mut M,
    optimizer: &dyn Optimizer<T>,
    history: &History,
    epoch: usize,
    best: Option<(usize, &[ArrayD<T>])>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io { path: dir.to_path_buf(), source })?;
    let optimizer_file = optimizer_file(epoch);
    let optimizer_path = dir.join(&optimizer_file);
    save_state(optimizer, &optimizer_path).map_err(save_error(&optimizer_path))?;
    let names = tensor_names(&*model);
    let mut metadata = BTreeMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("epoch".to_string(), epoch.to_string()),
        ("settings".to_string(), settings(trainer)),
        ("optimizer_file".to_string(), optimizer_file.clone()),
        ("history".to_string(), history.to_csv()),
    ]);
    let mut keep = vec![optimizer_file];
    if let Some((best_epoch, weights)) = best {
        let file = best_file(best_epoch);
        let path = dir.join(&file);
        // A new best is written now; an older one is on disk since the checkpoint of its
        // epoch (rewritten if it went missing).
        if best_epoch == epoch || !path.is_file() {
            let tensors = names.iter().cloned().zip(weights.iter().map(|w| w.view()));
            write_finite_tensors(&path, tensors, BTreeMap::new()).map_err(io(&path))?;
        }
        metadata.insert("best_epoch".to_string(), best_epoch.to_string());
        metadata.insert("best_file".to_string(), file.clone());
        keep.push(file);
    }
    model.visit_random_states(&mut |name, state| {
        metadata.insert(format!("random.{name}"), format!("{} {}", state.seed, state.draws));
    });
    let model_path = dir.join(MODEL);
    let arrays = snapshot(&*model);
    let named = names.into_iter().zip(arrays.iter().map(|a| a.view()));
    write_finite_tensors(&model_path, named, metadata).map_err(io(&model_path))?;
    // The checkpoint is whole: the files it does not name can go.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let ours = (name.starts_with("optimizer-") || name.starts_with("best-"))
                && name.ends_with(".safetensors");
            if ours && !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}

/// The names of the model's tensors, in the order of a snapshot.
pub(crate) fn tensor_names<T: Float, M: Module<T> + ?Sized>(model: &M) -> Vec<String> {
    let mut names = Vec::new();
    model.visit_params(&mut |name, _| names.push(name.to_string()));
    model.visit_buffers(&mut |name, _| names.push(name.to_string()));
    names
}

/// Reads the checkpoint in `dir`, if there is one, and checks all of it against `model`
/// and the run's settings; nothing changes ([`Checkpoint::apply`] does that).
///
/// `model` is `&mut` only because listing its random generators' names goes through
/// `visit_random_states`, which lends them mutably; nothing in it is written.
pub(crate) fn read<T: Float, M: Module<T>>(
    dir: &Path,
    trainer: &Trainer,
    model: &mut M,
) -> Result<Option<Checkpoint<T>>, TrainError> {
    let model_path = dir.join(MODEL);
    if !model_path.exists() {
        return Ok(None);
    }
    let bad = |reason: String| TrainError::Checkpoint { path: model_path.clone(), reason };
    let (tensors, metadata) = read_tensors::<T>(&model_path).map_err(io(&model_path))?;
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
    if let Some((row, record)) =
        history.epochs.iter().enumerate().find(|(row, record)| record.epoch != row + 1)
    {
        return Err(bad(format!(
            "its history's row {} is of epoch {}: the rows must be epochs 1 to {epoch} in order",
            row + 1,
            record.epoch
        )));
    }
    let mut random_states: BTreeMap<String, RandomState> = BTreeMap::new();
    for (key, value) in &metadata {
        if let Some(name) = key.strip_prefix("random.") {
            let mut numbers = value.split(' ').map(str::parse::<u64>);
            let (Some(Ok(seed)), Some(Ok(draws)), None) = (numbers.next(), numbers.next(), numbers.next())
            else {
                return Err(bad(format!("the random state `{name}` is `{value}`, not two numbers")));
            };
            random_states.insert(name.to_string(), RandomState { seed, draws });
        }
    }
    let mut names = Vec::new();
    model.visit_random_states(&mut |name, _| names.push(name.to_string()));
    let missing: Vec<&String> = names.iter().filter(|name| !random_states.contains_key(*name)).collect();
    let extra: Vec<&String> = random_states.keys().filter(|key| !names.contains(key)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(bad(format!(
            "its random generator states do not fit the model: missing {missing:?}, not in the model {extra:?}"
        )));
    }
    // The files it names must be the ones a checkpoint of this epoch writes: a name is
    // never a path to elsewhere.
    let named = metadata.get("optimizer_file").map(String::as_str);
    if named != Some(optimizer_file(epoch).as_str()) {
        return Err(bad(format!(
            "its optimizer file is {named:?}; a checkpoint of epoch {epoch} names `{}`",
            optimizer_file(epoch)
        )));
    }
    let optimizer_path = dir.join(optimizer_file(epoch));
    let weights = check_weights(&*model, tensors, &model_path).map_err(io(&model_path))?;
    let best = match (metadata.get("best_epoch"), metadata.get("best_file")) {
        (None, None) => None,
        (Some(best_epoch), Some(file)) => {
            let best_epoch = best_epoch
                .parse::<usize>()
                .ok()
                .filter(|&best_epoch| (1..=epoch).contains(&best_epoch))
                .ok_or_else(|| {
                    bad(format!("its best epoch `{best_epoch}` is not one of epochs 1 to {epoch}"))
                })?;
            if *file != best_file(best_epoch) {
                return Err(bad(format!(
                    "its best file is `{file}`; the best epoch {best_epoch}'s is `{}`",
                    best_file(best_epoch)
                )));
            }
            // Read only when they will be restored; checked as a weight file is.
            match trainer.restore_best {
                true => {
                    let path = dir.join(file);
                    let (tensors, _) = read_tensors::<T>(&path).map_err(io(&path))?;
                    Some((best_epoch, check_weights(&*model, tensors, &path).map_err(io(&path))?))
                }
                false => None,
            }
        }
        _ => return Err(bad("it names a best epoch without a best file, or the other way round".into())),
    };
    Ok(Some(Checkpoint { epoch, history, best, weights, optimizer_path, random_states }))
}

impl<T: Float> Checkpoint<T> {
    /// Puts the checkpoint into `model` and `optimizer`, then runs `check` on the model as
    /// it now is: all of it stays, or (when the optimizer state does not fit, or `check`
    /// fails) nothing does — the weights, buffers, random states and the optimizer's state
    /// and learning rate are put back as they were.
    pub(crate) fn apply<M: Module<T>>(
        self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        check: impl FnOnce(&mut M) -> Result<(), TrainError>,
    ) -> Result<Resumed<T>, TrainError> {
        let backup = snapshot(&*model);
        let random_backup = copy_random_states(model);
        let optimizer_backup = (optimizer.export_state(), optimizer.learning_rate());
        assign_weights(model, self.weights);
        if let Err(err) = load_state(optimizer, &*model, &self.optimizer_path) {
            assign_weights(model, backup);
            return Err(state_error(&self.optimizer_path)(err));
        }
        model.visit_random_states(&mut |name, state| {
            if let Some(saved) = self.random_states.get(name) {
                *state = *saved;
            }
        });
        if let Err(err) = check(model) {
            assign_weights(model, backup);
            assign_random_states(model, &random_backup);
            // The optimizer's own exported state: accepted back as it was.
            let _ = optimizer.import_state(optimizer_backup.0);
            optimizer.set_learning_rate(optimizer_backup.1);
            return Err(err);
        }
        Ok(Resumed { epoch: self.epoch, history: self.history, best: self.best })
    }
}
