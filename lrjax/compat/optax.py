"""optax's schedules, exactly: ``optax.schedules`` names and arguments, lrjax schedules out.

Each function has the name, argument names and defaults of its optax 0.2.8 counterpart and
maps them onto core schedules, combinators and presets: the result equals optax's at every
optimizer step ``t = 0, 1, ...`` (the first update uses ``s(0)``) up to float32 rounding,
quirks included. ``docs/compat_optax_keras.md`` lists the deviations (negative steps clamp
to 0, arguments giving NaN raise). optax is not imported. Examples call functions by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import InitVar
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.adaptive.base import AbstractAdaptive
from lrjax.combinators.join import Join, join_schedules
from lrjax.combinators.warmup import Warmup
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.dtypes import float_dtype, int_dtype
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    ArrayLike,
    Param,
    factory_names,
    make_factory,
)
from lrjax.schedules import primitives as core
from lrjax.schedules.piecewise import PiecewiseConstant, PiecewiseLinear

# optax documents non-positive transition_steps (a constant schedule): accept any int32.
_ANY_COUNT = -(2**31)


def _optax_exponential(schedule: Any, init: Any) -> core.ExponentialDecay:
    """Core ``exponential_decay`` on ``schedule``'s fields with OptaxExponentialDecay's quirks."""
    rate, steps = schedule.decay_rate, schedule.transition_steps
    held = (jnp.asarray(steps) <= 0) | (jnp.asarray(rate) == 0)
    # optax clips with maximum when decay_rate < 1, else minimum (as core does); a held
    # schedule is never clipped, so clip it against itself.
    end = None if schedule.end_value is None else jnp.where(held, init, schedule.end_value)
    rate, steps = jnp.where(held, 1.0, rate), jnp.maximum(steps, 1)
    begin = jnp.maximum(schedule.transition_begin, 0)
    return core.ExponentialDecay(init, rate, steps, begin, schedule.staircase, end)


# --------------------------------------------------------------------------------------
def constant_schedule(value: ArrayLike) -> core.Constant:
    r"""optax's ``constant_schedule``: ``lrjax.constant(value)`` (a float array, not ``value``).

    Args:
      value: the value at every step; any finite number.

    Examples:
      >>> print(f"{float(constant_schedule(5)(100)):.4f}")
      5.0000
    """
    return core.Constant(v.as_value("constant_schedule", "value", value))


# --------------------------------------------------------------------------------------
class AbstractOptaxRamp(AbstractPreset):
    """optax's linear and polynomial ramps: core ``linear``/``polynomial`` with optax's quirks,
    ``transition_steps <= 0`` holds ``init_value``, a negative ``transition_begin`` counts as 0."""

    init_value: Param = fields.value()
    end_value: Param = fields.value()

    def build(self) -> AbstractSchedule:
        s: Any = self  # the subclasses declare the lengths (after OptaxPolynomial's power)
        steps, begin = jnp.asarray(s.transition_steps), jnp.asarray(s.transition_begin)
        end = jnp.where(steps <= 0, self.init_value, self.end_value)
        steps, begin = jnp.maximum(steps, 0), jnp.maximum(begin, 0)
        power = getattr(self, "power", None)
        if power is None:
            return core.Linear(self.init_value, end, steps, begin)
        return core.Polynomial(self.init_value, end, power, steps, begin)


class OptaxPolynomial(AbstractOptaxRamp, factory="polynomial_schedule"):
    r"""optax's ``polynomial_schedule``: ``lrjax.polynomial`` (same arguments) with optax's quirks.

    Args:
      init_value: value up to step ``transition_begin``; finite.
      end_value: value from step ``transition_begin + transition_steps`` on; finite.
      power: exponent; ``> 0`` (optax returns inf for ``power < 0`` at the end).
      transition_steps: length of the ramp; an integer (``<= 0``: constant ``init_value``).
      transition_begin: an integer; negative values count as 0.

    Examples:
      >>> s = polynomial_schedule(1.0, 0.01, power=2, transition_steps=100, transition_begin=5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 104, 105, 110]))])
      ['1.0000', '1.0000', '0.9803', '0.0101', '0.0100', '0.0100']
    """

    power: Param = fields.value(positive=True)
    transition_steps: Param = fields.count(minimum=_ANY_COUNT)
    transition_begin: Param = fields.count(minimum=_ANY_COUNT, default=0)


polynomial_schedule = make_factory(OptaxPolynomial)


class OptaxLinear(AbstractOptaxRamp, factory="linear_schedule"):
    r"""optax's ``linear_schedule``: ``lrjax.linear`` (same arguments) with optax's quirks.

    Args:
      init_value: value up to step ``transition_begin``; finite.
      end_value: value from step ``transition_begin + transition_steps`` on; finite.
      transition_steps: length of the ramp; an integer (``<= 0``: constant ``init_value``).
      transition_begin: an integer; negative values count as 0.

    Examples:
      >>> s = linear_schedule(1.0, 0.0, transition_steps=10)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 1, 9, 10, 11]))])
      ['1.0', '0.9', '0.1', '0.0', '0.0']
      >>> print(f"{float(linear_schedule(1.0, 0.0, transition_steps=0)(50)):.1f}")
      1.0
    """

    transition_steps: Param = fields.count(minimum=_ANY_COUNT)
    transition_begin: Param = fields.count(minimum=_ANY_COUNT, default=0)


linear_schedule = make_factory(OptaxLinear)


# --------------------------------------------------------------------------------------
def _boundaries_and_scales(func: str, items: Any) -> tuple[Any, Any]:
    """optax's ``{step: scale}`` (or ``(step, scale)`` pairs) as int and float leaves, in
    the given order."""
    name = "boundaries_and_scales"
    pairs = list((items or {}).items()) if items is None or isinstance(items, Mapping) else items
    if not isinstance(pairs, (list, tuple)) or not all(
        isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs
    ):
        raise TypeError(
            f"{func}({name}={items!r}): {name} must be a dict {{step: scale}}, a sequence of "
            "(step, scale) pairs, or None"
        )
    steps, scales = [p[0] for p in pairs], [p[1] for p in pairs]
    # A str or None would reach NumPy or jnp.stack and fail naming no argument.
    for kind, entries in (("step", steps), ("scale", scales)):
        bad = [x for x in entries if not v.is_concrete(x) and not isinstance(x, Tracer)]
        if bad:
            raise TypeError(
                f"{func}({name}={items!r}): every {kind} of {name} must be a number, got {bad[0]!r}"
            )
    # Unsorted (a later pair with an equal step wins), so not a core boundary sequence.
    stacked = np.asarray(steps) if all(map(v.is_concrete, steps)) else jnp.stack(steps)
    counts = v.as_count(func, name, stacked, shape=None)
    return counts, v.as_value_sequence(func, name, scales, nonnegative=True)


def _table(init: Any, steps: Any, scales: Any) -> tuple[jax.Array, jax.Array]:
    """Sorted boundaries and cumulative values ``values[i + 1]`` from ``bounds[i]`` on. Equal
    steps resolve like a dict: the last scale comes first, the others become 1."""
    steps, scales, init = jnp.asarray(steps), jnp.asarray(scales), jnp.asarray(init)
    order = jnp.lexsort((-jnp.arange(steps.shape[-1]), steps))
    bounds = steps[order]
    repeated = jnp.concatenate([jnp.zeros_like(bounds[:1], bool), bounds[1:] == bounds[:-1]])
    effective = jnp.where(repeated, jnp.ones((), scales.dtype), scales[order])
    values = jnp.cumprod(jnp.concatenate([init[None], effective]))
    return bounds, values


def _interpolate(kind: str, init: Any, steps: Any, scales: Any) -> AbstractSchedule:
    """optax's piecewise interpolation: core ``piecewise_linear`` through the cumulative
    values, or for "cosine" a core join of ``cosine_decay`` pieces between them."""
    bounds, values = _table(init, steps, scales)
    starts = jnp.concatenate([jnp.zeros((1,), bounds.dtype), bounds])
    if kind == "linear":
        return PiecewiseLinear(starts, values)
    pieces = [
        core.CosineDecay(values[i], bounds[i] - starts[i], values[i + 1], 1.0)
        for i in range(bounds.shape[-1])
    ]
    return join_schedules([*pieces, core.Constant(values[-1])], bounds)


class AbstractOptaxScaled(AbstractPreset):
    """optax's piecewise schedules: ``boundaries_and_scales`` (an ``InitVar``) stored as
    ``steps`` and ``scales`` leaves, given back as ``(step, scale)`` pairs in the config."""

    def __post_init__(self, boundaries_and_scales: Any = None) -> None:
        steps, scales = _boundaries_and_scales(self.factory, boundaries_and_scales)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "scales", scales)
        super().__post_init__()

    def config_args(self) -> dict[str, Any]:
        args = super().config_args()
        steps, scales = np.asarray(args.pop("steps")), np.asarray(args.pop("scales"))
        args["boundaries_and_scales"] = [[a, b] for a, b in zip(steps, scales, strict=True)]
        return args


class OptaxPiecewiseConstant(AbstractOptaxScaled, factory="piecewise_constant_schedule"):
    r"""optax's ``piecewise_constant_schedule``: ``init_value`` times the scales already passed.

    .. math::
      \eta(t) = I \prod_{i:\ b_i \le t} s_i

    for ``init_value`` :math:`I` and ``boundaries_and_scales`` ``{b_i: s_i}``: a
    ``lrjax.piecewise_constant`` of the cumulative products, changing **at** :math:`b_i`.

    Args:
      init_value: value before the first boundary; finite.
      boundaries_and_scales: ``{step: scale}``, ``(step, scale)`` pairs (later pairs win) or
        None; steps integers ``>= 0``, scales ``>= 0``.

    Examples:
      >>> s = piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.01})
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([99, 100, 199, 200]))])
      ['1.0000', '0.1000', '0.1000', '0.0010']
    """

    init_value: Param = fields.value()
    boundaries_and_scales: InitVar[Mapping[int, float] | Sequence[Any] | None] = None
    steps: Param = fields.derived()
    scales: Param = fields.derived()

    def build(self) -> AbstractSchedule:
        return PiecewiseConstant(*_table(self.init_value, self.steps, self.scales))


piecewise_constant_schedule = make_factory(OptaxPiecewiseConstant)


class OptaxPiecewiseInterpolate(AbstractOptaxScaled, factory="piecewise_interpolate_schedule"):
    r"""optax's ``piecewise_interpolate_schedule``: interpolate between cumulative values.

    With sorted boundaries :math:`b_k`, :math:`b_0 = 0` and :math:`v_0 = I`,
    :math:`v_k = v_{k-1} s_k`: ``lrjax.piecewise_linear([b_0, ..., b_n], [v_0, ..., v_n])``
    ("linear"), or ``lrjax.cosine_decay(v_k, b_{k+1} - b_k, v_{k+1})`` pieces joined ("cosine").

    Args:
      interpolate_type: "linear" or "cosine".
      init_value: value at step 0; finite.
      boundaries_and_scales: as in :func:`piecewise_constant_schedule`.

    Examples:
      >>> s = piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 4, 6, 8, 10]))])
      ['1.0000', '0.5500', '0.1000', '0.0505', '0.0010', '0.0010']
    """

    interpolate_type: str = fields.choice(("linear", "cosine"))
    init_value: Param = fields.value()
    boundaries_and_scales: InitVar[Mapping[int, float] | Sequence[Any] | None] = None
    steps: Param = fields.derived()
    scales: Param = fields.derived()

    def build(self) -> AbstractSchedule:
        return _interpolate(self.interpolate_type, self.init_value, self.steps, self.scales)


piecewise_interpolate_schedule = make_factory(OptaxPiecewiseInterpolate)


# --------------------------------------------------------------------------------------
class OptaxExponentialDecay(AbstractPreset, factory="exponential_decay"):
    r"""optax's ``exponential_decay`` (note optax's argument order: steps before rate).

    ``lrjax.exponential_decay(init_value, decay_rate, transition_steps, transition_begin,
    staircase, end_value)``; ``transition_steps <= 0`` or ``decay_rate == 0`` hold ``init_value``.

    Args:
      init_value: value up to ``transition_begin``; finite.
      transition_steps: steps per factor of ``decay_rate``; an integer.
      decay_rate: ``>= 0`` (optax gives NaN for negative rates).
      transition_begin: an integer; negative values count as 0.
      staircase: decay in discrete steps every ``transition_steps``.
      end_value: optional floor (``decay_rate < 1``) or ceiling (otherwise); finite.

    Examples:
      >>> s = exponential_decay(1.0, transition_steps=10, decay_rate=0.5, transition_begin=5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 15]))])
      ['1.0000', '1.0000', '0.9330', '0.5000']
    """

    init_value: Param = fields.value()
    transition_steps: Param = fields.count(minimum=_ANY_COUNT)
    decay_rate: Param = fields.value(nonnegative=True)
    transition_begin: Param = fields.count(minimum=_ANY_COUNT, default=0)
    staircase: bool = fields.flag(default=False)
    end_value: Param | None = fields.value(optional=True, default=None)

    def build(self) -> AbstractSchedule:
        return _optax_exponential(self, self.init_value)


exponential_decay = make_factory(OptaxExponentialDecay)


# --------------------------------------------------------------------------------------
class OptaxCosineDecay(AbstractPreset, factory="cosine_decay_schedule"):
    r"""optax's ``cosine_decay_schedule``: cosine decay to a fraction ``alpha`` of ``init_value``.

    ``lrjax.cosine_decay(init_value, decay_steps, alpha * init_value, exponent)``.

    Args:
      init_value: value at step 0; finite.
      decay_steps: length of the decay; an integer ``> 0`` (optax raises too).
      alpha: final value as a fraction of ``init_value``; finite.
      exponent: power of the cosine factor; ``> 0``, or None (the default) for optax's
        default of 1 without computing a power (see :func:`lrjax.cosine_decay`).

    Examples:
      >>> s = cosine_decay_schedule(1.0, decay_steps=10, alpha=0.1, exponent=2.0)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 10, 11]))])
      ['1.0000', '0.3250', '0.1000', '0.1000']
    """

    init_value: Param = fields.value()
    decay_steps: Param = fields.count(minimum=_ANY_COUNT)
    alpha: Param = fields.value(default=0.0)
    exponent: Param | None = fields.value(positive=True, optional=True, default=None)

    def check(self) -> None:
        v.require_args(self, "decay_steps", lambda x: x > 0, "decay_steps must be > 0")

    def build(self) -> AbstractSchedule:
        end = self.alpha * jnp.asarray(self.init_value)
        return core.CosineDecay(self.init_value, self.decay_steps, end, self.exponent)


cosine_decay_schedule = make_factory(OptaxCosineDecay)


class AbstractOptaxWarmup(AbstractPreset):
    """optax's schedules with a linear warmup from ``init_value`` to ``peak_value``."""

    init_value: Param = fields.value()
    peak_value: Param = fields.value()
    warmup_steps: Param = fields.count()


