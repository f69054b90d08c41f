//! The matrix product every `matmul` and `linear` runs: `c ← α·a·b + β·c` through the
//! `gemm` family's f32 and f64 kernels (`gemm-f32`, `gemm-f64`: the kernels faer and
//! candle use), which pick the widest FMA the CPU has at run time — AVX-512 or AVX2 on
//! x86-64, NEON on aarch64 — and pack strided operands themselves, so transposed views
//! cost no copy. We call the two kernel crates directly: the `gemm` front end would also
//! build its complex and f16 kernels, which no op uses.
//!
//! Why not ndarray's `dot`: its default kernel (matrixmultiply) stops at AVX2. On the
//! 784-128-10 and 784-512-512-10 training steps' shapes it ran at 100–110 GFLOP/s on one
//! AVX-512 core, `gemm` at 200–260 GFLOP/s (`docs/performance.md`).

use ndarray::{ArrayView2, ArrayViewMut2, Axis, ShapeBuilder};
use smallvec::SmallVec;

use crate::threads::run_parts;
use crate::Float;

/// Whether an `[m, k] · [k, n]` product is worth splitting over threads: only with enough
/// work per thread (about 8 million multiply-adds: the 784-128-10 step's 6.4 million at
/// batch 64 is not split, and gained nothing when it was; since the helper threads stay
/// awake between products, the 784-256-10 step's 12.8 million run at 2 threads in 0.61–0.83
/// of their 1-thread time, against 1.00 with the 16 million of before), and never for a
/// short inner dimension (with `k` below 64, packing dominates: two threads ran a
/// 256×10 · 10×512 product three times slower than one).
fn splits(m: usize, n: usize, k: usize) -> bool {
    k >= 64 && m.saturating_mul(n).saturating_mul(k) >= 1 << 23
}

/// How many parts to cut one product into: the thread count (clamped to the machine's
/// cores) for a product worth splitting, else 1.
fn parts(m: usize, n: usize, k: usize) -> usize {
    if !splits(m, n, k) {
        return 1;
    }
    crate::threads::usable()
}

/// Whether gemm can read this operand in place: every stride positive, or its axis of
/// length 1 (broadcast views have stride 0, which the kernels do not expect).
fn plain_strides<T>(x: &ArrayView2<'_, T>) -> bool {
    x.strides().iter().zip(x.shape()).all(|(&stride, &len)| stride > 0 || len <= 1)
}

/// `a · b` as a new standard-layout array (its buffer from the pool).
pub(crate) fn matmul<T: Float>(a: &ArrayView2<'_, T>, b: &ArrayView2<'_, T>) -> ndarray::Array2<T> {
    let mut c = crate::pool::scratch(&[a.nrows(), b.ncols()]).into_dimensionality().expect("2-D");
    gemm(T::one(), a, b, T::zero(), &mut c.view_mut());
    c
}

/// `c ← alpha·a·b + beta·c` for `a: [m, k]`, `b: [k, n]`, `c: [m, n]`, any strides. With
/// `beta = 0` the old contents of `c` are not read (they may be garbage, even NaN).
///
/// # Panics
/// If the shapes do not fit (the callers check them first).
pub(crate) fn gemm<T: Float>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    assert!(k == k2 && c.dim() == (m, n), "gemm: [{m}, {k}] · [{k2}, {n}] into {:?}", c.shape());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: a·b is zero (empty arrays may have zero strides, so no kernel call).
        c.map_inplace(|v| *v = if beta == T::zero() { T::zero() } else { beta * *v });
        return;
    }
    if m * n * k <= SMALL_PRODUCT {
        return small_gemm(alpha, a, b, beta, c);
    }
    if !plain_strides(a) || !plain_strides(b) || c.strides().iter().any(|&s| s < 0) {
        let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
        if c.strides().iter().all(|&s| s >= 0) {
            return gemm(alpha, &a.view(), &b.view(), beta, c);
        }
        let mut out = ndarray::Array2::zeros((m, n).f());
        if beta != T::zero() {
            out.assign(c);
        }
        gemm(alpha, &a.view(), &b.view(), beta, &mut out.view_mut());
        c.assign(&out);
        return;
    }
    split(alpha, a, b, beta, c, parts(m, n, k));
}

