//! Saving and loading weights: round trips, every load error, corrupt files, atomicity,
//! and interoperability with Python's `safetensors`.

use std::path::PathBuf;

use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_nn::{load_weights, save_weights, Dense, Module, NnError, Parameters, ReLU, Sequential};

/// A fresh directory under the system temp dir for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-nn-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mlp<T: tapegrad_tape::Float>(seed: u64) -> Sequential<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Dense::new(3, 4, &mut rng)).add(ReLU).add(Dense::new(4, 2, &mut rng))
}

fn params<T: tapegrad_tape::Float>(model: &impl Module<T>) -> Vec<(String, Vec<T>)> {
    let mut out = Vec::new();
    model.visit_params(&mut |name, p| out.push((name.to_string(), p.iter().copied().collect())));
    out
}

#[test]
fn round_trips_in_f32_and_f64() {
    let dir = scratch("round-trip");
    let saved = mlp::<f32>(1);
    save_weights(&saved, dir.join("m32.safetensors")).unwrap();
    let mut loaded = mlp::<f32>(2);
    assert_ne!(params(&saved), params(&loaded));
    load_weights(&mut loaded, dir.join("m32.safetensors")).unwrap();
    assert_eq!(params(&saved), params(&loaded));

    let saved = mlp::<f64>(3);
    save_weights(&saved, dir.join("m64.safetensors")).unwrap();
    let mut loaded = mlp::<f64>(4);
    load_weights(&mut loaded, dir.join("m64.safetensors")).unwrap();
    assert_eq!(params(&saved), params(&loaded));
}

#[test]
fn every_mismatch_is_listed_in_one_error_and_the_model_is_untouched() {
    let dir = scratch("mismatch");
    let path = dir.join("other.safetensors");
    // The file: layer 0 fine, layer 2 with 3 outputs instead of 2, and an extra layer 4.
    let mut rng = StdRng::seed_from_u64(5);
    let other = Sequential::<f32>::new()
        .add(Dense::new(3, 4, &mut rng))
        .add(ReLU)
        .add(Dense::new(4, 3, &mut rng))
        .add(ReLU)
        .add(Dense::new(3, 1, &mut rng));
    save_weights(&other, &path).unwrap();
    // The model: no bias on layer 2.
    let mut rng = StdRng::seed_from_u64(6);
    let mut model = Sequential::<f32>::new().add(Dense::new(3, 4, &mut rng)).add(ReLU).add(Dense::with_init(
        4,
        2,
        tapegrad_nn::Init::XavierUniform,
        None,
        &mut rng,
    ));
    let before = params(&model);
    let err = load_weights(&mut model, &path).unwrap_err();
    let NnError::WeightsMismatch { problems, .. } = &err else { panic!("{err}") };
    assert_eq!(
        problems,
        &[
            "`layers.2.weight`: expected shape [4, 2], file has [4, 3]",
            "`layers.2.bias`: in the file (shape [3]) but not in the model",
            "`layers.4.bias`: in the file (shape [1]) but not in the model",
            "`layers.4.weight`: in the file (shape [3, 1]) but not in the model",
        ]
    );
    assert!(err.to_string().contains("the weights do not fit the model:\n  - `layers.2.weight`"), "{err}");
    assert_eq!(params(&model), before, "nothing may change when loading fails");

    // Missing tensors and a dtype mismatch: an f64 file into an f32 model of another shape.
    let f64_path = dir.join("f64.safetensors");
    save_weights(&Dense::<f64>::from_arrays(Array2::zeros((3, 4)), None), &f64_path).unwrap();
    let err = load_weights(&mut model, &f64_path).unwrap_err();
    let NnError::WeightsMismatch { problems, .. } = &err else { panic!("{err}") };
    assert_eq!(
        problems,
        &[
            "`layers.0.weight`: missing from the file (model shape [3, 4])",
            "`layers.0.bias`: missing from the file (model shape [4])",
            "`layers.2.weight`: missing from the file (model shape [4, 2])",
            "`weight`: in the file (shape [3, 4]) but not in the model",
        ]
    );
    let mut dense = Dense::<f32>::from_arrays(Array2::ones((3, 4)), None);
    let err = load_weights(&mut dense, &f64_path).unwrap_err();
    let NnError::WeightsMismatch { problems, .. } = &err else { panic!("{err}") };
    assert_eq!(problems[0], "`weight`: expected dtype F32, file has F64");
    assert!(
        err.to_string().ends_with(
            "the file holds F64 weights: load it into the same model built with f64, then copy its \
             parameters into this one with `copy_params`, which converts them"
        ),
        "{err}"
    );
    // The advice works: through an f64 twin into the f32 model.
    let mut twin = Dense::<f64>::from_arrays(Array2::from_elem((3, 4), 0.5), None);
    load_weights(&mut twin, &f64_path).unwrap();
    tapegrad_nn::copy_params(&twin, &mut dense).unwrap();
    let mut weights = Vec::new();
    dense.visit_params(&mut |name, value| weights.push((name.to_string(), value.to_owned())));
    assert_eq!(weights, [("weight".to_string(), Array2::<f32>::zeros((3, 4)).into_dyn())]);
}

