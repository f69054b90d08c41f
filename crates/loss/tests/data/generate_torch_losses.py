"""Writes torch_losses.rs (Rust literals): PyTorch values and gradients of every loss
tapegrad has, in every reduction, as references for tapegrad_loss.

Usage, from crates/loss:  python3 tests/data/generate_torch_losses.py > tests/data/torch_losses.rs
Needs torch (CPU is enough). Everything is float64; the inputs come from a seeded
torch.Generator and are rounded to 4 decimals so they read easily (they are exact as
written), with hand-placed extreme values (logits of ±30 to ±1000, probabilities of 0 and
1, zero targets) and ties (errors of exactly 0 or ±delta, margins of exactly 0). Python's
repr of a float is the shortest string that reads back to the same f64, so the literals
are exact; NaN and infinities are written as f64::NAN, f64::INFINITY and f64::NEG_INFINITY.

For each case and each reduction ('none', 'mean', 'sum', 'batchmean'): the value and the
gradients with respect to the input and (where the target is a tensor) the target. For
'none' the gradients are of sum(value * DY) for a fixed upstream DY of the value's shape;
otherwise of the value itself.

Mappings that are not one torch call:
  - 'batchmean' exists in torch for kl_div only; for every other loss the reference is
    torch's reduction='sum' divided by input.shape[0], computed (and differentiated) in torch.
  - hinge is not a torch loss: the reference is torch's autograd of its formula,
    relu(1 - target * input), reduced with torch's .mean() / .sum().
"""
import warnings

import torch
import torch.nn.functional as F
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tools"))
from rust_literals import literal  # noqa: E402  (the shared literal writer, tools/)

DTYPE = torch.float64
SOURCE = "torch " + torch.__version__ + ", float64"
SEED = 20240614

generator = torch.Generator().manual_seed(SEED)
warnings.simplefilter("ignore")  # kl_div's notice about reduction='mean'


def randn(*shape, scale=1.0):
    """Seeded normal samples, scaled, rounded to 4 decimals."""
    return torch.round(torch.randn(*shape, generator=generator, dtype=DTYPE) * scale, decimals=4)


def uniform(*shape, low=0.0, high=1.0):
    """Seeded uniform samples in [low, high), rounded to 4 decimals."""
    values = torch.rand(*shape, generator=generator, dtype=DTYPE) * (high - low) + low
    return torch.round(values, decimals=4)


def random_labels(batch, classes):
    return torch.randint(0, classes, (batch,), generator=generator).tolist()


def tensor(rows):
    return torch.tensor(rows, dtype=DTYPE)


def flat(t):
    return literal(t.detach().reshape(-1).tolist())


def shape(t):
    return "&[" + ", ".join(str(d) for d in t.shape) + "]"


def rust_tensor(t):
    return "Tensor { shape: " + shape(t) + ", data: &" + flat(t) + " }"


NAN, INF = float("nan"), float("inf")

# name -> (call, input, target tensor or None, labels or None, doc). `call` is the torch
# expression with `input`, `target` and `reduction` free; `batchmean` is built from 'sum'.
CASES = {}


def case(name, call, input, target=None, labels=None, doc=""):
    CASES[name] = (call, input, target, labels, doc)


# Regression.
case(
    "MSE",
    "torch.nn.functional.mse_loss(input, target, reduction=reduction)",
    randn(3, 4, scale=1.5),
    randn(3, 4, scale=1.5),
)
l1_input, l1_target = randn(3, 4, scale=1.5), randn(3, 4, scale=1.5)
l1_target[0, 1], l1_target[2, 3] = l1_input[0, 1], l1_input[2, 3]  # zero errors: sign(0) = 0
case("L1", "torch.nn.functional.l1_loss(input, target, reduction=reduction)", l1_input, l1_target)
for delta, tag in [(0.5, "0_5"), (1.0, "1"), (2.0, "2")]:
    huber_input, huber_target = randn(3, 4, scale=2.0), randn(3, 4, scale=0.5)
    huber_target[0, 0] = huber_input[0, 0] - delta  # errors of exactly +delta and -delta
    huber_target[1, 2] = huber_input[1, 2] + delta
    huber_target[2, 1] = huber_input[2, 1]
    case(
        "HUBER_DELTA_" + tag,
        "torch.nn.functional.huber_loss(input, target, reduction=reduction, delta=" + repr(delta) + ")",
        huber_input,
        huber_target,
    )

