"""The numeric kernel: integer-safe progress through a phase, the ramp shapes, cycles.

Float32 holds integers exactly only up to 2**24, so a progress ratio ``t / T`` computed
from a float step loses precision on long schedules, and ``1 + cos(pi t / T)`` cancels
near the end of a decay (optax's tails have 1e-2 relative error). Here the elapsed and
remaining step counts are computed in integers first and converted to float only for
the final ratios; both ``d = elapsed / T`` and ``e = remaining / T = 1 - d`` are
returned, each exact at its own endpoint, so every shape can be written in the form that
keeps relative precision at both ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import Array

from lrjax.core.steps import as_step_dtype, floor_divmod


class Progress(NamedTuple):
    """Where a step is inside a phase of ``total`` steps starting at ``begin``.

    ``done = elapsed / total`` and ``left = remaining / total``, both in ``[0, 1]`` with
    ``done + left == 1`` up to rounding, ``done == 0`` exactly before the phase and
    ``left == 0`` exactly from its end on. A zero-length phase jumps at ``begin``.

    ``counts`` holds the step counts behind the ratios when :func:`progress` made them
    (None for a progress built from ratios): a ramp anchored at its end then divides the
    counts it needs (:meth:`seen_from`), one division where selecting between two ratios
    takes both.
    """

    done: jax.Array
    left: jax.Array
    counts: Counts | None = None

    def seen_from(self, from_start: jax.Array) -> Progress:
        """The progress measured from the start where ``from_start``, else from the end
        (``done`` and ``left`` exchanged)."""
        if self.counts is None:
            return Progress(
                jnp.where(from_start, self.done, self.left),
                jnp.where(from_start, self.left, self.done),
            )
        c = self.counts
        return Counts(
            jnp.where(from_start, c.near, c.far),
            jnp.where(from_start, c.far, c.near),
            c.divisor,
            c.empty,
            c.near_full == from_start,
        ).ratios(self.done.dtype)

    def reversed(self) -> Progress:
        """The progress measured from the end: ``done`` and ``left`` exchanged."""
        return self.seen_from(jnp.zeros((), bool))


class Counts(NamedTuple):
    """The step counts behind a :class:`Progress`, seen from one end of the phase."""

    near: jax.Array  # steps from this end, in [0, total]
    far: jax.Array  # steps to the other end: total - near
    divisor: jax.Array  # total as a float (1 for an empty phase), one per step
    empty: jax.Array  # whether the phase has no steps
    near_full: jax.Array  # in an empty phase, whether the step is past it, seen from here

    def ratios(self, dtype: jnp.dtype) -> Progress:
        """``near / total`` and ``far / total`` (XLA drops the division of one never read)."""
        done = self.near.astype(dtype) / self.divisor
        left = self.far.astype(dtype) / self.divisor
        # A zero-length phase: before `begin` nothing has happened, from `begin` on all of it.
        done = jnp.where(self.empty, self.near_full.astype(dtype), done)
        left = jnp.where(self.empty, (~self.near_full).astype(dtype), left)
        return Progress(done, left, self)


def progress(t: jax.Array, begin: jax.Array, total: jax.Array, dtype: jnp.dtype) -> Progress:
    """The progress of canonical step ``t`` through ``[begin, begin + total]``."""
    begin = as_step_dtype(begin, t)
    total = as_step_dtype(total, t)
    total = jnp.maximum(total, jnp.zeros((), t.dtype))
    elapsed = jnp.clip(t - begin, jnp.zeros((), t.dtype), total)
    remaining = total - elapsed
    safe_total = jnp.where(total > 0, total, jnp.ones((), t.dtype)).astype(dtype)
    if safe_total.ndim == 0:
        # One divisor per step. XLA rewrites a division by a scalar's broadcast into a
        # multiplication by its reciprocal, which is not correctly rounded (1 ulp off on 60 %
        # of steps), and only where the graph around it lets it, so a ratio would change
        # with its context. `0 * elapsed` is 0 at every step, and XLA does not fold it (0 *
        # inf is NaN; a select on `elapsed >= 0` it sees through). A true division is
        # correctly rounded and exact at both ends (0 / total == 0, total / total == 1),
        # with no select for either. A total that is already one per step is left alone:
        # the extra zero there let XLA rearrange the formula that uses the ratios.
        safe_total = safe_total + jnp.zeros((), dtype) * elapsed.astype(dtype)
    return Counts(elapsed, remaining, safe_total, total == 0, t >= begin).ratios(dtype)


def _as(x: Any, dtype: jnp.dtype) -> jax.Array:
    return jnp.asarray(x).astype(dtype)


# -- ramp shapes ------------------------------------------------------------------------
#
# A ramp goes from `start` (at done == 0) to `end` (at done == 1). It is evaluated from the
# endpoint of smaller magnitude, the anchor: `anchor + (other - anchor) * w`, where `w` is
# the weight of the far endpoint at the progress measured from the anchor. A warmup from 0
# then keeps full relative precision at its first steps and a decay to 0 in its tail; the
# anchor depends only on the endpoints, so each ramp has one formula and stays monotone.

Weight = Callable[[Progress], jax.Array]
"""The far endpoint's weight, given the progress measured from the anchor (``q.done`` is
the normalised distance from the anchor, ``q.left`` the distance to the far end)."""


class RampShape(NamedTuple):
    """A ramp shape: the far weight from a start anchor and from an end anchor.

    ``from_end`` is None for shapes whose halves mirror each other (``1 - w(x) ==
    w(1 - x)``: linear, cosine), which need one weight function and one evaluation.
    Both weights must be exactly 0 at distance 0 and exactly 1 at distance 1.
    """

    from_start: Weight
    from_end: Weight | None = None


def half_cosine_weight(x: jax.Array) -> jax.Array:
    """``(1 - cos(pi x)) / 2`` as ``sin(pi/2 x)**2``: exact at 0 and 1, and with full
    relative precision near 0 (no ``1 + cos`` cancellation, optax's tails have 1e-2)."""
    w = jnp.sin(jnp.asarray(jnp.pi / 2, x.dtype) * x) ** 2
    return jnp.where(x == 1, jnp.ones((), x.dtype), w)


def _square_root_far(q: Progress) -> jax.Array:
    return jnp.sqrt(q.done)


def _square_root_near(q: Progress) -> jax.Array:
    # 1 - sqrt(1 - x) == x / (1 + sqrt(1 - x)): no cancellation near the end anchor.
    return q.done / (1 + jnp.sqrt(q.left))


def _step(q: Progress) -> jax.Array:
    return jnp.where(q.done == 0, jnp.zeros((), q.done.dtype), jnp.ones((), q.done.dtype))


_LINEAR = RampShape(lambda q: q.done)

SHAPES: dict[str, RampShape | None] = {
    "linear": _LINEAR,
    "cosine": RampShape(lambda q: half_cosine_weight(q.done)),
    # The start's weight is 1 - sqrt(d), (1 - d)**2, or a step down at d = 0 ("constant").
    "1-sqrt": RampShape(_square_root_far, _square_root_near),
    "square": RampShape(lambda q: q.done * (1 + q.left), lambda q: q.done * q.done),
    "constant": RampShape(_step, lambda q: jnp.where(q.left == 0, 1.0, 0.0).astype(q.done.dtype)),
    "exponential": None,  # geometric, not a blend: see `ramp`
}
"""The registry of ramp shapes (warmups, decays, one-cycle and WSD phases), by name. Each
is a multiplier of the normalised distance ``d`` from the start (docs/contract.md, Ramp
shapes): "linear" ``1 - d``, "cosine" ``(1 + cos(pi d)) / 2``, "1-sqrt" ``1 - sqrt(d)``,
"square" ``(1 - d)**2``, "constant" 1 at ``d = 0`` and 0 after, "exponential" geometric."""


def ramp(
    shape: str | RampShape, start: Any, end: Any, p: Progress, exponent: Any = None
) -> jax.Array:
    """The value of a ramp of ``shape`` from ``start`` (``p.done == 0``) to ``end``.

    ``shape`` is a name of :data:`SHAPES` or a :class:`RampShape`. With ``exponent``, the
    start's weight ``m`` becomes ``m ** exponent`` (polynomial and powered cosine decays).
    "exponential" is geometric, ``end * (start / end) ** (1 - d)``, and needs
    ``start, end > 0`` (it falls back to linear where they are not, so a traced sweep never
    produces NaN). Exact at both endpoints.
    """
    dtype = p.done.dtype
    start, end = _as(start, dtype), _as(end, dtype)
    if shape == "exponential":
        return _geometric(start, end, p)
    weights = SHAPES[shape] if isinstance(shape, str) else shape
    assert weights is not None
    if exponent is None:
        return _blend(weights, start, end, p)
    return _powered(weights, start, end, p, _as(exponent, dtype))


def _blend(shape: RampShape, start: jax.Array, end: jax.Array, p: Progress) -> jax.Array:
    _, anchor, other, w = _far_weight(shape, start, end, p)
    return _from_anchor(anchor, other, w)


def anchored_at_start(start: jax.Array, end: jax.Array) -> jax.Array:
    """Whether a ramp from ``start`` to ``end`` is evaluated from its start: the anchor is
    the endpoint of smaller magnitude (the start on a tie)."""
    return jnp.abs(start) <= jnp.abs(end)


def _far_weight(
    shape: RampShape, start: jax.Array, end: jax.Array, p: Progress
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    from_start = anchored_at_start(start, end)
    q = p.seen_from(from_start)
    w = shape.from_start(q)
    if shape.from_end is not None:
        w = jnp.where(from_start, w, shape.from_end(q))
    return from_start, jnp.where(from_start, start, end), jnp.where(from_start, end, start), w


def _from_anchor(anchor: jax.Array, other: jax.Array, w: jax.Array) -> jax.Array:
    value = anchor + (other - anchor) * w
    # Exact endpoints (every weight is exactly 0 and 1 at its ends).
    return jnp.where(w == 0, anchor, jnp.where(w == 1, other, value))


def _powered(
    shape: RampShape, start: jax.Array, end: jax.Array, p: Progress, exponent: jax.Array
) -> jax.Array:
    """The ramp with the start's weight ``m`` raised to ``exponent > 0``.

    Anchored at the end, the far weight is ``m ** exponent``; anchored at the start, it is
    ``1 - m ** exponent = -expm1(exponent * log1p(-(1 - m)))``, precise where it is small.
    Where the exponent is 1 (the default) the value is the plain blend's; gradients stay
    finite at the endpoints (the "double where" pattern) and are those of the general
    formula, smooth through exponent 1.
    """
    dtype = p.done.dtype

    def plain(start: jax.Array, end: jax.Array, done: jax.Array, left: jax.Array, _: jax.Array):
        return _blend(shape, start, end, Progress(done, left))

    def powered(start: jax.Array, end: jax.Array, done: jax.Array, left: jax.Array, e: jax.Array):
        from_start, anchor, other, s = _far_weight(shape, start, end, Progress(done, left))
        inside = (s > 0) & (s < 1)
        safe = jnp.where(inside, s, jnp.asarray(0.5, dtype))
        powered_far = jnp.where(from_start, -jnp.expm1(e * jnp.log1p(-safe)), unit_power(safe, e))
        return _from_anchor(anchor, other, jnp.where(inside, powered_far, s))

    @jax.custom_jvp
    def value(*operands: jax.Array) -> jax.Array:
        # Both formulas, chosen per value by a `where` that fuses into the loop over the
        # steps (no `lax.cond`: a conditional is not fusible and would make XLA write the
        # steps and the progress to memory). So a given exponent pays for the logarithms
        # on every step, 1 included (LLVM does not unswitch a loop this large on the
        # invariant predicate: measured 1.95x the plain formula at exponent 1). The cheap
        # path is structure instead: `exponent=None`, which never reaches this function.
        return jnp.where(operands[-1] == 1, plain(*operands), powered(*operands))

    @value.defjvp
    def _(primals: tuple[jax.Array, ...], tangents: tuple[jax.Array, ...]):
        return value(*primals), jax.jvp(powered, primals, tangents)[1]

    return value(start, end, p.done, p.left, exponent)


@jax.custom_jvp
def unit_power(x: jax.Array, e: jax.Array) -> jax.Array:
    """``x ** e`` for ``0 < x < 1`` and ``e > 0``.

    In float32 this is ``2 ** (e log2 x)`` with the exponent split so that its large part
    is exact: ``x = m 2**k`` with ``m`` in ``[0.5, 1)`` (read from the bits), and
    ``e k = e_hi k + e_lo k`` where ``e_hi`` keeps 12 significant bits, so ``e_hi k`` is
    exact and only ``e_lo k + e log2 m`` (at most about ``e`` in size) is rounded. Relative
    error at most about ``1.2e-7 (1 + e)``; a plain ``exp(e log x)`` has ``6e-8 e |log x|``
    (7e-6 at ``x = 1e-6``, ``e = 7``). XLA's ``pow`` on CPU is correctly rounded but costs
    twice as much (on 1e7 values: 49 ms, this 25 ms, a copy 17 ms). Other dtypes use ``**``.
    The derivative is that of ``x ** e``.

    Examples:
      >>> print(float(unit_power(jnp.float32(0.25), jnp.float32(1.5))))
      0.125
    """
    if x.dtype != jnp.float32:
        return x**e
    tiny = jnp.finfo(jnp.float32).tiny
    bits = jax.lax.bitcast_convert_type(jnp.maximum(x, tiny), jnp.int32)  # normal x > 0
    k = ((bits >> 23) - 126).astype(jnp.float32)
    m = jax.lax.bitcast_convert_type(
        (bits & jnp.int32(0x007FFFFF)) | jnp.int32(0x3F000000), jnp.float32
    )
    e = jnp.asarray(e, jnp.float32)
    e_hi = jax.lax.bitcast_convert_type(
        jax.lax.bitcast_convert_type(e, jnp.int32) & jnp.int32(-4096), jnp.float32
    )
    whole = e_hi * k  # exact: 12 significant bits times |k| < 2**8
    n = jnp.round(whole)
    fraction = (whole - n) + ((e - e_hi) * k + e * jnp.log2(m))
    # 2**n as two exact factors, so that n down to -252 needs no special case (the product
    # underflows to 0 as it should).
    n = n.astype(jnp.int32)
    half = n >> 1

    def two_to(j: jax.Array) -> jax.Array:
        return jax.lax.bitcast_convert_type((jnp.clip(j, -126, 127) + 127) << 23, jnp.float32)

    return jnp.exp2(fraction) * two_to(half) * two_to(n - half)


@unit_power.defjvp
def _unit_power_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]):
    x, e = primals
    x_dot, e_dot = tangents
    y = unit_power(x, e)
    return y, e * y / x * x_dot + y * jnp.log(x) * e_dot


