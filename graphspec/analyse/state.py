"""What the analysis passes share: the spec, the options and what is resolved so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphspec.analyse.plan import BlockInstance, NodeStatic, ScopePlan
from graphspec.diagnostics import Diagnostic
from graphspec.settings import Options
from graphspec.shape import Shape
from graphspec.spec.forms import Node
from graphspec.spec.model import Spec


@dataclass
class Scopes:
    """What the reference pass resolves: every scope's graph and live set, and the heads."""

    top: ScopePlan
    blocks: Mapping[str, ScopePlan]
    pruned_shared: frozenset[str]
    pruned_blocks: frozenset[str]
    head_layers: Mapping[str, str]


@dataclass
class Instances:
    """Every block instance with its parameters substituted (see `BlockInstance`)."""

    instances: Mapping[str, BlockInstance]
    top_calls: Mapping[str, tuple[str, ...]]
    shared_instances: Mapping[str, str]
    top_nodes: Mapping[str, Node]
    """The top level's live nodes with their arithmetic computed."""


@dataclass
class Shapes:
    static: Mapping[str, NodeStatic]
    head_shapes: Mapping[str, Shape | None]


@dataclass
class Analysis:
    """The state the passes share: the spec, the user's options and what is resolved so far."""

    spec: Spec
    options: Options
    scopes: Scopes | None = None
    instances: Instances | None = None
    shapes: Shapes | None = None
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Vocabulary files read (`graphspec.analyse.vocabularies`): the path as written → its
    tokens."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
