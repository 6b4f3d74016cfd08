"""The peers' own reduce-on-plateau tests, ported to the lrjax controllers.

optax's and Keras's schedule tests run unchanged in ``test_peer_suites.py``. The plateau
tests cannot: torch, timm and Hugging Face do not ship their tests in their wheels, and the
peers' plateau tests drive a torch optimizer, a Keras model or optax's own state tuple. So
their cases are transcribed here (constructor arguments, metric sequences, expected learning
rates) under the names of the peer tests they come from. Where it applies, a case runs three
ways: on the lrjax controller (in one jitted ``lax.scan``), against the values written in the
peer's test (with the peer's own tolerance), and against the real peer library on the same
inputs (``rtol`` of float32 rounding per update).

Sources, read at their current versions (installed: torch 2.13.0, timm 1.0.31, keras 3.15):

- torch ``test/optim/test_lrscheduler.py`` (``TestLRScheduler``): 22 plateau cases;
- Keras ``keras/src/callbacks/reduce_lr_on_plateau_test.py`` (in the wheel): 6 cases;
- optax ``optax/contrib/_reduce_on_plateau_test.py`` (in the wheel): 8 cases;
- timm ``tests/test_scheduler.py``: 3 ``PlateauLRScheduler`` cases;
- Hugging Face ``tests/trainer/test_trainer_optimizers.py``: ``test_reduce_lr_on_plateau_args``
  and ``test_reduce_lr_on_plateau``.

A case is *run* when its inputs and expected values apply as written, and *mapped* when the
peer test exercises a feature of the peer's objects that has an lrjax counterpart: several
parameter groups are several controllers; ``state_dict``/``load_state_dict`` is the config
plus the state pytree; a Trainer or ``fit`` becomes the metric sequence it would produce. A
case is *skipped*, naming the feature, when nothing in lrjax corresponds. ``PEER_CASES``
records every case and its kind: torch 8 run and 14 mapped; Keras 3 run, 2 mapped and 1
skipped; optax 8 mapped; timm 3 mapped; Hugging Face 2 mapped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from helpers import x64
from peers import import_keras, timm_scheduler_module

import lrjax
from lrjax.adaptive.base import PlateauState
from lrjax.compat import keras as lrk
from lrjax.compat import optax as lro
from lrjax.compat import timm as lrtimm
from lrjax.compat import torch as lrt
from lrjax.compat import transformers as lrh

# Float32 rounding per update on top of the 1e-6 of the issue (values carried in float32).
F32 = 1.2e-7


def scan_lrs(c: Any, metrics: Any) -> np.ndarray:
    """The lr after each ``update`` (one per metric), all in one jitted ``lax.scan``."""

    def body(state, m):
        state = c.update(state, value=m)
        return state, c(state)

    run = jax.jit(lambda s, ms: jax.lax.scan(body, s, ms)[1])
    return np.asarray(run(c.init(), jnp.asarray(metrics, jnp.float32)), np.float64)


def scan_states(c: Any, metrics: Any) -> PlateauState:
    """The state after all the metrics."""
    state = c.init()
    update = jax.jit(lambda s, m: c.update(s, value=m))
    for m in metrics:
        state = update(state, jnp.float32(m))
    return state


def torch_optimizer(lrs: list[float], optimizer: type = torch.optim.SGD) -> Any:
    """One parameter group per lr, like the test's two-group ``SchedulerTestNet`` optimizer."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return optimizer(groups, lr=lrs[0])


# --------------------------------------------------------------------------------- torch


@dataclasses.dataclass(frozen=True)
class TorchCase:
    """One ``_test_reduce_lr_on_plateau`` case of torch's test file."""

    kwargs: dict[str, Any]  # ReduceLROnPlateau's arguments
    metrics: list[float]
    targets: list[list[float]]  # the lr of each group after each epoch's step(metric)
    epochs: int  # how many epochs torch's loop checks
    lr: float = 0.5  # every test sets each group's lr to 0.5 first


def _metrics(f: Callable[[int], float], n: int) -> list[float]:
    return [f(i) for i in range(n)]


