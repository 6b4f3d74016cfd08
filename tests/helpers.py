"""Small test utilities: tree comparison and a trace counter."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import jax
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

    Relative error ``<= rtol`` where the reference is ``>= 1e-6 * scale`` (SEMANTICS §2),
    and absolute error ``<= rtol * scale`` everywhere.
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
