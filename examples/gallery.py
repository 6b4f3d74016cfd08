"""Draw one picture per lrjax preset: ``python examples/gallery.py [OUT_DIR]``.

Every preset exported by ``lrjax`` (found at run time, so new presets appear without
editing this file) is built with typical arguments for a 10 000-step run, drawn with
``lrjax.plot`` (its phase boundaries dotted) and saved as ``OUT_DIR/<preset>.png``
(640x360 pixels; ``docs/gallery/`` by default), the pictures the README shows.
"""

from __future__ import annotations

import argparse
import inspect
import pathlib
import sys
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import lrjax  # noqa: E402

STEPS = 10_000

# Typical values for the arguments presets share; a preset gets those it requires.
COMMON: dict[str, Any] = {
    "peak_value": 1e-3,
    "init_value": 1e-3,
    "warmup_steps": 1_000,
    "total_steps": STEPS,
    "stable_steps": 6_000,
    "decay_steps": 3_000,
    "decay_rate": 0.5,
    "transition_steps": 2_000,
    "period": 1_500,
    "base_value": 1e-4,
    "max_value": 1e-3,
    "step_size_up": 1_000,
    "step_size": 2_500,
    "milestones": [4_000, 7_000, 9_000],
    "d_model": 512,
}

# Per-preset arguments that show the preset at its most characteristic.
OVERRIDES: dict[str, dict[str, Any]] = {
    "sgdr": {"period_mul": 2.0, "value_mul": 0.8},
    "cyclic": {"mode": "triangular2"},
    "tanh_decay": {"decay_steps": STEPS},
    "warmup_stable_decay": {"decay_shape": "1-sqrt"},
    "step_decay": {"gamma": 0.5},
    "multistep_decay": {"gamma": 0.5},
}


def presets() -> dict[str, Any]:
    """Every preset factory exported by lrjax, and the shaped decays (tanh), by name."""
    return {
        name: getattr(lrjax, name)
        for name in lrjax.__all__
        if inspect.isfunction(getattr(lrjax, name))
        and getattr(lrjax, name).__module__ in ("lrjax.presets.recipes", "lrjax.schedules.shaped")
    }


def build(name: str, factory: Any) -> lrjax.AbstractSchedule:
    """The preset with the common values for its required arguments plus its overrides."""
    params = inspect.signature(factory).parameters
    kwargs = {
        p.name: COMMON[p.name]
        for p in params.values()
        if p.default is inspect.Parameter.empty and p.name in COMMON
    }
    missing = [p.name for p in params.values() if p.default is p.empty and p.name not in kwargs]
    if missing:
        raise ValueError(f"no example value for {name}({', '.join(missing)}); add it to COMMON")
    kwargs.update({k: x for k, x in OVERRIDES.get(name, {}).items() if k in params})
    return factory(**kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", nargs="?", default="docs/gallery", help="output directory")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, factory in presets().items():
        try:
            schedule = build(name, factory)
        except (TypeError, ValueError) as err:
            print(f"skipped {name}: {err}", file=sys.stderr)
            continue
        fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100, layout="constrained")
        lrjax.plot(schedule, STEPS, ax=ax, num_bins=1_000, linewidth=1.6)
        ax.set_title(f"lrjax.{name}", fontsize=11, family="monospace")
        fig.savefig(out / f"{name}.png")
        plt.close(fig)
        print(
            f"wrote {out / f'{name}.png'}: {lrjax.summarize(schedule, STEPS).peak_value:.3g} peak"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
