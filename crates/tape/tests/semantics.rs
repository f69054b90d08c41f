//! What backward promises: seeds, accumulation, repeatability, constants, no-grad, and
//! how parameters are borrowed and updated.

use ndarray::{array, ArrayD};
use tapegrad_tape::{NodeKind, Tape, TapeError};

#[test]
fn backward_from_a_scalar_seeds_one() {
    let tape = Tape::new();
    let x = tape.var(array![2.0]);
    let y = x.powf(3.0).sum(); // dy/dx = 3x² = 12
    assert_eq!(tape.backward(y).get(x).unwrap()[[0]], 12.0);
}

#[test]
fn backward_from_a_non_scalar_uses_the_seed() {
    let tape = Tape::new();
    let x = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
    let y = x.square(); // ∂L/∂x = seed · 2x
    let seed = array![[1.0, 0.0], [0.5, -1.0]].into_dyn();
    let grads = tape.backward_with_seed(y, seed).unwrap();
    assert_eq!(grads.get(x).unwrap(), &array![[2.0, 0.0], [3.0, -8.0]].into_dyn());
}

#[test]
fn a_seed_of_the_wrong_shape_is_an_error_naming_both_shapes() {
    let tape = Tape::new();
    let y = tape.var(array![[1.0, 2.0]]).exp();
    let err = tape.backward_with_seed(y, array![1.0, 2.0].into_dyn()).unwrap_err();
    assert!(matches!(&err, TapeError::ShapeMismatch { op: "backward_with_seed", expected, actual, .. }
        if expected == &[1, 2] && actual == &[2]));
    assert_eq!(
        err.to_string(),
        "backward_with_seed: expected shape [1, 2], got [2] (the seed gradient must have the output's shape)"
    );
}

#[test]
fn a_diamond_accumulates_both_paths() {
    // a = x·2, b = x·3, y = a·b = 6x², so dy/dx = 12x = 24 at x = 2
    let tape = Tape::new();
    let x = tape.var(array![2.0]);
    let a = x * 2.0;
    let b = x * 3.0;
    let y = (a * b).sum();
    let grads = tape.backward(y);
    assert_eq!(grads.get(x).unwrap()[[0]], 24.0);
    // ∂y/∂a = b = 6 and ∂y/∂b = a = 4 are kept too.
    assert_eq!(grads.get(a).unwrap()[[0]], 6.0);
    assert_eq!(grads.get(b).unwrap()[[0]], 4.0);
}

#[test]
fn a_value_used_twice_in_one_op_gets_both_contributions() {
    // y = x · x, dy/dx = 2x
    let tape = Tape::new();
    let x = tape.var(array![-1.5]);
    assert_eq!(tape.backward((x * x).sum()).get(x).unwrap()[[0]], -3.0);
}

#[test]
fn backward_twice_gives_the_same_result() {
    let tape = Tape::new();
    let x = tape.var(array![[0.3, -0.7]]);
    let y = x.tanh().matmul(&tape.constant(array![[1.0], [2.0]])).sum();
    let first = tape.backward(y);
    let second = tape.backward(y);
    assert_eq!(first.get(x), second.get(x));
}

#[test]
fn constants_and_detached_values_get_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(array![1.0, 2.0]);
    let c = tape.constant(array![3.0, 4.0]);
    let d = x.detach();
    let y = (x * c + d * c).sum();
    let grads = tape.backward(y);
    assert_eq!(grads.get(x).unwrap(), &array![3.0, 4.0].into_dyn());
    assert!(grads.get(c).is_none());
    assert!(grads.get(d).is_none());
    assert!(!d.requires_grad());
    assert_eq!(d.kind(), NodeKind::Constant);
    // A purely constant sub-expression is not differentiated at all.
    let constant_product = c * c;
    assert!(!constant_product.requires_grad());
}

#[test]
fn a_value_that_did_not_influence_the_loss_has_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(array![1.0]);
    let unused = tape.var(array![[1.0, 2.0]]);
    let later = x.exp(); // recorded after the loss
    let loss = (x * 2.0).sum();
    let grads = tape.backward(loss);
    assert!(grads.get(unused).is_none());
    assert!(grads.get(later).is_none());
    assert_eq!(grads.get_or_zeros(unused), ArrayD::<f64>::zeros(vec![1, 2]));
}

