//! A loader for CSV tables as they are published, optionally gzip-compressed: a header
//! row or scikit-learn's count line, any delimiter, comments, columns chosen by name or
//! index, class labels or regression targets, categorical text columns mapped to indices
//! (the mapping kept), rows with missing values dropped on request. The `csv` crate splits
//! the records; every bad field is an error naming the file, line and column.

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

mod categories;
mod columns;
mod fields;
mod load;
mod parse;
mod problem;
mod table;

#[cfg(doc)]
use crate::Dataset;

pub use columns::Column;
pub use problem::CsvProblem;
pub use table::{CsvTable, TableTargets};

/// The most a gzip-compressed CSV file may decompress to: 1 GiB (scikit-learn's largest
/// bundled table is under 1 MiB; a deflate stream can inflate 1,000-fold, so a small
/// hostile file could otherwise claim any amount of memory). A plain file is read at any
/// size.
///
/// ```
/// assert_eq!(tapegrad_data::MAX_CSV_DECOMPRESSED, 1 << 30);
/// ```
pub const MAX_CSV_DECOMPRESSED: u64 = 1 << 30;

/// How to read a CSV file into a [`Dataset`]: which lines are data, which columns are
/// features and which are targets, and what the fields mean.
///
/// **The file.** Records are split by the [`csv`](https://docs.rs/csv) crate: fields
/// separated by commas (or any [`delimiter`](CsvOptions::delimiter)), spaces and tabs
/// around them ignored, one record per line (`\n`, `\r\n` or a lone `\r`; a byte-order
/// mark allowed). A field may be quoted with `"` (the quote right after the delimiter), so
/// that it can hold the delimiter; a `"` anywhere else in a field, or a field running
/// over several lines (an unclosed quote), is an error. Lines of nothing but spaces and
/// tabs are skipped, as are lines starting with the
/// [`comment`](CsvOptions::comment) character if one is set, and the first
/// [`skip_rows`](CsvOptions::skip_rows) lines. Then come, if asked for, scikit-learn's
/// [`count_line`](CsvOptions::count_line) (`150,4,setosa,versicolor,virginica`) and a
/// [`header`](CsvOptions::header) naming the columns. Gzip-compressed files are recognised
/// by their first two bytes, whatever their name.
///
/// **The columns.** By default the last column is the target and every other column a
/// feature; choose others by index (from 0) or by header name with
/// [`target`](CsvOptions::target), [`targets`](CsvOptions::targets),
/// [`features`](CsvOptions::features) and [`ignore`](CsvOptions::ignore). Every field
/// used is a finite number, except in [`categorical`](CsvOptions::categorical) columns,
/// whose text values become indices (in sorted order, kept in the [`CsvTable`]).
///
/// **The targets.** [`load`](CsvOptions::load) reads one column of class labels
/// (non-negative integers, `3` or `3.0`, or categories); [`load_regression`](CsvOptions::load_regression)
/// reads one or more columns of numbers; [`load_matrix`](CsvOptions::load_matrix) reads
/// features only; [`load_table`](CsvOptions::load_table) keeps the names and mappings too.
///
/// **Errors.** Nothing is skipped silently: a field that is not a number (or is NaN or
/// infinite), an empty field, a row with a different number of fields from the first, a
/// column that does not exist, no rows at all are errors naming the file, the line (from
/// 1, counting every line of the file) and the column (from 1). Fields such as `NA` are
/// errors too, unless declared [`missing`](CsvOptions::missing): then their rows are
/// dropped, and the table lists their lines.
///
/// ```
/// use tapegrad_data::{CsvOptions, Dataset};
///
/// let path = std::env::temp_dir().join("tapegrad-doc-iris.csv");
/// std::fs::write(&path, "sepal_length, sepal_width, species\n5.1, 3.5, 0\n7.0, 3.2, 1\n")?;
/// let data: Dataset<f32> = CsvOptions::new().header(true).load(&path)?;
/// assert_eq!(data.features(), &ndarray::array![[5.1f32, 3.5], [7.0, 3.2]]);
/// assert_eq!(data.labels(), &[0, 1]);
///
/// std::fs::write(&path, "5.1,3.5,0\n7.0,3.2\n")?;
/// let err = CsvOptions::new().load::<f32>(&path).unwrap_err();
/// assert!(err.to_string().ends_with("tapegrad-doc-iris.csv, line 2: expected 3 columns (as on line 1), found 2"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    header: bool,
    count_line: bool,
    skip_rows: usize,
    delimiter: u8,
    comment: Option<u8>,
    /// `None`: the last column (for labels and regression), no target (for a matrix).
    targets: Option<Vec<Column>>,
    /// `None`: every column that is not a target or ignored.
    features: Option<Vec<Column>>,
    ignore: Vec<Column>,
    categorical: Vec<Column>,
    /// Columns whose categories are given, in index order (`categories`).
    vocabularies: Vec<(Column, Vec<String>)>,
    missing: Vec<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: false,
            count_line: false,
            skip_rows: 0,
            delimiter: b',',
            comment: None,
            targets: None,
            features: None,
            ignore: Vec::new(),
            categorical: Vec::new(),
            vocabularies: Vec::new(),
            missing: Vec::new(),
        }
    }
}

