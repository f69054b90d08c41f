//! The [`Op`] trait every recorded operation implements, and the shape helpers the ops share.
//!
//! One file per op family; in each, an op's forward and backward sit side by side with
//! its derivative written in the doc comment, and the [`Var`](crate::Var) method that
//! records it right above. Adding an op touches its file and one `mod` line here.

use ndarray::{ArrayD, ArrayViewD, Axis};
use smallvec::SmallVec;

use crate::{Float, Var};

pub(crate) mod activation;
pub(crate) mod affine;
pub(crate) mod arithmetic;
pub(crate) mod compare;
pub(crate) mod elementwise;
pub(crate) mod gather;
pub(crate) mod join;
pub(crate) mod matmul;
pub(crate) mod pointwise;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod triangle;
pub(crate) mod trig;

pub use elementwise::{Binary, BinaryFn, Unary, UnaryFn};
pub use triangle::Triangle;

/// The gradients of a scalar fast path ([`Op::backward_scalar`]): one number per input.
///
/// ```
/// let grads: tapegrad_tape::ScalarGrads<f64> = tapegrad_tape::smallvec::smallvec![0.5, -1.0];
/// assert_eq!(grads.len(), 2);
/// ```
pub type ScalarGrads<T> = SmallVec<[T; 2]>;

/// The gradients an op's backward returns: one entry per input, in input order;
/// `None` for an input whose gradient was not wanted (or is identically zero).
///
/// ```
/// use tapegrad_tape::InputGrads;
/// let grads: InputGrads<f32> = [Some(ndarray::ArrayD::zeros(vec![2])), None].into_iter().collect();
/// assert!(grads[1].is_none());
/// ```
pub type InputGrads<T> = SmallVec<[Option<ArrayD<T>>; 3]>;

