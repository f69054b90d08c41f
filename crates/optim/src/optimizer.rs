//! The `Optimizer` trait: one training step over named parameters and their gradients.

use std::collections::BTreeMap;

use ndarray::{ArrayBase, ArrayViewD, ArrayViewMutD, Data, DataMut, Dimension};
use tapegrad_tape::Parameters;
use tapegrad_tape::{Float, Grads};

use crate::clip::param_grad_norms;
use crate::{GradientClipping, OptimError};

/// A parameter-name visitor, as [`Optimizer::check_names`] takes it: it calls its argument
/// once per name, so names are read in place (from a model's `visit_params`, or a list)
/// without being collected.
///
/// ```
/// let mut names = |visit: &mut dyn FnMut(&str)| ["w", "b"].into_iter().for_each(|n| visit(n));
/// let visitor: &mut tapegrad_optim::VisitNames<'_> = &mut names;
/// let mut seen = Vec::new();
/// visitor(&mut |name| seen.push(name.to_string()));
/// assert_eq!(seen, ["w", "b"]);
/// ```
pub type VisitNames<'a> = dyn FnMut(&mut dyn FnMut(&str)) + 'a;

/// Updates parameters in place from their gradients, as `torch.optim` does.
///
/// Every optimizer is three pieces:
/// - a config (`AdamConfig`, …): the hyperparameters, with PyTorch's defaults, built
///   with chained setters and checked by `build()`;
/// - a per-parameter state struct (`AdamState`, …) of plain arrays and a step count;
/// - the update rule, `config.update(param, grad, &mut state)`: a small pure function
///   of the hyperparameters, the parameter, its gradient and its state, with the
///   algorithm written as formulas in its doc.
///
/// The optimizer itself (`Adam`, …) holds the config and one state per parameter *name*
/// (`"layers.0.weight"`), and implements this trait. [`step`](Optimizer::step) visits a
/// [`Parameters`](tapegrad_tape::Parameters) set (every `Module` is one) and finds each gradient with
/// [`Grads::param`]; a parameter with no gradient is skipped, untouched, as PyTorch skips
/// parameters whose `.grad` is `None`. [`step_params`](Optimizer::step_params) does the
/// same for plain named arrays, without a `Module`. Both apply the optimizer's
/// [`GradientClipping`] first.
///
/// The learning rate is read at every step, never stored in the state, so a schedule may
/// change it between steps ([`set_learning_rate`](Optimizer::set_learning_rate)).
///
/// ```
/// use ndarray::{array, Array1, ArrayViewD, ArrayViewMutD};
/// use tapegrad_tape::Parameters;
/// use tapegrad_optim::{Optimizer, Sgd};
/// use tapegrad_tape::{Tape, Var};
///
/// /// `y = x · w`, elementwise.
/// struct Scale { w: Array1<f64> }
/// impl Scale {
///     fn forward<'t>(&'t self, tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
///         x * tape.param(&self.w)
///     }
/// }
/// impl Parameters<f64> for Scale {
///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
///         visit("w", self.w.view().into_dyn());
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
///         visit("w", self.w.view_mut().into_dyn());
///     }
/// }
///
/// let mut model = Scale { w: array![1.0, -1.0] };
/// let mut sgd = Sgd::builder().learning_rate(0.25).build().unwrap();
/// for _ in 0..2 {
///     let tape = Tape::new();
///     let loss = model.forward(&tape, tape.constant(array![2.0, 2.0])).square().sum();
///     let grads = tape.backward(loss); // ∂L/∂w = 2 (x w) x = 8 w
///     let _report = sgd.step(&mut model, &grads).unwrap();    // w ← w − 0.25 · 8 w = −w
/// }
/// assert_eq!(model.w, array![1.0, -1.0]);
/// ```
pub trait Optimizer<T: Float> {
    /// The optimizer's name as its errors and panics print it (`"Adam"`).
    ///
    /// ```
    /// use tapegrad_optim::{Adam, Optimizer};
    /// assert_eq!(Adam::<f32>::builder().build().unwrap().name(), "Adam");
    /// ```
    fn name(&self) -> &'static str;

    /// The learning rate the next step will use.
    ///
    /// ```
    /// use tapegrad_optim::{Optimizer, RmsProp};
    /// assert_eq!(RmsProp::<f64>::builder().build().unwrap().learning_rate(), 1e-2);
    /// ```
    fn learning_rate(&self) -> T;

