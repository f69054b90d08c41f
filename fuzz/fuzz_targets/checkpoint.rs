//! A training checkpoint directory with one file replaced by the input (the first byte
//! picks which: the model with its metadata, the optimizer state or the best weights),
//! then a resume that trains one more epoch. Either that is `Ok` and every weight and
//! buffer is finite, or it is an error with the model, the optimizer and the files as they
//! were (issue 22).
#![no_main]

mod common;

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tapegrad::data::Dataset;
use tapegrad::nn::{BatchNorm1d, Dense, Module, ReLU, Sequential};
use tapegrad::optim::{Adam, Optimizer};
use tapegrad::prelude::{SeedableRng, StdRng};
use tapegrad::train::Trainer;

fn data() -> Dataset<f32> {
    let features = ndarray::Array2::from_shape_fn((24, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0);
    Dataset::new(features, (0..24usize).map(|i| i % 2).collect::<Vec<usize>>()).expect("valid data")
}

fn model() -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(4);
    Sequential::new().add(Dense::new(3, 4, &mut rng)).add(BatchNorm1d::new(4)).add(ReLU).add(Dense::new(4, 2, &mut rng))
}

fn trainer(dir: &Path, epochs: usize) -> Trainer {
    Trainer::new()
        .epochs(epochs)
        .batch_size(8)
        .quiet(true)
        .restore_best_weights(true)
        .checkpoint_every_epoch(dir)
        .resume(true)
}

fn bits(model: &impl Module<f32>) -> Vec<u32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().map(|v| v.to_bits())));
    model.visit_buffers(&mut |_, b| out.extend(b.iter().map(|v| v.to_bits())));
    out
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("the directory")
        .map(|entry| {
            let entry = entry.expect("an entry");
            (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).expect("a file"))
        })
        .collect();
    files.sort();
    files
}

/// The files of a two-epoch run, made once per process.
fn pristine() -> &'static Vec<(String, Vec<u8>)> {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = common::scratch("pristine-run");
        let _ = std::fs::remove_dir_all(&dir);
        let mut adam = Adam::builder().learning_rate(0.01).build().expect("valid");
        trainer(&dir, 2).fit(&mut model(), &mut adam, &data(), Some(&data())).expect("the first run");
        read_all(&dir)
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, bytes)) = input.split_first() else { return };
    let files = pristine();
    let dir = common::scratch("run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the directory");
    for (name, original) in files {
        std::fs::write(dir.join(name), original).expect("a file");
    }
    let (target, _) = &files[usize::from(which) % files.len()];
    std::fs::write(dir.join(target), bytes).expect("the input");
    let before_files = read_all(&dir);
    let mut net = model();
    let before = bits(&net);
    let mut adam = Adam::builder().learning_rate(0.01).build().expect("valid");
    match trainer(&dir, 3).fit(&mut net, &mut adam, &data(), Some(&data())) {
        Ok(_) => assert!(bits(&net).iter().all(|&b| f32::from_bits(b).is_finite()), "Ok with a non-finite tensor"),
        Err(_) => {
            assert_eq!(bits(&net), before, "a failed resume changed the model");
            assert!(adam.export_state().is_empty(), "a failed resume changed the optimizer");
            assert!(read_all(&dir) == before_files, "a failed resume changed the files");
        }
    }
});
