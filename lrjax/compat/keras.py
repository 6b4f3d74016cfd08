"""Keras's learning-rate schedules, exactly: Keras class names and arguments, lrjax schedules out.

Each factory has the name, argument names and defaults of a class in
``keras.optimizers.schedules`` (Keras 3.15) and maps them onto core schedules, combinators
and presets: the result equals Keras's at every optimizer step ``t = 0, 1, ...`` (the first
update uses ``s(0)``). ``docs/compat_optax_keras.md`` lists the deviations (integer steps,
negative steps clamp to 0, ``name`` ignored). Keras is not imported; ``lrjax.keras`` adapts
schedules to Keras optimizers. ``LearningRateScheduler`` (a Keras callback that calls a
Python function once per epoch) becomes a schedule by tabulating that function over a finite
horizon. Examples call the factories by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import InitVar
from typing import Any

import jax.numpy as jnp
import numpy as np

from lrjax.adaptive.base import PlateauState
from lrjax.adaptive.plateau import MODES, AbstractPlateau
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
    factory_names,
    make_factory,
)
from lrjax.core.steps import as_step_dtype, is_integer_step
from lrjax.presets.recipes import SGDR
from lrjax.schedules import primitives as core
from lrjax.schedules.piecewise import (
    PiecewiseConstant,
    check_epoch_horizon,
    epoch_count,
    epoch_function_value,
    per_epoch,
)


class AbstractKeras(AbstractSchedule):
    """Keras's ``name`` argument, an ``InitVar`` of each class where Keras has it: accepted
    for signature compatibility, checked, not stored (configs omit it)."""

    def __post_init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{self.factory}(name={name!r}): name must be a string or None")
        super().__post_init__()


class AbstractKerasDecay(AbstractKeras):
    """Keras's decays from ``initial_learning_rate`` over ``decay_steps``."""

    initial_learning_rate: Param = fields.value()
    decay_steps: Param = fields.count(minimum=1)


# --------------------------------------------------------------------------------------
class KerasExponentialDecay(AbstractKerasDecay, AbstractPreset, factory="ExponentialDecay"):
    r"""Keras's ``ExponentialDecay``: multiply by ``decay_rate`` every ``decay_steps`` steps.

    ``lrjax.exponential_decay(initial_learning_rate, decay_rate, decay_steps, 0, staircase)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: steps per factor of ``decay_rate``; an integer ``> 0``.
      decay_rate: ``> 0`` (Keras gives NaN for negative rates, 0 after step 0 for 0).
      staircase: decay in discrete steps every ``decay_steps``.
      name: ignored (Keras's name scope).

    Examples:
      >>> s = ExponentialDecay(0.1, decay_steps=3, decay_rate=0.96, staircase=True)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 3, 100]))])
      ['0.1000', '0.1000', '0.0960', '0.0260']
    """

    decay_rate: Param = fields.value(positive=True)
    staircase: bool = fields.flag(default=False)
    name: InitVar[str | None] = "ExponentialDecay"

    def build(self) -> AbstractSchedule:
        return core.ExponentialDecay(
            self.initial_learning_rate, self.decay_rate, self.decay_steps, 0, self.staircase, None
        )


ExponentialDecay = make_factory(KerasExponentialDecay)


# --------------------------------------------------------------------------------------
class KerasPiecewiseConstantDecay(AbstractKeras, AbstractPreset, factory="PiecewiseConstantDecay"):
    r"""Keras's ``PiecewiseConstantDecay``: absolute values that change **after** each boundary.

    ``lrjax.piecewise_constant([b + 1 for b in boundaries], values)``: one step later than
    optax's and torch's drop.

    Args:
      boundaries: integers ``>= 0``, non-decreasing (an equal pair skips the value between).
      values: ``len(boundaries) + 1`` finite values.
      name: ignored (Keras's name scope).

    Examples:
      >>> s = PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
      >>> print([float(x) for x in s(jnp.array([100, 101, 110, 111]))])
      [1.0, 0.5, 0.5, 0.10000000149011612]
    """

    boundaries: Param = fields.counts()
    values: Param = fields.values()
    name: InitVar[str | None] = "PiecewiseConstant"

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
        return PiecewiseConstant(jnp.asarray(self.boundaries) + 1, self.values)


