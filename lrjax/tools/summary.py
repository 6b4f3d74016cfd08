"""Summaries of a schedule over a run: peak, last and end values, mean, area, crossings.

Computed in chunks by the kernel that also serves :func:`lrjax.envelope` (one compile per
schedule structure for both): it reduces each chunk to per-tile minima, maxima and sums on
the device and returns the chunk's values as a view, which the host reads to locate the
extremes and level crossings. Memory is independent of the number of steps; sums
accumulate in float64 on the host.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from lrjax.core.dtypes import float_dtype, int_max
from lrjax.tools.evaluate import (
    PROFILE_CHUNK_SIZE,
    PROFILE_TILE,
    Envelope,
    EnvelopeBuilder,
    as_count,
    evaluate,
    flat_values,
    member_group,
    member_slices,
    profile_chunks,
    profile_steps,
    unwrap,
)

if TYPE_CHECKING:
    from lrjax.tools.sweep import Sweep

DEFAULT_HORIZON = 1000
"""Steps shown for an open-ended schedule that knows no phase boundary (see
:func:`natural_horizon`)."""


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a schedule does over ``num_steps`` steps (see :func:`summarize`).

    Attributes:
      num_steps: the number of steps summarized (``0 .. num_steps - 1``).
      peak_value: the largest value.
      peak_step: where it is reached: the first phase start (step 0 or a phase boundary)
        among the steps that hold it from its first step on without a break, else that
        first step. A phase peaks at its boundary (one-cycle's warmup ends there), and
        float32 rounds a smooth approach to a maximum to the maximum itself for some steps
        before it (186 steps before one-cycle's peak at step 1,200,000 of 4,000,000).
      min_value: the smallest value.
      min_step: the first step where it is reached.
      initial_value: the value at step 0.
      final_value: the value at the last step of the run, ``num_steps - 1``.
      end_value: the value the run ends at: the value at step ``num_steps``, the first
        step after the run (at the largest step when ``num_steps`` is past it). A schedule
        of ``num_steps`` total steps has finished there (a decay to 0 shows 0, where
        ``final_value`` shows its last step's small remainder).
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
    end_value: float
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
            ("last step value", f"{self.final_value:.6g} at step {self.num_steps - 1:,}"),
            ("end value", f"{self.end_value:.6g} at step {self.num_steps:,} (after the run)"),
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


@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What each member of a batched schedule or sweep does over ``num_steps`` steps (see
    :func:`summarize`): every field an array of the batch shape (``levels`` last where it
    has a level axis).

    Attributes:
      num_steps: the number of steps summarized.
      peak_value, peak_step: each member's largest value and the first step reaching it (a
        single schedule's summary moves the peak step to a phase start its float32 ties run
        into; a member's is the first tied step).
      min_value, min_step: each member's smallest value and the first step reaching it.
      initial_value, final_value, end_value: each member's values at steps ``0``,
        ``num_steps - 1`` and ``num_steps`` (as in :class:`Summary`).
      mean, area: each member's mean and sum over the steps.
      levels: the levels asked for.
      first_crossing: ``(*batch, len(levels))``: the first step where each member crosses
        each level (as in :class:`Summary`), or -1 where it never does.
      num_crossings: ``(*batch, len(levels))``: how many crossings in all.
    """

    num_steps: int
    peak_value: np.ndarray
    peak_step: np.ndarray
    min_value: np.ndarray
    min_step: np.ndarray
    initial_value: np.ndarray
    final_value: np.ndarray
    end_value: np.ndarray
    mean: np.ndarray
    area: np.ndarray
    levels: tuple[float, ...]
    first_crossing: np.ndarray
    num_crossings: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """The batch shape."""
        return self.peak_value.shape


