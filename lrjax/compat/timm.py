"""timm's ``timm.scheduler`` schedulers as lrjax schedules (timm 1.0.31), per update.

Each function mirrors a timm scheduler class, with the optimizer's base learning rate first
and timm's argument names and defaults after it, for ``t_in_epochs=False``: ``t`` counts
optimizer updates. The value at step ``t`` is the learning rate of the ``t``-th update in
timm's own training loop (``train.py``: ``optimizer.step()``, then
``lr_scheduler.step_update(num_updates)``), i.e. timm's ``_get_lr(t)`` for ``t >= 1`` and,
for the first update, the value timm's constructor leaves in the optimizer: ``warmup_lr_init``
when ``warmup_t > 0``, else the base lr. These agree with ``_get_lr(0)`` except for
``tanh_lr`` without warmup (``_get_lr(0)`` is ``lr_min + (b - lr_min)(1 - tanh(lb))/2``) and
for a ``multistep_lr`` milestone at 0 or 1, which timm applies only from update 1.
Nothing here imports timm or torch.

Deliberate differences from timm:

1. Noise (``noise_range_t`` and friends) is random and is not reproduced.
2. ``cycle_mul < 1`` is rejected (timm's cycle index takes the log of a negative number once
   the shrinking cycles are exhausted, and raises).
3. With ``cycle_mul != 1`` the cycle index is the exact one (the start of cycle ``i`` is
   ``t_initial (cycle_mul**i - 1) / (cycle_mul - 1)``); timm computes it with a float64
   logarithm that can land one cycle early exactly at a restart step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.combinators.cycle import geometric_cycle
from lrjax.core import checks as v
from lrjax.core.kernel_legacy import (
    Progress,
    Weights,
    blend,
    cosine_weights,
    power_weights,
    progress,
)
from lrjax.core.schedule import AbstractSchedule, Array, ArrayLike
from lrjax.schedules.piecewise import piece_index

__all__ = ["cosine_lr", "tanh_lr", "poly_lr", "step_lr", "multistep_lr"]


def _pow(x: Array, n: Array) -> Array:
    """``x ** n`` for ``x >= 0`` and a whole ``n >= 0`` (``0 ** 0 == 1``), finite gradients."""
    positive = x > 0
    safe = jnp.where(positive, x, jnp.ones((), x.dtype))
    return jnp.where(n == 0, jnp.ones((), x.dtype), jnp.where(positive, safe**n, 0 * x))


class AbstractTimmScheduler(AbstractSchedule):
    """Shared warmup and first-update logic of timm's schedulers."""

    base_lr: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool

    def _decay(self, t: Array) -> Array:
        """timm's value after the warmup at (already prefix-adjusted) step ``t``."""
        raise NotImplementedError

    def _warmup_target(self, t: Array) -> Array:
        return jnp.broadcast_to(jnp.asarray(self.base_lr), t.shape)

    def _evaluate(self, t: Array) -> Array:
        warm = jnp.asarray(self.warmup_t).astype(t.dtype)
        zero = jnp.zeros((), t.dtype)
        local = jnp.maximum(t - warm, zero) if self.warmup_prefix else t
        value = self._decay(local)
        init = jnp.asarray(self.warmup_lr_init)
        target = self._warmup_target(t)
        p = progress(t, zero, warm, value.dtype)
        ramp = init + (target - init) * p.done
        value = jnp.where(t < warm, ramp, value)
        # The first update uses what timm's constructor put in the optimizer.
        first = jnp.where(warm > 0, init, jnp.asarray(self.base_lr))
        return jnp.where(t == 0, first, value)


