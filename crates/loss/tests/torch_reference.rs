//! Every loss against PyTorch's own values and gradients, from torch run in float64 by
//! `tests/data/generate_torch_losses.py` (see `tests/data/README.md`): each loss in each
//! reduction (`None`, `Mean`, `Sum`, `BatchMean`), on seeded random inputs and on extreme
//! ones, with the gradients with respect to the input and, where it is a tensor, the target.
//!
//! Each PyTorch call sits next to the tapegrad call it maps to; the string is the one the
//! data was generated from, and the test fails if the two drift apart. Where tapegrad
//! differs from PyTorch by design, the comparison leaves those elements out and checks
//! tapegrad's documented behaviour there instead (BCE's gradients next to probabilities of
//! 0 and 1, KL's target gradient at a zero target).

#[rustfmt::skip]
#[allow(clippy::approx_constant)] // ln 2 appears as a value, as PyTorch computed it
#[path = "data/torch_losses.rs"]
mod torch_losses;

use ndarray::{ArrayD, IxDyn};
use tapegrad_loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, hinge, huber,
    kl_div, l1, mse, multi_margin, nll, LossError, Reduction,
};
use tapegrad_tape::{Tape, Var};

use torch_losses::{LossCase, Reduced, Tensor, CASES, SOURCE};

/// `|actual − expected| ≤ REL · max(|actual|, |expected|) + ABS` for every element.
const REL: f64 = 1e-12;
/// For values that are 0 in exact arithmetic and come out as rounding residue: a
/// difference of nearly equal terms of size up to 1000 (the extreme logits) is off by a
/// few 1e-14 at most.
const ABS: f64 = 1e-15;

fn array(tensor: &Tensor) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(tensor.shape), tensor.data.to_vec()).unwrap()
}

/// Which elements of a gradient to leave out of the comparison with PyTorch (each case
/// says why, and checks tapegrad there itself).
type Skip<'a> = &'a dyn Fn(usize) -> bool;

fn nothing(_: usize) -> bool {
    false
}

const NOTHING: Skip<'static> = &nothing;

#[track_caller]
fn assert_close(actual: &[f64], expected: &[f64], skip: Skip<'_>, context: &str) {
    assert_eq!(actual.len(), expected.len(), "{context}: lengths differ");
    for (index, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        if skip(index) {
            continue;
        }
        let same = a == e || (a - e).abs() <= REL * a.abs().max(e.abs()) + ABS;
        assert!(
            same,
            "{context}: element {index}: got {a:e}, expected {e:e} (difference {:e})\n got      {actual:?}\n expected {expected:?}",
            (a - e).abs()
        );
    }
}

/// Runs `loss` in every reduction on the case's input and target (or labels) and compares
/// the value and the gradients with PyTorch's; `torch` is the `reduction='none'` call.
fn check<F>(case: &LossCase, torch: &str, loss: F, skip_input: Skip<'_>, skip_target: Skip<'_>)
where
    F: for<'t> Fn(Var<'t, f64>, Var<'t, f64>, &[usize], Reduction) -> Result<Var<'t, f64>, LossError>,
{
    assert_eq!(case.none.torch, torch, "the data was generated from another call");
    let reductions: [(Reduction, &Reduced); 4] = [
        (Reduction::None, &case.none),
        (Reduction::Mean, &case.mean),
        (Reduction::Sum, &case.sum),
        (Reduction::BatchMean, &case.batch_mean),
    ];
    for (reduction, expected) in reductions {
        let context = format!("{} ({SOURCE}) as {reduction:?}", expected.torch);
        let tape = Tape::new();
        let input = tape.var(array(&case.input));
        let has_target = !case.target.data.is_empty();
        // Labels instead: an empty target, which the loss ignores.
        let target = tape.var(if has_target { array(&case.target) } else { ArrayD::zeros(IxDyn(&[0])) });
        let value = loss(input, target, case.labels, reduction).unwrap();
        assert_eq!(value.shape(), expected.value.shape, "{context}: shape");
        let value_array = value.value();
        assert_close(
            value_array.as_slice().unwrap(),
            expected.value.data,
            NOTHING,
            &format!("{context}: value"),
        );

        let total = match reduction {
            Reduction::None => (value * tape.constant(array(&case.dy))).sum(),
            _ => value,
        };
        let grads = tape.backward(total);
        let grad_input = grads.get(input).unwrap();
        assert_close(
            grad_input.as_slice().unwrap(),
            expected.grad_input,
            skip_input,
            &format!("{context}: d/dinput"),
        );
        if has_target {
            let grad_target = grads.get(target).unwrap();
            let context = format!("{context}: d/dtarget");
            assert_close(grad_target.as_slice().unwrap(), expected.grad_target, skip_target, &context);
        } else {
            assert!(expected.grad_target.is_empty());
        }
    }
}

