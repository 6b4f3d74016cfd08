"""Plot sweeps at the sizes people run: ``python examples/sweep_plots.py [--out-dir DIR]``.

Draws three pictures with ``lrjax.plot`` and says how each was drawn:

- 8 log-spaced peaks x 3 warmup lengths (24 members): one panel per warmup length, the
  peaks as a log colour scale;
- 100 log-spaced peaks: 100 coloured lines and a colour bar, no legend;
- 100 peaks x 100 horizons (10,000 members): the median, quartile and range band.

With ``--quick`` the sweeps are smaller (the test suite runs it so).
"""

from __future__ import annotations

import argparse
import pathlib
import time
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import lrjax  # noqa: E402


def warmup_cosine(peak_value: float, warmup_steps: int = 500, total_steps: int = 10_000):
    return lrjax.warmup_cosine_decay(peak_value, warmup_steps, total_steps)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Plot sweeps at the sizes people run.")
    parser.add_argument("--out-dir", default="docs/images", help="where the PNGs go")
    parser.add_argument("--quick", action="store_true", help="smaller sweeps")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps, many = (2_000, 20) if args.quick else (10_000, 100)

    sweeps = {
        "sweep_24": lrjax.sweep(
            lambda peak_value, warmup_steps: warmup_cosine(peak_value, warmup_steps, steps),
            peak_value=np.geomspace(1e-4, 1e-1, 8).tolist(),
            warmup_steps=[0, steps // 20, steps // 5],
        ),
        f"sweep_{many}": lrjax.sweep(
            lambda peak_value: warmup_cosine(peak_value, steps // 20, steps),
            peak_value=np.geomspace(1e-5, 1e-1, many).tolist(),
        ),
        f"sweep_{many * many}": lrjax.sweep(
            lambda peak_value, total_steps: warmup_cosine(peak_value, steps // 20, total_steps),
            peak_value=np.geomspace(1e-5, 1e-1, many).tolist(),
            total_steps=np.linspace(steps // 2, steps, many).astype(int).tolist(),
        ),
    }
    for name, sweep in sweeps.items():
        start = time.perf_counter()
        # The largest sweep is too many lines to read: a band says more.
        band = True if sweep.size > 1_000 else None
        ax = lrjax.plot(sweep, steps, band=band, title=f"{sweep.size:,} members, {steps:,} steps")
        fig: Any = ax.figure  # a Figure: lrjax.plot made it
        panels = [a for a in fig.axes if a.get_label() != "<colorbar>"]
        bars = len(fig.axes) - len(panels)
        legend = "no legend" if ax.get_legend() is None else "a legend"
        path = out / f"{name}.png"
        fig.savefig(path)
        plt.close(fig)
        elapsed = time.perf_counter() - start
        print(
            f"{sweep.size:>6,} members: {len(panels)} panel(s), {bars} colour bar(s), {legend}, "
            f"{ax.get_yscale()} values; drawn in {elapsed:.2f} s -> {path}"
        )


if __name__ == "__main__":
    main()
