"""The spec's ``compile`` section → ``model.compile``: optimizer, per-head losses, loss weights
and metrics.

Compiling is its own step, after emit, because a model trained under a distribution strategy
must be built *and* compiled inside ``strategy.scope()`` (TensorFlow keeps the scope per
thread): the caller enters the scope, emits, then calls `compile_model` there. `graphspec
build` and `graphspec.build` emit then compile in one go (`graphspec.pipeline.build_report`).

A loss or metric is a Keras name (passed to Keras as the name), a Keras class with arguments
(`{name: SparseCategoricalCrossentropy, from_logits: true}`, made here as
``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``), or a custom object the user
allowed (`graphspec.catalogue.custom`), imported here and only here: a function as itself
(it takes no arguments, as Keras' own functions take none), a class made with the spec's
arguments. Custom objects are not
registered with Keras: Keras saves a function as its bare name and an unregistered class as
its class name, so ``keras.saving.load_model(path, custom_objects={"contrastive_loss":
contrastive_loss})`` (the names the spec writes) loads the file in plain Keras, and
`graphspec.load_model` passes exactly that mapping.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Literal

from graphspec.analyse.plan import Plan
from graphspec.catalogue.custom import CustomObject, CustomObjects, import_user_module
from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes
from graphspec.diagnostics.reporter import Locator
from graphspec.emit.model import keras_rejected
from graphspec.runtime.backend import import_keras
from graphspec.runtime.saving import build_optimizer
from graphspec.settings import DEFAULT_OPTIONS, Options
from graphspec.spec.model import Spec, TrainingObject

Kind = Literal["loss", "metric"]


class CustomObjectError(ImportError):
    """An allowed custom loss or metric cannot be imported, or is no function or Keras class."""


def load_custom_object(entry: CustomObject, keras: Any, source: str = "") -> Any:
    """Import one allowed custom object: a function, or a `keras.losses.Loss` or
    `keras.metrics.Metric` class (`CustomObjectError` otherwise, naming the module)."""
    try:
        module = import_user_module(entry.module, source)
    except Exception as error:  # any failure while importing is the user's module's
        raise CustomObjectError(
            f"cannot import module '{entry.module}' for the custom object '{entry.name}' "
            f"({entry.path}): {type(error).__name__}: {error}"
        ) from None
    value = getattr(module, entry.attribute, None)
    if value is None:
        raise CustomObjectError(
            f"module '{entry.module}' has no '{entry.attribute}' (custom object {entry.path})"
        )
    bases = (keras.losses.Loss, keras.metrics.Metric)
    if inspect.isclass(value) and issubclass(value, bases):
        return value
    if callable(value) and not inspect.isclass(value):  # a function, or a Loss instance
        return value
    raise CustomObjectError(
        f"custom object {entry.path} is {type(value).__name__}, not a function or a Keras "
        "Loss or Metric class"
    )


def custom_objects(objects: CustomObjects, keras: Any) -> dict[str, Any]:
    """The allowed custom objects by the names specs use, imported: what
    `keras.saving.load_model` needs."""
    return {
        name: load_custom_object(entry, keras, objects.source)
        for name, entry in objects.objects.items()
    }


def training_object(
    entry: TrainingObject, kind: Kind, keras: Any, custom: Mapping[str, Any]
) -> Any:
    """What `model.compile` takes for one loss or metric: a Keras name as itself, a Keras class
    with arguments made, a custom function as itself, a custom class made with its arguments
    (`import_custom_objects` has refused arguments on a custom function)."""
    value = custom.get(entry.name)
    if value is None:
        if not entry.args:
            return entry.name
        module = keras.losses if kind == "loss" else keras.metrics
        return getattr(module, entry.name)(**entry.args)
    if inspect.isclass(value):
        return value(**entry.args)
    return value


def _custom_uses(spec: Spec, objects: CustomObjects) -> list[tuple[TrainingObject, SpecPath]]:
    """Every loss and metric of the spec that names an allowed custom object, with its path."""
    uses: list[tuple[TrainingObject, SpecPath]] = []
    for head, entry in spec.outputs.items():
        if entry.loss is not None:
            uses.append((entry.loss, ("outputs", head, "loss")))
        uses += [(m, ("outputs", head, "metrics", i)) for i, m in enumerate(entry.metrics)]
    return [(item, path) for item, path in uses if objects.get(item.name) is not None]


def import_custom_objects(
    spec: Spec, options: Options, keras: Any
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The custom objects the spec uses, imported: a GS313 diagnostic at the first use of each
    one that cannot be, a GS311 at each use of a custom function with arguments (a function
    takes none: Keras saves the function alone, and its wrapper of a metric function with
    arguments does not load again)."""
    found: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    at = Locator(spec.source)
    source = options.custom_objects.source or "--custom-object"
    for item, path in _custom_uses(spec, options.custom_objects):
        entry = options.custom_objects.objects[item.name]
        if item.name not in found:
            try:
                found[item.name] = load_custom_object(entry, keras, options.custom_objects.source)
            except CustomObjectError as error:
                hint = (
                    f"make '{entry.module}' importable (installed, or on PYTHONPATH) and "
                    f"check the path {entry.path} in {source}"
                )
                message = f"import problem: {error}"
                problems.append(
                    Diagnostic(
                        codes.CUSTOM_OBJECT_IMPORT, Severity.ERROR, message, at.at(path), path, hint
                    )
                )
                found[item.name] = None
                continue
        value = found[item.name]
        if value is not None and item.args and not inspect.isclass(value):
            problems.append(
                Diagnostic(
                    codes.TRAINING_ARGUMENTS_ON_FUNCTION,
                    Severity.ERROR,
                    f"the custom object '{item.name}' ({entry.path}) is a function, which "
                    "takes no arguments",
                    at.at(path),
                    path,
                    "give the function's parameters defaults, or write a keras.losses.Loss "
                    "(keras.metrics.Metric) subclass that takes them",
                )
            )
    return {name: value for name, value in found.items() if value is not None}, problems


