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

use ndarray::{ArrayD, ArrayViewD, Ix2, Ix3, Ix4, IxDyn, Zip};
use smallvec::SmallVec;

use crate::{pool, Float};

/// The loops over slices, each compiled for the widest instruction set the CPU supports
/// (chosen at run time by `pulp`). A loop's body sits in an `#[inline(always)]`
/// `with_simd`, so it is compiled inside pulp's dispatched function with its instruction
/// set; a closure handed to pulp would be compiled separately, for the baseline (SSE2),
/// whenever it lands in another codegen unit of the user's build.
pub(crate) enum Loop<'a, T, F> {
    /// `out[i] = f(x[i])`.
    Map { out: &'a mut [T], x: &'a [T], f: F },
    /// `out[i] = f(a[i], b[i])`.
    Zip { out: &'a mut [T], a: &'a [T], b: &'a [T], f: F },
    /// `out[i] = f(a[i], b[i], c[i])`.
    Zip3 { out: &'a mut [T], a: &'a [T], b: &'a [T], c: &'a [T], f: F },
    /// `out[i] = f(a[i], row[i mod n])` (or `f(row[…], a[i])` with `row_first`): a row
    /// broadcast along the leading axes.
    Rows { out: &'a mut [T], a: &'a [T], row: &'a [T], row_first: bool, f: F },
    /// `total[i] = f(total[i], x[i])`, with `x` repeating when it is shorter (a row).
    Update { total: &'a mut [T], x: &'a [T], f: F },
}

impl<T: Float, F: Fn(T, T, T) -> T + Sync> Loop<'_, T, F> {
    /// Runs the loop: on this thread, or for a long loop when threads are allowed, in
    /// contiguous parts on tapegrad's threads ([`crate::threads`]). Each element is
    /// computed by the same arithmetic either way, so the results are bit-identical for
    /// every thread count.
    pub(crate) fn run(self) {
        let (len, unit) = self.extent();
        let parts = crate::threads::parts_for(len);
        if parts <= 1 || unit == 0 {
            return pulp::Arch::new().dispatch(self);
        }
        let mut whole = self;
        let pieces = whole.split(parts, unit);
        crate::threads::run_parts(
            pieces.into_iter().map(|piece| move || pulp::Arch::new().dispatch(piece)).collect(),
        )
    }

    /// The output's length, and the unit a split must respect (a row's length where one
    /// operand repeats).
    fn extent(&self) -> (usize, usize) {
        match self {
            Loop::Map { out, .. } | Loop::Zip { out, .. } | Loop::Zip3 { out, .. } => (out.len(), 1),
            Loop::Rows { out, row, .. } => (out.len(), row.len()),
            Loop::Update { total, x, .. } => (total.len(), x.len()),
        }
    }

    /// `parts` loops over consecutive pieces of the output, each a multiple of `unit` long
    /// (the loop is left empty).
    fn split(&mut self, parts: usize, unit: usize) -> SmallVec<[Loop<'_, T, &F>; 8]> {
        let (len, _) = self.extent();
        let ends =
            (1..=parts).map(move |part| if part == parts { len } else { len * part / parts / unit * unit });
        let mut pieces = SmallVec::new();
        // Each piece's length.
        let lengths = ends.scan(0, |start, end| {
            let at = end - *start;
            *start = end;
            Some(at)
        });
        // Cuts `at` elements off the front of a slice.
        fn cut<'s, X>(rest: &mut &'s [X], at: usize) -> &'s [X] {
            let (head, tail) = std::mem::take(rest).split_at(at);
            *rest = tail;
            head
        }
        fn cut_mut<'s, X>(rest: &mut &'s mut [X], at: usize) -> &'s mut [X] {
            let (head, tail) = std::mem::take(rest).split_at_mut(at);
            *rest = tail;
            head
        }
        match self {
            Loop::Map { out, x, f } => {
                let f = &*f;
                pieces.extend(lengths.map(|at| Loop::Map { out: cut_mut(out, at), x: cut(x, at), f }));
            }
            Loop::Zip { out, a, b, f } => {
                let f = &*f;
                pieces.extend(lengths.map(|at| Loop::Zip {
                    out: cut_mut(out, at),
                    a: cut(a, at),
                    b: cut(b, at),
                    f,
                }));
            }
            Loop::Zip3 { out, a, b, c, f } => {
                let f = &*f;
                pieces.extend(lengths.map(|at| Loop::Zip3 {
                    out: cut_mut(out, at),
                    a: cut(a, at),
                    b: cut(b, at),
                    c: cut(c, at),
                    f,
                }));
            }
            Loop::Rows { out, a, row, row_first, f } => {
                let (f, row, row_first) = (&*f, *row, *row_first);
                pieces.extend(lengths.map(|at| Loop::Rows {
                    out: cut_mut(out, at),
                    a: cut(a, at),
                    row,
                    row_first,
                    f,
                }));
            }
            Loop::Update { total, x, f } => {
                let (f, x) = (&*f, *x);
                pieces.extend(lengths.map(|at| Loop::Update { total: cut_mut(total, at), x, f }));
            }
        }
        pieces
    }
}

