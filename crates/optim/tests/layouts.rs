//! Every update rule runs over contiguous slices when it can (vectorised) and through
//! ndarray's `Zip` otherwise. Both must give the same bits: here every optimizer setting
//! trains a parameter stored row-major and the same values stored column-major (a layout
//! the slice path cannot take) for three steps, on f32 and f64, and the results must match
//! exactly, NaN gradients included. A parameter long enough to be split across threads
//! (`set_num_threads(2)`) must give the bits of the unsplit strided loop too.

use ndarray::{Array2, ShapeBuilder};
use tapegrad_optim::{Adagrad, Adam, AdamW, NamedParam, Optimizer, RmsProp, Sgd};
use tapegrad_tape::Float;

fn optimizers<T: Float>() -> Vec<(&'static str, Box<dyn Optimizer<T>>)> {
    let c = T::from_f64;
    vec![
        ("sgd", Box::new(Sgd::builder().learning_rate(c(0.1)).build().unwrap())),
        ("sgd decay", Box::new(Sgd::builder().learning_rate(c(0.1)).weight_decay(c(0.01)).build().unwrap())),
        (
            "sgd momentum",
            Box::new(
                Sgd::builder().learning_rate(c(0.1)).momentum(c(0.9)).dampening(c(0.1)).build().unwrap(),
            ),
        ),
        (
            "sgd nesterov",
            Box::new(Sgd::builder().learning_rate(c(0.1)).momentum(c(0.9)).nesterov(true).build().unwrap()),
        ),
        ("adam", Box::new(Adam::builder().learning_rate(c(0.01)).build().unwrap())),
        (
            "adam amsgrad decay",
            Box::new(
                Adam::builder().learning_rate(c(0.01)).amsgrad(true).weight_decay(c(0.1)).build().unwrap(),
            ),
        ),
        ("adamw", Box::new(AdamW::builder().learning_rate(c(0.01)).weight_decay(c(0.1)).build().unwrap())),
        ("adagrad", Box::new(Adagrad::builder().learning_rate(c(0.1)).weight_decay(c(0.1)).build().unwrap())),
        ("rmsprop", Box::new(RmsProp::builder().learning_rate(c(0.01)).build().unwrap())),
        ("rmsprop centered", Box::new(RmsProp::builder().centered(true).build().unwrap())),
        ("rmsprop momentum", Box::new(RmsProp::builder().momentum(c(0.5)).build().unwrap())),
        (
            "rmsprop centered momentum",
            Box::new(
                RmsProp::builder().centered(true).momentum(c(0.5)).weight_decay(c(0.1)).build().unwrap(),
            ),
        ),
    ]
}

fn values<T: Float>(rows: usize, cols: usize, seed: usize) -> Array2<T> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        T::from_f64((((i * 13 + j * 7 + seed) % 17) as f64 - 8.0) / 5.0)
    })
}

fn column_major<T: Float>(a: &Array2<T>) -> Array2<T> {
    let mut out = Array2::zeros(a.raw_dim().f());
    out.assign(a);
    out
}

fn same_bits<T: Float>(a: &Array2<T>, b: &Array2<T>) -> bool {
    a.iter().zip(b.iter()).all(|(&x, &y)| Float::to_f64(x).to_bits() == Float::to_f64(y).to_bits())
}

fn check<T: Float>(rows_count: usize, cols: usize) {
    for ((name, mut rows), (_, mut columns)) in optimizers::<T>().into_iter().zip(optimizers::<T>()) {
        let mut p_rows = values::<T>(rows_count, cols, 0);
        let mut p_columns = column_major(&p_rows);
        assert!(p_columns.as_slice().is_none(), "the second copy must be column-major");
        for step in 0..3 {
            let mut grad = values::<T>(rows_count, cols, step + 1);
            if step == 2 {
                grad[[3, 1]] = T::nan();
            }
            let grad_columns = column_major(&grad);
            let _report = rows.step_params(&mut [NamedParam::new("w", &mut p_rows, &grad)]).unwrap();
            let _report =
                columns.step_params(&mut [NamedParam::new("w", &mut p_columns, &grad_columns)]).unwrap();
            assert!(same_bits(&p_rows, &p_columns), "{name} ({}): step {step} differs by layout", T::NAME);
        }
    }
}

// 37 × 5: long enough for full SIMD lanes and a tail.
#[test]
fn slice_and_strided_updates_agree_bit_for_bit_in_f32() {
    check::<f32>(37, 5);
}

#[test]
fn slice_and_strided_updates_agree_bit_for_bit_in_f64() {
    check::<f64>(37, 5);
}

// 331 × 101 = 33,431 numbers: over the 2¹⁵ from which a loop is split, in two unequal
// parts. The setting is process-wide, which is harmless to the other tests: the bits do
// not depend on it.
#[test]
fn updates_split_across_threads_agree_bit_for_bit() {
    tapegrad_tape::set_num_threads(2);
    check::<f32>(331, 101);
    check::<f64>(331, 101);
    tapegrad_tape::set_num_threads(1);
}
