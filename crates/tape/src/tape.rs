//! The tape: a Wengert list of recorded operations, in creation (= topological) order.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArrayBase, ArrayViewD, Data, Dimension};
use smallvec::SmallVec;

use crate::params::{KeyRef, ParamKey, TapeRegistry};
use crate::store::{OpRef, Origin, Store};
use crate::{Anomaly, Float, Op, Pass, Value, Var};

/// Gives every tape a distinct id, so a [`VarId`](crate::VarId) from one tape is never
/// mistaken for a node of another.
static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(1);

/// The 0-d inputs of a one- or two-input op as bare numbers: the scalar fast path's
/// arguments, gathered without allocating or iterator machinery.
pub(crate) struct ScalarArgs<T> {
    values: [T; 2],
    len: usize,
}

impl<T: Float> ScalarArgs<T> {
    /// `Some` when there are one or two inputs and every one is 0-d.
    pub(crate) fn gather(store: &Store<T>, inputs: &[usize]) -> Option<Self> {
        match *inputs {
            [a] => Some(ScalarArgs { values: [store.scalar(a)?, T::zero()], len: 1 }),
            [a, b] => Some(ScalarArgs { values: [store.scalar(a)?, store.scalar(b)?], len: 2 }),
            _ => None,
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.values[..self.len]
    }
}

/// How a node entered the tape.
///
/// ```
/// use tapegrad_tape::{NodeKind, Tape};
/// let w = ndarray::array![1.0];
/// let tape = Tape::new();
/// assert_eq!(tape.param(&w).kind(), NodeKind::Param);
/// assert_eq!(tape.scalar(1.0).kind(), NodeKind::Constant);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A leaf that wants a gradient ([`Tape::var`]).
    Var,
    /// A leaf borrowed from a model that wants a gradient ([`Tape::param`]).
    Param,
    /// A leaf with no gradient ([`Tape::constant`], [`Var::detach`]).
    Constant,
    /// The result of an operation.
    Op,
}

/// Records operations on n-d arrays as they run, then differentiates them in reverse.
///
/// Creation order is a topological order, so [`backward`](Tape::backward) is one reverse
/// loop over the recorded nodes. Values enter as [`var`](Tape::var) (wants a gradient),
/// [`param`](Tape::param) (borrowed from your model, wants a gradient, no copy) or
/// [`constant`](Tape::constant); every op on a [`Var`] appends one node. Gradients come
/// back in a separate [`Grads`](crate::Grads) store that outlives the tape.
///
/// The lifetime `'t` is how long the tape may borrow parameter arrays: drop the tape (or
/// just stop using its `Var`s) before you update the parameters in place.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::Tape;
///
/// let w = array![[0.5, -1.0], [2.0, 1.0]];        // owned by "the model"
/// let tape = Tape::new();
/// let x = tape.constant(array![[1.0, 2.0]]);
/// let w_var = tape.param(&w);                     // borrowed, not copied
/// let loss = x.matmul(&w_var).relu().sum();       // relu([4.5, 1.0]) summed = 5.5
/// assert_eq!(loss.item(), 5.5);
/// let grads = tape.backward(loss);
/// // ∂loss/∂W = xᵀ · 1[xW > 0] = [[1, 1], [2, 2]]
/// assert_eq!(grads.param(&w).unwrap(), &array![[1.0, 1.0], [2.0, 2.0]].into_dyn());
/// ```
pub struct Tape<'t, T: Float> {
    pub(crate) id: u64,
    pub(crate) nodes: RefCell<Store<T>>,
    /// Each borrowed parameter's identity and node, so the same array registered twice
    /// is one node and [`Grads::param`](crate::Grads::param) can find it.
    pub(crate) params: RefCell<TapeRegistry<T>>,
    grad_enabled: Cell<bool>,
    /// Parameters frozen on this tape ([`Tape::freeze`]): recorded without a gradient.
    frozen: RefCell<Vec<ParamKey>>,
    /// Names given to values ([`Var::named`]), by node, for traces and graphs.
    pub(crate) labels: RefCell<std::collections::BTreeMap<usize, String>>,
    /// Whether values and gradients are checked for NaN and infinity as they are made.
    pub(crate) detecting: Cell<bool>,
    /// The first anomaly found while detecting.
    pub(crate) anomaly: RefCell<Option<Anomaly>>,
    /// While a backward pass is recorded ([`Tape::grad`] with `create_graph`): the line of
    /// the op whose derivative is being recorded, given to the ops that record it instead
    /// of the line inside tapegrad that calls them, so traces and anomalies point at the
    /// user's code.
    pub(crate) recording_for: Cell<Option<&'static Location<'static>>>,
    /// The nodes a recorded backward pass made, as runs `(first, end, of)`: nodes
    /// `first..end` record the derivative of node `of` (the HTML page draws them as a
    /// second layer). Empty unless [`Tape::grad`] ran with `create_graph`.
    pub(crate) derivatives: RefCell<Vec<(usize, usize, usize)>>,
    /// The parameters and inputs the store borrows live for `'t` (invariant, as a
    /// `RefCell<&'t _>` would be).
    borrows: PhantomData<Cell<&'t ()>>,
}