class OptaxWarmupCosineDecay(AbstractOptaxWarmup, factory="warmup_cosine_decay_schedule"):
    r"""optax's ``warmup_cosine_decay_schedule``: linear warmup, then cosine decay.

    ``lrjax.warmup_cosine_decay(peak_value, warmup_steps, decay_steps, init_value,
    end_value, exponent)``, except that ``peak_value == 0`` decays to 0 whatever ``end_value``.

    Args:
      init_value: value at step 0; finite.
      peak_value: value at step ``warmup_steps``; finite.
      warmup_steps: an integer ``>= 0``.
      decay_steps: total length; an integer ``> warmup_steps`` (optax raises too).
      end_value: value from step ``decay_steps`` on; finite.
      exponent: power of the cosine factor; ``> 0``, or None (the default) for optax's
        default of 1 without computing a power (see :func:`lrjax.cosine_decay`).

    Examples:
      >>> s = warmup_cosine_decay_schedule(0.0, 1.0, 5, 15, end_value=0.1)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 1, 5, 6, 10, 15, 100]))])
      ['0.0000', '0.2000', '1.0000', '0.9780', '0.5500', '0.1000', '0.1000']
    """

    decay_steps: Param = fields.count(minimum=1)
    end_value: Param = fields.value(default=0.0)
    exponent: Param | None = fields.value(positive=True, optional=True, default=None)

    def check(self) -> None:
        w, d = v.concrete(self.warmup_steps), v.concrete(self.decay_steps)
        message = f"decay_steps={d} includes the warmup and must be > warmup_steps={w}"
        v.require(None if w is None or d is None else d > w, self.factory, message)

    def build(self) -> AbstractSchedule:
        # optax: alpha = 0 if peak_value == 0 else end_value / peak_value.
        end = jnp.where(jnp.asarray(self.peak_value) == 0, 0.0, self.end_value)
        length = jnp.asarray(self.decay_steps) - self.warmup_steps
        decay = core.CosineDecay(self.peak_value, length, end, self.exponent)
        # Core warmup, not the warmup_cosine_decay preset: sgdr_schedule joins these cycles,
        # and a join evaluates its members on per-step leaves, which the preset's inner
        # join (boundaries [warmup_steps]) cannot take.
        return Warmup(decay, self.warmup_steps, self.init_value, "linear")