def _geometric(near: jax.Array, far: jax.Array, p: Progress) -> jax.Array:
    dtype = p.done.dtype
    valid = (near > 0) & (far > 0)
    safe_near = jnp.where(valid, near, jnp.ones((), dtype))
    safe_far = jnp.where(valid, far, jnp.ones((), dtype))
    geometric = safe_far * jnp.exp(p.left * jnp.log(safe_near / safe_far))
    # exp(log(.)) can overshoot by an ulp next to the end points: keep it between them.
    geometric = jnp.clip(geometric, jnp.minimum(near, far), jnp.maximum(near, far))
    geometric = jnp.where(p.done == 0, near, jnp.where(p.left == 0, far, geometric))
    return jnp.where(valid, geometric, _blend(_LINEAR, near, far, p))


# -- growth -------------------------------------------------------------------------------

GROWTH_LOG_CAP = 80.0
"""Growth factors saturate at ``e**80`` (about 5.5e34, far beyond any learning rate): a
factor above 1 raised to a large step count (``value_mul``, ``decay_rate``, ``gamma``)
stays finite, and so does its gradient (0 once saturated). docs/contract.md, Overflow."""


def capped_exp(log_factor: Array) -> Array:
    """``exp(log_factor)``, saturated at ``e**80`` (:data:`GROWTH_LOG_CAP`)."""
    cap = jnp.asarray(GROWTH_LOG_CAP, jnp.asarray(log_factor).dtype)
    return jnp.exp(jnp.minimum(log_factor, cap))


