"""lrjax schedules inside PyTorch optimizers: ``lrjax.torch.LRScheduler``.

Import it explicitly (``import lrjax.torch``); ``import lrjax`` never imports torch.
Requires the ``torch`` extra: ``pip install 'lrjax[torch]'``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    import torch
    from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler
except ImportError as _err:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "lrjax.torch needs PyTorch; install it with: pip install 'lrjax[torch]'"
    ) from _err

import jax
import jax.numpy as jnp

from lrjax.adaptive.base import AbstractAdaptive
from lrjax.core.config import from_config, to_config
from lrjax.core.dtypes import X64_HINT, int_dtype, int_max
from lrjax.core.schedule import as_schedule

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

    **Adaptive schedules** (``lrjax.reduce_on_plateau``,
    ``lrjax.compat.torch.reduce_lr_on_plateau``, ...): the scheduler holds the controller's
    state and sets each group's rate to ``c(state)``. Follow torch's ``ReduceLROnPlateau``
    convention: ``scheduler.step(metric)`` once per epoch (or evaluation) runs
    ``state = c.update(state, value=metric)``. ``step()`` without a metric is an error (a
    forgotten metric would silently never reduce); ``step(valid=False)`` advances the
    update count without a metric, for a base schedule stepped per update between
    evaluations (cheaply: only the count changes, so the rates are computed ahead in
    blocks, exactly as ``c.update`` then ``c`` would give them). ``last_epoch`` is the
    update count. With several param groups, one controller drives every group (they
    share its rate, as for plain schedules); give one controller per group for per-group
    rates (torch's ``ReduceLROnPlateau`` with several groups is one
    ``reduce_lr_on_plateau(lr_g, min_lr=min_lr_g)`` per group, all fed the same metric).
    ``state_dict()`` then also holds each group's state as plain numbers;
    ``load_state_dict`` checks them against the controller and names any bad field.

    **Momentum companions** (torch's ``cycle_momentum=True``): with ``momentum=m``, each
    step also sets group :math:`g`'s momentum to :math:`m_g(t)` at the same step :math:`t`
    as the rate, by torch's own ``OneCycleLR``/``CyclicLR`` rule: ``group["betas"] = (m,
    betas[1])`` when the optimizer's defaults have ``betas`` (Adam, AdamW, ...), else
    ``group["momentum"] = m`` (SGD, RMSprop, ...). Pair
    ``lrjax.compat.torch.one_cycle_lr`` with ``one_cycle_momentum`` and ``cyclic_lr`` with
    ``cyclic_momentum`` to reproduce those schedulers; any lrjax schedule works. The
    momentum schedules travel in ``state_dict`` as configs, like the rate's.

    **Steps** are Python ints, but the schedule evaluates them in JAX's integer mode:
    without ``jax_enable_x64`` a step above ``2**31 - 1`` would wrap, so reaching one is
    an ``OverflowError`` naming the step (enable x64 for longer runs).

    Args:
      optimizer: a ``torch.optim.Optimizer``.
      schedule: an lrjax schedule (or a number) or an adaptive schedule, used for every
        param group, or a sequence with one per param group (all adaptive or none).
      last_epoch: torch's resume index; keep the default ``-1`` and use
        ``load_state_dict`` to resume.
      block_size: steps evaluated per JAX call; an integer ``>= 1``.
      momentum: ``None``, or an lrjax schedule of the step (not adaptive) for every param
        group's momentum (or ``betas[0]``), or a sequence with one per param group.

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

      An adaptive schedule, stepped with the validation loss once per epoch:

      >>> c = lrjax.compat.torch.reduce_lr_on_plateau(0.1, patience=1)
      >>> sched = lrjax.torch.LRScheduler(opt, c)
      >>> for val_loss in [1.0, 0.9, 0.9, 0.9]:
      ...     opt.step()
      ...     sched.step(val_loss)
      >>> print(f"{opt.param_groups[0]['lr']:.3f}", int(sched.states[0].num_reductions))
      0.010 1

      torch's ``OneCycleLR(cycle_momentum=True)``, rate and momentum:

      >>> opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
      >>> sched = lrjax.torch.LRScheduler(
      ...     opt,
      ...     lrjax.compat.torch.one_cycle_lr(0.1, total_steps=10),
      ...     momentum=lrjax.compat.torch.one_cycle_momentum(total_steps=10),
      ... )
      >>> for _ in range(3):
      ...     opt.step()
      ...     sched.step()
      >>> group = opt.param_groups[0]
      >>> print(f"{group['lr']:.4f} {group['momentum']:.4f}")
      0.0950 0.8550
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Any,
        last_epoch: int = -1,
        *,
        block_size: int = 4096,
        momentum: Any = None,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"{_FUNC}(optimizer={type(optimizer).__name__}): optimizer must be a "
                "torch.optim.Optimizer"
            )
        items = _per_group(optimizer, schedule, _FUNC, "schedule")
        adaptive = [isinstance(s, AbstractAdaptive) for s in items]
        if any(adaptive) and not all(adaptive):
            raise TypeError(
                f"{_FUNC}(schedule=[...]): either every param group follows an adaptive "
                "schedule or none does (an adaptive one is stepped with a metric per epoch, "
                "a plain one once per update)"
            )
        schedules: list[Any] = (
            items if all(adaptive) else [as_schedule(s, _FUNC, "schedule") for s in items]
        )
        if (
            isinstance(block_size, bool)
            or not isinstance(block_size, (int, np.integer))
            or block_size < 1
        ):
            raise ValueError(f"{_FUNC}(block_size={block_size!r}): block_size must be an int >= 1")
        self.schedules: list[Any] = schedules
        # Each adaptive group's state (None for plain schedules); shared controllers share it.
        self.states: list[Any] | None = _initial_states(schedules) if all(adaptive) else None
        self.block_size = int(block_size)
        self._block_start = 0
        self._block: list[list[float]] = []
        self.momentum: list[Any] | None = _momentum_schedules(optimizer, momentum, _FUNC)
        # Per group with its own state: (state, first count, rates ahead) for step(valid=False).
        self._ahead: dict[int, tuple[Any, int, list[float]]] = {}
        self._momentum_start = 0
        self._momentum_block: list[list[float]] = []
        super().__init__(optimizer, last_epoch)

    # -- evaluation ---------------------------------------------------------------------

    def values_at(self, step: int | float) -> list[float]:
        """Each group's learning rate at ``step`` (as Python floats); plain schedules only."""
        if self.states is not None:
            raise TypeError(
                f"{_FUNC}.values_at: an adaptive schedule's rate depends on its state, not on "
                "the step; read get_last_lr()"
            )
        if isinstance(step, (int, np.integer)) and not isinstance(step, bool):
            t = _checked_step(f"{_FUNC}.values_at", step)
            offset = t - self._block_start
            if not self._block or not 0 <= offset < len(self._block[0]):
                self._fill_block(t)
                offset = 0
            return [values[offset] for values in self._block]
        return [float(np.asarray(s(float(step)))) for s in self.schedules]

    def _fill_block(self, start: int) -> None:
        self._block_start = start
        self._block = _evaluate_block(self.schedules, start, self.block_size)

    def momentum_at(self, step: int) -> list[float] | None:
        """Each group's momentum (or ``betas[0]``) at ``step``; ``None`` without ``momentum``."""
        if self.momentum is None:
            return None
        t = _checked_step(f"{_FUNC}.momentum_at", step)
        offset = t - self._momentum_start
        if not self._momentum_block or not 0 <= offset < len(self._momentum_block[0]):
            self._momentum_start = t
            self._momentum_block = _evaluate_block(self.momentum, t, self.block_size)
            offset = 0
        return [values[offset] for values in self._momentum_block]

    def _set_momentum(self) -> None:
        values = self.momentum_at(self.last_epoch)
        if values is None:
            return
        # torch's OneCycleLR/CyclicLR rule: beta1 when the optimizer has betas.
        use_beta1 = "betas" in self.optimizer.defaults
        for group, m in zip(self.optimizer.param_groups, values, strict=True):
            key = "betas" if use_beta1 else "momentum"
            old = group[key][0] if use_beta1 else group[key]
            if isinstance(old, torch.Tensor):
                old.fill_(m)
            elif use_beta1:
                group[key] = (m, *group[key][1:])
            else:
                group[key] = m

    def get_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]
        """The learning rates for step ``last_epoch`` (called by ``step()``), or for an
        adaptive schedule the rates ``c(state)`` of its current states."""
        if self.states is not None:
            return list(_rates(self.schedules, self.states))
        return list(self.values_at(self.last_epoch))

    _get_closed_form_lr = get_lr

    # -- adaptive schedules -------------------------------------------------------------

    def _initial_step(self) -> None:
        if self.states is None:
            super()._initial_step()
            return
        # As torch's ReduceLROnPlateau: construction sets the rates and counts no update.
        self._step_count = 1
        self.last_epoch = 0
        self._set_rates(list(_rates(self.schedules, self.states)))
        self._set_momentum()

    def step(  # type: ignore[override]
        self, metrics: Any = None, epoch: int | None = None, *, valid: bool = True
    ) -> None:
        """Advance the scheduler by one step.

        Plain schedules: ``step()`` after each ``optimizer.step()`` (``epoch`` is torch's
        deprecated explicit index). Adaptive schedules: ``step(metric)`` once per epoch or
        evaluation, as torch's ``ReduceLROnPlateau.step(metrics)``; ``step(valid=False)``
        advances the update count without a metric.

        Args:
          metrics: the metric (a number or a one-element tensor); adaptive schedules only.
          epoch: torch's deprecated explicit step index; plain schedules only.
          valid: ``False`` advances an adaptive schedule's count without a metric.
        """
        if self.states is None:
            if metrics is not None or valid is not True:
                raise TypeError(
                    f"{_FUNC}.step(metrics={metrics!r:.50}): this scheduler follows a plain "
                    "schedule of the step, which takes no metric; metrics go to adaptive "
                    "schedules (lrjax.reduce_on_plateau, ...); torch's deprecated explicit "
                    "index is step(epoch=...)"
                )
            if epoch is None:  # checked before torch advances its counters
                _checked_step(f"{_FUNC}.step", self.last_epoch + 1)
            super().step(epoch)
            self._set_momentum()
            return
        if epoch is not None:
            raise TypeError(f"{_FUNC}.step(epoch={epoch!r}): an adaptive schedule takes no epoch")
        if not isinstance(valid, (bool, np.bool_)):
            raise TypeError(f"{_FUNC}.step(valid={valid!r}): valid must be a bool")
        if metrics is None and valid:
            raise TypeError(
                f"{_FUNC}.step(): an adaptive schedule needs the metric, "
                "scheduler.step(val_loss); step(valid=False) advances it without one"
            )
        value = _scalar(metrics if valid else np.nan)
        _checked_step(f"{_FUNC}.step", self.last_epoch + 1)
        self._step_count += 1
        self.last_epoch += 1
        # Groups sharing a controller share its state: it is advanced once.
        done: dict[int, tuple[Any, float]] = {}
        for g, (c, state) in enumerate(zip(self.schedules, self.states, strict=True)):
            if id(state) in done:
                continue
            if valid:
                new, lr = _advance(c, state, np.asarray(value, state.best.dtype), True)
                done[id(state)] = (new, float(np.asarray(lr)))
            else:
                done[id(state)] = self._count_only(g, c, state)
        results = [done[id(state)] for state in self.states]
        self.states = [new for new, _ in results]
        self._set_rates([lr for _, lr in results])
        self._set_momentum()

    def _count_only(self, group: int, c: Any, state: Any) -> tuple[Any, float]:
        """``step(valid=False)``: ``c.update`` leaves every field but the count as it is, so
        the new state is built on the host and its rate ``c(state with count k)`` read from
        a block computed ahead for the current fields (one JAX call per block, not one per
        step); the values are those of ``c.update`` followed by ``c`` under ``jit``."""
        count = _checked_step(f"{_FUNC}.step", int(np.asarray(state.count)) + 1)
        new = state._replace(count=np.asarray(count, state.count.dtype))
        ahead = self._ahead.get(group)
        if ahead is not None:
            ref, start, rates = ahead
            same = all(
                a is b or name == "count"
                for name, a, b in zip(state._fields, state, ref, strict=True)
            )
            if same and 0 <= count - start < len(rates):
                return new, rates[count - start]
        stop = min(count + min(self.block_size, _AHEAD), int_max() + 1)
        counts = np.arange(count, stop, dtype=state.count.dtype)
        rates = np.asarray(_rates_ahead(c, state, counts), np.float64).tolist()
        self._ahead[group] = (state, count, rates)
        return new, rates[0]

    def _set_rates(self, values: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"]
            for g in self.optimizer.param_groups
        ]

    # -- checkpointing ------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state: step counters, last rates, each group's schedule config and
        momentum schedule config (``None`` without ``momentum``), and for adaptive schedules
        each group's state, ``{field: number}`` (a list of numbers for an array field, such as
        a smoothing window)."""
        last_lr = [float(x) if isinstance(x, torch.Tensor) else x for x in self._last_lr]
        extra = {}
        if self.states is not None:
            extra["states"] = [
                {k: np.asarray(x).tolist() for k, x in s._asdict().items()} for s in self.states
            ]
        return {
            **extra,
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": last_lr,
            "base_lrs": [float(x) if isinstance(x, torch.Tensor) else x for x in self.base_lrs],
            "block_size": self.block_size,
            "schedules": [to_config(s) for s in self.schedules],
            "momentum": None if self.momentum is None else [to_config(m) for m in self.momentum],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict` and set the groups' rates (and momenta) for
        ``last_epoch``. The momentum schedules are the saved ones (a ``state_dict`` without a
        ``"momentum"`` entry, from an earlier lrjax, sets none)."""
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{_FUNC}.load_state_dict: state_dict must be the dict state_dict() returns, "
                f"got {type(state_dict).__name__}"
            )
        groups = len(self.optimizer.param_groups)
        # Every field is checked before anything changes: a bad state_dict leaves the
        # scheduler as it was.
        last_epoch = _saved_int(state_dict, "last_epoch", minimum=0)
        step_count = _saved_int(state_dict, "_step_count", minimum=0, default=last_epoch + 1)
        block_size = _saved_int(state_dict, "block_size", minimum=1, default=self.block_size)
        base_lrs = _saved_numbers(state_dict, "base_lrs", groups, default=self.base_lrs)
        configs = state_dict.get("schedules")
        if not isinstance(configs, list) or len(configs) != groups:
            raise ValueError(
                f"{_FUNC}.load_state_dict: state_dict['schedules'] must hold one schedule "
                f"config per param group ({groups}), got {configs!r:.200}"
            )
        # Groups that shared a schedule share it again (evaluated once per block).
        unique = {repr(c): c for c in configs}
        rebuilt = {key: from_config(c) for key, c in unique.items()}
        schedules = [rebuilt[repr(c)] for c in configs]
        adaptive = [isinstance(c, AbstractAdaptive) for c in schedules]
        saved = state_dict.get("states")
        if all(adaptive):
            states = _load_states(schedules, saved)
        elif any(adaptive) or saved is not None:
            raise ValueError(
                f"{_FUNC}.load_state_dict: state_dict['states'] must be present exactly when "
                "every schedule is adaptive; got schedules "
                f"{[type(c).__name__ for c in schedules]} and states {saved!r:.200}"
            )
        else:
            states = None
        momentum = _load_momentum(self.optimizer, state_dict.get("momentum"))
        _checked_step(f"{_FUNC}.load_state_dict: state_dict['last_epoch']", last_epoch)
        self.schedules, self.states, self.momentum = schedules, states, momentum
        self.last_epoch = last_epoch
        self._step_count = step_count
        self.block_size = block_size
        self.base_lrs = base_lrs
        self._block = []
        self._momentum_block = []
        self._ahead = {}
        self._set_rates(self.get_lr())  # type: ignore[arg-type]
        self._set_momentum()