impl<'t, T: Float> Default for Tape<'t, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'t, T: Float> Tape<'t, T> {
    /// An empty tape that records operations for backward.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// assert!(tape.is_empty());
    /// ```
    pub fn new() -> Self {
        Tape {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            nodes: RefCell::new(Store::new()),
            params: RefCell::new(TapeRegistry::new()),
            grad_enabled: Cell::new(true),
            frozen: RefCell::new(Vec::new()),
            labels: RefCell::new(std::collections::BTreeMap::new()),
            detecting: Cell::new(false),
            recording_for: Cell::new(None),
            derivatives: RefCell::new(Vec::new()),
            anomaly: RefCell::new(None),
            borrows: PhantomData,
        }
    }

    /// A tape for inference: ops compute their values but record no op, no inputs and
    /// no gradient requirement (nodes hold only their values, so `Var`s can be read).
    /// `backward` on it returns an empty [`Grads`](crate::Grads).
    ///
    /// ```
    /// use ndarray::array;
    /// let w = array![1.0, 2.0];
    /// let tape = tapegrad_tape::Tape::inference();
    /// let y = (tape.param(&w) * 3.0).sum();
    /// assert_eq!(y.item(), 9.0);
    /// assert!(!y.requires_grad());
    /// ```
    pub fn inference() -> Self {
        let tape = Self::new();
        tape.grad_enabled.set(false);
        tape
    }

