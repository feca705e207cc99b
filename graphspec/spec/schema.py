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
  group of layers with the same arguments, bucketed by the layer name's first letter so that
  an editor revalidates quickly), so an editor completes `units:` in a Dense node, shows each
  argument's description on hover and flags `unitz:`; a layer the catalogue does not know (a
  custom layer) takes any key. tests/ci/test_yaml_language_server.py checks this in
  yaml-language-server, the server behind most editors' YAML support.

The schema refuses what `validate` refuses at the schema level (unknown keys, wrong types,
missing fields); what needs the graph or the catalogue's values (references, shapes, argument
values) is left to `validate`. Argument values are not typed here: inside a block any of them
may be a `${param}` string.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from graphspec.catalogue.argument_types import STRUCTURAL_ARGUMENTS, expected_type
from graphspec.catalogue.reader import (
    UNSAFE_LAYERS,
    ArgInfo,
    Catalogue,
    load_catalogue,
    object_kind,
)
from graphspec.spec.arithmetic import BARE, WHOLE_PLACEHOLDER
from graphspec.spec.base import IDENTIFIER, NODE_FORMS, WRAPPERS
from graphspec.spec.model import Spec
from graphspec.spec.params import PLACEHOLDER

LAYER_ENTRIES = {
    "LayerNode": ("name",),
    "SharedLayer": ("name", "from"),
    "SequenceItem": ("from",),
}
"""The definitions whose unknown keys are the layer's arguments, and the keys they refuse
besides the other form keys (`name` is the node's key; only a sequence item has its own)."""
_ARGUMENTS = "LayerArguments"
_WRAPPED = "WrappedLayer"
_INTS = "IntOrInts"
_PLACEHOLDER = {
    "type": "string",
    "pattern": f"{PLACEHOLDER.pattern}|{WHOLE_PLACEHOLDER.pattern}|{BARE.pattern}",
}
"""A `${param}`, `${...}` arithmetic, or numbers with operators (`1/255`) where a value goes."""
_TYPES: dict[str, dict[str, Any]] = {
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "str": {"type": "string"},
    "ints": {"$ref": f"#/$defs/{_INTS}"},
}
"""The JSON type of each kind `analyse.arguments` checks a value against."""


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec language (checked in at schemas/graphspec.schema.json)."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    catalogue = load_catalogue()
    _close_name_maps(schema)
    defs = schema["$defs"]
    for entry, refused in LAYER_ENTRIES.items():
        _layer_entry(defs[entry], catalogue, refused)
    defs.update(_layer_arguments(catalogue))
    defs[_WRAPPED] = _wrapped_layer(catalogue)
    defs[_INTS] = {
        "description": "An integer, or a list of sizes (null: any) or of (before, after) pairs; "
        "a size may be arithmetic (`32 // 8`, `${filters * 2}`).",
        "anyOf": [
            {"type": "integer"},
            {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "integer"},
                        {"type": "null"},
                        _PLACEHOLDER,
                        {"type": "array", "items": {"anyOf": [{"type": "integer"}, _PLACEHOLDER]}},
                    ]
                },
            },
        ],
    }
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
            {
                "enum": list(catalogue.safe_layer_names()),
                "enumDescriptions": _layer_descriptions(catalogue),
            },
            {"type": "string", "pattern": IDENTIFIER},
        ],
        "not": {"enum": sorted({*unsafe, *UNSAFE_LAYERS})},
        "examples": ["Dense", "Conv2D", "LSTM"],
    }


def _layer_descriptions(catalogue: Catalogue) -> list[str]:
    """What each offered layer is, in the order of `safe_layer_names` (`enumDescriptions`, the
    editors' parallel list; "MaxPool2D": "Alias of MaxPooling2D. Max pooling ...")."""
    texts = []
    for name in catalogue.safe_layer_names():
        info = catalogue.layers[name]
        alias = f"Alias of {info.canonical}. " if info.alias else ""
        texts.append(f"{alias}{info.description or ''}".strip())
    return texts


def _layer_entry(
    definition: dict[str, Any], catalogue: Catalogue, refused: tuple[str, ...]
) -> None:
    """A layer entry: the layer's name offered, its arguments checked, one form key only."""
    properties = definition["properties"]
    properties["layer"] = _layer_name(catalogue, properties["layer"].get("description", ""))
    others = [key for key in NODE_FORMS if key != "layer"]
    definition["not"] = {"anyOf": [{"required": [key]} for key in (*others, *refused)]}
    definition["allOf"] = [{"$ref": f"#/$defs/{_ARGUMENTS}"}]


def _argument(layer: str, catalogue: Catalogue, argument: str) -> dict[str, Any]:
    """One argument's description and the values `validate` takes for it."""
    info = catalogue.layers[layer]
    arg = info.args.get(argument)
    if arg is None:
        base = catalogue.base_arguments.get(argument)
        return {"description": _argument_text(argument, "any layer", base)}
    return {
        "description": _argument_text(argument, info.canonical, arg),
        **_value_schema(argument, arg),
    }


