//! One field at a time: numbers parsed straight to the element type, class labels as exact
//! integers, and the words that usually mark a missing value.

use tapegrad_tape::{Float, FloatKind};

use crate::{CsvProblem, MAX_CLASSES};

/// At most 40 characters of `text`, marked with `…` if cut.
/// Control characters (a NUL, a line break inside quotes) are written as escapes, so a
/// message stays on one line and shows them.
pub(super) fn shorten(text: &str) -> String {
    let cut = match text.char_indices().nth(40) {
        Some((cut, _)) => text.get(..cut).unwrap_or(text),
        None => text,
    };
    let mut short: String = cut
        .chars()
        .flat_map(|c| if c.is_control() { c.escape_debug().collect::<Vec<_>>() } else { vec![c] })
        .collect();
    if cut.len() < text.len() {
        short.push('…');
    }
    short
}

/// Fields that data sets use for a missing value (compared ignoring case): an error
/// that meets one suggests [`CsvOptions::missing`](crate::CsvOptions::missing).
pub(super) fn looks_missing(field: &str) -> bool {
    ["na", "n/a", "nan", "null", "none", "?", "-", "."]
        .iter()
        .any(|marker| field.eq_ignore_ascii_case(marker))
}

/// Where a row is, for wording errors: text on the first data row is most likely a header
/// read as data (without a header) or a column of categories (after one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Row {
    FirstWithoutHeader,
    FirstAfterHeader,
    Later,
}

/// Why `field` is not a number, worded for where it was found.
fn not_a_number(field: &str, name: &str, row: Row) -> CsvProblem {
    let text = shorten(field);
    let has_letters = field.chars().any(char::is_alphabetic);
    match row {
        _ if looks_missing(field) => CsvProblem::MissingValue { text },
        Row::FirstWithoutHeader if has_letters => CsvProblem::UnexpectedHeader { text },
        Row::FirstAfterHeader if has_letters => CsvProblem::TextInNumericColumn { text, name: shorten(name) },
        _ => CsvProblem::NotANumber { text },
    }
}

/// A feature or regression value: a finite number, parsed straight to `T` (so an f32 is
/// rounded once).
pub(super) fn parse_number<T: Float>(field: &str, name: &str, row: Row) -> Result<T, CsvProblem> {
    if field.is_empty() {
        return Err(CsvProblem::EmptyField);
    }
    let parsed = match T::KIND {
        FloatKind::F32 => field.parse::<f32>().map(f64::from),
        FloatKind::F64 => field.parse::<f64>(),
    };
    let value = parsed.map_err(|_| not_a_number(field, name, row))?;
    if !value.is_finite() {
        return Err(if looks_missing(field) {
            CsvProblem::MissingValue { text: shorten(field) }
        } else {
            CsvProblem::NotFinite { text: shorten(field) }
        });
    }
    Ok(T::from_f64(value))
}

/// Whether the digits after a decimal point (before any exponent) are all zeros.
fn whole_as_written(field: &str) -> bool {
    let mantissa = field.split(['e', 'E']).next().unwrap_or(field);
    mantissa.split('.').nth(1).is_none_or(|fraction| fraction.bytes().all(|b| b == b'0'))
}

/// A class label: a non-negative integer below [`MAX_CLASSES`], written `3` or `3.0`.
pub(super) fn parse_label(field: &str, name: &str, row: Row) -> Result<usize, CsvProblem> {
    if field.is_empty() {
        return Err(CsvProblem::EmptyField);
    }
    if looks_missing(field) {
        return Err(CsvProblem::MissingValue { text: shorten(field) });
    }
    let label = match field.parse::<u64>() {
        Ok(label) => label,
        Err(_) if field.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(CsvProblem::LabelTooLarge { text: shorten(field) })
        }
        Err(_) => match field.parse::<f64>() {
            // `3.0000000000000001` rounds to 3.0 in f64: a fraction written out must be zeros.
            Ok(_) if !whole_as_written(field) => return Err(CsvProblem::NotALabel { text: shorten(field) }),
            // Below 2⁵³ every integer is exact in f64, so `3.0` means 3 and nothing else.
            Ok(value) if value >= 0.0 && value.fract() == 0.0 && value < 9_007_199_254_740_992.0 => {
                value as u64
            }
            Ok(value) if value >= 0.0 && value.fract() == 0.0 => {
                return Err(CsvProblem::LabelTooLarge { text: shorten(field) })
            }
            Ok(_) => return Err(CsvProblem::NotALabel { text: shorten(field) }),
            Err(_) => {
                return Err(match not_a_number(field, name, row) {
                    CsvProblem::NotANumber { text } => CsvProblem::NotALabel { text },
                    other => other,
                })
            }
        },
    };
    match usize::try_from(label) {
        Ok(label) if label < MAX_CLASSES => Ok(label),
        _ => Err(CsvProblem::LabelTooLarge { text: shorten(field) }),
    }
}

/// A field read: a number, or an index (a class label or a category).
pub(super) enum Field<T> {
    Number(T),
    Id(usize),
}

impl<T: Float> Field<T> {
    pub(super) fn number(self) -> T {
        match self {
            Field::Number(value) => value,
            // Ids are below MAX_CLASSES (2²⁰), exact in f32 and f64.
            Field::Id(id) => T::from_f64(id as f64),
        }
    }

    pub(super) fn id(self) -> usize {
        match self {
            Field::Id(id) => id,
            // `read(_, true)` gives ids only.
            Field::Number(_) => 0,
        }
    }
}

/// The row and the feature count it declares, if a first row read as data looks like a
/// count line: two counts, then the names of at least two classes.
pub(super) fn count_like(fields: &[&str]) -> Option<(String, u64)> {
    let features = fields.get(1).and_then(|field| field.parse::<u64>().ok())?;
    fields.first().and_then(|field| field.parse::<u64>().ok())?;
    let names = fields.get(2..).unwrap_or_default();
    let all_names = names.len() >= 2 && names.iter().all(|name| name.parse::<f64>().is_err());
    all_names.then(|| (shorten(&fields.join(",")), features))
}
