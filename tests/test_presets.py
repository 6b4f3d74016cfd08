"""Preset-specific tests: closed forms, boundaries, degenerate configs, validation, exact
endpoints, long-schedule monotonicity and property tests over random valid configs.

The shared contract tests (jit, vmap over every numeric argument, grad, config round trip,
clamping, hold after the end, float64 reference) run over ``tests/cases_presets.py`` in
``tests/test_transforms.py``.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases_presets import (
    one_cycle_peak_step,
    ref_cyclic,
    ref_inverse_sqrt,
    ref_noam,
    ref_one_cycle,
    ref_sgdr,
    ref_tanh_decay,
    ref_warmup_cosine_decay,
    ref_warmup_linear_decay,
    ref_warmup_polynomial_decay,
    ref_warmup_stable_decay,
)
from helpers import assert_close_to_reference
from hypothesis import given, settings
from hypothesis import strategies as st

import lrjax

F32 = np.float32
MAX_STEP = 2**31 - 1


def values(schedule, steps) -> np.ndarray:
    """``schedule(steps)`` as float64; short step lists are padded to 16 so that calls of
    one schedule structure share a single compiled function."""
    steps = np.asarray(steps, np.int32).reshape(-1)
    n = len(steps)
    padded = np.pad(steps, (0, max(16 - n, 0)))
    return np.asarray(schedule(padded), np.float64)[:n]


# -- closed forms (peer sequences of docs/peers.md, and hand-computed values) ----------


def test_warmup_cosine_decay_matches_optax_verified_sequence():
    # optax warmup_cosine_decay_schedule(0, 1, 5, 15, end_value=.1): decay_steps includes W.
    s = lrjax.warmup_cosine_decay(1.0, warmup_steps=5, total_steps=15, end_value=0.1)
    got = values(s, [0, 1, 4, 5, 6, 10, 15, 16, 100])
    expected = [0, 0.2, 0.8, 1, 0.97798, 0.55, 0.1, 0.1, 0.1]
    np.testing.assert_allclose(got, expected, atol=6e-6)


def test_warmup_cosine_decay_exponent_is_a_power_of_the_cosine_factor():
    s = lrjax.warmup_cosine_decay(2.0, 10, 110, end_value=0.2, exponent=2.0)
    # Half-way through the decay the cosine factor is 1/2, squared 1/4.
    np.testing.assert_allclose(values(s, [60]), [0.2 + 1.8 * 0.25], rtol=1e-6)


def test_warmup_linear_decay_matches_hugging_face_linear():
    s = lrjax.warmup_linear_decay(1.0, warmup_steps=2, total_steps=6)
    np.testing.assert_array_equal(values(s, range(8)), [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0])


def test_warmup_polynomial_decay_power():
    s = lrjax.warmup_polynomial_decay(1.0, 4, 14, power=0.5, end_value=0.1)
    np.testing.assert_allclose(values(s, [9]), [0.1 + 0.9 * 0.5**0.5], rtol=1e-6)


def test_warmup_constant_with_zero_warmup_starts_at_the_peak():
    # optax's warmup_constant_schedule(0, 1, 0) returns 0.0 forever (docs/peers.md, Zero
    # warmup and degenerate lengths).
    s = lrjax.warmup_constant(1.0, warmup_steps=0)
    np.testing.assert_array_equal(values(s, [0, 1, 10**6]), [1, 1, 1])


def test_warmup_exponential_decay_matches_optax_verified_sequence():
    s = lrjax.warmup_exponential_decay(1.0, 5, decay_rate=0.5, transition_steps=10)
    np.testing.assert_allclose(values(s, [5, 6, 15, 25]), [1, 0.9330, 0.5, 0.25], atol=5e-5)


def test_warmup_stable_decay_matches_hugging_face_wsd_sequence():
    # HF get_wsd_schedule(W=2, S=2, D=2, decay_type="1-sqrt", min_lr_ratio=.1), docs/peers.md,
    # Hugging Face.
    s = lrjax.warmup_stable_decay(1.0, 2, 2, 2, init_value=0.1, end_value=0.1, decay_shape="1-sqrt")
    np.testing.assert_allclose(
        values(s, range(8)), [0.1, 0.55, 1, 1, 1, 0.1 + 0.9 * (1 - 0.5**0.5), 0.1, 0.1], atol=1e-6
    )


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt", "square", "exponential"])
def test_warmup_and_decay_of_one_shape_are_mirror_images(shape):
    s = lrjax.warmup_stable_decay(
        2.0, 40, 3, 40, init_value=0.1, end_value=0.1, decay_shape=shape, warmup_shape=shape
    )
    k = np.arange(41)
    warm = values(s, 40 - k)  # distance k from the peak, on the warmup side
    cool = values(s, 43 + k)  # distance k from the peak, on the decay side
    np.testing.assert_allclose(warm, cool, rtol=2e-6)


def test_warmup_stable_decay_with_a_schedule_as_decay():
    tail = lrjax.linear(1.0, 0.0, 100)  # longer than the decay phase: held at its value at D
    s = lrjax.warmup_stable_decay(1.0, 2, 3, 10, decay_shape=tail)
    np.testing.assert_allclose(
        values(s, [4, 5, 6, 14, 15, 16, 1000]), [1, 1, 0.99, 0.91, 0.9, 0.9, 0.9], rtol=1e-6
    )
    assert "decay_shape=linear(init_value=1.0" in repr(s)


def test_one_cycle_matches_optax_cosine_onecycle_where_peaks_agree():
    # optax cosine_onecycle_schedule(100, 1.0): int(0.3 * 100) = 30 = round(0.3 * 100).
    s = lrjax.one_cycle(1.0, total_steps=100)
    got = values(s, [0, 15, 29, 30, 65, 99, 100, 200])
    expected = [0.04, 0.52, 0.99737, 1.0, 0.5, 5.07e-4, 4e-6, 4e-6]
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-7)


def test_one_cycle_peak_step_rounds_and_is_traceable():
    assert one_cycle_peak_step(10, 0.25) == 2  # half to even, like Python's round
    assert one_cycle_peak_step(10, 0.35) == 4  # 3.5 -> 4 (float32 3.5000002)
    assert one_cycle_peak_step(100, 0.29) == 29  # int(0.29 * 100) is 28
    s = lrjax.one_cycle(1.0, 100, pct_start=0.29)
    assert float(s(29)) == 1.0
    # pct_start traced: one compiled function serves every value.
    peak_at = jax.jit(lambda p, t: lrjax.one_cycle(1.0, 100, pct_start=p)(t))
    assert float(peak_at(0.29, 29)) == 1.0
    assert float(peak_at(0.6, 60)) == 1.0
    assert float(peak_at(0.6, 59)) < 1.0


def test_one_cycle_three_phase_returns_to_the_initial_value():
    s = lrjax.one_cycle(1.0, 100, pct_start=0.25, three_phase=True, anneal="linear")
    got = values(s, [0, 25, 50, 75, 100])
    np.testing.assert_allclose(got, [0.04, 1.0, 0.04, 0.02 + 2e-6, 4e-6], rtol=1e-5)


def test_sgdr_restarts_and_decays_the_amplitude():
    s = lrjax.sgdr(1.0, period=10, value_mul=0.5, warmup_steps=2, init_value=0.2)
    got = values(s, [0, 1, 2, 7, 9, 10, 11, 12, 20, 22])
    expected = ref_sgdr(
        np.array([0, 1, 2, 7, 9, 10, 11, 12, 20, 22]), 1.0, 10, 1.0, 0.5, 0.0, 2, 0.2
    )
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7)
    assert got[2] == 1.0 and got[7] == 0.5 and got[9] == 0.25


def test_sgdr_geometric_periods_restart_at_the_right_steps():
    s = lrjax.sgdr(1.0, period=4, period_mul=2.0)
    restarts = [0, 4, 12, 28, 60]
    np.testing.assert_array_equal(values(s, restarts), [1.0] * 5)
    assert np.all(values(s, [r - 1 for r in restarts[1:]]) < 0.2)


def test_cyclic_triangular2_halves_each_cycle():
    s = lrjax.cyclic(0.1, 1.0, step_size_up=2, mode="triangular2")
    np.testing.assert_allclose(
        values(s, range(13)),
        [0.1, 0.55, 1, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125, 0.325, 0.2125, 0.1],
        rtol=1e-6,
    )


def test_cyclic_exp_range_scales_by_gamma_to_the_absolute_step():
    s = lrjax.cyclic(0.0, 1.0, step_size_up=5, mode="exp_range", gamma=0.9)
    np.testing.assert_allclose(values(s, [5, 15]), [0.9**5, 0.9**15], rtol=1e-5)


def test_tanh_decay_is_timms_curve_rescaled_to_exact_endpoints():
    t = np.arange(101)
    r = t / 100
    timm = 0.5 * (1 - np.tanh(-7 * (1 - r) + 3 * r))
    rescaled = (timm - timm[-1]) / (timm[0] - timm[-1])
    np.testing.assert_allclose(values(lrjax.tanh_decay(1.0, 100), t), rescaled, atol=1e-6)
    assert np.max(np.abs(rescaled - timm)) < 2.5e-3  # the documented bound


def test_step_and_multistep_decay_drop_at_the_boundary():
    s = lrjax.step_decay(1.0, step_size=10, gamma=0.1)
    np.testing.assert_allclose(values(s, [9, 10, 19, 20]), [1, 0.1, 0.1, 0.01], rtol=1e-6)
    m = lrjax.multistep_decay(2.0, [3, 3, 8], gamma=0.5)  # a repeated milestone compounds
    np.testing.assert_allclose(values(m, [2, 3, 7, 8, 100]), [2, 0.5, 0.5, 0.25, 0.25])


def test_noam_first_update_is_the_papers_step_one():
    s = lrjax.noam(d_model=512, warmup_steps=4000)
    paper = lambda n: 512**-0.5 * min(n**-0.5, n * 4000**-1.5)  # noqa: E731
    got = values(s, [0, 1, 3998, 3999, 4000, 10**6])
    np.testing.assert_allclose(
        got, [paper(n + 1) for n in [0, 1, 3998, 3999, 4000, 10**6]], rtol=2e-6
    )
    assert np.argmax(values(s, range(3990, 4010))) == 9  # the peak is at t = W - 1


def test_inverse_sqrt_matches_hugging_face():
    s = lrjax.inverse_sqrt(1.0, warmup_steps=100)
    np.testing.assert_allclose(
        values(s, [0, 50, 100, 400, 10**4]), [0, 0.5, 1, 0.5, 0.1], rtol=1e-6
    )
    no_warmup = lrjax.inverse_sqrt(1.0, warmup_steps=0)  # HF: timescale 10_000
    np.testing.assert_allclose(values(no_warmup, [0, 30000]), [1.0, 0.5], rtol=1e-6)


# -- boundaries, b-1 / b / b+1 ---------------------------------------------------------


BOUNDARY_CASES = [
    (
        lrjax.warmup_cosine_decay(3e-4, 1000, 51000, init_value=1e-6, end_value=3e-6),
        lambda t: ref_warmup_cosine_decay(t, 3e-4, 1000, 51000, 1e-6, 3e-6),
        [1000, 51000],
    ),
    (
        lrjax.warmup_linear_decay(1.0, 17, 1017, end_value=0.5),
        lambda t: ref_warmup_linear_decay(t, 1.0, 17, 1017, 0.0, 0.5),
        [17, 1017],
    ),
    (
        lrjax.warmup_polynomial_decay(1.0, 3, 2**24 + 1, power=2.0),
        lambda t: ref_warmup_polynomial_decay(t, 1.0, 3, 2**24 + 1, 2.0),
        [3, 2**24, 2**24 + 1],
    ),
    (
        lrjax.warmup_stable_decay(
            1.0, 100, 2**24 - 100, 2**20, end_value=0.01, decay_shape="cosine"
        ),
        lambda t: ref_warmup_stable_decay(t, 1.0, 100, 2**24 - 100, 2**20, 0.0, 0.01, "cosine"),
        [100, 2**24, 2**24 + 2**20],
    ),
    (
        lrjax.one_cycle(1.0, 10**6, pct_start=0.25, three_phase=True),
        lambda t: ref_one_cycle(t, 1.0, 10**6, 0.25, three_phase=True),
        [250000, 500000, 10**6],
    ),
    (
        lrjax.sgdr(1.0, 1000, warmup_steps=100, end_value=0.1),
        lambda t: ref_sgdr(t, 1.0, 1000, end_value=0.1, warmup_steps=100),
        [100, 1000, 1100, 2000],
    ),
    (
        lrjax.cyclic(0.1, 1.0, 300, 700),
        lambda t: ref_cyclic(t, 0.1, 1.0, 300, 700),
        [300, 1000, 1300, 2000],
    ),
    (
        lrjax.tanh_decay(1.0, 5000, end_value=0.1),
        lambda t: ref_tanh_decay(t, 1.0, 5000, 0.1),
        [5000],
    ),
    (lrjax.noam(256, 300), lambda t: ref_noam(t, 256, 300), [299]),
    (
        lrjax.inverse_sqrt(1.0, 300, timescale=50.0),
        lambda t: ref_inverse_sqrt(t, 1.0, 300, 50.0),
        [300],
    ),
]


@pytest.mark.parametrize("index", range(len(BOUNDARY_CASES)))
def test_values_around_each_boundary(index):
    schedule, reference, boundaries = BOUNDARY_CASES[index]
    steps = np.array([b + d for b in boundaries for d in (-1, 0, 1)], np.int64)
    got = values(schedule, steps)
    expected = reference(steps)
    assert_close_to_reference(got, expected, rtol=4e-6, scale=float(np.max(np.abs(expected))))


# -- degenerate but valid configurations -----------------------------------------------


DEGENERATE = {
    "wcd_no_warmup": lrjax.warmup_cosine_decay(1.0, 0, 5, end_value=0.1),
    "wcd_total_is_warmup_plus_one": lrjax.warmup_cosine_decay(
        1.0, 4, 5, init_value=0.2, end_value=0.1
    ),
    "wcd_total_is_warmup": lrjax.warmup_cosine_decay(1.0, 4, 4, end_value=0.1),
    "wcd_all_zero": lrjax.warmup_cosine_decay(1.0, 0, 0, end_value=0.1),
    "wld_one_step": lrjax.warmup_linear_decay(1.0, 0, 1),
    "wpd_total_is_warmup": lrjax.warmup_polynomial_decay(1.0, 3, 3, power=0.5),
    "wsd_all_zero": lrjax.warmup_stable_decay(1.0, 0, 0, 0, end_value=0.1),
    "wsd_one_step_each": lrjax.warmup_stable_decay(
        1.0, 1, 1, 1, 0.1, 0.1, "exponential", "exponential"
    ),
    "one_cycle_2": lrjax.one_cycle(1.0, 2),
    "one_cycle_3": lrjax.one_cycle(1.0, 3, pct_start=0.99),
    "one_cycle_4_three_phase": lrjax.one_cycle(1.0, 4, three_phase=True),
    "one_cycle_3_three_phase": lrjax.one_cycle(1.0, 3, pct_start=0.01, three_phase=True),
    "sgdr_period_1": lrjax.sgdr(1.0, 1, value_mul=0.5),
    "sgdr_warmup_is_period": lrjax.sgdr(1.0, 3, warmup_steps=3, end_value=0.1),
    "cyclic_1_1": lrjax.cyclic(0.0, 1.0, 1, 1, mode="triangular2"),
    "cyclic_flat": lrjax.cyclic(0.5, 0.5, 3, mode="exp_range", gamma=0.5),
    "tanh_zero_steps": lrjax.tanh_decay(1.0, 0, end_value=0.1),
    "tanh_one_step": lrjax.tanh_decay(1.0, 1, lb=-20.0, ub=20.0),
    "multistep_empty": lrjax.multistep_decay(1.0, []),
    "multistep_at_zero": lrjax.multistep_decay(1.0, [0, 0], gamma=0.5),
    "noam_warmup_1": lrjax.noam(1.0, 1),
    "inverse_sqrt_tiny_timescale": lrjax.inverse_sqrt(1.0, 0, timescale=1e-3),
}


STEPS_12 = np.concatenate([np.arange(12), [100, 2**24 + 1, MAX_STEP]]).astype(np.int32)


def test_degenerate_configs_are_finite():
    for name, s in DEGENERATE.items():
        got = values(s, STEPS_12)
        assert np.all(np.isfinite(got)), (name, got)


GRADIENT_CHECKED = [
    "wcd_total_is_warmup_plus_one",
    "wsd_all_zero",
    "one_cycle_2",
    "one_cycle_3_three_phase",
    "sgdr_warmup_is_period",
    "tanh_one_step",
    "noam_warmup_1",
]


@pytest.mark.parametrize("name", GRADIENT_CHECKED)
def test_degenerate_configs_have_finite_gradients(name):
    s = DEGENERATE[name]
    steps = STEPS_12
    leaves, treedef = jax.tree_util.tree_flatten(s)
    floats = [i for i, x in enumerate(leaves) if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating)]

    def total(float_leaves):
        full = list(leaves)
        for i, x in zip(floats, float_leaves, strict=True):
            full[i] = x
        return jnp.sum(jax.tree_util.tree_unflatten(treedef, full)(jnp.asarray(steps)))

    grads = jax.jit(jax.grad(total))([jnp.asarray(leaves[i]) for i in floats])
    assert all(np.all(np.isfinite(np.asarray(g))) for g in grads), grads


def test_degenerate_endpoints():
    np.testing.assert_array_equal(values(DEGENERATE["wcd_no_warmup"], [0, 5]), [1.0, F32(0.1)])
    np.testing.assert_array_equal(
        values(DEGENERATE["wcd_total_is_warmup_plus_one"], [0, 4, 5]), [F32(0.2), 1.0, F32(0.1)]
    )
    # total == warmup: the end value wins at W (no decay phase), held after.
    np.testing.assert_array_equal(
        values(DEGENERATE["wcd_total_is_warmup"], [3, 4, 9]), [0.75, F32(0.1), F32(0.1)]
    )
    np.testing.assert_array_equal(values(DEGENERATE["wsd_all_zero"], [0, 1]), [F32(0.1)] * 2)
    low, high = F32(1) / F32(25), F32(1)
    final = low / F32(1e4)
    np.testing.assert_array_max_ulp(
        values(DEGENERATE["one_cycle_2"], [0, 1, 2, 3]).astype(F32), [low, high, final, final]
    )
    np.testing.assert_array_max_ulp(
        values(DEGENERATE["one_cycle_3"], [1, 2, 3]).astype(F32), [F32(0.52), high, final]
    )
    for name in ["one_cycle_3_three_phase", "one_cycle_4_three_phase"]:
        got = values(DEGENERATE[name], [0, 1, 2, 4]).astype(F32)
        np.testing.assert_array_max_ulp(got, [low, high, low, final])
    np.testing.assert_array_equal(values(DEGENERATE["sgdr_period_1"], [0, 1, 2]), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(
        values(DEGENERATE["cyclic_1_1"], [0, 1, 2, 3, 4]), [0, 1, 0, 0.5, 0]
    )
    np.testing.assert_array_equal(values(DEGENERATE["tanh_zero_steps"], [0, 1]), [F32(0.1)] * 2)
    np.testing.assert_array_equal(values(DEGENERATE["tanh_one_step"], [0, 1]), [1.0, 0.0])
    np.testing.assert_array_equal(values(DEGENERATE["multistep_at_zero"], [0, 5]), [0.25, 0.25])
    np.testing.assert_allclose(values(DEGENERATE["noam_warmup_1"], [0, 3]), [1.0, 0.5])


# -- exact endpoints, bit for bit in float32 -------------------------------------------


def _random_levels(rng, n):
    return [float(F32(x)) for x in rng.uniform(0.0, 1.0, n) * 10.0 ** rng.integers(-6, 1, n)]


@pytest.mark.parametrize("seed", range(2))
def test_exact_endpoints(seed):
    rng = np.random.default_rng(seed)
    for _ in range(4):
        peak, init, end = sorted(_random_levels(rng, 3), reverse=True)
        w, s, d = (int(x) for x in rng.integers(1, 10**6, 3))
        checks = [
            (lrjax.warmup_cosine_decay(peak, w, w + d, init, end), {0: init, w: peak, w + d: end}),
            (lrjax.warmup_linear_decay(peak, w, w + d, init, end), {0: init, w: peak, w + d: end}),
            (
                lrjax.warmup_polynomial_decay(peak, w, w + d, 2.5, init, end),
                {0: init, w: peak, w + d: end},
            ),
            (lrjax.warmup_constant(peak, w, init), {0: init, w: peak}),
            (
                lrjax.warmup_exponential_decay(
                    peak, w, decay_rate=0.5, transition_steps=d, init_value=init, end_value=end
                ),
                {0: init, w: peak},
            ),
            (
                lrjax.sgdr(peak, w + d, warmup_steps=w, init_value=init, end_value=end),
                {0: init, w: peak, w + d: init},
            ),
            (lrjax.cyclic(init, peak, w, d), {0: init, w: peak, w + d: init}),
            (lrjax.tanh_decay(peak, d, end_value=end), {0: peak, d: end}),
            (lrjax.step_decay(peak, d, 0.3), {0: peak}),
            (lrjax.multistep_decay(peak, [d], 0.3), {0: peak}),
            (lrjax.inverse_sqrt(peak, w, init_value=init), {0: init, w: peak}),
        ]
        for shape in ["linear", "cosine", "1-sqrt", "square", "exponential"]:
            wsd = lrjax.warmup_stable_decay(peak, w, s, d, init, end, shape, shape)
            checks.append((wsd, {0: init, w: peak, w + s: peak, w + s + d: end}))
        for three in [False, True]:
            oc = lrjax.one_cycle(peak, 2 * (w + d), 0.3, peak / init, 7.0, three_phase=three)
            k = int(oc.peak_step())
            initial = F32(peak) / oc.div_factor  # torch's order: peak / div, then / final_div
            checks.append((oc, {0: initial, k: peak}))
            # The final value is derived (peak / div / final_div): XLA may turn the last
            # division into a reciprocal multiply, so it is exact to 1 ulp, and then held.
            ends = values(oc, [2 * (w + d), 2 * (w + d) + 9, MAX_STEP]).astype(np.float32)
            np.testing.assert_array_max_ulp(ends, np.full(3, initial / F32(7.0)), maxulp=1)
            assert ends[0] == ends[1] == ends[2]
        for schedule, points in checks:
            steps = list(points)
            got = values(schedule, steps).astype(np.float32)
            expected = np.asarray([F32(points[t]) for t in steps], np.float32)
            np.testing.assert_array_equal(got, expected, err_msg=repr(schedule))


# -- monotone phases of long schedules -------------------------------------------------


LONG = 2**31 - 1
LONG_PHASES = {
    # name: (schedule, [(start, direction)]), direction +1 non-decreasing, -1 non-increasing
    "warmup_cosine_decay": (
        lrjax.warmup_cosine_decay(1.0, 2**30, LONG, 1e-3, 1e-4),
        [(2**30 - 4096, 1), (2**30, -1), (LONG - 4096, -1), (2**30 + 2**29, -1)],
    ),
    "warmup_linear_decay": (
        lrjax.warmup_linear_decay(1.0, 2**29, LONG),
        [(2**29 - 4096, 1), (LONG - 4096, -1)],
    ),
    "warmup_polynomial_decay": (
        lrjax.warmup_polynomial_decay(1.0, 7, LONG, power=3.0),
        [(LONG - 4096, -1)],
    ),
    "warmup_exponential_decay": (
        lrjax.warmup_exponential_decay(
            1.0, 2**30, decay_rate=0.5, transition_steps=2**27, init_value=0.0
        ),
        [(2**30 - 4096, 1), (LONG - 4096, -1)],
    ),
    **{
        f"wsd_{shape}": (
            lrjax.warmup_stable_decay(
                1.0, 2**30, 2**28, LONG - 2**30 - 2**28, 1e-3, 1e-3, shape, shape
            ),
            [(2**30 - 4096, 1), (2**30 + 2**28, -1), (LONG - 4096, -1), (2**30 + 2**29, -1)],
        )
        for shape in ["linear", "cosine", "1-sqrt", "square", "exponential"]
    },
    "one_cycle": (
        lrjax.one_cycle(1.0, LONG, pct_start=0.4),
        [(858993459 - 4096, 1), (LONG - 4096, -1)],
    ),
    "one_cycle_three_phase": (
        lrjax.one_cycle(1.0, LONG, pct_start=0.3, three_phase=True, anneal="linear"),
        [(1288490188 - 4096, -1), (LONG - 4096, -1)],
    ),
    "sgdr": (lrjax.sgdr(1.0, LONG - 1, warmup_steps=2**30), [(2**30 - 4096, 1), (LONG - 4097, -1)]),
    "cyclic": (lrjax.cyclic(0.0, 1.0, 2**30, 2**30 - 1), [(2**30 - 4096, 1), (LONG - 4096, -1)]),
    "tanh_decay": (
        lrjax.tanh_decay(1.0, LONG),
        [(0, -1), (LONG // 3, -1), (int(LONG * 0.7), -1), (LONG - 4096, -1)],
    ),
    "noam": (lrjax.noam(512.0, 2**30), [(2**30 - 4096, 1), (LONG - 4096, -1)]),
    "inverse_sqrt": (lrjax.inverse_sqrt(1.0, 2**30), [(2**30 - 4096, 1), (LONG - 4096, -1)]),
}


@pytest.mark.parametrize("name", sorted(LONG_PHASES))
def test_long_schedules_stay_monotone_over_4096_steps(name):
    schedule, windows = LONG_PHASES[name]
    starts = np.array([s for s, _ in windows], np.int64)
    steps = starts[:, None] + np.arange(4096)[None, :]
    got = np.asarray(schedule(steps.astype(np.int32)))
    for row, (_, direction) in zip(got, windows, strict=True):
        diffs = np.diff(row) * direction
        assert np.all(diffs >= 0), (name, int(np.argmin(diffs)), diffs.min())
        assert np.all(np.isfinite(row))


# -- validation ------------------------------------------------------------------------


INVALID = [
    (
        lrjax.warmup_cosine_decay,
        dict(peak_value=1.0, warmup_steps=20, total_steps=10),
        "warmup_cosine_decay(warmup_steps=20, total_steps=10): total_steps must be >= warmup_steps",
    ),
    (
        lrjax.warmup_cosine_decay,
        dict(peak_value=-1.0, warmup_steps=2, total_steps=10),
        "warmup_cosine_decay(peak_value=-1.0): peak_value must be >= 0",
    ),
    (
        lrjax.warmup_cosine_decay,
        dict(peak_value=1.0, warmup_steps=2.5, total_steps=10),
        "warmup_cosine_decay(warmup_steps=2.5): warmup_steps must be a whole number",
    ),
    (
        lrjax.warmup_cosine_decay,
        dict(peak_value=1.0, warmup_steps=2, total_steps=10, exponent=0.0),
        "warmup_cosine_decay(exponent=0.0): exponent must be > 0",
    ),
    (
        lrjax.warmup_linear_decay,
        dict(peak_value=1.0, warmup_steps=5, total_steps=4),
        "warmup_linear_decay(warmup_steps=5, total_steps=4): total_steps must be >= warmup_steps",
    ),
    (
        lrjax.warmup_polynomial_decay,
        dict(peak_value=1.0, warmup_steps=1, total_steps=4, power=-1.0),
        "warmup_polynomial_decay(power=-1.0): power must be > 0",
    ),
    (
        lrjax.warmup_constant,
        dict(peak_value=float("nan"), warmup_steps=1),
        "warmup_constant(peak_value=nan): peak_value must be finite",
    ),
    (
        lrjax.warmup_exponential_decay,
        dict(peak_value=1.0, warmup_steps=1, decay_rate=0.0, transition_steps=4),
        "warmup_exponential_decay(decay_rate=0.0): decay_rate must be > 0",
    ),
    (
        lrjax.warmup_exponential_decay,
        dict(peak_value=1.0, warmup_steps=1, decay_rate=0.5, transition_steps=4, end_value=2.0),
        "warmup_exponential_decay(peak_value=1.0, decay_rate=0.5, end_value=2.0): "
        "end_value is a floor",
    ),
    (
        lrjax.warmup_exponential_decay,
        dict(peak_value=1.0, warmup_steps=1, decay_rate=0.5, transition_steps=0),
        "warmup_exponential_decay(transition_steps=0): transition_steps must be >= 1",
    ),
    (
        lrjax.warmup_stable_decay,
        dict(peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, decay_shape="sqrt"),
        "warmup_stable_decay(decay_shape='sqrt'): decay_shape must be one of 'linear', "
        "'cosine', '1-sqrt', 'square', 'exponential'",
    ),
    (
        # "schedule" is how a stored schedule-valued decay_shape is recorded, not a shape.
        lrjax.warmup_stable_decay,
        dict(peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, decay_shape="schedule"),
        "warmup_stable_decay(decay_shape='schedule'): decay_shape must be one of 'linear', ",
    ),
    (
        lrjax.warmup_stable_decay,
        dict(peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, warmup_shape="cos"),
        "warmup_stable_decay(warmup_shape='cos'): warmup_shape must be one of",
    ),
    (
        lrjax.warmup_stable_decay,
        dict(
            peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, decay_shape="exponential"
        ),
        'warmup_stable_decay(end_value=0.0): end_value must be > 0 for decay_shape="exponential"',
    ),
    (
        lrjax.warmup_stable_decay,
        dict(
            peak_value=1.0,
            warmup_steps=1,
            stable_steps=1,
            decay_steps=1,
            end_value=0.1,
            warmup_shape="exponential",
        ),
        "warmup_stable_decay(init_value=0.0): init_value must be > 0 for "
        'warmup_shape="exponential"',
    ),
    (
        lrjax.warmup_stable_decay,
        dict(peak_value=1.0, warmup_steps=1, stable_steps=-1, decay_steps=1),
        "warmup_stable_decay(stable_steps=-1): stable_steps must be >= 0",
    ),
    (
        lrjax.warmup_stable_decay,
        dict(
            peak_value=1.0,
            warmup_steps=1,
            stable_steps=1,
            decay_steps=0,
            decay_shape=lrjax.linear(1.0, 0.0, 5),
        ),
        "warmup_stable_decay(decay_steps=0): decay_steps must be >= 1",
    ),
    (
        lrjax.warmup_stable_decay,
        dict(
            peak_value=1.0,
            warmup_steps=1,
            stable_steps=1,
            decay_steps=3,
            end_value=0.1,
            decay_shape=lrjax.linear(1.0, 0.0, 5),
        ),
        "warmup_stable_decay(end_value=0.1): end_value is unused when decay_shape is a schedule",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=100, pct_start=1.0),
        "one_cycle(pct_start=1.0): pct_start must be in (0, 1.0)",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=100, pct_start=0.0),
        "one_cycle(pct_start=0.0): pct_start must be in (0, 1.0)",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=100, pct_start=0.5, three_phase=True),
        "one_cycle(pct_start=0.5): pct_start must be in (0, 0.5)",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=1),
        "one_cycle(total_steps=1): total_steps must be >= 2",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=2, three_phase=True),
        "one_cycle(total_steps=2): total_steps must be >= 3",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=10, div_factor=0.0),
        "one_cycle(div_factor=0.0): div_factor must be > 0",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=10, anneal="cos"),
        "one_cycle(anneal='cos'): anneal must be one of 'cosine', 'linear'",
    ),
    (
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=10, three_phase=1),
        "one_cycle(three_phase=1): three_phase must be True or False",
    ),
    (
        lrjax.sgdr,
        dict(peak_value=1.0, period=10, warmup_steps=11),
        "sgdr(warmup_steps=11, period=10): period must be >= warmup_steps",
    ),
    (lrjax.sgdr, dict(peak_value=1.0, period=0), "sgdr(period=0): period must be >= 1"),
    (
        lrjax.sgdr,
        dict(peak_value=1.0, period=10, period_mul=0.5),
        "sgdr(period_mul=0.5): period_mul must be >= 1.0",
    ),
    (
        lrjax.sgdr,
        dict(peak_value=1.0, period=10, num_cycles=0),
        "sgdr(num_cycles=0): num_cycles must be >= 1",
    ),
    (
        lrjax.cyclic,
        dict(base_value=1.0, max_value=0.5, step_size_up=3),
        "cyclic(base_value=1.0, max_value=0.5): max_value must be >= base_value",
    ),
    (
        lrjax.cyclic,
        dict(base_value=0.1, max_value=0.5, step_size_up=3, mode="exp"),
        "cyclic(mode='exp'): mode must be one of 'triangular', 'triangular2', 'exp_range'",
    ),
    (
        lrjax.cyclic,
        dict(base_value=0.1, max_value=0.5, step_size_up=3, gamma=1.5),
        "cyclic(gamma=1.5): gamma must be in (0, 1]",
    ),
    (
        lrjax.cyclic,
        dict(base_value=0.1, max_value=0.5, step_size_up=0),
        "cyclic(step_size_up=0): step_size_up must be >= 1",
    ),
    (
        lrjax.cyclic,
        dict(base_value=0.1, max_value=0.5, step_size_up=True),
        "cyclic(step_size_up=True): step_size_up must be a real number",
    ),
    (
        lrjax.tanh_decay,
        dict(init_value=1.0, decay_steps=10, lb=3.0, ub=3.0),
        "tanh_decay(lb=3.0, ub=3.0): ub must be > lb",
    ),
    (
        lrjax.tanh_decay,
        dict(init_value=1.0, decay_steps=10, lb=-30.0),
        "tanh_decay(lb=-30.0): lb must be in [-20.0, 20.0]",
    ),
    (
        lrjax.step_decay,
        dict(init_value=1.0, step_size=0),
        "step_decay(step_size=0): step_size must be >= 1",
    ),
    (
        lrjax.step_decay,
        dict(init_value=1.0, step_size=3, gamma=2.0),
        "step_decay(gamma=2.0): gamma must be in (0, 1]",
    ),
    (
        lrjax.multistep_decay,
        dict(init_value=1.0, milestones=[5, 3]),
        "multistep_decay(milestones=[5 3]): milestones must be non-decreasing",
    ),
    (
        lrjax.multistep_decay,
        dict(init_value=1.0, milestones=[-1, 3]),
        "multistep_decay(milestones=[-1  3]): milestones must be >= 0",
    ),
    (lrjax.noam, dict(d_model=0.0, warmup_steps=10), "noam(d_model=0.0): d_model must be > 0"),
    (
        lrjax.noam,
        dict(d_model=512, warmup_steps=0),
        "noam(warmup_steps=0): warmup_steps must be >= 1",
    ),
    (
        lrjax.inverse_sqrt,
        dict(peak_value=1.0, warmup_steps=10, timescale=0.0),
        "inverse_sqrt(timescale=0.0): timescale must be > 0",
    ),
    (
        lrjax.inverse_sqrt,
        dict(peak_value=1.0, warmup_steps=2**31),
        "inverse_sqrt(warmup_steps=2147483648): warmup_steps must be <= 2147483647",
    ),
]


@pytest.mark.parametrize("index", range(len(INVALID)), ids=lambda i: INVALID[i][0].__name__)
def test_bad_arguments_raise_naming_the_function_and_argument(index):
    factory, kwargs, message = INVALID[index]
    with pytest.raises((ValueError, TypeError, OverflowError), match=re.escape(message)):
        factory(**kwargs)


def test_wsd_decay_shape_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=re.escape("warmup_stable_decay(decay_shape=3)")):
        lrjax.warmup_stable_decay(1.0, 1, 1, 1, decay_shape=3)  # type: ignore[arg-type]


def test_shape_options_are_ramp_shapes_of_the_kernel():
    from lrjax.core.kernel import SHAPES
    from lrjax.presets.recipes import ANNEAL_SHAPES
    from lrjax.schedules.shaped import DECAY_SHAPES

    assert ANNEAL_SHAPES == ("cosine", "linear")
    assert DECAY_SHAPES == ("linear", "cosine", "1-sqrt", "square", "exponential")
    assert set(ANNEAL_SHAPES) <= set(DECAY_SHAPES) <= set(SHAPES)


def test_validation_is_skipped_for_traced_arguments():
    # Built inside jit with traced counts: no concrete check, no error, a finite value.
    f = jax.jit(lambda w, t: lrjax.warmup_cosine_decay(1.0, w, t)(5))
    assert np.isfinite(float(f(3, 10)))


# -- repr, config and phases -----------------------------------------------------------


def test_repr_reads_like_the_call():
    assert repr(lrjax.one_cycle(1e-3, 1000)) == (
        "one_cycle(peak_value=0.001, total_steps=1000, pct_start=0.3, div_factor=25.0, "
        "final_div_factor=10000.0, anneal='cosine', three_phase=False)"
    )
    assert repr(lrjax.cyclic(0.1, 1.0, 5)) == (
        "cyclic(base_value=0.1, max_value=1.0, step_size_up=5, step_size_down=None, "
        "mode='triangular', gamma=1.0)"
    )
    s = lrjax.warmup_stable_decay(1.0, 1, 2, 3, decay_shape="1-sqrt")
    assert repr(s).endswith("decay_shape='1-sqrt', warmup_shape='linear')")
    assert eval(repr(s), {"warmup_stable_decay": lrjax.warmup_stable_decay}) == s


def test_config_round_trip_of_a_schedule_valued_decay_shape():
    s = lrjax.warmup_stable_decay(1.0, 1, 2, 3, decay_shape=lrjax.cosine_decay(1.0, 3))
    config = lrjax.to_config(s)
    assert config["config"]["decay_shape"]["class_name"] == "CosineDecay"
    assert lrjax.from_config(config) == s


def test_phase_boundaries():
    assert lrjax.warmup_stable_decay(1.0, 10, 20, 30).phase_boundaries() == (10, 30, 60)
    assert lrjax.warmup_cosine_decay(1.0, 10, 100).phase_boundaries() == (10, 100)
    assert lrjax.one_cycle(1.0, 100, three_phase=True).phase_boundaries() == (30, 60, 100)
    assert lrjax.sgdr(1.0, 10, num_cycles=3).phase_boundaries(100) == (10, 20, 30)


# -- property tests: random valid configs x integer steps ------------------------------


STEPS = st.lists(st.integers(-(2**31), 2**31 - 1), min_size=16, max_size=16)
LEVEL = st.floats(0.0, 10.0)
POSITIVE = st.floats(1e-6, 10.0)
COUNT = st.integers(0, 2**31 - 1)
SMALL = st.integers(0, 1000)


def _mixed_count():
    return st.one_of(SMALL, COUNT)


@st.composite
def preset_configs(draw):
    """A random valid preset and the bounds [lo, hi] all its values must lie in."""
    kind = draw(
        st.sampled_from(
            [
                "wcd",
                "wld",
                "wpd",
                "wc",
                "wed",
                "wsd",
                "oc",
                "sgdr",
                "cyclic",
                "tanh",
                "step",
                "multistep",
                "noam",
                "isqrt",
            ]
        )
    )
    peak, init, end = draw(LEVEL), draw(LEVEL), draw(LEVEL)
    w = draw(_mixed_count())
    if kind in ("wcd", "wld", "wpd"):
        total = draw(st.integers(w, 2**31 - 1))
        if kind == "wcd":
            s = lrjax.warmup_cosine_decay(peak, w, total, init, end, draw(st.floats(0.1, 5.0)))
        elif kind == "wld":
            s = lrjax.warmup_linear_decay(peak, w, total, init, end)
        else:
            s = lrjax.warmup_polynomial_decay(peak, w, total, draw(st.floats(0.1, 5.0)), init, end)
        return s, min(peak, init, end), max(peak, init, end)
    if kind == "wc":
        return lrjax.warmup_constant(peak, w, init), min(peak, init), max(peak, init)
    if kind == "wed":
        rate = draw(st.floats(1e-3, 1.0))
        floor = draw(st.one_of(st.none(), st.floats(0.0, float(peak))))
        s = lrjax.warmup_exponential_decay(
            peak,
            w,
            decay_rate=rate,
            transition_steps=draw(st.integers(1, 2**31 - 1)),
            init_value=init,
            staircase=draw(st.booleans()),
            end_value=floor,
        )
        return s, 0.0, max(peak, init)
    if kind == "wsd":
        decay_shape, warmup_shape = draw(
            st.sampled_from([("linear", "cosine"), ("1-sqrt", "square"), ("exponential",) * 2])
        )
        if decay_shape == "exponential":
            peak, end = draw(POSITIVE), draw(POSITIVE)
        if warmup_shape == "exponential":
            peak, init = (peak if peak > 0 else draw(POSITIVE)), draw(POSITIVE)
        s = lrjax.warmup_stable_decay(
            peak,
            w,
            draw(_mixed_count()),
            draw(_mixed_count()),
            init,
            end,
            decay_shape,
            warmup_shape,
        )
        return s, min(peak, init, end), max(peak, init, end)
    if kind == "oc":
        three = draw(st.booleans())
        total = draw(st.one_of(st.integers(2 + three, 6), st.integers(2 + three, 2**31 - 1)))
        pct = draw(st.floats(1e-3, 0.499 if three else 0.999))
        div, final = draw(st.floats(0.5, 1e3)), draw(st.floats(0.5, 1e5))
        s = lrjax.one_cycle(
            peak, total, pct, div, final, draw(st.sampled_from(["cosine", "linear"])), three
        )
        levels = [peak, peak / div, peak / div / final]
        return s, min(levels) * (1 - 1e-6), max(levels) * (1 + 1e-6)
    if kind == "sgdr":
        period = draw(st.integers(1, 2**31 - 1))
        mul = draw(st.floats(1.0, 3.0))
        s = lrjax.sgdr(
            peak,
            period,
            mul,
            draw(st.floats(0.1, 1.0)),
            end,
            draw(st.integers(0, period)),
            init,
            draw(st.one_of(st.none(), st.integers(1, 50))),
        )
        return s, 0.0, max(peak, init, end)
    if kind == "cyclic":
        lo, hi = sorted([peak, init])
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        # A cycle is at most 2**31 - 1 steps (a longer one is refused at construction).
        down = draw(st.one_of(st.none(), st.integers(1, 2**30)))
        up = draw(st.integers(1, 2**30 - 1 if down is None else 2**31 - 1 - down))
        s = lrjax.cyclic(lo, hi, up, down, mode, draw(st.floats(1e-3, 1.0)))
        return s, lo, hi
    if kind == "tanh":
        lb = draw(st.floats(-20.0, 19.0))
        ub = draw(st.floats(lb + 1e-2, 20.0))
        return (
            lrjax.tanh_decay(peak, w, end_value=end, lb=lb, ub=ub),
            min(peak, end),
            max(peak, end),
        )
    if kind == "step":
        return lrjax.step_decay(peak, max(w, 1), draw(st.floats(1e-3, 1.0))), 0.0, peak
    if kind == "multistep":
        milestones = sorted(draw(st.lists(COUNT, min_size=3, max_size=3)))
        return lrjax.multistep_decay(peak, milestones, draw(st.floats(1e-3, 1.0))), 0.0, peak
    if kind == "noam":
        d = draw(st.floats(1.0, 1e5))
        scale = draw(POSITIVE)
        s = lrjax.noam(d, max(w, 1), scale)
        return s, 0.0, scale * d**-0.5 * max(w, 1) ** -0.5 * (1 + 1e-5)
    timescale = draw(st.one_of(st.none(), st.floats(1e-3, 1e9)))
    return lrjax.inverse_sqrt(peak, w, timescale, init), 0.0, max(peak, init)


@settings(max_examples=100, deadline=None)
@given(config=preset_configs(), steps=STEPS)
def test_random_valid_configs_are_finite_and_within_their_levels(config, steps):
    schedule, lo, hi = config
    got = np.asarray(schedule(np.asarray(steps, np.int64)), np.float64)
    assert np.all(np.isfinite(got)), (schedule, steps, got)
    tol = 2e-6 * max(abs(hi), 1e-30)
    assert np.all(got >= lo - tol) and np.all(got <= hi + tol), (schedule, steps, got, lo, hi)


def test_phase_boundaries_past_the_largest_step_never_wrap():
    big = 2**30
    # warmup + stable = 2**31: the decay never starts (it used to start at step 0).
    s = lrjax.warmup_stable_decay(1.0, big, big, big)
    got = lrjax.evaluate(s, np.array([0, big // 2, big, 2**31 - 1]))
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0, 1.0])
    # A cycle longer than the largest step is refused, naming the arguments.
    with pytest.raises(ValueError, match=r"cyclic\(step_size_up=1073741824\): a cycle"):
        lrjax.cyclic(0.1, 1.0, big)
    with pytest.raises(ValueError, match="step_size_down=1073741824"):
        lrjax.cyclic(0.1, 1.0, big, big)
    edge = lrjax.cyclic(0.1, 1.0, big - 1, big)  # exactly 2**31 - 1 steps
    np.testing.assert_allclose(
        lrjax.evaluate(edge, np.array([0, big - 1, 2**31 - 1])), [0.1, 1.0, 0.1], rtol=1e-6
    )
    import lrjax.compat.torch as lrt

    for build in (
        lambda: lrt.cyclic_lr(0.1, 1.0, big),
        lambda: lrt.cyclic_momentum(step_size_up=big),
        lambda: lrt.cosine_annealing_lr(0.1, big, periodic=True),
    ):
        with pytest.raises(ValueError, match="must be <= 2147483647, the largest step"):
            build()
