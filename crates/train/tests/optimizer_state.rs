//! Optimizer state survives a save and a load exactly (with nn's layers, so here rather
//! than in optim, which does not depend on them): N steps, save, load into fresh
//! objects, M more steps gives bit for bit the parameters of N + M steps straight.

use std::path::PathBuf;

use ndarray::{array, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_nn::{load_weights, save_weights, Dense, Module, Sequential, Tanh};
use tapegrad_optim::{load_state, save_state, Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd, StateError};
use tapegrad_tape::Tape;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-optim-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(2, 4, &mut rng)).add(Tanh).add(Dense::new(4, 1, &mut rng))
}

fn params(model: &impl Module<f32>) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.push(p.iter().copied().collect()));
    out
}

/// `steps` full-batch steps of MSE on XOR.
fn train(model: &mut Sequential<f32>, optimizer: &mut dyn Optimizer<f32>, steps: usize) {
    let x: Array2<f32> = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y: Array2<f32> = array![[0.0], [1.0], [1.0], [0.0]];
    for _ in 0..steps {
        let grads = {
            let tape = Tape::new();
            let prediction = model.forward(&tape, tape.constant(&x)).unwrap();
            let loss = (prediction - tape.constant(&y)).square().mean();
            tape.backward(loss)
        };
        let _report = optimizer.step(model, &grads).unwrap();
    }
}

/// Makes a fresh optimizer with fixed settings.
type Make = fn() -> Box<dyn Optimizer<f32>>;

fn optimizers() -> Vec<(&'static str, Make)> {
    vec![
        ("sgd nesterov", || {
            Box::new(Sgd::builder().learning_rate(0.1).momentum(0.9).nesterov(true).build().unwrap())
        }),
        ("adagrad", || Box::new(Adagrad::builder().learning_rate(0.1).lr_decay(0.01).build().unwrap())),
        ("rmsprop centered", || {
            Box::new(RmsProp::builder().learning_rate(0.01).momentum(0.5).centered(true).build().unwrap())
        }),
        ("adam amsgrad", || Box::new(Adam::builder().learning_rate(0.05).amsgrad(true).build().unwrap())),
        ("adamw", || Box::new(AdamW::builder().learning_rate(0.05).build().unwrap())),
    ]
}

#[test]
fn n_steps_save_load_m_steps_equals_n_plus_m_steps_bit_for_bit() {
    let dir = scratch("resume");
    for (name, make) in optimizers() {
        let (n, m) = (7, 5);
        let mut straight = model(1);
        let mut optimizer = make();
        train(&mut straight, optimizer.as_mut(), n + m);

        let mut first = model(1);
        let mut optimizer = make();
        train(&mut first, optimizer.as_mut(), n);
        save_weights(&first, dir.join("model.safetensors")).unwrap();
        save_state(optimizer.as_ref(), dir.join("optimizer.safetensors")).unwrap();

        // A fresh model (different initial weights) and a fresh optimizer, as in a new process.
        let mut resumed = model(99);
        let mut optimizer = make();
        load_weights(&mut resumed, dir.join("model.safetensors")).unwrap();
        load_state(optimizer.as_mut(), &resumed, dir.join("optimizer.safetensors")).unwrap();
        train(&mut resumed, optimizer.as_mut(), m);

        assert_eq!(params(&resumed), params(&straight), "{name}: resumed training must match exactly");
        // And the state really matters: without it, the trajectory differs.
        let mut forgetful = model(99);
        load_weights(&mut forgetful, dir.join("model.safetensors")).unwrap();
        train(&mut forgetful, make().as_mut(), m);
        assert_ne!(
            params(&forgetful),
            params(&straight),
            "{name}: a fresh state should change the trajectory"
        );
    }
}

#[test]
fn the_learning_rate_is_restored_with_the_state() {
    let dir = scratch("lr");
    let mut net = model(3);
    let mut adam = Adam::builder().learning_rate(0.05).build().unwrap();
    train(&mut net, &mut adam, 2);
    adam.set_learning_rate(0.0125); // e.g. a schedule's decay
    save_state(&adam, dir.join("adam.safetensors")).unwrap();
    let mut fresh = Adam::builder().learning_rate(0.05).build().unwrap();
    load_state(&mut fresh, &net, dir.join("adam.safetensors")).unwrap();
    assert_eq!(fresh.learning_rate(), 0.0125);
}

