"""Keras ``model.fit`` with an lrjax schedule: the fine-tuning tutorial recipe, done right.

Adam starts at 5e-5 and decays linearly to 0 over exactly ``epochs * ceil(N / batch)``
updates (``lrjax.num_training_steps``), so the last update uses the last value of the
decay (the tutorials' classic mistakes are ``N // batch``, which ends early, or counting
examples instead of batches). The decay is ``PolynomialDecay`` from ``lrjax.compat.keras``
(Keras's own formula and argument names), wrapped by ``lrjax.keras.LearningRateSchedule``
for the optimizer. A callback prints the rate used by each epoch's first and last updates;
the model is then saved and loaded back with its schedule.

Uses the JAX backend unless KERAS_BACKEND is set (the torch backend works too).

Run: python examples/keras_fit.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import tempfile
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrjax  # noqa: E402
import lrjax.keras  # noqa: E402
from lrjax.compat import keras as lrk  # noqa: E402


class PrintRates(keras.callbacks.Callback):
    """Records the learning rate of every update; prints each epoch's first and last."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def on_train_batch_begin(self, batch, logs=None) -> None:
        model: Any = self.model
        self.rates.append(float(model.optimizer.learning_rate))

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.start = len(self.rates)

    def on_epoch_end(self, epoch, logs=None) -> None:
        first, last = self.rates[self.start], self.rates[-1]
        loss = (logs or {}).get("loss", float("nan"))
        print(f"  epoch {epoch + 1}: loss {loss:.4f}  lr {first:.3e} -> {last:.3e}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    n, batch_size, epochs = (100, 16, 2) if args.quick else (5000, 32, 3)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 20)).astype("float32")
    labels = (x[:, :10].sum(axis=1) > 0).astype("int32")

    num_train_steps = lrjax.num_training_steps(n, batch_size, epochs)  # 3 * ceil(5000 / 32)
    decay = lrk.PolynomialDecay(5e-5, num_train_steps, end_learning_rate=0.0)
    schedule = lrjax.keras.LearningRateSchedule(decay)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)  # type: ignore[arg-type]

    keras.utils.set_random_seed(0)
    model: Any = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(2)]
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    print(f"Keras {keras.__version__}, {keras.backend.backend()} backend")
    print(f"{n} examples, batch {batch_size}, {epochs} epochs: {num_train_steps} updates")
    record = PrintRates()
    model.fit(x, labels, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[record])

    rates = np.asarray(record.rates, np.float32)
    expected = np.asarray(decay(np.arange(num_train_steps)))
    assert len(rates) == num_train_steps and np.array_equal(rates, expected)
    print(f"first update lr {rates[0]:.3e}, last update lr {rates[-1]:.3e} (step {len(rates) - 1})")
    print(f"after training: lr {float(optimizer.learning_rate):.1e} (the decay has ended)")

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "model.keras"
        model.save(path)
        loaded: Any = keras.models.load_model(path)  # importing lrjax.keras registered the class
    restored = loaded.optimizer._learning_rate
    print("restored schedule:", restored)
    assert restored.schedule == decay


if __name__ == "__main__":
    main()
