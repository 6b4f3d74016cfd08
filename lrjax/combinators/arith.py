"""Pointwise arithmetic on schedules: ``+``, ``-``, ``*``, ``/``, minimum, maximum, clip.

Operators on schedules build these nodes (``s * 0.5``, ``s1 + s2``, ``1e-3 * s``); numbers
become ``constant`` schedules, so they are leaves too (vmappable, differentiable).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.schedule import (
    AbstractSchedule,
    Array,
    ArrayLike,
    Child,
    Param,
    Schedule,
    evaluate_child,
    format_value,
    make_factory,
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


class AbstractBinary(AbstractSchedule):
    """``left <op> right`` pointwise; subclasses name the operator."""

    left: Child = fields.schedule()
    right: Child = fields.schedule()
    symbol: ClassVar[str]
    operator: ClassVar[Callable[..., Array]]

    def _evaluate(self, t: Array) -> Array:
        return self.operator(evaluate_child(self.left, t), evaluate_child(self.right, t))

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries((self.left, self.right), horizon)

    def __repr__(self) -> str:
        return _operands(self.left, self.symbol, self.right)


class Add(AbstractBinary):
    """Pointwise sum ``left(t) + right(t)``; numbers are constants (also built by ``+``).

    Examples:
      >>> s = lrjax.add(lrjax.linear(1.0, 0.0, 10), 0.5)
      >>> print(f"{float(s(10)):.2f}")
      0.50
    """

    symbol, operator = "+", staticmethod(jnp.add)


add = make_factory(Add)


class Multiply(AbstractBinary):
    """Pointwise product ``left(t) * right(t)``; numbers are constants (also built by ``*``).

    Examples:
      >>> s = 2.0 * lrjax.linear(1.0, 0.0, 10)
      >>> print(f"{float(s(5)):.2f}")
      1.00
    """

    symbol, operator = "*", staticmethod(jnp.multiply)


multiply = make_factory(Multiply)


class Divide(AbstractBinary):
    """``left / right`` pointwise (built by ``/`` or :func:`divide`)."""

    symbol, operator = "/", staticmethod(jnp.divide)


def divide(left: Schedule | ArrayLike, right: Schedule | ArrayLike) -> Divide:
    """Pointwise quotient ``left(t) / right(t)``; a number divisor must be non-zero.

    Examples:
      >>> s = lrjax.linear(1.0, 0.0, 10) / 4
      >>> print(f"{float(s(0)):.2f}")
      0.25
    """
    if isinstance(right, (int, float, np.number, np.ndarray)) and not isinstance(right, bool):
        divisor = v.as_value("divide", "right", right, shape=None)
        if np.any(np.asarray(right) == 0):
            raise ValueError(f"divide(right={right!r}): right must be non-zero")
        # XLA on CPU flushes subnormal numbers to zero: such a divisor would divide by 0.
        if np.any(np.abs(divisor) < v.tiny()):
            raise ValueError(
                f"divide(right={right!r}): |right| must be >= {v.tiny():.8g}, the smallest "
                f"positive {divisor.dtype} that is not flushed to zero"
            )
    return Divide(left, right)


def negate(schedule: Schedule | ArrayLike) -> Multiply:
    """Pointwise ``-schedule(t)`` (a product with the constant -1).

    Examples:
      >>> s = 1.0 - lrjax.linear(1.0, 0.0, 10)
      >>> print(f"{float(s(10)):.2f}")
      1.00
    """
    return multiply(-1.0, schedule)


class AbstractReduction(AbstractSchedule):
    """A pointwise reduction over schedules; subclasses name it."""

    schedules: tuple[Child, ...] = fields.schedules()
    reduce: ClassVar[Callable[..., Array]]

    def _evaluate(self, t: Array) -> Array:
        return functools.reduce(self.reduce, [evaluate_child(s, t) for s in self.schedules])

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return _merged_boundaries(self.schedules, horizon)

    def __repr__(self) -> str:
        return f"{self.factory}({', '.join(repr(s) for s in self.schedules)})"

    @classmethod
    def from_config_args(cls, args: dict[str, Any]) -> AbstractSchedule:
        return cls(args["schedules"])


class Minimum(AbstractReduction):
    """The pointwise minimum of schedules (built by :func:`minimum`)."""

    reduce = staticmethod(jnp.minimum)


class Maximum(AbstractReduction):
    """The pointwise maximum of schedules (built by :func:`maximum`)."""

    reduce = staticmethod(jnp.maximum)


def _unpack(schedules: tuple[Any, ...]) -> Any:
    """``f(s1, s2)`` or ``f([s1, s2])``."""
    if len(schedules) == 1 and isinstance(schedules[0], (list, tuple)):
        return schedules[0]
    return schedules


def minimum(*schedules: Schedule | ArrayLike) -> Minimum:
    """Pointwise minimum ``min_i s_i(t)`` of schedules or numbers (lingvo's combined minimum).

    Also accepts one list: ``minimum([s1, s2])``.

    Examples:
      >>> s = lrjax.minimum(lrjax.linear(0.0, 2.0, 10), 1.0)
      >>> print([float(x) for x in s(jnp.array([0, 5, 10]))])
      [0.0, 1.0, 1.0]
    """
    return Minimum(_unpack(schedules))


def maximum(*schedules: Schedule | ArrayLike) -> Maximum:
    """Pointwise maximum ``max_i s_i(t)`` of schedules or numbers (a floor, for instance).

    Also accepts one list: ``maximum([s1, s2])``.

    Examples:
      >>> s = lrjax.maximum(lrjax.linear(1.0, 0.0, 10), 0.1)
      >>> print(f"{float(s(10)):.2f}")
      0.10
    """
    return Maximum(_unpack(schedules))


class Clip(AbstractSchedule):
    r"""Clip a schedule to ``[lower, upper]`` pointwise.

    .. math::
      \eta(t) = \min(\max(s(t), L), U)

    Args:
      schedule: the schedule to clip.
      lower: optional lower bound; finite.
      upper: optional upper bound; finite and ``>= lower``.

    Examples:
      >>> s = lrjax.clip(lrjax.linear(0.0, 1.0, 10), lower=0.2, upper=0.8)
      >>> print([round(float(x), 2) for x in s(jnp.array([0, 5, 10]))])
      [0.2, 0.5, 0.8]
    """

    schedule: Child = fields.schedule()
    lower: Param | None = fields.value(optional=True, default=None)
    upper: Param | None = fields.value(optional=True, default=None)

    def check(self) -> None:
        lower, upper = v.concrete(self.lower), v.concrete(self.upper)
        if lower is not None and upper is not None:
            v.require(lower <= upper, self.factory, f"lower={lower} must be <= upper={upper}")

    def _evaluate(self, t: Array) -> Array:
        value = evaluate_child(self.schedule, t)
        if self.lower is not None:
            value = jnp.maximum(value, jnp.asarray(self.lower).astype(value.dtype))
        if self.upper is not None:
            value = jnp.minimum(value, jnp.asarray(self.upper).astype(value.dtype))
        return value

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return self.schedule.phase_boundaries(horizon)


clip = make_factory(Clip)
