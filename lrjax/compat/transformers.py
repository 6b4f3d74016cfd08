"""Hugging Face ``transformers`` schedules as lrjax schedules (transformers 5.23).

Each function mirrors a ``transformers.optimization`` function with the optimizer's learning
rate as its first argument and returns absolute values: at step ``t``, the lr of the ``t``-th
update in the ``Trainer``'s loop (``optimizer.step(); lr_scheduler.step()``), that is
``learning_rate * lr_lambda(t)``. Nothing here imports transformers or torch. Each class
stores HF's arguments and builds core schedules and presets from them; only HF's cosine wave
(``decay_phase``: ``num_cycles`` waves, going on past the end) and its hard restarts
(``hard_restarts``: fractional periods) are formulas. Differences from HF are listed in
docs/compat_torch_hf_timm.md, "Documented deviations": mainly, the cosines hold their final
value after their end unless ``hold_after_end=False``, and nothing divides by zero.

Examples use ``from lrjax.compat import transformers as lrh``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from lrjax.adaptive.base import AbstractAdaptive
from lrjax.adaptive.plateau import MODES, THRESHOLD_MODES
from lrjax.combinators.join import join_schedules
from lrjax.combinators.warmup import warmup
from lrjax.compat.torch import reduce_lr_on_plateau
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.dtypes import float_dtype, int_dtype
from lrjax.core.kernel import progress, ramp, straight_through
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    ArrayLike,
    Param,
    make_factory,
)
from lrjax.presets import recipes
from lrjax.schedules.primitives import constant, linear

_DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


# --------------------------------------------------------------------------------------
class HFDecayPhase(AbstractSchedule, factory="decay_phase"):
    r"""A Hugging Face decay phase (the building block of this module's schedules).

    .. math::
      \eta(t) = F + (P - F)\, w\!\left(\tfrac{t + o}{\max(1, L)}\right), \qquad
      w(p) = \tfrac{1}{2}\left(1 + \cos(2\pi c\, p)\right),\ 1 - p \ \text{or}\ 1 - \sqrt{p}

    Args:
      peak_value: :math:`P`, the value at :math:`p = 0`; ``>= 0``.
      floor_value: :math:`F`, the value the wave decays to; ``>= 0``.
      num_cycles: :math:`c`, cosine waves over the phase (0.5 is a half cosine); ``>= 0``.
      decay_steps: :math:`L`; an integer ``>= 0`` (0 is treated as 1, like HF's ``max(1, .)``).
      offset: :math:`o`, 0 or 1 (``cosine_warmup_with_min_lr`` counts from 1; static).
      shape: :math:`w`, "cosine", "linear" or "1-sqrt" (static).
      after: past the phase, "hold" the last value, "continue" the formula or jump to the
        "floor" (static).

    Examples:
      >>> s = lrh.decay_phase(1.0, 0.0, 0.5, 10, after="continue")
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 5, 10, 15]))])
      [1.0, 0.5, 0.0, 0.5]
    """

    peak_value: Param = fields.value(nonnegative=True)
    floor_value: Param = fields.value(nonnegative=True)
    num_cycles: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()
    offset: int = fields.static(default=0)
    shape: str = fields.choice(_DECAY_SHAPES, default="cosine")
    after: str = fields.choice(("hold", "continue", "floor"), default="hold")

    def check(self) -> None:
        ok = self.offset in (0, 1) and not isinstance(self.offset, bool)
        v.require(ok, f"{self.factory}(offset={self.offset!r})", "offset must be 0 or 1")

    def _evaluate(self, t: Array) -> Array:
        # HF's cosine has `num_cycles` waves and goes on past its end ("continue"): no core
        # shape does, so its wave is computed here; "linear" and "1-sqrt" are core ramps.
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
            left = p.left
            if self.after == "continue":
                past = (length - e).astype(dtype) * (1 / length.astype(dtype))
                left = jnp.where(e <= length, p.left, past)
            wave = jnp.sin(jnp.pi * (c - nc * left)) ** 2
            # The default half wave (num_cycles = 0.5): reduce the phase exactly in integers,
            # cos(pi (e - L) / (2 L))**2 with e - L taken modulo 2 L.
            period = 2 * length
            e_wave = e if self.after == "continue" else jnp.minimum(e, length)
            m = jnp.where(e_wave == length, 0, jnp.mod(e_wave, period) - length)  # in [-L, L)
            # One multiply per step by pi / (2 L), a scalar formed first with an explicit
            # reciprocal: `pi * m * (1 / 2L)` was associated one way for a scalar step and
            # the other for an array (2-3 ulp apart).
            half = jnp.sin(m.astype(dtype) * (jnp.pi * (1 / period.astype(dtype)))) ** 2
            # Its derivative with respect to num_cycles is the general formula's.
            wave = jnp.where(nc == 0.5, straight_through(half, wave), wave)
            wave = jnp.where(e == 0, jnp.ones((), dtype), wave)
            value = floor + (peak - floor) * wave
        if self.after == "floor":
            value = jnp.where(e >= steps, floor, value)
        return value


decay_phase = make_factory(HFDecayPhase)


# --------------------------------------------------------------------------------------
class HFHardRestarts(AbstractSchedule, factory="hard_restarts"):
    r"""HF's hard-restart cosine (without warmup): ``num_cycles`` half cosines, then 0.

    .. math::
      \eta(t) = P\,\tfrac{1}{2}\left(1 + \cos\left(\pi\,((c\,t / L) \bmod 1)\right)\right)
      \ \text{for}\ t < L, \qquad 0 \ \text{after}

    Args:
      peak_value: :math:`P`; ``>= 0``.
      num_cycles: :math:`c`; ``>= 0``.
      decay_steps: :math:`L`; an integer ``>= 0`` (0 is treated as 1).

    Examples:
      >>> s = lrh.hard_restarts(1.0, 2, 10)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 4, 5, 9, 10]))])
      [1.0, 0.095, 1.0, 0.095, 0.0]
    """

    peak_value: Param = fields.value(nonnegative=True)
    num_cycles: Param = fields.value(nonnegative=True)
    decay_steps: Param = fields.count()

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.peak_value).dtype
        length = jnp.maximum(jnp.asarray(self.decay_steps).astype(t.dtype), 1)
        lf = length.astype(dtype)
        # A restart every L / num_cycles steps, rarely a whole number (a core cycle's period
        # is), so the local step is computed here: (num_cycles * progress) % 1 ==
        # ((num_cycles * t) mod L) / L, exact for integer num_cycles while num_cycles * t
        # < 2**24. The half cosine sin(pi/2 left)**2 is written out: cosine_decay or
        # ramp("cosine") at that step fuse differently in XLA and move saved values by 4 ulp.
        tc = jnp.minimum(t, length).astype(dtype)
        r = jnp.mod(jnp.asarray(self.num_cycles).astype(dtype) * tc, lf)
        # (L - r) / L with an explicit reciprocal: XLA on CPU multiplies a float array by
        # the reciprocal of a scalar divisor but divides a scalar, 2 ulp apart after the sine.
        left = jnp.where(r == 0, jnp.ones((), dtype), (lf - r) * (1 / lf))
        half = jnp.sin(jnp.asarray(jnp.pi / 2, dtype) * left) ** 2
        value = self.peak_value * jnp.where(left == 1, jnp.ones((), dtype), half)
        return jnp.where(t >= length, jnp.zeros((), dtype), value)


hard_restarts = make_factory(HFHardRestarts)


# --------------------------------------------------------------------------------------
class HFConstant(AbstractPreset, factory="get_constant_schedule"):
    r"""HF ``get_constant_schedule``: the learning rate, always (``lrjax.constant``).

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.

    Examples:
      >>> print(f"{float(lrh.get_constant_schedule(3e-4)(100)):.1e}")
      3.0e-04
    """

    learning_rate: Param = fields.value(nonnegative=True)

    def build(self) -> AbstractSchedule:
        return constant(self.learning_rate)


get_constant_schedule = make_factory(HFConstant)


class AbstractHF(AbstractPreset):
    """An HF schedule with a warmup: its first arguments are the lr and the warmup length."""

    learning_rate: Param = fields.value(nonnegative=True)
    num_warmup_steps: Param = fields.count()


class AbstractHFTrained(AbstractHF):
    """An HF schedule whose third argument is the training length."""

    num_training_steps: Param = fields.count()


class HFConstantWithWarmup(AbstractHF, factory="get_constant_schedule_with_warmup"):
    r"""HF ``get_constant_schedule_with_warmup``: ``lrjax.warmup_constant(learning_rate, W)``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.

    Examples:
      >>> s = lrh.get_constant_schedule_with_warmup(1.0, 4)
      >>> print([float(x) for x in s(jnp.array([0, 1, 4, 9]))])
      [0.0, 0.25, 1.0, 1.0]
    """

    def build(self) -> AbstractSchedule:
        return recipes.warmup_constant(self.learning_rate, self.num_warmup_steps)


get_constant_schedule_with_warmup = make_factory(HFConstantWithWarmup)


class HFLinearWithWarmup(AbstractHFTrained, factory="get_linear_schedule_with_warmup"):
    r"""HF ``get_linear_schedule_with_warmup``: ``lrjax.warmup_linear_decay(lr, W, max(T, W))``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.

    Examples:
      >>> s = lrh.get_linear_schedule_with_warmup(1.0, 2, 6)
      >>> print([float(x) for x in s(jnp.arange(8))])
      [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def build(self) -> AbstractSchedule:
        # HF's decay max(0, (T - t) / max(1, T - W)) is 0 from W on when T <= W.
        total = jnp.maximum(self.num_training_steps, self.num_warmup_steps)
        return recipes.warmup_linear_decay(self.learning_rate, self.num_warmup_steps, total)


get_linear_schedule_with_warmup = make_factory(HFLinearWithWarmup)


class AbstractHFCosine(AbstractHFTrained):
    """HF's cosine schedules: ``num_cycles`` waves over ``max(1, T - W)`` steps."""

    num_cycles: Param = fields.value(nonnegative=True, default=0.5)

    def _floor(self) -> Any:
        return 0.0 * self.learning_rate

    def _cosine(self, offset: int = 0) -> HFDecayPhase:
        """The wave from the learning rate down to the floor, held or continued after it."""
        length = jnp.maximum(jnp.asarray(self.num_training_steps) - self.num_warmup_steps, 1)
        # Each subclass declares hold_after_end itself: it is its last argument.
        after = "hold" if getattr(self, "hold_after_end") else "continue"
        floor = self._floor()
        return decay_phase(self.learning_rate, floor, self.num_cycles, length, offset, after=after)

    def build(self) -> AbstractSchedule:
        return warmup(self._cosine(), self.num_warmup_steps)


class HFCosineWithWarmup(AbstractHFCosine, factory="get_cosine_schedule_with_warmup"):
    r"""HF ``get_cosine_schedule_with_warmup``: linear warmup from 0, then a cosine wave.

    ``lrjax.warmup(decay_phase(learning_rate, 0, num_cycles, max(1, T - W)), W)``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: number of cosine waves (0.5: a half cosine down to 0); ``>= 0``.
      hold_after_end: hold after :math:`T`, or climb back up as HF (static).

    Examples:
      >>> s = lrh.get_cosine_schedule_with_warmup(1.0, 2, 6)
      >>> print([round(float(x), 3) for x in s(jnp.arange(9))])
      [0.0, 0.5, 1.0, 0.854, 0.5, 0.146, 0.0, 0.0, 0.0]
      >>> hf = lrh.get_cosine_schedule_with_warmup(1.0, 2, 6, hold_after_end=False)
      >>> print([round(float(x), 3) for x in hf(jnp.arange(6, 9))])
      [0.0, 0.146, 0.5]
    """

    hold_after_end: bool = fields.flag(default=True)


get_cosine_schedule_with_warmup = make_factory(HFCosineWithWarmup)


class HFCosineWithHardRestarts(
    AbstractHFTrained, factory="get_cosine_with_hard_restarts_schedule_with_warmup"
):
    r"""HF ``get_cosine_with_hard_restarts_schedule_with_warmup``: warmup, hard restarts.

    ``lrjax.warmup(hard_restarts(learning_rate, num_cycles, max(1, T - W)), W)``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: the number of hard restarts; ``>= 0`` (exact for integers).

    Examples:
      >>> s = lrh.get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 2, 10, 2)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 2, 5, 6, 9, 10]))])
      [0.0, 1.0, 0.146, 1.0, 0.146, 0.0]
    """

    num_cycles: Param = fields.value(nonnegative=True, default=1)

    def build(self) -> AbstractSchedule:
        length = jnp.maximum(self.num_training_steps - self.num_warmup_steps, 1)
        wave = hard_restarts(self.learning_rate, self.num_cycles, length)
        return warmup(wave, self.num_warmup_steps)


get_cosine_with_hard_restarts_schedule_with_warmup = make_factory(HFCosineWithHardRestarts)


class HFPolynomialDecayWithWarmup(
    AbstractHFTrained, factory="get_polynomial_decay_schedule_with_warmup"
):
    r"""HF ``get_polynomial_decay_schedule_with_warmup`` (BERT/fairseq polynomial decay).

    ``lrjax.warmup_polynomial_decay(learning_rate, W, max(T, W), power, end_value=lr_end)``:
    ``lr_end`` from :math:`W` on when :math:`T = W` (where HF divides by zero).

    Args:
      learning_rate: the optimizer's lr; ``> lr_end`` (HF's check).
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      lr_end: the final value; ``>= 0``.
      power: the exponent of the decay; ``> 0``, or None (the default) for HF's default of 1
        without computing a power (see :func:`lrjax.cosine_decay`'s ``exponent``).

    Examples:
      >>> s = lrh.get_polynomial_decay_schedule_with_warmup(1.0, 2, 12, lr_end=0.0, power=2.0)
      >>> print([round(float(x), 3) for x in s(jnp.array([1, 2, 7, 12, 20]))])
      [0.5, 1.0, 0.25, 0.0, 0.0]
    """

    lr_end: Param = fields.value(nonnegative=True, default=1e-7)
    power: Param | None = fields.value(positive=True, optional=True, default=None)

    def check(self) -> None:
        a, b = v.concrete(self.learning_rate), v.concrete(self.lr_end)
        if a is not None and b is not None:
            where = f"{self.factory}(lr_end={b!r})"
            v.require(a > b, where, f"lr_end must be smaller than learning_rate={a!r}")

    def build(self) -> AbstractSchedule:
        # HF holds lr_end after T, so from W on when T <= W.
        total = jnp.maximum(self.num_training_steps, self.num_warmup_steps)
        return recipes.warmup_polynomial_decay(
            self.learning_rate, self.num_warmup_steps, total, self.power, end_value=self.lr_end
        )


get_polynomial_decay_schedule_with_warmup = make_factory(HFPolynomialDecayWithWarmup)


class HFInverseSqrt(AbstractHF, factory="get_inverse_sqrt_schedule"):
    r"""HF ``get_inverse_sqrt_schedule``: ``lrjax.inverse_sqrt(learning_rate, W, timescale)``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      timescale: ``> 0``. Default ``W``, or 10 000 when ``W == 0`` (as HF).

    Examples:
      >>> s = lrh.get_inverse_sqrt_schedule(1.0, 10)
      >>> print([round(float(x), 4) for x in s(jnp.array([5, 10, 40]))])
      [0.5, 1.0, 0.5]
    """

    timescale: Param | None = fields.value(positive=True, optional=True, default=None)

    def build(self) -> AbstractSchedule:
        return recipes.inverse_sqrt(self.learning_rate, self.num_warmup_steps, self.timescale)


get_inverse_sqrt_schedule = make_factory(HFInverseSqrt)


class AbstractHFMinLR(AbstractHFCosine):
    """HF's cosines down to a floor: ``min_lr``, or ``min_lr_rate`` times the lr."""

    min_lr: Param | None = fields.value(nonnegative=True, optional=True, default=None)
    min_lr_rate: Param | None = fields.value(nonnegative=True, optional=True, default=None)

    def check(self) -> None:
        # HF's rule: exactly one of min_lr and min_lr_rate.
        given = (self.min_lr is not None) + (self.min_lr_rate is not None)
        v.require(given < 2, self.factory, "only one of min_lr or min_lr_rate should be set")
        v.require(given > 0, self.factory, "one of min_lr or min_lr_rate should be set")

    def _floor(self) -> Any:
        return self.min_lr if self.min_lr is not None else self.learning_rate * self.min_lr_rate


class HFCosineWithMinLR(AbstractHFMinLR, factory="get_cosine_with_min_lr_schedule_with_warmup"):
    r"""HF ``get_cosine_with_min_lr_schedule_with_warmup``: cosine down to a floor.

    ``lrjax.warmup(decay_phase(learning_rate, m, num_cycles, max(1, T - W)), W)``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= 0``.
      num_cycles: number of cosine waves; ``>= 0``.
      min_lr: the floor :math:`m`; ``>= 0`` (give exactly one of ``min_lr``, ``min_lr_rate``).
      min_lr_rate: the floor as a fraction of ``learning_rate``; ``>= 0``.
      hold_after_end: hold after :math:`T`, or climb back up as HF (static).

    Examples:
      >>> s = lrh.get_cosine_with_min_lr_schedule_with_warmup(1.0, 10, 40, min_lr_rate=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.array([5, 10, 25, 40, 50]))])
      [0.5, 1.0, 0.55, 0.1, 0.1]
    """

    hold_after_end: bool = fields.flag(default=True)


get_cosine_with_min_lr_schedule_with_warmup = make_factory(HFCosineWithMinLR)


class HFCosineWarmupWithMinLR(
    AbstractHFMinLR, factory="get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
):
    r"""HF ``cosine_warmup_with_min_lr``: warmup that starts above 0, cosine to a floor.

    ``lrjax.join_schedules([linear(lr / max(1, W), lr (W + 1) / max(1, W), W), decay_phase(lr,
    m, num_cycles, max(1, T - W), offset=1)], [W])``: the peak at :math:`W - 1`, the floor
    at :math:`T - 1`; with ``warmup_lr_rate`` the warmup is ``linear(w lr, lr, max(1, W - 1))``.

    Args:
      learning_rate, num_warmup_steps, num_training_steps, num_cycles, min_lr, min_lr_rate: as
        in ``get_cosine_with_min_lr_schedule_with_warmup``.
      warmup_lr_rate: :math:`w`, the starting fraction; ``>= 0``, or None.
      hold_after_end: hold after :math:`T - 1`, or climb back up as HF (static).

    Examples:
      >>> s = lrh.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
      ...     1.0, 2, 6, min_lr_rate=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [0.5, 1.0, 0.868, 0.55, 0.232, 0.1, 0.1]
    """

    warmup_lr_rate: Param | None = fields.value(nonnegative=True, optional=True, default=None)
    hold_after_end: bool = fields.flag(default=True)

    def build(self) -> AbstractSchedule:
        # HF counts this schedule's steps from 1: its warmup does not start at 0 and its
        # cosine is one step ahead (offset=1), so neither is a core warmup.
        lr, warm = jnp.asarray(self.learning_rate), jnp.asarray(self.num_warmup_steps)
        if self.warmup_lr_rate is None:
            # (t + 1) / max(1, W): a line through lr / W at 0 and lr (W + 1) / W at W.
            per_step = lr / jnp.maximum(warm, 1).astype(lr.dtype)
            ramp_up = linear(per_step, lr + per_step, warm)
        else:
            # w + (1 - w) t / max(1, W - 1)
            ramp_up = linear(lr * self.warmup_lr_rate, lr, jnp.maximum(warm - 1, 1))
        return join_schedules([ramp_up, self._cosine(offset=1)], warm[None])


get_cosine_with_min_lr_schedule_with_warmup_lr_rate = make_factory(HFCosineWarmupWithMinLR)


class HFWarmupStableDecay(AbstractHF, factory="get_wsd_schedule"):
    r"""HF ``get_wsd_schedule``: warmup, stable, decay, then the floor.

    ``lrjax.join_schedules([warmup(constant(lr), W, m lr, warmup_type), decay_phase(lr, m lr,
    num_cycles, D, shape=decay_type, after="floor")], [W + S])``.

    Args:
      learning_rate: the optimizer's lr; ``>= 0``.
      num_warmup_steps: :math:`W`; an integer ``>= 0``.
      num_decay_steps: :math:`D`; an integer ``>= 0``.
      num_training_steps: :math:`T`; an integer ``>= W + D``, or None.
      num_stable_steps: :math:`S`; an integer ``>= 0``, or None for :math:`T - W - D` (one of
        the two is needed; ``num_stable_steps`` wins when both are given).
      warmup_type: "linear", "cosine" or "1-sqrt" (static).
      decay_type: "linear", "cosine" or "1-sqrt" (static).
      min_lr_ratio: :math:`m`; ``>= 0``.
      num_cycles: number of cosine waves of the cosine decay; ``>= 0``.

    Examples:
      >>> s = lrh.get_wsd_schedule(1.0, 2, 2, num_stable_steps=2, decay_type="1-sqrt",
      ...                          min_lr_ratio=0.1)
      >>> print([round(float(x), 3) for x in s(jnp.arange(8))])
      [0.1, 0.55, 1.0, 1.0, 1.0, 0.364, 0.1, 0.1]
    """

    num_decay_steps: Param = fields.count()
    num_training_steps: Param | None = fields.count(optional=True, default=None)
    num_stable_steps: Param | None = fields.count(optional=True, default=None)
    warmup_type: str = fields.choice(_DECAY_SHAPES, default="linear")
    decay_type: str = fields.choice(_DECAY_SHAPES, default="cosine")
    min_lr_ratio: Param = fields.value(nonnegative=True, default=0.0)
    num_cycles: Param = fields.value(nonnegative=True, default=0.5)

    def check(self) -> None:
        n, stable = self.num_training_steps, self.num_stable_steps
        message = "either num_training_steps or num_stable_steps must be specified"
        v.require(n is not None or stable is not None, self.factory, message)
        w, d, n = (v.concrete(x) for x in (self.num_warmup_steps, self.num_decay_steps, n))
        if stable is None and None not in (w, d, n) and n < w + d:
            raise ValueError(
                f"{self.factory}(num_training_steps={n}): num_training_steps must be >= "
                f"num_warmup_steps + num_decay_steps = {w + d} (the stable phase would be "
                "negative)"
            )

    def build(self) -> AbstractSchedule:
        # Core warmup_stable_decay's decay shapes have no num_cycles, and a decay schedule
        # must last >= 1 step there (HF's may last 0): so, as in that preset, a warmup of the
        # constant joined to the decay (HF's decay_phase, which jumps to the floor at its end).
        lr, warm, d = self.learning_rate, self.num_warmup_steps, self.num_decay_steps
        stable = self.num_stable_steps
        if stable is None:  # HF's default; check() ensures num_training_steps is given then
            stable = jnp.asarray(self.num_training_steps) - warm - d
        floor = lr * self.min_lr_ratio
        ramp_up = warmup(constant(lr), warm, floor, shape=self.warmup_type)
        decay = decay_phase(lr, floor, self.num_cycles, d, shape=self.decay_type, after="floor")
        return join_schedules([ramp_up, decay], (warm + jnp.maximum(stable, 0))[None])


get_wsd_schedule = make_factory(HFWarmupStableDecay)


# --------------------------------------------------------------------------------------
class GreedyState(NamedTuple):
    """The state of ``greedy_lr`` (``GreedyLR``'s attributes; fixed dtypes)."""

    count: Array  # updates so far
    best: Array  # GreedyLR.best (the worst possible value before any metric)
    num_bad: Array  # num_bad_epochs
    num_good: Array  # num_good_epochs
    cooldown: Array  # cooldown_counter: valid updates left to ignore after a reduction
    warmup: Array  # warmup_counter: valid updates left to ignore after an increase
    reset_left: Array  # GreedyLR.reset_start: reductions at min_lr left before the reset
    num_resets: Array  # resets so far (not in GreedyLR: for the user's information)
    lr_anchor: Array  # the lr after the last clamp to min_lr or max_lr (or reset): ...
    lr_steps: Array  # ... and the increases minus reductions since: lr = anchor / f**steps
    window: Array  # StreamingAverage.values as a ring buffer (shape (window_size,) or (0,))
    window_sum: Array  # StreamingAverage.sum: a running sum, as HF keeps it
    window_len: Array  # len(StreamingAverage.values)
    window_pos: Array  # the ring buffer's oldest entry (the next one overwritten when full)


class HFGreedyLR(AbstractAdaptive, factory="greedy_lr"):
    r"""HF ``GreedyLR`` for one parameter group: the lr falls on a plateau and rises while
    the metric keeps improving.

    One :meth:`update` is one ``scheduler.step(metric)``. With ``smooth=True`` the metric
    :math:`x` is first replaced by the mean of the last ``window_size`` metrics (HF's
    ``StreamingAverage``, kept as a running sum: one NaN or infinity in it spoils every
    mean until the next reset, as in HF). After a ``cooldown`` or ``warmup`` update (counted
    down first; the good and bad counts are cleared), nothing else happens; otherwise
    :math:`x` improves on the best :math:`b` when :math:`x < b - t` ("min", "abs"),
    :math:`x < b (1 - t)` ("rel", HF's rule also for negative metrics), or
    :math:`x > b + t`, :math:`x > b (1 + t)` for "max" (NaN never improves). Then

    - after more than ``patience`` consecutive improvements: :math:`\eta \leftarrow
      \min(\eta / f, \eta_{max})` if that raises it by more than ``eps``; ``warmup``
      updates follow; the reset countdown restarts;
    - after more than ``patience`` updates without improvement: :math:`\eta \leftarrow
      \max(\eta f, \eta_{min})` if that lowers it by more than ``eps``; ``cooldown`` updates
      follow. Each such reduction that leaves :math:`\eta \le \eta_{min}` counts down
      ``reset_start``; at 0 the scheduler resets: the lr back to ``lr``, the best and the
      counts cleared, the smoothing window emptied (then the ``cooldown`` starts, as in HF).

    Not reproduced: ``verbose`` printing (a jitted update cannot print; read the state),
    the ``epoch`` argument of ``step`` (it only labels those prints), lists of ``min_lr``
    and ``max_lr`` (one parameter group: one controller per group, or ``jax.vmap``), and
    HF's float64 rounding where it decides: an lr equal to ``min_lr`` on paper (``0.02 /
    0.95 * 0.95``) is one ulp above it in HF, which then never counts ``reset_start`` down;
    here the lr is ``lr_anchor / factor ** lr_steps`` since its last clamp, so it lands on
    ``min_lr`` exactly (docs/adaptive.md, "Parity": 3 of 480 sequences differ so).
    Stricter than HF: ``factor`` must be in ``(0, 1)``, ``patience``, ``cooldown``,
    ``warmup``, ``reset_start`` integers ``>= 0``, ``threshold``, ``eps``, the rates ``>=
    0``, ``window_size >= 1``. The lr is kept in float32 (float64 under x64), HF's in float64.

    Args:
      lr: the optimizer's initial learning rate (restored by a reset); ``>= 0``.
      mode: "min" (a loss) or "max" (an accuracy).
      factor: :math:`f`, the lr is multiplied by it on a plateau, divided on improvement;
        in ``(0, 1)``.
      patience: updates tolerated before a change; an integer ``>= 0``.
      threshold: :math:`t`, the improvement that counts; ``>= 0``.
      threshold_mode: "abs" (HF's default) or "rel".
      cooldown: valid updates ignored after a reduction; an integer ``>= 0``.
      warmup: valid updates ignored after an increase; an integer ``>= 0``.
      min_lr: :math:`\eta_{min}`; ``>= 0``.
      max_lr: :math:`\eta_{max}`; ``>= 0``.
      eps: the smallest change applied; ``>= 0``.
      smooth: average the metric over a window first (static).
      window_size: the window; a Python integer ``>= 1`` (static: it sizes the state's
        ring buffer, so it cannot vary across a ``jax.vmap`` population).
      reset_start: reductions at ``min_lr`` before the reset; an integer ``>= 0``.

    Examples:
      >>> c = lrh.greedy_lr(0.1, factor=0.5, patience=1)
      >>> state, lrs = c.init(), []
      >>> for loss in [1.0, 0.9, 0.8, 0.8, 0.8, 0.8]:  # 2 improvements: up; 2 ties: down
      ...     state = c.update(state, value=loss)
      ...     lrs.append(round(float(c(state)), 3))
      >>> print(lrs)
      [0.1, 0.2, 0.2, 0.2, 0.1, 0.1]
    """

    lr: Param = fields.value(nonnegative=True)
    mode: str = fields.choice(MODES, default="min")
    factor: Param = fields.value(positive=True, default=0.95)
    patience: Param = fields.count(default=10)
    threshold: Param = fields.value(nonnegative=True, default=1e-6)
    threshold_mode: str = fields.choice(THRESHOLD_MODES, default="abs")
    cooldown: Param = fields.count(default=0)
    warmup: Param = fields.count(default=0)
    min_lr: Param = fields.value(nonnegative=True, default=1e-3)
    max_lr: Param = fields.value(nonnegative=True, default=1.0)
    eps: Param = fields.value(nonnegative=True, default=1e-8)
    smooth: bool = fields.flag(default=False)
    window_size: int = fields.static(default=50)
    reset_start: Param = fields.count(default=500)

    State = GreedyState

    def check(self) -> None:
        v.require_args(self, "factor", lambda f: f < 1, "factor must be in (0, 1)")
        w = self.window_size
        ok = isinstance(w, int) and not isinstance(w, bool) and w >= 1
        message = "window_size must be a Python integer >= 1 (it sizes the smoothing window)"
        v.require(ok, f"{self.factory}(window_size={w!r})", message)

    def base(self) -> AbstractSchedule:
        return constant(1.0)

    def multiplier(self, state: GreedyState) -> Array:
        return self.learning_rate(state)

    def learning_rate(self, state: GreedyState) -> Array:
        """The param group's lr in ``state``: ``lr_anchor / factor ** lr_steps``.

        HF multiplies the lr by ``factor`` in place; kept as a power of ``factor`` since its
        last clamp, the lr returns *exactly* to ``min_lr`` or ``max_lr`` after as many
        increases as reductions (in float32, a product chain misses by an ulp and changes
        the ``lr > min_lr`` decision that drives the reset).
        """
        anchor, steps = state.lr_anchor, state.lr_steps
        power = jax.lax.pow(jnp.asarray(self.factor).astype(anchor.dtype), jnp.abs(steps))
        return jnp.where(steps > 0, anchor / power, anchor * power)

    def _worst(self) -> Array:
        return jnp.asarray(jnp.inf if self.mode == "min" else -jnp.inf, float_dtype())

    def _initial(self) -> GreedyState:
        zero, fzero = jnp.zeros((), int_dtype()), jnp.zeros((), float_dtype())
        size = self.window_size if self.smooth else 0
        return GreedyState(
            count=zero,
            best=self._worst(),
            num_bad=zero,
            num_good=zero,
            cooldown=zero,
            warmup=zero,
            reset_left=jnp.asarray(self.reset_start).astype(int_dtype()),
            num_resets=zero,
            lr_anchor=jnp.asarray(self.lr).astype(float_dtype()),
            lr_steps=zero,
            window=jnp.zeros((size,), float_dtype()),
            window_sum=fzero,
            window_len=zero,
            window_pos=zero,
        )

    def _observe(self, state: GreedyState, metric: Array) -> GreedyState:
        s, x = state, metric
        if self.smooth:
            # StreamingAverage.streamavg: append, add, then drop the oldest from the sum.
            full = s.window_len >= self.window_size
            total = s.window_sum + x
            total = jnp.where(full, total - s.window[s.window_pos], total)
            size = jnp.minimum(s.window_len + 1, self.window_size).astype(s.window_len.dtype)
            s = s._replace(
                window=s.window.at[s.window_pos].set(x),
                window_sum=total,
                window_len=size,
                window_pos=((s.window_pos + 1) % self.window_size).astype(s.window_pos.dtype),
            )
            x = total / size.astype(x.dtype)
        dtype, one = x.dtype, jnp.ones((), s.num_bad.dtype)
        t = jnp.asarray(self.threshold).astype(dtype)
        if self.mode == "min":
            edge = s.best * (1 - t) if self.threshold_mode == "rel" else s.best - t
            better = x < edge
        else:
            edge = s.best * (1 + t) if self.threshold_mode == "rel" else s.best + t
            better = x > edge
        in_cooldown = s.cooldown > 0
        in_warmup = ~in_cooldown & (s.warmup > 0)
        normal = ~in_cooldown & ~in_warmup
        better = normal & better
        num_bad = jnp.where(normal & ~better, s.num_bad + one, 0)
        num_good = jnp.where(better, s.num_good + one, 0)
        increase = num_good > self.patience
        reduce = ~increase & (num_bad > self.patience)

        old = self.learning_rate(s)
        factor = jnp.asarray(self.factor).astype(dtype)
        lo, hi = (jnp.asarray(a).astype(dtype) for a in (self.min_lr, self.max_lr))
        eps = jnp.asarray(self.eps).astype(dtype)
        # _increase_lr: min(lr / factor, max_lr), applied if it raises the lr by > eps.
        up = old / factor
        raised = increase & (jnp.minimum(up, hi) - old > eps)
        # _reduce_lr: max(lr * factor, min_lr), applied if it lowers the lr by > eps.
        down = old * factor
        lowered = reduce & (old - jnp.maximum(down, lo) > eps)
        steps = s.lr_steps + raised.astype(s.lr_steps.dtype) - lowered.astype(s.lr_steps.dtype)
        to_hi, to_lo = raised & ~(up < hi), lowered & ~(down > lo)
        anchor = jnp.where(to_hi, hi, jnp.where(to_lo, lo, s.lr_anchor))
        steps = jnp.where(to_hi | to_lo, 0, steps).astype(s.lr_steps.dtype)
        s = s._replace(lr_anchor=anchor.astype(s.lr_anchor.dtype), lr_steps=steps)
        at_min = reduce & ~(self.learning_rate(s) > lo)
        start = jnp.asarray(self.reset_start).astype(s.reset_left.dtype)
        left = jnp.where(at_min, s.reset_left - 1, s.reset_left)
        reset = at_min & (left <= 0)
        left = jnp.where(increase | reset, start, left)

        cooldown = jnp.asarray(self.cooldown).astype(s.cooldown.dtype)
        warmup = jnp.asarray(self.warmup).astype(s.warmup.dtype)
        new = s._replace(
            best=jnp.where(better, x, s.best),
            num_bad=jnp.where(reduce, 0, num_bad).astype(s.num_bad.dtype),
            num_good=jnp.where(increase, 0, num_good).astype(s.num_good.dtype),
            cooldown=jnp.where(
                in_cooldown, s.cooldown - one, jnp.where(reduce, cooldown, s.cooldown)
            ).astype(s.cooldown.dtype),
            warmup=jnp.where(
                in_warmup, s.warmup - one, jnp.where(increase, warmup, s.warmup)
            ).astype(s.warmup.dtype),
            reset_left=left,
        )
        # GreedyLR._reset, inside _reduce_lr: step() then still starts the cooldown.
        cleared = self._initial()._replace(
            count=s.count,
            cooldown=new.cooldown,
            num_resets=s.num_resets + one,
        )
        return jax.tree.map(lambda a, b: jnp.where(reset, a, b), cleared, new)


greedy_lr = make_factory(HFGreedyLR)


# --------------------------------------------------------------------------------------
# HF's SchedulerType values, in HF's order, and the function each selects.
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


def get_scheduler(
    name: str,
    learning_rate: ArrayLike,
    num_warmup_steps: ArrayLike | None = None,
    num_training_steps: ArrayLike | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    r"""HF ``get_scheduler``: any step-driven ``SchedulerType`` by name, dispatched like HF.

    Args:
      name: a ``SchedulerType`` value (or the enum member); "reduce_lr_on_plateau" gives
        torch's adaptive ``reduce_lr_on_plateau``, "greedy" the adaptive ``greedy_lr``
        (both take only ``scheduler_specific_kwargs``, as in HF).
      learning_rate: the optimizer's learning rate (HF reads it from the optimizer).
      num_warmup_steps: warmup length; required by every type but "constant".
      num_training_steps: total length; required by the types that take it (all but
        "constant", "constant_with_warmup", "inverse_sqrt"; optional for WSD).
      scheduler_specific_kwargs: extra arguments of the selected function (e.g.
        ``num_cycles``, ``min_lr_rate``, ``lr_end``, ``power``, ``num_decay_steps``, and
        this module's ``hold_after_end``).

    Examples:
      >>> s = lrh.get_scheduler("cosine", 1.0, num_warmup_steps=2, num_training_steps=6)
      >>> print(f"{float(s(4)):.4f}")
      0.5000
    """
    f, key = "get_scheduler", getattr(name, "value", name)
    extra = scheduler_specific_kwargs or {}
    if not isinstance(extra, Mapping):
        raise TypeError(
            f"{f}(scheduler_specific_kwargs={extra!r}): scheduler_specific_kwargs must be a "
            "mapping of argument names to values"
        )
    if key == "reduce_lr_on_plateau":  # HF builds torch's ReduceLROnPlateau
        return _dispatch(f, key, reduce_lr_on_plateau, learning_rate, **extra)
    if key == "greedy":  # HF's GreedyLR(optimizer, **scheduler_specific_kwargs)
        extra = dict(extra)
        if extra.pop("verbose", False):
            raise ValueError(
                f"{f}(name={key!r}): verbose=True is not reproduced (a jitted update cannot "
                "print); read the state's counters instead (greedy_lr's docstring)"
            )
        return _dispatch(f, key, greedy_lr, learning_rate, **extra)
    if key not in _BY_NAME:
        valid = ", ".join(repr(k) for k in _BY_NAME)
        raise ValueError(f"{f}(name={key!r}): name must be one of {valid}")
    fn: Any = _BY_NAME[key]
    if key == "constant":
        return _dispatch(f, key, fn, learning_rate)
    if num_warmup_steps is None:
        raise ValueError(f"{f}(name={key!r}): {key} requires `num_warmup_steps`")
    steps: dict[str, Any] = {"num_warmup_steps": num_warmup_steps}
    if key not in ("constant_with_warmup", "inverse_sqrt"):
        if num_training_steps is None and key != "warmup_stable_decay":
            raise ValueError(f"{f}(name={key!r}): {key} requires `num_training_steps`")
        steps["num_training_steps"] = num_training_steps
    clash = sorted(set(steps) & set(extra))
    if clash:
        raise TypeError(
            f"{f}(name={key!r}): {clash[0]} is an argument of {f} itself, not one of "
            "scheduler_specific_kwargs"
        )
    return _dispatch(f, key, fn, learning_rate, **steps, **extra)


def _dispatch(f: str, key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the selected function; its errors lead with the call the user made."""
    try:
        return fn(*args, **kwargs)
    except (TypeError, ValueError, OverflowError) as err:
        message = str(err)
        if not message.startswith(fn.__name__):  # Python's own: an unknown keyword argument
            message = f"{fn.__name__}: {message}"
        raise type(err)(f"{f}(name={key!r}): {message}") from None


__all__ = ["get_scheduler", "greedy_lr", "GreedyState", *(fn.__name__ for fn in _BY_NAME.values())]  # pyright: ignore[reportUnsupportedDunderAll]
