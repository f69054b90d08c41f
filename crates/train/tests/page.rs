//! The training page: what it holds is what training recorded (losses, accuracies, every
//! parameter's gradient norm, the classifier's P(class 1) on the grid), it loads nothing,
//! and bad data or a changed model is an error that leaves the page as it was.

use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;
use tapegrad_data::Dataset;
use tapegrad_nn::{Dense, Module, Parameters, Sequential, Tanh};
use tapegrad_optim::Adam;
use tapegrad_tape::Tape;
use tapegrad_train::{EpochRecord, TrainError, Trainer, TrainingPage};

/// The data the page script reads.
fn page_data(html: &str) -> Value {
    let start = html.find("const D = ").expect("the data") + "const D = ".len();
    let end = start + html[start..].find(";\n").expect("the data's end");
    serde_json::from_str(&html[start..end]).expect("JSON")
}

/// The number written is `want` (to serde_json's parsing, which may be an ulp off the
/// shortest decimal written; a browser's `JSON.parse` is exact).
fn same(written: &Value, want: f64) {
    let got = written.as_f64().unwrap_or_else(|| panic!("{written} is not a number"));
    assert!((got - want).abs() <= 2.0 * f64::EPSILON * want.abs(), "{got} written for {want}");
}

/// Two blobs, left class 0 and right class 1.
fn blobs() -> (Array2<f64>, Vec<usize>) {
    let points = Array2::from_shape_fn((40, 2), |(i, j)| {
        let side = if i < 20 { -1.0 } else { 1.0 };
        if j == 0 {
            side + 0.05 * (i % 7) as f64
        } else {
            0.1 * (i % 5) as f64 - 0.2
        }
    });
    (points, (0..40).map(|i| usize::from(i >= 20)).collect())
}

fn probability_of_class_1(model: &Sequential<f64>, grid: ArrayView2<f64>) -> Result<Vec<f64>, TrainError> {
    let tape = Tape::inference();
    let p = model.forward(&tape, tape.constant(grid.to_owned()))?.softmax(1).value();
    Ok(p.outer_iter().map(|row| row[1]).collect())
}

#[test]
fn the_page_holds_what_training_recorded() {
    let (points, labels) = blobs();
    let data = Dataset::new(points.clone(), labels.clone()).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let mut model =
        Sequential::new().add(Dense::new(2, 8, &mut rng)).add(Tanh).add(Dense::new(8, 2, &mut rng));
    let mut adam = Adam::builder().learning_rate(0.05).build().unwrap();
    let mut page = TrainingPage::new("blobs </script> <!--<script> & co", points.view(), &labels).unwrap();
    let mut seen: Vec<(EpochRecord, Vec<f64>)> = Vec::new();
    let trainer = Trainer::new().epochs(4).batch_size(8).seed(0).quiet(true).diagnostics(true);
    trainer
        .fit_with_callback(&mut model, &mut adam, &data, Some(&data), |end| {
            let model = &*end.model;
            let mut asked = Vec::new();
            page.record(end.record, |grid| {
                asked = probability_of_class_1(model, grid)?;
                Ok(asked.clone())
            })?;
            seen.push((end.record.clone(), asked));
            Ok(true)
        })
        .unwrap();
    assert_eq!(page.epochs(), 4);

    let html = page.to_html();
    // (SVG's namespace is a name, not an address anything is loaded from.)
    let loaded = html.replace("http://www.w3.org/2000/svg", "");
    for external in ["src=", "href=", "http://", "https://", "@import", "url("] {
        assert!(!loaded.contains(external), "the page loads nothing ({external})");
    }
    let d = page_data(&html);
    assert_eq!(
        d["title"], "blobs </script> <!--<script> & co",
        "a title with `</` survives the script element"
    );
    assert_eq!(d["labels"].as_array().unwrap().len(), 40);
    assert_eq!(d["params"], serde_json::json!(model.param_names()));
    let levels: Vec<char> = d["levels"].as_str().unwrap().chars().collect();
    for (k, (record, asked)) in seen.iter().enumerate() {
        let epoch = &d["epochs"][k];
        assert_eq!(epoch["epoch"], record.epoch);
        same(&epoch["train_loss"], record.train_loss);
        same(&epoch["validation_loss"], record.validation_loss.unwrap());
        same(&epoch["validation_accuracy"], record.validation_accuracy().unwrap());
        let norms = record.diagnostics.as_ref().unwrap().params.iter().map(|p| p.grad_norm.unwrap());
        assert_eq!(epoch["grad_norms"].as_array().unwrap().len(), norms.len());
        norms.zip(epoch["grad_norms"].as_array().unwrap()).for_each(|(norm, shown)| same(shown, norm));
        // P(class 1) per cell, to a 126th.
        let p = epoch["p"].as_str().unwrap();
        assert_eq!(p.chars().count(), asked.len());
        for (c, want) in p.chars().zip(asked) {
            let got = levels.iter().position(|&l| l == c).unwrap() as f64 / 63.0;
            assert!((got - want).abs() <= 0.5 / 63.0 + 1e-12, "{got} for {want}");
        }
    }
    // The grid spans the points with room: the classifier said class 0 on the left.
    let last = d["epochs"][3]["p"].as_str().unwrap();
    assert!(last.starts_with('0') || last.starts_with('1'), "left edge is class 0: {}", &last[..5]);
}

