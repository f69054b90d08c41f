//! Saving and loading optimizer state — every parameter's buffers as safetensors tensors
//! plus its step count — so that training N steps, saving, loading into a fresh process
//! and training M more gives bit for bit the parameters of N + M steps straight.

// Reached by data from outside (files): no unwrap, expect, panic, indexing or unchecked
// arithmetic outside the tests (`docs/reliability.md`); each exception is local and says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, Dimension};
use tapegrad_tape::Float;
use tapegrad_tape::{read_tensors, write_finite_tensors, FileError, Parameters, StoredTensor};
use thiserror::Error;

use crate::{AdagradState, AdamState, Optimizer, RmsPropState, SgdState};

/// One parameter's optimizer state in saved form: its step count and its named buffers
/// (`exp_avg`, `momentum_buffer`, …), each of the parameter's shape.
///
/// ```
/// use tapegrad_optim::StateEntry;
/// let entry = StateEntry::<f32> { step: 3, buffers: Default::default() };
/// assert_eq!(entry.step, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StateEntry<T> {
    /// Steps taken (PyTorch's `state['step']`).
    pub step: u64,
    /// The buffers by name.
    pub buffers: BTreeMap<String, ArrayD<T>>,
}

/// Conversion between an optimizer's per-parameter state struct and its saved form.
///
/// ```
/// use tapegrad_optim::{SavedState, SgdState};
/// let state = SgdState { step: 2, momentum_buffer: Some(ndarray::array![0.5f64].into_dyn()) };
/// let entry = state.to_entry();
/// assert_eq!(entry.buffers.len(), 1);
/// assert_eq!(SgdState::from_entry(entry).unwrap().step, 2);
/// ```
pub trait SavedState<T>: Sized {
    /// The saved form.
    fn to_entry(&self) -> StateEntry<T>;
    /// Back from the saved form.
    ///
    /// # Errors
    /// A message naming a required buffer that is missing, or one that does not belong.
    fn from_entry(entry: StateEntry<T>) -> Result<Self, String>;
}

/// The largest step count a state may hold: 2⁵³, below which every count is exact in
/// f64 (the bias corrections compute with it). PyTorch keeps `step` as a float tensor.
///
/// ```
/// assert_eq!(tapegrad_optim::MAX_STEP, 9_007_199_254_740_992);
/// ```
pub const MAX_STEP: u64 = 1 << 53;

/// Takes the named buffers out of `entry`: `required` must be there, `optional` may be;
/// anything else is an error. Every value must be finite, and those of the buffers named
/// in `non_negative` (running averages of squares) at least 0; the step count at most
/// [`MAX_STEP`]. A state that passes cannot turn a parameter NaN on the next step.
#[allow(clippy::type_complexity)]
fn take<T: Float>(
    mut entry: StateEntry<T>,
    required: &[&str],
    optional: &[&str],
    non_negative: &[&str],
) -> Result<(u64, Vec<ArrayD<T>>, Vec<Option<ArrayD<T>>>), String> {
    if entry.step > MAX_STEP {
        return Err(format!("step count {} is above the largest allowed, 2^53", entry.step));
    }
    for (name, buffer) in &entry.buffers {
        let bad = buffer
            .indexed_iter()
            .find(|&(_, &v)| !v.is_finite() || (v < T::zero() && non_negative.contains(&name.as_str())));
        if let Some((index, value)) = bad {
            let why = if value.is_finite() {
                "is negative: a running average of squares cannot be"
            } else {
                "is not finite"
            };
            return Err(format!("buffer `{name}`: element {:?} = {value:?} {why}", index.slice()));
        }
    }
    let required = required
        .iter()
        .map(|name| entry.buffers.remove(*name).ok_or_else(|| format!("missing buffer `{name}`")))
        .collect::<Result<Vec<_>, _>>()?;
    let optional = optional.iter().map(|name| entry.buffers.remove(*name)).collect();
    match entry.buffers.keys().next() {
        Some(extra) => Err(format!("unexpected buffer `{extra}`")),
        None => Ok((entry.step, required, optional)),
    }
}

