"""``lrjax.plot`` with the Agg backend: the drawn lines carry the schedules' values."""

from __future__ import annotations

import sys
from typing import Any

import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

import lrjax
from lrjax.tools.plot import envelope_line

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_one_step_per_bin_draws_the_exact_curve(tmp_path):
    s = lrjax.warmup(lrjax.cosine_decay(1e-3, 150), 50)
    ax = lrjax.plot(s, 200, num_bins=500, label="wc", title="demo")
    (line,) = ax.get_lines()[:1]
    np.testing.assert_array_equal(np.asarray(line.get_xdata()), np.arange(200))
    np.testing.assert_array_equal(
        np.asarray(line.get_ydata()), np.asarray(s(jnp.arange(200)), np.float64)
    )
    assert line.get_label() == "wc" and ax.get_title() == "demo"
    # The warmup end is marked.
    marks = [ln for ln in ax.get_lines()[1:] if ln.get_linestyle() == ":"]
    assert [np.asarray(ln.get_xdata())[0] for ln in marks] == [50]
    out = tmp_path / "plot.png"
    plt.gcf().savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_envelope_line_holds_every_bins_extremes():
    s = lrjax.cycle(lrjax.linear(1.0, 0.0, 97), period=97) * lrjax.linear(1.0, 0.2, 30_000)
    n, bins = 30_000, 60
    fig, ax = plt.subplots()
    lrjax.plot({"sawtooth": s}, n, ax=ax, num_bins=bins)
    line = ax.get_lines()[0]
    env = lrjax.envelope(s, n, bins)
    values = np.asarray(s(jnp.arange(n)))
    width = int(env.steps[1])
    edges = np.arange(0, n, width)
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    np.testing.assert_array_equal(x[:-1], np.repeat(edges, 2))
    pairs = np.sort(y[:-1].reshape(-1, 2), axis=1)
    np.testing.assert_array_equal(pairs[:, 0], np.minimum.reduceat(values, edges))
    np.testing.assert_array_equal(pairs[:, 1], np.maximum.reduceat(values, edges))
    assert line.get_label() == "sawtooth"
    # A monotone curve is drawn as a clean line: each bin goes from its max to its min.
    mono = lrjax.envelope(lrjax.cosine_decay(1.0, 10_000), 10_000, 20)
    _, my = envelope_line(mono)
    assert np.all(np.diff(my) <= 0)


def test_sweep_lines_and_band():
    sw = lrjax.sweep(
        lambda peak, warm: lrjax.warmup(lrjax.cosine_decay(peak, 400), warm),
        peak=[1.0, 2.0],
        warm=[0, 100],
    )
    ax = lrjax.plot(sw, 500, num_bins=1000)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() != ":"]
    assert [ln.get_label() for ln in lines] == sw.labels()
    values = lrjax.evaluate(sw, 500).reshape(4, 500)
    for ln, want in zip(lines, values, strict=True):
        np.testing.assert_array_equal(np.asarray(ln.get_ydata()), want.astype(np.float64))
    fig, ax = plt.subplots()
    lrjax.plot({"grid": sw}, 500, ax=ax, band=True, num_bins=1000, logy=True)
    quartiles, extremes = ax.collections
    (median,) = ax.get_lines()
    assert extremes.get_label() == "grid: range" and ax.get_yscale() == "log"
    ys = np.concatenate([np.asarray(p.vertices)[:, 1] for p in extremes.get_paths()])
    assert ys.max() == pytest.approx(values.max()) and ys.min() == pytest.approx(values.min())
    want = np.quantile(values.astype(np.float64), 0.5, axis=0)
    np.testing.assert_allclose(np.asarray(median.get_ydata())[:-1], want, rtol=1e-6)
    quartile_ys = np.concatenate([np.asarray(p.vertices)[:, 1] for p in quartiles.get_paths()])
    q1, q3 = np.quantile(values.astype(np.float64), [0.25, 0.75], axis=0)
    assert quartile_ys.max() == pytest.approx(q3.max()) and quartile_ys.min() == pytest.approx(
        q1.min()
    )


