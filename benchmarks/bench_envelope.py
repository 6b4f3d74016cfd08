"""The plotting envelope (min/max per bin) up to 2**31 − 1 steps: time and memory.

``lrjax.envelope(s, N, num_bins)`` reduces every step 0 … N−1 to a min and a max per bin
inside the kernel, so a plot of N steps is exact at pixel resolution from a few thousand
numbers. Nobody else has one (benchmarks/TARGETS.md); the targets compare it with
evaluating the same steps:

* time: ``envelope(s, N, 2048)`` against ``evaluate(s, N)`` (the full N-value array), and
  against the hand-fused limit (one jnp expression with ``lax.iota`` inside jit, reduced
  to the same bins with ``min``/``max`` inside the kernel), interleaved in one process;
* memory: a fresh process per N (up to 2**31 − 1 steps, int32's last step) measures the
  peak RSS during the call minus the RSS before it (Linux VmHWM reset through
  /proc/self/clear_refs); ``evaluate`` of 2**31 − 1 steps would need 8 GiB of output.

The schedule is the one of bench_evaluate.py: linear warmup over 10 000 steps to 1e-3,
then cosine decay to 0 at step N. Every envelope is checked against a float64 reference
envelope before timing (N ≤ 1e7).

Run: ``python benchmarks/bench_envelope.py`` (full, a few minutes) or ``--quick``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

PEAK = 1e-3
BINS = 2048
FULL_SIZES = {10**6: 11, 10**7: 5, 10**8: 3}
QUICK_SIZES = {10**5: 2}
FULL_MEMORY_SIZES = [10**7, 10**8, 2**31 - 1]
QUICK_MEMORY_SIZES = [10**6]
MEMORY_BUDGET = 64 * C.MiB


def warmup_steps(n: int) -> int:
    return min(10_000, n // 10)


def schedule(n: int):
    lrjax = C.require_lrjax("envelope", "evaluate", "warmup", benchmark="bench_envelope")
    w = warmup_steps(n)
    return lrjax.warmup(lrjax.cosine_decay(PEAK, n - w), w)


def reference_envelope(n: int, env):
    """float64 min/max over exactly the bins ``env`` reports."""
    import numpy as np

    w = warmup_steps(n)
    t = np.arange(n, dtype=np.float64)
    decay = n - w
    local = np.clip(t - w, 0, decay)
    values = np.where(t < w, PEAK * t / w, PEAK * 0.5 * (1 + np.cos(np.pi * local / decay)))
    starts = np.asarray(env.steps)
    return np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)


def variants(n: int) -> dict:
    """name -> zero-argument callable; the first is the limit."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    lrjax = C.require_lrjax("envelope", "evaluate", benchmark="bench_envelope")
    s = schedule(n)
    w = warmup_steps(n)
    decay = n - w
    width = -(-n // BINS)
    bins = -(-n // width)

    def fused_envelope():
        # The limit: the same math, made from iota, reduced per bin inside the kernel.
        t = jax.lax.iota(jnp.int32, bins * width)
        local = jnp.minimum(jnp.maximum(t - w, 0), decay).astype(jnp.float32)
        cosine = PEAK * 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi / decay) * local))
        v = jnp.where(t < w, jnp.float32(PEAK / w) * t.astype(jnp.float32), cosine)
        lo = jnp.where(t < n, v, jnp.inf).reshape(bins, width).min(axis=1)
        hi = jnp.where(t < n, v, -jnp.inf).reshape(bins, width).max(axis=1)
        return lo, hi

    limit = jax.jit(fused_envelope)

    def as_numpy(pair):
        return np.asarray(pair[0]), np.asarray(pair[1])

    return {
        "limit: fused envelope, iota inside jit": lambda: as_numpy(limit()),
        f"lrjax.envelope(s, N, {BINS})": lambda: lrjax.envelope(s, n, BINS),
        "lrjax.evaluate(s, N)": lambda: lrjax.evaluate(s, n),
    }


