"""Static dtypes in the Plan, through every node form, and what is refused before a build."""

from __future__ import annotations

import pytest

from graphspec.catalogue.custom import CustomLayers
from graphspec.diagnostics import codes
from graphspec.pipeline import check_text
from graphspec.settings import Options

SPEC = """graphspec: 1
name: dtypes
inputs:
  city: {shape: [1], dtype: string}
  shop: {shape: [1], dtype: int32}
  x: {shape: [4], dtype: float16}
shared:
  hash: {layer: Hashing, num_bins: 8}
blocks:
  embed:
    inputs: {ids: {dtype: int64}}
    nodes:
      e: {layer: Embedding, from: ids, input_dim: 8, output_dim: 2}
      f: {layer: Flatten, from: e}
    outputs: {y: f}
nodes:
  city_ids: {layer: StringLookup, from: city, vocabulary: [paris, rome]}
  city_hash: {use: hash, from: city}
  shop_hash: {use: hash, from: shop}
  city_vec: {block: embed, from: city_hash}
  chain: {sequence: [{layer: IntegerLookup, vocabulary: [1, 2]}, {layer: Flatten}], from: shop}
  ids: {op: concatenate, from: [city_ids, chain]}
  half: {layer: Dense, from: x, units: 2, dtype: float16}
  scaled: {expr: "h * 2", from: {h: half}}
  both: {op: concatenate, from: [city_vec, scaled, ids]}
outputs:
  both: both
  shop_hash: shop_hash
"""


def test_every_node_has_its_dtype() -> None:
    report = check_text(SPEC)
    assert report.ok, [d.format() for d in report.diagnostics if d.is_error]
    assert report.plan is not None
    dtypes = {name: static.dtype for name, static in report.plan.static.items()}
    assert dtypes == {
        "city": "string",
        "shop": "int32",
        "x": "float16",
        "city_ids": "int64",
        "city_hash": "int64",
        "shop_hash": "int64",
        "city_vec": "float32",
        "chain": "int64",
        "ids": "int64",
        "half": "float16",
        "scaled": "float16",
        "both": "float32",
    }


def test_errors_are_reported_in_blocks_and_sequences() -> None:
    text = SPEC.replace("inputs: {ids: {dtype: int64}}", "inputs: {ids: {}}")
    text = text.replace("{block: embed, from: city_hash}", "{block: embed, from: city}")
    text = text.replace("{layer: Flatten}], from: shop}", "{layer: Flatten}], from: city}")
    found = sorted((d.code, d.path) for d in check_text(text).diagnostics if d.is_error)
    assert found == [
        (codes.LAYER_DTYPE, ("blocks", "embed", "nodes", "e")),
        (codes.LAYER_DTYPE, ("nodes", "chain", "sequence", 0)),
    ]


def test_a_custom_layer_stops_the_inference_quietly() -> None:
    text = """graphspec: 1
name: custom
inputs: {city: {shape: [1], dtype: string}}
nodes:
  mine: {layer: Scale, from: city}
  dense: {layer: Dense, from: mine, units: 2}
outputs: {dense: dense}
"""
    options = Options(custom_layers=CustomLayers.from_paths(["tests.fake.Scale"], "test"))
    report = check_text(text, options=options)
    assert report.ok and report.plan is not None
    assert report.plan.static["mine"].dtype is None
    assert report.plan.static["dense"].dtype == "float32"


@pytest.mark.parametrize(("backend", "found"), [("tensorflow", []), ("torch", ["GS611"])])
def test_string_inputs_need_tensorflow(backend: str, found: list[str]) -> None:
    report = check_text(SPEC, options=Options(backend=backend))
    assert [str(d.code) for d in report.diagnostics if d.is_error] == found
    if found:
        (error,) = (d for d in report.diagnostics if d.is_error)
        assert error.path == ("inputs", "city", "dtype") and "PyTorch" in error.message


def test_the_summary_shows_dtypes_other_than_float32() -> None:
    from graphspec.views.summary import summary_rows

    report = check_text(SPEC)
    assert report.plan is not None
    shapes = {row.node: row.shape for row in summary_rows(report.plan)}
    assert shapes["city"] == "(None, 1) string"
    assert shapes["half"] == "(None, 2) float16"
    assert shapes["both"].endswith(")")  # float32: the shape alone
