//! Property tests: for every op, on random shapes (size-1 axes included) and random
//! values, the tape's gradient agrees with central finite differences, as judged by the
//! public gradient checker.
//!
//! Each property wraps one op in a function `inputs → scalar` and lets
//! `GradCheck::check` compare the analytic and numeric gradient of every input element.
//! The scalar is a *weighted* sum `Σ w ⊙ y` with random weights, so every output element
//! counts with its own coefficient: a plain `Σ y` would hide bugs (softmax rows always sum
//! to 1, so the plain sum of a softmax has gradient 0 whatever its backward does).
//!
//! Inputs are kept away from kinks (relu at 0, ties in max/min, clamp bounds), where a
//! finite difference means nothing; one property puts values *on* the kinks on purpose
//! and checks that the checker skips exactly those elements.

use std::ops::RangeInclusive;

use ndarray::{ArrayD, Dimension, IxDyn};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use tapegrad_tape::gradcheck::{GradCheck, GradCheckReport, Status};
use tapegrad_tape::{broadcast_shape, Tape, Var};

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// `cases` random cases per property; no regression files written into the repository.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/// A shape with rank in `ranks` and every axis of length 1..=4.
fn shape(ranks: RangeInclusive<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, ranks)
}

/// An array of `shape` with elements drawn from `elem`.
fn array_of(shape: Vec<usize>, elem: impl Strategy<Value = f64>) -> impl Strategy<Value = ArrayD<f64>> {
    let len: usize = shape.iter().product();
    prop::collection::vec(elem, len)
        .prop_map(move |values| ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap())
}

/// An array of random shape (rank in `ranks`) with elements drawn from `elem`.
fn tensor(
    ranks: RangeInclusive<usize>,
    elem: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = ArrayD<f64>> {
    shape(ranks).prop_flat_map(move |s| array_of(s, elem.clone()))
}

/// A value with `0.1 ≤ |x| < 2`: at least 0.1 from the kink at 0.
fn off_zero() -> impl Strategy<Value = f64> + Clone {
    (0.1f64..2.0, any::<bool>())
        .prop_map(|(magnitude, negative)| if negative { -magnitude } else { magnitude })
}

/// Loss weights: `0.5 ≤ |w| < 2`, so no output element is ignored. 256 of them is more
/// than any output below has elements.
fn weights() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        (0.5f64..2.0, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m }),
        256,
    )
}

/// Broadcast pairs of shapes: an output shape of rank 1..=3 with axes 2..=3, and each
/// operand derived from it by dropping some leading axes and, axis by axis, keeping it or
/// setting it to 1 in `a`, in `b` or in both (which is where size-1 axes come from). So
/// equal shapes, one operand broadcasting into the other, and both broadcasting (e.g.
/// `[3, 1]` with `[2]`) all occur, as the test below confirms.
fn broadcast_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(2usize..=3, 1..=3)
        .prop_flat_map(|out| {
            let rank = out.len();
            let drop = || prop_oneof![1 => Just(0), 1 => 0..=rank];
            // (set to 1 in a, set to 1 in b)
            let mode = prop_oneof![
                1 => Just((false, false)),
                2 => Just((true, false)),
                2 => Just((false, true)),
                1 => Just((true, true)),
            ];
            (Just(out), drop(), drop(), prop::collection::vec(mode, rank))
        })
        .prop_map(|(out, drop_a, drop_b, modes)| {
            let ones_a: Vec<bool> = modes.iter().map(|m| m.0).collect();
            let ones_b: Vec<bool> = modes.iter().map(|m| m.1).collect();
            (derive_operand(&out, drop_a, &ones_a), derive_operand(&out, drop_b, &ones_b))
        })
}

/// `out` without its first `drop` axes, with the axes flagged in `ones` set to 1.
fn derive_operand(out: &[usize], drop: usize, ones: &[bool]) -> Vec<usize> {
    out.iter().zip(ones).skip(drop).map(|(&len, &one)| if one { 1 } else { len }).collect()
}

/// Two arrays of broadcast-compatible shapes, elements from `elem_a` and `elem_b`.
fn broadcast_arrays(
    elem_a: impl Strategy<Value = f64> + Clone,
    elem_b: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    broadcast_shapes()
        .prop_flat_map(move |(sa, sb)| (array_of(sa, elem_a.clone()), array_of(sb, elem_b.clone())))
}

