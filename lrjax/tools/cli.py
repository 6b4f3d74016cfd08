"""The ``lrjax`` command line: plot, show, list and demo schedules.

Run ``lrjax --help`` (or ``python -m lrjax --help``). A schedule is given as the text of
:func:`lrjax.parse` (``"warmup(cosine_decay(3e-4, 100_000), 2_000)"``), as the path of a
file holding :func:`lrjax.to_config` JSON, or as that JSON itself. Errors print one line
on stderr and exit with status 1 (2 for bad command-line usage), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import math
import os
import pathlib
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn

_DEMO_STEPS = 4_000_000
_DEMO_BINS = 800
_STEPS_HELP = (
    "number of steps, e.g. 1e6 (default: where the schedule ends, its last phase boundary; "
    "for an open-ended one, 10 times its first phase boundary or through its fourth, "
    "else 1000)"
)


class CLIError(Exception):
    """An error to report on one line (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(text: str) -> int:
    """A step count from the command line: ``1000000``, ``1_000_000`` or ``1e6``."""
    digits = text.replace("_", "")
    try:
        value = int(digits)
    except ValueError:  # 1e6, or not a number
        try:
            number = float(digits)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of steps") from None
        if not number.is_integer():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of steps") from None
        value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the number of steps must be >= 1")
    return value


def _level(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def load(spec: str) -> Any:
    """A schedule from parse text, a path to ``to_config`` JSON, or that JSON itself."""
    import lrjax
    from lrjax.core.config import MAX_TEXT

    text = spec.strip()
    if text.startswith("{"):
        source, content = "bad JSON config", text
    elif os.path.isfile(spec):
        try:
            # Refuse before reading what from_config would refuse after: no multi-GB reads.
            size = os.path.getsize(spec)
            if size > 4 * MAX_TEXT:  # UTF-8: at most 4 bytes a character
                raise CLIError(f"{spec}: too large for a config ({size} bytes)")
            source, content = spec, pathlib.Path(spec).read_text(encoding="utf-8")
        except OSError as err:
            raise CLIError(f"cannot read {spec}: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise CLIError(f"cannot read {spec}: not UTF-8 text ({err.reason})") from None
    elif os.path.isdir(spec):
        raise CLIError(f"not a file: {spec} is a directory")
    elif "(" not in text and (text.endswith(".json") or os.sep in text):
        raise CLIError(f"no such file: {spec}")
    else:
        try:
            return lrjax.parse(text)
        except lrjax.ParseError as err:
            raise CLIError(f"bad schedule {_short(text)!r}: {err}") from None
    try:
        return lrjax.from_config(content)
    except ValueError as err:  # not JSON, or not a schedule's config
        raise CLIError(f"{source}: {err}") from None


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _save(ax_or_fig: Any, out: str) -> None:
    figure = getattr(ax_or_fig, "figure", ax_or_fig)
    try:
        figure.savefig(out)
    except (OSError, ValueError) as err:
        raise CLIError(f"cannot write {out}: {getattr(err, 'strerror', None) or err}") from None


def _use_agg() -> None:
    try:
        import matplotlib
    except ImportError:
        raise CLIError(
            "plotting needs matplotlib: pip install 'lrjax[plot]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")


# -- commands ------------------------------------------------------------------------------


def _horizon(schedules: Sequence[Any]) -> tuple[int, str]:
    """The steps to show when ``--steps`` is not given: the longest natural horizon."""
    from lrjax.tools.summary import natural_horizon

    horizons = [natural_horizon(s) for s in schedules]
    n = max(h for h, _ in horizons)
    ended = all(finite for _, finite in horizons)
    return n, ("where it ends" if ended else "its natural horizon, open-ended: default")


def _size(text: str) -> tuple[float, float]:
    """A figure size in inches: ``WIDTHxHEIGHT`` such as ``5x2.8``."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, height = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT in inches") from None
    if not (0 < width <= 100 and 0 < height <= 100):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be in (0, 100] inches")
    return width, height


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw schedules to a PNG (or any format matplotlib knows from the extension).

    The figure is ``--size`` inches at ``--dpi`` pixels per inch (by default 5 x 2.8 at 200:
    1000 x 560 pixels). Text is sized in points, so a small figure at a high dpi keeps its
    labels readable when the image is shown scaled down (a 260-pixel-wide thumbnail). The
    legend sits below the Axes, so it covers no curve, and the figure grows by its height.
    """
    import lrjax
    from lrjax.tools.notebook import legend_below

    schedules = {}
    for spec in args.specs:
        label = os.path.basename(spec) if os.path.isfile(spec) else _short(spec, 50)
        while label in schedules:
            label += "'"
        schedules[label] = load(spec)
    n = args.steps
    if n is None:
        n, _ = _horizon(list(schedules.values()))
    _use_agg()
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.size": args.font_size}):
        fig, ax = plt.subplots(figsize=args.size, dpi=args.dpi, layout="constrained")
        lrjax.plot(schedules, n, ax, logy=args.logy, title=args.title, num_bins=args.bins)
        legend_below(fig, ax)  # it never covers a curve
        _save(fig, args.out)
    plt.close(fig)
    width, height = (round(x * args.dpi) for x in (fig.get_figwidth(), fig.get_figheight()))
    print(f"wrote {args.out} ({len(schedules)} schedule(s), {n:,} steps, {width}x{height} px)")
    return 0


def tree(schedule: Any, indent: str = "", name: str = "") -> list[str]:
    """The schedule as an indented tree: a node per schedule, numbers inline."""
    from lrjax.core.schedule import AbstractPreset, AbstractSchedule, format_field
    from lrjax.schedules.primitives import Constant

    head = f"{name}: " if name else ""
    if isinstance(schedule, Constant):
        return [f"{indent}{head}constant {format_field(schedule.value)}"]
    inline, children = [], []
    for key, value in schedule.config_args().items():
        if isinstance(value, AbstractSchedule):
            children.append((key, value))
        elif isinstance(value, (list, tuple)) and any(
            isinstance(x, AbstractSchedule) for x in value
        ):
            children.extend((f"{key}[{i}]", x) for i, x in enumerate(value))
        else:
            inline.append(f"{key}={_short(format_field(value), 40)}")
    label = schedule.factory or type(schedule).__name__
    lines = [f"{indent}{head}{label}  {'  '.join(inline)}".rstrip()]
    for key, child in children:
        lines.extend(tree(child, indent + "  ", key))
    if isinstance(schedule, AbstractPreset) and not children:
        with contextlib.suppress(Exception):  # a preset that cannot build concretely: no expansion
            lines.extend(tree(schedule.build(), indent + "  ", "builds"))
    return lines


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], align: str) -> list[str]:
    """Indented lines of a table: a header, a rule, and rows aligned per column (``<``, ``>``)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str], align: str) -> str:
        return "  " + "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    return [line(header, "<" * len(widths)), line(["-" * w for w in widths], align)] + [
        line(row, align) for row in rows
    ]


def cmd_show(args: argparse.Namespace) -> int:
    """Print a schedule's tree, its values at key steps and its summary."""
    import numpy as np

    import lrjax
    from lrjax.core.dtypes import int_max

    schedule = load(args.spec)
    n = args.steps
    print(f"schedule: {_short(repr(schedule), 200)}")
    if n is None:
        n, why = _horizon([schedule])
        print(f"steps: {n:,} ({why}; set --steps to change)")
    print()
    print("tree:", *tree(schedule, "  "), sep="\n")
    info = lrjax.summarize(schedule, n, levels=args.levels)
    notes: dict[int, str] = {0: "start"}
    for b in info.boundaries[:20]:
        notes.setdefault(b, "phase boundary")
    notes[info.peak_step] = notes.get(info.peak_step, "") + (" (peak)" if info.peak_step else "")
    notes[n - 1] = (notes.get(n - 1, "") + " last step").strip()
    if n <= int_max():  # the first step after the run: where a schedule of n steps has ended
        notes[n] = (notes.get(n, "") + " end (after the run)").strip()
    steps = sorted(notes)
    values = lrjax.evaluate(schedule, np.asarray(steps, np.int64))
    print()
    print(f"values at key steps (of {n:,}):")
    rows = [(f"{t:,}", f"{float(v):.6g}", notes[t].strip()) for t, v in zip(steps, values)]
    print("\n".join(_table(rows, ("step", "value", "note"), "<><")))
    print()
    print("summary:")
    print(textwrap.indent(str(info), "  "))
    return 0


def _first_line(obj: Any) -> str:
    return (inspect.getdoc(obj) or "").strip().partition("\n")[0]


def catalogue() -> dict[str, list[tuple[str, str]]]:
    """Sections of ``(name, one-line description)``: core, presets, and each compat module."""
    import lrjax
    from lrjax.tools.parse import compat_modules, factories, public_functions

    bare, _ = factories()
    sections: dict[str, list[tuple[str, str]]] = {"core": [], "presets": []}
    for name in lrjax.__all__:  # the public factories; compat ones under their module
        module = getattr(bare.get(name), "__module__", "")
        if module.startswith("lrjax.") and not module.startswith("lrjax.compat."):
            section = "presets" if module == "lrjax.presets.recipes" else "core"
            sections[section].append((name, _first_line(bare[name])))
    for peer, module in sorted(compat_modules().items()):
        sections[f"compat.{peer}"] = [
            (name, _first_line(getattr(module, name))) for name in public_functions(module)
        ]
    return {k: v for k, v in sections.items() if v}


def cmd_list(args: argparse.Namespace) -> int:
    """Print every factory with a one-line description."""
    for section, items in catalogue().items():
        print(f"{section}:")
        width = max(len(name) for name, _ in items)
        for name, text in items:
            print(f"  {name:<{width}}  {text}")
        print()
    print("Use them in specs: lrjax show 'warmup_cosine_decay(3e-4, 2_000, 100_000)' --steps 1e5")
    print("Compat names also work with their prefix: compat.keras.CosineDecay(...)")
    return 0


# -- demo ----------------------------------------------------------------------------------


def demo_recipes(n: int) -> dict[str, Any]:
    """Common recipes over ``n`` steps, built from lrjax presets and compat schedules."""
    import lrjax
    from lrjax.compat import keras, transformers

    warm = max(n // 50, 1)
    return {
        "warmup + cosine": lrjax.warmup_cosine_decay(
            peak_value=3e-4, warmup_steps=warm, total_steps=n, end_value=3e-5
        ),
        "WSD": lrjax.warmup_stable_decay(
            peak_value=3e-4,
            warmup_steps=warm,
            stable_steps=n * 7 // 10 - warm,
            decay_steps=n - n * 7 // 10,
            decay_shape="1-sqrt",
        ),
        "one-cycle": lrjax.one_cycle(peak_value=1e-3, total_steps=n),
        "SGDR (period x2)": lrjax.sgdr(peak_value=1e-3, period=n // 15, period_mul=2.0),
        "triangular CLR": lrjax.cyclic(
            base_value=1e-4, max_value=1e-3, step_size_up=max(n // 20, 1)
        ),
        # The Keras guide's PolynomialDecay (0.1 -> 0.01, power 0.5), over this run.
        "Keras PolynomialDecay": keras.PolynomialDecay(
            initial_learning_rate=0.1, decay_steps=n, end_learning_rate=0.01, power=0.5
        ),
        # Hugging Face's get_scheduler("cosine", ...) as in the Trainer / course recipe.
        'HF get_scheduler("cosine")': transformers.get_scheduler(
            "cosine", learning_rate=5e-5, num_warmup_steps=n // 10, num_training_steps=n
        ),
        "inverse sqrt": lrjax.inverse_sqrt(peak_value=1e-3, warmup_steps=warm),
    }


def cmd_demo(args: argparse.Namespace) -> int:
    """Compose common recipes, summarize them over millions of steps and draw them."""
    from lrjax.tools.plot import draw_envelope, finish_axes
    from lrjax.tools.summary import summarize_with_envelope

    n = args.steps
    _use_agg()
    import matplotlib.pyplot as plt

    start = time.perf_counter()
    recipes = demo_recipes(n)
    # XLA compiles outside the GIL: two threads compile (and run) two recipes at once.
    # One pass per recipe gives both its summary and the envelope that draws it.
    summarize = functools.partial(summarize_with_envelope, num_steps=n, num_bins=_DEMO_BINS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(summarize, recipes.values()))
    rows = [
        (name, f"{i.peak_value:.3g}", f"{i.peak_step:,}", f"{i.end_value:.3g}")
        + (f"{i.mean:.3g}", f"{i.area:.4g}", str(len(i.boundaries)))
        for name, (i, _) in zip(recipes, results, strict=True)
    ]
    # "end": the value at step n, where a recipe of n total steps has ended.
    header = ("recipe", "peak", "at step", "end", "mean", "area (LR budget)", "phases")
    print(f"{len(recipes)} recipes over {n:,} steps each:")
    print()
    print("\n".join(_table(rows, header, "<>>>>>>")))
    print(
        f"  (end: the value at step {n:,}, after the last step, where a recipe of {n:,} steps "
        "has ended; a cyclic one starts a new cycle there)"
    )
    cols = 4
    fig_rows = -(-len(recipes) // cols)
    fig, axes = plt.subplots(
        fig_rows, cols, figsize=(4.0 * cols, 2.8 * fig_rows), dpi=100, layout="constrained"
    )
    flat = list(getattr(axes, "flat", [axes]))
    for ax, (name, schedule), (_, env) in zip(flat, recipes.items(), results, strict=False):
        assert env is not None
        draw_envelope(ax, None, schedule, env)
        finish_axes(ax, n, title=name)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.ticklabel_format(axis="both", style="sci", scilimits=(-2, 3))
    for ax in flat[len(recipes) :]:
        ax.set_visible(False)
    fig.suptitle(f"lrjax demo: {len(recipes)} recipes, {n:,} steps each (x: step, y: lr)")
    _save(fig, args.out)
    plt.close(fig)
    elapsed = time.perf_counter() - start
    total = n * len(recipes)
    print()
    print(f"wrote {args.out}; {total:,} learning rates summarized and drawn in {elapsed:.2f} s")
    return 0


# -- entry point ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``lrjax`` command."""
    from lrjax import __version__

    parser = _Parser(
        prog="lrjax",
        description=(
            "Learning-rate schedules for JAX: plot, inspect and list schedules. A SPEC is a "
            'schedule expression such as "warmup(cosine_decay(3e-4, 100_000), 2_000)", a '
            "path to a JSON file written by lrjax.to_config, or that JSON text."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lrjax {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(
        func: Callable[[argparse.Namespace], int], help: str, **kwargs: Any
    ) -> argparse.ArgumentParser:
        """The subcommand ``func`` runs, named after it (``cmd_plot``: ``plot``)."""
        kwargs.setdefault("description", func.__doc__)
        subparser = commands.add_parser(func.__name__.removeprefix("cmd_"), help=help, **kwargs)
        subparser.set_defaults(func=func)
        return subparser

    p = command(cmd_plot, "draw schedules to an image")
    p.add_argument("specs", nargs="+", metavar="SPEC_OR_JSON", help="schedules to draw")
    p.add_argument("--steps", type=_count, default=None, help=_STEPS_HELP)
    p.add_argument("--out", default="lrjax-plot.png", help="output image (default %(default)s)")
    p.add_argument("--logy", action="store_true", help="logarithmic value axis")
    p.add_argument("--title", default=None, help="plot title")
    p.add_argument("--bins", type=_count, default=None, help="bins per curve (default: 2/pixel)")
    p.add_argument(
        "--size", type=_size, default=(5.0, 2.8), help="figure size in inches (default 5x2.8)"
    )
    p.add_argument("--dpi", type=_count, default=200, help="pixels per inch (default %(default)s)")
    p.add_argument(
        "--font-size", type=float, default=10.0, help="text size in points (default %(default)s)"
    )

    p = command(cmd_show, "print a schedule's tree, key values and summary")
    p.add_argument("spec", metavar="SPEC_OR_JSON", help="the schedule")
    p.add_argument("--steps", type=_count, default=None, help=_STEPS_HELP)
    p.add_argument(
        "--levels", type=_level, nargs="*", default=[], help="report where the value crosses these"
    )

    command(cmd_list, "list presets and compat schedules")
    p = command(
        cmd_demo,
        "summarize and draw common recipes over millions of steps",
        description=(
            "Compose common recipes (warmup + cosine, WSD, one-cycle, SGDR, triangular CLR, "
            "the Keras PolynomialDecay and Hugging Face get_scheduler('cosine') tutorial "
            "schedules, inverse sqrt), summarize each over --steps steps and draw them all "
            "into one PNG."
        ),
    )
    p.add_argument(
        "--steps", type=_count, default=_DEMO_STEPS, help="steps per recipe (default %(default)s)"
    )
    p.add_argument("--out", default="lrjax-demo.png", help="output image (default %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrjax`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `lrjax list | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("lrjax: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # never a traceback on the command line
        message = " ".join(str(err).split())
        if isinstance(err, (CLIError, ValueError, TypeError, OverflowError, ImportError, OSError)):
            message = f"error: {message or type(err).__name__}"
        else:
            message = f"internal error: {type(err).__name__}: {message}"
        print(f"lrjax {args.command}: {message}", file=sys.stderr)
    return 1
