"""docs/contract.md, Validation (catalogue rows V): bad concrete values raise at construction,
naming the public function, the argument, the value and the allowed range; tracers pass
unchecked."""

from __future__ import annotations

import inspect
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import x64

import lrjax
import lrjax.compat.optax

COSINE = lrjax.cosine_decay(1.0, 10)

# (factory, valid kwargs, argument under test, bad values, expected message fragment)
COUNT_ARGUMENTS = [
    (lrjax.linear, dict(init_value=1.0, end_value=0.0, transition_steps=10), "transition_steps"),
    (lrjax.linear, dict(init_value=1.0, end_value=0.0, transition_steps=10), "transition_begin"),
    (
        lrjax.polynomial,
        dict(init_value=1.0, end_value=0.0, power=1.0, transition_steps=10),
        "transition_steps",
    ),
    (lrjax.cosine_decay, dict(init_value=1.0, decay_steps=10), "decay_steps"),
    (
        lrjax.exponential_decay,
        dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
        "transition_steps",
    ),
    (
        lrjax.exponential_decay,
        dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
        "transition_begin",
    ),
    (lrjax.inverse_time_decay, dict(init_value=1.0, decay_rate=0.5, decay_steps=10), "decay_steps"),
    (lrjax.warmup, dict(schedule=COSINE, warmup_steps=10), "warmup_steps"),
    (lrjax.cycle, dict(schedule=COSINE, period=10), "period"),
    (lrjax.cycle, dict(schedule=COSINE, period=10, num_cycles=2), "num_cycles"),
    (lrjax.shift, dict(schedule=COSINE, steps=10), "steps"),
    (lrjax.quantize, dict(schedule=COSINE, every=10), "every"),
]

VALUE_ARGUMENTS = [
    (lrjax.constant, dict(value=1.0), "value"),
    (lrjax.linear, dict(init_value=1.0, end_value=0.0, transition_steps=10), "init_value"),
    (lrjax.linear, dict(init_value=1.0, end_value=0.0, transition_steps=10), "end_value"),
    (
        lrjax.polynomial,
        dict(init_value=1.0, end_value=0.0, power=1.0, transition_steps=10),
        "power",
    ),
    (lrjax.cosine_decay, dict(init_value=1.0, decay_steps=10), "init_value"),
    (lrjax.cosine_decay, dict(init_value=1.0, decay_steps=10), "exponent"),
    (
        lrjax.exponential_decay,
        dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
        "decay_rate",
    ),
    (lrjax.inverse_time_decay, dict(init_value=1.0, decay_rate=0.5, decay_steps=10), "decay_rate"),
    (lrjax.rsqrt_decay, dict(init_value=1.0, timescale=10.0), "timescale"),
    (lrjax.warmup, dict(schedule=COSINE, warmup_steps=10), "init_value"),
    (lrjax.cycle, dict(schedule=COSINE, period=10), "period_mul"),
    (lrjax.cycle, dict(schedule=COSINE, period=10), "value_mul"),
    (lrjax.stretch, dict(schedule=COSINE, factor=2.0), "factor"),
    (lrjax.clip, dict(schedule=COSINE, lower=0.1), "lower"),
]


def _call(factory, kwargs, name, value):
    return factory(**{**kwargs, name: value})


def _message(factory, name):
    return re.escape(f"{factory.__name__}({name}=")


@pytest.mark.parametrize(
    "factory,kwargs,name", COUNT_ARGUMENTS, ids=lambda x: getattr(x, "__name__", str(x))
)
def test_bad_step_counts(factory, kwargs, name):
    for bad in [-1, -(10**6)]:
        with pytest.raises(ValueError, match=_message(factory, name) + r".*>= "):
            _call(factory, kwargs, name, bad)
    with pytest.raises(ValueError, match=_message(factory, name) + r".*whole number"):
        _call(factory, kwargs, name, 10.5)
    for bad in [float("nan"), float("inf")]:
        with pytest.raises(ValueError, match=_message(factory, name) + r".*finite"):
            _call(factory, kwargs, name, bad)
    for bad in [True, "10", None if name != "num_cycles" else "x", 1 + 1j]:
        with pytest.raises(TypeError, match=_message(factory, name)):
            _call(factory, kwargs, name, bad)
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        _call(factory, kwargs, name, 2**31)


