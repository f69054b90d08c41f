//! Every loss against values derived by hand (the derivation above each number), in
//! every reduction. Where a line shows a PyTorch call, the number is what PyTorch's
//! documented formula gives for it.

use std::f64::consts::LN_2;

use approx::assert_abs_diff_eq;
use ndarray::array;
use tapegrad_loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs, hinge, huber,
    kl_div, l1, mse, multi_margin, nll, LossError, Reduction,
};
use tapegrad_tape::Tape;

const TOLERANCE: f64 = 1e-12;

#[test]
fn mse_in_every_reduction() -> Result<(), LossError> {
    let tape = Tape::new();
    let prediction = tape.var(array![1.0, 2.0]);
    let target = tape.constant(array![0.0, 0.0]);
    // by PyTorch's documented formula (not run here): torch.nn.functional.mse_loss(torch.tensor([1., 2.]), torch.tensor([0., 0.]))  →  2.5
    // mse([1, 2], [0, 0]) = (1² + 2²) / 2 = 2.5
    assert_eq!(mse(prediction, target, Reduction::Mean)?.item(), 2.5);
    // sum: 1 + 4 = 5
    assert_eq!(mse(prediction, target, Reduction::Sum)?.item(), 5.0);
    // none: [1², 2²]
    assert_eq!(mse(prediction, target, Reduction::None)?.value(), array![1.0, 4.0].into_dyn());
    // ∂/∂x mean((x − y)²) = 2 (x − y) / n = [1, 2]
    let grads = tape.backward(mse(prediction, target, Reduction::Mean)?);
    assert_eq!(grads.get(prediction).unwrap(), array![1.0, 2.0].into_dyn());
    Ok(())
}

#[test]
fn l1_is_the_mean_absolute_error() -> Result<(), LossError> {
    let tape = Tape::new();
    let prediction = tape.var(array![[1.0, -3.0], [0.5, 2.0]]);
    let target = tape.constant(array![[0.0, 0.0], [1.0, 2.0]]);
    // by PyTorch's documented formula (not run here): torch.nn.functional.l1_loss(torch.tensor([[1., -3.], [.5, 2.]]), torch.tensor([[0., 0.], [1., 2.]]))  →  1.125
    // |1| + |−3| + |−0.5| + |0| = 4.5, over 4 elements = 1.125
    assert_eq!(l1(prediction, target, Reduction::Mean)?.item(), 1.125);
    assert_eq!(l1(prediction, target, Reduction::Sum)?.item(), 4.5);
    // batchmean: 4.5 / 2 rows
    assert_eq!(l1(prediction, target, Reduction::BatchMean)?.item(), 2.25);
    // ∂/∂x = sign(x − y) / 4, with sign(0) = 0
    let grads = tape.backward(l1(prediction, target, Reduction::Mean)?);
    assert_eq!(grads.get(prediction).unwrap(), array![[0.25, -0.25], [-0.25, 0.0]].into_dyn());
    Ok(())
}

#[test]
fn huber_is_quadratic_inside_delta_and_linear_outside() -> Result<(), LossError> {
    let tape = Tape::new();
    let prediction = tape.var(array![0.5, 3.0, -3.0]);
    let target = tape.constant(array![0.0, 0.0, 0.0]);
    // δ = 1: ½ · 0.5² = 0.125; 1 · (3 − ½) = 2.5; |−3| gives the same 2.5
    let losses = huber(prediction, target, 1.0, Reduction::None)?;
    assert_eq!(losses.value(), array![0.125, 2.5, 2.5].into_dyn());
    // by PyTorch's documented formula (not run here): torch.nn.functional.huber_loss(torch.tensor([.5, 3., -3.]), torch.zeros(3), delta=1.0)  →  1.7083
    // mean: 5.125 / 3
    assert_abs_diff_eq!(
        huber(prediction, target, 1.0, Reduction::Mean)?.item(),
        5.125 / 3.0,
        epsilon = TOLERANCE
    );
    // δ = 2: ½ · 0.5² = 0.125 inside; 2 · (3 − 1) = 4 on both tails
    let wide = huber(prediction, target, 2.0, Reduction::None)?;
    assert_eq!(wide.value(), array![0.125, 4.0, 4.0].into_dyn());
    // ∂/∂x Σ l = clamp(x − y, −δ, δ) = [0.5, 1, −1]
    let grads = tape.backward(losses.sum());
    assert_eq!(grads.get(prediction).unwrap(), array![0.5, 1.0, -1.0].into_dyn());
    Ok(())
}