_TORCH_CASES = {
    "test_reduce_lr_on_plateau1": TorchCase(
        dict(threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5),
        _metrics(lambda i: 10 - i * 0.0167, 20),
        [[0.5] * 20],
        10,
    ),
    "test_reduce_lr_on_plateau2": TorchCase(
        dict(patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1),
        _metrics(lambda i: 10 - i * 0.0165, 22),
        [[0.5] * 6 + [0.05] * 7 + [0.005] * 7 + [0.0005] * 2],
        22,
    ),
    "test_reduce_lr_on_plateau3": TorchCase(
        dict(mode="max", patience=5, cooldown=5, threshold_mode="abs"),
        [-0.8] * 2 + [-0.234] * 20,
        [[0.5] * (2 + 6) + [0.05] * (5 + 6) + [0.005] * 4],
        22,
    ),
    "test_reduce_lr_on_plateau4": TorchCase(
        dict(mode="max", patience=3, threshold_mode="rel", threshold=0.1),
        _metrics(lambda i: 1.5 * 1.025**i, 20),
        [[0.5] * 20],
        20,
    ),
    "test_reduce_lr_on_plateau5": TorchCase(
        dict(mode="max", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5),
        _metrics(lambda i: 1.5 * 1.005**i, 20),
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        20,
    ),
    "test_reduce_lr_on_plateau6": TorchCase(
        dict(mode="min", threshold_mode="rel", threshold=0.1),
        _metrics(lambda i: 1.5 * 0.85**i, 20),
        [[0.5] * 20],
        20,
    ),
    "test_reduce_lr_on_plateau7": TorchCase(
        dict(mode="min", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5),
        [1.0] * 7 + [0.6] + [0.5] * 12,
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        20,
    ),
    # Mapped: torch's min_lr=[0.4, 0.3] gives each group its floor; lrjax runs one controller
    # per group (the groups share the metric, so they share every decision).
    "test_reduce_lr_on_plateau8": TorchCase(
        dict(
            mode="max",
            threshold_mode="rel",
            min_lr=[0.4, 0.3],
            threshold=0.1,
            patience=5,
            cooldown=5,
        ),
        _metrics(lambda i: 1.5 * 1.005**i, 20),
        [[0.5] * 6 + [0.4] * 14, [0.5] * 6 + [0.3] * 14],
        20,
    ),
    # Mapped: torch adds a third parameter group at epoch 8 (issue #104361); its test checks
    # group 0 only, which is one lrjax controller. ``min_lr`` "list" is group 0's 1e-5.
    "test_add_param_group_does_not_break_reduce_lr_on_plateau[scalar]": TorchCase(
        dict(mode="min", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5, min_lr=0),
        [1.0] * 7 + [0.6] + [0.5] * 12,
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        20,
    ),
    "test_add_param_group_does_not_break_reduce_lr_on_plateau[list]": TorchCase(
        dict(
            mode="min", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5, min_lr=[1e-5]
        ),
        [1.0] * 7 + [0.6] + [0.5] * 12,
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        20,
    ),
}


def _group_kwargs(kwargs: dict[str, Any], group: int) -> dict[str, Any]:
    """torch's arguments for one group: a ``min_lr`` list gives that group's floor."""
    min_lr = kwargs.get("min_lr", 0.0)
    return {**kwargs, "min_lr": float(min_lr[group] if isinstance(min_lr, list) else min_lr)}


def torch_plateau_run(case: TorchCase, others: Callable[[Any], list[Any]] | None = None) -> Any:
    """The real torch loop of ``_test_reduce_lr_on_plateau``: for each epoch
    ``opt.step()``, ``step(metric)`` (then the other schedulers' ``step()``), record every
    group's lr. Returns an array (epochs, groups)."""
    groups = len(case.targets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the order warning of chained schedulers
        opt = torch_optimizer([case.lr] * groups)
        kwargs = dict(case.kwargs)
        if isinstance(kwargs.get("min_lr"), list):
            kwargs["min_lr"] = [_group_kwargs(kwargs, g)["min_lr"] for g in range(groups)]
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        chained = others(opt) if others else []
        out = []
        for epoch in range(case.epochs):
            opt.step()
            plateau.step(case.metrics[epoch])
            for s in chained:
                s.step()
            out.append([float(g["lr"]) for g in opt.param_groups])
    return np.asarray(out)


@pytest.mark.parametrize("name", list(_TORCH_CASES))
def test_torch_plateau_case(name):
    case = _TORCH_CASES[name]
    metrics = case.metrics[: case.epochs]
    want = torch_plateau_run(case)
    for group, targets in enumerate(case.targets):
        c = lrt.reduce_lr_on_plateau(case.lr, **_group_kwargs(case.kwargs, group))
        got = scan_lrs(c, metrics)
        # torch's own assertion: atol=1e-5 against the values written in its test.
        np.testing.assert_allclose(got, targets[: case.epochs], rtol=0, atol=1e-5)
        np.testing.assert_allclose(want[:, group], targets[: case.epochs], rtol=0, atol=1e-5)
        np.testing.assert_allclose(got, want[:, group], rtol=1e-6 + F32 * case.epochs)


def core_plateau(schedule: Any, kwargs: dict[str, Any], lr: float) -> Any:
    """The core ``reduce_on_plateau`` with torch's arguments: ``min_lr`` becomes the floor of
    the multiplier, ``min_lr / lr``; torch's ``eps`` has no counterpart (it matters only for
    lrs near 1e-8)."""
    k = {name: v for name, v in kwargs.items() if name not in ("min_lr", "eps")}
    return lrjax.reduce_on_plateau(schedule, min_scale=kwargs.get("min_lr", 0.0) / lr, **k)


@pytest.mark.parametrize("name", list(_TORCH_CASES))
def test_torch_plateau_case_core(name):
    """The core follows torch's rules (its threshold on ``|best|`` is torch's for these
    positive or "abs" cases), so torch's expected values hold for it too."""
    case = _TORCH_CASES[name]
    for group, targets in enumerate(case.targets):
        c = core_plateau(case.lr, _group_kwargs(case.kwargs, group), case.lr)
        got = scan_lrs(c, case.metrics[: case.epochs])
        np.testing.assert_allclose(got, targets[: case.epochs], rtol=1e-6 + F32 * case.epochs)


def test_torch_reduce_lr_on_plateau_get_last_lr_before_step():
    """``get_last_lr()`` before any step is the optimizer's lr: ``c(c.init())``."""
    opt = torch_optimizer([0.5, 0.5])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    c = lrt.reduce_lr_on_plateau(0.5)
    assert sched.get_last_lr() == [0.5, 0.5]
    assert float(c(c.init())) == 0.5


def test_torch_reduce_lr_on_plateau_preserves_lr_type():
    """Mapped: torch keeps a tensor lr a tensor after a reduction, "preventing
    recompilations"; lrjax keeps every state leaf's dtype (no weak types) and the jitted
    update is traced once across a reduction."""
    c = lrt.reduce_lr_on_plateau(0.05, mode="min", patience=0)
    traces = []

    @jax.jit
    def update(state, m):
        traces.append(None)
        return c.update(state, value=m)

    s0 = c.init()
    s1 = update(s0, jnp.float32(1.0))
    s2 = update(s1, jnp.float32(2.0))  # triggers the reduction
    assert int(s2.num_reductions) == 1 and float(c(s2)) == pytest.approx(0.005)
    assert len(traces) == 1
    for a, b in zip(jax.tree.leaves(s0), jax.tree.leaves(s2), strict=True):
        assert (a.dtype, a.weak_type) == (b.dtype, b.weak_type)
    assert c(s0).dtype == c(s2).dtype


_STATE_DICT_SCORES = [1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 3.0, 2.0, 1.0]


def test_torch_reduce_lr_on_plateau_state_dict():
    """Mapped: torch copies every attribute of a stepped scheduler into one built with other
    arguments through ``state_dict``. In lrjax the arguments are the controller (its config)
    and the counters are the state: both round-trip, and the counters equal torch's."""
    opt = torch_optimizer([0.05, 0.5])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=2)
    for score in _STATE_DICT_SCORES:
        sched.step(score)
    other = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=10)
    other.load_state_dict(sched.state_dict())
    assert (other.mode, other.factor, other.patience) == ("min", 0.1, 2)  # the peer's claim

    c = lrt.reduce_lr_on_plateau(0.05, mode="min", factor=0.1, patience=2)
    state = scan_states(c, _STATE_DICT_SCORES)
    restored_c = lrjax.from_config(lrjax.to_config(c))
    restored = pickle.loads(pickle.dumps(state))
    assert restored_c == c and restored_c != lrt.reduce_lr_on_plateau(0.05, mode="max")
    for a, b in zip(state, restored, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert float(state.best) == sched.best
    assert int(state.num_bad) == sched.num_bad_epochs
    assert int(state.cooldown) == sched.cooldown_counter
    assert float(restored_c(restored)) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-6)