impl CsvOptions {
    /// The defaults: comma-separated, no header, the label in the last column.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// assert_eq!(CsvOptions::new(), CsvOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the first line (after any skipped lines and count line) is a header naming
    /// the columns. It sets the number of columns, and its names can choose columns. Off
    /// by default.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "x,label\n0.5,1\n";
    /// let data = CsvOptions::new().header(true).read::<f64>(text.as_bytes(), "table.csv")?;
    /// assert_eq!(data.len(), 1);
    /// let err = CsvOptions::new().read::<f64>(text.as_bytes(), "table.csv").unwrap_err();
    /// assert!(err.to_string().contains("if the first row is a header"), "{err}");
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Whether the first line (after any skipped lines) is a count line, as in the files
    /// scikit-learn bundles: the number of data rows, the number of feature columns, then
    /// optionally the class names (`150,4,setosa,versicolor,virginica`). The counts are
    /// checked against the data, and the class names are kept as the target's
    /// [`class_names`](CsvTable::class_names). Off by default.
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let text = "2,2,small,large\n0.5,1.5,0\n2.5,3.5,1\n";
    /// let table: CsvTable<f32> = CsvOptions::new().count_line(true).read_table(text.as_bytes(), "t.csv")?;
    /// assert_eq!(table.class_names(), Some(&["small".to_string(), "large".to_string()][..]));
    /// assert_eq!(table.dataset().labels(), &[0, 1]);
    ///
    /// // Read without it, the count line's width is the first error:
    /// let err = CsvOptions::new().read::<f32>(text.as_bytes(), "t.csv").unwrap_err();
    /// assert!(err.to_string().contains("load with `.count_line(true)`"), "{err}");
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn count_line(mut self, count_line: bool) -> Self {
        self.count_line = count_line;
        self
    }

