"""Parity of ``lrjax.compat.transformers`` with the real Hugging Face schedulers (5.23).

``peers.hf_curve`` / ``peers.hf_function_curve`` run the ``Trainer`` loop on a torch SGD
(``param_groups[0]["lr"]`` before each update) over steps ``0 .. end + 20``; the lrjax
schedule must agree to 1e-6 relative (relative to the peak where the value is below 1e-6 of
it). Hyperparameters are float32-rounded for both sides (lrjax stores float32 leaves).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from peers import hf_curve, hf_function_curve

from lrjax.compat import transformers as lrh

RTOL = 1e-6
N_STEPS = 140
RNG = np.random.default_rng(7)


def f32(x: float) -> float:
    return float(np.float32(x))


def rel_error(ours, ref) -> float:
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    peak = np.max(np.abs(ref))
    return float(np.max(np.abs(ours - ref) / (np.maximum(np.abs(ref), 1e-6 * peak) + 1e-300)))


def curve(schedule, n: int) -> np.ndarray:
    return np.asarray(schedule(jnp.arange(N_STEPS)), np.float64)[:n]


def _configs():
    """(id, name, W, T, kwargs, end, hf-unclamped-after-end) for get_scheduler."""
    out = []
    grid = [(0, 1), (0, 10), (3, 3), (5, 2), (1, 2)] + [
        tuple(sorted(int(x) for x in RNG.integers(0, 60, size=2))) for _ in range(1)
    ]
    for k, (w, t) in enumerate(grid):
        nc = f32(RNG.choice([0.5, 0.5, 0.25, 1.0, RNG.uniform(0.1, 2.0)]))
        rate = f32(RNG.uniform(0.0, 0.5))
        end = max(w, t)
        hold = w + max(1, t - w) + 1  # HF's cosine is held from W + max(1, T - W) on
        out += [
            (f"linear{k}", "linear", w, t, {}, end, False),
            (f"cosine{k}", "cosine", w, t, {"num_cycles": nc}, hold, True),
            (
                f"restarts{k}",
                "cosine_with_restarts",
                w,
                t,
                {"num_cycles": int(RNG.integers(1, 4))},
                end,
                False,
            ),
            (
                f"polynomial{k}",
                "polynomial",
                w,
                t + (t == w),
                {"lr_end": f32(RNG.uniform(0, 1e-3)), "power": f32(RNG.uniform(0.5, 3))},
                end,
                False,
            ),
            (f"constant{k}", "constant", None, None, {}, 0, False),
            (f"constant_with_warmup{k}", "constant_with_warmup", w, None, {}, w, False),
            (
                f"inverse_sqrt{k}",
                "inverse_sqrt",
                w,
                None,
                {} if k % 2 else {"timescale": int(RNG.integers(1, 50))},
                w + 40,
                False,
            ),
            (
                f"cosine_with_min_lr{k}",
                "cosine_with_min_lr",
                w,
                t,
                {"num_cycles": nc, "min_lr_rate": rate},
                hold,
                True,
            ),
            (
                f"cosine_warmup_with_min_lr{k}",
                "cosine_warmup_with_min_lr",
                w,
                t,
                {"num_cycles": nc, "min_lr_rate": rate}
                if k % 2
                else {"min_lr": f32(rate * 0.1), "warmup_lr_rate": rate},
                hold - 1,
                True,
            ),
        ]
        d = int(RNG.integers(0, 8))
        out.append(
            (
                f"wsd{k}",
                "warmup_stable_decay",
                w,
                t + w + d,
                {
                    "num_decay_steps": d,
                    "warmup_type": ("linear", "cosine", "1-sqrt")[k % 3],
                    "decay_type": ("cosine", "1-sqrt", "linear")[k % 3],
                    "min_lr_ratio": rate,
                    "num_cycles": nc,
                },
                t + w + d,
                False,
            )
        )
    out.append(
        (
            "wsd_stable",
            "warmup_stable_decay",
            4,
            None,
            {"num_decay_steps": 5, "num_stable_steps": 7, "min_lr_ratio": 0.25},
            16,
            False,
        )
    )
    return out


CONFIGS = _configs()
MEASURED: dict[str, float] = {}
BASE = 0.37


@pytest.mark.parametrize("cfg", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_parity_with_transformers(cfg):
    ident, name, w, t, kwargs, end, rises = cfg
    n = end + 21
    ref = hf_curve(name, BASE, n, w, t, dict(kwargs))
    if rises:
        ours = curve(lrh.get_scheduler(name, BASE, w, t, {**kwargs, "hold_after_end": False}), n)
        held = curve(lrh.get_scheduler(name, BASE, w, t, kwargs), n)
        # Holding: equal to HF up to the end, constant after it.
        tol = RTOL if kwargs.get("num_cycles", 0.5) == 0.5 else 5e-5
        assert rel_error(held[:end], ref[:end]) <= tol
        np.testing.assert_array_equal(held[end - 1 :], held[end - 1])
    else:
        ours = curve(lrh.get_scheduler(name, BASE, w, t, kwargs), n)
    err = rel_error(ours, ref)
    MEASURED[ident] = err
    if kwargs.get("num_cycles", 0.5) != 0.5 and name != "cosine_with_restarts":
        # A general num_cycles wave is evaluated as sin(pi y)**2 with y rounded in float32:
        # near its interior zeros (and past the end) the error is ~1e-5 of the value.
        assert rel_error(ours, np.maximum(ref, 0)) <= 5e-5, ident
        return
    assert err <= RTOL, f"{ident}: relative error {err:.2e}"


@pytest.mark.parametrize(
    "fn,ours,kwargs",
    [
        (
            "get_cosine_schedule_with_warmup",
            lrh.get_cosine_schedule_with_warmup,
            dict(num_warmup_steps=4, num_training_steps=30, num_cycles=0.5, hold_after_end=False),
        ),
        (
            "get_cosine_with_min_lr_schedule_with_warmup",
            lrh.get_cosine_with_min_lr_schedule_with_warmup,
            dict(num_warmup_steps=4, num_training_steps=30, min_lr=0.01, hold_after_end=False),
        ),
        (
            "get_cosine_with_hard_restarts_schedule_with_warmup",
            lrh.get_cosine_with_hard_restarts_schedule_with_warmup,
            dict(num_warmup_steps=2, num_training_steps=32, num_cycles=3),
        ),
        (
            "get_polynomial_decay_schedule_with_warmup",
            lrh.get_polynomial_decay_schedule_with_warmup,
            dict(num_warmup_steps=3, num_training_steps=20, lr_end=1e-4, power=2.0),
        ),
        ("get_inverse_sqrt_schedule", lrh.get_inverse_sqrt_schedule, dict(num_warmup_steps=0)),
        (
            "get_wsd_schedule",
            lrh.get_wsd_schedule,
            dict(num_warmup_steps=3, num_decay_steps=6, num_training_steps=20, decay_type="1-sqrt"),
        ),
        (
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
            lrh.get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
            dict(
                num_warmup_steps=1,
                num_training_steps=9,
                min_lr_rate=0.5,
                warmup_lr_rate=0.25,
                hold_after_end=False,
            ),
        ),
    ],
)
def test_named_functions(fn, ours, kwargs):
    hf_kwargs = {k: x for k, x in kwargs.items() if k != "hold_after_end"}
    ref = hf_function_curve(fn, BASE, 50, **hf_kwargs)
    err = rel_error(curve(ours(BASE, **kwargs), 50), ref)
    MEASURED[fn] = err
    assert err <= RTOL


def test_polynomial_where_hf_divides_by_zero():
    """HF raises ZeroDivisionError at t = W when T == W; lrjax is lr_end from W on."""
    with pytest.raises(ZeroDivisionError):
        hf_curve("polynomial", BASE, 6, 3, 3, {"lr_end": 1e-4})
    s = lrh.get_scheduler("polynomial", BASE, 3, 3, {"lr_end": 1e-4})
    ref = hf_curve("polynomial", BASE, 3, 3, 3, {"lr_end": 1e-4})
    assert rel_error(curve(s, 3), ref) <= RTOL
    np.testing.assert_allclose(curve(s, 10)[3:], 1e-4, rtol=1e-6)


def test_off_by_one_would_be_caught():
    for ident, name, w, t, kwargs, end, _ in CONFIGS[:10]:
        ref = hf_curve(name, BASE, end + 5, w, t, dict(kwargs))
        ours = curve(lrh.get_scheduler(name, BASE, w, t, kwargs), end + 6)
        if np.allclose(ref[:-1], ref[1:]):
            continue
        assert rel_error(ours[1:], ref) > 1e-3, ident
        assert rel_error(np.concatenate([ours[:1], ours[:-2]]), ref) > 1e-3, ident


def test_errors():
    with pytest.raises(ValueError, match="requires `num_warmup_steps`"):
        lrh.get_scheduler("linear", 1.0)
    with pytest.raises(ValueError, match="requires `num_training_steps`"):
        lrh.get_scheduler("cosine", 1.0, 3)
    with pytest.raises(ValueError, match=r"name='greedy'\): greedy_lr\(factor=1.5\)"):
        lrh.get_scheduler("greedy", 1.0, scheduler_specific_kwargs=dict(factor=1.5))
    with pytest.raises(ValueError, match=r"name must be one of"):
        lrh.get_scheduler("sine", 1.0, 1, 2)
    with pytest.raises(ValueError, match=r"lr_end=1.0\): lr_end must be smaller"):
        lrh.get_polynomial_decay_schedule_with_warmup(1.0, 1, 5, lr_end=1.0)
    with pytest.raises(ValueError, match="only one of min_lr or min_lr_rate"):
        lrh.get_cosine_with_min_lr_schedule_with_warmup(1.0, 1, 5, min_lr=0.1, min_lr_rate=0.1)
    with pytest.raises(ValueError, match="stable phase would be negative"):
        lrh.get_wsd_schedule(1.0, 5, 5, num_training_steps=8)
    with pytest.raises(ValueError, match=r"get_wsd_schedule\(warmup_type='exp'\)"):
        lrh.get_wsd_schedule(1.0, 5, 5, num_training_steps=20, warmup_type="exp")


def test_report_measured():
    by_family: dict[str, float] = {}
    for ident, err in MEASURED.items():
        fam = ident.rstrip("0123456789")
        by_family[fam] = max(by_family.get(fam, 0.0), err)
    print("\nHF max relative error:", {k: f"{x:.1e}" for k, x in sorted(by_family.items())})
    assert all(x <= 5e-5 for x in by_family.values())
