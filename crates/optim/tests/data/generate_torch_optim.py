"""Writes torch_optim.rs (Rust literals): torch.optim trajectories and torch.optim.lr_scheduler
learning rates, run here in float64, as references for tapegrad's optimizers and schedules.

Usage, from crates/optim:  python3 tests/data/generate_torch_optim.py > tests/data/torch_optim.rs
Needs torch (CPU is enough). Python's repr of a float is the shortest string that reads back
to the same f64, so the literals are exact; NaN and infinities are written as f64::NAN,
f64::INFINITY and f64::NEG_INFINITY.

Three parts:
  - Optimizers: six steps of each torch.optim constructor call in CASES (every option of
    SGD, Adagrad, RMSprop, Adam and AdamW that tapegrad has, alone and combined, plus
    gradient clipping, parameter groups and a schedule between steps) on one least-squares
    problem, loss = mean((x @ w + b - y)^2). Each step records the loss and gradients
    before it, the learning rate it used and the parameters after it.
  - Schedules: the learning rate after 0, 1, 2, ... calls of scheduler.step() (what
    get_last_lr() returns; torch computes it recursively from the previous rate), and the
    scheduler's own closed form at the same epoch (_get_closed_form_lr()).
  - ReduceLROnPlateau: a metric sequence fed to scheduler.step(metric), with the rate,
    best, num_bad_epochs and cooldown_counter after each call.

The problem's numbers (X, Y, W0, B0) are those of the team's earlier reference file
optim.json, kept as literals so the SGD, SGD_MOMENTUM and ADAM trajectories recorded from
it come out exactly as before (the script asserts that the torch run reproduces them).
"""
import warnings

import torch
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tools"))
from rust_literals import literal  # noqa: E402  (the shared literal writer, tools/)

DTYPE = torch.float64
SOURCE = "torch " + torch.__version__ + ", float64"
STEPS = 6

warnings.simplefilter("ignore")  # scheduler.step() and clipping notices

X = [[-2.310411800234176, -0.3732508612577643, -1.0608166785462863], [0.9995093547811761, -0.8840250045832653, -1.2755469302148053], [-0.623224579866079, -0.8664416019125772, 0.23871805816817063], [0.7335283685272841, -1.3218818291421377, 1.3148113651971234], [-1.4874956356507338, -0.7135753396468577, 0.519998663178938], [-0.9528856397032842, 0.6748575435940039, 1.0468653769814655], [0.15429517864658948, -0.7498915228391941, -0.7233897004977882], [0.08636989238234997, -1.746404903728242, 1.041012457033509]]  # noqa: E501
Y = [[0.7970100169250297, 0.21166418145300325], [0.13557114260567418, -0.033892918655373555], [0.4604689979691664, 1.117443076566861], [0.36904473680395194, -0.1872021932975887], [-0.013720701456433322, -0.19960822763281003], [-1.6564246944540333, 0.9138982512742285], [1.154696227582466, -0.0860751366873787], [-1.96124168414333, 0.22092437177232177]]  # noqa: E501
W0 = [[-0.752744835464087, -0.3304912614027252], [0.6616008362500418, 0.01855715232987304], [-0.14245465123163378, -0.06672087143694785]]  # noqa: E501
B0 = [0.18929104298879018, 0.3111044261837153]

# The parameters after the sixth step as optim.json recorded them: the torch run must match.
EARLIER = {
    "SGD": (
        [[-0.28947068395455583, -0.19630817265769163], [0.3922556155437164, 0.07957654651879317], [-0.341370212205404, 0.010902783496921373]],
        [0.157642132066927, 0.24876552009691288],
    ),
    "SGD_MOMENTUM": (
        [[0.43543136921775616, 0.005289245845709067], [-0.07392920680624039, 0.1702719034158082], [-0.6969741882960735, 0.14868923757199518]],
        [0.11530076765219606, 0.17606561492552344],
    ),
    "ADAM": (
        [[-0.6928772689601138, -0.2710429850092083], [0.6016179013913244, 0.07705544758979813], [-0.20226222358513532, -0.0071382726795457055]],
        [0.13063118285134312, 0.25279647017358414],
    ),
}