def test_several_schedules_and_a_list():
    a, b = lrjax.constant(0.1), lrjax.linear(0.0, 1.0, 9)
    ax = lrjax.plot([a, b], 10)
    curves = [ln for ln in ax.get_lines() if ln.get_linestyle() != ":"]
    assert len(curves) == 2 and ax.get_legend() is None
    assert [
        np.asarray(ln.get_xdata())[0] for ln in ax.get_lines() if ln.get_linestyle() == ":"
    ] == [9]
    ax = lrjax.plot({"a": a, "b": b}, 10)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]


def test_plot_errors(monkeypatch):
    with pytest.raises(ValueError, match="num_steps"):
        lrjax.plot(lrjax.constant(1.0), 0)
    with pytest.raises(ValueError, match="at least one"):
        lrjax.plot({}, 10)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"lrjax\[plot\]"):
        lrjax.plot(lrjax.constant(1.0), 10)


# -- sweeps at realistic sizes --------------------------------------------------------------

PEAKS = np.geomspace(1e-4, 1e-1, 8).tolist()


def _grid(peaks, warmups=(0, 50, 200), total=10_000):
    return lrjax.sweep(
        lambda peak_value, warmup_steps: lrjax.warmup_cosine_decay(peak_value, warmup_steps, total),
        peak_value=list(peaks),
        warmup_steps=list(warmups),
    )


def _collections(ax: Any) -> list[Any]:
    """The Axes' collections (LineCollections here), typed loosely for their methods."""
    return list(ax.collections)


def _axes_share(fig) -> float:
    """The fraction of the figure's area inside its data Axes (colour bars excluded)."""
    fig.canvas.draw()
    box = fig.bbox
    panels = [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]
    return sum(a.get_window_extent().width * a.get_window_extent().height for a in panels) / (
        box.width * box.height
    )


def test_24_member_sweep_faceted_with_a_log_colour_scale():
    sw = _grid(PEAKS, total=2_000)
    ax = lrjax.plot(sw, 2_000, num_bins=2_000)  # a bin per step: the curves themselves
    fig = ax.figure
    panels = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    (bar,) = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert [a.get_title() for a in panels] == [
        "warmup_steps=0",
        "warmup_steps=50",
        "warmup_steps=200",
    ]
    assert all(a.get_legend() is None for a in panels)
    assert bar.get_ylabel() == "peak_value" and bar.get_yscale() == "log"
    assert all(a.get_yscale() == "log" for a in panels)  # peaks span 3 decades
    assert _axes_share(fig) >= 0.6
    # Each panel holds its warmup's 8 curves, exactly, coloured by peak.
    values = lrjax.evaluate(sw, 2_000)
    for j, panel in enumerate(panels):
        (lines,) = _collections(panel)
        segments = lines.get_segments()
        assert len(segments) == 8
        for i, segment in enumerate(segments):
            np.testing.assert_array_equal(segment[:, 1], values[i, j].astype(np.float64))
        colours = lines.get_colors()
        assert len({tuple(c) for c in colours}) == 8


@pytest.mark.parametrize("members", [24, 100])
def test_many_members_keep_the_axes_and_no_legend(members):
    sw = lrjax.sweep(
        lambda peak_value: lrjax.warmup_cosine_decay(peak_value, 500, 10_000),
        peak_value=np.geomspace(1e-5, 1e-1, members).tolist(),
    )
    ax = lrjax.plot(sw, 10_000)
    assert ax.get_legend() is None and _axes_share(ax.figure) >= 0.6
    (lines,) = _collections(ax)
    assert len(lines.get_segments()) == members
    # The smallest and largest peaks take the two ends of the colour map.
    colours = lines.get_colors()
    cmap = plt.get_cmap("viridis")
    np.testing.assert_allclose(colours[0], cmap(0.0))
    np.testing.assert_allclose(colours[-1], cmap(1.0))


