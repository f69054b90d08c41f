//! `Lbfgs` against `torch.optim.LBFGS` in float64, from `tests/data/generate_torch_lbfgs.py`
//! (see `tests/data/README.md`): on a convex problem (least squares) and two non-convex
//! ones (the extended Rosenbrock function, a 2-4-1 tanh perceptron), with and without the
//! strong-Wolfe line search, short and long histories, and the limits and tolerances that
//! stop a step early. After every `step`: every parameter within 1e-9 relative, the loss
//! it returned within 1e-9 relative (of a millionth of the starting loss, for a loss
//! below that), and the closure calls and iterations so far exactly.
//!
//! Every loss and gradient comes from the tape; each PyTorch call sits next to the
//! tapegrad configuration it maps to, and the test fails if the two drift apart.

#[rustfmt::skip]
#[path = "data/torch_lbfgs.rs"]
mod reference;

use ndarray::{arr1, arr2, Array1, ArrayD, ArrayViewD, ArrayViewMutD};
use tapegrad_optim::{Lbfgs, LbfgsConfig, LineSearch, OptimError};
use tapegrad_tape::{Grads, Parameters, Tape};

use crate::common::assert_close;
use crate::torch_reference::torch_optim::{B0, W0, X, Y};
use reference::{Case, Problem, CASES, MLP_X, MLP_Y, ROSENBROCK0, SOURCE};

/// The tapegrad configuration of each PyTorch call in the data.
fn config(torch: &str) -> LbfgsConfig<f64> {
    let wolfe = LineSearch::StrongWolfe;
    let b = Lbfgs::builder();
    match torch {
        "torch.optim.LBFGS(params)" => b,
        "torch.optim.LBFGS(params, line_search_fn='strong_wolfe')" => b.line_search(wolfe),
        "torch.optim.LBFGS(params, lr=0.5, max_iter=4)" => b.learning_rate(0.5).max_iter(4),
        "torch.optim.LBFGS(params, max_iter=6, history_size=2)" => b.max_iter(6).history_size(2),
        "torch.optim.LBFGS(params, max_iter=10, max_eval=4)" => b.max_iter(10).max_eval(4),
        "torch.optim.LBFGS(params, tolerance_grad=0.05, line_search_fn='strong_wolfe')" => {
            b.tolerance_grad(0.05).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, history_size=3, line_search_fn='strong_wolfe')" => {
            b.history_size(3).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, max_iter=4, line_search_fn='strong_wolfe')" => {
            b.max_iter(4).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, max_iter=50, max_eval=30, line_search_fn='strong_wolfe')" => {
            b.max_iter(50).max_eval(30).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, max_iter=100, tolerance_change=1e-4, line_search_fn='strong_wolfe')" => {
            b.max_iter(100).tolerance_change(1e-4).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, lr=0.002, max_iter=8)" => b.learning_rate(0.002).max_iter(8),
        "torch.optim.LBFGS(params, lr=0.3, max_iter=10)" => b.learning_rate(0.3).max_iter(10),
        "torch.optim.LBFGS(params, history_size=4, line_search_fn='strong_wolfe')" => {
            b.history_size(4).line_search(wolfe)
        }
        "torch.optim.LBFGS(params, max_iter=200, max_eval=300, line_search_fn='strong_wolfe')" => {
            b.max_iter(200).max_eval(300).line_search(wolfe)
        }
        other => panic!("no tapegrad configuration for {other}"),
    }
}

/// A problem's parameters, in PyTorch's order, as one `Parameters` set.
struct Model {
    arrays: Vec<(&'static str, ArrayD<f64>)>,
}

impl Parameters<f64> for Model {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
        for (name, array) in &self.arrays {
            visit(name, array.view());
        }
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
        for (name, array) in &mut self.arrays {
            visit(name, array.view_mut());
        }
    }
}

fn start(problem: Problem) -> Model {
    let arrays = match problem {
        Problem::Lsq => vec![("weight", arr2(&W0).into_dyn()), ("bias", arr1(&B0).into_dyn())],
        Problem::Rosenbrock => vec![("x", arr1(&ROSENBROCK0).into_dyn())],
        Problem::Mlp => vec![
            ("w1", arr2(&[[0.5, -0.7, 0.3, 0.9], [-0.6, 0.4, 0.8, -0.2]]).into_dyn()),
            ("b1", arr1(&[0.1, -0.1, 0.05, 0.0]).into_dyn()),
            ("w2", arr2(&[[0.3], [-0.4], [0.5], [0.2]]).into_dyn()),
            ("b2", arr1(&[0.0]).into_dyn()),
        ],
    };
    Model { arrays }
}

