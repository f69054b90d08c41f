"""Writes torch_layers.rs (Rust literals): PyTorch forward values and gradients for
LayerNorm, BatchNorm1d and Embedding, as references for tapegrad's layers.

Usage, from crates/nn:  python3 tests/data/generate_torch_layers.py > tests/data/torch_layers.rs
Needs torch (CPU is enough). Everything is float64; the inputs come from a seeded
torch.Generator and are rounded to 4 decimals so they read easily (they are exact as
written). Python's repr of a float is the shortest string that reads back to the same
f64, so the literals are exact.

Every gradient is of loss = sum(y * DY) for the layer's output y and a fixed upstream DY.
"""
import textwrap

import torch
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tools"))
from rust_literals import literal  # noqa: E402  (the shared literal writer, tools/)

DTYPE = torch.float64
SOURCE = "torch " + torch.__version__ + ", float64"
SEED = 20240601

generator = torch.Generator().manual_seed(SEED)


def randn(*shape, scale=1.0, shift=0.0):
    """Seeded normal samples, scaled and shifted, rounded to 4 decimals."""
    values = torch.randn(*shape, generator=generator, dtype=DTYPE) * scale + torch.tensor(shift, dtype=DTYPE)
    return torch.round(values, decimals=4)


def rust_type(shape, element="f64"):
    t = element
    for d in reversed(shape):
        t = "[" + t + "; " + str(d) + "]"
    return t


out = [
    "// Generated with " + SOURCE + " by",
    "// `python3 tests/data/generate_torch_layers.py > tests/data/torch_layers.rs` (from crates/nn);",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = \"" + SOURCE + "\";",
]


def comment(text):
    out.extend("/// " + line for line in textwrap.wrap(text, 96))


def const(name, value, doc=None):
    if doc:
        comment(doc)
    if isinstance(value, float):
        out.append("pub const " + name + ": f64 = " + literal(value) + ";")
    else:
        value = value.detach()
        out.append("pub const " + name + ": " + rust_type(list(value.shape)) + " = " + literal(value.tolist()) + ";")


# LayerNorm over the last dim of [4, 5]: y = (x - mean) / sqrt(var + eps) * gamma + beta,
# var the biased variance over the row.
LN_EPS = 1e-5
ln = torch.nn.LayerNorm(5, eps=LN_EPS, dtype=DTYPE)
ln_x = randn(4, 5, scale=2.0, shift=0.5).requires_grad_()
ln_gamma = randn(5, scale=0.25, shift=1.0)
ln_beta = randn(5, scale=0.5)
ln_dy = randn(4, 5)
with torch.no_grad():
    ln.weight.copy_(ln_gamma)
    ln.bias.copy_(ln_beta)
ln_y = ln(ln_x)
(ln_y * ln_dy).sum().backward()

out.append("")
comment(
    "`torch.nn.LayerNorm(5, eps=LN_EPS)` over the last dim of LN_X [4, 5], weight LN_GAMMA, "
    "bias LN_BETA: y = (x − mean) / sqrt(var + eps) · gamma + beta, with the mean and the "
    "biased variance of each row; gradients of sum(y · LN_DY)."
)
const("LN_X", ln_x)
const("LN_GAMMA", ln_gamma)
const("LN_BETA", ln_beta)
const("LN_EPS", LN_EPS)
const("LN_DY", ln_dy, "The upstream gradient: loss = sum(y · LN_DY).")
const("LN_Y", ln_y, "The output y.")
const("LN_DX", ln_x.grad, "d loss / d x.")
const("LN_DGAMMA", ln.weight.grad, "d loss / d gamma.")
const("LN_DBETA", ln.bias.grad, "d loss / d beta.")

# BatchNorm1d(3) on [6, 3]: a training forward and backward, a second training forward
# (running stats only), then an eval forward and backward with the running stats.
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
bn = torch.nn.BatchNorm1d(3, eps=BN_EPS, momentum=BN_MOMENTUM, dtype=DTYPE)
bn_x = randn(6, 3, scale=1.5, shift=[0.5, -1.0, 2.0]).requires_grad_()
bn_gamma = randn(3, scale=0.25, shift=1.0)
bn_beta = randn(3, scale=0.5)
bn_dy = randn(6, 3)
bn_x2 = randn(6, 3, scale=0.8, shift=[-0.3, 0.6, 1.2])
bn_x_eval = randn(2, 3, scale=1.2, shift=[0.2, -0.5, 1.5]).requires_grad_()
bn_dy_eval = randn(2, 3)
with torch.no_grad():
    bn.weight.copy_(bn_gamma)
    bn.bias.copy_(bn_beta)
