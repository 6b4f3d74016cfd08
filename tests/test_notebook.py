"""Schedules and sweeps in Jupyter: ``_repr_html_`` draws the curve and the summary."""

from __future__ import annotations

import base64
import re
import sys
import time

import pytest

import lrjax
from lrjax.tools.summary import natural_horizon

PRESET = lrjax.warmup_cosine_decay(3e-4, 2_000, 100_000)
JOIN = lrjax.join_schedules(
    [lrjax.linear(0.0, 1e-3, 1_000), lrjax.cosine_decay(1e-3, 9_000, end_value=1e-5)], [1_000]
)
SWEEP = lrjax.sweep(
    lrjax.warmup_cosine_decay,
    peak_value=[1e-4, 3e-4, 1e-3],
    warmup_steps=[100, 1_000],
    total_steps=[10_000],
)


def html(x) -> str:
    text = x._repr_html_()
    assert isinstance(text, str)
    return text


def _png_images(text: str) -> list[bytes]:
    images = [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]
    assert all(image[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    return images


@pytest.mark.parametrize("schedule", [PRESET, JOIN], ids=["preset", "join"])
def test_a_schedule_shows_its_curve_and_summary(schedule):
    text = html(schedule)
    assert len(_png_images(text)) == 1 and "<img" in text
    n, finite = natural_horizon(schedule)
    assert finite and n == (100_000 if schedule is PRESET else 10_000)
    info = lrjax.summarize(schedule, n)
    for name, value in info.rows():  # every summary figure, as str(summary) prints it
        assert f"<td>{name}</td><td>{value}</td>" in text
    assert f"over its {n:,} steps, where it ends" in text
    peak = "0.0003 at step 2,000" if schedule is PRESET else "0.001 at step 1,000"
    assert f"<td>{peak}</td>" in text


def test_a_sweep_shows_its_members():
    text = html(SWEEP)
    assert len(_png_images(text)) == 1
    assert "6 members, over its 10,000 steps" in text
    for i, label in enumerate(SWEEP.labels()):
        info = lrjax.summarize(SWEEP.member(i), 10_000)
        row = [label, f"{info.peak_value:.4g}", f"{info.peak_step:,}", f"{info.end_value:.4g}"]
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in row) in text


def test_a_big_sweep_summarizes_eight_members():
    big = lrjax.sweep(
        lrjax.cosine_decay, init_value=[1e-4 * 2**k for k in range(24)], decay_steps=[500]
    )
    text = html(big)
    assert len(_png_images(text)) == 1 and "8 of 24 members" in text
    assert text.count("<tr>") == 1 + 8


def test_rendering_is_cheap():
    html(PRESET)  # compiles the summary kernel for this structure
    start = time.perf_counter()
    for schedule in (PRESET, lrjax.one_cycle(1e-3, 4_000_000)):
        html(schedule)
    assert (time.perf_counter() - start) / 2 < 2.0


def test_without_matplotlib_the_table_alone(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    text = html(PRESET)
    assert "<img" not in text and "install matplotlib" in text
    assert "<td>peak value</td><td>0.0003 at step 2,000</td>" in text
    sweep_text = html(SWEEP)
    assert "<img" not in sweep_text and "install matplotlib" in sweep_text


def test_open_ended_batched_and_broken_schedules():
    text = html(lrjax.constant(0.1))
    assert "open-ended: its first 1,000 steps (the default)" in text and "<img" in text
    batched = lrjax.stack([lrjax.constant(0.1), lrjax.constant(0.2)])
    assert "a batch of 2 schedules" in html(batched)

    def broken(t):
        raise RuntimeError("no value")

    text = html(lrjax.as_schedule(broken))
    assert "not drawn: RuntimeError: no value" in text and "Traceback" not in text


def test_import_lrjax_does_not_import_matplotlib():
    import subprocess

    code = "import sys, lrjax; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
