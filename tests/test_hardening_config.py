"""Issue 14, items 0, 7, 8 and 10: configs load every class in a fresh process, loading is
bounded, errors name the lrjax function, and the smaller identity, CLI and step points.

docs/contract.md (Config, Steps) states what is checked here.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import jax
import numpy as np
import pytest

import lrjax
import lrjax.compat.keras as lrk
import lrjax.compat.optax as lro
import lrjax.compat.timm as lrtimm
import lrjax.compat.torch as lrt
import lrjax.compat.transformers as lrh
from lrjax.core import config as config_module
from lrjax.core.schedule import registered_classes
from lrjax.tools.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = json.loads((ROOT / "tests/fixtures/configs_0_1_0.json").read_text())
PEERS = ("torch", "keras", "optax", "transformers", "timm", "matplotlib", "tensorflow")


def _any(x: object) -> Any:
    """A deliberately ill-typed argument, for the checks to refuse."""
    return x


def _fresh_python(code: str, stdin: str = "") -> str:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- item 0: every registered class loads after a bare `import lrjax` ------------------------


def _compat_configs_after_0_1_0() -> list[dict]:
    """A config of every compat class added since the 0.1.0 fixture was written."""
    nodes = [
        lrt.reduce_lr_on_plateau(0.1, factor=0.5, patience=3),
        lrk.ReduceLROnPlateau(0.1, factor=0.5, patience=3),
        lro.reduce_on_plateau(factor=0.5, patience=3),
        lrtimm.plateau_lr(0.1, decay_rate=0.5, patience_t=3),
        lrt.lambda_lr(0.1, lambda epoch: 0.9**epoch, num_epochs=4),
        lrt.multiplicative_lr(0.1, lambda epoch: 0.9, num_epochs=4),
        lrk.LearningRateScheduler(lambda epoch, lr: lr * 0.9, 0.1, num_epochs=4),
        lrt.one_cycle_momentum(total_steps=100),
        lrt.cyclic_momentum(step_size_up=10),
        lrt.swa_lr(0.1, 0.05, anneal_epochs=5),
        lrtimm.wsd_lr(0.1, t_initial=100, decay_t=20),
        lrh.greedy_lr(0.1, smooth=True, window_size=4),
    ]
    return [lrjax.to_config(c) for c in nodes]


def test_every_saved_class_loads_in_a_fresh_process_with_only_import_lrjax():
    configs = [e["config"] for e in FIXTURE["entries"]] + _compat_configs_after_0_1_0()
    code = """
        import json, sys
        import lrjax
        compat = lambda: sorted(m for m in sys.modules if m.startswith("lrjax.compat."))
        assert compat() == [], compat()
        configs = json.loads(sys.stdin.read())
        first = lrjax.from_config(configs[0])  # a core class imports no compat module
        assert compat() == [], compat()
        keras = next(c for c in configs if c["class_name"].startswith("Keras"))
        lrjax.from_config(keras)
        out = {"after_keras": compat(), "configs": []}
        for config in configs:
            out["configs"].append(lrjax.to_config(lrjax.from_config(config)))
        peers = ("torch", "keras", "optax", "transformers", "timm", "matplotlib", "tensorflow")
        out["peers"] = [m for m in peers if m in sys.modules]
        print(json.dumps(out))
    """
    out = json.loads(_fresh_python(code, json.dumps(configs)))
    # Only the module that defines the class is imported, and no peer library.
    assert out["after_keras"] == ["lrjax.compat.keras"]
    assert out["peers"] == []
    assert len(out["configs"]) == len(configs)
    for saved, loaded in zip(configs, out["configs"], strict=True):
        assert lrjax.from_config(loaded) == lrjax.from_config(saved), saved["class_name"]
    compat = {n for n, c in registered_classes().items() if c.__module__.startswith("lrjax.compat")}
    assert compat <= _nested_names(configs), compat - _nested_names(configs)


def _nested_names(config: object) -> set[str]:
    if isinstance(config, dict):
        found = {config["class_name"]} if "class_name" in config else set()
        return found.union(*(_nested_names(x) for x in config.values()))
    if isinstance(config, list):
        return set().union(*(_nested_names(x) for x in config))
    return set()


def test_the_compat_map_finds_the_module_of_every_registered_compat_class():
    found = config_module._compat_classes()
    for name, cls in registered_classes().items():
        if cls.__module__.startswith("lrjax.compat."):
            assert f"lrjax.compat.{found[name]}" == cls.__module__, name
    # The map only names modules of lrjax's own compat folder.
    assert set(found.values()) == {"keras", "optax", "timm", "torch", "transformers"}


def test_unknown_class_error_lists_loadable_classes_but_not_function_schedule():
    with pytest.raises(ValueError, match=r"unknown class_name 'Evil'") as info:
        lrjax.from_config({"class_name": "Evil", "config": {}})
    known = str(info.value).split("known: ", 1)[1].split(", ")
    assert "FunctionSchedule" not in known
    assert {"Constant", "KerasExponentialDecay", "TorchReduceLROnPlateau"} <= set(known)
    with pytest.raises(ValueError, match=r"unknown class_name 'FunctionSchedule'"):
        lrjax.from_config({"class_name": "FunctionSchedule", "config": {"fn": "print"}})


def test_a_dotted_or_path_like_class_name_imports_nothing():
    for name in ("lrjax.compat.keras.KerasExponentialDecay", "../compat/keras", "os"):
        with pytest.raises(ValueError, match="unknown class_name"):
            lrjax.from_config({"class_name": name, "config": {}})


# -- item 7: bounded loading -----------------------------------------------------------------


def _nested_warmups(levels: int) -> dict:
    """A config whose path from the top crosses ``levels`` schedules (no lists)."""
    config: dict = {"class_name": "Constant", "config": {"value": 1.0}}
    for _ in range(levels - 1):
        config = {"class_name": "Warmup", "config": {"schedule": config, "warmup_steps": 2}}
    return config


def test_deep_nesting_is_a_value_error_naming_the_path_not_a_recursion_error():
    deep = _nested_warmups(400)
    for given in (deep, json.dumps(deep)):
        with pytest.raises(ValueError, match=r"schedule\.schedule.*nested 129 levels deep"):
            lrjax.from_config(given)
    with pytest.raises(ValueError, match="nested more deeply"):
        lrjax.from_config("[" * 100_000)
    lists: object = [1.0]
    for _ in range(300):
        lists = [lists]
    with pytest.raises(ValueError, match=r"schedule\.values\[0\].*\[0\] is nested 129 levels deep"):
        lrjax.from_config({"class_name": "PiecewiseConstant", "config": {"values": lists}})


def test_the_deepest_allowed_config_round_trips_and_to_config_refuses_deeper():
    limit = config_module.MAX_DEPTH
    s = lrjax.from_config(_nested_warmups(limit))
    assert lrjax.from_config(lrjax.to_config(s)) == s
    assert float(s(10**6)) == 1.0
    with pytest.raises(ValueError, match=rf"to_config: .* nested {limit + 1} levels deep"):
        lrjax.to_config(lrjax.warmup(s, 2))


def test_too_many_values_is_refused_naming_where():
    n = config_module.MAX_VALUES  # boundaries + values = 2n - 1 > MAX_VALUES
    config = {
        "class_name": "PiecewiseConstant",
        "config": {"boundaries": list(range(1, n)), "values": [1.0] * n},
    }
    with pytest.raises(ValueError, match=rf"schedule\.(values|boundaries).* more than {n} values"):
        lrjax.from_config(config)
    big = lrjax.piecewise_constant(list(range(1, n // 2)), [1.0] * (n // 2))
    assert lrjax.from_config(json.dumps(lrjax.to_config(big))) == big
    with pytest.raises(ValueError, match=rf"to_config: .* more than {n} values"):
        lrjax.to_config(lrjax.piecewise_constant(list(range(1, n)), [1.0] * n))


def test_huge_integers_name_their_field():
    text = '{"class_name": "Constant", "config": {"value": 1' + "0" * 10_000 + "}}"
    for given in (text, {"class_name": "Constant", "config": {"value": 10**10_000}}):
        with pytest.raises(ValueError, match=r"schedule\.value is an integer outside int64"):
            lrjax.from_config(given)
    with pytest.raises(ValueError, match=r"schedule\.boundaries\[1\] is an integer outside"):
        lrjax.from_config(
            {"class_name": "PiecewiseConstant", "config": {"boundaries": [1, -(2**64)]}}
        )
    # int64 itself is not refused by the loader; the factory's own range check applies.
    with pytest.raises(OverflowError, match="transition_steps"):
        lrjax.from_config(
            {
                "class_name": "Linear",
                "config": {"init_value": 1.0, "end_value": 0.0, "transition_steps": 2**62},
            }
        )


def test_long_json_text_is_refused_before_decoding():
    text = " " * (config_module.MAX_TEXT + 1)
    with pytest.raises(ValueError, match="the JSON text is too long"):
        lrjax.from_config(text)


# -- item 8: errors name the lrjax function --------------------------------------------------


@pytest.mark.parametrize(
    "build, error, pattern",
    [
        (lambda: lrt.multistep_lr(1.0, [10, None]), TypeError, r"^multistep_lr\(milestones="),
        (lambda: lrt.multistep_lr(1.0, [10, "a"]), TypeError, r"^multistep_lr\(milestones="),
        (
            lambda: lro.piecewise_constant_schedule(1.0, _any({"a": 0.5})),
            TypeError,
            r"^piecewise_constant_schedule\(boundaries_and_scales=\{'a': 0\.5\}\): every step",
        ),
        (
            lambda: lro.piecewise_constant_schedule(1.0, _any({None: 0.5})),
            TypeError,
            r"^piecewise_constant_schedule\(boundaries_and_scales=.*every step",
        ),
        (
            lambda: lro.piecewise_interpolate_schedule("linear", 1.0, _any({10: "x"})),
            TypeError,
            r"^piecewise_interpolate_schedule\(boundaries_and_scales=.*every scale",
        ),
        (
            lambda: lrh.get_scheduler("cosine", 1.0, num_warmup_steps=-1, num_training_steps=9),
            ValueError,
            r"^get_scheduler\(name='cosine'\): .*num_warmup_steps",
        ),
        (
            lambda: lrh.get_scheduler(
                "cosine", 1.0, 1, 10, scheduler_specific_kwargs={"num_cycles": "x"}
            ),
            TypeError,
            r"^get_scheduler\(name='cosine'\): .*num_cycles",
        ),
        (
            lambda: lrh.get_scheduler("linear", 1.0, 1, 10, scheduler_specific_kwargs={"x": 1}),
            TypeError,
            r"^get_scheduler\(name='linear'\): .*'x'",
        ),
        (
            lambda: lrh.get_scheduler(
                "linear", 1.0, 1, 10, scheduler_specific_kwargs={"num_warmup_steps": 3}
            ),
            TypeError,
            r"^get_scheduler\(name='linear'\): num_warmup_steps is an argument of get_scheduler",
        ),
        (
            lambda: lrh.get_scheduler("linear", 1.0, 1, 10, scheduler_specific_kwargs=_any([1])),
            TypeError,
            r"^get_scheduler\(scheduler_specific_kwargs=\[1\]\)",
        ),
        (
            lambda: lrh.get_scheduler(
                "reduce_lr_on_plateau", 1.0, scheduler_specific_kwargs={"factor": 2.0}
            ),
            ValueError,
            r"^get_scheduler\(name='reduce_lr_on_plateau'\): reduce_lr_on_plateau\(factor=2\.0\)",
        ),
    ],
)
def test_errors_name_the_function_that_was_called(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build()


def test_multistep_lr_still_sorts_numbers_like_torch():
    assert lrt.multistep_lr(1.0, [20, 10]) == lrt.multistep_lr(1.0, [10, 20])
    assert lrt.multistep_lr(1.0, np.array([20, 10])) == lrt.multistep_lr(1.0, [10, 20])


# -- item 10: identity, CLI, steps -----------------------------------------------------------


def test_signed_zeros_are_equal_and_hash_equal():
    pairs = [
        (lrjax.constant(0.0), lrjax.constant(-0.0)),
        (lrjax.linear(1.0, 0.0, 10), lrjax.linear(1.0, -0.0, 10)),
        (lrjax.piecewise_constant([5], [-0.0, 1.0]), lrjax.piecewise_constant([5], [0.0, 1.0])),
    ]
    for a, b in pairs:
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1
    assert hash(lrjax.constant(0.0)) != hash(lrjax.constant(1e-45))


def test_cli_says_a_directory_is_not_a_file(tmp_path, capsys):
    for spec in (str(tmp_path), "lrjax"):
        assert main(["show", spec, "--steps", "10"]) == 1
        err = capsys.readouterr().err
        assert "not a file" in err and "directory" in err and "Traceback" not in err


def test_cli_reports_a_file_that_is_not_text(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00{")
    assert main(["show", str(path), "--steps", "10"]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8" in err and len(err.strip().splitlines()) == 1


def test_evaluate_names_itself_for_int64_steps_beyond_int32():
    if jax.config.read("jax_enable_x64"):
        pytest.skip("int64 steps are valid under jax_enable_x64")
    s = lrjax.cosine_decay(1.0, 100)
    steps = np.array([5, 2**31 + 5], np.int64)
    with pytest.raises(OverflowError, match=r"^evaluate\(steps=<int64 array>\): .*2147483653"):
        lrjax.evaluate(s, steps)
    np.testing.assert_array_equal(
        lrjax.evaluate(s, np.array([5, 7], np.int64)), np.asarray(s(np.array([5, 7])))
    )


def test_jit_narrows_int64_steps_before_lrjax_sees_them_as_documented():
    # docs/contract.md (Steps): JAX wraps the np.int64 argument to int32, which lrjax then
    # clamps to 0; the eager call checks the step and raises instead.
    if jax.config.read("jax_enable_x64"):
        pytest.skip("no narrowing under jax_enable_x64")
    s = lrjax.cosine_decay(1.0, 100)
    step = np.int64(2**31 + 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # whether JAX warns about the narrowing varies
        assert float(jax.jit(s)(step)) == float(s(0))
    with pytest.raises(OverflowError, match="jax_enable_x64"):
        s(step)
    text = " ".join((ROOT / "docs/contract.md").read_text().split())
    assert "jax.jit(s)(np.int64(2**31 + 5))" in text
    assert "is narrowed by JAX and wraps to a negative step" in text
