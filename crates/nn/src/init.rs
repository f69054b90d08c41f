//! Weight initialisers, each drawing from an explicit RNG so runs repeat bit for bit.

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use tapegrad_tape::Float;

use crate::NnError;

/// How to fill a parameter. `fan_in`/`fan_out` are the layer's input and output widths
/// (for a Dense weight of shape `[in, out]`: `in` and `out`).
///
/// | initialiser | distribution | for |
/// |---|---|---|
/// | `XavierUniform` (Glorot) | `U(−a, a)`, `a = √(6 / (fan_in + fan_out))` | tanh, sigmoid, linear |
/// | `XavierNormal` | `N(0, σ²)`, `σ = √(2 / (fan_in + fan_out))` | tanh, sigmoid, linear |
/// | `HeUniform` (Kaiming) | `U(−a, a)`, `a = √(6 / fan_in)` | ReLU |
/// | `HeNormal` | `N(0, σ²)`, `σ = √(2 / fan_in)` | ReLU |
/// | `KaimingUniform { a }` | `U(−b, b)`, `b = √(6 / ((1 + a²)·fan_in))` | leaky ReLU of slope `a` |
/// | `TorchLinear` | `U(−b, b)`, `b = 1/√fan_in` | PyTorch's `Linear` default, weight and bias |
/// | `Uniform { low, high }` | `U(low, high)` | |
/// | `Normal { mean, std }` | `N(mean, std²)` | |
/// | `Orthogonal { gain }` | `gain ·` a random (semi-)orthogonal matrix | deep linear and recurrent nets |
/// | `Zeros` | 0 | biases |
/// | `Constant(c)` | `c` | tests, special cases |
///
/// These are the formulas of Glorot & Bengio (2010), He et al. (2015) and Saxe et al.
/// (2014), as Keras and PyTorch (`xavier_uniform_`, `kaiming_normal_` with
/// `mode="fan_in"`, gain √2, `kaiming_uniform_(a)`, `orthogonal_`) define them.
/// PyTorch's `nn.Linear` initialises its weight with `kaiming_uniform_(a = √5)`, whose
/// bound `√(6 / (6·fan_in))` is `1/√fan_in`, and its bias from `U(±1/√fan_in)` too:
/// `Init::TorchLinear` for both, so a model ported from PyTorch starts from the same
/// distribution (the numbers differ: the generators do).
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
    /// Kaiming uniform for a leaky ReLU of negative slope `a` (`mode="fan_in"`):
    /// `U(−b, b)`, `b = √(6 / ((1 + a²)·fan_in))`; `a = 0` is [`HeUniform`](Init::HeUniform).
    KaimingUniform {
        /// The leaky ReLU's negative slope (PyTorch's `a`).
        a: f64,
    },
    /// PyTorch's `nn.Linear` default, for weight and bias alike: `U(−b, b)`,
    /// `b = 1/√fan_in` (its `kaiming_uniform_(a = √5)` for the weight, the same bound for
    /// the bias).
    TorchLinear,
    /// `U(low, high)`.
    Uniform {
        /// The lower bound.
        low: f64,
        /// The upper bound (at least `low`).
        high: f64,
    },
    /// `N(mean, std²)`.
    Normal {
        /// The mean.
        mean: f64,
        /// The standard deviation (at least 0).
        std: f64,
    },
    /// `gain` times a random orthogonal matrix (PyTorch's `orthogonal_`): the array is
    /// seen as `[shape[0], rest]`, and whichever side is shorter gets orthonormal vectors
    /// (rows of a wide matrix, columns of a tall one), drawn as the `Q` of a Gaussian
    /// matrix's QR with `R`'s diagonal made positive, so every orthogonal matrix is equally
    /// likely. A 1-D array is one row (a unit vector times `gain`).
    Orthogonal {
        /// The scale (PyTorch's `gain`; 1 for an orthogonal matrix).
        gain: f64,
    },
    /// All zeros.
    Zeros,
    /// Every element `c`.
    Constant(f64),
}

