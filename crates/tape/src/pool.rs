//! Buffers reused from one tape to the next, so that a training loop that builds a fresh
//! tape every step stops allocating once it is warm.
//!
//! Each thread keeps, per element type, a workspace of spare array buffers (keyed by
//! length) and of the tape's own lists (nodes, values, gradient slots, the parameter
//! registry). A tape takes what it needs when it is made and gives everything back when
//! it and its [`Grads`](crate::Grads) are dropped; ops take their output buffers here.
//! The next step, with the same shapes, finds every buffer it needs.
//!
//! The workspace is bounded: at most [`MAX_SPARE_BYTES`] of spare array memory and
//! [`MAX_SPARE_PER_LENGTH`] spare buffers of any one length per thread and element type;
//! lists above `MAX_SPARE_LIST_BYTES` are kept only while tapes keep filling them. When
//! the array memory is full, the spares of other lengths are freed to make room (shapes a
//! program no longer uses, say an evaluation pass's, must not keep it full for good);
//! beyond that, buffers are freed as usual. A steady training loop holds about one step's working set. Reuse never changes
//! a result: a buffer taken from the pool is overwritten in full before anything reads it.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::grads::Slot;
use crate::params::ParamRegistry;
use crate::store::Node;
use crate::Float;

/// Spare array memory kept per thread and element type: enough for the working set of a
/// mid-size computation run again and again (bundle adjustment's 31,843 observations
/// hold 70 MB of arrays), so that its arrays are not faulted in and zeroed afresh.
pub(crate) const MAX_SPARE_BYTES: usize = 256 << 20;
/// Spare buffers of one length kept per thread and element type, at most: a recurrent
/// net's tape holds hundreds of thousands of arrays of one small length, an ODE solver's
/// hundreds of one large length. The bytes bound them first.
pub(crate) const MAX_SPARE_PER_LENGTH: usize = 1 << 20;
/// Lengths the spare-buffer map tracks before it forgets the emptied ones.
const MAX_LENGTHS: usize = 256;
/// Spare lists of each kind kept per thread and element type.
const MAX_SPARE_LISTS: usize = 4;
/// A list (or registry) larger than this is kept only while tapes keep filling it (the
/// repeated runs of one big computation): one huge tape must not pin its size for the
/// rest of the thread's life. A registry above it is not kept.
const MAX_SPARE_LIST_BYTES: usize = 16 << 20;
/// How many lists in a row may come back less than a quarter full from a list larger than
/// [`MAX_SPARE_LIST_BYTES`] before such lists are freed instead of kept.
const MAX_IDLE_BIG_LISTS: usize = 8;

/// Hashes a length with one multiplication.
#[derive(Default)]
struct LengthHasher(u64);

