"""Shared helpers for the lrjax benchmarks: timing, memory, HLO size, reports.

Every benchmark script builds a :class:`Report` (markdown tables plus a list of the
targets in benchmarks/TARGETS.md with the measured figure and whether it is met), prints
it, and with ``--json PATH`` also writes it as JSON so ``benchmarks/run.py`` can assemble
``benchmarks/RESULTS.md``.

Timing rules (benchmarks/TARGETS.md, How to measure): every comparison runs in one
process, each variant is warmed up first, variants are interleaved round by round, every
result is waited for
(``block_until_ready`` or a host copy), and the figure quoted is the median over rounds,
together with ratios computed within the same process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024

# The benchmarks run from a source checkout; make `import lrjax` find it.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "jax")


class MissingAPIError(RuntimeError):
    """A benchmark needs an lrjax API (or a peer package) that is not available."""


def require_lrjax(*names: str, benchmark: str) -> Any:
    """Import lrjax and check that ``names`` exist (dotted for submodules); fail loudly."""
    import importlib

    import lrjax

    missing = []
    for name in names:
        module_name, _, attr = name.rpartition(".")
        try:
            module = importlib.import_module(f"lrjax.{module_name}" if module_name else "lrjax")
        except ImportError as error:
            missing.append(f"lrjax.{name} (import failed: {error})")
            continue
        if not hasattr(module, attr):
            missing.append(f"lrjax.{name}")
    if missing:
        raise MissingAPIError(
            f"{benchmark}: this benchmark needs {', '.join(missing)}, which this lrjax "
            f"(from {Path(lrjax.__file__).parent}) does not provide"
        )
    return lrjax


def block(x: Any) -> Any:
    """Wait for every array in ``x`` (a pytree of JAX arrays, NumPy arrays or floats)."""
    import jax

    return jax.block_until_ready(x)


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` including waiting for its result, and the result."""
    start = time.perf_counter()
    out = block(fn())
    return time.perf_counter() - start, out


def interleaved(
    variants: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each variant, over ``rounds`` interleaved rounds.

    Each variant is called ``warmup`` times first (compilation, caches). Then, in every
    round, each variant runs once, in an order rotated by one per round so that no
    variant always follows the same neighbour.
    """
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            block(variants[name]())
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            seconds, _ = time_once(variants[name])
            samples[name].append(seconds)
    return {name: statistics.median(s) for name, s in samples.items()}


# -- memory ------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def peak_rss_bytes() -> int:
    """Peak resident set size (VmHWM) since the last :func:`reset_peak_rss`."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# -- HLO ---------------------------------------------------------------------------------

_OP_LINE = re.compile(r"^\s*%\S+ = ")


def hlo_op_count(stablehlo_text: str) -> int:
    """Number of op lines (``%x = op ...``) in StableHLO text: the graph size of TARGETS.md."""
    return sum(1 for line in stablehlo_text.splitlines() if _OP_LINE.match(line))


# -- subprocesses ------------------------------------------------------------------------


def run_json_subprocess(args: Sequence[str], timeout: float = 1800) -> Any:
    """Run ``python args...`` in a fresh process and parse the last stdout line as JSON."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"subprocess {' '.join(args)} failed with exit code {proc.returncode}:\n"
            f"{proc.stderr[-4000:]}"
        )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"subprocess {' '.join(args)} printed nothing:\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])


# -- formatting --------------------------------------------------------------------------


def fmt_seconds(s: float | None) -> str:
    """A duration with a sensible unit."""
    if s is None:
        return "–"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.3g} µs"
    return f"{s * 1e9:.3g} ns"


def fmt_rate(per_second: float) -> str:
    """A rate in steps per second with an SI prefix."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= factor:
            return f"{per_second / factor:.3g} {prefix}"
    return f"{per_second:.3g}"


def fmt_ratio(r: float | None) -> str:
    """A time ratio (1.00 is the reference)."""
    if r is None:
        return "–"
    if r >= 1000:
        return f"{r:.3g}".replace("e+0", "e").replace("e+", "e")
    if r >= 100:
        return f"{r:.0f}"
    return f"{r:.2f}"


def fmt_mib(b: float) -> str:
    """Bytes as MiB."""
    return f"{b / MiB:.0f} MiB"


def fmt_err(x: float) -> str:
    """An error in scientific notation."""
    return "0" if x == 0 else f"{x:.1e}"


def fmt_sci(n: float) -> str:
    """A step count like 1e6."""
    exponent = len(str(int(n))) - 1
    return f"1e{exponent}" if n == 10**exponent else f"{int(n):,}"


# -- reports -----------------------------------------------------------------------------


@dataclasses.dataclass
class Table:
    """A markdown table with a title and notes."""

    title: str
    headers: list[str]
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "---|" * len(self.headers))
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


