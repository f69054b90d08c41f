//! Drawing the recorded graph: Graphviz DOT with each node's op, shape, creation site and,
//! for small tensors, its value and gradient.

use std::fmt::Write;

use crate::tape::NodeKind;
use crate::{Float, Grads, Tape};

impl<'t, T: Float> Tape<'t, T> {
    /// The recorded graph in Graphviz DOT: one node per recorded value (its index, its
    /// name if it has one ([`Var::named`](crate::Var::named),
    /// [`name_param`](Tape::name_param)), op, shape, the line that created it, its value
    /// and, if `grads` is given, its gradient: numbers up to 8 × 8, a matrix a row per line,
    /// a summary (shape, min, mean, max) and a heat map of shaded characters for larger
    /// tensors), one edge per op input. Leaves are
    /// ellipses (parameters shaded), ops are boxes, and values that get no gradient are
    /// drawn grey.
    ///
    /// Render with `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![2.0]);
    /// let y = (x * 3.0).sum();
    /// let grads = tape.backward(y);
    /// let dot = tape.to_dot(Some(&grads));
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains("mul_scalar"));
    /// assert!(dot.contains("grad [3.0000]"));   // ∂y/∂x
    /// assert!(dot.contains("n0 -> n1"));
    /// ```
    pub fn to_dot(&self, grads: Option<&Grads<T>>) -> String {
        let nodes = self.nodes.borrow();
        let labels = self.labels.borrow();
        let mut out =
            String::from("digraph tape {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
        for (i, node) in nodes.iter().enumerate() {
            let value = nodes.view(i);
            let title = match (node.op(), node.kind) {
                (Some(op), _) if op.describe().is_empty() => op.name().to_string(),
                (Some(op), _) => format!("{}[{}]", op.name(), op.describe()),
                (None, NodeKind::Var) => "var".into(),
                (None, NodeKind::Param) => "param".into(),
                (None, NodeKind::Constant) => "constant".into(),
                (None, NodeKind::Op) => "op (not recorded)".into(),
            };
            // Quoted; the quotes are escaped for DOT with the rest of the label below.
            let name = labels.get(&i).map(|name| format!("\"{name}\" ")).unwrap_or_default();
            let mut label = format!("#{i} {name}{title}\\nshape {:?}", value.shape());
            // Values up to 8 × 8 a row per line, larger ones summarised with a heat map of
            // shaded characters (`show`).
            let lines = |v: &ndarray::ArrayViewD<'_, T>| {
                let mut lines = crate::show::value_lines(v);
                lines.extend(crate::show::heat_lines(v));
                lines.join("\\n      ")
            };
            let _ = write!(label, "\\nvalue {}", lines(&value));
            if let Some(grad) = grads.and_then(|g| g.view_at(i)) {
                let _ = write!(label, "\\ngrad {}", lines(&grad));
            }
            let _ = write!(label, "\\n{}:{}", node.site.file(), node.site.line());
            let shape = if node.op().is_some() { "box" } else { "ellipse" };
            let mut style = String::new();
            if node.kind == NodeKind::Param {
                style.push_str(", style=filled, fillcolor=\"#dbe9f6\"");
            } else if node.kind == NodeKind::Var {
                style.push_str(", style=filled, fillcolor=\"#e5f5e0\"");
            }
            if !node.requires_grad {
                style.push_str(", color=grey50, fontcolor=grey40");
            }
            let _ = writeln!(out, "  n{i} [shape={shape}, label=\"{}\"{style}];", label.replace('"', "\\\""));
            for &input in nodes.inputs(i) {
                let _ = writeln!(out, "  n{input} -> n{i};");
            }
        }
        out.push_str("}\n");
        out
    }
}