def capped_power(x: Array, n: Array) -> Array:
    """``x ** n`` for ``x >= 0`` and ``n >= 0`` (``0 ** 0 == 1``), saturated at ``e**80``
    (:data:`GROWTH_LOG_CAP`); finite gradients everywhere. Below the cap the value is
    ``x ** n`` itself (``pow``, bit for bit)."""
    x = jnp.asarray(x)
    n = jnp.asarray(n).astype(x.dtype)
    positive = x > 0
    safe = jnp.where(positive, x, jnp.ones((), x.dtype))
    over = n * jnp.log(safe) > GROWTH_LOG_CAP
    # Double where: the saturated branch must not compute an inf power (its gradient is NaN).
    power = safe ** jnp.where(over, jnp.zeros((), x.dtype), n)
    power = jnp.where(over, jnp.exp(jnp.asarray(GROWTH_LOG_CAP, x.dtype)), power)
    return jnp.where(n == 0, jnp.ones((), x.dtype), jnp.where(positive, power, 0 * x))


# -- cycles -------------------------------------------------------------------------------


def snap_to_integer(x: Array) -> Array:
    """``x`` rounded to the nearest integer when float rounding is all that separates them."""
    r = jnp.round(x)
    eps = jnp.finfo(x.dtype).eps
    # The value snaps; the gradient stays that of x (d start / d period_mul is not 0).
    snapped = x + jax.lax.stop_gradient(r - x)
    return jnp.where(jnp.abs(x - r) <= 8 * eps * jnp.maximum(jnp.abs(x), 1), snapped, x)


