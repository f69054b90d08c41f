//! Forward mode (`Tape::jvp`, issue 24): every built-in op's tangent rule against reverse
//! mode's Jacobian-vector product (the double-VJP, two backward passes) and against
//! central finite differences; many directions at once (`Tape::jvp_batch`) against one at
//! a time; broadcasting over random shapes; the errors.

use ndarray::{array, ArrayD, IxDyn};
use proptest::prelude::*;
use tapegrad_tape::{Op, Tape, TapeError, Triangle, Var};

type Build = Box<dyn for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>>;

/// Boxes a function of the inputs (the bound makes the closure's lifetimes general).
fn boxed(f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64> + 'static) -> Build {
    Box::new(f)
}

/// Every built-in op (and the fused cross-entropy is in the loss crate's tests), each as a
/// function of `x` [2, 3], `v` [3], `w` [3, 2] and `b` [2].
fn catalogue() -> Vec<(&'static str, Build)> {
    macro_rules! op {
        ($name:literal, |$x:ident, $v:ident, $w:ident, $b:ident| $body:expr) => {
            (
                $name,
                boxed(|i| {
                    let ($x, $v, $w, $b) = (i[0], i[1], i[2], i[3]);
                    let _ = ($x, $v, $w, $b);
                    $body
                }),
            )
        };
    }
    vec![
        op!("abs", |x, v, w, b| x.abs()),
        op!("add", |x, v, w, b| x.add(&v)),
        op!("add_scalar", |x, v, w, b| x.add_scalar(1.0)),
        op!("affine", |x, v, w, b| x.affine(&w, &b)),
        op!("broadcast_to", |x, v, w, b| v.broadcast_to(&[2, 3])),
        op!("clamp", |x, v, w, b| x.clamp(1.0, 2.0)),
        op!("concat", |x, v, w, b| Var::concat(&[x, v.reshape(&[1, 3])], 0)),
        op!("cos", |x, v, w, b| x.cos()),
        op!("cumsum", |x, v, w, b| x.cumsum(1)),
        op!("diag_embed", |x, v, w, b| v.diag_embed()),
        op!("div", |x, v, w, b| x.div(&v.add_scalar(1.0))),
        op!("div_scalar", |x, v, w, b| x.div_scalar(2.0)),
        op!("exp", |x, v, w, b| x.exp()),
        op!("fill_triangle", |x, v, w, b| v.fill_triangle(2, Triangle::Lower).unwrap()),
        op!("gather", |x, v, w, b| x.gather(1, &array![[0], [2]]).unwrap()),
        op!("index_add", |x, v, w, b| v.index_add(0, &[1, 0, 1], 2).unwrap()),
        op!("leaky_relu", |x, v, w, b| x.leaky_relu(0.1)),
        op!("log", |x, v, w, b| x.log()),
        op!("log_sigmoid", |x, v, w, b| x.log_sigmoid()),
        op!("log_softmax", |x, v, w, b| x.log_softmax(1)),
        op!("log_sum_exp", |x, v, w, b| x.log_sum_exp()),
        op!("log_sum_exp_axes", |x, v, w, b| x.log_sum_exp_axes(&[1], false)),
        op!("matmul", |x, v, w, b| x.matmul(&w)),
        op!("matmul 3-D", |x, v, w, b| Var::concat(&[x, x.mul_scalar(2.0)], 0)
            .reshape(&[2, 2, 3])
            .matmul(&w)),
        op!("max", |x, v, w, b| x.max()),
        op!("max_axes", |x, v, w, b| x.max_axes(&[0], false)),
        op!("maximum", |x, v, w, b| x.maximum(&v)),
        op!("mean", |x, v, w, b| x.mean()),
        op!("mean_axes", |x, v, w, b| x.mean_axes(&[1], true)),
        op!("min", |x, v, w, b| x.min()),
        op!("min_axes", |x, v, w, b| x.min_axes(&[1], false)),
        op!("minimum", |x, v, w, b| x.minimum(&v)),
        op!("mul", |x, v, w, b| x.mul(&v)),
        op!("mul_scalar", |x, v, w, b| x.mul_scalar(3.0)),
        op!("neg", |x, v, w, b| x.neg()),
        op!("permute", |x, v, w, b| x.permute(&[1, 0])),
        op!("pow", |x, v, w, b| x.pow(&v)),
        op!("powf", |x, v, w, b| x.powf(1.5)),
        op!("relu", |x, v, w, b| x.sub_scalar(1.6).relu()),
        op!("reshape", |x, v, w, b| x.reshape(&[3, 2])),
        op!("select", |x, v, w, b| x.select(1, &[2, 0, 2]).unwrap()),
        op!("shift", |x, v, w, b| x.shift(1, 1)),
        op!("sigmoid", |x, v, w, b| x.sigmoid()),
        op!("silu", |x, v, w, b| x.silu()),
        op!("gelu", |x, v, w, b| x.gelu()),
        op!("gelu_tanh", |x, v, w, b| x.gelu_tanh()),
        op!("erf", |x, v, w, b| x.erf()),
        op!("sin", |x, v, w, b| x.sin()),
        op!("slice_axis", |x, v, w, b| x.slice_axis(1, 0..2)),
        op!("softmax", |x, v, w, b| x.softmax(1)),
        op!("softplus", |x, v, w, b| x.softplus()),
        op!("sqrt", |x, v, w, b| x.sqrt()),
        op!("square", |x, v, w, b| x.square()),
        op!("sub", |x, v, w, b| x.sub(&v)),
        op!("sub_scalar", |x, v, w, b| x.sub_scalar(1.0)),
        op!("sum_axes", |x, v, w, b| x.sum_axes(&[0], false)),
        op!("sum_to", |x, v, w, b| x.sum_to(&[3])),
        op!("t", |x, v, w, b| x.t()),
        op!("tanh", |x, v, w, b| x.tanh()),
        op!("transpose", |x, v, w, b| x.transpose(0, 1)),
        op!("a composition", |x, v, w, b| (x.matmul(&w) + b).tanh().matmul(&w.t()).mul(&x).log_softmax(1)),
    ]
}

