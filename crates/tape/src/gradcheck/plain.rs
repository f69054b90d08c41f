//! Checking derivatives that were not computed on the tape: a plain function of an
//! ndarray and the gradient, Jacobian or vector-Jacobian product its author derived by
//! hand (a physics code, a custom kernel, an optimizer's update), judged element by
//! element with the report, tolerances and directional mode of the tape's checks —
//! SciPy's `check_grad` and JAX's `check_grads` for Rust.
//!
//! With no tape there are no branch signatures to spot a kink, so a kink is found from
//! the function's values: when the central difference disagrees with the claim, the
//! one-sided slopes `(f(x + h) − f(x)) / h` and `(f(x) − f(x − h)) / h` are compared. A
//! smooth function's slopes differ by about `h·|f''|`, which shrinks with the step; a kink's
//! differ by the jump in slope whatever the step. So the gap is measured again at `h / 10`:
//! a gap that stays (more than half of it) is a kink. A claim that lies between the two
//! one-sided slopes there (what `|x|`, `max` or `relu` may return at the kink) is skipped as
//! [`Status::Kink`]; one outside them fails, kink or not.

use ndarray::{Array, Array2, ArrayD, Dimension, IxDyn};

use super::per_op::cotangent;
use super::{ElementCheck, GradCheck, GradCheckReport, Status};
use crate::Float;

/// A plain function with its outputs flattened (row-major) into f64.
type Flat<'f, T, D> = &'f dyn Fn(&Array<T, D>) -> Vec<f64>;

impl GradCheck {
    /// Checks a hand-derived `gradient` of a plain scalar function `f` at `x`, element by
    /// element against central differences (or along random directions, see
    /// [`directions`](GradCheck::directions)). `f` may be any Rust code: nothing is
    /// recorded. The report names each element by its index in `x` (input name
    /// `input 0` unless [`input_names`](GradCheck::input_names) says otherwise); elements
    /// at a kink of `f` are skipped when the claim lies between its one-sided slopes (see
    /// the module docs).
    ///
    /// # Panics
    /// If `gradient`'s shape is not `x`'s.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::{GradCheck, Status};
    /// // Rosenbrock's function and its gradient, derived by hand.
    /// let f = |x: &ndarray::Array1<f64>| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
    /// let grad = |x: &ndarray::Array1<f64>| {
    ///     array![-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]), 200.0 * (x[1] - x[0] * x[0])]
    /// };
    /// let x = array![-1.2, 1.0];
    /// GradCheck::new().check_gradient_fn(f, &x, &grad(&x)).assert_passed();
    ///
    /// // A slip in the second component (100 for 200) is named, with both numbers.
    /// let wrong = array![grad(&x)[0], 100.0 * (x[1] - x[0] * x[0])];
    /// let report = GradCheck::new().input_names(&["x"]).check_gradient_fn(f, &x, &wrong);
    /// assert!(!report.passed());
    /// let failure = report.failures().next().unwrap();
    /// assert_eq!((failure.input_name.as_str(), failure.index.as_slice()), ("x", &[1][..]));
    /// assert!((failure.numeric + 88.0).abs() < 1e-4 && (failure.analytic + 44.0).abs() < 1e-9);
    /// ```
    pub fn check_gradient_fn<T, D, F>(&self, f: F, x: &Array<T, D>, gradient: &Array<T, D>) -> GradCheckReport
    where
        T: Float,
        D: Dimension,
        F: Fn(&Array<T, D>) -> T,
    {
        assert_eq!(
            gradient.shape(),
            x.shape(),
            "check_gradient_fn: the gradient has shape {:?}, the input {:?}",
            gradient.shape(),
            x.shape()
        );
        let claimed = Array2::from_shape_vec((1, x.len()), gradient.iter().map(|&v| f64_of(v)).collect())
            .expect("one row of the input's length");
        self.check_plain(&|x: &Array<T, D>| vec![f64_of(f(x))], x, &[], &claimed)
    }

