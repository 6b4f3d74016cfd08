"""Training a batch of models with jax.vmap over a batched schedule, in one jitted scan.

16 peak values x 4 warmup lengths = 64 small regressions trained at once must equal 64
separate runs, and neither new values nor a new batch of values may recompile.
"""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import TraceCounter

import lrjax

STEPS = 30
PEAKS = np.geomspace(1e-3, 3e-1, 16).astype(np.float32)
WARMUPS = np.array([0, 3, 7, 12], np.int32)


@pytest.fixture(autouse=True)
def _standard_promotion() -> Iterator[None]:
    # optax 0.2.8's adam adds Python floats to its int32 count (bias correction), which
    # strict promotion rejects.
    with jax.numpy_dtype_promotion("standard"):
        yield


def make_schedule(peak: jax.typing.ArrayLike, warmup_steps: jax.typing.ArrayLike):
    return lrjax.warmup(lrjax.cosine_decay(peak, STEPS, end_value=0.0), warmup_steps)


def data() -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.1).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(y)


def train(schedule: lrjax.AbstractSchedule, x: jax.Array, y: jax.Array):
    """``STEPS`` updates of adam(schedule) in one ``lax.scan``: final params, losses, rates."""
    opt = optax.adam(schedule)
    params = jnp.zeros(4, jnp.float32)

    def loss_fn(w: jax.Array) -> jax.Array:
        return jnp.mean((x @ w - y) ** 2)

    def step(carry, _):
        w, state = carry
        loss, grads = jax.value_and_grad(loss_fn)(w)
        lr = schedule(lrjax.step_count(state))  # the rate this update uses
        updates, state = opt.update(grads, state, w)
        return (optax.apply_updates(w, updates), state), (loss, lr)

    (w, _), (losses, lrs) = jax.lax.scan(step, (params, opt.init(params)), None, length=STEPS)
    return w, losses, lrs


SINGLE_TRACES = TraceCounter()
SINGLE = jax.jit(SINGLE_TRACES.wrap(train))


def grid() -> tuple[np.ndarray, np.ndarray]:
    peaks, warmups = np.meshgrid(PEAKS, WARMUPS, indexing="ij")
    return peaks.reshape(-1), warmups.reshape(-1)


def test_vmapped_training_equals_separate_runs_with_one_compile_each() -> None:
    x, y = data()
    peaks, warmups = grid()
    batched = jax.vmap(make_schedule)(peaks, warmups)  # one schedule, leaves of shape (64,)
    assert batched.schedule.init_value.shape == (64,)  # type: ignore[attr-defined]
    assert batched.warmup_steps.dtype == jnp.int32

    sweep_traces = TraceCounter()
    sweep = jax.jit(jax.vmap(sweep_traces.wrap(train), in_axes=(0, None, None)))

    w, losses, lrs = sweep(batched, x, y)
    assert w.shape == (64, 4) and losses.shape == lrs.shape == (64, STEPS)
    for i, (peak, warm) in enumerate(zip(peaks, warmups, strict=True)):
        s = make_schedule(float(peak), int(warm))
        w_i, losses_i, lrs_i = SINGLE(s, x, y)
        np.testing.assert_allclose(lrs[i], s(jnp.arange(STEPS)), rtol=4e-7, atol=0)
        np.testing.assert_allclose(lrs[i], lrs_i, rtol=4e-7, atol=0)
        np.testing.assert_allclose(w[i], w_i, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(losses[i], losses_i, rtol=2e-5, atol=1e-6)
    # 64 different schedules through the single-run step: one trace, one compile.
    assert SINGLE_TRACES.count == 1 and SINGLE._cache_size() == 1  # type: ignore[attr-defined]

    # A new batch of values (same structure and batch size) reuses the compiled sweep.
    w2, _, lrs2 = sweep(jax.vmap(make_schedule)(peaks * 0.5, (warmups + 1) % 13), x, y)
    assert sweep_traces.count == 1 and sweep._cache_size() == 1  # type: ignore[attr-defined]
    assert not np.allclose(w2, w)
    np.testing.assert_allclose(lrs2[5], make_schedule(peaks[5] * 0.5, 4)(jnp.arange(STEPS)))

    # The sweep means something: the warmup length and the peak change the result.
    final = np.asarray(losses[:, -1]).reshape(16, 4)
    assert np.ptp(final, axis=0).max() > 0 and np.ptp(final, axis=1).max() > 0


def test_stacked_schedules_equal_vmapped_factory() -> None:
    peaks, warmups = grid()
    built = [make_schedule(float(p), int(w)) for p, w in zip(peaks, warmups, strict=True)]
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *built)
    vmapped = jax.vmap(make_schedule)(peaks, warmups)
    assert jax.tree.structure(stacked) == jax.tree.structure(vmapped)
    for a, b in zip(jax.tree.leaves(stacked), jax.tree.leaves(vmapped), strict=True):
        np.testing.assert_array_equal(a, b)
    steps = jnp.arange(STEPS)
    values = jax.vmap(lambda s: s(steps))(stacked)
    for i in (0, 17, 63):
        # Batched and unbatched evaluation agree to float32 rounding (XLA may fuse either).
        np.testing.assert_allclose(values[i], built[i](steps), rtol=4e-7, atol=0)


def test_nested_vmap_gives_a_peak_by_warmup_grid() -> None:
    x, y = data()
    by_warmup = jax.vmap(make_schedule, in_axes=(None, 0))
    schedules = jax.vmap(by_warmup, in_axes=(0, None))(PEAKS, WARMUPS)
    assert schedules.warmup_steps.shape == (16, 4)
    run = jax.jit(jax.vmap(jax.vmap(train, in_axes=(0, None, None)), in_axes=(0, None, None)))
    w, _, lrs = run(schedules, x, y)
    assert w.shape == (16, 4, 4)
    for i, j in [(0, 0), (0, 3), (15, 0), (9, 2)]:
        s = make_schedule(float(PEAKS[i]), int(WARMUPS[j]))
        w_ij, _, lrs_ij = SINGLE(s, x, y)
        np.testing.assert_allclose(w[i, j], w_ij, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(lrs[i, j], lrs_ij, rtol=4e-7, atol=0)
    assert SINGLE_TRACES.count == 1
