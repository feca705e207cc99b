"""The Keras catalogue: layer arguments and known names, generated from Keras and read without it.

Two halves share this module. The reader (`load_catalogue`, `suggest`) parses the checked-in
``data/keras_catalogue.json`` with nothing but the standard library, so `graphspec validate`
can check layer arguments and loss/metric/optimizer names without importing Keras. The
generator (``python -m graphspec.catalogue [--check] [-o PATH]``) imports Keras lazily, inside
its functions only, and rebuilds that file from the installed version.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "CATALOGUE_PATH",
    "COMPILE_METRIC_NAMES",
    "FORMAT_VERSION",
    "UNSAFE_LAYERS",
    "ArgInfo",
    "Catalogue",
    "LayerInfo",
    "catalogue_from_dict",
    "check_current",
    "diff_documents",
    "generate",
    "load_catalogue",
    "main",
    "render",
    "suggest",
]

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "keras_catalogue.json"
"""Where the checked-in catalogue lives; the reader and the generator's default output."""

FORMAT_VERSION = 2
OBJECT_KINDS = ("initializers", "regularizers", "constraints")
_OBJECT_SUFFIXES = {
    "_initializer": "initializers",
    "_regularizer": "regularizers",
    "_constraint": "constraints",
}


def object_kind(argument: str) -> str | None:
    """Which kind of Keras object a layer argument takes: `kernel_initializer` →
    "initializers"; None for other arguments."""
    return next((k for s, k in _OBJECT_SUFFIXES.items() if argument.endswith(s)), None)


"""Version of the JSON layout; bump it when the reader must change with the file."""

UNSAFE_LAYERS: frozenset[str] = frozenset(
    {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "InputLayer"}
)
"""Layers a spec may never name: they run arbitrary code or are structural, not computation."""

COMPILE_METRIC_NAMES: frozenset[str] = frozenset({"accuracy", "acc", "crossentropy", "ce"})
"""Metric strings `Model.compile` resolves itself (by the output's shape) before `metrics.get`."""

