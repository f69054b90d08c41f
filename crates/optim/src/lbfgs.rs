//! L-BFGS, exactly as `torch.optim.LBFGS`: a closure re-evaluates the loss and its
//! gradients as often as the algorithm asks, with a fixed step or PyTorch's strong-Wolfe
//! line search.

use std::collections::VecDeque;

use ndarray::Array1;
use tapegrad_tape::{Float, Grads, Parameters};

use crate::error::Owner;
use crate::{gradients_to_vector, parameters_to_vector, vector_to_parameters, OptimError};

const NAME: &str = "Lbfgs";

/// How [`Lbfgs`] chooses each iteration's step length `t` along the direction `d`.
///
/// ```
/// use tapegrad_optim::{Lbfgs, LineSearch};
/// let config = Lbfgs::<f64>::builder().line_search(LineSearch::StrongWolfe);
/// assert_eq!(config.line_search, LineSearch::StrongWolfe);
/// assert_eq!(LineSearch::default(), LineSearch::Fixed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineSearch {
    /// PyTorch's `line_search_fn=None`: `t` is the learning rate (on the very first
    /// iteration `min(1, 1/‖g‖₁)·lr`), and one evaluation follows each iteration.
    #[default]
    Fixed,
    /// PyTorch's `line_search_fn='strong_wolfe'`: from that first guess, a bracketing
    /// phase and a zoom with safeguarded cubic interpolation find a `t` with sufficient
    /// decrease, `f(x + t d) ≤ f(x) + c₁ t gᵀd`, and curvature `|∇f(x + t d)ᵀd| ≤ c₂ |gᵀd|`
    /// (`c₁ = 10⁻⁴`, `c₂ = 0.9`, at most `max_eval` evaluations in all).
    StrongWolfe,
}

/// The hyperparameters of [`Lbfgs`], PyTorch's `LBFGS` arguments with its defaults, set
/// with chained methods and checked by [`build`](LbfgsConfig::build).
///
/// ```
/// use tapegrad_optim::{Lbfgs, LineSearch};
/// let lbfgs = Lbfgs::<f64>::builder().history_size(10).line_search(LineSearch::StrongWolfe).build()?;
/// assert_eq!(lbfgs.config().max_iter, 20);
/// assert_eq!(lbfgs.config().max_evals(), 25);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsConfig<T> {
    /// `lr`, default 1: the step length of a fixed step, the first guess of the line search.
    pub learning_rate: T,
    /// `max_iter`, default 20: iterations per [`step`](Lbfgs::step).
    pub max_iter: usize,
    /// `max_eval`, default `max_iter · 5 / 4`: closure calls per step (the evaluation at
    /// the start included).
    pub max_eval: Option<usize>,
    /// `tolerance_grad`, default `10⁻⁷`: stop when `max |gᵢ| ≤` this.
    pub tolerance_grad: T,
    /// `tolerance_change`, default `10⁻⁹`: stop when the loss or every parameter changes by
    /// less than this, or the direction's slope `gᵀd` is above `−`this.
    pub tolerance_change: T,
    /// `history_size`, default 100: the pairs `(s, y)` kept for the inverse Hessian.
    pub history_size: usize,
    /// `line_search_fn`, default [`LineSearch::Fixed`].
    pub line_search: LineSearch,
}

impl<T: Float> Default for LbfgsConfig<T> {
    fn default() -> Self {
        LbfgsConfig {
            learning_rate: T::one(),
            max_iter: 20,
            max_eval: None,
            tolerance_grad: T::from_f64(1e-7),
            tolerance_change: T::from_f64(1e-9),
            history_size: 100,
            line_search: LineSearch::Fixed,
        }
    }
}