@pytest.mark.parametrize("weights_only", [True, False])
def test_torch_lr_scheduler_state_dict_load_reduce_lr_on_plateau(weights_only):
    """Mapped: torch saves the state dict and loads it back (``weights_only`` or by pickle).
    The lrjax state is a pytree of arrays: saved with ``np.savez`` and loaded without
    pickle (the weights-only way), or pickled; either resumes with the same rates."""
    c = lrt.reduce_lr_on_plateau(0.05, patience=1)
    first, rest = [1.0, 1.0, 1.0], [1.0, 0.5, 0.5, 0.5]
    state = scan_states(c, first)
    if weights_only:
        buffer = io.BytesIO()
        np.savez(buffer, **state._asdict())
        buffer.seek(0)
        with np.load(buffer, allow_pickle=False) as arrays:
            loaded = PlateauState(**{k: jnp.asarray(arrays[k]) for k in PlateauState._fields})
    else:
        loaded = pickle.loads(pickle.dumps(state))
    update = jax.jit(lambda s, m: c.update(s, value=m))
    got = []
    for m in rest:
        loaded = update(loaded, jnp.float32(m))
        got.append(float(c(loaded)))
    np.testing.assert_allclose(got, scan_lrs(c, first + rest)[len(first) :], rtol=0)

    opt = torch_optimizer([0.05])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    buffer = io.BytesIO()
    for m in first:
        sched.step(m)
    torch.save(sched.state_dict(), buffer)
    buffer.seek(0)
    again = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    again.load_state_dict(torch.load(buffer, weights_only=weights_only))
    want = []
    for m in rest:
        again.step(m)
        want.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(got, want, rtol=1e-6 + F32 * len(first + rest))


def test_torch_lr_scheduler_checkpoint_on_plateau():
    """Resume after one ``step(1)`` on AdamW's default lr: the rebuilt controller reports the
    optimizer's lr."""
    model = torch.nn.Linear(3, 3)
    optim = torch.optim.AdamW(model.parameters())
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(optim, mode="min")
    optim.step()
    sched.step(1)
    c = lrt.reduce_lr_on_plateau(optim.defaults["lr"], mode="min")
    state = scan_states(c, [1.0])
    resumed = lrjax.from_config(lrjax.to_config(c))
    assert float(resumed(state)) == pytest.approx(optim.param_groups[0]["lr"], rel=1e-7)