def _saved_int(state_dict: dict[str, Any], key: str, minimum: int, default: Any = None) -> int:
    """``state_dict[key]``: an int ``>= minimum`` (not a bool, not a float), or ``default``
    when absent and a default is given."""
    where = f"{_FUNC}.load_state_dict: state_dict[{key!r}]"
    if key not in state_dict:
        if default is None:
            raise ValueError(f"{where} is missing; pass the dict state_dict() returns")
        return int(default)
    x = state_dict[key]
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < minimum:
        raise ValueError(f"{where}={x!r:.80}: expected an int >= {minimum}")
    return int(x)


def _saved_numbers(state_dict: dict[str, Any], key: str, count: int, default: Any) -> list[Any]:
    """``state_dict[key]``: a list of ``count`` finite numbers ``>= 0`` (one per param group),
    or ``default`` when absent."""
    where = f"{_FUNC}.load_state_dict: state_dict[{key!r}]"
    if key not in state_dict:
        return list(default)
    xs = state_dict[key]
    ok = isinstance(xs, list) and len(xs) == count
    ok = ok and all(
        not isinstance(x, bool)
        and isinstance(x, (int, float, np.integer, np.floating))
        and math.isfinite(x)
        and x >= 0
        for x in xs
    )
    if not ok:
        raise ValueError(
            f"{where}={xs!r:.80}: expected a list of {count} finite numbers >= 0, one per "
            "param group"
        )
    return [float(x) for x in xs]