# --------------------------------------------------------------------------------------------
# Reader: standard library only.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArgInfo:
    """One constructor argument; `default` is None when required or not JSON-representable."""

    name: str
    required: bool
    default: object | None = None
    default_repr: str | None = None
    """The default's `repr` when it is not a JSON value (then `default` is None)."""
    inherited_from: str | None = None
    """The base class whose ``__init__`` takes the argument when it arrives through **kwargs."""


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What a `keras.layers` name accepts; aliases share their canonical class's arguments."""

    name: str
    canonical: str
    module: str
    args: Mapping[str, ArgInfo]
    accepts_kwargs: bool
    merge: bool
    base_args: frozenset[str] = field(default_factory=frozenset)
    """Base `Layer` keywords (``name``, ``trainable``, ...) that reach `Layer.__init__`."""

    def accepts(self, arg: str) -> bool:
        """Whether ``arg`` is a valid keyword for this layer: its own or a base `Layer` one."""
        return arg in self.args or arg in self.base_args

    @property
    def required(self) -> tuple[str, ...]:
        """Arguments without a default, in signature order."""
        return tuple(a.name for a in self.args.values() if a.required)

    @property
    def alias(self) -> bool:
        """Whether this name is an alias (``MaxPool2D``) of another class name."""
        return self.name != self.canonical

    @property
    def safe(self) -> bool:
        """Whether a spec may use this layer (it is not in `UNSAFE_LAYERS`, nor an alias of one)."""
        return self.name not in UNSAFE_LAYERS and self.canonical not in UNSAFE_LAYERS

    def all_args(self) -> tuple[str, ...]:
        """Every keyword this layer accepts: own arguments then base `Layer` ones, for hints."""
        return tuple(self.args) + tuple(sorted(self.base_args - self.args.keys()))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Everything graphspec knows about the installed Keras, read from the checked-in JSON."""

    keras_version: str
    layers: Mapping[str, LayerInfo]
    activations: frozenset[str]
    losses: frozenset[str]
    metrics: frozenset[str]
    optimizers: frozenset[str]
    initializers: frozenset[str]
    regularizers: frozenset[str]
    constraints: frozenset[str]
    base_layer_args: frozenset[str]
    deprecated_layer_args: frozenset[str] = frozenset()
    """Keywords base `Layer` still swallows with a warning (``input_shape``, ``input_dim``)."""
    optimizer_args: Mapping[str, Mapping[str, ArgInfo]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Constructor arguments per optimizer name (every name in `optimizers`)."""
    object_args: Mapping[str, Mapping[str, Mapping[str, ArgInfo]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Per kind (initializers, regularizers, constraints): constructor arguments per name, for
    the `{name: VarianceScaling, scale: 2.0}` form of those arguments."""

    def layer(self, name: str) -> LayerInfo | None:
        """The layer called ``name``, or None when Keras has no such layer."""
        return self.layers.get(name)

    def safe_layer_names(self) -> tuple[str, ...]:
        """Sorted names a spec may use: all but `UNSAFE_LAYERS` and their aliases."""
        return tuple(sorted(n for n, info in self.layers.items() if info.safe))


def _arg_from_json(raw: Mapping[str, Any]) -> ArgInfo:
    """Build an `ArgInfo` from one entry of a JSON ``args`` list."""
    return ArgInfo(
        name=raw["name"],
        required=raw["required"],
        default=raw.get("default"),
        default_repr=raw.get("default_repr"),
        inherited_from=raw.get("inherited_from"),
    )


def _args_from_json(raw: Sequence[Mapping[str, Any]]) -> Mapping[str, ArgInfo]:
    """Build a read-only name→`ArgInfo` map that keeps the signature order."""
    return MappingProxyType({a["name"]: _arg_from_json(a) for a in raw})


def catalogue_from_dict(data: Mapping[str, Any]) -> Catalogue:
    """Build a `Catalogue` from the decoded JSON document (see `generate` for the layout)."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"keras catalogue format {data.get('format')!r} is not {FORMAT_VERSION}; "
            "regenerate it with `python -m graphspec.catalogue`"
        )
    base = frozenset(a["name"] for a in data["base_layer_args"])
    layers: dict[str, LayerInfo] = {}
    for name, raw in data["layers"].items():
        layers[name] = LayerInfo(
            name=name,
            canonical=raw["canonical"],
            module=raw["module"],
            args=_args_from_json(raw["args"]),
            accepts_kwargs=raw["accepts_kwargs"],
            merge=raw["merge"],
            base_args=base if raw["base_args"] else frozenset(),
        )
    for alias, target in data["layer_aliases"].items():
        info = layers[target]
        layers[alias] = LayerInfo(
            name=alias,
            canonical=info.canonical,
            module=info.module,
            args=info.args,
            accepts_kwargs=info.accepts_kwargs,
            merge=info.merge,
            base_args=info.base_args,
        )
    classes = {k: _args_from_json(v) for k, v in data["optimizer_classes"].items()}
    object_classes = {k: _args_from_json(v) for k, v in data["object_classes"].items()}
    return Catalogue(
        keras_version=data["keras_version"],
        layers=MappingProxyType(dict(sorted(layers.items()))),
        activations=frozenset(data["activations"]),
        losses=frozenset(data["losses"]),
        metrics=frozenset(data["metrics"]),
        optimizers=frozenset(data["optimizers"]),
        initializers=frozenset(data["initializers"]),
        regularizers=frozenset(data["regularizers"]),
        constraints=frozenset(data["constraints"]),
        base_layer_args=base,
        deprecated_layer_args=frozenset(data["deprecated_layer_args"]),
        optimizer_args=MappingProxyType(
            {name: classes[cls] for name, cls in data["optimizers"].items()}
        ),
        object_args=MappingProxyType(
            {
                kind: MappingProxyType(
                    {name: object_classes[cls] for name, cls in data["object_names"][kind].items()}
                )
                for kind in OBJECT_KINDS
            }
        ),
    )


@functools.cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read the checked-in catalogue (once per process) without importing Keras."""
    with open(path or CATALOGUE_PATH, encoding="utf-8") as handle:
        return catalogue_from_dict(json.load(handle))


def suggest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt ``name`` ("did you mean"), ignoring case; else None."""
    by_lower: dict[str, str] = {}
    for candidate in sorted(set(candidates)):
        by_lower.setdefault(candidate.lower(), candidate)
    if name in by_lower.values():
        return name
    lowered = name.lower()
    if lowered in by_lower:
        return by_lower[lowered]
    matches = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


# --------------------------------------------------------------------------------------------
# Generator: imports Keras, only inside these functions.
# --------------------------------------------------------------------------------------------

_VAR_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_NOT_NAMES = frozenset({"get", "serialize", "deserialize"})
"""Public helpers of the name modules (``keras.losses.get``) that are not themselves names."""
_DEPRECATED_CANDIDATES = (
    "input_shape",
    "input_dim",
    "batch_input_shape",
    "batch_size",
    "input_length",
    "weights",
)
"""Keras 2 layer keywords; the generator records those the installed base `Layer` still takes."""


def _json_value(value: object) -> tuple[bool, object]:
    """Return (True, JSON form) when ``value`` is JSON-representable (tuples become lists)."""
    if value is None or isinstance(value, bool | int | str):
        return True, value
    if isinstance(value, float):
        return (math.isfinite(value), value)
    if isinstance(value, list | tuple):
        items = [_json_value(v) for v in value]
        if all(ok for ok, _ in items):
            return True, [v for _, v in items]
        return False, None
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        pairs = {k: _json_value(v) for k, v in value.items()}
        if all(ok for ok, _ in pairs.values()):
            return True, {k: v for k, (_, v) in pairs.items()}
    return False, None


def _arg_entry(param: inspect.Parameter, inherited_from: str | None) -> dict[str, Any]:
    """Describe one signature parameter as a JSON object."""
    entry: dict[str, Any] = {"name": param.name}
    if param.default is inspect.Parameter.empty:
        entry["required"] = True
    else:
        entry["required"] = False
        ok, value = _json_value(param.default)
        if ok:
            entry["default"] = value
        else:
            entry["default_repr"] = _ADDRESS.sub("", repr(param.default))
    if inherited_from is not None:
        entry["inherited_from"] = inherited_from
    return entry


def _init_owner(cls: type, after: type | None = None) -> type:
    """The class in ``cls``'s MRO (past ``after``) whose ``__init__`` runs first."""
    mro = cls.__mro__
    start = mro.index(after) + 1 if after is not None else 0
    return next(k for k in mro[start:] if "__init__" in vars(k))


def _parent_call(owner: type) -> tuple[list[str], int, bool] | None:
    """Keywords and positional count ``owner.__init__`` passes to its parent, and if it forwards
    ``**kwargs``; None when the source cannot be read or no parent ``__init__`` call is found."""
    import ast
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(owner.__init__))  # type: ignore[misc]
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "__init__":
            continue
        target = node.func.value
        is_super = isinstance(target, ast.Call) and getattr(target.func, "id", None) == "super"
        explicit = isinstance(target, ast.Name) and target.id != "self"
        if not (is_super or explicit):
            continue
        keywords = [k.arg for k in node.keywords if k.arg is not None]
        forwards = any(k.arg is None for k in node.keywords)
        positional = len(node.args) - (1 if explicit else 0)
        if is_super or forwards:
            return keywords, positional, forwards
    return None


