"""Issue 14, items 1, 2, 3, 4, 5, 9 and the complex-number case of 8: the numeric side.

Every real dtype is a valid hyperparameter (3); strings, bools and complex numbers inside
lists are refused by name (4, 8); positive arguments that float32 flushes to zero are
refused (5). docs/contract.md (Arguments, Precision, Overflow) states what is checked here.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cases import Case, all_cases
from helpers import x64

import lrjax
import lrjax.compat.keras as lrk
import lrjax.compat.timm as lrtimm
import lrjax.compat.torch as lrt
import lrjax.compat.transformers as lrh

CASES = all_cases()


def _any(x: object) -> Any:
    """A deliberately ill-typed argument, for the checks to refuse."""
    return x


# -- item 3: every real floating or integer dtype -------------------------------------------


def _numeric_arguments(case: Case) -> list[str]:
    return [
        k for k, x in case.kwargs.items() if isinstance(x, (int, float)) and not isinstance(x, bool)
    ]


@pytest.mark.parametrize("case", CASES[::3], ids=repr)
def test_every_real_dtype_is_a_valid_argument(case: Case):
    """bf16, float16 and small integer dtypes build the schedule the equal Python number
    builds (before the fix: ``TypeError: ... must be a real number``)."""
    names = _numeric_arguments(case)
    if not names:
        pytest.skip("no numeric argument")
    steps = np.array([0, 1, 7, 50, 1000], np.int32)
    for name in names:
        x = case.kwargs[name]
        kinds = [jnp.bfloat16, np.float16] if isinstance(x, float) else [np.int16, jnp.bfloat16]
        for kind in kinds:
            typed = kind(x)
            plain = float(typed) if isinstance(x, float) else int(float(typed))
            if float(plain) != float(x) and isinstance(x, int):
                continue  # an integer bf16 cannot hold: not the same argument
            try:
                want = np.asarray(case.build(**{name: plain})(steps))
            except (ValueError, OverflowError) as err:  # rounding broke a rule between fields
                with pytest.raises(type(err)):
                    case.build(**{name: typed})
                continue
            got = np.asarray(case.build(**{name: typed})(steps))
            np.testing.assert_array_equal(got, want, err_msg=f"{name}={typed!r}")


def test_bf16_in_the_issue():
    s = lrjax.cosine_decay(jnp.bfloat16(1e-3), 100)
    assert s == lrjax.cosine_decay(float(jnp.bfloat16(1e-3)), 100)
    assert lrjax.cosine_decay(1e-3, jnp.asarray(100, jnp.bfloat16)) == lrjax.cosine_decay(1e-3, 100)
    assert lrjax.piecewise_constant([np.int8(10)], [jnp.bfloat16(0.5), np.float16(0.25)]) == (
        lrjax.piecewise_constant([10], [0.5, 0.25])
    )
    with pytest.raises(ValueError, match=r"decay_steps must be a whole number"):
        lrjax.cosine_decay(1e-3, jnp.bfloat16(100.5))


# -- items 4 and 8: no silent coercion inside lists -----------------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda: lrjax.piecewise_constant([10], _any(["0.1", True])),
            r"piecewise_constant\(values=\['0.1', True\]\): values\[0\]='0.1' must be a real",
        ),
        (
            lambda: lrjax.piecewise_constant([10], _any([0.1, True])),
            r"values\[1\]=True must be a real number, not bool",
        ),
        (
            lambda: lrjax.piecewise_linear(_any([0, "10"]), [1.0, 0.0]),
            r"piecewise_linear\(boundaries=\[0, '10'\]\): boundaries\[1\]='10'",
        ),
        (
            lambda: lrjax.multistep_decay(1.0, _any([True, 10])),
            r"multistep_decay\(milestones=\[True, 10\]\): milestones\[0\]=True",
        ),
        (
            lambda: lrjax.join_schedules([1.0, 1.0, 1.0], _any([True, 20])),
            r"join_schedules\(boundaries=\[True, 20\]\): boundaries\[0\]=True",
        ),
        (
            lambda: lrjax.piecewise_constant([10], _any([1.0, None])),
            r"values\[1\]=None must be a real number, not NoneType",
        ),
        (
            lambda: lrjax.piecewise_constant([10], _any([1.0, 1 + 2j])),
            r"piecewise_constant\(values=\[1.0, \(1\+2j\)\]\): values\[1\]=\(1\+2j\) must be a "
            r"real number, not complex",
        ),
        (
            lambda: lrjax.piecewise_constant([10], _any((1.0, np.complex64(2)))),
            r"values\[1\]=.* must be a real number, not complex64",
        ),
        (
            lambda: lrtimm.multistep_lr(1.0, decay_t=_any([3, False])),
            r"multistep_lr\(decay_t=\[3, False\]\): decay_t\[1\]=False",
        ),
    ],
)
def test_lists_hold_real_numbers_only(build, match):
    with pytest.raises(TypeError, match=match):
        build()


# -- item 5: positive arguments that float32 flushes to zero --------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda: lrjax.exponential_decay(1.0, decay_rate=1e-40, transition_steps=10),
            r"exponential_decay\(decay_rate=1e-40\): decay_rate must be >= 1.1754944e-38, the "
            r"smallest positive float32",
        ),
        (
            lambda: lrjax.stretch(lrjax.constant(1.0), 1e-50),
            r"stretch\(factor=1e-50\): factor must be >= 1.1754944e-38",
        ),
        (lambda: lrjax.noam(1e-50, 10), r"noam\(d_model=1e-50\): d_model must be >= 1.17549"),
        (
            lambda: lrtimm.step_lr(1.0, decay_t=1e-50),
            r"step_lr\(decay_t=1e-50\): decay_t must be >= 1.17549",
        ),
        (
            lambda: lrjax.divide(lrjax.constant(1.0), 1e-50),
            r"divide\(right=1e-50\): \|right\| must be >= 1.1754944e-38",
        ),
        (
            lambda: lrjax.constant(1.0) / np.float32(-1e-40),
            r"divide\(right=.*1e-40.*\): \|right\| must be >= 1.1754944e-38",
        ),
        (lambda: lrjax.divide(lrjax.constant(1.0), 0.0), r"divide\(right=0.0\): right must be"),
    ],
)
def test_positive_arguments_that_flush_to_zero_are_refused(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_the_smallest_normal_float32_works():
    tiny = float(np.finfo(np.float32).tiny)
    s = lrjax.exponential_decay(1.0, decay_rate=tiny, transition_steps=10)
    assert float(s(5)) == pytest.approx(np.sqrt(tiny), rel=1e-5)
    assert np.isfinite(float(lrjax.stretch(lrjax.linear(1.0, 0.0, 10), tiny)(3)))
    assert float((lrjax.constant(tiny) / tiny)(0)) == 1.0


def test_sweep_members_that_flush_to_zero_are_refused():
    with pytest.raises(ValueError, match=r"decay_rate"):
        lrjax.sweep(
            lambda r: lrjax.exponential_decay(1.0, decay_rate=r, transition_steps=10),
            r=[0.5, 1e-40],
        )


def test_float64_mode_takes_the_float64_bound():
    with x64():
        s = lrjax.exponential_decay(1.0, decay_rate=1e-40, transition_steps=10)
        assert float(s(10)) == pytest.approx(1e-40)
        with pytest.raises(ValueError, match=r"2.2250739e-308, the smallest positive float64"):
            lrjax.exponential_decay(1.0, decay_rate=1e-310, transition_steps=10)


# -- item 1: gradients at the default values are not cut -------------------------------------

_AT_DEFAULT: list[tuple[str, Any, float]] = [
    ("sgdr period_mul=1", lambda m: lrjax.sgdr(1e-3, 100, period_mul=m), 1.0),
    (
        "cycle period_mul=1",
        lambda m: lrjax.cycle(lrjax.cosine_decay(1.0, 100), 100, period_mul=m),
        1.0,
    ),
    (
        "cycle period_mul=1 num_cycles=3",
        lambda m: lrjax.cycle(lrjax.linear(1.0, 0.1, 100), 100, period_mul=m, num_cycles=3),
        1.0,
    ),
    (
        "timm cosine cycle_mul=1",
        lambda m: lrtimm.cosine_lr(1.0, 100, cycle_mul=m, cycle_limit=5),
        1.0,
    ),
    ("timm tanh cycle_mul=1", lambda m: lrtimm.tanh_lr(1.0, 100, cycle_mul=m, cycle_limit=5), 1.0),
    ("timm poly cycle_mul=1", lambda m: lrtimm.poly_lr(1.0, 100, cycle_mul=m, cycle_limit=5), 1.0),
    ("keras t_mul=1", lambda m: lrk.CosineDecayRestarts(1.0, 100, t_mul=m), 1.0),
    (
        "hf cosine num_cycles=0.5",
        lambda c: lrh.get_cosine_schedule_with_warmup(1.0, 10, 200, num_cycles=c),
        0.5,
    ),
    (
        "hf cosine min_lr num_cycles=0.5",
        lambda c: lrh.get_cosine_with_min_lr_schedule_with_warmup(
            1.0, 10, 200, num_cycles=c, min_lr_rate=0.1
        ),
        0.5,
    ),
    (
        "hf wsd num_cycles=0.5",
        lambda c: lrh.get_wsd_schedule(1.0, 10, 100, num_stable_steps=50, num_cycles=c),
        0.5,
    ),
    ("cosine_decay exponent=1", lambda e: lrjax.cosine_decay(1.0, 100, exponent=e), 1.0),
    ("keras m_mul=1", lambda g: lrk.CosineDecayRestarts(1.0, 100, m_mul=g), 1.0),
    # Away from the default, the geometric formula's own derivative (cycle starts and
    # lengths from one expm1 and the recurrences between neighbouring cycles).
    ("sgdr period_mul=1.5", lambda m: lrjax.sgdr(1e-3, 100, period_mul=m), 1.5),
    (
        "cycle period_mul=1.3",
        lambda m: lrjax.cycle(lrjax.cosine_decay(1.0, 100), 100, period_mul=m),
        1.3,
    ),
    (
        "timm cosine cycle_mul=2",
        lambda m: lrtimm.cosine_lr(1.0, 100, cycle_mul=m, cycle_limit=5),
        2.0,
    ),
]


@pytest.mark.parametrize(
    ("build", "x"), [c[1:] for c in _AT_DEFAULT], ids=[c[0] for c in _AT_DEFAULT]
)
def test_gradient_at_the_default_value_is_the_limit(build: Any, x: float):
    """At the default value an exact fast path gives the value; the derivative is the general
    formula's, against float64 differences (one-sided: some defaults are the lower bound)."""
    steps = np.array([0, 5, 57, 150, 333, 420, 999], np.int32)

    def total(y: Any) -> Any:
        return jnp.sum(build(y)(steps))

    grad = float(jax.jit(jax.grad(total))(jnp.float32(x)))
    with x64():
        h = 1e-7
        fd = (float(total(np.float64(x + h))) - float(total(np.float64(x)))) / h
        value64 = float(total(np.float64(x)))
    assert float(total(x)) == pytest.approx(value64, rel=1e-5)  # the fast path's value
    assert abs(fd) > 1e-3  # the slope is not 0 there
    assert grad == pytest.approx(fd, rel=2e-3), (grad, fd)