#[test]
fn truncated_or_corrupt_files_are_errors_never_panics() {
    let dir = scratch("corrupt");
    let path = dir.join("good.safetensors");
    let model = mlp::<f32>(7);
    save_weights(&model, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let bad = dir.join("bad.safetensors");
    // Every prefix of the file (cut anywhere), then some corruptions.
    for cut in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        std::fs::write(&bad, &bytes[..cut]).unwrap();
        let err = load_weights(&mut mlp::<f32>(8), &bad).unwrap_err();
        assert!(matches!(err, NnError::CorruptWeights { .. }), "cut at {cut}: {err}");
        assert!(err.to_string().contains("bad.safetensors"), "{err}");
    }
    std::fs::write(&bad, &bytes[..4]).unwrap();
    let err = load_weights(&mut mlp::<f32>(8), &bad).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("truncated at byte 4: the file must start with an 8-byte header length"));
    std::fs::write(&bad, &bytes[..bytes.len() - 3]).unwrap();
    let err = load_weights(&mut mlp::<f32>(8), &bad).unwrap_err();
    assert!(err.to_string().contains(&format!("from offset {}", 8 + header)), "{err}");
    assert!(err.to_string().ends_with(": truncated"), "{err}");

    let mut garbage = bytes.clone();
    garbage[10] = b'!'; // break the JSON header
    std::fs::write(&bad, &garbage).unwrap();
    let err = load_weights(&mut mlp::<f32>(8), &bad).unwrap_err();
    assert!(err.to_string().contains("bad header at offset 8"), "{err}");

    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&bad, &huge).unwrap();
    assert!(matches!(load_weights(&mut mlp::<f32>(8), &bad), Err(NnError::CorruptWeights { .. })));
}

#[test]
fn saving_replaces_the_file_atomically_and_leaves_no_temporary() {
    let dir = scratch("atomic");
    let path = dir.join("model.safetensors");
    save_weights(&mlp::<f32>(1), &path).unwrap();
    let first = std::fs::read(&path).unwrap();
    save_weights(&mlp::<f32>(2), &path).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["model.safetensors"], "no temporary file may be left behind");

    // A save that cannot happen leaves the good file as it was.
    let good = std::fs::read(&path).unwrap();
    let err = save_weights(&mlp::<f32>(3), dir.join("missing-dir").join("model.safetensors")).unwrap_err();
    assert!(matches!(err, NnError::Io { action: "create", .. }), "{err}");
    assert!(err.to_string().contains("missing-dir"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), good);
}

