"""Small test utilities: tree comparison, errors against references, a trace counter."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def assert_trees_all_close(a: Any, b: Any, rtol: float = 0.0, atol: float = 0.0) -> None:
    """Leaves of two pytrees are equal in structure and close in value (exact by default)."""
    leaves_a, tree_a = jax.tree_util.tree_flatten(a)
    leaves_b, tree_b = jax.tree_util.tree_flatten(b)
    assert tree_a == tree_b, f"{tree_a} != {tree_b}"
    for x, y in zip(leaves_a, leaves_b, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def assert_close_to_reference(actual: Any, expected: Any, rtol: float, scale: float) -> None:
    """``actual`` (float32) matches a float64 reference.

    Relative error ``<= rtol`` where the reference is ``>= 1e-6 * scale`` (docs/contract.md,
    Precision), and absolute error ``<= rtol * scale`` everywhere.
    """
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert np.all(np.isfinite(actual)), actual
    err = np.abs(actual - expected)
    assert np.all(err <= rtol * max(scale, 1e-30) + 1e-300), (
        f"max abs error {err.max():.3g} at step index {int(np.argmax(err))}: "
        f"{actual[np.argmax(err)]!r} vs {expected[np.argmax(err)]!r}"
    )
    big = np.abs(expected) >= 1e-6 * scale
    if np.any(big):
        rel = err[big] / np.abs(expected[big])
        assert rel.max() <= rtol, f"max relative error {rel.max():.3g}"


def f32(x: float) -> float:
    """``x`` rounded to float32 (the value a float32 schedule stores)."""
    return float(np.float32(x))


def rel_error(ours: Any, ref: Any) -> float:
    """Largest ``|ours - ref| / max(|ref|, 1e-6 * peak)`` over the finite entries of ``ref``.

    Entries where the reference is NaN (a peer that raised past its end) are not compared.
    """
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    ok = np.isfinite(ref)
    peak = np.max(np.abs(ref[ok])) if ok.any() else 0.0
    denom = np.maximum(np.abs(ref[ok]), 1e-6 * peak) + 1e-300
    return float(np.max(np.abs(ours[ok] - ref[ok]) / denom))


def curve(schedule: Callable[[jax.Array], Any], n: int, num_steps: int) -> np.ndarray:
    """The first ``n`` values of ``schedule`` in float64.

    Evaluated on ``arange(num_steps)``: one step array for every curve of a test module, so
    each schedule structure compiles once.
    """
    assert n <= num_steps, (n, num_steps)
    return np.asarray(schedule(jnp.arange(num_steps)), np.float64)[:n]


@dataclasses.dataclass
class TraceCounter:
    """Counts how many times a function is traced (each trace precedes a compile)."""

    count: int = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return fn(*args, **kwargs)

        return counted


@contextlib.contextmanager
def x64() -> Iterator[None]:
    """Enable ``jax_enable_x64`` inside the block."""
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)
