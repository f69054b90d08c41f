//! Elementwise ops written once, as a scalar function and its derivative: [`UnaryFn`] and
//! [`BinaryFn`]. The wrappers [`Unary`] and [`Binary`] turn them into [`Op`]s that run
//! over whole arrays (with NumPy broadcasting for two inputs) and, for 0-d values, over
//! bare numbers with no array machinery at all — the fast path for micrograd-style
//! scalar graphs. Both paths call the same two functions, so they agree by construction.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Zip};

use super::{check_broadcast, grads, InputGrads, Op, ScalarGrads, VarGrads};
use crate::kernels::{map, map3, reduce_to, zip_broadcast};
use crate::{pool, Float, Var};

/// An elementwise function of one input: `y = f(x)` and its derivative `dy/dx`.
///
/// `Sync` because a long loop may run in parts on several threads
/// ([`set_num_threads`](crate::set_num_threads)); a unit struct, or one holding numbers, is.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::{Float, Tape, Unary, UnaryFn};
///
/// /// `y = x³`; `dy/dx = 3x²`.
/// struct Cube;
/// impl<T: Float> UnaryFn<T> for Cube {
///     fn name(&self) -> &'static str { "cube" }
///     fn value(&self, x: T) -> T { x * x * x }
///     fn derivative(&self, x: T, _y: T) -> T { T::from_f64(3.0) * x * x }
/// }
///
/// let tape = Tape::new();
/// let x = tape.var(array![1.0, 2.0]);
/// let y = tape.apply(Unary(Cube), &[x]).sum();
/// assert_eq!(tape.backward(y).get(x).unwrap(), array![3.0, 12.0].into_dyn());
/// ```
pub trait UnaryFn<T: Float>: Sync + 'static {
    /// The op's name in traces, graphs and errors.
    fn name(&self) -> &'static str;
    /// The op's settings for labels (`"slope=0.01"`); empty by default.
    fn describe(&self) -> String {
        String::new()
    }

    /// The derivative as one line for the HTML page ([`Op::rule`]); `None` by default.
    fn rule(&self) -> Option<String> {
        None
    }
    /// `y = f(x)`.
    fn value(&self, x: T) -> T;
    /// `dy/dx` at `x`; `y = f(x)` is passed in so it can be reused (`tanh`, `exp`).
    fn derivative(&self, x: T, y: T) -> T;
    /// For functions with kinks: which piece `x` falls on (see
    /// [`Op::branches`]); `None` (the default) for smooth functions.
    fn branch(&self, x: T) -> Option<i8> {
        let _ = x;
        None
    }

    /// The derivative as a recorded value, for gradients of gradients: `derivative`
    /// written with differentiable [`Var`] ops of `x` and `y` (so that its own derivative
    /// is known too). `None` (the default): no second derivative on the tape, and asking
    /// for one is an error naming the function. Piecewise-linear functions need not write
    /// it: see [`piecewise_linear`](UnaryFn::piecewise_linear).
    fn derivative_var<'t>(&self, x: Var<'t, T>, y: Var<'t, T>) -> Option<Var<'t, T>> {
        let _ = (x, y);
        None
    }

    /// Whether the derivative is piecewise constant (relu, abs, clamp, a scale): its
    /// values, taken as constants, are then exact to any order (every higher derivative
    /// is 0 wherever it exists). `false` by default.
    fn piecewise_linear(&self) -> bool {
        false
    }
}

