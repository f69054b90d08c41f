//! The public gradient checker: compares the tape's gradients with central finite
//! differences, element by element, and says exactly where and by how much they differ.
//!
//! The tools:
//! - [`GradCheck::check`]: the gradient of a whole function from input arrays to a
//!   scalar, per input element, as a [`GradCheckReport`] that prints as a table;
//!   [`check_forward`](GradCheck::check_forward) the same for forward mode, and
//!   [`check_second_order`](GradCheck::check_second_order) for the recorded backward;
//! - [`GradCheck::check_ops`]: every op recorded by that function checked on its own
//!   against finite differences of that op alone, so a failure names the faulty op
//!   ([`OpCheckReport`]);
//! - [`GradCheck::check_gradient_fn`], [`check_jacobian_fn`](GradCheck::check_jacobian_fn)
//!   and [`check_vjp_fn`](GradCheck::check_vjp_fn): a gradient, Jacobian or
//!   vector-Jacobian product derived by hand for a plain Rust function of an ndarray
//!   (no tape), with the same report and tolerances;
//! - [`GradCheck::directions`]: any of the whole-function checks along a few random
//!   directions instead of element by element, for large inputs;
//! - [`numeric_gradient`]: the finite-difference gradient itself.
//!
//! An element passes when `|a − n| ≤ atol + rtol · max(|a|, |n|)` for analytic `a` and
//! numeric `n`. An element whose perturbation `x ± h` changes which branch a kinked op
//! takes (relu, abs, leaky_relu, maximum/minimum, max/min reductions, clamp) sits within
//! the step of a kink: the finite difference is meaningless there, so it is reported as
//! [`Status::Kink`] and skipped, not failed.
//!
//! ## Picking the step
//! Central differences have truncation error `≈ h² · |f'''| / 6` and rounding error
//! `≈ ε · |f| / h`, where `ε` is the machine epsilon; the total is smallest near
//! `h ≈ ∛(3ε · |f| / |f'''|)`, about `∛ε` for values of order 1.
//! - **f64** (`ε ≈ 2.2e-16`): `h = 1e-6` (the default) gives errors near `1e-10`; keep
//!   `atol = 1e-5`, `rtol = 1e-3` (PyTorch's gradcheck defaults), which catch any real bug.
//! - **f32** (`ε ≈ 1.2e-7`): `∛ε ≈ 5e-3`, so use `h ≈ 1e-2 … 1e-3` and expect errors
//!   near `1e-3`; loosen to `atol ≈ rtol ≈ 1e-2` ([`GradCheck::for_f32`]). A smaller step
//!   in f32 makes things *worse*: `f(x + h) − f(x − h)` loses all its digits.
//! - Scale `h` with your inputs: for inputs of size 1000, a step of `1e-6` is below f64's
//!   resolution relative to the value; use `1e-6 · |x|`.
//!
//! Prefer f64 for checking: build your function generically over [`Float`] and check the
//! f64 instance.
//!
//! ```
//! use ndarray::array;
//! use tapegrad_tape::gradcheck::GradCheck;
//!
//! // f(x, w) = Σ tanh(x · w)
//! let report = GradCheck::new().check(
//!     |_tape, v| v[0].matmul(&v[1]).tanh().sum(),
//!     &[array![[0.5, -1.0]].into_dyn(), array![[0.3], [0.7]].into_dyn()],
//! );
//! assert!(report.passed(), "{report}");
//! assert_eq!(report.elements.len(), 4);
//! ```

mod per_op;
mod plain;
mod report;
mod second;

pub use per_op::{OpCheck, OpCheckReport};
pub use report::{ElementCheck, GradCheckReport, Status};

use ndarray::{ArrayD, Dimension};

use crate::{Float, Tape, TapeError, Var};

