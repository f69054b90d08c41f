//! The record loop: the `csv` crate splits the text into records; this checks each field
//! and puts it where the plan says, naming the line and column of anything wrong.

use std::path::Path;

use tapegrad_tape::Float;

use super::categories::{renumber, with_interners, Interner};
use super::columns::{plan, Plan};
use super::fields::{count_like, parse_label, parse_number, shorten, Field, Row};
use super::table::TargetKind;
use super::CsvOptions;
use crate::{CsvProblem, DataError};

/// Everything read from a file, before it becomes a [`CsvTable`](super::CsvTable).
pub(super) struct Parsed<T> {
    pub(super) plan: Plan,
    /// Rows kept (not dropped).
    pub(super) rows: usize,
    /// `rows × plan.features.len()`, row-major.
    pub(super) features: Vec<T>,
    /// One per row, for [`TargetKind::Labels`].
    pub(super) labels: Vec<usize>,
    /// `rows × plan.targets.len()`, row-major, for [`TargetKind::Values`].
    pub(super) values: Vec<T>,
    /// For each categorical column that is used: its index and its values in index order.
    pub(super) categories: Vec<(usize, Vec<String>)>,
    /// The lines of the rows dropped for a missing value.
    pub(super) dropped: Vec<usize>,
    /// The class names of a count line.
    pub(super) class_names: Option<Vec<String>>,
}

/// What the count line declared, and where.
struct Counts {
    samples: u64,
    features: u64,
    line: usize,
}

/// Checks options that contradict each other before any reading.
fn check_options(options: &CsvOptions, kind: TargetKind) -> Result<(), DataError> {
    let context = match kind {
        TargetKind::Labels => "CsvOptions::load",
        TargetKind::Values => "CsvOptions::load_regression",
        TargetKind::None => "CsvOptions::load_matrix",
    };
    let invalid = |reason: String| Err(DataError::InvalidArgument { context, reason });
    if matches!(options.delimiter, b'\n' | b'\r' | b'"') {
        return invalid(format!("the delimiter {:?} cannot separate fields", char::from(options.delimiter)));
    }
    if let Some(comment @ (b'\n' | b'\r' | b'"')) = options.comment {
        return invalid(format!("{:?} cannot start a comment", char::from(comment)));
    }
    if options.comment == Some(options.delimiter) {
        return invalid(format!(
            "{:?} cannot be both the delimiter and the comment byte",
            char::from(options.delimiter)
        ));
    }
    match (&options.targets, kind) {
        (Some(targets), TargetKind::Labels) if targets.len() != 1 => invalid(format!(
            "class labels come from exactly one target column, but {} were chosen \
             (load_regression reads several columns of numbers)",
            targets.len()
        )),
        (Some(targets), TargetKind::Values) if targets.is_empty() => {
            invalid("no target column was chosen: regression needs at least one".to_string())
        }
        _ => Ok(()),
    }
}

/// `bytes` with every carriage return that is not followed by a newline made a newline
/// (files from classic Mac OS end lines that way): then the csv crate, comments, skipped
/// lines and line numbers all agree on what a line is. Borrowed when there is none.
fn lone_carriage_returns_as_newlines(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let lone = |(i, &b): (usize, &u8)| b == b'\r' && bytes.get(i.saturating_add(1)) != Some(&b'\n');
    if !bytes.iter().enumerate().any(lone) {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut owned = bytes.to_vec();
    for i in 0..owned.len() {
        let is_lone = owned.get(i) == Some(&b'\r') && owned.get(i.saturating_add(1)) != Some(&b'\n');
        if let (true, Some(byte)) = (is_lone, owned.get_mut(i)) {
            *byte = b'\n';
        }
    }
    std::borrow::Cow::Owned(owned)
}

/// The number of lines in `bytes` before `rest`, and `rest`: what follows the first
/// `lines` lines.
fn skip_lines(bytes: &[u8], lines: usize) -> (usize, &[u8]) {
    let mut rest = bytes;
    let mut skipped = 0;
    while skipped < lines && !rest.is_empty() {
        rest = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => rest.get(end.saturating_add(1)..).unwrap_or_default(),
            None => &[],
        };
        skipped = skipped.saturating_add(1);
    }
    (skipped, rest)
}

/// A problem and where: the line, and the column counting from 0 if it is in one field.
type At = (usize, Option<usize>, CsvProblem);

