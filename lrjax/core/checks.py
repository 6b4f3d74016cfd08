"""Construction-time checks and canonical leaf types.

Every check here runs only on concrete values (Python numbers, NumPy arrays, concrete
``jax.Array``s) and is a no-op on tracers, so a factory can be called inside ``jit``,
``vmap`` or ``grad`` with traced hyperparameters. Errors name the public function and
argument, echo the value and state the allowed range.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.core.dtypes import X64_HINT, float_dtype, int_dtype, int_max, x64_enabled


def is_concrete(x: Any) -> bool:
    """True when ``x`` holds a value now (not a tracer, not a ShapeDtypeStruct).

    Code that skips a check when this is False skips it for a sweep member too, so during a
    batched sweep build (:func:`sweep_batch`) a member-batched tracer here defers the build
    to the per-point path, which checks every point.
    """
    if isinstance(x, Tracer):
        _defer(x)
        return False
    return _is_concrete(x)


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, Tracer) and isinstance(
        x, (int, float, np.ndarray, np.generic, jax.Array)
    )


def _concrete_array(x: Any) -> np.ndarray | None:
    return np.asarray(x) if _is_concrete(x) else None


# -- batched sweep builds -------------------------------------------------------------------
#
# ``lrjax.sweep`` calls a factory once under ``jax.vmap`` over the flattened grid. The checks
# below then see tracers whose values are known (eager ``vmap`` holds the concrete batched
# array in ``BatchTracer.val``): the field checks and ``require_args`` rules validate those
# values whole-array and record which members fail, instead of skipping them. A check that
# only knows how to skip (``concrete``/``shown``/``is_concrete`` called on such a tracer)
# marks the build deferred: the sweep then builds per point, which checks everything.


class SweepBatch:
    """What a batched sweep build learned: the members that fail a check, whether a check
    could not be vectorised (``deferred``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bad = np.zeros((size,), bool)
        self.deferred = False


_BATCH: contextvars.ContextVar[SweepBatch | None] = contextvars.ContextVar(
    "lrjax_sweep_batch", default=None
)


@contextlib.contextmanager
def sweep_batch(size: int) -> Iterator[SweepBatch]:
    """Validate member-batched tracers of a ``jax.vmap`` over ``size`` members whole-array."""
    batch = SweepBatch(size)
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)


def _members(x: Any) -> np.ndarray | None:
    """The concrete values of a member-batched tracer of the current sweep build (members
    first), or None (no sweep build, or not such a tracer: then the build is deferred)."""
    batch = _BATCH.get()
    if batch is None or not isinstance(x, Tracer):
        return None
    try:  # a private class of JAX: if a release moves it, sweeps build per point (slower)
        from jax._src.interpreters.batching import BatchTracer  # the eager vmap's tracer
    except ImportError:
        batch.deferred = True
        return None

    val = getattr(x, "val", None)
    if (
        isinstance(x, BatchTracer)
        and x.batch_dim == 0
        and isinstance(val, jax.Array)
        and not isinstance(val, Tracer)
        and val.ndim >= 1
        and val.shape[0] == batch.size
    ):
        return np.asarray(val)
    batch.deferred = True
    return None


def _defer(x: Any) -> None:
    batch = _BATCH.get()
    if batch is not None and isinstance(x, Tracer):
        batch.deferred = True


def _mark(bad: Any) -> None:
    """Record the members (a bool array, members first) that fail a check."""
    batch = _BATCH.get()
    assert batch is not None
    bad = np.asarray(bad, bool)
    if bad.ndim == 0:
        bad = np.broadcast_to(bad, (batch.size,))
    elif bad.ndim > 1:
        bad = bad.reshape(batch.size, -1).any(axis=1)
    batch.bad |= bad


def _is_real_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a real floating or integer dtype, NumPy's or an extension type
    of JAX's (bfloat16, float8): ``np.number`` alone misses the latter."""
    return bool(jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer))