def test_the_issue_gradient():
    g = float(jax.grad(lambda m: lrjax.sgdr(1e-3, 100, period_mul=m)(150))(1.0))
    assert g == pytest.approx(7.853982e-4, rel=1e-4)


# -- item 2: growth factors above 1 saturate, never inf or NaN -------------------------------

_GROWTH: list[tuple[str, Any]] = [
    ("sgdr value_mul", lambda g: lrjax.sgdr(1e-3, 1000, value_mul=g)),
    (
        "sgdr value_mul warmup from 0",
        lambda g: lrjax.sgdr(1e-3, 1000, value_mul=g, warmup_steps=10),
    ),
    ("cycle value_mul", lambda g: lrjax.cycle(lrjax.linear(1.0, 0.0, 100), 100, value_mul=g)),
    ("keras m_mul", lambda g: lrk.CosineDecayRestarts(1.0, 100, m_mul=g)),
    ("timm step decay_rate", lambda g: lrtimm.step_lr(1.0, decay_t=3, decay_rate=g)),
    (
        "timm multistep decay_rate",
        lambda g: lrtimm.multistep_lr(1.0, decay_t=list(range(1, 2000)), decay_rate=g),
    ),
    (
        "timm cosine cycle_decay",
        lambda g: lrtimm.cosine_lr(1.0, 10, cycle_decay=g, cycle_limit=10**6),
    ),
    (
        "torch multistep_lr gamma",
        lambda g: lrt.multistep_lr(1.0, milestones=list(range(1, 2000)), gamma=g),
    ),
    ("exponential_decay", lambda g: lrjax.exponential_decay(1.0, decay_rate=g, transition_steps=1)),
    ("torch exponential_lr", lambda g: lrt.exponential_lr(1.0, gamma=g)),
]