/// An elementwise function of two inputs: `y = f(a, b)` and its partial derivatives.
///
/// `Sync` because a long loop may run in parts on several threads
/// ([`set_num_threads`](crate::set_num_threads)); a unit struct, or one holding numbers, is.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::{Binary, BinaryFn, Float, Tape};
///
/// /// `y = a·b + a`; `∂y/∂a = b + 1`, `∂y/∂b = a`.
/// struct MulAdd;
/// impl<T: Float> BinaryFn<T> for MulAdd {
///     fn name(&self) -> &'static str { "mul_add" }
///     fn value(&self, a: T, b: T) -> T { a * b + a }
///     fn partials(&self, a: T, b: T, _y: T) -> (T, T) { (b + T::one(), a) }
/// }
///
/// let tape = Tape::new();
/// let a = tape.var(array![1.0, 2.0]);
/// let b = tape.var(array![3.0]); // broadcasts
/// let y = tape.apply(Binary(MulAdd), &[a, b]).sum();
/// let grads = tape.backward(y);
/// assert_eq!(grads.get(a).unwrap(), array![4.0, 4.0].into_dyn());
/// assert_eq!(grads.get(b).unwrap(), array![3.0].into_dyn()); // summed over the broadcast
/// ```
pub trait BinaryFn<T: Float>: Sync + 'static {
    /// The op's name in traces, graphs and errors.
    fn name(&self) -> &'static str;
    /// The op's settings for labels; empty by default.
    fn describe(&self) -> String {
        String::new()
    }

    /// The derivative as one line for the HTML page ([`Op::rule`]); `None` by default.
    fn rule(&self) -> Option<String> {
        None
    }
    /// `y = f(a, b)`.
    fn value(&self, a: T, b: T) -> T;
    /// `(∂y/∂a, ∂y/∂b)` at `(a, b)`, with `y = f(a, b)` passed in.
    fn partials(&self, a: T, b: T, y: T) -> (T, T);
    /// `Some((∂y/∂a, ∂y/∂b))` when both partials are the same constants everywhere (`+`
    /// and `−`); `None` (the default) otherwise. With constants, backward sums `∂L/∂y`
    /// over the broadcast axes first and scales the sum, without computing a partial per
    /// element (`partials` must agree with them).
    fn constant_partials(&self) -> Option<(T, T)> {
        None
    }
    /// For functions with kinks: which piece `(a, b)` falls on; `None` when smooth.
    fn branch(&self, a: T, b: T) -> Option<i8> {
        let _ = (a, b);
        None
    }

    /// The partial derivatives as recorded values, for gradients of gradients (as
    /// [`UnaryFn::derivative_var`]): `(∂y/∂a, ∂y/∂b)` from differentiable ops of `a`, `b`
    /// and `y`, each broadcastable to `y`'s shape. `None` by default.
    fn partials_var<'t>(
        &self,
        a: Var<'t, T>,
        b: Var<'t, T>,
        y: Var<'t, T>,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        let _ = (a, b, y);
        None
    }

    /// Whether both partials are piecewise constant (add, sub, maximum): their values are
    /// then exact to any order. `false` by default.
    fn piecewise_linear(&self) -> bool {
        false
    }
}

/// `out[j] = t[j] ⊙ d` (or `out[j] += …` unless `overwrite`) for each direction `j` of
/// `t` (`[directions, ..d.shape]`, `out` the same): over plain slices when all three are
/// contiguous, through a broadcasting `Zip` otherwise.
fn add_times_each_direction<T: Float>(
    out: &mut ArrayD<T>,
    t: &ArrayViewD<'_, T>,
    d: &ArrayViewD<'_, T>,
    overwrite: bool,
) {
    let combine = |o: &mut T, t: T, d: T| *o = if overwrite { t * d } else { *o + t * d };
    if let (Some(ts), Some(ds), Some(os)) = (t.as_slice(), d.as_slice(), out.as_slice_mut()) {
        if !ds.is_empty() && ts.len() == os.len() && ts.len() % ds.len() == 0 {
            for (o, t) in os.chunks_exact_mut(ds.len()).zip(ts.chunks_exact(ds.len())) {
                o.iter_mut().zip(t).zip(ds).for_each(|((o, &t), &d)| combine(o, t, d));
            }
            return;
        }
    }
    Zip::from(out).and(t).and_broadcast(d).for_each(|o, &t, &d| combine(o, t, d));
}