impl<T: Float, F: Fn(T, T, T) -> T> pulp::WithSimd for Loop<'_, T, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let zero = T::zero();
        match self {
            Loop::Map { out, x, f } => out.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x, zero, zero)),
            Loop::Zip { out, a, b, f } => {
                out.iter_mut().zip(a).zip(b).for_each(|((o, &a), &b)| *o = f(a, b, zero))
            }
            Loop::Zip3 { out, a, b, c, f } => {
                out.iter_mut().zip(a).zip(b).zip(c).for_each(|(((o, &a), &b), &c)| *o = f(a, b, c))
            }
            // A row of one number (a scalar broadcast): one pass with that number, not a
            // pass per element.
            Loop::Rows { out, a, row: &[r], row_first, f } => match row_first {
                true => out.iter_mut().zip(a).for_each(|(o, &a)| *o = f(r, a, zero)),
                false => out.iter_mut().zip(a).for_each(|(o, &a)| *o = f(a, r, zero)),
            },
            Loop::Rows { out, a, row, row_first, f } => {
                for (out, a) in out.chunks_exact_mut(row.len()).zip(a.chunks_exact(row.len())) {
                    if row_first {
                        out.iter_mut().zip(a).zip(row).for_each(|((o, &a), &r)| *o = f(r, a, zero));
                    } else {
                        out.iter_mut().zip(a).zip(row).for_each(|((o, &a), &r)| *o = f(a, r, zero));
                    }
                }
            }
            Loop::Update { total, x: &[x], f } => total.iter_mut().for_each(|t| *t = f(*t, x, zero)),
            Loop::Update { total, x, f } => {
                for total in total.chunks_mut(x.len()) {
                    total.iter_mut().zip(x).for_each(|(t, &x)| *t = f(*t, x, zero));
                }
            }
        }
    }
}

/// `data` folded with `fold` from `init`, in eight interleaved lanes that are then folded
/// together: eight independent chains the compiler can vectorise (one chain waits on each
/// step's latency; a maximum over 640,000 numbers took 3 ns a number). For a sum the order
/// differs from left to right, as NumPy's and PyTorch's do, and is the same on every run.
///
/// `init` must be `fold`'s identity (0 for a sum, −∞ for a maximum), as every lane starts
/// from it. Under fewer than two lanes' worth of numbers the lanes hold one number each,
/// so their fold is the left-to-right one, which short rows take directly (a row of ten
/// centroid distances: the lanes' set-up had been most of the work).
#[inline(always)]
pub(crate) fn fold_lanes<T: Float>(data: &[T], init: T, fold: impl Fn(T, T) -> T) -> T {
    const LANES: usize = 8;
    if data.len() < 2 * LANES {
        return data.iter().fold(init, |total, &v| fold(total, v));
    }
    let mut lanes = [init; LANES];
    let chunks = data.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = fold(*lane, v);
        }
    }
    let mut total = lanes.iter().fold(init, |acc, &lane| fold(acc, lane));
    for &v in rest {
        total = fold(total, v);
    }
    total
}

