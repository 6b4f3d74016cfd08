"""timm's ``timm.scheduler`` schedulers as lrjax schedules (timm 1.0.31), per update.

Each function mirrors a timm scheduler class, with the optimizer's base learning rate first
and timm's argument names and defaults after it, for ``t_in_epochs=False``: the value at
step ``t`` is the learning rate of the ``t``-th update in timm's ``train.py`` loop, i.e.
``_get_lr(t)`` for ``t >= 1`` and, at ``t = 0``, the value timm's constructor leaves in the
optimizer (``warmup_lr_init`` when ``warmup_t > 0``, else the base lr). Noise is not
reproduced, ``cycle_mul < 1`` is rejected and the cycle index is exact: the deviations are
listed in docs/compat_torch_hf_timm.md. Nothing here imports timm or torch.

Examples use ``from lrjax.compat import timm as lrtimm``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from lrjax.adaptive.base import PlateauState
from lrjax.adaptive.plateau import MODES, AbstractPlateau
from lrjax.compat.torch import torch_plateau_step
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import (
    Progress,
    capped_power,
    progress,
    ramp,
    restart_progress,
    unit_power,
)
from lrjax.core.schedule import AbstractSchedule, Array, Param, factory_names, make_factory
from lrjax.schedules.piecewise import piece_index
from lrjax.schedules.primitives import constant


def _pow(x: Array, n: Array) -> Array:
    """``x ** n`` for ``x >= 0`` and a whole ``n >= 0`` (``0 ** 0 == 1``), finite gradients;
    a growth (``decay_rate`` or ``cycle_decay`` above 1) saturates at ``e**80``."""
    return capped_power(x, n)


def _power(a: Array, b: Array, e: Any) -> Progress:
    """``(a**e, 1 - a**e)`` for ``a + b == 1``: timm's k-decay and poly exponents, which no
    core ramp has. The second is ``-expm1(e log1p(-b))``, precise where it is small; both
    are exact and have finite gradients at 0 and 1."""
    e = jnp.asarray(e).astype(a.dtype)
    inside = (a > 0) & (a < 1)
    safe_a, safe_b = jnp.where(inside, a, 0.5), jnp.where(inside, b, 0.5)
    first = jnp.where(inside, unit_power(safe_a, e), jnp.where(a >= 1, 1.0, 0.0))
    return Progress(first, jnp.where(inside, -jnp.expm1(e * jnp.log1p(-safe_b)), 1 - a))


class AbstractTimmScheduler(AbstractSchedule):
    """Shared warmup and first-update logic of timm's schedulers."""

    base_lr: Param = fields.value(nonnegative=True)

    if TYPE_CHECKING:
        # The other fields are declared by each concrete class, in its peer's argument order.
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

    t_initial: Param = fields.count(minimum=1)

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        """timm's curve from ``lr_max`` to ``low`` at progress ``p = t_curr / t_i``."""
        raise NotImplementedError

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        index, p = restart_progress(t, self.t_initial, self.cycle_mul, dtype)
        low = jnp.asarray(self.lr_min)
        lr_max = jnp.asarray(self.base_lr)
        if self.cycle_decay is not None:
            lr_max = lr_max * _pow(jnp.asarray(self.cycle_decay), index)
        value = self._shape(lr_max, low, p)
        active = index < jnp.asarray(self.cycle_limit).astype(dtype)
        return jnp.where(active, value, jnp.broadcast_to(low, value.shape))