#[test]
fn every_case_is_tested() {
    // The cases the tests below read, in the data's order: a new case must get a test.
    let tested = [
        "MSE",
        "L1",
        "HUBER_DELTA_0_5",
        "HUBER_DELTA_1",
        "HUBER_DELTA_2",
        "BCE",
        "BCE_EXTREME",
        "BCE_WITH_LOGITS",
        "BCE_WITH_LOGITS_EXTREME",
        "CROSS_ENTROPY",
        "CROSS_ENTROPY_EXTREME",
        "CROSS_ENTROPY_PROBS",
        "CROSS_ENTROPY_PROBS_EXTREME",
        "NLL",
        "HINGE",
        "MULTI_MARGIN",
        "KL_DIV",
    ];
    assert_eq!(CASES.map(|(name, _)| name), tested);
}

#[test]
fn mse_matches_pytorch() {
    let torch = "torch.nn.functional.mse_loss(input, target, reduction='none')";
    check(&torch_losses::MSE, torch, |x, t, _, r| mse(x, t, r), NOTHING, NOTHING);
}

#[test]
fn l1_matches_pytorch() {
    // Two errors of exactly 0: sign(0) = 0 in both.
    let torch = "torch.nn.functional.l1_loss(input, target, reduction='none')";
    check(&torch_losses::L1, torch, |x, t, _, r| l1(x, t, r), NOTHING, NOTHING);
}

#[test]
fn huber_matches_pytorch_for_each_delta() {
    // Errors of exactly ±δ and 0 in each: the gradient is continuous there, clamp(d, −δ, δ).
    for (case, delta) in [
        (&torch_losses::HUBER_DELTA_0_5, 0.5),
        (&torch_losses::HUBER_DELTA_1, 1.0),
        (&torch_losses::HUBER_DELTA_2, 2.0),
    ] {
        let torch =
            format!("torch.nn.functional.huber_loss(input, target, reduction='none', delta={delta:?})");
        check(case, &torch, |x, t, _, r| huber(x, t, delta, r), NOTHING, NOTHING);
    }
}

#[test]
fn binary_cross_entropy_matches_pytorch() {
    let torch = "torch.nn.functional.binary_cross_entropy(input, target, reduction='none')";
    check(&torch_losses::BCE, torch, |p, y, _, r| binary_cross_entropy(p, y, r), NOTHING, NOTHING);
}

/// Whether BCE clamps `log v` (to −100): below the smallest normal float, or where the log
/// is below −100.
fn log_clamped(v: f64) -> bool {
    v < f64::MIN_POSITIVE || v.ln() < -100.0
}

/// BCE's `max(log v, −100)`.
fn clamped_log(v: f64) -> f64 {
    if log_clamped(v) {
        -100.0
    } else {
        v.ln()
    }
}

/// `∂l/∂p` of tapegrad's BCE as its doc gives it: the exact derivative of the clamped
/// formula, `−y/p + (1 − y)/(1 − p)`, with each term 0 where its log is clamped.
fn tapegrad_bce_derivative(p: f64, y: f64) -> f64 {
    let from_log_p = if log_clamped(p) { 0.0 } else { -y / p };
    let from_log_not_p = if log_clamped(1.0 - p) { 0.0 } else { (1.0 - y) / (1.0 - p) };
    from_log_p + from_log_not_p
}

