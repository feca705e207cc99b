"""Import stage: a Keras model's config to a spec a person would write.

The importer reads the model's *config* (the JSON inside a ``.keras`` file, a Keras JSON
config, or what ``model.to_json()`` gives), so importing a file needs no TensorFlow. It writes:
chains of single-use layers as ``sequence`` nodes, a layer called more than once as a
``shared`` entry with ``use`` nodes, nested models as ``blocks``, operations on tensors
(``x + y``, ``x * 0.5``) as ``op`` or ``expr`` nodes, and heads named after the model's
outputs. Arguments equal to Keras' defaults are left out. The output is deterministic.

Nothing in a config is ever imported or run: a class outside Keras' layers becomes a spec
layer only when the user allowed it (see `graphspec.catalogue.custom`), and a ``Lambda`` is an
error that explains how to write it as an ``expr`` node.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphspec.catalogue.custom import CustomLayers
from graphspec.catalogue.reader import ArgInfo, Catalogue, load_catalogue, object_kind
from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecError, SpecPath, codes
from graphspec.spec.model import WRAPPERS

MAX_CONFIG_BYTES = 256 * 1024 * 1024
"""A `.keras` file's config.json larger than this is refused (zip bombs)."""

_MODELS = {"Functional", "Sequential", "Model"}
_IGNORED_CALL_KWARGS = {"mask", "training"}
_BASE_DROPPED = {"name", "build_config", "compile_config"}
_OPS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "TrueDivide": "/"}
_OP_MERGES = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class ImportProblem(Exception):
    """A model graphspec cannot express; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class Imported:
    """An imported model: the spec text and how Keras layer names map to spec names."""

    text: str
    layer_names: Mapping[str, str]
    """Keras layer name → the name of that layer in the built model (they differ only when
    the Keras name is not an identifier)."""
    notes: tuple[str, ...] = ()
    """What the import changed on purpose (an equivalent form), one line each."""


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
                    raise _problem(
                        where, codes.UNREADABLE_MODEL, "the .keras file holds no config.json"
                    ) from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise _problem(
                        where, codes.UNREADABLE_MODEL, "the model config is over 256 MiB"
                    )
                with archive.open(info) as handle:
                    raw = handle.read(MAX_CONFIG_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise _problem(
            where, codes.UNREADABLE_MODEL, f"cannot read the model: {error.strerror or error}"
        ) from None
    except zipfile.BadZipFile as error:
        raise _problem(where, codes.UNREADABLE_MODEL, f"not a valid .keras file: {error}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise _problem(where, codes.UNREADABLE_MODEL, "the model config is over 256 MiB")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        message = f"the model config is not valid JSON: {str(error)[:200]}"
        raise _problem(where, codes.UNREADABLE_MODEL, message) from None
    if not isinstance(data, dict):
        raise _problem(where, codes.UNREADABLE_MODEL, "the model config is not a JSON object")
    return data


def model_config(model: Any) -> dict[str, Any]:
    """The JSON config of a live keras.Model."""
    config: dict[str, Any] = json.loads(model.to_json())
    return config


def _problem(
    file: str, code: Code, message: str, path: SpecPath = (), hint: str | None = None
) -> ImportProblem:
    return ImportProblem(Diagnostic(code, Severity.ERROR, message, Location(file), path, hint))


# --------------------------------------------------------------------------- the model graph


@dataclass
class _Call:
    """One call of a layer: a node in the imported graph."""

    layer: Mapping[str, Any]
    index: int
    inputs: list[tuple[str, int, int]]
    constants: list[Any]
    """The call's positional arguments in order: a tensor reference or a constant."""
    shapes: list[list[int | None] | None]
    name: str = ""


@dataclass
class _Scope:
    """A model (top level or nested) being turned into spec nodes."""

    file: str
    path: SpecPath
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: dict[str, Any] = field(default_factory=dict)
    refs: dict[tuple[str, int, int], str] = field(default_factory=dict)