# name -> (constructor, extra). The constructor is evaluated with `params` = [weight, bias]
# (and `weight`, `bias` for parameter groups). Extra: a gradient-clipping call made between
# backward() and step() (the recorded gradients are from before it), or a scheduler made on
# the optimizer and stepped after each optimizer step. Settings are chosen so that every
# option changes the trajectory (the script checks each against the plain optimizer's).
CASES = {
    # SGD, lr=0.1.
    "SGD": ("torch.optim.SGD(params, lr=0.1)", None),
    "SGD_MOMENTUM": ("torch.optim.SGD(params, lr=0.1, momentum=0.9)", None),
    "SGD_DAMPENING": ("torch.optim.SGD(params, lr=0.1, momentum=0.9, dampening=0.5)", None),
    "SGD_NESTEROV": ("torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)", None),
    "SGD_WEIGHT_DECAY": ("torch.optim.SGD(params, lr=0.1, weight_decay=0.1)", None),
    "SGD_MOMENTUM_DAMPENING_WEIGHT_DECAY": (
        "torch.optim.SGD(params, lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05)",
        None,
    ),
    "SGD_NESTEROV_WEIGHT_DECAY": (
        "torch.optim.SGD(params, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1)",
        None,
    ),
    # Adagrad, lr=0.1.
    "ADAGRAD": ("torch.optim.Adagrad(params, lr=0.1)", None),
    "ADAGRAD_LR_DECAY": ("torch.optim.Adagrad(params, lr=0.1, lr_decay=0.5)", None),
    "ADAGRAD_WEIGHT_DECAY": ("torch.optim.Adagrad(params, lr=0.1, weight_decay=0.1)", None),
    "ADAGRAD_INITIAL_ACCUMULATOR_VALUE": (
        "torch.optim.Adagrad(params, lr=0.1, initial_accumulator_value=0.5)",
        None,
    ),
    "ADAGRAD_EPS": ("torch.optim.Adagrad(params, lr=0.1, eps=0.1)", None),
    "ADAGRAD_ALL": (
        "torch.optim.Adagrad(params, lr=0.1, lr_decay=0.1, weight_decay=0.05, "
        "initial_accumulator_value=0.2, eps=0.001)",
        None,
    ),
    # RMSprop, lr=0.01.
    "RMSPROP": ("torch.optim.RMSprop(params, lr=0.01)", None),
    "RMSPROP_ALPHA": ("torch.optim.RMSprop(params, lr=0.01, alpha=0.9)", None),
    "RMSPROP_EPS": ("torch.optim.RMSprop(params, lr=0.01, eps=0.1)", None),
    "RMSPROP_WEIGHT_DECAY": ("torch.optim.RMSprop(params, lr=0.01, weight_decay=0.1)", None),
    "RMSPROP_MOMENTUM": ("torch.optim.RMSprop(params, lr=0.01, momentum=0.9)", None),
    "RMSPROP_CENTERED": ("torch.optim.RMSprop(params, lr=0.01, centered=True)", None),
    "RMSPROP_CENTERED_MOMENTUM": ("torch.optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True)", None),
    "RMSPROP_ALL": (
        "torch.optim.RMSprop(params, lr=0.01, alpha=0.9, eps=0.001, weight_decay=0.05, momentum=0.5, "
        "centered=True)",
        None,
    ),
    # Adam, lr=0.01 (AMSGrad at lr=0.1 and beta2=0.6, where the second moment falls and the
    # running maximum takes over).
    "ADAM": ("torch.optim.Adam(params, lr=0.01)", None),
    "ADAM_BETAS": ("torch.optim.Adam(params, lr=0.01, betas=(0.8, 0.99))", None),
    "ADAM_EPS": ("torch.optim.Adam(params, lr=0.01, eps=0.1)", None),
    "ADAM_WEIGHT_DECAY": ("torch.optim.Adam(params, lr=0.01, weight_decay=0.1)", None),
    "ADAM_AMSGRAD": ("torch.optim.Adam(params, lr=0.1, betas=(0.9, 0.6), amsgrad=True)", None),
    "ADAM_ALL": (
        "torch.optim.Adam(params, lr=0.1, betas=(0.8, 0.6), eps=0.001, weight_decay=0.1, amsgrad=True)",
        None,
    ),
    # AdamW, lr=0.01 (its default weight_decay is 0.01).
    "ADAMW": ("torch.optim.AdamW(params, lr=0.01)", None),
    "ADAMW_WEIGHT_DECAY": ("torch.optim.AdamW(params, lr=0.01, weight_decay=0.5)", None),
    "ADAMW_NO_WEIGHT_DECAY": ("torch.optim.AdamW(params, lr=0.01, weight_decay=0.0)", None),
    "ADAMW_AMSGRAD": ("torch.optim.AdamW(params, lr=0.1, betas=(0.9, 0.6), amsgrad=True)", None),
    "ADAMW_ALL": (
        "torch.optim.AdamW(params, lr=0.1, betas=(0.8, 0.6), eps=0.001, weight_decay=0.5, amsgrad=True)",
        None,
    ),
    # Gradient clipping (tapegrad: an optimizer setting applied at the start of each step).
    "SGD_MOMENTUM_CLIP_NORM": (
        "torch.optim.SGD(params, lr=0.1, momentum=0.9)",
        ("clip", "torch.nn.utils.clip_grad_norm_(params, max_norm=0.5)"),
    ),
    "ADAM_CLIP_VALUE": (
        "torch.optim.Adam(params, lr=0.01)",
        ("clip", "torch.nn.utils.clip_grad_value_(params, clip_value=0.2)"),
    ),
    "RMSPROP_CLIP_INF_NORM": (
        "torch.optim.RMSprop(params, lr=0.01)",
        ("clip", "torch.nn.utils.clip_grad_norm_(params, max_norm=0.3, norm_type=float('inf'))"),
    ),
    # Parameter groups: the bias with its own hyperparameters.
    "SGD_GROUPS": (
        "torch.optim.SGD([{'params': [weight]}, {'params': [bias], 'lr': 0.2, 'momentum': 0.5}], "
        "lr=0.1, momentum=0.9, nesterov=True)",
        None,
    ),
    "ADAM_GROUPS": (
        "torch.optim.Adam([{'params': [weight]}, {'params': [bias], 'lr': 0.05, 'weight_decay': 0.0}], "
        "lr=0.01, weight_decay=0.1)",
        None,
    ),
    # A schedule stepped after every optimizer step (so each step uses its own rate).
    "SGD_MOMENTUM_STEP_LR": (
        "torch.optim.SGD(params, lr=0.1, momentum=0.9)",
        ("schedule", "torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)"),
    ),
    "ADAMW_LINEAR_LR": (
        "torch.optim.AdamW(params, lr=0.01)",
        ("schedule", "torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4)"),
    ),
}

