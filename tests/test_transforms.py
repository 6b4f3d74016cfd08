"""The shared suite: every registered case (core, presets, compat) against the contract.

eager == jit; ``s(arange) == vmap(s)(arange)`` and scalar calls; vmap over the numeric
arguments (built inside the vmapped function, and built outside then stacked) == a Python
loop; ``jit(grad)`` finite and equal to finite differences of the float64 reference; one
trace for many values; JSON config, pickle and deepcopy round trips; clamped negative
steps; hold after the end; float steps; agreement with the float64 NumPy reference.

Every check of one case shares the same step arrays, so a case compiles a handful of
programs, not one per check.
"""

from __future__ import annotations

import copy
import inspect
import json
import pickle
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import Case, all_cases
from helpers import TraceCounter, assert_close_to_reference, x64

import lrjax
import lrjax.compat.torch as lrjax_torch

CASES = all_cases()

# XLA evaluates `x ** y` with a batched exponent by another routine than with a scalar one
# (vectorized pow vs libm powf): results may differ by a few ulps across a hyperparameter
# vmap. One schedule's own call forms (s(t), s(array), vmap over steps, jit) agree to 1 ulp.
POW_ULPS = 8
BIG_STEPS = [10**5, 10**6 + 7, 2**24 + 1, 2**30, 2**31 - 1]


def _steps(case: Case) -> np.ndarray:
    horizon = (case.end if case.end is not None else 300) + 21
    return np.concatenate([np.arange(horizon), BIG_STEPS]).astype(np.int32)


def _scale(case: Case, steps: np.ndarray) -> float:
    return float(np.max(np.abs(case.expected(steps[:400])))) or 1.0


def _sweep_groups(case: Case) -> list[list[dict[str, Any]]]:
    """Groups of configurations to vmap over, each group varying the same arguments.

    One group varying every swept argument at once (cycling through the values) when all
    its combinations are valid; otherwise one group per argument.
    """
    if not case.sweeps:
        return []
    length = max(len(values) for values in case.sweeps.values())
    combined = [
        {name: values[i % len(values)] for name, values in case.sweeps.items()}
        for i in range(length)
    ]
    try:
        for config in combined:
            case.build(**config)
    except ValueError:
        return [[{name: x} for x in values] for name, values in case.sweeps.items()]
    return [combined]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_values_calls_and_round_trips(case: Case):
    s = case.build()
    steps = _steps(case)
    values = np.asarray(s(steps))
    assert values.dtype == np.float32 and values.shape == steps.shape

    # Against the float64 reference.
    if case.reference is not None:
        assert_close_to_reference(values, case.expected(steps), case.rtol, _scale(case, steps))

    # Array call == vmap over steps == scalar calls (to 1 ulp).
    np.testing.assert_array_max_ulp(values, np.asarray(jax.vmap(s)(steps)), maxulp=1)
    for i in [0, 1, 7, len(steps) - 1]:
        np.testing.assert_array_max_ulp(values[i], np.asarray(s(int(steps[i]))), maxulp=1)

    # Config, pickle and deepcopy round trips are bit-identical.
    text = json.dumps(lrjax.to_config(s))
    for clone in [
        lrjax.from_config(json.loads(text)),
        pickle.loads(pickle.dumps(s)),
        copy.deepcopy(s),
    ]:
        assert clone == s
        assert hash(clone) == hash(s)
        np.testing.assert_array_equal(np.asarray(clone(steps)), values)

    # Negative steps clamp to step 0.
    negative = np.array([-1, -5, -(2**31) + 1, -100], np.int32)
    np.testing.assert_array_equal(np.asarray(s(negative)), np.full(4, values[0]))
    np.testing.assert_array_equal(np.asarray(s(np.int64(-(2**40)))), values[0])
    np.testing.assert_array_equal(np.asarray(s(np.int8(-100))), values[0])

    # Float steps follow the same formulas; NaN gives NaN; -inf gives s(0).
    small = steps[: -len(BIG_STEPS)]
    as_float = np.asarray(s(small.astype(np.float32)))
    np.testing.assert_allclose(
        as_float, values[: len(small)], rtol=2e-6, atol=1e-7 * _scale(case, steps)
    )
    specials = np.asarray(s(np.array([np.nan, -np.inf, -3.5], np.float32)))
    assert np.isnan(specials[0])
    np.testing.assert_array_equal(specials[1:], [values[0]] * 2)

    # After the end, the end value holds (also at +inf).
    if case.end is not None:
        final = values[case.end]
        later = np.asarray(s(np.array([case.end + 1, case.end + 10, case.end + 1000], np.int32)))
        np.testing.assert_array_equal(later, [final] * 3)
        np.testing.assert_array_equal(values[-1], final)  # step 2**31 - 1
        np.testing.assert_array_equal(np.asarray(s(float("inf"))), final)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_jit_vmap_over_arguments_and_one_trace(case: Case):
    steps = _steps(case)
    counter = TraceCounter()
    jitted = jax.jit(counter.wrap(lambda sched, t: sched(t)))
    s = case.build()
    # eager == jit, bit for bit.
    np.testing.assert_array_equal(np.asarray(jitted(s, steps)), np.asarray(s(steps)))
    for configs in _sweep_groups(case):
        built = [case.build(**config) for config in configs]
        # New values through one jitted function: no retrace.
        loop = np.stack([np.asarray(jitted(b, steps)) for b in built])
        assert counter.count == 1
        # vmap with the swept arguments traced inside the factory.
        batched_args = {n: jnp.asarray(np.asarray([c[n] for c in configs])) for n in configs[0]}

        def build_and_call(args: dict[str, Any]) -> jax.Array:
            return case.build(**args)(steps)

        inside = jax.vmap(build_and_call)(batched_args)
        np.testing.assert_array_max_ulp(np.asarray(inside), loop, maxulp=POW_ULPS)
        # Built outside, then stacked into one batched schedule.
        stacked = jax.tree_util.tree_map(
            lambda *leaves: jnp.stack([jnp.asarray(x) for x in leaves]), *built
        )
        outside = jax.vmap(lambda sched: sched(steps))(stacked)
        np.testing.assert_array_max_ulp(np.asarray(outside), loop, maxulp=POW_ULPS)


