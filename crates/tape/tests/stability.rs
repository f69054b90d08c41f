//! Logits of ±1000 and other extremes give finite values and finite gradients.

use ndarray::array;
use tapegrad_tape::Tape;

fn all_finite(a: ndarray::ArrayViewD<'_, f64>) -> bool {
    a.iter().all(|v| v.is_finite())
}

#[test]
fn softmax_log_softmax_and_log_sum_exp_at_plus_minus_1000() {
    let tape = Tape::new();
    let z = tape.var(array![[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]);
    let weights = tape.constant(array![[0.3, -1.2, 0.5], [1.0, 2.0, -0.5]]);
    for y in [z.softmax(1), z.log_softmax(1), z.log_sum_exp_axes(&[1], true)] {
        assert!(all_finite(y.value().view()), "{:?}", y.value());
        let grads = tape.backward((y * weights).sum());
        assert!(all_finite(grads.get(z).unwrap()), "{:?}", grads.get(z));
    }
    // Row 2 is uniform however large the logits: softmax = 1/3 each, exactly, because
    // softmax and log_softmax shift by the max before exponentiating.
    let p = z.softmax(1).value();
    assert!(p[[1, 0]] == 1.0 / 3.0 && p[[0, 0]] == 1.0, "{p}");
    assert_eq!(z.log_softmax(1).value()[[0, 1]], -2000.0);
}

#[test]
fn sigmoid_and_softplus_at_plus_minus_1000() {
    let tape = Tape::new();
    let x = tape.var(array![-1000.0, -30.0, 0.0, 30.0, 1000.0]);
    let s = x.sigmoid();
    let p = x.softplus();
    assert!(all_finite(s.value().view()) && all_finite(p.value().view()));
    assert_eq!(s.value()[[0]], 0.0);
    assert_eq!(s.value()[[4]], 1.0);
    assert_eq!(p.value()[[4]], 1000.0);
    let grads = tape.backward((s + p).sum());
    assert!(all_finite(grads.get(x).unwrap()));
}

#[test]
fn f32_log_softmax_is_finite_too() {
    let tape = Tape::new();
    let z = tape.var(array![[1000.0f32, -1000.0], [88.0, 89.0]]);
    let y = z.log_softmax(1);
    let grads = tape.backward(y.sum());
    assert!(y.value().iter().chain(grads.get(z).unwrap().iter()).all(|v| v.is_finite()));
}

/// Class 5 of issue 11: a NaN flows through every op to the output, as in PyTorch, so it
/// shows in the loss. Before, `relu`, `clamp`, `maximum`/`minimum` and `max`/`min` used
/// Rust's `max`/`min` (IEEE `maxNum`), which drop a NaN: `relu(NaN)` was 0, and a batch
/// with a NaN trained on with a finite loss while the weights it reached turned NaN.
fn nan_reaches_the_output<T: tapegrad_tape::Float>() {
    let nan = T::nan();
    let one = T::one();
    let tape = Tape::<T>::new();
    // One NaN among ordinary values, in a 2 × 3 matrix.
    let x =
        tape.constant(ndarray::Array2::from_shape_vec((2, 3), vec![one, nan, -one, one, one, one]).unwrap());
    let ok = tape.constant(ndarray::Array2::from_elem((2, 3), one));
    let half = T::from_f64(0.5);
    type Unary<'t, T> =
        (&'static str, Box<dyn Fn(tapegrad_tape::Var<'t, T>) -> tapegrad_tape::Var<'t, T> + 't>);
    let ops: Vec<Unary<'_, T>> = vec![
        ("tanh", Box::new(|v| v.tanh())),
        ("sigmoid", Box::new(|v| v.sigmoid())),
        ("relu", Box::new(|v| v.relu())),
        ("leaky_relu", Box::new(move |v| v.leaky_relu(half))),
        ("softplus", Box::new(|v| v.softplus())),
        ("log_sigmoid", Box::new(|v| v.log_sigmoid())),
        ("pow", Box::new(move |v| v.pow(&ok))), // (1^NaN is 1 in IEEE and PyTorch)
        ("exp", Box::new(|v| v.exp())),
        ("log", Box::new(|v| v.abs().log())),
        ("sqrt", Box::new(|v| v.abs().sqrt())),
        ("powf", Box::new(move |v| v.abs().powf(half))),
        ("square", Box::new(|v| v.square())),
        ("abs", Box::new(|v| v.abs())),
        ("neg", Box::new(|v| v.neg())),
        ("clamp", Box::new(move |v| v.clamp(-half, half))),
        ("maximum(x, 1)", Box::new(move |v| v.maximum(&ok))),
        ("maximum(1, x)", Box::new(move |v| ok.maximum(&v))),
        ("minimum(x, 1)", Box::new(move |v| v.minimum(&ok))),
        ("minimum(1, x)", Box::new(move |v| ok.minimum(&v))),
        ("add", Box::new(move |v| v.add(&ok))),
        ("mul", Box::new(move |v| v.mul(&ok))),
        ("div", Box::new(move |v| ok.div(&v))),
        ("max", Box::new(|v| v.max())),
        ("min", Box::new(|v| v.min())),
        ("max_axes", Box::new(|v| v.max_axes(&[1], false))),
        ("min_axes", Box::new(|v| v.min_axes(&[0], true))),
        ("mean", Box::new(|v| v.mean())),
        ("softmax", Box::new(|v| v.softmax(1))),
        ("log_softmax", Box::new(|v| v.log_softmax(1))),
        ("log_sum_exp", Box::new(|v| v.log_sum_exp_axes(&[1], false))),
        ("matmul", Box::new(move |v| v.matmul(&ok.t()))),
    ];
    for (name, op) in ops {
        let y = op(x);
        assert!(
            y.value().iter().any(|v| v.is_nan()),
            "{} {name}: a NaN input vanished: {:?}",
            T::NAME,
            y.value()
        );
        assert!(y.sum().item().is_nan(), "{} {name}: the sum of the output is not NaN", T::NAME);
    }
}

