"""Writes torch_optim.rs (Rust literals) from the team's PyTorch reference file optim.json.

Usage, from crates/optim:  python3 tests/data/generate_torch_optim.py optim.json > tests/data/torch_optim.rs
Python's repr of a float is the shortest string that reads back to the same f64, so the
literals are exact.
"""
import json
import sys

data = json.load(open(sys.argv[1]))


def literal(value):
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return repr(float(value))


out = [
    "// Generated from the PyTorch reference trajectories (" + data["source"] + ") by",
    "// `python3 tests/data/generate_torch_optim.py optim.json > tests/data/torch_optim.rs`;",
    "// do not edit by hand. See tests/data/README.md.",
    "",
    "/// The torch version and dtype that produced these numbers.",
    "pub const SOURCE: &str = " + json.dumps(data["source"]) + ";",
    "",
    "/// The problem: loss = mean((x @ w + b - y)^2) over all 16 elements; w is [in, out].",
    "pub const X: [[f64; 3]; 8] = " + literal(data["problem"]["x"]) + ";",
    "pub const Y: [[f64; 2]; 8] = " + literal(data["problem"]["y"]) + ";",
    "pub const W0: [[f64; 2]; 3] = " + literal(data["problem"]["w0"]) + ";",
    "pub const B0: [f64; 2] = " + literal(data["problem"]["b0"]) + ";",
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
for name, case in data["cases"].items():
    out.append("")
    out.append("pub const " + name.upper() + ": Case = Case {")
    out.append("    torch: " + json.dumps(case["torch"]) + ",")
    out.append("    steps: [")
    for step in case["steps"]:
        fields = ", ".join(k + ": " + literal(step[k]) for k in ["loss", "grad_w", "grad_b", "lr", "w", "b"])
        out.append("        Step { " + fields + " },")
    out.append("    ],")
    out.append("};")
print("\n".join(out))