#[test]
fn no_grad_records_values_only() {
    let tape = Tape::new();
    let w = array![1.0, -1.0];
    let x = tape.param(&w);
    let frozen = tape.no_grad(|| (x * 3.0).relu());
    assert_eq!(frozen.value(), array![3.0, 0.0].into_dyn());
    assert!(!frozen.requires_grad());
    assert!(tape.is_grad_enabled());
    let loss = (x * frozen).sum();
    assert_eq!(tape.backward(loss).param(&w).unwrap(), &array![3.0, 0.0].into_dyn());
    // An inference tape never differentiates anything.
    let inference = Tape::inference();
    let y = (inference.param(&w) * 2.0).sum();
    assert!(inference.backward(y).is_empty());
}

#[test]
fn no_grad_restores_the_mode_after_a_panic() {
    let tape = Tape::<f64>::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tape.no_grad(|| panic!("inside"))));
    assert!(result.is_err());
    assert!(tape.is_grad_enabled());
}

#[test]
fn parameters_are_borrowed_then_updated_in_place_after_backward() {
    // One gradient-descent step on L = Σ (w − 3)², the way a training loop does it:
    // record with borrowed parameters, backward, then mutate the parameters.
    let mut w = array![0.0, 1.0];
    for _ in 0..100 {
        let tape = Tape::new();
        let loss = (tape.param(&w) - 3.0).square().sum();
        let grads = tape.backward(loss);
        let grad_w = grads.param(&w).unwrap().clone().into_dimensionality::<ndarray::Ix1>().unwrap();
        w.scaled_add(-0.1, &grad_w);
    }
    approx::assert_abs_diff_eq!(w, array![3.0, 3.0], epsilon = 1e-8);
}

#[test]
fn a_parameter_registered_twice_is_one_node() {
    let w = array![2.0];
    let tape = Tape::new();
    let a = tape.param(&w);
    let b = tape.param(&w);
    assert_eq!(a.id(), b.id());
    assert_eq!(tape.len(), 1);
    // L = w · w → dL/dw = 2w = 4
    assert_eq!(tape.backward((a * b).sum()).param(&w).unwrap()[[0]], 4.0);
}

#[test]
fn different_objects_for_the_same_array_are_one_parameter() {
    // The tape finds a parameter by its array object first, then by data and layout: two
    // views of `w` (other objects, same data and layout) are still `w`.
    let w = array![[1.0, 2.0], [3.0, 4.0]];
    let (first, second, transposed) = (w.view(), w.view(), w.t());
    let tape = Tape::new();
    let a = tape.param(&w);
    assert_eq!(tape.param(&first).id(), a.id());
    assert_eq!(tape.param(&second).id(), a.id());
    assert_ne!(tape.param(&transposed).id(), a.id());
    let b = tape.param(&second); // found by object now
    assert_eq!(b.id(), a.id());
    let grads = tape.backward((a * b).sum());
    assert_eq!(grads.param(&first).unwrap(), (&w * 2.0).into_dyn());
    // Many 0-d parameters, as a scalar graph has (enough to grow the lookup tables).
    let scalars: Vec<_> = (0..100).map(|i| ndarray::arr0(i as f64)).collect();
    let tape = Tape::new();
    let total = scalars.iter().fold(tape.scalar(0.0), |acc, s| acc + tape.param(s) * tape.param(s));
    let grads = tape.backward(total);
    for (i, s) in scalars.iter().enumerate() {
        assert_eq!(grads.param(s).unwrap()[[]], 2.0 * i as f64);
    }
    assert_eq!(tape.len(), 1 + 100 + 200); // the start, one node per parameter, mul and add
}

#[test]
fn a_parameter_first_seen_under_no_grad_still_gets_its_gradient() {
    let w = array![2.0];
    let tape = Tape::new();
    let frozen = tape.no_grad(|| tape.param(&w) * 1.0);
    let y = (tape.param(&w) * 3.0 + frozen).sum();
    assert_eq!(tape.backward(y).param(&w).unwrap()[[0]], 3.0);
}

#[test]
fn two_views_of_one_buffer_are_different_parameters() {
    let m = array![[1.0, 2.0], [3.0, 4.0]];
    let mt = m.t();
    let tape = Tape::new();
    let a = tape.param(&m);
    let b = tape.param(&mt);
    assert_ne!(a.id(), b.id());
    assert_eq!(b.value(), array![[1.0, 3.0], [2.0, 4.0]].into_dyn());
    // L = Σ (m ⊙ mᵀ): ∂L/∂m = mᵀ through a, and through b another mᵀ (seen from m's side).
    let grads = tape.backward((a * b).sum());
    assert_eq!(grads.param(&m).unwrap(), &array![[1.0, 3.0], [2.0, 4.0]].into_dyn());
    assert_eq!(grads.param(&mt).unwrap(), &array![[1.0, 2.0], [3.0, 4.0]].into_dyn());
}