    /// Sets the learning rate for the following steps (what a schedule does between
    /// epochs). The state is untouched.
    ///
    /// # Panics
    /// If `learning_rate` is negative, infinite or NaN.
    ///
    /// ```
    /// use tapegrad_optim::{Adam, Optimizer};
    /// let mut adam = Adam::<f64>::builder().build().unwrap();
    /// adam.set_learning_rate(0.5);
    /// assert_eq!(adam.learning_rate(), 0.5);
    /// ```
    fn set_learning_rate(&mut self, learning_rate: T);

    /// How gradients are clipped before each step.
    ///
    /// ```
    /// use tapegrad_optim::{GradientClipping, Optimizer, Sgd};
    /// let sgd = Sgd::<f64>::builder().clipping(GradientClipping::Value(1.0)).build().unwrap();
    /// assert_eq!(sgd.clipping(), GradientClipping::Value(1.0));
    /// ```
    fn clipping(&self) -> GradientClipping<T>;

    /// Updates one parameter from its gradient exactly as given (no clipping), with the
    /// state kept under `name`, creating that state on first use. The building block of
    /// the two step methods; call it directly to drive one array by hand.
    ///
    /// # Panics
    /// If `grad`'s shape differs from `param`'s, or the state kept under `name` belongs
    /// to an array of another shape.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_optim::{Optimizer, Sgd};
    /// let mut sgd = Sgd::builder().learning_rate(0.5).build().unwrap();
    /// let mut w = array![1.0, 2.0].into_dyn();
    /// sgd.update_param("w", w.view_mut(), array![2.0, 2.0].into_dyn().view());
    /// assert_eq!(w, array![0.0, 1.0].into_dyn());
    /// ```
    fn update_param(&mut self, name: &str, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>);

    /// The parameter groups (see `Stateful::group`): each group's names and its learning
    /// rate as a multiple of the base rate, in order. Saved with the state, so that a state
    /// loads only into an optimizer with the same groups. None by default.
    ///
    /// ```
    /// use tapegrad_optim::{Optimizer, Sgd};
    /// let sgd = Sgd::<f64>::builder().learning_rate(0.1).build().unwrap()
    ///     .group(["body"], Sgd::builder().learning_rate(0.01).build().unwrap());
    /// let groups = sgd.groups();
    /// assert_eq!(groups[0].0, vec!["body".to_string()]);
    /// assert!((groups[0].1 - 0.1).abs() < 1e-12);
    /// ```
    fn groups(&self) -> Vec<(Vec<String>, f64)> {
        Vec::new()
    }

    /// Checks the names of the parameters a step is about to update (`step` and
    /// `step_params` call it before any update): every parameter group must cover at least
    /// one. `names` calls its argument once per name. Optimizers without groups accept any
    /// (the default), without visiting the names.
    ///
    /// # Errors
    /// [`OptimError::UnmatchedGroup`] naming the group that covers none.
    ///
    /// ```
    /// use tapegrad_optim::{Optimizer, Sgd};
    /// let sgd = Sgd::<f64>::builder().build().unwrap()
    ///     .group(["encoder"], Sgd::builder().learning_rate(0.01).build().unwrap());
    /// assert!(sgd.check_names(&mut |visit| visit("layers.0.weight")).is_err());
    /// assert!(sgd.check_names(&mut |visit| visit("encoder.weight")).is_ok());
    /// ```
    fn check_names(&self, names: &mut VisitNames<'_>) -> Result<(), OptimError> {
        let _ = names;
        Ok(())
    }

    /// Every parameter's state in saved form, keyed by parameter name (what
    /// [`save_state`](crate::save_state) writes).
    ///
    /// ```
    /// use tapegrad_optim::{Adam, Optimizer};
    /// assert!(Adam::<f32>::builder().build().unwrap().export_state().is_empty()); // no step yet
    /// ```
    fn export_state(&self) -> BTreeMap<String, crate::StateEntry<T>>;

    /// Replaces every parameter's state with `states` (what
    /// [`load_state`](crate::load_state) does after checking the file). On an error the
    /// optimizer may hold part of the new state; `load_state` restores the old one.
    ///
    /// # Errors
    /// A message naming a parameter whose state lacks a required buffer or has one this
    /// optimizer does not keep.
    ///
    /// ```
    /// use tapegrad_optim::{Optimizer, Sgd};
    /// let mut sgd = Sgd::<f32>::builder().build().unwrap();
    /// let saved = sgd.export_state();
    /// sgd.import_state(saved).unwrap();
    /// ```
    fn import_state(&mut self, states: BTreeMap<String, crate::StateEntry<T>>) -> Result<(), String>;

