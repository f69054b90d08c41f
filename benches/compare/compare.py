#!/usr/bin/env python3
"""tapegrad beside PyTorch and JAX on W1-W3, from the same initial weights and data, in one
command, one machine, one sitting:

    pip install torch jax optax numpy
    python3 benches/compare/compare.py [--threads 1] [--secs 2] [--python python3]

It runs `cargo bench --bench mlp` (tapegrad's nn path, its raw tape path and the hand-written
ndarray step, by criterion), then torch_mlp.py and jax_mlp.py, and prints one markdown table
with every framework's first loss (they must agree) and µs per step, and tapegrad's ratios.
Time on a quiet machine; the peer harness in docs/performance.md interleaves more peers.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def criterion_median(group, function):
    path = os.path.join(ROOT, "target", "criterion", group, function, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--secs", type=float, default=2.0)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--skip-cargo", action="store_true", help="reuse the last criterion results")
    args = parser.parse_args()

    env = dict(os.environ, TAPEGRAD_NUM_THREADS=str(args.threads))
    # Every framework gets the same cores: with one thread, JAX and PyTorch otherwise still
    # spread helper work over the others.
    cores = set(range(min(args.threads, os.cpu_count() or 1)))
    pin = (lambda: os.sched_setaffinity(0, cores)) if hasattr(os, "sched_setaffinity") else None
    first = {}
    if not args.skip_cargo:
        subprocess.run(["cargo", "bench", "--bench", "mlp", "--no-run"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(["cargo", "bench", "--bench", "mlp", "--", "--noplot"], cwd=ROOT, env=env,
                             preexec_fn=pin, capture_output=True, text=True, check=True).stdout
        for name, loss in re.findall(r"^(W\d [\d-]+): first loss ([\d.]+)", out, re.M):
            first[name] = float(loss)

    rows = {}
    for script in ["torch_mlp.py", "jax_mlp.py"]:
        result = subprocess.run([args.python, os.path.join(HERE, script), "--threads", str(args.threads),
                                 "--secs", str(args.secs)], preexec_fn=pin, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"{script} failed:\n{result.stderr[-2000:]}", file=sys.stderr)
            continue
        for line in result.stdout.splitlines():
            r = json.loads(line)
            rows.setdefault(r["workload"], {})[r["framework"]] = r

    frameworks = sorted({f for by in rows.values() for f in by})
    header = ["workload", "tapegrad nn", "tapegrad tape", "ndarray hand-written"] + frameworks
    print(f"\n{args.threads} thread(s); µs per training step (first loss)\n")
    columns = header + [f"tapegrad nn / {f}" for f in ["hand-written"] + frameworks]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for name in ["W1 784-128-10", "W2 2-16-16-1", "W3 784-512-512-10"]:
        ours = [criterion_median(name, f) for f in ["tapegrad nn", "tapegrad tape", "ndarray hand-written"]]
        loss = f" ({first[name]:.5f})" if name in first else ""
        cells = [name, f"{ours[0]:.1f}{loss}", f"{ours[1]:.1f}", f"{ours[2]:.1f}"]
        others = []
        for f in frameworks:
            r = rows.get(name, {}).get(f)
            cells.append(f"{r['us_per_step']:.1f} ({r['first_loss']:.5f})" if r else "")
            others.append(r["us_per_step"] if r else None)
        ratios = [ours[0] / ours[2]] + [ours[0] / o if o else None for o in others]
        cells += [f"{r:.2f}" if r else "" for r in ratios]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
