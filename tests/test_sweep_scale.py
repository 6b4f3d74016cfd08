"""``lrjax.sweep`` and ``lrjax.sample`` at scale: one traced build, every value checked.

The traced build must give what calling the factory per point and stacking gives, bit for
bit (dtypes too), and reject exactly the points a per-point call rejects, with that call's
own message and the point.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

import jax
import numpy as np
import pytest

import lrjax
import lrjax.compat.optax as lro
import lrjax.compat.torch as lrt
from lrjax.tools.sweep import _halton


def counted(factory: Any) -> tuple[Any, list[int]]:
    """``factory`` counting its calls: a traced build calls it once plus a few checks."""
    calls = [0]

    def call(**kwargs: Any) -> Any:
        calls[0] += 1
        return factory(**kwargs)

    return call, calls


def per_point(factory: Any, sw: lrjax.Sweep) -> Any:
    return lrjax.stack([factory(**p) for p in sw.points()])


def assert_identical(sw: lrjax.Sweep, ref: Any) -> None:
    got, tree = jax.tree_util.tree_flatten(sw.schedule)
    want, ref_tree = jax.tree_util.tree_flatten(ref)
    assert str(tree) == str(ref_tree)
    for a, b in zip(got, want, strict=True):
        a = np.asarray(a).reshape(np.shape(b))
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        assert np.array_equal(a, b), (a, b)
        assert not getattr(a, "weak_type", False)


WCD = dict(peak_value=[1e-3, 0.1, 0.3], warmup_steps=[0, 5, 10], total_steps=[10, 100, 1000])
FAST = {
    "warmup_cosine_decay": (lrjax.warmup_cosine_decay, WCD),
    "warmup_cosine_decay_partial": (
        functools.partial(lrjax.warmup_cosine_decay, init_value=0.0, total_steps=1000),
        dict(peak_value=np.logspace(-5, -1, 7), warmup_steps=np.array([0, 1, 999, 1000])),
    ),
    "one_cycle": (
        lrjax.one_cycle,
        dict(peak_value=[1e-3, 0.1], total_steps=[10, 100, 1000], pct_start=[0.1, 0.3]),
    ),
    "torch_one_cycle_lr": (
        lrt.one_cycle_lr,
        dict(max_lr=[1e-3, 0.1], total_steps=[10, 100], pct_start=[0.2, 0.4]),
    ),
    "cosine_decay": (lrjax.cosine_decay, dict(init_value=[1.0, 2.5], decay_steps=[1, 7, 50])),
}
PER_POINT = {
    # Their rules read values with `concrete` (they skip traced values), so they build per
    # point, which checks every point.
    "optax_warmup_cosine_decay_schedule": (
        functools.partial(lro.warmup_cosine_decay_schedule, 0.0),
        dict(peak_value=[1e-3, 0.1], warmup_steps=[0, 5], decay_steps=[10, 100]),
    ),
    "join_schedules": (
        lambda peak, at: lrjax.join_schedules(
            [lrjax.constant(peak), lrjax.cosine_decay(peak, 100)], [at]
        ),
        dict(peak=[0.1, 0.2], at=[5, 50]),
    ),
}


@pytest.mark.parametrize("name", sorted(FAST))
def test_traced_build_is_bit_identical_to_per_point(name):
    factory, grid = FAST[name]
    call, calls = counted(factory)
    sw = lrjax.sweep(call, **grid)
    assert calls[0] <= 4 < sw.size  # one traced call, then up to three members confirmed
    assert_identical(sw, per_point(factory, sw))
    assert sw.member(sw.size - 1) == factory(**sw.points()[-1])


@pytest.mark.parametrize("name", sorted(PER_POINT))
def test_factories_with_value_reading_checks_build_per_point(name):
    factory, grid = PER_POINT[name]
    call, calls = counted(factory)
    sw = lrjax.sweep(call, **grid)
    assert calls[0] > sw.size  # a traced attempt, then every point
    assert_identical(sw, per_point(factory, sw))


def test_untraceable_factories_fall_back_to_per_point():
    def branchy(peak, n):  # a Python `if` on a value cannot be traced
        return lrjax.cosine_decay(peak if peak > 0.5 else 2 * peak, n)

    sw = lrjax.sweep(branchy, peak=[0.25, 1.0], n=[10, 20])
    assert_identical(sw, per_point(branchy, sw))
    assert float(sw.member(0)(0)) == 0.5
    shaped = lambda shape, peak: lrjax.warmup(lrjax.constant(peak), 10, shape=shape)  # noqa: E731
    sw = lrjax.sweep(shaped, shape=["cosine"], peak=[0.1, 0.2])
    assert sw.others[0] == ("cosine",)
    assert_identical(sw, per_point(shaped, sw))


def per_point_error(factory: Any, point: dict[str, Any]) -> Exception:
    with pytest.raises(Exception) as info:
        factory(**point)
    return info.value


@pytest.mark.parametrize(
    ("grid", "index", "argument"),
    [
        # A rule between arguments, broken at one point only.
        (dict(peak_value=[0.1, 0.2], warmup_steps=[10, 2000], total_steps=[1000, 5000]), 2, ""),
        # Field checks: a negative value, a fractional count (lost by an int cast), a value
        # beyond float32, a step count beyond int32 (builds per point).
        (dict(peak_value=[0.1, -0.2], warmup_steps=[10], total_steps=[100]), 1, "peak_value"),
        (dict(peak_value=[0.1], warmup_steps=[10, 10.5], total_steps=[100.0]), 1, "warmup_steps"),
        (dict(peak_value=[0.1, 1e39], warmup_steps=[10], total_steps=[100]), 1, "peak_value"),
        (dict(peak_value=[0.1], warmup_steps=[10], total_steps=[100, 2**40]), 1, "total_steps"),
        (dict(peak_value=[np.nan, 0.1], warmup_steps=[10], total_steps=[100]), 0, "peak_value"),
    ],
)
def test_an_invalid_point_raises_its_own_error_naming_the_point(grid, index, argument):
    factory = lrjax.warmup_cosine_decay
    shape = tuple(len(v) for v in grid.values())
    combo = np.unravel_index(index, shape)
    point = {k: v[int(i)] for (k, v), i in zip(grid.items(), combo, strict=True)}
    err = per_point_error(factory, point)
    prefix = f"sweep point {index} {point}: "
    with pytest.raises(type(err), match=re.escape(prefix + str(err))):
        lrjax.sweep(factory, **grid)
    assert argument in str(err)


def test_the_first_invalid_point_of_a_large_grid_is_reported():
    warmups = np.arange(0, 2000, 2)  # 1 000 values; total_steps 1000 rejects warmups > 1000
    peaks = np.logspace(-5, -1, 100)
    with pytest.raises(ValueError, match=r"^sweep point 501 .*'warmup_steps': 1002.*total_steps"):
        lrjax.sweep(
            functools.partial(lrjax.warmup_cosine_decay, total_steps=1000),
            peak_value=peaks,
            warmup_steps=warmups,
        )


def test_a_large_grid_builds_once_with_its_labels():
    factory = functools.partial(lrjax.warmup_cosine_decay, total_steps=100_000)
    call, calls = counted(factory)
    peaks, warmups = np.logspace(-5, -2, 300), np.arange(0, 3000, 10)
    sw = lrjax.sweep(call, peak_value=peaks, warmup_steps=warmups)
    assert calls[0] <= 4 and sw.shape == (300, 300)
    leaf = np.asarray(cast(Any, sw.schedule).warmup_steps)
    assert leaf.shape == (300, 300) and np.array_equal(leaf[:, 7], np.full(300, 70))
    assert sw.member((299, 7)) == factory(peak_value=peaks[299], warmup_steps=70)
    assert sw.labels()[301] == "peak_value=1.02337e-05, warmup_steps=10"


# -- sample --------------------------------------------------------------------------------


def wcd(peak_value, warmup_steps, exponent=1.0):
    return lrjax.warmup_cosine_decay(peak_value, warmup_steps, 5000, exponent=exponent)


SPACE = dict(
    peak_value=lrjax.log_uniform(1e-5, 1e-2),
    warmup_steps=lrjax.int_uniform(0, 2000),
    exponent=lrjax.one_of([1.0, 2.0]),
)


@pytest.mark.parametrize("method", ["random", "halton"])
def test_sample_is_reproducible_in_range_and_labelled(method):
    a = lrjax.sample(wcd, jax.random.key(3), 400, method=method, **SPACE)
    b = lrjax.sample(wcd, jax.random.key(3), 400, method=method, **SPACE)
    c = lrjax.sample(wcd, jax.random.key(4), 400, method=method, **SPACE)
    assert a.shape == (400,) and a.names == ("sample",)
    assert_identical(a, b.schedule)
    assert a.points() != c.points()
    points = a.points()
    peaks = np.array([p["peak_value"] for p in points])
    warm = np.array([p["warmup_steps"] for p in points])
    assert np.all((peaks >= np.float32(1e-5)) & (peaks <= np.float32(1e-2))) and np.all(
        (warm >= 0) & (warm <= 2000)
    )
    assert {p["exponent"] for p in points} == {1.0, 2.0}
    # log-uniform: about a third of the samples per decade
    counts = np.histogram(np.log10(peaks), bins=[-5, -4, -3, -2])[0]
    assert np.all(np.abs(counts - 400 / 3) < 60), counts
    assert_identical(a, per_point(wcd, a))
    assert a.labels()[0] == ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in points[0].items()
    )
    assert "400 samples" in repr(a)


def test_sample_accepts_raw_keys_and_checks_its_arguments():
    a = lrjax.sample(
        wcd,
        jax.random.PRNGKey(0),
        5,
        peak_value=lrjax.uniform(0.1, 0.2),
        warmup_steps=lrjax.int_uniform(1, 1),
    )
    assert {p["warmup_steps"] for p in a.points()} == {1}
    with pytest.raises(TypeError, match="distribution"):
        lrjax.sample(wcd, jax.random.key(0), 5, peak_value=0.1)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="num"):
        lrjax.sample(wcd, jax.random.key(0), 0, peak_value=lrjax.uniform(0.1, 0.2))
    with pytest.raises(ValueError, match="method"):
        lrjax.sample(wcd, jax.random.key(0), 5, method="sobol", peak_value=lrjax.uniform(0, 1))
    with pytest.raises(ValueError, match="> 0"):
        lrjax.log_uniform(0.0, 1.0)
    with pytest.raises(ValueError, match="high must be >= low"):
        lrjax.uniform(1.0, 0.5)
    with pytest.raises(TypeError, match="integer"):
        lrjax.int_uniform(0, 2.5)  # type: ignore[arg-type]


def test_an_invalid_sample_names_the_sample():
    space: dict[str, Any] = dict(
        peak_value=lrjax.uniform(0.1, 0.2), warmup_steps=lrjax.int_uniform(0, 9000)
    )
    with pytest.raises(ValueError, match=r"^sweep point \d+ \{'peak_value': .*total_steps") as e:
        lrjax.sample(wcd, jax.random.key(0), 50, **space)
    index = int(str(e.value).split()[2])
    # The reported sample is the first one with warmup_steps > 5000.
    rng_space = lrjax.sample(
        lambda peak_value, warmup_steps: lrjax.constant(peak_value),
        jax.random.key(0),
        50,
        **space,
    )
    sw_points = rng_space.points()
    first = next(i for i, p in enumerate(sw_points) if p["warmup_steps"] > 5000)
    assert index == first


def test_halton_matches_the_radical_inverse():
    def radical_inverse(i: int, base: int) -> float:
        f, r = 1.0, 0.0
        while i > 0:
            f /= base
            r += f * (i % base)
            i //= base
        return r

    h = _halton(5000, 4)
    for i in (0, 1, 2, 7, 4095, 4096, 4999):
        want = [radical_inverse(i + 1, b) for b in (2, 3, 5, 7)]
        np.testing.assert_allclose(h[i], want, rtol=1e-12)
    assert len(np.unique(h[:, 0])) == 5000


# -- evaluating many members ---------------------------------------------------------------


def test_evaluate_and_envelope_in_member_groups_match_one_vmap():
    factory = functools.partial(lrjax.warmup_cosine_decay, total_steps=250)
    sw = lrjax.sweep(factory, peak_value=np.logspace(-4, -1, 50), warmup_steps=np.arange(60))
    flat = jax.tree_util.tree_map(lambda x: x.reshape(-1), sw.schedule)
    want = np.asarray(jax.vmap(lambda s: s(jax.numpy.arange(300)))(flat)).reshape(50, 60, 300)
    # 2**16 values per call at 1 024 steps: 64 members per call, the last group padded.
    got = lrjax.evaluate(sw, 300, chunk_size=1 << 16)
    assert np.array_equal(got, want)
    env = lrjax.envelope(sw, 300, num_bins=30, chunk_size=1 << 16)
    assert np.array_equal(env.min, want.reshape(50, 60, 30, 10).min(-1))
    assert np.array_equal(env.max, want.reshape(50, 60, 30, 10).max(-1))


def test_evaluating_a_hundred_thousand_members_stays_within_bounded_memory():
    # One call over every member would hold 1e5 members x 1 024 steps (400 MiB) per chunk.
    code = """