/// The loss and its gradients, from tape ops (the generator's loss functions).
fn evaluate(problem: Problem, model: &Model) -> (f64, Grads<f64>) {
    let tape = Tape::new();
    let p = |i: usize| tape.param(&model.arrays[i].1);
    let loss = match problem {
        Problem::Lsq => {
            let prediction = tape.constant(arr2(&X)).matmul(&p(0)) + p(1);
            (prediction - tape.constant(arr2(&Y))).square().mean()
        }
        Problem::Rosenbrock => {
            let v = p(0);
            let (head, tail) = (v.slice_axis(0, 0..3), v.slice_axis(0, 1..4));
            ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
        }
        Problem::Mlp => {
            let x = tape.constant(arr2(&MLP_X));
            let hidden = (x.matmul(&p(0)) + p(1)).tanh();
            (hidden.matmul(&p(2)) + p(3) - tape.constant(arr2(&MLP_Y))).square().mean()
        }
    };
    (loss.item(), tape.backward(loss))
}

fn run(case: &Case) {
    let mut model = start(case.problem);
    let mut lbfgs = config(case.torch).build().unwrap();
    for (index, step) in case.steps.iter().enumerate() {
        let context = format!("{} ({SOURCE}) on {:?}, step {}", case.torch, case.problem, index + 1);
        let loss = lbfgs
            .step(&mut model, |model| Ok::<_, OptimError>(evaluate(case.problem, model)))
            .unwrap_or_else(|err| panic!("{context}: {err}"));
        // Below a millionth of the starting loss the loss is ill-conditioned in the
        // parameters (the parameters agree to 1e-12, yet a loss of 1e-10 that is a sum of
        // squared residuals of 1e-5 moves by 1e-8 of itself): compare it there to 1e-9 of
        // that millionth.
        let scale = step.loss.abs().max(1e-6 * case.steps[0].loss.abs());
        assert!(
            (loss - step.loss).abs() <= 1e-9 * scale,
            "{context}: the loss returned: got {loss:e}, PyTorch {:e} (relative error {:e})",
            step.loss,
            (loss - step.loss).abs() / step.loss.abs()
        );
        assert_eq!(
            (lbfgs.state().func_evals, lbfgs.state().n_iter),
            (step.func_evals, step.n_iter),
            "{context}: closure calls and iterations so far"
        );
        for ((name, array), expected) in model.arrays.iter().zip(step.params) {
            let actual: Array1<f64> = array.iter().copied().collect();
            assert_close(&actual, &arr1(expected), 1e-9, &format!("{context}: {name}"));
        }
    }
}

#[test]
fn every_case_follows_torchs_trajectory() {
    for case in CASES {
        run(case);
    }
}

#[test]
fn the_cases_cover_every_option_and_problem() {
    let all: Vec<&str> = CASES.iter().map(|c| c.torch).collect();
    for option in [
        "lr=",
        "max_iter=",
        "max_eval=",
        "tolerance_grad=",
        "tolerance_change=",
        "history_size=",
        "strong_wolfe",
    ] {
        assert!(all.iter().any(|c| c.contains(option)), "no case sets {option}");
    }
    for problem in [Problem::Lsq, Problem::Rosenbrock, Problem::Mlp] {
        assert!(CASES.iter().any(|c| c.problem == problem));
    }
    // Some case stops early on each of: the evaluation limit, the tolerances.
    let stopped_early = |torch: &str| {
        let case = CASES.iter().find(|c| c.torch == torch).unwrap();
        let iterations = config(torch).max_iter as u64;
        case.steps[0].n_iter < iterations
    };
    assert!(stopped_early(
        "torch.optim.LBFGS(params, max_iter=50, max_eval=30, line_search_fn='strong_wolfe')"
    ));
    assert!(stopped_early("torch.optim.LBFGS(params, tolerance_grad=0.05, line_search_fn='strong_wolfe')"));
}
