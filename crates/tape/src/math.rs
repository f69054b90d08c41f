//! Elementary functions written so the compiler can vectorise them: straight-line
//! arithmetic and bit manipulation, no branches and no calls into the C library, whose
//! scalar `tanhf` would otherwise be most of a small tanh network's step.
//!
//! `f32` uses them for `tanh`, `f64` for `exp` (a log-sum-exp over 640,000 numbers spent
//! half its time in glibc's scalar `exp`); each is held to a measured ulp bound in the
//! tests below, and everything else is the standard library's.

/// `tanh(x)` for `f32`: at most 1.56 ulp from the exact value on the 88 million inputs the
/// test below tries (every exponent, both signs; it holds the bound to 2), `±0` and `±∞`
/// exact, NaN propagated. glibc's scalar `tanhf` is within 2 ulp too; this one runs 16
/// lanes at a time with AVX-512.
///
/// With `a = |x|`: for `a ≥ 0.55`, `tanh a = (1 − u) / (1 + u)` with `u = e^(−2a)`; below,
/// where `1 − u` would cancel, the odd polynomial `a + a³·Q(a²)` (degree 13, fitted to
/// minimise the relative error on `[0, 0.55]` by `tools/fit_tanh.py`). Both are
/// computed and one selected, so the loop stays branch-free.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    const Q: [f32; 6] =
        [-0.333_333_3, 0.133_333, -0.053_960_64, 0.021_789_98, -0.008_437_211, 0.002_423_709_7];
    let a = x.abs();
    let u = exp_negative(-2.0 * a);
    let large = (1.0 - u) / (1.0 + u);
    let z = a * a;
    let q = Q[0] + z * (Q[1] + z * (Q[2] + z * (Q[3] + z * (Q[4] + z * Q[5]))));
    let small = a + a * z * q;
    let magnitude = if a >= 0.55 { large } else { small };
    // copysign keeps −0 for −0; a NaN stays NaN.
    magnitude.copysign(x)
}

/// `eˣ` for `x ≤ 0` (NaN propagated), to about 1 ulp.
///
/// `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2`, so `eˣ = 2ᵏ·(1 + (eʳ − 1))`, with `eʳ − 1` from
/// its Taylor series to `r⁸/8!` (truncation below 2⁻³⁰ relative on that interval). `ln 2` is
/// split in two (Cody and Waite) so that `r` is exact to f32.
#[inline(always)]
fn exp_negative(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75; // ln 2 with its low 9 bits zero (0x3f31_7200)
    const LN2_LO: f32 = 1.428_606_8e-6; // ln 2 − LN2_HI
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer
                                     // Below −88, eˣ underflows f32; clamp so 2ᵏ stays representable (NaN passes through).
    let x = if x < -88.0 { -88.0 } else { x };
    let k = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // eʳ − 1 = r + r²/2! + … + r⁸/8!, by Horner.
    let p = r
        * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0
                            + r * (1.0 / 720.0 + r * (1.0 / 5040.0 + r * (1.0 / 40320.0))))))));
    // 2ᵏ from its exponent bits (k ∈ [−127, 0]; at −127 the bits give 0, as eˣ → 0).
    let scale = f32::from_bits((((k as i32) + 127).max(0) as u32) << 23);
    scale * p + scale
}

