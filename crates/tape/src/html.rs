//! One self-contained HTML page of a recorded tape and its gradients, to step through the
//! forward and backward passes in a browser: the graph laid out top to bottom, each node's
//! value and gradient, each backward rule with what it sends to each input (the running
//! `+=` where a value is used twice; where it was broadcast, the rule's gradient at the
//! output's shape and then its sum back to the input's shape), and finite differences
//! beside each small leaf's gradient.
//!
//! Everything the page shows is computed here, in Rust, when it is written: the layout
//! (layers and their order), the values, the gradients each rule sends (the ops' own
//! `backward`, run again on the recorded values), the running sums and the finite
//! differences (the recorded ops replayed on nudged leaves). The page's script only draws
//! and steps; it loads nothing (inline script and style, no network).

use std::path::Path;

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde_json::{json, Value as Json};

use crate::show::{number, shows_values, value_lines};
use crate::tape::NodeKind;
use crate::{FileError, Float, Grads, Tape};

/// The page: the style, the script and a placeholder for the data.
const TEMPLATE: &str = include_str!("html/page.html");

/// Leaves with at most this many elements get finite differences on the page.
const FD_LEAF: usize = 64;
/// At most this many elements of replayed values over all finite differences (each
/// element of a leaf replays the tape twice).
const FD_BUDGET: usize = 50_000_000;

impl<'t, T: Float> Tape<'t, T> {
    /// The tape and `grads` (from [`backward`](Tape::backward) on this tape) as one
    /// self-contained HTML page: open it in a browser (no network, no Graphviz) to step
    /// through the forward pass node by node (→), then the backward pass rule by rule,
    /// with ← to step back and r to reset. See [`write_html`](Tape::write_html).
    ///
    /// # Panics
    /// If `grads` come from another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![2.0]).named("x");
    /// let y = (x * x).sum().named("y");
    /// let grads = tape.backward(y);
    /// let page = tape.to_html(&grads);
    /// assert!(page.starts_with("<!DOCTYPE html>"));
    /// assert!(page.contains("\"name\":\"x\""));
    /// assert!(!page.contains("src=") && !page.contains("href=")); // loads nothing
    /// ```
    #[track_caller]
    pub fn to_html(&self, grads: &Grads<T>) -> String {
        let data = self.html_data(grads).to_string();
        // No `<` at all inside the script element: `</script>` would end it early and
        // `<!--<script>` would keep it from ending. In JSON, `<` only occurs in strings,
        // where `\u003c` is the same character.
        TEMPLATE.replacen("/*TAPE_DATA*/null", &data.replace('<', "\\u003c"), 1)
    }

    /// Writes [`to_html`](Tape::to_html) to `path` (atomically: a reader never sees half a
    /// page).
    ///
    /// # Errors
    /// [`FileError::Io`] naming the path when it cannot be written.
    ///
    /// # Panics
    /// As [`to_html`](Tape::to_html).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 2.0]);
    /// let grads = tape.backward(x.tanh().sum());
    /// let path = std::env::temp_dir().join(format!("tapegrad-html-doc-{}.html", std::process::id()));
    /// tape.write_html(&path, &grads).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("tanh"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[track_caller]
    pub fn write_html(&self, path: impl AsRef<Path>, grads: &Grads<T>) -> Result<(), FileError> {
        crate::write_atomically(path, self.to_html(grads).as_bytes())
    }

