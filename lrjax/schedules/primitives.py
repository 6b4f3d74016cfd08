"""Primitive schedule families: closed-form functions of the step.

Each family is a frozen pytree dataclass built by a lowercase factory that validates
concrete arguments and converts them to canonical leaves (floats for values, integers
for step counts). Step arithmetic stays in integers until the final ratio (see
``lrjax.core.kernel``), so float32 results keep ~1e-7 relative precision up to step
2**31 - 1.
"""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import RampShape, capped_exp, progress, ramp
from lrjax.core.schedule import AbstractSchedule, Array, Param, make_factory
from lrjax.core.steps import as_step_dtype, floor_divmod, is_integer_step

# Why end_value is keyword-only in the cosine-like decays.
_ALPHA = (
    "optax's and Keras's third positional argument is alpha, a fraction of the initial "
    "value; lrjax's end_value is the value itself"
)


def _dtype(leaf: Any) -> jnp.dtype:
    return jnp.asarray(leaf).dtype


def _elapsed_periods(t: Array, begin: Any, period: Any, dtype: jnp.dtype, floor: bool) -> Array:
    """``max(t - begin, 0) / period`` as float, split into an exact integer part first."""
    begin = as_step_dtype(begin, t)
    period = jnp.maximum(as_step_dtype(period, t), jnp.ones((), t.dtype))
    elapsed = jnp.maximum(t - begin, jnp.zeros((), t.dtype))
    if not is_integer_step(t):
        periods = elapsed.astype(dtype) / period.astype(dtype)
        return jnp.floor(periods) if floor else periods
    whole, rest = floor_divmod(elapsed, period)
    if floor:
        return whole.astype(dtype)
    return whole.astype(dtype) + rest.astype(dtype) / period.astype(dtype)


# --------------------------------------------------------------------------------------
class Constant(AbstractSchedule):
    r"""The constant schedule.

    .. math::
      \eta(t) = V

    Args:
      value: the value at every step; any finite number (constants also serve as factors
        in schedule arithmetic, so negative values are allowed).

    Examples:
      >>> s = lrjax.constant(3e-4)
      >>> print(f"{float(s(10**6)):.1e}")
      3.0e-04
    """

    value: Param = fields.value()

    def _evaluate(self, t: Array) -> Array:
        value = jnp.asarray(self.value)  # per-step values when a join gathers the leaves
        return jnp.broadcast_to(value, jnp.broadcast_shapes(value.shape, t.shape))


constant = make_factory(Constant)


# --------------------------------------------------------------------------------------
class Linear(AbstractSchedule):
    r"""Linear ramp from ``init_value`` to ``end_value``.

    .. math::
      \eta(t) = E + (I - E)\,\frac{T - \min(\max(t - B, 0), T)}{T}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`T` is
    ``transition_steps`` and :math:`B` is ``transition_begin``. Holds :math:`I` before
    :math:`B` and :math:`E` from :math:`B + T` on. ``transition_steps=0`` jumps to
    :math:`E` at :math:`B`.

    Args:
      init_value: value up to step ``transition_begin``; ``>= 0``.
      end_value: value from step ``transition_begin + transition_steps`` on; ``>= 0``.
      transition_steps: length of the ramp in steps; an integer ``>= 0``.
      transition_begin: step at which the ramp starts; an integer ``>= 0``.

    Examples:
      >>> s = lrjax.linear(1.0, 0.0, transition_steps=10)
      >>> print([round(float(x), 2) for x in s(jnp.array([0, 1, 5, 10, 11]))])
      [1.0, 0.9, 0.5, 0.0, 0.0]
    """

    init_value: Param = fields.value(nonnegative=True)
    end_value: Param = fields.value(nonnegative=True)
    transition_steps: Param = fields.count()
    transition_begin: Param = fields.count(default=0)

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        p = progress(t, self.transition_begin, self.transition_steps, dtype)
        return ramp("linear", self.init_value, self.end_value, p)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.transition_begin, self.transition_steps)


linear = make_factory(Linear)