assert bn.running_mean.eq(0).all() and bn.running_var.eq(1).all()

bn.train()
bn_y = bn(bn_x)
(bn_y * bn_dy).sum().backward()
bn_dgamma = bn.weight.grad.clone()
bn_dbeta = bn.bias.grad.clone()
bn_running_mean = bn.running_mean.clone()
bn_running_var = bn.running_var.clone()

with torch.no_grad():
    bn(bn_x2)
bn_running_mean2 = bn.running_mean.clone()
bn_running_var2 = bn.running_var.clone()

bn.eval()
bn_y_eval = bn(bn_x_eval)
(bn_y_eval * bn_dy_eval).sum().backward()

out.append("")
comment(
    "`torch.nn.BatchNorm1d(3, eps=BN_EPS, momentum=BN_MOMENTUM)`, weight BN_GAMMA, bias "
    "BN_BETA, running stats starting at mean 0 and var 1. Training mode normalises each column "
    "of BN_X [6, 3] with its batch mean and biased variance, and updates running = (1 − "
    "momentum) · running + momentum · batch stat, with the unbiased variance (n − 1) for "
    "running_var."
)
const("BN_X", bn_x)
const("BN_GAMMA", bn_gamma)
const("BN_BETA", bn_beta)
const("BN_EPS", BN_EPS)
const("BN_MOMENTUM", BN_MOMENTUM)
const("BN_DY", bn_dy, "The upstream gradient of the first (training) forward: loss = sum(y · BN_DY).")
const("BN_Y", bn_y, "The first training forward's output.")
const("BN_DX", bn_x.grad, "d loss / d x through the batch statistics.")
const("BN_DGAMMA", bn_dgamma, "d loss / d gamma.")
const("BN_DBETA", bn_dbeta, "d loss / d beta.")
const("BN_RUNNING_MEAN", bn_running_mean, "The running mean after the first training forward.")
const("BN_RUNNING_VAR", bn_running_var, "The running variance (unbiased) after the first training forward.")
const("BN_X2", bn_x2, "The input of a second training forward.")
const("BN_RUNNING_MEAN2", bn_running_mean2, "The running mean after the second training forward.")
const("BN_RUNNING_VAR2", bn_running_var2, "The running variance after the second training forward.")
const(
    "BN_X_EVAL",
    bn_x_eval,
    "Eval mode: y = (x − running_mean) / sqrt(running_var + eps) · gamma + beta, with the running "
    "stats after the two training forwards (BN_RUNNING_MEAN2, BN_RUNNING_VAR2).",
)
const("BN_DY_EVAL", bn_dy_eval, "The upstream gradient in eval mode: loss = sum(y · BN_DY_EVAL).")
const("BN_Y_EVAL", bn_y_eval, "The eval output.")
const("BN_DX_EVAL", bn_x_eval.grad, "d loss / d x in eval mode (the running stats are constants).")

# Embedding(5, 3): y[i, j] = weight[indices[i, j]]; repeated indices accumulate gradient.
emb_indices = [[1, 3, 1], [0, 4, 1]]
emb = torch.nn.Embedding(5, 3, dtype=DTYPE)
emb_weight = randn(5, 3)
emb_dy = randn(2, 3, 3)
with torch.no_grad():
    emb.weight.copy_(emb_weight)
emb_y = emb(torch.tensor(emb_indices))
(emb_y * emb_dy).sum().backward()

out.append("")
comment(
    "`torch.nn.Embedding(5, 3)` with weight EMB_WEIGHT, looked up at EMB_INDICES [2, 3]: "
    "y[i][j] = weight[indices[i][j]], shape [2, 3, 3]; d loss / d weight sums the upstream "
    "rows of every lookup of a row (row 1 is looked up three times, row 2 never)."
)
const("EMB_WEIGHT", emb_weight)
out.append("pub const EMB_INDICES: " + rust_type([2, 3], "usize") + " = " + literal(emb_indices) + ";")
const("EMB_DY", emb_dy, "The upstream gradient: loss = sum(y · EMB_DY).")
const("EMB_Y", emb_y, "The output y.")
const("EMB_DWEIGHT", emb.weight.grad, "d loss / d weight.")

print("\n".join(out))
