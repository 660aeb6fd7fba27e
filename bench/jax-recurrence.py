#!/usr/bin/env python3
"""The optimisation step of examples/recurrence.wgl in JAX, for comparison
with `wiggle-bench --optimisation` (its first line) on the same machine.

The same model: 50 steps h <- normal(mean(h), sd(h)) with a two-unit tanh
layer and a softplus sd head, reparametrised (h = mean + sd * eps), the
objective mean((h - 3)^2) over 1,000 particles, its gradient by
jax.value_and_grad, and an Adam step (lr 0.03) -- all in one jitted function,
in float64 as Wiggle computes (--float32 for single precision). Fresh
normals every step, as Wiggle draws.

Run on one core (XLA's own thread pool off, the process pinned):
    taskset -c 0 python3 bench/jax-recurrence.py [--particles N] [--steps S]
Needs jax (pip install jax).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

FLOAT = jnp.float32 if "--float32" in sys.argv else jnp.float64
jax.config.update("jax_enable_x64", FLOAT == jnp.float64)


def objective(params, key, particles):
    w, v, u, c = params["w"], params["v"], params["u"], params["c"]
    eps = jax.random.normal(key, (50, particles), dtype=FLOAT)

    def step(h, e):
        a = jnp.tanh(w[0] * h + w[1])
        b = jnp.tanh(w[2] * h + w[3])
        mean = h + v[0] * a + v[1] * b + c
        sd = 0.05 + jax.nn.softplus(u[0] * a + u[1] * b - 2)
        return mean + sd * e, None

    h, _ = jax.lax.scan(step, jnp.zeros(particles, dtype=FLOAT), eps)
    return jnp.mean((h - 3.0) ** 2)


def make_step(particles, lr=0.03, b1=0.9, b2=0.999, epsilon=1e-8):
    grad = jax.value_and_grad(objective)

    @jax.jit
    def update(params, m, s, t, key):
        key, sub = jax.random.split(key)
        value, g = grad(params, sub, particles)
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        s = jax.tree_util.tree_map(lambda s, g: b2 * s + (1 - b2) * g * g, s, g)
        t = t + 1
        params = jax.tree_util.tree_map(
            lambda p, m, s: p - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(s / (1 - b2 ** t)) + epsilon), params, m, s)
        return params, m, s, t, key, value

    return update


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--particles", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--float32", action="store_true", help="single precision (Wiggle computes in double)")
    args = parser.parse_args()
    key = jax.random.PRNGKey(1)
    key, init = jax.random.split(key)
    k1, k2, k3 = jax.random.split(init, 3)
    params = {"w": 0.3 * jax.random.normal(k1, (4,), dtype=FLOAT),
              "v": 0.3 * jax.random.normal(k2, (2,), dtype=FLOAT),
              "u": 0.3 * jax.random.normal(k3, (2,), dtype=FLOAT),
              "c": FLOAT(0)}
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    update = make_step(args.particles)
    state = (params, zeros, zeros, FLOAT(0), key)
    # Compile and warm up.
    out = update(*state)
    jax.block_until_ready(out)
    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in range(args.steps):
            out = update(*out[:5])
        jax.block_until_ready(out)
        rates.append(args.steps / (time.perf_counter() - start))
    rates.sort()
    print(f"jax {jax.__version__}, {jnp.dtype(FLOAT).name}, {args.particles} particles: "
          f"{rates[len(rates) // 2]:.0f} steps/s (median of {args.rounds} rounds of {args.steps}); "
          f"last objective {float(out[5]):.4f}")


if __name__ == "__main__":
    main()
