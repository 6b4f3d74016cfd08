"""PyTorch's ``torch.optim.lr_scheduler`` schedulers as lrjax schedules (torch 2.13).

Each function takes the optimizer's base learning rate first, then torch's argument names
and defaults, and returns a schedule of **absolute** values: the value at step ``t`` is
``optimizer.param_groups[0]["lr"]`` before the ``t``-th ``optimizer.step()`` in torch's
documented loop (torch's value at ``last_epoch == t``). Where torch is periodic or raises
after the end, these schedules hold; ``scale_fn`` and ``last_epoch`` are not reproduced;
docs/compat_torch_hf_timm.md lists every deviation. The momentum ``OneCycleLR`` and
``CyclicLR`` cycle is a companion schedule (:func:`one_cycle_momentum`,
:func:`cyclic_momentum`), and ``torch.optim.swa_utils.SWALR`` is :func:`swa_lr`. Nothing here
imports torch.

Examples use ``from lrjax.compat import torch as lrt``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.adaptive.base import PlateauState
from lrjax.adaptive.plateau import MODES, THRESHOLD_MODES, AbstractPlateau, count_plateau
from lrjax.combinators.cycle import cycle
from lrjax.combinators.join import join_schedules
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import Progress, capped_power, progress, ramp, restart_progress
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    ArrayLike,
    Child,
    Param,
    as_schedule,
    factory_names,
    make_factory,
)
from lrjax.core.steps import floor_divmod
from lrjax.presets.recipes import CYCLIC_MODES, cyclic, require_cycle_fits
from lrjax.schedules.piecewise import (
    check_epoch_horizon,
    epoch_count,
    epoch_function_value,
    per_epoch,
    piecewise_constant,
)
from lrjax.schedules.primitives import constant, cosine_decay, exponential_decay, linear, polynomial


def _lower(schedule: AbstractSchedule) -> AbstractSchedule:
    """A preset replaced by what it builds (join stacks and gathers its children's leaves
    per step, which a preset's factories, checking scalar arguments, do not accept)."""
    while isinstance(schedule, AbstractPreset):
        schedule = schedule.build()
    return schedule


class AbstractTorchChainable(AbstractPreset):
    """A multiplicative torch scheduler: ``base_lr`` (the optimizer's) times a factor."""

    base_lr: Param = fields.value(nonnegative=True)


# --------------------------------------------------------------------------------------
class TorchStepLR(AbstractTorchChainable, factory="step_lr"):
    r"""torch ``StepLR``: multiply by ``gamma`` every ``step_size`` steps.

    :math:`\eta(t) =` ``exponential_decay(base_lr, gamma, step_size, staircase=True)``.

    Args:
      base_lr: the optimizer's learning rate; ``>= 0``.
      step_size: period of the decay; an integer ``>= 1`` (torch divides by it).
      gamma: the factor; ``> 0``.

    Examples:
      >>> s = lrt.step_lr(1.0, step_size=10, gamma=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 9, 10, 25]))])
      [1.0, 1.0, 0.5, 0.25]
    """

    step_size: Param = fields.count(minimum=1)
    gamma: Param = fields.value(positive=True, default=0.1)

    def build(self) -> AbstractSchedule:
        return exponential_decay(
            self.base_lr, decay_rate=self.gamma, transition_steps=self.step_size, staircase=True
        )


step_lr = make_factory(TorchStepLR)


# --------------------------------------------------------------------------------------
class TorchMultiStepLR(AbstractTorchChainable, factory="multistep_lr"):
    """torch ``MultiStepLR`` (built by :func:`multistep_lr`)."""

    milestones: Param = fields.counts()
    gamma: Param = fields.value(nonnegative=True)

    def build(self) -> AbstractSchedule:
        milestones = jnp.asarray(self.milestones)
        powers = jnp.arange(milestones.shape[-1] + 1, dtype=jnp.asarray(self.gamma).dtype)
        values = self.base_lr * capped_power(jnp.asarray(self.gamma), powers)  # gamma > 1 grows
        return piecewise_constant(milestones, values)


def multistep_lr(
    base_lr: ArrayLike, milestones: Sequence[int] | ArrayLike, gamma: ArrayLike = 0.1
) -> TorchMultiStepLR:
    r"""torch ``MultiStepLR``: multiply by ``gamma`` at each milestone.

    :math:`\eta(t) =` ``piecewise_constant(milestones, [b, b gamma, b gamma**2, ...])``: the
    drop happens *at* the milestone; one listed twice counts twice (torch's ``Counter``).

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      milestones: steps; integers ``>= 0`` (sorted when traced).
      gamma: factor per milestone; ``>= 0``.

    Examples:
      >>> s = lrt.multistep_lr(1.0, milestones=[10, 20], gamma=0.1)
      >>> print([round(float(x), 4) for x in s(jnp.array([9, 10, 20]))])
      [1.0, 0.1, 0.01]
    """
    ms = milestones  # torch counts milestones in any order (a Counter): sort them
    try:
        if isinstance(ms, (list, tuple)) and not any(isinstance(m, Tracer) for m in ms):
            ms = sorted(ms)
        elif isinstance(ms, np.ndarray):
            ms = np.sort(ms)
    except (TypeError, ValueError):
        pass  # not all numbers ([10, None]): the field's check names the bad milestone
    return TorchMultiStepLR(base_lr, ms, gamma)


# --------------------------------------------------------------------------------------
class TorchConstantLR(AbstractTorchChainable, factory="constant_lr"):
    r"""torch ``ConstantLR``: ``factor * base_lr`` for ``total_iters`` steps, then ``base_lr``.

    :math:`\eta(t) =` ``piecewise_constant([total_iters], [factor * b, b])``; with
    ``total_iters=0`` torch's recursive form keeps ``factor * b`` forever, and so does this.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      factor: in ``[0, 1]`` (torch's range).
      total_iters: an integer ``>= 0``.

    Examples:
      >>> s = lrt.constant_lr(1.0, factor=0.5, total_iters=4)
      >>> print([float(x) for x in s(jnp.array([0, 3, 4]))])
      [0.5, 0.5, 1.0]
    """

    factor: Param = fields.value(nonnegative=True, default=1.0 / 3)
    total_iters: Param = fields.count(default=5)

    def check(self) -> None:
        # torch's factors are at most 1 (the fields check the lower ends).
        v.require_args(self, "factor", lambda x: x <= 1, "factor must be in [0, 1]")

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

    :math:`\eta(t) =` ``linear(start_factor * b, end_factor * b, total_iters)``; with
    ``total_iters=0`` torch's recursive form keeps ``start_factor * b`` forever, as does this.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      start_factor: in ``(0, 1]`` (torch's range).
      end_factor: in ``[0, 1]``.
      total_iters: an integer ``>= 0``.

    Examples:
      >>> s = lrt.linear_lr(1.0, start_factor=0.25, total_iters=3)
      >>> print([float(x) for x in s(jnp.array([0, 1, 3, 9]))])
      [0.25, 0.5, 1.0, 1.0]
    """

    start_factor: Param = fields.value(positive=True, default=1.0 / 3)
    end_factor: Param = fields.value(nonnegative=True, default=1.0)
    total_iters: Param = fields.count(default=5)

    def check(self) -> None:
        v.require_args(self, "start_factor", lambda x: x <= 1, "start_factor must be in (0, 1]")
        v.require_args(self, "end_factor", lambda x: x <= 1, "end_factor must be in [0, 1]")

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

    :math:`\eta(t) =` ``exponential_decay(base_lr, gamma, 1)``.

    Args:
      base_lr: the optimizer's learning rate; ``>= 0``.
      gamma: ``> 0`` (torch's ``gamma=0``, an lr of 0 from step 1, is rejected).

    Examples:
      >>> s = lrt.exponential_lr(1.0, gamma=0.5)
      >>> print(f"{float(s(3)):.4f}")
      0.1250
    """

    gamma: Param = fields.value(positive=True)

    def build(self) -> AbstractSchedule:
        return exponential_decay(self.base_lr, decay_rate=self.gamma, transition_steps=1)