# Each option's case must differ from the case without it (else it tests nothing).
DIFFERS_FROM = {
    "SGD_MOMENTUM": "SGD",
    "SGD_DAMPENING": "SGD_MOMENTUM",
    "SGD_NESTEROV": "SGD_MOMENTUM",
    "SGD_WEIGHT_DECAY": "SGD",
    "ADAGRAD_LR_DECAY": "ADAGRAD",
    "ADAGRAD_WEIGHT_DECAY": "ADAGRAD",
    "ADAGRAD_INITIAL_ACCUMULATOR_VALUE": "ADAGRAD",
    "ADAGRAD_EPS": "ADAGRAD",
    "RMSPROP_ALPHA": "RMSPROP",
    "RMSPROP_EPS": "RMSPROP",
    "RMSPROP_WEIGHT_DECAY": "RMSPROP",
    "RMSPROP_MOMENTUM": "RMSPROP",
    "RMSPROP_CENTERED": "RMSPROP",
    "RMSPROP_CENTERED_MOMENTUM": "RMSPROP_MOMENTUM",
    "ADAM_BETAS": "ADAM",
    "ADAM_EPS": "ADAM",
    "ADAM_WEIGHT_DECAY": "ADAM",
    "ADAMW_WEIGHT_DECAY": "ADAMW",
    "ADAMW_NO_WEIGHT_DECAY": "ADAMW",
    "SGD_MOMENTUM_CLIP_NORM": "SGD_MOMENTUM",
    "ADAM_CLIP_VALUE": "ADAM",
    "RMSPROP_CLIP_INF_NORM": "RMSPROP",
    "SGD_MOMENTUM_STEP_LR": "SGD_MOMENTUM",
    "ADAMW_LINEAR_LR": "ADAMW",
}


