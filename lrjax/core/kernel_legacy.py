# TRANSITIONAL: the old kernel, for compat and presets modules until they move to lrjax.core.kernel.ramp.
"""Integer-safe progress through a phase, and the shapes of ramps.

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

from lrjax.core.steps import as_step_dtype

SHAPES = ("linear", "cosine", "1-sqrt", "square", "constant", "exponential")
"""Ramp shapes, each a multiplier of the normalised distance from the peak (SEMANTICS §3)."""


class Progress(NamedTuple):
    """Where a step is inside a phase of ``total`` steps starting at ``begin``.

    ``done = elapsed / total`` and ``left = remaining / total``, both in ``[0, 1]`` with
    ``done + left == 1`` up to rounding, ``done == 0`` exactly before the phase and
    ``left == 0`` exactly from its end on. A zero-length phase jumps at ``begin``.
    """

    done: jax.Array
    left: jax.Array


def progress(t: jax.Array, begin: jax.Array, total: jax.Array, dtype: jnp.dtype) -> Progress:
    """The progress of canonical step ``t`` through ``[begin, begin + total]``."""
    begin = as_step_dtype(begin, t)
    total = as_step_dtype(total, t)
    total = jnp.maximum(total, jnp.zeros((), t.dtype))
    elapsed = jnp.clip(t - begin, jnp.zeros((), t.dtype), total)
    remaining = total - elapsed
    safe_total = jnp.where(total > 0, total, jnp.ones((), t.dtype)).astype(dtype)
    started = t >= begin
    one = jnp.ones((), dtype)
    zero = jnp.zeros((), dtype)
    done = elapsed.astype(dtype) / safe_total
    left = remaining.astype(dtype) / safe_total
    # Exact endpoints whatever XLA does with the division (it may multiply by a reciprocal).
    done = jnp.where(remaining == 0, one, jnp.where(elapsed == 0, zero, done))
    left = jnp.where(elapsed == 0, one, jnp.where(remaining == 0, zero, left))
    # A zero-length phase: before `begin` nothing has happened, from `begin` on all of it.
    empty = total == 0
    done = jnp.where(empty, jnp.where(started, one, zero), done)
    left = jnp.where(empty, jnp.where(started, zero, one), left)
    return Progress(done, left)


def _exact_ends(value: jax.Array, start: jax.Array, end: jax.Array, p: Progress) -> jax.Array:
    return jnp.where(p.done == 0, start, jnp.where(p.left == 0, end, value))


def _as(x: Any, dtype: jnp.dtype) -> jax.Array:
    return jnp.asarray(x).astype(dtype)


def linear_weight(x: jax.Array) -> jax.Array:
    """The far end's weight of a straight line at normalised distance ``x``: ``x``."""
    return x


def half_cosine_weight(x: jax.Array) -> jax.Array:
    """The far end's weight of a half cosine: ``(1 - cos(pi x)) / 2``, as ``sin(pi/2 x)**2``.

    Exact at 0 and 1, and with full relative precision near 0: no ``1 + cos`` cancellation
    (optax's cosine tail has 1e-2 relative error).
    """
    w = jnp.sin(jnp.asarray(jnp.pi / 2, x.dtype) * x) ** 2
    return jnp.where(x == 1, jnp.ones((), x.dtype), w)


SYMMETRIC_WEIGHTS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "linear": linear_weight,
    "cosine": half_cosine_weight,
}
"""Shapes whose two halves mirror each other: ``1 - w(x) == w(1 - x)``."""


def anchored_blend(
    start: Any, end: Any, p: Progress, weight: Callable[[jax.Array], jax.Array]
) -> jax.Array:
    """Blend ``start`` into ``end`` along a symmetric shape, anchored at the smaller end.

    With ``A`` the endpoint of smaller magnitude, ``B`` the other and ``x`` the normalised
    distance from ``A``, the value is ``A + (B - A) * weight(x)``: a warmup from 0 keeps
    relative precision at its first steps, a decay to 0 in its tail. The anchor depends only
    on the endpoints, so each ramp has one formula and stays monotone; one evaluation of
    ``weight`` per step. Exact at both endpoints.
    """
    dtype = p.done.dtype
    start, end = _as(start, dtype), _as(end, dtype)
    from_start = jnp.abs(start) <= jnp.abs(end)
    x = jnp.where(from_start, p.done, p.left)
    anchor = jnp.where(from_start, start, end)
    other = jnp.where(from_start, end, start)
    return _exact_ends(anchor + (other - anchor) * weight(x), start, end, p)


Operands = tuple[jax.Array, ...]