    /// What the page shows, as JSON: every node (name, op, shape, value, gradient, inputs,
    /// creation site, layer and position in it, finite differences for small leaves) and
    /// every backward step (the gradient in, what the rule sends to each input, the running
    /// total after it).
    #[track_caller]
    pub(crate) fn html_data(&self, grads: &Grads<T>) -> Json {
        assert!(
            grads.tape == self.id,
            "to_html: the gradients come from tape {}, not this tape ({})",
            grads.tape,
            self.id
        );
        let nodes = self.nodes.borrow();
        let labels = self.labels.borrow();
        let count = nodes.len();
        let root = grads.root().filter(|&root| root < count);
        // Which node's derivative each recorded-backward node belongs to (create_graph).
        let mut derivative_of: Vec<Option<usize>> = vec![None; count];
        for &(first, end, of) in self.derivatives.borrow().iter() {
            for slot in &mut derivative_of[first.min(count)..end.min(count)] {
                *slot = Some(of);
            }
        }
        let (layers, order) = layout(
            count,
            |i| nodes.inputs(i).to_vec(),
            |i| nodes[i].op().is_none(),
            |i| derivative_of[i].is_some(),
        );

        // The backward steps: each op node with a gradient, last first, and what its rule
        // sends, with the running totals as the tape adds them.
        let mut totals: Vec<Option<ArrayD<T>>> = vec![None; count];
        let mut steps = Vec::new();
        if let Some(root) = root {
            totals[root] = grads.view_at(root).map(|g| g.to_owned());
            for i in (0..=root).rev() {
                let (Some(op), Some(grad_in)) = (nodes[i].op(), grads.view_at(i)) else { continue };
                let inputs = nodes.inputs(i);
                let views: Vec<ArrayViewD<'_, T>> = inputs.iter().map(|&j| nodes.view(j)).collect();
                let wanted: Vec<bool> = inputs.iter().map(|&j| nodes[j].requires_grad).collect();
                let output = nodes.view(i);
                let sent = op.backward(&views, &output, &grad_in, &wanted);
                let mut sends = Vec::new();
                for (k, &j) in inputs.iter().enumerate() {
                    let grad = sent.get(k).and_then(|g| g.as_ref());
                    // Broadcast: the op broadcasts (`Op::broadcasts`) and this input is smaller
                    // than the output (affine's weight differs in shape but is not broadcast:
                    // its bias is).
                    let broadcast = (op.broadcasts()
                        && views[k].len() < output.len()
                        && crate::broadcast_shape(views[k].shape(), output.shape()).as_deref()
                            == Some(output.shape()))
                    .then(|| output.shape().to_vec());
                    // The reduction as a step of its own: the rule's gradient at the output's
                    // shape (the op run again with this input broadcast, so nothing is summed)
                    // and the axes it is summed over.
                    let unreduced = broadcast.as_ref().and_then(|shape| {
                        let mut wide = views.clone();
                        wide[k] = views[k].broadcast(IxDyn(shape))?;
                        let mut only = vec![false; views.len()];
                        only[k] = true;
                        let grad =
                            op.backward(&wide, &output, &grad_in, &only).into_iter().nth(k).flatten()?;
                        (grad.shape() == shape.as_slice()).then(|| shown(&grad.view()))
                    });
                    let summed_axes =
                        broadcast.as_ref().map(|shape| crate::ops::broadcast_axes(views[k].shape(), shape));
                    let (first, after) = match grad {
                        Some(g) => {
                            let first = totals[j].is_none();
                            let total = match totals[j].take() {
                                Some(mut total) => {
                                    total.zip_mut_with(g, |t, &v| *t += v);
                                    total
                                }
                                None => g.clone(),
                            };
                            let shown = shown(&total.view());
                            totals[j] = Some(total);
                            (first, Some(shown))
                        }
                        None => (true, None),
                    };
                    sends.push(json!({
                        "input": j,
                        "grad": grad.map(|g| shown(&g.view())),
                        "first": first,
                        "total": after,
                        "broadcast_from": broadcast,
                        "unreduced": unreduced,
                        "summed_axes": summed_axes,
                    }));
                }
                steps.push(json!({ "node": i, "grad_in": shown(&grad_in), "sends": sends }));
            }
        }

        let fd = root.map(|root| self.finite_differences(&nodes, root)).unwrap_or_default();
        let nodes_json: Vec<Json> = (0..count)
            .map(|i| {
                let node = &nodes[i];
                let kind = match node.kind {
                    NodeKind::Var => "var",
                    NodeKind::Param => "param",
                    NodeKind::Constant => "constant",
                    NodeKind::Op => "op",
                };
                // A leaf's "op" is its kind; an op node without its op was recorded with
                // recording off.
                let (op, settings, rule) = match node.op() {
                    Some(op) => (op.name().to_string(), op.describe(), op.rule()),
                    None if node.kind == NodeKind::Op => {
                        ("op (not recorded)".to_string(), String::new(), None)
                    }
                    None => (kind.to_string(), String::new(), None),
                };
                let (fd_value, fd_error) = match fd.iter().find(|(index, _)| *index == i) {
                    Some((_, numeric)) => {
                        let error = grads.view_at(i).map(|g| relative_error(&g, &numeric.view()));
                        (Some(shown(&numeric.view())), error)
                    }
                    None => (None, None),
                };
                json!({
                    "id": i,
                    "name": labels.get(&i),
                    "op": op,
                    "settings": settings,
                    "rule": rule,
                    "kind": kind,
                    "requires_grad": node.requires_grad,
                    "shape": nodes.view(i).shape(),
                    "value": shown(&nodes.view(i)),
                    "grad": grads.view_at(i).map(|g| shown(&g)),
                    "inputs": nodes.inputs(i),
                    "site": format!("{}:{}", node.site.file(), node.site.line()),
                    "layer": layers[i],
                    "order": order[i],
                    "fd": fd_value,
                    "fd_error": fd_error,
                    "derivative_of": derivative_of[i],
                })
            })
            .collect();
        json!({ "root": root, "dtype": T::NAME, "nodes": nodes_json, "backward": steps })
    }

