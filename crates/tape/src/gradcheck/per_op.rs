//! Per-op checking: each recorded op's backward against finite differences of that op's
//! forward alone, so a failure names the op (and the line that recorded it).

use std::fmt;
use std::panic::Location;

use ndarray::{ArrayD, ArrayViewD, Dimension, Zip};

use super::{ElementCheck, GradCheck, Status};
use crate::{Float, Tape, Var};

/// The check of one recorded op: for a fixed pseudo-random cotangent `v` of the op's
/// output shape, its backward's `vᵀ·J` against `Σ v · (op(x + h) − op(x − h)) / 2h`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::GradCheck;
/// let report = GradCheck::new().check_ops(|_t, v| (v[0] * v[0]).sum(), &[array![1.0, 2.0].into_dyn()]);
/// let mul = &report.ops[0];
/// assert_eq!((mul.op, mul.node, mul.elements.len()), ("mul", 1, 4)); // 2 inputs × 2 elements
/// assert!(mul.passed());
/// ```
#[derive(Debug, Clone)]
pub struct OpCheck {
    /// The node's index on the tape.
    pub node: usize,
    /// The op's name.
    pub op: &'static str,
    /// The op's settings, possibly empty.
    pub describe: String,
    /// The source line that recorded it.
    pub site: &'static Location<'static>,
    /// One entry per element of every input of the op.
    pub elements: Vec<ElementCheck>,
}

impl OpCheck {
    /// Whether no element of this op failed.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().check_ops(|_t, v| v[0].exp().sum(), &[array![1.0].into_dyn()]);
    /// assert!(report.ops.iter().all(|op| op.passed()));
    /// ```
    pub fn passed(&self) -> bool {
        self.elements.iter().all(|e| e.status != Status::Fail)
    }

    fn worst(&self) -> Option<&ElementCheck> {
        self.elements
            .iter()
            .filter(|e| e.status != Status::Kink)
            .max_by(|a, b| a.rel_error.max(a.abs_error).total_cmp(&b.rel_error.max(b.abs_error)))
    }
}

/// The result of [`GradCheck::check_ops`]: one [`OpCheck`] per recorded op, in tape
/// order. `Display` prints a line per op and the worst element of each failing one.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::GradCheck;
/// let report = GradCheck::new().check_ops(
///     |_t, v| v[0].matmul(&v[1]).relu().sum(),
///     &[array![[1.0, 2.0]].into_dyn(), array![[0.5], [-0.1]].into_dyn()],
/// );
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.ops.iter().map(|o| o.op).collect::<Vec<_>>(), ["matmul", "relu", "sum"]);
/// ```
#[derive(Debug, Clone)]
pub struct OpCheckReport {
    /// The ops in tape order.
    pub ops: Vec<OpCheck>,
}