PiecewiseConstantDecay = make_factory(KerasPiecewiseConstantDecay)


# --------------------------------------------------------------------------------------
class KerasPolynomialDecay(AbstractKerasDecay, factory="PolynomialDecay"):
    r"""Keras's ``PolynomialDecay``, with ``cycle=True`` too.

    ``lrjax.polynomial(I, E, p, D)`` for ``initial_learning_rate`` :math:`I`,
    ``end_learning_rate`` :math:`E` (default **1e-4**, not 0), ``power`` :math:`p` and
    ``decay_steps`` :math:`D`. With ``cycle=True`` the horizon grows with the step:

    .. math::
      \eta(t) = E + (I - E)\left(1 - t / D'\right)^{p}, \qquad
      D' = D \max(\lceil t / D \rceil, 1)

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: an integer ``> 0``.
      end_learning_rate: value at the end of the decay; finite.
      power: exponent; ``> 0``, or None (the default) for Keras's default of 1 without
        computing a power (see :func:`lrjax.cosine_decay`'s ``exponent``).
      cycle: restart with a longer horizon after each multiple of ``decay_steps``.
      name: ignored (Keras's name scope).

    Examples:
      >>> s = PolynomialDecay(1.0, 10, 0.1, cycle=True)
      >>> print([f"{float(x):.3f}" for x in s(jnp.array([0, 10, 11, 15, 20, 21]))])
      ['1.000', '0.100', '0.505', '0.325', '0.100', '0.370']
    """

    end_learning_rate: Param = fields.value(default=0.0001)
    power: Param | None = fields.value(positive=True, optional=True, default=None)
    cycle: bool = fields.flag(default=False)
    name: InitVar[str | None] = "PolynomialDecay"

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
                power = jnp.asarray(1.0 if self.power is None else self.power)
                scaled = end + (init - end) * k.astype(end.dtype) ** -power
                init = jnp.where(fits, init, scaled)
                step = jnp.where(fits, t, t - (k - 1) * d)
                k = jnp.where(fits, k, jnp.ones((), t.dtype))
            else:
                k = jnp.where(jnp.isinf(t), 1, k)  # the limit at t = inf: end_learning_rate
            horizon = k * d
        decay = core.Polynomial(init, self.end_learning_rate, self.power, horizon, 0)
        return evaluate_child(decay, step)


PolynomialDecay = make_factory(KerasPolynomialDecay)


# --------------------------------------------------------------------------------------
class KerasInverseTimeDecay(AbstractKerasDecay, AbstractPreset, factory="InverseTimeDecay"):
    r"""Keras's ``InverseTimeDecay``: the value divided by ``1 + decay_rate * t / decay_steps``.

    ``lrjax.inverse_time_decay(initial_learning_rate, decay_rate, decay_steps, staircase)``.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: an integer ``> 0``.
      decay_rate: ``>= 0`` (Keras divides by zero for negative rates).
      staircase: decay in discrete steps every ``decay_steps``.
      name: ignored (Keras's name scope).

    Examples:
      >>> s = InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 10, 20]))])
      ['1.0000', '0.6667', '0.5000']
    """

    decay_rate: Param = fields.value(nonnegative=True)
    staircase: bool = fields.flag(default=False)
    name: InitVar[str | None] = "InverseTimeDecay"

    def build(self) -> AbstractSchedule:
        return core.InverseTimeDecay(
            self.initial_learning_rate, self.decay_rate, self.decay_steps, self.staircase
        )


InverseTimeDecay = make_factory(KerasInverseTimeDecay)


