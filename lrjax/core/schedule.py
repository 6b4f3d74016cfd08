"""What a schedule is: an immutable pytree of hyperparameters with ``__call__(step)``.

A schedule class subclasses :class:`AbstractSchedule` and declares its hyperparameters as
fields with their checks (see ``lrjax.core.fields``); the base class makes it a frozen
dataclass registered as a pytree. Numeric hyperparameters (values, step counts,
boundaries, periods) are pytree leaves; only structure (family, number of pieces, shape
names, ``staircase``) is static. So a schedule is an ordinary argument of ``jax.jit``
(new values never retrace), can be stacked and ``jax.vmap``-ed over, and
differentiated with respect to its float leaves.

Identity: two schedules are equal (``==``) when they are of the same class, have the same
static structure and equal leaf values; ``hash`` agrees with ``==`` for concrete
schedules. Schedules holding tracers compare by identity and are not hashable.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, ParamSpec, TypeAlias, TypeVar, dataclass_transform

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from lrjax.core import fields
from lrjax.core.dtypes import float_dtype
from lrjax.core.steps import canonical_step, check_step

ArrayLike: TypeAlias = jax.typing.ArrayLike | Sequence[Any]
"""Numbers, NumPy or JAX arrays, and (nested) lists of numbers."""
Array: TypeAlias = jax.Array
Schedule: TypeAlias = Callable[[ArrayLike], ArrayLike]
"""Anything callable as ``step -> value``: an lrjax schedule or a plain function."""
Param: TypeAlias = Any
"""A numeric field: a number or an array when given, a canonical leaf once its specifier has
checked and converted it (type checkers see only one type per field, hence ``Any``)."""
Child: TypeAlias = Any
"""A child-schedule field: an lrjax schedule, a plain callable or a number when given, an
lrjax schedule once converted."""

_REGISTRY: dict[str, type[AbstractNode]] = {}


def _register_pytree(cls: type) -> None:
    """Register a schedule dataclass as a pytree whose treedef holds the class itself.

    Fields whose metadata says ``static`` go into the treedef; every other field is a
    child. This is ``jax.tree_util.register_dataclass`` except that the class is part of
    the treedef's identity: jax 0.10's C++ dataclass nodes compare equal across classes
    with the same field layout (``a + 4`` and ``a / 4`` had equal treedefs with different
    hashes), so a treedef-keyed jit cache could, on a hash-bucket collision, run one
    schedule's compiled program for the other. Custom nodes compare their types.
    """
    all_fields = dataclasses.fields(cls)
    data = tuple(f.name for f in all_fields if not f.metadata.get("static", False))
    meta = tuple(f.name for f in all_fields if f.metadata.get("static", False))
    keys = tuple(jax.tree_util.GetAttrKey(name) for name in data)

    def flatten_with_keys(x: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
        return [(k, getattr(x, n)) for k, n in zip(keys, data)], tuple(getattr(x, n) for n in meta)

    def flatten(x: Any) -> tuple[list[Any], tuple[Any, ...]]:
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def unflatten(aux: tuple[Any, ...], children: Any) -> Any:
        # Bypass __init__ like jax's own unflatten does for dataclasses: children may be
        # placeholders (None, object()) during tree transformations.
        obj = object.__new__(cls)
        for name, value in zip(meta, aux):
            object.__setattr__(obj, name, value)
        for name, value in zip(data, children):
            object.__setattr__(obj, name, value)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)


def _inheritable_fields(cls: type) -> None:
    """Make the fields an abstract base declares with a specifier inherited by subclasses.

    Its bare annotations only declare attributes that each concrete subclass defines as a
    field itself, in the order of its own arguments.
    """
    annotations = cls.__dict__.get("__annotations__", {})
    declared = {
        n: a for n, a in annotations.items() if isinstance(cls.__dict__.get(n), dataclasses.Field)
    }
    if declared:
        cls.__annotations__ = declared
        dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        cls.__annotations__ = annotations


# A schedule called without a step: what a Keras optimizer does with a plain callable
# learning rate (it calls `learning_rate()`; only a keras LearningRateSchedule gets the step).
_NO_STEP: Any = object()
_NO_STEP_MESSAGE = (
    "{self!r} was called without a step; a Keras optimizer calls a plain callable learning "
    "rate that way: pass lrjax.keras.LearningRateSchedule(schedule) instead"
)

_P = ParamSpec("_P")
_S = TypeVar("_S", bound="AbstractNode")


def make_factory(
    cls: Callable[_P, _S], *, positional: int | None = None, why: str = ""
) -> Callable[_P, _S]:
    """The public factory of a schedule class: its constructor as a function named by
    ``cls.factory``, with the class's signature and docstring (formula, arguments, example).

    Args:
      cls: the schedule class.
      positional: how many leading arguments may be given by position; the others are
        keyword-only (an argument whose meaning differs from optax's or Keras's at the
        same position). A positional call beyond them raises a TypeError that says why
        (``why``) and what to write. Default: every argument may be positional.
      why: the reason, e.g. ``"optax's third positional argument is alpha"``.

    Examples:
      >>> lrjax.linear.__name__
      'linear'
      >>> print(inspect.signature(lrjax.linear).replace(return_annotation=inspect.Signature.empty))
      (init_value, end_value, transition_steps, transition_begin=0)
      >>> try:
      ...     lrjax.cosine_decay(1e-3, 1000, 0.1)  # optax's alpha=0.1 by position
      ... except TypeError as err:
      ...     print(str(err).split("; ")[-1])
      write cosine_decay(0.001, 1000, end_value=0.1)
    """
    signature = inspect.signature(cls)
    factory: str = cls.factory  # pyright: ignore[reportAttributeAccessIssue]
    names = list(signature.parameters)

    @functools.wraps(cls, assigned=("__module__", "__doc__"), updated=())
    def build(*args: _P.args, **kwargs: _P.kwargs) -> _S:
        if positional is not None and len(args) > positional:
            raise TypeError(_keyword_only_error(factory, names, positional, why, args, kwargs))
        return cls(*args, **kwargs)

    build.__name__ = build.__qualname__ = factory
    # help() shows the arguments as the docstring documents them (every field is a `Param`).
    parameters = [
        p.replace(
            annotation=p.empty,
            kind=p.KEYWORD_ONLY if positional is not None and i >= positional else p.kind,
        )
        for i, p in enumerate(signature.parameters.values())
    ]
    build.__signature__ = signature.replace(  # pyright: ignore[reportAttributeAccessIssue]
        parameters=parameters, return_annotation=cls
    )
    return build


def _keyword_only_error(
    factory: str, names: list[str], positional: int, why: str, args: Any, kwargs: Any
) -> str:
    """``cosine_decay(0.001, 1000, 0.1): end_value is keyword-only (...); write
    cosine_decay(0.001, 1000, end_value=0.1)``."""
    extra = names[positional : len(args)]
    given = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    fixed = [repr(a) for a in args[:positional]]
    fixed += [f"{k}={a!r}" for k, a in zip(extra, args[positional:], strict=False)]
    fixed += [f"{k}={v!r}" for k, v in kwargs.items()]
    verb = "is" if len(extra) == 1 else "are"
    listed = extra[0] if len(extra) == 1 else f"{', '.join(extra[:-1])} and {extra[-1]}"
    reason = f" ({why})" if why else ""
    return (
        f"{factory}({', '.join(given)}): {listed} {verb} keyword-only{reason}; "
        f"write {factory}({', '.join(fixed)})"
    )


def registered_classes() -> dict[str, type[AbstractNode]]:
    """All concrete schedule classes by name (what ``from_config`` may build)."""
    return dict(_REGISTRY)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass_transform(
    frozen_default=True,
    eq_default=False,
    field_specifiers=(
        fields.value,
        fields.count,
        fields.values,
        fields.counts,
        fields.choice,
        fields.flag,
        fields.schedule,
        fields.schedules,
        fields.static,
        fields.leaf,
        fields.derived,
    ),
)
class AbstractNode:
    """Base class of every lrjax hyperparameter node: schedules and adaptive schedules.

    A subclass declares its fields (``lrjax.core.fields``). Unless its name starts with
    ``Abstract``, the class becomes a frozen dataclass registered as a pytree and as a
    config class; ``factory`` (a class keyword, by default the class name in snake case)
    names the public function that builds it, in error messages and in ``repr``.
    Construction converts every field with its check, then runs :meth:`check` for rules
    between fields. Equality, hashing, ``repr`` and the config are defined here once.
    """

    factory: ClassVar[str] = ""
    _converters: ClassVar[tuple[tuple[str, fields.Convert], ...]] = ()
    _checked: ClassVar[bool] = False  # whether the class has rules between fields

    def __init_subclass__(cls, factory: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("Abstract"):
            _inheritable_fields(cls)
            return
        dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        _register_pytree(cls)
        cls.factory = factory or cls.__dict__.get("factory") or _snake_case(cls.__name__)
        cls._converters = tuple(
            (f.name, f.metadata["convert"])
            for f in dataclasses.fields(cls)  # pyright: ignore[reportArgumentType]
            if f.metadata.get("convert") is not None
        )
        cls._checked = cls.check is not AbstractNode.check
        existing = _REGISTRY.get(cls.__name__)
        if existing is not None and existing.__module__ != cls.__module__:
            raise TypeError(
                f"schedule class name {cls.__name__!r} is already registered by "
                f"{existing.__module__}; choose another name"
            )
        _REGISTRY[cls.__name__] = cls

    def __post_init__(self) -> None:
        # Straight into the instance dict (a frozen dataclass blocks only __setattr__): a
        # join of 1 000 pieces converts 3 000 fields.
        values, factory = self.__dict__, self.factory
        for name, convert in self._converters:
            values[name] = convert(factory, name, values[name])
        if self._checked:
            self.check()

    def check(self) -> None:
        """Rules between fields, on the converted fields (a no-op where they are traced).

        Raise ``ValueError`` naming ``self.factory``, the arguments and their values.
        """

    # -- identity -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AbstractNode):
            return NotImplemented
        if type(self) is not type(other):
            return False
        leaves_a, tree_a = jax.tree_util.tree_flatten(self)
        leaves_b, tree_b = jax.tree_util.tree_flatten(other)
        # Compare the classes and the printed structure too: two registered dataclasses
        # with equal field counts can compare equal as treedefs (jax 0.10).
        if tree_a != tree_b or str(tree_a) != str(tree_b):
            return False
        for a, b in zip(leaves_a, leaves_b, strict=True):
            if isinstance(a, Tracer) or isinstance(b, Tracer):
                if a is not b:
                    return False
                continue
            a, b = np.asarray(a), np.asarray(b)
            if a.dtype != b.dtype or not np.array_equal(a, b):
                return False
        return True

    def __hash__(self) -> int:
        leaves, tree = jax.tree_util.tree_flatten(self)
        parts: list[Any] = [type(self).__qualname__, str(tree)]
        for leaf in leaves:
            if isinstance(leaf, Tracer):
                raise TypeError("a schedule holding traced values is not hashable")
            arr = np.asarray(leaf)
            if jnp.issubdtype(arr.dtype, jnp.inexact):
                # -0.0 == 0.0 (so the schedules are equal) but their bytes differ.
                arr = np.where(arr == 0, np.zeros((), arr.dtype), arr)
            parts.append((arr.dtype.str, arr.shape, arr.tobytes()))
        return hash(tuple(parts))

    def config_args(self) -> dict[str, Any]:
        """The public arguments that rebuild this schedule through its ``factory``.

        By default the dataclass fields, which are named and ordered like the factory's
        arguments; classes whose storage differs from their arguments override this.
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_config_args(cls, args: dict[str, Any]) -> AbstractNode:
        """Rebuild from :meth:`config_args`: call the class's public factory.

        The factory is the function named ``factory`` in the class's own module, so it
        validates and canonicalizes the arguments exactly as on first construction.
        """
        module = sys.modules[cls.__module__]
        return getattr(module, cls.factory)(**args)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={format_field(x)}" for k, x in self.config_args().items())
        name = self.factory or type(self).__name__
        module = type(self).__module__
        if module.startswith("lrjax.compat."):
            # Compat names repeat core and each other's (optax's exponential_decay, torch's
            # and timm's step_lr): print the module so lrjax.parse(repr(s)) finds the class.
            name = f"compat.{module.rsplit('.', 1)[1]}.{name}"
        return f"{name}({args})"


