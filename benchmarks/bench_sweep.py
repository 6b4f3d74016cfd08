"""Hyperparameter sweeps: 1 000 warmup-cosine configs × 1e5 steps, over peak, warmup and total.

The configs are the grid 10 peaks × 10 warmup lengths × 10 total lengths (the schedule is
``warmup(cosine_decay(peak, total - warmup), warmup)``). Variants, all in one process,
each returning a NumPy array of shape (1000, 1e5):

* ``lrjax.evaluate(lrjax.sweep(...), n)``: the grid as one batched schedule, evaluated in
  chunks by one kernel.
* lrjax ``jit(vmap)``: the same batched schedule flattened to 1 000 members, passed as an
  argument to ``jax.jit(jax.vmap(lambda s: s(lax.iota(...))))``.
* hand-written: the same math as one fused jnp expression with peak, warmup and total as
  traced arguments, ``jax.jit(jax.vmap(...))``, steps made with ``lax.iota``.
* optax: optax cannot trace peak, warmup or decay steps (it branches on them in Python),
  so every config means a new ``warmup_cosine_decay_schedule`` and a new ``jax.jit``.
  Only the first 50 configs are run (5 with --quick) and the time is extrapolated
  linearly to all configs.

Compiles are XLA backend compiles counted through ``jax.monitoring`` events: on the first
call, and on a second call with a new grid of different values (which must be 0). Times
are medians of interleaved rounds after a warm-up call; the first call (trace + compile
+ run) is reported separately.

Run: ``python benchmarks/bench_sweep.py`` (full, ~30 s) or ``--quick``.
Typical output (2-core x86-64 VM, jax 0.10.2 CPU): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402


def grid(n: int, side: int, shift: int):
    """``side`` peaks, warmup lengths and total lengths for ``n`` steps."""
    import numpy as np

    peaks = [float(x) for x in np.logspace(-4, -2, side) * (1 + shift)]
    warmups = [int(x) + shift for x in np.linspace(n // 100, n // 10, side)]
    totals = [int(x) - shift for x in np.linspace(n // 2, n, side)]
    return peaks, warmups, totals


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    lrjax = C.require_lrjax("warmup", "cosine_decay", "sweep", "evaluate", benchmark="bench_sweep")
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    n = 10_000 if args.quick else 100_000
    side = 4 if args.quick else 10
    optax_count = 2 if args.quick else 50
    rounds = 1 if args.quick else 9

    def make(peak, warmup, total):
        return lrjax.warmup(lrjax.cosine_decay(peak, total - warmup), warmup)

    def hand(peak, warmup, total):
        t = jax.lax.iota(jnp.int32, n)
        decay = (total - warmup).astype(jnp.float32)
        local = jnp.minimum(jnp.maximum(t - warmup, 0), total - warmup).astype(jnp.float32)
        cosine = peak * 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) * local / decay))
        ramp = peak * t.astype(jnp.float32) / warmup.astype(jnp.float32)
        return jnp.where(t < warmup, ramp, cosine)

    hand_sweep = jax.jit(jax.vmap(hand))
    lrjax_vmap = jax.jit(jax.vmap(lambda s: s(jax.lax.iota(jnp.int32, n))))

    def prepare(shift: int):
        peaks, warmups, totals = grid(n, side, shift)
        t0 = time.perf_counter()
        sw = lrjax.sweep(make, peak=peaks, warmup=warmups, total=totals)
        build = time.perf_counter() - t0
        flat = jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[3:]), sw.schedule)
        mesh = np.meshgrid(peaks, warmups, totals, indexing="ij")
        hp = (
            jnp.asarray(mesh[0].ravel(), jnp.float32),
            jnp.asarray(mesh[1].ravel(), jnp.int32),
            jnp.asarray(mesh[2].ravel(), jnp.int32),
        )
        count = int(np.prod(sw.shape))
        calls = {
            "evaluate": lambda: lrjax.evaluate(sw, n).reshape(count, n),
            "vmap": lambda: np.asarray(lrjax_vmap(flat)),
            "hand": lambda: np.asarray(hand_sweep(*hp)),
        }
        return calls, hp, build, count

    calls, hp, build_s, count = prepare(0)
    first: dict[str, float] = {}
    compiles: dict[str, int] = {}
    outs: dict[str, np.ndarray] = {}
    for key, fn in calls.items():
        with C.CompileCounter() as counter:
            first[key], outs[key] = C.time_once(fn)
        compiles[key] = counter.count
    peak_of = np.asarray(hp[0])
    for key in ("evaluate", "vmap"):
        check_close(key, outs[key], outs["hand"], peak_of)
    medians = C.interleaved(calls, rounds=rounds, warmup=1)

    # New values, same structure: nothing may recompile.
    calls2, hp2, _, _ = prepare(1)
    recompiles: dict[str, int] = {}
    outs2: dict[str, np.ndarray] = {}
    for key, fn in calls2.items():
        with C.CompileCounter() as counter:
            outs2[key] = C.block(fn())
        recompiles[key] = counter.count
    for key in ("evaluate", "vmap"):
        check_close(key, outs2[key], outs2["hand"], np.asarray(hp2[0]))

    # optax: a new schedule and a new jit per config.
    steps = jnp.arange(n, dtype=jnp.int32)

    def optax_one(i: int):
        schedule = optax.warmup_cosine_decay_schedule(
            0.0, float(hp[0][i]), int(hp[1][i]), int(hp[2][i])
        )
        return np.asarray(jax.jit(schedule)(steps))

    picks = np.linspace(0, count - 1, optax_count).astype(int)
    with C.CompileCounter() as counter:
        t0 = time.perf_counter()
        optax_rows = [optax_one(int(i)) for i in picks]
        optax_s = (time.perf_counter() - t0) * count / optax_count
    optax_compiles = counter.count
    check_close("optax", np.stack(optax_rows), outs["hand"][picks], peak_of[picks])

    report = C.Report(
        "sweep",
        f"3. sweep: {count:,} warmup-cosine configs × {C.fmt_sci(n)} steps (peak, warmup, total)",
        C.command_line("bench_sweep.py", args.quick),
        args.quick,
    )
    table = C.Table(
        f"time per {count:,} configs, NumPy result (median of {rounds} interleaved rounds)",
        [
            "approach",
            "first call (trace+compile+run)",
            "later calls",
            "× hand-written",
            "compiles: first call / new values",
        ],
    )
    base = medians["hand"]
    labels = {
        "evaluate": "lrjax.evaluate(lrjax.sweep(...), n)",
        "vmap": "lrjax: jit(vmap) over the batched schedule",
        "hand": "hand-written traced jit(vmap)",
    }
    for key, label in labels.items():
        table.rows.append(
            [
                label,
                C.fmt_seconds(first[key]),
                C.fmt_seconds(medians[key]),
                C.fmt_ratio(medians[key] / base),
                f"{compiles[key]} / {recompiles[key]}",
            ]
        )
    table.rows.append(
        [
            f"optax: rebuild + jit per config ({optax_count} measured, ×{count // optax_count})",
            "–",
            C.fmt_seconds(optax_s),
            C.fmt_ratio(optax_s / base),
            f"{optax_compiles} for {optax_count} configs",
        ]
    )
    table.notes += [
        f"building lrjax.sweep over the {side}×{side}×{side} grid ({count:,} factory calls, "
        f"stacked): "
        f"{C.fmt_seconds(build_s)}, once, not in the times above",
        f"optax time is extrapolated linearly from {optax_count} configs spread over the grid",
        "every result agrees with the hand-written form within 2e-6 × peak",
    ]
    report.tables.append(table)
    best = min(medians["evaluate"], medians["vmap"])
    ratio = best / base
    report.targets.append(
        C.Target(
            f"sweep {count:,} configs × {C.fmt_sci(n)} steps: time",
            "≤ 1.2× hand-written traced jit(vmap) (optax rebuild+jit: 40 s)",
            f"evaluate {C.fmt_ratio(medians['evaluate'] / base)}×, jit(vmap) "
            f"{C.fmt_ratio(medians['vmap'] / base)}× ({C.fmt_seconds(best)} vs "
            f"{C.fmt_seconds(base)}; optax {C.fmt_seconds(optax_s)})",
            ratio <= 1.2 if not args.quick else None,
            "" if not args.quick else "--quick: 64 configs × 1e4 steps",
        )
    )
    ok = compiles["evaluate"] >= 1 and recompiles["evaluate"] == 0 and recompiles["vmap"] == 0
    report.targets.append(
        C.Target(
            "sweep: compiles",
            "exactly one compile; zero recompiles when values change",
            f"lrjax.evaluate {compiles['evaluate']} / {recompiles['evaluate']}, jit(vmap) "
            f"{compiles['vmap']} / {recompiles['vmap']} (first call / new values)",
            ok and compiles["vmap"] == 1,
            "counts are XLA backend compiles (jax.monitoring), helpers included",
        )
    )
    C.finish(report, args.json, started)


def check_close(name, got, want, peak) -> None:
    import numpy as np

    if got.shape != want.shape:
        raise RuntimeError(f"bench_sweep: {name} shape {got.shape} != {want.shape}")
    err = np.abs(got.astype(np.float64) - want) / np.asarray(peak, np.float64)[:, None]
    if not err.max() <= 2e-6:
        raise RuntimeError(f"bench_sweep: {name} differs from the hand-written form: {err.max()}")


if __name__ == "__main__":
    main()
