"""Registry cases for the presets (``lrjax.presets.recipes``), each with a float64 NumPy reference.

Every reference is written from the preset's documented formula (or, for ``cyclic``, from
torch's ``CyclicLR.get_lr``), never by calling lrjax. ``tests/test_transforms.py`` runs the
shared suite over these cases; ``tests/test_presets.py`` adds the preset-specific checks.
"""

from __future__ import annotations

import numpy as np
from cases import Case

import lrjax

# -- references -------------------------------------------------------------------------


def _f(t):
    return np.asarray(t, np.float64)


def _multiplier(shape, d):
    """docs/contract.md, Ramp shapes: the multiplier at normalised distance ``d`` from the peak."""
    d = np.clip(d, 0.0, 1.0)
    if shape == "linear":
        return 1 - d
    if shape == "cosine":
        return 0.5 * (1 + np.cos(np.pi * d))
    if shape == "1-sqrt":
        return 1 - np.sqrt(d)
    if shape == "square":
        return (1 - d) ** 2
    raise ValueError(shape)


def _linear_warmup(t, init_value, peak_value, warmup_steps):
    return init_value + (peak_value - init_value) * t / max(warmup_steps, 1)


def ref_warmup_cosine_decay(
    t, peak_value, warmup_steps, total_steps, init_value=0.0, end_value=0.0, exponent=1.0
):
    t = _f(t)
    decay_steps = total_steps - warmup_steps
    if decay_steps == 0:
        after = np.full(t.shape, float(end_value))
    else:
        x = (np.minimum(t, total_steps) - warmup_steps) / decay_steps
        after = end_value + (peak_value - end_value) * (0.5 * (1 + np.cos(np.pi * x))) ** exponent
    return np.where(
        t < warmup_steps, _linear_warmup(t, init_value, peak_value, warmup_steps), after
    )


def ref_warmup_linear_decay(
    t, peak_value, warmup_steps, total_steps, init_value=0.0, end_value=0.0
):
    return ref_warmup_polynomial_decay(
        t, peak_value, warmup_steps, total_steps, 1.0, init_value, end_value
    )


def ref_warmup_polynomial_decay(
    t, peak_value, warmup_steps, total_steps, power=1.0, init_value=0.0, end_value=0.0
):
    t = _f(t)
    decay_steps = total_steps - warmup_steps
    if decay_steps == 0:
        after = np.full(t.shape, float(end_value))
    else:
        frac = (total_steps - np.minimum(t, total_steps)) / decay_steps
        after = end_value + (peak_value - end_value) * frac**power
    return np.where(
        t < warmup_steps, _linear_warmup(t, init_value, peak_value, warmup_steps), after
    )


def ref_warmup_constant(t, peak_value, warmup_steps, init_value=0.0):
    t = _f(t)
    ramp = _linear_warmup(t, init_value, peak_value, warmup_steps)
    return np.where(t < warmup_steps, ramp, float(peak_value))


def ref_warmup_exponential_decay(
    t,
    peak_value,
    warmup_steps,
    decay_rate,
    transition_steps,
    init_value=0.0,
    staircase=False,
    end_value=None,
):
    t = _f(t)
    p = np.maximum(t - warmup_steps, 0) / transition_steps
    if staircase:
        p = np.floor(p)
    after = peak_value * float(decay_rate) ** p
    if end_value is not None:
        after = np.maximum(after, end_value) if decay_rate < 1 else np.minimum(after, end_value)
    return np.where(
        t < warmup_steps, _linear_warmup(t, init_value, peak_value, warmup_steps), after
    )


def ref_warmup_stable_decay(
    t,
    peak_value,
    warmup_steps,
    stable_steps,
    decay_steps,
    init_value=0.0,
    end_value=0.0,
    decay_shape="linear",
    warmup_shape="linear",
):
    t = _f(t)
    w, s, d = warmup_steps, stable_steps, decay_steps
    if warmup_shape == "exponential":
        ramp = init_value * (peak_value / init_value) ** np.minimum(t / max(w, 1), 1.0)
    else:
        dist = (w - t) / max(w, 1)
        ramp = init_value + (peak_value - init_value) * _multiplier(warmup_shape, dist)
    local = np.clip(t - w - s, 0, d)
    if d == 0:
        decay = np.full(t.shape, float(end_value))
    elif decay_shape == "exponential":
        decay = end_value * (peak_value / end_value) ** (1 - local / d)
    else:
        decay = end_value + (peak_value - end_value) * _multiplier(decay_shape, local / d)
    return np.where(t < w, ramp, np.where(t < w + s, float(peak_value), decay))


