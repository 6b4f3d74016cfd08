"""lrjax.lr_range_test: scan semantics against float64 NumPy, the suggestion rules against
their anchors (torch-lr-finder, fastai's published ``valley``, PyTorch Lightning), no
recompilation, repeats, bad input.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjax
from lrjax.tools import range_test as rt

N = 40  # steps of the small tests
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, 8, 2)).astype(np.float32)
Y = (X @ np.array([2.0, -1.0], np.float32) + 0.5).astype(np.float32)
BATCHES = {"x": X, "y": Y}
PARAMS = {"w": np.zeros(2, np.float32), "b": np.zeros((), np.float32)}


def mse(params: Any, batch: Any) -> jax.Array:
    pred = batch["x"] @ params["w"] + params["b"]
    return jnp.mean((pred - batch["y"]) ** 2)


def sgd(lr: Any) -> optax.GradientTransformation:
    return optax.sgd(lr)


def run(**kwargs: Any) -> lrjax.RangeTestResult:
    args: dict[str, Any] = dict(min_lr=1e-3, max_lr=10.0, num_steps=N, smoothing=0.9)
    args.update(kwargs)
    return lrjax.lr_range_test(mse, PARAMS, sgd, BATCHES, **args)


class CompileCount:
    """Counts XLA compilations while active (jax.monitoring's backend-compile event)."""

    events = 0
    registered = False

    def __enter__(self) -> CompileCount:
        if not CompileCount.registered:

            def listener(event: str, duration_secs: float, **kwargs: Any) -> None:
                if event == "/jax/core/compile/backend_compile_duration":
                    CompileCount.events += 1

            jax.monitoring.register_event_duration_secs_listener(listener)
            CompileCount.registered = True
        self.start = CompileCount.events
        return self

    def __exit__(self, *exc: Any) -> None:
        self.count = CompileCount.events - self.start


# -- references ---------------------------------------------------------------------------


def numpy_range_test(lrs: np.ndarray, beta: float, threshold: float) -> tuple[Any, ...]:
    """SGD on ``mse`` in float64: losses, smoothed losses, stopped_at, the params each step
    starts from; the conventions of lr_range_test's docstring, written as a plain loop."""
    w, b = np.zeros(2), 0.0
    losses, smoothed, seen = np.full(N, np.nan), np.full(N, np.nan), []
    avg, best = 0.0, np.inf
    for k in range(N):
        x, y = X[k].astype(np.float64), Y[k].astype(np.float64)
        err = x @ w + b - y
        loss = np.mean(err**2)
        seen.append((w.copy(), b))
        avg = beta * avg + (1 - beta) * loss
        losses[k], smoothed[k] = loss, avg / (1 - beta ** (k + 1))
        if k > 0 and smoothed[k] > threshold * best or not np.isfinite(loss):
            return losses, smoothed, k + 1, seen
        best = min(best, smoothed[k])
        w = w - lrs[k] * 2 * x.T @ err / len(y)
        b = b - lrs[k] * 2 * np.mean(err)
    return losses, smoothed, N, seen


def fastai_valley(lrs: np.ndarray, losses: np.ndarray) -> float:
    """fastai's published "valley" rule, restated as the reference (fastai,
    fastai/callback/schedule.py, ``valley``): longest strictly decreasing
    subsequence by the O(n^2) dynamic programme, its first end, and the point a third plus
    a sixth of the way in, indexed from ``end - length`` with Python's indexing."""
    n = len(losses)
    longest = [1] * n
    best_start = best_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
            if longest[best_end] < longest[i]:
                best_end = i
                best_start = best_end - longest[best_end]
    third = (best_end - best_start) / 3
    return float(lrs[best_start + int(third) + int(third / 2)])


def torch_lr_finder_steepest(lrs: np.ndarray, losses: np.ndarray, skip_start: int, skip_end: int):
    """torch-lr-finder's own suggestion on a recorded history (LRFinder.plot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    finder = LRFinder.__new__(LRFinder)  # only .history is read by plot()
    finder.history = {"lr": list(lrs), "loss": list(losses)}
    fig, ax = plt.subplots()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            out: Any = finder.plot(skip_start=skip_start, skip_end=skip_end, ax=ax)
    finally:
        plt.close(fig)
    return out[1]


def lightning_rule(lrs: np.ndarray, losses: np.ndarray, skip_start: int, skip_end: int):
    """PyTorch Lightning's ``_LRFinder.suggestion`` ported: the gradient against the rate."""
    lrs, losses = lrs[skip_start:-skip_end], losses[skip_start:-skip_end]
    finite = np.isfinite(losses)
    return lrs[finite][np.gradient(losses[finite], lrs[finite]).argmin()]


def curves(count: int, n: int = 60) -> lrjax.RangeTestResult:
    """Noisy U-shaped loss curves on a geometric ramp, some stopped early."""
    rng = np.random.default_rng(1)
    lrs = np.geomspace(1e-5, 10.0, n)
    x = np.linspace(-1, 1, n)
    base = 2 + 2 * np.tanh(-3 * (x + 0.3)) + 4 * np.maximum(x - 0.5, 0) ** 2
    losses = base + rng.normal(scale=0.15, size=(count, n))
    stopped = rng.integers(20, n + 1, size=count)
    losses[np.arange(n) >= stopped[:, None]] = np.nan
    lrs2 = np.broadcast_to(lrs, (count, n))
    return lrjax.RangeTestResult(lrs2, losses, losses, stopped, stopped < n)


# -- semantics ----------------------------------------------------------------------------


def test_scan_semantics_against_float64_numpy() -> None:
    r = run(diverge_threshold=4.0)
    lrs = r.learning_rates[0].astype(np.float64)
    losses, smoothed, stop, _ = numpy_range_test(lrs, 0.9, 4.0)
    assert r.diverged[0] and int(r.stopped_at[0]) == stop < N
    # The loss at step k is that of the parameters update k starts from (float32 vs 64).
    np.testing.assert_allclose(r.losses[0, :stop], losses[:stop], rtol=2e-4)
    np.testing.assert_allclose(r.smoothed_losses[0, :stop], smoothed[:stop], rtol=2e-4)
    assert np.isnan(r.losses[0, stop:]).all() and np.isnan(r.smoothed_losses[0, stop:]).all()
    np.testing.assert_allclose(lrs, np.geomspace(1e-3, 10.0, N), rtol=1e-6)
    assert lrs[0] == np.float32(1e-3) and lrs[-1] == 10.0


def test_smoothing_is_bias_corrected_like_fastai() -> None:
    # On the recorded float32 losses, the float64 recurrence gives the smoothed losses.
    for beta in (0.0, 0.5, 0.98):
        r = run(smoothing=beta, diverge_threshold=1e6)
        losses = r.losses[0].astype(np.float64)
        stop = int(r.stopped_at[0])
        avg, want = 0.0, []
        for k, loss in enumerate(losses[:stop]):
            avg = beta * avg + (1 - beta) * loss
            want.append(avg / (1 - beta ** (k + 1)))
        np.testing.assert_allclose(r.smoothed_losses[0, :stop], want, rtol=1e-5)


def test_linear_mode_spacing() -> None:
    r = run(mode="linear", min_lr=0.01, max_lr=0.1)
    np.testing.assert_allclose(r.learning_rates[0], np.linspace(0.01, 0.1, N), rtol=1e-6)
    assert r.stopped_at[0] == N and not r.diverged[0]


def test_stopped_repeat_is_frozen() -> None:
    # The loss still runs after the stop (the scan goes on): it sees the frozen parameters.
    seen: dict[int, Any] = {}

    def loss_fn(params: Any, batch: Any) -> jax.Array:
        flat = jnp.concatenate([params["w"], params["b"][None]])
        jax.debug.callback(lambda k, w: seen.__setitem__(int(k), np.array(w)), batch["k"], flat)
        return mse(params, batch)

    data = dict(BATCHES, k=np.arange(N, dtype=np.int32))
    r = lrjax.lr_range_test(
        loss_fn, PARAMS, lambda lr: optax.sgd(lr, momentum=0.9), data, num_steps=N
    )
    stop = int(r.stopped_at[0])
    assert r.diverged[0] and stop < N - 2
    frozen = seen[stop - 1]  # the update of the step that tripped the check is discarded
    for k in range(stop, N):
        np.testing.assert_array_equal(seen[k], frozen)
    assert not np.array_equal(seen[stop - 2], frozen)


def test_non_finite_loss_stops() -> None:
    # p <- p (1 - 2 lr) with lr >= 100 overflows float32 within a few steps; the ratio test
    # (threshold near the float32 maximum) never trips first.
    r = lrjax.lr_range_test(
        lambda p, b: b * p**2, jnp.ones(()), sgd, jnp.ones(N), min_lr=100.0, max_lr=1e3,
        num_steps=N, diverge_threshold=3e38,
    )  # fmt: skip
    stop = int(r.stopped_at[0])
    assert r.diverged[0] and stop < N and not np.isfinite(r.losses[0, stop - 1])
    assert np.isfinite(r.losses[0, : stop - 1]).all()


def test_batches_as_a_function_of_the_step() -> None:
    data = {"x": jnp.asarray(X), "y": jnp.asarray(Y)}
    a = run()
    b = lrjax.lr_range_test(
        mse, PARAMS, sgd, lambda k: jax.tree.map(lambda x: x[k], data),
        min_lr=1e-3, max_lr=10.0, num_steps=N, smoothing=0.9,
    )  # fmt: skip
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.stopped_at, b.stopped_at)


