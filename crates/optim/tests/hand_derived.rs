//! Two steps of each optimizer setting that PyTorch's trajectories do not cover, derived
//! by hand from torch.optim's documented algorithm. Most run on
//! `f(θ) = ½‖θ − t‖²`, whose gradient is `θ − t`; `√` values are left as formulas.

use ndarray::{array, Array1};
use tapegrad_optim::{Adagrad, Adam, AdamW, NamedParam, Optimizer, RmsProp, Sgd};

use crate::common::assert_close;

/// Two steps on f(θ) = ½‖θ − target‖² from `theta`; returns θ after each step.
fn two_steps(
    optimizer: &mut dyn Optimizer<f64>,
    mut theta: Array1<f64>,
    target: &Array1<f64>,
) -> (Array1<f64>, Array1<f64>) {
    let mut after = Vec::new();
    for _ in 0..2 {
        let grad = &theta - target;
        let _report = optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &grad)]).unwrap();
        after.push(theta.clone());
    }
    (after[0].clone(), after[1].clone())
}

/// Two steps with the given (recorded) gradients.
fn two_fed_steps(
    optimizer: &mut dyn Optimizer<f64>,
    mut theta: Array1<f64>,
    grads: [Array1<f64>; 2],
) -> (Array1<f64>, Array1<f64>) {
    let mut after = Vec::new();
    for grad in grads {
        let _report = optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &grad)]).unwrap();
        after.push(theta.clone());
    }
    (after[0].clone(), after[1].clone())
}

const TIGHT: f64 = 1e-14;

#[test]
fn sgd_nesterov() {
    // SGD(lr=0.1, momentum=0.9, nesterov=True) on ½‖θ‖² (g = θ) from θ₀ = [1, −2]:
    // step 1: b = g = θ₀; g + μb = 1.9θ₀;             θ₁ = θ₀ − 0.19θ₀ = 0.81θ₀
    // step 2: g = 0.81θ₀; b = 0.9θ₀ + 0.81θ₀ = 1.71θ₀; g + μb = 0.81θ₀ + 1.539θ₀ = 2.349θ₀
    //         θ₂ = 0.81θ₀ − 0.2349θ₀ = 0.5751θ₀
    let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.9).nesterov(true).build().unwrap();
    let (theta1, theta2) = two_steps(&mut sgd, array![1.0, -2.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![0.81, -1.62], TIGHT, "step 1");
    assert_close(&theta2, &array![0.5751, -1.1502], TIGHT, "step 2");
    assert_close(
        sgd.state("theta").unwrap().momentum_buffer.as_ref().unwrap(),
        &array![1.71, -3.42],
        TIGHT,
        "b",
    );
}

#[test]
fn sgd_dampening_spares_the_first_gradient() {
    // SGD(lr=0.1, momentum=0.9, dampening=0.5) on ½‖θ‖² from θ₀ = [1, −2]:
    // step 1: b = g = θ₀ (no dampening on the first step); θ₁ = θ₀ − 0.1θ₀ = 0.9θ₀
    // step 2: b = 0.9θ₀ + (1 − 0.5)·0.9θ₀ = 1.35θ₀;        θ₂ = 0.9θ₀ − 0.135θ₀ = 0.765θ₀
    let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.9).dampening(0.5).build().unwrap();
    let (theta1, theta2) = two_steps(&mut sgd, array![1.0, -2.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![0.9, -1.8], TIGHT, "step 1");
    assert_close(&theta2, &array![0.765, -1.53], TIGHT, "step 2");
}

