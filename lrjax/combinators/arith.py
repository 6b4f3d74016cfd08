"""Pointwise arithmetic on schedules: ``+``, ``-``, ``*``, ``/``, minimum, maximum, clip.

Operators on schedules build these nodes (``s * 0.5``, ``s1 + s2``, ``1e-3 * s``); numbers
become ``constant`` schedules, so they are leaves too (vmappable, differentiable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.core import checks as v
from lrjax.core.schedule import (
    AbstractSchedule,
    Array,
    ArrayLike,
    Schedule,
    as_schedule,
    evaluate_child,
    format_value,
)
from lrjax.schedules.primitives import Constant


def _operands(left: AbstractSchedule, op: str, right: AbstractSchedule) -> str:
    """``(left op right)``, with constants as bare numbers when the other side is a schedule
    (so the text parses back to the same tree)."""

    def show(x: AbstractSchedule, other: AbstractSchedule) -> str:
        if isinstance(x, Constant) and not isinstance(other, Constant):
            if not isinstance(x.value, Tracer) and np.ndim(x.value) == 0:
                text = format_value(x.value)
                return f"({text})" if text.startswith("-") else text
        return repr(x)

    return f"({show(left, right)} {op} {show(right, left)})"


def _merged_boundaries(
    schedules: Sequence[AbstractSchedule], horizon: int | None
) -> tuple[int, ...]:
    return tuple(sorted({p for s in schedules for p in s.phase_boundaries(horizon)}))


class Add(AbstractSchedule):
    """``left + right`` pointwise (built by ``+`` or :func:`add`)."""

    left: AbstractSchedule
    right: AbstractSchedule
    factory: ClassVar[str] = "add"

    def _evaluate(self, t: Array) -> Array:
        return evaluate_child(self.left, t) + evaluate_child(self.right, t)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries((self.left, self.right), horizon)

    def __repr__(self) -> str:
        return _operands(self.left, "+", self.right)


class Multiply(AbstractSchedule):
    """``left * right`` pointwise (built by ``*`` or :func:`multiply`)."""

    left: AbstractSchedule
    right: AbstractSchedule
    factory: ClassVar[str] = "multiply"

    def _evaluate(self, t: Array) -> Array:
        return evaluate_child(self.left, t) * evaluate_child(self.right, t)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries((self.left, self.right), horizon)

    def __repr__(self) -> str:
        return _operands(self.left, "*", self.right)


class Divide(AbstractSchedule):
    """``left / right`` pointwise (built by ``/`` or :func:`divide`)."""

    left: AbstractSchedule
    right: AbstractSchedule
    factory: ClassVar[str] = "divide"

    def _evaluate(self, t: Array) -> Array:
        return evaluate_child(self.left, t) / evaluate_child(self.right, t)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries((self.left, self.right), horizon)

    def __repr__(self) -> str:
        return _operands(self.left, "/", self.right)


def add(left: Schedule | ArrayLike, right: Schedule | ArrayLike) -> Add:
    """Pointwise sum ``left(t) + right(t)``; numbers are constants.

    Examples:
      >>> s = lrjax.add(lrjax.linear(1.0, 0.0, 10), 0.5)
      >>> print(f"{float(s(10)):.2f}")
      0.50
    """
    return Add(as_schedule(left, "add", "left"), as_schedule(right, "add", "right"))


def multiply(left: Schedule | ArrayLike, right: Schedule | ArrayLike) -> Multiply:
    """Pointwise product ``left(t) * right(t)``; numbers are constants.

    Examples:
      >>> s = 2.0 * lrjax.linear(1.0, 0.0, 10)
      >>> print(f"{float(s(5)):.2f}")
      1.00
    """
    return Multiply(as_schedule(left, "multiply", "left"), as_schedule(right, "multiply", "right"))


def divide(left: Schedule | ArrayLike, right: Schedule | ArrayLike) -> Divide:
    """Pointwise quotient ``left(t) / right(t)``; a number divisor must be non-zero.

    Examples:
      >>> s = lrjax.linear(1.0, 0.0, 10) / 4
      >>> print(f"{float(s(0)):.2f}")
      0.25
    """
    if isinstance(right, (int, float)) and not isinstance(right, bool) and right == 0:
        raise ValueError("divide(right=0): right must be non-zero")
    return Divide(as_schedule(left, "divide", "left"), as_schedule(right, "divide", "right"))


def negate(schedule: Schedule | ArrayLike) -> Multiply:
    """Pointwise ``-schedule(t)`` (a product with the constant -1).

    Examples:
      >>> s = 1.0 - lrjax.linear(1.0, 0.0, 10)
      >>> print(f"{float(s(10)):.2f}")
      1.00
    """
    return multiply(-1.0, schedule)


class Minimum(AbstractSchedule):
    """The pointwise minimum of schedules (built by :func:`minimum`)."""

    schedules: tuple[AbstractSchedule, ...]
    factory: ClassVar[str] = "minimum"

    def _evaluate(self, t: Array) -> Array:
        values = [evaluate_child(s, t) for s in self.schedules]
        result = values[0]
        for value in values[1:]:
            result = jnp.minimum(result, value)
        return result

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries(self.schedules, horizon)

    def __repr__(self) -> str:
        return f"minimum({', '.join(repr(s) for s in self.schedules)})"

    @classmethod
    def from_config_args(cls, args: dict[str, Any]) -> AbstractSchedule:
        return minimum(*args["schedules"])


class Maximum(AbstractSchedule):
    """The pointwise maximum of schedules (built by :func:`maximum`)."""

    schedules: tuple[AbstractSchedule, ...]
    factory: ClassVar[str] = "maximum"

    def _evaluate(self, t: Array) -> Array:
        values = [evaluate_child(s, t) for s in self.schedules]
        result = values[0]
        for value in values[1:]:
            result = jnp.maximum(result, value)
        return result

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries(self.schedules, horizon)

    def __repr__(self) -> str:
        return f"maximum({', '.join(repr(s) for s in self.schedules)})"

    @classmethod
    def from_config_args(cls, args: dict[str, Any]) -> AbstractSchedule:
        return maximum(*args["schedules"])


def _schedules(func: str, schedules: Sequence[Any]) -> tuple[AbstractSchedule, ...]:
    if len(schedules) == 1 and isinstance(schedules[0], (list, tuple)):
        schedules = schedules[0]
    if not schedules:
        raise ValueError(f"{func}(): needs at least one schedule")
    return tuple(as_schedule(s, func, f"schedules[{i}]") for i, s in enumerate(schedules))


def minimum(*schedules: Schedule | ArrayLike) -> Minimum:
    """Pointwise minimum ``min_i s_i(t)`` of schedules or numbers (lingvo's combined minimum).

    Also accepts one list: ``minimum([s1, s2])``.

    Examples:
      >>> s = lrjax.minimum(lrjax.linear(0.0, 2.0, 10), 1.0)
      >>> print([float(x) for x in s(jnp.array([0, 5, 10]))])
      [0.0, 1.0, 1.0]
    """
    return Minimum(_schedules("minimum", schedules))


def maximum(*schedules: Schedule | ArrayLike) -> Maximum:
    """Pointwise maximum ``max_i s_i(t)`` of schedules or numbers (a floor, for instance).

    Also accepts one list: ``maximum([s1, s2])``.

    Examples:
      >>> s = lrjax.maximum(lrjax.linear(1.0, 0.0, 10), 0.1)
      >>> print(f"{float(s(10)):.2f}")
      0.10
    """
    return Maximum(_schedules("maximum", schedules))


class Clip(AbstractSchedule):
    """A schedule clipped to ``[lower, upper]`` (built by :func:`clip`)."""

    schedule: AbstractSchedule
    lower: Array | None
    upper: Array | None
    factory: ClassVar[str] = "clip"

    def _evaluate(self, t: Array) -> Array:
        value = evaluate_child(self.schedule, t)
        if self.lower is not None:
            value = jnp.maximum(value, jnp.asarray(self.lower).astype(value.dtype))
        if self.upper is not None:
            value = jnp.minimum(value, jnp.asarray(self.upper).astype(value.dtype))
        return value

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return self.schedule.phase_boundaries(horizon)


def clip(
    schedule: Schedule, lower: ArrayLike | None = None, upper: ArrayLike | None = None
) -> Clip:
    r"""Clip a schedule to ``[lower, upper]`` pointwise.

    .. math::
      \eta(t) = \min(\max(s(t), L), U)

    Args:
      schedule: the schedule to clip.
      lower: optional lower bound; finite.
      upper: optional upper bound; finite and ``>= lower``.

    Returns:
      A ``Clip`` schedule.

    Examples:
      >>> s = lrjax.clip(lrjax.linear(0.0, 1.0, 10), lower=0.2, upper=0.8)
      >>> print([round(float(x), 2) for x in s(jnp.array([0, 5, 10]))])
      [0.2, 0.5, 0.8]
    """
    f = "clip"
    child = as_schedule(schedule, f, "schedule")
    lo = None if lower is None else v.as_value(f, "lower", lower)
    hi = None if upper is None else v.as_value(f, "upper", upper)
    if lo is not None and hi is not None:
        a, b = v.concrete(lo), v.concrete(hi)
        if a is not None and b is not None:
            v.require(a <= b, f, f"lower={a} must be <= upper={b}")
    return Clip(child, lo, hi)