warmup_cosine_decay_schedule = make_factory(OptaxWarmupCosineDecay)


class OptaxWarmupExponentialDecay(AbstractOptaxWarmup, factory="warmup_exponential_decay_schedule"):
    r"""optax's ``warmup_exponential_decay_schedule``: linear warmup, then exponential decay.

    ``lrjax.join_schedules([lrjax.linear(init_value, peak_value, warmup_steps),
    exponential_decay(peak_value, ...)], [warmup_steps])`` with the other arguments.

    Args:
      init_value: value at step 0; finite.
      peak_value: value at step ``warmup_steps``; finite.
      warmup_steps: an integer ``>= 0``.
      transition_steps: an integer (``<= 0``: constant ``peak_value`` after the warmup).
      decay_rate: ``>= 0`` (0: constant ``peak_value``, as in optax).
      transition_begin: an integer, counted from the end of the warmup; negative counts as 0.
      staircase: decay in discrete steps.
      end_value: optional floor (``decay_rate < 1``) or ceiling; finite.

    Examples:
      >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 5, 10, 0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 6, 15, 25]))])
      ['0.0000', '1.0000', '0.9330', '0.5000', '0.2500']
    """

    transition_steps: Param = fields.count(minimum=_ANY_COUNT)
    decay_rate: Param = fields.value(nonnegative=True)
    transition_begin: Param = fields.count(minimum=_ANY_COUNT, default=0)
    staircase: bool = fields.flag(default=False)
    end_value: Param | None = fields.value(optional=True, default=None)

    def build(self) -> AbstractSchedule:
        ramp = core.Linear(self.init_value, self.peak_value, self.warmup_steps, 0)
        decay = _optax_exponential(self, self.peak_value)
        # A join, not a warmup: optax ramps to peak_value even when end_value clips the
        # decay's first value.
        return join_schedules([ramp, decay], jnp.reshape(self.warmup_steps, (1,)))


