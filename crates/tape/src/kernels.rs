//! The array loops the built-in ops share, with fast paths for the layouts training
//! produces.
//!
//! When every operand is contiguous in standard order (what ops return, and what data and
//! parameters usually are), a loop runs over plain slices: no per-call shape or stride
//! bookkeeping for n-d arrays, and a body the compiler vectorises, compiled for the widest
//! SIMD the CPU has (chosen at run time by `pulp`). A bias broadcast along the batch
//! (`[batch, n]` with `[n]`) runs row by row over slices too. Every other layout goes
//! through ndarray's `Zip`. The paths do the same arithmetic in the same order per
//! element, so they give the same results. Outputs come from the buffer pool.

use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

use crate::{pool, Float};

/// Runs `body` compiled for the widest instruction set the CPU supports.
#[inline(always)]
pub(crate) fn vectorized<R>(body: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(body)
}

/// `total[i] += grad[i]`.
pub(crate) fn add_assign<T: Float>(total: &mut [T], grad: &[T]) {
    vectorized(|| total.iter_mut().zip(grad).for_each(|(t, &g)| *t += g))
}

/// `f(x)` for every element, as a new standard-layout array of `x`'s shape.
pub(crate) fn map<T: Float>(x: &ArrayViewD<'_, T>, f: impl Fn(T) -> T) -> ArrayD<T> {
    let mut out = pool::scratch(x.shape());
    match x.as_slice() {
        Some(xs) => {
            let out = out.as_slice_mut().expect("scratch arrays are standard layout");
            vectorized(|| out.iter_mut().zip(xs).for_each(|(o, &x)| *o = f(x)));
        }
        None => Zip::from(&mut out).and(x).for_each(|o, &x| *o = f(x)),
    }
    out
}

/// `f(a, b, c)` for every element of three arrays of one shape, as a new array.
pub(crate) fn map3<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    c: &ArrayViewD<'_, T>,
    f: impl Fn(T, T, T) -> T,
) -> ArrayD<T> {
    let mut out = pool::scratch(a.shape());
    match (a.as_slice(), b.as_slice(), c.as_slice()) {
        (Some(a), Some(b), Some(c)) => {
            let out = out.as_slice_mut().expect("scratch arrays are standard layout");
            vectorized(|| {
                out.iter_mut().zip(a).zip(b).zip(c).for_each(|(((o, &a), &b), &c)| *o = f(a, b, c))
            });
        }
        _ => Zip::from(&mut out).and(a).and(b).and(c).for_each(|o, &a, &b, &c| *o = f(a, b, c)),
    }
    out
}

/// `shape` without its leading 1s: the part of a broadcast operand that is repeated.
fn core_shape(shape: &[usize]) -> &[usize] {
    let ones = shape.iter().take_while(|&&len| len == 1).count();
    &shape[ones..]
}

/// Whether `small` broadcasts against `big` by repeating whole along the leading axes, so
/// that `big`'s contiguous data is `big.len() / small.len()` copies of `small`'s length.
fn repeats_along_leading_axes(small: &[usize], big: &[usize]) -> bool {
    let small = core_shape(small);
    small.len() <= big.len() && small == &big[big.len() - small.len()..]
}