_GRAD_RTOL = {
    # Its wave continues past the end: at step 10**6 the float32 phase num_cycles * (L - t) / L
    # is about 4500 and carries 3e-4 of rounding, which moves the float32 slope by about 1 %.
    "hf_cosine_unclamped": 2e-2,
}


def _float_arguments(case: Case) -> dict[str, float]:
    """Every float hyperparameter of the case's factory, given or left at its default."""
    found = {}
    for name, parameter in inspect.signature(case.factory).parameters.items():
        x = case.kwargs.get(name, parameter.default)
        if isinstance(x, float):
            found[name] = x
    return found


def _away(case: Case, name: str, x: float) -> float | None:
    """A valid value of argument ``name`` away from ``x`` (below it first: growth factors
    above 1 saturate far out, where the float64 difference is not float32's slope)."""
    candidates = [x * 0.9, x * 1.1] if x else [1e-4, 0.01, -1e-4]
    for candidate in candidates:
        try:
            case.build(**{name: candidate})
        except (ValueError, OverflowError):
            continue
        return candidate
    return None


def _accepts(reference: Any, name: str) -> bool:
    parameters = inspect.signature(reference).parameters
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


@pytest.mark.parametrize("where", ["default", "away"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_jit_grad_is_finite_and_matches_finite_differences(case: Case, where: str):
    """d(sum of values)/d(argument) for every float hyperparameter, at its value in the case
    (the factory's default when the case leaves it out) and away from it, against float64
    central differences of the reference (or of the schedule under x64 where the reference
    does not take the argument); one-sided where the value is on its bound (``>= 1``)."""
    floats = _float_arguments(case)
    if not floats:
        pytest.skip("no float hyperparameter to differentiate")
    if where == "away":
        floats = {n: a for n, x in floats.items() if (a := _away(case, n, x)) is not None}
        if not floats:
            pytest.skip("no float hyperparameter has a valid value away from the case's")
    end = case.end if case.end is not None else 300
    steps = np.unique(
        np.array([0, 1, max(end // 3, 1) + 1, end // 2 + 2, end + 5, 3 * end // 2 + 7, 10**6 + 3])
    )

    def total(args: dict[str, jax.Array]) -> jax.Array:
        return jnp.sum(case.build(**args)(jnp.asarray(steps)))

    grads = jax.jit(jax.grad(total))({n: jnp.float32(x) for n, x in floats.items()})
    with x64():
        total64 = jax.jit(total)

        def own(name: str, x: float) -> float:
            return float(total64({**{n: jnp.float64(y) for n, y in floats.items()}, name: x}))

    for name, value in floats.items():
        grad = float(grads[name])
        assert np.isfinite(grad), (name, grad)
        # The float64 loss as a function of one hyperparameter: the case's NumPy reference
        # when it takes that argument, else the schedule itself under x64.
        accepted = case.reference is not None and _accepts(case.reference, name)
        reference = case.reference if accepted else None

        def f64(x: float, name: str = name, ref: Any = reference) -> float:
            if ref is not None:
                args = {**case.kwargs, **floats, name: x}
                return float(np.sum(ref(steps.astype(np.int64), **args)))
            with x64():
                return own(name, x)

        h = 1e-6 * max(abs(value), 1.0)
        try:
            case.build(**{**floats, name: value - h})
            fd = (f64(value + h) - f64(value - h)) / (2 * h)
        except (ValueError, OverflowError):  # on its lower bound: one-sided
            fd = (f64(value + h) - f64(value)) / h
        rtol = _GRAD_RTOL.get(case.name, 2e-3)
        assert abs(grad - fd) <= rtol * max(abs(fd), 1.0), (name, value, grad, fd)


@pytest.mark.parametrize("case", CASES[::7], ids=repr)
def test_no_leaked_tracers(case: Case):
    with jax.checking_leaks():
        jax.jit(lambda sched, t: sched(t))(case.build(), jnp.arange(10))


def test_an_omitted_exponent_computes_no_power_and_a_given_one_is_a_leaf():
    """``exponent=None`` (the default) is structure: the program has no power in it. A
    given exponent is a leaf: a sweep over it (1 included) equals a loop over the configs,
    and a new value runs the same compiled program."""
    steps = jnp.arange(4096, dtype=jnp.int32)
    plain = lrjax.warmup(lrjax.cosine_decay(1e-3, 3000), 100)
    program = str(jax.make_jaxpr(lambda s: s(steps))(plain))
    assert not any(op in program for op in ("log1p", "expm1", " pow "))
    assert "log1p" in str(
        jax.make_jaxpr(lambda s: s(steps))(lrjax.cosine_decay(1.0, 9, exponent=1.0))
    )

    for exponents in ([1.0, 1.0, 1.0], [1.0, 2.0, 0.5]):
        schedules = [
            lrjax.warmup(lrjax.cosine_decay(1e-3 * (i + 1), 3000 + i, exponent=e), 100 + i)
            for i, e in enumerate(exponents)
        ]
        run = jax.jit(jax.vmap(lambda s: s(steps)))
        loop = np.stack([np.asarray(jax.jit(lambda s: s(steps))(s)) for s in schedules])
        np.testing.assert_allclose(np.asarray(run(lrjax.stack(schedules))), loop, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(
        np.asarray(lrjax.cosine_decay(1e-3, 3000, exponent=1.0)(steps)),
        np.asarray(lrjax.cosine_decay(1e-3, 3000)(steps)),
    )
    for default, given in [
        (lrjax.sgdr(1e-3, 700, warmup_steps=50), lrjax.sgdr(1e-3, 700, 1.0, 1.0, warmup_steps=50)),
        (
            lrjax.warmup_polynomial_decay(1.0, 10, 3000),
            lrjax.warmup_polynomial_decay(1.0, 10, 3000, 1.0),
        ),
        (
            lrjax.cycle(lrjax.warmup(lrjax.cosine_decay(1.0, 600), 100), 700, num_cycles=3),
            lrjax.cycle(
                lrjax.warmup(lrjax.cosine_decay(1.0, 600), 100),
                700,
                period_mul=1.0,
                value_mul=1.0,
                num_cycles=3,
            ),
        ),
        (
            lrjax_torch.cosine_annealing_warm_restarts(0.1, 700, eta_min=1e-3),
            lrjax_torch.cosine_annealing_warm_restarts(0.1, 700, 1.0, eta_min=1e-3),
        ),
    ]:
        np.testing.assert_array_equal(np.asarray(default(steps)), np.asarray(given(steps)))
    # None is structure: it does not stack with a number (give 1.0 to sweep over it).
    with pytest.raises(ValueError, match="different structure"):
        lrjax.stack([lrjax.cosine_decay(1.0, 10), lrjax.cosine_decay(1.0, 10, exponent=2.0)])
