"""Checks of the peer oracles in ``tests/peers.py`` against recorded peer sequences.

The expected numbers are sequences measured once from the real libraries (base LR 1,
recorded to 3-4 decimals, hence the tolerances; see ``tests/PEERS_NOTES.md``). Everything
else is checked as a relation between two oracles, never as a new hard-coded table.

Run with ``KERAS_BACKEND=jax python -m pytest tests/test_peers_oracle.py -W error``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from peers import (
    hf_curve,
    hf_function_curve,
    import_keras,
    keras_curve,
    keras_optimizer_curve,
    optax_curve,
    optax_optimizer_curve,
    timm_curve,
    timm_get_lr_curve,
    torch_curve,
)

ROUNDED = {"rtol": 0, "atol": 6e-4}  # the recorded sequences have 3-4 decimals
FLOAT32: dict[str, Any] = {"rtol": 1e-6, "atol": 1e-7}


# ------------------------------------------------------------------ Hugging Face


def test_hf_linear_warmup_2_total_6():
    lr = hf_curve("linear", 1.0, 8, num_warmup_steps=2, num_training_steps=6)
    np.testing.assert_allclose(lr, [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0], rtol=0, atol=1e-12)


def test_hf_cosine_rises_again_after_num_training_steps():
    lr = hf_curve("cosine", 1.0, 10, num_warmup_steps=2, num_training_steps=6)
    expected = [0, 0.5, 1, 0.854, 0.5, 0.146, 0, 0.146, 0.5, 0.854]
    np.testing.assert_allclose(lr, expected, **ROUNDED)
    assert lr[7] > lr[6] == pytest.approx(0.0, abs=1e-12)


def test_hf_function_and_factory_agree():
    by_name = hf_curve("cosine", 0.3, 12, num_warmup_steps=3, num_training_steps=9)
    by_function = hf_function_curve(
        "get_cosine_schedule_with_warmup",
        0.3,
        12,
        num_warmup_steps=3,
        num_training_steps=9,
    )
    np.testing.assert_array_equal(by_name, by_function)


def test_hf_warmup_stable_decay_1_sqrt():
    lr = hf_curve(
        "warmup_stable_decay",
        1.0,
        8,
        num_warmup_steps=2,
        scheduler_specific_kwargs={
            "num_stable_steps": 2,
            "num_decay_steps": 2,
            "decay_type": "1-sqrt",
            "min_lr_ratio": 0.1,
        },
    )
    np.testing.assert_allclose(lr, [0.1, 0.55, 1, 1, 1, 0.364, 0.1, 0.1], **ROUNDED)


def test_hf_cosine_warmup_with_min_lr_reaches_min_at_t_minus_1():
    lr = hf_curve(
        "cosine_warmup_with_min_lr",
        1.0,
        7,
        num_warmup_steps=2,
        num_training_steps=6,
        scheduler_specific_kwargs={"min_lr_rate": 0.1},
    )
    np.testing.assert_allclose(lr, [0.5, 1, 0.868, 0.55, 0.232, 0.1, 0.232], **ROUNDED)


# ------------------------------------------------------------------------ torch


def test_torch_cosine_annealing_is_periodic_after_t_max():
    import torch

    lr = torch_curve(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4), 1.0, 10)
    np.testing.assert_allclose(lr[4], 0.0, atol=1e-12)
    np.testing.assert_allclose(lr[8], 1.0, atol=1e-12)  # back to base at 2 * T_max
    np.testing.assert_allclose(lr[5:9], lr[3::-1], atol=1e-12)


def test_torch_one_cycle_and_nan_past_total_steps():
    import torch

    lr = torch_curve(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10),
        1.0,
        13,
    )
    expected = [0.04, 0.52, 1.0, 0.950, 0.812, 0.611, 0.389, 0.188, 0.0495, 4e-6]
    np.testing.assert_allclose(lr[:10], expected, **ROUNDED)
    assert np.isfinite(lr[10])  # last_epoch == total_steps is still computed
    assert np.isnan(lr[11:]).all()  # step() raised ValueError once past total_steps


def test_torch_cosine_warm_restarts_t0_2_tmult_2():
    import torch

    lr = torch_curve(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
        1.0,
        8,
    )
    np.testing.assert_allclose(lr, [1, 0.5, 1, 0.854, 0.5, 0.146, 1, 0.962], **ROUNDED)


def test_torch_multistep_equals_optax_piecewise_constant():
    import torch

    lr = torch_curve(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [10, 20]), 1.0, 30)
    ox = optax_curve(
        "piecewise_constant_schedule",
        30,
        init_value=1.0,
        boundaries_and_scales={10: 0.1, 20: 0.1},
    )
    np.testing.assert_allclose(lr, ox, **FLOAT32)


# ------------------------------------------------------------------------ Keras


def test_keras_polynomial_decay_cycle():
    lr = keras_curve(
        "PolynomialDecay",
        22,
        initial_learning_rate=1.0,
        decay_steps=10,
        end_learning_rate=0.1,
        power=1.0,
        cycle=True,
    )
    picked = lr[[10, 11, 15, 20, 21]]
    np.testing.assert_allclose(picked, [0.1, 0.505, 0.325, 0.1, 0.37], **FLOAT32)


def test_keras_cosine_decay_restarts():
    lr = keras_curve(
        "CosineDecayRestarts",
        13,
        initial_learning_rate=1.0,
        first_decay_steps=4,
        t_mul=2.0,
        m_mul=0.5,
    )
    picked = lr[[0, 2, 3, 4, 8, 12]]
    np.testing.assert_allclose(picked, [1, 0.5, 0.146, 0.5, 0.25, 0.25], **ROUNDED)


def test_keras_optimizer_uses_schedule_at_iterations_before_increment():
    keras = import_keras()
    kwargs = {
        "initial_learning_rate": 0.1,
        "decay_steps": 6,
        "warmup_target": 1.0,
        "warmup_steps": 3,
    }
    schedule = keras.optimizers.schedules.CosineDecay(**kwargs)
    used = keras_optimizer_curve(schedule, 11)
    np.testing.assert_allclose(used, keras_curve("CosineDecay", 11, **kwargs), **FLOAT32)
    assert used[0] == pytest.approx(0.1, rel=1e-6)  # update 0 uses schedule(0)


def test_keras_piecewise_constant_drops_one_step_after_optax():
    keras_lr = keras_curve(
        "PiecewiseConstantDecay", 30, boundaries=[10, 20], values=[1.0, 0.1, 0.01]
    )
    optax_lr = optax_curve(
        "piecewise_constant_schedule",
        30,
        init_value=1.0,
        boundaries_and_scales={11: 0.1, 21: 0.1},
    )
    np.testing.assert_allclose(keras_lr, optax_lr, **FLOAT32)


# ------------------------------------------------------------------------ optax


def test_optax_warmup_cosine_decay():
    lr = optax_curve(
        "warmup_cosine_decay_schedule",
        17,
        init_value=0.0,
        peak_value=1.0,
        warmup_steps=5,
        decay_steps=15,
        end_value=0.1,
    )
    picked = lr[[0, 1, 4, 5, 6, 10, 15, 16]]
    np.testing.assert_allclose(picked, [0, 0.2, 0.8, 1, 0.97798, 0.55, 0.1, 0.1], **ROUNDED)


def test_optax_first_update_uses_schedule_at_0():
    import optax

    kwargs = {
        "init_value": 0.3,
        "peak_value": 1.0,
        "warmup_steps": 4,
        "decay_steps": 12,
        "end_value": 0.05,
    }
    used = optax_optimizer_curve(optax.warmup_cosine_decay_schedule(**kwargs), 15)
    np.testing.assert_allclose(used, optax_curve("warmup_cosine_decay_schedule", 15, **kwargs))
    assert used[0] == pytest.approx(0.3, rel=1e-6)


def test_optax_vmap_fallbacks_cover_scalar_and_interpolating_schedules():
    np.testing.assert_array_equal(optax_curve("constant_schedule", 4, value=0.5), [0.5] * 4)
    lr = optax_curve("cosine_onecycle_schedule", 101, transition_steps=100, peak_value=1.0)
    np.testing.assert_allclose(lr[[0, 30, 65, 100]], [0.04, 1.0, 0.5, 4e-6], **ROUNDED)


# ------------------------------------------------------------------------- timm


def test_timm_cosine_warmup_prefix():
    kwargs = {"t_initial": 10, "warmup_t": 2}
    no_prefix = timm_curve("CosineLRScheduler", 1.0, 14, **kwargs)
    prefix = timm_curve("CosineLRScheduler", 1.0, 14, warmup_prefix=True, **kwargs)
    np.testing.assert_allclose(no_prefix[:4], [0, 0.5, 0.905, 0.794], **ROUNDED)
    np.testing.assert_allclose(prefix[:4], [0, 0.5, 1, 0.976], **ROUNDED)
    # lr_min is reached at t_initial without the prefix, at warmup_t + t_initial with it.
    assert no_prefix[9] > 0 and no_prefix[10] == 0
    assert prefix[11] > 0 and prefix[12] == 0


def test_timm_cosine_cycles():
    lr = timm_curve("CosineLRScheduler", 1.0, 14, t_initial=4, cycle_limit=3, cycle_decay=0.5)
    np.testing.assert_allclose(lr[:6], [1, 0.854, 0.5, 0.146, 0.5, 0.427], **ROUNDED)
    assert lr[11] > 0 and lr[12] == 0


def test_timm_multistep_drops_one_step_before_milestone():
    lr = timm_curve("MultiStepLRScheduler", 1.0, 8, decay_t=[3, 6], decay_rate=0.1)
    assert list(np.flatnonzero(np.diff(lr)) + 1) == [2, 5]


def test_timm_wsd():
    lr = timm_curve("WSDLRScheduler", 1.0, 14, t_initial=10, decay_t=4, warmup_t=2)
    np.testing.assert_allclose(
        lr[[0, 1, 2, 8, 9, 10, 11, 12]], [0, 0.5, 1, 1, 0.5, 0.293, 0.134, 0], **ROUNDED
    )


def test_timm_update_0_is_the_constructor_value():
    # Tanh without warmup: the constructor leaves base_lr, _get_lr(0) is slightly below it.
    loop = timm_curve("TanhLRScheduler", 1.0, 12, t_initial=10)
    pure = timm_get_lr_curve("TanhLRScheduler", 1.0, 12, t_initial=10)
    assert loop[0] == 1.0 and pure[0] < 1.0
    np.testing.assert_array_equal(loop[1:], pure[1:])
