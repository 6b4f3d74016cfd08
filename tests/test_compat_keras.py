"""``lrjax.compat.keras`` against the real Keras 3.15 (``KERAS_BACKEND=jax``), step by step.

Parity: seeded random valid configurations of every schedule (degenerate lengths
included), steps ``0 .. end + 20``, against ``keras.optimizers.schedules.<Class>``
evaluated by ``peers.keras_curve`` (int32 steps, jit + vmap, as inside a Keras train step).
Keras computes in float32 after casting the step to float32, so the tolerance is float32
rounding: ``|diff| <= 1e-5 |ref| + 3e-7 * peak``. Two Keras float32 artifacts are
documented deviations, checked here to be exactly that and nothing else (see
``KERAS_FLOAT32_ARTIFACTS``). A copy shifted by one step must miss by far more, and a real
``keras.optimizers.SGD`` confirms that update ``t`` uses ``s(t)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from peers import import_keras, keras_curve, keras_optimizer_curve

import lrjax
from lrjax.compat import keras as lrk

RTOL, ATOL = 1e-5, 3e-7
_NOT_A_NAME: Any = 3
GRID = jnp.arange(400, dtype=jnp.int32)

KERAS_FLOAT32_ARTIFACTS = {
    "PolynomialDecay": "cycle=True at t = kD: under jit XLA turns t / D into t * (1 / D), so "
    "Keras's float32 ceil(t / D) can give k + 1 and the value jumps to the next cycle one "
    "step early; lrjax's integer arithmetic gives end_learning_rate there, as Keras's formula",
}


def _rng(name: str, i: int) -> np.random.Generator:
    return np.random.default_rng([i, *name.encode()])


def _value(rng) -> float:
    return float(np.round(rng.uniform(0.05, 3.0), 4))


def _steps(rng, low: int = 1, high: int = 40) -> int:
    return int(rng.choice([low, low + 1])) if rng.random() < 0.35 else int(rng.integers(low, high))


def _cfg_exponential(rng):
    return dict(
        initial_learning_rate=_value(rng),
        decay_steps=_steps(rng),
        decay_rate=float(rng.choice([0.3, 0.9, 1.0, 1.5])),
        staircase=bool(rng.random() < 0.5),
    ), 60


def _cfg_piecewise(rng):
    k = int(rng.integers(1, 5))  # Keras raises IndexError at call time with no boundary
    bounds = sorted(int(b) for b in rng.choice(np.arange(0, 40), size=k, replace=False))
    return dict(boundaries=bounds, values=[_value(rng) for _ in range(k + 1)]), 41


def _cfg_polynomial(rng):
    d = _steps(rng)
    cycle = bool(rng.random() < 0.5)
    return dict(
        initial_learning_rate=_value(rng),
        decay_steps=d,
        end_learning_rate=float(rng.choice([0.0, 1e-4, 0.05])),
        power=float(rng.choice([0.5, 1.0, 2.0, 2.5])),
        cycle=cycle,
    ), (4 * d if cycle else d)


def _cfg_inverse_time(rng):
    return dict(
        initial_learning_rate=_value(rng),
        decay_steps=_steps(rng),
        decay_rate=float(rng.choice([0.0, 0.5, 2.0])),
        staircase=bool(rng.random() < 0.5),
    ), 60


def _cfg_cosine(rng):
    d = _steps(rng)
    kwargs = dict(
        initial_learning_rate=_value(rng), decay_steps=d, alpha=float(rng.choice([0.0, 0.1, 0.5]))
    )
    if rng.random() < 0.6:
        w = int(rng.choice([0, 1, int(rng.integers(2, 20))]))
        kwargs.update(warmup_target=_value(rng), warmup_steps=w)
        return kwargs, d + w
    return kwargs, d


def _cfg_restarts(rng):
    d = _steps(rng, 1, 15)
    return dict(
        initial_learning_rate=_value(rng),
        first_decay_steps=d,
        t_mul=float(rng.choice([1.0, 1.5, 2.0, 3.0])),
        m_mul=float(rng.choice([1.0, 0.7])),
        alpha=float(rng.choice([0.0, 0.1])),
    ), 20 * d


CONFIGS: dict[str, Callable[[np.random.Generator], tuple[dict[str, Any], int]]] = {
    "ExponentialDecay": _cfg_exponential,
    "PiecewiseConstantDecay": _cfg_piecewise,
    "PolynomialDecay": _cfg_polynomial,
    "InverseTimeDecay": _cfg_inverse_time,
    "CosineDecay": _cfg_cosine,
    "CosineDecayRestarts": _cfg_restarts,
}
NUM_CONFIGS = 6


def _compare(name: str, kwargs: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    n = min(n, GRID.shape[0])
    ref = keras_curve(name, n, **kwargs)
    got = np.asarray(getattr(lrk, name)(**kwargs)(GRID), np.float64)[:n]
    return ref, got


def _mismatch(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    scale = float(np.max(np.abs(ref))) or 1.0
    return ~(np.abs(ref - got) <= RTOL * np.abs(ref) + ATOL * scale)


def _artifact_steps(name: str, kwargs: dict[str, Any], ref: np.ndarray, n: int) -> np.ndarray:
    """Steps where Keras's float32 artifact (KERAS_FLOAT32_ARTIFACTS) may show."""
    t = np.arange(n)
    if name == "PolynomialDecay" and kwargs["cycle"]:
        return (t > 0) & (t % kwargs["decay_steps"] == 0)
    return np.zeros(n, bool)