/// The length of the blocks a long fold is cut into ([`fold_slice`]).
const FOLD_BLOCK: usize = 1 << 14;

/// `data` folded with `fold` from `init` (its identity, as for [`fold_lanes`]), compiled
/// for the widest SIMD the CPU has. A slice longer than a block is folded block by block
/// (each in lanes) and the blocks' totals left to right; the blocks depend on the length
/// alone, so the result is the same for every thread count while the blocks are shared
/// among the threads ([`crate::set_num_threads`]). A maximum over 640,000 numbers, folded
/// in SSE2's two lanes on one thread, had taken 0.5 ms, a sum 0.25 ms: as long as an
/// elementwise `x − a` that writes as much as it reads.
pub(crate) fn fold_slice<T: Float>(data: &[T], init: T, fold: impl Fn(T, T) -> T + Sync) -> T {
    /// One block's fold, as a pulp loop (see [`Loop`] for why the body is inlined here).
    struct Fold<'a, T, F> {
        data: &'a [T],
        init: T,
        fold: &'a F,
    }
    impl<T: Float, F: Fn(T, T) -> T> pulp::WithSimd for Fold<'_, T, F> {
        type Output = T;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> T {
            fold_lanes(self.data, self.init, self.fold)
        }
    }
    let fold = &fold;
    let one = |data: &[T]| pulp::Arch::new().dispatch(Fold { data, init, fold });
    if data.len() <= FOLD_BLOCK {
        return one(data);
    }
    let blocks: Vec<&[T]> = data.chunks(FOLD_BLOCK).collect();
    let mut totals = vec![init; blocks.len()];
    let parts = crate::threads::parts_for(data.len()).min(blocks.len());
    if parts <= 1 {
        totals.iter_mut().zip(&blocks).for_each(|(total, block)| *total = one(block));
    } else {
        let pieces = crate::threads::pieces((&mut totals[..], &blocks[..]), parts);
        crate::threads::run_parts(
            pieces
                .into_iter()
                .map(|(totals, blocks)| {
                    move || totals.iter_mut().zip(blocks).for_each(|(total, block)| *total = one(block))
                })
                .collect(),
        );
    }
    totals.into_iter().fold(init, fold)
}

/// `total[i] = f(total[i], x[i])`, vectorised.
pub(crate) fn update<T: Float>(total: &mut [T], x: &[T], f: impl Fn(T, T) -> T + Sync) {
    if !x.is_empty() {
        Loop::Update { total, x, f: |t, v, _| f(t, v) }.run()
    }
}

/// `total[i] += grad[i]`.
pub(crate) fn add_assign<T: Float>(total: &mut [T], grad: &[T]) {
    if !grad.is_empty() {
        Loop::Update { total, x: grad, f: |t, g, _| t + g }.run()
    }
}

/// `f(x)` for every element, as a new standard-layout array of `x`'s shape.
pub(crate) fn map<T: Float>(x: &ArrayViewD<'_, T>, f: impl Fn(T) -> T + Sync) -> ArrayD<T> {
    let mut out = pool::scratch(x.shape());
    match x.as_slice() {
        Some(xs) => {
            let out = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Map { out, x: xs, f: |x, _, _| f(x) }.run();
        }
        // Strided (a transpose, a slice): through a fixed-rank `Zip` where the rank allows,
        // which steps its index without `IxDyn`'s per-element bookkeeping (a permuted
        // [28, 3, 22, 4] copied at about a sixth of the instructions).
        None => {
            let f = |o: &mut T, &x: &T| *o = f(x);
            match x.ndim() {
                2 => Zip::from(fixed::<_, Ix2>(out.view_mut())).and(fixed::<_, Ix2>(x.view())).for_each(f),
                3 => Zip::from(fixed::<_, Ix3>(out.view_mut())).and(fixed::<_, Ix3>(x.view())).for_each(f),
                4 => Zip::from(fixed::<_, Ix4>(out.view_mut())).and(fixed::<_, Ix4>(x.view())).for_each(f),
                _ => Zip::from(&mut out).and(x).for_each(f),
            }
        }
    }
    out
}

