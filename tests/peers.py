"""Oracles: the learning-rate curves the real peer libraries produce.

Every public function here returns a NumPy ``float64`` array ``lr`` of length
``num_steps`` in which ``lr[t]`` is **the learning rate used for the t-th
optimizer update** (t = 0, 1, ...), as each peer's own training loop wires it.
Parity tests compare ``lrjax.compat.*`` schedules evaluated at ``arange(num_steps)``
against these arrays. The peers are imported lazily, inside the function that
needs them, so importing this module is cheap and any one peer may be absent.

The step convention of each peer, with the source lines it rests on (versions:
torch 2.13.0, transformers 5.23.0, keras 3.15.1, optax 0.2.8, timm 1.0.31):

torch (``torch_curve``)
    ``LRScheduler.__init__`` calls ``_initial_step()``, which runs one ``step()``:
    ``last_epoch = 0`` and the group LR is set to ``get_lr()`` at 0. Each later
    ``step()`` does ``last_epoch += 1`` and then ``get_lr()``
    (``torch/optim/lr_scheduler.py``, ``LRScheduler._update_lr``). The documented
    loop is ``optimizer.step(); scheduler.step()``, so update t uses the value for
    ``last_epoch == t``: the closed form evaluated at t.

Hugging Face (``hf_curve``, ``hf_function_curve``)
    Every schedule except plateau/greedy is a ``LambdaLR`` (the torch convention
    above), and ``Trainer`` calls ``lr_scheduler.step()`` right after
    ``optimizer.step()``. Update t uses ``base_lr * lr_lambda(t)``; the first
    update uses ``lr_lambda(0)``.

Keras (``keras_curve``, ``keras_optimizer_curve``)
    ``BaseOptimizer.apply`` runs the update with ``self.learning_rate``, which is
    ``self._learning_rate(self._iterations)`` (``_get_current_learning_rate``),
    and only then ``self._iterations.assign_add(1)``
    (``keras/src/optimizers/base_optimizer.py``). ``iterations`` starts at 0
    (int32 on JAX), so update t uses ``schedule(t)``. ``keras_optimizer_curve``
    measures this from real ``apply_gradients`` calls.

optax (``optax_curve``, ``optax_optimizer_curve``)
    ``inject_hyperparams``'s ``update_fn`` evaluates the schedule at the state's
    ``count`` and then returns ``count=safe_increment(state.count)``
    (``optax/schedules/_inject.py``); ``scale_by_schedule`` does the same. The
    count starts at int32 0, so update t uses ``schedule(t)``.
    ``optax_optimizer_curve`` measures this from real ``sgd`` updates.

timm (``timm_curve``)
    timm schedulers are told the time by the caller. The reference loop in timm's
    ``train.py`` builds the scheduler, runs ``optimizer.step()``, increments
    ``num_updates`` and then calls ``lr_scheduler.step_update(num_updates=num_updates)``
    (``train_one_epoch``); ``lr_scheduler.step(epoch + 1, ...)`` at epoch ends is a
    no-op when ``t_in_epochs=False`` (``Scheduler._get_values``). Hence:

    * update t >= 1 uses ``_get_lr(t)`` (plus noise for t, if configured), set by
      ``step_update(num_updates=t)`` after update t-1;
    * update 0 uses whatever the constructor left in the param group: ``Scheduler.__init__``
      calls ``update_groups(base_values)`` and the subclasses then call
      ``update_groups(warmup_lr_init)`` if ``warmup_t`` (``timm/scheduler/cosine_lr.py``
      and siblings). This equals ``_get_lr(0)`` in the usual cases but not always:
      ``TanhLRScheduler`` without warmup gives ``base`` rather than
      ``base * (1 - tanh(lb)) / 2``, a ``MultiStepLRScheduler`` milestone at 0 or 1
      is not applied at update 0, and noise is never applied at update 0.

    ``timm_curve`` reproduces that loop exactly; ``timm_get_lr_curve`` returns the
    plain ``_get_lr(t)`` values for comparison.

Peers that raise past their end (torch ``OneCycleLR`` raises ``ValueError`` once
``last_epoch > total_steps``): the loop stops at the first raising ``scheduler.step()``
and every later entry is NaN. With ``OneCycleLR(total_steps=T)`` entries ``0..T`` are
finite (``T`` is the extrapolated value computed by the last successful step) and
entries from ``T + 1`` on are NaN.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any, cast

import numpy as np

__all__ = [
    "hf_curve",
    "hf_function_curve",
    "import_keras",
    "keras_curve",
    "keras_optimizer_curve",
    "optax_curve",
    "optax_optimizer_curve",
    "timm_curve",
    "timm_get_lr_curve",
    "timm_scheduler_module",
    "torch_curve",
]

# torch warns about the order of `step()` calls when a scheduler is built inside
# another one (SequentialLR, ChainedScheduler); the loop below is the documented one.
_TORCH_ORDER_WARNINGS = (
    r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`",
    r"Seems like `optimizer\.step\(\)` has been overridden after learning rate scheduler",
)


# --------------------------------------------------------------------------- torch


def _run_torch_loop(optimizer: Any, scheduler: Any, num_steps: int, errors: tuple) -> np.ndarray:
    """Records ``param_groups[0]["lr"]`` before each update; NaN after a raising step."""
    lrs = np.full(num_steps, np.nan, dtype=np.float64)
    for t in range(num_steps):
        lrs[t] = float(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if t == num_steps - 1:
            break  # the value for update num_steps is not needed
        try:
            scheduler.step()
        except errors:
            break
    return lrs


def _sgd_with_one_parameter(base_lr: float) -> Any:
    import torch

    param = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    param.grad = torch.zeros_like(param)
    return torch.optim.SGD([param], lr=base_lr)


def torch_curve(
    make_scheduler: Callable[[Any], Any],
    base_lr: float,
    num_steps: int,
    *,
    errors: tuple[type[BaseException], ...] = (ValueError,),
) -> np.ndarray:
    """Learning rate used for each update by a ``torch.optim.lr_scheduler`` scheduler.

    Builds ``torch.optim.SGD`` (momentum 0) over one dummy parameter with
    ``lr=base_lr``, calls ``make_scheduler(optimizer)``, then runs the documented
    loop: record ``optimizer.param_groups[0]["lr"]``, ``optimizer.step()``,
    ``scheduler.step()``. Entry t is therefore the closed form at ``last_epoch == t``.

    Args:
      make_scheduler: ``optimizer -> scheduler``, e.g.
        ``lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)``.
      base_lr: the optimizer's initial learning rate.
      num_steps: number of updates to record.
      errors: exception types that ``scheduler.step()`` may raise past the end of
        the schedule (``OneCycleLR`` raises ``ValueError``). When one is raised,
        recording stops and the remaining entries are NaN.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    with warnings.catch_warnings():
        for message in _TORCH_ORDER_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        optimizer = _sgd_with_one_parameter(base_lr)
        scheduler = make_scheduler(optimizer)
        return _run_torch_loop(optimizer, scheduler, num_steps, errors)


