"""Hugging Face ``transformers`` schedules as lrjax schedules (transformers 5.23).

Every function mirrors a ``transformers.optimization`` function with the base learning rate
in place of the optimizer and returns **absolute** values (HF's ``LambdaLR`` multiplies the
optimizer's lr by a lambda; here the product is the schedule). The value at step ``t`` is
the learning rate of the ``t``-th update as the ``Trainer`` steps it
(``optimizer.step(); lr_scheduler.step()``): ``learning_rate * lr_lambda(t)``. Nothing
here imports transformers or torch.

Deliberate differences from Hugging Face:

1. ``cosine``, ``cosine_with_min_lr`` and ``cosine_warmup_with_min_lr`` climb back up after
   their end in HF (the progress is not clamped). Here they hold their final value unless
   ``hold_after_end=False``, which reproduces HF's curve at every step.
2. Where HF divides by zero (``polynomial`` with ``num_training_steps ==
   num_warmup_steps`` raises ``ZeroDivisionError`` at that step), the schedule jumps to its
   end value (``lr_end``) instead; it never raises at evaluation. ``inverse_sqrt`` with
   ``timescale=0`` and negative phase lengths in ``warmup_stable_decay`` (``num_training_steps
   < num_warmup_steps + num_decay_steps``) are rejected at construction.
3. Values HF reads from the optimizer are the ``learning_rate`` argument: ``polynomial``'s
   ``lr_init`` and ``cosine_with_min_lr``'s ``min_lr / lr`` both use it.
4. ``last_epoch`` (resuming) is unnecessary: a schedule is a pure function of the step.
   ``reduce_lr_on_plateau`` and ``greedy`` depend on metrics, not on the step, and are not
   provided.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp

from lrjax.combinators.join import join_schedules
from lrjax.combinators.warmup import warmup
from lrjax.core import checks as v
from lrjax.core.kernel_legacy import cosine_weights, progress, ramp
from lrjax.core.schedule import AbstractPreset, AbstractSchedule, Array, ArrayLike
from lrjax.schedules.primitives import constant, linear, polynomial, rsqrt_decay

__all__ = [
    "get_scheduler",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_wsd_schedule",
]

_AFTER = ("hold", "continue", "floor")
_DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


def _hf_warmup(learning_rate: Any, warm: Any, after: AbstractSchedule) -> AbstractSchedule:
    """HF's warmup ``lr * t / max(1, W)`` for ``t < W``, then ``after`` at local steps.

    Not ``warmup(after, W)``: HF ramps toward ``learning_rate`` even where the decay starts
    lower (``num_training_steps <= num_warmup_steps``).
    """
    warm = jnp.asarray(warm)
    zero = 0.0 * jnp.asarray(learning_rate)
    return join_schedules([linear(zero, learning_rate, warm), after], warm[None])


def _decay_length(total: Any, warm: Any) -> Array:
    """HF's ``max(1, num_training_steps - num_warmup_steps)``."""
    return jnp.maximum(jnp.asarray(total) - jnp.asarray(warm), 1)


# --------------------------------------------------------------------------------------
class HFDecayPhase(AbstractSchedule):
    """One HF decay phase from ``peak_value`` to ``floor_value`` (built by ``decay_phase``).

    The step seen is ``e = t + offset`` out of ``decay_steps``. "cosine" is HF's wave
    ``(1 + cos(2 pi num_cycles e / L)) / 2``, evaluated as ``sin^2(pi (c - num_cycles (L - e)
    / L))`` (``c`` the fractional part of ``num_cycles - 1/2``) so the tail of the default
    half wave keeps full relative precision; "linear" and "1-sqrt" are lrjax ramp shapes.
    After the phase: "hold" its last value, "continue" the formula (HF's cosine), "floor"
    jump to ``floor_value`` (HF's WSD).
    """

    peak_value: Array
    floor_value: Array
    num_cycles: Array
    decay_steps: Array
    offset: int = dataclasses.field(metadata=dict(static=True))
    shape: str = dataclasses.field(metadata=dict(static=True))
    after: str = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "decay_phase"

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.peak_value).dtype
        e = t + jnp.asarray(self.offset, t.dtype)
        steps = jnp.asarray(self.decay_steps).astype(t.dtype)
        length = jnp.maximum(steps, 1)
        p = progress(e, jnp.zeros((), t.dtype), length, dtype)
        peak, floor = jnp.asarray(self.peak_value), jnp.asarray(self.floor_value)
        if self.shape != "cosine":
            value = ramp(self.shape, peak, floor, p)
        else:
            nc = jnp.asarray(self.num_cycles).astype(dtype)
            c = (nc - 0.5) - jnp.round(nc - 0.5)
            # cos(pi nc e / L)**2 == sin(pi (c - nc (L - e) / L))**2, with L - e an exact
            # integer (negative past the end when the formula continues).
            if self.after == "continue":
                left = (length - e).astype(dtype) / length.astype(dtype)
                left = jnp.where(e <= length, p.left, left)
            else:
                left = p.left
            wave = jnp.sin(jnp.pi * (c - nc * left)) ** 2
            # The default half wave (num_cycles = 0.5): reduce the phase exactly in integers,
            # cos(pi (e - L) / (2 L))**2 with e - L taken modulo 2 L.
            period = 2 * length
            e_wave = e if self.after == "continue" else jnp.minimum(e, length)
            m = jnp.where(e_wave == length, 0, jnp.mod(e_wave, period) - length)  # in [-L, L)
            half = jnp.sin(jnp.pi * m.astype(dtype) / period.astype(dtype)) ** 2
            wave = jnp.where(nc == 0.5, half, wave)
            wave = jnp.where(e == 0, jnp.ones((), dtype), wave)
            value = floor + (peak - floor) * wave
        if self.after == "floor":
            value = jnp.where(e >= steps, floor, value)
        return value