_html_renderer: Callable[[Any], str] | None = None


def set_html_renderer(render: Callable[[Any], str]) -> None:
    """Register the HTML view of schedules in notebooks (``lrjax.tools.notebook``'s)."""
    global _html_renderer
    _html_renderer = render


class AbstractSchedule(AbstractNode):
    """Base class of every lrjax schedule: a pytree callable ``step -> learning rate``.

    A subclass declares its fields (``lrjax.core.fields``, see :class:`AbstractNode`) and
    implements ``_evaluate(t)`` on a canonical step (integer or float array, clamped to
    ``>= 0``, see ``lrjax.core.steps``).

    Calling a schedule validates the step (``TypeError`` for bool/str/None/complex,
    ``OverflowError`` for concrete integers outside int32 when x64 is off) and evaluates
    it through one jitted function, so eager and jitted calls agree bit for bit.
    """

    # -- evaluation -------------------------------------------------------------------

    def __call__(self, step: ArrayLike = _NO_STEP) -> Array:
        """The learning rate at ``step`` (elementwise over an array of steps)."""
        if step is _NO_STEP:
            raise TypeError(_NO_STEP_MESSAGE.format(self=self))
        return _evaluate_jitted(self, check_step(step))

    def _evaluate(self, t: Array) -> Array:
        """The value at a canonical step ``t``; the shape of the result is ``t.shape``."""
        raise NotImplementedError

    def _repr_html_(self) -> str | None:
        """Jupyter's view: the curve and summary, by the renderer ``lrjax.tools.notebook``
        registers at ``import lrjax`` (core does not import the tools layer)."""
        return None if _html_renderer is None else _html_renderer(self)

    def phase_boundaries(self, horizon: int | None = None) -> tuple[int, ...]:
        """Absolute steps where a phase starts (warmup end, join boundaries, restarts).

        Used to annotate plots and summaries. Empty when unknown or traced. Points after
        ``horizon`` may be left out (a cycle without ``num_cycles`` has infinitely many).
        """
        return ()

    # -- arithmetic (pointwise): nodes of lrjax.combinators.arith -----------------------

    def __add__(self, other: Any) -> AbstractSchedule:
        return _arith().add(self, other)

    def __radd__(self, other: Any) -> AbstractSchedule:
        return _arith().add(other, self)

    def __sub__(self, other: Any) -> AbstractSchedule:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _arith().add(self, -other)
        return _arith().add(self, _arith().negate(other))

    def __rsub__(self, other: Any) -> AbstractSchedule:
        return _arith().add(other, _arith().negate(self))

    def __mul__(self, other: Any) -> AbstractSchedule:
        return _arith().multiply(self, other)

    def __rmul__(self, other: Any) -> AbstractSchedule:
        return _arith().multiply(other, self)

    def __truediv__(self, other: Any) -> AbstractSchedule:
        return _arith().divide(self, other)

    def __neg__(self) -> AbstractSchedule:
        return _arith().negate(self)