/// Products of at most this many multiply-adds run as plain loops ([`small_gemm`]).
pub(crate) const SMALL_PRODUCT: usize = 512;

/// `c ← α·a·b + β·c` by plain loops, for products too small to pay for the kernel crate's
/// dispatch, packing and scratch set-up: a 3×3 or 4×4 rotation, of which `ht`'s pose
/// multiplies hundreds per Jacobian. `a` and `b` are copied into contiguous row-major
/// buffers (on the stack up to 64 numbers each) and multiplied by [`small_products`];
/// any strides (broadcast ones included). With `β = 0` `c` is not read.
fn small_gemm<T: Float>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let a_rows: SmallVec<[T; 64]> = a.iter().copied().collect();
    let b_rows: SmallVec<[T; 64]> = b.iter().copied().collect();
    let mut product: SmallVec<[T; 64]> = smallvec::smallvec![T::zero(); m * n];
    small_products(&a_rows, &b_rows, &mut product, (m, k, n), true, T::zero());
    for (c, &p) in c.iter_mut().zip(&product) {
        *c = if beta == T::zero() { alpha * p } else { alpha * p + beta * *c };
    }
}

/// `out_e ← a_e·b_e + β·out_e` for each of `batch` products of `[m, k]·[k, n]` stored one
/// after another in plain row-major slices (`b` one matrix for all with `shared_b`), by
/// plain loops: the batched form of [`small_gemm`] for many small products at once (a
/// pose's rotations, bone by bone), with no view or call per product. With `β = 0` `out`
/// is not read.
pub(crate) fn small_products<T: Float>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    (m, k, n): (usize, usize, usize),
    shared_b: bool,
    beta: T,
) {
    if m * n == 0 {
        return;
    }
    let b_step = if shared_b { 0 } else { k * n };
    for (e, out) in out.chunks_exact_mut(m * n).enumerate() {
        let a = &a[e * m * k..(e + 1) * m * k];
        let b = &b[e * b_step..e * b_step + k * n];
        // Row i of the product is Σ_p a[i, p] · (row p of b): whole rows at a time.
        for (out, row) in out.chunks_exact_mut(n).zip(a.chunks_exact(k.max(1))) {
            if beta == T::zero() {
                out.fill(T::zero());
            } else if beta != T::one() {
                out.iter_mut().for_each(|o| *o = beta * *o);
            }
            for (&x, b_row) in row.iter().zip(b.chunks_exact(n)) {
                out.iter_mut().zip(b_row).for_each(|(o, &y)| *o += x * y);
            }
        }
    }
}

