"""``join_schedules``: one schedule after another, each seeing its local step.

Children of one structure (same class, same static fields, same leaf shapes) are stacked
into a single schedule whose leaves have a leading "member" axis. At evaluation, the piece
index (a search over the boundaries) selects the member, its hyperparameters are
gathered, and the structure is evaluated once. So a join of 1 000 cosine pieces compiles
like a join of 2, and a join of mixed children costs one evaluation per distinct
structure, not per piece (optax unrolls one ``where`` and one child per piece).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjax.core import checks as v
from lrjax.core import fields
from lrjax.core.schedule import (
    AbstractSchedule,
    Array,
    ArrayLike,
    Param,
    Schedule,
    as_schedules,
    evaluate_child,
    stack_members,
    structure,
)
from lrjax.schedules.piecewise import piece_index, take


def group_by_structure(
    schedules: Sequence[AbstractSchedule],
) -> tuple[tuple[AbstractSchedule, ...], tuple[bool, ...], tuple[tuple[int, int], ...]]:
    """Group schedules of one structure (class, static fields, leaf shapes) into stacks.

    Returns ``(groups, stacked, layout)``: the groups (a stacked schedule whose leaves have
    a leading member axis, or a lone schedule), whether each group is stacked, and for
    every input schedule its ``(group, position)``.
    """
    keys: dict[Any, int] = {}
    members: list[list[AbstractSchedule]] = []
    layout: list[tuple[int, int]] = []
    for schedule in schedules:
        key = structure(schedule)
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        group = keys[key]
        layout.append((group, len(members[group])))
        members[group].append(schedule)
    stacked = tuple(len(m) > 1 for m in members)
    groups = tuple(stack_members(m) if s else m[0] for m, s in zip(members, stacked, strict=True))
    return groups, stacked, tuple(layout)


def _scalar_members(group: AbstractSchedule) -> bool:
    """Static: whether every stacked leaf holds one scalar per member."""
    return all(jnp.ndim(leaf) == 1 for leaf in jax.tree_util.tree_leaves(group))


def evaluate_members(group: AbstractSchedule, position: Array, t: Array) -> Array:
    """Evaluate member ``position[i]`` of a stacked group at step ``t[i]``, for every ``i``.

    ``position`` has the shape of ``t`` and is in range. When every member's leaves are
    scalars (cosine pieces, warmups of them, ...), each leaf is gathered once per step (a
    scalar step: one dynamic index) and the structure is evaluated once on the gathered
    leaves, which have the shape of the steps (see :func:`evaluate_child`). Otherwise
    (members holding arrays: piecewise children, nested joins) one member's evaluation
    is ``jax.vmap``-ed over the steps, which is correct whatever its internal shapes.
    """
    if _scalar_members(group):
        gathered = jax.tree_util.tree_map(lambda leaf: take(leaf, position), group)
        return evaluate_child(gathered, t)
    flat_t = t.reshape(-1)
    flat_position = jnp.broadcast_to(position, t.shape).reshape(-1)
    gathered = jax.tree_util.tree_map(lambda leaf: take(leaf, flat_position), group)
    values = jax.vmap(evaluate_child)(gathered, flat_t)
    return values.reshape(t.shape)


def unstack_member(group: AbstractSchedule, position: int) -> AbstractSchedule:
    """One concrete member of a stacked group, as the schedule that was stacked."""
    return jax.tree_util.tree_map(lambda leaf: leaf[position], group)


def evaluate_grouped(
    groups: tuple[AbstractSchedule, ...],
    stacked: tuple[bool, ...],
    layout: tuple[tuple[int, int], ...],
    index: Array,
    t: Array,
) -> Array:
    """Evaluate member ``index`` (elementwise) of the grouped schedules at step ``t``.

    ``index`` is in ``[0, len(layout))``. Each group is evaluated once on all steps; a
    stacked group reads its members' leaves at the position of the piece, or of its own
    first member where another group's piece is active (so every read is in range).
    """
    if len(groups) == 1:
        if not stacked[0]:
            return evaluate_child(groups[0], t)
        if all(p == i for i, (_, p) in enumerate(layout)):
            return evaluate_members(groups[0], index, t)

    def value(g: int) -> Array:
        if not stacked[g]:
            return evaluate_child(groups[g], t)
        position_of = np.array([p if h == g else 0 for h, p in layout], np.int32)
        return evaluate_members(groups[g], take(position_of, index), t)

    result = value(0)
    if len(groups) > 1:
        which = take(np.array([g for g, _ in layout], np.int32), index)
        for g in range(1, len(groups)):
            result = jnp.where(which == g, value(g), result)
    return result


class Join(AbstractSchedule, factory="join_schedules"):
    """Schedules joined at boundaries (built by :func:`join_schedules`).

    ``groups`` holds the children stacked by structure; ``layout`` maps each piece to its
    ``(group, position)``. Use :attr:`schedules` for the children as given.
    """

    groups: tuple[AbstractSchedule, ...] = fields.leaf()
    boundaries: Param = fields.counts(strictly_increasing=True)
    stacked: tuple[bool, ...] = fields.static()
    layout: tuple[tuple[int, int], ...] = fields.static()

    def check(self) -> None:
        if v.concrete(self.boundaries) is None:
            return  # traced: built by a preset from its own (checked) arguments
        if np.shape(self.boundaries)[-1] != len(self.layout) - 1:
            raise ValueError(
                f"{self.factory}: len(boundaries) must be len(schedules) - 1, got "
                f"{np.shape(self.boundaries)[-1]} boundaries for {len(self.layout)} schedules"
            )

    @property
    def schedules(self) -> tuple[AbstractSchedule, ...]:
        """The joined schedules, in order."""
        return tuple(
            unstack_member(self.groups[g], p) if self.stacked[g] else self.groups[g]
            for g, p in self.layout
        )

    def config_args(self) -> dict[str, Any]:
        return {"schedules": list(self.schedules), "boundaries": self.boundaries}

    def _evaluate(self, t: Array) -> Array:
        boundaries = jnp.asarray(self.boundaries)
        index = piece_index(boundaries, t)
        starts = jnp.concatenate([jnp.zeros((1,), boundaries.dtype), boundaries])
        local = t - take(starts, index).astype(t.dtype)
        return evaluate_grouped(self.groups, self.stacked, self.layout, index, local)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        starts = v.concrete(self.boundaries)
        if starts is None:
            return ()
        starts = [0, *np.atleast_1d(starts).tolist()]
        ends = [*starts[1:], None]
        points = set(starts[1:])
        for child, start, end in zip(self.schedules, starts, ends, strict=True):
            for p in child.phase_boundaries(None if horizon is None else horizon - start):
                if end is None or start + p < end:
                    points.add(start + p)
        return tuple(sorted(int(p) for p in points if p > 0))


def join_schedules(schedules: Sequence[Schedule | float], boundaries: ArrayLike) -> Join:
    r"""Join schedules one after another; each child sees its local step.

    .. math::
      \eta(t) = s_i(t - b_{i-1}) \quad\text{for}\quad b_{i-1} \le t < b_i

    with :math:`b_{-1} = 0`. Pieces are half-open: at :math:`t = b_i` the next schedule is
    active at local step 0. The last schedule continues forever.

    Children of one structure are stacked and evaluated once with gathered
    hyperparameters, so the compiled graph does not grow with the number of pieces.

    Args:
      schedules: the schedules (lrjax schedules, plain callables or numbers), at least one.
      boundaries: ``len(schedules) - 1`` absolute steps; strictly increasing, ``>= 0``.

    Examples:
      >>> s = lrjax.join_schedules(
      ...     [lrjax.linear(0.0, 1.0, 10), lrjax.cosine_decay(1.0, 90)], boundaries=[10])
      >>> print([round(float(x), 3) for x in s(jnp.array([0, 5, 10, 55, 100]))])
      [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    groups, stacked, layout = group_by_structure(as_schedules(schedules, "join_schedules"))
    return Join(groups, boundaries, stacked, layout)
