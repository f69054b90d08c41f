//! PyTorch's own numbers, from torch run in float64 by `tests/data/generate_torch_optim.py`
//! (see `tests/data/README.md`):
//! - six steps of every optimizer case — every option of SGD, Adagrad, RMSprop, Adam and
//!   AdamW, alone and combined, gradient clipping, parameter groups and a schedule between
//!   steps — checked twice: the update rules alone, fed PyTorch's recorded gradients, and
//!   the whole loop through the tape;
//! - the learning rate of every schedule at each epoch;
//! - ReduceLROnPlateau's rate, best, bad-epoch count and cooldown after each metric.
//!
//! Each PyTorch call sits next to the tapegrad call it maps to; the string is the one the
//! data was generated from, and the test fails if the two drift apart.

#[rustfmt::skip]
#[path = "data/torch_optim.rs"]
pub(crate) mod torch_optim;

use ndarray::{arr1, arr2};
use tapegrad_optim::{
    Adagrad, Adam, AdamW, CosineAnnealingLr, ExponentialLr, GradientClipping, LinearLr, LrSchedule, Mode,
    NamedParam, Optimizer, ReduceLrOnPlateau, RmsProp, Sgd, StepLr, ThresholdMode,
};
use tapegrad_tape::Tape;

use crate::common::{assert_close, assert_close_scalar, Linear};
use torch_optim::{Case, Plateau, Schedule, B0, CASES, PLATEAUS, SCHEDULES, SOURCE, W0, X, Y};

/// Parameters after each step: within 1e-10 relative of PyTorch's.
const TRAJECTORY: f64 = 1e-10;

/// Feeds each step's recorded gradients to `optimizer` (setting the rate from `schedule`
/// first, if there is one) and compares the parameters after every step with PyTorch's.
fn replay_gradients(case: &Case, optimizer: &mut dyn Optimizer<f64>, schedule: Option<&dyn LrSchedule<f64>>) {
    let (mut w, mut b) = (arr2(&W0), arr1(&B0));
    for (index, step) in case.steps.iter().enumerate() {
        let context = format!("{} ({SOURCE}), step {}", case.torch, index + 1);
        check_learning_rate(index, step.lr, optimizer, schedule, &context);
        let report = optimizer
            .step_params(&mut [
                NamedParam::new("weight", &mut w, &arr2(&step.grad_w)),
                NamedParam::new("bias", &mut b, &arr1(&step.grad_b)),
            ])
            .unwrap();
        assert_eq!(report.updated, 2);
        assert_close(&w, &arr2(&step.w), TRAJECTORY, &format!("{context}: w"));
        assert_close(&b, &arr1(&step.b), TRAJECTORY, &format!("{context}: b"));
    }
}

/// Runs the whole loop with the tape: loss = mean((x @ w + b − y)²) from tape ops,
/// backward, `optimizer.step` over the model; compares the loss, the gradients and the
/// parameters with PyTorch's at every step.
fn train_through_tape(
    case: &Case,
    optimizer: &mut dyn Optimizer<f64>,
    schedule: Option<&dyn LrSchedule<f64>>,
) {
    let (x, y) = (arr2(&X), arr2(&Y));
    let mut model = Linear { weight: arr2(&W0), bias: arr1(&B0) };
    for (index, step) in case.steps.iter().enumerate() {
        let context = format!("{} ({SOURCE}) through the tape, step {}", case.torch, index + 1);
        check_learning_rate(index, step.lr, optimizer, schedule, &context);
        let (loss, grads) = {
            let tape = Tape::new();
            let prediction = model.forward(&tape, tape.constant(&x));
            let loss = (prediction - tape.constant(&y)).square().mean();
            (loss.item(), tape.backward(loss))
        };
        assert_close_scalar(loss, step.loss, TRAJECTORY, &format!("{context}: loss"));
        assert_close(
            &grads.param(&model.weight).unwrap(),
            &arr2(&step.grad_w),
            TRAJECTORY,
            &format!("{context}: grad_w"),
        );
        assert_close(
            &grads.param(&model.bias).unwrap(),
            &arr1(&step.grad_b),
            TRAJECTORY,
            &format!("{context}: grad_b"),
        );
        let report = optimizer.step(&mut model, &grads).unwrap();
        assert_eq!((report.updated, report.skipped.len()), (2, 0));
        assert_close(&model.weight, &arr2(&step.w), TRAJECTORY, &format!("{context}: w"));
        assert_close(&model.bias, &arr1(&step.b), TRAJECTORY, &format!("{context}: b"));
    }
}