def head_losses(spec: Spec, keras: Any, custom: Mapping[str, Any]) -> dict[str, Any]:
    """Each head's loss as `model.compile` takes it (heads without one left out)."""
    return {
        head: training_object(entry.loss, "loss", keras, custom)
        for head, entry in spec.outputs.items()
        if entry.loss is not None
    }


def compile_model(
    model: Any, spec: Spec | Plan, options: Options = DEFAULT_OPTIONS
) -> list[Diagnostic]:
    """Compile an emitted model as its spec's ``compile`` section says, in place.

    Losses, loss weights and metrics are keyed by head name (the model's output names). A
    head without ``loss_weight`` weighs 1.0 when another head has one. A custom loss or metric
    that cannot be imported is a GS313 diagnostic at its first use; what Keras rejects (an
    unknown optimizer argument, say) comes back as one GS501 diagnostic at ``compile``; the
    model is then not fit to train. A spec without a ``compile`` section leaves the model
    untouched and gives no diagnostic. The optimizer's variables are made now
    (`build_optimizer`), so that a model saved before training loads without Keras' warning.

    >>> model, problems = emit_model(plan)  # doctest: +SKIP
    >>> problems = problems or compile_model(model, plan, options)  # doctest: +SKIP
    """
    if isinstance(spec, Plan):
        spec = spec.spec
    if spec.compile is None:
        return []
    keras = import_keras()
    custom, problems = import_custom_objects(spec, options, keras)
    if problems:
        return problems
    settings = spec.compile.optimizer
    heads = spec.outputs
    try:
        optimizer = keras.optimizers.get(settings.name)
        if settings.args:
            optimizer = type(optimizer)(**settings.args)
        weights = {h: e.loss_weight for h, e in heads.items() if e.loss_weight is not None}
        metrics = {
            h: [training_object(m, "metric", keras, custom) for m in e.metrics]
            for h, e in heads.items()
            if e.metrics
        }
        model.compile(
            optimizer=optimizer,
            loss=head_losses(spec, keras, custom),
            loss_weights={h: weights.get(h, 1.0) for h in heads} if weights else None,
            metrics=metrics or None,
        )
        build_optimizer(model)
    except Exception as error:  # Keras raises many types; each becomes the one diagnostic
        return [keras_rejected(Locator(spec.source), ("compile",), error)]
    return []
