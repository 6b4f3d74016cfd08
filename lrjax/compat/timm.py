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

from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import Progress, progress, ramp, restart_progress
from lrjax.core.schedule import AbstractSchedule, Array, ArrayLike, Param, make_factory
from lrjax.schedules.piecewise import piece_index

__all__ = ["cosine_lr", "tanh_lr", "poly_lr", "step_lr", "multistep_lr"]


def _pow(x: Array, n: Array) -> Array:
    """``x ** n`` for ``x >= 0`` and a whole ``n >= 0`` (``0 ** 0 == 1``), finite gradients."""
    positive = x > 0
    safe = jnp.where(positive, x, jnp.ones((), x.dtype))
    return jnp.where(n == 0, jnp.ones((), x.dtype), jnp.where(positive, safe**n, 0 * x))


def _power(a: Array, b: Array, e: Any) -> Progress:
    """``(a**e, 1 - a**e)`` for ``a + b == 1``: timm's k-decay and poly exponents, which no
    core ramp has. The second is ``-expm1(e log1p(-b))``, precise where it is small; both
    are exact and have finite gradients at 0 and 1."""
    e = jnp.asarray(e).astype(a.dtype)
    inside = (a > 0) & (a < 1)
    safe_a, safe_b = jnp.where(inside, a, 0.5), jnp.where(inside, b, 0.5)
    first = jnp.where(inside, safe_a**e, jnp.where(a >= 1, 1.0, 0.0))
    return Progress(first, jnp.where(inside, -jnp.expm1(e * jnp.log1p(-safe_b)), 1 - a))


class AbstractTimmScheduler(AbstractSchedule):
    """Shared warmup and first-update logic of timm's schedulers."""

    if TYPE_CHECKING:
        # The fields are declared by each concrete class, in its peer's argument order.
        def __getattr__(self, name: str) -> Any: ...

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
        p = progress(t, zero, warm, value.dtype)
        value = jnp.where(t < warm, ramp("linear", init, self._warmup_target(t), p), value)
        # The first update uses what timm's constructor put in the optimizer.
        first = jnp.where(warm > 0, init, jnp.asarray(self.base_lr))
        return jnp.where(t == 0, first, value)


class AbstractTimmCycle(AbstractTimmScheduler):
    """Cycles of timm's cosine, tanh and poly schedulers.

    Not ``lrjax.cycle``: timm's ``cycle_decay`` scales only the part above ``lr_min``, its
    ``cycle_limit`` may be 0, and its progress through a (possibly non-integer) cycle length
    must keep full precision at both ends (``cycle`` squeezes each cycle onto one period).
    """

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        """timm's curve from ``lr_max`` to ``low`` at progress ``p = t_curr / t_i``."""
        raise NotImplementedError

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        index, p = restart_progress(t, self.t_initial, self.cycle_mul, dtype)
        low = jnp.asarray(self.lr_min)
        lr_max = self.base_lr * _pow(jnp.asarray(self.cycle_decay), index)
        value = self._shape(lr_max, low, p)
        active = index < jnp.asarray(self.cycle_limit).astype(dtype)
        return jnp.where(active, value, jnp.broadcast_to(low, value.shape))


# --------------------------------------------------------------------------------------
class TimmCosine(AbstractTimmCycle, factory="cosine_lr"):
    """timm ``CosineLRScheduler`` (built by :func:`cosine_lr`)."""

    base_lr: Param = fields.value(nonnegative=True)
    t_initial: Param = fields.count(minimum=1)
    lr_min: Param = fields.value(nonnegative=True)
    cycle_mul: Param = fields.value(at_least=1.0)
    cycle_decay: Param = fields.value(nonnegative=True)
    cycle_limit: Param = fields.count()
    warmup_t: Param = fields.count()
    warmup_lr_init: Param = fields.value(nonnegative=True)
    warmup_prefix: bool = fields.flag()
    k_decay: Param = fields.value(positive=True)

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        return ramp("cosine", lr_max, low, _power(p.done, p.left, self.k_decay))


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
    return TimmCosine(**locals())


