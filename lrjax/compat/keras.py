"""Keras's learning-rate schedules, exactly: Keras class names and arguments, lrjax schedules out.

Each factory here has the name, argument names and defaults of a class in
``keras.optimizers.schedules`` (Keras 3.15) and returns an ordinary lrjax schedule (a
pytree: jit it, vmap it over any numeric argument, differentiate it, serialize it with
``lrjax.to_config``) equal to Keras's at every optimizer step ``t = 0, 1, 2, ...``: a Keras
optimizer evaluates ``schedule(iterations)`` before incrementing ``iterations``, so the
first update uses ``s(0)``, as in lrjax.

This module does not import Keras. To use these schedules inside a Keras optimizer, use
the adapter in ``lrjax.keras``.

Each factory translates Keras's arguments onto core schedules (``lrjax.schedules``,
``lrjax.combinators``, ``lrjax.presets``), and its docstring states its deviations: Keras
casts the step to float32 (its error grows with the step), lrjax keeps it in integers;
negative steps clamp to 0 (Keras extrapolates); ``name`` is accepted and ignored (configs
do not store it); arguments for which Keras returns NaN or inf raise at construction;
values may be negative but must be finite. ``docs/compat_optax_keras.md`` lists them all
("Documented Keras deviations").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from lrjax.combinators.arith import Add
from lrjax.combinators.warmup import Warmup
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.dtypes import int_max
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    ArrayLike,
    Param,
    evaluate_child,
)
from lrjax.core.steps import as_step_dtype, is_integer_step
from lrjax.presets.recipes import SGDR
from lrjax.schedules import primitives as core
from lrjax.schedules.piecewise import PiecewiseConstant

__all__ = [
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
]


def _check_name(func: str, name: Any) -> None:
    # Keras's name scope: accepted for signature compatibility, not a field (configs omit it).
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{func}(name={name!r}): name must be a string or None")


# --------------------------------------------------------------------------------------
class KerasExponentialDecay(AbstractPreset, factory="ExponentialDecay"):
    """Keras's ``ExponentialDecay`` (built by :func:`ExponentialDecay`)."""

    initial_learning_rate: Param = fields.value()
    decay_steps: Param = fields.count(minimum=1)
    decay_rate: Param = fields.value(positive=True)
    staircase: bool = fields.flag()

    def build(self) -> AbstractSchedule:
        return core.ExponentialDecay(
            self.initial_learning_rate, self.decay_rate, self.decay_steps, 0, self.staircase, None
        )


def ExponentialDecay(  # noqa: N802  (Keras's class name)
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    decay_rate: ArrayLike,
    staircase: bool = False,
    name: str | None = "ExponentialDecay",
) -> KerasExponentialDecay:
    r"""Keras's ``ExponentialDecay``: multiply by ``decay_rate`` every ``decay_steps`` steps.

    .. math::
      \eta(t) = I\, r^{t / D}

    (:math:`\lfloor t / D \rfloor` when ``staircase``), where :math:`I` is
    ``initial_learning_rate``, :math:`r` is ``decay_rate`` and :math:`D` is
    ``decay_steps``. Unbounded: it keeps decaying. The lrjax equivalent is
    ``lrjax.exponential_decay(I, r, D, staircase=staircase)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: steps per factor of ``decay_rate``; an integer ``> 0``.
      decay_rate: ``> 0`` (Keras gives NaN for negative rates, 0 after step 0 for 0).
      staircase: decay in discrete steps every ``decay_steps``.
      name: ignored (Keras's name scope).

    Returns:
      A ``KerasExponentialDecay`` schedule (lrjax ``exponential_decay`` inside).

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.96, staircase=True)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 3, 100]))])
      ['0.1000', '0.1000', '0.0960', '0.0260']
    """
    _check_name("ExponentialDecay", name)
    return KerasExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)


# --------------------------------------------------------------------------------------
class KerasPiecewiseConstantDecay(AbstractPreset, factory="PiecewiseConstantDecay"):
    """Keras's ``PiecewiseConstantDecay`` (built by :func:`PiecewiseConstantDecay`)."""

    boundaries: Param = fields.counts()
    values: Param = fields.values()

    def check(self) -> None:
        n, k = np.shape(self.values)[0], np.shape(self.boundaries)[0]
        v.require(
            n == k + 1,
            self.factory,
            f"len(values) must be len(boundaries) + 1, got {n} values for {k} boundaries",
        )
        top = v.concrete(self.boundaries)
        if top is not None and np.size(top) and np.max(top) >= int_max():
            raise OverflowError(
                f"{self.factory}(boundaries={top!r}): boundaries must be < {int_max()} (the "
                "value changes at boundary + 1); enable 64-bit steps with "
                "jax.config.update('jax_enable_x64', True)"
            )

    def build(self) -> AbstractSchedule:
        # Keras changes the value one step after each boundary (t > b, not t >= b).
        return PiecewiseConstant(jnp.asarray(self.boundaries) + 1, self.values)