class AbstractTimmCycle(AbstractTimmScheduler):
    """Cycles of timm's cosine, tanh and poly schedulers."""

    t_initial: Array
    lr_min: Array
    cycle_mul: Array
    cycle_decay: Array
    cycle_limit: Array

    def _shape(self, done: Array, left: Array) -> Weights:
        """Weights of ``lr_max`` and ``lr_min`` at fraction ``done = t_curr / t_i``."""
        raise NotImplementedError

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        period = jnp.maximum(jnp.asarray(self.t_initial).astype(t.dtype), 1)
        mul = jnp.asarray(self.cycle_mul)
        geometric = mul != 1

        # cycle_mul == 1: exact integers.
        i_fixed = t // period
        p_fixed = progress(t - i_fixed * period, jnp.zeros((), t.dtype), period, dtype)

        # cycle_mul != 1: estimate the index, then correct it so that start(i) <= t < start(i+1).
        k, t_curr, t_i = geometric_cycle(t, period, mul, dtype)
        p_geo = progress(t_curr, jnp.zeros((), dtype), t_i, dtype)

        index = jnp.where(geometric, k, i_fixed.astype(dtype))
        done = jnp.where(geometric, p_geo.done, p_fixed.done)
        left = jnp.where(geometric, p_geo.left, p_fixed.left)
        low = jnp.asarray(self.lr_min)
        lr_max = self.base_lr * _pow(jnp.asarray(self.cycle_decay), index)
        value = blend(lr_max, low, self._shape(done, left))
        active = index < jnp.asarray(self.cycle_limit).astype(dtype)
        return jnp.where(active, value, jnp.broadcast_to(low, value.shape))


def _k_progress(done: Array, left: Array, k: Array) -> Progress:
    """``(x**k, 1 - x**k)`` for ``x = done``, the second precise as ``x -> 1``."""
    w = power_weights(Weights(done, left), k)
    return Progress(w.start, w.end)


def _cycle_args(f: str, **kw: Any) -> dict[str, Any]:
    mul = v.as_value(f, "cycle_mul", kw["cycle_mul"], at_least=1.0)
    return dict(
        base_lr=v.as_value(f, "base_lr", kw["base_lr"], nonnegative=True),
        t_initial=v.as_count(f, "t_initial", kw["t_initial"], minimum=1),
        lr_min=v.as_value(f, "lr_min", kw["lr_min"], nonnegative=True),
        cycle_mul=mul,
        cycle_decay=v.as_value(f, "cycle_decay", kw["cycle_decay"], nonnegative=True),
        cycle_limit=v.as_count(f, "cycle_limit", kw["cycle_limit"]),
        warmup_t=v.as_count(f, "warmup_t", kw["warmup_t"]),
        warmup_lr_init=v.as_value(f, "warmup_lr_init", kw["warmup_lr_init"], nonnegative=True),
        warmup_prefix=v.as_flag(f, "warmup_prefix", kw["warmup_prefix"]),
    )


# --------------------------------------------------------------------------------------
class TimmCosine(AbstractTimmCycle):
    """timm ``CosineLRScheduler`` (built by :func:`cosine_lr`)."""

    base_lr: Array
    t_initial: Array
    lr_min: Array
    cycle_mul: Array
    cycle_decay: Array
    cycle_limit: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool = dataclasses.field(metadata=dict(static=True))
    k_decay: Array
    factory: ClassVar[str] = "cosine_lr"

    def _shape(self, done: Array, left: Array) -> Weights:
        return cosine_weights(_k_progress(done, left, self.k_decay))


def cosine_lr(
    base_lr: ArrayLike,
    t_initial: ArrayLike,
    lr_min: ArrayLike = 0.0,
    cycle_mul: ArrayLike = 1.0,
    cycle_decay: ArrayLike = 1.0,
    cycle_limit: ArrayLike = 1,
    warmup_t: ArrayLike = 0,
    warmup_lr_init: ArrayLike = 0.0,
    warmup_prefix: bool = False,
    k_decay: ArrayLike = 1.0,
) -> TimmCosine:
    r"""timm ``CosineLRScheduler`` (SGDR with k-decay), stepped per update.

    In cycle :math:`i` (length :math:`T_i = T_0 \mu^i`, :math:`t_{cur}` steps into it),

    .. math::
      \eta(t) = \eta_{min} + \tfrac{1}{2}(b\,\gamma^i - \eta_{min})
      \left(1 + \cos\left(\pi\, t_{cur}^k / T_i^k\right)\right)

    and :math:`\eta_{min}` once ``cycle_limit`` cycles are over. During the warmup
    (:math:`t < W`) the value rises linearly from ``warmup_lr_init`` to :math:`b`; with
    ``warmup_prefix=False`` (timm's default) the cycles count from step 0, so the warmup
    eats into the first cycle and the value drops at :math:`W`; with ``True`` they start at
    :math:`W`.

    Args:
      base_lr: :math:`b`, the optimizer's learning rate; ``>= 0``.
      t_initial: :math:`T_0`; an integer ``>= 1``.
      lr_min: :math:`\eta_{min}`; ``>= 0``.
      cycle_mul: :math:`\mu`; ``>= 1``.
      cycle_decay: :math:`\gamma`; ``>= 0``.
      cycle_limit: number of cycles; an integer ``>= 0``.
      warmup_t: :math:`W`; an integer ``>= 0``.
      warmup_lr_init: value at step 0 of the warmup; ``>= 0``.
      warmup_prefix: start the cycles after the warmup (static).
      k_decay: :math:`k`; ``> 0``.

    Returns:
      A ``TimmCosine`` schedule.

    Examples:
      >>> from lrjax.compat import timm as lrtimm
      >>> s = lrtimm.cosine_lr(1.0, t_initial=4, cycle_limit=3, cycle_decay=0.5)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 1, 2, 4, 5, 8, 12]))])
      [1.0, 0.854, 0.5, 0.5, 0.427, 0.25, 0.0]
    """
    args = _cycle_args("cosine_lr", **locals())
    f = "cosine_lr"
    return TimmCosine(**args, k_decay=v.as_value(f, "k_decay", k_decay, positive=True))


