"""Draw one picture per lrjax preset: ``python examples/gallery.py [OUT_DIR]``.

Every preset exported by ``lrjax`` (found at run time, so new presets appear without
editing this file) is built with typical arguments for a 10 000-step run, drawn with
``lrjax.plot`` (its phase boundaries dotted) under the call that builds it, and saved as
``OUT_DIR/<preset>.png`` (``docs/gallery/`` by default), the pictures the README shows.
Each preset is drawn with arguments that tell it apart from the others
(``warmup_polynomial_decay`` with ``power=2.0``, not the ``power=1`` that equals
``warmup_linear_decay``). The images are 1000x560 pixels: 5 x 2.8 inches at 200 dpi, so
text sized in points stays readable when the README shows them 260 pixels wide.
"""

from __future__ import annotations

import argparse
import inspect
import pathlib
import sys
import textwrap
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
    "warmup_polynomial_decay": {"power": 2.0},
    "warmup_exponential_decay": {"end_value": 1e-4},
    "noam": {"warmup_steps": 4_000},  # the Transformer paper's; inverse_sqrt shows 1_000
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


def arguments(name: str, factory: Any) -> tuple[list[Any], dict[str, Any]]:
    """The preset's example call: its required arguments from the common values (positional
    where the factory allows), then its overrides as keywords."""
    params = inspect.signature(factory).parameters
    overrides = {k: x for k, x in OVERRIDES.get(name, {}).items() if k in params}
    values = {**COMMON, **overrides}
    required = [p for p in params.values() if p.default is p.empty]
    missing = [p.name for p in required if p.name not in values]
    if missing:
        raise ValueError(f"no example value for {name}({', '.join(missing)}); add it to COMMON")
    args = [values[p.name] for p in required if p.kind is not p.KEYWORD_ONLY]
    kwargs = {p.name: values[p.name] for p in required if p.kind is p.KEYWORD_ONLY}
    names = {p.name for p in required}
    kwargs.update({k: x for k, x in overrides.items() if k not in names})
    return args, kwargs


def _text(value: Any) -> str:
    """A number as one writes it in code: ``1_000``, ``0.001``, ``[4_000, 7_000]``."""
    if isinstance(value, bool) or isinstance(value, str):
        return repr(value)
    if isinstance(value, int):
        return f"{value:_}"
    if isinstance(value, float):
        text = f"{value:g}"
        return text if any(c in text for c in ".e") else text + ".0"
    if isinstance(value, list):
        return "[" + ", ".join(_text(x) for x in value) + "]"
    return repr(value)


def call(name: str, factory: Any) -> str:
    """The call that builds the preset's picture, e.g. ``warmup_cosine_decay(0.001, ...)``."""
    args, kwargs = arguments(name, factory)
    parts = [_text(x) for x in args] + [f"{k}={_text(x)}" for k, x in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def build(name: str, factory: Any) -> lrjax.AbstractSchedule:
    """The preset built by :func:`call`'s arguments."""
    args, kwargs = arguments(name, factory)
    return factory(*args, **kwargs)


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
        fig, ax = plt.subplots(figsize=(5.0, 2.8), dpi=200, layout="constrained")
        lrjax.plot(schedule, STEPS, ax=ax, num_bins=1_000, linewidth=1.6)
        # The call, wrapped: two presets with the same name but other arguments differ.
        title = textwrap.fill(f"lrjax.{call(name, factory)}", 52, subsequent_indent="  ")
        ax.set_title(title, fontsize=9, family="monospace", loc="left")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        fig.savefig(out / f"{name}.png")
        plt.close(fig)
        print(
            f"wrote {out / f'{name}.png'}: {lrjax.summarize(schedule, STEPS).peak_value:.3g} peak"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