def _arith() -> Any:
    # The one upward import of the core (docs/architecture.md), taken at call time.
    from lrjax.combinators import arith

    return arith


ODD_SPLIT_MIN = 4096
"""From this many steps along the last axis, an odd length is evaluated as an even-length
head and a one-step tail (see :func:`_evaluate_jitted`)."""


@jax.jit
def _evaluate_jitted(schedule: AbstractSchedule, step: ArrayLike) -> Array:
    step = jnp.asarray(step)
    length = step.shape[-1] if step.ndim else 0
    if length % 2 and length >= ODD_SPLIT_MIN:
        # On several cores XLA:CPU runs a fused loop over an odd number of elements 2-11x
        # slower than over an even number (1e6 + 1 against 1e6 steps; on one core it does
        # not): the head has an even length, and the concatenation fuses with both parts
        # into one loop, with no temporary.
        head = _values_at(schedule, step[..., :-1])
        return jnp.concatenate([head, _values_at(schedule, step[..., -1:])], axis=-1)
    return _values_at(schedule, step)


def _values_at(schedule: AbstractSchedule, step: Array) -> Array:
    t = canonical_step(step)
    value = jnp.broadcast_to(schedule._evaluate(t), t.shape)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        value = jnp.where(jnp.isnan(t), jnp.asarray(jnp.nan, value.dtype), value)
    if value.ndim == 0 and jnp.issubdtype(t.dtype, jnp.integer):
        value = _computed_once(value, t)
    return value