/// Settings for a gradient check: the finite-difference step and the tolerances.
///
/// ```
/// use tapegrad_tape::gradcheck::GradCheck;
/// let check = GradCheck::new().step(1e-7).atol(1e-6).rtol(1e-4).input_names(&["x"]);
/// assert_eq!(check.step_size(), 1e-7);
/// ```
#[derive(Debug, Clone)]
pub struct GradCheck {
    step: f64,
    atol: f64,
    rtol: f64,
    names: Vec<String>,
    /// Random directions to check instead of every element; 0 checks every element.
    directions: usize,
}

impl Default for GradCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl GradCheck {
    /// Defaults for f64: step `1e-6`, `atol = 1e-5`, `rtol = 1e-3` (PyTorch's gradcheck).
    ///
    /// ```
    /// let check = tapegrad_tape::gradcheck::GradCheck::new();
    /// assert_eq!((check.step_size(), check.tolerances()), (1e-6, (1e-5, 1e-3)));
    /// ```
    pub fn new() -> Self {
        GradCheck { step: 1e-6, atol: 1e-5, rtol: 1e-3, names: Vec::new(), directions: 0 }
    }

    /// Defaults for checking in f32: step `1e-2`, `atol = rtol = 1e-2` (see the module
    /// docs on picking the step).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::for_f32().check(|_t, v| v[0].exp().sum(), &[array![0.5f32, 1.0].into_dyn()]);
    /// assert!(report.passed(), "{report}");
    /// ```
    pub fn for_f32() -> Self {
        GradCheck { step: 1e-2, atol: 1e-2, rtol: 1e-2, names: Vec::new(), directions: 0 }
    }

    /// Sets the finite-difference step `h`.
    ///
    /// ```
    /// let check = tapegrad_tape::gradcheck::GradCheck::new().step(1e-5);
    /// assert_eq!(check.step_size(), 1e-5);
    /// ```
    pub fn step(mut self, step: f64) -> Self {
        self.step = step;
        self
    }

    /// Sets the absolute tolerance.
    ///
    /// ```
    /// let check = tapegrad_tape::gradcheck::GradCheck::new().atol(1e-8);
    /// assert_eq!(check.tolerances().0, 1e-8);
    /// ```
    pub fn atol(mut self, atol: f64) -> Self {
        self.atol = atol;
        self
    }