def make_wsd_schedule_tail(peak_value, warmup_steps, stable_steps, decay_steps, tail_steps):
    """WSD whose decay is a cosine of ``tail_steps`` steps (held after ``decay_steps``)."""
    tail = lrjax.cosine_decay(peak_value, tail_steps)
    return lrjax.warmup_stable_decay(
        peak_value, warmup_steps, stable_steps, decay_steps, decay_shape=tail
    )


def ref_wsd_schedule_tail(t, peak_value, warmup_steps, stable_steps, decay_steps, tail_steps):
    t = _f(t)
    w, s = warmup_steps, stable_steps
    local = np.clip(t - w - s, 0, decay_steps)
    tail = peak_value * 0.5 * (1 + np.cos(np.pi * np.minimum(local, tail_steps) / tail_steps))
    ramp = _linear_warmup(t, 0.0, peak_value, w)
    return np.where(t < w, ramp, np.where(t < w + s, float(peak_value), tail))


def one_cycle_peak_step(total_steps, pct_start, three_phase=False):
    """The documented peak step: round(pct * T) in float32, clipped."""
    k = int(np.round(np.float32(pct_start) * np.float32(total_steps)))
    last = (total_steps - 1) // 2 if three_phase else total_steps - 1
    return min(max(k, 1), max(last, 1))


def ref_one_cycle(
    t,
    peak_value,
    total_steps,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cosine",
    three_phase=False,
):
    t = _f(t)
    T = total_steps
    k = one_cycle_peak_step(T, pct_start, three_phase)
    initial = peak_value / div_factor
    final = initial / final_div_factor
    up = initial + (peak_value - initial) * _multiplier(anneal, (k - t) / k)
    if not three_phase:
        down = final + (peak_value - final) * _multiplier(anneal, (np.minimum(t, T) - k) / (T - k))
        return np.where(t < k, up, down)
    back = initial + (peak_value - initial) * _multiplier(anneal, (t - k) / k)
    tail = final + (initial - final) * _multiplier(anneal, (np.minimum(t, T) - 2 * k) / (T - 2 * k))
    return np.where(t < k, up, np.where(t < 2 * k, back, tail))


def sgdr_cycle_starts(period, period_mul, count):
    """Start step of cycles 0..count (float64; exact integers when period_mul == 1)."""
    lengths = period * float(period_mul) ** np.arange(count)
    return np.concatenate([[0.0], np.cumsum(lengths)])


def ref_sgdr(
    t,
    peak_value,
    period,
    period_mul=1.0,
    value_mul=1.0,
    end_value=0.0,
    warmup_steps=0,
    init_value=0.0,
    num_cycles=None,
):
    t = _f(t)
    if period_mul == 1:
        k = np.floor(t / period)
        local = t - k * period
    else:
        starts = sgdr_cycle_starts(period, period_mul, 80)
        k = np.searchsorted(starts, t, side="right").astype(np.float64) - 1
        local = (t - starts[k.astype(int)]) / float(period_mul) ** k
    if num_cycles is not None:
        done = k >= num_cycles
        k = np.where(done, num_cycles - 1, k)
        local = np.where(done, float(period), local)
    w = warmup_steps
    ramp = _linear_warmup(local, init_value, peak_value, w)
    if period == w:
        cosine = np.full(t.shape, float(end_value))
    else:
        x = np.clip((local - w) / (period - w), 0, 1)
        cosine = end_value + (peak_value - end_value) * 0.5 * (1 + np.cos(np.pi * x))
    return float(value_mul) ** k * np.where(local < w, ramp, cosine)


def ref_cyclic(
    t, base_value, max_value, step_size_up, step_size_down=None, mode="triangular", gamma=1.0
):
    """torch's ``CyclicLR.get_lr`` with ``last_epoch = t``, in float64."""
    t = _f(t)
    down = step_size_up if step_size_down is None else step_size_down
    total = step_size_up + down
    ratio = step_size_up / total
    c = np.floor(1 + t / total)
    x = 1.0 + t / total - c
    sf = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    if mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = np.exp2(-(c - 1))
    else:
        scale = float(gamma) ** t
    return base_value + (max_value - base_value) * sf * scale