/// Runs a [`UnaryFn`] elementwise as an [`Op`]: `∂L/∂x = ∂L/∂y · f'(x)`.
///
/// ```
/// use tapegrad_tape::{Float, Tape, Unary, UnaryFn};
/// /// `y = 2x`; `dy/dx = 2`.
/// struct Double;
/// impl<T: Float> UnaryFn<T> for Double {
///     fn name(&self) -> &'static str { "double" }
///     fn value(&self, x: T) -> T { x + x }
///     fn derivative(&self, _x: T, _y: T) -> T { T::from_f64(2.0) }
/// }
/// let tape = Tape::new();
/// let x = tape.var(ndarray::arr0(1.5)); // 0-d: takes the scalar fast path
/// let y = tape.apply(Unary(Double), &[x]);
/// assert_eq!(y.item(), 3.0);
/// assert_eq!(tape.backward(y).get(x).unwrap()[[]], 2.0);
/// ```
pub struct Unary<F>(pub F);

impl<T: Float, F: UnaryFn<T>> Op<T> for Unary<F> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn rule(&self) -> Option<String> {
        self.0.rule()
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        map(&inputs[0], |x| self.0.value(x))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let grad_x = map3(grad_output, &inputs[0], output, |g, x, y| g * self.0.derivative(x, y));
        grads([Some(grad_x)])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        inputs[0].iter().map(|&x| self.0.branch(x)).collect()
    }
    /// `ẏ = f'(x) · ẋ`.
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let dx = tangents[0].as_ref()?;
        Some(map3(dx, &inputs[0], output, |t, x, y| t * self.0.derivative(x, y)))
    }
    /// `ẏ = f'(x) · ẋ` in each direction, `f'(x)` computed once for all of them.
    fn tangent_batch(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let dx = tangents[0].as_ref()?;
        let derivative = crate::kernels::map2(&inputs[0], output, |x, y| self.0.derivative(x, y));
        let mut out = pool::scratch(dx.shape());
        add_times_each_direction(&mut out, dx, &derivative.view(), true);
        pool::recycle(derivative);
        Some(out)
    }
    fn forward_scalar(&self, inputs: &[T]) -> Option<T> {
        Some(self.0.value(inputs[0]))
    }
    fn backward_scalar(&self, inputs: &[T], output: T, grad_output: T) -> Option<ScalarGrads<T>> {
        let grad = grad_output * self.0.derivative(inputs[0], output);
        Some(ScalarGrads::from_buf_and_len([grad, T::zero()], 1))
    }

    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let x = inputs[0];
        let derivative = if self.0.piecewise_linear() {
            let values = x.with_value(|xv| {
                y.with_value(|yv| crate::kernels::map2(xv, yv, |a, b| self.0.derivative(a, b)))
            });
            x.tape().constant(values)
        } else {
            self.0.derivative_var(x, y)?
        };
        Some(grads([Some(grad_output * derivative)]))
    }
}

/// Runs a [`BinaryFn`] elementwise as an [`Op`] with NumPy broadcasting:
/// `∂L/∂a = ∂L/∂y · ∂y/∂a`, `∂L/∂b = ∂L/∂y · ∂y/∂b`, each summed over the axes its
/// operand was broadcast along.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::{Binary, BinaryFn, Float, Tape};
/// /// `y = a − 2b`; `∂y/∂a = 1`, `∂y/∂b = −2`.
/// struct SubTwice;
/// impl<T: Float> BinaryFn<T> for SubTwice {
///     fn name(&self) -> &'static str { "sub_twice" }
///     fn value(&self, a: T, b: T) -> T { a - b - b }
///     fn partials(&self, _a: T, _b: T, _y: T) -> (T, T) { (T::one(), T::from_f64(-2.0)) }
/// }
/// let tape = Tape::new();
/// let a = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
/// let b = tape.var(array![1.0, 1.0]);
/// let grads = tape.backward(tape.apply(Binary(SubTwice), &[a, b]).sum());
/// assert_eq!(grads.get(b).unwrap(), array![-4.0, -4.0].into_dyn()); // −2 per row, 2 rows
/// ```
pub struct Binary<F>(pub F);

