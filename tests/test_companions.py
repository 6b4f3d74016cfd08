"""Companion schedules of torch's and timm's schedulers, against the real peers.

* ``lrt.one_cycle_momentum`` / ``lrt.cyclic_momentum``: the momentum (SGD) or ``betas[0]``
  (Adam) torch's ``OneCycleLR`` / ``CyclicLR`` with ``cycle_momentum=True`` write before each
  update, at every step of seeded random configurations; and both driving optax's ``sgd``
  (``momentum=``) and ``adam`` (``b1=``) through ``optax.inject_hyperparams``, and a torch
  optimizer's param groups with plain code.
* ``lrt.swa_lr``: torch ``swa_utils.SWALR``.

Values agree to 1e-6 relative (lrjax float32, peers float64; hyperparameters are
float32-rounded for both sides).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import lrjax
from lrjax.compat import torch as lrt

L = torch.optim.lr_scheduler
RTOL = 1e-6
N_STEPS = 160
RNG = np.random.default_rng(20261207)
MEASURED: dict[str, float] = {}  # largest relative difference per function (docs table)


def record(name: str, err: float) -> float:
    MEASURED[name] = max(MEASURED.get(name, 0.0), err)
    return err


def f32(x: float) -> float:
    return float(np.float32(x))


def rel_error(ours: Any, ref: Any) -> float:
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(ours - ref) / np.abs(ref)))


def _optimizer(kind: str, lr: float = 0.1) -> tuple[torch.optim.Optimizer, torch.nn.Parameter]:
    param = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    param.grad = torch.zeros_like(param)
    if kind == "sgd":
        return torch.optim.SGD([param], lr=lr, momentum=0.5), param
    return torch.optim.Adam([param], lr=lr), param


def _momentum(group: dict[str, Any]) -> float:
    return float(group["betas"][0] if "betas" in group else group["momentum"])


def torch_momentum_curve(
    make: Callable[[torch.optim.Optimizer], Any], kind: str, num_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(lr, momentum) in ``param_groups[0]`` before each update of torch's documented loop."""
    optimizer, _ = _optimizer(kind)
    scheduler = make(optimizer)
    lrs, moms = np.empty(num_steps), np.empty(num_steps)
    for t in range(num_steps):
        group = optimizer.param_groups[0]
        lrs[t], moms[t] = float(group["lr"]), _momentum(group)
        optimizer.step()
        scheduler.step()
    return lrs, moms


def curve(schedule: Any, n: int) -> np.ndarray:
    return np.asarray(schedule(jnp.arange(N_STEPS)), np.float64)[:n]


# -- OneCycleLR --------------------------------------------------------------------------


def _one_cycle_configs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i in range(6):
        total = int(RNG.integers(5, 120))
        pct = f32(RNG.uniform(0.05, 0.6))
        if abs(pct * total - 1) < 1e-3:
            pct = f32(0.5)
        base_m = f32(RNG.uniform(0.5, 0.9))
        kw = dict(
            total_steps=total,
            pct_start=pct,
            anneal_strategy=("cos", "linear")[i % 2],
            base_momentum=base_m,
            max_momentum=f32(base_m + RNG.uniform(0.0, 0.09)),
            three_phase=bool(i // 2 % 2),
        )
        out.append((f"one_cycle{i}", kw))
    return out


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("name", "kw"), _one_cycle_configs(), ids=lambda x: str(x)[:12])
def test_one_cycle_momentum_matches_torch(name: str, kw: dict[str, Any], kind: str) -> None:
    del name
    max_lr = f32(0.7)
    n = kw["total_steps"]  # torch raises past total_steps; lrjax holds from T - 1 on
    lrs, moms = torch_momentum_curve(lambda o: L.OneCycleLR(o, max_lr, **kw), kind, n)
    ours = curve(lrt.one_cycle_momentum(**kw), n)
    assert record(f"one_cycle_momentum ({kind})", rel_error(ours, moms)) <= RTOL
    # Same phase structure as the lr companion it pairs with.
    lr_kw = {k: x for k, x in kw.items() if "momentum" not in k}
    ours_lr = curve(lrt.one_cycle_lr(max_lr, **lr_kw), n)
    np.testing.assert_allclose(ours_lr, lrs, rtol=2e-6, atol=1e-6 * max_lr)
    # It holds its last value after the cycle.
    m = lrt.one_cycle_momentum(**kw)
    assert float(m(n + 30)) == float(m(n - 1))


