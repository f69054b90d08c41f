//! Categorical columns: each distinct value numbered as first seen while reading, then
//! renumbered in sorted order once every row is in.

use std::collections::HashMap;

use tapegrad_tape::Float;

use super::columns::Plan;
use super::fields::{looks_missing, shorten};
use crate::{CsvProblem, MAX_CLASSES};

/// The distinct values of one categorical column, numbered as first seen, or (`fixed`)
/// the categories given for it, numbered as given.
#[derive(Default)]
pub(super) struct Interner {
    ids: HashMap<String, usize>,
    values: Vec<String>,
    fixed: bool,
}

impl Interner {
    /// An interner that knows exactly `values`, numbered in their order.
    fn fixed(values: &[String], name: &str) -> Result<Self, CsvProblem> {
        if values.len() > MAX_CLASSES {
            return Err(CsvProblem::TooManyCategories { name: shorten(name) });
        }
        let mut ids = HashMap::with_capacity(values.len());
        for (id, value) in values.iter().enumerate() {
            if ids.insert(value.clone(), id).is_some() {
                return Err(CsvProblem::DuplicateCategory { name: shorten(name), text: shorten(value) });
            }
        }
        Ok(Interner { ids, values: values.to_vec(), fixed: true })
    }

    pub(super) fn id(&mut self, field: &str, name: &str) -> Result<usize, CsvProblem> {
        if let Some(&id) = self.ids.get(field) {
            return Ok(id);
        }
        if field.is_empty() {
            return Err(CsvProblem::EmptyField);
        }
        // `NA` is a missing value here as in a numeric column (drop such rows with
        // `.missing(..)`), unless the categories given name it.
        if looks_missing(field) {
            return Err(CsvProblem::MissingValue { text: shorten(field) });
        }
        if self.fixed {
            let first: Vec<String> = self.values.iter().take(8).map(|value| shorten(value)).collect();
            let more = if self.values.len() > first.len() { ", …" } else { "" };
            let known = format!("{} categories ({}{more})", self.values.len(), first.join(", "));
            return Err(CsvProblem::UnknownCategory {
                name: shorten(name),
                text: shorten(field),
                known: known.into(),
            });
        }
        let id = self.values.len();
        if id >= MAX_CLASSES {
            return Err(CsvProblem::TooManyCategories { name: shorten(name) });
        }
        self.ids.insert(field.to_string(), id);
        self.values.push(field.to_string());
        Ok(id)
    }

    /// The values in their final order (numerically if they are all numbers, else as
    /// text), and each first-seen id's place in it.
    fn sorted(self) -> (Vec<String>, Vec<usize>) {
        if self.fixed {
            let identity = (0..self.values.len()).collect();
            return (self.values, identity);
        }
        let numbers: Option<Vec<f64>> = self.values.iter().map(|value| value.parse::<f64>().ok()).collect();
        let mut order: Vec<usize> = (0..self.values.len()).collect();
        match numbers {
            Some(numbers) => order.sort_by(|&a, &b| {
                let (a, b) = (numbers.get(a).copied().unwrap_or(0.0), numbers.get(b).copied().unwrap_or(0.0));
                a.total_cmp(&b)
            }),
            None => order.sort_by(|&a, &b| self.values.get(a).cmp(&self.values.get(b))),
        }
        let mut rank = vec![0; order.len()];
        for (place, &id) in order.iter().enumerate() {
            if let Some(slot) = rank.get_mut(id) {
                *slot = place;
            }
        }
        let mut values = self.values;
        let sorted = order
            .iter()
            .map(|&id| std::mem::take(values.get_mut(id).unwrap_or(&mut String::new())))
            .collect();
        (sorted, rank)
    }
}

/// An interner for each categorical column that is used (holding the categories given
/// for it, if any).
///
/// # Errors
/// Categories given twice for a column, or more than [`MAX_CLASSES`] of them.
pub(super) fn with_interners(plan: Plan) -> Result<(Plan, Vec<Option<Interner>>), CsvProblem> {
    // One pass over the used columns (a row may be hundreds of thousands of fields wide).
    let mut used = vec![false; plan.width];
    for &column in plan.features.iter().chain(&plan.targets) {
        if let Some(flag) = used.get_mut(column) {
            *flag = true;
        }
    }
    let mut interners: Vec<Option<Interner>> = used
        .iter()
        .zip(&plan.categorical)
        .map(|(&used, &categorical)| (used && categorical).then(Interner::default))
        .collect();
    for (column, values) in &plan.vocabularies {
        if let Some(slot @ Some(_)) = interners.get_mut(*column) {
            let name = plan.names.get(*column).map_or("", String::as_str);
            *slot = Some(Interner::fixed(values, name)?);
        }
    }
    Ok((plan, interners))
}

/// Replaces first-seen ids with sorted ones in every categorical column; returns each
/// column's values in index order.
pub(super) fn renumber<T: Float>(
    plan: &Plan,
    interners: Vec<Option<Interner>>,
    features: &mut [T],
    labels: &mut [usize],
    values: &mut [T],
) -> Vec<(usize, Vec<String>)> {
    let mut categories = Vec::new();
    for (column, interner) in interners.into_iter().enumerate() {
        let Some(interner) = interner else { continue };
        let (sorted, rank) = interner.sorted();
        let new_id = |id: usize| rank.get(id).copied().unwrap_or(id);
        let as_id = |value: &T| value.to_f64().map_or(0, |value| value as usize);
        if let Some(k) = plan.features.iter().position(|&c| c == column) {
            for row in features.chunks_exact_mut(plan.features.len()) {
                if let Some(value) = row.get_mut(k) {
                    *value = T::from_f64(new_id(as_id(value)) as f64);
                }
            }
        }
        if let Some(k) = plan.targets.iter().position(|&c| c == column) {
            for label in labels.iter_mut() {
                *label = new_id(*label);
            }
            for row in values.chunks_exact_mut(plan.targets.len()) {
                if let Some(value) = row.get_mut(k) {
                    *value = T::from_f64(new_id(as_id(value)) as f64);
                }
            }
        }
        categories.push((column, sorted));
    }
    categories
}