#[test]
fn state_that_does_not_fit_is_one_error_and_changes_nothing() {
    let dir = scratch("mismatch");
    let mut net = model(4);
    let mut adam = Adam::builder().build().unwrap();
    train(&mut net, &mut adam, 1);
    let path = dir.join("adam.safetensors");
    save_state(&adam, &path).unwrap();

    // Into another optimizer.
    let mut sgd = Sgd::builder().momentum(0.9).build().unwrap();
    train(&mut model(4), &mut sgd, 1);
    let before = sgd.export_state();
    let err = load_state(&mut sgd, &net, &path).unwrap_err();
    let StateError::Mismatch { problems, .. } = &err else { panic!("{err}") };
    assert!(problems.contains(&"saved by Adam, loading into Sgd".to_string()), "{err}");
    assert_eq!(sgd.export_state(), before);

    // For a model of other shapes.
    let mut rng = StdRng::seed_from_u64(5);
    let wider =
        Sequential::<f32>::new().add(Dense::new(2, 3, &mut rng)).add(Tanh).add(Dense::new(3, 1, &mut rng));
    let mut fresh = Adam::builder().build().unwrap();
    let err = load_state(&mut fresh, &wider, &path).unwrap_err();
    assert!(
        err.to_string()
            .contains("`layers.0.weight.exp_avg`: shape [2, 4] does not match the parameter's [2, 3]"),
        "{err}"
    );
    assert!(fresh.export_state().is_empty());

    // A weights file is not optimizer state.
    save_weights(&net, dir.join("weights.safetensors")).unwrap();
    let err = load_state(&mut fresh, &net, dir.join("weights.safetensors")).unwrap_err();
    assert!(err.to_string().contains("not a tapegrad optimizer state file"), "{err}");

    // A truncated file is a file error, not a panic.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(dir.join("cut.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    let err = load_state(&mut fresh, &net, dir.join("cut.safetensors")).unwrap_err();
    assert!(matches!(err, StateError::File(_)), "{err}");
}

/// Rewrites the state file at `path` with `edit` applied to its tensors and metadata.
fn tamper(
    path: &std::path::Path,
    edit: impl FnOnce(
        &mut std::collections::BTreeMap<String, ndarray::ArrayD<f32>>,
        &mut std::collections::BTreeMap<String, String>,
    ),
) {
    let (tensors, mut metadata) = tapegrad_tape::read_tensors::<f32>(path).unwrap();
    let mut arrays = tensors.into_iter().map(|(name, t)| (name, t.values.unwrap())).collect();
    edit(&mut arrays, &mut metadata);
    tapegrad_tape::write_tensors(path, arrays.iter().map(|(n, a)| (n.clone(), a.view())), metadata).unwrap();
}

/// Class 2 of issue 11: state that reads fine but would wreck the model — a step count
/// near `u64::MAX`, NaN or infinite buffers, a negative second moment, a learning rate
/// that is finite in f64 but infinite in f32 — is refused before anything changes, and
/// the refused state is named.
#[test]
fn state_that_would_wreck_the_model_is_refused() {
    let dir = scratch("wrecking-state");
    let mut net = model(6);
    type Edit = Box<
        dyn Fn(
            &mut std::collections::BTreeMap<String, ndarray::ArrayD<f32>>,
            &mut std::collections::BTreeMap<String, String>,
        ),
    >;
    let set = |name: &'static str, value: f32| -> Edit {
        Box::new(move |arrays, _| arrays.get_mut(name).unwrap()[[0, 1]] = value)
    };
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "step u64::MAX",
            Box::new(|_, meta| {
                meta.insert("step.layers.0.weight".into(), u64::MAX.to_string());
            }),
            "step count 18446744073709551615 is above the largest allowed",
        ),
        (
            "step 2^53 + 1",
            Box::new(|_, meta| {
                meta.insert("step.layers.0.weight".into(), ((1u64 << 53) + 1).to_string());
            }),
            "above the largest allowed, 2^53",
        ),
        (
            "NaN first moment",
            set("layers.0.weight.exp_avg", f32::NAN),
            "buffer `exp_avg`: element [0, 1] = NaN is not finite",
        ),
        (
            "infinite second moment",
            set("layers.0.weight.exp_avg_sq", f32::INFINITY),
            "buffer `exp_avg_sq`: element [0, 1] = inf is not finite",
        ),
        (
            "negative second moment",
            set("layers.0.weight.exp_avg_sq", -1e-3),
            "buffer `exp_avg_sq`: element [0, 1] = -0.001 is negative",
        ),
        (
            "negative AMSGrad maximum",
            set("layers.0.weight.max_exp_avg_sq", -1.0),
            "buffer `max_exp_avg_sq`: element [0, 1] = -1.0 is negative",
        ),
        (
            "learning rate 1e300",
            Box::new(|_, meta| {
                meta.insert("learning_rate".into(), "1e300".into());
            }),
            "expected a finite, non-negative f32",
        ),
    ];
    for (case, edit, expected) in cases {
        let mut adam = Adam::builder().learning_rate(0.05).amsgrad(true).build().unwrap();
        train(&mut net, &mut adam, 2);
        let path = dir.join("adam.safetensors");
        save_state(&adam, &path).unwrap();
        tamper(&path, edit);
        let mut resumed = Adam::builder().learning_rate(0.01).amsgrad(true).build().unwrap();
        train(&mut model(6), &mut resumed, 1);
        let before = resumed.export_state();
        let err = load_state(&mut resumed, &net, &path).unwrap_err();
        assert!(matches!(err, StateError::Mismatch { .. }), "{case}: {err}");
        assert!(err.to_string().contains(expected), "{case}: {err}");
        assert_eq!(resumed.export_state(), before, "{case}: the optimizer changed");
        assert_eq!(resumed.learning_rate(), 0.01, "{case}");
    }
    // The other optimizers' squared averages are held to the same rule.
    for (name, buffer, make) in
        [("rmsprop", "square_avg", optimizers()[2].1), ("adagrad", "sum", optimizers()[1].1)]
    {
        let mut optimizer = make();
        train(&mut net, optimizer.as_mut(), 2);
        let path = dir.join("other.safetensors");
        save_state(optimizer.as_ref(), &path).unwrap();
        tamper(&path, |arrays, _| {
            arrays.get_mut(&format!("layers.2.weight.{buffer}")).unwrap()[[1, 0]] = -2.0
        });
        let err = load_state(make().as_mut(), &net, &path).unwrap_err();
        assert!(
            err.to_string().contains(&format!("buffer `{buffer}`: element [1, 0] = -2.0 is negative")),
            "{name}: {err}"
        );
    }
}

