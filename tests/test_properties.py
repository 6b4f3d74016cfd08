"""Property tests (catalogue rows N): random valid configurations × integer steps in
[-2**31, 2**31): finite values and gradients, within the schedule's value range, and
jit == eager."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lrjax

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


def f32(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Float32 values in [lo, hi] (bounds rounded to float32 first)."""
    return st.floats(float(np.float32(lo)), float(np.float32(hi)), width=32, allow_nan=False)


values = f32(0.0, 10.0)
positive = f32(1e-6, 10.0)
lengths = st.one_of(st.integers(0, 4), st.integers(0, 10**4), st.integers(0, 2**31 - 1))
steps = st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=64)
shapes = st.sampled_from(["linear", "cosine", "1-sqrt", "square", "constant", "exponential"])


@st.composite
def primitives(draw):
    kind = draw(
        st.sampled_from(
            [
                "linear",
                "polynomial",
                "cosine",
                "exponential",
                "inverse_time",
                "rsqrt",
                "piecewise_constant",
                "piecewise_linear",
                "constant",
            ]
        )
    )
    a, b = draw(values), draw(values)
    span = (min(a, b), max(a, b))
    if kind == "linear":
        return lrjax.linear(a, b, draw(lengths), draw(lengths)), span
    if kind == "polynomial":
        power = draw(f32(0.1, 5.0))
        return lrjax.polynomial(a, b, power, draw(lengths), draw(lengths)), span
    if kind == "cosine":
        exponent = draw(f32(0.1, 5.0))
        return lrjax.cosine_decay(a, draw(lengths), end_value=b, exponent=exponent), span
    if kind == "exponential":
        rate = draw(f32(0.01, 0.999))
        end = draw(st.none() | f32(0.0, 1.0).map(lambda x: x * a))
        s = lrjax.exponential_decay(
            a,
            decay_rate=rate,
            transition_steps=max(draw(lengths), 1),
            transition_begin=draw(lengths),
            staircase=draw(st.booleans()),
            end_value=end,
        )
        return s, (0.0 if end is None else end, a)
    if kind == "inverse_time":
        return lrjax.inverse_time_decay(
            a, decay_rate=b, decay_steps=max(draw(lengths), 1), staircase=draw(st.booleans())
        ), (0.0, a)
    if kind == "rsqrt":
        return lrjax.rsqrt_decay(a, draw(positive)), (0.0, a)
    if kind in ("piecewise_constant", "piecewise_linear"):
        k = draw(st.integers(1, 20))
        bounds = sorted(draw(st.lists(st.integers(0, 2**31 - 1), min_size=k, max_size=k)))
        extra = 1 if kind == "piecewise_constant" else 0
        vals = draw(st.lists(values, min_size=k + extra, max_size=k + extra))
        factory = lrjax.piecewise_constant if extra else lrjax.piecewise_linear
        return factory(bounds, vals), (min(vals), max(vals))
    return lrjax.constant(a), (a, a)


@st.composite
def schedules(draw, depth=0):
    s, (lo, hi) = draw(primitives())
    if depth >= 2:
        return s, (lo, hi)
    kind = draw(
        st.sampled_from(
            ["none", "warmup", "join", "cycle", "shift", "quantize", "stretch", "scale"]
        )
    )
    if kind == "warmup":
        init = draw(f32(1e-4, 5.0))
        w = lrjax.warmup(s, draw(lengths), init, draw(shapes))
        return w, (min(lo, init), max(hi, init))
    if kind == "join":
        other, (lo2, hi2) = draw(schedules(depth + 1))
        return lrjax.join_schedules([s, other], [draw(lengths)]), (min(lo, lo2), max(hi, hi2))
    if kind == "cycle":
        mul = draw(f32(1.0, 3.0))
        gamma = draw(f32(0.1, 1.0))
        n = draw(st.none() | st.integers(1, 5))
        c = lrjax.cycle(s, max(draw(lengths), 1), period_mul=mul, value_mul=gamma, num_cycles=n)
        return c, (min(lo, 0.0), hi)
    if kind == "shift":
        return lrjax.shift(s, draw(lengths)), (lo, hi)
    if kind == "quantize":
        return lrjax.quantize(s, max(draw(lengths), 1)), (lo, hi)
    if kind == "stretch":
        return lrjax.stretch(s, draw(f32(0.01, 100.0))), (lo, hi)
    if kind == "scale":
        c = draw(f32(0.0, 3.0))
        return s * c, (lo * c, hi * c)
    return s, (lo, hi)


_evaluate = jax.jit(lambda s, t: s(t))


@pytest.mark.slow
@SETTINGS
@given(schedules(), steps)
def test_finite_within_range_and_jit_equals_eager(pair, step_list):
    s, (lo, hi) = pair
    t = np.asarray(step_list, np.int64).astype(np.int32)
    eager = np.asarray(s(t))
    assert np.all(np.isfinite(eager)), (s, t[~np.isfinite(eager)])
    tolerance = 1e-6 * max(abs(lo), abs(hi), 1e-30)
    assert np.all(eager >= lo - tolerance) and np.all(eager <= hi + tolerance), (s, eager, lo, hi)
    np.testing.assert_array_max_ulp(np.asarray(_evaluate(s, jnp.asarray(t))), eager, maxulp=1)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(schedules(), steps)
def test_gradients_are_finite(pair, step_list):
    s, _ = pair
    t = jnp.asarray(np.asarray(step_list, np.int64).astype(np.int32))
    leaves, treedef = jax.tree_util.tree_flatten(s)
    floats = [i for i, x in enumerate(leaves) if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating)]
    assume(floats)  # a schedule without float leaves has nothing to differentiate

    def total(float_leaves):
        full = list(leaves)
        for i, x in zip(floats, float_leaves, strict=True):
            full[i] = x
        return jnp.sum(jax.tree_util.tree_unflatten(treedef, full)(t))

    grads = jax.jit(jax.grad(total))([jnp.asarray(leaves[i]) for i in floats])
    for g in grads:
        assert np.all(np.isfinite(np.asarray(g))), s


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 3), st.integers(1, 4), f32(1e-4, 1.0))
def test_degenerate_but_valid_configs(warmup_steps, decay_steps, peak):
    s = lrjax.warmup(lrjax.cosine_decay(peak, decay_steps), warmup_steps)
    t = jnp.arange(-3, 12)  # one shape for every example: one compile
    values = np.asarray(s(t))
    assert np.all(np.isfinite(values))
    assert float(s(warmup_steps)) == np.float32(peak)
    assert float(s(warmup_steps + decay_steps)) == 0.0