def _as_numpy_real(arr: np.ndarray) -> np.ndarray:
    """``arr`` with extension float dtypes (bfloat16, float8) widened to float64 (exactly),
    so NumPy's ``isfinite``/``floor``/comparisons treat them as the numbers they are."""
    if arr.dtype.kind in "iuf":
        return arr
    return arr.astype(np.float64)


def tiny() -> float:
    """The smallest positive number a positive hyperparameter may hold: the smallest normal
    number of the default float dtype (XLA on CPU flushes subnormal numbers to zero, so a
    positive subnormal rate or divisor would act as 0)."""
    return float(np.finfo(float_dtype()).tiny)


def _members_kind_ok(arr: np.ndarray, shape: tuple[int, ...] | None) -> bool:
    """Whether a batched leaf has a real numeric dtype and, per member, ``shape``."""
    if not _is_real_dtype(arr.dtype):
        _mark(True)
        return False
    if shape is not None and arr.shape[1:] != shape:
        _mark(True)
        return False
    return True


def _members_value(
    arr: np.ndarray,
    shape: tuple[int, ...] | None,
    positive: bool,
    nonnegative: bool,
    at_least: float | None,
) -> None:
    """:func:`as_value`'s checks on every member at once."""
    if not _members_kind_ok(arr, shape):
        return
    arr = _as_numpy_real(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~np.isfinite(arr) | ~np.isfinite(arr.astype(float_dtype()))
        if positive:
            bad |= ~(np.abs(arr.astype(float_dtype())) >= tiny()) | ~(arr > 0)
        if nonnegative:
            bad |= ~(arr >= 0)
        if at_least is not None:
            bad |= ~(arr >= at_least)
    _mark(bad)


def _members_count(arr: np.ndarray, shape: tuple[int, ...] | None, minimum: int) -> None:
    """:func:`as_count`'s checks on every member at once."""
    if not _members_kind_ok(arr, shape):
        return
    arr = _as_numpy_real(arr)
    with np.errstate(invalid="ignore"):
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        else:
            bad = np.zeros(arr.shape, bool)
        bad |= (arr < minimum) | (arr > int_max())
    _mark(bad)


def _members_increasing(arr: np.ndarray, strictly: bool) -> None:
    if arr.ndim == 2 and arr.shape[1] > 1:
        diffs = np.diff(arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64), axis=1)
        _mark(~(diffs > 0) if strictly else ~(diffs >= 0))


def _fail(func: str, name: str, value: Any, requirement: str, exc: type[Exception] = ValueError):
    raise exc(f"{func}({name}={_show(value)}): {name} {requirement}")


def _show(value: Any) -> str:
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
        value = np.asarray(value).item()
    if isinstance(value, (np.ndarray, jax.Array)):
        return np.array2string(np.asarray(value), threshold=8)
    return repr(value)


def _check_elements(func: str, name: str, value: Any, items: Any) -> None:
    """Reject a list or tuple holding anything but real numbers (and arrays of them): NumPy
    would turn ``"0.1"`` into 0.1 and ``True`` into 1 without a word."""
    for i, item in enumerate(items):
        if isinstance(item, (list, tuple)):
            _check_elements(func, name, value, item)
            continue
        bad = (
            isinstance(item, (bool, np.bool_, str, bytes, complex))
            or item is None
            or not isinstance(item, (int, float, np.generic, np.ndarray, jax.Array, Tracer))
        )
        dtype = getattr(item, "dtype", None)
        if not bad and dtype is not None and not _is_real_dtype(dtype):
            bad = True
        if bad:
            raise TypeError(
                f"{func}({name}={_show_list(value)}): {name}[{i}]={item!r} must be a real "
                f"number, not {type(item).__name__}"
            )


