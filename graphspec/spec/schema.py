"""The JSON Schema of the spec language, for editors and CI.

pydantic writes the schema of `Spec` as a spec is written (`mode="validation"`: the shorthands
`from: x`, `outputs: {h: node}`, `optimizer: adam` and a block's `x:` come from the models'
`json_schema_input_type`), and `json_schema` adds what pydantic cannot say:

- a name-keyed mapping (`nodes:`, `inputs:`, ...) refuses a key that is not a name;
- a node or shared entry has exactly one form key (`layer`, `use`, `block`, `op`, `expr`,
  `sequence`), as `ArgsModel` checks;
- `layer:` offers the catalogue's layers (any other name stays allowed: custom layers) and
  refuses the unsafe ones;
- per catalogue layer, the arguments it takes (`#/$defs/LayerArguments`, an `if`/`then` per
  group of layers with the same arguments), so an editor completes `units:` in a Dense node and
  flags `unitz:`; a layer the catalogue does not know (a custom layer) takes any key.

The schema refuses what `validate` refuses at the schema level (unknown keys, wrong types,
missing fields); what needs the graph or the catalogue's values (references, shapes, argument
values) is left to `validate`. Argument values are not typed here: inside a block any of them
may be a `${param}` string.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from graphspec.catalogue.reader import UNSAFE_LAYERS, Catalogue, load_catalogue
from graphspec.spec.base import IDENTIFIER, NODE_FORMS, WRAPPERS
from graphspec.spec.model import Spec

LAYER_ENTRIES = ("LayerNode", "SharedLayer", "SequenceItem")
"""The definitions whose unknown keys are the layer's arguments."""
_ARGUMENTS = "LayerArguments"
_WRAPPED = "WrappedLayer"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec language (checked in at schemas/graphspec.schema.json)."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    catalogue = load_catalogue()
    _close_name_maps(schema)
    defs = schema["$defs"]
    for entry in LAYER_ENTRIES:
        _layer_entry(defs[entry], catalogue)
    defs[_ARGUMENTS] = _layer_arguments(catalogue)
    defs[_WRAPPED] = _wrapped_layer(catalogue)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://graphspec.dev/schemas/graphspec.schema.json"
    schema["title"] = "graphspec spec, language version 1"
    return schema


def _close_name_maps(value: Any) -> None:
    """A mapping keyed by names (`patternProperties` only) refuses any other key."""
    if isinstance(value, dict):
        if "patternProperties" in value and "additionalProperties" not in value:
            value["additionalProperties"] = False
        for item in value.values():
            _close_name_maps(item)
    elif isinstance(value, list):
        for item in value:
            _close_name_maps(item)


def _layer_name(catalogue: Catalogue, description: str) -> dict[str, Any]:
    """`layer:`: one of the catalogue's safe layers, or any other name (a custom layer)."""
    unsafe = sorted(n for n, info in catalogue.layers.items() if not info.safe)
    return {
        "description": description,
        "anyOf": [
            {"enum": list(catalogue.safe_layer_names())},
            {"type": "string", "pattern": IDENTIFIER},
        ],
        "not": {"enum": sorted({*unsafe, *UNSAFE_LAYERS})},
        "examples": ["Dense", "Conv2D", "LSTM"],
    }


def _layer_entry(definition: dict[str, Any], catalogue: Catalogue) -> None:
    """A layer entry: the layer's name offered, its arguments checked, one form key only."""
    properties = definition["properties"]
    properties["layer"] = _layer_name(catalogue, properties["layer"].get("description", ""))
    others = [key for key in NODE_FORMS if key != "layer"]
    definition["not"] = {"anyOf": [{"required": [key]} for key in others]}
    definition["allOf"] = [{"$ref": f"#/$defs/{_ARGUMENTS}"}]


def _describe(layer: str, catalogue: Catalogue, argument: str) -> str:
    info = catalogue.layers[layer]
    arg = info.args.get(argument)
    if arg is None:
        return f"Keras Layer argument `{argument}` (every layer takes it)."
    if arg.required:
        return f"{info.canonical} argument `{argument}` (required)."
    default = arg.default_repr if arg.default_repr is not None else json.dumps(arg.default)
    return f"{info.canonical} argument `{argument}`, default {default}."


def _layer_arguments(catalogue: Catalogue) -> dict[str, Any]:
    """Per catalogue layer, the keys its entry may have: `if: {layer: X} then: {...}`."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in catalogue.safe_layer_names():
        groups[(catalogue.layers[name].canonical, *catalogue.layers[name].all_args())].append(name)
    rules = []
    for (_canonical, *arguments), names in sorted(groups.items()):
        first = names[0]
        properties: dict[str, Any] = {"layer": True, "from": True, "name": True}
        for argument in arguments:
            if first in WRAPPERS and argument == "layer":
                continue
            properties[argument] = {"description": _describe(first, catalogue, argument)}
        if first in WRAPPERS:
            properties["wraps"] = {
                "description": "The layer it wraps: `{layer: LSTM, units: 32}`.",
                "anyOf": [{"$ref": f"#/$defs/{_WRAPPED}"}, {"type": "string"}],
            }
            if "backward_layer" in properties:
                properties["backward_layer"] = {
                    "description": "The layer for the backward direction, as `wraps`.",
                    "anyOf": [{"$ref": f"#/$defs/{_WRAPPED}"}, {"type": "string"}],
                }
        layer = {"const": first} if len(names) == 1 else {"enum": names}
        rules.append(
            {
                "if": {"properties": {"layer": layer}, "required": ["layer"]},
                "then": {"properties": properties, "additionalProperties": False},
            }
        )
    return {
        "description": "The arguments each catalogue layer takes (its Keras constructor's).",
        "allOf": rules,
    }


def _wrapped_layer(catalogue: Catalogue) -> dict[str, Any]:
    """What a wrapper (`Bidirectional`, `TimeDistributed`) takes: a layer with its arguments."""
    return {
        "description": "A layer inside a wrapper: `{layer: LSTM, units: 32}`.",
        "type": "object",
        "properties": {"layer": _layer_name(catalogue, "The wrapped layer's Keras class.")},
        "required": ["layer"],
        "allOf": [{"$ref": f"#/$defs/{_ARGUMENTS}"}],
    }
