"""Configs, identity, repr, fresh-process reproducibility (docs/contract.md, Config; rows R)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

import lrjax

NESTED = lrjax.cycle(
    lrjax.join_schedules(
        [
            lrjax.warmup(
                lrjax.cosine_decay(3e-4, 1000, end_value=1e-5, exponent=1.5), 100, 1e-7, "cosine"
            ),
            lrjax.piecewise_constant([10, 20], [1e-5, 5e-6, 1e-6]),
            lrjax.exponential_decay(
                1e-6,
                decay_rate=0.9,
                transition_steps=10,
                transition_begin=3,
                staircase=True,
                end_value=1e-8,
            ),
        ],
        [1100, 1200],
    )
    * 0.5
    + lrjax.constant(1e-9),
    1500,
    period_mul=1.5,
    value_mul=0.7,
    num_cycles=4,
)


def test_config_is_json_and_names_the_version():
    config = lrjax.to_config(NESTED)
    assert json.loads(json.dumps(config)) == config
    assert config["lrjax_version"] == lrjax.__version__
    assert config["class_name"] == "Cycle"
    rebuilt = lrjax.from_config(json.dumps(config))
    assert rebuilt == NESTED
    t = jnp.arange(0, 20_000, 7)
    np.testing.assert_array_equal(np.asarray(rebuilt(t)), np.asarray(NESTED(t)))


def test_float32_values_are_written_with_their_shortest_digits():
    config = lrjax.to_config(lrjax.linear(0.1, 3e-4, 10))
    assert config["config"]["init_value"] == 0.1
    assert config["config"]["end_value"] == 3e-4


def test_unknown_class_and_malformed_fields_are_value_errors():
    with pytest.raises(ValueError, match=r"unknown class_name 'Evil'"):
        lrjax.from_config({"class_name": "Evil", "config": {}})
    with pytest.raises(ValueError, match=r"unknown class_name 'os.system'"):
        lrjax.from_config({"class_name": "os.system", "config": {"command": "true"}})
    with pytest.raises(ValueError, match=r"Linear\) has malformed fields"):
        lrjax.from_config({"class_name": "Linear", "config": {"init_value": 1.0, "bogus": 3}})
    with pytest.raises(ValueError, match=r"linear\(transition_steps=-3\)"):
        lrjax.from_config(
            {
                "class_name": "Linear",
                "config": {"init_value": 1.0, "end_value": 0.0, "transition_steps": -3},
            }
        )
    with pytest.raises(ValueError, match=r"'class_name' \(str\) and 'config'"):
        lrjax.from_config({"config": {}})
    with pytest.raises(ValueError, match="not valid JSON"):
        lrjax.from_config("{nope")
    with pytest.raises(ValueError, match="unknown class_name 'FunctionSchedule'"):
        lrjax.from_config({"class_name": "FunctionSchedule", "config": {"fn": "print"}})


def test_plain_callables_and_traced_values_cannot_be_saved():
    s = lrjax.join_schedules([lambda t: 0.1, lrjax.constant(0.2)], [5])
    with pytest.raises(ValueError, match=r"schedule.schedules\[0\] is a plain Python callable"):
        lrjax.to_config(s)


def test_repr_reads_like_the_code_that_built_it():
    s = lrjax.warmup(lrjax.cosine_decay(3e-4, 1000), 100)
    assert repr(s) == (
        "warmup(schedule=cosine_decay(init_value=0.0003, decay_steps=1000, end_value=0.0, "
        "exponent=None), warmup_steps=100, init_value=0.0, shape='linear', peak_value=None)"
    )
    assert repr(2.0 * lrjax.constant(1.0) - 0.5) == (
        "((constant(value=2.0) * constant(value=1.0)) + (-0.5))"
    )
    assert repr(1 - lrjax.linear(1.0, 0.0, 5)).startswith("(1.0 + ((-1.0) * linear(")
    assert repr(lrjax.minimum(s, 0.1)).startswith("minimum(warmup(")


def test_equality_and_hashing():
    a = lrjax.linear(1.0, 0.0, 10)
    assert a == lrjax.linear(1, 0, 10.0)  # canonical leaf types
    assert hash(a) == hash(lrjax.linear(1, 0, 10.0))
    assert a != lrjax.linear(1.0, 0.0, 11)
    assert a != lrjax.cosine_decay(1.0, 10)  # same number of fields, other family
    assert len({a, lrjax.linear(1.0, 0.0, 10), lrjax.linear(0.5, 0.0, 10)}) == 2
    assert (a == "linear") is False


def test_fresh_process_gives_bit_identical_values(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(lrjax.to_config(NESTED)))
    steps = np.arange(0, 20_000, 13, dtype=np.int32)
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        import lrjax
        s = lrjax.from_config(json.load(open({str(path)!r})))
        np.save(sys.stdout.buffer, np.asarray(s(np.arange(0, 20_000, 13, dtype=np.int32))))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        check=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    import io

    fresh = np.load(io.BytesIO(out.stdout))
    np.testing.assert_array_equal(fresh, np.asarray(NESTED(steps)))
