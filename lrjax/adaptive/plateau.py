"""Reduce on plateau: the base schedule times ``factor`` per plateau of the metric."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lrjax.adaptive.base import AbstractAdaptive, PlateauState
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.dtypes import float_dtype, int_dtype
from lrjax.core.schedule import Array, Child, Param, make_factory

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")


class AbstractPlateau(AbstractAdaptive):
    """Shared by every plateau controller: the state, the counters' transitions."""

    def _initial(self) -> PlateauState:
        worst = jnp.inf if self.mode == "min" else -jnp.inf  # pyright: ignore
        zero = jnp.zeros((), int_dtype())
        return PlateauState(
            count=zero,
            best=jnp.asarray(worst, float_dtype()),
            num_bad=zero,
            cooldown=zero,
            num_reductions=zero,
            scale=jnp.asarray(self._initial_scale(), float_dtype()),
        )

    def _initial_scale(self) -> Any:
        return 1.0


class ReduceOnPlateau(AbstractPlateau):
    r"""Multiply a schedule by ``factor`` each time the metric stops improving.

    .. math::
      \eta = s(n)\,\max(f^{k}, m)

    for the base schedule :math:`s` at the update count :math:`n`, ``factor`` :math:`f`,
    ``min_scale`` :math:`m` and :math:`k` reductions so far. A metric :math:`x` improves on
    the best :math:`b` when :math:`x < b - \tau` (``mode="min"``; ``x > b + \tau`` for
    "max") with :math:`\tau` = ``threshold`` (``threshold_mode="abs"``) or ``threshold *
    |b|`` ("rel", also right for negative metrics); NaN never improves. After more than
    ``patience`` valid updates without improvement, :math:`k` grows by one and the next
    ``cooldown`` valid updates are ignored (PyTorch's rules). ``min_scale`` bounds the
    multiplier, so the base schedule's own shape (a warmup) is never lifted.

    Args:
      schedule: the base schedule (an lrjax schedule, a callable or a number).
      factor: the multiplier per reduction; in ``(0, 1)``.
      patience: valid updates without improvement that are tolerated; an integer ``>= 0``.
      mode: "min" (a loss) or "max" (an accuracy).
      threshold: the improvement that counts; ``>= 0``.
      threshold_mode: "rel" (relative to ``|best|``) or "abs".
      cooldown: valid updates ignored after a reduction; an integer ``>= 0``.
      min_scale: the smallest multiplier; in ``[0, 1]``.

    Examples:
      >>> c = lrjax.reduce_on_plateau(1e-2, factor=0.5, patience=1)
      >>> state = c.init()
      >>> for loss in [1.0, 0.5, 0.6, 0.7, 0.8]:
      ...     state = c.update(state, value=loss)
      >>> print(f"{float(c(state)):.4f}", int(state.num_reductions))
      0.0050 1
    """

    schedule: Child = fields.schedule()
    factor: Param = fields.value(positive=True, default=0.1, kw_only=True)
    patience: Param = fields.count(default=10, kw_only=True)
    mode: str = fields.choice(MODES, default="min", kw_only=True)
    threshold: Param = fields.value(nonnegative=True, default=1e-4, kw_only=True)
    threshold_mode: str = fields.choice(THRESHOLD_MODES, default="rel", kw_only=True)
    cooldown: Param = fields.count(default=0, kw_only=True)
    min_scale: Param = fields.value(nonnegative=True, default=0.0, kw_only=True)

    def check(self) -> None:
        v.require_args(self, "factor", lambda f: f < 1, "factor must be in (0, 1)")
        v.require_args(self, "min_scale", lambda m: m <= 1, "min_scale must be in [0, 1]")

    def _observe(self, state: PlateauState, metric: Array) -> PlateauState:
        sign = 1.0 if self.mode == "min" else -1.0
        x, best = sign * metric, sign * state.best
        tau = self.threshold * (jnp.abs(best) if self.threshold_mode == "rel" else 1.0)
        # Before the first metric best is inf, and inf - inf would be NaN: nothing to subtract.
        improved = x < jnp.where(jnp.isinf(best), best, best - tau)
        state = count_plateau(state, improved, metric, self.patience, self.cooldown)
        k = state.num_reductions.astype(metric.dtype)
        scale = jnp.maximum(jnp.asarray(self.factor, metric.dtype) ** k, self.min_scale)
        return state._replace(scale=scale.astype(state.scale.dtype))


def count_plateau(
    state: PlateauState, improved: Array, metric: Array, patience: Any, cooldown: Any
) -> PlateauState:
    """PyTorch's counters: a reduction when the bad updates exceed ``patience``; the
    ``cooldown`` valid updates after one are not counted."""
    best = jnp.where(improved, metric, state.best)
    num_bad = jnp.where(improved, 0, state.num_bad + 1)
    in_cooldown = state.cooldown > 0
    left = jnp.where(in_cooldown, state.cooldown - 1, state.cooldown)
    num_bad = jnp.where(in_cooldown, 0, num_bad)
    reduce = num_bad > patience
    return state._replace(
        best=best,
        num_bad=jnp.where(reduce, 0, num_bad).astype(state.num_bad.dtype),
        cooldown=jnp.where(reduce, cooldown, left).astype(state.cooldown.dtype),
        num_reductions=state.num_reductions + reduce.astype(state.num_reductions.dtype),
    )


reduce_on_plateau = make_factory(ReduceOnPlateau)
