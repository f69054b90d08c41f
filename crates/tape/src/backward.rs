//! Backward: one reverse loop over the tape, each op turning `∂L/∂output` into
//! `∂L/∂inputs`, and only here are contributions summed.

use std::fmt;
use std::panic::Location;

use ndarray::ArrayD;

use std::cell::RefCell;

use crate::anomaly::first_non_finite;
use crate::store::Store;
use crate::tape::ScalarArgs;
use crate::{pool, Anomaly, Float, Grads, Op, Pass, Tape, TapeError, Var};

/// One step of a backward pass, as recorded by [`Tape::backward_trace`]: which rule ran
/// at which node, the gradient that flowed in and what it sent to each input.
///
/// ```
/// let tape = tapegrad_tape::Tape::new();
/// let x = tape.var(ndarray::array![3.0]);
/// let (_, trace) = tape.backward_trace((x * x).sum());
/// let mul = &trace.steps[1];
/// assert_eq!((mul.op, mul.node), ("mul", 1));
/// // y = x·x: the rule sends x = 3 to each operand (both are node 0)
/// assert_eq!(mul.grad_inputs[0], (0, Some(ndarray::array![3.0].into_dyn())));
/// assert_eq!(mul.grad_inputs[1], (0, Some(ndarray::array![3.0].into_dyn())));
/// ```
#[derive(Debug, Clone)]
pub struct TraceStep<T: Float> {
    /// The node's index on the tape.
    pub node: usize,
    /// The op whose backward rule ran.
    pub op: &'static str,
    /// The op's settings (`"axis=1"`), possibly empty.
    pub describe: String,
    /// Where the node was created.
    pub site: &'static Location<'static>,
    /// `∂L/∂output` flowing into the rule.
    pub grad_output: ArrayD<T>,
    /// For each input: its node index and the gradient the rule sent to it (`None`
    /// for an input that wants no gradient).
    pub grad_inputs: Vec<(usize, Option<ArrayD<T>>)>,
}

/// The backward pass written out node by node, for reading how backpropagation ran.
/// Its `Display` prints one block per rule, last node first.
///
/// ```
/// use ndarray::array;
/// let tape = tapegrad_tape::Tape::new();
/// let x = tape.var(array![2.0]);
/// let y = (x * 3.0).sum();
/// let (grads, trace) = tape.backward_trace(y);
/// assert_eq!(trace.steps.len(), 2);          // sum, then mul_scalar
/// assert_eq!(trace.steps[0].op, "sum");
/// assert_eq!(trace.steps[1].op, "mul_scalar");
/// assert_eq!(grads.get(x).unwrap()[[0]], 3.0);
/// assert!(trace.to_string().contains("mul_scalar"));
/// ```
#[derive(Debug, Clone)]
pub struct Trace<T: Float> {
    /// The steps in the order they ran (reverse creation order).
    pub steps: Vec<TraceStep<T>>,
    /// The names given to values ([`Var::named`](crate::Var::named)), by node.
    pub labels: std::collections::BTreeMap<usize, String>,
}

impl<T: Float> fmt::Display for Trace<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            let settings =
                if step.describe.is_empty() { String::new() } else { format!("[{}]", step.describe) };
            let named = |node: usize| match self.labels.get(&node) {
                Some(name) => format!(" \"{name}\""),
                None => String::new(),
            };
            // ∂L/∂x1 for a named value (∂L/∂(x1*w1) with operators), ∂L/∂node3 otherwise.
            let symbol = |node: usize| match self.labels.get(&node) {
                Some(name) => crate::show::symbol(name),
                None => format!("node{node}"),
            };
            // A matrix's rows after the first line, under its first row.
            // A large one's summary, then its heat map (`show`).
            let value = |array: &ArrayD<T>, indent: usize| {
                let mut lines = crate::show::value_lines(&array.view());
                lines.extend(crate::show::heat_lines(&array.view()));
                lines.join(&format!("\n{}", " ".repeat(indent)))
            };
            writeln!(
                f,
                "node {}{} = {}{} (created at {}:{})",
                step.node,
                named(step.node),
                step.op,
                settings,
                step.site.file(),
                step.site.line()
            )?;
            let lead = format!("    grad in  ∂L/∂{} = ", symbol(step.node));
            writeln!(f, "{lead}{}", value(&step.grad_output, lead.chars().count()))?;
            for (input, grad) in &step.grad_inputs {
                match grad {
                    Some(grad) => {
                        let lead = format!("    grad out ∂L/∂{} += ", symbol(*input));
                        writeln!(f, "{lead}{}", value(grad, lead.chars().count()))?
                    }
                    None => writeln!(f, "    grad out ∂L/∂{}: none (no gradient wanted)", symbol(*input))?,
                }
            }
        }
        Ok(())
    }
}

