"""lrjax.torch.LRScheduler: values, param groups, state_dict/resume, tensor lr and torch.compile."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
import torch
from test_adaptive import metric_sequences
from torch._dynamo.testing import CompileCounter

import lrjax
import lrjax.torch
from lrjax.compat import keras as lrk
from lrjax.compat import optax as lro
from lrjax.compat import torch as lrt


def make_schedule() -> lrjax.AbstractSchedule:
    return lrjax.warmup(lrjax.cosine_decay(0.1, 30, end_value=0.01), 5, init_value=0.0)


def make_model(seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))


def batch(t: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + t)
    x = torch.randn(8, 3, generator=g)
    return x, x.sum(dim=1, keepdim=True)


def train(model, opt, sched, start: int, stop: int) -> list[float]:
    lrs = []
    for t in range(start, stop):
        x, y = batch(t)
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    return lrs


def test_equals_lambda_lr_with_the_same_values() -> None:
    s = make_schedule()
    values = np.asarray(s(np.arange(41))).tolist()
    m1, m2 = make_model(), make_model()
    o1 = torch.optim.SGD(m1.parameters(), lr=123.0, momentum=0.9)
    o2 = torch.optim.SGD(m2.parameters(), lr=1.0, momentum=0.9)
    ours = lrjax.torch.LRScheduler(o1, s, block_size=16)  # several blocks in 40 steps
    theirs = torch.optim.lr_scheduler.LambdaLR(o2, lambda t: values[t])
    lrs1 = train(m1, o1, ours, 0, 40)
    lrs2 = train(m2, o2, theirs, 0, 40)
    assert lrs1 == lrs2 == values[:40]
    assert lrs1[0] == 0.0  # the first optimizer step uses s(0)
    assert ours.get_last_lr() == theirs.get_last_lr()
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(a, b)


def test_one_schedule_per_param_group() -> None:
    model = make_model()
    first, second = make_schedule(), lrjax.piecewise_constant([3, 6], [1e-2, 1e-3, 1e-4])
    opt = torch.optim.AdamW(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 5.0}],
        lr=1e-3,
    )
    sched = lrjax.torch.LRScheduler(opt, [first, second])
    seen = []
    for _ in range(8):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    np.testing.assert_array_equal(np.asarray(seen)[:, 0], np.asarray(first(np.arange(8))))
    np.testing.assert_array_equal(np.asarray(seen)[:, 1], np.asarray(second(np.arange(8))))
    with pytest.raises(ValueError, match=r"one per param group \(2\)"):
        lrjax.torch.LRScheduler(opt, [first])


def test_state_dict_is_plain_data_and_resume_is_exact() -> None:
    s = make_schedule()
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, s)
    full = train(model, opt, sched, 0, 30)
    final = [p.detach().clone() for p in model.parameters()]

    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, s)
    first = train(model, opt, sched, 0, 12)
    state = sched.state_dict()
    json.dumps(state)  # only plain data: the schedule travels as its config
    assert state["schedules"][0] == lrjax.to_config(s)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": state}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)

    # A new process would build everything again, possibly with a placeholder schedule.
    model = make_model(seed=99)
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, lrjax.constant(0.5))
    model.load_state_dict(checkpoint["model"])
    sched.load_state_dict(checkpoint["sched"])  # scheduler first: order does not matter
    assert opt.param_groups[0]["lr"] == full[12]
    opt.load_state_dict(checkpoint["opt"])
    rest = train(model, opt, sched, 12, 30)
    assert first + rest == full
    assert sched.schedules[0] == s and sched.last_epoch == 30
    for a, b in zip(model.parameters(), final, strict=True):
        assert torch.equal(a, b)


def test_load_state_dict_alone_sets_the_learning_rate() -> None:
    # Resuming without the optimizer's state dict still continues at the right rate.
    s = make_schedule()
    opt = torch.optim.SGD(make_model().parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, s)
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = torch.optim.SGD(make_model().parameters(), lr=0.0)
    sched2 = lrjax.torch.LRScheduler(opt2, s)
    sched2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == float(s(7))
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == float(s(8))


def test_tensor_learning_rate_is_updated_in_place() -> None:
    s = make_schedule()
    lr = torch.tensor(0.0)
    opt = torch.optim.Adam(make_model().parameters(), lr=lr)
    sched = lrjax.torch.LRScheduler(opt, s)
    tensor = opt.param_groups[0]["lr"]
    assert isinstance(tensor, torch.Tensor)
    for t in range(6):
        assert opt.param_groups[0]["lr"] is tensor
        assert float(tensor) == float(np.float32(s(t)))
        opt.step()
        sched.step()
    assert sched.state_dict()["_last_lr"] == [float(np.float32(s(6)))]


def _compiled_steps(lr: float | torch.Tensor, steps: int) -> int:
    torch._dynamo.reset()  # each case starts from an empty compile cache
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = lrjax.torch.LRScheduler(opt, make_schedule())
    counter = CompileCounter()

    @torch.compile(backend=counter)
    def opt_step() -> None:
        opt.step()

    for t in range(steps):
        x, y = batch(t)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt_step()
        sched.step()
    return counter.frame_count


# Dynamo's import of torch.jit internals warns; not lrjax's.
@pytest.mark.filterwarnings("ignore:.*torch.jit.script_method.*:DeprecationWarning")
def test_torch_compile_does_not_recompile_for_new_tensor_values() -> None:
    # A tensor lr changed in place: one compiled optimizer step for every value.
    assert _compiled_steps(torch.tensor(0.0), steps=7) == 1
    # A float lr is a guarded constant, so a changing float recompiles (torch #107076).
    assert _compiled_steps(0.0, steps=4) > 1


def test_errors() -> None:
    with pytest.raises(TypeError, match="torch.optim.Optimizer"):
        lrjax.torch.LRScheduler(object(), make_schedule())  # type: ignore[arg-type]
    opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="block_size"):
        lrjax.torch.LRScheduler(opt, make_schedule(), block_size=0)
    sched = lrjax.torch.LRScheduler(opt, make_schedule())
    with pytest.raises(ValueError, match="schedule config per param group"):
        sched.load_state_dict({"last_epoch": 3, "schedules": []})
    plain = lrjax.torch.LRScheduler(opt, lambda t: 0.1)
    with pytest.raises(ValueError, match="plain Python callable"):
        plain.state_dict()


# -- adaptive schedules ---------------------------------------------------------------

PLATEAU_CASES: list[dict[str, Any]] = [
    dict(mode="min", factor=0.5, patience=0, threshold=1e-4, cooldown=0, min_lr=0.0),
    dict(mode="min", factor=0.1, patience=2, threshold=1e-4, cooldown=1, min_lr=1e-4),
    dict(mode="max", factor=0.7, patience=1, threshold=0.05, cooldown=2, min_lr=0.0),
    dict(mode="min", factor=0.5, patience=1, threshold=0.02, threshold_mode="abs", cooldown=0),
    dict(mode="max", factor=0.3, patience=3, threshold=0.0, threshold_mode="abs", eps=1e-3),
]


def plateau_run(sched_of, metrics, lr: float = 0.1, groups: int = 1) -> list[list[float]]:
    """Train with ``scheduler.step(metric)`` per epoch; the rates after each step."""
    model = make_model()
    opt = torch.optim.SGD(
        [{"params": [p], "lr": lr * (g + 1)} for g, p in enumerate(model.parameters())][
            : max(groups, 1)
        ],
        lr=lr,
    )
    sched = sched_of(opt)
    out = [[float(g["lr"]) for g in opt.param_groups]]
    for epoch, m in enumerate(metrics):
        x, y = batch(epoch)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step(float(m))
        out.append([float(g["lr"]) for g in opt.param_groups])
        assert [float(v) for v in sched.get_last_lr()] == out[-1]
    return out


@pytest.mark.parametrize("case", range(len(PLATEAU_CASES)))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adaptive_equals_torch_reduce_lr_on_plateau(case: int, seed: int) -> None:
    kwargs = PLATEAU_CASES[case]
    # Negative metrics (torch's relative threshold on them) where "min" has plateaus.
    metrics = metric_sequences(seed + 10 * case, n=60, negative=seed == 2 and case != 2)
    ours = plateau_run(
        lambda opt: lrjax.torch.LRScheduler(opt, lrt.reduce_lr_on_plateau(0.1, **kwargs)),
        metrics,
    )
    theirs = plateau_run(
        lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs), metrics
    )
    got, want = np.asarray(ours), np.asarray(theirs)
    # The same reductions at the same epochs; rates equal to float32 rounding.
    np.testing.assert_array_equal(np.diff(got, axis=0) < 0, np.diff(want, axis=0) < 0)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.sum(np.diff(want, axis=0) < 0) > 0  # the case does reduce


def test_adaptive_several_param_groups() -> None:
    metrics = metric_sequences(5, n=50)
    kw: dict[str, Any] = dict(factor=0.5, patience=1, cooldown=1)
    # One controller per group == torch's ReduceLROnPlateau on groups with their own rates.
    ours = plateau_run(
        lambda opt: lrjax.torch.LRScheduler(
            opt,
            [
                lrt.reduce_lr_on_plateau(0.1, min_lr=0.02, **kw),
                lrt.reduce_lr_on_plateau(0.2, min_lr=0.0, **kw),
            ],
        ),
        metrics,
        groups=2,
    )
    theirs = plateau_run(
        lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.02, 0.0], **kw),
        metrics,
        groups=2,
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert np.asarray(theirs)[-1, 0] == 0.02 and np.asarray(theirs)[-1, 1] < 0.02
    # One controller for every group: they share its rate (the schedule is the rate).
    shared = plateau_run(
        lambda opt: lrjax.torch.LRScheduler(opt, lrt.reduce_lr_on_plateau(0.1, **kw)),
        metrics,
        groups=2,
    )
    one_group = plateau_run(
        lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw), metrics
    )
    np.testing.assert_array_equal(np.asarray(shared)[:, 0], np.asarray(shared)[:, 1])
    np.testing.assert_allclose(np.asarray(shared)[:, :1], one_group, rtol=1e-6)


def test_adaptive_resume_is_exact() -> None:
    c = lrjax.reduce_on_plateau(
        lrjax.warmup(lrjax.constant(0.1), 3), factor=0.5, patience=1, cooldown=1
    )
    metrics = metric_sequences(3, n=40)

    def run(sched, opt, model, epochs) -> list[float]:
        lrs = []
        for epoch in epochs:
            x, y = batch(epoch)
            lrs.append(float(opt.param_groups[0]["lr"]))
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            sched.step(float(metrics[epoch]))
        return lrs

    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    full = run(lrjax.torch.LRScheduler(opt, c), opt, model, range(40))
    final = [p.detach().clone() for p in model.parameters()]
    assert full[:3] == [0.0, float(np.float32(0.1 / 3)), float(np.float32(0.2 / 3))]
    assert min(full[3:]) < 0.1  # it reduces

    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, c)
    first = run(sched, opt, model, range(17))
    state = sched.state_dict()
    json.dumps(state)  # plain data: the controller's config and its state as numbers
    assert state["schedules"][0] == lrjax.to_config(c)
    assert set(state["states"][0]) == set(lrjax.PlateauState._fields)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": state}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)

    model = make_model(seed=99)
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, lrjax.constant(0.5))  # a placeholder schedule
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["opt"])
    sched.load_state_dict(checkpoint["sched"])
    assert opt.param_groups[0]["lr"] == full[17]
    rest = run(sched, opt, model, range(17, 40))
    assert first + rest == full
    assert sched.schedules[0] == c and sched.last_epoch == 40
    for a, b in zip(model.parameters(), final, strict=True):
        assert torch.equal(a, b)


def test_adaptive_step_without_a_metric_and_tensor_lr() -> None:
    # step(valid=False): the count (the warmup's step) advances, no metric is taken.
    c = lrjax.reduce_on_plateau(lrjax.warmup(lrjax.constant(0.1), 4), factor=0.5, patience=0)
    lr = torch.tensor(0.0)
    opt = torch.optim.SGD(make_model().parameters(), lr=lr)
    sched = lrjax.torch.LRScheduler(opt, c)
    tensor = opt.param_groups[0]["lr"]
    for _ in range(4):
        opt.step()
        sched.step(valid=False)
    assert opt.param_groups[0]["lr"] is tensor and float(tensor) == pytest.approx(0.1)
    assert sched.states is not None and int(sched.states[0].count) == 4
    sched.step(torch.tensor(1.0))  # a zero-dim tensor metric
    sched.step(torch.tensor([1.0]))  # no improvement, patience 0: a reduction
    assert float(tensor) == pytest.approx(0.05) and sched.last_epoch == 6


def test_adaptive_errors() -> None:
    opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
    c = lrt.reduce_lr_on_plateau(0.1)
    sched = lrjax.torch.LRScheduler(opt, c)
    with pytest.raises(TypeError, match=r"LRScheduler.step\(\): an adaptive schedule needs"):
        sched.step()
    with pytest.raises(ValueError, match="one real number"):
        sched.step(torch.ones(2))
    with pytest.raises(ValueError, match="one real number"):
        sched.step("low")
    with pytest.raises(TypeError, match="takes no epoch"):
        sched.step(1.0, 3)
    with pytest.raises(TypeError, match="values_at"):
        sched.values_at(3)
    plain = lrjax.torch.LRScheduler(opt, make_schedule())
    with pytest.raises(TypeError, match="plain schedule"):
        plain.step(0.5)
    model = make_model()
    two = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.1
    )
    with pytest.raises(TypeError, match="every param group follows an adaptive"):
        lrjax.torch.LRScheduler(two, [c, make_schedule()])

    sched.step(1.0)
    good = sched.state_dict()
    for change, match in [
        (lambda s: s.pop("states"), r"one state per param group \(1\), got None"),
        (lambda s: s.update(states=[]), r"one state per param group \(1\)"),
        (lambda s: s["states"][0].pop("best"), r"\['states'\]\[0\] must have the fields"),
        (lambda s: s["states"][0].update(num_bad=1.5), r"\[0\]\['num_bad'\]=1.5: expected an int"),
        (lambda s: s["states"][0].update(best="x"), r"\[0\]\['best'\]='x': expected a number"),
    ]:
        bad = json.loads(json.dumps(good))
        change(bad)
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(bad)
    plain_state = plain.state_dict()
    plain_state["states"] = good["states"]
    with pytest.raises(ValueError, match="must be present exactly when"):
        plain.load_state_dict(plain_state)
    sched.load_state_dict(good)
    assert sched.state_dict() == good


# -- momentum companions (torch's cycle_momentum=True) ------------------------------------


def _momentum_of(group: dict[str, Any]) -> float:
    return float(group["betas"][0] if "betas" in group else group["momentum"])


def momentum_run(kind: str, make: Any, n: int) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """A training loop: (lr, momentum or beta1) of each group before each update, and the
    final parameters. ``make(opt)`` builds the scheduler; two groups. float64 parameters, so
    that the float32 rounding of lrjax's values is all that differs between two runs."""
    model = make_model().double()
    groups = [{"params": model[0].parameters()}, {"params": model[2].parameters()}]
    if kind == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.5)
    else:
        opt = torch.optim.Adam(groups, lr=0.1, betas=(0.5, 0.99))
    sched = make(opt)
    lrs, moms = np.empty((n, 2)), np.empty((n, 2))
    for t in range(n):
        lrs[t] = [float(g["lr"]) for g in opt.param_groups]
        moms[t] = [_momentum_of(g) for g in opt.param_groups]
        if kind == "adam":  # beta2 is untouched
            assert [g["betas"][1] for g in opt.param_groups] == [0.99, 0.99]
        x, y = (v.double() for v in batch(t))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    return lrs, moms, [p.detach().clone() for p in model.parameters()]


