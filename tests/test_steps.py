"""What a step is, what a schedule returns (docs/contract.md, Steps and Dtypes; rows S)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import x64

import lrjax
from lrjax.core.steps import floor_divmod

SCHEDULES = {
    "linear": lrjax.linear(1.0, 0.0, 100),
    "cosine": lrjax.cosine_decay(1.0, 100),
    "warmup_cosine": lrjax.warmup(lrjax.cosine_decay(1.0, 100, end_value=0.1), 10),
    "piecewise": lrjax.piecewise_constant([10, 20], [1.0, 0.5, 0.25]),
    "join": lrjax.join_schedules([lrjax.constant(1.0), lrjax.linear(1.0, 0.0, 50)], [30]),
    "cycle": lrjax.cycle(lrjax.linear(1.0, 0.0, 20), 20, period_mul=2.0),
    "exponential": lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10),
}


@pytest.fixture(params=sorted(SCHEDULES))
def schedule(request):
    return SCHEDULES[request.param]


INTEGER_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_every_integer_dtype_behaves_as_if_widened(schedule, dtype):
    values = [0, 5, 17, 100]
    expected = np.asarray(schedule(np.array(values, np.int32)))
    np.testing.assert_array_equal(np.asarray(schedule(np.array(values, dtype))), expected)
    if np.issubdtype(dtype, np.signedinteger):
        # An int8 -100 means -100 (clamped to 0), not a wrapped positive step.
        np.testing.assert_array_equal(np.asarray(schedule(dtype(-100))), np.asarray(schedule(0)))


def test_wide_unsigned_steps_mean_their_value():
    s = lrjax.linear(1.0, 0.0, 100)
    np.testing.assert_array_equal(np.asarray(s(np.uint32(4_000_000_000 % 2**31))), 0.0)
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        s(np.uint32(2**32 - 1))
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        s(np.uint64(2**31))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64, jnp.bfloat16, jnp.float16])
def test_float_steps_and_output_is_never_narrower_than_float32(schedule, dtype):
    value = schedule(np.asarray(5, dtype))
    assert value.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(value), np.asarray(schedule(5)), rtol=1e-6)


def test_fractional_steps_interpolate():
    s = lrjax.linear(1.0, 0.0, 10)
    np.testing.assert_allclose(np.asarray(s(2.5)), 0.75, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(s(np.array([0.5, 9.5]))), [0.95, 0.05], rtol=1e-6)


def test_nan_and_infinite_steps(schedule):
    assert np.isnan(np.asarray(schedule(float("nan"))))
    np.testing.assert_array_equal(np.asarray(schedule(float("-inf"))), np.asarray(schedule(0)))
    out = np.asarray(schedule(jnp.array([0.0, jnp.nan, 3.0])))
    assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all()


def test_plus_infinity_is_the_end_value_or_nan_when_there_is_none():
    assert float(lrjax.linear(1.0, 0.1, 10)(float("inf"))) == np.float32(0.1)
    assert float(lrjax.cosine_decay(1.0, 10, end_value=0.2)(float("inf"))) == np.float32(0.2)
    assert float(
        lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10, end_value=0.1)(
            float("inf")
        )
    ) == np.float32(0.1)
    assert np.isnan(float(lrjax.cycle(lrjax.linear(1.0, 0.0, 10), 10)(float("inf"))))
    held = lrjax.cycle(lrjax.linear(1.0, 0.0, 10), 10, value_mul=0.5, num_cycles=2)
    assert float(held(float("inf"))) == float(held(10**6))


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (1, 1, 4)])
def test_output_shape_equals_step_shape(schedule, shape):
    steps = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape) * 7
    out = schedule(steps)
    assert out.shape == shape and out.dtype == jnp.float32
    assert schedule(steps.tolist() if shape else 3).shape == (shape if shape else ())


@pytest.mark.parametrize("bad", [True, np.bool_(False), "3", None, 1 + 2j, np.array([1j])])
def test_steps_of_the_wrong_kind_are_type_errors(schedule, bad):
    with pytest.raises(TypeError):
        schedule(bad)


@pytest.mark.parametrize("step", [2**31, np.int64(2**31 + 5), np.int64(2**40), [0, 2**33]])
def test_out_of_range_steps_raise_instead_of_wrapping(schedule, step):
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        schedule(step)


def test_largest_int32_step_is_fine(schedule):
    value = np.asarray(schedule(2**31 - 1))
    assert np.isfinite(value)


def test_steps_beyond_int32_work_under_x64():
    with x64():
        s = lrjax.linear(1.0, 0.0, 2**40)
        assert s(2**39).dtype == jnp.float64
        np.testing.assert_allclose(float(s(2**39)), 0.5, rtol=1e-15)
        np.testing.assert_allclose(float(s(np.int64(2**40 - 1))), 2.0**-40, rtol=1e-12)
        assert float(s(2**53)) == 0.0


def test_input_arrays_are_not_mutated(schedule):
    steps = np.array([-5, 3, 200], np.int64)
    before = steps.copy()
    schedule(steps)
    np.testing.assert_array_equal(steps, before)


def test_order_of_steps_does_not_matter(schedule):
    rng = np.random.default_rng(0)
    steps = rng.integers(-50, 300, size=200).astype(np.int32)
    values = np.asarray(schedule(steps))
    perm = rng.permutation(len(steps))
    np.testing.assert_array_equal(np.asarray(schedule(steps[perm])), values[perm])
    np.testing.assert_array_equal(np.asarray(schedule(steps[::-1])), values[::-1])
    repeated = np.concatenate([steps, steps])
    np.testing.assert_array_equal(np.asarray(schedule(repeated)), np.tile(values, 2))


def test_traced_wide_unsigned_step_saturates_instead_of_wrapping():
    s = lrjax.linear(1.0, 0.0, 100)
    out = jax.jit(s)(jnp.asarray(np.uint32(3_000_000_000)))
    assert float(out) == 0.0


@pytest.mark.parametrize(
    "period",
    [
        1,
        2,
        3,
        7,
        1000,
        4096,
        65537,
        2**20 + 3,
        2**24 - 1,
        2**24 + 1,
        10**8 + 7,
        2**30 + 5,
        2**31 - 385,
        2**31 - 1,
    ],
)
def test_floor_divmod_is_exact_for_every_int32_step(period):
    """The float32 estimate corrected in integers equals ``//`` and ``%``: random steps,
    both ends of the int32 range and the steps around multiples of the period. Negative
    steps too (the first estimate truncates; the second absorbs the difference)."""
    rng = np.random.default_rng(period)
    multiples = np.arange(-50, 50, dtype=np.int64) * period
    t = np.concatenate(
        [
            rng.integers(-(2**31), 2**31 - 1, 100_000),
            np.arange(-3000, 3000),
            2**31 - 1 - np.arange(3000),
            -(2**31) + np.arange(3000),
            np.clip(np.arange(period - 1000, period + 1000), 0, 2**31 - 1),
            np.clip(np.concatenate([multiples - 1, multiples, multiples + 1]), -(2**31), 2**31 - 1),
        ]
    ).astype(np.int32)
    whole, rest = jax.jit(floor_divmod)(jnp.asarray(t), jnp.int32(period))
    np.testing.assert_array_equal(np.asarray(whole), t.astype(np.int64) // period)
    np.testing.assert_array_equal(np.asarray(rest), t.astype(np.int64) % period)
