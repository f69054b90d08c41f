//! The IDX format of MNIST and its kin: big-endian headers, then unsigned bytes; labels in
//! idx1 files, images in idx3 files, either of them optionally gzip-compressed.

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

use std::path::Path;

use ndarray::{Array2, Array3};
use tapegrad_tape::{checked_size, Float};

use crate::gzip::{read_maybe_gzip, Contents};
use crate::{DataError, Dataset, IdxProblem};

/// The magic number of an idx1 file of unsigned bytes (labels): type 0x08, one dimension.
const LABELS_MAGIC: u32 = 0x0000_0801;
/// The magic number of an idx3 file of unsigned bytes (images): type 0x08, three dimensions.
const IMAGES_MAGIC: u32 = 0x0000_0803;

/// The length of the header of an IDX file with magic number `magic`: the magic number
/// and one 4-byte size per dimension (the magic's last byte).
#[allow(clippy::arithmetic_side_effects)] // at most 4 + 4 · 255
const fn header_len(magic: u32) -> usize {
    4 + 4 * (magic & 0xff) as usize
}

/// The dimensions an IDX header declares, if the bytes hold the whole header of an IDX
/// file with magic number `magic`.
fn header_dimensions(bytes: &[u8], magic: u32) -> Option<Vec<u64>> {
    let header = bytes.get(..header_len(magic))?;
    let (found, sizes) = header.split_first_chunk::<4>()?;
    let words = sizes.chunks_exact(4).map(|c| c.iter().fold(0u64, |word, &b| (word << 8) | u64::from(b)));
    (u32::from_be_bytes(*found) == magic).then(|| words.collect())
}

/// The declared dimensions as sizes, and the number of data bytes they describe, if an
/// array of that shape can exist (`checked_size`).
fn data_size(declared: &[u64]) -> Option<(Vec<usize>, u64)> {
    let dimensions: Vec<usize> = declared.iter().map(|&d| usize::try_from(d).ok()).collect::<Option<_>>()?;
    let size = checked_size(&dimensions)?;
    Some((dimensions, size as u64))
}

/// How much of a gzip-compressed IDX file to decompress: the length its header declares
/// (plus the one byte that shows trailing data), or just the header when it is wrong or
/// declares an impossible size, so that `parse` can say so. Never more.
fn limit(magic: u32) -> impl Fn(&[u8]) -> Option<u64> {
    move |prefix| {
        let found = prefix.first_chunk::<4>()?;
        if *found != magic.to_be_bytes() {
            return Some(4);
        }
        let data = data_size(&header_dimensions(prefix, magic)?).map_or(0, |(_, data)| data);
        Some((header_len(magic) as u64).saturating_add(data))
    }
}

/// Checks an IDX file's framing against the magic number `magic` (whose last byte is the
/// number of dimensions) and returns its dimensions and data. Every length is checked
/// before it is used — the product of the dimensions too — so a damaged file is an error,
/// never a panic.
fn parse<'a>(
    path: &Path,
    contents: &'a Contents,
    magic: u32,
    describe_data: impl Fn(&[usize]) -> String,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let bytes = contents.bytes.as_slice();
    let actual = bytes.len() as u64;
    let fail = |problem| DataError::Idx { path: path.to_path_buf(), problem };
    let truncated = |what: String, offset: u64, expected: u64| {
        fail(IdxProblem::Truncated { what, offset, expected, actual, decompressed: contents.decompressed })
    };

    let Some(first) = bytes.first_chunk::<4>() else {
        return Err(truncated("the 4-byte magic number".to_string(), 0, 4));
    };
    let found = u32::from_be_bytes(*first);
    if found != magic {
        return Err(fail(IdxProblem::BadMagic { expected: magic, found }));
    }
    let (rank, header) = (magic & 0xff, header_len(magic));
    let Some(declared) = header_dimensions(bytes, magic) else {
        // The first dimension whose 4 bytes are not all there (the file is shorter than
        // the header, so this is below 255).
        let axis = (actual.saturating_sub(4) / 4) as u32;
        let what = format!("the size of dimension {} of {rank} (4 bytes)", axis.saturating_add(1));
        let offset = 4u64.saturating_add(4 * u64::from(axis));
        return Err(truncated(what, offset, offset.saturating_add(4)));
    };
    let Some((dimensions, data)) = data_size(&declared) else {
        return Err(fail(IdxProblem::TooLarge { dimensions: declared }));
    };
    let expected = (header as u64).saturating_add(data);
    if actual < expected {
        return Err(truncated(describe_data(&dimensions), header as u64, expected));
    }
    if actual > expected {
        return Err(fail(IdxProblem::TrailingBytes {
            expected,
            actual: (!contents.cut).then_some(actual),
            decompressed: contents.decompressed,
        }));
    }
    Ok((dimensions, bytes.get(header..).unwrap_or_default()))
}

/// Reads an idx1 file of labels (unsigned bytes, magic number `0x00000801`), plain or
/// gzip-compressed (recognised by its first two bytes).
///
/// # Errors
/// [`DataError::Io`] if it cannot be read, [`DataError::Gzip`] if its compressed data is
/// damaged, and [`DataError::Idx`] if the magic number is wrong, or the file is shorter
/// or longer than its header says (naming the offsets and byte counts).
///
/// ```
/// let path = std::env::temp_dir().join("tapegrad-doc-labels-idx1-ubyte");
/// // Magic number, the count (3), then one byte per label.
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])?;
/// assert_eq!(tapegrad_data::read_idx_labels(&path)?, vec![7, 2, 1]);
///
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 2])?; // a byte short
/// let err = tapegrad_data::read_idx_labels(&path).unwrap_err();
/// assert!(err.to_string().ends_with(
///     "truncated at offset 10: reading the 3 labels at offset 8 needs the file to have 11 bytes, but it has 10"
/// ), "{err}");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<usize>, DataError> {
    let path = path.as_ref();
    let contents = read_maybe_gzip(path, &limit(LABELS_MAGIC))?;
    let describe = |dims: &[usize]| format!("the {} labels", dims.first().copied().unwrap_or_default());
    let (_, data) = parse(path, &contents, LABELS_MAGIC, describe)?;
    Ok(data.iter().map(|&label| usize::from(label)).collect())
}