def assert_same_run(ours: Any, theirs: Any) -> None:
    # lrjax computes in float32, torch in float64: values to 1e-6 relative (the compat
    # bound), hence parameters to 1e-5.
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    for a, b in zip(ours[2], theirs[2], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
    start = next(make_model().double().parameters()).detach()
    assert float((ours[2][0] - start).abs().max()) > 0.01  # it trained


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_momentum_equals_torch_one_cycle_lr(kind: str, three_phase: bool) -> None:
    total, max_lrs = 40, [0.0625, 0.125]  # a stable run: rounding is not amplified
    kw: dict[str, Any] = dict(total_steps=total, pct_start=0.25, three_phase=three_phase)
    mkw: dict[str, Any] = dict(base_momentum=0.75, max_momentum=0.875, **kw)
    theirs = momentum_run(
        kind, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lrs, **mkw), total
    )
    ours = momentum_run(
        kind,
        lambda o: lrjax.torch.LRScheduler(
            o,
            [lrt.one_cycle_lr(m, **kw) for m in max_lrs],
            momentum=lrt.one_cycle_momentum(**mkw),
        ),
        total,
    )
    assert_same_run(ours, theirs)
    assert np.ptp(ours[1]) > 0.1  # the momentum did cycle


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("mode", ["triangular2", "exp_range"])
def test_momentum_equals_torch_cyclic_lr(kind: str, mode: str) -> None:
    n = 45
    kw: dict[str, Any] = dict(step_size_up=4, step_size_down=7, mode=mode, gamma=0.96875)
    mkw: dict[str, Any] = dict(base_momentum=0.75, max_momentum=0.875)
    theirs = momentum_run(
        kind,
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, 0.0078125, 0.125, cycle_momentum=True, **mkw, **kw
        ),
        n,
    )
    ours = momentum_run(
        kind,
        lambda o: lrjax.torch.LRScheduler(
            o, lrt.cyclic_lr(0.0078125, 0.125, **kw), momentum=lrt.cyclic_momentum(**mkw, **kw)
        ),
        n,
    )
    assert_same_run(ours, theirs)