def PiecewiseConstantDecay(  # noqa: N802  (Keras's class name)
    boundaries: Sequence[ArrayLike] | ArrayLike,
    values: Sequence[ArrayLike] | ArrayLike,
    name: str | None = "PiecewiseConstant",
) -> KerasPiecewiseConstantDecay:
    r"""Keras's ``PiecewiseConstantDecay``: absolute values that change **after** each boundary.

    .. math::
      \eta(t) = v_i \quad\text{for}\quad b_{i-1} < t \le b_i

    with :math:`b_{-1} = -\infty` and :math:`b_K = \infty`: ``values[0]`` while
    ``t <= boundaries[0]``, ``values[i]`` from ``boundaries[i-1] + 1`` on. Keras's drop
    happens one step later than optax's and torch's (and lrjax's); the lrjax equivalent is
    ``lrjax.piecewise_constant([b + 1 for b in boundaries], values)``. Fractional steps
    change value at ``b + 1`` too (Keras: just after ``b``).

    Args:
      boundaries: integers ``>= 0``, non-decreasing (Keras documents them strictly
        increasing; an equal pair skips the value between them, as in Keras).
      values: ``len(boundaries) + 1`` finite values.
      name: ignored (Keras's name scope).

    Returns:
      A ``KerasPiecewiseConstantDecay`` schedule (lrjax ``piecewise_constant`` inside).

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
      >>> print([float(x) for x in s(jnp.array([100, 101, 110, 111]))])
      [1.0, 0.5, 0.5, 0.10000000149011612]
    """
    _check_name("PiecewiseConstantDecay", name)
    return KerasPiecewiseConstantDecay(boundaries, values)