def _checked_step(where: str, step: Any) -> int:
    """A step as a Python int ``>= 0`` (negatives clamp, as in every schedule), refusing one
    the current JAX integer mode cannot hold: it would wrap silently on the way in."""
    t = int(step)
    if 0 <= t < 2**31 - 1:  # fits in every integer mode: skip the config lookup (per step)
        return t
    if t > int_max():
        raise OverflowError(
            f"{where}: step {t} does not fit in {int_dtype()}, the step type of lrjax "
            f"schedules without x64; {X64_HINT}"
        )
    return max(t, 0)


def _evaluate_block(schedules: list[Any], start: int, block_size: int) -> list[list[float]]:
    """Each schedule's values at steps ``start, start + 1, ...`` (up to ``block_size``, never
    past the integer mode's largest step), one JAX call per distinct schedule."""
    stop = min(start + block_size, int_max() + 1)
    steps = np.arange(start, max(stop, start + 1), dtype=np.int64)
    blocks: dict[int, list[float]] = {}
    rows: list[list[float]] = []
    for s in schedules:
        # A schedule shared by several groups is evaluated once.
        if id(s) not in blocks:
            blocks[id(s)] = np.asarray(s(steps), dtype=np.float64).tolist()
        rows.append(blocks[id(s)])
    return rows


