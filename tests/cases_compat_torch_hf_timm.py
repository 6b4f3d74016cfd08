"""Registry cases for ``lrjax.compat.torch``, ``.transformers`` and ``.timm``.

Each reference is written from the peer's own formula in float64 NumPy (torch's closed
forms, HF's lambdas times the learning rate, timm's ``_get_lr`` with the loop's first
update), independently of the lrjax composition.
"""

from __future__ import annotations

import numpy as np
from cases import Case

from lrjax.compat import timm as lrtimm
from lrjax.compat import torch as lrt
from lrjax.compat import transformers as lrh


def _t(t):
    return np.asarray(t, np.float64)


# -- torch ----------------------------------------------------------------------------------
def ref_step_lr(t, base_lr, step_size, gamma=0.1):
    return base_lr * gamma ** np.floor(_t(t) / step_size)


def ref_multistep_lr(t, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** np.searchsorted(sorted(milestones), t, side="right")


def ref_constant_lr(t, base_lr, factor=1 / 3, total_iters=5):
    if total_iters == 0:
        return np.full(np.shape(t), base_lr * factor)
    return base_lr * np.where(_t(t) < total_iters, factor, 1.0)


def ref_linear_lr(t, base_lr, start_factor=1 / 3, end_factor=1.0, total_iters=5):
    frac = np.minimum(_t(t), total_iters) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * frac)


def ref_exponential_lr(t, base_lr, gamma):
    return base_lr * gamma ** _t(t)


def ref_polynomial_lr(t, base_lr, total_iters=5, power=1.0):
    return base_lr * (1 - np.minimum(_t(t), total_iters) / total_iters) ** power


def ref_cosine_annealing_lr(t, base_lr, T_max, eta_min=0.0, periodic=False):
    x = _t(t) if periodic else np.minimum(_t(t), T_max)
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * np.mod(x, 2 * T_max) / T_max)) / 2


def ref_warm_restarts(t, base_lr, T_0, T_mult=1, eta_min=0.0):
    t = np.asarray(t, np.int64)
    if T_mult == 1:
        cur, ti = t % T_0, T_0
    else:
        k = np.floor(np.log(t / T_0 * (T_mult - 1) + 1) / np.log(T_mult)).astype(np.int64)
        start = T_0 * (T_mult**k - 1) // (T_mult - 1)
        k = np.where(t < start, k - 1, k)
        k = np.where(t >= T_0 * (T_mult ** (k + 1) - 1) // (T_mult - 1), k + 1, k)
        start = T_0 * (T_mult**k - 1) // (T_mult - 1)
        cur, ti = t - start, T_0 * T_mult**k
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * cur / ti)) / 2


def ref_cyclic_lr(
    t, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular", gamma=1.0
):
    down = step_size_up if step_size_down is None else step_size_down
    total = step_size_up + down
    t = np.asarray(t, np.int64)
    cyc, local = t // total, t % total
    sf = np.where(local <= step_size_up, local / step_size_up, (total - local) / max(down, 1))
    scale = {"triangular": 1.0, "triangular2": 0.5**cyc, "exp_range": gamma ** _t(t)}[mode]
    return base_lr + (max_lr - base_lr) * sf * scale


def ref_one_cycle_lr(
    t,
    max_lr,
    total_steps,
    pct_start=0.3,
    anneal_strategy="cos",
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
):
    init = max_lr / div_factor
    low = init / final_div_factor
    if three_phase:
        phases = [
            (pct_start * total_steps - 1, init, max_lr),
            (2 * pct_start * total_steps - 2, max_lr, init),
            (total_steps - 1, init, low),
        ]
    else:
        phases = [(pct_start * total_steps - 1, init, max_lr), (total_steps - 1, max_lr, low)]
    out = []
    for step in np.minimum(np.asarray(t, np.int64), total_steps - 1):
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                pct = (step - start) / (end - start)
                if anneal_strategy == "cos":
                    out.append(b + (a - b) / 2 * (np.cos(np.pi * pct) + 1))
                else:
                    out.append((b - a) * pct + a)
                break
            start = end
    return np.asarray(out).reshape(np.shape(t))


def _seq(b, w, tm):
    return lrt.sequential_lr([lrt.linear_lr(b, 0.1, 1.0, w), lrt.cosine_annealing_lr(b, tm)], [w])


