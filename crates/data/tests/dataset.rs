//! In-memory data sets: construction, mini-batches, splits, standardisation, one-hot.

use std::collections::BTreeSet;

use ndarray::{array, Array2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::{one_hot, DataError, Dataset, Standardizer};

/// `n` samples whose single feature is the sample's own index, labels `i % classes`.
fn numbered(n: usize, classes: usize) -> Dataset<f64> {
    let features = Array2::from_shape_fn((n, 2), |(i, j)| (i * 10 + j) as f64);
    Dataset::new(features, (0..n).map(|i| i % classes).collect()).unwrap()
}

/// The sample indices of each batch of one epoch.
fn epoch(data: &Dataset<f64>, batch_size: usize, rng: &mut StdRng) -> Vec<Vec<usize>> {
    data.batches(batch_size, rng).map(|batch| batch.indices).collect()
}

// ----- construction -----

#[test]
fn features_and_targets_must_agree_in_length() {
    let err = Dataset::new(Array2::<f32>::zeros((3, 2)), vec![0, 1]).unwrap_err();
    assert!(matches!(err, DataError::SampleCountMismatch { features: 3, targets: 2 }));
    assert_eq!(
        err.to_string(),
        "features and targets disagree: expected 3 targets (one per row of features), got 2"
    );
    let err = Dataset::new(Array2::<f32>::zeros((3, 2)), Array2::<f32>::zeros((4, 1))).unwrap_err();
    assert!(matches!(err, DataError::SampleCountMismatch { features: 3, targets: 4 }));
}

#[test]
fn subset_and_class_counts() {
    let data = numbered(5, 3);
    let picked = data.subset(&[4, 1, 1]);
    assert_eq!(picked.features(), &array![[40.0, 41.0], [10.0, 11.0], [10.0, 11.0]]);
    assert_eq!(picked.labels(), &[1, 1, 1]);
    assert_eq!(data.class_counts(), vec![2, 2, 1]);
    assert_eq!(data.num_classes(), 3);
}

#[test]
#[should_panic(expected = "index 5 is out of range for 5 samples")]
fn subset_out_of_range_panics_with_the_index() {
    numbered(5, 1).subset(&[0, 5]);
}

// ----- mini-batches -----

#[test]
fn batch_sizes_with_the_last_partial_batch_kept_or_dropped() {
    let data = numbered(10, 2);
    let mut rng = StdRng::seed_from_u64(0);
    let sizes: Vec<usize> = data.batches(3, &mut rng).map(|batch| batch.len()).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    let sizes: Vec<usize> = data.batches(3, &mut rng).drop_last(true).map(|batch| batch.len()).collect();
    assert_eq!(sizes, vec![3, 3, 3]);
    // When the batch size divides the data, dropping changes nothing.
    assert_eq!(data.batches(5, &mut rng).drop_last(true).count(), 2);
    // A batch larger than the data: one partial batch, or none.
    assert_eq!(data.batches(64, &mut rng).map(|batch| batch.len()).collect::<Vec<_>>(), vec![10]);
    assert_eq!(data.batches(64, &mut rng).drop_last(true).count(), 0);
}

#[test]
fn every_sample_exactly_once_per_epoch() {
    let data = numbered(103, 4);
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..3 {
        let mut seen: Vec<usize> = epoch(&data, 10, &mut rng).concat();
        assert_eq!(seen.len(), 103);
        seen.sort_unstable();
        assert_eq!(seen, (0..103).collect::<Vec<_>>());
    }
    // Dropping the last batch leaves out exactly its 3 samples, each at most once.
    let kept: Vec<usize> =
        data.batches(10, &mut rng).drop_last(true).flat_map(|batch| batch.indices).collect();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept.iter().collect::<BTreeSet<_>>().len(), 100);
}