import resource, functools, numpy as np, lrjax
sw = lrjax.sweep(functools.partial(lrjax.warmup_cosine_decay, total_steps=1000),
                 peak_value=np.logspace(-4, -1, 400), warmup_steps=np.arange(250))
lrjax.evaluate(sw.member(0), 16); lrjax.envelope(sw.member(0), 16)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = lrjax.evaluate(sw, 16)
env = lrjax.envelope(sw, 16, num_bins=4)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert y.shape == (400, 250, 16) and env.min.shape == (400, 250, 4)
print((after - before) / 1024)
"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    grown = float(out.stdout.strip().splitlines()[-1])
    assert grown < 150, f"evaluate/envelope of 1e5 members grew the peak RSS by {grown:.0f} MiB"


def test_the_docs_sweep_at_scale_snippet_runs(capsys):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    section = text.split("### Sweeps at scale")[1].split("\n### ")[0]
    (block,) = re.findall(r"```py\n(.*?)```", section, re.S)
    exec(compile(block, "docs/training.md: sweeps at scale", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [
        "(1000, 1000) (100000,)",
        "True",
        "(100000, 50)",
    ]


def test_without_jaxs_private_batch_tracer_sweeps_build_per_point(monkeypatch):
    # The fast path reads a private JAX class; if a release moves it, the result is the same.
    import sys

    monkeypatch.setitem(sys.modules, "jax._src.interpreters.batching", None)
    factory, grid = FAST["warmup_cosine_decay"]
    call, calls = counted(factory)
    sw = lrjax.sweep(call, **grid)
    assert calls[0] > sw.size
    assert_identical(sw, per_point(factory, sw))


def test_summarize_a_sweep_equals_each_members_summary():
    sw = lrjax.sweep(
        lambda peak_value, total_steps: lrjax.warmup_cosine_decay(peak_value, 10, total_steps),
        peak_value=[1e-3, 0.1, 0.5],
        total_steps=[50, 120, 300],
    )
    levels = [0.05, 1e-4]
    got = lrjax.summarize(sw, 400, levels, chunk_size=2048)  # several chunks and groups
    assert isinstance(got, lrjax.SweepSummary) and got.shape == (3, 3)
    for index in np.ndindex(3, 3):
        one = lrjax.summarize(sw.member(index), 400, levels)
        assert isinstance(one, lrjax.Summary)
        for field in ("peak_value", "min_value", "initial_value", "final_value", "end_value"):
            assert got.__getattribute__(field)[index] == getattr(one, field), field
        assert got.min_step[index] == one.min_step
        assert got.area[index] == pytest.approx(one.area, rel=1e-6)  # float32 tile sums
        # The levels as the summary keeps them (rounded to float32).
        for j, (steps, total) in enumerate(
            zip(one.crossings.values(), one.num_crossings.values(), strict=True)
        ):
            assert got.first_crossing[index + (j,)] == (steps[0] if steps else -1)
            assert got.num_crossings[index + (j,)] == total
    # Member groups: the same figures whatever the group size.
    small = lrjax.summarize(sw, 400, levels, chunk_size=512)
    np.testing.assert_array_equal(small.area, got.area)
    np.testing.assert_array_equal(small.first_crossing, got.first_crossing)


def test_summarize_many_members_in_bounded_memory():
    sw = lrjax.sample(
        lambda peak_value, total_steps: lrjax.warmup_cosine_decay(peak_value, 100, total_steps),
        jax.random.key(0),
        20_000,
        peak_value=lrjax.log_uniform(1e-5, 1e-1),
        total_steps=lrjax.int_uniform(500, 2_000),
    )
    got = lrjax.summarize(sw, 2_000)
    assert got.shape == (20_000,)
    np.testing.assert_allclose(
        got.peak_value, np.asarray(cast(Any, sw.schedule).peak_value), rtol=1e-6
    )
    assert np.all(got.end_value == 0.0) and np.all(got.peak_step == 100)