/// A dynamic-rank array (view) as one of a fixed rank it is known to have.
fn fixed<S: ndarray::RawData, D: ndarray::Dimension>(
    x: ndarray::ArrayBase<S, ndarray::IxDyn>,
) -> ndarray::ArrayBase<S, D> {
    x.into_dimensionality::<D>().expect("rank checked by the caller")
}

/// `f(a, b)` for every element of two arrays of one shape (either may be a broadcast
/// view), as a new array from the pool.
pub(crate) fn map2<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> T + Sync,
) -> ArrayD<T> {
    let mut out = pool::scratch(a.shape());
    match (a.as_slice(), b.as_slice()) {
        (Some(a), Some(b)) => {
            let out = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Zip { out, a, b, f: |a, b, _| f(a, b) }.run();
        }
        _ => Zip::from(&mut out).and(a).and(b).for_each(|o, &a, &b| *o = f(a, b)),
    }
    out
}

/// A standard-layout copy of `x` (a slice, a broadcast, a transpose) from the pool.
pub(crate) fn copy<T: Float>(x: &ArrayViewD<'_, T>) -> ArrayD<T> {
    map(x, |v| v)
}

/// `f(a, b, c)` for every element of three arrays of one shape, as a new array.
pub(crate) fn map3<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    c: &ArrayViewD<'_, T>,
    f: impl Fn(T, T, T) -> T + Sync,
) -> ArrayD<T> {
    let mut out = pool::scratch(a.shape());
    match (a.as_slice(), b.as_slice(), c.as_slice()) {
        (Some(a), Some(b), Some(c)) => {
            let out = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Zip3 { out, a, b, c, f }.run();
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

/// When `small` is `big` with its trailing axes (from some axis on) set to 1, so that each
/// of `small`'s numbers meets one contiguous block of `big`: the block's length.
fn repeats_along_trailing_axes(small: &[usize], big: &[usize]) -> Option<usize> {
    if small.len() != big.len() {
        return None;
    }
    let kept = small.iter().zip(big).take_while(|(s, b)| s == b).count();
    let inner: usize = big[kept..].iter().product();
    small[kept..].iter().all(|&s| s == 1).then_some(inner)
}

/// `out[i·inner + j] = f(s[i], x[…])` (or `f(x[…], s[i])` with `!small_first`): one number
/// of `small` for each block of `inner` outputs, against `x`'s block `i` (`x` as long as
/// `out`) or, with `x_repeats`, against all of `x` (one block long) every time.
fn blocks<T: Float>(
    out: &mut [T],
    inner: usize,
    small: &[T],
    x: &[T],
    x_repeats: bool,
    small_first: bool,
    f: impl Fn(T, T) -> T + Sync,
) {
    for (i, (out, &s)) in out.chunks_exact_mut(inner).zip(small).enumerate() {
        let x = if x_repeats { x } else { &x[i * inner..(i + 1) * inner] };
        if inner < 16 {
            // Short blocks (each point's distances to ten centroids): a plain loop, not a
            // vectorised call per block.
            match small_first {
                true => out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(s, v)),
                false => out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v, s)),
            }
        } else {
            match small_first {
                true => Loop::Map { out, x, f: |v, _, _| f(s, v) }.run(),
                false => Loop::Map { out, x, f: |v, _, _| f(v, s) }.run(),
            }
        }
    }
}