    /// Runs `f` with recording switched off on this tape (like `torch.no_grad()`), then
    /// switches it back to what it was, even if `f` panics. Values made inside are
    /// constants: no gradient flows through them.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let frozen = tape.no_grad(|| x.exp());
    /// assert!(!frozen.requires_grad());
    /// assert!(x.exp().requires_grad());
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a>(&'a Cell<bool>, bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.set(self.1);
            }
        }
        let _restore = Restore(&self.grad_enabled, self.grad_enabled.replace(false));
        f()
    }

    /// Switches anomaly detection on or off (off by default, like PyTorch's
    /// `set_detect_anomaly`). While on, every value recorded is checked as it is made and
    /// every gradient as backward makes it; the first NaN or infinity made from finite
    /// inputs (or brought in by a leaf) is kept as an [`Anomaly`] naming the op, its node,
    /// the line that recorded it, the input shapes and the pass: read it with
    /// [`anomaly`](Tape::anomaly), or get it as an error from
    /// [`try_backward`](Tape::try_backward). The checks read every element, so leave it
    /// off except to find where a NaN starts; off, it costs one flag read per op.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// tape.detect_anomalies(true);
    /// let x = tape.var(array![1.0f32, 1000.0]);
    /// let loss = x.exp().sum(); // e¹⁰⁰⁰ overflows f32
    /// let err = tape.try_backward(loss).unwrap_err();
    /// assert!(err.to_string().starts_with("forward pass: exp (node 1, recorded at"), "{err}");
    /// ```
    pub fn detect_anomalies(&self, on: bool) {
        self.detecting.set(on);
    }

    /// The first anomaly found since detection was switched on (see
    /// [`detect_anomalies`](Tape::detect_anomalies)), if any.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f64>::new();
    /// tape.detect_anomalies(true);
    /// let x = tape.var(ndarray::array![0.0]);
    /// let _ = x.div(&x); // 0 / 0
    /// assert_eq!(tape.anomaly().unwrap().op, "div");
    /// ```
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.anomaly.borrow().clone()
    }

    /// Records `anomaly` unless an earlier one was found.
    #[cold]
    #[inline(never)]
    pub(crate) fn note_anomaly(&self, anomaly: Anomaly) {
        self.anomaly.borrow_mut().get_or_insert(anomaly);
    }

    /// The forward check of node `index` (made by `op` from `inputs`), when detecting.
    #[cold]
    #[inline(never)]
    fn check_forward(&self, nodes: &Store<T>, op: &'static str, index: usize, inputs: &[usize]) {
        if self.anomaly.borrow().is_some() {
            return;
        }
        let Some((position, value)) = crate::anomaly::first_non_finite(&nodes.view(index)) else { return };
        let views: SmallVec<[ArrayViewD<'_, T>; 3]> = inputs.iter().map(|&i| nodes.view(i)).collect();
        if !crate::anomaly::all_finite(&views) {
            return; // not where it started
        }
        self.note_anomaly(Anomaly {
            pass: Pass::Forward,
            op,
            node: index,
            site: nodes[index].site,
            input_shapes: views.iter().map(|v| v.shape().to_vec()).collect(),
            input: None,
            position,
            value,
        });
    }

    /// Whether ops recorded now will be differentiable (false inside
    /// [`no_grad`](Tape::no_grad) and on an [`inference`](Tape::inference) tape).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f64>::new();
    /// assert!(tape.is_grad_enabled());
    /// assert!(!tape.no_grad(|| tape.is_grad_enabled()));
    /// ```
    pub fn is_grad_enabled(&self) -> bool {
        self.grad_enabled.get()
    }

    /// Number of recorded nodes (leaves included).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// let _y = x.exp().log();
    /// assert_eq!(tape.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether nothing has been recorded yet.
    ///
    /// ```
    /// assert!(tapegrad_tape::Tape::<f32>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A leaf that wants a gradient, from an owned array (of any dimension), a view or
    /// `&array` (both borrow, no copy). Use it for inputs you differentiate with respect to.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0f32, 2.0]]);
    /// assert_eq!(x.shape(), vec![1, 2]);
    /// assert!(x.requires_grad());
    /// ```
    #[track_caller]
    pub fn var(&'t self, value: impl Into<Value<'t, T>>) -> Var<'t, T> {
        let grad = self.is_grad_enabled();
        self.push_leaf(value.into(), grad, NodeKind::Var)
    }

    /// A leaf with no gradient (data, targets, fixed masks), from an owned array, a
    /// view or `&array`. It costs no gradient work in backward.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let data = ndarray::array![1.0, 2.0];
    /// let x = tape.constant(data.view());
    /// assert!(!x.requires_grad());
    /// ```
    #[track_caller]
    pub fn constant(&'t self, value: impl Into<Value<'t, T>>) -> Var<'t, T> {
        self.push_leaf(value.into(), false, NodeKind::Constant)
    }

    /// A 0-d constant.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// assert_eq!(tape.scalar(2.5f32).item(), 2.5);
    /// ```
    #[track_caller]
    pub fn scalar(&'t self, value: T) -> Var<'t, T> {
        self.push_scalar_leaf(value, false, NodeKind::Constant)
    }

    /// A model parameter, borrowed for the tape's lifetime (never copied). Registering
    /// the same array twice gives the same `Var`, and after backward its gradient is
    /// found with [`Grads::param`](crate::Grads::param) by the array itself.
    ///
    /// ```
    /// use ndarray::array;
    /// let b = array![0.5, -0.5];
    /// let tape = tapegrad_tape::Tape::new();
    /// let b1 = tape.param(&b);
    /// let b2 = tape.param(&b);
    /// assert_eq!(b1.id(), b2.id());
    /// let grads = tape.backward((b1 * b2).sum());
    /// // d/db Σ b² = 2b
    /// assert_eq!(grads.param(&b).unwrap(), &array![1.0, -1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn param<S, D>(&'t self, array: &'t ArrayBase<S, D>) -> Var<'t, T>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        // The array object itself first (borrowed for 't, it cannot move or change), then,
        // in `param_by_key`, its data and layout (another view of the same parameter).
        let object = array as *const ArrayBase<S, D> as usize;
        let by_object = self.params.borrow().get().find_object(object);
        match by_object {
            Some((entry, index)) => self.known_param(array, entry, index),
            None => self.param_by_key(array, object),
        }
    }

    /// [`param`](Tape::param) for an array object not seen on this tape: found by its
    /// data and layout, or registered. Out of line, and the key built once and moved
    /// into the registry: copies of it through temporaries stalled store forwarding, a
    /// quarter of a scalar graph's parameter time.
    #[inline(never)]
    #[track_caller]
    fn param_by_key<S, D>(&'t self, array: &'t ArrayBase<S, D>, object: usize) -> Var<'t, T>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let key = KeyRef::of(array);
        let found = self.params.borrow().get().find_key(&key);
        if let Some((entry, index)) = found {
            self.params.borrow_mut().get_mut().set_object(object, entry);
            return self.known_param(array, entry, index);
        }
        let grad = self.is_grad_enabled() && !self.is_frozen(&key);
        let var = match (array.ndim(), array.first()) {
            // A 0-d parameter is recorded as its number, without building a view.
            (0, Some(&value)) => self.push_scalar_leaf(value, grad, NodeKind::Param),
            _ => self.push_leaf(array.into(), grad, NodeKind::Param),
        };
        self.params.borrow_mut().get_mut().insert(key, var.index, object);
        var
    }

    /// A registered parameter's node, reused unless it was registered under `no_grad`
    /// and a gradient is wanted now: then a differentiable node replaces it from here on
    /// (unless the parameter is frozen).
    #[inline(always)]
    #[track_caller]
    fn known_param<S, D>(&'t self, array: &'t ArrayBase<S, D>, entry: usize, index: usize) -> Var<'t, T>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let grad = self.is_grad_enabled();
        if !grad || self.nodes.borrow()[index].requires_grad || self.is_frozen(&KeyRef::of(array)) {
            return Var::new(self, index);
        }
        let var = self.push_leaf(array.into(), grad, NodeKind::Param);
        self.params.borrow_mut().get_mut().set_node(entry, var.index);
        var
    }

    /// Freezes a parameter on this tape: its uses recorded from now on are leaves without
    /// a gradient, so backward computes none for it and every optimizer's `step` leaves it
    /// untouched (a parameter without a gradient is skipped), while gradients still flow
    /// through it to everything before it. PyTorch's `param.requires_grad_(False)`, for
    /// one tape; `tapegrad_nn::Frozen` freezes a whole module this way.
    ///
    /// The parameter is identified as [`param`](Tape::param) identifies it (its data and
    /// layout), so a view of it freezes it too. Freeze before the parameter's first use on
    /// the tape: a use recorded earlier keeps its gradient.
    ///
    /// ```
    /// use ndarray::array;
    /// let (w, b) = (array![2.0, 3.0], array![1.0, 1.0]);
    /// let tape = tapegrad_tape::Tape::new();
    /// tape.freeze(&w.view());
    /// let x = tape.var(array![1.0, 1.0]);
    /// let y = ((x * tape.param(&w)) + tape.param(&b)).sum();
    /// let grads = tape.backward(y);
    /// assert!(grads.param(&w).is_none());                           // frozen
    /// assert_eq!(grads.param(&b).unwrap(), &array![1.0, 1.0].into_dyn());
    /// assert_eq!(grads.get(x).unwrap(), &array![2.0, 3.0].into_dyn()); // flows through w
    /// ```
    pub fn freeze<S, D>(&self, array: &ArrayBase<S, D>)
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let key = KeyRef::of(array);
        if !key.is_empty() {
            self.frozen.borrow_mut().push(key.to_key());
        }
    }

    /// Whether the parameter with this key was frozen on this tape.
    fn is_frozen(&self, key: &KeyRef<'_>) -> bool {
        let frozen = self.frozen.borrow();
        !frozen.is_empty() && frozen.iter().any(|frozen| frozen.matches(key))
    }

    #[track_caller]
    fn push_leaf(&'t self, value: Value<'t, T>, requires_grad: bool, kind: NodeKind) -> Var<'t, T> {
        let origin = Origin::leaf(requires_grad, kind, Location::caller());
        // SAFETY: a borrowed value lives for `'t`, and the store is read only through this
        // tape, which needs `'t` (see `Store::views`).
        let mut nodes = self.nodes_mut("a leaf (var, param or constant)");
        let index = unsafe { nodes.push(value, &[], origin) };
        self.leaf_pushed(nodes, kind, index)
    }

    /// [`push_leaf`](Tape::push_leaf) for a bare number: no [`Value`] built and copied
    /// (copying that enum, written as a number and read back as an array's words, stalled
    /// store forwarding in every scalar leaf).
    #[track_caller]
    fn push_scalar_leaf(&'t self, value: T, requires_grad: bool, kind: NodeKind) -> Var<'t, T> {
        let origin = Origin::leaf(requires_grad, kind, Location::caller());
        let mut nodes = self.nodes_mut("a leaf (var, param or constant)");
        let index = nodes.push_scalar(value, &[], origin);
        self.leaf_pushed(nodes, kind, index)
    }

    /// The checks after a leaf is recorded, and its `Var`.
    #[inline(always)]
    fn leaf_pushed(
        &'t self,
        nodes: std::cell::RefMut<'_, Store<T>>,
        kind: NodeKind,
        index: usize,
    ) -> Var<'t, T> {
        if self.detecting.get() {
            let kind = match kind {
                NodeKind::Constant => "constant",
                NodeKind::Param => "param",
                _ => "var",
            };
            self.check_forward(&nodes, kind, index, &[]);
        }
        Var::new(self, index)
    }

    /// The node list, to record into. Panics with a message that says what went wrong when
    /// a value of this tape is being read at the same time (`Var::with_value`'s closure
    /// recording an op), instead of `RefCell`'s "already borrowed".
    #[inline(always)]
    #[track_caller]
    pub(crate) fn nodes_mut(&self, recording: &str) -> std::cell::RefMut<'_, Store<T>> {
        match self.nodes.try_borrow_mut() {
            Ok(nodes) => nodes,
            Err(_) => recording_while_reading(recording, Location::caller()),
        }
    }

    /// Records `op` applied to `inputs` and returns its output. This is how every op
    /// method on [`Var`] is built, and how you add your own [`Op`].
    ///
    /// # Panics
    /// If an input belongs to another tape, or the op's
    /// [`check_shapes`](Op::check_shapes) rejects the input shapes; the message names the
    /// op, the shapes and the caller's line (`add: shapes [1, 3] and [2] do not
    /// broadcast … (at src/main.rs:12:9)`), and the panic points at that line too.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![1.0, 2.0]);
    /// let b = tape.var(array![3.0, 4.0]);
    /// let c = &a * &b; // the same as tape.apply(<the mul op>, &[a, b])
    /// assert_eq!(c.value(), array![3.0, 8.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn apply(&'t self, op: impl Op<T>, inputs: &[Var<'t, T>]) -> Var<'t, T> {
        for input in inputs {
            assert!(
                std::ptr::eq(input.tape, self),
                "{}: an input Var belongs to another tape (node {} of tape {}, this is tape {})",
                op.name(),
                input.index,
                input.tape.id,
                self.id
            );
        }
        // (`Location::caller` in a closure would name the closure, not the caller.)
        let caller = Location::caller();
        let site = self.recording_for.get().unwrap_or(caller);
        let recorded = self.is_grad_enabled();
        // The scalar fast path: one or two 0-d inputs and an op that computes on bare
        // numbers. Kept apart from the array path so that its frame stays small.
        if let [first, rest @ ..] = inputs {
            if rest.len() <= 1 {
                let pair = [first.index, rest.first().map_or(0, |v| v.index)];
                let indices = &pair[..inputs.len()];
                let mut nodes = self.nodes_mut(op.name());
                let scalars = ScalarArgs::gather(&nodes, indices);
                if let Some(y) = scalars.and_then(|s| op.forward_scalar(s.as_slice())) {
                    let edges: &[usize] = if recorded { indices } else { &[] };
                    let requires_grad = recorded && edges.iter().any(|&i| nodes[i].requires_grad);
                    let name = op.name();
                    let op = if recorded { OpRef::new(op) } else { OpRef::None };
                    let index =
                        nodes.push_scalar(y, edges, Origin { op, requires_grad, kind: NodeKind::Op, site });
                    if self.detecting.get() {
                        self.check_forward(&nodes, name, index, indices);
                    }
                    return Var::new(self, index);
                }
            }
        }
        self.apply_arrays(op, inputs, recorded, site)
    }

    /// [`apply`](Tape::apply) for array values (or ops without a scalar form).
    #[inline(never)]
    #[track_caller]
    fn apply_arrays(
        &'t self,
        op: impl Op<T>,
        inputs: &[Var<'t, T>],
        recorded: bool,
        site: &'static Location<'static>,
    ) -> Var<'t, T> {
        // The inputs' indices on the stack (see `store::on_stack`; not through it, whose
        // closure would hide this caller from the shape check's panic).
        let pair: [usize; 2];
        let many: SmallVec<[usize; 4]>;
        let indices: &[usize] = match inputs {
            [a] => {
                pair = [a.index, 0];
                &pair[..1]
            }
            [a, b] => {
                pair = [a.index, b.index];
                &pair
            }
            _ => {
                many = inputs.iter().map(|v| v.index).collect();
                &many
            }
        };
        let mut nodes = self.nodes_mut(op.name());
        let requires_grad = recorded && indices.iter().any(|&i| nodes[i].requires_grad);
        let value = nodes.with_views(indices, |views| {
            crate::store::on_stack(views, |v| v.shape(), |shapes| op.check_shapes(shapes))
                .map(|()| op.forward(views))
        });
        let value = match value {
            Ok(value) => value,
            Err(message) => panic!("{}: {} (at {})", op.name(), message, site),
        };
        let edges: &[usize] = if recorded { indices } else { &[] };
        let name = op.name();
        let op = if recorded { OpRef::new(op) } else { OpRef::None };
        // SAFETY: an op's output is owned; nothing borrowed is stored.
        let index = unsafe {
            nodes.push(value.into(), edges, Origin { op, requires_grad, kind: NodeKind::Op, site })
        };
        if self.detecting.get() {
            self.check_forward(&nodes, name, index, indices);
        }
        Var::new(self, index)
    }
}

/// The panic of [`Tape::nodes_mut`], kept out of line.
#[cold]
#[inline(never)]
fn recording_while_reading(recording: &str, site: &Location<'_>) -> ! {
    panic!(
        "{recording}: cannot record on the tape while one of its values is being read \
         (inside the closure of `Var::with_value`); read a copy with `var.value()` first, or \
         record after the closure returns (at {site})"
    )
}
