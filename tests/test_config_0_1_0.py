"""Schedules saved by lrjax 0.1.0 still load and give the same values.

``fixtures/configs_0_1_0.json`` was written by lrjax 0.1.0 (commit 9a96819): for every case
of the shared registry (``cases.all_cases()``) and every other registered class, the
``to_config`` output and the float32 values at about 80 integer steps. Loading it with
today's ``from_config`` must give the same values within 1 ulp; where the schedule raises
to a power other than 1, within that power's documented error (docs/contract.md,
Precision): since 0.2 ``m ** e`` is computed as ``2 ** (e log2 m)`` with an exact split of
the exponent (twice as fast as XLA's correctly rounded ``pow`` on CPU), which moves such
values by a few ulp.
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
    power = _power(entry["config"])
    if power is None:
        np.testing.assert_array_max_ulp(actual, expected, maxulp=1)
    else:  # the power's error, 1.2e-7 (1 + e), and one rounding of the value
        np.testing.assert_allclose(actual, expected, rtol=1.2e-7 * (2 + power), atol=0)


def _power(config):
    """The largest power other than 1 in a config (``power``, ``exponent``), or None."""
    if isinstance(config, list):
        found = [p for p in map(_power, config) if p is not None]
        return max(found, default=None)
    if not isinstance(config, dict):
        return None
    own = [
        float(v)
        for k, v in config.items()
        if k in ("power", "exponent") and isinstance(v, int | float) and v != 1
    ]
    found = own + [p for p in map(_power, config.values()) if p is not None]
    return max(found, default=None)


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