# --------------------------------------------------------------------------------------
class KerasPolynomialDecay(AbstractSchedule, factory="PolynomialDecay"):
    """Keras's ``PolynomialDecay`` (built by :func:`PolynomialDecay`)."""

    initial_learning_rate: Param = fields.value()
    decay_steps: Param = fields.count(minimum=1)
    end_learning_rate: Param = fields.value()
    power: Param = fields.value(positive=True)
    cycle: bool = fields.flag()

    def _evaluate(self, t: Array) -> Array:
        init, horizon, step = self.initial_learning_rate, self.decay_steps, t
        if self.cycle:
            # Keras's horizon grows with the step, to k * decay_steps with k = ceil(t / D) (D at
            # t = 0). No core schedule has a length that depends on the step, so core
            # `polynomial` gets per-step leaves; its integer progress keeps the remaining steps
            # exact.
            d = as_step_dtype(self.decay_steps, t)
            k = jnp.maximum(-(-t // d), jnp.ones((), t.dtype))
            if is_integer_step(t):
                # Where k * D overflows the step dtype: (r / kD)**p = k**-p (r / D)**p, a decay
                # over D steps from a per-step initial value.
                fits = k <= jnp.iinfo(t.dtype).max // d
                end = jnp.asarray(self.end_learning_rate)
                scaled = end + (init - end) * k.astype(end.dtype) ** -jnp.asarray(self.power)
                init = jnp.where(fits, init, scaled)
                step = jnp.where(fits, t, t - (k - 1) * d)
                k = jnp.where(fits, k, jnp.ones((), t.dtype))
            else:
                k = jnp.where(jnp.isinf(t), 1, k)  # the limit at t = inf: end_learning_rate
            horizon = k * d
        decay = core.Polynomial(init, self.end_learning_rate, self.power, horizon, 0)
        return evaluate_child(decay, step)


def PolynomialDecay(  # noqa: N802  (Keras's class name)
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    end_learning_rate: ArrayLike = 0.0001,
    power: ArrayLike = 1.0,
    cycle: bool = False,
    name: str | None = "PolynomialDecay",
) -> KerasPolynomialDecay:
    r"""Keras's ``PolynomialDecay``, with ``cycle=True`` too.

    .. math::
      \eta(t) = E + (I - E)\left(1 - \frac{\min(t, D)}{D}\right)^{p}

    where :math:`I` is ``initial_learning_rate``, :math:`D` is ``decay_steps``, :math:`E`
    is ``end_learning_rate`` (default **1e-4**, not 0) and :math:`p` is ``power``. With
    ``cycle=True`` the horizon grows to the first multiple of :math:`D` not below
    :math:`t`: :math:`D' = D \lceil t / D \rceil` (:math:`D` at :math:`t = 0`) and
    :math:`\eta(t) = E + (I - E)(1 - t / D')^{p}`, so the value reaches :math:`E` at each
    multiple of :math:`D` and jumps back up (each time lower) just after it. Without
    ``cycle`` the lrjax equivalent is ``lrjax.polynomial(I, E, p, D)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: an integer ``> 0``.
      end_learning_rate: value at the end of the decay; finite.
      power: exponent; ``> 0``.
      cycle: restart with a longer horizon after each multiple of ``decay_steps``.
      name: ignored (Keras's name scope).

    Returns:
      A ``KerasPolynomialDecay`` schedule.

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.PolynomialDecay(1.0, 10, 0.1, cycle=True)
      >>> print([f"{float(x):.3f}" for x in s(jnp.array([0, 10, 11, 15, 20, 21]))])
      ['1.000', '0.100', '0.505', '0.325', '0.100', '0.370']
    """
    _check_name("PolynomialDecay", name)
    return KerasPolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate, power, cycle)


# --------------------------------------------------------------------------------------
class KerasInverseTimeDecay(AbstractPreset, factory="InverseTimeDecay"):
    """Keras's ``InverseTimeDecay`` (built by :func:`InverseTimeDecay`)."""

    initial_learning_rate: Param = fields.value()
    decay_steps: Param = fields.count(minimum=1)
    decay_rate: Param = fields.value(nonnegative=True)
    staircase: bool = fields.flag()

    def build(self) -> AbstractSchedule:
        return core.InverseTimeDecay(
            self.initial_learning_rate, self.decay_rate, self.decay_steps, self.staircase
        )


def InverseTimeDecay(  # noqa: N802  (Keras's class name)
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    decay_rate: ArrayLike,
    staircase: bool = False,
    name: str | None = "InverseTimeDecay",
) -> KerasInverseTimeDecay:
    r"""Keras's ``InverseTimeDecay``.

    .. math::
      \eta(t) = \frac{I}{1 + r\, t / D}

    (:math:`\lfloor t / D \rfloor` when ``staircase``), where :math:`I` is
    ``initial_learning_rate``, :math:`r` is ``decay_rate`` and :math:`D` is
    ``decay_steps``. The lrjax equivalent is ``lrjax.inverse_time_decay(I, r, D)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: an integer ``> 0``.
      decay_rate: ``>= 0`` (Keras divides by zero for negative rates).
      staircase: decay in discrete steps every ``decay_steps``.
      name: ignored (Keras's name scope).

    Returns:
      A ``KerasInverseTimeDecay`` schedule (lrjax ``inverse_time_decay`` inside).

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 10, 20]))])
      ['1.0000', '0.6667', '0.5000']
    """
    _check_name("InverseTimeDecay", name)
    return KerasInverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)


# --------------------------------------------------------------------------------------
class KerasCosineDecay(AbstractPreset, factory="CosineDecay"):
    """Keras's ``CosineDecay`` (built by :func:`CosineDecay`)."""

    initial_learning_rate: Param = fields.value()
    decay_steps: Param = fields.count(minimum=1)
    alpha: Param = fields.value()
    warmup_target: Param | None = fields.value(optional=True)
    warmup_steps: Param = fields.count()

    def build(self) -> AbstractSchedule:
        # alpha is relative to the decay's start: the warmup target, or the initial value.
        start = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        start = jnp.asarray(start)
        decay = core.CosineDecay(start, self.decay_steps, self.alpha * start, 1.0)
        if self.warmup_target is None:
            return decay
        return Warmup(decay, self.warmup_steps, self.initial_learning_rate, "linear")


def CosineDecay(  # noqa: N802  (Keras's class name)
    initial_learning_rate: ArrayLike,
    decay_steps: ArrayLike,
    alpha: ArrayLike = 0.0,
    name: str | None = "CosineDecay",
    warmup_target: ArrayLike | None = None,
    warmup_steps: ArrayLike = 0,
) -> KerasCosineDecay:
    r"""Keras's ``CosineDecay``, with its optional linear warmup.

    Without ``warmup_target``:

    .. math::
      \eta(t) = I\left[(1 - \alpha)\tfrac{1}{2}\left(1 + \cos\tfrac{\pi \min(t, D)}{D}\right)
        + \alpha\right]

    With ``warmup_target`` :math:`G`: a linear ramp from :math:`I` at step 0 to :math:`G`
    at step :math:`W`, then the decay above from :math:`G` (``alpha`` relative to
    :math:`G`), reaching :math:`\alpha G` at step :math:`W + D`. Here :math:`I` is
    ``initial_learning_rate``, :math:`D` is ``decay_steps`` (which **excludes** the warmup,
    unlike optax's ``warmup_cosine_decay_schedule``), :math:`W` is ``warmup_steps``.
    ``warmup_steps`` is ignored when ``warmup_target`` is None, as in Keras. The lrjax
    equivalent is ``lrjax.warmup(lrjax.cosine_decay(G, D, alpha * G), W, init_value=I)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: length of the decay after the warmup; an integer ``> 0``.
      alpha: final value as a fraction of the decay's start; finite.
      name: ignored (Keras's name scope).
      warmup_target: the value reached at the end of the warmup, or None (no warmup).
      warmup_steps: an integer ``>= 0``.

    Returns:
      A ``KerasCosineDecay`` schedule (lrjax ``warmup`` and ``cosine_decay`` inside).

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.CosineDecay(0.0, 30, warmup_target=1.0, warmup_steps=10)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 10, 25, 40, 50]))])
      ['0.0000', '0.5000', '1.0000', '0.5000', '0.0000', '0.0000']
    """
    _check_name("CosineDecay", name)
    return KerasCosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps)


