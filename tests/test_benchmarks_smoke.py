"""Smoke test: every benchmark runs end to end in --quick mode (no timing assertion).

``python -m benchmarks --quick`` runs each script in its own process (two at a time here)
with small sizes, checks its values against references (each script raises on a
mismatch) and writes nothing. About 40 s of CPU on a quiet 2-core machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import BENCHMARKS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmarks_quick_run_every_script():
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONWARNINGS="ignore::DeprecationWarning")
    results = ROOT / "benchmarks" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--jobs", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in BENCHMARKS:
        assert f"--- {name}" in proc.stdout
    # Each report has its targets table and the summary lists every target.
    assert proc.stdout.count("**Targets (benchmarks/TARGETS.md)**") == len(BENCHMARKS)
    assert "failed" not in proc.stdout.split("Targets:")[-1]
    # --quick never overwrites the committed results.
    after = results.read_bytes() if results.exists() else None
    assert after == before