impl<F> Binary<F> {
    /// The gradients in one pass over plain slices, when nothing broadcasts and every
    /// operand is contiguous (ndarray's five- and six-way `Zip` over n-d views cost several
    /// times the arithmetic); `None` otherwise.
    fn backward_over_slices<T: Float>(
        &self,
        a: &ArrayViewD<'_, T>,
        b: &ArrayViewD<'_, T>,
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> Option<InputGrads<T>>
    where
        F: BinaryFn<T>,
    {
        if a.shape() != grad_output.shape() || b.shape() != grad_output.shape() {
            return None;
        }
        let (g, av, bv, y) = (grad_output.as_slice()?, a.as_slice()?, b.as_slice()?, output.as_slice()?);
        // Zipped slices, the partial picked outside the loop: indexing four slices and
        // picking through a function pointer had kept the loop scalar, 20 instructions an
        // element of a product's gradient.
        let operands = || g.iter().zip(av).zip(bv.iter().zip(y));
        let one = |first: bool| {
            let mut grad = pool::scratch(grad_output.shape());
            let out = grad.as_slice_mut().expect("scratch arrays are standard layout");
            if first {
                for (d, ((&g, &a), (&b, &y))) in out.iter_mut().zip(operands()) {
                    *d = g * self.0.partials(a, b, y).0;
                }
            } else {
                for (d, ((&g, &a), (&b, &y))) in out.iter_mut().zip(operands()) {
                    *d = g * self.0.partials(a, b, y).1;
                }
            }
            grad
        };
        Some(match (wanted[0], wanted[1]) {
            (true, true) => {
                let (mut grad_a, mut grad_b) =
                    (pool::scratch(grad_output.shape()), pool::scratch(grad_output.shape()));
                let da = grad_a.as_slice_mut().expect("scratch arrays are standard layout");
                let db = grad_b.as_slice_mut().expect("scratch arrays are standard layout");
                for ((da, db), ((&g, &a), (&b, &y))) in da.iter_mut().zip(db).zip(operands()) {
                    let (pa, pb) = self.0.partials(a, b, y);
                    (*da, *db) = (g * pa, g * pb);
                }
                grads([Some(grad_a), Some(grad_b)])
            }
            (want_a, want_b) => grads([want_a.then(|| one(true)), want_b.then(|| one(false))]),
        })
    }
}

impl<T: Float, F: BinaryFn<T>> Op<T> for Binary<F> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    /// `ẏ = ∂y/∂a · ȧ + ∂y/∂b · ḃ`, each tangent broadcast to the output's shape as its
    /// operand was.
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        // Constant partials (+, −): the tangents scaled and added, no partial per element.
        if let Some((da, db)) = self.0.constant_partials() {
            let mut out = pool::zeros(output.shape());
            for (tangent, d) in tangents.iter().zip([da, db]) {
                if let Some(tangent) = tangent {
                    out.zip_mut_with(tangent, |o, &t| *o += d * t);
                }
            }
            return Some(out);
        }
        // Same shapes, contiguous: one pass over plain slices.
        let same = |x: &ArrayViewD<'_, T>| x.shape() == output.shape();
        fn slice_of<'a, T: Float>(
            t: &'a Option<ArrayViewD<'_, T>>,
            shape: &[usize],
        ) -> Option<Option<&'a [T]>> {
            match t {
                None => Some(None),
                Some(t) if t.shape() == shape => t.as_slice().map(Some),
                Some(_) => None,
            }
        }
        if same(&inputs[0]) && same(&inputs[1]) {
            if let (Some(a), Some(b), Some(y), Some(ta), Some(tb)) = (
                inputs[0].as_slice(),
                inputs[1].as_slice(),
                output.as_slice(),
                slice_of(&tangents[0], output.shape()),
                slice_of(&tangents[1], output.shape()),
            ) {
                let mut out = pool::scratch(output.shape());
                let o = out.as_slice_mut().expect("scratch arrays are standard layout");
                for (i, o) in o.iter_mut().enumerate() {
                    let (da, db) = self.0.partials(a[i], b[i], y[i]);
                    let along_a = ta.map_or(T::zero(), |t| da * t[i]);
                    *o = along_a + tb.map_or(T::zero(), |t| db * t[i]);
                }
                return Some(out);
            }
        }
        let shape = output.raw_dim();
        let (a, b) = (inputs[0].broadcast(shape.clone())?, inputs[1].broadcast(shape.clone())?);
        // The first tangent's part is written over scratch memory, a second one added.
        let mut out = pool::scratch(output.shape());
        let mut first = true;
        for (k, tangent) in tangents.iter().enumerate() {
            let Some(tangent) = tangent else { continue };
            let tangent = tangent.broadcast(shape.clone())?;
            let overwrite = std::mem::replace(&mut first, false);
            let add = |o: &mut T, &a: &T, &b: &T, &y: &T, &t: &T| {
                let (da, db) = self.0.partials(a, b, y);
                let part = if k == 0 { da } else { db } * t;
                *o = if overwrite { part } else { *o + part };
            };
            match output.ndim() {
                0 => Zip::from(&mut out).and(&a).and(&b).and(output).and(&tangent).for_each(add),
                // Row by row along the last axis: an n-d `Zip` of five operands indexes
                // every element through `IxDyn`; rows are 1-D and mostly contiguous.
                n => {
                    let last = ndarray::Axis(n - 1);
                    Zip::from(out.lanes_mut(last))
                        .and(a.lanes(last))
                        .and(b.lanes(last))
                        .and(output.lanes(last))
                        .and(tangent.lanes(last))
                        .for_each(|o, a, b, y, t| Zip::from(o).and(a).and(b).and(y).and(t).for_each(add));
                }
            }
        }
        Some(out)
    }
    /// `ẏ = ∂y/∂a · ȧ + ∂y/∂b · ḃ` in each direction, the partials computed once for all
    /// of them.
    fn tangent_batch(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let directions = super::direction_count(tangents)?;
        let shape = super::batch_shape(directions, output.shape());
        let mut out = pool::scratch(&shape);
        let mut first = true;
        let constant = self.0.constant_partials();
        let (a, b) = (inputs[0].broadcast(output.raw_dim())?, inputs[1].broadcast(output.raw_dim())?);
        for (k, tangent) in tangents.iter().enumerate() {
            let Some(tangent) = tangent else { continue };
            // [directions, ..operand] with unit axes after the first, to broadcast as the
            // operand did.
            let mut aligned = tangent.view();
            while aligned.ndim() < shape.len() {
                aligned.insert_axis_inplace(Axis(1));
            }
            let aligned = aligned.broadcast(IxDyn(&shape))?;
            let overwrite = std::mem::replace(&mut first, false);
            match constant {
                Some((da, db)) => {
                    let d = if k == 0 { da } else { db };
                    let scaled = |o: &mut T, &t: &T| *o = if overwrite { d * t } else { *o + d * t };
                    Zip::from(&mut out).and(&aligned).for_each(scaled);
                }
                None => {
                    let mut partial = pool::scratch(output.shape());
                    Zip::from(&mut partial).and(&a).and(&b).and(output).for_each(|p, &a, &b, &y| {
                        let (da, db) = self.0.partials(a, b, y);
                        *p = if k == 0 { da } else { db };
                    });
                    add_times_each_direction(&mut out, &aligned, &partial.view(), overwrite);
                    pool::recycle(partial);
                }
            }
        }
        Some(out)
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn rule(&self) -> Option<String> {
        self.0.rule()
    }
    fn broadcasts(&self) -> bool {
        true
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        zip_broadcast(&inputs[0], &inputs[1], |a, b| self.0.value(a, b))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T> {
        let (a, b) = (&inputs[0], &inputs[1]);
        if let Some((da, db)) = self.0.constant_partials() {
            // ∂L/∂a = da · Σ ∂L/∂y over a's broadcast axes (likewise b): no per-element partials.
            let scaled = |shape: &[usize], d: T| {
                let mut grad = reduce_to(grad_output, shape);
                if d != T::one() {
                    grad.map_inplace(|v| *v *= d);
                }
                grad
            };
            return grads([
                wanted[0].then(|| scaled(a.shape(), da)),
                wanted[1].then(|| scaled(b.shape(), db)),
            ]);
        }
        if let Some(grads) = self.backward_over_slices(a, b, output, grad_output, wanted) {
            return grads;
        }
        let out_shape = grad_output.raw_dim();
        let a_b = a.broadcast(out_shape.clone()).expect("broadcastable");
        let b_b = b.broadcast(out_shape).expect("broadcastable");
        // The gradient at the output's shape, summed back to the operand's if it was broadcast.
        let to_operand = |full: ArrayD<T>, shape: &[usize]| {
            if full.shape() == shape {
                return full;
            }
            let reduced = reduce_to(&full.view(), shape);
            pool::recycle(full);
            reduced
        };
        if wanted[0] && wanted[1] {
            // Both gradients in one pass, so `partials` runs once per element.
            let mut grad_a = pool::scratch(grad_output.shape());
            let mut grad_b = pool::scratch(grad_output.shape());
            Zip::from(&mut grad_a)
                .and(&mut grad_b)
                .and(grad_output)
                .and(&a_b)
                .and(&b_b)
                .and(output)
                .for_each(|da, db, &g, &a, &b, &y| {
                    let (pa, pb) = self.0.partials(a, b, y);
                    *da = g * pa;
                    *db = g * pb;
                });
            return grads([Some(to_operand(grad_a, a.shape())), Some(to_operand(grad_b, b.shape()))]);
        }
        let grad = |pick: fn((T, T)) -> T, shape: &[usize]| {
            let mut full = pool::scratch(grad_output.shape());
            Zip::from(&mut full).and(grad_output).and(&a_b).and(&b_b).and(output).for_each(
                |d, &g, &a, &b, &y| {
                    *d = g * pick(self.0.partials(a, b, y));
                },
            );
            to_operand(full, shape)
        };
        grads([wanted[0].then(|| grad(|p| p.0, a.shape())), wanted[1].then(|| grad(|p| p.1, b.shape()))])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let shape = super::broadcast_shape(inputs[0].shape(), inputs[1].shape())?;
        let a = inputs[0].broadcast(IxDyn(&shape))?;
        let b = inputs[1].broadcast(IxDyn(&shape))?;
        a.iter().zip(b.iter()).map(|(&a, &b)| self.0.branch(a, b)).collect()
    }
    fn forward_scalar(&self, inputs: &[T]) -> Option<T> {
        Some(self.0.value(inputs[0], inputs[1]))
    }
    fn backward_scalar(&self, inputs: &[T], output: T, grad_output: T) -> Option<ScalarGrads<T>> {
        let (da, db) = self.0.partials(inputs[0], inputs[1], output);
        Some(ScalarGrads::from_buf([grad_output * da, grad_output * db]))
    }

    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let (a, b) = (inputs[0], inputs[1]);
        let (shape_a, shape_b) = (a.shape(), b.shape());
        if let Some((da, db)) = self.0.constant_partials() {
            // + and −: the gradients are ∂L/∂y itself, scaled, with no partials to record.
            let scaled = |d: T| if d == T::one() { grad_output } else { grad_output.mul_scalar(d) };
            return Some(grads([Some(scaled(da).sum_to(&shape_a)), Some(scaled(db).sum_to(&shape_b))]));
        }
        let (da, db) = if self.0.piecewise_linear() {
            let (da, db) = a.with_value(|av| {
                b.with_value(|bv| {
                    y.with_value(|yv| {
                        let shape = yv.shape();
                        let (av, bv) = (av.broadcast(shape)?, bv.broadcast(shape)?);
                        let da = crate::kernels::map3(&av, &bv, yv, |a, b, y| self.0.partials(a, b, y).0);
                        let db = crate::kernels::map3(&av, &bv, yv, |a, b, y| self.0.partials(a, b, y).1);
                        Some((da, db))
                    })
                })
            })?;
            (y.tape().constant(da), y.tape().constant(db))
        } else {
            self.0.partials_var(a, b, y)?
        };
        Some(grads([Some((grad_output * da).sum_to(&shape_a)), Some((grad_output * db).sum_to(&shape_b))]))
    }
}
