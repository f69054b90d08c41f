//! The threads large matrix products and long elementwise loops (ops, optimizer updates)
//! use when asked to (`set_num_threads`): the calling thread computes one part and helper
//! threads the others.
//!
//! Why helpers of our own that stay awake, rather than `rayon::join` on the global pool:
//! `join` called from outside the pool hands both halves to pool threads and puts the
//! caller to sleep, so every product waited for two sleeping threads to wake and then
//! woke the caller. On the team's 2-core VM the second half started 34–47 µs after the
//! call when the pool had been idle for 0–100 µs (and after 224 µs, run by the first
//! thread itself, after 300 µs idle); a training step runs five such products between
//! stretches of single-threaded work. Now the caller computes its own part and the
//! helpers spin between products; `docs/performance.md` has what that bought.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use smallvec::SmallVec;

/// `usize::MAX` until the first product reads the environment.
static THREADS: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Lets tapegrad use up to `threads` threads for large matrix products and long
/// elementwise loops (opt-in; the default is 1). `0` means one per thread of rayon's pool; more than the machine has
/// cores counts as one per core.
///
/// Only the matrix products of big enough shapes are split (about 48·48·256
/// multiply-adds and up), and the elementwise loops over 2¹⁵ numbers or more (an op's
/// forward and backward over contiguous arrays, the optimizers' updates, and whatever
/// runs through [`for_each_part`], and a whole tensor's sum, maximum or minimum, folded in
/// blocks of a fixed length whose totals are then added in order, so that a sum's order
/// never depends on the count). Each thread computes its own blocks of the
/// output with the same arithmetic as one thread would, so results are bit-identical for
/// any thread count and a seeded run stays reproducible. The calling thread computes one block and `threads − 1`
/// helper threads of tapegrad's own the others; after a product the helpers keep looking
/// for the next one for 2 ms (spinning, as OpenMP's runtimes do) before they sleep, so
/// the products of a training step do not each wait for a sleeping thread to wake. The
/// setting is process-wide; it changes how fast products run, never what they compute.
///
/// Without a call, the count comes from the environment the first time a product runs:
/// `TAPEGRAD_NUM_THREADS`, else `RAYON_NUM_THREADS` (a program run with rayon's pool
/// sized explicitly is asking for that many), else 1.
///
/// ```
/// tapegrad_tape::set_num_threads(2);
/// assert_eq!(tapegrad_tape::num_threads(), 2);
/// tapegrad_tape::set_num_threads(1); // back to the default
/// ```
pub fn set_num_threads(threads: usize) {
    THREADS.store(threads, Ordering::Relaxed);
}

/// The thread count for matrix products and long loops: as set with [`set_num_threads`], or read from
/// the environment (see there), or 1.
///
/// ```
/// println!("matrix products use up to {} threads", tapegrad_tape::num_threads());
/// ```
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        usize::MAX => {
            let from_environment = ["TAPEGRAD_NUM_THREADS", "RAYON_NUM_THREADS"]
                .iter()
                .find_map(|name| std::env::var(name).ok()?.trim().parse::<usize>().ok())
                .unwrap_or(1);
            // Another thread may have set a count meanwhile; keep theirs.
            match THREADS.compare_exchange(usize::MAX, from_environment, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => from_environment,
                Err(set) => set,
            }
        }
        threads => threads,
    }
}

/// How many threads work may be split across: the count set (clamped to the machine's
/// cores: more parts than cores only adds overhead, and a stray huge count must not cut
/// work into thousands of slivers), 1 by default.
pub(crate) fn usable() -> usize {
    // Asking the system for the core count reads files, so it is asked once.
    static CORES: OnceLock<usize> = OnceLock::new();
    match num_threads() {
        1 => 1,
        threads => {
            let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let threads = if threads == 0 { rayon::current_num_threads() } else { threads };
            threads.min(cores).max(1)
        }
    }
}

/// How long helpers keep looking for work after their last part before they sleep. A
/// training step's single-threaded stretches between products (activations, the loss, the
/// optimizer update) last well under this on the workloads of `docs/performance.md`.
const STAY_AWAKE: Duration = Duration::from_millis(2);

/// tapegrad's helper threads: a rayon pool of `threads − 1` threads (the caller is the
/// other one), and how many of them are looking for work.
struct Helpers {
    pool: rayon::ThreadPool,
    /// Helpers currently spinning for work.
    awake: AtomicUsize,
    /// When a part last finished, in nanoseconds since [`epoch`].
    last_use: AtomicU64,
}

