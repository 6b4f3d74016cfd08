"""Plot schedules over up to 2**31 - 1 steps from their per-bin min/max envelope.

matplotlib is the optional extra ``lrjax[plot]``; it is imported only when plotting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from lrjax.core.schedule import AbstractSchedule
from lrjax.tools.evaluate import Envelope, as_count, envelope, member_slices, unwrap

if TYPE_CHECKING:
    from matplotlib.axes import Axes


_MAX_MARKS = 24
_MAX_LEGEND = 10  # members drawn as labelled lines
_MAX_LINES = 1000  # members drawn as coloured lines
_MAX_FACETS = 8  # values of a second sweep axis drawn as panels
_MAX_INSIDE_LEGEND = 3  # legend entries placed inside the Axes
_MAX_SAMPLED = 4096  # members whose quantiles a large band shows
_MAX_ENVELOPE_BYTES = 128 * 2**20  # per-member envelopes held at once


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


def _labels(item: Any, batch: tuple[int, ...]) -> list[str]:
    """A label per member in C order: the sweep's point (3 significant digits), or the
    member's index."""
    from lrjax.tools.sweep import Sweep, label_value

    if not isinstance(item, Sweep):
        return [str(list(i)) for i in np.ndindex(*batch)]
    return [", ".join(f"{k}={label_value(x, 3)}" for k, x in p.items()) for p in item.points()]


def _colour_axis(item: Any) -> int | None:
    """The sweep axis that colours the members: the first numeric one with two values."""
    from lrjax.tools.sweep import Sweep

    if not isinstance(item, Sweep):
        return None
    for i, (number, size) in enumerate(zip(item.numbers, item.shape, strict=True)):
        if number is not None and size > 1 and len(np.unique(np.asarray(number))) > 1:
            return i
    return None


def _facet_axis(item: Any) -> int | None:
    """The sweep axis drawn as one panel per value, for a sweep of more than ``_MAX_LEGEND``
    members: the first one besides the colour axis with 2 to ``_MAX_FACETS`` values."""
    colour = _colour_axis(item)
    if colour is None or item.size <= _MAX_LEGEND:
        return None
    for i, size in enumerate(item.shape):
        if i != colour and 2 <= size <= _MAX_FACETS:
            return i
    return None


def _take(item: Any, axis: int, index: int) -> Any:
    """The sweep ``item`` at one value of one of its axes (that axis kept, of length 1)."""
    from lrjax.tools.sweep import Sweep

    depth = len(item.shape)

    def pick(leaf: Any) -> Any:
        return np.take(np.asarray(leaf), [index], axis=axis) if np.ndim(leaf) >= depth else leaf

    numbers = tuple(
        n if i != axis or n is None else np.asarray(n)[[index]] for i, n in enumerate(item.numbers)
    )
    others = tuple(o if i != axis or o is None else (o[index],) for i, o in enumerate(item.others))
    schedule = jax.tree_util.tree_map(pick, item.schedule)
    return Sweep(schedule, numbers, item.names, others)


def _mode(item: Any, count: int, band: bool | None, panels: Any = None) -> str:
    """How a batch of ``count`` members is drawn: "lines", "colour" or "band" (facet panels,
    given as ``panels``, share one colour scale rather than repeat a legend)."""
    if band:
        return "band"
    colour = _colour_axis(item) is not None
    if colour and panels is not None:
        return "colour"
    if band is None:
        if count <= _MAX_LEGEND:
            return "lines"
        return "colour" if colour and count <= _MAX_LINES else "band"
    return "lines" if count <= _MAX_LEGEND or not colour else "colour"


def _norm(values: np.ndarray) -> Any:
    """A log colour scale for positive values spanning a factor of 20 or more, else linear."""
    from matplotlib.colors import LogNorm, Normalize

    lo, hi = float(values.min()), float(values.max())
    if lo > 0 and hi / lo >= 20:
        return LogNorm(lo, hi)
    return Normalize(lo, hi)


