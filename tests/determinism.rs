//! A seeded training run is bit-identical whatever the buffer pool holds (buffers taken
//! from it carry old numbers, which every op must overwrite in full) and whatever the
//! thread count (matrix products split their output, never their sums).

#[path = "../benches/common/mod.rs"]
mod common;

/// The losses of `steps` training steps of a fresh model, as bits.
fn run(w: &common::Workload, steps: usize) -> Vec<u32> {
    let mut nn = common::NnStep::new(w);
    (0..steps).map(|_| nn.step().to_bits()).collect()
}

#[test]
fn runs_agree_bit_for_bit_with_a_cold_or_warm_pool_and_with_threads() {
    for (w, steps) in [(common::w1(), 30), (common::w2(), 200), (common::w3(), 3)] {
        let cold = run(&w, steps);
        let warm = run(&w, steps); // the pool now holds the first run's buffers
        assert_eq!(cold, warm, "{}: a warm pool changed the run", w.name);
        tapegrad::tape::set_num_threads(2);
        let threaded = run(&w, steps);
        tapegrad::tape::set_num_threads(1);
        assert_eq!(cold, threaded, "{}: two threads changed the run", w.name);
    }
}