fn inputs() -> [ArrayD<f64>; 4] {
    [
        array![[0.5, 1.3, 1.7], [2.1, 2.5, 3.2]].into_dyn(),
        array![0.2, 0.45, 0.7].into_dyn(),
        array![[1.0, 0.5], [0.3, 1.1], [-1.0, 2.0]].into_dyn(),
        array![0.1, -0.1].into_dyn(),
    ]
}

fn directions() -> [ArrayD<f64>; 4] {
    [
        array![[0.3, -0.7, 0.2], [0.9, 0.1, -0.4]].into_dyn(),
        array![-0.5, 0.25, 0.6].into_dyn(),
        array![[0.2, -0.1], [0.7, 0.4], [-0.3, 0.8]].into_dyn(),
        array![0.5, -0.9].into_dyn(),
    ]
}

/// `J·v` by reverse mode: `⟨y, u⟩`'s gradient recorded, then `⟨Jᵀu, v⟩` differentiated
/// with respect to `u`.
fn reverse_jvp(build: &Build, values: &[ArrayD<f64>], directions: &[ArrayD<f64>]) -> ArrayD<f64> {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = values.iter().map(|v| tape.var(v)).collect();
    let y = build(&vars);
    let u = tape.var(ArrayD::zeros(y.shape()));
    let vjps = tape.grad((y * u).sum(), &vars, true).unwrap();
    let mut dot = tape.scalar(0.0);
    for (vjp, d) in vjps.iter().zip(directions) {
        dot = dot + (*vjp * tape.constant(d)).sum();
    }
    tape.grad(dot, &[u], false).unwrap()[0].value()
}

/// `(y(x + h v) − y(x − h v)) / 2h`.
fn finite_difference(build: &Build, values: &[ArrayD<f64>], directions: &[ArrayD<f64>]) -> ArrayD<f64> {
    let h = 1e-6;
    let at = |sign: f64| {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> =
            values.iter().zip(directions).map(|(x, d)| tape.var(x + &(d * (sign * h)))).collect();
        build(&vars).value()
    };
    (at(1.0) - at(-1.0)) / (2.0 * h)
}

fn assert_close(actual: &ArrayD<f64>, expected: &ArrayD<f64>, rel: f64, context: &str) {
    assert_eq!(actual.shape(), expected.shape(), "{context}: shapes");
    for (k, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= rel * a.abs().max(e.abs()).max(1.0),
            "{context}: element {k}: {a} against {e}\n{actual}\n{expected}"
        );
    }
}

