//! One-hot encoding: class labels as rows of a `[samples, classes]` matrix with a single 1.

use ndarray::Array2;
use tapegrad_tape::Float;

use crate::{DataError, Dataset};

/// Encodes `labels` as a `[labels.len(), num_classes]` matrix whose row `i` is 1 in
/// column `labels[i]` and 0 elsewhere (Keras's `to_categorical`, PyTorch's `one_hot`).
///
/// # Errors
/// [`DataError::LabelOutOfRange`] naming the first label that is not below `num_classes`;
/// [`DataError::InvalidArgument`] for `num_classes` above [`MAX_CLASSES`](crate::MAX_CLASSES)
/// or a matrix too large to allocate.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::one_hot;
/// let encoded = one_hot::<f32>(&[2, 0], 3)?;
/// assert_eq!(encoded, array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
///
/// let err = one_hot::<f32>(&[0, 3], 3).unwrap_err();
/// assert_eq!(err.to_string(), "label 3 at position 1 is out of range: expected a class below 3");
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
pub fn one_hot<T: Float>(labels: &[usize], num_classes: usize) -> Result<Array2<T>, DataError> {
    if num_classes > crate::MAX_CLASSES || tapegrad_tape::checked_size(&[labels.len(), num_classes]).is_none()
    {
        return Err(DataError::InvalidArgument {
            context: "one_hot",
            reason: format!(
                "{num_classes} classes for {} labels: at most {} classes, and a matrix that fits in memory",
                labels.len(),
                crate::MAX_CLASSES
            ),
        });
    }
    if let Some((position, &label)) = labels.iter().enumerate().find(|&(_, &label)| label >= num_classes) {
        return Err(DataError::LabelOutOfRange { position, label, num_classes });
    }
    // A few kilobytes of labels can ask for gigabytes here (rows × classes): allocate
    // fallibly, so memory that is not there is an error, not an abort.
    let too_large = |reason: String| DataError::InvalidArgument { context: "one_hot", reason };
    let size = labels.len().saturating_mul(num_classes);
    let mut values: Vec<T> = Vec::new();
    values.try_reserve_exact(size).map_err(|_| {
        too_large(format!(
            "a [{}, {num_classes}] matrix ({size} values) cannot be allocated; take the labels directly \
             (cross_entropy accepts them)",
            labels.len()
        ))
    })?;
    values.resize(size, T::zero());
    let mut encoded =
        Array2::from_shape_vec((labels.len(), num_classes), values).map_err(|e| too_large(e.to_string()))?;
    for (row, &label) in labels.iter().enumerate() {
        encoded[[row, label]] = T::one();
    }
    Ok(encoded)
}

impl<T: Float> Dataset<T> {
    /// The same samples with one-hot targets `[samples, num_classes]` in place of labels,
    /// for losses that take a target distribution or for regression-style training.
    ///
    /// # Errors
    /// [`DataError::LabelOutOfRange`] if a label is not below `num_classes`.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[0.5f32], [1.5]], vec![1, 0])?;
    /// let encoded = data.one_hot(2)?; // a Dataset<f32, Array2<f32>>
    /// assert_eq!(encoded.targets(), &array![[0.0f32, 1.0], [1.0, 0.0]]);
    /// assert_eq!(encoded.features(), data.features());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn one_hot(&self, num_classes: usize) -> Result<Dataset<T, Array2<T>>, DataError> {
        Dataset::new(self.features().clone(), one_hot(self.labels(), num_classes)?)
    }
}
