"""Summaries of a schedule over a run: peak, final value, mean, area, level crossings.

Computed in chunks by the kernel that also serves :func:`lrjax.envelope` (one compile per
schedule structure for both): it reduces each chunk to per-tile minima, maxima and sums on
the device and returns the chunk's values as a view, which the host reads to locate the
extremes and level crossings. Memory is independent of the number of steps; sums
accumulate in float64 on the host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from lrjax.core.dtypes import float_dtype
from lrjax.tools.evaluate import (
    PROFILE_TILE,
    Envelope,
    EnvelopeBuilder,
    as_count,
    profile_chunks,
    unwrap,
)


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


def _first(values: np.ndarray, target: float) -> int:
    """The first index holding ``target`` (NaN matches NaN)."""
    hits = np.isnan(values) if np.isnan(target) else values == target
    return int(np.argmax(hits))


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
      (1.0, 100, '100.00', {0.5: (50, 151)})
    """
    summary, _ = summarize_with_envelope(
        schedule, num_steps, levels, max_crossings=max_crossings, chunk_size=chunk_size
    )
    return summary


def summarize_with_envelope(
    schedule: Any,
    num_steps: int,
    levels: Sequence[float] = (),
    *,
    max_crossings: int = 100,
    chunk_size: int | None = None,
    num_bins: int | None = None,
) -> tuple[Summary, Envelope | None]:
    """:func:`summarize`, plus the :func:`lrjax.envelope` from the same pass if ``num_bins``."""
    f = "summarize"
    schedule, batch = unwrap(schedule, f)
    if batch:
        raise ValueError(
            f"{f}: the schedule is batched with shape {batch}; summarize one member at a time "
            "(sweep.member(i), or index the stacked leaves)"
        )
    n = as_count(f, "num_steps", num_steps, minimum=1)
    if isinstance(max_crossings, bool) or not isinstance(max_crossings, int) or max_crossings < 0:
        raise ValueError(f"{f}(max_crossings={max_crossings!r}): must be an int >= 0")
    level_list = [float(x) for x in np.atleast_1d(np.asarray(levels, np.float64))]
    if not all(np.isfinite(level_list)):
        raise ValueError(f"{f}(levels={levels!r}): levels must be finite numbers")
    level_array = np.asarray(level_list, float_dtype())

    peak, peak_step = -np.inf, 0
    low, low_step = np.inf, 0
    area = 0.0
    found: list[list[int]] = [[] for _ in level_list]
    counts = np.zeros(len(level_list), np.int64)
    initial = final = float("nan")
    last = None
    tile = PROFILE_TILE
    builder = None if num_bins is None else EnvelopeBuilder(f, schedule, (), n, num_bins)
    for position, k, out in profile_chunks(schedule, (), n, chunk_size):
        if builder is not None:
            builder.add(position, k, out)
        values = np.asarray(out.values)[:k]
        used = -(-k // tile)
        tile_max = np.asarray(out.tile_max)[:used]
        tile_min = np.asarray(out.tile_min)[:used]
        if position == 0:
            initial = float(values[0])
        if position + k == n:
            final = float(values[-1])
        # The first step of the extreme: its tile, then its place in the tile. Strict
        # comparisons keep the earliest step of a tie; a NaN value wins (and shows).
        hi, lo = np.max(tile_max), np.min(tile_min)
        if hi > peak or (np.isnan(hi) and not np.isnan(peak)):
            j = int(np.argmax(tile_max))
            peak, peak_step = float(hi), position + j * tile + _first(values[j * tile :], hi)
        if lo < low or (np.isnan(lo) and not np.isnan(low)):
            j = int(np.argmin(tile_min))
            low, low_step = float(lo), position + j * tile + _first(values[j * tile :], lo)
        area += float(np.sum(np.asarray(out.tile_sum)[:used], dtype=np.float64))
        # Steps t where s(t - 1) and s(t) fall on different sides of a level.
        if level_list:
            head = values[:1] if last is None else np.asarray([last], values.dtype)
            previous = np.concatenate([head, values[:-1]])
        for i, level in enumerate(level_array):
            flips = np.flatnonzero((values >= level) != (previous >= level))
            counts[i] += flips.size
            need = max_crossings - len(found[i])
            found[i].extend(int(position + h) for h in flips[:need])
        last = values[-1]

    try:
        boundaries = tuple(int(b) for b in schedule.phase_boundaries(n) if 0 < b < n)
    except Exception:  # a user schedule with a broken phase_boundaries: no annotations
        boundaries = ()
    summary = Summary(
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
    return summary, None if builder is None else builder.result()
