//! Reductions over all elements or over chosen axes: `sum`, `mean`, `max`, `min`.
//! (`log_sum_exp` lives with softmax.)
//!
//! Every reduction takes `axes` and `keep_dims`: with `keep_dims` the reduced axes stay
//! as length 1 (so the result broadcasts against the input), without it they are removed.
//! The whole-tensor forms (`sum()`, `mean()`, …) return a 0-d value.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use smallvec::SmallVec;

use super::{grads, InputGrads, Op, VarGrads};
use super::{linear_tangent_batch_rule, linear_tangent_rule};
use crate::kernels::{copy, map2, zip_broadcast};
use crate::{pool, Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Sum of all elements, as a 0-d value. `∂L/∂x = ∂L/∂y` at every element.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.sum().item(), 10.0);
    /// ```
    #[track_caller]
    pub fn sum(&self) -> Var<'t, T> {
        self.sum_axes(&self.all_axes(), false)
    }

    /// Sum over `axes`. `∂L/∂x = ∂L/∂y` broadcast back over the summed axes.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.sum_axes(&[1], false).value(), array![3.0, 7.0].into_dyn());
    /// assert_eq!(x.sum_axes(&[0], true).value(), array![[4.0, 6.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn sum_axes(&self, axes: &[usize], keep_dims: bool) -> Var<'t, T> {
        self.tape.apply(Sum(ReducedAxes::new(axes, keep_dims)), &[*self])
    }

    /// Sums broadcast axes away so the result has `shape` (PyTorch's `sum_to_size`): the
    /// leading axes `shape` lacks, and the axes where `shape` has length 1. The gradient
    /// of a broadcast is this. `∂L/∂x = ∂L/∂y` broadcast back to `x`'s shape.
    ///
    /// # Panics
    /// If `shape` is not one that `x`'s shape broadcasts from (NumPy's rules, backwards).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.sum_to(&[1, 2]).value(), array![[4.0, 6.0]].into_dyn());
    /// assert_eq!(x.sum_to(&[2]).value(), array![4.0, 6.0].into_dyn());
    /// assert_eq!(x.sum_to(&[2, 2]).value(), x.value());
    /// ```
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Var<'t, T> {
        let own = self.shape();
        if own == shape {
            return *self;
        }
        assert!(
            own.len() >= shape.len()
                && own.iter().rev().zip(shape.iter().rev()).all(|(&o, &s)| o == s || s == 1),
            "sum_to: shape {own:?} does not reduce to {shape:?}"
        );
        let lead = own.len() - shape.len();
        let mut axes: Vec<usize> = (0..lead).collect();
        axes.extend(
            shape
                .iter()
                .enumerate()
                .filter(|&(i, &len)| len == 1 && own[lead + i] != 1)
                .map(|(i, _)| lead + i),
        );
        self.sum_axes(&axes, true).reshape(shape)
    }

    /// Mean of all elements (composed: `sum() / n`). `∂L/∂x = ∂L/∂y / n`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 2.0, 6.0]);
    /// assert_eq!(x.mean().item(), 3.0);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Var<'t, T> {
        self.mean_axes(&self.all_axes(), false)
    }

    /// Mean over `axes` (composed: `sum_axes / count`). `∂L/∂x = ∂L/∂y / count`.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 3.0], [5.0, 7.0]]);
    /// assert_eq!(x.mean_axes(&[0], false).value(), ndarray::array![3.0, 5.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn mean_axes(&self, axes: &[usize], keep_dims: bool) -> Var<'t, T> {
        let count: usize = self.with_value(|x| axes.iter().filter_map(|&a| x.shape().get(a)).product());
        self.sum_axes(axes, keep_dims).mul_scalar(T::one() / T::from_f64(count as f64))
    }

    /// Largest element, as a 0-d value. The gradient goes to the largest element; when
    /// several elements tie for largest, it is split evenly among them (each gets
    /// `∂L/∂y / k` for `k` ties), like PyTorch's `amax`. A NaN element makes it NaN.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 3.0, 3.0]);
    /// let grads = tape.backward(x.max());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![0.0, 0.5, 0.5].into_dyn());
    /// assert!(tape.constant(ndarray::array![1.0, f64::NAN]).max().item().is_nan());
    /// ```
    #[track_caller]
    pub fn max(&self) -> Var<'t, T> {
        self.max_axes(&self.all_axes(), false)
    }

    /// Largest element over `axes`; ties share the gradient evenly (see [`max`](Var::max)).
    ///
    /// # Panics
    /// If an axis is out of range or repeated, or a reduced axis has length 0.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 5.0], [4.0, 2.0]]);
    /// assert_eq!(x.max_axes(&[1], false).value(), ndarray::array![5.0, 4.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn max_axes(&self, axes: &[usize], keep_dims: bool) -> Var<'t, T> {
        self.tape.apply(ReduceExtremum { reduction: ReducedAxes::new(axes, keep_dims), max: true }, &[*self])
    }

    /// Smallest element, as a 0-d value; ties share the gradient evenly.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![4.0, -1.0]);
    /// assert_eq!(x.min().item(), -1.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Var<'t, T> {
        self.min_axes(&self.all_axes(), false)
    }

    /// Smallest element over `axes`; ties share the gradient evenly.
    ///
    /// # Panics
    /// If an axis is out of range or repeated, or a reduced axis has length 0.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 5.0], [4.0, 2.0]]);
    /// assert_eq!(x.min_axes(&[0], true).value(), ndarray::array![[1.0, 2.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn min_axes(&self, axes: &[usize], keep_dims: bool) -> Var<'t, T> {
        self.tape.apply(ReduceExtremum { reduction: ReducedAxes::new(axes, keep_dims), max: false }, &[*self])
    }
}

