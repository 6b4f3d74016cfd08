"""Parity of ``lrjax.compat.timm`` with timm 1.0.31's schedulers stepped per update.

``peers.timm_curve`` runs timm's own ``train.py`` loop (``t_in_epochs=False``, the value in
``param_groups[0]["lr"]`` before each update, ``step_update(num_updates)`` after it) over
steps ``0 .. end + 20``; lrjax must agree to 1e-6 relative (relative to the peak where the
value is below 1e-6 of it). Hyperparameters are float32-rounded for both sides.
"""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from peers import timm_curve, timm_get_lr_curve, timm_scheduler_module

import lrjax
from lrjax.compat import timm as lrtimm

RTOL = 1e-6
N_STEPS = 160
RNG = np.random.default_rng(11)


def f32(x: float) -> float:
    return float(np.float32(x))


def rel_error(ours, ref) -> float:
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    peak = np.max(np.abs(ref))
    return float(np.max(np.abs(ours - ref) / (np.maximum(np.abs(ref), 1e-6 * peak) + 1e-300)))


def curve(schedule, n: int) -> np.ndarray:
    return np.asarray(schedule(jnp.arange(N_STEPS)), np.float64)[:n]


def _configs():
    """(id, timm class, lrjax factory, kwargs, number of steps)."""
    out = []
    for i in range(3):
        t0 = int(RNG.integers(1, 20))
        common = dict(
            t_initial=t0,
            lr_min=f32(RNG.uniform(0, 0.05)),
            cycle_mul=f32(RNG.choice([1.0, 2.0, 1.5, 3.0])),
            cycle_decay=f32(RNG.uniform(0.3, 1.0)),
            cycle_limit=int(RNG.integers(0, 4)),
            warmup_t=int(RNG.choice([0, 0, 1, 5])),
            warmup_lr_init=f32(RNG.uniform(0, 0.01)),
            warmup_prefix=bool(i % 2),
        )
        k = f32(RNG.choice([1.0, 1.0, 0.5, 2.0]))
        out.append(
            (f"cosine{i}", "CosineLRScheduler", lrtimm.cosine_lr, {**common, "k_decay": k}, 120)
        )
        out.append(
            (
                f"tanh{i}",
                "TanhLRScheduler",
                lrtimm.tanh_lr,
                {**common, "lb": f32(RNG.uniform(-8, -1)), "ub": f32(RNG.uniform(0.5, 4))},
                120,
            )
        )
        out.append(
            (
                f"poly{i}",
                "PolyLRScheduler",
                lrtimm.poly_lr,
                {**common, "power": f32(RNG.uniform(0.3, 3)), "k_decay": k},
                120,
            )
        )
        step = dict(
            warmup_t=common["warmup_t"],
            warmup_lr_init=common["warmup_lr_init"],
            warmup_prefix=not common["warmup_prefix"],
            decay_rate=f32(RNG.uniform(0.1, 1)),
        )
        out.append(
            (
                f"step{i}",
                "StepLRScheduler",
                lrtimm.step_lr,
                {**step, "decay_t": int(RNG.integers(1, 15))},
                60,
            )
        )
        ms = sorted(int(m) for m in RNG.integers(0, 30, size=int(RNG.integers(1, 4))))
        out.append(
            (
                f"multistep{i}",
                "MultiStepLRScheduler",
                lrtimm.multistep_lr,
                {**step, "decay_t": ms},
                50,
            )
        )
    out += [
        (
            "cosine_t1",
            "CosineLRScheduler",
            lrtimm.cosine_lr,
            dict(t_initial=1, cycle_limit=5, cycle_decay=0.5),
            30,
        ),
        (
            "step_fractional",
            "StepLRScheduler",
            lrtimm.step_lr,
            dict(decay_t=2.5, decay_rate=0.5),
            30,
        ),
        (
            "multistep_at_0_1",
            "MultiStepLRScheduler",
            lrtimm.multistep_lr,
            dict(decay_t=[0, 1, 4], decay_rate=0.5),
            20,
        ),
    ]
    return out + _wsd_configs()


