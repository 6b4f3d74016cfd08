"""HF's ``GreedyLR`` as ``lrjax.compat.transformers.greedy_lr``: against the real scheduler
(one torch param group) driven with the same metrics, every counter compared at every
update; then the protocol (jit, vmap, scan, optax), configs and bad input."""

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
from lrjax.compat import transformers as lrh

# The counters of GreedyLR and the state fields that hold them (compared exactly).
COUNTERS = {
    "num_bad_epochs": "num_bad",
    "num_good_epochs": "num_good",
    "cooldown_counter": "cooldown",
    "warmup_counter": "warmup",
    "reset_start": "reset_left",
}
RTOL = 2e-6  # the lr: float32 (HF: float64); factor ** k carries factor's float32 rounding


def metric_sequence(seed: int, n: int = 300, nan: bool = True, inf: bool = False) -> np.ndarray:
    """Metrics on a grid of k / 256 (exact in float32; sums of a few too): runs of
    improvements (so the lr rises), plateaus and ties (so it falls, down to min_lr and the
    reset), improvements within a threshold, worsening, NaN and, optionally, infinities."""
    rng = np.random.default_rng(seed)
    level, out = 1.0, []
    while len(out) < n:
        regime, length = rng.integers(0, 5), int(rng.integers(2, 12))
        for _ in range(length):
            if regime == 0:  # improving
                level -= rng.integers(2, 9) / 256
            elif regime == 1:  # a plateau with ties
                level = level if rng.random() < 0.6 else level + rng.integers(-1, 3) / 256
            elif regime == 2:  # improvements smaller than the thresholds tried
                level -= 1 / 256 if rng.random() < 0.5 else 0.0
            elif regime == 3:  # worse
                level += rng.integers(1, 6) / 256
            level = float(np.clip(level, -3.0, 3.0))
            r = rng.random()
            if nan and r < 0.04:
                out.append(np.nan)
            elif inf and r < 0.06:
                out.append(np.inf if rng.random() < 0.5 else -np.inf)
            else:
                out.append(level)
    return np.asarray(out[:n], np.float32)


def hf_trace(metrics: np.ndarray, lr: float, **kwargs: Any) -> dict[str, np.ndarray]:
    """The real GreedyLR, one param group: its lr and counters after each step."""
    import torch
    from transformers.optimization import GreedyLR

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = GreedyLR(opt, **kwargs)
    rows: dict[str, list[float]] = {k: [] for k in ("lr", "best", *COUNTERS)}
    for m in metrics:
        sched.step(float(m))
        rows["lr"].append(opt.param_groups[0]["lr"])
        rows["best"].append(sched.best)
        for k in COUNTERS:
            rows[k].append(getattr(sched, k))
    return {k: np.asarray(v) for k, v in rows.items()}


@jax.jit
def trace(c: Any, metrics: jax.Array) -> tuple[jax.Array, Any]:
    """lrjax: the lr and the state after each update, in one lax.scan."""

    def body(state, m):
        state = c.update(state, value=m)
        return state, (c(state), state)

    return jax.lax.scan(body, c.init(), metrics)[1]


