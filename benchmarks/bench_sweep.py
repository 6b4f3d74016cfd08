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

Scale (the second and third tables):

* building 1e3 / 1e5 / 1e6 configurations: ``lrjax.sweep`` over a square grid of peak ×
  warmup, and ``lrjax.sample`` of as many random configurations, against the per-point
  build (a factory call per configuration, stacked: measured at 1e3 only), with the peak
  memory of a build over the bytes of the leaves it returns;
* evaluating 1e5 configs × 1e3 steps (a 47 × 47 × 47 grid over peak, warmup and total)
  against the hand-written traced ``jit(vmap)``, beside the 1e3 × 1e5 shape above.

Ratios are medians over rounds of each round's ratio (every variant runs once per round,
the order rotated), which a loaded machine disturbs far less than a ratio of medians.

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
from typing import Any

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


def curves(lrjax, n: int):
    """The swept factory (warmup + cosine of peak, warmup, total) and its hand-written
    traced twin over the steps ``0 .. n - 1``, the baseline of the ratios."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    def make(peak, warmup, total):
        return lrjax.warmup(lrjax.cosine_decay(peak, total - warmup), warmup)

    def hand(peak, warmup, total):
        t = jax.lax.iota(jnp.int32, n)
        decay = (total - warmup).astype(jnp.float32)
        local = jnp.minimum(jnp.maximum(t - warmup, 0), total - warmup).astype(jnp.float32)
        cosine = peak * 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) * local / decay))
        ramp = peak * t.astype(jnp.float32) / warmup.astype(jnp.float32)
        return jnp.where(t < warmup, ramp, cosine)

    return make, hand


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

    make, hand = curves(lrjax, n)

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
    medians, ratios = interleaved_ratios(calls, rounds, "hand")

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
    table.notes.append("× hand-written: median over rounds of each round's ratio")
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
                C.fmt_ratio(ratios[key]),
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
    ratio = min(ratios["evaluate"], ratios["vmap"])
    report.targets.append(
        C.Target(
            f"sweep {count:,} configs × {C.fmt_sci(n)} steps: time",
            "≤ 1.2× hand-written traced jit(vmap) (optax rebuild+jit: 40 s)",
            f"evaluate {C.fmt_ratio(ratios['evaluate'])}×, jit(vmap) "
            f"{C.fmt_ratio(ratios['vmap'])}× ({C.fmt_seconds(best)} vs "
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
    scale(lrjax, report, args.quick)
    C.finish(report, args.json, started)


def interleaved_ratios(calls, rounds: int, base: str):
    """Median seconds per variant, and the median over rounds of each round's ratio to
    ``base`` (every variant once per round, the order rotated by one per round)."""
    import statistics

    names = list(calls)
    for name in names:
        C.block(calls[name]())
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            samples[name].append(C.time_once(calls[name])[0])
    medians = {name: statistics.median(v) for name, v in samples.items()}
    ratios = {
        name: statistics.median(a / b for a, b in zip(v, samples[base], strict=True))
        for name, v in samples.items()
    }
    return medians, ratios


_BUILD = """
import functools, sys, time, jax, numpy as np, lrjax
sys.path.insert(0, {root!r})
from benchmarks import _common as C
factory = functools.partial(lrjax.warmup_cosine_decay, total_steps=100_000)
space = dict(peak_value=lrjax.log_uniform(1e-5, 1e-2), warmup_steps=lrjax.int_uniform(0, 2000))
def build(count):
    if {kind!r} == "sample":
        return lrjax.sample(factory, jax.random.key(0), count, **space)
    side = round(count ** 0.5)
    return lrjax.sweep(factory, peak_value=np.logspace(-5, -2, side),
                       warmup_steps=np.arange(side) * 2)
