//! Matrix multiplication: 2-D × 2-D, and the batched forms 3-D × 2-D (one weight shared
//! by the batch) and 3-D × 3-D (one matrix per batch entry). Everything goes through the
//! run-time-dispatched GEMM ([`crate::gemm`]) on views, so transposes in backward copy
//! nothing.

use ndarray::{Array3, ArrayD, ArrayView2, ArrayView3, ArrayViewD, ArrayViewMutD, Axis, CowArray, Ix2, Ix3};

use super::{grads, InputGrads, Op, VarGrads};
use crate::gemm::{gemm, matmul};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Matrix product `y = a · b`.
    ///
    /// Shapes: `[m, k] · [k, n] → [m, n]`; `[batch, m, k] · [k, n] → [batch, m, n]` (the same
    /// `b` for every batch entry); `[batch, m, k] · [batch, k, n] → [batch, m, n]`.
    ///
    /// `∂L/∂a = ∂L/∂y · bᵀ`, `∂L/∂b = aᵀ · ∂L/∂y` (for the shared-`b` form, `aᵀ · ∂L/∂y`
    /// is summed over the batch, which is one product over the flattened batch).
    ///
    /// # Panics
    /// If the ranks are not one of the three forms or the inner dimensions (or batch
    /// sizes) differ; the message names both shapes.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![[1.0, 2.0]]);            // [1, 2]
    /// let b = tape.var(array![[3.0], [4.0]]);          // [2, 1]
    /// let y = a.matmul(&b);
    /// assert_eq!(y.item(), 11.0);
    /// let grads = tape.backward(y.sum());
    /// assert_eq!(grads.get(a).unwrap(), &array![[3.0, 4.0]].into_dyn()); // bᵀ
    /// assert_eq!(grads.get(b).unwrap(), &array![[1.0], [2.0]].into_dyn()); // aᵀ
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(MatMul, &[*self, *other])
    }
}

/// `y = a · b`; `∂L/∂a = ∂L/∂y · bᵀ`, `∂L/∂b = aᵀ · ∂L/∂y`.
pub(crate) struct MatMul;

/// A view known to be 2-D as one.
pub(super) fn as2<'a, T>(x: &ArrayViewD<'a, T>) -> ArrayView2<'a, T> {
    x.clone().into_dimensionality::<Ix2>().expect("checked 2-D")
}

fn as3<'a, T>(x: &ArrayViewD<'a, T>) -> ArrayView3<'a, T> {
    x.clone().into_dimensionality::<Ix3>().expect("checked 3-D")
}

/// `[batch, m, k]` as `[batch·m, k]`: a view when the layout is contiguous, a copy otherwise.
fn flatten_batch<'a, T: Float>(x: &ArrayViewD<'a, T>) -> CowArray<'a, T, Ix2> {
    let s = x.shape();
    let shape = (s[0] * s[1], s[2]);
    match x.clone().into_shape_with_order(shape) {
        Ok(view) => CowArray::from(view),
        Err(_) => CowArray::from(
            x.as_standard_layout().into_owned().into_shape_with_order(shape).expect("standard layout"),
        ),
    }
}

/// `out ← a·b + β·out` for the three forms (`[m, k]·[k, n]`, `[batch, m, k]·[k, n]`,
/// `[batch, m, k]·[batch, k, n]`), a product per batch entry into `out`'s own slots (with
/// `β = 0` `out` is not read).
fn product_into<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    out: &mut ArrayViewMutD<'_, T>,
    beta: T,
) {
    // Small batched products over contiguous operands: plain loops over the slices.
    let (m, k, n) = (a.shape()[a.ndim() - 2], a.shape()[a.ndim() - 1], b.shape()[b.ndim() - 1]);
    if a.ndim() == 3 && m * k * n <= crate::gemm::SMALL_PRODUCT {
        if let (Some(a), Some(b), Some(out)) = (a.as_slice(), b.as_slice(), out.as_slice_mut()) {
            return crate::gemm::small_products(a, b, out, (m, k, n), b.len() == k * n, beta);
        }
    }
    match (a.ndim(), b.ndim()) {
        (2, 2) => {
            let mut out = out.view_mut().into_dimensionality::<Ix2>().expect("2-D");
            gemm(T::one(), &as2(a), &as2(b), beta, &mut out);
        }
        (3, 2) => {
            let b = as2(b);
            for (a, mut out) in as3(a).outer_iter().zip(out.outer_iter_mut()) {
                let mut out = out.view_mut().into_dimensionality::<Ix2>().expect("2-D");
                gemm(T::one(), &a, &b, beta, &mut out);
            }
        }
        _ => {
            for ((a, b), mut out) in as3(a).outer_iter().zip(as3(b).outer_iter()).zip(out.outer_iter_mut()) {
                let mut out = out.view_mut().into_dimensionality::<Ix2>().expect("2-D");
                gemm(T::one(), &a, &b, beta, &mut out);
            }
        }
    }
}

