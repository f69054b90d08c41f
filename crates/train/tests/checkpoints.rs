//! Issue 22: a resume applies all of a checkpoint or changes nothing; a checkpoint and its
//! best weights commit together; what a checkpoint's metadata names is checked, never
//! trusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayD};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::Dataset;
use tapegrad_nn::{read_tensors, write_tensors, BatchNorm1d, Dense, Dropout, Module, ReLU, Sequential};
use tapegrad_optim::{Adam, Optimizer};
use tapegrad_train::{Metric, Monitor, TrainError, Trainer};

fn blobs(seed: u64) -> Dataset<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let features = Array2::from_shape_fn((64, 2), |(i, j)| {
        let centre = if i < 32 { -1.0 } else { 1.0 };
        centre * if j == 0 { 1.0 } else { 0.5 } + rand::RngExt::random_range(&mut rng, -0.9..0.9)
    });
    Dataset::new(features, (0..64).map(|i| usize::from(i >= 32)).collect()).unwrap()
}

fn net(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Dense::new(2, 8, &mut rng))
        .add(BatchNorm1d::new(8))
        .add(ReLU)
        .add(Dropout::new(0.2, 3).unwrap())
        .add(Dense::new(8, 2, &mut rng))
}

fn adam() -> Adam<f32> {
    Adam::builder().learning_rate(0.05).build().unwrap()
}

/// Every parameter and buffer, as bits.
fn tensors(model: &impl Module<f32>) -> Vec<u32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().map(|v| v.to_bits())));
    model.visit_buffers(&mut |_, b| out.extend(b.iter().map(|v| v.to_bits())));
    out
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-checkpoints-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn trainer(dir: &Path) -> Trainer {
    Trainer::new()
        .batch_size(16)
        .quiet(true)
        .restore_best_weights(true)
        .monitor(Monitor::Validation(Metric::Accuracy))
        .checkpoint_every_epoch(dir)
        .resume(true)
}

/// The files in `dir` with their bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