    /// Sets the relative tolerance.
    ///
    /// ```
    /// let check = tapegrad_tape::gradcheck::GradCheck::new().rtol(1e-6);
    /// assert_eq!(check.tolerances().1, 1e-6);
    /// ```
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = rtol;
        self
    }

    /// Names the inputs in reports (`"w"` instead of `input 1`).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().input_names(&["x"]).check(|_t, v| v[0].sum(), &[array![1.0].into_dyn()]);
    /// assert_eq!(report.elements[0].input_name, "x");
    /// ```
    pub fn input_names(mut self, names: &[&str]) -> Self {
        self.names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Checks `count` directional derivatives along fixed pseudo-random directions instead
    /// of every element: for a large input, `count` pairs of evaluations instead of two
    /// per element. Each direction `v` has entries of either sign and magnitude in
    /// `[0.5, 1.5)`, so no element is left out; the derivative along it, `∇f · v` (or
    /// `J·v` for a vector function), is compared with `(f(x + h·v) − f(x − h·v)) / 2h`.
    /// A wrong element shows in every direction once its error exceeds the tolerance of
    /// the whole sum (`rtol` times the directional derivative), so this finds a gradient
    /// that is wrong in structure; the element-by-element check then names the element,
    /// as with JAX's `check_grads`. The report has one row per
    /// direction (and output element), named `along v0`, `along v1`, …. Used by
    /// [`check`](GradCheck::check) and the checks of plain functions
    /// ([`check_gradient_fn`](GradCheck::check_gradient_fn),
    /// [`check_jacobian_fn`](GradCheck::check_jacobian_fn),
    /// [`check_vjp_fn`](GradCheck::check_vjp_fn)); `0` (the default) checks every element.
    ///
    /// ```
    /// use ndarray::Array1;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// // f(x) = Σ x², checked along 4 directions instead of 10,000 elements.
    /// let x = Array1::linspace(-1.0, 1.0, 10_000);
    /// let report = GradCheck::new().directions(4).check_gradient_fn(|x| x.mapv(|v| v * v).sum(), &x, &(&x * 2.0));
    /// report.assert_passed();
    /// assert_eq!(report.elements.len(), 4);
    /// assert_eq!(report.elements[0].input_name, "along v0");
    /// ```
    pub fn directions(mut self, count: usize) -> Self {
        self.directions = count;
        self
    }

    /// How many random directions are checked (0: every element).
    ///
    /// ```
    /// assert_eq!(tapegrad_tape::gradcheck::GradCheck::new().direction_count(), 0);
    /// ```
    pub fn direction_count(&self) -> usize {
        self.directions
    }

    /// The step `h`.
    ///
    /// ```
    /// assert!(tapegrad_tape::gradcheck::GradCheck::new().step_size() > 0.0);
    /// ```
    pub fn step_size(&self) -> f64 {
        self.step
    }

    /// The tolerances `(atol, rtol)`: an element passes when
    /// `|analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)`.
    ///
    /// ```
    /// let (atol, rtol) = tapegrad_tape::gradcheck::GradCheck::new().tolerances();
    /// assert!(atol > 0.0 && rtol > 0.0);
    /// ```
    pub fn tolerances(&self) -> (f64, f64) {
        (self.atol, self.rtol)
    }

    /// Judges one element by these tolerances: the building block for checkers that
    /// compute the numeric derivative themselves (e.g. over a module's own parameters).
    /// `kink` marks an element whose finite difference straddled a kink.
    ///
    /// ```
    /// use tapegrad_tape::gradcheck::{GradCheck, Status};
    /// let check = GradCheck::new();
    /// let e = check.compare("w", 0, vec![1], 2.0, 2.0 + 1e-9, false);
    /// assert_eq!(e.status, Status::Pass);
    /// assert_eq!(check.compare("w", 0, vec![1], 2.0, 3.0, false).status, Status::Fail);
    /// ```
    pub fn compare(
        &self,
        input_name: &str,
        input: usize,
        index: Vec<usize>,
        analytic: f64,
        numeric: f64,
        kink: bool,
    ) -> ElementCheck {
        ElementCheck::new(input_name.to_string(), input, index, analytic, numeric, kink, self.atol, self.rtol)
    }

    /// Wraps judged elements in a report carrying these settings.
    ///
    /// ```
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let check = GradCheck::new();
    /// let report = check.report(vec![check.compare("x", 0, vec![], 1.0, 1.0, false)]);
    /// assert!(report.passed());
    /// ```
    pub fn report(&self, elements: Vec<ElementCheck>) -> GradCheckReport {
        GradCheckReport { elements, step: self.step, atol: self.atol, rtol: self.rtol }
    }

    fn name(&self, input: usize) -> String {
        self.names.get(input).cloned().unwrap_or_else(|| format!("input {input}"))
    }

    /// Checks the tape's gradient of `f` at `inputs` against central differences, for
    /// every element of every input. `f` receives a fresh tape and one `Var` per input
    /// and must return a one-element value.
    ///
    /// # Panics
    /// If `f` returns a value with more than one element.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::{GradCheck, Status};
    ///
    /// // relu has a kink at 0: the element sitting on it is skipped, not failed.
    /// let report = GradCheck::new().check(|_t, v| v[0].relu().sum(), &[array![-1.0, 0.0, 2.0].into_dyn()]);
    /// assert!(report.passed());
    /// assert_eq!(report.elements[1].status, Status::Kink);
    /// ```
    pub fn check<T, F>(&self, f: F, inputs: &[ArrayD<T>]) -> GradCheckReport
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        self.check_function(&f, inputs)
    }

    /// Checks forward mode: each element's derivative by [`Tape::jvp`] (a unit tangent on
    /// that element, one forward sweep each) against central differences, with the same
    /// tolerances, kink handling and report as [`check`](GradCheck::check), which checks
    /// reverse mode. PyTorch's `gradcheck(check_forward_ad=True)` and JAX's
    /// `check_grads(modes=("fwd",))` do the same. An element where forward and reverse
    /// mode differ by more than the tolerances fails too (its `numeric` is then the
    /// reverse-mode value), so one call checks all three against each other.
    ///
    /// # Errors
    /// [`TapeError::NoTangentRule`] naming an op on the way without a tangent rule.
    ///
    /// # Panics
    /// If `f` returns a value with more than one element.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new()
    ///     .check_forward(|_t, v| (v[0].tanh() * v[1]).sum(), &[array![0.5, -1.0].into_dyn(), array![2.0].into_dyn()])?;
    /// report.assert_passed();
    /// assert_eq!(report.compared(), 3);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    pub fn check_forward<T, F>(&self, f: F, inputs: &[ArrayD<T>]) -> Result<GradCheckReport, TapeError>
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        let f: Function<'_, T> = &f;
        let (forward, reverse, base_branches) = {
            let tape = Tape::new();
            let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
            let out = f(&tape, &vars);
            let mut forward: Vec<ArrayD<f64>> = Vec::with_capacity(inputs.len());
            for (input, x) in inputs.iter().enumerate() {
                let mut column = ArrayD::zeros(x.raw_dim());
                for (k, slot) in column.iter_mut().enumerate() {
                    let tangents: Vec<ArrayD<T>> = inputs
                        .iter()
                        .enumerate()
                        .map(|(j, other)| {
                            let mut t = ArrayD::zeros(other.raw_dim());
                            if j == input {
                                if let Some(one) = t.as_slice_mut().and_then(|t| t.get_mut(k)) {
                                    *one = T::one();
                                }
                            }
                            t
                        })
                        .collect();
                    *slot = tape.jvp(&[out], &vars, &tangents)?[0]
                        .iter()
                        .next()
                        .map_or(0.0, |v| Float::to_f64(*v));
                }
                forward.push(column);
            }
            let grads = tape.backward(out);
            let reverse: Vec<ArrayD<f64>> =
                vars.iter().map(|&v| grads.get_or_zeros(v).mapv(Float::to_f64)).collect();
            (forward, reverse, tape.branch_signature())
        };
        let mut elements = Vec::new();
        let mut xs = inputs.to_vec();
        for (input, (column, reverse)) in forward.iter().zip(&reverse).enumerate() {
            for ((index, &a), &r) in column.indexed_iter().zip(reverse.iter()) {
                let probe = central_difference(f, &mut xs, input, &index, self.step);
                let kink = probe.branches.iter().any(|b| *b != base_branches);
                let against_reverse =
                    self.compare(&self.name(input), input, index.slice().to_vec(), a, r, false);
                let numeric = if against_reverse.status == Status::Fail { r } else { probe.slope };
                elements.push(ElementCheck::new(
                    self.name(input),
                    input,
                    index.slice().to_vec(),
                    a,
                    numeric,
                    kink && against_reverse.status != Status::Fail,
                    self.atol,
                    self.rtol,
                ));
            }
        }
        Ok(self.report(elements))
    }

    fn check_function<T: Float>(&self, f: Function<'_, T>, inputs: &[ArrayD<T>]) -> GradCheckReport {
        let (analytic, base_branches) = {
            let tape = Tape::new();
            let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
            let out = f(&tape, &vars);
            let grads = tape.backward(out);
            let analytic: Vec<ArrayD<T>> = vars.iter().map(|&v| grads.get_or_zeros(v)).collect();
            (analytic, tape.branch_signature())
        };
        if self.directions > 0 {
            return self.check_directions(f, inputs, &analytic, &base_branches);
        }
        let mut elements = Vec::new();
        let mut xs = inputs.to_vec();
        for (input, grad) in analytic.iter().enumerate() {
            for (index, &a) in grad.indexed_iter() {
                let probe = central_difference(f, &mut xs, input, &index, self.step);
                let kink = probe.branches.iter().any(|b| *b != base_branches);
                elements.push(ElementCheck::new(
                    self.name(input),
                    input,
                    index.slice().to_vec(),
                    a.to_f64(),
                    probe.slope,
                    kink,
                    self.atol,
                    self.rtol,
                ));
            }
        }
        self.report(elements)
    }
}