class _Importer:
    def __init__(self, file: str, custom: CustomLayers, catalogue: Catalogue) -> None:
        self.file = file
        self.custom = custom
        self.catalogue = catalogue
        self.taken: set[str] = set()
        self.layer_names: dict[str, str] = {}
        self.shared: dict[str, Any] = {}
        self.blocks: dict[str, Any] = {}
        self.notes: list[str] = []

    # ---- names -------------------------------------------------------------------------

    def fresh(self, wanted: str) -> str:
        """A unique identifier close to ``wanted``."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:120] or "node"
        if not base[0].isalpha() and base[0] != "_":
            base = f"_{base}"
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}_{count}"
        self.taken.add(name)
        return name

    # ---- the whole model -----------------------------------------------------------------

    def model(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if "class_name" not in data and "layers" in data:
            data = {"class_name": "Functional", "config": data}
        kind = data.get("class_name")
        config = data.get("config")
        if kind not in _MODELS or not isinstance(config, Mapping):
            raise _problem(
                self.file,
                codes.UNREADABLE_MODEL,
                f"expected a Keras Functional or Sequential model config, found {kind!r}",
                hint="import a .keras file, or the JSON that model.to_json() writes",
            )
        name = self.fresh(str(config.get("name") or "model"))
        scope = _Scope(self.file, ())
        outputs = self.graph(scope, kind, config)
        spec: dict[str, Any] = {"graphspec": 1, "name": name, "inputs": scope.inputs}
        if self.shared:
            spec["shared"] = self.shared
        if self.blocks:
            spec["blocks"] = self.blocks
        spec["nodes"] = scope.nodes
        heads: dict[str, str] = {}
        for key, ref in outputs:
            head, count = key, 1
            while head in heads:
                count += 1
                head = f"{key}_{count}"
            heads[head] = ref
        spec["outputs"] = heads
        return spec

    def graph(self, scope: _Scope, kind: str, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Fill ``scope`` with the model's inputs and nodes; returns (head name, ref) pairs."""
        if kind == "Sequential":
            return self.sequential(scope, config)
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise _problem(
                self.file, codes.UNREADABLE_MODEL, "the model config has no 'layers' list"
            )
        by_name: dict[str, Mapping[str, Any]] = {}
        for layer in layers:
            if not isinstance(layer, Mapping) or not isinstance(layer.get("name"), str):
                raise _problem(
                    self.file, codes.UNREADABLE_MODEL, "a layer entry has no name", scope.path
                )
            by_name[layer["name"]] = layer
        inputs = [_history(item) for item in _list_of_refs(config.get("input_layers"))]
        for layer_name, _, _ in inputs:
            layer = by_name.get(layer_name)
            if layer is None or layer.get("class_name") != "InputLayer":
                raise _problem(
                    self.file, codes.UNREADABLE_MODEL, f"input '{layer_name}' is not an InputLayer"
                )
            self.input_layer(scope, layer)
        calls: list[_Call] = []
        for layer in layers:
            if layer.get("class_name") == "InputLayer":
                continue
            for index, node in enumerate(layer.get("inbound_nodes") or []):
                calls.append(self.call(scope, layer, index, node))
        outputs = [_history(item) for item in _list_of_refs(config.get("output_layers"))]
        self.emit_calls(scope, calls, {_key(r) for r in outputs})
        return [(self.layer_names.get(r[0], r[0]), self.ref(scope, r)) for r in outputs]

    def sequential(self, scope: _Scope, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        layers = [x for x in config.get("layers") or [] if isinstance(x, Mapping)]
        first = layers[0] if layers else None
        if first is None or first.get("class_name") != "InputLayer":
            shape = config.get("build_input_shape")
            if not isinstance(shape, list):
                raise _problem(
                    self.file,
                    codes.UNREADABLE_MODEL,
                    "a Sequential model without an input shape",
                    scope.path,
                    hint="build the model (call it once, or give keras.Input) before saving",
                )
            first = {"class_name": "InputLayer", "config": {"batch_shape": shape, "name": "input"}}
        else:
            layers = layers[1:]
        input_name = self.input_layer(scope, first)
        previous = (input_name, 0, 0)
        calls = []
        for layer in layers:
            name = layer.get("config", {}).get("name") or layer.get("class_name", "layer")
            layer = {**layer, "name": name}
            call = _Call(layer, 0, [previous], [previous], [None])
            calls.append(call)
            previous = (name, 0, 0)
        self.emit_calls(scope, calls, {_key(previous)})
        return [(self.layer_names.get(previous[0], previous[0]), self.ref(scope, previous))]

    def input_layer(self, scope: _Scope, layer: Mapping[str, Any]) -> str:
        config = layer.get("config") or {}
        original = str(config.get("name") or layer.get("name") or "input")
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        if not isinstance(shape, list) or not shape:
            raise _problem(
                self.file, codes.UNREADABLE_MODEL, f"input '{original}' has no shape", scope.path
            )
        name = self.fresh(original)
        self.layer_names[original] = name
        entry: dict[str, Any] = {"shape": list(shape[1:])}
        dtype = config.get("dtype")
        if isinstance(dtype, Mapping):
            dtype = (dtype.get("config") or {}).get("name")
        if dtype and dtype != "float32":
            entry["dtype"] = dtype
        if config.get("sparse") or config.get("ragged"):
            raise _problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"input '{original}' is sparse or ragged",
                (*scope.path, name),
            )
        scope.inputs[name] = entry
        scope.refs[(original, 0, 0)] = name
        return original

    def call(self, scope: _Scope, layer: Mapping[str, Any], index: int, node: Any) -> _Call:
        name = layer["name"]
        if not isinstance(node, Mapping):
            raise _problem(
                self.file,
                codes.UNREADABLE_MODEL,
                f"layer '{name}' has a malformed call",
                scope.path,
            )
        for key, value in (node.get("kwargs") or {}).items():
            if key not in _IGNORED_CALL_KWARGS and value is not None:
                raise _problem(
                    self.file,
                    codes.INEXPRESSIBLE_MODEL,
                    f"layer '{name}' is called with the argument {key}={_short(value)}, which a "
                    "spec cannot express",
                    (*scope.path, "layers", name),
                    "call the layer on its inputs only",
                )
        constants: list[Any] = []
        inputs: list[tuple[str, int, int]] = []
        shapes: list[list[int | None] | None] = []
        for item in _flatten_args(node.get("args") or []):
            if _is_tensor(item):
                ref = _history(item)
                inputs.append(ref)
                constants.append(ref)
                shapes.append(item.get("config", {}).get("shape"))
            elif isinstance(item, int | float) and not isinstance(item, bool):
                constants.append(item)
            else:
                raise _problem(
                    self.file,
                    codes.INEXPRESSIBLE_MODEL,
                    f"layer '{name}' is called with the argument {_short(item)}, which a spec "
                    "cannot express",
                    (*scope.path, "layers", name),
                )
        if not inputs:
            raise _problem(
                self.file, codes.INEXPRESSIBLE_MODEL, f"layer '{name}' is called without a tensor"
            )
        return _Call(layer, index, inputs, constants, shapes)

    def ref(self, scope: _Scope, ref: tuple[str, int, int]) -> str:
        found = scope.refs.get(ref)
        if found is None:
            layer, node, tensor = ref
            what = f"output {tensor} of " if tensor else ""
            raise _problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"the model reads {what}call {node} of '{layer}', which graphspec cannot refer to",
                (*scope.path, "layers", layer),
                "graphspec refers to a layer's first output; layers with several outputs "
                "(return_state=True) are not importable yet",
            )
        return found

    # ---- calls to nodes ------------------------------------------------------------------

    def emit_calls(
        self,
        scope: _Scope,
        calls: list[_Call],
        outputs: set[str],
    ) -> None:
        uses = Counter(call.layer["name"] for call in calls)
        pending: list[tuple[str, dict[str, Any], _Call]] = []
        for call in calls:
            original = call.layer["name"]
            shared = uses[original] > 1
            if shared:
                entry_name = self.layer_names.get(original)
                if entry_name is None:
                    entry_name = self.fresh(original)
                    self.layer_names[original] = entry_name
                    self.shared[entry_name] = self.shared_entry(scope, call.layer, entry_name)
                node_name = self.fresh(f"{original}_call{call.index + 1}")
                node: dict[str, Any] = {"use": entry_name, "from": None}
            else:
                node_name = self.fresh(original)
                self.layer_names[original] = node_name
                node = self.node(scope, call, node_name)
            node["from"] = _from(node.get("from"), [self.ref(scope, r) for r in call.inputs])
            scope.refs[(original, call.index, 0)] = node_name
            pending.append((node_name, node, call))
        self.chains(scope, pending, outputs)

    def chains(
        self, scope: _Scope, pending: list[tuple[str, dict[str, Any], _Call]], outputs: set[str]
    ) -> None:
        """Fold chains of single-use layers into `sequence` nodes named after their last
        layer (so every reference to the chain stays the same)."""
        by_name = {name: node for name, node, _ in pending}
        consumers = Counter[str]()
        for _, node, _ in pending:
            for ref in _refs(node.get("from")):
                consumers[ref] += 1
        output_names = {scope.refs.get(_unkey(k)) for k in outputs}
        folded: dict[str, list[str]] = {}
        absorbed: set[str] = set()
        for name, node, _ in pending:
            if not _chainable(node):
                continue
            source = node["from"]
            if (
                isinstance(source, str)
                and source in by_name
                and source not in output_names
                and consumers[source] == 1
                and _chainable(by_name[source])
                and source in folded
            ):
                folded[name] = [*folded.pop(source), name]
                absorbed.add(source)
            else:
                folded[name] = [name]
        for name, node, _ in pending:
            if name in absorbed:
                continue
            chain = folded.get(name)
            if chain is None or len(chain) == 1:
                scope.nodes[name] = node
                continue
            first = by_name[chain[0]]
            items = []
            for member in chain:
                item = {k: v for k, v in by_name[member].items() if k != "from"}
                item = {"layer": item.pop("layer"), "name": member, **item}
                items.append(item)
            scope.nodes[name] = {"from": first["from"], "sequence": items}

    def node(self, scope: _Scope, call: _Call, node_name: str) -> dict[str, Any]:
        layer = call.layer
        kind = str(layer.get("class_name"))
        module = str(layer.get("module") or "")
        config = layer.get("config") or {}
        path = (*scope.path, "layers", layer["name"])
        if kind in _MODELS:
            block_name = self.fresh(f"{node_name}_block")
            self.blocks[block_name] = self.block(scope, layer, block_name)
            return {"block": block_name}
        if module.startswith("keras.src.ops") or module.startswith("keras.ops"):
            return self.operation(call, kind, path)
        equivalent = _EQUIVALENTS.get(f"{module}.{kind}")
        if equivalent is not None:
            expression, note = equivalent(config)
            self.notes.append(f"{layer['name']}: {note}")
            names = "ab"[: len(call.inputs)]
            return {"expr": expression, "from": dict.fromkeys(names, "")}
        if kind == "Lambda":
            raise _problem(
                self.file,
                codes.LAMBDA_LAYER,
                f"layer '{layer['name']}' is a Lambda: its Python code cannot go into a spec",
                path,
                'rewrite it as an expr node (expr: "(a + b) / 2", from: {a: x, b: y}) or a '
                "layer Keras has, then import again",
            )
        custom = self.custom.match(module, kind, layer.get("registered_name"))
        if custom is not None:
            return {"layer": custom.name, **self.arguments(config, None, path)}
        info = self.catalogue.layer(kind) if module.startswith("keras") else None
        if info is None or not info.safe:
            raise _problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"layer '{layer['name']}' is {module}.{kind}, a class a spec may not name",
                path,
                f"allow it outside the spec: --custom-layer {module}.{kind} or "
                f'[tool.graphspec] custom-layers = ["{module}.{kind}"] in pyproject.toml',
            )
        return {"layer": kind, **self.arguments(config, info.args, path, kind)}

    def shared_entry(self, scope: _Scope, layer: Mapping[str, Any], name: str) -> dict[str, Any]:
        kind = str(layer.get("class_name"))
        path = (*scope.path, "layers", layer["name"])
        if kind in _MODELS:
            block_name = self.fresh(f"{name}_block")
            self.blocks[block_name] = self.block(scope, layer, block_name)
            return {"block": block_name}
        call = _Call(layer, 0, [], [], [])
        node = self.node(scope, call, name)
        if "layer" not in node:
            raise _problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"'{layer['name']}' is called several times",
                path,
                "only layers and nested models can be shared",
            )
        return node

    def block(self, scope: _Scope, layer: Mapping[str, Any], block_name: str) -> dict[str, Any]:
        """A nested model as a block: its own inputs, nodes and outputs."""
        inner = _Scope(self.file, (*scope.path, "layers", layer["name"]))
        outputs = self.graph(inner, str(layer["class_name"]), layer.get("config") or {})
        inputs: dict[str, dict[str, Any]] = {name: {} for name in inner.inputs}
        block_outputs: dict[str, str] = {}
        for key, ref in outputs:
            block_outputs[key if key not in block_outputs else f"{key}_{len(block_outputs)}"] = ref
        return {"inputs": inputs, "nodes": inner.nodes, "outputs": block_outputs}

    def operation(self, call: _Call, kind: str, path: SpecPath) -> dict[str, Any]:
        """`x + y` on tensors: an `op` merge when the shapes agree, otherwise an expression."""
        symbol = _OPS.get(kind)
        if symbol is None or len(call.constants) != 2:
            raise _problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"the operation '{call.layer['name']}' ({kind}) has no spec form",
                path,
                "graphspec imports +, -, * and / between tensors and numbers",
            )
        tensors = [c for c in call.constants if isinstance(c, tuple)]
        shapes = call.shapes
        if kind in _OP_MERGES and len(tensors) == 2 and shapes[0] == shapes[1] and shapes[0]:
            return {"op": _OP_MERGES[kind]}
        names = iter("ab")
        parts = []
        for item in call.constants:
            parts.append(next(names) if isinstance(item, tuple) else _number(item))
        used = [p for p in parts if p in ("a", "b")]
        return {"expr": f"{parts[0]} {symbol} {parts[1]}", "from": dict.fromkeys(used, "")}

    # ---- arguments -----------------------------------------------------------------------

    def arguments(
        self,
        config: Mapping[str, Any],
        known: Mapping[str, ArgInfo] | None,
        path: SpecPath,
        kind: str = "",
    ) -> dict[str, Any]:
        """The config's constructor arguments that differ from Keras' defaults."""
        args: dict[str, Any] = {}
        for key, value in config.items():
            if key in _BASE_DROPPED:
                continue
            if key == "trainable":
                if value is False:
                    args[key] = False
                continue
            if key == "dtype":
                policy = _dtype_name(value)
                if policy not in (None, "float32"):
                    args[key] = policy
                continue
            if kind in WRAPPERS and key in ("layer", "backward_layer"):
                args["wraps" if key == "layer" else key] = self.wrapped(value, path)
                continue
            suffix = object_kind(key)
            if suffix is not None and isinstance(value, Mapping):
                value = self.named_object(suffix, value, path, key)
            elif _is_serialized(value):
                raise _problem(
                    self.file,
                    codes.INEXPRESSIBLE_MODEL,
                    f"argument '{key}' holds a Keras object ({value.get('class_name')}) that a "
                    "spec cannot express",
                    (*path, key),
                )
            info = known.get(key) if known is not None else None
            if known is not None and info is None and value in (None, False):
                continue  # a config-only key at its off value (LayerNormalization.rms_scaling)
            if info is not None and not info.required and _implied(key, value, info.default):
                continue
            args[key] = _simplest(key, value)
        return args

    def wrapped(self, value: Any, path: SpecPath) -> dict[str, Any]:
        if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
            raise _problem(
                self.file, codes.INEXPRESSIBLE_MODEL, "a wrapper without its inner layer", path
            )
        kind = value["class_name"]
        info = self.catalogue.layer(kind)
        if info is None or not info.safe:
            raise _problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"the wrapped layer {kind} is not a Keras layer",
                path,
            )
        return {"layer": kind, **self.arguments(value.get("config") or {}, info.args, path, kind)}

    def named_object(self, kind: str, value: Mapping[str, Any], path: SpecPath, key: str) -> Any:
        """`{class_name: VarianceScaling, config: {...}}` → `he_normal` or `{name: ..., ...}`."""
        class_name = value.get("class_name")
        classes = self.catalogue.object_args.get(kind, {})
        if not isinstance(class_name, str) or class_name not in classes:
            raise _problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"'{key}' is {_short(class_name)}, not a Keras {kind[:-1]}",
                (*path, key),
            )
        accepted = classes[class_name]
        given = {
            k: v
            for k, v in (value.get("config") or {}).items()
            if k in accepted and not _same(v, accepted[k].default)
        }
        if given:
            return {"name": class_name, **given}
        alias = _snake_alias(class_name, self.catalogue, kind)
        if alias in getattr(self.catalogue, kind):
            return alias
        return {"name": class_name}  # Keras makes it by name only with arguments: Constant


