"""PyTorch training with an lrjax schedule: ``lrjax.torch.LRScheduler``.

A small MLP trains on synthetic data with ``torch.optim.AdamW`` under a warmup + cosine
schedule defined once in lrjax. The param group's learning rate is a tensor (what
``torch.compile`` needs to avoid recompiling for each new value) that the scheduler
updates in place. Halfway, the script checkpoints model, optimizer and scheduler
(``torch.save``; the schedule travels as its JSON config), rebuilds everything, resumes,
and checks that the resumed run matches an uninterrupted one exactly.

Run: python examples/torch_training.py [--quick]
"""

from __future__ import annotations

import argparse
import io

import torch

import lrjax
import lrjax.torch


def make_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.GELU(), torch.nn.Linear(32, 1))


def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    x = torch.randn(64, 4, generator=g)
    return x, torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]


def build(schedule: lrjax.AbstractSchedule):
    model = make_model()
    # A tensor lr: the scheduler fills it in place, so a compiled step never recompiles.
    opt = torch.optim.AdamW(model.parameters(), lr=torch.tensor(0.0), weight_decay=1e-4)
    return model, opt, lrjax.torch.LRScheduler(opt, schedule)


def run(model, opt, sched, start: int, stop: int, log_every: int) -> list[float]:
    lrs = []
    for step in range(start, stop):
        x, y = batch(step)
        lr = float(opt.param_groups[0]["lr"])  # the rate this update uses: s(step)
        lrs.append(lr)
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        sched.step()  # after optimizer.step(), as with every torch scheduler
        if step % log_every == 0 or step == stop - 1:
            print(f"  step {step:>5}  loss {loss.item():.4f}  lr {lr:.3e}")
    return lrs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    total = 40 if args.quick else 2_000
    warmup_steps = total // 10
    schedule = lrjax.warmup(
        lrjax.cosine_decay(3e-3, total - warmup_steps, end_value=3e-5), warmup_steps
    )
    log_every = max(total // 8, 1)

    print(f"uninterrupted run, {total} steps:")
    model, opt, sched = build(schedule)
    full_lrs = run(model, opt, sched, 0, total, log_every)
    full_params = [p.detach().clone() for p in model.parameters()]

    half = total // 2
    print(f"interrupted run: {half} steps, checkpoint, rebuild, resume:")
    model, opt, sched = build(schedule)
    first = run(model, opt, sched, 0, half, log_every)
    buffer = io.BytesIO()
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()},
        buffer,
    )
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)  # plain data only
    model, opt, sched = build(lrjax.constant(0.0))  # the checkpoint brings the schedule
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["opt"])
    sched.load_state_dict(checkpoint["sched"])
    second = run(model, opt, sched, half, total, log_every)

    same_lrs = first + second == full_lrs
    same_params = all(torch.equal(a, b) for a, b in zip(model.parameters(), full_params))
    print(f"resumed == uninterrupted: learning rates {same_lrs}, parameters {same_params}")
    if not (same_lrs and same_params):
        raise SystemExit("resume mismatch")


if __name__ == "__main__":
    main()