/// `f(a, b)` elementwise under NumPy broadcasting, as a new array of the broadcast shape.
///
/// # Panics
/// If the shapes do not broadcast (callers check first).
pub(crate) fn zip_broadcast<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    if let (Some(a_data), Some(b_data)) = (a.as_slice(), b.as_slice()) {
        if a.shape() == b.shape() {
            let mut out = pool::scratch(a.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            vectorized(|| out_data.iter_mut().zip(a_data).zip(b_data).for_each(|((o, &a), &b)| *o = f(a, b)));
            return out;
        }
        if a.ndim() >= b.ndim() && !b_data.is_empty() && repeats_along_leading_axes(b.shape(), a.shape()) {
            let mut out = pool::scratch(a.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            vectorized(|| {
                for (out_row, a_row) in
                    out_data.chunks_exact_mut(b_data.len()).zip(a_data.chunks_exact(b_data.len()))
                {
                    out_row.iter_mut().zip(a_row).zip(b_data).for_each(|((o, &a), &b)| *o = f(a, b));
                }
            });
            return out;
        }
        if b.ndim() >= a.ndim() && !a_data.is_empty() && repeats_along_leading_axes(a.shape(), b.shape()) {
            let mut out = pool::scratch(b.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            vectorized(|| {
                for (out_row, b_row) in
                    out_data.chunks_exact_mut(a_data.len()).zip(b_data.chunks_exact(a_data.len()))
                {
                    out_row.iter_mut().zip(a_data).zip(b_row).for_each(|((o, &a), &b)| *o = f(a, b));
                }
            });
            return out;
        }
    }
    let shape = crate::broadcast_shape(a.shape(), b.shape()).expect("shapes checked before forward");
    let a = a.broadcast(IxDyn(&shape)).expect("broadcastable");
    let b = b.broadcast(IxDyn(&shape)).expect("broadcastable");
    let mut out = pool::scratch(&shape);
    Zip::from(&mut out).and(&a).and(&b).for_each(|o, &a, &b| *o = f(a, b));
    out
}

/// Sums `full` (a broadcast output's shape) back to `shape`, the rule for the gradient of
/// a broadcast operand: over the leading axes broadcasting added and over the axes where
/// `shape` has a 1. A copy when the shapes agree.
pub(crate) fn reduce_to<T: Float>(full: &ArrayViewD<'_, T>, shape: &[usize]) -> ArrayD<T> {
    if full.shape() == shape {
        return map(full, |v| v);
    }
    if let Some(data) = full.as_slice() {
        if repeats_along_leading_axes(shape, full.shape()) {
            // The rows of `full`, each of `shape`'s length, added up in order from zero.
            let mut out = pool::zeros(shape);
            let total = out.as_slice_mut().expect("pool arrays are standard layout");
            if !total.is_empty() {
                for row in data.chunks_exact(total.len()) {
                    add_assign(total, row);
                }
            }
            return out;
        }
    }
    crate::sum_to_shape(full.to_owned(), shape)
}

#[cfg(test)]
mod tests {
    use ndarray::{array, ArrayD, Dimension, IxDyn, ShapeBuilder};

    use super::*;

    fn seq(shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(shape), |index| {
            index.as_array_view().iter().fold(0.0, |acc, &i| acc * 7.0 + i as f64 + 0.25)
        })
    }

    #[test]
    fn broadcasting_fast_paths_match_the_general_rule() {
        let pairs: [(&[usize], &[usize]); 8] = [
            (&[4, 3], &[3]),
            (&[3], &[4, 3]),
            (&[4, 3], &[1, 3]),
            (&[2, 4, 3], &[4, 3]),
            (&[4, 3], &[4, 1]),
            (&[4, 3], &[]),
            (&[], &[2, 2]),
            (&[2, 1, 3], &[4, 1]),
        ];
        for (a_shape, b_shape) in pairs {
            let (a, b) = (seq(a_shape), seq(b_shape) * 0.5);
            let out = zip_broadcast(&a.view(), &b.view(), |x, y| x * 10.0 - y);
            let shape = crate::broadcast_shape(a_shape, b_shape).unwrap();
            let reference = Zip::from(&a.broadcast(IxDyn(&shape)).unwrap())
                .and(&b.broadcast(IxDyn(&shape)).unwrap())
                .map_collect(|&x, &y| x * 10.0 - y);
            assert_eq!(out, reference, "{a_shape:?} with {b_shape:?}");
            for (operand, operand_shape) in [(&a, a_shape), (&b, b_shape)] {
                let reduced = reduce_to(&reference.view(), operand_shape);
                assert_eq!(reduced.shape(), operand.shape());
                assert_eq!(reduced, crate::sum_to_shape(reference.clone(), operand_shape));
            }
        }
    }

    #[test]
    fn strided_operands_take_the_general_path() {
        let a = seq(&[3, 4]);
        let transposed = a.t();
        let mut column_major = ArrayD::zeros(IxDyn(&[4, 3]).f());
        column_major.assign(&transposed);
        let out = map(&column_major.view(), |v| v + 1.0);
        assert_eq!(out, transposed.mapv(|v| v + 1.0));
        assert!(out.is_standard_layout());
        let bias = array![1.0, 2.0, 3.0].into_dyn();
        assert_eq!(zip_broadcast(&transposed, &bias.view(), |x, y| x + y), &transposed + &bias);
        assert_eq!(map3(&transposed, &column_major.view(), &transposed, |x, y, z| x * y - z), {
            let t = transposed.to_owned();
            &t * &t - &t
        });
    }
}