# --------------------------------------------------------------------------- equivalents


def _custom_scale(config: Mapping[str, Any]) -> tuple[str, str]:
    scale = config.get("scale")
    if not isinstance(scale, int | float) or isinstance(scale, bool):
        raise ValueError("CustomScaleLayer without a numeric scale")
    return (
        f"a + b * {_number(scale)}",
        "CustomScaleLayer (inputs[0] + inputs[1] * scale) written as an expression",
    )


_EQUIVALENTS = {
    "keras.src.applications.inception_resnet_v2.CustomScaleLayer": _custom_scale,
}
"""Custom layers of keras.applications that are exactly a safe expression."""


# --------------------------------------------------------------------------- helpers


def _list_of_refs(value: Any) -> list[Any]:
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    return list(value) if isinstance(value, list) else []


def _history(item: Any) -> tuple[str, int, int]:
    if isinstance(item, Mapping):
        item = (item.get("config") or {}).get("keras_history")
    if (
        isinstance(item, list | tuple)
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and isinstance(item[2], int)
    ):
        return (item[0], item[1], item[2])
    raise ImportProblem(
        Diagnostic(
            codes.UNREADABLE_MODEL,
            Severity.ERROR,
            f"a malformed tensor reference {_short(item)}",
            Location("<config>"),
        )
    )


