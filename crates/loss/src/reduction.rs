//! `Reduction`: how a loss turns its per-element (or per-sample) losses into one number.

use tapegrad_tape::{Float, Var};

/// How a loss reduces its unreduced losses `l` (one per element, or one per sample for
/// the classification losses), as PyTorch's `reduction` argument.
///
/// | variant     | result                         | PyTorch       |
/// |-------------|--------------------------------|---------------|
/// | `Mean`      | `Σ l / (number of losses)`     | `'mean'`      |
/// | `Sum`       | `Σ l`                          | `'sum'`       |
/// | `None`      | `l` itself, unreduced          | `'none'`      |
/// | `BatchMean` | `Σ l / (length of axis 0)`     | `'batchmean'` |
///
/// `Mean` is the default, as in PyTorch. `BatchMean` exists for [`kl_div`](crate::kl_div),
/// where PyTorch's `'mean'` averages over *every element* and only `'batchmean'` gives
/// the KL divergence per sample; it is defined for every loss here (a 0-d loss counts
/// as a batch of 1), and equals `Mean` for losses that are already one value per sample
/// (cross-entropy, NLL, multi-margin).
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{mse, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let prediction = tape.var(array![[1.0, 2.0], [3.0, 0.0]]);
/// let target = tape.constant(array![[0.0, 0.0], [0.0, 0.0]]);
/// // Squared errors [[1, 4], [9, 0]]:
/// assert_eq!(mse(prediction, target, Reduction::default())?.item(), 3.5); // 14 / 4
/// assert_eq!(mse(prediction, target, Reduction::Sum)?.item(), 14.0);
/// assert_eq!(mse(prediction, target, Reduction::BatchMean)?.item(), 7.0); // 14 / 2 rows
/// assert_eq!(mse(prediction, target, Reduction::None)?.shape(), vec![2, 2]);
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reduction {
    /// The mean of all the losses (PyTorch's default).
    #[default]
    Mean,
    /// The sum of all the losses.
    Sum,
    /// No reduction: the losses themselves, one per element or per sample.
    None,
    /// The sum divided by the batch size, the length of axis 0 (PyTorch's `'batchmean'`).
    BatchMean,
}

impl Reduction {
    /// Reduces unreduced `losses` to a 0-d value (or returns them, for `None`). Use it to
    /// give your own losses the same `reduction` argument.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_loss::Reduction;
    /// let tape = tapegrad_tape::Tape::new();
    /// let losses = tape.var(array![1.0f32, 2.0, 6.0]);
    /// assert_eq!(Reduction::Mean.apply(losses).item(), 3.0);
    /// assert_eq!(Reduction::Sum.apply(losses).item(), 9.0);
    /// ```
    pub fn apply<'t, T: Float>(self, losses: Var<'t, T>) -> Var<'t, T> {
        match self {
            Reduction::Mean => losses.mean(),
            Reduction::Sum => losses.sum(),
            Reduction::None => losses,
            Reduction::BatchMean => {
                let batch = losses.shape().first().copied().unwrap_or(1);
                losses.sum().div_scalar(T::from_f64(batch as f64))
            }
        }
    }
}
