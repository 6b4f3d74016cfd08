"""Evaluating warmup + cosine over 1e5 … 1e8 steps: lrjax against the limit and the peers.

The schedule: linear warmup from 0 to 1e-3 over W = 10 000 steps (N / 10 if smaller),
then cosine decay to 0 at step N. Every vectorised variant returns a NumPy float32 array
of the N values and runs in this one process, interleaved round by round after a warm-up:

* limit: one hand-fused jnp expression under ``jax.jit``, steps made inside the kernel
  with ``lax.iota`` (no input array); nothing can be faster on this hardware.
* ``lrjax.evaluate(s, N)``; lrjax ``jax.jit(lambda s: s(lax.iota(...)))(s)``.
* optax ``warmup_cosine_decay_schedule``: ``jax.jit(sched)(steps)`` and eager
  ``sched(steps)``, with ``steps = jnp.arange(N)`` made beforehand.
* NumPy float32 closed form on a premade ``np.arange(N)``.
* Keras ``CosineDecay(warmup_steps=W)`` under ``jax.jit(jax.vmap(...))`` (called on a
  vector of steps it fails: its warmup uses ``ops.cond`` with a vector predicate).

Per-step loops are far too slow for N steps, so they run for a small n and their
per-step rate is extrapolated to N (said in the table): torch ``SGD`` + ``LambdaLR``
(``opt.step(); sched.step()``), the same with transformers'
``get_cosine_schedule_with_warmup``, and Keras ``CosineDecay`` called per step on the
jax backend. Each loop's values are checked against lrjax's.

Peak memory: a fresh process per method evaluates 1e8 steps (1e7 with --quick); the
figure is the peak RSS during the call minus the RSS just before it (Linux VmHWM, reset
through /proc/self/clear_refs), against the output size + 64 MiB.

Run: ``python benchmarks/bench_evaluate.py`` (full, a few minutes) or ``--quick``.
Typical output (2-core x86-64 VM, jax 0.10.2 CPU): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

PEAK = 1e-3
FULL_SIZES = {10**5: 21, 10**6: 11, 10**7: 5, 10**8: 3}
QUICK_SIZES = {10**5: 2}
LOOP_STEPS = {"torch": 20_000, "transformers": 20_000, "keras": 20}
QUICK_LOOP_STEPS = {"torch": 200, "transformers": 200, "keras": 1}
MEMORY_METHODS = ["lrjax.evaluate", "limit", "optax jit", "optax eager", "numpy"]
QUICK_MEMORY_METHODS = ["lrjax.evaluate"]


def warmup_steps(n: int) -> int:
    return min(10_000, n // 10)


def reference(n: int):
    """float64 values of the schedule at steps 0 .. n-1."""
    import numpy as np

    w = warmup_steps(n)
    t = np.arange(n, dtype=np.float64)
    decay = n - w
    local = np.clip(t - w, 0, decay)
    return np.where(t < w, PEAK * t / w, PEAK * np.sin(np.pi / 2 * (decay - local) / decay) ** 2)


def vectorised(n: int) -> dict:
    """name -> zero-argument callable returning the n values as a NumPy array."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    lrjax = C.require_lrjax("evaluate", "warmup", "cosine_decay", benchmark="bench_evaluate")
    import keras

    w = warmup_steps(n)
    decay = n - w

    def fused():
        t = jax.lax.iota(jnp.int32, n)
        local = jnp.minimum(jnp.maximum(t - w, 0), decay).astype(jnp.float32)
        cosine = PEAK * 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi / decay) * local))
        return jnp.where(t < w, jnp.float32(PEAK / w) * t.astype(jnp.float32), cosine)

    limit = jax.jit(fused)
    schedule = lrjax.warmup(lrjax.cosine_decay(PEAK, decay), w)
    lrjax_iota = jax.jit(lambda s: s(jax.lax.iota(jnp.int32, n)))
    ox = optax.warmup_cosine_decay_schedule(0.0, PEAK, w, n)
    ox_jit = jax.jit(ox)
    steps = jax.block_until_ready(jnp.arange(n, dtype=jnp.int32))
    np_steps = np.arange(n, dtype=np.int32)
    pi_over = np.float32(np.pi / decay)
    ramp = np.float32(PEAK / w)

    def numpy_f32():
        t = np_steps.astype(np.float32)
        local = np.minimum(np.maximum(np_steps - w, 0), decay).astype(np.float32)
        cosine = np.float32(PEAK * 0.5) * (np.float32(1.0) + np.cos(pi_over * local))
        return np.where(np_steps < w, ramp * t, cosine)

    kd = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=decay, warmup_target=PEAK, warmup_steps=w
    )
    keras_vmap = jax.jit(jax.vmap(kd))
    return {
        "limit (fused jnp, iota inside jit)": lambda: np.asarray(limit()),
        "lrjax.evaluate(s, N)": lambda: lrjax.evaluate(schedule, n),
        "lrjax jit(s(iota))": lambda: np.asarray(lrjax_iota(schedule)),
        "optax jit(sched)(arange)": lambda: np.asarray(ox_jit(steps)),
        "optax sched(arange), eager": lambda: np.asarray(ox(steps)),
        "numpy float32 closed form": numpy_f32,
        "keras CosineDecay, jit(vmap)": lambda: np.asarray(keras_vmap(steps)),
    }