impl<T: Float> LbfgsConfig<T> {
    /// Sets the learning rate `lr` (finite and `≥ 0`).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().learning_rate(0.5).learning_rate, 0.5);
    /// ```
    pub fn learning_rate(mut self, learning_rate: T) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Sets the iterations per step (`≥ 1`).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().max_iter(5).max_iter, 5);
    /// ```
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the closure calls per step (`≥ 1`); by default `max_iter · 5 / 4`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().max_eval(8).max_eval, Some(8));
    /// ```
    pub fn max_eval(mut self, max_eval: usize) -> Self {
        self.max_eval = Some(max_eval);
        self
    }

    /// Sets the first-order optimality tolerance (finite and `≥ 0`).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().tolerance_grad(1e-5).tolerance_grad, 1e-5);
    /// ```
    pub fn tolerance_grad(mut self, tolerance_grad: T) -> Self {
        self.tolerance_grad = tolerance_grad;
        self
    }

    /// Sets the tolerance on changes of the loss and the parameters (finite and `≥ 0`).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().tolerance_change(1e-6).tolerance_change, 1e-6);
    /// ```
    pub fn tolerance_change(mut self, tolerance_change: T) -> Self {
        self.tolerance_change = tolerance_change;
        self
    }

    /// Sets how many `(s, y)` pairs are kept (`≥ 1`).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().history_size(7).history_size, 7);
    /// ```
    pub fn history_size(mut self, history_size: usize) -> Self {
        self.history_size = history_size;
        self
    }

    /// Sets the line search.
    ///
    /// ```
    /// use tapegrad_optim::{Lbfgs, LineSearch};
    /// assert_eq!(Lbfgs::<f64>::builder().line_search(LineSearch::StrongWolfe).line_search, LineSearch::StrongWolfe);
    /// ```
    pub fn line_search(mut self, line_search: LineSearch) -> Self {
        self.line_search = line_search;
        self
    }

    /// The closure calls a step may make: `max_eval`, or `max_iter · 5 / 4` when unset.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().max_iter(10).max_evals(), 12);
    /// ```
    pub fn max_evals(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter.saturating_mul(5) / 4)
    }

    /// Checks the hyperparameters and builds the optimizer.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] naming the first one out of range: a learning
    /// rate or tolerance negative, infinite or NaN (PyTorch checks only `lr ≥ 0`), or
    /// `max_iter`, `max_eval` or `history_size` zero (PyTorch does nothing, or fails inside
    /// its first step).
    ///
    /// ```
    /// use tapegrad_optim::{Lbfgs, OptimError};
    /// let err = Lbfgs::<f64>::builder().history_size(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "Lbfgs: invalid history_size = 0.0 (must be ≥ 1)");
    /// ```
    pub fn build(self) -> Result<Lbfgs<T>, OptimError> {
        let check = Owner::Optimizer(NAME);
        check.non_negative("learning_rate", self.learning_rate)?;
        check.non_negative("tolerance_grad", self.tolerance_grad)?;
        check.non_negative("tolerance_change", self.tolerance_change)?;
        for (name, value) in [
            ("max_iter", self.max_iter),
            ("max_eval", self.max_eval.unwrap_or(1)),
            ("history_size", self.history_size),
        ] {
            check.require(name, value as f64, "≥ 1", value >= 1)?;
        }
        Ok(Lbfgs { config: self, state: LbfgsState::default() })
    }
}

/// What [`Lbfgs`] carries from one step to the next (PyTorch keeps the same under
/// `optimizer.state[first parameter]`): flat vectors over all parameters, in
/// [`parameters_to_vector`]'s order.
///
/// ```
/// let state = tapegrad_optim::LbfgsState::<f64>::default();
/// assert_eq!((state.func_evals, state.n_iter, state.history_len()), (0, 0, 0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsState<T> {
    /// Closure calls over all steps (`func_evals`).
    pub func_evals: u64,
    /// Iterations over all steps (`n_iter`).
    pub n_iter: u64,
    /// The last direction `d`.
    pub direction: Option<Array1<T>>,
    /// The last step length `t`.
    pub step_length: T,
    /// The steps `sᵢ = tᵢ dᵢ` kept, oldest first (`old_stps`).
    pub steps: VecDeque<Array1<T>>,
    /// The gradient changes `yᵢ = gᵢ₊₁ − gᵢ` kept, oldest first (`old_dirs`).
    pub gradient_changes: VecDeque<Array1<T>>,
    /// `ρᵢ = 1 / yᵢᵀsᵢ` for each kept pair (`ro`).
    pub rho: VecDeque<T>,
    /// `γ = sᵀy / yᵀy` of the newest pair: the initial inverse Hessian is `γ I` (`H_diag`).
    pub hessian_diag: T,
    /// The gradient where the last direction was computed (`prev_flat_grad`).
    pub previous_gradient: Option<Array1<T>>,
    /// The loss there (`prev_loss`).
    pub previous_loss: Option<T>,
}