def geometric_cycle(t: Array, period: Any, mul: Any, dtype: Any) -> tuple[Array, Array, Array]:
    """Cycle index ``k``, step into the cycle and cycle length for geometric cycles.

    Cycle ``k`` starts at ``P (mul**k - 1) / (mul - 1)`` and lasts ``P mul**k`` steps. The
    index is estimated with a logarithm, then corrected by one either way against the
    starts; starts within float rounding of an integer are that integer, so a restart that
    falls on a whole step is found exactly (float32 ``expm1`` alone can miss it by an ulp).

    Where ``mul == 1`` the formulas are 0 / 0: there the index is ``t // P`` and the start
    and length are their first-order expansions in ``d = mul - 1`` (exactly 0 there),
    ``S_k = P (k + d k (k - 1) / 2)`` and ``L_k = P (1 + d k)``: the values are those of
    fixed periods, the exact integers as floats (exact up to 2**24 in float32), and the
    derivatives with respect to ``mul`` are the limits of the geometric ones,
    so a gradient at the default ``mul = 1`` is not cut (see :func:`straight_through`).
    """
    mul = jnp.asarray(mul)
    geometric = mul != 1
    safe_mul = jnp.where(geometric, mul, jnp.asarray(2, mul.dtype)).astype(dtype)
    log_mul = jnp.log(safe_mul)
    tf, pf = t.astype(dtype), jnp.asarray(period).astype(dtype)

    # XLA on CPU turns `x / b` into `x * (1 / b)` for arrays but not for scalars: a start
    # one ulp apart moves a step just past it by that ulp, a large relative change of its
    # local step. Multiplying by the reciprocal explicitly gives both call forms one value.
    grow = safe_mul - 1
    inverse = 1 / grow

    # The estimate is off by at most one either way. One expm1 gives the estimated cycle's
    # start (expm1 keeps precision for mul close to 1); its neighbours and the lengths
    # follow from S_{k+1} = S_k + L_k, L_k = P + (mul - 1) S_k and S_{k-1} = (S_k - P) / mul,
    # without another transcendental call (each costs about a cosine: 26 % on 1e7 steps).
    estimate = jnp.maximum(jnp.floor(jnp.log1p(tf * grow / pf) / log_mul), 0)
    at = snap_to_integer(pf * jnp.expm1(estimate * log_mul) * inverse)
    at_length = snap_to_integer(pf + grow * at)
    above = at + at_length
    below = snap_to_integer((at - pf) * (1 / safe_mul))
    late = tf >= above
    early = (tf < at) & (estimate > 0)
    k = jnp.where(early, estimate - 1, jnp.where(late, estimate + 1, estimate))
    begin = jnp.where(early, below, jnp.where(late, above, at))
    length = jnp.where(
        early, at - below, jnp.where(late, snap_to_integer(pf + grow * above), at_length)
    )
    local = jnp.clip(tf - begin, 0, length)

    # mul == 1: exact index and step into the cycle (integer arithmetic when t is integer).
    p_steps = as_step_dtype(period, t)
    k_unit, local_unit = floor_divmod(t, p_steps)
    local_unit = local_unit.astype(dtype)
    ku = k_unit.astype(dtype)
    d = jnp.where(geometric, jnp.zeros((), dtype), (mul - 1).astype(dtype))  # 0, slope 1
    local_unit = local_unit - d * pf * ku * (ku - 1) / 2
    length_unit = pf + d * pf * ku
    return (
        jnp.where(geometric, k, ku),
        jnp.where(geometric, local, local_unit),
        jnp.where(geometric, length, length_unit),
    )


