"""Schedules and sweeps in Jupyter: their curve over their natural horizon and their summary.

``import lrjax`` registers :func:`render_html` as the HTML view of every schedule (the hook
``_repr_html_`` of :class:`lrjax.AbstractSchedule`, which ``lrjax.core`` defines without
importing the tools layer) and of :class:`lrjax.Sweep`. Jupyter calls it when a schedule is
the value of a cell. Matplotlib is imported on the first render, never at ``import lrjax``;
without matplotlib the view is the summary table alone, with a line saying so.

One pass of the summary kernel over the horizon gives both the summary and the
:func:`lrjax.envelope` that draws the curve (about 1,000 bins, exact per bin), so a render
costs one compile per schedule structure and then a few tens of milliseconds.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import numpy as np

from lrjax.core import schedule as _schedule
from lrjax.tools.evaluate import unwrap
from lrjax.tools.summary import DEFAULT_HORIZON, natural_horizon, summarize_with_envelope

FIGSIZE = (4.8, 2.4)
"""Size of the drawn curve in inches (at :data:`DPI`: 576 x 288 pixels, shown 480 wide)."""
DPI = 120
NUM_BINS = 1000
"""Envelope bins of the drawn curve: about two per pixel column of the shown image."""
MAX_TABLE_MEMBERS = 8
"""Members of a sweep summarized in its table (evenly spaced, first and last included)."""

_STYLE = "display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start"
_NO_MATPLOTLIB = "(no curve: install matplotlib to draw it, pip install 'lrjax[plot]')"


def _figure() -> tuple[Any, Any] | None:
    """A matplotlib Figure and Axes outside pyplot (so Jupyter does not also show it), or
    None without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def legend_below(fig: Any, ax: Any) -> None:
    """Move the Axes' legend below it, where it covers no curve, and grow the figure by the
    legend's height so the Axes keep their size (the figure needs a constrained layout)."""
    legend = ax.get_legend()
    if legend is None:
        return
    legend.remove()
    handles, labels = ax.get_legend_handles_labels()
    cols = 2 if max(len(x) for x in labels) <= 30 else 1
    below = fig.legend(handles, labels, loc="outside lower center", ncols=cols, fontsize="small")
    fig.set_figheight(fig.get_figheight() + below.get_window_extent().height / fig.dpi)


def _png(fig: Any) -> str:
    """An ``<img>`` holding the figure as a base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width = round(fig.get_figwidth() * 100)
    return (
        f'<img alt="learning-rate curve" style="width:{width}px;max-width:100%" '
        f'src="data:image/png;base64,{data}"/>'
    )


def _horizon_note(n: int, finite: bool) -> str:
    if finite:
        return f"over its {n:,} steps, where it ends"
    if n == DEFAULT_HORIZON:
        return f"open-ended: its first {n:,} steps (the default)"
    return f"open-ended: its first {n:,} steps (10 times its first phase, or 4 phases)"


def _table(caption: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f'<table style="font-size:90%"><caption style="text-align:left">{caption}</caption>'
        f"<tr>{head}</tr>{body}</table>"
    )


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _schedule_html(schedule: Any) -> str:
    from lrjax.tools.plot import draw_envelope, finish_axes

    n, finite = natural_horizon(schedule)
    info, env = summarize_with_envelope(schedule, n, num_bins=NUM_BINS)
    assert env is not None
    parts = []
    drawn = _figure()
    if drawn is not None:
        fig, ax = drawn
        draw_envelope(ax, None, schedule, env)
        finish_axes(ax, n)
        parts.append(_png(fig))
    caption = f"<code>{html.escape(_short(repr(schedule)))}</code><br/>{_horizon_note(n, finite)}"
    if drawn is None:
        caption += f"<br/>{_NO_MATPLOTLIB}"
    parts.append(_table(caption, ["", ""], [list(row) for row in info.rows()]))
    return f'<div class="lrjax-schedule" style="{_STYLE}">{"".join(parts)}</div>'


def _sweep_html(sweep: Any) -> str:
    """A sweep: every member drawn (``lrjax.plot``'s lines or colour scale), and the
    summaries of up to :data:`MAX_TABLE_MEMBERS` members."""
    from lrjax.tools.plot import plot

    count = sweep.size
    picks = sorted({round(i) for i in np.linspace(0, count - 1, min(count, MAX_TABLE_MEMBERS))})
    horizons = [natural_horizon(sweep.member(i)) for i in picks]
    n = max(h for h, _ in horizons)
    finite = all(f for _, f in horizons)
    parts = []
    drawn = _figure()
    if drawn is not None:
        fig, ax = drawn
        plot(sweep, n, ax, num_bins=NUM_BINS)
        legend_below(fig, ax)
        parts.append(_png(fig))
    labels = sweep.labels()
    rows = []
    for i in picks:
        info, _ = summarize_with_envelope(sweep.member(i), n)
        rows.append(
            [
                labels[i],
                f"{info.peak_value:.4g}",
                f"{info.peak_step:,}",
                f"{info.end_value:.4g}",
                f"{info.area:.4g}",
            ]
        )
    shown = f"{len(picks)} of {count} members" if len(picks) < count else f"{count} members"
    caption = (
        f"<code>{html.escape(_short(repr(sweep)))}</code><br/>{shown}, {_horizon_note(n, finite)}"
    )
    if drawn is None:
        caption += f"<br/>{_NO_MATPLOTLIB}"
    header = ["member", "peak", "at step", f"end (step {n:,})", "area (LR budget)"]
    parts.append(_table(caption, header, rows))
    return f'<div class="lrjax-sweep" style="{_STYLE}">{"".join(parts)}</div>'


def render_html(obj: Any) -> str:
    """The HTML view of a schedule or sweep: its curve (a base64 PNG) and its summary.

    A schedule is shown over its natural horizon (:func:`lrjax.tools.summary.natural_horizon`:
    where it ends, or for an open-ended one ten times its first phase, four phases, or
    1,000 steps), with the rows of its :class:`lrjax.Summary`: peak and its step, the value
    at the last step and at the end, mean, area, phase boundaries. A sweep is drawn whole
    and summarized for up to 8 members (peak, its step, end value, area). A batched
    schedule shows its shape; a schedule that cannot be evaluated concretely shows why.

    Args:
      obj: an lrjax schedule or :class:`lrjax.Sweep`.

    Returns:
      An HTML fragment (what Jupyter shows for ``_repr_html_``).

    Examples:
      >>> text = lrjax.warmup_cosine_decay(1.0, 10, 100)._repr_html_()
      >>> "data:image/png;base64," in text, "peak value" in text, "at step 10" in text
      (True, True, True)
    """
    from lrjax.tools.sweep import Sweep

    try:
        if isinstance(obj, Sweep):
            return _sweep_html(obj)
        _, batch = unwrap(obj, "render_html")
        if batch:
            return (
                f"<pre>{html.escape(_short(repr(obj)))}</pre><p>a batch of "
                f"{math.prod(batch)} schedules (shape {batch}): display a "
                "<code>lrjax.sweep(...)</code> or one member to see curves and summaries</p>"
            )
        return _schedule_html(obj)
    except Exception as err:  # a traced or broken schedule: its repr and why, never a trace
        return (
            f"<pre>{html.escape(_short(repr(obj)))}</pre><p>not drawn: "
            f"{html.escape(type(err).__name__)}: {html.escape(str(err))}</p>"
        )


_schedule.set_html_renderer(render_html)
