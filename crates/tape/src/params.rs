//! The registry of borrowed parameters: which node each parameter array became, found by
//! the array itself (its address, shape and strides).

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayBase, Data, Dimension};

use crate::{pool, Float};

/// The most axes a key stores inline; larger ranks keep their layout on the heap.
const INLINE_AXES: usize = 4;

/// Identifies a borrowed parameter array: where its data starts and how it is laid out,
/// so two different views of one buffer (`w` and `w.t()`) are different parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamKey {
    address: usize,
    len: usize,
    layout: Layout,
}

/// Shape and strides, inline for up to four axes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    Inline { ndim: u8, shape: [usize; INLINE_AXES], strides: [isize; INLINE_AXES] },
    Heap { shape: Box<[usize]>, strides: Box<[isize]> },
}

impl Layout {
    #[inline(always)]
    fn of(shape: &[usize], strides: &[isize]) -> Self {
        if shape.len() <= INLINE_AXES {
            // Element by element: at most four, and no `memcpy` call for them.
            let (mut fixed_shape, mut fixed_strides) = ([0; INLINE_AXES], [0; INLINE_AXES]);
            for (slot, &len) in fixed_shape.iter_mut().zip(shape) {
                *slot = len;
            }
            for (slot, &stride) in fixed_strides.iter_mut().zip(strides) {
                *slot = stride;
            }
            Layout::Inline { ndim: shape.len() as u8, shape: fixed_shape, strides: fixed_strides }
        } else {
            Layout::Heap { shape: shape.into(), strides: strides.into() }
        }
    }

    /// Whether this is the layout `shape` and `strides` describe.
    #[inline(always)]
    fn matches(&self, shape: &[usize], strides: &[isize]) -> bool {
        match self {
            Layout::Inline { ndim, shape: fixed_shape, strides: fixed_strides } => {
                let ndim = usize::from(*ndim);
                ndim == shape.len() && fixed_shape[..ndim] == *shape && fixed_strides[..ndim] == *strides
            }
            Layout::Heap { shape: own_shape, strides: own_strides } => {
                **own_shape == *shape && **own_strides == *strides
            }
        }
    }
}

/// A parameter's identity read off the array, without copying its layout: what lookups
/// compare against the registered [`ParamKey`]s. (Building an owned key on the stack and
/// moving it about cost more than the lookup in a scalar graph: copies of a struct
/// written a word at a time and read back sixteen bytes at a time stall store
/// forwarding.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyRef<'a> {
    address: usize,
    len: usize,
    shape: &'a [usize],
    strides: &'a [isize],
}

impl<'a> KeyRef<'a> {
    /// The identity of `array`.
    #[inline(always)]
    pub(crate) fn of<S: Data, D: Dimension>(array: &'a ArrayBase<S, D>) -> Self {
        KeyRef {
            address: array.as_ptr() as usize,
            len: array.len(),
            shape: array.shape(),
            strides: array.strides(),
        }
    }

    /// Whether the array has no elements (such arrays are not registered: their
    /// addresses may coincide).
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The owned key, to keep.
    #[inline(always)]
    pub(crate) fn to_key(self) -> ParamKey {
        ParamKey { address: self.address, len: self.len, layout: Layout::of(self.shape, self.strides) }
    }
}

impl ParamKey {
    /// Whether this key identifies the array `key` was read from.
    #[inline(always)]
    pub(crate) fn matches(&self, key: &KeyRef<'_>) -> bool {
        self.address == key.address && self.len == key.len && self.layout.matches(key.shape, key.strides)
    }
}

/// A map from addresses (never 0) to small numbers: open addressing with linear probing,
/// hashed by one multiplication. A model looks each parameter up once per use per step,
/// so for a scalar graph this is the hot path: a probe here is a few instructions, about
/// a third of a general-purpose hash map's lookup.
#[derive(Debug, Clone, Default)]
struct AddressTable {
    /// `(address, value)`; address 0 marks an empty slot. The length is a power of two.
    slots: Vec<(usize, u32)>,
    len: usize,
}

