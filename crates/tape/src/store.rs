//! The tape's storage: its nodes, the arrays they own and the arrays they borrow, in lists
//! taken from the thread's workspace ([`crate::pool`]) and given back, buffers and all,
//! when the tape is dropped.
//!
//! A node refers to its value by index (or holds it, for a bare number), so a node is a
//! few words and no value is boxed. Values never change once recorded, so two nodes may
//! share one stored array (`detach`).

use std::ops::Index;
use std::panic::Location;

use ndarray::{ArrayD, ArrayViewD};

use crate::value::{scalar_view, Repr};
use crate::{pool, Float, NodeKind, Op, Value};

/// Where a node's value is: a bare number, or an index into the store's arrays or views.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored<T> {
    Scalar(T),
    Owned(u32),
    Borrowed(u32),
}

/// A recorded op. Ops without settings (`Relu`, `Binary(AddFn)`, …) take no memory, so
/// they are kept as a `'static` reference — nothing to free when the tape is dropped —
/// and the others in a `Box`.
pub(crate) enum OpRef<T: Float> {
    None,
    Static(&'static dyn Op<T>),
    Boxed(Box<dyn Op<T>>),
}

impl<T: Float> OpRef<T> {
    pub(crate) fn new<O: Op<T>>(op: O) -> Self {
        if size_of::<O>() == 0 && !std::mem::needs_drop::<O>() {
            // Leaking a zero-sized value allocates nothing and frees nothing.
            OpRef::Static(Box::leak(Box::new(op)))
        } else {
            OpRef::Boxed(Box::new(op))
        }
    }
}

/// One recorded value and how it was made.
pub(crate) struct Node<T: Float> {
    pub(crate) value: Stored<T>,
    /// The op that made it; none for leaves and for anything recorded without grad.
    op: OpRef<T>,
    /// Its inputs' indices: the first two here, and where more start in the store's edge
    /// list (ops with more than two inputs are rare: `affine`, `concat`).
    inputs: Inputs,
    /// Whether a gradient flows to this node (some leaf below it wants one).
    pub(crate) requires_grad: bool,
    pub(crate) kind: NodeKind,
    /// The user's source line that created it.
    pub(crate) site: &'static Location<'static>,
}

impl<T: Float> Node<T> {
    /// The op that made this node, if it was recorded.
    pub(crate) fn op(&self) -> Option<&dyn Op<T>> {
        match &self.op {
            OpRef::None => None,
            OpRef::Static(op) => Some(*op),
            OpRef::Boxed(op) => Some(&**op),
        }
    }
}

/// A node's input indices: up to two inline, more in the store's edge list.
#[derive(Clone, Copy)]
enum Inputs {
    Inline { len: u8, indices: [usize; 2] },
    Edges { at: u32, len: u32 },
}

/// How a node was made, apart from its value and inputs.
pub(crate) struct Origin<T: Float> {
    pub(crate) op: OpRef<T>,
    pub(crate) requires_grad: bool,
    pub(crate) kind: NodeKind,
    pub(crate) site: &'static Location<'static>,
}

impl<T: Float> Origin<T> {
    /// A leaf: no op, no inputs.
    pub(crate) fn leaf(requires_grad: bool, kind: NodeKind, site: &'static Location<'static>) -> Self {
        Origin { op: OpRef::None, requires_grad, kind, site }
    }
}

/// The nodes of one tape and the arrays their values live in.
pub(crate) struct Store<T: Float> {
    nodes: Vec<Node<T>>,
    /// The input indices of nodes with more than two inputs, one run after another (each
    /// such node keeps where its run is).
    edges: Vec<usize>,
    arrays: Vec<ArrayD<T>>,
    /// Borrowed arrays with their lifetime erased. Only [`Tape`](crate::Tape)`<'t, T>`
    /// adds to them, and only views that live for its `'t`. They are read only through
    /// `view`, which needs the tape (so `'t` is alive) and re-borrows for no longer than
    /// `&self`. They may dangle by the time the store is dropped (a `Tape` has no `Drop`
    /// impl, so its borrows can end first): nothing in `Drop` or the pool reads them, and
    /// dropping or clearing a view reads nothing.
    views: Vec<ArrayViewD<'static, T>>,
}

impl<T: Float> Store<T> {
    pub(crate) fn new() -> Self {
        Store {
            nodes: pool::node_list(),
            edges: pool::edge_list::<T>(),
            arrays: pool::array_list(),
            views: pool::view_list(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Node<T>> {
        self.nodes.iter()
    }

    /// Node `index`'s inputs (indices of earlier nodes).
    pub(crate) fn inputs(&self, index: usize) -> &[usize] {
        match &self.nodes[index].inputs {
            Inputs::Inline { len, indices } => &indices[..usize::from(*len)],
            Inputs::Edges { at, len } => &self.edges[*at as usize..*at as usize + *len as usize],
        }
    }

    /// Records a node whose value is a bare number; returns its index.
    #[inline(always)]
    pub(crate) fn push_scalar(&mut self, value: T, inputs: &[usize], origin: Origin<T>) -> usize {
        self.push_stored(Stored::Scalar(value), inputs, origin)
    }

    #[inline(always)]
    fn push_stored(&mut self, value: Stored<T>, inputs: &[usize], origin: Origin<T>) -> usize {
        let inputs = match *inputs {
            [] => Inputs::Inline { len: 0, indices: [0, 0] },
            [a] => Inputs::Inline { len: 1, indices: [a, 0] },
            [a, b] => Inputs::Inline { len: 2, indices: [a, b] },
            _ => {
                let at = index_u32(self.edges.len());
                self.edges.extend_from_slice(inputs);
                Inputs::Edges { at, len: index_u32(inputs.len()) }
            }
        };
        let index = self.nodes.len();
        self.nodes.reserve(1);
        // SAFETY: `reserve` made room for one more node at `index`; it is written in
        // full before the length covers it. (Writing in place rather than `push`ing a
        // node built on the stack avoids a copy that stalled store forwarding: a quarter
        // of a scalar graph's recording time.)
        unsafe {
            self.nodes.as_mut_ptr().add(index).write(Node {
                value,
                op: origin.op,
                inputs,
                requires_grad: origin.requires_grad,
                kind: origin.kind,
                site: origin.site,
            });
            self.nodes.set_len(index + 1);
        }
        index
    }

    /// Records a node whose value is `value`; returns its index.
    ///
    /// # Safety
    /// A borrowed `value` must stay valid for as long as anything can read it through
    /// [`view`](Store::view): the tape passes only views that live for its `'t`, and every
    /// read goes through the tape.
    pub(crate) unsafe fn push(&mut self, value: Value<'_, T>, inputs: &[usize], origin: Origin<T>) -> usize {
        let stored = match value.0 {
            Repr::Owned(array) if array.ndim() == 0 => {
                let value = array[[]];
                pool::recycle(array);
                Stored::Scalar(value)
            }
            Repr::Borrowed(view) if view.ndim() == 0 => Stored::Scalar(view[[]]),
            Repr::Owned(array) => {
                self.arrays.push(array);
                Stored::Owned(index_u32(self.arrays.len() - 1))
            }
            Repr::Borrowed(view) => {
                // SAFETY: the caller guarantees the view is valid whenever it can be read;
                // see `views`.
                let view = unsafe { std::mem::transmute::<ArrayViewD<'_, T>, ArrayViewD<'static, T>>(view) };
                self.views.push(view);
                Stored::Borrowed(index_u32(self.views.len() - 1))
            }
        };
        self.push_stored(stored, inputs, origin)
    }

    /// Records a leaf that shares node `source`'s value (no copy).
    pub(crate) fn push_shared(&mut self, source: usize, origin: Origin<T>) -> usize {
        let value = self.nodes[source].value;
        self.push_stored(value, &[], origin)
    }

    /// A view of node `index`'s value.
    pub(crate) fn view(&self, index: usize) -> ArrayViewD<'_, T> {
        match &self.nodes[index].value {
            Stored::Scalar(value) => scalar_view(value),
            Stored::Owned(at) => self.arrays[*at as usize].view(),
            Stored::Borrowed(at) => self.views[*at as usize].view(),
        }
    }

    /// The shape of node `index`'s value.
    pub(crate) fn shape(&self, index: usize) -> &[usize] {
        match &self.nodes[index].value {
            Stored::Scalar(_) => &[],
            Stored::Owned(at) => self.arrays[*at as usize].shape(),
            Stored::Borrowed(at) => self.views[*at as usize].shape(),
        }
    }

    /// Runs `f` on the views of nodes `indices`' values (see [`on_stack`]).
    #[inline(always)]
    pub(crate) fn with_views<R>(&self, indices: &[usize], f: impl FnOnce(&[ArrayViewD<'_, T>]) -> R) -> R {
        on_stack(indices, |&i| self.view(i), f)
    }

    /// Node `index`'s value if it is 0-d.
    pub(crate) fn scalar(&self, index: usize) -> Option<T> {
        match self.nodes[index].value {
            Stored::Scalar(value) => Some(value),
            _ => None,
        }
    }
}

impl<T: Float> Index<usize> for Store<T> {
    type Output = Node<T>;
    fn index(&self, index: usize) -> &Node<T> {
        &self.nodes[index]
    }
}

impl<T: Float> Drop for Store<T> {
    fn drop(&mut self) {
        pool::give_node_list(std::mem::take(&mut self.nodes));
        pool::give_edge_list::<T>(std::mem::take(&mut self.edges));
        pool::give_array_list(std::mem::take(&mut self.arrays));
        let mut views = std::mem::take(&mut self.views);
        views.clear();
        pool::give_view_list(views);
    }
}

/// Hands `then` the list of `f` of each of `items`, held on the stack: one or two items
/// (the inputs of nearly every op) in a plain array, more in a `SmallVec`. Collecting a
/// 7-number op's two input views, shapes and indices through `SmallVec`'s generic `extend`
/// had cost a fifth of recording it (GradBench's LSTM, where every op is that small).
#[inline(always)]
pub(crate) fn on_stack<'a, A, B, R>(
    items: &'a [A],
    f: impl Fn(&'a A) -> B,
    then: impl FnOnce(&[B]) -> R,
) -> R {
    match items {
        [a] => then(&[f(a)]),
        [a, b] => then(&[f(a), f(b)]),
        _ => then(&items.iter().map(f).collect::<smallvec::SmallVec<[B; 4]>>()),
    }
}

/// Stored indices are `u32` to keep nodes small; four billion arrays on one tape is out
/// of reach of memory anyway.
#[inline(always)]
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).expect("more than 2³² arrays on one tape")
}
