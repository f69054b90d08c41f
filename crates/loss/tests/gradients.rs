//! Every loss's tape gradient against central finite differences, in f64, through the
//! public API, in every reduction. Inputs sit away from kinks (relu's 0, clamp's ends,
//! |x|'s 0), and targets are checked too wherever they are differentiable inputs.

use ndarray::{array, ArrayD};
use tapegrad_loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, hinge, huber,
    kl_div, l1, mse, multi_margin, nll, Reduction,
};
use tapegrad_tape::gradcheck::GradCheck;
use tapegrad_tape::{Tape, Var};

const REDUCTIONS: [Reduction; 4] = [Reduction::Mean, Reduction::Sum, Reduction::None, Reduction::BatchMean];

/// Checks the gradient of `f` for every element of every input, and that no element
/// straddled a kink (so every element was really compared).
fn check<F>(f: F, inputs: &[ArrayD<f64>])
where
    F: for<'t> Fn(&'t Tape<'t, f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let report = GradCheck::new().check(f, inputs);
    assert!(report.passed(), "{report}");
    assert_eq!(report.kinks().count(), 0, "an input sits on a kink:\n{report}");
}

/// One number to differentiate: `Reduction::None` losses are summed.
fn scalar<'t>(losses: Var<'t, f64>, reduction: Reduction) -> Var<'t, f64> {
    if reduction == Reduction::None {
        losses.sum()
    } else {
        losses
    }
}

fn prediction() -> ArrayD<f64> {
    array![[0.3, -1.2], [2.0, 0.7]].into_dyn()
}

/// Differences from `prediction()`: 0.2, −1.6, 2.5, −0.2 (both Huber regimes for δ = 1).
fn regression_target() -> ArrayD<f64> {
    array![[0.1, 0.4], [-0.5, 0.9]].into_dyn()
}

#[test]
fn mse_gradient() {
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(mse(v[0], v[1], reduction).unwrap(), reduction),
            &[prediction(), regression_target()],
        );
    }
}

#[test]
fn l1_gradient() {
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(l1(v[0], v[1], reduction).unwrap(), reduction),
            &[prediction(), regression_target()],
        );
    }
}

#[test]
fn huber_gradient_on_both_sides_of_delta() {
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(huber(v[0], v[1], 1.0, reduction).unwrap(), reduction),
            &[prediction(), regression_target()],
        );
    }
}

#[test]
fn binary_cross_entropy_gradient() {
    let probabilities = array![[0.2, 0.7], [0.9, 0.4]].into_dyn();
    let target = array![[1.0, 0.0], [0.3, 1.0]].into_dyn(); // soft targets are fine
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(binary_cross_entropy(v[0], v[1], reduction).unwrap(), reduction),
            &[probabilities.clone(), target.clone()],
        );
    }
}

#[test]
fn binary_cross_entropy_with_logits_gradient() {
    let logits = array![[-2.0, 0.5], [3.0, -0.1]].into_dyn();
    let target = array![[1.0, 0.0], [0.3, 1.0]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(binary_cross_entropy_with_logits(v[0], v[1], reduction).unwrap(), reduction),
            &[logits.clone(), target.clone()],
        );
    }
}

#[test]
fn cross_entropy_gradient() {
    let logits = array![[0.2, -1.0, 2.0], [1.5, 0.3, -0.7]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(cross_entropy(v[0], &[2, 0], reduction).unwrap(), reduction),
            std::slice::from_ref(&logits),
        );
    }
}

#[test]
fn cross_entropy_probs_gradient_for_logits_and_target() {
    let logits = array![[0.2, -1.0, 2.0], [1.5, 0.3, -0.7]].into_dyn();
    let target = array![[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(cross_entropy_probs(v[0], v[1], reduction).unwrap(), reduction),
            &[logits.clone(), target.clone()],
        );
    }
}

#[test]
fn nll_gradient() {
    let log_probabilities = array![[-1.2, -0.5, -2.0], [-0.1, -3.0, -4.0]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(nll(v[0], &[1, 0], reduction).unwrap(), reduction),
            std::slice::from_ref(&log_probabilities),
        );
    }
}

#[test]
fn hinge_gradient_with_violated_and_satisfied_margins() {
    // y·s = 0.5, −2, −3, 2: three margins violated, one satisfied (none at the kink y·s = 1)
    let scores = array![0.5, -2.0, 3.0, 2.0].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |tape, v| {
                // Labels are data, not an input: perturbing them would leave {−1, +1}.
                let labels = tape.constant(array![1.0, 1.0, -1.0, 1.0]);
                scalar(hinge(v[0], labels, reduction).unwrap(), reduction)
            },
            std::slice::from_ref(&scores),
        );
    }
}

#[test]
fn multi_margin_gradient_with_violated_and_satisfied_margins() {
    // margins 1 − x[y] + x[j]: sample 0: 0.3, 0.4, 0.6; sample 1: −1, −0.5, 0.5
    let logits = array![[0.1, 0.2, 0.4, 0.8], [2.0, 0.0, 0.5, 1.5]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(multi_margin(v[0], &[3, 0], reduction).unwrap(), reduction),
            std::slice::from_ref(&logits),
        );
    }
}

#[test]
fn kl_div_gradient_for_input_and_target() {
    let log_probabilities = array![[-1.4, -0.3], [-0.7, -0.7]].into_dyn();
    let target = array![[0.25, 0.75], [0.5, 0.5]].into_dyn();
    for reduction in REDUCTIONS {
        check(
            |_, v| scalar(kl_div(v[0], v[1], reduction).unwrap(), reduction),
            &[log_probabilities.clone(), target.clone()],
        );
    }
}

#[test]
fn cross_entropy_gradient_in_f32_with_f32_tolerances() {
    let logits = array![[0.2f32, -1.0, 2.0], [1.5, 0.3, -0.7]].into_dyn();
    let report =
        GradCheck::for_f32().check(|_, v| cross_entropy(v[0], &[2, 0], Reduction::Mean).unwrap(), &[logits]);
    assert!(report.passed(), "{report}");
}

/// The second-order check of `f` at `inputs` passes.
fn second<F>(f: F, inputs: &[ArrayD<f64>])
where
    F: for<'t> Fn(&'t Tape<'t, f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let report = GradCheck::new().check_second_order(f, inputs).unwrap();
    assert!(report.passed(), "{report}");
}

/// Issue 13: the fused cross-entropy's recorded backward, and the regression and binary
/// losses (composed of ops with recorded backwards), pass the second-order check in every
/// reduction.
#[test]
fn second_derivatives_of_losses_pass_the_second_order_check() {
    let logits = array![[0.3, -1.2, 0.8], [2.0, 0.7, -0.4]].into_dyn();
    for reduction in REDUCTIONS {
        second(
            |_, v| scalar(cross_entropy(v[0], &[2, 0], reduction).unwrap(), reduction),
            std::slice::from_ref(&logits),
        );
        second(
            |_, v| scalar(mse(v[0], v[1], reduction).unwrap(), reduction),
            &[prediction(), regression_target()],
        );
        second(
            |_, v| {
                scalar(binary_cross_entropy_with_logits(v[0], v[1].sigmoid(), reduction).unwrap(), reduction)
            },
            &[prediction(), regression_target()],
        );
        // On probabilities: log p and log(1 − p) (the latter its own op, ln_1p(−p)).
        second(
            |_, v| {
                scalar(binary_cross_entropy(v[0].sigmoid(), v[1].sigmoid(), reduction).unwrap(), reduction)
            },
            &[prediction(), regression_target()],
        );
    }
}
