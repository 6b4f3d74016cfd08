"""Evaluate a schedule over millions of steps: ``evaluate`` and ``envelope``.

Both run one jitted kernel per chunk of a fixed number of steps. The steps are made inside
the kernel from the chunk's first step (``lax.iota`` plus an offset), so there is never an
N-sized step array, and the schedule is an ordinary (traced) argument: a kernel compiles
once per schedule *structure* and chunk size, and new hyperparameter values never
recompile (nor do new lengths that round to a chunk size already used). The next chunk
is dispatched before the previous one is copied to the host, so device compute and host
copies overlap.

``evaluate`` writes each chunk into a preallocated NumPy output (extra memory: two
chunks). ``envelope`` reduces each chunk to per-bin minima and maxima inside the kernel
and never holds more than one chunk, whatever the number of steps.

Batched schedules (leaves with leading batch dimensions, from :func:`lrjax.stack`, a
:func:`lrjax.sweep`, or built under ``jax.vmap``) are evaluated with ``jax.vmap`` over the
batch axes and give ``(*batch, n)`` results.
"""

from __future__ import annotations

import collections
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.core import Tracer

from lrjax.core.dtypes import X64_HINT, int_dtype, int_max, x64_enabled
from lrjax.core.schedule import AbstractSchedule, _evaluate_jitted, as_schedule, structure
from lrjax.core.steps import check_step

DEFAULT_CHUNK_SIZE = 1 << 19
"""Values computed per ``evaluate`` kernel call (steps × batch members): 2 MiB of float32.

Small enough that a chunk is still in cache when the host copies it into the output, large
enough that dispatch costs little: on two cores XLA splits each kernel across both, and the
handover costs per call. Warmup-cosine on 2 cores, time over its fused limit, 2**18 / 2**19 /
2**20 values per call: 1.41 / 1.23 / 1.36 at 1e6 steps, 0.92 / 0.89 / 0.96 at 1e7, 1.03 /
0.94 / 1.18 at 1e8; cheap schedules gain most (linear at 1e7: 0.69 / 0.51 / 0.59). On one
core 2**18 and 2**19 are even."""

MEMBER_CHUNK_SIZE = 1 << 20
"""Values per ``evaluate`` kernel call when a sweep is evaluated in groups of members: a
sweep of 1e5 members x 1e3 steps runs in 98 calls of 1 024 members instead of 391 calls of
256 (measured: 1.06x the hand-written jit(vmap) instead of 1.18x). Per member the chunk of
steps stays the default."""

PROFILE_CHUNK_SIZE = 1 << 20
"""Values per ``envelope``/``summarize`` kernel call: only per-tile reductions leave the
kernel, so larger chunks just mean fewer dispatches."""

_MIN_CHUNK_STEPS = 1024
_PIPELINE_DEPTH = 2


# -- batched schedules ---------------------------------------------------------------------


def _probe(schedule: AbstractSchedule, batch_ndim: int) -> tuple[int, ...] | None:
    """The batch shape if the leaves' first ``batch_ndim`` dimensions are batch axes."""
    shape = np.shape(jax.tree_util.tree_leaves(schedule)[0])[:batch_ndim]
    fn = nested_vmap(lambda s: _evaluate_jitted(s, jnp.zeros((), int_dtype())), batch_ndim)
    try:
        out = jax.eval_shape(fn, schedule)
    except Exception:  # any failure (vmap of unequal sizes, ...): not this many dimensions
        return None
    return shape if out.shape == shape else None


