"""Python habits among layer arguments are said in the project's words, once each."""

from __future__ import annotations

import pytest

from graphspec.diagnostics.suggest import unknown_layer_hint
from graphspec.pipeline import check_text

SPEC = """graphspec: 1
name: habits
inputs:
  x: {{shape: [8, 8, 1]}}
nodes:
  c: {node}
outputs:
  y: {{from: c}}
"""


def _messages(node: str) -> list[str]:
    report = check_text(SPEC.format(node=node))
    assert not report.ok
    return [f"{d.code} {d.message}" for d in report.diagnostics if d.is_error]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (
            "{layer: Conv2D, from: x, filters: 4, kernel_size: (3, 3)}",
            "GS107 'kernel_size': write [3, 3], not (3, 3)",
        ),
        (
            "{layer: Conv2D, from: x, filters: 4, kernel_size: '(3, 3)'}",
            "GS107 'kernel_size': write [3, 3], not (3, 3)",
        ),
        (
            "{layer: Conv2D, from: x, filters: 4, kernel_size: 3, strides: (2,)}",
            "GS107 'strides': write [2], not (2,)",
        ),
        (
            "{layer: Conv2D, from: x, filters: 4, kernel_size: (3, 3, 3)}",
            "GS107 'kernel_size': write [3, 3, 3], not (3, 3, 3)",
        ),
        (
            "{layer: Conv2D, from: x, filters: 4, kernel_size: 3, activation: None}",
            "GS108 'activation': write null, not None",
        ),
    ],
)
def test_a_habit_is_one_diagnostic_in_our_words(node: str, expected: str) -> None:
    assert _messages(node) == [expected]


@pytest.mark.parametrize(
    "arguments", ["padding: same", "activation: relu", "data_format: channels_last"]
)
def test_a_real_string_argument_is_not_a_habit(arguments: str) -> None:
    node = f"{{layer: Conv2D, from: x, filters: 4, kernel_size: 3, {arguments}}}"
    report = check_text(SPEC.format(node=node))
    assert report.ok, [d.format() for d in report.diagnostics]


def test_a_close_keras_name_is_suggested_alone() -> None:
    assert unknown_layer_hint("Dence", ["Dense", "Conv2D"]) == "did you mean 'Dense'?"


def test_a_name_like_a_users_class_says_how_to_allow_it() -> None:
    hint = unknown_layer_hint("ResidualUnit", ["Dense", "Conv2D", "UpSampling3D"])
    assert hint.startswith("if 'ResidualUnit' is a layer class of your own")
    assert "--custom-layer mypkg.layers.ResidualUnit" in hint


def test_a_weak_match_is_offered_beside_the_custom_layer_way() -> None:
    hint = unknown_layer_hint("BatchNorm", ["BatchNormalization", "Dense"])
    assert hint.startswith("did you mean 'BatchNormalization'? if 'BatchNorm' is")