#[test]
fn huber_equals_half_mse_when_every_error_is_inside_delta() -> Result<(), LossError> {
    let tape = Tape::new();
    let prediction = tape.var(array![0.3, -0.2, 0.9]);
    let target = tape.constant(array![0.1, 0.1, 0.1]);
    let half_mse = mse(prediction, target, Reduction::Mean)?.item() / 2.0;
    assert_abs_diff_eq!(
        huber(prediction, target, 1.0, Reduction::Mean)?.item(),
        half_mse,
        epsilon = TOLERANCE
    );
    Ok(())
}

#[test]
fn binary_cross_entropy_on_probabilities() -> Result<(), LossError> {
    let tape = Tape::new();
    let probabilities = tape.var(array![0.5, 0.8]);
    let target = tape.constant(array![1.0, 0.0]);
    // −[1 · log 0.5] = ln 2 = 0.693147…; −[1 · log(1 − 0.8)] = −ln 0.2 = 1.609438…
    let losses = binary_cross_entropy(probabilities, target, Reduction::None)?;
    assert_abs_diff_eq!(losses.value(), array![LN_2, 1.6094379124341003].into_dyn(), epsilon = TOLERANCE);
    // by PyTorch's documented formula (not run here): torch.nn.functional.binary_cross_entropy(torch.tensor([.5, .8]), torch.tensor([1., 0.]))  →  1.1513
    // mean: (0.693147 + 1.609438) / 2
    let mean = binary_cross_entropy(probabilities, target, Reduction::Mean)?;
    assert_abs_diff_eq!(mean.item(), 1.1512925464970227, epsilon = TOLERANCE);
    // ∂l/∂p = (p − y) / (p (1 − p)) / n = [(−0.5 / 0.25) / 2, (0.8 / 0.16) / 2] = [−1, 2.5]
    let grads = tape.backward(mean);
    assert_abs_diff_eq!(grads.get(probabilities).unwrap(), array![-1.0, 2.5].into_dyn(), epsilon = TOLERANCE);
    Ok(())
}

#[test]
fn binary_cross_entropy_clamps_each_log_at_minus_100() -> Result<(), LossError> {
    let tape = Tape::new();
    let probabilities = tape.var(array![0.0, 1.0, 0.0, 1.0]);
    let target = tape.constant(array![1.0, 0.0, 0.0, 1.0]);
    // by PyTorch's documented formula (not run here): torch.nn.functional.binary_cross_entropy(torch.tensor([0.]), torch.tensor([1.]))  →  100.
    // −log 0 and −log(1 − 1) are clamped to 100; a confident right answer costs 0
    let losses = binary_cross_entropy(probabilities, target, Reduction::None)?;
    assert_eq!(losses.value(), array![100.0, 100.0, 0.0, 0.0].into_dyn());
    Ok(())
}

