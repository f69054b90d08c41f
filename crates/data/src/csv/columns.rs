//! Choosing columns: by index or header name, each column in at most one role, resolved
//! once against the first record (the header, or the first data row).

use std::fmt;

use super::table::TargetKind;
use super::CsvOptions;
use crate::CsvProblem;

/// A column of a CSV file: by its index, counting from 0, or by its name in the header.
/// Built from a `usize` or a string, so the choosing methods of
/// [`CsvOptions`](crate::CsvOptions) take either.
///
/// ```
/// use tapegrad_data::Column;
/// assert_eq!(Column::from(2), Column::Index(2));
/// assert_eq!(Column::from("species"), Column::Name("species".to_string()));
/// assert_eq!(Column::from(2).to_string(), "index 2");
/// assert_eq!(Column::from("species").to_string(), "`species`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    /// The column at this index, counting from 0.
    Index(usize),
    /// The column with this name in the header.
    Name(String),
}

impl From<usize> for Column {
    fn from(index: usize) -> Self {
        Column::Index(index)
    }
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Column::Name(name.to_string())
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        Column::Name(name)
    }
}

impl From<&String> for Column {
    fn from(name: &String) -> Self {
        Column::Name(name.clone())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Index(index) => write!(f, "index {index}"),
            Column::Name(name) => write!(f, "`{name}`"),
        }
    }
}

/// Where each value of a row goes, worked out once from the first record.
#[derive(Debug)]
pub(super) struct Plan {
    /// The number of fields every row has.
    pub(super) width: usize,
    /// The feature columns, in the order of the feature matrix.
    pub(super) features: Vec<usize>,
    /// The target columns, in order.
    pub(super) targets: Vec<usize>,
    /// For each column of the file, whether it holds categories.
    pub(super) categorical: Vec<bool>,
    /// For each column of the file, its header name or, without a header, its index.
    pub(super) names: Vec<String>,
    /// Whether the names come from a header.
    pub(super) header: bool,
    /// The columns whose categories were given, with them in index order.
    pub(super) vocabularies: Vec<(usize, Vec<String>)>,
}

/// The roles' names, as errors print them.
const TARGET: &str = "target";
const FEATURE: &str = "feature";
const IGNORED: &str = "ignored";
const CATEGORICAL: &str = "categorical";

/// Resolves the options' column choices against a first record of `width` fields, named by
/// `header` if the file has one.
pub(super) fn plan(
    options: &CsvOptions,
    kind: TargetKind,
    header: Option<Vec<String>>,
    width: usize,
) -> Result<Plan, CsvProblem> {
    let resolve = |column: &Column, role: &'static str| resolve(column, role, header.as_deref(), width);
    let mut roles: Vec<Option<&'static str>> = vec![None; width];
    let mut assign = |index: usize, role: &'static str| match roles.get_mut(index) {
        Some(Some(first)) => {
            Err(CsvProblem::TwoRoles { column: index.saturating_add(1), roles: [first, role] })
        }
        Some(slot) => {
            *slot = Some(role);
            Ok(())
        }
        None => Err(CsvProblem::ColumnOutOfRange { role, index, columns: width }),
    };

    let targets: Vec<usize> = match (&options.targets, kind) {
        (Some(chosen), _) => chosen.iter().map(|column| resolve(column, TARGET)).collect::<Result<_, _>>()?,
        (None, TargetKind::None) => Vec::new(),
        // A record has at least one field, so `width - 1` exists.
        (None, _) => vec![width.saturating_sub(1)],
    };
    for &index in &targets {
        assign(index, TARGET)?;
    }
    for column in &options.ignore {
        assign(resolve(column, IGNORED)?, IGNORED)?;
    }
    let features = match &options.features {
        Some(chosen) => {
            let features =
                chosen.iter().map(|column| resolve(column, FEATURE)).collect::<Result<Vec<_>, _>>()?;
            for &index in &features {
                assign(index, FEATURE)?;
            }
            features
        }
        None => (0..width).filter(|&index| roles.get(index).is_some_and(Option::is_none)).collect(),
    };
    // A matrix reads no targets, but columns chosen as targets are still left out of it.
    let targets = if kind == TargetKind::None { Vec::new() } else { targets };
    if features.is_empty() {
        return Err(CsvProblem::NoFeatures { columns: width });
    }
    let mut categorical = vec![false; width];
    for column in &options.categorical {
        // Marking an ignored column categorical is harmless: it is not read.
        let index = resolve(column, CATEGORICAL)?;
        if let Some(flag) = categorical.get_mut(index) {
            *flag = true;
        }
    }
    let mut vocabularies = Vec::new();
    for (column, values) in &options.vocabularies {
        let index = resolve(column, CATEGORICAL)?;
        if let Some(flag) = categorical.get_mut(index) {
            *flag = true;
        }
        vocabularies.push((index, values.clone()));
    }
    let has_header = header.is_some();
    let names = header.unwrap_or_else(|| (0..width).map(|index| index.to_string()).collect());
    Ok(Plan { width, features, targets, categorical, names, header: has_header, vocabularies })
}

/// The index of `column` in a record of `width` fields.
fn resolve(
    column: &Column,
    role: &'static str,
    header: Option<&[String]>,
    width: usize,
) -> Result<usize, CsvProblem> {
    match column {
        Column::Index(index) if *index < width => Ok(*index),
        Column::Index(index) => Err(CsvProblem::ColumnOutOfRange { role, index: *index, columns: width }),
        Column::Name(name) => {
            let Some(header) = header else {
                return Err(CsvProblem::NameWithoutHeader { role, name: name.clone() });
            };
            let mut matches =
                header.iter().enumerate().filter(|(_, field)| *field == name).map(|(index, _)| index);
            match (matches.next(), matches.next()) {
                (Some(index), None) => Ok(index),
                (Some(first), Some(second)) => Err(CsvProblem::AmbiguousName {
                    name: name.clone(),
                    columns: [first.saturating_add(1), second.saturating_add(1)],
                }),
                (None, _) => Err(CsvProblem::UnknownColumn {
                    role,
                    name: super::fields::shorten(name),
                    header: header.iter().take(40).map(|name| super::fields::shorten(name)).collect(),
                }),
            }
        }
    }
}
