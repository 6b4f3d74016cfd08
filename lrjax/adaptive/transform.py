"""An adaptive schedule as an optax gradient transformation that scales the updates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp

from lrjax.adaptive.base import AbstractAdaptive
from lrjax.core.schedule import Array, ArrayLike

if TYPE_CHECKING:
    import optax


class ScaleByAdaptiveState(NamedTuple):
    """The adaptive schedule's state and the factor the most recent update applied."""

    schedule_state: Any
    scale: Array


def scale_by_adaptive(schedule: AbstractAdaptive) -> optax.GradientTransformationExtraArgs:
    r"""Multiply the updates by an adaptive schedule, in an ``optax.chain``.

    .. math::
      u_n \leftarrow u_n \cdot s(n)\,m(\text{state}_{n+1})

    for the base schedule :math:`s` at the update count :math:`n` and the multiplier
    :math:`m` after the metric of this update (``value=``, a keyword of ``update``, with an
    optional ``valid=``): like ``optax.contrib.reduce_on_plateau``, a reduction applies to
    the update that saw the metric. Through ``optax.inject_hyperparams`` instead, the
    learning rate of an update comes from the state before its metric.
    ``lrjax.current_learning_rate`` includes the factor.

    Args:
      schedule: an adaptive schedule (e.g. ``lrjax.reduce_on_plateau(1.0, patience=5)``).

    Examples:
      >>> import optax
      >>> tx = optax.chain(optax.sgd(0.1), lrjax.scale_by_adaptive(
      ...     lrjax.reduce_on_plateau(1.0, factor=0.5, patience=0)))
      >>> params = jnp.zeros(1)
      >>> state = tx.init(params)
      >>> for loss in [1.0, 2.0]:
      ...     updates, state = tx.update(jnp.ones(1), state, params, value=loss)
      >>> rate = lrjax.current_learning_rate(state, lrjax.constant(0.1))
      >>> print(f"{float(updates[0]):.3f} {float(rate):.3f}")
      -0.050 0.050
    """
    import optax  # imported on use: `import lrjax` does not load optax

    if not isinstance(schedule, AbstractAdaptive):
        raise TypeError(
            f"scale_by_adaptive(schedule={schedule!r}): expected an adaptive schedule such as "
            "lrjax.reduce_on_plateau(...)"
        )

    def init_fn(params: Any) -> ScaleByAdaptiveState:
        del params
        state = schedule.init()
        return ScaleByAdaptiveState(state, jnp.asarray(schedule(state)))

    def update_fn(
        updates: Any, state: Any, params: Any = None, **extra_args: Any
    ) -> tuple[Any, ScaleByAdaptiveState]:
        del params
        old = state.schedule_state
        value: ArrayLike | None = extra_args.get("value")
        new = schedule.update(old, value=value, valid=extra_args.get("valid", True))
        scale = (schedule.base()(old.count) * schedule.multiplier(new)).astype(state.scale.dtype)
        updates = jax.tree.map(lambda u: (scale * u).astype(u.dtype), updates)
        return updates, ScaleByAdaptiveState(new, scale)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
