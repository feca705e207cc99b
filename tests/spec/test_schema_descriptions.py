"""The schema's texts an editor shows on hover: per layer argument, whose it is, its default and
Keras' first sentence for it; per offered layer name, what the layer is."""

from __future__ import annotations

from typing import Any

import pytest

from graphspec.catalogue.reader import Catalogue, load_catalogue
from graphspec.spec.schema import json_schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def _arguments(schema: dict[str, Any], layer: str) -> dict[str, Any]:
    """The `then` properties of the `LayerArguments` rule that applies to ``layer`` (the rules
    are grouped by first letter: `LayerArguments_D` holds Dense's)."""
    group = schema["$defs"].get(f"LayerArguments_{layer[0]}", schema["$defs"]["LayerArguments"])
    for rule in group["allOf"]:
        condition = rule["if"]["properties"]["layer"]
        if condition.get("const") == layer or layer in condition.get("enum", ()):
            properties: dict[str, Any] = rule["then"]["properties"]
            return properties
    raise AssertionError(f"no rule for {layer}")


def test_required_argument_text(schema: dict[str, Any]) -> None:
    assert _arguments(schema, "Dense")["units"]["description"] == (
        "`units` (Dense, required): Positive integer, dimensionality of the output space."
    )


def test_optional_argument_text_shows_the_default(schema: dict[str, Any]) -> None:
    padding = _arguments(schema, "Conv2D")["padding"]["description"]
    assert padding.startswith('`padding` (Conv2D, default "valid"): string, either `"valid"`')
    rate = _arguments(schema, "Dropout")["rate"]["description"]
    assert (
        rate
        == "`rate` (Dropout, required): Float between 0 and 1. Fraction of the input units to drop."
    )


def test_base_layer_argument_text(schema: dict[str, Any]) -> None:
    trainable = _arguments(schema, "Dense")["trainable"]["description"]
    assert trainable == (
        "`trainable` (any layer, default true): "
        "Boolean, whether the layer's variables should be trainable."
    )


def test_undocumented_argument_text_has_no_placeholder(
    schema: dict[str, Any], cat: Catalogue
) -> None:
    """An argument no docstring describes still says whose it is and its default."""
    layer, argument = next(
        (name, arg.name)
        for name in cat.safe_layer_names()
        for arg in cat.layers[name].args.values()
        if arg.description is None and not arg.required and arg.default_repr is None
    )
    text = _arguments(schema, layer)[argument]["description"]
    assert text.startswith(f"`{argument}` ({cat.layers[layer].canonical}, default ")
    assert text.endswith(").")


def test_every_catalogue_argument_of_common_layers_is_described(schema: dict[str, Any]) -> None:
    for layer in ("Dense", "Conv2D", "LSTM", "Embedding", "MultiHeadAttention"):
        for argument, value in _arguments(schema, layer).items():
            if isinstance(value, dict) and argument != "wraps":
                assert "): " in value["description"], f"{layer}.{argument}"


def test_layer_names_carry_descriptions(schema: dict[str, Any], cat: Catalogue) -> None:
    """`enumDescriptions` (the editors' list parallel to `enum`) says what each layer is."""
    offered = schema["$defs"]["LayerNode"]["properties"]["layer"]["anyOf"][0]
    names, texts = offered["enum"], offered["enumDescriptions"]
    assert len(names) == len(texts)
    described = dict(zip(names, texts, strict=True))
    assert described["Dense"] == "Just your regular densely-connected NN layer."
    assert described["MaxPool2D"] == (
        f"Alias of MaxPooling2D. {cat.layer_description('MaxPooling2D')}"
    )
    assert all(described.values())