#[test]
fn batch_rows_and_targets_are_those_of_its_indices() {
    let data = numbered(17, 3);
    let mut rng = StdRng::seed_from_u64(2);
    for batch in data.batches(4, &mut rng) {
        assert_eq!(batch.features, data.features().select(Axis(0), &batch.indices));
        let labels: Vec<usize> = batch.indices.iter().map(|&i| data.labels()[i]).collect();
        assert_eq!(batch.targets, labels);
    }
}

#[test]
fn regression_targets_follow_their_rows() {
    let features = Array2::from_shape_fn((7, 1), |(i, _)| i as f32);
    let targets = Array2::from_shape_fn((7, 2), |(i, j)| (i * 100 + j) as f32);
    let data = Dataset::new(features, targets).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    for batch in data.batches(3, &mut rng) {
        for (row, &i) in batch.indices.iter().enumerate() {
            assert_eq!(batch.features[[row, 0]], i as f32);
            assert_eq!(batch.targets.row(row).to_vec(), vec![(i * 100) as f32, (i * 100 + 1) as f32]);
        }
    }
}

#[test]
fn batches_are_deterministic_from_the_seed_and_differ_across_epochs_and_seeds() {
    let data = numbered(50, 5);
    let run = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..3).map(|_| epoch(&data, 8, &mut rng)).collect::<Vec<_>>()
    };
    let (first, again) = (run(42), run(42));
    assert_eq!(first, again, "same seed, same epochs");
    assert_ne!(first[0], first[1], "a fresh order each epoch");
    assert_ne!(first[1], first[2]);
    assert_ne!(first, run(43), "another seed, another order");
    // Shuffled, not the natural order.
    assert_ne!(first[0].concat(), (0..50).collect::<Vec<_>>());
}