exponential_lr = make_factory(TorchExponentialLR)


# --------------------------------------------------------------------------------------
class TorchPolynomialLR(AbstractTorchChainable, factory="polynomial_lr"):
    r"""torch ``PolynomialLR``: polynomial decay to 0 over ``total_iters`` steps.

    :math:`\eta(t) =` ``polynomial(base_lr, 0, power, total_iters)``; with ``total_iters=0``
    torch's recursive form keeps ``base_lr`` forever, and so does this.

    Args:
      base_lr: the optimizer's learning rate; ``>= 0``.
      total_iters: an integer ``>= 0``.
      power: ``> 0``, or None (the default) for torch's default of 1 without computing a
        power (see :func:`lrjax.cosine_decay`'s ``exponent``).

    Examples:
      >>> s = lrt.polynomial_lr(1.0, total_iters=10, power=2.0)
      >>> print(f"{float(s(5)):.4f}")
      0.2500
    """

    total_iters: Param = fields.count(default=5)
    power: Param | None = fields.value(positive=True, optional=True, default=None)

    def build(self) -> AbstractSchedule:
        # total_iters == 0: torch's recursive form never changes the base lr.
        zero_iters = jnp.asarray(self.total_iters) == 0
        end = jnp.where(zero_iters, jnp.asarray(self.base_lr), 0.0 * self.base_lr)
        return polynomial(self.base_lr, end, self.power, self.total_iters)


polynomial_lr = make_factory(TorchPolynomialLR)


