"""PyTorch's ``torch.optim.lr_scheduler`` schedulers as lrjax schedules (torch 2.13).

Each function takes the optimizer's base learning rate first (where torch reads it from the
optimizer), then torch's own argument names and defaults, and returns an ordinary lrjax
schedule of **absolute** values. The value at step ``t`` is
``optimizer.param_groups[0]["lr"]`` before the ``t``-th ``optimizer.step()`` in torch's
documented loop (``optimizer.step(); scheduler.step()``), i.e. torch's value at
``last_epoch == t``. Nothing here imports torch.

Conventions and deliberate differences from torch:

1. After the end, hold (lrjax's rule). ``CosineAnnealingLR`` is periodic after ``T_max`` in
   torch (its recursive form has no clamp); :func:`cosine_annealing_lr` holds ``eta_min``
   unless ``periodic=True``, which reproduces torch's curve exactly. ``OneCycleLR`` raises
   ``ValueError`` once stepped past ``total_steps`` (and its value at ``t == total_steps`` is
   an extrapolation beyond the minimum); :func:`one_cycle_lr` holds the final value from
   ``total_steps - 1`` on.
2. torch's recursive (chainable) forms are reproduced where they differ from the closed
   forms on valid input: ``ConstantLR``/``LinearLR`` with ``total_iters=0`` keep the starting
   factor forever, ``PolynomialLR`` with ``total_iters=0`` keeps the base lr. Where torch
   raises during stepping (``ConstantLR(factor=0)`` divides by zero at ``total_iters``),
   lrjax follows the closed form (the base lr from ``total_iters`` on).
3. Momentum cycling (``CyclicLR``/``OneCycleLR`` ``cycle_momentum``) is not a learning rate
   and is not reproduced; neither is ``CyclicLR``'s custom ``scale_fn`` (use lrjax
   arithmetic). ``last_epoch`` (resuming) is unnecessary: a schedule is a pure function of
   the step.
4. :func:`sequential_lr` is ``join_schedules``: each child sees its local step from its
   milestone, as ``SequentialLR`` restarts a scheduler with ``_update_lr(0)``. Resuming is
   exact (torch's SequentialLR has resume bugs, pytorch#162591), and a milestone at 0 simply
   makes the first piece empty (pytorch#185872 reports torch starting from a wrong value in
   some such configurations; lrjax follows the documented semantics).
5. :func:`chained_scheduler` multiplies the children's factors: ``b * prod_i s_i(t) / b``.
   That is what torch's ``ChainedScheduler`` computes for multiplicative (chainable)
   schedulers; for the others (``CosineAnnealingLR`` with ``eta_min != 0`` is affine,
   ``CyclicLR``/``OneCycleLR``/``CosineAnnealingWarmRestarts`` overwrite the lr) torch's
   result depends on the order of the chain, so they are rejected.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.combinators.cycle import cycle
from lrjax.combinators.join import join_schedules
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import Progress, ramp, restart_progress
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    ArrayLike,
    Child,
    Param,
    as_schedule,
    format_value,
    make_factory,
)
from lrjax.presets.recipes import CYCLIC_MODES, cyclic
from lrjax.schedules.piecewise import piecewise_constant
from lrjax.schedules.primitives import cosine_decay, exponential_decay, linear, polynomial

__all__ = [
    "step_lr",
    "multistep_lr",
    "constant_lr",
    "linear_lr",
    "exponential_lr",
    "polynomial_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "one_cycle_lr",
    "sequential_lr",
    "chained_scheduler",
]


def _lower(schedule: AbstractSchedule) -> AbstractSchedule:
    """A preset replaced by what it builds (join stacks and gathers its children's leaves
    per step, which a preset's factories, checking scalar arguments, do not accept)."""
    while isinstance(schedule, AbstractPreset):
        schedule = schedule.build()
    return schedule


def _at_most_one(schedule: AbstractSchedule, name: str, interval: str) -> None:
    """torch's factors are at most 1 (the field checks the lower end of ``interval``)."""
    c = v.concrete(getattr(schedule, name))
    ok = None if c is None else bool(np.all(c <= 1))
    v.require(ok, f"{schedule.factory}({name}={c!r})", f"{name} must be in {interval}")


class AbstractTorchChainable(AbstractPreset):
    """A multiplicative torch scheduler: ``base_lr`` times a factor of the step."""

    base_lr: Array


# --------------------------------------------------------------------------------------
class TorchStepLR(AbstractTorchChainable, factory="step_lr"):
    r"""torch ``StepLR``: multiply by ``gamma`` every ``step_size`` steps.

    .. math::
      \eta(t) = b\,\gamma^{\lfloor t / s \rfloor}

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      step_size: period :math:`s` of the decay; an integer ``>= 1`` (torch divides by it).
      gamma: factor :math:`\gamma`; ``> 0``.

    Returns:
      A ``TorchStepLR`` schedule (``exponential_decay(b, gamma, step_size, staircase=True)``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.step_lr(1.0, step_size=10, gamma=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 9, 10, 25]))])
      [1.0, 1.0, 0.5, 0.25]
    """

    base_lr: Param = fields.value(nonnegative=True)
    step_size: Param = fields.count(minimum=1)
    gamma: Param = fields.value(positive=True, default=0.1)

    def build(self) -> AbstractSchedule:
        return exponential_decay(self.base_lr, self.gamma, self.step_size, staircase=True)


step_lr = make_factory(TorchStepLR)


# --------------------------------------------------------------------------------------
class TorchMultiStepLR(AbstractTorchChainable, factory="multistep_lr"):
    """torch ``MultiStepLR`` (built by :func:`multistep_lr`)."""

    base_lr: Param = fields.value(nonnegative=True)
    milestones: Param = fields.counts()
    gamma: Param = fields.value(nonnegative=True)

    def build(self) -> AbstractSchedule:
        milestones = jnp.asarray(self.milestones)
        powers = jnp.arange(milestones.shape[-1] + 1, dtype=jnp.asarray(self.gamma).dtype)
        values = self.base_lr * jnp.asarray(self.gamma) ** powers
        return piecewise_constant(milestones, values)


def multistep_lr(
    base_lr: ArrayLike, milestones: Sequence[int] | ArrayLike, gamma: ArrayLike = 0.1
) -> TorchMultiStepLR:
    r"""torch ``MultiStepLR``: multiply by ``gamma`` at each milestone.

    .. math::
      \eta(t) = b\,\gamma^{\#\{i : m_i \le t\}}

    The drop happens *at* the milestone (torch's ``bisect_right``); a milestone listed
    twice counts twice, as in torch's ``Counter``. Concrete milestones are sorted.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      milestones: steps :math:`m_i`; integers ``>= 0`` (sorted when traced).
      gamma: factor per milestone; ``>= 0``.

    Returns:
      A ``TorchMultiStepLR`` schedule (a ``piecewise_constant``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.multistep_lr(1.0, milestones=[10, 20], gamma=0.1)
      >>> print([round(float(x), 4) for x in s(jnp.array([9, 10, 20]))])
      [1.0, 0.1, 0.01]
    """
    ms = milestones  # torch counts milestones in any order (a Counter): sort them
    if isinstance(ms, (list, tuple)) and not any(isinstance(m, Tracer) for m in ms):
        ms = sorted(ms)
    elif isinstance(ms, np.ndarray):
        ms = np.sort(ms)
    return TorchMultiStepLR(base_lr, ms, gamma)


# --------------------------------------------------------------------------------------
class TorchConstantLR(AbstractTorchChainable, factory="constant_lr"):
    r"""torch ``ConstantLR``: ``factor * base_lr`` for ``total_iters`` steps, then ``base_lr``.

    .. math::
      \eta(t) = b \cdot \begin{cases} f & t < N \\ 1 & t \ge N \end{cases}

    With ``total_iters=0`` torch's recursive form keeps ``f * b`` forever, and so does this.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      factor: :math:`f` in ``[0, 1]`` (torch's range).
      total_iters: :math:`N`; an integer ``>= 0``.

    Returns:
      A ``TorchConstantLR`` schedule (a ``piecewise_constant``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.constant_lr(1.0, factor=0.5, total_iters=4)
      >>> print([float(x) for x in s(jnp.array([0, 3, 4]))])
      [0.5, 0.5, 1.0]
    """

    base_lr: Param = fields.value(nonnegative=True)
    factor: Param = fields.value(nonnegative=True, default=1.0 / 3)
    total_iters: Param = fields.count(default=5)

    def check(self) -> None:
        _at_most_one(self, "factor", "[0, 1]")

    def build(self) -> AbstractSchedule:
        n = jnp.asarray(self.total_iters)
        low = self.base_lr * self.factor
        # total_iters == 0: torch's recursive form applies the factor at step 0 and never
        # undoes it (it waits for last_epoch == total_iters, which has passed).
        values = jnp.stack([low, jnp.where(n == 0, low, jnp.asarray(self.base_lr))])
        return piecewise_constant(n[None], values)


constant_lr = make_factory(TorchConstantLR)


# --------------------------------------------------------------------------------------
class TorchLinearLR(AbstractTorchChainable, factory="linear_lr"):
    r"""torch ``LinearLR``: the factor moves linearly from ``start_factor`` to ``end_factor``.

    .. math::
      \eta(t) = b\left(s + (e - s)\,\frac{\min(t, N)}{N}\right)

    With ``total_iters=0`` torch's recursive form keeps ``s * b`` forever, and so does this.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      start_factor: :math:`s` in ``(0, 1]`` (torch's range).
      end_factor: :math:`e` in ``[0, 1]``.
      total_iters: :math:`N`; an integer ``>= 0``.

    Returns:
      A ``TorchLinearLR`` schedule (a ``linear``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.linear_lr(1.0, start_factor=0.25, total_iters=3)
      >>> print([float(x) for x in s(jnp.array([0, 1, 3, 9]))])
      [0.25, 0.5, 1.0, 1.0]
    """

    base_lr: Param = fields.value(nonnegative=True)
    start_factor: Param = fields.value(positive=True, default=1.0 / 3)
    end_factor: Param = fields.value(nonnegative=True, default=1.0)
    total_iters: Param = fields.count(default=5)

    def check(self) -> None:
        _at_most_one(self, "start_factor", "(0, 1]")
        _at_most_one(self, "end_factor", "[0, 1]")

    def build(self) -> AbstractSchedule:
        start = self.base_lr * self.start_factor
        end = self.base_lr * self.end_factor
        # total_iters == 0: torch's recursive form keeps the start factor forever.
        end = jnp.where(jnp.asarray(self.total_iters) == 0, start, end)
        return linear(start, end, self.total_iters)


linear_lr = make_factory(TorchLinearLR)


# --------------------------------------------------------------------------------------
class TorchExponentialLR(AbstractTorchChainable, factory="exponential_lr"):
    r"""torch ``ExponentialLR``: multiply by ``gamma`` every step.

    .. math::
      \eta(t) = b\,\gamma^{t}

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      gamma: :math:`\gamma`; ``> 0`` (torch's ``gamma=0``, an lr of 0 from step 1, is
        rejected).

    Returns:
      A ``TorchExponentialLR`` schedule (``exponential_decay(b, gamma, 1)``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.exponential_lr(1.0, gamma=0.5)
      >>> print(f"{float(s(3)):.4f}")
      0.1250
    """

    base_lr: Param = fields.value(nonnegative=True)
    gamma: Param = fields.value(positive=True)

    def build(self) -> AbstractSchedule:
        return exponential_decay(self.base_lr, self.gamma, 1)


exponential_lr = make_factory(TorchExponentialLR)


# --------------------------------------------------------------------------------------
class TorchPolynomialLR(AbstractTorchChainable, factory="polynomial_lr"):
    r"""torch ``PolynomialLR``: polynomial decay to 0 over ``total_iters`` steps.

    .. math::
      \eta(t) = b\left(1 - \frac{\min(t, N)}{N}\right)^{p}

    With ``total_iters=0`` torch keeps ``b`` forever (its recursive form), and so does this.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      total_iters: :math:`N`; an integer ``>= 0``.
      power: :math:`p`; ``> 0``.

    Returns:
      A ``TorchPolynomialLR`` schedule (a ``polynomial``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.polynomial_lr(1.0, total_iters=10, power=2.0)
      >>> print(f"{float(s(5)):.4f}")
      0.2500
    """

    base_lr: Param = fields.value(nonnegative=True)
    total_iters: Param = fields.count(default=5)
    power: Param = fields.value(positive=True, default=1.0)

    def build(self) -> AbstractSchedule:
        # total_iters == 0: torch's recursive form never changes the base lr.
        zero_iters = jnp.asarray(self.total_iters) == 0
        end = jnp.where(zero_iters, jnp.asarray(self.base_lr), 0.0 * self.base_lr)
        return polynomial(self.base_lr, end, self.power, self.total_iters)


polynomial_lr = make_factory(TorchPolynomialLR)


# --------------------------------------------------------------------------------------
class TorchCosineAnnealingLR(AbstractTorchChainable, factory="cosine_annealing_lr"):
    r"""torch ``CosineAnnealingLR``: cosine from ``base_lr`` to ``eta_min`` over ``T_max`` steps.

    .. math::
      \eta(t) = \eta_{min} + (b - \eta_{min})\,\tfrac{1}{2}\left(1 + \cos\left(\pi\,
      \tfrac{\min(t, T)}{T}\right)\right)

    torch has no clamp: after ``T_max`` its curve rises back to ``base_lr`` at ``2 T_max`` and
    repeats (period ``2 T_max``). This schedule holds ``eta_min`` after ``T_max`` unless
    ``periodic=True``, which reproduces torch's curve at every step.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      T_max: :math:`T`; an integer ``>= 1``.
      eta_min: the minimum :math:`\eta_{min}`; ``>= 0``.
      periodic: reproduce torch's periodic curve after ``T_max`` (static).

    Returns:
      A ``TorchCosineAnnealingLR`` schedule (a ``cosine_decay``, or a ``cycle`` of a cosine
      down and a cosine up when ``periodic``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.cosine_annealing_lr(1.0, T_max=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10, 15, 20]))])
      [1.0, 0.5, 0.0, 0.0, 0.0]
      >>> p = lrt.cosine_annealing_lr(1.0, T_max=10, periodic=True)
      >>> print([round(float(x), 4) for x in p(jnp.array([0, 5, 10, 15, 20]))])
      [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    base_lr: Param = fields.value(nonnegative=True)
    T_max: Param = fields.count(minimum=1)
    eta_min: Param = fields.value(nonnegative=True, default=0.0)
    periodic: bool = fields.flag(default=False)

    def build(self) -> AbstractSchedule:
        down = cosine_decay(self.base_lr, self.T_max, self.eta_min)
        if not self.periodic:
            return down
        up = cosine_decay(self.eta_min, self.T_max, self.base_lr)
        return cycle(join_schedules([down, up], self.T_max[None]), 2 * self.T_max)


cosine_annealing_lr = make_factory(TorchCosineAnnealingLR)


# --------------------------------------------------------------------------------------
class TorchCosineAnnealingWarmRestarts(AbstractSchedule, factory="cosine_annealing_warm_restarts"):
    r"""torch ``CosineAnnealingWarmRestarts`` (SGDR): cosine restarts every ``T_i`` steps.

    .. math::
      \eta(t) = \eta_{min} + (b - \eta_{min})\,\tfrac{1}{2}\left(1 + \cos\left(\pi\,
      \tfrac{T_{cur}}{T_i}\right)\right), \quad T_i = T_0\, T_{mult}^{\,i}

    where :math:`T_{cur}` counts the steps since the last restart. As in torch,
    ``eta_min`` itself is never reached (the restart comes first, pytorch#47560).

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      T_0: length of the first cycle; an integer ``>= 1``.
      T_mult: growth factor of the cycle length; an integer ``>= 1`` (as torch requires).
      eta_min: the minimum; ``>= 0``.

    Returns:
      A ``TorchCosineAnnealingWarmRestarts`` schedule.

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.cosine_annealing_warm_restarts(1.0, T_0=2, T_mult=2)
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0]
    """

    base_lr: Param = fields.value(nonnegative=True)
    T_0: Param = fields.count(minimum=1)
    T_mult: Param = fields.count(minimum=1, default=1)
    eta_min: Param = fields.value(nonnegative=True, default=0.0)

    def _evaluate(self, t: Array) -> Array:
        _, p = restart_progress(t, self.T_0, self.T_mult, jnp.asarray(self.base_lr).dtype)
        return ramp("cosine", self.base_lr, self.eta_min, p)


cosine_annealing_warm_restarts = make_factory(TorchCosineAnnealingWarmRestarts)


# --------------------------------------------------------------------------------------


class TorchCyclicLR(AbstractPreset, factory="cyclic_lr"):
    r"""torch ``CyclicLR`` (Smith 2015): triangular cycles between ``base_lr`` and ``max_lr``.

    .. math::
      \eta(t) = b + (M - b)\, h(t)\, \sigma

    where :math:`h` rises linearly from 0 to 1 over ``step_size_up`` steps and falls back
    over ``step_size_down`` steps, periodically, and the scale :math:`\sigma` is 1
    ("triangular"), :math:`2^{-k}` in cycle :math:`k = 0, 1, \dots` ("triangular2") or
    :math:`\gamma^{t}` ("exp_range"). Momentum cycling and custom ``scale_fn`` are not
    reproduced.

    Args:
      base_lr: the lower bound :math:`b` (torch overwrites the optimizer's lr with it);
        ``>= 0``.
      max_lr: the upper bound :math:`M`; ``>= base_lr``.
      step_size_up: steps of the rising half; an integer ``>= 1``.
      step_size_down: steps of the falling half; an integer ``>= 0``, default
        ``step_size_up``.
      mode: "triangular", "triangular2" or "exp_range" (static).
      gamma: the per-step factor of "exp_range"; ``> 0``.

    Returns:
      A ``TorchCyclicLR`` schedule (the preset ``cyclic``).

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.cyclic_lr(0.1, 1.0, step_size_up=2, mode="triangular2")
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2015.
    """

    base_lr: Param = fields.value(nonnegative=True)
    max_lr: Param = fields.value(nonnegative=True)
    step_size_up: Param = fields.count(minimum=1, default=2000)
    step_size_down: Param | None = fields.count(optional=True, default=None)
    mode: str = fields.choice(CYCLIC_MODES, default="triangular")
    gamma: Param = fields.value(positive=True, default=1.0)

    def check(self) -> None:
        b, m = v.concrete(self.base_lr), v.concrete(self.max_lr)
        ok = None if b is None or m is None else m >= b
        v.require(ok, f"{self.factory}(max_lr={m!r})", f"max_lr must be >= base_lr={b!r}")

    def build(self) -> AbstractSchedule:
        # torch also allows step_size_down=0 (a sawtooth) and gamma > 1 ("exp_range"
        # growing); core cyclic's formula covers both, and its range checks, which reject
        # them, do not run on the traced leaves this is evaluated with.
        return cyclic(
            self.base_lr, self.max_lr, self.step_size_up, self.step_size_down, self.mode, self.gamma
        )


cyclic_lr = make_factory(TorchCyclicLR)


# --------------------------------------------------------------------------------------
def _phase(num: Array, den: Array) -> Array:
    """``num / den`` for a phase of length ``den`` (1 for an empty phase, never NaN)."""
    safe = jnp.where(den > 0, den, jnp.ones((), den.dtype))
    return jnp.where(den > 0, num / safe, jnp.ones((), den.dtype))


class TorchOneCycleLR(AbstractSchedule, factory="one_cycle_lr"):
    """torch ``OneCycleLR`` (built by :func:`one_cycle_lr`).

    Written directly, not as ``lrjax.one_cycle`` (whose phases end on whole steps):
    torch's phase ends, ``pct_start * total - 1``, are real numbers. The ramp fractions
    are formed from integer step differences and the real phase lengths so that both ends
    keep full relative precision.
    """

    max_lr: Param = fields.value(nonnegative=True)
    total_steps: Param = fields.count(minimum=1)
    pct_start: Param = fields.value(nonnegative=True)
    anneal_strategy: str = fields.choice(("cos", "linear"))
    div_factor: Param = fields.value(positive=True)
    final_div_factor: Param = fields.value(positive=True)
    three_phase: bool = fields.flag()

    def check(self) -> None:
        f, p, n = self.factory, v.concrete(self.pct_start), v.concrete(self.total_steps)
        pct = format_value(self.pct_start)
        v.require(
            None if p is None else p <= 1, f"{f}(pct_start={pct})", "pct_start must be in [0, 1]"
        )
        v.require(
            None if p is None or n is None else not math.isclose(p * n, 1.0, rel_tol=1e-6),
            f"{f}(pct_start={pct}, total_steps={n})",
            "pct_start * total_steps must not be 1 (torch divides 0 by 0 at step 0)",
        )

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.max_lr).dtype
        total = jnp.asarray(self.total_steps).astype(t.dtype)
        last = jnp.maximum(total - 1, jnp.zeros((), t.dtype))
        tc = jnp.minimum(t, last).astype(dtype)  # hold the value at total_steps - 1
        n = total.astype(dtype)
        top = jnp.asarray(self.max_lr)
        initial = top / self.div_factor
        low = initial / self.final_div_factor
        shape = "cosine" if self.anneal_strategy == "cos" else "linear"
        pt = self.pct_start * n  # torch: phase 1 ends at pct_start * total - 1
        e1 = pt - 1

        def anneal(start: Array, end: Array, done: Array, left: Array) -> Array:
            return ramp(shape, start, end, Progress(done, left))

        rise = anneal(initial, top, _phase(tc, e1), _phase(e1 - tc, e1))
        if not self.three_phase:
            # Phase 2 runs from e1 to total - 1: its length is total - pct_start * total.
            span = n - pt
            fall = anneal(top, low, _phase(tc - e1, span), _phase(n - 1 - tc, span))
            return jnp.where(tc <= e1, rise, fall)
        e2 = 2 * pt - 2
        span2 = pt - 1
        back = anneal(top, initial, _phase(tc - e1, span2), _phase(e2 - tc, span2))
        span3 = n + 1 - 2 * pt
        fall = anneal(initial, low, _phase(tc - e2, span3), _phase(n - 1 - tc, span3))
        return jnp.where(tc <= e1, rise, jnp.where(tc <= e2, back, fall))


def one_cycle_lr(
    max_lr: ArrayLike,
    total_steps: ArrayLike | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: ArrayLike = 0.3,
    anneal_strategy: str = "cos",
    div_factor: ArrayLike = 25.0,
    final_div_factor: ArrayLike = 1e4,
    three_phase: bool = False,
) -> TorchOneCycleLR:
    r"""torch ``OneCycleLR``: warm up to ``max_lr``, then anneal far below the start.

    With :math:`p = ` ``pct_start``, :math:`T = ` ``total_steps``, start
    :math:`I = M / \text{div\_factor}` and minimum :math:`I / \text{final\_div\_factor}`,
    torch's phases end at the real steps :math:`pT - 1` (:math:`I \to M`) and :math:`T - 1`
    (:math:`M \to` minimum); with ``three_phase`` at :math:`pT - 1`, :math:`2pT - 2`
    (:math:`M \to I`) and :math:`T - 1` (:math:`I \to` minimum). Within a phase from
    :math:`s` to :math:`e` the fraction is :math:`(t - s)/(e - s)`, annealed by
    :math:`\text{end} + (\text{start} - \text{end})(1 + \cos \pi x)/2` ("cos") or linearly.

    torch raises ``ValueError`` when stepped past ``total_steps`` (and its value at
    ``t = total_steps`` extrapolates beyond the minimum); this schedule holds the value of
    step ``total_steps - 1`` (the minimum) from there on. Momentum cycling is not
    reproduced.

    Args:
      max_lr: the peak :math:`M`; ``>= 0`` (torch ignores the optimizer's lr).
      total_steps: :math:`T`; an integer ``>= 1``. Or give ``epochs`` and ``steps_per_epoch``.
      epochs: number of epochs (with ``steps_per_epoch``); a Python int ``>= 1``.
      steps_per_epoch: updates per epoch; a Python int ``>= 1``.
      pct_start: fraction of the cycle spent rising, in ``[0, 1]``; ``pct_start *
        total_steps == 1`` is rejected (torch divides 0 by 0 at step 0).
      anneal_strategy: "cos" or "linear" (static).
      div_factor: :math:`M / I`; ``> 0``.
      final_div_factor: :math:`I / \text{minimum}`; ``> 0``.
      three_phase: use torch's three-phase variant (static).

    Returns:
      A ``TorchOneCycleLR`` schedule.

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.one_cycle_lr(1.0, total_steps=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 1, 2, 3, 9, 10, 50]))])
      [0.04, 0.52, 1.0, 0.9505, 0.0, 0.0, 0.0]
    """
    if total_steps is None:
        f = "one_cycle_lr"
        if epochs is None or steps_per_epoch is None:
            raise ValueError(f"{f}: give total_steps, or both epochs and steps_per_epoch")
        for name, x in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
            v.as_count(f, name, x, minimum=1)
        total_steps = epochs * steps_per_epoch
    return TorchOneCycleLR(
        max_lr, total_steps, pct_start, anneal_strategy, div_factor, final_div_factor, three_phase
    )


# --------------------------------------------------------------------------------------
class TorchSequentialLR(AbstractPreset, factory="sequential_lr"):
    r"""torch ``SequentialLR``: each scheduler in turn, restarted at its milestone.

    .. math::
      \eta(t) = s_i(t - m_{i-1}) \quad\text{for}\quad m_{i-1} \le t < m_i

    (``join_schedules``). torch restarts scheduler :math:`i` at :math:`m_{i-1}` from its own
    step 0 (``_update_lr(0)``), so with schedulers from this module built with the same
    base lr (torch's schedulers share the optimizer's), the values are torch's.

    Args:
      schedulers: lrjax schedules, normally built by this module; at least one.
      milestones: ``len(schedulers) - 1`` strictly increasing integers ``>= 0``.

    Returns:
      A ``TorchSequentialLR`` schedule.

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.sequential_lr(
      ...     [lrt.linear_lr(1.0, 0.1, 1.0, 10), lrt.cosine_annealing_lr(1.0, 30)], [10])
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 5, 10, 25, 40]))])
      [0.1, 0.55, 1.0, 0.5, 0.0]
    """

    schedulers: Sequence[Child] = fields.schedules()
    milestones: Param = fields.counts(strictly_increasing=True)

    def check(self) -> None:
        n, m = len(self.schedulers), np.shape(self.milestones)[0]
        v.require(
            m == n - 1,
            self.factory,
            f"len(milestones) must be len(schedulers) - 1, got {m} milestones for {n} schedulers",
        )

    def build(self) -> AbstractSchedule:
        return join_schedules([_lower(s) for s in self.schedulers], self.milestones)


sequential_lr = make_factory(TorchSequentialLR)


# --------------------------------------------------------------------------------------
class TorchChainedScheduler(AbstractPreset, factory="chained_scheduler"):
    """torch ``ChainedScheduler`` (built by :func:`chained_scheduler`)."""

    schedulers: Sequence[Child] = fields.schedules()  # AbstractTorchChainable

    def check(self) -> None:
        f = self.factory
        for i, child in enumerate(self.schedulers):
            if not isinstance(child, AbstractTorchChainable):
                raise TypeError(
                    f"{f}(schedulers[{i}]={type(child).__name__}): only the multiplicative "
                    "schedulers of lrjax.compat.torch can be chained (step_lr, multistep_lr, "
                    "constant_lr, linear_lr, exponential_lr, polynomial_lr, cosine_annealing_lr "
                    "with eta_min=0)"
                )
            if isinstance(child, TorchCosineAnnealingLR):
                eta = v.concrete(child.eta_min)
                v.require(
                    not child.periodic and (eta is None or eta == 0),
                    f"{f}(schedulers[{i}])",
                    "a cosine_annealing_lr in a chain needs eta_min=0 and periodic=False "
                    "(torch's update is not multiplicative otherwise)",
                )
        bases = [v.concrete(c.base_lr) for c in self.schedulers]
        v.require(
            None if None in bases else len({float(b) for b in bases}) == 1,
            f,
            "every scheduler must have the same base_lr (torch's share the optimizer's), "
            f"got {[float(b) for b in bases if b is not None]}",
        )

    def build(self) -> AbstractSchedule:
        result: AbstractSchedule = as_schedule(self.schedulers[0].base_lr)
        for child in self.schedulers:
            # The child's factor: the child built with a base lr of 1.
            one = jnp.ones_like(jnp.asarray(child.base_lr))
            result = result * dataclasses.replace(child, base_lr=one).build()  # type: ignore[call-arg]
        return result


def chained_scheduler(schedulers: Sequence[AbstractSchedule]) -> TorchChainedScheduler:
    r"""torch ``ChainedScheduler``: every scheduler steps every step; their factors multiply.

    .. math::
      \eta(t) = b \prod_i \frac{s_i(t)}{b}

    torch applies each scheduler's recursive update to the current lr in turn. For the
    multiplicative schedulers (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
    ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR`` with ``eta_min=0``) that is
    the product of their factors, in any order. Others are rejected: an ``eta_min != 0``
    cosine update is affine, and ``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``
    overwrite the lr, so torch's result depends on the order of the chain. A periodic cosine
    is rejected too: torch's update past ``T_max`` adds an increment based on the base lr
    alone, restarting the other factors (lrjax's non-periodic cosine holds 0 there instead).

    Args:
      schedulers: schedules from this module with the same ``base_lr`` (torch's share the
        optimizer's); a nested ``chained_scheduler`` is allowed.

    Returns:
      A ``TorchChainedScheduler`` schedule.

    Examples:
      >>> from lrjax.compat import torch as lrt
      >>> s = lrt.chained_scheduler(
      ...     [lrt.linear_lr(1.0, 0.1, 1.0, 10), lrt.exponential_lr(1.0, 0.9)])
      >>> print(f"{float(s(5)):.4f}")
      0.3248
    """
    # A nested chain contributes its schedulers: torch steps them all, in any order.
    nested = [s.schedulers if isinstance(s, TorchChainedScheduler) else [s] for s in schedulers]
    return TorchChainedScheduler([child for group in nested for child in group])