    /// Skips the first `lines` lines of the file, whatever they hold (a title, a licence).
    /// Line numbers in errors still count from the top of the file. 0 by default.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "Collected 2026-01-05, units: cm\n1.5,2.5,1\n";
    /// let data = CsvOptions::new().skip_rows(1).read::<f32>(text.as_bytes(), "t.csv")?;
    /// assert_eq!(data.labels(), &[1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn skip_rows(mut self, lines: usize) -> Self {
        self.skip_rows = lines;
        self
    }

    /// The byte between fields: `b','` by default; `b';'`, `b'\t'` or `b' '` (a single
    /// space, as in scikit-learn's `diabetes_data_raw.csv.gz`) are common. A newline, a
    /// carriage return or `"` is refused when loading.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let data = CsvOptions::new().delimiter(b';').read::<f64>("1,5;2;0\n".as_bytes(), "eu.csv");
    /// assert!(data.is_err()); // `1,5` is not a number: decimal commas are not read
    /// let data = CsvOptions::new().delimiter(b' ').read::<f64>("59 2 32.1 1\n".as_bytes(), "t.txt")?;
    /// assert_eq!(data.num_features(), 3);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Lines starting with this byte (such as `b'#'`) are comments, skipped. None by
    /// default.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "# measured twice\n1,2,0\n# the second batch\n3,4,1\n";
    /// let data = CsvOptions::new().comment(b'#').read::<f32>(text.as_bytes(), "t.csv")?;
    /// assert_eq!(data.labels(), &[0, 1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn comment(mut self, byte: u8) -> Self {
        self.comment = Some(byte);
        self
    }

    /// Which column holds the label, counting from 0: the same as
    /// [`target`](CsvOptions::target) with an index. By default, the last.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let data = CsvOptions::new().label_column(0).read::<f32>("2, 0.5, 1.5\n".as_bytes(), "t.csv")?;
    /// assert_eq!((data.labels(), data.num_features()), (&[2][..], 2));
    /// let err = CsvOptions::new().label_column(3).read::<f32>("2, 0.5, 1.5\n".as_bytes(), "t.csv").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "t.csv, line 1: the target column index 3 (column 4) does not exist: the row has 3 columns"
    /// );
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn label_column(self, index: usize) -> Self {
        self.target(index)
    }

    /// The one target column, by index from 0 or by header name. By default, the last
    /// column (for [`load`](CsvOptions::load) and [`load_regression`](CsvOptions::load_regression)).
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "species,mass,length\n1,3750,39.1\n0,3800,39.5\n";
    /// let data = CsvOptions::new().header(true).target("species").read::<f64>(text.as_bytes(), "p.csv")?;
    /// assert_eq!(data.labels(), &[1, 0]);
    /// assert_eq!(data.features().row(0).to_vec(), vec![3750.0, 39.1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn target(mut self, column: impl Into<Column>) -> Self {
        self.targets = Some(vec![column.into()]);
        self
    }

    /// Several target columns, in this order (for [`load_regression`](CsvOptions::load_regression)
    /// with more than one output; [`load`](CsvOptions::load) takes exactly one).
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "x,y1,y2\n1,10,100\n2,20,200\n";
    /// let data = CsvOptions::new().header(true).targets(["y2", "y1"]).read_regression::<f64>(text.as_bytes(), "t.csv")?;
    /// assert_eq!(data.targets(), &ndarray::array![[100.0, 10.0], [200.0, 20.0]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn targets<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.targets = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// The feature columns, in this order. By default, every column that is not a target
    /// or [`ignore`](CsvOptions::ignore)d, in file order.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "a,b,c,label\n1,2,3,0\n";
    /// let data = CsvOptions::new().header(true).features(["c", "a"]).read::<f32>(text.as_bytes(), "t.csv")?;
    /// assert_eq!(data.features(), &ndarray::array![[3.0f32, 1.0]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn features<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.features = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Columns that are not read at all (an id, a date): their fields may hold anything.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let text = "id,x,label\nA-17,0.5,1\n";
    /// let data = CsvOptions::new().header(true).ignore(["id"]).read::<f32>(text.as_bytes(), "t.csv")?;
    /// assert_eq!(data.num_features(), 1);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn ignore<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.ignore = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Columns whose fields are categories (text, or numbers read as text): each distinct
    /// value becomes an index, in sorted order, as scikit-learn's `OrdinalEncoder` and
    /// `LabelEncoder` do. The values are kept: [`CsvTable::categories`] maps back. A
    /// categorical target gives class labels; a categorical feature gives its index as a
    /// number (feed it to an `Embedding`, or one-hot it).
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let text = "island,mass,species\nDream,3750,Gentoo\nBiscoe,3800,Adelie\nDream,4000,Adelie\n";
    /// let table: CsvTable<f32> = CsvOptions::new()
    ///     .header(true)
    ///     .categorical(["island", "species"])
    ///     .read_table(text.as_bytes(), "penguins.csv")?;
    /// assert_eq!(table.dataset().labels(), &[1, 0, 0]);
    /// assert_eq!(table.class_names().unwrap(), ["Adelie", "Gentoo"]);
    /// assert_eq!(table.dataset().features().column(0).to_vec(), vec![1.0f32, 0.0, 1.0]);
    /// assert_eq!(table.categories("island").unwrap(), ["Biscoe", "Dream"]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn categorical<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.categorical = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Gives a categorical column its categories, in index order, instead of numbering the
    /// values a file happens to hold: a test file then numbers them as the training file
    /// did (scikit-learn's `OrdinalEncoder(categories=…)`). A value that is not one of
    /// them is an error naming the line, the column and the value. The column becomes
    /// categorical. Call it once per column; [`categories_of`](CsvOptions::categories_of)
    /// takes every column's from a table read before.
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let options = CsvOptions::new().header(true).categories("island", ["Biscoe", "Dream", "Torgersen"]);
    /// let table: CsvTable<f32> = options.clone().read_table("island,y\nDream,1\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.dataset().features().column(0).to_vec(), vec![1.0]); // Dream is 1, not 0
    /// let err = options.read_table::<f32, Vec<usize>>("island,y\nMars,1\n".as_bytes(), "t.csv").unwrap_err();
    /// assert!(err.to_string().contains("`Mars` is not one of the 3 categories (Biscoe, Dream, Torgersen) given for column `island`"), "{err}");
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn categories<C: Into<Column>, S: Into<String>>(
        mut self,
        column: C,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.vocabularies.push((column.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Every categorical column's categories as `table` numbered them: read the training
    /// file, then the test file with `.categories_of(&train)`, and a category has the same
    /// index in both (without it, each file numbers the values it holds: Gentoo was 2 in one
    /// and 1 in the other).
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let options = CsvOptions::new().header(true).categorical(["species"]);
    /// let train: CsvTable<f32> = options.clone().read_table(
    ///     "mass,species\n3750,Adelie\n4000,Chinstrap\n5000,Gentoo\n".as_bytes(), "train.csv")?;
    /// let test: CsvTable<f32> = options.categories_of(&train).read_table(
    ///     "mass,species\n4900,Gentoo\n3700,Adelie\n".as_bytes(), "test.csv")?;
    /// assert_eq!(test.dataset().labels(), &[2, 0]); // as in training, not [1, 0]
    /// assert_eq!(test.class_names().unwrap(), ["Adelie", "Chinstrap", "Gentoo"]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn categories_of<T, Y>(mut self, table: &CsvTable<T, Y>) -> Self {
        for (column, values) in table.category_columns() {
            self = self.categories(column, values.iter().cloned());
        }
        self
    }

    /// Fields that mark a missing value (`"NA"`, `"?"`, `""` for an empty field; compared
    /// after trimming spaces). A row with one in a column that is used is dropped, and its
    /// line listed in [`CsvTable::dropped_lines`]; missing values in ignored columns do not
    /// matter. None by default: a missing value is an error.
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let text = "x,y,label\n1,2,0\nNA,3,1\n4,5,1\n";
    /// let table: CsvTable<f32> = CsvOptions::new().header(true).missing(["NA"]).read_table(text.as_bytes(), "t.csv")?;
    /// assert_eq!((table.dataset().len(), table.dropped_lines()), (2, &[3][..]));
    /// let err = CsvOptions::new().header(true).read::<f32>(text.as_bytes(), "t.csv").unwrap_err();
    /// assert!(err.to_string().ends_with("line 3, column 1: `NA` looks like a missing value: to drop the rows that have one, load with `.missing([\"NA\"])`"));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn missing<S: Into<String>>(mut self, markers: impl IntoIterator<Item = S>) -> Self {
        self.missing = markers.into_iter().map(Into::into).collect();
        self
    }
}

/// The targets of [`CsvOptions::load_matrix`]: none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoTargets(usize);

impl crate::Targets for NoTargets {
    fn num_samples(&self) -> usize {
        self.0
    }
    fn select_samples(&self, indices: &[usize]) -> Self {
        NoTargets(indices.len())
    }
}