#[test]
fn a_nan_reaches_the_output_of_every_op_in_f32_and_f64() {
    nan_reaches_the_output::<f32>();
    nan_reaches_the_output::<f64>();
}

/// Issue 11: anomaly detection names the op where the first NaN or infinity was made, the
/// node, the line, the input shapes and the pass; values that were already non-finite
/// do not move the blame downstream.
mod anomalies {
    use ndarray::array;
    use tapegrad_tape::{Pass, Tape, TapeError};

    #[track_caller]
    fn anomaly_of<'t, T: tapegrad_tape::Float>(
        tape: &Tape<'t, T>,
        loss: tapegrad_tape::Var<'t, T>,
    ) -> tapegrad_tape::Anomaly {
        match tape.try_backward(loss) {
            Err(TapeError::Anomaly(anomaly)) => *anomaly,
            other => panic!("expected an anomaly, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn log_of_zero_zero_over_zero_and_exp_overflow_in_f32_are_named_in_the_forward_pass() {
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.var(array![[1.0, 2.0], [0.5, 0.0]]);
        let line = line!() + 1;
        let loss = x.log().relu().sum();
        let anomaly = anomaly_of(&tape, loss);
        assert_eq!((anomaly.pass, anomaly.op, anomaly.node), (Pass::Forward, "log", 1));
        assert_eq!((anomaly.position.clone(), anomaly.value.as_str()), (vec![1, 1], "-inf"));
        assert_eq!((anomaly.input_shapes.clone(), anomaly.site.line()), (vec![vec![2, 2]], line));
        let message = anomaly_of(&tape, loss).to_string();
        assert!(message.starts_with("forward pass: log (node 1, recorded at "), "{message}");
        assert!(message.ends_with("made -inf at [1, 1] from finite inputs of shapes [[2, 2]]"), "{message}");

        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let a = tape.var(array![1.0, 0.0]);
        let anomaly = anomaly_of(&tape, (a / a).sum());
        assert_eq!((anomaly.op, anomaly.position, anomaly.value.as_str()), ("div", vec![1], "NaN"));

        let tape = Tape::<f32>::new();
        tape.detect_anomalies(true);
        let z = tape.var(array![1.0f32, 1000.0]);
        let anomaly = anomaly_of(&tape, z.exp().sum());
        assert_eq!((anomaly.op, anomaly.position, anomaly.value.as_str()), ("exp", vec![1], "inf"));
        // On 0-d values (the scalar fast path) too.
        let tape = Tape::<f32>::new();
        tape.detect_anomalies(true);
        let s = tape.var(ndarray::arr0(1e10f32));
        let anomaly = anomaly_of(&tape, (s * s * s * s).exp()); // 1e40 overflows f32 at the third mul
        assert_eq!((anomaly.op, anomaly.node, anomaly.input_shapes), ("mul", 3, vec![vec![], vec![]]));
    }

    #[test]
    fn a_nan_in_the_input_batch_is_blamed_on_the_leaf_that_brought_it() {
        let tape = Tape::<f32>::new();
        tape.detect_anomalies(true);
        let w = array![[0.5f32], [-0.5]];
        let batch = array![[1.0f32, 2.0], [f32::NAN, 0.0]];
        let x = tape.constant(&batch);
        let loss = x.matmul(&tape.param(&w)).relu().mean();
        let anomaly = anomaly_of(&tape, loss);
        assert_eq!(
            (anomaly.pass, anomaly.op, anomaly.position.clone()),
            (Pass::Forward, "constant", vec![1, 0])
        );
        assert!(anomaly.to_string().starts_with("forward pass: the constant recorded at "), "{anomaly}");
        assert!(anomaly.to_string().ends_with("holds NaN at [1, 0]"), "{anomaly}");
    }

    #[test]
    fn a_gradient_that_turns_infinite_is_named_in_the_backward_pass() {
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.var(array![4.0, 0.0]);
        let loss = (x.sqrt() * 3.0).sum(); // d√x/dx = 1/(2√x): infinite at 0
        let anomaly = anomaly_of(&tape, loss);
        assert_eq!((anomaly.pass, anomaly.op, anomaly.input), (Pass::Backward, "sqrt", Some(0)));
        assert_eq!(
            (anomaly.position.clone(), anomaly.value.as_str(), anomaly.input_shapes.clone()),
            (vec![1], "inf", vec![vec![2]])
        );
        assert!(anomaly.to_string().starts_with("backward pass: sqrt (node 1, recorded at "), "{anomaly}");
    }

    #[test]
    fn off_by_default_and_finite_runs_are_ok() {
        let tape = Tape::<f64>::new();
        let x = tape.var(array![0.0]);
        assert!(tape.try_backward(x.log().sum()).is_ok(), "detection is off: no anomaly");
        assert_eq!(tape.anomaly(), None);
        let tape = Tape::<f64>::new();
        tape.detect_anomalies(true);
        let x = tape.var(array![1.0, 2.0]);
        let grads = tape.try_backward((x.tanh() * x.exp()).sum()).unwrap();
        assert!(grads.get(x).unwrap().iter().all(|g| g.is_finite()));
    }
}

/// Issue 22, E12: an anomaly made inside a recorded backward pass (`grad` with
/// `create_graph`) is reported at the user's line that recorded the op being
/// differentiated, not at a line inside tapegrad.
#[test]
fn an_anomaly_in_a_recorded_backward_names_the_users_line() {
    let tape = tapegrad_tape::Tape::<f64>::new();
    tape.detect_anomalies(true);
    let x = tape.var(ndarray::array![0.0, 4.0]);
    let line = line!() + 1;
    let y = x.sqrt().sum(); // ∂√x/∂x = 1/(2√x) is infinite at 0
    assert!(tape.anomaly().is_none(), "the forward pass is finite");
    let _g = tape.grad(y, &[x], true).unwrap();
    let anomaly = tape.anomaly().expect("the derivative at 0 is infinite");
    assert_eq!(anomaly.site.file(), file!(), "{anomaly}");
    assert_eq!(anomaly.site.line(), line, "{anomaly}");
}
