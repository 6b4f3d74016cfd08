"""Plain JAX + optax training with an lrjax schedule, on synthetic data.

A two-layer MLP learns a noisy nonlinear function with ``optax.adamw`` under a warmup +
cosine schedule whose length comes from the data (``lrjax.num_training_steps``). The
jitted train step takes the schedule as an argument and builds the optimizer inside, so a
schedule with other values (the second run) reuses the compiled step: no recompilation
(optax #577). It prints the loss and the learning rate each update used.

Run: python examples/optax_training.py [--quick]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrjax


def make_data(n: int, seed: int = 0) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 2)).astype(np.float32)
    y = (np.sin(2.0 * x[:, :1]) * np.cos(x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))).astype(
        np.float32
    )
    return jnp.asarray(x), jnp.asarray(y)


def init_params(key: jax.Array, hidden: int) -> dict[str, jax.Array]:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (2, hidden), jnp.float32) * 0.5,
        "b1": jnp.zeros((1, hidden), jnp.float32),
        "w2": jax.random.normal(k2, (hidden, 1), jnp.float32) / np.sqrt(hidden),
        "b2": jnp.zeros((1, 1), jnp.float32),
    }


def loss_fn(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((h @ params["w2"] + params["b2"] - y) ** 2)


def make_optimizer(schedule: lrjax.AbstractSchedule) -> optax.GradientTransformation:
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))


@jax.jit
def train_step(params, opt_state, schedule, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = make_optimizer(schedule).update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    return params, opt_state, loss, lrjax.current_learning_rate(opt_state, schedule)


def train(schedule, x, y, batch_size: int, epochs: int, log_every: int) -> float:
    params = init_params(jax.random.key(0), hidden=32)
    opt_state = make_optimizer(schedule).init(params)
    rng = np.random.default_rng(1)
    step, n = 0, x.shape[0]
    loss = jnp.zeros(())
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):  # the last batch may be partial
            idx = order[start : start + batch_size]
            params, opt_state, loss, lr = train_step(params, opt_state, schedule, x[idx], y[idx])
            if step % log_every == 0:
                print(f"  step {step:>5}  loss {float(loss):.4f}  lr {float(lr):.3e}")
            step += 1
    print(f"  final step {step - 1}: loss {float(loss):.4f}, lr {float(lr):.3e}")
    return float(loss_fn(params, x, y))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    n, batch_size, epochs = (250, 32, 2) if args.quick else (4000, 64, 20)
    x, y = make_data(n)
    total = lrjax.num_training_steps(n, batch_size, epochs)  # epochs * ceil(n / batch)
    warmup_steps = max(total // 20, 1)
    log_every = max(total // 8, 1)
    for peak in (1e-2, 3e-3):
        schedule = lrjax.warmup(
            lrjax.cosine_decay(peak, total - warmup_steps, end_value=peak / 100), warmup_steps
        )
        print(f"peak {peak:.0e}, {total} steps ({epochs} epochs of {n} examples):")
        full_loss = train(schedule, x, y, batch_size, epochs, log_every)
        print(f"  loss on all data: {full_loss:.4f}")
    # The second schedule (new values, same structure) reused the compiled step; the only
    # other compiled version is for the last, partial batch of each epoch.
    print("compiled versions of train_step:", train_step._cache_size())  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