def unit_exponent_branch(
    plain: Callable[..., jax.Array], select: Callable[..., jax.Array], operands: Operands
) -> jax.Array:
    """``plain(*operands)`` if every exponent (the last operand) is 1, else ``select``.

    The operands broadcast elementwise and ``select`` equals ``plain`` wherever the
    exponent is 1, so the choice changes the cost, never the values. It is a run-time
    ``lax.cond`` on ``all(exponent == 1)``, even for one step: in a jitted train step the
    branch costs less than the logarithms it skips. Unlike a plain ``lax.cond``, it stays a
    branch under ``jax.vmap``: ``vmap`` of a ``cond`` whose predicate is batched runs both
    branches for every value, so a sweep whose configs all have exponent 1 (a batched
    exponent leaf) would pay for ``log1p``, ``expm1`` and ``pow`` on every value. Here the
    batching rule evaluates the batch as one elementwise call, with one predicate for the
    whole batch.
    """
    return _branch(plain, select)(*operands)


def _branch(plain: Callable[..., jax.Array], select: Callable[..., jax.Array]):
    @jax.custom_batching.custom_vmap
    def branch(*operands: jax.Array) -> jax.Array:
        shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in operands))

        def only_plain(*operands: jax.Array) -> jax.Array:
            # Both branches of a cond have one shape; plain ignores the exponent's.
            return jnp.broadcast_to(plain(*operands), shape)

        return jax.lax.cond(jnp.all(operands[-1] == 1), only_plain, select, *operands)

    @branch.def_vmap
    def _(axis_size: int, in_batched: list[bool], *operands: jax.Array):
        if not any(in_batched):
            return branch(*operands), False
        # Elementwise, so a batch is one call on operands broadcast against each other:
        # the batch axis leads and every operand is padded with unit axes to the rank of
        # one member's result plus one (explicitly: rank promotion may be set to "raise").
        rank = max(jnp.ndim(x) - b for x, b in zip(operands, in_batched, strict=True))
        aligned = [
            jnp.reshape(x, (axis_size,) + (1,) * (rank - jnp.ndim(x) + 1) + jnp.shape(x)[1:])
            if b
            else jnp.reshape(x, (1,) * (rank + 1 - jnp.ndim(x)) + jnp.shape(x))
            for x, b in zip(operands, in_batched, strict=True)
        ]
        return branch(*aligned), True

    return branch


def powered_blend(
    start: Any,
    end: Any,
    p: Progress,
    weight: Callable[[jax.Array], jax.Array],
    exponent: Any,
) -> jax.Array:
    """Like :func:`anchored_blend`, with the start's weight raised to ``exponent > 0``.

    The start weight is ``m ** exponent`` where ``m`` is the symmetric shape's start weight.
    Anchored at the end, the far weight is ``m ** exponent``; anchored at the start, it is
    ``-expm1(exponent * log1p(-(1 - m)))``, precise where it is small. Where every
    exponent is 1 (the default) the cheap path of :func:`anchored_blend` runs alone, decided
    at run time (see :func:`unit_exponent_branch`); gradients stay finite at the endpoints
    (the "double where" pattern).
    """
    dtype = p.done.dtype
    exponent = _as(exponent, dtype)

    def plain(start: jax.Array, end: jax.Array, done: jax.Array, left: jax.Array, _: jax.Array):
        return anchored_blend(start, end, Progress(done, left), weight)

    def powered(start: jax.Array, end: jax.Array, done: jax.Array, left: jax.Array, e: jax.Array):
        q = Progress(done, left)
        from_start = jnp.abs(start) <= jnp.abs(end)
        s = weight(jnp.where(from_start, q.done, q.left))
        inside = (s > 0) & (s < 1)
        safe = jnp.where(inside, s, jnp.asarray(0.5, dtype))
        powered_end = -jnp.expm1(e * jnp.log1p(-safe))  # 1 - (1 - s)**e, precise for small s
        w = jnp.where(inside, jnp.where(from_start, powered_end, safe**e), s)
        anchor = jnp.where(from_start, start, end)
        other = jnp.where(from_start, end, start)
        return _exact_ends(anchor + (other - anchor) * w, start, end, q)

    def select(*operands: jax.Array) -> jax.Array:
        # Right for any mix of exponents: both formulas, chosen per value.
        return jnp.where(operands[-1] == 1, plain(*operands), powered(*operands))

    @jax.custom_jvp
    def value(*operands: jax.Array) -> jax.Array:
        return unit_exponent_branch(plain, select, operands)

    @value.defjvp
    def _(primals: tuple[jax.Array, ...], tangents: tuple[jax.Array, ...]):
        # The cheap path does not depend on the exponent; derivatives come from the general
        # formula, which is smooth through exponent == 1.
        return value(*primals), jax.jvp(powered, primals, tangents)[1]

    return value(_as(start, dtype), _as(end, dtype), p.done, p.left, exponent)


class Weights(NamedTuple):
    """How much of the start and of the end value a point of a ramp holds.

    ``start`` is 1 at the start and 0 at the end; ``end == 1 - start``. Both are computed
    directly (never as ``1 - x``), so each keeps full relative precision where it is small.
    Used by the asymmetric shapes ("1-sqrt", "square", "constant").
    """

    start: jax.Array
    end: jax.Array


