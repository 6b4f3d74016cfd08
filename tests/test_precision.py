"""docs/contract.md, Precision (catalogue rows P): float32 precision up to step 2**31 - 1,
exact endpoints, monotone phases."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import ref_cosine_decay, ref_linear, ref_polynomial

import lrjax

LENGTHS = [2**24, 2**28, 2**31 - 1]


def _sample_steps(length: int) -> np.ndarray:
    rng = np.random.default_rng(length % 1000)
    return np.unique(
        np.concatenate(
            [
                rng.integers(0, length, 20_000),
                np.arange(length - 4096, length + 1),
                np.arange(length // 2 - 2048, length // 2 + 2048),
                np.arange(0, 4096),
            ]
        )
    ).astype(np.int64)


def _max_relative_error(actual, expected, peak):
    mask = np.abs(expected) >= 1e-6 * peak
    return float(np.max(np.abs(actual[mask] - expected[mask]) / np.abs(expected[mask])))


FAMILIES = {
    "cosine_decay": (
        lambda n: lrjax.cosine_decay(1.0, n),
        lambda t, n: ref_cosine_decay(t, 1.0, n),
    ),
    "cosine_exponent": (
        lambda n: lrjax.cosine_decay(1.0, n, end_value=0.0, exponent=2.0),
        lambda t, n: ref_cosine_decay(t, 1.0, n, 0.0, 2.0),
    ),
    "linear_decay": (lambda n: lrjax.linear(1.0, 0.0, n), lambda t, n: ref_linear(t, 1.0, 0.0, n)),
    "linear_warmup": (lambda n: lrjax.linear(0.0, 1.0, n), lambda t, n: ref_linear(t, 0.0, 1.0, n)),
    "polynomial": (
        lambda n: lrjax.polynomial(1.0, 0.0, 2.0, n),
        lambda t, n: ref_polynomial(t, 1.0, 0.0, 2.0, n),
    ),
    "warmup_cosine": (
        lambda n: lrjax.warmup(lrjax.cosine_decay(1.0, n // 2), n // 2),
        lambda t, n: np.where(t < n // 2, t / (n // 2), ref_cosine_decay(t - n // 2, 1.0, n // 2)),
    ),
    "piecewise_linear": (
        lambda n: lrjax.piecewise_linear([0, n], [0.0, 1.0]),
        lambda t, n: np.interp(t, [0, n], [0.0, 1.0]),
    ),
}


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_relative_error_is_below_1e_6_at_every_length(family, length):
    build, reference = FAMILIES[family]
    steps = _sample_steps(length)
    actual = np.asarray(build(length)(steps.astype(np.int32)), np.float64)
    expected = reference(steps.astype(np.float64), length)
    assert _max_relative_error(actual, expected, 1.0) <= 1e-6


@pytest.mark.parametrize("length", LENGTHS)
def test_every_step_of_the_tail_is_resolved(length):
    tail = np.arange(length - 4096, length, dtype=np.int32)
    for build in [lambda n: lrjax.cosine_decay(1.0, n), lambda n: lrjax.linear(1.0, 0.0, n)]:
        values = np.asarray(build(length)(tail))
        assert len(np.unique(values)) == 4096  # optax: 1 distinct value at 2**28 (cosine)


@pytest.mark.parametrize("start", [0, 2**24 - 2048, 2**30, 2**31 - 4096])
def test_phases_are_monotone_over_consecutive_steps(start):
    steps = np.arange(start, start + 4096, dtype=np.int64).astype(np.int32)
    n = 2**31 - 1
    decays = [
        lrjax.cosine_decay(1.0, n),
        lrjax.linear(1.0, 0.1, n),
        lrjax.polynomial(1.0, 0.0, 0.5, n),
        lrjax.cosine_decay(1.0, n, end_value=0.0, exponent=3.0),
        lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=2**29),
        lrjax.rsqrt_decay(1.0, 1000.0),
        lrjax.piecewise_linear([0, n], [1.0, 0.0]),
    ]
    for s in decays:
        assert np.all(np.diff(np.asarray(s(steps), np.float32)) <= 0), s
    for shape in ["linear", "cosine", "1-sqrt", "square", "exponential"]:
        warm = lrjax.warmup(lrjax.constant(1.0), n, init_value=1e-3, shape=shape)
        assert np.all(np.diff(np.asarray(warm(steps))) >= 0), shape


def test_endpoints_are_exact_in_float32():
    for peak, end, init in [(0.1, 0.0, 0.0), (3e-4, 3e-6, 1e-7), (0.7, 0.3, 0.2)]:
        s = lrjax.warmup(lrjax.cosine_decay(peak, 997, end_value=end), 13, init_value=init)
        assert float(s(0)) == np.float32(init)
        assert float(s(13)) == np.float32(peak)
        assert float(s(13 + 997)) == np.float32(end)
        lin = lrjax.linear(init, peak, 7919)
        assert float(lin(0)) == np.float32(init) and float(lin(7919)) == np.float32(peak)
        poly = lrjax.polynomial(peak, end, 1.7, 101)
        assert float(poly(0)) == np.float32(peak) and float(poly(101)) == np.float32(end)
        pl = lrjax.piecewise_linear([3, 50, 77], [init, peak, end])
        np.testing.assert_array_equal(
            np.asarray(pl(jnp.array([3, 50, 77]))), np.array([init, peak, end], np.float32)
        )


@pytest.mark.parametrize("total", [7, 997, 7919, 65_535, 1_000_003])
def test_a_phase_is_a_correctly_rounded_quotient_in_every_call_form(total):
    """Ramps from 0 and to 0 over ``total`` steps are ``t / total`` and ``(total - t) /
    total``, correctly rounded, at every step and in every call form. XLA turns a division by
    a scalar's broadcast into a multiplication by the reciprocal (not correctly rounded, and
    not exact at the ends) where the graph around it lets it; the progress divides by one
    copy of the total per step instead, and has no select for its ends."""
    steps = np.unique(
        np.r_[0:40, total - 40 : total + 3, np.linspace(0, total, 400).astype(np.int64)]
    )
    steps = steps[steps >= 0].astype(np.int32)
    done = np.minimum(steps, total).astype(np.float32)
    up, down = done / np.float32(total), (np.float32(total) - done) / np.float32(total)
    schedules = {
        "linear up": (lrjax.linear(0.0, 1.0, total), up),
        "linear down": (lrjax.linear(1.0, 0.0, total), down),
        "warmup": (lrjax.warmup(lrjax.constant(1.0), total), np.where(steps < total, up, 1)),
    }
    call = jax.jit(lambda s, t: s(t))
    for name, (s, want) in schedules.items():
        forms = {
            "array": np.asarray(call(s, jnp.asarray(steps))),
            "evaluate": lrjax.evaluate(s, steps),
            "scalars": np.asarray(jax.vmap(lambda t, s=s: call(s, t))(jnp.asarray(steps))),
            "batched": lrjax.evaluate(lrjax.stack([s, s]), steps)[1],
        }
        for form, got in forms.items():
            np.testing.assert_array_equal(got, want.astype(np.float32), err_msg=f"{name}, {form}")


def test_long_warmup_keeps_relative_precision_at_its_first_steps():
    n = 2**31 - 1
    s = lrjax.warmup(lrjax.constant(1.0), n)
    steps = np.arange(1, 4097, dtype=np.int32)
    np.testing.assert_allclose(np.asarray(s(steps), np.float64), steps / n, rtol=1e-6)


@pytest.mark.parametrize("exponent", [0.1, 0.5, 1.0, 1.7, 2.0, 3.0, 7.3, 40.0])
def test_unit_power_is_within_its_documented_error(exponent: float):
    """``m ** e`` of the powered ramps: relative error at most 1.2e-7 (1 + e) against float64,
    over the whole float32 range of bases, down to the smallest normal number."""
    from lrjax.core.kernel import unit_power

    rng = np.random.default_rng(int(exponent * 10))
    x = np.concatenate(
        [
            rng.uniform(0, 1, 200_000) ** 6,
            2.0 ** -np.arange(1, 127),
            np.nextafter(np.float32(1), np.float32(0)) - np.arange(0, 64) * 2.0**-24,
            [np.finfo(np.float32).tiny],
        ]
    ).astype(np.float32)
    x = x[(x > 0) & (x < 1)]
    e = np.float32(exponent)
    got = np.asarray(unit_power(jnp.asarray(x), jnp.asarray(e)), np.float64)
    want = x.astype(np.float64) ** np.float64(e)
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    normal = want >= np.finfo(np.float32).tiny
    error = np.abs(got[normal] - want[normal]) / want[normal]
    assert error.max() <= 1.2e-7 * (1 + exponent), error.max()
    # Below float32's normal range the power flushes to 0 or a subnormal, never above it.
    assert np.all(got[~normal] <= np.finfo(np.float32).tiny)


def test_unit_power_has_the_derivative_of_the_power():
    import jax

    from lrjax.core.kernel import unit_power

    x, e = np.float32(0.3), np.float32(2.5)
    dx, de = jax.grad(unit_power, argnums=(0, 1))(x, e)
    assert float(dx) == pytest.approx(2.5 * 0.3**1.5, rel=1e-6)
    assert float(de) == pytest.approx(0.3**2.5 * np.log(0.3), rel=1e-6)
    batched = jax.vmap(unit_power)(jnp.array([0.25, 0.5]), jnp.array([1.5, 3.0]))
    np.testing.assert_allclose(np.asarray(batched), [0.125, 0.125], rtol=2e-7)