impl<T: Float> Var<'_, T> {
    /// The position of the largest element along `axis` (PyTorch's `argmax(dim)`): an
    /// array of `x`'s shape without that axis, each entry its lane's index of the maximum
    /// — the first when several tie, the first NaN when the lane has one (where
    /// [`max_axes`](Var::max_axes) is NaN). An index has no derivative, so it is plain
    /// numbers, not a `Var`; [`select`](Var::select) or [`gather`](Var::gather) with it,
    /// and the gradient flows through the selection to the chosen elements.
    ///
    /// # Panics
    /// If `axis` is out of range or has length 0; the message names the shape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 5.0, 5.0], [4.0, 2.0, 0.0]]);
    /// assert_eq!(x.argmax(1), array![1, 0].into_dyn());
    /// assert_eq!(x.argmax(0), array![1, 0, 0].into_dyn());
    /// // Each row's largest element, picked by `gather`, and the gradient through it.
    /// let best = x.argmax(1);
    /// let picked = x.gather(1, &best.insert_axis(ndarray::Axis(1))).unwrap(); // [[5], [4]]
    /// let grads = tape.backward(picked.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn argmax(&self, axis: usize) -> ArrayD<usize> {
        self.arg_extreme("argmax", axis, |v, best| v > best)
    }

    /// The position of the smallest element along `axis` (PyTorch's `argmin(dim)`): as
    /// [`argmax`](Var::argmax), the first of ties, the first NaN of a lane with one.
    ///
    /// # Panics
    /// If `axis` is out of range or has length 0; the message names the shape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let distances = tape.constant(array![[4.0, 1.0, 9.0], [0.5, 2.0, 0.5]]);
    /// assert_eq!(distances.argmin(1), array![1, 0].into_dyn());
    /// assert_eq!(tape.constant(array![3.0, f64::NAN, -1.0]).argmin(0), ndarray::arr0(1).into_dyn());
    /// ```
    #[track_caller]
    pub fn argmin(&self, axis: usize) -> ArrayD<usize> {
        self.arg_extreme("argmin", axis, |v, best| v < best)
    }

    /// The index along `axis` of each lane's first element that `beats` every earlier one
    /// (a NaN beats everything and stops the lane).
    #[track_caller]
    fn arg_extreme(&self, op: &str, axis: usize, beats: impl Fn(T, T) -> bool) -> ArrayD<usize> {
        let shape = self.shape();
        assert!(axis < shape.len(), "{op}: axis {axis} is out of range for shape {shape:?}");
        assert!(shape[axis] > 0, "{op}: axis {axis} of shape {shape:?} has length 0");
        // Without branches on the numbers (selects, not jumps): which element wins is
        // random in data like k-means' distances, and mispredicted jumps had made finding
        // the nearest of ten centroids a sixth of k-means' Newton step.
        fn first<T: Float>(mut lane: impl Iterator<Item = T>, beats: &impl Fn(T, T) -> bool) -> usize {
            let (mut best, mut extreme) = (0, lane.next().expect("a lane of positive length"));
            for (i, v) in lane.enumerate() {
                let take = !extreme.is_nan() & (v.is_nan() | beats(v, extreme));
                best = if take { i + 1 } else { best };
                extreme = if take { v } else { extreme };
            }
            best
        }
        self.with_value(|x| match x.as_slice() {
            // Rows of a standard-layout array straight from the slice (ndarray's lanes
            // over `IxDyn` cost about 240 instructions each).
            Some(data) if axis + 1 == shape.len() => {
                let indices =
                    data.chunks_exact(shape[axis]).map(|row| first(row.iter().copied(), &beats)).collect();
                ArrayD::from_shape_vec(IxDyn(&shape[..axis]), indices).expect("one index per row")
            }
            _ => x.map_axis(Axis(axis), |lane| first(lane.iter().copied(), &beats)),
        })
    }

    /// `[0, 1, …, ndim − 1]`: the axes a whole-tensor reduction runs over.
    pub(crate) fn all_axes(&self) -> SmallVec<[usize; 4]> {
        (0..self.ndim()).collect()
    }
}