def ref_seq(t, b, w, tm):
    t = _t(t)
    return np.where(
        t < w,
        ref_linear_lr(t, b, 0.1, 1.0, w),
        ref_cosine_annealing_lr(np.maximum(t - w, 0), b, tm),
    )


def _chain(b, n, g):
    return lrt.chained_scheduler([lrt.linear_lr(b, 0.2, 1.0, n), lrt.exponential_lr(b, g)])


def ref_chain(t, b, n, g):
    return ref_linear_lr(t, b, 0.2, 1.0, n) * g ** _t(t)


# -- Hugging Face (learning_rate * lr_lambda(t)) ------------------------------------------
def _hf_warm(t, lr, w, after):
    t = _t(t)
    return np.where(t < w, lr * t / max(1, w), after)


def ref_hf_linear(t, learning_rate, num_warmup_steps, num_training_steps):
    decay = np.maximum(
        0.0, (num_training_steps - _t(t)) / max(1, num_training_steps - num_warmup_steps)
    )
    return _hf_warm(t, learning_rate, num_warmup_steps, learning_rate * decay)


def _hf_cos(t, w, total, nc, hold, offset=0):
    length = max(1, total - w)
    p = (_t(t) - w + offset) / length
    if hold:
        p = np.minimum(p, 1.0)
    return 0.5 * (1 + np.cos(np.pi * nc * 2 * p))


def ref_hf_cosine(
    t, learning_rate, num_warmup_steps, num_training_steps, num_cycles=0.5, hold_after_end=True
):
    f = _hf_cos(t, num_warmup_steps, num_training_steps, num_cycles, hold_after_end)
    return _hf_warm(t, learning_rate, num_warmup_steps, learning_rate * f)