def _summarize_members(
    schedule: Any,
    batch: tuple[int, ...],
    n: int,
    level_list: list[float],
    levels: np.ndarray,
    chunk_size: int | None,
) -> SweepSummary:
    """:func:`summarize` of every member at once, a group of members per kernel call (so
    memory is one chunk whatever the number of members), vectorised over members."""
    members, nl = int(np.prod(batch)), len(levels)
    peak = np.full(members, -np.inf)
    low = np.full(members, np.inf)
    peak_step = np.zeros(members, np.int64)
    low_step = np.zeros(members, np.int64)
    area = np.zeros(members)
    initial, final = np.zeros(members), np.zeros(members)
    first = np.full((members, nl), -1, np.int64)
    counts = np.zeros((members, nl), np.int64)
    size = profile_steps(batch, chunk_size)
    group = member_group(batch, size, chunk_size, PROFILE_CHUNK_SIZE)
    tile = PROFILE_TILE
    for start, count, part in member_slices(schedule, batch, group):
        rows = slice(start, start + count)
        last = None
        for position, k, out in profile_chunks(part, (group,), n, chunk_size):
            values = flat_values(out)[:count, :k]
            used = -(-k // tile)
            area[rows] += np.sum(np.asarray(out.tile_sum)[:count, :used], axis=1, dtype=np.float64)
            if position == 0:
                initial[rows] = values[:, 0]
            if position + k == n:
                final[rows] = values[:, -1]
            # The first step of a new extreme: the first column equal to the chunk's extreme.
            hi, lo = values.max(axis=1), values.min(axis=1)
            up, down = hi > peak[rows], lo < low[rows]
            peak[rows] = np.where(up, hi, peak[rows])
            low[rows] = np.where(down, lo, low[rows])
            at_hi = position + np.argmax(values == hi[:, None], axis=1)
            at_lo = position + np.argmax(values == lo[:, None], axis=1)
            peak_step[rows] = np.where(up, at_hi, peak_step[rows])
            low_step[rows] = np.where(down, at_lo, low_step[rows])
            if nl:
                head = values[:, :1] if last is None else last
                previous = np.concatenate([head, values[:, :-1]], axis=1)
                for i, level in enumerate(levels):
                    flips = (values >= level) != (previous >= level)
                    counts[rows, i] += flips.sum(axis=1)
                    hit = flips.any(axis=1) & (first[rows, i] < 0)
                    first[rows, i] = np.where(
                        hit, position + np.argmax(flips, axis=1), first[rows, i]
                    )
            last = values[:, -1:]
    end = np.asarray(evaluate(schedule, np.asarray([min(n, int_max())])), np.float64)
    shaped = lambda x: x.reshape(batch + x.shape[1:])  # noqa: E731
    return SweepSummary(
        num_steps=n,
        peak_value=shaped(peak),
        peak_step=shaped(peak_step),
        min_value=shaped(low),
        min_step=shaped(low_step),
        initial_value=shaped(initial),
        final_value=shaped(final),
        end_value=end.reshape(batch),
        mean=shaped(area / n),
        area=shaped(area),
        levels=tuple(level_list),
        first_crossing=shaped(first),
        num_crossings=shaped(counts),
    )


def _first(values: np.ndarray, target: float) -> int:
    """The first index holding ``target`` (NaN matches NaN)."""
    hits = np.isnan(values) if np.isnan(target) else values == target
    return int(np.argmax(hits))


def _peak_run(
    values: np.ndarray,
    position: int,
    start: int,
    peak: float,
    starts: Sequence[int],
    phase_peak: int | None,
) -> tuple[bool, int | None]:
    """Follow the run of steps equal to ``peak`` from ``start`` in the chunk at ``position``:
    whether it reaches the chunk's end, and the first phase start in the run so far."""
    rest = values[start - position :]
    equal = np.isnan(rest) if np.isnan(peak) else rest == peak
    length = len(equal) if bool(np.all(equal)) else int(np.argmin(equal))
    if phase_peak is None:
        i = bisect.bisect_left(starts, start)
        if i < len(starts) and starts[i] < start + length:
            phase_peak = starts[i]
    return length == len(equal), phase_peak


@overload
def summarize(
    schedule: Sweep,
    num_steps: int,
    levels: Sequence[float] = (),
    *,
    max_crossings: int = 100,
    chunk_size: int | None = None,
) -> SweepSummary: ...


@overload
def summarize(
    schedule: Any,
    num_steps: int,
    levels: Sequence[float] = (),
    *,
    max_crossings: int = 100,
    chunk_size: int | None = None,
) -> Summary: ...


def summarize(
    schedule: Any,
    num_steps: int,
    levels: Sequence[float] = (),
    *,
    max_crossings: int = 100,
    chunk_size: int | None = None,
) -> Summary | SweepSummary:
    r"""Peak, last and end values, mean, area and level crossings of a schedule over a run.

    Over the steps :math:`t = 0 .. N - 1`: the peak :math:`\max_t \eta(t)` and where it is
    reached (a phase start its float32 ties run into, else its first step: see
    :class:`Summary`), the minimum, :math:`\eta(0)`, the last step's :math:`\eta(N - 1)`, the
    end value :math:`\eta(N)` (where a schedule of :math:`N` total steps has ended), the mean,
    the area :math:`\sum_t \eta(t)` (the total "learning-rate budget" of the run) and, for each
    level :math:`L`, the steps where :math:`[\eta(t-1) \ge L] \ne [\eta(t) \ge L]`.

    Computed in chunks with device-side reductions and float64 accumulation, so memory
    does not depend on :math:`N`, and the kernel compiles once per schedule structure.

    A batched schedule or a sweep gives a :class:`SweepSummary`: the same figures for every
    member as arrays of the batch shape, computed a group of members per kernel call, so
    memory stays bounded at any number of members.

    Args:
      schedule: an lrjax schedule, a plain callable, a batched schedule or a sweep.
      num_steps: the length of the run :math:`N`; ``>= 1``.
      levels: values whose crossings to report.
      max_crossings: how many crossing steps to keep per level (all are counted).
      chunk_size: steps per kernel call (default ``2**20``).

    Returns:
      A :class:`Summary` (``str(summary)`` is a readable table), or for a sweep or a batched
      schedule a :class:`SweepSummary` (typed for a :class:`lrjax.Sweep`; a stacked schedule
      is typed as one schedule).

    Examples:
      >>> s = lrjax.warmup(lrjax.linear(1.0, 0.0, 100), 100)
      >>> info = lrjax.summarize(s, 200, levels=[0.5])
      >>> info.peak_value, info.peak_step, f"{info.area:.2f}", info.crossings
      (1.0, 100, '100.00', {0.5: (50, 151)})
      >>> sw = lrjax.sweep(lambda peak: lrjax.cosine_decay(peak, 100), peak=[1.0, 2.0, 4.0])
      >>> print(lrjax.summarize(sw, 200).area.round(1))
      [ 50.5 101.  202. ]
    """
    members, batch = unwrap(schedule, "summarize")
    if batch:
        n = as_count("summarize", "num_steps", num_steps, minimum=1)
        level_list, level_array = _levels("summarize", levels)
        return _summarize_members(members, batch, n, level_list, level_array, chunk_size)
    summary, _ = summarize_with_envelope(
        schedule, num_steps, levels, max_crossings=max_crossings, chunk_size=chunk_size
    )
    return summary


def _levels(f: str, levels: Sequence[float]) -> tuple[list[float], np.ndarray]:
    """The levels as given (Python floats, the summary's keys) and as an array of the
    default float dtype (what the values are compared with), each checked finite."""
    level_list = [float(x) for x in np.atleast_1d(np.asarray(levels, np.float64))]
    if not all(np.isfinite(level_list)):
        raise ValueError(f"{f}(levels={levels!r}): levels must be finite numbers")
    return level_list, np.asarray(level_list, float_dtype())


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
            f"{f}: the schedule is batched with shape {batch}; summarize() gives every "
            "member's figures (a SweepSummary), or take one member (sweep.member(i))"
        )
    n = as_count(f, "num_steps", num_steps, minimum=1)
    if isinstance(max_crossings, bool) or not isinstance(max_crossings, int) or max_crossings < 0:
        raise ValueError(f"{f}(max_crossings={max_crossings!r}): must be an int >= 0")
    level_list, level_array = _levels(f, levels)

    try:
        boundaries = tuple(int(b) for b in schedule.phase_boundaries(n) if 0 < b < n)
    except Exception:  # a user schedule with a broken phase_boundaries: no annotations
        boundaries = ()
    starts = (0, *boundaries)
    peak, peak_step = -np.inf, 0
    # The run of steps holding the peak from its first step: whether it reaches the end of
    # the steps read so far, and the first phase start in it (the peak step reported).
    run_open, phase_peak = False, None
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
        values = flat_values(out)[:k]
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
            run_open, phase_peak = _peak_run(values, position, peak_step, peak, starts, None)
        elif run_open:
            run_open, phase_peak = _peak_run(values, position, position, peak, starts, phase_peak)
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

    # The first step after the run (the largest step if that is past it): where a schedule
    # of n total steps has ended.
    end = float(evaluate(schedule, np.asarray([min(n, int_max())]))[0])
    summary = Summary(
        num_steps=n,
        peak_value=peak,
        peak_step=peak_step if phase_peak is None else phase_peak,
        min_value=low,
        min_step=low_step,
        initial_value=initial,
        final_value=final,
        end_value=end,
        mean=area / n,
        area=area,
        crossings={lv: tuple(found[i]) for i, lv in enumerate(level_list)},
        num_crossings={lv: int(counts[i]) for i, lv in enumerate(level_list)},
        boundaries=boundaries,
    )
    return summary, None if builder is None else builder.result()


