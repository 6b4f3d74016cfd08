"""Parity of the plateau controllers with their peers, over random metric sequences.

Prints, per peer, the sequences tried, the updates whose reduction decisions differ and the
largest relative difference of the learning rates (docs/adaptive.md, "Parity"). Run from
the repository root: ``KERAS_BACKEND=jax python tests/plateau_parity.py``.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path[:0] = [".", "tests"]  # this checkout and the test helpers

import test_adaptive as t  # noqa: E402
from optax import contrib  # noqa: E402

from lrjax.compat import keras as lrk  # noqa: E402
from lrjax.compat import optax as lro  # noqa: E402
from lrjax.compat import timm as lrtimm  # noqa: E402
from lrjax.compat import torch as lrt  # noqa: E402

NUM_SEEDS, NUM_UPDATES, NORMAL = 30, 100, 1.2e-38  # XLA flushes float32 subnormals to zero
rows: dict[str, list[float]] = {}


def record(peer: str, got: np.ndarray, want: np.ndarray) -> None:
    def moved(x: np.ndarray) -> np.ndarray:  # a reduction (or a warmup step) at this update
        return np.abs(np.diff(x)) > 1e-5 * np.abs(x[:-1])

    differ = np.sum((moved(got) != moved(want)) & (np.abs(want[1:]) > NORMAL))
    m = np.abs(want) > NORMAL
    rel = float(np.max(np.abs(got[m] - want[m]) / np.abs(want[m]), initial=0.0))
    row = rows.setdefault(peer, [0, 0, 0.0])
    row[0], row[1], row[2] = row[0] + 1, row[1] + differ, max(row[2], rel)


def optax_scales(metrics: np.ndarray, **kwargs: object) -> np.ndarray:
    tx = contrib.reduce_on_plateau(**kwargs)  # type: ignore[arg-type]
    params = jnp.zeros(1)
    step = jax.jit(lambda s, m: tx.update(params, s, params, value=m)[1])
    state, scales = tx.init(params), []
    for m in metrics:
        state = step(state, jnp.float32(m))
        scales.append(float(state.scale))
    return np.asarray(scales)


def main() -> None:
    warnings.simplefilter("ignore")
    for seed in range(NUM_SEEDS):
        rng = np.random.default_rng(seed)
        factor, patience = [0.5, 0.1, 0.7][seed % 3], int(rng.integers(0, 4))
        cooldown, floor = seed % 3, [0.0, 1e-3][seed % 2]
        metrics = t.metric_sequences(seed, n=NUM_UPDATES)
        for mode in ("min", "max"):
            signed = -metrics if seed % 2 else metrics
            for rule, threshold in (("rel", 1e-4), ("abs", 0.01)):
                kw: dict[str, Any] = dict(
                    mode=mode,
                    factor=factor,
                    patience=patience,
                    threshold=threshold,
                    threshold_mode=rule,
                    cooldown=cooldown,
                    min_lr=floor,
                )
                got = t.run(lrt.reduce_lr_on_plateau(0.1, **kw), signed)[0]
                record("torch", got, t.torch_lrs(signed, 0.1, **kw))
            delta = [1e-4, 0.01][seed % 2]
            kw: dict[str, Any] = dict(
                factor=factor,
                patience=patience,
                mode=mode,
                min_delta=delta,
                cooldown=cooldown,
                min_lr=floor,
            )
            want = t.keras_lrs(metrics, 0.1, **kw)
            record("keras", t.run(lrk.ReduceLROnPlateau(0.1, **kw), metrics)[0][1:], want)
            kw: dict[str, Any] = dict(
                decay_rate=factor,
                patience_t=patience,
                cooldown_t=cooldown,
                warmup_t=[0, 3, 5][seed % 3],
                warmup_lr_init=floor,
                lr_min=floor,
                mode=mode,
            )
            want = t.timm_lrs(metrics, 0.1, **kw)
            record("timm", t.run(lrtimm.plateau_lr(0.1, **kw), metrics)[0], want)
        kw: dict[str, Any] = dict(
            factor=factor,
            patience=patience,
            rtol=[1e-4, 0.0][seed % 2],
            atol=[0.0, 0.01][seed % 2],
            cooldown=cooldown,
            accumulation_size=[1, 3][seed % 2],
            min_scale=[0.0, 0.05][seed % 2],
        )
        want = optax_scales(metrics, **kw)
        record("optax", t.run(lro.reduce_on_plateau(**kw), metrics)[0][1:], want)
    for peer, (n, differ, rel) in rows.items():
        print(
            f"{peer}: {n} sequences x {NUM_UPDATES} updates, decisions differing: "
            f"{differ}, largest relative difference {rel:.2e}"
        )


if __name__ == "__main__":
    main()