def compare(metrics: np.ndarray, lr: float, **kwargs: Any) -> Any:
    want = hf_trace(metrics, lr, **kwargs)
    got_lr, states = trace(lrh.greedy_lr(lr, **kwargs), jnp.asarray(metrics))
    for theirs, ours in COUNTERS.items():
        np.testing.assert_array_equal(getattr(states, ours), want[theirs], err_msg=theirs)
    np.testing.assert_allclose(states.best, want["best"], rtol=1e-6)
    np.testing.assert_allclose(got_lr, want["lr"], rtol=RTOL)
    # The decision at each update: up, down or unchanged (a change is >= 1 - factor).
    moves = np.sign(np.round(np.diff(np.log(np.concatenate([[lr], want["lr"]]))), 4))
    ours_moves = np.sign(np.round(np.diff(np.log(np.concatenate([[lr], got_lr]))), 4))
    np.testing.assert_array_equal(ours_moves, moves)
    return states, want


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize(
    ("threshold_mode", "threshold"), [("abs", 1e-6), ("abs", 3e-3), ("rel", 1e-3)]
)
@pytest.mark.parametrize("smooth", [False, True])
def test_matches_hf_greedy_lr(seed, mode, threshold_mode, threshold, smooth):
    rng = np.random.default_rng(1000 + seed)
    kwargs: dict[str, Any] = dict(
        mode=mode,
        factor=[0.5, 0.8, 0.95][seed % 3],
        patience=int(rng.integers(0, 4)),
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=seed % 3,
        warmup=(seed // 2) % 3,
        min_lr=[1e-3, 0.02][seed % 2],
        max_lr=[1.0, 0.3][seed % 2],
        smooth=smooth,
        window_size=[3, 7][seed % 2],
        reset_start=[2, 5, 500][seed % 3],
    )
    metrics = metric_sequence(seed)  # from 1 down to -3: negative metrics for "rel" too
    compare(metrics if mode == "min" else -metrics, 0.1, **kwargs)


def test_reaches_min_lr_and_resets_like_hf():
    # Mostly plateaus: the lr falls to min_lr, then every reduction there counts down
    # reset_start; at 0 the lr, the best, the counters and the window are reset.
    metrics = np.repeat(metric_sequence(5, n=60, nan=False), 4)
    kwargs: dict[str, Any] = dict(
        factor=0.5, patience=1, cooldown=1, min_lr=0.02, smooth=True, window_size=4, reset_start=3
    )
    states, want = compare(metrics, 0.1, **kwargs)
    assert int(states.num_resets[-1]) >= 2
    assert np.any(want["lr"] == 0.02) and np.sum(np.diff(want["lr"]) > 0.05) >= 2
    after = int(np.argmax(np.diff(np.asarray(states.num_resets, np.int64)) > 0)) + 1
    assert float(states.lr_anchor[after]) == pytest.approx(0.1)
    assert int(states.window_len[after]) == 0 and math.isinf(float(states.best[after]))


def test_rises_to_max_lr_with_warmup_like_hf():
    metrics = (1.0 - np.arange(80) / 64).astype(np.float32)  # improves at every update
    kwargs: dict[str, Any] = dict(factor=0.5, patience=2, warmup=2, max_lr=0.35)
    _, want = compare(metrics, 0.01, **kwargs)
    assert want["lr"][-1] == 0.35


def test_lr_below_min_lr_or_above_max_lr_is_kept_like_hf():
    metrics = metric_sequence(8, n=200)
    compare(metrics, 1e-4, factor=0.8, patience=1, reset_start=4)  # default min_lr=1e-3
    compare(metrics, 2.0, factor=0.8, patience=0, max_lr=1.0)


@pytest.mark.parametrize("smooth", [False, True])
def test_nan_and_infinities_like_hf(smooth):
    # HF: NaN never improves; with smoothing a NaN or infinity enters the running sum and
    # every mean is NaN until the next reset (inf - inf); reproduced, not repaired.
    metrics = metric_sequence(9, n=300, inf=True)
    states, _ = compare(
        metrics, 0.1, factor=0.7, patience=1, min_lr=0.02, smooth=smooth, window_size=5,
        reset_start=2,
    )  # fmt: skip
    assert int(states.num_resets[-1]) >= 1


def test_get_scheduler_greedy_is_greedy_lr_like_hf():
    import torch
    import transformers

    kwargs: dict[str, Any] = dict(patience=2, factor=0.5, smooth=True, window_size=4)
    c = lrh.get_scheduler("greedy", 0.1, scheduler_specific_kwargs=kwargs)
    assert c == lrh.greedy_lr(0.1, **kwargs)
    assert lrh.get_scheduler("greedy", 0.1, scheduler_specific_kwargs=dict(verbose=False)) == (
        lrh.greedy_lr(0.1)
    )
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = transformers.get_scheduler("greedy", opt, scheduler_specific_kwargs=kwargs)
    metrics = metric_sequence(3, n=120)
    want = []
    for m in metrics:
        sched.step(float(m))  # pyright: ignore[reportArgumentType] (HF types it as an epoch)
        want.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(trace(c, jnp.asarray(metrics))[0], want, rtol=RTOL)


def test_valid_mask_advances_the_count_only():
    c = lrh.greedy_lr(0.1, factor=0.5, patience=0, smooth=True, window_size=3)
    metrics = metric_sequence(4, n=40)
    valid = np.arange(40) % 3 == 0
    update = jax.jit(lambda s, m, ok: c.update(s, value=m, valid=ok))
    masked, plain = c.init(), c.init()
    for m, ok in zip(metrics, valid, strict=True):
        masked = update(masked, m, ok)
        if ok:
            plain = update(plain, m, True)
    assert int(masked.count) == 40 and int(plain.count) == int(valid.sum())
    for a, b in zip(masked[1:], plain[1:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_hf_float64_tie_at_min_lr():
    # The one documented difference: HF's lr 0.02 / 0.95 * 0.95 is 0.020000000000000004 in
    # float64, one ulp above min_lr=0.02, so HF never counts reset_start down (and stays
    # there: the next reduction lowers it by less than eps). lrjax keeps the lr as a power
    # of factor since its last clamp: exactly min_lr, the countdown runs as GreedyLR means.
    kwargs: dict[str, Any] = dict(
        factor=0.95, patience=0, threshold=1e-3, threshold_mode="rel", cooldown=2,
        min_lr=0.02, max_lr=0.3, window_size=2,
    )  # fmt: skip
    metrics = metric_sequence(17)
    want = hf_trace(metrics, 0.1, **kwargs)
    got_lr, states = trace(lrh.greedy_lr(0.1, **kwargs), jnp.asarray(metrics))
    i = int(np.argmax(want["lr"] == 0.020000000000000004))  # HF's lr misses min_lr here
    assert i > 0 and want["reset_start"][i] == want["reset_start"][i - 1]  # no countdown
    assert float(got_lr[i]) == np.float32(0.02)
    assert int(states.reset_left[i]) == int(states.reset_left[i - 1]) - 1
    # Identical up to that update.
    np.testing.assert_array_equal(states.reset_left[:i], want["reset_start"][:i])
    np.testing.assert_allclose(got_lr[:i], want["lr"][:i], rtol=RTOL)


# -- the protocol ----------------------------------------------------------------------------


def test_vmap_population_in_one_program():
    # Every numeric hyperparameter but window_size is a leaf: one compiled program runs a
    # population of settings, each equal to its controller run alone.
    settings = dict(
        factor=jnp.asarray([0.5, 0.8, 0.95, 0.7]),
        patience=jnp.asarray([0, 1, 2, 3]),
        threshold=jnp.asarray([1e-6, 3e-3, 0.0, 1e-2]),
        cooldown=jnp.asarray([0, 1, 2, 0]),
        warmup=jnp.asarray([1, 0, 2, 0]),
        min_lr=jnp.asarray([1e-3, 0.02, 0.01, 0.05]),
        max_lr=jnp.asarray([1.0, 0.3, 0.5, 0.2]),
        reset_start=jnp.asarray([2, 3, 500, 1]),
    )

    def make(**kw):
        return lrh.greedy_lr(0.1, smooth=True, window_size=5, **kw)

    population = jax.vmap(lambda kw: make(**kw))(settings)
    metrics = jnp.asarray(metric_sequence(12, n=200))
    got = jax.jit(jax.vmap(lambda c: trace(c, metrics)[0]))(population)
    for i in range(4):
        one = make(**{k: x[i].item() for k, x in settings.items()})
        np.testing.assert_allclose(got[i], trace(one, metrics)[0], rtol=1e-6)
        want = hf_trace(np.asarray(metrics), 0.1, smooth=True, window_size=5,
                        **{k: x[i].item() for k, x in settings.items()})["lr"]  # fmt: skip
        np.testing.assert_allclose(got[i], want, rtol=RTOL)


@pytest.mark.parametrize("smooth", [False, True])
def test_state_dtypes_are_stable_and_the_state_pickles(smooth):
    c = lrh.greedy_lr(0.1, smooth=smooth, window_size=6)
    s0 = c.init()
    s1 = jax.jit(lambda c, s: c.update(s, value=1.0))(c, s0)

    def spec(s):
        return jax.tree.map(lambda a: (a.dtype, a.shape, a.weak_type), s)

    assert spec(s0) == spec(s1)
    assert not any(a.weak_type for a in jax.tree.leaves(s0))
    assert s0.window.shape == ((6,) if smooth else (0,))
    for a, b in zip(pickle.loads(pickle.dumps(s1)), s1, strict=True):
        np.testing.assert_array_equal(a, b)


def test_lax_scan_does_not_retrace_across_settings():
    metrics = jnp.asarray(metric_sequence(2, n=50))
    trace(lrh.greedy_lr(0.1, factor=0.5), metrics)
    size = trace._cache_size()  # pyright: ignore[reportAttributeAccessIssue]
    trace(lrh.greedy_lr(0.2, factor=0.9, patience=3, min_lr=0.01, reset_start=7), metrics)
    assert trace._cache_size() == size  # pyright: ignore[reportAttributeAccessIssue]


@pytest.mark.parametrize("make", [optax.adam, optax.sgd, optax.adamw])
def test_inject_hyperparams_with_the_metric_as_value(make):
    c = lrh.greedy_lr(0.1, factor=0.5, patience=1, smooth=True, window_size=3)
    opt = optax.inject_hyperparams(make)(learning_rate=c)
    params = jnp.ones(3)
    state = opt.init(params)

    @jax.jit
    def step(params, state, loss):
        updates, state = opt.update(jnp.ones_like(params), state, params, value=loss)
        return optax.apply_updates(params, updates), state

    metrics = metric_sequence(6, n=40)
    seen = []
    with jax.numpy_dtype_promotion("standard"):  # optax's adam is not strict-clean
        for m in metrics:
            params, state = step(params, state, jnp.float32(m))
            seen.append(float(lrjax.current_learning_rate(state)))  # the rate just applied
    want = np.concatenate([[0.1], trace(c, jnp.asarray(metrics))[0][:-1]])
    np.testing.assert_allclose(seen, want, rtol=1e-6)
    assert step._cache_size() == 1  # pyright: ignore[reportAttributeAccessIssue]


def test_config_repr_eq_parse_round_trip():
    c = lrh.greedy_lr(0.05, mode="max", factor=0.9, smooth=True, window_size=8, reset_start=20)
    assert lrjax.from_config(lrjax.to_config(c)) == c
    assert hash(lrjax.from_config(lrjax.to_config(c))) == hash(c)
    assert lrjax.parse(repr(c)) == c
    assert c != lrh.greedy_lr(0.05, mode="max", factor=0.9, smooth=True, window_size=9)
    assert isinstance(c, optax.schedules.StatefulSchedule)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(factor=1.0), r"greedy_lr\(factor=1.0\): factor must be in \(0, 1\)"),
        (dict(factor=0.0), r"greedy_lr\(factor=0.0\)"),
        (dict(patience=-1), r"greedy_lr\(patience=-1\)"),
        (dict(cooldown=-2), r"greedy_lr\(cooldown=-2\)"),
        (dict(warmup=-1), r"greedy_lr\(warmup=-1\)"),
        (dict(reset_start=-1), r"greedy_lr\(reset_start=-1\)"),
        (dict(min_lr=-1.0), r"greedy_lr\(min_lr=-1.0\)"),
        (dict(mode="lowest"), r"greedy_lr\(mode='lowest'\)"),
        (dict(threshold_mode="pct"), r"greedy_lr\(threshold_mode='pct'\)"),
        (dict(window_size=0, smooth=True), r"greedy_lr\(window_size=0\).*integer >= 1"),
        (dict(window_size=2.5), r"greedy_lr\(window_size=2.5\)"),
        (dict(window_size=True), r"greedy_lr\(window_size=True\)"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrh.greedy_lr(0.1, **kwargs)


def test_get_scheduler_errors_name_the_call():
    with pytest.raises(ValueError, match=r"get_scheduler\(name='greedy'\): greedy_lr\(factor"):
        lrh.get_scheduler("greedy", 0.1, scheduler_specific_kwargs=dict(factor=1.5))
    with pytest.raises(ValueError, match=r"name='greedy'\): verbose=True is not reproduced"):
        lrh.get_scheduler("greedy", 0.1, scheduler_specific_kwargs=dict(verbose=True))
    with pytest.raises(TypeError, match=r"name='greedy'\): greedy_lr: .*'min_lrs'"):
        lrh.get_scheduler("greedy", 0.1, scheduler_specific_kwargs=dict(min_lrs=[0.1]))


def test_bad_metric_and_foreign_state():
    c = lrh.greedy_lr(0.1, smooth=True, window_size=4)
    with pytest.raises(ValueError, match=r"greedy_lr\.update\(value\).*scalar"):
        c.update(c.init(), value=jnp.ones(3))
    with pytest.raises(TypeError, match=r"pass the metric"):
        c.update(c.init())
    for other in (lrh.greedy_lr(0.1, smooth=True, window_size=5), lrh.greedy_lr(0.1)):
        with pytest.raises(TypeError, match=r"greedy_lr\.update\(state\): not a state of"):
            c.update(other.init(), value=1.0)
    with pytest.raises(TypeError, match=r"not a state of this controller"):
        c(lrjax.reduce_on_plateau(0.1).init())


# -- the parity figures of the docs -------------------------------------------------------------


def parity(num_seeds: int = 40, num_updates: int = 300) -> str:
    """Sequences x updates; updates whose decision (any counter, or the lr's move) differs
    from HF's, and how many follow an lr HF leaves a float64 ulp off ``min_lr`` or
    ``max_lr`` (test_hf_float64_tie_at_min_lr); the largest relative difference of the lr
    over the other sequences. For docs/adaptive.md and docs/compat_torch_hf_timm.md."""
    sequences, differ, at_ties, worst = 0, 0, 0, 0.0
    for seed in range(num_seeds):
        rng = np.random.default_rng(seed)
        metrics = metric_sequence(seed, n=num_updates, inf=seed % 5 == 0)
        for mode in ("min", "max"):
            for rule, threshold in (("abs", 1e-6), ("abs", 3e-3), ("rel", 1e-3)):
                for smooth in (False, True):
                    kwargs: dict[str, Any] = dict(
                        mode=mode,
                        factor=[0.5, 0.8, 0.95][seed % 3],
                        patience=int(rng.integers(0, 4)),
                        threshold=threshold,
                        threshold_mode=rule,
                        cooldown=int(rng.integers(0, 3)),
                        warmup=int(rng.integers(0, 3)),
                        min_lr=[1e-3, 0.02][seed % 2],
                        max_lr=[1.0, 0.3][seed % 2],
                        smooth=smooth,
                        window_size=int(rng.integers(2, 9)),
                        reset_start=[2, 5, 500][seed % 3],
                    )
                    signed = metrics if mode == "min" else -metrics
                    want = hf_trace(signed, 0.1, **kwargs)
                    got_lr, states = trace(lrh.greedy_lr(0.1, **kwargs), jnp.asarray(signed))
                    bad = np.zeros(num_updates, bool)
                    for theirs, ours in COUNTERS.items():
                        bad |= np.asarray(getattr(states, ours)) != want[theirs]
                    lrs = np.concatenate([[0.1], want["lr"]])
                    ours_lrs = np.concatenate([[0.1], np.asarray(got_lr, np.float64)])
                    bad |= np.sign(np.round(np.diff(np.log(lrs)), 4)) != np.sign(
                        np.round(np.diff(np.log(ours_lrs)), 4)
                    )
                    sequences += 1
                    if not bad.any():
                        worst = max(worst, float(np.max(np.abs(ours_lrs - lrs) / lrs)))
                        continue
                    differ += int(bad.sum())
                    first = want["lr"][int(np.argmax(bad))]
                    edges = (kwargs["min_lr"], kwargs["max_lr"])
                    if any(0 < abs(first - e) <= 1e-12 * e for e in edges):
                        at_ties += int(bad.sum())
    return (
        f"GreedyLR: {sequences} sequences x {num_updates} updates; decisions differing: "
        f"{differ}, of which {at_ties} after HF's float64 lr missed min_lr/max_lr by an ulp; "
        f"largest relative difference of the lr elsewhere {worst:.2e}"
    )


if __name__ == "__main__":  # KERAS_BACKEND=jax python tests/test_greedy.py (from the root)
    print(parity())


@pytest.mark.parametrize("smooth", [False, True])
def test_torch_adapter_resumes_greedy_lr_with_its_window(smooth):
    import torch

    import lrjax.torch

    rng = np.random.default_rng(7)
    metrics = np.cumsum(rng.normal(0.0, 1.0, 40)).tolist()
    c = lrh.greedy_lr(0.1, patience=2, smooth=smooth, window_size=5, min_lr=1e-3)

    def run(steps, scheduler=None):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = lrjax.torch.LRScheduler(opt, c)
        if scheduler is not None:
            sched.load_state_dict(scheduler)
        lrs = [sched.step(m) or opt.param_groups[0]["lr"] for m in steps]
        return lrs, sched.state_dict()

    whole, _ = run(metrics)
    first, saved = run(metrics[:17])
    assert isinstance(saved["states"][0]["window"], list) if smooth else True
    second, _ = run(metrics[17:], saved)
    assert first + second == whole
    bad = dict(saved, states=[dict(saved["states"][0], window="nope")])
    if smooth:
        with pytest.raises(ValueError, match=r"\['window'\]='nope': expected a list of numbers"):
            run(metrics[:1], bad)
