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


# -- adaptive schedules ---------------------------------------------------------------


class ScriptedMetric(keras.callbacks.Callback):
    """Writes a scripted val_loss into the epoch's logs (before the plateau callbacks)."""

    def __init__(self, values: np.ndarray) -> None:
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None) -> None:
        assert logs is not None
        logs["val_loss"] = float(self.values[epoch])


class EpochRates(keras.callbacks.Callback):
    """The optimizer's learning rate at each epoch's start."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.rates.append(float(self.model.optimizer.learning_rate))  # type: ignore[union-attr]


KERAS_CASES: list[dict[str, Any]] = [
    dict(factor=0.5, patience=1, min_delta=1e-4, cooldown=0, min_lr=0.0),
    dict(factor=0.2, patience=2, min_delta=0.02, cooldown=1, min_lr=0.005),
    dict(factor=0.5, patience=0, min_delta=0.0, cooldown=2, min_lr=0.0, mode="max"),
]


@pytest.mark.parametrize("case", range(len(KERAS_CASES)))
def test_adaptive_fit_equals_keras_reduce_lr_on_plateau(case: int) -> None:
    from test_adaptive import metric_sequences

    from lrjax.compat import keras as lrk

    kwargs = KERAS_CASES[case]
    epochs = 14
    metrics = metric_sequences(case, n=epochs)
    x, y = data()

    # Keras's own callback on a float learning rate...
    reference = make_model(0.1)
    want = EpochRates()
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    reference.fit(
        x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0,
        callbacks=[ScriptedMetric(metrics), plateau, want],
    )  # fmt: skip
    # ...and the lrjax controller through the adapter.
    schedule = lrjax.keras.LearningRateSchedule(lrk.ReduceLROnPlateau(0.1, **kwargs))
    model = make_model(schedule)
    got = EpochRates()
    history = model.fit(
        x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0,
        callbacks=[ScriptedMetric(metrics), lrjax.keras.AdaptiveCallback(schedule), got],
    )  # fmt: skip
    np.testing.assert_allclose(got.rates, want.rates, rtol=1e-6)
    assert len(set(want.rates)) > 2  # the case reduces more than once
    np.testing.assert_allclose(history.history["learning_rate"], want.rates, rtol=1e-6)
    # The compiled train steps used the reduced rates: the weights follow Keras's.
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_adaptive_base_schedule_moves_per_update_and_save_load_resumes(
    tmp_path: pathlib.Path,
) -> None:
    c = lrjax.reduce_on_plateau(lrjax.warmup(lrjax.constant(0.1), 6), factor=0.5, patience=0)
    schedule = lrjax.keras.LearningRateSchedule(c)
    x, y = data()
    model = make_model(schedule)
    record = RecordRates()
    worse = np.asarray([1.0, 2.0, 3.0])  # the first is an improvement, then a reduction each
    callbacks = [ScriptedMetric(worse), lrjax.keras.AdaptiveCallback(schedule), record]
    model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
    steps = N // BATCH
    t = np.arange(3 * steps)
    scale = np.repeat([1.0, 1.0, 0.5], steps)  # each epoch's rate, set by the epoch before
    np.testing.assert_allclose(record.rates, 0.1 * np.minimum(t / 6, 1.0) * scale, rtol=1e-6)
    assert int(schedule.state.num_reductions) == 2 and float(schedule(0)) == 0.0

    path = tmp_path / "model.keras"
    model.save(path)
    loaded: Any = keras.models.load_model(path)
    restored = loaded.optimizer._learning_rate
    assert restored.schedule == c and int(restored.state.num_reductions) == 2
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.1 / 4)
    assert float(restored.state.best) == 1.0


def test_keras_reduce_lr_on_plateau_cannot_drive_a_schedule() -> None:
    # Keras refuses to assign a float rate to an optimizer built with any schedule.
    x, y = data()
    model = make_model(lrjax.keras.LearningRateSchedule(lrjax.constant(0.1)))
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0)
    with pytest.raises(TypeError, match="not settable"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[plateau])


def test_adaptive_errors() -> None:
    c = lrjax.reduce_on_plateau(0.1)
    plain = lrjax.keras.LearningRateSchedule(lrjax.constant(0.1))
    with pytest.raises(TypeError, match="adaptive schedule"):
        lrjax.keras.AdaptiveCallback(plain)
    with pytest.raises(TypeError, match="not an adaptive schedule"):
        plain.observe(1.0)
    schedule = lrjax.keras.LearningRateSchedule(c)
    with pytest.raises(ValueError, match="one real number"):
        schedule.observe([1.0, 2.0])
    with pytest.raises(ValueError, match="one real number"):
        schedule.observe("low")
    x, y = data()
    other = make_model(0.1)
    with pytest.raises(ValueError, match="does not use this schedule"):
        other.fit(x, y, epochs=1, verbose=0, callbacks=[lrjax.keras.AdaptiveCallback(schedule)])
    model = make_model(schedule)
    with pytest.raises(KeyError, match="needs validation_data"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[lrjax.keras.AdaptiveCallback(schedule)])
    config = schedule.get_config()
    assert set(config["state"]) == {"best", "num_bad", "cooldown", "num_reductions", "scale"}
    for change, match in [
        (lambda s: s.pop("best"), "must have the fields"),
        (lambda s: s.update(num_bad=0.5), r"\['num_bad'\]=0.5: expected an integer"),
        (lambda s: s.update(scale=None), r"\['scale'\]=None: expected a number"),
    ]:
        bad = json.loads(json.dumps(config))
        change(bad["state"])
        with pytest.raises(ValueError, match=match):
            lrjax.keras.LearningRateSchedule.from_config(bad)
    with pytest.raises(ValueError, match="only kept for an adaptive"):
        lrjax.keras.LearningRateSchedule.from_config({**plain.get_config(), "state": {}})


# -- steps beyond int32 -------------------------------------------------------------------

BIG = 2**31  # one past int32, the step type (and Keras's iterations) without jax_enable_x64


@pytest.mark.parametrize("adaptive", [False, True], ids=["plain", "adaptive"])
def test_steps_beyond_int32_are_refused_naming_the_adapter(adaptive: bool) -> None:
    s = lrjax.linear(0.1, 0.0, 2**31 - 1)
    rate = lrjax.keras.LearningRateSchedule(lrjax.reduce_on_plateau(s) if adaptive else s)
    # JAX would narrow NumPy's int64 to int32: -2**31, clamped to step 0, s(0) = 0.1.
    for step in (np.int64(BIG), BIG, np.array([5, BIG])):
        with pytest.raises(OverflowError, match=rf"LearningRateSchedule: step {BIG} does not"):
            rate(step)
    assert float(rate(np.int64(BIG - 1))) == pytest.approx(float(s(BIG - 1)))

    # Keras's own counter cannot hold 2**31: after 2**31 - 1 updates it wraps negative.
    x, y = data()
    model = make_model(rate)
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)
    optimizer: Any = model.optimizer
    with pytest.raises(OverflowError, match=r"int32"):
        optimizer.iterations.assign(BIG)
    optimizer.iterations.assign(BIG - 1)
    assert float(optimizer.learning_rate) == pytest.approx(float(s(BIG - 1)))
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)  # the update at 2**31 - 1
    assert int(optimizer.iterations) == -BIG  # Keras wrapped
    with pytest.raises(OverflowError, match=rf"LearningRateSchedule: step {-BIG} is negative"):
        optimizer.learning_rate  # noqa: B018 - reading it evaluates the schedule
    # In the compiled train step nothing can be raised: a NaN rate, not s(0) again.
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0)
    assert np.isnan(model.get_weights()[0]).all()