/// Reads an idx3 file of images (unsigned bytes, magic number `0x00000803`), plain or
/// gzip-compressed, as `[images, rows, columns]` with each pixel scaled from 0..=255 to
/// [0, 1] as `pixel / 255` (0 → 0.0 and 255 → 1.0 exactly).
///
/// # Errors
/// As [`read_idx_labels`].
///
/// ```
/// let path = std::env::temp_dir().join("tapegrad-doc-images-idx3-ubyte");
/// // Magic number, then 1 image of 2 × 2 pixels.
/// std::fs::write(&path, [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 51, 255, 0])?;
/// let images = tapegrad_data::read_idx_images::<f32>(&path)?;
/// assert_eq!(images, ndarray::array![[[0.0, 0.2], [1.0, 0.0]]]);
///
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 0])?; // a label file
/// let err = tapegrad_data::read_idx_images::<f32>(&path).unwrap_err();
/// assert!(err.to_string().ends_with(
///     "expected the magic number 0x00000803 (idx3, unsigned bytes) at offset 0, \
///      found 0x00000801 (idx1, unsigned bytes)"
/// ), "{err}");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_idx_images<T: Float>(path: impl AsRef<Path>) -> Result<Array3<T>, DataError> {
    let path = path.as_ref();
    let contents = read_maybe_gzip(path, &limit(IMAGES_MAGIC))?;
    let describe = |dims: &[usize]| match dims {
        [count, rows, columns] => format!("the pixels of {count} images of {rows}×{columns}"),
        _ => "the pixels".to_string(),
    };
    let (dims, data) = parse(path, &contents, IMAGES_MAGIC, describe)?;
    let too_large = || DataError::Idx {
        path: path.to_path_buf(),
        problem: IdxProblem::TooLarge { dimensions: dims.iter().map(|&d| d as u64).collect() },
    };
    // `parse` returns as many dimensions as the magic number declares: three.
    let [count, rows, columns] = <[usize; 3]>::try_from(dims.as_slice()).map_err(|_| too_large())?;
    let scaled: Vec<T> = (0..=255u8).map(|pixel| T::from_f64(f64::from(pixel) / 255.0)).collect();
    let pixels =
        data.iter().map(|&pixel| scaled.get(usize::from(pixel)).copied().unwrap_or_else(T::zero)).collect();
    Array3::from_shape_vec((count, rows, columns), pixels).map_err(|_| too_large())
}

/// Reads an idx3 image file and an idx1 label file into a [`Dataset`] with one row of
/// `rows · columns` pixels (row by row, scaled to [0, 1] as in [`read_idx_images`]) per
/// image.
///
/// # Errors
/// As [`read_idx_labels`] for either file, and [`DataError::ImageLabelMismatch`] if
/// they hold different numbers of samples.
///
/// ```
/// let dir = std::env::temp_dir();
/// let (images, labels) = (dir.join("tapegrad-doc-2-idx3-ubyte"), dir.join("tapegrad-doc-2-idx1-ubyte"));
/// std::fs::write(&images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 255, 0, 0, 255])?;
/// std::fs::write(&labels, [0, 0, 8, 1, 0, 0, 0, 2, 1, 0])?;
/// let data = tapegrad_data::load_idx::<f32>(&images, &labels)?;
/// assert_eq!(data.features(), &ndarray::array![[1.0, 0.0], [0.0, 1.0]]);
/// assert_eq!(data.labels(), &[1, 0]);
///
/// std::fs::write(&labels, [0, 0, 8, 1, 0, 0, 0, 1, 1])?;
/// let err = tapegrad_data::load_idx::<f32>(&images, &labels).unwrap_err();
/// let expected = format!("2 images in {} but 1 labels in {}: expected one label per image",
///     images.display(), labels.display());
/// assert_eq!(err.to_string(), expected);
/// # std::fs::remove_file(&images)?;
/// # std::fs::remove_file(&labels)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_idx<T: Float>(
    images_path: impl AsRef<Path>,
    labels_path: impl AsRef<Path>,
) -> Result<Dataset<T>, DataError> {
    let (images_path, labels_path) = (images_path.as_ref(), labels_path.as_ref());
    let images = read_idx_images::<T>(images_path)?;
    let labels = read_idx_labels(labels_path)?;
    let (count, rows, columns) = images.dim();
    if count != labels.len() {
        return Err(DataError::ImageLabelMismatch {
            images_path: images_path.to_path_buf(),
            images: count,
            labels_path: labels_path.to_path_buf(),
            labels: labels.len(),
        });
    }
    // `rows · columns` cannot overflow: the header's product was checked when it was read.
    let pixels = rows.saturating_mul(columns);
    let flat: Array2<T> = images.into_shape_with_order((count, pixels)).map_err(|_| DataError::Idx {
        path: images_path.to_path_buf(),
        problem: IdxProblem::TooLarge { dimensions: vec![count as u64, rows as u64, columns as u64] },
    })?;
    Dataset::new(flat, labels)
}
