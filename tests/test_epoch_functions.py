"""Per-epoch Python functions as schedules: torch ``LambdaLR``/``MultiplicativeLR`` and Keras's
``LearningRateScheduler`` callback, against the real libraries driven by their own loops."""

from __future__ import annotations

import json
import math
import pickle
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjax
from lrjax.compat import keras as lrk
from lrjax.compat import torch as lrt

# -- the peers, driven as their documentation shows -------------------------------------


def torch_epoch_curve(make: Any, base_lr: float, num_epochs: int, spe: int) -> np.ndarray:
    """The lr of each update when ``scheduler.step()`` runs after every ``spe`` updates."""
    import torch

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    scheduler = make(opt)
    lrs = []
    for _ in range(num_epochs):
        for _ in range(spe):
            lrs.append(float(opt.param_groups[0]["lr"]))
            opt.step()
        scheduler.step()
    return np.asarray(lrs)


def keras_model(lr: float) -> Any:
    import keras

    model = keras.Sequential([keras.layers.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


def keras_epoch_curve(fn: Any, lr: float, num_epochs: int, spe: int) -> np.ndarray:
    """The optimizer's lr in each epoch, the callback driven at each epoch's beginning."""
    import keras

    model = keras_model(lr)
    cb = keras.callbacks.LearningRateScheduler(fn)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch in range(num_epochs):
        cb.on_epoch_begin(epoch)
        lrs += [np.asarray(model.optimizer.learning_rate, np.float32)] * spe
    return np.asarray(lrs, np.float32)


class Warmup:
    """A callable object, as torch's ``lr_lambda`` may be."""

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / 4)


LAMBDAS = {
    "exp": lambda e: 0.95**e,
    "step": lambda e: 0.1 ** (e // 3),
    "warmup_object": Warmup(),
    "numpy_float32": lambda e: np.float32(1.0 / (1.0 + 0.3 * e)),
    "zero_then_one": lambda e: 0.0 if e == 0 else 1.0,
}

MULTIPLIERS = {
    "constant": lambda e: 0.95,
    "every_third": lambda e: 0.5 if e % 3 == 0 else 1.0,
    "growing": lambda e: 1.0 + 0.05 * e,
    "int": lambda e: 1,
}


@pytest.mark.parametrize("spe", [1, 3])
@pytest.mark.parametrize("name", list(LAMBDAS))
def test_lambda_lr_matches_torch(name, spe):
    import torch

    fn, n, base = LAMBDAS[name], 17, 0.3
    want = torch_epoch_curve(lambda o: torch.optim.lr_scheduler.LambdaLR(o, fn), base, n, spe)
    s = lrt.lambda_lr(base, fn, n, steps_per_epoch=spe)
    got = np.asarray(s(jnp.arange(n * spe)))
    # Each value is b * f_e with b and f_e rounded to float32: within two roundings.
    np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=0)
    # After the horizon the last epoch's value holds.
    np.testing.assert_array_equal(np.asarray(s(jnp.array([n * spe, 10**6]))), [got[-1]] * 2)


@pytest.mark.parametrize("spe", [1, 4])
@pytest.mark.parametrize("name", list(MULTIPLIERS))
def test_multiplicative_lr_matches_torch(name, spe):
    import torch

    fn, n, base = MULTIPLIERS[name], 23, 0.2
    make = lambda o: torch.optim.lr_scheduler.MultiplicativeLR(o, fn)  # noqa: E731
    want = torch_epoch_curve(make, base, n, spe)
    s = lrt.multiplicative_lr(base, fn, n, steps_per_epoch=spe)
    got = np.asarray(s(jnp.arange(n * spe)))
    np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=0)
    assert float(s(10**6)) == got[-1]


def test_multiplicative_lr_chains_like_torch():
    import torch

    fn, n, base = MULTIPLIERS["every_third"], 30, 0.5

    def make(o):
        a = torch.optim.lr_scheduler.MultiplicativeLR(o, fn)
        b = torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)
        return torch.optim.lr_scheduler.ChainedScheduler([a, b])

    want = torch_epoch_curve(make, base, n, 1)
    s = lrt.chained_scheduler(
        [lrt.multiplicative_lr(base, fn, n), lrt.exponential_lr(base, gamma=0.9)]
    )
    np.testing.assert_allclose(np.asarray(s(jnp.arange(n))), want, rtol=1e-6)
    # LambdaLR overwrites the lr (not multiplicative): torch's chain depends on the order.
    with pytest.raises(TypeError, match=r"chained_scheduler\(schedulers\[0\]=TorchLambdaLR\)"):
        lrt.chained_scheduler([lrt.lambda_lr(base, fn, n), lrt.exponential_lr(base, 0.9)])


