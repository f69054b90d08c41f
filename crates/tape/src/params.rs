//! The registry of borrowed parameters: which node each parameter array became, found by
//! the array itself (its address, shape and strides).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use ndarray::{ArrayBase, Data, Dimension};
use smallvec::SmallVec;

use crate::{pool, Float};

/// Identifies a borrowed parameter array: where its data starts and how it is laid out,
/// so two different views of one buffer (`w` and `w.t()`) are different parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParamKey {
    address: usize,
    len: usize,
    shape: SmallVec<[usize; 4]>,
    strides: SmallVec<[isize; 4]>,
}

impl ParamKey {
    fn of<S: Data, D: Dimension>(array: &ArrayBase<S, D>) -> Self {
        ParamKey {
            address: array.as_ptr() as usize,
            len: array.len(),
            shape: array.shape().iter().copied().collect(),
            strides: array.strides().iter().copied().collect(),
        }
    }

    /// Whether `array` is the array this key was made from, without building a key.
    fn matches<S: Data, D: Dimension>(&self, array: &ArrayBase<S, D>) -> bool {
        self.address == array.as_ptr() as usize
            && self.len == array.len()
            && self.shape.as_slice() == array.shape()
            && self.strides.as_slice() == array.strides()
    }
}

/// Hashes a data address with one multiplication (addresses are already distinct; the
/// multiply spreads them into the high bits the table uses). A model looks its
/// parameters up once per use per step, so this lookup is on the hot path of scalar graphs.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Parameter entries `(key, node)`, indexed by data address.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParamRegistry {
    entries: Vec<(ParamKey, usize)>,
    by_address: HashMap<usize, SmallVec<[usize; 1]>, BuildHasherDefault<AddressHasher>>,
}

impl ParamRegistry {
    /// The entry and node registered for `array`, if any.
    pub(crate) fn find<S: Data, D: Dimension>(&self, array: &ArrayBase<S, D>) -> Option<(usize, usize)> {
        let candidates = self.by_address.get(&(array.as_ptr() as usize))?;
        candidates
            .iter()
            .map(|&entry| (entry, self.entries[entry].1))
            .find(|&(entry, _)| self.entries[entry].0.matches(array))
    }

    /// Registers `array` as node `node`. Empty arrays are not registered: their data
    /// addresses may coincide.
    pub(crate) fn insert<S: Data, D: Dimension>(&mut self, array: &ArrayBase<S, D>, node: usize) {
        if array.is_empty() {
            return;
        }
        let key = ParamKey::of(array);
        self.by_address.entry(key.address).or_default().push(self.entries.len());
        self.entries.push((key, node));
    }

    /// Points an existing entry at a new node.
    pub(crate) fn set_node(&mut self, entry: usize, node: usize) {
        self.entries[entry].1 = node;
    }

    /// Forgets every entry, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.by_address.clear();
    }
}

/// A registry shared by a tape and the [`Grads`](crate::Grads) of its backward passes
/// (backward hands out a reference, not a copy). A tape that registers a parameter after
/// a backward pass copies it first, so earlier `Grads` keep their view. The last owner
/// gives it back to the thread's workspace for the next tape.
#[derive(Debug)]
pub(crate) struct SharedRegistry<T: Float> {
    /// Taken out (once) when this value is dropped.
    registry: ManuallyDrop<Arc<ParamRegistry>>,
    element: PhantomData<fn() -> T>,
}

impl<T: Float> SharedRegistry<T> {
    pub(crate) fn new() -> Self {
        SharedRegistry { registry: ManuallyDrop::new(pool::registry::<T>()), element: PhantomData }
    }

    /// The registry, to change; copied first if a `Grads` shares it.
    pub(crate) fn make_mut(&mut self) -> &mut ParamRegistry {
        Arc::make_mut(&mut *self.registry)
    }
}

impl<T: Float> std::ops::Deref for SharedRegistry<T> {
    type Target = ParamRegistry;
    fn deref(&self) -> &ParamRegistry {
        &self.registry
    }
}

impl<T: Float> Clone for SharedRegistry<T> {
    fn clone(&self) -> Self {
        SharedRegistry { registry: ManuallyDrop::new(Arc::clone(&self.registry)), element: PhantomData }
    }
}

impl<T: Float> Drop for SharedRegistry<T> {
    fn drop(&mut self) {
        // SAFETY: `registry` is not used again: this is the value's drop.
        pool::give_registry::<T>(unsafe { ManuallyDrop::take(&mut self.registry) });
    }
}