#[test]
fn gradients_outlive_the_tape() {
    let w = array![1.0, 2.0];
    let (grads, id) = {
        let tape = Tape::new();
        let v = tape.param(&w);
        (tape.backward(v.exp().sum()), v.id())
    };
    // d/dw Σ eʷ = eʷ (tapegrad's f64 exp is within 1 ulp of the standard library's)
    let expected = w.mapv(f64::exp).into_dyn();
    for grad in [grads.get(id).unwrap(), grads.param(&w).unwrap()] {
        assert!(grad.iter().zip(&expected).all(|(g, e)| (g - e).abs() <= e * f64::EPSILON), "{grad}");
    }
}

#[test]
#[should_panic(expected = "belongs to tape")]
fn looking_up_a_var_of_another_tape_panics_with_a_message() {
    let first = Tape::new();
    let x = first.var(array![1.0]);
    let grads = first.backward(x.sum());
    let second = Tape::new();
    let y = second.var(array![1.0]);
    let _ = grads.get(y);
}

#[test]
fn borrowed_inputs_are_not_copied() {
    let data = array![[1.0, 2.0], [3.0, 4.0]];
    let tape = Tape::new();
    let x = tape.constant(&data);
    assert!(x.with_value(|v| v.as_ptr() == data.as_ptr()));
    let w = tape.param(&data);
    assert!(w.with_value(|v| v.as_ptr() == data.as_ptr()));
}

#[test]
fn the_trace_lists_every_rule_in_reverse_order() {
    let tape = Tape::new();
    let x = tape.var(array![0.5]);
    let y = (x.tanh() * 2.0).sum();
    let (grads, trace) = tape.backward_trace(y);
    let ops: Vec<&str> = trace.steps.iter().map(|s| s.op).collect();
    assert_eq!(ops, ["sum", "mul_scalar", "tanh"]);
    // tanh's rule: grad in 2, grad out 2 · (1 − tanh² 0.5)
    let tanh_step = &trace.steps[2];
    assert_eq!(tanh_step.grad_output[[0]], 2.0);
    let expected = 2.0 * (1.0 - 0.5f64.tanh().powi(2));
    assert!((tanh_step.grad_inputs[0].1.as_ref().unwrap()[[0]] - expected).abs() < 1e-15);
    assert_eq!(grads.get(x).unwrap()[[0]], tanh_step.grad_inputs[0].1.as_ref().unwrap()[[0]]);
    let text = trace.to_string();
    assert!(text.contains("tanh") && text.contains("semantics.rs"), "{text}");
}

#[test]
fn dot_output_names_ops_shapes_values_and_gradients() {
    let w = array![[0.5], [-1.0]];
    let tape = Tape::new();
    let x = tape.constant(array![[1.0, 2.0]]);
    let y = x.matmul(&tape.param(&w)).sum();
    let grads = tape.backward(y);
    let dot = tape.to_dot(Some(&grads));
    assert!(dot.contains("#2 matmul\\nshape [1, 1]\\nvalue [[-1.5000]]"), "{dot}");
    assert!(dot.contains("#1 param") && dot.contains("grad [[1.0000],"), "{dot}");
    assert!(dot.contains("n0 -> n2;") && dot.contains("n1 -> n2;"), "{dot}");
    assert!(dot.contains("semantics.rs"), "{dot}");
}

/// Issue 12: a frozen parameter gets no gradient, whichever view registers it, while the
/// gradient flows through it; freezing after a use leaves that use's gradient alone.
#[test]
fn frozen_parameters_get_no_gradient_but_pass_one_on() {
    let w = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
    let tape = Tape::new();
    tape.freeze(&w.view().into_dyn());
    let x = tape.var(ndarray::array![[1.0, 1.0]]);
    let y = x.matmul(&tape.param(&w)).sum();
    // Registered again, by the array itself: still frozen.
    let again = tape.param(&w);
    assert!(!again.requires_grad());
    let grads = tape.backward(y);
    assert!(grads.param(&w).is_none());
    assert_eq!(grads.get(x).unwrap(), &ndarray::array![[3.0, 7.0]].into_dyn());

    // Freezing after the first use keeps that use's gradient (documented).
    let tape = Tape::new();
    let first = tape.param(&w);
    tape.freeze(&w);
    let grads = tape.backward(first.sum());
    assert!(grads.param(&w).is_some());

    // An empty array is never registered, so freezing it is a no-op, not an error.
    let empty = ndarray::Array1::<f64>::zeros(0);
    let tape = Tape::new();
    tape.freeze(&empty);
    assert!(tape.param(&empty).requires_grad());
}