# --------------------------------------------------------------------------------------
class TimmTanh(AbstractTimmCycle):
    """timm ``TanhLRScheduler`` (built by :func:`tanh_lr`)."""

    base_lr: Array
    t_initial: Array
    lb: Array
    ub: Array
    lr_min: Array
    cycle_mul: Array
    cycle_decay: Array
    cycle_limit: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "tanh_lr"

    def _shape(self, done: Array, left: Array) -> Weights:
        arg = self.lb * left + self.ub * done
        # (1 - tanh(a)) / 2 == 1 / (1 + exp(2a)): both weights without cancellation.
        return Weights(jax.nn.sigmoid(-2 * arg), jax.nn.sigmoid(2 * arg))

    def _warmup_target(self, t: Array) -> Array:
        if self.warmup_prefix:
            return jnp.broadcast_to(jnp.asarray(self.base_lr), t.shape)
        # timm warms up toward its own value at step warmup_t (no drop at the hand-off).
        warm = jnp.asarray(self.warmup_t).astype(t.dtype)
        return jnp.broadcast_to(self._decay(warm), t.shape)


def tanh_lr(
    base_lr: ArrayLike,
    t_initial: ArrayLike,
    lb: ArrayLike = -7.0,
    ub: ArrayLike = 3.0,
    lr_min: ArrayLike = 0.0,
    cycle_mul: ArrayLike = 1.0,
    cycle_decay: ArrayLike = 1.0,
    cycle_limit: ArrayLike = 1,
    warmup_t: ArrayLike = 0,
    warmup_lr_init: ArrayLike = 0.0,
    warmup_prefix: bool = False,
) -> TimmTanh:
    r"""timm ``TanhLRScheduler`` (hyperbolic-tangent decay), stepped per update.

    In cycle :math:`i` with :math:`r = t_{cur} / T_i`,

    .. math::
      \eta(t) = \eta_{min} + \tfrac{1}{2}(b\,\gamma^i - \eta_{min})
      \left(1 - \tanh\left(l (1 - r) + u\, r\right)\right)

    with cycles, warmup and ``cycle_limit`` as in :func:`cosine_lr`, except that without
    ``warmup_prefix`` the warmup rises toward the value at step ``warmup_t`` (no drop).
    The first update uses ``base_lr`` when there is no warmup (timm's constructor value),
    not the formula's ``(1 - tanh(lb)) / 2`` fraction of it.

    Args:
      base_lr: :math:`b`; ``>= 0``.
      t_initial: :math:`T_0`; an integer ``>= 1``.
      lb: :math:`l`, the tanh argument at the start; ``< ub``.
      ub: :math:`u`, the tanh argument at the end.
      lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix:
        as in :func:`cosine_lr`.

    Returns:
      A ``TimmTanh`` schedule.

    Examples:
      >>> from lrjax.compat import timm as lrtimm
      >>> s = lrtimm.tanh_lr(1.0, t_initial=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 1, 7, 10]))])
      [1.0, 1.0, 0.5, 0.0]
    """
    args = _cycle_args("tanh_lr", **locals())
    f = "tanh_lr"
    low = v.as_value(f, "lb", lb)
    high = v.as_value(f, "ub", ub)
    a, b = v.concrete(low), v.concrete(high)
    if a is not None and b is not None and not a < b:
        raise ValueError(f"{f}(lb={a!r}, ub={b!r}): lb must be < ub")
    return TimmTanh(
        args["base_lr"],
        args["t_initial"],
        low,
        high,
        args["lr_min"],
        args["cycle_mul"],
        args["cycle_decay"],
        args["cycle_limit"],
        args["warmup_t"],
        args["warmup_lr_init"],
        args["warmup_prefix"],
    )


