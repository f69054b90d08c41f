//! `Stateful`: an update rule plus one state per parameter name — the one implementation
//! of [`Optimizer`] that `Sgd`, `Adagrad`, `RmsProp`, `Adam` and `AdamW` all are.

use std::collections::BTreeMap;

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::error::assert_learning_rate;
use crate::{GradientClipping, OptimError, Optimizer, SavedState, StateEntry};

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

    /// Checks a loaded state against the relations every state a real run of this rule
    /// produces satisfies, beyond what loading checks for every optimizer (finite values,
    /// non-negative averages of squares, the step count): a state that passes cannot make
    /// the next update overflow. The default checks nothing more.
    ///
    /// # Errors
    /// A message naming the buffer, the element and the relation it breaks.
    ///
    /// ```
    /// use tapegrad_optim::{AdamConfig, AdamState, UpdateRule};
    /// let config = AdamConfig::<f32>::default();
    /// let mut state = config.new_state(&[1]);
    /// state.exp_avg[[0]] = f32::MAX; // no run's first moment is so far above its second
    /// assert!(config.check_state(&state).is_err());
    /// ```
    fn check_state(&self, state: &Self::State) -> Result<(), String> {
        let _ = state;
        Ok(())
    }
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
    /// Parameter groups: name prefixes with their own hyperparameters, and each group's
    /// learning rate as first set (schedules scale it with the base rate).
    groups: Vec<Group<T, R>>,
    /// The base learning rate when the groups were made, which their rates scale from.
    base_learning_rate: T,
}

/// A parameter group: the names it covers and its hyperparameters.
#[derive(Debug, Clone)]
struct Group<T, R> {
    prefixes: Vec<String>,
    config: R,
    learning_rate: T,
}

impl<T, R> Group<T, R> {
    /// Whether one of the group's names selects `name` ([`tapegrad_tape::selects`]).
    fn covers(&self, name: &str) -> bool {
        self.prefixes.iter().any(|prefix| tapegrad_tape::selects(prefix, name))
    }
}

impl<T: Float, R: UpdateRule<T>> Stateful<T, R> {
    /// An optimizer with no state yet (what each config's `build()` returns).
    pub(crate) fn with_rule(config: R) -> Self {
        let base_learning_rate = config.learning_rate();
        Stateful { config, states: BTreeMap::new(), groups: Vec::new(), base_learning_rate }
    }

