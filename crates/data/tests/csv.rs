//! The CSV loader: good files in their variants, and every kind of bad line named by file,
//! line and column. Each test writes its own small files; one loads the bundled digits.

use crate::common::{gzip, TempDir};
use ndarray::array;
use tapegrad_data::{CsvOptions, CsvProblem, CsvTable, DataError, Dataset};

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
    for (field, column) in [("inf", 1), ("-infinity", 1), ("1e999", 1)] {
        let err = load(&dir, "nan.csv", &format!("1,2,0\n{field},4,1\n"), CsvOptions::new()).unwrap_err();
        assert_eq!(
            csv_error(err, "nan.csv"),
            (2, Some(column), CsvProblem::NotFinite { text: field.into() })
        );
    }
    // NaN is how pandas writes a missing value: the error says how to drop its rows.
    let err = load(&dir, "nan.csv", "1,2,0\nNaN,4,1\n", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "nan.csv"), (2, Some(1), CsvProblem::MissingValue { text: "NaN".into() }));
}

#[test]
fn labels_must_be_non_negative_integers() {
    let dir = TempDir::new("csv-labels");
    for label in ["2.5", "-1", "c4t", "3.0000000000000001"] {
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
        .ends_with("the target column index 3 (column 4) does not exist: the row has 3 columns"));
    assert_eq!(
        csv_error(err, "narrow.csv"),
        (1, None, CsvProblem::ColumnOutOfRange { role: "target", index: 3, columns: 3 })
    );
    // Checked against the header, too.
    let err =
        load(&dir, "narrow.csv", "x,y\n1,0\n", CsvOptions::new().header(true).label_column(5)).unwrap_err();
    assert_eq!(
        csv_error(err, "narrow.csv"),
        (1, None, CsvProblem::ColumnOutOfRange { role: "target", index: 5, columns: 2 })
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
fn blank_lines_are_skipped_and_undeclared_headers_and_bad_text_are_errors() {
    let dir = TempDir::new("csv-misc");
    // Blank lines are skipped, as pandas and the csv crate do; lines still count them.
    let data = load(&dir, "blank.csv", "1,2,0\n\n  \n3,4,1\n", CsvOptions::new()).unwrap();
    assert_eq!(data.labels(), &[0, 1]);
    let err = load(&dir, "blank.csv", "1,2,0\n\n3,x,1\n", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "blank.csv"), (3, Some(2), CsvProblem::NotANumber { text: "x".into() }));

    let err = load(&dir, "iris.csv", "sepal,petal,species\n1,2,0\n", CsvOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("if the first row is a header, load with `CsvOptions::new().header(true)`"),
        "{err}"
    );
    assert_eq!(
        csv_error(err, "iris.csv"),
        (1, Some(1), CsvProblem::UnexpectedHeader { text: "sepal".into() })
    );

    let path = dir.join("latin1.csv");
    std::fs::write(&path, b"1,2,0\n3,\xe9,1\n").unwrap();
    let err = CsvOptions::new().load::<f64>(&path).unwrap_err();
    assert_eq!(csv_error(err, "latin1.csv"), (2, Some(2), CsvProblem::NotUtf8));

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
            err.to_string()
                .ends_with("1 column(s), all targets or ignored: expected at least one feature column"),
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
    assert!(
        err.to_string().contains(&format!("index {} (column 18446744073709551616)", usize::MAX)),
        "{err}"
    );
}

/// The path of a bundled data file.
fn bundled(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Issue 12: scikit-learn's files start with a count line; read as published, with their
/// counts checked and their class names kept.
#[test]
fn scikit_learn_files_load_as_published_with_their_count_line() {
    for (file, rows, features, classes) in [
        ("iris.csv", 150, 4, vec!["setosa", "versicolor", "virginica"]),
        ("wine_data.csv", 178, 13, vec!["class_0", "class_1", "class_2"]),
        ("breast_cancer.csv", 569, 30, vec!["malignant", "benign"]),
    ] {
        let table: CsvTable<f64> = CsvOptions::new().count_line(true).load_table(bundled(file)).unwrap();
        let data = table.dataset();
        assert_eq!(
            (data.len(), data.num_features(), data.num_classes()),
            (rows, features, classes.len()),
            "{file}"
        );
        assert_eq!(table.class_names().unwrap(), classes, "{file}");
        // Without the option, the error says which option it needs.
        let err = CsvOptions::new().load::<f32>(bundled(file)).unwrap_err();
        assert!(err.to_string().contains("looks like a count line"), "{file}: {err}");
        assert!(err.to_string().contains("load with `.count_line(true)`"), "{file}: {err}");
        // Even after following the old hint (a header), it reads.
        let err = CsvOptions::new().header(true).load::<f32>(bundled(file));
        assert!(err.is_err() || file == "iris.csv", "{file}");
    }
    let iris: Dataset<f32> = CsvOptions::new().count_line(true).load(bundled("iris.csv")).unwrap();
    assert_eq!(iris.features().row(0).to_vec(), vec![5.1f32, 3.5, 1.4, 0.2]);
    assert_eq!(iris.class_counts(), vec![50, 50, 50]);
}

#[test]
fn count_lines_are_checked_against_the_data() {
    let dir = TempDir::new("csv-count-line");
    let cases = [
        (
            "3,2,a,b\n1,2,0\n3,4,1\n",
            1,
            CsvProblem::CountMismatch { what: "data rows", declared: 3, found: 2 },
        ),
        (
            "2,3,a,b\n1,2,0\n3,4,1\n",
            1,
            CsvProblem::CountMismatch { what: "feature columns", declared: 3, found: 2 },
        ),
        ("two,2\n1,2,0\n", 1, CsvProblem::BadCountLine { text: "two,2".into() }),
        ("2,2,a,b\n1,2,0\n3,4,2\n", 3, CsvProblem::UnnamedClass { label: 2, names: 2 }),
    ];
    for (text, line, problem) in cases {
        let err = load(&dir, "counted.csv", text, CsvOptions::new().count_line(true)).unwrap_err();
        let (found_line, _, found) = csv_error(err, "counted.csv");
        assert_eq!((found_line, found), (line, problem), "{text:?}");
    }
    // A count line without names is fine, and a count line alone has no rows.
    assert_eq!(load(&dir, "c.csv", "1,1\n0.5,1\n", CsvOptions::new().count_line(true)).unwrap().len(), 1);
    let err = load(&dir, "c.csv", "0,1\n", CsvOptions::new().count_line(true)).unwrap_err();
    assert!(matches!(err, DataError::NoRows { header_only: true, .. }), "{err:?}");
}

#[test]
fn delimiters_comments_skipped_lines_and_quotes() {
    let dir = TempDir::new("csv-format");
    let text =
        "# exported 2026-11-27\n# units: mm\n\"a\";\"b\";\"label\"\n1.5;\"2\";0\n# mid-file note\n\n3;4;1\n";
    let options = CsvOptions::new().delimiter(b';').comment(b'#').header(true);
    let data = load(&dir, "semi.csv", text, options.clone()).unwrap();
    assert_eq!(data.features(), &array![[1.5, 2.0], [3.0, 4.0]]);
    // Lines count every line of the file: comments, blanks and skipped lines included.
    let err = load(&dir, "semi.csv", &text.replace("3;4;1", "3;x;1"), options).unwrap_err();
    assert_eq!(csv_error(err, "semi.csv"), (7, Some(2), CsvProblem::NotANumber { text: "x".into() }));
    let text = "title line, with commas\nanother\n1\t2\t0\n3\t?\t1\n";
    let err = load(&dir, "tabs.tsv", text, CsvOptions::new().skip_rows(2).delimiter(b'\t')).unwrap_err();
    assert_eq!(csv_error(err, "tabs.tsv"), (4, Some(2), CsvProblem::MissingValue { text: "?".into() }));
    // Old Mac line ends (a lone carriage return) end lines too.
    let err = load(&dir, "cr.csv", "1,2,0\r3,4,1\r5,x,1\r", CsvOptions::new()).unwrap_err();
    assert_eq!(csv_error(err, "cr.csv"), (3, Some(2), CsvProblem::NotANumber { text: "x".into() }));
    // Unbalanced quotes are read to the end of the file, never a panic.
    let err = load(&dir, "quote.csv", "1,2,0\n\"3,4,1\n5,6,1\n", CsvOptions::new()).unwrap_err();
    assert!(matches!(err, DataError::Csv { line: 2, .. }), "{err:?}");
    // Skipping more lines than there are leaves nothing.
    let err = load(&dir, "tabs.tsv", text, CsvOptions::new().skip_rows(usize::MAX)).unwrap_err();
    assert!(matches!(err, DataError::NoRows { .. }), "{err:?}");
    // A delimiter that cannot separate fields is refused before reading.
    for delimiter in [b'\n', b'\r', b'"'] {
        let err = load(&dir, "t.csv", "1,0\n", CsvOptions::new().delimiter(delimiter)).unwrap_err();
        assert!(matches!(err, DataError::InvalidArgument { .. }), "{err:?}");
    }
    let err = load(&dir, "t.csv", "1,0\n", CsvOptions::new().comment(b',')).unwrap_err();
    assert!(err.to_string().contains("both the delimiter and the comment"), "{err}");
}

#[test]
fn the_diabetes_regression_files_load_as_a_matrix_and_targets() {
    let x =
        CsvOptions::new().delimiter(b' ').load_matrix::<f64>(bundled("diabetes_data_raw.csv.gz")).unwrap();
    let y = CsvOptions::new().load_matrix::<f64>(bundled("diabetes_target.csv.gz")).unwrap();
    assert_eq!((x.dim(), y.dim()), ((442, 10), (442, 1)));
    assert_eq!(x.row(0).to_vec(), vec![59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]);
    let data = Dataset::new(x, y).unwrap();
    assert_eq!(data.targets()[[441, 0]], 57.0);
}

#[test]
fn columns_are_chosen_by_name_or_index_and_each_has_one_role() {
    let dir = TempDir::new("csv-columns");
    let text = "id,x1,y1,x2,y2\nA,1,10,2,20\nB,3,30,4,40\n";
    let read = |options: CsvOptions| {
        let path = dir.join("t.csv");
        std::fs::write(&path, text).unwrap();
        options.header(true).load_table::<f64, ndarray::Array2<f64>>(&path)
    };
    let table = read(CsvOptions::new().targets(["y2", "y1"]).ignore([0])).unwrap();
    assert_eq!(table.feature_names(), ["x1", "x2"]);
    assert_eq!(table.target_names(), ["y2", "y1"]);
    assert_eq!(table.dataset().features(), &array![[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(table.dataset().targets(), &array![[20.0, 10.0], [40.0, 30.0]]);
    let table = read(CsvOptions::new().features([3, 1]).target(2)).unwrap();
    assert_eq!(table.feature_names(), ["x2", "x1"]);

    let problem = |options: CsvOptions| csv_error(read(options).unwrap_err(), "t.csv").2;
    match problem(CsvOptions::new().target("y3").ignore(["id"])) {
        CsvProblem::UnknownColumn { role: "target", name, header } => {
            assert_eq!((name.as_str(), header.len()), ("y3", 5));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        problem(CsvOptions::new().target("y1").features(["x1", "y1"])),
        CsvProblem::TwoRoles { column: 3, roles: ["target", "feature"] }
    );
    assert_eq!(
        problem(CsvOptions::new().target("y1").ignore(["y1"])),
        CsvProblem::TwoRoles { column: 3, roles: ["target", "ignored"] }
    );
    match problem(CsvOptions::new().target("y1").categorical(["nope"])) {
        CsvProblem::UnknownColumn { role: "categorical", .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        problem(CsvOptions::new().target(9)),
        CsvProblem::ColumnOutOfRange { role: "target", index: 9, columns: 5 }
    );
    assert_eq!(
        problem(CsvOptions::new().target("y1").features([0, 1, 2, 3, 4, 7]).ignore(Vec::<usize>::new())),
        CsvProblem::ColumnOutOfRange { role: "feature", index: 7, columns: 5 }
    );
    assert_eq!(
        problem(CsvOptions::new().targets([1, 2, 3, 4]).ignore([0])),
        CsvProblem::NoFeatures { columns: 5 }
    );
    // Names need a header; a shared name is ambiguous.
    let err = CsvOptions::new().target("y").read::<f32>("1,2\n".as_bytes(), "t.csv").unwrap_err();
    assert!(err.to_string().contains("chosen by name (`y`), but the file is read without a header"), "{err}");
    let err = CsvOptions::new().header(true).target("y").read::<f32>("y,x,y\n1,2,0\n".as_bytes(), "t.csv");
    assert!(err.unwrap_err().to_string().contains("columns 1 and 3 are both named `y`"));
    // Class labels come from one column; regression needs at least one.
    let err = CsvOptions::new().targets([0, 1]).read::<f32>("1,2,0\n".as_bytes(), "t.csv").unwrap_err();
    assert!(matches!(err, DataError::InvalidArgument { .. }), "{err:?}");
    let err =
        CsvOptions::new().targets(Vec::<usize>::new()).read_regression::<f32>("1,2\n".as_bytes(), "t.csv");
    assert!(matches!(err, Err(DataError::InvalidArgument { .. })));
}

#[test]
fn categorical_columns_become_sorted_indices_with_their_values_kept() {
    let text = "size,colour,grade\n10,red,b\n9,blue,a\n10,green,c\n100,red,a\n";
    let table: CsvTable<f32> = CsvOptions::new()
        .header(true)
        .categorical(["size", "colour", "grade"])
        .read_table(text.as_bytes(), "t.csv")
        .unwrap();
    // Numbers as categories sort as numbers (9 < 10 < 100), text as text.
    assert_eq!(table.categories("size").unwrap(), ["9", "10", "100"]);
    assert_eq!(table.categories("colour").unwrap(), ["blue", "green", "red"]);
    assert_eq!(table.class_names().unwrap(), ["a", "b", "c"]);
    assert_eq!(table.dataset().features(), &array![[1.0f32, 2.0], [0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]);
    assert_eq!(table.dataset().labels(), &[1, 0, 2, 0]);
    // An empty category is an error; text in a numeric column suggests `categorical`.
    let err = CsvOptions::new().header(true).categorical([0]).read::<f32>("c,l\n,1\n".as_bytes(), "t.csv");
    assert!(matches!(err, Err(DataError::Csv { line: 2, problem: CsvProblem::EmptyField, .. })));
    let err = CsvOptions::new().header(true).read::<f32>(text.as_bytes(), "t.csv").unwrap_err();
    assert_eq!(
        csv_error(err, "t.csv"),
        (2, Some(2), CsvProblem::TextInNumericColumn { text: "red".into(), name: "colour".into() })
    );
    let options = CsvOptions::new().header(true).target("colour").ignore(["grade"]);
    let err = options.read::<f32>(text.as_bytes(), "t.csv").unwrap_err();
    assert!(err.to_string().contains("if column `colour` holds categories, list it in `.categorical([..])`"));
}

#[test]
fn missing_values_drop_their_rows_only_when_declared() {
    let path = bundled("penguins.csv");
    let options = CsvOptions::new().header(true).target("species").categorical(["species", "island", "sex"]);
    let err = options.clone().load::<f32>(&path).unwrap_err();
    assert!(err.to_string().contains("line 5, column 3: `NA` looks like a missing value"), "{err}");
    let table: CsvTable<f32> = options.clone().missing(["NA"]).load_table(&path).unwrap();
    assert_eq!(table.dropped_lines().len(), 11);
    assert_eq!(table.dataset().class_counts(), vec![146, 68, 119]);
    // Only used columns count: without `sex`, 2 rows lack measurements.
    let table: CsvTable<f32> = options.missing(["NA"]).ignore(["sex"]).load_table(&path).unwrap();
    assert_eq!((table.dataset().len(), table.dropped_lines()), (342, &[5, 273][..]));
    // Every row dropped is an error saying so.
    let err =
        CsvOptions::new().missing(["", "?"]).read::<f32>("?,1\n,0\n".as_bytes(), "gaps.csv").unwrap_err();
    assert!(matches!(err, DataError::AllRowsMissing { dropped: 2, first_line: 1, .. }), "{err:?}");
    assert!(err.to_string().starts_with("gaps.csv: all 2 data rows have a missing value"), "{err}");
}

/// From the hostile probe of the new loader: each a class of input that was slow, silently
/// wrong or misreported.
#[test]
fn hostile_inputs_are_errors_or_read_right() {
    let read =
        |options: CsvOptions, text: &str| options.read_table::<f64, Vec<usize>>(text.as_bytes(), "p.csv");
    let problem = |options: CsvOptions, text: &str| match read(options, text) {
        Err(DataError::Csv { line, column, problem, .. }) => (line, column, problem),
        other => panic!("{text:?}: expected a CSV error, got {other:?}"),
    };
    // A very wide first row costs time in proportion to its width.
    let started = std::time::Instant::now();
    let err = CsvOptions::new().read::<f32>(",".repeat(300_000).as_bytes(), "wide.csv").unwrap_err();
    assert!(matches!(err, DataError::Csv { problem: CsvProblem::EmptyField, .. }), "{err:?}");
    assert!(started.elapsed().as_secs_f64() < 5.0, "{:?}", started.elapsed());
    // An unclosed quote does not swallow the rest of the file.
    let text = "1,\"red\n2,blue\n3,green\n";
    let (line, column, found) = problem(CsvOptions::new().categorical([1]).target(1), text);
    assert_eq!((line, column, found), (1, Some(2), CsvProblem::LineBreakInField));
    // Lone carriage returns end lines for records, comments and skipped lines alike.
    let data = read(CsvOptions::new().comment(b'#'), "1,2,0\r#note\r3,4,1\r5,6,1\r").unwrap();
    assert_eq!(data.dataset().labels(), &[0, 1, 1]);
    let data = read(CsvOptions::new().skip_rows(1), "title\r1,2,0\n3,4,1\n").unwrap();
    assert_eq!(data.dataset().labels(), &[0, 1]);
    assert_eq!(problem(CsvOptions::new().skip_rows(1), "title\r1,2,0\r3,x,1\r").0, 3);
    // A quote after a space is not quoting: an error, not a second category.
    let (_, column, found) = problem(CsvOptions::new().categorical([1]), "1,\"blue\",0\n2, \"blue\",1\n");
    assert_eq!((column, found), (Some(2), CsvProblem::StrayQuote { text: "\"blue\"".into() }));
    // A quoted empty field in a one-column file is a field, not a blank line.
    let err = CsvOptions::new().read_regression::<f64>("1,1\n\"\"\n2,2\n".as_bytes(), "p.csv");
    assert!(
        matches!(err, Err(DataError::Csv { line: 2, problem: CsvProblem::RaggedRow { .. }, .. })),
        "{err:?}"
    );
    let err = CsvOptions::new()
        .missing([""])
        .features([0])
        .read_table::<f64, ndarray::Array2<f64>>("1,1\n\"\",2\n2,2\n".as_bytes(), "p.csv");
    assert_eq!(err.unwrap().dropped_lines(), [2]);
    // Text that is not UTF-8 in an ignored column does not matter.
    let data = CsvOptions::new().ignore([0]).read::<f32>(&b"caf\xe9,2,0\n"[..], "latin1.csv").unwrap();
    assert_eq!(data.labels(), &[0]);
    // Two integer columns are data, not a count line.
    assert!(matches!(problem(CsvOptions::new(), "1,0\n2\n").2, CsvProblem::RaggedRow { .. }));
    assert!(matches!(problem(CsvOptions::new(), "1,2000000\n").2, CsvProblem::LabelTooLarge { .. }));
    let (_, _, found) = problem(CsvOptions::new().header(true), "a,b,species\n5,3,setosa\n4,3,versicolor\n");
    assert!(matches!(found, CsvProblem::TextInNumericColumn { .. }), "{found:?}");
    // A count line's class names are distinct and not empty.
    assert!(matches!(
        problem(CsvOptions::new().count_line(true), "2,2,a,a\n1,2,0\n3,4,1\n").2,
        CsvProblem::BadCountLine { .. }
    ));
    // Missing-value markers are compared trimmed, as documented.
    assert_eq!(read(CsvOptions::new().missing([" NA "]), "NA,0\n1,1\n").unwrap().dropped_lines(), [1]);
    // Labels: a fraction written out must be zeros; huge integers are too large.
    for (label, too_large) in [("3.0000000000000001", false), ("1e300", true), ("18446744073709551616", true)]
    {
        let found = problem(CsvOptions::new(), &format!("1,{label}\n")).2;
        assert_eq!(matches!(found, CsvProblem::LabelTooLarge { .. }), too_large, "{label}: {found:?}");
        assert!(
            matches!(found, CsvProblem::LabelTooLarge { .. } | CsvProblem::NotALabel { .. }),
            "{found:?}"
        );
    }
    assert!(matches!(problem(CsvOptions::new(), "1,nan\n").2, CsvProblem::MissingValue { .. }));
    // Messages: one line, with the right article and column number.
    let found = problem(CsvOptions::new().categorical([0]).target(1), "\"a\nb\",0\n").2;
    assert!(!found.to_string().contains('\n'), "{found}");
    let found = problem(CsvOptions::new().ignore([0, 0]), "1,2,0\n").2;
    assert_eq!(found.to_string(), "column 1 is chosen twice as an ignored column");
    let err = read(CsvOptions::new().target(usize::MAX), "1,0\n").unwrap_err().to_string();
    assert!(err.contains("(column 18446744073709551616)"), "{err}");
    assert!(matches!(read(CsvOptions::new().comment(b'"'), "1,0\n"), Err(DataError::InvalidArgument { .. })));
}

/// Issue 22, E8: a training and a test file read separately number a category alike when
/// the test file is read with the training table's categories; a value the training file
/// never had is an error naming it and its line; `NA` in a categorical column is a
/// missing value (an error suggesting `.missing`, or a dropped row with it) exactly as in
/// a numeric column, unless the categories given name it.
#[test]
fn categories_are_shared_between_files_and_na_is_missing_in_every_column() {
    let train_text = "island,mass,species\nTorgersen,3750,Adelie\nDream,3800,Chinstrap\nBiscoe,5000,Gentoo\n";
    let test_text = "island,mass,species\nBiscoe,4900,Gentoo\nDream,3700,Adelie\n";
    let options = CsvOptions::new().header(true).categorical(["island", "species"]);
    let train: CsvTable<f32> = options.clone().read_table(train_text.as_bytes(), "train.csv").unwrap();
    let alone: CsvTable<f32> = options.clone().read_table(test_text.as_bytes(), "test.csv").unwrap();
    assert_eq!(alone.dataset().labels(), &[1, 0], "each file numbers what it holds");
    let test: CsvTable<f32> =
        options.clone().categories_of(&train).read_table(test_text.as_bytes(), "test.csv").unwrap();
    assert_eq!(test.dataset().labels(), &[2, 0]);
    assert_eq!(test.class_names(), train.class_names());
    assert_eq!(test.dataset().features().column(0).to_vec(), vec![0.0, 1.0]); // Biscoe, Dream
    assert_eq!(test.categories("island"), train.categories("island"));

    // Without a header, the columns are matched by index.
    let plain = CsvOptions::new().categorical([0, 2]);
    let train: CsvTable<f32> = plain.clone().read_table("b,1,x\na,2,y\n".as_bytes(), "train.csv").unwrap();
    let test: CsvTable<f32> =
        plain.clone().categories_of(&train).read_table("b,1,y\n".as_bytes(), "t.csv").unwrap();
    assert_eq!((test.dataset().features()[[0, 0]], test.dataset().labels()), (1.0, &[1][..]));

    // A category the training file never had: the line, the column and the value.
    let err = options
        .clone()
        .categories_of(
            &CsvOptions::new()
                .header(true)
                .categorical(["island", "species"])
                .read_table::<f32, Vec<usize>>(train_text.as_bytes(), "train.csv")
                .unwrap(),
        )
        .read_table::<f32, Vec<usize>>(
            "island,mass,species\nDream,1,Adelie\nMars,2,Adelie\n".as_bytes(),
            "test.csv",
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(
        err.contains(
            "`Mars` is not one of the 3 categories (Biscoe, Dream, Torgersen) given for column `island`"
        ),
        "{err}"
    );
    // Categories named twice.
    let err = CsvOptions::new()
        .header(true)
        .categories("island", ["Dream", "Biscoe", "Dream"])
        .read_table::<f32, Vec<usize>>(test_text.as_bytes(), "t.csv")
        .unwrap_err()
        .to_string();
    assert!(err.contains("the categories given for column `island` name `Dream` twice"), "{err}");

    // NA: missing in a categorical column as in a numeric one.
    let with_na = "island,mass,species\nDream,3750,Adelie\nNA,3800,Gentoo\n";
    let err =
        options.clone().read_table::<f32, Vec<usize>>(with_na.as_bytes(), "na.csv").unwrap_err().to_string();
    assert!(err.contains("`NA` looks like a missing value"), "{err}");
    let dropped: CsvTable<f32> =
        options.clone().missing(["NA"]).read_table(with_na.as_bytes(), "na.csv").unwrap();
    assert_eq!((dropped.dataset().len(), dropped.dropped_lines()), (1, &[3][..]));
    assert_eq!(dropped.categories("island").unwrap(), ["Dream"]);
    // Unless it is one of the categories given: then it is one.
    let kept: CsvTable<f32> =
        options.categories("island", ["Dream", "NA"]).read_table(with_na.as_bytes(), "na.csv").unwrap();
    assert_eq!(kept.dataset().features().column(0).to_vec(), vec![0.0, 1.0]);
}

/// Issue 22, E12: a quote never closed swallows the rest of the file into one field and
/// leaves the row short; the error names the quote and its line, not the column count.
#[test]
fn an_unclosed_quote_is_named_not_counted() {
    let text = "x,y,label\n1,2,0\n3,\"4,1\n5,6,1\n";
    let err =
        CsvOptions::new().header(true).read::<f32>(text.as_bytes(), "quote.csv").unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("a `\"` that is never closed?"), "{err}");
    assert!(!err.contains("fields"), "{err}");
}