impl<T: Float> Default for LbfgsState<T> {
    fn default() -> Self {
        LbfgsState {
            func_evals: 0,
            n_iter: 0,
            direction: None,
            step_length: T::zero(),
            steps: VecDeque::new(),
            gradient_changes: VecDeque::new(),
            rho: VecDeque::new(),
            hessian_diag: T::one(),
            previous_gradient: None,
            previous_loss: None,
        }
    }
}

impl<T> LbfgsState<T> {
    /// How many `(s, y)` pairs are kept.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::LbfgsState::<f32>::default().history_len(), 0);
    /// ```
    pub fn history_len(&self) -> usize {
        self.steps.len()
    }
}

/// L-BFGS, as `torch.optim.LBFGS`: a quasi-Newton method for full-batch problems (the
/// usual second phase of training a PINN, after Adam). Each [`step`](Lbfgs::step) runs up
/// to `max_iter` iterations, calling the closure for the loss and gradients as often as
/// they need, and returns the loss at the step's start.
///
/// Each iteration takes the direction `d = −H g`, where `H` is the inverse Hessian built
/// from the last `history_size` pairs `sᵢ = x_{i+1} − xᵢ`, `yᵢ = g_{i+1} − gᵢ` (pairs
/// with `yᵀs ≤ 10⁻¹⁰` are not kept) by the two-loop recursion:
///
/// ```text
/// q ← −g;   for i newest → oldest:  αᵢ = ρᵢ sᵢᵀq,  q ← q − αᵢ yᵢ
/// r ← γ q;  for i oldest → newest:  βᵢ = ρᵢ yᵢᵀr,  r ← r + (αᵢ − βᵢ) sᵢ;   d = r
/// ```
///
/// with `ρᵢ = 1/yᵢᵀsᵢ` and `γ = sᵀy/yᵀy` of the newest pair; then moves `x ← x + t d`
/// with `t` from the [`LineSearch`]. It stops when `max |g| ≤ tolerance_grad`, when the
/// loss or every parameter changes by less than `tolerance_change`, or after `max_iter`
/// iterations or `max_eval` closure calls. The trajectory is PyTorch's, step for step
/// and evaluation for evaluation (`tests/torch_lbfgs.rs` checks it in float64).
///
/// **What tapegrad does differently, and why.** PyTorch's `LBFGS` takes one parameter
/// group and no per-parameter options; so does this one (it is not an
/// [`Optimizer`](crate::Optimizer): its step needs a closure, not one set of gradients).
/// A parameter without a gradient (frozen, or unused by the loss) counts as a zero
/// gradient and never moves, as in PyTorch; if *no* parameter has one, the step fails with
/// [`OptimError::NoGradients`] where PyTorch would return as if at a minimum. A NaN or
/// infinite loss or gradient at any evaluation fails the step with
/// [`OptimError::NonFiniteEvaluation`], with the parameters and state put back, where
/// PyTorch would go on with NaN parameters. `maximize` is left out (negate the loss).
/// The state is plain data ([`state`](Lbfgs::state), [`set_state`](Lbfgs::set_state)),
/// and goes to a safetensors file and back ([`save_state`](Lbfgs::save_state),
/// [`load_state`](Lbfgs::load_state)) so a resumed run continues bit for bit.
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_optim::{Lbfgs, LineSearch, OptimError};
/// use tapegrad_tape::Tape;
///
/// // The Rosenbrock function, minimum 0 at (1, 1).
/// let mut model: BTreeMap<String, ArrayD<f64>> =
///     BTreeMap::from([("xy".to_string(), array![-1.2, 1.0].into_dyn())]);
/// let mut lbfgs = Lbfgs::builder().max_iter(100).line_search(LineSearch::StrongWolfe).build()?;
/// let first = lbfgs.step(&mut model, |model| {
///     let tape = Tape::new();
///     let v = tape.param(&model["xy"]);
///     let (x, y) = (v.slice_axis(0, 0..1), v.slice_axis(0, 1..2));
///     let loss = ((y - x.square()).square() * 100.0 + (1.0 - x).square()).sum();
///     Ok::<_, OptimError>((loss.item(), tape.backward(loss)))
/// })?;
/// assert_eq!(first, 24.199999999999996); // the loss at the start
/// // Stopped when the loss changed by less than tolerance_change (1e-9), after 35
/// // iterations and 43 evaluations, as torch.optim.LBFGS does.
/// assert!((model["xy"][0] - 1.0).abs() < 1e-4 && (model["xy"][1] - 1.0).abs() < 1e-4);
/// assert_eq!((lbfgs.state().n_iter, lbfgs.state().func_evals), (35, 43));
/// # Ok::<(), OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Lbfgs<T> {
    config: LbfgsConfig<T>,
    state: LbfgsState<T>,
}