#[test]
fn sgd_weight_decay_without_and_with_momentum() {
    // SGD(lr=0.1, weight_decay=0.5) on ½‖θ‖²: g = θ + 0.5θ = 1.5θ, so θ ← 0.85θ each step.
    let mut sgd = Sgd::builder().learning_rate(0.1).weight_decay(0.5).build().unwrap();
    let (theta1, theta2) = two_steps(&mut sgd, array![1.0, -2.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![0.85, -1.7], TIGHT, "plain, step 1");
    assert_close(&theta2, &array![0.7225, -1.445], TIGHT, "plain, step 2");

    // SGD(lr=0.1, momentum=0.5, weight_decay=1): g = 2θ, and the decayed gradient enters b.
    // step 1: b = 2θ₀;                        θ₁ = θ₀ − 0.2θ₀ = 0.8θ₀
    // step 2: g = 1.6θ₀; b = θ₀ + 1.6θ₀ = 2.6θ₀; θ₂ = 0.8θ₀ − 0.26θ₀ = 0.54θ₀
    let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.5).weight_decay(1.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut sgd, array![1.0, -2.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![0.8, -1.6], TIGHT, "momentum, step 1");
    assert_close(&theta2, &array![0.54, -1.08], TIGHT, "momentum, step 2");
}

#[test]
fn adagrad_accumulates_squared_gradients() {
    // Adagrad(lr=1, eps=0) on ½‖θ‖² from θ₀ = [3, −4]:
    // step 1: s = [9, 16];          θ₁ = θ₀ − θ₀/√s = [3 − 1, −4 + 1] = [2, −3]
    // step 2: g = [2, −3]; s = [13, 25]; θ₂ = [2 − 2/√13, −3 + 3/5]
    let mut adagrad = Adagrad::builder().learning_rate(1.0).eps(0.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adagrad, array![3.0, -4.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![2.0, -3.0], TIGHT, "step 1");
    assert_close(&theta2, &array![2.0 - 2.0 / 13f64.sqrt(), -2.4], TIGHT, "step 2");
    let state = adagrad.state("theta").unwrap();
    assert_eq!((state.step, &state.sum), (2, &array![13.0, 25.0].into_dyn()));
}

#[test]
fn adagrad_learning_rate_decay_and_initial_accumulator() {
    // Adagrad(lr=1, lr_decay=1, eps=0): step 2 uses γ̃ = 1 / (1 + (2 − 1)·1) = 0.5, so
    // θ₂ = [2 − 0.5·2/√13, −3 + 0.5·3/5] (step 1 as above: γ̃ = 1).
    let mut adagrad = Adagrad::builder().learning_rate(1.0).lr_decay(1.0).eps(0.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adagrad, array![3.0, -4.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![2.0, -3.0], TIGHT, "decay, step 1");
    assert_close(&theta2, &array![2.0 - 1.0 / 13f64.sqrt(), -2.7], TIGHT, "decay, step 2");

    // Adagrad(lr=1, initial_accumulator_value=16, eps=0) from θ₀ = [3, −4]:
    // step 1: s = [25, 32]; θ₁ = [3 − 3/5, −4 + 4/√32] = [2.4, −4 + 1/√2]
    // step 2: s = [25 + 2.4², 32 + θ₁[1]²]; θ₂ = θ₁ − θ₁/√s
    let mut adagrad =
        Adagrad::builder().learning_rate(1.0).initial_accumulator_value(16.0).eps(0.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adagrad, array![3.0, -4.0], &array![0.0, 0.0]);
    let second = -4.0 + 1.0 / 2f64.sqrt();
    assert_close(&theta1, &array![2.4, second], TIGHT, "accumulator, step 1");
    let expected = array![2.4 - 2.4 / 30.76f64.sqrt(), second - second / (32.0 + second * second).sqrt()];
    assert_close(&theta2, &expected, TIGHT, "accumulator, step 2");
}

#[test]
fn adagrad_weight_decay() {
    // Adagrad(lr=1, weight_decay=0.5, eps=0) on ½‖θ − t‖², t = [1, 1], θ₀ = [3, −1]:
    // step 1: g = (θ₀ − t) + 0.5θ₀ = [2 + 1.5, −2 − 0.5] = [3.5, −2.5]; s = g²;
    //         θ₁ = θ₀ − g/|g| = [2, 0]
    // step 2: g = [1 + 1, −1 + 0] = [2, −1]; s = [12.25 + 4, 6.25 + 1]; θ₂ = [2 − 2/√16.25, 1/√7.25]
    let mut adagrad = Adagrad::builder().learning_rate(1.0).weight_decay(0.5).eps(0.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adagrad, array![3.0, -1.0], &array![1.0, 1.0]);
    assert_close(&theta1, &array![2.0, 0.0], TIGHT, "step 1");
    assert_close(&theta2, &array![2.0 - 2.0 / 16.25f64.sqrt(), 1.0 / 7.25f64.sqrt()], TIGHT, "step 2");
}

#[test]
fn rmsprop_plain() {
    // RMSprop(lr=0.1, alpha=0.5, eps=0) on ½‖θ‖² from θ₀ = [1, −2]:
    // step 1: v = 0.5g², so g/√v = √2·sign(g): θ₁ = θ₀ − 0.1√2·sign(θ₀) = a, a = [1 − 0.1√2, −2 + 0.1√2]
    // step 2: g = a; v = 0.5·0.5θ₀² + 0.5a²; θ₂ = a − 0.1·a/√v
    let mut rmsprop = RmsProp::builder().learning_rate(0.1).alpha(0.5).eps(0.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut rmsprop, array![1.0, -2.0], &array![0.0, 0.0]);
    let r = 0.1 * 2f64.sqrt();
    let a = array![1.0 - r, -2.0 + r];
    assert_close(&theta1, &a, TIGHT, "step 1");
    let v = array![0.25, 1.0] + 0.5 * &a * &a;
    assert_close(&theta2, &(&a - 0.1 * &a / v.sqrt()), TIGHT, "step 2");
}

#[test]
fn rmsprop_centered() {
    // RMSprop(lr=0.1, alpha=0.5, eps=0, centered=True) on ½‖θ‖² from θ₀ = [1, −2]:
    // step 1: v = 0.5g², ḡ = 0.5g, √(v − ḡ²) = 0.5|g|: θ₁ = θ₀ − 0.2·sign(θ₀) = [0.8, −1.8]
    // step 2: g = [0.8, −1.8]; v = [0.25 + 0.32, 1 + 1.62] = [0.57, 2.62];
    //         ḡ = [0.25 + 0.4, −0.5 − 0.9] = [0.65, −1.4]; v − ḡ² = [0.1475, 0.66]
    //         θ₂ = [0.8 − 0.08/√0.1475, −1.8 + 0.18/√0.66]
    let mut rmsprop =
        RmsProp::builder().learning_rate(0.1).alpha(0.5).eps(0.0).centered(true).build().unwrap();
    let (theta1, theta2) = two_steps(&mut rmsprop, array![1.0, -2.0], &array![0.0, 0.0]);
    assert_close(&theta1, &array![0.8, -1.8], TIGHT, "step 1");
    let expected = array![0.8 - 0.08 / 0.1475f64.sqrt(), -1.8 + 0.18 / 0.66f64.sqrt()];
    assert_close(&theta2, &expected, 1e-13, "step 2");
    let state = rmsprop.state("theta").unwrap();
    assert_close(state.grad_avg.as_ref().unwrap(), &array![0.65, -1.4], TIGHT, "ḡ");
}

#[test]
fn rmsprop_momentum() {
    // RMSprop(lr=0.1, alpha=0.5, eps=0, momentum=0.9) on ½‖θ‖² from θ₀ = [1, −2]:
    // step 1: b = g/√v = √2·sign(θ₀); θ₁ = θ₀ − 0.1b = a = [1 − 0.1√2, −2 + 0.1√2]
    // step 2: v = [0.25, 1] + 0.5a²; b = 0.9·√2·sign(θ₀) + a/√v; θ₂ = a − 0.1b
    let mut rmsprop =
        RmsProp::builder().learning_rate(0.1).alpha(0.5).eps(0.0).momentum(0.9).build().unwrap();
    let (theta1, theta2) = two_steps(&mut rmsprop, array![1.0, -2.0], &array![0.0, 0.0]);
    let root2 = 2f64.sqrt();
    let a = array![1.0 - 0.1 * root2, -2.0 + 0.1 * root2];
    assert_close(&theta1, &a, TIGHT, "step 1");
    let v = array![0.25, 1.0] + 0.5 * &a * &a;
    let b = array![0.9 * root2, -0.9 * root2] + &a / v.sqrt();
    assert_close(&theta2, &(&a - 0.1 * &b), TIGHT, "step 2");
    assert_close(rmsprop.state("theta").unwrap().momentum_buffer.as_ref().unwrap(), &b, TIGHT, "b");
}

#[test]
fn rmsprop_weight_decay() {
    // RMSprop(lr=0.1, alpha=0.5, eps=0, weight_decay=1) on ½‖θ − t‖², t = [1, 1], θ₀ = [3, −1]:
    // step 1: g = (θ₀ − t) + θ₀ = [5, −3]; g/√(0.5g²) = √2·sign(g): θ₁ = [3 − 0.1√2, −1 + 0.1√2]
    // step 2: g = (θ₁ − t) + θ₁ = 2θ₁ − t; v = 0.5·0.5·[25, 9] + 0.5g²; θ₂ = θ₁ − 0.1g/√v
    let mut rmsprop =
        RmsProp::builder().learning_rate(0.1).alpha(0.5).eps(0.0).weight_decay(1.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut rmsprop, array![3.0, -1.0], &array![1.0, 1.0]);
    let r = 0.1 * 2f64.sqrt();
    let a = array![3.0 - r, -1.0 + r];
    assert_close(&theta1, &a, TIGHT, "step 1");
    let g = 2.0 * &a - 1.0;
    let v = array![6.25, 2.25] + 0.5 * &g * &g;
    assert_close(&theta2, &(&a - 0.1 * &g / v.sqrt()), TIGHT, "step 2");
}

#[test]
fn adam_moments_persist_across_steps() {
    // Adam() defaults (lr=1e-3, betas=(0.9, 0.999), eps=1e-8), recorded gradients g₁ = 1, g₂ = −1:
    // step 1: m = 0.1, v = 0.001; m/(1 − 0.9) = 1, √v/√(1 − 0.999) = 1: θ₁ = θ₀ − 1e-3/(1 + 1e-8)
    // step 2: m = 0.09 − 0.1 = −0.01, v = 0.000999 + 0.001 = 0.001999 = 1 − 0.999²:
    //         θ₂ = θ₁ − 1e-3·(−0.01/0.19)/(1 + 1e-8)
    // The gradient flipped sign, but m remembers step 1: θ moves by only −0.01/0.19 of lr,
    // and back up rather than down.
    let mut adam = Adam::builder().build().unwrap();
    let (theta1, theta2) = two_fed_steps(&mut adam, array![1.0], [array![1.0], array![-1.0]]);
    let theta1_expected = 1.0 - 1e-3 / (1.0 + 1e-8);
    assert_close(&theta1, &array![theta1_expected], 1e-13, "step 1");
    assert_close(&theta2, &array![theta1_expected + 1e-3 * (0.01 / 0.19) / (1.0 + 1e-8)], 1e-12, "step 2");
    let state = adam.state("theta").unwrap();
    assert_eq!(state.step, 2);
    assert_close(&state.exp_avg, &array![-0.01], 1e-12, "m");
    assert_close(&state.exp_avg_sq, &array![0.001999], 1e-12, "v");
}

#[test]
fn adam_weight_decay_enters_the_gradient() {
    // Adam(lr=0.1, betas=(0.5, 0.75), eps=0, weight_decay=1) on ½‖θ − t‖², t = [1, 1], θ₀ = [3, −1]:
    // step 1: g = (θ₀ − t) + θ₀ = [5, −3]; m = 0.5g = [2.5, −1.5]; v = 0.25g² = [6.25, 2.25]
    //         step size 0.1/0.5 = 0.2; √v/√0.25 = [5, 3]: θ₁ = θ₀ − 0.2·[0.5, −0.5] = [2.9, −0.9]
    // step 2: g = 2θ₁ − t = [4.8, −2.8]; m = [1.25 + 2.4, −0.75 − 1.4] = [3.65, −2.15]
    //         v = 0.75·[6.25, 2.25] + 0.25·[23.04, 7.84] = [10.4475, 3.6475]
    //         1 − β₁² = 0.75, 1 − β₂² = 0.4375: θ₂ = θ₁ − (0.1/0.75)·m/(√v/√0.4375)
    let mut adam =
        Adam::builder().learning_rate(0.1).betas(0.5, 0.75).eps(0.0).weight_decay(1.0).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adam, array![3.0, -1.0], &array![1.0, 1.0]);
    assert_close(&theta1, &array![2.9, -0.9], TIGHT, "step 1");
    let m = array![3.65, -2.15];
    let v = array![10.4475, 3.6475];
    let expected = array![2.9, -0.9] - (0.1 / 0.75) * &m / (v.sqrt() / 0.4375f64.sqrt());
    assert_close(&theta2, &expected, TIGHT, "step 2");
    let state = adam.state("theta").unwrap();
    assert_close(&state.exp_avg, &m, TIGHT, "m");
    assert_close(&state.exp_avg_sq, &v, TIGHT, "v");
}

#[test]
fn adam_amsgrad_divides_by_the_largest_second_moment() {
    // Adam(lr=0.1, betas=(0.5, 0.5), eps=0, amsgrad=True), θ₀ = [1, 1], recorded gradients
    // g₁ = [4, −2], g₂ = [1, 1]:
    // step 1: m = [2, −1], v = v̂ = [8, 2]; √v̂/√0.5 = [4, 2]; θ₁ = θ₀ − 0.2·[0.5, −0.5] = [0.9, 1.1]
    // step 2: m = [1.5, 0], v = [4.5, 1.5] but v̂ = max([8, 2], v) = [8, 2];
    //         θ₂ = θ₁ − (0.1/0.75)·m/(√v̂/√0.75) = [0.9 − (0.1/0.75)·1.5·√0.75/√8, 1.1]
    let grads = || [array![4.0, -2.0], array![1.0, 1.0]];
    let mut amsgrad =
        Adam::builder().learning_rate(0.1).betas(0.5, 0.5).eps(0.0).amsgrad(true).build().unwrap();
    let (theta1, theta2) = two_fed_steps(&mut amsgrad, array![1.0, 1.0], grads());
    assert_close(&theta1, &array![0.9, 1.1], TIGHT, "step 1");
    let expected = 0.9 - (0.1 / 0.75) * 1.5 * 0.75f64.sqrt() / 8f64.sqrt();
    assert_close(&theta2, &array![expected, 1.1], TIGHT, "step 2");
    let state = amsgrad.state("theta").unwrap();
    assert_close(state.max_exp_avg_sq.as_ref().unwrap(), &array![8.0, 2.0], TIGHT, "v̂");
    assert_close(&state.exp_avg_sq, &array![4.5, 1.5], TIGHT, "v");

    // Without AMSGrad, step 2 divides by √4.5 instead of √8.
    let mut adam = Adam::builder().learning_rate(0.1).betas(0.5, 0.5).eps(0.0).build().unwrap();
    let (_, theta2) = two_fed_steps(&mut adam, array![1.0, 1.0], grads());
    let expected = 0.9 - (0.1 / 0.75) * 1.5 * 0.75f64.sqrt() / 4.5f64.sqrt();
    assert_close(&theta2, &array![expected, 1.1], TIGHT, "plain Adam, step 2");
}

#[test]
fn adamw_decays_the_parameter_not_the_gradient() {
    // AdamW(lr=0.1, betas=(0.5, 0.75), eps=0, weight_decay=0.5) on ½‖θ − t‖², t = [1, 1], θ₀ = [3, −1]:
    // step 1: ∇ = θ₀ − t = [2, −2]; θ ← 0.95θ₀ = [2.85, −0.95]; m = [1, −1]; v = [1, 1]
    //         √v/√0.25 = 2, step size 0.2: θ₁ = [2.85 − 0.1, −0.95 + 0.1] = [2.75, −0.85]
    // step 2: ∇ = [1.75, −1.85]; θ ← 0.95θ₁ = [2.6125, −0.8075]
    //         m = [0.5 + 0.875, −0.5 − 0.925] = [1.375, −1.425]
    //         v = 0.75 + 0.25∇² = [1.515625, 1.605625]
    //         θ₂ = [2.6125, −0.8075] − (0.1/0.75)·m/(√v/√0.4375)
    let mut adamw =
        AdamW::builder().learning_rate(0.1).betas(0.5, 0.75).eps(0.0).weight_decay(0.5).build().unwrap();
    let (theta1, theta2) = two_steps(&mut adamw, array![3.0, -1.0], &array![1.0, 1.0]);
    assert_close(&theta1, &array![2.75, -0.85], TIGHT, "step 1");
    let m = array![1.375, -1.425];
    let v = array![1.515625, 1.605625];
    let expected = array![2.6125, -0.8075] - (0.1 / 0.75) * &m / (v.sqrt() / 0.4375f64.sqrt());
    assert_close(&theta2, &expected, TIGHT, "step 2");

    // Adam with the same λ as an L2 penalty takes a different path: its first step is
    // θ₀ − γ·sign(g), whatever λ.
    let mut adam =
        Adam::builder().learning_rate(0.1).betas(0.5, 0.75).eps(0.0).weight_decay(0.5).build().unwrap();
    let (theta1, _) = two_steps(&mut adam, array![3.0, -1.0], &array![1.0, 1.0]);
    assert_close(&theta1, &array![2.9, -0.9], TIGHT, "Adam + L2, step 1");
}

#[test]
fn step_counts_are_per_parameter() {
    // Like PyTorch's state['step']: a parameter that missed a step is a step behind, and its
    // first update gets the full first-step bias correction (Adam moves it by ≈ γ).
    let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
    let (mut a, mut b) = (array![0.0], array![0.0]);
    let _report = adam.step_params(&mut [NamedParam::new("a", &mut a, &array![1.0])]).unwrap();
    let _report = adam
        .step_params(&mut [
            NamedParam::new("a", &mut a, &array![1.0]),
            NamedParam::new("b", &mut b, &array![1.0]),
        ])
        .unwrap();
    assert_eq!((adam.state("a").unwrap().step, adam.state("b").unwrap().step), (2, 1));
    assert_close(&a, &array![-0.2], 1e-7, "a");
    assert_close(&b, &array![-0.1], 1e-7, "b");
}

/// With `eps = 0` (PyTorch's range; the tests above use it for round numbers), a
/// parameter whose gradients have all been 0 takes a step of 0 — PyTorch computes 0 / 0
/// and writes NaN into the weight.
#[test]
fn a_zero_gradient_under_eps_zero_leaves_the_parameter_as_it_was() {
    let optimizers: Vec<Box<dyn Optimizer<f64>>> = vec![
        Box::new(Adam::builder().eps(0.0).build().unwrap()),
        Box::new(Adam::builder().eps(0.0).amsgrad(true).build().unwrap()),
        Box::new(tapegrad_optim::AdamW::builder().eps(0.0).weight_decay(0.0).build().unwrap()),
        Box::new(Adagrad::builder().eps(0.0).build().unwrap()),
        Box::new(RmsProp::builder().eps(0.0).build().unwrap()),
        Box::new(RmsProp::builder().eps(0.0).centered(true).momentum(0.5).build().unwrap()),
    ];
    for mut optimizer in optimizers {
        let mut theta = array![1.5, -2.0];
        for _ in 0..3 {
            let _report = optimizer
                .step_params(&mut [NamedParam::new("theta", &mut theta, &array![0.0, 0.0])])
                .unwrap();
        }
        assert_eq!(theta, array![1.5, -2.0], "{}", optimizer.name());
    }
}
