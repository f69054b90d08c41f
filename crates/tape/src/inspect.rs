//! Reading recorded values back off a tape by the op that made them, for diagnostics.

use ndarray::{ArrayBase, ArrayD, Data, Dimension};

use crate::{Float, Tape};

impl<'t, T: Float> Tape<'t, T> {
    /// Names the value [`param`](Tape::param) recorded for `array`, as
    /// [`Var::named`](crate::Var::named) does, so that the graph ([`to_dot`](Tape::to_dot))
    /// and the trace ([`backward_trace`](Tape::backward_trace)) show `layers.0.weight`
    /// rather than `param`. Returns whether `array` had been recorded as a parameter on
    /// this tape (the same memory and shape). `tapegrad_nn::name_params` names every
    /// parameter of a model this way.
    ///
    /// ```
    /// use ndarray::array;
    /// let w = array![1.0, 2.0];
    /// let tape = tapegrad_tape::Tape::new();
    /// let y = (tape.param(&w) * 3.0).sum();
    /// assert!(tape.name_param(&w, "weight"));
    /// assert!(!tape.name_param(&array![1.0], "never recorded"));
    /// assert!(tape.to_dot(None).contains(r#"\"weight\" param"#));
    /// # let _ = y;
    /// ```
    pub fn name_param<S, D>(&self, array: &ArrayBase<S, D>, name: &str) -> bool
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let found = self.params.borrow().get().find(array);
        if let Some((_, node)) = found {
            self.labels.borrow_mut().insert(node, name.to_string());
        }
        found.is_some()
    }

    /// Copies of the values of every node recorded by an op named `op_name` (as
    /// [`Op::name`](crate::Op::name) spells it: `"relu"`, `"matmul"`, …), in tape order.
    ///
    /// This is how a training loop looks at activations without the model's help, e.g.
    /// to count ReLU units that never fire. It reads the tape only, so it may be called
    /// before or after [`backward`](Tape::backward). Ops run on an
    /// [`inference`](Tape::inference) tape or inside [`no_grad`](Tape::no_grad) keep no
    /// op, so they are not found. Every value is copied: call it only when you want them.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[-1.0, 2.0], [3.0, -4.0]]);
    /// let hidden = x.relu();
    /// let _out = (hidden * 2.0).relu().sum();
    /// let relus = tape.op_outputs("relu");
    /// assert_eq!(relus.len(), 2);
    /// assert_eq!(relus[0], array![[0.0, 2.0], [3.0, 0.0]].into_dyn());
    /// assert_eq!(relus[1], array![[0.0, 4.0], [6.0, 0.0]].into_dyn());
    /// assert!(tape.op_outputs("softmax").is_empty());
    /// ```
    pub fn op_outputs(&self, op_name: &str) -> Vec<ArrayD<T>> {
        let nodes = self.nodes.borrow();
        (0..nodes.len())
            .filter(|&i| nodes[i].op().is_some_and(|op| op.name() == op_name))
            .map(|i| nodes.view(i).to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use crate::Tape;

    #[test]
    fn op_outputs_finds_ops_in_tape_order_and_skips_unrecorded_ones() {
        let tape = Tape::new();
        let x = tape.var(array![-1.0, 1.0]);
        let first = x.exp();
        let _not_recorded = tape.no_grad(|| x.exp());
        let second = (first * 2.0).exp();
        let exps = tape.op_outputs("exp");
        assert_eq!(exps, vec![first.value(), second.value()]);
        assert!(Tape::<f64>::inference().op_outputs("exp").is_empty());
    }
}
