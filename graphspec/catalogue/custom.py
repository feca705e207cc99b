"""Custom layers: classes a user allows *outside* the spec, by import path.

A spec alone never names Python code. A user who needs a layer class of their own lists it in
``pyproject.toml`` or on the command line::

    [tool.graphspec]
    custom-layers = ["mypkg.layers.Scale"]          # specs may then write `layer: Scale`

    [tool.graphspec.custom-layers.LayerScale]       # or with a static rule for validate
    class = "keras.src.applications.convnext.LayerScale"
    shape = "same"                                  # output shape = input shape
    trainable = "projection_dim"                    # parameters: arithmetic on int arguments

    graphspec validate --custom-layer mypkg.layers.Scale spec.yaml

Only ``build`` imports the class (and only a listed one); ``validate`` checks a custom layer's
arguments are plain values and uses its declared rule, if any, for shapes and parameters.

Custom losses and metrics (functions, or `keras.losses.Loss` / `keras.metrics.Metric`
classes) are allowed the same way, and a spec names them by the path's last component::

    [tool.graphspec]
    custom-objects = ["mypkg.losses.contrastive_loss"]   # specs may write `loss: contrastive_loss`

    graphspec build --custom-object mypkg.losses.contrastive_loss spec.yaml
"""

from __future__ import annotations

import ast
import importlib
import operator
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from pydantic import ValidationError

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
}


class CustomLayerError(ValueError):
    """The custom-layer settings are wrong (a usage error, not a spec error)."""


@dataclass(frozen=True)
class CustomLayer:
    """One allowed class: the name specs use, its import path and an optional static rule."""

    name: str
    path: str
    shape: str | None = None
    trainable: str | None = None
    non_trainable: str | None = None

    @property
    def module(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def class_name(self) -> str:
        return self.path.rpartition(".")[2]

    @classmethod
    def declared(
        cls,
        name: str,
        path: str,
        where: str,
        shape: str | None = None,
        trainable: str | int | None = None,
        non_trainable: str | int | None = None,
    ) -> CustomLayer:
        """A layer declared in settings: its import path and formulas checked."""
        formulas = {"trainable": trainable, "non-trainable": non_trainable}
        for key, formula in formulas.items():
            if formula is not None:
                _check_formula(str(formula), f"{where}.{key}")
        return cls(
            name,
            _checked_path(path, where),
            shape,
            None if trainable is None else str(trainable),
            None if non_trainable is None else str(non_trainable),
        )

    def params(self, args: Mapping[str, Any]) -> tuple[int, int]:
        """(trainable, non-trainable) parameters from the declared formulas."""
        return (_evaluate(self.trainable, args), _evaluate(self.non_trainable, args))


@dataclass(frozen=True)
class CustomLayers:
    """The allowed custom layers, by the name specs use."""

    layers: Mapping[str, CustomLayer] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""
    """Where they were declared (for messages)."""

    def __bool__(self) -> bool:
        return bool(self.layers)

    def get(self, name: str) -> CustomLayer | None:
        return self.layers.get(name)

    def match(
        self, module: str, class_name: str, registered: str | None = None
    ) -> CustomLayer | None:
        """The allowed layer a Keras config entry (module, class) refers to."""
        for layer in self.layers.values():
            if layer.class_name == class_name and (
                layer.module == module or registered in (layer.path, layer.name)
            ):
                return layer
        return None

    def merged(self, other: CustomLayers) -> CustomLayers:
        return CustomLayers(
            MappingProxyType({**self.layers, **other.layers}),
            ", ".join(s for s in (self.source, other.source) if s),
        )

    @classmethod
    def from_paths(cls, paths: Iterable[str], source: str = "--custom-layer") -> CustomLayers:
        layers = [
            CustomLayer(_class_name(path, source), _checked_path(path, source)) for path in paths
        ]
        return cls.of(layers, source)

    @classmethod
    def of(cls, layers: Iterable[CustomLayer], source: str) -> CustomLayers:
        found = {layer.name: layer for layer in layers}
        return cls(MappingProxyType(found), source if found else "")

    @classmethod
    def from_settings(cls, table: Any, source: str) -> CustomLayers:
        """From the value of ``custom-layers`` in ``[tool.graphspec]`` (validated by
        `graphspec.settings.ProjectSettings`)."""
        from graphspec.project import ProjectSettings, settings_error

        try:
            settings = ProjectSettings.model_validate({"custom-layers": table})
        except ValidationError as error:
            raise settings_error(source, error) from None
        return settings.layers(source)


def _class_name(path: str, source: str) -> str:
    return _checked_path(path, source).rpartition(".")[2]


def _checked_path(path: str, source: str, like: str = "package.module.ClassName") -> str:
    if not isinstance(path, str) or not _PATH.match(path):
        raise CustomLayerError(f"{source}: {path!r} is not an import path like '{like}'")
    return path


# --------------------------------------------------------------------------- formulas


def _check_formula(text: str, where: str) -> None:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise CustomLayerError(f"{where}: {text!r} is not a formula") from None
    for node in ast.walk(tree):
        if not isinstance(
            node,
            ast.Expression | ast.BinOp | ast.Name | ast.Constant | ast.Load | ast.operator,
        ) or (isinstance(node, ast.operator) and type(node) not in _OPERATORS):
            raise CustomLayerError(
                f"{where}: {text!r} may use only integer arguments, integers and + - * //"
            )
        if isinstance(node, ast.Constant) and (
            not isinstance(node.value, int) or isinstance(node.value, bool)
        ):
            raise CustomLayerError(f"{where}: {text!r} may use only integer constants")


def _evaluate(text: str | None, args: Mapping[str, Any]) -> int:
    """A declared formula's value for one layer's arguments (ValueError when it cannot)."""
    if text is None:
        return 0
    return _value(ast.parse(text, mode="eval").body, args)


def _value(node: ast.expr, args: Mapping[str, Any]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        value = args.get(node.id)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"argument '{node.id}' is not an integer here")
        return value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_value(node.left, args), _value(node.right, args))
    raise ValueError("not a formula")