# ---------------------------------------------------------------- Hugging Face


def hf_curve(
    name: str,
    base_lr: float,
    num_steps: int,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict | None = None,
) -> np.ndarray:
    """Learning rate used for each update by ``transformers.get_scheduler(name, ...)``.

    Uses the same SGD-plus-loop as :func:`torch_curve`, which is how ``Trainer``
    steps the scheduler (``optimizer.step()`` then ``lr_scheduler.step()``), so
    entry t is ``base_lr * lr_lambda(t)``. Metric-driven types
    (``reduce_lr_on_plateau``, ``greedy``) are not supported: their ``step`` needs
    a metric.

    Args:
      name: a ``transformers.SchedulerType`` value, e.g. ``"linear"``, ``"cosine"``.
      base_lr: the optimizer's initial learning rate.
      num_steps: number of updates to record.
      num_warmup_steps, num_training_steps, scheduler_specific_kwargs: passed to
        ``get_scheduler`` unchanged.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    import transformers

    return torch_curve(
        lambda optimizer: transformers.get_scheduler(
            name,
            optimizer,
            num_warmup_steps=num_warmup_steps,
            num_training_steps=num_training_steps,
            scheduler_specific_kwargs=scheduler_specific_kwargs,
        ),
        base_lr,
        num_steps,
    )


def hf_function_curve(fn_name: str, base_lr: float, num_steps: int, **kwargs: Any) -> np.ndarray:
    """Learning rate used for each update by ``transformers.<fn_name>(optimizer, **kwargs)``.

    For the ``get_*_schedule*`` functions, e.g.
    ``hf_function_curve("get_cosine_schedule_with_warmup", 1.0, 10,
    num_warmup_steps=2, num_training_steps=6, num_cycles=0.5)``. Same loop as
    :func:`torch_curve`.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    import transformers

    fn = getattr(transformers, fn_name)
    return torch_curve(lambda optimizer: fn(optimizer, **kwargs), base_lr, num_steps)