def identity_loss(params: Any, batch: Any) -> jax.Array:
    return jnp.sum(params * 0.0) + batch  # the loss is the batch: it shows the order


def test_repeats_permute_the_step_axis_and_are_reproducible() -> None:
    data = jnp.arange(2 * N, dtype=jnp.float32) + 1  # longer than num_steps: a sample of it
    key = jax.random.key(3)
    kw: dict[str, Any] = dict(num_steps=N, num_repeats=4, diverge_threshold=1e9)
    r = lrjax.lr_range_test(identity_loss, jnp.zeros(()), sgd, data, key=key, **kw)
    assert r.losses.shape == (4, N) and (r.stopped_at == N).all()
    keys = jax.random.split(key, 4)
    for i in range(4):
        want = np.asarray(jax.random.permutation(keys[i], 2 * N)[:N]) + 1
        np.testing.assert_array_equal(r.losses[i], want)
    assert len({tuple(row) for row in r.losses}) == 4
    again = lrjax.lr_range_test(identity_loss, jnp.zeros(()), sgd, data, key=key, **kw)
    np.testing.assert_array_equal(again.losses, r.losses)
    other = lrjax.lr_range_test(
        identity_loss, jnp.zeros(()), sgd, data, key=jax.random.key(4), **kw
    )
    assert not np.array_equal(other.losses, r.losses)
    plain = lrjax.lr_range_test(
        identity_loss, jnp.zeros(()), sgd, data, num_steps=N, diverge_threshold=1e9
    )
    np.testing.assert_array_equal(plain.losses[0], np.arange(N) + 1)  # no key: in order


