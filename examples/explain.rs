//! Backpropagation, explained on micrograd's tiny neuron `o = tanh(x1·w1 + x2·w2 + b)`.
//!
//! The program records the neuron on a tape and prints each node's value. It then runs
//! the backward pass node by node and compares every gradient with the chain rule worked
//! out by hand. It writes the graph for Graphviz and checks all gradients against finite
//! differences. Read alongside `docs/01-the-tape.md`.
//!
//! Run: `cargo run --release --example explain [graph.dot]`. The graph goes to
//! `target/explain.dot` unless you give a path; render it with `dot -Tsvg`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ndarray::{arr0, ArrayViewD};
use tapegrad::prelude::*;

/// The nodes the neuron records, named as in the lesson.
struct Neuron<'t> {
    x1w1: Var<'t, f64>,
    x2w2: Var<'t, f64>,
    sum: Var<'t, f64>,
    n: Var<'t, f64>,
    o: Var<'t, f64>,
}

/// `n = x1·w1 + x2·w2 + b`, `o = tanh(n)`: five ops, each appending one node to the tape.
fn neuron<'t>(
    x1: Var<'t, f64>,
    x2: Var<'t, f64>,
    w1: Var<'t, f64>,
    w2: Var<'t, f64>,
    b: Var<'t, f64>,
) -> Neuron<'t> {
    // Named, as in micrograd's `label=`: the trace and the graph below use the names.
    let x1w1 = (x1 * w1).named("x1·w1");
    let x2w2 = (x2 * w2).named("x2·w2");
    let sum = (x1w1 + x2w2).named("x1w1+x2w2");
    let n = (sum + b).named("n");
    let o = n.tanh().named("o");
    Neuron { x1w1, x2w2, sum, n, o }
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
    // The parameters belong to the program (as a model's would); the tape only borrows them.
    let w1 = arr0(-3.0);
    let w2 = arr0(1.0);
    let b = arr0(6.881_373_587_019_543); // micrograd's 6.8813735870195432, to f64 precision
    let tape = Tape::new();
    let x1 = tape.var(arr0(2.0)).named("x1"); // inputs are `var`s, so they get gradients too
    let x2 = tape.var(arr0(0.0)).named("x2");
    let w1_var = tape.param(&w1).named("w1");
    let w2_var = tape.param(&w2).named("w2");
    let b_var = tape.param(&b).named("b");
    let recorded = neuron(x1, x2, w1_var, w2_var, b_var);

    println!("== 1. Forward pass: the tape, in creation order ==");
    let rows = [
        ("x1", "var: input", x1),
        ("x2", "var: input", x2),
        ("w1", "param: weight, borrowed", w1_var),
        ("w2", "param: weight, borrowed", w2_var),
        ("b", "param: bias, borrowed", b_var),
        ("x1·w1", "mul(x1, w1)", recorded.x1w1),
        ("x2·w2", "mul(x2, w2)", recorded.x2w2),
        ("x1w1+x2w2", "add(x1·w1, x2·w2)", recorded.sum),
        ("n", "add(x1w1+x2w2, b)", recorded.n),
        ("o", "tanh(n)", recorded.o),
    ];
    for (name, how, var) in rows {
        println!("  node {}  {name:<10} = {:>10.6}   {how}", var.id().index(), var.item());
    }

    println!("\n== 2. Backward pass, node by node (last node first; L = o, seed ∂o/∂o = 1) ==");
    println!("  (grad in: what reached the node; grad out: what its rule sends to each input)");
    let (grads, trace) = tape.backward_trace(recorded.o);
    print!("{}", indented(&trace.to_string()));

    println!("\n== 3. The tape's gradients against the chain rule by hand ==");
    let o = recorded.o.item();
    println!("  o = tanh(n) = {o:.6}, so ∂o/∂n = 1 − o² = {:.6}", 1.0 - o * o);
    let scalar = |grad: Option<ArrayViewD<'_, f64>>| grad.and_then(|g| g.first().copied());
    let checks = [
        ("∂o/∂n", scalar(grads.get(recorded.n)), 0.5, "1 − o²                 (tanh rule)"),
        ("∂o/∂b", scalar(grads.param(&b)), 0.5, "∂o/∂n                  (add passes the gradient through)"),
        ("∂o/∂(x1·w1)", scalar(grads.get(recorded.x1w1)), 0.5, "∂o/∂n                  (add, twice)"),
        ("∂o/∂w1", scalar(grads.param(&w1)), 1.0, "x1 · ∂o/∂n = 2 · 0.5   (mul: times the other operand)"),
        ("∂o/∂x1", scalar(grads.get(x1)), -1.5, "w1 · ∂o/∂n = −3 · 0.5"),
        ("∂o/∂w2", scalar(grads.param(&w2)), 0.0, "x2 · ∂o/∂n = 0 · 0.5   (x2 = 0, so w2 cannot move o)"),
        ("∂o/∂x2", scalar(grads.get(x2)), 0.5, "w2 · ∂o/∂n = 1 · 0.5"),
    ];
    println!("  {:<12} {:>10} {:>8}   how, by hand", "gradient", "tape", "by hand");
    for (name, tape_value, by_hand, rule) in checks {
        let tape_value = tape_value.ok_or_else(|| format!("no gradient reached {name}"))?;
        if (tape_value - by_hand).abs() > 1e-12 {
            return Err(format!(
                "{name}: the tape gives {tape_value:e} but the hand derivation gives {by_hand}"
            ));
        }
        println!("  {name:<12} {tape_value:>10.6} {:>8}   {rule}", format!("{by_hand:?}"));
    }
    println!("  all seven agree to 1e-12");

    println!("\n== 4. The graph, with values and gradients ==");
    let path = std::env::args_os().nth(1).map_or_else(|| PathBuf::from("target/explain.dot"), PathBuf::from);
    write_file(&path, &tape.to_dot(Some(&grads)))?;
    println!("  wrote {}", path.display());
    println!("  render it: dot -Tsvg {} -o {}", path.display(), path.with_extension("svg").display());
    let page = path.with_extension("html");
    let stem = path.file_stem().map_or("explain".into(), |stem| stem.to_string_lossy().into_owned());
    tape.write_html(&page, &grads).map_err(|e| e.to_string())?;
    println!("  wrote {}: open it in a browser and step through both passes with → and ←", page.display());
    // micrograd's lecture writes tanh out as (e − 1)/(e + 1) with e = exp(2n): `e` feeds two
    // ops, so its gradient is a sum of two (the page shows the `+=`).
    {
        let tape = Tape::new();
        let x1 = tape.var(arr0(2.0)).named("x1");
        let x2 = tape.var(arr0(0.0)).named("x2");
        let (w1, w2, b) =
            (tape.param(&w1).named("w1"), tape.param(&w2).named("w2"), tape.param(&b).named("b"));
        let n = ((x1 * w1).named("x1·w1") + (x2 * w2).named("x2·w2") + b).named("n");
        let e = (n * 2.0).exp().named("e");
        let o = ((e - 1.0) / (e + 1.0)).named("o");
        let grads = tape.backward(o);
        let page = path.with_file_name(format!("{stem}-exp.html"));
        tape.write_html(&page, &grads).map_err(|e| e.to_string())?;
        println!("  wrote {}: the same neuron with tanh as (e − 1)/(e + 1), e used twice", page.display());
    }
    // A batch: the neuron on two samples at once, n = X·w + b with X [2, 2], w [2, 1] and
    // b [1]. b is broadcast to [2, 1], so its gradient is the sum of both samples'
    // (the page shows the sum as a step of its own).
    {
        let tape = Tape::new();
        let x = tape.var(ndarray::array![[2.0, 0.0], [1.0, -1.0]]).named("X");
        let w = ndarray::array![[-3.0], [1.0]];
        let bias = ndarray::array![b[[]]];
        let (w_var, b_var) = (tape.param(&w).named("w"), tape.param(&bias).named("b"));
        let n = (x.matmul(&w_var).named("X·w") + b_var).named("n");
        let loss = n.tanh().named("o").sum().named("L");
        let grads = tape.backward(loss);
        let o = n.value().mapv(f64::tanh);
        let by_hand: f64 = o.iter().map(|o| 1.0 - o * o).sum();
        let tape_value = grads.param(&bias).map_or(f64::NAN, |g| g[[0]]);
        if (tape_value - by_hand).abs() > 1e-12 {
            return Err(format!("∂L/∂b for the batch: tape {tape_value}, by hand {by_hand}"));
        }
        let page = path.with_file_name(format!("{stem}-batch.html"));
        tape.write_html(&page, &grads).map_err(|e| e.to_string())?;
        println!(
            "  wrote {}: two samples at once; b is broadcast, so ∂L/∂b = Σ (1 − o²) over the batch = {tape_value:.6}",
            page.display()
        );
    }
    // Gradients of gradients: ∂o/∂x1 recorded as ops of its own (create_graph), then
    // differentiated with respect to w1. By hand: ∂o/∂x1 = w1·(1 − o²), and
    // ∂/∂w1 of it = (1 − o²) + w1 · (−2o · ∂o/∂w1) = (1 − o²)·(1 − 2·w1·o·x1).
    {
        let tape = Tape::new();
        let x1 = tape.var(arr0(2.0)).named("x1");
        let x2 = tape.var(arr0(0.0)).named("x2");
        let (w1v, w2v, bv) =
            (tape.param(&w1).named("w1"), tape.param(&w2).named("w2"), tape.param(&b).named("b"));
        let o = neuron(x1, x2, w1v, w2v, bv).o;
        let do_dx1 = tape.grad(o, &[x1], true).map_err(|e| e.to_string())?[0].named("∂o/∂x1");
        let grads = tape.backward(do_dx1);
        let (o, w1, x1) = (o.item(), w1[[]], x1.item());
        let by_hand = (1.0 - o * o) * (1.0 - 2.0 * w1 * o * x1);
        let tape_value = grads.get(w1v).map_or(f64::NAN, |g| g[[]]);
        if (tape_value - by_hand).abs() > 1e-12 {
            return Err(format!("∂²o/∂w1∂x1: tape {tape_value}, by hand {by_hand}"));
        }
        let page = path.with_file_name(format!("{stem}-second.html"));
        tape.write_html(&page, &grads).map_err(|e| e.to_string())?;
        println!(
            "  wrote {}: ∂o/∂x1 recorded as a graph of its own (create_graph), and its gradient: \
             ∂²o/∂w1∂x1 = {tape_value:.6} (by hand (1 − o²)(1 − 2·w1·o·x1) = {by_hand:.6})",
            page.display()
        );
    }

    println!("\n== 5. Finite differences agree? (central, in f64) ==");
    // The same neuron, as a function of [x1, x2, w1, w2, b] on a fresh tape.
    let inputs =
        vec![x1.value(), x2.value(), w1.clone().into_dyn(), w2.clone().into_dyn(), b.clone().into_dyn()];
    let report = GradCheck::new()
        .input_names(&["x1", "x2", "w1", "w2", "b"])
        .check(|_tape, v| neuron_output(v), &inputs);
    println!("  The whole neuron, one input at a time:");
    print!("{}", indented(&format!("{report:#}")));
    let per_op = GradCheck::new().check_ops(|_tape, v| neuron_output(v), &inputs);
    println!("  Each recorded op on its own:");
    print!("{}", indented(&per_op.to_string()));
    if !report.passed() || !per_op.passed() {
        return Err("the tape's gradients disagree with finite differences (see the reports above)".into());
    }
    println!("\nAll gradients agree: by hand, on the tape and by finite differences.");
    println!("Step through both passes in a browser: open {} (→ step, ← back, r reset).", page.display());
    Ok(())
}

/// `o` of the neuron for inputs `[x1, x2, w1, w2, b]`, in the form the gradient checker takes.
fn neuron_output<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
    neuron(v[0], v[1], v[2], v[3], v[4]).o
}

/// `text` with every line indented by two spaces, to sit under a heading.
fn indented(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

/// Writes `text` to `path`, creating its directory; errors name the path.
fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write the DOT file {}: {e}", path.display()))
}
