"""The piece search behind piecewise schedules and joins.

``lrjax.schedules.piecewise.count_at_most`` must equal ``np.searchsorted(b, t, side="right")``
for every non-decreasing ``b``: duplicates, boundaries at 0 and at the int32 maximum, K
around the splitter count and around powers of two, scalar and N-d steps, under ``vmap``
over the boundaries; its graph must not grow with K; and a join of scalar-leaf children
must agree with a Python loop.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjax
from lrjax.schedules.piecewise import WHERE_CHAIN_MAX, count_at_most, piece_index

INT_MAX = np.iinfo(np.int32).max
SIZES = [0, 1, 2, 7, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 1024, 1025, 4097]

_count = jax.jit(count_at_most)


def _boundaries(k: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        b = np.sort(rng.integers(0, 3000, k))
        if k:
            b[-1] = INT_MAX
        return b.astype(np.int32)
    if kind == "duplicates":
        return np.sort(rng.integers(0, 5, k)).astype(np.int32)
    return np.arange(k, dtype=np.int32)


@pytest.mark.parametrize("kind", ["random", "duplicates", "dense"])
@pytest.mark.parametrize("k", SIZES)
def test_count_at_most_is_searchsorted_right(k, kind):
    b = _boundaries(k, kind, np.random.default_rng(k))
    t = np.concatenate([np.arange(0, 3100), [INT_MAX - 1, INT_MAX]]).astype(np.int32)
    expected = np.searchsorted(b, t, side="right")
    got = _count(jnp.asarray(b), jnp.asarray(t))
    assert got.dtype == jnp.int32
    np.testing.assert_array_equal(np.asarray(got), expected)
    for step in (0, 1, 4, 2999, INT_MAX):
        assert int(_count(jnp.asarray(b), jnp.int32(step))) == np.searchsorted(
            b, step, side="right"
        )


def test_piece_index_float_and_nd_steps_and_vmap_over_boundaries():
    b = np.sort(np.random.default_rng(0).integers(0, 1000, 100)).astype(np.int32)
    tf = np.linspace(0.0, 1200.0, 5001, dtype=np.float32)
    np.testing.assert_array_equal(
        np.asarray(piece_index(jnp.asarray(b), jnp.asarray(tf))),
        np.searchsorted(b, np.floor(tf), side="right"),
    )
    t2 = jnp.arange(1200, dtype=jnp.int32).reshape(30, 40)
    np.testing.assert_array_equal(
        np.asarray(piece_index(jnp.asarray(b), t2)),
        np.searchsorted(b, np.arange(1200), side="right").reshape(30, 40),
    )
    stacked = jnp.stack([jnp.asarray(b), jnp.asarray(b + 3)])
    out = jax.vmap(lambda bb: piece_index(bb, jnp.arange(1100, dtype=jnp.int32)))(stacked)
    np.testing.assert_array_equal(
        np.asarray(out[1]), np.searchsorted(b + 3, np.arange(1100), side="right")
    )


@pytest.mark.parametrize("steps", [jnp.int32(5), jnp.arange(16, dtype=jnp.int32)])
def test_search_graph_does_not_grow_with_k(steps):
    def ops(k):
        b = jnp.arange(1, k + 1, dtype=jnp.int32)
        text = jax.jit(count_at_most).lower(b, steps).as_text()
        return sum(1 for line in text.splitlines() if "=" in line)

    # Up to WHERE_CHAIN_MAX boundaries the compares are unrolled (fusible, the graph grows
    # with K up to that bound); beyond, one search loop whatever K.
    assert len({ops(k) for k in (WHERE_CHAIN_MAX + 1, 1000, 10_000)}) == 1
    assert ops(WHERE_CHAIN_MAX) <= 8 * ops(WHERE_CHAIN_MAX + 1)


@pytest.mark.parametrize("k", [3, 40, 300])
def test_join_of_scalar_leaf_children_matches_a_python_loop(k):
    length = 7
    children = [
        lrjax.warmup(lrjax.cosine_decay(1.0 + i, length, exponent=1.0 + 0.5 * (i % 3)), 2)
        for i in range(k)
    ]
    bounds = [i * (length + 2) for i in range(1, k)]
    s = lrjax.join_schedules(children, bounds)
    t = np.arange(0, k * (length + 2) + 5)
    starts = np.array([0, *bounds])
    piece = np.searchsorted(np.array(bounds), t, side="right")
    expected = [float(children[p](int(x - starts[p]))) for x, p in zip(t, piece, strict=True)]
    np.testing.assert_allclose(np.asarray(s(jnp.asarray(t))), expected, rtol=2e-7)
    assert float(s(int(t[-1]))) == pytest.approx(expected[-1], rel=2e-7)
