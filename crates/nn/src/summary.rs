//! A model summary, as PyTorch's module print and torchinfo give it: every layer the
//! forward pass goes through, its output shape and parameter count, and the totals.
//!
//! The shapes come from running the model once on zeros of the input's shape: each call
//! of [`Module::forward_child`] (how containers call their children, and how
//! [`summary`] calls the model) records a row while a summary is being taken, on this
//! thread only.

use std::cell::RefCell;
use std::fmt;

use ndarray::ArrayD;
use tapegrad_tape::{checked_size, Float, Tape};

use crate::{assign_buffers, assign_random_states, copy_buffers, copy_random_states, Module, NnError};

/// One layer's row: where it sits, what it is, what it made.
///
/// ```
/// use tapegrad_nn::{summary, Dense, Sequential, Tanh};
/// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
/// let mut model = Sequential::<f64>::new().add(Dense::new(2, 4, r)).add(Tanh);
/// let rows = summary(&mut model, &[8, 2])?.rows;
/// assert_eq!((rows[1].path.as_str(), rows[1].layer.as_str(), rows[1].depth), ("layers.0", "Dense(2 → 4)", 1));
/// assert_eq!((rows[1].output_shape.clone(), rows[1].parameters), (Some(vec![8, 4]), 12));
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// How deep in the model: 0 for the model itself, 1 for its children, …
    pub depth: usize,
    /// The dotted path its parameters are named under (`layers.0`; empty for the model),
    /// when the calls line up with [`Module::visit_children`]; empty otherwise.
    pub path: String,
    /// What it is, as [`Module::layer_name`] gives it (`Dense(2 → 4)`).
    pub layer: String,
    /// The shape of what it returned (`None` if it failed).
    pub output_shape: Option<Vec<usize>>,
    /// Its parameters (its children's included), in numbers.
    pub parameters: usize,
}

/// What [`summary`] found: a row per layer called, in calling order (a container before
/// its children), and the totals. `Display` prints it as a table.
///
/// ```
/// use tapegrad_nn::{summary, Dense, Frozen, ReLU, Sequential};
/// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
/// let mut model = Sequential::<f32>::new().add(Frozen::new(Dense::new(3, 4, r))).add(ReLU).add(Dense::new(4, 2, r));
/// let s = summary(&mut model, &[16, 3])?;
/// assert_eq!((s.parameters, s.trainable, s.buffers), (26, 10, 0));
/// println!("{s}");
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The input shape the model ran on.
    pub input_shape: Vec<usize>,
    /// The element type (`f32`, `f64`).
    pub dtype: &'static str,
    /// Its size in bytes.
    pub element_bytes: usize,
    /// One row per layer called.
    pub rows: Vec<SummaryRow>,
    /// All parameters, in numbers.
    pub parameters: usize,
    /// Those that got a gradient from the output: the rest are frozen (`Frozen`,
    /// `Sequential::set_trainable`, `Tape::freeze`) or unused.
    pub trainable: usize,
    /// All buffers (running statistics), in numbers.
    pub buffers: usize,
}

/// What the calls of a summary being taken record.
struct Recorder {
    rows: Vec<SummaryRow>,
    depth: usize,
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Opens `module`'s row if a summary is being taken; returns where it is.
pub(crate) fn enter<T: Float, M: Module<T> + ?Sized>(module: &M) -> Option<usize> {
    let recording = RECORDER.with(|r| r.borrow().is_some());
    if !recording {
        return None;
    }
    let (layer, parameters) = (module.layer_name(), module.param_count());
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        let recorder = r.as_mut()?;
        let index = recorder.rows.len();
        recorder.rows.push(SummaryRow {
            depth: recorder.depth,
            path: String::new(),
            layer,
            output_shape: None,
            parameters,
        });
        recorder.depth += 1;
        Some(index)
    })
}

/// Closes the row `enter` opened with the output's shape.
pub(crate) fn leave(row: Option<usize>, output_shape: Option<Vec<usize>>) {
    let Some(index) = row else { return };
    RECORDER.with(|r| {
        if let Some(recorder) = r.borrow_mut().as_mut() {
            recorder.depth = recorder.depth.saturating_sub(1);
            if let Some(row) = recorder.rows.get_mut(index) {
                row.output_shape = output_shape;
            }
        }
    });
}

