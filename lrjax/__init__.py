"""lrjax: learning-rate schedules for JAX and Optax, as data.

A schedule is an immutable pytree of hyperparameters with ``__call__(step) -> lr``:
jit it as an ordinary argument (new values never recompile), vmap it over sweeps of any
hyperparameter (peaks, warmup lengths, total steps), differentiate it, serialize it,
and pass it to any Optax optimizer.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from ._arith import Add as Add
from ._arith import Clip as Clip
from ._arith import Divide as Divide
from ._arith import Maximum as Maximum
from ._arith import Minimum as Minimum
from ._arith import Multiply as Multiply
from ._arith import add as add
from ._arith import clip as clip
from ._arith import divide as divide
from ._arith import maximum as maximum
from ._arith import minimum as minimum
from ._arith import multiply as multiply
from ._arith import negate as negate
from ._base import AbstractSchedule as AbstractSchedule
from ._base import FunctionSchedule as FunctionSchedule
from ._base import Schedule as Schedule
from ._base import as_schedule as as_schedule
from ._config import from_config as from_config
from ._config import to_config as to_config
from ._cycle import Cycle as Cycle
from ._cycle import cycle as cycle
from ._evaluate import Envelope as Envelope
from ._evaluate import envelope as envelope
from ._evaluate import evaluate as evaluate
from ._join import Join as Join
from ._join import join_schedules as join_schedules
from ._parse import ParseError as ParseError
from ._parse import parse as parse
from ._piecewise import PiecewiseConstant as PiecewiseConstant
from ._piecewise import PiecewiseLinear as PiecewiseLinear
from ._piecewise import piecewise_constant as piecewise_constant
from ._piecewise import piecewise_linear as piecewise_linear
from ._plot import plot as plot
from ._preset import AbstractPreset as AbstractPreset
from ._presets import SGDR as SGDR
from ._presets import Cyclic as Cyclic
from ._presets import InverseSqrt as InverseSqrt
from ._presets import MultistepDecay as MultistepDecay
from ._presets import Noam as Noam
from ._presets import OneCycle as OneCycle
from ._presets import StepDecay as StepDecay
from ._presets import TanhDecay as TanhDecay
from ._presets import WarmupConstant as WarmupConstant
from ._presets import WarmupCosineDecay as WarmupCosineDecay
from ._presets import WarmupExponentialDecay as WarmupExponentialDecay
from ._presets import WarmupLinearDecay as WarmupLinearDecay
from ._presets import WarmupPolynomialDecay as WarmupPolynomialDecay
from ._presets import WarmupStableDecay as WarmupStableDecay
from ._presets import cyclic as cyclic
from ._presets import inverse_sqrt as inverse_sqrt
from ._presets import multistep_decay as multistep_decay
from ._presets import noam as noam
from ._presets import one_cycle as one_cycle
from ._presets import sgdr as sgdr
from ._presets import step_decay as step_decay
from ._presets import tanh_decay as tanh_decay
from ._presets import warmup_constant as warmup_constant
from ._presets import warmup_cosine_decay as warmup_cosine_decay
from ._presets import warmup_exponential_decay as warmup_exponential_decay
from ._presets import warmup_linear_decay as warmup_linear_decay
from ._presets import warmup_polynomial_decay as warmup_polynomial_decay
from ._presets import warmup_stable_decay as warmup_stable_decay
from ._primitives import Constant as Constant
from ._primitives import CosineDecay as CosineDecay
from ._primitives import ExponentialDecay as ExponentialDecay
from ._primitives import InverseTimeDecay as InverseTimeDecay
from ._primitives import Linear as Linear
from ._primitives import Polynomial as Polynomial
from ._primitives import RsqrtDecay as RsqrtDecay
from ._primitives import constant as constant
from ._primitives import cosine_decay as cosine_decay
from ._primitives import exponential_decay as exponential_decay
from ._primitives import inverse_time_decay as inverse_time_decay
from ._primitives import linear as linear
from ._primitives import polynomial as polynomial
from ._primitives import rsqrt_decay as rsqrt_decay
from ._summary import Summary as Summary
from ._summary import summarize as summarize
from ._sweep import Sweep as Sweep
from ._sweep import stack as stack
from ._sweep import sweep as sweep
from ._time import Quantize as Quantize
from ._time import Shift as Shift
from ._time import Stretch as Stretch
from ._time import quantize as quantize
from ._time import shift as shift
from ._time import stretch as stretch
from ._training import current_learning_rate as current_learning_rate
from ._training import get_hyperparam as get_hyperparam
from ._training import num_training_steps as num_training_steps
from ._training import set_step_count as set_step_count
from ._training import step_count as step_count
from ._warmup import Warmup as Warmup
from ._warmup import warmup as warmup

try:
    __version__ = _version("lrjax")
except _PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = [
    # primitives
    "constant",
    "linear",
    "polynomial",
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "rsqrt_decay",
    "piecewise_constant",
    "piecewise_linear",
    # combinators
    "join_schedules",
    "warmup",
    "cycle",
    "shift",
    "stretch",
    "quantize",
    "add",
    "multiply",
    "divide",
    "negate",
    "minimum",
    "maximum",
    "clip",
    # config
    "to_config",
    "from_config",
    "as_schedule",
    # classes
    "AbstractSchedule",
    "AbstractPreset",
    "FunctionSchedule",
    "Schedule",
    "Constant",
    "Linear",
    "Polynomial",
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "RsqrtDecay",
    "PiecewiseConstant",
    "PiecewiseLinear",
    "Join",
    "Warmup",
    "Cycle",
    "Shift",
    "Stretch",
    "Quantize",
    "Add",
    "Multiply",
    "Divide",
    "Minimum",
    "Maximum",
    "Clip",
    # presets
    "warmup_cosine_decay",
    "warmup_linear_decay",
    "warmup_polynomial_decay",
    "warmup_constant",
    "warmup_exponential_decay",
    "warmup_stable_decay",
    "one_cycle",
    "sgdr",
    "cyclic",
    "tanh_decay",
    "step_decay",
    "multistep_decay",
    "noam",
    "inverse_sqrt",
    "WarmupCosineDecay",
    "WarmupLinearDecay",
    "WarmupPolynomialDecay",
    "WarmupConstant",
    "WarmupExponentialDecay",
    "WarmupStableDecay",
    "OneCycle",
    "SGDR",
    "Cyclic",
    "TanhDecay",
    "StepDecay",
    "MultistepDecay",
    "Noam",
    "InverseSqrt",
    # tools: evaluation, sweeps, summaries, plots, parsing
    "evaluate",
    "envelope",
    "stack",
    "sweep",
    "summarize",
    "plot",
    "parse",
    "Envelope",
    "Sweep",
    "Summary",
    "ParseError",
    # training integration
    "num_training_steps",
    "step_count",
    "set_step_count",
    "get_hyperparam",
    "current_learning_rate",
]
