//! An in-memory data set: a feature matrix `[samples, features]` and one target per
//! sample, either a class label or a row of regression values.

use ndarray::{Array2, Axis};

use crate::DataError;

/// The targets of a [`Dataset`], one per sample: class labels (`Vec<usize>`) or regression
/// values (`Array2<T>`, one row per sample). Implement it to batch other kinds of target.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Targets;
/// let labels = vec![2usize, 0, 1];
/// assert_eq!(labels.num_samples(), 3);
/// assert_eq!(labels.select_samples(&[2, 0]), vec![1, 2]);
/// let values = array![[0.5f32], [1.5], [2.5]];
/// assert_eq!(values.select_samples(&[1]), array![[1.5f32]]);
/// ```
pub trait Targets: Clone {
    /// How many samples there are targets for.
    fn num_samples(&self) -> usize;
    /// The targets of the samples at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is not below [`num_samples`](Targets::num_samples).
    fn select_samples(&self, indices: &[usize]) -> Self;

    /// Checks the targets when a [`Dataset`] is built from them (the default accepts
    /// anything). Class labels must be below [`MAX_CLASSES`].
    ///
    /// # Errors
    /// A [`DataError`] naming the first target that is refused.
    ///
    /// ```
    /// use tapegrad_data::{Targets, MAX_CLASSES};
    /// assert!(vec![0usize, 9].check().is_ok());
    /// assert!(vec![0usize, MAX_CLASSES].check().is_err());
    /// ```
    fn check(&self) -> Result<(), DataError> {
        Ok(())
    }
}

/// The most classes a [`Dataset`] of labels may have: 2²⁰ (1,048,576; ImageNet-21k has
/// 21,841). Labels are bounded where they enter because every per-class table
/// ([`Dataset::class_counts`], stratified splits, one-hot targets, a classifier's output
/// layer) is sized by the largest label: one stray `18446744073709551615` in a file would
/// otherwise ask for more memory than exists.
///
/// ```
/// use ndarray::Array2;
/// use tapegrad_data::{Dataset, MAX_CLASSES};
/// let err = Dataset::new(Array2::<f32>::zeros((2, 1)), vec![1, MAX_CLASSES]).unwrap_err();
/// assert_eq!(err.to_string(), "label 1048576 at position 1 is out of range: expected a class below 1048576");
/// ```
pub const MAX_CLASSES: usize = 1 << 20;

impl Targets for Vec<usize> {
    fn num_samples(&self) -> usize {
        self.len()
    }
    fn select_samples(&self, indices: &[usize]) -> Self {
        indices.iter().map(|&i| self[i]).collect()
    }
    fn check(&self) -> Result<(), DataError> {
        match self.iter().enumerate().find(|&(_, &label)| label >= MAX_CLASSES) {
            Some((position, &label)) => {
                Err(DataError::LabelOutOfRange { position, label, num_classes: MAX_CLASSES })
            }
            None => Ok(()),
        }
    }
}

impl<T: Clone> Targets for Array2<T> {
    fn num_samples(&self) -> usize {
        self.nrows()
    }
    fn select_samples(&self, indices: &[usize]) -> Self {
        self.select(Axis(0), indices)
    }
}

/// Features `[samples, features]` and their targets, held in memory. `Dataset<T>` holds
/// class labels; `Dataset<T, Array2<T>>` holds regression targets, one row per sample.
///
/// Iterate over shuffled mini-batches with [`batches`](Dataset::batches), split with
/// [`split`](Dataset::split) or [`split_stratified`](Dataset::split_stratified), and
/// standardise with a [`Standardizer`](crate::Standardizer).
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Dataset;
/// let data = Dataset::new(array![[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]], vec![0, 1, 1])?;
/// assert_eq!((data.len(), data.num_features(), data.num_classes()), (3, 2, 2));
/// assert_eq!(data.targets(), &vec![0, 1, 1]);
///
/// // One target per row, or an error that says so:
/// let err = Dataset::new(array![[0.0f32], [1.0]], vec![0]).unwrap_err();
/// assert!(err.to_string().contains("expected 2 targets"), "{err}");
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T, Y = Vec<usize>> {
    features: Array2<T>,
    targets: Y,
}

