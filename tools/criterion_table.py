#!/usr/bin/env python3
"""Prints the criterion results under target/criterion as markdown tables, one per group,
with each function's median time and, inside a group, its ratio to the hand-written
ndarray reference (and FLOP/s where the group set a throughput).

    cargo bench --bench mlp && python3 tools/criterion_table.py            # every group
    python3 tools/criterion_table.py scaling                                # groups matching
"""
import glob
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")


def load():
    rows = []
    for bench_file in glob.glob(os.path.join(ROOT, "**", "new", "benchmark.json"), recursive=True):
        with open(bench_file) as f:
            bench = json.load(f)
        with open(os.path.join(os.path.dirname(bench_file), "estimates.json")) as f:
            estimates = json.load(f)
        rows.append((bench, estimates["median"]["point_estimate"]))
    return rows


def pretty(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs" if ns >= 1e3 else f"{ns:.0f} ns"


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    groups = {}
    for bench, ns in load():
        if pattern in bench["group_id"]:
            groups.setdefault(bench["group_id"], []).append((bench, ns))
    for group, rows in sorted(groups.items()):
        print(f"\n**{group}**\n")
        by_value = {}
        for bench, ns in rows:
            by_value.setdefault(bench.get("value_str") or "", {})[bench["function_id"]] = (bench, ns)
        functions = sorted({bench["function_id"] for bench, _ in rows})
        reference = next((f for f in functions if "hand" in f), None)
        header = ["size"] if any(by_value) else []
        print("| " + " | ".join(header + functions + ([f"{f} / hand" for f in functions if f != reference] if reference else [])) + " |")
        print("|" + "---|" * (len(header) + len(functions) + (len(functions) - 1 if reference else 0)))
        for value in sorted(by_value, key=lambda v: float(v) if v.replace(".", "").isdigit() else 0):
            cells = by_value[value]
            line = [value] if header else []
            for f in functions:
                if f not in cells:
                    line.append("")
                    continue
                bench, ns = cells[f]
                throughput = (bench.get("throughput") or {}).get("Elements")
                # The scaling sweep counts its throughput in FLOPs; other groups in elements.
                rate = f" ({throughput / ns:.0f} GFLOP/s)" if "scaling" in group else f" ({throughput / ns * 1e3:.0f} M/s)"
                line.append(pretty(ns) + (rate if throughput else ""))
            if reference and reference in cells:
                for f in functions:
                    if f != reference:
                        line.append(f"{cells[f][1] / cells[reference][1]:.2f}" if f in cells else "")
            print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    main()