impl<'t, T: Float> Tape<'t, T> {
    /// Backpropagates from a one-element `loss` (seed `∂L/∂L = 1`) and returns the
    /// gradients of every value it depends on. The tape is not changed, so running it
    /// twice gives the same result.
    ///
    /// # Panics
    /// If `loss` has more than one element (use
    /// [`backward_with_seed`](Tape::backward_with_seed)) or belongs to another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// // y = Σ x² + 5x + 4 at x = [1, 2], so dy/dx = 2x + 5 = [7, 9]
    /// let y = (x * x + x * 5.0 + 4.0).sum();
    /// let grads = tape.backward(y);
    /// assert_eq!(grads.get(x).unwrap(), &array![7.0, 9.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn backward(&self, loss: Var<'t, T>) -> Grads<T> {
        let seed = self.scalar_seed(loss);
        self.run_backward(loss, seed, None)
    }

    /// [`backward`](Tape::backward), then the first anomaly found while anomaly detection
    /// was on ([`detect_anomalies`](Tape::detect_anomalies)), in the forward pass or in
    /// this backward pass, as an error. With detection off it never fails.
    ///
    /// # Errors
    /// [`TapeError::Anomaly`] naming the op that made the first NaN or infinity from
    /// finite inputs (or the leaf that brought it in), its node, the line that recorded it,
    /// its input shapes and the pass.
    ///
    /// # Panics
    /// As [`backward`](Tape::backward).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// tape.detect_anomalies(true);
    /// let x = tape.var(array![4.0, 0.0]);
    /// let loss = x.sqrt().sum(); // finite, but d√x/dx = 1/(2√x) is infinite at 0
    /// let err = tape.try_backward(loss).unwrap_err();
    /// assert!(err.to_string().starts_with("backward pass: sqrt (node 1, recorded at"), "{err}");
    /// ```
    #[track_caller]
    pub fn try_backward(&self, loss: Var<'t, T>) -> Result<Grads<T>, TapeError> {
        let grads = self.backward(loss);
        match self.anomaly() {
            Some(anomaly) => Err(TapeError::Anomaly(Box::new(anomaly))),
            None => Ok(grads),
        }
    }

    /// Backpropagates from a value of any shape, given `seed = ∂L/∂output` of the same
    /// shape (a vector–Jacobian product).
    ///
    /// # Errors
    /// [`TapeError::ShapeMismatch`] if the seed's shape differs from the output's.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = x * x;
    /// let grads = tape.backward_with_seed(y, array![1.0, 10.0].into_dyn()).unwrap();
    /// assert_eq!(grads.get(x).unwrap(), &array![2.0, 40.0].into_dyn()); // seed · 2x
    /// assert!(tape.backward_with_seed(y, array![1.0].into_dyn()).is_err());
    /// ```
    #[track_caller]
    pub fn backward_with_seed(&self, output: Var<'t, T>, seed: ArrayD<T>) -> Result<Grads<T>, TapeError> {
        self.check_own(output, "backward_with_seed");
        let shape = output.shape();
        if seed.shape() != shape.as_slice() {
            return Err(TapeError::ShapeMismatch {
                op: "backward_with_seed",
                expected: shape,
                actual: seed.shape().to_vec(),
                detail: "the seed gradient must have the output's shape".into(),
            });
        }
        Ok(self.run_backward(output, seed, None))
    }

    /// Like [`backward`](Tape::backward), and also returns a [`Trace`] of every rule that
    /// ran with the gradients that flowed in and out (for teaching and debugging).
    ///
    /// # Panics
    /// As [`backward`](Tape::backward).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.5]);
    /// let (_, trace) = tape.backward_trace(x.tanh().sum());
    /// println!("{trace}");
    /// assert_eq!(trace.steps[1].op, "tanh");
    /// ```
    #[track_caller]
    pub fn backward_trace(&self, loss: Var<'t, T>) -> (Grads<T>, Trace<T>) {
        let seed = self.scalar_seed(loss);
        let mut steps = Vec::new();
        let grads = self.run_backward(loss, seed, Some(&mut steps));
        (grads, Trace { steps, labels: self.labels.borrow().clone() })
    }

    #[track_caller]
    fn scalar_seed(&self, loss: Var<'t, T>) -> ArrayD<T> {
        self.check_own(loss, "backward");
        let shape = loss.shape();
        assert!(
            shape.iter().product::<usize>() == 1,
            "backward: the loss must have one element, got shape {shape:?}; \
             reduce it (e.g. .sum() or .mean()) or use backward_with_seed"
        );
        let mut seed = pool::scratch(&shape);
        seed.fill(T::one());
        seed
    }

    #[track_caller]
    pub(crate) fn check_own(&self, var: Var<'t, T>, op: &str) {
        assert!(
            std::ptr::eq(var.tape, self),
            "{op}: the Var (node {}) belongs to tape {}, not to this tape ({})",
            var.index,
            var.tape.id,
            self.id
        );
    }

    /// The reverse loop. Every node's inputs have lower indices, so when the loop
    /// reaches node `i`, all of its consumers have already added into `grads[i]`.
    fn run_backward(
        &self,
        root: Var<'t, T>,
        seed: ArrayD<T>,
        mut trace: Option<&mut Vec<TraceStep<T>>>,
    ) -> Grads<T> {
        let nodes = self.nodes.borrow();
        let mut grads = Grads::empty(self.id, root.index + 1, self.params.borrow_mut().share());
        if nodes[root.index].requires_grad {
            grads.add_array(root.index, seed);
        } else {
            pool::recycle(seed);
        }
        // Anomaly detection, when on (one read here; nothing per step when off).
        let detecting = self.detecting.get().then_some(&self.anomaly);
        for i in (0..=root.index).rev() {
            let node = &nodes[i];
            let Some(op) = node.op() else { continue };
            let inputs = nodes.inputs(i);
            // The scalar fast path: a 0-d node whose inputs are all 0-d.
            if let (Some(grad_output), Some(output)) = (grads.scalar_at(i), nodes.scalar(i)) {
                // Read the returned gradients in place: moving the `SmallVec` first compiled
                // to wide copies over the callee's narrow stores (a store-forwarding stall).
                let returned = match ScalarArgs::gather(&nodes, inputs) {
                    Some(xs) => op.backward_scalar(xs.as_slice(), output, grad_output),
                    None => None,
                };
                if let Some(ref input_grads) = returned {
                    assert_eq!(
                        input_grads.len(),
                        inputs.len(),
                        "{}: backward_scalar returned {} gradients for {} inputs",
                        op.name(),
                        input_grads.len(),
                        inputs.len()
                    );
                    if let Some(trace) = trace.as_mut() {
                        trace_scalar_step(trace, &nodes, i, op, grad_output, input_grads);
                    }
                    if let Some(anomaly) = detecting {
                        check_scalar_grads(anomaly, &nodes, i, op, grad_output, input_grads);
                    }
                    for (&j, &grad) in inputs.iter().zip(input_grads) {
                        if nodes[j].requires_grad {
                            grads.add_scalar(j, grad);
                        }
                    }
                    continue;
                }
            }
            array_step(&nodes, i, op, &mut grads, trace.as_deref_mut(), detecting);
        }
        grads
    }
}