def _per_group(optimizer: Any, value: Any, where: str, name: str) -> list[Any]:
    """``value`` for each param group: a list or tuple of one per group, or one for all."""
    groups = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        return [value] * groups
    if len(value) != groups:
        raise ValueError(
            f"{where}({name}=<{len(value)} schedules>): {name} must be one schedule or one "
            f"per param group ({groups})"
        )
    return list(value)


def _momentum_schedules(optimizer: Any, momentum: Any, where: str) -> list[Any] | None:
    """One plain momentum schedule per param group, or ``None``; checks the optimizer has
    a momentum (torch's ``cycle_momentum`` rule: ``betas`` or ``momentum`` in its defaults)."""
    if momentum is None:
        return None
    items = _per_group(optimizer, momentum, where, "momentum")
    for m in items:
        if isinstance(m, AbstractAdaptive):
            raise TypeError(
                f"{where}(momentum={m!r:.80}): momentum must be a schedule of the step, "
                "not an adaptive schedule"
            )
    if "betas" not in optimizer.defaults and "momentum" not in optimizer.defaults:
        raise ValueError(
            f"{where}(momentum=...): {type(optimizer).__name__} has neither 'betas' nor "
            "'momentum' in its defaults, so there is no momentum to schedule"
        )
    made: dict[int, Any] = {}
    # Groups given the same object share one schedule (evaluated once per block).
    return [made.setdefault(id(m), as_schedule(m, _FUNC, "momentum")) for m in items]