warmup_exponential_decay_schedule = make_factory(OptaxWarmupExponentialDecay)


class OptaxWarmupConstant(AbstractOptaxWarmup, factory="warmup_constant_schedule"):
    r"""optax's ``warmup_constant_schedule``: a linear warmup, then ``peak_value``.

    ``linear_schedule(init_value, peak_value, warmup_steps)`` (optax's definition), so
    ``warmup_steps=0`` holds ``init_value`` (``lrjax.warmup_constant`` gives ``peak_value``).

    Args:
      init_value: value at step 0; finite.
      peak_value: value from step ``warmup_steps`` on (if ``warmup_steps > 0``); finite.
      warmup_steps: an integer ``>= 0``.

    Examples:
      >>> s = warmup_constant_schedule(0.0, 1.0, warmup_steps=10)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 5, 10, 1000]))])
      ['0.0', '0.5', '1.0', '1.0']
    """

    def build(self) -> AbstractSchedule:
        return OptaxLinear(self.init_value, self.peak_value, self.warmup_steps)


warmup_constant_schedule = make_factory(OptaxWarmupConstant)


# --------------------------------------------------------------------------------------
def _truncated(pct: Any, steps: Any) -> Any:
    """optax's ``int(pct * transition_steps)``: exact Python arithmetic when concrete, else
    ``floor`` in the default float dtype. None for arguments the fields' checks reject."""
    try:
        if v.is_concrete(pct) and v.is_concrete(steps):
            exact = int(np.asarray(pct).item() * np.asarray(steps).item())
            return np.asarray(exact, int_dtype())
        product = jnp.asarray(pct, float_dtype()) * jnp.asarray(steps, float_dtype())
        return jnp.floor(product).astype(int_dtype())
    except (TypeError, ValueError, OverflowError):
        return None