#[test]
fn binary_cross_entropy_with_logits_matches_the_probability_form() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![0.0, 2.0]);
    let target = tape.constant(array![1.0, 0.0]);
    // softplus(0) − 0 = ln 2; softplus(2) − 0 = ln(1 + e²) = 2.126928…
    let losses = binary_cross_entropy_with_logits(logits, target, Reduction::None)?;
    assert_abs_diff_eq!(losses.value(), array![LN_2, 2.1269280110429727].into_dyn(), epsilon = TOLERANCE);
    // by PyTorch's documented formula (not run here): torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([0., 2.]), torch.tensor([1., 0.]))  →  1.4100
    let mean = binary_cross_entropy_with_logits(logits, target, Reduction::Mean)?;
    assert_abs_diff_eq!(mean.item(), 1.410037595801459, epsilon = TOLERANCE);
    // the same as BCE on σ(x)
    let on_probabilities = binary_cross_entropy(logits.sigmoid(), target, Reduction::Mean)?;
    assert_abs_diff_eq!(mean.item(), on_probabilities.item(), epsilon = TOLERANCE);
    // ∂/∂x = (σ(x) − y) / n = [(0.5 − 1) / 2, σ(2) / 2] = [−0.25, 0.440399…]
    let grads = tape.backward(mean);
    assert_abs_diff_eq!(
        grads.get(logits).unwrap(),
        array![-0.25, 0.44039853898894116].into_dyn(),
        epsilon = TOLERANCE
    );
    Ok(())
}

#[test]
fn cross_entropy_from_logits_and_labels() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]);
    // sample 0: log(e¹ + e² + e³) − 3 = 0.407606…; sample 1: log 3 = 1.098612… (uniform)
    let losses = cross_entropy(logits, &[2, 0], Reduction::None)?;
    assert_abs_diff_eq!(
        losses.value(),
        array![0.40760596444438013, 1.0986122886681098].into_dyn(),
        epsilon = TOLERANCE
    );
    // by PyTorch's documented formula (not run here): torch.nn.functional.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([2]))  →  0.4076
    let single = cross_entropy(logits.slice_axis(0, 0..1), &[2], Reduction::Mean)?;
    assert_abs_diff_eq!(single.item(), 0.40760596444438013, epsilon = TOLERANCE);
    // mean over the batch: (0.407606 + 1.098612) / 2; BatchMean is the same here
    let mean = cross_entropy(logits, &[2, 0], Reduction::Mean)?;
    assert_abs_diff_eq!(mean.item(), 0.753109126556245, epsilon = TOLERANCE);
    assert_abs_diff_eq!(cross_entropy(logits, &[2, 0], Reduction::BatchMean)?.item(), mean.item());
    assert_abs_diff_eq!(
        cross_entropy(logits, &[2, 0], Reduction::Sum)?.item(),
        1.5062182531124898,
        epsilon = TOLERANCE
    );
    // ∂/∂x = (softmax(x) − onehot(y)) / 2, softmax([1, 2, 3]) = [0.090031, 0.244728, 0.665241]
    let grads = tape.backward(mean);
    let expected = array![
        [0.09003057317038046 / 2.0, 0.24472847105479767 / 2.0, (0.6652409557748219 - 1.0) / 2.0],
        [(1.0 / 3.0) / 2.0 - 0.5, (1.0 / 3.0) / 2.0, (1.0 / 3.0) / 2.0],
    ];
    assert_abs_diff_eq!(grads.get(logits).unwrap(), expected.into_dyn(), epsilon = TOLERANCE);
    Ok(())
}

#[test]
fn cross_entropy_with_one_hot_targets_equals_the_label_form() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]);
    let one_hot = tape.constant(array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    let from_probs = cross_entropy_probs(logits, one_hot, Reduction::Mean)?;
    // the same 0.753109… as cross_entropy(logits, [2, 0])
    assert_abs_diff_eq!(from_probs.item(), 0.753109126556245, epsilon = TOLERANCE);
    Ok(())
}

#[test]
fn cross_entropy_with_soft_targets() -> Result<(), LossError> {
    let tape = Tape::new();
    // softmax([0, ln 3]) = [¼, ¾]
    let logits = tape.var(array![[0.0, 3f64.ln()]]);
    let target = tape.constant(array![[0.5, 0.5]]);
    // by PyTorch's documented formula (not run here): torch.nn.functional.cross_entropy(torch.tensor([[0., math.log(3)]]), torch.tensor([[.5, .5]]))  →  0.8370
    // −(½ log ¼ + ½ log ¾) = ½ log(16/3) = 0.836988…
    let loss = cross_entropy_probs(logits, target, Reduction::Mean)?;
    assert_abs_diff_eq!(loss.item(), 0.8369882167858358, epsilon = TOLERANCE);
    // ∂/∂x = softmax(x) − t = [¼ − ½, ¾ − ½]
    let grads = tape.backward(loss);
    assert_abs_diff_eq!(grads.get(logits).unwrap(), array![[-0.25, 0.25]].into_dyn(), epsilon = TOLERANCE);
    Ok(())
}