def test_lines_are_labelled_to_three_significant_digits_and_the_legend_sits_outside():
    sw = lrjax.sweep(
        lambda peak_value: lrjax.cosine_decay(peak_value, 100),
        peak_value=[0.0026827, 0.001, 0.00512345, 0.01],
    )
    ax = lrjax.plot(sw, 100)
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [
        "peak_value=0.00268",
        "peak_value=0.001",
        "peak_value=0.00512",
        "peak_value=0.01",
    ]
    fig = ax.figure
    fig.canvas.draw()
    inside = ax.get_window_extent()
    box = legend.get_window_extent()
    assert box.x0 >= inside.x1  # right of the Axes: it covers no curve
    # The figure grew by the legend's width, so the Axes keep the size they have alone.
    alone = lrjax.plot(lrjax.cosine_decay(1.0, 100), 100)
    alone.figure.canvas.draw()
    assert inside.width >= 0.97 * alone.get_window_extent().width


def test_a_large_band_is_computed_in_member_chunks(monkeypatch):
    from lrjax.tools import plot as plot_module

    sw = lrjax.sweep(
        lambda peak_value, total: lrjax.cosine_decay(peak_value, total),
        peak_value=np.geomspace(1e-3, 1.0, 40).tolist(),
        total=[50, 100, 200],
    )
    values = lrjax.evaluate(sw, 300).reshape(120, 300).astype(np.float64)
    fig, ax = plt.subplots()
    lrjax.plot(sw, 300, ax=ax, band=True, num_bins=300)
    full = [np.asarray(c.get_paths()[0].vertices) for c in ax.collections]
    (full_median,) = ax.get_lines()
    # 120 members x 300 bins x 16 bytes > 10 kB: chunks of 2 members; the quantiles
    # come from evenly spaced members, here all of them.
    monkeypatch.setattr(plot_module, "_MAX_ENVELOPE_BYTES", 10_000)
    fig2, ax2 = plt.subplots()
    lrjax.plot(sw, 300, ax=ax2, band=True, num_bins=300)
    chunked = [np.asarray(c.get_paths()[0].vertices) for c in ax2.collections]
    for a, b in zip(full, chunked, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(full_median.get_ydata(), ax2.get_lines()[0].get_ydata())
    extremes = np.concatenate(
        [np.asarray(p.vertices)[:, 1] for p in ax2.collections[1].get_paths()]
    )
    assert extremes.max() == pytest.approx(values.max())
    assert extremes.min() == pytest.approx(values.min())
    monkeypatch.setattr(plot_module, "_MAX_SAMPLED", 7)
    fig3, ax3 = plt.subplots()
    lrjax.plot(sw, 300, ax=ax3, band=True, num_bins=300)
    picks = np.unique(np.linspace(0, 119, 7).round().astype(int))
    want = np.quantile(values[picks], 0.5, axis=0)
    np.testing.assert_allclose(np.asarray(ax3.get_lines()[0].get_ydata())[:-1], want, rtol=1e-6)


def test_facets_can_be_turned_off_and_log_axis_forced_off():
    sw = _grid(PEAKS)
    ax = lrjax.plot(sw, 10_000, facets=False, logy=False)
    assert len([a for a in ax.figure.axes if a.get_label() != "<colorbar>"]) == 1
    (lines,) = _collections(ax)
    assert len(lines.get_segments()) == 24 and ax.get_yscale() == "linear"


def test_a_sampled_sweep_is_labelled_by_its_sampled_values():
    import jax

    sw = lrjax.sample(
        lambda peak_value: lrjax.cosine_decay(peak_value, 100),
        jax.random.key(0),
        3,
        peak_value=lrjax.log_uniform(1e-4, 1e-2),
    )
    ax = lrjax.plot(sw, 100)
    legend = ax.get_legend()
    assert legend is not None
    want = [f"peak_value={p['peak_value']:.3g}" for p in sw.points()]
    assert [t.get_text() for t in legend.get_texts()] == want
