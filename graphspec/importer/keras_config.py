"""Import, first half: read a Keras model config and walk its graph of layer calls.

A ``.keras`` file is a zip whose ``config.json`` holds the model as Keras serialises it; a
JSON config file (``model.to_json()``) holds the same document. Reading only this JSON is
what lets ``graphspec import`` run without TensorFlow, and nothing in it is imported or run.

The walk follows what Keras' own ``functional_from_config`` does to rebuild a model: every
``InputLayer`` listed in ``input_layers`` is an input, every entry of a layer's
``inbound_nodes`` is one call of that layer (so a layer called twice is two calls of one set
of weights), each call's ``args`` name the tensors it reads by ``keras_history`` (layer, call,
output), and ``output_layers`` name the model's outputs. A ``Sequential`` model is a chain of
calls. A nested model is a layer like any other here; `graphspec.importer.to_spec` walks its
config when it turns the call into a block.

Model files are untrusted input: every malformed entry ends in an `ImportProblem` carrying a
GS701 (not a model config) or GS702 (a call a spec cannot express) diagnostic.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecPath, codes

MAX_CONFIG_BYTES = 256 * 1024 * 1024
"""A `.keras` file's config.json larger than this is refused (zip bombs)."""

MODEL_CLASSES = frozenset({"Functional", "Sequential", "Model"})
"""Class names of model configs: at the top level the model, inside it a nested model."""

_IGNORED_CALL_KWARGS = {"mask", "training"}

TensorRef = tuple[str, int, int]
"""A tensor as Keras' ``keras_history`` names it: (layer name, call index, output index)."""


class ImportProblem(Exception):
    """A model graphspec cannot express; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def problem(
    file: str, code: Code, message: str, path: SpecPath = (), hint: str | None = None
) -> ImportProblem:
    """An error about the model file ``file``; ``path`` is the place in its config."""
    return ImportProblem(Diagnostic(code, Severity.ERROR, message, Location(file), path, hint))


def short(value: Any) -> str:
    """A value for a message, cut to 60 characters (configs hold long lists)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- reading