def _computed_once(value: Array, t: Array) -> Array:
    """``value`` divided by an exact 1 that XLA cannot see through: ``min(t | 1, 1)`` for a
    canonical step ``t >= 0``. (Not ``s / s``: with it, ``jax.vmap`` over steps moved values
    by 2 ulp, as if XLA had rewritten ``a / (s / s)`` as ``a * s / s``.)

    A train step uses one scalar learning rate on every parameter. XLA fuses a scalar into
    the update loop that broadcasts it unless the scalar's last operation is an expensive
    one (a division), so without this the whole formula (its sine, its logarithms) would
    be recomputed once per parameter element, on every step: +250 ns per adamw step at
    1 000 parameters on CPU (optax's closure folds its constants and adds +25 ns), and
    growing with the model. With it the formula is one scalar kernel per step.
    """
    one = jnp.minimum((t | 1).astype(value.dtype), jnp.ones((), value.dtype))
    return value / one


def evaluate_child(child: AbstractSchedule, t: Array) -> Array:
    """Evaluate a child schedule at a canonical (already clamped) local step.

    The result has the broadcast shape of ``t`` and of the child's leaves (which have the
    shape of the steps when a join gathers them per step).
    """
    value = child._evaluate(t)
    return jnp.broadcast_to(value, jnp.broadcast_shapes(value.shape, t.shape))