impl GradCheck {
    /// [`check`](GradCheck::check) along random directions (see
    /// [`directions`](GradCheck::directions)): each direction moves every element of every
    /// input at once.
    fn check_directions<T: Float>(
        &self,
        f: Function<'_, T>,
        inputs: &[ArrayD<T>],
        analytic: &[ArrayD<T>],
        base_branches: &BranchSignature,
    ) -> GradCheckReport {
        if inputs.iter().all(|x| x.is_empty()) {
            return self.report(Vec::new()); // nothing to move: nothing compared
        }
        let elements = (0..self.directions)
            .map(|d| {
                let directions: Vec<ArrayD<T>> = inputs
                    .iter()
                    .enumerate()
                    .map(|(k, x)| per_op::cotangent(x.shape(), 0xD1EC_7104 + d as u64 + ((k as u64) << 32)))
                    .collect();
                let moved = |sign: f64| -> Vec<ArrayD<T>> {
                    inputs
                        .iter()
                        .zip(&directions)
                        .map(|(x, v)| {
                            let mut moved = x.clone();
                            moved.zip_mut_with(v, |m, &v| *m += T::from_f64(sign * self.step * v.to_f64()));
                            moved
                        })
                        .collect()
                };
                let (plus, minus) = (moved(1.0), moved(-1.0));
                // ∇f · w, with w the direction actually taken after rounding x ± h·v in T.
                let along: f64 = analytic
                    .iter()
                    .zip(plus.iter().zip(&minus))
                    .map(|(grad, (p, m))| {
                        let pairs = grad.iter().zip(p.iter().zip(m));
                        pairs.map(|(&g, (&p, &m))| g.to_f64() * (p.to_f64() - m.to_f64())).sum::<f64>()
                    })
                    .sum::<f64>()
                    / (2.0 * self.step);
                let ((f_plus, branches_plus), (f_minus, branches_minus)) =
                    (evaluate(f, &plus), evaluate(f, &minus));
                let kink = branches_plus != *base_branches || branches_minus != *base_branches;
                let numeric = (f_plus - f_minus) / (2.0 * self.step);
                ElementCheck::new(
                    format!("along v{d}"),
                    0,
                    Vec::new(),
                    along,
                    numeric,
                    kink,
                    self.atol,
                    self.rtol,
                )
            })
            .collect();
        self.report(elements)
    }
}