    /// Checks a hand-derived `jacobian` of a plain vector function `f` at `x`: entry by
    /// entry (every output element against every input element) against central
    /// differences, or along random directions (`J·v` per output element, see
    /// [`directions`](GradCheck::directions)). The Jacobian's shape is `f(x)`'s shape
    /// followed by `x`'s (JAX's and PyTorch's layout), or `[f(x).len(), x.len()]`; each
    /// report row's index is the output index followed by the input index.
    ///
    /// # Panics
    /// If `jacobian` has neither shape.
    ///
    /// ```
    /// use ndarray::{array, Array1, Array2};
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// // Polar to Cartesian: f(r, θ) = (r cos θ, r sin θ).
    /// let f = |p: &Array1<f64>| array![p[0] * p[1].cos(), p[0] * p[1].sin()];
    /// let jacobian = |p: &Array1<f64>| -> Array2<f64> {
    ///     array![[p[1].cos(), -p[0] * p[1].sin()], [p[1].sin(), p[0] * p[1].cos()]]
    /// };
    /// let p = array![2.0, 0.3];
    /// let report = GradCheck::new().check_jacobian_fn(f, &p, &jacobian(&p));
    /// report.assert_passed();
    /// assert_eq!(report.elements[1].index, vec![0, 1]); // ∂y₀/∂θ
    /// ```
    pub fn check_jacobian_fn<T, D, E, J, F>(
        &self,
        f: F,
        x: &Array<T, D>,
        jacobian: &Array<T, J>,
    ) -> GradCheckReport
    where
        T: Float,
        D: Dimension,
        E: Dimension,
        J: Dimension,
        F: Fn(&Array<T, D>) -> Array<T, E>,
    {
        let output_shape = f(x).shape().to_vec();
        let outputs: usize = output_shape.iter().product();
        let full: Vec<usize> = output_shape.iter().chain(x.shape()).copied().collect();
        assert!(
            jacobian.shape() == full.as_slice() || jacobian.shape() == [outputs, x.len()],
            "check_jacobian_fn: the Jacobian has shape {:?}; expected the output's shape then the input's, \
             {full:?}, or [outputs, inputs] = {:?}",
            jacobian.shape(),
            [outputs, x.len()]
        );
        let claimed =
            Array2::from_shape_vec((outputs, x.len()), jacobian.iter().map(|&v| f64_of(v)).collect())
                .expect("as many entries as outputs times inputs");
        let flat = |x: &Array<T, D>| f(x).iter().map(|&v| f64_of(v)).collect::<Vec<f64>>();
        self.check_plain(&flat, x, &output_shape, &claimed)
    }

    /// Checks a hand-derived vector-Jacobian product of a plain vector function `f` at `x`
    /// (the backward pass of a custom kernel): `vjp(u)` must be `uᵀ·J`, the gradient of
    /// `u · f(x)`, for the fixed pseudo-random cotangent `u` (of `f(x)`'s shape, entries of
    /// either sign in `[0.5, 1.5)`, so no output is ignored) that the checker passes. Each
    /// element of `vjp(u)` is compared with the central difference of `u · f` (or along
    /// random directions, see [`directions`](GradCheck::directions)); the report names
    /// elements by their index in `x`.
    ///
    /// # Panics
    /// If `vjp` returns an array of another shape than `x`'s.
    ///
    /// ```
    /// use ndarray::{Array1, Array2, array};
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// // y = softmax(x); its backward, written by hand: uᵀJ = y ⊙ (u − u·y).
    /// let softmax = |x: &Array1<f64>| {
    ///     let e = x.mapv(f64::exp);
    ///     &e / e.sum()
    /// };
    /// let x = array![0.2, -1.0, 3.0];
    /// let y = softmax(&x);
    /// let vjp = |u: &Array1<f64>| &y * &(u - u.dot(&y));
    /// GradCheck::new().check_vjp_fn(softmax, &x, vjp).assert_passed();
    /// ```
    pub fn check_vjp_fn<T, D, E, F, V>(&self, f: F, x: &Array<T, D>, vjp: V) -> GradCheckReport
    where
        T: Float,
        D: Dimension,
        E: Dimension,
        F: Fn(&Array<T, D>) -> Array<T, E>,
        V: Fn(&Array<T, E>) -> Array<T, D>,
    {
        let y = f(x);
        let u: Array<T, E> =
            cotangent::<T>(y.shape(), 0x5EED).into_dimensionality().expect("the output's own shape and rank");
        let claimed = vjp(&u);
        assert_eq!(
            claimed.shape(),
            x.shape(),
            "check_vjp_fn: the vector-Jacobian product has shape {:?}, the input {:?}",
            claimed.shape(),
            x.shape()
        );
        let claimed = Array2::from_shape_vec((1, x.len()), claimed.iter().map(|&v| f64_of(v)).collect())
            .expect("one row of the input's length");
        let weights: Vec<f64> = u.iter().map(|&v| f64_of(v)).collect();
        let projected = |x: &Array<T, D>| {
            let y = f(x);
            assert_eq!(y.len(), weights.len(), "check_vjp_fn: f's output changed its length between calls");
            vec![y.iter().zip(&weights).map(|(&v, w)| f64_of(v) * w).sum::<f64>()]
        };
        self.check_plain(&projected, x, &[], &claimed)
    }

