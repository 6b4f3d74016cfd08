"""lrjax schedules inside Keras 3 optimizers: ``lrjax.keras.LearningRateSchedule``, and
``lrjax.keras.AdaptiveCallback``, which drives an adaptive schedule from ``model.fit``.

Import it explicitly (``import lrjax.keras``); ``import lrjax`` never imports Keras.
Requires the ``keras`` extra: ``pip install 'lrjax[keras]'``. Importing this module
registers the class with Keras (``keras.saving.register_keras_serializable``), so
``keras.models.load_model`` restores a model compiled with it without ``custom_objects``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import keras
except ImportError as _err:  # pragma: no cover - exercised only without keras
    raise ImportError(
        "lrjax.keras needs Keras 3; install it with: pip install 'lrjax[keras]'"
    ) from _err

import jax
import jax.numpy as jnp
from jax.core import Tracer

from lrjax.adaptive.base import AbstractAdaptive
from lrjax.core.config import from_config, to_config
from lrjax.core.dtypes import X64_HINT, int_dtype, int_max
from lrjax.core.schedule import as_schedule
from lrjax.core.steps import check_step

__all__ = ["AdaptiveCallback", "LearningRateSchedule"]

_FUNC = "lrjax.keras.LearningRateSchedule"


@keras.saving.register_keras_serializable(package="lrjax", name="LearningRateSchedule")
class LearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    r"""A Keras 3 ``LearningRateSchedule`` that evaluates an lrjax schedule.

    .. math::
      \eta(t) = s(t)

    where :math:`t` is the optimizer's ``iterations`` (the number of updates applied, so
    the first update uses ``s(0)``, as in Keras) and :math:`s` is the lrjax schedule.
    Works with every Keras optimizer. On the JAX backend the schedule is traced into the
    compiled train step; on other backends (torch) the step is read back to NumPy and the
    value computed eagerly by JAX, one call per update.

    ``get_config`` stores the schedule's ``lrjax.to_config``, so ``model.save`` and
    ``keras.models.load_model`` keep it (import ``lrjax.keras`` before loading; no
    ``custom_objects`` needed). Keras's own schedules cast the step to float32, which
    freezes them above step 2**24; lrjax keeps the integer step exact.

    **Steps beyond int32**: without ``jax_enable_x64`` the JAX backend keeps
    ``iterations`` in int32, which wraps to a negative number after ``2**31 - 1``
    updates. A concrete step above the integer mode's largest (which JAX would narrow
    silently) or below 0 (a wrapped counter) is an ``OverflowError`` naming the step;
    inside the compiled train step, where nothing can be raised, a negative step gives a
    NaN rate (so the loss turns NaN at once, instead of the schedule restarting at
    ``s(0)``). Enable x64 for longer runs.

    **Adaptive schedules** (``lrjax.reduce_on_plateau``,
    ``lrjax.compat.keras.ReduceLROnPlateau``, ...): the adapter holds the controller's
    state, and the rate is ``c(state)`` with the state's count replaced by the optimizer's
    ``iterations`` (so a base schedule, a warmup, still moves per update). An
    :class:`AdaptiveCallback` updates the state at each epoch end. ``get_config`` also
    stores the state (without the count), so ``model.save`` during or after training (or
    ``ModelCheckpoint``) and ``load_model`` resume the controller where it was.

    Args:
      schedule: an lrjax schedule (or a number, a constant rate), or an adaptive schedule.
        It must be serializable (built from lrjax schedules, not a plain Python callable)
        for ``get_config``.
      name: an optional name, kept in the config.

    Examples:
      >>> import keras
      >>> import lrjax.keras
      >>> s = lrjax.keras.LearningRateSchedule(lrjax.linear(1e-3, 0.0, 100))
      >>> opt = keras.optimizers.Adam(learning_rate=s)
      >>> print(f"{float(s(25)):.2e}")
      7.50e-04
      >>> config = keras.optimizers.schedules.serialize(s)
      >>> print(f"{float(keras.optimizers.schedules.deserialize(config)(25)):.2e}")
      7.50e-04
    """

    def __init__(self, schedule: Any, name: str | None = None) -> None:
        super().__init__()
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{_FUNC}(name={name!r}): name must be a string or None")
        self.schedule: Any = (
            schedule
            if isinstance(schedule, AbstractAdaptive)
            else as_schedule(schedule, _FUNC, "schedule")
        )
        # The controller's state (adaptive schedules only); its count is not used.
        self.state: Any = schedule.init() if isinstance(schedule, AbstractAdaptive) else None
        self.name = name

    @property
    def adaptive(self) -> bool:
        """Whether the schedule is an adaptive schedule (driven by :class:`AdaptiveCallback`)."""
        return self.state is not None

    def __call__(self, step: Any) -> Any:
        if keras.backend.backend() == "jax":
            raw = step.value if isinstance(step, keras.Variable) else step
            if isinstance(raw, Tracer):
                # Inside the compiled train step no error can be raised: a wrapped counter
                # (negative) gives a NaN rate, which the loss shows at once.
                rate = self._rate(raw)
                if jnp.issubdtype(raw.dtype, jnp.integer):
                    rate = jnp.where(raw < 0, jnp.asarray(jnp.nan, rate.dtype), rate)
                return rate
            # Checked before any conversion: JAX narrows an int64 to int32 silently.
            return self._rate(_checked_step(np.asarray(raw)))
        tensor: Any = keras.ops.convert_to_tensor(step)
        if keras.backend.backend() == "torch":
            # Keras's convert_to_numpy goes through torch's __array__, which NumPy 2 warns about.
            host = tensor.detach().cpu().numpy()
        else:
            host = keras.ops.convert_to_numpy(tensor)
        value = self._rate(_checked_step(np.asarray(host)))
        return keras.ops.convert_to_tensor(np.asarray(value), dtype="float32")

    def _rate(self, step: Any) -> Any:
        if self.state is None:
            return self.schedule(step)
        # The state is a constant of the compiled train step: AdaptiveCallback recompiles
        # the step when the multiplier changes (a reduction), not at every epoch.
        count = jnp.asarray(step).astype(self.state.count.dtype)
        return self.schedule(self.state._replace(count=count))

    def observe(self, value: Any) -> bool:
        """Update the state with one metric (one epoch); whether the rate's multiplier changed.

        Args:
          value: the metric, a real number.
        """
        if self.state is None:
            raise TypeError(
                f"{_FUNC}.observe: {self.schedule!r:.80} is not an adaptive schedule; wrap it, "
                "e.g. lrjax.reduce_on_plateau(schedule), to follow a metric"
            )
        array = np.asarray(value, dtype=np.float64) if _is_real(value) else None
        if array is None or array.shape != ():
            raise ValueError(
                f"{_FUNC}.observe(value={value!r:.80}): the metric must be one real number"
            )
        old = self.state
        self.state = _update(self.schedule, old, np.asarray(array, old.best.dtype))
        before, after = self.schedule.multiplier(old), self.schedule.multiplier(self.state)
        return bool(np.asarray(before) != np.asarray(after))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schedule": to_config(self.schedule), "name": self.name}
        if self.state is not None:
            config["state"] = {
                k: np.asarray(x).item() for k, x in self.state._asdict().items() if k != "count"
            }
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        if not isinstance(config, dict) or "schedule" not in config:
            raise ValueError(
                f"{_FUNC}.from_config: expected a dict with a 'schedule' entry, got {config!r:.200}"
            )
        made = cls(from_config(config["schedule"]), name=config.get("name"))
        if "state" in config:
            made.state = _load_state(made.schedule, config["state"])
        return made

    def __repr__(self) -> str:
        return f"lrjax.keras.LearningRateSchedule({self.schedule!r})"


def _checked_step(step: np.ndarray) -> Any:
    """A concrete step, refused with the adapter's name when it is an integer the current
    JAX integer mode cannot hold, or negative: ``iterations`` never is, unless Keras's
    counter (int32 without x64) wrapped past ``2**31 - 1``."""
    if step.dtype.kind in "iu" and step.size:
        top, bottom = int(step.max()), int(step.min())
        if top > int_max():
            raise OverflowError(
                f"{_FUNC}: step {top} does not fit in {int_dtype()}, the step type of lrjax "
                f"schedules without x64; {X64_HINT}"
            )
        if bottom < 0:
            raise OverflowError(
                f"{_FUNC}: step {bottom} is negative; the optimizer's iterations never is, "
                f"unless its {int_dtype()} counter wrapped past {int_max()}; {X64_HINT}"
            )
    return check_step(step)


@jax.jit
def _update(c: Any, state: Any, value: Any) -> Any:
    return c.update(state, value=value)


def _is_real(value: Any) -> bool:
    try:
        return np.asarray(value).dtype.kind in "iuf"
    except (TypeError, ValueError):
        return False


def _load_state(c: Any, fields: Any) -> Any:
    """A controller's state from ``{field: number}`` (``get_config``), checked field by field."""
    where = f"{_FUNC}.from_config: config['state']"
    if not isinstance(c, AbstractAdaptive):
        raise ValueError(f"{where}: a state is only kept for an adaptive schedule, not {c!r:.80}")
    expected = c.init()
    names = [k for k in expected._fields if k != "count"]
    if not isinstance(fields, dict) or sorted(fields) != sorted(names):
        got = sorted(fields) if isinstance(fields, dict) else fields
        raise ValueError(
            f"{where} must have the fields {names} of {c.factory}'s state, got {got!r:.200}"
        )
    values = {"count": expected.count}
    for name in names:
        x, dtype = fields[name], getattr(expected, name).dtype
        integer = jnp.issubdtype(dtype, jnp.integer)
        kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
        if isinstance(x, bool) or not isinstance(x, kinds):
            raise ValueError(
                f"{where}['{name}']={x!r:.80}: expected {'an integer' if integer else 'a number'}"
                f" ({dtype})"
            )
        values[name] = jnp.asarray(x, dtype)
    return type(expected)(**values)