def test_one_cycle_momentum_epochs_and_errors() -> None:
    a = lrt.one_cycle_momentum(epochs=4, steps_per_epoch=5)
    assert a == lrt.one_cycle_momentum(total_steps=20)
    with pytest.raises(ValueError, match=r"one_cycle_momentum: give total_steps"):
        lrt.one_cycle_momentum()
    with pytest.raises(ValueError, match=r"one_cycle_momentum\(pct_start=1.5\)"):
        lrt.one_cycle_momentum(total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match=r"one_cycle_momentum\(base_momentum=-0.1\)"):
        lrt.one_cycle_momentum(total_steps=10, base_momentum=-0.1)
    with pytest.raises(ValueError, match=r"anneal_strategy"):
        lrt.one_cycle_momentum(total_steps=10, anneal_strategy="exp")


# -- CyclicLR ----------------------------------------------------------------------------


def _cyclic_configs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, mode in enumerate(["triangular", "triangular2", "exp_range"] * 2):
        up = int(RNG.integers(1, 15))
        down = [None, int(RNG.integers(1, 15)), 0][i % 3]
        base_m = f32(RNG.uniform(0.5, 0.9))
        kw = dict(
            base_momentum=base_m,
            max_momentum=f32(base_m + RNG.uniform(0.0, 0.09)),
            step_size_up=up,
            step_size_down=down,
            mode=mode,
            gamma=f32(RNG.uniform(0.97, 1.0)) if mode == "exp_range" else 1.0,
        )
        out.append((f"cyclic_{mode}{i}", kw))
    return out


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("name", "kw"), _cyclic_configs(), ids=lambda x: str(x)[:16])
def test_cyclic_momentum_matches_torch(name: str, kw: dict[str, Any], kind: str) -> None:
    del name
    base_lr, max_lr, n = f32(0.01), f32(0.4), 120
    lrs, moms = torch_momentum_curve(
        lambda o: L.CyclicLR(o, base_lr, max_lr, cycle_momentum=True, **kw), kind, n
    )
    ours = curve(lrt.cyclic_momentum(**kw), n)
    assert record(f"cyclic_momentum ({kind})", rel_error(ours, moms)) <= RTOL
    lr_kw = {k: x for k, x in kw.items() if "momentum" not in k}
    np.testing.assert_allclose(curve(lrt.cyclic_lr(base_lr, max_lr, **lr_kw), n), lrs, rtol=2e-6)


def test_cyclic_momentum_defaults_are_torchs() -> None:
    m = lrt.cyclic_momentum()
    assert (float(m.base_momentum), float(m.max_momentum)) == (f32(0.8), f32(0.9))
    assert int(m.step_size_up) == 2000 and m.step_size_down is None
    with pytest.raises(ValueError, match=r"cyclic_momentum\(mode='linear'\)"):
        lrt.cyclic_momentum(mode="linear")
    with pytest.raises(ValueError, match=r"cyclic_momentum\(step_size_up=0\)"):
        lrt.cyclic_momentum(step_size_up=0)


# -- the companions as data --------------------------------------------------------------