def test_momentum_resume_is_exact_and_state_dict_is_plain_data() -> None:
    total = 30
    lr, m = lrt.one_cycle_lr(0.125, total_steps=total), lrt.one_cycle_momentum(total_steps=total)
    full = momentum_run("adam", lambda o: lrjax.torch.LRScheduler(o, lr, momentum=m), total)

    model = make_model().double()
    groups = [{"params": model[0].parameters()}, {"params": model[2].parameters()}]
    opt = torch.optim.Adam(groups, lr=0.1, betas=(0.5, 0.99))
    sched = lrjax.torch.LRScheduler(opt, lr, momentum=m)
    for t in range(11):
        x, y = (v.double() for v in batch(t))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    state = json.loads(json.dumps(sched.state_dict()))
    assert state["momentum"] == [lrjax.to_config(m)] * 2
    # A new scheduler without momentum takes the saved one; the groups' betas follow step 11.
    fresh = lrjax.torch.LRScheduler(opt, lrjax.constant(0.5))
    fresh.load_state_dict(state)
    assert fresh.momentum is not None and fresh.momentum == [m, m]
    assert fresh.momentum[0] is fresh.momentum[1]
    assert [g["betas"][0] for g in opt.param_groups] == [full[1][11, 0]] * 2
    assert [g["lr"] for g in opt.param_groups] == list(full[0][11])
    for t in range(11, total):
        assert [_momentum_of(g) for g in opt.param_groups] == list(full[1][t])
        x, y = (v.double() for v in batch(t))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        fresh.step()
    for a, b in zip(model.parameters(), full[2], strict=True):
        assert torch.equal(a, b)
    # A state_dict without momentum (or None) sets none: betas stay where they are.
    state["momentum"] = None
    fresh.load_state_dict(state)
    assert fresh.momentum is None and fresh.state_dict()["momentum"] is None