# --------------------------------------------------------------------------------------
class Polynomial(AbstractSchedule):
    r"""Polynomial ramp from ``init_value`` to ``end_value``.

    .. math::
      \eta(t) = E + (I - E)\,\left(\frac{T - \min(\max(t - B, 0), T)}{T}\right)^{p}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`p` is ``power``,
    :math:`T` is ``transition_steps`` and :math:`B` is ``transition_begin``.

    Args:
      init_value: value up to step ``transition_begin``; ``>= 0``.
      end_value: value from step ``transition_begin + transition_steps`` on; ``>= 0``.
      power: exponent of the remaining fraction; ``> 0``, or None for a straight line (see
        :func:`cosine_decay`'s ``exponent`` for why None and 1 differ in cost, not in value).
      transition_steps: length of the ramp in steps; an integer ``>= 0``.
      transition_begin: step at which the ramp starts; an integer ``>= 0``.

    Examples:
      >>> s = lrjax.polynomial(1.0, 0.0, power=2.0, transition_steps=10)
      >>> print(f"{float(s(5)):.4f}")
      0.2500
    """

    init_value: Param = fields.value(nonnegative=True)
    end_value: Param = fields.value(nonnegative=True)
    power: Param | None = fields.value(positive=True, optional=True)
    transition_steps: Param = fields.count()
    transition_begin: Param = fields.count(default=0)

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        p = progress(t, self.transition_begin, self.transition_steps, dtype)
        return ramp("linear", self.init_value, self.end_value, p, self.power)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.transition_begin, self.transition_steps)


polynomial = make_factory(Polynomial)


# --------------------------------------------------------------------------------------
class CosineDecay(AbstractSchedule):
    r"""Cosine decay from ``init_value`` to ``end_value`` over ``decay_steps`` steps.

    .. math::
      \eta(t) = E + (I - E)
        \left[\tfrac{1}{2}\left(1 + \cos\left(\pi\,\min(t, T) / T\right)\right)\right]^{p}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`T` is
    ``decay_steps`` and :math:`p` is ``exponent``. Evaluated as
    :math:`\sin^2(\tfrac{\pi}{2}(T - t)/T)` near the end, so the tail keeps full relative
    precision in float32 (no ``1 + cos`` cancellation).

    Args:
      init_value: value at step 0; ``>= 0``.
      decay_steps: length of the decay; an integer ``>= 0``.
      end_value: value from step ``decay_steps`` on; ``>= 0`` (an absolute value, unlike
        optax's ``alpha``, which is a fraction of ``init_value``).
      exponent: power applied to the cosine factor; ``> 0``, or None (the default) for
        none. None and 1 give the same values; None is structure (no power is computed),
        a number is a leaf like every other (vmapped, jitted without retracing,
        differentiated), and costs the power's logarithms on every step: the branch that
        would skip them at 1 cannot be fused into the loop over the steps.

    Examples:
      >>> s = lrjax.cosine_decay(1.0, decay_steps=100)
      >>> print(f"{float(s(50)):.4f}")
      0.5000

    References:
      Loshchilov & Hutter, `SGDR <https://arxiv.org/abs/1608.03983>`_, 2017.
    """

    init_value: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()
    end_value: Param = fields.value(nonnegative=True, default=0.0)
    exponent: Param | None = fields.value(positive=True, optional=True, default=None)

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        p = progress(t, jnp.zeros((), t.dtype), self.decay_steps, dtype)
        return ramp("cosine", self.init_value, self.end_value, p, self.exponent)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.decay_steps)


cosine_decay = make_factory(CosineDecay, positional=2, why=_ALPHA)


