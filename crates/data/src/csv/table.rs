//! What a CSV file holds besides its numbers: the columns' names, the values behind each
//! categorical index, the lines dropped for a missing value.

use ndarray::Array2;
use tapegrad_tape::Float;

use super::parse::Parsed;
use super::NoTargets;
use crate::{DataError, Dataset, Targets};

/// What the target columns of a table hold (see [`TableTargets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// One column of class labels.
    Labels,
    /// One or more columns of numbers.
    Values,
    /// No target columns.
    None,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for Vec<usize> {}
    impl<T> Sealed for ndarray::Array2<T> {}
    impl Sealed for super::NoTargets {}
}

/// The targets a [`CsvTable`] can hold: class labels (`Vec<usize>`, one column) or
/// regression values (`Array2<T>`, one or more columns). Sealed: the loader knows how to
/// read each.
///
/// ```
/// use ndarray::Array2;
/// use tapegrad_data::{CsvOptions, CsvTable};
/// let text = "1,2\n3,4\n";
/// let labels: CsvTable<f32, Vec<usize>> = CsvOptions::new().read_table(text.as_bytes(), "t.csv")?;
/// let values: CsvTable<f32, Array2<f32>> = CsvOptions::new().read_table(text.as_bytes(), "t.csv")?;
/// assert_eq!((labels.dataset().labels(), values.dataset().targets().column(0).to_vec()), (&[2, 4][..], vec![2.0, 4.0]));
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
pub trait TableTargets<T>: Targets + sealed::Sealed {
    /// What the loader reads into them.
    #[doc(hidden)]
    const KIND: TargetKind;
    /// The targets from the loader's parsed columns.
    #[doc(hidden)]
    fn from_parsed(
        rows: usize,
        columns: usize,
        labels: Vec<usize>,
        values: Vec<T>,
    ) -> Result<Self, DataError>;
}

impl<T> TableTargets<T> for Vec<usize> {
    const KIND: TargetKind = TargetKind::Labels;
    fn from_parsed(_: usize, _: usize, labels: Vec<usize>, _: Vec<T>) -> Result<Self, DataError> {
        Ok(labels)
    }
}

impl<T: Clone> TableTargets<T> for Array2<T> {
    const KIND: TargetKind = TargetKind::Values;
    fn from_parsed(rows: usize, columns: usize, _: Vec<usize>, values: Vec<T>) -> Result<Self, DataError> {
        // Every row pushed exactly `columns` values, so this cannot fail.
        Array2::from_shape_vec((rows, columns), values).map_err(|e| DataError::InvalidArgument {
            context: "CsvOptions::load_regression",
            reason: e.to_string(),
        })
    }
}

impl<T> TableTargets<T> for NoTargets {
    const KIND: TargetKind = TargetKind::None;
    fn from_parsed(rows: usize, _: usize, _: Vec<usize>, _: Vec<T>) -> Result<Self, DataError> {
        Ok(NoTargets(rows))
    }
}

/// A CSV file as read by [`CsvOptions::load_table`](crate::CsvOptions::load_table): the
/// [`Dataset`], the names of its feature and target columns, the values behind each
/// categorical index, and the lines of the rows dropped for a missing value.
///
/// ```
/// use tapegrad_data::{CsvOptions, CsvTable};
/// let text = "colour,size,label\nred,1.5,yes\nblue,2.5,no\nred,NA,no\n";
/// let table: CsvTable<f64> = CsvOptions::new()
///     .header(true)
///     .categorical(["colour", "label"])
///     .missing(["NA"])
///     .read_table(text.as_bytes(), "t.csv")?;
/// assert_eq!(table.feature_names(), ["colour", "size"]);
/// assert_eq!(table.target_names(), ["label"]);
/// assert_eq!(table.categories("colour").unwrap(), ["blue", "red"]);
/// assert_eq!(table.class_names().unwrap(), ["no", "yes"]);
/// assert_eq!(table.dropped_lines(), [4]);
/// let data = table.into_dataset();
/// assert_eq!(data.features(), &ndarray::array![[1.0, 1.5], [0.0, 2.5]]);
/// assert_eq!(data.labels(), &[1, 0]);
/// # Ok::<(), tapegrad_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable<T, Y = Vec<usize>> {
    dataset: Dataset<T, Y>,
    feature_names: Vec<String>,
    target_names: Vec<String>,
    categories: Vec<(String, Vec<String>)>,
    /// Each categorical column as the options name it (by header name, or by index in a
    /// file without a header), in the order of `categories`.
    category_keys: Vec<super::Column>,
    class_names: Option<Vec<String>>,
    dropped_lines: Vec<usize>,
}

