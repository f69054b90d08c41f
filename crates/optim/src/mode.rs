//! Whether a monitored metric is better when lower (a loss) or higher (an accuracy).

use tapegrad_tape::Float;

/// Which direction of a monitored metric counts as improvement, for
/// [`ReduceLrOnPlateau`](crate::ReduceLrOnPlateau) and
/// [`EarlyStopping`](crate::EarlyStopping) (PyTorch's `mode='min'` / `'max'`).
///
/// ```
/// use tapegrad_optim::Mode;
/// assert_eq!(Mode::default(), Mode::Min);
/// assert_eq!(Mode::Max.worst::<f64>(), f64::NEG_INFINITY);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Lower is better (a loss). The default.
    #[default]
    Min,
    /// Higher is better (an accuracy).
    Max,
}

impl Mode {
    /// The worst possible value, which any number beats: `+∞` for `Min`, `−∞` for `Max`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Mode::Min.worst::<f32>(), f32::INFINITY);
    /// ```
    pub fn worst<T: Float>(self) -> T {
        match self {
            Mode::Min => T::infinity(),
            Mode::Max => T::neg_infinity(),
        }
    }
}
