"""Default dtypes: float32/int32, or float64/int64 when ``jax_enable_x64`` is on."""

from __future__ import annotations

import jax
import numpy as np

# Made once: schedule constructors ask for them for every field.
_FLOAT = {False: np.dtype(np.float32), True: np.dtype(np.float64)}
_INT = {False: np.dtype(np.int32), True: np.dtype(np.int64)}


X64_HINT = "enable 64-bit steps with jax.config.update('jax_enable_x64', True)"
"""How to lift the int32 limit on steps and step counts, for error messages."""


def x64_enabled() -> bool:
    """Whether JAX's 64-bit mode (``jax_enable_x64``) is on."""
    return bool(jax.config.jax_enable_x64)  # pyright: ignore[reportAttributeAccessIssue]


def float_dtype() -> np.dtype:
    """The dtype of schedule values: float32, or float64 under x64."""
    return _FLOAT[x64_enabled()]


def int_dtype() -> np.dtype:
    """The dtype of integer steps and step counts: int32, or int64 under x64."""
    return _INT[x64_enabled()]


def int_max() -> int:
    """The largest step or step count the current integer mode holds."""
    return 2**63 - 1 if x64_enabled() else 2**31 - 1