#[test]
fn every_built_in_op_has_a_tangent_rule_that_agrees_with_reverse_mode_and_finite_differences() {
    let (values, directions) = (inputs(), directions());
    for (name, build) in catalogue() {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = values.iter().map(|v| tape.var(v)).collect();
        let y = build(&vars);
        let forward = tape.jvp(&[y], &vars, &directions).unwrap_or_else(|e| panic!("{name}: {e}")).remove(0);
        assert_close(
            &forward,
            &reverse_jvp(&build, &values, &directions),
            1e-12,
            &format!("{name}: forward against reverse"),
        );
        assert_close(
            &forward,
            &finite_difference(&build, &values, &directions),
            1e-6,
            &format!("{name}: forward against finite differences"),
        );
    }
}

/// Three directions per input: the test's own, its negative doubled, and a rotation of it.
fn three_directions() -> Vec<ArrayD<f64>> {
    directions()
        .iter()
        .map(|d| {
            let rotated = ArrayD::from_shape_vec(
                d.raw_dim(),
                d.iter().cycle().skip(1).take(d.len()).map(|v| v + 0.125).collect(),
            )
            .unwrap();
            ndarray::stack(ndarray::Axis(0), &[d.view(), (d * -2.0).view(), rotated.view()]).unwrap()
        })
        .collect()
}

#[test]
fn every_built_in_op_carries_many_directions_at_once_as_it_carries_one() {
    let (values, batches) = (inputs(), three_directions());
    for (name, build) in catalogue() {
        // Along every input, and along the first alone (the others' tangents then absent).
        for along in [4, 1] {
            let tape = Tape::new();
            let vars: Vec<Var<'_, f64>> = values.iter().map(|v| tape.var(v)).collect();
            let y = build(&vars);
            let batched = tape
                .jvp_batch(&[y], &vars[..along], &batches[..along])
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .remove(0);
            assert_eq!(batched.shape()[1..], y.shape()[..], "{name}: one direction's shape");
            for j in 0..3 {
                let one: Vec<ArrayD<f64>> =
                    batches[..along].iter().map(|b| b.index_axis(ndarray::Axis(0), j).to_owned()).collect();
                let single = tape.jvp(&[y], &vars[..along], &one).unwrap().remove(0);
                assert_close(
                    &batched.index_axis(ndarray::Axis(0), j).to_owned(),
                    &single,
                    1e-13,
                    &format!("{name}: direction {j} of the batch, along {along} inputs"),
                );
            }
        }
    }
}

#[test]
fn a_batch_of_directions_is_checked_and_may_be_empty() {
    let tape = Tape::new();
    let x = tape.var(array![1.0, 2.0]);
    let w = tape.var(array![[1.0], [3.0]]);
    let y = x.reshape(&[1, 2]).matmul(&w).tanh();
    // No directions: an empty batch of the output's shape.
    let none = tape.jvp_batch(&[y], &[x], &[ArrayD::zeros(IxDyn(&[0, 2]))]).unwrap();
    assert_eq!(none[0].shape(), &[0, 1, 1]);
    // Directions of the wrong shape, or disagreeing in number, name the tangent.
    let err = tape.jvp_batch(&[y], &[x], &[ArrayD::zeros(IxDyn(&[2]))]).unwrap_err();
    assert!(err.to_string().contains("jvp_batch"), "{err}");
    let err = tape
        .jvp_batch(&[y], &[x, w], &[ArrayD::zeros(IxDyn(&[3, 2])), ArrayD::zeros(IxDyn(&[2, 2, 1]))])
        .unwrap_err();
    assert!(err.to_string().contains("tangent 1"), "{err}");
}