def test_torch_functions_are_called_once_per_epoch_and_not_stored():
    calls: list[int] = []

    def fn(epoch):
        calls.append(epoch)
        return 0.5

    s = lrt.lambda_lr(1.0, fn, 4)
    assert calls == [0, 1, 2, 3]
    calls.clear()
    m = lrt.multiplicative_lr(1.0, fn, 4)  # torch never calls lr_lambda(0)
    assert calls == [1, 2, 3]
    for x in (s, m):
        assert "fn" not in repr(x) and "function" not in json.dumps(lrjax.to_config(x))
        assert not any(callable(leaf) for leaf in jax.tree.leaves(x))


KERAS_FUNCTIONS = {
    # Keras's documented example: keep the lr for ten epochs, then decay it exponentially.
    "doc_example": lambda epoch, lr: lr if epoch < 10 else lr * math.exp(-0.1),
    "halve_every_4": lambda epoch, lr: lr * 0.5 if epoch % 4 == 3 else lr,
    "one_argument": lambda epoch: 0.1 / (1.0 + epoch),
    "numpy_float64": lambda epoch, lr: np.float64(lr * 0.97 + 1e-5),
    "absolute": lambda epoch, lr: float(0.01 * (epoch % 5 + 1)),
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("spe", [1, 3])
@pytest.mark.parametrize("name", list(KERAS_FUNCTIONS))
def test_learning_rate_scheduler_matches_keras(name, spe):
    fn, n, lr = KERAS_FUNCTIONS[name], 25, 0.1
    want = keras_epoch_curve(fn, lr, n, spe)
    s = lrk.LearningRateScheduler(fn, lr, n, steps_per_epoch=spe)
    got = np.asarray(s(jnp.arange(n * spe)))
    # The recursion passes the lr through float32 between epochs, as Keras's variable does.
    np.testing.assert_array_equal(got, want)
    assert float(s(n * spe + 1000)) == float(want[-1])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_learning_rate_scheduler_matches_keras_fit_per_batch():
    """Keras's own ``fit`` loop with the callback: the lr of each batch update."""
    import keras

    fn, epochs, batches = KERAS_FUNCTIONS["halve_every_4"], 9, 3
    model = keras_model(0.05)
    seen: list[float] = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(np.asarray(self.model.optimizer.learning_rate)))  # pyright: ignore[reportOptionalMemberAccess]

    x = np.linspace(-1, 1, 4 * batches, dtype=np.float32)[:, None]
    callbacks = [keras.callbacks.LearningRateScheduler(fn), Record()]
    # Keras's internals need NumPy's promotion rules (the suite runs JAX's strict ones).
    with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        model.fit(x, 2 * x, batch_size=4, epochs=epochs, callbacks=callbacks, verbose=0)
    s = lrk.LearningRateScheduler(fn, 0.05, epochs, steps_per_epoch=batches)
    assert len(seen) == epochs * batches
    np.testing.assert_array_equal(np.asarray(s(jnp.arange(epochs * batches))), seen)

    # The schedule in a Keras optimizer (lrjax's adapter), without the callback: same rates.
    import lrjax.keras

    callback_rates = list(seen)
    seen.clear()
    model = keras_model(0.05)
    rate = lrjax.keras.LearningRateSchedule(s)
    model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")  # pyright: ignore[reportArgumentType]
    with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        model.fit(x, 2 * x, batch_size=4, epochs=epochs, callbacks=[Record()], verbose=0)
    np.testing.assert_array_equal(seen, callback_rates)


def test_keras_one_argument_fallback_and_calls():
    calls: list[tuple[Any, ...]] = []

    def two(epoch, lr):
        calls.append((epoch, lr))
        return lr * 0.5

    s = lrk.LearningRateScheduler(two, 1.0, 3)
    assert calls == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert s.values.tolist() == [0.5, 0.25, 0.125]
    calls.clear()

    def one(epoch):
        calls.append((epoch,))
        return 0.1 * (epoch + 1)

    lrk.LearningRateScheduler(one, 1.0, 2)
    assert calls == [(0,), (1,)]


# -- an ordinary schedule: jit, vmap, config, parse, plot --------------------------------


def examples() -> list[lrjax.AbstractSchedule]:
    return [
        lrt.lambda_lr(0.1, LAMBDAS["warmup_object"], 6, steps_per_epoch=5),
        lrt.multiplicative_lr(0.1, MULTIPLIERS["constant"], 6, steps_per_epoch=5),
        lrk.LearningRateScheduler(KERAS_FUNCTIONS["halve_every_4"], 0.1, 6, steps_per_epoch=5),
    ]