/// `f(a, b)` elementwise under NumPy broadcasting, as a new array of the broadcast shape.
///
/// # Panics
/// If the shapes do not broadcast (callers check first).
pub(crate) fn zip_broadcast<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> T + Sync,
) -> ArrayD<T> {
    if let (Some(a_data), Some(b_data)) = (a.as_slice(), b.as_slice()) {
        if a.shape() == b.shape() {
            let mut out = pool::scratch(a.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Zip { out: out_data, a: a_data, b: b_data, f: |a, b, _| f(a, b) }.run();
            return out;
        }
        if a.ndim() >= b.ndim() && !b_data.is_empty() && repeats_along_leading_axes(b.shape(), a.shape()) {
            let mut out = pool::scratch(a.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Rows { out: out_data, a: a_data, row: b_data, row_first: false, f: |a, b, _| f(a, b) }
                .run();
            return out;
        }
        if b.ndim() >= a.ndim() && !a_data.is_empty() && repeats_along_leading_axes(a.shape(), b.shape()) {
            let mut out = pool::scratch(b.shape());
            let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
            Loop::Rows { out: out_data, a: b_data, row: a_data, row_first: true, f: |a, b, _| f(a, b) }.run();
            return out;
        }
    }
    let shape = crate::broadcast_shape(a.shape(), b.shape()).expect("shapes checked before forward");
    if let (Some(a_data), Some(b_data)) = (a.as_slice(), b.as_slice()) {
        // One operand holds one number per block of the output's trailing axes (`[k, d, 1]`
        // against `[k, d, n]`), the other is either the output's shape or one block
        // repeated (`[n, 1]` against `[k]`: every point's norm beside every centroid's).
        let full_or_row = |x: &ArrayViewD<'_, T>, inner: usize| {
            if x.shape() == shape.as_slice() {
                Some(false)
            } else {
                (x.len() == inner && repeats_along_leading_axes(x.shape(), &shape)).then_some(true)
            }
        };
        for (small, small_data, x, x_data, small_first) in
            [(a, a_data, b, b_data, true), (b, b_data, a, a_data, false)]
        {
            let inner = repeats_along_trailing_axes(small.shape(), &shape).filter(|&inner| inner > 0);
            if let Some((inner, x_repeats)) = inner.and_then(|inner| Some((inner, full_or_row(x, inner)?))) {
                let mut out = pool::scratch(&shape);
                let out_data = out.as_slice_mut().expect("scratch arrays are standard layout");
                blocks(out_data, inner, small_data, x_data, x_repeats, small_first, &f);
                return out;
            }
        }
    }
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
        return copy(full);
    }
    if let Some(data) = full.as_slice() {
        if repeats_along_leading_axes(shape, full.shape()) {
            // The rows of `full`, each of `shape`'s length, added up in order from zero.
            let mut out = pool::zeros(shape);
            let total = out.as_slice_mut().expect("pool arrays are standard layout");
            match total.len() {
                0 => {}
                // Short rows (a scalar's gradient is rows of one): one loop over them all,
                // not a vectorised call per row.
                short if short < 16 => {
                    for row in data.chunks_exact(short) {
                        total.iter_mut().zip(row).for_each(|(t, &r)| *t += r);
                    }
                }
                len => data.chunks_exact(len).for_each(|row| add_assign(total, row)),
            }
            return out;
        }
    }
    crate::ops::sum_over_broadcast_axes(full.to_owned(), shape)
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
        let pairs: [(&[usize], &[usize]); 19] = [
            // One number per block of the other's trailing axes, long blocks and short.
            (&[2, 3, 20], &[2, 3, 1]),
            (&[2, 1, 1], &[2, 4, 3]),
            (&[7, 5], &[7, 1]),
            // One number per block against a repeated row (an outer sum), both ways.
            (&[5, 1], &[3]),
            (&[3], &[5, 1]),
            (&[6, 1], &[1, 20]),
            (&[2, 3, 1], &[3, 17]),
            // Empty outputs.
            (&[0, 1], &[3]),
            (&[4, 1], &[1, 0]),
            (&[2, 1], &[2, 40]),
            (&[3, 20, 1], &[3, 20, 1]),
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
                assert_eq!(reduced, crate::ops::sum_over_broadcast_axes(reference.clone(), operand_shape));
            }
        }
    }

    #[test]
    fn split_loops_give_the_bits_of_one_loop() {
        // Long enough to be split; lengths that no part count divides; rows of 7 and of 1.
        let len = 7 * 14_293;
        let (a, b, c) = (seq(&[len]), seq(&[len]) * 0.37, seq(&[len]) * -1.3);
        let (a, b, c) = (a.as_slice().unwrap(), b.as_slice().unwrap(), c.as_slice().unwrap());
        let row: Vec<f64> = (0..7).map(|i| i as f64 * 0.7 - 2.0).collect();
        let f = |x: f64, y: f64, z: f64| crate::math::exp_f64(x * 1.5 - y) * 0.25 + z / 3.0;
        fn loops<'s, F>(out: &'s mut [f64], variant: usize, ops: [&'s [f64]; 4], f: F) -> Loop<'s, f64, F> {
            let [a, b, c, row] = ops;
            match variant {
                0 => Loop::Map { out, x: a, f },
                1 => Loop::Zip { out, a, b, f },
                2 => Loop::Zip3 { out, a, b, c, f },
                3 => Loop::Rows { out, a, row, row_first: false, f },
                4 => Loop::Rows { out, a, row: &row[..1], row_first: true, f },
                5 => Loop::Update { total: out, x: row, f },
                _ => Loop::Update { total: out, x: &row[..1], f },
            }
        }
        let ops = [a, b, c, row.as_slice()];
        for variant in 0..7 {
            let mut whole = b.to_vec();
            pulp::Arch::new().dispatch(loops(&mut whole, variant, ops, f));
            for parts in [2, 3, 5] {
                let mut split = b.to_vec();
                let mut lp = loops(&mut split, variant, ops, f);
                let (_, unit) = lp.extent();
                let pieces = lp.split(parts, unit);
                assert_eq!(pieces.len(), parts);
                for piece in pieces {
                    assert_eq!(piece.extent().0 % unit, 0, "variant {variant}: a piece cuts a row");
                    pulp::Arch::new().dispatch(piece);
                }
                assert!(whole == split, "variant {variant} in {parts} parts");
            }
        }
        // And through `run`, on two threads.
        crate::set_num_threads(2);
        let mut two = vec![0.0; len];
        Loop::Zip { out: &mut two, a, b, f }.run();
        crate::set_num_threads(1);
        let mut one = vec![0.0; len];
        Loop::Zip { out: &mut one, a, b, f }.run();
        assert!(one == two);
    }

    #[test]
    fn long_folds_are_blockwise_and_the_same_on_any_thread_count() {
        let len = 5 * FOLD_BLOCK + 123;
        let data: Vec<f64> = (0..len).map(|i| ((i * 7919) % 1000) as f64 * 0.013 - 6.0).collect();
        let add = |a: f64, b: f64| a + b;
        // The blocks' lane folds, then their totals left to right.
        let blockwise = data.chunks(FOLD_BLOCK).map(|block| fold_lanes(block, 0.0, add)).fold(0.0, add);
        let exact: f64 = data.iter().sum();
        let (largest, smallest) =
            (data.iter().copied().fold(f64::MIN, f64::max), data.iter().copied().fold(f64::MAX, f64::min));
        for threads in [1, 2] {
            crate::set_num_threads(threads);
            let sum = fold_slice(&data, 0.0, add);
            assert_eq!(sum.to_bits(), blockwise.to_bits(), "{threads} threads");
            assert!((sum - exact).abs() <= 1e-9 * exact.abs());
            assert_eq!(fold_slice(&data, f64::NEG_INFINITY, Float::nan_max), largest);
            assert_eq!(fold_slice(&data, f64::INFINITY, Float::nan_min), smallest);
            // A NaN anywhere, in any block, wins over every number.
            for at in [0, FOLD_BLOCK - 1, 3 * FOLD_BLOCK + 7, len - 1] {
                let mut with_nan = data.clone();
                with_nan[at] = f64::NAN;
                assert!(
                    fold_slice(&with_nan, f64::NEG_INFINITY, Float::nan_max).is_nan(),
                    "max, NaN at {at}"
                );
                assert!(fold_slice(&with_nan, f64::INFINITY, Float::nan_min).is_nan(), "min, NaN at {at}");
            }
        }
        crate::set_num_threads(1);
        // A short slice is one lane fold.
        assert_eq!(
            fold_slice(&data[..999], 0.0, add).to_bits(),
            fold_lanes(&data[..999], 0.0, add).to_bits()
        );
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