# --------------------------------------------------------------------------------------
class TorchCosineAnnealingLR(AbstractTorchChainable, factory="cosine_annealing_lr"):
    r"""torch ``CosineAnnealingLR``: cosine from ``base_lr`` to ``eta_min`` over ``T_max`` steps.

    :math:`\eta(t) =` ``cosine_decay(base_lr, T_max, eta_min)``, which holds ``eta_min`` after
    ``T_max``; torch's curve has no clamp and rises back to ``base_lr`` at ``2 T_max``, which
    ``periodic=True`` reproduces at every step (a ``cycle`` of a cosine down and one up).

    Args:
      base_lr: the optimizer's learning rate; ``>= 0``.
      T_max: an integer ``>= 1``.
      eta_min: the minimum; ``>= 0``.
      periodic: reproduce torch's periodic curve after ``T_max`` (static).

    Examples:
      >>> s = lrt.cosine_annealing_lr(1.0, T_max=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10, 15, 20]))])
      [1.0, 0.5, 0.0, 0.0, 0.0]
      >>> p = lrt.cosine_annealing_lr(1.0, T_max=10, periodic=True)
      >>> print([round(float(x), 4) for x in p(jnp.array([0, 5, 10, 15, 20]))])
      [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    T_max: Param = fields.count(minimum=1)
    eta_min: Param = fields.value(nonnegative=True, default=0.0)
    periodic: bool = fields.flag(default=False)

    def check(self) -> None:
        if self.periodic:
            v.require_step_sum(self, "T_max", "a period (2 * T_max)", times=2)

    def build(self) -> AbstractSchedule:
        down = cosine_decay(self.base_lr, self.T_max, end_value=self.eta_min)
        if not self.periodic:
            return down
        up = cosine_decay(self.eta_min, self.T_max, end_value=self.base_lr)
        return cycle(join_schedules([down, up], self.T_max[None]), 2 * self.T_max)


cosine_annealing_lr = make_factory(TorchCosineAnnealingLR)


# --------------------------------------------------------------------------------------
class TorchCosineAnnealingWarmRestarts(AbstractSchedule, factory="cosine_annealing_warm_restarts"):
    r"""torch ``CosineAnnealingWarmRestarts`` (SGDR): cosine restarts every ``T_i`` steps.

    :math:`\eta(t) =` ``sgdr(base_lr, T_0, T_mult, end_value=eta_min)``, with exact restarts
    after ``T_0``, ``T_0 T_mult``, ... steps. As in torch, ``eta_min`` itself is never
    reached (the restart comes first, pytorch#47560).

    Args:
      base_lr: the optimizer's learning rate; ``>= 0``.
      T_0: length of the first cycle; an integer ``>= 1``.
      T_mult: growth factor of the cycle length; an integer ``>= 1`` (as torch requires),
        or None (the default) for torch's 1 computed as structure (see
        :func:`lrjax.cycle`'s ``period_mul``).
      eta_min: the minimum; ``>= 0``.

    Examples:
      >>> s = lrt.cosine_annealing_warm_restarts(1.0, T_0=2, T_mult=2)
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0]
    """

    base_lr: Param = fields.value(nonnegative=True)
    T_0: Param = fields.count(minimum=1)
    T_mult: Param | None = fields.count(minimum=1, optional=True, default=None)
    eta_min: Param = fields.value(nonnegative=True, default=0.0)

    def _evaluate(self, t: Array) -> Array:
        _, p = restart_progress(t, self.T_0, self.T_mult, jnp.asarray(self.base_lr).dtype)
        return ramp("cosine", self.base_lr, self.eta_min, p)


cosine_annealing_warm_restarts = make_factory(TorchCosineAnnealingWarmRestarts)


# --------------------------------------------------------------------------------------
class TorchSWALR(AbstractSchedule, factory="swa_lr"):
    r"""torch ``swa_utils.SWALR``: anneal from the optimizer's lr to ``swa_lr``, then hold.

    With :math:`E` = ``anneal_epochs`` and :math:`\tau = \min(1, t / \max(1, E))`,

    .. math::
      \eta(t) = (1 - \alpha(\tau))\, \eta_0 + \alpha(\tau)\, \eta_{swa}, \qquad
      \alpha(\tau) = \tau \text{ (linear) or } \tfrac{1}{2}(1 - \cos \pi\tau) \text{ (cos)}

    where :math:`\eta_0` is ``base_lr``, the optimizer's lr when SWALR takes over (torch
    recovers it at each step by inverting the previous step's blend, so it anneals from
    whatever lr the optimizer holds when it starts stepping) and ``t`` counts SWALR's steps;
    with :math:`E = 0` the value is :math:`\eta_{swa}` from step 0 on. To switch from
    another schedule ``pre`` at step ``S`` (torch: ``swa_scheduler.step()`` from then on),
    join them: ``lrjax.join_schedules([pre, lrt.swa_lr(pre(S), swa_lr)], [S])``.

    Args:
      base_lr: :math:`\eta_0`, the optimizer's lr when annealing starts; ``>= 0``.
      swa_lr: :math:`\eta_{swa}`, the lr held after the annealing; ``>= 0``.
      anneal_epochs: :math:`E`, scheduler steps of the annealing; an integer ``>= 0``.
      anneal_strategy: "cos" or "linear" (static).

    Examples:
      >>> s = lrt.swa_lr(1.0, 0.1, anneal_epochs=4, anneal_strategy="linear")
      >>> print([round(float(x), 3) for x in s(jnp.arange(6))])
      [1.0, 0.775, 0.55, 0.325, 0.1, 0.1]
    """

    base_lr: Param = fields.value(nonnegative=True)
    swa_lr: Param = fields.value(nonnegative=True)
    anneal_epochs: Param = fields.count(default=10)
    anneal_strategy: str = fields.choice(("cos", "linear"), default="cos")

    def _evaluate(self, t: Array) -> Array:
        dtype = jnp.asarray(self.base_lr).dtype
        # progress() treats a zero-length anneal as over from step 0 on, as torch does.
        p = progress(t, jnp.zeros((), t.dtype), jnp.asarray(self.anneal_epochs), dtype)
        shape = "cosine" if self.anneal_strategy == "cos" else "linear"
        return ramp(shape, self.base_lr, self.swa_lr, p)


swa_lr = make_factory(TorchSWALR)


# --------------------------------------------------------------------------------------
class TorchCyclicLR(AbstractPreset, factory="cyclic_lr"):
    r"""torch ``CyclicLR`` (Smith 2015): triangular cycles between ``base_lr`` and ``max_lr``.

    :math:`\eta(t) =` ``cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``
    (also torch's ``step_size_down=0``, a sawtooth, and ``gamma > 1``).

    Args:
      base_lr: the lower bound (torch overwrites the optimizer's lr with it); ``>= 0``.
      max_lr: the upper bound; ``>= base_lr``.
      step_size_up: steps of the rising half; an integer ``>= 1``.
      step_size_down: steps of the falling half; an integer ``>= 0``, default
        ``step_size_up``.
      mode: "triangular", "triangular2" or "exp_range" (static).
      gamma: the per-step factor of "exp_range"; ``> 0``.

    Examples:
      >>> s = lrt.cyclic_lr(0.1, 1.0, step_size_up=2, mode="triangular2")
      >>> print([round(float(x), 3) for x in s(jnp.arange(7))])
      [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]
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
        require_cycle_fits(self)

    def build(self) -> AbstractSchedule:
        # core cyclic's formula covers step_size_down=0 and gamma > 1; its range checks,
        # which reject them, do not run on the traced leaves this is evaluated with.
        return cyclic(
            self.base_lr, self.max_lr, self.step_size_up, self.step_size_down, self.mode, self.gamma
        )


cyclic_lr = make_factory(TorchCyclicLR)


class TorchCyclicMomentum(AbstractSchedule, factory="cyclic_momentum"):
    r"""torch ``CyclicLR``'s momentum (``cycle_momentum=True``): the inverse of its lr cycle.

    .. math::
      m(t) = m_{max} - (m_{max} - m_{base})\, h(t)\, a(t)

    with the triangle :math:`h` and amplitude :math:`a` of :func:`cyclic_lr` (same
    ``step_size_up``, ``step_size_down``, ``mode``, ``gamma``): the momentum is
    ``max_momentum`` when the lr is ``base_lr`` and ``base_momentum`` at the lr's peak. It is
    what torch writes into ``param_groups[i]["momentum"]`` (SGD, RMSprop) or ``["betas"][0]``
    (Adam, AdamW) before the ``t``-th update; in optax, pass it as ``momentum=`` of ``sgd``
    or ``b1=`` of ``adam`` through ``optax.inject_hyperparams``.

    Args:
      base_momentum: the momentum at the lr's peak; ``>= 0``.
      max_momentum: the momentum at the lr's base; ``>= 0``.
      step_size_up: steps of the rising half of the lr; an integer ``>= 1``.
      step_size_down: steps of the falling half; an integer ``>= 0``, default
        ``step_size_up``.
      mode: "triangular", "triangular2" or "exp_range" (static).
      gamma: the per-step factor of "exp_range"; ``> 0``.

    Examples:
      >>> m = lrt.cyclic_momentum(0.8, 0.9, step_size_up=2)
      >>> print([round(float(x), 3) for x in m(jnp.arange(5))])
      [0.9, 0.85, 0.8, 0.85, 0.9]
    """

    base_momentum: Param = fields.value(nonnegative=True, default=0.8)
    max_momentum: Param = fields.value(nonnegative=True, default=0.9)
    step_size_up: Param = fields.count(minimum=1, default=2000)
    step_size_down: Param | None = fields.count(optional=True, default=None)
    mode: str = fields.choice(CYCLIC_MODES, default="triangular")
    gamma: Param = fields.value(positive=True, default=1.0)

    def check(self) -> None:
        require_cycle_fits(self)

    def _evaluate(self, t: Array) -> Array:
        top = jnp.asarray(self.max_momentum)
        dtype = top.dtype
        up = jnp.asarray(self.step_size_up).astype(t.dtype)
        down = up if self.step_size_down is None else jnp.asarray(self.step_size_down)
        period = up + down.astype(t.dtype)
        # Integer cycle and position (torch's float `1 + t / total - cycle`, without its
        # rounding for large t); with step_size_down=0 the triangle is a rising sawtooth.
        k, x = floor_divmod(t, period)
        safe_down = jnp.maximum(down, 1).astype(dtype)
        h = jnp.where(
            x <= up, x.astype(dtype) / up.astype(dtype), (period - x).astype(dtype) / safe_down
        )
        if self.mode == "triangular":
            a = jnp.ones((), dtype)
        elif self.mode == "triangular2":
            a = jnp.exp2(-k.astype(dtype))
        else:  # torch's "iterations" scale mode: gamma ** t
            a = jnp.asarray(self.gamma) ** t.astype(dtype)
        return top - (top - self.base_momentum) * h * a


cyclic_momentum = make_factory(TorchCyclicMomentum)


# --------------------------------------------------------------------------------------
def _phase(num: Array, den: Array) -> Array:
    """``num / den`` for a phase of length ``den`` (1 for an empty phase, never NaN)."""
    safe = jnp.where(den > 0, den, jnp.ones((), den.dtype))
    # XLA on CPU turns `x / b` into `x * (1 / b)` for arrays but not for scalars; the cosine
    # then moves that ulp to several: the explicit reciprocal gives s(t) == s(array)[t].
    return jnp.where(den > 0, num * (1 / safe), jnp.ones((), den.dtype))


class TorchOneCycleLR(AbstractSchedule, factory="one_cycle_lr"):
    """torch ``OneCycleLR`` (built by :func:`one_cycle_lr`).

    Not ``lrjax.one_cycle``, whose phases end on whole steps: torch's phase ends are real
    numbers. Each fraction is a difference of steps over the real phase length, so that both
    ends keep full relative precision.
    """

    max_lr: Param = fields.value(nonnegative=True)
    total_steps: Param = fields.count(minimum=1)
    pct_start: Param = fields.value(nonnegative=True)
    anneal_strategy: str = fields.choice(("cos", "linear"))
    div_factor: Param = fields.value(positive=True)
    final_div_factor: Param = fields.value(positive=True)
    three_phase: bool = fields.flag()

    def check(self) -> None:
        _check_one_cycle(self)

    def _evaluate(self, t: Array) -> Array:
        top = jnp.asarray(self.max_lr)
        initial = top / self.div_factor
        return _one_cycle_curve(self, t, initial, top, initial / self.final_div_factor)


def _check_one_cycle(node: Any) -> None:
    """torch ``OneCycleLR``'s rules on ``pct_start`` (shared by the lr and its momentum)."""
    v.require_args(node, "pct_start", lambda p: p <= 1, "pct_start must be in [0, 1]")
    v.require_args(
        node,
        "pct_start total_steps",
        lambda p, n: not math.isclose(p * n, 1.0, rel_tol=1e-6),
        "pct_start * total_steps must not be 1 (torch divides 0 by 0 at step 0)",
    )


def _one_cycle_curve(node: Any, t: Array, initial: Array, top: Array, low: Array) -> Array:
    """torch ``OneCycleLR``'s phases (``node``'s ``total_steps``, ``pct_start``,
    ``anneal_strategy``, ``three_phase``) through ``initial -> top -> low`` (or ``initial ->
    top -> initial -> low`` with three phases): its lr, or its momentum with ``initial = low
    = max_momentum`` and ``top = base_momentum``."""
    dtype, total = top.dtype, jnp.asarray(node.total_steps).astype(t.dtype)
    tc = jnp.minimum(t, jnp.maximum(total - 1, 0)).astype(dtype)  # hold from total - 1 on
    n = total.astype(dtype)
    shape = "cosine" if node.anneal_strategy == "cos" else "linear"

    def anneal(start: Array, end: Array, begin: Any, stop: Array, span: Array) -> Array:
        """From ``start`` to ``end`` over the real phase [begin, stop] of length ``span``."""
        return ramp(shape, start, end, Progress(_phase(tc - begin, span), _phase(stop - tc, span)))

    pt = node.pct_start * n  # torch: phase 1 ends at pct_start * total - 1
    e1 = pt - 1
    rise = anneal(initial, top, 0, e1, e1)
    if not node.three_phase:
        # Phase 2 runs from e1 to total - 1: its length is total - pct_start * total.
        return jnp.where(tc <= e1, rise, anneal(top, low, e1, n - 1, n - pt))
    e2 = 2 * pt - 2
    back = anneal(top, initial, e1, e2, pt - 1)
    fall = anneal(initial, low, e2, n - 1, n + 1 - 2 * pt)
    return jnp.where(tc <= e1, rise, jnp.where(tc <= e2, back, fall))


def _total_steps(f: str, total_steps: Any, epochs: int | None, steps_per_epoch: int | None) -> Any:
    """torch's ``total_steps``, or ``epochs * steps_per_epoch``."""
    if total_steps is not None:
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError(f"{f}: give total_steps, or both epochs and steps_per_epoch")
    for name, x in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        v.as_count(f, name, x, minimum=1)
    return epochs * steps_per_epoch


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
    the phases end at the real steps :math:`pT - 1` (:math:`I \to M`) and :math:`T - 1`
    (:math:`M \to` minimum), or with ``three_phase`` at :math:`pT - 1`, :math:`2pT - 2`
    (:math:`M \to I`) and :math:`T - 1` (:math:`I \to` minimum); a phase from :math:`s` to
    :math:`e` is a cosine or linear ``ramp`` in :math:`(t - s)/(e - s)`. From ``T - 1`` on
    the value holds (torch raises past ``total_steps``).

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

    Examples:
      >>> s = lrt.one_cycle_lr(1.0, total_steps=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 1, 2, 3, 9, 10, 50]))])
      [0.04, 0.52, 1.0, 0.9505, 0.0, 0.0, 0.0]
    """
    total_steps = _total_steps("one_cycle_lr", total_steps, epochs, steps_per_epoch)
    return TorchOneCycleLR(
        max_lr, total_steps, pct_start, anneal_strategy, div_factor, final_div_factor, three_phase
    )


class TorchOneCycleMomentum(AbstractSchedule, factory="one_cycle_momentum"):
    """torch ``OneCycleLR``'s momentum (built by :func:`one_cycle_momentum`)."""

    total_steps: Param = fields.count(minimum=1)
    pct_start: Param = fields.value(nonnegative=True)
    anneal_strategy: str = fields.choice(("cos", "linear"))
    base_momentum: Param = fields.value(nonnegative=True)
    max_momentum: Param = fields.value(nonnegative=True)
    three_phase: bool = fields.flag()

    def check(self) -> None:
        _check_one_cycle(self)

    def _evaluate(self, t: Array) -> Array:
        top = jnp.asarray(self.max_momentum)
        return _one_cycle_curve(
            self, t, top, jnp.asarray(self.base_momentum).astype(top.dtype), top
        )


