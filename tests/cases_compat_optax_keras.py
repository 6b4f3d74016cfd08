"""Registry cases for ``lrjax.compat.optax`` and ``lrjax.compat.keras``.

Each reference is written in float64 from the peer's own formula (optax 0.2.8
``optax/schedules/_schedule.py``; Keras 3.15 ``learning_rate_schedule.py``), for integer
steps ``>= 0``. Dict- and list-valued arguments are swept through small wrappers with
numeric arguments.
"""

from __future__ import annotations

import numpy as np
from cases import Case

from lrjax.compat import keras as lrk
from lrjax.compat import optax as lro


def _cos(x):
    return 0.5 * (1 + np.cos(np.pi * np.clip(x, 0.0, 1.0)))


# -- optax references -------------------------------------------------------------------


def ref_optax_constant(t, value):
    return np.full(np.shape(t), float(value))


def ref_optax_poly(t, init_value, end_value, power, transition_steps, transition_begin=0):
    if transition_steps <= 0:
        return np.full(np.shape(t), float(init_value))
    c = np.clip(t - max(transition_begin, 0), 0, transition_steps)
    return (init_value - end_value) * (1 - c / transition_steps) ** power + end_value


def ref_optax_linear(t, init_value, end_value, transition_steps, transition_begin=0):
    return ref_optax_poly(t, init_value, end_value, 1.0, transition_steps, transition_begin)


def ref_optax_exponential(
    t, init_value, transition_steps, decay_rate, transition_begin=0, staircase=False, end_value=None
):
    if transition_steps <= 0 or decay_rate == 0:
        return np.full(np.shape(t), float(init_value))
    d = t - max(transition_begin, 0)
    p = d / transition_steps
    if staircase:
        p = np.floor(p)
    with np.errstate(over="ignore"):  # growth past float64 range, clipped by end_value below
        v = np.where(d <= 0, init_value, init_value * float(decay_rate) ** np.maximum(p, 0))
    if end_value is not None:
        v = np.maximum(v, end_value) if decay_rate < 1 else np.minimum(v, end_value)
    return v


def ref_optax_cosine(t, init_value, decay_steps, alpha=0.0, exponent=1.0):
    return init_value * (
        (1 - alpha) * _cos(np.minimum(t, decay_steps) / decay_steps) ** exponent + alpha
    )


def ref_optax_warmup_cosine(
    t, init_value, peak_value, warmup_steps, decay_steps, end_value=0.0, exponent=1.0
):
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    ramp = ref_optax_linear(t, init_value, peak_value, warmup_steps)
    decay = ref_optax_cosine(
        t - warmup_steps, peak_value, decay_steps - warmup_steps, alpha, exponent
    )
    return np.where(t < warmup_steps, ramp, decay)


def ref_optax_warmup_exponential(
    t,
    init_value,
    peak_value,
    warmup_steps,
    transition_steps,
    decay_rate,
    transition_begin=0,
    staircase=False,
    end_value=None,
):
    ramp = ref_optax_linear(t, init_value, peak_value, warmup_steps)
    decay = ref_optax_exponential(
        np.maximum(t - warmup_steps, 0),
        peak_value,
        transition_steps,
        decay_rate,
        transition_begin,
        staircase,
        end_value,
    )
    return np.where(t < warmup_steps, ramp, decay)


def ref_optax_warmup_constant(t, init_value, peak_value, warmup_steps):
    return ref_optax_linear(t, init_value, peak_value, warmup_steps)


def _interp(t, kind, init_value, items):
    items = dict(items)
    bounds = np.array([0, *sorted(items)], np.float64)
    values = np.cumprod([init_value, *[items[k] for k in sorted(items)]])
    out = np.full(np.shape(t), values[-1], np.float64)
    for k in range(len(bounds) - 1):
        inside = (bounds[k] <= t) & (t < bounds[k + 1])
        pct = (t - bounds[k]) / max(bounds[k + 1] - bounds[k], 1)
        start, end = values[k], values[k + 1]
        v = (end - start) * pct + start if kind == "linear" else end + (start - end) * _cos(pct)
        out = np.where(inside, v, out)
    return out


def ref_optax_piecewise_constant(t, init_value, b1, s1, b2, s2):
    scale = np.where(t >= b1, s1, 1.0) * np.where(t >= b2, s2, 1.0)
    return init_value * scale


def ref_optax_piecewise_interpolate(t, init_value, b1, s1, b2, s2, kind="linear"):
    return _interp(t, kind, init_value, [(b1, s1), (b2, s2)])