def natural_horizon(schedule: Any) -> tuple[int, bool]:
    """The number of steps a schedule is naturally shown over, and whether it ends there.

    A schedule that is constant from its last phase boundary :math:`B` on (a preset with
    ``total_steps``, a decay of ``decay_steps``, a join) ends at :math:`B`: its horizon is
    :math:`B` steps, ``0 .. B - 1``, and its end value is :math:`\\eta(B)`. "Constant" is
    checked at :math:`B, B + 1, 2B, 10B, 1000B` and the largest step. An open-ended
    schedule is shown over ten times its first phase boundary, or through its fourth if
    that is later (four restarts of a cycle); one without phase boundaries (a constant,
    an exponential decay, a plain callable) over :data:`DEFAULT_HORIZON` steps.

    Args:
      schedule: an lrjax schedule or a plain callable (one member, not a batch).

    Returns:
      ``(num_steps, finite)``: the horizon, and whether the schedule ends there.

    Examples:
      >>> from lrjax.tools.summary import natural_horizon
      >>> natural_horizon(lrjax.warmup_cosine_decay(1.0, 100, 10_000))
      (10000, True)
      >>> natural_horizon(lrjax.sgdr(peak_value=1.0, period=10, period_mul=2.0))
      (150, False)
      >>> natural_horizon(lrjax.constant(1.0))
      (1000, False)
    """
    schedule, _ = unwrap(schedule, "natural_horizon")
    top = int_max()
    try:
        bounds = sorted(int(b) for b in schedule.phase_boundaries(top) if 0 < b <= top)
    except Exception:  # a user schedule with a broken phase_boundaries: none known
        bounds = []
    if not bounds:
        return DEFAULT_HORIZON, False
    last = bounds[-1]
    # A boundary past half the largest step leaves too few steps to tell an end from a
    # restart (SGDR doubling its period lists restarts up to the largest step).
    if 2 * last <= top:
        probe = [min(t, top) for t in (last, last + 1, 2 * last, 10 * last, 1000 * last, top)]
        values = np.asarray(evaluate(schedule, np.asarray(probe)), np.float64)
        if np.all(values == values[0]):
            return last, True
    return min(max(10 * bounds[0], bounds[min(3, len(bounds) - 1)]), top), False
