"""Schedules saved by lrjax 0.1.0 still load and give the same values.

``fixtures/configs_0_1_0.json`` was written by lrjax 0.1.0 (commit 9a96819): for every case
of the shared registry (``cases.all_cases()``) and every other registered class, the
``to_config`` output and the float32 values at about 80 integer steps. Loading it with
today's ``from_config`` must give the same values within 1 ulp.
"""

from __future__ import annotations

import json
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

import lrjax
import lrjax.compat.keras
import lrjax.compat.optax
import lrjax.compat.timm
import lrjax.compat.torch
import lrjax.compat.transformers  # noqa: F401  (registers the compat classes)

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures/configs_0_1_0.json").read_text())
ENTRIES = FIXTURE["entries"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_config_saved_by_0_1_0_loads_with_the_same_values(entry):
    schedule = lrjax.from_config(entry["config"])
    actual = np.asarray(schedule(jnp.asarray(entry["steps"], jnp.int32)), np.float32)
    expected = np.asarray([float(x) for x in entry["values"]], np.float32)
    np.testing.assert_array_max_ulp(actual, expected, maxulp=1)


def test_fixture_covers_every_registered_class():
    def names(config):
        if isinstance(config, dict):
            found = {config["class_name"]} if "class_name" in config else set()
            return found.union(*(names(x) for x in config.values()))
        if isinstance(config, list):
            return set().union(*(names(x) for x in config))
        return set()

    saved = set().union(*(names(e["config"]) for e in ENTRIES))
    # Every class of 0.1.0 still loads; FunctionSchedule (a plain callable) has no config.
    assert len(saved) == 82