# Binary.
bce_target = uniform(3, 4)
bce_target[0] = tensor([0.0, 1.0, 0.0, 1.0])
case(
    "BCE",
    "torch.nn.functional.binary_cross_entropy(input, target, reduction=reduction)",
    uniform(3, 4, low=0.02, high=0.98),
    bce_target,
)
case(
    "BCE_EXTREME",
    "torch.nn.functional.binary_cross_entropy(input, target, reduction=reduction)",
    tensor(
        [
            [0.0, 0.0, 1.0, 1.0],
            [1e-30, 1e-50, 0.5, 1.0 - 2.0**-52],
            [1e-300, 0.0, 1.0, 1e-10],
            [1e-6, 1e-12, 0.25, 1e-17],
        ]
    ),
    tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 0.5, 0.0], [0.0, 0.5, 0.5, 1.0], [0.0, 0.0, 0.75, 0.5]]),
    doc="Probabilities of 0 and 1 and near them: log terms below -100 are clamped to -100.",
)
case(
    "BCE_WITH_LOGITS",
    "torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction=reduction)",
    randn(3, 4, scale=3.0),
    uniform(3, 4),
)
case(
    "BCE_WITH_LOGITS_EXTREME",
    "torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction=reduction)",
    tensor([[30.0, -30.0, 100.0, -100.0], [800.0, -800.0, 1000.0, -1000.0], [0.0, 1e-8, -37.5, 40.0]]),
    tensor([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.25, 0.75], [0.5, 1.0, 0.0, 1.0]]),
    doc="Logits from -1000 to 1000.",
)

# Classification from logits, with labels.
case(
    "CROSS_ENTROPY",
    "torch.nn.functional.cross_entropy(input, labels, reduction=reduction)",
    randn(4, 5, scale=2.0),
    labels=random_labels(4, 5),
)
case(
    "CROSS_ENTROPY_EXTREME",
    "torch.nn.functional.cross_entropy(input, labels, reduction=reduction)",
    tensor(
        [
            [1000.0, -1000.0, 0.0, 0.5, 2.0],
            [-1000.0, 1000.0, 1000.0, 999.0, -1000.0],
            [1e4, 1e4, 1e4, 1e4, 1e4],
            [-INF, 3.0, -2.0, 1000.0, -1e4],
        ]
    ),
    labels=[1, 0, 3, 3],
    doc="Logits of ±1000 and ±1e4, a row of equal logits and a logit of -inf (not at the label).",
)
probs_target = torch.softmax(randn(4, 5, scale=1.5), dim=1)
probs_target = torch.round(probs_target, decimals=4)
probs_target[1] = tensor([0.0, 0.0, 1.0, 0.0, 0.0])  # one-hot
probs_target[3] = tensor([0.5, 0.25, 0.5, 0.0, 0.25])  # sums to 1.5
case(
    "CROSS_ENTROPY_PROBS",
    "torch.nn.functional.cross_entropy(input, target, reduction=reduction)",
    randn(4, 5, scale=2.0),
    probs_target,
    doc="Soft targets, a one-hot row and a row summing to 1.5.",
)
case(
    "CROSS_ENTROPY_PROBS_EXTREME",
    "torch.nn.functional.cross_entropy(input, target, reduction=reduction)",
    tensor([[1000.0, -1000.0, 0.0, 0.5], [-1000.0, 1000.0, 1000.0, 999.0], [1e4, 1e4, -1e4, 1e4]]),
    tensor([[0.25, 0.25, 0.25, 0.25], [0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]]),
    doc="Logits of ±1000 and ±1e4.",
)
case(
    "NLL",
    "torch.nn.functional.nll_loss(input, labels, reduction=reduction)",
    torch.log_softmax(randn(4, 5, scale=2.0), dim=1),
    labels=random_labels(4, 5),
    doc="Log-probabilities from log_softmax.",
)
hinge_input = randn(3, 4, scale=1.5)
hinge_target = torch.where(uniform(3, 4) < 0.5, -1.0, 1.0).to(DTYPE)
hinge_input[0, 0], hinge_target[0, 0] = 1.0, 1.0  # margins of exactly 1: gradient 0
hinge_input[1, 1], hinge_target[1, 1] = -1.0, -1.0
case(
    "HINGE",
    "torch.relu(1 - target * input)",
    hinge_input,
    hinge_target,
    doc="Not a torch loss: torch's autograd of relu(1 - target * input), reduced by torch.",
)
mm_input = randn(4, 5, scale=1.0)
mm_labels = random_labels(4, 5)
mm_input[0, (mm_labels[0] + 1) % 5] = mm_input[0, mm_labels[0]] - 1.0  # a margin of exactly 0
case(
    "MULTI_MARGIN",
    "torch.nn.functional.multi_margin_loss(input, labels, reduction=reduction)",
    mm_input,
    labels=mm_labels,
    doc="One margin of exactly 0 (no gradient).",
)
kl_target = torch.round(torch.softmax(randn(3, 4, scale=1.5), dim=1), decimals=4)
kl_target[1] = tensor([0.0, 0.5, 0.5, 0.0])  # zero targets: 0 · log 0 = 0
case(
    "KL_DIV",
    "torch.nn.functional.kl_div(input, target, reduction=reduction)",
    torch.log_softmax(randn(3, 4, scale=1.5), dim=1),
    kl_target,
    doc="Log-probabilities from log_softmax; the target has zeros.",
)