/// For maximum/minimum: a point of the lattice `0.5·k + shift` (|k| ≤ 4) plus jitter
/// under 0.05. With shifts 0 and 0.25 for the two operands, every pair that meets after
/// broadcasting differs by at least 0.25 − 2·0.05 = 0.15, wherever it comes from.
fn lattice(shift: f64) -> impl Strategy<Value = f64> + Clone {
    (-4i32..=4, -0.05f64..0.05).prop_map(move |(k, jitter)| 0.5 * f64::from(k) + shift + jitter)
}

/// An array whose elements are pairwise at least 0.2 apart: a shuffled arithmetic
/// sequence with step 0.3 plus noise under 0.05 (for max/min reductions, which have a
/// kink wherever two candidates tie).
fn distinct_tensor(ranks: RangeInclusive<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    shape(ranks)
        .prop_flat_map(|s| {
            let len: usize = s.iter().product();
            let sequence: Vec<f64> = (0..len).map(|i| 0.3 * i as f64 - 0.15 * len as f64).collect();
            (Just(s), Just(sequence).prop_shuffle(), prop::collection::vec(-0.05f64..0.05, len))
        })
        .prop_map(|(s, sequence, noise)| {
            let values = sequence.iter().zip(&noise).map(|(v, n)| v + n).collect();
            ArrayD::from_shape_vec(IxDyn(&s), values).unwrap()
        })
}

/// A random subset of the axes `0..rank`, in random order (the op must not care).
fn axes_subset(rank: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<bool>(), rank).prop_flat_map(|chosen| {
        let axes: Vec<usize> = chosen.iter().enumerate().filter(|&(_, &c)| c).map(|(i, _)| i).collect();
        Just(axes).prop_shuffle()
    })
}

/// A reduction case: an array (rank 0..=3) from `values`, the axes to reduce, keep_dims.
fn reduction_case(
    values: impl Strategy<Value = ArrayD<f64>>,
) -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>, bool)> {
    values.prop_flat_map(|x| {
        let rank = x.ndim();
        (Just(x), axes_subset(rank), any::<bool>())
    })
}

/// An array of rank 1..=3 from `elem`, with one of its axes.
fn with_axis(elem: impl Strategy<Value = f64> + Clone) -> impl Strategy<Value = (ArrayD<f64>, usize)> {
    tensor(1..=3, elem).prop_flat_map(|x| {
        let rank = x.ndim();
        (Just(x), 0..rank)
    })
}

/// A divisor with `0.5 ≤ |b| < 2`, away from the pole of `a / b`.
fn divisor() -> impl Strategy<Value = f64> + Clone {
    (0.5f64..2.0, any::<bool>())
        .prop_map(|(magnitude, negative)| if negative { -magnitude } else { magnitude })
}

/// Values in a moderate range for smooth ops.
fn moderate() -> impl Strategy<Value = f64> + Clone {
    -2.0f64..2.0
}

// ---------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------

/// `Σ w ⊙ y` with `w` the first weights of `pool` laid out in `y`'s shape.
fn weighted_sum<'t>(y: Var<'t, f64>, pool: &[f64]) -> Var<'t, f64> {
    let shape = y.shape();
    let len: usize = shape.iter().product();
    assert!(len <= pool.len(), "weight pool too small for output shape {shape:?}");
    let w = ArrayD::from_shape_vec(IxDyn(&shape), pool[..len].to_vec()).unwrap();
    (y * y.tape().constant(w)).sum()
}

/// Gradient check of `x ↦ Σ w ⊙ op(x)`.
fn check_unary(
    x: &ArrayD<f64>,
    w: &[f64],
    op: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
) -> GradCheckReport {
    GradCheck::new().check(|_tape, v| weighted_sum(op(v[0]), w), std::slice::from_ref(x))
}

/// Gradient check of `(a, b) ↦ Σ w ⊙ op(a, b)`, for both operands.
fn check_binary(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    w: &[f64],
    op: impl for<'t> Fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>,
) -> GradCheckReport {
    GradCheck::new().check(|_tape, v| weighted_sum(op(v[0], v[1]), w), &[a.clone(), b.clone()])
}