impl<T: Float, Y: TableTargets<T>> CsvTable<T, Y> {
    pub(super) fn build(parsed: Parsed<T>, path: &std::path::Path) -> Result<Self, DataError> {
        let Parsed { plan, rows, features, labels, values, categories, dropped, class_names } = parsed;
        let features = Array2::from_shape_vec((rows, plan.features.len()), features).map_err(|e| {
            DataError::InvalidArgument {
                context: "CsvOptions::load_table",
                reason: format!("{}: {e}", path.display()),
            }
        })?;
        let targets = Y::from_parsed(rows, plan.targets.len(), labels, values)?;
        let name = |&column: &usize| plan.names.get(column).cloned().unwrap_or_default();
        let target_category = categories.iter().find(|(column, _)| plan.targets.first() == Some(column));
        let class_names = match (Y::KIND, target_category) {
            (TargetKind::Labels, Some((_, values))) => Some(values.clone()),
            (TargetKind::Labels, None) => class_names.filter(|names| !names.is_empty()),
            _ => None,
        };
        Ok(CsvTable {
            dataset: Dataset::new(features, targets)?,
            feature_names: plan.features.iter().map(name).collect(),
            target_names: plan.targets.iter().map(name).collect(),
            category_keys: categories
                .iter()
                .map(|(column, _)| match plan.header {
                    true => super::Column::Name(name(column)),
                    false => super::Column::Index(*column),
                })
                .collect(),
            categories: categories.into_iter().map(|(column, values)| (name(&column), values)).collect(),
            class_names,
            dropped_lines: dropped,
        })
    }
}

impl<T, Y> CsvTable<T, Y> {
    /// The data: features and targets.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().read_table("1,0\n2,1\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.dataset().len(), 2);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn dataset(&self) -> &Dataset<T, Y> {
        &self.dataset
    }

    /// The data, keeping nothing else.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().read_table("1,0\n2,1\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.into_dataset().labels(), &[0, 1]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn into_dataset(self) -> Dataset<T, Y> {
        self.dataset
    }

    /// The feature columns' names, in the order of the feature matrix's columns: from the
    /// header, or each column's index from 0 without one.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().label_column(0).read_table("0,1,2\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.feature_names(), ["1", "2"]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The target columns' names, in order (none for a matrix).
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().header(true).read_table("x,kind\n1,0\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.target_names(), ["kind"]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn target_names(&self) -> &[String] {
        &self.target_names
    }

    /// The values of a categorical column, by the column's name (its header field, or its
    /// index from 0 without a header): value `i` is the one index `i` stands for. `None`
    /// if the column is not categorical or not read.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().categorical([0]).read_table("b,0\na,1\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.categories("0").unwrap(), ["a", "b"]);
    /// assert_eq!(table.dataset().features().column(0).to_vec(), vec![1.0, 0.0]);
    /// assert!(table.categories("1").is_none());
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn categories(&self, column: &str) -> Option<&[String]> {
        self.categories.iter().find(|(name, _)| name == column).map(|(_, values)| values.as_slice())
    }

    /// Every categorical column with its values in index order, each column as the
    /// options name it (for [`CsvOptions::categories_of`](super::CsvOptions::categories_of)).
    pub(super) fn category_columns(&self) -> impl Iterator<Item = (super::Column, &Vec<String>)> {
        self.category_keys.iter().cloned().zip(self.categories.iter().map(|(_, values)| values))
    }

    /// The names of the classes, for class labels: the values of a categorical target, or
    /// the names on a [count line](crate::CsvOptions::count_line). `None` otherwise.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv");
    /// let iris: CsvTable<f32> = CsvOptions::new().count_line(true).load_table(path)?;
    /// assert_eq!(iris.class_names().unwrap(), ["setosa", "versicolor", "virginica"]);
    /// assert_eq!(iris.dataset().len(), 150);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn class_names(&self) -> Option<&[String]> {
        self.class_names.as_deref()
    }

    /// The lines (from 1) of the rows dropped because a used column held a
    /// [`missing`](crate::CsvOptions::missing) value, in file order.
    ///
    /// ```
    /// # use tapegrad_data::{CsvOptions, CsvTable};
    /// let table: CsvTable<f32> = CsvOptions::new().missing(["?"]).read_table("1,0\n?,1\n3,1\n".as_bytes(), "t.csv")?;
    /// assert_eq!(table.dropped_lines(), [2]);
    /// # Ok::<(), tapegrad_data::DataError>(())
    /// ```
    pub fn dropped_lines(&self) -> &[usize] {
        &self.dropped_lines
    }
}
