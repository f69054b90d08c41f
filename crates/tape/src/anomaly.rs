//! Anomaly detection: where the first NaN or infinity came from.
//!
//! Off by default and free when off (one flag read per recorded op and per backward
//! step). When on ([`Tape::detect_anomalies`](crate::Tape::detect_anomalies)), every
//! recorded value is checked as it is made, and every gradient as backward makes it; the
//! first non-finite one made from finite inputs is kept as an [`Anomaly`] naming the op,
//! its node, the line that recorded it, the input shapes and the pass.
//! [`Tape::try_backward`](crate::Tape::try_backward) returns it as an error.

use std::fmt;
use std::panic::Location;

use ndarray::{ArrayViewD, Dimension};

use crate::Float;

/// Which pass an [`Anomaly`] was found in.
///
/// ```
/// assert_eq!(tapegrad_tape::Pass::Forward.to_string(), "forward");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// An op's value (or a leaf recorded with a non-finite element).
    Forward,
    /// A gradient an op's backward rule produced from a finite `∂L/∂output`.
    Backward,
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pass::Forward => "forward",
            Pass::Backward => "backward",
        })
    }
}

/// The first NaN or infinity of a tape with anomaly detection on: the op that made it
/// from finite inputs, or the leaf that brought it in.
///
/// ```
/// use ndarray::array;
/// let tape = tapegrad_tape::Tape::new();
/// tape.detect_anomalies(true);
/// let x = tape.var(array![1.0, 0.0]);
/// let y = x.log().sum(); // log(0) = −∞
/// let anomaly = tape.anomaly().unwrap();
/// assert_eq!((anomaly.op, anomaly.pass, anomaly.position.as_slice()), ("log", tapegrad_tape::Pass::Forward, &[1][..]));
/// println!("{anomaly}"); // forward pass: log (node 1, recorded at src/…) made -inf at [1] …
/// # let _ = y;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// The pass it was found in.
    pub pass: Pass,
    /// The op's name (`"log"`), or for a leaf its kind (`"constant"`, `"param"`, `"var"`).
    pub op: &'static str,
    /// The node the op recorded.
    pub node: usize,
    /// The line that recorded it.
    pub site: &'static Location<'static>,
    /// The shapes of the op's inputs (none for a leaf).
    pub input_shapes: Vec<Vec<usize>>,
    /// In the backward pass, which input's gradient (counting from 0).
    pub input: Option<usize>,
    /// The index of the first non-finite element.
    pub position: Vec<usize>,
    /// That element, as printed (`NaN`, `inf`, `-inf`).
    pub value: String,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Anomaly { pass, op, node, site, input_shapes, input, position, value } = self;
        match (pass, input) {
            (Pass::Forward, _) if input_shapes.is_empty() => write!(
                f,
                "forward pass: the {op} recorded at {site} (node {node}) holds {value} at {position:?}"
            ),
            (Pass::Forward, _) => write!(
                f,
                "forward pass: {op} (node {node}, recorded at {site}) made {value} at {position:?} \
                 from finite inputs of shapes {input_shapes:?}"
            ),
            (Pass::Backward, input) => write!(
                f,
                "backward pass: {op} (node {node}, recorded at {site}) made {value} at {position:?} in \
                 the gradient of its input {} (input shapes {input_shapes:?}) from a finite gradient of \
                 its output",
                input.unwrap_or(0)
            ),
        }
    }
}

/// The index and value of the first NaN or infinite element of `view`, if any.
pub(crate) fn first_non_finite<T: Float>(view: &ArrayViewD<'_, T>) -> Option<(Vec<usize>, String)> {
    if view.iter().all(|v| v.is_finite()) {
        return None;
    }
    view.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(index, v)| (index.slice().to_vec(), format!("{v:?}")))
}

/// Whether every element of every view is finite.
pub(crate) fn all_finite<T: Float>(views: &[ArrayViewD<'_, T>]) -> bool {
    views.iter().all(|view| view.iter().all(|v| v.is_finite()))
}