/// The trace's step for node `i` on the scalar path.
#[cold]
#[inline(never)]
fn trace_scalar_step<T: Float>(
    trace: &mut Vec<TraceStep<T>>,
    nodes: &Store<T>,
    i: usize,
    op: &dyn Op<T>,
    grad_output: T,
    input_grads: &[T],
) {
    let node = &nodes[i];
    trace.push(TraceStep {
        node: i,
        op: op.name(),
        describe: op.describe(),
        site: node.site,
        grad_output: ndarray::arr0(grad_output).into_dyn(),
        grad_inputs: nodes
            .inputs(i)
            .iter()
            .zip(input_grads)
            .map(|(&j, &g)| (j, nodes[j].requires_grad.then(|| ndarray::arr0(g).into_dyn())))
            .collect(),
    });
}

/// Anomaly detection for node `i` on the scalar path: the first non-finite gradient an
/// op makes from a finite one is kept.
#[cold]
#[inline(never)]
fn check_scalar_grads<T: Float>(
    anomaly: &RefCell<Option<Anomaly>>,
    nodes: &Store<T>,
    i: usize,
    op: &dyn Op<T>,
    grad_output: T,
    input_grads: &[T],
) {
    let inputs = nodes.inputs(i);
    for (k, (&j, &grad)) in inputs.iter().zip(input_grads).enumerate() {
        if nodes[j].requires_grad && !grad.is_finite() && grad_output.is_finite() {
            let shapes = inputs.iter().map(|_| Vec::new()).collect();
            let found = backward_anomaly(op.name(), i, nodes[i].site, shapes, k, vec![], grad);
            anomaly.borrow_mut().get_or_insert(found);
        }
    }
}

