//! A bounded, seeded byte-mutation suite over every loader (issue 11): CSV (plain and
//! gzip), IDX images and labels (plain and gzip), the MNIST directory, weights and
//! optimizer state. Each mutated input must give `Ok` or an error — never a panic — and
//! no load may allocate more than `64 × input + 1 MiB` at its peak. A failed load of
//! weights or optimizer state must leave the model and the optimizer exactly as they were;
//! a resume from a mutated checkpoint directory must either train on with finite weights
//! and buffers, or fail with the model, the optimizer and the files as they were.
//!
//! The coverage-guided fuzzers in `fuzz/` (cargo-fuzz, nightly) run the same loaders for
//! millions of inputs; this suite runs in seconds with stable Rust, in `cargo test`. Set
//! `TAPEGRAD_MUTATIONS` to run more inputs per loader (the default is 1,500).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use tapegrad::data::Dataset;
use tapegrad::data::{load_idx, load_mnist, read_idx_images, read_idx_labels, CsvOptions};
use tapegrad::nn::{load_weights, save_weights, BatchNorm1d, Dense, Module, ReLU, Sequential};
use tapegrad::optim::{load_state, save_state, Adam, Optimizer};
use tapegrad::prelude::{SeedableRng, StdRng};
use tapegrad::tape::Tape;
use tapegrad::train::Trainer;

/// Tracks the live heap and its peak (one test function runs, so nothing else allocates
/// beside it).
struct Peak;
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters change.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size() as i64, Relaxed) + layout.size() as i64;
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Both blocks are live while the old one is copied.
        let live = LIVE.fetch_add(new_size as i64, Relaxed) + new_size as i64;
        PEAK.fetch_max(live, Relaxed);
        LIVE.fetch_sub(layout.size() as i64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

/// xorshift64*: small, seeded, and the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break size arithmetic, as big-endian and little-endian words.
const INTERESTING: [u64; 10] =
    [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff, u64::MAX / 2, u64::MAX];

/// Numbers that no weight, buffer or optimizer state of a real run holds, or that sit at
/// the edges of `f32`.
const ABSURD: [f32; 12] = [
    f32::MAX,
    -f32::MAX,
    1e30,
    -1e30,
    1e19,
    f32::MIN_POSITIVE,
    1e-45,
    0.0,
    -0.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
];

/// One random mutation (or a few stacked) of `seed`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len());
        match rng.below(12) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.below(8),
            1 if !bytes.is_empty() => bytes[at] = INTERESTING[rng.below(INTERESTING.len())] as u8,
            2 => bytes.truncate(at),
            3 => bytes.insert(at.min(bytes.len()), rng.next() as u8),
            4 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            5 => {
                // An interesting 4- or 8-byte word, either byte order: header fields.
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let word: Vec<u8> = match rng.below(4) {
                    0 => (value as u32).to_be_bytes().to_vec(),
                    1 => (value as u32).to_le_bytes().to_vec(),
                    2 => value.to_be_bytes().to_vec(),
                    _ => value.to_le_bytes().to_vec(),
                };
                for (i, b) in word.into_iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            6 => {
                // Duplicate a chunk.
                let end = (at + 1 + rng.below(64)).min(bytes.len());
                let chunk = bytes[at.min(end)..end].to_vec();
                let to = rng.below(bytes.len());
                bytes.splice(to..to, chunk);
            }
            7 if !bytes.is_empty() => {
                // An ASCII digit or separator (text formats, JSON headers).
                bytes[at] = b"0123456789-.,e\n\"[]{}: "[rng.below(22)];
            }
            8 => {
                // Binary header fields: one to three of the first four big-endian words
                // (IDX's magic number and dimensions) set to interesting values.
                for _ in 0..1 + rng.below(3) {
                    let field = 4 * rng.below(4);
                    let value = match rng.below(2) {
                        0 => u32::MAX,
                        _ => INTERESTING[rng.below(INTERESTING.len())] as u32,
                    }
                    .to_be_bytes();
                    for (i, b) in value.into_iter().enumerate() {
                        if let Some(slot) = bytes.get_mut(field + i) {
                            *slot = b;
                        }
                    }
                }
            }
            9 => {
                // Text header fields: a number (a safetensors shape or offset, a CSV
                // label) replaced by one that overflows.
                let runs: Vec<(usize, usize)> = digit_runs(&bytes);
                if !runs.is_empty() {
                    let (start, end) = runs[rng.below(runs.len())];
                    let big: &[&[u8]] = &[
                        b"18446744073709551615",
                        b"18446744073709551616",
                        b"9223372036854775807",
                        b"4294967296",
                        b"0",
                        b"1048576",
                    ];
                    bytes.splice(start..end, big[rng.below(big.len())].iter().copied());
                }
            }
            10 => {
                // A safetensors shape replaced whole: one to three sizes, zeros among huge
                // ones (an empty tensor whose other sizes overflow when multiplied).
                let key = b"\"shape\":[";
                if let Some(open) = bytes.windows(key.len()).position(|w| w == key).map(|p| p + key.len()) {
                    if let Some(close) = bytes[open..].iter().position(|&b| b == b']').map(|p| p + open) {
                        let sizes: [&str; 5] =
                            ["0", "1", "4294967296", "9223372036854775808", "18446744073709551615"];
                        let shape: Vec<&str> =
                            (0..1 + rng.below(3)).map(|_| sizes[rng.below(sizes.len())]).collect();
                        let shape = shape.join(",").into_bytes();
                        let grown = shape.len() as i64 - (close - open) as i64;
                        bytes.splice(open..close, shape);
                        // Keep the 8-byte header length in step, so the JSON still parses.
                        let length = u64::from_le_bytes(bytes[..8].try_into().unwrap());
                        bytes[..8].copy_from_slice(&(length as i64 + grown).to_le_bytes());
                    }
                }
            }
            _ => bytes.extend(std::iter::repeat_n(rng.next() as u8, rng.below(16))),
        }
    }
    bytes
}

