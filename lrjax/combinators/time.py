"""Time combinators: delay (``shift``), rescale (``stretch``) and hold (``quantize``)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.schedule import AbstractSchedule, Array, Child, Param, evaluate_child, make_factory
from lrjax.core.steps import as_step_dtype, floor_divmod, is_integer_step


class Shift(AbstractSchedule):
    r"""Delay a schedule by ``steps``: it holds ``schedule(0)`` until step ``steps``.

    .. math::
      \eta(t) = s(\max(t - d, 0))

    Args:
      schedule: the schedule to delay.
      steps: the delay :math:`d`; an integer ``>= 0``.

    Examples:
      >>> s = lrjax.shift(lrjax.linear(1.0, 0.0, 10), steps=5)
      >>> print([float(x) for x in s(jnp.array([0, 5, 10, 15]))])
      [1.0, 1.0, 0.5, 0.0]
    """

    schedule: Child = fields.schedule()
    steps: Param = fields.count()

    def _evaluate(self, t: Array) -> Array:
        local = jnp.maximum(t - as_step_dtype(self.steps, t), jnp.zeros((), t.dtype))
        return evaluate_child(self.schedule, local)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return delayed_boundaries(self.schedule, self.steps, horizon)


shift = make_factory(Shift)


def delayed_boundaries(child: AbstractSchedule, delay: Any, horizon: int | None) -> tuple[int, ...]:
    """The phase boundaries of ``child`` started at step ``delay``, with ``delay`` itself."""
    d = v.concrete(delay)
    if d is None or np.ndim(d):
        return ()
    inner = child.phase_boundaries(None if horizon is None else horizon - d)
    return tuple(sorted({p for p in (d, *(d + c for c in inner)) if p > 0}))


class Stretch(AbstractSchedule):
    r"""Rescale time: ``factor > 1`` slows the schedule down, ``< 1`` speeds it up.

    .. math::
      \eta(t) = s(t / f)

    The child sees a float step. In float32 that step is exact up to 2**24 and has a
    relative error below 6e-8 beyond (exact under ``jax_enable_x64``); to stretch by an
    integer factor exactly, prefer scaling the child's own step counts.

    Args:
      schedule: the schedule to rescale.
      factor: the time factor :math:`f`; ``> 0``.

    Examples:
      >>> s = lrjax.stretch(lrjax.linear(1.0, 0.0, 10), factor=2.0)
      >>> print([float(x) for x in s(jnp.array([0, 10, 20]))])
      [1.0, 0.5, 0.0]
    """

    schedule: Child = fields.schedule()
    factor: Param = fields.value(positive=True)

    def _evaluate(self, t: Array) -> Array:
        factor = jnp.asarray(self.factor)
        local = t.astype(factor.dtype) / factor
        return evaluate_child(self.schedule, local)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        factor = v.concrete(self.factor)
        if factor is None or np.ndim(factor):
            return ()
        inner = None if horizon is None else int(horizon / factor) + 1
        return tuple(
            sorted({int(np.ceil(p * factor)) for p in self.schedule.phase_boundaries(inner)})
        )


stretch = make_factory(Stretch)


class Quantize(AbstractSchedule):
    r"""Hold the value for ``every`` steps: update it only once per block (per epoch).

    .. math::
      \eta(t) = s\left(e \left\lfloor t / e \right\rfloor\right)

    Like Keras's ``LearningRateScheduler`` callback or a torch scheduler stepped once per
    epoch, with ``every`` the number of steps per epoch.

    Args:
      schedule: the schedule to hold.
      every: block length :math:`e`; an integer ``>= 1``.

    Examples:
      >>> s = lrjax.quantize(lrjax.linear(1.0, 0.0, 10), every=5)
      >>> print([float(x) for x in s(jnp.array([0, 4, 5, 9, 10]))])
      [1.0, 1.0, 0.5, 0.5, 0.0]
    """

    schedule: Child = fields.schedule()
    every: Param = fields.count(minimum=1)

    def _evaluate(self, t: Array) -> Array:
        every = jnp.maximum(as_step_dtype(self.every, t), jnp.ones((), t.dtype))
        held = every * floor_divmod(t, every)[0]
        if not is_integer_step(t):
            held = jnp.where(jnp.isinf(t), t, held)  # inf // every is nan
        return evaluate_child(self.schedule, held)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        every = v.concrete(self.every)
        if every is None or np.ndim(every):
            return ()
        child = self.schedule.phase_boundaries(horizon)
        return tuple(sorted({int(-(-p // every) * every) for p in child}))


quantize = make_factory(Quantize)