/// `eˣ` for `f64`: within 1 ulp of glibc's `exp` on the 4 million inputs the test below
/// tries (every exponent, both signs), exact at 0, `+∞` above 709.78, `0` below −745.13
/// (subnormals on the way), NaN propagated. Straight-line arithmetic, so a loop over it
/// runs four or eight lanes at a time.
///
/// `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2` (`ln 2` split in two, Cody and Waite, so `r` is
/// exact), `eʳ − 1` from its Taylor series to `r¹³/13!` (the next term is below 2⁻⁵⁷
/// relative), and `2ᵏ` applied as two powers of two built from their exponent bits, so that
/// neither overflows nor goes subnormal before the product does.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    // ln 2 with its low 32 bits zero, and ln 2 − LN2_HI (fdlibm's constants).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1.5 · 2⁵²: adding it rounds to an integer.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // Beyond these eˣ is ∞ or 0 whatever k is; clamping keeps 2ᵏ's halves in range (a NaN
    // passes through).
    let x = x.clamp(-745.2, 709.9);
    let k = (x * std::f64::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // eʳ − 1 = r·(1 + r/2! + … + r¹²/13!), the bracket by Estrin's scheme: pairs of
    // terms, then pairs of pairs with r², r⁴, r⁸. Horner's thirteen steps each wait on
    // the last; these four levels of independent products kept the vector units busy and
    // took a loop over 640,000 numbers from 2.9 to 2.1 ns a number on the team's machine.
    const C: [f64; 13] = [
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let (r2, pair) = (r * r, |i: usize| C[i] + C[i + 1] * r);
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let low = (pair(0) + pair(2) * r2) + (pair(4) + pair(6) * r2) * r4;
    let high = (pair(8) + pair(10) * r2) + C[12] * r4;
    let p = (low + high * r8) * r;
    // 2ᵏ = 2^k₁ · 2^k₂ with k₁ = ⌊k/2⌋: both halves are normal numbers for every k here.
    // (Plain multiplies and adds: `mul_add` is a library call wherever the code is not
    // compiled for FMA, and it gained nothing measurable in accuracy.)
    let k1 = (k * 0.5).floor();
    let k2 = k - k1;
    // 2ᵉ's bits: adding ROUND puts the integer e + 1023 in the low bits of the sum, read
    // there by integer arithmetic (an `as u64` conversion has no vector instruction below
    // AVX-512, and would leave the whole loop scalar).
    let power = |e: f64| f64::from_bits(((e + 1023.0 + ROUND).to_bits().wrapping_sub(ROUND.to_bits())) << 52);
    (power(k1) * p + power(k1)) * power(k2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between an f32 result and the exact value.
    fn ulp_error(got: f32, exact: f64) -> f64 {
        let rounded = exact as f32;
        if got == rounded {
            return 0.0;
        }
        let ulp =
            (f64::from(rounded.abs().next_up()) - f64::from(rounded.abs())).max(f64::from(f32::MIN_POSITIVE));
        (f64::from(got) - exact).abs() / ulp
    }

    #[test]
    fn tanh_is_within_two_ulp_everywhere() {
        // Every 97th f32 bit pattern (about 44 million values, every exponent), both signs.
        let mut worst = (0.0, 0.0f32);
        for bits in (0..0x7f80_0000u32).step_by(97) {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let error = ulp_error(tanh_f32(x), f64::from(x).tanh());
                if error > worst.0 {
                    worst = (error, x);
                }
            }
        }
        assert!(worst.0 <= 2.0, "{} ulp at x = {:e}", worst.0, worst.1);
    }

    /// Distance in units in the last place between an f64 result and glibc's.
    fn ulp_error_f64(got: f64, reference: f64) -> f64 {
        if got == reference || (got.is_nan() && reference.is_nan()) {
            return 0.0;
        }
        let ulp = (reference.abs().next_up() - reference.abs()).max(f64::from_bits(1));
        (got - reference).abs() / ulp
    }

    #[test]
    fn exp_f64_is_within_one_ulp_of_glibc() {
        // Every 2⁴¹ + 1st f64 bit pattern below the overflow threshold (about 4 million
        // values, every exponent), both signs, and the edges.
        let mut worst = (0.0, 0.0f64);
        let limit = 709.9f64.to_bits();
        let mut bits = 0u64;
        while bits < limit {
            for x in [f64::from_bits(bits), -f64::from_bits(bits)] {
                let error = ulp_error_f64(exp_f64(x), x.exp());
                if error > worst.0 {
                    worst = (error, x);
                }
            }
            bits += (1 << 41) + 1;
        }
        for x in [-745.2, -745.13, -740.0, -708.5, -708.39, 709.78, 709.782, 1e-300, -1e-300] {
            let error = ulp_error_f64(exp_f64(x), x.exp());
            if error > worst.0 {
                worst = (error, x);
            }
        }
        assert!(worst.0 <= 1.0, "{} ulp at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn exp_f64_special_values() {
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-0.0), 1.0);
        assert_eq!(exp_f64(710.0), f64::INFINITY);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(-746.0), 0.0);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert!((exp_f64(1.0) - std::f64::consts::E).abs() <= f64::EPSILON * std::f64::consts::E);
    }

    #[test]
    fn tanh_special_values() {
        assert_eq!(tanh_f32(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f32(100.0), 1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(1e-30), 1e-30);
        assert_eq!(tanh_f32(f32::MIN_POSITIVE / 4.0), f32::MIN_POSITIVE / 4.0);
    }
}
