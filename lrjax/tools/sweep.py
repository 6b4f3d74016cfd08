"""Batched schedules: ``stack`` schedules of one structure, ``sweep`` a factory over a grid.

A batched schedule is an ordinary schedule whose every leaf has the same leading batch
dimensions. ``jax.vmap`` over it evaluates each member; :func:`lrjax.evaluate`,
:func:`lrjax.envelope` and :func:`lrjax.plot` do that for you. A sweep is a small pytree
wrapper, :class:`Sweep`, holding one batched schedule plus the names and values of the
grid axes (used for labels; the numeric values are leaves, the names static).
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.core import checks
from lrjax.core.dtypes import float_dtype, int_dtype, int_max, x64_enabled
from lrjax.core.schedule import (
    AbstractSchedule,
    Array,
    ArrayLike,
    as_schedules,
    stack_members,
    structure,
)
from lrjax.tools.evaluate import nested_vmap


def stack(schedules: Sequence[Any]) -> AbstractSchedule:
    """Stack schedules of one structure into one batched schedule.

    The result is a schedule of the same class whose every leaf gains a leading axis of
    length ``len(schedules)``. Evaluate it with :func:`lrjax.evaluate` (which gives
    ``(len(schedules), n)``) or ``jax.vmap(lambda s: s(steps))(stacked)``; it is one
    pytree, so a jitted function taking it compiles once for any values.

    Args:
      schedules: lrjax schedules (or numbers) of one structure: the same classes, the same
        static options (shapes, ``staircase``) and the same leaf shapes and dtypes.

    Returns:
      The batched schedule.

    Raises:
      ValueError: the sequence is empty or the structures differ (naming the first member
        that differs).

    Examples:
      >>> s = lrjax.stack([lrjax.cosine_decay(1.0, 100), lrjax.cosine_decay(2.0, 50)])
      >>> print(lrjax.evaluate(s, range(0, 101, 50)).round(4))
      [[1.  0.5 0. ]
       [2.  0.  0. ]]
    """
    members = as_schedules(schedules, "stack")
    first = structure(members[0])
    for i, member in enumerate(members[1:], start=1):
        if structure(member) != first:
            raise ValueError(
                f"stack: schedules[{i}] = {member!r} has a different structure from "
                f"schedules[0] = {members[0]!r}; only schedules of the same family, options "
                "and leaf shapes can be stacked"
            )
    return stack_members(members)


def _axis_value(value: Any) -> Any:
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_axis_value(x) for x in value)
    return value


def _numeric(values: Any) -> bool:
    if any(isinstance(x, (bool, np.bool_, str, bytes)) for x in values):
        return False
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        return False
    return array.ndim == 1 and array.dtype.kind in "iuf"


def label_value(value: Any, digits: int = 6) -> str:
    """A grid value in a label: floats to ``digits`` significant digits, else ``str``."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    if isinstance(value, AbstractSchedule):
        return repr(value)
    return str(value)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class Sweep:
    """A batched schedule over a grid, with the grid's axis names and values.

    ``schedule`` is one batched schedule whose leaves have leading dimensions ``shape``
    (one per axis). A ``Sweep`` is a pytree: the schedule and the numeric axis values are
    leaves (traced under ``jax.jit``, so new values never recompile); the axis names and
    any non-numeric axis values are static. Calling it evaluates every member:
    ``sweep(step)`` has shape ``(*shape, *step.shape)``.

    Attributes:
      schedule: the batched schedule.
      numbers: per axis, its values as a 1-D array when they are numbers, else None.
      names: the axis names (static).
      others: per axis, its values when they are not numbers, else None (static).
      samples: for a random search (:func:`lrjax.sample`), each sampled argument's values,
        one per member (1-D arrays); empty for a grid.
      sampled: the sampled arguments' names (static).
    """

    schedule: AbstractSchedule
    numbers: tuple[Any, ...]
    names: tuple[str, ...] = dataclasses.field(metadata=dict(static=True))
    others: tuple[tuple[Any, ...] | None, ...] = dataclasses.field(metadata=dict(static=True))
    samples: tuple[Any, ...] = ()
    sampled: tuple[str, ...] = dataclasses.field(default=(), metadata=dict(static=True))

    @property
    def axes(self) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """``(name, values)`` per axis (the values as Python numbers when concrete)."""
        out = []
        for name, number, other in zip(self.names, self.numbers, self.others, strict=True):
            if other is not None:
                out.append((name, other))
            elif isinstance(number, Tracer):
                out.append((name, tuple(number)))
            else:
                out.append((name, tuple(np.asarray(number).tolist())))
        return tuple(out)

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid shape, one dimension per axis."""
        return tuple(
            len(other) if other is not None else int(np.shape(number)[0])
            for number, other in zip(self.numbers, self.others, strict=True)
        )

    @property
    def size(self) -> int:
        """The number of members."""
        return math.prod(self.shape)

    def points(self) -> list[dict[str, Any]]:
        """The grid point of each member, flattened in C order (needs concrete values)."""
        if self.sampled:
            rows = zip(*(np.asarray(c).tolist() for c in self.samples), strict=True)
            return [dict(zip(self.sampled, row, strict=True)) for row in rows]
        grids = [values for _, values in self.axes]
        return [dict(zip(self.names, combo, strict=True)) for combo in itertools.product(*grids)]

    def labels(self) -> list[str]:
        """A label per member (C order), e.g. ``"peak_value=0.001, warmup_steps=100"``."""
        return [", ".join(f"{k}={label_value(x)}" for k, x in p.items()) for p in self.points()]

    def member(self, index: int | tuple[int, ...]) -> AbstractSchedule:
        """One member as an ordinary schedule, by flat index or by grid index."""
        if isinstance(index, (int, np.integer)):
            index = tuple(int(i) for i in np.unravel_index(int(index), self.shape))
        return jax.tree_util.tree_map(lambda leaf: leaf[index], self.schedule)

    def _repr_html_(self) -> str:  # Jupyter's view (lrjax.tools.notebook imports this module)
        return importlib.import_module("lrjax.tools.notebook").render_html(self)

    def __call__(self, step: ArrayLike) -> Array:
        return nested_vmap(lambda s: s(step), len(self.names))(self.schedule)

    def __repr__(self) -> str:
        axes = ", ".join(f"{name}={list(values)!r}" for name, values in self.axes)
        if self.sampled:
            axes = f"{len(self.samples[0])} samples of " + ", ".join(self.sampled)
        return f"Sweep({self.member(0).factory or type(self.schedule).__name__}, {axes})"


def sweep(factory: Callable[..., Any], **grid: Any) -> Sweep:
    """A batched schedule over the Cartesian product of a grid of arguments.

    Every keyword is an axis: ``sweep(f, a=[1, 2], b=[10, 20, 30])`` builds the six
    schedules ``f(a=1, b=10), f(a=1, b=20), ...`` and stacks them into one schedule of batch
    shape ``(2, 3)``. Fix other arguments with a lambda or ``functools.partial``. Every
    member must have the same structure, so sweep numeric arguments (values, step counts,
    boundaries), not options such as a shape name.

    When every axis is numeric, the factory is called **once**, under ``jax.vmap`` over the
    flattened grid (lrjax factories take traced values), so a million members build in
    about a second. The checks still see every value: each argument's check and each rule
    between arguments runs whole-array on the grid's values, and a grid point that a
    factory call would reject raises the error that call raises, naming the point. The
    result is the same, bit for bit, as calling the factory per point and stacking, which
    is what happens instead for factories that cannot be traced (Python control flow on a
    value, a non-numeric axis such as a shape name, a check that only runs on concrete
    values) and to confirm that a few members agree.

    Args:
      factory: a function returning an lrjax schedule, e.g. ``lrjax.cosine_decay``.
      **grid: for each swept argument, a non-empty sequence of values.

    Returns:
      A :class:`Sweep`: ``.schedule`` (batched), ``.axes``, ``.shape``, ``.labels()``.

    Raises:
      ValueError: an empty grid or axis, members of different structures, or a grid point
        the factory rejects (``"sweep point 17 {'warmup_steps': 2000, ...}: ..."``, then
        the factory's own message; ``TypeError``/``OverflowError`` likewise).

    Examples:
      >>> sw = lrjax.sweep(lambda peak, total: lrjax.cosine_decay(peak, total),
      ...                  peak=[1.0, 2.0], total=[10, 20, 40])
      >>> sw.shape, sw.labels()[1]
      ((2, 3), 'peak=1, total=20')
      >>> y = lrjax.evaluate(sw, 21)
      >>> y.shape, f"{float(y[1, 2, 20]):.4f}"
      ((2, 3, 21), '1.0000')
      >>> lrjax.sweep(lrjax.warmup_cosine_decay, init_value=[0.0], peak_value=[1.0],
      ...             warmup_steps=[10, 200], total_steps=[100])
      Traceback (most recent call last):
      ValueError: sweep point 1 {'init_value': 0.0, 'peak_value': 1.0, 'warmup_steps': 200, 'total_steps': 100}: warmup_cosine_decay(warmup_steps=200, total_steps=100): total_steps must be >= warmup_steps
    """  # noqa: E501
    f = "sweep"
    if not callable(factory):
        raise TypeError(f"{f}(factory={factory!r}): factory must be a function")
    if not grid:
        raise ValueError(f"{f}: give at least one axis, e.g. sweep(factory, peak_value=[1e-3])")
    numbers: list[Any] = []  # per axis: its values as an array when they are numbers
    others: list[tuple[Any, ...] | None] = []  # per axis: its values when they are not
    for name, values in grid.items():
        if isinstance(values, (str, bytes, AbstractSchedule)) or not isinstance(
            values, (Sequence, np.ndarray, jax.Array)
        ):
            raise TypeError(f"{f}({name}={values!r}): {name} must be a sequence of values")
        if np.ndim(values) == 0 or len(values) == 0:
            raise ValueError(f"{f}({name}={values!r}): {name} must hold at least one value")
        numeric = _numeric(values)
        numbers.append(np.asarray(values) if numeric else None)
        others.append(None if numeric else tuple(_axis_value(x) for x in values))
    shape = tuple(len(values) for values in grid.values())
    names = tuple(grid)

    def point(index: int) -> dict[str, Any]:
        combo = np.unravel_index(index, shape)
        return {n: _axis_value(grid[n][int(i)]) for n, i in zip(names, combo, strict=True)}

    def columns() -> list[jax.Array]:
        # The flattened grid, one column per axis (C order) in the leaf dtypes, broadcast
        # on the device: 4 bytes per member and axis, no float64 copies.
        out = []
        for k, values in enumerate(numbers):
            axis = jnp.asarray(values, _column_dtype(values))
            axis = axis.reshape((1,) * k + (-1,) + (1,) * (len(shape) - k - 1))
            out.append(jnp.broadcast_to(axis, shape).reshape(-1))
        return out

    stacked = None
    if all(n is not None and _traceable(n) for n in numbers):
        stacked = _traced_build(factory, names, columns(), math.prod(shape), point)
    if stacked is None:
        members = [_call(factory, point(i), i) for i in range(math.prod(shape))]
        stacked = _stack_points(members)
    batched = jax.tree_util.tree_map(lambda x: x.reshape(shape + x.shape[1:]), stacked)
    return Sweep(batched, tuple(numbers), names, tuple(others))


def _call(factory: Callable[..., Any], point: dict[str, Any], index: int) -> AbstractSchedule:
    """``factory(**point)``, its errors prefixed with the point."""
    try:
        member = factory(**point)
    except (ValueError, TypeError, OverflowError) as err:
        raise type(err)(f"sweep point {index} {point}: {err}") from None
    if not isinstance(member, AbstractSchedule):
        raise TypeError(f"sweep: factory returned {type(member).__name__}, not an lrjax schedule")
    return member


def _stack_points(members: list[AbstractSchedule]) -> AbstractSchedule:
    try:
        return stack(members)
    except ValueError as err:
        raise ValueError(
            "sweep: the members differ in structure, so they cannot share one batched "
            f"schedule (sweep numeric arguments, not options): {err}"
        ) from None


def _traceable(column: np.ndarray) -> bool:
    """Whether a column enters ``jax.vmap`` exactly as a per-point call would see it: integers
    that fit the integer mode, floats that the float mode rounds as a factory's checks would
    (integral floats beyond 2**23 may be step counts, which float32 would change)."""
    if column.dtype.kind in "iu":
        return bool(
            column.size == 0 or (column.min() >= -int_max() - 1 and column.max() <= int_max())
        )
    if x64_enabled():
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        big = np.abs(column) >= 2.0**23
        exact = column.astype(np.float32).astype(column.dtype) == column
    return not np.any(big & ~exact & np.isfinite(column))


def _column_dtype(values: np.ndarray) -> Any:
    return int_dtype() if values.dtype.kind in "iu" else float_dtype()


def _traced_build(
    factory: Callable[..., Any],
    names: tuple[str, ...],
    args: list[jax.Array],
    size: int,
    point: Callable[[int], dict[str, Any]],
) -> AbstractSchedule | None:
    """The members as one batched schedule from one traced call of ``factory``, checked
    whole-array; None when the factory cannot be built that way (then build per point).

    Raises the error of the first grid point the factory rejects, prefixed with the point.
    """

    def build(*values: Any) -> AbstractSchedule:
        member = factory(**dict(zip(names, values, strict=True)))
        if not isinstance(member, AbstractSchedule):
            raise TypeError(f"factory returned {type(member).__name__}")
        return member

    try:
        with checks.sweep_batch(size) as batch:
            out = jax.vmap(build)(*args)
    except Exception:  # noqa: BLE001 - untraceable, or an invalid constant: per point
        return None
    args.clear()  # the columns: only the leaves are kept
    if batch.deferred:
        return None
    if batch.bad.any():
        index = int(np.argmax(batch.bad))
        _call(factory, point(index), index)  # raises that point's own error
        return None  # the point built after all (a check stricter than the factory's)
    stacked = jax.tree_util.tree_map(np.asarray, out)
    # A few members built per point must agree bit for bit (dtype included), or the
    # factory computes something differently when traced: then build every point.
    for index in sorted({0, size // 2, size - 1}):
        member = factory(**point(index))
        got = jax.tree_util.tree_map(lambda x, i=index: x[i], stacked)
        if structure(member) != structure(got) or member != got:
            return None
    return stacked


# -- random and quasi-random search -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Distribution:
    """A search space for one argument of :func:`sample`: ``kind`` is ``"uniform"``,
    ``"log_uniform"``, ``"int_uniform"`` or ``"one_of"``; build it with those functions."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()

    def transform(self, u: np.ndarray) -> np.ndarray:
        """The values at quantiles ``u`` in [0, 1) (float64 or int64)."""
        if self.kind == "uniform":
            return self.low + (self.high - self.low) * u
        if self.kind == "log_uniform":
            low, high = math.log(self.low), math.log(self.high)
            return np.clip(np.exp(low + (high - low) * u), self.low, self.high)
        if self.kind == "int_uniform":
            low, high = int(self.low), int(self.high)
            return np.minimum(low + np.floor(u * (high - low + 1)).astype(np.int64), high)
        index = np.minimum(np.floor(u * len(self.values)).astype(np.int64), len(self.values) - 1)
        return np.asarray(self.values)[index]


def _bounds(func: str, low: Any, high: Any, *, positive: bool = False) -> tuple[float, float]:
    for name, x in (("low", low), ("high", high)):
        if isinstance(x, bool) or not isinstance(x, (int, float, np.number)):
            raise TypeError(f"{func}({name}={x!r}): {name} must be a real number")
        if not math.isfinite(x) or (positive and not x > 0):
            raise ValueError(
                f"{func}({name}={x!r}): {name} must be finite" + (" and > 0" * positive)
            )
    if not low <= high:
        raise ValueError(f"{func}(low={low!r}, high={high!r}): high must be >= low")
    return low, high


def uniform(low: float, high: float) -> Distribution:
    """Values uniform in ``[low, high)``: ``low + (high - low) u``. For :func:`sample`.

    Examples:
      >>> lrjax.uniform(0.0, 0.5).transform(np.array([0.0, 0.5]))
      array([0.  , 0.25])
    """
    return Distribution("uniform", *_bounds("uniform", low, high))


def log_uniform(low: float, high: float) -> Distribution:
    """Values whose logarithm is uniform in ``[log low, log high)``: ``low (high/low)^u``,
    the usual prior for a learning rate. For :func:`sample`.

    Examples:
      >>> lrjax.log_uniform(1e-4, 1e-2).transform(np.array([0.5])).round(6)
      array([0.001])
    """
    return Distribution("log_uniform", *_bounds("log_uniform", low, high, positive=True))


def int_uniform(low: int, high: int) -> Distribution:
    """Integers uniform in ``[low, high]`` (both ends included): ``low + floor((high - low +
    1) u)``, e.g. a warmup length. For :func:`sample`.

    Examples:
      >>> lrjax.int_uniform(0, 3).transform(np.array([0.0, 0.3, 0.99]))
      array([0, 1, 3])
    """
    for name, x in (("low", low), ("high", high)):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
            raise TypeError(f"int_uniform({name}={x!r}): {name} must be an integer")
    return Distribution("int_uniform", *_bounds("int_uniform", int(low), int(high)))


def one_of(values: Sequence[Any]) -> Distribution:
    """One of ``values``, each equally likely. For :func:`sample`.

    Examples:
      >>> lrjax.one_of([100, 200]).transform(np.array([0.2, 0.7]))
      array([100, 200])
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"one_of(values={values!r}): values must be a sequence")
    if len(values) == 0:
        raise ValueError("one_of(values=[]): values must hold at least one value")
    return Distribution("one_of", values=tuple(_axis_value(x) for x in values))


_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71)


def _halton(num: int, dims: int) -> np.ndarray:
    """The first ``num`` points (from index 1) of the Halton sequence in ``dims`` dimensions:
    coordinate ``j`` is the radical inverse of the index in the ``j``-th prime base."""
    return np.stack([_halton_column(num, _PRIMES[j]) for j in range(dims)], axis=1)


def _halton_column(num: int, base: int) -> np.ndarray:
    """The radical inverses of ``1 .. num`` in ``base`` (digits reversed behind the point),
    taken ``m`` digits at a time through a table of ``base**m`` entries (two or three passes
    over the indices instead of one per digit)."""
    m = max(1, int(math.log(4096, base)))
    width = base**m
    table = np.zeros(width)
    digits = np.arange(width)
    for k in range(m):  # the radical inverse of every m-digit number
        table += (digits % base) * float(base) ** -(k + 1)
        digits //= base
    out = np.zeros(num)
    index, scale = np.arange(1, num + 1, dtype=np.int64), 1.0
    while True:
        out += table[index % width] * scale
        index //= width
        scale /= width
        if not index.any():
            return out


def _key_bits(key: Any) -> np.ndarray:
    """The bits of a ``jax.random`` key (a typed key or a raw ``uint32`` key array)."""
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    bits = np.asarray(key)
    if bits.dtype != np.uint32 or bits.ndim != 1:
        raise TypeError(f"sample(key={key!r}): key must be one jax.random key")
    return bits


def sample(
    factory: Callable[..., Any],
    key: Any,
    num: int,
    *,
    method: str = "random",
    **space: Distribution,
) -> Sweep:
    r"""A batched schedule of ``num`` configurations drawn from a search space (random search).

    Each keyword is an argument of ``factory`` and its :class:`Distribution`
    (:func:`uniform`, :func:`log_uniform`, :func:`int_uniform`, :func:`one_of`). Member
    ``i`` is ``factory(**{name: dist.transform(u[i, j])})`` for quantiles ``u`` in
    ``[0, 1)^d``: independent uniforms from ``key`` (``method="random"``), or the Halton
    sequence with a random shift from ``key``, :math:`u_i = (h_i + s) \bmod 1`
    (``method="halton"``, quasi-random: spreads the points more evenly than random draws;
    up to 20 arguments). The same key gives the same configurations. The sampled values
    are kept in the leaves' dtypes (float32 or int32 unless x64), so each member is exactly
    ``factory(**sw.points()[i])``. The members are built
    like :func:`sweep`'s (one traced call, every value checked; an invalid sample raises
    ``"sweep point i {...}: ..."``).

    Args:
      factory: a function returning an lrjax schedule.
      key: a ``jax.random`` key.
      num: the number of configurations.
      method: ``"random"`` or ``"halton"``.
      **space: a distribution per sampled argument.

    Returns:
      A :class:`Sweep` with one axis ``"sample"`` of length ``num``; its ``labels()`` and
      ``points()`` give each sample's arguments.

    Examples:
      >>> import jax
      >>> sw = lrjax.sample(lambda peak_value, warmup_steps: lrjax.warmup_cosine_decay(
      ...     peak_value, warmup_steps, 10_000), jax.random.key(0), 1000,
      ...     peak_value=lrjax.log_uniform(1e-5, 1e-2), warmup_steps=lrjax.int_uniform(0, 2000))
      >>> sw.shape, lrjax.evaluate(sw, 5).shape
      ((1000,), (1000, 5))
      >>> p = sw.points()[0]
      >>> 1e-5 <= p["peak_value"] <= 1e-2 and 0 <= p["warmup_steps"] <= 2000
      True
    """
    f = "sample"
    if not callable(factory):
        raise TypeError(f"{f}(factory={factory!r}): factory must be a function")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f"{f}(num={num!r}): num must be an integer >= 1")
    if method not in ("random", "halton"):
        raise ValueError(f"{f}(method={method!r}): method must be one of 'random', 'halton'")
    if not space:
        raise ValueError(
            f"{f}: give at least one argument's distribution, e.g. "
            "peak_value=lrjax.log_uniform(1e-5, 1e-2)"
        )
    for name, dist in space.items():
        if not isinstance(dist, Distribution):
            raise TypeError(
                f"{f}({name}={dist!r}): {name} must be a distribution (lrjax.uniform, "
                "log_uniform, int_uniform, one_of)"
            )
    if method == "halton" and len(space) > len(_PRIMES):
        raise ValueError(f"{f}: method='halton' takes up to {len(_PRIMES)} arguments")
    num, dims = int(num), len(space)
    # NumPy's generator, seeded by the key's bits: no compile per new `num` (jax.random
    # compiles a kernel per shape), reproducible from the key.
    rng = np.random.default_rng(_key_bits(key))
    shift = rng.random(dims) if method == "halton" else None
    cols = []
    for j, dist in enumerate(space.values()):
        # One argument at a time, in the leaf dtypes (the values the members are built
        # from, so `points()` reproduces every member exactly): little beyond the leaves.
        if shift is None:
            u = rng.random(num)
        else:
            u = np.mod(_halton_column(num, _PRIMES[j]) + shift[j], 1.0)
        col = dist.transform(u)
        if col.dtype.kind == "f":
            col = col.astype(float_dtype())
        elif col.dtype.kind in "iu" and _traceable(col):
            col = col.astype(int_dtype())
        cols.append(col)
    names = tuple(space)

    def point(index: int) -> dict[str, Any]:
        return {n: c[index].item() for n, c in zip(names, cols, strict=True)}

    stacked = None
    if all(c.dtype.kind in "iuf" and _traceable(c) for c in cols):
        args = [jnp.asarray(c) for c in cols]
        stacked = _traced_build(factory, names, args, num, point)
    if stacked is None:
        stacked = _stack_points([_call(factory, point(i), i) for i in range(num)])
    return Sweep(
        stacked, (np.arange(num, dtype=np.int32),), ("sample",), (None,), tuple(cols), names
    )
