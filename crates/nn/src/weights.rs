//! Saving and loading a module's parameters as a safetensors file, keyed by parameter
//! name: written atomically, and validated in full before anything is changed on load.

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
use std::path::Path;

use ndarray::{ArrayViewD, Dimension};
use tapegrad_tape::Float;

use tapegrad_tape::dtype_name;

use crate::{read_tensors, write_finite_tensors, Module, NnError};

/// Saves every parameter and buffer (such as [`BatchNorm1d`](crate::BatchNorm1d)'s running
/// statistics) of `model` to `path` as safetensors (names as keys, the
/// model's element type as dtype, row-major data). The file loads in Python with
/// `safetensors.numpy.load_file` (or `safetensors.torch.load_file`).
///
/// The write is atomic: the bytes go to a temporary file beside `path`, which is flushed,
/// synced and then renamed over `path`. A crash mid-save leaves the old file intact.
///
/// A model with a NaN or infinite value is not saved: [`load_weights`] would refuse the
/// file, so the error names the tensor and element instead, and the old file stays.
///
/// # Errors
/// [`NnError::Io`] naming the path if the file cannot be written or renamed;
/// [`NnError::NotFinite`] naming the first tensor and element that is NaN or infinite.
///
/// ```
/// use rand::SeedableRng;
/// use tapegrad_nn::{load_weights, save_weights, Dense, Module};
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let model = Dense::<f32>::new(3, 2, &mut rng);
/// let path = std::env::temp_dir().join("tapegrad-doc-dense.safetensors");
/// save_weights(&model, &path).unwrap();
///
/// let mut fresh = Dense::<f32>::new(3, 2, &mut rand::rngs::StdRng::seed_from_u64(1));
/// load_weights(&mut fresh, &path).unwrap();
/// assert_eq!(fresh.weight, model.weight);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_weights<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<(), NnError> {
    // Buffers are lent only for the visit (they may live in a `RefCell`): copied first.
    let mut buffers = Vec::new();
    model.visit_buffers(&mut |name, buffer| buffers.push((name.to_string(), buffer.to_owned())));
    let mut tensors = Vec::new();
    model.visit_params(&mut |name, param| tensors.push((name.to_string(), param)));
    tensors.extend(buffers.iter().map(|(name, buffer)| (name.clone(), buffer.view())));
    let metadata = BTreeMap::from([("format".to_string(), "tapegrad".to_string())]);
    Ok(write_finite_tensors(path, tensors, metadata)?)
}

/// Loads parameters saved by [`save_weights`] (or any safetensors file with the same
/// names, shapes and dtype) into `model`.
///
/// Everything is checked before anything changes: a missing or unexpected name, a wrong
/// shape, a wrong dtype and a NaN or infinite value are all collected into one [`NnError::WeightsMismatch`]
/// listing every problem; a truncated or corrupt file is [`NnError::CorruptWeights`]
/// saying what is wrong and where; the model is untouched on any error.
///
/// # Errors
/// [`NnError::Io`], [`NnError::CorruptWeights`] or [`NnError::WeightsMismatch`].
///
/// # Panics
/// Never for any file; only if a module's `visit_params_mut` visits its parameters in a
/// different order from `visit_params` (a bug in that `Module` implementation).
///
/// ```
/// use tapegrad_nn::{load_weights, Dense, NnError};
/// let path = std::env::temp_dir().join("tapegrad-doc-missing.safetensors");
/// let mut model = Dense::<f32>::from_arrays(ndarray::Array2::zeros((2, 2)), None);
/// let err = load_weights(&mut model, &path).unwrap_err();
/// assert!(matches!(err, NnError::Io { .. }));
/// assert!(err.to_string().starts_with("cannot read "));
/// ```
pub fn load_weights<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), NnError> {
    let path = path.as_ref();
    let (found, _) = read_tensors::<T>(path)?;
    let values = check_weights(&*model, found, path)?;
    assign_weights(model, values);
    Ok(())
}

