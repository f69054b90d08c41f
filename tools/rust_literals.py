"""Python values as Rust literals, for the scripts that write PyTorch reference data as Rust
source (`crates/*/tests/data/generate_torch_*.py`).

Python's repr of a float is the shortest string that reads back to the same f64, so the
literals are exact; NaN and the infinities become `f64` constants.
"""
import math


def literal(value, integers=True):
    """`value` (a number, or nested lists or tuples of numbers) as a Rust literal. With
    `integers`, Python ints (not bools) stay integers; otherwise every number is an f64."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v, integers) for v in value) + "]"
    if integers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "f64::NAN"
    if math.isinf(value):
        return "f64::INFINITY" if value > 0 else "f64::NEG_INFINITY"
    return repr(value)
