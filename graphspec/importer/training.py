"""Import, training settings: a compiled model's ``compile_config`` → each head's ``loss``,
``loss_weight`` and ``metrics`` and the spec's ``compile: {optimizer: ...}``.

A ``.keras`` file keeps how its model was compiled beside the model config (``compile_config``:
the optimizer serialised with its whole config, the losses, loss weights and metrics as
strings or serialised objects, per output as a list or keyed by output name). The spec writes
what `graphspec.train.compile` gives back: the optimizer by name with the arguments that differ
from Keras' defaults (the catalogue's), losses and metrics by name, or a Keras loss or metric
object as ``{name: ClassName, ...}`` with the arguments that differ from its class's defaults
(``{name: SparseCategoricalCrossentropy, from_logits: true}``). A setting the language cannot
write (a custom or renamed loss or metric, an argument that is an object, a learning-rate
schedule, ``weighted_metrics``, a head without a loss) is a GS705 error, never dropped in
silence;
execution settings that change no result (``run_eagerly``, ``steps_per_execution``) become
notes. Nothing here imports Keras.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphspec.catalogue.reader import COMPILE_METRIC_NAMES, ArgInfo, Catalogue
from graphspec.diagnostics import SpecPath, codes
from graphspec.importer.keras_config import ImportProblem, problem, short
from graphspec.importer.repeats import snake_case
from graphspec.spec.model import Loss, Metric, plain_value

__all__ = ["Training", "read_training"]

_METRIC_DTYPES = (None, "float32")
"""A metric's config holds its variables' dtype: float32 is what no `dtype` argument gives."""


@dataclass(frozen=True)
class HeadTraining:
    """One head's training settings."""

    loss: Loss | None = None
    loss_weight: float | None = None
    metrics: tuple[Metric, ...] = ()


@dataclass(frozen=True)
class Training:
    """What a compiled model's ``compile_config`` gives the spec."""

    optimizer: dict[str, Any] | None = None
    """``{name, **args}`` for the spec's ``compile: {optimizer: ...}``; None when uncompiled."""
    heads: Mapping[str, HeadTraining] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def read_training(
    data: Mapping[str, Any], outputs: Sequence[tuple[str, str]], file: str, catalogue: Catalogue
) -> Training:
    """The training settings of a model document; ``outputs`` pairs each model output's Keras
    name with its head, in order. An uncompiled model (no ``compile_config``) gives none."""
    config = data.get("compile_config")
    if config is None or config == {}:  # saved uncompiled: null; get_compile_config(): {}
        return Training()
    return _Reader(outputs, file, catalogue).read(config)


