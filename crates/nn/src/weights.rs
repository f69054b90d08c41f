//! Saving and loading a module's parameters as a safetensors file, keyed by parameter
//! name: written atomically, and validated in full before anything is changed on load.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tapegrad_tape::Float;

use crate::{Module, NnError};

/// The safetensors dtype of the element type `T`.
fn dtype_of<T: Float>() -> Dtype {
    if T::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// Little-endian bytes of the values, in the element type's own width.
fn to_bytes<T: Float>(values: impl Iterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in values {
        match dtype_of::<T>() {
            Dtype::F32 => bytes.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
            _ => bytes.extend_from_slice(&v.to_f64().to_le_bytes()),
        }
    }
    bytes
}

fn from_bytes<T: Float>(bytes: &[u8]) -> Vec<T> {
    match dtype_of::<T>() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| T::from_f64(f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes")))))
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| T::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
            .collect(),
    }
}

/// Saves every parameter of `model` to `path` as safetensors (names as keys, the
/// model's element type as dtype, row-major data). The file loads in Python with
/// `safetensors.numpy.load_file` (or `safetensors.torch.load_file`).
///
/// The write is atomic: the bytes go to a temporary file beside `path`, which is flushed,
/// synced and then renamed over `path`. A crash mid-save leaves the old file intact.
///
/// # Errors
/// [`NnError::Io`] naming the path if the file cannot be written or renamed.
///
/// # Panics
/// Never in practice: each tensor's bytes are built from its own parameter, so the
/// shape and the byte count always agree.
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
    let path = path.as_ref();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    model.visit_params(&mut |name, param| {
        tensors.push((name.to_string(), param.shape().to_vec(), to_bytes(param.iter().copied())));
    });
    let views = tensors.iter().map(|(name, shape, bytes)| {
        let view = TensorView::new(dtype_of::<T>(), shape.clone(), bytes).expect("shape and bytes agree");
        (name.clone(), view)
    });
    let metadata = HashMap::from([("format".to_string(), "tapegrad".to_string())]);
    let bytes = safetensors::serialize(views, Some(metadata))
        .map_err(|e| NnError::CorruptWeights { path: path.to_path_buf(), reason: e.to_string() })?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), NnError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| NnError::Io { action, path, source }
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temporary).map_err(io("create", &temporary))?;
        file.write_all(bytes).map_err(io("write", &temporary))?;
        file.sync_all().map_err(io("sync", &temporary))?;
        fs::rename(&temporary, path).map_err(io("rename into", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
        return result;
    }
    // Make the rename itself durable (best effort: not every platform syncs directories).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Loads parameters saved by [`save_weights`] (or any safetensors file with the same
/// names, shapes and dtype) into `model`.
///
/// Everything is checked before anything changes: a missing or unexpected name, a wrong
/// shape and a wrong dtype are all collected into one [`NnError::WeightsMismatch`]
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
/// assert!(err.to_string().starts_with("cannot read weights from "));
/// ```
pub fn load_weights<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), NnError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| NnError::Io {
        action: "read weights from",
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |reason: String| NnError::CorruptWeights { path: path.to_path_buf(), reason };
    check_layout(&bytes).map_err(corrupt)?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| corrupt(e.to_string()))?;

    let mut found: BTreeMap<String, TensorView<'_>> = file.tensors().into_iter().collect();
    let mut problems = Vec::new();
    let mut values: Vec<Option<Vec<T>>> = Vec::new();
    model.visit_params(&mut |name, param| {
        let Some(tensor) = found.remove(name) else {
            problems.push(format!("`{name}`: missing from the file (model shape {:?})", param.shape()));
            values.push(None);
            return;
        };
        let mut fits = true;
        if tensor.dtype() != dtype_of::<T>() {
            problems.push(format!(
                "`{name}`: expected dtype {:?}, file has {:?}",
                dtype_of::<T>(),
                tensor.dtype()
            ));
            fits = false;
        }
        if tensor.shape() != param.shape() {
            problems.push(format!(
                "`{name}`: expected shape {:?}, file has {:?}",
                param.shape(),
                tensor.shape()
            ));
            fits = false;
        }
        values.push(fits.then(|| from_bytes(tensor.data())));
    });
    for (name, tensor) in &found {
        problems.push(format!("`{name}`: in the file (shape {:?}) but not in the model", tensor.shape()));
    }
    if !problems.is_empty() {
        return Err(NnError::WeightsMismatch { path: path.to_path_buf(), problems });
    }
    let mut values = values.into_iter();
    model.visit_params_mut(&mut |_, mut param| {
        let data = values.next().flatten().expect("validated above");
        for (slot, value) in param.iter_mut().zip(data) {
            *slot = value;
        }
    });
    Ok(())
}

/// Checks the framing safetensors promises — an 8-byte little-endian header length,
/// the header, then exactly the data the header describes — and says where it breaks.
fn check_layout(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 8 {
        return Err(format!(
            "truncated at byte {}: the file must start with an 8-byte header length",
            bytes.len()
        ));
    }
    let header = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let available = (bytes.len() - 8) as u64;
    if header > available {
        return Err(format!(
            "truncated: the header length at offset 0 says {header} bytes, but only {available} follow it"
        ));
    }
    let data_start = 8 + header as usize;
    let json: serde_json::Value = std::str::from_utf8(&bytes[8..data_start])
        .ok()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| format!("bad header at offset 8: {header} bytes that are not a JSON object"))?;
    let data_end = json
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, info)| info.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    let data_len = (bytes.len() - data_start) as u64;
    if data_end != data_len {
        return Err(format!(
            "the header describes {data_end} bytes of tensor data from offset {data_start}, \
             but the file has {data_len} (total {} bytes){}",
            bytes.len(),
            if data_end > data_len { ": truncated" } else { "" }
        ));
    }
    SafeTensors::read_metadata(bytes).map_err(|e| format!("bad header at offset 8: {e}"))?;
    Ok(())
}