/// Which axes a reduction runs over, and whether they are kept as length 1.
#[derive(Clone, Debug)]
pub(crate) struct ReducedAxes {
    /// Sorted ascending.
    pub(crate) axes: SmallVec<[usize; 4]>,
    pub(crate) keep_dims: bool,
}

impl ReducedAxes {
    pub(crate) fn new(axes: &[usize], keep_dims: bool) -> Self {
        let mut axes: SmallVec<[usize; 4]> = SmallVec::from_slice(axes);
        axes.sort_unstable();
        ReducedAxes { axes, keep_dims }
    }

    pub(crate) fn describe(&self) -> String {
        format!("axes={:?}, keep_dims={}", self.axes, self.keep_dims)
    }

    pub(crate) fn check(&self, shape: &[usize]) -> Result<(), String> {
        if self.axes.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("axes {:?} repeat an axis", self.axes));
        }
        match self.axes.last() {
            Some(&axis) if axis >= shape.len() => {
                Err(format!("axis {axis} out of range for shape {shape:?}"))
            }
            _ => Ok(()),
        }
    }

    /// The input shape with every reduced axis set to 1.
    pub(crate) fn kept_shape(&self, shape: &[usize]) -> Vec<usize> {
        let mut kept = shape.to_vec();
        for &axis in &self.axes {
            kept[axis] = 1;
        }
        kept
    }

    /// Folds `x` over the reduced axes with `fold(accumulated, element)` from `init`,
    /// keeping them as length 1.
    ///
    /// Each axis is folded the way its layout favours: along contiguous lanes when it is
    /// the last axis or longer than what remains (a whole vector, a row's maximum), across
    /// whole sub-arrays otherwise (a column's, where each step is a vectorised row). One
    /// element at a time across sub-arrays, ndarray's `fold_axis` over a vector's only
    /// axis, cost 70 ns an element.
    pub(crate) fn fold_kept<T: Float>(
        &self,
        x: &ArrayViewD<'_, T>,
        fold: impl Fn(T, T) -> T + Sync,
        init: T,
    ) -> ArrayD<T> {
        if self.axes.len() == x.ndim() {
            if let Some(data) = x.as_slice_memory_order() {
                let value = crate::kernels::fold_slice(data, init, &fold);
                return ArrayD::from_elem(IxDyn(&vec![1; x.ndim()]), value);
            }
        }
        let mut out: Option<ArrayD<T>> = None;
        for &axis in self.axes.iter().rev() {
            let source = out.as_ref().map_or_else(|| x.view(), |o| o.view());
            let len = source.len_of(Axis(axis));
            let rest = source.len() / len.max(1);
            let inner: usize = source.shape()[axis + 1..].iter().product();
            if let (Some(data), true) = (source.as_slice(), len > 0 && inner > 0) {
                // Contiguous: straight from the slice, not through ndarray's walk across
                // sub-arrays or the lanes its `map_axis` hands out.
                let mut kept = source.shape().to_vec();
                kept[axis] = 1;
                let mut reduced = crate::pool::scratch(&kept);
                let totals = reduced.as_slice_mut().expect("scratch arrays are standard layout");
                if inner == 1 {
                    // Along the last axis: a number per row (k-means' nearest of ten
                    // centroids for a thousand points; with the block broadcasts of
                    // `kernels::zip_broadcast`, GradBench's k-means cost at k = 10 went from
                    // 0.068–0.083 to 0.040–0.043 ms).
                    for (total, row) in totals.iter_mut().zip(data.chunks_exact(len)) {
                        *total = crate::kernels::fold_lanes(row, init, &fold);
                    }
                } else {
                    // With whole rows after the axis: fold row into row, each a vectorised
                    // pass (a mixture's sum over dimensions, its maximum over components).
                    for (total, block) in totals.chunks_exact_mut(inner).zip(data.chunks_exact(len * inner)) {
                        total.copy_from_slice(&block[..inner]);
                        for row in block[inner..].chunks_exact(inner) {
                            crate::kernels::update(total, row, &fold);
                        }
                    }
                }
                if let Some(previous) = out.take() {
                    crate::pool::recycle(previous);
                }
                out = Some(reduced);
                continue;
            }
            let reduced = if axis + 1 == source.ndim() || rest <= len {
                source.map_axis(Axis(axis), |lane| match lane.as_slice() {
                    Some(data) => crate::kernels::fold_lanes(data, init, &fold),
                    None => lane.iter().fold(init, |acc, &v| fold(acc, v)),
                })
            } else {
                source.fold_axis(Axis(axis), init, |&acc, &v| fold(acc, v))
            };
            out = Some(reduced.insert_axis(Axis(axis)));
        }
        out.unwrap_or_else(|| x.to_owned())
    }

    /// Removes the kept length-1 axes unless `keep_dims`.
    pub(crate) fn finish<T: Float>(&self, kept: ArrayD<T>) -> ArrayD<T> {
        if self.keep_dims {
            return kept;
        }
        let mut out = kept;
        for &axis in self.axes.iter().rev() {
            out = out.remove_axis(Axis(axis));
        }
        out
    }

    /// Views a reduced value (with or without kept dims, standard layout) with the kept
    /// dims present, ready to broadcast against the input.
    pub(crate) fn kept_view<'a, T: Float>(
        &self,
        reduced: &'a ArrayD<T>,
        input_shape: &[usize],
    ) -> ArrayViewD<'a, T> {
        let kept = self.kept_shape(input_shape);
        reduced.view().into_shape_with_order(IxDyn(&kept)).expect("reduced values are contiguous")
    }
}