/// The rate of step `index` (0-based): PyTorch's scheduler has been stepped `index` times
/// after the optimizer's steps, which is tapegrad's schedule at epoch `index`. Without a
/// schedule the rate is the constructor's, exactly; with one it is tapegrad's closed form
/// against PyTorch's recursive rate (see `schedules_match_pytorch`).
fn check_learning_rate(
    index: usize,
    expected: f64,
    optimizer: &mut dyn Optimizer<f64>,
    schedule: Option<&dyn LrSchedule<f64>>,
    context: &str,
) {
    match schedule {
        None => assert_eq!(optimizer.learning_rate(), expected, "{context}: lr"),
        Some(schedule) => {
            let learning_rate = schedule.apply(index, optimizer);
            assert_close_scalar(learning_rate, expected, RECURSIVE_RATE, &format!("{context}: lr"));
        }
    }
}

/// `None`, or `Some` boxed schedule.
macro_rules! optional_schedule {
    () => {
        None
    };
    ($schedule:expr) => {
        Some(Box::new($schedule.unwrap()))
    };
}

/// One test module per recorded case: `name: CONST, "PyTorch call" => tapegrad optimizer`,
/// optionally `; schedule` (applied before each step), and the list of the cases tested.
macro_rules! optimizer_cases {
    ($($name:ident: $case:ident, $torch:literal => $optimizer:expr $(; $schedule:expr)?,)*) => {
        $(
            mod $name {
                use super::*;

                fn optimizer() -> Box<dyn Optimizer<f64>> {
                    assert_eq!(torch_optim::$case.torch, $torch, "the data was generated from another call");
                    Box::new($optimizer.unwrap())
                }

                fn schedule() -> Option<Box<dyn LrSchedule<f64>>> {
                    optional_schedule!($($schedule)?)
                }

                #[test]
                fn matches_pytorch_given_its_gradients() {
                    replay_gradients(&torch_optim::$case, &mut *optimizer(), schedule().as_deref());
                }

                #[test]
                fn matches_pytorch_through_the_tape() {
                    train_through_tape(&torch_optim::$case, &mut *optimizer(), schedule().as_deref());
                }
            }
        )*

        /// Every case with a test above.
        const TESTED: &[&Case] = &[$(&torch_optim::$case),*];
    };
}

