"""Quickstart: compose a schedule, jit it, vmap it over a sweep, and train with optax.

Shows, in order:
  1. composing a schedule (warmup + cosine decay, joined to a constant tail);
  2. passing it to a jitted function as an ordinary argument: new values never recompile;
  3. a sweep over peak values and warmup lengths, evaluated in one call (jax.vmap inside);
  4. using it as the learning rate of an optax optimizer, and logging the rate;
  5. saving it as JSON and loading it back, bit-identical.

Run: python examples/quickstart.py [--quick]
"""

from __future__ import annotations

import argparse
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrjax


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only (CI smoke run)")
    args = parser.parse_args(argv)
    total = 100 if args.quick else 2_000
    warmup_steps = total // 10

    # 1. Compose: a linear warmup into a cosine decay, then a constant tail.
    decay = lrjax.cosine_decay(3e-3, decay_steps=total - warmup_steps, end_value=3e-5)
    schedule = lrjax.join_schedules(
        [lrjax.warmup(decay, warmup_steps), lrjax.constant(3e-5)], boundaries=[total]
    )
    print("schedule:", schedule)
    for t in (0, warmup_steps // 2, warmup_steps, total // 2, total, 10 * total):
        print(f"  lr({t:>6}) = {float(schedule(t)):.3e}")

    # 2. jit: the schedule is a pytree argument, so other values reuse the compiled code.
    @jax.jit
    def mean_lr(s: lrjax.AbstractSchedule) -> jax.Array:
        return jnp.mean(s(jnp.arange(total)))

    for peak in (1e-3, 3e-3, 1e-2):
        s = lrjax.warmup(lrjax.cosine_decay(peak, total - warmup_steps), warmup_steps)
        print(f"mean lr with peak {peak:.0e}: {float(mean_lr(s)):.3e}")
    print("compiled versions of mean_lr:", mean_lr._cache_size())  # type: ignore[attr-defined]

    # 3. A sweep: 3 peaks x 2 warmup lengths, one batched schedule, evaluated at once.
    sweep = lrjax.sweep(
        lambda peak, warmup_steps: lrjax.warmup(lrjax.cosine_decay(peak, total), warmup_steps),
        peak=[1e-3, 3e-3, 1e-2],
        warmup_steps=[0, warmup_steps],
    )
    values = lrjax.evaluate(sweep, total)  # shape (3, 2, total)
    print("sweep shape:", values.shape)
    for label, curve in zip(sweep.labels(), values.reshape(-1, total), strict=True):
        print(f"  {label:28s} max {curve.max():.1e}  at step 5: {curve[5]:.2e}")

    # 4. optax: any optimizer takes the schedule as its learning rate; update t uses s(t).
    # Schedules support arithmetic: here the whole curve is scaled by 10.
    scaled = 10.0 * schedule
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
    y = x @ jnp.asarray(rng.normal(size=(8,)), jnp.float32)
    params = jnp.zeros(8, jnp.float32)
    opt = optax.adamw(scaled, weight_decay=1e-4)
    opt_state = opt.init(params)

    @jax.jit
    def train_step(params, opt_state):
        loss, grads = jax.value_and_grad(lambda w: jnp.mean((x @ w - y) ** 2))(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    for step in range(total):
        params, opt_state, loss = train_step(params, opt_state)
        if step % (total // 5) == 0 or step == total - 1:
            lr = lrjax.current_learning_rate(opt_state, scaled)  # the rate this step used
            print(f"step {step:>5}  loss {float(loss):.4f}  lr {float(lr):.3e}")

    # 5. Save and load: plain JSON, bit-identical values.
    text = json.dumps(lrjax.to_config(schedule))
    restored = lrjax.from_config(text)
    steps = jnp.arange(2 * total)
    assert np.array_equal(restored(steps), schedule(steps))
    print(f"config: {len(text)} characters of JSON; restored schedule is identical")


if __name__ == "__main__":
    main()