def ref_optax_linear_onecycle(
    t,
    transition_steps,
    peak_value,
    pct_start=0.3,
    pct_final=0.85,
    div_factor=25.0,
    final_div_factor=1e4,
):
    items = {
        int(pct_start * transition_steps): div_factor,
        int(pct_final * transition_steps): 1.0 / div_factor,
        transition_steps: 1.0 / final_div_factor,
    }
    return _interp(t, "linear", peak_value / div_factor, items.items())


def ref_optax_cosine_onecycle(
    t, transition_steps, peak_value, pct_start=0.3, div_factor=25.0, final_div_factor=1e4
):
    items = {
        int(pct_start * transition_steps): div_factor,
        int(transition_steps): 1.0 / (div_factor * final_div_factor),
    }
    return _interp(t, "cosine", peak_value / div_factor, items.items())


def ref_optax_sgdr(t, peak0, decay0, peak1, decay1, warm):
    first = ref_optax_warmup_cosine(t, 0.0, peak0, warm, decay0)
    second = ref_optax_warmup_cosine(t - decay0, 0.0, peak1, warm, decay1)
    return np.where(t < decay0, first, second)


def _optax_piecewise_constant(init_value, b1, s1, b2, s2):
    return lro.piecewise_constant_schedule(init_value, [(b1, s1), (b2, s2)])


def _optax_piecewise_interpolate(init_value, b1, s1, b2, s2, kind="linear"):
    return lro.piecewise_interpolate_schedule(kind, init_value, [(b1, s1), (b2, s2)])


def _optax_sgdr(peak0, decay0, peak1, decay1, warm):
    return lro.sgdr_schedule(
        [
            dict(init_value=0.0, peak_value=peak0, warmup_steps=warm, decay_steps=decay0),
            dict(init_value=0.0, peak_value=peak1, warmup_steps=warm, decay_steps=decay1),
        ]
    )


# -- Keras references -------------------------------------------------------------------