#[test]
fn binary_cross_entropy_matches_pytorch_at_probabilities_near_0_and_1() {
    // The values agree everywhere, clamped logs included (−100). Two gradients differ by
    // design, and are checked against tapegrad's documented behaviour instead:
    // - d/dp where p(1 − p) < 1e-12: PyTorch's hand-written backward divides by
    //   max(p(1 − p), 1e-12); tapegrad's is the exact derivative of the clamped formula
    //   (0 through a clamped log);
    // - d/dy where a log is clamped (p < e⁻¹⁰⁰ or 1 − p < e⁻¹⁰⁰): PyTorch's is
    //   log(1 − p) − log p with unclamped logs (±∞ at p = 0 or 1, −log 1e-50 = 115 at
    //   p = 1e-50); tapegrad's is the exact derivative of its clamped value, the difference
    //   of the clamped logs (finite, 100 at p = 1e-50).
    let case = &torch_losses::BCE_EXTREME;
    let (p, y) = (case.input.data, case.target.data);
    let floored_by_pytorch = |i: usize| p[i] * (1.0 - p[i]) < 1e-12;
    let a_log_clamped = |i: usize| log_clamped(p[i]) || log_clamped(1.0 - p[i]);
    assert!((0..p.len()).any(floored_by_pytorch) && (0..p.len()).any(a_log_clamped));
    let torch = "torch.nn.functional.binary_cross_entropy(input, target, reduction='none')";
    check(case, torch, |p, y, _, r| binary_cross_entropy(p, y, r), &floored_by_pytorch, &a_log_clamped);

    let tape = Tape::new();
    let (probabilities, target) = (tape.var(array(&case.input)), tape.var(array(&case.target)));
    // The unreduced values to full relative precision, with no absolute slack: at p = 1e-6
    // and 1e-300 with y = 0 the loss is −log(1 − p) ≈ p, which needs ln_1p(−p).
    let losses = binary_cross_entropy(probabilities, target, Reduction::None).unwrap().value();
    for (i, (&a, &e)) in losses.iter().zip(case.none.value.data).enumerate() {
        assert!(
            a == e || (a - e).abs() <= REL * a.abs().max(e.abs()),
            "loss at p = {:e}: {a:e}, not {e:e}",
            p[i]
        );
    }
    let grads = tape.backward(binary_cross_entropy(probabilities, target, Reduction::Sum).unwrap());
    let (grad_p, grad_y) = (grads.get(probabilities).unwrap(), grads.get(target).unwrap());
    for i in (0..p.len()).filter(|&i| floored_by_pytorch(i)) {
        let expected = tapegrad_bce_derivative(p[i], y[i]);
        assert_close(
            &[grad_p.as_slice().unwrap()[i]],
            &[expected],
            NOTHING,
            &format!("d/dp at p = {:e}", p[i]),
        );
    }
    for i in (0..p.len()).filter(|&i| a_log_clamped(i)) {
        let expected = clamped_log(1.0 - p[i]) - clamped_log(p[i]);
        assert_eq!(grad_y.as_slice().unwrap()[i], expected, "d/dy at p = {:e}", p[i]);
    }
}

#[test]
fn binary_cross_entropy_with_logits_matches_pytorch() {
    let torch = "torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction='none')";
    let case = &torch_losses::BCE_WITH_LOGITS;
    check(case, torch, |x, y, _, r| binary_cross_entropy_with_logits(x, y, r), NOTHING, NOTHING);
}

#[test]
fn binary_cross_entropy_with_logits_matches_pytorch_at_extreme_logits() {
    // Logits from −1000 to 1000.
    let torch = "torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction='none')";
    let case = &torch_losses::BCE_WITH_LOGITS_EXTREME;
    check(case, torch, |x, y, _, r| binary_cross_entropy_with_logits(x, y, r), NOTHING, NOTHING);
}

