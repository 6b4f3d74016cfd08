"""lrjax schedules inside PyTorch optimizers: ``lrjax.torch.LRScheduler``.

Import it explicitly (``import lrjax.torch``); ``import lrjax`` never imports torch.
Requires the ``torch`` extra: ``pip install 'lrjax[torch]'``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import torch
    from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler
except ImportError as _err:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "lrjax.torch needs PyTorch; install it with: pip install 'lrjax[torch]'"
    ) from _err

from lrjax.core.config import from_config, to_config
from lrjax.core.dtypes import int_max
from lrjax.core.schedule import AbstractSchedule, as_schedule

__all__ = ["LRScheduler"]

_FUNC = "lrjax.torch.LRScheduler"


class LRScheduler(_TorchLRScheduler):
    r"""A PyTorch learning-rate scheduler that follows lrjax schedules.

    Sets each param group's learning rate to the **absolute** value ``schedule(t)``:

    .. math::
      \eta_g(t) = s_g(t)

    where :math:`t` is the number of ``scheduler.step()`` calls so far (``last_epoch``) and
    :math:`s_g` is group :math:`g`'s schedule. Construction sets ``s(0)``, so the first
    ``optimizer.step()`` uses ``s(0)``; call ``scheduler.step()`` after each
    ``optimizer.step()``, as with every torch scheduler. Unlike ``LambdaLR``, the
    optimizer's own ``lr`` is not a base that gets multiplied: the schedule is the rate.

    Values are computed ahead in blocks of ``block_size`` steps with one JAX call per
    block, so a step costs a list lookup (about as much as ``LambdaLR``), not a JAX call.

    A param group whose ``lr`` is a tensor (``torch.optim.Adam(params, lr=torch.tensor(1e-3))``,
    the form ``torch.compile`` needs to avoid a recompile per value) is updated in place
    with ``fill_``.

    ``state_dict()`` holds plain data only: the step counters and each schedule's
    ``to_config`` (so ``torch.load(..., weights_only=True)`` accepts it).
    ``load_state_dict`` rebuilds the schedules from those configs and sets the param
    groups' learning rates to the restored step's values, so a resumed run continues
    exactly, whatever order the optimizer's and the scheduler's states are loaded in.

    Args:
      optimizer: a ``torch.optim.Optimizer``.
      schedule: an lrjax schedule (or a number) used for every param group, or a
        sequence with one per param group.
      last_epoch: torch's resume index; keep the default ``-1`` and use
        ``load_state_dict`` to resume.
      block_size: steps evaluated per JAX call; an integer ``>= 1``.

    Examples:
      >>> import torch
      >>> import lrjax.torch
      >>> model = torch.nn.Linear(2, 1)
      >>> opt = torch.optim.SGD(model.parameters(), lr=0.0)
      >>> sched = lrjax.torch.LRScheduler(opt, lrjax.warmup(lrjax.constant(0.1), 2))
      >>> lrs = []
      >>> for _ in range(4):
      ...     lrs.append(opt.param_groups[0]["lr"])
      ...     opt.step()
      ...     sched.step()
      >>> print([f"{x:.3f}" for x in lrs])
      ['0.000', '0.050', '0.100', '0.100']
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Any,
        last_epoch: int = -1,
        *,
        block_size: int = 4096,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"{_FUNC}(optimizer={type(optimizer).__name__}): optimizer must be a "
                "torch.optim.Optimizer"
            )
        groups = len(optimizer.param_groups)
        if isinstance(schedule, (list, tuple)):
            if len(schedule) != groups:
                raise ValueError(
                    f"{_FUNC}(schedule=<{len(schedule)} schedules>): schedule must be one "
                    f"schedule or one per param group ({groups})"
                )
            schedules = [as_schedule(s, _FUNC, "schedule") for s in schedule]
        else:
            schedules = [as_schedule(schedule, _FUNC, "schedule")] * groups
        if (
            isinstance(block_size, bool)
            or not isinstance(block_size, (int, np.integer))
            or block_size < 1
        ):
            raise ValueError(f"{_FUNC}(block_size={block_size!r}): block_size must be an int >= 1")
        self.schedules: list[AbstractSchedule] = schedules
        self.block_size = int(block_size)
        self._block_start = 0
        self._block: list[list[float]] = []
        super().__init__(optimizer, last_epoch)

    # -- evaluation ---------------------------------------------------------------------

    def values_at(self, step: int | float) -> list[float]:
        """Each group's learning rate at ``step`` (as Python floats)."""
        if isinstance(step, (int, np.integer)) and not isinstance(step, bool):
            t = max(int(step), 0)
            offset = t - self._block_start
            if not self._block or not 0 <= offset < len(self._block[0]):
                self._fill_block(t)
                offset = 0
            return [values[offset] for values in self._block]
        return [float(np.asarray(s(float(step)))) for s in self.schedules]

    def _fill_block(self, start: int) -> None:
        stop = min(start + self.block_size, int_max() + 1)
        steps = np.arange(start, max(stop, start + 1), dtype=np.int64)
        blocks: dict[int, list[float]] = {}
        rows: list[list[float]] = []
        for s in self.schedules:
            # A schedule shared by several groups is evaluated once.
            if id(s) not in blocks:
                blocks[id(s)] = np.asarray(s(steps), dtype=np.float64).tolist()
            rows.append(blocks[id(s)])
        self._block_start = start
        self._block = rows

    def get_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]
        """The learning rates for step ``last_epoch`` (called by ``step()``)."""
        return list(self.values_at(self.last_epoch))

    _get_closed_form_lr = get_lr

    # -- checkpointing ------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state: step counters, last rates and each group's schedule config."""
        last_lr = [float(x) if isinstance(x, torch.Tensor) else x for x in self._last_lr]
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": last_lr,
            "base_lrs": [float(x) if isinstance(x, torch.Tensor) else x for x in self.base_lrs],
            "block_size": self.block_size,
            "schedules": [to_config(s) for s in self.schedules],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict` and set the groups' rates for ``last_epoch``."""
        configs = state_dict.get("schedules")
        if not isinstance(configs, list) or len(configs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{_FUNC}.load_state_dict: state_dict['schedules'] must hold one schedule "
                f"config per param group ({len(self.optimizer.param_groups)}), got {configs!r:.200}"
            )
        # Groups that shared a schedule share it again (evaluated once per block).
        unique = {repr(c): c for c in configs}
        rebuilt = {key: from_config(c) for key, c in unique.items()}
        self.schedules = [rebuilt[repr(c)] for c in configs]
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict.get("_step_count", self.last_epoch + 1))
        self.block_size = int(state_dict.get("block_size", self.block_size))
        self.base_lrs = list(state_dict.get("base_lrs", self.base_lrs))
        self._block = []
        values = self.values_at(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"]
            for g in self.optimizer.param_groups
        ]
