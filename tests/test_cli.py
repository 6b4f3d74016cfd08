"""The ``lrjax`` command line, run as ``python -m lrjax`` in subprocesses."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

import lrjax
from lrjax.tools.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = "warmup(cosine_decay(3e-4, 100_000), 2_000)"


def run(*args: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env["JAX_PLATFORMS"] = "cpu"
    return subprocess.run(
        [sys.executable, "-m", "lrjax", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=300,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_help_on_everything(capsys):
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert "usage: lrjax" in result.stdout and "demo" in result.stdout
    for command in ("plot", "show", "list", "demo"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert f"usage: lrjax {command}" in capsys.readouterr().out


@pytest.mark.slow
def test_plot_spec_and_json_file(tmp_path):
    config = tmp_path / "schedule.json"
    config.write_text(json.dumps(lrjax.to_config(lrjax.parse("one_cycle(1e-3, 50_000)"))))
    out = tmp_path / "curves.png"
    result = run(
        "plot", SPEC, str(config), "--steps", "1e5", "--out", str(out), "--logy", "--title", "t"
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert "2 schedule(s), 100,000 steps" in result.stdout


@pytest.mark.slow
def test_show_prints_tree_key_values_and_summary():
    result = run("show", SPEC, "--steps", "100_000", "--levels", "1e-4")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "warmup  warmup_steps=2000" in out and "schedule: cosine_decay" in out
    assert "2,000" in out and "0.0003" in out and "99,999" in out and "phase boundary" in out
    assert "area (LR budget)" in out and "crosses 0.0001 at" in out


def test_list_names_presets_and_compat():
    result = run("list")
    assert result.returncode == 0, result.stderr
    for name in ("presets:", "warmup_cosine_decay", "one_cycle", "compat.keras:", "CosineDecay"):
        assert name in result.stdout
    assert "compat.transformers:" in result.stdout and "get_scheduler" in result.stdout


@pytest.mark.slow
def test_demo_writes_a_png(tmp_path):
    result = run("demo", "--steps", "300_000", "--out", "demo.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("warmup + cosine", "WSD", "one-cycle", "SGDR", "triangular CLR", "Keras", "HF"):
        assert name in result.stdout
    assert "300,000 steps" in result.stdout
    # Issue 12: "end" is the value after the run (WSD's 0, not its last step's remainder),
    # and one-cycle peaks at its phase boundary (0.3 x 300,000), not at a float32 tie before.
    rows = {line.split("  ")[1]: line.split() for line in result.stdout.splitlines()[3:11]}
    assert rows["WSD"][-4] == "0" and rows["one-cycle"][2] == "90,000"
    assert "(end: the value at step 300,000, after the last step" in result.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["show", "cosine_decay(1e-3, ", "--steps", "10"], ["bad schedule", "column"]),
        (["plot", SPEC, "--steps", "lots"], ["--steps", "not a number of steps"]),
    ],
)
def test_errors_are_one_line_in_a_subprocess(args, words):
    assert_one_line_error(run(*args), *words)


def _one_line(err: str, words: list[str]) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    "args, words",
    [
        (["show", "__import__('os').system('true')", "--steps", "10"], ["not allowed"]),
        (["show", "eval('1')", "--steps", "10"], ["unknown schedule 'eval'"]),
        (["show", "cosine_decay(-1e-3, 10)", "--steps", "10"], ["init_value", ">= 0"]),
        (["show", "missing/schedule.json", "--steps", "10"], ["no such file"]),
        (["plot", SPEC, "--steps", "10", "--out", "/nonexistent/dir/x.png"], ["cannot write"]),
        (["show", '{"class_name": "Nope", "config": {}}', "--steps", "10"], ["Nope"]),
        (["show", "{not json", "--steps", "10"], ["bad JSON"]),
    ],
)
def test_runtime_errors_are_one_line(args, words, capsys):
    assert main(args) == 1
    _one_line(capsys.readouterr().err, words)


@pytest.mark.parametrize(
    "args, words",
    [
        (["show", SPEC, "--steps", "0"], ["must be >= 1"]),
        (["show", SPEC, "--steps", "1.5"], ["whole number"]),
        (["show", SPEC, "--steps", "10", "--levels", "nan"], ["finite"]),
        (["plot", SPEC, "--size", "4by3"], ["WIDTHxHEIGHT"]),
        (["nope"], ["invalid choice"]),
    ],
)
def test_usage_errors_are_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    _one_line(capsys.readouterr().err, words)


def test_bad_json_files(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"class_name": "Nope", "config": {}}))
    for path, word in ((broken, "not valid JSON"), (unknown, "unknown class_name")):
        assert main(["show", str(path), "--steps", "10"]) == 1
        _one_line(capsys.readouterr().err, [word])


def test_show_defaults_to_where_the_schedule_ends(capsys):
    # Issue 12: `lrjax show` demanded --steps for a finite schedule.
    assert main(["show", "warmup_cosine_decay(3e-4, 2_000, 100_000)"]) == 0
    out = capsys.readouterr().out
    assert "steps: 100,000 (where it ends" in out
    assert "100,000            0  end (after the run)" in out
    assert "99,999" in out and "last step" in out
    assert main(["show", "inverse_sqrt(peak_value=1e-3, warmup_steps=500)"]) == 0
    assert "steps: 5,000 (its natural horizon, open-ended" in capsys.readouterr().out


def test_plot_size_dpi_and_legend_below(tmp_path, capsys, monkeypatch):
    import matplotlib.pyplot as plt

    specs = [
        "one_cycle(1e-3, 50_000)",
        "warmup_cosine_decay(3e-4, 2_000, 100_000)",
        "sgdr(peak_value=1e-3, period=10_000)",
        "inverse_sqrt(peak_value=1e-3, warmup_steps=5000)",
    ]
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to measure it
    out = tmp_path / "p.png"
    assert main(["plot", *specs, "--out", str(out)]) == 0
    assert "100,000 steps" in capsys.readouterr().out  # the longest natural horizon
    fig = figures[-1]
    width, height = fig.canvas.get_width_height()
    assert width == 1000 and height > 560  # 5 x 2.8 in at 200 dpi, plus the legend
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = fig.legends[0]
    box, axes_box = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert box.y1 <= axes_box.y0  # below the Axes: it covers no curve
    assert box.x0 >= 0 and box.x1 <= width  # and is not clipped
    # Tick labels at least 7 px high once the image is shown 260 px wide (README gallery).
    tick = ax.get_yticklabels()[1].get_window_extent(renderer)
    assert tick.height * 260 / width >= 7
    assert axes_box.width * axes_box.height >= 0.5 * 1000 * 560

    assert main(["plot", specs[0], "--size", "4x3", "--dpi", "50", "--out", str(out)]) == 0
    w, h = figures[-1].canvas.get_width_height()
    assert w == 200 and h > 150  # 4 x 3 in at 50 dpi, plus the legend's height
    assert f"{w}x{h} px" in capsys.readouterr().out
