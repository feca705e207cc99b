"""User options, built once: the input caps, `--strict`, the Keras backend to build on, and
the custom layers, losses and metrics allowed outside the spec, from ``[tool.graphspec]`` in
the nearest ``pyproject.toml`` plus the command line.

The options travel *beside* the `Plan`, never inside it (openapi-python-client keeps its
``Config`` apart from ``GeneratorData`` the same way): the Plan says what the spec means, the
options say how strict to be about it and what the user allowed.

``[tool.graphspec]`` is read with `tomllib` and validated once by the pydantic model
`graphspec.project.ProjectSettings`, imported only when the table exists. pydantic-settings'
``PyprojectTomlConfigSettingsSource`` would do the reading too, but it adds ~22 ms to every
cold `graphspec validate` (a third of the import budget) for what a dozen lines do here.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from graphspec.catalogue.custom import CustomLayerError, CustomLayers, CustomObjects

if TYPE_CHECKING:
    from graphspec.project import ProjectSettings

KERAS_BACKENDS = ("tensorflow", "jax", "torch")
"""The Keras 3 backends graphspec builds on, as ``KERAS_BACKEND`` spells them; what each needs
at start-up is its row in `graphspec.runtime.backend.BACKENDS`."""
DEFAULT_BACKEND = "tensorflow"
"""What Keras 3 uses when ``KERAS_BACKEND`` is unset (and no ~/.keras/keras.json says else)."""


@dataclass(frozen=True)
class Limits:
    """Caps that keep hostile input cheap: checked before the expensive stages run."""

    max_bytes: int = field(default=16 * 1024 * 1024, metadata={"help": "largest spec file read"})
    """Room for 100,000 nodes at ~168 bytes each (a Dense node is 67 in flow YAML, 116 in
    indented JSON); the costliest 16 MiB file (a list of 8M numbers) loads in ~30 s, ~2 GiB."""
    max_depth: int = field(default=64, metadata={"help": "deepest nesting of mappings and lists"})
    max_nodes: int = field(
        default=100_000,
        metadata={"help": "most nodes in a spec, block instances and repeats included"},
    )
    """A 100,000-layer chain validates (~10 s); block repeats are counted before expansion."""
    max_params: int = field(
        default=1_000_000_000, metadata={"help": "most parameters in one layer"}
    )
    """Per layer: a parameter count above this is rejected before Keras allocates it."""
    max_vocabulary_bytes: int = field(
        default=16 * 1024 * 1024, metadata={"help": "largest vocabulary file read"}
    )
    """A vocabulary file (`vocabulary: {file: ...}`) is read whole by `validate` and its tokens
    travel in the Plan to the saved model: 16 MiB holds over a million tokens; the costliest
    file (8M one-letter lines) reads in ~1 s into ~0.5 GiB."""
    max_diagnostics: int = 200
    """Diagnostics reported per file; the rest are counted in one GS021 note."""

    @staticmethod
    def flags() -> dict[str, str]:
        """The caps a command line may set (``--max-nodes``...), with their help text."""
        return {f.name: f.metadata["help"] for f in fields(Limits) if "help" in f.metadata}


DEFAULT_LIMITS = Limits()


def read_project_settings(start: Path | None = None) -> CustomLayers:
    """The custom layers of ``[tool.graphspec]`` in the nearest pyproject.toml from ``start``
    (the working directory) upwards; none when no pyproject.toml declares any."""
    return read_project(start)[0]


def read_project(start: Path | None = None) -> tuple[CustomLayers, CustomObjects]:
    """The custom layers and the custom losses and metrics of ``[tool.graphspec]`` in the
    nearest pyproject.toml from ``start`` (the working directory) upwards."""
    found = project_settings(start)
    if found is None:
        return CustomLayers(), CustomObjects()
    settings, candidate = found
    return settings.layers(str(candidate)), settings.objects(str(candidate))


def project_settings(start: Path | None = None) -> tuple[ProjectSettings, Path] | None:
    """``[tool.graphspec]`` of the nearest pyproject.toml from ``start`` (the working
    directory) upwards, validated, and that file; None when the nearest has no such table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        try:
            with open(candidate, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise CustomLayerError(f"{candidate}: cannot read it: {error}") from None
        table = data.get("tool", {}).get("graphspec")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise CustomLayerError(f"{candidate}: [tool.graphspec] must be a table")
        from pydantic import ValidationError

        from graphspec.project import ProjectSettings, settings_error

        try:
            return ProjectSettings.model_validate(table), candidate
        except ValidationError as error:
            raise settings_error(candidate, error) from None
    return None


@dataclass(frozen=True)
class Options:
    """What the user chose for one run: built once, passed beside the Plan to every stage."""

    strict: bool = False
    """Unreachable (pruned) parts are errors, not warnings."""
    limits: Limits = DEFAULT_LIMITS
    custom_layers: CustomLayers = field(default_factory=CustomLayers)
    """Layer classes the user allowed outside the spec (see `graphspec.catalogue.custom`)."""
    backend: str | None = None
    """The Keras backend to build on (``--backend``); None: as ``KERAS_BACKEND`` says, else
    TensorFlow. `graphspec.runtime.backend.choose_backend` makes it keras' before the import;
    analysis warns about what builds differently on it (`graphspec.analyse.backends`)."""
    custom_objects: CustomObjects = field(default_factory=CustomObjects)
    """Losses and metrics (functions or classes) the user allowed outside the spec; `build`
    imports them (see `graphspec.catalogue.custom`)."""

    def __post_init__(self) -> None:
        if self.backend is not None and self.backend not in KERAS_BACKENDS:
            raise ValueError(
                f"unknown backend '{self.backend}': choose one of {', '.join(KERAS_BACKENDS)}"
            )

    @property
    def keras_backend(self) -> str:
        """The backend a build in this process uses: `backend`, else ``KERAS_BACKEND``, else
        TensorFlow (Keras' own order, less ~/.keras/keras.json)."""
        return self.backend or os.environ.get("KERAS_BACKEND") or DEFAULT_BACKEND

    @classmethod
    def from_sources(
        cls,
        strict: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        custom_layers: Iterable[str] = (),
        project: Path | None = None,
        backend: str | None = None,
        custom_objects: Iterable[str] = (),
    ) -> Options:
        """``[tool.graphspec]`` of the nearest pyproject.toml from ``project`` (the working
        directory), then the command line's ``--custom-layer`` and ``--custom-object`` paths
        on top."""
        layers, objects = read_project(project)
        return cls(
            strict,
            limits,
            layers.merged(CustomLayers.from_paths(custom_layers, "--custom-layer")),
            backend,
            objects.merged(CustomObjects.from_paths(custom_objects, "--custom-object")),
        )


DEFAULT_OPTIONS = Options()