def ref_tanh_decay(t, init_value, decay_steps, end_value=0.0, lb=-7.0, ub=3.0):
    t = _f(t)
    r = np.minimum(t, decay_steps) / decay_steps if decay_steps else np.ones(t.shape)
    x = lb * (1 - r) + ub * r
    m = (np.tanh(ub) - np.tanh(x)) / (np.tanh(ub) - np.tanh(lb))
    return end_value + (init_value - end_value) * m


def ref_step_decay(t, init_value, step_size, gamma=0.1):
    return init_value * float(gamma) ** np.floor(_f(t) / step_size)


def ref_multistep_decay(t, init_value, milestones, gamma=0.1):
    count = np.searchsorted(np.asarray(milestones), np.asarray(t), side="right")
    return init_value * float(gamma) ** count.astype(np.float64)


def ref_noam(t, d_model, warmup_steps, scale=1.0):
    step_num = _f(t) + 1  # the paper counts from 1
    return scale * d_model**-0.5 * np.minimum(step_num**-0.5, step_num * warmup_steps**-1.5)


def ref_inverse_sqrt(t, peak_value, warmup_steps, timescale=None, init_value=0.0):
    """Hugging Face's ``_get_inverse_sqrt_schedule_lr_lambda`` times the peak, with a
    configurable start of the warmup: ``1 / sqrt((t + shift) / timescale)`` for ``t >= W``."""
    t = _f(t)
    if timescale is None:
        timescale = warmup_steps or 10_000
    shift = timescale - warmup_steps
    after = np.maximum(t, warmup_steps)  # the decay branch is used from W on only
    decay = peak_value / np.sqrt((after + shift) / timescale)
    return np.where(
        t < warmup_steps, _linear_warmup(t, init_value, peak_value, warmup_steps), decay
    )


# -- cases ------------------------------------------------------------------------------
# The first case of each preset sweeps every numeric argument; the variants (other shapes
# and modes) sweep the arguments that enter their own formula, to keep the suite fast.

_SHAPES = ["cosine", "1-sqrt", "square", "exponential"]

