//! Every hyperparameter and setting outside its range is an error naming the optimizer (or
//! schedule), the hyperparameter and the value; the edges of each range are accepted.

use std::fmt::Debug;

use tapegrad_optim::{
    Adagrad, Adam, AdamW, CosineAnnealingLr, EarlyStopping, ExponentialLr, GradientClipping, LinearLr,
    OptimError, ReduceLrOnPlateau, RmsProp, Sgd, StepLr,
};

/// Asserts `result` is the error for `owner`'s `name` = `value` (NaN matches NaN).
#[track_caller]
fn assert_invalid<T: Debug>(result: Result<T, OptimError>, owner: &str, name: &str, value: f64) {
    let same = |a: f64| a == value || (a.is_nan() && value.is_nan());
    match result.unwrap_err() {
        OptimError::InvalidHyperparameter { optimizer, name: n, value: v, .. } => {
            assert!(
                optimizer == owner && n == name && same(v),
                "got {optimizer} {n} = {v}, wanted {owner} {name} = {value}"
            )
        }
        OptimError::InvalidSetting { owner: o, name: n, value: v, .. } => {
            assert!(o == owner && n == name && same(v), "got {o} {n} = {v}, wanted {owner} {name} = {value}")
        }
        other => panic!("wanted {owner} {name} = {value}, got {other:?}"),
    }
}

#[test]
fn sgd_rejects() {
    let nan = f64::NAN;
    assert_invalid(Sgd::builder().learning_rate(-0.1).build(), "Sgd", "learning_rate", -0.1);
    assert_invalid(Sgd::builder().learning_rate(nan).build(), "Sgd", "learning_rate", nan);
    assert_invalid(Sgd::builder().momentum(-0.5).build(), "Sgd", "momentum", -0.5);
    assert_invalid(Sgd::builder().dampening(nan).build(), "Sgd", "dampening", nan);
    assert_invalid(Sgd::builder().weight_decay(-1e-4).build(), "Sgd", "weight_decay", -1e-4);
    assert_invalid(Sgd::builder().clipping(GradientClipping::Value(-1.0)).build(), "Sgd", "clip_value", -1.0);
    assert_invalid(Sgd::builder().clipping(GradientClipping::Norm(nan)).build(), "Sgd", "max_norm", nan);
}

#[test]
fn nesterov_needs_momentum_and_no_dampening() {
    let err = Sgd::<f64>::builder().nesterov(true).build().unwrap_err();
    assert_eq!(err, OptimError::NesterovRequiresMomentum { momentum: 0.0, dampening: 0.0 });
    let err = Sgd::<f64>::builder().momentum(0.9).dampening(0.1).nesterov(true).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Sgd: nesterov momentum requires momentum > 0 and dampening = 0 (got momentum = 0.9, dampening = 0.1)"
    );
}

#[test]
fn adagrad_rejects() {
    assert_invalid(Adagrad::builder().learning_rate(-1.0).build(), "Adagrad", "learning_rate", -1.0);
    assert_invalid(Adagrad::builder().lr_decay(-0.1).build(), "Adagrad", "lr_decay", -0.1);
    assert_invalid(Adagrad::builder().weight_decay(-0.1).build(), "Adagrad", "weight_decay", -0.1);
    assert_invalid(
        Adagrad::builder().initial_accumulator_value(-0.1).build(),
        "Adagrad",
        "initial_accumulator_value",
        -0.1,
    );
    assert_invalid(Adagrad::builder().eps(-1e-10).build(), "Adagrad", "eps", -1e-10);
}

#[test]
fn rmsprop_rejects() {
    assert_invalid(RmsProp::builder().learning_rate(f64::NAN).build(), "RmsProp", "learning_rate", f64::NAN);
    assert_invalid(RmsProp::builder().alpha(-0.5).build(), "RmsProp", "alpha", -0.5);
    assert_invalid(RmsProp::builder().eps(-1.0).build(), "RmsProp", "eps", -1.0);
    assert_invalid(RmsProp::builder().weight_decay(-1.0).build(), "RmsProp", "weight_decay", -1.0);
    assert_invalid(RmsProp::builder().momentum(-0.9).build(), "RmsProp", "momentum", -0.9);
}