class AbstractOptaxOnecycle(AbstractPreset):
    """optax's one-cycle schedules: the phase boundaries ``start_step``/``final_step`` hold
    optax's ``int(pct * transition_steps)``, computed from the arguments as given (exact
    Python arithmetic when concrete, before they become float32 leaves; not in the config)."""

    transition_steps: Param = fields.count(minimum=_ANY_COUNT)
    peak_value: Param = fields.value()
    pct_start: Param = fields.value(default=0.3)

    def __post_init__(self) -> None:
        for phase in ("start", "final"):
            if hasattr(self, f"pct_{phase}"):
                cut = _truncated(getattr(self, f"pct_{phase}"), self.transition_steps)
                object.__setattr__(self, f"{phase}_step", cut)
        super().__post_init__()

    def check(self) -> None:
        v.require_args(self, "transition_steps", lambda x: x > 0, "transition_steps must be > 0")
        for name in ("pct_start", "pct_final"):
            if hasattr(self, name):
                v.require_args(self, name, lambda x: 0 <= x <= 1, f"{name} must be in [0, 1]")

    def config_args(self) -> dict[str, Any]:
        args = super().config_args()
        return {k: x for k, x in args.items() if k not in ("start_step", "final_step")}


class OptaxLinearOnecycle(AbstractOptaxOnecycle, factory="linear_onecycle_schedule"):
    r"""optax's ``linear_onecycle_schedule``: three linear phases.

    ``piecewise_interpolate_schedule("linear", P / d, {int(a T): d, int(b T): 1 / d,
    T: 1 / f})`` (optax's definition) for ``peak_value`` :math:`P`, ``transition_steps``
    :math:`T`, ``pct_start`` :math:`a`, ``pct_final`` :math:`b`, ``div_factor`` :math:`d`,
    ``final_div_factor`` :math:`f`: it ends at :math:`P/(d f)` (optax's docs say :math:`P/f`).

    Args:
      transition_steps: total length; an integer ``> 0`` (optax raises too).
      peak_value: the peak; finite.
      pct_start: fraction of ``transition_steps`` spent rising; in ``[0, 1]``.
      pct_final: fraction at which the descent to ``P / d`` ends; in ``[0, 1]``.
      div_factor: initial value is ``peak_value / div_factor``; ``> 0``.
      final_div_factor: end value ``peak_value / (div_factor * final_div_factor)``; ``> 0``.

    Examples:
      >>> s = linear_onecycle_schedule(10, 1000.0, 0.3, 0.7, 10.0, 100.0)
      >>> print([f"{float(x):.1f}" for x in s(jnp.array([0, 3, 7, 10, 11]))])
      ['100.0', '1000.0', '100.0', '1.0', '1.0']
    """

    pct_final: Param = fields.value(default=0.85)
    div_factor: Param = fields.value(positive=True, default=25.0)
    final_div_factor: Param = fields.value(positive=True, default=1e4)
    start_step: Param = fields.derived()
    final_step: Param = fields.derived()

    def build(self) -> AbstractSchedule:
        d, f = jnp.asarray(self.div_factor), self.final_div_factor
        steps = jnp.stack([self.start_step, self.final_step, self.transition_steps])
        return _interpolate("linear", self.peak_value / d, steps, jnp.stack([d, 1 / d, 1 / f]))