def test_torch_add_param_group_errors_reduce_lr_on_plateau():
    """Mapped: torch raises RuntimeError once ``min_lr=[1e-5, 1e-4]`` no longer matches the
    optimizer's param groups (a third was added). lrjax has one controller per group, so a
    list of floors is refused when the controller is built, naming the function and the
    argument; each group's floor goes to its own controller."""
    opt = torch_optimizer([0.05, 0.5])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", threshold=1e-5, patience=0, min_lr=[1e-5, 1e-4]
    )
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2, 3))], "lr": 0.05})
    sched.step(1)
    with pytest.raises(RuntimeError, match="The number of param groups in the"):
        sched.step(1.3)
    with pytest.raises(ValueError, match=r"reduce_lr_on_plateau\(min_lr=.*must have shape \(\)"):
        lrt.reduce_lr_on_plateau(0.05, patience=0, min_lr=[1e-5, 1e-4])
    groups = [lrt.reduce_lr_on_plateau(lr, patience=0, min_lr=m) for lr, m in ((0.05, 1e-5),
              (0.5, 1e-4), (0.05, 1e-6))]  # fmt: skip
    assert [float(scan_lrs(c, [1.0, 1.3])[-1]) for c in groups] == pytest.approx(
        [0.005, 0.05, 0.005], rel=1e-6
    )


# Compound cases: ReduceLROnPlateau and a second scheduler step the same optimizer, so the lr
# is the product of the plateau factor and the other schedule. In lrjax that is the core
# ``reduce_on_plateau`` over the lrt schedule. Each entry: the plain case whose arguments and
# metrics it reuses, torch's other scheduler, the lrjax schedule, and the test's own
# ``multipliers`` (the other schedule over the base lr, by epoch).
#
# torch's test writes ``targets = targets[1:]  # test runs step before checking lr``, which
# empties the list of groups, so it checks nothing. Its written values are off by one for the
# second scheduler only: after epoch e's steps the lr is ``plain_targets[e] *
# multipliers[e + 1]``. That corrected target, the real torch loop and lrjax must all agree.


def _cos(i: int) -> float:
    """compound4's CosineAnnealingLR(T_max=10, eta_min=1e-10) over its base lr 0.05."""
    return (1e-10 + (0.05 - 1e-10) * (1 + math.cos(math.pi * i / 10)) / 2) / 0.05


_COMPOUND = {
    "test_compound_reduce_lr_on_plateau1": (
        "test_reduce_lr_on_plateau1",
        lambda opt: [torch.optim.lr_scheduler.StepLR(opt, gamma=0.1, step_size=3)],
        lambda lr: lrt.step_lr(lr, 3, gamma=0.1),
        lambda i: 0.1 ** (i // 3),
    ),
    "test_compound_reduce_lr_on_plateau2": (
        "test_reduce_lr_on_plateau2",
        lambda opt: [torch.optim.lr_scheduler.MultiStepLR(opt, gamma=0.1, milestones=[3, 8, 12])],
        lambda lr: lrt.multistep_lr(lr, [3, 8, 12], gamma=0.1),
        lambda i: ([1] * 3 + [0.1] * 5 + [0.01] * 4 + [0.001] * 11)[i],
    ),
    "test_compound_reduce_lr_on_plateau3": (
        "test_reduce_lr_on_plateau3",
        lambda opt: [torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1)],
        lambda lr: lrt.exponential_lr(lr, 0.1),
        lambda i: 0.1**i,
    ),
    "test_compound_reduce_lr_on_plateau4": (
        "test_reduce_lr_on_plateau4",
        lambda opt: [torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10, 1e-10)],
        lambda lr: lrt.cosine_annealing_lr(lr, 10, 1e-10),
        _cos,
    ),
    "test_compound_reduce_lr_on_plateau5": (
        "test_reduce_lr_on_plateau2",
        lambda opt: [torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.4, total_iters=4)],
        lambda lr: lrt.linear_lr(lr, start_factor=0.4, total_iters=4),
        lambda i: 0.4 + i / 4 * (1 - 0.4) if i < 4 else 1.0,
    ),
}
# Where the compound test differs from the plain case it reuses: compound4's lr and epochs.
# Mapped: compound3 drives the lr to 5e-9 before its first reduction, where torch's
# ``eps=1e-8`` rule (a change smaller than eps is not applied) skips it; the core has no eps,
# so torch runs with ``eps=0`` there (``test_compound_eps_is_torch_only`` shows the default).
_COMPOUND_SETUP: dict[str, dict[str, Any]] = {
    "test_compound_reduce_lr_on_plateau3": dict(
        kwargs={**_TORCH_CASES["test_reduce_lr_on_plateau3"].kwargs, "eps": 0.0}
    ),
    "test_compound_reduce_lr_on_plateau4": dict(lr=0.05, epochs=10),
}


@pytest.mark.parametrize("name", list(_COMPOUND))
def test_torch_compound_reduce_lr_on_plateau(name):
    plain, torch_other, lrjax_other, multipliers = _COMPOUND[name]
    case = dataclasses.replace(_TORCH_CASES[plain], **_COMPOUND_SETUP.get(name, {}))
    targets = _TORCH_CASES[plain].targets[0]
    expected = [targets[e] / 0.5 * case.lr * multipliers(e + 1) for e in range(case.epochs)]
    want = torch_plateau_run(case, torch_other)[:, 0]
    c = core_plateau(lrjax_other(case.lr), case.kwargs, case.lr)
    got = scan_lrs(c, case.metrics[: case.epochs])
    # Relative: the products fall far below torch's atol=1e-5.
    np.testing.assert_allclose(want, expected, rtol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-6 + F32 * case.epochs)


