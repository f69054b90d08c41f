//! Standardisation: per-feature mean and standard deviation learnt on training data, then
//! applied unchanged to any other data (scikit-learn's `StandardScaler`).

use ndarray::{Array1, Array2, ArrayRef2, Axis, Zip};
use tapegrad_tape::Float;

use crate::{DataError, Dataset, Targets};

/// Per-feature statistics that map each feature to `(x − mean) / scale`, fitted on training
/// data and applied, unchanged, to validation and test data.
///
/// `scale` is the population standard deviation (dividing by n, as scikit-learn's
/// `StandardScaler` and NumPy's `std` do). A **constant feature** (every training value
/// equal) has a standard deviation of 0; its scale is set to 1 instead, so it maps to
/// exactly 0 on the training data and to `x − mean` elsewhere, never to NaN or infinity.
/// Statistics are accumulated in f64 for both element types.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Standardizer;
///
/// let train = array![[1.0f64, 5.0], [3.0, 5.0]]; // the second feature is constant
/// let standardizer = Standardizer::fit(&train)?;
/// assert_eq!(standardizer.mean(), &array![2.0, 5.0]);
/// assert_eq!(standardizer.std(), &array![1.0, 0.0]);
/// assert_eq!(standardizer.scale(), &array![1.0, 1.0]); // constant: divide by 1, not 0
/// assert_eq!(standardizer.transform(&train)?, array![[-1.0, 0.0], [1.0, 0.0]]);
/// // Test data is mapped with the training statistics:
/// assert_eq!(standardizer.transform(&array![[4.0, 6.0]])?, array![[2.0, 1.0]]);
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer<T> {
    mean: Array1<T>,
    std: Array1<T>,
    scale: Array1<T>,
    /// Which columns are mapped; the others pass through unchanged
    /// ([`fit_columns`](Standardizer::fit_columns)).
    chosen: Vec<bool>,
}