/// The buffers `take` returned, as an array of the length asked for (it returns one per
/// name it was given, so this only fails if the two disagree).
fn exactly<B, const N: usize>(buffers: Vec<B>) -> Result<[B; N], String> {
    let found = buffers.len();
    buffers.try_into().map_err(|_| format!("expected {N} buffers, found {found}"))
}

fn entry<T: Clone>(step: u64, buffers: &[(&str, Option<&ArrayD<T>>)]) -> StateEntry<T> {
    let buffers = buffers.iter().filter_map(|(name, b)| Some((name.to_string(), (*b)?.clone()))).collect();
    StateEntry { step, buffers }
}

impl<T: Float> SavedState<T> for SgdState<T> {
    fn to_entry(&self) -> StateEntry<T> {
        entry(self.step, &[("momentum_buffer", self.momentum_buffer.as_ref())])
    }
    fn from_entry(entry: StateEntry<T>) -> Result<Self, String> {
        let (step, _, optional) = take(entry, &[], &["momentum_buffer"], &[])?;
        let [momentum_buffer] = exactly(optional)?;
        Ok(SgdState { step, momentum_buffer })
    }
}

impl<T: Float> SavedState<T> for AdagradState<T> {
    fn to_entry(&self) -> StateEntry<T> {
        entry(self.step, &[("sum", Some(&self.sum))])
    }
    fn from_entry(entry: StateEntry<T>) -> Result<Self, String> {
        let (step, required, _) = take(entry, &["sum"], &[], &["sum"])?;
        let [sum] = exactly(required)?;
        Ok(AdagradState { step, sum })
    }
}

impl<T: Float> SavedState<T> for RmsPropState<T> {
    fn to_entry(&self) -> StateEntry<T> {
        entry(
            self.step,
            &[
                ("square_avg", Some(&self.square_avg)),
                ("momentum_buffer", self.momentum_buffer.as_ref()),
                ("grad_avg", self.grad_avg.as_ref()),
            ],
        )
    }
    fn from_entry(entry: StateEntry<T>) -> Result<Self, String> {
        let (step, required, optional) =
            take(entry, &["square_avg"], &["momentum_buffer", "grad_avg"], &["square_avg"])?;
        let ([square_avg], [momentum_buffer, grad_avg]) = (exactly(required)?, exactly(optional)?);
        Ok(RmsPropState { step, square_avg, momentum_buffer, grad_avg })
    }
}

impl<T: Float> SavedState<T> for AdamState<T> {
    fn to_entry(&self) -> StateEntry<T> {
        entry(
            self.step,
            &[
                ("exp_avg", Some(&self.exp_avg)),
                ("exp_avg_sq", Some(&self.exp_avg_sq)),
                ("max_exp_avg_sq", self.max_exp_avg_sq.as_ref()),
            ],
        )
    }
    fn from_entry(entry: StateEntry<T>) -> Result<Self, String> {
        let (step, required, optional) =
            take(entry, &["exp_avg", "exp_avg_sq"], &["max_exp_avg_sq"], &["exp_avg_sq", "max_exp_avg_sq"])?;
        let ([exp_avg, exp_avg_sq], [max_exp_avg_sq]) = (exactly(required)?, exactly(optional)?);
        Ok(AdamState { step, exp_avg, exp_avg_sq, max_exp_avg_sq })
    }
}

/// Every state in saved form (what [`Optimizer::export_state`] returns).
pub(crate) fn export<T, S: SavedState<T>>(states: &BTreeMap<String, S>) -> BTreeMap<String, StateEntry<T>> {
    states.iter().map(|(name, state)| (name.clone(), state.to_entry())).collect()
}

