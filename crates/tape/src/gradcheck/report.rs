//! What a gradient check found, element by element, and how it prints.

use std::fmt;

/// The verdict for one element.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::{GradCheck, Status};
/// let report = GradCheck::new().check(|_t, v| v[0].relu().sum(), &[array![0.0, 1.0].into_dyn()]);
/// assert_eq!(report.elements[0].status, Status::Kink); // relu's kink at 0
/// assert_eq!(report.elements[1].status, Status::Pass);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Analytic and numeric agree within tolerance.
    Pass,
    /// They disagree (or one is not finite).
    Fail,
    /// The input sits within the step of a kink (relu, abs, max, clamp, …): the finite
    /// difference straddles it, so the element is skipped, neither passed nor failed.
    Kink,
}

/// One element's comparison.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::{GradCheck, Status};
/// let report = GradCheck::new().check(|_t, v| v[0].square().sum(), &[array![3.0].into_dyn()]);
/// let e = &report.elements[0];
/// assert_eq!((e.input, e.index.as_slice(), e.status), (0, &[0][..], Status::Pass));
/// assert!((e.analytic - 6.0).abs() < 1e-12 && e.abs_error < 1e-6);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ElementCheck {
    /// The input's name (`"input 0"` unless named).
    pub input_name: String,
    /// Which input (position in the inputs slice).
    pub input: usize,
    /// The element's index in that input.
    pub index: Vec<usize>,
    /// The tape's gradient.
    pub analytic: f64,
    /// The central-difference estimate.
    pub numeric: f64,
    /// `|analytic − numeric|`.
    pub abs_error: f64,
    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (0 when both are 0).
    pub rel_error: f64,
    /// The verdict.
    pub status: Status,
}

impl ElementCheck {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        input_name: String,
        input: usize,
        index: Vec<usize>,
        analytic: f64,
        numeric: f64,
        kink: bool,
        atol: f64,
        rtol: f64,
    ) -> Self {
        let abs_error = (analytic - numeric).abs();
        let scale = analytic.abs().max(numeric.abs());
        let rel_error = if scale > 0.0 { abs_error / scale } else { 0.0 };
        let status = if kink {
            Status::Kink
        } else if abs_error <= atol + rtol * scale {
            Status::Pass
        } else {
            Status::Fail // includes NaN and infinite values, where the comparison is false
        };
        ElementCheck { input_name, input, index, analytic, numeric, abs_error, rel_error, status }
    }

    /// The same comparison with another verdict (a claim outside a kink's one-sided
    /// slopes fails even where the central difference happens to agree).
    pub(crate) fn with_status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    fn row(&self) -> String {
        let status = match self.status {
            Status::Pass => "ok",
            Status::Fail => "FAIL",
            Status::Kink => "kink (skipped)",
        };
        format!(
            "{:<10} {:<12} {:>14.6e} {:>14.6e} {:>10.2e} {:>10.2e}  {status}",
            self.input_name,
            format!("{:?}", self.index),
            self.analytic,
            self.numeric,
            self.abs_error,
            self.rel_error
        )
    }
}

const HEADER: &str = "input      index              analytic        numeric    abs err    rel err  status";

/// The result of [`GradCheck::check`](super::GradCheck::check): every element's
/// comparison, with the settings used.
///
/// `Display` prints a summary line and a table of the failed and skipped elements (all
/// elements with `{:#}`); the worst element is always shown.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::gradcheck::GradCheck;
/// let report = GradCheck::new().check(|_t, v| v[0].exp().sum(), &[array![0.0, 1.0].into_dyn()]);
/// assert!(report.passed());
/// println!("{report:#}");
/// assert!(report.to_string().starts_with("gradient check passed"));
/// ```
#[derive(Debug, Clone)]
pub struct GradCheckReport {
    /// One entry per element of every input, in input then row-major order.
    pub elements: Vec<ElementCheck>,
    /// The step used.
    pub step: f64,
    /// The absolute tolerance used.
    pub atol: f64,
    /// The relative tolerance used.
    pub rtol: f64,
}

impl GradCheckReport {
    /// Whether at least one element was compared and none failed (elements at kinks do
    /// not count either way). A check that compared nothing — every element at a kink, or
    /// no element at all — has not passed: it proves nothing.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].sum(), &[array![1.0].into_dyn()]);
    /// assert!(r.passed());
    /// // |x| at 0 is a kink: the only element is skipped, so nothing was compared.
    /// let hollow = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].abs().sum(), &[array![0.0].into_dyn()]);
    /// assert!(!hollow.passed());
    /// assert!(hollow.to_string().starts_with("gradient check FAILED: no element was compared"), "{hollow}");
    /// ```
    pub fn passed(&self) -> bool {
        self.failures().next().is_none() && self.compared() > 0
    }