def decay_phase(
    peak_value: ArrayLike,
    floor_value: ArrayLike,
    num_cycles: ArrayLike,
    decay_steps: ArrayLike,
    offset: int = 0,
    shape: str = "cosine",
    after: str = "hold",
) -> HFDecayPhase:
    r"""A Hugging Face decay phase (the building block of this module's schedules).

    .. math::
      \eta(t) = F + (P - F)\, w\!\left(\tfrac{t + o}{L}\right), \qquad
      w_{\text{cosine}}(p) = \tfrac{1}{2}\left(1 + \cos(2\pi c\, p)\right)

    with :math:`w` linear :math:`1 - p` or 1-sqrt :math:`1 - \sqrt{p}` otherwise, where
    :math:`P` is ``peak_value``, :math:`F` is ``floor_value``, :math:`c` is ``num_cycles``,
    :math:`L` is ``decay_steps`` (at least 1) and :math:`o` is ``offset``.

    Args:
      peak_value: value at :math:`p = 0`; ``>= 0``.
      floor_value: value the wave decays to; ``>= 0``.
      num_cycles: number of cosine waves over the phase (0.5 is a half cosine); ``>= 0``.
      decay_steps: :math:`L`; an integer ``>= 0`` (0 is treated as 1, like HF's ``max(1, .)``).
      offset: :math:`o`, 0 or 1 (``cosine_warmup_with_min_lr`` counts from 1; static).
      shape: "cosine", "linear" or "1-sqrt" (static).
      after: past the phase, "hold" the last value, "continue" the formula or jump to the
        "floor" (static).

    Returns:
      An ``HFDecayPhase`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.decay_phase(1.0, 0.0, 0.5, 10, after="continue")
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 5, 10, 15]))])
      [1.0, 0.5, 0.0, 0.5]
    """
    f = "decay_phase"
    if offset not in (0, 1) or isinstance(offset, bool):
        raise ValueError(f"{f}(offset={offset!r}): offset must be 0 or 1")
    return HFDecayPhase(
        v.as_value(f, "peak_value", peak_value, nonnegative=True),
        v.as_value(f, "floor_value", floor_value, nonnegative=True),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
        v.as_count(f, "decay_steps", decay_steps),
        offset,
        v.as_choice(f, "shape", shape, _DECAY_SHAPES),
        v.as_choice(f, "after", after, _AFTER),
    )


# --------------------------------------------------------------------------------------
class HFHardRestarts(AbstractSchedule):
    """HF's cosine with hard restarts after its warmup (built by ``hard_restarts``)."""

    peak_value: Array
    num_cycles: Array
    decay_steps: Array
    factory: ClassVar[str] = "hard_restarts"

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.peak_value).dtype
        length = jnp.maximum(jnp.asarray(self.decay_steps).astype(t.dtype), 1)
        lf = length.astype(dtype)
        tc = jnp.minimum(t, length).astype(dtype)
        # (num_cycles * progress) % 1 == ((num_cycles * t) mod L) / L: exact for integer
        # num_cycles while num_cycles * t < 2**24.
        r = jnp.mod(jnp.asarray(self.num_cycles).astype(dtype) * tc, lf)
        p = progress(r, jnp.zeros((), dtype), lf, dtype)
        value = self.peak_value * cosine_weights(p).start
        return jnp.where(t >= length, jnp.zeros((), dtype), value)