# --------------------------------------------------------------------------------------
class KerasCosineDecay(AbstractKerasDecay, AbstractPreset, factory="CosineDecay"):
    r"""Keras's ``CosineDecay``, with its optional linear warmup.

    ``lrjax.cosine_decay(I, D, alpha * I)``, or with ``warmup_target`` :math:`G`
    ``lrjax.warmup(lrjax.cosine_decay(G, D, alpha * G), W, init_value=I)``, for
    ``initial_learning_rate`` :math:`I`, ``decay_steps`` :math:`D` (which **excludes** the
    warmup, unlike optax's) and ``warmup_steps`` :math:`W`.

    Args:
      initial_learning_rate: value at step 0; finite.
      decay_steps: length of the decay after the warmup; an integer ``> 0``.
      alpha: final value as a fraction of the decay's start; finite.
      name: ignored (Keras's name scope).
      warmup_target: the value reached at the end of the warmup, or None (no warmup).
      warmup_steps: an integer ``>= 0`` (ignored without ``warmup_target``, as in Keras).

    Examples:
      >>> s = CosineDecay(0.0, 30, warmup_target=1.0, warmup_steps=10)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 5, 10, 25, 40, 50]))])
      ['0.0000', '0.5000', '1.0000', '0.5000', '0.0000', '0.0000']
    """

    alpha: Param = fields.value(default=0.0)
    name: InitVar[str | None] = "CosineDecay"
    warmup_target: Param | None = fields.value(optional=True, default=None)
    warmup_steps: Param = fields.count(default=0)

    def build(self) -> AbstractSchedule:
        # alpha is relative to the decay's start: the warmup target, or the initial value.
        start = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        start = jnp.asarray(start)
        decay = core.CosineDecay(start, self.decay_steps, self.alpha * start, 1.0)
        if self.warmup_target is None:
            return decay
        return Warmup(decay, self.warmup_steps, self.initial_learning_rate, "linear")


CosineDecay = make_factory(KerasCosineDecay)


# --------------------------------------------------------------------------------------
class KerasCosineDecayRestarts(AbstractKeras, AbstractPreset, factory="CosineDecayRestarts"):
    r"""Keras's ``CosineDecayRestarts`` (SGDR): cosine cycles, each ``t_mul`` times longer.

    ``alpha * I + lrjax.sgdr((1 - alpha) * I, D, period_mul=t_mul, value_mul=m_mul)`` for
    ``initial_learning_rate`` :math:`I` and ``first_decay_steps`` :math:`D`.

    Args:
      initial_learning_rate: value at step 0; finite.
      first_decay_steps: length of the first cycle; an integer ``> 0``.
      t_mul: growth factor of each cycle's length; ``>= 1`` (Keras: NaN below 1).
      m_mul: factor applied to each cycle's cosine part; ``> 0``, or None (the default)
        for Keras's 1 without computing a power (see :func:`lrjax.cycle`).
      alpha: floor as a fraction of ``initial_learning_rate``; finite.
      name: ignored (Keras's name scope).

    Examples:
      >>> s = CosineDecayRestarts(1.0, 4, t_mul=2.0, m_mul=0.5)
      >>> print([f"{float(x):.4f}" for x in s(jnp.array([0, 2, 3, 4, 8, 12]))])
      ['1.0000', '0.5000', '0.1464', '0.5000', '0.2500', '0.2500']
    """

    initial_learning_rate: Param = fields.value()
    first_decay_steps: Param = fields.count(minimum=1)
    t_mul: Param = fields.value(at_least=1.0, default=2.0)
    m_mul: Param | None = fields.value(positive=True, optional=True, default=None)
    alpha: Param = fields.value(default=0.0)
    name: InitVar[str | None] = "SGDRDecay"

    def build(self) -> AbstractSchedule:
        floor = self.alpha * jnp.asarray(self.initial_learning_rate)
        # m_mul scales only the cosine part above the floor alpha * I, as in Keras.
        peak = self.initial_learning_rate - floor
        restarts = SGDR(peak, self.first_decay_steps, self.t_mul, self.m_mul)
        return Add(core.Constant(floor), restarts)


CosineDecayRestarts = make_factory(KerasCosineDecayRestarts)


# --------------------------------------------------------------------------------------
class KerasLearningRateScheduler(AbstractPreset, factory="LearningRateScheduler"):
    """Keras's ``LearningRateScheduler`` callback as a per-epoch table (built by
    :func:`LearningRateScheduler`)."""

    values: Param = fields.values(nonnegative=True)
    steps_per_epoch: Param = fields.count(minimum=1, default=1)

    def check(self) -> None:
        check_epoch_horizon(self, "values")

    def build(self) -> AbstractSchedule:
        return per_epoch(self.values, self.steps_per_epoch)