# --------------------------------------------------------------------------- losses, metrics


@dataclass(frozen=True)
class CustomObject:
    """One allowed loss or metric: the name specs use (the path's last component) and its
    import path. Only ``build`` imports it (`graphspec.train.compile`)."""

    name: str
    path: str

    @property
    def module(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def attribute(self) -> str:
        return self.path.rpartition(".")[2]


@dataclass(frozen=True)
class CustomObjects:
    """The allowed custom losses and metrics, by the name specs use."""

    objects: Mapping[str, CustomObject] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""
    """Where they were declared (for messages)."""

    def __bool__(self) -> bool:
        return bool(self.objects)

    def get(self, name: str) -> CustomObject | None:
        return self.objects.get(name)

    def merged(self, other: CustomObjects) -> CustomObjects:
        return CustomObjects(
            MappingProxyType({**self.objects, **other.objects}),
            ", ".join(s for s in (self.source, other.source) if s),
        )

    @classmethod
    def from_paths(cls, paths: Iterable[str], source: str = "--custom-object") -> CustomObjects:
        """From import paths (``mypkg.losses.contrastive_loss``); a usage error
        (`CustomLayerError`) names a path that is not one."""
        found = {}
        for path in paths:
            checked = _checked_path(path, source, "package.module.function_or_class")
            found[checked.rpartition(".")[2]] = CustomObject(checked.rpartition(".")[2], checked)
        return cls(MappingProxyType(found), source if found else "")


def project_folder(source: str) -> Path:
    """Where the modules of allowed paths are looked for first: the folder of the
    pyproject.toml that allowed them (``source`` names it), else the current folder, as
    ``python -m`` run there would."""
    for part in source.split(", "):
        if part.endswith("pyproject.toml"):
            return Path(part).resolve().parent
    return Path.cwd()


def import_user_module(module: str, source: str) -> ModuleType:
    """Import the module of an allowed path (only ``build`` and loading call this), with its
    project's folder searched first for the duration of the import: a package that lives in
    the repository beside its pyproject.toml imports without being installed."""
    folder = str(project_folder(source))
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(module)
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)
