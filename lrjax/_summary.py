"""Summaries of a schedule over a run: peak, final value, mean, area, level crossings.

Computed in chunks by one jitted kernel per schedule structure that reduces each chunk on
the device (maximum and minimum with their first steps, partial sums) and returns the
chunk's values as a view, which the host reads only where a level is crossed. Memory is
independent of the number of steps; sums accumulate in float64 on the host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._base import AbstractSchedule
from ._dtypes import float_dtype, int_dtype
from ._evaluate import _values, as_count, chunk_steps, unwrap

_SUM_TILE = 128


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a schedule does over ``num_steps`` steps (see :func:`summarize`).

    Attributes:
      num_steps: the number of steps summarized (``0 .. num_steps - 1``).
      peak_value: the largest value.
      peak_step: the first step where it is reached.
      min_value: the smallest value.
      min_step: the first step where it is reached.
      initial_value: the value at step 0.
      final_value: the value at the last step, ``num_steps - 1``.
      mean: the mean value over the steps.
      area: the sum of the values over the steps, the "LR budget" (area under the
        curve with one unit of width per step).
      crossings: for each level, the steps ``t`` where the value crosses it, that is
        where ``s(t - 1) >= level`` differs from ``s(t) >= level`` (at most
        ``max_crossings`` of them, the first ones).
      num_crossings: for each level, how many crossings there are in all.
      boundaries: the schedule's phase boundaries below ``num_steps``.
    """

    num_steps: int
    peak_value: float
    peak_step: int
    min_value: float
    min_step: int
    initial_value: float
    final_value: float
    mean: float
    area: float
    crossings: dict[float, tuple[int, ...]]
    num_crossings: dict[float, int]
    boundaries: tuple[int, ...]

    def rows(self) -> list[tuple[str, str]]:
        """``(name, value)`` rows of a readable table."""
        rows = [
            ("steps", f"{self.num_steps:,}"),
            ("initial value", f"{self.initial_value:.6g}"),
            ("peak value", f"{self.peak_value:.6g} at step {self.peak_step:,}"),
            ("min value", f"{self.min_value:.6g} at step {self.min_step:,}"),
            ("final value", f"{self.final_value:.6g}"),
            ("mean", f"{self.mean:.6g}"),
            ("area (LR budget)", f"{self.area:.6g}"),
        ]
        if self.boundaries:
            shown = ", ".join(f"{b:,}" for b in self.boundaries[:8])
            more = f", ... ({len(self.boundaries)} in all)" if len(self.boundaries) > 8 else ""
            rows.append(("phase boundaries", shown + more))
        for level, steps in self.crossings.items():
            total = self.num_crossings[level]
            shown = ", ".join(f"{s:,}" for s in steps[:8]) or "never"
            more = f", ... ({total} in all)" if total > min(len(steps), 8) else ""
            rows.append((f"crosses {level:g} at", shown + more))
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _summary_kernel(
    schedule: AbstractSchedule,
    start: jax.Array,
    count: jax.Array,
    levels: jax.Array,
    size: int,
) -> tuple[jax.Array, ...]:
    local = lax.iota(start.dtype, size)
    t = start + local
    values = _values(schedule, t, 0)
    valid = local < count
    inf = jnp.asarray(jnp.inf, values.dtype)
    high = jnp.where(valid, values, -inf)
    low = jnp.where(valid, values, inf)
    sums = jnp.where(valid, values, 0).reshape(size // _SUM_TILE, _SUM_TILE).sum(axis=-1)
    # Crossings inside the chunk; the one between chunks is checked on the host.
    above = values[None, 1:] >= levels[:, None]
    was_above = values[None, :-1] >= levels[:, None]
    crossed = (above != was_above) & valid[None, 1:]
    return (
        values,
        jnp.max(high),
        jnp.argmax(high),
        jnp.min(low),
        jnp.argmin(low),
        sums,
        jnp.sum(crossed, axis=-1),
    )


_summary = jax.jit(_summary_kernel, static_argnames=("size",))


def summarize(
    schedule: Any,
    num_steps: int,
    levels: Sequence[float] = (),
    *,
    max_crossings: int = 100,
    chunk_size: int | None = None,
) -> Summary:
    r"""Peak, final value, mean, area and level crossings of a schedule over a run.

    Over the steps :math:`t = 0 .. N - 1`: the peak :math:`\max_t \eta(t)` and its first
    step, the minimum, :math:`\eta(0)`, :math:`\eta(N - 1)`, the mean, the area
    :math:`\sum_t \eta(t)` (the total "learning-rate budget" of the run) and, for each
    level :math:`L`, the steps where :math:`[\eta(t-1) \ge L] \ne [\eta(t) \ge L]`.

    Computed in chunks with device-side reductions and float64 accumulation, so memory
    does not depend on :math:`N`, and the kernel compiles once per schedule structure.

    Args:
      schedule: an lrjax schedule or a plain callable (not a batched one: summarize the
        members of a sweep one by one, ``sweep.member(i)``).
      num_steps: the length of the run :math:`N`; ``>= 1``.
      levels: values whose crossings to report.
      max_crossings: how many crossing steps to keep per level (all are counted).
      chunk_size: steps per kernel call (default ``2**20``).

    Returns:
      A :class:`Summary`; ``str(summary)`` is a readable table.

    Examples:
      >>> s = lrjax.warmup(lrjax.linear(1.0, 0.0, 100), 100)
      >>> info = lrjax.summarize(s, 200, levels=[0.5])
      >>> info.peak_value, info.peak_step, f"{info.area:.2f}", info.crossings
      (1.0, 100, '99.50', {0.5: (50, 150)})
    """
    f = "summarize"
    schedule, batch = unwrap(schedule, f)
    if batch:
        raise ValueError(
            f"{f}: the schedule is batched with shape {batch}; summarize one member at a time "
            "(sweep.member(i), or index the stacked leaves)"
        )
    n = as_count(f, "num_steps", num_steps)
    if n < 1:
        raise ValueError(f"{f}(num_steps={num_steps!r}): num_steps must be >= 1")
    if isinstance(max_crossings, bool) or not isinstance(max_crossings, int) or max_crossings < 0:
        raise ValueError(f"{f}(max_crossings={max_crossings!r}): must be an int >= 0")
    level_list = [float(x) for x in np.atleast_1d(np.asarray(levels, np.float64))]
    if not all(np.isfinite(level_list)):
        raise ValueError(f"{f}(levels={levels!r}): levels must be finite numbers")
    level_array = np.asarray(level_list, float_dtype())
    size = chunk_steps((), chunk_size)
    size = -(-size // _SUM_TILE) * _SUM_TILE
    dtype = int_dtype()

    peak, peak_step = -np.inf, 0
    low, low_step = np.inf, 0
    area = 0.0
    found: list[list[int]] = [[] for _ in level_list]
    counts = np.zeros(len(level_list), np.int64)
    initial = final = float("nan")

    def read(position: int, out: tuple[jax.Array, ...]) -> None:
        nonlocal peak, peak_step, low, low_step, area, initial, final
        values, hi, hi_at, lo, lo_at, sums, crossed = (np.asarray(x) for x in out)
        k = min(size, n - position)
        if position == 0:
            initial = float(values[0])
        if position + k == n:
            final = float(values[k - 1])
        # Strict comparisons keep the first step of a tie; NaN never wins.
        if float(hi) > peak or (np.isnan(hi) and not np.isnan(peak)):
            peak, peak_step = float(hi), position + int(hi_at)
        if float(lo) < low or (np.isnan(lo) and not np.isnan(low)):
            low, low_step = float(lo), position + int(lo_at)
        area += float(np.sum(sums, dtype=np.float64))
        counts[:] += crossed
        if position:
            edge = [(values[0] >= lv) != (last[0] >= lv) for lv in level_list]
            counts[:] += np.asarray(edge, np.int64)
            crossed = crossed + np.asarray(edge, np.int64)
        for i, level in enumerate(level_list):
            need = max_crossings - len(found[i])
            if crossed[i] and need > 0:
                t0 = max(position, 1)
                prev = values[t0 - position - 1 : k - 1] if t0 > position else None
                if prev is None:
                    # The first step of this chunk compares with the previous chunk.
                    prev = np.concatenate([[last[0]], values[: k - 1]])
                cur = values[t0 - position : k]
                hits = np.flatnonzero((cur >= level) != (prev >= level))[:need]
                found[i].extend(int(t0 + h) for h in hits)
        last[0] = values[k - 1]

    last = [np.float64(np.nan)]
    pending: list[tuple[int, tuple[jax.Array, ...]]] = []
    for position in range(0, n, size):
        start = np.asarray(position, dtype)
        count = np.asarray(min(size, n - position), dtype)
        pending.append((position, _summary(schedule, start, count, level_array, size=size)))
        if len(pending) >= 2:
            read(*pending.pop(0))
    for item in pending:
        read(*item)

    try:
        boundaries = tuple(int(b) for b in schedule.phase_boundaries(n) if 0 < b < n)
    except Exception:  # a user schedule with a broken phase_boundaries: no annotations
        boundaries = ()
    return Summary(
        num_steps=n,
        peak_value=peak,
        peak_step=peak_step,
        min_value=low,
        min_step=low_step,
        initial_value=initial,
        final_value=final,
        mean=area / n,
        area=area,
        crossings={lv: tuple(found[i]) for i, lv in enumerate(level_list)},
        num_crossings={lv: int(counts[i]) for i, lv in enumerate(level_list)},
        boundaries=boundaries,
    )