/// The spans of ASCII digits in `bytes`.
fn digit_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, bytes.len()));
    }
    runs
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn idx_images(count: u8, rows: u8, columns: u8) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, rows, 0, 0, 0, columns];
    bytes.extend((0..u32::from(count) * u32::from(rows) * u32::from(columns)).map(|i| (i * 37) as u8));
    bytes
}

fn idx_labels(count: u8) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1, 0, 0, 0, count];
    bytes.extend((0..count).map(|i| i % 10));
    bytes
}

fn model(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(3, 4, &mut rng)).add(ReLU).add(Dense::new(4, 2, &mut rng))
}

/// Every parameter and buffer of `model`, as bits.
fn tensor_bits(model: &impl Module<f32>) -> Vec<u32> {
    let mut out = params(model);
    model.visit_buffers(&mut |_, b| out.extend(b.iter().map(|v| v.to_bits())));
    out
}

fn params(model: &impl Module<f32>) -> Vec<u32> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, p| out.extend(p.iter().map(|v| v.to_bits())));
    out
}

/// Runs `load` on `inputs` mutations of each seed, catching panics and measuring the
/// peak heap; returns how many inputs were tried.
fn fuzz(name: &str, seeds: &[Vec<u8>], inputs: usize, rng: &mut Rng, mut load: impl FnMut(&[u8])) -> usize {
    for i in 0..inputs {
        let seed = &seeds[i % seeds.len()];
        let input = mutate(seed, rng);
        let bound = 64 * input.len().max(seed.len()) as i64 + (1 << 20);
        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let outcome = catch_unwind(AssertUnwindSafe(|| load(&input)));
        let peak = PEAK.load(Relaxed) - before;
        assert!(outcome.is_ok(), "{name}: input {i} panicked: {:02x?}", input);
        assert!(
            peak <= bound,
            "{name}: input {i} allocated {peak} bytes at its peak (bound {bound}): {input:02x?}"
        );
    }
    inputs
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-mutation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn no_mutated_file_panics_any_loader_or_changes_a_model_it_fails_to_load() {
    let inputs: usize = std::env::var("TAPEGRAD_MUTATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(1500);
    let dir = scratch();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut counts = Vec::new();

    // CSV, read from memory (the same parser as from a file), plain and gzip.
    let csv = b"sepal,width,label\n5.1,3.5,0\n4.9, 3.0 ,1\r\n6.2,2.9,2\n\n".to_vec();
    let penguins = b"species,island,mass,sex\nAdelie,Dream,3750,male\nGentoo,\"Biscoe\",NA,female\n".to_vec();
    let csv_seeds = [
        csv.clone(),
        gzip(&csv),
        b"1,2,0\n3,4,1\n".to_vec(),
        b"3,2,a,b\n# c\n1,2,0\n3,4,1\n5,6,1\n".to_vec(),
        penguins,
    ];
    let tabular = CsvOptions::new()
        .header(true)
        .target("species")
        .categorical(["species", "island", "sex"])
        .missing(["NA"])
        .comment(b'#');
    counts.push((
        "csv",
        fuzz("csv", &csv_seeds, inputs, &mut rng, |bytes| {
            for options in [CsvOptions::new(), CsvOptions::new().header(true).label_column(0)] {
                let _ = options.read::<f32>(bytes, "mutated.csv");
            }
            let _ = tabular.read::<f64>(bytes, "mutated.csv");
            let _ = CsvOptions::new().count_line(true).comment(b'#').read::<f32>(bytes, "mutated.csv");
            let _ =
                CsvOptions::new().header(true).targets([1, 0]).read_regression::<f32>(bytes, "mutated.csv");
            let _ =
                CsvOptions::new().skip_rows(1).delimiter(b' ').categorical([0]).read::<f32>(bytes, "m.csv");
        }),
    ));

    // IDX images and labels, plain and gzip.
    let images = dir.join("images-idx3-ubyte");
    let image_seeds = [idx_images(3, 4, 4), gzip(&idx_images(2, 3, 5)), idx_images(0, 28, 28)];
    counts.push((
        "idx images",
        fuzz("idx images", &image_seeds, inputs, &mut rng, |bytes| {
            write(&images, bytes);
            let _ = read_idx_images::<f32>(&images);
            let _ = read_idx_images::<f64>(&images);
        }),
    ));
    let labels = dir.join("labels-idx1-ubyte");
    let label_seeds = [idx_labels(3), gzip(&idx_labels(12))];
    counts.push((
        "idx labels",
        fuzz("idx labels", &label_seeds, inputs, &mut rng, |bytes| {
            write(&labels, bytes);
            let _ = read_idx_labels(&labels);
            write(&images, &idx_images(3, 4, 4));
            let _ = load_idx::<f32>(&images, &labels);
        }),
    ));

    // The MNIST directory: one of its four files mutated at a time.
    let mnist = dir.join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    let names = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];
    let originals = [idx_images(3, 2, 2), idx_labels(3), idx_images(2, 2, 2), idx_labels(2)];
    let mnist_seeds: Vec<Vec<u8>> = originals.to_vec();
    let mut which = 0;
    counts.push((
        "mnist directory",
        fuzz("mnist directory", &mnist_seeds, inputs, &mut rng, |bytes| {
            for (name, original) in names.iter().zip(&originals) {
                write(&mnist.join(name), original);
            }
            // `fuzz` cycles through the seeds in order, so input i mutates file i % 4.
            write(&mnist.join(names[which % 4]), bytes);
            which += 1;
            let _ = load_mnist::<f32>(&mnist);
        }),
    ));

    // Weights: a failed load leaves the model exactly as it was.
    let weights = dir.join("weights.safetensors");
    save_weights(&model(1), &weights).unwrap();
    // An empty tensor: the seed from which a shape of zeros and huge sizes is one mutation.
    let json = br#"{"w":{"dtype":"F32","shape":[0,2],"data_offsets":[0,0]}}"#;
    let empty = [&(json.len() as u64).to_le_bytes()[..], json].concat();
    let weight_seeds = [std::fs::read(&weights).unwrap(), empty];
    let mut target = model(2);
    counts.push((
        "weights",
        fuzz("weights", &weight_seeds, inputs, &mut rng, |bytes| {
            write(&weights, bytes);
            let before = params(&target);
            if load_weights(&mut target, &weights).is_err() {
                assert_eq!(params(&target), before, "a failed load changed the model");
            }
            let _ = tapegrad::nn::read_tensors::<f32>(&weights);
            let _ = tapegrad::nn::read_tensors::<f64>(&weights);
        }),
    ));

    // Optimizer state: a failed load leaves the optimizer exactly as it was.
    let state = dir.join("adam.safetensors");
    let mut net = model(3);
    let mut adam = Adam::builder().learning_rate(0.01).amsgrad(true).build().unwrap();
    for _ in 0..2 {
        let grads = {
            let tape = Tape::new();
            let y = net.forward(&tape, tape.constant(ndarray::array![[1.0f32, -1.0, 0.5]])).unwrap();
            tape.backward(y.square().sum())
        };
        let _report = adam.step(&mut net, &grads).unwrap();
    }
    save_state(&adam, &state).unwrap();
    let state_seeds = [std::fs::read(&state).unwrap()];
    let mut resumed = Adam::<f32>::builder().build().unwrap();
    counts.push((
        "optimizer state",
        fuzz("optimizer state", &state_seeds, inputs, &mut rng, |bytes| {
            write(&state, bytes);
            let before = (resumed.export_state(), resumed.learning_rate());
            if load_state(&mut resumed, &net, &state).is_err() {
                assert!(
                    (resumed.export_state(), resumed.learning_rate()) == before,
                    "a failed load changed the optimizer"
                );
            }
        }),
    ));

    // Checkpoints (issue 22): a run's checkpoint directory with one of its three files
    // mutated (the model with its metadata, the optimizer state, the best weights), then a
    // resume that trains one more epoch. Either that is `Ok` and every weight and buffer is
    // finite, or it is an error with the model, the optimizer and the files as they were.
    let run = dir.join("run");
    let data = Dataset::new(
        ndarray::Array2::from_shape_fn((24, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0),
        (0..24usize).map(|i| i % 2).collect::<Vec<usize>>(),
    )
    .unwrap();
    let make = || {
        let mut rng = StdRng::seed_from_u64(4);
        Sequential::new()
            .add(Dense::new(3, 4, &mut rng))
            .add(BatchNorm1d::new(4))
            .add(ReLU)
            .add(Dense::new(4, 2, &mut rng))
    };
    let adam = || Adam::builder().learning_rate(0.01).build().unwrap();
    let trainer = |epochs| {
        Trainer::new()
            .epochs(epochs)
            .batch_size(8)
            .quiet(true)
            .restore_best_weights(true)
            .checkpoint_every_epoch(&run)
            .resume(true)
    };
    trainer(2).fit(&mut make(), &mut adam(), &data, Some(&data)).unwrap();
    let read_all = || -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&run)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let pristine = read_all();
    assert_eq!(pristine.len(), 3, "{:?}", pristine.iter().map(|(name, _)| name).collect::<Vec<_>>());
    let checkpoint_seeds: Vec<Vec<u8>> = pristine.iter().map(|(_, bytes)| bytes.clone()).collect();
    let mut which = 0;
    let (mut resumed, mut refused) = (0, 0);
    counts.push((
        "checkpoint",
        fuzz("checkpoint", &checkpoint_seeds, inputs / 3, &mut rng, |bytes| {
            let _ = std::fs::remove_dir_all(&run);
            std::fs::create_dir_all(&run).unwrap();
            for (name, original) in &pristine {
                write(&run.join(name), original);
            }
            // `fuzz` cycles through the seeds in order: input i mutates file i % 3. Every
            // other input sets one number of that file to a value no run produces instead,
            // in a file that parses (the byte mutations mostly break the framing).
            let target = run.join(&pristine[which % 3].0);
            match which % 2 {
                0 => write(&target, bytes),
                _ => {
                    let mut values = Rng(which as u64 * 0x9e37_79b9 + 1);
                    let (found, metadata) = tapegrad::nn::read_tensors::<f32>(&target).unwrap();
                    let mut arrays: Vec<(String, ndarray::ArrayD<f32>)> =
                        found.into_iter().map(|(name, t)| (name, t.values.unwrap())).collect();
                    let at = values.below(arrays.len());
                    let array = &mut arrays[at].1;
                    let element = values.below(array.len());
                    if let Some(slot) = array.iter_mut().nth(element) {
                        *slot = ABSURD[values.below(ABSURD.len())];
                    }
                    tapegrad::nn::write_tensors(
                        &target,
                        arrays.iter().map(|(n, a)| (n.clone(), a.view())),
                        metadata,
                    )
                    .unwrap();
                }
            }
            which += 1;
            let files_before = read_all();
            let mut model = make();
            let before = tensor_bits(&model);
            let mut optimizer = adam();
            match trainer(3).fit(&mut model, &mut optimizer, &data, Some(&data)) {
                Ok(_) => {
                    resumed += 1;
                    let finite = tensor_bits(&model).iter().all(|&bits| f32::from_bits(bits).is_finite());
                    assert!(finite, "a resume ended Ok with a weight or buffer that is not finite");
                }
                Err(err) => {
                    refused += 1;
                    assert_eq!(tensor_bits(&model), before, "a failed resume changed the model: {err}");
                    assert!(optimizer.export_state().is_empty(), "a failed resume changed the optimizer");
                    assert!(read_all() == files_before, "a failed resume changed the files");
                }
            }
        }),
    ));
    eprintln!("checkpoints: {resumed} resumed, {refused} refused");

    eprintln!("mutated inputs per loader: {counts:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
