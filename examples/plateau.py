"""Reduce the learning rate on a plateau of the validation loss, inside one jitted lax.scan.

A small MLP in plain JAX learns scikit-learn's handwritten digits with ``optax.adamw``
through ``optax.inject_hyperparams``; its learning rate is
``lrjax.reduce_on_plateau(lrjax.warmup(lrjax.constant(peak), warmup_steps), ...)`` (never
below 1/1000 of the base: ``min_scale=1e-3``), an adaptive schedule driven by
``opt.update(grads, state, params, value=val_loss, valid=...)``.
The validation loss is measured every ``k`` updates and passed with ``valid=step % k == 0``
(the other updates only advance the count), so the whole training is one ``jax.lax.scan``
under ``jax.jit``. Then a population of 8 plateau settings (factor x patience) is trained
in one compiled program: the controllers are a ``jax.vmap`` over ``reduce_on_plateau``.
It prints the final validation accuracy per setting and saves the learning rate and the
validation loss against the step as a PNG (``--out``, default ``plateau.png``).

Run: python examples/plateau.py [--quick] [--out plateau.png]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

import lrjax

HIDDEN = 64
BATCH = 64


def make_data(seed: int = 0) -> tuple[jax.Array, ...]:
    """Digits (8x8 images, 10 classes), pixels scaled to [0, 1]; 80 % train, 20 % validation."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(x))
    train, val = order[:cut], order[cut:]
    return tuple(jnp.asarray(a) for a in (x[train], y[train], x[val], y[val]))


def init_params(key: jax.Array) -> dict[str, jax.Array]:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (64, HIDDEN), jnp.float32) / 8.0,
        "b1": jnp.zeros((HIDDEN,), jnp.float32),
        "w2": jax.random.normal(k2, (HIDDEN, 10), jnp.float32) / np.sqrt(HIDDEN),
        "b2": jnp.zeros((10,), jnp.float32),
    }


def logits(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    return jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]


def loss_fn(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits(params, x), y).mean()


def train(controller, data, steps: int, every: int):
    """``steps`` adamw updates on minibatches; the validation loss every ``every`` updates.

    Returns the final parameters, the learning rate of each update and the validation loss
    (NaN between measurements), all from one ``lax.scan``.
    """
    x, y, xv, yv = data
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=controller, weight_decay=1e-4)
    params = init_params(jax.random.key(0))  # the same start for every controller
    batches = jax.random.randint(jax.random.key(1), (steps, BATCH), 0, x.shape[0])

    def step(carry, inputs):
        params, state = carry
        n, idx = inputs
        grads = jax.grad(loss_fn)(params, x[idx], y[idx])
        measure = n % every == 0
        # Under vmap a cond runs both branches; unbatched, it skips the validation pass.
        val = jax.lax.cond(
            measure, lambda p: loss_fn(p, xv, yv), lambda p: jnp.float32(jnp.nan), params
        )
        lr = lrjax.current_learning_rate(state)  # the rate this update uses
        updates, state = opt.update(grads, state, params, value=val, valid=measure)
        return (optax.apply_updates(params, updates), state), (lr, val)

    (params, _), (lrs, vals) = jax.lax.scan(
        step, (params, opt.init(params)), (jnp.arange(steps), batches)
    )
    return params, lrs, vals


def accuracy(params, xv, yv) -> jax.Array:
    return jnp.mean(jnp.argmax(logits(params, xv), axis=-1) == yv)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    parser.add_argument("--out", default="plateau.png", help="where to save the plot (PNG)")
    args = parser.parse_args(argv)
    steps, every = (300, 10) if args.quick else (4000, 25)
    data = make_data()
    xv, yv = data[2], data[3]
    print(f"digits: {data[0].shape[0]} training, {xv.shape[0]} validation images")

    base = lrjax.warmup(lrjax.constant(1e-2), steps // 20)
    run = jax.jit(train, static_argnums=(2, 3))

    # One controller: the whole training is one compiled lax.scan.
    one = lrjax.reduce_on_plateau(base, factor=0.5, patience=3, cooldown=1, min_scale=1e-3)
    start = time.perf_counter()
    params, lrs, vals = jax.block_until_ready(run(one, data, steps, every))
    seconds = time.perf_counter() - start
    lrs = np.asarray(lrs)
    print(
        f"one controller: {steps} updates, validation loss every {every}, "
        f"{seconds:.2f} s (with compiling)"
    )
    print(
        f"  lr {lrs.max():.2e} -> {lrs[-1]:.2e} (lowered {int(np.sum(np.diff(lrs) < 0))} times); "
        f"final validation accuracy {float(accuracy(params, xv, yv)):.3f}"
    )

    # A population of plateau settings, trained together in one compiled program.
    factors = jnp.asarray([0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.8, 0.8], jnp.float32)
    patiences = jnp.asarray([1, 5, 1, 5, 1, 5, 1, 5], jnp.int32)
    population = jax.vmap(
        lambda f, p: lrjax.reduce_on_plateau(base, factor=f, patience=p, min_scale=1e-3)
    )(factors, patiences)
    run_all = jax.jit(jax.vmap(train, in_axes=(0, None, None, None)), static_argnums=(2, 3))
    start = time.perf_counter()
    params, lrs, vals = jax.block_until_ready(run_all(population, data, steps, every))
    seconds = time.perf_counter() - start
    accs = np.asarray(jax.vmap(accuracy, in_axes=(0, None, None))(params, xv, yv))
    lrs, vals = np.asarray(lrs), np.asarray(vals)
    print(
        f"{len(factors)} plateau settings trained in one compiled program: "
        f"{seconds:.2f} s (with compiling)"
    )
    print("  factor  patience  final lr   final val loss  final val accuracy")
    for i in range(len(factors)):
        last = vals[i][~np.isnan(vals[i])][-1]
        print(
            f"  {float(factors[i]):6.2f}  {int(patiences[i]):8d}  {lrs[i, -1]:.2e}  "
            f"{last:14.4f}  {accs[i]:18.3f}"
        )
    print(f"compiled versions of the population run: {run_all._cache_size()}")  # type: ignore[attr-defined]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_lr, ax_val) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, layout="constrained")
    measured = np.arange(steps) % every == 0
    for i in range(len(factors)):
        label = f"factor {float(factors[i]):.1f}, patience {int(patiences[i])}"
        (line,) = ax_lr.plot(np.arange(steps), lrs[i], label=label)
        ax_val.plot(np.arange(steps)[measured], vals[i][measured], color=line.get_color())
    ax_lr.set(yscale="log", ylabel="learning rate", title="reduce_on_plateau on digits")
    ax_val.set(yscale="log", ylabel="validation loss", xlabel="update")
    ax_lr.legend(fontsize="small", ncol=2)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
