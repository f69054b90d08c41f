//! Saves survive SIGKILL: a child process saves weights, optimizer state and a training
//! history over and over, alternating two versions of each, and is killed at random
//! moments. After every kill each file is one version or the other, whole, and loads.
//! (Issue 11, class 4. The long variant, 1,000 kills, is `#[ignore]`d.) And a training run
//! with checkpoints and best weights, killed at random moments, resumes after every kill
//! (issue 22, E6).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tapegrad::data::Dataset;
use tapegrad::nn::{load_weights, save_weights, Dense, Module, Sequential, Tanh};
use tapegrad::optim::{load_state, save_state, Adam, Optimizer};
use tapegrad::prelude::{SeedableRng, StdRng};
use tapegrad::tape::Tape;
use tapegrad::train::{EpochRecord, History};

/// Set in the child's environment: the directory to save into.
const CHILD: &str = "TAPEGRAD_CRASH_TEST_CHILD";

fn model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(8, 64, &mut rng)).add(Tanh).add(Dense::new(64, 4, &mut rng))
}

fn params(model: &impl Module<f32>) -> Vec<f32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().copied()));
    out
}

/// An Adam that has taken `steps` steps on `model`.
fn adam(model: &mut Sequential<f32>, steps: usize) -> Adam<f32> {
    let mut adam = Adam::builder().learning_rate(0.01).build().unwrap();
    let data = Dataset::new(ndarray::Array2::from_elem((4, 8), 0.5f32), vec![0, 1, 2, 3]).unwrap();
    for _ in 0..steps {
        let grads = {
            let tape = Tape::new();
            let logits = model.forward(&tape, tape.constant(data.features())).unwrap();
            let loss = tapegrad::loss::cross_entropy(logits, data.labels(), tapegrad::loss::Reduction::Mean);
            tape.backward(loss.unwrap())
        };
        let _report = adam.step(model, &grads).unwrap();
    }
    adam
}

fn history(epochs: usize) -> History {
    let mut history = History::default();
    for epoch in 1..=epochs {
        history.push(EpochRecord { epoch, train_loss: 1.0 / epoch as f64, ..Default::default() });
    }
    history
}

/// The two versions the child alternates between.
struct Versions {
    models: [Sequential<f32>; 2],
    optimizers: [Adam<f32>; 2],
    histories: [History; 2],
}

fn versions() -> Versions {
    let (mut a, mut b) = (model(1), model(2));
    let optimizers = [adam(&mut a, 1), adam(&mut b, 3)];
    Versions { models: [a, b], optimizers, histories: [history(3), history(40)] }
}

fn files(dir: &Path) -> [PathBuf; 3] {
    [dir.join("model.safetensors"), dir.join("adam.safetensors"), dir.join("history.csv")]
}

/// In the child: save the two versions in turn until killed.
#[test]
fn child_saves_until_killed() {
    let Ok(dir) = std::env::var(CHILD) else { return };
    let v = versions();
    let [weights, state, csv] = files(Path::new(&dir));
    for turn in (0..2).cycle() {
        save_weights(&v.models[turn], &weights).unwrap();
        save_state(&v.optimizers[turn], &state).unwrap();
        v.histories[turn].write_csv(&csv).unwrap();
    }
}