    /// One step over a model: every parameter the model visits is updated from its
    /// gradient in `grads` (found by the array itself, [`Grads::param`]), after clipping;
    /// parameters without a gradient are skipped and listed in the report. State is keyed
    /// by the parameter's name.
    ///
    /// # Errors
    /// Nothing is changed on an error: [`OptimError::NoGradients`] if no parameter has a
    /// gradient in `grads` (gradients of another model, or parameters recorded with
    /// `tape.constant`); [`OptimError::NonFiniteGradients`] if clipping by norm and the
    /// gradients' global norm is NaN or infinite.
    ///
    /// ```
    /// # use ndarray::{array, Array1, ArrayViewD, ArrayViewMutD};
    /// # use tapegrad_tape::Parameters;
    /// # use tapegrad_tape::{Tape, Var};
    /// use tapegrad_optim::{Adam, Optimizer};
    /// /// `y = x + a`; `unused` never reaches the loss.
    /// struct Shift { a: Array1<f64>, unused: Array1<f64> }
    /// impl Shift {
    ///     fn forward<'t>(&'t self, tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
    ///         x + tape.param(&self.a)
    ///     }
    /// }
    /// impl Parameters<f64> for Shift {
    ///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
    ///         visit("a", self.a.view().into_dyn());
    ///         visit("unused", self.unused.view().into_dyn());
    ///     }
    ///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
    ///         visit("a", self.a.view_mut().into_dyn());
    ///         visit("unused", self.unused.view_mut().into_dyn());
    ///     }
    /// }
    /// let mut model = Shift { a: array![0.0], unused: array![7.0] };
    /// let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
    /// let tape = Tape::new();
    /// let loss = model.forward(&tape, tape.constant(array![1.0])).sum();
    /// let grads = tape.backward(loss);
    /// let report = adam.step(&mut model, &grads).unwrap();
    /// assert_eq!((report.updated, report.skipped), (1, vec!["unused".to_string()]));
    /// assert!((model.a[0] + 0.1).abs() < 1e-6); // Adam's first step moves by ≈ lr
    /// assert_eq!(model.unused[0], 7.0);
    /// ```
    fn step(&mut self, model: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<StepReport<T>, OptimError> {
        self.check_names(&mut |visit| model.visit_params(&mut |name, _| visit(name)))?;
        // Norm clipping needs every gradient's norm before the first update; otherwise
        // the update pass is the only pass (a step that finds no gradient updates nothing,
        // so it can say so afterwards).
        let (clip, total_norm) = self
            .clipping()
            .plan(|| {
                let clipping = self.clipping();
                clipping.tensor_norm().map_or_else(Vec::new, |norm| param_grad_norms(&*model, grads, norm))
            })
            .map_err(|norm| OptimError::NonFiniteGradients { optimizer: self.name(), norm: norm.to_f64() })?;
        let mut report = StepReport { updated: 0, skipped: Vec::new(), total_norm };
        model.visit_params_mut(&mut |name, param| match grads.param(&param) {
            Some(grad) => {
                let grad = clip.apply(grad);
                self.update_param(name, param, grad.view());
                report.updated += 1;
            }
            None => report.skipped.push(name.to_owned()),
        });
        if report.updated == 0 {
            return Err(OptimError::NoGradients { optimizer: self.name(), parameters: report.skipped.len() });
        }
        Ok(report)
    }

    /// One step over plain named arrays and their gradients (no `Module` needed), after
    /// clipping over all of them together.
    ///
    /// # Errors
    /// Nothing is changed on an error: [`OptimError::NoGradients`] for an empty list;
    /// [`OptimError::NonFiniteGradients`] as for [`step`](Optimizer::step).
    ///
    /// # Panics
    /// If a gradient's shape differs from its parameter's (the message names the parameter).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_optim::{NamedParam, Optimizer, Sgd};
    /// let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    /// let (mut w, mut b) = (array![[1.0, 2.0]], array![0.0]);
    /// let report = sgd.step_params(&mut [
    ///     NamedParam::new("w", &mut w, &array![[10.0, -10.0]]),
    ///     NamedParam::new("b", &mut b, &array![1.0]),
    /// ]).unwrap();
    /// assert_eq!(report.updated, 2);
    /// assert_eq!((w, b), (array![[0.0, 3.0]], array![-0.1]));
    /// ```
    fn step_params(&mut self, params: &mut [NamedParam<'_, T>]) -> Result<StepReport<T>, OptimError> {
        if params.is_empty() {
            return Err(OptimError::NoGradients { optimizer: self.name(), parameters: 0 });
        }
        self.check_names(&mut |visit| params.iter().for_each(|p| visit(p.name)))?;
        for p in params.iter() {
            assert!(
                p.grad.shape() == p.param.shape(),
                "{}: the gradient of `{}` has shape {:?}, but the parameter has shape {:?}",
                self.name(),
                p.name,
                p.grad.shape(),
                p.param.shape()
            );
        }
        let (clip, total_norm) = self
            .clipping()
            .plan(|| match self.clipping().tensor_norm() {
                Some(norm) => params.iter().map(|p| norm(&p.grad)).collect(),
                None => Vec::new(),
            })
            .map_err(|norm| OptimError::NonFiniteGradients { optimizer: self.name(), norm: norm.to_f64() })?;
        for p in params.iter_mut() {
            let grad = clip.apply(p.grad.view());
            self.update_param(p.name, p.param.view_mut(), grad.view());
        }
        Ok(StepReport { updated: params.len(), skipped: Vec::new(), total_norm })
    }
}

/// A parameter, its name (the key of its optimizer state) and its gradient, as views:
/// the input of [`Optimizer::step_params`].
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::NamedParam;
/// let (mut w, grad) = (array![[1.0, 2.0]], array![[0.5, 0.5]]);
/// let p = NamedParam::new("w", &mut w, &grad);
/// assert_eq!((p.name, p.param.shape(), p.grad.shape()), ("w", &[1, 2][..], &[1, 2][..]));
/// ```
#[derive(Debug)]
pub struct NamedParam<'a, T> {
    /// The key of the parameter's optimizer state.
    pub name: &'a str,
    /// The parameter, updated in place.
    pub param: ArrayViewMutD<'a, T>,
    /// Its gradient, the same shape.
    pub grad: ArrayViewD<'a, T>,
}

impl<'a, T: Float> NamedParam<'a, T> {
    /// Borrows an array (of any dimension) and its gradient (an array or a view, such as
    /// [`Grads::param`] returns).
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_optim::NamedParam;
    /// let mut b = array![0.0, 0.0];
    /// let grad = array![1.0, -1.0];
    /// let grad_view = grad.view(); // e.g. what `grads.param(&b)` returns
    /// let p = NamedParam::new("bias", &mut b, &grad_view);
    /// assert_eq!(p.grad, array![1.0, -1.0].into_dyn());
    /// ```
    pub fn new<S, D, G, E>(name: &'a str, param: &'a mut ArrayBase<S, D>, grad: &'a ArrayBase<G, E>) -> Self
    where
        S: DataMut<Elem = T>,
        D: Dimension,
        G: Data<Elem = T>,
        E: Dimension,
    {
        NamedParam { name, param: param.view_mut().into_dyn(), grad: grad.view().into_dyn() }
    }
}

/// What one step did. A step that changed nothing is an error instead
/// ([`OptimError::NoGradients`]), so a report always means at least one update.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{NamedParam, Optimizer, Sgd, StepReport};
/// let mut sgd = Sgd::builder().build().unwrap();
/// let mut w = array![1.0];
/// let report = sgd.step_params(&mut [NamedParam::new("w", &mut w, &array![1.0])]).unwrap();
/// assert_eq!(report, StepReport { updated: 1, skipped: vec![], total_norm: None });
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use = "the report lists the parameters that had no gradient and were not updated"]
pub struct StepReport<T> {
    /// How many parameters were updated.
    pub updated: usize,
    /// The names of parameters that had no gradient and were left unchanged.
    pub skipped: Vec<String>,
    /// With [`GradientClipping::Norm`]: the global L2 norm of all the step's gradients
    /// *before* clipping (what `torch.nn.utils.clip_grad_norm_` returns); `None` otherwise.
    pub total_norm: Option<T>,
}

/// Panics unless the gradient and the state's arrays (if any) have the parameter's shape.
#[track_caller]
pub(crate) fn assert_shapes<T>(
    optimizer: &str,
    param: &ArrayViewMutD<'_, T>,
    grad: &ArrayViewD<'_, T>,
    state: Option<&[usize]>,
) {
    assert!(
        grad.shape() == param.shape(),
        "{optimizer}: the gradient has shape {:?}, but the parameter has shape {:?}",
        grad.shape(),
        param.shape()
    );
    assert!(
        state.is_none_or(|shape| shape == param.shape()),
        "{optimizer}: the state has shape {:?}, but the parameter has shape {:?} \
         (is one name used for two arrays?)",
        state.unwrap_or_default(),
        param.shape()
    );
}
