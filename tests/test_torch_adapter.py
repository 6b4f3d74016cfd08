"""lrjax.torch.LRScheduler: values, param groups, state_dict/resume, tensor lr and torch.compile."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from torch._dynamo.testing import CompileCounter

import lrjax
import lrjax.torch


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
