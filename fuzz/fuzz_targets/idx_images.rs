//! IDX image files (plain and gzip), as f32 and f64.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("images-idx3-ubyte");
    std::fs::write(&path, data).expect("write the input");
    let _ = tapegrad::data::read_idx_images::<f32>(&path);
    let _ = tapegrad::data::read_idx_images::<f64>(&path);
});
