"""Flax NNX training with an lrjax schedule, on synthetic data.

A small ``nnx`` MLP learns a noisy nonlinear function with ``nnx.Optimizer`` wrapping
``optax.adamw`` under a warmup-stable-decay schedule whose length comes from the data
(``lrjax.num_training_steps``). Flax holds optax's state, step counter included, in the
optimizer, so the learning rate an update used is ``schedule(step)`` read before the
update: the example prints it with the loss and checks it against the schedule. The
schedule is an ordinary pytree, so its config goes into the run's metadata as JSON.

Needs flax (``pip install flax``; lrjax's test extra installs it).

Run: python examples/flax_training.py [--quick]
"""

from __future__ import annotations

import argparse
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import lrjax


class MLP(nnx.Module):
    def __init__(self, hidden: int, rngs: nnx.Rngs) -> None:
        self.hidden = nnx.Linear(2, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, 1, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(jnp.tanh(self.hidden(x)))


def make_data(n: int, seed: int = 0) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 2)).astype(np.float32)
    y = np.sin(2.0 * x[:, :1]) * np.cos(x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))
    return jnp.asarray(x), jnp.asarray(y.astype(np.float32))


@nnx.jit
def train_step(model: MLP, optimizer: nnx.Optimizer, x: jax.Array, y: jax.Array):
    def loss_fn(model: MLP) -> jax.Array:
        return jnp.mean((model(x) - y) ** 2)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    step = optimizer.step[...]  # the count optax's schedule sees in this update
    optimizer.update(model, grads)
    return loss, step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    n, batch_size, epochs = (256, 32, 2) if args.quick else (4096, 64, 20)
    x, y = make_data(n)
    total = lrjax.num_training_steps(n, batch_size, epochs, drop_remainder=True)
    warmup_steps = max(total // 10, 1)
    decay_steps = max(total // 5, 1)
    schedule = lrjax.warmup_stable_decay(
        peak_value=3e-3,
        warmup_steps=warmup_steps,
        stable_steps=total - warmup_steps - decay_steps,
        decay_steps=decay_steps,
        decay_shape="1-sqrt",
    )
    print("schedule:", schedule)
    print("config for the run's metadata:", json.dumps(lrjax.to_config(schedule)))

    model = MLP(32, nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adamw(schedule, weight_decay=1e-4), wrt=nnx.Param)
    rng = np.random.default_rng(1)
    log_every = max(total // 8, 1)
    used = []
    loss = jnp.zeros(())
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = order[start : start + batch_size]
            loss, step = train_step(model, optimizer, x[idx], y[idx])
            used.append(int(step))
            if int(step) % log_every == 0:
                lr = float(schedule(step))
                print(f"  step {int(step):>5}  loss {float(loss):.4f}  lr {lr:.3e}")
    assert used == list(range(total)), "every update used the next step of the schedule"
    print(f"{total} updates; final loss {float(jnp.mean((model(x) - y) ** 2)):.4f}")
    print(f"last update used lr {float(schedule(total - 1)):.3e} (step {total - 1})")


if __name__ == "__main__":
    main()