def _cached(cache: dict[Any, Any], key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept in ``cache`` under ``key`` (the cache is emptied past 4096 keys)."""
    if key not in cache:
        if len(cache) > 4096:
            cache.clear()
        cache[key] = compute()
    return cache[key]


_BATCH_CACHE: dict[Any, tuple[int, ...]] = {}


def batch_shape(schedule: AbstractSchedule) -> tuple[int, ...]:
    """The batch shape of a schedule: ``()`` for an ordinary one (a :class:`lrjax.Sweep`
    knows its own, see :func:`unwrap`).

    For a schedule whose leaves carry leading batch dimensions, the shape is found by
    evaluating the abstract shapes (no computation) under ``0, 1, 2, ...`` nested
    ``jax.vmap``\\ s until the schedule evaluates to one value per member.

    Raises:
      ValueError: the leaves have no consistent leading batch dimensions.
    """
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    ndims = [np.ndim(leaf) for leaf in leaves]
    if not any(ndims):
        return ()  # scalar leaves only (or none, a plain function): nothing to batch

    def find() -> tuple[int, ...]:
        for batch_ndim in range(min(ndims) + 1):
            shape = _probe(schedule, batch_ndim)
            if shape is not None:
                return shape
        raise ValueError(
            f"cannot evaluate {type(schedule).__name__}: its leaves do not share leading batch "
            "dimensions (stack schedules of one structure with lrjax.stack or lrjax.sweep)"
        )

    return _cached(_BATCH_CACHE, (structure(schedule, (leaves, treedef)), x64_enabled()), find)


def unwrap(schedule: Any, func: str) -> tuple[AbstractSchedule, tuple[int, ...]]:
    """The (possibly batched) schedule inside ``schedule`` and its batch shape."""
    from lrjax.tools.sweep import Sweep

    if isinstance(schedule, Sweep):
        return schedule.schedule, schedule.shape
    if isinstance(schedule, (str, bytes)) or schedule is None:
        raise TypeError(
            f"{func}(schedule={schedule!r}): schedule must be an lrjax schedule, a sweep, "
            "a callable step -> value or a number"
        )
    schedule = as_schedule(schedule, func)
    if any(isinstance(leaf, Tracer) for leaf in jax.tree_util.tree_leaves(schedule)):
        raise TypeError(
            f"{func}: the schedule holds traced values; {func} runs on the host, "
            "outside jit (inside jit, call the schedule on an array of steps)"
        )
    return schedule, batch_shape(schedule)


def nested_vmap(fn: Callable[[AbstractSchedule], jax.Array], batch_ndim: int) -> Callable:
    """``fn`` mapped over the first ``batch_ndim`` axes of its argument's leaves."""
    for _ in range(batch_ndim):
        fn = jax.vmap(fn)
    return fn


_SMALL_CHUNK = 1 << 12
"""The smallest kernel ``evaluate`` sizes to a short request."""


def _size_class(n: int) -> int:
    """The smallest ``m * 2**k >= n`` with ``16 < m <= 32`` (``n`` itself up to 32)."""
    if n <= 32:
        return n
    k = (n - 1).bit_length() - 5
    return -(-n >> k) << k


def chunk_steps(batch: tuple[int, ...], chunk_size: int | None) -> int:
    """Steps per kernel call: ``chunk_size`` values in all, shared by the batch members."""
    size = DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chunk_size={chunk_size!r}: chunk_size must be a positive int")
    members = math.prod(batch)
    if members > 1:
        per_member = max(size // members, 1)
        size = max(min(_MIN_CHUNK_STEPS, size), 1 << (per_member.bit_length() - 1))
    return size


def member_group(batch: tuple[int, ...], steps: int, chunk_size: int | None, default: int) -> int:
    """Members per kernel call: all of them unless ``members x steps`` exceeds the chunk's
    values, then as many as fit (at least one). Bounds a call's memory whatever the number
    of members (a million members x 1 024 steps would otherwise be one 4 GiB chunk)."""
    members = math.prod(batch)
    budget = default if chunk_size is None else chunk_size
    if members * steps <= budget:
        return members
    return max(budget // steps, 1)


def member_slices(
    schedule: AbstractSchedule, batch: tuple[int, ...], group: int
) -> Iterator[tuple[int, int, AbstractSchedule]]:
    """``(first, count, part)`` per group of ``group`` members (flattened, C order): ``part``
    holds exactly ``group`` members (the last group is padded with copies of its last member,
    so one kernel size serves every group)."""
    flat, _ = _members(schedule, batch)
    members = math.prod(batch)
    for first in range(0, members, group):
        count = min(group, members - first)
        if count == members:
            yield first, count, flat
            continue
        # A slice (a view) for whole groups; the last group repeats its last member.
        pick: Any = slice(first, first + group)
        if count < group:
            pick = np.minimum(np.arange(first, first + group), members - 1)
        part = jax.tree_util.tree_map(lambda leaf, pick=pick: np.asarray(leaf)[pick], flat)
        yield first, count, part


# -- kernels -------------------------------------------------------------------------------


def _members(
    schedule: AbstractSchedule, batch: tuple[int, ...]
) -> tuple[AbstractSchedule, tuple[int, ...] | None]:
    """The schedule as one kernel argument, its batch dimensions flattened into one.

    One ``jax.vmap`` over ``prod(batch)`` members instead of one per batch dimension: the
    same operations per element (so the same values, bit for bit), a simpler program.
    Returns the schedule and the batch shape to restore (None when not batched).
    """
    if not batch:
        return schedule, None
    members, ndim = math.prod(batch), len(batch)
    return jax.tree_util.tree_map(
        lambda leaf: np.reshape(np.asarray(leaf), (members, *np.shape(leaf)[ndim:])), schedule
    ), batch


def _values(schedule: AbstractSchedule, t: jax.Array, batch: tuple[int, ...] | None) -> jax.Array:
    # Exactly what `schedule(t)` runs, so the values are the same bit for bit.
    if batch is None:
        return _evaluate_jitted(schedule, t)
    values = jax.vmap(lambda s: _evaluate_jitted(s, t))(schedule)
    return values.reshape(batch + values.shape[1:])


_sized_kernel = functools.partial(jax.jit, static_argnames=("size", "batch"))
_array = jax.jit(_values, static_argnames=("batch",))  # explicit steps


@_sized_kernel
def _range(
    schedule: AbstractSchedule,
    start: jax.Array,
    stride: jax.Array,
    size: int,
    batch: tuple[int, ...] | None,
) -> jax.Array:
    return _values(schedule, start + stride * lax.iota(start.dtype, size), batch)


@_sized_kernel
def _unit(
    schedule: AbstractSchedule, start: jax.Array, size: int, batch: tuple[int, ...] | None
) -> jax.Array:
    return _values(schedule, start + lax.iota(start.dtype, size), batch)


PROFILE_TILE = 64
"""Steps per tile of the profile kernel (the unit of its per-tile reductions)."""


class Profile(NamedTuple):
    """One chunk's values and per-tile reductions (see :func:`profile_chunks`).

    Batched schedules add leading batch axes to every field.
    """

    # Device arrays from the kernel; NumPy arrays for a last chunk trimmed on the host.
    values: jax.Array | np.ndarray  # (..., tiles, TILE): see flat_values; past the end, garbage
    tile_min: jax.Array | np.ndarray  # (..., tiles): min over the real steps of each tile
    tile_max: jax.Array | np.ndarray  # (..., tiles): max over the real steps of each tile
    tile_sum: jax.Array | np.ndarray  # (..., tiles): sum over the real steps of each tile
    # Tiles wholly past the end are garbage too: readers use the first ceil(k / TILE).


@_sized_kernel
def _profile(
    schedule: AbstractSchedule,
    start: jax.Array,
    size: int,
    batch: tuple[int, ...] | None,
) -> Profile:
    """One chunk of ``size`` steps from ``start``: the values and their per-tile reductions.

    Serves both :func:`envelope` and :func:`lrjax.summarize`, so one compile covers both;
    it is kept small because compiling it is most of the cost of a few million steps. The
    reductions see every step of the chunk, with no mask for the steps past the end (a
    mask costs a select per value and reduction, ~30% of the time); the one tile of the
    last chunk that they spoil is recomputed on the host by :func:`_trim_last_tile`.
    """
    steps = start + lax.iota(start.dtype, size).reshape(size // PROFILE_TILE, PROFILE_TILE)
    grid = _values(schedule, steps, batch)
    return Profile(
        # Returning the values makes XLA compute them once into a buffer that the
        # reductions read, instead of recomputing the schedule inside each reduction
        # (3x slower); the buffer is one chunk and is dropped at once. The schedule runs
        # on the grid of tiles, which is returned as it is (flat_values flattens it on the
        # host, for free): with a reshape inside the kernel, on either side, XLA fused
        # the schedule's last elementwise operation (a negation, a clip, a constant's
        # broadcast) into the reshape and computed the schedule twice (2-10x slower).
        values=grid,
        tile_min=jnp.min(grid, axis=-1),
        tile_max=jnp.max(grid, axis=-1),
        tile_sum=jnp.sum(grid, axis=-1),
    )


@_sized_kernel
def _extremes(
    schedule: AbstractSchedule,
    start: jax.Array,
    last: jax.Array,
    size: int,
    batch: tuple[int, ...] | None,
) -> tuple[jax.Array, jax.Array]:
    """The per-tile minimum and maximum of one chunk of ``size`` steps from ``start``: what
    a tiled :func:`envelope` needs, without the values.

    One variadic reduction computes both extremes in one pass over the schedule, fused
    with it: no values buffer, no second pass (the min and max of :func:`_profile` read a
    buffer of the chunk; on 1e7 steps this is 1.1-2x faster, most for cheap schedules,
    whose envelope was bound by that buffer). Steps past ``last`` (the last step of the
    run) are evaluated at ``last``: a tile that holds the end repeats its last value, which
    changes neither extreme, so no mask and no trimming on the host.
    """
    iota = lax.iota(start.dtype, size).reshape(size // PROFILE_TILE, PROFILE_TILE)
    # min(iota, last - start) + start never overflows, even on a last chunk that reaches
    # past the largest step.
    grid = _values(schedule, start + jnp.minimum(iota, last - start), batch)
    return lax.reduce(
        (grid, grid),
        _identities(grid.dtype),
        lambda a, b: (jnp.minimum(a[0], b[0]), jnp.maximum(a[1], b[1])),
        (grid.ndim - 1,),
    )


def _identities(dtype: np.dtype) -> tuple[jax.Array, jax.Array]:
    """The identities of a minimum and of a maximum over ``dtype``: its largest and
    smallest values (``inf`` and ``-inf`` for floats; a plain callable may return ints)."""
    if dtype.kind == "f":
        largest, smallest = np.inf, -np.inf
    elif dtype.kind == "b":
        largest, smallest = True, False
    else:
        largest, smallest = np.iinfo(dtype).max, np.iinfo(dtype).min
    return jnp.asarray(largest, dtype), jnp.asarray(smallest, dtype)


def flat_values(out: Profile) -> np.ndarray:
    """The values of a profile chunk, ``(..., size)``, as NumPy (on CPU a view of the
    kernel's buffer, not a copy; read only by those who need the values)."""
    grid = np.asarray(out.values)
    return grid.reshape(grid.shape[:-2] + (-1,))


def _trim_last_tile(out: Profile, k: int) -> Profile:
    """The profile of the first ``k`` steps of a chunk: the reductions of the tile that
    holds step ``k - 1`` are recomputed from its real steps (later tiles are never read)."""
    tile = (k - 1) // PROFILE_TILE
    values = np.asarray(out.values)
    real = values[..., tile, : k - tile * PROFILE_TILE]
    tile_min, tile_max, tile_sum = (
        np.array(field) for field in (out.tile_min, out.tile_max, out.tile_sum)
    )
    tile_min[..., tile] = np.min(real, axis=-1)
    tile_max[..., tile] = np.max(real, axis=-1)
    # Summed in the values' dtype, as the kernel does.
    tile_sum[..., tile] = np.sum(real, axis=-1, dtype=real.dtype)
    return Profile(values, tile_min, tile_max, tile_sum)


def profile_steps(batch: tuple[int, ...], chunk_size: int | None) -> int:
    """Steps per profile kernel call: a multiple of :data:`PROFILE_TILE`."""
    size = chunk_steps(batch, PROFILE_CHUNK_SIZE if chunk_size is None else chunk_size)
    return max(-(-size // PROFILE_TILE) * PROFILE_TILE, PROFILE_TILE)


def profile_chunks(
    schedule: AbstractSchedule,
    batch: tuple[int, ...],
    num_steps: int,
    chunk_size: int | None,
) -> Iterator[tuple[int, int, Profile]]:
    """Yield ``(position, count, profile)`` for the chunks of ``0 .. num_steps - 1``.

    Chunks start at multiples of the chunk size, itself a multiple of
    :data:`PROFILE_TILE`. The next chunk is dispatched before the previous one is yielded.
    """
    size = profile_steps(batch, chunk_size)
    dtype = int_dtype()
    schedule, mapped = _members(schedule, batch)

    def dispatch(position: int) -> Profile:
        return _profile(schedule, np.asarray(position, dtype), size=size, batch=mapped)

    for position, k, out in _pipelined(num_steps, size, dispatch):
        yield position, k, (out if k % PROFILE_TILE == 0 else _trim_last_tile(out, k))


def extreme_chunks(
    schedule: AbstractSchedule,
    batch: tuple[int, ...],
    num_steps: int,
    chunk_size: int | None,
) -> Iterator[tuple[int, int, tuple[jax.Array, jax.Array]]]:
    """Yield ``(position, count, (tile_min, tile_max))`` for the chunks of ``0 ..
    num_steps - 1``, as :func:`profile_chunks` does (same chunks, same tiles), from
    :func:`_extremes`: every tile holding a real step is exact, the last one included."""
    size = profile_steps(batch, chunk_size)
    dtype = int_dtype()
    schedule, mapped = _members(schedule, batch)
    last = np.asarray(num_steps - 1, dtype)

    def dispatch(position: int) -> tuple[jax.Array, jax.Array]:
        return _extremes(schedule, np.asarray(position, dtype), last, size=size, batch=mapped)

    yield from _pipelined(num_steps, size, dispatch)


def _pipelined(
    count: int, size: int, dispatch: Callable[[int], Any]
) -> Iterator[tuple[int, int, Any]]:
    """``(position, k, dispatch(position))`` for the chunks of ``size`` steps of ``0 .. count
    - 1``, one behind: the kernel for chunk ``i + 1`` is dispatched before chunk ``i`` is
    yielded, so the device computes while the host reads."""
    pending: collections.deque[tuple[int, int, Any]] = collections.deque()
    for position in range(0, count, size):
        pending.append((position, min(size, count - position), dispatch(position)))
        if len(pending) >= _PIPELINE_DEPTH:
            yield pending.popleft()
    yield from pending


# -- step specifications -------------------------------------------------------------------


class _Steps(NamedTuple):
    """What to evaluate: ``start + stride * i`` for ``i < count``, or explicit ``array``."""

    count: int
    start: int
    stride: int
    array: np.ndarray | None
    shape: tuple[int, ...]


def as_count(func: str, name: str, value: Any, minimum: int = 0) -> int:
    """A number of steps, ``>= minimum``: an int (integral floats such as ``1e6`` accepted)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{func}({name}={value!r}): {name} must be a whole number of steps")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != math.floor(value):
            raise ValueError(f"{func}({name}={value!r}): {name} must be a whole number of steps")
    count = int(value)
    if count < minimum:
        raise ValueError(f"{func}({name}={value!r}): {name} must be >= {minimum}")
    if count - 1 > int_max():
        raise OverflowError(
            f"{func}({name}={count!r}): the last step {count - 1} does not fit in int32; "
            "enable 64-bit steps with jax.config.update('jax_enable_x64', True) (jax_enable_x64)"
        )
    return count


def _steps(func: str, steps: Any) -> _Steps:
    if isinstance(steps, (int, float, np.integer, np.floating)) and not isinstance(
        steps, (bool, np.bool_)
    ):
        n = as_count(func, "steps", steps)
        return _Steps(n, 0, 1, None, (n,))
    if isinstance(steps, range):
        ends = (steps[0], steps[-1]) if steps else (0,)
        limits = np.iinfo(int_dtype())
        if min(ends) < limits.min or max(ends) > limits.max:
            raise OverflowError(
                f"{func}(steps={steps!r}): steps outside int32; enable 64-bit steps with "
                "jax.config.update('jax_enable_x64', True) (jax_enable_x64)"
            )
        return _Steps(len(steps), steps.start, steps.step, None, (len(steps),))
    if isinstance(steps, Tracer):
        raise TypeError(
            f"{func}: steps are traced; {func} runs on the host, outside jit (inside jit, "
            "call the schedule on the array of steps)"
        )
    if isinstance(steps, (list, tuple)):
        steps = np.asarray(steps)
    if not hasattr(steps, "dtype") or not hasattr(steps, "shape"):
        raise TypeError(
            f"{func}(steps={steps!r}): steps must be a number of steps, a range or an array "
            "of steps"
        )
    array = np.asarray(steps)
    check_step(array[:0] if array.ndim else array.reshape(1)[:0])  # dtype checks only
    if array.dtype.kind in "iu" and array.size and np.iinfo(array.dtype).max > int_max():
        # Checked up front, naming this call: each chunk is checked again when it is sent.
        largest = int(array.max())
        if largest > int_max():
            hint = "" if x64_enabled() else f"; {X64_HINT} (jax_enable_x64)"
            raise OverflowError(
                f"{func}(steps=<{array.dtype} array>): the step {largest} does not fit in "
                f"{np.dtype(int_dtype()).name}{hint}"
            )
    return _Steps(array.size, 0, 1, array.reshape(-1), tuple(array.shape))


# -- chunk iteration -----------------------------------------------------------------------


def iter_chunks(
    schedule: AbstractSchedule,
    batch: tuple[int, ...],
    spec: _Steps,
    size: int,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(position, values)`` for consecutive chunks, ``values`` of shape (*batch, k).

    The kernel for chunk ``i + 1`` is dispatched before chunk ``i`` is read, so the device
    computes while the host copies. ``values`` may be a view of a device buffer: copy it
    before the next iteration if you keep it.
    """
    dtype = int_dtype()
    schedule, mapped = _members(schedule, batch)

    def dispatch(position: int) -> jax.Array:
        if spec.array is not None:
            part = np.asarray(check_step(spec.array[position : position + size]))
            if part.size < size:
                part = np.concatenate([part, np.zeros((size - part.size,), part.dtype)])
            return _array(schedule, part, batch=mapped)
        first = np.asarray(spec.start + spec.stride * position, dtype)
        if spec.stride == 1:
            return _unit(schedule, first, size=size, batch=mapped)
        return _range(schedule, first, np.asarray(spec.stride, dtype), size=size, batch=mapped)

    for position, k, out in _pipelined(spec.count, size, dispatch):
        yield position, np.asarray(out)[..., :k]


_DTYPE_CACHE: dict[Any, np.dtype] = {}


def _output_dtype(schedule: AbstractSchedule, ndim: int) -> np.dtype:
    """The dtype of the values (an abstract evaluation, cached per structure)."""

    def compute() -> np.dtype:
        fn = nested_vmap(lambda s: _evaluate_jitted(s, jnp.zeros((1,), int_dtype())), ndim)
        return np.dtype(jax.eval_shape(fn, schedule).dtype)

    return _cached(_DTYPE_CACHE, (ndim, structure(schedule), x64_enabled()), compute)


def evaluate(schedule: Any, steps: Any, *, chunk_size: int | None = None) -> np.ndarray:
    r"""Evaluate a schedule at many steps at once, as a NumPy array.

    .. math::
      y_i = \eta(t_i), \qquad t_i = i \ (i = 0, \dots, N - 1) \text{ for } \texttt{steps} = N

    The values are exactly (bit for bit) those of ``schedule(jnp.asarray(steps))`` (for a
    batched schedule, those of ``jax.vmap`` over it, which may differ from each member
    evaluated alone by an ulp where XLA rewrites a division by a scalar into a reciprocal
    multiply: docs/contract.md, Dtypes). They are computed in chunks of ``chunk_size``
    values by one jitted kernel whose steps are made inside it, so memory beyond the output
    is two chunks, and a schedule structure compiles once per kernel size (new
    hyperparameter values never recompile; by default the steps are split into equal chunks
    rounded up to one of 16 sizes per power of two, so few lengths need a new size; arrays
    of steps use a second kernel per step dtype).

    Args:
      schedule: an lrjax schedule, a batched schedule (:func:`lrjax.stack`, a
        :func:`lrjax.sweep`) or a plain callable ``step -> value`` (evaluated per step
        under ``jax.vmap``).
      steps: an int ``N`` (the steps ``0 .. N-1``), a ``range``, or an array of steps
        (any shape; integer or float, negative steps clamp to 0 as everywhere).
      chunk_size: values per kernel call (shared by the members of a batch); default
        ``2**19``.

    Returns:
      A NumPy array of float32 (float64 under ``jax_enable_x64``) of shape
      ``(*batch, *steps_shape)``; ``steps_shape`` is ``(N,)`` for an int or a range.

    Raises:
      TypeError: ``steps`` is not a count, a range or an array of real numbers.
      OverflowError: a step does not fit the integer mode (int32 unless x64).

    Examples:
      >>> s = lrjax.warmup(lrjax.cosine_decay(1.0, 90), 10)
      >>> y = lrjax.evaluate(s, 100)
      >>> y.shape, y.dtype, f"{float(y[10]):.4f}", f"{float(y[55]):.4f}"
      ((100,), dtype('float32'), '1.0000', '0.5000')
      >>> sw = lrjax.sweep(lambda peak: lrjax.cosine_decay(peak, 100), peak=[1.0, 2.0])
      >>> print(lrjax.evaluate(sw, range(0, 101, 50)).round(4))
      [[1.  0.5 0. ]
       [2.  1.  0. ]]
    """
    schedule, batch = unwrap(schedule, "evaluate")
    spec = _steps("evaluate", steps)
    size = chunk_steps(batch, chunk_size)
    if chunk_size is None:
        # Split the steps into equal chunks of at most the default size and run a kernel
        # sized to them, rounded up to a size class (at most 1/16 wasted; 16 classes per
        # power of two, so few sizes ever compile). A whole default chunk for a short
        # request, or a last chunk mostly past the end, would compute up to 2x the values.
        chunks = max(-(-spec.count // size), 1)
        size = min(size, max(_SMALL_CHUNK, _size_class(-(-spec.count // chunks))))
    out = np.empty(batch + (spec.count,), _output_dtype(schedule, len(batch)))
    group = member_group(batch, size, chunk_size, MEMBER_CHUNK_SIZE) if batch else 1
    if not batch or group >= math.prod(batch):
        for position, values in iter_chunks(schedule, batch, spec, size):
            out[..., position : position + values.shape[-1]] = values
        return out.reshape(batch + spec.shape)
    # Many members: groups of them per kernel call, so a call's memory stays one chunk.
    flat_out = out.reshape(-1, spec.count)
    for first, count, part in member_slices(schedule, batch, group):
        for position, values in iter_chunks(part, (group,), spec, size):
            flat_out[first : first + count, position : position + values.shape[-1]] = values[:count]
    return out.reshape(batch + spec.shape)


# -- envelope ------------------------------------------------------------------------------


class Envelope(NamedTuple):
    """Per-bin extremes of a schedule over ``num_steps`` steps (see :func:`envelope`).

    Attributes:
      steps: the first step of each bin, int64 of shape ``(bins,)``; bin ``i`` holds the
        steps ``steps[i] .. steps[i + 1] - 1`` (the last bin ends at ``num_steps - 1``).
      min: the smallest value in each bin, ``(*batch, bins)``.
      max: the largest value in each bin, ``(*batch, bins)``.
      num_steps: the number of steps covered.
    """

    steps: np.ndarray
    min: np.ndarray
    max: np.ndarray
    num_steps: int


def envelope(
    schedule: Any, num_steps: int, num_bins: int = 2048, *, chunk_size: int | None = None
) -> Envelope:
    r"""The minimum and maximum of a schedule in each of ``num_bins`` bins of steps.

    The steps ``0 .. num_steps - 1`` are split into bins of ``w`` consecutive steps, where
    ``w = ceil(num_steps / num_bins)`` rounded up to a multiple of 64 when it is at least
    256 (so each bin is whole kernel tiles), giving ``ceil(num_steps / w) <= num_bins``
    bins; each bin reports

    .. math::
      m_i = \min_{i w \le t < (i + 1) w} \eta(t), \qquad
      M_i = \max_{i w \le t < (i + 1) w} \eta(t)

    over **every** step, not a sample: drawing the band ``[m_i, M_i]`` per pixel column is
    exactly the picture of all the points. Each chunk is reduced to per-tile extremes
    inside the kernel, so memory does not depend on ``num_steps`` (up to ``2**31 - 1``
    steps in int32 mode), and the kernel (shared with :func:`lrjax.summarize`) compiles
    once per schedule structure.

    Args:
      schedule: an lrjax schedule, a batched schedule or sweep, or a plain callable.
      num_steps: how many steps (``0 .. num_steps - 1``); ``>= 1``.
      num_bins: the maximum number of bins, for example twice the plot's width in pixels.
      chunk_size: values per kernel call (default ``2**20``).

    Returns:
      An :class:`Envelope` ``(steps, min, max, num_steps)``; ``min`` and ``max`` have shape
      ``(*batch, bins)``.

    Examples:
      >>> s = lrjax.cycle(lrjax.linear(1.0, 0.0, 10), period=10)
      >>> env = lrjax.envelope(s, 1000, num_bins=4)
      >>> print(env.steps, env.min, env.max)
      [  0 250 500 750] [0.1 0.1 0.1 0.1] [1. 1. 1. 1.]
    """
    schedule, batch = unwrap(schedule, "envelope")
    n = as_count("envelope", "num_steps", num_steps, minimum=1)
    builder = EnvelopeBuilder("envelope", schedule, batch, n, num_bins)
    size = profile_steps(batch, chunk_size)
    group = member_group(batch, size, chunk_size, PROFILE_CHUNK_SIZE) if batch else 1
    if not batch or group >= math.prod(batch):
        builder.add_all(schedule, batch, chunk_size)
        return builder.result()
    # Many members: an envelope per group of them, so a call's memory stays one chunk.
    mins = builder.mins.reshape(-1, builder.mins.shape[-1])
    maxs = builder.maxs.reshape(-1, builder.maxs.shape[-1])
    for first, count, part in member_slices(schedule, batch, group):
        sub = EnvelopeBuilder("envelope", part, (group,), n, num_bins)
        sub.add_all(part, (group,), chunk_size)
        mins[first : first + count] = sub.mins[:count]
        maxs[first : first + count] = sub.maxs[:count]
    return builder.result()


class EnvelopeBuilder:
    """Accumulates an :class:`Envelope` chunk by chunk (:meth:`add_all`, or :meth:`add` for
    the chunks of :func:`profile_chunks` that :func:`lrjax.summarize` reads anyway)."""

    def __init__(
        self, func: str, schedule: AbstractSchedule, batch: tuple[int, ...], n: int, num_bins: int
    ) -> None:
        width = -(-n // as_count(func, "num_bins", num_bins, minimum=1))
        self.tiled = width >= 4 * PROFILE_TILE
        if self.tiled:
            # Whole tiles per bin, so the kernel's per-tile extremes are exact per bin;
            # this widens bins by less than a quarter (fewer bins, never more).
            width = -(-width // PROFILE_TILE) * PROFILE_TILE
        self.n, self.width = n, width
        count = -(-n // width)
        dtype = _output_dtype(schedule, len(batch))
        self.mins = np.full(batch + (count,), np.inf, dtype)
        self.maxs = np.full(batch + (count,), -np.inf, dtype)

    def add_all(
        self, schedule: AbstractSchedule, batch: tuple[int, ...], chunk_size: int | None
    ) -> None:
        """Fold in every step of ``schedule``: by its per-tile extremes when the bins are
        whole tiles (:func:`extreme_chunks`), else by its values (:func:`profile_chunks`)."""
        if self.tiled:
            for position, k, (lo, hi) in extreme_chunks(schedule, batch, self.n, chunk_size):
                self._fold(position, k, PROFILE_TILE, np.asarray(lo), np.asarray(hi))
        else:
            for position, k, out in profile_chunks(schedule, batch, self.n, chunk_size):
                self.add(position, k, out)

    def add(self, position: int, k: int, out: Profile) -> None:
        """Fold in the chunk of ``k`` steps from ``position``."""
        if self.tiled:  # whole tiles per bin: reduce the kernel's per-tile extremes
            self._fold(
                position, k, PROFILE_TILE, np.asarray(out.tile_min), np.asarray(out.tile_max)
            )
        else:
            values = flat_values(out)
            self._fold(position, k, 1, values, values)

    def _fold(self, position: int, k: int, unit: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Fold in the extremes ``lo``, ``hi`` of runs of ``unit`` steps (tiles, or single
        steps) of the chunk of ``k`` steps from ``position``."""
        used = -(-k // unit)
        lo, hi = lo[..., :used], hi[..., :used]
        # Chunks start on tile boundaries, so a bin starts at tile (its first step) // unit.
        width = self.width
        index = np.arange(position // width, (position + k - 1) // width + 1, dtype=np.int64)
        edges = np.maximum(index * width - position, 0) // unit
        self.mins[..., index] = np.minimum(
            self.mins[..., index], np.minimum.reduceat(lo, edges, axis=-1)
        )
        self.maxs[..., index] = np.maximum(
            self.maxs[..., index], np.maximum.reduceat(hi, edges, axis=-1)
        )

    def result(self) -> Envelope:
        """The envelope of every chunk added."""
        steps = np.arange(self.mins.shape[-1], dtype=np.int64) * self.width
        return Envelope(steps, self.mins, self.maxs, self.n)