def _show_list(value: Any) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def _check_kind(func: str, name: str, value: Any) -> None:
    """Reject bool, str, None, complex: values that are numbers only by accident."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        _fail(func, name, value, "must be a real number", TypeError)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and (
        jnp.issubdtype(dtype, jnp.bool_) or jnp.issubdtype(dtype, jnp.complexfloating)
    ):
        _fail(func, name, value, f"must be real numbers, not {dtype}", TypeError)
    if isinstance(value, complex):
        _fail(func, name, value, "must be a real number", TypeError)
    if dtype is None and not isinstance(value, (int, float, np.number, Tracer)):
        _fail(func, name, value, f"must be a number, not {type(value).__name__}", TypeError)


_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103
"""The smallest magnitude that rounds to infinity in float32."""

_TINY = {False: float(np.finfo(np.float32).tiny), True: float(np.finfo(np.float64).tiny)}
"""The smallest normal float32 / float64 (see :func:`tiny`), by x64 mode."""


def _to_leaf(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, (Tracer, jax.Array)):
        return value.astype(dtype) if value.dtype != dtype else value
    return np.asarray(value, dtype=dtype)


def _number(
    func: str, name: str, value: Any, shape: tuple[int, ...] | None, requirement: str
) -> tuple[Any, np.ndarray | None]:
    """``value`` (lists as arrays) checked to be numbers of ``shape``, and its concrete array.

    The shape is checked on concrete values only: a traced leaf may carry batch axes.
    """
    if isinstance(value, (list, tuple)):
        _check_elements(func, name, value, value)
        value = np.asarray(value)
    _check_kind(func, name, value)
    if shape is not None and np.shape(value) != shape and not isinstance(value, Tracer):
        _fail(func, name, value, f"must have shape {shape}, got {np.shape(value)}")
    arr = _concrete_array(value)
    if arr is not None and not _is_real_dtype(arr.dtype):
        _fail(func, name, value, requirement, TypeError)
    return value, (None if arr is None else _as_numpy_real(arr))


def as_value(
    func: str,
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    at_least: float | None = None,
    shape: tuple[int, ...] | None = (),
) -> Any:
    """A float hyperparameter (a learning rate, a rate, a factor) as a canonical leaf.

    Concrete values are checked to be finite (and positive or non-negative when asked);
    they become a NumPy array of the default float dtype. Tracers are cast, unchecked.
    """
    if shape == () and (type(value) is float or (type(value) is int and abs(value) <= 2**53)):
        # The common case, a valid Python number, accepted without NumPy checks (a join of
        # 1 000 pieces validates 3 000); anything else goes on to the checks below, which
        # raise the errors.
        f, x64 = float(value), x64_enabled()
        if (
            math.isfinite(f)
            and (x64 or abs(f) < _FLOAT32_OVERFLOW)
            and (f >= _TINY[x64] or not positive)
            and (f >= 0 or not nonnegative)
            and (at_least is None or f >= at_least)
        ):
            return np.asarray(value, dtype=np.float64 if x64 else np.float32)
    members = _members(value)
    if members is not None:
        _members_value(members, shape, positive, nonnegative, at_least)
    value, arr = _number(func, name, value, shape, "must be a real number")
    if arr is not None:
        with np.errstate(over="ignore"):
            representable = np.isfinite(arr.astype(float_dtype()))
        if not np.all(np.isfinite(arr)) or not np.all(representable):
            _fail(func, name, value, f"must be finite (in {float_dtype()})")
        if positive and not np.all(arr > 0):
            _fail(func, name, value, "must be > 0")
        if positive and not np.all(np.abs(arr.astype(float_dtype())) >= tiny()):
            _fail(
                func,
                name,
                value,
                f"must be >= {tiny():.8g}, the smallest positive {float_dtype()} that is not "
                "flushed to zero",
            )
        if nonnegative and not np.all(arr >= 0):
            _fail(func, name, value, "must be >= 0")
        if at_least is not None and not np.all(arr >= at_least):
            _fail(func, name, value, f"must be >= {at_least}")
    return _to_leaf(value, float_dtype())


def as_count(
    func: str,
    name: str,
    value: Any,
    *,
    minimum: int = 0,
    shape: tuple[int, ...] | None = (),
) -> Any:
    """A step count or boundary as a canonical integer leaf.

    Accepts integers and integral floats (``1e5`` is 100000; ``10.5`` is rejected).
    Concrete values must be ``>= minimum`` and fit the current integer mode: int32
    unless ``jax_enable_x64`` is on.
    """
    if type(value) is int and shape == () and minimum <= value <= int_max():
        return np.asarray(value, dtype=int_dtype())  # the common case, without NumPy checks
    members = _members(value)
    if members is not None:
        _members_count(members, shape, minimum)
    value, arr = _number(func, name, value, shape, "must be an integer")
    if arr is not None:
        if np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)):
                _fail(func, name, value, "must be finite")
            if not np.all(arr == np.floor(arr)):
                _fail(func, name, value, "must be a whole number of steps")
        if arr.size and np.min(arr) < minimum:
            _fail(func, name, value, f"must be >= {minimum}")
        limit = int_max()
        if arr.size and np.max(arr) > limit:
            hint = "" if x64_enabled() else f"; {X64_HINT}"
            _fail(func, name, value, f"must be <= {limit}{hint}", OverflowError)
        if np.issubdtype(arr.dtype, np.floating):
            return np.asarray(np.floor(arr), dtype=int_dtype())
    return _to_leaf(value, int_dtype())


def as_count_sequence(func: str, name: str, values: Any, *, strictly_increasing: bool) -> Any:
    """A 1-D array of boundaries (absolute steps), non-negative and increasing when concrete."""
    if isinstance(values, (list, tuple)) and any(isinstance(v, Tracer) for v in values):
        values = jnp.stack([jnp.asarray(v) for v in values])
    elif isinstance(values, (list, tuple)):
        _check_elements(func, name, values, values)
        values = np.asarray(values) if len(values) else np.zeros((0,), int_dtype())
    if np.ndim(values) != 1 and not isinstance(values, Tracer):
        _fail(func, name, values, f"must be a 1-D sequence, got shape {np.shape(values)}")
    members = _members(values)
    if members is not None:
        _members_increasing(members, strictly_increasing)
    leaf = as_count(func, name, values, shape=None)
    arr = _concrete_array(leaf)
    if arr is not None and arr.size > 1:
        diffs = np.diff(arr.astype(np.int64))
        if strictly_increasing and not np.all(diffs > 0):
            _fail(func, name, values, "must be strictly increasing")
        if not strictly_increasing and not np.all(diffs >= 0):
            _fail(func, name, values, "must be non-decreasing")
    return leaf


def as_value_sequence(func: str, name: str, values: Any, **kwargs: Any) -> Any:
    """A 1-D array of float values (for example the levels of a piecewise schedule)."""
    if isinstance(values, (list, tuple)) and any(isinstance(v, Tracer) for v in values):
        values = jnp.stack([jnp.asarray(v, float_dtype()) for v in values])
    elif isinstance(values, (list, tuple)):
        _check_elements(func, name, values, values)
        values = np.asarray(values, dtype=np.float64) if len(values) else np.zeros((0,))
    if np.ndim(values) != 1 and not isinstance(values, Tracer):
        _fail(func, name, values, f"must be a 1-D sequence, got shape {np.shape(values)}")
    return as_value(func, name, values, shape=None, **kwargs)


def as_choice(func: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """A static string option, one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        _fail(func, name, value, f"must be one of {valid}")
    return value


