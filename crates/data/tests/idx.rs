//! The IDX loader and the MNIST directory helper, on small IDX files written here: plain
//! and gzip round trips, wrong magic numbers, mismatched counts, truncation at every
//! offset (an error, never a panic), and directories missing files.

use crate::common::{gzip, TempDir};
use ndarray::array;
use tapegrad_data::{load_idx, load_mnist, read_idx_images, read_idx_labels, DataError, IdxProblem};

/// An idx1 file of unsigned-byte labels: magic 0x00000801, the count, the labels.
fn labels_file(labels: &[u8]) -> Vec<u8> {
    [&[0, 0, 8, 1][..], &(labels.len() as u32).to_be_bytes(), labels].concat()
}

/// An idx3 file of unsigned-byte images: magic 0x00000803, count, rows, columns, pixels.
fn images_file(count: u32, rows: u32, columns: u32, pixels: &[u8]) -> Vec<u8> {
    assert_eq!(pixels.len(), (count * rows * columns) as usize);
    let header = [[0, 0, 8, 3], count.to_be_bytes(), rows.to_be_bytes(), columns.to_be_bytes()].concat();
    [header.as_slice(), pixels].concat()
}

/// Three 2 × 3 images whose pixels count up from 0, in steps of 51 (0, 0.2, …, 1.0).
fn three_images() -> Vec<u8> {
    let pixels: Vec<u8> = (0..18u8).map(|i| (i % 6) * 51).collect();
    images_file(3, 2, 3, &pixels)
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn idx_problem(err: DataError) -> IdxProblem {
    match err {
        DataError::Idx { problem, .. } => problem,
        other => panic!("expected an IDX error, got {other:?}"),
    }
}

#[test]
fn labels_and_images_round_trip_plain_and_gzip() {
    let dir = TempDir::new("idx-round-trip");
    let expected_row = [0.0f32, 0.2, 0.4, 0.6, 0.8, 1.0];
    for (suffix, encode) in
        [("", (|b: &[u8]| b.to_vec()) as fn(&[u8]) -> Vec<u8>), (".gz", |b: &[u8]| gzip(b))]
    {
        let labels = write(&dir, &format!("labels-idx1-ubyte{suffix}"), &encode(&labels_file(&[7, 0, 9])));
        let images = write(&dir, &format!("images-idx3-ubyte{suffix}"), &encode(&three_images()));
        assert_eq!(read_idx_labels(&labels).unwrap(), vec![7, 0, 9]);
        let read = read_idx_images::<f32>(&images).unwrap();
        assert_eq!(read.dim(), (3, 2, 3));
        assert_eq!(read.slice(ndarray::s![1, .., ..]), array![[0.0f32, 0.2, 0.4], [0.6, 0.8, 1.0]]);
        let data = load_idx::<f32>(&images, &labels).unwrap();
        assert_eq!((data.len(), data.num_features()), (3, 6));
        assert_eq!(data.features().row(2).to_vec(), expected_row.to_vec()); // row by row
        assert_eq!(data.labels(), &[7, 0, 9]);
    }
    // Pixels are pixel / 255: the ends exact, in both element types.
    let images = write(&dir, "ends-idx3-ubyte", &images_file(1, 1, 3, &[0, 128, 255]));
    assert_eq!(
        read_idx_images::<f64>(&images).unwrap().into_raw_vec_and_offset().0,
        vec![0.0, 128.0 / 255.0, 1.0]
    );
}

#[test]
fn wrong_magic_numbers_say_what_was_expected_and_found() {
    let dir = TempDir::new("idx-magic");
    let labels = write(&dir, "labels", &labels_file(&[1]));
    let images = write(&dir, "images", &three_images());
    // Swapped: each reader names the magic it wanted and what the file is.
    let err = read_idx_images::<f32>(&labels).unwrap_err();
    assert!(err.to_string().ends_with(
        "expected the magic number 0x00000803 (idx3, unsigned bytes) at offset 0, found 0x00000801 (idx1, unsigned bytes)"
    ), "{err}");
    assert_eq!(idx_problem(err), IdxProblem::BadMagic { expected: 0x0803, found: 0x0801 });
    let err = read_idx_labels(&images).unwrap_err();
    assert_eq!(idx_problem(err), IdxProblem::BadMagic { expected: 0x0801, found: 0x0803 });
    // Not IDX at all; and IDX of another element type.
    let text = write(&dir, "text", b"hello, world");
    let err = read_idx_labels(&text).unwrap_err();
    assert!(err.to_string().contains("found 0x68656c6c (not an IDX file)"), "{err}");
    let floats = write(&dir, "floats", &[0, 0, 0x0D, 1, 0, 0, 0, 0]);
    let err = read_idx_labels(&floats).unwrap_err();
    assert!(err.to_string().contains("found 0x00000d01 (idx1, 32-bit floats)"), "{err}");
}

#[test]
fn mismatched_image_and_label_counts_name_both_files() {
    let dir = TempDir::new("idx-counts");
    let labels = write(&dir, "two-labels", &labels_file(&[1, 2]));
    let images = write(&dir, "three-images", &three_images());
    let err = load_idx::<f32>(&images, &labels).unwrap_err();
    assert!(matches!(err, DataError::ImageLabelMismatch { images: 3, labels: 2, .. }));
    let message = err.to_string();
    assert!(
        message.starts_with("3 images in ") && message.contains("three-images but 2 labels in "),
        "{message}"
    );
    assert!(message.ends_with("two-labels: expected one label per image"), "{message}");
}

#[test]
fn truncation_at_every_offset_is_an_error_naming_the_offset() {
    let dir = TempDir::new("idx-truncated");
    for (bytes, is_images) in [(labels_file(&[3, 1, 4, 1, 5]), false), (three_images(), true)] {
        for cut in 0..bytes.len() {
            for compressed in [false, true] {
                let content = if compressed { gzip(&bytes[..cut]) } else { bytes[..cut].to_vec() };
                let path = write(&dir, "cut", &content);
                let err = if is_images {
                    read_idx_images::<f32>(&path).map(|_| ())
                } else {
                    read_idx_labels(&path).map(|_| ())
                }
                .unwrap_err();
                let message = err.to_string();
                let problem = idx_problem(err);
                let IdxProblem::Truncated { offset, expected, actual, decompressed, .. } = problem else {
                    panic!("cut at {cut}: expected truncation, got {problem:?}");
                };
                assert_eq!((actual, decompressed), (cut as u64, compressed), "{message}");
                assert!(offset <= actual && actual < expected, "{message}");
                assert!(message.contains(&format!("truncated at offset {cut}: reading ")), "{message}");
            }
        }
    }
}

#[test]
fn truncation_messages_name_the_part_and_the_sizes() {
    let dir = TempDir::new("idx-truncated-messages");
    let images = three_images();
    let cases = [
        (2, "reading the 4-byte magic number at offset 0 needs the file to have 4 bytes, but it has 2"),
        (10, "reading the size of dimension 2 of 3 (4 bytes) at offset 8 needs the file to have 12 bytes, but it has 10"),
        (20, "reading the pixels of 3 images of 2×3 at offset 16 needs the file to have 34 bytes, but it has 20"),
    ];
    for (cut, expected) in cases {
        let path = write(&dir, "images-idx3-ubyte", &images[..cut]);
        let message = read_idx_images::<f32>(&path).unwrap_err().to_string();
        assert!(message.ends_with(expected), "{message}");
    }
    let path = write(&dir, "images-idx3-ubyte.gz", &gzip(&images[..20]));
    let message = read_idx_images::<f32>(&path).unwrap_err().to_string();
    assert!(message.contains("needs the decompressed file to have 34 bytes"), "{message}");
}

#[test]
fn damaged_gzip_trailing_bytes_and_absurd_headers_are_errors() {
    let dir = TempDir::new("idx-damaged");
    let compressed = gzip(&three_images());
    for cut in [2, 5, 12, compressed.len() - 4, compressed.len() - 1] {
        let path = write(&dir, "images.gz", &compressed[..cut]);
        let err = read_idx_images::<f32>(&path).unwrap_err();
        assert!(matches!(err, DataError::Gzip { .. }), "cut at {cut}: {err:?}");
    }
    let path = write(&dir, "long", &[labels_file(&[1, 2]), vec![0; 3]].concat());
    let err = read_idx_labels(&path).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("the file has 13 bytes, but its header describes 10: 3 unexpected bytes from offset 10"));
    assert_eq!(
        idx_problem(err),
        IdxProblem::TrailingBytes { expected: 10, actual: Some(13), decompressed: false }
    );
    // A header claiming 2³² − 1 images of 2³² − 1 × 2³² − 1 pixels: an error, not an allocation.
    let path = write(&dir, "huge", &[[0, 0, 8, 3], [255; 4], [255; 4], [255; 4]].concat());
    let err = read_idx_images::<f32>(&path).unwrap_err();
    assert!(err.to_string().ends_with("no array can have that many elements"), "{err}");
    assert_eq!(idx_problem(err), IdxProblem::TooLarge { dimensions: vec![u32::MAX as u64; 3] });
}

