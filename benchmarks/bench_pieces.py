"""Compile time, first result, evaluation time and graph size as the number of pieces grows.

For ``piecewise_constant`` (K boundaries) and ``join_schedules`` (K pieces, children of one
structure = cosine pieces, or mixed = cosine / linear / exponential in turn; cosine and
linear are different families with the same number of fields), lrjax against optax's
``piecewise_constant_schedule`` and ``join_schedules``. Every (library, family, K) runs
in a fresh Python process, so no compilation cache is shared.

Columns: build = constructing the schedule; lower = trace + lower to StableHLO;
compile = XLA compile; first result = build + lower + compile + the first run on 1e6
int32 steps; eval = median time of later runs on the same 1e6 steps; ops = op lines in
the StableHLO text (benchmarks/TARGETS.md). lrjax schedules are passed to the jitted function as an
argument (their numbers are traced data); optax schedules are closures, jitted directly.

Run: ``python benchmarks/bench_pieces.py`` (full, a few minutes: optax at K = 10 000
takes ~40 s to its first result and ~12 s per evaluation) or ``--quick``.
Typical output (2-core x86-64 VM, jax 0.10.2 CPU): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

N = 1_000_000
FULL = {
    "piecewise": [10, 100, 1000, 10000],
    "join_same": [2, 10, 100, 1000],
    "join_mixed": [2, 10, 100, 1000],
}
QUICK = {"piecewise": [10, 100], "join_same": [10, 20], "join_mixed": [4]}
FAMILY_TITLES = {
    "piecewise": "piecewise_constant",
    "join_same": "join_schedules, same-structure children (cosine pieces)",
    "join_mixed": "join_schedules, mixed children (cosine / linear / exponential)",
}
EVAL_BUDGET_S = 12.0
WORKER_HELP = "internal: measure a JSON list of [lib, family, K, runs, n] here, print JSON"


def build(lib: str, family: str, k: int, n: int):
    """The schedule for (library, family, K): K boundaries or K pieces over [0, n)."""
    import numpy as np

    if family == "piecewise":
        width = n // (k + 1)
        bounds = [(i + 1) * width for i in range(k)]
        if lib == "lrjax":
            import lrjax

            return lrjax.piecewise_constant(bounds, 0.999 ** np.arange(k + 1))
        import optax

        return optax.piecewise_constant_schedule(1.0, {b: 0.999 for b in bounds})
    length = n // k
    bounds = [i * length for i in range(1, k)]
    inits = [1.0 / (1 + 0.01 * i) for i in range(k)]
    kinds = ["cosine"] * k if family == "join_same" else ["cosine", "linear", "exponential"] * k
    if lib == "lrjax":
        import lrjax

        make = {
            "cosine": lambda v: lrjax.cosine_decay(v, length),
            "linear": lambda v: lrjax.linear(v, 0.1 * v, length),
            "exponential": lambda v: lrjax.exponential_decay(
                v, decay_rate=0.5, transition_steps=length
            ),
        }
        return lrjax.join_schedules([make[kinds[i]](inits[i]) for i in range(k)], bounds)
    import optax

    make = {
        "cosine": lambda v: optax.cosine_decay_schedule(v, length),
        "linear": lambda v: optax.linear_schedule(v, 0.1 * v, length),
        "exponential": lambda v: optax.exponential_decay(
            v, transition_steps=length, decay_rate=0.5
        ),
    }
    return optax.join_schedules([make[kinds[i]](inits[i]) for i in range(k)], bounds)


def worker(lib: str, family: str, k: int, max_runs: int, n: int) -> dict:
    """Measure one (library, family, K) in this (fresh) process."""
    import statistics

    import jax
    import jax.numpy as jnp
    import numpy as np

    if lib == "lrjax":
        C.require_lrjax("piecewise_constant", "join_schedules", benchmark="bench_pieces")
    x = jax.block_until_ready(jnp.arange(n, dtype=jnp.int32))
    t0 = time.perf_counter()
    schedule = build(lib, family, k, n)
    t_build = time.perf_counter() - t0
    if lib == "lrjax":
        fn, args = jax.jit(lambda s, t: s(t)), (schedule, x)
    else:
        fn, args = jax.jit(schedule), (x,)
    t0 = time.perf_counter()
    lowered = fn.lower(*args)
    t_lower = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = lowered.compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(*args))
    t_run = time.perf_counter() - t0
    text = lowered.as_text()
    evals: list[float] = []
    spent = 0.0
    while len(evals) < max_runs and (len(evals) < 2 or spent < EVAL_BUDGET_S):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        evals.append(time.perf_counter() - t0)
        spent += evals[-1]
    values = np.asarray(out, dtype=np.float64)
    return {
        "build": t_build,
        "lower": t_lower,
        "compile": t_compile,
        "first": t_build + t_lower + t_compile + t_run,
        "eval": statistics.median(evals),
        "eval_runs": len(evals),
        "ops": C.hlo_op_count(text),
        "chars": len(text),
        "checksum": float(values.sum()),
        "finite": bool(np.isfinite(values).all()),
    }


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    p = C.parser((__doc__ or "").splitlines()[0])
    p.add_argument("--worker", metavar="JSON", help=WORKER_HELP)
    args = p.parse_args(argv)
    if args.worker:
        specs = json.loads(args.worker)
        print(json.dumps([worker(lib, fam, k, runs, n) for lib, fam, k, runs, n in specs]))
        return
    C.require_lrjax("piecewise_constant", "join_schedules", benchmark="bench_pieces")
    sizes = QUICK if args.quick else FULL
    n = N // 10 if args.quick else N
    report = C.Report(
        "pieces",
        "2. pieces: compile time, first result and graph size vs number of pieces K",
        C.command_line("bench_pieces.py", args.quick),
        args.quick,
    )
    results: dict[tuple[str, str, int], dict] = {}
    script = str(Path(__file__).resolve())
    if args.quick:
        # Smoke mode: one process per library for all points (seconds, not for quoting).
        for lib in ("lrjax", "optax"):
            specs = [[lib, family, k, 2, n] for family, ks in sizes.items() for k in ks]
            measured = C.run_json_subprocess([script, "--worker", json.dumps(specs)])
            results.update({tuple(sp[:3]): r for sp, r in zip(specs, measured, strict=True)})
        report.notes.append("--quick: one process per library for all K (not a fresh one per K)")
    for family, ks in sizes.items():
        table = C.Table(
            FAMILY_TITLES[family] + f", eval on {C.fmt_sci(n)} int32 steps",
            [
                "K",
                "library",
                "build",
                "lower",
                "compile",
                "first result",
                f"eval / {C.fmt_sci(n)} steps",
                "HLO ops",
                "HLO chars",
                "checksum",
            ],
        )
        for k in ks:
            for lib in ("lrjax", "optax"):
                if (lib, family, k) not in results:
                    spec = json.dumps([[lib, family, k, 7, n]])
                    results[lib, family, k] = C.run_json_subprocess([script, "--worker", spec])[0]
                r = results[lib, family, k]
                if not r["finite"]:
                    raise RuntimeError(f"bench_pieces: {lib} {family} K={k} gave non-finite values")
                table.rows.append(
                    [
                        str(k),
                        lib,
                        C.fmt_seconds(r["build"]),
                        C.fmt_seconds(r["lower"]),
                        C.fmt_seconds(r["compile"]),
                        C.fmt_seconds(r["first"]),
                        C.fmt_seconds(r["eval"]),
                        f"{r['ops']:,}",
                        f"{r['chars']:,}",
                        f"{r['checksum']:.6g}",
                    ]
                )
            a, b = results["lrjax", family, k]["checksum"], results["optax", family, k]["checksum"]
            if abs(a - b) > 1e-4 * max(abs(a), abs(b)):
                table.notes.append(f"K={k}: checksums differ: lrjax {a:.8g}, optax {b:.8g}")
        ratios = []
        for k in ks:
            lr, ox = results["lrjax", family, k], results["optax", family, k]
            ratios.append(
                f"K={k}: first result {C.fmt_ratio(ox['first'] / lr['first'])}×, "
                f"eval {C.fmt_ratio(ox['eval'] / lr['eval'])}× faster than optax"
            )
        table.notes.append("; ".join(ratios))
        table.notes.append(
            "eval is the median of 2–7 runs (fewer when one run is slow); each row is a "
            "fresh process"
        )
        report.tables.append(table)
    add_targets(report, results, sizes)
    C.finish(report, args.json, started)


def _ops_independent(results: dict, family: str, ks: list[int]) -> tuple[str, bool | None]:
    """Op counts of lrjax over K > WHERE_CHAIN_MAX (where the binary search is used)."""
    from lrjax.schedules.piecewise import WHERE_CHAIN_MAX

    big = [k for k in ks if (k if family == "piecewise" else k - 1) > WHERE_CHAIN_MAX]
    ops = {k: results["lrjax", family, k]["ops"] for k in big}
    optax_ops = {k: results["optax", family, k]["ops"] for k in big}
    if len(ops) < 2:
        return "fewer than two K above the comparison-chain size", None
    text = ", ".join(f"K={k}: {o:,}" for k, o in ops.items())
    text += " (optax " + ", ".join(f"{o:,}" for o in optax_ops.values()) + ")"
    return text, len(set(ops.values())) == 1


def add_targets(report: C.Report, results: dict, sizes: dict[str, list[int]]) -> None:
    def get(family: str, k: int) -> dict | None:
        return results.get(("lrjax", family, k))

    top = get("piecewise", 10000)
    report.targets.append(
        C.Target(
            "piecewise_constant K=10 000: first result",
            "≤ 0.3 s (optax 38 s)",
            "–" if top is None else C.fmt_seconds(top["first"]),
            None if top is None else top["first"] <= 0.3,
        )
    )
    report.targets.append(
        C.Target(
            "piecewise_constant K=10 000: eval per 1e6 steps",
            "≤ 20 ms (optax 11.7 s)",
            "–" if top is None else C.fmt_seconds(top["eval"]),
            None if top is None else top["eval"] <= 0.020,
        )
    )
    text, met = _ops_independent(results, "piecewise", sizes["piecewise"])
    report.targets.append(
        C.Target(
            "piecewise_constant: HLO op count",
            "independent of K (optax 17 ops per boundary)",
            text,
            met,
            f"K ≤ {_chain_max()} boundaries use a short comparison chain instead of a search",
        )
    )
    text, met = _ops_independent(results, "join_same", sizes["join_same"])
    report.targets.append(
        C.Target(
            "join_schedules, same-structure children: HLO op count",
            "independent of K, like piecewise (optax 36 ops per piece)",
            text,
            met,
        )
    )
    top = get("join_same", 1000)
    if top is not None:
        report.targets.append(
            C.Target(
                "join_schedules K=1 000 same-structure: first result / eval per 1e6",
                "like piecewise: ≤ 0.3 s / ≤ 20 ms (optax 8.7 s / 2.8 s)",
                f"{C.fmt_seconds(top['first'])} / {C.fmt_seconds(top['eval'])}",
                top["first"] <= 0.3 and top["eval"] <= 0.020,
            )
        )
    top = get("join_mixed", 1000)
    report.targets.append(
        C.Target(
            "join_schedules K=1 000 mixed children: compile",
            "≤ 1 s (optax ≈ 5 s)",
            "–"
            if top is None
            else f"compile {C.fmt_seconds(top['compile'])}, first result "
            f"{C.fmt_seconds(top['first'])}",
            None if top is None else top["compile"] <= 1.0,
        )
    )


def _chain_max() -> int:
    from lrjax.schedules.piecewise import WHERE_CHAIN_MAX

    return WHERE_CHAIN_MAX


if __name__ == "__main__":
    main()
