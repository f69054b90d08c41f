//! Early stopping: when to stop, and the best value and epoch it remembers.

use tapegrad_optim::{EarlyStopping, Mode};

/// The epoch at which `stopper` first says stop, feeding `metrics` in order.
fn stop_epoch(stopper: &mut EarlyStopping<f64>, metrics: &[f64]) -> Option<usize> {
    metrics.iter().position(|&metric| stopper.step(metric))
}

#[test]
fn stops_after_patience_epochs_without_improvement() {
    // patience 3: best 0.5 at epoch 2, then three epochs that do not beat it.
    let mut stopper = EarlyStopping::new(3, 0.0).unwrap();
    assert_eq!(stop_epoch(&mut stopper, &[1.0, 0.8, 0.5, 0.6, 0.5, 0.7, 0.1]), Some(5));
    assert_eq!((stopper.best(), stopper.best_epoch()), (Some(0.5), Some(2)));
    assert_eq!(stopper.epochs_without_improvement(), 3);
    assert!(stopper.should_stop());
}

#[test]
fn an_improvement_resets_the_count() {
    let mut stopper = EarlyStopping::new(2, 0.0).unwrap();
    assert_eq!(stop_epoch(&mut stopper, &[1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7]), None);
    assert_eq!((stopper.best(), stopper.best_epoch()), (Some(0.7), Some(6)));
    assert!(!stopper.should_stop());
}

#[test]
fn improvements_within_min_delta_do_not_count() {
    // min_delta 0.1: after best = 1.0, only metric < 0.9 improves; 0.95 and 0.92 do not, and
    // they do not become the best either.
    let mut stopper = EarlyStopping::new(2, 0.1).unwrap();
    assert_eq!(stop_epoch(&mut stopper, &[1.0, 0.95, 0.92]), Some(2));
    assert_eq!((stopper.best(), stopper.best_epoch()), (Some(1.0), Some(0)));
}

#[test]
fn max_mode_watches_for_the_metric_to_rise() {
    let mut stopper = EarlyStopping::new(1, 0.01).unwrap().mode(Mode::Max);
    assert_eq!(stop_epoch(&mut stopper, &[0.6, 0.7, 0.705]), Some(2));
    assert_eq!(stopper.best(), Some(0.7));
}

#[test]
fn nan_is_never_an_improvement() {
    let mut stopper = EarlyStopping::new(2, 0.0).unwrap();
    assert!(!stopper.step(f64::NAN)); // a bad epoch, even with nothing to compare with
    assert_eq!((stopper.best(), stopper.epochs_without_improvement()), (None, 1));
    assert!(!stopper.step(1.0));
    assert!(!stopper.step(f64::NAN));
    assert!(stopper.step(f64::NAN));
    assert_eq!((stopper.best(), stopper.best_epoch()), (Some(1.0), Some(1)));
}

#[test]
fn patience_zero_stops_at_the_first_epoch_without_improvement() {
    let mut stopper = EarlyStopping::new(0, 0.0).unwrap();
    assert_eq!(stop_epoch(&mut stopper, &[3.0, 2.0, 1.0, 1.0]), Some(3));
}