linear_onecycle_schedule = make_factory(OptaxLinearOnecycle)


class OptaxCosineOnecycle(AbstractOptaxOnecycle, factory="cosine_onecycle_schedule"):
    r"""optax's ``cosine_onecycle_schedule``: cosine up to the peak, cosine down.

    ``piecewise_interpolate_schedule("cosine", P / d, {int(a T): d, T: 1 / (d f)})``
    (optax's definition), as in :func:`linear_onecycle_schedule`.

    Args:
      transition_steps: total length; an integer ``> 0`` (optax raises too).
      peak_value: the peak; finite.
      pct_start: fraction of ``transition_steps`` spent rising; in ``[0, 1]``.
      div_factor: initial value is ``peak_value / div_factor``; ``> 0``.
      final_div_factor: end value ``peak_value / (div_factor * final_div_factor)``; ``> 0``.

    Examples:
      >>> s = cosine_onecycle_schedule(5, 1000.0, 0.4, 10.0, 100.0)
      >>> print([f"{float(x):.2f}" for x in s(jnp.array([0, 1, 2, 3, 4, 5, 6]))])
      ['100.00', '550.00', '1000.00', '750.25', '250.75', '1.00', '1.00']
    """

    div_factor: Param = fields.value(positive=True, default=25.0)
    final_div_factor: Param = fields.value(positive=True, default=1e4)
    start_step: Param = fields.derived()

    def build(self) -> AbstractSchedule:
        d, f = jnp.asarray(self.div_factor), self.final_div_factor
        steps = jnp.stack([self.start_step, self.transition_steps])
        return _interpolate("cosine", self.peak_value / d, steps, jnp.stack([d, 1 / (d * f)]))