    /// The shared check: `claimed` is the Jacobian `[outputs, inputs]` of `f` at `x`.
    fn check_plain<T: Float, D: Dimension>(
        &self,
        f: Flat<'_, T, D>,
        x: &Array<T, D>,
        output_shape: &[usize],
        claimed: &Array2<f64>,
    ) -> GradCheckReport {
        let base = f(x);
        assert_eq!(base.len(), claimed.nrows(), "the function's output length changed between calls");
        let mut elements = Vec::new();
        if x.is_empty() {
            // Nothing to perturb: no element is compared, so the report has not passed
            // (a direction through no element would compare 0 with 0 and prove nothing).
            return self.report(elements);
        }
        if self.directions > 0 {
            for d in 0..self.directions {
                let v: ArrayD<T> = cotangent(x.shape(), 0xD1EC_7104 + d as u64);
                let probe_at = |step: f64| {
                    let moved = |sign: f64| {
                        let mut moved = x.clone();
                        moved
                            .iter_mut()
                            .zip(&v)
                            .for_each(|(m, &v)| *m += T::from_f64(sign * step * f64_of(v)));
                        moved
                    };
                    let (plus, minus) = (moved(1.0), moved(-1.0));
                    // The direction actually taken, after rounding `x ± h·v` in `T`.
                    let w: Vec<f64> = plus
                        .iter()
                        .zip(&minus)
                        .map(|(&p, &m)| (f64_of(p) - f64_of(m)) / (2.0 * step))
                        .collect();
                    (w, slopes(&f(&plus), &base, &f(&minus), step, step))
                };
                let (w, coarse) = probe_at(self.step);
                let mut finer = None;
                let name = format!("along v{d}");
                for (i, row) in claimed.rows().into_iter().enumerate() {
                    let analytic = row.iter().zip(&w).map(|(a, w)| a * w).sum::<f64>();
                    let fine = || finer.get_or_insert_with(|| probe_at(self.step / 10.0).1)[i];
                    elements.push(self.judge_plain(
                        &name,
                        output_index(output_shape, i),
                        analytic,
                        coarse[i],
                        fine,
                    ));
                }
            }
            return self.report(elements);
        }
        let name = self.name(0);
        // Judged input by input (two evaluations each), reported in the Jacobian's
        // row-major order: output index, then input index.
        let mut judged: Vec<Option<ElementCheck>> = vec![None; claimed.len()];
        let mut moved = x.clone();
        let indices: Vec<IxDyn> = x.view().into_dyn().indexed_iter().map(|(index, _)| index).collect();
        for (j, index) in indices.iter().enumerate() {
            let original = x.view().into_dyn()[index];
            let mut probe_at = |step: f64| {
                let (plus, minus) = (original + T::from_f64(step), original - T::from_f64(step));
                let mut at = |value: T| {
                    moved.view_mut().into_dyn()[index] = value;
                    let y = f(&moved);
                    moved.view_mut().into_dyn()[index] = original;
                    y
                };
                let (f_plus, f_minus) = (at(plus), at(minus));
                // The steps actually taken, after rounding `x ± h` in `T`.
                let (ahead, behind) = (f64_of(plus) - f64_of(original), f64_of(original) - f64_of(minus));
                slopes(&f_plus, &base, &f_minus, ahead, behind)
            };
            let coarse = probe_at(self.step);
            let mut finer = None;
            for (i, &slope) in coarse.iter().enumerate() {
                let mut at = output_index(output_shape, i);
                at.extend_from_slice(index.slice());
                let fine = || finer.get_or_insert_with(|| probe_at(self.step / 10.0))[i];
                judged[i * x.len() + j] = Some(self.judge_plain(&name, at, claimed[[i, j]], slope, fine));
            }
        }
        self.report(judged.into_iter().map(|e| e.expect("every entry judged")).collect())
    }