optimizer_cases! {
    sgd: SGD, "torch.optim.SGD(params, lr=0.1)"
        => Sgd::builder().learning_rate(0.1).build(),
    sgd_momentum: SGD_MOMENTUM, "torch.optim.SGD(params, lr=0.1, momentum=0.9)"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).build(),
    sgd_dampening: SGD_DAMPENING, "torch.optim.SGD(params, lr=0.1, momentum=0.9, dampening=0.5)"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).dampening(0.5).build(),
    sgd_nesterov: SGD_NESTEROV, "torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).nesterov(true).build(),
    sgd_weight_decay: SGD_WEIGHT_DECAY, "torch.optim.SGD(params, lr=0.1, weight_decay=0.1)"
        => Sgd::builder().learning_rate(0.1).weight_decay(0.1).build(),
    sgd_momentum_dampening_weight_decay: SGD_MOMENTUM_DAMPENING_WEIGHT_DECAY,
        "torch.optim.SGD(params, lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05)"
        => Sgd::builder().learning_rate(0.1).momentum(0.8).dampening(0.3).weight_decay(0.05).build(),
    sgd_nesterov_weight_decay: SGD_NESTEROV_WEIGHT_DECAY,
        "torch.optim.SGD(params, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1)"
        => Sgd::builder().learning_rate(0.1).momentum(0.8).nesterov(true).weight_decay(0.1).build(),

    adagrad: ADAGRAD, "torch.optim.Adagrad(params, lr=0.1)"
        => Adagrad::builder().learning_rate(0.1).build(),
    adagrad_lr_decay: ADAGRAD_LR_DECAY, "torch.optim.Adagrad(params, lr=0.1, lr_decay=0.5)"
        => Adagrad::builder().learning_rate(0.1).lr_decay(0.5).build(),
    adagrad_weight_decay: ADAGRAD_WEIGHT_DECAY, "torch.optim.Adagrad(params, lr=0.1, weight_decay=0.1)"
        => Adagrad::builder().learning_rate(0.1).weight_decay(0.1).build(),
    adagrad_initial_accumulator_value: ADAGRAD_INITIAL_ACCUMULATOR_VALUE,
        "torch.optim.Adagrad(params, lr=0.1, initial_accumulator_value=0.5)"
        => Adagrad::builder().learning_rate(0.1).initial_accumulator_value(0.5).build(),
    adagrad_eps: ADAGRAD_EPS, "torch.optim.Adagrad(params, lr=0.1, eps=0.1)"
        => Adagrad::builder().learning_rate(0.1).eps(0.1).build(),
    adagrad_all: ADAGRAD_ALL,
        "torch.optim.Adagrad(params, lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.2, eps=0.001)"
        => Adagrad::builder()
            .learning_rate(0.1)
            .lr_decay(0.1)
            .weight_decay(0.05)
            .initial_accumulator_value(0.2)
            .eps(0.001)
            .build(),

    rmsprop: RMSPROP, "torch.optim.RMSprop(params, lr=0.01)"
        => RmsProp::builder().learning_rate(0.01).build(),
    rmsprop_alpha: RMSPROP_ALPHA, "torch.optim.RMSprop(params, lr=0.01, alpha=0.9)"
        => RmsProp::builder().learning_rate(0.01).alpha(0.9).build(),
    rmsprop_eps: RMSPROP_EPS, "torch.optim.RMSprop(params, lr=0.01, eps=0.1)"
        => RmsProp::builder().learning_rate(0.01).eps(0.1).build(),
    rmsprop_weight_decay: RMSPROP_WEIGHT_DECAY, "torch.optim.RMSprop(params, lr=0.01, weight_decay=0.1)"
        => RmsProp::builder().learning_rate(0.01).weight_decay(0.1).build(),
    rmsprop_momentum: RMSPROP_MOMENTUM, "torch.optim.RMSprop(params, lr=0.01, momentum=0.9)"
        => RmsProp::builder().learning_rate(0.01).momentum(0.9).build(),
    rmsprop_centered: RMSPROP_CENTERED, "torch.optim.RMSprop(params, lr=0.01, centered=True)"
        => RmsProp::builder().learning_rate(0.01).centered(true).build(),
    rmsprop_centered_momentum: RMSPROP_CENTERED_MOMENTUM,
        "torch.optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True)"
        => RmsProp::builder().learning_rate(0.01).momentum(0.9).centered(true).build(),
    rmsprop_all: RMSPROP_ALL,
        "torch.optim.RMSprop(params, lr=0.01, alpha=0.9, eps=0.001, weight_decay=0.05, momentum=0.5, centered=True)"
        => RmsProp::builder()
            .learning_rate(0.01)
            .alpha(0.9)
            .eps(0.001)
            .weight_decay(0.05)
            .momentum(0.5)
            .centered(true)
            .build(),

    adam: ADAM, "torch.optim.Adam(params, lr=0.01)"
        => Adam::builder().learning_rate(0.01).build(),
    adam_betas: ADAM_BETAS, "torch.optim.Adam(params, lr=0.01, betas=(0.8, 0.99))"
        => Adam::builder().learning_rate(0.01).betas(0.8, 0.99).build(),
    adam_eps: ADAM_EPS, "torch.optim.Adam(params, lr=0.01, eps=0.1)"
        => Adam::builder().learning_rate(0.01).eps(0.1).build(),
    adam_weight_decay: ADAM_WEIGHT_DECAY, "torch.optim.Adam(params, lr=0.01, weight_decay=0.1)"
        => Adam::builder().learning_rate(0.01).weight_decay(0.1).build(),
    adam_amsgrad: ADAM_AMSGRAD, "torch.optim.Adam(params, lr=0.1, betas=(0.9, 0.6), amsgrad=True)"
        => Adam::builder().learning_rate(0.1).betas(0.9, 0.6).amsgrad(true).build(),
    adam_all: ADAM_ALL,
        "torch.optim.Adam(params, lr=0.1, betas=(0.8, 0.6), eps=0.001, weight_decay=0.1, amsgrad=True)"
        => Adam::builder().learning_rate(0.1).betas(0.8, 0.6).eps(0.001).weight_decay(0.1).amsgrad(true).build(),

    adamw: ADAMW, "torch.optim.AdamW(params, lr=0.01)"
        => AdamW::builder().learning_rate(0.01).build(),
    adamw_weight_decay: ADAMW_WEIGHT_DECAY, "torch.optim.AdamW(params, lr=0.01, weight_decay=0.5)"
        => AdamW::builder().learning_rate(0.01).weight_decay(0.5).build(),
    adamw_no_weight_decay: ADAMW_NO_WEIGHT_DECAY, "torch.optim.AdamW(params, lr=0.01, weight_decay=0.0)"
        => AdamW::builder().learning_rate(0.01).weight_decay(0.0).build(),
    adamw_amsgrad: ADAMW_AMSGRAD, "torch.optim.AdamW(params, lr=0.1, betas=(0.9, 0.6), amsgrad=True)"
        => AdamW::builder().learning_rate(0.1).betas(0.9, 0.6).amsgrad(true).build(),
    adamw_all: ADAMW_ALL,
        "torch.optim.AdamW(params, lr=0.1, betas=(0.8, 0.6), eps=0.001, weight_decay=0.5, amsgrad=True)"
        => AdamW::builder().learning_rate(0.1).betas(0.8, 0.6).eps(0.001).weight_decay(0.5).amsgrad(true).build(),

    // torch.nn.utils's clipping between backward() and step() is tapegrad's `clipping` setting.
    sgd_momentum_clip_norm: SGD_MOMENTUM_CLIP_NORM,
        "torch.optim.SGD(params, lr=0.1, momentum=0.9); torch.nn.utils.clip_grad_norm_(params, max_norm=0.5) before each step"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).clipping(GradientClipping::Norm(0.5)).build(),
    adam_clip_value: ADAM_CLIP_VALUE,
        "torch.optim.Adam(params, lr=0.01); torch.nn.utils.clip_grad_value_(params, clip_value=0.2) before each step"
        => Adam::builder().learning_rate(0.01).clipping(GradientClipping::Value(0.2)).build(),
    rmsprop_clip_inf_norm: RMSPROP_CLIP_INF_NORM,
        "torch.optim.RMSprop(params, lr=0.01); torch.nn.utils.clip_grad_norm_(params, max_norm=0.3, norm_type=float('inf')) before each step"
        => RmsProp::builder().learning_rate(0.01).clipping(GradientClipping::InfNorm(0.3)).build(),

    // A param_group is a `group` holding every hyperparameter of its own (PyTorch's group
    // inherits the ones it does not set from the constructor's defaults).
    sgd_groups: SGD_GROUPS,
        "torch.optim.SGD([{'params': [weight]}, {'params': [bias], 'lr': 0.2, 'momentum': 0.5}], lr=0.1, momentum=0.9, nesterov=True)"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).nesterov(true).build().map(|sgd| {
            sgd.group(["bias"], Sgd::builder().learning_rate(0.2).momentum(0.5).nesterov(true).build().unwrap())
        }),
    adam_groups: ADAM_GROUPS,
        "torch.optim.Adam([{'params': [weight]}, {'params': [bias], 'lr': 0.05, 'weight_decay': 0.0}], lr=0.01, weight_decay=0.1)"
        => Adam::builder().learning_rate(0.01).weight_decay(0.1).build().map(|adam| {
            adam.group(["bias"], Adam::builder().learning_rate(0.05).weight_decay(0.0).build().unwrap())
        }),

    // PyTorch's `scheduler.step()` after each optimizer step is `apply(epoch)` before it.
    sgd_momentum_step_lr: SGD_MOMENTUM_STEP_LR,
        "torch.optim.SGD(params, lr=0.1, momentum=0.9); torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5), stepped after each step"
        => Sgd::builder().learning_rate(0.1).momentum(0.9).build();
        StepLr::new(0.1, 2, 0.5),
    adamw_linear_lr: ADAMW_LINEAR_LR,
        "torch.optim.AdamW(params, lr=0.01); torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4), stepped after each step"
        => AdamW::builder().learning_rate(0.01).build();
        LinearLr::new(0.01, 0.25, 1.0, 4),
}

