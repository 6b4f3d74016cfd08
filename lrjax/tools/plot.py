"""Plot schedules over up to 2**31 - 1 steps from their per-bin min/max envelope.

matplotlib is the optional extra ``lrjax[plot]``; it is imported only when plotting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lrjax.core.schedule import AbstractSchedule
from lrjax.tools.evaluate import Envelope, as_count, envelope, unwrap

if TYPE_CHECKING:
    from matplotlib.axes import Axes


_MAX_MARKS = 24


def import_pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError naming the ``plot`` extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            "lrjax.plot needs matplotlib: pip install 'lrjax[plot]' (or pip install matplotlib)"
        ) from err
    return plt


def envelope_line(env: Envelope, member: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The polyline that draws an envelope exactly at one point per bin edge.

    Each bin contributes two points at its first step, its minimum and its maximum, in the
    order that continues from the previous bin (so a monotone curve is drawn as a clean
    line and a bin holding a whole oscillation as a vertical bar); the last step closes
    the line. When every bin holds one step this is exactly the curve.

    Returns:
      ``(x, y)`` arrays.
    """
    lo = np.asarray(env.min[member], np.float64)
    hi = np.asarray(env.max[member], np.float64)
    steps = env.steps.astype(np.float64)
    last = float(env.num_steps - 1)
    if len(steps) == env.num_steps:
        return steps, lo  # one step per bin: the curve itself
    if np.array_equal(lo, hi):
        return np.append(steps, last), np.append(lo, lo[-1])
    mid = (lo + hi) / 2
    # A bin falls if it lies below the one before it (the first bin: above the next one).
    head = [mid[0] > mid[1]] if len(mid) > 1 else [False]
    falling = np.concatenate([head, mid[:-1] > mid[1:]])
    first = np.where(falling, hi, lo)
    second = np.where(falling, lo, hi)
    x = np.append(np.repeat(steps, 2), last)
    y = np.append(np.stack([first, second], axis=1).reshape(-1), second[-1])
    return x, y


def _members(schedules: Any) -> list[tuple[str | None, Any]]:
    if isinstance(schedules, Mapping):
        members: list[tuple[str | None, Any]] = [(str(k), s) for k, s in schedules.items()]
    elif isinstance(schedules, Sequence) and not isinstance(schedules, (str, bytes)):
        members = [(None, s) for s in schedules]
    else:
        return [(None, schedules)]
    if not members:
        empty = "{}" if isinstance(schedules, Mapping) else "[]"
        raise ValueError(f"plot(schedules={empty}): give at least one schedule")
    return members


def _default_bins(ax: Any) -> int:
    try:
        width = ax.get_window_extent().width
    except Exception:  # an Axes without a renderer yet
        width = 640
    return int(min(max(2 * math.ceil(width), 256), 8192))


def _boundaries(schedule: AbstractSchedule, n: int) -> list[int]:
    try:
        points = schedule.phase_boundaries(n)
    except Exception:  # unknown or traced boundaries: nothing to mark
        return []
    points = sorted({int(p) for p in points if 0 < p < n})
    # Dozens of restarts would only hatch the plot: mark a few phases, not a texture.
    return points if len(points) <= _MAX_MARKS else []


