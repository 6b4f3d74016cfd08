"""Adaptive schedules: learning rates that follow a metric, as optax stateful schedules.

An adaptive schedule ``c`` is an immutable pytree of its hyperparameters, like every lrjax
schedule, plus a small state that it never holds itself:

- ``state = c.init()``: a pytree of scalar arrays (the update count, which is the step of the
  base schedule, and the adaptive counters), checkpointable like any pytree;
- ``lr = c(state)``: the learning rate of the next update;
- ``state = c.update(state, value=metric, valid=True)``: pure; advances the count by one and,
  where ``valid``, takes the metric into account.

This is optax's ``StatefulSchedule`` protocol: ``optax.inject_hyperparams(optax.adam)(
learning_rate=c)`` accepts ``c``, and ``opt.update(grads, state, params, value=loss)`` drives
it. ``init`` and ``update`` return the same dtypes (no weak types), so ``jax.lax.scan`` and
``jax.jit`` never retrace; a population of controllers is a ``jax.vmap`` over ``c`` and its
states. A metric that arrives every ``k`` updates is passed with ``valid=step % k == 0`` (the
other updates still advance the count), so a whole run is one ``lax.scan``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lrjax.core.schedule import AbstractNode, AbstractSchedule, Array, ArrayLike


class AbstractAdaptive(AbstractNode):
    """Base class of adaptive schedules: ``init``, ``update`` and ``c(state)``.

    A subclass declares its fields like any schedule, a ``NamedTuple`` state with fields
    ``count`` and ``best`` (at least), and implements ``_initial`` (the state after no update),
    ``_observe`` (the state after one valid metric, the count not yet advanced);
    :meth:`base` (``self.schedule`` by default) and :meth:`multiplier` (``state.scale`` by
    default) give the learning rate ``base()(count) * multiplier(state)``.
    """

    # -- the protocol --------------------------------------------------------------------

    def init(self) -> Any:
        """The state before the first update: count 0, no metric seen."""
        return self._initial()

    def update(
        self,
        state: Any,
        value: ArrayLike | None = None,
        *,
        valid: ArrayLike = True,
        **extra_args: Any,
    ) -> Any:
        """The state after one update that saw the metric ``value`` (where ``valid``).

        Args:
          state: this controller's state (from :meth:`init` or :meth:`update`).
          value: the metric, a scalar (under ``jax.vmap``, one per controller).
          valid: whether ``value`` is a real observation: ``False`` advances the count only
            (a metric measured every ``k`` updates: ``valid=step % k == 0``).
          **extra_args: ignored (optax passes every extra argument to every schedule).
        """
        del extra_args
        self._check_state(state, "update")
        if value is None:
            raise TypeError(
                f"{self.factory}.update(value=None): pass the metric, e.g. "
                "opt.update(grads, state, params, value=loss)"
            )
        metric = jnp.asarray(value)
        if metric.shape != () or not jnp.issubdtype(metric.dtype, jnp.number):
            raise ValueError(
                f"{self.factory}.update(value): the metric must be a real scalar, got "
                f"{metric.dtype}{list(metric.shape)} (a population of controllers runs "
                "under jax.vmap, one scalar each)"
            )
        valid = jnp.asarray(valid)
        if valid.shape != ():
            raise ValueError(
                f"{self.factory}.update(valid): must be a scalar, got shape {valid.shape}"
            )
        observed = self._observe(state, metric.astype(state.best.dtype))
        new = jax.tree.map(lambda a, b: jnp.where(valid, a, b), observed, state)
        return new._replace(count=state.count + jnp.ones((), state.count.dtype))

    def __call__(self, state: Any, **extra_args: Any) -> Array:
        """The learning rate of the next update: ``base(count) * scale(state)``."""
        del extra_args
        self._check_state(state, "__call__")
        return self.base()(state.count) * self.multiplier(state)

    def base(self) -> AbstractSchedule:
        """The base schedule, evaluated at the update count."""
        return self.schedule  # pyright: ignore[reportAttributeAccessIssue]

    def multiplier(self, state: Any) -> Array:
        """The factor on the base schedule in ``state`` (the lr itself for some peers)."""
        return state.scale

    # -- what subclasses define ----------------------------------------------------------

    def _initial(self) -> Any:
        raise NotImplementedError

    def _observe(self, state: Any, metric: Array) -> Any:
        raise NotImplementedError

    # -- checks --------------------------------------------------------------------------

    def _check_state(self, state: Any, method: str) -> None:
        """A clear error for a state that is not this controller's (before jax's own)."""
        expected = jax.eval_shape(self._initial)
        ok = isinstance(state, type(expected)) and all(
            np.shape(a) == b.shape and jnp.result_type(a) == b.dtype
            for a, b in zip(state, expected, strict=True)
        )
        if not ok:
            raise TypeError(
                f"{self.factory}.{method}(state): not a state of this controller; expected "
                f"{_describe(expected)}, got {_describe(state)} (start from its init())"
            )


def _describe(state: Any) -> str:
    names = getattr(state, "_fields", None)
    if not isinstance(state, tuple) or names is None:
        return type(state).__name__
    parts = ", ".join(f"{k}={jnp.result_type(x)}{list(np.shape(x))}" for k, x in zip(names, state))
    return f"{type(state).__name__}({parts})"


class PlateauState(NamedTuple):
    """The state of a reduce-on-plateau controller (every field a scalar array)."""

    count: Array  # updates so far: the step at which the base schedule is evaluated
    best: Array  # the best metric so far (the worst possible value before any)
    num_bad: Array  # valid updates since the last improvement (reset by a reduction)
    cooldown: Array  # valid updates left to ignore after a reduction
    num_reductions: Array  # reductions so far
    scale: Array  # the multiplier of the base schedule (for torch and Keras: the lr itself)
