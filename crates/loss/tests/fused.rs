//! `cross_entropy` with labels is one fused op; it must give exactly the numbers of the
//! composition it replaces (`log_softmax`, `gather`, `reshape`, `neg`, then the reduction),
//! value and gradient, bit for bit, in f32 and f64 — ±1000 logits, ties and a single
//! class included.

use ndarray::{Array1, Array2, ArrayD, Axis, Dimension};
use tapegrad_loss::{cross_entropy, Reduction};
use tapegrad_tape::{Float, Tape};

fn logits<T: Float>(batch: usize, classes: usize, seed: u64) -> Array2<T> {
    let mut state = seed;
    Array2::from_shape_fn((batch, classes), |(i, j)| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0;
        T::from_f64(match (i + j) % 7 {
            0 if i % 3 == 0 => 1000.0,
            1 if i % 3 == 1 => -1000.0,
            2 if i % 4 == 2 => 0.5, // ties within a row
            _ => u,
        })
    })
}

/// The composition `cross_entropy` used to record.
fn composed<'t, T: Float>(
    x: tapegrad_tape::Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> tapegrad_tape::Var<'t, T> {
    let column = Array1::from(labels.to_vec()).insert_axis(Axis(1));
    let losses = x.log_softmax(1).gather(1, &column).unwrap().reshape(&[labels.len()]).neg();
    reduction.apply(losses)
}

fn same_bits<T: Float>(a: &ArrayD<T>, b: &ArrayD<T>) -> bool {
    a.shape() == b.shape()
        && a.iter().zip(b.iter()).all(|(&x, &y)| x.to_f64().to_bits() == y.to_f64().to_bits())
}

fn check<T: Float>() {
    for (batch, classes) in [(1, 1), (3, 2), (7, 10), (64, 10), (5, 33)] {
        let x = logits::<T>(batch, classes, (batch * 31 + classes) as u64);
        let labels: Vec<usize> = (0..batch).map(|n| (n * 7 + 3) % classes).collect();
        for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None, Reduction::BatchMean] {
            let tape = Tape::new();
            let v = tape.var(&x);
            let (fused, reference) =
                (cross_entropy(v, &labels, reduction).unwrap(), composed(v, &labels, reduction));
            assert!(
                same_bits(&fused.value(), &reference.value()),
                "{} {batch}x{classes} {reduction:?}: {} vs {}",
                T::NAME,
                fused.value(),
                reference.value()
            );
            // A weighted sum, so that every sample's gradient differs.
            let weights =
                ArrayD::from_shape_fn(fused.shape(), |i| T::from_f64(0.5 + i.as_array_view().sum() as f64));
            let w = tape.constant(weights);
            let (g_fused, g_reference) =
                (tape.backward((fused * w).sum()), tape.backward((reference * w).sum()));
            let (a, b) = (g_fused.get(v).unwrap().to_owned(), g_reference.get(v).unwrap().to_owned());
            assert!(same_bits(&a, &b), "{} {batch}x{classes} {reduction:?} gradient:\n{a}\nvs\n{b}", T::NAME);
        }
    }
}

#[test]
fn the_fused_op_equals_the_composition_bit_for_bit_in_f64() {
    check::<f64>();
}

#[test]
fn the_fused_op_equals_the_composition_bit_for_bit_in_f32() {
    check::<f32>();
}

#[test]
fn the_fused_op_is_one_node() {
    let tape = Tape::new();
    let x = tape.var(ndarray::array![[1.0, 2.0], [0.0, -1.0]]);
    let loss = cross_entropy(x, &[1, 0], Reduction::Mean).unwrap();
    assert_eq!(tape.len(), 2);
    let (_, trace) = tape.backward_trace(loss);
    assert_eq!(trace.steps[0].op, "cross_entropy");
}

#[test]
fn the_fused_ops_tangent_is_the_compositions() {
    // Forward mode through the fused op against forward mode through the composition
    // (each op's own tangent rule), for every reduction.
    let x = logits::<f64>(6, 4, 11);
    let direction = logits::<f64>(6, 4, 12).mapv(|v| v.clamp(-4.0, 4.0) / 4.0).into_dyn();
    let labels = [0, 3, 1, 2, 2, 0];
    for reduction in [Reduction::None, Reduction::Sum, Reduction::Mean] {
        let tape = Tape::new();
        let logits = tape.var(x.clone());
        let fused = cross_entropy(logits, &labels, reduction).unwrap();
        let reference = composed(logits, &labels, reduction);
        let jv = tape.jvp(&[fused, reference], &[logits], std::slice::from_ref(&direction)).unwrap();
        for (a, e) in jv[0].iter().zip(jv[1].iter()) {
            assert!((a - e).abs() <= 1e-12 * a.abs().max(1.0), "{reduction:?}: {a} vs {e}");
        }
    }
}