REDUCTIONS = ["none", "mean", "sum", "batchmean"]


def evaluate(call, input, target, labels, reduction):
    """The value and its torch call, for one reduction; input and target require grad."""
    namespace = {"torch": torch, "input": input, "target": target}
    if labels is not None:
        namespace["labels"] = torch.tensor(labels)
    text = call
    if call.startswith("torch.relu("):  # hinge: reduced by hand
        losses = eval(call, namespace)
        if reduction == "none":
            return losses, call
        if reduction == "mean":
            return losses.mean(), call + ".mean()"
        if reduction == "sum":
            return losses.sum(), call + ".sum()"
        return losses.sum() / input.shape[0], call + ".sum() / input.shape[0]"
    if reduction == "batchmean" and "kl_div" not in call:
        namespace["reduction"] = "sum"
        text = call.replace("reduction=reduction", "reduction='sum'") + " / input.shape[0]"
        return eval(call, namespace) / input.shape[0], text
    namespace["reduction"] = reduction
    return eval(call, namespace), call.replace("reduction=reduction", "reduction='" + reduction + "'")


out = [
    "// Generated with " + SOURCE + " by",
    "// `python3 tests/data/generate_torch_losses.py > tests/data/torch_losses.rs` (from crates/loss);",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = \"" + SOURCE + "\";",
    "",
    "/// A tensor: its shape and its elements in row-major order.",
    "pub struct Tensor {",
    "    pub shape: &'static [usize],",
    "    pub data: &'static [f64],",
    "}",
    "",
    "/// One reduction of a loss: the torch call, its value, and the gradients of the value",
    "/// (for 'none', of sum(value · DY)) with respect to the input and the target (empty",
    "/// when the target is labels).",
    "pub struct Reduced {",
    "    pub torch: &'static str,",
    "    pub value: Tensor,",
    "    pub grad_input: &'static [f64],",
    "    pub grad_target: &'static [f64],",
    "}",
    "",
    "/// A loss's inputs (a target tensor, or labels) and its four reductions.",
    "pub struct LossCase {",
    "    pub input: Tensor,",
    "    pub target: Tensor,",
    "    pub labels: &'static [usize],",
    "    /// The upstream gradient of the unreduced value.",
    "    pub dy: Tensor,",
    "    pub none: Reduced,",
    "    pub mean: Reduced,",
    "    pub sum: Reduced,",
    "    pub batch_mean: Reduced,",
    "}",
]

EMPTY = "Tensor { shape: &[], data: &[] }"
for name, (call, input, target, labels, doc) in CASES.items():
    dy = None
    fields = {}
    for reduction in REDUCTIONS:
        x = input.clone().requires_grad_()
        t = target.clone().requires_grad_() if target is not None else None
        value, text = evaluate(call, x, t, labels, reduction)
        if reduction == "none":
            if dy is None:
                dy = randn(*value.shape)
            (value * dy).sum().backward()
        else:
            assert value.dim() == 0
            value.backward()
        grad_target = "&[]"
        if t is not None:
            assert t.grad is not None, name + ": torch gives the target no gradient"
            grad_target = "&" + flat(t.grad)
        fields[reduction] = (
            "Reduced {\n"
            + '        torch: "' + text + '",\n'
            + "        value: " + rust_tensor(value) + ",\n"
            + "        grad_input: &" + flat(x.grad) + ",\n"
            + "        grad_target: " + grad_target + ",\n"
            + "    }"
        )
    out.append("")
    if doc:
        out.append("/// " + doc)
    out.append("pub const " + name + ": LossCase = LossCase {")
    out.append("    input: " + rust_tensor(input) + ",")
    out.append("    target: " + (rust_tensor(target) if target is not None else EMPTY) + ",")
    out.append("    labels: &" + literal(labels or []) + ",")
    out.append("    dy: " + rust_tensor(dy) + ",")
    out.append("    none: " + fields["none"] + ",")
    out.append("    mean: " + fields["mean"] + ",")
    out.append("    sum: " + fields["sum"] + ",")
    out.append("    batch_mean: " + fields["batchmean"] + ",")
    out.append("};")

out.append("")
out.append("/// Every case above, by name.")
out.append(
    "pub const CASES: [(&str, &LossCase); " + str(len(CASES)) + "] = ["
    + ", ".join('("' + n + '", &' + n + ")" for n in CASES) + "];"
)
print("\n".join(out))
