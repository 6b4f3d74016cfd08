"""optax's schedules, exactly: ``optax.schedules`` names and arguments, lrjax schedules out.

Every function here has the name, argument names and defaults of its optax 0.2.8
counterpart and returns an ordinary lrjax schedule (a pytree: jit it, vmap it over any
numeric argument, differentiate it, serialize it) equal to optax's at every optimizer step
``t = 0, 1, 2, ...`` up to float32 rounding (optax computes in float32 too). The step
convention is optax's own: the first update uses ``s(0)`` (``inject_hyperparams`` and
``scale_by_schedule`` evaluate the schedule at the pre-increment count).

This module does not import optax.

Conventions and deliberate deviations (each function's docstring repeats its own):

1. Negative steps are clamped to 0 (lrjax convention). optax's ``cosine_decay_schedule``
   is not clamped (``s(-1) = 0.9755 s(0)`` for ``decay_steps=10``) and
   ``piecewise_interpolate_schedule`` returns 0 for ``t < 0``; here both give ``s(0)``.
2. optax's quirks for ``t >= 0`` are reproduced, because reproducing optax is the point
   of this module: ``linear_schedule``/``polynomial_schedule`` with
   ``transition_steps <= 0`` hold ``init_value`` forever; ``warmup_constant_schedule``
   with ``warmup_steps=0`` holds ``init_value`` forever; ``exponential_decay`` with
   ``transition_steps <= 0`` or ``decay_rate == 0`` holds ``init_value``;
   ``warmup_cosine_decay_schedule`` with ``peak_value == 0`` ignores ``end_value``; the
   one-cycle schedules truncate their phase boundaries with ``int()`` and resolve
   colliding boundaries like optax's dict literal (the later entry wins); their final
   value is ``peak_value / (div_factor * final_div_factor)`` as in optax's code.
3. Arguments that make optax return NaN or inf, or fail at call time, raise at
   construction instead, naming the function, the argument, the value and the allowed
   range: negative ``decay_rate`` (fractional powers of a negative number), ``power <= 0``
   or ``exponent <= 0`` (``0 ** -p``), ``div_factor <= 0``, negative boundaries or
   warmup lengths, an empty ``sgdr_schedule``. optax's own construction errors are kept
   (``cosine_decay_schedule(decay_steps=0)``, ``warmup_cosine_decay_schedule`` with
   ``decay_steps <= warmup_steps``, one-cycle ``transition_steps <= 0``).
4. ``join_schedules`` validates like lrjax's: ``len(boundaries) == len(schedules) - 1``
   and strictly increasing, non-negative boundaries. optax silently drops extra schedules
   (``zip``) and lets a later, smaller boundary override an earlier one.
5. Values are not sign-checked (optax accepts negative values), but must be finite.
6. ``piecewise_constant_schedule`` and ``piecewise_interpolate_schedule`` also accept the
   boundaries as a sequence of ``(step, scale)`` pairs (a later pair with the same step
   wins, as in ``dict(pairs)``); configs store them that way, since JSON object keys
   cannot be integers. Array steps work everywhere (optax's
   ``piecewise_interpolate_schedule`` rejects them).
7. When a one-cycle ``pct_start``/``pct_final`` or ``transition_steps`` is traced (built
   inside ``jit``/``vmap``), ``int(pct * transition_steps)`` is computed as
   ``floor(pct * transition_steps)`` in the default float dtype; in float32 it can differ
   from optax's float64 ``int()`` by one step when the product is within float32 rounding
   of an integer (it cannot under ``jax_enable_x64``). Concrete arguments use optax's
   exact Python arithmetic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjax.combinators.join import Join
from lrjax.combinators.join import join_schedules as _core_join
from lrjax.combinators.warmup import Warmup
from lrjax.core import checks as v
from lrjax.core.dtypes import float_dtype, int_dtype, int_max
from lrjax.core.kernel_legacy import blend, progress, shape_weights
from lrjax.core.schedule import AbstractPreset, AbstractSchedule, Array, ArrayLike, Schedule
from lrjax.schedules.piecewise import PiecewiseConstant, piece_index
from lrjax.schedules.primitives import Constant, CosineDecay, ExponentialDecay, Linear, Polynomial
from lrjax.schedules.primitives import constant as _core_constant

__all__ = [
    "constant_schedule",
    "linear_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "warmup_constant_schedule",
    "linear_onecycle_schedule",
    "cosine_onecycle_schedule",
    "sgdr_schedule",
    "join_schedules",
]

# optax documents non-positive transition_steps (a constant schedule): accept any int32.
_ANY_COUNT = -(2**31)


def _f(x: Any) -> jax.Array:
    return jnp.asarray(x)


def _optax_linear_or_poly(
    init: Any, end: Any, steps: Any, begin: Any, power: Any | None
) -> AbstractSchedule:
    """optax's polynomial/linear: ``transition_steps <= 0`` holds ``init``; begin >= 0."""
    steps, begin = _f(steps), _f(begin)
    held = steps <= 0
    end = jnp.where(held, _f(init), _f(end))
    steps = jnp.maximum(steps, jnp.zeros((), steps.dtype))
    begin = jnp.maximum(begin, jnp.zeros((), begin.dtype))
    if power is None:
        return Linear(init, end, steps, begin)
    return Polynomial(init, end, power, steps, begin)


def _optax_exponential(
    init: Any, steps: Any, rate: Any, begin: Any, staircase: bool, end: Any | None
) -> ExponentialDecay:
    """optax's exponential_decay: ``transition_steps <= 0`` or ``decay_rate == 0`` hold ``init``."""
    steps, rate, init = _f(steps), _f(rate), _f(init)
    held = (steps <= 0) | (rate == 0)
    rate = jnp.where(held, jnp.ones((), rate.dtype), rate)
    steps = jnp.maximum(steps, jnp.ones((), steps.dtype))
    begin = jnp.maximum(_f(begin), jnp.zeros((), _f(begin).dtype))
    # optax clips with maximum when decay_rate < 1, else minimum (lrjax's ExponentialDecay
    # does the same); a held schedule is never clipped, so clip it against itself.
    end = None if end is None else jnp.where(held, init, _f(end))
    return ExponentialDecay(init, rate, steps, begin, staircase, end)