/// `import_state` (state built by hand, not loaded from a file) holds the same bound, so no
/// update ever counts past `MAX_STEP` (and the count saturates rather than wraps anyway).
#[test]
fn hand_made_state_with_a_huge_step_count_is_refused_by_import() {
    let mut net = model(7);
    let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    train(&mut net, &mut sgd, 1);
    let mut entries = sgd.export_state();
    entries.values_mut().for_each(|entry| entry.step = u64::MAX);
    // `import_state` validates too: the bound holds for hand-made state.
    let err = sgd.import_state(entries.clone()).unwrap_err();
    assert!(err.contains("above the largest allowed"), "{err}");
}

/// Issue 22, E1: state that is finite but that no run can produce — an Adam first moment
/// of `f32::MAX` beside an ordinary second moment, which made the next step's weight
/// infinite — is refused, named, and nothing changes; the next step after any state that
/// loads keeps the weights finite.
#[test]
fn finite_but_absurd_state_is_refused() {
    let dir = scratch("absurd-state");
    let mut net = model(8);
    let cases: [(&str, Make, &str, f32, &str); 4] = [
        ("adam", optimizers()[3].1, "exp_avg", f32::MAX, "is too large for its `exp_avg_sq`"),
        ("adamw", optimizers()[4].1, "exp_avg", -1e30, "is too large for its `exp_avg_sq`"),
        ("rmsprop centered", optimizers()[2].1, "grad_avg", 1e20, "is too large for its `square_avg`"),
        (
            "rmsprop momentum",
            || Box::new(RmsProp::builder().learning_rate(0.01).momentum(0.9).build().unwrap()),
            "momentum_buffer",
            1e30,
            "more than a run with momentum 0.9",
        ),
    ];
    for (name, make, buffer, value, expected) in cases {
        let mut optimizer = make();
        train(&mut net, optimizer.as_mut(), 3);
        let path = dir.join("absurd.safetensors");
        save_state(optimizer.as_ref(), &path).unwrap();
        tamper(&path, |arrays, _| {
            arrays.get_mut(&format!("layers.0.weight.{buffer}")).unwrap()[[1, 2]] = value
        });
        let mut resumed = make();
        train(&mut model(8), resumed.as_mut(), 1);
        let before = resumed.export_state();
        let err = load_state(resumed.as_mut(), &net, &path).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("`layers.0.weight`: buffer `{buffer}`: element [1, 2]")),
            "{name}: {message}"
        );
        assert!(message.contains(expected), "{name}: {message}");
        assert_eq!(resumed.export_state(), before, "{name}: the optimizer changed");
    }
}