@pytest.mark.parametrize(
    "m",
    [
        lrt.one_cycle_momentum(total_steps=30, three_phase=True, anneal_strategy="linear"),
        lrt.cyclic_momentum(
            0.8, 0.9, step_size_up=4, step_size_down=0, mode="exp_range", gamma=0.99
        ),
    ],
    ids=["one_cycle", "cyclic"],
)
def test_companions_are_ordinary_schedules(m: lrjax.AbstractSchedule) -> None:
    steps = jnp.arange(40)
    assert lrjax.from_config(json.dumps(lrjax.to_config(m))) == m
    assert lrjax.parse(repr(m)) == m
    np.testing.assert_array_equal(jax.jit(lambda s: s(steps))(m), m(steps))
    assert not hasattr(m, "init") and not hasattr(m, "update")  # not optax-stateful
    # Hyperparameters are leaves: a vmapped population of momentum ranges.
    lows = jnp.array([0.8, 0.85, 0.9])
    pop = jax.vmap(lambda b: dataclasses.replace(m, base_momentum=b)(steps))(lows)
    for row, b in zip(np.asarray(pop), lows, strict=True):
        np.testing.assert_array_equal(row, dataclasses.replace(m, base_momentum=b)(steps))


# -- driving optax and torch optimizers ----------------------------------------------------


@pytest.fixture
def _standard_promotion() -> Iterator[None]:
    # optax 0.2.8's adam adds Python floats to its int32 count (bias correction).
    with jax.numpy_dtype_promotion("standard"):
        yield


