//! Gradient-health diagnostics, measured per epoch when [`Trainer::diagnostics`] is on:
//! gradient norms, update-to-weight ratios and dead ReLU units.
//!
//! [`Trainer::diagnostics`]: crate::Trainer::diagnostics

use std::fmt;

use ndarray::ArrayD;
use tapegrad_nn::Module;
use tapegrad_optim::l2_norm;
use tapegrad_tape::{Float, Grads, Tape};

/// One epoch's gradient-health measurements (see [`Trainer::diagnostics`](crate::Trainer::diagnostics)).
///
/// - **Gradient norm** ‖∂L/∂θ‖₂ per parameter, the mean over the epoch's batches (before
///   any clipping the optimizer does). Healthy values are steady from epoch to epoch;
///   a norm that collapses towards 0 (vanishing) or grows by orders of magnitude
///   (exploding) is the thing to look for. Comparing layers shows where the signal dies.
/// - **Update-to-weight ratio** ‖Δθ‖₂ / ‖θ‖₂ per parameter, the mean over the epoch's
///   optimizer steps, with Δθ what one step changed. Around 1e-3 is healthy (Karpathy's
///   rule of thumb); much lower (1e-5) means the learning rate is too small for that
///   parameter to move, much higher (1e-1) means it is being overwritten each step.
/// - **Dead ReLU fraction** per ReLU op (in the order the forward pass runs them): the
///   fraction of units (the last axis of the ReLU's output, the columns of
///   `[batch, units]`) that were zero for every sample of every batch of the epoch. A
///   dead unit passes no gradient, so it never recovers; healthy is near 0, and a
///   fraction that keeps rising points at a learning rate too high or a bad init.
///
/// Its `Display` is the short line the trainer prints under each epoch line.
///
/// ```
/// use tapegrad_train::{Diagnostics, ParamDiagnostics};
/// let diagnostics = Diagnostics {
///     params: vec![ParamDiagnostics { name: "layers.0.weight".into(), grad_norm: Some(0.12), update_ratio: Some(1.1e-3) }],
///     dead_relu_fractions: vec![0.0],
/// };
/// assert_eq!(diagnostics.to_string(), "grad norm layers.0.weight 1.2e-1 | update/weight 1.1e-3 | dead ReLU 0.0%");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics {
    /// One entry per parameter, in the model's visit order.
    pub params: Vec<ParamDiagnostics>,
    /// For each ReLU op of the forward pass, in order: the fraction of its units that
    /// were dead (zero for every sample) during the whole epoch, from 0 to 1.
    pub dead_relu_fractions: Vec<f64>,
}

/// One parameter's measurements over an epoch (see [`Diagnostics`]).
///
/// ```
/// let p = tapegrad_train::ParamDiagnostics { name: "bias".into(), grad_norm: None, update_ratio: None };
/// assert!(p.grad_norm.is_none()); // e.g. a parameter that never reached the loss
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamDiagnostics {
    /// The parameter's name, as the model visits it (`"layers.0.weight"`).
    pub name: String,
    /// The mean L2 norm of its gradient over the batches that gave it one; `None` if no
    /// batch did.
    pub grad_norm: Option<f64>,
    /// The mean of ‖Δθ‖/‖θ‖ over the steps, θ taken before each step; steps where θ was
    /// all zeros (a zero-initialised bias on the first step) are left out of the mean.
    /// `None` if no step counted.
    pub update_ratio: Option<f64>,
}

impl fmt::Display for Diagnostics {
    /// `grad norm a 1.2e-1, b 3.4e-2 | update/weight 1.1e-3, 9.0e-4 | dead ReLU 0.0%`:
    /// update ratios follow the names' order; dead fractions follow the ReLUs' order;
    /// `-` marks a missing value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1e}"));
        let norms: Vec<String> =
            self.params.iter().map(|p| format!("{} {}", p.name, number(p.grad_norm))).collect();
        let ratios: Vec<String> = self.params.iter().map(|p| number(p.update_ratio)).collect();
        write!(f, "grad norm {} | update/weight {}", norms.join(", "), ratios.join(", "))?;
        if !self.dead_relu_fractions.is_empty() {
            let dead: Vec<String> =
                self.dead_relu_fractions.iter().map(|d| format!("{:.1}%", 100.0 * d)).collect();
            write!(f, " | dead ReLU {}", dead.join(", "))?;
        }
        Ok(())
    }
}