def format_value(x: Any) -> str:
    """A leaf as the literal that rebuilds it: shortest round-trip digits, lists for arrays."""
    if isinstance(x, Tracer):
        return f"<traced {x.dtype}{list(x.shape)}>"
    arr = np.asarray(x)
    if arr.ndim == 0:
        return _format_scalar(arr)
    return "[" + ", ".join(format_value(v) for v in arr) + "]"


def _format_scalar(arr: np.ndarray) -> str:
    if np.issubdtype(arr.dtype, np.integer):
        return str(int(arr))
    text = str(arr.item() if arr.dtype == np.float64 else arr[()])
    # NumPy prints float32 with the shortest digits that round-trip to the same float32.
    if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text


def format_field(value: Any) -> str:
    """A dataclass field as code: schedules by their repr, tuples as lists, leaves as literals."""
    if isinstance(value, AbstractNode):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_field(v) for v in value) + "]"
    if isinstance(value, (str, bool)) or value is None:
        return repr(value)
    if isinstance(value, Callable):
        return getattr(value, "__qualname__", repr(value))
    return format_value(value)


class FunctionSchedule(AbstractSchedule, factory="function"):
    """A plain Python callable ``step -> value`` (an optax schedule, a lambda) as a child.

    The callable is static structure: it is hashed by identity, cannot be vmapped over and
    cannot be serialized by ``to_config``. It sees each canonical step as a scalar (it is
    ``jax.vmap``-ed over arrays of steps), so scalar-only callables work too; its result is
    cast to the default float dtype.
    """

    fn: Callable[[Any], Any] = fields.static()

    def _evaluate(self, t: Array) -> Array:
        flat = t.reshape(-1)
        values = jax.vmap(lambda s: jnp.asarray(self.fn(s)).astype(float_dtype()))(flat)
        return values.reshape(t.shape)

    def __repr__(self) -> str:
        # What an opaque callable costs, said where users look: in the schedule's repr.
        hint = equivalent(self.fn)
        use = f"; use {hint} instead" if hint else ""
        return (
            f"function({_callable_name(self.fn)}, opaque: compiles once per function object, "
            f"cannot be vmapped over or saved with to_config{use})"
        )