# --------------------------------------------------------------------------------------
class TimmPoly(AbstractTimmCycle):
    """timm ``PolyLRScheduler`` (built by :func:`poly_lr`)."""

    base_lr: Array
    t_initial: Array
    power: Array
    lr_min: Array
    cycle_mul: Array
    cycle_decay: Array
    cycle_limit: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool = dataclasses.field(metadata=dict(static=True))
    k_decay: Array
    factory: ClassVar[str] = "poly_lr"

    def _shape(self, done: Array, left: Array) -> Weights:
        kp = _k_progress(done, left, self.k_decay)
        return power_weights(Weights(kp.left, kp.done), self.power)


def poly_lr(
    base_lr: ArrayLike,
    t_initial: ArrayLike,
    power: ArrayLike = 0.5,
    lr_min: ArrayLike = 0.0,
    cycle_mul: ArrayLike = 1.0,
    cycle_decay: ArrayLike = 1.0,
    cycle_limit: ArrayLike = 1,
    warmup_t: ArrayLike = 0,
    warmup_lr_init: ArrayLike = 0.0,
    warmup_prefix: bool = False,
    k_decay: ArrayLike = 1.0,
) -> TimmPoly:
    r"""timm ``PolyLRScheduler`` (polynomial decay with k-decay), stepped per update.

    In cycle :math:`i`,

    .. math::
      \eta(t) = \eta_{min} + (b\,\gamma^i - \eta_{min})
      \left(1 - t_{cur}^k / T_i^k\right)^{p}

    with cycles, warmup and ``cycle_limit`` as in :func:`cosine_lr`.

    Args:
      base_lr: :math:`b`; ``>= 0``.
      t_initial: :math:`T_0`; an integer ``>= 1``.
      power: :math:`p`; ``> 0``.
      lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix,
        k_decay: as in :func:`cosine_lr`.

    Returns:
      A ``TimmPoly`` schedule.

    Examples:
      >>> from lrjax.compat import timm as lrtimm
      >>> s = lrtimm.poly_lr(1.0, t_initial=10, power=2.0)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10]))])
      [1.0, 0.25, 0.0]
    """
    args = _cycle_args("poly_lr", **locals())
    f = "poly_lr"
    return TimmPoly(
        args["base_lr"],
        args["t_initial"],
        v.as_value(f, "power", power, positive=True),
        args["lr_min"],
        args["cycle_mul"],
        args["cycle_decay"],
        args["cycle_limit"],
        args["warmup_t"],
        args["warmup_lr_init"],
        args["warmup_prefix"],
        v.as_value(f, "k_decay", k_decay, positive=True),
    )


# --------------------------------------------------------------------------------------
class TimmStep(AbstractTimmScheduler):
    """timm ``StepLRScheduler`` (built by :func:`step_lr`)."""

    base_lr: Array
    decay_t: Array
    decay_rate: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "step_lr"

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        n = jnp.floor(t.astype(dtype) / self.decay_t)
        return self.base_lr * _pow(jnp.asarray(self.decay_rate), n)