/// `y = Σ_axes x`; `∂L/∂x = ∂L/∂y` broadcast over the summed axes.
pub(crate) struct Sum(pub(crate) ReducedAxes);
impl<T: Float> Op<T> for Sum {
    fn name(&self) -> &'static str {
        "sum"
    }
    fn rule(&self) -> Option<String> {
        Some("y = Σ x;  ∂L/∂x = ∂L/∂y, copied to every element that was summed".into())
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        self.0.check(shapes[0])
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        if self.0.axes.len() == x.ndim() && !self.0.keep_dims {
            let mut total = pool::scratch(&[]);
            total[[]] = super::sum_all(x);
            return total;
        }
        self.0.finish(self.0.fold_kept(x, |a, b| a + b, T::zero()))
    }
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Sum, _| Sum(ReducedAxes {
        axes: op.0.axes.iter().map(|&a| a + 1).collect(),
        keep_dims: op.0.keep_dims
    }));
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        if grad_output.ndim() == 0 {
            // A whole-tensor sum: every element gets ∂L/∂y.
            let mut grad_x = pool::scratch(x.shape());
            grad_x.fill(grad_output[[]]);
            return grads([Some(grad_x)]);
        }
        let grad_output = grad_output.as_standard_layout().into_owned();
        let grad_kept = self.0.kept_view(&grad_output, x.shape());
        grads([Some(grad_kept.broadcast(x.raw_dim()).expect("broadcasts").to_owned())])
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // The reduced axes back as length 1, then spread over the input's shape.
        let shape = inputs[0].shape();
        let kept: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(axis, &len)| if self.0.axes.contains(&axis) { 1 } else { len })
            .collect();
        Some(grads([Some(grad_output.reshape(&kept).broadcast_to(&shape))]))
    }
}

/// `y = max_axes x` (or min); `∂L/∂x = ∂L/∂y · 1[x = y] / (number of ties)`.
pub(crate) struct ReduceExtremum {
    pub(crate) reduction: ReducedAxes,
    pub(crate) max: bool,
}
impl ReduceExtremum {
    fn kept<T: Float>(&self, x: &ArrayViewD<'_, T>) -> ArrayD<T> {
        if self.max {
            self.reduction.fold_kept(x, Float::nan_max, T::neg_infinity())
        } else {
            self.reduction.fold_kept(x, Float::nan_min, T::infinity())
        }
    }

