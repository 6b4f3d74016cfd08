"""``lrjax.stack`` and ``lrjax.sweep``: batched schedules with labelled grid axes."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjax


def test_stack_is_one_pytree_of_the_same_class():
    a, b = lrjax.linear(1.0, 0.0, 10), lrjax.linear(2.0, 0.5, 30, 5)
    s = lrjax.stack([a, b])
    assert type(s) is lrjax.Linear
    assert all(np.shape(leaf)[0] == 2 for leaf in jax.tree_util.tree_leaves(s))
    t = jnp.arange(40)
    np.testing.assert_array_max_ulp(jax.vmap(lambda m: m(t))(s)[1], b(t), 4)


def test_stack_rejects_other_structures():
    # Same field count, different families: must not stack (jax 0.10 treedef equality).
    with pytest.raises(ValueError, match=r"schedules\[1\]"):
        lrjax.stack([lrjax.cosine_decay(1.0, 10), lrjax.polynomial(1.0, 0.0, 2.0, 10)])
    with pytest.raises(ValueError, match="structure"):
        lrjax.stack(
            [
                lrjax.warmup(lrjax.constant(1.0), 5),
                lrjax.warmup(lrjax.constant(1.0), 5, shape="cosine"),
            ]
        )
    with pytest.raises(ValueError, match="structure"):
        lrjax.stack(
            [
                lrjax.piecewise_constant([1, 2], [1.0, 0.5, 0.1]),
                lrjax.piecewise_constant([1], [1.0, 0.5]),
            ]
        )
    with pytest.raises(ValueError, match="at least one"):
        lrjax.stack([])
    with pytest.raises(TypeError, match="sequence"):
        lrjax.stack(lrjax.constant(1.0))  # type: ignore[arg-type]


def test_sweep_grid_axes_labels_members():
    sw = lrjax.sweep(
        functools.partial(lrjax.warmup_cosine_decay, init_value=0.0),
        peak_value=[1e-3, 3e-3],
        warmup_steps=[0, 10, 100],
        total_steps=np.array([1000, 2000]),
    )
    assert sw.shape == (2, 3, 2) and sw.size == 12
    assert sw.names == ("peak_value", "warmup_steps", "total_steps")
    assert sw.axes[2] == ("total_steps", (1000, 2000))
    assert sw.labels()[0] == "peak_value=0.001, warmup_steps=0, total_steps=1000"
    assert sw.points()[-1] == {"peak_value": 3e-3, "warmup_steps": 100, "total_steps": 2000}
    assert sw.member(7) == sw.member((1, 0, 1)) == lrjax.warmup_cosine_decay(3e-3, 0, 2000)
    assert "peak_value" in repr(sw)
    values = sw(jnp.array([0, 10, 500]))
    assert values.shape == (2, 3, 2, 3)
    np.testing.assert_array_max_ulp(
        values[1, 2, 0], lrjax.warmup_cosine_decay(3e-3, 100, 1000)(jnp.array([0, 10, 500])), 4
    )


def test_sweep_through_jit_compiles_once():
    traces = []

    @jax.jit
    def total(sw):
        traces.append(1)
        return sw(jnp.arange(100)).sum(axis=-1)

    make = lambda peak, steps: lrjax.cosine_decay(peak, steps)  # noqa: E731
    a = total(lrjax.sweep(make, peak=[1.0, 2.0], steps=[10, 20]))
    b = total(lrjax.sweep(make, peak=[3.0, 4.0], steps=[50, 60]))
    assert len(traces) == 1
    assert a.shape == b.shape == (2, 2)
    # Non-numeric axes are static labels.
    sw = lrjax.sweep(lambda kind: lrjax.constant({"a": 1.0, "b": 2.0}[kind]), kind=["a", "b"])
    assert sw.labels() == ["kind=a", "kind=b"] and sw.shape == (2,)
    np.testing.assert_array_equal(jax.jit(lambda s: s(0))(sw), [1.0, 2.0])


def test_sweep_errors():
    with pytest.raises(ValueError, match="at least one axis"):
        lrjax.sweep(lrjax.cosine_decay)
    with pytest.raises(TypeError, match="sequence"):
        lrjax.sweep(lrjax.cosine_decay, init_value=1.0, decay_steps=[10])
    with pytest.raises(ValueError, match="at least one value"):
        lrjax.sweep(lrjax.cosine_decay, init_value=[], decay_steps=[10])
    with pytest.raises(ValueError, match="structure"):
        lrjax.sweep(
            lambda shape: lrjax.warmup(lrjax.constant(1.0), 5, shape=shape),
            shape=["linear", "cosine"],
        )
    with pytest.raises(ValueError, match="decay_steps"):  # the factory validates members
        lrjax.sweep(lrjax.cosine_decay, init_value=[1.0], decay_steps=[10, -1])
    with pytest.raises(TypeError, match="not an lrjax schedule"):
        lrjax.sweep(lambda x: x, x=[1.0])
    with pytest.raises(TypeError, match="function"):
        lrjax.sweep("cosine_decay", x=[1.0])  # type: ignore[arg-type]
