"""Train 64 models at once: jax.vmap over a batched schedule, in one jitted lax.scan.

A sweep of 16 peak learning rates x 4 warmup lengths (``lrjax.sweep``) is one schedule
whose leaves have shape (16, 4). The whole training run (a ``lax.scan`` over the updates
of ``optax.adam``) is ``jax.vmap``-ed twice over it and compiled once: every model trains
with its own schedule in the same XLA program, and a new grid of values reuses it. With
several devices, the sweep's batch axis is sharded over them (``NamedSharding``).

Run: python examples/vmap_sweep.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import lrjax


def make_data(seed: int = 0) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(128, 8)).astype(np.float32)
    w = rng.normal(size=(8, 1)).astype(np.float32)
    y = np.tanh(x @ w) + 0.1 * rng.normal(size=(128, 1)).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(y, jnp.float32)


def train(schedule: lrjax.AbstractSchedule, x: jax.Array, y: jax.Array, steps: int):
    """``steps`` full-batch adam updates of a small MLP; returns the loss curve."""
    key = jax.random.key(0)  # the same initialization for every member of the sweep
    params = {
        "w1": jax.random.normal(key, (8, 16), jnp.float32) * 0.3,
        "w2": jnp.zeros((16, 1), jnp.float32),
    }
    opt = optax.adam(schedule)

    def loss_fn(p):
        return jnp.mean((jnp.tanh(x @ p["w1"]) @ p["w2"] - y) ** 2)

    def step(carry, _):
        p, state = carry
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, state = opt.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), loss

    _, losses = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    steps = 40 if args.quick else 500
    x, y = make_data()

    def factory(peak, warmup_steps):
        return lrjax.warmup(lrjax.cosine_decay(peak, steps), warmup_steps)

    grid = dict(
        peak=[float(p) for p in np.geomspace(1e-3, 1.0, 16)],
        warmup_steps=[0, steps // 20, steps // 10, steps // 4],
    )
    sweep = lrjax.sweep(factory, **grid)
    print(f"{sweep.size} configurations, batched schedule of shape {sweep.shape}")

    batched = sweep.schedule
    if jax.device_count() > 1 and sweep.shape[0] % jax.device_count() == 0:
        # Shard the first grid axis (the peaks) over the devices; JAX's SPMD does the rest.
        mesh = jax.make_mesh(
            (jax.device_count(),), ("sweep",), axis_types=(jax.sharding.AxisType.Auto,)
        )
        batched = jax.device_put(batched, NamedSharding(mesh, P("sweep")))
        print(f"sweep axis sharded over {jax.device_count()} devices")

    run = jax.jit(
        jax.vmap(jax.vmap(train, in_axes=(0, None, None, None)), in_axes=(0, None, None, None)),
        static_argnums=3,
    )
    start = time.perf_counter()
    losses = np.asarray(run(batched, x, y, steps))  # shape (16, 4, steps)
    seconds = time.perf_counter() - start
    print(f"trained {sweep.size} models x {steps} steps in {seconds:.2f} s (with compiling)")

    final = losses[..., -1]
    print("final loss (rows: peak, columns: warmup steps " + str(grid["warmup_steps"]) + ")")
    for peak, row in zip(grid["peak"], final, strict=True):
        print(f"  peak {peak:8.2e}: " + "  ".join(f"{v:8.4f}" for v in row))
    best = np.unravel_index(np.nanargmin(final), final.shape)
    print("best:", sweep.labels()[int(np.ravel_multi_index(best, final.shape))])

    # A separate run of the best member gives the same curve as its row of the sweep.
    member = sweep.member(tuple(int(i) for i in best))
    alone = np.asarray(jax.jit(train, static_argnums=3)(member, x, y, steps))
    gap = np.abs(alone - losses[best]).max()
    print(f"max |sweep - separate run| for the best member: {gap:.2e}")

    # New values, same structure: the compiled sweep is reused.
    halved = lrjax.sweep(factory, **{**grid, "peak": [p / 2 for p in grid["peak"]]})
    run(halved.schedule, x, y, steps)
    print("compiled versions of the sweep:", run._cache_size())  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