# --------------------------------------------------------------------------------------
def constant_schedule(value: ArrayLike) -> Constant:
    r"""optax's ``constant_schedule``: ``value`` at every step.

    .. math::
      \eta(t) = V

    Unlike optax's, the result is a float array of the step's shape (optax returns
    ``value`` itself, whatever its type).

    Args:
      value: the value; any finite number.

    Returns:
      An lrjax ``Constant`` schedule.

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> print(f"{float(lro.constant_schedule(5)(100)):.4f}")
      5.0000
    """
    return _core_constant(v.as_value("constant_schedule", "value", value))


# --------------------------------------------------------------------------------------
class OptaxPolynomial(AbstractPreset):
    """optax's ``polynomial_schedule`` (built by :func:`polynomial_schedule`)."""

    init_value: Array
    end_value: Array
    power: Array
    transition_steps: Array
    transition_begin: Array
    factory: ClassVar[str] = "polynomial_schedule"

    def build(self) -> AbstractSchedule:
        return _optax_linear_or_poly(
            self.init_value,
            self.end_value,
            self.transition_steps,
            self.transition_begin,
            self.power,
        )


def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: ArrayLike,
    transition_steps: ArrayLike,
    transition_begin: ArrayLike = 0,
) -> OptaxPolynomial:
    r"""optax's ``polynomial_schedule``: a polynomial ramp from ``init_value`` to ``end_value``.

    .. math::
      \eta(t) = E + (I - E)\left(1 - \frac{\min(\max(t - B, 0), T)}{T}\right)^{p}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`p` is ``power``,
    :math:`T` is ``transition_steps`` and :math:`B` is ``transition_begin``. Like optax,
    ``transition_steps <= 0`` gives the constant ``init_value`` (not ``end_value``), and a
    negative ``transition_begin`` counts as 0.

    Args:
      init_value: value up to step ``transition_begin``; finite.
      end_value: value from step ``transition_begin + transition_steps`` on; finite.
      power: exponent; ``> 0`` (optax returns inf for ``power < 0`` at the end).
      transition_steps: length of the ramp; an integer (``<= 0``: constant ``init_value``).
      transition_begin: an integer; negative values count as 0.

    Returns:
      An ``OptaxPolynomial`` schedule (lrjax ``polynomial`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.polynomial_schedule(1.0, 0.01, power=2, transition_steps=100, transition_begin=5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 104, 105, 110]))])
      ['1.0000', '1.0000', '0.9803', '0.0101', '0.0100', '0.0100']
    """
    f = "polynomial_schedule"
    return OptaxPolynomial(
        v.as_value(f, "init_value", init_value),
        v.as_value(f, "end_value", end_value),
        v.as_value(f, "power", power, positive=True),
        v.as_count(f, "transition_steps", transition_steps, minimum=_ANY_COUNT),
        v.as_count(f, "transition_begin", transition_begin, minimum=_ANY_COUNT),
    )


class OptaxLinear(AbstractPreset):
    """optax's ``linear_schedule`` (built by :func:`linear_schedule`)."""

    init_value: Array
    end_value: Array
    transition_steps: Array
    transition_begin: Array
    factory: ClassVar[str] = "linear_schedule"

    def build(self) -> AbstractSchedule:
        return _optax_linear_or_poly(
            self.init_value, self.end_value, self.transition_steps, self.transition_begin, None
        )


def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: ArrayLike,
    transition_begin: ArrayLike = 0,
) -> OptaxLinear:
    r"""optax's ``linear_schedule``: a linear ramp from ``init_value`` to ``end_value``.

    .. math::
      \eta(t) = E + (I - E)\,\frac{T - \min(\max(t - B, 0), T)}{T}

    where :math:`I` is ``init_value``, :math:`E` is ``end_value``, :math:`T` is
    ``transition_steps`` and :math:`B` is ``transition_begin``. optax quirk, reproduced:
    ``transition_steps <= 0`` holds ``init_value`` forever (lrjax's ``linear`` jumps to
    ``end_value``). A negative ``transition_begin`` counts as 0.

    Args:
      init_value: value up to step ``transition_begin``; finite.
      end_value: value from step ``transition_begin + transition_steps`` on; finite.
      transition_steps: length of the ramp; an integer (``<= 0``: constant ``init_value``).
      transition_begin: an integer; negative values count as 0.

    Returns:
      An ``OptaxLinear`` schedule (lrjax ``linear`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.linear_schedule(1.0, 0.0, transition_steps=10)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 1, 9, 10, 11]))])
      ['1.0', '0.9', '0.1', '0.0', '0.0']
      >>> print(f"{float(lro.linear_schedule(1.0, 0.0, transition_steps=0)(50)):.1f}")
      1.0
    """
    f = "linear_schedule"
    return OptaxLinear(
        v.as_value(f, "init_value", init_value),
        v.as_value(f, "end_value", end_value),
        v.as_count(f, "transition_steps", transition_steps, minimum=_ANY_COUNT),
        v.as_count(f, "transition_begin", transition_begin, minimum=_ANY_COUNT),
    )