def ref_hf_restarts(t, learning_rate, num_warmup_steps, num_training_steps, num_cycles=1):
    p = (_t(t) - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
    f = np.where(p >= 1, 0.0, 0.5 * (1 + np.cos(np.pi * np.mod(num_cycles * p, 1.0))))
    return _hf_warm(t, learning_rate, num_warmup_steps, learning_rate * f)


def ref_hf_poly(t, learning_rate, num_warmup_steps, num_training_steps, lr_end=1e-7, power=1.0):
    t = _t(t)
    frac = 1 - np.clip(t - num_warmup_steps, 0, None) / (num_training_steps - num_warmup_steps)
    decay = (learning_rate - lr_end) * np.clip(frac, 0, 1) ** power + lr_end
    return _hf_warm(
        t, learning_rate, num_warmup_steps, np.where(t > num_training_steps, lr_end, decay)
    )


def ref_hf_inverse_sqrt(t, learning_rate, num_warmup_steps, timescale=None):
    ts = timescale or num_warmup_steps or 10_000
    shifted = np.maximum(_t(t), num_warmup_steps)  # HF evaluates this only for t >= W
    after = learning_rate / np.sqrt((shifted + ts - num_warmup_steps) / ts)
    return _hf_warm(t, learning_rate, num_warmup_steps, after)


def ref_hf_min_lr(
    t,
    learning_rate,
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    min_lr=None,
    min_lr_rate=None,
    hold_after_end=True,
):
    r = float(min_lr_rate if min_lr is None else min_lr / learning_rate)  # type: ignore[operator]
    f = _hf_cos(t, num_warmup_steps, num_training_steps, num_cycles, hold_after_end)
    return _hf_warm(t, learning_rate, num_warmup_steps, learning_rate * (f * (1 - r) + r))


def ref_hf_warmup_min_lr(
    t,
    learning_rate,
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    min_lr=None,
    min_lr_rate=None,
    warmup_lr_rate=None,
    hold_after_end=True,
):
    r = float(min_lr_rate if min_lr is None else min_lr / learning_rate)  # type: ignore[operator]
    w = num_warmup_steps
    t = _t(t)
    if warmup_lr_rate is None:
        warm = (t + 1) / max(1, w)
    else:
        warm = warmup_lr_rate + (1 - warmup_lr_rate) * t / max(1, w - 1)
    f = _hf_cos(t, w, num_training_steps, num_cycles, hold_after_end, offset=1)
    return learning_rate * np.where(t < w, warm, f * (1 - r) + r)


def ref_hf_wsd(
    t,
    learning_rate,
    num_warmup_steps,
    num_decay_steps,
    num_training_steps=None,
    num_stable_steps=None,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0.0,
    num_cycles=0.5,
):
    w, d, m = num_warmup_steps, num_decay_steps, min_lr_ratio
    s = num_stable_steps if num_stable_steps is not None else num_training_steps - w - d
    t = _t(t)
    p = t / max(1, w)
    g = {
        "linear": p,
        "cosine": 0.5 * (1 - np.cos(np.pi * p)),
        "1-sqrt": 1 - np.sqrt(np.clip(1 - p, 0, None)),
    }[warmup_type]
    q = np.clip((t - w - s) / max(1, d), 0, 1)
    h = {
        "linear": 1 - q,
        "cosine": 0.5 * (1 + np.cos(np.pi * num_cycles * 2 * q)),
        "1-sqrt": 1 - np.sqrt(q),
    }[decay_type]
    out = np.where(
        t < w,
        g * (1 - m) + m,
        np.where(t < w + s, 1.0, np.where(t < w + s + d, h * (1 - m) + m, m)),
    )
    return learning_rate * out


# -- timm (update 0: the constructor's value) ---------------------------------------------
def _timm_cycle(t, t_initial, cycle_mul):
    t = _t(t)
    if cycle_mul != 1:
        i = np.floor(np.log(1 - t / t_initial * (1 - cycle_mul)) / np.log(cycle_mul) + 1e-9)
        t_i = cycle_mul**i * t_initial
        t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    else:
        i = np.floor(t / t_initial)
        t_i = t_initial
        t_curr = t - t_initial * i
    return i, t_curr, t_i


def _timm(t, base_lr, warmup_t, warmup_lr_init, warmup_prefix, decay, target=None):
    t = _t(t)
    local = np.maximum(t - warmup_t, 0) if warmup_prefix else t
    value = decay(local)
    target = base_lr if target is None else target
    ramp = warmup_lr_init + t * (target - warmup_lr_init) / max(warmup_t, 1)
    value = np.where(t < warmup_t, ramp, value)
    return np.where(t == 0, warmup_lr_init if warmup_t else base_lr, value)


def ref_timm_cosine(
    t,
    base_lr,
    t_initial,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
    k_decay=1.0,
):
    def decay(x):
        i, cur, ti = _timm_cycle(x, t_initial, cycle_mul)
        top = base_lr * cycle_decay**i
        v = lr_min + 0.5 * (top - lr_min) * (1 + np.cos(np.pi * cur**k_decay / ti**k_decay))
        return np.where(i < cycle_limit, v, lr_min)

    return _timm(t, base_lr, warmup_t, warmup_lr_init, warmup_prefix, decay)


def ref_timm_tanh(
    t,
    base_lr,
    t_initial,
    lb=-7.0,
    ub=3.0,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
):
    def decay(x):
        i, cur, ti = _timm_cycle(x, t_initial, cycle_mul)
        tr = cur / ti
        v = lr_min + 0.5 * (base_lr * cycle_decay**i - lr_min) * (
            1 - np.tanh(lb * (1 - tr) + ub * tr)
        )
        return np.where(i < cycle_limit, v, lr_min)

    target = None if warmup_prefix else float(decay(np.array([warmup_t]))[0])
    return _timm(t, base_lr, warmup_t, warmup_lr_init, warmup_prefix, decay, target)


def ref_timm_poly(
    t,
    base_lr,
    t_initial,
    power=0.5,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
    k_decay=1.0,
):
    def decay(x):
        i, cur, ti = _timm_cycle(x, t_initial, cycle_mul)
        v = lr_min + (base_lr * cycle_decay**i - lr_min) * (1 - cur**k_decay / ti**k_decay) ** power
        return np.where(i < cycle_limit, v, lr_min)

    return _timm(t, base_lr, warmup_t, warmup_lr_init, warmup_prefix, decay)


def ref_timm_step(
    t, base_lr, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True
):
    return _timm(
        t,
        base_lr,
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
        lambda x: base_lr * decay_rate ** np.floor(x / decay_t),
    )


def ref_timm_multistep(
    t, base_lr, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True
):
    return _timm(
        t,
        base_lr,
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
        lambda x: base_lr * decay_rate ** np.searchsorted(decay_t, x + 1, side="right"),
    )


CASES: list[Case] = [
    # torch
    Case(
        "torch_step_lr",
        lrt.step_lr,
        dict(base_lr=0.5, step_size=7, gamma=0.5),
        ref_step_lr,
        dict(base_lr=[1.0], step_size=[1, 30], gamma=[0.1, 0.9]),
    ),
    Case(
        "torch_multistep_lr",
        lrt.multistep_lr,
        dict(base_lr=0.5, milestones=[10, 20, 20], gamma=0.5),
        ref_multistep_lr,
        dict(milestones=[[0, 5, 6]], gamma=[0.1, 0.9]),
        end=20,
    ),
    Case(
        "torch_constant_lr",
        lrt.constant_lr,
        dict(base_lr=0.5, factor=0.25, total_iters=6),
        ref_constant_lr,
        dict(factor=[0.0, 1.0], total_iters=[1, 40]),
        end=6,
    ),
    Case(
        "torch_constant_lr_zero_iters",
        lrt.constant_lr,
        dict(base_lr=0.5, factor=0.25, total_iters=0),
        ref_constant_lr,
        dict(factor=[0.5]),
        end=0,
    ),
    Case(
        "torch_linear_lr",
        lrt.linear_lr,
        dict(base_lr=0.5, start_factor=0.1, end_factor=0.9, total_iters=12),
        ref_linear_lr,
        dict(start_factor=[0.5, 1.0], end_factor=[0.0], total_iters=[1, 100]),
        end=12,
    ),
    # gamma**t amplifies the float32 rounding of gamma by t: use binary-exact rates here.
    Case(
        "torch_exponential_lr",
        lrt.exponential_lr,
        dict(base_lr=0.5, gamma=0.9375),
        ref_exponential_lr,
        dict(gamma=[0.5, 0.998046875]),
        rtol=3e-6,
    ),
    Case(
        "torch_polynomial_lr",
        lrt.polynomial_lr,
        dict(base_lr=0.5, total_iters=30, power=2.0),
        ref_polynomial_lr,
        dict(total_iters=[1, 100], power=[0.5, 1.0]),
        end=30,
        rtol=4e-6,
    ),
    Case(
        "torch_cosine_annealing_lr",
        lrt.cosine_annealing_lr,
        dict(base_lr=0.5, T_max=40, eta_min=0.01),
        ref_cosine_annealing_lr,
        dict(T_max=[1, 100], eta_min=[0.0, 0.2], base_lr=[1.0]),
        end=40,
        rtol=4e-6,
    ),
    Case(
        "torch_cosine_annealing_lr_periodic",
        lrt.cosine_annealing_lr,
        dict(base_lr=0.5, T_max=20, eta_min=0.01, periodic=True),
        ref_cosine_annealing_lr,
        dict(T_max=[1, 50], eta_min=[0.0]),
        rtol=4e-6,
    ),
    Case(
        "torch_warm_restarts",
        lrt.cosine_annealing_warm_restarts,
        dict(base_lr=0.5, T_0=5, T_mult=2, eta_min=0.01),
        ref_warm_restarts,
        dict(T_0=[1, 13], T_mult=[1, 3], eta_min=[0.0]),
        rtol=4e-6,
    ),
    Case(
        "torch_cyclic_lr",
        lrt.cyclic_lr,
        dict(base_lr=0.1, max_lr=1.0, step_size_up=4, step_size_down=6, mode="triangular2"),
        ref_cyclic_lr,
        dict(base_lr=[0.0, 0.5], max_lr=[2.0], step_size_up=[1, 20], step_size_down=[0, 3]),
    ),
    Case(
        "torch_cyclic_lr_exp_range",
        lrt.cyclic_lr,
        dict(base_lr=0.1, max_lr=1.0, step_size_up=5, mode="exp_range", gamma=0.98),
        ref_cyclic_lr,
        dict(gamma=[0.9, 1.0], step_size_up=[2, 9]),
        rtol=4e-6,
    ),
    Case(
        "torch_one_cycle_lr",
        lrt.one_cycle_lr,
        dict(max_lr=0.5, total_steps=50, pct_start=0.3, div_factor=25.0, final_div_factor=1e4),
        ref_one_cycle_lr,
        dict(
            total_steps=[2, 200],
            pct_start=[0.0, 0.45, 1.0],
            div_factor=[10.0],
            final_div_factor=[100.0],
        ),
        end=49,
        rtol=4e-6,
    ),
    Case(
        "torch_one_cycle_lr_three_phase_linear",
        lrt.one_cycle_lr,
        dict(
            max_lr=0.5, total_steps=37, pct_start=0.25, anneal_strategy="linear", three_phase=True
        ),
        ref_one_cycle_lr,
        dict(total_steps=[9, 100], pct_start=[0.4]),
        end=36,
        rtol=4e-6,
    ),
    Case(
        "torch_sequential_lr",
        _seq,
        dict(b=0.5, w=10, tm=30),
        ref_seq,
        dict(b=[1.0], w=[1, 50], tm=[3, 100]),
        end=40,
        rtol=4e-6,
    ),
    Case(
        "torch_chained_scheduler",
        _chain,
        dict(b=0.5, n=10, g=0.96875),
        ref_chain,
        dict(b=[1.0], n=[0, 30], g=[0.875, 1.0]),
        rtol=3e-6,
    ),
    # Hugging Face
    Case(
        "hf_constant",
        lrh.get_constant_schedule,
        dict(learning_rate=3e-4),
        lambda t, learning_rate: np.full(np.shape(t), learning_rate),
        dict(learning_rate=[1.0]),
        end=0,
    ),
    Case(
        "hf_constant_with_warmup",
        lrh.get_constant_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=10),
        lambda t, learning_rate, num_warmup_steps: _hf_warm(
            t, learning_rate, num_warmup_steps, learning_rate
        ),
        dict(num_warmup_steps=[0, 1, 77]),
        end=10,
    ),
    Case(
        "hf_linear",
        lrh.get_linear_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=10, num_training_steps=50),
        ref_hf_linear,
        dict(learning_rate=[1.0], num_warmup_steps=[0, 50, 60], num_training_steps=[11, 200]),
        end=50,
    ),
    Case(
        "hf_cosine",
        lrh.get_cosine_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=10, num_training_steps=50),
        ref_hf_cosine,
        dict(num_warmup_steps=[0, 50], num_training_steps=[11, 200]),
        end=50,
        rtol=4e-6,
    ),
    Case(
        "hf_cosine_unclamped",
        lrh.get_cosine_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=10, num_training_steps=50, hold_after_end=False),
        ref_hf_cosine,
        dict(num_warmup_steps=[0, 5], num_training_steps=[11, 200]),
        rtol=4e-6,
    ),
    Case(
        "hf_cosine_with_restarts",
        lrh.get_cosine_with_hard_restarts_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=5, num_training_steps=65, num_cycles=3),
        ref_hf_restarts,
        dict(num_warmup_steps=[0, 20], num_cycles=[1, 4]),
        end=65,
        rtol=4e-6,
    ),
    Case(
        "hf_polynomial",
        lrh.get_polynomial_decay_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=5, num_training_steps=45, lr_end=1e-3, power=2.0),
        ref_hf_poly,
        dict(lr_end=[0.0, 0.1], power=[0.5, 1.0], num_training_steps=[6, 100]),
        end=45,
        rtol=4e-6,
    ),
    Case(
        "hf_inverse_sqrt",
        lrh.get_inverse_sqrt_schedule,
        dict(learning_rate=0.5, num_warmup_steps=10),
        ref_hf_inverse_sqrt,
        dict(num_warmup_steps=[0, 1, 500]),
    ),
    Case(
        "hf_inverse_sqrt_timescale",
        lrh.get_inverse_sqrt_schedule,
        dict(learning_rate=0.5, num_warmup_steps=10, timescale=30.0),
        ref_hf_inverse_sqrt,
        dict(timescale=[1.0, 1e4]),
    ),
    Case(
        "hf_cosine_with_min_lr",
        lrh.get_cosine_with_min_lr_schedule_with_warmup,
        dict(learning_rate=0.5, num_warmup_steps=10, num_training_steps=50, min_lr_rate=0.1),
        ref_hf_min_lr,
        dict(min_lr_rate=[0.0, 0.5], num_training_steps=[11, 100]),
        end=50,
        rtol=4e-6,
    ),
    Case(
        "hf_cosine_warmup_with_min_lr",
        lrh.get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
        dict(learning_rate=0.5, num_warmup_steps=6, num_training_steps=40, min_lr=0.01),
        ref_hf_warmup_min_lr,
        dict(min_lr=[0.0, 0.2], num_warmup_steps=[0, 1, 20]),
        end=39,
        rtol=4e-6,
    ),
    Case(
        "hf_cosine_warmup_with_min_lr_rate",
        lrh.get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
        dict(
            learning_rate=0.5,
            num_warmup_steps=6,
            num_training_steps=40,
            min_lr_rate=0.1,
            warmup_lr_rate=0.2,
        ),
        ref_hf_warmup_min_lr,
        dict(warmup_lr_rate=[0.0, 1.0]),
        end=39,
        rtol=4e-6,
    ),
    Case(
        "hf_wsd",
        lrh.get_wsd_schedule,
        dict(
            learning_rate=0.5,
            num_warmup_steps=5,
            num_decay_steps=10,
            num_training_steps=40,
            warmup_type="1-sqrt",
            decay_type="cosine",
            min_lr_ratio=0.1,
        ),
        ref_hf_wsd,
        dict(num_warmup_steps=[0, 20], num_decay_steps=[0, 1, 15], min_lr_ratio=[0.0]),
        end=40,
        rtol=4e-6,
    ),
    Case(
        "hf_wsd_stable",
        lrh.get_wsd_schedule,
        dict(
            learning_rate=0.5,
            num_warmup_steps=5,
            num_decay_steps=10,
            num_stable_steps=7,
            warmup_type="cosine",
            decay_type="1-sqrt",
            min_lr_ratio=0.1,
        ),
        ref_hf_wsd,
        dict(num_stable_steps=[0, 30]),
        end=22,
        rtol=4e-6,
    ),
    # timm
    Case(
        "timm_cosine",
        lrtimm.cosine_lr,
        dict(
            base_lr=0.5,
            t_initial=20,
            lr_min=0.01,
            cycle_decay=0.5,
            cycle_limit=3,
            warmup_t=5,
            warmup_lr_init=0.001,
            warmup_prefix=True,
        ),
        ref_timm_cosine,
        dict(
            t_initial=[1, 40], lr_min=[0.0], cycle_decay=[1.0], cycle_limit=[0, 1], warmup_t=[0, 3]
        ),
        end=65,
        rtol=4e-6,
    ),
    Case(
        "timm_cosine_mul_k",
        lrtimm.cosine_lr,
        dict(base_lr=0.5, t_initial=10, cycle_mul=2.0, cycle_limit=3, k_decay=2.0, warmup_t=3),
        ref_timm_cosine,
        dict(cycle_mul=[1.5, 3.0], k_decay=[0.5, 1.0]),
        rtol=4e-6,
    ),
    Case(
        "timm_tanh",
        lrtimm.tanh_lr,
        dict(
            base_lr=0.5,
            t_initial=30,
            lb=-7.0,
            ub=3.0,
            lr_min=0.01,
            cycle_limit=2,
            warmup_t=4,
            warmup_lr_init=0.01,
        ),
        ref_timm_tanh,
        dict(lb=[-3.0], ub=[1.0], t_initial=[5, 50], warmup_t=[0, 10]),
        end=60,
        rtol=4e-6,
    ),
    Case(
        "timm_poly",
        lrtimm.poly_lr,
        dict(
            base_lr=0.5,
            t_initial=30,
            power=2.0,
            lr_min=0.01,
            cycle_limit=1,
            warmup_t=4,
            k_decay=1.0,
        ),
        ref_timm_poly,
        dict(power=[0.5, 1.0], t_initial=[1, 60], k_decay=[2.0]),
        end=30,
        rtol=4e-6,
    ),
    Case(
        "timm_step",
        lrtimm.step_lr,
        dict(base_lr=0.5, decay_t=7, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01),
        ref_timm_step,
        dict(decay_t=[1.0, 2.5, 30.0], decay_rate=[0.1, 1.0], warmup_t=[0, 10]),
    ),
    Case(
        "timm_multistep",
        lrtimm.multistep_lr,
        dict(base_lr=0.5, decay_t=[5, 12, 30], decay_rate=0.5, warmup_t=3),
        ref_timm_multistep,
        dict(decay_t=[[1, 2, 3], [0, 40, 41]], decay_rate=[0.1], warmup_t=[0, 20]),
        end=32,
    ),
]