impl<T: Float> Lbfgs<T> {
    /// The hyperparameters at PyTorch's defaults, to set and [`build`](LbfgsConfig::build).
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().history_size, 100);
    /// ```
    pub fn builder() -> LbfgsConfig<T> {
        LbfgsConfig::default()
    }

    /// The hyperparameters.
    ///
    /// ```
    /// let lbfgs = tapegrad_optim::Lbfgs::<f64>::builder().build().unwrap();
    /// assert_eq!(lbfgs.config().learning_rate, 1.0);
    /// ```
    pub fn config(&self) -> &LbfgsConfig<T> {
        &self.config
    }

    /// The learning rate the next step uses.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f32>::builder().build().unwrap().learning_rate(), 1.0);
    /// ```
    pub fn learning_rate(&self) -> T {
        self.config.learning_rate
    }

    /// Sets the learning rate for the following steps (a schedule's job); the state is kept.
    ///
    /// # Panics
    /// If `learning_rate` is negative, infinite or NaN.
    ///
    /// ```
    /// let mut lbfgs = tapegrad_optim::Lbfgs::<f64>::builder().build().unwrap();
    /// lbfgs.set_learning_rate(0.1);
    /// assert_eq!(lbfgs.learning_rate(), 0.1);
    /// ```
    #[track_caller]
    pub fn set_learning_rate(&mut self, learning_rate: T) {
        crate::error::assert_learning_rate(NAME, learning_rate);
        self.config.learning_rate = learning_rate;
    }

    /// The state carried between steps.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Lbfgs::<f64>::builder().build().unwrap().state().n_iter, 0);
    /// ```
    pub fn state(&self) -> &LbfgsState<T> {
        &self.state
    }

    /// Replaces the state (one kept from [`state`](Lbfgs::state), to resume or to branch);
    /// `LbfgsState::default()` starts afresh, as a new optimizer would. The next step checks
    /// that its vectors fit the model.
    ///
    /// ```
    /// use tapegrad_optim::{Lbfgs, LbfgsState};
    /// let mut lbfgs = Lbfgs::<f64>::builder().build().unwrap();
    /// lbfgs.set_state(LbfgsState { n_iter: 3, ..LbfgsState::default() });
    /// assert_eq!(lbfgs.state().n_iter, 3);
    /// ```
    pub fn set_state(&mut self, state: LbfgsState<T>) {
        self.state = state;
    }

    /// One optimization step (PyTorch's `optimizer.step(closure)`): up to `max_iter`
    /// iterations on `model`'s parameters. `closure(model)` evaluates the loss at the
    /// parameters as they are and returns it with its gradients (from `tape.backward`); it
    /// is called once at the start and then as the iterations and the line search need.
    /// Returns the loss of that first call.
    ///
    /// # Errors
    /// The closure's own errors, passed on; [`OptimError::NoGradients`] if an evaluation
    /// finds a gradient for none of the parameters, [`OptimError::NonFiniteEvaluation`] for
    /// a NaN or infinite loss or gradient, and [`OptimError::VectorLength`] if the state
    /// was built for a model with another number of parameters. On any error the
    /// parameters and the state are as they were before the step.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use ndarray::{array, ArrayD};
    /// use tapegrad_optim::{Lbfgs, OptimError};
    /// use tapegrad_tape::Tape;
    /// // A quadratic, (w − 3)²: the first iteration's step is min(1, 1/|g|)·lr, then Newton's.
    /// let mut model: BTreeMap<String, ArrayD<f64>> = BTreeMap::from([("w".to_string(), array![0.0].into_dyn())]);
    /// let mut lbfgs = Lbfgs::builder().build()?;
    /// let loss = lbfgs.step(&mut model, |model| {
    ///     let tape = Tape::new();
    ///     let loss = (tape.param(&model["w"]) - 3.0).square().sum();
    ///     Ok::<_, OptimError>((loss.item(), tape.backward(loss)))
    /// })?;
    /// assert_eq!(loss, 9.0);
    /// assert!((model["w"][0] - 3.0).abs() < 1e-12);
    /// assert_eq!(lbfgs.state().func_evals, 3); // the start, and after each of two iterations
    /// # Ok::<(), OptimError>(())
    /// ```
    pub fn step<M, E>(
        &mut self,
        model: &mut M,
        mut closure: impl FnMut(&M) -> Result<(T, Grads<T>), E>,
    ) -> Result<T, E>
    where
        M: Parameters<T> + ?Sized,
        E: From<OptimError>,
    {
        if model.param_count() == 0 {
            // Nothing to optimize: evaluate for the loss, as PyTorch does.
            return closure(model).map(|(loss, _)| loss);
        }
        let start = parameters_to_vector(model);
        let saved = self.state.clone();
        let result = self.iterate(model, &mut closure, start.clone());
        if result.is_err() {
            self.state = saved;
            // `start` was read from this model, so it fits.
            vector_to_parameters(&start, model)?;
        }
        result
    }

    /// The step's iterations, from the parameters `x` (PyTorch's `LBFGS.step` after its
    /// checks), leaving the state in `self.state`.
    fn iterate<M, E>(
        &mut self,
        model: &mut M,
        closure: &mut impl FnMut(&M) -> Result<(T, Grads<T>), E>,
        mut x: Array1<T>,
    ) -> Result<T, E>
    where
        M: Parameters<T> + ?Sized,
        E: From<OptimError>,
    {
        let config = self.config;
        let max_eval = config.max_evals();
        let n = x.len();
        let state = &mut self.state;
        let fits = |v: &Option<Array1<T>>| v.as_ref().is_none_or(|v| v.len() == n);
        if !fits(&state.direction)
            || !fits(&state.previous_gradient)
            || state.steps.iter().chain(&state.gradient_changes).any(|v| v.len() != n)
        {
            let got = state.direction.as_ref().or(state.previous_gradient.as_ref()).map_or(0, |v| v.len());
            return Err(OptimError::VectorLength { expected: n, got }.into());
        }
        let mut evaluations = 0;
        let mut evaluate = |model: &M| evaluate_at(model, closure, &mut evaluations);

        let (original_loss, mut flat_grad) = evaluate(model)?;
        let mut loss = original_loss;
        let mut current_evals = 1;
        state.func_evals += 1;
        if max_abs(&flat_grad) <= config.tolerance_grad {
            return Ok(original_loss);
        }

        let mut d = state.direction.take().unwrap_or_else(|| Array1::zeros(n));
        let mut t = state.step_length;
        let mut previous_gradient = state.previous_gradient.take();
        let mut previous_loss = state.previous_loss;
        let mut n_iter = 0;
        while n_iter < config.max_iter {
            n_iter += 1;
            state.n_iter += 1;

            // The direction.
            if state.n_iter == 1 {
                d = flat_grad.mapv(|g| -g);
                state.steps.clear();
                state.gradient_changes.clear();
                state.rho.clear();
                state.hessian_diag = T::one();
            } else {
                let previous = previous_gradient.as_ref().expect("set by every earlier iteration");
                let y = &flat_grad - previous;
                let s = d.mapv(|d| d * t);
                let ys = y.dot(&s);
                if ys > T::from_f64(1e-10) {
                    if state.steps.len() == config.history_size {
                        state.steps.pop_front();
                        state.gradient_changes.pop_front();
                        state.rho.pop_front();
                    }
                    state.hessian_diag = ys / y.dot(&y);
                    state.steps.push_back(s);
                    state.gradient_changes.push_back(y);
                    state.rho.push_back(T::one() / ys);
                }
                d = two_loop(state, &flat_grad);
            }
            match &mut previous_gradient {
                Some(previous) => previous.assign(&flat_grad),
                None => previous_gradient = Some(flat_grad.clone()),
            }
            previous_loss = Some(loss);

            // The step length.
            t = if state.n_iter == 1 {
                py_min(T::one(), T::one() / flat_grad.iter().fold(T::zero(), |sum, g| sum + g.abs()))
                    * config.learning_rate
            } else {
                config.learning_rate
            };
            let gtd = flat_grad.dot(&d);
            if gtd > -config.tolerance_change {
                break;
            }
            let evals;
            let mut optimal = false;
            match config.line_search {
                LineSearch::StrongWolfe => {
                    let at = |t: T| {
                        let mut moved = x.clone();
                        moved.scaled_add(t, &d);
                        moved
                    };
                    let found = strong_wolfe(
                        |t| {
                            vector_to_parameters(&at(t), model)?;
                            evaluate(model)
                        },
                        t,
                        &d,
                        loss,
                        &flat_grad,
                        gtd,
                        max_eval.saturating_sub(current_evals),
                    )?;
                    (loss, flat_grad, t, evals) = found;
                    x = at(t);
                    vector_to_parameters(&x, model)?;
                    optimal = max_abs(&flat_grad) <= config.tolerance_grad;
                }
                LineSearch::Fixed => {
                    x.scaled_add(t, &d);
                    vector_to_parameters(&x, model)?;
                    if n_iter != config.max_iter {
                        (loss, flat_grad) = evaluate(model)?;
                        optimal = max_abs(&flat_grad) <= config.tolerance_grad;
                        evals = 1;
                    } else {
                        evals = 0;
                    }
                }
            }
            current_evals += evals;
            state.func_evals += evals as u64;

            if n_iter == config.max_iter || current_evals >= max_eval || optimal {
                break;
            }
            // Lack of progress.
            if d.iter().fold(T::zero(), |m, &d| py_max(m, (d * t).abs())) <= config.tolerance_change
                || previous_loss.is_some_and(|previous| (loss - previous).abs() < config.tolerance_change)
            {
                break;
            }
        }
        state.direction = Some(d);
        state.step_length = t;
        state.previous_gradient = previous_gradient;
        state.previous_loss = previous_loss;
        Ok(original_loss)
    }
}

