//! Learning-rate schedules against PyTorch's formulas, computed by hand for several epochs;
//! schedules driving an optimizer between steps; ReduceLROnPlateau's behaviour.

use ndarray::{array, Array1};
use tapegrad_optim::{
    Adam, CosineAnnealingLr, ExponentialLr, LinearLr, LrSchedule, Mode, NamedParam, Optimizer,
    ReduceLrOnPlateau, Sgd, StepLr, ThresholdMode,
};

use crate::common::assert_close;

fn rates(schedule: &dyn LrSchedule<f64>, epochs: usize) -> Array1<f64> {
    (0..epochs).map(|epoch| schedule.learning_rate(epoch)).collect()
}

#[test]
fn step_lr() {
    // StepLR(optimizer, step_size=3, gamma=0.1) with lr=0.1: lr(e) = 0.1 · 0.1^⌊e/3⌋
    let schedule = StepLr::new(0.1, 3, 0.1).unwrap();
    let expected = array![0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001];
    assert_close(&rates(&schedule, 8), &expected, 1e-15, "StepLr");
}

#[test]
fn exponential_lr() {
    // ExponentialLR(optimizer, gamma=0.5) with lr=0.1: lr(e) = 0.1 · 0.5^e
    let schedule = ExponentialLr::new(0.1, 0.5).unwrap();
    assert_eq!(rates(&schedule, 5), array![0.1, 0.05, 0.025, 0.0125, 0.00625]);
}

#[test]
fn cosine_annealing_lr() {
    // CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001) with lr=0.1:
    // lr(e) = 0.001 + 0.099 · (1 + cos(πe/10)) / 2, with cos(π/5) = (1 + √5)/4,
    // cos(π/2) = 0, cos(4π/5) = −(1 + √5)/4, cos(π) = −1; past T_max the cosine climbs back.
    let schedule = CosineAnnealingLr::new(0.1, 10, 0.001).unwrap();
    let cos_36 = (1.0 + 5f64.sqrt()) / 4.0;
    let at =
        |epochs: &[usize]| -> Array1<f64> { epochs.iter().map(|&e| schedule.learning_rate(e)).collect() };
    let expected = array![
        0.1,
        0.001 + 0.099 * (1.0 + cos_36) / 2.0,
        0.0505,
        0.001 + 0.099 * (1.0 - cos_36) / 2.0,
        0.001,
        0.0505,
        0.1
    ];
    assert_close(&at(&[0, 2, 5, 8, 10, 15, 20]), &expected, 1e-14, "CosineAnnealingLr");
}

#[test]
fn linear_lr_warm_up_and_decay() {
    // LinearLR(optimizer) at PyTorch's defaults (start_factor=1/3, end_factor=1, total_iters=5)
    // with lr=0.1: factor 1/3 + (2/3)·min(e, 5)/5 = [5, 7, 9, 11, 13, 15, 15]/15
    let warm_up = LinearLr::new(0.1, 1.0 / 3.0, 1.0, 5).unwrap();
    let expected = array![5.0, 7.0, 9.0, 11.0, 13.0, 15.0, 15.0] / 15.0 * 0.1;
    assert_close(&rates(&warm_up, 7), &expected, 1e-15, "warm-up");

    // LinearLR(optimizer, start_factor=1, end_factor=0.5, total_iters=2): factor 1 − 0.25·min(e, 2)
    let decay = LinearLr::new(0.1, 1.0, 0.5, 2).unwrap();
    assert_close(&rates(&decay, 4), &array![0.1, 0.075, 0.05, 0.05], 1e-15, "decay");
}

#[test]
fn a_schedule_between_steps_gives_pytorchs_trajectory() {
    // opt = SGD([θ], lr=0.1, momentum=0.9); sched = StepLR(opt, step_size=1, gamma=0.5);
    // three rounds of opt.step(); sched.step() with a constant gradient g = 1, θ₀ = 1.
    // The buffer does not hold the rate: b = 1, 1.9, 2.71, and each step uses its own rate,
    // θ₃ = 1 − 0.1·1 − 0.05·1.9 − 0.025·2.71 = 0.73725.
    let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.9).build().unwrap();
    let schedule = StepLr::new(0.1, 1, 0.5).unwrap();
    let mut theta = array![1.0];
    for epoch in 0..3 {
        schedule.apply(epoch, &mut sgd);
        let _report = sgd.step_params(&mut [NamedParam::new("theta", &mut theta, &array![1.0])]).unwrap();
    }
    assert_close(&theta, &array![0.73725], 1e-15, "SGD with StepLR");

    // Adam with the same schedule: a constant gradient has m̂ = v̂ = 1 at every step, so
    // each step moves by its own rate, γₜ/(1 + ε): θ₃ = 1 − (0.1 + 0.05 + 0.025)/(1 + 1e-8).
    let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
    let mut theta = array![1.0];
    for epoch in 0..3 {
        assert_eq!(schedule.apply(epoch, &mut adam), 0.1 * 0.5f64.powi(epoch as i32));
        let _report = adam.step_params(&mut [NamedParam::new("theta", &mut theta, &array![1.0])]).unwrap();
    }
    assert_close(&theta, &array![1.0 - 0.175 / (1.0 + 1e-8)], 1e-12, "Adam with StepLR");
}