def test_new_values_do_not_recompile() -> None:
    run(num_repeats=3, key=jax.random.key(0))
    scan: Any = rt._scan
    size = scan._cache_size()
    params = {"w": np.ones(2, np.float32), "b": np.ones((), np.float32)}
    with CompileCount() as c:
        r = lrjax.lr_range_test(
            mse, params, sgd, {"x": X * 2, "y": Y}, min_lr=1e-4, max_lr=3.0, num_steps=N,
            smoothing=0.5, diverge_threshold=2.5, num_repeats=3, key=jax.random.key(9),
        )  # fmt: skip
    assert c.count == 0 and scan._cache_size() == size
    assert r.learning_rates[0, -1] == np.float32(3.0)


BAD = [
    (dict(min_lr=1.0, max_lr=0.5), r"lr_range_test: max_lr must be > min_lr.*min_lr=1\.0"),
    (dict(min_lr=1.0, max_lr=1.0), r"max_lr must be > min_lr"),
    (dict(min_lr=0.0), r"lr_range_test\(min_lr=0\.0\): min_lr must be > 0"),
    (dict(max_lr=-1.0), r"lr_range_test\(max_lr=-1\.0\): max_lr must be > 0"),
    (dict(num_steps=1), r"lr_range_test\(num_steps=1\): num_steps must be >= 2"),
    (dict(num_steps=N + 1), rf"batches has {N} steps .* fewer than num_steps={N + 1}"),
    (dict(mode="cosine"), r"lr_range_test\(mode='cosine'\): mode must be one of"),
    (dict(smoothing=1.0), r"smoothing must be in \[0, 1\)"),
    (dict(smoothing=-0.1), r"lr_range_test\(smoothing=-0\.1\): smoothing must be >= 0"),
    (dict(diverge_threshold=0.5), r"diverge_threshold must be >= 1"),
    (dict(num_repeats=2), r"num_repeats=2 needs a key"),
    (dict(num_repeats=0), r"num_repeats must be >= 1"),
]