def test_momentum_with_an_adaptive_schedule_and_tensor_betas() -> None:
    # The momentum follows the update count (last_epoch) of an adaptive schedule too.
    m = lrjax.linear(0.9, 0.8, 4)
    beta1 = torch.tensor(0.0)
    opt = torch.optim.Adam(make_model().parameters(), lr=0.1, betas=(beta1, torch.tensor(0.999)))
    sched = lrjax.torch.LRScheduler(opt, lrjax.reduce_on_plateau(0.1), momentum=m)
    seen = [float(opt.param_groups[0]["betas"][0])]
    for _ in range(3):
        opt.step()
        sched.step(valid=False)
        seen.append(float(opt.param_groups[0]["betas"][0]))
    assert opt.param_groups[0]["betas"][0] is beta1  # a tensor beta1 is filled in place
    np.testing.assert_array_equal(seen, np.asarray(m(np.arange(4))))


def test_momentum_errors() -> None:
    model = make_model()
    m = lrt.one_cycle_momentum(total_steps=10)
    no_momentum = torch.optim.Adagrad(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"momentum=...\): Adagrad has neither 'betas' nor"):
        lrjax.torch.LRScheduler(no_momentum, 0.1, momentum=m)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="momentum must be a schedule of the step"):
        lrjax.torch.LRScheduler(opt, 0.1, momentum=lrjax.reduce_on_plateau(0.9))
    with pytest.raises(ValueError, match=r"one schedule or one per param group \(1\)"):
        lrjax.torch.LRScheduler(opt, 0.1, momentum=[m, m])
    sched = lrjax.torch.LRScheduler(opt, 0.1, momentum=m)
    good = sched.state_dict()
    for bad, match in [
        ({**good, "momentum": []}, r"state_dict\['momentum'\] must be None or hold one"),
        ({**good, "momentum": "x"}, r"state_dict\['momentum'\] must be None or hold one"),
    ]:
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(bad)
    # A saved momentum cannot be loaded into an optimizer without one.
    other = lrjax.torch.LRScheduler(no_momentum, 0.1)
    with pytest.raises(ValueError, match=r"load_state_dict\(momentum=...\): Adagrad"):
        other.load_state_dict(good)
    assert other.momentum is None