    /// How many elements were compared (passed or failed): all but those at kinks.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].abs().sum(), &[array![0.0, 1.0].into_dyn()]);
    /// assert_eq!(r.compared(), 1);
    /// ```
    pub fn compared(&self) -> usize {
        self.elements.iter().filter(|e| e.status != Status::Kink).count()
    }

    /// The failed elements.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].sum(), &[array![1.0].into_dyn()]);
    /// assert_eq!(r.failures().count(), 0);
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &ElementCheck> {
        self.elements.iter().filter(|e| e.status == Status::Fail)
    }

    /// The elements skipped because they sit at a kink.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].abs().sum(), &[array![0.0, 1.0].into_dyn()]);
    /// assert_eq!(r.kinks().count(), 1);
    /// ```
    pub fn kinks(&self) -> impl Iterator<Item = &ElementCheck> {
        self.elements.iter().filter(|e| e.status == Status::Kink)
    }

    /// The checked element with the largest error relative to its tolerance (the
    /// first failure to look at), ignoring kinks; `None` if nothing was checked.
    ///
    /// ```
    /// use ndarray::array;
    /// let r = tapegrad_tape::gradcheck::check_gradients(|_t, v| v[0].exp().sum(), &[array![1.0, 2.0].into_dyn()]);
    /// assert_eq!(r.worst().unwrap().input, 0);
    /// ```
    pub fn worst(&self) -> Option<&ElementCheck> {
        let excess = |e: &ElementCheck| {
            let allowed = self.atol + self.rtol * e.analytic.abs().max(e.numeric.abs());
            if e.abs_error.is_nan() {
                f64::INFINITY
            } else {
                e.abs_error / allowed
            }
        };
        self.elements
            .iter()
            .filter(|e| e.status != Status::Kink)
            .max_by(|a, b| excess(a).total_cmp(&excess(b)))
    }

    /// Panics with the printed report if any element failed.
    ///
    /// # Panics
    /// If [`passed`](GradCheckReport::passed) is false.
    ///
    /// ```should_panic
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// // A tolerance of zero cannot be met by finite differences.
    /// GradCheck::new().atol(0.0).rtol(0.0).check(|_t, v| v[0].exp().sum(), &[array![1.0].into_dyn()]).assert_passed();
    /// ```
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("{self:#}");
        }
    }
}

impl fmt::Display for GradCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures().count();
        let kinks = self.kinks().count();
        let total = self.elements.len();
        if total == 0 {
            write!(f, "gradient check FAILED: no element was compared (the inputs have no elements)")?;
        } else if failed == 0 && total == kinks {
            write!(
                f,
                "gradient check FAILED: no element was compared ({total} elements, all skipped at kinks): a \
                 check that compares nothing proves nothing; move the point off the kinks, or (for a model) \
                 make sure no layer draws random numbers (Dropout in training mode)"
            )?;
        } else if failed == 0 {
            write!(f, "gradient check passed: {} of {total} elements agree", total - kinks)?;
        } else {
            write!(f, "gradient check FAILED: {failed} of {total} elements disagree")?;
        }
        if kinks > 0 && kinks < total {
            write!(f, ", {kinks} skipped at kinks")?;
        }
        writeln!(
            f,
            " (step {:e}, pass when |a − n| ≤ {:e} + {:e}·max(|a|, |n|))",
            self.step, self.atol, self.rtol
        )?;
        let rows: Vec<&ElementCheck> = if f.alternate() {
            self.elements.iter().collect()
        } else {
            self.elements.iter().filter(|e| e.status != Status::Pass).take(20).collect()
        };
        if !rows.is_empty() {
            writeln!(f, "{HEADER}")?;
            for e in &rows {
                writeln!(f, "{}", e.row())?;
            }
            let hidden = self.elements.iter().filter(|e| e.status != Status::Pass).count();
            if !f.alternate() && hidden > rows.len() {
                writeln!(f, "… {} more not shown (print with {{:#}} for all)", hidden - rows.len())?;
            }
        }
        if let Some(worst) = self.worst() {
            writeln!(
                f,
                "worst: {} {:?}: analytic {:.6e} vs numeric {:.6e} (abs err {:.2e}, rel err {:.2e})",
                worst.input_name,
                worst.index,
                worst.analytic,
                worst.numeric,
                worst.abs_error,
                worst.rel_error
            )?;
        }
        Ok(())
    }
}
