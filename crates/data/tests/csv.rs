//! The CSV loader: good files in their variants, and every kind of bad line named by file,
//! line and column. Each test writes its own small files; one loads the bundled digits.

mod common;

use common::{gzip, TempDir};
use ndarray::array;
use tapegrad_data::{CsvOptions, CsvProblem, DataError, Dataset};

/// Writes `text` to a file in `dir` and loads it with `options` as f64.
fn load(dir: &TempDir, name: &str, text: &str, options: CsvOptions) -> Result<Dataset<f64>, DataError> {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    options.load(&path)
}

/// The line, column and problem of a CSV error, checking that its message names the file.
fn csv_error(err: DataError, file: &str) -> (usize, Option<usize>, CsvProblem) {
    assert!(err.to_string().contains(file), "the message names the file: {err}");
    match err {
        DataError::Csv { line, column, problem, .. } => (line, column, problem),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn loads_a_file_without_a_header_label_last() {
    let dir = TempDir::new("csv-plain");
    let data = load(&dir, "plain.csv", "1,2.5,0\n-3e2, 4 ,2\n", CsvOptions::new()).unwrap();
    assert_eq!(data.features(), &array![[1.0, 2.5], [-300.0, 4.0]]);
    assert_eq!(data.labels(), &[0, 2]);
}

#[test]
fn loads_a_file_with_a_header_and_the_label_first() {
    let dir = TempDir::new("csv-header");
    let text = "label, height ,width\n1, 0.5, 2\n0,1.5,\t3\n";
    let data = load(&dir, "header.csv", text, CsvOptions::new().header(true).label_column(0)).unwrap();
    assert_eq!(data.features(), &array![[0.5, 2.0], [1.5, 3.0]]);
    assert_eq!(data.labels(), &[1, 0]);
}

#[test]
fn accepts_crlf_a_byte_order_mark_integral_float_labels_and_trailing_blank_lines() {
    let dir = TempDir::new("csv-variants");
    let text = "\u{feff}1,2,3.0\r\n4,5,1\r\n\r\n\n";
    let data = load(&dir, "variants.csv", text, CsvOptions::new()).unwrap();
    assert_eq!(data.features(), &array![[1.0, 2.0], [4.0, 5.0]]);
    assert_eq!(data.labels(), &[3, 1]);
    // No final newline at all is fine too.
    assert_eq!(load(&dir, "no-newline.csv", "1,2,3", CsvOptions::new()).unwrap().len(), 1);
}

#[test]
fn parses_straight_to_the_element_type() {
    let dir = TempDir::new("csv-types");
    let path = dir.join("precise.csv");
    std::fs::write(&path, "0.1,0\n16777217,1\n").unwrap();
    let single: Dataset<f32> = CsvOptions::new().load(&path).unwrap();
    assert_eq!(single.features().column(0).to_vec(), vec![0.1f32, 16777216.0]); // rounded once, to f32
    let double: Dataset<f64> = CsvOptions::new().load(&path).unwrap();
    assert_eq!(double.features().column(0).to_vec(), vec![0.1f64, 16777217.0]);
}

#[test]
fn reads_gzip_by_its_magic_bytes_whatever_the_name() {
    let dir = TempDir::new("csv-gzip");
    let text = "0,1,2\n3,4,1\n";
    for name in ["table.csv.gz", "table-without-extension"] {
        let path = dir.join(name);
        std::fs::write(&path, gzip(text.as_bytes())).unwrap();
        let data: Dataset<f32> = CsvOptions::new().load(&path).unwrap();
        assert_eq!(data.features(), &array![[0.0f32, 1.0], [3.0, 4.0]], "{name}");
        assert_eq!(data.labels(), &[2, 1]);
    }
    // From a reader, too.
    let data: Dataset<f32> = CsvOptions::new().read(gzip(text.as_bytes()).as_slice(), "stream").unwrap();
    assert_eq!(data.len(), 2);
    // Damaged compressed data is an error naming the file, never a panic.
    let compressed = gzip(text.repeat(50).as_bytes());
    for cut in [3, 10, compressed.len() / 2, compressed.len() - 1] {
        let path = dir.join("cut.csv.gz");
        std::fs::write(&path, &compressed[..cut]).unwrap();
        let err = CsvOptions::new().load::<f32>(&path).unwrap_err();
        assert!(matches!(err, DataError::Gzip { .. }), "cut at {cut}: {err:?}");
        assert!(err.to_string().contains("cut.csv.gz: corrupt or truncated gzip data"), "{err}");
    }
}

#[test]
fn a_bad_number_names_file_line_column_and_text() {
    let dir = TempDir::new("csv-bad-number");
    let err = load(&dir, "bad.csv", "1,2,0\n3,4,1\n5,1.2.3,0\n", CsvOptions::new()).unwrap_err();
    assert!(err.to_string().ends_with("bad.csv, line 3, column 2: `1.2.3` is not a number"), "{err}");
    assert_eq!(csv_error(err, "bad.csv"), (3, Some(2), CsvProblem::NotANumber { text: "1.2.3".into() }));
    // With a header, lines still count from the top of the file.
    let err = load(&dir, "bad.csv", "a,b,c\n1,2,0\n3, x ,1\n", CsvOptions::new().header(true)).unwrap_err();
    assert_eq!(csv_error(err, "bad.csv"), (3, Some(2), CsvProblem::NotANumber { text: "x".into() }));
}

#[test]
fn empty_fields_and_non_finite_numbers_are_refused() {
    let dir = TempDir::new("csv-empty-field");
    let err = load(&dir, "gap.csv", "1,2,0\n3,,1\n", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "gap.csv"), (2, Some(2), CsvProblem::EmptyField));
    for (field, column) in [("NaN", 1), ("inf", 1), ("-infinity", 1), ("1e999", 1)] {
        let err = load(&dir, "nan.csv", &format!("1,2,0\n{field},4,1\n"), CsvOptions::new()).unwrap_err();
        assert_eq!(
            csv_error(err, "nan.csv"),
            (2, Some(column), CsvProblem::NotFinite { text: field.into() })
        );
    }
}

#[test]
fn labels_must_be_non_negative_integers() {
    let dir = TempDir::new("csv-labels");
    for label in ["2.5", "-1", "cat", "1e30"] {
        let err = load(&dir, "labels.csv", &format!("1,2,0\n3,4,{label}\n"), CsvOptions::new()).unwrap_err();
        assert!(err.to_string().contains("is not a class label: expected a non-negative integer"), "{err}");
        assert_eq!(csv_error(err, "labels.csv"), (2, Some(3), CsvProblem::NotALabel { text: label.into() }));
    }
    let err = load(&dir, "labels.csv", "1,2,0\n3,4,\n", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "labels.csv"), (2, Some(3), CsvProblem::EmptyField));
}

