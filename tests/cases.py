"""The registry of schedules under test, each with a float64 NumPy reference.

A :class:`Case` names a factory, its keyword arguments, a float64 NumPy reference written
once per family, and alternative values for each numeric argument (for the vmap, grad
and one-trace tests in ``test_transforms.py``). Core cases live here; other modules add
theirs in files named ``tests/cases_*.py`` exposing a ``CASES`` list, which
:func:`all_cases` discovers, so every preset and compat schedule runs the same suite.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import lrjax

Reference = Callable[..., np.ndarray]


@dataclasses.dataclass(frozen=True)
class Case:
    """One schedule configuration under test.

    Attributes:
      name: a unique test id.
      factory: the public function that builds the schedule.
      kwargs: its arguments (Python numbers, lists, strings, child schedules).
      reference: ``reference(steps, **kwargs) -> float64 array`` for integer ``steps >= 0``
        (a NumPy array of int64), or None when the family is defined by composition only
        and checked elsewhere.
      sweeps: for each numeric argument, other valid values: vmap over them must equal a
        Python loop, and a jitted function must not retrace for them.
      end: a step from which the schedule holds its final value, or None if unbounded.
      rtol: tolerance against the reference (float32 rounding; looser where the family
        documents it).
    """

    name: str
    factory: Callable[..., lrjax.AbstractSchedule]
    kwargs: Mapping[str, Any]
    reference: Reference | None
    sweeps: Mapping[str, list[Any]] = dataclasses.field(default_factory=dict)
    end: int | None = None
    rtol: float = 2e-6

    def build(self, **overrides: Any) -> lrjax.AbstractSchedule:
        return self.factory(**{**self.kwargs, **overrides})

    def expected(self, steps: np.ndarray) -> np.ndarray:
        assert self.reference is not None
        return np.asarray(self.reference(np.asarray(steps, np.int64), **self.kwargs), np.float64)

    def __repr__(self) -> str:
        return self.name


# -- float64 references, one per family ------------------------------------------------


def ref_constant(t, value):
    return np.full(np.shape(t), float(value))


def ref_linear(t, init_value, end_value, transition_steps, transition_begin=0):
    elapsed = np.clip(t - transition_begin, 0, transition_steps)
    if transition_steps == 0:
        return np.where(t >= transition_begin, end_value, init_value).astype(np.float64)
    return end_value + (init_value - end_value) * (transition_steps - elapsed) / transition_steps


def ref_polynomial(t, init_value, end_value, power, transition_steps, transition_begin=0):
    elapsed = np.clip(t - transition_begin, 0, transition_steps)
    frac = (transition_steps - elapsed) / transition_steps
    return end_value + (init_value - end_value) * frac**power


def ref_cosine_decay(t, init_value, decay_steps, end_value=0.0, exponent=1.0):
    x = np.minimum(t, decay_steps) / decay_steps
    return end_value + (init_value - end_value) * (0.5 * (1 + np.cos(np.pi * x))) ** exponent


def ref_exponential_decay(
    t, init_value, decay_rate, transition_steps, transition_begin=0, staircase=False, end_value=None
):
    p = np.maximum(t - transition_begin, 0) / transition_steps
    if staircase:
        p = np.floor(p)
    with np.errstate(over="ignore", under="ignore"):
        v = init_value * decay_rate**p
    if end_value is not None:
        v = np.maximum(v, end_value) if decay_rate < 1 else np.minimum(v, end_value)
    return v


def ref_inverse_time_decay(t, init_value, decay_rate, decay_steps, staircase=False):
    p = t / decay_steps
    if staircase:
        p = np.floor(p)
    return init_value / (1 + decay_rate * p)


def ref_rsqrt_decay(t, init_value, timescale=1.0, end_value=None):
    v = init_value / np.sqrt(1 + t / timescale)
    return v if end_value is None else np.maximum(v, end_value)


def ref_rex_decay(t, init_value, decay_steps, end_value=0.0):
    if decay_steps == 0:
        z = np.ones(np.shape(t))  # a zero-length decay is over from step 0
    else:
        z = np.minimum(t, decay_steps) / decay_steps
    return end_value + (init_value - end_value) * (1 - z) / (0.5 + 0.5 * (1 - z))


def ref_piecewise_constant(t, boundaries, values):
    return np.asarray(values, np.float64)[np.searchsorted(boundaries, t, side="right")]


def ref_piecewise_linear(t, boundaries, values):
    return np.interp(t, boundaries, values)


def _ref_of(schedule) -> Callable[[np.ndarray], np.ndarray]:
    """A float64 reference for a child schedule given as a (factory, kwargs) pair."""
    factory, kwargs = schedule
    reference = {
        lrjax.constant: ref_constant,
        lrjax.linear: ref_linear,
        lrjax.polynomial: ref_polynomial,
        lrjax.cosine_decay: ref_cosine_decay,
        lrjax.exponential_decay: ref_exponential_decay,
        lrjax.rsqrt_decay: ref_rsqrt_decay,
    }[factory]
    return lambda t: reference(np.asarray(t, np.float64), **kwargs)


def ref_warmup_cosine(
    t, peak, warmup_steps, decay_steps, init_value=0.0, end_value=0.0, decay_peak=None
):
    """Hand-written warmup + cosine (for the combinator cases); the cosine starts from
    ``decay_peak`` if given (a jump at the hand-off), else from ``peak``."""
    t = np.asarray(t, np.float64)
    ramp = init_value + (peak - init_value) * t / max(warmup_steps, 1)
    start = peak if decay_peak is None else decay_peak
    decay = ref_cosine_decay(np.maximum(t - warmup_steps, 0), start, decay_steps, end_value)
    return np.where(t < warmup_steps, ramp, decay)


def ref_warmup_to_peak(t, peak, warmup_steps, decay_peak, decay_steps, init_value=0.0):
    """A warmup to its own peak, then a cosine from another value."""
    return ref_warmup_cosine(t, peak, warmup_steps, decay_steps, init_value, decay_peak=decay_peak)


def ref_join_linear_cosine(t, init, peak, warm, decay):
    return ref_warmup_cosine(t, peak, warm, decay, init_value=init)


def _make_join_linear_cosine(init, peak, warm, decay):
    return lrjax.join_schedules(
        [lrjax.linear(init, peak, warm), lrjax.cosine_decay(peak, decay)], [warm]
    )


def _make_warmup_cosine(peak, warmup_steps, decay_steps, init_value=0.0, end_value=0.0):
    return lrjax.warmup(
        lrjax.cosine_decay(peak, decay_steps, end_value=end_value),
        warmup_steps,
        init_value=init_value,
    )


def _make_warmup_to_peak(peak, warmup_steps, decay_peak, decay_steps, init_value=0.0):
    return lrjax.warmup(
        lrjax.cosine_decay(decay_peak, decay_steps),
        warmup_steps,
        init_value=init_value,
        peak_value=peak,
    )


def _make_cycle_linear(init, period, value_mul, num_cycles):
    return lrjax.cycle(
        lrjax.linear(init, 0.0, period), period, value_mul=value_mul, num_cycles=num_cycles
    )


def ref_cycle_linear(t, init, period, value_mul, num_cycles):
    k = np.minimum(t // period, num_cycles - 1)
    local = np.where(t // period >= num_cycles, period, t % period)
    return value_mul**k * init * (period - local) / period


def _make_shift_cosine(init, decay, delay):
    return lrjax.shift(lrjax.cosine_decay(init, decay), delay)


def ref_shift_cosine(t, init, decay, delay):
    return ref_cosine_decay(np.maximum(t - delay, 0), init, decay)


def _make_quantize_linear(init, total, every):
    return lrjax.quantize(lrjax.linear(init, 0.0, total), every)


def ref_quantize_linear(t, init, total, every):
    return ref_linear(every * (t // every), init, 0.0, total)


def _make_scaled_sum(a, b, total):
    return a * lrjax.linear(1.0, 0.0, total) + lrjax.constant(b)


def ref_scaled_sum(t, a, b, total):
    return a * ref_linear(t, 1.0, 0.0, total) + b


def _make_min_max(peak, total, floor, cap):
    decay = lrjax.cosine_decay(peak, total)
    return lrjax.clip(lrjax.maximum(lrjax.minimum(decay, cap), floor), 0.0, 10.0)


def ref_min_max(t, peak, total, floor, cap):
    return np.clip(np.maximum(np.minimum(ref_cosine_decay(t, peak, total), cap), floor), 0, 10)


CORE_CASES: list[Case] = [
    Case("constant", lrjax.constant, dict(value=0.3), ref_constant, dict(value=[0.1, 2.0]), end=0),
    Case(
        "linear",
        lrjax.linear,
        dict(init_value=1.0, end_value=0.1, transition_steps=100, transition_begin=5),
        ref_linear,
        dict(
            init_value=[0.5, 2.0],
            end_value=[0.0, 0.3],
            transition_steps=[1, 7, 300],
            transition_begin=[0, 50],
        ),
        end=105,
    ),
    Case(
        "linear_up",
        lrjax.linear,
        dict(init_value=0.0, end_value=2e-3, transition_steps=37),
        ref_linear,
        dict(transition_steps=[0, 3]),
        end=37,
    ),
    Case(
        "polynomial",
        lrjax.polynomial,
        dict(init_value=1.0, end_value=0.01, power=2.0, transition_steps=80, transition_begin=3),
        ref_polynomial,
        dict(power=[0.5, 1.0, 3.0], transition_steps=[10, 200], transition_begin=[0, 20]),
        end=83,
        rtol=4e-6,
    ),
    Case(
        "cosine_decay",
        lrjax.cosine_decay,
        dict(init_value=1.0, decay_steps=100, end_value=0.0, exponent=1.0),
        ref_cosine_decay,
        dict(init_value=[0.5, 3.0], decay_steps=[1, 10, 1000], end_value=[0.1], exponent=[2.0]),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "exponential_decay",
        lrjax.exponential_decay,
        dict(init_value=1.0, decay_rate=0.5, transition_steps=10, transition_begin=5),
        ref_exponential_decay,
        dict(decay_rate=[0.1, 0.9], transition_steps=[1, 100], transition_begin=[0, 30]),
        rtol=4e-6,
    ),
    Case(
        "exponential_staircase_floor",
        lrjax.exponential_decay,
        dict(init_value=1.0, decay_rate=0.5, transition_steps=10, staircase=True, end_value=0.05),
        ref_exponential_decay,
        dict(end_value=[0.0, 0.2], transition_steps=[3, 40]),
    ),
    Case(
        "exponential_growth_cap",
        lrjax.exponential_decay,
        dict(init_value=0.1, decay_rate=2.0, transition_steps=10, end_value=1.0),
        ref_exponential_decay,
        dict(decay_rate=[1.5, 3.0]),
    ),
    Case(
        "inverse_time_decay",
        lrjax.inverse_time_decay,
        dict(init_value=1.0, decay_rate=0.5, decay_steps=10),
        ref_inverse_time_decay,
        dict(decay_rate=[0.0, 2.0], decay_steps=[1, 100]),
    ),
    Case(
        "inverse_time_staircase",
        lrjax.inverse_time_decay,
        dict(init_value=1.0, decay_rate=0.5, decay_steps=10, staircase=True),
        ref_inverse_time_decay,
        dict(decay_steps=[3, 30]),
    ),
    Case(
        "rex_decay",
        lrjax.rex_decay,
        dict(init_value=1.0, decay_steps=100, end_value=0.01),
        ref_rex_decay,
        dict(init_value=[0.5, 3.0], decay_steps=[1, 10, 1000], end_value=[0.0, 2.0]),
        end=100,
    ),
    Case(
        "rex_decay_warmup_from_zero",
        lrjax.rex_decay,
        dict(init_value=0.0, decay_steps=1000, end_value=1.0),
        ref_rex_decay,
        dict(decay_steps=[0, 7]),
        end=1000,
    ),
    Case(
        "rsqrt_decay",
        lrjax.rsqrt_decay,
        dict(init_value=1.0, timescale=100.0),
        ref_rsqrt_decay,
        dict(timescale=[1.0, 1e4], init_value=[0.5]),
    ),
    Case(
        "rsqrt_decay_floor",
        lrjax.rsqrt_decay,
        dict(init_value=1.0, timescale=10.0, end_value=0.2),
        ref_rsqrt_decay,
        dict(end_value=[0.0, 0.5]),
    ),
    Case(
        "piecewise_constant",
        lrjax.piecewise_constant,
        dict(boundaries=[10, 20, 35], values=[1.0, 0.5, 0.1, 0.01]),
        ref_piecewise_constant,
        dict(boundaries=[[0, 5, 6], [1, 100, 1000]], values=[[2.0, 1.0, 0.0, 3.0]]),
        end=35,
    ),
    Case(
        "piecewise_constant_many",
        lrjax.piecewise_constant,
        dict(boundaries=list(range(3, 300, 3)), values=[1.0 / (i + 1) for i in range(100)]),
        ref_piecewise_constant,
        dict(boundaries=[list(range(1, 100))]),
        end=297,
    ),
    Case(
        "piecewise_linear",
        lrjax.piecewise_linear,
        dict(boundaries=[5, 10, 30, 31], values=[0.0, 1.0, 0.2, 0.7]),
        ref_piecewise_linear,
        dict(boundaries=[[0, 1, 2, 3], [10, 100, 200, 1000]], values=[[1.0, 0.0, 1.0, 0.0]]),
        end=31,
    ),
    Case(
        "piecewise_linear_many",
        lrjax.piecewise_linear,
        dict(boundaries=list(range(0, 400, 4)), values=[abs(np.sin(i)) for i in range(100)]),
        ref_piecewise_linear,
        end=396,
    ),
    Case(
        "warmup_cosine",
        _make_warmup_cosine,
        dict(peak=1.0, warmup_steps=10, decay_steps=90, init_value=0.1, end_value=0.01),
        ref_warmup_cosine,
        dict(
            peak=[0.5, 2.0],
            warmup_steps=[0, 1, 50],
            decay_steps=[1, 500],
            init_value=[0.0],
            end_value=[0.0, 0.2],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "warmup_to_peak",
        _make_warmup_to_peak,
        dict(peak=1.0, warmup_steps=10, decay_peak=0.6, decay_steps=90, init_value=0.1),
        ref_warmup_to_peak,
        dict(
            peak=[0.5, 2.0],
            warmup_steps=[0, 1, 50],
            decay_peak=[0.3],
            decay_steps=[1, 500],
            init_value=[0.0],
        ),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "join_linear_cosine",
        _make_join_linear_cosine,
        dict(init=0.0, peak=1.0, warm=10, decay=90),
        ref_join_linear_cosine,
        dict(peak=[0.5, 3.0], warm=[1, 40], decay=[5, 300], init=[0.5]),
        end=100,
        rtol=4e-6,
    ),
    Case(
        "cycle_linear",
        _make_cycle_linear,
        dict(init=1.0, period=10, value_mul=0.5, num_cycles=3),
        ref_cycle_linear,
        dict(init=[2.0], period=[1, 7], value_mul=[0.9, 1.0], num_cycles=[1, 5]),
        end=30,
    ),
    Case(
        "shift_cosine",
        _make_shift_cosine,
        dict(init=1.0, decay=50, delay=7),
        ref_shift_cosine,
        dict(decay=[3, 100], delay=[0, 100]),
        end=57,
        rtol=4e-6,
    ),
    Case(
        "quantize_linear",
        _make_quantize_linear,
        dict(init=1.0, total=60, every=7),
        ref_quantize_linear,
        dict(every=[1, 13], total=[10, 100]),
        end=63,
    ),
    Case(
        "scaled_sum",
        _make_scaled_sum,
        dict(a=2.0, b=0.1, total=40),
        ref_scaled_sum,
        dict(a=[0.5, 3.0], b=[0.0, 1.0], total=[1, 80]),
        end=40,
    ),
    Case(
        "min_max_clip",
        _make_min_max,
        dict(peak=1.0, total=50, floor=0.1, cap=0.8),
        ref_min_max,
        dict(floor=[0.0, 0.3], cap=[0.5, 1.0], total=[5, 100]),
        end=50,
        rtol=4e-6,
    ),
]


def all_cases() -> list[Case]:
    """Core cases plus every ``CASES`` list in ``tests/cases_*.py``."""
    cases = list(CORE_CASES)
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        cases.extend(module.CASES)
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case names: {duplicates}"
    return cases