def _load_momentum(optimizer: Any, configs: Any) -> list[Any] | None:
    """The momentum schedules of a ``state_dict``, checked as at construction."""
    where = f"{_FUNC}.load_state_dict"
    if configs is None:
        return None
    if not isinstance(configs, list) or len(configs) != len(optimizer.param_groups):
        raise ValueError(
            f"{where}: state_dict['momentum'] must be None or hold one schedule config per "
            f"param group ({len(optimizer.param_groups)}), got {configs!r:.200}"
        )
    unique = {repr(c): c for c in configs}
    rebuilt = {key: from_config(c) for key, c in unique.items()}
    return _momentum_schedules(optimizer, [rebuilt[repr(c)] for c in configs], where)


_AHEAD = 256
"""Rates computed ahead for ``step(valid=False)``: enough to amortize the JAX call, few enough
that an evaluation every few steps (which changes the state) wastes little."""


@jax.jit
def _rates_ahead(c: Any, state: Any, counts: Any) -> Any:
    # A loop of the scalar computation, not jax.vmap: vectorized pow/exp can differ from the
    # scalar ones by an ulp, and these values must equal those of step(metric)'s path.
    return jax.lax.map(lambda k: c(state._replace(count=k)), counts)


@jax.jit
def _advance(c: Any, state: Any, value: Any, valid: Any) -> tuple[Any, Any]:
    new = c.update(state, value=value, valid=valid)
    return new, c(new)