    /// Central differences of the root's value for every small leaf that wants a gradient,
    /// by replaying the recorded ops on nudged copies of the leaf, in f64 where `T` is.
    fn finite_differences(&self, nodes: &crate::store::Store<T>, root: usize) -> Vec<(usize, ArrayD<T>)> {
        if nodes.view(root).len() != 1
            || (0..=root).any(|i| nodes[i].op().is_none() && nodes[i].kind == NodeKind::Op)
        {
            return Vec::new();
        }
        let leaves: Vec<usize> = (0..=root)
            .filter(|&i| nodes[i].op().is_none() && nodes[i].requires_grad && nodes.view(i).len() <= FD_LEAF)
            .collect();
        let tape_size: usize = (0..=root).map(|i| nodes.view(i).len()).sum();
        let elements: usize = leaves.iter().map(|&i| nodes.view(i).len()).sum();
        if elements.saturating_mul(2).saturating_mul(tape_size) > FD_BUDGET {
            return Vec::new();
        }
        let replay = |leaf: usize, nudged: &ArrayD<T>| -> T {
            let mut values: Vec<Option<ArrayD<T>>> = vec![None; root + 1];
            for i in 0..=root {
                let value = match nodes[i].op() {
                    None if i == leaf => nudged.clone(),
                    None => nodes.view(i).to_owned(),
                    Some(op) => {
                        let inputs: Vec<ArrayViewD<'_, T>> = nodes
                            .inputs(i)
                            .iter()
                            .map(|&j| values[j].as_ref().expect("inputs come first").view())
                            .collect();
                        op.forward(&inputs)
                    }
                };
                values[i] = Some(value);
            }
            values[root].as_ref().and_then(|v| v.iter().next().copied()).expect("one element")
        };
        leaves
            .into_iter()
            .map(|leaf| {
                // Standard layout, so that element k is the k-th of the slice and of `numeric`.
                let value = nodes.view(leaf).as_standard_layout().into_owned();
                let mut numeric = ArrayD::zeros(IxDyn(value.shape()));
                for (k, (out, &x)) in numeric.iter_mut().zip(value.iter()).enumerate() {
                    let x = Float::to_f64(x);
                    let h = Float::to_f64(T::epsilon()).cbrt() * x.abs().max(1.0);
                    let nudge = |by: f64| {
                        let mut nudged = value.clone();
                        nudged.as_slice_mut().expect("standard layout")[k] = T::from_f64(x + by);
                        Float::to_f64(replay(leaf, &nudged))
                    };
                    *out = T::from_f64((nudge(h) - nudge(-h)) / (2.0 * h));
                }
                (leaf, numeric)
            })
            .collect()
    }
}

