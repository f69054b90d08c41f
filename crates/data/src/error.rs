//! The error type of the data crate: mismatched shapes, bad arguments, and bad files
//! named by path, line, column or byte offset.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::CsvProblem;

/// What went wrong, worded so that the printed message alone finds the problem.
///
/// ```
/// use tapegrad_data::DataError;
/// let err = DataError::SampleCountMismatch { features: 150, targets: 149 };
/// assert_eq!(
///     err.to_string(),
///     "features and targets disagree: expected 150 targets (one per row of features), got 149"
/// );
/// ```
#[derive(Debug, Error)]
pub enum DataError {
    /// Features and targets do not have the same number of samples.
    #[error(
        "features and targets disagree: expected {features} targets (one per row of features), got {targets}"
    )]
    SampleCountMismatch {
        /// Rows of the feature matrix.
        features: usize,
        /// Targets given.
        targets: usize,
    },
    /// An array does not have the number of features (columns) that was expected.
    #[error("{context}: expected {expected} features (columns), got {actual}")]
    FeatureCountMismatch {
        /// Who expected it (`"Standardizer::transform"`).
        context: &'static str,
        /// The number expected.
        expected: usize,
        /// The number given.
        actual: usize,
    },
    /// An argument is out of its range, or the data cannot satisfy the request.
    #[error("{context}: {reason}")]
    InvalidArgument {
        /// The operation (`"Dataset::split"`).
        context: &'static str,
        /// What is wrong, with the values involved.
        reason: String,
    },
    /// A class label is not below the number of classes.
    #[error("label {label} at position {position} is out of range: expected a class below {num_classes}")]
    LabelOutOfRange {
        /// Where the label is in the list.
        position: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        num_classes: usize,
    },
    /// A file or directory could not be opened or read.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`"read"`, `"list the directory"`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file starts like gzip but its compressed data is damaged or cut short.
    #[error("{}: corrupt or truncated gzip data after {decompressed} decompressed bytes: {source}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// How many bytes were decompressed before the damage.
        decompressed: usize,
        /// The decompressor's error.
        source: std::io::Error,
    },
    /// A gzip-compressed CSV file decompresses to more than the limit.
    #[error(
        "{}: gzip data that decompresses to more than {limit} bytes (the most a CSV file may \
         decompress to; decompress it yourself to read it whole)",
        path.display()
    )]
    DecompressedTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A line of a CSV file that cannot be read, naming its line and column.
    #[error("{}, line {line}{}: {problem}", path.display(), column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Csv {
        /// The file (or the name given for a reader).
        path: PathBuf,
        /// The line, counting from 1 (the header, if any, is line 1).
        line: usize,
        /// The column (field), counting from 1, where the problem is in one field.
        column: Option<usize>,
        /// What is wrong.
        problem: CsvProblem,
    },
    /// A data file has no data rows.
    #[error("{}: no data rows ({})", path.display(), if *header_only { "only a header" } else { "the file is empty" })]
    NoRows {
        /// The file.
        path: PathBuf,
        /// Whether the file had a header and nothing after it.
        header_only: bool,
    },
    /// Every data row of a CSV file has a missing value in a column that is used, so
    /// none is left once they are dropped.
    #[error(
        "{}: all {dropped} data rows have a missing value in a column that is used (the first on line {first_line}); \
         choose fewer columns, or fill the gaps before loading",
        path.display()
    )]
    AllRowsMissing {
        /// The file.
        path: PathBuf,
        /// How many rows were dropped.
        dropped: usize,
        /// The first dropped row's line.
        first_line: usize,
    },
    /// An IDX file is malformed.
    #[error("{}: {problem}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        problem: IdxProblem,
    },
    /// An IDX image file and label file hold different numbers of samples.
    #[error(
        "{images} images in {} but {labels} labels in {}: expected one label per image",
        images_path.display(),
        labels_path.display()
    )]
    ImageLabelMismatch {
        /// The image file.
        images_path: PathBuf,
        /// The number of images it holds.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// The number of labels it holds.
        labels: usize,
    },
    /// A directory lacks some of the four MNIST files.
    #[error(
        "{}: missing the MNIST file(s) {}. The directory needs all four: {} \
         (each may be gzip-compressed with a .gz suffix, or named with a '.' before idx, as in train-images.idx3-ubyte)",
        directory.display(),
        missing.join(", "),
        crate::mnist::MNIST_FILES.join(", ")
    )]
    MissingMnistFiles {
        /// The directory searched.
        directory: PathBuf,
        /// The standard names of the files not found (`t10k-labels-idx1-ubyte`).
        missing: Vec<String>,
    },
}