// ---------------------------------------------------------------------------------------
// The generators themselves
// ---------------------------------------------------------------------------------------

/// The broadcast-pair generator produces both kinds of broadcasting: one operand
/// broadcasting into the other's shape, and both operands broadcasting to a shape
/// neither has.
#[test]
fn broadcast_pairs_cover_one_sided_and_two_sided_broadcasting() {
    let mut runner = TestRunner::deterministic();
    let strategy = broadcast_shapes();
    let (mut equal, mut one_sided, mut two_sided) = (0, 0, 0);
    for _ in 0..200 {
        let (a, b) = strategy.new_tree(&mut runner).unwrap().current();
        let out = broadcast_shape(&a, &b).expect("generated shapes broadcast");
        if out != a && out != b {
            two_sided += 1;
        } else if a != b {
            one_sided += 1;
        } else {
            equal += 1;
        }
    }
    assert!(
        equal >= 10 && one_sided >= 10 && two_sided >= 10,
        "equal {equal}, one-sided {one_sided}, two-sided {two_sided} of 200"
    );
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(32))]

    // --- Binary arithmetic, under broadcasting -----------------------------------------

    /// add: both gradients, each summed back over its broadcast axes.
    #[test]
    fn add_gradient((a, b) in broadcast_arrays(moderate(), moderate()), w in weights()) {
        let report = check_binary(&a, &b, &w, |a, b| a.add(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// sub: `∂/∂b` is the negated, broadcast-summed output gradient.
    #[test]
    fn sub_gradient((a, b) in broadcast_arrays(moderate(), moderate()), w in weights()) {
        let report = check_binary(&a, &b, &w, |a, b| a.sub(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// mul: each operand's gradient is the other operand, broadcast, times ∂L/∂y.
    #[test]
    fn mul_gradient((a, b) in broadcast_arrays(moderate(), moderate()), w in weights()) {
        let report = check_binary(&a, &b, &w, |a, b| a.mul(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// div: with the divisor kept to 0.5 ≤ |b| < 2, away from the pole.
    #[test]
    fn div_gradient(
        (a, b) in broadcast_arrays(moderate(), divisor()),
        w in weights(),
    ) {
        let report = check_binary(&a, &b, &w, |a, b| a.div(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// maximum: the gradient goes to the larger operand (no ties: operands on offset lattices).
    #[test]
    fn maximum_gradient((a, b) in broadcast_arrays(lattice(0.0), lattice(0.25)), w in weights()) {
        let report = check_binary(&a, &b, &w, |a, b| a.maximum(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// minimum: the gradient goes to the smaller operand (no ties).
    #[test]
    fn minimum_gradient((a, b) in broadcast_arrays(lattice(0.0), lattice(0.25)), w in weights()) {
        let report = check_binary(&a, &b, &w, |a, b| a.minimum(&b));
        prop_assert!(report.passed(), "{report}");
    }

    // --- Elementwise ops of one tensor --------------------------------------------------

    /// neg.
    #[test]
    fn neg_gradient(x in tensor(0..=3, moderate()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.neg());
        prop_assert!(report.passed(), "{report}");
    }

    /// add_scalar: the constant does not change the gradient.
    #[test]
    fn add_scalar_gradient(x in tensor(0..=3, moderate()), c in -3.0f64..3.0, w in weights()) {
        let report = check_unary(&x, &w, |x| x.add_scalar(c));
        prop_assert!(report.passed(), "{report}");
    }

    /// mul_scalar: the gradient is scaled by the constant.
    #[test]
    fn mul_scalar_gradient(x in tensor(0..=3, moderate()), c in -3.0f64..3.0, w in weights()) {
        let report = check_unary(&x, &w, |x| x.mul_scalar(c));
        prop_assert!(report.passed(), "{report}");
    }

    /// powf: positive base, any real exponent (negative and fractional included).
    #[test]
    fn powf_gradient(x in tensor(0..=3, 0.5f64..2.0), p in -2.0f64..3.0, w in weights()) {
        let report = check_unary(&x, &w, |x| x.powf(p));
        prop_assert!(report.passed(), "{report}");
    }

    /// sqrt: positive inputs, away from the infinite slope at 0.
    #[test]
    fn sqrt_gradient(x in tensor(0..=3, 0.1f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.sqrt());
        prop_assert!(report.passed(), "{report}");
    }

    /// exp.
    #[test]
    fn exp_gradient(x in tensor(0..=3, moderate()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.exp());
        prop_assert!(report.passed(), "{report}");
    }

    /// log: positive inputs.
    #[test]
    fn log_gradient(x in tensor(0..=3, 0.1f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.log());
        prop_assert!(report.passed(), "{report}");
    }

    /// abs: |x| ≥ 0.1, off the kink.
    #[test]
    fn abs_gradient(x in tensor(0..=3, off_zero()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.abs());
        prop_assert!(report.passed(), "{report}");
    }

    /// tanh.
    #[test]
    fn tanh_gradient(x in tensor(0..=3, -3.0f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.tanh());
        prop_assert!(report.passed(), "{report}");
    }

    /// sigmoid, over both of its branches (x ≥ 0 and x < 0).
    #[test]
    fn sigmoid_gradient(x in tensor(0..=3, -5.0f64..5.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.sigmoid());
        prop_assert!(report.passed(), "{report}");
    }

    /// relu: |x| ≥ 0.1, off the kink.
    #[test]
    fn relu_gradient(x in tensor(0..=3, off_zero()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.relu());
        prop_assert!(report.passed(), "{report}");
    }

    /// leaky_relu: |x| ≥ 0.1, random slope.
    #[test]
    fn leaky_relu_gradient(x in tensor(0..=3, off_zero()), slope in 0.01f64..0.5, w in weights()) {
        let report = check_unary(&x, &w, |x| x.leaky_relu(slope));
        prop_assert!(report.passed(), "{report}");
    }

    /// softplus.
    #[test]
    fn softplus_gradient(x in tensor(0..=3, -5.0f64..5.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.softplus());
        prop_assert!(report.passed(), "{report}");
    }

    /// log_sigmoid, over a range where the composition would still be finite too.
    #[test]
    fn log_sigmoid_gradient(x in tensor(0..=3, -5.0f64..5.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.log_sigmoid());
        prop_assert!(report.passed(), "{report}");
        // ln σ(x) = −softplus(−x), to rounding.
        let tape = Tape::new();
        let v = tape.constant(x.clone());
        let (a, b) = (v.log_sigmoid().value(), (-v).softplus().neg().value());
        prop_assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() <= 1e-15 * a.abs().max(1.0)));
    }

    /// pow with a tensor exponent: positive bases (ln x), exponents of both signs,
    /// broadcasting.
    #[test]
    fn pow_gradient(
        (a, b) in broadcast_arrays(0.5f64..2.0, moderate()),
        w in weights(),
    ) {
        let report = check_binary(&a, &b, &w, |a, b| a.pow(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// clamp: each element below, inside or above `[low, high]`, at least 0.1 from both
    /// bounds; gradient 1 inside, 0 outside.
    #[test]
    fn clamp_gradient(
        (x, low, high) in (-1.0f64..0.0, 0.5f64..2.0, shape(0..=3)).prop_flat_map(|(low, width, s)| {
            let high = low + width;
            let elem = (0..3u8, 0.0f64..1.0).prop_map(move |(region, t)| match region {
                0 => low - 0.1 - t,
                1 => low + 0.1 + t * (width - 0.2),
                _ => high + 0.1 + t,
            });
            (array_of(s, elem), Just(low), Just(high))
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.clamp(low, high));
        prop_assert!(report.passed(), "{report}");
    }

    /// On the kinks: elements exactly at 0 are reported as `Status::Kink` (skipped, not
    /// failed) for relu, abs and leaky_relu; every other element (|x| ≥ 0.1) passes. A
    /// report whose every element is at a kink compared nothing, and has not passed.
    #[test]
    fn elements_on_kinks_are_skipped_not_failed(
        x in tensor(1..=3, prop_oneof![Just(0.0), off_zero()]),
        w in weights(),
    ) {
        let reports = [
            ("relu", check_unary(&x, &w, |x| x.relu())),
            ("abs", check_unary(&x, &w, |x| x.abs())),
            ("leaky_relu", check_unary(&x, &w, |x| x.leaky_relu(0.1))),
        ];
        for (name, report) in &reports {
            let compared = x.iter().filter(|&&value| value != 0.0).count();
            prop_assert_eq!(report.compared(), compared);
            prop_assert_eq!(report.passed(), compared > 0, "{}: {}", name, report);
            for (element, &value) in report.elements.iter().zip(x.iter()) {
                let expected = if value == 0.0 { Status::Kink } else { Status::Pass };
                prop_assert_eq!(element.status, expected, "{} at {:?} (x = {}): {}", name, element.index, value, report);
            }
        }
    }

    // --- Shape ops ----------------------------------------------------------------------

    /// permute: a random permutation of the axes (rank 1..=4); the gradient is permuted back.
    #[test]
    fn permute_gradient(
        (x, axes) in tensor(1..=4, moderate()).prop_flat_map(|x| {
            let axes: Vec<usize> = (0..x.ndim()).collect();
            (Just(x), Just(axes).prop_shuffle())
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.permute(&axes));
        prop_assert!(report.passed(), "{report}");
    }

    /// transpose: two random axes (possibly the same one) swapped.
    #[test]
    fn transpose_gradient(
        (x, i, j) in tensor(1..=3, moderate()).prop_flat_map(|x| {
            let rank = x.ndim();
            (Just(x), 0..rank, 0..rank)
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.transpose(i, j));
        prop_assert!(report.passed(), "{report}");
    }

    /// reshape: to a random shape with the same element count (the axes shuffled, some
    /// neighbours merged, maybe a 1 inserted).
    #[test]
    fn reshape_gradient(
        (x, new_shape) in tensor(0..=3, moderate()).prop_flat_map(|x| {
            let dims = x.shape().to_vec();
            let rank = dims.len();
            (
                Just(x),
                Just(dims).prop_shuffle(),
                prop::collection::vec(any::<bool>(), rank),
                prop::option::of(0..=rank),
            )
        }).prop_map(|(x, dims, merge, insert_one)| {
            let mut new_shape: Vec<usize> = Vec::new();
            for (&len, &merge) in dims.iter().zip(&merge) {
                match new_shape.last_mut() {
                    Some(last) if merge => *last *= len,
                    _ => new_shape.push(len),
                }
            }
            if let Some(at) = insert_one {
                new_shape.insert(at.min(new_shape.len()), 1);
            }
            (x, new_shape)
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.reshape(&new_shape));
        prop_assert!(report.passed(), "{report}");
    }

    /// broadcast_to: from a shape derived from the target (leading axes dropped, some
    /// axes set to 1); the gradient sums over the repeated axes.
    #[test]
    fn broadcast_to_gradient(
        (x, target) in prop::collection::vec(1usize..=3, 1..=3).prop_flat_map(|out| {
            let rank = out.len();
            (Just(out), 0..=rank, prop::collection::vec(prop::bool::weighted(0.5), rank))
        }).prop_flat_map(|(out, drop, ones)| {
            (array_of(derive_operand(&out, drop, &ones), moderate()), Just(out))
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.broadcast_to(&target));
        prop_assert!(report.passed(), "{report}");
    }

    /// concat: 1..=3 parts of different lengths along a random axis; each part gets its
    /// own slice of the gradient.
    #[test]
    fn concat_gradient(
        (parts, axis) in (shape(1..=3), prop::collection::vec(1usize..=3, 1..=3)).prop_flat_map(|(s, lens)| {
            let rank = s.len();
            (Just(s), Just(lens), 0..rank)
        }).prop_flat_map(|(s, lens, axis)| {
            let parts: Vec<_> = lens.iter().map(|&len| {
                let mut part_shape = s.clone();
                part_shape[axis] = len;
                array_of(part_shape, moderate())
            }).collect();
            (parts, Just(axis))
        }),
        w in weights(),
    ) {
        let report = GradCheck::new().check(|_tape, v| weighted_sum(Var::concat(v, axis), &w), &parts);
        prop_assert!(report.passed(), "{report}");
    }

    /// slice_axis: a random (possibly empty) range along a random axis; the gradient is
    /// zero outside it.
    #[test]
    fn slice_axis_gradient(
        (x, axis, start, end) in with_axis(moderate()).prop_flat_map(|(x, axis)| {
            let len = x.shape()[axis];
            (Just(x), Just(axis), 0..=len)
        }).prop_flat_map(|(x, axis, start)| {
            let len = x.shape()[axis];
            (Just(x), Just(axis), Just(start), start..=len)
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.slice_axis(axis, start..end));
        prop_assert!(report.passed(), "{report}");
    }

    // --- Reductions over all elements ---------------------------------------------------

    /// sum().
    #[test]
    fn sum_all_gradient(x in tensor(0..=3, moderate()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.sum());
        prop_assert!(report.passed(), "{report}");
    }

    /// mean().
    #[test]
    fn mean_all_gradient(x in tensor(0..=3, moderate()), w in weights()) {
        let report = check_unary(&x, &w, |x| x.mean());
        prop_assert!(report.passed(), "{report}");
    }

    /// max(): distinct elements, so one of them takes the whole gradient.
    #[test]
    fn max_all_gradient(x in distinct_tensor(0..=3), w in weights()) {
        let report = check_unary(&x, &w, |x| x.max());
        prop_assert!(report.passed(), "{report}");
    }

    /// min(): distinct elements.
    #[test]
    fn min_all_gradient(x in distinct_tensor(0..=3), w in weights()) {
        let report = check_unary(&x, &w, |x| x.min());
        prop_assert!(report.passed(), "{report}");
    }

    /// log_sum_exp(): the gradient is the softmax of all elements.
    #[test]
    fn log_sum_exp_all_gradient(x in tensor(0..=3, -3.0f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.log_sum_exp());
        prop_assert!(report.passed(), "{report}");
    }

    // --- Reductions over a random subset of axes, keep_dims true and false -------------

    /// sum_axes.
    #[test]
    fn sum_axes_gradient((x, axes, keep) in reduction_case(tensor(0..=3, moderate())), w in weights()) {
        let report = check_unary(&x, &w, |x| x.sum_axes(&axes, keep));
        prop_assert!(report.passed(), "{report}");
    }

    /// mean_axes.
    #[test]
    fn mean_axes_gradient((x, axes, keep) in reduction_case(tensor(0..=3, moderate())), w in weights()) {
        let report = check_unary(&x, &w, |x| x.mean_axes(&axes, keep));
        prop_assert!(report.passed(), "{report}");
    }

    /// max_axes: distinct elements.
    #[test]
    fn max_axes_gradient((x, axes, keep) in reduction_case(distinct_tensor(0..=3)), w in weights()) {
        let report = check_unary(&x, &w, |x| x.max_axes(&axes, keep));
        prop_assert!(report.passed(), "{report}");
    }

    /// min_axes: distinct elements.
    #[test]
    fn min_axes_gradient((x, axes, keep) in reduction_case(distinct_tensor(0..=3)), w in weights()) {
        let report = check_unary(&x, &w, |x| x.min_axes(&axes, keep));
        prop_assert!(report.passed(), "{report}");
    }

    /// log_sum_exp_axes.
    #[test]
    fn log_sum_exp_axes_gradient(
        (x, axes, keep) in reduction_case(tensor(0..=3, -3.0f64..3.0)),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.log_sum_exp_axes(&axes, keep));
        prop_assert!(report.passed(), "{report}");
    }

    // --- Softmax ------------------------------------------------------------------------

    /// softmax along a random axis (the weighted sum matters here: each softmax slice
    /// sums to 1, so a plain sum would have gradient 0).
    #[test]
    fn softmax_gradient((x, axis) in with_axis(-3.0f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.softmax(axis));
        prop_assert!(report.passed(), "{report}");
    }

    /// log_softmax along a random axis.
    #[test]
    fn log_softmax_gradient((x, axis) in with_axis(-3.0f64..3.0), w in weights()) {
        let report = check_unary(&x, &w, |x| x.log_softmax(axis));
        prop_assert!(report.passed(), "{report}");
    }

    // --- Indexing -----------------------------------------------------------------------

    /// gather: random valid indices (repeats included, so gradients must accumulate),
    /// index extents ≤ the input's off the gather axis and 1..=4 along it.
    #[test]
    fn gather_gradient(
        (x, axis, index) in with_axis(moderate()).prop_flat_map(|(x, axis)| {
            let extents: Vec<BoxedStrategy<usize>> = x.shape().iter().enumerate()
                .map(|(i, &len)| if i == axis { (1usize..=4).boxed() } else { (1..=len).boxed() })
                .collect();
            (Just(x), Just(axis), extents)
        }).prop_flat_map(|(x, axis, index_shape)| {
            let count: usize = index_shape.iter().product();
            let index = prop::collection::vec(0..x.shape()[axis], count)
                .prop_map(move |values| ArrayD::from_shape_vec(IxDyn(&index_shape), values).unwrap());
            (Just(x), Just(axis), index)
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.gather(axis, &index).unwrap());
        prop_assert!(report.passed(), "{report}");
    }

    /// select: 1..=5 random valid indices along a random axis (repeats included).
    #[test]
    fn select_gradient(
        (x, axis, indices) in with_axis(moderate()).prop_flat_map(|(x, axis)| {
            let len = x.shape()[axis];
            (Just(x), Just(axis), prop::collection::vec(0..len, 1..=5))
        }),
        w in weights(),
    ) {
        let report = check_unary(&x, &w, |x| x.select(axis, &indices).unwrap());
        prop_assert!(report.passed(), "{report}");
    }
}

proptest! {
    // Matrix products check more elements per case; fewer cases keep them quick.
    #![proptest_config(config(16))]

    /// matmul 2-D · 2-D: `[m, k] · [k, n]`.
    #[test]
    fn matmul_2d_gradient(
        (a, b) in (1usize..=4, 1usize..=4, 1usize..=4)
            .prop_flat_map(|(m, k, n)| (array_of(vec![m, k], moderate()), array_of(vec![k, n], moderate()))),
        w in weights(),
    ) {
        let report = check_binary(&a, &b, &w, |a, b| a.matmul(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// matmul 3-D · 2-D: `[batch, m, k] · [k, n]`, one `b` shared by the batch (its
    /// gradient sums over the batch), including a one-column `b` (`n = 1`), where `dot`
    /// returns a column-major result.
    #[test]
    fn matmul_3d_2d_gradient(
        (a, b) in (1usize..=3, 1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(batch, m, k, n)| {
            (array_of(vec![batch, m, k], moderate()), array_of(vec![k, n], moderate()))
        }),
        w in weights(),
    ) {
        let report = check_binary(&a, &b, &w, |a, b| a.matmul(&b));
        prop_assert!(report.passed(), "{report}");
    }

    /// affine `x · W + b`: `[m, k] · [k, n] + [n]`, equal to matmul then add.
    #[test]
    fn affine_gradient(
        (x, w, b) in (1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(m, k, n)| {
            (array_of(vec![m, k], moderate()), array_of(vec![k, n], moderate()), array_of(vec![n], moderate()))
        }),
        weights in weights(),
    ) {
        let report = GradCheck::new()
            .check(|_, v| weighted_sum(v[0].affine(&v[1], &v[2]), &weights), &[x.clone(), w.clone(), b.clone()]);
        prop_assert!(report.passed(), "{report}");
        let tape = Tape::new();
        let (x, w, b) = (tape.var(x), tape.var(w), tape.var(b));
        prop_assert_eq!(x.affine(&w, &b).value(), x.matmul(&w).add(&b).value());
    }

    /// matmul 3-D · 3-D: `[batch, m, k] · [batch, k, n]`, one product per batch entry.
    #[test]
    fn matmul_3d_3d_gradient(
        (a, b) in (1usize..=3, 1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(batch, m, k, n)| {
            (array_of(vec![batch, m, k], moderate()), array_of(vec![batch, k, n], moderate()))
        }),
        w in weights(),
    ) {
        let report = check_binary(&a, &b, &w, |a, b| a.matmul(&b));
        prop_assert!(report.passed(), "{report}");
    }
}

/// A smooth composition of binary and unary ops, for second-derivative checks.
fn smooth<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
    ((v[0] * v[1]).tanh() + v[0].exp() / v[1] + (v[0] - v[1]).square().sigmoid()).sum()
}

/// `H·v` of `f` at `xs` by the recorded gradient, and by central differences of the
/// ordinary gradient along `v`: both, for every input.
fn hvp_both(
    f: &dyn for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    xs: &[ArrayD<f64>],
    vs: &[ArrayD<f64>],
) -> Vec<(ArrayD<f64>, ArrayD<f64>)> {
    let gradient = |at: &[ArrayD<f64>]| -> Vec<ArrayD<f64>> {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = at.iter().map(|x| tape.var(x.view())).collect();
        let grads = tape.backward(f(&vars));
        vars.iter().map(|&v| grads.get_or_zeros(v)).collect()
    };
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = xs.iter().map(|x| tape.var(x.view())).collect();
    let analytic = tape.hessian_vector_product(f(&vars), &vars, vs).unwrap();
    let eps = 1e-5;
    let moved = |sign: f64| xs.iter().zip(vs).map(|(x, v)| x + &(v * (sign * eps))).collect::<Vec<_>>();
    let (plus, minus) = (gradient(&moved(1.0)), gradient(&moved(-1.0)));
    analytic.into_iter().zip(plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * eps))).collect()
}

proptest! {
    #![proptest_config(config(24))]

    /// Issue 13: Hessian-vector products of smooth compositions over random shapes, with
    /// broadcasting, against central differences of the ordinary gradient.
    #[test]
    fn hessian_vector_products_match_finite_differences(
        (a, b) in broadcast_shapes().prop_flat_map(|(sa, sb)| (array_of(sa, -1.5f64..1.5), array_of(sb, 0.5f64..2.0))),
        seed in 0u64..1000,
    ) {
        let direction = |x: &ArrayD<f64>, k: u64| {
            ArrayD::from_shape_fn(x.raw_dim(), |i| {
                let h = i.slice().iter().fold(seed + k, |acc, &n| acc.wrapping_mul(31).wrapping_add(n as u64));
                (h % 7) as f64 / 7.0 - 0.4
            })
        };
        let vs = [direction(&a, 1), direction(&b, 2)];
        for (analytic, numeric) in hvp_both(&smooth, &[a.clone(), b.clone()], &vs) {
            for (&x, &n) in analytic.iter().zip(&numeric) {
                prop_assert!((x - n).abs() <= 1e-6 * x.abs().max(n.abs()) + 1e-6, "H·v {x}, numeric {n}");
            }
        }
    }
}

/// One built-in op (or short composition) per `which`, each smooth at `x` (inputs are
/// kept positive where the op needs it), composed with a weighted sum.
fn one_op<'t>(which: usize, axis: usize, v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let x = v[0];
    let axis = axis % x.ndim().max(1);
    let y = match which {
        0 => x.tanh(),
        1 => x.sigmoid(),
        2 => x.softplus(),
        3 => x.log_sigmoid(),
        4 => x.exp(),
        5 => x.square().add_scalar(1.0).log(),
        6 => x.square().add_scalar(0.5).sqrt(),
        7 => x.square().add_scalar(1.0).powf(1.5),
        8 => x.softmax(axis),
        9 => x.log_softmax(axis),
        10 => x.log_sum_exp_axes(&[axis], true) * x,
        11 => x.sum_axes(&[axis], true).tanh() * x,
        12 => x.mean_axes(&[axis], false).square(),
        13 => x.reshape(&[x.with_value(|a| a.len())]).tanh(),
        14 => (x * x.tanh()).div_scalar(2.0),
        _ => x.square().maximum(&x.mul_scalar(0.0).add_scalar(0.1)),
    };
    (y.square() + y).sum()
}

proptest! {
    #![proptest_config(config(48))]

    /// Issue 13: the Hessian-vector product of each built-in op over random shapes (and a
    /// random axis for the reductions and softmaxes) against central differences.
    #[test]
    fn every_op_has_second_derivatives_that_match_finite_differences(
        x in tensor(1..=3, -1.5f64..1.5),
        which in 0usize..16,
        axis in 0usize..3,
    ) {
        let v = ArrayD::from_shape_fn(x.raw_dim(), |i| 0.6 - (i.slice().iter().sum::<usize>() % 3) as f64 * 0.4);
        for (analytic, numeric) in hvp_both(&|vars| one_op(which, axis, vars), std::slice::from_ref(&x), &[v]) {
            for (&a, &n) in analytic.iter().zip(&numeric) {
                prop_assert!((a - n).abs() <= 1e-6 * a.abs().max(n.abs()) + 1e-6, "op {which}: H·v {a}, numeric {n}");
            }
        }
    }
}