/// The relations E1's check holds states to are ones every real run keeps: states after
/// runs of wild gradients (spikes of 10⁶ between steps of 10⁻⁶, signs flipping, a zero
/// gradient for long stretches) all load, for every optimizer that checks one.
#[test]
fn states_from_real_runs_always_pass_the_plausibility_check() {
    use tapegrad_optim::NamedParam;
    let makers: [(&str, Make); 5] = [
        ("adam", || Box::new(Adam::builder().build().unwrap())),
        ("adam amsgrad betas", || Box::new(Adam::builder().betas(0.5, 0.9).amsgrad(true).build().unwrap())),
        ("adamw", || Box::new(AdamW::builder().betas(0.95, 0.99).build().unwrap())),
        ("rmsprop momentum", || Box::new(RmsProp::builder().momentum(0.99).alpha(0.5).build().unwrap())),
        ("rmsprop centered", || Box::new(RmsProp::builder().centered(true).momentum(0.3).build().unwrap())),
    ];
    let mut rng = StdRng::seed_from_u64(22);
    for (name, make) in makers {
        for run in 0..20 {
            let mut optimizer = make();
            let mut w = ndarray::Array1::<f32>::zeros(16).into_dyn();
            for step in 0..60 {
                let scale: f32 = match (run + step) % 7 {
                    0 => 1e6,
                    1 | 2 => 1e-6,
                    3 => 0.0,
                    _ => 1.0,
                };
                let g = ndarray::Array1::from_shape_fn(16, |_| {
                    scale * rand::RngExt::random_range(&mut rng, -1.0f32..1.0)
                })
                .into_dyn();
                let _report = optimizer.step_params(&mut [NamedParam::new("w", &mut w, &g)]).unwrap();
            }
            let state = optimizer.export_state();
            let mut fresh = make();
            assert!(fresh.import_state(state).is_ok(), "{name}, run {run}: a real state was refused");
        }
    }
}

/// Issue 22, E9: a parameter group whose names cover no parameter is an error at the
/// step, before anything changes; the groups are saved with the state, and a state loads
/// only into an optimizer with the same groups (a layer's learning rate changed silently).
#[test]
fn parameter_groups_must_match_the_model_and_the_saved_state() {
    use tapegrad_optim::{NamedParam, OptimError};
    let dir = scratch("groups");
    let mut net = model(9);
    let before = params(&net);
    let mut misspelt = Adam::builder()
        .build()
        .unwrap()
        .group(["layer.0"], Adam::builder().learning_rate(1e-4).build().unwrap());
    let grads = {
        let tape = Tape::new();
        let prediction = net.forward(&tape, tape.constant(array![[0.0f32, 1.0]])).unwrap();
        tape.backward(prediction.square().sum())
    };
    let err = misspelt.step(&mut net, &grads).unwrap_err();
    assert!(
        matches!(&err, OptimError::UnmatchedGroup { prefixes, parameters: 4, .. } if prefixes == &["layer.0"]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("(layers.0.weight, layers.0.bias, layers.2.weight, layers.2.bias)"),
        "{err}"
    );
    assert_eq!(params(&net), before, "the model changed");
    assert!(misspelt.export_state().is_empty(), "the optimizer changed");
    let (mut w, g) = (array![1.0f32], array![1.0f32]);
    assert!(matches!(
        misspelt.step_params(&mut [NamedParam::new("w", &mut w, &g)]),
        Err(OptimError::UnmatchedGroup { .. })
    ));

    let grouped = || {
        Box::new(
            Adam::<f32>::builder()
                .learning_rate(0.05)
                .build()
                .unwrap()
                .group(["layers.0"], Adam::builder().learning_rate(0.005).build().unwrap()),
        ) as Box<dyn Optimizer<f32>>
    };
    let plain =
        || Box::new(Adam::<f32>::builder().learning_rate(0.05).build().unwrap()) as Box<dyn Optimizer<f32>>;
    let mut optimizer = grouped();
    train(&mut net, optimizer.as_mut(), 2);
    let path = dir.join("grouped.safetensors");
    save_state(optimizer.as_ref(), &path).unwrap();
    let mut same = grouped();
    load_state(same.as_mut(), &net, &path).unwrap();
    let mut other = plain();
    let err = load_state(other.as_mut(), &net, &path).unwrap_err();
    assert!(
        err.to_string().contains("it was saved with [\"layers.0\"] at 0.1× the base learning rate, this optimizer has no parameter groups"),
        "{err}"
    );
    assert!(other.export_state().is_empty());
    let mut plain_run = plain();
    train(&mut net, plain_run.as_mut(), 1);
    save_state(plain_run.as_ref(), &path).unwrap();
    let err = load_state(grouped().as_mut(), &net, &path).unwrap_err();
    assert!(
        err.to_string().contains("it was saved with no parameter groups, this optimizer has [\"layers.0\"]"),
        "{err}"
    );
}