/// One differentiable operation: how to compute its output, and how to turn the
/// gradient of the loss with respect to that output into gradients for its inputs.
///
/// Ops return *local* gradients; only the tape accumulates them (so a value used twice
/// gets the sum of both contributions by construction). An op never sees the loss.
///
/// Implement it to add your own primitive, then record it with [`Tape::apply`](crate::Tape::apply):
///
/// ```
/// use ndarray::{ArrayD, ArrayViewD, Zip};
/// use tapegrad_tape::{Float, InputGrads, Op, Tape};
///
/// /// `y = x³`; `∂L/∂x = ∂L/∂y · 3x²`.
/// struct Cube;
/// impl<T: Float> Op<T> for Cube {
///     fn name(&self) -> &'static str { "cube" }
///     fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
///         inputs[0].mapv(|x| x * x * x)
///     }
///     fn backward(
///         &self,
///         inputs: &[ArrayViewD<'_, T>],
///         _output: &ArrayViewD<'_, T>,
///         grad_output: &ArrayViewD<'_, T>,
///         _wanted: &[bool],
///     ) -> InputGrads<T> {
///         let three = T::from_f64(3.0);
///         let grad_x = Zip::from(grad_output).and(&inputs[0]).map_collect(|&g, &x| g * three * x * x);
///         [Some(grad_x)].into_iter().collect()
///     }
/// }
///
/// let tape = Tape::new();
/// let x = tape.var(ndarray::array![2.0, -1.0]);
/// let y = tape.apply(Cube, &[x]).sum();
/// let grads = tape.backward(y);
/// // y = Σ x³, so dy/dx = 3x² = [12, 3]
/// assert_eq!(grads.get(x).unwrap(), &ndarray::array![12.0, 3.0].into_dyn());
/// ```
pub trait Op<T: Float>: 'static {
    /// Short lower-case name used in traces, graphs and error messages (`"matmul"`).
    fn name(&self) -> &'static str;

    /// The op's settings for labels, e.g. `"axis=1"`; empty by default.
    fn describe(&self) -> String {
        String::new()
    }

    /// The op's local derivative rule in one line, for the HTML page of a tape
    /// ([`Tape::to_html`](crate::Tape::to_html)): the op and what it sends back to its
    /// inputs, with the inputs named `x` (or `a`, `b`) and the output `y`
    /// (`y = tanh x;  ∂L/∂x = ∂L/∂y · (1 − y²)` for `tanh`). `None` by default, and the
    /// page then points to the op's documentation.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.5]);
    /// let grads = tape.backward(x.tanh().sum());
    /// assert!(tape.to_html(&grads).contains("∂L/∂x = ∂L/∂y · (1 − y²)"));
    /// ```
    fn rule(&self) -> Option<String> {
        None
    }

    /// Whether the op broadcasts its inputs NumPy-style (`add`, `mul`, … and `affine`'s
    /// bias), so that an input's gradient is the output's summed back to the input's shape.
    /// The HTML page of a tape says so on the step; `false` by default.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let (x, b) = (tape.var(ndarray::array![[1.0, 2.0], [3.0, 4.0]]), tape.var(ndarray::array![1.0, 1.0]));
    /// let grads = tape.backward((x + b).sum());
    /// assert!(tape.to_html(&grads).contains(r#""broadcast_from":[2,2]"#));
    /// ```
    fn broadcasts(&self) -> bool {
        false
    }

    /// Checks that the input shapes fit this op. [`Tape::apply`](crate::Tape::apply)
    /// calls it before [`forward`](Op::forward) and panics with `"{name}: {message}"` at
    /// the caller's line when it fails. The default accepts anything.
    ///
    /// # Errors
    /// A message saying what does not fit, naming the shapes.
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let _ = shapes;
        Ok(())
    }

    /// Computes the output from the input values.
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T>;

    /// Given `grad_output = ∂L/∂output`, returns `∂L/∂input` for each input, each of the
    /// input's own shape. `wanted[i]` says whether input `i` needs a gradient at all;
    /// an op may return `None` there to skip the work (the tape ignores what it returns
    /// for unwanted inputs either way).
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T>;

    /// For ops with kinks (relu, abs, max, clamp, …): which branch each element takes at
    /// these inputs, as small integers. The gradient checker compares the branches at
    /// `x − h`, `x` and `x + h`; if they differ, the finite difference straddles a kink
    /// and that element is reported as non-differentiable instead of failed.
    /// Smooth ops return `None` (the default).
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let _ = inputs;
        None
    }

    /// Optional fast path for when every input is 0-d: the output as a bare number, or
    /// `None` (the default) to use [`forward`](Op::forward). Micrograd-style graphs of
    /// single numbers then skip all array machinery. It must agree with `forward`;
    /// [`Unary`] and [`Binary`] provide both from one definition.
    ///
    /// Returning a value says the op accepts 0-d inputs: [`check_shapes`](Op::check_shapes)
    /// is not called on this path (it costs a tenth of a scalar graph's time). An op that
    /// refuses 0-d inputs returns `None`, and the array path checks the shapes as usual.
    fn forward_scalar(&self, inputs: &[T]) -> Option<T> {
        let _ = inputs;
        None
    }

    /// The fast path's backward: for 0-d inputs, `output` and `∂L/∂output`, one
    /// gradient per input, or `None` (the default) to use [`backward`](Op::backward).
    fn backward_scalar(&self, inputs: &[T], output: T, grad_output: T) -> Option<ScalarGrads<T>> {
        let _ = (inputs, output, grad_output);
        None
    }

    /// The forward-mode (tangent) rule, for [`Tape::jvp`](crate::Tape::jvp): given the
    /// inputs, the output and each input's tangent `ẋᵢ` (`None` for an input that does not
    /// depend on the differentiated values: a zero tangent; at least one is `Some`), the
    /// output's tangent `ẏ = Σᵢ ∂y/∂xᵢ · ẋᵢ`, of the output's shape. It is the same chain
    /// rule as [`backward`](Op::backward), applied in the other order.
    ///
    /// The default returns `None`: the op has no tangent rule, and forward mode through it
    /// is [`TapeError::NoTangentRule`](crate::TapeError::NoTangentRule) naming the op —
    /// never a wrong answer. [`Unary`] and [`Binary`] derive it from their derivatives;
    /// a linear op can return [`linear_tangent`]`(self, inputs, tangents)`.
    ///
    /// ```
    /// use ndarray::{array, ArrayD, ArrayViewD};
    /// use tapegrad_tape::{InputGrads, Op, Tape};
    /// /// `y = 3x`: linear, so its tangent is itself applied to the tangent.
    /// struct Triple;
    /// impl Op<f64> for Triple {
    ///     fn name(&self) -> &'static str { "triple" }
    ///     fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> ArrayD<f64> { inputs[0].mapv(|x| 3.0 * x) }
    ///     fn backward(&self, _: &[ArrayViewD<'_, f64>], _: &ArrayViewD<'_, f64>, g: &ArrayViewD<'_, f64>, _: &[bool]) -> InputGrads<f64> {
    ///         [Some(g.mapv(|g| 3.0 * g))].into_iter().collect()
    ///     }
    ///     fn tangent(&self, inputs: &[ArrayViewD<'_, f64>], _: &ArrayViewD<'_, f64>, tangents: &[Option<ArrayViewD<'_, f64>>]) -> Option<ArrayD<f64>> {
    ///         Some(tapegrad_tape::linear_tangent(self, inputs, tangents))
    ///     }
    /// }
    /// let tape = Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = tape.apply(Triple, &[x]);
    /// assert_eq!(tape.jvp(&[y], &[x], &[array![1.0, -1.0].into_dyn()])?[0], array![3.0, -3.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let _ = (inputs, output, tangents);
        None
    }

    /// The tangent rule for many directions at once, for
    /// [`Tape::jvp_batch`](crate::Tape::jvp_batch): each `tangents[i]` carries a leading
    /// axis of `k` directions (`[k, ..inputs[i].shape]`), and the result is
    /// `[k, ..output.shape]`, direction by direction what [`tangent`](Op::tangent) gives.
    /// The same derivative as `tangent`, so nothing new to check; only the cost differs.
    ///
    /// The default calls `tangent` once per direction (`None` if it has no rule). The
    /// built-in elementwise ops override it to compute their derivatives once for all
    /// directions, and `matmul` to make one larger product of them.
    ///
    /// ```
    /// use ndarray::{array, ArrayD, ArrayViewD};
    /// use tapegrad_tape::{InputGrads, Op, Tape};
    /// /// `y = 3x`, with only the one-direction rule: the default runs it per direction.
    /// struct Triple;
    /// impl Op<f64> for Triple {
    ///     fn name(&self) -> &'static str { "triple" }
    ///     fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> ArrayD<f64> { inputs[0].mapv(|x| 3.0 * x) }
    ///     fn backward(&self, _: &[ArrayViewD<'_, f64>], _: &ArrayViewD<'_, f64>, g: &ArrayViewD<'_, f64>, _: &[bool]) -> InputGrads<f64> {
    ///         [Some(g.mapv(|g| 3.0 * g))].into_iter().collect()
    ///     }
    ///     fn tangent(&self, inputs: &[ArrayViewD<'_, f64>], _: &ArrayViewD<'_, f64>, tangents: &[Option<ArrayViewD<'_, f64>>]) -> Option<ArrayD<f64>> {
    ///         Some(tapegrad_tape::linear_tangent(self, inputs, tangents))
    ///     }
    /// }
    /// let tape = Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = tape.apply(Triple, &[x]);
    /// let directions = array![[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]].into_dyn(); // three
    /// let jv = tape.jvp_batch(&[y], &[x], &[directions])?;
    /// assert_eq!(jv[0], array![[3.0, 0.0], [0.0, 3.0], [3.0, -3.0]].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    fn tangent_batch(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        tangent_per_direction(self, inputs, output, tangents)
    }

    /// The backward pass recorded as ops on the tape, for gradients of gradients
    /// ([`Tape::grad`](crate::Tape::grad) with `create_graph`): each input's `∂L/∂input`
    /// from `grad_output`, built from differentiable [`Var`] ops, so that it can be
    /// differentiated again (to any order, as long as the ops it uses can). `None` for an
    /// input that gets no gradient.
    ///
    /// The default returns `None`: the op has no differentiable backward, and asking for
    /// one is [`TapeError::NotTwiceDifferentiable`](crate::TapeError::NotTwiceDifferentiable)
    /// naming the op — never a wrong answer.
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        output: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let _ = (inputs, output, grad_output);
        None
    }
}