#[test]
fn adam_rejects() {
    assert_invalid(Adam::builder().learning_rate(-1e-3).build(), "Adam", "learning_rate", -1e-3);
    assert_invalid(Adam::builder().eps(-1e-8).build(), "Adam", "eps", -1e-8);
    assert_invalid(Adam::builder().betas(-0.1, 0.999).build(), "Adam", "beta1", -0.1);
    assert_invalid(Adam::builder().betas(1.0, 0.999).build(), "Adam", "beta1", 1.0);
    assert_invalid(Adam::builder().betas(0.9, 1.0).build(), "Adam", "beta2", 1.0);
    assert_invalid(Adam::builder().betas(0.9, f64::NAN).build(), "Adam", "beta2", f64::NAN);
    assert_invalid(Adam::builder().weight_decay(-0.1).build(), "Adam", "weight_decay", -0.1);
}

#[test]
fn adamw_rejects() {
    assert_invalid(AdamW::builder().learning_rate(f64::NAN).build(), "AdamW", "learning_rate", f64::NAN);
    assert_invalid(AdamW::builder().eps(-1.0).build(), "AdamW", "eps", -1.0);
    assert_invalid(AdamW::builder().betas(1.5, 0.999).build(), "AdamW", "beta1", 1.5);
    assert_invalid(AdamW::builder().betas(0.9, -0.5).build(), "AdamW", "beta2", -0.5);
    assert_invalid(AdamW::builder().weight_decay(-0.01).build(), "AdamW", "weight_decay", -0.01);
    assert_invalid(
        AdamW::builder().clipping(GradientClipping::Norm(-1.0)).build(),
        "AdamW",
        "max_norm",
        -1.0,
    );
}

#[test]
fn the_edges_of_each_range_are_accepted() {
    assert!(Sgd::<f64>::builder().learning_rate(0.0).momentum(0.0).dampening(-1.0).build().is_ok());
    assert!(Sgd::<f64>::builder().momentum(0.9).nesterov(true).build().is_ok());
    assert!(Adam::<f64>::builder().betas(0.0, 0.0).eps(0.0).build().is_ok());
    assert!(AdamW::<f64>::builder().weight_decay(0.0).build().is_ok());
    assert!(Adagrad::<f64>::builder().eps(0.0).build().is_ok());
    assert!(RmsProp::<f64>::builder().alpha(0.0).build().is_ok());
    assert!(Sgd::<f64>::builder().clipping(GradientClipping::Norm(0.0)).build().is_ok());
    assert!(LinearLr::new(0.1, 1.0, 0.0, 1).is_ok());
    assert!(ReduceLrOnPlateau::<f64>::builder().factor(0.0).build().is_ok());
    assert!(EarlyStopping::new(0, 0.0).is_ok());
}

#[test]
fn schedules_reject() {
    assert_invalid(StepLr::new(-1.0, 1, 0.5), "StepLr", "base_lr", -1.0);
    assert_invalid(StepLr::new(0.1, 0, 0.5), "StepLr", "step_size", 0.0);
    assert_invalid(StepLr::new(0.1, 1, -0.5), "StepLr", "gamma", -0.5);
    assert_invalid(ExponentialLr::new(f64::NAN, 0.5), "ExponentialLr", "base_lr", f64::NAN);
    assert_invalid(ExponentialLr::new(0.1, f64::NAN), "ExponentialLr", "gamma", f64::NAN);
    assert_invalid(CosineAnnealingLr::new(-1.0, 10, 0.0), "CosineAnnealingLr", "base_lr", -1.0);
    assert_invalid(CosineAnnealingLr::new(0.1, 0, 0.0), "CosineAnnealingLr", "t_max", 0.0);
    assert_invalid(CosineAnnealingLr::new(0.1, 10, -0.1), "CosineAnnealingLr", "eta_min", -0.1);
    assert_invalid(LinearLr::new(-1.0, 0.5, 1.0, 5), "LinearLr", "base_lr", -1.0);
    assert_invalid(LinearLr::new(0.1, 0.0, 1.0, 5), "LinearLr", "start_factor", 0.0);
    assert_invalid(LinearLr::new(0.1, 1.5, 1.0, 5), "LinearLr", "start_factor", 1.5);
    assert_invalid(LinearLr::new(0.1, 0.5, 1.5, 5), "LinearLr", "end_factor", 1.5);
    assert_invalid(LinearLr::new(0.1, 0.5, -0.1, 5), "LinearLr", "end_factor", -0.1);
    assert_invalid(LinearLr::new(0.1, 0.5, 1.0, 0), "LinearLr", "total_iters", 0.0);
}

