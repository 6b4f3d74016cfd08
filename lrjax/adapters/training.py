"""Training helpers: schedule lengths from the data, and reading an optax optimizer state.

Optax keeps the number of updates applied so far in ``count`` fields of its states
(``ScaleByScheduleState``, ``ScaleByAdamState``, ``InjectStatefulHyperparamsState``...).
The ``t``-th update (0-based) uses ``schedule(t)``, so ``count`` is also the step of the
*next* update. The counter is an int32 that ``optax.safe_increment`` saturates at
``2**31 - 1`` (even with ``jax_enable_x64``): from there on every update reuses
``schedule(2**31 - 1)``. lrjax schedules take that int32 count as it is, without a float32
conversion, so every step up to ``2**31 - 1`` gets its own value (optax's own schedules
round the step to float32 and resolve only every 128th step near ``2**31``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.adaptive.transform import ScaleByAdaptiveState
from lrjax.core import checks as v
from lrjax.core.dtypes import X64_HINT, int_dtype, int_max
from lrjax.core.schedule import Array, ArrayLike, Schedule

_INT32_MAX = 2**31 - 1


def num_training_steps(
    num_examples: ArrayLike,
    batch_size: ArrayLike,
    epochs: ArrayLike = 1,
    drop_remainder: bool = False,
) -> int:
    r"""The number of optimizer updates in ``epochs`` passes over ``num_examples`` examples.

    .. math::
      T = E \cdot \lceil N / B \rceil \quad\text{(or } E \cdot \lfloor N / B \rfloor
      \text{ with } \texttt{drop\_remainder}\text{)}

    where :math:`N` is ``num_examples``, :math:`B` is ``batch_size`` and :math:`E` is
    ``epochs``. Use it as a schedule's length so the decay ends exactly with the data (the
    classic mistake is ``N // B`` when the last partial batch is kept, or ``N * E`` steps).
    A fractional ``epochs`` counts ``floor(E * steps_per_epoch)`` updates.

    Args:
      num_examples: examples in one epoch; an integer ``>= 1``.
      batch_size: examples per update; an integer ``>= 1``.
      epochs: passes over the data; a number ``> 0`` (integers are exact).
      drop_remainder: whether the last partial batch of each epoch is dropped (as in
        ``tf.data``'s ``batch(drop_remainder=True)`` or torch's ``drop_last=True``).

    Returns:
      The number of updates, a Python ``int``.

    Raises:
      ValueError: a non-positive count, or ``drop_remainder`` with ``batch_size >
        num_examples`` (no update at all).

    Examples:
      >>> lrjax.num_training_steps(1000, 32, epochs=3)
      96
      >>> lrjax.num_training_steps(1000, 32, epochs=3, drop_remainder=True)
      93
      >>> s = lrjax.linear(5e-5, 0.0, lrjax.num_training_steps(1000, 32, epochs=3))
      >>> print(f"{float(s(95)):.3e}")
      5.208e-07
    """
    func = "num_training_steps"
    n = _python_int(func, "num_examples", num_examples)
    b = _python_int(func, "batch_size", batch_size)
    flag = v.as_flag(func, "drop_remainder", drop_remainder)
    if isinstance(epochs, Tracer):
        raise TypeError(f"{func}(epochs=<traced>): epochs must be a concrete number")
    v.as_value(func, "epochs", epochs, positive=True)
    per_epoch = n // b if flag else -(-n // b)
    if per_epoch == 0:
        raise ValueError(
            f"{func}(num_examples={n}, batch_size={b}, drop_remainder=True): batch_size must "
            "be <= num_examples, or no full batch is left"
        )
    if isinstance(epochs, (int, np.integer)):
        total = int(epochs) * per_epoch
    else:
        total = math.floor(float(np.asarray(epochs)) * per_epoch)
        if total < 1:
            raise ValueError(
                f"{func}(epochs={epochs!r}): epochs must cover at least one update "
                f"({per_epoch} updates per epoch)"
            )
    return total


def _python_int(func: str, name: str, value: Any) -> int:
    if isinstance(value, Tracer):
        raise TypeError(f"{func}({name}=<traced>): {name} must be a concrete integer")
    count = v.as_count(func, name, value, minimum=1)
    return int(np.asarray(count))


# -- reading and writing optax optimizer states -------------------------------------------


def _walk(state: Any) -> Iterator[Any]:
    """Every node of an optax state, depth first, outer states before inner ones."""
    yield state
    if isinstance(state, dict):
        for child in state.values():
            yield from _walk(child)
    elif isinstance(state, (tuple, list)):
        for child in state:
            yield from _walk(child)


def _has_counter(node: Any) -> bool:
    """Whether ``node`` is an optax state with a scalar integer ``count`` field."""
    if not (isinstance(node, tuple) and "count" in getattr(node, "_fields", ())):
        return False
    count: Any = getattr(node, "count")
    dtype = getattr(count, "dtype", None)
    return np.ndim(count) == 0 and dtype is not None and jnp.issubdtype(dtype, jnp.integer)


def step_count(opt_state: Any) -> Array:
    """The number of updates an optax optimizer state has applied.

    That is the step ``t`` whose learning rate ``schedule(t)`` the *next* update will use.
    It is read from the first ``count`` field in the state (``inject_hyperparams``,
    ``scale_by_schedule``, ``scale_by_adam``...); optax increments all of them together.
    Optax's count is int32 and stops at ``2**31 - 1`` (``optax.safe_increment``).

    Args:
      opt_state: an optax optimizer state (any nesting of chains, masks, injections).

    Returns:
      The count, an int32 scalar array (traceable: works inside ``jit``).

    Raises:
      ValueError: the state holds no step counter (``optax.sgd`` with a float learning
        rate keeps no state at all).
      OverflowError: a concrete count above the integer mode's largest step (``2**31 - 1``
        without ``jax_enable_x64``), e.g. an int64 count restored from a checkpoint: JAX
        would narrow it silently.

    Examples:
      >>> import optax
      >>> s = lrjax.cosine_decay(1.0, 100)
      >>> opt = optax.sgd(s, momentum=0.9)
      >>> params = jnp.zeros(3)
      >>> state = opt.init(params)
      >>> _, state = opt.update(jnp.ones(3), state, params)
      >>> int(lrjax.step_count(state)), f"{float(s(lrjax.step_count(state))):.4f}"
      (1, '0.9998')
    """
    return _count("step_count", opt_state)


def _count(func: str, opt_state: Any) -> Array:
    """The state's step counter, refusing a concrete one the current JAX integer mode
    cannot hold: ``jnp.asarray`` would narrow an int64 count (restored from a checkpoint,
    or set by hand) to int32 silently."""
    for node in filter(_has_counter, _walk(opt_state)):
        count: Any = node.count
        if not isinstance(count, Tracer) and int(np.asarray(count)) > int_max():
            raise OverflowError(
                f"{func}: opt_state's step counter is {int(np.asarray(count))}, which does "
                f"not fit in {int_dtype()}, the step type of lrjax schedules without x64 "
                f"(optax's own counters stop at {_INT32_MAX}); {X64_HINT}"
            )
        return jnp.asarray(count)
    raise ValueError(
        f"{func}: opt_state holds no optax step counter (no state with a 'count' field); "
        "optimizers with a constant float learning rate, such as optax.sgd(0.1), keep none"
    )


def set_step_count(opt_state: Any, step: ArrayLike) -> Any:
    """A copy of an optax state whose step counters all read ``step``.

    Use it to resume a schedule at a known step when the optimizer state was not saved
    (optax #1036): the next update then uses ``schedule(step)``. Every ``count`` field is
    replaced, so Adam-style bias corrections continue from ``step`` too.

    Args:
      opt_state: an optax optimizer state.
      step: the number of updates already applied; an integer in ``[0, 2**31 - 1]`` (optax
        counters are int32 even with ``jax_enable_x64``).

    Returns:
      The state with every ``count`` set to ``step`` (int32); nothing else changes.

    Raises:
      ValueError: the state holds no step counter, or ``step`` is negative.
      OverflowError: ``step`` does not fit in int32.

    Examples:
      >>> import optax
      >>> opt = optax.sgd(lrjax.linear(1.0, 0.0, 100), momentum=0.9)
      >>> state = lrjax.set_step_count(opt.init(jnp.zeros(2)), 40)
      >>> int(lrjax.step_count(state))
      40
    """
    func = "set_step_count"
    if not isinstance(step, Tracer):
        arr = np.asarray(step)
        if isinstance(step, (bool, np.bool_)) or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{func}(step={step!r}): step must be an integer")
        if arr.ndim != 0 or not np.isfinite(arr) or arr != np.floor(arr):
            raise ValueError(f"{func}(step={step!r}): step must be a whole scalar number")
        if arr < 0:
            raise ValueError(f"{func}(step={step!r}): step must be >= 0")
        if arr > _INT32_MAX:
            raise OverflowError(
                f"{func}(step={step!r}): step must be <= {_INT32_MAX}; optax's step counter is "
                "int32 even with jax_enable_x64 (see docs/training.md for longer runs)"
            )
    if not any(map(_has_counter, _walk(opt_state))):
        raise ValueError(f"{func}: opt_state holds no optax step counter (no 'count' field)")
    new_count = jnp.asarray(step).astype(jnp.int32)

    def replace(node: Any) -> Any:
        if isinstance(node, tuple) and hasattr(node, "_fields"):
            state: Any = node
            values = {f: replace(getattr(state, f)) for f in state._fields}
            if _has_counter(node):
                values["count"] = new_count
            return state._replace(**values) if values else state
        if isinstance(node, dict):
            return type(node)((k, replace(x)) for k, x in node.items())
        if isinstance(node, (tuple, list)):
            return type(node)(replace(x) for x in node)
        return node

    return replace(opt_state)


def _inject_states(opt_state: Any) -> Iterator[Any]:
    for node in _walk(opt_state):
        fields = getattr(node, "_fields", ())
        if "hyperparams" in fields and "count" in fields and isinstance(node.hyperparams, dict):
            yield node


def get_hyperparam(opt_state: Any, name: str) -> Array:
    """A hyperparameter stored by ``optax.inject_hyperparams`` in an optimizer state.

    ``inject_hyperparams`` stores the value the most recent update used: ``s(count - 1)``
    for a schedule ``s``, and ``s(0)`` right after ``init`` (the value the first update
    will use). The outermost injection holding ``name`` wins.

    Args:
      opt_state: an optax state containing an ``inject_hyperparams`` state.
      name: the hyperparameter, e.g. "learning_rate", "b1", "weight_decay".

    Returns:
      The stored value, in the dtype ``inject_hyperparams`` cast it to (the parameters'
      dtype unless ``hyperparam_dtype`` is given; see the bf16 note in docs/training.md).

    Raises:
      ValueError: no ``inject_hyperparams`` state holds ``name`` (the message lists the
        hyperparameters found).

    Examples:
      >>> import optax
      >>> momentum = lrjax.linear(0.85, 0.95, 10)
      >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=1e-3, momentum=momentum)
      >>> params = jnp.zeros(2)
      >>> state = opt.init(params)
      >>> for _ in range(3):
      ...     _, state = opt.update(jnp.ones(2), state, params)
      >>> print(f"{float(lrjax.get_hyperparam(state, 'momentum')):.4f}")
      0.8700
    """
    if not isinstance(name, str):
        raise TypeError(f"get_hyperparam(name={name!r}): name must be a string")
    seen: list[str] = []
    for node in _inject_states(opt_state):
        if name in node.hyperparams:
            return jnp.asarray(node.hyperparams[name])
        seen.extend(node.hyperparams)
    found = ", ".join(repr(k) for k in sorted(set(seen))) or "none"
    raise ValueError(
        f"get_hyperparam(name={name!r}): no optax.inject_hyperparams state in opt_state holds "
        f"{name!r}; hyperparameters found: {found}"
    )


def current_learning_rate(opt_state: Any, schedule: Schedule | None = None) -> Array:
    """The learning rate the most recent update used (``s(0)`` before the first update).

    This is the value to log next to the loss of the step just taken (optax #206). With a
    ``schedule`` it is ``schedule(max(count - 1, 0))`` for the state's step counter, for any
    optimizer built on ``schedule`` (``optax.adam(schedule)``, ``scale_by_schedule``...);
    without one it is read from an ``optax.inject_hyperparams`` state. Both agree. The rate
    of the *next* update is ``schedule(lrjax.step_count(opt_state))``. Factors applied after
    the learning rate by ``lrjax.scale_by_adaptive`` or ``optax.contrib.reduce_on_plateau``
    in a chain are included: the result is the effective rate.

    Args:
      opt_state: an optax optimizer state.
      schedule: the learning-rate schedule the optimizer was built with; ``None`` to read
        the value stored by ``inject_hyperparams``.

    Returns:
      The learning rate, a scalar array.

    Raises:
      ValueError: without ``schedule``, when no ``inject_hyperparams`` state holds
        "learning_rate"; with it, when the state holds no step counter.
      OverflowError: with ``schedule``, a concrete count above the integer mode's largest
        step (see :func:`step_count`).

    Examples:
      >>> import optax
      >>> s = lrjax.warmup(lrjax.constant(1e-3), 10)
      >>> opt = optax.sgd(s)
      >>> params = jnp.zeros(2)
      >>> state = opt.init(params)
      >>> for _ in range(4):
      ...     _, state = opt.update(jnp.ones(2), state, params)
      >>> print(f"{float(lrjax.current_learning_rate(state, s)):.1e}")
      3.0e-04
    """
    if schedule is None:
        try:
            rate = get_hyperparam(opt_state, "learning_rate")
        except ValueError:
            raise ValueError(
                "current_learning_rate(schedule=None): no optax.inject_hyperparams state with "
                "a 'learning_rate' in opt_state; pass the schedule the optimizer was built with"
            ) from None
    else:
        count = _count("current_learning_rate", opt_state)
        rate = jnp.asarray(schedule(jnp.maximum(count - 1, jnp.zeros((), count.dtype))))
    for node in _walk(opt_state):
        # Factors that chained transformations applied after the learning rate.
        if isinstance(node, ScaleByAdaptiveState) or _is_optax_plateau_state(node):
            rate = rate * node.scale.astype(rate.dtype)
    return rate


def _is_optax_plateau_state(node: Any) -> bool:
    """``optax.contrib.reduce_on_plateau``'s state (not imported: optax.contrib is heavy)."""
    return type(node).__name__ == "ReduceLROnPlateauState" and "scale" in node._fields
