//! MNIST from a directory holding its four standard IDX files, under any of their usual
//! names, compressed or not.

// Reached by data from outside (files): no unwrap, expect, panic, indexing or unchecked
// arithmetic outside the tests (`docs/reliability.md`); each exception is local and says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::path::{Path, PathBuf};

use tapegrad_tape::Float;

use crate::{load_idx, DataError, Dataset};

/// The four files MNIST needs, by their standard names: training images and labels, then
/// test images and labels.
pub(crate) const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The names a standard file goes by, in order of preference: `train-images-idx3-ubyte`,
/// then with `.gz`, then dot-named (`train-images.idx3-ubyte`), then that with `.gz`.
fn candidates(standard: &str) -> [String; 4] {
    let dotted = standard.replacen("-idx", ".idx", 1);
    [standard.to_string(), format!("{standard}.gz"), dotted.clone(), format!("{dotted}.gz")]
}

/// Loads MNIST from `directory` as `(train, test)`: 60,000 and 10,000 samples of 784
/// pixels (28 × 28, row by row) scaled from 0..=255 to [0, 1] as `pixel / 255`, with
/// labels 0 to 9.
///
/// The directory must hold the four standard files, `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`,
/// each either as named, gzip-compressed with a `.gz` suffix (as distributed), or
/// dot-named (`train-images.idx3-ubyte`, with or without `.gz`). Where several variants
/// are present, the first in that order is read. Any IDX files of the same layout
/// (Fashion-MNIST, KMNIST) load the same way.
///
/// # Errors
/// [`DataError::MissingMnistFiles`] listing the files not found (and all four it needs);
/// [`DataError::Io`] if the directory cannot be read; otherwise as [`load_idx`].
///
/// ```
/// use tapegrad_data::{load_mnist, DataError};
///
/// // A tiny stand-in for MNIST: two 1 × 2 training images and one test image.
/// let dir = std::env::temp_dir().join("tapegrad-doc-mnist");
/// std::fs::create_dir_all(&dir)?;
/// let images = |count: u8, pixels: &[u8]| [&[0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 1, 0, 0, 0, 2], pixels].concat();
/// let labels = |values: &[u8]| [&[0, 0, 8, 1, 0, 0, 0, values.len() as u8], values].concat();
/// std::fs::write(dir.join("train-images-idx3-ubyte"), images(2, &[0, 255, 255, 0]))?;
/// std::fs::write(dir.join("train-labels.idx1-ubyte"), labels(&[1, 0]))?; // dot-named works too
/// std::fs::write(dir.join("t10k-images-idx3-ubyte"), images(1, &[255, 255]))?;
/// # let _ = std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte"));
///
/// let err = load_mnist::<f32>(&dir).unwrap_err();
/// assert!(matches!(&err, DataError::MissingMnistFiles { missing, .. } if missing == &["t10k-labels-idx1-ubyte"]));
/// println!("{err}"); // names the missing file and all four that are needed
///
/// std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels(&[7]))?;
/// let (train, test) = load_mnist::<f32>(&dir)?;
/// assert_eq!(train.features(), &ndarray::array![[0.0, 1.0], [1.0, 0.0]]);
/// assert_eq!((train.labels(), test.labels()), (&[1, 0][..], &[7][..]));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_mnist<T: Float>(directory: impl AsRef<Path>) -> Result<(Dataset<T>, Dataset<T>), DataError> {
    let directory = directory.as_ref();
    // Fails, naming the directory, if it does not exist or cannot be listed.
    std::fs::read_dir(directory).map_err(|source| DataError::Io {
        action: "list the directory",
        path: directory.to_path_buf(),
        source,
    })?;
    let found: [Option<PathBuf>; 4] = MNIST_FILES.map(|standard| {
        candidates(standard).into_iter().map(|name| directory.join(name)).find(|path| path.is_file())
    });
    let [Some(train_images), Some(train_labels), Some(test_images), Some(test_labels)] = found else {
        let missing = MNIST_FILES
            .iter()
            .zip(&found)
            .filter(|(_, path)| path.is_none())
            .map(|(standard, _)| standard.to_string())
            .collect();
        return Err(DataError::MissingMnistFiles { directory: directory.to_path_buf(), missing });
    };
    let train = load_idx(&train_images, &train_labels)?;
    let test = load_idx(&test_images, &test_labels)?;
    Ok((train, test))
}
