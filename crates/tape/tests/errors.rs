//! Bad data from outside is a `Result` error naming op, expected and actual; a shape
//! mismatch in composed math panics naming the op and both shapes, at the caller's line.

use ndarray::array;
use tapegrad_tape::{Tape, TapeError};

/// Runs `f`, expecting a panic, and returns its message and the file:line it reported.
/// The panic hook is global to the process, so the tests that swap it take turns.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> (String, String) {
    use std::sync::{Arc, Mutex};
    static HOOK: Mutex<()> = Mutex::new(());
    let _turn = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let location = Arc::new(Mutex::new(String::new()));
    let seen = location.clone();
    let previous = std::panic::take_hook();
    // The hook is the process's: other tests panic on purpose on their own threads
    // meanwhile (one recorded "tape.rs:586" here in CI), so keep this thread's panic only.
    let this_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location().filter(|_| std::thread::current().id() == this_thread) {
            *seen.lock().unwrap() = format!("{}:{}", l.file(), l.line());
        }
    }));
    let payload = std::panic::catch_unwind(f).expect_err("expected a panic");
    std::panic::set_hook(previous);
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let location = location.lock().unwrap().clone();
    (message, location)
}

#[test]
fn a_shape_mismatch_panics_with_op_shapes_and_the_callers_line() {
    let (message, location) = panic_message(|| {
        let tape = Tape::new();
        let a = tape.var(array![[1.0, 2.0, 3.0]]);
        let b = tape.var(array![1.0, 2.0]);
        let _ = a + b; // the line the panic must name
    });
    assert!(message.starts_with("add: shapes [1, 3] and [2] do not broadcast"), "{message}");
    let line =
        include_str!("errors.rs").lines().position(|l| l.contains("the line the panic must name")).unwrap()
            + 1;
    assert_eq!(location, format!("crates/tape/tests/errors.rs:{line}"));
    assert!(message.contains(&format!("(at crates/tape/tests/errors.rs:{line}:")), "{message}");
}

#[test]
fn matmul_mismatch_names_both_shapes_at_the_callers_line() {
    let (message, location) = panic_message(|| {
        let tape = Tape::new();
        let a = tape.var(array![[1.0, 2.0]]);
        let _ = a.matmul(&a);
    });
    let expected = "matmul: shapes [1, 2] and [1, 2] do not fit (inner dimensions or batch sizes differ)";
    assert_eq!(message, format!("{expected} (at {location}:19)"));
    assert!(location.starts_with("crates/tape/tests/errors.rs:"), "{location}");
}

#[test]
fn reshape_and_reduction_errors_name_the_op() {
    let (message, _) = panic_message(|| {
        let tape = Tape::new();
        let _ = tape.var(array![1.0, 2.0, 3.0]).reshape(&[2, 2]);
    });
    assert!(
        message.starts_with("reshape: cannot reshape [3] (3 elements) to [2, 2] (4 elements) (at "),
        "{message}"
    );
    let (message, _) = panic_message(|| {
        let tape = Tape::new();
        let _ = tape.var(array![1.0, 2.0]).sum_axes(&[1], false);
    });
    assert!(message.starts_with("sum: axis 1 out of range for shape [2] (at "), "{message}");
}

#[test]
fn backward_from_a_non_scalar_panics_with_advice() {
    let (message, location) = panic_message(|| {
        let tape = Tape::new();
        let x = tape.var(array![1.0, 2.0]);
        let _ = tape.backward(x.exp());
    });
    assert!(message.contains("backward: the loss must have one element, got shape [2]"), "{message}");
    assert!(location.contains("tests/errors.rs"), "{location}");
}

