//! `Stateful`: an update rule plus one state per parameter name — the one implementation
//! of [`Optimizer`] that `Sgd`, `Adagrad`, `RmsProp`, `Adam` and `AdamW` all are.

use std::collections::BTreeMap;

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::error::assert_learning_rate;
use crate::{GradientClipping, Optimizer, SavedState, StateEntry};

/// An optimizer's hyperparameters and its update rule for one parameter (burn's design:
/// `update(param, grad, &mut state)` is a small pure function of the hyperparameters, the
/// parameter, its gradient and its state). [`Stateful`] adds the per-name states and makes
/// it an [`Optimizer`]. Each config (`AdamConfig`, …) implements it.
///
/// ```
/// use tapegrad_optim::{SgdConfig, SgdState, UpdateRule};
/// let config = SgdConfig::<f64>::default();
/// let mut w = ndarray::array![1.0].into_dyn();
/// let mut state: SgdState<f64> = config.new_state(w.shape());
/// UpdateRule::update(&config, w.view_mut(), ndarray::array![2.0].into_dyn().view(), &mut state);
/// assert_eq!(w[[0]], 1.0 - 1e-3 * 2.0); // θ ← θ − γ g with PyTorch's default γ = 1e-3
/// ```
pub trait UpdateRule<T: Float> {
    /// The per-parameter state.
    type State: SavedState<T>;
    /// The optimizer's name as errors and saved state print it (`"Adam"`).
    const NAME: &'static str;
    /// The learning rate the next update uses.
    fn learning_rate(&self) -> T;
    /// Sets the learning rate (already checked by the caller).
    fn set_learning_rate(&mut self, learning_rate: T);
    /// The gradient clipping applied before the updates of each step.
    fn clipping(&self) -> GradientClipping<T>;
    /// A fresh state for a parameter of this shape (before its first step).
    fn new_state(&self, shape: &[usize]) -> Self::State;
    /// Updates one parameter in place from its gradient and state.
    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut Self::State);
}

/// An [`UpdateRule`] and one state per parameter name: what every optimizer here is
/// (`Adam<T>` is `Stateful<T, AdamConfig<T>>`).
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{Adam, NamedParam, Optimizer};
/// let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
/// let _report = adam.step_params(&mut [NamedParam::new("w", &mut array![1.0], &array![2.0])]).unwrap();
/// assert_eq!(adam.state("w").unwrap().step, 1);
/// assert_eq!(adam.config().learning_rate, 0.1);
/// ```
#[derive(Debug, Clone)]
pub struct Stateful<T: Float, R: UpdateRule<T>> {
    config: R,
    states: BTreeMap<String, R::State>,
}

impl<T: Float, R: UpdateRule<T>> Stateful<T, R> {
    /// An optimizer with no state yet (what each config's `build()` returns).
    pub(crate) fn with_rule(config: R) -> Self {
        Stateful { config, states: BTreeMap::new() }
    }

    /// The hyperparameters (the learning rate as last set).
    ///
    /// ```
    /// let adam = tapegrad_optim::Adam::<f64>::builder().build().unwrap();
    /// assert_eq!(adam.config().learning_rate, 1e-3);
    /// ```
    pub fn config(&self) -> &R {
        &self.config
    }

    /// The state kept for the parameter `name`, once it has been updated.
    ///
    /// ```
    /// let adam = tapegrad_optim::Adam::<f64>::builder().build().unwrap();
    /// assert!(adam.state("w").is_none());
    /// ```
    pub fn state(&self, name: &str) -> Option<&R::State> {
        self.states.get(name)
    }

    /// Every parameter's state, by name.
    ///
    /// ```
    /// let sgd = tapegrad_optim::Sgd::<f64>::builder().build().unwrap();
    /// assert!(sgd.states().is_empty());
    /// ```
    pub fn states(&self) -> &BTreeMap<String, R::State> {
        &self.states
    }
}

impl<T: Float, R: UpdateRule<T>> Optimizer<T> for Stateful<T, R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn learning_rate(&self) -> T {
        self.config.learning_rate()
    }

    fn set_learning_rate(&mut self, learning_rate: T) {
        assert_learning_rate(R::NAME, learning_rate);
        self.config.set_learning_rate(learning_rate);
    }

    fn clipping(&self) -> GradientClipping<T> {
        self.config.clipping()
    }

    fn update_param(&mut self, name: &str, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>) {
        // Look up before inserting, so that a step allocates no key once states exist.
        if !self.states.contains_key(name) {
            self.states.insert(name.to_owned(), self.config.new_state(param.shape()));
        }
        let state = self.states.get_mut(name).expect("the state was inserted above");
        self.config.update(param, grad, state);
    }

    fn export_state(&self) -> BTreeMap<String, StateEntry<T>> {
        crate::state::export(&self.states)
    }

    fn import_state(&mut self, states: BTreeMap<String, StateEntry<T>>) -> Result<(), String> {
        self.states = crate::state::import(states)?;
        Ok(())
    }
}