#[test]
fn nll_picks_minus_the_labelled_log_probability() -> Result<(), LossError> {
    let tape = Tape::new();
    let log_probabilities = tape.var(array![[-1.2, -0.5, -2.0], [-0.1, -3.0, -4.0]]);
    // by PyTorch's documented formula (not run here): torch.nn.functional.nll_loss(torch.tensor([[-1.2, -.5, -2.], [-.1, -3., -4.]]), torch.tensor([1, 0]))  →  0.3
    // −(−0.5) and −(−0.1): mean 0.3, sum 0.6
    assert_eq!(nll(log_probabilities, &[1, 0], Reduction::None)?.value(), array![0.5, 0.1].into_dyn());
    assert_abs_diff_eq!(nll(log_probabilities, &[1, 0], Reduction::Mean)?.item(), 0.3, epsilon = TOLERANCE);
    assert_abs_diff_eq!(nll(log_probabilities, &[1, 0], Reduction::Sum)?.item(), 0.6, epsilon = TOLERANCE);
    // cross_entropy is nll after log_softmax
    let logits = tape.var(array![[1.0, 2.0, 3.0]]);
    let via_nll = nll(logits.log_softmax(1), &[2], Reduction::Mean)?;
    assert_abs_diff_eq!(via_nll.item(), cross_entropy(logits, &[2], Reduction::Mean)?.item());
    Ok(())
}

#[test]
fn hinge_penalises_scores_inside_the_margin() -> Result<(), LossError> {
    let tape = Tape::new();
    let scores = tape.var(array![0.5, -2.0, 3.0, 2.0]);
    let labels = tape.constant(array![1.0, 1.0, -1.0, 1.0]);
    // max(0, 1 − 0.5) = 0.5; max(0, 1 + 2) = 3; max(0, 1 + 3) = 4; max(0, 1 − 2) = 0
    assert_eq!(hinge(scores, labels, Reduction::None)?.value(), array![0.5, 3.0, 4.0, 0.0].into_dyn());
    // mean: 7.5 / 4
    let mean = hinge(scores, labels, Reduction::Mean)?;
    assert_eq!(mean.item(), 1.875);
    // ∂/∂s = −y / n where the margin is violated: [−¼, −¼, ¼, 0]
    let grads = tape.backward(mean);
    assert_eq!(grads.get(scores).unwrap(), array![-0.25, -0.25, 0.25, 0.0].into_dyn());
    Ok(())
}

#[test]
fn multi_margin_follows_pytorchs_documented_example() -> Result<(), LossError> {
    let tape = Tape::new();
    let logits = tape.var(array![[0.1, 0.2, 0.4, 0.8], [2.0, 0.0, 0.5, 1.5]]);
    // From PyTorch's MultiMarginLoss documentation example: torch.nn.MultiMarginLoss()(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))  →  0.3250
    // sample 0, label 3: ((1 − 0.8 + 0.1) + (1 − 0.8 + 0.2) + (1 − 0.8 + 0.4)) / 4 = 1.3 / 4
    // sample 1, label 0: (max(0, 1 − 2 + 0) + max(0, 1 − 2 + 0.5) + max(0, 1 − 2 + 1.5)) / 4 = 0.5 / 4
    let losses = multi_margin(logits, &[3, 0], Reduction::None)?;
    assert_abs_diff_eq!(losses.value(), array![0.325, 0.125].into_dyn(), epsilon = TOLERANCE);
    assert_abs_diff_eq!(multi_margin(logits, &[3, 0], Reduction::Mean)?.item(), 0.225, epsilon = TOLERANCE);
    // per violated margin: +1/C at class j, −1/C at the label; then / 2 for the mean
    let grads = tape.backward(multi_margin(logits, &[3, 0], Reduction::Sum)?);
    let expected = array![[0.25, 0.25, 0.25, -0.75], [-0.25, 0.0, 0.0, 0.25]];
    assert_eq!(grads.get(logits).unwrap(), expected.into_dyn());
    Ok(())
}

