//! Fitting a line, `y = w·x + b`, to 100 noisy points of `y = 3x`, six ways.
//!
//! The data are made here from a seeded generator: x uniform in [0, 2), noise Gaussian
//! with standard deviation 0.5 (drawn by the Box–Muller transform from two uniforms, since
//! the root crate does not depend on `rand_distr`). The least-squares line is computed
//! exactly from the normal equations; then w and b, two plain 0-d arrays starting at 0,
//! are fitted by gradient descent with the tape's gradients of the mean squared error and
//! six optimizers, each given the same number of steps: full-batch gradient descent,
//! mini-batch SGD, SGD with momentum, Nesterov momentum, RMSprop and Adam. The table shows
//! how close each gets to the exact answer in that budget.
//!
//! Run: `cargo run --release --example linear_regression`.

use std::error::Error;

use ndarray::{arr0, Array0, Array1};
use tapegrad::loss::mse;
use tapegrad::optim::NamedParam;
use tapegrad::prelude::*;
use tapegrad::rand::seq::SliceRandom;
use tapegrad::rand::RngExt;

const STEPS: usize = 200;
const BATCH: usize = 10;
const TOLERANCE: f64 = 1e-3;

/// The 100 points.
struct Problem {
    x: Array1<f64>,
    y: Array1<f64>,
}

/// Mean squared error of the line `w·x + b` on all the points.
fn mse_of(p: &Problem, w: f64, b: f64) -> f64 {
    p.x.iter().zip(&p.y).map(|(x, y)| (w * x + b - y).powi(2)).sum::<f64>() / p.x.len() as f64
}

/// The exact least-squares line from the normal equations: for `y = w·x + b` they reduce
/// to `w = cov(x, y) / var(x)` and `b = ȳ − w·x̄`.
fn least_squares(p: &Problem) -> Result<(f64, f64), String> {
    let n = p.x.len() as f64;
    let (mx, my) = (p.x.sum() / n, p.y.sum() / n);
    let var_x = p.x.iter().map(|x| (x - mx).powi(2)).sum::<f64>() / n;
    let cov_xy = p.x.iter().zip(&p.y).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / n;
    if var_x <= f64::EPSILON {
        return Err("all x are equal: the slope is not determined".into());
    }
    Ok((cov_xy / var_x, my - cov_xy / var_x * mx))
}

