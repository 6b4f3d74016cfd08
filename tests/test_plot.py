"""``lrjax.plot`` with the Agg backend: the drawn lines carry the schedules' values."""

from __future__ import annotations

import sys

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
    (band,) = ax.collections
    assert band.get_label() == "grid" and ax.get_yscale() == "log"
    ys = np.concatenate([np.asarray(p.vertices)[:, 1] for p in band.get_paths()])
    assert ys.max() == pytest.approx(values.max()) and ys.min() == pytest.approx(values.min())


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