def as_flag(func: str, name: str, value: Any) -> bool:
    """A static boolean option."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(func, name, value, "must be True or False", TypeError)
    return bool(value)


def require(condition: Any, func: str, message: str) -> None:
    """Raise ``ValueError(f"{func}: {message}")`` when a concrete ``condition`` is false.

    ``condition`` may be a Python bool, a NumPy bool or ``None`` (unknown: traced), in which
    case nothing is checked.
    """
    if condition is not None and not bool(condition):
        raise ValueError(f"{func}: {message}")


def concrete(x: Any) -> Any:
    """The value of ``x`` as NumPy when concrete, else ``None`` (for cross-argument checks)."""
    _defer(x)
    arr = _concrete_array(x)
    return arr.item() if arr is not None and arr.ndim == 0 else arr


# -- rules between fields (a schedule's check hook) --------------------------------------


class _Shown(float):
    """A float32 leaf's value that prints with the digits it was given (0.1, not 0.100000001)."""

    def __repr__(self) -> str:
        return str(np.float32(self))


def shown(x: Any) -> Any:
    """The concrete scalar value of a leaf, printing as written (ints stay ints), or None
    (traced, batched or absent)."""
    c = concrete(x)
    if c is None or np.ndim(c) != 0:
        return None
    return _Shown(c) if np.asarray(x).dtype == np.float32 else c