CASES: list[Case] = [
    Case(
        "warmup_cosine_decay",
        lrjax.warmup_cosine_decay,
        dict(
            peak_value=1.0,
            warmup_steps=10,
            total_steps=100,
            init_value=0.1,
            end_value=0.01,
            exponent=1.0,
        ),
        ref_warmup_cosine_decay,
        dict(
            peak_value=[0.5, 3.0],
            warmup_steps=[0, 1, 99, 100],
            total_steps=[10, 11, 500],
            init_value=[0.0, 0.5],
            end_value=[0.0, 0.2],
            exponent=[0.5, 2.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "warmup_linear_decay",
        lrjax.warmup_linear_decay,
        dict(peak_value=2e-3, warmup_steps=7, total_steps=50, init_value=0.0, end_value=1e-5),
        ref_warmup_linear_decay,
        dict(
            peak_value=[1.0],
            warmup_steps=[0, 1, 49, 50],
            total_steps=[7, 8, 300],
            init_value=[1e-4],
            end_value=[0.0, 3e-3],
        ),
        end=50,
    ),
    Case(
        "warmup_polynomial_decay",
        lrjax.warmup_polynomial_decay,
        dict(
            peak_value=1.0,
            warmup_steps=5,
            total_steps=60,
            power=2.0,
            init_value=0.0,
            end_value=0.05,
        ),
        ref_warmup_polynomial_decay,
        dict(
            peak_value=[0.3],
            warmup_steps=[0, 59],
            total_steps=[5, 6, 200],
            power=[0.5, 1.0, 3.0],
            init_value=[0.2],
            end_value=[0.0],
        ),
        end=60,
        rtol=4e-6,
    ),
    Case(
        "warmup_constant",
        lrjax.warmup_constant,
        dict(peak_value=1.0, warmup_steps=8, init_value=0.1),
        ref_warmup_constant,
        dict(peak_value=[0.0, 5.0], warmup_steps=[0, 1, 100], init_value=[0.0, 2.0]),
        end=8,
    ),
    Case(
        "warmup_exponential_decay",
        lrjax.warmup_exponential_decay,
        dict(peak_value=1.0, warmup_steps=5, decay_rate=0.5, transition_steps=10, init_value=0.0),
        ref_warmup_exponential_decay,
        dict(
            peak_value=[2.0],
            warmup_steps=[0, 40],
            decay_rate=[0.1, 0.99],
            transition_steps=[1, 100],
            init_value=[0.5],
        ),
        rtol=4e-6,
    ),
    Case(
        "warmup_exponential_staircase_floor",
        lrjax.warmup_exponential_decay,
        dict(
            peak_value=1.0,
            warmup_steps=4,
            decay_rate=0.5,
            transition_steps=10,
            staircase=True,
            end_value=0.1,
        ),
        ref_warmup_exponential_decay,
        dict(end_value=[0.0, 0.3], transition_steps=[3, 12]),
        end=44,
    ),
    Case(
        "warmup_stable_decay",
        lrjax.warmup_stable_decay,
        dict(
            peak_value=1.0,
            warmup_steps=10,
            stable_steps=20,
            decay_steps=30,
            init_value=0.05,
            end_value=0.01,
            decay_shape="linear",
            warmup_shape="linear",
        ),
        ref_warmup_stable_decay,
        dict(
            peak_value=[0.5, 2.0],
            warmup_steps=[0, 1, 40],
            stable_steps=[0, 1, 100],
            decay_steps=[0, 1, 7, 200],
            init_value=[0.2],
            end_value=[0.1, 0.001],
        ),
        end=60,
        rtol=4e-6,
    ),
    *[
        Case(
            f"warmup_stable_decay_{shape}",
            lrjax.warmup_stable_decay,
            dict(
                peak_value=1.0,
                warmup_steps=10,
                stable_steps=20,
                decay_steps=30,
                init_value=0.05,
                end_value=0.01,
                decay_shape=shape,
                warmup_shape=shape,
            ),
            ref_warmup_stable_decay,
            dict(decay_steps=[0, 1, 200], end_value=[0.1, 0.001], warmup_steps=[0, 1, 40]),
            end=60,
            rtol=4e-6,
        )
        for shape in _SHAPES
    ],
    Case(
        "warmup_stable_decay_mixed_shapes",
        lrjax.warmup_stable_decay,
        dict(
            peak_value=3e-4,
            warmup_steps=3,
            stable_steps=5,
            decay_steps=11,
            init_value=0.0,
            end_value=0.0,
            decay_shape="1-sqrt",
            warmup_shape="cosine",
        ),
        ref_warmup_stable_decay,
        dict(decay_steps=[2, 50]),
        end=19,
        rtol=4e-6,
    ),
    Case(
        "warmup_stable_decay_schedule_tail",
        make_wsd_schedule_tail,
        dict(peak_value=1.0, warmup_steps=4, stable_steps=6, decay_steps=10, tail_steps=20),
        ref_wsd_schedule_tail,
        dict(
            peak_value=[0.5],
            warmup_steps=[0, 1],
            stable_steps=[0, 30],
            decay_steps=[1, 40],
            tail_steps=[5, 100],
        ),
        end=20,
        rtol=4e-6,
    ),
    Case(
        "one_cycle",
        lrjax.one_cycle,
        dict(
            peak_value=1.0,
            total_steps=100,
            pct_start=0.3,
            div_factor=25.0,
            final_div_factor=1e4,
            anneal="cosine",
            three_phase=False,
        ),
        ref_one_cycle,
        dict(
            peak_value=[0.1, 4.0],
            total_steps=[2, 3, 4, 1000],
            pct_start=[0.01, 0.45, 0.99],
            div_factor=[1.0, 10.0],
            final_div_factor=[1.0, 100.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "one_cycle_linear",
        lrjax.one_cycle,
        dict(peak_value=1.0, total_steps=100, pct_start=0.3, anneal="linear"),
        ref_one_cycle,
        dict(pct_start=[0.01, 0.7], total_steps=[2, 7]),
        end=100,
        rtol=4e-6,
    ),
    *[
        Case(
            f"one_cycle_{anneal}_three_phase",
            lrjax.one_cycle,
            dict(
                peak_value=1.0,
                total_steps=100,
                pct_start=0.3,
                final_div_factor=1e4,
                anneal=anneal,
                three_phase=True,
            ),
            ref_one_cycle,
            dict(total_steps=[3, 4, 1000], pct_start=[0.01, 0.45], final_div_factor=[1.0]),
            end=100,
            rtol=4e-6,
        )
        for anneal in ["cosine", "linear"]
    ],
    Case(
        "sgdr",
        lrjax.sgdr,
        dict(
            peak_value=1.0,
            period=20,
            period_mul=1.0,
            value_mul=0.7,
            end_value=0.05,
            warmup_steps=3,
            init_value=0.0,
        ),
        ref_sgdr,
        dict(
            peak_value=[0.3],
            period=[3, 50],
            value_mul=[1.0, 0.5],
            end_value=[0.0],
            warmup_steps=[0, 1, 20],
            init_value=[0.2],
        ),
        rtol=4e-6,
    ),
    Case(
        "sgdr_geometric_limited",
        lrjax.sgdr,
        dict(
            peak_value=1.0,
            period=10,
            period_mul=2.0,
            value_mul=0.5,
            end_value=0.0,
            warmup_steps=2,
            init_value=0.1,
            num_cycles=3,
        ),
        ref_sgdr,
        dict(period_mul=[1.0, 1.5, 3.0], num_cycles=[1, 2]),
        end=70,
        rtol=2e-5,  # cycle's float32 local step when period_mul != 1 (see lrjax.cycle)
    ),
    Case(
        "cyclic_triangular",
        lrjax.cyclic,
        dict(
            base_value=0.1,
            max_value=1.0,
            step_size_up=4,
            step_size_down=6,
            mode="triangular",
            gamma=0.99,
        ),
        ref_cyclic,
        dict(
            base_value=[0.0, 0.5],
            max_value=[0.5, 2.0],
            step_size_up=[1, 10],
            step_size_down=[1, 13],
            gamma=[0.9, 1.0],
        ),
        rtol=4e-6,
    ),
    Case(
        "cyclic_triangular2",
        lrjax.cyclic,
        dict(base_value=0.1, max_value=1.0, step_size_up=4, step_size_down=6, mode="triangular2"),
        ref_cyclic,
        dict(max_value=[0.5, 2.0], step_size_down=[1, 13]),
        rtol=4e-6,
    ),
    Case(
        "cyclic_exp_range",
        lrjax.cyclic,
        dict(
            base_value=0.1,
            max_value=1.0,
            step_size_up=4,
            step_size_down=6,
            mode="exp_range",
            gamma=0.99,
        ),
        ref_cyclic,
        dict(gamma=[0.9, 1.0], base_value=[0.0, 0.5], step_size_up=[1, 10]),
        rtol=4e-6,
    ),
    Case(
        "cyclic_symmetric",
        lrjax.cyclic,
        dict(base_value=1e-4, max_value=6e-3, step_size_up=5),
        ref_cyclic,
        dict(step_size_up=[1, 2000]),
        rtol=4e-6,
    ),
    Case(
        "tanh_decay",
        lrjax.tanh_decay,
        dict(init_value=1.0, decay_steps=100, end_value=0.01, lb=-7.0, ub=3.0),
        ref_tanh_decay,
        dict(
            init_value=[0.5],
            decay_steps=[0, 1, 1000],
            end_value=[0.0, 0.5],
            lb=[-20.0, -1.0, 1.0],
            ub=[2.0, 20.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "step_decay",
        lrjax.step_decay,
        dict(init_value=1.0, step_size=7, gamma=0.5),
        ref_step_decay,
        dict(init_value=[0.01], step_size=[1, 30], gamma=[0.1, 1.0]),
        rtol=4e-6,
    ),
    Case(
        "multistep_decay",
        lrjax.multistep_decay,
        dict(init_value=1.0, milestones=[10, 20, 20, 45], gamma=0.5),
        ref_multistep_decay,
        dict(init_value=[0.3], milestones=[[0, 1, 2, 3], [5, 6, 100, 200]], gamma=[0.1, 0.9]),
        end=45,
    ),
    Case(
        "noam",
        lrjax.noam,
        dict(d_model=512.0, warmup_steps=40, scale=2.0),
        ref_noam,
        dict(d_model=[64.0, 1024.0], warmup_steps=[1, 2, 4000], scale=[0.5]),
        rtol=4e-6,
    ),
    Case(
        "inverse_sqrt",
        lrjax.inverse_sqrt,
        dict(peak_value=1e-3, warmup_steps=20, init_value=0.0),
        ref_inverse_sqrt,
        dict(peak_value=[1.0], warmup_steps=[0, 1, 300], init_value=[1e-4]),
        rtol=4e-6,
    ),
    Case(
        "inverse_sqrt_timescale",
        lrjax.inverse_sqrt,
        dict(peak_value=1.0, warmup_steps=10, timescale=3.0, init_value=0.1),
        ref_inverse_sqrt,
        dict(timescale=[1.0, 1e4]),
        rtol=4e-6,
    ),
]
