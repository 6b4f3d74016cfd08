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
from typing import Any

import jax.numpy as jnp

from lrjax.combinators.join import join_schedules
from lrjax.combinators.warmup import warmup
from lrjax.compat.torch import reduce_lr_on_plateau
from lrjax.core import checks as v
from lrjax.core import fields
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
            # The explicit reciprocal: XLA on CPU uses one for arrays, not for scalars.
            half = jnp.sin(jnp.pi * m.astype(dtype) * (1 / period.astype(dtype))) ** 2
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
        left = progress(r, jnp.zeros((), dtype), lf, dtype).left
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
      power: the exponent of the decay; ``> 0``.

    Examples:
      >>> s = lrh.get_polynomial_decay_schedule_with_warmup(1.0, 2, 12, lr_end=0.0, power=2.0)
      >>> print([round(float(x), 3) for x in s(jnp.array([1, 2, 7, 12, 20]))])
      [0.5, 1.0, 0.25, 0.0, 0.0]
    """

    lr_end: Param = fields.value(nonnegative=True, default=1e-7)
    power: Param = fields.value(positive=True, default=1.0)

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
      name: a ``SchedulerType`` value (or the enum member) but "greedy";
        "reduce_lr_on_plateau" gives torch's adaptive ``reduce_lr_on_plateau``.
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
    if key == "greedy":
        raise ValueError(f"{f}(name={key!r}): HF's greedy scheduler has no lrjax counterpart")
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


__all__ = ["get_scheduler", *(fn.__name__ for fn in _BY_NAME.values())]  # pyright: ignore[reportUnsupportedDunderAll]