/// `−H g` by the two-loop recursion over the kept pairs, with `H₀ = γ I`.
fn two_loop<T: Float>(state: &LbfgsState<T>, gradient: &Array1<T>) -> Array1<T> {
    let kept = state.steps.len();
    let mut alpha = vec![T::zero(); kept];
    let mut q = gradient.mapv(|g| -g);
    for i in (0..kept).rev() {
        alpha[i] = state.steps[i].dot(&q) * state.rho[i];
        q.scaled_add(-alpha[i], &state.gradient_changes[i]);
    }
    let mut r = q.mapv(|q| q * state.hessian_diag);
    for (((y, s), &rho), &alpha) in
        state.gradient_changes.iter().zip(&state.steps).zip(&state.rho).zip(&alpha)
    {
        let beta = y.dot(&r) * rho;
        r.scaled_add(alpha - beta, s);
    }
    r
}

/// One closure call: the loss and the flat gradient (zeros for a parameter without one),
/// checked: some parameter has a gradient, and everything is finite.
fn evaluate_at<T: Float, M: Parameters<T> + ?Sized, E: From<OptimError>>(
    model: &M,
    closure: &mut impl FnMut(&M) -> Result<(T, Grads<T>), E>,
    evaluations: &mut usize,
) -> Result<(T, Array1<T>), E> {
    *evaluations += 1;
    let evaluation = *evaluations;
    let (loss, grads) = closure(model)?;
    let non_finite = |what: String| OptimError::NonFiniteEvaluation { optimizer: NAME, evaluation, what };
    if !loss.is_finite() {
        return Err(non_finite(format!("a loss of {:?}", Float::to_f64(loss))).into());
    }
    let flat = gradients_to_vector(model, &grads);
    // Which parameters have a gradient, and the one holding the first non-finite element.
    let bad = flat.iter().position(|g| !g.is_finite());
    let (mut parameters, mut found, mut offset, mut what) = (0, 0, 0, None);
    model.visit_params(&mut |name, param| {
        parameters += 1;
        found += usize::from(grads.param(&param).is_some());
        if let Some(k) = bad.filter(|k| (offset..offset + param.len()).contains(k)) {
            what = Some(format!("a gradient of {:?} in `{name}`", Float::to_f64(flat[k])));
        }
        offset += param.len();
    });
    if found == 0 {
        return Err(OptimError::NoGradients { optimizer: NAME, parameters }.into());
    }
    if let Some(what) = what {
        return Err(non_finite(what).into());
    }
    Ok((loss, flat))
}