# --------------------------------------------------------------------------------------
class ExponentialDecay(AbstractSchedule):
    r"""Exponential decay: multiply by ``decay_rate`` every ``transition_steps`` steps.

    .. math::
      \eta(t) = I\, r^{\,\max(t - B, 0) / T}

    (with :math:`\lfloor \cdot \rfloor` on the exponent when ``staircase``), where
    :math:`I` is ``init_value``, :math:`r` is ``decay_rate``, :math:`T` is
    ``transition_steps`` and :math:`B` is ``transition_begin``. Unbounded: it keeps going
    by the formula, floored by ``end_value`` when :math:`r < 1` (ceilinged when
    :math:`r > 1`). The exponent's integer part is computed exactly in integers; the power
    is ``exp(p * log(r))``, whose float32 rounding of ``log(r)`` limits the relative error to
    about ``1.2e-7 * |log(value / I)|`` (2e-6 at ``1e-5 * I``); exact under x64.

    Args:
      init_value: value up to step ``transition_begin``; ``>= 0``.
      decay_rate: factor per ``transition_steps`` steps; ``> 0``.
      transition_steps: steps per factor of ``decay_rate``; an integer ``>= 1``.
      transition_begin: step at which the decay starts; an integer ``>= 0``.
      staircase: if True, the value changes only every ``transition_steps`` steps.
      end_value: optional floor (``decay_rate < 1``) or ceiling (``decay_rate > 1``).

    Examples:
      >>> s = lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10)
      >>> print(f"{float(s(20)):.4f}")
      0.2500
    """

    init_value: Param = fields.value(nonnegative=True)
    decay_rate: Param = fields.value(positive=True)
    transition_steps: Param = fields.count(minimum=1)
    transition_begin: Param = fields.count(default=0)
    staircase: bool = fields.flag(default=False)
    end_value: Param | None = fields.value(nonnegative=True, optional=True, default=None)

    def check(self) -> None:
        # end_value is a floor for a decay and a ceiling for a growth.
        init, rate = v.concrete(self.init_value), v.concrete(self.decay_rate)
        end = v.concrete(self.end_value)
        if end is None or init is None or rate is None or rate == 1:
            return
        bound, relation, side = ("floor", "<=", "<") if rate < 1 else ("ceiling", ">=", ">")
        v.require(
            end <= init if rate < 1 else end >= init,
            self.factory,
            f"end_value={end} is a {bound} and must be {relation} init_value={init} when "
            f"decay_rate {side} 1",
        )

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        exponent = _elapsed_periods(
            t, self.transition_begin, self.transition_steps, dtype, floor=self.staircase
        )
        rate = self.decay_rate
        safe_rate = jnp.where(rate > 0, rate, jnp.ones((), dtype))
        # Cap the growth at e**80 (far beyond any learning rate): the value and its gradient
        # stay finite at any step, even for decay_rate > 1 without an end_value.
        value = self.init_value * capped_exp(exponent * jnp.log(safe_rate))
        value = jnp.where(exponent == 0, self.init_value, value)
        if self.end_value is not None:
            # end_value is a floor for a decay and a ceiling for a growth (rate > 1).
            value = jnp.where(
                rate < 1, jnp.maximum(value, self.end_value), jnp.minimum(value, self.end_value)
            )
        return value

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.transition_begin)


exponential_decay = make_factory(
    ExponentialDecay,
    positional=1,
    why="optax and Keras take the steps before the rate: exponential_decay(init_value, "
    "transition_steps, decay_rate), ExponentialDecay(initial_learning_rate, decay_steps, "
    "decay_rate)",
)


# --------------------------------------------------------------------------------------
class InverseTimeDecay(AbstractSchedule):
    r"""Inverse time decay (Keras ``InverseTimeDecay``).

    .. math::
      \eta(t) = \frac{I}{1 + r\, t / T}

    (with :math:`\lfloor t / T \rfloor` when ``staircase``), where :math:`I` is
    ``init_value``, :math:`r` is ``decay_rate`` and :math:`T` is ``decay_steps``.

    Args:
      init_value: value at step 0; ``>= 0``.
      decay_rate: ``>= 0``.
      decay_steps: an integer ``>= 1``.
      staircase: if True, the value changes only every ``decay_steps`` steps.

    Examples:
      >>> s = lrjax.inverse_time_decay(1.0, decay_rate=0.5, decay_steps=10)
      >>> print(f"{float(s(20)):.4f}")
      0.5000
    """

    init_value: Param = fields.value(nonnegative=True)
    decay_rate: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count(minimum=1)
    staircase: bool = fields.flag(default=False)

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        periods = _elapsed_periods(t, 0, self.decay_steps, dtype, floor=self.staircase)
        return self.init_value / (1 + self.decay_rate * periods)


inverse_time_decay = make_factory(
    InverseTimeDecay,
    positional=1,
    why="Keras takes the steps before the rate: InverseTimeDecay(initial_learning_rate, "
    "decay_steps, decay_rate)",
)


