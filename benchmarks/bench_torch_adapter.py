"""Per-step overhead of ``lrjax.torch.LRScheduler`` versus ``torch.optim.lr_scheduler.LambdaLR``.

Times ``scheduler.step()`` alone (the optimizer step is the same for both and excluded), over
``--steps`` consecutive steps, interleaving the schedulers and taking the best of ``--repeat``
rounds. The lrjax scheduler's block evaluation (one JAX call per 4096 steps) is included,
amortized; so is its first block.

Run: python benchmarks/bench_torch_adapter.py [--steps 100000] [--repeat 7]

Typical output (2-core x86-64 VM, torch 2.13.0+cpu, jax 0.10.2):
  scheduler                         us/step   vs LambdaLR
  LambdaLR (python warmup-cosine)     ...
"""

from __future__ import annotations

import argparse
import math
import time

import torch

import lrjax
import lrjax.torch


def _lambda(warmup: int, total: int):
    def f(t: int) -> float:
        if t < warmup:
            return t / warmup
        p = min(t - warmup, total - warmup) / (total - warmup)
        return 0.5 * (1 + math.cos(math.pi * p))

    return f


def _time(make, steps: int) -> float:
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = make(opt)
    opt.step()  # torch warns if scheduler.step() comes before any optimizer.step()
    start = time.perf_counter()
    for _ in range(steps):
        sched.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warmup, total = 1000, args.steps
    schedule = lrjax.warmup(lrjax.cosine_decay(1.0, total - warmup), warmup)
    fn = _lambda(warmup, total)
    variants = {
        "LambdaLR (python warmup-cosine)": lambda o: torch.optim.lr_scheduler.LambdaLR(o, fn),
        "LambdaLR (constant lambda)": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0),
        "lrjax.torch.LRScheduler": lambda o: lrjax.torch.LRScheduler(o, schedule),
    }
    _time(variants["lrjax.torch.LRScheduler"], 10)  # compile the block evaluation once
    best = {name: math.inf for name in variants}
    for _ in range(args.repeat):
        for name, make in variants.items():
            best[name] = min(best[name], _time(make, args.steps))
    base = best["LambdaLR (python warmup-cosine)"]
    print(f"{'scheduler':34s} {'us/step':>8s} {'vs LambdaLR':>12s}")
    for name, seconds in best.items():
        print(f"{name:34s} {seconds * 1e6:8.2f} {seconds / base:11.2f}x")


if __name__ == "__main__":
    main()