def one_cycle_momentum(
    total_steps: ArrayLike | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: ArrayLike = 0.3,
    anneal_strategy: str = "cos",
    base_momentum: ArrayLike = 0.85,
    max_momentum: ArrayLike = 0.95,
    three_phase: bool = False,
) -> TorchOneCycleMomentum:
    r"""torch ``OneCycleLR``'s momentum (``cycle_momentum=True``), the inverse of its lr.

    Over the phases of :func:`one_cycle_lr` with the same ``total_steps``, ``pct_start``,
    ``anneal_strategy`` and ``three_phase``, the momentum anneals :math:`m_{max} \to
    m_{base}` while the lr rises and :math:`m_{base} \to m_{max}` while it falls (three
    phases: :math:`m_{max} \to m_{base} \to m_{max}`, then :math:`m_{max}` held), each
    phase a cosine or linear ``ramp``; from ``T - 1`` on the value holds. It is what torch
    writes into ``param_groups[i]["momentum"]`` (SGD) or ``["betas"][0]`` (Adam, AdamW)
    before the ``t``-th update; in optax pass it as ``momentum=`` of ``sgd`` or ``b1=`` of
    ``adam`` through ``optax.inject_hyperparams``.

    Args:
      total_steps: :math:`T`; an integer ``>= 1``. Or give ``epochs`` and ``steps_per_epoch``.
      epochs: number of epochs (with ``steps_per_epoch``); a Python int ``>= 1``.
      steps_per_epoch: updates per epoch; a Python int ``>= 1``.
      pct_start: fraction of the cycle spent rising, in ``[0, 1]``; ``pct_start *
        total_steps == 1`` is rejected (torch divides 0 by 0 at step 0).
      anneal_strategy: "cos" or "linear" (static).
      base_momentum: :math:`m_{base}`, the momentum at the lr's peak; ``>= 0``.
      max_momentum: :math:`m_{max}`, the momentum at the start and the end; ``>= 0``.
      three_phase: torch's three-phase variant (static).

    Examples:
      >>> m = lrt.one_cycle_momentum(total_steps=10)
      >>> print([round(float(x), 4) for x in m(jnp.array([0, 1, 2, 3, 9, 10]))])
      [0.95, 0.9, 0.85, 0.855, 0.95, 0.95]
    """
    total_steps = _total_steps("one_cycle_momentum", total_steps, epochs, steps_per_epoch)
    return TorchOneCycleMomentum(
        total_steps, pct_start, anneal_strategy, base_momentum, max_momentum, three_phase
    )