def plot(
    schedules: Any,
    num_steps: int,
    ax: Axes | None = None,
    *,
    logy: bool = False,
    num_bins: int | None = None,
    band: bool | None = None,
    boundaries: bool = True,
    title: str | None = None,
    label: str | None = None,
    **line_kwargs: Any,
) -> Axes:
    """Plot schedules over ``num_steps`` steps, exactly at pixel resolution.

    Each schedule is reduced to its :func:`lrjax.envelope` (the min and max over every step
    of each bin, with about two bins per pixel column by default), so 2**31 - 1 steps draw
    as fast as a few thousand and show every spike. A batched schedule or
    :func:`lrjax.sweep` is drawn as one line per member, labelled by its grid point, or as
    a band between the per-bin minimum and maximum over all members (``band=True``, the
    default above 10 members). Phase boundaries the schedule knows (warmup end, join
    boundaries, cycle restarts) are marked by dotted vertical lines, unless there are more
    than 24 of them.

    Args:
      schedules: a schedule, a ``{label: schedule}`` dict, a list of schedules, a batched
        schedule or a sweep (or a dict/list of them).
      num_steps: the steps ``0 .. num_steps - 1`` to draw; ``>= 1``.
      ax: the matplotlib Axes to draw on; a new figure by default.
      logy: a logarithmic value axis.
      num_bins: bins per curve; default twice the Axes' width in pixels.
      band: draw batched schedules as a band (True) or one line per member (False).
      boundaries: mark phase boundaries.
      title: the Axes' title.
      label: the legend label of a single schedule.
      **line_kwargs: passed to ``Axes.plot`` for every line (``linewidth``, ...).

    Returns:
      The matplotlib Axes.

    Raises:
      ImportError: matplotlib is missing; install the extra ``lrjax[plot]``.

    Examples:
      >>> import matplotlib
      >>> matplotlib.use("Agg")
      >>> ax = lrjax.plot({"cosine": lrjax.cosine_decay(1.0, 1000)}, 1000)
      >>> line = ax.get_lines()[0]
      >>> line.get_label(), f"{line.get_ydata()[0]:.2f}", f"{line.get_ydata()[-1]:.2f}"
      ('cosine', '1.00', '0.00')
    """
    plt = import_pyplot()
    n = as_count("plot", "num_steps", num_steps, minimum=1)
    members = _members(schedules)
    if label is not None and len(members) == 1 and members[0][0] is None:
        members = [(label, members[0][1])]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100, layout="constrained")
    assert ax is not None
    bins = _default_bins(ax) if num_bins is None else as_count("plot", "num_bins", num_bins, 1)
    marked: set[int] = set()
    for name, item in members:
        unwrap(item, "plot")  # a bad item is plot's error, not envelope's
        env = envelope(item, n, bins)
        draw_envelope(
            ax, name, item, env, band=band, boundaries=boundaries, marked=marked, **line_kwargs
        )
    finish_axes(ax, n, logy=logy, title=title)
    return ax


def draw_envelope(
    ax: Any,
    name: str | None,
    item: Any,
    env: Envelope,
    *,
    band: bool | None = None,
    boundaries: bool = True,
    marked: set[int] | None = None,
    **line_kwargs: Any,
) -> None:
    """Draw the envelope of ``item`` (a schedule, batched schedule or sweep) on ``ax``."""
    from lrjax.tools.sweep import Sweep

    n = env.num_steps
    schedule, batch = unwrap(item, "plot")
    if not batch:
        (line,) = ax.plot(*envelope_line(env), label=name, **line_kwargs)
        marked = set() if marked is None else marked
        for p in _boundaries(schedule, n) if boundaries else []:
            if p not in marked:
                ax.axvline(p, color=line.get_color(), linestyle=":", linewidth=0.8, alpha=0.6)
                marked.add(p)
        return
    count = math.prod(batch)
    if count > 10 if band is None else band:
        lo = env.min.reshape(count, -1).min(axis=0)
        hi = env.max.reshape(count, -1).max(axis=0)
        ax.fill_between(
            np.append(env.steps, n - 1),
            np.append(lo, lo[-1]),
            np.append(hi, hi[-1]),
            step="post",
            alpha=0.35,
            linewidth=0,
            label=name if name is not None else f"{count} schedules",
        )
        return
    members = list(np.ndindex(*batch))  # C order, as Sweep.labels
    labels = item.labels() if isinstance(item, Sweep) else [str(list(i)) for i in members]
    for member, label in zip(members, labels, strict=True):
        label = label if name is None else f"{name} {label}"
        ax.plot(*envelope_line(env, member), label=label, **line_kwargs)


def finish_axes(ax: Any, n: int, *, logy: bool = False, title: str | None = None) -> None:
    """Scales, limits, labels, title and legend of a schedule plot."""
    if logy:
        ax.set_yscale("log")
    ax.set_xlim(0, max(n - 1, 1))
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if title is not None:
        ax.set_title(title)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize="small")
