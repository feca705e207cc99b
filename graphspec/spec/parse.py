"""Parse stage: loaded values → `Spec`, validated once.

pydantic's errors are translated at this one boundary into graphspec diagnostics that carry
the spec path and file position.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes, format_path
from graphspec.diagnostics.suggest import did_you_mean, suggest
from graphspec.read.source import SourceTree
from graphspec.spec.base import NODE_FORMS
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    LayerNode,
    OpNode,
    SequenceItem,
    SequenceNode,
    UseNode,
)
from graphspec.spec.model import Block, BlockInput, Compile, Head, InputSpec, Spec


def _known_keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


_ALL_KEYS = sorted(
    set().union(
        *(
            _known_keys(m)
            for m in (
                Spec,
                LayerNode,
                UseNode,
                BlockNode,
                OpNode,
                ExprNode,
                SequenceNode,
                SequenceItem,
                Block,
                BlockInput,
                InputSpec,
                Head,
                Compile,
            )
        )
    )
)


def _clean_loc(loc: tuple[str | int, ...], data: Any) -> tuple[SpecPath, bool]:
    """Drop union tags from a pydantic location; report whether it points at a dict key."""
    path: list[str | int] = []
    at_key = False
    node: Any = data
    for part in loc:
        if part == "[key]":
            at_key = True
            continue
        if isinstance(part, str) and part.startswith(("form:", "function-")):
            continue
        inside_mapping = isinstance(node, Mapping) and part in node
        inside_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if inside_mapping or inside_list:
            path.append(part)
            node = node[part]
        else:
            path.append(part)
            node = None
    return tuple(path), at_key


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_NAME_KIND = "name or reference"
_NAME_RULE = (
    "names are identifiers: a letter or _, then letters, digits or _ (at most 128); "
    "a reference may add '.output' for a block's output"
)


def _dotted_layer(written: str, path: SpecPath, source: SourceTree) -> Diagnostic:
    """`layer: keras.layers.Dense`: layers are named by class, never by import path."""
    from graphspec.catalogue.reader import load_catalogue

    tail = written.rsplit(".", 1)[-1]
    close = suggest(tail, load_catalogue().safe_layer_names())
    message = f"unknown layer {_describe(written)}: layers are named by their Keras class name"
    hint = f"did you mean '{close}'?" if close else "write the class name, e.g. Dense"
    return Diagnostic(codes.UNKNOWN_LAYER, Severity.ERROR, message, source.locate(path), path, hint)


def _diagnostic_for(error: Any, source: SourceTree) -> Diagnostic:
    path, at_key = _clean_loc(tuple(error["loc"]), source.data)
    kind = error["type"]
    where = format_path(path)
    hint: str | None = None
    if kind == "missing":
        parent = path[:-1]
        code, message = (
            codes.MISSING_KEY,
            f"'{format_path(parent)}' is missing required key '{path[-1]}'",
        )
        location = source.locate(parent)
    elif kind == "extra_forbidden":
        key = str(path[-1])
        code, message = codes.UNKNOWN_KEY, f"unknown key '{key}' in '{format_path(path[:-1])}'"
        hint = did_you_mean(key, _ALL_KEYS)
        location = source.locate_key(path)
    elif kind in ("node_form", "shared_form"):
        code, message = codes.NO_NODE_FORM, f"'{where}': {error['msg']}"
        location = source.locate_key(path)
        entry = error.get("input")
        keys = [str(key) for key in entry] if isinstance(entry, Mapping) else []
        hint = next(filter(None, (did_you_mean(key, NODE_FORMS) for key in keys)), None)
    elif kind == "literal_error" and path == ("graphspec",):
        code = codes.UNSUPPORTED_VERSION
        version = error.get("input")
        message = f"unsupported format version {_describe(version)}; expected 1"
        if isinstance(version, str):
            message = f"the format version is the string {_describe(version)}; write the number 1"
        location = source.locate(path)
    else:
        shown = error.get("input")
        received = "" if at_key or isinstance(shown, Mapping) else f" (received {_describe(shown)})"
        code = (
            codes.INVALID_NAME if at_key or kind == "string_pattern_mismatch" else codes.WRONG_TYPE
        )
        text = str(error["msg"]).removeprefix("Value error, ")
        message = f"'{where}': {text}{received}"
        if kind == "string_pattern_mismatch":
            message = f"'{where}': {_describe(shown)} is not a valid {_NAME_KIND}"
            hint = _NAME_RULE
            if path and path[-1] == "layer" and isinstance(shown, str):
                return _dotted_layer(shown, path, source)
        if at_key:
            message = f"'{where}': invalid name"
            hint = _NAME_RULE
        location = source.locate_key(path) if at_key else source.locate(path)
    return Diagnostic(code, Severity.ERROR, message, location, path, hint)


def parse_spec(source: SourceTree) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate loaded values against the language; every schema error becomes a diagnostic."""
    try:
        spec = Spec.model_validate(source.data)
    except ValidationError as error:
        return None, [_diagnostic_for(item, source) for item in error.errors()]
    spec._source = source
    return spec, []