#[test]
fn plateau_and_early_stopping_reject() {
    let plateau = ReduceLrOnPlateau::<f64>::builder;
    assert_invalid(plateau().factor(1.0).build(), "ReduceLrOnPlateau", "factor", 1.0);
    assert_invalid(plateau().factor(-0.1).build(), "ReduceLrOnPlateau", "factor", -0.1);
    assert_invalid(plateau().factor(f64::NAN).build(), "ReduceLrOnPlateau", "factor", f64::NAN);
    let absolute = tapegrad_optim::ThresholdMode::Absolute;
    assert_invalid(plateau().threshold(-1e-4, absolute).build(), "ReduceLrOnPlateau", "threshold", -1e-4);
    assert_invalid(plateau().min_lr(-1.0).build(), "ReduceLrOnPlateau", "min_lr", -1.0);
    assert_invalid(plateau().eps(f64::NAN).build(), "ReduceLrOnPlateau", "eps", f64::NAN);
    assert_invalid(EarlyStopping::new(3, -0.1), "EarlyStopping", "min_delta", -0.1);
    assert_invalid(EarlyStopping::new(3, f64::NAN), "EarlyStopping", "min_delta", f64::NAN);
}

#[test]
fn messages_name_optimizer_hyperparameter_value_and_range() {
    let message = |e: OptimError| e.to_string();
    assert_eq!(
        message(Sgd::<f64>::builder().learning_rate(-0.1).build().unwrap_err()),
        "Sgd: invalid learning_rate = -0.1 (must be finite and ≥ 0)"
    );
    assert_eq!(
        message(Adam::<f32>::builder().betas(0.9, 1.0).build().unwrap_err()),
        "Adam: invalid beta2 = 1.0 (must be in [0, 1))"
    );
    assert_eq!(
        message(Sgd::<f64>::builder().dampening(f64::NAN).build().unwrap_err()),
        "Sgd: invalid dampening = NaN (must be a finite number)"
    );
    assert_eq!(
        message(CosineAnnealingLr::<f64>::new(0.1, 0, 0.0).unwrap_err()),
        "CosineAnnealingLr: invalid t_max = 0.0 (must be ≥ 1)"
    );
}

