"""Schedules as plain JSON-safe data: ``to_config`` and ``from_config``.

A config is ``{"class_name": ..., "config": {argument: value}}``, recursive through
combinators, with the writing lrjax version at the top level. ``from_config`` builds only
registered lrjax classes, through their public factories (so arguments are validated
again); it never imports by dotted path, unpickles or evaluates code.

Float32 leaves are written with the shortest decimal that rounds back to the same float32,
so a round trip is bit-identical (in the same integer/float mode, x64 or not).
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from jax.core import Tracer

from lrjax.core.schedule import AbstractNode, FunctionSchedule, registered_classes


def _version() -> str:
    try:
        return importlib.metadata.version("lrjax")
    except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
        return VERSION


VERSION = "0.2.0"
"""This source tree's version, for when it is not installed."""


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


def _encode(value: Any, where: str) -> Any:
    if isinstance(value, FunctionSchedule):
        raise ValueError(
            f"to_config: {where} is a plain Python callable ({value.fn!r}), which cannot be "
            "serialized; build it from lrjax schedules instead"
        )
    if isinstance(value, AbstractNode):
        return {
            "class_name": type(value).__name__,
            "config": {k: _encode(x, f"{where}.{k}") for k, x in value.config_args().items()},
        }
    if isinstance(value, (list, tuple)):
        return [_encode(x, f"{where}[{i}]") for i, x in enumerate(value)]
    if value is None or isinstance(value, (str, bool)):
        return value
    return _encode_leaf(value, where)


def to_config(schedule: AbstractNode) -> dict[str, Any]:
    """A JSON-safe dict that rebuilds ``schedule`` with :func:`from_config`.

    Args:
      schedule: an lrjax schedule or adaptive schedule with concrete values (plain
        callables cannot be saved).

    Returns:
      ``{"class_name", "config", "lrjax_version"}``; ``json.dumps`` accepts it as is.

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
    config = _encode(schedule, "schedule")
    config["lrjax_version"] = _version()
    return config


def _decode(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        return _build(value, where)
    if isinstance(value, list):
        return [_decode(x, f"{where}[{i}]") for i, x in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError(f"from_config: {where} has unsupported type {type(value).__name__}")


def _build(config: Mapping[str, Any], where: str) -> Any:
    name = config.get("class_name")
    args = config.get("config")
    if not isinstance(name, str) or not isinstance(args, Mapping):
        raise ValueError(
            f"from_config: {where} must be a mapping with 'class_name' (str) and 'config' "
            f"(mapping), got keys {sorted(config)}"
        )
    classes = registered_classes()
    cls = classes.get(name)
    if cls is None or cls is FunctionSchedule:
        known = ", ".join(sorted(classes))
        raise ValueError(f"from_config: {where} has unknown class_name {name!r}; known: {known}")
    decoded = {str(k): _decode(x, f"{where}.{k}") for k, x in args.items()}
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
      ValueError: an unknown class name or a malformed field, naming it.

    Examples:
      >>> s = lrjax.from_config({"class_name": "Linear", "config": {"init_value": 1.0,
      ...     "end_value": 0.0, "transition_steps": 10, "transition_begin": 0}})
      >>> print(f"{float(s(5)):.2f}")
      0.50
    """
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as err:
            raise ValueError(f"from_config: not valid JSON: {err}") from None
    if not isinstance(config, Mapping):
        raise ValueError(f"from_config: expected a mapping, got {type(config).__name__}")
    body = {k: x for k, x in config.items() if k != "lrjax_version"}
    return _build(body, "schedule")
