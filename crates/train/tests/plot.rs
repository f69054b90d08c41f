//! `History::write_svg` draws a readable chart and refuses an empty history.
#![cfg(feature = "plot")]

use tapegrad_train::{EpochRecord, History, TrainError};

fn synthetic(epochs: usize, validation: bool) -> History {
    let mut history = History::default();
    for epoch in 1..=epochs {
        let t = epoch as f64;
        history.push(EpochRecord {
            epoch,
            train_loss: 0.1 + 1.2 * (-0.35 * t).exp(),
            train_accuracy: 0.97 - 0.45 * (-0.4 * t).exp(),
            validation_loss: validation.then(|| 0.18 + 1.1 * (-0.3 * t).exp()),
            validation_accuracy: validation.then(|| 0.93 - 0.42 * (-0.35 * t).exp()),
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