@pytest.mark.parametrize(
    "factory,kwargs,name", COUNT_ARGUMENTS, ids=lambda x: getattr(x, "__name__", str(x))
)
def test_integral_floats_are_counts_and_share_one_trace(factory, kwargs, name):
    a = _call(factory, kwargs, name, 20)
    b = _call(factory, kwargs, name, 20.0)
    c = _call(factory, kwargs, name, np.int64(20))
    assert a == b == c
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)


@pytest.mark.parametrize(
    "factory,kwargs,name", VALUE_ARGUMENTS, ids=lambda x: getattr(x, "__name__", str(x))
)
def test_bad_values(factory, kwargs, name):
    for bad in [float("nan"), float("inf"), -float("inf")]:
        with pytest.raises(ValueError, match=_message(factory, name) + r".*finite"):
            _call(factory, kwargs, name, bad)
    for bad in [True, "1.0", 1j]:
        with pytest.raises(TypeError, match=_message(factory, name)):
            _call(factory, kwargs, name, bad)


@pytest.mark.parametrize(
    "factory,kwargs,name,bad,fragment",
    [
        (
            lrjax.linear,
            dict(init_value=1.0, end_value=0.0, transition_steps=10),
            "init_value",
            -0.1,
            ">= 0",
        ),
        (
            lrjax.polynomial,
            dict(init_value=1.0, end_value=0.0, power=1.0, transition_steps=10),
            "power",
            0.0,
            "> 0",
        ),
        (lrjax.cosine_decay, dict(init_value=1.0, decay_steps=10), "exponent", -1.0, "> 0"),
        (
            lrjax.exponential_decay,
            dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
            "decay_rate",
            0.0,
            "> 0",
        ),
        (
            lrjax.exponential_decay,
            dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
            "transition_steps",
            0,
            ">= 1",
        ),
        (lrjax.rsqrt_decay, dict(init_value=1.0), "timescale", 0.0, "> 0"),
        (lrjax.cycle, dict(schedule=COSINE, period=10), "period", 0, ">= 1"),
        (lrjax.cycle, dict(schedule=COSINE, period=10), "period_mul", 0.5, ">= 1.0"),
        (lrjax.cycle, dict(schedule=COSINE, period=10), "value_mul", 0.0, "> 0"),
        (lrjax.quantize, dict(schedule=COSINE, every=10), "every", 0, ">= 1"),
        (
            lrjax.warmup,
            dict(schedule=COSINE, warmup_steps=5, shape="exponential"),
            "init_value",
            0.0,
            "> 0",
        ),
    ],
)
def test_out_of_range_values_name_the_range(factory, kwargs, name, bad, fragment):
    with pytest.raises(ValueError, match=_message(factory, name) + r".*" + re.escape(fragment)):
        _call(factory, kwargs, name, bad)


def test_unknown_shape_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"warmup\(shape='cubic'\).*'linear'.*'cosine'.*'1-sqrt'"):
        lrjax.warmup(COSINE, 5, shape="cubic")


def test_exponential_end_value_on_the_wrong_side():
    with pytest.raises(ValueError, match=r"exponential_decay: end_value=2.0 is a floor"):
        lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10, end_value=2.0)
    with pytest.raises(ValueError, match=r"exponential_decay: end_value=0.5 is a ceiling"):
        lrjax.exponential_decay(1.0, decay_rate=2.0, transition_steps=10, end_value=0.5)


def test_piecewise_lengths_and_order():
    with pytest.raises(
        ValueError, match=r"piecewise_constant: len\(values\) must be len\(boundaries\) \+ 1"
    ):
        lrjax.piecewise_constant([10, 20], [1.0, 0.5])
    with pytest.raises(
        ValueError, match=r"piecewise_constant\(boundaries=\[20 10\]\).*non-decreasing"
    ):
        lrjax.piecewise_constant([20, 10], [1.0, 0.5, 0.1])
    with pytest.raises(ValueError, match=r"piecewise_linear\(boundaries=.*>= 0"):
        lrjax.piecewise_linear([-1, 10], [1.0, 0.5])
    with pytest.raises(ValueError, match=r"piecewise_linear: values and boundaries"):
        lrjax.piecewise_linear([], [])
    with pytest.raises(ValueError, match=r"piecewise_constant\(values=.*>= 0"):
        lrjax.piecewise_constant([10], [1.0, -0.5])