@jax.custom_jvp
def straight_through(exact: Array, smooth: Array) -> Array:
    """``exact``'s value with ``smooth``'s derivative (``smooth`` must equal ``exact`` up to
    rounding): an exact integer fast path whose derivative is that of the general formula,
    instead of the zero of a ``jnp.where`` on a hyperparameter's default value.

    A custom derivative, not ``exact + (smooth - stop_gradient(smooth))``: XLA may
    reassociate that sum, so the value would carry ``smooth``'s rounding in one call form
    and not in another (2-3 ulp between a scalar step and an array of steps). Here the
    value is ``exact``, bit for bit, and ``smooth`` is computed only when differentiating.
    """
    del smooth
    return exact


@straight_through.defjvp
def _straight_through_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]):
    exact, _ = primals
    _, smooth_dot = tangents
    return exact, jnp.broadcast_to(smooth_dot, jnp.shape(exact)).astype(jnp.result_type(exact))


def restart_progress(t: Array, period: Any, mul: Any, dtype: Any) -> tuple[Array, Progress]:
    """The cycle index and the progress through the current cycle at canonical step ``t``.

    Cycle ``k`` lasts ``period * mul**k`` steps. With ``mul`` None the index and the step
    into the cycle are exact integers; otherwise they come from :func:`geometric_cycle`
    (a restart on a whole step is found exactly; at ``mul == 1`` its values are those
    integers, as floats). Unlike :func:`~lrjax.cycle`, which squeezes each cycle onto its
    child's ``period`` steps, the progress is formed from the step into the cycle and the
    cycle's own length, so it keeps full relative precision at both ends of cycles whose
    length is not ``period`` times a power of two. The derivative with respect to ``mul``
    is that of the geometric formula, also at ``mul == 1``.
    """
    period = jnp.maximum(as_step_dtype(period, t), jnp.ones((), t.dtype))
    if mul is None:  # fixed periods, as structure: nothing geometric is computed
        k_fixed, local_fixed = floor_divmod(t, period)
        return k_fixed.astype(dtype), progress(local_fixed, jnp.zeros((), t.dtype), period, dtype)
    # At mul == 1 geometric_cycle's step into the cycle and length are the exact integers
    # as floats (exact up to 2**24 steps per cycle in float32), with the geometric
    # formula's derivative: one progress serves every mul.
    k, local, length = geometric_cycle(t, period, mul, dtype)
    return k, progress(local, jnp.zeros((), dtype), length, dtype)
