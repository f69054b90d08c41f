//! Reading an eval's input: each field looked up and checked, so that a missing field, a
//! wrong type, a ragged matrix or an absurd size is an error naming the field, never a
//! panic, and no allocation is sized by a number nobody checked.

use std::fmt;

use ndarray::{Array1, Array2};
use serde_json::Value;

/// Why a message could not be answered: bad input (named), or a computation that failed.
///
/// ```
/// use tapegrad_gradbench::input::{field, ToolError};
/// let input = serde_json::json!({"x": [1.0]});
/// let err: ToolError = field(&input, "n").unwrap_err();
/// assert_eq!(err.to_string(), "missing field `n`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(pub String);

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

impl From<tapegrad::tape::TapeError> for ToolError {
    fn from(err: tapegrad::tape::TapeError) -> Self {
        ToolError(err.to_string())
    }
}

/// Shorthand for the tool's results.
///
/// ```
/// fn half(x: f64) -> tapegrad_gradbench::input::Result<f64> { Ok(x / 2.0) }
/// assert_eq!(half(3.0), Ok(1.5));
/// ```
pub type Result<T> = std::result::Result<T, ToolError>;

/// A [`ToolError`] from anything printable.
///
/// ```
/// let err = tapegrad_gradbench::input::error(format_args!("bad {}", 1));
/// assert_eq!(err.0, "bad 1");
/// ```
pub fn error(message: impl fmt::Display) -> ToolError {
    ToolError(message.to_string())
}

/// The largest number of elements any one input or intermediate array may have (2²⁸
/// doubles, 2 GiB): sizes beyond it are refused before anything is allocated.
///
/// ```
/// use tapegrad_gradbench::input::{checked_elements, MAX_ELEMENTS};
/// assert!(checked_elements("x", &[MAX_ELEMENTS]).is_ok() && checked_elements("x", &[MAX_ELEMENTS + 1]).is_err());
/// ```
pub const MAX_ELEMENTS: usize = 1 << 28;

/// Field `name` of an object.
///
/// # Errors
/// If `input` is not an object or has no such field.
///
/// ```
/// let input = serde_json::json!({"x": 2.5});
/// assert_eq!(tapegrad_gradbench::input::field(&input, "x").unwrap(), &serde_json::json!(2.5));
/// ```
pub fn field<'a>(input: &'a Value, name: &str) -> Result<&'a Value> {
    match input {
        Value::Object(map) => map.get(name).ok_or_else(|| error(format_args!("missing field `{name}`"))),
        other => Err(error(format_args!("expected an object with field `{name}`, got {}", kind(other)))),
    }
}

/// A number.
///
/// # Errors
/// If `value` is not a JSON number (or is out of `f64`'s range).
///
/// ```
/// assert_eq!(tapegrad_gradbench::input::number(&serde_json::json!(3), "w").unwrap(), 3.0);
/// assert!(tapegrad_gradbench::input::number(&serde_json::json!("3"), "w").is_err());
/// ```
pub fn number(value: &Value, what: &str) -> Result<f64> {
    value.as_f64().ok_or_else(|| error(format_args!("`{what}`: expected a number, got {}", kind(value))))
}

/// A non-negative integer no larger than `max`.
///
/// # Errors
/// If `value` is not an integer in `0..=max`.
///
/// ```
/// use tapegrad_gradbench::input::count;
/// assert_eq!(count(&serde_json::json!(7), "n", 10).unwrap(), 7);
/// assert!(count(&serde_json::json!(11), "n", 10).is_err());
/// assert!(count(&serde_json::json!(-1), "n", 10).is_err());
/// assert!(count(&serde_json::json!(1.5), "n", 10).is_err());
/// ```
pub fn count(value: &Value, what: &str, max: usize) -> Result<usize> {
    let Some(n) = value.as_u64() else {
        return Err(error(format_args!("`{what}`: expected a non-negative integer, got {value}")));
    };
    match usize::try_from(n) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(error(format_args!("`{what}` = {n} is larger than this tool accepts ({max})"))),
    }
}