fn restore_files(dir: &Path, saved: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in saved {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Rewrites a tensor file with `edit` applied to its arrays and metadata (written raw, as a
/// damaged or hand-edited file would be).
fn edit(path: &Path, edit: impl FnOnce(&mut BTreeMap<String, ArrayD<f32>>, &mut BTreeMap<String, String>)) {
    let (found, mut metadata) = read_tensors::<f32>(path).unwrap();
    let mut arrays: BTreeMap<String, ArrayD<f32>> =
        found.into_iter().map(|(name, t)| (name, t.values.unwrap())).collect();
    edit(&mut arrays, &mut metadata);
    write_tensors(path, arrays.iter().map(|(n, a)| (n.clone(), a.view())), metadata).unwrap();
}

/// An edit of a tensor file's arrays and metadata.
type Change = fn(&mut BTreeMap<String, ArrayD<f32>>, &mut BTreeMap<String, String>);

fn best_file(saved: &BTreeMap<String, Vec<u8>>) -> String {
    saved.keys().find(|name| name.starts_with("best-")).expect("a best file").clone()
}

/// E2, E3, E10: each damage makes `resume` an error naming it, with the model, the
/// optimizer and the files exactly as they were.
#[test]
fn a_failed_resume_changes_nothing() {
    let (train, test) = (blobs(1), blobs(2));
    let dir = scratch("failed-resume");
    trainer(&dir).epochs(4).fit(&mut net(5), &mut adam(), &train, Some(&test)).unwrap();
    let saved = files(&dir);
    let best = best_file(&saved);
    type Damage = Box<dyn Fn(&Path)>;
    let on = |file: &'static str, change: Change| {
        Box::new(move |dir: &Path| edit(&dir.join(file), change)) as Damage
    };
    let on_best = |change: Change| {
        let best = best.clone();
        Box::new(move |dir: &Path| edit(&dir.join(&best), change)) as Damage
    };
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "best weights cut short",
            {
                let best = best.clone();
                Box::new(move |dir: &Path| {
                    let bytes = std::fs::read(dir.join(&best)).unwrap();
                    std::fs::write(dir.join(&best), &bytes[..bytes.len() - 9]).unwrap();
                })
            },
            "not a valid safetensors file",
        ),
        (
            "a NaN best weight",
            on_best(|arrays, _| arrays.get_mut("layers.0.weight").unwrap()[[1, 3]] = f32::NAN),
            "`layers.0.weight`: element [1, 3] is NaN",
        ),
        (
            "a best weight of another shape",
            on_best(|arrays, _| {
                arrays.insert("layers.4.bias".into(), ndarray::ArrayD::zeros(vec![3]));
            }),
            "`layers.4.bias`: expected shape [2], file has [3]",
        ),
        (
            "a missing best running mean",
            on_best(|arrays, _| {
                arrays.remove("layers.1.running_mean");
            }),
            "`layers.1.running_mean`: missing from the file",
        ),
        (
            "no best file",
            {
                let best = best.clone();
                Box::new(move |dir: &Path| std::fs::remove_file(dir.join(&best)).unwrap())
            },
            "cannot read",
        ),
        (
            "an infinite weight",
            on("model.safetensors", |arrays, _| {
                arrays.get_mut("layers.4.weight").unwrap()[[0, 0]] = f32::INFINITY
            }),
            "`layers.4.weight`: element [0, 0] is inf",
        ),
        (
            "a NaN running variance",
            on("model.safetensors", |arrays, _| {
                arrays.get_mut("layers.1.running_var").unwrap()[[2]] = f32::NAN
            }),
            "`layers.1.running_var`: element [2] is NaN",
        ),
        (
            "an optimizer file elsewhere",
            on("model.safetensors", |_, meta| {
                meta.insert("optimizer_file".into(), "../optimizer-4.safetensors".into());
            }),
            "a checkpoint of epoch 4 names `optimizer-4.safetensors`",
        ),
        (
            "an optimizer file that never ends",
            on("model.safetensors", |_, meta| {
                meta.insert("optimizer_file".into(), "/dev/zero".into());
            }),
            "its optimizer file is Some(\"/dev/zero\")",
        ),
        (
            "history rows swapped",
            on("model.safetensors", |_, meta| {
                let history = meta["history"].clone();
                let mut lines: Vec<&str> = history.lines().collect();
                lines.swap(1, 2);
                meta.insert("history".into(), lines.join("\n"));
            }),
            "its history's row 1 is of epoch 2",
        ),
        (
            "a history row duplicated",
            on("model.safetensors", |_, meta| {
                let history = meta["history"].clone();
                let mut lines: Vec<&str> = history.lines().collect();
                lines[3] = lines[2];
                meta.insert("history".into(), lines.join("\n"));
            }),
            "its history's row 3 is of epoch 2",
        ),
        (
            "a best epoch beyond the checkpoint",
            on("model.safetensors", |_, meta| {
                meta.insert("best_epoch".into(), "9".into());
            }),
            "its best epoch `9` is not one of epochs 1 to 4",
        ),
        (
            "a best file of another epoch",
            on("model.safetensors", |_, meta| {
                meta.insert("best_file".into(), "best-0.safetensors".into());
            }),
            "its best file is `best-0.safetensors`",
        ),
        (
            "optimizer state that does not fit",
            on("optimizer-4.safetensors", |arrays, _| {
                arrays.insert("layers.0.weight.exp_avg".into(), ndarray::ArrayD::zeros(vec![8, 2]));
            }),
            "does not match the parameter's [2, 8]",
        ),
    ];
    for (case, damage, expected) in cases {
        restore_files(&dir, &saved);
        damage(&dir);
        let before_files = files(&dir);
        let (mut model, mut optimizer) = (net(5), adam());
        let before = tensors(&model);
        let err = trainer(&dir).epochs(6).fit(&mut model, &mut optimizer, &train, Some(&test)).unwrap_err();
        assert!(err.to_string().contains(expected), "{case}: {err}");
        assert!(!matches!(err, TrainError::Io { .. }) || case == "no best file", "{case}: {err:?}");
        assert_eq!(tensors(&model), before, "{case}: the model changed");
        assert!(optimizer.export_state().is_empty(), "{case}: the optimizer changed");
        assert_eq!(files(&dir), before_files, "{case}: the files changed");
    }
    // The checkpoint as written resumes.
    restore_files(&dir, &saved);
    trainer(&dir).epochs(6).fit(&mut net(5), &mut adam(), &train, Some(&test)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// E6: the best weights commit with the checkpoint that names them. Every checkpoint
/// holds exactly its model, its optimizer state and the best file of its history's best
/// epoch; a best file left by a run killed before its checkpoint committed is ignored,
/// and the next checkpoint removes it.
#[test]
fn a_checkpoint_and_its_best_weights_commit_together() {
    let (train, test) = (blobs(3), blobs(4));
    let dir = scratch("commit-together");
    // The validation loss: its best epoch moves as the run goes on.
    let trainer = |dir: &Path| trainer(dir).monitor(Monitor::ValidationLoss);
    let mut bests = Vec::new();
    for epochs in 1..=5 {
        let history =
            trainer(&dir).epochs(epochs).fit(&mut net(6), &mut adam(), &train, Some(&test)).unwrap();
        let (best_epoch, _) = history
            .epochs
            .iter()
            .map(|e| (e.epoch, e.validation_loss.unwrap()))
            .fold((0, f64::INFINITY), |b, (epoch, v)| if v < b.1 { (epoch, v) } else { b });
        bests.push(best_epoch);
        let names: Vec<String> = files(&dir).into_keys().collect();
        let expected = [
            format!("best-{best_epoch}.safetensors"),
            "model.safetensors".into(),
            format!("optimizer-{epochs}.safetensors"),
        ];
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(names, expected, "after epoch {epochs}");
    }
    assert!(bests.windows(2).any(|w| w[0] != w[1]), "the best epoch moved: {bests:?}");
    // A best file from an epoch that never committed (a kill between the two writes).
    let stray = dir.join("best-6.safetensors");
    std::fs::copy(dir.join(best_file(&files(&dir))), &stray).unwrap();
    let (mut model, mut optimizer) = (net(6), adam());
    trainer(&dir).epochs(6).fit(&mut model, &mut optimizer, &train, Some(&test)).unwrap();
    let names = files(&dir);
    assert!(names.contains_key("optimizer-6.safetensors"));
    assert_eq!(names.keys().filter(|name| name.starts_with("best-")).count(), 1, "{:?}", names.keys());
    // Written without restore_best_weights, resumed with it: the best epoch's weights are
    // not there, and the error says so rather than restoring nothing.
    let other = scratch("commit-together-plain");
    Trainer::new()
        .batch_size(16)
        .quiet(true)
        .checkpoint_every_epoch(&other)
        .epochs(2)
        .fit(&mut net(6), &mut adam(), &train, Some(&test))
        .unwrap();
    let (mut model, before) = {
        let m = net(6);
        let t = tensors(&m);
        (m, t)
    };
    let err = Trainer::new()
        .batch_size(16)
        .quiet(true)
        .restore_best_weights(true)
        .checkpoint_every_epoch(&other)
        .resume(true)
        .epochs(3)
        .fit(&mut model, &mut adam(), &train, Some(&test))
        .unwrap_err();
    assert!(
        err.to_string().contains("its best weights are of none, but its history's best is epoch"),
        "{err}"
    );
    assert_eq!(tensors(&model), before);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&other).unwrap();
}

mod custom {
    use super::*;
    use ndarray::{ArrayViewD, ArrayViewMutD};
    use tapegrad_nn::{
        visit_child, visit_child_mut, visit_children_params, visit_children_params_mut, NnError, Parameters,
    };
    use tapegrad_tape::{Tape, Var};

    /// A composite written with the least code the API allows: its children named once.
    pub struct Net {
        pub encoder: Dense<f32>,
        pub norm: BatchNorm1d<f32>,
        pub drop: Dropout,
        pub head: Dense<f32>,
    }

    impl Net {
        pub fn new(seed: u64) -> Self {
            let mut rng = StdRng::seed_from_u64(seed);
            Net {
                encoder: Dense::new(2, 8, &mut rng),
                norm: BatchNorm1d::new(8),
                drop: Dropout::new(0.3, 9).unwrap(),
                head: Dense::new(8, 2, &mut rng),
            }
        }
    }

    impl Parameters<f32> for Net {
        fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f32>)) {
            visit_children_params(self, visit);
        }
        fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f32>)) {
            visit_children_params_mut(self, visit);
        }
    }

    impl Module<f32> for Net {
        fn forward<'t>(&'t self, tape: &'t Tape<'t, f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>, NnError> {
            let hidden = self.norm.forward(tape, self.encoder.forward(tape, x)?)?.relu();
            self.head.forward(tape, self.drop.forward(tape, hidden)?)
        }
        fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<f32>)) {
            visit("encoder", &self.encoder);
            visit("norm", &self.norm);
            visit("drop", &self.drop);
            visit("head", &self.head);
        }
        fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<f32>)) {
            visit("encoder", &mut self.encoder);
            visit("norm", &mut self.norm);
            visit("drop", &mut self.drop);
            visit("head", &mut self.head);
        }
    }

    /// The same composite written the old way and half done: parameters and forward only.
    pub struct Forgetful(pub Net);

    impl Parameters<f32> for Forgetful {
        fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f32>)) {
            visit_child("encoder", &self.0.encoder, visit);
            visit_child("norm", &self.0.norm, visit);
            visit_child("head", &self.0.head, visit);
        }
        fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f32>)) {
            visit_child_mut("encoder", &mut self.0.encoder, visit);
            visit_child_mut("norm", &mut self.0.norm, visit);
            visit_child_mut("head", &mut self.0.head, visit);
        }
    }

    impl Module<f32> for Forgetful {
        fn forward<'t>(&'t self, tape: &'t Tape<'t, f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>, NnError> {
            self.0.forward(tape, x)
        }
    }
}

