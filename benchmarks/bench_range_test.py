"""The LR range test: lrjax (one compiled program, repeats vmapped) against torch-lr-finder.

The MLP of examples/lr_range_test.py (64-128-10, ReLU, batch 64 of scikit-learn's digits,
SGD with momentum 0.9), 100 steps from 1e-4 to 1.0 (geometric; the loss does not diverge
below 1.0 here, so every variant runs all its steps). Variants, interleaved in one process:

- ``lrjax.lr_range_test`` with 1 repeat and with 8 vmapped repeats (each its own batch
  order), timed as a user calls it (argument checks, the compiled call, the host copy);
- a hand-written ``jit(vmap(scan))`` of the same 8 trainings (the same gathers, optax
  update and recorded loss; no smoothing, no divergence check, no freezing): the limit;
- torch-lr-finder on the equivalent PyTorch model (the same initial weights) and batches
  (a ``DataLoader`` over the same 6 400 examples), one test at a time, as it runs: 8
  repeats are 8 tests in a row (8 times one test), timed in a group of its own.

Checks before timing: lrjax's losses equal the hand-written ones, and torch-lr-finder's
first losses agree with lrjax's (float32 on both sides).

Run: ``python benchmarks/bench_range_test.py`` (full, ~1 min) or ``--quick``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

os.environ.setdefault("TQDM_DISABLE", "1")  # torch-lr-finder's progress bar

BATCH, HIDDEN, REPEATS = 64, 128, 8
MIN_LR, MAX_LR = 1e-4, 1.0


def data(num_steps: int):
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = (x[order] / 16.0).astype(np.float32), y[order].astype(np.int32)
    idx = np.resize(np.arange(len(x)), num_steps * BATCH).reshape(num_steps, BATCH)
    return {"x": x[idx], "y": y[idx]}


def jax_parts(num_steps: int):
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    k1, k2 = jax.random.split(jax.random.key(0))
    params = {
        "w1": jax.random.normal(k1, (64, HIDDEN)) * np.sqrt(2 / 64),
        "b1": jnp.zeros(HIDDEN),
        "w2": jax.random.normal(k2, (HIDDEN, 10)) * np.sqrt(1 / HIDDEN),
        "b2": jnp.zeros(10),
    }

    def loss_fn(p, batch):
        h = jax.nn.relu(batch["x"] @ p["w1"] + p["b1"])
        z = h @ p["w2"] + p["b2"]
        return optax.softmax_cross_entropy_with_integer_labels(z, batch["y"]).mean()

    def optimizer(lr):
        return optax.sgd(lr, momentum=0.9)

    @jax.jit
    def hand(params, batches, orders, min_lr, max_lr):
        def one(order):
            ratio = max_lr / min_lr
            tx = optimizer(lambda c: min_lr * ratio ** (c / (num_steps - 1)))

            def step(carry, i):
                p, s = carry
                batch = jax.tree.map(lambda a: a[i], batches)
                loss, g = jax.value_and_grad(loss_fn)(p, batch)
                u, s = tx.update(g, s, p)
                return (optax.apply_updates(p, u), s), loss

            return jax.lax.scan(step, (params, tx.init(params)), order)[1]

        return jax.vmap(one)(orders)

    return params, loss_fn, optimizer, hand


def torch_finder(params, batches, num_steps: int):
    """A function running one torch-lr-finder test from the same initial weights."""
    import numpy as np
    import torch
    from torch_lr_finder import LRFinder

    torch.manual_seed(0)
    # One thread: torch's best on this tiny model; with 2 threads on a busy 2-core VM its
    # idle workers spin and a test took 7 to 35 times longer.
    torch.set_num_threads(1)
    x = torch.from_numpy(batches["x"].reshape(-1, 64))
    y = torch.from_numpy(batches["y"].reshape(-1).astype(np.int64))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=False
    )
    weights = {k: torch.from_numpy(np.array(v)) for k, v in params.items()}

    def run():
        first, last = torch.nn.Linear(64, HIDDEN), torch.nn.Linear(HIDDEN, 10)
        with torch.no_grad():
            first.weight.copy_(weights["w1"].T)
            first.bias.copy_(weights["b1"])
            last.weight.copy_(weights["w2"].T)
            last.bias.copy_(weights["b2"])
        model = torch.nn.Sequential(first, torch.nn.ReLU(), last)
        opt = torch.optim.SGD(model.parameters(), lr=MIN_LR, momentum=0.9)
        finder = LRFinder(model, opt, torch.nn.CrossEntropyLoss(), device="cpu")
        with contextlib.redirect_stdout(io.StringIO()):
            # torch-lr-finder annotates end_lr and diverge_th as int; floats work.
            options: Any = dict(end_lr=MAX_LR, step_mode="exp", smooth_f=0.02, diverge_th=1e9)
            finder.range_test(loader, num_iter=num_steps, **options)
        raw = list(finder.history["loss"])
        finder.reset()
        return raw

    return run


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    import jax
    import numpy as np

    lrjax = C.require_lrjax("lr_range_test", benchmark="bench_range_test")
    num_steps = 20 if args.quick else 100
    rounds = 1 if args.quick else 15
    batches = data(num_steps)
    params, loss_fn, optimizer, hand = jax_parts(num_steps)
    key = jax.random.key(1)
    keys = jax.random.split(key, REPEATS)
    orders = jax.vmap(lambda k: jax.random.permutation(k, num_steps))(keys)
    common = dict(min_lr=MIN_LR, max_lr=MAX_LR, num_steps=num_steps, smoothing=0.98)

    def lrjax_1():
        return lrjax.lr_range_test(loss_fn, params, optimizer, batches, **common).losses

    def lrjax_8():
        return lrjax.lr_range_test(
            loss_fn, params, optimizer, batches, num_repeats=REPEATS, key=key, **common
        ).losses

    def hand_8():
        return np.asarray(hand(params, batches, orders, MIN_LR, MAX_LR))

    torch_1 = torch_finder(params, batches, num_steps)

    # Checks: the same training, the same numbers.
    ours, limit = lrjax_8(), hand_8()
    if not np.isfinite(ours).all():
        raise RuntimeError("bench_range_test: the range test stopped early; lower MAX_LR")
    np.testing.assert_allclose(ours, limit, rtol=1e-5, atol=1e-6)
    # torch-lr-finder smooths without bias correction: compare its first (raw) loss and
    # our raw losses against the float32 difference of two libraries.
    theirs = np.asarray(torch_1())
    np.testing.assert_allclose(theirs[0], lrjax_1()[0, 0], rtol=1e-5)

    # Two groups: torch's worker threads keep spinning for a while after each test and
    # would slow whichever JAX variant follows; the JAX-vs-hand ratio is measured without.
    name_1, name_8 = "lrjax, 1 repeat", f"lrjax, {REPEATS} repeats (vmap)"
    name_hand = f"hand-written jit(vmap(scan)), {REPEATS} repeats"
    with C.CompileCounter() as compiles:
        medians = C.interleaved({name_1: lrjax_1, name_8: lrjax_8, name_hand: hand_8}, rounds)
        versus = C.interleaved(
            {"lrjax, 1 repeat (torch group)": lrjax_1, "torch-lr-finder, 1 test": torch_1},
            rounds=max(1, rounds // 5),
        )
    torch_t = {1: versus["torch-lr-finder, 1 test"]}
    torch_t[REPEATS] = REPEATS * torch_t[1]  # one test at a time, as it runs
    report = C.Report(
        "range_test",
        f"9. range_test: the LR range test, {num_steps} steps of a digits MLP",
        C.command_line("bench_range_test.py", args.quick),
        args.quick,
    )
    table = C.Table(
        f"MLP 64-{HIDDEN}-10, batch {BATCH}, SGD momentum 0.9, {num_steps} steps: median of "
        f"{rounds} interleaved rounds (torch-lr-finder: {max(1, rounds // 5)})",
        ["variant", "time", "per step and repeat", "vs hand-written", "vs torch-lr-finder"],
    )
    hand_t = medians[name_hand]
    rows = [
        (name_1, medians[name_1], 1),
        (name_8, medians[name_8], REPEATS),
        (name_hand, hand_t, REPEATS),
        ("torch-lr-finder, 1 test", torch_t[1], 1),
        (f"torch-lr-finder, {REPEATS} tests in a row (8 × 1 test)", torch_t[REPEATS], REPEATS),
    ]
    for name, seconds, n in rows:
        table.rows.append(
            [
                name,
                C.fmt_seconds(seconds),
                C.fmt_seconds(seconds / (num_steps * n)),
                C.fmt_ratio(seconds / hand_t) if n == REPEATS else "–",
                C.fmt_ratio(seconds / torch_t[n]),
            ]
        )
    table.notes.append(
        f"compiles during the timed rounds (new calls, the same shapes): {compiles.count}"
    )
    table.notes.append(
        "torch-lr-finder runs its loop in Python (one optimizer step, one `.item()` per "
        "step) and deep-copies the model and optimizer state to reset them; torch runs "
        "with 1 thread (its fastest here); in the torch "
        f"group lrjax's 1 repeat took {C.fmt_seconds(versus['lrjax, 1 repeat (torch group)'])}"
    )
    report.tables.append(table)
    ratio = medians[f"lrjax, {REPEATS} repeats (vmap)"] / hand_t
    report.targets.append(
        C.Target(
            f"{REPEATS} vmapped repeats vs a hand-written jit(vmap(scan))",
            "≤ 1.25×",
            f"{ratio:.2f}×",
            None if args.quick else ratio <= 1.25,
        )
    )
    speedup = torch_t[REPEATS] / medians[f"lrjax, {REPEATS} repeats (vmap)"]
    report.targets.append(
        C.Target(
            f"{REPEATS} repeats vs torch-lr-finder ({REPEATS} tests in a row)",
            "faster (no target in TARGETS.md beyond that)",
            f"{speedup:.1f}× faster",
            None if args.quick else speedup > 1,
        )
    )
    C.finish(report, args.json, started)


if __name__ == "__main__":
    main()