    /// Adds a parameter group (`torch.optim`'s `param_groups`): the parameters named by
    /// `names` — a parameter's full name, a prefix such as `"layers.0"` that covers
    /// `layers.0.weight` and `layers.0.bias`, or a pattern where `*` stands for any run of
    /// characters, such as `"*.bias"` for every bias (the usual "no weight decay on
    /// biases" group) or `"layers.*.weight"` — are updated with the hyperparameters of
    /// `optimizer` (another optimizer of the same kind, built and checked as usual)
    /// instead of this one's. A parameter takes the first group that covers it, or else
    /// this optimizer's own hyperparameters.
    ///
    /// Learning-rate schedules scale every group with the base rate:
    /// [`set_learning_rate`](Optimizer::set_learning_rate) multiplies each group's rate by
    /// the same factor as the base rate (a group at a tenth of the base stays at a tenth).
    /// Clipping is the base optimizer's, over all the parameters together.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_optim::{NamedParam, Optimizer, Sgd};
    /// // A pretrained body learns ten times slower than the new head.
    /// let mut sgd = Sgd::builder().learning_rate(0.1).build()?
    ///     .group(["body"], Sgd::builder().learning_rate(0.01).build()?);
    /// let (mut body, mut head) = (array![1.0], array![1.0]);
    /// let _report = sgd.step_params(&mut [
    ///     NamedParam::new("body.weight", &mut body, &array![1.0]),
    ///     NamedParam::new("head.weight", &mut head, &array![1.0]),
    /// ])?;
    /// assert_eq!((body[0], head[0]), (0.99, 0.9));
    /// sgd.set_learning_rate(0.05); // halves every group
    /// assert_eq!(sgd.config_for("body.weight").learning_rate, 0.005);
    ///
    /// // AdamW's weight decay on the weights only: biases (any depth) in a group without.
    /// let adamw = tapegrad_optim::AdamW::builder().weight_decay(0.01).build()?
    ///     .group(["*.bias"], tapegrad_optim::AdamW::builder().weight_decay(0.0).build()?);
    /// assert_eq!(adamw.config_for("layers.2.bias").weight_decay, 0.0);
    /// assert_eq!(adamw.config_for("layers.2.weight").weight_decay, 0.01);
    /// # Ok::<(), tapegrad_optim::OptimError>(())
    /// ```
    pub fn group<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>, optimizer: Self) -> Self {
        let config = optimizer.config;
        let learning_rate = config.learning_rate();
        self.groups.push(Group {
            prefixes: names.into_iter().map(Into::into).collect(),
            config,
            learning_rate,
        });
        self.base_learning_rate = self.config.learning_rate();
        self
    }

    /// The hyperparameters that the parameter `name` is updated with: its group's, or
    /// this optimizer's own.
    ///
    /// ```
    /// let adam = tapegrad_optim::Adam::<f64>::builder().build()?
    ///     .group(["embedding"], tapegrad_optim::Adam::builder().weight_decay(0.0).learning_rate(1e-2).build()?);
    /// assert_eq!(adam.config_for("embedding.weight").learning_rate, 1e-2);
    /// assert_eq!(adam.config_for("head.weight").learning_rate, 1e-3);
    /// # Ok::<(), tapegrad_optim::OptimError>(())
    /// ```
    pub fn config_for(&self, name: &str) -> &R {
        self.groups.iter().find(|group| group.covers(name)).map_or(&self.config, |group| &group.config)
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
        let base = self.base_learning_rate;
        for group in &mut self.groups {
            // Each group keeps its ratio to the base rate (a base of 0 leaves it as set).
            let scaled = if base > T::zero() {
                group.learning_rate * (learning_rate / base)
            } else {
                group.learning_rate
            };
            group.config.set_learning_rate(scaled);
        }
    }

    fn clipping(&self) -> GradientClipping<T> {
        self.config.clipping()
    }

    fn update_param(&mut self, name: &str, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>) {
        // Look up before inserting, so that a step allocates no key once states exist.
        let config =
            self.groups.iter().find(|group| group.covers(name)).map_or(&self.config, |group| &group.config);
        if !self.states.contains_key(name) {
            self.states.insert(name.to_owned(), config.new_state(param.shape()));
        }
        let state = self.states.get_mut(name).expect("the state was inserted above");
        config.update(param, grad, state);
    }

    fn groups(&self) -> Vec<(Vec<String>, f64)> {
        let base = self.config.learning_rate().to_f64();
        self.groups
            .iter()
            .map(|group| {
                let rate = group.config.learning_rate().to_f64();
                (group.prefixes.clone(), if base > 0.0 { rate / base } else { rate })
            })
            .collect()
    }

    fn check_names(&self, names: &mut crate::VisitNames<'_>) -> Result<(), OptimError> {
        if self.groups.is_empty() {
            return Ok(());
        }
        let mut covered = vec![false; self.groups.len()];
        names(&mut |name| {
            for (group, covered) in self.groups.iter().zip(&mut covered) {
                *covered |= group.covers(name);
            }
        });
        let Some(unmatched) = covered.iter().position(|&covered| !covered) else { return Ok(()) };
        // Only on the error: the model's first names, to show what the group missed.
        let (mut count, mut examples) = (0, Vec::new());
        names(&mut |name| {
            count += 1;
            if examples.len() < 4 {
                examples.push(name.to_owned());
            }
        });
        if count > examples.len() {
            examples.push("…".to_owned());
        }
        Err(OptimError::UnmatchedGroup {
            optimizer: R::NAME,
            prefixes: self.groups[unmatched].prefixes.clone(),
            parameters: count,
            examples: examples.join(", "),
        })
    }

    fn export_state(&self) -> BTreeMap<String, StateEntry<T>> {
        crate::state::export(&self.states)
    }

    fn import_state(&mut self, states: BTreeMap<String, StateEntry<T>>) -> Result<(), String> {
        let states: BTreeMap<String, R::State> = crate::state::import(states)?;
        for (name, state) in &states {
            self.config_for(name).check_state(state).map_err(|problem| format!("`{name}`: {problem}"))?;
        }
        self.states = states;
        Ok(())
    }
}