def member_envelopes(item: Any, n: int, bins: int) -> tuple[Envelope, Envelope | None]:
    """The envelope of every member of a batch when it fits in ``_MAX_ENVELOPE_BYTES``;
    else the extremes over all members (computed in member chunks) plus the envelopes of
    ``_MAX_SAMPLED`` evenly spaced members, for the quantiles of a band.

    Returns:
      ``(env, sampled)``: ``env`` of shape ``(*batch, bins)`` and ``sampled`` None, or
      ``env`` of shape ``(1, bins)`` (min and max over all members) and ``sampled`` of
      shape ``(_MAX_SAMPLED, bins)``.
    """
    schedule, batch = unwrap(item, "plot")
    count = math.prod(batch)
    if count * bins * 16 <= _MAX_ENVELOPE_BYTES:
        return envelope(item, n, bins), None
    chunk = max(1, _MAX_ENVELOPE_BYTES // (bins * 16))
    lo = hi = None
    steps = np.zeros(0)
    # Groups of members (the last one padded with copies of its last member, which leaves
    # the extremes as they are).
    for _, _, part in member_slices(schedule, batch, chunk):
        env = envelope(part, n, bins)
        steps = env.steps
        low, high = env.min.min(axis=0), env.max.max(axis=0)
        lo = low if lo is None else np.minimum(lo, low)
        hi = high if hi is None else np.maximum(hi, high)
    assert lo is not None and hi is not None
    picks = np.unique(np.linspace(0, count - 1, _MAX_SAMPLED).round().astype(np.int64))
    depth = len(batch)
    sample = jax.tree_util.tree_map(
        lambda leaf: np.asarray(leaf).reshape((count,) + np.shape(leaf)[depth:])[picks], schedule
    )
    return Envelope(steps, lo[None], hi[None], n), envelope(sample, n, bins)


def plot(
    schedules: Any,
    num_steps: int,
    ax: Axes | None = None,
    *,
    logy: bool | None = None,
    num_bins: int | None = None,
    band: bool | None = None,
    facets: bool = True,
    boundaries: bool = True,
    title: str | None = None,
    label: str | None = None,
    **line_kwargs: Any,
) -> Axes:
    """Plot schedules over ``num_steps`` steps, exactly at pixel resolution.

    Each schedule is reduced to its :func:`lrjax.envelope` (the min and max over every step
    of each bin, with about two bins per pixel column by default), so 2**31 - 1 steps draw
    as fast as a few thousand and show every spike. Phase boundaries the schedule knows
    (warmup end, join boundaries, cycle restarts) are marked by dotted vertical lines,
    unless there are more than 24 of them.

    A batched schedule or :func:`lrjax.sweep` is drawn by its size:

    - up to 10 members: one line each, labelled by its grid point (3 significant digits);
    - up to 1,000 members of a sweep: one line each, coloured by the first numeric sweep
      axis, with a colour bar (log-scaled when the values are positive and span a factor
      of 20 or more) instead of a legend. Given a new figure (``ax=None``), a plot of one
      such sweep draws a second sweep axis of 2 to 8 values as one panel per value
      (``facets=False`` keeps one panel);
    - otherwise, or with ``band=True``: a band: the median of the members, the band
      between their quartiles and the band between their extremes, per bin. Above about
      4,000 members × 2,048 bins the extremes are over all members (computed a chunk of
      members at a time, in bounded memory) and the median and quartiles over 4,096
      evenly spaced members.

    With ``logy=None`` the value axis is logarithmic when the members' peaks are positive
    and span a factor of 100 or more (a log-spaced sweep of peaks), else linear. A legend
    of more than three entries sits outside the Axes, right of it, so it covers no curve.

    Args:
      schedules: a schedule, a ``{label: schedule}`` dict, a list of schedules, a batched
        schedule or a sweep (or a dict/list of them).
      num_steps: the steps ``0 .. num_steps - 1`` to draw; ``>= 1``.
      ax: the matplotlib Axes to draw on; a new figure by default.
      logy: a logarithmic value axis (True), a linear one (False), or chosen as above.
      num_bins: bins per curve; default twice the Axes' width in pixels.
      band: draw batched schedules as a band (True), as lines (False), or by size (None).
      facets: with ``ax=None``, one panel per value of a sweep's second axis.
      boundaries: mark phase boundaries.
      title: the Axes' title (the figure's, with facets).
      label: the legend label of a single schedule.
      **line_kwargs: passed to ``Axes.plot`` for every line (``linewidth``, ...).

    Returns:
      The matplotlib Axes (with facets, the first panel; ``ax.figure.axes`` has them all).

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
    from lrjax.tools.sweep import Sweep

    plt = import_pyplot()
    n = as_count("plot", "num_steps", num_steps, minimum=1)
    members = _members(schedules)
    if label is not None and len(members) == 1 and members[0][0] is None:
        members = [(label, members[0][1])]
    facet = None
    if ax is None and facets and len(members) == 1 and isinstance(members[0][1], Sweep):
        facet = _facet_axis(members[0][1])
    cols, created = 1, ax is None
    if facet is not None:
        panels, items, titles, cols = _facet_panels(plt, *members[0], facet)
    else:
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100, layout="constrained")
        assert ax is not None
        panels, items, titles = [ax], members, [title]
    bins = (
        _default_bins(panels[0]) if num_bins is None else as_count("plot", "num_bins", num_bins, 1)
    )
    peaks: list[float] = []
    colourbars: list[Any] = []
    for i, panel in enumerate(panels):
        marked: set[int] = set()
        for name, item in items if facet is None else [items[i]]:
            unwrap(item, "plot")  # a bad item is plot's error, not envelope's
            peaks += _draw(
                panel,
                name,
                item,
                n,
                bins,
                band=band,
                boundaries=boundaries,
                marked=marked,
                colourbars=colourbars if facet is None or i == 0 else None,
                colour_panels=panels if facet is not None else None,
                **line_kwargs,
            )
    positive = [p for p in peaks if p > 0]
    spread = len(positive) == len(peaks) > 1 and max(positive) / min(positive) >= 100
    for i, panel in enumerate(panels):
        finish_axes(panel, n, logy=spread if logy is None else logy, title=titles[i])
        if logy is None and spread:
            # Curves that decay to 0 would stretch a log axis over many empty decades:
            # show three decades below the smallest peak.
            panel.set_ylim(bottom=min(positive) * 1e-3)
        if facet is not None:
            if i % cols:
                panel.set_ylabel("")
            if i < len(titles) - cols:
                panel.set_xlabel("")
    legend = panels[0].get_legend()
    if created and legend is not None and len(legend.get_texts()) > _MAX_INSIDE_LEGEND:
        _widen_for(legend)
    if facet is not None and title is not None:
        panels[0].figure.suptitle(title)
    return panels[0]


def _widen_for(legend: Any) -> None:
    """Widen the figure by the width of a legend placed outside its Axes, so the Axes keep
    their size (only for figures :func:`plot` made itself)."""
    fig = legend.figure
    width = legend.get_window_extent(renderer=fig.canvas.get_renderer()).width
    fig.set_figwidth(fig.get_figwidth() + width / fig.dpi + 0.25)  # + the layout pads


def _facet_panels(
    plt: Any, name: str | None, item: Any, facet: int
) -> tuple[list[Any], list[tuple[str | None, Any]], list[str], int]:
    """A new figure of one panel per value of the sweep axis ``facet`` (at most 4 columns).

    Returns:
      ``(panels, items, titles, columns)``: the visible Axes, the sub-sweep each draws (with
      ``name``), their titles (``"warmup_steps=500"``) and the number of columns.
    """
    size = item.shape[facet]
    cols = min(size, 4)
    rows = -(-size // cols)
    _, grid = plt.subplots(
        rows,
        cols,
        figsize=(2.4 * cols + 1.6, 2.6 * rows + 0.6),
        dpi=100,
        layout="constrained",
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    panels = list(grid.flat)
    for extra in panels[size:]:
        extra.set_visible(False)
    from lrjax.tools.sweep import label_value

    axis = item.names[facet]
    items = [(name, _take(item, facet, j)) for j in range(size)]
    titles = [f"{axis}={label_value(v, 3)}" for v in item.axes[facet][1]]
    return panels[:size], items, titles, cols


def _draw(
    ax: Any,
    name: str | None,
    item: Any,
    n: int,
    bins: int,
    *,
    band: bool | None,
    boundaries: bool,
    marked: set[int],
    colourbars: list[Any] | None,
    colour_panels: list[Any] | None,
    **line_kwargs: Any,
) -> list[float]:
    """Draw one item of :func:`plot`; returns its members' peaks (for the log-axis rule)."""
    _, batch = unwrap(item, "plot")
    count = math.prod(batch)
    if batch and _mode(item, count, band) == "band" and count * bins * 16 > _MAX_ENVELOPE_BYTES:
        env, sampled = member_envelopes(item, n, bins)
        draw_band(ax, name, env, count, sampled)
        return [float(x) for x in np.asarray(sampled.max if sampled else env.max).max(axis=-1)]
    env = envelope(item, n, bins)
    draw_envelope(
        ax,
        name,
        item,
        env,
        band=band,
        boundaries=boundaries,
        marked=marked,
        colourbars=colourbars,
        colour_panels=colour_panels,
        **line_kwargs,
    )
    return [float(x) for x in np.asarray(env.max).reshape(max(count, 1), -1).max(axis=-1)]


def draw_envelope(
    ax: Any,
    name: str | None,
    item: Any,
    env: Envelope,
    *,
    band: bool | None = None,
    boundaries: bool = True,
    marked: set[int] | None = None,
    colourbars: list[Any] | None = None,
    colour_panels: list[Any] | None = None,
    **line_kwargs: Any,
) -> None:
    """Draw the envelope of ``item`` (a schedule, batched schedule or sweep) on ``ax``.

    ``colourbars`` collects the colour bars drawn (None: draw none); ``colour_panels`` are
    the Axes a colour bar spans (default ``ax``).
    """
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
    mode = _mode(item, count, band, colour_panels)
    if mode == "band":
        flat = Envelope(env.steps, env.min.reshape(count, -1), env.max.reshape(count, -1), n)
        draw_band(ax, name, flat, count, None)
        return
    members = list(np.ndindex(*batch))  # C order, as Sweep.labels
    if mode == "lines":
        for member, text in zip(members, _labels(item, batch), strict=True):
            text = text if name is None else f"{name} {text}"
            ax.plot(*envelope_line(env, member), label=text, **line_kwargs)
        return
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection

    axis = _colour_axis(item)
    assert axis is not None
    values = np.asarray(item.numbers[axis], np.float64)
    shape = [1] * len(batch)
    shape[axis] = -1
    per_member = np.broadcast_to(values.reshape(shape), batch).reshape(-1)
    norm = _norm(values)
    cmap = line_kwargs.pop("cmap", "viridis")
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    segments = [np.column_stack(envelope_line(env, member)) for member in members]
    width = line_kwargs.pop("linewidth", line_kwargs.pop("lw", 1.0 if count <= 100 else 0.6))
    collection = LineCollection(
        segments, colors=mappable.to_rgba(per_member), linewidths=width, **line_kwargs
    )
    collection.set_label(f"{name} ({count} schedules)" if name is not None else "_nolegend_")
    ax.add_collection(collection)
    ax.autoscale_view()
    if colourbars is not None:
        label = item.names[axis] if name is None else f"{name}: {item.names[axis]}"
        panels = colour_panels if colour_panels is not None else ax
        colourbars.append(ax.figure.colorbar(mappable, ax=panels, label=label, pad=0.02))


def draw_band(
    ax: Any, name: str | None, env: Envelope, count: int, sampled: Envelope | None
) -> None:
    """Median, quartile band and extreme band over the ``count`` members of ``env``
    (``(members, bins)``; the quantiles come from ``sampled`` when given)."""
    rows = sampled if sampled is not None else env
    mid = (np.asarray(rows.min, np.float64) + np.asarray(rows.max, np.float64)) / 2
    q1, median, q3 = np.quantile(mid, [0.25, 0.5, 0.75], axis=0)
    lo = np.asarray(env.min, np.float64).min(axis=0)
    hi = np.asarray(env.max, np.float64).max(axis=0)
    x = np.append(env.steps, env.num_steps - 1)

    def close(y: np.ndarray) -> np.ndarray:
        return np.append(y, y[-1])

    text = name if name is not None else f"{count:,} schedules"
    (line,) = ax.plot(x, close(median), drawstyle="steps-post", label=f"{text}: median")
    colour = line.get_color()
    for low, high, alpha, what in ((q1, q3, 0.35, "quartiles"), (lo, hi, 0.15, "range")):
        ax.fill_between(
            x,
            close(low),
            close(high),
            step="post",
            alpha=alpha,
            color=colour,
            linewidth=0,
            label=f"{text}: {what}",
        )


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
    if len(handles) > _MAX_INSIDE_LEGEND:
        # Outside, right of the Axes: a long legend covers no curve (and constrained
        # layout shrinks the Axes to make room rather than clipping it).
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    elif handles:
        ax.legend(fontsize="small", loc="best")