@pytest.mark.parametrize("kwargs, match", BAD)
def test_bad_input_fails_before_compiling(kwargs: dict[str, Any], match: str) -> None:
    with CompileCount() as c, pytest.raises(ValueError, match=match):
        run(**kwargs)
    assert c.count == 0


def test_bad_loss_and_batches_fail_before_compiling() -> None:
    with CompileCount() as c:
        with pytest.raises(ValueError, match=r"loss_fn\(params, batch\) must return a scalar"):
            lrjax.lr_range_test(lambda p, b: b["x"] @ p["w"], PARAMS, sgd, BATCHES, num_steps=N)
        with pytest.raises(ValueError, match=r"same leading \(step\) axis"):
            lrjax.lr_range_test(mse, PARAMS, sgd, {"x": X, "y": Y[:-1]}, num_steps=10)
        with pytest.raises(ValueError, match=r"must return an optax GradientTransformation"):
            lrjax.lr_range_test(mse, PARAMS, lambda lr: lr, BATCHES, num_steps=N)  # pyright: ignore[reportArgumentType]
    assert c.count == 0


# -- suggestions ----------------------------------------------------------------------------


def test_steepest_equals_torch_lr_finder() -> None:
    import torch_lr_finder  # noqa: F401  (a test dependency: missing fails, never skips)

    r = run(num_repeats=3, key=jax.random.key(1))
    synthetic = curves(20)
    for res in (r, synthetic):
        for skip_start, skip_end in ((10, 1), (0, 1), (5, 3)):
            ours = res.suggest("steepest", skip_start, skip_end)
            for i, stop in enumerate(res.stopped_at):
                lrs = res.learning_rates[i, :stop]
                theirs = torch_lr_finder_steepest(
                    lrs, res.smoothed_losses[i, :stop], skip_start, skip_end
                )
                assert ours[i] == theirs


def test_valley_equals_fastai() -> None:
    res = curves(40)
    for skip_start, skip_end in ((10, 1), (0, 5)):
        ours = res.suggest("valley", skip_start, skip_end)
        for i, stop in enumerate(res.stopped_at):
            window = slice(skip_start, stop - skip_end)
            want = fastai_valley(res.learning_rates[i, window], res.smoothed_losses[i, window])
            assert ours[i] == want
    # Edge cases of fastai's indexing: monotone curves, two points, flat.
    for losses in ([3.0, 2.0, 1.0, 0.5], [2.0, 1.0], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [2, 1, 3]):
        lrs = np.arange(len(losses), dtype=np.float64) + 1
        got = lrs[rt.valley_index(np.asarray(losses, np.float64))]
        assert got == fastai_valley(lrs, np.asarray(losses, np.float64)), losses


def test_minimum_is_a_tenth_of_the_rate_at_the_lowest_loss() -> None:
    res = curves(5)
    got = res.suggest("minimum", 10, 1)
    for i, stop in enumerate(res.stopped_at):
        s = res.smoothed_losses[i, 10 : stop - 1]
        assert got[i] == res.learning_rates[i, 10 + s.argmin()] / 10


