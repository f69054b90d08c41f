//! The two ways to take a gradient that `saddle` and `particle` ask for in every nesting:
//! reverse (`r`: one backward pass, [`Tape::grad`](tapegrad::tape::Tape::grad)) and forward (`f`: one Jacobian-vector
//! product per input coordinate).
//!
//! tapegrad has no forward mode yet, so a forward product here is computed by the tape in
//! reverse, by the double-VJP trick: with `u` a placeholder of the output's shape,
//! `g(u) = Jᵀu` is recorded, and differentiating `⟨g(u), v⟩` with respect to `u` gives
//! `J·v`. Both derivatives are recorded (`create_graph`), so the result can be
//! differentiated again, by either mode: that is what nesting needs.

use ndarray::ArrayD;
use tapegrad::tape::Var;

use crate::input::{error, Result};

/// Which mode computes a gradient.
///
/// ```
/// use tapegrad_gradbench::evals::modes::Mode;
/// let tape = tapegrad::tape::Tape::new();
/// let x = tape.var(ndarray::array![3.0]);
/// let y = x.powf(3.0).sum();                                   // dy/dx = 3x² = 27
/// assert_eq!(Mode::Forward.gradient(y, x).unwrap().value(), Mode::Reverse.gradient(y, x).unwrap().value());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward: one Jacobian-vector product per coordinate (here by double VJP).
    Forward,
    /// Reverse: one vector-Jacobian product.
    Reverse,
}

impl Mode {
    /// The modes of a GradBench function name, outer then inner: `"rf"` is reverse outside,
    /// forward inside.
    ///
    /// # Errors
    /// If `name` is not two of `r` and `f`.
    ///
    /// ```
    /// use tapegrad_gradbench::evals::modes::Mode;
    /// assert_eq!(Mode::pair("rf").unwrap(), (Mode::Reverse, Mode::Forward));
    /// assert!(Mode::pair("rx").is_err());
    /// ```
    pub fn pair(name: &str) -> Result<(Mode, Mode)> {
        let mode = |c: u8| match c {
            b'f' => Ok(Mode::Forward),
            b'r' => Ok(Mode::Reverse),
            _ => Err(error(format_args!("`{name}`: expected two of `f` and `r` (forward, reverse)"))),
        };
        match name.as_bytes() {
            &[outer, inner] => Ok((mode(outer)?, mode(inner)?)),
            _ => Err(error(format_args!("`{name}`: expected two of `f` and `r` (forward, reverse)"))),
        }
    }

    /// The gradient of the 0-d `output` with respect to the 1-D `input` (a value recorded
    /// on the same tape), recorded so that it can be differentiated again.
    ///
    /// # Errors
    /// As [`Tape::grad`](tapegrad::tape::Tape::grad).
    ///
    /// ```
    /// use tapegrad_gradbench::evals::modes::Mode;
    /// let tape = tapegrad::tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 2.0]);
    /// let f = (x.square() * x.slice_axis(0, 1..2)).sum();          // x₀²x₁ + x₁³
    /// for mode in [Mode::Forward, Mode::Reverse] {
    ///     let g = mode.gradient(f, x).unwrap();                 // (2x₀x₁, x₀² + 3x₁²)
    ///     assert_eq!(g.value(), ndarray::array![4.0, 13.0].into_dyn());
    /// }
    /// ```
    pub fn gradient<'t>(self, output: Var<'t, f64>, input: Var<'t, f64>) -> Result<Var<'t, f64>> {
        let tape = output.tape();
        match self {
            Mode::Reverse => Ok(tape.grad(output, &[input], true)?[0]),
            Mode::Forward => {
                let n = input.shape().iter().product();
                let columns = (0..n)
                    .map(|i| {
                        let mut direction = ArrayD::zeros(input.shape());
                        direction.as_slice_mut().expect("a fresh array")[i] = 1.0;
                        Ok(jacobian_vector_product(output, input, direction)?.reshape(&[1]))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Var::concat(&columns, 0).reshape(&input.shape()))
            }
        }
    }
}

/// `J·v`, recorded: the derivative of `output` with respect to `input` along `direction`,
/// by the double-VJP trick (see the module's documentation).
///
/// # Errors
/// As [`Tape::grad`](tapegrad::tape::Tape::grad).
///
/// ```
/// let tape = tapegrad::tape::Tape::new();
/// let x = tape.var(ndarray::array![1.0, 2.0]);
/// let y = x.square();                                      // J = diag(2x)
/// let jv = tapegrad_gradbench::evals::modes::jacobian_vector_product(y, x, ndarray::array![1.0, -1.0].into_dyn()).unwrap();
/// assert_eq!(jv.value(), ndarray::array![2.0, -4.0].into_dyn());
/// ```
pub fn jacobian_vector_product<'t>(
    output: Var<'t, f64>,
    input: Var<'t, f64>,
    direction: ArrayD<f64>,
) -> Result<Var<'t, f64>> {
    let tape = output.tape();
    let u = tape.var(ArrayD::zeros(output.shape()));
    let transpose = tape.grad((output * u).sum(), &[input], true)?[0];
    Ok(tape.grad((transpose * tape.constant(direction)).sum(), &[u], true)?[0])
}
