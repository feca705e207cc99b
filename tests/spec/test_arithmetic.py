"""Arithmetic on numbers and block parameters: what is allowed, what it computes, and what
is refused (the checks that report it are in tests/analyse/test_inline_blocks.py)."""

from __future__ import annotations

import pytest

from graphspec.spec.arithmetic import (
    MAX_LENGTH,
    ArithmeticProblem,
    evaluate,
    holds_arithmetic,
    is_arithmetic_placeholder,
    is_bare_arithmetic,
    names,
    resolve,
)
from graphspec.spec.params import instance_params, substitute


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        ("7 * 7 * 64", {}, 3136),
        ("1/255", {}, 1 / 255),
        ("10/2", {}, 5),
        ("10 // 3", {}, 3),
        ("2 ** 10", {}, 1024),
        ("-(3 - 5) % 3", {}, 2),
        ("filters * 2", {"filters": 64}, 128),
        ("(units + 1) / 2", {"units": 7}, 4),
        ("rate * 0.5", {"rate": 0.3}, 0.15),
    ],
)
def test_evaluates_numbers_and_parameters(text: str, params: dict, expected: float) -> None:
    value = evaluate(text, params)
    assert value == pytest.approx(expected)
    assert isinstance(value, int) == isinstance(expected, int)


def test_a_whole_number_is_an_int() -> None:
    assert isinstance(evaluate("10/2", {}), int)
    assert isinstance(evaluate("2.0 * 3", {}), int)
    assert isinstance(evaluate("1/4", {}), float)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("len(units)", "call"),
        ("units.real", "attribute"),
        ("1 < 2", "compare"),
        ("'a' * 2", "only numbers"),
        ("True + 1", "only numbers"),
        ("1 << 3", "operator"),
        ("[1, 2]", "list"),
        ("1 +", "not arithmetic"),
        ("x if y else z", "ifexp"),
    ],
)
def test_refuses_everything_but_arithmetic(text: str, words: str) -> None:
    with pytest.raises(ArithmeticProblem, match=words):
        evaluate(text, {"units": 1, "x": 1, "y": 1, "z": 1})


@pytest.mark.parametrize(
    ("text", "params", "words"),
    [
        ("1/0", {}, "divides by zero"),
        ("5 % 0", {}, "divides by zero"),
        ("2 ** 100", {}, "exponent"),
        ("10.0 ** 60", {}, "too large"),
        ("size * 2", {"size": "same"}, "not a number"),
        ("size * 2", {"size": True}, "not a number"),
        ("width * 2", {}, "not a parameter"),
        ("1" + "+1" * 40, {}, "operators"),
        ("1" * (MAX_LENGTH + 1), {}, "characters"),
    ],
)
def test_refuses_what_cannot_be_computed(text: str, params: dict, words: str) -> None:
    with pytest.raises(ArithmeticProblem, match=words):
        evaluate(text, params)


def test_names_lists_the_parameters_read() -> None:
    assert sorted(names("(filters + groups) * filters")) == ["filters", "filters", "groups"]


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("1/255", True),
        ("7 * 7 * 64", True),
        ("(1 + 2)", True),
        ("64", False),
        ("-1", False),
        ("same", False),
        ("1e-3", False),
        ("channels_last", False),
        ("${units}", False),
    ],
)
def test_bare_arithmetic_is_numbers_with_an_operator(text: str, bare: bool) -> None:
    assert is_bare_arithmetic(text) is bare


def test_arithmetic_placeholder_is_more_than_one_name() -> None:
    assert is_arithmetic_placeholder("${units * 4}")
    assert not is_arithmetic_placeholder("${units}")
    assert not is_arithmetic_placeholder("conv_${units * 4}")


def test_resolve_computes_inside_lists_and_keeps_the_rest() -> None:
    value = {"kernel_size": ["2 * 2", 3], "padding": "same", "units": "${u * 2}"}
    assert resolve(value, {"u": 8}) == {"kernel_size": [4, 3], "padding": "same", "units": 16}
    assert resolve("1/0", {}) == "1/0"  # left for the checks to report
    assert holds_arithmetic([1, {"a": "3*3"}]) and not holds_arithmetic(["same", 3])


def test_substitute_computes_arithmetic_with_and_without_parameters() -> None:
    assert substitute("1/255", {}) == pytest.approx(1 / 255)
    assert substitute("${filters * 2}", {"filters": 32}) == 64
    assert substitute("${filters}", {"filters": 32}) == 32
    assert substitute("conv_${stage}", {"stage": 2}) == "conv_2"


def test_a_default_is_computed_from_earlier_parameters_as_each_instance_has_them() -> None:
    defaults = {"filters": 32, "wide": "${filters * 2}", "half": "${wide // 4}"}
    assert instance_params(defaults, {}) == {"filters": 32, "wide": 64, "half": 16}
    assert instance_params(defaults, {"filters": 8}) == {"filters": 8, "wide": 16, "half": 4}
    assert instance_params(defaults, {"wide": 10})["half"] == 2
