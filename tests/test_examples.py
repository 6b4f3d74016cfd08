"""Smoke-run every example (``--quick``) in a subprocess, and check import hygiene.

The examples start together (they are independent processes) and each test waits for
its own. ``import lrjax`` must import neither torch, keras nor matplotlib; the adapters
are submodules imported explicitly, and say which extra to install when the framework is
missing.
"""

from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator

import jax
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = [
    "quickstart",
    "optax_training",
    "flax_training",
    "vmap_sweep",
    "torch_training",
    "keras_fit",
    "plateau",
    "lr_range_test",
    "hypergradient",
    "sweep_plots",
]
# What each example must print (a line fragment), beyond exiting cleanly.
EXPECTED = {
    "quickstart": ["compiled versions of mean_lr: 1", "restored schedule is identical"],
    "optax_training": ["loss on all data", "compiled versions of train_step: 2"],
    "flax_training": ["16 updates; final loss", "last update used lr"],
    "vmap_sweep": ["64 configurations", "compiled versions of the sweep: 1"],
    "torch_training": ["resumed == uninterrupted: learning rates True, parameters True"],
    "lr_range_test": [
        "2 repeats in one program",
        "valley: median",
        "validation accuracy",
        "compiled versions of train: 1",
    ],
    "hypergradient": ["hypergradient: warmup", "grid of 8 vmapped runs", "plot saved"],
    "keras_fit": [
        "torch backend",
        "100 examples, batch 16, 2 epochs: 14 updates",
        "(the decay has ended)",
    ],
    "sweep_plots": [
        "24 members: 3 panel(s), 1 colour bar(s), no legend, log values",
        "20 members: 1 panel(s), 1 colour bar(s), no legend, log values",
        "400 members: 1 panel(s), 1 colour bar(s), no legend, log values",
    ],
    "plateau": [
        "8 plateau settings trained in one compiled program",
        "compiled versions of the population run: 1",
        "wrote ",
    ],
}


# keras_fit runs on Keras's torch backend here: tests/test_keras_adapter.py covers the JAX
# backend, so both backends are exercised with one process each.
BACKENDS = {"keras_fit": "torch"}


def _env(name: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["KERAS_BACKEND"] = BACKENDS.get(name, "jax")
    env["JAX_PLATFORMS"] = "cpu"
    return env


# Extra arguments: an example that writes a file writes it to a temporary directory.
def _args(name: str, tmp: pathlib.Path) -> list[str]:
    if name == "sweep_plots":
        return ["--out-dir", str(tmp / "sweep_plots")]
    return ["--out", str(tmp / "plateau.png")] if name == "plateau" else []


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, subprocess.Popen[str]]]:
    tmp = tmp_path_factory.mktemp("examples")
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--quick", *_args(name, tmp)],
            env=_env(name),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in EXAMPLES
    }
    yield procs
    for proc in procs.values():
        # Under xdist each worker starts every example and waits only for its own tests'.
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps the process and closes its pipes


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name: str, runs: dict[str, subprocess.Popen[str]]) -> None:
    stdout, stderr = runs[name].communicate(timeout=600)
    assert runs[name].returncode == 0, stderr[-4000:]
    for fragment in EXPECTED[name]:
        assert fragment in stdout, stdout[-2000:]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_docstring_and_quick_mode(name: str) -> None:
    source = (ROOT / "examples" / f"{name}.py").read_text()
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and len(docstring.splitlines()) >= 3
    assert "--quick" in source and 'if __name__ == "__main__":' in source


HYGIENE = r"""
import sys
import lrjax
heavy = [m for m in ("torch", "keras", "matplotlib", "tensorflow") if m in sys.modules]
assert not heavy, heavy
for name in ("num_training_steps", "step_count", "set_step_count", "get_hyperparam",
             "current_learning_rate"):
    assert name in lrjax.__all__ and callable(getattr(lrjax, name)), name
assert not hasattr(lrjax, "LRScheduler")
# The adapters name their extra when the framework is missing.
for framework, extra in (("torch", "lrjax[torch]"), ("keras", "lrjax[keras]")):
    sys.modules[framework] = None  # makes "import torch" raise ImportError
    try:
        __import__("lrjax." + framework)
    except ImportError as err:
        assert extra in str(err), err
    else:
        raise AssertionError(f"lrjax.{framework} imported without {framework}")
    del sys.modules[framework]
print("ok")
"""


def test_import_lrjax_is_light_and_adapters_name_their_extra() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", HYGIENE], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.strip() == "ok"


def test_adapter_modules_do_not_shadow_the_frameworks() -> None:
    # lrjax/torch.py and lrjax/keras.py import the real packages (absolute imports).
    import torch

    import lrjax.keras
    import lrjax.torch

    assert lrjax.torch.torch is torch
    assert issubclass(lrjax.torch.LRScheduler, torch.optim.lr_scheduler.LRScheduler)
    assert lrjax.keras.keras.__name__ == "keras"
    assert lrjax.keras.keras.optimizers.schedules.LearningRateSchedule in (
        lrjax.keras.LearningRateSchedule.__mro__
    )


DOCS = ROOT / "docs" / "training.md"


def _doc_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)


# The first lines each block of docs/training.md prints (what its comments promise).
DOC_OUTPUTS = [
    ["3", "2.0000001313746907e-05", "0.8501999974250793", "3.000000106112566e-05"],
    ["1"],
    ["(3, 2)"],
    ["1", "0.999"],
    ["True 3"],
    ["20 0.0009698464418761432"],
    ["471 4.999999873689376e-05"],
    ["[0.05]", "5 1"],
    ["[0.06, 0.12, 0.18, 0.2] True"],
    ["1 True", "0.005"],
]


@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
@pytest.mark.parametrize("index", range(len(DOC_OUTPUTS)))
def test_docs_training_code_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _doc_blocks()
    assert len(blocks) == len(DOC_OUTPUTS)
    # optax's adam and Keras layers need JAX's default promotion rules.
    with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        exec(compile(blocks[index], f"docs/training.md block {index}", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[: len(DOC_OUTPUTS[index])] == DOC_OUTPUTS[index]
