//! Gradient checking: how to trust a gradient, and how a wrong one is caught and located.
//!
//! Part 1 checks a composite function written by the user — a two-layer network with a
//! cross-entropy written out by hand from log-sum-exp — against central finite
//! differences, element by element, in f64. Part 2 adds a custom op, `cube`, through the
//! public `Op` trait, with a deliberately wrong backward (2x² where the power rule gives
//! 3x²). `GradCheck::check` flags every element it touches, with analytic and numeric
//! values side by side, and `GradCheck::check_ops` checks each recorded op on its own and
//! names the faulty one and the source line that recorded it. Part 3 fixes the derivative
//! and both checks pass. The failure in part 2 is the expected lesson, so the program
//! exits with status 0 — but only if the checker did catch the bug.
//!
//! Run: `cargo run --release --example gradcheck`. Read alongside `docs/03-gradient-checking.md`.

use ndarray::{array, ArrayD, ArrayViewD, IxDyn, Zip};
use std::process::ExitCode;
use tapegrad::prelude::*;
use tapegrad::rand::RngExt;
use tapegrad::tape::{InputGrads, Op};

/// `y = x³` elementwise, with the backward's power-rule factor as a field so the example
/// can get it wrong (2) and right (3): `∂L/∂x = ∂L/∂y · factor · x²`.
struct Cube {
    factor: f64,
}

impl Op<f64> for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> ArrayD<f64> {
        inputs[0].mapv(|x| x * x * x)
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, f64>],
        _output: &ArrayViewD<'_, f64>,
        grad_output: &ArrayViewD<'_, f64>,
        _wanted: &[bool],
    ) -> InputGrads<f64> {
        let grad_x = Zip::from(grad_output).and(&inputs[0]).map_collect(|&g, &x| g * self.factor * x * x);
        [Some(grad_x)].into_iter().collect()
    }
}

/// `Σ cube(x) · w`, with the given backward factor: the function checked in parts 2 and 3.
fn cubic<'t>(factor: f64, v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let cubed = v[0].tape().apply(Cube { factor }, &[v[0]]);
    (cubed * v[1]).sum()
}

/// The loss of part 1 for inputs `[x, W1, b1, W2]` and one-hot `labels`.
fn network<'t>(labels: Var<'t, f64>, v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let hidden = (v[0].matmul(&v[1]) + v[2]).tanh();
    let logits = hidden.matmul(&v[3]);
    logits.log_sum_exp_axes(&[1], false).sum() - (logits * labels).sum()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    println!("== 1. A composite function: two layers and a hand-written cross-entropy ==");
    println!("  loss = Σ_rows [ logsumexp(logits) − logits[label] ],  logits = tanh(x·W1 + b1)·W2");
    let mut rng = StdRng::seed_from_u64(3);
    let mut random =
        |shape: &[usize]| ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-1.0..1.0));
    let inputs = vec![random(&[3, 4]), random(&[4, 5]), random(&[5]), random(&[5, 3])];
    let labels = ArrayD::from_shape_vec(IxDyn(&[3, 3]), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0])
        .map_err(|e| format!("one-hot labels: {e}"))?;
    let report = GradCheck::new()
        .input_names(&["x", "W1", "b1", "W2"])
        .check(|tape, v| network(tape.constant(labels.clone()), v), &inputs);
    print!("{}", indented(&report.to_string()));
    if !report.passed() {
        return Err("the tape's gradient of the composite function disagrees with finite differences".into());
    }
    println!(
        "  every one of the {} input elements agrees: the tape's gradient is right here",
        report.elements.len()
    );

    println!("\n== 2. A custom op with a wrong backward: cube(x) = x³, backward says 2x² ==");
    println!("  f(x, w) = Σ cube(x) · w, so ∂f/∂x = 3x²·w, but the op reports 2x²·w");
    let inputs = vec![array![0.5, -1.0, 2.0].into_dyn(), array![1.0, 0.5, -0.3].into_dyn()];
    let check = GradCheck::new().input_names(&["x", "w"]);
    let report = check.check(|_tape, v| cubic(2.0, v), &inputs);
    println!("  GradCheck::check, every element ({{:#}} prints them all):");
    print!("{}", indented(&format!("{report:#}")));
    println!(
        "  Each x fails with analytic/numeric = 2/3; every w passes: ∂f/∂w = x³ never uses cube's backward."
    );
    let per_op = check.check_ops(|_tape, v| cubic(2.0, v), &inputs);
    println!("  GradCheck::check_ops, each recorded op on its own:");
    print!("{}", indented(&per_op.to_string()));
    println!("  (check_ops feeds each op a fixed pseudo-random ∂L/∂output, so its numbers differ from");
    println!("  the table above; the ratio is again 2/3, and the line is where cube was recorded)");

    // The lesson only holds if the checker caught the bug, in x and only in x, and
    // blamed cube and only cube. Fail loudly if it ever stops doing so.
    let failed_inputs: Vec<&str> = report.failures().map(|e| e.input_name.as_str()).collect();
    if failed_inputs != ["x", "x", "x"] {
        return Err(format!("expected all three elements of x to fail, got failures in {failed_inputs:?}"));
    }
    let failing_ops: Vec<&str> = per_op.failing_ops().map(|op| op.op).collect();
    if failing_ops != ["cube"] {
        return Err(format!("expected check_ops to blame cube alone, it blamed {failing_ops:?}"));
    }
    println!("  Caught: check says which elements are wrong; check_ops says which op and which line.");

    println!("\n== 3. The fix: backward says 3x² ==");
    let fixed = check.check(|_tape, v| cubic(3.0, v), &inputs);
    let fixed_ops = check.check_ops(|_tape, v| cubic(3.0, v), &inputs);
    print!("{}", indented(&fixed.to_string()));
    print!("{}", indented(&fixed_ops.to_string()));
    if !fixed.passed() || !fixed_ops.passed() {
        return Err("the corrected cube still fails its gradient check".into());
    }
    println!("\nThe wrong derivative was caught and located; the right one passes.");
    Ok(())
}

/// `text` with every line indented by two spaces, to sit under a heading.
fn indented(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}