# --------------------------------------------------------------------------------------
def _boundaries_and_scales(
    func: str, items: Mapping[Any, Any] | Sequence[Any] | None
) -> tuple[Any, Any]:
    """``{step: scale}`` (or ``(step, scale)`` pairs) as int and float leaves, in given order."""
    if items is None:
        pairs: list[Any] = []
    elif isinstance(items, Mapping):
        pairs = list(items.items())
    elif isinstance(items, (list, tuple)):
        pairs = list(items)
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise TypeError(
                f"{func}(boundaries_and_scales={items!r}): boundaries_and_scales must be a "
                "dict {step: scale} or a sequence of (step, scale) pairs"
            )
    else:
        raise TypeError(
            f"{func}(boundaries_and_scales={items!r}): boundaries_and_scales must be a "
            "dict {step: scale}, a sequence of (step, scale) pairs, or None"
        )
    if not pairs:
        return np.zeros((0,), int_dtype()), np.zeros((0,), float_dtype())
    steps = [p[0] for p in pairs]
    scales = [p[1] for p in pairs]
    steps_leaf = _count_list(func, steps)
    scales_leaf = v.as_value_sequence(func, "boundaries_and_scales", scales, nonnegative=True)
    return steps_leaf, scales_leaf


def _count_list(func: str, steps: list[Any]) -> Any:
    """Boundary steps in the given (unsorted) order, each an integer ``>= 0`` when concrete."""
    if not all(v.is_concrete(s) for s in steps):
        stacked = jnp.stack([jnp.asarray(s) for s in steps])
        return v.as_count(func, "boundaries_and_scales", stacked, shape=None)
    return v.as_count(func, "boundaries_and_scales", np.asarray(steps), shape=None)


def _table(init: Any, steps: Any, scales: Any) -> tuple[jax.Array, jax.Array]:
    """Sorted boundaries and cumulative values, resolving equal steps like a dict (last wins).

    Returns ``(bounds, values)`` with ``values[0] = init`` and ``values[i + 1]`` the value
    from ``bounds[i]`` on. Within a group of equal steps the winning scale comes first and
    the others become 1, so zero-length pieces between them change nothing.
    """
    steps, scales, init = _f(steps), _f(scales), _f(init)
    count = steps.shape[-1]
    if count == 0:
        return steps, init[None]
    order = jnp.lexsort((-jnp.arange(count), steps))
    bounds = steps[order]
    repeated = jnp.concatenate([jnp.zeros((1,), bool), bounds[1:] == bounds[:-1]])
    effective = jnp.where(repeated, jnp.ones((), scales.dtype), scales[order])
    values = jnp.cumprod(jnp.concatenate([init[None], effective]))
    return bounds, values


def _pairs(steps: Any, scales: Any) -> list[list[Any]]:
    return [[a, b] for a, b in zip(np.asarray(steps), np.asarray(scales), strict=True)]


class OptaxPiecewiseConstant(AbstractPreset):
    """optax's ``piecewise_constant_schedule`` (built by :func:`piecewise_constant_schedule`)."""

    init_value: Array
    steps: Array
    scales: Array
    factory: ClassVar[str] = "piecewise_constant_schedule"

    def config_args(self) -> dict[str, Any]:
        return {
            "init_value": self.init_value,
            "boundaries_and_scales": _pairs(self.steps, self.scales),
        }

    def build(self) -> AbstractSchedule:
        bounds, values = _table(self.init_value, self.steps, self.scales)
        return PiecewiseConstant(bounds, values)


def piecewise_constant_schedule(
    init_value: ArrayLike,
    boundaries_and_scales: Mapping[int, float] | Sequence[Any] | None = None,
) -> OptaxPiecewiseConstant:
    r"""optax's ``piecewise_constant_schedule``: ``init_value`` times the scales already passed.

    .. math::
      \eta(t) = I \prod_{i:\ b_i \le t} s_i

    where :math:`I` is ``init_value`` and ``boundaries_and_scales`` is ``{b_i: s_i}``.
    Scales are **relative and cumulative**; the change happens **at** :math:`b_i` (Keras
    changes one step later, see ``lrjax.compat.keras.PiecewiseConstantDecay``). The lrjax
    equivalent with absolute values is ``lrjax.piecewise_constant``.

    Args:
      init_value: value before the first boundary; finite (optax allows negative values).
      boundaries_and_scales: ``{step: scale}``, or a sequence of ``(step, scale)`` pairs
        (a later pair with an equal step wins), or None; steps are integers ``>= 0``
        (optax silently treats negative ones as 0), scales finite and ``>= 0``.

    Returns:
      An ``OptaxPiecewiseConstant`` schedule (lrjax ``piecewise_constant`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.01})
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([99, 100, 199, 200]))])
      ['1.0000', '0.1000', '0.1000', '0.0010']
    """
    f = "piecewise_constant_schedule"
    steps, scales = _boundaries_and_scales(f, boundaries_and_scales)
    return OptaxPiecewiseConstant(v.as_value(f, "init_value", init_value), steps, scales)


class OptaxPiecewiseInterpolate(AbstractSchedule):
    """optax's ``piecewise_interpolate_schedule`` (built by its factory)."""

    interpolate_type: str = dataclasses.field(metadata=dict(static=True))
    init_value: Array
    steps: Array
    scales: Array
    factory: ClassVar[str] = "piecewise_interpolate_schedule"

    def config_args(self) -> dict[str, Any]:
        return {
            "interpolate_type": self.interpolate_type,
            "init_value": self.init_value,
            "boundaries_and_scales": _pairs(self.steps, self.scales),
        }

    def _evaluate(self, t: Array) -> Array:
        bounds, values = _table(self.init_value, self.steps, self.scales)
        points = jnp.concatenate([jnp.zeros((1,), bounds.dtype), bounds])
        last = values.shape[-1] - 1
        index = piece_index(points, t)
        left = jnp.clip(index - 1, 0, last)
        right = jnp.clip(index, 0, last)
        begin = points[left]
        p = progress(t, begin, points[right] - begin, values.dtype)
        return blend(values[left], values[right], shape_weights(self.interpolate_type, p))


