"""``lrjax.compat.optax`` against the real optax 0.2.8, step by step.

Parity: seeded random valid configurations (degenerate lengths included) of every function,
steps ``0 .. end + 20``, against ``optax.<name>(**kwargs)`` evaluated by ``peers.optax_curve``.
Both compute in float32, so the tolerance is float32 rounding: ``|diff| <= 1e-5 |ref| +
3e-7 * peak``. A copy shifted by one step must miss by far more (the off-by-one check), and a
real ``inject_hyperparams(sgd)`` loop confirms that update ``t`` uses ``s(t)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from peers import optax_curve, optax_optimizer_curve

import lrjax
from lrjax.compat import optax as lro

RTOL, ATOL = 1e-5, 3e-7


def _rng(name: str, i: int) -> np.random.Generator:
    return np.random.default_rng([i, *name.encode()])


def _value(rng: np.random.Generator) -> float:
    return float(np.round(rng.uniform(0.05, 3.0), 4))


def _steps(rng: np.random.Generator, low: int = 0, high: int = 40) -> int:
    # Degenerate lengths (0, 1, 2) about a third of the time.
    return (
        int(rng.choice([low, low + 1, low + 2]))
        if rng.random() < 0.35
        else int(rng.integers(low, high))
    )


def _scales(rng: np.random.Generator, count: int) -> dict[int, float]:
    keys = rng.choice(np.arange(0, 40), size=count, replace=False)
    return {int(k): float(np.round(rng.uniform(0.0, 2.0), 3)) for k in keys}


def _cfg_constant(rng):
    return dict(value=_value(rng)), 0


def _cfg_linear(rng):
    t, b = _steps(rng, -2), int(rng.integers(-2, 10))
    return dict(
        init_value=_value(rng), end_value=_value(rng), transition_steps=t, transition_begin=b
    ), max(t, 0) + max(b, 0)


def _cfg_polynomial(rng):
    kwargs, end = _cfg_linear(rng)
    return dict(kwargs, power=float(rng.choice([0.5, 1.0, 2.0, 3.0]))), end


def _cfg_piecewise_constant(rng):
    return dict(
        init_value=_value(rng), boundaries_and_scales=_scales(rng, int(rng.integers(0, 5)))
    ), 40


def _cfg_piecewise_interpolate(rng):
    kind = str(rng.choice(["linear", "cosine"]))
    return dict(
        interpolate_type=kind,
        init_value=_value(rng),
        boundaries_and_scales=_scales(rng, int(rng.integers(0, 5))),
    ), 40


def _cfg_exponential(rng):
    rate = float(rng.choice([0.0, 0.3, 0.9, 1.0, 1.5]))
    init = _value(rng)
    end = None if rng.random() < 0.4 else float(np.round(init * rng.uniform(0.2, 3.0), 4))
    return dict(
        init_value=init,
        transition_steps=_steps(rng, -1, 15),
        decay_rate=rate,
        transition_begin=int(rng.integers(-2, 10)),
        staircase=bool(rng.random() < 0.5),
        end_value=end,
    ), 60


def _cfg_cosine(rng):
    d = _steps(rng, 1, 50)
    return dict(
        init_value=_value(rng),
        decay_steps=d,
        alpha=float(rng.choice([0.0, 0.1, 0.5])),
        exponent=float(rng.choice([1.0, 2.0, 0.5])),
    ), d


def _cfg_warmup_cosine(rng):
    w = _steps(rng, 0, 15)
    d = w + _steps(rng, 1, 40)
    return dict(
        init_value=_value(rng) * float(rng.random() < 0.7),
        peak_value=_value(rng),
        warmup_steps=w,
        decay_steps=d,
        end_value=float(rng.choice([0.0, 0.01, 0.2])),
        exponent=float(rng.choice([1.0, 2.0])),
    ), d


def _cfg_warmup_exponential(rng):
    kwargs, _ = _cfg_exponential(rng)
    kwargs["peak_value"] = kwargs.pop("init_value")
    w = _steps(rng, 0, 15)
    return dict(kwargs, init_value=_value(rng), warmup_steps=w), 60


def _cfg_warmup_constant(rng):
    w = _steps(rng, 0, 20)
    return dict(init_value=_value(rng), peak_value=_value(rng), warmup_steps=w), w


def _cfg_linear_onecycle(rng):
    t = _steps(rng, 1, 60)
    a = float(rng.choice([0.0, 0.25, 0.3, 0.35, 0.5]))
    b = float(rng.choice([0.35, 0.7, 0.85, 1.0]))
    return dict(
        transition_steps=t,
        peak_value=_value(rng),
        pct_start=a,
        pct_final=b,
        div_factor=float(rng.choice([10.0, 25.0])),
        final_div_factor=float(rng.choice([100.0, 1e4])),
    ), t


def _cfg_cosine_onecycle(rng):
    t = _steps(rng, 1, 60)
    return dict(
        transition_steps=t,
        peak_value=_value(rng),
        pct_start=float(rng.choice([0.0, 0.3, 0.35, 0.4, 1.0])),
        div_factor=float(rng.choice([10.0, 25.0])),
        final_div_factor=float(rng.choice([100.0, 1e4])),
    ), t


def _cfg_sgdr(rng):
    cycles = []
    for _ in range(int(rng.integers(1, 4))):
        kwargs, _ = _cfg_warmup_cosine(rng)
        cycles.append(kwargs)
    return dict(cosine_kwargs=cycles), sum(c["decay_steps"] for c in cycles)


CONFIGS: dict[str, Callable[[np.random.Generator], tuple[dict[str, Any], int]]] = {
    "constant_schedule": _cfg_constant,
    "linear_schedule": _cfg_linear,
    "polynomial_schedule": _cfg_polynomial,
    "piecewise_constant_schedule": _cfg_piecewise_constant,
    "piecewise_interpolate_schedule": _cfg_piecewise_interpolate,
    "exponential_decay": _cfg_exponential,
    "cosine_decay_schedule": _cfg_cosine,
    "warmup_cosine_decay_schedule": _cfg_warmup_cosine,
    "warmup_exponential_decay_schedule": _cfg_warmup_exponential,
    "warmup_constant_schedule": _cfg_warmup_constant,
    "linear_onecycle_schedule": _cfg_linear_onecycle,
    "cosine_onecycle_schedule": _cfg_cosine_onecycle,
    "sgdr_schedule": _cfg_sgdr,
}
NUM_CONFIGS = 4


# lrjax schedules are evaluated on one fixed step grid, so each structure compiles once.
GRID = jnp.arange(200, dtype=jnp.int32)


def _compare(name: str, kwargs: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    assert n <= GRID.shape[0]
    ref = optax_curve(name, n, **kwargs)
    got = np.asarray(getattr(lro, name)(**kwargs)(GRID), np.float64)[:n]
    return ref, got


def _assert_parity(ref: np.ndarray, got: np.ndarray, where: str) -> None:
    scale = float(np.max(np.abs(ref[np.isfinite(ref)]), initial=0.0)) or 1.0
    err = np.abs(ref - got)
    bad = ~(err <= RTOL * np.abs(ref) + ATOL * scale)
    assert not bad.any(), (
        f"{where}: steps {np.flatnonzero(bad)[:5]}: {got[bad][:5]} vs {ref[bad][:5]}"
    )


def test_every_optax_schedule_has_a_compat_function():
    names = [
        n
        for n in dir(optax.schedules)
        if not n.startswith("_")
        and n.endswith("schedule")
        or n in ("exponential_decay", "join_schedules")
    ]
    assert set(names) <= set(lro.__all__), set(names) - set(lro.__all__)
    # reduce_on_plateau (optax.contrib) is an adaptive schedule: tests/test_adaptive.py.
    assert set(CONFIGS) | {"join_schedules", "reduce_on_plateau"} == set(lro.__all__)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_parity_over_random_configurations(name):
    for i in range(NUM_CONFIGS):
        kwargs, end = CONFIGS[name](_rng(name, i))
        ref, got = _compare(name, kwargs, end + 21)
        finite = np.isfinite(ref)
        if name == "polynomial_schedule":
            # optax bug under jit: XLA turns count / T into count * (1 / T), so `1 - frac`
            # goes slightly negative at the end and a fractional power gives NaN there.
            assert np.all(got[~finite] == np.float32(kwargs["end_value"]))
        else:
            assert finite.all(), (name, kwargs)
        _assert_parity(ref[finite], got[finite], f"{name}({kwargs})")


@pytest.mark.parametrize("name", sorted(set(CONFIGS) - {"constant_schedule"}))
def test_an_off_by_one_error_would_be_caught(name):
    """A copy shifted by one step (either way) misses optax by far more than the tolerance."""
    rng = _rng(name, 1000)
    while True:  # a configuration that actually changes over time
        kwargs, end = CONFIGS[name](rng)
        ref, got = _compare(name, kwargs, end + 21)
        if np.ptp(ref[np.isfinite(ref)]) > 0.05 * np.max(np.abs(ref)):
            break
    values = np.asarray(getattr(lro, name)(**kwargs)(GRID), np.float64)
    n = len(ref)
    scale = float(np.max(np.abs(ref[np.isfinite(ref)])))
    for shifted in (values[1 : n + 1], np.concatenate([values[:1], values[: n - 1]])):
        miss = np.nanmax(np.abs(shifted - ref))
        assert miss > 100 * (ATOL * scale + RTOL * scale), (name, miss)


@pytest.mark.parametrize(
    "schedule",
    [
        lro.warmup_cosine_decay_schedule(0.0, 1.0, 5, 25, end_value=0.1),
        lro.piecewise_constant_schedule(1.0, {3: 0.5, 7: 0.1}),
        lro.cosine_onecycle_schedule(20, 1.0, pct_start=0.3),
    ],
    ids=repr,
)
def test_first_optax_update_uses_step_zero(schedule):
    """``inject_hyperparams(sgd)(learning_rate=s)``: update t uses ``s(t)``.

    Equal to a few ulps (a scalar call fused into optax's jitted scan vs an array call); a
    one-step shift differs by far more.
    """
    used = optax_optimizer_curve(schedule, 30).astype(np.float32)
    np.testing.assert_array_max_ulp(used, np.asarray(schedule(jnp.arange(30))), maxulp=4)
    assert np.max(np.abs(used[:-1] - np.asarray(schedule(jnp.arange(1, 30))))) > 1e-3


# -- quirks: reproduced for t >= 0, documented ------------------------------------------


def test_linear_with_nonpositive_steps_holds_init_like_optax():
    for steps in [0, -3]:
        ref, got = _compare(
            "linear_schedule", dict(init_value=2.0, end_value=0.5, transition_steps=steps), 10
        )
        np.testing.assert_array_equal(got, ref)
        assert np.all(got == 2.0)
    # lrjax's own linear jumps to end_value instead (the documented difference).
    assert float(lrjax.linear(2.0, 0.5, 0)(3)) == 0.5


def test_warmup_constant_with_zero_warmup_holds_init_like_optax():
    ref, got = _compare(
        "warmup_constant_schedule", dict(init_value=0.1, peak_value=1.0, warmup_steps=0), 10
    )
    np.testing.assert_array_equal(got, ref)
    assert np.all(got == np.float32(0.1))


def test_exponential_quirks_match_optax():
    base = dict(init_value=1.0, transition_steps=5, decay_rate=0.5)
    for kwargs in [
        dict(base, decay_rate=0.0),
        dict(base, transition_steps=0, end_value=0.3),
        dict(base, decay_rate=1.0, end_value=0.3),
        dict(base, transition_begin=-4),
    ]:
        ref, got = _compare("exponential_decay", kwargs, 30)
        _assert_parity(ref, got, str(kwargs))


def test_warmup_cosine_with_zero_peak_ignores_end_value_like_optax():
    kwargs = dict(init_value=0.2, peak_value=0.0, warmup_steps=5, decay_steps=15, end_value=-3.0)
    ref, got = _compare("warmup_cosine_decay_schedule", kwargs, 30)
    _assert_parity(ref, got, str(kwargs))
    assert np.all(got[5:] == 0.0)


def test_onecycle_int_truncation_and_collisions_match_optax():
    # T = 3: int(0.9) = 0, so the schedule starts at the peak; pct_start == pct_final
    # collides and the later dict entry wins; pct_final = 1 collides with T.
    for kwargs in [
        dict(transition_steps=3, peak_value=1.0),
        dict(transition_steps=20, peak_value=1.0, pct_start=0.35, pct_final=0.35),
        dict(transition_steps=20, peak_value=1.0, pct_start=0.5, pct_final=0.25),
        dict(transition_steps=9, peak_value=1.0, pct_final=1.0),
    ]:
        ref, got = _compare("linear_onecycle_schedule", kwargs, 40)
        _assert_parity(ref, got, str(kwargs))
    ref, got = _compare("cosine_onecycle_schedule", dict(transition_steps=3, peak_value=1.0), 10)
    _assert_parity(ref, got, "cosine T=3")
    assert got[0] == 1.0


def test_negative_steps_clamp_where_optax_does_not():
    with jax.numpy_dtype_promotion("standard"):
        optax_cos = float(np.asarray(optax.cosine_decay_schedule(1.0, 10)(-1)))
        interp = optax.piecewise_interpolate_schedule("linear", 2.0, {4: 0.5})
        optax_interp = float(np.asarray(interp(-1)))
    assert optax_cos == pytest.approx(0.9755, abs=1e-4)
    assert float(lro.cosine_decay_schedule(1.0, 10)(-1)) == 1.0
    assert optax_interp == 0.0
    assert float(lro.piecewise_interpolate_schedule("linear", 2.0, {4: 0.5})(-1)) == 2.0


def test_polynomial_is_finite_where_jitted_optax_gives_nan():
    optax_poly = optax.polynomial_schedule(
        1.0, 0.1, power=2.5, transition_steps=17, transition_begin=3
    )
    assert np.isnan(float(np.asarray(jax.jit(optax_poly)(20))))
    lrjax_poly = lro.polynomial_schedule(
        1.0, 0.1, power=2.5, transition_steps=17, transition_begin=3
    )
    assert float(jax.jit(lrjax_poly)(20)) == np.float32(0.1)


def test_join_validates_what_optax_does_not():
    a, b, c = lro.constant_schedule(1.0), lro.constant_schedule(2.0), lro.constant_schedule(3.0)
    with pytest.raises(ValueError, match="join_schedules"):
        lro.join_schedules([a, b, c], [3])  # optax silently drops c
    with pytest.raises(ValueError, match="strictly increasing"):
        lro.join_schedules([a, b, c], [6, 3])  # optax lets 3 override 6
    s = lro.join_schedules([a, b, c], [3, 6])
    ref = optax.join_schedules([optax.constant_schedule(x) for x in (1.0, 2.0, 3.0)], [3, 6])
    np.testing.assert_array_equal(
        np.asarray(s(jnp.arange(10))), [float(np.asarray(ref(i))) for i in range(10)]
    )


def test_optax_callables_can_be_joined():
    children: list[Any] = [optax.linear_schedule(0.0, 1.0, 4), lro.cosine_decay_schedule(1.0, 6)]
    s = lro.join_schedules(children, [4])
    np.testing.assert_allclose(
        np.asarray(s(jnp.arange(12))),
        optax_curve(
            "join_schedules",
            12,
            schedules=[optax.linear_schedule(0.0, 1.0, 4), optax.cosine_decay_schedule(1.0, 6)],
            boundaries=[4],
        ),
        rtol=RTOL,
        atol=ATOL,
    )


def test_pairs_equal_dicts_and_later_pairs_win():
    d = lro.piecewise_constant_schedule(1.0, {5: 0.5, 2: 2.0})
    p = lro.piecewise_constant_schedule(1.0, [(5, 0.1), (2, 2.0), (5, 0.5)])
    np.testing.assert_array_equal(np.asarray(d(jnp.arange(8))), np.asarray(p(jnp.arange(8))))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: lro.cosine_decay_schedule(1.0, 0), r"cosine_decay_schedule\(decay_steps=0\)"),
        (lambda: lro.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), "must be > warmup_steps=10"),
        (
            lambda: lro.exponential_decay(1.0, 10, -0.5),
            r"decay_rate=-0.5\): decay_rate must be >= 0",
        ),
        (lambda: lro.polynomial_schedule(1.0, 0.0, 0.0, 10), "power must be > 0"),
        (lambda: lro.piecewise_constant_schedule(1.0, {5: -1.0}), "must be >= 0"),
        (lambda: lro.piecewise_constant_schedule(1.0, {-5: 1.0}), "must be >= 0"),
        (lambda: lro.piecewise_interpolate_schedule("linar", 1.0), "must be one of 'linear'"),
        (lambda: lro.linear_onecycle_schedule(0, 1.0), r"transition_steps=0\): transition_steps"),
        (lambda: lro.cosine_onecycle_schedule(10, 1.0, pct_start=1.5), "must be in \\[0, 1\\]"),
        (lambda: lro.cosine_onecycle_schedule(10, 1.0, div_factor=0.0), "div_factor must be > 0"),
        (lambda: lro.warmup_constant_schedule(0.0, 1.0, -1), "warmup_steps must be >= 0"),
        (lambda: lro.sgdr_schedule([]), "at least one cycle"),
        (
            lambda: lro.sgdr_schedule(
                [dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=3)]
            ),
            r"sgdr_schedule\(cosine_kwargs\[0\]\)",
        ),
        (lambda: lro.linear_schedule(float("nan"), 0.0, 5), "must be finite"),
    ],
)
def test_bad_arguments_raise_naming_the_function_and_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_traced_onecycle_arguments_vmap_and_round_trip():
    steps = jnp.arange(60)
    pcts = np.array([0.25, 0.3, 0.5], np.float32)
    inside = jax.vmap(lambda a: lro.cosine_onecycle_schedule(50, 1.0, pct_start=a)(steps))(pcts)
    loop = np.stack(
        [np.asarray(lro.cosine_onecycle_schedule(50, 1.0, pct_start=float(a))(steps)) for a in pcts]
    )
    np.testing.assert_array_max_ulp(np.asarray(inside), loop, maxulp=4)
    s = lro.linear_onecycle_schedule(37, 2.0, 0.35, 0.7)
    clone = lrjax.from_config(lrjax.to_config(s))
    assert clone == s
    assert lrjax.to_config(s)["config"] == dict(
        transition_steps=37,
        peak_value=2.0,
        pct_start=0.35,
        pct_final=0.7,
        div_factor=25.0,
        final_div_factor=10000.0,
    )


def test_sgdr_round_trips_and_vmaps_over_a_cycle_length():
    kw = [
        dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10),
        dict(init_value=0.0, peak_value=0.5, warmup_steps=2, decay_steps=10),
    ]
    s = lro.sgdr_schedule(kw)
    assert lrjax.from_config(lrjax.to_config(s)) == s

    def build(d):
        return lro.sgdr_schedule([dict(kw[0], decay_steps=d), kw[1]])(jnp.arange(40))

    lengths = jnp.array([5, 10, 17])
    loop = np.stack([np.asarray(build(int(d))) for d in lengths])
    np.testing.assert_array_max_ulp(np.asarray(jax.vmap(build)(lengths)), loop, maxulp=4)