def _jax_defaults(fn: Callable) -> Callable:
    """Runs ``fn`` under JAX's default promotion rules, whatever the test config says.

    lrjax's conftest may set ``jax_numpy_dtype_promotion="strict"`` and
    ``jax_numpy_rank_promotion="raise"``; optax and Keras are written for the
    defaults (optax multiplies float32 by bool), so the oracles restore them.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import jax

        with jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
            return fn(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------- Keras


def import_keras() -> Any:
    """Imports keras with ``KERAS_BACKEND=jax`` (the default set here); refuses other backends."""
    backend = os.environ.setdefault("KERAS_BACKEND", "jax")
    if backend != "jax":
        raise RuntimeError(f"peers.keras_* need KERAS_BACKEND=jax, got {backend!r}")
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(f"keras was already imported with backend {keras.backend.backend()!r}")
    return keras


def _evaluate_steps(schedule: Callable, num_steps: int) -> np.ndarray:
    """``schedule`` at int32 steps ``0..num_steps-1``: jit+vmap, else one step at a time."""
    import jax
    import jax.numpy as jnp

    steps = jnp.arange(num_steps, dtype=jnp.int32)
    try:
        values = jax.jit(jax.vmap(schedule))(steps)
    except Exception:  # noqa: BLE001  (any tracing failure: fall back to eager calls)
        values = jnp.stack([jnp.asarray(schedule(step)) for step in steps])
    values = np.asarray(values)
    if values.shape != (num_steps,):
        values = np.broadcast_to(values, (num_steps,))
    return values.astype(np.float64)


@_jax_defaults
def keras_curve(cls_name: str, num_steps: int, **kwargs: Any) -> np.ndarray:
    """``keras.optimizers.schedules.<cls_name>(**kwargs)`` at steps ``0..num_steps-1``.

    Entry t is ``schedule(t)`` with an int32 step (the dtype of ``iterations`` on
    the JAX backend), computed in the schedule's own dtype (float32 unless the
    initial learning rate says otherwise) and widened to float64. By the Keras
    convention (module docstring) this is the rate used for update t; see
    :func:`keras_optimizer_curve` for the measured version.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    keras = import_keras()
    schedule = getattr(keras.optimizers.schedules, cls_name)(**kwargs)
    return _evaluate_steps(schedule, num_steps)


@_jax_defaults
def keras_optimizer_curve(schedule: Any, num_steps: int) -> np.ndarray:
    """Learning rate a real ``keras.optimizers.SGD`` applies at each of its updates.

    Builds ``SGD(learning_rate=schedule)`` (momentum 0) over one float32 scalar
    variable and calls ``apply_gradients`` ``num_steps`` times with gradient 1,
    resetting the variable to 0 first, so the variable after update t is exactly
    ``-lr_t``. Nothing touches ``iterations`` but the optimizer itself.

    Args:
      schedule: a ``keras.optimizers.schedules.LearningRateSchedule`` instance.
      num_steps: number of updates (each is an eager call: keep this small).

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    keras = import_keras()
    variable = keras.Variable(0.0, dtype="float32")
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    optimizer.build([variable])
    grad = keras.ops.ones((), dtype="float32")
    lrs = np.empty(num_steps, dtype=np.float64)
    for t in range(num_steps):
        variable.assign(0.0)
        optimizer.apply_gradients([(grad, variable)])
        lrs[t] = 0.0 - float(np.asarray(variable.value))
    return lrs


# ----------------------------------------------------------------------- optax


@_jax_defaults
def optax_curve(fn_name: str, num_steps: int, **kwargs: Any) -> np.ndarray:
    """``optax.<fn_name>(**kwargs)`` at int32 steps ``0..num_steps-1``.

    Evaluated with ``jax.jit(jax.vmap(schedule))`` (falls back to one step at a
    time), widened to float64 from the schedule's own dtype (float32 by default).
    By the optax convention (module docstring) entry t is the rate used for
    update t; see :func:`optax_optimizer_curve` for the measured version.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    import optax

    schedule = getattr(optax, fn_name)(**kwargs)
    return _evaluate_steps(schedule, num_steps)