def _check_artifact(name: str, kwargs: dict[str, Any], ref: np.ndarray, t: np.ndarray) -> None:
    """At an artifact step Keras shows exactly what its float32 slip predicts."""
    if t.size == 0:
        return
    assert name == "PolynomialDecay"
    i, e, d, p = (
        kwargs[k] for k in ("initial_learning_rate", "end_learning_rate", "decay_steps", "power")
    )
    slipped = e + (i - e) * (1 - t / (d * (t // d + 1))) ** p
    np.testing.assert_allclose(ref, slipped, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_parity_over_random_configurations(name):
    for i in range(NUM_CONFIGS):
        kwargs, end = CONFIGS[name](_rng(name, i))
        ref, got = _compare(name, kwargs, end + 21)
        if name == "PolynomialDecay":
            # Keras bug under jit: t / D becomes t * (1 / D), so 1 - p < 0 after the end and
            # a fractional power gives NaN; lrjax gives end_learning_rate there.
            nan = np.isnan(ref)
            assert np.all(got[nan] == np.float32(kwargs["end_learning_rate"]))
            ref, got = np.where(nan, got, ref), got
        assert np.isfinite(ref).all(), (name, kwargs)
        bad = _mismatch(ref, got)
        artifact = _artifact_steps(name, kwargs, ref, len(ref))
        assert not (bad & ~artifact).any(), (
            f"{name}({kwargs}) steps {np.flatnonzero(bad & ~artifact)[:5]}: "
            f"{got[bad & ~artifact][:5]} vs {ref[bad & ~artifact][:5]}"
        )
        _check_artifact(name, kwargs, ref[bad], np.flatnonzero(bad))


def test_keras_float32_artifact_exists_and_lrjax_follows_the_formula():
    """The documented deviation, shown on a configuration where Keras slips."""
    ref, got = _compare(
        "PolynomialDecay",
        dict(
            initial_learning_rate=1.0, decay_steps=13, end_learning_rate=0.1, power=2.5, cycle=True
        ),
        100,
    )
    assert got[91] == np.float32(0.1) and abs(ref[91] - 0.1) > 1e-3


def test_restarts_are_exact_at_integer_cycle_starts():
    """t_mul = 3: cycles start at 13, 40, 121, 364 (float32 estimates can land above them)."""
    kwargs = dict(initial_learning_rate=1.0, first_decay_steps=1, t_mul=3.0, alpha=0.1)
    ref, got = _compare("CosineDecayRestarts", kwargs, 400)
    assert not _mismatch(ref, got).any()
    np.testing.assert_array_equal(got[[0, 1, 4, 13, 40, 121, 364]], 1.0)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_an_off_by_one_error_would_be_caught(name):
    rng = _rng(name, 1000)
    while True:
        kwargs, end = CONFIGS[name](rng)
        ref, _ = _compare(name, kwargs, end + 21)
        if np.ptp(ref) > 0.05 * np.max(np.abs(ref)):
            break
    values = np.asarray(getattr(lrk, name)(**kwargs)(GRID), np.float64)
    n, scale = len(ref), float(np.max(np.abs(ref)))
    for shifted in (values[1 : n + 1], np.concatenate([values[:1], values[: n - 1]])):
        assert np.max(np.abs(shifted - ref)) > 100 * (ATOL + RTOL) * scale, name


def test_keras_optimizer_update_t_uses_schedule_at_t():
    import lrjax.keras

    import_keras()
    s = lrk.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.25])
    used = keras_optimizer_curve(lrjax.keras.LearningRateSchedule(s), 8)
    np.testing.assert_array_equal(used, np.asarray(s(jnp.arange(8)), np.float64))
    keras = import_keras()
    native = keras.optimizers.schedules.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(keras_optimizer_curve(native, 8), used)


def test_piecewise_drops_one_step_after_the_boundary_unlike_optax():
    from lrjax.compat import optax as lro

    k = lrk.PiecewiseConstantDecay([10, 20], [1.0, 0.1, 0.01])(jnp.arange(30))
    o = lro.piecewise_constant_schedule(1.0, {11: 0.1, 21: 0.1})(jnp.arange(30))
    np.testing.assert_allclose(np.asarray(k), np.asarray(o), rtol=1e-6)
    assert float(k[10]) == 1.0 and float(k[11]) == np.float32(0.1)


def test_negative_steps_clamp_where_keras_extrapolates():
    with jax.numpy_dtype_promotion("standard"):
        keras = import_keras()
        ref = float(keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5)(-10))
    assert ref == pytest.approx(2.0)
    assert float(lrk.ExponentialDecay(1.0, 10, 0.5)(-10)) == 1.0


def test_piecewise_without_boundaries_is_constant_where_keras_raises():
    keras = import_keras()
    with pytest.raises(IndexError):
        keras.optimizers.schedules.PiecewiseConstantDecay([], [0.5])(3)
    assert float(lrk.PiecewiseConstantDecay([], [0.5])(3)) == 0.5


def test_name_is_accepted_and_ignored():
    a = lrk.CosineDecay(1.0, 10, name="mine")
    assert a == lrk.CosineDecay(1.0, 10)
    assert "name" not in lrjax.to_config(a)["config"]


def test_polynomial_cycle_float_steps_and_infinity():
    s = lrk.PolynomialDecay(1.0, 10, 0.1, cycle=True)
    np.testing.assert_allclose(float(s(15.0)), float(s(15)), rtol=1e-6)
    assert float(s(float("inf"))) == np.float32(0.1)
    expected = 0.1 + 0.9 * (1 - 15.5 / 20)
    assert float(s(15.5)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: lrk.ExponentialDecay(1.0, 0, 0.5), r"ExponentialDecay\(decay_steps=0\)"),
        (lambda: lrk.ExponentialDecay(1.0, 10, 0.0), "decay_rate must be > 0"),
        (lambda: lrk.InverseTimeDecay(1.0, 10, -1.0), "decay_rate must be >= 0"),
        (lambda: lrk.PolynomialDecay(1.0, 10, power=-1.0), "power must be > 0"),
        (lambda: lrk.PiecewiseConstantDecay([5], [1.0]), r"len\(values\) must be"),
        (lambda: lrk.PiecewiseConstantDecay([-1], [1.0, 2.0]), "must be >= 0"),
        (lambda: lrk.CosineDecay(1.0, 10, warmup_target=2.0, warmup_steps=-1), "warmup_steps"),
        (lambda: lrk.CosineDecayRestarts(1.0, 10, t_mul=0.5), "t_mul must be >= 1.0"),
        (lambda: lrk.CosineDecayRestarts(1.0, 10, m_mul=0.0), "m_mul must be > 0"),
        (lambda: lrk.CosineDecay(1.0, 10.5), "whole number"),
        (lambda: lrk.CosineDecay(1.0, 10, name=_NOT_A_NAME), "name must be a string"),
    ],
)
def test_bad_arguments_raise_naming_the_class_and_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_cosine_with_warmup_equals_optax_warmup_cosine():
    """docs/peers.md: Keras's decay_steps excludes the warmup, optax's includes it."""
    from lrjax.compat import optax as lro

    k = lrk.CosineDecay(0.0, 30, warmup_target=1.0, warmup_steps=10)(GRID[:60])
    o = lro.warmup_cosine_decay_schedule(0.0, 1.0, 10, 40)(GRID[:60])
    np.testing.assert_allclose(np.asarray(k), np.asarray(o), rtol=1e-6, atol=1e-7)
    assert math.isclose(float(k[25]), 0.5, rel_tol=1e-6)
