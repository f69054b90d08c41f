//! Mini-batches: one pass (epoch) over a [`Dataset`] in a seeded random order, or in
//! order for evaluation.

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::{Dataset, Targets};

/// One mini-batch: the features and targets of some samples, and which samples they are.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Dataset;
/// let data = Dataset::new(array![[0.0f32], [1.0], [2.0]], vec![0, 1, 0])?;
/// let batch = data.batches_in_order(2).next().unwrap();
/// assert_eq!(batch.features, array![[0.0f32], [1.0]]);
/// assert_eq!(batch.targets, vec![0, 1]);
/// assert_eq!(batch.indices, vec![0, 1]);
/// assert_eq!(batch.len(), 2);
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T, Y = Vec<usize>> {
    /// The features, `[batch, features]`.
    pub features: Array2<T>,
    /// The targets, one per row of `features`.
    pub targets: Y,
    /// The positions of these samples in the data set.
    pub indices: Vec<usize>,
}

impl<T, Y> Batch<T, Y> {
    /// The number of samples in the batch.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[0.0f32], [1.0], [2.0]], vec![0, 1, 0])?;
    /// let sizes: Vec<usize> = data.batches_in_order(2).map(|batch| batch.len()).collect();
    /// assert_eq!(sizes, vec![2, 1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch has no samples (never true for a batch from [`Batches`]).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[0.0f32]], vec![0])?;
    /// assert!(!data.batches_in_order(4).next().unwrap().is_empty());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// An iterator over the mini-batches of one epoch, made by [`Dataset::batches`] (shuffled)
/// or [`Dataset::batches_in_order`]. Every sample appears exactly once per epoch, except
/// the last partial batch's when [`drop_last`](Batches::drop_last) is set.
///
/// ```
/// use ndarray::Array2;
/// use rand::SeedableRng;
/// use rand::rngs::StdRng;
/// use tapegrad_data::Dataset;
///
/// let data = Dataset::new(Array2::<f32>::zeros((10, 3)), vec![0; 10])?;
/// let mut rng = StdRng::seed_from_u64(7);
/// for _epoch in 0..2 {
///     // A fresh order each epoch, drawn from `rng`: the same seed gives the same epochs.
///     let batches = data.batches(4, &mut rng);
///     assert_eq!(batches.len(), 3); // 4 + 4 + 2
///     for batch in batches {
///         assert_eq!(batch.features.ncols(), 3);
///     }
/// }
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Batches<'a, T, Y = Vec<usize>> {
    dataset: &'a Dataset<T, Y>,
    order: Vec<usize>,
    position: usize,
    batch_size: usize,
    drop_last: bool,
}

impl<'a, T, Y> Batches<'a, T, Y> {
    /// Whether to drop the last batch when it has fewer than `batch_size` samples
    /// (PyTorch's `drop_last`). By default it is kept.
    ///
    /// ```
    /// # use ndarray::Array2;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(Array2::<f32>::zeros((10, 1)), vec![0; 10])?;
    /// assert_eq!(data.batches_in_order(4).count(), 3);
    /// assert_eq!(data.batches_in_order(4).drop_last(true).count(), 2);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The order in which the epoch visits the samples (positions in the data set),
    /// including any that a dropped last batch would leave out.
    ///
    /// ```
    /// # use ndarray::Array2;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(Array2::<f32>::zeros((3, 1)), vec![0; 3])?;
    /// assert_eq!(data.batches_in_order(2).order(), &[0, 1, 2]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The number of batches left, as [`ExactSizeIterator::len`] reports it.
    fn remaining(&self) -> usize {
        let samples = self.order.len() - self.position;
        if self.drop_last {
            samples / self.batch_size
        } else {
            samples.div_ceil(self.batch_size)
        }
    }
}

impl<'a, T: Clone, Y: Targets> Iterator for Batches<'a, T, Y> {
    type Item = Batch<T, Y>;

    fn next(&mut self) -> Option<Batch<T, Y>> {
        if self.remaining() == 0 {
            return None;
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let indices = self.order[self.position..end].to_vec();
        self.position = end;
        Some(Batch {
            features: self.dataset.features().select(Axis(0), &indices),
            targets: self.dataset.targets().select_samples(&indices),
            indices,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining(), Some(self.remaining()))
    }
}

impl<'a, T: Clone, Y: Targets> ExactSizeIterator for Batches<'a, T, Y> {}

impl<T: Clone, Y: Targets> Dataset<T, Y> {
    /// One epoch of mini-batches of `batch_size` samples in a random order drawn from
    /// `rng`. Each call shuffles afresh, so successive epochs differ, and the same seed
    /// gives the same epochs, bit for bit. The last batch is smaller when `batch_size`
    /// does not divide the number of samples, unless
    /// [`drop_last(true)`](Batches::drop_last) drops it.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    ///
    /// ```
    /// use ndarray::array;
    /// use rand::SeedableRng;
    /// use rand::rngs::StdRng;
    /// use tapegrad_data::Dataset;
    ///
    /// let data = Dataset::new(array![[0.0f32], [1.0], [2.0], [3.0], [4.0]], vec![0, 1, 0, 1, 0])?;
    /// let epoch = |seed| {
    ///     let mut rng = StdRng::seed_from_u64(seed);
    ///     data.batches(2, &mut rng).map(|batch| batch.indices).collect::<Vec<_>>()
    /// };
    /// assert_eq!(epoch(1), epoch(1)); // deterministic from the seed
    /// let mut seen: Vec<usize> = epoch(1).concat();
    /// seen.sort();
    /// assert_eq!(seen, vec![0, 1, 2, 3, 4]); // every sample once
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn batches<R: Rng + ?Sized>(&self, batch_size: usize, rng: &mut R) -> Batches<'_, T, Y> {
        let mut batches = self.batches_in_order(batch_size);
        batches.order.shuffle(rng);
        batches
    }

    /// One epoch of mini-batches in the data set's own order, for evaluation. The last
    /// batch is kept, smaller, unless [`drop_last(true)`](Batches::drop_last) drops it.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// let data = Dataset::new(array![[0.0f32], [1.0], [2.0]], vec![0, 1, 0])?;
    /// let labels: Vec<Vec<usize>> = data.batches_in_order(2).map(|batch| batch.targets).collect();
    /// assert_eq!(labels, vec![vec![0, 1], vec![0]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn batches_in_order(&self, batch_size: usize) -> Batches<'_, T, Y> {
        assert!(batch_size > 0, "Dataset::batches: the batch size must be at least 1");
        Batches { dataset: self, order: (0..self.len()).collect(), position: 0, batch_size, drop_last: false }
    }
}