# --------------------------------------------------------------------------------------
class TorchSequentialLR(AbstractPreset, factory="sequential_lr"):
    r"""torch ``SequentialLR``: each scheduler in turn, restarted at its milestone.

    :math:`\eta(t) =` ``join_schedules(schedulers, milestones)``: scheduler :math:`i`
    restarts from its own step 0 at milestone :math:`i - 1`, as torch's ``_update_lr(0)``
    does, so with schedulers from this module sharing one base lr the values are torch's.

    Args:
      schedulers: lrjax schedules, normally built by this module; at least one.
      milestones: ``len(schedulers) - 1`` strictly increasing integers ``>= 0``.

    Examples:
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
                names = ", ".join(c.factory for c in AbstractTorchChainable.__subclasses__())
                raise TypeError(
                    f"{f}(schedulers[{i}]={type(child).__name__}): only the multiplicative "
                    f"schedulers of lrjax.compat.torch can be chained ({names} with eta_min=0)"
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

    :math:`\eta(t) = b \prod_i s_i(t) / b`, torch's result for its multiplicative schedulers
    in any order. The others (``eta_min != 0`` or periodic cosines, ``CyclicLR``,
    ``OneCycleLR``, ``CosineAnnealingWarmRestarts``) are rejected: with them torch's result
    depends on the order of the chain.

    Args:
      schedulers: schedules from this module with the same ``base_lr`` (torch's share the
        optimizer's); a nested ``chained_scheduler`` is allowed.

    Examples:
      >>> s = lrt.chained_scheduler(
      ...     [lrt.linear_lr(1.0, 0.1, 1.0, 10), lrt.exponential_lr(1.0, 0.9)])
      >>> print(f"{float(s(5)):.4f}")
      0.3248
    """
    # A nested chain contributes its schedulers: torch steps them all, in any order.
    nested = [s.schedulers if isinstance(s, TorchChainedScheduler) else [s] for s in schedulers]
    return TorchChainedScheduler([child for group in nested for child in group])