#[test]
fn in_order_batches_and_exact_length() {
    let data = numbered(7, 2);
    let mut batches = data.batches_in_order(3);
    assert_eq!(batches.order(), &[0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(batches.len(), 3);
    assert_eq!(batches.next().unwrap().indices, vec![0, 1, 2]);
    assert_eq!(batches.len(), 2);
    assert_eq!(batches.next().unwrap().indices, vec![3, 4, 5]);
    assert_eq!(batches.next().unwrap().indices, vec![6]);
    assert_eq!(batches.len(), 0);
    assert!(batches.next().is_none());
    let empty = Dataset::<f32>::new(Array2::zeros((0, 3)), vec![]).unwrap();
    assert_eq!(empty.batches_in_order(4).count(), 0);
}

#[test]
#[should_panic(expected = "batch size must be at least 1")]
fn batch_size_zero_panics() {
    numbered(3, 1).batches(0, &mut StdRng::seed_from_u64(0));
}

// ----- splits -----

/// Checks that `train` and `test` together hold every sample of `numbered(n, _)` once.
fn assert_partition(train: &Dataset<f64>, test: &Dataset<f64>, n: usize) {
    let ids = |d: &Dataset<f64>| d.features().column(0).iter().map(|&x| x as usize / 10).collect::<Vec<_>>();
    let mut all = [ids(train), ids(test)].concat();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>());
}

#[test]
fn split_by_fraction_is_a_seeded_partition() {
    let data = numbered(10, 2);
    let (train, test) = data.split(0.3, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!((train.len(), test.len()), (7, 3));
    assert_partition(&train, &test, 10);
    let (train_again, test_again) = data.split(0.3, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!((train, test), (train_again, test_again));
    // ⌈fraction · n⌉ test samples, without floating-point error rounding 7 up to 8.
    let (train, test) = data.split(0.7, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!((train.len(), test.len()), (3, 7));
    let (train, test) = numbered(9, 2).split(0.25, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!((train.len(), test.len()), (6, 3)); // ⌈2.25⌉ = 3
}

#[test]
fn split_rejects_bad_fractions_and_empty_sides() {
    let data = numbered(10, 2);
    let mut rng = StdRng::seed_from_u64(0);
    for fraction in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        let err = data.split(fraction, &mut rng).unwrap_err();
        assert!(err.to_string().contains("must be between 0 and 1"), "{fraction}: {err}");
    }
    let err = numbered(1, 1).split(0.5, &mut rng).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Dataset::split: a test fraction of 0.5 of 1 samples leaves 1 for testing and 0 for training: \
         each side needs at least one"
    );
    let err = numbered(10, 2).split(0.95, &mut rng).unwrap_err();
    assert!(err.to_string().contains("leaves 10 for testing and 0 for training"), "{err}");
}

#[test]
fn stratified_split_keeps_each_class_share() {
    // Classes of 50, 30 and 20 samples (labels i % 10 mapped to 0/1/2).
    let labels: Vec<usize> = (0..100).map(|i| [0, 0, 0, 0, 0, 1, 1, 1, 2, 2][i % 10]).collect();
    let features = Array2::from_shape_fn((100, 2), |(i, j)| (i * 10 + j) as f64);
    let data = Dataset::new(features, labels).unwrap();
    let (train, test) = data.split_stratified(0.2, &mut StdRng::seed_from_u64(9)).unwrap();
    assert_eq!(test.class_counts(), vec![10, 6, 4]);
    assert_eq!(train.class_counts(), vec![40, 24, 16]);
    assert_partition(&train, &test, 100);
    // Shuffled on both sides, not grouped by class.
    assert_ne!(test.labels(), &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    let again = data.split_stratified(0.2, &mut StdRng::seed_from_u64(9)).unwrap();
    assert_eq!((train, test), again);
}

#[test]
fn stratified_split_rounds_each_share_and_keeps_the_total() {
    // Classes of 7, 5 and 3: 0.3 of 15 is 4.5, so 5 test samples shared 2.33 / 1.67 / 1.0.
    let labels: Vec<usize> = [vec![0; 7], vec![1; 5], vec![2; 3]].concat();
    let data = Dataset::new(Array2::<f32>::zeros((15, 1)), labels).unwrap();
    let (train, test) = data.split_stratified(0.3, &mut StdRng::seed_from_u64(0)).unwrap();
    assert_eq!(test.len(), 5);
    assert_eq!(test.class_counts(), vec![2, 2, 1]);
    assert_eq!(train.class_counts(), vec![5, 3, 2]);
}

#[test]
fn stratified_split_needs_two_of_each_class() {
    let data = Dataset::new(Array2::<f32>::zeros((5, 1)), vec![0, 0, 1, 0, 2]).unwrap();
    let err = data.split_stratified(0.4, &mut StdRng::seed_from_u64(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Dataset::split_stratified: class 1 has a single sample: a stratified split needs at least two of each class"
    );
}

// ----- standardisation -----

#[test]
fn standardized_training_data_has_mean_zero_and_std_one() {
    let train = array![[1.0f64, -10.0, 3.0], [2.0, 0.0, 5.0], [4.0, 10.0, 4.0], [9.0, 40.0, 8.0]];
    let (standardizer, standardized) = Standardizer::fit_transform(&train).unwrap();
    for column in standardized.columns() {
        let mean = column.mean().unwrap();
        let std = column.std(0.0); // population std, as the standardizer uses
        assert!(mean.abs() < 1e-12, "{mean}");
        assert!((std - 1.0).abs() < 1e-12, "{std}");
    }
    // mean [4, 10, 5]; population std of column 0 = √((9 + 4 + 0 + 25) / 4) = √9.5
    assert_eq!(standardizer.mean(), &array![4.0, 10.0, 5.0]);
    assert!((standardizer.std()[0] - 9.5f64.sqrt()).abs() < 1e-12);
}

#[test]
fn test_data_is_mapped_with_the_training_statistics() {
    let train = array![[0.0f32, 100.0], [2.0, 300.0]]; // mean [1, 200], std [1, 100]
    let standardizer = Standardizer::fit(&train).unwrap();
    let test = array![[1.0f32, 500.0], [-3.0, 200.0]];
    assert_eq!(standardizer.transform(&test).unwrap(), array![[0.0f32, 3.0], [-4.0, 0.0]]);
    assert_eq!(standardizer.inverse_transform(&standardizer.transform(&test).unwrap()).unwrap(), test);
    // Through data sets: features change, labels stay.
    let data = Dataset::new(test.clone(), vec![1, 0]).unwrap();
    let mapped = standardizer.transform_dataset(&data).unwrap();
    assert_eq!(mapped.features(), &array![[0.0f32, 3.0], [-4.0, 0.0]]);
    assert_eq!(mapped.labels(), &[1, 0]);
}

#[test]
fn constant_features_are_centred_not_divided_by_zero() {
    // 0.1 three times: a computed mean would be 0.10000000000000002, and dividing the
    // rounding error by a tiny std would give ±1. The column is exactly constant instead.
    let train = array![[0.1f64, 1.0], [0.1, 2.0], [0.1, 3.0]];
    let standardizer = Standardizer::fit(&train).unwrap();
    assert_eq!((standardizer.mean()[0], standardizer.std()[0], standardizer.scale()[0]), (0.1, 0.0, 1.0));
    let standardized = standardizer.transform(&train).unwrap();
    assert_eq!(standardized.column(0).to_vec(), vec![0.0, 0.0, 0.0]);
    let test = standardizer.transform(&array![[0.6, 2.0]]).unwrap();
    assert!((test[[0, 0]] - 0.5).abs() < 1e-15, "x − mean, divided by 1");
    assert!(standardized.iter().chain(test.iter()).all(|x| x.is_finite()));
}

#[test]
fn standardizer_errors_name_the_shapes() {
    let standardizer = Standardizer::fit(&array![[1.0f64, 2.0, 3.0]]).unwrap();
    let err = standardizer.transform(&array![[1.0, 2.0]]).unwrap_err();
    assert!(matches!(err, DataError::FeatureCountMismatch { expected: 3, actual: 2, .. }));
    let err = standardizer.inverse_transform(&array![[1.0, 2.0, 3.0, 4.0]]).unwrap_err();
    assert_eq!(err.to_string(), "Standardizer::inverse_transform: expected 3 features (columns), got 4");
    let err = Standardizer::<f64>::fit(&Array2::zeros((0, 3))).unwrap_err();
    assert!(err.to_string().starts_with("Standardizer::fit: no samples"), "{err}");
}

// ----- one-hot -----

#[test]
fn one_hot_rows_have_a_single_one_at_the_label() {
    let encoded = one_hot::<f64>(&[1, 0, 3, 1], 4).unwrap();
    assert_eq!(
        encoded,
        array![[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]]
    );
    assert_eq!(one_hot::<f32>(&[], 3).unwrap().shape(), &[0, 3]);
    let err = one_hot::<f32>(&[0, 1, 5, 9], 5).unwrap_err();
    assert!(matches!(err, DataError::LabelOutOfRange { position: 2, label: 5, num_classes: 5 }));

    let data = numbered(4, 3);
    let encoded = data.one_hot(3).unwrap();
    assert_eq!(encoded.targets(), &one_hot::<f64>(&[0, 1, 2, 0], 3).unwrap());
    assert_eq!(encoded.features(), data.features());
    assert!(data.one_hot(2).is_err());
}

/// Class 3 of issue 11: `Dataset::new` is the one door every loader and user goes through,
/// so labels are bounded there too: no split, count or one-hot is sized by `usize::MAX`.
#[test]
fn labels_at_or_above_max_classes_are_refused_by_dataset_new() {
    use tapegrad_data::MAX_CLASSES;
    for label in [MAX_CLASSES, MAX_CLASSES + 1, usize::MAX] {
        let err = Dataset::new(ndarray::Array2::<f32>::zeros((3, 1)), vec![0, 1, label]).unwrap_err();
        assert!(
            matches!(err, DataError::LabelOutOfRange { position: 2, label: l, num_classes: MAX_CLASSES } if l == label),
            "{err:?}"
        );
    }
    let top = MAX_CLASSES - 1;
    let data = Dataset::new(Array2::<f32>::zeros((4, 1)), vec![0, top, 0, top]).unwrap();
    assert_eq!(data.num_classes(), MAX_CLASSES);
    let (train, test) = data.split_stratified(0.5, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_eq!((train.class_counts()[top], test.class_counts()[top]), (1, 1));
}

/// A class count far beyond any label is refused before a matrix is sized by it.
#[test]
fn one_hot_refuses_an_absurd_class_count() {
    for classes in [tapegrad_data::MAX_CLASSES + 1, usize::MAX] {
        let err = one_hot::<f32>(&[0, 1], classes).unwrap_err();
        assert!(matches!(err, DataError::InvalidArgument { context: "one_hot", .. }), "{err:?}");
    }
    assert_eq!(
        one_hot::<f32>(&[], tapegrad_data::MAX_CLASSES).unwrap().dim(),
        (0, tapegrad_data::MAX_CLASSES)
    );
}

/// Values near `f64::MAX` (finite, so every loader accepts them) do not overflow the
/// mean and deviation to infinity.
#[test]
fn standardizing_values_near_the_largest_float_stays_finite() {
    let features: Array2<f64> = array![[1.7e308], [1.5e308], [-1.7e308]];
    let standardizer = Standardizer::fit(&features).unwrap();
    let scaled = standardizer.transform(&features).unwrap();
    assert!(scaled.iter().all(|v| v.is_finite()), "{scaled}");
    let mean: f64 = (1.7e308 / 3.0) + (1.5e308 / 3.0) - (1.7e308 / 3.0);
    assert!((standardizer.mean()[0] - mean).abs() <= 1e-12 * 1.7e308, "{}", standardizer.mean()[0]);
}

#[test]
fn standardizing_chosen_columns_leaves_the_others_bit_for_bit() {
    // Columns: a measurement, a category index, another measurement, a flag (with -0.0).
    let train = Array2::from_shape_fn((50, 4), |(i, j)| match j {
        0 => 100.0 + i as f64 * 3.5,
        1 => (i % 7) as f64,
        2 => (i as f64).sin() * 1e-3,
        _ => {
            if i % 2 == 0 {
                -0.0
            } else {
                1.0
            }
        }
    });
    let standardizer = Standardizer::fit_columns(&train, &[2, 0, 2]).unwrap(); // order and repeats do not matter
    assert_eq!(standardizer.columns(), [0, 2]);
    let out = standardizer.transform(&train).unwrap();
    for j in [1, 3] {
        let same = out.column(j).iter().zip(train.column(j)).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "column {j} changed");
    }
    for j in [0, 2] {
        let column = out.column(j);
        assert!(column.mean().unwrap().abs() < 1e-12);
        assert!((column.mapv(|v| v * v).mean().unwrap() - 1.0).abs() < 1e-9);
    }
    // The same numbers as standardizing everything, in the chosen columns.
    let all = Standardizer::fit(&train).unwrap().transform(&train).unwrap();
    assert_eq!(out.column(0), all.column(0));
    assert_eq!(out.column(2), all.column(2));
    // And back, exactly for the untouched columns.
    let back = standardizer.inverse_transform(&out).unwrap();
    assert!(back.column(3).iter().zip(train.column(3)).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert!(back.iter().zip(&train).all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0)));
    // Nothing chosen is the identity; a column out of range is named.
    let none = Standardizer::fit_columns(&train, &[]).unwrap();
    assert_eq!(none.transform(&train).unwrap(), train);
    let error = Standardizer::fit_columns(&train, &[0, 4]).unwrap_err();
    assert!(error.to_string().contains("column 4 is out of range: the features have 4 columns"), "{error}");
}
