"""Per-step overhead of the PyTorch and Keras adapters against the native schedulers.

PyTorch: a tiny model (``Linear(10, 1)``, gradients set once) and ``SGD``; per step
``opt.step(); sched.step()``, with no scheduler, with ``LambdaLR`` (a hand-written
warmup + cosine lambda) and with ``lrjax.torch.LRScheduler`` (the same schedule from
lrjax, values computed ahead in blocks); and ``sched.step()`` alone. Each variant runs
a loop of n steps per round, rounds interleaved, medians quoted; construction is
outside the timed loop, block refills (one JAX call per 4096 steps) are inside.

Keras (jax backend): ``keras.optimizers.SGD`` on one variable, ``apply_gradients`` per
step, with a constant rate, ``keras.optimizers.schedules.CosineDecay`` with warmup and
``lrjax.keras.LearningRateSchedule`` of the same schedule; and the schedule alone called
per step (``float(schedule(step))``) and under ``jax.jit``.

Run: ``python benchmarks/bench_adapters.py`` (full, ~1 min) or ``--quick``.
Typical output (2-core x86-64 VM): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

PEAK = 1e-3


def interleaved_loops(
    setups: dict[str, Callable[[], Callable[[], object]]], steps: int, rounds: int
) -> dict[str, float]:
    """Median seconds per step; ``setup()`` returns a one-step function (untimed setup)."""
    samples: dict[str, list[float]] = {k: [] for k in setups}
    names = list(setups)
    for name in names:  # warm-up
        step = setups[name]()
        for _ in range(min(steps, 100)):
            step()
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            step = setups[name]()
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            samples[name].append((time.perf_counter() - t0) / steps)
    return {k: statistics.median(v) for k, v in samples.items()}


def torch_part(report: C.Report, quick: bool) -> None:
    import warnings

    import torch

    # `sched.step()` alone (no opt.step()) is measured on purpose.
    warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")

    C.require_lrjax("torch.LRScheduler", benchmark="bench_adapters")
    import lrjax
    import lrjax.torch

    steps = 500 if quick else 20_000
    rounds = 1 if quick else 7
    total, warm = 100_000, 1_000
    schedule = lrjax.warmup(lrjax.cosine_decay(PEAK, total - warm), warm)

    def lam(t: int) -> float:
        if t < warm:
            return t / warm
        return 0.5 * (1.0 + math.cos(math.pi * min(t - warm, total - warm) / (total - warm)))

    def make(kind: str, with_opt: bool) -> Callable[[], Callable[[], object]]:
        def setup() -> Callable[[], object]:
            model = torch.nn.Linear(10, 1)
            for p in model.parameters():
                p.grad = torch.zeros_like(p)
            opt = torch.optim.SGD(model.parameters(), lr=PEAK)
            if kind == "none":
                return opt.step
            if kind == "LambdaLR":
                sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
            else:
                sched = lrjax.torch.LRScheduler(opt, schedule)
            if not with_opt:
                return sched.step

            def step() -> None:
                opt.step()
                sched.step()

            return step

        return setup

    setups = {
        "opt.step() only": make("none", True),
        "opt.step(); LambdaLR.step()": make("LambdaLR", True),
        "opt.step(); lrjax.torch.LRScheduler.step()": make("lrjax", True),
        "LambdaLR.step() alone": make("LambdaLR", False),
        "lrjax.torch.LRScheduler.step() alone": make("lrjax", False),
    }
    check_torch_values(lrjax, schedule, lam)
    med = interleaved_loops(setups, steps, rounds)
    base = med["opt.step() only"]
    table = C.Table(
        f"PyTorch: SGD on Linear(10, 1), {steps:,} steps per round, median of {rounds} rounds",
        ["loop", "µs / step", "Δ vs opt.step() only"],
    )
    for name, per in med.items():
        with_opt = name.startswith("opt.step();")
        table.rows.append(
            [name, f"{per * 1e6:.2f}", f"{(per - base) * 1e6:+.2f} µs" if with_opt else "–"]
        )
    table.notes.append(
        "the lrjax scheduler computes 4096 steps per JAX call; that refill is inside the loop"
    )
    report.tables.append(table)
    mine, theirs = med["lrjax.torch.LRScheduler.step() alone"], med["LambdaLR.step() alone"]
    report.targets.append(
        C.Target(
            "PyTorch adapter overhead per optimizer step",
            "≤ 2× LambdaLR (LambdaLR ≈ 2 µs; a jitted JAX call per step 6–40 µs)",
            f"sched.step(): lrjax {mine * 1e6:.2f} µs vs LambdaLR {theirs * 1e6:.2f} µs "
            f"({C.fmt_ratio(mine / theirs)}×)",
            None if quick else mine <= 2 * theirs,
        )
    )


def check_torch_values(lrjax, schedule, lam) -> None:
    """The adapter's learning rates equal the schedule's (and LambdaLR's) values."""
    import numpy as np
    import torch

    import lrjax.torch

    n = 3000
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=PEAK)
    sched = lrjax.torch.LRScheduler(opt, schedule)
    got = []
    for _ in range(n):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    want = np.array([PEAK * lam(t) for t in range(n)])
    err = np.abs(np.array(got) - want).max()
    if not err <= 1e-9:
        raise RuntimeError(f"bench_adapters: lrjax.torch.LRScheduler values differ by {err}")


