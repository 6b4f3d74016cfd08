"""Presets: named recipes whose public arguments are the leaves.

A preset (``warmup_cosine_decay``, ``one_cycle``, a compat schedule such as Keras's
``CosineDecay``) stores exactly the arguments it was called with, as pytree leaves, and
composes its schedule from the core primitives and combinators when evaluated. So its
repr and config read like the call that built it, every numeric argument can be vmapped,
jitted without retracing and differentiated, and the composition is written once.

To add one::

    @pytree_schedule
    @dataclasses.dataclass(frozen=True, eq=False, repr=False)
    class WarmupConstant(AbstractPreset):
        peak_value: Array
        warmup_steps: Array
        init_value: Array
        factory: ClassVar[str] = "warmup_constant"

        def build(self) -> AbstractSchedule:
            return warmup(constant(self.peak_value), self.warmup_steps, self.init_value)

with a factory function ``warmup_constant`` in the same module that validates the
arguments (naming itself in errors) and returns ``WarmupConstant(...)``.
"""

from __future__ import annotations

from ._base import AbstractSchedule, Array, evaluate_child


class AbstractPreset(AbstractSchedule):
    """Base class of presets: subclasses define their fields and :meth:`build`."""

    def build(self) -> AbstractSchedule:
        """The schedule this preset stands for, composed from its (possibly traced) fields."""
        raise NotImplementedError

    def _evaluate(self, t: Array) -> Array:
        return evaluate_child(self.build(), t)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        try:
            return self.build().phase_boundaries(horizon)
        except (TypeError, ValueError):
            return ()
