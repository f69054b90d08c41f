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