impl OpCheckReport {
    /// Whether every op passed and at least one element of some op was compared (a
    /// report whose elements were all skipped at kinks, or that has none, compared
    /// nothing and has not passed).
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::GradCheck::new().check_ops(|_t, v| v[0].sum(), &[array![1.0].into_dyn()]);
    /// assert!(r.passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.ops.iter().all(OpCheck::passed) && self.compared() > 0
    }

    /// How many elements were compared over all ops (all but those at kinks).
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::GradCheck::new().check_ops(|_t, v| v[0].sum(), &[array![1.0, 2.0].into_dyn()]);
    /// assert_eq!(r.compared(), 2);
    /// ```
    pub fn compared(&self) -> usize {
        self.ops.iter().flat_map(|op| &op.elements).filter(|e| e.status != Status::Kink).count()
    }

    /// The ops with a failing element.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::GradCheck::new().check_ops(|_t, v| v[0].sum(), &[array![1.0].into_dyn()]);
    /// assert_eq!(r.failing_ops().count(), 0);
    /// ```
    pub fn failing_ops(&self) -> impl Iterator<Item = &OpCheck> {
        self.ops.iter().filter(|op| !op.passed())
    }

    /// Panics with the printed report if any op failed.
    ///
    /// # Panics
    /// If [`passed`](OpCheckReport::passed) is false.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::GradCheck::new().check_ops(|_t, v| v[0].tanh().sum(), &[array![0.3].into_dyn()]);
    /// r.assert_passed();
    /// ```
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for OpCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failing_ops().count();
        if failed == 0 && self.compared() == 0 {
            writeln!(
                f,
                "per-op gradient check FAILED: no element was compared (every one of {} ops' elements at a \
                 kink, or none): a check that compares nothing proves nothing",
                self.ops.len()
            )?;
        } else if failed == 0 {
            let plural = if self.ops.len() == 1 { "" } else { "s" };
            writeln!(
                f,
                "per-op gradient check passed: all {} op{plural} agree with finite differences",
                self.ops.len()
            )?;
        } else {
            writeln!(f, "per-op gradient check FAILED: {failed} of {} ops disagree", self.ops.len())?;
        }
        for op in &self.ops {
            let settings = if op.describe.is_empty() { String::new() } else { format!("[{}]", op.describe) };
            let kinks = op.elements.iter().filter(|e| e.status == Status::Kink).count();
            let kinks = if kinks > 0 { format!(", {kinks} at kinks") } else { String::new() };
            let plural = if op.elements.len() == 1 { "" } else { "s" };
            writeln!(
                f,
                "  {:<4} node {:<3} {}{} at {}:{} ({} element{plural}{kinks})",
                if op.passed() { "ok" } else { "FAIL" },
                op.node,
                op.op,
                settings,
                op.site.file(),
                op.site.line(),
                op.elements.len()
            )?;
            if !op.passed() {
                if let Some(w) = op.worst() {
                    writeln!(
                        f,
                        "       worst: {} {:?}: analytic {:.6e} vs numeric {:.6e} (abs err {:.2e}, rel err {:.2e})",
                        w.input_name, w.index, w.analytic, w.numeric, w.abs_error, w.rel_error
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// A fixed pseudo-random cotangent in `±[0.5, 1.5)` (splitmix64, seeded by the node), so
/// no output element is ignored and reruns give the same numbers.
pub(super) fn cotangent<T: Float>(shape: &[usize], seed: u64) -> ArrayD<T> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x2545_F491_4F6C_DD1D);
    ArrayD::from_shape_simple_fn(shape, || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        let sign = if z & 1 == 0 { 1.0 } else { -1.0 };
        T::from_f64(sign * (0.5 + unit))
    })
}

impl GradCheck {
    /// The central difference of `v · op(x)` along element `position` of input `input`
    /// (restored afterwards), and whether `x ± h` crosses a kink of the op (its branches
    /// differ from `base`).
    fn op_slope<T: Float>(
        &self,
        op: &dyn crate::Op<T>,
        xs: &mut [ArrayD<T>],
        (input, position): (usize, &ndarray::IxDyn),
        v: &ArrayD<T>,
        base: &Option<Vec<i8>>,
    ) -> (f64, bool) {
        let original = xs[input][position];
        let plus = original + T::from_f64(self.step);
        let minus = original - T::from_f64(self.step);
        xs[input][position] = plus;
        let (y_plus, branches_plus) = (op.forward(&views(xs)), op.branches(&views(xs)));
        xs[input][position] = minus;
        let (y_minus, branches_minus) = (op.forward(&views(xs)), op.branches(&views(xs)));
        xs[input][position] = original;
        let numeric = (dot(v, &y_plus) - dot(v, &y_minus)) / (plus.to_f64() - minus.to_f64());
        (numeric, branches_plus != *base || branches_minus != *base)
    }
}

fn views<T: Float>(xs: &[ArrayD<T>]) -> Vec<ArrayViewD<'_, T>> {
    xs.iter().map(|x| x.view()).collect()
}

fn dot<T: Float>(a: &ArrayD<T>, b: &ArrayD<T>) -> f64 {
    Zip::from(a).and(b).fold(0.0, |acc, &x, &y| acc + x.to_f64() * y.to_f64())
}