@_jax_defaults
def optax_optimizer_curve(schedule: Callable, num_steps: int) -> np.ndarray:
    """Learning rate ``optax.inject_hyperparams(optax.sgd)`` uses for each update.

    Runs ``num_steps`` real updates (in one ``lax.scan``) on a float32 scalar
    parameter with gradient 1 and records ``state.hyperparams["learning_rate"]``
    of the state each update returns, which holds the value that update used.
    The returned SGD update, ``-lr * 1``, is checked to agree with it.

    Args:
      schedule: any optax schedule ``step -> lr``.
      num_steps: number of updates.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    import jax
    import jax.numpy as jnp
    import optax

    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule)
    params = jnp.zeros((), dtype=jnp.float32)
    grads = jnp.ones((), dtype=jnp.float32)

    def update(state, _):
        updates, state = optimizer.update(grads, state, params)
        state = cast(Any, state)
        return state, (state.hyperparams["learning_rate"], -cast(Any, updates))

    _, (lrs, applied) = jax.jit(lambda state: jax.lax.scan(update, state, None, length=num_steps))(
        optimizer.init(params)
    )
    lrs = np.asarray(lrs, dtype=np.float64)
    np.testing.assert_array_equal(lrs, np.asarray(applied, dtype=np.float64))
    return lrs


# ------------------------------------------------------------------------ timm


@functools.cache
def timm_scheduler_module() -> types.ModuleType:
    """``timm.scheduler``, importable even when the rest of timm is not.

    ``import timm`` pulls in ``timm.layers`` and thus torchvision, which is not
    installed here. The scheduler subpackage needs only torch and NumPy. So if
    the normal import fails, this removes the partial
    ``timm*`` modules it left behind and registers a bare package object named
    ``timm`` (``__path__`` = the installed package directory, flagged with
    ``__lrjax_stub__ = True``) whose ``__init__`` is never run, then imports
    ``timm.scheduler`` from the real files.
    """
    before = set(sys.modules)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            return importlib.import_module("timm.scheduler")
    except (ImportError, RuntimeError, AttributeError, OSError):
        # torchvision missing (ImportError) or built for another torch (RuntimeError).
        for name in set(sys.modules) - before:
            if name == "timm" or name.startswith("timm."):
                del sys.modules[name]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed: pip install --no-deps timm==1.0.31")
    stub = types.ModuleType("timm")
    stub.__path__ = list(spec.submodule_search_locations)
    stub.__file__ = spec.origin
    setattr(stub, "__lrjax_stub__", True)  # noqa: B010
    sys.modules["timm"] = stub
    return importlib.import_module("timm.scheduler")


def _make_timm_scheduler(cls_name: str, base_lr: float, kwargs: dict) -> tuple[Any, Any]:
    scheduler_cls = getattr(timm_scheduler_module(), cls_name)
    optimizer = _sgd_with_one_parameter(base_lr)
    kwargs = {"t_in_epochs": False, **kwargs}
    return optimizer, scheduler_cls(optimizer, **kwargs)


def timm_curve(cls_name: str, base_lr: float, num_steps: int, **kwargs: Any) -> np.ndarray:
    """Learning rate used for each update by a timm scheduler stepped per update.

    Builds ``timm.scheduler.<cls_name>(optimizer, t_in_epochs=False, **kwargs)``
    on an SGD optimizer with ``lr=base_lr`` and runs timm's own ``train.py``
    loop: record ``param_groups[0]["lr"]``, ``optimizer.step()``, then
    ``scheduler.step_update(num_updates=t + 1)``. So entry 0 is the value the
    constructor put in the group (``warmup_lr_init`` if ``warmup_t`` else
    ``base_lr``) and entry t >= 1 is ``_get_lr(t)`` plus noise for t. The two
    differ only at t = 0 and only in the cases listed in the module docstring.

    Args:
      cls_name: ``CosineLRScheduler``, ``TanhLRScheduler``, ``StepLRScheduler``,
        ``MultiStepLRScheduler``, ``PolyLRScheduler`` or ``WSDLRScheduler``.
      base_lr: the optimizer's initial learning rate (timm's ``base_values``).
      num_steps: number of updates to record.
      **kwargs: constructor arguments (``t_initial``, ``warmup_t``, ...);
        ``t_in_epochs`` defaults to False and should stay so.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    optimizer, scheduler = _make_timm_scheduler(cls_name, base_lr, kwargs)
    lrs = np.empty(num_steps, dtype=np.float64)
    for t in range(num_steps):
        lrs[t] = float(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step_update(num_updates=t + 1)
    return lrs


def timm_get_lr_curve(cls_name: str, base_lr: float, num_steps: int, **kwargs: Any) -> np.ndarray:
    """timm's pure ``_get_lr(t)[0]`` for t = 0..num_steps-1 (no noise, no loop).

    Same construction as :func:`timm_curve`. Equal to it except possibly at t = 0
    (see the module docstring) and where noise is configured.

    Returns:
      ``float64`` array of shape ``(num_steps,)``.
    """
    _, scheduler = _make_timm_scheduler(cls_name, base_lr, kwargs)
    return np.array([scheduler._get_lr(t)[0] for t in range(num_steps)], dtype=np.float64)