def _keras_epoch_lr(schedule: Callable[..., Any], epoch: int, lr: float) -> tuple[Any, str]:
    """Keras's call: ``schedule(epoch, lr)``, and ``schedule(epoch)`` if that raises
    ``TypeError`` (its fallback for one-argument functions, as Keras 3.15 writes it)."""
    try:
        return schedule(epoch, lr), f"schedule({epoch}, {lr!r})"
    except TypeError:
        return schedule(epoch), f"schedule({epoch})"


def LearningRateScheduler(  # noqa: N802 (Keras's class name)
    schedule: Callable[..., Any] | None = None,
    initial_learning_rate: ArrayLike | None = None,
    num_epochs: int | None = None,
    steps_per_epoch: ArrayLike = 1,
    *,
    values: Sequence[float] | ArrayLike | None = None,
) -> KerasLearningRateScheduler:
    r"""Keras's ``LearningRateScheduler`` callback, tabulated: a schedule, not a callback.

    Keras calls ``schedule(epoch, lr)`` at the beginning of each epoch with the optimizer's
    current learning rate (a float32 variable, read as a Python float) and assigns the
    result to it; a function that takes one argument is called as ``schedule(epoch)``
    (Keras retries so on any ``TypeError``). This runs the same recursion in Python at
    construction, for the epochs ``0 .. num_epochs - 1``, rounding the lr to float32
    between epochs as Keras's variable does:

    .. math::
      \eta_{-1} = \mathrm{f32}(I), \qquad
      \eta_e = \mathrm{f32}(\mathtt{schedule}(e, \eta_{e-1})), \qquad
      \eta(t) = \eta_{\min(\lfloor t / S \rfloor,\, E - 1)}

    for ``initial_learning_rate`` :math:`I` (the optimizer's), ``num_epochs`` :math:`E`
    and ``steps_per_epoch`` :math:`S`. The schedule stores the values, **not the function**
    (``values=[...]`` in ``repr``/``to_config``, accepted in place of the other arguments);
    after the horizon the last value holds. Drive it like any lrjax schedule, e.g. through
    ``lrjax.keras.LearningRateSchedule``; Keras's ``verbose`` has no counterpart.

    Args:
      schedule: ``(epoch, lr) -> lr`` or ``epoch -> lr``; each result must be a finite real
        number ``>= 0`` (Keras asks for a float; ints and 0-d arrays are accepted here).
      initial_learning_rate: the optimizer's learning rate before the first epoch; ``>= 0``.
      num_epochs: the horizon :math:`E`; a Python int ``>= 1``.
      steps_per_epoch: optimizer updates per epoch; an integer ``>= 1``.
      values: the table itself, instead of the other arguments.

    Examples:
      >>> def halve_after_2(epoch, lr):
      ...     return lr if epoch < 2 else lr * 0.5
      >>> s = LearningRateScheduler(halve_after_2, 0.1, num_epochs=4, steps_per_epoch=2)
      >>> print([round(float(x), 4) for x in s(jnp.arange(10))])
      [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025]
    """
    f = "LearningRateScheduler"
    if values is not None:
        if schedule is not None or initial_learning_rate is not None or num_epochs is not None:
            raise TypeError(
                f"{f}: give schedule, initial_learning_rate and num_epochs, or values (the "
                "table they computed, as to_config stores it), not both"
            )
        return KerasLearningRateScheduler(values, steps_per_epoch)
    if schedule is None or initial_learning_rate is None or num_epochs is None:
        raise TypeError(f"{f}: give schedule, initial_learning_rate and num_epochs (or values)")
    if not callable(schedule):
        raise TypeError(f"{f}(schedule={schedule!r}): schedule must be a function")
    initial = v.as_value(f, "initial_learning_rate", initial_learning_rate, nonnegative=True)
    initial = v.concrete(initial)
    if initial is None:
        raise TypeError(
            f"{f}(initial_learning_rate=...): must be a concrete number (the schedule "
            "function is evaluated in Python once per epoch)"
        )
    n = epoch_count(f, num_epochs)
    lr = np.float32(initial)  # Keras's learning-rate variable is float32
    table = []
    for epoch in range(n):
        result, call = _keras_epoch_lr(schedule, epoch, float(lr))
        with np.errstate(over="ignore"):  # an overflow is reported below, naming the call
            lr = np.float32(epoch_function_value(f, "schedule", result, call))
        if not np.isfinite(lr):
            raise ValueError(
                f"{f}(schedule=...): {call} returned {result!r}, which overflows Keras's "
                "float32 learning rate"
            )
        table.append(lr)
    return KerasLearningRateScheduler(np.asarray(table, np.float32), steps_per_epoch)