impl GradCheck {
    /// Records `f` at `inputs` on a fresh tape and checks every op on it
    /// ([`check_tape_ops`](GradCheck::check_tape_ops)).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().check_ops(
    ///     |_t, v| v[0].log_softmax(1).sum(),
    ///     &[array![[1.0, -2.0, 0.5]].into_dyn()],
    /// );
    /// report.assert_passed();
    /// ```
    pub fn check_ops<T, F>(&self, f: F, inputs: &[ArrayD<T>]) -> OpCheckReport
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        let tape = Tape::new();
        let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
        f(&tape, &vars);
        self.check_tape_ops(&tape)
    }

    /// Checks every op recorded on `tape` on its own: its backward, fed a fixed
    /// pseudo-random `∂L/∂output`, against central differences of its forward at the
    /// recorded inputs. Ops recorded without grad (no op kept) are not checked.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::{gradcheck::GradCheck, Tape};
    /// let tape = Tape::new();
    /// let x = tape.var(array![0.2, 0.4]);
    /// let _loss = x.sigmoid().mul(&x).sum();
    /// let report = GradCheck::new().check_tape_ops(&tape);
    /// assert_eq!(report.ops.len(), 3);
    /// report.assert_passed();
    /// ```
    pub fn check_tape_ops<T: Float>(&self, tape: &Tape<'_, T>) -> OpCheckReport {
        let nodes = tape.nodes.borrow();
        let mut ops = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let Some(op) = node.op() else { continue };
            let mut xs: Vec<ArrayD<T>> =
                nodes.inputs(index).iter().map(|&j| nodes.view(j).to_owned()).collect();
            let y = op.forward(&views(&xs));
            let v = cotangent::<T>(y.shape(), index as u64);
            let wanted = vec![true; xs.len()];
            let analytic = op.backward(&views(&xs), &y.view(), &v.view(), &wanted);
            let base_branches = op.branches(&views(&xs));
            let mut elements = Vec::new();
            for (input, grad) in analytic.into_iter().enumerate() {
                let grad = grad.unwrap_or_else(|| ArrayD::zeros(xs[input].raw_dim()));
                for (position, &a) in grad.indexed_iter() {
                    let (numeric, kink) = self.op_slope(op, &mut xs, (input, &position), &v, &base_branches);
                    elements.push(ElementCheck::new(
                        format!("input {input} (node {})", nodes.inputs(index)[input]),
                        input,
                        position.slice().to_vec(),
                        a.to_f64(),
                        numeric,
                        kink,
                        self.atol,
                        self.rtol,
                    ));
                }
            }
            self.check_scalar_path(op, &mut xs, &y, index, nodes.inputs(index), &mut elements);
            ops.push(OpCheck {
                node: index,
                op: op.name(),
                describe: op.describe(),
                site: node.site,
                elements,
            });
        }
        OpCheckReport { ops }
    }

    /// Records `f` at `inputs` on a fresh tape and checks every op's tangent rule on it
    /// ([`check_tape_ops_forward`](GradCheck::check_tape_ops_forward)).
    ///
    /// # Errors
    /// [`TapeError::NoTangentRule`](crate::TapeError::NoTangentRule) naming the first op
    /// without a tangent rule.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().check_ops_forward(
    ///     |_t, v| v[0].matmul(&v[1]).tanh().sum(),
    ///     &[array![[1.0, 2.0]].into_dyn(), array![[0.5], [-0.1]].into_dyn()],
    /// )?;
    /// report.assert_passed();
    /// assert_eq!(report.ops.iter().map(|o| o.op).collect::<Vec<_>>(), ["matmul", "tanh", "sum"]);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    pub fn check_ops_forward<T, F>(
        &self,
        f: F,
        inputs: &[ArrayD<T>],
    ) -> Result<OpCheckReport, crate::TapeError>
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        let tape = Tape::new();
        let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
        f(&tape, &vars);
        self.check_tape_ops_forward(&tape)
    }

    /// Checks every op recorded on `tape` in forward mode, on its own: for a unit tangent
    /// on each element of each input (the others absent), the op's tangent rule `J·e`
    /// against central differences of its forward at the recorded inputs, and against its
    /// backward (`vᵀ(J·e)` must equal `(vᵀJ)·e` for the fixed pseudo-random cotangent `v`
    /// of the reverse check). Each element compares `v · J·e` (so one number per input
    /// element, as in [`check_tape_ops`](GradCheck::check_tape_ops)); where forward and
    /// reverse disagree it fails with the reverse value as its `numeric`. PyTorch's
    /// `gradcheck(check_forward_ad=True)` does the same for a whole function.
    ///
    /// # Errors
    /// [`TapeError::NoTangentRule`](crate::TapeError::NoTangentRule) naming the first op
    /// without a tangent rule.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::{gradcheck::GradCheck, Tape};
    /// let tape = Tape::new();
    /// let x = tape.var(array![0.2, 0.4]);
    /// let _loss = x.sigmoid().mul(&x).sum();
    /// let report = GradCheck::new().check_tape_ops_forward(&tape)?;
    /// assert_eq!(report.ops.len(), 3);
    /// report.assert_passed();
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    pub fn check_tape_ops_forward<T: Float>(
        &self,
        tape: &Tape<'_, T>,
    ) -> Result<OpCheckReport, crate::TapeError> {
        let nodes = tape.nodes.borrow();
        let mut ops = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let Some(op) = node.op() else { continue };
            let mut xs: Vec<ArrayD<T>> =
                nodes.inputs(index).iter().map(|&j| nodes.view(j).to_owned()).collect();
            let y = op.forward(&views(&xs));
            let v = cotangent::<T>(y.shape(), index as u64);
            let reverse = op.backward(&views(&xs), &y.view(), &v.view(), &vec![true; xs.len()]);
            let base_branches = op.branches(&views(&xs));
            let mut elements = Vec::new();
            for input in 0..xs.len() {
                let reverse = reverse
                    .get(input)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| ArrayD::zeros(xs[input].raw_dim()));
                let positions: Vec<_> = xs[input].indexed_iter().map(|(p, _)| p).collect();
                for position in positions {
                    let mut unit = ArrayD::<T>::zeros(xs[input].raw_dim());
                    unit[&position] = T::one();
                    let tangents: Vec<Option<ArrayViewD<'_, T>>> =
                        (0..xs.len()).map(|k| (k == input).then(|| unit.view())).collect();
                    let Some(column) = op.tangent(&views(&xs), &y.view(), &tangents) else {
                        return Err(crate::TapeError::NoTangentRule {
                            op: op.name(),
                            node: index,
                            site: node.site.to_string(),
                        });
                    };
                    let forward = dot(&v, &column);
                    let (numeric, kink) = self.op_slope(op, &mut xs, (input, &position), &v, &base_branches);
                    let name = format!("input {input} (node {}, forward)", nodes.inputs(index)[input]);
                    let at = position.slice().to_vec();
                    let against_reverse =
                        self.compare(&name, input, at.clone(), forward, reverse[&position].to_f64(), false);
                    elements.push(if against_reverse.status == Status::Fail {
                        against_reverse
                    } else {
                        self.compare(&name, input, at, forward, numeric, kink)
                    });
                }
            }
            ops.push(OpCheck {
                node: index,
                op: op.name(),
                describe: op.describe(),
                site: node.site,
                elements,
            });
        }
        Ok(OpCheckReport { ops })
    }

    /// For an op with a scalar fast path and 0-d inputs, checks that path too: its value
    /// against `forward`'s, and `backward_scalar` against finite differences of
    /// `forward_scalar`, so a fast path that disagrees with the array path cannot hide.
    fn check_scalar_path<T: Float>(
        &self,
        op: &dyn crate::Op<T>,
        xs: &mut [ArrayD<T>],
        y: &ArrayD<T>,
        index: usize,
        input_nodes: &[usize],
        elements: &mut Vec<ElementCheck>,
    ) {
        let scalars: Option<Vec<T>> = xs.iter().map(|x| (x.ndim() == 0).then(|| x[[]])).collect();
        let Some(mut scalars) = scalars.filter(|s| !s.is_empty()) else { return };
        let Some(value) = op.forward_scalar(&scalars) else { return };
        elements.push(self.compare(
            "output (scalar path vs forward)",
            0,
            vec![],
            value.to_f64(),
            y[[]].to_f64(),
            false,
        ));
        let v = cotangent::<T>(&[], index as u64)[[]];
        let Some(analytic) = op.backward_scalar(&scalars, value, v) else { return };
        for (input, &a) in analytic.iter().enumerate() {
            let original = scalars[input];
            let (plus, minus) = (original + T::from_f64(self.step), original - T::from_f64(self.step));
            scalars[input] = plus;
            let y_plus = op.forward_scalar(&scalars);
            scalars[input] = minus;
            let y_minus = op.forward_scalar(&scalars);
            scalars[input] = original;
            let (Some(y_plus), Some(y_minus)) = (y_plus, y_minus) else { continue };
            let numeric =
                v.to_f64() * (y_plus.to_f64() - y_minus.to_f64()) / (plus.to_f64() - minus.to_f64());
            // Kinks: the array path's branches at the perturbed inputs.
            xs[input][[]] = plus;
            let branches_plus = op.branches(&views(xs));
            xs[input][[]] = minus;
            let branches_minus = op.branches(&views(xs));
            xs[input][[]] = original;
            let base = op.branches(&views(xs));
            let kink = branches_plus != base || branches_minus != base;
            let name = format!("input {input} (node {}, scalar path)", input_nodes[input]);
            elements.push(self.compare(&name, input, vec![], a.to_f64(), numeric, kink));
        }
    }
}