def _callable_name(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or f"{type(fn).__qualname__} object"
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return f"{module}.{name}" if module and module != "__main__" else name


def equivalent(fn: Any) -> str | None:
    """The lrjax compat function or class that gives a foreign schedule's curve as data:
    ``lrjax.compat.optax.cosine_decay_schedule`` for the closure optax's
    ``cosine_decay_schedule`` returns, ``lrjax.compat.keras.CosineDecay`` for a Keras
    ``CosineDecay`` object; None when there is none (a lambda, an unknown library).

    Examples:
      >>> import optax
      >>> equivalent(optax.cosine_decay_schedule(1.0, 100))
      'lrjax.compat.optax.cosine_decay_schedule'
      >>> equivalent(lambda step: 0.1) is None
      True
    """
    from lrjax.core.config import compat_names

    inner = getattr(fn, "func", fn)  # a functools.partial
    module = getattr(inner, "__module__", None) or type(inner).__module__ or ""
    library = module.split(".", 1)[0]
    if library == "optax":  # optax's factories return closures: cosine_decay_schedule.<locals>
        name = getattr(inner, "__qualname__", "").split(".<locals>", 1)[0]
    elif library == "keras":  # Keras's schedules are objects of a LearningRateSchedule class
        name = type(inner).__name__
    else:
        return None
    found = compat_names().get(name)
    if found is None or found[0] != library:
        return None
    return f"lrjax.compat.{library}.{name}"


def as_schedule(x: Any, func: str = "as_schedule", name: str = "schedule") -> AbstractSchedule:
    """An lrjax schedule from a schedule, a plain callable, or a number (a constant).

    Plain callables (an optax schedule, a lambda) become a :class:`FunctionSchedule`;
    numbers become ``constant(x)``; lrjax schedules are returned as they are.

    Examples:
      >>> s = lrjax.as_schedule(lambda step: 0.5 * jnp.ones_like(step, jnp.float32))
      >>> print(f"{float(s(3)):.2f}", f"{float(lrjax.as_schedule(0.25)(3)):.2f}")
      0.50 0.25
    """
    if isinstance(x, AbstractSchedule):
        return x
    if isinstance(x, AbstractNode):  # an adaptive schedule: a function of its state
        raise TypeError(
            f"{func}({name}={x.factory}(...)): an adaptive schedule depends on its state, not "
            "on the step, so it cannot be part of a schedule; wrap the schedule in it instead"
        )
    if callable(x):
        return FunctionSchedule(x)
    from lrjax.schedules.primitives import constant

    try:
        return constant(x)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"{func}({name}={x!r}): {name} must be an lrjax schedule, a callable or a number"
        ) from None


def structure(schedule: Any, flat: tuple[list[Any], Any] | None = None) -> tuple[Any, ...]:
    """What schedules must share to be stacked: class, tree structure, leaf shapes and dtypes.

    Hashable (a cache key). The class and the printed treedef are both in it: treedefs of two
    registered dataclasses with equal field counts can compare equal (jax 0.10). ``flat``
    passes ``jax.tree_util.tree_flatten(schedule)`` when the caller has it already.
    """
    leaves, treedef = flat if flat is not None else jax.tree_util.tree_flatten(schedule)
    return (type(schedule), str(treedef), tuple(map(_leaf_kind, leaves)))


def _leaf_kind(leaf: Any) -> tuple[tuple[int, ...], Any]:
    dtype = getattr(leaf, "dtype", None)
    if dtype is None or isinstance(leaf, Tracer):
        dtype = jnp.result_type(leaf)  # Python numbers; cheaper by the attribute otherwise
    return np.shape(leaf), np.dtype(dtype)


def stack_members(members: Sequence[AbstractSchedule]) -> AbstractSchedule:
    """Schedules of one :func:`structure` as one schedule whose leaves lead with a member axis."""

    def stack(*leaves: Any) -> Any:
        if any(isinstance(leaf, Tracer) for leaf in leaves):
            return jnp.stack([jnp.asarray(leaf) for leaf in leaves])
        return np.stack([np.asarray(leaf) for leaf in leaves])

    return jax.tree_util.tree_map(stack, *members)


def as_schedules(xs: Any, func: str, name: str = "schedules") -> tuple[AbstractSchedule, ...]:
    """A non-empty sequence of schedules, callables or numbers as a tuple of lrjax schedules."""
    if isinstance(xs, AbstractSchedule) or not isinstance(xs, Sequence) or isinstance(xs, str):
        raise TypeError(f"{func}({name}={xs!r}): {name} must be a sequence of schedules")
    if not xs:
        raise ValueError(f"{func}({name}=[]): {name} must hold at least one schedule")
    return tuple(as_schedule(x, func, f"{name}[{i}]") for i, x in enumerate(xs))


class AbstractPreset(AbstractSchedule):
    """A schedule defined by composition: its fields are its public arguments.

    A preset (``warmup_cosine_decay``, ``one_cycle``, a compat schedule such as Keras's
    ``CosineDecay``) stores exactly the arguments it was called with, as pytree leaves, and
    composes its schedule from primitives and combinators in :meth:`build` when evaluated.
    So its repr and config read like the call that built it, every numeric argument can be
    vmapped, jitted without retracing and differentiated, and the composition is written
    once.
    """

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


def factory_names(module: str) -> list[str]:
    """The factories of the schedule classes defined in ``module``, in order: a module's
    ``__all__`` derived from its classes instead of listed again."""
    return [cls.factory for cls in _REGISTRY.values() if cls.__module__ == module]