def loop_rates(counts: dict[str, int]) -> dict[str, tuple[float, int, float]]:
    """name -> (seconds per step, n measured, max relative error) for the per-step loops."""
    import keras
    import numpy as np
    import torch
    import transformers

    n_ref = 10**6
    w = warmup_steps(n_ref)
    decay = n_ref - w
    want = reference(n_ref)
    out = {}

    def lam(step: int) -> float:
        if step < w:
            return step / w
        import math

        return 0.5 * (1.0 + math.cos(math.pi * min(step - w, decay) / decay))

    def torch_loop(make_sched, n: int) -> tuple[float, np.ndarray]:
        param = torch.nn.Parameter(torch.zeros(4))
        param.grad = torch.zeros(4)
        opt = torch.optim.SGD([param], lr=PEAK)
        sched = make_sched(opt)
        lrs = np.empty(n)
        t0 = time.perf_counter()
        for i in range(n):
            lrs[i] = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
        return time.perf_counter() - t0, lrs

    n = counts["torch"]
    seconds, lrs = torch_loop(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lam), n)
    out["torch SGD + LambdaLR loop"] = (seconds / n, n, _rel(lrs, want[:n]))
    n = counts["transformers"]
    seconds, lrs = torch_loop(
        lambda o: transformers.get_cosine_schedule_with_warmup(o, w, n_ref), n
    )
    out["transformers cosine-with-warmup loop"] = (seconds / n, n, _rel(lrs, want[:n]))
    kd = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=decay, warmup_target=PEAK, warmup_steps=w
    )
    n = counts["keras"]
    float(np.asarray(kd(0)))
    lrs = np.empty(n)
    t0 = time.perf_counter()
    for i in range(n):
        lrs[i] = float(np.asarray(kd(i)))
    seconds = time.perf_counter() - t0
    out[f"keras CosineDecay per step ({keras.backend.backend()} backend)"] = (
        seconds / n,
        n,
        _rel(lrs, want[:n]),
    )
    return out


def _rel(got, want) -> float:
    import numpy as np

    mask = want > 1e-6 * PEAK
    return float((np.abs(got - want)[mask] / want[mask]).max()) if mask.any() else 0.0