# -- steps beyond the integer mode ------------------------------------------------------

BIG = 2**31  # one past int32, the step type without jax_enable_x64


def test_steps_beyond_int32_are_refused_naming_the_adapter() -> None:
    opt = torch.optim.SGD(make_model().parameters(), lr=0.1, momentum=0.9)
    sched = lrjax.torch.LRScheduler(opt, make_schedule(), momentum=lrjax.constant(0.9))
    state = sched.state_dict()
    with pytest.raises(OverflowError, match=rf"LRScheduler.values_at: step {BIG} does not fit"):
        sched.values_at(BIG)
    with pytest.raises(OverflowError, match=rf"LRScheduler.momentum_at: step {BIG} does not"):
        sched.momentum_at(BIG)
    with pytest.raises(
        OverflowError, match=rf"load_state_dict: state_dict\['last_epoch'\]: step {BIG} does"
    ):
        sched.load_state_dict({**state, "last_epoch": BIG})
    assert sched.last_epoch == 0  # nothing was half loaded
    sched.load_state_dict({**state, "last_epoch": BIG - 1, "_step_count": BIG})
    assert opt.param_groups[0]["lr"] == float(make_schedule()(BIG - 1))
    with pytest.raises(OverflowError, match=rf"LRScheduler.step: step {BIG} does not fit"):
        sched.step()
    assert sched.last_epoch == BIG - 1 and sched._step_count == BIG  # counters untouched

    c = lrjax.reduce_on_plateau(0.1)
    adaptive = lrjax.torch.LRScheduler(opt, c)
    saved = adaptive.state_dict()
    saved["states"][0]["count"] = BIG
    with pytest.raises(OverflowError, match=r"\['states'\]\[0\]\['count'\]=2147483648: does"):
        adaptive.load_state_dict(saved)
    saved["states"][0]["count"] = BIG - 1
    adaptive.load_state_dict({**saved, "last_epoch": BIG - 1})
    with pytest.raises(OverflowError, match=rf"LRScheduler.step: step {BIG} does not fit"):
        adaptive.step(1.0)