/// Counts lines: the csv crate's count leaves out blank lines, so each record's line is
/// worked out from its byte offset, one pass over the text in all. Lines end at `\n`
/// (lone carriage returns were made newlines first).
struct Lines<'a> {
    text: &'a [u8],
    comment: Option<u8>,
    counted_to: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line of the record at `position`, and the offset of its first byte.
    fn of(&mut self, position: Option<&csv::Position>) -> (usize, usize) {
        let mut offset =
            position.map_or(0, |position| usize::try_from(position.byte()).unwrap_or(usize::MAX));
        // A record's position is where the reader began looking for it: step over the
        // blank lines and comment lines it skipped.
        loop {
            match self.text.get(offset) {
                Some(b'\n' | b'\r') => offset = offset.saturating_add(1),
                Some(&byte) if Some(byte) == self.comment => {
                    let tail = self.text.get(offset..).unwrap_or_default();
                    offset =
                        offset.saturating_add(tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len()));
                }
                _ => break,
            }
        }
        let span = self.text.get(self.counted_to..offset).unwrap_or_default();
        self.line = self.line.saturating_add(span.iter().filter(|&&b| b == b'\n').count());
        self.counted_to = self.counted_to.max(offset);
        (self.line, offset)
    }

    /// Whether the record starting at `offset` is a line of spaces and tabs only (a
    /// quoted empty field, `""`, is a field, not a blank line).
    fn blank_at(&self, offset: usize) -> bool {
        let rest = self.text.get(offset..).unwrap_or_default();
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
    }
}

/// Reads `bytes` (the whole decompressed file) as `options` say.
pub(super) fn parse<T: Float>(
    options: &CsvOptions,
    kind: TargetKind,
    path: &Path,
    bytes: &[u8],
) -> Result<Parsed<T>, DataError> {
    check_options(options, kind)?;
    let error = |(line, column, problem): At| DataError::Csv {
        path: path.to_path_buf(),
        line,
        column: column.map(|column| column.saturating_add(1)),
        problem,
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let bytes = lone_carriage_returns_as_newlines(bytes);
    let (skipped, text) = skip_lines(&bytes, options.skip_rows);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter)
        .comment(options.comment)
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut lines = Lines { text, comment: options.comment, counted_to: 0, line: skipped.saturating_add(1) };
    let mut table = Table::new(options, kind);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let (line, _) = lines.of(e.position());
                return Err(error((line, None, CsvProblem::Malformed { message: e.to_string() })));
            }
        }
        let (line, offset) = lines.of(record.position());
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) && lines.blank_at(offset) {
            continue;
        }
        // Decoded lazily: a field that is not UTF-8 is an error only where it is read.
        let fields: Vec<Option<&str>> = record.iter().map(|field| std::str::from_utf8(field).ok()).collect();
        table.record(line, &fields).map_err(error)?;
    }
    table.finish(path).map_err(|problem| match problem {
        Finish::At(at) => error(at),
        Finish::Data(e) => e,
    })
}

/// Every field as text, or the first that is not UTF-8 as an error.
fn all_text<'f>(line: usize, fields: &[Option<&'f str>]) -> Result<Vec<&'f str>, At> {
    fields
        .iter()
        .enumerate()
        .map(|(column, field)| field.ok_or((line, Some(column), CsvProblem::NotUtf8)))
        .collect()
}

/// The reading so far: what came before the data, the plan, and the rows.
struct Table<'a, T> {
    options: &'a CsvOptions,
    kind: TargetKind,
    counts: Option<Counts>,
    class_names: Option<Vec<String>>,
    header_seen: bool,
    /// The plan, each categorical column's values, and the first line it applies to.
    plan: Option<(Plan, Vec<Option<Interner>>, usize)>,
    /// A first data row that looks like a count line, for a better error if it is one:
    /// the row, and the number of features it declares.
    count_line_as_data: Option<(String, u64)>,
    /// Data rows read, dropped ones included.
    rows: usize,
    features: Vec<T>,
    labels: Vec<usize>,
    values: Vec<T>,
    dropped: Vec<usize>,
}

/// Why reading could not finish: a problem on a line, or with the file as a whole.
enum Finish {
    At(At),
    Data(DataError),
}