def _initial_states(controllers: list[Any]) -> list[Any]:
    """One state per group; groups sharing a controller object share its state."""
    made: dict[int, Any] = {}
    return [made.setdefault(id(c), c.init()) for c in controllers]


def _rates(controllers: list[Any], states: list[Any]) -> list[float]:
    return [float(np.asarray(c(s))) for c, s in zip(controllers, states, strict=True)]


def _scalar(metrics: Any) -> float:
    """A metric as a Python float (torch's ``float(metrics)``), with a clear error."""
    if isinstance(metrics, torch.Tensor):
        metrics = metrics.detach().cpu().numpy()
    try:
        array = np.asarray(metrics, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != 1:
        raise ValueError(
            f"{_FUNC}.step(metrics={metrics!r:.80}): the metric must be one real number "
            "(a Python number or a one-element tensor)"
        )
    return float(array.reshape(()))


def _load_array(where: str, x: Any, spec: Any) -> Any:
    """An array field of a saved state: a (nested) list of numbers of the field's shape."""
    ok = isinstance(x, list)
    array = np.asarray(x) if ok else None
    if array is None or array.shape != spec.shape or array.dtype.kind not in "iuf":
        raise ValueError(
            f"{where}={x!r:.80}: expected a list of numbers of shape {spec.shape} ({spec.dtype})"
        )
    if jnp.issubdtype(spec.dtype, jnp.integer) and array.dtype.kind == "f":
        raise ValueError(f"{where}={x!r:.80}: expected integers ({spec.dtype})")
    return jnp.asarray(array, spec.dtype)


def _load_states(controllers: list[Any], saved: Any) -> list[Any]:
    """Rebuild each group's state from plain numbers, checked against its controller."""
    where = f"{_FUNC}.load_state_dict: state_dict['states']"
    if not isinstance(saved, list) or len(saved) != len(controllers):
        raise ValueError(
            f"{where} must hold one state per param group ({len(controllers)}), got {saved!r:.200}"
        )
    states = []
    for g, (c, fields) in enumerate(zip(controllers, saved, strict=True)):
        expected = jax.eval_shape(c.init)
        names = list(expected._fields)
        if not isinstance(fields, dict) or sorted(fields) != sorted(names):
            got = sorted(fields) if isinstance(fields, dict) else fields
            raise ValueError(
                f"{where}[{g}] must have the fields {names} of {c.factory}'s state, "
                f"got {got!r:.200}"
            )
        values = {}
        for name, spec in zip(names, expected, strict=True):
            x = fields[name]
            if spec.shape != ():  # an array field (e.g. a smoothing window): a list of numbers
                values[name] = _load_array(f"{where}[{g}]['{name}']", x, spec)
                continue
            integer = jnp.issubdtype(spec.dtype, jnp.integer)
            kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
            if isinstance(x, bool) or not isinstance(x, kinds):
                raise ValueError(
                    f"{where}[{g}]['{name}']={x!r:.80}: expected "
                    f"{'an integer' if integer else 'a number'} ({spec.dtype})"
                )
            if integer and not jnp.iinfo(spec.dtype).min <= x <= jnp.iinfo(spec.dtype).max:
                # jnp.asarray would refuse it with a message naming no field.
                raise OverflowError(
                    f"{where}[{g}]['{name}']={x!r:.80}: does not fit in {spec.dtype}; {X64_HINT}"
                )
            values[name] = jnp.asarray(x, spec.dtype)
        states.append(type(expected)(**values))
    return states
