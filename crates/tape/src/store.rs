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
use smallvec::SmallVec;

use crate::value::{scalar_view, Repr};
use crate::{pool, Float, NodeKind, Op, Value};

/// Where a node's value is: a bare number, or an index into the store's arrays or views.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored<T> {
    Scalar(T),
    Owned(u32),
    Borrowed(u32),
}

/// One recorded value and how it was made.
pub(crate) struct Node<T: Float> {
    pub(crate) value: Stored<T>,
    /// The op that made it; `None` for leaves and for anything recorded without grad.
    pub(crate) op: Option<Box<dyn Op<T>>>,
    /// Indices of the op's inputs (always lower than this node's index).
    pub(crate) inputs: SmallVec<[usize; 3]>,
    /// Whether a gradient flows to this node (some leaf below it wants one).
    pub(crate) requires_grad: bool,
    pub(crate) kind: NodeKind,
    /// The user's source line that created it.
    pub(crate) site: &'static Location<'static>,
}

/// The nodes of one tape and the arrays their values live in.
pub(crate) struct Store<T: Float> {
    nodes: Vec<Node<T>>,
    arrays: Vec<ArrayD<T>>,
    /// Borrowed arrays with their lifetime erased. Only [`Tape`](crate::Tape)`<'t, T>`
    /// adds to them, and only views that live for its `'t`, which outlives the tape and so
    /// this store; they are handed out re-borrowed for no longer than `&self`, and never
    /// read after the store is dropped (dropping a view reads nothing).
    views: Vec<ArrayViewD<'static, T>>,
}

impl<T: Float> Store<T> {
    pub(crate) fn new() -> Self {
        Store { nodes: pool::node_list(), arrays: pool::array_list(), views: pool::view_list() }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Node<T>> {
        self.nodes.iter()
    }

    /// Records a node whose value is `value`; returns its index.
    ///
    /// # Safety
    /// A borrowed `value` must stay valid for as long as this store exists (the tape
    /// passes only views that live for its `'t`).
    pub(crate) unsafe fn push(&mut self, value: Value<'_, T>, node: Node<T>) -> usize {
        let stored = match value.0 {
            Repr::Scalar(value) => Stored::Scalar(value),
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
                // SAFETY: the caller guarantees the view outlives this store; see `views`.
                let view = unsafe { std::mem::transmute::<ArrayViewD<'_, T>, ArrayViewD<'static, T>>(view) };
                self.views.push(view);
                Stored::Borrowed(index_u32(self.views.len() - 1))
            }
        };
        self.nodes.push(Node { value: stored, ..node });
        self.nodes.len() - 1
    }

    /// Records a node that shares node `source`'s value (no copy).
    pub(crate) fn push_shared(&mut self, source: usize, node: Node<T>) -> usize {
        let value = self.nodes[source].value;
        self.nodes.push(Node { value, ..node });
        self.nodes.len() - 1
    }

    /// A view of node `index`'s value.
    pub(crate) fn view(&self, index: usize) -> ArrayViewD<'_, T> {
        match &self.nodes[index].value {
            Stored::Scalar(value) => scalar_view(value),
            Stored::Owned(at) => self.arrays[*at as usize].view(),
            Stored::Borrowed(at) => self.views[*at as usize].view(),
        }
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
        pool::give_array_list(std::mem::take(&mut self.arrays));
        let mut views = std::mem::take(&mut self.views);
        views.clear();
        pool::give_view_list(views);
    }
}

/// Stored indices are `u32` to keep nodes small; four billion arrays on one tape is out
/// of reach of memory anyway.
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).expect("more than 2³² arrays on one tape")
}