# --------------------------------------------------------------------------------------
class TimmTanh(AbstractTimmCycle, factory="tanh_lr"):
    """timm ``TanhLRScheduler`` (built by :func:`tanh_lr`)."""

    base_lr: Param = fields.value(nonnegative=True)
    t_initial: Param = fields.count(minimum=1)
    lb: Param = fields.value()
    ub: Param = fields.value()
    lr_min: Param = fields.value(nonnegative=True)
    cycle_mul: Param = fields.value(at_least=1.0)
    cycle_decay: Param = fields.value(nonnegative=True)
    cycle_limit: Param = fields.count()
    warmup_t: Param = fields.count()
    warmup_lr_init: Param = fields.value(nonnegative=True)
    warmup_prefix: bool = fields.flag()

    def check(self) -> None:
        a, b = v.concrete(self.lb), v.concrete(self.ub)
        ok = None if a is None or b is None else a < b
        v.require(ok, f"{self.factory}(lb={a!r}, ub={b!r})", "lb must be < ub")

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        # timm's (1 - tanh(a)) / 2, unscaled (core tanh_decay rescales it to hit both ends),
        # as 1 / (1 + exp(2a)): both weights without cancellation.
        arg = self.lb * p.left + self.ub * p.done
        return ramp(
            "linear", lr_max, low, Progress(jax.nn.sigmoid(2 * arg), jax.nn.sigmoid(-2 * arg))
        )

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
    return TimmTanh(**locals())


# --------------------------------------------------------------------------------------
class TimmPoly(AbstractTimmCycle, factory="poly_lr"):
    """timm ``PolyLRScheduler`` (built by :func:`poly_lr`)."""

    base_lr: Param = fields.value(nonnegative=True)
    t_initial: Param = fields.count(minimum=1)
    power: Param = fields.value(positive=True)
    lr_min: Param = fields.value(nonnegative=True)
    cycle_mul: Param = fields.value(at_least=1.0)
    cycle_decay: Param = fields.value(nonnegative=True)
    cycle_limit: Param = fields.count()
    warmup_t: Param = fields.count()
    warmup_lr_init: Param = fields.value(nonnegative=True)
    warmup_prefix: bool = fields.flag()
    k_decay: Param = fields.value(positive=True)

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        kp = _power(p.done, p.left, self.k_decay)
        left, done = _power(kp.left, kp.done, self.power)  # (1 - x**k)**power and its rest
        return ramp("linear", lr_max, low, Progress(done, left))


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
    return TimmPoly(**locals())


# --------------------------------------------------------------------------------------
class TimmStep(AbstractTimmScheduler, factory="step_lr"):
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

    base_lr: Param = fields.value(nonnegative=True)
    decay_t: Param = fields.value(positive=True)
    decay_rate: Param = fields.value(nonnegative=True, default=1.0)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=True)

    def _decay(self, t: Array) -> Array:
        # decay_t may be fractional (a float in timm): not core exponential_decay's count.
        n = jnp.floor(t.astype(jnp.asarray(self.base_lr).dtype) / self.decay_t)
        return self.base_lr * _pow(jnp.asarray(self.decay_rate), n)


step_lr = make_factory(TimmStep)


# --------------------------------------------------------------------------------------
class TimmMultiStep(AbstractTimmScheduler, factory="multistep_lr"):
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

    base_lr: Param = fields.value(nonnegative=True)
    decay_t: Param = fields.counts()
    decay_rate: Param = fields.value(nonnegative=True, default=1.0)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=True)

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        # timm: bisect_right(decay_t, t + 1), milestone m applies from t = m - 1.
        count = piece_index(jnp.asarray(self.decay_t), t + 1).astype(dtype)
        return self.base_lr * _pow(jnp.asarray(self.decay_rate), count)


multistep_lr = make_factory(TimmMultiStep)