def step_lr(
    base_lr: ArrayLike,
    decay_t: ArrayLike,
    decay_rate: ArrayLike = 1.0,
    warmup_t: ArrayLike = 0,
    warmup_lr_init: ArrayLike = 0.0,
    warmup_prefix: bool = True,
) -> TimmStep:
    r"""timm ``StepLRScheduler``, stepped per update.

    .. math::
      \eta(t) = b\, r^{\lfloor t' / d \rfloor}, \qquad t' = t - W \text{ if warmup\_prefix
      else } t

    after a linear warmup from ``warmup_lr_init`` to :math:`b` over :math:`W` steps.

    Args:
      base_lr: :math:`b`; ``>= 0``.
      decay_t: :math:`d`, steps per decay; ``> 0`` (may be fractional, like timm's float).
      decay_rate: :math:`r`; ``>= 0``.
      warmup_t: :math:`W`; an integer ``>= 0``.
      warmup_lr_init: value at step 0 of the warmup; ``>= 0``.
      warmup_prefix: count the decay from the end of the warmup (timm's default here; static).

    Returns:
      A ``TimmStep`` schedule.

    Examples:
      >>> from lrjax.compat import timm as lrtimm
      >>> s = lrtimm.step_lr(1.0, decay_t=3, decay_rate=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 2, 3, 6]))])
      [1.0, 1.0, 0.5, 0.25]
    """
    f = "step_lr"
    return TimmStep(
        v.as_value(f, "base_lr", base_lr, nonnegative=True),
        v.as_value(f, "decay_t", decay_t, positive=True),
        v.as_value(f, "decay_rate", decay_rate, nonnegative=True),
        v.as_count(f, "warmup_t", warmup_t),
        v.as_value(f, "warmup_lr_init", warmup_lr_init, nonnegative=True),
        v.as_flag(f, "warmup_prefix", warmup_prefix),
    )


# --------------------------------------------------------------------------------------
class TimmMultiStep(AbstractTimmScheduler):
    """timm ``MultiStepLRScheduler`` (built by :func:`multistep_lr`)."""

    base_lr: Array
    decay_t: Array
    decay_rate: Array
    warmup_t: Array
    warmup_lr_init: Array
    warmup_prefix: bool = dataclasses.field(metadata=dict(static=True))
    factory: ClassVar[str] = "multistep_lr"

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        # timm: bisect_right(decay_t, t + 1), milestone m applies from t = m - 1.
        count = piece_index(jnp.asarray(self.decay_t), t + 1).astype(dtype)
        return self.base_lr * _pow(jnp.asarray(self.decay_rate), count)


def multistep_lr(
    base_lr: ArrayLike,
    decay_t: Sequence[int] | ArrayLike,
    decay_rate: ArrayLike = 1.0,
    warmup_t: ArrayLike = 0,
    warmup_lr_init: ArrayLike = 0.0,
    warmup_prefix: bool = True,
) -> TimmMultiStep:
    r"""timm ``MultiStepLRScheduler``, stepped per update.

    .. math::
      \eta(t) = b\, r^{\#\{i : m_i \le t' + 1\}}

    so milestone :math:`m` applies from :math:`t' = m - 1` (timm's deliberate convention,
    one step before torch's ``MultiStepLR``); :math:`t'` as in :func:`step_lr`.

    Args:
      base_lr: :math:`b`; ``>= 0``.
      decay_t: milestones :math:`m_i`; non-decreasing integers ``>= 0``.
      decay_rate: :math:`r`; ``>= 0``.
      warmup_t, warmup_lr_init, warmup_prefix: as in :func:`step_lr`.

    Returns:
      A ``TimmMultiStep`` schedule.

    Examples:
      >>> from lrjax.compat import timm as lrtimm
      >>> s = lrtimm.multistep_lr(1.0, decay_t=[3, 6], decay_rate=0.1)
      >>> print([round(float(x), 4) for x in s(jnp.array([1, 2, 4, 5]))])
      [1.0, 0.1, 0.1, 0.01]
    """
    f = "multistep_lr"
    ms = decay_t
    if isinstance(ms, (list, tuple)) and not any(isinstance(m, Tracer) for m in ms):
        ms = np.asarray(ms) if len(ms) else np.zeros((0,), np.int64)
    return TimmMultiStep(
        v.as_value(f, "base_lr", base_lr, nonnegative=True),
        v.as_count_sequence(f, "decay_t", ms, strictly_increasing=False),
        v.as_value(f, "decay_rate", decay_rate, nonnegative=True),
        v.as_count(f, "warmup_t", warmup_t),
        v.as_value(f, "warmup_lr_init", warmup_lr_init, nonnegative=True),
        v.as_flag(f, "warmup_prefix", warmup_prefix),
    )
