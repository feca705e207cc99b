"""One-line descriptions of layers and arguments: read from Keras' docstrings, kept in the
catalogue, served by the reader without Keras.

The coverage floor: with Keras 3.15.1, 948 of the catalogue's 980 layer arguments (96.7 %)
have a description, 924 of the 947 of safe layers (97.6 %); every layer but `InputLayer` has
one. What is left is undocumented in Keras (the augmentation layers' inherited `factor`,
`Resizing.antialias`, most `InputLayer` arguments).
"""

from __future__ import annotations

import pytest

from graphspec.catalogue.docstrings import (
    DESCRIPTION_LIMIT,
    class_argument_docs,
    class_summary,
    consensus,
    docstring_arguments,
    summarise,
)
from graphspec.catalogue.reader import Catalogue, load_catalogue

COMMON_LAYERS = (
    "Dense",
    "Conv2D",
    "LSTM",
    "Embedding",
    "Dropout",
    "BatchNormalization",
    "MaxPooling2D",
    "MultiHeadAttention",
    "LayerNormalization",
    "Concatenate",
)
COVERAGE_FLOOR = 0.95
"""Share of all catalogue layer arguments with a description (96.7 % measured)."""


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


# -- reading a docstring (no Keras) -------------------------------------------------------------

DOC = """Scales its input.

    Longer prose that mentions units: not an argument.

    Args:
        factor: Float, the scale. Applied to every element
            of the input.
        offset (float): Added after scaling, e.g. `0.5`. Rarely needed.
         clip: Misindented by one space, as Keras sometimes is.
        low, high: Bounds of the output, see [the guide](https://example.org/guide).

            A second paragraph that is not summarised.
        **kwargs: Standard layer keyword arguments.

    Returns:
        value: not an argument.
    """


def test_docstring_arguments_reads_the_args_section() -> None:
    """Entries, continuation lines, grouped names and a misindented entry; *args, prose and
    later sections are left out."""
    found = docstring_arguments(DOC)
    assert list(found) == ["factor", "offset", "clip", "low", "high"]
    assert found["factor"] == "Float, the scale. Applied to every element\nof the input."
    assert found["clip"].startswith("Misindented")
    assert found["low"] == found["high"]
    assert docstring_arguments(None) == {}
    assert docstring_arguments("No sections at all.") == {}


def test_summarise_keeps_one_readable_sentence() -> None:
    """First sentence, abbreviations not taken for its end, links reduced to their text,
    backticks kept, a short first sentence joined by the next, later paragraphs dropped."""
    found = docstring_arguments(DOC)
    assert summarise(found["offset"]) == "Added after scaling, e.g. `0.5`. Rarely needed."
    assert summarise(found["low"]) == "Bounds of the output, see the guide."
    assert summarise(found["factor"]) == "Float, the scale. Applied to every element of the input."
    assert summarise("Positive integer, dimensionality of the output space. More.") == (
        "Positive integer, dimensionality of the output space."
    )
    assert summarise("") is None
    assert summarise(None) is None


def test_summarise_caps_long_text_without_opening_a_code_span() -> None:
    words = "word " * 30 + "`not closed because it is cut` " * 4
    line = summarise(words)
    assert line is not None
    assert len(line) <= DESCRIPTION_LIMIT
    assert line.endswith("…")
    assert line.count("`") % 2 == 0


def test_class_docs_fall_back_along_the_mro() -> None:
    """The nearest class documenting an argument wins; the class summary is never inherited."""

    class Base:
        """Base layer.

        Args:
            rate: Base rate.
            seed: Base seed.
        """

    class Child(Base):
        """Child layer with its own rate.

        Args:
            rate: Child rate.
        """

    class Bare(Child):
        pass

    docs = class_argument_docs(Bare, Base)
    assert docs == {"rate": "Child rate.", "seed": "Base seed."}
    assert class_argument_docs(Child, Child) == {"rate": "Child rate."}  # stops at `stop`
    assert class_summary(Child) == "Child layer with its own rate."
    assert class_summary(Bare) is None


def test_consensus_needs_a_quorum_and_a_majority() -> None:
    assert consensus(["a"] * 5 + ["b"] * 4) == "a"
    assert consensus(["a"] * 4) is None  # too few to be a convention
    assert consensus(["a"] * 5 + ["b"] * 5) is None  # a tie
    assert consensus([]) is None


# -- the catalogue's descriptions -----------------------------------------------------------------


def test_dense_units_is_the_output_space(cat: Catalogue) -> None:
    assert cat.argument_description("Dense", "units") == (
        "Positive integer, dimensionality of the output space."
    )
    assert cat.layer_description("Dense") == "Just your regular densely-connected NN layer."


def test_common_layers_describe_every_argument(cat: Catalogue) -> None:
    """Own and base `Layer` arguments of the ten most used layers all have a description."""
    missing = [
        f"{layer}.{argument}"
        for layer in COMMON_LAYERS
        for argument in cat.layers[layer].all_args()
        if not cat.argument_description(layer, argument)
    ]
    assert missing == []
    assert all(cat.layer_description(layer) for layer in COMMON_LAYERS)


def test_description_coverage(cat: Catalogue) -> None:
    """Most arguments of all layers have a description, and every safe layer has one."""
    canonical = [info for name, info in cat.layers.items() if not info.alias]
    described = [arg.description for info in canonical for arg in info.args.values()]
    share = sum(1 for text in described if text) / len(described)
    assert share >= COVERAGE_FLOOR, f"{share:.1%} of {len(described)} arguments described"
    assert [n for n in cat.safe_layer_names() if not cat.layer_description(n)] == []


def test_descriptions_are_single_capped_lines(cat: Catalogue) -> None:
    texts = [info.description for info in cat.layers.values()] + [
        arg.description for info in cat.layers.values() for arg in info.args.values()
    ]
    bad = [
        t
        for t in texts
        if t is not None
        and ("\n" in t or "  " in t or len(t) > DESCRIPTION_LIMIT or t.count("`") % 2 or "](" in t)
    ]
    assert bad == []


def test_base_class_entries_describe_inherited_arguments(cat: Catalogue) -> None:
    """Conv2D's docstring omits `lora_rank` (BaseConv has it), LSTM's `zero_output_for_mask`
    (RNN has it); the base `Layer` arguments come from Layer's docstring and `add_weight`'s."""
    assert (cat.argument_description("Conv2D", "lora_rank") or "").startswith("Optional integer.")
    assert "zeros for the masked timesteps" in (
        cat.argument_description("LSTM", "zero_output_for_mask") or ""
    )
    assert cat.argument_description("Dense", "name") == "String name of the layer."
    assert "dtype" in (cat.argument_description("Dense", "dtype") or "")
    assert "autocast" in (cat.argument_description("Dense", "autocast") or "")
    assert set(cat.base_arguments) == cat.base_layer_args


def test_aliases_and_unknowns(cat: Catalogue) -> None:
    assert cat.layer_description("MaxPool2D") == cat.layer_description("MaxPooling2D")
    assert cat.argument_description("MaxPool2D", "pool_size") == cat.argument_description(
        "MaxPooling2D", "pool_size"
    )
    assert cat.argument_description("Dense", "filters") is None
    assert cat.argument_description("NoSuchLayer", "units") is None
    assert cat.layer_description("NoSuchLayer") is None