/// The optimizer's learning rate after each `plateau.step(metric)`.
fn plateau_rates(plateau: &mut ReduceLrOnPlateau<f64>, metrics: &[f64]) -> Vec<f64> {
    let mut sgd = Sgd::builder().learning_rate(1.0).build().unwrap();
    metrics
        .iter()
        .map(|&metric| {
            plateau.step(metric, &mut sgd);
            sgd.learning_rate()
        })
        .collect()
}

#[test]
fn plateau_cuts_after_more_than_patience_bad_epochs() {
    // ReduceLROnPlateau(opt, factor=0.5, patience=2): the 3rd epoch in a row without
    // improvement cuts; an improvement resets the count.
    let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(2).build().unwrap();
    let rates = plateau_rates(&mut plateau, &[1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6]);
    assert_eq!(rates, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]);
    assert_eq!((plateau.best(), plateau.num_bad_epochs(), plateau.last_epoch()), (0.5, 0, 8));
}

#[test]
fn plateau_relative_threshold() {
    // threshold=1e-4, 'rel': after best = 1, improvement means metric < 1·(1 − 1e-4) = 0.9999.
    let build = || ReduceLrOnPlateau::builder().factor(0.5).patience(0).build().unwrap();
    assert_eq!(plateau_rates(&mut build(), &[1.0, 0.99995]), [1.0, 0.5]);
    assert_eq!(plateau_rates(&mut build(), &[1.0, 0.9998]), [1.0, 1.0]);
}

#[test]
fn plateau_cooldown_ignores_bad_epochs() {
    // factor=0.5, patience=1, cooldown=2 on a flat metric: cut at epoch 3; epochs 4 and 5 are
    // cooldown (their bad epochs do not count); epochs 6 and 7 are bad again: cut at 7.
    let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(1).cooldown(2).build().unwrap();
    let rates = plateau_rates(&mut plateau, &[1.0; 8]);
    assert_eq!(rates, [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]);
    assert!(plateau.in_cooldown());
    // Without cooldown: a cut every two bad epochs.
    let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(1).build().unwrap();
    assert_eq!(plateau_rates(&mut plateau, &[1.0; 8]), [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
}

#[test]
fn plateau_min_lr_and_eps() {
    // factor=0.1, patience=0, min_lr=0.05: 1 → 0.1 → max(0.01, 0.05) = 0.05, then no more cuts.
    let mut plateau = ReduceLrOnPlateau::builder().patience(0).min_lr(0.05).build().unwrap();
    let mut sgd = Sgd::builder().learning_rate(1.0).build().unwrap();
    let cuts: Vec<bool> = (0..4).map(|_| plateau.step(1.0, &mut sgd)).collect();
    assert_eq!(cuts, [false, true, true, false]);
    assert_eq!(sgd.learning_rate(), 0.05);

    // eps=1e-8: from lr = 1e-8, halving would lower it by 5e-9 < eps, so no cut is made.
    let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(0).build().unwrap();
    let mut sgd = Sgd::builder().learning_rate(1e-8).build().unwrap();
    plateau.step(1.0, &mut sgd);
    assert!(!plateau.step(1.0, &mut sgd));
    assert_eq!(sgd.learning_rate(), 1e-8);
}

#[test]
fn plateau_max_mode_with_an_absolute_threshold() {
    // mode='max', threshold=0.01, threshold_mode='abs': improvement means accuracy > best + 0.01.
    let mut plateau = ReduceLrOnPlateau::builder()
        .mode(Mode::Max)
        .factor(0.5)
        .patience(0)
        .threshold(0.01, ThresholdMode::Absolute)
        .build()
        .unwrap();
    assert_eq!(plateau.best(), f64::NEG_INFINITY);
    let rates = plateau_rates(&mut plateau, &[0.5, 0.505, 0.52, 0.4]);
    assert_eq!(rates, [1.0, 0.5, 0.5, 0.25]);
    assert_eq!(plateau.best(), 0.52);
}

#[test]
fn plateau_counts_nan_as_bad_and_reads_the_current_rate() {
    let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(0).build().unwrap();
    let mut sgd = Sgd::builder().learning_rate(1.0).build().unwrap();
    plateau.step(1.0, &mut sgd);
    sgd.set_learning_rate(0.2); // changed by someone else between epochs
    assert!(plateau.step(f64::NAN, &mut sgd));
    assert_eq!(sgd.learning_rate(), 0.1);
    assert_eq!(plateau.best(), 1.0);
}
