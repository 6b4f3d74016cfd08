"""``lrjax.summarize``: against NumPy over every step, across chunk boundaries."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import lrjax


def _brute(values: np.ndarray, levels) -> dict:
    v = values.astype(np.float64)
    crossings = {}
    for level in levels:
        above = values >= np.float32(level)
        crossings[level] = tuple(int(t) for t in np.flatnonzero(above[1:] != above[:-1]) + 1)
    return dict(
        peak_value=float(values.max()),
        peak_step=int(np.argmax(values)),
        min_value=float(values.min()),
        min_step=int(np.argmin(values)),
        initial_value=float(values[0]),
        final_value=float(values[-1]),
        area=float(v.sum()),
        crossings=crossings,
    )


SCHEDULES = {
    "warmup_cosine": lrjax.warmup(lrjax.cosine_decay(1.0, 4000, end_value=0.1), 500),
    "cycle": lrjax.cycle(lrjax.linear(1.0, 0.0, 300), period=300, value_mul=0.9),
    "plateau": lrjax.piecewise_constant([1000, 2500], [0.5, 1.0, 1.0 / 3]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_summary_equals_brute_force(name):
    s = SCHEDULES[name]
    n, levels = 5000, [0.2, 0.75]
    info = lrjax.summarize(s, n, levels=levels, chunk_size=1024, max_crossings=10_000)
    want = _brute(np.asarray(s(jnp.arange(n))), levels)
    assert info.num_steps == n
    for key in ("peak_value", "peak_step", "min_value", "min_step", "initial_value", "final_value"):
        assert getattr(info, key) == want[key], key
    assert info.area == pytest.approx(want["area"], rel=1e-6)
    assert info.mean == pytest.approx(want["area"] / n, rel=1e-6)
    assert info.crossings == want["crossings"]
    assert info.num_crossings == {k: len(v) for k, v in want["crossings"].items()}
    assert info.boundaries == tuple(b for b in s.phase_boundaries(n) if 0 < b < n)


def test_summary_limits_crossings_and_prints_a_table():
    s = SCHEDULES["cycle"]
    info = lrjax.summarize(s, 3000, levels=[0.5], max_crossings=3, chunk_size=256)
    want = _brute(np.asarray(s(jnp.arange(3000))), [0.5])["crossings"][0.5]
    assert len(want) > 3
    assert info.crossings[0.5] == want[:3] and info.num_crossings[0.5] == len(want)
    text = str(info)
    assert "peak value" in text and "area (LR budget)" in text
    assert f"({len(want)} in all)" in text


def test_summary_first_step_of_ties_and_one_step():
    s = lrjax.constant(0.5)
    info = lrjax.summarize(s, 1)
    assert (info.peak_step, info.min_step, info.area, info.final_value) == (0, 0, 0.5, 0.5)
    plateau = lrjax.summarize(SCHEDULES["plateau"], 5000, chunk_size=128)
    assert plateau.peak_step == 1000 and plateau.min_step == 2500


def test_summary_errors():
    with pytest.raises(ValueError, match="batched"):
        lrjax.summarize(lrjax.sweep(lrjax.constant, value=[1.0, 2.0]), 10)
    with pytest.raises(ValueError, match="num_steps"):
        lrjax.summarize(lrjax.constant(1.0), 0)
    with pytest.raises(ValueError, match="levels"):
        lrjax.summarize(lrjax.constant(1.0), 10, levels=[float("nan")])
    with pytest.raises(ValueError, match="max_crossings"):
        lrjax.summarize(lrjax.constant(1.0), 10, max_crossings=-1)
