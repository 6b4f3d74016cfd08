"""``lrjax.evaluate`` and ``lrjax.envelope``: bitwise agreement, chunking, batching, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import CORE_CASES, all_cases
from helpers import x64

import lrjax
from lrjax.core.schedule import ODD_SPLIT_MIN
from lrjax.tools import evaluate as _evaluate

CHUNK = 64  # a small chunk makes every test cross chunk boundaries


def _per_step(schedule, steps) -> np.ndarray:
    return np.asarray(schedule(jnp.asarray(steps)))


@pytest.mark.parametrize("case", CORE_CASES, ids=lambda c: c.name)
def test_evaluate_count_equals_schedule_bitwise(case):
    s = case.build()
    n = 5 * CHUNK + 17
    got = lrjax.evaluate(s, n, chunk_size=CHUNK)
    want = _per_step(s, np.arange(n))
    assert got.dtype == np.float32 and got.shape == (n,)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", CORE_CASES, ids=lambda c: c.name)
def test_evaluate_equals_schedule_bitwise_at_odd_lengths(case):
    # Odd lengths from ODD_SPLIT_MIN on run as an even head and a one-step tail, in the
    # direct call and in evaluate's last chunk alike.
    s = case.build()
    n = 3 * ODD_SPLIT_MIN + 1
    for chunk in (None, ODD_SPLIT_MIN):
        np.testing.assert_array_equal(
            lrjax.evaluate(s, n, chunk_size=chunk), _per_step(s, np.arange(n))
        )


# One case per family beyond the core: presets and compat schedules (their own suites run
# everything else); each family's first case.
_OTHER = list({c.factory: c for c in reversed(all_cases()[len(CORE_CASES) :])}.values())


@pytest.mark.parametrize("case", _OTHER[:6], ids=lambda c: c.name)
def test_evaluate_presets_and_compat_bitwise(case):
    s = case.build()
    n = 3 * CHUNK + 5
    np.testing.assert_array_equal(
        lrjax.evaluate(s, n, chunk_size=CHUNK), _per_step(s, np.arange(n))
    )


@pytest.mark.parametrize("name", ["warmup_cosine", "piecewise_linear_many"])
def test_evaluate_random_subsets_and_shapes(name):
    case = next(c for c in CORE_CASES if c.name == name)
    s = case.build()
    rng = np.random.default_rng(0)
    full = lrjax.evaluate(s, 1000, chunk_size=CHUNK)
    steps = rng.integers(-50, 1000, size=(7, 41))  # shuffled, repeated, negative
    got = lrjax.evaluate(s, steps, chunk_size=CHUNK)
    assert got.shape == (7, 41)
    np.testing.assert_array_equal(got, _per_step(s, steps))
    np.testing.assert_array_equal(got, full[np.maximum(steps, 0)])
    # Float steps (fractional epochs), NaN included, and a Python list.
    floats = np.concatenate([rng.uniform(-3, 900, 150), [np.nan]]).astype(np.float32)
    np.testing.assert_array_equal(lrjax.evaluate(s, floats, chunk_size=CHUNK), _per_step(s, floats))
    np.testing.assert_array_equal(lrjax.evaluate(s, [3, 1, 2], chunk_size=CHUNK), full[[3, 1, 2]])
    # Ranges, including a descending one with negative steps.
    np.testing.assert_array_equal(
        lrjax.evaluate(s, range(5, 900, 7), chunk_size=CHUNK), full[5:900:7]
    )
    down = range(700, -40, -3)
    np.testing.assert_array_equal(
        lrjax.evaluate(s, down, chunk_size=CHUNK), full[np.maximum(np.array(down), 0)]
    )
    # Scalars: a 0-d array is one step; each agrees with a scalar call within one ulp.
    for t in (0, 9, 10, 433):
        value = lrjax.evaluate(s, np.asarray(t), chunk_size=CHUNK)
        assert value.shape == ()
        np.testing.assert_array_max_ulp(value, np.asarray(s(t)), maxulp=1)


def test_evaluate_default_chunk_and_empty():
    s = lrjax.warmup(lrjax.cosine_decay(1.0, 3_000_000), 1000)
    n = 2**21 + 3  # three default chunks
    got = lrjax.evaluate(s, n)
    idx = np.random.default_rng(1).integers(0, n, 500)
    idx = np.concatenate([idx, [0, 2**20 - 1, 2**20, 2**21, n - 1]])
    np.testing.assert_array_equal(got[idx], _per_step(s, idx))
    assert lrjax.evaluate(s, 0).shape == (0,)
    assert lrjax.evaluate(s, np.zeros((0, 3), np.int32)).shape == (0, 3)


def test_evaluate_near_int32_max():
    s = lrjax.cosine_decay(1.0, 2**31 - 1)
    top = 2**31 - 1
    steps = range(top - 100, top + 1)
    np.testing.assert_array_equal(
        lrjax.evaluate(s, steps, chunk_size=CHUNK), _per_step(s, np.arange(top - 100, top + 1))
    )
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        lrjax.evaluate(s, range(top - 1, top + 2))
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        lrjax.evaluate(s, 2**31 + 1)


def test_one_compile_per_structure():
    a = lrjax.warmup(lrjax.cosine_decay(1.0, 500), 50)
    b = lrjax.warmup(lrjax.cosine_decay(3.0, 70_000), 7)
    before = getattr(_evaluate._unit, "_cache_size")()
    lrjax.evaluate(a, 1000, chunk_size=128)
    after_first = getattr(_evaluate._unit, "_cache_size")()
    lrjax.evaluate(b, 123_456, chunk_size=128)
    lrjax.evaluate(a, 7, chunk_size=128)
    assert after_first == before + 1
    assert getattr(_evaluate._unit, "_cache_size")() == after_first


def test_batched_equals_loop():
    members = [
        lrjax.warmup(lrjax.cosine_decay(p, d), w)
        for p, d, w in [(1.0, 90, 10), (2.0, 40, 0), (0.5, 300, 77)]
    ]
    stacked = lrjax.stack(members)
    got = lrjax.evaluate(stacked, 400, chunk_size=CHUNK)
    assert got.shape == (3, 400)
    # Bit for bit what jax.vmap over the stacked schedule gives ...
    np.testing.assert_array_equal(got, jax.vmap(lambda s: s(jnp.arange(400)))(stacked))
    # ... and within a few ulp of each member alone: XLA rewrites a division by a scalar
    # hyperparameter into a reciprocal multiply, but not by a batched one (docs/contract.md,
    # Dtypes).
    for i, m in enumerate(members):
        np.testing.assert_array_max_ulp(got[i], lrjax.evaluate(m, 400), maxulp=4)
    sw = lrjax.sweep(
        lambda peak, total: lrjax.warmup_cosine_decay(peak, 10, total),
        peak=[1e-3, 2e-3],
        total=[50, 100, 400],
    )
    steps = np.array([[0, 5], [60, 399]])
    got = lrjax.evaluate(sw, steps, chunk_size=CHUNK)
    assert got.shape == (2, 3, 2, 2)
    vmapped = jax.vmap(jax.vmap(lambda s: s(jnp.asarray(steps))))(sw.schedule)
    np.testing.assert_array_equal(got, vmapped)
    for i, peak in enumerate([1e-3, 2e-3]):
        for j, total in enumerate([50, 100, 400]):
            want = _per_step(lrjax.warmup_cosine_decay(peak, 10, total), steps)
            np.testing.assert_array_max_ulp(got[i, j], want, maxulp=4)


def test_batched_inferred_shapes():
    pw = lrjax.stack([lrjax.piecewise_constant([10, 20], [1.0, 0.5, 0.1])] * 2)
    assert _evaluate.batch_shape(pw) == (2,)
    assert _evaluate.batch_shape(lrjax.piecewise_constant([10, 20], [1.0, 0.5, 0.1])) == ()
    # Built under vmap: leaves with two leading axes.
    grid = jax.vmap(jax.vmap(lambda p, d: lrjax.cosine_decay(p, d), (None, 0)), (0, None))(
        jnp.array([1.0, 2.0]), jnp.array([10, 20, 30])
    )
    assert _evaluate.batch_shape(grid) == (2, 3)
    got = lrjax.evaluate(grid, 31)
    np.testing.assert_array_max_ulp(got[1, 2], lrjax.evaluate(lrjax.cosine_decay(2.0, 30), 31), 4)


def test_plain_callables_and_numbers():
    got = lrjax.evaluate(lambda t: 1.0 / (1.0 + t.astype(jnp.float32)), 200, chunk_size=CHUNK)
    np.testing.assert_allclose(got, 1.0 / (1.0 + np.arange(200)), rtol=1e-6)
    np.testing.assert_array_equal(lrjax.evaluate(0.25, 3), np.full(3, 0.25, np.float32))


def test_x64_gives_float64():
    with x64():
        s = lrjax.cosine_decay(1.0, 2**40)
        got = lrjax.evaluate(s, range(2**40 - 5, 2**40 + 1))
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, _per_step(s, np.arange(2**40 - 5, 2**40 + 1)))


@pytest.mark.parametrize(
    "steps, error",
    [
        (True, TypeError),
        ("100", TypeError),
        (None, TypeError),
        (-1, ValueError),
        (10.5, ValueError),
        (float("inf"), ValueError),
        (np.array(["a"]), TypeError),
        (np.array([1 + 2j]), TypeError),
    ],
)
def test_evaluate_bad_steps(steps, error):
    with pytest.raises(error):
        lrjax.evaluate(lrjax.constant(1.0), steps)


def test_evaluate_bad_inputs():
    with pytest.raises(TypeError, match="schedule"):
        lrjax.evaluate("cosine", 10)
    with pytest.raises(ValueError, match="chunk_size"):
        lrjax.evaluate(lrjax.constant(1.0), 10, chunk_size=0)
    with pytest.raises(TypeError, match="traced"):
        jax.jit(lambda t: lrjax.evaluate(lrjax.constant(1.0), t))(jnp.arange(3))
    with pytest.raises(TypeError, match="traced"):
        jax.jit(lambda p: lrjax.evaluate(lrjax.constant(p), 3))(1.0)
    assert lrjax.evaluate(1e-3, 2.0e0).shape == (2,)  # an integral float count


def _brute_envelope(values: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    n = values.shape[-1]
    edges = np.arange(0, n, width)
    return np.minimum.reduceat(values, edges, axis=-1), np.maximum.reduceat(values, edges, axis=-1)


@pytest.mark.parametrize(
    "n, bins",
    [(1, 5), (7, 3), (1000, 7), (1000, 2000), (5000, 19), (40_000, 13), (65_536, 256)],
)
def test_envelope_equals_brute_force(n, bins):
    s = lrjax.cycle(lrjax.warmup(lrjax.cosine_decay(1.0, 600), 100), period=777) + 0.01
    env = lrjax.envelope(s, n, bins, chunk_size=1024)
    # Every value (evaluate equals s(arange) bit for bit, tested above; one compile for all n).
    values = lrjax.evaluate(s, n, chunk_size=1024)
    width = int(env.steps[1] - env.steps[0]) if len(env.steps) > 1 else n
    assert len(env.steps) <= bins and env.steps[0] == 0 and env.num_steps == n
    assert width >= -(-n // bins)
    np.testing.assert_array_equal(env.steps, np.arange(0, n, width))
    lo, hi = _brute_envelope(values, width)
    np.testing.assert_array_equal(env.min, lo)
    np.testing.assert_array_equal(env.max, hi)


def test_envelope_batched_equals_loop():
    sw = lrjax.sweep(
        lambda period: lrjax.cycle(lrjax.linear(1.0, 0.0, period), period=period),
        period=[10, 333, 5000],
    )
    env = lrjax.envelope(sw, 30_000, 40, chunk_size=4096)
    assert env.min.shape == env.max.shape == (3, len(env.steps))
    values = lrjax.evaluate(sw, 30_000)
    lo, hi = _brute_envelope(values, int(env.steps[1]))
    np.testing.assert_array_equal(env.min, lo)
    np.testing.assert_array_equal(env.max, hi)
    for i in range(3):
        one = lrjax.envelope(sw.member(i), 30_000, 40)
        np.testing.assert_array_equal(one.steps, env.steps)
        np.testing.assert_array_max_ulp(env.min[i], one.min, 4)
        np.testing.assert_array_max_ulp(env.max[i], one.max, 4)


def test_envelope_errors():
    with pytest.raises(ValueError, match="num_steps"):
        lrjax.envelope(lrjax.constant(1.0), 0)
    with pytest.raises(ValueError, match="num_bins"):
        lrjax.envelope(lrjax.constant(1.0), 10, num_bins=0)
    with pytest.raises(TypeError, match="num_bins"):
        lrjax.envelope(lrjax.constant(1.0), 10, num_bins="many")  # type: ignore[arg-type]
