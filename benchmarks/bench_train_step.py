"""What a schedule costs inside a jitted training step.

Linear regression with batch 32 and P parameters (P = 1000 and P = 10), ``optax.adamw``,
10 000 steps in one ``jax.lax.scan`` under ``jax.jit``. The learning rate is a constant,
or a schedule: warmup (10 % of the run) + cosine to the end, and a join of 100 cosine
pieces, each from lrjax and from optax (the same math). The lrjax schedule is passed to
the jitted loop as an argument (traced data: new values never recompile); optax's is a
closure, as optax requires. Each variant is compiled and warmed up, then all variants run
once per round, interleaved, and the median per-step time is quoted with its difference
from the constant learning rate.

Run: ``python benchmarks/bench_train_step.py`` (full, ~1 min) or ``--quick``.
Typical output (2-core x86-64 VM, jax 0.10.2 CPU): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

BATCH = 32
PIECES = 100


def schedules(steps: int) -> dict[str, tuple[str, object]]:
    """name -> (library, schedule); the same math from lrjax and from optax."""
    import optax

    lrjax = C.require_lrjax(
        "warmup", "cosine_decay", "join_schedules", benchmark="bench_train_step"
    )
    peak = 1e-3
    warm = steps // 10
    length = steps // PIECES
    bounds = [i * length for i in range(1, PIECES)]
    inits = [peak / (1 + 0.01 * i) for i in range(PIECES)]
    return {
        "constant lr 1e-3": ("const", peak),
        "optax warmup_cosine": (
            "optax",
            optax.warmup_cosine_decay_schedule(0.0, peak, warm, steps),
        ),
        "lrjax warmup(cosine)": (
            "lrjax",
            lrjax.warmup(lrjax.cosine_decay(peak, steps - warm), warm),
        ),
        f"optax join of {PIECES} cosines": (
            "optax",
            optax.join_schedules([optax.cosine_decay_schedule(v, length) for v in inits], bounds),
        ),
        f"lrjax join of {PIECES} cosines": (
            "lrjax",
            lrjax.join_schedules([lrjax.cosine_decay(v, length) for v in inits], bounds),
        ),
    }


def make_loop(lib: str, schedule, params: int, steps: int):
    """A jitted function running ``steps`` adamw steps; returns (call, compile seconds)."""
    import jax
    import jax.numpy as jnp
    import optax

    key = jax.random.PRNGKey(0)
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (BATCH, params), jnp.float32)
    y = x @ jax.random.normal(kw, (params,), jnp.float32)
    w0 = jnp.zeros((params,), jnp.float32)

    def loss(w):
        return jnp.mean((x @ w - y) ** 2)

    def train(sched):
        opt = optax.adamw(sched)
        state = opt.init(w0)

        def step(carry, _):
            w, s = carry
            g = jax.grad(loss)(w)
            updates, s = opt.update(g, s, w)
            return (optax.apply_updates(w, updates), s), None

        (w, _), _ = jax.lax.scan(step, (w0, state), None, length=steps)
        return w

    if lib == "lrjax":
        fn = jax.jit(train)
        args = (schedule,)
    else:
        fn = jax.jit(lambda: train(schedule))
        args = ()
    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    compile_s = time.perf_counter() - t0
    return (lambda: compiled(*args)), compile_s


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    import numpy as np

    steps = 200 if args.quick else 10_000
    rounds = 1 if args.quick else 9
    sizes = [10] if args.quick else [1000, 10]
    report = C.Report(
        "train_step",
        f"4. train_step: schedule cost inside a jitted adamw step (lax.scan, {steps:,} steps)",
        C.command_line("bench_train_step.py", args.quick),
        args.quick,
    )
    deltas: dict[tuple[int, str], float] = {}
    for params in sizes:
        loops, compile_s = {}, {}
        for name, (lib, schedule) in schedules(steps).items():
            loops[name], compile_s[name] = make_loop(lib, schedule, params, steps)
        finals = {name: np.asarray(C.block(fn())) for name, fn in loops.items()}
        if not all(np.isfinite(w).all() for w in finals.values()):
            raise RuntimeError("bench_train_step: a training loop diverged")
        medians = C.interleaved(loops, rounds=rounds, warmup=1)
        base = medians["constant lr 1e-3"]
        table = C.Table(
            f"P = {params}, batch {BATCH}: median of {rounds} interleaved rounds",
            ["variant", "µs / step", "Δ vs const", "share of step", "compile"],
        )
        for name, seconds in medians.items():
            per = seconds / steps
            delta = (seconds - base) / steps
            deltas[params, name] = delta
            table.rows.append(
                [
                    name,
                    f"{per * 1e6:.3f}",
                    "–" if name.startswith("constant") else f"{delta * 1e9:+.0f} ns",
                    "–" if name.startswith("constant") else f"{100 * delta / per:.1f} %",
                    C.fmt_seconds(compile_s[name]),
                ]
            )
        for lib_a, lib_b in (("lrjax warmup(cosine)", "optax warmup_cosine"),):
            a, b = finals[lib_a], finals[lib_b]
            table.notes.append(
                f"final weights lrjax vs optax warmup-cosine: max |Δ| = "
                f"{float(np.abs(a - b).max()):.1e}"
            )
        report.tables.append(table)
    report.notes.append(
        "Δ is the difference of two medians of whole 10k-step runs; on a busy machine it "
        "is noisy to about ±5 % of a step"
    )
    p = sizes[0]
    mine = deltas[p, "lrjax warmup(cosine)"]
    theirs = deltas[p, "optax warmup_cosine"]
    report.targets.append(
        C.Target(
            f"warmup-cosine inside adamw (P={p})",
            "Δ ≤ optax's Δ for the same schedule (optax +0.2 µs)",
            f"lrjax {mine * 1e9:+.0f} ns vs optax {theirs * 1e9:+.0f} ns",
            None if args.quick else mine <= theirs,
        )
    )
    join_mine = deltas[p, f"lrjax join of {PIECES} cosines"]
    join_theirs = deltas[p, f"optax join of {PIECES} cosines"]
    report.targets.append(
        C.Target(
            f"join of {PIECES} cosine pieces inside adamw (P={p})",
            "Δ ≤ +0.25 µs (optax +0.41 µs)",
            f"lrjax {join_mine * 1e9:+.0f} ns vs optax {join_theirs * 1e9:+.0f} ns",
            None if args.quick else join_mine <= 0.25e-6,
        )
    )
    C.finish(report, args.json, started)


if __name__ == "__main__":
    main()