# --------------------------------------------------------------------------------------
def _torch_lambda(func: str, lr_lambda: Any) -> Any:
    """torch's ``lr_lambda`` for the one parameter group lrjax models: a callable."""
    if isinstance(lr_lambda, (list, tuple)):
        raise TypeError(
            f"{func}(lr_lambda=[...]): one function per parameter group is torch's form; a "
            "compat schedule is one group's learning rate, so give one function"
        )
    if not callable(lr_lambda):
        raise TypeError(
            f"{func}(lr_lambda={lr_lambda!r}): lr_lambda should be a function, but got "
            f"{type(lr_lambda).__name__}"
        )
    return lr_lambda


def _epoch_table(func: str, lr_lambda: Any, num_epochs: Any, factors: Any, first: int) -> Any:
    """``factors`` as given, or ``lr_lambda(e)`` for the epochs ``first .. num_epochs - 1``."""
    if factors is not None:
        if lr_lambda is not None or num_epochs is not None:
            raise TypeError(
                f"{func}: give lr_lambda and num_epochs, or factors (the table they computed, "
                "as to_config stores it), not both"
            )
        return factors
    if lr_lambda is None or num_epochs is None:
        raise TypeError(f"{func}: give lr_lambda and num_epochs (or factors)")
    fn = _torch_lambda(func, lr_lambda)
    n = epoch_count(func, num_epochs)
    return [
        epoch_function_value(func, "lr_lambda", fn(e), f"lr_lambda({e})") for e in range(first, n)
    ]


