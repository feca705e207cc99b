"""Import writes a run of repeated, chained, consistently named units as one repeated inline
block, and only when the spec builds the same layers, names, arguments and connections."""

from __future__ import annotations

from typing import Any

import pytest

import graphspec
from graphspec.analyse.names import format_names
from graphspec.importer.repeats import Entry, find_folds, snake_case
from graphspec.importer.to_spec import Imported, from_keras, import_config, model_config
from graphspec.spec.forms import BlockNode, LayerNode, Node, OpNode
from graphspec.testing.roundtrip import compare


def _folds(entries: list[Entry], outputs: set[str] | None = None) -> list[Any]:
    taken = {entry.name for entry in entries}

    def fresh(name: str) -> str:
        taken.add(name)
        return name

    return find_folds(entries, outputs or set(), taken, fresh)


def _dense(name: str, source: str, units: int = 8, activation: str = "relu") -> Entry:
    node: Node = LayerNode(layer="Dense", from_=[source], units=units, activation=activation)
    return Entry(name, name, "Dense", node)


def _residual_units(count: int, first: int = 1) -> list[Entry]:
    """x → (unit<k>_dense → add(unit<k>_dense, input)) × count → head."""
    entries = []
    source = "x"
    for k in range(first, first + count):
        dense = _dense(f"unit{k}_dense", source)
        add_name = "add" if k == first else f"add_{k - first}"
        add = Entry(add_name, add_name, "Add", OpNode(op="add", from_=[dense.name, source]))
        entries += [dense, add]
        source = add_name
    return [*entries, _dense("head", source, 2, "softmax")]


def test_a_run_of_residual_units_is_one_fold_that_renames_automatic_names() -> None:
    (fold,) = _folds(_residual_units(3, first=5))
    assert (fold.start, fold.stop) == (0, 6)
    assert fold.node.repeat == 3 and fold.node.names == "unit{n+4}_{node}"
    assert [name for name, _ in fold.nodes] == ["dense", "add"]
    assert fold.nodes[1][1].from_ == ["dense", fold.input_name]
    assert fold.renamed == {"add": "unit5_add", "add_1": "unit6_add", "add_2": "unit7_add"}


def test_an_inner_layer_read_from_outside_stops_the_run() -> None:
    entries = _residual_units(3)
    assert len(_folds(entries)) == 1
    entries.append(_dense("probe", "unit2_dense"))  # reads inside the second unit
    assert _folds(entries) == []  # units 1 and 3 are no longer consecutive


def test_a_model_output_inside_the_run_is_not_folded() -> None:
    assert _folds(_residual_units(2), outputs={"unit1_dense"}) == []


def test_weighted_layers_keras_named_itself_are_not_renamed() -> None:
    entries = [
        _dense("unit1_dense", "x"),
        Entry("dense_1", "dense_1", "Dense", LayerNode(layer="Dense", from_=["unit1_dense"])),
        _dense("unit2_dense", "dense_1"),
        Entry("dense_2", "dense_2", "Dense", LayerNode(layer="Dense", from_=["unit2_dense"])),
    ]
    assert _folds(entries) == []


def test_a_stage_longer_than_the_first_is_no_repetition_of_it() -> None:
    entries = [_dense("stage1_a", "x"), _dense("stage1_b", "stage1_a")]
    entries += [_dense("stage2_a", "stage1_b"), _dense("stage2_b", "stage2_a")]
    assert len(_folds(entries)) == 1
    entries.append(_dense("stage2_c", "stage2_b"))
    assert _folds(entries) == []


def test_names_that_are_no_identifier_after_the_number_are_not_folded() -> None:
    # keras.applications ResNet: conv2_block1_1_conv gives the node `1_conv`
    entries = [
        _dense("conv2_block1_1_conv", "x"),
        _dense("conv2_block2_1_conv", "conv2_block1_1_conv"),
    ]
    assert _folds(entries) == []


def test_numbers_with_other_starts_and_automatic_names() -> None:
    assert format_names("block{n+4}_{node}", "i", 1, "add") == "block5_add"
    assert format_names("stage{n-1}_{node}", "i", 1, "conv") == "stage0_conv"
    assert format_names("{instance}_{n}_{node}", "s", 3, "conv") == "s_3_conv"
    assert snake_case("BatchNormalization") == "batch_normalization"
    assert snake_case("ZeroPadding2D") == "zero_padding2d"


# --------------------------------------------------------------------------- with Keras


def _round_trip(model: Any) -> Imported:
    imported = import_config(model_config(model), model.name)
    result = compare(model, imported.text, imported.layer_names)
    assert result.mismatches == ()
    assert result.static_params == model.count_params() == result.built_params
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-4
    return imported


def _repeated(imported: Imported) -> list[BlockNode]:
    return [node for node in imported.spec.nodes.values() if isinstance(node, BlockNode)]


@pytest.fixture(scope="module")
def xception(keras: Any) -> Any:
    return keras.applications.Xception(weights=None, input_shape=(71, 71, 3))