@pytest.mark.parametrize("build", [c[1] for c in _GROWTH], ids=[c[0] for c in _GROWTH])
@pytest.mark.parametrize("factor", [1.01, 2.0])
def test_growth_saturates_at_e80(build: Any, factor: float):
    steps = np.array([0, 10**5, 10**7, 2**31 - 1], np.int32)
    s = build(factor)
    values = np.asarray(s(steps))
    assert np.all(np.isfinite(values)), values
    assert np.max(values) <= np.float32(np.exp(80.0)) * 1.0001
    grad = jax.grad(lambda g: jnp.sum(build(g)(steps)))(factor)
    assert np.isfinite(float(grad)), grad


def test_growth_below_the_cap_is_unchanged():
    s = lrjax.sgdr(1e-3, 100, value_mul=2.0)
    assert float(s(1000)) == pytest.approx(1e-3 * 2.0**10, rel=1e-6)
    t = lrtimm.step_lr(1.0, decay_t=1, decay_rate=2.0)
    assert float(t(20)) == 2.0**20
    assert float(lrjax.sgdr(1e-3, 1000, value_mul=1.01)(10**7)) == pytest.approx(
        1e-3 * np.exp(80.0), rel=1e-5
    )


# -- item 9: one schedule, one number; the precision bound -----------------------------------


