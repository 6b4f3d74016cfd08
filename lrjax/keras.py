"""lrjax schedules inside Keras 3 optimizers: ``lrjax.keras.LearningRateSchedule``.

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

from lrjax.core.config import from_config, to_config
from lrjax.core.schedule import AbstractSchedule, as_schedule

__all__ = ["LearningRateSchedule"]

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

    Args:
      schedule: an lrjax schedule (or a number, a constant rate). It must be serializable
        (built from lrjax schedules, not a plain Python callable) for ``get_config``.
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
        self.schedule: AbstractSchedule = as_schedule(schedule, _FUNC, "schedule")
        self.name = name

    def __call__(self, step: Any) -> Any:
        if keras.backend.backend() == "jax":
            return self.schedule(keras.ops.convert_to_tensor(step))  # type: ignore[arg-type]
        tensor: Any = keras.ops.convert_to_tensor(step)
        if keras.backend.backend() == "torch":
            # Keras's convert_to_numpy goes through torch's __array__, which NumPy 2 warns about.
            host = tensor.detach().cpu().numpy()
        else:
            host = keras.ops.convert_to_numpy(tensor)
        value = self.schedule(np.asarray(host))
        return keras.ops.convert_to_tensor(np.asarray(value), dtype="float32")

    def get_config(self) -> dict[str, Any]:
        return {"schedule": to_config(self.schedule), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        if not isinstance(config, dict) or "schedule" not in config:
            raise ValueError(
                f"{_FUNC}.from_config: expected a dict with a 'schedule' entry, got {config!r:.200}"
            )
        return cls(from_config(config["schedule"]), name=config.get("name"))

    def __repr__(self) -> str:
        return f"lrjax.keras.LearningRateSchedule({self.schedule!r})"