class _EpochFactors:
    """``base_lr`` times a per-epoch table of ``factors``: the rules and the schedule of
    :class:`TorchLambdaLR` and :class:`TorchMultiplicativeLR`, which declare the fields
    (only the second is chainable in torch, so their bases differ)."""

    def check(self: Any) -> None:
        check_epoch_horizon(self, "factors")

    def build(self: Any) -> AbstractSchedule:
        return per_epoch(self.base_lr * jnp.asarray(self.factors), self.steps_per_epoch)


class TorchLambdaLR(_EpochFactors, AbstractPreset, factory="lambda_lr"):
    """torch ``LambdaLR`` as a per-epoch table (built by :func:`lambda_lr`)."""

    base_lr: Param = fields.value(nonnegative=True)
    factors: Param = fields.values(nonnegative=True)
    steps_per_epoch: Param = fields.count(minimum=1, default=1)


def lambda_lr(
    base_lr: ArrayLike,
    lr_lambda: Callable[[int], Any] | None = None,
    num_epochs: int | None = None,
    steps_per_epoch: ArrayLike = 1,
    *,
    factors: Sequence[float] | ArrayLike | None = None,
) -> TorchLambdaLR:
    r"""torch ``LambdaLR``: ``base_lr`` times a Python function of the epoch, tabulated.

    :math:`\eta(t) = b \cdot f_{\min(\lfloor t / S \rfloor,\, E - 1)}` with :math:`f_e =`
    ``lr_lambda(e)``, evaluated in Python once per epoch :math:`e = 0 .. E - 1` here, at
    construction (:math:`E` = ``num_epochs``, :math:`S` = ``steps_per_epoch``). The result is
    an ordinary schedule: it jits, vmaps (over ``base_lr`` too), plots and serializes. It
    stores the factors, **not the function** (``to_config`` and ``repr`` show
    ``factors=[...]``, which this function accepts in place of ``lr_lambda`` and
    ``num_epochs``). After the horizon the last value holds (torch would go on calling the
    function). With ``steps_per_epoch`` :math:`S > 1`, torch's ``scheduler.step()`` is
    called once per epoch of :math:`S` updates.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      lr_lambda: ``epoch -> factor``, called with the Python ints ``0 .. num_epochs - 1``;
        each factor must be a finite real number ``>= 0``. One function (one parameter
        group).
      num_epochs: the horizon :math:`E`; a Python int ``>= 1``.
      steps_per_epoch: updates per ``scheduler.step()``; an integer ``>= 1``.
      factors: the table itself, instead of ``lr_lambda`` and ``num_epochs``.

    Examples:
      >>> s = lrt.lambda_lr(0.1, lambda epoch: 0.5 ** (epoch // 2), num_epochs=5)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 1, 2, 4, 9]))])
      [0.1, 0.1, 0.05, 0.025, 0.025]
      >>> s.factors
      array([1.  , 1.  , 0.5 , 0.5 , 0.25], dtype=float32)
    """
    table = _epoch_table("lambda_lr", lr_lambda, num_epochs, factors, 0)
    return TorchLambdaLR(base_lr, table, steps_per_epoch)


class TorchMultiplicativeLR(_EpochFactors, AbstractTorchChainable, factory="multiplicative_lr"):
    """torch ``MultiplicativeLR`` as a per-epoch table (built by :func:`multiplicative_lr`)."""

    factors: Param = fields.values(nonnegative=True)
    steps_per_epoch: Param = fields.count(minimum=1, default=1)


