"""lrjax: learning-rate schedules for JAX and Optax, as data.

A schedule is an immutable pytree of hyperparameters with ``__call__(step) -> lr``:
jit it as an ordinary argument (new values never recompile), vmap it over sweeps of any
hyperparameter (peaks, warmup lengths, total steps), differentiate it, serialize it,
and pass it to any Optax optimizer.
"""

from types import ModuleType as _ModuleType

from lrjax.adapters.training import current_learning_rate as current_learning_rate
from lrjax.adapters.training import get_hyperparam as get_hyperparam
from lrjax.adapters.training import num_training_steps as num_training_steps
from lrjax.adapters.training import set_step_count as set_step_count
from lrjax.adapters.training import step_count as step_count
from lrjax.adaptive.base import AbstractAdaptive as AbstractAdaptive
from lrjax.adaptive.base import PlateauState as PlateauState
from lrjax.adaptive.plateau import ReduceOnPlateau as ReduceOnPlateau
from lrjax.adaptive.plateau import reduce_on_plateau as reduce_on_plateau
from lrjax.adaptive.transform import ScaleByAdaptiveState as ScaleByAdaptiveState
from lrjax.adaptive.transform import scale_by_adaptive as scale_by_adaptive
from lrjax.combinators.arith import Add as Add
from lrjax.combinators.arith import Clip as Clip
from lrjax.combinators.arith import Divide as Divide
from lrjax.combinators.arith import Maximum as Maximum
from lrjax.combinators.arith import Minimum as Minimum
from lrjax.combinators.arith import Multiply as Multiply
from lrjax.combinators.arith import add as add
from lrjax.combinators.arith import clip as clip
from lrjax.combinators.arith import divide as divide
from lrjax.combinators.arith import maximum as maximum
from lrjax.combinators.arith import minimum as minimum
from lrjax.combinators.arith import multiply as multiply
from lrjax.combinators.arith import negate as negate
from lrjax.combinators.cycle import Cycle as Cycle
from lrjax.combinators.cycle import cycle as cycle
from lrjax.combinators.join import Join as Join
from lrjax.combinators.join import join_schedules as join_schedules
from lrjax.combinators.time import Quantize as Quantize
from lrjax.combinators.time import Shift as Shift
from lrjax.combinators.time import Stretch as Stretch
from lrjax.combinators.time import quantize as quantize
from lrjax.combinators.time import shift as shift
from lrjax.combinators.time import stretch as stretch
from lrjax.combinators.warmup import Warmup as Warmup
from lrjax.combinators.warmup import warmup as warmup
from lrjax.core.config import _version as _config_version
from lrjax.core.config import from_config as from_config
from lrjax.core.config import to_config as to_config
from lrjax.core.schedule import AbstractPreset as AbstractPreset
from lrjax.core.schedule import AbstractSchedule as AbstractSchedule
from lrjax.core.schedule import FunctionSchedule as FunctionSchedule
from lrjax.core.schedule import Schedule as Schedule
from lrjax.core.schedule import as_schedule as as_schedule
from lrjax.presets.recipes import SGDR as SGDR
from lrjax.presets.recipes import Cyclic as Cyclic
from lrjax.presets.recipes import InverseSqrt as InverseSqrt
from lrjax.presets.recipes import MultistepDecay as MultistepDecay
from lrjax.presets.recipes import Noam as Noam
from lrjax.presets.recipes import OneCycle as OneCycle
from lrjax.presets.recipes import StepDecay as StepDecay
from lrjax.presets.recipes import WarmupConstant as WarmupConstant
from lrjax.presets.recipes import WarmupCosineDecay as WarmupCosineDecay
from lrjax.presets.recipes import WarmupExponentialDecay as WarmupExponentialDecay
from lrjax.presets.recipes import WarmupLinearDecay as WarmupLinearDecay
from lrjax.presets.recipes import WarmupPolynomialDecay as WarmupPolynomialDecay
from lrjax.presets.recipes import WarmupStableDecay as WarmupStableDecay
from lrjax.presets.recipes import cyclic as cyclic
from lrjax.presets.recipes import inverse_sqrt as inverse_sqrt
from lrjax.presets.recipes import multistep_decay as multistep_decay
from lrjax.presets.recipes import noam as noam
from lrjax.presets.recipes import one_cycle as one_cycle
from lrjax.presets.recipes import sgdr as sgdr
from lrjax.presets.recipes import step_decay as step_decay
from lrjax.presets.recipes import warmup_constant as warmup_constant
from lrjax.presets.recipes import warmup_cosine_decay as warmup_cosine_decay
from lrjax.presets.recipes import warmup_exponential_decay as warmup_exponential_decay
from lrjax.presets.recipes import warmup_linear_decay as warmup_linear_decay
from lrjax.presets.recipes import warmup_polynomial_decay as warmup_polynomial_decay
from lrjax.presets.recipes import warmup_stable_decay as warmup_stable_decay
from lrjax.schedules.piecewise import PiecewiseConstant as PiecewiseConstant
from lrjax.schedules.piecewise import PiecewiseLinear as PiecewiseLinear
from lrjax.schedules.piecewise import piecewise_constant as piecewise_constant
from lrjax.schedules.piecewise import piecewise_linear as piecewise_linear
from lrjax.schedules.primitives import Constant as Constant
from lrjax.schedules.primitives import CosineDecay as CosineDecay
from lrjax.schedules.primitives import ExponentialDecay as ExponentialDecay
from lrjax.schedules.primitives import InverseTimeDecay as InverseTimeDecay
from lrjax.schedules.primitives import Linear as Linear
from lrjax.schedules.primitives import Polynomial as Polynomial
from lrjax.schedules.primitives import RexDecay as RexDecay
from lrjax.schedules.primitives import RsqrtDecay as RsqrtDecay
from lrjax.schedules.primitives import constant as constant
from lrjax.schedules.primitives import cosine_decay as cosine_decay
from lrjax.schedules.primitives import exponential_decay as exponential_decay
from lrjax.schedules.primitives import inverse_time_decay as inverse_time_decay
from lrjax.schedules.primitives import linear as linear
from lrjax.schedules.primitives import polynomial as polynomial
from lrjax.schedules.primitives import rex_decay as rex_decay
from lrjax.schedules.primitives import rsqrt_decay as rsqrt_decay
from lrjax.schedules.shaped import TanhDecay as TanhDecay
from lrjax.schedules.shaped import tanh_decay as tanh_decay
from lrjax.tools import notebook as _notebook  # noqa: F401  (registers the Jupyter view)
from lrjax.tools.evaluate import Envelope as Envelope
from lrjax.tools.evaluate import envelope as envelope
from lrjax.tools.evaluate import evaluate as evaluate
from lrjax.tools.parse import ParseError as ParseError
from lrjax.tools.parse import parse as parse
from lrjax.tools.plot import plot as plot
from lrjax.tools.range_test import RangeTestResult as RangeTestResult
from lrjax.tools.range_test import lr_range_test as lr_range_test
from lrjax.tools.summary import Summary as Summary
from lrjax.tools.summary import SweepSummary as SweepSummary
from lrjax.tools.summary import summarize as summarize
from lrjax.tools.sweep import Distribution as Distribution
from lrjax.tools.sweep import Sweep as Sweep
from lrjax.tools.sweep import int_uniform as int_uniform
from lrjax.tools.sweep import log_uniform as log_uniform
from lrjax.tools.sweep import one_of as one_of
from lrjax.tools.sweep import sample as sample
from lrjax.tools.sweep import stack as stack
from lrjax.tools.sweep import sweep as sweep
from lrjax.tools.sweep import uniform as uniform

__version__ = _config_version()

# The public API is every name imported above (an ``X as X`` import re-exports it).
__all__ = [n for n, v in globals().items() if n[0] != "_" and not isinstance(v, _ModuleType)]  # pyright: ignore[reportUnsupportedDunderAll]