/// PyTorch's `_strong_wolfe` (from Torch7's `lswolfe.lua`): bracketing, then zoom.
/// `evaluate(t)` gives the loss and gradient at `x + t d`; `f`, `g`, `gtd` are those at
/// `x` and the slope `gᵀd`. Returns the loss, gradient and `t` of the point it settles
/// on, and the evaluations it made (at most `max_ls`, or 1 when `max_ls` is 0).
#[allow(clippy::too_many_arguments)]
fn strong_wolfe<T: Float, E>(
    mut evaluate: impl FnMut(T) -> Result<(T, Array1<T>), E>,
    mut t: T,
    d: &Array1<T>,
    f: T,
    g: &Array1<T>,
    gtd: T,
    max_ls: usize,
) -> Result<(T, Array1<T>, T, usize), E> {
    let (c1, c2) = (T::from_f64(1e-4), T::from_f64(0.9));
    // PyTorch does not pass the optimizer's tolerance_change to its line search.
    let tolerance_change = T::from_f64(1e-9);
    let d_norm = max_abs(d);
    let (mut f_new, mut g_new) = evaluate(t)?;
    let mut evals = 1;
    let mut gtd_new = g_new.dot(d);

    // Bracket an interval containing a point satisfying the Wolfe conditions.
    let mut previous = Point { t: T::zero(), f, g: g.clone(), gtd };
    let mut done = false;
    let mut iterations = 0;
    let mut bracket = None;
    while iterations < max_ls {
        let point =
            |t, f_new, g_new: &Array1<T>, gtd_new| Point { t, f: f_new, g: g_new.clone(), gtd: gtd_new };
        if f_new > f + c1 * t * gtd || (iterations > 1 && f_new >= previous.f) {
            bracket = Some([previous, point(t, f_new, &g_new, gtd_new)]);
            break;
        }
        if gtd_new.abs() <= -c2 * gtd {
            let only = point(t, f_new, &g_new, gtd_new);
            bracket = Some([only.clone(), only]);
            done = true;
            break;
        }
        if gtd_new >= T::zero() {
            bracket = Some([previous, point(t, f_new, &g_new, gtd_new)]);
            break;
        }
        // Extrapolate by cubic interpolation, between 1.01 t − 0.01 t_prev and 10 t.
        let (min_step, max_step) = (t + T::from_f64(0.01) * (t - previous.t), t * T::from_f64(10.0));
        let next = cubic_interpolate(
            previous.t,
            previous.f,
            previous.gtd,
            t,
            f_new,
            gtd_new,
            Some((min_step, max_step)),
        );
        previous = Point { t, f: f_new, g: g_new, gtd: gtd_new };
        t = next;
        (f_new, g_new) = evaluate(t)?;
        evals += 1;
        gtd_new = g_new.dot(d);
        iterations += 1;
    }
    let mut bracket = match bracket {
        Some(bracket) if iterations < max_ls => bracket,
        // Out of evaluations: between the start and the last point (the zoom cannot run).
        _ => [Point { t: T::zero(), f, g: g.clone(), gtd }, Point { t, f: f_new, g: g_new, gtd: gtd_new }],
    };

    // Zoom: shrink the bracket until a point satisfies the conditions.
    let mut insufficient_progress = false;
    let order = |b: &[Point<T>; 2]| if b[0].f <= b[1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&bracket);
    while !done && iterations < max_ls {
        if (bracket[1].t - bracket[0].t).abs() * d_norm < tolerance_change {
            break;
        }
        let [a, b] = &bracket;
        let mut t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd, None);
        let (top, bottom) = (py_max(a.t, b.t), py_min(a.t, b.t));
        // Too close to an end (twice in a row, or outside): move a tenth of the bracket in.
        let eps = T::from_f64(0.1) * (top - bottom);
        if py_min(top - t, t - bottom) < eps {
            if insufficient_progress || t >= top || t <= bottom {
                t = if (t - top).abs() < (t - bottom).abs() { top - eps } else { bottom + eps };
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        let (f_new, g_new) = evaluate(t)?;
        evals += 1;
        let gtd_new = g_new.dot(d);
        iterations += 1;
        let point = Point { t, f: f_new, g: g_new, gtd: gtd_new };
        if f_new > f + c1 * t * gtd || f_new >= bracket[low].f {
            // No sufficient decrease, or not below the lowest point: the new high end.
            bracket[high] = point;
            (low, high) = order(&bracket);
        } else {
            if gtd_new.abs() <= -c2 * gtd {
                done = true;
            } else if gtd_new * (bracket[high].t - bracket[low].t) >= T::zero() {
                // The old low end becomes the high end.
                bracket[high] = bracket[low].clone();
            }
            bracket[low] = point;
        }
    }
    let [first, second] = bracket;
    let Point { t, f, g, .. } = if low == 0 { first } else { second };
    Ok((f, g, t, evals))
}

/// A point of the line search: step length, loss, gradient and slope `gᵀd`.
#[derive(Clone)]
struct Point<T> {
    t: T,
    f: T,
    g: Array1<T>,
    gtd: T,
}

/// The minimum of the cubic through `(x1, f1)` and `(x2, f2)` with slopes `g1`, `g2`,
/// clamped to `bounds` (by default the interval between the points); their midpoint when
/// the cubic has no minimum (PyTorch's `_cubic_interpolate`, from Torch7's `polyinterp`).
#[allow(clippy::too_many_arguments)]
fn cubic_interpolate<T: Float>(x1: T, f1: T, g1: T, x2: T, f2: T, g2: T, bounds: Option<(T, T)>) -> T {
    let (lower, upper) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - T::from_f64(3.0) * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= T::zero() {
        let d2 = d2_square.sqrt();
        let two = T::from_f64(2.0);
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + two * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + two * d2))
        };
        py_min(py_max(min_pos, lower), upper)
    } else {
        (lower + upper) / T::from_f64(2.0)
    }
}

