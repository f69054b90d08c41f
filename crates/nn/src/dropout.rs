//! Inverted dropout: zero each activation with probability `p` while training, and scale
//! the survivors by `1 / (1 − p)` so evaluation needs no rescaling.

use std::cell::Cell;

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tapegrad_tape::{Float, Tape, Var};

use crate::{Module, NnError, Parameters, RandomState};

/// Inverted dropout. In training mode, `y = x · m / (1 − p)` with a fresh mask
/// `m ~ Bernoulli(1 − p)` per element per forward pass (the mask is a constant on the
/// tape, so `∂L/∂x = ∂L/∂y · m / (1 − p)`); in evaluation mode it is the identity.
///
/// The layer owns its random number generator, seeded explicitly, so two runs from the
/// same seed drop the same units. Its state is two numbers, the seed and the count of
/// masks drawn ([`RandomState`], visited by [`Module::visit_random_states`]), so a
/// training checkpoint saves it and a resumed run draws the same masks.
///
/// ```
/// use tapegrad_nn::{Dropout, Module};
/// let mut dropout = Dropout::new(0.5, 42)?;
/// let ones = ndarray::Array2::<f64>::ones((1, 8));
/// {
///     let tape = tapegrad_tape::Tape::new();
///     let y = dropout.forward(&tape, tape.constant(&ones)).unwrap().value();
///     assert!(y.iter().all(|&v| v == 0.0 || v == 2.0)); // dropped, or scaled by 1/(1 − 0.5)
/// }
/// dropout.set_training(false);
/// let tape = tapegrad_tape::Tape::new();
/// assert_eq!(dropout.forward(&tape, tape.constant(&ones)).unwrap().value(), ones.into_dyn());
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout {
    p: f64,
    training: bool,
    /// Each forward pass's mask comes from a generator seeded by this state, which then
    /// counts the pass: two numbers that a checkpoint saves and restores exactly.
    random: Cell<RandomState>,
}

impl Dropout {
    /// Dropout with drop probability `p`, in training mode, its generator seeded with `seed`.
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] if `p` is not in `[0, 1)` (as PyTorch's `ValueError`;
    /// `p = 1` would drop everything and divide by 0).
    ///
    /// ```
    /// let dropout = tapegrad_nn::Dropout::new(0.1, 7)?;
    /// assert_eq!(dropout.p(), 0.1);
    /// let err = tapegrad_nn::Dropout::new(1.0, 7).unwrap_err();
    /// assert_eq!(err.to_string(), "Dropout: p = 1 (must be in [0, 1))");
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn new(p: f64, seed: u64) -> Result<Self, NnError> {
        let dropout = Self::with_rng(p, StdRng::seed_from_u64(0))?;
        dropout.random.set(RandomState { seed, draws: 0 });
        Ok(dropout)
    }

    /// Dropout drawing its masks from `rng`.
    ///
    /// # Errors
    /// As [`new`](Dropout::new).
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let dropout = tapegrad_nn::Dropout::with_rng(0.2, rand::rngs::StdRng::seed_from_u64(3))?;
    /// assert!(dropout.is_training());
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    pub fn with_rng(p: f64, rng: StdRng) -> Result<Self, NnError> {
        if !(0.0..1.0).contains(&p) {
            return Err(NnError::InvalidSetting {
                layer: "Dropout",
                name: "p",
                value: p,
                expected: "in [0, 1)",
            });
        }
        let mut rng = rng;
        Ok(Dropout { p, training: true, random: Cell::new(RandomState { seed: rng.random(), draws: 0 }) })
    }

    /// The drop probability.
    ///
    /// ```
    /// assert_eq!(tapegrad_nn::Dropout::new(0.3, 0).unwrap().p(), 0.3);
    /// ```
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Switches between training (dropping) and evaluation (identity); the same as
    /// [`Module::set_training`], callable without naming the element type.
    ///
    /// ```
    /// let mut dropout = tapegrad_nn::Dropout::new(0.3, 0).unwrap();
    /// dropout.set_training(false);
    /// assert!(!dropout.is_training());
    /// ```
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// Whether the layer is in training mode (dropping) rather than evaluation (identity).
    ///
    /// ```
    /// let mut dropout = tapegrad_nn::Dropout::new(0.3, 0).unwrap();
    /// dropout.set_training(false);
    /// assert!(!dropout.is_training());
    /// ```
    pub fn is_training(&self) -> bool {
        self.training
    }
}

impl<T: Float> Parameters<T> for Dropout {
    fn visit_params<'a>(&'a self, _visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {}

    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {}
}

impl<T: Float> Module<T> for Dropout {
    fn layer_name(&self) -> String {
        format!("Dropout(p = {})", self.p())
    }

    #[track_caller]
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        if !self.training || self.p == 0.0 {
            return Ok(input);
        }
        let keep = 1.0 - self.p;
        let scale = T::from_f64(1.0 / keep);
        let state = self.random.get();
        let mut rng = state.generator();
        self.random.set(RandomState { draws: state.draws.wrapping_add(1), ..state });
        let mask = ArrayD::from_shape_simple_fn(input.shape(), || {
            if rng.random::<f64>() < keep {
                scale
            } else {
                T::zero()
            }
        });
        Ok(input * tape.constant(mask))
    }

    fn visit_random_states(&mut self, visit: &mut dyn FnMut(&str, &mut RandomState)) {
        visit("random", self.random.get_mut());
    }

    fn set_training(&mut self, training: bool) {
        Dropout::set_training(self, training);
    }
}
