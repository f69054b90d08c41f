//! Named arrays in a safetensors file: written atomically, read with the file's framing
//! checked so that a damaged file is an error naming the offset, never a panic. Model
//! weights (`tapegrad_nn::save_weights`) and optimizer state (`tapegrad_optim::save_state`)
//! are both stored this way; it lives here, in the crate both build on.

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
use std::fs;
use std::path::Path;

use crate::{checked_size, Float, FloatKind};
use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::FileError;

/// One tensor read from a file: its shape and dtype as stored, and its values when the
/// dtype is the element type asked for.
///
/// ```
/// use std::collections::BTreeMap;
/// let path = std::env::temp_dir().join("tapegrad-doc-stored.safetensors");
/// let a = ndarray::array![1.0f64, 2.0].into_dyn();
/// tapegrad_tape::write_tensors(&path, [("a".to_string(), a.view())], BTreeMap::new()).unwrap();
/// let (tensors, _) = tapegrad_tape::read_tensors::<f32>(&path).unwrap(); // ask for f32
/// let stored = &tensors["a"];
/// assert_eq!((stored.shape.as_slice(), stored.dtype.as_str()), (&[2][..], "F64"));
/// assert!(stored.values.is_none()); // an f64 tensor read as f32: reported, not converted
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTensor<T> {
    /// The shape in the file.
    pub shape: Vec<usize>,
    /// The dtype in the file, as safetensors names it (`"F32"`, `"F64"`, `"I64"`, …).
    pub dtype: String,
    /// The values, if `dtype` matches the requested element type; `None` otherwise.
    pub values: Option<ArrayD<T>>,
}

/// The safetensors dtype of the element type `T`.
pub(crate) fn dtype_of<T: Float>() -> Dtype {
    match T::KIND {
        FloatKind::F32 => Dtype::F32,
        FloatKind::F64 => Dtype::F64,
    }
}

/// `"F32"` or `"F64"`: how safetensors names `T` (and how [`StoredTensor::dtype`] names
/// the dtype it found, to compare).
///
/// ```
/// assert_eq!(tapegrad_tape::dtype_name::<f32>(), "F32");
/// ```
pub fn dtype_name<T: Float>() -> String {
    format!("{:?}", dtype_of::<T>())
}

fn to_bytes<T: Float>(values: impl Iterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in values {
        match T::KIND {
            FloatKind::F32 => bytes.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
            FloatKind::F64 => bytes.extend_from_slice(&v.to_f64().to_le_bytes()),
        }
    }
    bytes
}

fn from_bytes<T: Float>(bytes: &[u8]) -> Vec<T> {
    match T::KIND {
        FloatKind::F32 => bytes
            .chunks_exact(4)
            .filter_map(|c| c.first_chunk::<4>().map(|b| T::from_f64(f64::from(f32::from_le_bytes(*b)))))
            .collect(),
        FloatKind::F64 => bytes
            .chunks_exact(8)
            .filter_map(|c| c.first_chunk::<8>().map(|b| T::from_f64(f64::from_le_bytes(*b))))
            .collect(),
    }
}

