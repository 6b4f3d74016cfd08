"""An lrjax schedule meets Keras directly: a ``keras.Variable`` step, and a schedule handed to
a Keras optimizer without the adapter (a one-line error that says what to write)."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrjax  # noqa: E402
import lrjax.compat.keras as lrk  # noqa: E402
import lrjax.keras  # noqa: E402

SCHEDULES = [
    lrjax.warmup_cosine_decay(0.1, 10, 100),
    lrk.ExponentialDecay(0.1, 2, 0.5, staircase=True),
    lrk.CosineDecay(0.1, 50, warmup_target=0.2, warmup_steps=10),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_a_keras_variable_is_a_step(schedule):
    for step in (0, 7, 60, 1_000):
        variable = keras.Variable(step, dtype="int32", trainable=False)
        assert float(schedule(variable)) == float(schedule(step))
        # Inside jit: a traced step taken from the variable, as Keras's train step does.
        assert float(jax.jit(lambda s, v: s(v))(schedule, variable.value)) == float(schedule(step))


def test_an_int64_keras_variable_like_a_keras_optimizer_iterations():
    # Keras's optimizer counts in an int64 variable ("iteration", dtype "int").
    with pytest.warns(UserWarning, match="int64"):
        variable = keras.Variable(5, dtype="int64", trainable=False)
    schedule = lrjax.cosine_decay(1.0, 100)
    assert float(schedule(variable)) == float(schedule(5))


def _model() -> Any:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


@pytest.fixture(autouse=True)
def _keras_promotion():
    # Keras's layers rely on JAX's default promotion rules (the suite makes them strict).
    with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        yield


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_a_schedule_given_directly_to_a_keras_optimizer_says_to_wrap_it(schedule):
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    with pytest.raises(TypeError, match=r"lrjax\.keras\.LearningRateSchedule") as err:
        model.fit(x, y, epochs=1, verbose=0)
    message = str(err.value)
    assert "\n" not in message and "called without a step" in message
    assert message.startswith(repr(schedule))
    # What the message says to write works, and follows the schedule per update.
    model = _model()
    optimizer: Any = keras.optimizers.SGD(
        learning_rate=lrjax.keras.LearningRateSchedule(schedule)  # pyright: ignore[reportArgumentType]
    )
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)  # 6 updates
    assert int(optimizer.iterations) == 6
    assert float(optimizer.learning_rate) == pytest.approx(float(schedule(6)), rel=1e-6)


def test_calling_a_schedule_without_a_step_is_the_same_error():
    with pytest.raises(TypeError, match="called without a step"):
        lrjax.constant(1.0)()
