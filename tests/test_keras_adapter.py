"""lrjax.keras.LearningRateSchedule: model.fit uses s(t) at update t, and save/load keep it.

These run on the JAX backend; tests/test_examples.py runs examples/keras_fit.py (which checks
the rate of every update and a save/load round trip) on the torch backend.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrjax  # noqa: E402
import lrjax.keras  # noqa: E402

# Keras 3.15's Variable.__array__ predates NumPy 2's copy keyword (Keras's warning, not ours).
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
N, BATCH, EPOCHS = 20, 4, 2
STEPS = lrjax.num_training_steps(N, BATCH, EPOCHS)


@pytest.fixture(autouse=True)
def _keras_numerics() -> Iterator[None]:
    # Keras layers broadcast biases by rank promotion and mix dtypes; the project's test
    # config raises on both, so Keras runs under JAX's defaults here.
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        yield


class RecordRates(keras.callbacks.Callback):
    """The optimizer's step and learning rate before each update."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[int] = []
        self.rates: list[float] = []

    def on_train_batch_begin(self, batch, logs=None) -> None:
        opt: Any = self.model.optimizer  # type: ignore[union-attr]
        self.steps.append(int(opt.iterations))
        self.rates.append(float(opt.learning_rate))


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def make_model(learning_rate: Any) -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def test_fit_uses_the_schedule_at_each_update() -> None:
    s = lrjax.linear(0.1, 0.0, STEPS)
    x, y = data()
    model = make_model(lrjax.keras.LearningRateSchedule(s))
    record = RecordRates()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[record])
    assert record.steps == list(range(STEPS))
    rates = np.asarray(record.rates, np.float32)
    np.testing.assert_array_equal(rates, np.asarray(s(np.arange(STEPS))))
    assert record.rates[0] == pytest.approx(0.1)

    # The weights equal training with Keras's own linear decay: the rates really were used.
    keras_decay = keras.optimizers.schedules.PolynomialDecay(0.1, STEPS, 0.0, power=1.0)
    reference = make_model(keras_decay)
    reference.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.get_weights()[0], make_model(0.1).get_weights()[0])


def test_save_and_load_keep_the_schedule_and_resume(tmp_path: pathlib.Path) -> None:
    s = lrjax.warmup(lrjax.cosine_decay(0.05, 2 * STEPS, end_value=0.005), 3)
    x, y = data()
    model = make_model(lrjax.keras.LearningRateSchedule(s, name="warmup_cosine"))
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)

    loaded: Any = keras.models.load_model(path)  # no custom_objects: the class is registered
    schedule = loaded.optimizer._learning_rate
    assert isinstance(schedule, lrjax.keras.LearningRateSchedule)
    assert schedule.schedule == s and schedule.name == "warmup_cosine"
    assert int(loaded.optimizer.iterations) == STEPS
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    record = RecordRates()
    loaded.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[record])
    assert record.steps == list(range(STEPS, 2 * STEPS))
    expected = np.asarray(s(np.arange(STEPS, 2 * STEPS)))
    np.testing.assert_array_equal(np.asarray(record.rates, np.float32), expected)


def test_config_round_trip_and_errors() -> None:
    s = lrjax.piecewise_constant([5, 10], [1e-3, 1e-4, 1e-5])
    wrapped = lrjax.keras.LearningRateSchedule(s)
    config: Any = keras.optimizers.schedules.serialize(wrapped)
    assert config["registered_name"] == "lrjax>LearningRateSchedule"
    rebuilt = keras.optimizers.schedules.deserialize(json.loads(json.dumps(config)))
    assert isinstance(rebuilt, lrjax.keras.LearningRateSchedule) and rebuilt.schedule == s
    adam = keras.optimizers.Adam(wrapped)  # type: ignore[arg-type]
    optimizer: Any = keras.optimizers.Adam.from_config(adam.get_config())
    assert optimizer._learning_rate.schedule == s
    assert float(rebuilt(7)) == float(s(7))
    with pytest.raises(ValueError, match="'schedule' entry"):
        lrjax.keras.LearningRateSchedule.from_config({"name": None})
    with pytest.raises(ValueError, match="plain Python callable"):
        lrjax.keras.LearningRateSchedule(lambda t: 0.1).get_config()
    with pytest.raises(TypeError, match="name must be a string"):
        lrjax.keras.LearningRateSchedule(s, name=3)  # type: ignore[arg-type]