/// A value for the page: its shape, its numbers when it is small (`null` where not
/// finite), its lines as the graph and the trace print them, and for a larger one a heat
/// map.
fn shown<T: Float>(value: &ArrayViewD<'_, T>) -> Json {
    let small = shows_values(value.shape());
    let numbers = small
        .then(|| value.iter().map(|v| Some(Float::to_f64(*v)).filter(|v| v.is_finite())).collect::<Vec<_>>());
    // The elements as the page's tables write them (NaN and infinities included).
    let cells = small.then(|| value.iter().map(number).collect::<Vec<_>>());
    let heat = if small { None } else { heat_map(value) };
    json!({ "shape": value.shape(), "numbers": numbers, "cells": cells, "lines": value_lines(value), "heat": heat })
}

/// A large value's heat map ([`crate::show::heat`]) as the page's script reads it.
fn heat_map<T: Float>(value: &ArrayViewD<'_, T>) -> Option<Json> {
    let heat = crate::show::heat(value)?;
    Some(json!({ "rows": heat.rows, "cols": heat.cols, "cells": heat.cells, "scale": heat.scale }))
}

/// The largest `|a − b| / max(|a|, |b|, 1e-8)` over the elements.
fn relative_error<T: Float>(a: &ArrayViewD<'_, T>, b: &ArrayViewD<'_, T>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(&a, &b)| {
            let (a, b) = (Float::to_f64(a), Float::to_f64(b));
            (a - b).abs() / a.abs().max(b.abs()).max(1e-8)
        })
        .fold(0.0, f64::max)
}

