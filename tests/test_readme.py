"""The README's code runs as written."""

from __future__ import annotations

import pathlib
import re

import jax

README = (pathlib.Path(__file__).parents[1] / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_two_commands_come_first_and_install_then_run():
    commands = [line for line in _blocks("bash")[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith('pip install ".[plot]"') and "lrjax demo" in commands[0]
    assert commands[1].startswith('pip install ".[test]"') and "pytest" in commands[1]


def test_python_examples_run():
    for block in _blocks("python"):
        with jax.numpy_dtype_promotion("standard"):
            exec(compile(block, "README.md", "exec"), {})


def test_the_first_screen_says_what_lrjax_solves_with_measured_figures():
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[:3] == ["What it solves, measured", "Two commands", "Quickstart"]
    first = README.split("## Two commands")[0]
    assert "| | optax (closures) | lrjax (data) |" in first
    assert "TracerBoolConversionError" in first and "recompiles" in first
    assert len(first.splitlines()) < 45  # one screen, before the install commands
    # The README links into the docs; it does not repeat their tables.
    assert "docs/getting_started.md" in README and "| lrjax preset | formula |" not in README
