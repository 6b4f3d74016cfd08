"""``warmup``: a prefix ramp into any schedule."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lrjax.combinators.time import delayed_boundaries
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import SHAPES, progress, ramp
from lrjax.core.schedule import AbstractSchedule, Array, Child, Param, evaluate_child, make_factory
from lrjax.core.steps import as_step_dtype

SCALAR_PEAK_LEAVES = 16
"""Up to this many leaves, a warmup over an array of steps evaluates its child's peak once
at a scalar step (above, the peak comes from the evaluation over the steps)."""


class Warmup(AbstractSchedule):
    r"""Prefix ``schedule`` with a warmup ramp from ``init_value`` to its peak.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\, m\!\left(\tfrac{W - t}{W}\right) & t < W \\
        s(t - W) & t \ge W
      \end{cases}

    where :math:`I` is ``init_value``, :math:`W` is ``warmup_steps``, the peak :math:`P` is
    ``peak_value`` or, by default, :math:`s(0)`, and :math:`m(d)` is the shape's multiplier
    at distance :math:`d` from the peak: "linear" :math:`1 - d`, "cosine"
    :math:`(1 + \cos \pi d)/2`, "1-sqrt" :math:`1 - \sqrt{d}`, "square" :math:`(1 - d)^2`,
    "constant" 0 (hold ``init_value``, then jump). "exponential" ramps geometrically,
    :math:`I (P/I)^{t/W}`, and needs ``init_value > 0``.

    The child sees the step shifted by :math:`W`. By default the ramp reaches
    ``schedule(0)`` exactly at :math:`t = W`, so there is no drop or overshoot at the
    hand-off, and ``warmup(s, 0)`` equals ``s`` bit for bit. With ``peak_value`` the ramp
    aims at that value instead and the schedule takes over at :math:`W` from wherever it
    starts (the warmup presets use it, so that a decay of zero length still has a ramp to
    the peak before it).

    Args:
      schedule: the schedule after the warmup (an lrjax schedule, a callable or a number).
      warmup_steps: length of the warmup; an integer ``>= 0``.
      init_value: value at step 0; ``>= 0`` (``> 0`` for "exponential").
      shape: one of "linear", "cosine", "1-sqrt", "square", "constant", "exponential".
      peak_value: the value the ramp reaches at :math:`W`; ``>= 0``, or None (the default)
        for ``schedule(0)``.

    Examples:
      >>> s = lrjax.warmup(lrjax.cosine_decay(1.0, 100), warmup_steps=10)
      >>> print([round(float(x), 2) for x in s(jnp.array([0, 5, 10, 60, 110]))])
      [0.0, 0.5, 1.0, 0.5, 0.0]
      >>> s = lrjax.warmup(0.5, warmup_steps=10, peak_value=1.0)
      >>> print([round(float(x), 2) for x in s(jnp.array([0, 5, 9, 10]))])
      [0.0, 0.5, 0.9, 0.5]
    """

    schedule: Child = fields.schedule()
    warmup_steps: Param = fields.count()
    init_value: Param = fields.value(nonnegative=True, default=0.0)
    shape: str = fields.choice(SHAPES, default="linear")
    peak_value: Param | None = fields.value(
        nonnegative=True, optional=True, default=None, kw_only=True
    )

    def check(self) -> None:
        if self.shape == "exponential":  # a geometric ramp cannot start from 0
            v.as_value(self.factory, "init_value", self.init_value, positive=True)

    def _evaluate(self, t: Array) -> Array:
        steps = as_step_dtype(self.warmup_steps, t)
        # The child only ever sees steps >= 0 (finite values and gradients everywhere).
        after = evaluate_child(self.schedule, jnp.maximum(t - steps, jnp.zeros((), t.dtype)))
        # The peak is peak_value if given, else the child at step 0. Over an array of steps
        # that is one more evaluation of a small child at a scalar step: free against the
        # array, and the ramp then picks its anchor (the endpoint of smaller magnitude)
        # once instead of per step.
        if self.peak_value is not None:
            peak = jnp.asarray(self.peak_value).astype(after.dtype)
        elif t.ndim and _small_with_scalar_leaves(self.schedule):
            peak = evaluate_child(self.schedule, jnp.zeros((), t.dtype)).astype(after.dtype)
        else:
            # A train step's scalar step, a large child (each warmup of a chain of nested
            # ones would trace its whole subtree again), or leaves gathered per step (a join
            # of warmups): `after` holds the peak during the warmup (its step is clamped to
            # 0 there), so one evaluation of the child serves both, which halves its cost
            # in a train step. After the warmup init_value stands in (a finite branch).
            peak = jnp.where(t < steps, after, jnp.asarray(self.init_value).astype(after.dtype))
        p = progress(t, jnp.zeros((), t.dtype), steps, after.dtype)
        # Distance from the peak is the fraction of the warmup still to go.
        before = ramp(self.shape, peak, self.init_value, p.reversed())
        return jnp.where(t >= steps, after, before)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return delayed_boundaries(self.schedule, self.warmup_steps, horizon)


def _small_with_scalar_leaves(schedule: AbstractSchedule) -> bool:
    leaves = jax.tree_util.tree_leaves(schedule)
    return len(leaves) <= SCALAR_PEAK_LEAVES and all(jnp.ndim(x) == 0 for x in leaves)


warmup = make_factory(Warmup)