/// Python's `max(a, b)`: `a` unless `b > a` (so a NaN `a` stays, as in PyTorch).
fn py_max<T: Float>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn py_min<T: Float>(a: T, b: T) -> T {
    if b < a {
        b
    } else {
        a
    }
}

/// `max |vᵢ|` (0 for an empty vector).
fn max_abs<T: Float>(v: &Array1<T>) -> T {
    v.iter().fold(T::zero(), |m, x| py_max(m, x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_finds_a_cubics_minimum_and_clamps_it() {
        // f(x) = x³ − 3x: f(0) = 0, f'(0) = −3; f(2) = 2, f'(2) = 9; minimum at x = 1.
        let t: f64 = cubic_interpolate(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, None);
        assert!((t - 1.0).abs() < 1e-15, "{t}");
        // The same from the other side.
        let t: f64 = cubic_interpolate(2.0, 2.0, 9.0, 0.0, 0.0, -3.0, None);
        assert!((t - 1.0).abs() < 1e-15, "{t}");
        // Clamped to the bounds given.
        assert_eq!(cubic_interpolate(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, Some((1.5, 3.0))), 1.5);
        // No minimum (d₂² < 0): the bounds' midpoint.
        assert_eq!(cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2.0 / 3.0, 1.0, None), 0.5);
    }

    #[test]
    fn python_min_and_max_keep_their_first_nan() {
        assert!(py_max(f64::NAN, 1.0).is_nan() && py_min(f64::NAN, 1.0).is_nan());
        assert_eq!((py_max(1.0, f64::NAN), py_min(1.0, f64::NAN)), (1.0, 1.0));
        assert_eq!((py_max(1.0, 2.0), py_min(1.0, 2.0)), (2.0, 1.0));
    }
}