def ref_keras_exponential(t, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = t / decay_steps
    return initial_learning_rate * decay_rate ** (np.floor(p) if staircase else p)


def ref_keras_piecewise(t, boundaries, values):
    index = np.sum(np.asarray(t)[..., None] > np.asarray(boundaries), axis=-1)
    return np.asarray(values, np.float64)[index]


def ref_keras_polynomial(
    t, initial_learning_rate, decay_steps, end_learning_rate=1e-4, power=1.0, cycle=False
):
    t = np.asarray(t, np.float64)
    if cycle:
        horizon = decay_steps * np.where(t == 0, 1.0, np.ceil(t / decay_steps))
    else:
        horizon = decay_steps
        t = np.minimum(t, decay_steps)
    return (initial_learning_rate - end_learning_rate) * (
        1 - t / horizon
    ) ** power + end_learning_rate


def ref_keras_inverse_time(t, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = t / decay_steps
    return initial_learning_rate / (1 + decay_rate * (np.floor(p) if staircase else p))


def ref_keras_cosine(
    t, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0
):
    if warmup_target is None:
        return initial_learning_rate * (
            (1 - alpha) * _cos(np.minimum(t, decay_steps) / decay_steps) + alpha
        )
    t = np.minimum(t, decay_steps + warmup_steps)
    ramp = (warmup_target - initial_learning_rate) * t / max(
        warmup_steps, 1
    ) + initial_learning_rate
    decay = warmup_target * ((1 - alpha) * _cos((t - warmup_steps) / decay_steps) + alpha)
    return np.where(t < warmup_steps, ramp, decay)


def ref_keras_restarts(
    t, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0
):
    t = np.asarray(t, np.float64)
    f = t / first_decay_steps
    if t_mul == 1.0:
        i = np.floor(f)
    else:
        i = np.floor(np.log1p(f * (t_mul - 1)) / np.log(t_mul))
        # Exact integer comparison at the cycle starts (the float64 log can land below).
        i = np.where(f >= (t_mul ** (i + 1) - 1) / (t_mul - 1) - 1e-9, i + 1, i)
    start = i if t_mul == 1.0 else (t_mul**i - 1) / (t_mul - 1)
    frac = (f - start) / t_mul**i
    return initial_learning_rate * ((1 - alpha) * m_mul**i * _cos(frac) + alpha)


CASES: list[Case] = [
    # optax ---------------------------------------------------------------------------
    Case(
        "optax_constant",
        lro.constant_schedule,
        dict(value=0.3),
        ref_optax_constant,
        dict(value=[0.1, -2.0]),
        end=0,
    ),
    Case(
        "optax_linear",
        lro.linear_schedule,
        dict(init_value=1.0, end_value=0.1, transition_steps=40, transition_begin=5),
        ref_optax_linear,
        dict(
            init_value=[0.5, 2.0],
            end_value=[0.0, 3.0],
            transition_steps=[0, 1, -2, 100],
            transition_begin=[0, -3, 50],
        ),
        end=45,
    ),
    Case(
        "optax_polynomial",
        lro.polynomial_schedule,
        dict(init_value=1.0, end_value=0.01, power=2.0, transition_steps=80, transition_begin=3),
        ref_optax_poly,
        dict(power=[0.5, 1.0, 3.0], transition_steps=[0, 1, 200], transition_begin=[0, 20]),
        end=83,
        rtol=4e-6,
    ),
    Case(
        "optax_piecewise_constant",
        _optax_piecewise_constant,
        dict(init_value=1.0, b1=10, s1=0.5, b2=25, s2=0.1),
        ref_optax_piecewise_constant,
        dict(init_value=[2.0], b1=[0, 30], s1=[2.0, 0.0], b2=[1, 60], s2=[0.3]),
        end=60,
    ),
    Case(
        "optax_piecewise_interpolate_linear",
        _optax_piecewise_interpolate,
        dict(init_value=1.0, b1=10, s1=0.5, b2=25, s2=0.1),
        ref_optax_piecewise_interpolate,
        dict(init_value=[2.0], b1=[0, 5], s1=[2.0, 0.0], b2=[11, 60], s2=[0.3]),
        end=60,
        rtol=4e-6,
    ),
    Case(
        "optax_piecewise_interpolate_cosine",
        _optax_piecewise_interpolate,
        dict(init_value=1.0, b1=10, s1=0.5, b2=25, s2=0.1, kind="cosine"),
        ref_optax_piecewise_interpolate,
        dict(init_value=[2.0], b1=[0, 5], s1=[2.0], b2=[11, 60], s2=[0.3]),
        end=60,
        rtol=4e-6,
    ),
    Case(
        "optax_exponential",
        lro.exponential_decay,
        dict(init_value=1.0, transition_steps=10, decay_rate=0.5, transition_begin=5),
        ref_optax_exponential,
        dict(decay_rate=[0.0, 0.9, 1.0], transition_steps=[0, 1, 100], transition_begin=[-2, 30]),
        rtol=4e-6,
    ),
    Case(
        "optax_exponential_staircase_end",
        lro.exponential_decay,
        dict(init_value=1.0, transition_steps=7, decay_rate=2.0, staircase=True, end_value=5.0),
        ref_optax_exponential,
        dict(decay_rate=[1.5, 3.0, 0.5], end_value=[0.2, 10.0], transition_steps=[1, 30]),
    ),
    Case(
        "optax_cosine",
        lro.cosine_decay_schedule,
        dict(init_value=2.0, decay_steps=100, alpha=0.1, exponent=1.0),
        ref_optax_cosine,
        dict(init_value=[0.5], decay_steps=[1, 10, 1000], alpha=[0.0, 0.5], exponent=[2.0]),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "optax_warmup_cosine",
        lro.warmup_cosine_decay_schedule,
        dict(
            init_value=0.1,
            peak_value=1.0,
            warmup_steps=10,
            decay_steps=100,
            end_value=0.01,
            exponent=1.0,
        ),
        ref_optax_warmup_cosine,
        dict(
            init_value=[0.0],
            peak_value=[0.0, 2.0],
            warmup_steps=[0, 1, 50],
            decay_steps=[51, 500],
            end_value=[0.0, 0.2],
            exponent=[2.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "optax_warmup_exponential",
        lro.warmup_exponential_decay_schedule,
        dict(
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=5,
            transition_steps=10,
            decay_rate=0.5,
            transition_begin=3,
            end_value=0.05,
        ),
        ref_optax_warmup_exponential,
        dict(
            warmup_steps=[0, 20],
            transition_steps=[0, 3],
            decay_rate=[0.0, 0.9],
            end_value=[0.3],
            peak_value=[2.0],
        ),
    ),
    Case(
        "optax_warmup_constant",
        lro.warmup_constant_schedule,
        dict(init_value=0.1, peak_value=1.0, warmup_steps=20),
        ref_optax_warmup_constant,
        dict(init_value=[0.0], peak_value=[2.0], warmup_steps=[0, 1, 60]),
        end=20,
    ),
    Case(
        "optax_linear_onecycle",
        lro.linear_onecycle_schedule,
        # T = 97: pct * T is not an integer, so int() is locally constant (finite differences).
        dict(
            transition_steps=97,
            peak_value=1.0,
            pct_start=0.3,
            pct_final=0.85,
            div_factor=25.0,
            final_div_factor=1e4,
        ),
        ref_optax_linear_onecycle,
        dict(
            transition_steps=[3, 37, 100],
            peak_value=[2.0],
            pct_start=[0.0, 0.25, 0.5],
            pct_final=[0.5, 1.0],
            div_factor=[10.0],
            final_div_factor=[100.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "optax_cosine_onecycle",
        lro.cosine_onecycle_schedule,
        dict(
            transition_steps=97,
            peak_value=1.0,
            pct_start=0.3,
            div_factor=25.0,
            final_div_factor=1e4,
        ),
        ref_optax_cosine_onecycle,
        dict(
            transition_steps=[3, 37, 100],
            peak_value=[2.0],
            pct_start=[0.0, 0.25, 1.0],
            div_factor=[10.0],
            final_div_factor=[100.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "optax_sgdr",
        _optax_sgdr,
        dict(peak0=1.0, decay0=30, peak1=0.5, decay1=40, warm=5),
        ref_optax_sgdr,
        dict(peak0=[2.0], decay0=[6, 50], peak1=[0.0, 1.0], decay1=[6, 100], warm=[0, 1]),
        end=70,
        rtol=4e-6,
    ),
    # Keras ---------------------------------------------------------------------------
    Case(
        "keras_exponential",
        lrk.ExponentialDecay,
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.96),
        ref_keras_exponential,
        dict(initial_learning_rate=[1.0], decay_steps=[1, 100], decay_rate=[0.5, 1.5]),
        rtol=4e-6,
    ),
    Case(
        "keras_exponential_staircase",
        lrk.ExponentialDecay,
        dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.96, staircase=True),
        ref_keras_exponential,
        dict(decay_steps=[1, 30], decay_rate=[0.5]),
        rtol=4e-6,
    ),
    Case(
        "keras_piecewise",
        lrk.PiecewiseConstantDecay,
        dict(boundaries=[10, 20, 35], values=[1.0, 0.5, 0.1, 0.01]),
        ref_keras_piecewise,
        dict(boundaries=[[0, 5, 6], [1, 100, 1000]], values=[[2.0, 1.0, 0.0, 3.0]]),
        end=36,
    ),
    Case(
        "keras_polynomial",
        lrk.PolynomialDecay,
        dict(initial_learning_rate=1.0, decay_steps=50, end_learning_rate=1e-4, power=1.0),
        ref_keras_polynomial,
        dict(
            initial_learning_rate=[0.5],
            decay_steps=[1, 200],
            end_learning_rate=[0.0, 0.3],
            power=[0.5, 2.0],
        ),
        end=50,
        rtol=4e-6,
    ),
    Case(
        "keras_polynomial_cycle",
        lrk.PolynomialDecay,
        dict(
            initial_learning_rate=1.0, decay_steps=13, end_learning_rate=0.1, power=2.0, cycle=True
        ),
        ref_keras_polynomial,
        dict(
            initial_learning_rate=[0.5],
            decay_steps=[1, 7, 200],
            end_learning_rate=[0.0],
            power=[0.5, 1.0],
        ),
        rtol=4e-6,
    ),
    Case(
        "keras_inverse_time",
        lrk.InverseTimeDecay,
        dict(initial_learning_rate=1.0, decay_steps=10, decay_rate=0.5),
        ref_keras_inverse_time,
        dict(initial_learning_rate=[0.1], decay_steps=[1, 100], decay_rate=[0.0, 2.0]),
    ),
    Case(
        "keras_inverse_time_staircase",
        lrk.InverseTimeDecay,
        dict(initial_learning_rate=1.0, decay_steps=10, decay_rate=0.5, staircase=True),
        ref_keras_inverse_time,
        dict(decay_steps=[3, 30]),
    ),
    Case(
        "keras_cosine",
        lrk.CosineDecay,
        dict(initial_learning_rate=1.0, decay_steps=100, alpha=0.1),
        ref_keras_cosine,
        dict(initial_learning_rate=[0.5], decay_steps=[1, 1000], alpha=[0.0, 0.5]),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "keras_cosine_warmup",
        lrk.CosineDecay,
        dict(
            initial_learning_rate=0.0, decay_steps=90, alpha=0.1, warmup_target=1.0, warmup_steps=10
        ),
        ref_keras_cosine,
        dict(
            initial_learning_rate=[0.5],
            decay_steps=[1, 300],
            alpha=[0.0],
            warmup_target=[2.0, 0.1],
            warmup_steps=[0, 1, 50],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "keras_cosine_restarts",
        lrk.CosineDecayRestarts,
        dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.7, alpha=0.1),
        ref_keras_restarts,
        dict(
            initial_learning_rate=[0.5],
            first_decay_steps=[1, 33],
            t_mul=[1.0, 1.5, 3.0],
            m_mul=[1.0, 0.5],
            alpha=[0.0, 0.3],
        ),
        rtol=2e-5,
    ),
]