@dataclasses.dataclass
class Target:
    """One target of benchmarks/TARGETS.md: what, the target, the measured figure, the verdict."""

    what: str
    target: str
    measured: str
    met: bool | None  # None: not measurable in this run (e.g. --quick, API missing)
    note: str = ""


@dataclasses.dataclass
class Report:
    """What one benchmark script produces."""

    name: str
    title: str
    command: str
    quick: bool
    tables: list[Table] = dataclasses.field(default_factory=list)
    targets: list[Target] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def markdown(self, heading: str = "##") -> str:
        parts = [f"{heading} {self.title}", "", f"Command: `{self.command}`"]
        if self.quick:
            parts.append("(quick mode: small sizes, few repeats; not for quoting)")
        if self.targets:
            parts += ["", targets_table(self.targets).markdown()]
        for table in self.tables:
            parts += ["", table.markdown()]
        if self.notes:
            parts += [""] + [f"- {n}" for n in self.notes]
        parts += ["", f"(benchmark wall time {self.seconds:.0f} s)"]
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Report:
        report = Report(**{k: v for k, v in data.items() if k not in ("tables", "targets")})
        report.tables = [Table(**t) for t in data["tables"]]
        report.targets = [Target(**t) for t in data["targets"]]
        return report


def verdict(met: bool | None) -> str:
    """The 'met' column."""
    return {True: "**met**", False: "**not met**", None: "not measured"}[met]


def targets_table(targets: Sequence[Target]) -> Table:
    """The targets (benchmarks/TARGETS.md) of one benchmark as a table."""
    table = Table("Targets (benchmarks/TARGETS.md)", ["what", "target", "measured", "met?", "note"])
    for t in targets:
        table.rows.append([t.what, t.target, t.measured, verdict(t.met), t.note])
    return table


def parser(description: str) -> argparse.ArgumentParser:
    """The common command line: --quick and --json PATH."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, seconds (CI smoke)")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON here")
    return p


def command_line(script: str, quick: bool) -> str:
    """The command that reproduces a script's report."""
    return f"python benchmarks/{script}" + (" --quick" if quick else "")


def finish(report: Report, json_path: str | None, started: float) -> None:
    """Print the report and write its JSON."""
    report.seconds = time.perf_counter() - started
    print(report.markdown())
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_json(), indent=1))


# -- environment -------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """The device JAX runs on, CPU model, core count, memory and OS."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                    break
    except OSError:
        pass
    import jax

    device = jax.devices()[0]
    return {
        "device (where the schedules run)": f"{len(jax.devices())} × {device.platform} "
        f"({device.device_kind})",
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def versions() -> dict[str, str]:
    """Versions of python and the packages compared."""
    out = {"python": platform.python_version()}
    for package in ("jax", "jaxlib", "optax", "numpy", "torch", "keras", "transformers"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    try:
        import lrjax

        out["lrjax"] = getattr(lrjax, "__version__", "?")
    except ImportError:
        out["lrjax"] = "not importable"
    return out


class CompileCounter:
    """Counts XLA backend compiles (``jax.monitoring`` events) while active.

    ``with CompileCounter() as c: ...`` then ``c.count``. One listener is registered for
    the whole process; counters only read it.
    """

    _events = 0
    _registered = False

    def __init__(self) -> None:
        self.count = 0
        self._start = 0

    @classmethod
    def _listen(cls) -> None:
        if cls._registered:
            return
        from jax import monitoring

        def listener(event: str, duration_secs: float, **kwargs: Any) -> None:
            if event == "/jax/core/compile/backend_compile_duration":
                CompileCounter._events += 1

        monitoring.register_event_duration_secs_listener(listener)
        cls._registered = True

    def __enter__(self) -> CompileCounter:
        self._listen()
        self._start = CompileCounter._events
        return self

    def __exit__(self, *exc: Any) -> None:
        self.count = CompileCounter._events - self._start
