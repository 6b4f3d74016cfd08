"""A plain callable inside a combinator: what it costs is said in its repr and in the
to_config error, with the lrjax compat equivalent where one exists."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

import lrjax  # noqa: E402
import lrjax.compat.keras as lrk  # noqa: E402
import lrjax.compat.optax as lro  # noqa: E402

COST = "opaque: compiles once per function object, cannot be vmapped over or saved with to_config"


@pytest.mark.parametrize(
    "foreign, equivalent",
    [
        (optax.cosine_decay_schedule(1.0, 100, 0.1), "lrjax.compat.optax.cosine_decay_schedule"),
        # optax's linear_schedule returns polynomial_schedule's closure: that is what is seen.
        (optax.linear_schedule(0.0, 1.0, 10), "lrjax.compat.optax.polynomial_schedule"),
        (optax.exponential_decay(1.0, 10, 0.5), "lrjax.compat.optax.exponential_decay"),
        (keras.optimizers.schedules.CosineDecay(1.0, 100), "lrjax.compat.keras.CosineDecay"),
        (
            keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5),
            "lrjax.compat.keras.ExponentialDecay",
        ),
    ],
)
def test_repr_and_config_error_name_the_cost_and_the_equivalent(foreign, equivalent):
    s = lrjax.warmup(foreign, 10)
    text = repr(s)
    assert COST in text and f"use {equivalent} instead" in text
    with pytest.raises(ValueError, match=f"use {equivalent} instead"):
        lrjax.to_config(s)
    # The equivalent exists and gives the same curve, as data.
    module, name = equivalent.rsplit(".", 1)
    assert callable(getattr({"lrjax.compat.optax": lro, "lrjax.compat.keras": lrk}[module], name))


def test_the_equivalent_is_the_same_curve_and_compiles_once():
    foreign = optax.cosine_decay_schedule(1.0, 100, 0.1)
    data = lro.cosine_decay_schedule(1.0, 100, 0.1)
    for step in (0, 37, 100, 150):
        with jax.numpy_dtype_promotion("standard"):
            got = float(lrjax.as_schedule(foreign)(step))
        assert got == pytest.approx(float(data(step)), 1e-6)
    # What the repr says: a new optax function recompiles, new lrjax values do not.
    f = jax.jit(lambda s, t: s(t))
    with jax.numpy_dtype_promotion("standard"):  # optax's own arithmetic
        for peak in (1.0, 2.0, 3.0):
            f(lrjax.as_schedule(optax.cosine_decay_schedule(peak, 100)), 5)
    assert f._cache_size() == 3  # pyright: ignore[reportAttributeAccessIssue]
    g = jax.jit(lambda s, t: s(t))
    for peak in (1.0, 2.0, 3.0):
        g(lro.cosine_decay_schedule(peak, 100), 5)
    assert g._cache_size() == 1  # pyright: ignore[reportAttributeAccessIssue]


def test_a_lambda_says_the_cost_without_an_equivalent():
    s = lrjax.as_schedule(lambda step: 0.1 * jax.numpy.ones_like(step, jax.numpy.float32))
    text = repr(s)
    assert COST in text and "use " not in text and "<lambda>" in text
    with pytest.raises(ValueError, match="build it from lrjax schedules instead"):
        lrjax.to_config(lrjax.warmup(s, 5))