def test_lightning_differs_from_steepest_on_a_geometric_ramp() -> None:
    res = curves(20)
    ours = res.suggest("steepest")
    light = [
        lightning_rule(res.learning_rates[i, :stop], res.smoothed_losses[i, :stop], 10, 1)
        for i, stop in enumerate(res.stopped_at)
    ]
    # The slope against the rate itself divides each step's change by Δlr, which is
    # geometrically smaller at the start of the window: the noise there wins, and
    # Lightning's pick lies at a smaller rate (never a larger one on these curves).
    assert (np.asarray(light) <= ours).all() and (np.asarray(light) < ours).mean() > 0.5
    # On a linear ramp the two rules agree (a constant spacing does not move the argmin).
    lin = lrjax.RangeTestResult(np.broadcast_to(np.linspace(0.01, 1.0, 60), (20, 60)), *res[1:])
    light_lin = [
        lightning_rule(lin.learning_rates[i, :stop], lin.smoothed_losses[i, :stop], 10, 1)
        for i, stop in enumerate(lin.stopped_at)
    ]
    np.testing.assert_allclose(lin.suggest("steepest"), light_lin, rtol=1e-12)


@pytest.mark.slow  # importing pytorch_lightning takes seconds
def test_lightning_port_matches_lightning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr_finder = importlib.import_module("pytorch_lightning.tuner.lr_finder")
    res = curves(10)
    for i, stop in enumerate(res.stopped_at):
        lrs, losses = res.learning_rates[i, :stop], res.smoothed_losses[i, :stop]
        finder = lr_finder._LRFinder("exponential", 1e-5, 10.0, len(lrs))
        finder.results = {"lr": list(lrs), "loss": list(losses)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = finder.suggestion(skip_begin=10, skip_end=1)
        assert theirs == pytest.approx(lightning_rule(lrs, losses, 10, 1), rel=1e-12)


def test_suggest_window_too_short_is_nan_with_a_warning() -> None:
    res = curves(3)
    res = res._replace(stopped_at=np.array([60, 12, 5]))
    with pytest.warns(RuntimeWarning, match=r"repeats \[1, 2\] recorded fewer than 2"):
        got = res.suggest("valley")
    assert np.isfinite(got[0]) and np.isnan(got[1:]).all()
    with pytest.raises(ValueError, match=r"RangeTestResult.suggest\(method='best'\)"):
        res.suggest("best")


def test_one_cycle_and_cyclic_stay_below_the_loss_minimum() -> None:
    r = run(num_repeats=3, key=jax.random.key(2))
    limit = r.limit()
    for i, stop in enumerate(r.stopped_at):
        assert r.diverged[i] and limit < r.learning_rates[i, stop - 1]
    peak = r.peak("valley")
    assert peak == min(float(np.median(r.suggest("valley"))), limit)
    s = r.one_cycle(200, method="valley", pct_start=0.25)
    assert isinstance(s, lrjax.OneCycle) and float(s.peak_value) == np.float32(peak)
    c = r.cyclic(50, method="steepest", mode="triangular2")
    top = r.peak("steepest")
    assert isinstance(c, lrjax.Cyclic) and float(c.max_value) == np.float32(top)
    assert float(c.base_value) == np.float32(top / 4)
    # The cap binds: the loss is lowest early, then a long slow descent holds the valley.
    losses = np.concatenate([np.linspace(5, 0, 6), np.linspace(10, 1, 54)])[None]
    capped = curves(1)._replace(smoothed_losses=losses, stopped_at=np.array([60]))
    assert capped.limit() == capped.learning_rates[0, 5]
    assert capped.suggest("valley", 0, 0)[0] > capped.limit()
    assert capped.peak("valley", 0, 0) == capped.limit()
    assert capped.peak(skip_start=0, skip_end=0) <= capped.limit()  # steepest, the default


def test_plot(tmp_path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for res in (run(), run(num_repeats=3, key=jax.random.key(0))):
        ax = res.plot()
        assert ax.get_xscale() == "log" and len(ax.get_lines()) >= 3
        plt.gcf().savefig(tmp_path / "range_test.png")
        plt.close("all")