cosine_onecycle_schedule = make_factory(OptaxCosineOnecycle)


# --------------------------------------------------------------------------------------
def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, ArrayLike]]) -> Join:
    r"""optax's ``sgdr_schedule``: warmup-cosine cycles one after another.

    ``lrjax.join_schedules([warmup_cosine_decay_schedule(**kw) for kw in cosine_kwargs],
    cumsum(decay_steps))``: each cycle sees its local step; the last holds its ``end_value``.

    Args:
      cosine_kwargs: the cycles' arguments to :func:`warmup_cosine_decay_schedule`, at
        least one (optax fails at the first call with none).

    Examples:
      >>> s = sgdr_schedule([
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
    # Summed in int64 when concrete: join_schedules then rejects boundaries past the int32 range.
    if all(v.is_concrete(x) for x in lengths):
        return join_schedules(cycles, np.cumsum(lengths, dtype=np.int64))
    return join_schedules(cycles, jnp.cumsum(jnp.stack(lengths)))


# --------------------------------------------------------------------------------------
class OptaxPlateauState(NamedTuple):
    """optax's ``ReduceLROnPlateauState`` plus the update count."""

    count: Array
    best: Array
    num_bad: Array
    cooldown: Array
    num_reductions: Array
    scale: Array
    accumulated: Array  # metrics in the current window
    mean: Array  # their mean


