"""The public API: documented, importable without optional dependencies, optax-compatible."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjax

PUBLIC = sorted(lrjax.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_exists_and_is_documented(name):
    obj = getattr(lrjax, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        pytest.skip(f"lrjax.{name} is a type alias, not a class or function")
    doc = inspect.getdoc(obj)
    assert doc, f"lrjax.{name} has no docstring"
    if inspect.isfunction(obj):
        assert "Examples:" in doc, f"lrjax.{name} has no Examples section"


def test_import_does_not_pull_optional_or_peer_libraries():
    code = (
        "import sys, lrjax; "
        "bad = [m for m in ('matplotlib', 'torch', 'keras', 'transformers', 'timm', 'optax') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_schedules_have_no_init_or_update_methods():
    # optax would mistake such an object for a StatefulSchedule.
    for name in PUBLIC:
        obj = getattr(lrjax, name)
        if isinstance(obj, type) and issubclass(obj, lrjax.AbstractSchedule):
            assert not hasattr(obj, "init") and not hasattr(obj, "update"), name


def test_works_as_an_optax_learning_rate_and_first_update_uses_step_zero():
    s = lrjax.warmup(lrjax.cosine_decay(0.1, 100), 10, init_value=0.01)
    params = {"w": jnp.ones(3)}
    grads = {"w": jnp.ones(3)}
    opt = optax.sgd(s)
    state = opt.init(params)
    seen = []
    for _ in range(3):
        updates, state = opt.update(grads, state, params)
        seen.append(-float(cast(Any, updates)["w"][0]))
    np.testing.assert_allclose(seen, [float(s(0)), float(s(1)), float(s(2))], rtol=1e-6)

    injected = optax.inject_hyperparams(optax.adam)(learning_rate=s)
    state = injected.init(params)
    assert float(cast(Any, state).hyperparams["learning_rate"]) == float(s(0))


def test_a_schedule_is_an_ordinary_jit_argument_of_a_train_step():
    traces = []

    @jax.jit
    def step(schedule, count):
        traces.append(1)
        return schedule(count)

    for peak in [0.1, 0.2, 0.3]:
        for warm in [0, 5, 50]:
            step(lrjax.warmup(lrjax.cosine_decay(peak, 100), warm), 7)
    assert len(traces) == 1


def test_schedule_classes_are_part_of_the_treedef():
    # jit caches compiled programs by treedef: if two classes with the same field layout
    # had equal treedefs, a hash-bucket collision would run ``a + 4`` as ``a / 4``.
    from cases import all_cases

    a = lrjax.linear(1.0, 0.0, 10)
    same_layout = [a + 4, a - 4, a * 4, a / 4, lrjax.minimum(a, 4), lrjax.maximum(a, 4)]
    schedules = same_layout + [case.build() for case in all_cases()]
    treedefs = [jax.tree_util.tree_structure(s) for s in schedules]
    for i, x in enumerate(schedules):
        for j in range(i):
            if type(x) is not type(schedules[j]):
                assert treedefs[i] != treedefs[j], (x, schedules[j])


def test_one_jitted_function_evaluates_same_layout_classes_correctly():
    a = lrjax.linear(1.0, 0.0, 10)
    t = jnp.arange(11)
    f = jax.jit(lambda s, t: s(t))
    for s, op in [(a + 4, np.add), (a / 4, np.divide), (a * 4, np.multiply), (a - 4, np.subtract)]:
        np.testing.assert_allclose(f(s, t), op(np.asarray(a(t)), 4), rtol=1e-6)
