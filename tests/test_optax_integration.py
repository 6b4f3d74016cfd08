"""lrjax schedules inside optax: optimizers, inject_hyperparams, scale_by_schedule, chain.

Also the optimizer-state helpers (step_count, set_step_count, get_hyperparam,
current_learning_rate), the bf16 pitfall (optax #1414) and optax's int32 step counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import TraceCounter, x64

import lrjax


@pytest.fixture(autouse=True)
def _standard_promotion() -> Iterator[None]:
    # optax 0.2.8's adam, adamw and lamb add Python floats to the int32 count (bias
    # correction), which strict promotion rejects; lrjax is tested under strict elsewhere.
    with jax.numpy_dtype_promotion("standard"):
        yield


def _schedule() -> lrjax.AbstractSchedule:
    return lrjax.warmup(lrjax.cosine_decay(0.1, 20, end_value=0.01), 5, init_value=0.02)


def _problem() -> tuple[dict[str, jax.Array], Callable[..., jax.Array]]:
    params = {"w": jnp.array([1.0, -2.0, 0.5]), "b": jnp.asarray(0.3, jnp.float32)}
    x = jnp.asarray(np.random.default_rng(0).normal(size=(16, 3)), jnp.float32)
    y = x @ jnp.array([0.5, 1.0, -1.0]) + 0.2

    def loss(p: dict[str, jax.Array]) -> jax.Array:
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    return params, loss


def _train(opt: optax.GradientTransformation, steps: int = 10) -> list[dict[str, jax.Array]]:
    params, loss = _problem()
    state = opt.init(params)
    history = []

    # Eager on purpose: ten tiny steps run faster than compiling them.
    def step(params, state):
        grads = jax.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(steps):
        params, state = step(params, state)
        history.append(params)
    return history


# -- the first update uses s(0), then s(1), ... ---------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda s: optax.sgd(s),
        lambda s: optax.scale_by_schedule(s),
        lambda s: optax.chain(optax.identity(), optax.scale_by_schedule(s)),
        lambda s: optax.inject_hyperparams(optax.sgd)(learning_rate=s),
    ],
    ids=["sgd", "scale_by_schedule", "chain", "inject_hyperparams"],
)
def test_update_t_uses_schedule_at_t(make: Callable[[lrjax.AbstractSchedule], Any]) -> None:
    s = _schedule()
    opt = make(s)
    params = jnp.zeros(2)
    state = opt.init(params)
    used = []
    for _ in range(8):
        updates, state = opt.update(jnp.ones(2), state, params)
        used.append(abs(float(updates[0])))
    expected = np.asarray(s(jnp.arange(8)))
    np.testing.assert_array_equal(np.asarray(used, np.float32), expected)
    assert used[0] == float(s(0)) == pytest.approx(0.02)


# -- a constant schedule equals a float learning rate ----------------------------------------

OPTIMIZERS = {
    "sgd": lambda lr: optax.sgd(lr),
    "sgd_momentum": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "adam": lambda lr: optax.adam(lr),
    "adamw": lambda lr: optax.adamw(lr, weight_decay=1e-2),
    "lion": lambda lr: optax.lion(lr),
    "rmsprop": lambda lr: optax.rmsprop(lr),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_constant_schedule_equals_float_learning_rate(name: str) -> None:
    make = OPTIMIZERS[name]
    with_float = _train(make(0.05))
    with_schedule = _train(make(lrjax.constant(0.05)))
    injected = _train(optax.inject_hyperparams(make)(lr=lrjax.constant(0.05)))
    for a, b, c in zip(with_float, with_schedule, injected, strict=True):
        for key in a:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(c[key], a[key], rtol=1e-6, atol=1e-7)
    # The runs really trained (a no-op optimizer would pass the equalities above).
    assert not np.allclose(with_float[-1]["w"], _problem()[0]["w"])


# -- inject_hyperparams: non-LR hyperparameters, and the stored values ----------------------


def test_inject_hyperparams_schedules_b1_and_weight_decay() -> None:
    lr = _schedule()
    b1 = lrjax.linear(0.8, 0.95, 6)
    wd = lrjax.piecewise_constant([3], [0.0, 0.1])
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr, b1=b1, weight_decay=wd)
    params: Any
    ref_params: Any
    params, loss = _problem()
    state = opt.init(params)
    ref_params, ref_state = params, optax.adamw(1.0).init(params)
    for t in range(8):
        grads = jax.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        # What update t used, as stored by inject_hyperparams:
        for name, s in (("learning_rate", lr), ("b1", b1), ("weight_decay", wd)):
            assert float(lrjax.get_hyperparam(state, name)) == float(s(t)), (name, t)
        # Reference: adamw rebuilt from Python floats at each step, same inner state.
        ref = optax.adamw(float(lr(t)), b1=float(b1(t)), weight_decay=float(wd(t)))
        ref_grads = jax.grad(loss)(ref_params)
        ref_updates, ref_state = ref.update(ref_grads, ref_state, ref_params)
        ref_params = optax.apply_updates(ref_params, ref_updates)
        for key in params:
            np.testing.assert_allclose(params[key], ref_params[key], rtol=1e-5, atol=1e-5)
    assert int(lrjax.step_count(state)) == 8


def test_chain_of_transforms_equals_adam_with_schedule() -> None:
    s = _schedule()
    chained = optax.chain(
        optax.clip_by_global_norm(10.0),
        optax.scale_by_adam(),
        optax.scale_by_schedule(s),
        optax.scale(-1.0),
    )
    direct = optax.chain(optax.clip_by_global_norm(10.0), optax.adam(s))
    for a, b in zip(_train(chained), _train(direct), strict=True):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-6, atol=1e-7)


# -- one compiled train step for every schedule's values (optax #577) ----------------------


def test_schedule_as_jit_argument_never_recompiles() -> None:
    params, loss = _problem()
    counter = TraceCounter()

    @jax.jit
    @counter.wrap
    def train_step(params, opt_state, schedule):
        opt = optax.adamw(schedule)  # built inside from the traced schedule
        grads = jax.grad(loss)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    results = []
    for peak, warm in [(0.1, 5), (0.05, 2), (0.2, 7), (0.01, 0)]:
        s = lrjax.warmup(lrjax.cosine_decay(peak, 20), warm)
        p, st = params, optax.adamw(s).init(params)
        for _ in range(3):
            p, st = train_step(p, st, s)
        results.append(p)
        # Same numbers as an optimizer whose schedule is closed over (a constant in the trace).
        closed = _train(optax.adamw(s), steps=3)[-1]
        for key in p:
            np.testing.assert_allclose(p[key], closed[key], rtol=1e-6, atol=1e-7)
    assert counter.count == 1
    assert train_step._cache_size() == 1  # type: ignore[attr-defined]
    assert not np.allclose(results[0]["w"], results[1]["w"])


# -- reading the state ---------------------------------------------------------------------


def test_current_learning_rate_agrees_with_inject_hyperparams() -> None:
    s = _schedule()
    injected = optax.inject_hyperparams(optax.adam)(learning_rate=s)
    plain = optax.adam(s)
    params = jnp.zeros(3)
    st_i, st_p = injected.init(params), plain.init(params)
    for t in range(7):
        expected = float(s(max(t - 1, 0)))
        assert float(lrjax.current_learning_rate(st_i)) == expected
        assert float(lrjax.current_learning_rate(st_p, s)) == expected
        assert float(lrjax.current_learning_rate(st_i, s)) == expected
        assert int(lrjax.step_count(st_p)) == t
        assert float(s(lrjax.step_count(st_p))) == float(s(t))  # the next update's rate
        _, st_i = injected.update(jnp.ones(3), st_i, params)
        _, st_p = plain.update(jnp.ones(3), st_p, params)


def test_helpers_work_inside_jit_and_nested_states() -> None:
    s = _schedule()
    opt = optax.multi_transform(
        {"a": optax.adam(s), "b": optax.inject_hyperparams(optax.sgd)(learning_rate=s)},
        {"w": "a", "v": "b"},
    )
    params = {"w": jnp.zeros(2), "v": jnp.zeros(2)}
    state = opt.init(params)
    for _ in range(3):
        _, state = opt.update({"w": jnp.ones(2), "v": jnp.ones(2)}, state, params)
    assert int(jax.jit(lrjax.step_count)(state)) == 3
    assert float(jax.jit(lrjax.current_learning_rate)(state)) == float(s(2))


def test_set_step_count_resumes_the_schedule() -> None:
    s = _schedule()
    opt = optax.adam(s)
    params = jnp.zeros(2)
    state = opt.init(params)
    for _ in range(5):
        _, state = opt.update(jnp.ones(2), state, params)
    fresh = lrjax.set_step_count(opt.init(params), 5)
    assert int(lrjax.step_count(fresh)) == 5
    # Every counter (scale_by_adam's and scale_by_schedule's) moved; the moments did not.
    assert [int(x) for x in jax.tree.leaves(fresh) if np.ndim(x) == 0] == [5, 5]
    # Adam's moments are not restored, but the learning rate is the one of step 5.
    assert float(lrjax.current_learning_rate(fresh, s)) == float(s(4))
    assert lrjax.step_count(fresh).dtype == jnp.int32


def test_helper_errors() -> None:
    state = optax.sgd(0.1).init(jnp.zeros(2))
    with pytest.raises(ValueError, match="step_count: opt_state holds no optax step counter"):
        lrjax.step_count(state)
    with pytest.raises(ValueError, match="set_step_count"):
        lrjax.set_step_count(state, 3)
    with pytest.raises(ValueError, match="pass the schedule"):
        lrjax.current_learning_rate(optax.adam(0.1).init(jnp.zeros(2)))
    injected = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1).init(jnp.zeros(2))
    with pytest.raises(ValueError, match=r"hyperparameters found: 'learning_rate'"):
        lrjax.get_hyperparam(injected, "b1")
    adam_state = optax.adam(_schedule()).init(jnp.zeros(2))
    with pytest.raises(ValueError, match=r"step must be >= 0"):
        lrjax.set_step_count(adam_state, -1)
    with pytest.raises(OverflowError, match="int32"):
        lrjax.set_step_count(adam_state, 2**31)
    with pytest.raises(TypeError, match="integer"):
        lrjax.set_step_count(adam_state, True)
    with pytest.raises(ValueError, match="whole"):
        lrjax.set_step_count(adam_state, 2.5)


# -- bf16 parameters: the learning rate through inject_hyperparams (optax #1414) ------------


def test_bf16_params_round_injected_hyperparams_unless_hyperparam_dtype() -> None:
    s = lrjax.warmup(lrjax.constant(3e-4), 100)
    params = jnp.zeros(4, jnp.bfloat16)
    grads = jnp.full(4, 0.5, jnp.bfloat16)

    def run(opt: optax.GradientTransformation) -> tuple[list[np.ndarray], Any]:
        state = opt.init(params)
        rates = []
        for _ in range(6):
            _, state = opt.update(grads, state, params)
            rates.append(np.asarray(lrjax.get_hyperparam(state, "learning_rate")))
        return rates, state

    expected = np.asarray(s(jnp.arange(6)))
    # The pitfall: numeric hyperparameters follow the parameters' dtype. Adam's b2 = 0.999
    # rounds to 1.0 in bf16, so the second-moment bias correction divides by 1 - 1**t = 0;
    # a float learning rate 3e-4 becomes 2.9945e-4.
    rates, state = run(optax.inject_hyperparams(optax.adam)(learning_rate=s))
    b2 = lrjax.get_hyperparam(state, "b2")
    assert b2.dtype == jnp.bfloat16 and float(b2) == 1.0
    broken, _ = optax.inject_hyperparams(optax.adam)(learning_rate=s).update(grads, state, params)
    assert not np.all(np.isfinite(np.asarray(broken, np.float32)))
    float_lr = optax.inject_hyperparams(optax.adam)(learning_rate=3e-4).init(params)
    assert float(lrjax.get_hyperparam(float_lr, "learning_rate")) == float(jnp.bfloat16(3e-4))
    assert float(jnp.bfloat16(3e-4)) != float(np.float32(3e-4))
    # lrjax schedules return strongly typed float32, which inject_hyperparams keeps.
    assert all(r.dtype == np.float32 for r in rates)
    np.testing.assert_array_equal(np.asarray(rates), expected)
    # The fix: hyperparam_dtype=jnp.float32 keeps every hyperparameter in float32.
    fixed = optax.inject_hyperparams(optax.adam, hyperparam_dtype=jnp.float32)
    rates, state = run(fixed(learning_rate=s))
    b2 = lrjax.get_hyperparam(state, "b2")
    assert b2.dtype == jnp.float32 and float(b2) == float(np.float32(0.999))
    healthy, _ = fixed(learning_rate=s).update(grads, state, params)
    assert np.all(np.isfinite(np.asarray(healthy, np.float32)))
    np.testing.assert_array_equal(np.asarray(rates), expected)
    float_lr = fixed(learning_rate=3e-4).init(params)
    assert float(lrjax.get_hyperparam(float_lr, "learning_rate")) == float(np.float32(3e-4))


# -- optax's int32 step counter --------------------------------------------------------------


def test_int32_counter_saturates_and_every_step_below_it_is_resolved() -> None:
    total = 2**31 - 1
    s = lrjax.linear(1.0, 0.0, total)
    opt = optax.scale_by_schedule(s)
    params = jnp.zeros(1)
    state = lrjax.set_step_count(opt.init(params), total - 3)
    used = []
    updates: Any
    for _ in range(5):
        updates, state = opt.update(jnp.ones(1), state, params)
        used.append(float(updates[0]))
    assert int(lrjax.step_count(state)) == total  # saturated: it never wraps
    reference = [3 / total, 2 / total, 1 / total, 0.0, 0.0]
    np.testing.assert_allclose(used, reference, rtol=1e-6, atol=0)
    assert used[0] > used[1] > used[2] > 0.0  # consecutive steps near 2**31 are distinct


def test_external_int64_step_for_runs_past_int32() -> None:
    with x64():
        total = 2**34
        s = lrjax.linear(1.0, 0.0, total)
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)
        params = jnp.zeros(1, jnp.float32)
        state: Any = opt.init(params)
        updates: Any
        step = jnp.asarray(3 * 2**32, jnp.int64)
        state.hyperparams["learning_rate"] = s(step)
        updates, state = opt.update(jnp.ones(1, jnp.float32), state, params)
        assert float(updates[0]) == -0.25


# -- schedule length from the data ---------------------------------------------------------


def test_num_training_steps() -> None:
    assert lrjax.num_training_steps(5000, 32, 3) == 3 * 157 == 471
    assert lrjax.num_training_steps(5000, 32, 3, drop_remainder=True) == 3 * 156
    assert lrjax.num_training_steps(64, 32, 2) == lrjax.num_training_steps(64, 32, 2, True) == 4
    assert lrjax.num_training_steps(10, 100) == 1  # one partial batch
    assert lrjax.num_training_steps(1000, 32, 0.5) == 16  # floor(0.5 * 32)
    assert lrjax.num_training_steps(np.int64(1000), 1e1, np.int32(2)) == 200
    with pytest.raises(ValueError, match=r"num_training_steps\(batch_size=0\).*>= 1"):
        lrjax.num_training_steps(100, 0, 1)
    with pytest.raises(ValueError, match="num_examples"):
        lrjax.num_training_steps(-5, 10, 1)
    with pytest.raises(ValueError, match="whole number"):
        lrjax.num_training_steps(100.5, 10, 1)
    with pytest.raises(TypeError, match="batch_size"):
        lrjax.num_training_steps(100, True, 1)
    with pytest.raises(ValueError, match="epochs must be > 0"):
        lrjax.num_training_steps(100, 10, 0)
    with pytest.raises(ValueError, match="at least one update"):
        lrjax.num_training_steps(100, 10, 0.05)
    with pytest.raises(ValueError, match="batch_size must be <= num_examples"):
        lrjax.num_training_steps(10, 32, 1, drop_remainder=True)
    with pytest.raises(TypeError, match="drop_remainder"):
        lrjax.num_training_steps(10, 2, 1, drop_remainder=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(lambda n: lrjax.num_training_steps(n, 2, 1))(10)


def test_counts_beyond_int32_are_refused_naming_the_helper() -> None:
    # An int64 count (restored from a checkpoint, or set by hand): JAX would narrow 2**31 to
    # -2**31, and current_learning_rate would read s(2**31 - 1) after the wrap.
    s = lrjax.linear(1.0, 0.0, 2**31 - 1)
    state = optax.adam(s).init(jnp.zeros(2))
    big = jax.tree.map(lambda x: np.int64(2**31) if np.ndim(x) == 0 else x, state)
    with pytest.raises(OverflowError, match=r"step_count: opt_state's step counter is 2147483648"):
        lrjax.step_count(big)
    with pytest.raises(OverflowError, match=r"current_learning_rate: opt_state's step counter is"):
        lrjax.current_learning_rate(big, s)
    # The largest int32 count still reads exactly, also from an int64 (as optax saturates).
    last = jax.tree.map(lambda x: np.int64(2**31 - 1) if np.ndim(x) == 0 else x, state)
    assert int(lrjax.step_count(last)) == 2**31 - 1
    assert float(lrjax.current_learning_rate(last, s)) == float(s(2**31 - 2))
    with x64():  # 64-bit steps: the same count is valid and exact
        assert int(lrjax.step_count(big)) == 2**31
        assert lrjax.step_count(big).dtype == jnp.int64
