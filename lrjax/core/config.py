"""Schedules as plain JSON-safe data: ``to_config`` and ``from_config``.

A config is ``{"class_name": ..., "config": {argument: value}}``, recursive through
combinators, with the writing lrjax version at the top level. ``from_config`` builds only
registered lrjax classes, through their public factories (so arguments are validated
again); it never imports by dotted path, unpickles or evaluates code. A compat class
(``KerasExponentialDecay``) whose module is not imported yet is found by name among the
classes that lrjax's own ``lrjax/compat`` files define, and that module is imported.

Loading is bounded like ``parse``: at most ``MAX_DEPTH`` nested schedules and lists, at
most ``MAX_VALUES`` values in all, integers within int64, JSON text of at most
``MAX_TEXT`` characters; beyond them a ``ValueError`` names the field. ``to_config``
refuses a schedule that ``from_config`` could not load back.

Float32 leaves are written with the shortest decimal that rounds back to the same float32,
so a round trip is bit-identical (in the same integer/float mode, x64 or not).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import json
import pathlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from jax.core import Tracer

from lrjax.core.schedule import AbstractNode, FunctionSchedule, equivalent, registered_classes


def _version() -> str:
    try:
        return importlib.metadata.version("lrjax")
    except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
        return VERSION


VERSION = "0.2.0"
"""This source tree's version, for when it is not installed."""

MAX_DEPTH = 128
"""Nesting levels of a config: each schedule and each list on the way down counts one.
A chain of 100 ``s * 0.5`` is 101 levels; Python's own recursion limit is far below
the thousands of levels a hostile config can hold."""
MAX_VALUES = 200_000
"""Numbers, strings, bools and ``None`` in one config (a piecewise schedule of 100 000
pieces holds 200 000): a bound on the time and memory that loading takes."""
MAX_TEXT = 8_000_000
"""Characters of a JSON config given as text, checked before it is decoded."""
_MAX_INT = 2**63 - 1  # int64, the widest step or count a schedule holds (as in ``parse``)


