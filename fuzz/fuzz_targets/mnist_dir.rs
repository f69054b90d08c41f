//! An MNIST directory: the input is split into its four files (each prefixed by a 2-byte
//! length), written under their standard names, gzip or not as their bytes say.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch("mnist");
    std::fs::create_dir_all(&dir).expect("a directory");
    let mut rest = data;
    for name in NAMES {
        let (length, tail) = match rest {
            [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
            _ => (0, &[][..]),
        };
        let (file, tail) = tail.split_at(length.min(tail.len()));
        std::fs::write(dir.join(name), file).expect("write a file");
        rest = tail;
    }
    let _ = tapegrad::data::load_mnist::<f32>(&dir);
});