def test_xception_middle_flow_is_one_repeated_inline_block(xception: Any) -> None:
    imported = _round_trip(xception)
    (node,) = _repeated(imported)
    assert (node.repeat, node.names, node.each) == (8, "block{n+4}_{node}", {})
    block = imported.spec.blocks[node.block]
    assert block.inline and list(block.outputs.values()) == ["add"]
    # Keras numbers its automatic names across the session: add_3 ... add_10 in a fresh one
    adds = [layer.name for layer in xception.layers if type(layer).__name__ == "Add"][3:11]
    assert [imported.layer_names[add] for add in adds] == [f"block{k}_add" for k in range(5, 13)]
    assert imported.layer_names["block12_sepconv3_bn"] == "block12_sepconv3_bn"
    assert any(f"{adds[0]} ... {adds[-1]}" in note for note in imported.notes)
    assert "block13_sepconv1_act" in imported.text  # the exit flow stays as it was


def _units(keras: Any, names: list[str], sizes: list[int], activations: list[str]) -> Any:
    """Chained Dense → Dropout units with a residual add, named `<name>_dense` etc."""
    layers = keras.layers
    x = keras.Input((16,), name="features")
    h = layers.Dense(16, name="stem")(x)
    for name, size, activation in zip(names, sizes, activations, strict=True):
        inner = layers.Dense(size, activation=activation, name=f"{name}_dense")(h)
        inner = layers.Dropout(0.1, name=f"{name}_dropout")(inner)
        inner = layers.Dense(16, name=f"{name}_back")(inner)
        h = layers.Add(name=f"{name}_add")([inner, h])
    out = layers.Dense(3, activation="softmax", name="probs")(h)
    return keras.Model(x, out, name="units")


def test_units_whose_width_varies_are_one_block_with_each(keras: Any) -> None:
    model = _units(keras, ["unit1", "unit2", "unit3"], [8, 32, 64], ["relu"] * 3)
    imported = _round_trip(model)
    (node,) = _repeated(imported)
    assert node.each == {"units": [8, 32, 64]} and node.names == "unit{n}_{node}"
    assert imported.spec.blocks[node.block].params == {"units": 8}
    assert imported.notes == ()
    assert from_keras(model) == imported.text  # deterministic
    assert graphspec.check(graphspec.loads(imported.text)).ok


def test_units_counted_from_zero_use_a_negative_offset(keras: Any) -> None:
    model = _units(keras, ["stage0", "stage1"], [8, 8], ["relu"] * 2)
    (node,) = _repeated(_round_trip(model))
    assert (node.repeat, node.names) == (2, "stage{n-1}_{node}")


def test_names_without_a_counter_are_not_folded(keras: Any) -> None:
    model = _units(keras, ["first", "second", "third"], [8, 8, 8], ["relu"] * 3)
    assert _repeated(_round_trip(model)) == []


def test_units_whose_activation_differs_are_not_folded(keras: Any) -> None:
    model = _units(keras, ["unit1", "unit2"], [8, 8], ["relu", "tanh"])
    assert _repeated(_round_trip(model)) == []


def _two_dense_units(widths: list[tuple[int, int]]) -> list[Entry]:
    entries, source = [], "x"
    for k, (first, second) in enumerate(widths, start=1):
        entries += [_dense(f"s{k}_a", source, first), _dense(f"s{k}_b", f"s{k}_a", second)]
        source = f"s{k}_b"
    return entries


def test_an_argument_that_varies_alike_everywhere_is_one_parameter() -> None:
    (fold,) = _folds(_two_dense_units([(8, 8), (16, 16), (32, 32)]))  # VGG's filters
    assert fold.node.each == {"units": [8, 16, 32]} and fold.params == {"units": 8}
    assert [node.args["units"] for _, node in fold.nodes] == ["${units}", "${units}"]
    (fold,) = _folds(_two_dense_units([(8, 4), (16, 4), (32, 8)]))
    assert fold.node.each == {"a_units": [8, 16, 32], "b_units": [4, 4, 8]}


def test_the_written_instance_leaves_out_a_repeat_that_each_implies(keras: Any) -> None:
    model = _units(keras, ["unit1", "unit2"], [8, 16], ["relu"] * 2)
    text = from_keras(model)
    line = next(line for line in text.splitlines() if "names:" in line)
    assert "each: {units: [8, 16]}" in line and "repeat" not in line
    instance = next(n for n in graphspec.loads(text).nodes.values() if isinstance(n, BlockNode))
    assert instance.repeat == 2


def test_a_reader_of_the_run_is_rerouted_in_its_call_arguments_too() -> None:
    """A node after a folded run reads the instance, in `from:` and in `call:` alike."""
    from graphspec.importer.to_spec import _rerouted

    node = LayerNode.model_validate(
        {"layer": "LSTM", "from": "last", "units": 4, "call": {"initial_state": ["last", "c"]}}
    )
    moved = _rerouted(node, {"last": "block1_to_3"})
    assert isinstance(moved, LayerNode)
    assert moved.from_ == ["block1_to_3"]
    assert moved.call == {"initial_state": ["block1_to_3", "c"]}
    assert _rerouted(node, {"other": "x"}) is node
