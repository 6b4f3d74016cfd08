"""Issue 14's table for the numeric items (1, 2, 3, 4, 5, 9 and 8's complex case): category,
cases tried, correct. A script, not a test (tests/test_hardening_numeric.py holds the tests)::

    python tests/hardening_table.py

Run from the repository root. The cases come from the registry of tests/cases*.py (every
core, preset and compat schedule) plus the issue's own examples.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from cases import Case, all_cases  # noqa: E402

import lrjax  # noqa: E402
import lrjax.compat.keras as lrk  # noqa: E402
import lrjax.compat.timm as lrtimm  # noqa: E402
import lrjax.compat.torch as lrt  # noqa: E402
import lrjax.compat.transformers as lrh  # noqa: E402

CASES = all_cases()
STEPS = np.array([0, 1, 5, 57, 150, 333, 999, 10**5, 10**7], np.int32)


def _floats(case: Case) -> dict[str, float]:
    out = {}
    for name, p in inspect.signature(case.factory).parameters.items():
        x = case.kwargs.get(name, p.default)
        if isinstance(x, float):
            out[name] = x
    return out


def gradients_at_defaults() -> tuple[int, int]:
    """Item 1: d/dx at every float hyperparameter's value in the registry (defaults
    included) against float64 one-sided differences of the schedule under x64 (either
    side where a step sits on a jump, such as a restart)."""
    tried = ok = 0
    for case in CASES:
        for name, x in _floats(case).items():
            steps = STEPS[:7]

            def total(y: Any, name: str = name, case: Case = case, steps: Any = steps) -> Any:
                return jnp.sum(case.build(**{name: y})(steps))

            try:
                case.build(**{name: x + 1e-6 * max(abs(x), 1.0)})
            except (ValueError, OverflowError):
                continue  # on an upper bound: no one-sided difference from above
            tried += 1
            grad = float(jax.jit(jax.grad(total))(jnp.float32(x)))
            h = 1e-7 * max(abs(x), 1.0)
            try:
                case.build(**{name: x - h})
                sides = [1.0, -1.0]
            except (ValueError, OverflowError):
                sides = [1.0]  # on its lower bound (period_mul >= 1): from above only
            jax.config.update("jax_enable_x64", True)
            try:
                at = float(total(np.float64(x)))
                fds = [(float(total(np.float64(x + d * h))) - at) / (d * h) for d in sides]
            finally:
                jax.config.update("jax_enable_x64", False)
            # A step on a restart is a jump: the derivative is then one side's.
            good = bool(
                np.isfinite(grad) and any(abs(grad - fd) <= 5e-3 * max(abs(fd), 1.0) for fd in fds)
            )
            fd = fds[0]
            ok += good
            if not good:
                print(f"  wrong: {case.name} d/d{name} at {x}: {grad} vs {fd}", file=sys.stderr)
    return tried, ok


GROWTH: list[Callable[[float], Any]] = [
    lambda g: lrjax.sgdr(1e-3, 1000, value_mul=g),
    lambda g: lrjax.sgdr(1e-3, 1000, value_mul=g, warmup_steps=10),
    lambda g: lrjax.cycle(lrjax.linear(1.0, 0.0, 100), 100, value_mul=g),
    lambda g: lrk.CosineDecayRestarts(1.0, 100, m_mul=g),
    lambda g: lrtimm.step_lr(1.0, decay_t=3, decay_rate=g),
    lambda g: lrtimm.multistep_lr(1.0, decay_t=list(range(1, 2000)), decay_rate=g),
    lambda g: lrtimm.cosine_lr(1.0, 10, cycle_decay=g, cycle_limit=10**6),
    lambda g: lrt.multistep_lr(1.0, milestones=list(range(1, 2000)), gamma=g),
    lambda g: lrt.exponential_lr(1.0, gamma=g),
    lambda g: lrt.step_lr(1.0, step_size=1, gamma=g),
    lambda g: lrjax.exponential_decay(1.0, decay_rate=g, transition_steps=1),
    lambda g: lrk.ExponentialDecay(1.0, 1, g),
]


def growth() -> tuple[int, int]:
    """Item 2: finite values and gradients up to step 2**31 - 1 for factors above 1."""
    tried = ok = 0
    steps = np.array([0, 10**5, 10**7, 2**31 - 1], np.int32)
    for build in GROWTH:
        for g in [1.001, 1.01, 2.0, 10.0]:
            tried += 1
            values = np.asarray(build(g)(steps))
            grad = jax.grad(lambda x, b=build: jnp.sum(b(x)(steps)))(g)
            ok += bool(np.all(np.isfinite(values)) and np.isfinite(float(grad)))
    return tried, ok


def dtypes() -> tuple[int, int]:
    """Item 3: every numeric argument of every registry case as bf16, float16, int16."""
    tried = ok = 0
    for case in CASES:
        for name, x in case.kwargs.items():
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                continue
            kinds = [jnp.bfloat16, np.float16] if isinstance(x, float) else [np.int16]
            for kind in kinds:
                typed = kind(x)
                plain = float(typed) if isinstance(x, float) else int(typed)
                if plain != x and isinstance(x, int):
                    continue
                tried += 1
                try:
                    want = np.asarray(case.build(**{name: plain})(STEPS[:6]))
                except (ValueError, OverflowError) as err:
                    try:
                        case.build(**{name: typed})
                    except type(err):
                        ok += 1
                    continue
                try:
                    got = np.asarray(case.build(**{name: typed})(STEPS[:6]))
                    ok += bool(np.array_equal(got, want))
                except Exception:  # noqa: BLE001 - counted as wrong
                    pass
    return tried, ok


def _refused(build: Callable[[], Any], error: type[Exception], *words: str) -> bool:
    try:
        build()
    except error as err:
        return all(w in str(err) for w in words)
    except Exception:  # noqa: BLE001 - a raw error is wrong
        return False
    return False


def _any(x: object) -> Any:
    return x


COERCION = [
    (lambda: lrjax.piecewise_constant([10], _any(["0.1", True])), "values[0]"),
    (lambda: lrjax.piecewise_constant([10], _any([0.1, True])), "values[1]"),
    (lambda: lrjax.piecewise_linear(_any([0, "10"]), [1.0, 0.0]), "boundaries[1]"),
    (lambda: lrjax.multistep_decay(1.0, _any([True, 10])), "milestones[0]"),
    (lambda: lrjax.join_schedules([1.0, 1.0, 1.0], _any([True, 20])), "boundaries[0]"),
    (lambda: lrjax.piecewise_constant([10], _any([1.0, None])), "values[1]"),
    (lambda: lrtimm.multistep_lr(1.0, decay_t=_any([3, False])), "decay_t[1]"),
    (lambda: lrt.multistep_lr(1.0, milestones=_any([True, 10])), "milestones"),
    (lambda: lrjax.piecewise_constant(_any([b"1"]), [1.0, 0.5]), "boundaries[0]"),
    (lambda: lrjax.piecewise_constant([10], _any([1.0, 1 + 2j])), "values[1]"),
    (lambda: lrjax.piecewise_constant([10], _any([1.0, np.complex64(2)])), "values[1]"),
]


def coercion() -> tuple[int, int]:
    """Items 4 and 8 (complex): strings, bools, None and complex numbers inside lists."""
    ok = sum(_refused(build, TypeError, word) for build, word in COERCION)
    return len(COERCION), ok


UNDERFLOW = [
    (lambda: lrjax.exponential_decay(1.0, decay_rate=1e-40, transition_steps=10), "decay_rate"),
    (lambda: lrjax.stretch(lrjax.constant(1.0), 1e-50), "factor"),
    (lambda: lrjax.noam(1e-50, 10), "d_model"),
    (lambda: lrtimm.step_lr(1.0, decay_t=1e-50), "decay_t"),
    (lambda: lrjax.divide(lrjax.constant(1.0), 1e-50), "right"),
    (lambda: lrjax.constant(1.0) / 1e-45, "right"),
    (lambda: lrjax.polynomial(1.0, 0.0, 1e-40, 10), "power"),
    (lambda: lrjax.rsqrt_decay(1.0, timescale=1e-42), "timescale"),
    (lambda: lrjax.cosine_decay(1.0, 10, exponent=1e-39), "exponent"),
    (lambda: lrt.exponential_lr(1.0, gamma=1e-45), "gamma"),
    (lambda: lrk.ExponentialDecay(1.0, 10, 1e-40), "decay_rate"),
    (lambda: lrh.get_inverse_sqrt_schedule(1.0, 10, timescale=_any(1e-40)), "timescale"),
]


def underflow() -> tuple[int, int]:
    """Item 5: positive arguments that float32 flushes to zero are refused by name."""
    ok = sum(_refused(build, ValueError, word, "1.1754944e-38") for build, word in UNDERFLOW)
    return len(UNDERFLOW), ok


def one_number() -> tuple[int, int]:
    """Item 9: s(t) == s(array)[t] to 1 ulp, for every registry case and the issue's."""
    extra = [
        lrjax.cycle(
            lrjax.warmup(lrjax.cosine_decay(1.0, 90, end_value=0.05), 10), 100, period_mul=1.2
        ),
        lrjax.sgdr(1.0, 37, period_mul=1.3),
        lrt.one_cycle_lr(1.0, total_steps=1000),
    ]
    schedules = [case.build() for case in CASES] + extra
    steps = np.concatenate([np.arange(0, 3000, 13), np.arange(498_200, 498_400, 7)]).astype(
        np.int32
    )
    ok = 0
    for s in schedules:
        array = np.asarray(s(jnp.asarray(steps)))
        scalar = np.array([np.asarray(s(int(t))) for t in steps], np.float32)
        ulps = np.abs(array.view(np.int32).astype(np.int64) - scalar.view(np.int32))
        ok += bool(np.max(ulps) <= 1)
        if np.max(ulps) > 1:
            print(f"  wrong: {s.factory} differs by {np.max(ulps)} ulp", file=sys.stderr)
    return len(schedules), ok


def main() -> None:
    rows = [
        ("1. gradient at default values (every float hyperparameter)", gradients_at_defaults),
        ("2. growth factors > 1: finite values and gradients", growth),
        ("3. every real dtype (bf16, float16, int16) accepted", dtypes),
        ("4, 8. str/bool/None/complex inside lists refused by index", coercion),
        ("5. positive arguments that flush to zero refused", underflow),
        ("9. s(t) == s(array)[t] within 1 ulp", one_number),
    ]
    print(f"| {'category':<62} | cases tried | correct |")
    print(f"|{'-' * 64}|-------------|---------|")
    for label, run in rows:
        tried, ok = run()
        print(f"| {label:<62} | {tried:>11} | {ok:>7} |", flush=True)


if __name__ == "__main__":
    main()