#[test]
fn cross_entropy_matches_pytorch() {
    let torch = "torch.nn.functional.cross_entropy(input, labels, reduction='none')";
    check(
        &torch_losses::CROSS_ENTROPY,
        torch,
        |x, _, labels, r| cross_entropy(x, labels, r),
        NOTHING,
        NOTHING,
    );
}

#[test]
fn cross_entropy_matches_pytorch_at_extreme_logits() {
    // Logits of ±1000 and ±1e4, a row of equal logits and a −∞ logit away from the label.
    let torch = "torch.nn.functional.cross_entropy(input, labels, reduction='none')";
    let case = &torch_losses::CROSS_ENTROPY_EXTREME;
    check(case, torch, |x, _, labels, r| cross_entropy(x, labels, r), NOTHING, NOTHING);
}

#[test]
fn cross_entropy_probs_matches_pytorch() {
    // Soft targets, a one-hot row and a row summing to 1.5; the target's gradient too.
    let torch = "torch.nn.functional.cross_entropy(input, target, reduction='none')";
    check(
        &torch_losses::CROSS_ENTROPY_PROBS,
        torch,
        |x, t, _, r| cross_entropy_probs(x, t, r),
        NOTHING,
        NOTHING,
    );
}

#[test]
fn cross_entropy_probs_matches_pytorch_at_extreme_logits() {
    let torch = "torch.nn.functional.cross_entropy(input, target, reduction='none')";
    let case = &torch_losses::CROSS_ENTROPY_PROBS_EXTREME;
    check(case, torch, |x, t, _, r| cross_entropy_probs(x, t, r), NOTHING, NOTHING);
}

#[test]
fn nll_matches_pytorch() {
    let torch = "torch.nn.functional.nll_loss(input, labels, reduction='none')";
    check(&torch_losses::NLL, torch, |x, _, labels, r| nll(x, labels, r), NOTHING, NOTHING);
}

#[test]
fn hinge_matches_pytorchs_autograd_of_its_formula() {
    // Not a torch loss: the reference is torch's relu(1 − y·s), reduced by torch. Two
    // margins are exactly 1 (y·s = 1), where both take relu's derivative at 0 as 0.
    let torch = "torch.relu(1 - target * input)";
    check(&torch_losses::HINGE, torch, |s, y, _, r| hinge(s, y, r), NOTHING, NOTHING);
}

#[test]
fn multi_margin_matches_pytorch() {
    // One margin is exactly 0: no gradient through it in either.
    let torch = "torch.nn.functional.multi_margin_loss(input, labels, reduction='none')";
    check(&torch_losses::MULTI_MARGIN, torch, |x, _, labels, r| multi_margin(x, labels, r), NOTHING, NOTHING);
}

#[test]
fn kl_div_matches_pytorch() {
    // PyTorch's 'batchmean' is `Reduction::BatchMean`. The target has zeros, where both
    // take 0 · log 0 = 0. There PyTorch's target gradient is NaN (xlogy's t / t); tapegrad's
    // is finite, log(smallest normal) − x (the floored log's derivative, times t = 0,
    // vanishes): those elements are checked apart.
    let case = &torch_losses::KL_DIV;
    let zero_target = |i: usize| case.target.data[i] == 0.0;
    assert!((0..case.target.data.len()).any(zero_target));
    let torch = "torch.nn.functional.kl_div(input, target, reduction='none')";
    check(case, torch, |x, t, _, r| kl_div(x, t, r), NOTHING, &zero_target);

    let tape = Tape::new();
    let (log_q, p) = (tape.var(array(&case.input)), tape.var(array(&case.target)));
    let grads = tape.backward(kl_div(log_q, p, Reduction::Sum).unwrap());
    let grad_p = grads.get(p).unwrap();
    for i in (0..case.target.data.len()).filter(|&i| zero_target(i)) {
        let expected = f64::MIN_POSITIVE.ln() - case.input.data[i];
        assert_close(
            &[grad_p.as_slice().unwrap()[i]],
            &[expected],
            NOTHING,
            &format!("d/dtarget at element {i}"),
        );
    }
}