    /// Which elements of `x` are the extreme (1, else 0; `extreme` is the output with its
    /// kept dims) and how many share each output: backward, the recorded backward and
    /// the tangent all split among ties by these.
    fn hits_and_ties<T: Float>(
        &self,
        x: &ArrayViewD<'_, T>,
        extreme: &ArrayViewD<'_, T>,
    ) -> (ArrayD<T>, ArrayD<T>) {
        let hits = zip_broadcast(x, extreme, |v, m| if v == m { T::one() } else { T::zero() });
        let ties = self.reduction.fold_kept(&hits.view(), |a, b| a + b, T::zero());
        (hits, ties)
    }
}
impl<T: Float> Op<T> for ReduceExtremum {
    fn name(&self) -> &'static str {
        if self.max {
            "max"
        } else {
            "min"
        }
    }
    fn rule(&self) -> Option<String> {
        Some(
            if self.max {
                "y = max x;  ∂L/∂x = ∂L/∂y at the largest element (shared among ties), 0 elsewhere"
            } else {
                "y = min x;  ∂L/∂x = ∂L/∂y at the smallest element (shared among ties), 0 elsewhere"
            }
            .into(),
        )
    }
    fn describe(&self) -> String {
        self.reduction.describe()
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        self.reduction.check(shapes[0])?;
        match self.reduction.axes.iter().find(|&&a| shapes[0][a] == 0) {
            Some(axis) => Err(format!("cannot reduce over axis {axis} of length 0 in shape {:?}", shapes[0])),
            None => Ok(()),
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        self.reduction.finish(self.kept(x))
    }
    /// `ẏ = the mean of ẋ over the extreme elements` (ties share, as in backward).
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let (x, dx) = (&inputs[0], tangents[0].as_ref()?);
        let y = copy(y);
        let extreme = self.reduction.kept_view(&y, x.shape());
        let (hits, ties) = self.hits_and_ties(x, &extreme);
        let picked = map2(&hits.view(), dx, |h, t| if h == T::zero() { T::zero() } else { t });
        let total = self.reduction.fold_kept(&picked.view(), |a, b| a + b, T::zero());
        let shared = map2(&total.view(), &ties.view(), |s, k| s / k);
        for spent in [hits, ties, picked, total, y] {
            pool::recycle(spent);
        }
        Some(self.reduction.finish(shared))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        // The extreme elements (`x == y`, the output read back with its kept dims) share
        // each output's gradient: `∂L/∂x = hit · (∂L/∂y / ties)`, the same number as
        // `hit · ∂L/∂y / ties` since `hit` is 0 or 1. Each product broadcasts a kept-dims
        // array against `x` (`zip_broadcast` has the fast paths for that).
        let x = &inputs[0];
        let (y, grad_output) = (copy(y), copy(grad_output));
        let extreme = self.reduction.kept_view(&y, x.shape());
        let (hits, ties) = self.hits_and_ties(x, &extreme);
        let grad_kept = self.reduction.kept_view(&grad_output, x.shape());
        let share = map2(&grad_kept, &ties.view(), |g, k| g / k);
        let grad_x = zip_broadcast(&hits.view(), &share.view(), |h, q| h * q);
        for spent in [hits, ties, share, y, grad_output] {
            pool::recycle(spent);
        }
        grads([Some(grad_x)])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let x = &inputs[0];
        let extreme = self.kept(x);
        let extreme_b = extreme.broadcast(x.raw_dim())?;
        Some(x.iter().zip(extreme_b.iter()).map(|(&v, &m)| i8::from(v == m)).collect())
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // The gradient goes to the extreme elements, split among ties: a mask that is
        // constant wherever it is defined, so exact to any order. The extremes are the
        // output's own value (not folded again); the kept-dims gradient broadcasts in the
        // product, not materialised at the input's shape first.
        let x = inputs[0];
        let mask = x.with_value(|xv| {
            let extreme = y.with_value(copy);
            let (hits, ties) = self.hits_and_ties(xv, &self.reduction.kept_view(&extreme, xv.shape()));
            let mask = zip_broadcast(&hits.view(), &ties.view(), |h, k| h / k);
            for spent in [extreme, hits, ties] {
                pool::recycle(spent);
            }
            mask
        });
        let kept = self.reduction.kept_shape(&x.shape());
        Some(grads([Some(x.tape().constant(mask) * grad_output.reshape(&kept))]))
    }
}