impl AddressTable {
    fn slot_of(&self, address: usize) -> usize {
        let bits = self.slots.len().trailing_zeros();
        ((address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn get(&self, address: usize) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.slot_of(address);
        loop {
            match self.slots[at] {
                (0, _) => return None,
                (found, value) if found == address => return Some(value),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Sets `address → value`; returns the value it replaces.
    fn insert(&mut self, address: usize, value: u32) -> Option<u32> {
        debug_assert!(address != 0, "address 0 marks empty slots");
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = self.slot_of(address);
        loop {
            match self.slots[at] {
                (0, _) => {
                    self.slots[at] = (address, value);
                    self.len += 1;
                    return None;
                }
                (found, old) if found == address => {
                    self.slots[at].1 = value;
                    return Some(old);
                }
                _ => at = (at + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); capacity]);
        self.len = 0;
        for (address, value) in old {
            if address != 0 {
                self.insert(address, value);
            }
        }
    }

    fn clear(&mut self) {
        self.slots.fill((0, 0));
        self.len = 0;
    }
}

/// One registered array: its key, its node, and the next entry with the same address
/// (views of one buffer with other layouts), if any.
#[derive(Debug, Clone)]
struct Entry {
    key: ParamKey,
    node: usize,
    next: Option<u32>,
}

/// Parameter entries, indexed by data address (the first entry at each address; the rest
/// chained from it), and by the address of the array object the tape was given.
///
/// The object index is a shortcut: an array borrowed for the tape's lifetime can neither
/// move nor change, so the same object is the same parameter, and reading a dynamic-rank
/// array's shape and strides to build its key costs more than the lookup itself. Two
/// different objects for one parameter (a second view of the same data) are still matched
/// by their keys. `Grads` looks arrays up by key only (after the tape, objects may move).
#[derive(Debug, Clone, Default)]
pub(crate) struct ParamRegistry {
    entries: Vec<Entry>,
    by_address: AddressTable,
    by_object: AddressTable,
}

impl ParamRegistry {
    /// The entry and node registered for `array`, if any.
    pub(crate) fn find<S: Data, D: Dimension>(&self, array: &ArrayBase<S, D>) -> Option<(usize, usize)> {
        self.find_key(&KeyRef::of(array))
    }

    /// The entry and node registered under `key`, if any.
    pub(crate) fn find_key(&self, key: &KeyRef<'_>) -> Option<(usize, usize)> {
        let mut at = self.by_address.get(key.address)?;
        loop {
            let entry = &self.entries[at as usize];
            if entry.key.matches(key) {
                return Some((at as usize, entry.node));
            }
            at = entry.next?;
        }
    }

    /// Registers the array with this key as node `node`, and the array object at `object`
    /// as that entry. Empty arrays are not registered: their data addresses may coincide.
    #[inline(always)]
    pub(crate) fn insert(&mut self, key: KeyRef<'_>, node: usize, object: usize) {
        if key.is_empty() {
            return;
        }
        let at = u32::try_from(self.entries.len()).expect("fewer than 2³² parameters on one tape");
        let next = self.by_address.insert(key.address, at);
        self.by_object.insert(object, at);
        self.entries.push(Entry { key: key.to_key(), node, next });
    }

    /// Points an existing entry at a new node.
    pub(crate) fn set_node(&mut self, entry: usize, node: usize) {
        self.entries[entry].node = node;
    }

    /// The entry and node of the array object at `object` (its address), if it was
    /// registered on this tape.
    pub(crate) fn find_object(&self, object: usize) -> Option<(usize, usize)> {
        let at = self.by_object.get(object)? as usize;
        Some((at, self.entries[at].node))
    }

    /// Remembers that the array object at `object` is entry `entry`.
    pub(crate) fn set_object(&mut self, object: usize, entry: usize) {
        self.by_object.insert(object, entry as u32);
    }

    /// Forgets every entry, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.by_address.clear();
        self.by_object.clear();
    }

    /// The memory it holds, emptied or not.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
            + (self.by_address.slots.capacity() + self.by_object.slots.capacity()) * size_of::<(usize, u32)>()
    }
}

/// A tape's registry: its own until a backward pass hands it to the
/// [`Grads`](crate::Grads) (which need it to find parameters' gradients), then shared with
/// them instead of copied. Registering a parameter after that copies it first, so earlier
/// `Grads` keep their view. The last owner gives it back to the thread's workspace.
#[derive(Debug)]
pub(crate) struct TapeRegistry<T: Float> {
    state: Sharing,
    element: PhantomData<fn() -> T>,
}

#[derive(Debug)]
enum Sharing {
    Own(ParamRegistry),
    Shared(Arc<ParamRegistry>),
    /// Only while switching between the two.
    Moving,
}

impl<T: Float> TapeRegistry<T> {
    pub(crate) fn new() -> Self {
        TapeRegistry { state: Sharing::Own(pool::registry::<T>()), element: PhantomData }
    }

    /// The registry, to read.
    pub(crate) fn get(&self) -> &ParamRegistry {
        match &self.state {
            Sharing::Own(registry) => registry,
            Sharing::Shared(registry) => registry,
            Sharing::Moving => unreachable!("the registry is only moving inside `share`"),
        }
    }

    /// The registry, to change; copied first if a `Grads` shares it.
    pub(crate) fn get_mut(&mut self) -> &mut ParamRegistry {
        if let Sharing::Shared(_) = self.state {
            let Sharing::Shared(shared) = std::mem::replace(&mut self.state, Sharing::Moving) else {
                unreachable!()
            };
            let owned = Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone());
            self.state = Sharing::Own(owned);
        }
        match &mut self.state {
            Sharing::Own(registry) => registry,
            _ => unreachable!("made owned above"),
        }
    }

    /// A shared handle for a `Grads`, without copying the entries.
    pub(crate) fn share(&mut self) -> SharedRegistry<T> {
        if let Sharing::Own(_) = self.state {
            let Sharing::Own(owned) = std::mem::replace(&mut self.state, Sharing::Moving) else {
                unreachable!()
            };
            // The `Arc` itself comes from the workspace too (emptied, unique).
            let mut shared = pool::shared_registry::<T>();
            match Arc::get_mut(&mut shared) {
                Some(slot) => *slot = owned,
                None => shared = Arc::new(owned),
            }
            self.state = Sharing::Shared(shared);
        }
        match &self.state {
            Sharing::Shared(shared) => {
                SharedRegistry { registry: Some(Arc::clone(shared)), element: PhantomData }
            }
            _ => unreachable!("made shared above"),
        }
    }
}

impl<T: Float> Drop for TapeRegistry<T> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.state, Sharing::Moving) {
            Sharing::Own(registry) => pool::give_registry::<T>(registry),
            Sharing::Shared(shared) => pool::give_shared_registry::<T>(shared),
            Sharing::Moving => {}
        }
    }
}

