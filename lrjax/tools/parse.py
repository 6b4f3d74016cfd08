"""A safe text form of schedules: ``parse("warmup(cosine_decay(3e-4, 100_000), 2_000)")``.

The text is parsed with :mod:`ast` and walked node by node; nothing is ever evaluated as
Python. Allowed:

* calls of registered lrjax factories, by name (``cosine_decay``, ``warmup``, presets such
  as ``warmup_cosine_decay``, and the bare names of compat schedules such as Keras's
  ``CosineDecay`` when unambiguous), with positional and keyword arguments;
* compat functions with their dotted prefix, ``compat.keras.CosineDecay(...)`` or
  ``compat.transformers.get_scheduler("cosine", ...)`` (the only attribute access);
* number literals (``-1``, ``3e-4``, ``100_000``), strings, ``True``/``False``/``None``
  and lists of these;
* ``+ - * /`` and unary ``-`` between schedules and numbers.

Arithmetic builds schedules, exactly as the operators on schedules do, so
``parse(repr(s)) == s`` (``repr`` prints arithmetic as ``(a * b)`` with constants as bare
numbers). Arithmetic on two numbers where a factory expects a number (``total_steps=2 *
50_000``) is folded to the number. Anything else raises :class:`ParseError`, with the line
and column and a hint; so do errors raised by the factories themselves.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib
import inspect
import math
import operator
import pkgutil
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import lrjax.compat
from lrjax.combinators.arith import divide
from lrjax.core.schedule import AbstractNode, AbstractSchedule, registered_classes
from lrjax.schedules.primitives import constant

_MAX_LENGTH = 100_000
_MAX_DEPTH = 60
_MAX_INT = 2**63 - 1


class ParseError(ValueError):
    """A schedule text that :func:`lrjax.parse` rejects: where, why and a hint.

    Attributes:
      line: 1-based line of the offending token (or None).
      col: 1-based column (or None).
      hint: what would be accepted.
    """

    def __init__(
        self, message: str, line: int | None = None, col: int | None = None, hint: str = ""
    ) -> None:
        where = f"line {line}, column {col}: " if line is not None and col is not None else ""
        super().__init__(where + message + (f" (hint: {hint})" if hint else ""))
        self.line = line
        self.col = col
        self.hint = hint


# -- the registry of callable names ----------------------------------------------------------


ParseError.__module__ = "lrjax"  # shown as lrjax.ParseError, its public name


def compat_modules() -> dict[str, Any]:
    """The ``lrjax.compat`` submodules, imported (they register their schedule classes)."""
    return {
        info.name: importlib.import_module(f"lrjax.compat.{info.name}")
        for info in pkgutil.iter_modules(lrjax.compat.__path__)
        if not info.name.startswith("_")
    }


def public_functions(module: Any) -> list[str]:
    """The functions in a compat module's ``__all__`` (its schedule classes left out)."""
    return [n for n in module.__all__ if not inspect.isclass(getattr(module, n))]