class AdaptiveCallback(keras.callbacks.Callback):
    r"""Drives an adaptive schedule inside ``model.fit``: one update per epoch end.

    At each epoch end, reads ``logs[monitor]`` and runs ``state = c.update(state,
    value=metric)`` on the state held by ``schedule`` (an :class:`LearningRateSchedule` of an
    adaptive schedule, the optimizer's ``learning_rate``); the next updates use

    .. math::
      \eta(t) = c(\text{state with count } t)

    at the optimizer's ``iterations`` :math:`t`. The rate is a constant of the compiled train
    step: when a reduction changes it, the callback rebuilds the train function
    (``model.make_train_function(force=True)``, one compilation per reduction). Like Keras's
    ``ReduceLROnPlateau``, it writes the epoch's rate to ``logs["learning_rate"]``. A
    missing metric is an error (Keras's callback only warns and never reduces).

    Keras's own ``keras.callbacks.ReduceLROnPlateau`` cannot drive a scheduled optimizer:
    it assigns a float to ``optimizer.learning_rate``, which Keras refuses for any
    ``LearningRateSchedule`` ("learning rate is not settable"). Use
    ``lrjax.compat.keras.ReduceLROnPlateau`` (its exact rules) or
    ``lrjax.reduce_on_plateau(schedule)`` with this callback instead.

    Args:
      schedule: the :class:`LearningRateSchedule` given to the optimizer, wrapping an
        adaptive schedule.
      monitor: the log entry to follow, e.g. "val_loss" (needs ``validation_data``).

    Examples:
      >>> import keras
      >>> import lrjax.keras
      >>> c = lrjax.compat.keras.ReduceLROnPlateau(0.1, patience=1)
      >>> lr = lrjax.keras.LearningRateSchedule(c)
      >>> callback = lrjax.keras.AdaptiveCallback(lr, monitor="val_loss")
      >>> for val_loss in [1.0, 1.0, 0.5]:  # what model.fit does at each epoch end
      ...     callback.on_epoch_end(0, {"val_loss": val_loss})
      >>> print(f"{float(lr(0)):.3f}")
      0.010
    """

    def __init__(self, schedule: LearningRateSchedule, monitor: str = "val_loss") -> None:
        super().__init__()
        name = "lrjax.keras.AdaptiveCallback"
        if not isinstance(schedule, LearningRateSchedule) or not schedule.adaptive:
            raise TypeError(
                f"{name}(schedule={schedule!r:.80}): schedule must be the "
                "lrjax.keras.LearningRateSchedule of an adaptive schedule, e.g. "
                "LearningRateSchedule(lrjax.reduce_on_plateau(1e-3)), given to the optimizer"
            )
        if not isinstance(monitor, str):
            raise TypeError(f"{name}(monitor={monitor!r}): monitor must be a log name")
        self.schedule = schedule
        self.monitor = monitor

    def on_train_begin(self, logs: Any = None) -> None:
        optimizer: Any = getattr(self.model, "optimizer", None)
        # Keras keeps the optimizer's schedule in _learning_rate (no public accessor).
        if getattr(optimizer, "_learning_rate", None) is not self.schedule:
            raise ValueError(
                "lrjax.keras.AdaptiveCallback: the model's optimizer does not use this "
                "schedule; compile with optimizer=...(learning_rate=schedule)"
            )

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            raise KeyError(
                f"lrjax.keras.AdaptiveCallback(monitor={self.monitor!r}): the logs have no "
                f"{self.monitor!r} (they have {sorted(logs)}); a 'val_' metric needs "
                "validation_data"
            )
        model: Any = self.model  # None when called outside model.fit
        if model is not None:
            logs["learning_rate"] = float(np.asarray(model.optimizer.learning_rate))
        if self.schedule.observe(logs[self.monitor]) and model is not None:
            model.make_train_function(force=True)
