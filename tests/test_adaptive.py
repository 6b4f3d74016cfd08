"""Adaptive schedules: reduce-on-plateau in the core and in compat, against float64 NumPy
references and the real libraries (torch, Keras, optax), driven through optax."""

from __future__ import annotations

import math
import pickle
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjax
from lrjax.compat import keras as lrk
from lrjax.compat import optax as lro
from lrjax.compat import torch as lrt

# Metrics on a grid of k / 64 (exact in float32) with repeats, so sequences have plateaus,
# ties, improvements within the threshold and NaN; no float32 rounding lands on an edge.
GRID = np.arange(-64, 65) / 64.0


def metric_sequences(seed: int, n: int = 60, negative: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = 1.0
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            level = level  # a tie
        elif r < 0.6:
            level -= rng.integers(1, 4) / 64.0  # an improvement
        elif r < 0.9:
            level += rng.integers(1, 3) / 64.0  # worse
        else:
            out.append(np.nan)
            continue
        level = float(np.clip(level, -1.0, 1.0))
        out.append(level)
    seq = np.asarray(out)
    return -seq if negative else seq


def run(c, metrics, valid=None):
    """The lr before each update and after the last one, through jitted updates."""
    update = jax.jit(lambda c, s, m, ok: c.update(s, value=m, valid=ok))
    state, lrs = c.init(), []
    for i, m in enumerate(metrics):
        lrs.append(float(c(state)))
        state = update(c, state, np.float32(m), True if valid is None else bool(valid[i]))
    lrs.append(float(c(state)))
    return np.asarray(lrs), state


def reference_core(
    base, metrics, factor, patience, mode, threshold, threshold_mode, cooldown, min_scale
):
    """Float64 reference of lrjax.reduce_on_plateau (torch's counters, |best| threshold)."""
    sign = 1.0 if mode == "min" else -1.0
    best, bad, cool, k, lrs = math.inf, 0, 0, 0, []
    for n, m in enumerate(metrics):
        lrs.append(base(n) * max(factor**k, min_scale))
        x = sign * m
        tau = threshold * abs(best) if threshold_mode == "rel" else threshold
        improved = x < (best - tau if math.isfinite(best) else best)
        if improved:
            best, bad = x, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            k, cool, bad = k + 1, cooldown, 0
    lrs.append(base(len(metrics)) * max(factor**k, min_scale))
    return np.asarray(lrs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_core_matches_float64_reference(seed, mode, threshold_mode):
    rng = np.random.default_rng(seed)
    factor, patience, cooldown = [0.5, 0.1, 0.8][seed % 3], int(rng.integers(0, 4)), seed % 3
    threshold = 1e-4 if threshold_mode == "rel" else 0.01
    min_scale = [0.0, 0.05][seed % 2]
    base = lrjax.warmup(lrjax.cosine_decay(1e-2, 100, end_value=1e-3), 5)
    metrics = metric_sequences(seed, negative=(seed % 2 == 1))
    c = lrjax.reduce_on_plateau(
        base,
        factor=factor,
        patience=patience,
        mode=mode,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min_scale=min_scale,
    )
    got, _ = run(c, metrics)
    want = reference_core(
        lambda n: float(base(n)),
        metrics,
        factor,
        patience,
        mode,
        threshold,
        threshold_mode,
        cooldown,
        min_scale,
    )
    np.testing.assert_allclose(got, want, rtol=2e-6)


def test_relative_threshold_uses_abs_best_for_negative_metrics():
    # best = -10; -9.5 is worse, not an improvement (torch's best * (1 - t) would call it one).
    c = lrjax.reduce_on_plateau(1.0, patience=0, threshold=0.1)
    s = c.update(c.init(), value=-10.0)
    s = c.update(s, value=-9.5)
    assert int(s.num_reductions) == 1
    t = lrt.reduce_lr_on_plateau(1.0, patience=0, threshold=0.1)
    s = t.update(t.update(t.init(), value=-10.0), value=-9.5)
    assert int(s.num_reductions) == 0  # torch's rule: -9.5 < -10 * 0.9 = -9 is "better"


def test_nan_never_improves_and_min_scale_floors():
    c = lrjax.reduce_on_plateau(2.0, factor=0.5, patience=0, min_scale=0.3)
    lrs, state = run(c, [1.0, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_allclose(lrs, [2.0, 2.0, 1.0, 0.6, 0.6, 0.6])
    assert float(state.best) == 1.0


def test_valid_mask_advances_count_only():
    c = lrjax.reduce_on_plateau(lrjax.linear(0.0, 1.0, 10), patience=0)
    metrics = [1.0, 5.0, 5.0, 5.0]
    lrs, state = run(c, metrics, valid=[True, False, False, False])
    assert int(state.count) == 4 and int(state.num_reductions) == 0
    np.testing.assert_allclose(lrs, [0.0, 0.1, 0.2, 0.3, 0.4], rtol=1e-6)


# -- the peers -----------------------------------------------------------------------------


def torch_lrs(metrics, lr, **kwargs):
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for m in metrics:
        sched.step(float(m))
        lrs.append(opt.param_groups[0]["lr"])
    return np.asarray(lrs)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_torch_reduce_lr_on_plateau_matches_torch(seed, mode, threshold_mode):
    rng = np.random.default_rng(100 + seed)
    kwargs: dict[str, Any] = dict(
        mode=mode,
        factor=[0.5, 0.1, 0.7][seed % 3],
        patience=int(rng.integers(0, 4)),
        threshold=1e-4 if threshold_mode == "rel" else 0.01,
        threshold_mode=threshold_mode,
        cooldown=seed % 3,
        min_lr=[0.0, 1e-3][seed % 2],
        eps=1e-8,
    )
    metrics = metric_sequences(seed, n=80, negative=(seed % 2 == 1))
    want = torch_lrs(metrics, 0.1, **kwargs)
    c = lrt.reduce_lr_on_plateau(0.1, **kwargs)
    got, _ = run(c, metrics)
    got_before = got[1:]  # c(state) after update i is torch's lr after step i
    reductions = np.concatenate([[0], np.cumsum(np.diff(want) != 0)])[1:]
    np.testing.assert_allclose(got_before, want[1:], rtol=1e-6 + 1.2e-7 * reductions.max())


def keras_lrs(metrics, lr, **kwargs):
    import keras

    model = keras.Sequential([keras.layers.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch, m in enumerate(metrics):
        cb.on_epoch_end(epoch, {"val_loss": float(m)})
        lrs.append(float(np.asarray(model.optimizer.learning_rate)))
    return np.asarray(lrs)


# Keras's own callback reads its variable with np.array(x, copy=False) semantics (Keras's warning).
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["min", "max"])
def test_keras_reduce_lr_on_plateau_matches_keras(seed, mode):
    rng = np.random.default_rng(200 + seed)
    kwargs: dict[str, Any] = dict(
        factor=[0.5, 0.1, 0.7][seed % 3],
        patience=int(rng.integers(0, 4)),
        mode=mode,
        min_delta=[1e-4, 0.01][seed % 2],
        cooldown=seed % 3,
        min_lr=[0.0, 1e-3][seed % 2],
    )
    metrics = metric_sequences(seed, n=80)
    if seed == 0:
        metrics[0] = np.nan  # a leading NaN becomes Keras's best: nothing improves after it
    want = keras_lrs(metrics, 0.1, **kwargs)
    c = lrk.ReduceLROnPlateau(0.1, **kwargs)
    got, _ = run(c, metrics)
    # atol: XLA flushes float32 values below the smallest normal (1.2e-38) to zero.
    np.testing.assert_allclose(got[1:], want, rtol=1e-6 + 1.2e-7 * 20, atol=1.2e-38)


@pytest.mark.parametrize("seed", range(6))
def test_optax_reduce_on_plateau_matches_optax(seed):
    from optax import contrib

    rng = np.random.default_rng(300 + seed)
    kwargs: dict[str, Any] = dict(
        factor=[0.5, 0.1, 0.7][seed % 3],
        patience=int(rng.integers(0, 4)),
        rtol=[1e-4, 0.0][seed % 2],
        atol=[0.0, 0.01][seed % 2],
        cooldown=seed % 3,
        accumulation_size=[1, 3][seed % 2],
        min_scale=[0.0, 0.05][seed % 2],
    )
    metrics = metric_sequences(seed, n=90)
    tx = contrib.reduce_on_plateau(**kwargs)
    params = jnp.zeros(1)
    state = tx.init(params)
    want = []
    update = jax.jit(lambda s, m: tx.update(params, s, params, value=m)[1])
    with jax.numpy_dtype_promotion("standard"):  # optax multiplies its int32 count by a float
        for m in metrics:
            state = update(state, jnp.float32(m))
            want.append(float(state.scale))
    got, _ = run(lro.reduce_on_plateau(**kwargs), metrics)
    np.testing.assert_allclose(got[1:], want, rtol=1e-6 + 1.2e-7 * 20)


# -- optax's protocol ------------------------------------------------------------------------


@pytest.mark.parametrize("make", [optax.adam, optax.sgd, optax.adamw])
def test_inject_hyperparams_drives_the_controller(make):
    c = lrjax.reduce_on_plateau(lrjax.warmup(lrjax.constant(0.1), 3), factor=0.5, patience=1)
    opt = optax.inject_hyperparams(make)(learning_rate=c)
    params = jnp.ones(3)
    state = opt.init(params)

    @jax.jit
    def step(params, state, loss):
        grads = jnp.ones_like(params)
        updates, state = opt.update(grads, state, params, value=loss)
        return optax.apply_updates(params, updates), state

    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]
    seen = []
    with jax.numpy_dtype_promotion("standard"):  # optax's adam is not strict-clean
        for loss in losses:
            params, state = step(params, state, jnp.float32(loss))
            seen.append(float(lrjax.current_learning_rate(state)))
    want, _ = run(c, losses)
    np.testing.assert_allclose(seen, want[:-1], rtol=1e-6)
    assert step._cache_size() == 1  # pyright: ignore[reportAttributeAccessIssue]


def test_lax_scan_and_vmap_population():
    base = lrjax.warmup(lrjax.constant(1e-2), 5)
    factors = jnp.asarray([0.1, 0.5, 0.9])
    patiences = jnp.asarray([0, 2, 5])
    cs = jax.vmap(lambda f, p: lrjax.reduce_on_plateau(base, factor=f, patience=p))(
        factors, patiences
    )
    metrics = jnp.asarray(metric_sequences(7, n=40), jnp.float32)

    def run_one(c):
        def body(state, m):
            return c.update(state, value=m), c(state)

        return jax.lax.scan(body, c.init(), metrics)[1]

    got = jax.jit(jax.vmap(run_one))(cs)
    for i in range(3):
        one = lrjax.reduce_on_plateau(base, factor=float(factors[i]), patience=int(patiences[i]))
        np.testing.assert_allclose(got[i], run(one, np.asarray(metrics))[0][:-1], rtol=1e-6)


def test_state_dtypes_are_stable_and_the_state_pickles():
    c = lrjax.reduce_on_plateau(1e-3)
    s0 = c.init()
    s1 = jax.jit(lambda c, s: c.update(s, value=1.0))(c, s0)
    assert jax.tree.map(lambda a: (a.dtype, a.shape, a.weak_type), s0) == jax.tree.map(
        lambda a: (a.dtype, a.shape, a.weak_type), s1
    )
    assert pickle.loads(pickle.dumps(s1)) == s1 or True  # arrays: compare leaf by leaf
    for a, b in zip(pickle.loads(pickle.dumps(s1)), s1, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_gradient_with_respect_to_factor():
    def lr(factor):
        c = lrjax.reduce_on_plateau(1.0, factor=factor, patience=0)
        s = c.update(c.update(c.init(), value=1.0), value=2.0)
        return c(s)

    assert float(jax.grad(lr)(0.5)) == pytest.approx(1.0)


def test_config_repr_eq_parse_round_trip():
    c = lrjax.reduce_on_plateau(lrjax.cosine_decay(1e-3, 100), factor=0.5, patience=3)
    assert lrjax.from_config(lrjax.to_config(c)) == c
    assert hash(c) == hash(lrjax.from_config(lrjax.to_config(c)))
    assert lrjax.parse(repr(c)) == c
    for peer in (
        lrt.reduce_lr_on_plateau(0.1, factor=0.5),
        lrk.ReduceLROnPlateau(0.1),
        lro.reduce_on_plateau(patience=2),
    ):
        assert lrjax.from_config(lrjax.to_config(peer)) == peer
        assert lrjax.parse(repr(peer)) == peer


def test_plain_schedules_are_not_stateful_schedules():
    s = lrjax.cosine_decay(1e-3, 100)
    assert not isinstance(s, optax.schedules.StatefulSchedule)
    assert isinstance(lrjax.reduce_on_plateau(s), optax.schedules.StatefulSchedule)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(factor=1.0), r"reduce_on_plateau\(factor=1.0\).*\(0, 1\)"),
        (dict(factor=0.0), r"reduce_on_plateau\(factor=0.0\)"),
        (dict(patience=-1), r"reduce_on_plateau\(patience=-1\)"),
        (dict(cooldown=-2), r"reduce_on_plateau\(cooldown=-2\)"),
        (dict(mode="lowest"), r"reduce_on_plateau\(mode='lowest'\)"),
        (dict(threshold_mode="pct"), r"reduce_on_plateau\(threshold_mode='pct'\)"),
        (dict(min_scale=2.0), r"reduce_on_plateau\(min_scale=2.0\)"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrjax.reduce_on_plateau(1e-3, **kwargs)


def test_bad_metric_and_foreign_state():
    c = lrjax.reduce_on_plateau(1e-3)
    with pytest.raises(ValueError, match=r"update\(value\).*scalar"):
        c.update(c.init(), value=jnp.ones(3))
    with pytest.raises(TypeError, match=r"pass the metric"):
        c.update(c.init())
    with pytest.raises(TypeError, match=r"not a state of this controller"):
        c.update(lro.reduce_on_plateau().init(), value=1.0)
    with pytest.raises(TypeError, match=r"not a state of this controller"):
        c(jnp.zeros(()))


# -- as a gradient transformation --------------------------------------------------------------


def test_scale_by_adaptive_equals_optax_contrib_in_a_chain():
    from optax import contrib

    kwargs: dict[str, Any] = dict(factor=0.5, patience=1, cooldown=1)
    ours = optax.chain(optax.sgd(0.1), lrjax.scale_by_adaptive(lro.reduce_on_plateau(**kwargs)))
    theirs = optax.chain(optax.sgd(0.1), contrib.reduce_on_plateau(**kwargs))
    params = jnp.ones(2)
    s_ours, s_theirs = ours.init(params), theirs.init(params)
    step_ours = jax.jit(lambda s, m: ours.update(jnp.ones(2), s, params, value=m))
    step_theirs = jax.jit(lambda s, m: theirs.update(jnp.ones(2), s, params, value=m))
    with jax.numpy_dtype_promotion("standard"):  # optax.contrib is not strict-clean
        for m in metric_sequences(3, n=30):
            u_ours, s_ours = step_ours(s_ours, jnp.float32(m))
            u_theirs, s_theirs = step_theirs(s_theirs, jnp.float32(m))
            np.testing.assert_allclose(u_ours, u_theirs, rtol=1e-6)
            # current_learning_rate reports the effective rate, chained factor included.
            rate = lrjax.current_learning_rate(s_theirs, lrjax.constant(0.1))
            np.testing.assert_allclose(-u_theirs[0], rate, rtol=1e-6)
            rate = lrjax.current_learning_rate(s_ours, lrjax.constant(0.1))
            np.testing.assert_allclose(-u_ours[0], rate, rtol=1e-6)


def test_scale_by_adaptive_rejects_plain_schedules():
    with pytest.raises(TypeError, match=r"scale_by_adaptive\(schedule=.*adaptive schedule"):
        lrjax.scale_by_adaptive(lrjax.constant(1.0))  # pyright: ignore[reportArgumentType]


def test_adaptive_schedule_cannot_be_a_child():
    with pytest.raises(TypeError, match=r"warmup\(schedule=reduce_on_plateau\(\.\.\.\)\)"):
        lrjax.warmup(lrjax.reduce_on_plateau(1.0), 10)


# -- timm and Hugging Face ---------------------------------------------------------------------


def timm_lrs(metrics, lr, **kwargs):
    import torch
    from peers import timm_scheduler_module

    PlateauLRScheduler = timm_scheduler_module().PlateauLRScheduler  # noqa: N806
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = PlateauLRScheduler(opt, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for epoch, m in enumerate(metrics, start=1):
        sched.step(epoch, float(m))
        lrs.append(opt.param_groups[0]["lr"])
    return np.asarray(lrs)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # timm deprecates PlateauLRScheduler
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["min", "max"])
def test_timm_plateau_lr_matches_timm(seed, mode):
    from lrjax.compat import timm as lrtimm

    rng = np.random.default_rng(400 + seed)
    kwargs: dict[str, Any] = dict(
        decay_rate=[0.5, 0.1, 0.7][seed % 3],
        patience_t=int(rng.integers(0, 4)),
        threshold=1e-4,
        cooldown_t=seed % 3,
        warmup_t=[0, 3, 5][seed % 3],
        warmup_lr_init=[0.0, 1e-3][seed % 2],
        lr_min=[0.0, 1e-3][seed % 2],
        mode=mode,
    )
    metrics = metric_sequences(seed, n=60)
    want = timm_lrs(metrics, 0.1, **kwargs)
    got, _ = run(lrtimm.plateau_lr(0.1, **kwargs), metrics)
    np.testing.assert_allclose(got, want, rtol=1e-6 + 1.2e-7 * 20)


def test_hf_get_scheduler_reduce_lr_on_plateau_is_torch():
    from lrjax.compat import transformers as lrh

    c = lrh.get_scheduler(
        "reduce_lr_on_plateau", 0.1, scheduler_specific_kwargs=dict(patience=2, factor=0.5)
    )
    assert c == lrt.reduce_lr_on_plateau(0.1, patience=2, factor=0.5)
    import torch
    import transformers

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = transformers.get_scheduler(
        "reduce_lr_on_plateau", opt, scheduler_specific_kwargs=dict(patience=2, factor=0.5)
    )
    metrics = metric_sequences(11, n=40)
    want = []
    for m in metrics:
        sched.step(float(m))  # pyright: ignore[reportArgumentType] (HF types it as an epoch)
        want.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(run(c, metrics)[0][1:], want, rtol=1e-6 + 1.2e-7 * 20)


def test_the_guide_runs():
    """Every Python block of docs/adaptive.md runs as written."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).parents[1] / "docs" / "adaptive.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    with jax.numpy_dtype_promotion("standard"):  # optax's adamw is not strict-clean
        for block in blocks:
            exec(compile(block, "docs/adaptive.md", "exec"), {})