# --------------------------------------------------------------------------------------
class KerasCosineDecayRestarts(AbstractPreset, factory="CosineDecayRestarts"):
    """Keras's ``CosineDecayRestarts`` (built by :func:`CosineDecayRestarts`)."""

    initial_learning_rate: Param = fields.value()
    first_decay_steps: Param = fields.count(minimum=1)
    t_mul: Param = fields.value(at_least=1.0)
    m_mul: Param = fields.value(positive=True)
    alpha: Param = fields.value()

    def build(self) -> AbstractSchedule:
        floor = self.alpha * jnp.asarray(self.initial_learning_rate)
        restarts = SGDR(
            peak_value=self.initial_learning_rate - floor,
            period=self.first_decay_steps,
            period_mul=self.t_mul,
            value_mul=self.m_mul,
            end_value=0.0,
            warmup_steps=0,
            init_value=0.0,
            num_cycles=None,
        )
        # m_mul scales only the cosine part above the floor alpha * I, as in Keras.
        return Add(core.Constant(floor), restarts)


def CosineDecayRestarts(  # noqa: N802  (Keras's class name)
    initial_learning_rate: ArrayLike,
    first_decay_steps: ArrayLike,
    t_mul: ArrayLike = 2.0,
    m_mul: ArrayLike = 1.0,
    alpha: ArrayLike = 0.0,
    name: str | None = "SGDRDecay",
) -> KerasCosineDecayRestarts:
    r"""Keras's ``CosineDecayRestarts`` (SGDR): cosine cycles, each ``t_mul`` times longer.

    .. math::
      \eta(t) = I\left[\alpha + (1 - \alpha)\, m^{k}\,
        \tfrac{1}{2}\left(1 + \cos \pi\,\tfrac{t - S_k}{D\,\tau^{k}}\right)\right],
      \qquad S_k = D\,\frac{\tau^{k} - 1}{\tau - 1}

    (:math:`S_k = kD` when :math:`\tau = 1`), where cycle :math:`k` is the one with
    :math:`S_k \le t < S_{k+1}`, :math:`I` is ``initial_learning_rate``, :math:`D` is
    ``first_decay_steps``, :math:`\tau` is ``t_mul``, :math:`m` is ``m_mul`` and
    :math:`\alpha` is ``alpha``. ``m_mul`` scales only the cosine part above the floor
    :math:`\alpha I`. Restarts never end. The lrjax equivalent is
    ``alpha * I + lrjax.cycle(lrjax.cosine_decay((1 - alpha) * I, D), D, period_mul=t_mul,
    value_mul=m_mul)``. The cycle index is exact in lrjax; Keras finds it with a float32
    logarithm.

    Args:
      initial_learning_rate: value at step 0; finite.
      first_decay_steps: length of the first cycle; an integer ``> 0``.
      t_mul: growth factor of each cycle's length; ``>= 1`` (Keras gives NaN for
        ``t_mul < 1`` once the shrinking cycles run out).
      m_mul: factor applied to each cycle's cosine part; ``> 0``.
      alpha: floor as a fraction of ``initial_learning_rate``; finite.
      name: ignored (Keras's name scope).

    Returns:
      A ``KerasCosineDecayRestarts`` schedule (lrjax ``cycle`` of ``cosine_decay``).

    Examples:
      >>> from lrjax.compat import keras as lrk
      >>> s = lrk.CosineDecayRestarts(1.0, 4, t_mul=2.0, m_mul=0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 3, 4, 8, 12]))])
      ['1.0000', '0.5000', '0.1464', '0.5000', '0.2500', '0.2500']
    """
    _check_name("CosineDecayRestarts", name)
    return KerasCosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha)