# -- step(valid=False) reads rates computed ahead ------------------------------------------


@pytest.mark.parametrize(
    "c",
    [
        lrjax.reduce_on_plateau(
            lrjax.warmup(lrjax.cosine_decay(0.1, 700, end_value=0.003), 40), patience=0
        ),
        lrjax.reduce_on_plateau(
            lrjax.exponential_decay(0.2, transition_steps=37, decay_rate=0.9),
            factor=0.5,
            patience=1,
        ),
        lrjax.reduce_on_plateau(lrjax.sgdr(0.1, 90, period_mul=1.5), min_scale=0.05, patience=0),
        lrt.reduce_lr_on_plateau(0.1, patience=0, min_lr=1e-4),
        lrk.ReduceLROnPlateau(0.05, patience=1),
        lro.reduce_on_plateau(patience=0, cooldown=2),
    ],
    ids=["warmup_cosine", "exponential", "sgdr", "torch", "keras", "optax"],
)
def test_step_without_a_metric_equals_the_jitted_update(c: Any) -> None:
    """The host path of step(valid=False) gives exactly the state and rate of the jitted
    ``c.update(state, valid=False)`` then ``c(state)``, across blocks and reductions."""
    opt = torch.optim.SGD(make_model().parameters(), lr=0.0)
    sched = lrjax.torch.LRScheduler(opt, c)
    assert sched.states is not None
    rng = np.random.default_rng(3)
    reductions = 0
    for t in range(700):
        old = sched.states[0]
        if t % 9 == 8:  # an evaluation: the state changes, the block ahead is dropped
            sched.step(float(rng.uniform(0.5, 1.0)))
            continue
        sched.step(valid=False)
        new, lr = lrjax.torch._advance(c, old, np.asarray(np.nan, old.best.dtype), False)
        assert opt.param_groups[0]["lr"] == float(np.asarray(lr)), t
        for a, b in zip(sched.states[0], new, strict=True):
            assert np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_array_equal(a, b)
        reductions = max(reductions, int(np.asarray(getattr(new, "num_reductions", 1))))
    assert reductions >= 1 and sched.last_epoch == 700


