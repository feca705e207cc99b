"""The spec's ``compile`` section → ``model.compile``: optimizer, per-head losses, loss weights
and metrics.

Compiling is its own step, after emit, because a model trained under a distribution strategy
must be built *and* compiled inside ``strategy.scope()`` (TensorFlow keeps the scope per
thread): the caller enters the scope, emits, then calls `compile_model` there. `graphspec
build` and `graphspec.build` emit then compile in one go (`graphspec.pipeline.build_report`).
"""

from __future__ import annotations

from typing import Any

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic
from graphspec.diagnostics.reporter import Locator
from graphspec.emit.model import keras_rejected
from graphspec.runtime.backend import import_keras
from graphspec.runtime.saving import build_optimizer
from graphspec.spec.model import Spec


def compile_model(model: Any, spec: Spec | Plan) -> list[Diagnostic]:
    """Compile an emitted model as its spec's ``compile`` section says, in place.

    Losses, loss weights and metrics are keyed by head name (the model's output names). A
    head without ``loss_weight`` weighs 1.0 when another head has one. What Keras rejects (an
    unknown optimizer argument, say) comes back as one GS501 diagnostic at ``compile``; the
    model is then not fit to train. A spec without a ``compile`` section leaves the model untouched
    and gives no diagnostic. The optimizer's variables are made now (`build_optimizer`), so
    that a model saved before training loads without Keras' warning.

    >>> model, problems = emit_model(plan)  # doctest: +SKIP
    >>> problems = problems or compile_model(model, plan)  # doctest: +SKIP
    """
    if isinstance(spec, Plan):
        spec = spec.spec
    if spec.compile is None:
        return []
    keras = import_keras()
    settings = spec.compile.optimizer
    heads = spec.outputs
    try:
        optimizer = keras.optimizers.get(settings.name)
        if settings.args:
            optimizer = type(optimizer)(**settings.args)
        weights = {h: e.loss_weight for h, e in heads.items() if e.loss_weight is not None}
        model.compile(
            optimizer=optimizer,
            loss={h: e.loss for h, e in heads.items()},
            loss_weights={h: weights.get(h, 1.0) for h in heads} if weights else None,
            metrics={h: list(e.metrics) for h, e in heads.items() if e.metrics} or None,
        )
        build_optimizer(model)
    except Exception as error:  # Keras raises many types; each becomes the one diagnostic
        return [keras_rejected(Locator(spec.source), ("compile",), error)]
    return []