#[test]
fn a_tangent_along_one_input_alone_is_that_inputs_column_of_the_jacobian() {
    // y = x · w: along w only, ẏ = x · ẇ; along x only, ẏ = ẋ · w.
    let tape = Tape::new();
    let (x, w) = (tape.var(array![[1.0, 2.0]]), tape.var(array![[3.0], [4.0]]));
    let y = x.matmul(&w);
    let along_w = tape.jvp(&[y], &[w], &[array![[1.0], [0.0]].into_dyn()]).unwrap();
    assert_eq!(along_w[0], array![[1.0]].into_dyn());
    let along_x = tape.jvp(&[y], &[x], &[array![[0.0, 1.0]].into_dyn()]).unwrap();
    assert_eq!(along_x[0], array![[4.0]].into_dyn());
    // An input recorded after the output: it moves nothing.
    let later = tape.var(array![1.0]);
    let jv = tape.jvp(&[y], &[x, later], &[array![[1.0, 0.0]].into_dyn(), array![1.0].into_dyn()]).unwrap();
    assert_eq!(jv[0], array![[3.0]].into_dyn());
    // An output that does not depend on the input: zeros.
    let z = tape.var(array![5.0]).square();
    assert_eq!(tape.jvp(&[z], &[x], &[array![[1.0, 1.0]].into_dyn()]).unwrap()[0], array![0.0].into_dyn());
}

#[test]
fn an_intermediate_input_adds_its_tangent_to_what_reaches_it() {
    // h = 2x, y = h² + x; along (ẋ, ḣ): ẏ = 2h (2ẋ + ḣ) + ẋ, reverse mode's total derivative.
    let build = boxed(|i| {
        let h = i[0].mul_scalar(2.0);
        h.square() + i[0]
    });
    let tape = Tape::new();
    let x = tape.var(array![1.5]);
    let h = x.mul_scalar(2.0);
    let y = h.square() + x;
    let jv = tape.jvp(&[y], &[x, h], &[array![1.0].into_dyn(), array![0.5].into_dyn()]).unwrap();
    assert_eq!(jv[0], array![2.0 * 3.0 * (2.0 + 0.5) + 1.0].into_dyn());
    let _ = build;
}

#[test]
fn forward_and_reverse_jacobians_agree_and_jacobian_picks_the_cheaper() {
    let tape = Tape::new();
    let t = tape.var(array![0.3, -0.8]);
    // ℝ² → ℝ⁶: forward mode needs 2 sweeps, reverse 6.
    let y = Var::concat(&[t.sin(), t.exp(), (t * t.sum()).tanh()], 0);
    let forward = tape.jacobian_forward(y, t).unwrap();
    assert_eq!(forward.shape(), &[6, 2]);
    let reverse = {
        let tape = Tape::new();
        let t = tape.var(array![0.3, -0.8]);
        let y = Var::concat(&[t.sin(), t.exp(), (t * t.sum()).tanh()], 0);
        let rows: Vec<ArrayD<f64>> = (0..6)
            .map(|j| tape.grad(y.slice_axis(0, j..j + 1).sum(), &[t], false).unwrap()[0].value())
            .collect();
        ndarray::Array2::from_shape_fn((6, 2), |(j, k)| rows[j][[k]])
    };
    for (a, e) in forward.iter().zip(&reverse) {
        assert!((a - e).abs() < 1e-14, "{forward}\n{reverse}");
    }
    assert_eq!(
        tape.jacobian(y, t).unwrap(),
        forward,
        "jacobian uses forward mode for fewer inputs than outputs"
    );
}

