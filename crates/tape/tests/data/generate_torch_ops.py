"""Writes torch_ops.rs (Rust literals): PyTorch values and gradients for two tape ops.

Usage, from crates/tape:  python3 tests/data/generate_torch_ops.py > tests/data/torch_ops.rs
Needs torch (CPU is enough). Everything is float64. Python's repr of a float is the
shortest string that reads back to the same f64, so the literals are exact; NaN and
infinities are written as f64::NAN, f64::INFINITY and f64::NEG_INFINITY.

Cases (the loss is always sum(out * w) for a fixed weight tensor w, so each gradient is
w times the op's partial derivative, summed over broadcast axes):
  - torch.nn.functional.logsigmoid over inputs from -800 to 800: value and d/dx.
  - torch.pow(x, y) with a tensor exponent, gradients wrt x and y: same shapes [2, 3];
    y [3] broadcast against x [2, 3]; and edge cases at x = 0 and negative x.
  - torch.sin and torch.cos from -10 to 10: value, d/dx and the second derivative (the
    gradient of the weighted first derivative, create_graph).
  - torch.cumsum along each axis of a [2, 3] input: value and d/dx.
  - silu, gelu (exact and tanh) and erf from -40 to 40: value, d/dx and the second
    derivative, as for sin and cos.
  - torch.lgamma and torch.special.multigammaln (plain values, no gradient) at points
    from -3.5 to 171, poles and p = 1..5 included.
"""
import textwrap

import torch
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tools"))
from rust_literals import literal  # noqa: E402  (the shared literal writer, tools/)

DTYPE = torch.float64
SOURCE = "torch " + torch.__version__ + ", float64"


def rust_type(shape):
    t = "f64"
    for d in reversed(shape):
        t = "[" + t + "; " + str(d) + "]"
    return t


out = [
    "// Generated with " + SOURCE + " by",
    "// `python3 tests/data/generate_torch_ops.py > tests/data/torch_ops.rs` (from crates/tape);",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = \"" + SOURCE + "\";",
]


def const(name, tensor, doc=None):
    if doc:
        out.extend("/// " + line for line in textwrap.wrap(doc, 96))
    out.append("pub const " + name + ": " + rust_type(list(tensor.shape)) + " = " + literal(tensor.tolist(), integers=False) + ";")


def tensor(values, grad=False):
    return torch.tensor(values, dtype=DTYPE, requires_grad=grad)


# log_sigmoid: y = logsigmoid(x), loss = sum(y * w).
x = tensor([-800.0, -50.0, -20.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 20.0, 50.0, 800.0], grad=True)
w = tensor([0.75, -1.5, 2.25, 0.3, -0.6, 1.1, 1.7, -0.9, 0.45, 2.5, -1.3])
y = torch.nn.functional.logsigmoid(x)
(y * w).sum().backward()
out.append("")
out.append("/// `torch.nn.functional.logsigmoid(x)`; loss = sum(y * w).")
const("LOG_SIGMOID_X", x.detach())
const("LOG_SIGMOID_W", w)
const("LOG_SIGMOID_Y", y.detach(), "The values y = ln σ(x).")
const("LOG_SIGMOID_DX", x.grad, "d loss / d x = w · σ(−x).")

# pow: z = torch.pow(x, y), loss = sum(z * w); gradients wrt the base x and exponent y.
pow_cases = [
    (
        "POW_SAME",
        "x [2, 3] positive, y [2, 3] of both signs.",
        [[0.3, 1.2, 0.7], [1.5, 0.4, 2.9]],
        [[0.3, -1.2, 0.7], [1.5, -0.4, 2.5]],
        [[0.8, -1.1, 1.6], [0.35, 2.2, -0.65]],
    ),
    (
        "POW_BROADCAST",
        "x [2, 3] positive, y [3] broadcast over x's rows (dy sums over them).",
        [[0.3, 1.2, 0.7], [1.5, 0.4, 2.9]],
        [0.8, -1.1, 1.6],
        [[0.5, -1.25, 1.9], [-0.7, 1.3, 0.15]],
    ),
    (
        "POW_EDGE",
        "edge cases elementwise: 0^0, 0^1, 0^2, 0^0.5, (-2)^2, (-2)^3, 2^-1. At x = 0 with "
        "y >= 0 torch takes dy as 0, and at y = 0 dx as 0; for x < 0, dy is NaN (ln x); "
        "0^0.5 has dx = +inf.",
        [0.0, 0.0, 0.0, 0.0, -2.0, -2.0, 2.0],
        [0.0, 1.0, 2.0, 0.5, 2.0, 3.0, -1.0],
        [1.5, -0.75, 2.0, 0.6, -1.1, 0.9, 1.3],
    ),
]
for name, doc, xs, ys, ws in pow_cases:
    x = tensor(xs, grad=True)
    y = tensor(ys, grad=True)
    w = tensor(ws)
    z = torch.pow(x, y)
    (z * w).sum().backward()
    out.append("")
    out.extend("/// " + line for line in textwrap.wrap("`torch.pow(x, y)`, loss = sum(z * w): " + doc, 96))
    const(name + "_X", x.detach())
    const(name + "_Y", y.detach())
    const(name + "_W", w)
    const(name + "_Z", z.detach(), "The values z = x^y.")
    const(name + "_DX", x.grad, "d loss / d x = w · y · x^(y−1).")
    const(name + "_DY", y.grad, "d loss / d y = w · x^y · ln x.")

