//! A loader for plain numeric CSV tables with a class-label column, optionally
//! gzip-compressed: every bad line is an error naming the file, line and column.

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

use std::io::Read;
use std::path::Path;

use ndarray::Array2;
use tapegrad_tape::Float;

use crate::gzip::{decompress_if_gzip, read_maybe_gzip, Contents};

/// The most a gzip-compressed CSV file may decompress to: 1 GiB (scikit-learn's largest
/// bundled table is under 1 MiB; a deflate stream can inflate 1,000-fold, so a small
/// hostile file could otherwise claim any amount of memory). A plain file is read at any
/// size.
///
/// ```
/// assert_eq!(tapegrad_data::MAX_CSV_DECOMPRESSED, 1 << 30);
/// ```
pub const MAX_CSV_DECOMPRESSED: u64 = 1 << 30;
use crate::{CsvProblem, DataError, Dataset, MAX_CLASSES};

/// How to read a numeric CSV file into a [`Dataset`] of features and class labels.
///
/// The format is plain: fields separated by commas, each a number with optional spaces or
/// tabs around it (no quoting); one row per line (`\n` or `\r\n`); an optional header line,
/// whose fields are not read. One column holds the class label, a non-negative integer
/// (`3`, or `3.0`); every other column is a feature. By default there is no header and the
/// label is the last column, which fits scikit-learn's `digits.csv.gz`.
///
/// Nothing is skipped silently: a field that is not a number (or is NaN or infinite), an
/// empty field, a row with a different number of fields from the first, a blank line
/// before more rows, or no rows at all are errors naming the file, the line (from 1, the
/// header included) and the column (from 1). Blank lines at the end of the file are
/// ignored. Gzip-compressed files are recognised by their first two bytes, whatever their
/// name.
///
/// ```
/// use tapegrad_data::{CsvOptions, Dataset};
///
/// let path = std::env::temp_dir().join("tapegrad-doc-iris.csv");
/// std::fs::write(&path, "sepal_length, sepal_width, species\n5.1, 3.5, 0\n7.0, 3.2, 1\n")?;
/// let data: Dataset<f32> = CsvOptions::new().header(true).load(&path)?;
/// assert_eq!(data.features(), &ndarray::array![[5.1f32, 3.5], [7.0, 3.2]]);
/// assert_eq!(data.labels(), &[0, 1]);
///
/// std::fs::write(&path, "5.1,3.5,0\n7.0,3.2\n")?;
/// let err = CsvOptions::new().load::<f32>(&path).unwrap_err();
/// assert!(err.to_string().ends_with("tapegrad-doc-iris.csv, line 2: expected 3 columns (as on line 1), found 2"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    header: bool,
    label_column: Option<usize>,
}

impl CsvOptions {
    /// The defaults: no header, label in the last column.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// assert_eq!(CsvOptions::new(), CsvOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the first line is a header, to be skipped (it still sets the number of
    /// columns). Off by default.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "x,label\n0.5,1\n";
    /// let data = CsvOptions::new().header(true).read::<f64>(text.as_bytes(), "table.csv")?;
    /// assert_eq!(data.len(), 1);
    /// let err = CsvOptions::new().read::<f64>(text.as_bytes(), "table.csv").unwrap_err();
    /// assert!(err.to_string().contains("if line 1 is a header"), "{err}");
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Which column holds the label, counting from 0. By default, the last.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let data = CsvOptions::new().label_column(0).read::<f32>("2, 0.5, 1.5\n".as_bytes(), "t.csv")?;
    /// assert_eq!((data.labels(), data.num_features()), (&[2][..], 2));
    /// let err = CsvOptions::new().label_column(3).read::<f32>("2, 0.5, 1.5\n".as_bytes(), "t.csv").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "t.csv, line 1: the label column (index 3, column 4) does not exist: the row has 3 columns"
    /// );
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn label_column(mut self, index: usize) -> Self {
        self.label_column = Some(index);
        self
    }