#[test]
fn every_recorded_optimizer_case_is_tested() {
    for case in CASES {
        assert!(TESTED.iter().any(|tested| tested.torch == case.torch), "{} has no test", case.torch);
    }
    assert_eq!(TESTED.len(), CASES.len(), "a case is tested twice");
}

#[test]
fn adam_keeps_pytorchs_per_parameter_state() {
    // After six steps PyTorch's state['step'] is 6 for each parameter; the first moment is
    // m = Σₖ (1 − β₁) β₁^(6−k) gₖ over the recorded gradients (m₀ = 0).
    let case = &torch_optim::ADAM;
    assert_eq!(case.torch, "torch.optim.Adam(params, lr=0.01)");
    let mut optimizer = Adam::builder().learning_rate(0.01).build().unwrap();
    replay_gradients(case, &mut optimizer, None);
    let state = optimizer.state("weight").unwrap();
    assert_eq!(state.step, 6);
    let expected = case.steps.iter().fold(arr2(&[[0.0; 2]; 3]), |m, step| m * 0.9 + arr2(&step.grad_w) * 0.1);
    assert_close(&state.exp_avg, &expected, 1e-12, "exp_avg of weight");
    assert_eq!(optimizer.states().keys().collect::<Vec<_>>(), ["bias", "weight"]);
}