/// A list of numbers.
///
/// # Errors
/// If `value` is not an array of numbers.
///
/// ```
/// let x = tapegrad_gradbench::input::vector(&serde_json::json!([1, 2.5]), "x").unwrap();
/// assert_eq!(x, ndarray::array![1.0, 2.5]);
/// ```
pub fn vector(value: &Value, what: &str) -> Result<Array1<f64>> {
    let items = array(value, what)?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| number(item, &format!("{what}[{i}]")))
        .collect::<Result<Vec<f64>>>()
        .map(Array1::from)
}

/// A list of non-negative integers, each below `bound`.
///
/// # Errors
/// If `value` is not an array of such integers.
///
/// ```
/// use tapegrad_gradbench::input::indices;
/// assert_eq!(indices(&serde_json::json!([0, 3]), "c", 4).unwrap(), vec![0, 3]);
/// assert!(indices(&serde_json::json!([4]), "c", 4).is_err());
/// ```
pub fn indices(value: &Value, what: &str, bound: usize) -> Result<Vec<usize>> {
    array(value, what)?
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if n < bound => Ok(n),
            _ => Err(error(format_args!("`{what}[{i}]`: expected an index below {bound}, got {item}"))),
        })
        .collect()
}

/// A list of lists of numbers, all of one length: a matrix with one row per inner list.
/// `columns`, when given, is the length every row must have.
///
/// # Errors
/// If `value` is not such a list, rows differ in length (or from `columns`), or the matrix
/// has more than [`MAX_ELEMENTS`] entries.
///
/// ```
/// use tapegrad_gradbench::input::matrix;
/// let m = matrix(&serde_json::json!([[1, 2], [3, 4]]), "mu", None).unwrap();
/// assert_eq!(m, ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
/// assert!(matrix(&serde_json::json!([[1, 2], [3]]), "mu", None).is_err());
/// ```
pub fn matrix(value: &Value, what: &str, columns: Option<usize>) -> Result<Array2<f64>> {
    let rows = array(value, what)?;
    let width = match (columns, rows.first()) {
        (Some(width), _) => width,
        (None, Some(first)) => array(first, &format!("{what}[0]"))?.len(),
        (None, None) => 0,
    };
    checked_elements(what, &[rows.len(), width])?;
    let mut data = Vec::with_capacity(rows.len() * width);
    for (i, row) in rows.iter().enumerate() {
        let row = vector(row, &format!("{what}[{i}]"))?;
        if row.len() != width {
            return Err(error(format_args!("`{what}[{i}]` has {} entries, expected {width}", row.len())));
        }
        data.extend(row);
    }
    Array2::from_shape_vec((rows.len(), width), data).map_err(error)
}

/// The elements of a JSON array.
///
/// # Errors
/// If `value` is not an array.
///
/// ```
/// assert_eq!(tapegrad_gradbench::input::array(&serde_json::json!([1, 2]), "x").unwrap().len(), 2);
/// ```
pub fn array<'a>(value: &'a Value, what: &str) -> Result<&'a [Value]> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| error(format_args!("`{what}`: expected an array, got {}", kind(value))))
}

/// The product of `shape`, refused when it overflows or exceeds [`MAX_ELEMENTS`].
///
/// # Errors
/// If the product overflows or exceeds [`MAX_ELEMENTS`].
///
/// ```
/// use tapegrad_gradbench::input::checked_elements;
/// assert_eq!(checked_elements("x", &[3, 4]).unwrap(), 12);
/// assert!(checked_elements("x", &[1 << 20, 1 << 20]).is_err());
/// ```
pub fn checked_elements(what: &str, shape: &[usize]) -> Result<usize> {
    match shape.iter().try_fold(1usize, |total, &n| total.checked_mul(n)) {
        Some(total) if total <= MAX_ELEMENTS => Ok(total),
        _ => Err(error(format_args!("`{what}`: {shape:?} is more than {MAX_ELEMENTS} elements"))),
    }
}

/// A JSON value's kind, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