def _problem() -> tuple[dict[str, jax.Array], Callable[[dict[str, jax.Array]], jax.Array]]:
    target = jnp.array([1.0, -2.0, 0.5])

    def loss(p: dict[str, jax.Array]) -> jax.Array:
        return jnp.sum((p["w"] - target) ** 2)

    return {"w": jnp.zeros(3)}, loss


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_companion_drives_optax_through_inject_hyperparams(kind: str) -> None:
    total = 12
    lr = lrt.one_cycle_lr(0.2, total_steps=total)
    m = lrt.one_cycle_momentum(total_steps=total)
    if kind == "sgd":
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=m)
        rebuild: Callable[[int], Any] = lambda t: optax.sgd(float(lr(t)), float(m(t)))  # noqa: E731
        ref_state = optax.sgd(1.0, 0.9).init({"w": jnp.zeros(3)})
        name = "momentum"
    else:
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=lr, b1=m)
        rebuild = lambda t: optax.adam(float(lr(t)), b1=float(m(t)))  # noqa: E731
        ref_state = optax.adam(1.0).init({"w": jnp.zeros(3)})
        name = "b1"
    params: Any
    ref_params: Any
    params, loss = _problem()
    state, ref_params = opt.init(params), params
    step = jax.jit(lambda p, s: opt.update(jax.grad(loss)(p), s, p))
    for t in range(total):
        updates, state = step(params, state)
        params = optax.apply_updates(params, updates)
        # What update t used (jitted: to float32 rounding of the eager value).
        assert float(lrjax.get_hyperparam(state, name)) == pytest.approx(float(m(t)), rel=RTOL)
        assert float(lrjax.current_learning_rate(state)) == pytest.approx(float(lr(t)), rel=RTOL)
        ref_updates, ref_state = rebuild(t).update(jax.grad(loss)(ref_params), ref_state)
        ref_params = optax.apply_updates(ref_params, ref_updates)
        np.testing.assert_allclose(params["w"], ref_params["w"], rtol=1e-5, atol=1e-6)
    assert float(jnp.abs(params["w"]).sum()) > 0.1  # it trained


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_companion_drives_torch_param_groups(kind: str) -> None:
    """What the torch adapter would do: write ``lr`` and ``momentum`` / ``betas[0]`` before
    each ``optimizer.step()``; the run equals torch's own ``OneCycleLR``, update by update."""
    total = 25
    lr = lrt.one_cycle_lr(0.3, total_steps=total, three_phase=True)
    m = lrt.one_cycle_momentum(total_steps=total, three_phase=True)
    lrs, moms = np.asarray(lr(jnp.arange(total)), np.float64), np.asarray(m(jnp.arange(total)))

    def run(drive_with_lrjax: bool) -> np.ndarray:
        torch.manual_seed(0)
        opt, param = _optimizer(kind, lr=0.3)
        sched = None if drive_with_lrjax else L.OneCycleLR(opt, 0.3, total, three_phase=True)
        for t in range(total):
            group = opt.param_groups[0]
            if drive_with_lrjax:
                group["lr"] = float(lrs[t])
                if "betas" in group:
                    group["betas"] = (float(moms[t]), *group["betas"][1:])
                else:
                    group["momentum"] = float(moms[t])
            param.grad = (param.detach() - 1.0) * 2 + 0.1 * torch.sin(torch.tensor(float(t)))
            opt.step()
            if sched is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    sched.step()
        return np.asarray(float(param.detach()))

    theirs, ours = run(False), run(True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert abs(float(theirs)) > 0.1


# -- SWALR -------------------------------------------------------------------------------


def _swa_configs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i in range(6):
        out.append(
            (
                f"swa{i}",
                dict(
                    swa_lr=f32(RNG.uniform(0.001, 0.5)),
                    anneal_epochs=int([0, 1, 5, 17, 40, 3][i]),
                    anneal_strategy=("cos", "linear")[i % 2],
                ),
            )
        )
    return out


@pytest.mark.parametrize(("name", "kw"), _swa_configs(), ids=lambda x: str(x)[:8])
def test_swa_lr_matches_torch(name: str, kw: dict[str, Any]) -> None:
    del name
    base_lr, n = f32(0.3), 60
    optimizer, _ = _optimizer("sgd", lr=base_lr)
    scheduler = torch.optim.swa_utils.SWALR(optimizer, **kw)
    ref = np.empty(n)
    for t in range(n):
        ref[t] = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
    assert record("swa_lr", rel_error(curve(lrt.swa_lr(base_lr, **kw), n), ref)) <= RTOL


def test_swa_lr_after_another_scheduler_matches_torch() -> None:
    """torch's documented use: another scheduler until ``swa_start``, then SWALR anneals
    from the lr it finds (a join at ``S = swa_start + 1``)."""
    base_lr, gamma, swa, swa_start, n = f32(0.5), f32(0.9), f32(0.05), 12, 50
    optimizer, _ = _optimizer("sgd", lr=base_lr)
    pre_torch = L.ExponentialLR(optimizer, gamma)
    swa_torch = torch.optim.swa_utils.SWALR(optimizer, swa, anneal_epochs=7)
    ref = np.empty(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for i in range(n):
            ref[i] = optimizer.param_groups[0]["lr"]
            optimizer.step()
            (swa_torch if i > swa_start else pre_torch).step()
    pre, start = lrt.exponential_lr(base_lr, gamma), swa_start + 1
    ours = lrjax.join_schedules([pre, lrt.swa_lr(pre(start), swa, anneal_epochs=7)], [start])
    err = rel_error(curve(ours, n), ref)
    assert record("swa_lr after exponential_lr", err) <= 2e-6  # gamma**t: float32 exp(t log g)


def test_swa_lr_is_data_and_checks_its_arguments() -> None:
    s = lrt.swa_lr(0.1, 0.01, anneal_epochs=3, anneal_strategy="linear")
    assert lrjax.from_config(json.dumps(lrjax.to_config(s))) == s
    assert lrjax.parse(repr(s)) == s
    assert float(jax.jit(lambda s: s(10))(s)) == pytest.approx(0.01)
    with pytest.raises(ValueError, match=r"swa_lr\(anneal_epochs=-1\)"):
        lrt.swa_lr(0.1, 0.01, anneal_epochs=-1)
    with pytest.raises(ValueError, match=r"swa_lr\(anneal_strategy='exp'\)"):
        lrt.swa_lr(0.1, 0.01, anneal_strategy="exp")
    with pytest.raises(ValueError, match=r"swa_lr\(swa_lr=-0.5\)"):
        lrt.swa_lr(0.1, -0.5)


def test_report_measured() -> None:
    """Prints the table of docs/compat_torch_hf_timm.md (run after the parity tests)."""
    print("\ncompanions max relative error:", {k: f"{x:.1e}" for k, x in sorted(MEASURED.items())})
    assert all(x <= 2e-6 for x in MEASURED.values())