/// A running mean.
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
    }

    fn get(self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// Sums what one epoch's batches measured; exists only while diagnostics are on, so
/// the trainer copies nothing otherwise.
pub(crate) struct DiagnosticsAccumulator {
    names: Vec<String>,
    grad_norms: Vec<Mean>,
    update_ratios: Vec<Mean>,
    /// Per ReLU op, per unit: whether it was ever non-zero.
    fired: Vec<Vec<bool>>,
}

impl DiagnosticsAccumulator {
    pub(crate) fn new<T: Float, M: Module<T> + ?Sized>(model: &M) -> Self {
        let names = model.param_names();
        let n = names.len();
        DiagnosticsAccumulator {
            names,
            grad_norms: vec![Mean::default(); n],
            update_ratios: vec![Mean::default(); n],
            fired: Vec::new(),
        }
    }

    /// Marks the ReLU units of this batch's forward pass that fired. A ReLU whose width
    /// differs from the one seen first at its position is ignored for this batch.
    pub(crate) fn record_activations<T: Float>(&mut self, tape: &Tape<'_, T>) {
        for (i, output) in tape.op_outputs("relu").iter().enumerate() {
            let units = output.shape().last().copied().unwrap_or(1);
            if i == self.fired.len() {
                self.fired.push(vec![false; units]);
            }
            let fired = &mut self.fired[i];
            if fired.len() != units || units == 0 {
                continue;
            }
            for (j, value) in output.iter().enumerate() {
                if *value != T::zero() {
                    fired[j % units] = true;
                }
            }
        }
    }

    pub(crate) fn record_gradients<T: Float, M: Module<T> + ?Sized>(&mut self, model: &M, grads: &Grads<T>) {
        let mut i = 0;
        model.visit_params(&mut |_, param| {
            if let (Some(grad), Some(mean)) = (grads.param(&param), self.grad_norms.get_mut(i)) {
                mean.add(Float::to_f64(l2_norm(grad.iter().copied())));
            }
            i += 1;
        });
    }

    /// Copies of every parameter, taken before the optimizer step.
    pub(crate) fn snapshot<T: Float, M: Module<T> + ?Sized>(model: &M) -> Vec<ArrayD<T>> {
        let mut copies = Vec::new();
        model.visit_params(&mut |_, param| copies.push(param.to_owned()));
        copies
    }

    pub(crate) fn record_update<T: Float, M: Module<T> + ?Sized>(&mut self, model: &M, before: &[ArrayD<T>]) {
        let mut i = 0;
        model.visit_params(&mut |_, after| {
            if let (Some(before), Some(mean)) = (before.get(i), self.update_ratios.get_mut(i)) {
                let weight = Float::to_f64(l2_norm(before.iter().copied()));
                if weight > 0.0 && before.shape() == after.shape() {
                    let change =
                        l2_norm(after.iter().zip(before).map(|(&a, &b)| Float::to_f64(a) - Float::to_f64(b)));
                    mean.add(change / weight);
                }
            }
            i += 1;
        });
    }

    pub(crate) fn finish(self) -> Diagnostics {
        let params = self
            .names
            .into_iter()
            .zip(self.grad_norms.into_iter().zip(self.update_ratios))
            .map(|(name, (grad_norm, update_ratio))| ParamDiagnostics {
                name,
                grad_norm: grad_norm.get(),
                update_ratio: update_ratio.get(),
            })
            .collect();
        let dead_relu_fractions = self
            .fired
            .iter()
            .map(|units| units.iter().filter(|&&fired| !fired).count() as f64 / units.len().max(1) as f64)
            .collect();
        Diagnostics { params, dead_relu_fractions }
    }
}
