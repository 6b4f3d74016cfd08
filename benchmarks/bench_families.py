"""Every schedule family through the direct path and ``evaluate``, against its own fused limit.

For every primitive, combinator and preset of ``lrjax.__all__`` (issue 13), built with
realistic arguments scaled to the horizon N, this measures in one process, interleaved round
by round after a warm-up, every variant returning a NumPy array of the N values:

* the direct path ``jax.jit(lambda s: s(lax.iota(jnp.int32, N)))(s)``, the schedule passed
  as an argument;
* ``lrjax.evaluate(s, N)``;
* ``lrjax.envelope(s, N)`` (the per-bin minimum and maximum over every step), against
  ``evaluate`` of the same steps;
* the family's limit: a hand-written fused ``jnp`` formula of the same curve under
  ``jax.jit``, its hyperparameters passed as traced scalars and the steps made inside with
  ``lax.iota``; integer parts (cycle index, elapsed steps) are computed in int32 before the
  conversion to float, as lrjax does, and pieces are chains of ``jnp.where``;
* optax's jitted schedule, ``jax.jit(sched)(steps)`` with ``steps = jnp.arange(N)`` made
  beforehand, where optax has the same curve.

Before timing, at every N up to 1e7, every variant is checked against the limit: within 1e-5
of the peak, except next to a jump of the curve (where a float cycle start may land one step
apart), so the limit is the same curve as lrjax's, not a cheaper one.

The compiled temporaries of each direct path are read from XLA at N = 1e7
(``jax.jit(f).lower(s).compile().memory_analysis().temp_size_in_bytes``) with the number of
fusions in its optimised HLO.

A second table times each direct path and limit at an odd length, N + 1 with N = 1e6,
against N: on several cores XLA:CPU runs a fused loop over an odd number of elements
2-11x slower than over an even number, and lrjax evaluates an odd length as an even head
and a one-step tail.

Run: ``python benchmarks/bench_families.py`` (full, several minutes) or ``--quick``.
Typical output (2-core x86-64 VM, jax 0.10.2 CPU): see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _common as C  # noqa: E402

PEAK = 1e-3
# 1e8 gets as many rounds as 1e7: see the note on fresh memory in main().
FULL_SIZES = {10**6: 7, 10**7: 5, 10**8: 5}
QUICK_SIZES = {10**5: 2}
TEMPS_N = 10**7
ODD_N = {False: 10**6, True: 10**5}  # even length of the odd-length table (full, --quick)
ODD_ROUNDS = {False: 7, True: 2}
CHECK_MAX_N = 10**7
LIMIT_TARGET = 1.25
OPTAX_TARGET = 1.10
ENVELOPE_TARGET = 1.20
TEMPS_TARGET = 1 * C.MiB
FUSION = re.compile(r"\sfusion\(")


@dataclasses.dataclass
class Family:
    """One row: the lrjax schedule, its fused formula and optax's schedule (if any)."""

    name: str
    schedule: Any
    formula: Callable[..., Any]  # formula(t, *hp) with t the int32 steps
    hp: tuple[Any, ...]  # the hyperparameters, traced scalars (or small arrays) of the limit
    optax: Callable[[Any], Any] | None = None
    no_optax: str = ""  # why there is no optax column
    optax_vmap: bool = False  # optax's schedule takes one step at a time: jit(vmap(sched))