/// The tangent of an op that is linear in all its inputs together (a reshape, a sum, a
/// concatenation, a gather): the op applied to the tangents, a missing tangent taken as
/// zeros of its input's shape. For [`Op::tangent`].
///
/// ```
/// use ndarray::{array, ArrayViewD};
/// use tapegrad_tape::{linear_tangent, Op, Tape};
/// // Σ is linear: the tangent of a sum is the sum of the tangent.
/// let tape = Tape::new();
/// let x = tape.var(array![1.0, 2.0, 3.0]);
/// let y = x.sum();
/// assert_eq!(tape.jvp(&[y], &[x], &[array![1.0, 1.0, 1.0].into_dyn()])?[0][[]], 3.0);
/// # Ok::<(), tapegrad_tape::TapeError>(())
/// ```
pub fn linear_tangent<T: Float>(
    op: &(impl Op<T> + ?Sized),
    inputs: &[ArrayViewD<'_, T>],
    tangents: &[Option<ArrayViewD<'_, T>>],
) -> ArrayD<T> {
    forward_on_tangents(op, inputs, tangents, |shape| shape.to_vec())
}

/// `op` run on the tangents, zeros (of the shape `zero_shape` gives for the input's)
/// standing in for the inputs without one: a linear op's tangent rule.
fn forward_on_tangents<T: Float>(
    op: &(impl Op<T> + ?Sized),
    inputs: &[ArrayViewD<'_, T>],
    tangents: &[Option<ArrayViewD<'_, T>>],
    zero_shape: impl Fn(&[usize]) -> Vec<usize>,
) -> ArrayD<T> {
    let filled: Vec<ndarray::CowArray<'_, T, ndarray::IxDyn>> = inputs
        .iter()
        .zip(tangents)
        .map(|(x, t)| match t {
            Some(t) => ndarray::CowArray::from(t.view()),
            None => ndarray::CowArray::from(ArrayD::zeros(zero_shape(x.shape()))),
        })
        .collect();
    let filled: Vec<ArrayViewD<'_, T>> = filled.iter().map(|t| t.view()).collect();
    op.forward(&filled)
}

/// [`Op::tangent`] for an op that is linear in all its inputs together: [`linear_tangent`].
/// Written once here, invoked inside each such op's `impl Op`.
macro_rules! linear_tangent_rule {
    () => {
        /// Linear: the op applied to the tangents.
        fn tangent(
            &self,
            inputs: &[ndarray::ArrayViewD<'_, T>],
            _output: &ndarray::ArrayViewD<'_, T>,
            tangents: &[Option<ndarray::ArrayViewD<'_, T>>],
        ) -> Option<ndarray::ArrayD<T>> {
            Some(crate::ops::linear_tangent(self, inputs, tangents))
        }
    };
}
pub(crate) use linear_tangent_rule;

/// [`Op::tangent_batch`] for a linear op whose parameters name axes: the op with every
/// axis moved one place on (so that it acts on each direction of `[directions, ..shape]`
/// tangents, `shifted` builds it), applied to the tangents, zeros standing in for the
/// inputs without one.
pub(crate) fn linear_tangent_batch<T: Float>(
    shifted: &impl Op<T>,
    inputs: &[ArrayViewD<'_, T>],
    tangents: &[Option<ArrayViewD<'_, T>>],
) -> Option<ArrayD<T>> {
    let directions = direction_count(tangents)?;
    Some(forward_on_tangents(shifted, inputs, tangents, |shape| batch_shape(directions, shape)))
}

/// [`Op::tangent_batch`] by [`linear_tangent_batch`]: `$shifted` is a closure from the op
/// and the number of directions to the op acting one axis on. Invoked inside each such
/// op's `impl Op`, beside [`linear_tangent_rule`].
macro_rules! linear_tangent_batch_rule {
    ($shifted:expr) => {
        /// Linear: the op, one axis on, applied to each direction's tangent at once.
        fn tangent_batch(
            &self,
            inputs: &[ndarray::ArrayViewD<'_, T>],
            _output: &ndarray::ArrayViewD<'_, T>,
            tangents: &[Option<ndarray::ArrayViewD<'_, T>>],
        ) -> Option<ndarray::ArrayD<T>> {
            let shifted = ($shifted)(self, crate::ops::direction_count(tangents)?);
            crate::ops::linear_tangent_batch(&shifted, inputs, tangents)
        }
    };
}
pub(crate) use linear_tangent_batch_rule;

/// The tangent of an op that is linear in each input separately (a product: `matmul`):
/// `Σᵢ f(x₁, …, ẋᵢ, …, xₙ)` over the inputs with a tangent. For [`Op::tangent`].
pub(crate) fn multilinear_tangent<T: Float>(
    op: &(impl Op<T> + ?Sized),
    inputs: &[ArrayViewD<'_, T>],
    tangents: &[Option<ArrayViewD<'_, T>>],
) -> Option<ArrayD<T>> {
    let mut total: Option<ArrayD<T>> = None;
    for (i, tangent) in tangents.iter().enumerate() {
        let Some(tangent) = tangent else { continue };
        let mut replaced: Vec<ArrayViewD<'_, T>> = inputs.to_vec();
        replaced[i] = tangent.view();
        let part = op.forward(&replaced);
        total = Some(match total {
            Some(mut sum) => {
                sum += &part;
                sum
            }
            None => part,
        });
    }
    total
}

/// [`Op::tangent_batch`] by [`Op::tangent`], one direction (the leading axis of each
/// tangent) at a time, each written into its slot of the result.
pub(crate) fn tangent_per_direction<T: Float>(
    op: &(impl Op<T> + ?Sized),
    inputs: &[ArrayViewD<'_, T>],
    output: &ArrayViewD<'_, T>,
    tangents: &[Option<ArrayViewD<'_, T>>],
) -> Option<ArrayD<T>> {
    let mut out = crate::pool::scratch(&batch_shape(direction_count(tangents)?, output.shape()));
    let mut column: Vec<Option<ArrayViewD<'_, T>>> = Vec::with_capacity(tangents.len());
    for (k, mut slot) in out.outer_iter_mut().enumerate() {
        column.clear();
        column.extend(tangents.iter().map(|t| t.as_ref().map(|t| t.index_axis(Axis(0), k))));
        let tangent = op.tangent(inputs, output, &column)?;
        slot.assign(&tangent);
        crate::pool::recycle(tangent);
    }
    Some(out)
}

/// How many directions a batch of tangents carries (the leading axis of the first one
/// present); `None` when none is.
pub(crate) fn direction_count<T>(tangents: &[Option<ArrayViewD<'_, T>>]) -> Option<usize> {
    Some(tangents.iter().flatten().next()?.shape()[0])
}

/// `[directions, ..shape]`: the shape of a batch of tangents of a `shape` value.
pub(crate) fn batch_shape(directions: usize, shape: &[usize]) -> Vec<usize> {
    std::iter::once(directions).chain(shape.iter().copied()).collect()
}

/// The gradients an op's [`backward_vars`](Op::backward_vars) returns, one per input.
pub type VarGrads<'t, T> = SmallVec<[Option<Var<'t, T>>; 3]>;

/// The NumPy broadcast of two shapes: align trailing axes; each pair must be equal or
/// contain a 1. `None` when they do not broadcast.
///
/// ```
/// use tapegrad_tape::broadcast_shape;
/// assert_eq!(broadcast_shape(&[4, 1, 3], &[2, 1]), Some(vec![4, 2, 3]));
/// assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
/// ```
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut out = vec![0; ndim];
    for i in 0..ndim {
        let da = if i < ndim - a.len() { 1 } else { a[i - (ndim - a.len())] };
        let db = if i < ndim - b.len() { 1 } else { b[i - (ndim - b.len())] };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The sum of every element of `x`, in the order [`Var::sum`] adds them, so a fused op
/// that reduces its own per-sample values (a loss's mean) agrees bit for bit with the
/// composition it replaces. Contiguous data is added in eight interleaved lanes per block
/// of 16,384 numbers, then the blocks' totals in order (the same for every thread count);
/// other layouts as ndarray's `sum` adds them.
///
/// ```
/// let tape = tapegrad_tape::Tape::new();
/// let x = ndarray::Array1::from_shape_fn(100, |i| 1.0 / (1.0 + i as f64)).into_dyn();
/// let summed = tape.var(&x).sum().item();
/// assert_eq!(tapegrad_tape::sum_all(&x.view()).to_bits(), summed.to_bits());
/// ```
pub fn sum_all<T: Float>(x: &ArrayViewD<'_, T>) -> T {
    match x.as_slice_memory_order() {
        Some(data) => crate::kernels::fold_slice(data, T::zero(), |a, b| a + b),
        None => x.sum(),
    }
}

/// Sums `grad` (of a broadcast output's shape) back to `shape`: over the leading axes
/// broadcasting added, and over the axes where `shape` has a 1. This is the gradient
/// rule for every broadcast operand. Returns `grad` untouched when the shapes agree.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::sum_to_shape;
/// let g = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].into_dyn();
/// assert_eq!(sum_to_shape(g.clone(), &[3]), array![5.0, 7.0, 9.0].into_dyn());
/// assert_eq!(sum_to_shape(g, &[2, 1]), array![[6.0], [15.0]].into_dyn());
/// ```
pub fn sum_to_shape<T: Float>(grad: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    if grad.shape() == shape {
        return grad;
    }
    let out = crate::kernels::reduce_to(&grad.view(), shape);
    crate::pool::recycle(grad);
    out
}

/// The general rule behind [`sum_to_shape`], axis by axis, for any layout (the kernels
/// take a faster path when the broadcast repeats along leading axes of contiguous data).
pub(crate) fn sum_over_broadcast_axes<T: Float>(grad: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    let lead = grad.ndim() - shape.len();
    let mut out = grad;
    for _ in 0..lead {
        out = out.sum_axis(Axis(0));
    }
    for axis in broadcast_axes(shape, out.shape()) {
        out = out.sum_axis(Axis(axis)).insert_axis(Axis(axis));
    }
    out
}

/// The axes of `full` (a shape `shape` broadcasts to) that a gradient is summed over to
/// get back to `shape`: the leading axes broadcasting added, and those where `shape` has
/// a 1 and `full` does not.
pub(crate) fn broadcast_axes(shape: &[usize], full: &[usize]) -> Vec<usize> {
    let lead = full.len() - shape.len();
    (0..full.len()).filter(|&a| a < lead || (shape[a - lead] == 1 && full[a] != 1)).collect()
}

/// Shape check shared by the broadcasting binary ops.
pub(crate) fn check_broadcast(shapes: &[&[usize]]) -> Result<(), String> {
    let (a, b) = (shapes[0], shapes[1]);
    let fits = a.iter().rev().zip(b.iter().rev()).all(|(&x, &y)| x == y || x == 1 || y == 1);
    match fits {
        true => Ok(()),
        false => Err(format!(
            "shapes {:?} and {:?} do not broadcast (NumPy rules: trailing axes must be equal or 1)",
            shapes[0], shapes[1]
        )),
    }
}

/// Collects per-input gradients, one per input (`None`: no gradient for it), into
/// [`InputGrads`] (arrays) or [`VarGrads`] (recorded values): the one way ops build them.
pub(crate) fn grads<G, const N: usize>(list: [Option<G>; N]) -> SmallVec<[Option<G>; 3]> {
    list.into_iter().collect()
}

/// Sign of `x` as a branch code: -1, 0 or 1.
pub(crate) fn sign_code<T: Float>(x: T) -> i8 {
    if x > T::zero() {
        1
    } else if x < T::zero() {
        -1
    } else {
        0
    }
}