# --------------------------------------------------------------------------------------
class TimmCosine(AbstractTimmCycle, factory="cosine_lr"):
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
      cycle_mul: :math:`\mu`; ``>= 1``, or None (the default) for timm's 1 computed as
        structure (see :func:`lrjax.cycle`'s ``period_mul``).
      cycle_decay: :math:`\gamma`; ``>= 0``, or None (the default) for timm's 1.
      cycle_limit: number of cycles; an integer ``>= 0``.
      warmup_t: :math:`W`; an integer ``>= 0``.
      warmup_lr_init: value at step 0 of the warmup; ``>= 0``.
      warmup_prefix: start the cycles after the warmup (static).
      k_decay: :math:`k`; ``> 0``.

    Examples:
      >>> s = lrtimm.cosine_lr(1.0, t_initial=4, cycle_limit=3, cycle_decay=0.5)
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 1, 2, 4, 5, 8, 12]))])
      [1.0, 0.854, 0.5, 0.5, 0.427, 0.25, 0.0]
    """

    lr_min: Param = fields.value(nonnegative=True, default=0.0)
    cycle_mul: Param | None = fields.value(at_least=1.0, optional=True, default=None)
    cycle_decay: Param | None = fields.value(nonnegative=True, optional=True, default=None)
    cycle_limit: Param = fields.count(default=1)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=False)
    k_decay: Param = fields.value(positive=True, default=1.0)

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        return ramp("cosine", lr_max, low, _power(p.done, p.left, self.k_decay))


cosine_lr = make_factory(TimmCosine)


# --------------------------------------------------------------------------------------
class TimmTanh(AbstractTimmCycle, factory="tanh_lr"):
    r"""timm ``TanhLRScheduler`` (hyperbolic-tangent decay), stepped per update.

    In cycle :math:`i` with :math:`r = t_{cur} / T_i`,

    .. math::
      \eta(t) = \eta_{min} + \tfrac{1}{2}(b\,\gamma^i - \eta_{min})
      \left(1 - \tanh\left(l (1 - r) + u\, r\right)\right)

    with cycles, warmup and ``cycle_limit`` as in :func:`cosine_lr`, except that without
    ``warmup_prefix`` the warmup rises toward the value at step ``warmup_t`` (no drop).
    Without warmup the first update uses ``base_lr`` (timm's constructor value).

    Args:
      base_lr: :math:`b`; ``>= 0``.
      t_initial: :math:`T_0`; an integer ``>= 1``.
      lb: :math:`l`, the tanh argument at the start; ``< ub``.
      ub: :math:`u`, the tanh argument at the end.
      lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix:
        as in :func:`cosine_lr`.

    Examples:
      >>> s = lrtimm.tanh_lr(1.0, t_initial=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 1, 7, 10]))])
      [1.0, 1.0, 0.5, 0.0]
    """

    lb: Param = fields.value(default=-7.0)
    ub: Param = fields.value(default=3.0)
    lr_min: Param = fields.value(nonnegative=True, default=0.0)
    cycle_mul: Param | None = fields.value(at_least=1.0, optional=True, default=None)
    cycle_decay: Param | None = fields.value(nonnegative=True, optional=True, default=None)
    cycle_limit: Param = fields.count(default=1)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=False)

    def check(self) -> None:
        v.require_args(self, "lb ub", operator.lt, "lb must be < ub")

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


tanh_lr = make_factory(TimmTanh)


# --------------------------------------------------------------------------------------
class TimmPoly(AbstractTimmCycle, factory="poly_lr"):
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

    Examples:
      >>> s = lrtimm.poly_lr(1.0, t_initial=10, power=2.0)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10]))])
      [1.0, 0.25, 0.0]
    """

    power: Param = fields.value(positive=True, default=0.5)
    lr_min: Param = fields.value(nonnegative=True, default=0.0)
    cycle_mul: Param | None = fields.value(at_least=1.0, optional=True, default=None)
    cycle_decay: Param | None = fields.value(nonnegative=True, optional=True, default=None)
    cycle_limit: Param = fields.count(default=1)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=False)
    k_decay: Param = fields.value(positive=True, default=1.0)

    def _shape(self, lr_max: Array, low: Array, p: Progress) -> Array:
        kp = _power(p.done, p.left, self.k_decay)
        left, done, _ = _power(kp.left, kp.done, self.power)  # (1 - x**k)**power and its rest
        return ramp("linear", lr_max, low, Progress(done, left))


poly_lr = make_factory(TimmPoly)


# --------------------------------------------------------------------------------------
class AbstractTimmStep(AbstractTimmScheduler):
    """timm's step and multistep schedulers: the same arguments (``TimmMultiStep`` redeclares
    ``decay_t``, which keeps its place), decay counted from the end of the warmup by default.
    """

    decay_t: Param = fields.value(positive=True)
    decay_rate: Param = fields.value(nonnegative=True, default=1.0)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    warmup_prefix: bool = fields.flag(default=True)

    def _decay(self, t: Array) -> Array:
        return self.base_lr * _pow(jnp.asarray(self.decay_rate), self._decays(t))

    def _decays(self, t: Array) -> Array:
        """The number of decays applied at (already prefix-adjusted) step ``t``."""
        raise NotImplementedError