/// tapegrad's closed form against PyTorch's own closed form (`_get_closed_form_lr`): the
/// same formula in the same order of operations, so a few ulps at most.
const CLOSED_FORM: f64 = 1e-15;

/// tapegrad's closed form against the rates PyTorch's `scheduler.step()` produces, which
/// it computes recursively from the previous rate: they drift from the closed form by
/// rounding, at most 9e-15 relative in these 25 epochs (the cosine, near its minimum).
const RECURSIVE_RATE: f64 = 2e-14;

/// One test per recorded schedule: `name: CONST, "PyTorch call" => tapegrad schedule`.
///
/// Epochs: `torch_optim`'s `lr[e]` is the rate after `e` calls of `scheduler.step()`
/// (PyTorch's `last_epoch = e`); tapegrad's schedule is a function of that same `e`,
/// `learning_rate(e)`, 0 being the rate set when the scheduler is made. So PyTorch's loop
/// "train an epoch; `scheduler.step()`" is "`schedule.apply(e, …)`; train epoch `e`".
macro_rules! schedule_cases {
    ($($name:ident: $case:ident, $torch:literal => $schedule:expr,)*) => {
        $(
            #[test]
            fn $name() {
                let case = &torch_optim::$case;
                assert_eq!(case.torch, $torch, "the data was generated from another call");
                check_schedule(case, &$schedule.unwrap());
            }
        )*

        /// Every schedule with a test above.
        const TESTED_SCHEDULES: &[&Schedule] = &[$(&torch_optim::$case),*];
    };
}

fn check_schedule(case: &Schedule, schedule: &dyn LrSchedule<f64>) {
    let mut sgd = Sgd::builder().learning_rate(1.0).build().unwrap();
    for (epoch, (&recursive, &closed_form)) in case.lr.iter().zip(&case.closed_form).enumerate() {
        let context = format!("{} ({SOURCE}), epoch {epoch}", case.torch);
        let rate = schedule.learning_rate(epoch);
        assert_close_scalar(rate, closed_form, CLOSED_FORM, &format!("{context}: closed form"));
        assert_close_scalar(rate, recursive, RECURSIVE_RATE, &format!("{context}: scheduler.step()"));
        assert_eq!(schedule.apply(epoch, &mut sgd), rate, "{context}: apply");
        assert_eq!(sgd.learning_rate(), rate, "{context}: the optimizer's rate");
    }
}

