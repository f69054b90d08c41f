#!/usr/bin/env python3
"""Minimal GradBench intermediary: forwards JSON lines between an eval and a tool.

The team's own script (copied from the shared harness; no GradBench code): it plays the
part of GradBench's `gradbench run` for local runs without Docker. docs/performance.md,
"GradBench", shows it in use.

Usage: gb_run.py LOG.jsonl 'EVAL COMMAND' 'TOOL COMMAND' [--timeout S]
Each line of LOG is {"message": ...} or {"response": ..., "wall_ns": ...}. At the end it
prints one line per evaluate: function, description, min evaluate ns over runs, valid.
Run it from a GradBench checkout with python/gradbench on PYTHONPATH; evals that validate
against GradBench's `manual` C++ tool need it built first (make -C cpp; make -C tools/manual).
"""
import json, shlex, subprocess, sys, time

log_path, eval_cmd, tool_cmd = sys.argv[1:4]
timeout = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 600.0
ev = subprocess.Popen(eval_cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
tool = subprocess.Popen(tool_cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
start = time.time()
rows, pending = [], {}
with open(log_path, "w") as log:
    for line in ev.stdout:
        if time.time() - start > timeout:
            print("TIMEOUT", file=sys.stderr)
            break
        msg = json.loads(line)
        log.write(json.dumps({"message": msg}) + "\n")
        t0 = time.perf_counter_ns()
        tool.stdin.write(line if line.endswith("\n") else line + "\n")
        tool.stdin.flush()
        resp_line = tool.stdout.readline()
        wall = time.perf_counter_ns() - t0
        if not resp_line:
            print("tool closed its output", file=sys.stderr)
            break
        resp = json.loads(resp_line)
        log.write(json.dumps({"response": resp, "wall_ns": wall}) + "\n")
        log.flush()
        if msg["kind"] == "define" and not resp.get("success"):
            rows.append((msg["module"], "define", "-", "-", f"undefined: {str(resp.get('error',''))[:200]}"))
        if msg["kind"] == "evaluate":
            ts = [t["nanoseconds"] for t in resp.get("timings") or [] if t["name"] == "evaluate"]
            pending[msg["id"]] = [msg["module"], msg["function"], msg.get("description", ""),
                                  min(ts) if ts else None, "ok" if resp.get("success") else "ERROR " + str(resp.get("error", ""))[:200]]
        if msg["kind"] == "analysis" and msg["of"] in pending:
            r = pending.pop(msg["of"])
            r[4] = "valid" if msg["valid"] and r[4] == "ok" else ("INVALID " + str(msg.get("error", ""))[:300] if r[4] == "ok" else r[4])
            rows.append(tuple(r))
        ev.stdin.write(resp_line if resp_line.endswith("\n") else resp_line + "\n")
        ev.stdin.flush()
rows.extend(tuple(r) for r in pending.values())
for proc in (ev, tool):
    try:
        proc.stdin.close()
    except Exception:
        pass
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
for r in rows:
    ns = r[3]
    print(f"{r[0]}\t{r[1]}\t{r[2]}\t{'-' if ns is None or ns == '-' else f'{ns/1e6:.3f} ms'}\t{r[4]}")
