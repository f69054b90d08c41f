//! Train/test splits: seeded, by fraction, and optionally stratified so that each class
//! keeps its share on both sides.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::{DataError, Dataset, Targets};

/// How many of `samples` go to the test side: ⌈`test_fraction` · `samples`⌉, as in
/// scikit-learn, computed so that floating-point error does not round up a whole number
/// (0.7 of 10 is 7, not 8).
fn test_count(context: &'static str, test_fraction: f64, samples: usize) -> Result<usize, DataError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::InvalidArgument {
            context,
            reason: format!("the test fraction must be between 0 and 1 (exclusive), got {test_fraction}"),
        });
    }
    let exact = test_fraction * samples as f64;
    let test = ((exact * (1.0 - 1e-12)).ceil() as usize).min(samples);
    if test == 0 || test == samples {
        return Err(DataError::InvalidArgument {
            context,
            reason: format!(
                "a test fraction of {test_fraction} of {samples} samples leaves {test} for testing and {} \
                 for training: each side needs at least one",
                samples - test
            ),
        });
    }
    Ok(test)
}

impl<T: Clone, Y: Targets> Dataset<T, Y> {
    /// Splits the samples at random into `(train, test)`, with ⌈`test_fraction` · n⌉ test
    /// samples (scikit-learn's `train_test_split` count). Both sides come out in a random
    /// order drawn from `rng`, so the same seed gives the same split.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] if `test_fraction` is not strictly between 0 and 1,
    /// or would leave either side empty.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use rand::SeedableRng;
    /// use rand::rngs::StdRng;
    /// use tapegrad_data::Dataset;
    ///
    /// let data = Dataset::new(Array2::<f32>::zeros((10, 2)), (0..10).collect())?;
    /// let (train, test) = data.split(0.3, &mut StdRng::seed_from_u64(0))?;
    /// assert_eq!((train.len(), test.len()), (7, 3));
    /// let (_, again) = data.split(0.3, &mut StdRng::seed_from_u64(0))?;
    /// assert_eq!(test.labels(), again.labels()); // the same seed, the same split
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn split<R: Rng + ?Sized>(&self, test_fraction: f64, rng: &mut R) -> Result<(Self, Self), DataError> {
        let test = test_count("Dataset::split", test_fraction, self.len())?;
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        let (test_indices, train_indices) = order.split_at(test);
        Ok((self.subset(train_indices), self.subset(test_indices)))
    }
}

impl<T: Clone> Dataset<T> {
    /// Like [`split`](Dataset::split), with the same number of test samples, but each
    /// class keeps its share on both sides (scikit-learn's `stratify=y`). The test count is
    /// shared among the classes in proportion to their sizes; each class gets its share
    /// rounded down or up (largest remainders round up; ties go to the lower label), so a
    /// class's proportions differ between the sides by less than one sample.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] as for [`split`](Dataset::split), or if a class has a
    /// single sample, which cannot be on both sides.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use rand::SeedableRng;
    /// use rand::rngs::StdRng;
    /// use tapegrad_data::Dataset;
    ///
    /// // 80 samples of class 0 and 20 of class 1.
    /// let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 80)).collect();
    /// let data = Dataset::new(Array2::<f32>::zeros((100, 1)), labels)?;
    /// let (train, test) = data.split_stratified(0.25, &mut StdRng::seed_from_u64(0))?;
    /// assert_eq!(train.class_counts(), vec![60, 15]);
    /// assert_eq!(test.class_counts(), vec![20, 5]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn split_stratified<R: Rng + ?Sized>(
        &self,
        test_fraction: f64,
        rng: &mut R,
    ) -> Result<(Self, Self), DataError> {
        const CONTEXT: &str = "Dataset::split_stratified";
        let samples = self.len();
        let test = test_count(CONTEXT, test_fraction, samples)?;
        let counts = self.class_counts();
        if let Some(class) = counts.iter().position(|&count| count == 1) {
            return Err(DataError::InvalidArgument {
                context: CONTEXT,
                reason: format!(
                    "class {class} has a single sample: a stratified split needs at least two of each class"
                ),
            });
        }

        // Each class's exact share is test · count / samples; give every class the whole
        // part, then one more to the classes with the largest remainders until the total is
        // `test`. Integer arithmetic, so the shares add up exactly.
        let share = |count: usize| (test as u128 * count as u128 / samples as u128) as usize;
        let remainder = |count: usize| test as u128 * count as u128 % samples as u128;
        let mut per_class: Vec<usize> = counts.iter().map(|&count| share(count)).collect();
        let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
        by_remainder.sort_by_key(|&class| std::cmp::Reverse(remainder(counts[class])));
        let short = test - per_class.iter().sum::<usize>();
        for &class in &by_remainder[..short] {
            per_class[class] += 1;
        }

        let mut members: Vec<Vec<usize>> = counts.iter().map(|&count| Vec::with_capacity(count)).collect();
        for (index, &label) in self.labels().iter().enumerate() {
            members[label].push(index);
        }
        let (mut train_indices, mut test_indices) = (Vec::new(), Vec::new());
        for (mut class_members, class_test) in members.into_iter().zip(per_class) {
            class_members.shuffle(rng);
            test_indices.extend_from_slice(&class_members[..class_test]);
            train_indices.extend_from_slice(&class_members[class_test..]);
        }
        train_indices.shuffle(rng);
        test_indices.shuffle(rng);
        Ok((self.subset(&train_indices), self.subset(&test_indices)))
    }
}
