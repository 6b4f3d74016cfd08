"""Parity of ``lrjax.compat.torch`` with the real ``torch.optim.lr_scheduler`` (torch 2.13).

Each configuration is run through torch's documented loop by ``peers.torch_curve``
(``param_groups[0]["lr"]`` before each ``optimizer.step()``) over steps ``0 .. end + 20`` and
compared with the lrjax schedule at the same steps: relative error <= 1e-6, measured
relative to the peak where the value itself is below 1e-6 of it (lrjax is float32, torch
float64). Configurations are seeded random draws plus degenerate lengths.
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from peers import torch_curve

from lrjax.compat import torch as lrt

L = torch.optim.lr_scheduler
RTOL = 1e-6
# exponential_decay evaluates gamma**t as exp(t * log(gamma)) in float32: the rounding of
# log(gamma) is amplified by |t log(gamma)| (up to ~14 where the value is 1e-6 of the peak).
EXP_RTOL = 2e-6
G09 = float(np.float32(0.9))
N_STEPS = 160  # every curve is evaluated on one step array (one compilation per structure)


class _Rng:
    """Seeded draws, rounded to float32: lrjax stores hyperparameters in float32, so torch
    gets the same values (otherwise ``gamma**t`` alone differs by ``t * 3e-8``)."""

    def __init__(self, seed: int):
        self._rng = np.random.default_rng(seed)

    def uniform(self, low: float, high: float) -> float:
        return float(np.float32(self._rng.uniform(low, high)))

    def integers(self, low: int, high: int, size: int | None = None):
        return self._rng.integers(low, high, size=size)

    def choice(self, options):
        return options[int(self._rng.integers(0, len(options)))]


RNG = _Rng(20240531)


def rel_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest ``|ours - ref| / max(|ref|, 1e-6 * peak)`` over the finite entries of ``ref``."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    ok = np.isfinite(ref)
    peak = np.max(np.abs(ref[ok])) if ok.any() else 0.0
    denom = np.maximum(np.abs(ref[ok]), 1e-6 * peak) + 1e-300
    return float(np.max(np.abs(ours[ok] - ref[ok]) / denom))


def curve(schedule, n: int) -> np.ndarray:
    assert n <= N_STEPS
    return np.asarray(schedule(jnp.arange(N_STEPS)), np.float64)[:n]


def _configs():
    """(id, lrjax schedule, torch scheduler factory, base lr, number of steps)."""
    out = []
    for i in range(2):
        b = float(RNG.uniform(1e-4, 2.0))
        s, g = int(RNG.integers(1, 15)), float(RNG.uniform(0.05, 1.5))
        out.append(
            (f"step{i}", lrt.step_lr(b, s, g), lambda o, s=s, g=g: L.StepLR(o, s, g), b, 3 * s + 20)
        )
        ms = sorted(int(m) for m in RNG.integers(0, 30, size=int(RNG.integers(1, 5))))
        out.append(
            (
                f"multistep{i}",
                lrt.multistep_lr(b, ms, g),
                lambda o, ms=ms, g=g: L.MultiStepLR(o, ms, g),
                b,
                max(ms) + 20,
            )
        )
        fac, n = float(RNG.uniform(0.0, 1.0)), int(RNG.integers(0, 12))
        out.append(
            (
                f"constant{i}",
                lrt.constant_lr(b, fac, n),
                lambda o, fac=fac, n=n: L.ConstantLR(o, fac, n),
                b,
                n + 20,
            )
        )
        sf, ef = float(RNG.uniform(0.01, 1.0)), float(RNG.uniform(0.0, 1.0))
        out.append(
            (
                f"linear{i}",
                lrt.linear_lr(b, sf, ef, n),
                lambda o, sf=sf, ef=ef, n=n: L.LinearLR(o, sf, ef, n),
                b,
                n + 20,
            )
        )
        gam = float(RNG.uniform(0.8, 1.05))
        out.append(
            (
                f"exponential{i}",
                lrt.exponential_lr(b, gam),
                lambda o, gam=gam: L.ExponentialLR(o, gam),
                b,
                60,
            )
        )
        p = float(RNG.uniform(0.3, 3.0))
        out.append(
            (
                f"polynomial{i}",
                lrt.polynomial_lr(b, n, p),
                lambda o, n=n, p=p: L.PolynomialLR(o, n, p),
                b,
                n + 20,
            )
        )
        tm, eta = int(RNG.integers(1, 40)), float(RNG.uniform(0, b))
        out.append(
            (
                f"cosine{i}",
                lrt.cosine_annealing_lr(b, tm, eta),
                lambda o, tm=tm, eta=eta: L.CosineAnnealingLR(o, tm, eta),
                b,
                tm + 1,
            )
        )
        out.append(
            (
                f"cosine_periodic{i}",
                lrt.cosine_annealing_lr(b, tm, eta, periodic=True),
                lambda o, tm=tm, eta=eta: L.CosineAnnealingLR(o, tm, eta),
                b,
                3 * tm + 20,
            )
        )
        t0, tmul = int(RNG.integers(1, 12)), int(RNG.integers(1, 4))
        out.append(
            (
                f"warm_restarts{i}",
                lrt.cosine_annealing_warm_restarts(b, t0, tmul, eta),
                lambda o, t0=t0, tmul=tmul, eta=eta: L.CosineAnnealingWarmRestarts(
                    o, t0, tmul, eta
                ),
                b,
                6 * t0 + 20,
            )
        )
        mode = ("triangular", "triangular2", "exp_range")[i % 3]
        up, down = int(RNG.integers(1, 10)), int(RNG.integers(0, 10)) if i != 0 else None
        top, cg = b * float(RNG.uniform(1.0, 10.0)), float(RNG.uniform(0.9, 1.0))
        out.append(
            (
                f"cyclic{i}_{mode}",
                lrt.cyclic_lr(b, top, up, down, mode, cg),
                lambda o, b=b, top=top, up=up, down=down, mode=mode, cg=cg: L.CyclicLR(
                    o,
                    b,
                    top,
                    up,
                    down,
                    mode,  # type: ignore[arg-type]
                    cg,
                    cycle_momentum=False,
                ),
                b,
                4 * (up + (down or up)) + 20,
            )
        )
        total = int(RNG.integers(2, 60))
        pct = float(RNG.choice([0.0, 0.25, 0.3, 0.45, 1.0, RNG.uniform(0.05, 0.95)]))
        if abs(pct * total - 1) < 1e-9:
            pct = 0.3 if abs(0.3 * total - 1) > 1e-9 else 0.5
        anneal, three = ("cos", "linear")[i % 2], i >= 2
        if three:
            pct = min(pct, 0.5)
        df, fdf = float(RNG.uniform(2, 30)), float(RNG.uniform(10, 1e4))
        out.append(
            (
                f"onecycle{i}",
                lrt.one_cycle_lr(
                    b,
                    total,
                    pct_start=pct,
                    anneal_strategy=anneal,
                    div_factor=df,
                    final_div_factor=fdf,
                    three_phase=three,
                ),
                lambda o, b=b, total=total, pct=pct, anneal=anneal, df=df, fdf=fdf, three=three: (
                    L.OneCycleLR(
                        o,
                        b,
                        total_steps=total,
                        pct_start=pct,
                        anneal_strategy=anneal,  # type: ignore[arg-type]
                        cycle_momentum=False,
                        div_factor=df,
                        final_div_factor=fdf,
                        three_phase=three,
                    )
                ),
                b,
                total,
            )
        )
    # Degenerate lengths.
    out += [
        ("step_size1", lrt.step_lr(1.0, 1, G09), lambda o: L.StepLR(o, 1, G09), 1.0, 30),
        (
            "multistep_repeated",
            lrt.multistep_lr(1.0, [3, 3, 0], 0.5),
            lambda o: L.MultiStepLR(o, [3, 3, 0], 0.5),
            1.0,
            25,
        ),
        (
            "constant_zero_iters",
            lrt.constant_lr(0.7, 0.25, 0),
            lambda o: L.ConstantLR(o, 0.25, 0),
            0.7,
            20,
        ),
        (
            "linear_zero_iters",
            lrt.linear_lr(0.7, 0.5, 1.0, 0),
            lambda o: L.LinearLR(o, 0.5, 1.0, 0),
            0.7,
            20,
        ),
        (
            "linear_to_zero",
            lrt.linear_lr(0.7, 1.0, 0.0, 4),
            lambda o: L.LinearLR(o, 1.0, 0.0, 4),
            0.7,
            20,
        ),
        (
            "poly_zero_iters",
            lrt.polynomial_lr(0.7, 0, 2.0),
            lambda o: L.PolynomialLR(o, 0, 2.0),
            0.7,
            20,
        ),
        (
            "cosine_tmax1",
            lrt.cosine_annealing_lr(1.0, 1, periodic=True),
            lambda o: L.CosineAnnealingLR(o, 1),
            1.0,
            21,
        ),
        (
            "cyclic_down0",
            lrt.cyclic_lr(0.1, 1.0, 3, 0),
            lambda o: L.CyclicLR(o, 0.1, 1.0, 3, 0, cycle_momentum=False),
            0.1,
            25,
        ),
        (
            "onecycle_T1",
            lrt.one_cycle_lr(1.0, 1),
            lambda o: L.OneCycleLR(o, 1.0, total_steps=1),
            1.0,
            1,
        ),
        (
            "onecycle_T2",
            lrt.one_cycle_lr(1.0, 2, pct_start=0.25),
            lambda o: L.OneCycleLR(o, 1.0, total_steps=2, pct_start=0.25),
            1.0,
            2,
        ),
        (
            "onecycle_epochs",
            lrt.one_cycle_lr(2.0, epochs=3, steps_per_epoch=7, three_phase=True),
            lambda o: L.OneCycleLR(o, 2.0, epochs=3, steps_per_epoch=7, three_phase=True),
            2.0,
            21,
        ),
        (
            "sequential",
            lrt.sequential_lr(
                [lrt.linear_lr(1.0, 0.1, 1.0, 10), lrt.cosine_annealing_lr(1.0, 30)], [10]
            ),
            lambda o: L.SequentialLR(
                o, [L.LinearLR(o, 0.1, 1.0, 10), L.CosineAnnealingLR(o, 30)], [10]
            ),
            1.0,
            41,
        ),
        (
            "sequential3",
            lrt.sequential_lr(
                [
                    lrt.constant_lr(0.5, 0.2, 3),
                    lrt.exponential_lr(0.5, 0.9),
                    lrt.step_lr(0.5, 4, 0.5),
                ],
                [5, 12],
            ),
            lambda o: L.SequentialLR(
                o, [L.ConstantLR(o, 0.2, 3), L.ExponentialLR(o, 0.9), L.StepLR(o, 4, 0.5)], [5, 12]
            ),
            0.5,
            40,
        ),
        (
            "sequential_m0",
            lrt.sequential_lr([lrt.constant_lr(1.0, 0.5, 3), lrt.linear_lr(1.0, 0.2, 1.0, 4)], [0]),
            lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 3), L.LinearLR(o, 0.2, 1.0, 4)], [0]),
            1.0,
            24,
        ),
        (
            "sequential_restarts",
            lrt.sequential_lr(
                [lrt.linear_lr(1.0, 0.5, 1.0, 3), lrt.cosine_annealing_warm_restarts(1.0, 3, 2)],
                [3],
            ),
            lambda o: L.SequentialLR(
                o, [L.LinearLR(o, 0.5, 1.0, 3), L.CosineAnnealingWarmRestarts(o, 3, 2)], [3]
            ),
            1.0,
            40,
        ),
        (
            "chained",
            lrt.chained_scheduler(
                [lrt.linear_lr(1.0, 0.1, 1.0, 10), lrt.exponential_lr(1.0, 0.95)]
            ),
            lambda o: L.ChainedScheduler([L.LinearLR(o, 0.1, 1.0, 10), L.ExponentialLR(o, 0.95)]),
            1.0,
            40,
        ),
        (
            "chained4",
            lrt.chained_scheduler(
                [
                    lrt.constant_lr(0.3, 0.5, 4),
                    lrt.multistep_lr(0.3, [6, 9], 0.5),
                    lrt.chained_scheduler(
                        [lrt.polynomial_lr(0.3, 20, 2.0), lrt.step_lr(0.3, 5, 0.8)]
                    ),
                ]
            ),
            lambda o: L.ChainedScheduler(
                [
                    L.ConstantLR(o, 0.5, 4),
                    L.MultiStepLR(o, [6, 9], 0.5),
                    L.PolynomialLR(o, 20, 2.0),
                    L.StepLR(o, 5, 0.8),
                ]
            ),
            0.3,
            40,
        ),
        (
            "chained_cosine",
            lrt.chained_scheduler([lrt.cosine_annealing_lr(1.0, 12), lrt.exponential_lr(1.0, 0.9)]),
            lambda o: L.ChainedScheduler([L.CosineAnnealingLR(o, 12), L.ExponentialLR(o, 0.9)]),
            1.0,
            13,
        ),
    ]
    return out


CONFIGS = _configs()
MEASURED: dict[str, float] = {}


def _family(name: str) -> str:
    for prefix in (
        "cosine_periodic",
        "warm_restarts",
        "onecycle",
        "cyclic",
        "sequential",
        "chained",
    ):
        if name.startswith(prefix):
            return prefix
    return name.rstrip("0123456789").split("_")[0]


@pytest.mark.parametrize("name,schedule,make,base,n", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_parity_with_torch(name, schedule, make, base, n):
    ref = torch_curve(make, base, n + 20, errors=(ValueError, ZeroDivisionError))
    ours = curve(schedule, n + 20)
    if name.startswith("onecycle"):
        # torch raises past total_steps (NaN here) and extrapolates at t == total_steps;
        # lrjax holds the value of total_steps - 1 from there on.
        assert np.all(np.isnan(ref[n + 1 :]))
        np.testing.assert_array_equal(ours[n - 1 :], ours[n - 1])
        ref = ref[:n]
        ours = ours[:n]
    if (
        name.startswith(("cosine", "sequential"))
        and "periodic" not in name
        or name == "chained_cosine"
    ):
        # Match on [0, T_max]; lrjax holds after (torch is periodic): checked separately.
        ref, ours = ref[:n], ours[:n]
    err = rel_error(ours, ref)
    MEASURED[name] = err
    rtol = EXP_RTOL if name.startswith(("exponential", "step")) else RTOL
    assert err <= rtol, f"{name}: relative error {err:.2e}"


def test_cosine_holds_where_torch_is_periodic():
    s = lrt.cosine_annealing_lr(1.0, 10, 0.1)
    ref = torch_curve(lambda o: L.CosineAnnealingLR(o, 10, 0.1), 1.0, 31)
    ours = curve(s, 31)
    np.testing.assert_allclose(ours[11:], 0.1, rtol=1e-6)
    assert ref[20] == pytest.approx(1.0)  # torch climbs back to the base lr at 2 T_max
    assert rel_error(curve(lrt.cosine_annealing_lr(1.0, 10, 0.1, periodic=True), 31), ref) <= RTOL


def test_off_by_one_would_be_caught():
    """Shifting any schedule by one step breaks the tolerance by orders of magnitude."""
    for name, schedule, make, base, n in CONFIGS[:12]:
        ref = torch_curve(make, base, n, errors=(ValueError, ZeroDivisionError))
        ours = curve(schedule, n + 1)
        if np.allclose(ref[:-1], ref[1:]):
            continue  # a constant curve cannot show a shift
        assert rel_error(ours[1:], ref) > 1e-3, name
        assert rel_error(np.concatenate([ours[:1], ours[:-2]]), ref) > 1e-3, name


def test_validation_errors_name_function_and_argument():
    with pytest.raises(ValueError, match=r"step_lr\(step_size=0\)"):
        lrt.step_lr(1.0, 0)
    with pytest.raises(
        ValueError, match=r"linear_lr\(start_factor=0.0\): start_factor must be > 0"
    ):
        lrt.linear_lr(1.0, 0.0)
    with pytest.raises(ValueError, match=r"constant_lr\(factor=1.5\)"):
        lrt.constant_lr(1.0, 1.5)
    with pytest.raises(ValueError, match=r"cosine_annealing_lr\(T_max=0\)"):
        lrt.cosine_annealing_lr(1.0, 0)
    with pytest.raises(ValueError, match=r"cyclic_lr\(max_lr=0.5\)"):
        lrt.cyclic_lr(1.0, 0.5)
    with pytest.raises(ValueError, match=r"cyclic_lr\(mode='sine'\)"):
        lrt.cyclic_lr(0.1, 0.5, mode="sine")
    with pytest.raises(ValueError, match=r"one_cycle_lr\(pct_start=0.1, total_steps=10\)"):
        lrt.one_cycle_lr(1.0, 10, pct_start=0.1)
    with pytest.raises(ValueError, match="total_steps, or both epochs"):
        lrt.one_cycle_lr(1.0)
    with pytest.raises(ValueError, match=r"sequential_lr: len\(milestones\)"):
        lrt.sequential_lr([lrt.step_lr(1.0, 2)], [3])
    with pytest.raises(TypeError, match="multiplicative"):
        lrt.chained_scheduler([lrt.cyclic_lr(0.1, 1.0, 3)])
    with pytest.raises(ValueError, match="eta_min=0"):
        lrt.chained_scheduler([lrt.cosine_annealing_lr(1.0, 5, 0.1)])
    with pytest.raises(ValueError, match="same base_lr"):
        lrt.chained_scheduler([lrt.step_lr(1.0, 2), lrt.step_lr(0.5, 2)])


def test_torch_raises_where_lrjax_holds():
    """ConstantLR(factor=0) divides by zero at total_iters; lrjax follows the closed form."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ZeroDivisionError):
            torch_curve(lambda o: L.ConstantLR(o, 0.0, 3), 1.0, 6)
    np.testing.assert_array_equal(curve(lrt.constant_lr(1.0, 0.0, 3), 6), [0, 0, 0, 1, 1, 1])


def test_report_measured():
    """Prints the largest difference per family (run with -s to see it)."""
    by_family: dict[str, float] = {}
    for name, err in MEASURED.items():
        by_family[_family(name)] = max(by_family.get(_family(name), 0.0), err)
    print("\ntorch max relative error:", {k: f"{x:.1e}" for k, x in sorted(by_family.items())})
    assert all(x <= EXP_RTOL for x in by_family.values())
