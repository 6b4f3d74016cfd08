"""Tuning a schedule by gradient: warmup length, peak and end value, through the training run.

An lrjax schedule is a pytree of its hyperparameters, so ``jax.grad`` can differentiate the
validation loss after a whole training run (unrolled in one ``jax.lax.scan``) with respect
to them. Here the MLP of examples/lr_range_test.py is trained on scikit-learn's digits with
SGD and momentum under a warmup-cosine schedule with three float hyperparameters,

    lr(t) = min(peak * t / warmup, cosine_decay(peak, T, end_value=end)(t)),

(a linear warmup whose length enters through its slope, so it is a float and has a
gradient; the warmup ends where the ramp meets the cosine, about ``warmup`` steps in). The
hyperparameters, in log space, are tuned by Adam on the hypergradient, against a
``vmap``-ped grid search over the same three at equal compute (each hypergradient step
costs about 3 training runs). Both are evaluated by the same validation loss and accuracy.

Run: python examples/hypergradient.py [--quick] [--out PATH.png] [--check-gradients]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

import lrjax

BATCH = 64
NAMES = ("warmup", "peak", "end")


def load(seed: int = 0) -> tuple[np.ndarray, ...]:
    """Digits scaled to [0, 1]: training (60 %), validation (20 %) and test (20 %) sets."""
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = (x[order] / 16.0).astype(np.float32), y[order].astype(np.int32)
    a, b = int(0.6 * len(x)), int(0.8 * len(x))
    return x[:a], y[:a], x[a:b], y[a:b], x[b:], y[b:]


def init_params(key: jax.Array, hidden: int = 128) -> dict[str, jax.Array]:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (64, hidden)) * np.sqrt(2 / 64),
        "b1": jnp.zeros(hidden),
        "w2": jax.random.normal(k2, (hidden, 10)) * np.sqrt(1 / hidden),
        "b2": jnp.zeros(10),
    }


def logits(params: Any, x: jax.Array) -> jax.Array:
    return jax.nn.relu(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]


def loss_fn(params: Any, x: Any, y: Any) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits(params, x), y).mean()


def schedule(theta: jax.Array, total: int) -> lrjax.AbstractSchedule:
    """The warmup-cosine schedule of ``theta = log([warmup, peak, end])``."""
    warmup, peak, end = jnp.exp(theta)
    ramp = lrjax.linear(0.0, peak * total / warmup, total)  # peak * t / warmup
    return lrjax.minimum(ramp, lrjax.cosine_decay(peak, total, end_value=end))


def make_objective(data: dict[str, np.ndarray], x_val: np.ndarray, y_val: np.ndarray):
    """``theta -> validation loss`` after training on ``data`` (leading axis: steps)."""
    total = len(data["y"])
    params0 = init_params(jax.random.key(0))

    def objective(theta: jax.Array) -> tuple[jax.Array, Any]:
        tx = optax.sgd(schedule(theta, total), momentum=0.9)

        def step(carry: Any, batch: Any) -> Any:
            params, state = carry
            grads = jax.grad(loss_fn)(params, batch["x"], batch["y"])
            updates, state = tx.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), None

        (params, _), _ = jax.lax.scan(step, (params0, tx.init(params0)), data)
        val = loss_fn(params, x_val, y_val)
        return val, params

    return objective


def accuracy(params: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(jnp.mean(jnp.argmax(logits(params, jnp.asarray(x)), -1) == y))


def main(
    epochs: int = 10, hyper_steps: int = 9, grid: int = 3, out: str | None = "hypergradient.png"
) -> dict[str, Any]:
    x_tr, y_tr, x_val, y_val, x_te, y_te = load()
    per_epoch = len(x_tr) // BATCH
    rng = np.random.default_rng(1)
    idx = np.concatenate([rng.permutation(len(x_tr))[: per_epoch * BATCH] for _ in range(epochs)])
    data = {"x": x_tr[idx].reshape(-1, BATCH, 64), "y": y_tr[idx].reshape(-1, BATCH)}
    total = len(data["y"])
    objective = make_objective(data, x_val, y_val)
    value_and_grad = jax.jit(jax.value_and_grad(lambda t: objective(t)[0]))
    evaluate = jax.jit(objective)

    # Hypergradient descent: Adam on log-hyperparameters from a cautious start.
    start = jnp.log(jnp.array([0.05 * total, 0.01, 1e-4]))
    theta, opt = start, optax.adam(0.5)
    state = opt.init(theta)
    value_and_grad(theta)  # compile
    history = []
    t0 = time.perf_counter()
    for _ in range(hyper_steps):
        val, g = value_and_grad(theta)
        history.append(float(val))
        updates, state = opt.update(g, state)
        theta = optax.apply_updates(theta, updates)
    jax.block_until_ready(theta)
    hyper_seconds = time.perf_counter() - t0

    # The grid: grid**3 configurations around the same ranges, all trained at once (vmap).
    warmups = np.geomspace(0.01 * total, 0.3 * total, grid)
    peaks = np.geomspace(0.01, 1.0, grid)
    ends = np.geomspace(1e-5, 1e-2, grid)
    thetas = jnp.log(jnp.array(list(itertools.product(warmups, peaks, ends)), jnp.float32))
    batched = jax.jit(jax.vmap(lambda t: objective(t)[0]))
    batched(thetas)  # compile
    t0 = time.perf_counter()
    grid_losses = np.asarray(batched(thetas))
    grid_seconds = time.perf_counter() - t0
    best = thetas[int(np.argmin(grid_losses))]

    results = {}
    for name, th in (("start", start), ("hypergradient", theta), ("grid", best)):
        val, params = evaluate(th)
        w, p, e = np.exp(np.asarray(th))
        results[name] = dict(theta=th, val_loss=float(val), test_acc=accuracy(params, x_te, y_te))
        print(
            f"{name:>13}: warmup {w:6.1f} steps, peak {p:.3g}, end {e:.2g}: validation "
            f"loss {float(val):.4f}, test accuracy {results[name]['test_acc']:.1%}"
        )
    print(
        f"{hyper_steps} hypergradient steps ({total}-step unrolled runs): "
        f"{hyper_seconds:.2f} s; grid of {len(thetas)} vmapped runs: {grid_seconds:.2f} s"
    )
    print(f"validation loss along the hypergradient steps: {np.round(history, 4).tolist()}")
    if out:
        plot(results, history, grid_losses, total, out)
        print(f"plot saved to {out}")
    return results


def gradient_check(epochs_list: tuple[int, ...] = (10, 40), eps: float = 1e-2) -> None:
    """The hypergradient against central finite differences of the same objective, in a
    calm (peak 0.1) and an edge-of-stability (peak 1.0) regime, for two run lengths."""
    x_tr, y_tr, x_val, y_val, _, _ = load()
    per_epoch = len(x_tr) // BATCH
    for epochs in epochs_list:
        rng = np.random.default_rng(1)
        idx = np.concatenate(
            [rng.permutation(len(x_tr))[: per_epoch * BATCH] for _ in range(epochs)]
        )
        data = {"x": x_tr[idx].reshape(-1, BATCH, 64), "y": y_tr[idx].reshape(-1, BATCH)}
        objective = make_objective(data, x_val, y_val)
        f = jax.jit(lambda t: objective(t)[0])  # noqa: B023 (used within the iteration)
        grad = jax.jit(jax.grad(f))
        for peak in (0.1, 1.0):
            theta = jnp.log(jnp.array([0.1 * len(data["y"]), peak, 1e-4]))
            fd = [(float(f(theta + eps * e)) - float(f(theta - eps * e))) / (2 * eps)
                  for e in jnp.eye(3)]  # fmt: skip
            print(
                f"{epochs} epochs, peak {peak}: d(val loss)/d log(warmup, peak, end) = "
                f"{[round(float(g), 4) for g in grad(theta)]}; finite differences "
                f"{np.round(fd, 4).tolist()}"
            )


def plot(results: dict[str, Any], history: list[float], grid_losses, total: int, out: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    steps = jnp.arange(total + 1)
    for name, r in results.items():
        left.plot(steps, schedule(r["theta"], total)(steps), label=name)
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("learning rate")
    left.legend()
    right.plot(range(1, len(history) + 1), history, "o-", label="hypergradient (Adam)")
    right.axhline(float(np.min(grid_losses)), color="C2", ls="--", label="best of the grid")
    right.set_xlabel("hypergradient step")
    right.set_ylabel("validation loss")
    right.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument("--out", help="where to save the plot (default hypergradient.png)")
    parser.add_argument(
        "--check-gradients", action="store_true", help="hypergradients vs finite differences"
    )
    args = parser.parse_args()
    if args.check_gradients:
        gradient_check()
    elif args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            main(epochs=2, hyper_steps=2, grid=2, out=args.out or f"{tmp}/plot.png")
    else:
        main(out=args.out or "hypergradient.png")