def _max_ulp_scalar_vs_array(s: Any, steps: np.ndarray) -> int:
    array = np.asarray(s(jnp.asarray(steps)))
    scalar = np.array([np.asarray(s(int(t))) for t in steps], np.float32)
    return int(np.max(np.abs(array.view(np.int32).astype(np.int64) - scalar.view(np.int32))))


@pytest.mark.parametrize(
    ("build", "steps"),
    [
        (
            lambda: lrjax.cycle(
                lrjax.warmup(lrjax.cosine_decay(1.0, 90, end_value=0.05), 10), 100, period_mul=1.2
            ),
            np.arange(0, 3000, 3),
        ),
        (lambda: lrjax.sgdr(1.0, 37, period_mul=1.3), np.arange(498_200, 498_500)),
        (lambda: lrtimm.cosine_lr(1.0, 37, cycle_mul=1.3, cycle_limit=100), np.arange(0, 3000, 7)),
        (lambda: lrt.one_cycle_lr(1.0, total_steps=1000), np.arange(0, 1001)),
    ],
    ids=["cycle period_mul=1.2", "sgdr period_mul=1.3", "timm cycle_mul=1.3", "torch one_cycle_lr"],
)
def test_scalar_and_array_calls_agree_to_one_ulp(build: Any, steps: np.ndarray):
    assert _max_ulp_scalar_vs_array(build(), steps) <= 1


def test_the_issue_cycle_step():
    s = lrjax.cycle(
        lrjax.warmup(lrjax.cosine_decay(1.0, 90, end_value=0.05), 10), 100, period_mul=1.2
    )
    assert float(s(993)) == float(s(jnp.arange(3000))[993])


@pytest.mark.parametrize("exponent", [0.5, 2.0, 3.0])
@pytest.mark.parametrize("length", [1000, 12345, 2**24 + 3])
def test_powered_cosine_within_the_documented_bound(exponent: float, length: int):
    """docs/contract.md, Precision: relative error at most max(1e-6, 6e-7 * exponent)."""
    t = np.unique(
        np.r_[np.linspace(0, length, 50_001).astype(np.int64), max(0, length - 5000) : length + 1]
    )
    # sin(pi/2 (1 - x))**2 == (1 + cos(pi x)) / 2 without its float64 cancellation at the end
    ref = np.sin(np.pi / 2 * (length - t) / length) ** (2 * exponent)
    got = np.asarray(lrjax.cosine_decay(1.0, length, exponent=exponent)(jnp.asarray(t)), np.float64)
    keep = ref >= 1e-6
    assert np.max(np.abs(got[keep] - ref[keep]) / ref[keep]) <= max(1e-6, 6e-7 * exponent)