def run(constructor, extra, amsgrad=None):
    """Six steps of the optimizer; `amsgrad` overrides the constructor's flag (for checks)."""
    x, y = torch.tensor(X, dtype=DTYPE), torch.tensor(Y, dtype=DTYPE)
    weight = torch.tensor(W0, dtype=DTYPE, requires_grad=True)
    bias = torch.tensor(B0, dtype=DTYPE, requires_grad=True)
    params = [weight, bias]
    namespace = {"torch": torch, "params": params, "weight": weight, "bias": bias}
    optimizer = eval(constructor, namespace)
    if amsgrad is not None:
        for group in optimizer.param_groups:
            group["amsgrad"] = amsgrad
    namespace["optimizer"] = optimizer
    scheduler = eval(extra[1], namespace) if extra and extra[0] == "schedule" else None
    steps = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = ((x @ weight + bias - y) ** 2).mean()
        loss.backward()
        step = {
            "loss": loss.item(),
            "grad_w": weight.grad.tolist(),
            "grad_b": bias.grad.tolist(),
            "lr": optimizer.param_groups[0]["lr"],
        }
        if extra and extra[0] == "clip":
            eval(extra[1], namespace)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        step["w"], step["b"] = weight.tolist(), bias.tolist()
        steps.append(step)
    return steps


out = [
    "// Generated with " + SOURCE + " by",
    "// `python3 tests/data/generate_torch_optim.py > tests/data/torch_optim.rs` (from crates/optim);",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = \"" + SOURCE + "\";",
    "",
    "/// The problem: loss = mean((x @ w + b - y)^2) over all 16 elements; w is [in, out].",
    "pub const X: [[f64; 3]; 8] = " + literal(X) + ";",
    "pub const Y: [[f64; 2]; 8] = " + literal(Y) + ";",
    "pub const W0: [[f64; 2]; 3] = " + literal(W0) + ";",
    "pub const B0: [f64; 2] = " + literal(B0) + ";",
    "",
    "/// One step: the loss and gradients at the parameters before it, the lr it used, and",
    "/// the parameters after it.",
    "pub struct Step {",
    "    pub loss: f64,",
    "    pub grad_w: [[f64; 2]; 3],",
    "    pub grad_b: [f64; 2],",
    "    pub lr: f64,",
    "    pub w: [[f64; 2]; 3],",
    "    pub b: [f64; 2],",
    "}",
    "",
    "/// A PyTorch optimizer (its constructor call) and its six steps.",
    "pub struct Case {",
    "    pub torch: &'static str,",
    "    pub steps: [Step; 6],",
    "}",
]


trajectories = {}
for name, (constructor, extra) in CASES.items():
    steps = run(constructor, extra)
    trajectories[name] = steps
    torch_call = constructor
    if extra and extra[0] == "clip":
        torch_call += "; " + extra[1] + " before each step"
    elif extra:
        torch_call += "; " + extra[1] + ", stepped after each step"
    out.append("")
    out.append("pub const " + name + ": Case = Case {")
    out.append("    torch: " + '"' + torch_call.replace('"', '\\"') + '"' + ",")
    out.append("    steps: [")
    for step in steps:
        fields = ", ".join(k + ": " + literal(step[k]) for k in ["loss", "grad_w", "grad_b", "lr", "w", "b"])
        out.append("        Step { " + fields + " },")
    out.append("    ],")
    out.append("};")

for name, (w, b) in EARLIER.items():
    last = trajectories[name][-1]
    assert (last["w"], last["b"]) == (w, b), name + " no longer reproduces optim.json"
for name, base in DIFFERS_FROM.items():
    assert trajectories[name][-1]["w"] != trajectories[base][-1]["w"], name + " = " + base
for name in ["ADAM_AMSGRAD", "ADAM_ALL", "ADAMW_AMSGRAD", "ADAMW_ALL"]:
    constructor, extra = CASES[name]
    assert trajectories[name][-1]["w"] != run(constructor, extra, amsgrad=False)[-1]["w"], name

out.append("")
out.append("/// Every optimizer case above.")
out.append("pub const CASES: [&Case; " + str(len(CASES)) + "] = [" + ", ".join("&" + n for n in CASES) + "];")