def keras_part(report: C.Report, quick: bool) -> None:
    import jax
    import keras
    import numpy as np

    C.require_lrjax("keras.LearningRateSchedule", benchmark="bench_adapters")
    import lrjax
    import lrjax.keras

    total, warm = 100_000, 1_000
    native = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=total - warm, warmup_target=PEAK, warmup_steps=warm
    )
    adapter = lrjax.keras.LearningRateSchedule(
        lrjax.warmup(lrjax.cosine_decay(PEAK, total - warm), warm)
    )
    for t in (0, 500, 1000, 50_000, 100_000):
        a, b = float(np.asarray(native(t))), float(np.asarray(adapter(t)))
        if not abs(a - b) <= 1e-6 * PEAK:
            raise RuntimeError(f"bench_adapters: keras values differ at step {t}: {a} vs {b}")

    n_native = 1 if quick else 20
    n_fast = 50 if quick else 2000
    rounds = 1 if quick else 5

    def optimizer_loop(lr) -> Callable[[], Callable[[], object]]:
        def setup() -> Callable[[], object]:
            var = keras.Variable(np.zeros(10, np.float32))
            grad = keras.ops.ones((10,))
            opt = keras.optimizers.SGD(learning_rate=lr)
            opt.build([var])

            def step() -> None:
                opt.apply_gradients([(grad, var)])

            return step

        return setup

    def eager_call(s) -> Callable[[], Callable[[], object]]:
        def setup() -> Callable[[], object]:
            counter = iter(range(10**9))
            return lambda: float(np.asarray(s(next(counter))))

        return setup

    def jit_call(s) -> Callable[[], Callable[[], object]]:
        f = jax.jit(lambda t: s(t))

        def setup() -> Callable[[], object]:
            counter = iter(range(10**9))
            return lambda: float(np.asarray(f(next(counter))))

        return setup

    fast = interleaved_loops(
        {
            "SGD.apply_gradients, constant lr": optimizer_loop(PEAK),
            "SGD.apply_gradients, lrjax.keras adapter": optimizer_loop(adapter),
            "adapter alone, float(s(step)) eager": eager_call(adapter),
            "CosineDecay alone, float(jax.jit(s)(step))": jit_call(native),
            "adapter alone, float(jax.jit(s)(step))": jit_call(adapter),
        },
        n_fast,
        rounds,
    )
    slow = interleaved_loops(
        {
            "SGD.apply_gradients, CosineDecay(warmup)": optimizer_loop(native),
            "CosineDecay alone, float(s(step)) eager": eager_call(native),
        },
        n_native,
        1,
    )
    table = C.Table(
        f"Keras ({keras.backend.backend()} backend): per step; the fast rows {n_fast:,} "
        f"steps × {rounds} rounds, the CosineDecay eager rows {n_native} steps",
        ["loop", "µs / step", "Δ vs constant lr"],
    )
    base = fast["SGD.apply_gradients, constant lr"]
    for name, per in {**fast, **slow}.items():
        delta = f"{(per - base) * 1e6:+.0f} µs" if name.startswith("SGD") else "–"
        table.rows.append([name, f"{per * 1e6:.1f}", delta])
    table.notes.append(
        "Keras CosineDecay with warmup re-traces an ops.cond on every eager call on the jax "
        "backend, which is why its eager rows are slow; under jax.jit both are cheap"
    )
    report.tables.append(table)
    mine = fast["SGD.apply_gradients, lrjax.keras adapter"] - base
    theirs = slow["SGD.apply_gradients, CosineDecay(warmup)"] - base
    report.targets.append(
        C.Target(
            "Keras adapter overhead per optimizer step (eager apply_gradients)",
            "no number in TARGETS.md; compared with keras CosineDecay(warmup)",
            f"lrjax {mine * 1e6:+.0f} µs vs CosineDecay {theirs * 1e6:+.0f} µs",
            None if quick else mine <= theirs,
        )
    )


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    report = C.Report(
        "adapters",
        "6. adapters: lrjax.torch.LRScheduler and lrjax.keras.LearningRateSchedule",
        C.command_line("bench_adapters.py", args.quick),
        args.quick,
    )
    torch_part(report, args.quick)
    keras_part(report, args.quick)
    C.finish(report, args.json, started)


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main()