impl<'a, T: Float> Table<'a, T> {
    fn new(options: &'a CsvOptions, kind: TargetKind) -> Self {
        Table {
            options,
            kind,
            counts: None,
            class_names: None,
            header_seen: false,
            plan: None,
            count_line_as_data: None,
            rows: 0,
            features: Vec::new(),
            labels: Vec::new(),
            values: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// Takes one non-blank record: the count line, the header, or a data row. Fields are
    /// `None` where they are not UTF-8.
    fn record(&mut self, line: usize, fields: &[Option<&str>]) -> Result<(), At> {
        if (self.options.count_line && self.counts.is_none()) || (self.options.header && !self.header_seen) {
            let text = all_text(line, fields)?;
            if self.options.count_line && self.counts.is_none() {
                return self.count_line(line, &text);
            }
            self.header_seen = true;
            return self.start(line, Some(text.iter().map(|name| name.to_string()).collect()), fields.len());
        }
        if self.plan.is_none() {
            self.start(line, None, fields.len())?;
            if !self.options.count_line {
                self.count_line_as_data = all_text(line, fields).ok().and_then(|text| count_like(&text));
            }
        }
        self.row(line, fields)
    }

    fn count_line(&mut self, line: usize, fields: &[&str]) -> Result<(), At> {
        let number = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok());
        let names: Vec<String> = fields.iter().skip(2).map(|name| name.to_string()).collect();
        let distinct = names.iter().all(|name| !name.is_empty())
            && names.iter().enumerate().all(|(i, name)| !names.iter().take(i).any(|earlier| earlier == name));
        let (Some(samples), Some(features), true) = (number(0), number(1), distinct) else {
            let text = shorten(&fields.join(&char::from(self.options.delimiter).to_string()));
            return Err((line, None, CsvProblem::BadCountLine { text }));
        };
        self.counts = Some(Counts { samples, features, line });
        self.class_names = Some(names);
        Ok(())
    }

    /// Resolves the columns against the first record (the header, or the first data row).
    fn start(&mut self, line: usize, header: Option<Vec<String>>, width: usize) -> Result<(), At> {
        let plan = plan(self.options, self.kind, header, width).map_err(|problem| (line, None, problem))?;
        check_counts(self.counts.as_ref(), plan.width).map_err(|(line, problem)| (line, None, problem))?;
        let (plan, interners) = with_interners(plan).map_err(|problem| (line, None, problem))?;
        self.plan = Some((plan, interners, line));
        Ok(())
    }

    /// Reads one data row into the features and targets, or drops it for a missing value.
    fn row(&mut self, line: usize, fields: &[Option<&str>]) -> Result<(), At> {
        let Some((plan, _, _)) = &self.plan else { return Ok(()) };
        if fields.len() != plan.width {
            // A quote never closed swallows the rest of the file into one field, which
            // also leaves the row short: name the quote, not the count.
            let runaway =
                fields.iter().position(|field| field.is_some_and(|field| field.contains(['\n', '\r'])));
            if let Some(column) = runaway {
                return Err((line, Some(column), CsvProblem::LineBreakInField));
            }
            return Err(self.ragged(line, fields.len()));
        }
        let row = match (self.rows, self.header_seen) {
            (0, false) => Row::FirstWithoutHeader,
            (0, true) => Row::FirstAfterHeader,
            _ => Row::Later,
        };
        self.rows = self.rows.saturating_add(1);
        if self.has_missing(fields) {
            self.dropped.push(line);
            return Ok(());
        }
        self.read_row(line, fields, row)
    }

    /// The error for a row of `found` fields where the plan has another width: a ragged
    /// row, or a count line (scikit-learn's first line) read as data.
    fn ragged(&mut self, line: usize, found: usize) -> At {
        let Some((plan, _, first_line)) = &self.plan else { unreachable!("checked by the caller") };
        let count_line = self
            .count_line_as_data
            .take()
            .filter(|(_, features)| self.rows == 1 && u64::try_from(found).ok() == features.checked_add(1));
        match count_line {
            Some((text, _)) => (*first_line, None, CsvProblem::CountLineAsData { text }),
            None => {
                (line, None, CsvProblem::RaggedRow { expected: plan.width, found, first_line: *first_line })
            }
        }
    }

    /// Whether a feature or target field of this row is one of the `missing` markers.
    fn has_missing(&self, fields: &[Option<&str>]) -> bool {
        let Some((plan, _, _)) = &self.plan else { return false };
        let missing = &self.options.missing;
        let is_missing = |&column: &usize| {
            fields
                .get(column)
                .copied()
                .flatten()
                .is_some_and(|field| missing.iter().any(|m| m.trim() == field))
        };
        plan.features.iter().chain(&plan.targets).any(is_missing)
    }

    /// Parses a complete row's features and targets and appends them.
    fn read_row(&mut self, line: usize, fields: &[Option<&str>], row: Row) -> Result<(), At> {
        let Some((plan, interners, _)) = &mut self.plan else { return Ok(()) };
        let count_line_as_data = &self.count_line_as_data;
        let categorical_target =
            plan.targets.first().is_some_and(|&column| interners.get(column).is_some_and(Option::is_some));
        let mut read = |column: usize, as_label: bool| -> Result<Field<T>, At> {
            let field = match fields.get(column) {
                Some(Some(field)) => *field,
                _ => return Err((line, Some(column), CsvProblem::NotUtf8)),
            };
            let name = plan.names.get(column).map_or("", String::as_str);
            let value = match interners.get_mut(column) {
                _ if field.contains(['\n', '\r']) => Err(CsvProblem::LineBreakInField),
                _ if field.contains('"') => Err(CsvProblem::StrayQuote { text: shorten(field) }),
                Some(Some(interner)) => interner.id(field, name).map(Field::Id),
                _ if as_label => parse_label(field, name, row).map(Field::Id),
                _ => parse_number::<T>(field, name, row).map(Field::Number),
            };
            value.map_err(|problem| match (row, count_line_as_data) {
                (Row::FirstWithoutHeader, Some((text, _))) => {
                    (line, None, CsvProblem::CountLineAsData { text: text.clone() })
                }
                _ => (line, Some(column), problem),
            })
        };
        for &column in &plan.features {
            self.features.push(read(column, false)?.number());
        }
        for &column in &plan.targets {
            if self.kind != TargetKind::Labels {
                self.values.push(read(column, false)?.number());
                continue;
            }
            let label = read(column, true)?.id();
            let names = self.class_names.as_ref().map_or(0, Vec::len);
            if names > 0 && label >= names && !categorical_target {
                return Err((line, Some(column), CsvProblem::UnnamedClass { label, names }));
            }
            self.labels.push(label);
        }
        Ok(())
    }

    /// Checks the whole: rows to match the count line, some rows left; renumbers categories.
    fn finish(mut self, path: &Path) -> Result<Parsed<T>, Finish> {
        let Some((plan, interners, _)) = self.plan else {
            let header_only = self.header_seen || self.counts.is_some();
            return Err(Finish::Data(DataError::NoRows { path: path.to_path_buf(), header_only }));
        };
        if let Some(counts) = &self.counts {
            if u64::try_from(self.rows).ok() != Some(counts.samples) {
                let problem = CsvProblem::CountMismatch {
                    what: "data rows",
                    declared: counts.samples,
                    found: self.rows,
                };
                return Err(Finish::At((counts.line, None, problem)));
            }
        }
        let rows = self.rows.saturating_sub(self.dropped.len());
        if rows == 0 {
            let path = path.to_path_buf();
            return Err(Finish::Data(match self.dropped.first() {
                Some(&first_line) => {
                    DataError::AllRowsMissing { path, dropped: self.dropped.len(), first_line }
                }
                None => DataError::NoRows { path, header_only: true },
            }));
        }
        let categories = renumber(&plan, interners, &mut self.features, &mut self.labels, &mut self.values);
        Ok(Parsed {
            plan,
            rows,
            features: self.features,
            labels: self.labels,
            values: self.values,
            categories,
            dropped: self.dropped,
            class_names: self.class_names,
        })
    }
}

/// Checks a count line's feature count against the width of the rows: scikit-learn's
/// files have one target column after the features.
fn check_counts(counts: Option<&Counts>, width: usize) -> Result<(), (usize, CsvProblem)> {
    match counts {
        Some(counts) if u64::try_from(width.saturating_sub(1)).ok() != Some(counts.features) => Err((
            counts.line,
            CsvProblem::CountMismatch {
                what: "feature columns",
                declared: counts.features,
                found: width.saturating_sub(1),
            },
        )),
        _ => Ok(()),
    }
}
