"""Writes torch_lbfgs.rs (Rust literals): torch.optim.LBFGS trajectories, run here in
float64, as references for tapegrad's `Lbfgs`.

Usage, from crates/optim:  python3 tests/data/generate_torch_lbfgs.py > tests/data/torch_lbfgs.rs
Needs torch (CPU is enough).

Three problems, each a list of parameters (flattened in this order, as LBFGS flattens them):
  - LSQ: least squares, loss = mean((x @ w + b - y)^2), with torch_optim.rs's X, Y, W0, B0
    (w is [in, out]): convex;
  - ROSENBROCK: the extended Rosenbrock function of a vector of 4,
    sum(100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2), from (-1.2, 1, -1.2, 1): non-convex;
  - MLP: a 2-4-1 tanh perceptron, loss = mean((tanh(x @ w1 + b1) @ w2 + b2 - y)^2) on six
    points (the weights are tests/common's Mlp::new()): non-convex.
For every LBFGS constructor call in CASES, STEPS calls of optimizer.step(closure), each
recording the loss step() returned, the parameters after it, and the optimizer's state
counters func_evals (closure calls so far) and n_iter (iterations so far).
The script checks that every case's option changes the trajectory it is compared with
(DIFFERS_FROM), so that no case passes without testing its option, and that no trajectory
holds a NaN.
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tools"))
from rust_literals import literal  # noqa: E402  (the shared literal writer, tools/)

DTYPE = torch.float64
SOURCE = "torch " + torch.__version__ + ", float64"
STEPS = 3

# The least-squares data of torch_optim.rs (read from there, so the two files agree).
OPTIM = (Path(__file__).parent / "torch_optim.rs").read_text()


def constant(name):
    start = OPTIM.index("pub const " + name + ":")
    equals = OPTIM.index("=", start)
    text = OPTIM[equals + 1:OPTIM.index(";", equals)]
    return eval(text)


X, Y, W0, B0 = (constant(n) for n in ["X", "Y", "W0", "B0"])
ROSENBROCK0 = [-1.2, 1.0, -1.2, 1.0]
MLP_X = [[-1.0, 0.5], [-0.5, -1.0], [0.0, 0.25], [0.5, 1.0], [1.0, -0.5], [1.5, 0.0]]
MLP_Y = [[-0.8], [0.2], [0.1], [0.9], [0.6], [1.0]]
MLP0 = {
    "w1": [[0.5, -0.7, 0.3, 0.9], [-0.6, 0.4, 0.8, -0.2]],
    "b1": [0.1, -0.1, 0.05, 0.0],
    "w2": [[0.3], [-0.4], [0.5], [0.2]],
    "b2": [0.0],
}


def problem(name):
    """The parameters (leaf tensors, in flattening order) and the loss function."""
    t = lambda v: torch.tensor(v, dtype=DTYPE, requires_grad=True)  # noqa: E731
    if name == "LSQ":
        x, y = torch.tensor(X, dtype=DTYPE), torch.tensor(Y, dtype=DTYPE)
        w, b = t(W0), t(B0)
        return [w, b], lambda: ((x @ w + b - y) ** 2).mean()
    if name == "ROSENBROCK":
        v = t(ROSENBROCK0)
        return [v], lambda: (100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2).sum()
    if name == "MLP":
        x, y = torch.tensor(MLP_X, dtype=DTYPE), torch.tensor(MLP_Y, dtype=DTYPE)
        w1, b1, w2, b2 = (t(MLP0[k]) for k in ["w1", "b1", "w2", "b2"])
        return [w1, b1, w2, b2], lambda: ((torch.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()
    raise ValueError(name)


# name: (problem, constructor call). `params` is the problem's parameter list.
CASES = {
    "LSQ_DEFAULTS": ("LSQ", "torch.optim.LBFGS(params)"),
    "LSQ_STRONG_WOLFE": ("LSQ", "torch.optim.LBFGS(params, line_search_fn='strong_wolfe')"),
    "LSQ_LR": ("LSQ", "torch.optim.LBFGS(params, lr=0.5, max_iter=4)"),
    "LSQ_HISTORY_2": ("LSQ", "torch.optim.LBFGS(params, max_iter=6, history_size=2)"),
    "LSQ_MAX_EVAL": ("LSQ", "torch.optim.LBFGS(params, max_iter=10, max_eval=4)"),
    "LSQ_TOLERANCE_GRAD": ("LSQ", "torch.optim.LBFGS(params, tolerance_grad=0.05, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_STRONG_WOLFE": ("ROSENBROCK", "torch.optim.LBFGS(params, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_HISTORY_3": ("ROSENBROCK", "torch.optim.LBFGS(params, history_size=3, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_MAX_ITER_4": ("ROSENBROCK", "torch.optim.LBFGS(params, max_iter=4, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_MAX_EVAL": ("ROSENBROCK", "torch.optim.LBFGS(params, max_iter=50, max_eval=30, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_TOLERANCE_CHANGE": ("ROSENBROCK", "torch.optim.LBFGS(params, max_iter=100, tolerance_change=1e-4, line_search_fn='strong_wolfe')"),
    "ROSENBROCK_LR": ("ROSENBROCK", "torch.optim.LBFGS(params, lr=0.002, max_iter=8)"),
    "MLP_DEFAULTS": ("MLP", "torch.optim.LBFGS(params, lr=0.3, max_iter=10)"),
    "MLP_STRONG_WOLFE": ("MLP", "torch.optim.LBFGS(params, line_search_fn='strong_wolfe')"),
    "MLP_HISTORY_4": ("MLP", "torch.optim.LBFGS(params, history_size=4, line_search_fn='strong_wolfe')"),
    "MLP_LONG": ("MLP", "torch.optim.LBFGS(params, max_iter=200, max_eval=300, line_search_fn='strong_wolfe')"),
}

# Each case's trajectory must differ from these (its option is tested).
DIFFERS_FROM = {
    "LSQ_STRONG_WOLFE": "LSQ_DEFAULTS",
    "LSQ_LR": "LSQ_DEFAULTS",
    "LSQ_HISTORY_2": "LSQ_DEFAULTS",
    "LSQ_MAX_EVAL": "LSQ_DEFAULTS",
    "LSQ_TOLERANCE_GRAD": "LSQ_STRONG_WOLFE",
    "ROSENBROCK_HISTORY_3": "ROSENBROCK_STRONG_WOLFE",
    "ROSENBROCK_MAX_ITER_4": "ROSENBROCK_STRONG_WOLFE",
    "ROSENBROCK_MAX_EVAL": "ROSENBROCK_STRONG_WOLFE",
    "ROSENBROCK_TOLERANCE_CHANGE": "ROSENBROCK_STRONG_WOLFE",
    "MLP_STRONG_WOLFE": "MLP_DEFAULTS",
    "MLP_HISTORY_4": "MLP_STRONG_WOLFE",
    "MLP_LONG": "MLP_STRONG_WOLFE",
}


def run(problem_name, constructor):
    params, loss_fn = problem(problem_name)
    optimizer = eval(constructor, {"torch": torch, "params": params})

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    steps = []
    for _ in range(STEPS):
        loss = optimizer.step(closure)
        state = optimizer.state[params[0]]
        steps.append({
            "loss": loss.item(),
            "params": [p.detach().flatten().tolist() for p in params],
            "func_evals": state["func_evals"],
            "n_iter": state["n_iter"],
        })
    return steps


out = [
    "// Generated with " + SOURCE + " by",
    "// `python3 tests/data/generate_torch_lbfgs.py > tests/data/torch_lbfgs.rs` (from crates/optim);",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = \"" + SOURCE + "\";",
    "",
    "/// The Rosenbrock problem's start.",
    "pub const ROSENBROCK0: [f64; 4] = " + literal(ROSENBROCK0) + ";",
    "/// The MLP problem's data and start (w1 [2, 4], b1 [4], w2 [4, 1], b2 [1]).",
    "pub const MLP_X: [[f64; 2]; 6] = " + literal(MLP_X) + ";",
    "pub const MLP_Y: [[f64; 1]; 6] = " + literal(MLP_Y) + ";",
    "",
    "/// Which problem a case runs (see the generator's docstring).",
    "#[derive(Clone, Copy, Debug, PartialEq)]",
    "pub enum Problem { Lsq, Rosenbrock, Mlp }",
    "",
    "/// The state after one `step`: the loss it returned, every parameter flattened, and the",
    "/// closure calls and iterations so far.",
    "pub struct Step {",
    "    pub loss: f64,",
    "    pub params: &'static [&'static [f64]],",
    "    pub func_evals: u64,",
    "    pub n_iter: u64,",
    "}",
    "",
    "/// An LBFGS constructor call, its problem and its steps.",
    "pub struct Case {",
    "    pub torch: &'static str,",
    "    pub problem: Problem,",
    "    pub steps: [Step; " + str(STEPS) + "],",
    "}",
]

trajectories = {}
for name, (problem_name, constructor) in CASES.items():
    steps = run(problem_name, constructor)
    trajectories[name] = steps
    for step in steps:
        flat = [v for p in step["params"] for v in p] + [step["loss"]]
        assert all(v == v and abs(v) < float("inf") for v in flat), name + " is not finite"
    out.append("")
    out.append("pub const " + name + ": Case = Case {")
    out.append("    torch: \"" + constructor.replace('"', '\\"') + "\",")
    out.append("    problem: Problem::" + {"LSQ": "Lsq", "ROSENBROCK": "Rosenbrock", "MLP": "Mlp"}[problem_name] + ",")
    out.append("    steps: [")
    for step in steps:
        params = "&[" + ", ".join("&" + literal(p, integers=False) for p in step["params"]) + "]"
        out.append("        Step { loss: " + literal(step["loss"]) + ", params: " + params
                   + ", func_evals: " + str(step["func_evals"]) + ", n_iter: " + str(step["n_iter"]) + " },")
    out.append("    ],")
    out.append("};")

for name, base in DIFFERS_FROM.items():
    a, b = trajectories[name], trajectories[base]
    assert [s["params"] for s in a] != [s["params"] for s in b] or \
        [s["func_evals"] for s in a] != [s["func_evals"] for s in b], name + " = " + base

out.append("")
out.append("/// Every case above.")
out.append("pub const CASES: [&Case; " + str(len(CASES)) + "] = [" + ", ".join("&" + n for n in CASES) + "];")
print("\n".join(out))