def read_model_config(path: Path) -> dict[str, Any]:
    """The model config from a `.keras` file (its config.json) or a JSON config file."""
    where = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise problem(
                        where, codes.UNREADABLE_MODEL, "the .keras file holds no config.json"
                    ) from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise problem(where, codes.UNREADABLE_MODEL, "the model config is over 256 MiB")
                with archive.open(info) as handle:
                    raw = handle.read(MAX_CONFIG_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise problem(
            where, codes.UNREADABLE_MODEL, f"cannot read the model: {error.strerror or error}"
        ) from None
    except zipfile.BadZipFile as error:
        raise problem(where, codes.UNREADABLE_MODEL, f"not a valid .keras file: {error}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise problem(where, codes.UNREADABLE_MODEL, "the model config is over 256 MiB")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        message = f"the model config is not valid JSON: {str(error)[:200]}"
        raise problem(where, codes.UNREADABLE_MODEL, message) from None
    if not isinstance(data, dict):
        raise problem(where, codes.UNREADABLE_MODEL, "the model config is not a JSON object")
    return data


def model_config(model: Any) -> dict[str, Any]:
    """The JSON config of a live keras.Model, with its ``compile_config`` when it is
    compiled (as a ``.keras`` file keeps it)."""
    config: dict[str, Any] = json.loads(model.to_json())
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    if compiled:  # Keras gives {} for a model that is not compiled
        config["compile_config"] = json.loads(json.dumps(compiled))
    return config


def read_model(data: Mapping[str, Any], file: str) -> tuple[str, Mapping[str, Any]]:
    """The class name and config of a top-level model document.

    ``model.to_json()`` wraps the config as ``{class_name, config}``; a bare functional config
    (``{name, layers, ...}``) is accepted too.
    """
    if "class_name" not in data and "layers" in data:
        data = {"class_name": "Functional", "config": data}
    kind = data.get("class_name")
    config = data.get("config")
    if kind not in MODEL_CLASSES or not isinstance(config, Mapping):
        raise problem(
            file,
            codes.UNREADABLE_MODEL,
            f"expected a Keras Functional or Sequential model config, found {kind!r}",
            hint="import a .keras file, or the JSON that model.to_json() writes",
        )
    return str(kind), config


# --------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class KerasInput:
    """An ``InputLayer``: one input of a model (or of a nested model)."""

    name: str
    """The name the layer's calls refer to (its config's name)."""
    shape: list[Any]
    """The batch shape without the batch dimension, as the config has it (unchecked)."""
    dtype: Any
    """The dtype policy's name, or what the config holds when it is not a policy."""


@dataclass(frozen=True)
class LayerCall:
    """One call of a layer: a node of the Keras graph, and one node of the spec.

    A layer called twice is two calls of one layer (one set of weights); that is why the
    spec has ``shared`` entries and ``use`` nodes (see Keras' ``ops/node.py``).
    """

    layer: Mapping[str, Any]
    """The layer's config entry: ``class_name``, ``module``, ``name``, ``config``."""
    index: int
    """Which call of the layer this is (the second element of ``keras_history``)."""
    inputs: list[TensorRef]
    """The tensors it reads, in order."""
    arguments: list[TensorRef | int | float]
    """Its positional arguments in order: a tensor or a number (``x * 0.5``)."""
    shapes: list[Any]
    """The shape the config records for each tensor argument (``None`` when unknown)."""
    keywords: Mapping[str, Any] = field(default_factory=dict)
    """Its keyword arguments (a spec's `call:`): a tensor, a list of tensors, or a flag or
    number (``initial_state=[h, c]``, ``use_causal_mask=True``)."""


@dataclass(frozen=True)
class KerasGraph:
    """One model's graph as its config describes it: inputs, calls in order, outputs."""

    inputs: list[KerasInput]
    calls: list[LayerCall]
    outputs: list[TensorRef]


def read_graph(file: str, kind: str, config: Mapping[str, Any], path: SpecPath) -> KerasGraph:
    """The inputs, layer calls and outputs of one (possibly nested) model config.

    ``path`` is where the model sits in the top-level config, for diagnostics. Nested models
    stay calls of a layer whose class is in `MODEL_CLASSES`; their own graph is read when the
    caller reaches them.
    """
    if kind == "Sequential":
        return _read_sequential(file, config, path)
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise problem(file, codes.UNREADABLE_MODEL, "the model config has no 'layers' list")
    by_name: dict[str, Mapping[str, Any]] = {}
    for layer in layers:
        if not isinstance(layer, Mapping) or not isinstance(layer.get("name"), str):
            raise problem(file, codes.UNREADABLE_MODEL, "a layer entry has no name", path)
        by_name[layer["name"]] = layer
    inputs: list[KerasInput] = []
    for layer_name, _, _ in [
        _history(file, item) for item in _list_of_refs(config.get("input_layers"))
    ]:
        layer = by_name.get(layer_name)
        if layer is None or layer.get("class_name") != "InputLayer":
            raise problem(
                file, codes.UNREADABLE_MODEL, f"input '{layer_name}' is not an InputLayer"
            )
        inputs.append(_read_input(file, layer, path))
    calls: list[LayerCall] = []
    for layer in layers:
        if layer.get("class_name") == "InputLayer":
            continue
        for index, node in enumerate(layer.get("inbound_nodes") or []):
            calls.append(_read_call(file, layer, index, node, path))
    outputs = [
        _output_ref(_history(file, item), by_name)
        for item in _list_of_refs(config.get("output_layers"))
    ]
    return KerasGraph(inputs, calls, outputs)


def _output_ref(ref: TensorRef, by_name: Mapping[str, Mapping[str, Any]]) -> TensorRef:
    """An output as the calls name it. Keras numbers the calls of a nested functional model
    from 1 in ``output_layers`` (its call 0 is the model's own graph) but from 0 in the
    calls' arguments, which drop that call; so `['cnn3', 1, 0]` is the call `['cnn3', 0, 0]`."""
    layer, node, tensor = ref
    if node >= 1 and (by_name.get(layer) or {}).get("class_name") == "Functional":
        return (layer, node - 1, tensor)
    return ref


def _read_sequential(file: str, config: Mapping[str, Any], path: SpecPath) -> KerasGraph:
    """A Sequential model: its input (declared or from ``build_input_shape``), then a chain
    of calls, each reading the previous one."""
    layers = [x for x in config.get("layers") or [] if isinstance(x, Mapping)]
    first = layers[0] if layers else None
    if first is None or first.get("class_name") != "InputLayer":
        shape = config.get("build_input_shape")
        if not isinstance(shape, list):
            raise problem(
                file,
                codes.UNREADABLE_MODEL,
                "a Sequential model without an input shape",
                path,
                hint="build the model (call it once, or give keras.Input) before saving",
            )
        first = {"class_name": "InputLayer", "config": {"batch_shape": shape, "name": "input"}}
    else:
        layers = layers[1:]
    model_input = _read_input(file, first, path)
    previous: TensorRef = (model_input.name, 0, 0)
    calls = []
    for layer in layers:
        name = layer.get("config", {}).get("name") or layer.get("class_name", "layer")
        calls.append(LayerCall({**layer, "name": name}, 0, [previous], [previous], [None]))
        previous = (name, 0, 0)
    return KerasGraph([model_input], calls, [previous])


def _read_input(file: str, layer: Mapping[str, Any], path: SpecPath) -> KerasInput:
    config = layer.get("config") or {}
    name = str(config.get("name") or layer.get("name") or "input")
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if not isinstance(shape, list) or not shape:
        raise problem(file, codes.UNREADABLE_MODEL, f"input '{name}' has no shape", path)
    dtype = config.get("dtype")
    if isinstance(dtype, Mapping):
        dtype = (dtype.get("config") or {}).get("name")
    if config.get("sparse") or config.get("ragged"):
        raise problem(
            file, codes.INEXPRESSIBLE_MODEL, f"input '{name}' is sparse or ragged", (*path, name)
        )
    return KerasInput(name, list(shape[1:]), dtype)


def _read_call(
    file: str, layer: Mapping[str, Any], index: int, node: Any, path: SpecPath
) -> LayerCall:
    """One entry of a layer's ``inbound_nodes``: the tensors and numbers it was called on."""
    name = layer["name"]
    if not isinstance(node, Mapping):
        raise problem(file, codes.UNREADABLE_MODEL, f"layer '{name}' has a malformed call", path)
    keywords: dict[str, Any] = {}
    for key, value in (node.get("kwargs") or {}).items():
        if key in _IGNORED_CALL_KWARGS or value is None:
            continue
        if _is_tensor(value):
            keywords[key] = _history(file, value)
        elif isinstance(value, list) and value and all(_is_tensor(v) for v in value):
            keywords[key] = [_history(file, v) for v in value]
        elif isinstance(value, bool | int | float):
            keywords[key] = value
        else:
            raise problem(
                file,
                codes.INEXPRESSIBLE_MODEL,
                f"layer '{name}' is called with the argument {key}={short(value)}, which a "
                "spec cannot express",
                (*path, "layers", name),
                "a spec's `call:` gives tensors, lists of tensors, flags and numbers",
            )
    arguments: list[TensorRef | int | float] = []
    inputs: list[TensorRef] = []
    shapes: list[Any] = []
    for item in _flatten_args(node.get("args") or []):
        if _is_tensor(item):
            ref = _history(file, item)
            inputs.append(ref)
            arguments.append(ref)
            shapes.append(item.get("config", {}).get("shape"))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            arguments.append(item)
        else:
            raise problem(
                file,
                codes.INEXPRESSIBLE_MODEL,
                f"layer '{name}' is called with the argument {short(item)}, which a spec "
                "cannot express",
                (*path, "layers", name),
            )
    if not inputs:
        raise problem(file, codes.INEXPRESSIBLE_MODEL, f"layer '{name}' is called without a tensor")
    return LayerCall(layer, index, inputs, arguments, shapes, keywords)


def _list_of_refs(value: Any) -> list[Any]:
    """``input_layers``/``output_layers``: a list of refs, or one ref on its own."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    return list(value) if isinstance(value, list) else []


def _history(file: str, item: Any) -> TensorRef:
    """The ``keras_history`` of a serialised tensor, or a bare [layer, call, output].

    A bool is refused as an index: ``True == 1`` would silently refer to another call.
    """
    if isinstance(item, Mapping):
        item = (item.get("config") or {}).get("keras_history")
    if (
        isinstance(item, list | tuple)
        and len(item) == 3
        and isinstance(item[0], str)
        and type(item[1]) is int
        and type(item[2]) is int
    ):
        return (item[0], item[1], item[2])
    raise problem(file, codes.UNREADABLE_MODEL, f"a malformed tensor reference {short(item)}")


def _is_tensor(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("class_name") == "__keras_tensor__"


def _flatten_args(args: Any) -> Iterator[Any]:
    """A call's arguments in order, out of nested lists (``Concatenate()([a, b])``);
    iterative, since the nesting comes from an untrusted file."""
    stack = [iter(args if isinstance(args, list) else [args])]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list | tuple):
            stack.append(iter(item))
        else:
            yield item


_END = object()
