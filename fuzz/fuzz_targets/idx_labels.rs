//! IDX label files (plain and gzip), alone and paired with a valid image file.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let labels = common::scratch("labels-idx1-ubyte");
    let images = common::scratch("images-for-labels-idx3-ubyte");
    std::fs::write(&labels, data).expect("write the input");
    std::fs::write(&images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4])
        .expect("write images");
    let _ = tapegrad::data::read_idx_labels(&labels);
    let _ = tapegrad::data::load_idx::<f32>(&images, &labels);
});