def test_compound_eps_is_torch_only():
    """With torch's default ``eps=1e-8`` the compound3 reductions at lr <= 5e-9 are skipped,
    which the compat controller reproduces (its ``eps``) and the core does not model."""
    plain = _TORCH_CASES["test_reduce_lr_on_plateau3"]
    want = torch_plateau_run(plain, _COMPOUND["test_compound_reduce_lr_on_plateau3"][1])[:, 0]
    np.testing.assert_allclose(want, 0.5 * 0.1 ** np.arange(1, 23), rtol=1e-12)
    lrs = scan_lrs(lrt.reduce_lr_on_plateau(5e-9, **plain.kwargs), [1.0] * 10)
    assert np.all(lrs == np.float32(5e-9))  # the reductions (1e-9 ... ) are below eps


# ---------------------------------------------------------------------------------- timm


def timm_plateau(optimizer: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # timm deprecates PlateauLRScheduler
        return timm_scheduler_module().PlateauLRScheduler(optimizer, **kwargs)


def test_timm_scheduler_init_plateau():
    """``PlateauLRScheduler(optimizer)`` builds with its defaults; ``plateau_lr(lr)`` has the
    same defaults and starts at the optimizer's lr."""
    opt = torch_optimizer([0.1])
    sched = timm_plateau(opt)
    assert sched.optimizer is opt
    c = lrtimm.plateau_lr(0.1)
    defaults = inspect.signature(timm_scheduler_module().PlateauLRScheduler).parameters
    for name in ("decay_rate", "patience_t", "threshold", "cooldown_t", "warmup_t",
                 "warmup_lr_init", "lr_min", "mode"):  # fmt: skip
        assert getattr(c, name) == defaults[name].default, name
    assert opt.param_groups[0]["lr"] == 0.1 and c(c.init()) == np.float32(0.1)


def test_timm_plateau_scheduler_step():
    """timm's test steps ``patience_t=2, decay_rate=0.5`` with metric 1.0 for ten epochs and
    checks nothing. Run with timm's training convention (``train.py`` calls
    ``step(epoch + 1, metric)``, which is lrjax's update count + 1), every lr matches timm.
    timm's test starts at ``step(0, ...)`` instead, which, with ``warmup_t=0``, takes the
    warmup branch (``0 <= warmup_t``) and sets the lr to ``warmup_lr_init`` (0): asserted
    below, so a change in timm shows up here."""
    opt = torch_optimizer([0.1])
    sched = timm_plateau(opt, patience_t=2, decay_rate=0.5)
    want = []
    for epoch in range(10):
        sched.step(epoch + 1, metric=1.0)
        want.append(opt.param_groups[0]["lr"])
    got = scan_lrs(lrtimm.plateau_lr(0.1, patience_t=2, decay_rate=0.5), [1.0] * 10)
    np.testing.assert_allclose(got, want, rtol=1e-6 + F32 * 10)
    assert got[-1] < got[0]  # the constant metric is a plateau: reductions happened

    opt0 = torch_optimizer([0.1])
    timm_plateau(opt0, patience_t=2, decay_rate=0.5).step(0, metric=1.0)
    assert opt0.param_groups[0]["lr"] == 0.0


def test_timm_plateau_state_dict_save_load():
    """timm's state dict holds ``best`` (and ``last_epoch``); the lrjax state holds ``best``
    and every counter, and round-trips by pickling."""
    opt = torch_optimizer([0.1])
    sched = timm_plateau(opt)
    for epoch in range(5):
        sched.step(epoch + 1, metric=1.0)
    state_dict = sched.state_dict()
    again = timm_plateau(torch_optimizer([0.1]))
    again.load_state_dict(state_dict)
    assert again.state_dict() == state_dict

    c = lrtimm.plateau_lr(0.1)
    state = scan_states(c, [1.0] * 5)
    restored = pickle.loads(pickle.dumps(state))
    assert all(np.array_equal(a, b) for a, b in zip(state, restored, strict=True))
    assert float(restored.best) == state_dict["best"]
    assert float(c(restored)) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-6)


# ---------------------------------------------------------------------------- Hugging Face


def test_hf_reduce_lr_on_plateau_args():
    """HF passes ``ReduceLROnPlateau(optimizer, factor=0.2, patience=5, cooldown=2)`` to its
    Trainer and checks the arguments survive. Mapped: the lrjax controller from
    ``get_scheduler`` holds them, and follows the real scheduler's lrs."""
    kwargs = dict(factor=0.2, patience=5, cooldown=2)
    c = lrh.get_scheduler("reduce_lr_on_plateau", 1.0, scheduler_specific_kwargs=kwargs)
    assert isinstance(c, lrt.TorchReduceLROnPlateau)
    assert (c.factor, c.patience, c.cooldown) == (0.2, 5, 2)
    import transformers

    opt = torch_optimizer([1.0])
    sched = transformers.get_scheduler(
        "reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kwargs
    )
    assert isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    metrics = [1.0, 0.9, 0.95] + [0.95] * 12 + [0.5] + [0.6] * 10
    want = []
    for m in metrics:
        sched.step(m)  # pyright: ignore[reportArgumentType] (HF types it as an epoch)
        want.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(scan_lrs(c, metrics), want, rtol=1e-6 + F32 * len(metrics))