def _argument_text(argument: str, owner: str, arg: ArgInfo | None) -> str:
    """An argument's description: its name, whose it is, its default, and the first sentence
    Keras' docstring gives it ("`units` (Dense, required): Positive integer, ...")."""
    if arg is None or arg.required:
        facts = f"{owner}, required" if arg is not None else owner
    else:
        default = arg.default_repr if arg.default_repr is not None else json.dumps(arg.default)
        facts = f"{owner}, default {default}"
    described = f": {arg.description}" if arg is not None and arg.description else "."
    return f"`{argument}` ({facts}){described}"


def _value_schema(argument: str, arg: ArgInfo) -> dict[str, Any]:
    """What `analyse.arguments.check_type` accepts: the type learnt from the default, null
    when optional, a `${param}` inside a block; an initializer & co. by name or mapping."""
    if object_kind(argument) is not None:
        kinds = [{"type": "string"}, {"type": "object"}]
    else:
        kind = expected_type(argument, arg.default, arg.required)
        if kind is None:
            return {} if not arg.required else {"not": {"type": "null"}}
        kinds = [_TYPES[kind]] if kind == "str" else [_TYPES[kind], _PLACEHOLDER]
    if not arg.required:
        kinds.append({"type": "null"})
    return {"anyOf": kinds}


def _layer_arguments(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """Per catalogue layer, the keys its entry may have: `if: {layer: X} then: {...}`, one rule
    per group of layers with the same arguments, in buckets by the name's first letter.
    The definitions: `LayerArguments` and one per bucket."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in catalogue.safe_layer_names():
        groups[(catalogue.layers[name].canonical, *catalogue.layers[name].all_args())].append(name)
    rules = [
        (names, _arguments_rule(catalogue, names, arguments))
        for (_canonical, *arguments), names in sorted(groups.items())
    ]
    buckets = _by_first_letter(rules)
    definitions = {
        _ARGUMENTS: {
            "description": "The arguments each catalogue layer takes (its Keras constructor's).",
            "allOf": [
                {
                    "if": {
                        "properties": {"layer": {"pattern": f"^{re.escape(letter)}"}},
                        "required": ["layer"],
                    },
                    "then": {"$ref": f"#/$defs/{_ARGUMENTS}_{letter}"},
                }
                for letter in buckets
            ],
        }
    }
    for letter, bucket in buckets.items():
        definitions[f"{_ARGUMENTS}_{letter}"] = {
            "description": f"The arguments of the catalogue layers whose names start with"
            f" {letter}.",
            "allOf": bucket,
        }
    return definitions


def _arguments_rule(catalogue: Catalogue, names: list[str], arguments: list[str]) -> dict[str, Any]:
    """`if: {layer: one of names} then: {the keys they take, no other}`."""
    first = names[0]
    properties: dict[str, Any] = {"layer": True, "from": True, "name": True, "call": True}
    own = catalogue.layers[first].args
    for argument in arguments:
        if first in WRAPPERS and argument == "layer":
            continue
        if argument in STRUCTURAL_ARGUMENTS and argument not in own:
            continue  # validate refuses it (`name` is a sequence item's own key)
        properties[argument] = _argument(first, catalogue, argument)
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
    return {
        "if": {"properties": {"layer": layer}, "required": ["layer"]},
        "then": {"properties": properties, "additionalProperties": False},
    }


def _by_first_letter(
    rules: list[tuple[list[str], dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """The rules by the first letter of the layer names they are for (a rule whose names start
    with several letters is in each of their buckets), letters in order.

    The same keys are allowed and refused as with one flat `allOf` of the rules, but a
    validator tests about 20 outer conditions and one bucket's rules per entry instead of all
    ~140 rules: yaml-language-server's schema work on the largest spec after each edit falls
    from ~25 ms to ~8 ms (measured as benchmarks/bench_editor.py measures it).
    """
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for names, rule in rules:
        for letter in sorted({name[0] for name in names}):
            buckets[letter].append(rule)
    return dict(sorted(buckets.items()))


def _wrapped_layer(catalogue: Catalogue) -> dict[str, Any]:
    """What a wrapper (`Bidirectional`, `TimeDistributed`) takes: a layer with its arguments."""
    return {
        "description": "A layer inside a wrapper: `{layer: LSTM, units: 32}`.",
        "type": "object",
        "properties": {"layer": _layer_name(catalogue, "The wrapped layer's Keras class.")},
        "required": ["layer"],
        "not": {"anyOf": [{"required": ["name"]}, {"required": ["from"]}]},
        "allOf": [{"$ref": f"#/$defs/{_ARGUMENTS}"}],
    }
