"""Import from hand-written Keras configs (no Keras needed): the Spec built, and the configs
whose values the language has no room for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import graphspec
from graphspec.catalogue.custom import CustomLayers
from graphspec.importer.to_spec import import_config
from graphspec.spec.forms import LayerNode, OpNode, SequenceNode, UseNode


def tensor(layer: str, call: int = 0, shape: list[int | None] | None = None) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape or [None, 4], "keras_history": [layer, call, 0]},
    }


def layer(name: str, kind: str, calls: list[list[Any]], **config: Any) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": kind,
        "name": name,
        "config": {"name": name, **config},
        "inbound_nodes": [{"args": args, "kwargs": {}} for args in calls],
    }


def model(*layers: dict[str, Any], outputs: list[list[Any]], dtype: Any = "float32") -> Any:
    source = {
        "class_name": "InputLayer",
        "name": "x",
        "config": {"batch_shape": [None, 4], "dtype": dtype, "name": "x"},
        "inbound_nodes": [],
    }
    return {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [source, *layers],
            "input_layers": [["x", 0, 0]],
            "output_layers": outputs,
        },
    }


CHAIN = model(
    layer("shared", "Dense", [[tensor("x")], [tensor("x")]], units=4),
    layer("joined", "Concatenate", [[[tensor("shared", 0), tensor("shared", 1)]]], axis=-1),
    layer("h1", "Dense", [[tensor("joined", shape=[None, 8])]], units=3, use_bias=True),
    layer("h2", "Activation", [[tensor("h1")]], activation="relu"),
    layer("out", "Dense", [[tensor("h2")]], units=2),
    outputs=[["out", 0, 0], ["joined", 0, 0]],
)


def test_the_import_is_a_spec_and_its_text_reads_back_as_that_spec() -> None:
    imported = import_config(CHAIN, "chain.json")
    spec = imported.spec
    assert list(spec.shared) == ["shared"]
    assert isinstance(spec.nodes["shared_call1"], UseNode)
    # a Keras merge layer imports as the op node it is, as `a + b` does
    assert spec.nodes["joined"] == OpNode(op="concatenate", from_=["shared_call1", "shared_call2"])
    chain = spec.nodes["out"]
    assert isinstance(chain, SequenceNode)
    assert [(item.layer, item.name) for item in chain.sequence] == [
        ("Dense", "h1"),
        ("Activation", "h2"),
        ("Dense", "out"),
    ]
    assert chain.sequence[0].args == {"units": 3}  # use_bias=True is Keras' default
    assert {name: head.from_ for name, head in spec.outputs.items()} == {
        "out": "out",
        "joined": "joined",
    }
    again = graphspec.loads(imported.text)
    assert again.model_dump(by_alias=True) == spec.model_dump(by_alias=True)
    assert graphspec.check(again).ok


def test_a_model_whose_output_is_its_input_has_no_nodes() -> None:
    imported = import_config(model(outputs=[["x", 0, 0]]))
    assert imported.spec.nodes == {}
    assert "nodes" not in imported.text
    assert graphspec.check(graphspec.loads(imported.text)).ok


def codes(config: Any, custom: CustomLayers | None = None) -> list[tuple[str, str]]:
    with pytest.raises(graphspec.SpecError) as caught:
        import_config(config, "bad.json", custom)
    return [(d.code, d.message) for d in caught.value.diagnostics]


@pytest.mark.parametrize(
    ("dtype", "code"),
    [("complex64", "GS702"), (3, "GS702")],
)
def test_an_input_dtype_a_spec_cannot_have(dtype: Any, code: str) -> None:
    ((found, message),) = codes(model(outputs=[["x", 0, 0]], dtype=dtype))
    assert found == code and "dtype" in message and "'x'" in message


def test_a_string_input_imports_as_one() -> None:
    """Language 1.1 has string inputs (the lookups take them), so a model of raw strings
    imports instead of being refused with a wrong cause."""
    imported = import_config(model(outputs=[["x", 0, 0]], dtype="string"), "strings.json")
    assert imported.spec.inputs["x"].dtype == "string"
    assert imported.spec.graphspec == 1.1  # it uses what 1.1 adds, and says so


@pytest.mark.parametrize("shape", [[None, 0], [None, -1], [None, 2.5], [None, True], [None, "4"]])
def test_an_input_shape_a_spec_cannot_have(shape: list[Any]) -> None:
    config = model(outputs=[["x", 0, 0]])
    config["config"]["layers"][0]["config"]["batch_shape"] = shape
    ((code, message),) = codes(config)
    assert code == "GS701" and "shape" in message


def test_an_input_of_rank_nine() -> None:
    config = model(outputs=[["x", 0, 0]])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None] + [2] * 9
    ((code, message),) = codes(config)
    assert code == "GS702" and "9 dimensions" in message


def test_a_model_without_outputs() -> None:
    assert codes(model(outputs=[])) == [("GS701", "the model config has no outputs")]


@pytest.mark.parametrize("index", [1, 2])
def test_a_bool_is_no_tensor_index(index: int) -> None:
    """`True == 1`: a bool would silently read another call of the layer."""
    config = copy.deepcopy(CHAIN)
    history = config["config"]["layers"][3]["inbound_nodes"][0]["args"][0]["config"][
        "keras_history"
    ]
    history[index] = True
    ((code, message),) = codes(config)
    assert code == "GS701" and "malformed tensor reference" in message


@pytest.mark.parametrize("key", ["from", "sequence", "layer"])
def test_a_custom_layer_argument_named_like_a_spec_key(key: str) -> None:
    custom = CustomLayers.from_paths(["mypkg.layers.Scale"])
    scale = layer("scale", "Scale", [[tensor("x")]], factor=2.0, **{key: 1})
    scale["module"] = "mypkg.layers"
    ((code, message),) = codes(model(scale, outputs=[["scale", 0, 0]]), custom)
    assert code == "GS702" and f"'{key}'" in message


def test_a_custom_layer_is_a_layer_node_with_every_argument() -> None:
    custom = CustomLayers.from_paths(["mypkg.layers.Scale"])
    scale = layer("scale", "Scale", [[tensor("x")]], factor=2.0, trainable=True)
    scale["module"] = "mypkg.layers"
    node = import_config(model(scale, outputs=[["scale", 0, 0]]), "c.json", custom).spec.nodes
    assert node == {"scale": LayerNode(layer="Scale", from_=["x"], factor=2.0)}