#[test]
fn ragged_rows_are_errors() {
    let dir = TempDir::new("csv-ragged");
    for (text, line, found) in [("1,2,0\n3,4\n", 2, 2), ("1,2,0\n3,4,1\n5,6,7,1\n", 3, 4)] {
        let err = load(&dir, "ragged.csv", text, CsvOptions::new()).unwrap_err();
        assert_eq!(
            csv_error(err, "ragged.csv"),
            (line, None, CsvProblem::RaggedRow { expected: 3, found, first_line: 1 })
        );
    }
    // The header sets the width.
    let err = load(&dir, "ragged.csv", "a,b\n1,2,0\n", CsvOptions::new().header(true)).unwrap_err();
    assert!(
        err.to_string().ends_with("ragged.csv, line 2: expected 2 columns (as on line 1), found 3"),
        "{err}"
    );
}

#[test]
fn a_missing_label_column_is_an_error() {
    let dir = TempDir::new("csv-label-column");
    let err = load(&dir, "narrow.csv", "1,2,0\n", CsvOptions::new().label_column(3)).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("the label column (index 3, column 4) does not exist: the row has 3 columns"));
    assert_eq!(
        csv_error(err, "narrow.csv"),
        (1, None, CsvProblem::MissingLabelColumn { index: 3, columns: 3 })
    );
    // Checked against the header, too.
    let err =
        load(&dir, "narrow.csv", "x,y\n1,0\n", CsvOptions::new().header(true).label_column(5)).unwrap_err();
    assert_eq!(
        csv_error(err, "narrow.csv"),
        (1, None, CsvProblem::MissingLabelColumn { index: 5, columns: 2 })
    );
}

#[test]
fn empty_files_and_header_only_files_have_no_rows() {
    let dir = TempDir::new("csv-empty");
    for text in ["", "\n", " \n\r\n"] {
        let err = load(&dir, "empty.csv", text, CsvOptions::new()).unwrap_err();
        assert!(matches!(err, DataError::NoRows { header_only: false, .. }), "{text:?}: {err:?}");
        assert!(err.to_string().ends_with("empty.csv: no data rows (the file is empty)"), "{err}");
    }
    let err = load(&dir, "header.csv", "a,b,label\n", CsvOptions::new().header(true)).unwrap_err();
    assert!(err.to_string().ends_with("header.csv: no data rows (only a header)"), "{err}");
}