/// Class 1 of issue 11: header arithmetic. Dimensions whose product overflows are an
/// error even when the count is 0 (no bytes needed, but no such array), through every
/// entry point that reads images.
#[test]
fn header_products_that_overflow_are_errors_even_with_no_images() {
    let dir = TempDir::new("idx-overflow");
    let huge = |count: [u8; 4]| [[0, 0, 8, 3], count, [255; 4], [255; 4]].concat();
    let empty = |rows: [u8; 4], columns: [u8; 4]| [[0, 0, 8, 3], [0; 4], rows, columns].concat();
    let headers = [
        huge([0; 4]),
        huge([0, 0, 0, 1]),
        empty([255; 4], [255; 4]),
        empty([0, 1, 0, 0], [0, 1, 0, 0]), // 2¹⁶ · 2¹⁶: fits; 0 images of 65536²: fine
        [[0, 0, 8, 3], [0, 0, 0, 2], [255; 4], [255; 4]].concat(),
    ];
    let labels = write(&dir, "labels", &labels_file(&[]));
    for (case, header) in headers.iter().enumerate() {
        for compress in [false, true] {
            let bytes = if compress { gzip(header) } else { header.clone() };
            let images = write(&dir, "images", &bytes);
            let read = read_idx_images::<f32>(&images);
            let loaded = load_idx::<f64>(&images, &labels);
            if case == 3 {
                assert_eq!(read.unwrap().dim(), (0, 65536, 65536));
                assert_eq!(loaded.unwrap().num_features(), 1 << 32);
                continue;
            }
            for err in [read.map(|_| ()).unwrap_err(), loaded.map(|_| ()).unwrap_err()] {
                assert!(matches!(idx_problem(err), IdxProblem::TooLarge { .. }), "case {case}");
            }
        }
    }
    // The MNIST directory loader goes through the same checks.
    let mnist = TempDir::new("idx-overflow-mnist");
    tiny_mnist(
        &mnist,
        [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ],
        false,
    );
    write(&mnist, "t10k-images-idx3-ubyte", &huge([0; 4]));
    let err = load_mnist::<f32>(mnist.path()).unwrap_err();
    assert!(matches!(idx_problem(err), IdxProblem::TooLarge { .. }));
}

