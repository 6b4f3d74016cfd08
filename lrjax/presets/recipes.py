"""Presets: the familiar recipes, composed from the core primitives and combinators.

Each preset is an :class:`~lrjax.AbstractPreset` that stores exactly its public arguments
as pytree leaves (so its repr and config read like the call, and every numeric argument
can be vmapped, jitted without retracing and differentiated) and builds its schedule from
``warmup``, ``join_schedules``, ``cycle``, ``linear``, ``cosine_decay``, ... when evaluated.
Every preset follows docs/contract.md: ``t`` is the 0-based update index, phases are
half-open, endpoints are exact in float32, and a finite schedule holds its end value.

The decays of a named ramp shape (``shaped_decay``, used by ``warmup_stable_decay`` and
``one_cycle``) and ``tanh_decay`` are schedule families of ``lrjax.schedules.shaped``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrjax.combinators.arith import add, multiply
from lrjax.combinators.cycle import cycle
from lrjax.combinators.join import join_schedules
from lrjax.combinators.warmup import warmup
from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.checks import require_args, require_order, require_step_sum
from lrjax.core.dtypes import float_dtype, int_max
from lrjax.core.kernel import SHAPES
from lrjax.core.schedule import (
    AbstractPreset,
    AbstractSchedule,
    Array,
    Param,
    as_schedule,
    make_factory,
)
from lrjax.schedules.piecewise import piecewise_constant
from lrjax.schedules.primitives import (
    constant,
    cosine_decay,
    exponential_decay,
    linear,
    polynomial,
    rsqrt_decay,
)
from lrjax.schedules.shaped import DECAY_SHAPES, shaped_decay

ANNEAL_SHAPES = tuple(sorted({"cosine", "linear"} & set(SHAPES)))
"""Shapes of the phases of :func:`one_cycle` (in alphabetical order, as messages list them)."""

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
"""Modes of :func:`cyclic` (Smith 2015; torch ``CyclicLR``)."""


def _require_unit_gamma(s: AbstractSchedule) -> None:
    require_args(s, "gamma", lambda g: g <= 1, "gamma must be in (0, 1]")


def _float(x: Any) -> Array:
    return jnp.asarray(x).astype(float_dtype())


def _warmup_then(s: Any, decay: AbstractSchedule, hold: Any = None, shape: str = "linear") -> Any:
    """Ramp from ``s.init_value`` to ``s.peak_value`` over ``s.warmup_steps``, hold the peak
    for ``hold`` steps (if given), then ``decay`` at its local step.

    The ramp always aims at the peak, also when the decay has zero length (then the value
    jumps to the decay's end at ``warmup_steps + hold``): a warmup with ``peak_value``, the
    decay as its schedule. A hold is a join of that warmup of a constant and the decay.
    """
    if hold is None:
        return warmup(decay, s.warmup_steps, s.init_value, shape=shape, peak_value=s.peak_value)
    ramp = warmup(constant(s.peak_value), s.warmup_steps, s.init_value, shape=shape)
    # Saturating: a decay that starts past the largest step never starts (without the
    # saturation the boundary would wrap negative and the decay would start at step 0).
    warm = jnp.asarray(s.warmup_steps)
    start = jnp.where(warm > int_max() - jnp.asarray(hold), int_max(), warm + hold)
    return join_schedules([ramp, decay], [start])


# ======================================================================================
# Warmup + decay presets
# ======================================================================================


class AbstractWarmupDecay(AbstractPreset):
    """A warmup to ``peak_value`` over ``warmup_steps``, then a decay that ends at
    ``total_steps`` (counted from step 0, the warmup included)."""

    peak_value: Param = fields.value(nonnegative=True)
    warmup_steps: Param = fields.count()
    total_steps: Param = fields.count()

    def check(self) -> None:
        require_order(self, "warmup_steps", "total_steps")


class WarmupCosineDecay(AbstractWarmupDecay):
    r"""Linear warmup to ``peak_value``, then cosine decay to ``end_value``.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\,t / W & t < W \\
        E + (P - E)\left[\tfrac12\left(1 + \cos\left(\pi\,\tfrac{\min(t, T) - W}{T - W}
        \right)\right)\right]^{p} & t \ge W
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps``, :math:`T` is
    ``total_steps`` (**including** the warmup, like optax's ``decay_steps``), :math:`I` is
    ``init_value``, :math:`E` is ``end_value`` and :math:`p` is ``exponent``. Exact
    endpoints: :math:`\eta(0) = I` (:math:`P` when :math:`W = 0`), :math:`\eta(W) = P`,
    :math:`\eta(T) = E`, held after. With :math:`T = W` there is no decay and the value
    jumps to :math:`E` at :math:`W` (the warmup still aims at :math:`P`).

    Built as ``join_schedules([warmup(constant(P), W, I), cosine_decay(P, T - W, E, p)], [W])``.

    Args:
      peak_value: value at the end of the warmup; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      total_steps: step at which ``end_value`` is reached; an integer ``>= warmup_steps``.
      init_value: value at step 0; ``>= 0``.
      end_value: value from ``total_steps`` on; ``>= 0``.
      exponent: power of the cosine factor; ``> 0``, or None (the default) for none
        (see :func:`cosine_decay`).

    Examples:
      >>> s = lrjax.warmup_cosine_decay(1.0, warmup_steps=10, total_steps=110)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10, 60, 110, 200]))])
      [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    init_value: Param = fields.value(nonnegative=True, default=0.0)
    end_value: Param = fields.value(nonnegative=True, default=0.0)
    exponent: Param | None = fields.value(positive=True, optional=True, default=None)

    def build(self) -> AbstractSchedule:
        decay_steps = self.total_steps - self.warmup_steps
        decay = cosine_decay(
            self.peak_value, decay_steps, end_value=self.end_value, exponent=self.exponent
        )
        return _warmup_then(self, decay)


warmup_cosine_decay = make_factory(WarmupCosineDecay)


class WarmupLinearDecay(AbstractWarmupDecay):
    r"""Linear warmup to ``peak_value``, then linear decay to ``end_value``.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\,t / W & t < W \\
        E + (P - E)\,\frac{T - \min(t, T)}{T - W} & t \ge W
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps``, :math:`T` is
    ``total_steps`` (including the warmup), :math:`I` is ``init_value`` and :math:`E` is
    ``end_value``. Hugging Face's ``linear`` schedule is ``warmup_linear_decay(lr, W, T)``.
    Exact endpoints at 0, :math:`W` and :math:`T`; holds :math:`E` after :math:`T`.

    Args:
      peak_value: value at the end of the warmup; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      total_steps: step at which ``end_value`` is reached; an integer ``>= warmup_steps``.
      init_value: value at step 0; ``>= 0``.
      end_value: value from ``total_steps`` on; ``>= 0``.

    Examples:
      >>> s = lrjax.warmup_linear_decay(1.0, warmup_steps=2, total_steps=6)
      >>> print([float(x) for x in s(jnp.arange(8))])
      [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    init_value: Param = fields.value(nonnegative=True, default=0.0)
    end_value: Param = fields.value(nonnegative=True, default=0.0)

    def build(self) -> AbstractSchedule:
        decay = linear(self.peak_value, self.end_value, self.total_steps - self.warmup_steps)
        return _warmup_then(self, decay)


warmup_linear_decay = make_factory(WarmupLinearDecay)


class WarmupPolynomialDecay(AbstractWarmupDecay):
    r"""Linear warmup to ``peak_value``, then polynomial decay to ``end_value``.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\,t / W & t < W \\
        E + (P - E)\left(\frac{T - \min(t, T)}{T - W}\right)^{p} & t \ge W
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps``, :math:`T` is
    ``total_steps`` (including the warmup), :math:`p` is ``power``, :math:`I` is
    ``init_value`` and :math:`E` is ``end_value`` (Hugging Face's ``polynomial`` with
    ``lr_end = E``; it fails at :math:`T = W`, lrjax jumps to :math:`E`).

    Args:
      peak_value: value at the end of the warmup; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      total_steps: step at which ``end_value`` is reached; an integer ``>= warmup_steps``.
      power: exponent of the remaining fraction; ``> 0``, or None (the default) for a
        straight line (see :func:`cosine_decay`'s ``exponent``).
      init_value: value at step 0; ``>= 0``.
      end_value: value from ``total_steps`` on; ``>= 0``.

    Examples:
      >>> s = lrjax.warmup_polynomial_decay(1.0, warmup_steps=10, total_steps=110, power=2.0)
      >>> print([round(float(x), 4) for x in s(jnp.array([5, 10, 60, 110]))])
      [0.5, 1.0, 0.25, 0.0]
    """

    power: Param | None = fields.value(positive=True, optional=True, default=None)
    init_value: Param = fields.value(nonnegative=True, default=0.0)
    end_value: Param = fields.value(nonnegative=True, default=0.0)

    def build(self) -> AbstractSchedule:
        steps = self.total_steps - self.warmup_steps
        decay = polynomial(self.peak_value, self.end_value, self.power, steps)
        return _warmup_then(self, decay)


warmup_polynomial_decay = make_factory(WarmupPolynomialDecay)


class WarmupConstant(AbstractPreset):
    r"""Linear warmup to ``peak_value``, then constant.

    .. math::
      \eta(t) = \begin{cases} I + (P - I)\,t / W & t < W \\ P & t \ge W \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps`` and :math:`I` is
    ``init_value``. With :math:`W = 0` it is :math:`P` from step 0 (optax's
    ``warmup_constant_schedule`` returns ``init_value`` forever there).

    Args:
      peak_value: value from step ``warmup_steps`` on; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      init_value: value at step 0; ``>= 0``.

    Examples:
      >>> s = lrjax.warmup_constant(1.0, warmup_steps=4)
      >>> print([float(x) for x in s(jnp.arange(6))])
      [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    peak_value: Param = fields.value(nonnegative=True)
    warmup_steps: Param = fields.count()
    init_value: Param = fields.value(nonnegative=True, default=0.0)

    def build(self) -> AbstractSchedule:
        return warmup(constant(self.peak_value), self.warmup_steps, self.init_value)


warmup_constant = make_factory(WarmupConstant)


class WarmupExponentialDecay(AbstractPreset):
    r"""Linear warmup to ``peak_value``, then exponential decay.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\,t / W & t < W \\
        P\, r^{(t - W)/K} & t \ge W
      \end{cases}

    (with :math:`\lfloor (t - W)/K \rfloor` when ``staircase``), where :math:`P` is
    ``peak_value``, :math:`W` is ``warmup_steps``, :math:`r` is ``decay_rate``, :math:`K`
    is ``transition_steps`` and :math:`I` is ``init_value``. Unbounded: it keeps decaying,
    floored by ``end_value`` when :math:`r < 1` (a ceiling when :math:`r > 1`). Like
    optax's ``warmup_exponential_decay_schedule`` with ``transition_begin=0``.

    Args:
      peak_value: value at the end of the warmup; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      decay_rate: factor per ``transition_steps`` steps; ``> 0``.
      transition_steps: steps per factor of ``decay_rate``; an integer ``>= 1``.
      init_value: value at step 0; ``>= 0``.
      staircase: if True, the value changes only every ``transition_steps`` steps.
      end_value: optional floor (``<= peak_value`` when ``decay_rate < 1``) or ceiling
        (``>= peak_value`` when ``decay_rate > 1``).

    Examples:
      >>> s = lrjax.warmup_exponential_decay(1.0, warmup_steps=5, decay_rate=0.5,
      ...                                    transition_steps=10)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 6, 15, 25]))])
      [0.0, 1.0, 0.933, 0.5, 0.25]
    """

    peak_value: Param = fields.value(nonnegative=True)
    warmup_steps: Param = fields.count()
    decay_rate: Param = fields.value(positive=True)
    transition_steps: Param = fields.count(minimum=1)
    init_value: Param = fields.value(nonnegative=True, default=0.0)
    staircase: bool = fields.flag(default=False)
    end_value: Param | None = fields.value(nonnegative=True, optional=True, default=None)

    def check(self) -> None:
        # end_value is a floor for a decay and a ceiling for a growth.
        names = "peak_value decay_rate end_value"
        floor = "end_value is a floor and must be <= peak_value when decay_rate < 1"
        ceiling = "end_value is a ceiling and must be >= peak_value when decay_rate > 1"
        require_args(self, names, lambda p, r, e: r >= 1 or e <= p, floor)
        require_args(self, names, lambda p, r, e: r <= 1 or e >= p, ceiling)

    def build(self) -> AbstractSchedule:
        decay = exponential_decay(
            self.peak_value,
            decay_rate=self.decay_rate,
            transition_steps=self.transition_steps,
            staircase=self.staircase,
            end_value=self.end_value,
        )
        return warmup(decay, self.warmup_steps, self.init_value)


warmup_exponential_decay = make_factory(
    WarmupExponentialDecay,
    positional=2,
    why="optax's warmup_exponential_decay_schedule takes (init_value, peak_value, "
    "warmup_steps, transition_steps, decay_rate)",
)


# ======================================================================================
# Warmup-stable-decay
# ======================================================================================


class WarmupStableDecay(AbstractPreset):
    r"""Warmup-stable-decay (WSD, "trapezoidal"): warmup, hold the peak, then cool down.

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\, m_w\!\left(\tfrac{W - t}{W}\right) & t < W \\
        P & W \le t < W + S \\
        E + (P - E)\, m_d\!\left(\tfrac{\min(t - W - S,\, D)}{D}\right) & t \ge W + S
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps``, :math:`S` is
    ``stable_steps``, :math:`D` is ``decay_steps``, :math:`I` is ``init_value``, :math:`E`
    is ``end_value``, and :math:`m(d)` is a shape's multiplier at normalised distance
    :math:`d` from the peak (docs/contract.md, Ramp shapes): "linear" :math:`1 - d`, "cosine"
    :math:`(1 + \cos \pi d)/2`, "1-sqrt" :math:`1 - \sqrt{d}`, "square" :math:`(1 - d)^2`,
    "exponential" geometric (:math:`E (P/E)^{1 - d}` for the decay, :math:`I (P/I)^{t/W}`
    for the warmup). The same shape used for the warmup and the decay gives mirror images
    (as in Hugging Face's WSD). Exact endpoints: :math:`\eta(0) = I`, :math:`\eta(W) = P`,
    :math:`\eta(W + S + D) = E`, held after.

    ``decay_shape`` may also be any schedule :math:`s`: the decay phase is then
    :math:`\eta(t) = s(\min(t - W - S, D))` for :math:`t \ge W + S`, i.e. :math:`s` sees the
    local decay step (0 at the start of the decay) and its value at :math:`D` is held
    afterwards. :math:`s` gives absolute values (it should start at :math:`P` for a
    continuous curve); ``end_value`` is then unused and must stay 0.

    Args:
      peak_value: value of the stable phase; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      stable_steps: length of the stable phase; an integer ``>= 0``.
      decay_steps: length of the decay; an integer ``>= 0`` (``>= 1`` for a schedule).
      init_value: value at step 0; ``>= 0`` (``> 0`` for an "exponential" warmup).
      end_value: value from step ``W + S + D`` on; ``>= 0`` (``> 0`` for an "exponential"
        decay).
      decay_shape: "linear", "cosine", "1-sqrt", "square", "exponential", or a schedule.
      warmup_shape: "linear", "cosine", "1-sqrt", "square" or "exponential".

    Examples:
      >>> s = lrjax.warmup_stable_decay(1.0, 2, 2, 2, end_value=0.1, decay_shape="1-sqrt",
      ...                               warmup_shape="1-sqrt")
      >>> print([round(float(x), 4) for x in s(jnp.arange(8))])
      [0.0, 0.2929, 1.0, 1.0, 1.0, 0.3636, 0.1, 0.1]
    """

    peak_value: Param = fields.value(nonnegative=True)
    warmup_steps: Param = fields.count()
    stable_steps: Param = fields.count()
    decay_steps: Param = fields.count()
    init_value: Param = fields.value(nonnegative=True, default=0.0)
    end_value: Param = fields.value(nonnegative=True, default=0.0)
    decay_shape: Any = fields.static(default="linear")  # a name or a schedule: __post_init__
    warmup_shape: str = fields.choice(DECAY_SHAPES, default="linear")
    decay_schedule: AbstractSchedule | None = fields.derived()

    def __post_init__(self) -> None:
        # A schedule given as decay_shape is stored as the child decay_schedule (a pytree,
        # so its numbers are leaves too), with decay_shape "schedule".
        shape, schedule = self.decay_shape, None
        if not isinstance(shape, str):
            if not callable(shape):
                valid = ", ".join(repr(c) for c in DECAY_SHAPES)
                raise TypeError(
                    f"{self.factory}(decay_shape={shape!r}): decay_shape must be one of {valid} "
                    "or a schedule"
                )
            shape, schedule = "schedule", as_schedule(shape, self.factory, "decay_shape")
        self.__dict__.update(decay_shape=shape, decay_schedule=schedule)
        super().__post_init__()

    def check(self) -> None:
        if self.decay_schedule is None:
            v.as_choice(self.factory, "decay_shape", self.decay_shape, DECAY_SHAPES)
        else:
            require_args(self, "decay_steps", lambda d: d >= 1, "decay_steps must be >= 1")
            require_args(
                self,
                "end_value",
                lambda e: e == 0,
                "end_value is unused when decay_shape is a schedule (its value at "
                "decay_steps is held); leave it at 0",
            )
        for shape, names in (("warmup_shape", "init_value"), ("decay_shape", "end_value")):
            if getattr(self, shape) == "exponential":
                for name in (names, "peak_value"):
                    reason = f'for {shape}="exponential"'
                    require_args(self, name, lambda x: x > 0, f"{name} must be > 0 {reason}")

    def config_args(self) -> dict[str, Any]:
        args = super().config_args()
        schedule = args.pop("decay_schedule")
        if self.decay_shape == "schedule":
            args["decay_shape"] = schedule
        return args

    def build(self) -> AbstractSchedule:
        if self.decay_schedule is not None:
            steps = jnp.maximum(jnp.asarray(self.decay_steps), 1)
            decay = cycle(self.decay_schedule, steps, num_cycles=1)
        else:
            decay = shaped_decay(
                self.peak_value, self.end_value, self.decay_steps, self.decay_shape
            )
        return _warmup_then(self, decay, self.stable_steps, self.warmup_shape)


warmup_stable_decay = make_factory(WarmupStableDecay)


# ======================================================================================
# One-cycle, SGDR, cyclic
# ======================================================================================


class OneCycle(AbstractPreset):
    r"""The one-cycle policy (Smith & Topin 2018), in lrjax's step convention.

    Two phases: from :math:`P/\delta` up to :math:`P` at step :math:`K`, then down to
    :math:`P/(\delta\phi)` at step :math:`T`, held after:

    .. math::
      \eta(t) = \begin{cases}
        \tfrac{P}{\delta} + \left(P - \tfrac{P}{\delta}\right) m\!\left(\tfrac{K - t}{K}\right)
          & t < K \\
        \tfrac{P}{\delta\phi} + \left(P - \tfrac{P}{\delta\phi}\right)
          m\!\left(\tfrac{\min(t, T) - K}{T - K}\right) & t \ge K
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`T` is ``total_steps``, :math:`\delta` is
    ``div_factor``, :math:`\phi` is ``final_div_factor`` and :math:`m(d)` is the ``anneal``
    shape's multiplier at distance :math:`d` from the peak: "cosine"
    :math:`(1 + \cos \pi d)/2`, "linear" :math:`1 - d`. With ``three_phase`` (as torch):
    up to :math:`P` at :math:`K`, back down to :math:`P/\delta` at :math:`2K`, then to
    :math:`P/(\delta\phi)` at :math:`T`.

    The peak step is :math:`K = \mathrm{round}(\texttt{pct\_start} \cdot T)` (Python's
    round, half to even, computed in the schedule's float dtype so ``pct_start`` can be
    traced), clipped to :math:`[1, T - 1]` (:math:`[1, \lfloor (T-1)/2 \rfloor]` with
    ``three_phase``) so every phase lasts at least one step. Exact endpoints:
    :math:`\eta(0) = P/\delta`, :math:`\eta(K) = P`, :math:`\eta(T) = P/\delta/\phi`
    (computed in that order, as torch does).

    This differs from torch's ``OneCycleLR`` in:

    1. torch peaks at step :math:`\texttt{pct\_start} \cdot T - 1` (a float) and reaches the
       minimum at :math:`T - 1`; lrjax peaks at :math:`K` and ends at :math:`T`.
    2. torch raises past ``total_steps``; lrjax holds the final value.

    and from optax's ``cosine_onecycle_schedule`` in: optax peaks at
    ``int(pct_start * T)`` (0 for small ``T``, so it can start at the peak) and cannot
    trace ``pct_start``. For either peer's exact numbers use ``lrjax.compat``.

    Args:
      peak_value: the maximum value; ``>= 0``.
      total_steps: step at which the final value is reached; an integer ``>= 2``
        (``>= 3`` with ``three_phase``).
      pct_start: fraction of ``total_steps`` spent increasing; in ``(0, 1)`` (``(0, 0.5)``
        with ``three_phase``).
      div_factor: ``peak_value / div_factor`` is the initial value; ``> 0``.
      final_div_factor: the final value is ``peak_value / div_factor / final_div_factor``;
        ``> 0``.
      anneal: "cosine" or "linear" (torch's ``anneal_strategy`` "cos" or "linear").
      three_phase: if True, return to the initial value before annihilating (torch).

    Examples:
      >>> s = lrjax.one_cycle(1.0, total_steps=100)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 15, 30, 65, 100]))])
      [0.04, 0.52, 1.0, 0.5, 0.0]

    References:
      Smith & Topin, `Super-Convergence <https://arxiv.org/abs/1708.07120>`_, 2018.
    """

    peak_value: Param = fields.value(nonnegative=True)
    total_steps: Param = fields.count()  # >= 2, >= 3 with three_phase: see check()
    pct_start: Param = fields.value(default=0.3)
    div_factor: Param = fields.value(positive=True, default=25.0)
    final_div_factor: Param = fields.value(positive=True, default=1e4)
    anneal: str = fields.choice(ANNEAL_SHAPES, default="cosine")
    three_phase: bool = fields.flag(default=False)

    def check(self) -> None:
        upper = 0.5 if self.three_phase else 1.0
        require_args(
            self, "pct_start", lambda x: 0 < x < upper, f"pct_start must be in (0, {upper})"
        )
        least = 3 if self.three_phase else 2
        require_args(self, "total_steps", lambda n: n >= least, f"total_steps must be >= {least}")

    def peak_step(self) -> Array:
        """The step of the peak, ``round(pct_start * total_steps)`` clipped (see factory)."""
        total = jnp.asarray(self.total_steps)
        pct = jnp.asarray(self.pct_start)
        peak = jnp.round(pct * total.astype(pct.dtype)).astype(total.dtype)
        last = (total - 1) // 2 if self.three_phase else total - 1
        return jnp.clip(peak, 1, jnp.maximum(last, 1))

    def build(self) -> AbstractSchedule:
        total = jnp.asarray(self.total_steps)
        initial = self.peak_value / self.div_factor
        final = initial / self.final_div_factor
        peak = self.peak_step()
        if self.three_phase:
            down = shaped_decay(self.peak_value, initial, peak, self.anneal)
            anneal = shaped_decay(initial, final, total - 2 * peak, self.anneal)
            body = join_schedules([down, anneal], [peak])
        else:
            body = shaped_decay(self.peak_value, final, total - peak, self.anneal)
        return warmup(body, peak, initial, shape=self.anneal)


one_cycle = make_factory(OneCycle)


class SGDR(AbstractPreset):
    r"""Cosine annealing with warm restarts (SGDR), optionally with a warmup per cycle.

    .. math::
      \eta(t) = \gamma^{k}\, c\!\left(\frac{t - S_k}{\mu^{k}}\right), \qquad
      S_k = L\,\frac{\mu^{k} - 1}{\mu - 1}\ (= kL \text{ when } \mu = 1)

    where cycle :math:`k` is the one with :math:`S_k \le t < S_{k+1}`, :math:`L` is
    ``period``, :math:`\mu` is ``period_mul``, :math:`\gamma` is ``value_mul``, and
    :math:`c` is one cycle, ``warmup_cosine_decay(P, W, L, I, E)``: a linear warmup from
    :math:`I` (``init_value``) to :math:`P` (``peak_value``) over :math:`W`
    (``warmup_steps``) steps, then a cosine to :math:`E` (``end_value``) at :math:`L`.
    The :math:`k`-th cycle lasts :math:`L\mu^k` steps (its warmup is stretched with it)
    and all its values, :math:`I`, :math:`P` and :math:`E`, are scaled by :math:`\gamma^k`.
    After ``num_cycles`` cycles the value holds at :math:`\gamma^{n-1} E`; without it the
    restarts never end. Built as ``cycle(join_schedules([warmup(...), cosine_decay(...)]))``.

    Keras's ``CosineDecayRestarts(m_mul)`` and timm's ``cycle_decay`` scale only the part
    above the floor :math:`E`; with ``end_value=0`` (the default) they agree with this.

    Args:
      peak_value: the maximum of the first cycle; ``>= 0``.
      period: length of the first cycle, warmup included; an integer ``>= 1``.
      period_mul: growth factor of each cycle's length; ``>= 1`` (torch's ``T_mult``), or
        None (the default) for fixed periods (see :func:`cycle`: None computes only the
        exact integer cycle, a number is a leaf).
      value_mul: factor applied to each successive cycle's values; ``> 0``, or None (the
        default) for none.
      end_value: value at the end of each cycle (before scaling); ``>= 0``.
      warmup_steps: warmup at the start of each cycle; an integer in ``[0, period]``.
      init_value: value at the start of each warmup; ``>= 0``.
      num_cycles: number of cycles before holding, an integer ``>= 1``, or None.

    Examples:
      >>> s = lrjax.sgdr(1.0, period=10, value_mul=0.5, num_cycles=2)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 5, 10, 15, 20, 50]))])
      [1.0, 0.5, 0.5, 0.25, 0.0, 0.0]

    References:
      Loshchilov & Hutter, `SGDR <https://arxiv.org/abs/1608.03983>`_, 2017.
    """

    peak_value: Param = fields.value(nonnegative=True)
    period: Param = fields.count(minimum=1)
    period_mul: Param | None = fields.value(at_least=1.0, optional=True, default=None)
    value_mul: Param | None = fields.value(positive=True, optional=True, default=None)
    end_value: Param = fields.value(nonnegative=True, default=0.0)
    warmup_steps: Param = fields.count(default=0)
    init_value: Param = fields.value(nonnegative=True, default=0.0)
    num_cycles: Param | None = fields.count(minimum=1, optional=True, default=None)

    def check(self) -> None:
        require_order(self, "warmup_steps", "period")

    def build(self) -> AbstractSchedule:
        decay = cosine_decay(
            self.peak_value, self.period - self.warmup_steps, end_value=self.end_value
        )
        one = _warmup_then(self, decay)
        return cycle(
            one,
            self.period,
            period_mul=self.period_mul,
            value_mul=self.value_mul,
            num_cycles=self.num_cycles,
        )


sgdr = make_factory(SGDR)


class Cyclic(AbstractPreset):
    r"""Cyclical learning rates (Smith 2015; torch's ``CyclicLR``).

    .. math::
      \eta(t) = B + (M - B)\, h(t)\, a(t), \qquad
      h(t) = \begin{cases} x / U & x \le U \\ (U + D - x) / D & x > U \end{cases}

    where :math:`x = t \bmod (U + D)` is the step within cycle :math:`k = \lfloor t/(U+D)
    \rfloor`, :math:`B` is ``base_value``, :math:`M` is ``max_value``, :math:`U` is
    ``step_size_up``, :math:`D` is ``step_size_down`` (default :math:`U`), and the
    amplitude :math:`a` depends on ``mode``: "triangular" 1; "triangular2"
    :math:`2^{-k}`; "exp_range" :math:`\gamma^{t}` (the absolute step, as torch's
    ``scale_mode="iterations"``). Every cycle starts at :math:`B`; the first peaks at
    exactly :math:`M` at step :math:`U` ("triangular", "triangular2"). Periodic forever
    (no end value). Equal to torch's ``CyclicLR`` at every step (momentum cycling aside).

    Args:
      base_value: the lower bound; ``>= 0``.
      max_value: the upper bound of the first cycle; ``>= base_value``.
      step_size_up: steps from the base to the peak; an integer ``>= 1``.
      step_size_down: steps from the peak back to the base; an integer ``>= 1``, or None
        for ``step_size_up``.
      mode: "triangular", "triangular2" or "exp_range".
      gamma: the per-step amplitude factor of "exp_range"; in ``(0, 1]`` (unused otherwise).

    Examples:
      >>> s = lrjax.cyclic(0.1, 1.0, step_size_up=2, mode="triangular2")
      >>> print([round(float(x), 4) for x in s(jnp.arange(9))])
      [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1]

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2017.
    """

    base_value: Param = fields.value(nonnegative=True)
    max_value: Param = fields.value(nonnegative=True)
    step_size_up: Param = fields.count(minimum=1)
    step_size_down: Param | None = fields.count(minimum=1, optional=True, default=None)
    mode: str = fields.choice(CYCLIC_MODES, default="triangular")
    gamma: Param = fields.value(positive=True, default=1.0)

    def check(self) -> None:
        require_order(self, "base_value", "max_value")
        _require_unit_gamma(self)
        require_cycle_fits(self)

    def build(self) -> AbstractSchedule:
        up = jnp.asarray(self.step_size_up)
        down = up if self.step_size_down is None else jnp.asarray(self.step_size_down)
        period = up + down
        base, top = self.base_value, self.max_value
        triangle = join_schedules([linear(base, top, up), linear(top, base, down)], [up])
        if self.mode == "triangular":
            return cycle(triangle, period)
        unit = join_schedules([linear(0.0, 1.0, up), linear(1.0, 0.0, down)], [up])
        height = _float(top) - _float(base)
        if self.mode == "triangular2":
            # The first cycle is the exact triangle; cycle k >= 1 has height / 2**k.
            later = cycle(unit, period, value_mul=0.5)
            return join_schedules([triangle, add(base, multiply(0.5 * height, later))], [period])
        scale = exponential_decay(1.0, decay_rate=self.gamma, transition_steps=1)
        return add(base, multiply(height, multiply(cycle(unit, period), scale)))


cyclic = make_factory(Cyclic)


def require_cycle_fits(s: Any) -> None:
    """A cycle of ``step_size_up + step_size_down`` steps (``2 * step_size_up`` without a
    ``step_size_down``) is a representable step; for torch's ``CyclicLR`` too."""
    if s.step_size_down is None:
        require_step_sum(s, "step_size_up", "a cycle (2 * step_size_up)", times=2)
    else:
        require_step_sum(s, "step_size_up step_size_down", "a cycle (their sum)")


# ======================================================================================
# Step decays
# ======================================================================================


class StepDecay(AbstractPreset):
    r"""Step decay: multiply by ``gamma`` every ``step_size`` steps (torch's ``StepLR``).

    .. math::
      \eta(t) = I\,\gamma^{\lfloor t / K \rfloor}

    where :math:`I` is ``init_value``, :math:`K` is ``step_size`` and :math:`\gamma` is
    ``gamma``. The value changes *at* steps :math:`K, 2K, \dots` (as torch and optax's
    ``staircase``). Unbounded (it keeps decaying toward 0).

    Args:
      init_value: value before step ``step_size``; ``>= 0``.
      step_size: steps between drops; an integer ``>= 1``.
      gamma: factor per drop; in ``(0, 1]``.

    Examples:
      >>> s = lrjax.step_decay(1.0, step_size=10, gamma=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 9, 10, 19, 20]))])
      [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    init_value: Param = fields.value(nonnegative=True)
    step_size: Param = fields.count(minimum=1)
    gamma: Param = fields.value(positive=True, default=0.1)

    def check(self) -> None:
        _require_unit_gamma(self)

    def build(self) -> AbstractSchedule:
        return exponential_decay(
            self.init_value, decay_rate=self.gamma, transition_steps=self.step_size, staircase=True
        )


step_decay = make_factory(StepDecay)


class MultistepDecay(AbstractPreset):
    r"""Multiply by ``gamma`` at each milestone (torch's ``MultiStepLR``).

    .. math::
      \eta(t) = I\,\gamma^{\#\{i \,:\, m_i \le t\}}

    where :math:`I` is ``init_value``, :math:`m_i` are the ``milestones`` and
    :math:`\gamma` is ``gamma``. The value changes *at* each milestone (torch, optax; Keras
    changes one step later, timm one step earlier). A repeated milestone multiplies by
    :math:`\gamma` once per occurrence. Holds after the last milestone.

    Args:
      init_value: value before the first milestone; ``>= 0``.
      milestones: steps where the value drops; non-negative, non-decreasing integers.
      gamma: factor per milestone; in ``(0, 1]``.

    Examples:
      >>> s = lrjax.multistep_decay(1.0, milestones=[10, 20], gamma=0.5)
      >>> print([float(x) for x in s(jnp.array([0, 9, 10, 19, 20, 100]))])
      [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    init_value: Param = fields.value(nonnegative=True)
    milestones: Param = fields.counts()
    gamma: Param = fields.value(positive=True, default=0.1)

    def check(self) -> None:
        _require_unit_gamma(self)

    def build(self) -> AbstractSchedule:
        milestones = jnp.asarray(self.milestones)
        gamma = _float(self.gamma)
        factors = jnp.cumprod(jnp.full(milestones.shape, gamma))
        values = _float(self.init_value) * jnp.concatenate([jnp.ones((1,), gamma.dtype), factors])
        return piecewise_constant(milestones, values)


multistep_decay = make_factory(MultistepDecay)


# ======================================================================================
# Inverse square root families
# ======================================================================================


class Noam(AbstractPreset):
    r"""The Transformer ("Noam") schedule of *Attention Is All You Need*.

    .. math::
      \eta(t) = s\, d^{-1/2} \min\!\left((t + 1)^{-1/2},\ (t + 1)\, W^{-3/2}\right)

    where :math:`d` is ``d_model``, :math:`W` is ``warmup_steps`` and :math:`s` is
    ``scale``. The paper counts ``step_num`` from 1; lrjax's :math:`t` is the 0-based
    update index, :math:`t = \texttt{step\_num} - 1`, so the first update uses the paper's
    ``step_num = 1``. Linear from :math:`s\,d^{-1/2}W^{-3/2}` at :math:`t = 0` to the peak
    :math:`s\,(dW)^{-1/2}` at :math:`t = W - 1`, then :math:`\propto (t + 1)^{-1/2}`
    (unbounded, never reaches 0). Built as
    ``warmup(rsqrt_decay(peak, W), W - 1, peak / W)``.

    Args:
      d_model: the model width; ``> 0``.
      warmup_steps: the paper's ``warmup_steps``; an integer ``>= 1``.
      scale: a constant factor; ``> 0``.

    Examples:
      >>> s = lrjax.noam(d_model=512, warmup_steps=4000)
      >>> print([f"{float(x):.3e}" for x in s(jnp.array([0, 3999, 15999]))])
      ['1.747e-07', '6.988e-04', '3.494e-04']

    References:
      Vaswani et al., `Attention Is All You Need <https://arxiv.org/abs/1706.03762>`_, 2017.
    """

    d_model: Param = fields.value(positive=True)
    warmup_steps: Param = fields.count(minimum=1)
    scale: Param = fields.value(positive=True, default=1.0)

    def build(self) -> AbstractSchedule:
        w = _float(self.warmup_steps)
        peak = self.scale * jax.lax.rsqrt(_float(self.d_model)) * jax.lax.rsqrt(w)
        return warmup(rsqrt_decay(peak, w), self.warmup_steps - 1, peak / w)


noam = make_factory(Noam)


INVERSE_SQRT_DEFAULT_TIMESCALE = 10_000
"""Timescale of :func:`inverse_sqrt` without a warmup (Hugging Face's default)."""


class InverseSqrt(AbstractPreset):
    r"""Linear warmup, then inverse square root decay (Hugging Face ``inverse_sqrt``).

    .. math::
      \eta(t) = \begin{cases}
        I + (P - I)\,t / W & t < W \\
        P \big/ \sqrt{1 + (t - W) / \tau} & t \ge W
      \end{cases}

    where :math:`P` is ``peak_value``, :math:`W` is ``warmup_steps``, :math:`\tau` is
    ``timescale`` (default :math:`W`, or 10 000 when :math:`W = 0`, as Hugging Face) and
    :math:`I` is ``init_value``. With :math:`\tau = W` the decay is
    :math:`P\sqrt{W / t}`, the T5 / fairseq form. Unbounded (never reaches 0).

    Args:
      peak_value: value at the end of the warmup; ``>= 0``.
      warmup_steps: length of the warmup; an integer ``>= 0``.
      timescale: steps over which the value falls by :math:`1/\sqrt{2}`; ``> 0``, or None.
      init_value: value at step 0; ``>= 0``.

    Examples:
      >>> s = lrjax.inverse_sqrt(1.0, warmup_steps=100)
      >>> print([round(float(x), 4) for x in s(jnp.array([0, 50, 100, 400]))])
      [0.0, 0.5, 1.0, 0.5]
    """

    peak_value: Param = fields.value(nonnegative=True)
    warmup_steps: Param = fields.count()
    timescale: Param | None = fields.value(positive=True, optional=True, default=None)
    init_value: Param = fields.value(nonnegative=True, default=0.0)

    def build(self) -> AbstractSchedule:
        if self.timescale is None:
            w = jnp.asarray(self.warmup_steps)
            timescale = _float(jnp.where(w > 0, w, INVERSE_SQRT_DEFAULT_TIMESCALE))
        else:
            timescale = self.timescale
        return warmup(rsqrt_decay(self.peak_value, timescale), self.warmup_steps, self.init_value)


inverse_sqrt = make_factory(InverseSqrt)