impl Hasher for LengthHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, length: usize) {
        self.0 = (length as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// One thread's spare buffers and lists for one element type.
pub(crate) struct Workspace<T: Float> {
    buffers: HashMap<usize, Vec<Vec<T>>, BuildHasherDefault<LengthHasher>>,
    spare_bytes: usize,
    /// Lists given back in a row that were larger than [`MAX_SPARE_LIST_BYTES`] but less
    /// than a quarter full.
    idle_big_lists: usize,
    nodes: Vec<Vec<Node<T>>>,
    edges: Vec<Vec<usize>>,
    arrays: Vec<Vec<ArrayD<T>>>,
    /// Emptied before they are kept, so no view outlives its tape.
    views: Vec<Vec<ArrayViewD<'static, T>>>,
    slots: Vec<Vec<Slot<T>>>,
    registries: Vec<ParamRegistry>,
    /// Emptied, unique `Arc`s, so sharing a registry allocates nothing.
    shared_registries: Vec<Arc<ParamRegistry>>,
}

impl<T: Float> Default for Workspace<T> {
    fn default() -> Self {
        Workspace {
            buffers: HashMap::default(),
            spare_bytes: 0,
            idle_big_lists: 0,
            nodes: Vec::new(),
            edges: Vec::new(),
            arrays: Vec::new(),
            views: Vec::new(),
            slots: Vec::new(),
            registries: Vec::new(),
            shared_registries: Vec::new(),
        }
    }
}

thread_local! {
    static F32: RefCell<Workspace<f32>> = RefCell::new(Workspace::default());
    static F64: RefCell<Workspace<f64>> = RefCell::new(Workspace::default());
}

/// Runs `f` on this thread's workspace for `T`; `None` while the thread is shutting down
/// or when the workspace is already in use further up the stack.
fn with<T: Float, R>(f: impl FnOnce(&mut Workspace<T>) -> R) -> Option<R> {
    fn run<U: Float, T: Float, R>(
        key: &'static std::thread::LocalKey<RefCell<Workspace<U>>>,
        f: impl FnOnce(&mut Workspace<T>) -> R,
    ) -> Option<R> {
        key.try_with(|cell| {
            let mut workspace = cell.try_borrow_mut().ok()?;
            let workspace: &mut dyn Any = &mut *workspace;
            workspace.downcast_mut::<Workspace<T>>().map(f)
        })
        .ok()
        .flatten()
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        run(&F32, f)
    } else {
        run(&F64, f)
    }
}

/// A buffer of `len` elements. Its contents are left over from earlier use (or zero):
/// the caller overwrites every element.
pub(crate) fn buffer<T: Float>(len: usize) -> Vec<T> {
    let spare = with(|w: &mut Workspace<T>| {
        let buffer = w.buffers.get_mut(&len)?.pop()?;
        w.spare_bytes -= buffer.capacity() * size_of::<T>();
        Some(buffer)
    });
    spare.flatten().unwrap_or_else(|| vec![T::zero(); len])
}

/// Keeps `buffer` for reuse, or frees it when the workspace is full.
pub(crate) fn give_buffer<T: Float>(buffer: Vec<T>) {
    let bytes = buffer.capacity() * size_of::<T>();
    if buffer.is_empty() || bytes > MAX_SPARE_BYTES {
        return;
    }
    with(move |w: &mut Workspace<T>| {
        if w.spare_bytes + bytes > MAX_SPARE_BYTES {
            // Full: free the spares of every other length, then keep this one if it fits.
            w.buffers.retain(|&length, _| length == buffer.len());
            w.spare_bytes = w.buffers.values().flatten().map(|b| b.capacity() * size_of::<T>()).sum();
            if w.spare_bytes + bytes > MAX_SPARE_BYTES {
                return;
            }
        }
        if w.buffers.len() >= MAX_LENGTHS && !w.buffers.contains_key(&buffer.len()) {
            // Many lengths seen once: forget the ones with no spare left. (An emptied
            // length otherwise stays, so that the next step's give allocates nothing.)
            w.buffers.retain(|_, spares| !spares.is_empty());
        }
        let spares = w.buffers.entry(buffer.len()).or_default();
        if spares.len() < MAX_SPARE_PER_LENGTH {
            spares.push(buffer);
            w.spare_bytes += bytes;
        }
    });
}

/// A standard-layout array of this shape whose contents are left over: the caller
/// overwrites every element.
pub(crate) fn scratch<T: Float>(shape: &[usize]) -> ArrayD<T> {
    // Checked: a product that wrapped (a broadcast of two huge stride-0 views) would give
    // a short buffer for a huge shape below.
    let len = shape
        .iter()
        .try_fold(1usize, |len, &axis| len.checked_mul(axis))
        .unwrap_or_else(|| panic!("an array of shape {shape:?} has more elements than a usize counts"));
    let buffer = buffer(len);
    assert_eq!(buffer.len(), len, "a pooled buffer has the length asked for");
    // SAFETY: the buffer holds exactly the shape's element count (checked above, without
    // overflow), and the default (row-major) strides of a shape index only within that
    // count. The checked `from_shape_vec` re-derives both, which for the 7-number gate
    // vectors of GradBench's LSTM was a quarter of recording an op (266 instructions of
    // 1,125).
    unsafe { ArrayD::from_shape_vec_unchecked(IxDyn(shape), buffer) }
}

/// A standard-layout array of zeros whose buffer comes from this thread's pool of buffers
/// reused across tapes (a fresh allocation when the pool has none of this length).
///
/// For [`Op`](crate::Op) implementations: an op's outputs and gradients go back to the
/// pool when the tape (or the [`Grads`](crate::Grads)) holding them is dropped, so an op
/// that takes its arrays here allocates nothing once a training loop is warm.
///
/// ```
/// let grad = tapegrad_tape::pooled_zeros::<f32>(&[2, 3]);
/// assert_eq!(grad, ndarray::ArrayD::<f32>::zeros(vec![2, 3]));
/// ```
pub fn zeros<T: Float>(shape: &[usize]) -> ArrayD<T> {
    let mut array = scratch(shape);
    array.fill(T::zero());
    array
}

/// Gives a temporary array's buffer back to this thread's pool, for a later
/// [`pooled_zeros`](crate::pooled_zeros) (or op) of the same length to reuse. An op need not
/// do this with the arrays it returns: the tape does it when it is dropped.
///
/// ```
/// let scratch = tapegrad_tape::pooled_zeros::<f64>(&[128]);
/// let address = scratch.as_ptr();
/// tapegrad_tape::recycle(scratch);
/// assert_eq!(tapegrad_tape::pooled_zeros::<f64>(&[128]).as_ptr(), address);
/// ```
pub fn recycle<T: Float>(array: ArrayD<T>) {
    give_buffer(array.into_raw_vec_and_offset().0);
}

/// An empty list with the largest capacity a previous tape left: a tape cannot know its
/// length in advance, and growing a list page by page costs more than holding a big one.
fn take_list<T: Float, E>(pick: impl FnOnce(&mut Workspace<T>) -> &mut Vec<Vec<E>>) -> Vec<E> {
    with(|w: &mut Workspace<T>| {
        let lists = pick(w);
        let largest = (0..lists.len()).max_by_key(|&i| lists[i].capacity())?;
        Some(lists.swap_remove(largest))
    })
    .flatten()
    .unwrap_or_default()
}

/// Keeps an emptied list's capacity for the next tape. A list beyond
/// [`MAX_SPARE_LIST_BYTES`] is kept too while tapes keep filling it (a million-node tape
/// built again and again would otherwise fault in its memory afresh each time), and freed
/// once [`MAX_IDLE_BIG_LISTS`] in a row come back from such lists less than a quarter full.
fn give_list<T: Float, E>(mut list: Vec<E>, pick: impl FnOnce(&mut Workspace<T>) -> &mut Vec<Vec<E>>) {
    let used = list.len() * size_of::<E>();
    list.clear();
    let bytes = list.capacity() * size_of::<E>();
    if bytes == 0 {
        return;
    }
    with(move |w: &mut Workspace<T>| {
        if bytes > MAX_SPARE_LIST_BYTES {
            w.idle_big_lists = if used < bytes / 4 { w.idle_big_lists + 1 } else { 0 };
            if w.idle_big_lists > MAX_IDLE_BIG_LISTS {
                return;
            }
        }
        let lists = pick(w);
        if lists.len() < MAX_SPARE_LISTS {
            lists.push(list);
        }
    });
}

pub(crate) fn node_list<T: Float>() -> Vec<Node<T>> {
    take_list(|w: &mut Workspace<T>| &mut w.nodes)
}

pub(crate) fn give_node_list<T: Float>(list: Vec<Node<T>>) {
    give_list(list, |w: &mut Workspace<T>| &mut w.nodes)
}

pub(crate) fn edge_list<T: Float>() -> Vec<usize> {
    take_list(|w: &mut Workspace<T>| &mut w.edges)
}

pub(crate) fn give_edge_list<T: Float>(list: Vec<usize>) {
    give_list(list, |w: &mut Workspace<T>| &mut w.edges)
}

pub(crate) fn array_list<T: Float>() -> Vec<ArrayD<T>> {
    take_list(|w: &mut Workspace<T>| &mut w.arrays)
}

/// Gives every array's buffer back, then the list itself.
pub(crate) fn give_array_list<T: Float>(mut list: Vec<ArrayD<T>>) {
    for array in list.drain(..) {
        recycle(array);
    }
    give_list(list, |w: &mut Workspace<T>| &mut w.arrays)
}

pub(crate) fn view_list<T: Float>() -> Vec<ArrayViewD<'static, T>> {
    take_list(|w: &mut Workspace<T>| &mut w.views)
}

pub(crate) fn give_view_list<T: Float>(list: Vec<ArrayViewD<'static, T>>) {
    give_list(list, |w: &mut Workspace<T>| &mut w.views)
}

pub(crate) fn slot_list<T: Float>() -> Vec<Slot<T>> {
    take_list(|w: &mut Workspace<T>| &mut w.slots)
}

pub(crate) fn give_slot_list<T: Float>(list: Vec<Slot<T>>) {
    give_list(list, |w: &mut Workspace<T>| &mut w.slots)
}

pub(crate) fn registry<T: Float>() -> ParamRegistry {
    with(|w: &mut Workspace<T>| w.registries.pop()).flatten().unwrap_or_default()
}

/// Keeps a registry (emptied) for the next tape.
pub(crate) fn give_registry<T: Float>(mut registry: ParamRegistry) {
    if registry.retained_bytes() > MAX_SPARE_LIST_BYTES {
        return;
    }
    registry.clear();
    with(move |w: &mut Workspace<T>| {
        if w.registries.len() < MAX_SPARE_LISTS {
            w.registries.push(registry);
        }
    });
}

pub(crate) fn shared_registry<T: Float>() -> Arc<ParamRegistry> {
    with(|w: &mut Workspace<T>| w.shared_registries.pop()).flatten().unwrap_or_default()
}

/// Takes back a shared registry: when this was the last holder, its entries go back as a
/// registry and the emptied `Arc` as a shared one.
pub(crate) fn give_shared_registry<T: Float>(mut shared: Arc<ParamRegistry>) {
    let Some(registry) = Arc::get_mut(&mut shared) else { return };
    give_registry::<T>(std::mem::take(registry));
    with(move |w: &mut Workspace<T>| {
        if w.shared_registries.len() < MAX_SPARE_LISTS {
            w.shared_registries.push(shared);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_for_the_same_length_only() {
        let buffer: Vec<f32> = vec![1.0; 1000];
        let address = buffer.as_ptr();
        give_buffer(buffer);
        let other_length = super::buffer::<f32>(999);
        let other_type = super::buffer::<f64>(1000);
        assert_ne!(other_length.as_ptr(), address);
        assert_ne!(other_type.as_ptr() as *const f32, address);
        let same = super::buffer::<f32>(1000);
        assert_eq!(same.as_ptr(), address);
    }

    #[test]
    fn the_workspace_is_bounded() {
        let len = 1 << 16;
        let fit = MAX_SPARE_BYTES / (len * size_of::<f64>());
        let kept: Vec<Vec<f64>> = (0..fit + 5).map(|_| vec![0.0; len]).collect();
        for buffer in kept {
            give_buffer(buffer);
        }
        let count = with(|w: &mut Workspace<f64>| w.buffers[&len].len()).unwrap();
        assert_eq!(count, fit);
        give_buffer(vec![0.0f64; MAX_SPARE_BYTES / 8 + 1]);
        let bytes = with(|w: &mut Workspace<f64>| w.spare_bytes).unwrap();
        assert!(bytes <= MAX_SPARE_BYTES);
    }

    #[test]
    fn a_full_pool_makes_room_by_freeing_other_lengths() {
        // Fill the pool with buffers of a length no one will ask for again…
        let stale = MAX_SPARE_BYTES / 4 / size_of::<f32>();
        for _ in 0..4 {
            give_buffer(vec![0.0f32; stale]);
        }
        // …then a new length is still kept, and the stale ones are gone.
        let fresh: Vec<f32> = vec![1.0; 1000];
        let address = fresh.as_ptr();
        give_buffer(fresh);
        let reused = super::buffer::<f32>(1000);
        assert_eq!(reused.as_ptr(), address);
        let kept = with(|w: &mut Workspace<f32>| (w.buffers.contains_key(&stale), w.spare_bytes)).unwrap();
        assert_eq!(kept, (false, 0));
    }

    #[test]
    fn huge_lists_are_kept_while_filled_and_freed_when_idle() {
        let length = MAX_SPARE_LIST_BYTES / size_of::<usize>() + 1;
        // A huge tape built again and again gets its list back.
        for _ in 0..2 * MAX_IDLE_BIG_LISTS {
            let mut list = edge_list::<f32>();
            list.resize(length, 0);
            give_edge_list::<f32>(list);
        }
        assert!(edge_list::<f32>().capacity() >= length);
        // Small tapes after it: the huge list goes after MAX_IDLE_BIG_LISTS of them.
        let mut list = vec![0usize; length];
        for _ in 0..=MAX_IDLE_BIG_LISTS + 1 {
            list.truncate(10);
            give_edge_list::<f32>(list);
            list = edge_list::<f32>();
        }
        assert!(list.capacity() < length, "{}", list.capacity());
    }

    #[test]
    #[should_panic(expected = "has more elements than a usize counts")]
    fn a_shape_whose_size_overflows_is_refused_not_wrapped() {
        // 2⁴⁰ · 2⁴⁰ wraps to 0 in a release build's unchecked product.
        let _ = scratch::<f32>(&[1 << 40, 1 << 40]);
    }

    #[test]
    fn scratch_and_zeros_have_the_shape() {
        recycle(ArrayD::<f32>::from_elem(IxDyn(&[2, 3]), 7.0));
        let z = zeros::<f32>(&[3, 2]);
        assert_eq!(z.shape(), &[3, 2]);
        assert!(z.iter().all(|&v| v == 0.0));
        assert!(z.is_standard_layout());
        assert_eq!(scratch::<f64>(&[]).len(), 1);
    }
}