/// Writes named arrays (row-major, `T`'s dtype) and string metadata to `path` as
/// safetensors, atomically: a crash, a kill or a second writer never leaves a broken file
/// where a good one was (see [`write_atomically`](crate::write_atomically) for the policy
/// on symlinks, permissions and read-only files).
///
/// # Errors
/// [`FileError::Io`] naming the path if it cannot be written or renamed;
/// [`FileError::Corrupt`] if two tensors share a name.
///
/// ```
/// use std::collections::BTreeMap;
/// use tapegrad_tape::{read_tensors, write_tensors};
/// let path = std::env::temp_dir().join("tapegrad-doc-tensors.safetensors");
/// let a = ndarray::array![[1.0f32, 2.0]].into_dyn();
/// let meta = BTreeMap::from([("note".to_string(), "hello".to_string())]);
/// write_tensors(&path, [("a".to_string(), a.view())], meta.clone()).unwrap();
/// let (tensors, metadata) = read_tensors::<f32>(&path).unwrap();
/// assert_eq!(tensors["a"].values.as_ref().unwrap(), &a);
/// assert_eq!(metadata["note"], "hello");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_tensors<'a, T: Float>(
    path: impl AsRef<Path>,
    tensors: impl IntoIterator<Item = (String, ArrayViewD<'a, T>)>,
    metadata: BTreeMap<String, String>,
) -> Result<(), FileError> {
    let path = path.as_ref();
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, array)| {
            let bytes = to_bytes(array.iter().copied());
            (name, array.shape().to_vec(), bytes)
        })
        .collect();
    let mut names = std::collections::BTreeSet::new();
    if let Some((name, _, _)) = tensors.iter().find(|(name, _, _)| !names.insert(name.as_str())) {
        return Err(FileError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("two tensors are named `{name}`; each name must be unique"),
        });
    }
    let corrupt = |e: safetensors::SafeTensorError| FileError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // Each tensor's bytes are built from its own array, so its view cannot be refused.
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            Ok((name.clone(), TensorView::new(dtype_of::<T>(), shape.clone(), bytes)?))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    let bytes = safetensors::serialize(views, Some(metadata.into_iter().collect())).map_err(corrupt)?;
    crate::write_atomically(path, &bytes)
}

/// [`write_tensors`], after checking that every value is finite: what model weights and
/// optimizer state are saved with, since their loaders refuse a NaN or an infinity (a
/// file that could never be loaded again is not written, and the old one stays).
///
/// # Errors
/// [`FileError::NotFinite`] naming the first tensor and element that is not finite (the
/// file untouched); otherwise as [`write_tensors`].
///
/// ```
/// use std::collections::BTreeMap;
/// use tapegrad_tape::{write_finite_tensors, FileError};
/// let path = std::env::temp_dir().join("tapegrad-doc-finite.safetensors");
/// let w = ndarray::array![[1.0f32, f32::NAN]].into_dyn();
/// let err = write_finite_tensors(&path, [("w".to_string(), w.view())], BTreeMap::new()).unwrap_err();
/// assert!(matches!(&err, FileError::NotFinite { tensor, index, .. } if tensor == "w" && index == &[0, 1]));
/// assert!(!path.exists());
/// ```
pub fn write_finite_tensors<'a, T: Float>(
    path: impl AsRef<Path>,
    tensors: impl IntoIterator<Item = (String, ArrayViewD<'a, T>)>,
    metadata: BTreeMap<String, String>,
) -> Result<(), FileError> {
    let path = path.as_ref();
    let tensors: Vec<(String, ArrayViewD<'a, T>)> = tensors.into_iter().collect();
    for (name, array) in &tensors {
        if let Some((index, value)) = array.indexed_iter().find(|(_, value)| !value.is_finite()) {
            return Err(FileError::NotFinite {
                path: path.to_path_buf(),
                tensor: name.clone(),
                index: index.slice().to_vec(),
                value: Float::to_f64(*value),
            });
        }
    }
    write_tensors(path, tensors, metadata)
}

/// Reads a whole file, refusing anything but a regular file: a device or a pipe
/// (`/dev/zero`, a FIFO) never ends, and reading it would grow a buffer until the
/// allocation fails. No more than the size the file had when opened is read, and a size
/// that cannot be allocated is an error, not an abort. Every tapegrad loader reads
/// through it.
///
/// # Errors
/// [`FileError::Io`] naming the path: it cannot be opened or read, is not a regular
/// file, or is larger than memory allows.
///
/// ```
/// # #[cfg(unix)] {
/// let err = tapegrad_tape::read_regular_file("/dev/zero").unwrap_err();
/// assert!(err.to_string().contains("not a regular file"), "{err}");
/// # }
/// ```
pub fn read_regular_file(path: impl AsRef<Path>) -> Result<Vec<u8>, FileError> {
    let path = path.as_ref();
    use std::io::Read;
    let io = |source| FileError::Io { action: "read", path: path.to_path_buf(), source };
    let file = fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a directory, device or pipe)",
        )));
    }
    let size = metadata.len();
    let too_big = || {
        io(std::io::Error::new(std::io::ErrorKind::OutOfMemory, format!("{size} bytes do not fit in memory")))
    };
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(usize::try_from(size).map_err(|_| too_big())?).map_err(|_| too_big())?;
    file.take(size).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Reads every tensor and the string metadata of a safetensors file. Tensors of
