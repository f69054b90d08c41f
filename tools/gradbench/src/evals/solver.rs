//! The gradient-descent solver that `saddle` and `particle` specify (GradBench's
//! `cpp/gradbench/gd.hpp`): from a start, step against the gradient with a rate that halves
//! after a step that does not lower the function and doubles after ten that do; stop when
//! the gradient or the step is below 10⁻⁵.
//!
//! It runs on plain numbers ([`Numbers`]) or on values recorded on a tape ([`Recorded`]),
//! so that the minimiser of a function can itself be differentiated: the nested case.

use tapegrad::tape::Var;

use crate::input::{error, Result};

/// The most steps one descent may take: a NaN gradient never shrinks, and would otherwise
/// halve the rate forever.
///
/// ```
/// use tapegrad_gradbench::evals::solver::argmin;
/// // A NaN gradient never shrinks: the descent gives up with an error instead of looping.
/// let result = argmin(|_: &Vec<f64>| Ok(0.0), |_: &Vec<f64>| Ok(vec![f64::NAN]), vec![0.0]);
/// assert!(result.is_err());
/// ```
pub const MAX_ITERATIONS: usize = 1_000_000;

/// A point the solver can move: a step against a direction, and sizes read as numbers.
///
/// ```
/// use tapegrad_gradbench::evals::solver::Point;
/// let x = vec![3.0, 4.0];
/// assert_eq!((x.norm(), x.step(0.5, &vec![2.0, 2.0]), x.negated()), (5.0, vec![2.0, 3.0], vec![-3.0, -4.0]));
/// ```
pub trait Point: Clone {
    /// `self − rate · direction`.
    fn step(&self, rate: f64, direction: &Self) -> Self;
    /// The Euclidean length.
    fn norm(&self) -> f64;
    /// The Euclidean distance to `other`.
    fn distance(&self, other: &Self) -> f64;
    /// `−self`.
    fn negated(&self) -> Self;
}

/// A point as plain numbers.
///
/// ```
/// let x: tapegrad_gradbench::evals::solver::Numbers = vec![1.0, 2.0];
/// assert_eq!(x.len(), 2);
/// ```
pub type Numbers = Vec<f64>;

impl Point for Numbers {
    fn step(&self, rate: f64, direction: &Self) -> Self {
        self.iter().zip(direction).map(|(x, d)| x - rate * d).collect()
    }
    fn norm(&self) -> f64 {
        self.iter().map(|x| x * x).sum::<f64>().sqrt()
    }
    fn distance(&self, other: &Self) -> f64 {
        self.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    }
    fn negated(&self) -> Self {
        self.iter().map(|x| -x).collect()
    }
}

/// A point recorded on a tape (a 1-D value): steps are recorded, so the end point is a
/// differentiable function of whatever the start and the gradients depend on.
///
/// ```
/// use tapegrad_gradbench::evals::solver::{Point, Recorded};
/// let tape = tapegrad::tape::Tape::new();
/// let x = Recorded(tape.var(ndarray::array![3.0, 4.0]));
/// let moved = x.step(1.0, &x);                                 // x − x = 0, recorded
/// assert_eq!((x.norm(), moved.norm()), (5.0, 0.0));
/// ```
#[derive(Clone, Copy)]
pub struct Recorded<'t>(pub Var<'t, f64>);

impl Point for Recorded<'_> {
    fn step(&self, rate: f64, direction: &Self) -> Self {
        Recorded(self.0 - direction.0 * rate)
    }
    fn norm(&self) -> f64 {
        self.0.with_value(|v| v.iter().map(|x| x * x).sum::<f64>().sqrt())
    }
    fn distance(&self, other: &Self) -> f64 {
        self.0.with_value(|a| {
            other.0.with_value(|b| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt())
        })
    }
    fn negated(&self) -> Self {
        Recorded(-self.0)
    }
}

/// The point gradient descent on `value` (and its `gradient`) stops at, from `start`.
///
/// # Errors
/// The first error `value` or `gradient` returns, or [`MAX_ITERATIONS`] without stopping.
///
/// ```
/// use tapegrad_gradbench::evals::solver::argmin;
/// // (x − 3)²: the solver stops within 10⁻⁵ of the minimum's neighbourhood
/// let x = argmin(|x: &Vec<f64>| Ok((x[0] - 3.0).powi(2)), |x: &Vec<f64>| Ok(vec![2.0 * (x[0] - 3.0)]), vec![0.0]).unwrap();
/// assert!((x[0] - 3.0).abs() < 1e-4);
/// ```
pub fn argmin<P: Point>(
    value: impl Fn(&P) -> Result<f64>,
    gradient: impl Fn(&P) -> Result<P>,
    start: P,
) -> Result<P> {
    let mut x = start;
    let mut fx = value(&x)?;
    let mut gx = gradient(&x)?;
    let mut rate = 1e-5;
    let mut accepted = 0;
    for _ in 0..MAX_ITERATIONS {
        if gx.norm() <= 1e-5 {
            return Ok(x);
        }
        if accepted == 10 {
            rate *= 2.0;
            accepted = 0;
            continue;
        }
        let next = x.step(rate, &gx);
        if x.distance(&next) <= 1e-5 {
            return Ok(x);
        }
        let f_next = value(&next)?;
        if f_next < fx {
            x = next;
            fx = f_next;
            gx = gradient(&x)?;
            accepted += 1;
        } else {
            rate /= 2.0;
            accepted = 0;
        }
    }
    Err(error(format_args!("gradient descent did not stop in {MAX_ITERATIONS} steps (f = {fx})")))
}

/// The point gradient ascent stops at: [`argmin`] of `−value`.
///
/// # Errors
/// As [`argmin`].
///
/// ```
/// use tapegrad_gradbench::evals::solver::argmax;
/// let x = argmax(|x: &Vec<f64>| Ok(-(x[0] + 1.0).powi(2)), |x: &Vec<f64>| Ok(vec![-2.0 * (x[0] + 1.0)]), vec![0.0]).unwrap();
/// assert!((x[0] + 1.0).abs() < 1e-4);
/// ```
pub fn argmax<P: Point>(
    value: impl Fn(&P) -> Result<f64>,
    gradient: impl Fn(&P) -> Result<P>,
    start: P,
) -> Result<P> {
    argmin(|x| Ok(-value(x)?), |x| Ok(gradient(x)?.negated()), start)
}
