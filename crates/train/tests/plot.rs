//! `History::write_svg` draws a readable chart and refuses an empty history.
#![cfg(feature = "plot")]

use tapegrad_train::{EpochRecord, History, Metric, TrainError};

fn synthetic(epochs: usize, validation: bool) -> History {
    let mut history = History::default();
    for epoch in 1..=epochs {
        let t = epoch as f64;
        history.push(EpochRecord {
            epoch,
            train_loss: 0.1 + 1.2 * (-0.35 * t).exp(),
            train_metrics: vec![(Metric::Accuracy, 0.97 - 0.45 * (-0.4 * t).exp())],
            validation_loss: validation.then(|| 0.18 + 1.1 * (-0.3 * t).exp()),
            validation_metrics: validation
                .then(|| (Metric::Accuracy, 0.93 - 0.42 * (-0.35 * t).exp()))
                .into_iter()
                .collect(),
            learning_rate: 0.01,
            ..Default::default()
        });
    }
    history
}

/// The contents of the SVG's `<text>` elements, trimmed.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, rest) = element.split_once('>')?;
            let (text, _) = rest.split_once("</text>")?;
            Some(text.trim())
        })
        .collect()
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tapegrad-train-test-{}-{name}", std::process::id()))
}

#[test]
fn ten_epochs_draw_an_svg_with_title_axes_and_legend() {
    let path = temp_path("history.svg");
    synthetic(10, true).write_svg(&path, "MLP on two moons").unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let texts = texts(&svg);
    for text in ["MLP on two moons", "epoch", "loss", "accuracy (%)", "train", "validation"] {
        assert!(texts.contains(&text), "no <text> {text:?} in {texts:?}");
    }
    // Both panels have an epoch axis and a legend.
    assert_eq!(texts.iter().filter(|t| **t == "epoch").count(), 2);
    assert_eq!(texts.iter().filter(|t| **t == "validation").count(), 2);
    // Two lines per panel (plus the legends' samples and the axes).
    assert!(svg.matches("<polyline").count() >= 4);
    // Markers on the points of a short history: 2 × 10 per panel, 2 per legend.
    assert_eq!(svg.matches("<circle").count(), 2 * (2 * 10 + 2));
}

#[test]
fn validation_series_only_when_present() {
    let path = temp_path("train-only.svg");
    synthetic(3, false).write_svg(&path, "train only").unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let texts = texts(&svg);
    assert!(texts.contains(&"train"), "{texts:?}");
    assert!(!texts.contains(&"validation"), "{texts:?}");
}