    /// Judges one claimed derivative against the slopes at the step and, when they call
    /// for it, at a tenth of the step (`fine`): see the module docs.
    fn judge_plain(
        &self,
        name: &str,
        index: Vec<usize>,
        analytic: f64,
        coarse: Slopes,
        fine: impl FnOnce() -> Slopes,
    ) -> ElementCheck {
        let tolerance = |a: f64, b: f64| self.atol + self.rtol * a.abs().max(b.abs());
        let at_coarse = self.compare(name, 0, index.clone(), analytic, coarse.central, false);
        let coarse_gap = (coarse.ahead - coarse.behind).abs();
        if at_coarse.status == Status::Pass && coarse_gap <= tolerance(coarse.ahead, coarse.behind) {
            return at_coarse; // smooth here, and right
        }
        // The one-sided slopes disagree, or the claim does: at a tenth of the step a kink
        // at the point keeps its gap, curvature's shrinks tenfold, and a difference that
        // only straddled a nearby kink comes right.
        let fine = fine();
        let gap = (fine.ahead - fine.behind).abs();
        if gap > tolerance(fine.ahead, fine.behind) && gap > 0.5 * coarse_gap {
            let (low, high) = (fine.ahead.min(fine.behind), fine.ahead.max(fine.behind));
            let slack = tolerance(low, high);
            return if analytic >= low - slack && analytic <= high + slack {
                self.compare(name, 0, index, analytic, coarse.central, true)
            } else {
                at_coarse.with_status(Status::Fail)
            };
        }
        if at_coarse.status == Status::Pass {
            return at_coarse;
        }
        let at_fine = self.compare(name, 0, index, analytic, fine.central, false);
        if at_fine.status == Status::Pass {
            at_fine
        } else {
            at_coarse
        }
    }
}

/// The central and one-sided difference quotients of one output element.
#[derive(Debug, Clone, Copy)]
struct Slopes {
    central: f64,
    ahead: f64,
    behind: f64,
}

/// Every output element's slopes from `f(x + ahead)`, `f(x)` and `f(x − behind)`.
fn slopes(f_plus: &[f64], base: &[f64], f_minus: &[f64], ahead: f64, behind: f64) -> Vec<Slopes> {
    assert!(
        f_plus.len() == base.len() && f_minus.len() == base.len(),
        "the function's output length changed between calls"
    );
    (0..base.len())
        .map(|i| Slopes {
            central: (f_plus[i] - f_minus[i]) / (ahead + behind),
            ahead: (f_plus[i] - base[i]) / ahead,
            behind: (base[i] - f_minus[i]) / behind,
        })
        .collect()
}

/// The multi-index of flat (row-major) element `i` of an array of `shape`.
fn output_index(shape: &[usize], i: usize) -> Vec<usize> {
    let mut rest = i;
    let mut index = vec![0; shape.len()];
    for (slot, &len) in index.iter_mut().zip(shape).rev() {
        *slot = rest % len;
        rest /= len;
    }
    index
}

/// A number of `T` in f64 (`Float`'s conversion, not `num_traits`' fallible one).
fn f64_of<T: Float>(v: T) -> f64 {
    Float::to_f64(v)
}
