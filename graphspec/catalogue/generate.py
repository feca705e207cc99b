"""The catalogue generator: rebuilds ``data/keras_catalogue.json`` from the installed Keras.

``python -m graphspec.catalogue [--check] [-o PATH]``. Keras is imported inside these
functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graphspec.catalogue.reader import CATALOGUE_PATH, COMPILE_METRIC_NAMES, FORMAT_VERSION

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


_UNDOCUMENTED = {
    "quantization_config": "Optional quantization config (`keras.quantizers.QuantizationConfig`) "
    "the layer uses when it is quantized.",
    "bounding_box_format": "String, the format of the bounding boxes the layer also transforms "
    '(such as `"xyxy"`); None when it gets no bounding boxes.',
}
"""graphspec's own words for arguments many layers take and no Keras docstring documents."""


def _describe_layers(keras: Any, layers: dict[str, Any], base: list[dict[str, Any]]) -> None:
    """Add one-line descriptions from Keras' docstrings to each layer, its arguments and the
    base `Layer` arguments (`graphspec.catalogue.docstrings` reads the text).

    An argument takes its entry in the class's docstring, else in a base class's along the
    MRO. One no class there documents (`data_format` of most image augmentation layers)
    takes the description most layers documenting that name agree on, when at least
    `docstrings.QUORUM` of them do. A base `Layer` argument `Layer`'s docstring lacks takes
    the same agreed description, else the entry of `Layer.add_weight` (`autocast`). Last,
    `_UNDOCUMENTED` holds graphspec's own words for the few that remain common.
    """
    from graphspec.catalogue import docstrings

    root = keras.layers.Layer
    said: dict[str, list[str]] = {}
    """Per argument name, the description of every layer documenting it."""
    for key, entry in layers.items():
        cls = getattr(keras.layers, key)
        summary = docstrings.class_summary(cls)
        if summary is not None:
            entry["description"] = summary
        docstrings.describe_arguments(entry["args"], docstrings.class_argument_docs(cls, root))
        for arg in entry["args"]:
            if "description" in arg:
                said.setdefault(arg["name"], []).append(arg["description"])
    agreed = {name: docstrings.consensus(texts) for name, texts in sorted(said.items())}
    agreed.update({k: v for k, v in _UNDOCUMENTED.items() if agreed.get(k) is None})
    for entry in layers.values():
        for arg in entry["args"]:
            if "description" not in arg and agreed.get(arg["name"]) is not None:
                arg["description"] = agreed[arg["name"]]
    own = docstrings.class_argument_docs(root, root)
    weights = docstrings.docstring_arguments(root.add_weight.__doc__)
    for arg in base:
        name = arg["name"]
        text = (
            docstrings.summarise(own.get(name))
            or agreed.get(name)
            or docstrings.summarise(weights.get(name))
        )
        if text is not None:
            arg["description"] = text


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


def _training_classes(
    module: Any, root: type, exclude: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The loss (or metric) classes of ``module`` with their constructor arguments, and every
    name ``module.get`` resolves mapped to its class: a class name to itself, a function name
    (``mse``) to the class that wraps that function (``MeanSquaredError``), where Keras has one.
    Names in ``exclude`` (``accuracy``, which compile resolves by the output's shape) map to
    none."""
    classes: dict[str, Any] = {}
    wrapped: dict[Any, str] = {}
    for name in dir(module):
        cls = getattr(module, name)
        if not (inspect.isclass(cls) and issubclass(cls, root) and cls is not root):
            continue
        if cls.__name__ != name or inspect.isabstract(cls):
            continue
        arguments = _constructor_args(cls, object)[0]
        if any(a["name"] == "fn" and a["required"] for a in arguments):
            continue  # MeanMetricWrapper: a spec cannot give it a function
        classes[name] = arguments
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                instance = cls()
            except Exception:  # a class that needs arguments wraps no function we can see
                continue
        function = getattr(instance, "fn", None) or getattr(instance, "_fn", None)
        if function is not None:
            wrapped.setdefault(function, name)
    names: dict[str, str] = {}
    for name, obj in _names(module, exclude=[root]).items():
        if name in exclude:
            continue
        if inspect.isfunction(obj):
            target = wrapped.get(obj)
        else:
            target = (obj if inspect.isclass(obj) else type(obj)).__name__
        if target in classes:
            names[name] = target
    return classes, names


def _training_objects(keras: Any) -> dict[str, Any]:
    """The catalogue's loss and metric classes (constructor arguments) and which class each
    loss and metric name stands for: what ``{name: ClassName, argument: value}`` is checked
    against."""
    loss_classes, loss_names = _training_classes(keras.losses, keras.losses.Loss)
    metric_classes, metric_names = _training_classes(
        keras.metrics, keras.metrics.Metric, COMPILE_METRIC_NAMES
    )
    return {
        "loss_classes": loss_classes,
        "loss_names": loss_names,
        "metric_classes": metric_classes,
        "metric_names": metric_names,
    }


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
    _describe_layers(keras, layers, base)
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
        **_training_objects(keras),
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
    from graphspec.atomic import write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, render(document))  # atomic, with the replaced file's mode (graphspec.atomic)
    out(
        f"wrote {path}: keras {document['keras_version']}, {len(document['layers'])} layers "
        f"+ {len(document['layer_aliases'])} aliases"
    )
    return 0
