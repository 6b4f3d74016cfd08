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


def safe_power(x: jax.Array, exponent: jax.Array) -> jax.Array:
    """``x ** exponent`` for ``x`` in ``[0, 1]`` and ``exponent > 0``, with finite gradients.

    Exact at ``x == 0`` and ``x == 1``; the gradient with respect to ``exponent`` at
    ``x == 0`` is 0 instead of ``0 * log(0) = nan`` (the "double where" pattern).
    """
    exponent = exponent.astype(x.dtype)
    positive = x > 0
    safe_x = jnp.where(positive, x, jnp.ones((), x.dtype))
    powered = jnp.where(x == 1, jnp.ones((), x.dtype), safe_x**exponent)
    return jnp.where(positive, powered, jnp.zeros((), x.dtype))


def cosine_multiplier(p: Progress) -> jax.Array:
    """``(1 + cos(pi * done)) / 2``, precise near both ends.

    Written as ``cos(pi/2 * done)**2`` for the first half and ``sin(pi/2 * left)**2`` for the
    second, so the tail keeps relative precision (no ``1 + cos`` cancellation).
    """
    half_pi = jnp.asarray(jnp.pi / 2, p.done.dtype)
    first = jnp.cos(half_pi * p.done) ** 2
    second = jnp.sin(half_pi * p.left) ** 2
    value = jnp.where(p.done <= 0.5, first, second)
    one, zero = jnp.ones((), value.dtype), jnp.zeros((), value.dtype)
    return jnp.where(p.done == 0, one, jnp.where(p.left == 0, zero, value))


def shape_multiplier(shape: str, p: Progress) -> jax.Array:
    """The multiplier of a ramp at normalised distance ``d = p.done`` from the peak.

    1 at the peak (``d = 0``), 0 at the far end (``d = 1``): "linear" ``1 - d``, "cosine"
    ``(1 + cos(pi d)) / 2``, "1-sqrt" ``1 - sqrt(d)``, "square" ``(1 - d)**2``, "constant"
    1 at ``d = 0`` and 0 elsewhere (a step). "exponential" is handled by :func:`ramp`.
    """
    if shape == "linear":
        return p.left
    if shape == "cosine":
        return cosine_multiplier(p)
    if shape == "1-sqrt":
        # 1 - sqrt(d) == (1 - d) / (1 + sqrt(d)): no cancellation as d -> 1.
        return p.left / (1 + jnp.sqrt(p.done))
    if shape == "square":
        return p.left * p.left
    if shape == "constant":
        return jnp.where(p.done == 0, jnp.ones((), p.done.dtype), jnp.zeros((), p.done.dtype))
    raise ValueError(f"unknown shape {shape!r}; valid shapes are {', '.join(SHAPES)}")


def ramp(shape: str, near: jax.Array, far: jax.Array, p: Progress) -> jax.Array:
    """A ramp equal to ``near`` at ``p.done == 0`` and ``far`` at ``p.done == 1``.

    ``far + (near - far) * m(d)`` for the multiplier shapes; "exponential" is geometric,
    ``far * (near / far) ** (1 - d)``, and needs ``near, far > 0`` (it falls back to linear
    where they are not, so a traced sweep never produces NaN).
    """
    dtype = p.done.dtype
    near = jnp.asarray(near).astype(dtype)
    far = jnp.asarray(far).astype(dtype)
    if shape != "exponential":
        return far + (near - far) * shape_multiplier(shape, p)
    valid = (near > 0) & (far > 0)
    safe_near = jnp.where(valid, near, jnp.ones((), dtype))
    safe_far = jnp.where(valid, far, jnp.ones((), dtype))
    geometric = safe_far * jnp.exp(p.left * jnp.log(safe_near / safe_far))
    geometric = jnp.where(p.done == 0, near, jnp.where(p.left == 0, far, geometric))
    return jnp.where(valid, geometric, far + (near - far) * p.left)
