"""The shared suite: every registered case (core, presets, compat) against the contract.

eager == jit; ``s(arange) == vmap(s)(arange)``; vmap over each numeric argument (built
inside the vmapped function, and built outside then stacked) == a Python loop;
``jit(grad)`` finite and equal to finite differences of the float64 reference; one trace
for many values; JSON config, pickle and deepcopy round trips; clamped negative steps;
hold after the end; agreement with the float64 NumPy reference.
"""

from __future__ import annotations

import copy
import json
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import Case, all_cases
from helpers import TraceCounter, assert_close_to_reference

import lrjax

CASES = all_cases()

# XLA evaluates `x ** y` with a batched exponent by another routine than with a scalar one
# (vectorized pow vs libm powf): results may differ by a few ulps across a hyperparameter
# vmap. One schedule's own call forms (s(t), s(array), vmap over steps, jit) agree to 1 ulp.
POW_ULPS = 8


def _steps(case: Case) -> np.ndarray:
    horizon = (case.end if case.end is not None else 300) + 21
    big = [10**5, 10**6 + 7, 2**24 + 1, 2**30, 2**31 - 1]
    return np.concatenate([np.arange(horizon), big]).astype(np.int32)


def _scale(case: Case, steps: np.ndarray) -> float:
    return float(np.max(np.abs(case.expected(steps[:400])))) or 1.0


def _sweep_items(case: Case):
    return [(name, values) for name, values in case.sweeps.items()]


def _ids(items):
    return [name for name, _ in items]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_float64_reference(case: Case):
    if case.reference is None:
        pytest.skip("composition checked against its peer in the compat tests")
    steps = _steps(case)
    s = case.build()
    assert_close_to_reference(s(steps), case.expected(steps), case.rtol, _scale(case, steps))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_eager_equals_jit(case: Case):
    s = case.build()
    steps = jnp.asarray(_steps(case))
    eager = np.asarray(s(steps))
    jitted = np.asarray(jax.jit(lambda sched, t: sched(t))(s, steps))
    np.testing.assert_array_equal(eager, jitted)
    assert eager.dtype == np.float32
    assert eager.shape == steps.shape


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_array_call_equals_vmap_and_scalar_calls(case: Case):
    s = case.build()
    steps = jnp.asarray(_steps(case))
    whole = np.asarray(s(steps))
    mapped = np.asarray(jax.vmap(s)(steps))
    np.testing.assert_array_max_ulp(whole, mapped, maxulp=1)
    for i in [0, 1, 7, len(steps) - 1]:
        np.testing.assert_array_max_ulp(whole[i], np.asarray(s(int(steps[i]))), maxulp=1)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_vmap_over_each_argument_equals_loop(case: Case):
    steps = jnp.asarray(_steps(case)[:: max(1, len(_steps(case)) // 64)])
    for name, values in _sweep_items(case):
        values = [case.kwargs[name], *values]
        loop = np.stack([np.asarray(case.build(**{name: x})(steps)) for x in values])
        # Built inside the vmapped function, with the argument traced.
        inside = jax.vmap(lambda x, name=name: case.build(**{name: x})(steps))(
            jnp.asarray(np.asarray(values))
        )
        np.testing.assert_array_max_ulp(np.asarray(inside), loop, maxulp=POW_ULPS)
        # Built outside, then stacked into one batched schedule.
        stacked = jax.tree_util.tree_map(
            lambda *leaves: jnp.stack([jnp.asarray(x) for x in leaves]),
            *[case.build(**{name: x}) for x in values],
        )
        outside = jax.vmap(lambda sched: sched(steps))(stacked)
        np.testing.assert_array_max_ulp(np.asarray(outside), loop, maxulp=POW_ULPS)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_one_trace_for_many_values(case: Case):
    counter = TraceCounter()
    evaluate = jax.jit(counter.wrap(lambda sched, t: sched(t)))
    steps = jnp.arange(50, dtype=jnp.int32)
    evaluate(case.build(), steps)
    for name, values in _sweep_items(case):
        for x in values:
            evaluate(case.build(**{name: x}), steps)
    assert counter.count == 1


def _float_arguments(case: Case) -> list[str]:
    return [k for k, x in case.kwargs.items() if isinstance(x, float) and k in case.sweeps]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_jit_grad_is_finite_and_matches_finite_differences(case: Case):
    names = _float_arguments(case)
    if not names:
        pytest.skip("no float hyperparameter")
    end = case.end if case.end is not None else 300
    steps = np.unique(np.array([0, 1, max(end // 3, 1) + 1, end // 2 + 2, end + 5, 10**6 + 3]))
    for name in names:
        x0 = float(case.kwargs[name])

        def total(x, name=name):
            return jnp.sum(case.build(**{name: x})(jnp.asarray(steps, jnp.int32)))

        grad = float(jax.jit(jax.grad(total))(jnp.float32(x0)))
        assert np.isfinite(grad), (name, grad)
        if case.reference is None:
            continue
        h = 1e-6 * max(abs(x0), 1.0)
        ref = case.reference

        def f64(x, name=name, ref=ref):
            return float(np.sum(ref(steps.astype(np.int64), **{**case.kwargs, name: x})))

        fd = (f64(x0 + h) - f64(x0 - h)) / (2 * h)
        assert abs(grad - fd) <= 2e-3 * max(abs(fd), 1.0), (name, grad, fd)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_config_pickle_and_copy_round_trips_are_bit_identical(case: Case):
    s = case.build()
    steps = jnp.asarray(_steps(case))
    expected = np.asarray(s(steps))
    text = json.dumps(lrjax.to_config(s))
    for clone in [
        lrjax.from_config(json.loads(text)),
        pickle.loads(pickle.dumps(s)),
        copy.deepcopy(s),
    ]:
        assert clone == s
        assert hash(clone) == hash(s)
        np.testing.assert_array_equal(np.asarray(clone(steps)), expected)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_negative_steps_clamp_to_zero(case: Case):
    s = case.build()
    at_zero = np.asarray(s(0))
    for step in [-1, -5, -(2**31) + 1, np.int64(-(2**40)), np.int8(-100), -3.5, float("-inf")]:
        np.testing.assert_array_equal(np.asarray(s(step)), at_zero)
    np.testing.assert_array_equal(np.asarray(s(jnp.array([-7, 0], jnp.int32))), [at_zero] * 2)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_holds_after_the_end(case: Case):
    if case.end is None:
        pytest.skip("unbounded family: continues by its formula")
    s = case.build()
    final = np.asarray(s(case.end))
    later = [case.end + 1, case.end + 10, case.end + 1000, 2**31 - 1]
    np.testing.assert_array_equal(np.asarray(s(jnp.asarray(later, jnp.int32))), [final] * 4)
    np.testing.assert_array_equal(np.asarray(s(float("inf"))), final)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_float_steps_follow_the_same_formulas(case: Case):
    s = case.build()
    steps = _steps(case)[:-5]
    as_int = np.asarray(s(steps))
    as_float = np.asarray(s(steps.astype(np.float32)))
    np.testing.assert_allclose(as_float, as_int, rtol=2e-6, atol=1e-7 * _scale(case, steps))
    assert np.isnan(np.asarray(s(float("nan"))))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_no_leaked_tracers(case: Case):
    with jax.checking_leaks():
        jax.jit(lambda sched, t: sched(t))(case.build(), jnp.arange(10))
        jax.vmap(case.build())(jnp.arange(10))