def families(n: int) -> list[Family]:  # noqa: PLR0915 (one list of every family)
    """Every family with realistic arguments for an n-step run."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    lrjax = C.require_lrjax("evaluate", benchmark="bench_families")
    f32, i32 = jnp.float32, jnp.int32
    P = PEAK

    def F(x: Any) -> Any:
        return jnp.asarray(x, f32)

    def I(x: Any) -> Any:  # noqa: E743
        return jnp.asarray(x, i32)

    def fl(x: Any) -> Any:
        return x.astype(f32)

    def cos01(num: Any, den: Any) -> Any:
        """(1 + cos(pi num / den)) / 2 of integer num, den."""
        return 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) * fl(num) / fl(den)))

    out: list[Family] = []

    def add(name, schedule, formula, hp, optax_sched=None, no_optax="", optax_vmap=False):
        out.append(Family(name, schedule, formula, tuple(hp), optax_sched, no_optax, optax_vmap))

    no_equal = "optax has no such schedule"

    def cycle_kwargs(init: float, peak: float, warmup: int, decay: int) -> dict[str, Any]:
        """One cycle of optax's sgdr_schedule (a warmup_cosine_decay_schedule)."""
        return dict(init_value=init, peak_value=peak, warmup_steps=warmup, decay_steps=decay)

    # -- primitives ----------------------------------------------------------------------
    add(
        "constant",
        lrjax.constant(P),
        lambda t, v: jnp.broadcast_to(v, t.shape),
        [F(P)],
        no_optax="optax.constant_schedule returns a scalar, not one value per step",
    )
    T, B, E = 8 * n // 10, n // 10, P / 100
    add(
        "linear",
        lrjax.linear(P, E, T, B),
        lambda t, i, e, tt, b: e + (i - e) * fl(tt - jnp.clip(t - b, 0, tt)) / fl(tt),
        [F(P), F(E), I(T), I(B)],
        optax.linear_schedule(P, E, T, B),
    )
    add(
        "polynomial(power=2)",
        lrjax.polynomial(P, E, 2.0, T, B),
        lambda t, i, e, p, tt, b: e + (i - e) * (fl(tt - jnp.clip(t - b, 0, tt)) / fl(tt)) ** p,
        [F(P), F(E), F(2.0), I(T), I(B)],
        optax.polynomial_schedule(P, E, 2.0, T, B),
    )
    add(
        "cosine_decay",
        lrjax.cosine_decay(P, n),
        lambda t, i, e, tt: e + (i - e) * cos01(jnp.minimum(t, tt), tt),
        [F(P), F(0.0), I(n)],
        optax.cosine_decay_schedule(P, n),
    )

    def exponential(staircase: bool):
        def formula(t, i, rate, k, b):
            elapsed = jnp.maximum(t - b, 0)
            whole = elapsed // k
            p = fl(whole) if staircase else fl(whole) + fl(elapsed - whole * k) / fl(k)
            return i * jnp.exp(p * jnp.log(rate))

        return formula

    K, B = n // 10, n // 20
    for staircase in (False, True):
        add(
            f"exponential_decay(staircase={staircase})",
            lrjax.exponential_decay(
                P, decay_rate=0.5, transition_steps=K, transition_begin=B, staircase=staircase
            ),
            exponential(staircase),
            [F(P), F(0.5), I(K), I(B)],
            optax.exponential_decay(P, K, 0.5, B, staircase),
        )

    def inverse_time(t, i, rate, k):
        whole = t // k
        return i / (1.0 + rate * (fl(whole) + fl(t - whole * k) / fl(k)))

    add(
        "inverse_time_decay",
        lrjax.inverse_time_decay(P, decay_rate=1.0, decay_steps=n // 10),
        inverse_time,
        [F(P), F(1.0), I(n // 10)],
        no_optax=no_equal,
    )
    tau = n / 100
    add(
        "rsqrt_decay",
        lrjax.rsqrt_decay(P, timescale=tau),
        lambda t, i, s: i * jax.lax.rsqrt(1.0 + fl(t) * (1.0 / s)),
        [F(P), F(tau)],
        no_optax=no_equal,
    )

    def rex(t, i, e, tt):
        left = fl(tt - jnp.minimum(t, tt)) / fl(tt)
        return e + (i - e) * (2.0 * left / (1.0 + left))

    add("rex_decay", lrjax.rex_decay(P, n), rex, [F(P), F(0.0), I(n)], no_optax=no_equal)

    def tanh(t, i, e, tt, lb, ub):
        r = fl(jnp.minimum(t, tt)) / fl(tt)
        top = jnp.tanh(ub)
        return e + (i - e) * (top - jnp.tanh(lb + (ub - lb) * r)) / (top - jnp.tanh(lb))

    add(
        "tanh_decay",
        lrjax.tanh_decay(P, n),
        tanh,
        [F(P), F(0.0), I(n), F(-7.0), F(3.0)],
        no_optax=no_equal,
    )

    # -- piecewise -----------------------------------------------------------------------
    bounds = [n // 5 * k for k in range(1, 5)]
    values = [P, P / 2, P / 4, P / 10, P / 100]

    def pw_constant(t, b, v):
        value = jnp.broadcast_to(v[0], t.shape)
        for k in range(4):
            value = jnp.where(t >= b[k], v[k + 1], value)
        return value

    add(
        "piecewise_constant (5 pieces)",
        lrjax.piecewise_constant(bounds, values),
        pw_constant,
        [I(bounds), F(values)],
        optax.piecewise_constant_schedule(
            P, {b: values[k + 1] / values[k] for k, b in enumerate(bounds)}
        ),
    )
    points = [0, n // 10, n // 2, n]
    heights = [0.0, P, 0.3 * P, 0.0]

    def pw_linear(t, b, v):
        value = jnp.broadcast_to(v[0], t.shape)
        for k in range(3):
            seg = v[k + 1] + (v[k] - v[k + 1]) * fl(b[k + 1] - t) / fl(b[k + 1] - b[k])
            value = jnp.where(t >= b[k], seg, value)
        return jnp.where(t >= b[3], v[3], value)

    add(
        "piecewise_linear (4 points)",
        lrjax.piecewise_linear(points, heights),
        pw_linear,
        [I(points), F(heights)],
        optax.join_schedules(
            [
                optax.linear_schedule(heights[k], heights[k + 1], points[k + 1] - points[k])
                for k in range(3)
            ],
            points[1:3],
        ),
    )
    milestones, gamma = [n // 2, 3 * n // 4, 9 * n // 10], 0.1

    def multistep(t, i, m, g):
        value = jnp.broadcast_to(i, t.shape)
        for k in range(3):
            value = jnp.where(t >= m[k], i * g ** (k + 1), value)
        return value

    add(
        "multistep_decay (3 milestones)",
        lrjax.multistep_decay(P, milestones, gamma),
        multistep,
        [F(P), I(milestones), F(gamma)],
        optax.piecewise_constant_schedule(P, dict.fromkeys(milestones, gamma)),
    )
    add(
        "step_decay",
        lrjax.step_decay(P, n // 10, 0.5),
        lambda t, i, k, g: i * jnp.exp(fl(t // k) * jnp.log(g)),
        [F(P), I(n // 10), F(0.5)],
        optax.exponential_decay(P, n // 10, 0.5, staircase=True),
    )

    # -- combinators ---------------------------------------------------------------------
    piece = n // 10
    starts = [piece * k for k in range(10)]
    peaks = [P * 0.8**k for k in range(10)]

    def join10(t, b, p, length):
        start = jnp.zeros_like(t)
        peak = jnp.broadcast_to(p[0], t.shape)
        for k in range(1, 10):
            after = t >= b[k]
            start = jnp.where(after, b[k], start)
            peak = jnp.where(after, p[k], peak)
        return peak * cos01(jnp.minimum(t - start, length), length)

    add(
        "join_schedules (10 cosines)",
        lrjax.join_schedules([lrjax.cosine_decay(p, piece) for p in peaks], starts[1:]),
        join10,
        [I(starts), F(peaks), I(piece)],
        optax.join_schedules([optax.cosine_decay_schedule(p, piece) for p in peaks], starts[1:]),
    )
    W = n // 100

    def warmup_cosine(t, p, w, tt):
        cosine = p * cos01(jnp.clip(t - w, 0, tt - w), tt - w)
        return jnp.where(t < w, p * fl(t) / fl(w), cosine)

    add(
        "warmup(cosine_decay)",
        lrjax.warmup(lrjax.cosine_decay(P, n - W), W),
        warmup_cosine,
        [F(P), I(W), I(n)],
        optax.warmup_cosine_decay_schedule(0.0, P, W, n),
    )
    L = n // 10

    def cycle1(t, p, period):
        k = t // period
        return p * cos01(t - k * period, period)

    add(
        "cycle(cosine_decay, period)",
        lrjax.cycle(lrjax.cosine_decay(P, L), L),
        cycle1,
        [F(P), I(L)],
        optax.sgdr_schedule([cycle_kwargs(P, P, 0, L)] * 10),
    )

    def geometric_cycle(t, p, period, m, g=None, w=None):
        # Cycle k starts at S_k = period (m**k - 1) / (m - 1) and lasts period m**k, with
        # m traced like lrjax's period_mul (so no bit shifts for m = 2): k from a float
        # log1p, then corrected by one either way against the rounded start and end of
        # the estimated cycle, so that whole-step restarts are exact.
        tf, pf = fl(t), fl(period)
        log_m = jnp.log(m)
        k = jnp.maximum(jnp.floor(jnp.log1p(tf * (m - 1) / pf) / log_m), 0)
        start = jnp.round(pf * jnp.expm1(k * log_m) / (m - 1))
        length = jnp.round(pf + (m - 1) * start)
        previous, following = jnp.round((start - pf) / m), start + length
        early, late = tf < start, tf >= following
        k = jnp.where(early, k - 1, jnp.where(late, k + 1, k))
        next_length = jnp.round(pf + (m - 1) * following)
        length = jnp.where(early, start - previous, jnp.where(late, next_length, length))
        start = jnp.where(early, previous, jnp.where(late, following, start))
        local = (tf - start) * (pf / length)
        if w is None:
            value = p * (0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) / pf * local)))
        else:  # sgdr: a linear warmup over the first w of the period's steps
            wf = fl(w)
            cosine = 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) * (local - wf) / (pf - wf)))
            value = p * jnp.where(local < wf, local / wf, cosine)
        return value if g is None else value * jnp.exp(k * jnp.log(g))

    L2 = n // 20
    add(
        "cycle(cosine_decay, period, period_mul=2)",
        lrjax.cycle(lrjax.cosine_decay(P, L2), L2, period_mul=2.0),
        geometric_cycle,
        [F(P), I(L2), F(2.0)],
        # optax has no cycle combinator; its sgdr_schedule joins the cycles it is given.
        optax.sgdr_schedule([cycle_kwargs(P, P, 0, L2 * 2**k) for k in range(5)]),  # 31 L2 > N
    )
    add(
        "stretch(cosine_decay, 2)",
        lrjax.stretch(lrjax.cosine_decay(P, n // 2), 2.0),
        lambda t, p, tt, f: (
            p * 0.5 * (1.0 + jnp.cos(jnp.float32(np.pi) * jnp.minimum(fl(t) / f, fl(tt)) / fl(tt)))
        ),
        [F(P), I(n // 2), F(2.0)],
        no_optax=no_equal,
    )
    D = n // 10
    add(
        "shift(cosine_decay, N/10)",
        lrjax.shift(lrjax.cosine_decay(P, n - D), D),
        lambda t, p, tt, d: p * cos01(jnp.clip(t - d, 0, tt), tt),
        [F(P), I(n - D), I(D)],
        no_optax=no_equal,
    )
    every = max(n // 1000, 1)
    add(
        "quantize(cosine_decay, N/1000)",
        lrjax.quantize(lrjax.cosine_decay(P, n), every),
        lambda t, p, tt, e: p * cos01(jnp.minimum(t // e * e, tt), tt),
        [F(P), I(n), I(every)],
        no_optax=no_equal,
    )
    K = n // 10
    add(
        "add(cosine_decay, exponential_decay)",
        lrjax.add(
            lrjax.cosine_decay(P, n),
            lrjax.exponential_decay(P / 10, decay_rate=0.5, transition_steps=K),
        ),
        lambda t, p, tt, q, rate, k: (
            p * cos01(jnp.minimum(t, tt), tt) + exponential(False)(t, q, rate, k, 0)
        ),
        [F(P), I(n), F(P / 10), F(0.5), I(K)],
        no_optax="optax has no schedule arithmetic",
    )
    add(
        "multiply(cosine_decay, linear)",
        lrjax.multiply(lrjax.cosine_decay(P, n), lrjax.linear(1.0, 0.1, n)),
        lambda t, p, tt, a, b: (
            p * cos01(jnp.minimum(t, tt), tt) * (b + (a - b) * fl(tt - jnp.minimum(t, tt)) / fl(tt))
        ),
        [F(P), I(n), F(1.0), F(0.1)],
        no_optax="optax has no schedule arithmetic",
    )
    add(
        "clip(cosine_decay, 0.1P, 0.8P)",
        lrjax.clip(lrjax.cosine_decay(P, n), 0.1 * P, 0.8 * P),
        lambda t, p, tt, lo, hi: jnp.clip(p * cos01(jnp.minimum(t, tt), tt), lo, hi),
        [F(P), I(n), F(0.1 * P), F(0.8 * P)],
        no_optax="optax has no schedule arithmetic",
    )
    R = n // 5
    add(
        "minimum(linear ramp, cosine_decay)",
        lrjax.minimum(lrjax.linear(0.0, P, R), lrjax.cosine_decay(P, n)),
        lambda t, p, r, tt: jnp.minimum(
            p * fl(jnp.minimum(t, r)) / fl(r), p * cos01(jnp.minimum(t, tt), tt)
        ),
        [F(P), I(R), I(n)],
        no_optax="optax has no schedule arithmetic",
    )
    add(
        "maximum(cosine_decay, constant)",
        lrjax.maximum(lrjax.cosine_decay(P, n), lrjax.constant(P / 10)),
        lambda t, p, tt, floor: jnp.maximum(p * cos01(jnp.minimum(t, tt), tt), floor),
        [F(P), I(n), F(P / 10)],
        no_optax="optax has no schedule arithmetic",
    )
    add(
        "divide(constant, linear)",
        lrjax.divide(lrjax.constant(P), lrjax.linear(1.0, 10.0, n)),
        lambda t, p, a, b, tt: p / (b + (a - b) * fl(tt - jnp.minimum(t, tt)) / fl(tt)),
        [F(P), F(1.0), F(10.0), I(n)],
        no_optax="optax has no schedule arithmetic",
    )
    add(
        "negate(cosine_decay)",
        lrjax.negate(lrjax.cosine_decay(P, n)),
        lambda t, p, tt: -(p * cos01(jnp.minimum(t, tt), tt)),
        [F(P), I(n)],
        no_optax="optax has no schedule arithmetic",
    )

    # -- presets -------------------------------------------------------------------------
    add(
        "warmup_cosine_decay",
        lrjax.warmup_cosine_decay(P, W, n),
        warmup_cosine,
        [F(P), I(W), I(n)],
        optax.warmup_cosine_decay_schedule(0.0, P, W, n),
    )

    def warmup_poly(t, p, w, tt, power):
        decay = p * (fl(tt - jnp.clip(t, w, tt)) / fl(tt - w)) ** power
        return jnp.where(t < w, p * fl(t) / fl(w), decay)

    add(
        "warmup_linear_decay",
        lrjax.warmup_linear_decay(P, W, n),
        lambda t, p, w, tt: warmup_poly(t, p, w, tt, 1.0),
        [F(P), I(W), I(n)],
        optax.join_schedules(
            [optax.linear_schedule(0.0, P, W), optax.linear_schedule(P, 0.0, n - W)], [W]
        ),
    )
    add(
        "warmup_polynomial_decay(power=2)",
        lrjax.warmup_polynomial_decay(P, W, n, power=2.0),
        warmup_poly,
        [F(P), I(W), I(n), F(2.0)],
        optax.join_schedules(
            [optax.linear_schedule(0.0, P, W), optax.polynomial_schedule(P, 0.0, 2.0, n - W)],
            [W],
        ),
    )
    add(
        "warmup_constant",
        lrjax.warmup_constant(P, W),
        lambda t, p, w: jnp.where(t < w, p * fl(t) / fl(w), p),
        [F(P), I(W)],
        optax.warmup_constant_schedule(0.0, P, W),
    )

    def warmup_exp(t, p, w, rate, k, floor):
        decayed = jnp.maximum(exponential(False)(t, p, rate, k, w), floor)
        return jnp.where(t < w, p * fl(t) / fl(w), decayed)

    add(
        "warmup_exponential_decay",
        lrjax.warmup_exponential_decay(
            P, W, decay_rate=0.5, transition_steps=n // 10, end_value=P / 10
        ),
        warmup_exp,
        [F(P), I(W), F(0.5), I(n // 10), F(P / 10)],
        optax.warmup_exponential_decay_schedule(0.0, P, W, n // 10, 0.5, end_value=P / 10),
    )
    Ww, S, Dd = n // 10, 6 * n // 10, 3 * n // 10

    def wsd(t, p, e, w, s, d):
        decay = e + (p - e) * (1.0 - jnp.sqrt(fl(jnp.clip(t - w - s, 0, d)) / fl(d)))
        return jnp.where(t < w, p * fl(t) / fl(w), jnp.where(t < w + s, p, decay))

    add(
        "warmup_stable_decay(1-sqrt)",
        lrjax.warmup_stable_decay(P, Ww, S, Dd, decay_shape="1-sqrt"),
        wsd,
        [F(P), F(0.0), I(Ww), I(S), I(Dd)],
        no_optax=no_equal,
    )
    Kc = round(0.3 * n)

    def one_cycle(t, p, k, tt, div, final_div):
        low = p / div
        final = low / final_div
        up = low + (p - low) * cos01(k - t, k)
        down = final + (p - final) * cos01(jnp.clip(t, k, tt) - k, tt - k)
        return jnp.where(t < k, up, down)

    add(
        "one_cycle (cosine)",
        lrjax.one_cycle(P, n),
        one_cycle,
        [F(P), I(Kc), I(n), F(25.0), F(1e4)],
        optax.cosine_onecycle_schedule(n, P),
        # optax's piecewise interpolation compares the step with its boundary vector.
        optax_vmap=True,
    )
    U = n // 20
    exp_gamma = 0.1 ** (1 / n)

    def cyclic(mode: str):
        def formula(t, base, top, up, down, g):
            cycle = up + down
            k = t // cycle
            x = t - k * cycle
            h = jnp.where(x <= up, fl(x) / fl(up), fl(cycle - x) / fl(down))
            if mode == "triangular2":
                h = h * jnp.exp2(-fl(k))
            elif mode == "exp_range":
                h = h * jnp.exp(fl(t) * jnp.log(g))
            return base + (top - base) * h

        return formula

    for mode in ("triangular", "triangular2", "exp_range"):
        g = exp_gamma if mode == "exp_range" else 1.0
        add(
            f"cyclic({mode})",
            lrjax.cyclic(P / 10, P, U, mode=mode, gamma=g),
            cyclic(mode),
            [F(P / 10), F(P), I(U), I(U), F(g)],
            no_optax=no_equal,
        )
    Lw = L // 10

    def sgdr1(t, p, period, w):
        local = t - t // period * period
        cosine = p * cos01(jnp.maximum(local - w, 0), period - w)
        return jnp.where(local < w, p * fl(local) / fl(w), cosine)

    add(
        "sgdr(period_mul=1, warmup)",
        lrjax.sgdr(P, L, warmup_steps=Lw),
        sgdr1,
        [F(P), I(L), I(Lw)],
        optax.sgdr_schedule([cycle_kwargs(0.0, P, Lw, L)] * 10),
    )
    cycles = [L2 * 2**k for k in range(5)]
    Lw2 = L2 // 10
    add(
        "sgdr(period_mul=2, value_mul=0.8, warmup)",
        lrjax.sgdr(P, L2, period_mul=2.0, value_mul=0.8, warmup_steps=Lw2),
        geometric_cycle,
        [F(P), I(L2), F(2.0), F(0.8), I(Lw2)],
        optax.sgdr_schedule(
            [cycle_kwargs(0.0, P * 0.8**k, Lw2 * 2**k, c) for k, c in enumerate(cycles)]
        ),
    )
    Wn = max(n // 25, 2)

    def noam(t, scale, w):
        s = fl(t + 1)
        return scale * jnp.minimum(jax.lax.rsqrt(s), s * w**-1.5)

    add(
        "noam(512)",
        lrjax.noam(512, Wn),
        noam,
        [F(512**-0.5), F(Wn)],
        no_optax=no_equal,
    )

    def inverse_sqrt(t, p, w, tau):
        decay = p * jax.lax.rsqrt(1.0 + fl(jnp.maximum(t - w, 0)) * (1.0 / tau))
        return jnp.where(t < w, p * fl(t) / fl(w), decay)

    add(
        "inverse_sqrt",
        lrjax.inverse_sqrt(P, W),
        inverse_sqrt,
        [F(P), I(W), F(W)],
        no_optax=no_equal,
    )
    return out


def covered_factories() -> set[str]:
    """The public factories of lrjax/schedules, lrjax/combinators and lrjax/presets."""
    import inspect

    import lrjax

    roots = ("lrjax.schedules", "lrjax.combinators", "lrjax.presets")
    return {
        name
        for name in lrjax.__all__
        if inspect.isfunction(getattr(lrjax, name))
        and getattr(lrjax, name).__module__.startswith(roots)
    }


def check_close(name: str, what: str, got: Any, want: Any, n: int) -> None:
    """``got`` is ``want`` within 1e-5 of the peak, away from the curve's jumps."""
    import numpy as np

    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != (n,):
        raise RuntimeError(f"bench_families: {name}: {what} has shape {got.shape}, not ({n},)")
    scale = max(float(np.abs(want).max()), 1e-30)
    # A jump is a step to step change above 1 % of the peak; next to one, a float cycle
    # start may differ by a step between two correct computations.
    jump = np.abs(np.diff(want)) > 1e-2 * scale
    near = np.zeros(n, bool)
    for shift in (0, 1):
        near[shift : n - 1 + shift] |= jump
    err = np.where(near, 0.0, np.abs(got - want))
    worst = int(np.argmax(err))
    if not err[worst] <= 1e-5 * scale:
        raise RuntimeError(
            f"bench_families: {name}: {what} differs from the limit at step {worst} of {n}: "
            f"{got[worst]!r} vs {want[worst]!r} (tolerance 1e-5 × peak {scale:.3g})"
        )


def check_extremes(name: str, envelope: Any, want: Any) -> None:
    """The envelope's overall minimum and maximum are the limit's, within 1e-5 of the peak."""
    import numpy as np

    scale = max(float(np.abs(want).max()), 1e-30)
    for what, got, exact in (
        ("minimum", np.min(envelope.min), np.min(want)),
        ("maximum", np.max(envelope.max), np.max(want)),
    ):
        if not abs(float(got) - float(exact)) <= 1e-5 * scale:
            raise RuntimeError(
                f"bench_families: {name}: envelope {what} {float(got)!r} is not the limit's "
                f"{float(exact)!r} (tolerance 1e-5 × peak {scale:.3g})"
            )


def compiled_direct(schedule: Any, n: int) -> tuple[int, int]:
    """Temporary bytes and fusion count of the compiled direct path at n steps."""
    import jax
    import jax.numpy as jnp

    compiled = jax.jit(lambda s: s(jax.lax.iota(jnp.int32, n))).lower(schedule).compile()
    memory = compiled.memory_analysis()
    if memory is None:
        raise RuntimeError("bench_families: this backend gives no memory_analysis()")
    text = compiled.as_text()
    if text is None:
        raise RuntimeError("bench_families: this backend gives no optimised HLO text")
    return int(memory.temp_size_in_bytes), len(FUSION.findall(text))


def variants(family: Family, n: int) -> dict[str, Callable[[], Any]]:
    """name -> zero-argument callable returning the n values as a NumPy array."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    import lrjax

    formula = family.formula
    limit = jax.jit(lambda *hp: formula(jax.lax.iota(jnp.int32, n), *hp))
    direct = jax.jit(lambda s: s(jax.lax.iota(jnp.int32, n)))
    schedule, hp = family.schedule, family.hp
    out = {
        "limit": lambda: np.asarray(limit(*hp)),
        "direct": lambda: np.asarray(direct(schedule)),
        "evaluate": lambda: lrjax.evaluate(schedule, n),
        "envelope": lambda: lrjax.envelope(schedule, n),
    }
    if family.optax is not None:
        optax_jit = jax.jit(jax.vmap(family.optax) if family.optax_vmap else family.optax)
        steps = jax.block_until_ready(jnp.arange(n, dtype=jnp.int32))
        out["optax"] = lambda: np.asarray(optax_jit(steps))
    return out


def odd_length_table(n: int, rounds: int) -> C.Table:
    """Direct path and limit at n + 1 steps (odd) against n steps (even), every family."""
    import jax
    import jax.numpy as jnp

    table = C.Table(
        f"odd length: the direct path and the limit at N + 1 = {n + 1:,} steps against "
        f"N = {n:,} (median of {rounds} interleaved rounds)",
        ["family", "direct N ms", "direct N + 1 ms", "direct ×", "limit N ms", "limit N + 1 ×"],
    )
    ratios: dict[str, list[float]] = {"direct": [], "limit": []}
    for family in families(n):
        schedule, formula, hp = family.schedule, family.formula, family.hp
        calls = {}
        for size in (n, n + 1):
            direct = jax.jit(lambda s, size=size: s(jax.lax.iota(jnp.int32, size)))
            limit = jax.jit(lambda *h, size=size, f=formula: f(jax.lax.iota(jnp.int32, size), *h))
            calls[f"direct {size}"] = lambda d=direct, s=schedule: d(s)
            calls[f"limit {size}"] = lambda lim=limit, h=hp: lim(*h)
        m = C.interleaved(calls, rounds)
        for key, values in ratios.items():
            values.append(m[f"{key} {n + 1}"] / m[f"{key} {n}"])
        table.rows.append(
            [
                family.name,
                f"{m[f'direct {n}'] * 1e3:.3g}",
                f"{m[f'direct {n + 1}'] * 1e3:.3g}",
                C.fmt_ratio(ratios["direct"][-1]),
                f"{m[f'limit {n}'] * 1e3:.3g}",
                C.fmt_ratio(ratios["limit"][-1]),
            ]
        )

    def spread(key: str) -> str:
        median, worst = statistics.median(ratios[key]), max(ratios[key])
        return f"median {C.fmt_ratio(median)}×, worst {C.fmt_ratio(worst)}×"

    table.notes += [
        "×: time at N + 1 over time at N; the limit is the same hand-fused formula as above",
        f"direct path at N + 1: {spread('direct')}; limit at N + 1: {spread('limit')}",
    ]
    return table


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = C.parser((__doc__ or "").splitlines()[0]).parse_args(argv)
    lrjax = C.require_lrjax("evaluate", benchmark="bench_families")
    import jax

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    report = C.Report(
        "families",
        "Every family: direct path and evaluate against the family's own fused limit",
        C.command_line("bench_families.py", args.quick),
        args.quick,
    )
    names = [f.name for f in families(next(iter(sizes)))]

    # Compiled temporaries and fusions of each direct path at 1e7 (compile only).
    temps: dict[str, tuple[int, int]] = {
        f.name: compiled_direct(f.schedule, TEMPS_N) for f in families(TEMPS_N)
    }

    times: dict[tuple[str, int], dict[str, float]] = {}
    for n, rounds in sizes.items():
        for family in families(n):
            calls = variants(family, n)
            if n <= CHECK_MAX_N:
                # The first call of each variant is its warm-up; its values are checked.
                want = C.block(calls["limit"]())
                for key, fn in calls.items():
                    if key == "envelope":
                        check_extremes(family.name, fn(), want)
                    elif key != "limit":
                        check_close(family.name, key, C.block(fn()), want, n)
                del want
                warmup = 0
            else:
                warmup = 1
            times[family.name, n] = C.interleaved(calls, rounds=rounds, warmup=warmup)
            del calls

    optax_of = {f.name: f for f in families(next(iter(sizes)))}
    headers = [
        "family",
        "N",
        "direct path ms",
        "evaluate ms",
        "limit ms",
        "direct ×limit",
        "evaluate ×limit",
        "optax × (direct / optax)",
        "envelope ×evaluate",
        f"temps MiB @{C.fmt_sci(TEMPS_N)}",
        "fusions",
    ]
    table = C.Table(
        "time per call (median of interleaved rounds; rounds per size: "
        + ", ".join(f"{C.fmt_sci(n)}: {r}" for n, r in sizes.items())
        + f"); device {jax.devices()[0]}",
        headers,
    )
    ratio: dict[tuple[str, str, int], float] = {}
    for name in names:
        temp, fusions = temps[name]
        for n in sizes:
            m = times[name, n]
            for key in ("direct", "evaluate", "optax"):
                if key in m:
                    ratio[key, name, n] = m[key] / m["limit"]
            vs_optax = (
                C.fmt_ratio(m["direct"] / m["optax"])
                + (" (optax jit(vmap))" if optax_of[name].optax_vmap else "")
                if "optax" in m
                else f"– ({optax_of[name].no_optax})"
            )
            if "optax" in m:
                ratio["direct/optax", name, n] = m["direct"] / m["optax"]
            ratio["envelope/evaluate", name, n] = m["envelope"] / m["evaluate"]
            table.rows.append(
                [
                    name,
                    C.fmt_sci(n),
                    f"{m['direct'] * 1e3:.3g}",
                    f"{m['evaluate'] * 1e3:.3g}",
                    f"{m['limit'] * 1e3:.3g}",
                    C.fmt_ratio(ratio["direct", name, n]),
                    C.fmt_ratio(ratio["evaluate", name, n]),
                    vs_optax,
                    C.fmt_ratio(ratio["envelope/evaluate", name, n]),
                    f"{temp / C.MiB:.2f}",
                    str(fusions),
                ]
            )
    report.tables.append(odd_length_table(ODD_N[args.quick], ODD_ROUNDS[args.quick]))
    missing = sorted(covered_factories() - set(FACTORY_ROWS))
    table.notes += [
        "limit: the family's own hand-fused jnp formula under jax.jit, hyperparameters "
        "traced, steps from lax.iota inside; every variant returns NumPy (np.asarray)",
        "every variant agrees with the limit within 1e-5 × the peak away from the curve's "
        f"jumps at every N ≤ {C.fmt_sci(CHECK_MAX_N)} (checked on the warm-up call)",
        f"temps: temp_size_in_bytes of the compiled direct path at N = {C.fmt_sci(TEMPS_N)}; "
        "fusions: fusion instructions in its optimised HLO",
        "public factories without a row: " + (", ".join(missing) if missing else "none"),
        "every call returns a new array (381 MiB at 1e8), and the first touch of fresh memory "
        "is part of its time: NumPy's output (evaluate) asks Linux for 2 MiB pages, which "
        "come fast while whole 2 MiB blocks are free (np.empty and a fill of 1e8 float32: "
        "42 ms) and slowly once the other variants' XLA buffers, in 4 KiB pages (170 ms for "
        "the same), have broken them up (0.3-0.9 s): at 1e8, evaluate's ratios move by up "
        "to 2x between runs for this reason (evaluate alone, repeated: 0.86x the direct "
        "path for warmup-cosine at 1e8 on one core)",
    ]
    report.tables.append(table)
    report.notes.append(
        "machine: "
        + "; ".join(f"{k} {v}" for k, v in C.machine().items())
        + f"; device {jax.devices()[0]}; lrjax {getattr(lrjax, '__version__', '?')}"
    )

    full = not args.quick
    big = [n for n in sizes if n >= 10**7]

    def ratio_target(what: str, target: str, key: str, bound: float, of: str) -> C.Target:
        """The worst ``key`` ratio over the families at 1e7 and 1e8, and those above ``bound``."""
        pairs = [
            (ratio[key, name, n], name, n) for name in names for n in big if (key, name, n) in ratio
        ]
        failing = sorted({name for r, name, _ in pairs if r > bound})
        worst = max(pairs) if pairs else None
        measured = (
            f"worst {C.fmt_ratio(worst[0])}× ({worst[1]} at {C.fmt_sci(worst[2])}); "
            f"{len(failing)}{of} over: " + (", ".join(failing) or "none")
            if worst
            else "not run (--quick measures 1e5 only)"
        )
        return C.Target(what, target, measured, not failing if full and worst else None)

    for key, label in (("direct", "direct path"), ("evaluate", "evaluate")):
        report.targets.append(
            ratio_target(
                f"{label}, every family ({len(names)}), 1e7 and 1e8 steps",
                f"≤ {LIMIT_TARGET}× the family's own fused limit",
                key,
                LIMIT_TARGET,
                f" of {len(names)}",
            )
        )
    with_optax = sum(1 for f in optax_of.values() if f.optax is not None)
    report.targets.append(
        ratio_target(
            f"direct path where optax has the family ({with_optax}), 1e7 and 1e8 steps",
            f"≤ {OPTAX_TARGET}× optax's jitted schedule",
            "direct/optax",
            OPTAX_TARGET,
            "",
        )
    )
    report.targets.append(
        ratio_target(
            f"envelope, every family ({len(names)}), 1e7 and 1e8 steps",
            f"≤ {ENVELOPE_TARGET}× evaluate over the same steps",
            "envelope/evaluate",
            ENVELOPE_TARGET,
            f" of {len(names)}",
        )
    )
    over = sorted(name for name in names if temps[name][0] > TEMPS_TARGET)
    report.targets.append(
        C.Target(
            f"direct path temporaries at {C.fmt_sci(TEMPS_N)} steps, every family",
            "≤ 1 MiB (no step-sized temporaries)",
            f"largest {max(t for t, _ in temps.values()) / C.MiB:.2f} MiB; "
            f"{len(over)} of {len(names)} over: " + (", ".join(over) or "none"),
            not over,
        )
    )
    C.finish(report, args.json, started)


# Public factories each row exercises (the check that no family is skipped silently).
FACTORY_ROWS = {
    "constant", "linear", "polynomial", "cosine_decay", "exponential_decay",
    "inverse_time_decay", "rsqrt_decay", "rex_decay", "tanh_decay", "piecewise_constant",
    "piecewise_linear", "multistep_decay", "step_decay", "join_schedules", "warmup", "cycle",
    "stretch", "shift", "quantize", "add", "multiply", "clip", "minimum", "maximum", "divide",
    "negate", "warmup_cosine_decay", "warmup_linear_decay", "warmup_polynomial_decay",
    "warmup_constant", "warmup_exponential_decay", "warmup_stable_decay", "one_cycle",
    "cyclic", "sgdr", "noam", "inverse_sqrt",
}  # fmt: skip


if __name__ == "__main__":
    main()
