//! Special functions of plain numbers, for the constants of log-densities: `ln Γ(x)` and
//! the multivariate `ln Γ_p(a)` (a Wishart prior's normaliser). They are not ops: nothing
//! is recorded, and a model whose parameters enter a Γ function needs an op of its own.

use crate::Float;

/// The Lanczos approximation's coefficients for `g = 7`, nine terms (as Numerical Recipes
/// and the usual library ports give them): about 15 significant digits for `x ≥ 1/2`.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// `ln |Γ(x)|`, in f64 whatever `T` is (PyTorch's `lgamma`): about 15 significant digits
/// (checked against PyTorch in the tests), `+∞` at the poles `x = 0, −1, −2, …`, NaN for NaN.
/// For `x < 1/2` it uses the reflection `Γ(x) Γ(1 − x) = π / sin(πx)`.
///
/// ```
/// use tapegrad_tape::special::ln_gamma;
/// assert!((ln_gamma(5.0f64) - 24f64.ln()).abs() < 1e-13);           // Γ(5) = 4!
/// assert!((ln_gamma(0.5f64) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
/// assert_eq!(ln_gamma(0.0f64), f64::INFINITY);
/// ```
pub fn ln_gamma<T: Float>(x: T) -> T {
    T::from_f64(ln_gamma_f64(x.to_f64()))
}

fn ln_gamma_f64(x: f64) -> f64 {
    use std::f64::consts::PI;
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::INFINITY;
    }
    if x < 0.5 {
        // ln |Γ(x)| = ln π − ln |sin πx| − ln Γ(1 − x)
        return PI.ln() - (PI * x).sin().abs().ln() - ln_gamma_f64(1.0 - x);
    }
    let x = x - 1.0;
    let sum = LANCZOS[1..].iter().enumerate().fold(LANCZOS[0], |sum, (i, &c)| sum + c / (x + (i + 1) as f64));
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The multivariate log-gamma function `ln Γ_p(a) = p(p−1)/4 · ln π + Σ_{j=1..p} ln Γ(a + (1 − j)/2)`
/// (`torch.special.multigammaln(a, p)`, `scipy.special.multigammaln`): the log of the
/// normaliser of a `p`-dimensional Wishart density with `2a` degrees of freedom.
///
/// ```
/// use tapegrad_tape::special::{ln_gamma, multivariate_ln_gamma};
/// // p = 1 is plain ln Γ
/// assert_eq!(multivariate_ln_gamma(2.5f64, 1), ln_gamma(2.5f64));
/// // p = 2: ln Γ₂(a) = ½ ln π + ln Γ(a) + ln Γ(a − ½)
/// let expected = 0.5 * std::f64::consts::PI.ln() + ln_gamma(3.0f64) + ln_gamma(2.5f64);
/// assert!((multivariate_ln_gamma(3.0f64, 2) - expected).abs() < 1e-14);
/// ```
pub fn multivariate_ln_gamma<T: Float>(a: T, p: usize) -> T {
    let a = a.to_f64();
    let p_f = p as f64;
    let sum: f64 = (1..=p).map(|j| ln_gamma_f64(a + (1.0 - j as f64) / 2.0)).sum();
    T::from_f64(p_f * (p_f - 1.0) / 4.0 * std::f64::consts::PI.ln() + sum)
}