/// Issue 22, E15: a custom composite written with the least code the API allows (its
/// children named once) saves its running statistics, switches mode, and resumes bit for
/// bit; the same composite with only parameters and forward is refused by the Trainer,
/// which names what is missing, instead of training on with its buffers unsaved.
#[test]
fn a_least_code_composite_saves_switches_and_resumes_and_a_half_one_is_named() {
    let (train, test) = (blobs(5), blobs(6));
    let mut net = custom::Net::new(1);
    let mut buffers = Vec::new();
    net.visit_buffers(&mut |name, _| buffers.push(name.to_string()));
    assert_eq!(buffers, ["norm.running_mean", "norm.running_var"]);
    let path = scratch("least-code").with_extension("safetensors");
    tapegrad_nn::save_weights(&net, &path).unwrap();
    let (saved, _) = read_tensors::<f32>(&path).unwrap();
    assert_eq!(saved.len(), 8, "{:?}", saved.keys());
    std::fs::remove_file(&path).unwrap();
    net.set_training(false);
    let run = |net: &custom::Net| {
        let tape = tapegrad_tape::Tape::inference();
        net.forward(&tape, tape.constant(test.features())).unwrap().value()
    };
    assert_eq!(run(&net), run(&net), "Dropout is off in evaluation");

    let dir = scratch("least-code-resume");
    let trainer = Trainer::new().batch_size(16).quiet(true).seed(4);
    let mut straight = custom::Net::new(1);
    trainer.clone().epochs(6).fit(&mut straight, &mut adam(), &train, Some(&test)).unwrap();
    let resumable = trainer.checkpoint_every_epoch(&dir).resume(true);
    resumable.clone().epochs(3).fit(&mut custom::Net::new(1), &mut adam(), &train, Some(&test)).unwrap();
    let mut resumed = custom::Net::new(1);
    resumable.epochs(6).fit(&mut resumed, &mut adam(), &train, Some(&test)).unwrap();
    assert_eq!(tensors(&resumed), tensors(&straight), "weights and running statistics bit for bit");
    std::fs::remove_dir_all(&dir).unwrap();

    let mut forgetful = custom::Forgetful(custom::Net::new(1));
    let before = tensors(&forgetful);
    let err =
        Trainer::new().epochs(2).quiet(true).fit(&mut forgetful, &mut adam(), &train, None).unwrap_err();
    assert!(matches!(err, TrainError::InvalidSetting(_)), "{err:?}");
    assert!(err.to_string().contains("implement visit_children and visit_children_mut"), "{err}");
    assert_eq!(tensors(&forgetful), before);
}

/// Issue 22, E12: a checkpoint that cannot be written (here the optimizer file's name is
/// taken by a directory; a full disk fails the same way) says it cannot write the file,
/// not that the run "cannot resume".
#[test]
fn a_checkpoint_that_cannot_be_written_says_so() {
    let (train, test) = (blobs(7), blobs(8));
    let dir = scratch("cannot-write");
    std::fs::create_dir_all(dir.join("optimizer-1.safetensors")).unwrap();
    let err = trainer(&dir).epochs(2).fit(&mut net(1), &mut adam(), &train, Some(&test)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, TrainError::Io { .. }), "{err:?}");
    assert!(message.starts_with("cannot write") && message.contains("optimizer-1.safetensors"), "{message}");
    assert!(!message.contains("resume"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}