class OptaxReduceOnPlateau(AbstractAdaptive, factory="reduce_on_plateau"):
    r"""optax's ``contrib.reduce_on_plateau``: ``c(state)`` is optax's scale.

    Examples:
      >>> c = reduce_on_plateau(patience=1)
      >>> state = c.update(c.update(c.init(), value=1.0), value=1.0)
      >>> print(f"{float(c(state)):.3f}")
      0.100
    """

    State = OptaxPlateauState

    factor: Param = fields.value(positive=True, default=0.1)
    patience: Param = fields.count(default=10)
    rtol: Param = fields.value(nonnegative=True, default=1e-4)
    atol: Param = fields.value(nonnegative=True, default=0.0)
    cooldown: Param = fields.count(default=0)
    accumulation_size: Param = fields.count(minimum=1, default=1)
    min_scale: Param = fields.value(nonnegative=True, default=0.0)

    def check(self) -> None:
        v.require_args(self, "factor", lambda f: f < 1, "factor must be in (0, 1)")
        v.require_args(self, "rtol", lambda r: r <= 1, "rtol must be <= 1")
        r, a = v.concrete(self.rtol), v.concrete(self.atol)
        if r is not None and a is not None:
            v.require(r > 0 or a > 0, self.factory, "one of rtol and atol must be > 0")

    def base(self) -> AbstractSchedule:
        return core.constant(1.0)

    def _initial(self) -> OptaxPlateauState:
        zero, fzero = jnp.zeros((), int_dtype()), jnp.zeros((), float_dtype())
        return OptaxPlateauState(
            zero, jnp.asarray(jnp.inf, float_dtype()), zero, zero, zero, fzero + 1, zero, fzero
        )

    def _observe(self, state: OptaxPlateauState, metric: Array) -> OptaxPlateauState:
        n = state.accumulated + 1
        mean = (state.accumulated.astype(metric.dtype) * state.mean + metric) / n.astype(
            metric.dtype
        )
        full = n == self.accumulation_size
        improved = mean < (1 - self.rtol) * state.best - self.atol
        best = jnp.where(improved, mean, state.best)
        bad = jnp.where(improved, 0, state.num_bad + 1)
        in_cooldown = state.cooldown > 0
        hit = ~in_cooldown & (bad == self.patience)
        num_bad = jnp.where(in_cooldown | hit, 0, bad)
        scale = jnp.where(hit, state.scale * self.factor, state.scale)
        scale = jnp.where(in_cooldown, state.scale, jnp.maximum(scale, self.min_scale))
        cooldown = jnp.where(in_cooldown, state.cooldown - 1, jnp.where(hit, self.cooldown, 0))
        decided = state._replace(
            best=best.astype(state.best.dtype),
            num_bad=num_bad.astype(state.num_bad.dtype),
            cooldown=cooldown.astype(state.cooldown.dtype),
            num_reductions=state.num_reductions + hit.astype(state.num_reductions.dtype),
            scale=scale.astype(state.scale.dtype),
            accumulated=jnp.zeros_like(state.accumulated),
            mean=jnp.zeros_like(state.mean),
        )
        waiting = state._replace(accumulated=n.astype(state.accumulated.dtype), mean=mean)
        return jax.tree.map(lambda a, b: jnp.where(full, a, b), decided, waiting)


reduce_on_plateau = make_factory(OptaxReduceOnPlateau)


# One function per class above, the two written out, and join_schedules: lrjax's own, which
# also validates the boundaries (optax does not).
__all__ = ["constant_schedule", *factory_names(__name__), "sgdr_schedule", "join_schedules"]  # pyright: ignore[reportUnsupportedDunderAll]