/// Runs the product as `parts` products of blocks of `c` along its longer side (column
/// blocks of `b` and `c`, or row blocks of `a` and `c`): the first on this thread, the
/// others on tapegrad's helper threads ([`crate::threads`]).
///
/// Why the longer side: every part packs its own block of the operand that is cut and
/// all of the other one, so cutting `c`'s longer side repeats the smaller operand. A
/// weight gradient `xᵀ·g` is tall (`[784, 64]ᵀ · [64, 256]` in a 784-256-10 step); cut
/// into column halves, as every product with 64 columns or more used to be, both threads
/// packed all of `xᵀ`. Row halves took 0.79× their time there and 0.86–0.94× on the
/// other tall products of the 784-h-10 steps (2 threads, minima of 30 interleaved rounds).
///
/// Why we cut the product ourselves rather than asking gemm to (`Parallelism::Rayon`): on
/// W3's shapes at 2 threads gemm's own split ran `[256, 512] · [512, 512]ᵀ` in 510 µs
/// (one thread: 679), halves of the columns in 352; the five large products of a W3 step
/// took 1,995 µs with gemm's split and 1,782 with halves. Each output element is still
/// one kernel's sum over `k` in the same order, so the bits are those of one thread
/// (tested).
fn split<T: Float>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
    parts: usize,
) {
    /// Blocks start at a multiple of this many rows or columns, so that no kernel is
    /// left a sliver narrower than its register tile.
    const ALIGN: usize = 16;
    let (m, n) = c.dim();
    if parts <= 1 {
        return kernel(alpha, a, b, beta, c);
    }
    let by_columns = n >= m || m < parts * 2 * ALIGN;
    let len = if by_columns { n } else { m };
    let mut blocks: SmallVec<[_; 8]> = SmallVec::new();
    let (mut a_rest, mut b_rest, mut c_rest) = (a.view(), b.view(), c.view_mut());
    let mut done = 0;
    for part in 1..=parts {
        let end =
            if part == parts { len } else { (len * part / parts).div_ceil(ALIGN) * ALIGN }.clamp(done, len);
        let axis = Axis(if by_columns { 1 } else { 0 });
        let (c_block, c_after) = c_rest.split_at(axis, end - done);
        c_rest = c_after;
        let (a_block, b_block) = if by_columns {
            let (b_block, b_after) = b_rest.split_at(axis, end - done);
            b_rest = b_after;
            (a.view(), b_block)
        } else {
            let (a_block, a_after) = a_rest.split_at(axis, end - done);
            a_rest = a_after;
            (a_block, b.view())
        };
        if end > done {
            blocks.push((a_block, b_block, c_block));
        }
        done = end;
    }
    run_parts(blocks.into_iter().map(|(a, b, mut c)| move || kernel(alpha, &a, &b, beta, &mut c)).collect());
}

/// The signature of gemm's per-type kernels (`gemm_f64::gemm::f64::get_gemm_fn()` and
/// its f32 twin): `m, n, k`, then `dst, dst_cs, dst_rs, read_dst`, `lhs, lhs_cs, lhs_rs`,
/// `rhs, rhs_cs, rhs_rs`, `alpha, beta`, three conjugation flags and the parallelism; it
/// computes `dst ← alpha·dst + beta·lhs·rhs`.
pub(crate) type GemmKernel<T> = unsafe fn(
    usize,
    usize,
    usize,
    *mut T,
    isize,
    isize,
    bool,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    isize,
    T,
    T,
    bool,
    bool,
    bool,
    gemm_common::Parallelism,
);

