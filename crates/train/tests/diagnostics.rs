//! Gradient-health diagnostics: off costs nothing, on measures every parameter, the
//! update ratio matches a hand computation, and dead ReLUs are found.

use ndarray::{array, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::Dataset;
use tapegrad_nn::{Dense, Parameters, ReLU, Sequential};
use tapegrad_optim::{Adam, Sgd};
use tapegrad_train::Trainer;

/// Two blobs in 2-D, 100 points each, labels 0 and 1.
fn blobs(seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let features = Array2::from_shape_fn((200, 2), |(i, j)| {
        let centre = if i < 100 { -1.0 } else { 1.0 };
        centre * if j == 0 { 1.0 } else { 0.5 } + rand::RngExt::random_range(&mut rng, -0.8..0.8)
    });
    Dataset::new(features, (0..200).map(|i| usize::from(i >= 100)).collect()).unwrap()
}

fn model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(2, 16, &mut rng)).add(ReLU).add(Dense::new(16, 2, &mut rng))
}

fn trainer() -> Trainer {
    Trainer::new().epochs(3).batch_size(16).quiet(true)
}

#[test]
fn off_by_default_records_nothing() {
    let mut net = model(3);
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let history = trainer().fit(&mut net, &mut adam, &blobs(1), None).unwrap();
    // No accumulator exists when off, so no parameter or activation is copied.
    assert!(history.epochs.iter().all(|e| e.diagnostics.is_none()));
}

#[test]
fn on_gives_one_finite_positive_entry_per_parameter() {
    let mut net = model(3);
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let history = trainer().diagnostics(true).fit(&mut net, &mut adam, &blobs(1), None).unwrap();
    assert_eq!(history.epochs.len(), 3);
    for epoch in &history.epochs {
        let diagnostics = epoch.diagnostics.as_ref().expect("diagnostics were switched on");
        let names: Vec<&str> = diagnostics.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, net.param_names());
        for p in &diagnostics.params {
            let (norm, ratio) = (p.grad_norm.unwrap(), p.update_ratio.unwrap());
            assert!(norm.is_finite() && norm > 0.0, "{p:?}");
            assert!(ratio.is_finite() && ratio > 0.0, "{p:?}");
        }
        assert_eq!(diagnostics.dead_relu_fractions.len(), 1);
        let line = diagnostics.to_string();
        assert!(line.starts_with("grad norm layers.0.weight "), "{line}");
        assert!(line.contains(" | dead ReLU "), "{line}");
    }
}

#[test]
fn update_ratio_of_one_sgd_step_matches_the_hand_computation() {
    // W = I (2×2), no bias, x = [1, 0], label 1: logits = [1, 0], p = softmax = [σ(1), 1 − σ(1)],
    // ∂L/∂W = xᵀ (p − onehot(1)) = [[σ(1), −σ(1)], [0, 0]], so ‖g‖ = σ(1)·√2 and ‖W‖ = √2.
    // Plain SGD: Δθ = −lr·g, so ‖Δθ‖/‖θ‖ = lr·‖g‖/‖W‖ = lr·σ(1).
    let sigma_1 = 1.0 / (1.0 + (-1.0f64).exp());
    let learning_rate = 0.1;
    let data = Dataset::new(array![[1.0f64, 0.0]], vec![1]).unwrap();
    let mut net = Dense::from_arrays(Array2::<f64>::eye(2), None);
    let mut sgd = Sgd::builder().learning_rate(learning_rate).build().unwrap();
    let history =
        Trainer::new().epochs(1).quiet(true).diagnostics(true).fit(&mut net, &mut sgd, &data, None).unwrap();
    let diagnostics = history.epochs[0].diagnostics.as_ref().unwrap();
    assert_eq!(diagnostics.params.len(), 1);
    let weight = &diagnostics.params[0];
    assert_eq!(weight.name, "weight");
    let norm = weight.grad_norm.unwrap();
    assert!((norm - sigma_1 * 2f64.sqrt()).abs() < 1e-12, "{norm}");
    let ratio = weight.update_ratio.unwrap();
    assert!((ratio - learning_rate * norm / 2f64.sqrt()).abs() < 1e-12, "{ratio}");
    assert!((ratio - learning_rate * sigma_1).abs() < 1e-12, "{ratio}");
    assert!(diagnostics.dead_relu_fractions.is_empty()); // no ReLU in this model
}

#[test]
fn a_very_negative_first_bias_kills_every_relu_unit() {
    let data = blobs(1);
    let mut dead = model(3);
    dead.visit_params_mut(&mut |name, mut param| {
        if name == "layers.0.bias" {
            param.fill(-100.0); // |x·W| is far below 100 on this data: every pre-activation < 0
        }
    });
    let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    let history = trainer().diagnostics(true).fit(&mut dead, &mut sgd, &data, None).unwrap();
    for epoch in &history.epochs {
        assert_eq!(epoch.diagnostics.as_ref().unwrap().dead_relu_fractions, vec![1.0]);
    }

    let mut alive = model(3);
    let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    let history = trainer().diagnostics(true).fit(&mut alive, &mut sgd, &data, None).unwrap();
    for epoch in &history.epochs {
        let fraction = epoch.diagnostics.as_ref().unwrap().dead_relu_fractions[0];
        assert!(fraction < 1.0, "{fraction}");
    }
}