def _float32_text(value: float) -> float:
    """The shortest float that is ``value`` as a float32, when ``value`` is one (Keras keeps
    the learning rate in a float32 variable: 1e-3 comes back as 0.0010000000474974513)."""
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except (OverflowError, struct.error):
        return value
    if single != value:
        return value
    for digits in range(1, 18):
        shorter = float(f"{value:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shorter))[0] == single:
            return shorter
    return value


class _Reader:
    def __init__(self, outputs: Sequence[tuple[str, str]], file: str, catalogue: Catalogue):
        self.outputs = list(outputs)
        self.heads = [head for _, head in outputs]
        self.file = file
        self.catalogue = catalogue

    def fail(self, message: str, path: SpecPath = ("compile_config",)) -> ImportProblem:
        return problem(
            self.file,
            codes.INEXPRESSIBLE_TRAINING,
            message,
            path,
            "a spec names each head's loss and metrics and the optimizer with plain arguments",
        )

    def malformed(self, message: str) -> ImportProblem:
        return problem(self.file, codes.UNREADABLE_MODEL, message, ("compile_config",))

    def read(self, config: Any) -> Training:
        if not isinstance(config, Mapping):
            raise self.malformed("compile_config is not a mapping")
        notes: list[str] = []
        if config.get("weighted_metrics"):
            raise self.fail(
                f"weighted_metrics {short(config['weighted_metrics'])} cannot be written",
                ("compile_config", "weighted_metrics"),
            )
        if config.get("run_eagerly"):
            notes.append("compile: run_eagerly=True is not written (a spec has no such setting)")
        steps = config.get("steps_per_execution", 1)
        if steps not in (None, 1):
            notes.append(f"compile: steps_per_execution={short(steps)} is not written")
        losses = self.per_head(config.get("loss"), "loss", single_applies_to_all=True)
        weights = self.per_head(config.get("loss_weights"), "loss_weights", True)
        metrics = self.per_head(config.get("metrics"), "metrics", False, lists=True)
        heads: dict[str, HeadTraining] = {}
        for head in self.heads:
            loss = losses.get(head)
            if loss is None:
                raise self.fail(
                    f"head '{head}' has no loss, but the model is compiled; a compiled spec "
                    "gives every head a loss",
                    ("compile_config", "loss"),
                )
            heads[head] = HeadTraining(
                self.loss(loss, head),
                self.weight(weights.get(head), head),
                tuple(self.metric(m, head) for m in self.metric_list(metrics.get(head), head)),
            )
        return Training(self.optimizer(config.get("optimizer")), heads, tuple(notes))

    # ---- per head -----------------------------------------------------------------------

    def per_head(
        self, value: Any, key: str, single_applies_to_all: bool, lists: bool = False
    ) -> dict[str, Any]:
        """A compile argument keyed by head: given as a dict by output name, a list in output
        order, or (losses, weights) one value for every output."""
        if value is None:
            return {}
        names = {output: head for output, head in self.outputs}
        if isinstance(value, Mapping) and not _is_object(value):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise self.malformed(f"compile_config {key} names no output: {short(unknown)}")
            return {names[k]: v for k, v in value.items() if v is not None}
        if isinstance(value, list):
            if len(self.heads) == 1 and (not lists or not any(isinstance(v, list) for v in value)):
                return {self.heads[0]: value if lists else _single(value, self.malformed, key)}
            if len(value) != len(self.heads):
                raise self.malformed(
                    f"compile_config {key} has {len(value)} entries for {len(self.heads)} outputs"
                )
            return {h: v for h, v in zip(self.heads, value, strict=True) if v is not None}
        if single_applies_to_all or len(self.heads) == 1:
            return dict.fromkeys(self.heads, value)
        raise self.malformed(f"compile_config {key} is {short(value)}")

    def loss(self, value: Any, head: str) -> Loss:
        path: SpecPath = ("compile_config", "loss", head)
        if isinstance(value, str):
            if value not in self.catalogue.losses:
                raise self.fail(f"the loss '{value}' of head '{head}' is not a Keras loss", path)
            return Loss(name=value)
        name, args = self.named_object(value, "loss", head, self.catalogue.loss_args, path)
        return Loss(name=name, **args)

    def metric(self, value: Any, head: str) -> Metric:
        path: SpecPath = ("compile_config", "metrics", head)
        if isinstance(value, str):
            if value not in self.catalogue.metrics and value not in COMPILE_METRIC_NAMES:
                raise self.fail(
                    f"the metric '{value}' of head '{head}' is not a Keras metric", path
                )
            return Metric(name=value)
        name, args = self.named_object(value, "metric", head, self.catalogue.metric_args, path)
        return Metric(name=name, **args)

    def metric_list(self, value: Any, head: str) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        return [value]

    def named_object(
        self,
        value: Any,
        what: str,
        head: str,
        classes: Mapping[str, Mapping[str, ArgInfo]],
        path: SpecPath,
    ) -> tuple[str, dict[str, Any]]:
        """A serialised Keras loss or metric object: its class name and the arguments that
        differ from the class's defaults (the catalogue's); GS705 for a custom class, a name
        of its own, or a setting the class does not take or a spec cannot write."""
        if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
            raise self.fail(f"the {what} of head '{head}' is {short(value)}", path)
        cls = value["class_name"]
        module = str(value.get("module") or "")
        if cls == "function":
            raise self.fail(
                f"the {what} of head '{head}' is the custom function {short(value.get('config'))}"
                f"; import writes Keras {what}es, and a spec allows custom ones only outside it",
                path,
            )
        if value.get("registered_name") or not module.startswith("keras") or cls not in classes:
            raise self.fail(
                f"the {what} of head '{head}' is {module}.{cls}, which a spec cannot name", path
            )
        config = value.get("config") or {}
        if not isinstance(config, Mapping):
            raise self.fail(f"the {what} of head '{head}' is {short(value)}", path)
        accepted = classes[cls]
        args: dict[str, Any] = {}
        for key, item in config.items():
            if self.at_default(key, item, cls, accepted):
                continue
            if key == "name":
                raise self.fail(
                    f"the {what} of head '{head}' is {cls} named '{item}'; a spec writes a "
                    f"{what} without a name of its own",
                    path,
                )
            if key not in accepted or not plain_value(item):
                raise self.fail(
                    f"the {what} of head '{head}' is {cls}({key}={short(item)}), a setting a "
                    "spec cannot write",
                    path,
                )
            args[key] = item
        return str(cls), args

    def at_default(self, key: str, item: Any, cls: str, accepted: Mapping[str, ArgInfo]) -> bool:
        """Whether a config entry is what the class gives without the argument."""
        if key == "name" and item == snake_case(cls):  # Keras' default object name
            return True
        if key == "dtype" and item in _METRIC_DTYPES:
            return True
        info = accepted.get(key)
        return info is not None and info.default_repr is None and item == info.default

    def weight(self, value: Any, head: str) -> float | None:
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise self.malformed(f"the loss weight of head '{head}' is {short(value)}")
        return float(value)

    # ---- the optimizer ------------------------------------------------------------------

    def optimizer(self, value: Any) -> dict[str, Any] | None:
        path: SpecPath = ("compile_config", "optimizer")
        if value is None:
            raise self.fail("the model is compiled without an optimizer", path)
        config: Mapping[str, Any]
        if isinstance(value, str):
            cls, config = value, {}
            if cls not in self.catalogue.optimizer_args:
                raise self.fail(f"the optimizer '{value}' is not a Keras optimizer", path)
        elif isinstance(value, Mapping) and isinstance(value.get("class_name"), str):
            cls = value["class_name"]
            module = str(value.get("module") or "")
            config = value.get("config") or {}
            if (
                value.get("registered_name")
                or not module.startswith("keras")
                or cls not in self.catalogue.optimizer_args
                or not isinstance(config, Mapping)
            ):
                raise self.fail(f"the optimizer {module}.{cls} is not one a spec can name", path)
        else:
            raise self.malformed(f"the optimizer is {short(value)}")
        accepted = self.catalogue.optimizer_args[cls]
        args: dict[str, Any] = {}
        for key, item in config.items():
            if key == "name":
                continue
            info = accepted.get(key)
            if info is None:
                raise self.fail(f"the optimizer {cls} has the setting {key}={short(item)}", path)
            if isinstance(item, Mapping):  # a learning-rate schedule, a serialised object
                raise self.fail(
                    f"the optimizer {cls} has {key}={short(item)}, an object a spec cannot write",
                    (*path, key),
                )
            if isinstance(item, float):
                item = _float32_text(item)
            if info.default_repr is None and item == info.default:
                continue
            args[key] = item
        alias = cls.lower()  # `adam`, as specs write it, when Keras knows that name
        name = alias if alias in self.catalogue.optimizers else cls
        return {"name": name, **args}


def _is_object(value: Mapping[str, Any]) -> bool:
    """A serialised Keras object (`{module, class_name, config, registered_name}`; a
    function's config is its name), not a mapping keyed by output name."""
    return isinstance(value.get("class_name"), str) and "config" in value


def _single(value: list[Any], malformed: Any, key: str) -> Any:
    if len(value) != 1:
        raise malformed(f"compile_config {key} has {len(value)} entries for 1 output")
    return value[0]