def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: ArrayLike,
    boundaries_and_scales: Mapping[int, float] | Sequence[Any] | None = None,
) -> OptaxPiecewiseInterpolate:
    r"""optax's ``piecewise_interpolate_schedule``: interpolate between cumulative values.

    With sorted boundaries :math:`b_1 < \dots < b_n` (and :math:`b_0 = 0`) and values
    :math:`v_0 = I`, :math:`v_k = v_{k-1} s_k`, on :math:`b_k \le t < b_{k+1}`:

    .. math::
      \eta(t) = v_{k+1} + (v_k - v_{k+1})\, m\!\left(\frac{t - b_k}{b_{k+1} - b_k}\right)

    with :math:`m(x) = 1 - x` ("linear") or :math:`(1 + \cos \pi x)/2` ("cosine"), and
    :math:`v_n` from :math:`b_n` on. A boundary at 0 scales the value from step 0.
    optax returns 0 for negative steps; here they are clamped to 0. For the linear case
    the lrjax equivalent is ``lrjax.piecewise_linear([0, b1, ...], [v0, v1, ...])``.

    Args:
      interpolate_type: "linear" or "cosine".
      init_value: value at step 0; finite.
      boundaries_and_scales: ``{step: scale}``, a sequence of ``(step, scale)`` pairs, or
        None; steps are integers ``>= 0``, scales finite and ``>= 0``.

    Returns:
      An ``OptaxPiecewiseInterpolate`` schedule.

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 4, 6, 8, 10]))])
      ['1.0000', '0.5500', '0.1000', '0.0505', '0.0010', '0.0010']
    """
    f = "piecewise_interpolate_schedule"
    kind = v.as_choice(f, "interpolate_type", interpolate_type, ("linear", "cosine"))
    steps, scales = _boundaries_and_scales(f, boundaries_and_scales)
    return OptaxPiecewiseInterpolate(kind, v.as_value(f, "init_value", init_value), steps, scales)


# --------------------------------------------------------------------------------------
class OptaxExponentialDecay(AbstractPreset):
    """optax's ``exponential_decay`` (built by :func:`exponential_decay`)."""

    init_value: Array
    transition_steps: Array
    decay_rate: Array
    transition_begin: Array
    staircase: bool = dataclasses.field(metadata=dict(static=True))
    end_value: Array | None
    factory: ClassVar[str] = "exponential_decay"

    def build(self) -> AbstractSchedule:
        return _optax_exponential(
            self.init_value,
            self.transition_steps,
            self.decay_rate,
            self.transition_begin,
            self.staircase,
            self.end_value,
        )