# Schedules. torch's scheduler.step() (after optimizer.step(), as torch asks) moves
# last_epoch from e to e + 1; the rate after e calls is the schedule's rate for epoch e.
SCHEDULE_EPOCHS = 25
SCHEDULES = {
    "STEP_LR": ("StepLR", 0.1, "step_size=3, gamma=0.1"),
    "STEP_LR_EVERY_OTHER_EPOCH": ("StepLR", 0.5, "step_size=2, gamma=0.7"),
    "EXPONENTIAL_LR": ("ExponentialLR", 0.1, "gamma=0.9"),
    "EXPONENTIAL_LR_FAST": ("ExponentialLR", 2.0, "gamma=0.5"),
    "COSINE_ANNEALING_LR": ("CosineAnnealingLR", 0.1, "T_max=10, eta_min=0.001"),
    "COSINE_ANNEALING_LR_TO_ZERO": ("CosineAnnealingLR", 0.05, "T_max=7"),
    "LINEAR_LR_DEFAULTS": ("LinearLR", 0.1, ""),
    "LINEAR_LR_WARM_UP": ("LinearLR", 0.4, "start_factor=0.25, total_iters=3"),
    "LINEAR_LR_PARTIAL": ("LinearLR", 0.3, "start_factor=0.25, end_factor=0.75, total_iters=6"),
    "LINEAR_LR_DECAY_TO_ZERO": ("LinearLR", 0.1, "start_factor=1.0, end_factor=0.0, total_iters=4"),
}