/// Runs `STEPS` steps of `optimizer` from `w = b = 0`, on batches of `batch` points
/// (all of them when `batch` is the data size), and returns the learned `(w, b)`.
fn fit(
    p: &Problem,
    mut optimizer: impl Optimizer<f64>,
    batch: usize,
    rng: &mut StdRng,
) -> Result<(f64, f64), Box<dyn Error>> {
    let (mut w, mut b): (Array0<f64>, Array0<f64>) = (arr0(0.0), arr0(0.0));
    let mut order: Vec<usize> = (0..p.x.len()).collect();
    let mut next = p.x.len(); // start of the next batch in `order`; a new epoch reshuffles
    for _ in 0..STEPS {
        if next + batch > order.len() {
            if batch < order.len() {
                order.shuffle(rng);
            }
            next = 0;
        }
        let rows = &order[next..next + batch];
        next += batch;
        let xb: Array1<f64> = rows.iter().map(|&i| p.x[i]).collect();
        let yb: Array1<f64> = rows.iter().map(|&i| p.y[i]).collect();
        let (grad_w, grad_b) = {
            let tape = Tape::new();
            let prediction = tape.constant(&xb) * tape.param(&w) + tape.param(&b);
            let loss = mse(prediction, tape.constant(&yb), Reduction::Mean)?;
            let grads = tape.backward(loss);
            let missing = || "no gradient reached a parameter".to_string();
            (grads.param(&w).ok_or_else(missing)?.to_owned(), grads.param(&b).ok_or_else(missing)?.to_owned())
        };
        let params = &mut [NamedParam::new("w", &mut w, &grad_w), NamedParam::new("b", &mut b, &grad_b)];
        let _report = optimizer.step_params(params)?; // both always updated: nothing to report
    }
    Ok((w[()], b[()]))
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(42);
    let n = 100;
    let x: Array1<f64> = (0..n).map(|_| 2.0 * rng.random::<f64>()).collect();
    // Box–Muller: for u1 in (0, 1] and u2 in [0, 1), √(−2 ln u1)·cos(2π u2) is N(0, 1).
    let mut gaussian = || {
        let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let y: Array1<f64> = x.iter().map(|&x| 3.0 * x + 0.5 * gaussian()).collect();
    let problem = Problem { x, y };
    println!("data: {n} points, x uniform in [0, 2), y = 3x + N(0, 0.5²) noise, seed 42");

    let (best_w, best_b) = least_squares(&problem)?;
    let best_mse = mse_of(&problem, best_w, best_b);
    println!("the exact least-squares line is not w = 3, b = 0 but the best line through these noisy points");
    println!(
        "every optimizer starts at w = b = 0 and takes {STEPS} steps; mini-batches hold {BATCH} points\n"
    );

    let all = problem.x.len();
    // SGD at learning rate 0.1 with the given momentum and Nesterov switch.
    let sgd = |momentum: f64, nesterov: bool| {
        Sgd::builder().learning_rate(0.1).momentum(momentum).nesterov(nesterov).build()
    };
    let p = &problem;
    let runs = [
        ("gradient descent", "0.1", fit(p, sgd(0.0, false)?, all, &mut rng)?),
        ("mini-batch SGD", "0.1", fit(p, sgd(0.0, false)?, BATCH, &mut rng)?),
        ("momentum 0.9", "0.1", fit(p, sgd(0.9, false)?, all, &mut rng)?),
        ("Nesterov 0.9", "0.1", fit(p, sgd(0.9, true)?, all, &mut rng)?),
        ("RMSprop", "0.05", fit(p, RmsProp::builder().learning_rate(0.05).build()?, all, &mut rng)?),
        ("Adam", "0.1", fit(p, Adam::builder().learning_rate(0.1).build()?, all, &mut rng)?),
    ];

    println!("{:<22} {:>5} {:>8} {:>11} {:>9}", "method", "lr", "slope w", "intercept b", "MSE");
    println!("{:<22} {:>5} {best_w:>8.4} {best_b:>11.4} {best_mse:>9.5}", "least squares (exact)", "-");
    let mut converged = Vec::new();
    let mut not_yet = Vec::new();
    for (name, lr, (w, b)) in &runs {
        let loss = mse_of(&problem, *w, *b);
        println!("{name:<22} {lr:>5} {w:>8.4} {b:>11.4} {loss:>9.5}");
        if (w - best_w).abs() < TOLERANCE && (b - best_b).abs() < TOLERANCE {
            converged.push(*name);
        } else {
            not_yet.push(*name);
        }
    }
    println!("\nw and b within {TOLERANCE} of the exact line after {STEPS} steps: {}", list(&converged));
    println!("not there yet: {}", list(&not_yet));
    println!(
        "\nWhat it teaches: with x̄ ≈ 1, w and b trade off against each other, so the loss is a long\n\
         narrow valley. Plain gradient descent creeps along its floor: close, not there. Momentum and\n\
         Nesterov build up speed along the valley and land on the exact line in the same budget.\n\
         Mini-batch SGD sees {BATCH} points a step, so at a constant learning rate it jitters around\n\
         the line instead of settling. RMSprop and Adam take steps of about the learning rate's size\n\
         whatever the gradient: fast at first, then slow or hovering near the minimum unless the rate decays.\n\
         None beats the normal equations; gradient descent is for models that have no closed form."
    );
    if !converged.contains(&"momentum 0.9") {
        return Err("SGD with momentum did not reach the least-squares line; the example promises it".into());
    }
    Ok(())
}

/// `a, b, c`, or `none`.
fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
