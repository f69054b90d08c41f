//! Optimizer state files loaded into Adam (with AMSGrad) and SGD with momentum for a
//! small model; a failed load must leave the optimizer unchanged.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tapegrad::nn::{Dense, Sequential};
use tapegrad::optim::{load_state, Adam, Optimizer, Sgd};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("state.safetensors");
    std::fs::write(&path, data).expect("write the input");
    let model: Sequential<f32> = Sequential::new()
        .add(Dense::from_arrays(ndarray::Array2::zeros((2, 3)), Some(ndarray::Array1::zeros(3))));
    let mut adam = Adam::<f32>::builder().amsgrad(true).build().expect("valid");
    if load_state(&mut adam, &model, &path).is_err() {
        assert!(adam.export_state().is_empty(), "a failed load changed the optimizer");
    }
    let mut sgd = Sgd::<f32>::builder().momentum(0.9).build().expect("valid");
    if load_state(&mut sgd, &model, &path).is_err() {
        assert!(sgd.export_state().is_empty(), "a failed load changed the optimizer");
    }
});