@pytest.mark.parametrize("i", range(3))
def test_config_repr_pickle_round_trip(i):
    s = examples()[i]
    config = json.loads(json.dumps(lrjax.to_config(s)))
    for back in (lrjax.from_config(config), lrjax.parse(repr(s)), pickle.loads(pickle.dumps(s))):
        assert back == s and type(back) is type(s)
        np.testing.assert_array_equal(np.asarray(back(jnp.arange(40))), s(jnp.arange(40)))
    assert s != lrjax.from_config(json.loads(json.dumps(config).replace("5", "4")))


@pytest.mark.parametrize("i", range(3))
def test_jit_vmap_and_plot(i):
    s = examples()[i]
    t = jnp.arange(40)
    want = np.asarray(s(t))
    f = jax.jit(lambda sched, t: sched(t))
    np.testing.assert_array_equal(np.asarray(f(s, t)), want)
    # Another table of the same length reuses the compiled program (leaves, not structure).
    # (Doubling every float leaf doubles the torch tables' base_lr and factors: 4x.)
    scale = 2.0 if isinstance(s, lrk.KerasLearningRateScheduler) else 4.0
    other = jax.tree.map(lambda x: x * 2 if np.asarray(x).dtype.kind == "f" else x, s)
    np.testing.assert_allclose(np.asarray(f(other, t)), scale * want, rtol=1e-7)
    assert f._cache_size() == 1  # type: ignore[attr-defined]
    batch = jax.tree.map(lambda a, b: jnp.stack([jnp.asarray(a), jnp.asarray(b)]), s, other)
    rows = jax.vmap(lambda sched: sched(t))(batch)
    np.testing.assert_allclose(np.asarray(rows), np.stack([want, scale * want]), rtol=1e-7)
    assert s.phase_boundaries() == (5, 10, 15, 20, 25)
    ax = lrjax.plot(s, 40, num_bins=80)
    assert len(ax.lines) >= 1


def test_base_lr_is_a_leaf_to_vmap_over():
    s = lrt.lambda_lr(1.0, LAMBDAS["exp"], 10)
    lrs = jax.vmap(lambda b: lrt.lambda_lr(b, factors=s.factors)(jnp.arange(10)))(
        jnp.array([0.1, 0.2])
    )
    np.testing.assert_allclose(np.asarray(lrs[1]), 0.2 * np.asarray(s(jnp.arange(10))), rtol=1e-6)