/// Checks `f` at `inputs` with the default settings ([`GradCheck::new`]).
///
/// ```
/// use ndarray::array;
/// let report = tapegrad_tape::gradcheck::check_gradients(
///     |_t, v| (v[0] * v[0]).sum(),
///     &[array![1.0, -2.0].into_dyn()],
/// );
/// report.assert_passed();
/// ```
pub fn check_gradients<T, F>(f: F, inputs: &[ArrayD<T>]) -> GradCheckReport
where
    T: Float,
    F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
{
    GradCheck::new().check(f, inputs)
}

/// The central-difference gradient of `f` at `inputs`, one array per input:
/// `∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`, in f64 whatever `T` is.
///
/// # Panics
/// If `f` returns a value with more than one element.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::numeric_gradient;
/// // f(x) = Σ x³, so ∂f/∂x = 3x² = [3, 12]
/// let g = numeric_gradient(|_t, v| v[0].powf(3.0).sum(), &[array![1.0, 2.0].into_dyn()], 1e-6);
/// assert!((g[0][[0]] - 3.0).abs() < 1e-6 && (g[0][[1]] - 12.0).abs() < 1e-6);
/// ```
pub fn numeric_gradient<T, F>(f: F, inputs: &[ArrayD<T>], step: f64) -> Vec<ArrayD<f64>>
where
    T: Float,
    F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
{
    let f: Function<'_, T> = &f;
    let mut xs = inputs.to_vec();
    (0..inputs.len())
        .map(|input| {
            ArrayD::from_shape_fn(inputs[input].raw_dim(), |index| {
                central_difference(f, &mut xs, input, &index, step).slope
            })
        })
        .collect()
}