/// The registry as a [`Grads`](crate::Grads) holds it: shared with its tape (and any other
/// `Grads` of that tape). The last holder gives it back to the thread's workspace.
#[derive(Debug)]
pub(crate) struct SharedRegistry<T: Float> {
    /// `None` only once dropped.
    registry: Option<Arc<ParamRegistry>>,
    element: PhantomData<fn() -> T>,
}

impl<T: Float> std::ops::Deref for SharedRegistry<T> {
    type Target = ParamRegistry;
    fn deref(&self) -> &ParamRegistry {
        self.registry.as_ref().expect("present until dropped")
    }
}

impl<T: Float> Clone for SharedRegistry<T> {
    fn clone(&self) -> Self {
        SharedRegistry { registry: self.registry.clone(), element: PhantomData }
    }
}

impl<T: Float> Drop for SharedRegistry<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.registry.take() {
            pool::give_shared_registry::<T>(shared);
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{array, s, Array3, Array5};

    use super::*;

    #[test]
    fn views_of_one_buffer_are_different_parameters() {
        let w = array![[1.0, 2.0], [3.0, 4.0]];
        let big = Array5::<f64>::zeros((1, 2, 1, 2, 1));
        let cube = Array3::<f64>::zeros((2, 2, 2));
        let mut registry = ParamRegistry::default();
        registry.insert(KeyRef::of(&w), 0, 10);
        registry.insert(KeyRef::of(&w.t()), 1, 11);
        registry.insert(KeyRef::of(&w.slice(s![0, ..])), 2, 12);
        registry.insert(KeyRef::of(&big), 3, 13);
        registry.insert(KeyRef::of(&cube), 4, 14);
        assert_eq!(registry.find(&w).map(|(_, node)| node), Some(0));
        assert_eq!(registry.find(&w.t()).map(|(_, node)| node), Some(1));
        assert_eq!(registry.find(&w.slice(s![0, ..])).map(|(_, node)| node), Some(2));
        assert_eq!(registry.find(&w.slice(s![.., 0])), None);
        assert_eq!(registry.find(&big).map(|(_, node)| node), Some(3));
        assert_eq!(registry.find(&big.view().into_shape_with_order((2, 2)).unwrap()), None);
        assert_eq!(registry.find(&cube).map(|(_, node)| node), Some(4));
    }

    #[test]
    fn a_shared_registry_is_copied_before_it_changes() {
        let (a, b) = (array![1.0f64], array![2.0f64]);
        let mut tape_registry = TapeRegistry::<f64>::new();
        tape_registry.get_mut().insert(KeyRef::of(&a), 0, 10);
        let shared = tape_registry.share();
        tape_registry.get_mut().insert(KeyRef::of(&b), 1, 11);
        assert_eq!(shared.find(&b), None);
        assert_eq!(tape_registry.get().find(&b).map(|(_, node)| node), Some(1));
        assert_eq!(shared.find(&a).map(|(_, node)| node), Some(0));
    }
}