# --------------------------------------------------------------------------------------
class KerasReduceLROnPlateau(AbstractPlateau, factory="ReduceLROnPlateau"):
    r"""Keras's ``ReduceLROnPlateau`` callback: one :meth:`update` per epoch end.

    Keras's rules: the first metric is always the best (even NaN, after which nothing
    improves); an improvement is ``x + min_delta < best`` ("min") or ``x - min_delta >
    best`` ("max"); a cooldown epoch resets the wait first; outside cooldown the wait grows
    and at ``wait >= patience`` the lr becomes ``max(lr * factor, min_lr)`` if it is above
    ``min_lr`` (then cooldown and wait restart).

    Examples:
      >>> c = ReduceLROnPlateau(0.1, patience=1)
      >>> state = c.update(c.update(c.init(), value=1.0), value=1.0)
      >>> print(f"{float(c(state)):.3f}")
      0.010
    """

    learning_rate: Param = fields.value(nonnegative=True)
    factor: Param = fields.value(nonnegative=True, default=0.1)
    patience: Param = fields.count(default=10)
    mode: str = fields.choice(MODES, default="min")
    min_delta: Param = fields.value(default=1e-4)
    cooldown: Param = fields.count(default=0)
    min_lr: Param = fields.value(nonnegative=True, default=0.0)

    def check(self) -> None:
        v.require_args(self, "factor", lambda f: f < 1, "factor must be < 1 (Keras's rule)")

    def base(self) -> AbstractSchedule:
        return core.constant(1.0)

    def _initial_scale(self) -> Any:
        return self.learning_rate

    def _initial(self) -> PlateauState:
        # Keras's best starts as None: the first metric always becomes the best. NaN here
        # marks "no metric yet" (num_bad == -1 tells it from a NaN metric).
        state = super()._initial()
        return state._replace(num_bad=state.num_bad - 1)

    def _observe(self, state: PlateauState, metric: Array) -> PlateauState:
        first = state.num_bad < 0
        wait = jnp.maximum(state.num_bad, 0)
        d = jnp.abs(self.min_delta)
        if self.mode == "min":
            improved = metric + d < state.best
        else:
            improved = metric - d > state.best
        improved = improved | first
        in_cooldown = state.cooldown > 0
        cooldown = jnp.where(in_cooldown, state.cooldown - 1, state.cooldown)
        wait = jnp.where(in_cooldown, 0, wait)
        still_cooling = cooldown > 0
        wait = jnp.where(improved, 0, jnp.where(still_cooling, wait, wait + 1))
        old = state.scale
        can_reduce = old > jnp.asarray(self.min_lr, jnp.float32)
        reduce = ~improved & ~still_cooling & (wait >= self.patience) & can_reduce
        lower = jnp.maximum(old * self.factor, self.min_lr).astype(old.dtype)
        return state._replace(
            best=jnp.where(improved, metric, state.best),
            num_bad=jnp.where(reduce, 0, wait).astype(state.num_bad.dtype),
            cooldown=jnp.where(reduce, self.cooldown, cooldown).astype(state.cooldown.dtype),
            num_reductions=state.num_reductions + reduce.astype(state.num_reductions.dtype),
            scale=jnp.where(reduce, lower, old),
        )


ReduceLROnPlateau = make_factory(KerasReduceLROnPlateau)
__all__ = factory_names(__name__)  # pyright: ignore[reportUnsupportedDunderAll]