def multiplicative_lr(
    base_lr: ArrayLike,
    lr_lambda: Callable[[int], Any] | None = None,
    num_epochs: int | None = None,
    steps_per_epoch: ArrayLike = 1,
    *,
    factors: Sequence[float] | ArrayLike | None = None,
) -> TorchMultiplicativeLR:
    r"""torch ``MultiplicativeLR``: the lr multiplied by a Python function of the epoch.

    torch's recursion, :math:`\eta_0 = b` and :math:`\eta_e = \eta_{e-1} \cdot`
    ``lr_lambda(e)`` for :math:`e \ge 1` (``lr_lambda(0)`` is never called), is evaluated in
    Python (float64) at construction for :math:`e < E` = ``num_epochs``; the schedule
    stores the cumulative factors :math:`c_e = \prod_{i=1}^{e}` ``lr_lambda(i)`` and gives
    :math:`\eta(t) = b \cdot c_{\min(\lfloor t / S \rfloor,\, E - 1)}`. It stores the
    factors, **not the function** (``factors=[...]`` in ``repr``/``to_config``, accepted in
    place of ``lr_lambda`` and ``num_epochs``); after the horizon the last value holds. It
    is multiplicative, so it can be part of a :func:`chained_scheduler`.

    Args:
      base_lr: the optimizer's learning rate :math:`b`; ``>= 0``.
      lr_lambda: ``epoch -> factor``, called with the Python ints ``1 .. num_epochs - 1``;
        each factor must be a finite real number ``>= 0``. One function (one group).
      num_epochs: the horizon :math:`E`; a Python int ``>= 1``.
      steps_per_epoch: updates per ``scheduler.step()`` :math:`S`; an integer ``>= 1``.
      factors: the cumulative table :math:`c` itself, instead of ``lr_lambda`` and
        ``num_epochs``.

    Examples:
      >>> s = lrt.multiplicative_lr(1.0, lambda epoch: 0.5, num_epochs=4, steps_per_epoch=2)
      >>> print([float(x) for x in s(jnp.arange(9))])
      [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.125]
    """
    f = "multiplicative_lr"
    table = _epoch_table(f, lr_lambda, num_epochs, factors, 1)
    if factors is None:
        cumulative = [1.0]
        for x in table:  # torch's order of products, in float64
            cumulative.append(cumulative[-1] * x)
        table = cumulative
    return TorchMultiplicativeLR(base_lr, table, steps_per_epoch)


# --------------------------------------------------------------------------------------
class TorchReduceLROnPlateau(AbstractPlateau, factory="reduce_lr_on_plateau"):
    r"""torch ``ReduceLROnPlateau`` for one parameter group: the lr drops by ``factor``
    after more than ``patience`` updates without improvement.

    The state's ``scale`` is the learning rate itself: a reduction sets it to
    ``max(lr * factor, min_lr)`` when that lowers it by more than ``eps``. A metric
    improves on ``best`` when ``x < best * (1 - threshold)`` ("min", "rel"; torch's rule,
    also for negative metrics), ``x < best - threshold`` ("abs"), or ``x > best * (1 +
    threshold)``, ``x > best + threshold`` for "max". One :meth:`update` is one
    ``scheduler.step(metric)``.

    Args:
      lr: the optimizer's learning rate; ``>= 0``.
      mode: "min" or "max".
      factor: in ``(0, 1)``... torch accepts any factor < 1.
      patience: an integer ``>= 0``.
      threshold: ``>= 0``.
      threshold_mode: "rel" or "abs".
      cooldown: an integer ``>= 0``.
      min_lr: the floor; ``>= 0``.
      eps: the smallest change applied; ``>= 0``.

    Examples:
      >>> c = lrt.reduce_lr_on_plateau(0.1, patience=0)
      >>> state = c.update(c.update(c.init(), value=1.0), value=1.0)
      >>> print(f"{float(c(state)):.3f}")
      0.010
    """

    lr: Param = fields.value(nonnegative=True)
    mode: str = fields.choice(MODES, default="min")
    factor: Param = fields.value(positive=True, default=0.1)
    patience: Param = fields.count(default=10)
    threshold: Param = fields.value(nonnegative=True, default=1e-4)
    threshold_mode: str = fields.choice(THRESHOLD_MODES, default="rel")
    cooldown: Param = fields.count(default=0)
    min_lr: Param = fields.value(nonnegative=True, default=0.0)
    eps: Param = fields.value(nonnegative=True, default=1e-8)

    def check(self) -> None:
        v.require_args(self, "factor", lambda f: f < 1, "factor must be < 1 (torch's rule)")

    def base(self) -> AbstractSchedule:
        return constant(1.0)

    def _initial_scale(self) -> Any:
        return self.lr

    def _observe(self, state: PlateauState, metric: Array) -> PlateauState:
        return torch_plateau_step(
            state, metric, self.mode, self.threshold, self.threshold_mode, self.patience,
            self.cooldown, self.factor, self.min_lr, self.eps,
        )  # fmt: skip


def torch_plateau_step(
    state: PlateauState, metric: Array, mode: str, threshold: Any, threshold_mode: str,
    patience: Any, cooldown: Any, factor: Any, min_lr: Any, eps: Any,
) -> PlateauState:  # fmt: skip
    """torch's ``ReduceLROnPlateau.step(metric)``, the lr in ``state.scale`` (also timm's)."""
    best = state.best
    if mode == "min":
        improved = metric < (
            best * (1 - threshold) if threshold_mode == "rel" else best - threshold
        )
    else:
        improved = metric > (
            best * (1 + threshold) if threshold_mode == "rel" else best + threshold
        )
    new = count_plateau(state, improved, metric, patience, cooldown)
    reduce = new.num_reductions > state.num_reductions
    old = state.scale
    lower = jnp.maximum(old * factor, min_lr).astype(old.dtype)
    return new._replace(scale=jnp.where(reduce & (old - lower > eps), lower, old))


reduce_lr_on_plateau = make_factory(TorchReduceLROnPlateau)
__all__ = factory_names(__name__)  # pyright: ignore[reportUnsupportedDunderAll]
