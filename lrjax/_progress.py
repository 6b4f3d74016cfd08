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

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ._steps import as_step_dtype

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


class Weights(NamedTuple):
    """How much of the start and of the end value a point of a ramp holds.

    ``start`` is 1 at the start and 0 at the end; ``end == 1 - start``. Both are computed
    directly (never as ``1 - x``), so each keeps full relative precision where it is small.
    """

    start: jax.Array
    end: jax.Array


def linear_weights(p: Progress) -> Weights:
    """Straight-line weights: ``start = 1 - done``."""
    return Weights(p.left, p.done)


def cosine_weights(p: Progress) -> Weights:
    """Half-cosine weights: ``start = (1 + cos(pi * done)) / 2``.

    Written as ``sin(pi/2 * left)**2`` (and the end weight as ``sin(pi/2 * done)**2``),
    which keeps relative precision near both ends, with no ``1 + cos`` cancellation (optax's
    cosine tail has 1e-2 relative error) and no switch between formulas that could break
    monotonicity.
    """
    half_pi = jnp.asarray(jnp.pi / 2, p.done.dtype)
    start = jnp.sin(half_pi * p.left) ** 2
    end = jnp.sin(half_pi * p.done) ** 2
    one, zero = jnp.ones((), start.dtype), jnp.zeros((), start.dtype)
    start = jnp.where(p.done == 0, one, jnp.where(p.left == 0, zero, start))
    end = jnp.where(p.done == 0, zero, jnp.where(p.left == 0, one, end))
    return Weights(start, end)


def power_weights(w: Weights, exponent: jax.Array) -> Weights:
    """Raise the start weight to ``exponent > 0``; the end weight is ``1 - start**exponent``.

    The end weight is ``-expm1(exponent * log1p(-w.end))``, precise where it is small. Both
    are exact at 0 and 1 and have finite gradients there (the "double where" pattern).
    """
    dtype = w.start.dtype
    exponent = jnp.asarray(exponent).astype(dtype)
    one, zero = jnp.ones((), dtype), jnp.zeros((), dtype)
    inside = (w.start > 0) & (w.start < 1)
    safe_start = jnp.where(inside, w.start, jnp.asarray(0.5, dtype))
    safe_end = jnp.where(inside, w.end, jnp.asarray(0.5, dtype))
    start = jnp.where(inside, safe_start**exponent, jnp.where(w.start >= 1, one, zero))
    end = jnp.where(inside, -jnp.expm1(exponent * jnp.log1p(-safe_end)), one - w.start)
    return Weights(start, end)


def shape_weights(shape: str, p: Progress) -> Weights:
    """The weights of a ramp shape at normalised distance ``d = p.done`` from the start.

    The start weight is the multiplier of SEMANTICS §3: "linear" ``1 - d``, "cosine"
    ``(1 + cos(pi d)) / 2``, "1-sqrt" ``1 - sqrt(d)``, "square" ``(1 - d)**2``, "constant"
    1 at ``d = 0`` and 0 elsewhere (a step). "exponential" is handled by :func:`ramp`.
    """
    if shape == "linear":
        return linear_weights(p)
    if shape == "cosine":
        return cosine_weights(p)
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


def blend(start: jax.Array, end: jax.Array, w: Weights) -> jax.Array:
    """``start * w.start + end * w.end``, anchored at the endpoint of smaller magnitude.

    ``start + (end - start) * w.end`` when ``|start| <= |end|`` (a warmup from 0 keeps
    relative precision at its first steps), else ``end + (start - end) * w.start`` (a decay to
    0 keeps it in its tail). One formula per ramp, so the result is monotone in the weights.
    Exact at both endpoints.
    """
    dtype = w.start.dtype
    start = jnp.asarray(start).astype(dtype)
    end = jnp.asarray(end).astype(dtype)
    from_start = start + (end - start) * w.end
    from_end = end + (start - end) * w.start
    value = jnp.where(jnp.abs(start) <= jnp.abs(end), from_start, from_end)
    return jnp.where(w.end == 0, start, jnp.where(w.start == 0, end, value))


def ramp(shape: str, near: jax.Array, far: jax.Array, p: Progress) -> jax.Array:
    """A ramp equal to ``near`` at ``p.done == 0`` and ``far`` at ``p.done == 1``.

    ``blend(near, far, shape_weights(shape, p))`` for the multiplier shapes; "exponential"
    is geometric, ``far * (near / far) ** (1 - d)``, and needs ``near, far > 0`` (it falls
    back to linear where they are not, so a traced sweep never produces NaN).
    """
    dtype = p.done.dtype
    near = jnp.asarray(near).astype(dtype)
    far = jnp.asarray(far).astype(dtype)
    if shape != "exponential":
        return blend(near, far, shape_weights(shape, p))
    valid = (near > 0) & (far > 0)
    safe_near = jnp.where(valid, near, jnp.ones((), dtype))
    safe_far = jnp.where(valid, far, jnp.ones((), dtype))
    geometric = safe_far * jnp.exp(p.left * jnp.log(safe_near / safe_far))
    # exp(log(.)) can overshoot by an ulp next to the end points: keep it between them.
    geometric = jnp.clip(geometric, jnp.minimum(near, far), jnp.maximum(near, far))
    geometric = jnp.where(p.done == 0, near, jnp.where(p.left == 0, far, geometric))
    return jnp.where(valid, geometric, blend(near, far, linear_weights(p)))