def linear_weights(p: Progress) -> Weights:
    """Straight-line weights: ``start = 1 - done``, ``end = done``."""
    return Weights(p.left, p.done)


def cosine_weights(p: Progress) -> Weights:
    """Half-cosine weights: ``start = (1 + cos(pi * done)) / 2``, both precise near 0."""
    return Weights(half_cosine_weight(p.left), half_cosine_weight(p.done))


def power_weights(w: Weights, exponent: Any) -> Weights:
    """Raise the start weight to ``exponent > 0``; the end weight is ``1 - start**exponent``.

    The end weight is ``-expm1(exponent * log1p(-w.end))``, precise where it is small. Both
    are exact at 0 and 1 and have finite gradients there (the "double where" pattern).
    """
    dtype = w.start.dtype
    exponent = _as(exponent, dtype)
    one, zero = jnp.ones((), dtype), jnp.zeros((), dtype)
    inside = (w.start > 0) & (w.start < 1)
    safe_start = jnp.where(inside, w.start, jnp.asarray(0.5, dtype))
    safe_end = jnp.where(inside, w.end, jnp.asarray(0.5, dtype))
    start = jnp.where(inside, safe_start**exponent, jnp.where(w.start >= 1, one, zero))
    end = jnp.where(inside, -jnp.expm1(exponent * jnp.log1p(-safe_end)), one - w.start)
    return Weights(start, end)


def shape_weights(shape: str, p: Progress) -> Weights:
    """Both weights of any multiplier shape ("linear", "cosine", "1-sqrt", "square",
    "constant") at normalised distance ``d = p.done`` from the start."""
    if shape == "linear":
        return linear_weights(p)
    if shape == "cosine":
        return cosine_weights(p)
    return asymmetric_weights(shape, p)


def asymmetric_weights(shape: str, p: Progress) -> Weights:
    """The weights of an asymmetric ramp shape at normalised distance ``d = p.done``.

    The start weight is the multiplier of SEMANTICS §3: "1-sqrt" ``1 - sqrt(d)``, "square"
    ``(1 - d)**2``, "constant" 1 at ``d = 0`` and 0 elsewhere (a step).
    """
    if shape == "1-sqrt":
        # 1 - sqrt(d) == (1 - d) / (1 + sqrt(d)): no cancellation as d -> 1.
        root = jnp.sqrt(p.done)
        return Weights(p.left / (1 + root), root)
    if shape == "square":
        return Weights(p.left * p.left, p.done * (1 + p.left))
    if shape == "constant":
        at_start = p.done == 0
        one, zero = jnp.ones((), p.done.dtype), jnp.zeros((), p.done.dtype)
        return Weights(jnp.where(at_start, one, zero), jnp.where(at_start, zero, one))
    raise ValueError(f"unknown shape {shape!r}; valid shapes are {', '.join(SHAPES)}")


def blend(start: Any, end: Any, w: Weights) -> jax.Array:
    """``start * w.start + end * w.end``, anchored at the endpoint of smaller magnitude.

    ``start + (end - start) * w.end`` when ``|start| <= |end|``, else
    ``end + (start - end) * w.start``. One formula per ramp, so the result is monotone in the
    weights. Exact at both endpoints.
    """
    dtype = w.start.dtype
    start, end = _as(start, dtype), _as(end, dtype)
    from_start = start + (end - start) * w.end
    from_end = end + (start - end) * w.start
    value = jnp.where(jnp.abs(start) <= jnp.abs(end), from_start, from_end)
    return jnp.where(w.end == 0, start, jnp.where(w.start == 0, end, value))


def ramp(shape: str, near: Any, far: Any, p: Progress) -> jax.Array:
    """A ramp of ``shape`` equal to ``near`` at ``p.done == 0`` and ``far`` at ``p.done == 1``.

    "exponential" is geometric, ``far * (near / far) ** (1 - d)``, and needs ``near, far > 0``
    (it falls back to linear where they are not, so a traced sweep never produces NaN).
    """
    dtype = p.done.dtype
    near, far = _as(near, dtype), _as(far, dtype)
    if shape in SYMMETRIC_WEIGHTS:
        return anchored_blend(near, far, p, SYMMETRIC_WEIGHTS[shape])
    if shape != "exponential":
        return blend(near, far, asymmetric_weights(shape, p))
    valid = (near > 0) & (far > 0)
    safe_near = jnp.where(valid, near, jnp.ones((), dtype))
    safe_far = jnp.where(valid, far, jnp.ones((), dtype))
    geometric = safe_far * jnp.exp(p.left * jnp.log(safe_near / safe_far))
    # exp(log(.)) can overshoot by an ulp next to the end points: keep it between them.
    geometric = jnp.clip(geometric, jnp.minimum(near, far), jnp.maximum(near, far))
    geometric = _exact_ends(geometric, near, far, p)
    return jnp.where(valid, geometric, anchored_blend(near, far, p, linear_weight))
