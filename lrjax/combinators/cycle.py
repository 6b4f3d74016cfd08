"""``cycle``: restart a schedule periodically, with geometric periods and amplitudes."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.kernel import capped_exp, geometric_cycle, straight_through
from lrjax.core.schedule import AbstractSchedule, Array, Child, Param, evaluate_child, make_factory
from lrjax.core.steps import as_step_dtype, floor_divmod

_MAX_LISTED_RESTARTS = 1000


class Cycle(AbstractSchedule):
    r"""Restart ``schedule`` every ``period`` steps (SGDR-style warm restarts).

    .. math::
      \eta(t) = \gamma^{k}\, s\!\left(\frac{t - S_k}{\mu^{k}}\right),
      \qquad S_k = P\,\frac{\mu^{k} - 1}{\mu - 1}\ (= kP \text{ when } \mu = 1)

    where cycle :math:`k` is the one with :math:`S_k \le t < S_{k+1}`, :math:`P` is
    ``period``, :math:`\mu` is ``period_mul`` and :math:`\gamma` is ``value_mul``. The
    child is defined over one base period: the :math:`k`-th cycle lasts :math:`P\mu^k`
    steps and the child sees it stretched to :math:`P` steps (SGDR's ``t_mul``, timm's
    ``cycle_mul``); ``value_mul`` scales the whole value of cycle :math:`k` by
    :math:`\gamma^k`. After ``num_cycles`` cycles the value holds at the end of the last
    cycle, :math:`\gamma^{n-1} s(P)`; without ``num_cycles`` the restarts never end.

    Closed form, no loop over cycles. Without ``period_mul`` the cycle index and the
    local step are exact integers at any step; a given ``period_mul`` of 1 gives the
    same values, with the local step passed to the child as a float (exact up to 2**24
    steps per cycle in float32). With ``period_mul != 1`` the cycle start is found in
    float (corrected by one either way) and the local step is a float: in float32 its
    absolute error grows like ``t * 6e-8`` (about 100 steps at ``t = 2**31``); it
    disappears under ``jax_enable_x64``.

    Args:
      schedule: the schedule to repeat, defined on ``[0, period]``.
      period: length of the first cycle; an integer ``>= 1``.
      period_mul: growth factor of each cycle's length; ``>= 1``, or None (the default)
        for fixed periods. None and 1 give the same values; None is structure (only the
        exact integer cycle is computed), a number is a leaf (vmapped, jitted without
        retracing, differentiated) and costs the geometric formula's logarithms and
        exponentials on every step, since the branch that would skip them at 1 cannot be
        fused into the loop over the steps.
      value_mul: factor applied to each successive cycle's values; ``> 0``, or None (the
        default) for none (likewise: None computes no power).
      num_cycles: number of cycles before holding, an integer ``>= 1``, or None (forever).

    Examples:
      >>> s = lrjax.cycle(lrjax.linear(1.0, 0.0, 10), period=10, value_mul=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 5, 10, 15, 20]))])
      [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    schedule: Child = fields.schedule()
    period: Param = fields.count(minimum=1)
    period_mul: Param | None = fields.value(at_least=1.0, optional=True, default=None, kw_only=True)
    value_mul: Param | None = fields.value(positive=True, optional=True, default=None, kw_only=True)
    num_cycles: Param | None = fields.count(minimum=1, optional=True, default=None, kw_only=True)

    def _evaluate(self, t: Array) -> Array:
        period = jnp.maximum(as_step_dtype(self.period, t), jnp.ones((), t.dtype))
        # Fixed period: cycle index and local step in exact integer arithmetic.
        k_fixed, local_fixed = floor_divmod(t, period)
        if self.period_mul is None:
            index, finished = self._held(k_fixed, t)
            local_fixed = jnp.where(finished, period, local_fixed)
            return self._scaled(evaluate_child(self.schedule, local_fixed), index)

        dtype = jnp.asarray(self.period_mul).dtype
        geometric = jnp.asarray(self.period_mul) != 1

        # Geometric periods: the k-th cycle lasts period * mul**k steps; the child sees it
        # squeezed to `period` steps.
        k, local, length = geometric_cycle(t, period, self.period_mul, dtype)
        pf = period.astype(dtype)
        local_geometric = jnp.clip(local * pf / length, 0, pf)

        index, finished = self._held(jnp.where(geometric, k.astype(t.dtype), k_fixed), t)
        # With period_mul == 1 the child sees the exact integer local step (as a float, so
        # one evaluation of the child serves both cases: evaluating it at both local steps
        # cost 10 % more on 1e7 steps); its derivative is the geometric formula's (smooth
        # through 1: geometric_cycle gives the first-order terms there), not the zero of a
        # branch on the default value.
        exact = local_fixed.astype(dtype)
        local = jnp.where(geometric, local_geometric, straight_through(exact, local_geometric))
        local = jnp.where(finished, pf, local)
        return self._scaled(evaluate_child(self.schedule, local), index)

    def _held(self, index: Array, t: Array) -> tuple[Array, Array]:
        """After ``num_cycles`` cycles the value holds at the end of the last one: the cycle
        index stays at the last, and ``finished`` says where (the caller then shows the
        child its local step ``period``). Never finished without ``num_cycles``."""
        if self.num_cycles is None:
            return index, jnp.zeros((), bool)
        last = as_step_dtype(self.num_cycles, t) - 1
        finished = (index > last) | jnp.isinf(t)
        return jnp.where(finished, last, index), finished

    def _scaled(self, value: Array, index: Array) -> Array:
        """The value of cycle ``index`` times ``value_mul ** index``."""
        if self.value_mul is None:
            return value
        value_mul = jnp.asarray(self.value_mul).astype(value.dtype)
        # A value_mul above 1 saturates at e**80 (no inf, no NaN gradient) far out.
        scale = capped_exp(index.astype(value.dtype) * jnp.log(value_mul))
        return jnp.where(index == 0, value, value * scale)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        period = v.concrete(self.period)
        mul = 1.0 if self.period_mul is None else v.concrete(self.period_mul)
        count = None if self.num_cycles is None else v.concrete(self.num_cycles)
        if period is None or mul is None or (self.num_cycles is not None and count is None):
            return ()
        if np.ndim(period) or np.ndim(mul) or (count is not None and np.ndim(count)):
            return ()
        limit = _MAX_LISTED_RESTARTS if count is None else min(count, _MAX_LISTED_RESTARTS)
        points, start, length = [], 0.0, float(period)
        for _ in range(int(limit)):
            start += length
            length *= float(mul)
            if horizon is not None and start > horizon:
                break
            points.append(int(np.ceil(start)))
        return tuple(points)


cycle = make_factory(Cycle)
