//! What can be wrong with one line of a CSV file, worded so that the message alone finds
//! the fix.

use std::fmt;

#[cfg(doc)]
use crate::DataError;

/// What is wrong with one line of a CSV file (the line and column are in
/// [`DataError::Csv`]).
///
/// ```
/// use tapegrad_data::CsvProblem;
/// let problem = CsvProblem::RaggedRow { expected: 5, found: 4, first_line: 1 };
/// assert_eq!(problem.to_string(), "expected 5 columns (as on line 1), found 4");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblem {
    /// A feature field that does not parse as a number.
    NotANumber {
        /// The field, trimmed (shortened if very long).
        text: String,
    },
    /// A field on the first row read as data that is not a number and contains letters:
    /// most likely a header read as data.
    UnexpectedHeader {
        /// The field, trimmed (shortened if very long).
        text: String,
    },
    /// A feature field that parses, but as NaN or an infinity.
    NotFinite {
        /// The field, trimmed.
        text: String,
    },
    /// A label field that is not a non-negative integer (`3` or `3.0`).
    NotALabel {
        /// The field, trimmed (shortened if very long).
        text: String,
    },
    /// A label of [`MAX_CLASSES`](crate::MAX_CLASSES) or more.
    LabelTooLarge {
        /// The field, trimmed (shortened if very long).
        text: String,
    },
    /// A field with nothing in it (`1,,2`).
    EmptyField,
    /// A row with a different number of fields from the first row (or the header).
    RaggedRow {
        /// Fields on the first row.
        expected: usize,
        /// Fields on this row.
        found: usize,
        /// The line the expected count comes from.
        first_line: usize,
    },
    /// A column chosen by index (as a target, feature, ignored or categorical column) is
    /// past the end of the row.
    ColumnOutOfRange {
        /// What the column was chosen as (`"target"`, `"feature"`, `"ignored"`,
        /// `"categorical"`).
        role: &'static str,
        /// The index, counting from 0 as given to [`CsvOptions`](crate::CsvOptions).
        index: usize,
        /// Fields on the row.
        columns: usize,
    },
    /// A column chosen by name is not in the header.
    UnknownColumn {
        /// What the column was chosen as.
        role: &'static str,
        /// The name given.
        name: String,
        /// The header's names (shortened if very long), to pick from.
        header: Vec<String>,
    },
    /// A column chosen by name in a file read without a header.
    NameWithoutHeader {
        /// What the column was chosen as.
        role: &'static str,
        /// The name given.
        name: String,
    },
    /// A column chosen by a name that two header fields share.
    AmbiguousName {
        /// The name.
        name: String,
        /// The two columns (counting from 1) that have it.
        columns: [usize; 2],
    },
    /// One column chosen for two roles (a target that is also a feature, say).
    TwoRoles {
        /// The column (counting from 1).
        column: usize,
        /// The two roles.
        roles: [&'static str; 2],
    },
    /// A row with only targets: no feature columns to learn from.
    NoFeatures {
        /// Fields on the row.
        columns: usize,
    },
    /// Text in a column read as numbers, such as a class name: the column may hold
    /// categories.
    TextInNumericColumn {
        /// The field, trimmed (shortened if very long).
        text: String,
        /// The column's name (its header field, or its index from 0 without a header).
        name: String,
    },
    /// A field such as `NA` or `?` that usually marks a missing value.
    MissingValue {
        /// The field, trimmed.
        text: String,
    },
    /// A first line read as a count line that is not one.
    BadCountLine {
        /// The line, shortened.
        text: String,
    },
    /// The count line's figures do not match the data.
    CountMismatch {
        /// `"data rows"` or `"feature columns"`.
        what: &'static str,
        /// What the count line says.
        declared: u64,
        /// What the file holds.
        found: usize,
    },
    /// A first row read as data that looks like a count line, the first line of the
    /// files scikit-learn bundles (`150,4,setosa,versicolor,virginica`): reported when it
    /// does not parse as data, or when the next row is not as wide.
    CountLineAsData {
        /// The row, shortened.
        text: String,
    },
    /// A class label that the count line does not name.
    UnnamedClass {
        /// The label.
        label: usize,
        /// How many class names the count line gives.
        names: usize,
    },
    /// A categorical column with more distinct values than a [`Dataset`](crate::Dataset)
    /// may have classes ([`MAX_CLASSES`](crate::MAX_CLASSES)).
    TooManyCategories {
        /// The column's name.
        name: String,
    },
    /// A value of a column whose categories were given
    /// ([`CsvOptions::categories`](crate::CsvOptions::categories)) that is not one of them.
    UnknownCategory {
        /// The column's name.
        name: String,
        /// The value.
        text: String,
        /// The categories given, in words: how many, and the first few.
        known: Box<str>,
    },
    /// The categories given for a column name one value twice.
    DuplicateCategory {
        /// The column's name.
        name: String,
        /// The value.
        text: String,
    },
    /// A field with a line break in it: a quoted field that runs over several lines,
    /// most often because a quote was never closed.
    LineBreakInField,
    /// A `"` inside a field: quoting that the reader could not take apart (a quote must
    /// open the field, right after the delimiter, and close it).
    StrayQuote {
        /// The field, shortened.
        text: String,
    },
    /// The CSV reader refused the text.
    Malformed {
        /// The reader's message.
        message: String,
    },
    /// A line that is not UTF-8 text.
    NotUtf8,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotANumber { text } => write!(f, "`{text}` is not a number"),
            Self::UnexpectedHeader { text } => write!(
                f,
                "`{text}` is not a number (if the first row is a header, load with `CsvOptions::new().header(true)`)"
            ),
            Self::NotFinite { text } => {
                write!(f, "`{text}` is not a finite number (NaN and infinities are refused)")
            }
            Self::NotALabel { text } => {
                write!(f, "`{text}` is not a class label: expected a non-negative integer")
            }
            Self::LabelTooLarge { text } => write!(
                f,
                "`{text}` is too large for a class label: expected a class below {}",
                crate::MAX_CLASSES
            ),
            Self::EmptyField => write!(f, "empty field: expected a number"),
            Self::RaggedRow { expected, found, first_line } => {
                write!(f, "expected {expected} columns (as on line {first_line}), found {found}")
            }
            Self::ColumnOutOfRange { role, index, columns } => write!(
                f,
                "the {role} column index {index} (column {}) does not exist: the row has {columns} columns",
                u128::from(*index as u64) + 1
            ),
            Self::UnknownColumn { role, name, header } => write!(
                f,
                "the {role} column `{name}` is not in the header; its columns are {}",
                header.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
            ),
            Self::NameWithoutHeader { role, name } => write!(
                f,
                "the {role} column is chosen by name (`{name}`), but the file is read without a \
                 header: set `.header(true)` if line 1 names the columns, or choose it by index"
            ),
            Self::AmbiguousName { name, columns: [first, second] } => write!(
                f,
                "columns {first} and {second} are both named `{name}`: choose one by index (from 0)"
            ),
            Self::TwoRoles { column, roles: [first, second] } if first == second => {
                write!(f, "column {column} is chosen twice as {} {first} column", article(first))
            }
            Self::TwoRoles { column, roles: [first, second] } => write!(
                f,
                "column {column} is chosen both as {} {first} and as {} {second} column",
                article(first),
                article(second)
            ),
            Self::NoFeatures { columns } => write!(
                f,
                "{columns} column(s), all targets or ignored: expected at least one feature column"
            ),
            Self::TextInNumericColumn { text, name } => write!(
                f,
                "`{text}` is not a number: if column `{name}` holds categories, list it in \
                 `.categorical([..])` to map its values to indices"
            ),
            Self::MissingValue { text } => write!(
                f,
                "`{text}` looks like a missing value: to drop the rows that have one, load with \
                 `.missing([\"{text}\"])`"
            ),
            Self::BadCountLine { text } => write!(
                f,
                "`{text}` is not a count line: expected `samples,features` and optionally the class \
                 names, as scikit-learn's files start"
            ),
            Self::CountMismatch { what, declared, found } => {
                write!(f, "the count line declares {declared} {what}, but the file has {found}")
            }
            Self::CountLineAsData { text } => write!(
                f,
                "`{text}` looks like a count line (samples, features, class names), as \
                 scikit-learn's files start: load with `.count_line(true)`"
            ),
            Self::UnnamedClass { label, names } => write!(
                f,
                "label {label} has no name: the count line names {names} classes"
            ),
            Self::UnknownCategory { name, text, known } => write!(
                f,
                "`{text}` is not one of the {known} given for column `{name}`: a value the training file never had"
            ),
            Self::DuplicateCategory { name, text } => {
                write!(f, "the categories given for column `{name}` name `{text}` twice")
            }
            Self::TooManyCategories { name } => write!(
                f,
                "column `{name}` has more than {} distinct values, too many to be categories",
                crate::MAX_CLASSES
            ),
            Self::LineBreakInField => write!(
                f,
                "a field runs over more than one line: a `\"` that is never closed? (the field starts on this line)"
            ),
            Self::StrayQuote { text } => write!(
                f,
                "`{text}` has a `\"` inside it: quote whole fields, with the opening quote right after the delimiter"
            ),
            Self::Malformed { message } => write!(f, "unreadable CSV: {message}"),
            Self::NotUtf8 => write!(f, "not UTF-8 text"),
        }
    }
}

/// `"a"` or `"an"`, for a role's name.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