def _constructor_args(cls: type, stop: type) -> tuple[list[dict[str, Any]], bool, bool]:
    """Arguments ``cls(...)`` takes, following **kwargs up to (not into) ``stop``.

    Returns the argument entries in signature order (inherited ones after own ones), whether
    the class's own ``__init__`` has **kwargs, and whether **kwargs reach ``stop.__init__``.
    """
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    owner = _init_owner(cls)
    own_kwargs: bool | None = None
    inherited_from: str | None = None
    bound: set[str] = set()
    while True:
        if owner is stop:
            return entries, bool(own_kwargs), True
        params = [
            p
            for p in inspect.signature(owner.__init__).parameters.values()  # type: ignore[misc]
            if p.name != "self"
        ]
        has_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        if own_kwargs is None:
            own_kwargs = has_kwargs
        named = [p for p in params if p.kind not in _VAR_KINDS]
        for p in named:
            if p.name not in seen and p.name not in bound:
                seen.add(p.name)
                entries.append(_arg_entry(p, inherited_from))
        if not has_kwargs or stop not in cls.__mro__:
            return entries, own_kwargs, False
        call = _parent_call(owner)
        if call is None or not call[2]:
            return entries, own_kwargs, False
        keywords, positional, _ = call
        parent = _init_owner(cls, after=owner)
        if parent is not stop:
            parent_params = [
                p
                for p in inspect.signature(parent.__init__).parameters.values()  # type: ignore[misc]
                if p.name != "self" and p.kind not in _VAR_KINDS
            ]
            bound |= {p.name for p in parent_params[:positional]}
        bound |= set(keywords)
        owner = parent
        inherited_from = parent.__name__