def exponential_decay(
    init_value: ArrayLike,
    transition_steps: ArrayLike,
    decay_rate: ArrayLike,
    transition_begin: ArrayLike = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> OptaxExponentialDecay:
    r"""optax's ``exponential_decay`` (note optax's argument order: steps before rate).

    .. math::
      \eta(t) = \operatorname{clip}\left(I\, r^{\max(t - B, 0) / T},\ E\right)

    (:math:`\lfloor\cdot\rfloor` on the exponent when ``staircase``), where :math:`I` is
    ``init_value``, :math:`T` is ``transition_steps``, :math:`r` is ``decay_rate``,
    :math:`B` is ``transition_begin`` and :math:`E` is ``end_value``: a floor when
    :math:`r < 1`, otherwise a ceiling, applied from step 0 exactly as in optax (so
    ``decay_rate=1, end_value=0.1`` gives 0.1 everywhere). optax quirks, reproduced:
    ``transition_steps <= 0`` or ``decay_rate == 0`` give the constant ``init_value``
    (``end_value`` then has no effect); a negative ``transition_begin`` counts as 0.
    The lrjax equivalent is ``lrjax.exponential_decay`` (rate before steps).

    Args:
      init_value: value up to ``transition_begin``; finite.
      transition_steps: steps per factor of ``decay_rate``; an integer.
      decay_rate: ``>= 0`` (optax gives NaN for negative rates).
      transition_begin: an integer; negative values count as 0.
      staircase: decay in discrete steps every ``transition_steps``.
      end_value: optional floor (``decay_rate < 1``) or ceiling (otherwise); finite.

    Returns:
      An ``OptaxExponentialDecay`` schedule (lrjax ``exponential_decay`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.exponential_decay(1.0, transition_steps=10, decay_rate=0.5, transition_begin=5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 15]))])
      ['1.0000', '1.0000', '0.9330', '0.5000']
    """
    f = "exponential_decay"
    return OptaxExponentialDecay(
        v.as_value(f, "init_value", init_value),
        v.as_count(f, "transition_steps", transition_steps, minimum=_ANY_COUNT),
        v.as_value(f, "decay_rate", decay_rate, nonnegative=True),
        v.as_count(f, "transition_begin", transition_begin, minimum=_ANY_COUNT),
        v.as_flag(f, "staircase", staircase),
        None if end_value is None else v.as_value(f, "end_value", end_value),
    )


# --------------------------------------------------------------------------------------
def _check_positive_steps(func: str, name: str, leaf: Any) -> None:
    value = v.concrete(leaf)
    if value is not None and not np.all(np.asarray(value) > 0):
        raise ValueError(f"{func}({name}={value!r}): {name} must be > 0")


class OptaxCosineDecay(AbstractPreset):
    """optax's ``cosine_decay_schedule`` (built by :func:`cosine_decay_schedule`)."""

    init_value: Array
    decay_steps: Array
    alpha: Array
    exponent: Array
    factory: ClassVar[str] = "cosine_decay_schedule"

    def build(self) -> AbstractSchedule:
        init = _f(self.init_value)
        return CosineDecay(init, self.decay_steps, _f(self.alpha) * init, self.exponent)


def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: ArrayLike,
    alpha: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> OptaxCosineDecay:
    r"""optax's ``cosine_decay_schedule``: cosine decay to a fraction ``alpha`` of ``init_value``.

    .. math::
      \eta(t) = I\left[(1 - \alpha)
        \left(\tfrac{1}{2}\left(1 + \cos\tfrac{\pi \min(t, T)}{T}\right)\right)^{p} + \alpha\right]

    where :math:`I` is ``init_value``, :math:`T` is ``decay_steps``, :math:`\alpha` is
    ``alpha`` (relative to :math:`I`; lrjax's ``cosine_decay`` takes an absolute
    ``end_value = alpha * init_value``) and :math:`p` is ``exponent``. optax does not clamp
    negative steps (``s(-1) != s(0)``); lrjax does.

    Args:
      init_value: value at step 0; finite.
      decay_steps: length of the decay; an integer ``> 0`` (optax raises too).
      alpha: final value as a fraction of ``init_value``; finite.
      exponent: power of the cosine factor; ``> 0``.

    Returns:
      An ``OptaxCosineDecay`` schedule (lrjax ``cosine_decay`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.cosine_decay_schedule(1.0, decay_steps=10, alpha=0.1, exponent=2.0)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 10, 11]))])
      ['1.0000', '0.3250', '0.1000', '0.1000']
    """
    f = "cosine_decay_schedule"
    steps = v.as_count(f, "decay_steps", decay_steps, minimum=_ANY_COUNT)
    _check_positive_steps(f, "decay_steps", steps)
    return OptaxCosineDecay(
        v.as_value(f, "init_value", init_value),
        steps,
        v.as_value(f, "alpha", alpha),
        v.as_value(f, "exponent", exponent, positive=True),
    )


class OptaxWarmupCosineDecay(AbstractPreset):
    """optax's ``warmup_cosine_decay_schedule`` (built by :func:`warmup_cosine_decay_schedule`)."""

    init_value: Array
    peak_value: Array
    warmup_steps: Array
    decay_steps: Array
    end_value: Array
    exponent: Array
    factory: ClassVar[str] = "warmup_cosine_decay_schedule"

    def build(self) -> AbstractSchedule:
        peak = _f(self.peak_value)
        # optax: alpha = 0 if peak_value == 0 else end_value / peak_value.
        end = jnp.where(peak == 0, jnp.zeros((), peak.dtype), _f(self.end_value))
        decay = CosineDecay(peak, _f(self.decay_steps) - _f(self.warmup_steps), end, self.exponent)
        return Warmup(decay, self.warmup_steps, self.init_value, "linear")


def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: ArrayLike,
    decay_steps: ArrayLike,
    end_value: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> OptaxWarmupCosineDecay:
    r"""optax's ``warmup_cosine_decay_schedule``: linear warmup, then cosine decay.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\, t / W & t < W \\
        E + (P - E)\left(\tfrac{1}{2}\left(1 + \cos \pi\tfrac{\min(t - W, D - W)}{D - W}
        \right)\right)^{p} & t \ge W
      \end{cases}

    where :math:`I` is ``init_value``, :math:`P` is ``peak_value``, :math:`W` is
    ``warmup_steps``, :math:`D` is ``decay_steps`` (which **includes** the warmup, unlike
    Keras's), :math:`E` is ``end_value`` and :math:`p` is ``exponent``. optax quirk,
    reproduced: with ``peak_value == 0`` the decay is 0 whatever ``end_value``. The lrjax
    preset ``warmup_cosine_decay(peak_value, warmup_steps, total_steps=decay_steps, ...)``
    is the same curve for ``peak_value != 0``.

    Args:
      init_value: value at step 0; finite.
      peak_value: value at step ``warmup_steps``; finite.
      warmup_steps: an integer ``>= 0``.
      decay_steps: total length; an integer ``> warmup_steps`` (optax raises too).
      end_value: value from step ``decay_steps`` on; finite.
      exponent: power of the cosine factor; ``> 0``.

    Returns:
      An ``OptaxWarmupCosineDecay`` schedule (lrjax ``warmup(cosine_decay(...))`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.warmup_cosine_decay_schedule(0.0, 1.0, 5, 15, end_value=0.1)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 1, 5, 6, 10, 15, 100]))])
      ['0.0000', '0.2000', '1.0000', '0.9780', '0.5500', '0.1000', '0.1000']
    """
    f = "warmup_cosine_decay_schedule"
    warm = v.as_count(f, "warmup_steps", warmup_steps)
    decay = v.as_count(f, "decay_steps", decay_steps, minimum=1)
    w, d = v.concrete(warm), v.concrete(decay)
    if w is not None and d is not None:
        v.require(
            np.all(np.asarray(d) > np.asarray(w)),
            f,
            f"decay_steps={d} includes the warmup and must be > warmup_steps={w}",
        )
    return OptaxWarmupCosineDecay(
        v.as_value(f, "init_value", init_value),
        v.as_value(f, "peak_value", peak_value),
        warm,
        decay,
        v.as_value(f, "end_value", end_value),
        v.as_value(f, "exponent", exponent, positive=True),
    )


class OptaxWarmupExponentialDecay(AbstractPreset):
    """optax's ``warmup_exponential_decay_schedule`` (built by its factory)."""

    init_value: Array
    peak_value: Array
    warmup_steps: Array
    transition_steps: Array
    decay_rate: Array
    transition_begin: Array
    staircase: bool = dataclasses.field(metadata=dict(static=True))
    end_value: Array | None
    factory: ClassVar[str] = "warmup_exponential_decay_schedule"

    def build(self) -> AbstractSchedule:
        warm = _f(self.warmup_steps)
        ramp = Linear(self.init_value, self.peak_value, warm, jnp.zeros((), warm.dtype))
        decay = _optax_exponential(
            self.peak_value,
            self.transition_steps,
            self.decay_rate,
            self.transition_begin,
            self.staircase,
            self.end_value,
        )
        # A join, not a warmup: optax ramps to peak_value even when end_value clips the
        # decay's first value.
        return _core_join([ramp, decay], jnp.reshape(warm, (1,)))


def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: ArrayLike,
    transition_steps: ArrayLike,
    decay_rate: ArrayLike,
    transition_begin: ArrayLike = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> OptaxWarmupExponentialDecay:
    r"""optax's ``warmup_exponential_decay_schedule``: linear warmup, then exponential decay.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\, t / W & t < W \\
        \operatorname{clip}\left(P\, r^{\max(t - W - B, 0)/T},\ E\right) & t \ge W
      \end{cases}

    where :math:`I` is ``init_value``, :math:`P` is ``peak_value``, :math:`W` is
    ``warmup_steps``, :math:`T` is ``transition_steps``, :math:`r` is ``decay_rate``,
    :math:`B` is ``transition_begin`` (counted from the end of the warmup) and :math:`E`
    is ``end_value`` (see :func:`exponential_decay` for its quirks, all reproduced).

    Args:
      init_value: value at step 0; finite.
      peak_value: value at step ``warmup_steps``; finite.
      warmup_steps: an integer ``>= 0``.
      transition_steps: an integer (``<= 0``: constant ``peak_value`` after the warmup).
      decay_rate: ``>= 0`` (0: constant ``peak_value``, as in optax).
      transition_begin: an integer; negative values count as 0.
      staircase: decay in discrete steps.
      end_value: optional floor (``decay_rate < 1``) or ceiling; finite.

    Returns:
      An ``OptaxWarmupExponentialDecay`` schedule (a join of lrjax ``linear`` and
      ``exponential_decay``).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.warmup_exponential_decay_schedule(0.0, 1.0, 5, 10, 0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 15, 25]))])
      ['0.0000', '1.0000', '0.9330', '0.5000', '0.2500']
    """
    f = "warmup_exponential_decay_schedule"
    return OptaxWarmupExponentialDecay(
        v.as_value(f, "init_value", init_value),
        v.as_value(f, "peak_value", peak_value),
        v.as_count(f, "warmup_steps", warmup_steps),
        v.as_count(f, "transition_steps", transition_steps, minimum=_ANY_COUNT),
        v.as_value(f, "decay_rate", decay_rate, nonnegative=True),
        v.as_count(f, "transition_begin", transition_begin, minimum=_ANY_COUNT),
        v.as_flag(f, "staircase", staircase),
        None if end_value is None else v.as_value(f, "end_value", end_value),
    )


class OptaxWarmupConstant(AbstractPreset):
    """optax's ``warmup_constant_schedule`` (built by :func:`warmup_constant_schedule`)."""

    init_value: Array
    peak_value: Array
    warmup_steps: Array
    factory: ClassVar[str] = "warmup_constant_schedule"

    def build(self) -> AbstractSchedule:
        warm = _f(self.warmup_steps)
        return _optax_linear_or_poly(
            self.init_value, self.peak_value, warm, jnp.zeros((), warm.dtype), None
        )


def warmup_constant_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: ArrayLike,
) -> OptaxWarmupConstant:
    r"""optax's ``warmup_constant_schedule``: a linear warmup, then ``peak_value``.

    .. math::
      \eta(t) = I + (P - I)\,\frac{\min(t, W)}{W}

    where :math:`I` is ``init_value``, :math:`P` is ``peak_value`` and :math:`W` is
    ``warmup_steps``. optax quirk, reproduced: ``warmup_steps=0`` holds ``init_value``
    forever (optax builds ``linear_schedule(I, P, 0)``). The lrjax preset
    ``warmup_constant(peak_value, warmup_steps, init_value)`` gives ``peak_value`` there.

    Args:
      init_value: value at step 0; finite.
      peak_value: value from step ``warmup_steps`` on (if ``warmup_steps > 0``); finite.
      warmup_steps: an integer ``>= 0``.

    Returns:
      An ``OptaxWarmupConstant`` schedule (lrjax ``linear`` inside).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.warmup_constant_schedule(0.0, 1.0, warmup_steps=10)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 5, 10, 1000]))])
      ['0.0', '0.5', '1.0', '1.0']
    """
    f = "warmup_constant_schedule"
    return OptaxWarmupConstant(
        v.as_value(f, "init_value", init_value),
        v.as_value(f, "peak_value", peak_value),
        v.as_count(f, "warmup_steps", warmup_steps),
    )