schedule_cases! {
    step_lr_matches_pytorch: STEP_LR,
        "torch.optim.lr_scheduler.StepLR(SGD([p], lr=0.1), step_size=3, gamma=0.1)"
        => StepLr::new(0.1, 3, 0.1),
    step_lr_every_other_epoch_matches_pytorch: STEP_LR_EVERY_OTHER_EPOCH,
        "torch.optim.lr_scheduler.StepLR(SGD([p], lr=0.5), step_size=2, gamma=0.7)"
        => StepLr::new(0.5, 2, 0.7),
    exponential_lr_matches_pytorch: EXPONENTIAL_LR,
        "torch.optim.lr_scheduler.ExponentialLR(SGD([p], lr=0.1), gamma=0.9)"
        => ExponentialLr::new(0.1, 0.9),
    exponential_lr_fast_matches_pytorch: EXPONENTIAL_LR_FAST,
        "torch.optim.lr_scheduler.ExponentialLR(SGD([p], lr=2.0), gamma=0.5)"
        => ExponentialLr::new(2.0, 0.5),
    cosine_annealing_lr_matches_pytorch: COSINE_ANNEALING_LR,
        "torch.optim.lr_scheduler.CosineAnnealingLR(SGD([p], lr=0.1), T_max=10, eta_min=0.001)"
        => CosineAnnealingLr::new(0.1, 10, 0.001),
    cosine_annealing_lr_to_zero_matches_pytorch: COSINE_ANNEALING_LR_TO_ZERO,
        "torch.optim.lr_scheduler.CosineAnnealingLR(SGD([p], lr=0.05), T_max=7)"
        => CosineAnnealingLr::new(0.05, 7, 0.0),
    linear_lr_defaults_match_pytorch: LINEAR_LR_DEFAULTS,
        "torch.optim.lr_scheduler.LinearLR(SGD([p], lr=0.1))"
        => LinearLr::new(0.1, 1.0 / 3.0, 1.0, 5),
    linear_lr_warm_up_matches_pytorch: LINEAR_LR_WARM_UP,
        "torch.optim.lr_scheduler.LinearLR(SGD([p], lr=0.4), start_factor=0.25, total_iters=3)"
        => LinearLr::new(0.4, 0.25, 1.0, 3),
    linear_lr_partial_matches_pytorch: LINEAR_LR_PARTIAL,
        "torch.optim.lr_scheduler.LinearLR(SGD([p], lr=0.3), start_factor=0.25, end_factor=0.75, total_iters=6)"
        => LinearLr::new(0.3, 0.25, 0.75, 6),
    linear_lr_decay_to_zero_matches_pytorch: LINEAR_LR_DECAY_TO_ZERO,
        "torch.optim.lr_scheduler.LinearLR(SGD([p], lr=0.1), start_factor=1.0, end_factor=0.0, total_iters=4)"
        => LinearLr::new(0.1, 1.0, 0.0, 4),
}

#[test]
fn every_recorded_schedule_is_tested() {
    for case in SCHEDULES {
        assert!(
            TESTED_SCHEDULES.iter().any(|tested| tested.torch == case.torch),
            "{} has no test",
            case.torch
        );
    }
    assert_eq!(TESTED_SCHEDULES.len(), SCHEDULES.len(), "a schedule is tested twice");
}

/// One test per recorded ReduceLROnPlateau run: `name: CONST, "PyTorch call" => config`.
/// PyTorch's `scheduler.step(metric)` is `plateau.step(metric, &mut optimizer)`; after each,
/// the rate, the best metric and the bad-epoch count must be PyTorch's exactly (the same
/// comparisons and one multiplication), and `in_cooldown()` must be `cooldown_counter > 0`.
macro_rules! plateau_cases {
    ($($name:ident: $case:ident, $torch:literal => $config:expr,)*) => {
        $(
            #[test]
            fn $name() {
                let case = &torch_optim::$case;
                assert_eq!(case.torch, $torch, "the data was generated from another call");
                check_plateau(case, $config.build().unwrap());
            }
        )*

        /// Every ReduceLROnPlateau run with a test above.
        const TESTED_PLATEAUS: &[&Plateau] = &[$(&torch_optim::$case),*];
    };
}