#[test]
fn python_safetensors_reads_the_same_arrays() {
    let probe =
        std::process::Command::new("python3").args(["-c", "import safetensors.numpy, numpy"]).output();
    if !matches!(&probe, Ok(out) if out.status.success()) {
        eprintln!("skipped: Python with the `safetensors` and `numpy` packages is not available");
        return;
    }
    let dir = scratch("python");
    let widen = |params: Vec<(String, Vec<f32>)>| -> Vec<(String, Vec<f64>)> {
        params.into_iter().map(|(n, v)| (n, v.into_iter().map(f64::from).collect())).collect()
    };
    let (m32, m64) = (mlp::<f32>(11), mlp::<f64>(12));
    save_weights(&m32, dir.join("m32.safetensors")).unwrap();
    save_weights(&m64, dir.join("m64.safetensors")).unwrap();
    for (file, values) in [("m32.safetensors", widen(params(&m32))), ("m64.safetensors", params(&m64))] {
        let path = dir.join(file);
        let script = "import sys, safetensors.numpy as st\n\
                      for name, array in sorted(st.load_file(sys.argv[1]).items()):\n\
                      \x20   print(name, array.dtype, 'x'.join(map(str, array.shape)), ' '.join(repr(float(v)) for v in array.ravel()))";
        let out = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let mut expected = values.clone();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{text}");
        for (line, (name, values)) in lines.iter().zip(&expected) {
            let mut fields = line.splitn(4, ' ');
            assert_eq!(fields.next(), Some(name.as_str()));
            let dtype = fields.next().unwrap();
            assert_eq!(dtype, if file == "m32.safetensors" { "float32" } else { "float64" });
            let shape: usize =
                fields.next().unwrap().split('x').map(|d| d.parse::<usize>().unwrap()).product();
            assert_eq!(shape, values.len(), "{name}: shape vs element count");
            let numbers: Vec<f64> = fields.next().unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
            assert_eq!(&numbers, values, "{name} in {file}");
        }
    }
}

/// A safetensors file with one tensor described by `header` (a JSON value for the tensor
/// entry) and `data` bytes.
fn raw_safetensors(header: &str, data: &[u8]) -> Vec<u8> {
    let json = format!("{{\"w\":{header}}}");
    [(json.len() as u64).to_le_bytes().as_slice(), json.as_bytes(), data].concat()
}

