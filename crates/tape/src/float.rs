//! The element types the tape works over: `f32` and `f64`, behind one trait bound.

use ndarray::NdFloat;

/// The element types [`Float`] covers, as a value to match on.
///
/// ```
/// use tapegrad_tape::{Float, FloatKind};
/// fn bytes<T: Float>() -> usize {
///     match T::KIND {
///         FloatKind::F32 => 4,
///         FloatKind::F64 => 8,
///     }
/// }
/// assert_eq!(bytes::<f64>(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatKind {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

/// A floating-point element type the tape can differentiate: `f32` (training) or `f64`
/// (gradient checks).
///
/// It is [`ndarray::NdFloat`] (so all of `num_traits::Float` and ndarray's arithmetic)
/// plus lossless-enough conversions to and from `f64`, which the gradient checker and
/// reports use. The trait is sealed: only `f32` and `f64` implement it.
///
/// ```
/// use tapegrad_tape::Float;
/// fn halve<T: Float>(x: T) -> T { x * T::from_f64(0.5) }
/// assert_eq!(halve(3.0f32), 1.5);
/// assert_eq!(<f64 as Float>::NAME, "f64");
/// assert_eq!(<f32 as Float>::KIND, tapegrad_tape::FloatKind::F32);
/// ```
pub trait Float: NdFloat + std::iter::Sum + sealed::Sealed {
    /// The type's name as written in Rust (`"f32"` or `"f64"`), for messages.
    const NAME: &'static str;
    /// Which of the two types it is, for code that must choose (a file's dtype, a parser).
    const KIND: FloatKind;
    /// Converts from `f64`, rounding to nearest for `f32`.
    fn from_f64(value: f64) -> Self;
    /// Converts to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// The error function `erf x = (2/√π) ∫₀ˣ e^(−t²) dt` (libm's, correctly rounded to
    /// within an ulp or so).
    ///
    /// ```
    /// use tapegrad_tape::Float;
    /// assert!((Float::erf(1.0f64) - 0.8427007929497149).abs() < 1e-16);
    /// assert_eq!(Float::erf(0.0f32), 0.0);
    /// assert!((Float::erf(-2.0f32) + 0.9953223).abs() < 1e-7); // odd
    /// ```
    fn erf(self) -> Self;

    /// The larger of `self` and `other`, NaN if either is NaN: IEEE 754-2019's `maximum`
    /// and PyTorch's `maximum`/`relu`/`amax`. (Rust's `f64::max` is `maxNum`, which drops
    /// a NaN: `NaN.max(0.0)` is 0, so a NaN input would vanish into a finite loss while the
    /// weights it reached turn NaN.) The one definition every op, reduction and optimizer
    /// uses.
    ///
    /// ```
    /// use tapegrad_tape::Float;
    /// assert_eq!(Float::nan_max(1.0f64, 3.0), 3.0);
    /// assert!(Float::nan_max(f64::NAN, 0.0).is_nan() && Float::nan_max(0.0, f32::NAN).is_nan());
    /// assert!(f64::NAN.max(0.0) == 0.0); // what it guards against
    /// ```
    #[inline(always)]
    fn nan_max(self, other: Self) -> Self {
        // A compare and two selects, which a loop vectorises to a compare and two blends:
        // `other` wins unless `self > other` (so a NaN `other` wins), and a NaN `self`
        // wins over all. (Testing both for NaN and then taking `max` folded 640,000
        // numbers 2.5 times slower.)
        let larger = if self > other { self } else { other };
        if self.is_nan() {
            self
        } else {
            larger
        }
    }

    /// The smaller of `self` and `other`, NaN if either is NaN (see
    /// [`nan_max`](Float::nan_max)).
    ///
    /// ```
    /// use tapegrad_tape::Float;
    /// assert_eq!(Float::nan_min(1.0f32, -3.0), -3.0);
    /// assert!(Float::nan_min(2.0, f64::NAN).is_nan());
    /// ```
    #[inline(always)]
    fn nan_min(self, other: Self) -> Self {
        let smaller = if self < other { self } else { other };
        if self.is_nan() {
            self
        } else {
            smaller
        }
    }
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    const KIND: FloatKind = FloatKind::F32;
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn erf(self) -> Self {
        libm::erff(self)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    const KIND: FloatKind = FloatKind::F64;
    fn from_f64(value: f64) -> Self {
        value
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
}

pub(crate) mod sealed {
    /// Implemented by `f32` and `f64` only; its methods are the element-type-specific
    /// kernels the ops use, out of users' sight.
    pub trait Sealed: Copy {
        /// `tanh`, vectorisable for `f32` ([`crate::math::tanh_f32`], within 2 ulp), the
        /// standard library's for `f64`.
        fn tanh_kernel(self) -> Self;
        /// `exp`, vectorisable for `f64` ([`crate::math::exp_f64`], within 1 ulp of glibc),
        /// the standard library's for `f32`.
        fn exp_kernel(self) -> Self;
        /// gemm's matrix-product kernel for this type, chosen for the CPU at run time
        /// ([`crate::gemm`] calls it).
        fn gemm_kernel() -> crate::gemm::GemmKernel<Self>;
    }
    impl Sealed for f32 {
        #[inline(always)]
        fn tanh_kernel(self) -> Self {
            crate::math::tanh_f32(self)
        }
        #[inline(always)]
        fn exp_kernel(self) -> Self {
            self.exp()
        }
        fn gemm_kernel() -> crate::gemm::GemmKernel<Self> {
            gemm_f32::gemm::f32::get_gemm_fn()
        }
    }
    impl Sealed for f64 {
        #[inline(always)]
        fn tanh_kernel(self) -> Self {
            self.tanh()
        }
        #[inline(always)]
        fn exp_kernel(self) -> Self {
            crate::math::exp_f64(self)
        }
        fn gemm_kernel() -> crate::gemm::GemmKernel<Self> {
            gemm_f64::gemm::f64::get_gemm_fn()
        }
    }
}