def _is_tensor(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("class_name") == "__keras_tensor__"


def _flatten_args(args: Any) -> Iterator[Any]:
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


def _key(ref: tuple[str, int, int]) -> str:
    return f"{ref[0]}\0{ref[1]}\0{ref[2]}"


def _unkey(key: str) -> tuple[str, int, int]:
    layer, node, tensor = key.split("\0")
    return (layer, int(node), int(tensor))


def _from(template: Any, refs: list[str]) -> Any:
    """`from:` as a person writes it: one name, a list, or the expression's mapping."""
    if isinstance(template, Mapping):
        return dict(zip(template, refs, strict=True))
    return refs[0] if len(refs) == 1 else refs


def _refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [str(v) for v in value.values()]
    return [str(v) for v in value or []]


def _chainable(node: Mapping[str, Any]) -> bool:
    return "layer" in node and isinstance(node.get("from"), str)


def _same(value: Any, default: Any) -> bool:
    """JSON value equal to a catalogue default (lists and tuples alike; 1 is not True)."""
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return len(value) == len(default) and all(
            _same(a, b) for a, b in zip(value, default, strict=True)
        )
    if isinstance(value, int | float) and isinstance(default, int | float):
        return value == default
    return bool(value == default) and type(value) is type(default)


_RESOLVED_DEFAULTS = {"data_format": "channels_last", "activation": "linear"}
"""What Keras writes into a config for an argument left at None: the same model."""
_SIZES = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding", "cropping"}


def _implied(key: str, value: Any, default: Any) -> bool:
    """The argument may be left out: it is the default, or what the default resolves to."""
    if _same(value, default):
        return True
    if default is None and _RESOLVED_DEFAULTS.get(key) == value:
        return True
    return isinstance(default, int) and _same(_simplest(key, value), default)


def _simplest(key: str, value: Any) -> Any:
    """`kernel_size: [3, 3]` → `3`; `padding: [[1, 1], [1, 1]]` → `1`: the form people write."""
    if key not in _SIZES or not isinstance(value, list) or not value:
        return value
    if all(isinstance(v, list) and len(v) == 2 and v[0] == v[1] for v in value):
        flat = [v[0] for v in value]
        if len(set(map(repr, flat))) == 1 and isinstance(flat[0], int):
            return flat[0]
        return value
    if (
        len(set(map(repr, value))) == 1
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
    ):
        return value[0]
    return value


def _is_serialized(value: Any) -> bool:
    return isinstance(value, Mapping) and "class_name" in value


def _dtype_name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        inner = value.get("config") or {}
        name = inner.get("name") if isinstance(inner, Mapping) else None
        return str(name) if name is not None else None
    return None if value is None else str(value)


def _snake_alias(class_name: str, catalogue: Catalogue, kind: str) -> str:
    """`GlorotUniform` → `glorot_uniform`, the form people write (when Keras has it)."""
    names = catalogue.object_args.get(kind, {})
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    if snake in names and names[snake] is names[class_name]:
        return snake
    return class_name


def _number(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a non-finite constant")
    return repr(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- YAML text


def _flow(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=1 << 30, allow_unicode=True
    )
    return text.strip().removesuffix("...").strip()


def render_spec(spec: Mapping[str, Any], header: str = "") -> str:
    """The spec dict as YAML a person would write: one line per simple entry, sequences as
    a list of one-line items."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for key in ("graphspec", "name", "description"):
        if key in spec:
            lines.append(f"{key}: {_flow(spec[key])}")
    for section in ("inputs", "shared"):
        if spec.get(section):
            lines.append(f"{section}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in spec[section].items()]
    if spec.get("blocks"):
        lines.append("blocks:")
        for name, block in spec["blocks"].items():
            lines.append(f"  {name}:")
            lines.append(f"    inputs: {_flow(block['inputs'])}")
            lines.append("    nodes:")
            lines += _nodes(block["nodes"], "      ")
            lines.append(f"    outputs: {_flow(block['outputs'])}")
    lines.append("nodes:")
    lines += _nodes(spec["nodes"], "  ")
    lines.append("outputs:")
    lines += [f"  {k}: {_flow(v)}" for k, v in spec["outputs"].items()]
    return "\n".join(lines) + "\n"


def _nodes(nodes: Mapping[str, Any], indent: str) -> list[str]:
    lines = []
    for name, node in nodes.items():
        if "sequence" in node:
            lines.append(f"{indent}{name}:")
            lines.append(f"{indent}  from: {_flow(node['from'])}")
            lines.append(f"{indent}  sequence:")
            lines += [f"{indent}    - {_flow(item)}" for item in node["sequence"]]
        else:
            form = next(k for k in ("layer", "use", "block", "op", "expr") if k in node)
            ordered = {form: node[form], "from": node["from"]}
            ordered.update((k, v) for k, v in node.items() if k not in ordered)
            lines.append(f"{indent}{name}: {_flow(ordered)}")
    return lines


# --------------------------------------------------------------------------- entry points


def import_config(
    data: Mapping[str, Any],
    file: str = "<model>",
    custom: CustomLayers | None = None,
    header: str = "",
) -> Imported:
    """A spec for the model ``data`` (a Keras model config); raises SpecError."""
    importer = _Importer(file, custom or CustomLayers(), load_catalogue())
    try:
        spec = importer.model(data)
    except ImportProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        message = f"the model config is malformed: {type(error).__name__}: {_short(str(error))}"
        raise SpecError(
            [Diagnostic(codes.UNREADABLE_MODEL, Severity.ERROR, message, Location(file))]
        ) from None
    return Imported(render_spec(spec, header), dict(importer.layer_names), tuple(importer.notes))


def import_path(path: Path, custom: CustomLayers | None = None) -> Imported:
    """Import a `.keras` file or a Keras JSON config."""
    try:
        data = read_model_config(path)
    except ImportProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    return import_config(data, str(path), custom, f"Imported from {path.name} by graphspec.")


def from_keras(model: Any, custom: Sequence[str] | CustomLayers = ()) -> str:
    """The spec (YAML text) of a live keras.Model; raises SpecError when it has no spec form."""
    layers = custom if isinstance(custom, CustomLayers) else CustomLayers.from_paths(custom)
    return import_config(model_config(model), f"<{model.name}>", layers).text
