"""Joins, warmups, cycles, arithmetic and time combinators (catalogue rows C).

docs/contract.md, Boundaries and Combinators.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import ref_cosine_decay, ref_linear

import lrjax
from lrjax.schedules.piecewise import WHERE_CHAIN_MAX


def test_join_boundaries_are_half_open_with_local_steps():
    s = lrjax.join_schedules(
        [lrjax.linear(0.0, 1.0, 10), lrjax.linear(5.0, 3.0, 4), lrjax.constant(0.25)], [10, 20]
    )
    for b, before, at, after in [(10, 0.9, 5.0, 4.5), (20, 3.0, 0.25, 0.25)]:
        np.testing.assert_allclose(
            np.asarray(s(jnp.array([b - 1, b, b + 1]))), [before, at, after], rtol=1e-6
        )
        # Float steps follow the same boundaries.
        np.testing.assert_allclose(
            np.asarray(s(np.array([b - 0.5, float(b), b + 1.0], np.float32))),
            [float(s(b - 1)) if b == 20 else 0.95, at, after],
            rtol=1e-6,
        )


def test_zero_length_first_piece_is_skipped():
    s = lrjax.join_schedules([lrjax.constant(9.0), lrjax.linear(1.0, 0.0, 10)], [0])
    assert float(s(0)) == 1.0 and float(s(5)) == 0.5
    p = lrjax.piecewise_constant([0, 5], [9.0, 1.0, 0.5])
    np.testing.assert_array_equal(np.asarray(p(jnp.array([0, 4, 5]))), [1.0, 1.0, 0.5])


def test_boundary_above_float32_integers_keeps_the_left_piece():
    b = 2**24 + 1
    s = lrjax.join_schedules([lrjax.constant(1.0), lrjax.constant(2.0)], [b])
    assert float(s(2**24)) == 1.0 and float(s(b)) == 2.0
    assert float(s(np.float32(2**24))) == 1.0  # float32(2**24 + 1) would round down to 2**24
    p = lrjax.piecewise_constant([b], [1.0, 2.0])
    assert float(p(2**24)) == 1.0 and float(p(b)) == 2.0


def test_join_of_different_families_with_equal_field_counts():
    # Linear and CosineDecay both have four leaves; their treedefs can compare equal in
    # jax 0.10, but they must never be stacked together.
    pieces = [
        lrjax.linear(1.0, 0.5, 10),
        lrjax.cosine_decay(0.5, 10),
        lrjax.linear(0.3, 0.1, 10),
        lrjax.cosine_decay(0.2, 10, end_value=0.05),
    ]
    s = lrjax.join_schedules(pieces, [10, 20, 30])
    assert len(s.groups) == 2
    t = np.arange(60)
    expected = np.concatenate(
        [
            ref_linear(t[:10], 1.0, 0.5, 10),
            ref_cosine_decay(t[10:20] - 10, 0.5, 10),
            ref_linear(t[20:30] - 20, 0.3, 0.1, 10),
            ref_cosine_decay(t[30:] - 30, 0.2, 10, 0.05),
        ]
    )
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=2e-6, atol=1e-7)
    assert s.schedules == tuple(pieces)


def test_join_stacks_same_structure_children():
    pieces = [lrjax.cosine_decay(1.0 / (i + 1), 10) for i in range(50)]
    s = lrjax.join_schedules(pieces, list(range(10, 500, 10)))
    assert len(s.groups) == 1 and s.stacked == (True,)
    t = np.arange(0, 520)
    expected = ref_cosine_decay(
        t - np.minimum(t // 10, 49) * 10, 1.0 / (np.minimum(t // 10, 49) + 1), 10
    )
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=2e-6, atol=1e-7)


def test_join_graph_does_not_grow_with_the_number_of_pieces():
    def ops(k):
        s = lrjax.join_schedules([lrjax.cosine_decay(1.0, 10)] * k, list(range(10, 10 * k, 10)))
        text = jax.jit(lambda sched, t: sched(t)).lower(s, jnp.arange(8)).as_text()
        return sum(1 for line in text.splitlines() if "=" in line)

    # Up to WHERE_CHAIN_MAX pieces the search and the lookups are unrolled selects (they
    # fuse into one loop); beyond, one search loop and gathers whatever the count.
    small = WHERE_CHAIN_MAX
    assert ops(small + 2) == ops(500)
    assert ops(small) - ops(2) <= 35 * (small - 2)  # a few selects per piece, no more


def test_piecewise_graph_does_not_grow_with_the_number_of_boundaries():
    def ops(k):
        s = lrjax.piecewise_constant(list(range(1, k + 1)), [1.0] * (k + 1))
        text = jax.jit(lambda sched, t: sched(t)).lower(s, jnp.arange(1000)).as_text()
        return sum(1 for line in text.splitlines() if "=" in line)

    assert ops(100) == ops(10_000)


def test_join_accepts_plain_callables_and_numbers():
    s = lrjax.join_schedules([lambda t: jnp.full(np.shape(t), 0.5, jnp.float32), 0.25], [3])
    np.testing.assert_array_equal(np.asarray(s(jnp.arange(5))), [0.5, 0.5, 0.5, 0.25, 0.25])


def test_gradients_through_joins_with_children_singular_at_negative_steps():
    def singular(t):  # NaN for t < -1, infinite at t == -1
        return 1.0 / jnp.sqrt(t.astype(jnp.float32) + 1.0)

    def loss(peak):
        s = lrjax.join_schedules(
            [
                lrjax.linear(0.0, peak, 10),
                lrjax.FunctionSchedule(singular),
                lrjax.rsqrt_decay(peak, 5.0),
            ],
            [10, 20],
        )
        return jnp.sum(s(jnp.arange(0, 40)))

    grad = jax.jit(jax.grad(loss))(1.0)
    assert np.isfinite(float(grad))


def test_warmup_hand_off_is_continuous_and_exact():
    decay = lrjax.cosine_decay(0.7, 100, end_value=0.01)
    for shape in ["linear", "cosine", "1-sqrt", "square", "constant", "exponential"]:
        s = lrjax.warmup(decay, 20, init_value=0.01, shape=shape)
        values = np.asarray(s(jnp.arange(0, 21)))
        assert values[0] == np.float32(0.01)
        assert values[20] == np.float32(0.7), shape
        if shape != "constant":
            assert np.all(np.diff(values) >= 0), shape  # no overshoot, no drop
        else:
            assert np.all(values[:20] == np.float32(0.01))


def test_warmup_shapes_are_the_mirror_of_the_decay_shapes():
    steps = np.arange(20)
    d = (20 - steps) / 20  # distance from the peak, reached at step 20
    expected = {
        "linear": 1 - d,
        "cosine": (1 + np.cos(np.pi * d)) / 2,
        "1-sqrt": 1 - np.sqrt(d),
        "square": (1 - d) ** 2,
    }
    for shape, multiplier in expected.items():
        s = lrjax.warmup(lrjax.constant(1.0), 20, shape=shape)
        np.testing.assert_allclose(np.asarray(s(steps)), multiplier, rtol=1e-6, atol=1e-7)


def test_warmup_of_zero_steps_is_the_schedule_bit_for_bit():
    inner = lrjax.warmup(lrjax.cosine_decay(1.0, 1000, end_value=0.1), 7)
    s = lrjax.warmup(inner, 0, init_value=0.3)
    t = jnp.concatenate([jnp.arange(2000), jnp.array([2**31 - 1])])
    np.testing.assert_array_equal(np.asarray(s(t)), np.asarray(inner(t)))


def _hand_piecewise(t, pieces):
    """A hand-written reference: [(start, end, f(local))] over absolute steps."""
    out = np.full(np.shape(t), np.nan)
    for start, end, f in pieces:
        mask = (t >= start) & (t < end)
        out[mask] = f(t[mask] - start)
    return out


def test_nested_join_of_warmup_cosine_then_constant():
    s = lrjax.join_schedules(
        [lrjax.warmup(lrjax.cosine_decay(1.0, 40, end_value=0.1), 10), lrjax.constant(0.05)], [50]
    )
    t = np.arange(0, 200)
    expected = _hand_piecewise(
        t,
        [
            (0, 10, lambda u: u / 10),
            (10, 50, lambda u: ref_cosine_decay(u, 1.0, 40, 0.1)),
            (50, 10**9, lambda u: np.full(u.shape, 0.05)),
        ],
    )
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=2e-6, atol=1e-7)


def test_cycle_of_a_join_over_three_periods():
    inner = lrjax.join_schedules([lrjax.linear(0.0, 1.0, 5), lrjax.cosine_decay(1.0, 15)], [5])
    s = lrjax.cycle(inner, 20, value_mul=0.5)
    t = np.arange(0, 60)
    one = lambda u: np.where(u < 5, u / 5, ref_cosine_decay(np.maximum(u - 5, 0), 1.0, 15))  # noqa: E731
    expected = _hand_piecewise(
        t, [(20 * k, 20 * k + 20, lambda u, k=k: 0.5**k * one(u)) for k in range(3)]
    )
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=2e-6, atol=1e-7)


def test_cycle_with_geometric_periods_matches_sgdr():
    base = lrjax.cosine_decay(1.0, 10, end_value=0.1)
    s = lrjax.cycle(base, 10, period_mul=2.0, value_mul=0.5)
    t = np.arange(0, 150)
    # Cycles: [0, 10), [10, 30), [30, 70), [70, 150); the child sees local * 10 / length.
    starts, lengths = [0, 10, 30, 70], [10, 20, 40, 80]
    expected = _hand_piecewise(
        t,
        [
            (a, a + n, lambda u, n=n, k=k: 0.5**k * ref_cosine_decay(u * 10 / n, 1.0, 10, 0.1))
            for k, (a, n) in enumerate(zip(starts, lengths))
        ],
    )
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=5e-6, atol=1e-7)
    assert s.phase_boundaries(150) == (10, 30, 70, 150)


def test_cycle_with_period_mul_one_is_exact_at_huge_steps():
    s = lrjax.cycle(lrjax.linear(1.0, 0.0, 1000), 1000)
    t = np.array([10**9, 10**9 + 1, 2**31 - 1], np.int64)
    expected = ref_linear(t % 1000, 1.0, 0.0, 1000)
    np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=1e-6)


def test_cycle_geometric_has_no_overflow_at_a_billion_steps():
    s = lrjax.cycle(lrjax.cosine_decay(1.0, 100), 100, period_mul=1.5, value_mul=0.9)
    values = np.asarray(s(jnp.array([10**9, 2**31 - 1])))
    assert np.all(np.isfinite(values)) and np.all(values >= 0)


def test_cycle_holds_after_the_last_cycle():
    s = lrjax.cycle(lrjax.linear(1.0, 0.2, 10), 10, value_mul=0.5, num_cycles=3)
    final = 0.5**2 * 0.2
    np.testing.assert_allclose(
        np.asarray(s(jnp.array([29, 30, 31, 10**6]))),
        [0.25 * (0.2 + 0.8 * 0.1), final, final, final],
        rtol=1e-6,
    )


def test_shift_stretch_quantize():
    base = lrjax.linear(1.0, 0.0, 10)
    np.testing.assert_allclose(
        np.asarray(lrjax.shift(base, 4)(jnp.array([0, 4, 9, 14]))), [1.0, 1.0, 0.5, 0.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(lrjax.stretch(base, 2.5)(jnp.array([0, 5, 25, 30]))),
        [1.0, 0.8, 0.0, 0.0],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        np.asarray(lrjax.quantize(base, 3)(jnp.array([0, 2, 3, 8, 9]))),
        [1.0, 1.0, 0.7, 0.4, 0.1],
        rtol=1e-6,
    )


def test_arithmetic_is_pointwise():
    a, b = lrjax.linear(1.0, 0.0, 10), lrjax.cosine_decay(1.0, 10)
    t = jnp.arange(12)
    va, vb = np.asarray(a(t)), np.asarray(b(t))
    cases = {
        "a + b": (a + b, va + vb),
        "a - b": (a - b, va - vb),
        "a * b": (a * b, va * vb),
        "2 * a": (2 * a, 2 * va),
        "a * 2": (a * 2, 2 * va),
        "a + 1": (a + 1, va + 1),
        "1 - a": (1 - a, 1 - va),
        "-a": (-a, -va),
        "a / 4": (a / 4, va / 4),
        "min": (lrjax.minimum(a, b, 0.5), np.minimum(np.minimum(va, vb), 0.5)),
        "max": (lrjax.maximum([a, b]), np.maximum(va, vb)),
        "clip": (lrjax.clip(a, 0.2, 0.7), np.clip(va, 0.2, 0.7)),
    }
    for name, (s, expected) in cases.items():
        np.testing.assert_allclose(np.asarray(s(t)), expected, rtol=1e-6, atol=1e-7, err_msg=name)
    with pytest.raises(ValueError, match="divide"):
        _ = a / 0


def test_phase_boundaries():
    s = lrjax.join_schedules(
        [lrjax.warmup(lrjax.cosine_decay(1.0, 90), 10), lrjax.constant(0.1)], [100]
    )
    assert s.phase_boundaries() == (10, 100)
    assert lrjax.piecewise_constant([5, 9], [1.0, 0.5, 0.1]).phase_boundaries() == (5, 9)
    assert lrjax.shift(lrjax.linear(1.0, 0.0, 10), 3).phase_boundaries() == (3, 13)
    assert lrjax.cycle(lrjax.constant(1.0), 10, num_cycles=3).phase_boundaries() == (10, 20, 30)
    assert lrjax.cycle(lrjax.constant(1.0), 10).phase_boundaries(35) == (10, 20, 30)


def test_nested_warmups_trace_in_linear_size():
    # A warmup over an array of steps evaluates a small child's peak at a scalar step;
    # a chain of nested warmups must not trace each subtree again at every level.
    def equations(depth):
        s = lrjax.cosine_decay(1.0, 100)
        for _ in range(depth):
            s = lrjax.warmup(s, 3)
        return str(jax.make_jaxpr(lambda s: s(jnp.arange(64)))(s)).count("\n")

    assert equations(40) <= 2.5 * equations(20)