/// One call into gemm's kernels, on this thread, for plain-strided operands.
fn kernel<T: Float>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    if m == 0 || n == 0 {
        return;
    }
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    let (c_rs, c_cs) = (c.strides()[0], c.strides()[1]);
    // The kernels are written for a column-major destination: a row-major `c` is computed
    // as `cᵀ = bᵀ·aᵀ`, the same memory with every row and column stride swapped (as the
    // `gemm` crate's own front end does before calling them).
    let (m, n, lhs, lhs_rs, lhs_cs, rhs, rhs_rs, rhs_cs, c_rs, c_cs) = if c_cs < c_rs {
        (n, m, b.as_ptr(), b_cs, b_rs, a.as_ptr(), a_cs, a_rs, c_cs, c_rs)
    } else {
        (m, n, a.as_ptr(), a_rs, a_cs, b.as_ptr(), b_rs, b_cs, c_rs, c_cs)
    };
    // SAFETY: the pointers and strides describe the three arrays exactly (m, n, k and the
    // strides come from the views themselves, transposed together), every stride is
    // non-negative as checked by the caller, and `c` is borrowed mutably so it aliases
    // neither input. The kernel computes `dst ← α·dst + β·lhs·rhs` and does not read
    // `dst` when `read_dst` is false.
    unsafe {
        T::gemm_kernel()(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_cs,
            c_rs,
            beta != T::zero(),
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            beta,
            alpha,
            false,
            false,
            false,
            gemm_common::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, ShapeBuilder};

    use super::*;

    fn filled(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * 31 + j * 17 + seed * 7) % 23) as f64 - 11.0) / 8.0
        })
    }

    #[test]
    fn matches_ndarray_dot_for_every_layout() {
        for &(m, k, n) in &[(1, 1, 1), (3, 4, 5), (17, 9, 33), (64, 784, 10), (5, 0, 4), (0, 3, 2)] {
            let a = filled(m, k, 1);
            let b = filled(k, n, 2);
            let at = filled(k, m, 1).reversed_axes();
            let expected = a.dot(&b);
            for (a_view, b_view) in [(a.view(), b.view()), (at.view(), b.view()), (a.view(), b.t().t())] {
                let mut c = Array2::from_elem((m, n), f64::NAN);
                gemm(1.0, &a_view, &b_view, 0.0, &mut c.view_mut());
                if a_view == a.view() {
                    assert!((&c - &expected).iter().all(|d| d.abs() < 1e-9), "{m}x{k}x{n}");
                }
                let mut cf = Array2::from_elem((m, n).f(), 1.0);
                gemm(2.0, &a_view, &b_view, 1.0, &mut cf.view_mut());
                let reference = a_view.dot(&b_view) * 2.0 + 1.0;
                assert!((&cf - &reference).iter().all(|d| d.abs() < 1e-9), "{m}x{k}x{n} beta");
            }
        }
    }

    #[test]
    fn broadcast_and_reversed_operands_are_copied_first() {
        let row = ndarray::array![1.0, 2.0, 3.0];
        let a = row.broadcast((2, 3)).unwrap(); // stride 0 along rows
        let b = filled(3, 4, 3);
        let b_reversed = b.slice(ndarray::s![..;-1, ..]);
        let mut c = Array2::zeros((2, 4));
        gemm(1.0, &a, &b_reversed, 0.0, &mut c.view_mut());
        assert_eq!(c, a.dot(&b_reversed));
        let mut c_reversed = Array2::zeros((2, 4));
        gemm(1.0, &a, &b.view(), 0.0, &mut c_reversed.slice_mut(ndarray::s![.., ..;-1]));
        assert_eq!(c_reversed.slice(ndarray::s![.., ..;-1]), a.dot(&b));
    }

    #[test]
    fn threads_give_the_same_bits() {
        // 400 · 300 · 200 = 24 million multiply-adds: big enough to be split.
        let (m, k, n) = (400, 300, 200);
        assert!(splits(m, n, k));
        let a = filled(m, k, 4).mapv(|v| v as f32);
        let b = filled(k, n, 5).mapv(|v| v as f32);
        let mut one = Array2::zeros((m, n));
        gemm(1.0, &a.view(), &b.view(), 0.0, &mut one.view_mut());
        crate::set_num_threads(2);
        let mut two = Array2::zeros((m, n));
        gemm(1.0, &a.view(), &b.view(), 0.0, &mut two.view_mut());
        crate::set_num_threads(1);
        assert_eq!(one, two);
    }

    #[test]
    fn every_split_gives_the_bits_of_one_kernel_call() {
        // Column splits, row splits (c narrower than the parts need), transposed operands,
        // odd sizes, a column-major c, beta ≠ 0, and more parts than this machine has cores.
        let shapes = [(256, 784, 512), (97, 333, 517), (1000, 70, 20), (64, 128, 784), (5, 9, 3)];
        for (m, k, n) in shapes {
            let a = filled(m, k, 6).mapv(|v| v as f32);
            let b = filled(k, n, 7).mapv(|v| v as f32);
            let (a_t, b_t) = (a.t().as_standard_layout().to_owned(), b.t().as_standard_layout().to_owned());
            for (a_view, b_view) in [(a.view(), b.view()), (a_t.t(), b.view()), (a.view(), b_t.t())] {
                for parts in 1..=4 {
                    for (beta, column_major) in [(0.0, false), (0.5, true)] {
                        let start = |column_major: bool| {
                            let c = filled(m, n, 8).mapv(|v| v as f32);
                            if column_major {
                                c.t().as_standard_layout().into_owned().reversed_axes()
                            } else {
                                c
                            }
                        };
                        let (mut one, mut split_up) = (start(column_major), start(column_major));
                        kernel(1.5, &a_view, &b_view, beta, &mut one.view_mut());
                        split(1.5, &a_view, &b_view, beta, &mut split_up.view_mut(), parts);
                        assert_eq!(one, split_up, "{m}x{k}x{n} in {parts} parts, beta {beta}");
                    }
                }
            }
        }
    }
}