def require_args(s: Any, names: str, rule: Callable[..., Any], message: str) -> None:
    """Raise ``ValueError("factory(a=.., b=..): message")`` unless ``rule(a, b, ...)`` holds
    for the fields ``names`` (space-separated); a no-op when one of them is not concrete."""
    leaves = [getattr(s, name) for name in names.split()]
    if _BATCH.get() is not None and any(isinstance(x, Tracer) for x in leaves):
        _require_members(leaves, rule)
        return
    xs = [shown(x) for x in leaves]
    if any(x is None for x in xs) or rule(*xs):
        return
    args = ", ".join(f"{name}={x!r}" for name, x in zip(names.split(), xs))
    raise ValueError(f"{s.factory}({args}): {message}")


def require_order(s: Any, small: str, big: str, strict: bool = False) -> None:
    """``big >= small`` (``>`` when strict) for two fields of ``s``."""
    relation = ">" if strict else ">="
    rule = operator.lt if strict else operator.le
    require_args(s, f"{small} {big}", rule, f"{big} must be {relation} {small}")


def require_step_sum(s: Any, names: str, what: str, times: int = 1) -> None:
    """``times`` × the sum of the step-count fields ``names`` (space-separated) is a
    representable step: a phase boundary past the largest step would wrap around (int32
    unless x64)."""
    limit = int_max()
    hint = "" if x64_enabled() else f"; {X64_HINT}"
    require_args(
        s,
        names,
        lambda *counts: times * sum(np.asarray(c, np.int64) for c in counts) <= limit,
        f"{what} must be <= {limit}, the largest step{hint}",
    )


def _require_members(leaves: list[Any], rule: Callable[..., Any]) -> None:
    """:func:`require_args` on every member of a batched sweep build: mark the members whose
    values break ``rule``. Values reach the rule as the per-point build gives them (floats as
    float64, integers as int64), whole arrays when the rule takes them, else one by one."""
    batch = _BATCH.get()
    assert batch is not None
    xs: list[Any] = []
    for leaf in leaves:
        if leaf is None:
            return  # an absent optional field: the per-point rule is skipped too
        arr = _members(leaf) if isinstance(leaf, Tracer) else _concrete_array(leaf)
        if arr is None or arr.ndim != (1 if isinstance(leaf, Tracer) else 0):
            batch.deferred = True  # not per-member scalars: leave it to the per-point path
            return
        xs.append(arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64))
    size = max(x.size for x in xs)
    try:
        with np.errstate(all="ignore"):
            ok = rule(*xs)
    except Exception:  # noqa: BLE001 - a rule written for scalars (`or`, `math.isclose`)
        ok = None
    if not (isinstance(ok, np.ndarray) and ok.dtype == np.bool_ and ok.shape == (size,)):
        columns = [np.broadcast_to(x, (size,)).astype(object) for x in xs]
        ok = np.asarray(np.frompyfunc(lambda *a: bool(rule(*a)), len(xs), 1)(*columns), bool)
    _mark(~ok)
