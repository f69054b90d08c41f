//! Newton's method with the exact Hessian from the tape, beside gradient descent, on
//! L2-regularised logistic regression for the bundled breast-cancer data (569 tumours, 30
//! measurements, malignant or benign).
//!
//! Gradient descent steps along `−∇f`; Newton steps along `−H⁻¹∇f`, where `H` is the
//! Hessian: the second derivatives of the loss, here 31 × 31 and computed by the tape
//! (`tape.hessian`: the gradient recorded as ops, then differentiated once more per row).
//! Near the minimum, Newton's gradient norm roughly squares at each step — 1e-2, 1e-4,
//! 1e-8, … — while gradient descent's shrinks by a constant factor.
//!
//! Run: `cargo run --release --example newton`.

use std::error::Error;
use std::path::Path;

use tapegrad::ndarray::{concatenate, Array1, Array2, Axis};
use tapegrad::prelude::*;

/// L2 strength: keeps the problem strongly convex, so Newton's method converges.
const LAMBDA: f64 = 1e-2;

/// `f(w) = mean(softplus(Xw) − y·Xw) + λ/2 ‖w‖²`: the logistic loss, recorded on `tape`.
fn loss<'t>(
    tape: &'t Tape<'t, f64>,
    w: Var<'t, f64>,
    x: &'t Array2<f64>,
    y: &'t Array2<f64>,
) -> Var<'t, f64> {
    let z = tape.constant(x.view()).matmul(&w.reshape(&[x.ncols(), 1]));
    let data = (z.softplus() - z * tape.constant(y.view())).mean();
    data + w.square().sum().mul_scalar(LAMBDA / 2.0)
}

/// The loss, its gradient and (when asked) its Hessian at one point.
type Evaluation = (f64, Array1<f64>, Option<Array2<f64>>);

/// The loss, its gradient and (when asked) its Hessian at `w`.
fn evaluate(
    w: &Array1<f64>,
    x: &Array2<f64>,
    y: &Array2<f64>,
    hessian: bool,
) -> Result<Evaluation, TapeError> {
    let tape = Tape::new();
    let wv = tape.var(w.view());
    let f = loss(&tape, wv, x, y);
    let gradient = tape.grad(f, &[wv], false)?[0].value().into_dimensionality().map_err(|e| {
        TapeError::ShapeMismatch {
            op: "newton",
            expected: vec![w.len()],
            actual: vec![],
            detail: e.to_string(),
        }
    })?;
    let h = if hessian { Some(tape.hessian(f, wv)?) } else { None };
    Ok((f.item(), gradient, h))
}

/// Solves `A x = b` for a symmetric positive definite `A` (Cholesky).
fn solve(a: &Array2<f64>, b: &Array1<f64>) -> Result<Array1<f64>, String> {
    let n = b.len();
    let mut l = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum();
            if i == j {
                let d = a[[i, i]] - s;
                if d <= 0.0 {
                    return Err("the Hessian is not positive definite".into());
                }
                l[[i, i]] = d.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - s) / l[[j, j]];
            }
        }
    }
    let mut z = Array1::zeros(n);
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[[i, k]] * z[k]).sum::<f64>()) / l[[i, i]];
    }
    let mut x = Array1::zeros(n);
    for i in (0..n).rev() {
        x[i] = (z[i] - (i + 1..n).map(|k| l[[k, i]] * x[k]).sum::<f64>()) / l[[i, i]];
    }
    Ok(x)
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/breast_cancer.csv");
    let data: Dataset<f64> = CsvOptions::new().count_line(true).load(&path)?;
    let features = Standardizer::fit(data.features())?.transform(data.features())?;
    let x = concatenate(Axis(1), &[features.view(), Array2::ones((data.len(), 1)).view()])?; // a bias column
    let y = Array2::from_shape_fn((data.len(), 1), |(i, _)| data.labels()[i] as f64);
    println!(
        "logistic regression on breast_cancer.csv: {} samples, {} weights (30 features and a bias), λ = {LAMBDA}",
        data.len(),
        x.ncols()
    );

    let mut newton = Array1::<f64>::zeros(x.ncols());
    let mut descent = newton.clone();
    let rate = 1.0; // a safe step for this loss: its curvature is at most about ¼·λmax(XᵀX/n) + λ
    println!("\n{:>4}  {:>14} {:>10}   {:>14} {:>10}", "step", "Newton f", "‖∇f‖", "descent f", "‖∇f‖");
    let mut newton_norm = f64::INFINITY;
    for step in 0..=8 {
        let (f_n, g_n, h_n) = evaluate(&newton, &x, &y, true)?;
        let (f_d, g_d, _) = evaluate(&descent, &x, &y, false)?;
        newton_norm = g_n.dot(&g_n).sqrt();
        println!(
            "{step:>4}  {f_n:>14.10} {newton_norm:>10.2e}   {f_d:>14.10} {:>10.2e}",
            g_d.dot(&g_d).sqrt()
        );
        let h = h_n.ok_or("a Hessian was asked for")?;
        newton = &newton - &solve(&h, &g_n)?;
        descent = &descent - &(&g_d * rate);
    }
    let mut steps = 8;
    let (mut f_d, mut g_d, _) = evaluate(&descent, &x, &y, false)?;
    while g_d.dot(&g_d).sqrt() > 1e-8 && steps < 100_000 {
        descent = &descent - &(&g_d * rate);
        (f_d, g_d, _) = evaluate(&descent, &x, &y, false)?;
        steps += 1;
    }
    println!(
        "\ngradient descent needs {steps} steps to reach ‖∇f‖ ≤ 1e-8 (f = {f_d:.10}); Newton took 8, \
         each one 31 reverse passes for the Hessian"
    );
    let accuracy = {
        let z = x.dot(&newton);
        z.iter().zip(data.labels()).filter(|&(&z, &label)| (z > 0.0) == (label == 1)).count() as f64
            / data.len() as f64
    };
    println!("training accuracy of Newton's weights: {:.1}%", 100.0 * accuracy);
    if newton_norm > 1e-8 {
        return Err(format!("Newton's method did not converge: ‖∇f‖ = {newton_norm:e}").into());
    }
    Ok(())
}
