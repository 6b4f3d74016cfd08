"""Checkpoint and resume with orbax-checkpoint and the schedule's JSON config.

The optimizer state and parameters are saved with ``ocp.CheckpointManager`` and
``ocp.args.StandardSave``; the schedule's ``lrjax.to_config`` is saved beside them with
``ocp.args.JsonSave``. A fresh process (a subprocess) rebuilds the schedule from that
JSON, restores the state and continues: learning rates and parameters are bit-identical
to an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp

import lrjax

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOTAL, SAVED_AT = 14, 6


def make_schedule() -> lrjax.AbstractSchedule:
    decay = lrjax.cosine_decay(3e-2, 8, end_value=3e-3)
    return lrjax.join_schedules([lrjax.warmup(decay, 3), lrjax.constant(1e-3)], [11])


def init(schedule: lrjax.AbstractSchedule) -> dict[str, Any]:
    params = {"w": jnp.zeros((4, 2), jnp.float32), "b": jnp.zeros(2, jnp.float32)}
    return {"params": params, "opt_state": optax.adamw(schedule).init(params)}


@jax.jit
def train_step(state: dict[str, Any], schedule: lrjax.AbstractSchedule):
    """One update; the batch is a function of the optimizer's step count."""
    t = lrjax.step_count(state["opt_state"])
    key = jax.random.fold_in(jax.random.key(0), t)
    x = jax.random.normal(key, (16, 4), jnp.float32)
    y = x @ jnp.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0], [-1.0, 3.0]], jnp.float32)

    def loss_fn(p):
        return jnp.mean((x @ p["w"] + p["b"][None, :] - y) ** 2)

    grads = jax.grad(loss_fn)(state["params"])
    opt = optax.adamw(schedule)
    updates, opt_state = opt.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    new = {"params": params, "opt_state": opt_state}
    return new, lrjax.current_learning_rate(opt_state, schedule)


def run(state: dict[str, Any], schedule: lrjax.AbstractSchedule, steps: int):
    lrs = []
    with jax.numpy_dtype_promotion("standard"):  # optax's adam is not strict-clean
        for _ in range(steps):
            state, lr = train_step(state, schedule)
            lrs.append(np.asarray(lr))
    return state, np.asarray(lrs)


def save(directory: pathlib.Path, step: int, state: dict[str, Any], schedule) -> None:
    with ocp.CheckpointManager(directory) as manager:
        manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state),
                schedule=ocp.args.JsonSave(lrjax.to_config(schedule)),
            ),
        )
        manager.wait_until_finished()


def resume_main(directory: str, out: str) -> None:
    """Run in a fresh process: restore the latest checkpoint and train to ``TOTAL``."""
    with ocp.CheckpointManager(pathlib.Path(directory)) as manager:
        step = manager.latest_step()
        assert step is not None
        config = manager.restore(step, args=ocp.args.Composite(schedule=ocp.args.JsonRestore()))
        schedule = lrjax.from_config(config["schedule"])
        abstract = jax.eval_shape(lambda: init(schedule))
        restored = manager.restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract))
        )["state"]
    assert int(lrjax.step_count(restored["opt_state"])) == step
    state, lrs = run(restored, schedule, TOTAL - step)
    np.savez(out, lrs=lrs, w=np.asarray(state["params"]["w"]), b=np.asarray(state["params"]["b"]))


def test_resume_in_a_fresh_process_is_bit_identical(tmp_path: pathlib.Path) -> None:
    schedule = make_schedule()
    full_state, full_lrs = run(init(schedule), schedule, TOTAL)
    np.testing.assert_array_equal(full_lrs, schedule(jnp.arange(TOTAL)))

    half_state, half_lrs = run(init(schedule), schedule, SAVED_AT)
    np.testing.assert_array_equal(half_lrs, full_lrs[:SAVED_AT])
    save(tmp_path / "ckpt", SAVED_AT, half_state, schedule)
    config_file = tmp_path / "ckpt" / str(SAVED_AT) / "schedule" / "metadata"
    assert lrjax.from_config(json.loads(config_file.read_text())) == schedule

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    out = tmp_path / "resumed.npz"
    code = f"import test_checkpoint as t; t.resume_main({str(tmp_path / 'ckpt')!r}, {str(out)!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    resumed = np.load(out)
    np.testing.assert_array_equal(resumed["lrs"], full_lrs[SAVED_AT:])
    np.testing.assert_array_equal(resumed["w"], np.asarray(full_state["params"]["w"]))
    np.testing.assert_array_equal(resumed["b"], np.asarray(full_state["params"]["b"]))
    # The run crossed the join boundary after resuming, and really trained.
    assert full_lrs[-1] == np.float32(1e-3) and full_lrs[SAVED_AT] != full_lrs[-1]
    assert np.abs(resumed["w"]).min() > 0


def test_restarting_from_step_zero_would_differ(tmp_path: pathlib.Path) -> None:
    # The classic resume bug (transformers #34053): restoring params but not the step
    # restarts the schedule. set_step_count fixes the schedule position.
    schedule = make_schedule()
    state, _ = run(init(schedule), schedule, SAVED_AT)
    fresh_opt = optax.adamw(schedule).init(state["params"])
    restarted = {"params": state["params"], "opt_state": fresh_opt}
    _, wrong = run(restarted, schedule, 2)
    fixed = {"params": state["params"], "opt_state": lrjax.set_step_count(fresh_opt, SAVED_AT)}
    _, right = run(fixed, schedule, 2)
    expected = schedule(jnp.arange(SAVED_AT, SAVED_AT + 2))
    np.testing.assert_array_equal(right, expected)
    assert not np.array_equal(wrong, expected)