/// Summarises `model` on an input of `input_shape` (a batch included: `[32, 1]`), as
/// torchinfo's `summary(model, input_size)` does: the model runs once on zeros, and every
/// layer called through [`Module::forward_child`] (every built-in container calls its
/// children so) gets a row with its output shape and parameter count. Parameters that get
/// no gradient from the output count as not trainable.
///
/// The model is taken `&mut` only to put back what the pass changes: its buffers (a
/// `BatchNorm1d`'s running statistics) and random states (`Dropout`'s) are as before.
///
/// # Errors
/// What the forward pass returns (an [`NnError::InputShape`] naming the layer that does
/// not fit), and [`NnError::InputShape`] for a shape too large to allocate.
///
/// ```
/// use tapegrad_nn::{summary, BatchNorm1d, Dense, Dropout, Module, Sequential, Tanh};
/// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
/// let mut model = Sequential::<f64>::new()
///     .add(Dense::new(1, 16, r)).add(BatchNorm1d::new(16)).add(Tanh)
///     .add(Dropout::new(0.1, 7)?).add(Dense::new(16, 1, r));
/// let s = summary(&mut model, &[32, 1])?;
/// assert_eq!(s.rows.len(), 6); // the Sequential and its five layers
/// assert_eq!(s.rows[5].output_shape, Some(vec![32, 1]));
/// assert_eq!((s.parameters, s.buffers), (32 + 32 + 17, 32));
/// assert!(s.to_string().contains("BatchNorm1d(16)"));
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
pub fn summary<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    input_shape: &[usize],
) -> Result<Summary, NnError> {
    if checked_size(input_shape).is_none() {
        return Err(NnError::InputShape {
            layer: "summary".into(),
            expected: "a shape whose size fits in memory".into(),
            actual: input_shape.to_vec(),
        });
    }
    let (buffers, states) = (copy_buffers(model), copy_random_states(model));
    let outer = RECORDER.with(|r| r.replace(Some(Recorder { rows: Vec::new(), depth: 0 })));
    let outcome = {
        let tape = Tape::new();
        let input = tape.constant(ArrayD::<T>::zeros(input_shape));
        match model.forward_child(&tape, input) {
            Ok(output) => {
                let grads = tape.backward(output.sum());
                let mut trainable = 0;
                model.visit_params(&mut |_, param| {
                    if grads.param(&param).is_some() {
                        trainable += param.len();
                    }
                });
                Ok(trainable)
            }
            Err(err) => Err(err),
        }
    };
    let recorded = RECORDER.with(|r| r.replace(outer)).map(|r| r.rows).unwrap_or_default();
    assign_buffers(model, buffers);
    assign_random_states(model, &states);
    let trainable = outcome?;
    let mut rows = recorded;
    name_rows(&*model, &mut rows);
    let mut buffer_count = 0;
    model.visit_buffers(&mut |_, buffer| buffer_count += buffer.len());
    Ok(Summary {
        input_shape: input_shape.to_vec(),
        dtype: T::NAME,
        element_bytes: std::mem::size_of::<T>(),
        rows,
        parameters: model.param_count(),
        trainable,
        buffers: buffer_count,
    })
}

/// Gives the rows their dotted paths from the model's children, when the calls line up
/// with them (each child called once, in order, under its parent).
fn name_rows<T: Float, M: Module<T> + ?Sized>(model: &M, rows: &mut [SummaryRow]) {
    fn walk<T: Float>(
        module: &dyn Module<T>,
        path: &str,
        depth: usize,
        out: &mut Vec<(usize, String, String)>,
    ) {
        out.push((depth, path.to_string(), module.layer_name()));
        module.visit_children(&mut |name, child| {
            let child_path = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
            walk(child, &child_path, depth + 1, out);
        });
    }
    let mut tree = vec![(0, String::new(), model.layer_name())];
    model.visit_children(&mut |name, child| walk(child, name, 1, &mut tree));
    let lines_up = tree.len() == rows.len()
        && tree
            .iter()
            .zip(rows.iter())
            .all(|((depth, _, layer), row)| *depth == row.depth && *layer == row.layer);
    if lines_up {
        for ((_, path, _), row) in tree.into_iter().zip(rows.iter_mut()) {
            row.path = path;
        }
    }
}

impl fmt::Display for Summary {
    /// A table: a row per layer, indented by depth, then the totals.
    ///
    /// ```
    /// use tapegrad_nn::{summary, Dense};
    /// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    /// let text = summary(&mut Dense::<f64>::new(3, 2, r), &[4, 3])?.to_string();
    /// assert!(text.contains("Dense(3 → 2)") && text.contains("[4, 2]"));
    /// assert!(text.contains("parameters: 8 (trainable 8, not trained 0), 64 B"));
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = |s: &Option<Vec<usize>>| s.as_ref().map_or("–".to_string(), |s| format!("{s:?}"));
        // Each row under the name its parent gives it (`layers.0`): its path less the
        // parent's, the parent being the last row one level up.
        let mut parents: Vec<&str> = Vec::new();
        let names: Vec<String> = self
            .rows
            .iter()
            .map(|row| {
                parents.truncate(row.depth);
                let parent = parents.last().copied().unwrap_or("");
                let own = match parent {
                    "" => row.path.as_str(),
                    parent => {
                        row.path.strip_prefix(parent).and_then(|p| p.strip_prefix('.')).unwrap_or(&row.path)
                    }
                };
                parents.push(&row.path);
                let indent = "  ".repeat(row.depth);
                match own {
                    "" => format!("{indent}{}", row.layer),
                    own => format!("{indent}{own}: {}", row.layer),
                }
            })
            .collect();
        let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max("layer".len());
        let shape_width = self
            .rows
            .iter()
            .map(|r| shape(&r.output_shape).len())
            .max()
            .unwrap_or(0)
            .max("output shape".len());
        writeln!(f, "{:<name_width$}  {:<shape_width$}  {:>10}", "layer", "output shape", "parameters")?;
        for (name, row) in names.iter().zip(&self.rows) {
            let pad = name_width - name.chars().count();
            writeln!(
                f,
                "{name}{}  {:<shape_width$}  {:>10}",
                " ".repeat(pad),
                shape(&row.output_shape),
                row.parameters
            )?;
        }
        let bytes = |n: usize| {
            let b = n * self.element_bytes;
            match b {
                b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
                b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
                b => format!("{b} B"),
            }
        };
        writeln!(
            f,
            "parameters: {} (trainable {}, not trained {}), {}",
            self.parameters,
            self.trainable,
            self.parameters - self.trainable,
            bytes(self.parameters)
        )?;
        writeln!(f, "buffers: {} ({})", self.buffers, bytes(self.buffers))?;
        write!(f, "input: {:?} of {}", self.input_shape, self.dtype)
    }
}