# sin and cos: value, first derivative (w · f'(x)) and second (w · f''(x), by
# differentiating the recorded first derivative summed).
trig_x = [-10.0, -3.0, -1.5707963267948966, -0.5, 0.0, 0.25, 1.0, 2.5, 3.141592653589793, 10.0]
trig_w = [0.5, -1.25, 2.0, 0.75, -0.3, 1.5, -2.5, 0.9, 1.1, -0.6]
for name, fn in [("SIN", torch.sin), ("COS", torch.cos)]:
    x = tensor(trig_x, grad=True)
    w = tensor(trig_w)
    y = fn(x)
    (dx,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
    (ddx,) = torch.autograd.grad(dx.sum(), x)
    out.append("")
    out.append("/// `torch." + name.lower() + "(x)`; loss = sum(y * w): value, d/dx and the d/dx of sum(d/dx).")
    if name == "SIN":
        const("TRIG_X", x.detach())
        const("TRIG_W", w)
    const(name + "_Y", y.detach())
    const(name + "_DX", dx.detach())
    const(name + "_DDX", ddx)

# silu, gelu (exact, tanh) and erf: value, first and second derivative, as for sin and cos.
act_x = [-40.0, -8.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.0, 8.0, 40.0]
act_w = [0.5, -1.25, 2.0, 0.75, -0.3, 1.5, -2.5, 0.9, 1.1, -0.6, 0.8, -1.7, 1.3, 0.4]
activations = [
    ("SILU", torch.nn.functional.silu),
    ("GELU", torch.nn.functional.gelu),
    ("GELU_TANH", lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    ("ERF", torch.erf),
]
for name, fn in activations:
    x = tensor(act_x, grad=True)
    w = tensor(act_w)
    y = fn(x)
    (dx,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
    (ddx,) = torch.autograd.grad(dx.sum(), x)
    out.append("")
    out.append("/// `" + name.lower() + "(x)` in torch; loss = sum(y * w): value, d/dx and the d/dx of sum(d/dx).")
    if name == "SILU":
        const("ACTIVATION_X", x.detach())
        const("ACTIVATION_W", w)
    const(name + "_Y", y.detach())
    const(name + "_DX", dx.detach())
    const(name + "_DDX", ddx)

# cumsum along each axis of a [2, 3] input, loss = sum(y * w).
cum_x = [[0.3, -1.2, 0.7], [1.5, -0.4, 0.9]]
cum_w = [[0.8, -1.1, 1.6], [0.35, 2.2, -0.65]]
out.append("")
out.append("/// `torch.cumsum(x, axis)` of a [2, 3] input; loss = sum(y * w).")
const("CUMSUM_X", tensor(cum_x))
const("CUMSUM_W", tensor(cum_w))
for axis in (0, 1):
    x = tensor(cum_x, grad=True)
    y = torch.cumsum(x, axis)
    (y * tensor(cum_w)).sum().backward()
    const("CUMSUM_%d_Y" % axis, y.detach())
    const("CUMSUM_%d_DX" % axis, x.grad)

# ln Γ and the multivariate ln Γ_p.
gamma_x = [-3.5, -2.5, -0.5, 1e-8, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 7.25, 10.0, 33.3, 100.5, 171.0]
out.append("")
out.append("/// `torch.lgamma(x)` (ln |Γ(x)|).")
const("LGAMMA_X", tensor(gamma_x))
const("LGAMMA_Y", torch.lgamma(tensor(gamma_x)))
mv_a = [3.0, 5.5, 17.0, 40.25]
out.append("/// `torch.special.multigammaln(a, p)` for p = 1..5 (rows) at each a (columns).")
const("MULTIGAMMALN_A", tensor(mv_a))
const("MULTIGAMMALN", torch.stack([torch.special.multigammaln(tensor(mv_a), p) for p in range(1, 6)]))

print("\n".join(out))