def hard_restarts(
    peak_value: ArrayLike, num_cycles: ArrayLike, decay_steps: ArrayLike
) -> HFHardRestarts:
    r"""HF's hard-restart cosine (without warmup): ``num_cycles`` half cosines, then 0.

    .. math::
      \eta(t) = P\,\tfrac{1}{2}\left(1 + \cos\left(\pi\,((c\,t / L) \bmod 1)\right)\right)
      \ \text{for}\ t < L, \qquad 0 \ \text{after}

    Args:
      peak_value: :math:`P`; ``>= 0``.
      num_cycles: :math:`c`; ``>= 0``.
      decay_steps: :math:`L`; an integer ``>= 0`` (0 is treated as 1).

    Returns:
      An ``HFHardRestarts`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.hard_restarts(1.0, 2, 10)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 4, 5, 9, 10]))])
      [1.0, 0.095, 1.0, 0.095, 0.0]
    """
    f = "hard_restarts"
    return HFHardRestarts(
        v.as_value(f, "peak_value", peak_value, nonnegative=True),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
        v.as_count(f, "decay_steps", decay_steps),
    )


# --------------------------------------------------------------------------------------
def _lr(f: str, learning_rate: Any) -> Any:
    return v.as_value(f, "learning_rate", learning_rate, nonnegative=True)


class HFConstant(AbstractPreset):
    """HF ``constant`` (built by :func:`get_constant_schedule`)."""

    learning_rate: Array
    factory: ClassVar[str] = "get_constant_schedule"

    def build(self) -> AbstractSchedule:
        return constant(self.learning_rate)


def get_constant_schedule(learning_rate: ArrayLike) -> HFConstant:
    r"""HF ``get_constant_schedule``: the learning rate, always.

    .. math::
      \eta(t) = \eta_0

    Args:
      learning_rate: :math:`\eta_0`, the optimizer's lr; ``>= 0``.

    Returns:
      An ``HFConstant`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> print(f"{float(lrh.get_constant_schedule(3e-4)(100)):.1e}")
      3.0e-04
    """
    return HFConstant(_lr("get_constant_schedule", learning_rate))