# --------------------------------------------------------------------------------------
class RsqrtDecay(AbstractSchedule):
    r"""Inverse square root decay (the Transformer / T5 / Hugging Face ``inverse_sqrt`` family).

    .. math::
      \eta(t) = \frac{I}{\sqrt{1 + t / \tau}}

    where :math:`I` is ``init_value`` and :math:`\tau` is ``timescale``; floored by
    ``end_value`` when given. Hugging Face's ``inverse_sqrt`` after a warmup of ``W`` steps is
    ``warmup(rsqrt_decay(lr, timescale=W), W)``; T5's ``1/sqrt(max(t, W))`` is
    ``join_schedules([constant(W**-0.5), rsqrt_decay(W**-0.5, W)], [W])``.

    Args:
      init_value: value at step 0; ``>= 0``.
      timescale: steps over which the value falls by ``1/sqrt(2)``; ``> 0``.
      end_value: optional floor; ``>= 0``.

    Examples:
      >>> s = lrjax.rsqrt_decay(1.0, timescale=100.0)
      >>> print(f"{float(s(300)):.4f}")
      0.5000
    """

    init_value: Param = fields.value(nonnegative=True)
    timescale: Param = fields.value(positive=True, default=1.0)
    end_value: Param | None = fields.value(nonnegative=True, optional=True, default=None)

    def _evaluate(self, t: Array) -> Array:
        dtype = _dtype(self.init_value)
        scale = jnp.maximum(self.timescale, jnp.finfo(dtype).tiny)
        # The explicit reciprocal: XLA on CPU uses one for arrays, not for scalars.
        value = self.init_value * jax.lax.rsqrt(1 + t.astype(dtype) * (1 / scale))
        value = jnp.where(t == 0, self.init_value, value)
        if self.end_value is not None:
            value = jnp.maximum(value, self.end_value)
        return value


rsqrt_decay = make_factory(RsqrtDecay)


# REX's start weight 2(1 - d) / (2 - d) = 2 left / (1 + left) and its end weight
# d / (1 + left), each written without cancellation where it is small.
REX = RampShape(lambda q: q.done / (1 + q.left), lambda q: 2 * q.done / (1 + q.done))


class RexDecay(AbstractSchedule):
    r"""REX decay: a "reflected exponential" profile, between linear and step decay.

    .. math::
      \eta(t) = E + (I - E)\,\frac{1 - z}{\tfrac12 + \tfrac12 (1 - z)},
      \qquad z = \frac{\min(t, T)}{T}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value`` and :math:`T` is
    ``decay_steps``. It stays higher than a linear decay for most of the run and drops
    faster at the end; Chen et al. found it at least as good as linear, cosine and step
    decays across budgets. Holds :math:`E` from :math:`T` on; exact at both ends.

    Args:
      init_value: value at step 0; ``>= 0``.
      decay_steps: length of the decay; an integer ``>= 0``.
      end_value: value from step ``decay_steps`` on; ``>= 0``.

    Examples:
      >>> s = lrjax.rex_decay(1.0, decay_steps=100)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 50, 90, 100]))])
      [1.0, 0.6667, 0.1818, 0.0]

    References:
      Chen, Wolfe & Kyrillidis, `REX: Revisiting Budgeted Training with an Improved
      Schedule <https://arxiv.org/abs/2107.04197>`_, MLSys 2022.
    """

    init_value: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()
    end_value: Param = fields.value(nonnegative=True, default=0.0)

    def _evaluate(self, t: Array) -> Array:
        p = progress(t, jnp.zeros((), t.dtype), self.decay_steps, _dtype(self.init_value))
        return ramp(REX, self.init_value, self.end_value, p)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        return concrete_points(self.decay_steps)


rex_decay = make_factory(RexDecay, positional=2, why=_ALPHA)


def concrete_points(*parts: Any) -> tuple[int, ...]:
    """Positive running sums ``(p0, p0 + p1, ...)`` when every part is a concrete scalar."""
    values = [v.concrete(x) for x in parts]
    if any(x is None or np.ndim(x) for x in values):
        return ()
    return tuple(sorted({p for p in itertools.accumulate(int(x) for x in values) if p > 0}))