/// Every state back from saved form (what [`Optimizer::import_state`] does).
pub(crate) fn import<T, S: SavedState<T>>(
    entries: BTreeMap<String, StateEntry<T>>,
) -> Result<BTreeMap<String, S>, String> {
    entries
        .into_iter()
        .map(|(name, entry)| {
            S::from_entry(entry).map(|state| (name.clone(), state)).map_err(|e| format!("`{name}`: {e}"))
        })
        .collect()
}

/// Why an optimizer state file could not be used.
///
/// ```
/// use tapegrad_optim::StateError;
/// let err = StateError::Mismatch { path: "opt.safetensors".into(), problems: vec!["`w`: not a parameter of the model".into()] };
/// assert_eq!(err.to_string(), "opt.safetensors: the optimizer state does not fit:\n  - `w`: not a parameter of the model");
/// ```
#[derive(Debug, Error)]
pub enum StateError {
    /// The file could not be read or written, or is not valid safetensors.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file's contents do not fit this optimizer or model: every problem, one per line.
    #[error("{}: the optimizer state does not fit:\n  - {}", path.display(), problems.join("\n  - "))]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// One line per problem.
        problems: Vec<String>,
    },
}

/// Saves `optimizer`'s state to `path` (atomically): one tensor per buffer, named
/// `{parameter}.{buffer}` (`layers.0.weight.exp_avg`), and in the metadata the
/// optimizer's name, its learning rate and every parameter's step count.
///
/// # Errors
/// [`StateError::File`] if the file cannot be written.
///
/// ```
/// use tapegrad_optim::{load_state, save_state, Adam, Optimizer, StepReport};
/// # use ndarray::{array, Array1, ArrayViewD, ArrayViewMutD};
/// # use tapegrad_tape::Parameters;
/// # use tapegrad_tape::{Tape, Var};
/// # struct Scale { w: Array1<f64> }
/// # impl Scale {
/// #     fn forward<'t>(&'t self, tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
/// #         x * tape.param(&self.w)
/// #     }
/// # }
/// # impl Parameters<f64> for Scale {
/// #     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) { visit("w", self.w.view().into_dyn()); }
/// #     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) { visit("w", self.w.view_mut().into_dyn()); }
/// # }
/// let mut model = Scale { w: array![1.0, -2.0] };
/// let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
/// let tape = Tape::new();
/// let loss = model.forward(&tape, tape.constant(array![1.0, 1.0])).square().sum();
/// let grads = tape.backward(loss);
/// let _report = adam.step(&mut model, &grads).unwrap();
///
/// let path = std::env::temp_dir().join("tapegrad-doc-adam.safetensors");
/// save_state(&adam, &path).unwrap();
/// let mut resumed = Adam::builder().learning_rate(0.1).build().unwrap();
/// load_state(&mut resumed, &model, &path).unwrap();
/// assert_eq!(resumed.state("w"), adam.state("w"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_state<T: Float>(
    optimizer: &(impl Optimizer<T> + ?Sized),
    path: impl AsRef<Path>,
) -> Result<(), StateError> {
    let states = optimizer.export_state();
    let mut metadata = BTreeMap::from([
        ("format".to_string(), "tapegrad-optimizer".to_string()),
        ("optimizer".to_string(), optimizer.name().to_string()),
        ("learning_rate".to_string(), format!("{:?}", optimizer.learning_rate().to_f64())),
    ]);
    let groups = optimizer.groups();
    if !groups.is_empty() {
        metadata.insert("groups".to_string(), groups_to_text(&groups));
    }
    let mut tensors = Vec::new();
    for (name, entry) in &states {
        metadata.insert(format!("step.{name}"), entry.step.to_string());
        for (buffer, array) in &entry.buffers {
            tensors.push((format!("{name}.{buffer}"), array.view()));
        }
    }
    write_finite_tensors(path, tensors, metadata)?;
    Ok(())
}