# -- bad input: clear errors naming the function and the argument -------------------------


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: lrt.lambda_lr(0.1, lambda e: 1.0, 0), ValueError, r"lambda_lr\(num_epochs=0"),
        (lambda: lrt.lambda_lr(0.1, lambda e: 1.0, 2.5), ValueError, r"num_epochs=2.5"),  # pyright: ignore[reportArgumentType]
        (lambda: lrt.lambda_lr(0.1, lambda e: 1.0), TypeError, r"lambda_lr: give lr_lambda and"),
        (
            lambda: lrt.lambda_lr(0.1, lambda e: [1.0] if e == 2 else 1.0, 4),
            TypeError,
            r"lambda_lr\(lr_lambda=...\): lr_lambda\(2\) returned \[1.0\]; .*real number",
        ),
        (
            lambda: lrt.lambda_lr(0.1, lambda e: math.nan, 3),
            ValueError,
            r"lr_lambda\(0\) returned nan; the learning rate must be finite",
        ),
        (lambda: lrt.lambda_lr(0.1, lambda e: -0.5, 3), ValueError, r"finite and >= 0"),
        (lambda: lrt.lambda_lr(0.1, lambda e: "0.5", 3), TypeError, r"returned '0.5'"),
        (lambda: lrt.lambda_lr(0.1, lambda e: None, 3), TypeError, r"returned None"),
        (lambda: lrt.lambda_lr(0.1, lambda e: True, 3), TypeError, r"returned True"),
        (lambda: lrt.lambda_lr(0.1, [abs, abs], 3), TypeError, r"give one function"),  # pyright: ignore[reportArgumentType]
        (lambda: lrt.lambda_lr(0.1, 0.5, 3), TypeError, r"should be a function"),  # pyright: ignore[reportArgumentType]
        (
            lambda: lrt.lambda_lr(0.1, abs, 3, factors=[1.0]),
            TypeError,
            r"lambda_lr: give lr_lambda and num_epochs, or factors",
        ),
        (lambda: lrt.lambda_lr(0.1, abs, 3, 0), ValueError, r"lambda_lr\(steps_per_epoch=0"),
        (lambda: lrt.lambda_lr(-0.1, abs, 3), ValueError, r"lambda_lr\(base_lr=-0.1"),
        (lambda: lrt.lambda_lr(0.1, factors=[]), ValueError, r"at least one epoch"),
        (
            lambda: lrt.lambda_lr(0.1, factors=[1.0] * 3, steps_per_epoch=2**30),
            OverflowError,
            r"lambda_lr\(steps_per_epoch=1073741824\): 3 epochs",
        ),
        (
            lambda: lrt.multiplicative_lr(0.1, lambda e: math.inf if e == 2 else 1.0, 4),
            ValueError,
            r"multiplicative_lr\(lr_lambda=...\): lr_lambda\(2\) returned inf",
        ),
        (
            lambda: lrk.LearningRateScheduler(lambda e, lr: math.nan, 0.1, 3),
            ValueError,
            r"LearningRateScheduler\(schedule=...\): schedule\(0, 0.10000000149011612\) "
            r"returned nan",
        ),
        (
            lambda: lrk.LearningRateScheduler(lambda e, lr: 1e39, 0.1, 3),
            ValueError,
            r"overflows Keras's float32",
        ),
        (
            lambda: lrk.LearningRateScheduler(lambda e: 0.1, 0.1, 0),
            ValueError,
            r"LearningRateScheduler\(num_epochs=0",
        ),
        (
            lambda: lrk.LearningRateScheduler(lambda e: 0.1, -1.0, 3),
            ValueError,
            r"LearningRateScheduler\(initial_learning_rate=-1.0",
        ),
        (lambda: lrk.LearningRateScheduler(0.1, 0.1, 3), TypeError, r"must be a function"),  # pyright: ignore[reportArgumentType]
        (
            lambda: lrk.LearningRateScheduler(abs, 0.1, 3, values=[0.1]),
            TypeError,
            r"or values .*not both",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_traced_horizon_or_initial_lr_is_rejected():
    with pytest.raises(TypeError, match=r"lambda_lr\(num_epochs=...\): must be a concrete"):
        jax.jit(lambda n: lrt.lambda_lr(0.1, abs, n)(0))(3)
    with pytest.raises(TypeError, match=r"initial_learning_rate=...\): must be a concrete"):
        jax.jit(lambda lr: lrk.LearningRateScheduler(lambda e: 0.1, lr, 3)(0))(0.1)


# -- the parity figures of docs/compat_torch_hf_timm.md and docs/compat_optax_keras.md ----


def parity_table(num_epochs: int = 60, spe: int = 3) -> list[tuple[str, str, float]]:
    """The largest relative difference from the peer, per function above (Keras: absolute
    values; torch: ``base_lr`` 0.3 or 0.2), over ``num_epochs`` epochs of ``spe`` steps."""
    import torch

    def rel(got: Any, want: np.ndarray) -> float:
        want = np.asarray(want, np.float64)
        d = np.abs(np.asarray(got, np.float64) - want)
        return float(np.max(d / np.where(want != 0, np.abs(want), 1.0)))

    t, rows = jnp.arange(num_epochs * spe), []
    for name, fn in LAMBDAS.items():
        make = lambda o, fn=fn: torch.optim.lr_scheduler.LambdaLR(o, fn)  # noqa: E731
        want = torch_epoch_curve(make, 0.3, num_epochs, spe)
        rows.append(("LambdaLR", name, rel(lrt.lambda_lr(0.3, fn, num_epochs, spe)(t), want)))
    for name, fn in MULTIPLIERS.items():
        make = lambda o, fn=fn: torch.optim.lr_scheduler.MultiplicativeLR(o, fn)  # noqa: E731
        want = torch_epoch_curve(make, 0.2, num_epochs, spe)
        got = lrt.multiplicative_lr(0.2, fn, num_epochs, spe)(t)
        rows.append(("MultiplicativeLR", name, rel(got, want)))
    for name, fn in KERAS_FUNCTIONS.items():
        want = keras_epoch_curve(fn, 0.1, num_epochs, spe)
        got = lrk.LearningRateScheduler(fn, 0.1, num_epochs, spe)(t)
        rows.append(("LearningRateScheduler", name, rel(got, want)))
    return rows


if __name__ == "__main__":  # KERAS_BACKEND=jax python tests/test_epoch_functions.py
    import warnings

    warnings.simplefilter("ignore")
    table = parity_table()
    for peer, name, diff in table:
        print(f"{peer:22s} {name:14s} {diff:.2e}")
    for peer in dict.fromkeys(row[0] for row in table):
        print(f"{peer}: largest relative difference {max(d for p, _, d in table if p == peer):.2e}")