/// The clock helpers read.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl Helpers {
    /// The helpers for `count` extra threads, made (or remade, when the count changed) on
    /// first use; `None` if the system would not start threads.
    fn get(count: usize) -> Option<Arc<Helpers>> {
        static HELPERS: Mutex<Option<Arc<Helpers>>> = Mutex::new(None);
        let mut slot = HELPERS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(helpers) = slot.as_ref().filter(|helpers| helpers.pool.current_num_threads() == count) {
            return Some(Arc::clone(helpers));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .thread_name(|at| format!("tapegrad-helper-{at}"))
            .build()
            .ok()?;
        let helpers = Arc::new(Helpers { pool, awake: AtomicUsize::new(0), last_use: AtomicU64::new(now()) });
        *slot = Some(Arc::clone(&helpers));
        Some(helpers)
    }

    /// Marks this moment as the last use and, unless they already are, sets every helper
    /// looking for work until [`STAY_AWAKE`] has passed without any.
    fn stay_awake(self: &Arc<Self>) {
        self.last_use.store(now(), Ordering::Relaxed);
        let count = self.pool.current_num_threads();
        if self.awake.compare_exchange(0, count, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            let helpers = Arc::clone(self);
            self.pool.spawn_broadcast(move |_| {
                helpers.look_for_work();
                helpers.awake.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }

    /// On a helper thread: runs whatever part is handed to the pool, as soon as it is.
    fn look_for_work(&self) {
        let limit = u64::try_from(STAY_AWAKE.as_nanos()).unwrap_or(u64::MAX);
        loop {
            match rayon::yield_now() {
                Some(rayon::Yield::Executed) => self.last_use.store(now(), Ordering::Relaxed),
                _ => {
                    for _ in 0..64 {
                        std::hint::spin_loop();
                    }
                }
            }
            if now().saturating_sub(self.last_use.load(Ordering::Relaxed)) > limit {
                return;
            }
        }
    }
}

/// Counts a part as finished when dropped, so a part that panics is counted too (and the
/// panic reaches the caller through rayon's scope).
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

/// Runs every part and returns when all have finished: the first on this thread, the
/// others on helper threads (one each). Without helpers (one part, or no threads to be
/// had) the parts run here, one after another.
pub(crate) fn run_parts<F: FnOnce() + Send>(parts: SmallVec<[F; 8]>) {
    let helpers = match parts.len() {
        0 | 1 => None,
        count => Helpers::get(count - 1),
    };
    let Some(helpers) = helpers else {
        parts.into_iter().for_each(|part| part());
        return;
    };
    let mut parts = parts.into_iter();
    let first = parts.next().expect("two parts or more");
    let pending = AtomicUsize::new(parts.len());
    helpers.pool.in_place_scope(|scope| {
        for part in parts {
            let pending = &pending;
            scope.spawn(move |_| {
                let _finished = Finished(pending);
                part();
            });
        }
        first();
        helpers.stay_awake();
        // Spin rather than sleep: the other parts end within microseconds of this one,
        // and waking a sleeping thread takes tens of them.
        while pending.load(Ordering::Acquire) != 0 {
            std::hint::spin_loop();
        }
    });
}

/// Loops over at least this many elements are split across threads when
/// [`set_num_threads`] allows more than one (PyTorch's grain for elementwise work is the
/// same 2¹⁵).
pub(crate) const SPLIT_FROM: usize = 1 << 15;

/// How many parts a loop over `len` elements is cut into: one below [`SPLIT_FROM`], else
/// as many as the threads allow, each at least `SPLIT_FROM / 2` long.
pub(crate) fn parts_for(len: usize) -> usize {
    if len < SPLIT_FROM {
        1
    } else {
        usable().min(len.div_ceil(SPLIT_FROM))
    }
}

/// Data an elementwise loop runs over, cut at an element index: a slice, a mutable slice,
/// or a tuple of up to five of them, all of one length (what [`for_each_part`] splits).
///
/// ```
/// use tapegrad_tape::Split;
/// let (mut out, x) = ([0.0; 4], [1.0, 2.0, 3.0, 4.0]);
/// let (front, back) = (&mut out[..], &x[..]).split_at(1);
/// assert_eq!((front.len(), back.len()), (1, 3));
/// assert_eq!(back.1, &[2.0, 3.0, 4.0]);
/// ```
pub trait Split: Sized + Send {
    /// The number of elements.
    fn len(&self) -> usize;
    /// Whether there are no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The first `at` elements and the rest.
    ///
    /// # Panics
    /// If `at > self.len()`.
    fn split_at(self, at: usize) -> (Self, Self);
}

impl<X: Sync> Split for &[X] {
    fn len(&self) -> usize {
        <[X]>::len(self)
    }
    fn split_at(self, at: usize) -> (Self, Self) {
        <[X]>::split_at(self, at)
    }
}

impl<X: Send> Split for &mut [X] {
    fn len(&self) -> usize {
        <[X]>::len(self)
    }
    fn split_at(self, at: usize) -> (Self, Self) {
        <[X]>::split_at_mut(self, at)
    }
}

/// Tuples split member by member; their length is the first member's, and asking for it
/// panics if another member's differs.
macro_rules! split_tuple {
    ($($name:ident $part:ident $index:tt),+) => {
        impl<$($name: Split),+> Split for ($($name,)+) {
            fn len(&self) -> usize {
                let len = self.0.len();
                $(assert_eq!(
                    self.$index.len(),
                    len,
                    "for_each_part: member {} of a tuple has {} elements, the first {len}",
                    $index,
                    self.$index.len()
                );)+
                len
            }
            fn split_at(self, at: usize) -> (Self, Self) {
                $(let $part = self.$index.split_at(at);)+
                (($($part.0,)+), ($($part.1,)+))
            }
        }
    };
}
split_tuple!(A a 0, B b 1);
split_tuple!(A a 0, B b 1, C c 2);
split_tuple!(A a 0, B b 1, C c 2, D d 3);
split_tuple!(A a 0, B b 1, C c 2, D d 3, E e 4);

/// Runs `f` over consecutive parts of `data` that together cover it: on this thread for
/// short data (under 2¹⁵ elements) or with one thread allowed ([`set_num_threads`]),
/// else in as many parts as threads, one on this thread and the others on tapegrad's
/// helpers. For elementwise work (each element computed on its own, in any order) the
/// results are those of one `f(data)`, bit for bit, for every thread count; the
/// optimizers' updates run through it.
///
/// # Panics
/// If the members of a tuple differ in length, or if `f` panics.
///
/// ```
/// let x = vec![1.5f32; 100_000];
/// let mut y = vec![0.0f32; 100_000];
/// tapegrad_tape::for_each_part((&mut y[..], &x[..]), |(y, x)| {
///     y.iter_mut().zip(x).for_each(|(y, x)| *y = 2.0 * x);
/// });
/// assert!(y.iter().all(|&y| y == 3.0));
/// ```
pub fn for_each_part<S: Split>(data: S, f: impl Fn(S) + Sync) {
    let parts = parts_for(data.len());
    if parts <= 1 {
        return f(data);
    }
    let f = &f;
    run_parts(pieces(data, parts).into_iter().map(|piece| move || f(piece)).collect());
}

/// `data` cut into `parts` consecutive pieces whose lengths differ by one at most.
pub(crate) fn pieces<S: Split>(data: S, parts: usize) -> SmallVec<[S; 8]> {
    let len = data.len();
    let (mut rest, mut done) = (data, 0);
    let mut pieces = SmallVec::new();
    for part in 1..parts {
        let end = len * part / parts;
        let (piece, after) = rest.split_at(end - done);
        pieces.push(piece);
        (rest, done) = (after, end);
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_every_member_in_order() {
        let a: Vec<u32> = (0..100_003).collect();
        let mut b = vec![0u32; a.len()];
        for parts in [1, 2, 3, 7] {
            let cut = pieces((&mut b[..], &a[..]), parts);
            assert_eq!(cut.len(), parts);
            let mut next = 0;
            for (b_piece, a_piece) in cut {
                assert_eq!(a_piece.first(), Some(&next), "{parts} parts start where the last ended");
                assert!(a_piece.len().abs_diff(a.len() / parts) <= 1);
                assert_eq!(b_piece.len(), a_piece.len());
                next += a_piece.len() as u32;
            }
            assert_eq!(next as usize, a.len());
        }
    }

    #[test]
    fn for_each_part_reaches_every_element_at_any_thread_count() {
        for threads in [1, 2] {
            set_num_threads(threads);
            let x: Vec<f64> = (0..70_001).map(|i| i as f64).collect();
            let (mut y, mut z) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            for_each_part((&mut y[..], &mut z[..], &x[..]), |(y, z, x)| {
                for ((y, z), x) in y.iter_mut().zip(z.iter_mut()).zip(x) {
                    (*y, *z) = (x * 2.0, -x);
                }
            });
            assert!(y.iter().zip(&z).zip(&x).all(|((y, z), x)| *y == 2.0 * x && *z == -x));
        }
        set_num_threads(1);
    }

    #[test]
    #[should_panic(expected = "member 1 of a tuple has 3 elements, the first 4")]
    fn members_of_different_lengths_are_refused() {
        let (mut a, b) = ([0; 4], [1; 3]);
        for_each_part((&mut a[..], &b[..]), |_| {});
    }
}