/// The layered layout, top to bottom: an op one layer below its deepest input, a leaf one
/// layer above its first consumer (so that a bias sits beside the sum it joins, not at the
/// top); within a layer, nodes ordered by the mean position of their inputs (leaves by that
/// of their consumers), which keeps most edges from crossing. Nodes a recorded backward
/// pass made (`is_derivative`) start below everything recorded before the first of them:
/// the derivative's graph is a second layer under the function's.
fn layout(
    count: usize,
    inputs: impl Fn(usize) -> Vec<usize>,
    is_leaf: impl Fn(usize) -> bool,
    is_derivative: impl Fn(usize) -> bool,
) -> (Vec<usize>, Vec<usize>) {
    let mut layer = vec![0usize; count];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); count];
    // The first layer free below the function, once the first derivative node is met.
    let mut below_function: Option<usize> = None;
    for i in 0..count {
        for j in inputs(i) {
            consumers[j].push(i);
            layer[i] = layer[i].max(layer[j] + 1);
        }
        if is_derivative(i) {
            let floor = *below_function.get_or_insert_with(|| layer[..i].iter().max().map_or(0, |d| d + 1));
            layer[i] = layer[i].max(floor);
        }
    }
    for i in 0..count {
        if is_leaf(i) {
            if let Some(first) = consumers[i].iter().map(|&c| layer[c]).min() {
                layer[i] = first.saturating_sub(1);
            }
            // A derivative's own leaves (its seed, its constants) stay in its layer too.
            if let (true, Some(floor)) = (is_derivative(i), below_function) {
                layer[i] = layer[i].max(floor);
            }
        }
    }
    let depth = layer.iter().max().map_or(0, |d| d + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for i in 0..count {
        rows[layer[i]].push(i);
    }
    let mut position = vec![0.0f64; count];
    let mean = |of: &[usize], position: &[f64], fallback: f64| {
        if of.is_empty() {
            fallback
        } else {
            of.iter().map(|&j| position[j]).sum::<f64>() / of.len() as f64
        }
    };
    // Two sweeps: down by inputs, then up by consumers.
    for row in &rows {
        for (k, &i) in row.iter().enumerate() {
            position[i] = k as f64;
        }
    }
    for sweep in 0..2 {
        let row_indices: Vec<usize> =
            if sweep == 0 { (0..depth).collect() } else { (0..depth).rev().collect() };
        for r in row_indices {
            let mut keyed: Vec<(f64, usize)> = rows[r]
                .iter()
                .map(|&i| {
                    let neighbours = if sweep == 0 { inputs(i) } else { consumers[i].clone() };
                    (mean(&neighbours, &position, position[i]), i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            rows[r] = keyed.iter().map(|&(_, i)| i).collect();
            let width = rows[r].len() as f64;
            for (k, &i) in rows[r].iter().enumerate() {
                // Centred, so that rows of different widths line up.
                position[i] = k as f64 - (width - 1.0) / 2.0;
            }
        }
    }
    let mut order = vec![0usize; count];
    for row in &rows {
        for (k, &i) in row.iter().enumerate() {
            order[i] = k;
        }
    }
    (layer, order)
}

#[cfg(test)]
mod tests {
    use super::layout;

    #[test]
    fn a_heat_map_averages_blocks_of_a_large_value() {
        let value =
            ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[32, 4]), |i| if i[0] < 16 { 1.0 } else { -3.0 });
        let heat = super::heat_map(&value.view()).unwrap();
        assert_eq!((heat["rows"].as_u64(), heat["cols"].as_u64()), (Some(16), Some(4)));
        let cells = heat["cells"].as_array().unwrap();
        assert_eq!(cells[0], 1.0); // rows 0 and 1 of the first column
        assert_eq!(cells[cells.len() - 1], -3.0);
        assert_eq!(heat["scale"], 3.0);
        let vector = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[100]), |i| i[0] as f64);
        let heat = super::heat_map(&vector.view()).unwrap();
        assert_eq!((heat["rows"].as_u64(), heat["cols"].as_u64()), (Some(1), Some(16)));
        // Element c goes to cell c·16/100: cell 0 holds 0..=6, whose mean is 3.
        assert_eq!(heat["cells"][0], 3.0);
    }

    #[test]
    fn ops_sit_below_their_inputs_and_leaves_above_their_first_use() {
        // 0, 1 leaves → 2 = f(0, 1); 3 leaf → 4 = g(2, 3)
        let inputs = |i: usize| match i {
            2 => vec![0, 1],
            4 => vec![2, 3],
            _ => vec![],
        };
        let (layer, order) = layout(5, inputs, |i| [0, 1, 3].contains(&i), |_| false);
        assert_eq!(layer, [0, 0, 1, 1, 2]);
        assert_eq!((order[0], order[1]), (0, 1));
        assert_ne!(order[2], order[3]);
        // Node 4 recorded by a backward pass: below everything before it, even a layer
        // its inputs would not put it on.
        let shallow = |i: usize| if i == 4 { vec![0] } else { vec![] };
        let (layer, _) = layout(5, shallow, |i| i < 4, |i| i == 4);
        assert_eq!(layer[4], 1, "one below the deepest of nodes 0..4 (all leaves, layer 0)");
        let (layer, _) = layout(
            5,
            |i| {
                if i == 4 {
                    vec![0]
                } else if i == 2 {
                    vec![1]
                } else {
                    vec![]
                }
            },
            |i| i != 2 && i != 4,
            |i| i == 4,
        );
        assert_eq!((layer[2], layer[4]), (1, 2));
    }
}