/// Checks tensors read from `path` (by [`read_tensors`]) against `model` as
/// [`load_weights`] does, without changing anything: every parameter and buffer present,
/// of its shape and dtype, with finite values, and nothing else in the file. Returns the
/// values in visiting order (parameters, then buffers), for [`assign_weights`]. With the
/// two, a caller that loads more than one file checks them all before it changes anything
/// (the `Trainer`'s checkpoints do).
///
/// # Errors
/// [`NnError::WeightsMismatch`] listing every problem.
///
/// ```
/// use std::collections::BTreeMap;
/// use tapegrad_nn::{assign_weights, check_weights, Dense, StoredTensor};
/// let mut model = Dense::<f64>::from_arrays(ndarray::Array2::zeros((2, 1)), None);
/// let w = ndarray::array![[1.0], [2.0]].into_dyn();
/// let tensors = BTreeMap::from([(
///     "weight".to_string(),
///     StoredTensor { shape: vec![2, 1], dtype: "F64".into(), values: Some(w.clone()) },
/// )]);
/// let values = check_weights(&model, tensors, "in-memory".as_ref()).unwrap();
/// assign_weights(&mut model, values);
/// assert_eq!(model.weight.clone().into_dyn(), w);
/// ```
pub fn check_weights<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    mut found: BTreeMap<String, crate::StoredTensor<T>>,
    path: &Path,
) -> Result<Vec<ndarray::ArrayD<T>>, NnError> {
    let mut problems = Vec::new();
    let mut values = Vec::new();
    // A file of the other float type: saved from an f32 model, loaded into an f64 one.
    let mut other_float = None;
    model.visit_params(&mut |name, param| {
        values.push(take_checked(&mut found, name, param.shape(), &mut problems, &mut other_float))
    });
    model.visit_buffers(&mut |name, buffer| {
        values.push(take_checked(&mut found, name, buffer.shape(), &mut problems, &mut other_float));
    });
    for (name, tensor) in &found {
        problems.push(format!("`{name}`: in the file (shape {:?}) but not in the model", tensor.shape));
    }
    if let Some(dtype) = other_float {
        problems.push(format!(
            "the file holds {dtype} weights: load it into the same model built with {}, then copy \
             its parameters into this one with `copy_params`, which converts them",
            dtype.to_lowercase()
        ));
    }
    match values.into_iter().collect::<Option<Vec<_>>>() {
        Some(values) if problems.is_empty() => Ok(values),
        _ => Err(NnError::WeightsMismatch { path: path.to_path_buf(), problems }),
    }
}

/// Puts `values` into `model`'s parameters and then its buffers, in visiting order: what
/// [`check_weights`] returns, or a copy of another model's tensors taken in that order.
///
/// # Panics
/// If `values` does not hold one array of the right shape per parameter and buffer (values
/// that [`check_weights`] returned for this model always do), or if the module's `_mut`
/// visitors visit other tensors than its shared ones (a bug in that `Module`).
///
/// ```
/// use tapegrad_nn::{assign_weights, Dense};
/// let mut model = Dense::<f64>::from_arrays(ndarray::Array2::zeros((1, 2)), None);
/// assign_weights(&mut model, vec![ndarray::array![[3.0, 4.0]].into_dyn()]);
/// assert_eq!(model.weight, ndarray::array![[3.0, 4.0]]);
/// ```
#[track_caller]
pub fn assign_weights<T: Float, M: Module<T> + ?Sized>(model: &mut M, values: Vec<ndarray::ArrayD<T>>) {
    let mut values = values.into_iter();
    model.visit_params_mut(&mut |name, mut param| match values.next() {
        Some(value) if value.shape() == param.shape() => param.assign(&value),
        _ => visitors_disagree(name),
    });
    model.visit_buffers_mut(&mut |name, mut buffer| match values.next() {
        Some(value) if value.shape() == buffer.shape() => buffer.assign(&value),
        _ => visitors_disagree(name),
    });
    if values.next().is_some() {
        visitors_disagree("(more values than the model has tensors)");
    }
}

/// The tensor `name` taken from `found`, if it has the model's `shape` and dtype and only
/// finite values; otherwise `None`, with every problem added to `problems` (and the
/// file's dtype in `other_float` when it is the other float type).
fn take_checked<T: Float>(
    found: &mut BTreeMap<String, crate::StoredTensor<T>>,
    name: &str,
    shape: &[usize],
    problems: &mut Vec<String>,
    other_float: &mut Option<String>,
) -> Option<ndarray::ArrayD<T>> {
    let Some(tensor) = found.remove(name) else {
        problems.push(format!("`{name}`: missing from the file (model shape {shape:?})"));
        return None;
    };
    if tensor.values.is_none() {
        problems.push(format!("`{name}`: expected dtype {}, file has {}", dtype_name::<T>(), tensor.dtype));
        if ["F32", "F64"].contains(&tensor.dtype.as_str()) {
            *other_float = Some(tensor.dtype.clone());
        }
    }
    if tensor.shape != shape {
        problems.push(format!("`{name}`: expected shape {shape:?}, file has {:?}", tensor.shape));
        return None;
    }
    if let Some((index, value)) =
        tensor.values.as_ref().and_then(|v| v.indexed_iter().find(|(_, value)| !value.is_finite()))
    {
        problems.push(format!(
            "`{name}`: element {:?} is {value:?}: a weight must be a finite number",
            index.slice()
        ));
    }
    tensor.values
}