/// Class 6 of issue 11: a small gzip file that inflates far past what its header declares
/// is rejected after decompressing one byte more than the header's length, not all of it.
#[test]
fn a_gzip_bomb_is_not_inflated_past_its_header() {
    let dir = TempDir::new("idx-bomb");
    // Two labels, then 256 MiB of zeros: about 256 KiB compressed.
    let bomb = gzip(&[labels_file(&[1, 2]), vec![0; 256 << 20]].concat());
    assert!(bomb.len() < 1 << 20);
    let path = write(&dir, "labels.gz", &bomb);
    let err = read_idx_labels(&path).unwrap_err();
    let message = err.to_string();
    assert!(message.ends_with("the decompressed file goes on past the 10 bytes its header describes (decompression stopped at offset 10)"), "{message}");
    assert_eq!(
        idx_problem(err),
        IdxProblem::TrailingBytes { expected: 10, actual: None, decompressed: true }
    );
}

/// Writes a tiny MNIST (2 training and 1 test sample of 1 × 2 pixels) under the given names.
fn tiny_mnist(dir: &TempDir, names: [&str; 4], compress: bool) {
    let files = [
        images_file(2, 1, 2, &[0, 255, 255, 0]),
        labels_file(&[1, 0]),
        images_file(1, 1, 2, &[255, 255]),
        labels_file(&[7]),
    ];
    for (name, bytes) in names.iter().zip(files) {
        write(dir, name, &if compress { gzip(&bytes) } else { bytes });
    }
}