/// Kills the child `kills` times (or until `budget` runs out) and checks the files after
/// each kill; returns how many kills were checked.
fn kill_repeatedly(test: &str, kills: usize, budget: Duration) -> usize {
    let dir = std::env::temp_dir().join(format!("tapegrad-crash-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let v = versions();
    // Both versions exist before the first kill, so every file is always present.
    let [weights, state, csv] = files(&dir);
    save_weights(&v.models[0], &weights).unwrap();
    save_state(&v.optimizers[0], &state).unwrap();
    v.histories[0].write_csv(&csv).unwrap();
    let csv_versions = [v.histories[0].to_csv(), v.histories[1].to_csv()];
    let model_versions = [params(&v.models[0]), params(&v.models[1])];

    let start = Instant::now();
    let mut random = 0x2545_f491_4f6c_dd1du64;
    let (mut checked, mut saved_meanwhile) = (0, 0);
    let stamp = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    while checked < kills && start.elapsed() < budget {
        let before = stamp(&weights);
        let mut child = spawn_child("child_saves_until_killed", CHILD, &dir);
        // Wait for the child's first save, so the kill lands while it is saving, however
        // slowly the machine starts a process; then kill it at a random moment.
        let waiting = Instant::now();
        while stamp(&weights) == before && waiting.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_micros(200));
        }
        saved_meanwhile += usize::from(stamp(&weights) != before);
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        std::thread::sleep(Duration::from_micros(random % 10_000));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let mut loaded = model(99);
        load_weights(&mut loaded, &weights).unwrap_or_else(|e| panic!("kill {checked}: weights: {e}"));
        assert!(model_versions.contains(&params(&loaded)), "kill {checked}: weights of neither version");
        for (i, optimizer_model) in v.models.iter().enumerate() {
            // The state fits both models (same shapes); it must load, whole.
            let mut fresh = Adam::<f32>::builder().build().unwrap();
            load_state(&mut fresh, optimizer_model, &state)
                .unwrap_or_else(|e| panic!("kill {checked}: state: {e}"));
            let saved = fresh.export_state();
            assert!(
                saved == v.optimizers[0].export_state() || saved == v.optimizers[1].export_state(),
                "kill {checked}: optimizer state of neither version ({i})"
            );
        }
        let text = std::fs::read_to_string(&csv).unwrap();
        assert!(csv_versions.contains(&text), "kill {checked}: a torn history:\n{text}");
        checked += 1;
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    // A kill can leave at most one temporary file per target; the next save removes it.
    assert!(leftovers.len() <= 3, "{leftovers:?}");
    // The kills must land while the child saves, not before it starts.
    assert_eq!(saved_meanwhile, checked, "a child never saved before it was killed");
    let _ = std::fs::remove_dir_all(&dir);
    checked
}

#[test]
fn every_file_is_whole_after_50_kills() {
    let checked = kill_repeatedly("50", 50, Duration::from_secs(60));
    assert_eq!(checked, 50);
}

#[test]
#[ignore = "about a minute: run with --ignored"]
fn every_file_is_whole_after_1000_kills() {
    let checked = kill_repeatedly("1000", 1000, Duration::from_secs(600));
    assert_eq!(checked, 1000);
}

/// Set in the child's environment for the training-run variant: the checkpoint directory.
const TRAINING_CHILD: &str = "TAPEGRAD_CRASH_TEST_TRAINING_CHILD";

/// The training run the child makes and the parent resumes: checkpoints every epoch, the
/// best weights kept (a learning rate high enough that the best epoch keeps moving).
fn training_run(dir: &Path) -> (tapegrad::train::Trainer, Dataset<f32>) {
    let features = ndarray::Array2::from_shape_fn((64, 8), |(i, j)| ((i * 5 + j * 3) % 7) as f32 / 3.0 - 1.0);
    let data = Dataset::new(features, (0..64).map(|i| i % 4).collect::<Vec<usize>>()).unwrap();
    let trainer = tapegrad::train::Trainer::new()
        .batch_size(16)
        .quiet(true)
        .restore_best_weights(true)
        .monitor(tapegrad::train::Monitor::TrainLoss)
        .checkpoint_every_epoch(dir)
        .resume(true);
    (trainer, data)
}

/// In the child: train (resuming what is there) until killed.
#[test]
fn child_trains_until_killed() {
    let Ok(dir) = std::env::var(TRAINING_CHILD) else { return };
    let (trainer, data) = training_run(Path::new(&dir));
    let mut optimizer = Adam::builder().learning_rate(0.05).build().unwrap();
    trainer.epochs(1_000_000).fit(&mut model(3), &mut optimizer, &data, None).unwrap();
}

/// Issue 22, E6: a training run with checkpoints and best weights, killed at random
/// moments; after every kill the checkpoint resumes (its files agree: the best weights
/// are its history's best epoch's), and the next child goes on from it.
#[test]
fn a_checkpointed_run_resumes_after_every_kill() {
    let dir = std::env::temp_dir().join(format!("tapegrad-crash-training-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (trainer, data) = training_run(&dir);
    let model_file = dir.join("model.safetensors");
    let epoch_of = || -> Option<usize> {
        let (_, metadata) = tapegrad::nn::read_tensors::<f32>(&model_file).ok()?;
        metadata.get("epoch")?.parse().ok()
    };
    let mut random = 0x9e37_79b9_7f4a_7c15u64;
    let (mut kills, mut last_epoch) = (0, 0);
    let start = Instant::now();
    // `TAPEGRAD_KILLS` for a longer run (the default keeps `cargo test` quick).
    let wanted: usize = std::env::var("TAPEGRAD_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(20);
    while kills < wanted && start.elapsed() < Duration::from_secs(90 + wanted as u64 / 2) {
        let mut child = spawn_child("child_trains_until_killed", TRAINING_CHILD, &dir);
        // Let it commit at least one more checkpoint, then kill it at a random moment.
        let waiting = Instant::now();
        while epoch_of().unwrap_or(0) <= last_epoch && waiting.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(1));
        }
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        std::thread::sleep(Duration::from_micros(random % 20_000));
        child.kill().unwrap();
        child.wait().unwrap();
        let epoch = epoch_of().expect("a checkpoint after the child's first epoch");
        assert!(epoch > last_epoch, "kill {kills}: the checkpoint went back from {last_epoch} to {epoch}");
        // Resuming for exactly the epochs done reads, checks and applies everything, and
        // trains nothing more.
        let mut resumed = model(3);
        let mut optimizer = Adam::builder().learning_rate(0.05).build().unwrap();
        let history = trainer
            .clone()
            .epochs(epoch)
            .fit(&mut resumed, &mut optimizer, &data, None)
            .unwrap_or_else(|e| panic!("kill {kills} (epoch {epoch}): {e}"));
        assert_eq!(history.epochs.len(), epoch);
        last_epoch = epoch;
        kills += 1;
    }
    assert!(kills >= 5, "only {kills} kills in the time allowed");
    eprintln!("{kills} kills of a checkpointed run, each resumed; the last at epoch {last_epoch}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts this test binary again running only the child test `test` (named as libtest
/// names it here: its module path after the crate's name, `crash::…` when this file is a
/// module of the integration-test binary), with `variable` set to `dir`.
fn spawn_child(test: &str, variable: &str, dir: &Path) -> std::process::Child {
    let name = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_string(),
    };
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &name, "--test-threads", "1"])
        .env(variable, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}
