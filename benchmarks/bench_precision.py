"""float32 precision against a float64 NumPy reference, for very long schedules.

For decay lengths M = 2**24, 2**28 and 2**31 - 1, each schedule is evaluated in float32
(int32 steps, jitted) at 200 000 uniform steps in [0, M], the last 4 096 steps up to M and
4 096 steps around M / 2, and compared with its closed form in float64. Relative error is
counted only where the reference is >= 1e-6 × the peak (1.0). "distinct / 4096" is the
number of distinct values over the last 4 096 steps (4 096: every step resolved).

Schedules: lrjax ``cosine_decay(1, M)``, ``linear(1, 0, M)`` and
``warmup(cosine_decay(1, M - W), W)`` against optax ``cosine_decay_schedule(1, M)``,
``linear_schedule(1, 0, M)`` and ``warmup_cosine_decay_schedule(0, 1, W, M)``, W = 10 000.

Run: ``python benchmarks/bench_precision.py`` (full, ~10 s) or ``--quick`` (2**24 only).
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

WARMUP = 10_000
TAIL = 4096
REL_FLOOR = 1e-6


def reference(kind: str, t, m: int):
    """The float64 closed form (``sin`` of the remaining fraction: no cancellation)."""
    import numpy as np

    t = t.astype(np.float64)
    if kind == "cosine":
        return np.sin(np.pi / 2 * (m - np.minimum(t, m)) / m) ** 2
    if kind == "linear":
        return (m - np.minimum(t, m)) / m
    decay = m - WARMUP
    local = np.maximum(t - WARMUP, 0)
    after = np.sin(np.pi / 2 * (decay - np.minimum(local, decay)) / decay) ** 2
    return np.where(t < WARMUP, t / WARMUP, after)


def schedules(m: int) -> dict[tuple[str, str], Any]:
    import optax

    lrjax = C.require_lrjax("cosine_decay", "linear", "warmup", benchmark="bench_precision")
    return {
        ("cosine", "lrjax"): lrjax.cosine_decay(1.0, m),
        ("cosine", "optax"): optax.cosine_decay_schedule(1.0, m),
        ("linear", "lrjax"): lrjax.linear(1.0, 0.0, m),
        ("linear", "optax"): optax.linear_schedule(1.0, 0.0, m),
        ("warmup+cosine", "lrjax"): lrjax.warmup(lrjax.cosine_decay(1.0, m - WARMUP), WARMUP),
        ("warmup+cosine", "optax"): optax.warmup_cosine_decay_schedule(0.0, 1.0, WARMUP, m),
    }


def measure(m: int, samples: int) -> list[dict]:
    import jax
    import numpy as np

    rng = np.random.default_rng(0)
    uniform = rng.integers(0, m, size=samples, endpoint=True, dtype=np.int64)
    tail = np.arange(m - TAIL + 1, m + 1, dtype=np.int64)
    middle = np.arange(m // 2 - TAIL // 2, m // 2 + TAIL // 2, dtype=np.int64)
    steps = np.concatenate([uniform, middle, tail])
    steps32 = steps.astype(np.int32)
    assert (steps32.astype(np.int64) == steps).all()
    call = jax.jit(lambda s, t: s(t))
    rows = []
    for (kind, lib), s in schedules(m).items():
        values = np.asarray(call(s, steps32) if lib == "lrjax" else jax.jit(s)(steps32))
        if values.dtype != np.float32:
            raise RuntimeError(f"{lib} {kind} returned {values.dtype}, expected float32")
        ref = reference(kind, steps, m)
        err = np.abs(values.astype(np.float64) - ref)
        counted = ref >= REL_FLOOR
        rows.append(
            {
                "m": m,
                "kind": kind,
                "lib": lib,
                "abs": float(err.max()),
                "rel": float((err[counted] / ref[counted]).max()),
                "distinct": int(np.unique(values[-TAIL:]).size),
                "zeros_in_tail": int((values[-TAIL:] == 0).sum()),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    lengths = [2**24] if args.quick else [2**24, 2**28, 2**31 - 1]
    samples = 20_000 if args.quick else 200_000
    report = C.Report(
        "precision",
        "5. precision: float32 against a float64 reference up to 2**31 - 1 steps",
        C.command_line("bench_precision.py", args.quick),
        args.quick,
    )
    names = {2**24: "2**24", 2**28: "2**28", 2**31 - 1: "2**31-1"}
    table = C.Table(
        f"max error over {samples:,} uniform steps + 4096 around M/2 + the last 4096 "
        f"(relative where ref ≥ {REL_FLOOR:g})",
        ["M", "schedule", "library", "max abs", "max rel", "distinct / 4096 in tail"],
    )
    rows: list[dict] = []
    for m in lengths:
        rows += measure(m, samples)
    for r in rows:
        table.rows.append(
            [
                names[r["m"]],
                r["kind"],
                r["lib"],
                C.fmt_err(r["abs"]),
                C.fmt_err(r["rel"]),
                f"{r['distinct']:,}",
            ]
        )
    report.tables.append(table)
    mine = [r for r in rows if r["lib"] == "lrjax"]
    theirs = [r for r in rows if r["lib"] == "optax"]
    full = 2**31 - 1 in lengths
    worst = max(mine, key=lambda r: r["rel"])
    report.targets.append(
        C.Target(
            "float32 relative error up to step 2**31 − 1 (cosine, linear, warmup+cosine)",
            f"≤ 1e-6 where value ≥ 1e-6 × peak (optax {C.fmt_err(max(r['rel'] for r in theirs))})",
            f"{C.fmt_err(worst['rel'])} (worst: {worst['kind']} at M={names[worst['m']]})",
            worst["rel"] <= 1e-6 if full else None,
            "" if full else "--quick measures 2**24 only",
        )
    )
    fewest = min(mine, key=lambda r: r["distinct"])
    report.targets.append(
        C.Target(
            "every step resolved: distinct values over the last 4096 steps",
            "4096 / 4096 (optax cosine: 1 at 2**28)",
            f"min {fewest['distinct']} / 4096 (optax min {min(r['distinct'] for r in theirs)})",
            fewest["distinct"] == TAIL if full else None,
        )
    )
    C.finish(report, args.json, started)


if __name__ == "__main__":
    main()
