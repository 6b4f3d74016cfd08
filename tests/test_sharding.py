"""Schedules in sharded training (JAX's own SPMD), on 4 simulated CPU devices.

Runs in a subprocess with ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (the
device count is fixed when JAX starts). Two cases: parameters sharded with
``NamedSharding`` over a ``Mesh``, and a hyperparameter sweep whose batch axis (the
batched schedule's leaves) is sharded over the devices. Each equals the unsharded run.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec as P

import lrjax

jax.config.update("jax_numpy_rank_promotion", "raise")
assert jax.device_count() == 4, jax.devices()
mesh = jax.make_mesh((4,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
STEPS = 12
rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(32, 16)), jnp.float32)
y = jnp.asarray(rng.normal(size=(32, 8)), jnp.float32)
params0 = {
    "w": jnp.asarray(rng.normal(size=(16, 8)) * 0.1, jnp.float32),
    "b": jnp.zeros(8, jnp.float32),
}


def loss_fn(p, x, y):
    return jnp.mean((jnp.tanh(x @ p["w"] + p["b"][None, :]) - y) ** 2)


def train(schedule, params, x, y):
    opt = optax.adamw(schedule, weight_decay=1e-2)

    def step(carry, _):
        p, state = carry
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        lr = schedule(lrjax.step_count(state))
        updates, state = opt.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), (loss, lr)

    (p, state), (losses, lrs) = jax.lax.scan(
        step, (params, opt.init(params)), None, length=STEPS
    )
    return p, state, losses, lrs


schedule = lrjax.warmup(lrjax.cosine_decay(0.05, STEPS, end_value=0.005), 3)
run = jax.jit(train)
result = {}

# 1. Parameters sharded over the mesh (w by output column), batch sharded by rows.
ref_p, _, ref_losses, ref_lrs = run(schedule, params0, x, y)
shard = {"w": NamedSharding(mesh, P(None, "data")), "b": NamedSharding(mesh, P("data"))}
p_sharded = jax.device_put(params0, shard)
x_sharded = jax.device_put(x, NamedSharding(mesh, P("data", None)))
y_sharded = jax.device_put(y, NamedSharding(mesh, P("data", None)))
p, state, losses, lrs = run(schedule, p_sharded, x_sharded, y_sharded)
assert p["w"].sharding.is_equivalent_to(shard["w"], 2), p["w"].sharding
assert len(p["w"].addressable_shards) == 4
assert p["w"].addressable_shards[0].data.shape == (16, 2)
mu_w = state[0].mu["w"]
assert mu_w.sharding.is_equivalent_to(shard["w"], 2), mu_w.sharding
np.testing.assert_allclose(p["w"], ref_p["w"], rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(p["b"], ref_p["b"], rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(losses, ref_losses, rtol=1e-5, atol=1e-6)
np.testing.assert_array_equal(lrs, ref_lrs)
np.testing.assert_array_equal(lrs, schedule(jnp.arange(STEPS)))
assert not np.allclose(p["w"], params0["w"])
result["params_sharded"] = float(losses[-1])

# 2. A sweep of 8 configurations, the batch axis sharded over the 4 devices.
peaks = jnp.asarray(np.geomspace(1e-3, 1e-1, 8), jnp.float32)
warmups = jnp.asarray([0, 1, 2, 3, 4, 5, 6, 7], jnp.int32)
batched = jax.vmap(
    lambda peak, w: lrjax.warmup(lrjax.cosine_decay(peak, STEPS), w)
)(peaks, warmups)
sweep = jax.jit(jax.vmap(train, in_axes=(0, None, None, None)))
ref_p, _, ref_losses, ref_lrs = sweep(batched, params0, x, y)
batch_sharding = NamedSharding(mesh, P("data"))
sharded_schedules = jax.device_put(batched, batch_sharding)
assert sharded_schedules.schedule.init_value.sharding.is_equivalent_to(batch_sharding, 1)
p, _, losses, lrs = sweep(sharded_schedules, params0, x, y)
assert losses.sharding.is_equivalent_to(NamedSharding(mesh, P("data", None)), 2), (
    losses.sharding
)
assert losses.addressable_shards[0].data.shape == (2, STEPS)
np.testing.assert_allclose(p["w"], ref_p["w"], rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(losses, ref_losses, rtol=1e-5, atol=1e-6)
np.testing.assert_array_equal(lrs, ref_lrs)
for i in (0, 5):
    single = lrjax.warmup(lrjax.cosine_decay(float(peaks[i]), STEPS), int(warmups[i]))
    p_i, _, losses_i, _ = run(single, params0, x, y)
    np.testing.assert_allclose(p["w"][i], p_i["w"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses[i], losses_i, rtol=1e-5, atol=1e-6)
result["sweep_final_losses"] = [float(v) for v in losses[:, -1]]
print(json.dumps(result))
"""


@pytest.mark.slow
def test_sharded_training_equals_unsharded() -> None:
    env = dict(os.environ)
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["params_sharded"] > 0
    # Different peaks and warmups really trained differently.
    assert len(set(result["sweep_final_losses"])) == 8