/// Loads state saved by [`save_state`] into `optimizer`, for the parameters of `model`.
///
/// Everything is checked first — the optimizer's name, the dtype, that every saved
/// parameter is one of `model`'s with buffers of its shape, and that each state has the
/// buffers its optimizer keeps — and every problem is reported in one
/// [`StateError::Mismatch`]; the optimizer is unchanged on any error. The learning rate
/// saved with the state is restored too.
///
/// # Errors
/// [`StateError::File`] for an unreadable or corrupt file, [`StateError::Mismatch`] for
/// contents that do not fit.
///
/// # Panics
/// Never for any file: the saved learning rate is checked before it is set, and an
/// optimizer always accepts the state it exported itself.
///
/// ```
/// use tapegrad_optim::{load_state, Sgd, StateError};
/// let model = std::collections::BTreeMap::from([("w".to_string(), ndarray::ArrayD::<f32>::zeros(vec![2, 2]))]);
/// let mut sgd = Sgd::builder().build().unwrap();
/// let missing = std::env::temp_dir().join("tapegrad-doc-no-such-state.safetensors");
/// assert!(matches!(load_state(&mut sgd, &model, &missing), Err(StateError::File(_))));
/// ```
pub fn load_state<T: Float>(
    optimizer: &mut (impl Optimizer<T> + ?Sized),
    model: &(impl Parameters<T> + ?Sized),
    path: impl AsRef<Path>,
) -> Result<(), StateError> {
    let path = path.as_ref();
    let (tensors, metadata) = read_tensors::<T>(path)?;
    let mut problems = Vec::new();
    let learning_rate = check_metadata::<T>(&metadata, optimizer.name(), &mut problems);
    check_groups(metadata.get("groups").map_or("", String::as_str), &optimizer.groups(), &mut problems);
    let mut shapes = BTreeMap::new();
    model.visit_params(&mut |name, param| {
        shapes.insert(name.to_string(), param.shape().to_vec());
    });
    let entries = state_entries(&metadata, tensors, &shapes, &mut problems);
    if problems.is_empty() {
        // Import into a copy first so that a state the optimizer rejects changes nothing.
        let saved = optimizer.export_state();
        if let Err(problem) = optimizer.import_state(entries) {
            problems.push(problem);
            if let Err(problem) = optimizer.import_state(saved) {
                // Only an optimizer that refuses its own exported state gets here.
                problems.push(format!("the previous state could not be restored: {problem}"));
            }
        }
    }
    match learning_rate {
        Some(learning_rate) if problems.is_empty() => {
            optimizer.set_learning_rate(T::from_f64(learning_rate));
            Ok(())
        }
        _ => Err(StateError::Mismatch { path: path.to_path_buf(), problems }),
    }
}

/// Parameter groups as saved: one line per group, its learning rate as a multiple of the
/// base rate (`{:?}`, exact) and its names, separated by tabs.
fn groups_to_text(groups: &[(Vec<String>, f64)]) -> String {
    let lines: Vec<String> =
        groups.iter().map(|(names, ratio)| format!("{ratio:?}\t{}", names.join("\t"))).collect();
    lines.join("\n")
}