class _Budget:
    """The values left to decode or encode, shared by one whole config."""

    def __init__(self, func: str) -> None:
        self.func, self.left = func, MAX_VALUES

    def spend(self, where: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError(
                f"{self.func}: {_path(where)}: the config holds more than {MAX_VALUES} values"
            )


def _check_depth(func: str, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(
            f"{func}: {_path(where)} is nested {depth} levels deep, more than {MAX_DEPTH} "
            "(every schedule and every list counts one level)"
        )


@functools.cache
def compat_names() -> dict[str, tuple[str, bool]]:
    """Public name -> (``lrjax.compat`` module, is a class), from the compat files' classes,
    functions and factories (``name = make_factory(...)``).

    Read without importing them, so ``import lrjax`` stays light: a config of a compat class
    imports just the module that defines it. Only lrjax's own files are read, and only the
    modules found there can be imported.
    """
    folder = pathlib.Path(__file__).resolve().parent.parent / "compat"
    found: dict[str, tuple[str, bool]] = {}
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                names, is_class = [node.name], True
            elif isinstance(node, ast.FunctionDef):
                names, is_class = [node.name], False
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                is_class = False
            else:
                continue
            for name in names:
                if not name.startswith(("_", "Abstract")):
                    found.setdefault(name, (path.stem, is_class))
    return found


def _compat_classes() -> dict[str, str]:
    """Class name -> the ``lrjax.compat`` module that defines it (see :func:`compat_names`)."""
    return {name: module for name, (module, is_class) in compat_names().items() if is_class}


def _find_class(name: str) -> type[AbstractNode] | None:
    classes = registered_classes()
    if name not in classes and name in _compat_classes():
        # The one upward import of the config (docs/architecture.md), taken at load time:
        # the module is a fixed name from lrjax's own compat folder, never from the config.
        importlib.import_module(f"lrjax.compat.{_compat_classes()[name]}")
        classes = registered_classes()
    cls = classes.get(name)
    return None if cls is FunctionSchedule else cls


def _known_classes() -> str:
    """The names ``from_config`` builds, for an error message: every compat module loaded."""
    for module in sorted(set(_compat_classes().values())):
        importlib.import_module(f"lrjax.compat.{module}")
    names = [n for n, cls in registered_classes().items() if cls is not FunctionSchedule]
    return ", ".join(sorted(names))


class _HugeInt:
    """An integer literal of JSON text too long to convert, kept until its field is known."""

    def __init__(self, digits: str) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _HugeInt:
    # Python refuses int() of more than 4 300 digits with a message naming no field; int64
    # has at most 19 digits, so longer literals are reported by _decode with their path.
    return int(text) if len(text.lstrip("-")) <= 19 else _HugeInt(text)


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _key(key: Any) -> str:
    text = str(key)
    return text if len(text) <= 40 and text.isidentifier() else _short(text, 40)


def _path(where: str) -> str:
    """A field path for a message: the start and the end of a very deep one."""
    return where if len(where) <= 160 else f"{where[:60]}...{where[-90:]}"


def _encode_leaf(x: Any, where: str) -> Any:
    if isinstance(x, Tracer):
        raise ValueError(f"to_config: {where} is traced; configs hold concrete values only")
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.tolist()
    if arr.dtype == np.float32:
        # str() of a float32 is its shortest round-trip decimal: float32(0.1) -> "0.1".
        return np.vectorize(lambda e: float(str(np.float32(e))), otypes=[object])(arr).tolist()
    return arr.astype(np.float64).tolist()


def _encode(value: Any, where: str, budget: _Budget, depth: int = 1) -> Any:
    if isinstance(value, (AbstractNode, list, tuple)):
        _check_depth("to_config", where, depth)
    else:
        budget.spend(where)
    if isinstance(value, FunctionSchedule):
        hint = equivalent(value.fn)
        instead = f"use {hint} instead" if hint else "build it from lrjax schedules instead"
        raise ValueError(
            f"to_config: {where} is a plain Python callable ({value.fn!r}), which cannot be "
            f"serialized; {instead}"
        )
    if isinstance(value, AbstractNode):
        return {
            "class_name": type(value).__name__,
            "config": {
                k: _encode(x, f"{where}.{k}", budget, depth + 1)
                for k, x in value.config_args().items()
            },
        }
    if isinstance(value, (list, tuple)):
        return [_encode(x, f"{where}[{i}]", budget, depth + 1) for i, x in enumerate(value)]
    if value is None or isinstance(value, (str, bool)):
        return value
    leaf = _encode_leaf(value, where)
    if isinstance(leaf, list):  # an array leaf (a stacked schedule): count its elements
        size = int(np.size(value))
        for _ in range(size - 1):
            budget.spend(where)
    return leaf


def to_config(schedule: AbstractNode) -> dict[str, Any]:
    """A JSON-safe dict that rebuilds ``schedule`` with :func:`from_config`.

    Args:
      schedule: an lrjax schedule or adaptive schedule with concrete values (plain
        callables cannot be saved).

    Returns:
      ``{"class_name", "config", "lrjax_version"}``; ``json.dumps`` accepts it as is.

    Raises:
      ValueError: a plain callable or a traced value inside, or a schedule beyond the limits
        of :func:`from_config` (nesting depth, number of values), which could not be loaded.

    Examples:
      >>> s = lrjax.warmup(lrjax.cosine_decay(1e-3, 1000), 100)
      >>> config = lrjax.to_config(s)
      >>> config["class_name"], config["config"]["schedule"]["config"]["init_value"]
      ('Warmup', 0.001)
      >>> lrjax.from_config(config) == s
      True
    """
    if not isinstance(schedule, AbstractNode):
        raise TypeError(f"to_config: expected an lrjax schedule, got {type(schedule).__name__}")
    config = _encode(schedule, "schedule", _Budget("to_config"))
    config["lrjax_version"] = _version()
    return config


def _decode(value: Any, where: str, budget: _Budget, depth: int) -> Any:
    if isinstance(value, Mapping):
        return _build(value, where, budget, depth)
    if isinstance(value, list):
        _check_depth("from_config", where, depth)
        if len(value) > budget.left:  # refuse a huge list before walking it
            raise ValueError(
                f"from_config: {_path(where)} has {len(value)} entries: the config holds more "
                f"than {MAX_VALUES} values"
            )
        return [_decode(x, f"{where}[{i}]", budget, depth + 1) for i, x in enumerate(value)]
    budget.spend(where)
    if isinstance(value, _HugeInt) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT
    ):
        raise ValueError(
            f"from_config: {_path(where)} is an integer outside int64 "
            f"(at most {_MAX_INT} in absolute value)"
        )
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError(f"from_config: {where} has unsupported type {type(value).__name__}")


def _build(config: Mapping[str, Any], where: str, budget: _Budget, depth: int) -> Any:
    _check_depth("from_config", where, depth)
    name = config.get("class_name")
    args = config.get("config")
    if not isinstance(name, str) or not isinstance(args, Mapping):
        keys = sorted(map(str, config))
        shown = ", ".join(_short(k) for k in keys[:10]) + (", ..." if len(keys) > 10 else "")
        raise ValueError(
            f"from_config: {_path(where)} must be a mapping with 'class_name' (str) and 'config' "
            f"(mapping), got keys [{shown}]"
        )
    cls = _find_class(name)
    if cls is None:
        raise ValueError(
            f"from_config: {_path(where)} has unknown class_name {_short(name)}; "
            f"known: {_known_classes()}"
        )
    decoded = {str(k): _decode(x, f"{where}.{_key(k)}", budget, depth + 1) for k, x in args.items()}
    try:
        return cls.from_config_args(decoded)
    except TypeError as err:
        raise ValueError(f"from_config: {where} ({name}) has malformed fields: {err}") from None


def from_config(config: Mapping[str, Any] | str) -> Any:
    """Rebuild a schedule from :func:`to_config` output (a dict or its JSON text).

    Args:
      config: the dict, or a JSON string of it.

    Returns:
      The schedule; it evaluates bit-identically to the one that was saved.

    Raises:
      ValueError: an unknown class name or a malformed field, naming it; a config beyond
        the limits (``MAX_DEPTH`` nesting levels, ``MAX_VALUES`` values, integers outside
        int64, ``MAX_TEXT`` characters of JSON text), naming the field where it exceeds them.

    Examples:
      >>> s = lrjax.from_config({"class_name": "Linear", "config": {"init_value": 1.0,
      ...     "end_value": 0.0, "transition_steps": 10, "transition_begin": 0}})
      >>> print(f"{float(s(5)):.2f}")
      0.50
    """
    if isinstance(config, str):
        if len(config) > MAX_TEXT:
            raise ValueError(
                f"from_config: the JSON text is too long ({len(config)} characters, "
                f"at most {MAX_TEXT})"
            )
        try:
            config = json.loads(config, parse_int=_parse_int)
        except json.JSONDecodeError as err:
            raise ValueError(f"from_config: not valid JSON: {err}") from None
        except RecursionError:
            raise ValueError(
                f"from_config: the JSON text is nested more deeply than Python can decode "
                f"(configs hold at most {MAX_DEPTH} levels)"
            ) from None
    if not isinstance(config, Mapping):
        raise ValueError(f"from_config: expected a mapping, got {type(config).__name__}")
    body = {k: x for k, x in config.items() if k != "lrjax_version"}
    return _build(body, "schedule", _Budget("from_config"), 1)
