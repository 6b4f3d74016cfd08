"""Progress through restarting cycles, exact at both ends of every cycle (SGDR as torch and
timm compute it)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from lrjax.combinators.cycle import geometric_cycle
from lrjax.core.kernel import Progress, progress
from lrjax.core.schedule import Array
from lrjax.core.steps import as_step_dtype


def restart_progress(t: Array, period: Any, mul: Any, dtype: Any) -> tuple[Array, Progress]:
    """The cycle index and the progress through the current cycle at canonical step ``t``.

    Cycle ``k`` lasts ``period * mul**k`` steps. With ``mul == 1`` the index and the step
    into the cycle are exact integers; otherwise they come from :func:`geometric_cycle`
    (a restart on a whole step is found exactly). Unlike :func:`~lrjax.cycle`, which
    squeezes each cycle onto its child's ``period`` steps, the progress is formed from the
    step into the cycle and the cycle's own length, so it keeps full relative precision at
    both ends of cycles whose length is not ``period`` times a power of two.
    """
    period = jnp.maximum(as_step_dtype(period, t), jnp.ones((), t.dtype))
    k_fixed = t // period
    p_fixed = progress(t - k_fixed * period, jnp.zeros((), t.dtype), period, dtype)
    k, local, length = geometric_cycle(t, period, mul, dtype)
    p_geo = progress(local, jnp.zeros((), dtype), length, dtype)
    geometric = jnp.asarray(mul) != 1
    index = jnp.where(geometric, k, k_fixed.astype(dtype))
    done = jnp.where(geometric, p_geo.done, p_fixed.done)
    return index, Progress(done, jnp.where(geometric, p_geo.left, p_fixed.left))