#[test]
fn forward_mode_errors_name_the_problem() {
    // A custom op with only a backward.
    struct Cube;
    impl Op<f64> for Cube {
        fn name(&self) -> &'static str {
            "cube"
        }
        fn forward(&self, inputs: &[ndarray::ArrayViewD<'_, f64>]) -> ArrayD<f64> {
            inputs[0].mapv(|x| x * x * x)
        }
        fn backward(
            &self,
            inputs: &[ndarray::ArrayViewD<'_, f64>],
            _: &ndarray::ArrayViewD<'_, f64>,
            g: &ndarray::ArrayViewD<'_, f64>,
            _: &[bool],
        ) -> tapegrad_tape::InputGrads<f64> {
            [Some(g * &inputs[0].mapv(|x| 3.0 * x * x))].into_iter().collect()
        }
    }
    let tape = Tape::new();
    let x = tape.var(array![1.0, 2.0]);
    let y = tape.apply(Cube, &[x]).sum();
    let err = tape.jvp(&[y], &[x], &[array![1.0, 1.0].into_dyn()]).unwrap_err();
    assert!(matches!(err, TapeError::NoTangentRule { op: "cube", node: 1, .. }), "{err}");
    assert!(err.to_string().contains("cube (node 1, recorded at crates/tape/tests/forward.rs:"), "{err}");
    // The Jacobian falls back to reverse mode for it.
    let z = tape.apply(Cube, &[x]);
    assert_eq!(tape.jacobian(z, x).unwrap(), array![[3.0, 0.0], [0.0, 12.0]]);
    // A constant input, and a tangent of the wrong shape.
    let c = tape.constant(array![1.0]);
    let err = tape.jvp(&[y], &[c], &[array![1.0].into_dyn()]).unwrap_err();
    assert!(matches!(err, TapeError::NoGradient { op: "jvp", input: 0, .. }), "{err}");
    let err = tape.jvp(&[y], &[x], &[array![1.0].into_dyn()]).unwrap_err();
    assert!(matches!(err, TapeError::ShapeMismatch { op: "jvp", .. }), "{err}");
}

#[test]
fn forward_mode_runs_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.var(array![1.0f32, 2.0]);
    let y = (x.square() * x.sin()).sum();
    let jv = tape.jvp(&[y], &[x], &[array![1.0f32, 0.0].into_dyn()]).unwrap()[0][[]];
    let exact = 2.0 * 1.0f32.sin() + 1.0f32.cos();
    assert!((jv - exact).abs() < 1e-6, "{jv} vs {exact}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Broadcasting binary ops over random shapes: the tangent summed as each operand was
    /// broadcast, forward against reverse.
    #[test]
    fn broadcast_tangents_agree_with_reverse_mode(
        rows in 1usize..4, cols in 1usize..4, pick in 0usize..4, which in 0usize..6, seed in 0u64..1000
    ) {
        let b_shape: Vec<usize> = match pick { 0 => vec![rows, cols], 1 => vec![cols], 2 => vec![rows, 1], _ => vec![1, cols] };
        let fill = |shape: &[usize], k: u64| ArrayD::from_shape_fn(IxDyn(shape), |i| {
            let s = (ndarray::Dimension::slice(&i).iter().sum::<usize>() as u64 + k + seed) as f64;
            0.5 + (s * 0.37).sin().abs()
        });
        let values = [fill(&[rows, cols], 1), fill(&b_shape, 2)];
        let directions = [fill(&[rows, cols], 3) - 0.8, fill(&b_shape, 4) - 0.8];
        let build = boxed(move |i| match which {
            0 => i[0] + i[1],
            1 => i[0] - i[1],
            2 => i[0] * i[1],
            3 => i[0] / i[1],
            4 => i[0].pow(&i[1]),
            _ => i[0].maximum(&i[1].mul_scalar(1.01)),
        });
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = values.iter().map(|v| tape.var(v)).collect();
        let y = build(&vars);
        let forward = tape.jvp(&[y], &vars, &directions).unwrap().remove(0);
        let reverse = reverse_jvp(&build, &values, &directions);
        for (a, e) in forward.iter().zip(&reverse) {
            prop_assert!((a - e).abs() <= 1e-12 * a.abs().max(e.abs()).max(1.0), "{} vs {}", a, e);
        }
        // Two directions at once: this one and its negative, along either operand alone too.
        for along in [2, 1] {
            let batch: Vec<ArrayD<f64>> = directions[..along]
                .iter()
                .map(|d| ndarray::stack(ndarray::Axis(0), &[d.view(), (-d).view()]).unwrap())
                .collect();
            let batched = tape.jvp_batch(&[y], &vars[..along], &batch).unwrap().remove(0);
            let single = tape.jvp(&[y], &vars[..along], &directions[..along]).unwrap().remove(0);
            for (a, e) in batched.index_axis(ndarray::Axis(0), 0).iter().zip(&single) {
                prop_assert!((a - e).abs() <= 1e-13 * a.abs().max(e.abs()).max(1.0), "{} vs {}", a, e);
            }
            for (a, e) in batched.index_axis(ndarray::Axis(0), 1).iter().zip(&single) {
                prop_assert!((a + e).abs() <= 1e-13 * a.abs().max(e.abs()).max(1.0), "{} vs -{}", a, e);
            }
        }
    }
}

#[test]
fn the_checker_checks_forward_mode_against_finite_differences_and_reverse_mode() {
    use tapegrad_tape::gradcheck::{GradCheck, Status};
    let report = GradCheck::new()
        .check_forward(
            |_t, v| (v[0].matmul(&v[1]).tanh() + v[0].sum()).sum(),
            &[array![[0.5, -1.0, 0.25]].into_dyn(), array![[0.3], [0.7], [-0.2]].into_dyn()],
        )
        .unwrap();
    report.assert_passed();
    assert_eq!(report.compared(), 6);
    // A kink is skipped, as in the reverse check.
    let report =
        GradCheck::new().check_forward(|_t, v| v[0].relu().sum(), &[array![0.0, 1.0].into_dyn()]).unwrap();
    assert_eq!(report.elements[0].status, Status::Kink);
    // A wrong tangent rule is caught, and named by its element.
    struct WrongTangent;
    impl Op<f64> for WrongTangent {
        fn name(&self) -> &'static str {
            "wrong_tangent"
        }
        fn forward(&self, inputs: &[ndarray::ArrayViewD<'_, f64>]) -> ArrayD<f64> {
            inputs[0].mapv(|x| x * x)
        }
        fn backward(
            &self,
            inputs: &[ndarray::ArrayViewD<'_, f64>],
            _: &ndarray::ArrayViewD<'_, f64>,
            g: &ndarray::ArrayViewD<'_, f64>,
            _: &[bool],
        ) -> tapegrad_tape::InputGrads<f64> {
            [Some(g * &inputs[0].mapv(|x| 2.0 * x))].into_iter().collect()
        }
        fn tangent(
            &self,
            inputs: &[ndarray::ArrayViewD<'_, f64>],
            _: &ndarray::ArrayViewD<'_, f64>,
            tangents: &[Option<ndarray::ArrayViewD<'_, f64>>],
        ) -> Option<ArrayD<f64>> {
            Some(&inputs[0] * tangents[0].as_ref()?) // forgets the 2
        }
    }
    // Checked op by op, the failure names the op, and only that op fails.
    let per_op = GradCheck::new()
        .check_ops_forward(|t, v| t.apply(WrongTangent, &[v[0].exp()]).sum(), &[array![0.5, -2.0].into_dyn()])
        .unwrap();
    assert_eq!(per_op.failing_ops().map(|o| o.op).collect::<Vec<_>>(), ["wrong_tangent"], "{per_op}");
    assert_eq!(per_op.ops.iter().map(|o| o.op).collect::<Vec<_>>(), ["exp", "wrong_tangent", "sum"]);
    let report = GradCheck::new()
        .check_forward(|t, v| t.apply(WrongTangent, &[v[0]]).sum(), &[array![1.5, -2.0].into_dyn()])
        .unwrap();
    assert!(!report.passed());
    let worst = report.worst().unwrap();
    assert_eq!((worst.analytic, worst.numeric), (-2.0, -4.0), "forward −2 against reverse −4");
    // The reverse check of the same op passes: only its tangent is wrong.
    GradCheck::new()
        .check(|t, v| t.apply(WrongTangent, &[v[0]]).sum(), &[array![1.5, -2.0].into_dyn()])
        .assert_passed();
}

#[test]
fn every_built_in_op_passes_the_per_op_forward_check() {
    use tapegrad_tape::gradcheck::GradCheck;
    let values = inputs();
    for (name, build) in catalogue() {
        let report = GradCheck::new()
            .check_ops_forward(|_t, v| build(v), &values)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.passed(), "{name}: {report}");
    }
}

#[test]
fn the_per_op_forward_check_names_an_op_without_a_tangent_rule() {
    use tapegrad_tape::gradcheck::GradCheck;
    struct NoTangent;
    impl Op<f64> for NoTangent {
        fn name(&self) -> &'static str {
            "no_tangent"
        }
        fn forward(&self, inputs: &[ndarray::ArrayViewD<'_, f64>]) -> ArrayD<f64> {
            inputs[0].to_owned()
        }
        fn backward(
            &self,
            _: &[ndarray::ArrayViewD<'_, f64>],
            _: &ndarray::ArrayViewD<'_, f64>,
            g: &ndarray::ArrayViewD<'_, f64>,
            _: &[bool],
        ) -> tapegrad_tape::InputGrads<f64> {
            [Some(g.to_owned())].into_iter().collect()
        }
    }
    let error = GradCheck::new()
        .check_ops_forward(|t, v| t.apply(NoTangent, &[v[0].tanh()]).sum(), &[array![0.5].into_dyn()])
        .unwrap_err();
    assert!(matches!(error, TapeError::NoTangentRule { op: "no_tangent", node: 2, .. }), "{error}");
}