/// Checks the groups saved with a state (`saved`, from [`groups_to_text`]) against the
/// optimizer's: a state saved with groups loads only into an optimizer with the same
/// groups at the same relative learning rates, and the other way round, since a layer's
/// learning rate would otherwise change silently.
fn check_groups(saved: &str, groups: &[(Vec<String>, f64)], problems: &mut Vec<String>) {
    let parsed: Option<Vec<(Vec<String>, f64)>> = saved
        .lines()
        .map(|line| {
            let mut fields = line.split('\t');
            let ratio = fields.next()?.parse::<f64>().ok().filter(|ratio| ratio.is_finite())?;
            Some((fields.map(str::to_string).collect(), ratio))
        })
        .collect();
    let Some(parsed) = parsed else {
        problems.push(format!("its parameter groups {saved:?} cannot be read"));
        return;
    };
    let same = parsed.len() == groups.len()
        && parsed.iter().zip(groups).all(|((names, ratio), (own_names, own_ratio))| {
            names == own_names && (ratio - own_ratio).abs() <= 1e-6 * ratio.abs().max(own_ratio.abs())
        });
    if !same {
        let describe = |groups: &[(Vec<String>, f64)]| match groups.is_empty() {
            true => "no parameter groups".to_string(),
            false => groups
                .iter()
                .map(|(names, ratio)| {
                    // Six significant digits: an f32 rate's ratio prints as 0.1, not 0.0999999962….
                    let ratio = format!("{ratio:.5e}").parse::<f64>().unwrap_or(*ratio);
                    format!("{names:?} at {ratio}× the base learning rate")
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        problems.push(format!(
            "it was saved with {}, this optimizer has {}: build it with the same groups (`group(..)`), or a \
             layer's learning rate changes",
            describe(&parsed),
            describe(groups)
        ));
    }
}

/// Checks the file's metadata against the optimizer (its name, a usable learning rate);
/// returns the saved learning rate, and adds what is wrong to `problems`.
fn check_metadata<T: Float>(
    metadata: &BTreeMap<String, String>,
    optimizer: &str,
    problems: &mut Vec<String>,
) -> Option<f64> {
    match metadata.get("optimizer") {
        Some(name) if name == optimizer => {}
        Some(name) => problems.push(format!("saved by {name}, loading into {optimizer}")),
        None => problems.push("no `optimizer` in the metadata: not a tapegrad optimizer state file".into()),
    }
    let learning_rate = metadata.get("learning_rate").and_then(|lr| lr.parse::<f64>().ok());
    // Finite in f64 is not enough: 1e300 is infinite as an f32.
    if learning_rate.is_none_or(|lr| !T::from_f64(lr).is_finite() || lr < 0.0) {
        problems.push(format!(
            "bad learning rate in the metadata: {:?} (expected a finite, non-negative {})",
            metadata.get("learning_rate"),
            T::NAME
        ));
    }
    learning_rate
}

/// Each saved parameter's state, from its step count (metadata `step.<name>`) and its
/// buffers (tensors `<name>.<buffer>`), checked against the model's parameter `shapes`;
/// what does not fit is added to `problems`.
fn state_entries<T: Float>(
    metadata: &BTreeMap<String, String>,
    tensors: BTreeMap<String, StoredTensor<T>>,
    shapes: &BTreeMap<String, Vec<usize>>,
    problems: &mut Vec<String>,
) -> BTreeMap<String, StateEntry<T>> {
    let mut entries: BTreeMap<String, StateEntry<T>> = BTreeMap::new();
    for (key, step) in metadata.iter().filter_map(|(k, v)| Some((k.strip_prefix("step.")?, v))) {
        match step.parse() {
            Ok(step) => {
                entries.insert(key.to_string(), StateEntry { step, buffers: BTreeMap::new() });
            }
            Err(_) => problems.push(format!("`{key}`: step count {step:?} is not a whole number")),
        }
    }
    for (tensor_name, tensor) in tensors {
        let Some((param, buffer)) = tensor_name.rsplit_once('.') else {
            problems.push(format!("`{tensor_name}`: not named `parameter.buffer`"));
            continue;
        };
        let Some(entry) = entries.get_mut(param) else {
            problems.push(format!("`{tensor_name}`: no step count for parameter `{param}`"));
            continue;
        };
        match (shapes.get(param), tensor.values) {
            (None, _) => problems.push(format!("`{tensor_name}`: `{param}` is not a parameter of the model")),
            (Some(shape), _) if *shape != tensor.shape => problems.push(format!(
                "`{tensor_name}`: shape {:?} does not match the parameter's {shape:?}",
                tensor.shape
            )),
            (Some(_), None) => problems.push(format!(
                "`{tensor_name}`: dtype {} is not the model's {}",
                tensor.dtype,
                T::NAME
            )),
            (Some(_), Some(values)) => {
                entry.buffers.insert(buffer.to_string(), values);
            }
        }
    }
    for name in entries.keys().filter(|name| !shapes.contains_key(*name)) {
        problems.push(format!("`{name}`: has a step count but is not a parameter of the model"));
    }
    entries
}