fn check_plateau(case: &Plateau, mut plateau: ReduceLrOnPlateau<f64>) {
    let mut sgd = Sgd::builder().learning_rate(case.lr).build().unwrap();
    assert_eq!(case.metrics.len(), case.steps.len());
    for (index, (&metric, step)) in case.metrics.iter().zip(case.steps).enumerate() {
        let context = format!("{} ({SOURCE}), step({metric}) number {}", case.torch, index + 1);
        let before = sgd.learning_rate();
        let cut = plateau.step(metric, &mut sgd);
        assert_eq!(sgd.learning_rate(), step.lr, "{context}: lr");
        assert_eq!(cut, step.lr != before, "{context}: whether it cut");
        assert_eq!(plateau.best(), step.best, "{context}: best");
        assert_eq!(plateau.num_bad_epochs(), step.num_bad_epochs, "{context}: num_bad_epochs");
        assert_eq!(plateau.in_cooldown(), step.cooldown_counter > 0, "{context}: in cooldown");
        assert_eq!(plateau.last_epoch(), index + 1, "{context}: last_epoch");
    }
}

plateau_cases! {
    plateau_defaults_match_pytorch: PLATEAU_DEFAULTS,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0))"
        => ReduceLrOnPlateau::builder(),
    plateau_min_relative_matches_pytorch: PLATEAU_MIN_RELATIVE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), mode='min', factor=0.5, patience=2, threshold=0.1)"
        => ReduceLrOnPlateau::builder().mode(Mode::Min).factor(0.5).patience(2).threshold(0.1, ThresholdMode::Relative),
    plateau_min_relative_negative_matches_pytorch: PLATEAU_MIN_RELATIVE_NEGATIVE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), mode='min', factor=0.5, patience=1, threshold=0.1)"
        => ReduceLrOnPlateau::builder().mode(Mode::Min).factor(0.5).patience(1).threshold(0.1, ThresholdMode::Relative),
    plateau_min_absolute_matches_pytorch: PLATEAU_MIN_ABSOLUTE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=0.1), mode='min', factor=0.2, patience=1, threshold=0.05, threshold_mode='abs')"
        => ReduceLrOnPlateau::builder().mode(Mode::Min).factor(0.2).patience(1).threshold(0.05, ThresholdMode::Absolute),
    plateau_max_relative_matches_pytorch: PLATEAU_MAX_RELATIVE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), mode='max', factor=0.5, patience=1, threshold=0.01)"
        => ReduceLrOnPlateau::builder().mode(Mode::Max).factor(0.5).patience(1).threshold(0.01, ThresholdMode::Relative),
    plateau_max_absolute_matches_pytorch: PLATEAU_MAX_ABSOLUTE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), mode='max', factor=0.1, patience=0, threshold=0.1, threshold_mode='abs')"
        => ReduceLrOnPlateau::builder().mode(Mode::Max).factor(0.1).patience(0).threshold(0.1, ThresholdMode::Absolute),
    plateau_cooldown_matches_pytorch: PLATEAU_COOLDOWN,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), factor=0.5, patience=0, cooldown=2)"
        => ReduceLrOnPlateau::builder().factor(0.5).patience(0).cooldown(2),
    plateau_cooldown_and_patience_match_pytorch: PLATEAU_COOLDOWN_AND_PATIENCE,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), factor=0.5, patience=2, cooldown=3)"
        => ReduceLrOnPlateau::builder().factor(0.5).patience(2).cooldown(3),
    plateau_min_lr_matches_pytorch: PLATEAU_MIN_LR,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=0.1), factor=0.5, patience=0, min_lr=0.02)"
        => ReduceLrOnPlateau::builder().factor(0.5).patience(0).min_lr(0.02),
    plateau_eps_matches_pytorch: PLATEAU_EPS,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1e-07), factor=0.1, patience=0)"
        => ReduceLrOnPlateau::builder().factor(0.1).patience(0),
    plateau_eps_zero_matches_pytorch: PLATEAU_EPS_ZERO,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1e-07), factor=0.1, patience=0, eps=0.0)"
        => ReduceLrOnPlateau::builder().factor(0.1).patience(0).eps(0.0),
    plateau_nan_and_infinity_match_pytorch: PLATEAU_NAN_AND_INFINITY,
        "torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), factor=0.5, patience=1)"
        => ReduceLrOnPlateau::builder().factor(0.5).patience(1),
}

#[test]
fn every_recorded_plateau_run_is_tested() {
    for case in PLATEAUS {
        assert!(
            TESTED_PLATEAUS.iter().any(|tested| tested.torch == case.torch),
            "{} has no test",
            case.torch
        );
    }
    assert_eq!(TESTED_PLATEAUS.len(), PLATEAUS.len(), "a run is tested twice");
}
