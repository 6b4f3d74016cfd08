"""Best-of-30 timings of the hot paths, to compare two checkouts of lrjax on one machine.

Run it once per checkout, alternating, in fresh processes (PYTHONPATH picks the checkout)::

    for r in 1 2; do for c in ../lrjax-old .; do
        PYTHONPATH=$c python benchmarks/ab_versions.py
    done; done

Each line prints the checkout's lrjax version and, per path, the best of 30 calls:
``evaluate`` over 1e3 and 1e6 steps (fixed cost and throughput), a jitted ``s(iota)`` over
1e6 steps and a scalar call (a train step's cost), for a piecewise schedule of 10 000
boundaries and a warmup + cosine; and the time to build a join of 1 000 cosine pieces.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

import lrjax


def best(f, n: int = 30) -> float:
    f()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    pc = lrjax.piecewise_constant(
        list(range(100, 1_000_001, 100)), list(np.linspace(1, 0.1, 10_001))
    )
    wc = lrjax.warmup_cosine_decay(1e-3, 2000, 10_000_000)
    direct = jax.jit(lambda s, t: s(t))
    steps = jnp.arange(1_000_000)

    def join() -> lrjax.AbstractSchedule:
        pieces = [lrjax.cosine_decay(1.0 + i * 1e-3, 100) for i in range(1000)]
        return lrjax.join_schedules(pieces, list(range(100, 100_000, 100)))

    figures = {
        "piecewise evaluate 1e3 (us)": best(lambda: lrjax.evaluate(pc, 1000)) * 1e6,
        "piecewise evaluate 1e6 (ms)": best(lambda: lrjax.evaluate(pc, 1_000_000)) * 1e3,
        "piecewise jit s(iota) 1e6 (ms)": best(lambda: direct(pc, steps).block_until_ready()) * 1e3,
        "warmup-cosine evaluate 1e3 (us)": best(lambda: lrjax.evaluate(wc, 1000)) * 1e6,
        "warmup-cosine jit s(iota) 1e6 (ms)": best(lambda: direct(wc, steps).block_until_ready())
        * 1e3,
        "warmup-cosine scalar call (us)": best(lambda: wc(5).block_until_ready(), 200) * 1e6,
        "build join of 1000 cosines (ms)": best(join, 10) * 1e3,
    }
    print(lrjax.__version__, {k: round(v, 2) for k, v in figures.items()})


if __name__ == "__main__":
    main()