def _wsd_configs():
    """WSDLRScheduler: every decay function with each stable function (own seed, so the
    draws above stay as they were)."""
    rng, out = np.random.default_rng(12), []
    for i, decay_fn in enumerate(["linear", "1-sqrt", "cosine", "power", "exp"] * 3):
        stable_fn = ["constant", "rsqrt", "power"][i // 5]
        t_initial = int(rng.integers(1, 90))
        warmup_t = int(rng.choice([0, 0, 3, 10]))
        kw = dict(
            t_initial=t_initial,
            decay_t=int(rng.integers(1, t_initial + 1)),
            lr_min=f32(rng.choice([0.0, rng.uniform(0, 0.05)])),
            stable_fn=stable_fn,
            stable_power=f32(rng.uniform(0.2, 1.5)),
            decay_fn=decay_fn,
            decay_power=f32(rng.uniform(0.3, 3)),
            decay_ratio=f32(rng.uniform(0.01, 0.9)),
            warmup_t=warmup_t,
            warmup_lr_init=f32(rng.uniform(0, 0.01)),
        )
        if stable_fn != "constant" and (warmup_t == 0 or i % 2):
            kw["stable_timescale"] = f32(rng.uniform(1, 30))
        out.append((f"wsd_{stable_fn}_{decay_fn}{i}", "WSDLRScheduler", lrtimm.wsd_lr, kw, 120))
    return out


CONFIGS = _configs()
MEASURED: dict[str, float] = {}
BASE = 0.8


@pytest.mark.parametrize("cfg", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_parity_with_timm(cfg):
    ident, cls, factory, kwargs, n = cfg
    ref = timm_curve(cls, BASE, n, **kwargs)
    ours = curve(factory(BASE, **kwargs), n)
    err = rel_error(ours, ref)
    MEASURED[ident] = err
    assert err <= RTOL, f"{ident}: relative error {err:.2e}"


def test_first_update_is_the_constructor_value():
    """timm's loop uses base_lr at update 0 where _get_lr(0) differs; lrjax follows the loop."""
    loop = timm_curve("TanhLRScheduler", BASE, 5, t_initial=10, lb=-1.0)
    pure = timm_get_lr_curve("TanhLRScheduler", BASE, 5, t_initial=10, lb=-1.0)
    assert loop[0] == BASE and pure[0] < 0.9 * BASE
    ours = curve(lrtimm.tanh_lr(BASE, 10, lb=-1.0), 5)
    assert rel_error(ours, loop) <= RTOL


def test_off_by_one_would_be_caught():
    for ident, cls, factory, kwargs, n in CONFIGS[:10]:
        ref = timm_curve(cls, BASE, n, **kwargs)
        ours = curve(factory(BASE, **kwargs), n + 1)
        if np.allclose(ref[:-1], ref[1:]):
            continue
        assert rel_error(ours[1:], ref) > 1e-3, ident
        assert rel_error(np.concatenate([ours[:1], ours[:-2]]), ref) > 1e-3, ident


def test_errors():
    with pytest.raises(ValueError, match=r"cosine_lr\(t_initial=0\)"):
        lrtimm.cosine_lr(1.0, 0)
    with pytest.raises(ValueError, match=r"cosine_lr\(cycle_mul=0.5\): cycle_mul must be >= 1"):
        lrtimm.cosine_lr(1.0, 10, cycle_mul=0.5)
    with pytest.raises(ValueError, match=r"tanh_lr\(lb=3.0, ub=3.0\)"):
        lrtimm.tanh_lr(1.0, 10, lb=3.0)
    with pytest.raises(ValueError, match=r"multistep_lr\(decay_t=\[5 3\]\)"):
        lrtimm.multistep_lr(1.0, [5, 3])
    with pytest.raises(ValueError, match=r"wsd_lr\(decay_t=11, t_initial=10\)"):
        lrtimm.wsd_lr(1.0, 10, 11)
    with pytest.raises(ValueError, match=r"wsd_lr\(decay_ratio=1.0\)"):
        lrtimm.wsd_lr(1.0, 10, 5, decay_fn="exp", decay_ratio=1.0)
    with pytest.raises(ValueError, match=r"wsd_lr\(warmup_t=0\): stable_fn='rsqrt' needs"):
        lrtimm.wsd_lr(1.0, 10, 5, stable_fn="rsqrt")
    with pytest.raises(ValueError, match=r"wsd_lr\(decay_fn='sqrt'\)"):
        lrtimm.wsd_lr(1.0, 10, 5, decay_fn="sqrt")


# -- create_scheduler_v2 -----------------------------------------------------------------


def _timm_factory_curve(base_lr: float, n: int, kwargs: dict) -> tuple[np.ndarray, int]:
    """timm's ``create_scheduler_v2`` on an SGD optimizer, run as timm's ``train.py`` does:
    ``step_update(num_updates)`` after each update, or ``step(epoch + 1)`` after each epoch
    (entry t is the lr of update or epoch t)."""
    param = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    param.grad = torch.zeros_like(param)
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler, num_epochs = timm_scheduler_module().create_scheduler_v2(optimizer, **kwargs)
    lrs = np.empty(n)
    for t in range(n):
        lrs[t] = optimizer.param_groups[0]["lr"]
        optimizer.step()
        if scheduler is None:  # sched="none": timm leaves the lr alone
            continue
        if kwargs.get("step_on_epochs", True):
            scheduler.step(t + 1)
        else:
            scheduler.step_update(num_updates=t + 1)
    return lrs, num_epochs


FACTORY_CASES = [
    dict(sched="cosine", num_epochs=30, warmup_epochs=3, min_lr=1e-3, cycle_limit=2,
         cycle_mul=1.5, cycle_decay=0.5, warmup_prefix=True, cooldown_epochs=4),
    dict(sched="cosine", num_epochs=20, warmup_epochs=2, k_decay=2.0, step_on_epochs=False,
         updates_per_epoch=3),
    dict(sched="tanh", num_epochs=25, warmup_epochs=5, min_lr=1e-4),
    dict(sched="poly", num_epochs=25, decay_rate=2.0, cycle_limit=2, warmup_epochs=1),
    dict(sched="step", num_epochs=40, decay_epochs=2.5, decay_rate=0.5, warmup_epochs=2,
         step_on_epochs=False, updates_per_epoch=2),
    dict(sched="multistep", num_epochs=40, decay_milestones=[3, 10, 11], decay_rate=0.3,
         warmup_prefix=True, warmup_epochs=2),
    dict(sched="constant", num_epochs=10, warmup_epochs=4),
    dict(sched="wsd", num_epochs=50, warmup_epochs=5, min_lr=1e-4),
    dict(sched="wsd", num_epochs=12, warmup_epochs=2, decay_epochs=3, decay_fn="cosine",
         warmup_prefix=True, step_on_epochs=False, updates_per_epoch=4, cooldown_epochs=1),
    dict(sched="rsqrt", num_epochs=40, warmup_epochs=4, decay_epochs=0.3),
    dict(sched="rsqrt", num_epochs=30, stable_timescale=2.5, decay_fn="exp"),
    dict(sched="none", num_epochs=10, warmup_prefix=True, warmup_epochs=3),
]  # fmt: skip


@pytest.mark.parametrize("kwargs", FACTORY_CASES, ids=lambda k: k["sched"])
def test_create_scheduler_v2_matches_timm(kwargs):
    n = 70
    ref, timm_epochs = _timm_factory_curve(BASE, n, kwargs)
    schedule, num_epochs = lrtimm.create_scheduler_v2(BASE, **kwargs)
    assert num_epochs == timm_epochs
    err = rel_error(curve(schedule, n), ref)
    MEASURED[f"create_scheduler_v2_{kwargs['sched']}"] = err
    assert err <= RTOL


def test_create_scheduler_v2_plateau_and_errors():
    c, n = lrtimm.create_scheduler_v2(BASE, "plateau", num_epochs=20, patience_epochs=3,
                                      warmup_epochs=2, plateau_mode="min", min_lr=1e-3)  # fmt: skip
    assert n == 20
    assert c == lrtimm.plateau_lr(BASE, 0.1, 3, warmup_t=2, warmup_lr_init=1e-5,
                                  lr_min=1e-3, mode="min")  # fmt: skip
    f = r"create_scheduler_v2\(sched="
    with pytest.raises(ValueError, match=f + r"'cosine'\): noise=0.5 is not supported"):
        lrtimm.create_scheduler_v2(BASE, "cosine", noise=0.5)
    with pytest.raises(ValueError, match=f + r"'plateau'\): plateau is stepped per epoch"):
        lrtimm.create_scheduler_v2(BASE, "plateau", step_on_epochs=False, updates_per_epoch=3)
    with pytest.raises(ValueError, match=f + r"'cosine'\): step_on_epochs=False needs"):
        lrtimm.create_scheduler_v2(BASE, "cosine", step_on_epochs=False)
    with pytest.raises(ValueError, match=f + r"'wsd'\): needs 0 < decay_epochs"):
        lrtimm.create_scheduler_v2(BASE, "wsd", num_epochs=10, decay_epochs=20)
    with pytest.raises(ValueError, match=f + r"'cosin'\): unknown scheduler"):
        lrtimm.create_scheduler_v2(BASE, "cosin")


def test_wsd_lr_is_data():
    s = lrtimm.wsd_lr(BASE, 40, 10, 1e-3, stable_fn="rsqrt", stable_timescale=5.0, warmup_t=3)
    assert lrjax.from_config(json.dumps(lrjax.to_config(s))) == s
    assert lrjax.parse(repr(s)) == s
    steps = jnp.arange(60)
    np.testing.assert_array_equal(jax.jit(lambda s: s(steps))(s), s(steps))
    mins = jnp.array([0.0, 1e-3, 1e-2])
    pop = jax.vmap(lambda m: dataclasses.replace(s, lr_min=m)(steps))(mins)
    for row, m in zip(np.asarray(pop), mins, strict=True):
        np.testing.assert_allclose(row, dataclasses.replace(s, lr_min=m)(steps), rtol=1e-6)
    assert not hasattr(s, "init")


def test_report_measured():
    by_family: dict[str, float] = {}
    for ident, err in MEASURED.items():
        fam = ident.rstrip("0123456789").split("_")[0]
        fam = ident if fam == "create" else fam
        by_family[fam] = max(by_family.get(fam, 0.0), err)
    print("\ntimm max relative error:", {k: f"{x:.1e}" for k, x in sorted(by_family.items())})
    assert all(x <= RTOL for x in by_family.values())