impl<T: Float> Standardizer<T> {
    /// Learns each column's mean and standard deviation from `features`, `[samples,
    /// features]`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `features` has no rows.
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[0.0f32], [2.0], [4.0]])?;
    /// assert_eq!(standardizer.mean()[0], 2.0);
    /// assert!((standardizer.std()[0] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6);
    /// assert!(Standardizer::fit(&Array2::<f32>::zeros((0, 2))).is_err());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn fit(features: &ArrayRef2<T>) -> Result<Self, DataError> {
        let samples = features.nrows();
        if samples == 0 {
            return Err(DataError::InvalidArgument {
                context: "Standardizer::fit",
                reason: "no samples to learn the mean and standard deviation from".to_string(),
            });
        }
        let columns = features.ncols();
        let (mut mean, mut std, mut scale) =
            (Array1::zeros(columns), Array1::zeros(columns), Array1::ones(columns));
        for (feature, column) in features.axis_iter(Axis(1)).enumerate() {
            let first = column[0];
            if column.iter().all(|&x| x == first) {
                // Exactly constant: the mean is the value itself, so the training data maps
                // to exactly 0 (a computed mean could be off by rounding), and the scale stays 1.
                mean[feature] = first;
                continue;
            }
            // Summed in units of a power of two at least as large as every value, so that
            // values near f64::MAX do not overflow the sums (exact: dividing by a power of
            // two changes no bit of a normal number).
            let largest = column.iter().fold(0.0f64, |m, &x| m.max(Float::to_f64(x).abs()));
            let unit = if largest > 0.0 && largest.is_finite() {
                2f64.powi((largest.log2().ceil() as i32).clamp(-1022, 1023))
            } else {
                1.0
            };
            let scaled = || column.iter().map(|&x| Float::to_f64(x) / unit);
            let column_mean = scaled().sum::<f64>() / samples as f64;
            let variance = scaled().map(|x| (x - column_mean).powi(2)).sum::<f64>() / samples as f64;
            mean[feature] = T::from_f64(column_mean * unit);
            std[feature] = T::from_f64(variance.sqrt() * unit);
            // Unequal values have a positive deviation in f64; guard f32's underflow anyway.
            if std[feature] > T::zero() {
                scale[feature] = std[feature];
            }
        }
        Ok(Self { mean, std, scale, chosen: vec![true; columns] })
    }

    /// Learns the mean and standard deviation of the chosen `columns` only; the others
    /// pass through [`transform`](Standardizer::transform) and
    /// [`inverse_transform`](Standardizer::inverse_transform) unchanged, bit for bit (a
    /// category index or a flag beside measurements stays what it is). Their entries in
    /// [`mean`](Standardizer::mean), [`std`](Standardizer::std) and
    /// [`scale`](Standardizer::scale) are 0, 0 and 1. scikit-learn does this with a
    /// `ColumnTransformer` around its `StandardScaler`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `features` has no rows or a column is out of range.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Standardizer;
    /// // Height in cm, then a category index that must stay an index.
    /// let train = array![[150.0f64, 2.0], [170.0, 0.0], [190.0, 1.0]];
    /// let standardizer = Standardizer::fit_columns(&train, &[0])?;
    /// let out = standardizer.transform(&train)?;
    /// assert_eq!(out.column(1), train.column(1));
    /// assert!((out[[0, 0]] + 1.2247448713915890).abs() < 1e-12);
    /// assert_eq!(standardizer.columns(), [0]);
    /// assert!(Standardizer::fit_columns(&train, &[2]).is_err());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn fit_columns(features: &ArrayRef2<T>, columns: &[usize]) -> Result<Self, DataError> {
        if let Some(&column) = columns.iter().find(|&&c| c >= features.ncols()) {
            return Err(DataError::InvalidArgument {
                context: "Standardizer::fit_columns",
                reason: format!(
                    "column {column} is out of range: the features have {} columns",
                    features.ncols()
                ),
            });
        }
        let mut standardizer = Self::fit(features)?;
        for column in 0..features.ncols() {
            if !columns.contains(&column) {
                standardizer.mean[column] = T::zero();
                standardizer.std[column] = T::zero();
                standardizer.scale[column] = T::one();
                standardizer.chosen[column] = false;
            }
        }
        Ok(standardizer)
    }

    /// The columns that are standardised (all of them, after [`fit`](Standardizer::fit)).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[1.0f32, 2.0], [3.0, 5.0]])?;
    /// assert_eq!(standardizer.columns(), [0, 1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn columns(&self) -> Vec<usize> {
        self.chosen.iter().enumerate().filter(|(_, chosen)| **chosen).map(|(column, _)| column).collect()
    }

    /// Maps each feature to `(x − mean) / scale` with the fitted statistics.
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] if `features` does not have as many columns as
    /// the data the standardizer was fitted on.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[0.0f32, 1.0], [2.0, 3.0]])?;
    /// assert_eq!(standardizer.transform(&array![[1.0f32, 1.0]])?, array![[0.0f32, -1.0]]);
    /// let err = standardizer.transform(&array![[1.0f32]]).unwrap_err();
    /// assert_eq!(err.to_string(), "Standardizer::transform: expected 2 features (columns), got 1");
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn transform(&self, features: &ArrayRef2<T>) -> Result<Array2<T>, DataError> {
        self.check_columns("Standardizer::transform", features)?;
        let mut out = features.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row).and(&self.mean).and(&self.scale).and(&self.chosen).for_each(
                |x, &m, &s, &chosen| {
                    if chosen {
                        *x = standardize(*x, m, s);
                    }
                },
            );
        }
        Ok(out)
    }

    /// Maps standardised features back: `x · scale + mean`.
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] if the number of columns does not match.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Standardizer;
    /// let train = array![[1.0f64, 10.0], [3.0, 30.0]];
    /// let standardizer = Standardizer::fit(&train)?;
    /// let back = standardizer.inverse_transform(&standardizer.transform(&train)?)?;
    /// assert_eq!(back, train);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn inverse_transform(&self, features: &ArrayRef2<T>) -> Result<Array2<T>, DataError> {
        self.check_columns("Standardizer::inverse_transform", features)?;
        let mut out = features.to_owned();
        for mut row in out.rows_mut() {
            Zip::from(&mut row).and(&self.mean).and(&self.scale).and(&self.chosen).for_each(
                |x, &m, &s, &chosen| {
                    if chosen {
                        *x = *x * s + m;
                    }
                },
            );
        }
        Ok(out)
    }

    /// A copy of `dataset` with its features standardised; the targets are unchanged.
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] if the number of features does not match.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use rand::SeedableRng;
    /// use rand::rngs::StdRng;
    /// use tapegrad_data::{Dataset, Standardizer};
    ///
    /// let features = Array2::from_shape_fn((20, 2), |(i, j)| (i * (j + 1)) as f32);
    /// let data = Dataset::new(features, vec![0; 20])?;
    /// let (train, test) = data.split(0.25, &mut StdRng::seed_from_u64(0))?;
    /// let standardizer = Standardizer::fit(train.features())?; // statistics of train only
    /// let (train, test) = (standardizer.transform_dataset(&train)?, standardizer.transform_dataset(&test)?);
    /// assert!(train.features().mean_axis(ndarray::Axis(0)).unwrap().iter().all(|m| m.abs() < 1e-5));
    /// assert_eq!(test.len(), 5);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn transform_dataset<Y: Targets>(&self, dataset: &Dataset<T, Y>) -> Result<Dataset<T, Y>, DataError> {
        let features = self.transform(dataset.features())?;
        Dataset::new(features, dataset.targets().clone())
    }

    /// Fits on `features` and transforms them: `fit(features)?.transform(features)`.
    ///
    /// # Errors
    /// As [`fit`](Standardizer::fit).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Standardizer;
    /// let (standardizer, standardized) = Standardizer::fit_transform(&array![[1.0f64], [3.0]])?;
    /// assert_eq!(standardized, array![[-1.0], [1.0]]);
    /// assert_eq!(standardizer.mean()[0], 2.0);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn fit_transform(features: &ArrayRef2<T>) -> Result<(Self, Array2<T>), DataError> {
        let standardizer = Self::fit(features)?;
        let transformed = standardizer.transform(features)?;
        Ok((standardizer, transformed))
    }

    /// The mean of each feature on the training data.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[1.0f32, 0.0], [3.0, 0.0]])?;
    /// assert_eq!(standardizer.mean(), &array![2.0f32, 0.0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn mean(&self) -> &Array1<T> {
        &self.mean
    }

    /// The population standard deviation of each feature on the training data (0 for a
    /// constant feature).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[1.0f32, 7.0], [3.0, 7.0]])?;
    /// assert_eq!(standardizer.std(), &array![1.0f32, 0.0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn std(&self) -> &Array1<T> {
        &self.std
    }

    /// What each feature is divided by: its standard deviation, or 1 for a constant
    /// feature (scikit-learn's `scale_`).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Standardizer;
    /// let standardizer = Standardizer::fit(&array![[1.0f32, 7.0], [5.0, 7.0]])?;
    /// assert_eq!(standardizer.scale(), &array![2.0f32, 1.0]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn scale(&self) -> &Array1<T> {
        &self.scale
    }

    fn check_columns(&self, context: &'static str, features: &ArrayRef2<T>) -> Result<(), DataError> {
        if features.ncols() != self.mean.len() {
            return Err(DataError::FeatureCountMismatch {
                context,
                expected: self.mean.len(),
                actual: features.ncols(),
            });
        }
        Ok(())
    }
}

/// `(x − mean) / scale`; where the difference of two finite numbers overflows (values near
/// the largest float), computed in halves, which gives the same bits wherever the direct
/// form is finite (halving and doubling are exact).
fn standardize<T: Float>(x: T, mean: T, scale: T) -> T {
    let direct = (x - mean) / scale;
    if direct.is_finite() || !x.is_finite() || !mean.is_finite() {
        return direct;
    }
    let half = T::from_f64(0.5);
    (x * half - mean * half) / scale / half
}
