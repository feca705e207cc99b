"""``[tool.graphspec]`` in pyproject.toml as a pydantic model: what the table may hold.

Imported by `graphspec.settings` only when a pyproject.toml has the table, so a run without
one pays nothing for these models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graphspec.catalogue.custom import (
    CustomLayer,
    CustomLayerError,
    CustomLayers,
    CustomObjects,
)


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)


class CustomLayerTable(_Table):
    """``[tool.graphspec.custom-layers.NAME]``: an allowed class with a static rule."""

    class_: Annotated[str, Field(alias="class")]
    shape: Literal["same"] | None = None
    trainable: str | int | None = None
    non_trainable: Annotated[str | int | None, Field(alias="non-trainable")] = None


CustomLayerName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class ProjectSettings(_Table):
    """``[tool.graphspec]`` as written in ``pyproject.toml``."""

    custom_layers: Annotated[
        list[str] | dict[CustomLayerName, str | CustomLayerTable],
        Field(alias="custom-layers", default_factory=list),
    ]
    custom_objects: Annotated[list[str], Field(alias="custom-objects", default_factory=list)]
    """Custom losses and metrics: import paths of functions or classes."""
    data_functions: Annotated[list[str], Field(alias="data-functions", default_factory=list)]
    """Data-loading functions ``--data`` may name (`graphspec.train.data_function`)."""

    def objects(self, source: str) -> CustomObjects:
        """The custom losses and metrics these settings allow (import paths checked)."""
        return CustomObjects.from_paths(self.custom_objects, source)

    def layers(self, source: str) -> CustomLayers:
        """The custom layers these settings allow (import paths and formulas checked)."""
        if isinstance(self.custom_layers, list):
            return CustomLayers.from_paths(self.custom_layers, source)
        found: dict[str, CustomLayer] = {}
        for name, entry in self.custom_layers.items():
            where = f"{source}: custom-layers.{name}"
            table = entry if isinstance(entry, CustomLayerTable) else CustomLayerTable(class_=entry)
            found[name] = CustomLayer.declared(
                name, table.class_, where, table.shape, table.trainable, table.non_trainable
            )
        return CustomLayers.of(found.values(), source)


_UNION_TAGS = ("str", "int", "CustomLayerTable")


def settings_error(source: str | Path, error: ValidationError) -> CustomLayerError:
    """The deepest problem pydantic found in ``[tool.graphspec]``, as a usage error: with
    ``custom-layers`` a list or a table, the deepest error is in the branch the user meant."""
    deepest = max(error.errors(), key=lambda item: len(item["loc"]))
    where = ".".join(
        str(part)
        for part in deepest["loc"]
        if not (isinstance(part, str) and ("[" in part or part in _UNION_TAGS))
    )
    return CustomLayerError(f"{source}: [tool.graphspec] {where}: {deepest['msg']}")