impl<T: Clone, Y: Targets> Dataset<T, Y> {
    /// A data set from a feature matrix `[samples, features]` and one target per sample.
    ///
    /// # Errors
    /// [`DataError::SampleCountMismatch`] if `targets` does not have one entry per row of
    /// `features`; [`DataError::LabelOutOfRange`] for a class label not below
    /// [`MAX_CLASSES`] (see [`Targets::check`]).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Dataset;
    /// // Regression: two samples, each with one feature and two target values.
    /// let data = Dataset::new(array![[1.0f64], [2.0]], array![[0.1, 0.2], [0.3, 0.4]])?;
    /// assert_eq!(data.targets().row(1).to_vec(), vec![0.3, 0.4]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn new(features: Array2<T>, targets: Y) -> Result<Self, DataError> {
        if features.nrows() != targets.num_samples() {
            return Err(DataError::SampleCountMismatch {
                features: features.nrows(),
                targets: targets.num_samples(),
            });
        }
        targets.check()?;
        Ok(Self { features, targets })
    }

    /// The number of samples.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![0, 1])?;
    /// assert_eq!(data.len(), 2);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.features.nrows()
    }

    /// Whether there are no samples.
    ///
    /// ```
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::<f32>::new(ndarray::Array2::zeros((0, 3)), vec![])?;
    /// assert!(data.is_empty());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of features (columns of the feature matrix).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32, 2.0, 3.0]], vec![0])?;
    /// assert_eq!(data.num_features(), 3);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn num_features(&self) -> usize {
        self.features.ncols()
    }

    /// The feature matrix, `[samples, features]`.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32, 2.0]], vec![0])?;
    /// assert_eq!(data.features(), &array![[1.0f32, 2.0]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn features(&self) -> &Array2<T> {
        &self.features
    }

    /// The targets, one per sample.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![1, 0])?;
    /// assert_eq!(data.targets(), &vec![1, 0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn targets(&self) -> &Y {
        &self.targets
    }

    /// The features and targets, taken apart.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![1, 0])?;
    /// let (features, labels) = data.into_parts();
    /// assert_eq!((features.nrows(), labels), (2, vec![1, 0]));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn into_parts(self) -> (Array2<T>, Y) {
        (self.features, self.targets)
    }

    /// The samples at `indices`, in that order (an index may repeat, as for a bootstrap
    /// sample). Features and targets are copied.
    ///
    /// # Panics
    /// If an index is not below [`len`](Dataset::len).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[0.0f32], [1.0], [2.0]], vec![0, 1, 2])?;
    /// let picked = data.subset(&[2, 0]);
    /// assert_eq!(picked.features(), &array![[2.0f32], [0.0]]);
    /// assert_eq!(picked.targets(), &vec![2, 0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn subset(&self, indices: &[usize]) -> Self {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            panic!("Dataset::subset: index {bad} is out of range for {} samples", self.len());
        }
        Self {
            features: self.features.select(Axis(0), indices),
            targets: self.targets.select_samples(indices),
        }
    }

    /// The same targets with new features, such as the output of
    /// [`Standardizer::transform`](crate::Standardizer::transform).
    ///
    /// # Errors
    /// [`DataError::SampleCountMismatch`] if `features` does not have one row per sample.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![1, 0])?;
    /// let doubled = data.features().mapv(|x| 2.0 * x);
    /// let data = data.with_features(doubled)?;
    /// assert_eq!(data.features(), &array![[2.0f32], [4.0]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn with_features(self, features: Array2<T>) -> Result<Self, DataError> {
        Self::new(features, self.targets)
    }
}

impl<T: Clone> Dataset<T> {
    /// The class labels, one per sample (the same as [`targets`](Dataset::targets)).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![1, 0])?;
    /// assert_eq!(data.labels(), &[1, 0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn labels(&self) -> &[usize] {
        &self.targets
    }

    /// The number of classes: one more than the largest label (0 for no samples).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0]], vec![4, 0])?;
    /// assert_eq!(data.num_classes(), 5); // classes 1 to 3 have no samples, but exist
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn num_classes(&self) -> usize {
        self.targets.iter().max().map_or(0, |&label| label + 1)
    }

    /// How many samples each class has, indexed by label, with
    /// [`num_classes`](Dataset::num_classes) entries.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[1.0f32], [2.0], [3.0]], vec![2, 0, 2])?;
    /// assert_eq!(data.class_counts(), vec![1, 0, 2]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &label in &self.targets {
            counts[label] += 1;
        }
        counts
    }
}