def test_step_without_a_metric_with_a_state_per_group() -> None:
    # After load_state_dict every group has its own state, even for one shared controller.
    model = make_model()
    opt = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.0
    )
    shared = lrjax.reduce_on_plateau(lrjax.warmup(lrjax.constant(0.1), 300), patience=0)
    sched = lrjax.torch.LRScheduler(opt, [shared, lrt.reduce_lr_on_plateau(0.2, patience=0)])
    sched.step(1.0)
    sched.step(2.0)  # a reduction for both
    again = lrjax.torch.LRScheduler(opt, shared)
    again.load_state_dict(sched.state_dict())
    assert again.states is not None and again.states[0] is not again.states[1]
    for _ in range(300):
        old = list(again.states)
        again.step(valid=False)
        for g, (c, state) in enumerate(zip(again.schedules, old, strict=True)):
            _, lr = lrjax.torch._advance(c, state, np.asarray(np.nan, np.float32), False)
            assert opt.param_groups[g]["lr"] == float(np.asarray(lr))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.02])


def _tampered(good: dict) -> list[tuple[str, object, str]]:
    """The issue's 12 tampered state_dicts: (name, state_dict, what the error names)."""
    without = {k: v for k, v in good.items() if k != "last_epoch"}
    return [
        ("missing last_epoch", without, r"\['last_epoch'\] is missing"),
        ("last_epoch 'abc'", {**good, "last_epoch": "abc"}, r"\['last_epoch'\]='abc'"),
        ("last_epoch None", {**good, "last_epoch": None}, r"\['last_epoch'\]=None"),
        ("_step_count 'x'", {**good, "_step_count": "x"}, r"\['_step_count'\]='x'"),
        ("block_size 'x'", {**good, "block_size": "x"}, r"\['block_size'\]='x'"),
        ("a list", [1, 2], "must be the dict state_dict"),
        ("last_epoch 3.7", {**good, "last_epoch": 3.7}, r"\['last_epoch'\]=3.7"),
        ("last_epoch True", {**good, "last_epoch": True}, r"\['last_epoch'\]=True"),
        ("last_epoch -50", {**good, "last_epoch": -50}, r"\['last_epoch'\]=-50"),
        ("block_size 0", {**good, "block_size": 0}, r"\['block_size'\]=0"),
        ("block_size -5", {**good, "block_size": -5}, r"\['block_size'\]=-5"),
        ("base_lrs 'abc'", {**good, "base_lrs": "abc"}, r"\['base_lrs'\]='abc'"),
    ]


def test_a_tampered_state_dict_names_the_bad_field_and_changes_nothing():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = lrjax.torch.LRScheduler(opt, lrjax.cosine_decay(0.1, 100))
    for _ in range(5):
        opt.step()
        sched.step()
    good = sched.state_dict()
    for name, state_dict, match in _tampered(good):
        fresh_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        fresh = lrjax.torch.LRScheduler(fresh_opt, lrjax.cosine_decay(0.1, 100))
        before = fresh.state_dict()
        with pytest.raises((ValueError, TypeError), match=match):
            fresh.load_state_dict(state_dict)  # pyright: ignore[reportArgumentType]
        assert fresh.state_dict() == before, name
    fresh_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fresh = lrjax.torch.LRScheduler(fresh_opt, lrjax.cosine_decay(0.1, 100))
    fresh.load_state_dict(good)
    assert fresh.state_dict() == good
