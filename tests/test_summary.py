"""``lrjax.summarize``: against NumPy over every step, across chunk boundaries."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import lrjax
from lrjax.tools.summary import summarize_with_envelope


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
    # A batch gives every member's figures; the one-member form with an envelope refuses it.
    batched = lrjax.summarize(lrjax.sweep(lrjax.constant, value=[1.0, 2.0]), 10)
    assert isinstance(batched, lrjax.SweepSummary) and list(batched.area) == [10.0, 20.0]
    with pytest.raises(ValueError, match="batched"):
        summarize_with_envelope(lrjax.sweep(lrjax.constant, value=[1.0, 2.0]), 10)
    with pytest.raises(ValueError, match="levels"):
        lrjax.summarize(lrjax.sweep(lrjax.constant, value=[1.0, 2.0]), 10, levels=[np.inf])
    with pytest.raises(ValueError, match="num_steps"):
        lrjax.summarize(lrjax.constant(1.0), 0)
    with pytest.raises(ValueError, match="levels"):
        lrjax.summarize(lrjax.constant(1.0), 10, levels=[float("nan")])
    with pytest.raises(ValueError, match="max_crossings"):
        lrjax.summarize(lrjax.constant(1.0), 10, max_crossings=-1)


def test_end_value_is_where_the_schedule_ends_not_its_last_step():
    # Issue 12: a WSD decaying to 0 printed "final 1.25e-10", its value at N - 1.
    n = 4_000_000
    wsd = lrjax.warmup_stable_decay(
        peak_value=3e-4,
        warmup_steps=80_000,
        stable_steps=2_720_000,
        decay_steps=1_200_000,
        decay_shape="1-sqrt",
    )
    info = lrjax.summarize(wsd, n)
    assert info.end_value == float(wsd(n)) == 0.0
    assert info.final_value == float(wsd(n - 1)) > 0.0
    text = str(info)
    assert "end value         0 at step 4,000,000 (after the run)" in text
    assert "last step value   1.25e-10 at step 3,999,999" in text


def test_peak_step_is_the_phase_boundary_not_the_first_float32_tie():
    # Issue 12: one-cycle's peak printed at step 1,199,814, next to its boundary 1,200,000;
    # float32 rounds the last 186 steps of the cosine rise to the peak itself.
    n = 4_000_000
    s = lrjax.one_cycle(peak_value=1e-3, total_steps=n)
    values = np.asarray(s(jnp.arange(1_199_000, 1_200_001)))
    assert int(np.argmax(values)) + 1_199_000 < 1_200_000  # the float32 tie is real
    info = lrjax.summarize(s, n, chunk_size=1 << 16)  # the run spans chunks
    assert info.peak_step == 1_200_000 and info.peak_value == float(s(1_200_000))


def test_peak_step_of_a_true_plateau_is_its_first_step():
    # Constant from step 0 until a decay at 1,000: the peak is at 0, not at the boundary.
    s = lrjax.join_schedules([lrjax.constant(1.0), lrjax.linear(1.0, 0.0, 500)], [1000])
    assert lrjax.summarize(s, 2000, chunk_size=256).peak_step == 0


def test_natural_horizon():
    from lrjax.tools.summary import DEFAULT_HORIZON, natural_horizon

    assert natural_horizon(lrjax.one_cycle(1.0, total_steps=5000)) == (5000, True)
    assert natural_horizon(lrjax.cosine_decay(1.0, 700)) == (700, True)
    # Open-ended: 10 first boundaries, or through the fourth restart.
    assert natural_horizon(lrjax.inverse_sqrt(peak_value=1.0, warmup_steps=10)) == (100, False)
    assert natural_horizon(lrjax.sgdr(peak_value=1.0, period=10, period_mul=2.0)) == (150, False)
    assert natural_horizon(lrjax.constant(1.0)) == (DEFAULT_HORIZON, False)
    assert natural_horizon(lambda t: 1.0 / (1.0 + t)) == (DEFAULT_HORIZON, False)