/// Class 5 of issue 11: `+∞` is refused for every hyperparameter and setting that
/// accepted it before (a learning rate, weight decay or gamma of `+∞` turns every weight
/// it touches into NaN or ±∞). `−∞` and NaN were already refused.
#[test]
fn infinite_hyperparameters_are_refused() {
    let inf = f64::INFINITY;
    let clip = |c| GradientClipping::Norm(c);
    assert_invalid(Sgd::builder().learning_rate(inf).build(), "Sgd", "learning_rate", inf);
    assert_invalid(Sgd::builder().momentum(inf).build(), "Sgd", "momentum", inf);
    assert_invalid(Sgd::builder().dampening(inf).build(), "Sgd", "dampening", inf);
    assert_invalid(Sgd::builder().dampening(-inf).build(), "Sgd", "dampening", -inf);
    assert_invalid(Sgd::builder().weight_decay(inf).build(), "Sgd", "weight_decay", inf);
    assert_invalid(Sgd::builder().clipping(clip(inf)).build(), "Sgd", "max_norm", inf);
    assert_invalid(Sgd::builder().clipping(GradientClipping::Value(inf)).build(), "Sgd", "clip_value", inf);
    assert_invalid(Adagrad::builder().learning_rate(inf).build(), "Adagrad", "learning_rate", inf);
    assert_invalid(Adagrad::builder().lr_decay(inf).build(), "Adagrad", "lr_decay", inf);
    assert_invalid(
        Adagrad::builder().initial_accumulator_value(inf).build(),
        "Adagrad",
        "initial_accumulator_value",
        inf,
    );
    assert_invalid(RmsProp::builder().alpha(inf).build(), "RmsProp", "alpha", inf);
    assert_invalid(RmsProp::builder().eps(inf).build(), "RmsProp", "eps", inf);
    assert_invalid(Adam::builder().learning_rate(inf).build(), "Adam", "learning_rate", inf);
    assert_invalid(Adam::builder().weight_decay(inf).build(), "Adam", "weight_decay", inf);
    assert_invalid(AdamW::builder().learning_rate(inf).build(), "AdamW", "learning_rate", inf);
    assert_invalid(AdamW::builder().weight_decay(inf).build(), "AdamW", "weight_decay", inf);
    assert_invalid(StepLr::new(inf, 1, 0.5), "StepLr", "base_lr", inf);
    assert_invalid(StepLr::new(0.1, 1, inf), "StepLr", "gamma", inf);
    assert_invalid(ExponentialLr::new(0.1, inf), "ExponentialLr", "gamma", inf);
    assert_invalid(CosineAnnealingLr::new(0.1, 10, inf), "CosineAnnealingLr", "eta_min", inf);
    let plateau = ReduceLrOnPlateau::<f64>::builder;
    assert_invalid(plateau().min_lr(inf).build(), "ReduceLrOnPlateau", "min_lr", inf);
    assert_invalid(EarlyStopping::new(3, inf), "EarlyStopping", "min_delta", inf);
    let err = Adam::<f32>::builder().learning_rate(f32::INFINITY).build().unwrap_err();
    assert_eq!(err.to_string(), "Adam: invalid learning_rate = inf (must be finite and ≥ 0)");
}

/// A schedule whose rate overflows (γ > 1 for long enough) sets the largest finite rate
/// instead of handing the optimizer an infinite one.
#[test]
fn a_schedule_that_overflows_sets_the_largest_finite_rate() {
    use tapegrad_optim::{LrSchedule, Optimizer};
    let mut sgd = Sgd::<f32>::builder().build().unwrap();
    let rate = ExponentialLr::new(1.0f32, 2.0).unwrap().apply(200, &mut sgd);
    assert_eq!((rate, sgd.learning_rate()), (f32::MAX, f32::MAX));
}

/// A base rate of 0 stays 0 however large γᵏ grows (0 · ∞ used to be NaN, which the
/// overflow cap then turned into the largest finite rate).
#[test]
fn a_zero_base_rate_stays_zero_under_a_growing_schedule() {
    use tapegrad_optim::{LrSchedule, Optimizer};
    let mut sgd = Sgd::<f64>::builder().build().unwrap();
    assert_eq!(StepLr::new(0.0, 1, 10.0).unwrap().apply(400, &mut sgd), 0.0);
    assert_eq!(ExponentialLr::new(0.0f64, 10.0).unwrap().apply(400, &mut sgd), 0.0);
    assert_eq!(sgd.learning_rate(), 0.0);
}

/// Ranges that keep the update finite: RMSprop's α beyond 1 makes its running average of
/// squares negative (√ of it is NaN); a momentum of 1 or more never decays and diverges.
#[test]
fn decay_rates_beyond_one_are_refused() {
    assert_invalid(RmsProp::builder().alpha(2.0).build(), "RmsProp", "alpha", 2.0);
    assert!(RmsProp::<f64>::builder().alpha(1.0).build().is_ok());
    assert_invalid(RmsProp::builder().momentum(1.0).build(), "RmsProp", "momentum", 1.0);
    assert_invalid(Sgd::builder().momentum(1e300).build(), "Sgd", "momentum", 1e300);
    assert_invalid(Sgd::builder().momentum(1.0).build(), "Sgd", "momentum", 1.0);
}