class TimmStep(AbstractTimmStep, factory="step_lr"):
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

    Examples:
      >>> s = lrtimm.step_lr(1.0, decay_t=3, decay_rate=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 2, 3, 6]))])
      [1.0, 1.0, 0.5, 0.25]
    """

    def _decays(self, t: Array) -> Array:
        # decay_t may be fractional (a float in timm): not core exponential_decay's count.
        return jnp.floor(t.astype(jnp.asarray(self.base_lr).dtype) / self.decay_t)


step_lr = make_factory(TimmStep)


# --------------------------------------------------------------------------------------
class TimmMultiStep(AbstractTimmStep, factory="multistep_lr"):
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

    Examples:
      >>> s = lrtimm.multistep_lr(1.0, decay_t=[3, 6], decay_rate=0.1)
      >>> print([round(float(x), 4) for x in s(jnp.array([1, 2, 4, 5]))])
      [1.0, 0.1, 0.1, 0.01]
    """

    decay_t: Param = fields.counts()

    def _decays(self, t: Array) -> Array:
        # timm: bisect_right(decay_t, t + 1), milestone m applies from t = m - 1.
        count = piece_index(jnp.asarray(self.decay_t), t + 1)
        return count.astype(jnp.asarray(self.base_lr).dtype)


multistep_lr = make_factory(TimmMultiStep)


# --------------------------------------------------------------------------------------
WSD_STABLE_FNS = ("constant", "rsqrt", "power")
WSD_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")