def memory_worker(n: int) -> dict:
    """Peak RSS above the pre-call RSS while computing the envelope of n steps."""
    import gc

    lrjax = C.require_lrjax("envelope", benchmark="bench_envelope")
    s = schedule(n)
    # Compile first, on several full-size chunks: compilation is a one-time cost that does
    # not depend on n (the kernels are traced per schedule structure and chunk size).
    lrjax.envelope(s, min(n, 2**23), BINS)
    results: dict = {}
    for phase in ("cold", "warm"):
        gc.collect()
        before = C.rss_bytes()
        if not C.reset_peak_rss():
            raise RuntimeError("cannot reset VmHWM (/proc/self/clear_refs): no peak memory")
        started = time.perf_counter()
        env = lrjax.envelope(s, n, BINS)
        results[f"{phase}_seconds"] = time.perf_counter() - started
        results[phase] = C.peak_rss_bytes() - before
        results["bins"] = len(env.steps)
        results["baseline"] = before
    return results


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    p = C.parser((__doc__ or "").splitlines()[0])
    p.add_argument("--memory-worker", type=int, metavar="N", help="internal")
    args = p.parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker)))
        return
    import numpy as np

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    report = C.Report(
        "envelope",
        "7. envelope: min/max per bin up to 2**31 − 1 steps, against evaluate and the limit",
        C.command_line("bench_envelope.py", args.quick),
        args.quick,
    )
    medians: dict[int, dict[str, float]] = {}
    for n, rounds in sizes.items():
        fns = variants(n)
        if n <= 10**7:
            env = fns[f"lrjax.envelope(s, N, {BINS})"]()
            lo, hi = reference_envelope(n, env)
            err = max(np.abs(env.min - lo).max(), np.abs(env.max - hi).max())
            if not err <= 1e-9:
                raise RuntimeError(f"bench_envelope: N={n}: max abs error {err} (peak {PEAK})")
        medians[n] = C.interleaved(fns, rounds=rounds, warmup=1)
    names = list(medians[next(iter(sizes))])
    headers = ["method"]
    for n in sizes:
        headers += [f"{C.fmt_sci(n)}: time", "× limit"]
    table = C.Table(
        f"time (median of interleaved rounds), {BINS} bins; "
        "the limit reduces the same bins inside one fused kernel",
        headers,
    )
    for name in names:
        row = [name]
        for n in sizes:
            row += [
                C.fmt_seconds(medians[n][name]),
                C.fmt_ratio(medians[n][name] / medians[n][names[0]]),
            ]
        table.rows.append(row)
    table.notes.append(
        "every envelope equals a float64 reference envelope over the same bins within 1e-9 "
        f"absolute (peak {PEAK}) at N ≤ 1e7 (checked before timing)"
    )
    report.tables.append(table)
    env_name, eval_name = names[1], names[2]
    ratios = {n: medians[n][env_name] / medians[n][eval_name] for n in sizes}

    mem_sizes = QUICK_MEMORY_SIZES if args.quick else FULL_MEMORY_SIZES
    mem_table = C.Table(
        "peak memory of envelope(s, N, 2048), a fresh process per N, after a first call on "
        "min(N, 2**23) steps compiled the kernels (peak RSS during the call − RSS before it)",
        ["N", "cold call", "warm call", "warm time", "bins", "≤ 64 MiB?"],
    )
    script = str(Path(__file__).resolve())
    worst = 0
    for n in mem_sizes:
        r = C.run_json_subprocess([script, "--memory-worker", str(n)], timeout=3600)
        peak = max(r["cold"], r["warm"])
        worst = max(worst, peak)
        mem_table.rows.append(
            [
                f"{n:,}",
                C.fmt_mib(r["cold"]),
                C.fmt_mib(r["warm"]),
                C.fmt_seconds(r["warm_seconds"]),
                str(r["bins"]),
                "yes" if peak <= MEMORY_BUDGET else "no",
            ]
        )
    report.tables.append(mem_table)

    full = not args.quick
    report.targets.append(
        C.Target(
            "envelope: time against evaluating the same steps",
            "≤ 1.2× evaluate(s, N)",
            ", ".join(f"{C.fmt_sci(n)}: {C.fmt_ratio(r)}×" for n, r in ratios.items()),
            all(r <= 1.2 for r in ratios.values()) if full else None,
        )
    )
    report.targets.append(
        C.Target(
            "envelope: memory above baseline at any N",
            "≤ 64 MiB up to 2**31 − 1 steps",
            f"worst {C.fmt_mib(worst)} (N up to {max(mem_sizes):,})",
            worst <= MEMORY_BUDGET if full else None,
            "" if full else "--quick measures 1e6",
        )
    )
    C.finish(report, args.json, started)


if __name__ == "__main__":
    main()