/// One node's backward on the array path: the op's rule, the shape checks, accumulation
/// and the trace. Kept out of the reverse loop so that the scalar fast path's frame stays
/// small.
#[inline(never)]
fn array_step<T: Float>(
    nodes: &Store<T>,
    i: usize,
    op: &dyn Op<T>,
    grads: &mut Grads<T>,
    mut trace: Option<&mut Vec<TraceStep<T>>>,
    detecting: Option<&RefCell<Option<Anomaly>>>,
) {
    let node = &nodes[i];
    let inputs = nodes.inputs(i);
    let (input_grads, detecting, mut step) = {
        let Some(grad_output) = grads.view_at(i) else { return };
        let input_grads = crate::store::on_stack(
            inputs,
            |&j| nodes[j].requires_grad,
            |wanted| {
                nodes.with_views(inputs, |views| op.backward(views, &nodes.view(i), &grad_output, wanted))
            },
        );
        // An anomaly is a non-finite gradient made from a finite one.
        let detecting = detecting
            .filter(|anomaly| anomaly.borrow().is_none() && first_non_finite(&grad_output).is_none());
        let step = trace.as_ref().map(|_| TraceStep {
            node: i,
            op: op.name(),
            describe: op.describe(),
            site: node.site,
            grad_output: grad_output.to_owned(),
            grad_inputs: Vec::new(),
        });
        (input_grads, detecting, step)
    };
    assert_eq!(
        input_grads.len(),
        inputs.len(),
        "{}: backward returned {} gradients for {} inputs",
        op.name(),
        input_grads.len(),
        inputs.len()
    );
    for (k, (&j, grad)) in inputs.iter().zip(input_grads).enumerate() {
        let grad = if nodes[j].requires_grad { grad } else { None };
        if let Some(step) = step.as_mut() {
            step.grad_inputs.push((j, grad.clone()));
        }
        let Some(grad) = grad else { continue };
        if let Some(anomaly) = detecting {
            if let Some((position, value)) = first_non_finite(&grad.view()) {
                let input_shapes = inputs.iter().map(|&j| nodes.shape(j).to_vec()).collect();
                let (op, node, site, input) = (op.name(), i, node.site, Some(k));
                let found =
                    Anomaly { pass: Pass::Backward, op, node, site, input_shapes, input, position, value };
                anomaly.borrow_mut().get_or_insert(found);
            }
        }
        let input_shape = nodes.shape(j);
        assert_eq!(
            grad.shape(),
            input_shape,
            "{}: backward returned a gradient of shape {:?} for an input of shape {:?}",
            op.name(),
            grad.shape(),
            input_shape
        );
        grads.add_array(j, grad);
    }
    if let (Some(trace), Some(step)) = (trace.as_mut(), step) {
        trace.push(step);
    }
}

/// The anomaly of a scalar backward step: input `input`'s gradient `value` is not finite.
#[cold]
#[inline(never)]
fn backward_anomaly<T: Float>(
    op: &'static str,
    node: usize,
    site: &'static Location<'static>,
    input_shapes: Vec<Vec<usize>>,
    input: usize,
    position: Vec<usize>,
    value: T,
) -> Anomaly {
    Anomaly {
        pass: Pass::Backward,
        op,
        node,
        site,
        input_shapes,
        input: Some(input),
        position,
        value: format!("{value:?}"),
    }
}