class TimmWSD(AbstractTimmScheduler, factory="wsd_lr"):
    r"""timm ``WSDLRScheduler`` (warmup, stable, decay), stepped per update.

    After a linear warmup from ``warmup_lr_init`` to :math:`b` over :math:`W` steps (always
    a prefix), with :math:`t_s = t - W`, :math:`D` = ``decay_t`` and :math:`T` =
    ``t_initial`` (stable + decay),

    .. math::
      s(t) = \max(b\, g(t_s), \eta_{min}), \qquad
      \eta(t) = \begin{cases} s(t) & t_s \le T - D \\
      \eta_{min} + (s(t) - \eta_{min})\, d(f) & \text{else}, \;
      f = \min(1, (t_s - T + D) / D) \end{cases}

    with the stable function :math:`g` = 1 ("constant"), :math:`(1 + t_s/\tau)^{-1/2}`
    ("rsqrt") or :math:`(1 + t_s/\tau)^{-p_s}` ("power"), and the decay :math:`d(f)` =
    :math:`1 - f` ("linear"), :math:`1 - \sqrt f` ("1-sqrt"), :math:`\tfrac12(1 + \cos \pi
    f)` ("cosine"), :math:`1 - f^{p_d}` ("power") or :math:`(r^f - r)/(1 - r)` ("exp"), each
    computed from :math:`1 - f` so the last steps keep full relative precision. From
    :math:`W + T` on the value is :math:`\eta_{min}`. timm's callable ``decay_fn`` is not
    reproduced (a function is not data).

    Args:
      base_lr: :math:`b`; ``>= 0``.
      t_initial: :math:`T`, steps of the stable + decay phases; an integer ``>= 1``.
      decay_t: :math:`D`, steps of the decay; an integer in ``[1, t_initial]``.
      lr_min: :math:`\eta_{min}`; ``>= 0``.
      stable_fn: "constant", "rsqrt" or "power" (static).
      stable_timescale: :math:`\tau`; ``> 0``, or None for ``warmup_t`` (which must then be
        ``> 0`` unless ``stable_fn="constant"``).
      stable_power: :math:`p_s`; ``> 0``.
      decay_fn: "linear", "1-sqrt", "cosine", "power" or "exp" (static).
      decay_power: :math:`p_d`; ``> 0``.
      decay_ratio: :math:`r`; in ``(0, 1)``.
      warmup_t: :math:`W`; an integer ``>= 0``.
      warmup_lr_init: value at step 0 of the warmup; ``>= 0``.

    Examples:
      >>> s = lrtimm.wsd_lr(1.0, t_initial=8, decay_t=4, decay_fn="linear", warmup_t=2)
      >>> print([round(float(x), 3) for x in s(jnp.arange(12))])
      [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    t_initial: Param = fields.count(minimum=1)
    decay_t: Param = fields.count(minimum=1)
    lr_min: Param = fields.value(nonnegative=True, default=0.0)
    stable_fn: str = fields.choice(WSD_STABLE_FNS, default="constant")
    stable_timescale: Param | None = fields.value(positive=True, optional=True, default=None)
    stable_power: Param = fields.value(positive=True, default=0.5)
    decay_fn: str = fields.choice(WSD_DECAY_FNS, default="1-sqrt")
    decay_power: Param = fields.value(positive=True, default=0.5)
    decay_ratio: Param = fields.value(positive=True, default=0.1)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    # timm's WSD warmup is always a prefix (not an argument).
    warmup_prefix = True

    def check(self) -> None:
        v.require_args(self, "decay_t t_initial", operator.le, "decay_t must be <= t_initial")
        v.require_args(self, "decay_ratio", lambda r: r < 1, "decay_ratio must be in (0, 1)")
        if self.stable_fn != "constant" and self.stable_timescale is None:
            v.require_args(
                self,
                "warmup_t",
                lambda w: w > 0,
                f"stable_fn={self.stable_fn!r} needs a stable_timescale > 0; it defaults to "
                "warmup_t, so give it when there is no warmup",
            )

    def _stable(self, ts: Array, dtype: Any) -> Array:
        """timm's stable factor at ``ts`` steps after the warmup (1 at ``ts == 0``)."""
        if self.stable_fn == "constant":
            return jnp.ones(ts.shape, dtype)
        scale = self.warmup_t if self.stable_timescale is None else self.stable_timescale
        power = 0.5 if self.stable_fn == "rsqrt" else self.stable_power
        return (1 + ts.astype(dtype) / jnp.asarray(scale).astype(dtype)) ** -jnp.asarray(power)

    def _fall(self, done: Array, left: Array) -> Array:
        """timm's decay factor ``d(f)`` at ``f = done = 1 - left``, from 1 to 0."""
        fn = self.decay_fn
        if fn == "linear":
            return left
        if fn == "1-sqrt":
            return left / (1 + jnp.sqrt(done))  # 1 - sqrt(f), without cancellation
        if fn == "cosine":
            return ramp("cosine", 1.0, 0.0, Progress(done, left))
        if fn == "power":
            return _power(done, left, self.decay_power).left  # 1 - f ** p, as -expm1
        r = jnp.asarray(self.decay_ratio)  # (r**f - r) / (1 - r) = r expm1(-left log r) / (1 - r)
        return r * jnp.expm1(-left * jnp.log(r)) / (1 - r)

    def _decay(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        low = jnp.asarray(self.lr_min)
        stable = jnp.maximum(self.base_lr * self._stable(t, dtype), low)
        start = jnp.asarray(self.t_initial - self.decay_t).astype(t.dtype)
        p = progress(t, start, jnp.asarray(self.decay_t), dtype)
        return jnp.where(t <= start, stable, low + (stable - low) * self._fall(p.done, p.left))


wsd_lr = make_factory(TimmWSD)


# --------------------------------------------------------------------------------------
def _cycle_length(t_initial: Any, cycle_mul: float, cycle_limit: int) -> int:
    """timm's ``get_cycle_length()`` of its cosine, tanh and poly schedulers (no warmup)."""
    cycles = max(1, cycle_limit)
    if cycle_mul == 1.0:
        return t_initial * cycles
    return int(math.floor(-t_initial * (cycle_mul**cycles - 1) / (1 - cycle_mul)))


def create_scheduler_v2(
    base_lr: float,
    sched: str = "cosine",
    num_epochs: int = 300,
    decay_epochs: float | None = None,
    decay_milestones: Sequence[int] = (90, 180, 270),
    cooldown_epochs: int = 0,
    patience_epochs: int = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: int = 0,
    warmup_prefix: bool = False,
    noise: float | Sequence[float] | None = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: str = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> tuple[Any, int]:
    """timm's ``create_scheduler_v2``: a scheduler by name, with timm's argument mapping.

    Returns ``(schedule, num_epochs)`` as timm does, ``num_epochs`` being the epochs to
    train including the warmup prefix and the cooldown. The schedule's step is the epoch
    (``step_on_epochs=True``, timm's default: ``scheduler.step(epoch + 1)`` after each epoch)
    or the update (``step_on_epochs=False``: lengths are multiplied by ``updates_per_epoch``,
    ``scheduler.step_update(num_updates)`` after each update). "cosine", "tanh", "poly",
    "step", "multistep", "constant" (a step schedule that never decays: warmup then
    ``base_lr``), "wsd" and "rsqrt" give :func:`cosine_lr`, :func:`tanh_lr`,
    :func:`poly_lr` (``power=decay_rate``), :func:`step_lr`, :func:`multistep_lr` and
    :func:`wsd_lr`; "plateau" the adaptive :func:`plateau_lr` (per epoch only); "none"
    (timm leaves the lr alone) a constant ``base_lr``.

    The arguments after ``sched`` are timm's, with its names and defaults: ``num_epochs``,
    ``decay_epochs``, ``decay_milestones``, ``cooldown_epochs``, ``patience_epochs``,
    ``decay_rate``, ``min_lr``, ``warmup_lr``, ``warmup_epochs``, ``warmup_prefix``,
    ``cycle_mul``, ``cycle_decay``, ``cycle_limit``, ``k_decay``, ``decay_fn``,
    ``stable_timescale``, ``plateau_mode``, ``step_on_epochs``, ``updates_per_epoch``.

    Args:
      base_lr: the optimizer's learning rate (timm reads it from the optimizer).
      sched: the scheduler's name, as above.
      noise: must be None: lrjax does not reproduce timm's lr noise (``noise_pct``,
        ``noise_std`` and ``noise_seed`` only matter with it, as in timm).

    Examples:
      >>> s, n = lrtimm.create_scheduler_v2(0.1, "cosine", num_epochs=10, min_lr=1e-3)
      >>> print(n, f"{float(s(5)):.4f}")
      10 0.0505
    """
    f = f"create_scheduler_v2(sched={sched!r})"
    del noise_pct, noise_std, noise_seed  # timm's noise settings, unused without noise
    if noise is not None:
        raise ValueError(f"{f}: noise={noise!r} is not supported (lrjax has no lr noise)")
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial: Any = num_epochs
    warmup_t, decay_t, cooldown_t, timescale_t = (
        warmup_epochs, decay_epochs, cooldown_epochs, stable_timescale
    )  # fmt: skip
    if not step_on_epochs:
        if updates_per_epoch <= 0:
            raise ValueError(
                f"{f}: step_on_epochs=False needs updates_per_epoch > 0, got {updates_per_epoch}"
            )
        t_initial, warmup_t = t_initial * updates_per_epoch, warmup_t * updates_per_epoch
        decay_t, cooldown_t = decay_t * updates_per_epoch, cooldown_t * updates_per_epoch
        decay_milestones = [d * updates_per_epoch for d in decay_milestones]
        if timescale_t is not None:
            timescale_t = timescale_t * updates_per_epoch
    warm: dict[str, Any] = dict(
        warmup_t=warmup_t, warmup_lr_init=warmup_lr, warmup_prefix=warmup_prefix
    )
    cycles: dict[str, Any] = dict(
        cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit
    )
    cycle_length: int | None = None
    schedule: Any
    if sched == "cosine":
        schedule = cosine_lr(base_lr, t_initial, min_lr, **cycles, **warm, k_decay=k_decay)
    elif sched == "tanh":
        schedule = tanh_lr(base_lr, t_initial, lr_min=min_lr, **cycles, **warm)
    elif sched == "poly":
        schedule = poly_lr(
            base_lr, t_initial, decay_rate, min_lr, **cycles, **warm, k_decay=k_decay
        )
    elif sched == "step":
        schedule = step_lr(base_lr, decay_t, decay_rate, **warm)
    elif sched == "constant":
        schedule = step_lr(base_lr, 1, 1.0, **warm)
    elif sched == "multistep":
        schedule = multistep_lr(base_lr, list(decay_milestones), decay_rate, **warm)
    elif sched == "plateau":
        if not step_on_epochs:
            raise ValueError(f"{f}: plateau is stepped per epoch only (step_on_epochs=True)")
        schedule = plateau_lr(
            base_lr, decay_rate, patience_epochs, cooldown_t=0, warmup_t=warmup_t,
            warmup_lr_init=warmup_lr, lr_min=min_lr, mode=plateau_mode,
        )  # fmt: skip
    elif sched in ("wsd", "rsqrt"):
        # Always a warmup prefix; without warmup_prefix the stable + decay fit in num_epochs.
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched  # a fraction of the stable + decay length
        decay_t = int(round(decay_t))
        if not 0 < decay_t <= t_sched:
            raise ValueError(
                f"{f}: needs 0 < decay_epochs <= epochs"
                f"{'' if warmup_prefix else ' - warmup_epochs'}, got decay {decay_t} and "
                f"stable + decay length {t_sched}"
            )
        schedule = wsd_lr(
            base_lr, t_sched, decay_t, min_lr,
            stable_fn="rsqrt" if sched == "rsqrt" else "constant",
            stable_timescale=timescale_t,
            decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
            warmup_t=warmup_t, warmup_lr_init=warmup_lr,
        )  # fmt: skip
        cycle_length = warmup_t + t_sched
    elif sched == "none":
        schedule = constant(base_lr)
    else:
        names = "cosine, tanh, step, constant, multistep, plateau, poly, wsd, rsqrt, none"
        raise ValueError(f"{f}: unknown scheduler; sched must be one of {names}")
    if sched in ("cosine", "tanh", "poly"):
        cycle_length = _cycle_length(t_initial, cycle_mul, cycle_limit)
        cycle_length += warmup_t if warmup_prefix else 0
    if cycle_length is not None:
        total = cycle_length + cooldown_t
        num_epochs = total if step_on_epochs else total // updates_per_epoch
    elif warmup_prefix:
        num_epochs += warmup_epochs
    return schedule, num_epochs


# --------------------------------------------------------------------------------------
class TimmPlateau(AbstractPlateau, factory="plateau_lr"):
    r"""timm's ``PlateauLRScheduler`` (without noise): a linear warmup, then torch's
    ``ReduceLROnPlateau``.

    With ``count`` updates so far (one ``scheduler.step(epoch, metric)`` each, ``epoch`` =
    ``count``): while ``count <= warmup_t`` (and ``warmup_t > 0``) the lr is
    ``warmup_lr_init + count (lr - warmup_lr_init) / warmup_t`` and metrics are ignored;
    after it, torch's rules with ``factor=decay_rate``, ``patience=patience_t``,
    ``cooldown=cooldown_t``, ``min_lr=lr_min``, ``threshold_mode="rel"``, ``eps=1e-8``.
    Note timm's default ``mode="max"`` (an accuracy).

    Args:
      lr: the optimizer's learning rate; ``>= 0``.
      decay_rate: the factor per reduction; in ``(0, 1)``.
      patience_t: an integer ``>= 0``.
      threshold: the relative improvement that counts; ``>= 0``.
      cooldown_t: an integer ``>= 0``.
      warmup_t: warmup epochs; an integer ``>= 0``.
      warmup_lr_init: the lr at epoch 0 of the warmup; ``>= 0``.
      lr_min: the floor; ``>= 0``.
      mode: "max" or "min".

    Examples:
      >>> c = lrtimm.plateau_lr(0.1, patience_t=0, mode="min")
      >>> state = c.update(c.update(c.init(), value=1.0), value=1.0)
      >>> print(f"{float(c(state)):.3f}")
      0.010
    """

    lr: Param = fields.value(nonnegative=True)
    decay_rate: Param = fields.value(positive=True, default=0.1)
    patience_t: Param = fields.count(default=10)
    threshold: Param = fields.value(nonnegative=True, default=1e-4)
    cooldown_t: Param = fields.count(default=0)
    warmup_t: Param = fields.count(default=0)
    warmup_lr_init: Param = fields.value(nonnegative=True, default=0.0)
    lr_min: Param = fields.value(nonnegative=True, default=0.0)
    mode: str = fields.choice(MODES, default="max")

    def check(self) -> None:
        v.require_args(self, "decay_rate", lambda f: f < 1, "decay_rate must be in (0, 1)")

    def base(self) -> AbstractSchedule:
        return constant(1.0)

    def _initial_scale(self) -> Any:
        return self.lr

    def multiplier(self, state: PlateauState) -> Array:
        dtype = state.scale.dtype
        warm, t = jnp.asarray(self.warmup_t), state.count
        step = (self.lr - self.warmup_lr_init) / jnp.maximum(warm, 1).astype(dtype)
        rising = self.warmup_lr_init + t.astype(dtype) * step
        return jnp.where((warm > 0) & (t <= warm), rising, state.scale)

    def _observe(self, state: PlateauState, metric: Array) -> PlateauState:
        after = torch_plateau_step(
            state, metric, self.mode, self.threshold, "rel", self.patience_t, self.cooldown_t,
            self.decay_rate, self.lr_min, 1e-8,
        )  # fmt: skip
        # timm ignores the metric during the warmup (this update's epoch is count + 1).
        in_warmup = state.count + 1 <= self.warmup_t
        return jax.tree.map(lambda a, b: jnp.where(in_warmup, b, a), after, state)


plateau_lr = make_factory(TimmPlateau)


__all__ = [*factory_names(__name__), "create_scheduler_v2"]  # pyright: ignore[reportUnsupportedDunderAll]