/// A checked function, as the checkers hold it: the public entry points take any closure
/// and pass it on as a trait object, so the checking code is compiled once per element
/// type rather than once per closure (a test suite has hundreds of them).
pub(crate) type Function<'f, T> = &'f dyn for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>;

/// One finite-difference probe: the slope, and the branch signatures at `x + h`, `x − h`.
struct Probe {
    slope: f64,
    branches: [BranchSignature; 2],
}

/// Evaluates `f` at `x ± h` along one element (restoring it afterwards). The step
/// actually taken is measured in `T`, so rounding of `x ± h` in f32 is accounted for.
fn central_difference<T: Float>(
    f: Function<'_, T>,
    xs: &mut [ArrayD<T>],
    input: usize,
    index: &ndarray::IxDyn,
    step: f64,
) -> Probe {
    let original = xs[input][index];
    let plus = original + T::from_f64(step);
    let minus = original - T::from_f64(step);
    xs[input][index] = plus;
    let (f_plus, branches_plus) = evaluate(f, xs);
    xs[input][index] = minus;
    let (f_minus, branches_minus) = evaluate(f, xs);
    xs[input][index] = original;
    let width = plus.to_f64() - minus.to_f64();
    Probe { slope: (f_plus - f_minus) / width, branches: [branches_plus, branches_minus] }
}

fn evaluate<T: Float>(f: Function<'_, T>, xs: &[ArrayD<T>]) -> (f64, BranchSignature) {
    let tape = Tape::new();
    let vars: Vec<Var<'_, T>> = xs.iter().map(|x| tape.var(x.view())).collect();
    let out = f(&tape, &vars);
    let shape = out.shape();
    assert!(
        shape.iter().product::<usize>() == 1,
        "gradcheck: the checked function must return one element, got shape {shape:?}; reduce it (e.g. .sum())"
    );
    (out.item().to_f64(), tape.branch_signature())
}

/// Which branch every kinked op on a tape took (relu's sign, max's winner, clamp's
/// region, …), from [`Tape::branch_signature`]. Two evaluations of the same function
/// with equal signatures lie on the same side of every kink, so a finite difference
/// between them is meaningful; checkers that perturb values themselves (for example a
/// module's own parameters) compare signatures at `x − h`, `x` and `x + h`.
///
/// ```
/// let tape = tapegrad_tape::Tape::new();
/// let x = tape.var(ndarray::array![1.0]);
/// let _ = x.relu();
/// let other = tapegrad_tape::Tape::new();
/// let _ = other.var(ndarray::array![-1.0]).relu();
/// assert_ne!(tape.branch_signature(), other.branch_signature()); // opposite sides of 0
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSignature(Vec<Option<Vec<i8>>>);

impl<'t, T: Float> Tape<'t, T> {
    /// The branches every kinked op on this tape took (see [`BranchSignature`]).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let _ = tape.var(ndarray::array![2.0]).abs();
    /// assert_eq!(tape.branch_signature(), tape.branch_signature());
    /// ```
    pub fn branch_signature(&self) -> BranchSignature {
        let nodes = self.nodes.borrow();
        BranchSignature(
            (0..nodes.len())
                .map(|i| {
                    let op = nodes[i].op()?;
                    let inputs: Vec<_> = nodes.inputs(i).iter().map(|&j| nodes.view(j)).collect();
                    op.branches(&inputs)
                })
                .collect(),
        )
    }
}