def _hf_plateau_invariant(losses: np.ndarray, lrs: np.ndarray, patience: int) -> int:
    """HF's check in ``test_reduce_lr_on_plateau``: ``lrs[i]`` is the lr logged at epoch i
    (before epoch i's loss is seen). Returns the number of reductions it confirmed."""
    best, bad, reductions = losses[0], 0, 0
    for i in range(len(losses) - 1):
        loss, just_decreased = losses[i], False
        if loss > best:
            bad += 1
            if bad > patience:
                assert lrs[i + 1] < lrs[i], i
                just_decreased, bad, reductions = True, 0, reductions + 1
        else:
            best, bad = loss, 0
        if not just_decreased:
            assert lrs[i + 1] == lrs[i], i
    return reductions


def _regression_eval_losses(epochs: int = 10, lr: float = 0.2) -> np.ndarray:
    """A stand-in for the eval losses of HF's Trainer run (no Trainer here): the same data
    (y = 2x + 3 + noise, 64 samples) and model (y = a x + b, batch 8, lr 0.2), trained by
    plain SGD instead of the Trainer's AdamW, evaluated after each of ten epochs."""
    rng = np.random.default_rng(42)
    x = rng.normal(size=64)
    y = 2.0 * x + 3.0 + rng.normal(scale=0.1, size=64)
    a = b = 0.0
    losses = []
    for _ in range(epochs):
        for i in range(0, 64, 8):
            xb, yb = x[i : i + 8], y[i : i + 8]
            err = a * xb + b - yb
            a, b = a - lr * 2 * np.mean(err * xb), b - lr * 2 * np.mean(err)
        losses.append(float(np.mean((a * x + b - y) ** 2)))
    return np.asarray(losses)


@pytest.mark.parametrize("patience", [10, 0, 1, 2])
def test_hf_reduce_lr_on_plateau(patience):
    """HF's ``test_reduce_lr_on_plateau`` check (an lr drop exactly when the bad epochs exceed
    ``patience``, else no change). patience=10 is HF's own setting (``get_scheduler``
    defaults, ten epochs of a regression: no drop can happen); smaller patiences, on losses
    that wander, make the check bite. HF's check counts a tie as an improvement, torch's
    rule does not: the wandering losses have no ties."""
    if patience == 10:
        losses = _regression_eval_losses()
        kwargs = None
    else:
        rng = np.random.default_rng(patience)
        losses = 1.0 + np.cumsum(rng.normal(scale=0.1, size=30))
        kwargs = dict(patience=patience, factor=0.7)  # lr stays far above torch's eps
    c = lrh.get_scheduler("reduce_lr_on_plateau", 0.2, scheduler_specific_kwargs=kwargs)
    lrs = np.concatenate([[float(c(c.init()))], scan_lrs(c, losses)])
    reductions = _hf_plateau_invariant(losses, lrs, int(c.patience))
    assert (reductions == 0) if patience == 10 else (reductions >= 2)


# --------------------------------------------------------------------------------- Keras

# Keras ships ``keras/src/callbacks/reduce_lr_on_plateau_test.py``, but its cases fit a model
# with the callback, which sets the optimizer's lr; the lrjax controller is not a callback, so
# they are transcribed too. With ``min_delta`` 100 or 10 no loss of that small model counts as
# an improvement, so the decisions do not depend on the losses: any small losses reproduce them.
_KERAS_LOSSES = [0.6, 0.5, 0.45, 0.4]
_KERAS_CASES: dict[
    str, tuple[dict[str, Any], int, float]
] = {  # arguments, epochs, the lr Keras's test expects after them
    "test_reduces_lr_with_model_fit": (dict(patience=1, factor=0.1, min_delta=100), 2, 0.01),
    "test_honors_min_lr": (dict(patience=1, factor=0.1, min_delta=10, min_lr=0.005), 4, 0.005),
    "test_cooldown": (dict(patience=1, factor=0.1, min_delta=100, cooldown=2), 4, 0.001),
}


def keras_callback_lrs(kwargs: dict[str, Any], losses: list[float]) -> np.ndarray:
    """The real Keras callback's lr after each ``on_epoch_end`` (``Adam(0.1)``, as Keras's
    test compiles its model)."""
    keras = import_keras()
    # Keras's own code is written for JAX's default promotion rules, not the strict ones here.
    with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        model = keras.Sequential([keras.layers.Dense(5), keras.layers.Dense(2)])
        model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.1))
        callback = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
        callback.set_model(model)
        callback.on_train_begin()
        out = []
        for epoch, loss in enumerate(losses):
            callback.on_epoch_end(epoch, {"val_loss": loss})
            out.append(float(model.optimizer.learning_rate.value))
    return np.asarray(out)


# Keras 3.15's Variable.__array__ predates NumPy 2's copy keyword (Keras's warning, not ours).
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
@pytest.mark.parametrize("name", list(_KERAS_CASES))
def test_keras_plateau_case(name):
    kwargs, epochs, expected = _KERAS_CASES[name]
    got = scan_lrs(lrk.ReduceLROnPlateau(0.1, **kwargs), _KERAS_LOSSES[:epochs])
    want = keras_callback_lrs(kwargs, _KERAS_LOSSES[:epochs])
    assert got[-1] == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-6 + F32 * epochs)