#[test]
fn one_epoch_and_many_epochs_draw() {
    for epochs in [1, 200] {
        let path = temp_path(&format!("{epochs}.svg"));
        synthetic(epochs, true).write_svg(&path, "edge cases").unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("edge cases"));
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn empty_history_is_a_plot_error_naming_the_path() {
    let path = temp_path("empty.svg");
    let err = History::default().write_svg(&path, "nothing").unwrap_err();
    assert!(matches!(&err, TrainError::Plot { path: p, .. } if *p == path), "{err:?}");
    assert!(err.to_string().contains(&*path.to_string_lossy()));
    assert!(!path.exists());
}

#[test]
fn unwritable_path_is_an_io_error() {
    let path = temp_path("no-such-dir").join("history.svg");
    let err = synthetic(2, true).write_svg(&path, "x").unwrap_err();
    assert!(matches!(err, TrainError::Io { .. }), "{err:?}");
}

/// A classifier that says class 1 right of `x = 0`: P(class 1) = σ(4x).
fn right_of_zero(grid: ndarray::ArrayView2<f64>) -> Result<Vec<f64>, TrainError> {
    Ok(grid.rows().into_iter().map(|p| 1.0 / (1.0 + (-4.0 * p[0]).exp())).collect())
}

#[test]
fn decision_boundary_draws_regions_contour_and_points_and_checks_its_inputs() {
    use tapegrad_train::write_decision_boundary_svg;
    let points = ndarray::array![[-1.0, 0.0], [-0.5, 1.0], [0.5, 0.5], [1.0, -1.0], [0.8, 0.2]];
    let labels = [0, 0, 1, 1, 1];
    let path = temp_path("boundary.svg");
    write_decision_boundary_svg(&path, "left or right", points.view(), &labels, right_of_zero).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let texts = texts(&svg);
    for text in ["left or right", "x₁", "x₂", "class 0", "class 1", "P(class 1) = 0.5"] {
        assert!(texts.contains(&text), "no <text> {text:?} in {texts:?}");
    }
    // Two circles (marker and edge) per class-0 point, plus the legend's pair.
    assert_eq!(svg.matches("<circle").count(), 2 * (2 + 1));

    // Each bad input is a plot error that names the problem, and nothing is written.
    let three_columns = ndarray::Array2::<f64>::zeros((5, 3));
    let cases: [(ndarray::ArrayView2<f64>, &[usize], &str); 3] = [
        (points.view(), &labels[..4], "5 points but 4 labels"),
        (points.view(), &[0, 0, 1, 2, 1], "label 2 of point 3 is not 0 or 1"),
        (three_columns.view(), &labels, "points must have 2 columns, not 3"),
    ];
    for (points, labels, problem) in cases {
        let err = write_decision_boundary_svg(&path, "bad", points, labels, right_of_zero).unwrap_err();
        assert!(matches!(&err, TrainError::Plot { path: p, .. } if *p == path), "{err:?}");
        assert!(err.to_string().contains(problem), "{err} does not say {problem:?}");
        assert!(!path.exists());
    }
    let too_few = |_: ndarray::ArrayView2<f64>| Ok(vec![0.5; 3]);
    let err = write_decision_boundary_svg(&path, "bad", points.view(), &labels, too_few).unwrap_err();
    assert!(err.to_string().contains("returned 3 probabilities for 22500 grid points"), "{err}");
}

/// Values so large that the axes' margins would overflow are an error, not a chart
/// drawn forever (the plotting library loops on an infinite axis).
#[test]
fn values_too_large_to_draw_are_errors_not_hangs() {
    let dir = std::env::temp_dir().join(format!("tapegrad-plot-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut history = History::default();
    history.push(EpochRecord { epoch: 1, train_loss: 1.7e308, ..Default::default() });
    history.push(EpochRecord { epoch: usize::MAX, train_loss: 1.0, ..Default::default() });
    let err = history.write_svg(dir.join("huge.svg"), "huge").unwrap_err();
    assert!(matches!(err, TrainError::Plot { .. }) && err.to_string().contains("too large to draw"), "{err}");
    let mut history = History::default();
    history.push(EpochRecord { epoch: usize::MAX, train_loss: 1.0, ..Default::default() });
    history.write_svg(dir.join("last-epoch.svg"), "the last epoch").unwrap();

    let points = ndarray::array![[-9e307, 0.0], [9e307, 1.0]];
    let err =
        tapegrad_train::write_decision_boundary_svg(dir.join("b.svg"), "t", points.view(), &[0, 1], |grid| {
            Ok(vec![0.5; grid.nrows()])
        })
        .unwrap_err();
    assert!(err.to_string().contains("too large to draw"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 12: a regression history draws its loss and its own metrics, and no accuracy.
#[test]
fn a_regression_history_draws_only_the_metrics_it_has() {
    let mut history = History::default();
    for epoch in 1..=8 {
        let t = epoch as f64;
        history.push(EpochRecord {
            epoch,
            train_loss: 3.0 / t,
            train_metrics: vec![(Metric::Mae, 1.5 / t), (Metric::R2, 1.0 - 1.0 / t)],
            validation_loss: Some(3.3 / t),
            validation_metrics: vec![(Metric::Mae, 1.6 / t), (Metric::R2, 0.95 - 1.2 / t)],
            ..Default::default()
        });
    }
    let path = temp_path("regression.svg");
    history.write_svg(&path, "diabetes").unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let texts = texts(&svg);
    for text in ["loss", "MAE", "R²"] {
        assert!(texts.contains(&text), "no <text> {text:?} in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t.contains("accuracy")), "{texts:?}");
    assert_eq!(texts.iter().filter(|t| **t == "epoch").count(), 3, "three panels");
}