build(1000)
before = C.rss_bytes()
started = time.perf_counter()
out = build({count})
seconds = time.perf_counter() - started
print(C.peak_rss_bytes() - before, seconds)
"""


def build_peak_bytes(kind: str, count: int) -> tuple[int, float]:
    """The peak RSS growth and the time of one build in a fresh process (see the notes)."""
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    code = _BUILD.format(root=root, kind=kind, count=count)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    peak, seconds = out.stdout.strip().splitlines()[-1].split()
    return int(peak), float(seconds)


def leaf_bytes(tree) -> int:
    import jax
    import numpy as np

    return sum(np.asarray(leaf).nbytes for leaf in jax.tree_util.tree_leaves(tree))


def scale(lrjax, report, quick: bool) -> None:
    """Building 1e3 / 1e5 / 1e6 configurations; evaluating 1e5 configs × 1e3 steps."""
    import functools

    import jax
    import jax.numpy as jnp
    import numpy as np

    total = 100_000
    factory = functools.partial(lrjax.warmup_cosine_decay, total_steps=total)
    sizes = (1_000, 10_000) if quick else (1_000, 100_000, 1_000_000)
    rounds = 1 if quick else 5
    key = jax.random.key(0)
    space = dict(peak_value=lrjax.log_uniform(1e-5, 1e-2), warmup_steps=lrjax.int_uniform(0, 2000))

    def grid(count: int, shift: int):
        side = round(count**0.5)
        peaks = np.logspace(-5, -2, side) * (1 + shift)
        return dict(peak_value=peaks, warmup_steps=np.arange(side) * 2 + shift)

    table = C.Table(
        "building configurations (median of interleaved rounds; peak memory of one build)",
        [
            "configurations",
            "approach",
            "time",
            "first build of this size in a process",
            "peak memory / leaves",
            "leaves",
        ],
    )
    figures: dict[tuple[int, str], tuple[float, float]] = {}
    for count in sizes:
        calls: dict[str, Any] = {
            "sweep": lambda c=count: lrjax.sweep(factory, **grid(c, 0)),
            "sample": lambda c=count: lrjax.sample(factory, key, c, **space),
        }
        if count == 1_000:
            mesh = np.meshgrid(*grid(count, 0).values(), indexing="ij")
            pairs = [
                {"peak_value": float(a), "warmup_steps": int(b)}
                for a, b in zip(mesh[0].ravel(), mesh[1].ravel(), strict=True)
            ]
            calls["per point"] = lambda pairs=pairs: lrjax.stack([factory(**p) for p in pairs])
        medians, _ = interleaved_ratios(calls, rounds, "sweep")
        for name, fn in calls.items():
            nbytes = leaf_bytes(fn())
            fresh = build_peak_bytes(name, count) if name != "per point" else None
            ratio = None if fresh is None else fresh[0] / nbytes
            # The verdict takes the slower of a repeated build and a first one.
            slowest = max(medians[name], fresh[1] if fresh is not None else 0.0)
            figures[(count, name)] = (slowest, ratio if ratio is not None else 0.0)
            table.rows.append(
                [
                    f"{count:,}",
                    name,
                    C.fmt_seconds(medians[name]),
                    "–" if fresh is None else C.fmt_seconds(fresh[1]),
                    "–" if ratio is None else f"{ratio:.2f}",
                    C.fmt_mib(nbytes),
                ]
            )
    table.notes += [
        "sweep: lrjax.sweep(warmup_cosine_decay(total_steps=1e5), peak_value=side values, "
        "warmup_steps=side values), side = sqrt(configurations); sample: lrjax.sample of "
        "peak_value=log_uniform(1e-5, 1e-2), warmup_steps=int_uniform(0, 2000)",
        "peak memory: in a fresh process, after a small build of the same kind (imports, "
        "compiles), the peak RSS (VmHWM) after one build minus the RSS before it, over the "
        "bytes of every leaf of the result (the Sweep's schedule, axes and samples); RSS "
        "moves in pages and allocator arenas, so only the large builds' ratios mean much",
        "first build: in the fresh process, JAX compiles its eager kernels for the new "
        "sizes (a few hundred ms); later builds of the same size reuse them",
        "per point: the factory called per configuration and lrjax.stack (what lrjax.sweep "
        "did before issue 15)",
    ]
    report.tables.append(table)
    if not quick:
        for count, limit in ((1_000_000, 1.0), (100_000, 0.2)):
            t_sweep, m_sweep = figures[(count, "sweep")]
            t_sample, m_sample = figures[(count, "sample")]
            report.targets.append(
                C.Target(
                    f"sweep: build {count:,} configurations",
                    f"≤ {limit:g} s" + (", peak memory ≤ 2× leaves" if count > 100_000 else ""),
                    f"sweep {C.fmt_seconds(t_sweep)} ({m_sweep:.2f}× leaves), sample "
                    f"{C.fmt_seconds(t_sample)} ({m_sample:.2f}× leaves)",
                    max(t_sweep, t_sample) <= limit
                    and (count <= 100_000 or max(m_sweep, m_sample) <= 2.0),
                    "time: the slower of a repeated build and the first one in a process",
                )
            )

    # 1e5 configs × 1e3 steps.
    n = 100 if quick else 1_000
    side = 10 if quick else 47
    peaks = np.logspace(-4, -2, side)
    warmups = np.linspace(n // 100, n // 10, side).astype(int)
    totals = np.linspace(n // 2, n, side).astype(int)

    make, hand = curves(lrjax, n)

    sw = lrjax.sweep(make, peak=peaks, warmup=warmups, total=totals)
    count = sw.size
    mesh = np.meshgrid(peaks, warmups, totals, indexing="ij")
    hp = (
        jnp.asarray(mesh[0].ravel(), jnp.float32),
        jnp.asarray(mesh[1].ravel(), jnp.int32),
        jnp.asarray(mesh[2].ravel(), jnp.int32),
    )
    hand_sweep = jax.jit(jax.vmap(hand))
    calls = {
        "evaluate": lambda: lrjax.evaluate(sw, n).reshape(count, n),
        "hand": lambda: np.asarray(hand_sweep(*hp)),
    }
    check_close("evaluate (1e5 configs)", calls["evaluate"](), calls["hand"](), np.asarray(hp[0]))
    medians, ratios = interleaved_ratios(calls, rounds, "hand")
    table = C.Table(
        f"evaluating {count:,} configs × {C.fmt_sci(n)} steps, NumPy result "
        f"(median of {rounds} interleaved rounds)",
        ["approach", "time", "× hand-written"],
    )
    table.rows += [
        [
            "lrjax.evaluate(lrjax.sweep(...), n)",
            C.fmt_seconds(medians["evaluate"]),
            C.fmt_ratio(ratios["evaluate"]),
        ],
        ["hand-written traced jit(vmap)", C.fmt_seconds(medians["hand"]), "1.00"],
    ]
    table.notes.append(
        "evaluate runs the members in groups of 2**20 / 1 024 = 1 024 per kernel call (memory "
        "bounded at any member count); × hand-written: median of each round's ratio"
    )
    report.tables.append(table)
    report.targets.append(
        C.Target(
            f"sweep {count:,} configs × {C.fmt_sci(n)} steps: time",
            "≤ 1.2× hand-written traced jit(vmap)",
            f"evaluate {C.fmt_ratio(ratios['evaluate'])}× ({C.fmt_seconds(medians['evaluate'])} "
            f"vs {C.fmt_seconds(medians['hand'])})",
            ratios["evaluate"] <= 1.2 if not quick else None,
            "" if not quick else "--quick: 1 000 configs × 100 steps",
        )
    )


def check_close(name, got, want, peak) -> None:
    import numpy as np

    if got.shape != want.shape:
        raise RuntimeError(f"bench_sweep: {name} shape {got.shape} != {want.shape}")
    err = np.abs(got.astype(np.float64) - want) / np.asarray(peak, np.float64)[:, None]
    if not err.max() <= 2e-6:
        raise RuntimeError(f"bench_sweep: {name} differs from the hand-written form: {err.max()}")


if __name__ == "__main__":
    main()