    /// Reads the file at `path` (plain or gzip-compressed CSV).
    ///
    /// # Errors
    /// [`DataError::Io`] if it cannot be read; [`DataError::Gzip`] if its compressed data
    /// is damaged; [`DataError::Csv`] naming the line and column of the first bad field or
    /// row; [`DataError::NoRows`] if it has no data rows.
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, Dataset};
    /// // The bundled UCI digits: 64 pixel counts and a label per row, gzip-compressed.
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv.gz");
    /// let digits: Dataset<f32> = CsvOptions::new().load(path)?;
    /// assert_eq!((digits.len(), digits.num_features(), digits.num_classes()), (1797, 64, 10));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn load<T: Float>(&self, path: impl AsRef<Path>) -> Result<Dataset<T>, DataError> {
        let path = path.as_ref();
        self.parse(path, read_maybe_gzip(path, &|_| Some(MAX_CSV_DECOMPRESSED))?)
    }

    /// Reads CSV text (plain or gzip-compressed) from `reader`; `name` stands for the file
    /// in error messages.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load), with [`DataError::Io`] if `reader` fails.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let err = CsvOptions::new().read::<f32>("1,2,0\n3,x,1\n".as_bytes(), "inline.csv").unwrap_err();
    /// assert_eq!(err.to_string(), "inline.csv, line 2, column 2: `x` is not a number");
    /// ```
    pub fn read<T: Float>(
        &self,
        mut reader: impl Read,
        name: impl AsRef<Path>,
    ) -> Result<Dataset<T>, DataError> {
        let path = name.as_ref();
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|source| DataError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        self.parse(path, decompress_if_gzip(path, bytes, &|_| Some(MAX_CSV_DECOMPRESSED))?)
    }

    fn parse<T: Float>(&self, path: &Path, contents: Contents) -> Result<Dataset<T>, DataError> {
        if contents.cut {
            return Err(DataError::DecompressedTooLarge {
                path: path.to_path_buf(),
                limit: MAX_CSV_DECOMPRESSED,
            });
        }
        let text = contents.bytes.as_slice();
        let error =
            |line, column, problem| DataError::Csv { path: path.to_path_buf(), line, column, problem };
        // The number of fields and the line it was first seen on.
        let mut width: Option<(usize, usize)> = None;
        let mut header_seen = false;
        let mut blank_line = None;
        let (mut values, mut labels) = (Vec::new(), Vec::new());
        for (index, raw) in text.split(|&byte| byte == b'\n').enumerate() {
            let line_number = index.saturating_add(1);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let line = std::str::from_utf8(raw).map_err(|_| error(line_number, None, CsvProblem::NotUtf8))?;
            let line = if index == 0 { line.trim_start_matches('\u{feff}') } else { line };
            if line.trim().is_empty() {
                blank_line.get_or_insert(line_number);
                continue;
            }
            if let Some(blank) = blank_line {
                return Err(error(blank, None, CsvProblem::BlankLine));
            }
            let columns = line.split(',').count();
            let (expected, first_line) = *width.get_or_insert((columns, line_number));
            if columns != expected {
                return Err(error(
                    line_number,
                    None,
                    CsvProblem::RaggedRow { expected, found: columns, first_line },
                ));
            }
            if columns < 2 {
                return Err(error(line_number, None, CsvProblem::NoFeatures { columns }));
            }
            let label_index = self.label_column.unwrap_or(columns.saturating_sub(1));
            if label_index >= columns {
                return Err(error(
                    line_number,
                    None,
                    CsvProblem::MissingLabelColumn { index: label_index, columns },
                ));
            }
            if self.header && !header_seen {
                header_seen = true;
                continue;
            }
            for (column, field) in line.split(',').enumerate() {
                let field = field.trim_matches([' ', '\t']);
                let problem = if column == label_index {
                    parse_label(field).map(|label| labels.push(label)).err()
                } else {
                    parse_number::<T>(field).map(|value| values.push(value)).err()
                };
                if let Some(problem) = problem {
                    let problem = match problem {
                        CsvProblem::NotANumber { text } | CsvProblem::NotALabel { text }
                            if line_number == 1 && text.chars().any(char::is_alphabetic) =>
                        {
                            CsvProblem::UnexpectedHeader { text }
                        }
                        other => other,
                    };
                    return Err(error(line_number, Some(column.saturating_add(1)), problem));
                }
            }
        }
        let Some((columns, _)) = width.filter(|_| !labels.is_empty()) else {
            return Err(DataError::NoRows { path: path.to_path_buf(), header_only: header_seen });
        };
        // Every row was checked to have `columns` fields, so this cannot fail.
        let features = Array2::from_shape_vec((labels.len(), columns.saturating_sub(1)), values)
            .map_err(|e| DataError::InvalidArgument { context: "CsvOptions::load", reason: e.to_string() })?;
        Dataset::new(features, labels)
    }
}

/// At most 40 characters of `text`, marked with `…` if cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A feature value: a finite number, parsed straight to `T` (so an f32 is rounded once).
fn parse_number<T: Float>(field: &str) -> Result<T, CsvProblem> {
    if field.is_empty() {
        return Err(CsvProblem::EmptyField);
    }
    let value = if T::NAME == "f32" { field.parse::<f32>().map(f64::from) } else { field.parse::<f64>() }
        .map_err(|_| CsvProblem::NotANumber { text: shorten(field) })?;
    if !value.is_finite() {
        return Err(CsvProblem::NotFinite { text: shorten(field) });
    }
    Ok(T::from_f64(value))
}

/// A class label: a non-negative integer below [`MAX_CLASSES`], written `3` or `3.0`.
fn parse_label(field: &str) -> Result<usize, CsvProblem> {
    if field.is_empty() {
        return Err(CsvProblem::EmptyField);
    }
    let label = match field.parse::<u64>() {
        Ok(label) => label,
        Err(_) => match field.parse::<f64>() {
            // Below 2⁵³ every integer is exact in f64, so `3.0` means 3 and nothing else.
            Ok(value) if value >= 0.0 && value.fract() == 0.0 && value < 9_007_199_254_740_992.0 => {
                value as u64
            }
            _ => return Err(CsvProblem::NotALabel { text: shorten(field) }),
        },
    };
    match usize::try_from(label) {
        Ok(label) if label < MAX_CLASSES => Ok(label),
        _ => Err(CsvProblem::LabelTooLarge { text: shorten(field) }),
    }
}