def test_keras_throws_when_optimizer_has_schedule():
    """Keras's callback raises TypeError when the optimizer holds a schedule (it can only set
    a number). Mapped: the compat controller, Keras's callback, takes a number and refuses a
    schedule with TypeError naming the argument; the core ``reduce_on_plateau`` is the lrjax
    way to scale a schedule."""
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau\(learning_rate=.*must be a number"):
        lrk.ReduceLROnPlateau(lrjax.polynomial(0.1, 1e-4, 1.0, 10), patience=1, min_delta=100)
    # Keras reduces at ``wait >= patience``, the core (torch's rule) at ``bad > patience``.
    c = lrjax.reduce_on_plateau(lrjax.polynomial(0.1, 1e-4, 1.0, 10), patience=0, threshold=100,
                                threshold_mode="abs")  # fmt: skip
    assert float(scan_lrs(c, _KERAS_LOSSES[:2])[-1]) == pytest.approx(
        (0.1 - (0.1 - 1e-4) * 0.2) * 0.1, rel=1e-6
    )


@pytest.mark.skip(
    reason="Keras-only feature: verbose=1 logs 'ReduceLROnPlateau reducing learning rate to "
    "0.01'; an lrjax controller is a pure function that logs nothing (state.num_reductions "
    "counts the reductions)"
)
def test_keras_verbose_logging():
    raise AssertionError("skipped: the Keras feature has no lrjax counterpart")


def test_keras_state_reset_across_fit_calls():
    """Keras resets ``best``, ``wait`` and the cooldown at each ``fit``. Mapped: a new run
    starts from ``init()``: no metric yet (Keras's ``best=None``), no wait, no cooldown, and
    the first metric is the best whatever it is."""
    c = lrk.ReduceLROnPlateau(0.1, patience=1, factor=0.1, min_delta=0, cooldown=2)
    used = scan_states(c, [0.5, 0.9, 0.9, 0.9])
    assert int(used.cooldown) > 0 or int(used.num_bad) > 0  # state to be cleared
    fresh = c.init()
    assert int(fresh.num_bad) == -1 and int(fresh.cooldown) == 0  # -1: no metric seen yet
    assert float(scan_states(c, [7.0]).best) == 7.0


# --------------------------------------------------------------------------------- optax

# optax ships ``optax/contrib/_reduce_on_plateau_test.py``: four cases, each with and without
# ``jax_enable_x64``, on ``reduce_on_plateau(factor=0.1, patience=5, rtol=1e-4, atol=0,
# cooldown=5, accumulation_size=1, min_scale=0.01)`` as a transformation of dummy updates
# ``{"params": 1.0}``. Three start from a hand-built ``ReduceLROnPlateauState``. They are
# transcribed (mapped) because they unpack optax's state tuple, whose fields differ from
# ``lro.reduce_on_plateau``'s: ``scale, best_value, plateau_count, cooldown_count`` are the
# lrjax state's ``scale, best, num_bad, cooldown``. The lrjax side is
# ``lrjax.scale_by_adaptive(lro.reduce_on_plateau(...))``, and the real optax transform runs
# on the same inputs.
_OPTAX_KWARGS: dict[str, Any] = dict(
    factor=0.1, patience=5, rtol=1e-4, atol=0.0, cooldown=5, accumulation_size=1, min_scale=0.01
)
# Each case: the starting state (None: init), the metric, the number of updates, and the
# expected (scale, best, num_bad, cooldown) and update after them.
_OPTAX_CASES: dict[str, tuple[dict[str, float] | None, float, int, tuple, float | None]] = {
    "test_learning_rate_reduced_after_cooldown_period_is_over": (
        None, 1.0, 6, (0.1, 1.0, 0, 5), 0.1
    ),
    "test_learning_rate_reduced_after_cooldown_period_is_over[+1]": (
        None, 1.0, 7, (0.1, 1.0, 0, 4), None
    ),
    "test_learning_rate_is_not_reduced": (
        dict(best=1.0, num_bad=3, scale=0.1, cooldown=0), 0.1, 1, (0.1, 0.1, 0, 0), None
    ),
    "test_learning_rate_not_reduced_during_cooldown": (
        dict(best=1.0, num_bad=0, scale=0.1, cooldown=3), 2.0, 1, (0.1, 1.0, 0, 2), None
    ),
    "test_learning_rate_not_reduced_after_end_scale_is_reached": (
        dict(best=1.0, num_bad=0, scale=0.01, cooldown=0), 0.1, 6, (0.01, 0.1, 0, 5), 0.01
    ),
}  # fmt: skip


def _optax_run(start: dict[str, float] | None, value: float, steps: int) -> tuple[Any, Any]:
    """(lrjax state, last updates) and (optax state, last updates) after ``steps`` updates."""
    from optax.contrib import _reduce_on_plateau as peer

    c = lro.reduce_on_plateau(**_OPTAX_KWARGS)
    tx = lrjax.scale_by_adaptive(c)
    params = jnp.array(1.0)  # the transforms ignore their params
    ours: Any = tx.init(params)
    theirs = peer.reduce_on_plateau(**_OPTAX_KWARGS)
    their_state: Any = theirs.init(params)
    if start is not None:
        inner = ours.schedule_state
        inner = inner._replace(
            **{k: jnp.asarray(v, getattr(inner, k).dtype) for k, v in start.items()}
        )
        ours = ours._replace(schedule_state=inner)
        their_state = peer.ReduceLROnPlateauState(
            best_value=jnp.array(start["best"]),
            plateau_count=jnp.array(int(start["num_bad"]), dtype=jnp.int32),
            scale=jnp.array(start["scale"]),
            cooldown_count=jnp.array(int(start["cooldown"]), dtype=jnp.int32),
            count=jnp.array(0, dtype=jnp.int32),
            avg_value=jnp.array(0.0),
        )
    updates = {"params": jnp.array(1.0)}
    our_updates: Any = updates
    their_updates: Any = updates
    with jax.numpy_dtype_promotion("standard"):  # optax's own code is not strict-clean
        for _ in range(steps):
            our_updates, ours = tx.update(updates, ours, value=jnp.asarray(value, float))
            their_updates, their_state = theirs.update(
                updates=updates, state=their_state, value=jnp.asarray(value, float)
            )
    return (ours.schedule_state, our_updates), (their_state, their_updates)


@pytest.mark.parametrize("enable_x64", [False, True])
@pytest.mark.parametrize("name", list(_OPTAX_CASES))
def test_optax_plateau_case(name, enable_x64):
    start, value, steps, (scale, best, num_bad, cooldown), update = _OPTAX_CASES[name]
    with x64() if enable_x64 else contextlib.nullcontext():
        (state, updates), (peer_state, peer_updates) = _optax_run(start, value, steps)
        assert str(state.scale.dtype) == ("float64" if enable_x64 else "float32")
    got = (float(state.scale), float(state.best), int(state.num_bad), int(state.cooldown))
    assert got == pytest.approx((scale, best, num_bad, cooldown), rel=1e-6)
    want = peer_state.scale, peer_state.best_value, peer_state.plateau_count
    assert got == pytest.approx((*map(float, want), int(peer_state.cooldown_count)), rel=1e-6)
    if update is not None:
        assert float(updates["params"]) == pytest.approx(update, rel=1e-6)
    assert float(updates["params"]) == pytest.approx(float(peer_updates["params"]), rel=1e-6)


# ------------------------------------------------------------------------------- the tally

# Every plateau case of the peers' test files, and how it runs here.
PEER_CASES = {
    "torch": {
        **{f"test_reduce_lr_on_plateau{i}": "run" for i in range(1, 8)},
        "test_reduce_lr_on_plateau8": "mapped",  # min_lr list: one controller per group
        "test_reduce_lr_on_plateau_get_last_lr_before_step": "run",
        "test_reduce_lr_on_plateau_preserves_lr_type": "mapped",  # dtypes, one trace
        # The core over the other schedule; torch's targets, emptied in its test, corrected.
        **{f"test_compound_reduce_lr_on_plateau{i}": "mapped" for i in (1, 2, 4, 5)},
        "test_compound_reduce_lr_on_plateau3": "mapped",  # and eps on tiny lrs
        "test_reduce_lr_on_plateau_state_dict": "mapped",  # config + state pytree
        "test_lr_scheduler_state_dict_load[ReduceLROnPlateau-weights_only=True]": "mapped",
        "test_lr_scheduler_state_dict_load[ReduceLROnPlateau-weights_only=False]": "mapped",
        "test_add_param_group_does_not_break_reduce_lr_on_plateau[scalar]": "mapped",
        "test_add_param_group_does_not_break_reduce_lr_on_plateau[list]": "mapped",
        "test_add_param_group_errors_reduce_lr_on_plateau": "mapped",  # refused min_lr list
        "test_lr_scheduler_checkpoint_on_plateau": "mapped",  # config + state resume
    },
    "timm": {
        "test_scheduler_init[PlateauLRScheduler]": "mapped",  # also checks the defaults
        "test_plateau_scheduler_step": "mapped",  # train.py's epoch numbering
        "test_plateau_state_dict_save_load": "mapped",  # the state pytree
    },
    "keras": {
        "test_reduces_lr_with_model_fit": "run",
        "test_throws_when_optimizer_has_schedule": "mapped",  # refused; the core's way
        "test_verbose_logging": "skipped",  # logging
        "test_honors_min_lr": "run",
        "test_cooldown": "run",
        "test_state_reset_across_fit_calls": "mapped",  # init()
    },
    "optax": {  # mapped: optax's state fields, by name here (each x64 False and True)
        f"{name}[{x64}]": "mapped"
        for name in (
            "test_learning_rate_reduced_after_cooldown_period_is_over",
            "test_learning_rate_is_not_reduced",
            "test_learning_rate_not_reduced_during_cooldown",
            "test_learning_rate_not_reduced_after_end_scale_is_reached",
        )
        for x64 in (False, True)
    },
    "transformers": {
        "test_reduce_lr_on_plateau_args": "mapped",  # no Trainer
        "test_reduce_lr_on_plateau": "mapped",  # no Trainer: HF's check on the lrs
    },
}


def tally(peer: str) -> tuple[int, int, int]:
    """(run, mapped, skipped) for one peer."""
    kinds = list(PEER_CASES[peer].values())
    return kinds.count("run"), kinds.count("mapped"), kinds.count("skipped")


def test_every_ported_case_is_in_the_tally():
    assert set(_TORCH_CASES) | set(_COMPOUND) <= set(PEER_CASES["torch"])
    assert tally("torch") == (8, 14, 0)
    assert set(_KERAS_CASES) <= set(PEER_CASES["keras"])
    assert tally("keras") == (3, 2, 1)
    assert {n.split("[")[0] for n in _OPTAX_CASES} == {n.split("[")[0] for n in PEER_CASES["optax"]}
    assert tally("optax") == (0, 8, 0)
    assert tally("timm") == (0, 3, 0) and tally("transformers") == (0, 2, 0)