/// The panic of a `Module` whose `visit_params_mut` visits other parameters, or in another
/// order, than its `visit_params`.
#[allow(clippy::panic)]
#[cold]
fn visitors_disagree(name: &str) -> ! {
    panic!(
        "assign_weights: `{name}`: the values are not one per tensor of the model, in visiting order \
         and of each tensor's shape (values from check_weights for this model are), or the Module's \
         `_mut` visitors visit other tensors, or in another order, than its shared ones"
    )
}

/// Copies every parameter (and buffer) of `from` into the one of the same name in `to`,
/// converting between element types: an f32 model becomes f64 (for gradient checks, or
/// a second-order method) or back (PyTorch's `model.double()` and `.float()`, here into a
/// model of the same architecture built for the other type). f64 → f32 rounds to
/// nearest.
///
/// Everything is checked first — the same names, in any order, with the same shapes —
/// and `to` is untouched on any error.
///
/// # Errors
/// [`NnError::ParamsMismatch`] listing every name missing from either model and every
/// shape that differs.
///
/// # Panics
/// Only if `to`'s `visit_params_mut` visits other parameters than its `visit_params`
/// (a bug in that `Module` implementation), as [`load_weights`].
///
/// ```
/// use rand::SeedableRng;
/// use tapegrad_nn::{copy_params, Dense, Module, ReLU, Sequential, Parameters};
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let single = Sequential::<f32>::new().add(Dense::new(3, 4, &mut rng)).add(ReLU).add(Dense::new(4, 2, &mut rng));
/// let mut double = Sequential::<f64>::new().add(Dense::new(3, 4, &mut rng)).add(ReLU).add(Dense::new(4, 2, &mut rng));
/// copy_params(&single, &mut double)?;
/// let mut same = true;
/// single.visit_params(&mut |name, a| double.visit_params(&mut |other, b| {
///     if name == other { same &= a.iter().zip(b.iter()).all(|(&x, &y)| f64::from(x) == y) }
/// }));
/// assert!(same); // every f32 is exact in f64
///
/// let mut wider = Sequential::<f64>::new().add(Dense::new(3, 5, &mut rng));
/// let err = copy_params(&single, &mut wider).unwrap_err();
/// assert!(err.to_string().contains("`layers.0.weight`: shape [3, 4] in the source, [3, 5] here"), "{err}");
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
pub fn copy_params<S: Float, T: Float>(from: &dyn Module<S>, to: &mut dyn Module<T>) -> Result<(), NnError> {
    let convert = |array: ArrayViewD<'_, S>| array.mapv(|v| T::from_f64(v.to_f64()));
    let (mut params, mut buffers) = (BTreeMap::new(), BTreeMap::new());
    from.visit_params(&mut |name, param| {
        params.insert(name.to_string(), convert(param));
    });
    from.visit_buffers(&mut |name, buffer| {
        buffers.insert(name.to_string(), convert(buffer));
    });
    let mut problems = Vec::new();
    let mut values = Vec::new();
    to.visit_params(&mut |name, param| {
        values.push(take_same_shape(&mut params, name, param.shape(), &mut problems))
    });
    to.visit_buffers(&mut |name, buffer| {
        values.push(take_same_shape(&mut buffers, name, buffer.shape(), &mut problems));
    });
    problems.extend(
        params.keys().chain(buffers.keys()).map(|name| format!("`{name}`: in the source model but not here")),
    );
    match values.into_iter().collect::<Option<Vec<_>>>() {
        Some(values) if problems.is_empty() => {
            assign_weights(to, values);
            Ok(())
        }
        _ => Err(NnError::ParamsMismatch { problems }),
    }
}

/// The array `name` taken from `source` if it has `shape`; otherwise `None`, with the
/// problem added to `problems`.
fn take_same_shape<T>(
    source: &mut BTreeMap<String, ndarray::ArrayD<T>>,
    name: &str,
    shape: &[usize],
    problems: &mut Vec<String>,
) -> Option<ndarray::ArrayD<T>> {
    match source.remove(name) {
        Some(value) if value.shape() == shape => Some(value),
        Some(value) => {
            problems.push(format!("`{name}`: shape {:?} in the source, {shape:?} here", value.shape()));
            None
        }
        None => {
            problems.push(format!("`{name}`: not in the source model"));
            None
        }
    }
}
