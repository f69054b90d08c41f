"""JAX's training step for W1-W3 (workloads.py): value_and_grad of the loss and the optax
update in one jax.jit with donated buffers, as a JAX user would write it. One thread unless
--threads says otherwise (set before JAX is imported). Prints one line per workload: name,
first loss, µs/step."""
import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--secs", type=float, default=2.0)
    args = parser.parse_args()
    os.environ["JAX_PLATFORMS"] = "cpu"
    if args.threads == 1:
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
    import jax
    import jax.numpy as jnp
    import optax

    import workloads

    for key, w in workloads.WORKLOADS.items():
        params = [(jnp.asarray(weight), jnp.asarray(bias)) for weight, bias in workloads.init(w["sizes"])]
        x, labels, y = workloads.data(w)
        x, labels, y = jnp.asarray(x), jnp.asarray(labels.astype("int32")), jnp.asarray(y)
        act = jax.nn.relu if w["act"] == "relu" else jnp.tanh

        def loss_fn(params, x, labels, y, w=w, act=act):
            h = x
            for i, (weight, bias) in enumerate(params):
                h = h @ weight + bias
                if i + 1 < len(params):
                    h = act(h)
            if w["loss"] == "ce":
                return optax.softmax_cross_entropy_with_integer_labels(h, labels).mean()
            return jnp.mean((h - y) ** 2)

        tx = optax.sgd(w["lr"]) if w["opt"] == "sgd" else optax.adam(w["lr"], b1=0.9, b2=0.999, eps=1e-8)

        def train_step(params, opt_state, x, labels, y, loss_fn=loss_fn, tx=tx):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, labels, y)
            updates, opt_state = tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        train_step = jax.jit(train_step, donate_argnums=(0, 1))
        state = {"p": params, "o": tx.init(params)}

        def step(state=state, train_step=train_step):
            state["p"], state["o"], loss = train_step(state["p"], state["o"], x, labels, y)
            return loss

        first = float(step())
        us = workloads.time_steps(step, lambda: jax.block_until_ready(state["p"]), args.secs)
        print(json.dumps(dict(framework=f"JAX {jax.__version__} (jit)", workload=w["name"], first_loss=first,
                              us_per_step=us)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
