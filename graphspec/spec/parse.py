"""Parse stage: loaded values → `Spec`, validated once.

pydantic's errors are translated at this one boundary into graphspec diagnostics that carry
the spec path and file position.
"""

from __future__ import annotations

import re
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
    "a reference may add '.name' or '.N' for one output of a node (`enc.state_h`, `enc.1`)"
)


def _dotted_layer(written: str, path: SpecPath, source: SourceTree) -> Diagnostic:
    """`layer: keras.layers.Dense`: layers are named by class, never by import path."""
    from graphspec.catalogue.reader import load_catalogue

    tail = written.rsplit(".", 1)[-1]
    close = suggest(tail, load_catalogue().safe_layer_names())
    message = f"unknown layer {_describe(written)}: layers are named by their Keras class name"
    hint = f"did you mean '{close}'?" if close else "write the class name, e.g. Dense"
    return Diagnostic(codes.UNKNOWN_LAYER, Severity.ERROR, message, source.locate(path), path, hint)


_EXPECTED = {
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "mapping_type": "expected a mapping",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "iterable_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}
"""pydantic's type errors in graphspec's words: what the spec expects there."""

_INPUTS_FORM = "block inputs are a mapping of name to {shape: ...}"
_TUPLE = re.compile(r"\s*\((.*)\)\s*", re.DOTALL)


def _in_our_words(error: Any, path: SpecPath) -> tuple[str, str | None, bool]:
    """The message for a pydantic error other than a missing or unknown key, a hint, and
    whether the message already shows the form to write: the mistakes people make most get
    the form they meant, the rest say what is expected there."""
    kind = error["type"]
    shown = error.get("input")
    context = error.get("ctx") or {}
    inside_block = len(path) >= 3 and path[0] == "blocks"
    field_name = path[2] if inside_block else None
    listed = isinstance(shown, list) and bool(shown)  # an empty list is only "expected ..."
    if inside_block and field_name == "inputs" and len(path) == 3 and listed:
        names = [str(name) for name in shown if isinstance(name, str)] or ["x"]
        written = ", ".join(f"{name}: {{}}" for name in names)
        return f"{_INPUTS_FORM}: write inputs: {{{written}}}", None, True
    if inside_block and field_name == "inputs" and len(path) == 4 and listed:
        written = f"{path[-1]}: {{shape: {_flow(shown)}}}"
        return f"{_INPUTS_FORM}: write inputs: {{{written}}}", None, True
    if (
        inside_block
        and field_name == "outputs"
        and (
            (len(path) == 3 and listed)
            or (len(path) == 4 and isinstance(shown, Mapping) and "from" in shown)
        )
    ):
        if isinstance(shown, list):
            pairs = [(f"y{i}" if len(shown) > 1 else "y", ref) for i, ref in enumerate(shown)]
        else:
            pairs = [(str(path[-1]), shown["from"])]
        written = ", ".join(f"{name}: {_plain(ref)}" for name, ref in pairs)
        return f"block outputs map a name to a reference: write outputs: {{{written}}}", None, True
    if path and path[-1] == "from" and listed and kind == "dict_type":
        letters = "abcdefghijklmnopqrstuvwxyz"
        written = ", ".join(f"{letters[i % 26]}: {_plain(ref)}" for i, ref in enumerate(shown))
        return f"expr binds names: write from: {{{written}}}", None, True
    if shown == "None" and kind != "string_type":
        return "write null, not None", "None is a string in YAML; null (or ~) is no value", True
    if isinstance(shown, str) and kind in ("list_type", "tuple_type"):
        inside = _TUPLE.fullmatch(shown)
        if inside:
            items = [item.strip() for item in inside.group(1).split(",") if item.strip()]
            return (
                f"write [{', '.join(items)}], not {shown.strip()}",
                "YAML writes a list in square brackets; (...) is read as a string",
                True,
            )
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return expected, None, False
    if kind == "too_short":
        least = context.get("min_length", 1)
        return f"expected at least {least} entr{'y' if least == 1 else 'ies'}", None, False
    if kind == "too_long":
        most = context.get("max_length")
        return f"expected at most {most} entr{'y' if most == 1 else 'ies'}", None, False
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<"}.get(kind, "≤")
        bound = next(iter(context.values()), "")
        return f"expected a number {sign} {bound}", None, False
    if kind == "literal_error":
        return f"expected {context.get('expected', 'one of the listed values')}", None, False
    return str(error["msg"]).removeprefix("Value error, "), None, False


def _plain(value: Any) -> str:
    """A short value as YAML shows it inline."""
    return value if isinstance(value, str) else _describe(value)


def _flow(values: list[Any]) -> str:
    """A list as YAML flow syntax: [28, 28, null]."""
    return "[" + ", ".join("null" if v is None else _plain(v) for v in values) + "]"


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
        message = f"unsupported format version {_describe(version)}; expected 1 or 1.1"
        if isinstance(version, str):
            message = (
                f"the format version is the string {_describe(version)}; write the number 1 or 1.1"
            )
        location = source.locate(path)
    else:
        shown = error.get("input")
        received = "" if at_key or isinstance(shown, Mapping) else f" (received {_describe(shown)})"
        code = (
            codes.INVALID_NAME if at_key or kind == "string_pattern_mismatch" else codes.WRONG_TYPE
        )
        text, hint, quoted = _in_our_words(error, path)
        if quoted:
            received = ""  # the message already shows the form to write
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
