//! Where the text comes from: a file or a reader, plain or gzip-compressed, and what it
//! becomes: a data set with class labels or regression targets, a bare matrix, or a table.

use std::io::Read;
use std::path::Path;

use ndarray::Array2;
use tapegrad_tape::Float;

use super::{parse, CsvOptions, CsvTable, NoTargets, TableTargets, MAX_CSV_DECOMPRESSED};
use crate::gzip::{decompress_if_gzip, read_maybe_gzip, Contents};
use crate::{DataError, Dataset};

impl CsvOptions {
    /// Reads the file at `path` (plain or gzip-compressed) as features and one column of
    /// class labels.
    ///
    /// # Errors
    /// [`DataError::Io`] if it cannot be read; [`DataError::Gzip`] if its compressed data
    /// is damaged; [`DataError::Csv`] naming the line and column of the first bad field,
    /// row or column choice; [`DataError::NoRows`] if it has no data rows;
    /// [`DataError::AllRowsMissing`] if every row had a missing value;
    /// [`DataError::InvalidArgument`] for options that contradict each other.
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, Dataset};
    /// // The bundled UCI digits: 64 pixel counts and a label per row, gzip-compressed.
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv.gz");
    /// let digits: Dataset<f32> = CsvOptions::new().load(path)?;
    /// assert_eq!((digits.len(), digits.num_features(), digits.num_classes()), (1797, 64, 10));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn load<T: Float>(&self, path: impl AsRef<Path>) -> Result<Dataset<T>, DataError> {
        self.load_table(path).map(CsvTable::into_dataset)
    }

    /// Reads CSV text (plain or gzip-compressed) from `reader` as [`load`](CsvOptions::load)
    /// does; `name` stands for the file in error messages.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load), with [`DataError::Io`] if `reader` fails.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let err = CsvOptions::new().read::<f32>("1,2,0\n3,x,1\n".as_bytes(), "inline.csv").unwrap_err();
    /// assert_eq!(err.to_string(), "inline.csv, line 2, column 2: `x` is not a number");
    /// ```
    pub fn read<T: Float>(&self, reader: impl Read, name: impl AsRef<Path>) -> Result<Dataset<T>, DataError> {
        self.read_table(reader, name).map(CsvTable::into_dataset)
    }

    /// Reads the file at `path` as features and one or more columns of regression targets
    /// (`[samples, targets]`), by default the last column.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load).
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let path = std::env::temp_dir().join("tapegrad-doc-houses.csv");
    /// std::fs::write(&path, "rooms,area,price\n3,72.5,310.0\n5,120,455.5\n")?;
    /// let data = CsvOptions::new().header(true).load_regression::<f64>(&path)?;
    /// assert_eq!(data.targets(), &ndarray::array![[310.0], [455.5]]);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_regression<T: Float>(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<Dataset<T, Array2<T>>, DataError> {
        self.load_table(path).map(CsvTable::into_dataset)
    }

    /// Reads regression data from `reader` as [`load_regression`](CsvOptions::load_regression)
    /// does; `name` stands for the file in error messages.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load), with [`DataError::Io`] if `reader` fails.
    ///
    /// ```
    /// use tapegrad_data::CsvOptions;
    /// let data = CsvOptions::new().read_regression::<f32>("0.5,1.25\n".as_bytes(), "t.csv")?;
    /// assert_eq!(data.targets(), &ndarray::array![[1.25f32]]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn read_regression<T: Float>(
        &self,
        reader: impl Read,
        name: impl AsRef<Path>,
    ) -> Result<Dataset<T, Array2<T>>, DataError> {
        self.read_table(reader, name).map(CsvTable::into_dataset)
    }

    /// Reads the file at `path` as a matrix of numbers, `[rows, columns]`: every column
    /// that is not [`ignore`](CsvOptions::ignore)d or chosen as a target (or the
    /// [`features`](CsvOptions::features) given). For tables whose targets are in another
    /// file, as scikit-learn's diabetes data is.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load).
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, Dataset};
    /// let data_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
    /// let x = CsvOptions::new().delimiter(b' ').load_matrix::<f64>(format!("{data_dir}/diabetes_data_raw.csv.gz"))?;
    /// let y = CsvOptions::new().load_matrix::<f64>(format!("{data_dir}/diabetes_target.csv.gz"))?;
    /// let diabetes = Dataset::new(x, y)?;
    /// assert_eq!((diabetes.len(), diabetes.num_features()), (442, 10));
    /// assert_eq!(diabetes.targets()[[0, 0]], 151.0);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn load_matrix<T: Float>(&self, path: impl AsRef<Path>) -> Result<Array2<T>, DataError> {
        let path = path.as_ref();
        let table =
            self.parse_table::<T, NoTargets>(path, read_maybe_gzip(path, &|_| Some(MAX_CSV_DECOMPRESSED))?)?;
        Ok(table.into_dataset().into_parts().0)
    }

    /// Reads the file at `path` into a [`CsvTable`]: the [`Dataset`] with class labels
    /// (`CsvTable<T>`) or regression targets (`CsvTable<T, Array2<T>>`), and the column
    /// names, category mappings and dropped lines.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load).
    ///
    /// ```
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// // Palmer penguins as published: a header, text columns, `NA` for missing values.
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/penguins.csv");
    /// let table: CsvTable<f32> = CsvOptions::new()
    ///     .header(true)
    ///     .target("species")
    ///     .categorical(["species", "island", "sex"])
    ///     .ignore(["year"])
    ///     .missing(["NA"])
    ///     .load_table(path)?;
    /// assert_eq!(table.class_names().unwrap(), ["Adelie", "Chinstrap", "Gentoo"]);
    /// assert_eq!(table.feature_names(), ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]);
    /// assert_eq!((table.dataset().len(), table.dropped_lines().len()), (333, 11));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn load_table<T: Float, Y: TableTargets<T>>(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<CsvTable<T, Y>, DataError> {
        let path = path.as_ref();
        self.parse_table(path, read_maybe_gzip(path, &|_| Some(MAX_CSV_DECOMPRESSED))?)
    }

    /// Reads a [`CsvTable`] from `reader` as [`load_table`](CsvOptions::load_table) does;
    /// `name` stands for the file in error messages.
    ///
    /// # Errors
    /// As [`load`](CsvOptions::load), with [`DataError::Io`] if `reader` fails.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f64, Array2<f64>> =
    ///     CsvOptions::new().header(true).read_table("x,y\n1,2\n".as_bytes(), "t.csv")?;
    /// assert_eq!((table.feature_names(), table.target_names()), (&["x".to_string()][..], &["y".to_string()][..]));
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn read_table<T: Float, Y: TableTargets<T>>(
        &self,
        mut reader: impl Read,
        name: impl AsRef<Path>,
    ) -> Result<CsvTable<T, Y>, DataError> {
        let path = name.as_ref();
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|source| DataError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        self.parse_table(path, decompress_if_gzip(path, bytes, &|_| Some(MAX_CSV_DECOMPRESSED))?)
    }

    fn parse_table<T: Float, Y: TableTargets<T>>(
        &self,
        path: &Path,
        contents: Contents,
    ) -> Result<CsvTable<T, Y>, DataError> {
        if contents.cut {
            return Err(DataError::DecompressedTooLarge {
                path: path.to_path_buf(),
                limit: MAX_CSV_DECOMPRESSED,
            });
        }
        let parsed = parse::parse::<T>(self, Y::KIND, path, &contents.bytes)?;
        CsvTable::build(parsed, path)
    }
}