# --------------------------------------------------------------------------------------
def _pct(func: str, name: str, value: Any) -> Any:
    leaf = v.as_value(func, name, value)
    x = v.concrete(leaf)
    if x is not None and not 0 <= x <= 1:
        raise ValueError(f"{func}({name}={value!r}): {name} must be in [0, 1]")
    return leaf


def _truncated_step(pct: Any, raw_pct: Any, steps: Any, raw_steps: Any) -> Any:
    """optax's ``int(pct * transition_steps)``: exact Python arithmetic when concrete."""
    if v.concrete(pct) is not None and v.concrete(steps) is not None:
        if isinstance(raw_pct, (jax.Array, np.ndarray)):
            raw_pct = np.asarray(raw_pct).item()
        if isinstance(raw_steps, (jax.Array, np.ndarray)):
            raw_steps = np.asarray(raw_steps).item()
        return np.asarray(int(raw_pct * raw_steps), int_dtype())
    product = _f(pct).astype(float_dtype()) * _f(steps).astype(float_dtype())
    return jnp.floor(product).astype(int_dtype())


def _onecycle_steps(func: str, transition_steps: Any) -> Any:
    steps = v.as_count(func, "transition_steps", transition_steps, minimum=_ANY_COUNT)
    _check_positive_steps(func, "transition_steps", steps)
    return steps