#[test]
fn blank_lines_between_rows_and_undeclared_headers_and_bad_text_are_errors() {
    let dir = TempDir::new("csv-misc");
    let err = load(&dir, "blank.csv", "1,2,0\n\n3,4,1\n", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "blank.csv"), (2, None, CsvProblem::BlankLine));

    let err = load(&dir, "iris.csv", "sepal,petal,species\n1,2,0\n", CsvOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("if line 1 is a header, load with `CsvOptions::new().header(true)`"),
        "{err}"
    );
    assert_eq!(
        csv_error(err, "iris.csv"),
        (1, Some(1), CsvProblem::UnexpectedHeader { text: "sepal".into() })
    );

    let path = dir.join("latin1.csv");
    std::fs::write(&path, b"1,2,0\n3,\xe9,1\n").unwrap();
    let err = CsvOptions::new().load::<f64>(&path).unwrap_err();
    assert_eq!(csv_error(err, "latin1.csv"), (2, None, CsvProblem::NotUtf8));

    let long = "9".repeat(30) + &"x".repeat(100);
    let err = load(&dir, "long.csv", &format!("1,{long},0\n"), CsvOptions::new()).unwrap_err();
    let (_, _, problem) = csv_error(err, "long.csv");
    assert_eq!(problem, CsvProblem::UnexpectedHeader { text: "9".repeat(30) + &"x".repeat(10) + "…" });
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = TempDir::new("csv-missing");
    let err = CsvOptions::new().load::<f32>(dir.join("nowhere.csv")).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(
        err.to_string().starts_with("cannot read ") && err.to_string().contains("nowhere.csv: "),
        "{err}"
    );
}

#[test]
fn loads_the_bundled_digits() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv.gz");
    let digits: Dataset<f32> = CsvOptions::new().load(path).unwrap();
    assert_eq!(digits.len(), 1797);
    assert_eq!(digits.num_features(), 64);
    assert_eq!(digits.num_classes(), 10);
    assert!(
        digits.class_counts().iter().all(|&count| (174..=183).contains(&count)),
        "{:?}",
        digits.class_counts()
    );
    assert!(digits.features().iter().all(|&x| (0.0..=16.0).contains(&x) && x.fract() == 0.0));
    assert_eq!(digits.features().iter().fold(0.0f32, |max, &x| max.max(x)), 16.0);
    // The first image is a 0 (its top row: 0 0 5 13 9 1 0 0).
    assert_eq!(digits.labels()[0], 0);
    assert_eq!(
        digits.features().row(0).iter().take(8).copied().collect::<Vec<_>>(),
        vec![0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]
    );
}

/// Class 3 of issue 11: labels are bounded where they enter. A label of `u64::MAX` (or
/// anything from `MAX_CLASSES` up, however written) is an error naming its line and
/// column, so no per-class table is ever sized by it.
#[test]
fn labels_too_large_for_a_class_are_refused_where_they_enter() {
    let dir = TempDir::new("csv-huge-labels");
    let limit = tapegrad_data::MAX_CLASSES;
    for label in [
        "18446744073709551615",
        "18446744073709551616",
        "1048576",
        "1048576.0",
        "4e15",
        "99999999999999999999",
    ] {
        let text = format!("0.5,1\n1.5,{label}\n");
        let err = load(&dir, "huge.csv", &text, CsvOptions::new()).unwrap_err();
        let message = err.to_string();
        let (line, column, problem) = csv_error(err, "huge.csv");
        assert_eq!((line, column), (2, Some(2)), "{label}");
        assert!(
            matches!(problem, CsvProblem::LabelTooLarge { .. } | CsvProblem::NotALabel { .. }),
            "{label}: {problem:?}"
        );
        assert!(message.contains(label.get(..10).unwrap_or(label)), "{message}");
    }
    let err = load(&dir, "max.csv", "0.5,1048576\n", CsvOptions::new()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with(&format!("`1048576` is too large for a class label: expected a class below {limit}")),
        "{err}"
    );
    // The largest label allowed loads, and its class table has one entry per class.
    let data = load(&dir, "max.csv", &format!("0.5,{}\n", limit - 1), CsvOptions::new()).unwrap();
    assert_eq!((data.num_classes(), data.class_counts().len()), (limit, limit));
}

/// Class 6 of issue 11: a table without a feature column is an error, not a data set of
/// samples with nothing to learn from.
#[test]
fn a_table_with_only_a_label_column_is_an_error() {
    let dir = TempDir::new("csv-no-features");
    for (text, options) in [("1\n2\n", CsvOptions::new()), ("label\n1\n", CsvOptions::new().header(true))] {
        let err = load(&dir, "labels-only.csv", text, options).unwrap_err();
        assert!(
            err.to_string().ends_with("1 column: expected at least one feature column besides the label"),
            "{err}"
        );
        assert_eq!(csv_error(err, "labels-only.csv"), (1, None, CsvProblem::NoFeatures { columns: 1 }));
    }
}

/// A label column index at the top of `usize` is an error whose message does not overflow.
#[test]
fn a_label_column_of_usize_max_is_an_error_not_an_overflow() {
    let dir = TempDir::new("csv-max-column");
    let err = load(&dir, "t.csv", "1,2,0\n", CsvOptions::new().label_column(usize::MAX)).unwrap_err();
    assert!(err.to_string().contains(&format!("index {}, column {}", usize::MAX, usize::MAX)), "{err}");
}