def memory_worker(method: str, n: int) -> dict:
    """Peak RSS above the pre-call RSS while evaluating n steps with one method."""
    import gc

    import jax
    import numpy as np

    fn = vectorised(n)[
        {
            "lrjax.evaluate": "lrjax.evaluate(s, N)",
            "limit": "limit (fused jnp, iota inside jit)",
            "optax jit": "optax jit(sched)(arange)",
            "optax eager": "optax sched(arange), eager",
            "numpy": "numpy float32 closed form",
        }[method]
    ]
    jax.block_until_ready(jax.numpy.zeros(1))
    gc.collect()
    results = {}
    for phase in ("cold", "warm"):
        gc.collect()
        before = C.rss_bytes()
        if not C.reset_peak_rss():
            raise RuntimeError("cannot reset VmHWM (/proc/self/clear_refs): no peak memory")
        out = np.asarray(fn())
        results[phase] = C.peak_rss_bytes() - before
        results["out_bytes"] = int(out.nbytes)
        if phase == "cold":
            results["baseline"] = before
        del out
    return results


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    p = C.parser((__doc__ or "").splitlines()[0])
    p.add_argument("--memory-worker", nargs=2, metavar=("METHOD", "N"), help="internal")
    args = p.parse_args(argv)
    if args.memory_worker:
        method, n = args.memory_worker
        print(json.dumps(memory_worker(method, int(n))))
        return
    import numpy as np

    C.require_lrjax("evaluate", benchmark="bench_evaluate")
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    report = C.Report(
        "evaluate",
        "1. evaluate: warmup + cosine over N steps, against the limit and the peers",
        C.command_line("bench_evaluate.py", args.quick),
        args.quick,
    )
    loops = loop_rates(QUICK_LOOP_STEPS if args.quick else LOOP_STEPS)
    ratios: dict[tuple[str, int], float] = {}
    medians_by_size: dict[int, dict[str, float]] = {}
    for n, rounds in sizes.items():
        variants = vectorised(n)
        if n <= 10**7:
            want = reference(n)
            for name, fn in variants.items():
                got = fn()
                err = float(np.abs(got.astype(np.float64) - want).max())
                if got.shape != (n,) or not err <= 1e-9:
                    raise RuntimeError(f"bench_evaluate: {name} at N={n}: max abs error {err}")
        medians_by_size[n] = C.interleaved(variants, rounds=rounds, warmup=1)
    names = list(medians_by_size[next(iter(sizes))])
    limit_name = names[0]
    headers = ["method"]
    for n in sizes:
        headers += [f"{C.fmt_sci(n)} steps/s", "× limit"]
    table = C.Table(
        "throughput (median of interleaved rounds; rounds per size: "
        + ", ".join(f"{C.fmt_sci(n)}: {r}" for n, r in sizes.items())
        + ")",
        headers,
    )
    for name in names:
        row = [name]
        for n in sizes:
            m = medians_by_size[n]
            ratios[name, n] = m[name] / m[limit_name]
            row += [C.fmt_rate(n / m[name]), C.fmt_ratio(ratios[name, n])]
        table.rows.append(row)
    for name, (per_step, measured, _) in loops.items():
        row = [f"{name} (extrapolated from n = {measured:,})"]
        for n in sizes:
            ratio = per_step * n / medians_by_size[n][limit_name]
            row += [C.fmt_rate(1 / per_step), C.fmt_ratio(ratio)]
        table.rows.append(row)
    table.notes += [
        "every vectorised result is within 1e-9 absolute of a float64 reference (peak 1e-3) "
        "at N ≤ 1e7 (checked before timing)",
        "loops: per-step time measured over the first n steps and extrapolated linearly "
        "to N (the '× limit' of a loop is that extrapolation); their values match the "
        "reference within " + ", ".join(f"{e:.0e}" for _, _, e in loops.values()) + " relative",
    ]
    report.tables.append(table)

    mem_n = 10**6 if args.quick else 10**8
    methods = QUICK_MEMORY_METHODS if args.quick else MEMORY_METHODS
    mem_table = C.Table(
        f"peak memory evaluating {C.fmt_sci(mem_n)} steps, a fresh process per method "
        "(peak RSS during the call − RSS before it)",
        ["method", "cold call (compiles)", "warm call", "output", "≤ output + 64 MiB?"],
    )
    script = str(Path(__file__).resolve())
    mem: dict[str, dict] = {}
    for method in methods:
        r = C.run_json_subprocess([script, "--memory-worker", method, str(mem_n)])
        mem[method] = r
        budget = r["out_bytes"] + 64 * C.MiB
        mem_table.rows.append(
            [
                method,
                C.fmt_mib(r["cold"]),
                C.fmt_mib(r["warm"]),
                C.fmt_mib(r["out_bytes"]),
                "yes" if max(r["cold"], r["warm"]) <= budget else "no",
            ]
        )
    mem_table.notes.append(
        f"RSS after importing jax, numpy, optax, keras and lrjax: "
        f"{C.fmt_mib(mem[methods[0]]['baseline'])}"
    )
    report.tables.append(mem_table)

    name = "lrjax.evaluate(s, N)"
    worst_n = max(sizes, key=lambda n: ratios[name, n])
    full = not args.quick
    report.targets.append(
        C.Target(
            "evaluate warmup+cosine, 1e6 / 1e7 / 1e8 steps",
            "≤ 1.10× the limit at every size (jitted optax 0.96–1.10×)",
            ", ".join(f"{C.fmt_sci(n)}: {C.fmt_ratio(ratios[name, n])}×" for n in sizes),
            all(ratios[name, n] <= 1.10 for n in sizes if n >= 10**6) if full else None,
            f"worst at {C.fmt_sci(worst_n)}",
        )
    )
    r = mem["lrjax.evaluate"]
    extra = max(r["cold"], r["warm"]) - r["out_bytes"]
    report.targets.append(
        C.Target(
            f"evaluate {C.fmt_sci(mem_n)} steps: peak memory",
            "≤ output + 64 MiB; no N-sized temporaries",
            f"output + {C.fmt_mib(extra)} (cold {C.fmt_mib(r['cold'])}, warm "
            f"{C.fmt_mib(r['warm'])}, output {C.fmt_mib(r['out_bytes'])})",
            extra <= 64 * C.MiB if full else None,
            "" if full else "--quick measures 1e6",
        )
    )
    C.finish(report, args.json, started)


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main()
