"""Decays of a named ramp shape and the hyperbolic-tangent decay.

Two schedule families whose shapes no other primitive has: ``shaped_decay`` (a decay with
any ramp shape of docs/contract.md, Ramp shapes; the phases of ``warmup_stable_decay`` and
``one_cycle``) and ``tanh_decay``. Also the helpers that presets share to check rules
between arguments with messages that show the values as written.
"""

from __future__ import annotations

import jax.numpy as jnp

from lrjax.core import fields
from lrjax.core.checks import require_args, require_order
from lrjax.core.kernel import SHAPES, RampShape, anchored_at_start, progress, ramp
from lrjax.core.schedule import AbstractSchedule, Array, Param, make_factory
from lrjax.schedules.primitives import concrete_points

DECAY_SHAPES = tuple(s for s in SHAPES if s != "constant")
"""Shapes of a decay: every ramp shape but the step ("constant")."""

TANH_BOUND = 20.0
"""``|lb|`` and ``|ub|`` of :func:`tanh_decay` are at most this (tanh is saturated beyond)."""


# --------------------------------------------------------------------------------------
class ShapedDecay(AbstractSchedule):
    r"""A ramp from ``init_value`` to ``end_value`` whose shape is named.

    .. math::
      \eta(t) = E + (I - E)\, m\!\left(\tfrac{\min(t, T)}{T}\right)

    where :math:`m(d)` is the shape's multiplier (docs/contract.md, Ramp shapes) at
    distance :math:`d` from the start: "linear" :math:`1 - d`, "cosine"
    :math:`(1 + \cos \pi d)/2`, "1-sqrt" :math:`1 - \sqrt{d}`, "square" :math:`(1 - d)^2`;
    "exponential" is geometric, :math:`I (E/I)^{d}`. A warmup of shape ``s``
    (``lrjax.warmup(..., shape=s)``) is the mirror image in time of
    ``shaped_decay(..., shape=s)``. Holds ``end_value`` from step :math:`T` on; exact at
    both ends.

    Args:
      init_value: value at step 0; ``>= 0`` (``> 0`` for "exponential").
      end_value: value from step ``decay_steps`` on; ``>= 0`` (``> 0`` for "exponential").
      decay_steps: length of the ramp; an integer ``>= 0``.
      shape: one of "linear", "cosine", "1-sqrt", "square", "exponential".

    Examples:
      >>> s = lrjax.schedules.shaped.shaped_decay(1.0, 0.0, decay_steps=100, shape="1-sqrt")
      >>> print(f"{float(s(25)):.4f}")
      0.5000
    """

    init_value: Param = fields.value(nonnegative=True)
    end_value: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()
    shape: str = fields.choice(DECAY_SHAPES, default="linear")

    def check(self) -> None:
        if self.shape == "exponential":  # geometric: both ends must be > 0
            for name in ("init_value", "end_value"):
                require_args(self, name, lambda x: x > 0, f"{name} must be > 0")

    def _evaluate(self, t: Array) -> Array:
        p = progress(
            t, jnp.zeros((), t.dtype), self.decay_steps, jnp.asarray(self.init_value).dtype
        )
        return ramp(self.shape, self.init_value, self.end_value, p)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.decay_steps)


shaped_decay = make_factory(ShapedDecay)


