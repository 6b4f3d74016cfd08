"""The layers of docs/architecture.md: every ``lrjax`` module imports only its own or lower layers.

core (0) -> schedules (1) -> combinators (2) -> presets, adaptive (3) -> compat (4) ->
tools, adapters (5); ``lrjax/__init__.py``, ``__main__.py``, ``torch.py`` and ``keras.py``
are the top surface and may import anything. Every import statement counts, module-level
or inside a function, and so does ``importlib.import_module("lrjax....")``. The only upward
edges are listed below, each with its reason, and they must stay inside a function (run at
call time, not at import).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
from typing import NamedTuple

import pytest

import lrjax

PACKAGE = pathlib.Path(lrjax.__file__).parent
LAYERS = {
    "core": 0,
    "schedules": 1,
    "combinators": 2,
    "presets": 3,
    "adaptive": 3,
    "compat": 4,
    "tools": 5,
    "adapters": 5,
}
TOP = 6  # lrjax, lrjax.__main__, lrjax.torch, lrjax.keras
COMPAT_MODULES = ["keras", "optax", "timm", "torch", "transformers"]

# (importer, imported): why the edge goes up. Each is a call-time import inside a function.
LAZY_EDGES = {
    ("lrjax.core.schedule", "lrjax.combinators.arith"): "s + t, s * c, -s ... build arith nodes",
    ("lrjax.core.schedule", "lrjax.schedules.primitives"): "as_schedule(3.0) is constant(3.0)",
    ("lrjax.core.config", "lrjax.compat"): "from_config loads a compat class by its name",
    ("lrjax.tools.parse", "lrjax"): "the text form's names are the public names, lrjax.__all__",
    ("lrjax.tools.cli", "lrjax"): "the `lrjax` command is a client of the public API",
}


class Import(NamedTuple):
    importer: str
    imported: str
    line: int
    lazy: bool  # inside a function body


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 and parts[1] in LAYERS else TOP


def resolve(module: str) -> str:
    """The lrjax module a dotted name refers to (``lrjax.core.checks``; ``lrjax`` for its names)."""
    while module != "lrjax" and not (
        (PACKAGE.parent / (module.replace(".", "/") + ".py")).exists()
        or (PACKAGE.parent / module.replace(".", "/")).is_dir()
    ):
        module = module.rpartition(".")[0]
    return module


def imports_of(path: pathlib.Path, importer: str | None = None) -> list[Import]:
    importer = importer or module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
        ):
            arg = node.args[0]  # a literal, or the literal head of an f-string
            if isinstance(arg, ast.JoinedStr) and arg.values:
                arg = arg.values[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names = [arg.value.rstrip(".")]
        for name in names:
            if name == "lrjax" or name.startswith("lrjax."):
                found.append(Import(importer, resolve(name), getattr(node, "lineno", 0), lazy))
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


def package_of(module: str) -> str:
    return (module.split(".") + [""])[1]  # "core", "tools", ...; "" for lrjax itself


def violations(imports: list[Import]) -> list[str]:
    """Upward imports, and imports between the two packages of layer 5 (tools, adapters)."""
    out = []
    for imp in imports:
        source, target = layer(imp.importer), layer(imp.imported)
        where = f"{imp.importer} (line {imp.line}) imports {imp.imported}"
        if source == TOP or target < source:
            continue
        if target == source and package_of(imp.importer) == package_of(imp.imported):
            continue
        if (imp.importer, imp.imported) not in LAZY_EDGES:
            kind = {TOP: "the top surface", source: "its sibling"}.get(target, f"layer {target}")
            out.append(f"{where}: layer {source} may not import {kind}")
        elif not imp.lazy:
            out.append(f"{where}: an allowed upward edge, but only inside a function")
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    unknown = [
        module_name(p)
        for p in MODULES
        if layer(module_name(p)) == TOP
        and module_name(p) not in {"lrjax", "lrjax.__main__", "lrjax.torch", "lrjax.keras"}
    ]
    assert not unknown, f"modules outside every layer (add them to LAYERS): {unknown}"


def test_imports_point_down_the_layers():
    found = violations([i for p in MODULES for i in imports_of(p)])
    assert not found, "\n".join(found)


def test_the_check_sees_function_level_and_dynamic_imports(tmp_path):
    """A planted upward import, at module level, in a function, or by name, is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "from lrjax.presets import recipes\n"
        "from . import kernel\n"
        "def f():\n"
        "    from lrjax.combinators.arith import add\n"
        "    return importlib.import_module(f'lrjax.tools.{add}')\n"
    )
    found = violations(imports_of(probe, "lrjax.core.probe"))
    assert [v.split(" imports ")[1].split(":")[0] for v in found] == [
        "lrjax.presets.recipes",
        "lrjax.combinators.arith",
        "lrjax.tools",
    ], found


def test_lazy_edges_exist_and_stay_inside_functions():
    edges = {(i.importer, i.imported): i for p in MODULES for i in imports_of(p)}
    for edge in list(LAZY_EDGES)[:2]:  # the two edges of the core that the layout relies on
        assert edge in edges, f"{edge} is gone: update LAZY_EDGES and docs/architecture.md"
        assert edges[edge].lazy, edge


def test_public_names_import():
    missing = [n for n in lrjax.__all__ if not hasattr(lrjax, n)]
    for name in COMPAT_MODULES:
        module = importlib.import_module(f"lrjax.compat.{name}")
        missing += [f"compat.{name}.{n}" for n in module.__all__ if not hasattr(module, n)]
    assert not missing, missing


@pytest.mark.parametrize("adapter", ["torch", "keras"])
def test_adapters_import(adapter):
    importlib.import_module(adapter)  # a test dependency: missing means failing, not skipping
    module = importlib.import_module(f"lrjax.{adapter}")
    assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