#[test]
fn bad_data_is_an_error_naming_it_and_changes_nothing() {
    let (points, labels) = blobs();
    assert!(
        matches!(TrainingPage::new("t", points.view(), &labels[..3]), Err(TrainError::Page(m)) if m.contains("40 points but 3 labels"))
    );
    let mut page = TrainingPage::new("t", points.view(), &labels).unwrap();
    let record = EpochRecord { epoch: 1, train_loss: 0.5, ..Default::default() };
    for (answer, says) in [
        (vec![0.5; 3], "returned 3 probabilities for 1600"),
        (vec![f64::NAN; 1600], "NaN"),
        (vec![1.5; 1600], "1.5, outside 0..=1"),
    ] {
        let err = page.record(&record, |_| Ok(answer.clone())).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
    // The classifier's own error passes through.
    let err = page.record(&record, |_| Err(TrainError::InvalidSetting("no".into()))).unwrap_err();
    assert!(matches!(err, TrainError::InvalidSetting(_)));
    assert_eq!(page.epochs(), 0);

    // A model whose parameters change between epochs.
    let diagnostics = |names: &[&str]| tapegrad_train::Diagnostics {
        params: names
            .iter()
            .map(|n| tapegrad_train::ParamDiagnostics {
                name: n.to_string(),
                grad_norm: Some(1.0),
                update_ratio: None,
            })
            .collect(),
        dead_relu_fractions: vec![],
    };
    let with = |names: &[&str]| EpochRecord { diagnostics: Some(diagnostics(names)), ..record.clone() };
    page.record(&with(&["a.weight"]), |g| Ok(vec![0.0; g.nrows()])).unwrap();
    let err = page.record(&with(&["b.weight"]), |g| Ok(vec![0.0; g.nrows()])).unwrap_err();
    assert!(err.to_string().contains("differ from the earlier epochs'"), "{err}");
    assert_eq!(page.epochs(), 1);
    // Even when the first epoch's model had no parameters at all.
    let mut empty_first = TrainingPage::new("t", points.view(), &labels).unwrap();
    empty_first.record(&with(&[]), |g| Ok(vec![0.0; g.nrows()])).unwrap();
    assert!(empty_first.record(&with(&["a.weight"]), |g| Ok(vec![0.0; g.nrows()])).is_err());
    // Without diagnostics an epoch has no norms, and the page says how to get them.
    page.record(&record, |g| Ok(vec![1.0; g.nrows()])).unwrap();
    let d = page_data(&page.to_html());
    assert!(d["epochs"][1]["grad_norms"].is_null());
}

#[test]
fn a_page_holds_at_most_its_limit_of_epochs() {
    let mut page = TrainingPage::new("t", ndarray::array![[0.0, 0.0]].view(), &[0]).unwrap();
    let record = EpochRecord::default();
    for _ in 0..TrainingPage::MAX_EPOCHS {
        page.record(&record, |g| Ok(vec![0.25; g.nrows()])).unwrap();
    }
    let err = page.record(&record, |g| Ok(vec![0.25; g.nrows()])).unwrap_err();
    assert!(err.to_string().contains("record every few epochs"), "{err}");
}
