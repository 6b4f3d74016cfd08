"""Extensions of the documentation site, loaded by mkdocs.yml twice: as a griffe extension
(``docs/site_ext.py:LrjaxDocstrings``, for the API pages) and as an MkDocs hook (``hooks:``).

lrjax's docstrings are Google style with a few reStructuredText constructs (``.. math::``
blocks, ``:math:`` and ``:func:`` roles) that ``help()`` and IDEs show as text. The site
renders Markdown, so the griffe extension rewrites them before griffe parses the sections:
math becomes arithmatex's ``$...$`` and ``$$`` blocks, cross-reference roles become code
spans. The hook then turns arithmatex's TeX into MathML while the site is built, so formulas
render in any current browser, offline and without JavaScript (no MathJax download).

The public factories (``lrjax.warmup_cosine_decay``) are functions that wrap their class, so
griffe documents each as the class of its schedule; the class's fields are the factory's
arguments, documented in its ``Args`` section, and are not listed again as attributes.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any

import griffe
from latex2mathml.converter import convert as latex_to_mathml

# The API pages import lrjax.keras, whose Keras import needs a backend that is installed:
# Keras defaults to TensorFlow, which lrjax does not use (its tests run Keras on JAX too).
os.environ.setdefault("KERAS_BACKEND", "jax")

_MATH_ROLE = re.compile(r":math:`([^`]+)`")
# :func:`~lrjax.warmup`, :class:`Foo`, :meth:`check`: shown as code, linked to the API entry
# when there is one (the leading ~ or . of Sphinx's short forms is dropped).
_XREF_ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|obj|exc):`[~.]?([^`]+)`")
_MATH_DIRECTIVE = re.compile(r"^(\s*)\.\. math::\s*$")
# An Args entry naming several arguments may wrap before its colon
# ("a, b, c,\n    d: as in ..."): griffe reads one "name: description" per entry line.
_WRAPPED_NAMES = re.compile(r"^(\s*)(\w+(?:, \w+)*,)\n\s+(\w+(?:, \w+)*:)", re.M)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _math_blocks(text: str) -> str:
    """Replace each ``.. math::`` directive and its indented body with a ``$$`` block."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _MATH_DIRECTIVE.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = match.group(1)
        body: list[str] = []
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(indent)):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        width = min((_indent(b) for b in body if b.strip()), default=0)
        out.append(f"{indent}$$")
        out.extend(f"{indent}{b[width:]}" if b.strip() else "" for b in body)
        out.append(f"{indent}$$")
        out.append("")
    return "\n".join(out)


def _xref(name: str, module: str | None) -> str:
    """A role's target as code, in an optional autorefs link: a link where the name has an
    entry on the API pages (a full ``lrjax.`` path, or a name of the docstring's own
    module), plain code elsewhere, and never a warning."""
    code = f"`{name}`"
    target = name.removesuffix("()")
    if not target.startswith("lrjax."):
        if module is None:
            return code
        target = f"{module}.{target}"
    return f'<autoref identifier="{target}" optional><code>{html.escape(name)}</code></autoref>'


def rst_to_markdown(text: str, module: str | None = None) -> str:
    """The Markdown form of a docstring's text (see the module docstring); ``module`` is
    where the docstring is, to link the names its roles mention.

    >>> rst_to_markdown("Decays to :math:`E` (see :func:`cosine_lr`), like this::")
    'Decays to $E$ (see `cosine_lr`), like this:'
    >>> rst_to_markdown("As :func:`cosine_lr`.", module="lrjax.compat.timm")[:62]
    'As <autoref identifier="lrjax.compat.timm.cosine_lr" optional>'
    >>> print(rst_to_markdown("Formula:\\n\\n.. math::\\n  x = 1\\n\\nAfter."))
    Formula:
    <BLANKLINE>
    $$
    x = 1
    $$
    <BLANKLINE>
    After.
    """
    text = _WRAPPED_NAMES.sub(r"\1\2 \3", text)
    text = _math_blocks(text)
    # "as follows::" introduces an indented literal block, which Markdown reads as code.
    text = re.sub(r"(?<=\S)::$", ":", text, flags=re.M)
    text = _MATH_ROLE.sub(lambda m: f"${m.group(1).strip()}$", text)
    return _XREF_ROLE.sub(lambda m: _xref(m.group(1), module), text)


class LrjaxDocstrings(griffe.Extension):
    """The griffe side: docstrings in Markdown; schedule classes without their fields."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value, obj.module.path)
        if isinstance(obj, griffe.Function):
            # Hyperparameters are annotated ``Param`` (any array-like) and children ``Child``
            # (a schedule, a callable or a number), both aliases of ``Any``: "Any" next to an
            # argument tells a reader nothing that its Args description does not.
            for parameter in obj.parameters:
                if str(parameter.annotation) in {"Any", "Param", "Child"}:
                    parameter.annotation = None

    def on_class_members(self, *, node: Any, cls: griffe.Class, **kwargs: Any) -> None:
        # A NamedTuple's fields are properties documented "Alias for field number 0": the
        # class's docstring says what they hold.
        for name in list(cls.members):
            member = cls.members[name]
            if member.is_alias:
                continue
            doc = member.docstring.value if member.docstring else ""
            if doc.startswith("Alias for field number"):
                cls.del_member(name)
        runtime = getattr(node, "obj", None)
        if not isinstance(runtime, type) or "__dataclass_fields__" not in vars(runtime):
            return
        if not hasattr(runtime, "factory") or runtime.__name__.startswith("Abstract"):
            return
        for name in list(cls.members):
            member = cls.members[name]
            # Class attributes set from elsewhere (``operator = jnp.add``) are aliases, which
            # may point outside lrjax: check without resolving them.
            if member.is_alias or member.is_attribute:
                cls.del_member(name)


_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def on_page_content(html_text: str, **kwargs: Any) -> str:
    """MkDocs hook: arithmatex's TeX (escaped HTML) as MathML."""
    html_text = _BLOCK.sub(
        lambda m: latex_to_mathml(html.unescape(m.group(1)).strip(), display="block"),
        html_text,
    )
    return _INLINE.sub(lambda m: latex_to_mathml(html.unescape(m.group(1)).strip()), html_text)
