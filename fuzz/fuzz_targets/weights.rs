//! Weights files: read_tensors in both float types, and load_weights into a small model,
//! which must be unchanged whenever the load fails.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tapegrad::nn::{load_weights, Dense, Parameters, ReLU, Sequential};

fn model() -> Sequential<f32> {
    Sequential::new()
        .add(Dense::from_arrays(ndarray::Array2::from_elem((3, 4), 0.5), Some(ndarray::Array1::zeros(4))))
        .add(ReLU)
        .add(Dense::from_arrays(ndarray::Array2::from_elem((4, 2), -0.25), None))
}

fn params(model: &impl Parameters<f32>) -> Vec<u32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().map(|v| v.to_bits())));
    out
}

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("weights.safetensors");
    std::fs::write(&path, data).expect("write the input");
    let _ = tapegrad::nn::read_tensors::<f32>(&path);
    let _ = tapegrad::nn::read_tensors::<f64>(&path);
    let mut target = model();
    let before = params(&target);
    if load_weights(&mut target, &path).is_err() {
        assert_eq!(params(&target), before, "a failed load changed the model");
    }
});
