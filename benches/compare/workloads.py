"""The W1-W3 workloads of benches/common/mod.rs, for the Python frameworks: the same shapes,
the same splitmix64 stream for data and initial weights (so every framework starts from
the same loss as tapegrad), and one timing protocol. Needs numpy only."""
import time

import numpy as np

WORKLOADS = {
    "W1": dict(name="W1 784-128-10", sizes=[784, 128, 10], batch=64, act="relu", loss="ce", opt="sgd", lr=0.01),
    "W2": dict(name="W2 2-16-16-1", sizes=[2, 16, 16, 1], batch=32, act="tanh", loss="mse", opt="sgd", lr=0.01),
    "W3": dict(name="W3 784-512-512-10", sizes=[784, 512, 512, 10], batch=256, act="relu", loss="ce", opt="adam",
               lr=1e-3),
}


def splitmix(seed, n):
    """Value i is splitmix64's mix of seed + (i + 1)·golden, with wrapping arithmetic."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(seed, n, scale):
    """n f32 uniforms in [-scale, scale), as benches/common/mod.rs computes them."""
    u = (splitmix(seed, n) >> np.uint64(40)).astype(np.float32) / np.float32(16777216.0)
    return (u * np.float32(2.0) - np.float32(1.0)) * np.float32(scale)


def init(sizes):
    """Per layer: weight [in, out] from U(±1/√in), zero bias."""
    layers = []
    for l, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        scale = np.float32(1.0) / np.sqrt(np.float32(fan_in))
        w = uniform(100 + l, fan_in * fan_out, scale).reshape(fan_in, fan_out)
        layers.append((w, np.zeros(fan_out, np.float32)))
    return layers


def data(w):
    out = w["sizes"][-1]
    x = uniform(1, w["batch"] * w["sizes"][0], 1.0).reshape(w["batch"], w["sizes"][0])
    labels = (splitmix(2, w["batch"]) % np.uint64(out)).astype(np.int64)
    y = uniform(3, w["batch"] * out, 1.0).reshape(w["batch"], out)
    return x, labels, y


def time_steps(step, sync, secs=2.0, chunks=5):
    """Warm up for at least 0.5 s, then the median µs/step of `chunks` timed chunks."""
    start = time.perf_counter()
    while time.perf_counter() - start < 0.5:
        step()
    sync()
    medians = []
    for _ in range(chunks):
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < secs / chunks:
            step()
            steps += 1
        sync()
        medians.append((time.perf_counter() - t0) / steps * 1e6)
    return sorted(medians)[len(medians) // 2]