impl Init {
    /// Checks the initialiser's settings: finite numbers, `low ≤ high`, `std ≥ 0`.
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] naming the setting.
    ///
    /// ```
    /// use tapegrad_nn::Init;
    /// assert!(Init::Normal { mean: 0.0, std: 0.02 }.check().is_ok());
    /// let bad = Init::Uniform { low: 1.0, high: -1.0 }.check().unwrap_err();
    /// assert_eq!(bad.to_string(), "Init::Uniform: low = 1 (must be at most `high`)");
    /// ```
    pub fn check(&self) -> Result<(), NnError> {
        let invalid = |name: &'static str, value: f64, expected: &'static str| {
            Err(NnError::InvalidSetting { layer: self.name(), name, value, expected })
        };
        match *self {
            Init::KaimingUniform { a } if !a.is_finite() => invalid("a", a, "finite"),
            Init::Uniform { low, .. } if !low.is_finite() => invalid("low", low, "finite"),
            Init::Uniform { high, .. } if !high.is_finite() => invalid("high", high, "finite"),
            Init::Uniform { low, high } if low > high => invalid("low", low, "at most `high`"),
            Init::Normal { mean, .. } if !mean.is_finite() => invalid("mean", mean, "finite"),
            Init::Normal { std, .. } if !(std.is_finite() && std >= 0.0) => {
                invalid("std", std, "finite and ≥ 0")
            }
            Init::Orthogonal { gain } if !gain.is_finite() => invalid("gain", gain, "finite"),
            Init::Constant(c) if !c.is_finite() => invalid("c", c, "finite"),
            _ => Ok(()),
        }
    }

    /// The initialiser's name in messages (`Init::Uniform`).
    fn name(&self) -> &'static str {
        match self {
            Init::XavierUniform => "Init::XavierUniform",
            Init::XavierNormal => "Init::XavierNormal",
            Init::HeUniform => "Init::HeUniform",
            Init::HeNormal => "Init::HeNormal",
            Init::KaimingUniform { .. } => "Init::KaimingUniform",
            Init::TorchLinear => "Init::TorchLinear",
            Init::Uniform { .. } => "Init::Uniform",
            Init::Normal { .. } => "Init::Normal",
            Init::Orthogonal { .. } => "Init::Orthogonal",
            Init::Zeros => "Init::Zeros",
            Init::Constant(_) => "Init::Constant",
        }
    }

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
    ///
    /// # Panics
    /// If the settings are out of range ([`check`](Init::check) says which), or the
    /// array cannot be allocated.
    #[track_caller]
    pub fn array<T: Float>(
        &self,
        shape: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut (impl Rng + ?Sized),
    ) -> ArrayD<T> {
        if let Err(error) = self.check() {
            panic!("{error}");
        }
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
            Init::KaimingUniform { a } => uniform(shape, fan_bound(6.0, (1.0 + a * a) * fan_in), rng),
            Init::TorchLinear => uniform(shape, fan_bound(1.0, fan_in), rng),
            Init::Uniform { low, high } => {
                filled(shape, || T::from_f64(low + (high - low) * rng.random::<f64>()))
            }
            Init::Normal { mean, std } => {
                let normal = Normal::new(mean, std).expect("checked: finite, std ≥ 0");
                filled(shape, || T::from_f64(normal.sample(rng)))
            }
            Init::Orthogonal { gain } => orthogonal(shape, gain, rng),
            Init::Zeros => filled(shape, T::zero),
            Init::Constant(c) => filled(shape, || T::from_f64(c)),
        }
    }
}

/// `gain` times a random (semi-)orthogonal `[shape[0], rest]` matrix (see
/// [`Init::Orthogonal`]): the Gaussian matrix's shorter side orthonormalised by modified
/// Gram–Schmidt, run twice (in exact arithmetic the `Q` of its QR with `R`'s diagonal
/// positive; the second pass restores orthogonality to rounding). A Gaussian matrix is
/// of full rank with probability 1.
fn orthogonal<T: Float>(shape: &[usize], gain: f64, rng: &mut (impl Rng + ?Sized)) -> ArrayD<T> {
    let rows = if shape.len() >= 2 { shape[0] } else { 1 };
    let count: usize = shape.iter().product();
    let cols = count / rows.max(1);
    // The vectors to orthonormalise: the shorter side's, each of the longer side's length.
    let (vectors, length) = if rows <= cols { (rows, cols) } else { (cols, rows) };
    let normal = Normal::new(0.0, 1.0).expect("a standard normal");
    let gaussian: ArrayD<f64> = filled(&[vectors, length], || normal.sample(rng));
    let mut q = gaussian.into_dimensionality::<ndarray::Ix2>().expect("2-d");
    for i in 0..vectors {
        for _pass in 0..2 {
            for j in 0..i {
                let projection = q.row(i).dot(&q.row(j));
                let earlier = q.row(j).to_owned();
                q.row_mut(i).scaled_add(-projection, &earlier);
            }
        }
        let norm = q.row(i).dot(&q.row(i)).sqrt();
        q.row_mut(i).mapv_inplace(|v| v / norm);
    }
    // Rows of a wide matrix, or (transposed back) columns of a tall one.
    let matrix = if rows <= cols { q } else { q.reversed_axes() };
    let values: Vec<T> = matrix.iter().map(|&v| T::from_f64(gain * v)).collect();
    ArrayD::from_shape_vec(ndarray::IxDyn(shape), values).expect("one value per element")
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