class OptaxLinearOnecycle(AbstractPreset):
    """optax's ``linear_onecycle_schedule`` (built by :func:`linear_onecycle_schedule`).

    ``start_step`` and ``final_step`` hold optax's ``int(pct * transition_steps)``,
    computed once at construction from the public arguments (not part of the config).
    """

    transition_steps: Array
    peak_value: Array
    pct_start: Array
    pct_final: Array
    div_factor: Array
    final_div_factor: Array
    start_step: Array
    final_step: Array
    factory: ClassVar[str] = "linear_onecycle_schedule"

    def config_args(self) -> dict[str, Any]:
        names = ["transition_steps", "peak_value", "pct_start", "pct_final", "div_factor"]
        return {k: getattr(self, k) for k in [*names, "final_div_factor"]}

    def build(self) -> AbstractSchedule:
        div, final = _f(self.div_factor), _f(self.final_div_factor)
        steps = jnp.stack([_f(self.start_step), _f(self.final_step), _f(self.transition_steps)])
        scales = jnp.stack([div, 1 / div, 1 / final])
        return OptaxPiecewiseInterpolate("linear", _f(self.peak_value) / div, steps, scales)


def linear_onecycle_schedule(
    transition_steps: ArrayLike,
    peak_value: ArrayLike,
    pct_start: ArrayLike = 0.3,
    pct_final: ArrayLike = 0.85,
    div_factor: ArrayLike = 25.0,
    final_div_factor: ArrayLike = 1e4,
) -> OptaxLinearOnecycle:
    r"""optax's ``linear_onecycle_schedule``: three linear phases.

    optax builds ``piecewise_interpolate_schedule("linear", P / d, {int(a T): d,
    int(b T): 1 / d, T: 1 / f})`` with :math:`P` ``peak_value``, :math:`T`
    ``transition_steps``, :math:`a` ``pct_start``, :math:`b` ``pct_final``, :math:`d`
    ``div_factor`` and :math:`f` ``final_div_factor``: up from :math:`P/d` to :math:`P`
    at step :math:`\lfloor aT \rfloor`, down to :math:`P/d` at :math:`\lfloor bT \rfloor`,
    then to :math:`P/(d f)` at :math:`T` (optax's docstring says :math:`P/f`; its code,
    reproduced here, gives :math:`P/(d f)`), held after. Boundaries that collide after
    ``int()`` truncation behave as in optax's dict (the later entry wins). The lrjax
    preset is ``one_cycle(..., anneal="linear", three_phase=True)`` (torch's phase
    boundaries, which differ).

    Args:
      transition_steps: total length; an integer ``> 0`` (optax raises too).
      peak_value: the peak; finite.
      pct_start: fraction of ``transition_steps`` spent rising; in ``[0, 1]``.
      pct_final: fraction at which the descent to ``P / d`` ends; in ``[0, 1]``.
      div_factor: initial value is ``peak_value / div_factor``; ``> 0``.
      final_div_factor: final value is ``peak_value / (div_factor * final_div_factor)``;
        ``> 0``.

    Returns:
      An ``OptaxLinearOnecycle`` schedule.

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.linear_onecycle_schedule(10, 1000.0, 0.3, 0.7, 10.0, 100.0)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 3, 7, 10, 11]))])
      ['100.0', '1000.0', '100.0', '1.0', '1.0']
    """
    f = "linear_onecycle_schedule"
    steps = _onecycle_steps(f, transition_steps)
    start = _pct(f, "pct_start", pct_start)
    final = _pct(f, "pct_final", pct_final)
    return OptaxLinearOnecycle(
        steps,
        v.as_value(f, "peak_value", peak_value),
        start,
        final,
        v.as_value(f, "div_factor", div_factor, positive=True),
        v.as_value(f, "final_div_factor", final_div_factor, positive=True),
        _truncated_step(start, pct_start, steps, transition_steps),
        _truncated_step(final, pct_final, steps, transition_steps),
    )


class OptaxCosineOnecycle(AbstractPreset):
    """optax's ``cosine_onecycle_schedule`` (built by :func:`cosine_onecycle_schedule`).

    ``start_step`` holds optax's ``int(pct_start * transition_steps)``, computed once at
    construction from the public arguments (not part of the config).
    """

    transition_steps: Array
    peak_value: Array
    pct_start: Array
    div_factor: Array
    final_div_factor: Array
    start_step: Array
    factory: ClassVar[str] = "cosine_onecycle_schedule"

    def config_args(self) -> dict[str, Any]:
        names = ["transition_steps", "peak_value", "pct_start", "div_factor", "final_div_factor"]
        return {k: getattr(self, k) for k in names}

    def build(self) -> AbstractSchedule:
        div, final = _f(self.div_factor), _f(self.final_div_factor)
        steps = jnp.stack([_f(self.start_step), _f(self.transition_steps)])
        scales = jnp.stack([div, 1 / (div * final)])
        return OptaxPiecewiseInterpolate("cosine", _f(self.peak_value) / div, steps, scales)