#[test]
fn mnist_directories_with_dash_dot_plain_and_gzip_names() {
    let variants = [
        (
            [
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
            ],
            true,
        ),
        (
            [
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
            false,
        ),
        (
            [
                "train-images.idx3-ubyte",
                "train-labels.idx1-ubyte",
                "t10k-images.idx3-ubyte",
                "t10k-labels.idx1-ubyte",
            ],
            false,
        ),
        (
            [
                "train-images.idx3-ubyte.gz",
                "train-labels.idx1-ubyte.gz",
                "t10k-images.idx3-ubyte.gz",
                "t10k-labels.idx1-ubyte.gz",
            ],
            true,
        ),
    ];
    for (index, (names, compress)) in variants.into_iter().enumerate() {
        let dir = TempDir::new(&format!("mnist-{index}"));
        tiny_mnist(&dir, names, compress);
        let (train, test) = load_mnist::<f32>(dir.path()).unwrap();
        assert_eq!(train.features(), &array![[0.0f32, 1.0], [1.0, 0.0]], "{names:?}");
        assert_eq!((train.labels(), test.labels()), (&[1, 0][..], &[7][..]));
        assert_eq!(test.features(), &array![[1.0f32, 1.0]]);
    }
}

#[test]
fn a_directory_missing_files_names_the_four_it_needs() {
    let dir = TempDir::new("mnist-missing");
    tiny_mnist(
        &dir,
        ["train-images-idx3-ubyte.gz", "train-labels.idx1-ubyte", "unused-1", "unused-2"],
        false,
    );
    let err = load_mnist::<f32>(dir.path()).unwrap_err();
    let message = err.to_string();
    let DataError::MissingMnistFiles { missing, .. } = err else { panic!("{message}") };
    assert_eq!(missing, vec!["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]);
    assert!(
        message.contains("missing the MNIST file(s) t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte."),
        "{message}"
    );
    assert!(
        message.contains(
            "needs all four: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"
        ),
        "{message}"
    );
    // An empty directory misses all four; a directory that does not exist is an I/O error.
    let empty = TempDir::new("mnist-empty");
    let DataError::MissingMnistFiles { missing, .. } = load_mnist::<f32>(empty.path()).unwrap_err() else {
        panic!()
    };
    assert_eq!(missing.len(), 4);
    let err = load_mnist::<f32>(empty.join("absent")).unwrap_err();
    assert!(err.to_string().starts_with("cannot list the directory "), "{err}");
}

#[test]
fn a_damaged_file_in_an_mnist_directory_is_named() {
    let dir = TempDir::new("mnist-damaged");
    tiny_mnist(
        &dir,
        [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ],
        false,
    );
    write(&dir, "t10k-labels-idx1-ubyte", &labels_file(&[7, 8]));
    let err = load_mnist::<f32>(dir.path()).unwrap_err();
    assert!(matches!(err, DataError::ImageLabelMismatch { images: 1, labels: 2, .. }), "{err}");
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"), "{err}");
}