# --------------------------------------------------------------------------------------
class TanhDecay(AbstractSchedule):
    r"""Hyperbolic-tangent decay (Hsueh et al. 2019; timm's ``TanhLRScheduler``).

    .. math::
      \eta(t) = E + (I - E)\,\frac{\tanh(u) - \tanh\big(l\,(1 - r) + u\,r\big)}
                                {\tanh(u) - \tanh(l)},
      \qquad r = \frac{\min(t, T)}{T}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`T` is
    ``decay_steps``, :math:`l` is ``lb`` and :math:`u` is ``ub``. Holds :math:`E` from
    :math:`T` on.

    This differs from timm's ``TanhLRScheduler`` (one cycle, no warmup) in:

    1. timm's multiplier is :math:`\tfrac12(1 - \tanh(l(1 - r) + u r))`, which starts at
       :math:`\tfrac12(1 + \tanh 7) = 0.99999917` and stops at
       :math:`\tfrac12(1 - \tanh 3) = 0.00247` before jumping to ``lr_min`` at :math:`T`.
       lrjax rescales the same tanh curve to start exactly at ``init_value`` and end exactly
       at ``end_value`` (no jump); the two curves differ by at most 0.25 % of
       :math:`I - E` with the default bounds. For timm's exact numbers use
       ``lrjax.compat.timm``.

    Args:
      init_value: value at step 0; ``>= 0``.
      decay_steps: length of the decay; an integer ``>= 0``.
      end_value: value from step ``decay_steps`` on; ``>= 0``.
      lb: lower bound of the tanh argument; ``lb < ub``, ``|lb| <= 20``.
      ub: upper bound of the tanh argument; ``|ub| <= 20``.

    Examples:
      >>> s = lrjax.tanh_decay(1.0, decay_steps=100)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 50, 70, 100]))])
      [1.0, 0.982, 0.4988, 0.0]

    References:
      Hsueh et al., `Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
      Classification <https://arxiv.org/abs/1806.01593>`_, 2019.
    """

    init_value: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()
    end_value: Param = fields.value(nonnegative=True, default=0.0)
    lb: Param = fields.value(default=-7.0)
    ub: Param = fields.value(default=3.0)

    def check(self) -> None:
        bounds = f"[-{TANH_BOUND}, {TANH_BOUND}]"
        for name in ("lb", "ub"):
            require_args(self, name, lambda x: abs(x) <= TANH_BOUND, f"{name} must be in {bounds}")
        require_order(self, "lb", "ub", strict=True)

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.init_value).dtype
        p = progress(t, jnp.zeros((), t.dtype), self.decay_steps, dtype)
        lb, ub = jnp.asarray(self.lb).astype(dtype), jnp.asarray(self.ub).astype(dtype)
        width = ub - lb

        # The far end's weight, (tanh(ub) - tanh(x)) / (tanh(ub) - tanh(lb)) from the end
        # and its complement from the start, one monotone chain that keeps relative
        # precision where it is small (see _tanh_weight) and is exactly 1 at the far end.
        # The two differ only in `k`, chosen here by the ramp's own rule for its anchor
        # (the endpoint of smaller magnitude): one chain per step instead of two.
        init, end = (jnp.asarray(x).astype(dtype) for x in (self.init_value, self.end_value))
        k = jnp.where(anchored_at_start(init, end), jnp.exp(2 * lb), jnp.exp(-2 * ub))
        one = jnp.ones((), dtype)
        weight = RampShape(
            lambda q: jnp.where(q.left == 0, one, _tanh_weight(width * q.done, width, k))
        )
        return ramp(weight, init, end, p)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.decay_steps)


tanh_decay = make_factory(
    TanhDecay, positional=2, why="end_value, as in cosine_decay, is a value, not optax's alpha"
)


def _tanh_weight(y: Array, width: Array, k: Array) -> Array:
    """``g(y) / g(width)`` with ``g(y) = sigmoid(z + 2y) - sigmoid(z)`` and ``k = exp(z)``.

    ``g(y) = k / (1 + k) / ((1 + k) / expm1(2y) + k)``, so the ratio is
    ``((1 + k) / expm1(2 width) + k) / ((1 + k) / expm1(2y) + k)``: a chain of monotone
    operations on ``y`` (so consecutive steps never reverse) that keeps full relative
    precision as ``y -> 0`` (no cancellation). 0 at ``y == 0`` with finite gradients.
    """
    q = jnp.expm1(2 * y)
    positive = q > 0
    safe_q = jnp.where(positive, q, jnp.ones((), q.dtype))
    full = (1 + k) / jnp.expm1(2 * width) + k
    return jnp.where(positive, full / ((1 + k) / safe_q + k), jnp.zeros((), q.dtype))