impl<T: Float> Op<T> for MatMul {
    /// Bilinear: `Ẏ = Ȧ·B + A·Ḃ`.
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        crate::ops::multilinear_tangent(self, inputs, tangents)
    }
    /// `Ẏ = Ȧ·B + A·Ḃ` in each direction, each product written (then added) straight
    /// into the direction's slot; with `B` a matrix, every direction's `Ȧ` is rows of one
    /// product (`[directions·…·m, k] · B`).
    fn tangent_batch(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let (a, b) = (&inputs[0], &inputs[1]);
        let directions = super::direction_count(tangents)?;
        let mut out = crate::pool::scratch(&crate::ops::batch_shape(directions, output.shape()));
        let mut beta = T::zero();
        if let Some(ta) = &tangents[0] {
            let inner = b.shape()[0];
            if b.ndim() == 2 && inner > 0 && !out.is_empty() {
                let flat = ta.as_standard_layout();
                let flat =
                    flat.view().into_shape_with_order((ta.len() / inner, inner)).expect("standard layout");
                let (p, len) = (b.shape()[1], out.len());
                let mut y = out.view_mut().into_shape_with_order((len / p, p)).expect("scratch is standard");
                gemm(T::one(), &flat, &as2(b), T::zero(), &mut y);
            } else {
                for (ta, mut slot) in ta.outer_iter().zip(out.outer_iter_mut()) {
                    product_into(&ta, b, &mut slot, T::zero());
                }
            }
            beta = T::one();
        }
        if let Some(tb) = &tangents[1] {
            for (tb, mut slot) in tb.outer_iter().zip(out.outer_iter_mut()) {
                product_into(a, &tb, &mut slot, beta);
            }
        }
        Some(out)
    }
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn rule(&self) -> Option<String> {
        Some("Y = A·B;  ∂L/∂A = ∂L/∂Y · Bᵀ,  ∂L/∂B = Aᵀ · ∂L/∂Y".into())
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let (a, b) = (shapes[0], shapes[1]);
        let inner_ok = match (a.len(), b.len()) {
            (2, 2) => a[1] == b[0],
            (3, 2) => a[2] == b[0],
            (3, 3) => a[2] == b[1] && a[0] == b[0],
            _ => {
                return Err(format!("expects 2-D · 2-D, 3-D · 2-D or 3-D · 3-D, got shapes {a:?} and {b:?}"))
            }
        };
        if inner_ok {
            Ok(())
        } else {
            Err(format!("shapes {a:?} and {b:?} do not fit (inner dimensions or batch sizes differ)"))
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        match (a.ndim(), b.ndim()) {
            (2, 2) => matmul(&as2(a), &as2(b)).into_dyn(),
            (3, 2) => {
                let (batch, m) = (a.shape()[0], a.shape()[1]);
                let y = matmul(&flatten_batch(a).view(), &as2(b));
                let n = y.ncols();
                y.into_shape_with_order((batch, m, n)).expect("a standard-layout result").into_dyn()
            }
            _ => {
                let mut y = crate::pool::scratch(&[a.shape()[0], a.shape()[1], b.shape()[2]]);
                product_into(a, b, &mut y.view_mut(), T::zero());
                y
            }
        }
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        match (a.ndim(), b.ndim()) {
            (2, 2) => {
                let g = as2(grad_output);
                grads([
                    wanted[0].then(|| matmul(&g, &as2(b).t()).into_dyn()),
                    wanted[1].then(|| matmul(&as2(a).t(), &g).into_dyn()),
                ])
            }
            (3, 2) => {
                let g = flatten_batch(grad_output);
                grads([
                    wanted[0].then(|| {
                        let grad_a = matmul(&g.view(), &as2(b).t());
                        grad_a.into_shape_with_order(a.raw_dim()).expect("a standard-layout result")
                    }),
                    wanted[1].then(|| matmul(&flatten_batch(a).t(), &g.view()).into_dyn()),
                ])
            }
            _ => batched_backward(a, b, grad_output, wanted),
        }
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G, batch by batch; a matrix B shared by every batch
        // gets the sum over the batch, as one product of the batches stacked.
        let (a, b) = (inputs[0], inputs[1]);
        let transpose = |v: Var<'t, T>| if v.ndim() == 3 { v.permute(&[0, 2, 1]) } else { v.t() };
        let grad_b = match (a.ndim(), b.ndim()) {
            (3, 2) => {
                let (s, g) = (a.shape(), grad_output.shape());
                a.reshape(&[s[0] * s[1], s[2]]).t().matmul(&grad_output.reshape(&[g[0] * g[1], g[2]]))
            }
            _ => transpose(a).matmul(&grad_output),
        };
        Some(grads([Some(grad_output.matmul(&transpose(b))), Some(grad_b)]))
    }
}

/// [`MatMul`]'s backward for batched operands (`[n, m, k] · [n, k, p]`): `G·Bᵀ` and
/// `Aᵀ·G` batch by batch, each product into its slot of the result.
fn batched_backward<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    grad_output: &ArrayViewD<'_, T>,
    wanted: &[bool],
) -> InputGrads<T> {
    let (a3, b3, g) = (as3(a), as3(b), as3(grad_output));
    let batched = |shape: &[usize], f: &dyn Fn(usize, &mut ndarray::ArrayViewMut2<'_, T>)| {
        let mut out = Array3::zeros((shape[0], shape[1], shape[2]));
        for (i, mut slot) in out.axis_iter_mut(Axis(0)).enumerate() {
            f(i, &mut slot);
        }
        out.into_dyn()
    };
    grads([
        wanted[0].then(|| {
            batched(a.shape(), &|i, out| {
                gemm(T::one(), &g.index_axis(Axis(0), i), &b3.index_axis(Axis(0), i).t(), T::zero(), out)
            })
        }),
        wanted[1].then(|| {
            batched(b.shape(), &|i, out| {
                gemm(T::one(), &a3.index_axis(Axis(0), i).t(), &g.index_axis(Axis(0), i), T::zero(), out)
            })
        }),
    ])
}
