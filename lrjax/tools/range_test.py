"""The learning-rate range test (Smith 2015): one compiled program, vmapped over repeats.

Train briefly while the rate grows along an ordinary lrjax schedule, record the loss, read
bounds off the curve. The whole test is one ``jax.lax.scan`` under ``jax.jit``; the repeats
(each with its own order of the batches) are ``vmap``-ped into the same program, and a new
``min_lr``, ``max_lr``, ``smoothing``, ``diverge_threshold`` or new parameter values reuse
it. The suggestion rules are those of torch-lr-finder ("steepest") and fastai ("valley",
"minimum"); docs/lr_range_test.md compares them with PyTorch Lightning's.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lrjax.core import checks as v
from lrjax.core.schedule import AbstractSchedule
from lrjax.presets.recipes import Cyclic, OneCycle, cyclic, one_cycle
from lrjax.schedules.primitives import linear
from lrjax.schedules.shaped import shaped_decay
from lrjax.tools.plot import import_pyplot

if TYPE_CHECKING:
    import optax
    from matplotlib.axes import Axes

_FUNC = "lr_range_test"
MODES = ("exponential", "linear")
METHODS = ("steepest", "valley", "minimum")


def ramp_schedule(mode: str, min_lr: Any, max_lr: Any, num_steps: int) -> AbstractSchedule:
    """The test's rates: ``min_lr`` at step 0, ``max_lr`` at ``num_steps - 1``, held after.

    "exponential" is geometric, ``min_lr * (max_lr / min_lr) ** (k / (num_steps - 1))``;
    "linear" is ``min_lr + (max_lr - min_lr) * k / (num_steps - 1)`` (torch-lr-finder's
    spacing, both exact at the ends).
    """
    if mode == "exponential":
        return shaped_decay(min_lr, max_lr, num_steps - 1, shape="exponential")
    return linear(min_lr, max_lr, num_steps - 1)


class RangeTestResult(NamedTuple):
    """What :func:`lr_range_test` records, one row per repeat (NumPy arrays on the host).

    Attributes:
      learning_rates: ``(num_repeats, num_steps)``, the rate of update ``k`` (the whole
        ramp, also after a repeat stopped).
      losses: ``(num_repeats, num_steps)``, the loss of the parameters update ``k`` starts
        from; NaN from ``stopped_at`` on.
      smoothed_losses: ``(num_repeats, num_steps)``, the bias-corrected running average;
        NaN from ``stopped_at`` on.
      stopped_at: ``(num_repeats,)``, the number of steps recorded (``num_steps`` when the
        repeat never stopped); the step that tripped the divergence check is recorded.
      diverged: ``(num_repeats,)``, whether the repeat stopped on the divergence check (it
        may trip at the last step, where ``stopped_at == num_steps``).
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    stopped_at: np.ndarray
    diverged: np.ndarray

    def suggest(
        self, method: str = "steepest", skip_start: int = 10, skip_end: int = 1
    ) -> np.ndarray:
        """A suggested rate per repeat, from the smoothed losses of steps
        ``[skip_start, stopped_at - skip_end)`` (cut at the first non-finite loss).

        - "steepest": the rate at ``np.gradient(smoothed).argmin()`` over the window,
          unit-spaced: torch-lr-finder's rule (in exponential mode, the steepest descent
          against log-rate). PyTorch Lightning takes the gradient against the rate itself
          instead (``spacing=lrs``), which on a geometric ramp favours the noisy smallest
          rates of the window: docs/lr_range_test.md.
        - "valley": fastai's rule: the longest strictly decreasing run of (not necessarily
          adjacent) losses in the window, and the point ``int(n/3) + int(n/6)`` into it.
        - "minimum": the rate at the smallest smoothed loss, divided by 10 (fastai).

        Args:
          method: "steepest", "valley" or "minimum".
          skip_start: recorded steps left out at the start; an integer ``>= 0``.
          skip_end: recorded steps left out before ``stopped_at``; an integer ``>= 0``
            (``>= 1`` leaves out the step that tripped the divergence check).

        Returns:
          A float64 array of shape ``(num_repeats,)``; NaN (with a warning) for a repeat
          whose window holds fewer than 2 recorded steps.
        """
        func = "RangeTestResult.suggest"
        v.as_choice(func, "method", method, METHODS)
        start = int(v.as_count(func, "skip_start", skip_start))
        end = int(v.as_count(func, "skip_end", skip_end))
        out = np.full(len(self.stopped_at), np.nan)
        for r, (lrs, losses) in enumerate(self._windows(start, end)):
            if len(losses) < 2:
                continue
            if method == "steepest":
                out[r] = lrs[np.gradient(losses).argmin()]
            elif method == "valley":
                out[r] = lrs[valley_index(losses)]
            else:
                out[r] = lrs[losses.argmin()] / 10
        short = np.isnan(out)
        if short.any():
            warnings.warn(
                f"{func}: repeats {np.flatnonzero(short).tolist()} recorded fewer than 2 "
                f"steps in [skip_start, stopped_at - skip_end) with skip_start={start}, "
                f"skip_end={end}, stopped_at={self.stopped_at.tolist()}; their suggestion "
                "is NaN",
                RuntimeWarning,
                stacklevel=2,
            )
        return out

    def _windows(self, start: int, end: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for lrs, smoothed, stop in zip(
            self.learning_rates, self.smoothed_losses, self.stopped_at, strict=True
        ):
            lrs = np.asarray(lrs[start : max(start, int(stop) - end)], np.float64)
            losses = np.asarray(smoothed[start : max(start, int(stop) - end)], np.float64)
            bad = np.flatnonzero(~np.isfinite(losses))
            n = bad[0] if len(bad) else len(losses)
            yield lrs[:n], losses[:n]

    def limit(self) -> float:
        """The largest rate the suggestions of :meth:`one_cycle` and :meth:`cyclic` may take:
        over all repeats, the smallest rate at which a repeat's smoothed loss was lowest
        (the loss rose after it, before any divergence)."""
        rates = [
            lrs[np.nanargmin(s[:stop])]
            for lrs, s, stop in zip(
                self.learning_rates, self.smoothed_losses, self.stopped_at, strict=True
            )
            if np.isfinite(s[:stop]).any()
        ]
        if not rates:
            raise ValueError("RangeTestResult: no repeat recorded a finite loss")
        return float(min(rates))

    def peak(self, method: str = "steepest", skip_start: int = 10, skip_end: int = 1) -> float:
        """One rate from the test: the median over repeats of :meth:`suggest`, capped at
        :meth:`limit` (the rule of :meth:`one_cycle` and :meth:`cyclic`)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rates = self.suggest(method, skip_start, skip_end)
        if np.isnan(rates).all():
            raise ValueError(
                f"RangeTestResult.peak: no repeat recorded 2 steps in [skip_start, "
                f"stopped_at - skip_end) with skip_start={skip_start}, skip_end={skip_end}, "
                f"stopped_at={self.stopped_at.tolist()}"
            )
        return min(float(np.nanmedian(rates)), self.limit())

    def one_cycle(
        self,
        total_steps: Any,
        *,
        method: str = "steepest",
        skip_start: int = 10,
        skip_end: int = 1,
        **kwargs: Any,
    ) -> OneCycle:
        """:func:`lrjax.one_cycle` whose peak is :meth:`peak` (``method``, default
        "steepest", with its ``skip_start`` and ``skip_end``).

        Smith & Topin's super-convergence takes the one-cycle maximum from the range test:
        a large rate at which the loss still falls fast, below where it turns up. The peak
        is the median suggestion over repeats, never above the rate where the smoothed
        loss stopped falling (which comes before divergence). fastai passes its more
        cautious "valley" as ``lr_max``: ``method="valley"`` (docs/lr_range_test.md
        compares them). ``kwargs`` go to :func:`lrjax.one_cycle` (``pct_start``,
        ``div_factor``, ...).
        """
        return one_cycle(self.peak(method, skip_start, skip_end), total_steps, **kwargs)

    def cyclic(
        self,
        step_size_up: Any,
        *,
        method: str = "steepest",
        skip_start: int = 10,
        skip_end: int = 1,
        base_factor: float = 4.0,
        **kwargs: Any,
    ) -> Cyclic:
        """:func:`lrjax.cyclic` between ``peak / base_factor`` and :meth:`peak` (``method``,
        ``skip_start``, ``skip_end`` as in :meth:`one_cycle`).

        Smith (2015, section 3.3) reads ``max_lr`` off the range test where the loss stops
        improving, and gives the rule of thumb ``base_lr = max_lr / 3`` or ``/ 4``.
        ``kwargs`` go to :func:`lrjax.cyclic` (``step_size_down``, ``mode``, ``gamma``).
        """
        factor = v.as_value("RangeTestResult.cyclic", "base_factor", base_factor, at_least=1.0)
        top = self.peak(method, skip_start, skip_end)
        return cyclic(top / float(factor), top, step_size_up, **kwargs)

    def plot(self, ax: Axes | None = None, *, methods: tuple[str, ...] = METHODS) -> Axes:
        """Smoothed loss against rate (log-x): one line, or the median and a min-max band
        over repeats; raw losses faintly; each method's median suggestion marked.

        matplotlib is the optional extra ``lrjax[plot]``.
        """
        plt = import_pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        assert ax is not None
        lrs = self.learning_rates[0]
        if len(self.stopped_at) == 1:
            ax.plot(lrs, self.losses[0], color="0.75", lw=0.8, label="loss")
            ax.plot(lrs, self.smoothed_losses[0], color="C0", label="smoothed loss")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                lo = np.nanmin(self.smoothed_losses, axis=0)
                mid = np.nanmedian(self.smoothed_losses, axis=0)
                hi = np.nanmax(self.smoothed_losses, axis=0)
            n = len(self.stopped_at)
            ax.fill_between(lrs, lo, hi, color="C0", alpha=0.25, label=f"{n} repeats, min-max")
            ax.plot(lrs, mid, color="C0", label="median smoothed loss")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i, method in enumerate(methods):
                rate = float(np.nanmedian(self.suggest(method)))
                if math.isfinite(rate):
                    ax.axvline(rate, color=f"C{i + 1}", ls="--", label=f"{method}: {rate:.2e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        finite = self.smoothed_losses[np.isfinite(self.smoothed_losses)]
        if finite.size:
            # The divergence spike would flatten the interesting part of the curve.
            top = np.nanpercentile(finite, 95)
            ax.set_ylim(finite.min() - 0.05 * (top - finite.min()), top * 1.1)
        ax.legend(fontsize="small")
        return ax


def valley_index(losses: np.ndarray) -> int:
    """fastai's "valley" point of a loss curve (fastai/callback/schedule.py, ``valley``).

    ``lds[i]`` is the length of the longest strictly decreasing subsequence ending at
    ``i``; the valley ends at the first ``i`` of greatest ``lds``, starts at
    ``end - lds[end]``, and the point is ``start + int(n/3) + int(n/6)`` with
    ``n = end - start``. As in fastai, ``start`` is one before the valley's first point,
    and the index may be ``-1`` (the last point) for a valley of two points at 0.
    """
    n = len(losses)
    lds = np.ones(n, np.int64)
    for i in range(1, n):
        above = losses[:i] > losses[i]
        if above.any():
            lds[i] = lds[:i][above].max() + 1
    end = int(lds.argmax())
    start = end - int(lds[end]) if lds[end] > 1 else 0
    sections = (end - start) / 3
    return start + int(sections) + int(sections / 2)


def _check_batches(batches: Any, num_steps: int) -> int:
    """The length of the step axis of a pytree of arrays, checked against ``num_steps``."""
    leaves = jax.tree.leaves(batches)
    v.require(leaves, _FUNC, "batches must hold at least one array (or be a function)")
    lengths = {np.shape(x)[0] if np.ndim(x) else 0 for x in leaves}
    shapes = [np.shape(x) for x in leaves]
    v.require(
        len(lengths) == 1,
        _FUNC,
        f"every array in batches must have the same leading (step) axis, got shapes {shapes}",
    )
    length = lengths.pop()
    v.require(
        length >= num_steps,
        _FUNC,
        f"batches has {length} steps on its leading axis (shapes {shapes}), fewer than "
        f"num_steps={num_steps}",
    )
    return length


def lr_range_test(
    loss_fn: Callable[[Any, Any], Any],
    params: Any,
    optimizer: Callable[[AbstractSchedule], optax.GradientTransformation],
    batches: Any,
    *,
    min_lr: Any = 1e-7,
    max_lr: Any = 10.0,
    num_steps: int = 100,
    mode: str = "exponential",
    smoothing: Any = 0.98,
    diverge_threshold: Any = 4.0,
    num_repeats: int = 1,
    key: Any = None,
) -> RangeTestResult:
    r"""The learning-rate range test (Smith 2015), as one compiled program.

    Trains from ``params`` for ``num_steps`` updates while the rate grows along an lrjax
    schedule from ``min_lr`` (step 0) to ``max_lr`` (step ``num_steps - 1``), geometric
    ("exponential") or linear, and records at step :math:`k` the loss :math:`\ell_k` of the
    parameters update :math:`k` (at rate ``learning_rates[k]``) starts from, and its
    bias-corrected running average (fastai's convention, :math:`\beta` = ``smoothing``):

    .. math::
      a_k = \beta a_{k-1} + (1 - \beta) \ell_k, \quad a_{-1} = 0, \qquad
      s_k = a_k / (1 - \beta^{k+1}).

    From step 1 on, a repeat stops when :math:`s_k > \theta \min(s_0, \dots, s_{k-1})`
    (:math:`\theta` = ``diverge_threshold``) or :math:`\ell_k` is not finite: step
    :math:`k` is recorded, later steps are NaN, and its parameters and optimizer state stay
    frozen (the scan runs on; nothing is broken out of). With ``num_repeats > 1`` (``key``
    required), repeat :math:`r` takes its batches in its own order: the step axis of
    ``batches`` permuted by ``jax.random.permutation(jax.random.split(key,
    num_repeats)[r], length)`` and cut to ``num_steps`` (a function of the step is called
    with the permuted steps ``0 .. num_steps - 1``); ``num_repeats=1`` with a key is one
    permuted repeat. Every repeat starts from the same ``params``.

    The whole test is one ``jax.lax.scan`` under ``jax.jit`` with the repeats ``vmap``-ped;
    calling it again with new numbers (rates, ``smoothing``, ``diverge_threshold``,
    ``params`` and ``batches`` values of the same shapes, ``key``) does not recompile as
    long as ``loss_fn``, ``optimizer`` (and ``batches`` if it is a function) are the same
    Python objects.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar loss``, differentiable in ``params``.
      params: the initial parameters (a pytree of arrays).
      optimizer: a function from a learning rate (an lrjax schedule) to an optax
        ``GradientTransformation``, e.g. ``lambda lr: optax.sgd(lr, momentum=0.9)``.
      batches: a pytree of arrays whose leading axis is the step (at least ``num_steps``
        long), or a jittable function ``step -> batch``.
      min_lr: the first rate; ``> 0`` and ``< max_lr``.
      max_lr: the rate of the last step; ``> min_lr``.
      num_steps: updates in the test; an integer ``>= 2``.
      mode: "exponential" (geometric spacing) or "linear".
      smoothing: :math:`\beta` of the running average; in ``[0, 1)``.
      diverge_threshold: :math:`\theta`; ``>= 1``.
      num_repeats: independent repeats (batch orders); an integer ``>= 1``.
      key: a ``jax.random`` key for the batch orders; required when ``num_repeats > 1``.

    Returns:
      A :class:`RangeTestResult`; ``result.suggest()`` gives a rate per repeat,
      ``result.one_cycle(total_steps)`` a schedule, ``result.plot()`` the curve.

    Examples:
      >>> import optax
      >>> data = jnp.linspace(-1.0, 1.0, 200).reshape(50, 4)  # 50 steps, batches of 4
      >>> loss = lambda w, x: jnp.mean((w * x - 3.0 * x) ** 2)
      >>> r = lrjax.lr_range_test(loss, jnp.zeros(()), optax.sgd, data, num_steps=50,
      ...                         min_lr=1e-3, max_lr=100.0, smoothing=0.9)
      >>> r.losses.shape, int(r.stopped_at[0]), bool(r.diverged[0])
      ((1, 50), 42, True)
      >>> print(r.suggest("valley", skip_start=5).round(3), float(r.learning_rates[0, -1]))
      [0.176] 100.0

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2017, section 3.3.
    """
    min_lr = v.as_value(_FUNC, "min_lr", min_lr, positive=True)
    max_lr = v.as_value(_FUNC, "max_lr", max_lr, positive=True)
    num_steps = int(v.as_count(_FUNC, "num_steps", num_steps, minimum=2))
    mode = v.as_choice(_FUNC, "mode", mode, MODES)
    smoothing = v.as_value(_FUNC, "smoothing", smoothing, nonnegative=True)
    diverge_threshold = v.as_value(_FUNC, "diverge_threshold", diverge_threshold, at_least=1.0)
    num_repeats = int(v.as_count(_FUNC, "num_repeats", num_repeats, minimum=1))
    lo, hi = v.concrete(min_lr), v.concrete(max_lr)
    v.require(
        lo is None or hi is None or lo < hi,
        _FUNC,
        f"max_lr must be > min_lr, got min_lr={lo!r}, max_lr={hi!r}",
    )
    beta = v.concrete(smoothing)
    v.require(beta is None or beta < 1, _FUNC, f"smoothing must be in [0, 1), got {beta!r}")
    v.require(
        key is not None or num_repeats == 1,
        _FUNC,
        f"num_repeats={num_repeats} needs a key (each repeat permutes the batches with it)",
    )
    if callable(batches):
        length = num_steps
        first = jax.eval_shape(batches, jnp.zeros((), jnp.int32))
    else:
        length = _check_batches(batches, num_steps)
        first = jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x)[1:], x.dtype), batches)
    ramp = ramp_schedule(mode, min_lr, max_lr, num_steps)
    tx = optimizer(ramp)
    v.require(
        hasattr(tx, "init") and hasattr(tx, "update"),
        _FUNC,
        f"optimizer(lr) must return an optax GradientTransformation, got {type(tx).__name__}",
    )
    loss = jax.eval_shape(loss_fn, params, first)
    v.require(
        isinstance(loss, jax.ShapeDtypeStruct)
        and loss.shape == ()
        and jnp.issubdtype(loss.dtype, jnp.floating),
        _FUNC,
        f"loss_fn(params, batch) must return a scalar float loss, got {loss}",
    )
    hyper = (ramp, smoothing, diverge_threshold)
    static = (loss_fn, optimizer, batches if callable(batches) else None, loss.dtype)
    data = None if callable(batches) else batches
    out = _scan(*static, num_steps, num_repeats, length, params, data, key, hyper)
    losses, smoothed, stopped_at, diverged, lrs = jax.device_get(out)
    return RangeTestResult(
        np.broadcast_to(lrs, losses.shape).copy(), losses, smoothed, stopped_at, diverged
    )


def _select(keep: jax.Array, new: Any, old: Any) -> Any:
    return jax.tree.map(lambda a, b: jnp.where(keep, a, b), new, old)


@functools.partial(jax.jit, static_argnums=tuple(range(7)))
def _scan(
    loss_fn, optimizer, batch_fn, loss_dtype, num_steps, num_repeats, length, params, batches,
    key, hyper,
):  # fmt: skip
    import optax  # not at module level: `import lrjax` does not import optax

    ramp, beta, threshold = hyper
    tx = optimizer(ramp)
    grad_fn = jax.value_and_grad(loss_fn)
    steps = jnp.arange(num_steps, dtype=jnp.int32)
    beta, threshold = beta.astype(loss_dtype), threshold.astype(loss_dtype)
    nan = jnp.full((), jnp.nan, loss_dtype)

    def batch_at(i: jax.Array) -> Any:
        if batch_fn is not None:
            return batch_fn(i)
        return jax.tree.map(lambda x: x[i], batches)

    def one(order: jax.Array):
        def step(carry, k):
            params, state, avg, best, stopped = carry
            loss, grads = grad_fn(params, batch_at(order[k]))
            new_avg = beta * avg + (1 - beta) * loss
            smoothed = new_avg / (1 - beta ** (k + 1).astype(loss_dtype))
            # `best` is +inf at step 0, so the ratio test starts at step 1.
            bad = (smoothed > threshold * best) | ~jnp.isfinite(loss)
            updates, new_state = tx.update(grads, state, params)
            keep = ~(stopped | bad)
            params = _select(keep, optax.apply_updates(params, updates), params)
            state = _select(keep, new_state, state)
            carry = (
                params,
                state,
                jnp.where(stopped, avg, new_avg),
                jnp.where(stopped, best, jnp.minimum(best, smoothed)),
                stopped | bad,
            )
            record = (jnp.where(stopped, nan, loss), jnp.where(stopped, nan, smoothed))
            return carry, (*record, stopped, bad & ~stopped)

        zero, inf = jnp.zeros((), loss_dtype), jnp.full((), jnp.inf, loss_dtype)
        init = (params, tx.init(params), zero, inf, jnp.zeros((), bool))
        _, (losses, smoothed, stopped, tripped) = jax.lax.scan(step, init, steps)
        return losses, smoothed, jnp.sum(~stopped), jnp.any(tripped)

    if key is None:
        orders = jnp.broadcast_to(steps, (num_repeats, num_steps))
    else:
        keys = jax.random.split(key, num_repeats)
        orders = jax.vmap(lambda k: jax.random.permutation(k, length)[:num_steps])(keys)
    losses, smoothed, stopped_at, diverged = jax.vmap(one)(orders)
    return losses, smoothed, stopped_at, diverged, ramp(steps)
