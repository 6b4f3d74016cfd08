"""``lrjax.parse``: round trips through ``repr``, the grammar, errors, and fuzzing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cases import all_cases
from hypothesis import given, settings
from hypothesis import strategies as st

import lrjax
from lrjax import ParseError


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_repr_round_trips(case):
    s = case.build()
    back = lrjax.parse(repr(s))
    assert back == s
    assert json.dumps(lrjax.to_config(back)) == json.dumps(lrjax.to_config(s))


def test_issue_examples_and_literals():
    a = lrjax.parse("warmup(cosine_decay(3e-4, 100_000), 2_000)")
    assert a == lrjax.warmup(lrjax.cosine_decay(3e-4, 100_000), 2_000)
    b = lrjax.parse("warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, total_steps=1e5)")
    assert b == lrjax.warmup_cosine_decay(3e-4, 2000, 100_000)
    # Multi-line text, negative numbers, strings, bools, None, lists, folded number arithmetic.
    c = lrjax.parse(
        """join_schedules(
             [linear(0.0, 1.0, 10), exponential_decay(1.0, decay_rate=0.5,
                                 transition_steps=2 * 5, staircase=True, end_value=None)],
             boundaries=[10])"""
    )
    assert c == lrjax.join_schedules(
        [
            lrjax.linear(0.0, 1.0, 10),
            lrjax.exponential_decay(1.0, decay_rate=0.5, transition_steps=10, staircase=True),
        ],
        [10],
    )
    d = lrjax.parse("warmup(constant(1.0), 5, shape='cosine')")
    assert d == lrjax.warmup(lrjax.constant(1.0), 5, shape="cosine")


def test_arithmetic_builds_schedule_nodes():
    s = lrjax.cosine_decay(1.0, 100)
    assert lrjax.parse("cosine_decay(1.0, 100) * 0.5 + 1e-5") == s * 0.5 + 1e-5
    assert lrjax.parse("cosine_decay(1.0, 100) - 0.5") == s - 0.5
    assert lrjax.parse("-cosine_decay(1.0, 100)") == -s
    assert lrjax.parse("1 / (cosine_decay(1.0, 100) + 1)") == lrjax.divide(1, s + 1)
    assert lrjax.parse("2 * 3") == lrjax.constant(2.0) * lrjax.constant(3.0)
    assert lrjax.parse("2 - cosine_decay(1.0, 100)") == 2 - s
    assert lrjax.parse("0.5") == lrjax.constant(0.5)
    assert lrjax.parse("minimum(cosine_decay(1.0, 100), 0.8)") == lrjax.minimum(s, 0.8)


def test_compat_names():
    keras = lrjax.parse("CosineDecay(0.1, 1000, warmup_target=0.2, warmup_steps=100)")
    assert type(keras).__module__ == "lrjax.compat.keras"
    assert lrjax.parse("compat.keras.CosineDecay(0.1, 1000)") == lrjax.parse(
        "CosineDecay(0.1, 1000)"
    )
    hf = lrjax.parse('compat.transformers.get_scheduler("cosine", 5e-5, 10, 100)')
    assert float(hf(10)) == pytest.approx(5e-5)
    optax_like = lrjax.parse("compat.optax.exponential_decay(1.0, 10, 0.5)")
    assert lrjax.parse(repr(optax_like)) == optax_like
    assert type(lrjax.parse("exponential_decay(1.0, decay_rate=0.5, transition_steps=10)")) is (
        lrjax.ExponentialDecay
    )
    # optax's positional order, given to lrjax's own function: the error says what to write.
    with pytest.raises(lrjax.ParseError, match=r"write exponential_decay\(1.0, decay_rate=10"):
        lrjax.parse("exponential_decay(1.0, 10, 0.5)")


@pytest.mark.parametrize(
    "text, message, col",
    [
        ("open('/etc/passwd')", "unknown schedule 'open'", 1),
        ("cosine_decay(1e-3, 10) ** 2", "operator Pow", 1),
        ("cosine_decay(1e-3, x)", "unknown name 'x'", 20),
        ("os.system('ls')", "attribute access", 1),
        ("cosine_decay.__class__", "attribute access", 1),
        ("lambda: 1", "Lambda", 1),
        ("cosine_decay(1e-3, decay_steps=10.5)", "decay_steps", 32),
        ("cosine_decay(-1.0, 10)", "init_value", 14),
        ("cosine_decay(1e-3)", "decay_steps", 1),
        ("cosine_decay(1e-3, 10", "never closed", 13),
        ("cosin_decay(1e-3, 10)", "did you mean cosine_decay", 1),
        ("[cosine_decay(1e-3, 10)]", "not a schedule", 1),
        ("(1, 2)", "tuples", 1),
        ("1 / 0", "division by zero", 1),
        ("1e999", "not finite", 1),
        ("cosine_decay(*[1])", r"\*arguments", 14),
        ("compat.nope.X(1)", "unknown compat schedule", 1),
        ("", "empty", None),
        ("cosine_decay(1e-3, 10)\ncosine_decay(1e-3, 10)", "line 2", 1),
        ("[" * 200 + "]" * 200, "nested too deeply", None),
    ],
)
def test_errors_name_the_place_and_a_hint(text, message, col):
    with pytest.raises(ParseError, match=message) as info:
        lrjax.parse(text)
    assert isinstance(info.value, ValueError)
    if col is not None:
        assert info.value.col == col, str(info.value)
        assert f"column {col}" in str(info.value)


def test_not_a_string():
    with pytest.raises(ParseError, match="string"):
        lrjax.parse(b"constant(1.0)")  # type: ignore[arg-type]


_NAMES = [
    "cosine_decay",
    "warmup",
    "linear",
    "join_schedules",
    "cycle",
    "constant",
    "sgdr",
    "compat.keras.CosineDecay",
    "x",
    "__import__",
    "os.system",
    "True",
    "None",
]
_TOKENS = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(
        [
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "**",
            "=",
            ".",
            " ",
            "'a'",
            "decay_steps",
            "shape",
            "1e9",
            "1e40",
            "-3",
            "0",
            "10.5",
            "2_000",
            "lambda",
        ]
    ),
    st.integers(-(2**40), 2**40).map(str),
    st.floats(allow_nan=False, width=32).map(repr),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=14).map("".join))
def test_fuzz_token_soup_raises_only_parse_error(text):
    try:
        result = lrjax.parse(text)
    except ParseError:
        return
    assert isinstance(result, lrjax.AbstractSchedule)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_any_text_raises_only_parse_error(text):
    try:
        result = lrjax.parse(text)
    except ParseError:
        return
    assert isinstance(result, lrjax.AbstractSchedule)


@settings(max_examples=40, deadline=None)
@given(
    peak=st.floats(1e-6, 10.0),
    warm=st.integers(0, 10_000),
    total=st.integers(1, 10**9),
)
def test_fuzz_valid_calls_round_trip(peak, warm, total):
    s = lrjax.warmup(lrjax.cosine_decay(peak, total), warm) * 0.5
    back = lrjax.parse(repr(s))
    assert back == s
    steps = np.array([0, warm, warm + total // 2])
    np.testing.assert_array_equal(
        lrjax.evaluate(back, steps, chunk_size=64), lrjax.evaluate(s, steps, chunk_size=64)
    )