/// What is wrong with an IDX file (the file is named in [`DataError::Idx`]). Offsets
/// count bytes from the start of the file, after decompression for a gzip file.
///
/// ```
/// use tapegrad_data::IdxProblem;
/// let problem = IdxProblem::BadMagic { expected: 0x0803, found: 0x0801 };
/// assert_eq!(
///     problem.to_string(),
///     "expected the magic number 0x00000803 (idx3, unsigned bytes) at offset 0, \
///      found 0x00000801 (idx1, unsigned bytes)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdxProblem {
    /// The first four bytes are not the expected magic number.
    BadMagic {
        /// The magic number expected (`0x00000801` for labels, `0x00000803` for images).
        expected: u32,
        /// The first four bytes, big-endian.
        found: u32,
    },
    /// The file ends before a part it must contain.
    Truncated {
        /// The part (`"dimension 2 of 3"`, `"the pixels of 2 images of 28×28"`).
        what: String,
        /// Where that part starts.
        offset: u64,
        /// The length the file needs.
        expected: u64,
        /// The length it has.
        actual: u64,
        /// Whether the lengths and offsets are those of the decompressed contents of a
        /// gzip file.
        decompressed: bool,
    },
    /// The file goes on after the data its header describes.
    TrailingBytes {
        /// The length the header describes.
        expected: u64,
        /// The length it has; `None` for a gzip file, whose decompression stops at the
        /// first byte past `expected` (a small file must not inflate without bound).
        actual: Option<u64>,
        /// Whether the lengths are those of the decompressed contents of a gzip file.
        decompressed: bool,
    },
    /// The header declares dimensions no array can have: the product of the non-zero
    /// sizes does not fit in memory's address range (`isize::MAX` elements).
    TooLarge {
        /// The dimensions, as declared.
        dimensions: Vec<u64>,
    },
}

/// `"the file"`, or `"the decompressed file"` for the contents of a gzip file.
fn the_file(decompressed: bool) -> &'static str {
    if decompressed {
        "the decompressed file"
    } else {
        "the file"
    }
}

/// `0x00000803` → `"idx3, unsigned bytes"`; anything not an IDX magic → `"not an IDX file"`.
fn describe_magic(magic: u32) -> String {
    let [zero_a, zero_b, type_code, dimensions] = magic.to_be_bytes();
    let element = match type_code {
        0x08 => "unsigned bytes",
        0x09 => "signed bytes",
        0x0B => "16-bit integers",
        0x0C => "32-bit integers",
        0x0D => "32-bit floats",
        0x0E => "64-bit floats",
        _ => return "not an IDX file".to_string(),
    };
    if zero_a != 0 || zero_b != 0 {
        return "not an IDX file".to_string();
    }
    format!("idx{dimensions}, {element}")
}

impl fmt::Display for IdxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic { expected, found } => write!(
                f,
                "expected the magic number {expected:#010x} ({}) at offset 0, found {found:#010x} ({})",
                describe_magic(*expected),
                describe_magic(*found)
            ),
            Self::Truncated { what, offset, expected, actual, decompressed } => write!(
                f,
                "truncated at offset {actual}: reading {what} at offset {offset} needs {} to have \
                 {expected} bytes, but it has {actual}",
                the_file(*decompressed)
            ),
            Self::TrailingBytes { expected, actual: Some(actual), decompressed } => write!(
                f,
                "{} has {actual} bytes, but its header describes {expected}: \
                 {} unexpected bytes from offset {expected}",
                the_file(*decompressed),
                actual.saturating_sub(*expected)
            ),
            Self::TrailingBytes { expected, actual: None, decompressed } => write!(
                f,
                "{} goes on past the {expected} bytes its header describes \
                 (decompression stopped at offset {expected})",
                the_file(*decompressed),
            ),
            Self::TooLarge { dimensions } => write!(
                f,
                "the header declares dimensions {dimensions:?} at offset 4: no array can have \
                 that many elements"
            ),
        }
    }
}
