"""Field specifiers: each hyperparameter declared once, with its check and canonical type.

A schedule class declares its hyperparameters as annotated fields whose default is one of
these specifiers (the way Equinox fields carry converters)::

    class Linear(AbstractSchedule):
        init_value: Array = value(nonnegative=True)
        end_value: Array = value(nonnegative=True)
        transition_steps: Array = count()
        transition_begin: Array = count()

:class:`~lrjax.AbstractSchedule` turns the class into a frozen dataclass registered as a
pytree, and its constructor converts every field with its check: concrete values are
validated (errors name the public function, the argument, the value and the allowed range)
and become canonical leaves (float values in the default float dtype, step counts in the
default integer dtype); tracers are cast and pass unchecked, so schedules can be built
inside ``jit``, ``vmap`` and ``grad``. Checks that involve several fields live in the
class's ``check`` hook.

A specifier's ``default`` only matters to configs saved before the field existed; the
public factory function carries the defaults users see.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any, Literal

from lrjax.core import checks

Convert = Callable[[str, str, Any], Any]
"""``convert(func, name, value) -> canonical value``: checks ``value`` for argument ``name``
of the public function ``func``."""

_NO_DEFAULT: Any = dataclasses.MISSING


def _field(
    convert: Convert | None,
    *,
    static: bool = False,
    default: Any = _NO_DEFAULT,
    kw_only: bool = False,
) -> Any:
    metadata = {"convert": convert, "static": static}
    return dataclasses.field(default=default, kw_only=kw_only, metadata=metadata)


def value(
    *,
    positive: bool = False,
    nonnegative: bool = False,
    at_least: float | None = None,
    optional: bool = False,
    default: Any = _NO_DEFAULT,
    kw_only: bool = False,
) -> Any:
    """A float hyperparameter (a learning rate, a factor): finite, a scalar leaf.

    ``optional`` admits ``None`` (no value, as in ``end_value=None``).
    """
    check = functools.partial(
        checks.as_value, positive=positive, nonnegative=nonnegative, at_least=at_least
    )
    return _field(_optional(check) if optional else check, default=default, kw_only=kw_only)


def count(
    *, minimum: int = 0, optional: bool = False, default: Any = _NO_DEFAULT, kw_only: bool = False
) -> Any:
    """A step count or a step: a whole number ``>= minimum``, an integer scalar leaf."""
    check = functools.partial(checks.as_count, minimum=minimum)
    return _field(_optional(check) if optional else check, default=default, kw_only=kw_only)


def values(*, nonnegative: bool = False, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """A 1-D sequence of float values (the levels of a piecewise schedule): one leaf."""
    check = functools.partial(checks.as_value_sequence, nonnegative=nonnegative)
    return _field(check, default=default, kw_only=kw_only)


def counts(
    *, strictly_increasing: bool = False, default: Any = _NO_DEFAULT, kw_only: bool = False
) -> Any:
    """A 1-D sequence of steps (boundaries), non-decreasing or strictly increasing: one leaf."""
    check = functools.partial(checks.as_count_sequence, strictly_increasing=strictly_increasing)
    return _field(check, default=default, kw_only=kw_only)


def choice(options: Iterable[str], *, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """A named option (a shape, a mode): one of ``options``, static structure."""
    options = tuple(options)
    return _field(
        lambda f, n, x: checks.as_choice(f, n, x, options),
        static=True,
        default=default,
        kw_only=kw_only,
    )


def flag(*, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """A boolean option (``staircase``): static structure."""
    return _field(checks.as_flag, static=True, default=default, kw_only=kw_only)


def schedule(*, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """A child schedule: an lrjax schedule, a plain callable or a number (a constant)."""
    return _field(_as_schedule, default=default, kw_only=kw_only)


def schedules(*, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """A non-empty sequence of child schedules, stored as a tuple."""
    return _field(_as_schedules, default=default, kw_only=kw_only)


def static(*, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """Structure that is not a number (a Python callable, a tuple of layout indices)."""
    return _field(None, static=True, default=default, kw_only=kw_only)


def leaf(*, default: Any = _NO_DEFAULT, kw_only: bool = False) -> Any:
    """An array leaf stored as given: for internal nodes whose builder made it canonical."""
    return _field(None, default=default, kw_only=kw_only)


def _optional(check: Convert) -> Convert:
    return lambda func, name, x: None if x is None else check(func, name, x)


def _as_schedule(func: str, name: str, x: Any) -> Any:
    from lrjax.core.schedule import as_schedule

    return as_schedule(x, func, name)


def _as_schedules(func: str, name: str, xs: Any) -> tuple[Any, ...]:
    from lrjax.core.schedule import as_schedules

    return as_schedules(xs, func, name)


def derived(*, init: Literal[False] = False) -> Any:
    """An array leaf the class computes from its arguments in ``__post_init__``, before the
    fields are converted: not an argument (a one-cycle phase boundary, optax's scales)."""
    # `init` tells type checkers (dataclass_transform) that this is not an argument.
    return dataclasses.field(init=init, metadata={"convert": None, "static": False})