class HFConstantWithWarmup(AbstractPreset):
    """HF ``constant_with_warmup`` (built by :func:`get_constant_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    factory: ClassVar[str] = "get_constant_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        return warmup(constant(self.learning_rate), self.num_warmup_steps)


def get_constant_schedule_with_warmup(
    learning_rate: ArrayLike, num_warmup_steps: ArrayLike
) -> HFConstantWithWarmup:
    r"""HF ``get_constant_schedule_with_warmup``: linear warmup from 0, then constant.

    .. math::
      \eta(t) = \eta_0 \min(1, t / W)

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.

    Returns:
      An ``HFConstantWithWarmup`` schedule (``warmup(constant(lr), W)``).

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_constant_schedule_with_warmup(1.0, 4)
      >>> print([float(x) for x in s(jnp.array([0, 1, 4, 9]))])
      [0.0, 0.25, 1.0, 1.0]
    """
    f = "get_constant_schedule_with_warmup"
    return HFConstantWithWarmup(
        _lr(f, learning_rate), v.as_count(f, "num_warmup_steps", num_warmup_steps)
    )


class HFLinearWithWarmup(AbstractPreset):
    """HF ``linear`` (built by :func:`get_linear_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    factory: ClassVar[str] = "get_linear_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        decay = jnp.maximum(jnp.asarray(self.num_training_steps) - self.num_warmup_steps, 0)
        zero = 0.0 * jnp.asarray(self.learning_rate)
        return _hf_warmup(
            self.learning_rate, self.num_warmup_steps, linear(self.learning_rate, zero, decay)
        )


def get_linear_schedule_with_warmup(
    learning_rate: ArrayLike, num_warmup_steps: ArrayLike, num_training_steps: ArrayLike
) -> HFLinearWithWarmup:
    r"""HF ``get_linear_schedule_with_warmup``: linear warmup from 0, linear decay to 0.

    .. math::
      \eta(t) = \eta_0 \begin{cases} t / W & t < W \\
      \max\left(0, \frac{T - t}{\max(1, T - W)}\right) & t \ge W \end{cases}

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.

    Returns:
      An ``HFLinearWithWarmup`` schedule (a linear warmup joined to ``linear(lr, 0, T - W)``).

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_linear_schedule_with_warmup(1.0, 2, 6)
      >>> print([float(x) for x in s(jnp.arange(8))])
      [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    f = "get_linear_schedule_with_warmup"
    return HFLinearWithWarmup(
        _lr(f, learning_rate),
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
    )


def _after(f: str, hold_after_end: Any) -> str:
    return "hold" if v.as_flag(f, "hold_after_end", hold_after_end) else "continue"


class HFCosineWithWarmup(AbstractPreset):
    """HF ``cosine`` (built by :func:`get_cosine_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    num_cycles: Array
    hold_after_end: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "get_cosine_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        length = _decay_length(self.num_training_steps, self.num_warmup_steps)
        zero = 0.0 * jnp.asarray(self.learning_rate)
        after = "hold" if self.hold_after_end else "continue"
        wave = decay_phase(self.learning_rate, zero, self.num_cycles, length, after=after)
        return warmup(wave, self.num_warmup_steps)


def get_cosine_schedule_with_warmup(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    hold_after_end: bool = True,
) -> HFCosineWithWarmup:
    r"""HF ``get_cosine_schedule_with_warmup``: linear warmup from 0, then a cosine wave.

    .. math::
      \eta(t) = \eta_0 \begin{cases} t / W & t < W \\
      \tfrac{1}{2}\left(1 + \cos(2\pi c\, p)\right) & t \ge W \end{cases}, \qquad
      p = \frac{t - W}{\max(1, T - W)}

    HF does not clamp :math:`p`, so its lr climbs back up after :math:`T`; this schedule
    holds the value at :math:`T` unless ``hold_after_end=False`` (HF's curve everywhere).

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: :math:`c` (0.5: a half cosine down to 0); ``>= 0``.
      hold_after_end: hold after :math:`T` (static).

    Returns:
      An ``HFCosineWithWarmup`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_cosine_schedule_with_warmup(1.0, 2, 6)
      >>> print([round(float(x), 3) for x in s(jnp.arange(9))])
      [0.0, 0.5, 1.0, 0.854, 0.5, 0.146, 0.0, 0.0, 0.0]
      >>> hf = lrh.get_cosine_schedule_with_warmup(1.0, 2, 6, hold_after_end=False)
      >>> print([round(float(x), 3) for x in hf(jnp.arange(6, 9))])
      [0.0, 0.146, 0.5]
    """
    f = "get_cosine_schedule_with_warmup"
    return HFCosineWithWarmup(
        _lr(f, learning_rate),
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
        v.as_flag(f, "hold_after_end", hold_after_end),
    )


class HFCosineWithHardRestarts(AbstractPreset):
    """HF ``cosine_with_restarts`` (built by
    :func:`get_cosine_with_hard_restarts_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    num_cycles: Array
    factory: ClassVar[str] = "get_cosine_with_hard_restarts_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        length = _decay_length(self.num_training_steps, self.num_warmup_steps)
        wave = hard_restarts(self.learning_rate, self.num_cycles, length)
        return warmup(wave, self.num_warmup_steps)


def get_cosine_with_hard_restarts_schedule_with_warmup(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 1,
) -> HFCosineWithHardRestarts:
    r"""HF ``get_cosine_with_hard_restarts_schedule_with_warmup``.

    .. math::
      \eta(t) = \eta_0 \begin{cases} t / W & t < W \\
      \tfrac{1}{2}\left(1 + \cos(\pi\,((c\,p) \bmod 1))\right) & p < 1 \\ 0 & p \ge 1
      \end{cases}, \qquad p = \frac{t - W}{\max(1, T - W)}

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: :math:`c`, the number of hard restarts; ``>= 0`` (exact for integers).

    Returns:
      An ``HFCosineWithHardRestarts`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 2, 10, 2)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 2, 5, 6, 9, 10]))])
      [0.0, 1.0, 0.146, 1.0, 0.146, 0.0]
    """
    f = "get_cosine_with_hard_restarts_schedule_with_warmup"
    return HFCosineWithHardRestarts(
        _lr(f, learning_rate),
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
    )


class HFPolynomialDecayWithWarmup(AbstractPreset):
    """HF ``polynomial`` (built by :func:`get_polynomial_decay_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    lr_end: Array
    power: Array
    factory: ClassVar[str] = "get_polynomial_decay_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        decay = jnp.maximum(jnp.asarray(self.num_training_steps) - self.num_warmup_steps, 0)
        poly = polynomial(self.learning_rate, self.lr_end, self.power, decay)
        return _hf_warmup(self.learning_rate, self.num_warmup_steps, poly)


def get_polynomial_decay_schedule_with_warmup(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    lr_end: ArrayLike = 1e-7,
    power: ArrayLike = 1.0,
) -> HFPolynomialDecayWithWarmup:
    r"""HF ``get_polynomial_decay_schedule_with_warmup`` (BERT/fairseq polynomial decay).

    .. math::
      \eta(t) = \begin{cases} \eta_0\, t / W & t < W \\
      E + (\eta_0 - E)\left(1 - \frac{t - W}{T - W}\right)^{k} & W \le t \le T \\
      E & t > T \end{cases}

    HF takes :math:`\eta_0` from ``optimizer.defaults["lr"]``; here it is
    ``learning_rate``. HF raises ``ZeroDivisionError`` at :math:`t = W` when :math:`T = W`;
    this schedule is :math:`E` from :math:`W` on.

    Args:
      learning_rate: :math:`\eta_0`; ``> lr_end`` (HF's check).
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      lr_end: :math:`E`; ``>= 0``.
      power: :math:`k`; ``> 0``.

    Returns:
      An ``HFPolynomialDecayWithWarmup`` schedule (a linear warmup joined to a ``polynomial``).

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_polynomial_decay_schedule_with_warmup(1.0, 2, 12, lr_end=0.0, power=2.0)
      >>> print([round(float(x), 3) for x in s(jnp.array([1, 2, 7, 12, 20]))])
      [0.5, 1.0, 0.25, 0.0, 0.0]
    """
    f = "get_polynomial_decay_schedule_with_warmup"
    lr = _lr(f, learning_rate)
    end = v.as_value(f, "lr_end", lr_end, nonnegative=True)
    a, b = v.concrete(lr), v.concrete(end)
    if a is not None and b is not None and not a > b:
        raise ValueError(f"{f}(lr_end={b!r}): lr_end must be smaller than learning_rate={a!r}")
    return HFPolynomialDecayWithWarmup(
        lr,
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
        end,
        v.as_value(f, "power", power, positive=True),
    )


class HFInverseSqrt(AbstractPreset):
    """HF ``inverse_sqrt`` (built by :func:`get_inverse_sqrt_schedule`)."""

    learning_rate: Array
    num_warmup_steps: Array
    timescale: Array | None
    factory: ClassVar[str] = "get_inverse_sqrt_schedule"

    def build(self) -> AbstractSchedule:
        dtype = jnp.asarray(self.learning_rate).dtype
        warm = jnp.asarray(self.num_warmup_steps)
        if self.timescale is None:
            scale = jnp.where(warm > 0, warm, 10_000).astype(dtype)
        else:
            scale = jnp.asarray(self.timescale)
        return warmup(rsqrt_decay(self.learning_rate, scale), warm)


def get_inverse_sqrt_schedule(
    learning_rate: ArrayLike, num_warmup_steps: ArrayLike, timescale: ArrayLike | None = None
) -> HFInverseSqrt:
    r"""HF ``get_inverse_sqrt_schedule``: linear warmup from 0, then inverse square root.

    .. math::
      \eta(t) = \eta_0 \begin{cases} t / W & t < W \\
      1 / \sqrt{(t - W + \tau) / \tau} & t \ge W \end{cases}

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      timescale: :math:`\tau`; ``> 0``. Default ``W``, or 10 000 when ``W == 0`` (as HF).

    Returns:
      An ``HFInverseSqrt`` schedule (``warmup(rsqrt_decay(lr, tau), W)``).

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_inverse_sqrt_schedule(1.0, 10)
      >>> print([round(float(x), 4) for x in s(jnp.array([5, 10, 40]))])
      [0.5, 1.0, 0.5]
    """
    f = "get_inverse_sqrt_schedule"
    scale = None if timescale is None else v.as_value(f, "timescale", timescale, positive=True)
    return HFInverseSqrt(
        _lr(f, learning_rate), v.as_count(f, "num_warmup_steps", num_warmup_steps), scale
    )


def _floor(f: str, learning_rate: Any, min_lr: Any, min_lr_rate: Any) -> tuple[Any, Any]:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(f"{f}: only one of min_lr or min_lr_rate should be set")
    if min_lr is None and min_lr_rate is None:
        raise ValueError(f"{f}: one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        return v.as_value(f, "min_lr", min_lr, nonnegative=True), None
    return None, v.as_value(f, "min_lr_rate", min_lr_rate, nonnegative=True)


def _floor_value(learning_rate: Any, min_lr: Any, min_lr_rate: Any) -> Array:
    if min_lr is not None:
        return jnp.asarray(min_lr)
    return jnp.asarray(learning_rate) * min_lr_rate


class HFCosineWithMinLR(AbstractPreset):
    """HF ``cosine_with_min_lr`` (built by :func:`get_cosine_with_min_lr_schedule_with_warmup`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    num_cycles: Array
    min_lr: Array | None
    min_lr_rate: Array | None
    hold_after_end: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "get_cosine_with_min_lr_schedule_with_warmup"

    def build(self) -> AbstractSchedule:
        length = _decay_length(self.num_training_steps, self.num_warmup_steps)
        floor = _floor_value(self.learning_rate, self.min_lr, self.min_lr_rate)
        after = "hold" if self.hold_after_end else "continue"
        wave = decay_phase(self.learning_rate, floor, self.num_cycles, length, after=after)
        return warmup(wave, self.num_warmup_steps)


def get_cosine_with_min_lr_schedule_with_warmup(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    min_lr: ArrayLike | None = None,
    min_lr_rate: ArrayLike | None = None,
    hold_after_end: bool = True,
) -> HFCosineWithMinLR:
    r"""HF ``get_cosine_with_min_lr_schedule_with_warmup``: cosine down to a floor.

    .. math::
      \eta(t) = \begin{cases} \eta_0\, t / W & t < W \\
      m + (\eta_0 - m)\,\tfrac{1}{2}\left(1 + \cos(2\pi c\, p)\right) & t \ge W
      \end{cases}, \qquad p = \frac{t - W}{\max(1, T - W)}

    with :math:`m` = ``min_lr`` or ``min_lr_rate * learning_rate`` (exactly one is given).
    Like HF's ``cosine``, HF climbs again after :math:`T`; this holds unless
    ``hold_after_end=False``.

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: :math:`c`; ``>= 0``.
      min_lr: the absolute floor; ``>= 0``.
      min_lr_rate: the floor as a fraction of ``learning_rate``; ``>= 0``.
      hold_after_end: hold after :math:`T` (static).

    Returns:
      An ``HFCosineWithMinLR`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_cosine_with_min_lr_schedule_with_warmup(1.0, 10, 40, min_lr_rate=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.array([5, 10, 25, 40, 50]))])
      [0.5, 1.0, 0.55, 0.1, 0.1]
    """
    f = "get_cosine_with_min_lr_schedule_with_warmup"
    low, rate = _floor(f, learning_rate, min_lr, min_lr_rate)
    return HFCosineWithMinLR(
        _lr(f, learning_rate),
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
        low,
        rate,
        v.as_flag(f, "hold_after_end", hold_after_end),
    )


class HFCosineWarmupWithMinLR(AbstractPreset):
    """HF ``cosine_warmup_with_min_lr`` (built by
    :func:`get_cosine_with_min_lr_schedule_with_warmup_lr_rate`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_training_steps: Array
    num_cycles: Array
    min_lr: Array | None
    min_lr_rate: Array | None
    warmup_lr_rate: Array | None
    hold_after_end: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"

    def build(self) -> AbstractSchedule:
        lr = jnp.asarray(self.learning_rate)
        warm = jnp.asarray(self.num_warmup_steps)
        length = _decay_length(self.num_training_steps, warm)
        floor = _floor_value(lr, self.min_lr, self.min_lr_rate)
        after = "hold" if self.hold_after_end else "continue"
        wave = decay_phase(lr, floor, self.num_cycles, length, offset=1, after=after)
        if self.warmup_lr_rate is None:
            # (t + 1) / max(1, W): a line through lr / W at 0 and lr (W + 1) / W at W.
            per_step = lr / jnp.maximum(warm, 1).astype(lr.dtype)
            ramp_up = linear(per_step, lr + per_step, warm)
        else:
            # w + (1 - w) t / max(1, W - 1)
            ramp_up = linear(lr * self.warmup_lr_rate, lr, jnp.maximum(warm - 1, 1))
        return join_schedules([ramp_up, wave], warm[None])


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_training_steps: ArrayLike,
    num_cycles: ArrayLike = 0.5,
    min_lr: ArrayLike | None = None,
    min_lr_rate: ArrayLike | None = None,
    warmup_lr_rate: ArrayLike | None = None,
    hold_after_end: bool = True,
) -> HFCosineWarmupWithMinLR:
    r"""HF ``cosine_warmup_with_min_lr``: warmup that starts above 0, cosine to a floor.

    .. math::
      \eta(t) = \begin{cases} \eta_0\,(t + 1) / \max(1, W) & t < W \\
      m + (\eta_0 - m)\,\tfrac{1}{2}\left(1 + \cos(2\pi c\, p)\right) & t \ge W
      \end{cases}, \qquad p = \frac{t - W + 1}{\max(1, T - W)}

    (with ``warmup_lr_rate`` :math:`w` the warmup is
    :math:`\eta_0 (w + (1 - w)\, t / \max(1, W - 1))`). The peak is reached at
    :math:`W - 1` and the floor at :math:`T - 1`. HF climbs again after that; this holds
    unless ``hold_after_end=False``.

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: :math:`c`; ``>= 0``.
      min_lr: the absolute floor :math:`m`; ``>= 0``.
      min_lr_rate: the floor as a fraction of ``learning_rate``; ``>= 0``.
      warmup_lr_rate: :math:`w`, the starting fraction; ``>= 0``, or None.
      hold_after_end: hold after :math:`T - 1` (static).

    Returns:
      An ``HFCosineWarmupWithMinLR`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
      ...     1.0, 2, 6, min_lr_rate=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [0.5, 1.0, 0.868, 0.55, 0.232, 0.1, 0.1]
    """
    f = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    low, rate = _floor(f, learning_rate, min_lr, min_lr_rate)
    w = (
        None
        if warmup_lr_rate is None
        else v.as_value(f, "warmup_lr_rate", warmup_lr_rate, nonnegative=True)
    )
    return HFCosineWarmupWithMinLR(
        _lr(f, learning_rate),
        v.as_count(f, "num_warmup_steps", num_warmup_steps),
        v.as_count(f, "num_training_steps", num_training_steps),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
        low,
        rate,
        w,
        v.as_flag(f, "hold_after_end", hold_after_end),
    )


class HFWarmupStableDecay(AbstractPreset):
    """HF ``warmup_stable_decay`` (built by :func:`get_wsd_schedule`)."""

    learning_rate: Array
    num_warmup_steps: Array
    num_decay_steps: Array
    num_training_steps: Array | None
    num_stable_steps: Array | None
    warmup_type: str = dataclasses.field(metadata=dict(static=True))
    decay_type: str = dataclasses.field(metadata=dict(static=True))
    min_lr_ratio: Array
    num_cycles: Array
    factory: ClassVar[str] = "get_wsd_schedule"

    def build(self) -> AbstractSchedule:
        lr = jnp.asarray(self.learning_rate)
        warm = jnp.asarray(self.num_warmup_steps)
        decay_steps = jnp.asarray(self.num_decay_steps)
        if self.num_stable_steps is not None:
            stable = jnp.asarray(self.num_stable_steps)
        else:
            stable = jnp.asarray(self.num_training_steps) - warm - decay_steps
        stable = jnp.maximum(stable, 0)
        floor = lr * self.min_lr_ratio
        ramp_up = warmup(constant(lr), warm, floor, shape=self.warmup_type)
        decay = decay_phase(
            lr, floor, self.num_cycles, decay_steps, shape=self.decay_type, after="floor"
        )
        return join_schedules(
            [ramp_up, join_schedules([constant(lr), decay], stable[None])], warm[None]
        )


def get_wsd_schedule(
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike,
    num_decay_steps: ArrayLike,
    num_training_steps: ArrayLike | None = None,
    num_stable_steps: ArrayLike | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: ArrayLike = 0.0,
    num_cycles: ArrayLike = 0.5,
) -> HFWarmupStableDecay:
    r"""HF ``get_wsd_schedule``: warmup, stable, decay, then the floor.

    With :math:`m` = ``min_lr_ratio``, :math:`S` = ``num_stable_steps`` (default
    :math:`T - W - D`) and :math:`g` the warmup or decay shape,

    .. math::
      \eta(t) = \eta_0 \begin{cases} m + (1 - m)\, g_w(t / W) & t < W \\
      1 & t < W + S \\ m + (1 - m)\, g_d\!\left(\frac{t - W - S}{\max(1, D)}\right)
      & t < W + S + D \\ m & \text{after} \end{cases}

    where :math:`g_w(p)` is :math:`p`, :math:`(1 - \cos \pi p)/2` or :math:`1 - \sqrt{1 - p}`
    and :math:`g_d(p)` is :math:`1 - p`, :math:`(1 + \cos 2\pi c p)/2` or :math:`1 - \sqrt p`.
    If both ``num_training_steps`` and ``num_stable_steps`` are given, the latter is used.

    Args:
      learning_rate: :math:`\eta_0`; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_decay_steps: :math:`D`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= W + D``, or None.
      num_stable_steps: :math:`S`; an integer ``>= 0``, or None (one of the two is needed).
      warmup_type: "linear", "cosine" or "1-sqrt" (static).
      decay_type: "linear", "cosine" or "1-sqrt" (static).
      min_lr_ratio: :math:`m`; ``>= 0``.
      num_cycles: :math:`c` of the cosine decay; ``>= 0``.

    Returns:
      An ``HFWarmupStableDecay`` schedule.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_wsd_schedule(1.0, 2, 2, num_stable_steps=2, decay_type="1-sqrt",
      ...                          min_lr_ratio=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.arange(8))])
      [0.1, 0.55, 1.0, 1.0, 1.0, 0.364, 0.1, 0.1]
    """
    f = "get_wsd_schedule"
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError(f"{f}: either num_training_steps or num_stable_steps must be specified")
    warm = v.as_count(f, "num_warmup_steps", num_warmup_steps)
    decay = v.as_count(f, "num_decay_steps", num_decay_steps)
    total = (
        None
        if num_training_steps is None
        else v.as_count(f, "num_training_steps", num_training_steps)
    )
    stable = (
        None if num_stable_steps is None else v.as_count(f, "num_stable_steps", num_stable_steps)
    )
    if stable is None:
        w, d, n = v.concrete(warm), v.concrete(decay), v.concrete(total)
        if None not in (w, d, n) and n < w + d:
            raise ValueError(
                f"{f}(num_training_steps={n}): num_training_steps must be >= num_warmup_steps "
                f"+ num_decay_steps = {w + d} (the stable phase would be negative)"
            )
    return HFWarmupStableDecay(
        _lr(f, learning_rate),
        warm,
        decay,
        total,
        stable,
        v.as_choice(f, "warmup_type", warmup_type, _DECAY_SHAPES),
        v.as_choice(f, "decay_type", decay_type, _DECAY_SHAPES),
        v.as_value(f, "min_lr_ratio", min_lr_ratio, nonnegative=True),
        v.as_value(f, "num_cycles", num_cycles, nonnegative=True),
    )


# --------------------------------------------------------------------------------------
_BY_NAME = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
}
_NOT_PURE = ("reduce_lr_on_plateau", "greedy")


def get_scheduler(
    name: str,
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike | None = None,
    num_training_steps: ArrayLike | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> AbstractSchedule:
    r"""HF ``get_scheduler``: any step-driven ``SchedulerType`` by name.

    Dispatches like HF: ``constant`` ignores the step counts; every other type needs
    ``num_warmup_steps``; ``constant_with_warmup`` and ``inverse_sqrt`` do not use
    ``num_training_steps``; ``warmup_stable_decay`` may use ``num_stable_steps`` instead;
    the rest need it. ``scheduler_specific_kwargs`` go to the function (e.g.
    ``num_cycles``, ``min_lr_rate``, ``lr_end``, ``power``, ``num_decay_steps``, and this
    module's ``hold_after_end``).

    Args:
      name: a ``SchedulerType`` value (or the enum member): "linear", "cosine",
        "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
        "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
        "warmup_stable_decay".
      learning_rate: the optimizer's learning rate (HF reads it from the optimizer).
      num_warmup_steps: warmup length.
      num_training_steps: total length.
      scheduler_specific_kwargs: extra arguments of the selected function.

    Returns:
      The schedule of the selected function.

    Examples:
      >>> from lrjax.compat import transformers as lrh
      >>> s = lrh.get_scheduler("cosine", 1.0, num_warmup_steps=2, num_training_steps=6)
      >>> print(f"{float(s(4)):.4f}")
      0.5000
    """
    f = "get_scheduler"
    key = getattr(name, "value", name)
    if key in _NOT_PURE:
        raise ValueError(
            f"{f}(name={key!r}): {key} depends on training metrics, not on the step; it has "
            "no lrjax schedule"
        )
    if key not in _BY_NAME:
        valid = ", ".join(repr(k) for k in _BY_NAME)
        raise ValueError(f"{f}(name={key!r}): name must be one of {valid}")
    fn: Any = _BY_NAME[key]
    if key == "constant":
        return fn(learning_rate)
    kwargs = dict(scheduler_specific_kwargs or {})
    if num_warmup_steps is None:
        raise ValueError(f"{f}(name={key!r}): {key} requires `num_warmup_steps`")
    if key in ("constant_with_warmup", "inverse_sqrt"):
        return fn(learning_rate, num_warmup_steps=num_warmup_steps, **kwargs)
    if key == "warmup_stable_decay":
        return fn(
            learning_rate,
            num_warmup_steps=num_warmup_steps,
            num_training_steps=num_training_steps,
            **kwargs,
        )
    if num_training_steps is None:
        raise ValueError(f"{f}(name={key!r}): {key} requires `num_training_steps`")
    return fn(
        learning_rate,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
        **kwargs,
    )