#[test]
fn kl_div_reductions_follow_pytorch() -> Result<(), LossError> {
    let tape = Tape::new();
    let log_q = tape.var(array![[0.25f64.ln(), 0.75f64.ln()], [0.5f64.ln(), 0.5f64.ln()]]);
    let p = tape.constant(array![[0.5, 0.5], [0.5, 0.5]]);
    // pointwise t (log t − x): ½ ln(½/¼) = 0.346574…, ½ ln(½/¾) = −0.202733…; row 1 is 0
    let pointwise = kl_div(log_q, p, Reduction::None)?;
    let expected = array![[0.34657359027997264, -0.20273255405408222], [0.0, 0.0]];
    assert_abs_diff_eq!(pointwise.value(), expected.into_dyn(), epsilon = TOLERANCE);
    // sum = KL(p₀ ‖ q₀) = 0.143841…
    assert_abs_diff_eq!(kl_div(log_q, p, Reduction::Sum)?.item(), 0.14384103622589042, epsilon = TOLERANCE);
    // by PyTorch's documented formula (not run here): torch.nn.functional.kl_div(log_q, p, reduction='batchmean')  →  0.0719 (sum / 2 samples)
    assert_abs_diff_eq!(
        kl_div(log_q, p, Reduction::BatchMean)?.item(),
        0.07192051811294521,
        epsilon = TOLERANCE
    );
    // by PyTorch's documented formula (not run here): torch.nn.functional.kl_div(log_q, p, reduction='mean')  →  0.0360 (sum / 4 elements)
    assert_abs_diff_eq!(kl_div(log_q, p, Reduction::Mean)?.item(), 0.035960259056472606, epsilon = TOLERANCE);
    Ok(())
}

#[test]
fn kl_div_takes_zero_log_zero_as_zero() -> Result<(), LossError> {
    let tape = Tape::new();
    let log_q = tape.var(array![[0.5f64.ln(), 0.5f64.ln()]]);
    let p = tape.var(array![[1.0, 0.0]]);
    // 1 · (ln 1 − ln ½) + 0 · (…) = ln 2
    let loss = kl_div(log_q, p, Reduction::Sum)?;
    assert_abs_diff_eq!(loss.item(), 2f64.ln(), epsilon = TOLERANCE);
    let grads = tape.backward(loss);
    // ∂/∂x = −t; the target's gradient log t + 1 − x is finite even at t = 0
    assert_eq!(grads.get(log_q).unwrap(), array![[-1.0, 0.0]].into_dyn());
    assert!(grads.get(p).unwrap().iter().all(|g| g.is_finite()));
    Ok(())
}

#[test]
fn losses_work_in_f32() -> Result<(), LossError> {
    let tape = Tape::<f32>::new();
    let logits = tape.var(array![[1.0f32, 2.0, 3.0]]);
    // the same 0.407606 as in f64, to f32 precision
    let loss = cross_entropy(logits, &[2], Reduction::Mean)?;
    assert_abs_diff_eq!(loss.item(), 0.40760597f32, epsilon = 1e-6);
    let prediction = tape.var(array![1.0f32, 2.0]);
    assert_eq!(mse(prediction, tape.constant(array![0.0f32, 0.0]), Reduction::Mean)?.item(), 2.5f32);
    Ok(())
}

#[test]
fn reduction_defaults_to_mean() {
    assert_eq!(Reduction::default(), Reduction::Mean);
}
