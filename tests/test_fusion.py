"""The direct path of every family is one fused loop over the steps.

``jax.jit(lambda s: s(jax.lax.iota(jnp.int32, N)))(s)`` must compile to loops whose
temporaries do not grow with ``N``: no step-sized buffer between two passes (a
``lax.cond`` over the steps, a gather fed by another gather, a reduction, a scalarised
integer division that XLA will not fuse). docs/architecture.md, "One loop over the
steps". Deterministic: the compiler's buffer assignment, not a timing.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import pytest
from cases import Case, all_cases

import lrjax

N = 10_000_000
MAX_TEMPORARIES = 1 << 20  # 1 MiB; a step-sized buffer would be 40 MB at N = 1e7

# One case per family (factory), every registry family: primitives, combinators, presets
# and compat schedules.
_FAMILIES: dict[str, Case] = {}
for _case in all_cases():
    _FAMILIES.setdefault(f"{_case.factory.__module__}.{_case.factory.__name__}", _case)
FAMILIES = list(_FAMILIES.values())


def _compiled(schedule: lrjax.AbstractSchedule, n: int = N):
    return jax.jit(lambda s: s(jax.lax.iota(jnp.int32, n))).lower(schedule).compile()


def _temporaries(schedule: lrjax.AbstractSchedule) -> int:
    memory = _compiled(schedule).memory_analysis()
    assert memory is not None
    return memory.temp_size_in_bytes


@pytest.mark.parametrize("case", FAMILIES, ids=repr)
def test_the_direct_path_has_no_step_sized_temporaries(case: Case):
    temporaries = _temporaries(case.build())
    assert temporaries <= MAX_TEMPORARIES, (case.name, temporaries)
    assert "conditional(" not in str(_compiled(case.build()).as_text())


@pytest.mark.parametrize(
    "build",
    [
        lambda: lrjax.cosine_decay(1.0, N, exponent=2.0),
        lambda: lrjax.sgdr(1.0, 1000, period_mul=2.0, value_mul=0.5),
        lambda: lrjax.join_schedules(
            [lrjax.cosine_decay(1.0, 1000)] * 10, [1000 * i for i in range(1, 10)]
        ),
        lambda: lrjax.cyclic(0.1, 1.0, 4, 6, mode="triangular2"),
    ],
    ids=["exponent", "geometric", "join10", "triangular2"],
)
def test_given_exponents_geometric_cycles_and_joins_stay_fused(build):
    assert _temporaries(build()) <= MAX_TEMPORARIES


@pytest.mark.parametrize("case", FAMILIES, ids=repr)
def test_an_odd_number_of_steps_runs_as_an_even_head_and_a_tail(case: Case):
    """On several cores XLA:CPU runs a loop over an odd number of elements 2-11x slower
    than over an even number: an odd length is evaluated as an even head and a one-step
    tail, concatenated in the same fused loop, still without a step-sized temporary."""
    memory = _compiled(case.build(), N + 1).memory_analysis()
    assert memory is not None
    assert memory.temp_size_in_bytes <= MAX_TEMPORARIES, (case.name, memory.temp_size_in_bytes)

    def joined(n: int) -> bool:  # the program lrjax emits, before XLA simplifies it
        lowered = jax.jit(lambda s: s(jax.lax.iota(jnp.int32, n))).lower(case.build())
        return re.search(rf"concatenate.*-> tensor<{n}xf32>", lowered.as_text()) is not None

    assert joined(N + 1) and not joined(N)


def test_a_step_sized_temporary_is_detected():
    """The measurement can fail: a join of more pieces than the unrolled search handles
    runs a search loop over the steps, which keeps its state in memory."""
    many = lrjax.join_schedules(
        [lrjax.cosine_decay(1.0, 10)] * 100, [10 * i for i in range(1, 100)]
    )
    assert _temporaries(many) > MAX_TEMPORARIES


@pytest.mark.parametrize("case", FAMILIES, ids=repr)
def test_the_envelope_kernel_computes_each_value_once(case: Case):
    """``envelope``/``summarize`` run one kernel per chunk that returns the values and their
    per-tile min, max and sum. Its temporaries stay below 1 MiB: a schedule computed twice
    (once for the values, once again for the reductions, as happened when XLA fused a
    negation, a clip or a constant's broadcast into a reshape) leaves step-sized buffers."""
    from lrjax.tools import evaluate as ev

    size = ev.profile_steps((), None)
    compiled = ev._profile.lower(case.build(), jnp.int32(0), size=size, batch=None).compile()
    memory = compiled.memory_analysis()
    assert memory is not None
    assert memory.temp_size_in_bytes <= MAX_TEMPORARIES, (case.name, memory.temp_size_in_bytes)


@pytest.mark.parametrize("case", FAMILIES, ids=repr)
def test_the_extremes_kernel_reduces_the_schedule_in_one_pass(case: Case):
    """A tiled ``envelope`` runs a kernel that returns only per-tile minima and maxima: one
    variadic reduction fused with the schedule, so no buffer of values (temporaries below
    1 MiB) and no second reduction reading the schedule again."""
    from lrjax.tools import evaluate as ev

    size = ev.profile_steps((), None)
    compiled = ev._extremes.lower(
        case.build(), jnp.int32(0), jnp.int32(N - 1), size=size, batch=None
    ).compile()
    memory = compiled.memory_analysis()
    assert memory is not None
    assert memory.temp_size_in_bytes <= MAX_TEMPORARIES, (case.name, memory.temp_size_in_bytes)
    text = compiled.as_text()
    assert text is not None
    assert len(re.findall(r"\sreduce\(", text)) == 1, case.name