/// Class 1 of issue 11: a tensor whose shape's product overflows is an error through every
/// reader (weights, `read_tensors`, optimizer state), never a panic or a wrapped size.
#[test]
fn shapes_whose_product_overflows_are_errors() {
    let dir = scratch("overflow");
    let huge = u64::MAX / 2 + 1; // 2⁶³
    let headers = [
        format!(r#"{{"dtype":"F32","shape":[{huge},2],"data_offsets":[0,0]}}"#),
        format!(r#"{{"dtype":"F32","shape":[0,{huge},{huge}],"data_offsets":[0,0]}}"#),
        format!(r#"{{"dtype":"F64","shape":[{},{}],"data_offsets":[0,0]}}"#, 1u64 << 32, 1u64 << 32),
        format!(r#"{{"dtype":"F64","shape":[{}],"data_offsets":[0,0]}}"#, 1u64 << 61), // 2⁶¹ · 8 bytes
    ];
    for (case, header) in headers.iter().enumerate() {
        let path = dir.join(format!("case{case}.safetensors"));
        std::fs::write(&path, raw_safetensors(header, &[])).unwrap();
        let err = tapegrad_nn::read_tensors::<f32>(&path).unwrap_err();
        assert!(matches!(err, tapegrad_tape::FileError::Corrupt { .. }), "case {case}: {err:?}");
        assert!(err.to_string().contains("more elements than any array can hold"), "case {case}: {err}");
        let mut model = Dense::<f64>::from_arrays(Array2::zeros((2, 2)), None);
        assert!(
            matches!(load_weights(&mut model, &path), Err(NnError::CorruptWeights { .. })),
            "case {case}"
        );
    }
}

/// Class 2 of issue 11 (for weights): a NaN or infinite weight is refused, naming the
/// parameter and the element, and the model is left as it was.
#[test]
fn non_finite_weights_are_refused_naming_the_element() {
    let dir = scratch("nan-weights");
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut weight = Array2::from_elem((2, 3), 0.5);
        weight[[1, 2]] = bad;
        let path = dir.join("bad.safetensors");
        // Written raw: save_weights refuses such a model (next test).
        let tensors = [("weight".to_string(), weight.view().into_dyn())];
        tapegrad_nn::write_tensors(&path, tensors, Default::default()).unwrap();
        let mut model = Dense::<f64>::from_arrays(Array2::ones((2, 3)), None);
        let err = load_weights(&mut model, &path).unwrap_err();
        assert!(err.to_string().contains(&format!("`weight`: element [1, 2] is {bad:?}")), "{err}");
        assert_eq!(params(&model), vec![("weight".to_string(), vec![1.0; 6])]);
    }
}

/// Issue 22, E7: a model holding a NaN or ±∞ (a parameter or a buffer) is not saved, since
/// `load_weights` would refuse the file; the error names the tensor and the element, and
/// the file saved before stays, loadable.
#[test]
fn non_finite_weights_are_not_saved() {
    let dir = scratch("nan-save");
    let path = dir.join("model.safetensors");
    let good = Dense::<f32>::from_arrays(Array2::from_elem((2, 3), 0.5), Some(Array1::zeros(3)));
    save_weights(&good, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    for (bad, in_bias) in [(f32::NAN, false), (f32::INFINITY, true), (f32::NEG_INFINITY, false)] {
        let mut model = Dense::<f32>::from_arrays(Array2::from_elem((2, 3), 0.5), Some(Array1::zeros(3)));
        match in_bias {
            true => model.bias.as_mut().unwrap()[2] = bad,
            false => model.weight[[1, 0]] = bad,
        }
        let err = save_weights(&model, &path).unwrap_err();
        let (tensor, index) = if in_bias { ("bias", "[2]") } else { ("weight", "[1, 0]") };
        assert!(matches!(&err, NnError::NotFinite { tensor: t, .. } if t == tensor), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("tensor `{tensor}` element {index} is {}", bad as f64)),
            "{message}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "the old file changed");
    }
    let mut loaded = Dense::<f32>::from_arrays(Array2::zeros((2, 3)), Some(Array1::ones(3)));
    load_weights(&mut loaded, &path).unwrap();
    assert_eq!(loaded.weight, good.weight);
    // A BatchNorm's running statistics are saved, so they are checked too.
    let mut norm = tapegrad_nn::BatchNorm1d::<f64>::new(2);
    let mut poisoned = false;
    norm.visit_buffers_mut(&mut |_, mut buffer| {
        if !poisoned {
            buffer[[0]] = f64::NAN;
            poisoned = true;
        }
    });
    let err = save_weights(&norm, dir.join("norm.safetensors")).unwrap_err();
    assert!(matches!(err, NnError::NotFinite { .. }), "{err:?}");
    assert!(!dir.join("norm.safetensors").exists());
}

/// Class 4 of issue 11: saving. Every file the library writes goes through
/// `write_atomically`; these tests hold its policy.
mod saving {
    use super::*;
    use std::sync::Arc;

    fn leftovers(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".tmp-"))
            .collect()
    }

    /// Eight threads save different weights to one path while another thread loads it:
    /// every load sees one whole file, and no temporary file is left.
    #[test]
    fn threads_saving_to_one_path_never_tear_it() {
        let dir = scratch("threads");
        let path = Arc::new(dir.join("shared.safetensors"));
        save_weights(&mlp::<f32>(0), path.as_path()).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (path, stop) = (Arc::clone(&path), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut loads = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut model = mlp::<f32>(99);
                    load_weights(&mut model, path.as_path()).expect("a torn file");
                    loads += 1;
                }
                loads
            })
        };
        let writers: Vec<_> = (0..8u64)
            .map(|seed| {
                let path = Arc::clone(&path);
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        save_weights(&mlp::<f32>(seed), path.as_path()).unwrap();
                    }
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let mut model = mlp::<f32>(99);
        load_weights(&mut model, path.as_path()).unwrap();
        assert!((0..8).any(|seed| params(&model) == params(&mlp::<f32>(seed))));
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = scratch("symlink");
        let target = dir.join("real.safetensors");
        let link = dir.join("latest.safetensors");
        save_weights(&mlp::<f32>(1), &target).unwrap();
        std::os::unix::fs::symlink("real.safetensors", &link).unwrap();
        save_weights(&mlp::<f32>(2), &link).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let mut model = mlp::<f32>(9);
        load_weights(&mut model, &target).unwrap();
        assert_eq!(params(&model), params(&mlp::<f32>(2)), "the target has the new weights");
        // A dangling link creates its target.
        let dangling = dir.join("dangling.safetensors");
        std::os::unix::fs::symlink("new-target.safetensors", &dangling).unwrap();
        save_weights(&mlp::<f32>(3), &dangling).unwrap();
        assert!(dir.join("new-target.safetensors").is_file());
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_read_only_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("permissions");
        let path = dir.join("private.safetensors");
        save_weights(&mlp::<f32>(1), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        save_weights(&mlp::<f32>(2), &path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = save_weights(&mlp::<f32>(3), &path).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("read-only") && message.contains("private.safetensors"), "{message}");
        assert!(!message.contains(".tmp-"), "the error names the temporary file: {message}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }

    /// Issue 22, E11: a file another user owns is not replaced (in a world-writable
    /// directory the rename would have swapped it for one of ours). Needs to run as root
    /// to give a file away; otherwise the case cannot be set up and only the note says so.
    #[test]
    fn a_file_of_another_user_is_not_replaced() {
        let dir = scratch("owner");
        let path = dir.join("theirs.safetensors");
        save_weights(&mlp::<f32>(1), &path).unwrap();
        if std::os::unix::fs::chown(&path, Some(54_321), None).is_err() {
            eprintln!("not root: cannot give a file to another user; the owner check is not exercised");
            return;
        }
        let before = std::fs::read(&path).unwrap();
        let message = save_weights(&mlp::<f32>(2), &path).unwrap_err().to_string();
        assert!(message.contains("belongs to another user (uid 54321"), "{message}");
        assert!(message.contains("theirs.safetensors") && !message.contains(".tmp-"), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }

    #[test]
    fn errors_name_the_users_path_and_leave_nothing_behind() {
        let dir = scratch("errors");
        let taken = dir.join("a-directory.safetensors");
        std::fs::create_dir(&taken).unwrap();
        let err = save_weights(&mlp::<f32>(1), &taken).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("a-directory.safetensors") && !message.contains(".tmp-"), "{message}");
        let missing = dir.join("no-such-dir").join("w.safetensors");
        let message = save_weights(&mlp::<f32>(1), &missing).unwrap_err().to_string();
        assert!(message.contains("no-such-dir/w.safetensors") && !message.contains(".tmp-"), "{message}");
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporary_files_of_killed_saves_are_removed_by_the_next_save() {
        let dir = scratch("leftovers");
        let path = dir.join("w.safetensors");
        // A process id above the kernel's maximum (2²²) cannot be running.
        let dead = dir.join(".w.safetensors.tmp-4194999-0");
        let alive = dir.join(format!(".w.safetensors.tmp-{}-7", std::process::id()));
        let other_file = dir.join(".x.safetensors.tmp-4194999-0");
        for leftover in [&dead, &alive, &other_file] {
            std::fs::write(leftover, b"half a file").unwrap();
        }
        save_weights(&mlp::<f32>(1), &path).unwrap();
        assert!(!dead.exists(), "the dead process's leftover is removed");
        assert!(alive.exists(), "a live writer's temporary file is not touched");
        assert!(other_file.exists(), "another file's temporaries are not touched");
    }
}

/// Two tensors of one name are refused as documented (safetensors panicked on them); no
/// file is written.
#[test]
fn two_tensors_of_one_name_are_an_error_not_a_panic() {
    let dir = scratch("duplicates");
    let a = ndarray::array![1.0f32, 2.0].into_dyn();
    let err = tapegrad_nn::write_tensors(
        dir.join("twice.safetensors"),
        [("a".to_string(), a.view()), ("a".to_string(), a.view())],
        Default::default(),
    )
    .unwrap_err();
    assert!(matches!(err, tapegrad_tape::FileError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("two tensors are named `a`"), "{err}");
    assert!(!dir.join("twice.safetensors").exists());
}

/// f32 ↔ f64 conversion of a model (issue 12): an f32 model copied into f64 and back is
/// bit for bit what it was; every mismatch is reported at once and changes nothing.
#[test]
fn copy_params_converts_between_float_types_and_checks_everything_first() {
    let single = mlp::<f32>(1);
    let mut double = mlp::<f64>(2);
    tapegrad_nn::copy_params(&single, &mut double).unwrap();
    let mut back = mlp::<f32>(3);
    tapegrad_nn::copy_params(&double, &mut back).unwrap();
    assert_eq!(params(&back), params(&single));

    let mut rng = StdRng::seed_from_u64(4);
    let mut other: Sequential<f64> = Sequential::new().add(Dense::new(3, 5, &mut rng)).add(ReLU);
    let before = params(&other);
    let err = tapegrad_nn::copy_params(&single, &mut other).unwrap_err();
    let message = err.to_string();
    for expected in [
        "`layers.0.weight`: shape [3, 4] in the source, [3, 5] here",
        "`layers.0.bias`: shape [4] in the source, [5] here",
        "`layers.2.weight`: in the source model but not here",
    ] {
        assert!(message.contains(expected), "{message}");
    }
    assert_eq!(params(&other), before);
}