def cosine_onecycle_schedule(
    transition_steps: ArrayLike,
    peak_value: ArrayLike,
    pct_start: ArrayLike = 0.3,
    div_factor: ArrayLike = 25.0,
    final_div_factor: ArrayLike = 1e4,
) -> OptaxCosineOnecycle:
    r"""optax's ``cosine_onecycle_schedule``: cosine up to the peak, cosine down.

    optax builds ``piecewise_interpolate_schedule("cosine", P / d, {int(a T): d,
    T: 1 / (d f)})`` with :math:`P` ``peak_value``, :math:`T` ``transition_steps``,
    :math:`a` ``pct_start``, :math:`d` ``div_factor`` and :math:`f` ``final_div_factor``:
    from :math:`P/d` up to :math:`P` at step :math:`\lfloor aT \rfloor` and down to
    :math:`P/(d f)` at :math:`T`, held after. ``int()`` truncation is reproduced (for
    ``T = 3``, ``a = 0.3`` the schedule starts at the peak). The lrjax preset
    ``one_cycle(peak_value, total_steps, pct_start, div_factor, final_div_factor)``
    follows torch's phase boundaries instead (peak at ``aT - 1``, end at ``T - 1``).

    Args:
      transition_steps: total length; an integer ``> 0`` (optax raises too).
      peak_value: the peak; finite.
      pct_start: fraction of ``transition_steps`` spent rising; in ``[0, 1]``.
      div_factor: initial value is ``peak_value / div_factor``; ``> 0``.
      final_div_factor: final value is ``peak_value / (div_factor * final_div_factor)``;
        ``> 0``.

    Returns:
      An ``OptaxCosineOnecycle`` schedule.

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.cosine_onecycle_schedule(5, 1000.0, 0.4, 10.0, 100.0)
      >>> print([f"{float(x):.2f}" for x in s(jnp.array([0, 1, 2, 3, 4, 5, 6]))])
      ['100.00', '550.00', '1000.00', '750.25', '250.75', '1.00', '1.00']
    """
    f = "cosine_onecycle_schedule"
    steps = _onecycle_steps(f, transition_steps)
    start = _pct(f, "pct_start", pct_start)
    return OptaxCosineOnecycle(
        steps,
        v.as_value(f, "peak_value", peak_value),
        start,
        v.as_value(f, "div_factor", div_factor, positive=True),
        v.as_value(f, "final_div_factor", final_div_factor, positive=True),
        _truncated_step(start, pct_start, steps, transition_steps),
    )


# --------------------------------------------------------------------------------------
def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, ArrayLike]]) -> Join:
    r"""optax's ``sgdr_schedule``: warmup-cosine cycles one after another.

    Cycle :math:`k` is ``warmup_cosine_decay_schedule(**cosine_kwargs[k])`` and starts at
    :math:`\sum_{j<k} D_j` (the ``decay_steps`` of the previous cycles, warmups
    included), seeing its local step; the last cycle holds its ``end_value``. Each cycle
    restarts from its own ``init_value`` through its own warmup.

    Args:
      cosine_kwargs: the cycles' arguments to :func:`warmup_cosine_decay_schedule`, at
        least one (optax fails at the first call with none).

    Returns:
      An lrjax ``Join`` of ``OptaxWarmupCosineDecay`` schedules (one evaluation per step
      whatever the number of cycles: same-structure pieces are stacked).

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.sgdr_schedule([
      ...     dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10),
      ...     dict(init_value=0.0, peak_value=0.5, warmup_steps=2, decay_steps=10)])
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([9, 10, 12, 20]))])
      ['0.0381', '0.0000', '0.5000', '0.0000']
    """
    f = "sgdr_schedule"
    if isinstance(cosine_kwargs, Mapping) or not isinstance(cosine_kwargs, Iterable):
        raise TypeError(f"{f}(cosine_kwargs={cosine_kwargs!r}): expected an iterable of dicts")
    cycles = []
    for i, kwargs in enumerate(cosine_kwargs):
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"{f}(cosine_kwargs[{i}]={kwargs!r}): expected a dict of arguments")
        try:
            cycles.append(warmup_cosine_decay_schedule(**kwargs))
        except (TypeError, ValueError) as err:
            raise type(err)(f"{f}(cosine_kwargs[{i}]): {err}") from None
    if not cycles:
        raise ValueError(f"{f}(cosine_kwargs=[]): cosine_kwargs must hold at least one cycle")
    lengths = [c.decay_steps for c in cycles[:-1]]
    if all(v.concrete(x) is not None for x in lengths):
        total = np.cumsum([int(np.asarray(x)) for x in lengths], dtype=np.int64)
        if total.size and total[-1] > int_max():
            raise OverflowError(
                f"{f}: the cycles' decay_steps add up to {int(total[-1])} > {int_max()}; "
                "enable 64-bit steps with jax.config.update('jax_enable_x64', True)"
            )
        boundaries: Any = total.astype(int_dtype())
    else:
        boundaries = jnp.cumsum(jnp.stack([_f(x) for x in lengths]))
    return _core_join(cycles, boundaries)


def join_schedules(schedules: Sequence[Schedule], boundaries: ArrayLike) -> Join:
    r"""optax's ``join_schedules``: each schedule from its boundary on, seeing its local step.

    .. math::
      \eta(t) = s_i(t - b_{i-1}) \quad\text{for}\quad b_{i-1} \le t < b_i

    with :math:`b_{-1} = 0`: at :math:`t = b_i` the next schedule starts at local step 0,
    as in optax. This is ``lrjax.join_schedules``, which validates what optax does not:
    ``len(boundaries)`` must be ``len(schedules) - 1`` (optax silently ignores extra
    schedules) and boundaries must be strictly increasing and ``>= 0`` (optax lets a later,
    smaller boundary override an earlier one). Children are evaluated only at clamped
    local steps, so a child singular at negative steps cannot poison gradients.

    Args:
      schedules: lrjax schedules, plain callables (optax schedules) or numbers.
      boundaries: ``len(schedules) - 1`` absolute steps, strictly increasing, ``>= 0``.

    Returns:
      An lrjax ``Join`` schedule.

    Examples:
      >>> from lrjax.compat import optax as lro
      >>> s = lro.join_schedules([lro.constant_schedule(1.0), lro.constant_schedule(2.0)], [3])
      >>> print([float(x) for x in s(jnp.array([2, 3]))])
      [1.0, 2.0]
    """
    return _core_join(schedules, boundaries)