out.extend(
    [
        "",
        "/// A `torch.optim.lr_scheduler` schedule on `SGD([p], lr=…)`: the rate after 0, 1, 2, …",
        "/// calls of `scheduler.step()` (`get_last_lr()`, computed recursively from the previous",
        "/// rate), and the scheduler's closed form (`_get_closed_form_lr()`) at the same `last_epoch`.",
        "pub struct Schedule {",
        "    pub torch: &'static str,",
        "    pub lr: [f64; " + str(SCHEDULE_EPOCHS) + "],",
        "    pub closed_form: [f64; " + str(SCHEDULE_EPOCHS) + "],",
        "}",
    ]
)
for name, (kind, lr, arguments) in SCHEDULES.items():
    param = torch.zeros(1, dtype=DTYPE, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    call = "torch.optim.lr_scheduler." + kind + "(optimizer" + (", " + arguments if arguments else "") + ")"
    scheduler = eval(call, {"torch": torch, "optimizer": optimizer})
    rates, closed = [], []
    for epoch in range(SCHEDULE_EPOCHS):
        assert scheduler.last_epoch == epoch
        rates.append(scheduler.get_last_lr()[0])
        assert rates[-1] == optimizer.param_groups[0]["lr"]
        closed.append(scheduler._get_closed_form_lr()[0])
        optimizer.step()
        scheduler.step()
    out.append("")
    out.append("pub const " + name + ": Schedule = Schedule {")
    out.append('    torch: "' + call.replace("optimizer", "SGD([p], lr=" + repr(lr) + ")", 1) + '",')
    out.append("    lr: " + literal(rates) + ",")
    out.append("    closed_form: " + literal(closed) + ",")
    out.append("};")

# ReduceLROnPlateau: each metric goes to scheduler.step(metric); what it leaves behind.
NAN, INF = float("nan"), float("inf")
PLATEAUS = {
    # PyTorch's defaults (patience 10, relative threshold 1e-4): a loss that levels off.
    "PLATEAU_DEFAULTS": (
        1.0,
        "",
        [1.0, 0.8, 0.7, 0.65, 0.64, 0.64, 0.64, 0.63995, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64,
         0.64, 0.64, 0.64, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    ),
    # Improvements smaller than 10 % of the best do not count.
    "PLATEAU_MIN_RELATIVE": (
        1.0,
        "mode='min', factor=0.5, patience=2, threshold=0.1",
        [2.0, 1.9, 1.75, 1.5, 1.4, 1.36, 1.3, 1.25, 1.2, 1.18, 1.1, 1.0, 0.5, 0.46, 0.44, 0.43, 0.42, 0.41, 0.3],
    ),
    # Negative losses: a relative threshold in min mode scales a negative best towards zero,
    # so a slightly worse value counts as better (PyTorch's formula, kept).
    "PLATEAU_MIN_RELATIVE_NEGATIVE": (
        1.0,
        "mode='min', factor=0.5, patience=1, threshold=0.1",
        [-1.0, -0.95, -0.9, -0.85, -0.5, -0.6, -2.0, -1.9, -1.75, -1.6, -1.6],
    ),
    "PLATEAU_MIN_ABSOLUTE": (
        0.1,
        "mode='min', factor=0.2, patience=1, threshold=0.05, threshold_mode='abs'",
        [1.0, 0.96, 0.9, 0.86, 0.85, 0.84, 0.7, 0.66, 0.64, 0.63, 0.6, -0.5, -0.53, -0.56, -0.6],
    ),
    "PLATEAU_MAX_RELATIVE": (
        1.0,
        "mode='max', factor=0.5, patience=1, threshold=0.01",
        [0.5, 0.6, 0.605, 0.7, 0.705, 0.706, 0.71, 0.72, 0.9, 0.905, 0.91, 0.91, 0.95, -1.0, 0.96],
    ),
    "PLATEAU_MAX_ABSOLUTE": (
        1.0,
        "mode='max', factor=0.1, patience=0, threshold=0.1, threshold_mode='abs'",
        [0.2, 0.35, 0.4, 0.46, 0.6, 0.65, 0.71, 0.72, 0.9, -0.5, 1.1],
    ),
    # A cut starts a cooldown of 2 epochs, in which bad epochs are not counted.
    "PLATEAU_COOLDOWN": (
        1.0,
        "factor=0.5, patience=0, cooldown=2",
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4],
    ),
    "PLATEAU_COOLDOWN_AND_PATIENCE": (
        1.0,
        "factor=0.5, patience=2, cooldown=3",
        [3.0] + [3.0] * 12 + [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
    ),
    # The rate never goes below min_lr.
    "PLATEAU_MIN_LR": (
        0.1,
        "factor=0.5, patience=0, min_lr=0.02",
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    ),
    # A cut of no more than eps (1e-8) is not made: 1e-7 → 1e-8, then 1e-8 stays.
    "PLATEAU_EPS": (
        1e-7,
        "factor=0.1, patience=0",
        [1.0, 1.0, 1.0, 1.0, 1.0],
    ),
    "PLATEAU_EPS_ZERO": (
        1e-7,
        "factor=0.1, patience=0, eps=0.0",
        [1.0, 1.0, 1.0, 1.0, 1.0],
    ),
    # NaN is never better (a bad epoch); infinities compare as numbers.
    "PLATEAU_NAN_AND_INFINITY": (
        1.0,
        "factor=0.5, patience=1",
        [NAN, NAN, NAN, 2.0, NAN, 1.0, INF, INF, -INF, NAN, NAN],
    ),
}

out.extend(
    [
        "",
        "/// What `ReduceLROnPlateau` holds after one `scheduler.step(metric)`.",
        "pub struct PlateauStep {",
        "    pub lr: f64,",
        "    pub best: f64,",
        "    pub num_bad_epochs: usize,",
        "    pub cooldown_counter: usize,",
        "}",
        "",
        "/// `ReduceLROnPlateau` on `SGD([p], lr=lr)`, fed `metrics` one by one.",
        "pub struct Plateau {",
        "    pub torch: &'static str,",
        "    pub lr: f64,",
        "    pub metrics: &'static [f64],",
        "    pub steps: &'static [PlateauStep],",
        "}",
    ]
)
for name, (lr, arguments, metrics) in PLATEAUS.items():
    param = torch.zeros(1, dtype=DTYPE, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    call = "torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer" + (", " + arguments if arguments else "") + ")"
    scheduler = eval(call, {"torch": torch, "optimizer": optimizer})
    steps = []
    for epoch, metric in enumerate(metrics):
        optimizer.step()
        scheduler.step(metric)
        assert scheduler.last_epoch == epoch + 1
        steps.append(
            "PlateauStep { lr: " + literal(optimizer.param_groups[0]["lr"]) + ", best: " + literal(scheduler.best)
            + ", num_bad_epochs: " + str(scheduler.num_bad_epochs)
            + ", cooldown_counter: " + str(scheduler.cooldown_counter) + " }"
        )
    assert optimizer.param_groups[0]["lr"] != lr, name + " never cuts"
    out.append("")
    out.append("pub const " + name + ": Plateau = Plateau {")
    out.append('    torch: "' + call.replace("optimizer", "SGD([p], lr=" + repr(lr) + ")", 1) + '",')
    out.append("    lr: " + literal(lr) + ",")
    out.append("    metrics: &" + literal(metrics) + ",")
    out.append("    steps: &[")
    out.extend("        " + step + "," for step in steps)
    out.append("    ],")
    out.append("};")

out.append("")
out.append("/// Every schedule above.")
out.append(
    "pub const SCHEDULES: [&Schedule; " + str(len(SCHEDULES)) + "] = [" + ", ".join("&" + n for n in SCHEDULES) + "];"
)
out.append("")
out.append("/// Every ReduceLROnPlateau run above.")
out.append(
    "pub const PLATEAUS: [&Plateau; " + str(len(PLATEAUS)) + "] = [" + ", ".join("&" + n for n in PLATEAUS) + "];"
)

print("\n".join(out))