def _layers(keras: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Every public `keras.layers` class: entries keyed by class name, and alias→that name."""
    layer_base = keras.layers.Layer
    by_class: dict[type, list[str]] = {}
    for public in sorted(dir(keras.layers)):
        if public.startswith("_"):
            continue
        obj = getattr(keras.layers, public)
        if inspect.isclass(obj) and issubclass(obj, layer_base):
            by_class.setdefault(obj, []).append(public)
    layers: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for cls, names in by_class.items():
        key = cls.__name__ if cls.__name__ in names else names[0]
        args, accepts_kwargs, base_args = _constructor_args(cls, layer_base)
        layers[key] = {
            "canonical": key,
            "module": cls.__module__,
            "args": args,
            "accepts_kwargs": accepts_kwargs,
            "base_args": base_args,
            # Keras exports no Merge base class; every merge layer derives from one so named.
            "merge": any(k.__name__ == "Merge" for k in cls.__mro__),
        }
        for name in names:
            if name != key:
                aliases[name] = key
    return layers, aliases


def _deprecated_layer_args(keras: Any) -> list[str]:
    """Keras 2 keywords the installed base `Layer` still accepts (with a warning)."""
    accepted = []
    for name in _DEPRECATED_CANDIDATES:
        value: object = (2,) if name.endswith("shape") else 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                keras.layers.Layer(**{name: value})
            except (TypeError, ValueError):
                continue
        accepted.append(name)
    return accepted


def _names(
    module: Any,
    extra: Iterable[str] = (),
    exclude: Iterable[type] = (),
) -> dict[str, Any]:
    """Names the ``module.get`` function resolves, mapped to what they resolve to.

    Candidates are the module's public names plus its lookup table's keys (lower-case aliases
    such as ``mse``); a name counts when ``get`` returns something, or fails only on a missing
    optional dependency (ImportError), and does not resolve to an abstract base in ``exclude``.
    """
    import importlib

    try:  # Keras's private lookup table holds the aliases (``mse``) no public name shows
        private = importlib.import_module(module.__name__.replace("keras.", "keras.src.", 1))
        table: Mapping[str, Any] = getattr(private, "ALL_OBJECTS_DICT", {})
    except ImportError:
        table = {}
    candidates = {n for n in dir(module) if not n.startswith("_")} | set(table) | set(extra)
    bases = tuple(exclude)
    found: dict[str, Any] = {}
    for name in sorted(candidates - _NOT_NAMES):
        obj = getattr(module, name, None)
        if inspect.ismodule(obj):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                resolved = module.get(name)
            except ImportError:
                resolved = table.get(name, obj)
            except Exception:  # any failure means `get` does not take the name
                continue
        if resolved is None:
            continue
        kind = resolved if inspect.isclass(resolved) else type(resolved)
        if bases and kind in bases:
            continue
        found[name] = resolved
    return found


def generate() -> dict[str, Any]:
    """Build the catalogue document from the installed Keras (imports it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    layers, aliases = _layers(keras)
    base = [
        _arg_entry(p, None)
        for p in inspect.signature(keras.layers.Layer.__init__).parameters.values()
        if p.name != "self" and p.kind not in _VAR_KINDS
    ]
    optimizers = _names(keras.optimizers, exclude=[keras.optimizers.Optimizer])
    optimizer_classes: dict[str, Any] = {}
    optimizer_names: dict[str, str] = {}
    for name, obj in optimizers.items():
        cls = type(obj)
        optimizer_classes[cls.__name__] = _constructor_args(cls, object)[0]
        optimizer_names[name] = cls.__name__
    metrics = set(_names(keras.metrics, exclude=[keras.metrics.Metric]))
    bases = {
        "initializers": (keras.initializers, keras.initializers.Initializer),
        "regularizers": (keras.regularizers, keras.regularizers.Regularizer),
        "constraints": (keras.constraints, keras.constraints.Constraint),
    }
    objects = {kind: _names(module, exclude=[root]) for kind, (module, root) in bases.items()}
    object_classes: dict[str, Any] = {}
    object_names: dict[str, dict[str, str]] = {}
    for kind, found in objects.items():
        object_names[kind] = {}
        module, root = bases[kind]
        # Classes `get` cannot make without arguments (Constant needs a value) count too.
        for name in dir(module):
            cls = getattr(module, name)
            if inspect.isclass(cls) and issubclass(cls, root) and cls is not root:
                object_classes[cls.__name__] = _constructor_args(cls, object)[0]
                object_names[kind][name] = cls.__name__
        for name, obj in found.items():
            cls = obj if inspect.isclass(obj) else type(obj)
            if not inspect.isclass(cls) or inspect.isfunction(obj):
                continue
            object_classes[cls.__name__] = _constructor_args(cls, object)[0]
            object_names[kind][name] = cls.__name__
    return {
        "format": FORMAT_VERSION,
        "generator": "python -m graphspec.catalogue",
        "keras_version": keras.__version__,
        "layers": layers,
        "layer_aliases": aliases,
        "base_layer_args": base,
        "deprecated_layer_args": _deprecated_layer_args(keras),
        "activations": sorted(_names(keras.activations)),
        "losses": sorted(_names(keras.losses, exclude=[keras.losses.Loss])),
        "metrics": sorted(metrics | COMPILE_METRIC_NAMES),
        "optimizers": optimizer_names,
        "optimizer_classes": optimizer_classes,
        "initializers": sorted(objects["initializers"]),
        "regularizers": sorted(objects["regularizers"]),
        "constraints": sorted(objects["constraints"]),
        "object_names": object_names,
        "object_classes": object_classes,
    }


def render(document: Mapping[str, Any]) -> str:
    """Serialise a catalogue document deterministically (sorted keys, one-space indent)."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """A short human summary of how two catalogue documents differ."""
    lines: list[str] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            added = sorted(b.keys() - a.keys())
            removed = sorted(a.keys() - b.keys())
            changed = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
        elif isinstance(a, list) and isinstance(b, list):
            sa = {x if isinstance(x, str) else json.dumps(x, sort_keys=True) for x in a}
            sb = {x if isinstance(x, str) else json.dumps(x, sort_keys=True) for x in b}
            added, removed, changed = sorted(sb - sa), sorted(sa - sb), []
        else:
            lines.append(f"{key}: {a!r} -> {b!r}")
            continue
        parts = [
            f"{label} {', '.join(items[:8])}{' …' if len(items) > 8 else ''}"
            for label, items in (("+", added), ("-", removed), ("~", changed))
            if items
        ]
        lines.append(f"{key}: {'; '.join(parts) or 'order changed'}")
    return lines


def check_current(path: Path = CATALOGUE_PATH) -> list[str]:
    """Differences between the file at ``path`` and the installed Keras; empty when current."""
    fresh = generate()
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: cannot read ({exc})"]
    if render(old) == render(fresh):
        return []
    return diff_documents(old, fresh) or ["formatting differs"]


def main(argv: Sequence[str] | None = None, out: Callable[[str], object] = print) -> int:
    """Command line: write the catalogue, or with ``--check`` report whether it is current."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m graphspec.catalogue",
        description="Generate graphspec's catalogue of Keras layers and names from the "
        "installed Keras.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 with a summary if the file differs from what the installed Keras gives",
    )
    parser.add_argument("-o", "--output", type=Path, default=CATALOGUE_PATH, help="JSON path")
    args = parser.parse_args(argv)
    path: Path = args.output
    if args.check:
        problems = check_current(path)
        if problems:
            out(f"{path} is out of date with the installed Keras:")
            for line in problems:
                out(f"  {line}")
            out("regenerate it with: python -m graphspec.catalogue")
            return 1
        out(f"{path} is current")
        return 0
    document = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(document), encoding="utf-8")
    tmp.replace(path)
    out(
        f"wrote {path}: keras {document['keras_version']}, {len(document['layers'])} layers "
        f"+ {len(document['layer_aliases'])} aliases"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