def test_join_lengths_and_order():
    a, b, c = lrjax.constant(1.0), lrjax.constant(0.5), lrjax.constant(0.1)
    with pytest.raises(
        ValueError, match=r"join_schedules: len\(boundaries\) must be len\(schedules\) - 1"
    ):
        lrjax.join_schedules([a, b, c], [10])  # optax silently drops the third schedule
    with pytest.raises(
        ValueError, match=r"join_schedules\(boundaries=\[6 3\]\).*strictly increasing"
    ):
        lrjax.join_schedules([a, b, c], [6, 3])  # optax accepts this
    with pytest.raises(
        ValueError, match=r"join_schedules\(boundaries=\[5 5\]\).*strictly increasing"
    ):
        lrjax.join_schedules([a, b, c], [5, 5])
    with pytest.raises(ValueError, match=r"join_schedules\(schedules=\[\]\)"):
        lrjax.join_schedules([], [])
    with pytest.raises(TypeError, match=r"join_schedules\(schedules\[1\]='x'\)"):
        lrjax.join_schedules([a, "x"], [3])  # pyright: ignore[reportArgumentType]


def test_clip_bounds_in_order():
    with pytest.raises(ValueError, match=r"clip: lower=0.5 must be <= upper=0.1"):
        lrjax.clip(COSINE, lower=0.5, upper=0.1)


def test_lengths_beyond_int32_under_x64():
    with x64():
        s = lrjax.cosine_decay(1.0, 2**40)
        assert float(s(2**39)) == pytest.approx(0.5, rel=1e-12)
        with pytest.raises(ValueError, match=r"decay_steps=-1"):
            lrjax.cosine_decay(1.0, -1)


def test_validation_never_runs_on_tracers():
    # Traced values skip the checks (no TracerBoolConversionError), inside jit and vmap.
    @jax.jit
    def f(steps, peak, rate):
        return lrjax.exponential_decay(peak, decay_rate=rate, transition_steps=steps)(7)

    assert np.isfinite(float(f(10, 1.0, 0.5)))
    out = jax.vmap(lambda w: lrjax.warmup(COSINE, w)(3))(jnp.array([0, 5, 10]))
    assert np.all(np.isfinite(np.asarray(out)))


# -- arguments whose meaning differs from optax's or Keras's at the same position ------------


@pytest.mark.parametrize(
    "call, written",
    [
        # optax's / Keras's positional alpha (a fraction) would become an absolute end value.
        ("cosine_decay(1e-3, 1000, 0.1)", "cosine_decay(0.001, 1000, end_value=0.1)"),
        ("rex_decay(1.0, 100, 0.1)", "rex_decay(1.0, 100, end_value=0.1)"),
        ("tanh_decay(1.0, 100, 0.1)", "tanh_decay(1.0, 100, end_value=0.1)"),
        # optax's (init, transition_steps, decay_rate) and Keras's (init, decay_steps, rate).
        (
            "exponential_decay(1.0, 100, 0.5)",
            "exponential_decay(1.0, decay_rate=100, transition_steps=0.5)",
        ),
        (
            "inverse_time_decay(1.0, 100, 0.5, True)",
            "inverse_time_decay(1.0, decay_rate=100, decay_steps=0.5, staircase=True)",
        ),
        (
            "warmup_exponential_decay(1.0, 10, 100, 0.5)",
            "warmup_exponential_decay(1.0, 10, decay_rate=100, transition_steps=0.5)",
        ),
    ],
)
def test_positional_calls_that_mean_something_else_in_optax_or_keras_raise(call, written):
    with pytest.raises(TypeError, match="keyword-only") as err:
        eval(f"lrjax.{call}")
    message = str(err.value)
    assert message.startswith(call.replace("1e-3", "0.001")) and message.endswith(
        f"; write {written}"
    )
    name = call.split("(")[0]
    assert inspect.signature(getattr(lrjax, name)).parameters  # help() shows the '*'
    assert "*" in str(inspect.signature(getattr(lrjax, name)))


def test_keyword_forms_build_the_documented_schedules():
    s = lrjax.cosine_decay(1.0, 100, end_value=0.1)
    assert float(s(100)) == pytest.approx(0.1)
    e = lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10)
    assert float(e(10)) == pytest.approx(0.5)
    # The classes and the compat functions keep their positional forms.
    assert lrjax.compat.optax.exponential_decay(1.0, 10, 0.5) is not None
    assert float(lrjax.compat.optax.cosine_decay_schedule(1.0, 100, 0.1)(100)) == pytest.approx(0.1)