#[test]
fn out_of_range_labels_are_errors_naming_the_position() {
    let tape = Tape::new();
    let logits = tape.var(array![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    let err = logits.gather(1, &array![[0usize], [3]]).unwrap_err();
    assert_eq!(
        err,
        TapeError::IndexOutOfRange { op: "gather", index: 3, position: vec![1, 0], axis: 1, len: 3 }
    );
    let err = logits.select(0, &[0, 5]).unwrap_err();
    assert_eq!(err.to_string(), "select: index 5 at position [1] is out of range for axis 0 of length 2");
}

#[test]
fn badly_shaped_index_tensors_and_axes_are_errors() {
    let tape = Tape::new();
    let logits = tape.var(array![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    let err = logits.gather(1, &array![0usize, 1]).unwrap_err();
    assert!(matches!(err, TapeError::ShapeMismatch { op: "gather", .. }), "{err}");
    assert!(err.to_string().starts_with("gather: expected shape [2, 1], got [2]"), "{err}");
    let err = logits.gather(2, &array![[0usize]]).unwrap_err();
    assert_eq!(err.to_string(), "gather: axis 2 is out of range for a tensor of 2 dimensions (shape [2, 3])");
    let err = logits.gather(1, &array![[0usize], [0], [0]]).unwrap_err();
    assert!(matches!(err, TapeError::ShapeMismatch { .. }), "{err}");
}

/// A user op with a scalar fast path: when `refuse` is set it refuses 0-d inputs, so (as
/// `Op::forward_scalar` asks) its fast path declines and `check_shapes` runs; otherwise it
/// breaks the contract by returning no gradient from `backward_scalar`.
struct Contrary {
    refuse: bool,
}
impl tapegrad_tape::Op<f64> for Contrary {
    fn name(&self) -> &'static str {
        "contrary"
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        match self.refuse && shapes[0].is_empty() {
            true => Err("0-d inputs are not accepted".into()),
            false => Ok(()),
        }
    }
    fn forward(&self, inputs: &[ndarray::ArrayViewD<'_, f64>]) -> ndarray::ArrayD<f64> {
        inputs[0].to_owned()
    }
    fn backward(
        &self,
        _inputs: &[ndarray::ArrayViewD<'_, f64>],
        _output: &ndarray::ArrayViewD<'_, f64>,
        grad_output: &ndarray::ArrayViewD<'_, f64>,
        _wanted: &[bool],
    ) -> tapegrad_tape::InputGrads<f64> {
        [Some(grad_output.to_owned())].into_iter().collect()
    }
    fn forward_scalar(&self, inputs: &[f64]) -> Option<f64> {
        (!self.refuse).then_some(inputs[0])
    }
    fn backward_scalar(
        &self,
        _inputs: &[f64],
        _output: f64,
        _grad: f64,
    ) -> Option<tapegrad_tape::ScalarGrads<f64>> {
        Some(tapegrad_tape::ScalarGrads::new()) // no gradient for the one input
    }
}

#[test]
fn the_scalar_fast_path_keeps_the_op_contract() {
    // An op that refuses 0-d inputs declines the fast path; check_shapes then names the op
    // and the line.
    let (message, location) = panic_message(|| {
        let tape = Tape::new();
        let x = tape.var(ndarray::arr0(2.0));
        let _ = tape.apply(Contrary { refuse: true }, &[x]); // the line the panic must name
    });
    assert!(message.starts_with("contrary: 0-d inputs are not accepted"), "{message}");
    let line =
        include_str!("errors.rs").lines().position(|l| l.contains("refuse: true }, &[x]")).unwrap() + 1;
    assert!(message.contains(&format!("errors.rs:{line}")), "{message}");
    assert!(location.ends_with(&format!("errors.rs:{line}")), "{location}");
    // A scalar backward with the wrong number of gradients is caught, not half-applied.
    let (message, _) = panic_message(|| {
        let tape = Tape::new();
        let x = tape.var(ndarray::arr0(2.0));
        let y = tape.apply(Contrary { refuse: false }, &[x]);
        let _ = tape.backward(y);
    });
    assert!(message.contains("contrary: backward_scalar returned 0 gradients for 1 inputs"), "{message}");
}

/// Class 7 of issue 11: recording inside `Var::with_value` panics with a message that says
/// what happened and what to do, naming the op, not RefCell's "already borrowed".
#[test]
fn recording_inside_with_value_names_the_op_and_the_way_out() {
    let tape = tapegrad_tape::Tape::new();
    let x = tape.var(ndarray::array![1.0, 2.0]);
    for (name, record) in [
        ("exp", Box::new(|| _ = x.exp()) as Box<dyn Fn()>),
        ("add", Box::new(|| _ = x + x)),
        ("a leaf (var, param or constant)", Box::new(|| _ = tape.constant(ndarray::array![1.0]))),
        ("detach", Box::new(|| _ = x.detach())),
    ] {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| x.with_value(|_| record())))
            .expect_err("recording inside with_value must panic");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "{name}: cannot record on the tape while one of its values is being read"
            )),
            "{message}"
        );
        assert!(message.contains("var.value()") && message.contains("errors.rs"), "{message}");
    }
    // Reading inside is fine, and the tape still works afterwards.
    assert_eq!(x.with_value(|v| x.with_value(|w| v.sum() + w.sum())), 6.0);
    assert_eq!((x * x).sum().item(), 5.0);
}