/// `T`'s dtype come with their values; others with only their dtype and shape, so the
/// caller can report a mismatch.
///
/// # Errors
/// [`FileError::Io`] if the file cannot be read; [`FileError::Corrupt`] if it is
/// truncated or malformed, saying what is wrong at which offset.
///
/// ```
/// let path = std::env::temp_dir().join("tapegrad-doc-garbage.safetensors");
/// std::fs::write(&path, b"not a safetensors file").unwrap();
/// let err = tapegrad_tape::read_tensors::<f32>(&path).unwrap_err();
/// assert!(err.to_string().contains("not a valid safetensors file"), "{err}");
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[allow(clippy::type_complexity)]
pub fn read_tensors<T: Float>(
    path: impl AsRef<Path>,
) -> Result<(BTreeMap<String, StoredTensor<T>>, BTreeMap<String, String>), FileError> {
    let path = path.as_ref();
    let bytes = read_regular_file(path)?;
    let corrupt = |reason: String| FileError::Corrupt { path: path.to_path_buf(), reason };
    check_layout(&bytes).map_err(corrupt)?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default().into_iter().collect();
    let tensors = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = if view.dtype() == dtype_of::<T>() {
                let values = ArrayD::from_shape_vec(IxDyn(view.shape()), from_bytes(view.data()));
                Some(values.map_err(|e| corrupt(format!("tensor `{name}`: {e}")))?)
            } else {
                None
            };
            let stored =
                StoredTensor { shape: view.shape().to_vec(), dtype: format!("{:?}", view.dtype()), values };
            Ok((name, stored))
        })
        .collect::<Result<_, FileError>>()?;
    Ok((tensors, metadata))
}

/// Checks the framing safetensors promises — an 8-byte little-endian header length, a
/// JSON header, then exactly the data the header describes — and says where it breaks.
fn check_layout(bytes: &[u8]) -> Result<(), String> {
    let Some((length, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(format!(
            "truncated at byte {}: the file must start with an 8-byte header length",
            bytes.len()
        ));
    };
    let header = u64::from_le_bytes(*length);
    let available = rest.len() as u64;
    let Some((json, data)) = usize::try_from(header).ok().and_then(|header| rest.split_at_checked(header))
    else {
        return Err(format!(
            "truncated: the header length at offset 0 says {header} bytes, but only {available} follow it"
        ));
    };
    let data_start = bytes.len().saturating_sub(data.len());
    let json: serde_json::Value = std::str::from_utf8(json)
        .ok()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| format!("bad header at offset 8: {header} bytes that are not a JSON object"))?;
    // Every declared shape must describe an array that can exist, before safetensors
    // multiplies its sizes (which overflows on hostile shapes).
    for (name, info) in json.as_object().into_iter().flatten() {
        let Some(shape) = info.get("shape").and_then(|shape| shape.as_array()) else { continue };
        let sizes: Option<Vec<usize>> =
            shape.iter().map(|size| size.as_u64().and_then(|size| usize::try_from(size).ok())).collect();
        // Sizes that are not whole numbers are left to safetensors, which reports them.
        let Some(sizes) = sizes else { continue };
        // At most 8 bytes an element (F64, I64): the byte count must fit as well.
        if checked_size(&sizes).and_then(|elements| elements.checked_mul(8)).is_none() {
            return Err(format!(
                "bad header at offset 8: tensor `{name}` has shape {sizes:?}, more elements than any \
                 array can hold"
            ));
        }
    }
    let data_end = json
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, info)| info.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    let data_len = data.len() as u64;
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
