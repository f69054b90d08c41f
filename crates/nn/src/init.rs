//! Weight initialisers, each drawing from an explicit RNG so runs repeat bit for bit.

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use tapegrad_tape::Float;

/// How to fill a parameter. `fan_in`/`fan_out` are the layer's input and output widths
/// (for a Dense weight of shape `[in, out]`: `in` and `out`).
///
/// | initialiser | distribution | for |
/// |---|---|---|
/// | `XavierUniform` (Glorot) | `U(−a, a)`, `a = √(6 / (fan_in + fan_out))` | tanh, sigmoid, linear |
/// | `XavierNormal` | `N(0, σ²)`, `σ = √(2 / (fan_in + fan_out))` | tanh, sigmoid, linear |
/// | `HeUniform` (Kaiming) | `U(−a, a)`, `a = √(6 / fan_in)` | ReLU |
/// | `HeNormal` | `N(0, σ²)`, `σ = √(2 / fan_in)` | ReLU |
/// | `Zeros` | 0 | biases |
/// | `Constant(c)` | `c` | tests, special cases |
///
/// These are the formulas of Glorot & Bengio (2010) and He et al. (2015), as Keras and
/// PyTorch (`xavier_uniform_`, `kaiming_normal_` with `mode="fan_in"`, gain √2) define them.
///
/// ```
/// use rand::SeedableRng;
/// use tapegrad_nn::Init;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let w = Init::HeUniform.array::<f32>(&[64, 32], 64, 32, &mut rng);
/// let bound = (6.0f32 / 64.0).sqrt();
/// assert_eq!(w.shape(), &[64, 32]);
/// assert!(w.iter().all(|&v| v.abs() <= bound));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Glorot/Xavier uniform: `U(−a, a)`, `a = √(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// Glorot/Xavier normal: `N(0, 2 / (fan_in + fan_out))`.
    XavierNormal,
    /// He/Kaiming uniform: `U(−a, a)`, `a = √(6 / fan_in)`.
    HeUniform,
    /// He/Kaiming normal: `N(0, 2 / fan_in)`.
    HeNormal,
    /// All zeros.
    Zeros,
    /// Every element `c`.
    Constant(f64),
}

impl Init {
    /// An array of `shape` filled by this initialiser. An array with no element (a layer of
    /// width 0) is returned as it is, whatever the fans, as PyTorch's initialisers do.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// use tapegrad_nn::Init;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// let b = Init::Constant(0.5).array::<f64>(&[3], 1, 3, &mut rng);
    /// assert_eq!(b, ndarray::array![0.5, 0.5, 0.5].into_dyn());
    /// ```
    pub fn array<T: Float>(
        &self,
        shape: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut (impl Rng + ?Sized),
    ) -> ArrayD<T> {
        if shape.contains(&0) {
            return filled(shape, T::zero);
        }
        // Fans of 0 with elements to fill: there is no scale; count them as 1.
        let (fan_in, fan_out) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        match *self {
            Init::XavierUniform => uniform(shape, fan_bound(6.0, fan_in + fan_out), rng),
            Init::HeUniform => uniform(shape, fan_bound(6.0, fan_in), rng),
            Init::XavierNormal => normal(shape, fan_bound(2.0, fan_in + fan_out), rng),
            Init::HeNormal => normal(shape, fan_bound(2.0, fan_in), rng),
            Init::Zeros => filled(shape, T::zero),
            Init::Constant(c) => filled(shape, || T::from_f64(c)),
        }
    }
}

/// `√(numerator / fan)`.
fn fan_bound(numerator: f64, fan: f64) -> f64 {
    (numerator / fan).sqrt()
}

fn uniform<T: Float>(shape: &[usize], bound: f64, rng: &mut (impl Rng + ?Sized)) -> ArrayD<T> {
    filled(shape, || T::from_f64(rng.random_range(-bound..=bound)))
}

fn normal<T: Float>(shape: &[usize], std: f64, rng: &mut (impl Rng + ?Sized)) -> ArrayD<T> {
    let normal = Normal::new(0.0, std).expect("a finite, positive standard deviation");
    filled(shape, || T::from_f64(normal.sample(rng)))
}

/// An array of `shape` filled by `next`, its memory asked for fallibly: a shape that
/// cannot be allocated (`Embedding::new(2⁴⁰, 1)`, 4 TiB) is a panic naming it, where the
/// infallible allocation aborted the process. PyTorch raises in the same place.
///
/// # Panics
/// If the shape's size overflows or its memory cannot be allocated.
#[track_caller]
pub(crate) fn filled<T: Float>(shape: &[usize], mut next: impl FnMut() -> T) -> ArrayD<T> {
    let count = shape.iter().try_fold(1usize, |count, &len| count.checked_mul(len));
    let bytes = count.and_then(|count| count.checked_mul(std::mem::size_of::<T>()));
    let mut values = Vec::new();
    match (count, bytes) {
        (Some(count), Some(bytes)) if values.try_reserve_exact(count).is_ok() => {
            let _ = bytes;
            values.extend(std::iter::repeat_with(&mut next).take(count));
        }
        (_, bytes) => panic!(
            "an array of shape {shape:?} cannot be allocated ({}): a layer's size beyond this machine's memory",
            bytes.map_or("more bytes than a usize counts".to_string(), |bytes| format!("{bytes} bytes"))
        ),
    }
    ArrayD::from_shape_vec(IxDyn(shape), values).expect("one value per element")
}