def _returns_schedule(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s return annotation names a concrete registered schedule class."""
    annotation = inspect.signature(fn).return_annotation  # a class, or its name(s) as text
    names = str(getattr(annotation, "__name__", annotation)).replace("|", ",").split(",")
    classes = registered_classes()
    return all(n.strip() in classes and n.strip() != "FunctionSchedule" for n in names)


@functools.lru_cache(maxsize=8)
def _factories_cached(key: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    import lrjax

    plain: dict[str, Any] = {}
    compat_bare: dict[str, dict[str, Any]] = {}  # bare name -> {qualified name: function}
    for name in lrjax.__all__:
        obj = getattr(lrjax, name, None)
        if inspect.isfunction(obj) and _returns_schedule(obj):
            plain[name] = obj
    dotted = {
        f"compat.{peer}.{name}": getattr(module, name)
        for peer, module in compat_modules().items()
        for name in public_functions(module)
    }
    # Every registered class's factory, by the bare name its repr prints (FunctionSchedule
    # has none).
    for cls in registered_classes().values():
        fn = getattr(sys.modules[cls.__module__], cls.factory, None)
        if fn is None:
            continue
        if cls.__module__.startswith("lrjax.compat."):
            qualified = f"compat.{cls.__module__.rsplit('.', 1)[1]}.{cls.factory}"
            dotted.setdefault(qualified, fn)
            compat_bare.setdefault(cls.factory, {})[qualified] = fn
        else:
            plain.setdefault(cls.factory, fn)
    for name, options in compat_bare.items():
        if name not in plain:
            functions = set(options.values())
            plain[name] = functions.pop() if len(functions) == 1 else tuple(options)
    return plain, dotted


def factories() -> tuple[dict[str, Any], dict[str, Any]]:
    """``(bare, dotted)``: callable names ``parse`` accepts, and the functions they name.

    ``bare`` maps names such as ``"cosine_decay"`` to factories (or, for a compat name
    defined by several peers, to the tuple of its qualified spellings: ambiguous);
    ``dotted`` maps ``"compat.<peer>.<name>"`` to compat functions.
    """
    import lrjax

    compat_modules()  # importing the peers registers their classes
    return _factories_cached((tuple(lrjax.__all__), len(registered_classes())))


# -- the walker --------------------------------------------------------------------------------


class _Num(NamedTuple):
    """A number, or arithmetic on numbers: folded where a factory expects a number."""

    value: float | int
    schedule: Callable[[], AbstractSchedule]  # what it builds where a schedule is expected


def _message(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _fail(node: ast.expr, message: str, hint: str = "") -> ParseError:
    return ParseError(message, node.lineno, node.col_offset + 1, hint)


def _unknown_operator(node: ast.UnaryOp | ast.BinOp) -> ParseError:
    return _fail(node, f"the operator {type(node.op).__name__} is not allowed", "use + - * /")


def _did_you_mean(name: str, names: Any, call: str = "") -> str | None:
    close = difflib.get_close_matches(name, list(names), n=3)
    return f"did you mean {' or '.join(close)}{call}?" if close else None


_ALLOWED = (
    "calls of lrjax factories (e.g. cosine_decay(1e-3, 10_000)), numbers, strings, "
    "True/False/None, [lists], and + - * / between schedules and numbers"
)
_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Walker:
    def __init__(self) -> None:
        self.bare, self.dotted = factories()

    def value(self, node: ast.expr, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _fail(node, "the expression is nested too deeply")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.List):
            return [self.argument(x, depth + 1) for x in node.elts]
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            name = _dotted_name(node)
            what = f"attribute access {name!r}" if name else "attribute access"
            raise _fail(
                node,
                f"{what} is not allowed",
                "only compat.<peer>.<name>(...) calls use dots; "
                f"compat names: {self.compat_hint()}",
            )
        if isinstance(node, ast.Tuple):
            raise _fail(node, "tuples are not allowed", "write lists with [...]")
        kind = type(node).__name__
        raise _fail(node, f"{kind} expressions are not allowed", f"use {_ALLOWED}")

    def compat_hint(self) -> str:
        names = sorted(self.dotted)
        return ", ".join(names[:6]) + (", ..." if len(names) > 6 else "") if names else "none"

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                raise _fail(node, f"the number {value!r} is not finite", "use finite numbers")
            if isinstance(value, int) and abs(value) > _MAX_INT:
                raise _fail(node, f"the integer {value} is too large", f"at most {_MAX_INT}")
            return _Num(value, functools.partial(constant, value))
        raise _fail(node, f"the literal {value!r} is not allowed", f"use {_ALLOWED}")

    def name(self, node: ast.Name) -> Any:
        if node.id in self.bare or node.id == "compat":
            raise _fail(
                node,
                f"{node.id!r} must be called",
                f"write {node.id}(...)" if node.id != "compat" else "compat.<peer>.<name>(...)",
            )
        hint = _did_you_mean(node.id, self.bare, "(...)") or f"use {_ALLOWED}"
        raise _fail(node, f"unknown name {node.id!r}", hint)

    def unary(self, node: ast.UnaryOp, depth: int) -> Any:
        operand = self.value(node.operand, depth + 1)
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _unknown_operator(node)
        if not isinstance(operand, (_Num, AbstractSchedule)):
            raise _fail(node, "a sign applies to numbers and schedules only")
        if isinstance(node.op, ast.UAdd):
            return operand
        if not isinstance(operand, _Num):
            return -operand
        if isinstance(node.operand, ast.Constant):  # -3 is the number -3, as repr prints it
            return _Num(-operand.value, functools.partial(constant, -operand.value))
        return _Num(-operand.value, lambda: -operand.schedule())

    def binary(self, node: ast.BinOp, depth: int) -> Any:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            raise _unknown_operator(node)
        left = self.value(node.left, depth + 1)
        right = self.value(node.right, depth + 1)
        for side, operand in ((node.left, left), (node.right, right)):
            if not isinstance(operand, (_Num, AbstractSchedule)):
                raise _fail(side, "arithmetic applies to numbers and schedules only")

        def combine(a: Any, b: Any) -> Any:
            if op is operator.truediv and not isinstance(a, AbstractSchedule):
                if isinstance(b, AbstractSchedule):
                    return divide(a, b)  # number / schedule (schedules have no __rtruediv__)
            return op(a, b)

        def schedule() -> AbstractSchedule:
            # A number next to a schedule stays a number, so the operator builds exactly
            # what `s - 0.5` builds in Python; two numbers become two constants.
            if isinstance(left, _Num) and isinstance(right, _Num):
                return combine(left.schedule(), right.schedule())
            a = left.value if isinstance(left, _Num) else left
            b = right.value if isinstance(right, _Num) else right
            return combine(a, b)

        try:
            if isinstance(left, _Num) and isinstance(right, _Num):
                value = combine(left.value, right.value)
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValueError(f"the result {value!r} is not finite")
                if isinstance(value, int) and abs(value) > _MAX_INT:
                    raise ValueError(f"the result {value} is too large (at most {_MAX_INT})")
                return _Num(value, schedule)
            return schedule()
        except Exception as err:  # noqa: BLE001 - any failure is the text's fault
            raise _fail(node, _message(err)) from None

    def argument(self, node: ast.expr, depth: int) -> Any:
        # A number stays a number: a schedule argument turns it into a constant itself.
        value = self.value(node, depth)
        return value.value if isinstance(value, _Num) else value

    def resolve(self, node: ast.Call) -> tuple[str, Callable[..., Any]]:
        func = node.func
        if isinstance(func, ast.Name):
            target = self.bare.get(func.id)
            if target is None:
                if func.id in self.dotted or func.id == "compat":
                    raise _fail(func, f"{func.id!r} is not a factory")
                hint = _did_you_mean(func.id, self.bare) or "run `lrjax list`"
                raise _fail(func, f"unknown schedule {func.id!r}", hint)
            if isinstance(target, tuple):
                raise _fail(
                    func,
                    f"{func.id!r} is defined by several compat modules",
                    f"write one of {', '.join(target)}",
                )
            return func.id, target
        if isinstance(func, ast.Attribute):
            name = _dotted_name(func)
            if name is not None and name in self.dotted:
                return name, self.dotted[name]
            if name is not None and name.startswith("compat."):
                hint = _did_you_mean(name, self.dotted) or "run `lrjax list`"
                raise _fail(func, f"unknown compat schedule {name!r}", hint)
            raise _fail(
                func,
                "attribute access is not allowed",
                f"call factories by name; compat names: {self.compat_hint()}",
            )
        raise _fail(func, "only factories can be called", "call factories by name")

    def call(self, node: ast.Call, depth: int) -> AbstractNode:
        name, fn = self.resolve(node)
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail(arg, "*arguments are not allowed")
            args.append(self.argument(arg, depth + 1))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise _fail(kw.value, "**arguments are not allowed")
            if kw.arg in kwargs:
                raise _fail(kw.value, f"argument {kw.arg!r} is given twice")
            kwargs[kw.arg] = self.argument(kw.value, depth + 1)
        try:
            inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as err:
            message = f"{name}: {err}"
            if "positional" in str(err):  # a keyword-only argument: the factory says what to write
                try:
                    fn(*args, **kwargs)
                except TypeError as factory_err:
                    message = str(factory_err)
            raise _fail(node, message, f"see help(lrjax.{name.split('.')[-1]})") from None
        try:
            result = fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any failure is the text's fault
            message = _message(err)
            raise _fail(
                _blamed(node, tuple(inspect.signature(fn).parameters), message), message
            ) from None
        if not isinstance(result, AbstractNode):
            raise _fail(node, f"{name}(...) did not return a schedule")
        return result


def _blamed(node: ast.Call, params: tuple[str, ...], message: str) -> ast.expr:
    """The argument an error message names (``f(name=value): ...``), else the call."""
    for kw in node.keywords:
        if kw.arg is not None and f"{kw.arg}=" in message:
            return kw.value
    for name, arg in zip(params, node.args, strict=False):
        if f"({name}=" in message or f", {name}=" in message:
            return arg
    return node


def parse(text: str) -> Any:
    """Build a schedule from its text form, safely (``ast``, never ``eval``).

    The grammar is Python expression syntax restricted to calls of lrjax factories (core,
    presets, compat schedules; compat functions also as ``compat.<peer>.<name>(...)``),
    number, string, bool, ``None`` and list literals, and ``+ - * /`` between schedules
    and numbers. ``repr`` of a schedule is in this form, so ``parse(repr(s)) == s``.

    Args:
      text: the expression, e.g. ``"warmup(cosine_decay(3e-4, 100_000), 2_000)"``.

    Returns:
      The schedule.

    Raises:
      ParseError: (a ``ValueError``) for a syntax error, a disallowed construct, an
        unknown name or invalid arguments, with the line, the column and a hint.

    Examples:
      >>> s = lrjax.parse("warmup(cosine_decay(3e-4, 100_000), 2_000)")
      >>> print(f"{float(s(2_000)):.6f}")
      0.000300
      >>> lrjax.parse(repr(s)) == s
      True
      >>> s = lrjax.parse("cosine_decay(1e-3, total_steps) * 2 + 1e-5".replace("total_steps", "10"))
      >>> print(f"{float(s(0)):.5f}", f"{float(s(10)):.5f}")
      0.00201 0.00001
      >>> lrjax.parse("open('/etc/passwd')")
      Traceback (most recent call last):
      ...
      lrjax.ParseError: line 1, column 1: unknown schedule 'open' (hint: run `lrjax list`)
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise ParseError(f"the text is too long ({len(text)} characters, at most {_MAX_LENGTH})")
    if not text.strip():
        raise ParseError("the text is empty", hint="e.g. cosine_decay(1e-3, 10_000)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ParseError(
            f"invalid syntax: {err.msg}", err.lineno, err.offset, "write one expression"
        ) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ParseError(f"cannot parse the text: {err}") from None
    walker = _Walker()
    try:
        result = walker.value(tree.body)
    except RecursionError:
        raise ParseError("the expression is nested too deeply") from None
    if isinstance(result, _Num):
        try:
            return result.schedule()
        except Exception as err:  # noqa: BLE001 - any failure is the text's fault
            raise _fail(tree.body, _message(err)) from None
    if not isinstance(result, AbstractNode):
        raise _fail(
            tree.body,
            f"the text is a {type(result).__name__}, not a schedule",
            "e.g. cosine_decay(1e-3, 10_000)",
        )
    return result
