"""Import keeps training settings: a compiled model's compile_config gives each head's loss,
loss weight and metrics and the spec's compile section; what the language cannot write yet is
GS705, never dropped in silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.catalogue.reader import load_catalogue
from graphspec.diagnostics import SpecError
from graphspec.importer.to_spec import import_config, import_path, model_config
from graphspec.importer.training import _float32_text
from graphspec.runtime.saving import save_model_atomically
from tests.conftest import spec_files

COMPILED_SPECS = [p for p in spec_files() if "\ncompile:" in p.read_text()]


def _two_heads(keras: Any) -> Any:
    x = keras.Input((3,), name="x")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(x)
    a = keras.layers.Dense(2, name="a")(hidden)
    b = keras.layers.Dense(1, activation="sigmoid", name="b")(hidden)
    return keras.Model(x, [a, b], name="two_heads")


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """A compile config with what differs without a difference in training taken out: the
    optimizer's name (Keras numbers a process's optimizers: adam, adam_1) and a metric object
    at its defaults against its class name (`keras.metrics.get` makes the same object)."""
    optimizer = dict(config["optimizer"])
    optimizer["config"] = {k: v for k, v in optimizer["config"].items() if k != "name"}

    def metric(value: Any) -> Any:
        return value["class_name"] if isinstance(value, dict) else value

    metrics = {head: [metric(m) for m in items] for head, items in config["metrics"].items()}
    return {**config, "optimizer": optimizer, "metrics": metrics}


@pytest.mark.parametrize(
    "optimizer",
    [
        ("Adam", {"learning_rate": 1e-3}),
        ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
        ("RMSprop", {"learning_rate": 3e-4, "clipnorm": 1.0}),
    ],
    ids=lambda o: o[0],
)
def test_a_compiled_model_imports_with_its_training_settings(
    keras: Any, tmp_path: Path, optimizer: tuple[str, dict[str, Any]]
) -> None:
    name, args = optimizer
    model = _two_heads(keras)
    model.compile(
        optimizer=getattr(keras.optimizers, name)(**args),
        loss={"a": "mse", "b": "binary_crossentropy"},
        loss_weights={"a": 0.5, "b": 2.0},
        metrics={"a": ["mae", keras.metrics.RootMeanSquaredError()], "b": ["accuracy"]},
    )
    saved = tmp_path / "two_heads.keras"
    save_model_atomically(model, saved)
    imported = import_path(saved)
    spec = imported.spec
    assert spec.outputs["a"].loss == "mse"
    assert spec.outputs["a"].loss_weight == 0.5
    assert spec.outputs["a"].metrics == ["mae", "RootMeanSquaredError"]
    assert spec.outputs["b"].loss == "binary_crossentropy"
    assert spec.outputs["b"].metrics == ["accuracy"]
    assert spec.compile is not None
    assert spec.compile.optimizer.name == name.lower()
    defaults = {"learning_rate": 1e-3} if name == "Adam" else {}  # Adam's own default: left out
    assert spec.compile.optimizer.args == {k: v for k, v in args.items() if k not in defaults}
    rebuilt = graphspec.build(graphspec.loads(imported.text))
    assert _comparable(rebuilt.get_compile_config()) == _comparable(model.get_compile_config())


def test_learning_rates_come_back_as_written() -> None:
    """Keras keeps the learning rate as a float32: 1e-3 is saved as 0.0010000000474974513."""
    assert _float32_text(0.0010000000474974513) == 0.001
    assert _float32_text(0.0003000000142492354) == 0.0003
    assert _float32_text(0.1) == 0.1  # not a float32 value: kept
    assert _float32_text(0.5) == 0.5


def test_a_loss_and_metric_with_arguments_import_with_them(keras: Any) -> None:
    """`BinaryCrossentropy(from_logits=True)` is `{name: BinaryCrossentropy, from_logits:
    true}`: the arguments that differ from the class's defaults, and the rebuilt model compiles
    as the original."""
    model = _two_heads(keras)
    model.compile(
        optimizer="adam",
        loss=["mse", keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)],
        metrics=[[keras.metrics.TopKCategoricalAccuracy(k=1)], ["accuracy"]],
    )
    imported = import_config(model_config(model))
    b = imported.spec.outputs["b"]
    assert b.loss is not None and b.loss.name == "BinaryCrossentropy"
    assert b.loss.args == {"from_logits": True, "label_smoothing": 0.1}
    assert imported.spec.outputs["a"].metrics[0].args == {"k": 1}
    assert "{name: BinaryCrossentropy, from_logits: true, label_smoothing: 0.1}" in imported.text
    rebuilt = graphspec.build(graphspec.loads(imported.text))
    assert list(rebuilt.get_compile_config()["loss"].values()) == model.get_compile_config()["loss"]


@pytest.mark.parametrize(
    ("loss", "match"),
    [
        ({"module": "builtins", "class_name": "function", "config": "contrastive_loss"}, "custom"),
        (
            {"module": "keras.losses", "class_name": "MeanSquaredError", "config": {"name": "l2"}},
            "named 'l2'",
        ),
        (
            {
                "module": "keras.losses",
                "class_name": "Huber",
                "config": {"delta": {"class_name": "Constant", "config": {}}},
            },
            "delta=",
        ),
    ],
    ids=["custom_function", "renamed", "object_argument"],
)
def test_a_loss_a_spec_cannot_write_is_gs705(keras: Any, loss: Any, match: str) -> None:
    data = {
        **model_config(_two_heads(keras)),
        "compile_config": {"optimizer": "adam", "loss": ["mse", loss]},
    }
    with pytest.raises(SpecError) as caught:
        import_config(data)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS705" and "head 'b'" in diagnostic.message
    assert match in diagnostic.message


def test_a_loss_object_at_its_defaults_is_its_class_name(keras: Any) -> None:
    model = _two_heads(keras)
    model.compile(optimizer="adam", loss=["mse", keras.losses.BinaryCrossentropy()])
    spec = import_config(model_config(model)).spec
    assert [head.loss for head in spec.outputs.values()] == ["mse", "BinaryCrossentropy"]
    assert graphspec.check(spec).ok


def test_a_learning_rate_schedule_is_gs705(keras: Any) -> None:
    model = _two_heads(keras)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=["mse", "mse"])
    with pytest.raises(SpecError) as caught:
        import_config(model_config(model))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS705" and "learning_rate" in diagnostic.message


@pytest.mark.parametrize(
    ("compile_config", "match"),
    [
        ({"optimizer": "adam", "loss": {"a": "mse"}}, "head 'b' has no loss"),
        ({"optimizer": "adam", "loss": "mse", "weighted_metrics": ["mae"]}, "weighted_metrics"),
        ({"optimizer": "adam", "loss": "mse", "metrics": {"a": ["my_metric"]}}, "my_metric"),
        ({"optimizer": None, "loss": "mse"}, "without an optimizer"),
    ],
)
def test_what_a_spec_cannot_write_is_gs705(
    keras: Any, compile_config: dict[str, Any], match: str
) -> None:
    data = {**model_config(_two_heads(keras)), "compile_config": compile_config}
    with pytest.raises(SpecError) as caught:
        import_config(data)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS705" and match in diagnostic.message


def test_execution_settings_become_notes(keras: Any) -> None:
    data = {
        **model_config(_two_heads(keras)),
        "compile_config": {"optimizer": "sgd", "loss": "mse", "run_eagerly": True},
    }
    imported = import_config(data)
    assert any("run_eagerly" in note for note in imported.notes)
    assert [h.loss for h in imported.spec.outputs.values()] == ["mse", "mse"]


def test_an_uncompiled_model_has_no_compile_section(keras: Any) -> None:
    spec = import_config(model_config(_two_heads(keras))).spec
    assert spec.compile is None
    assert all(head.loss is None for head in spec.outputs.values())


@pytest.mark.parametrize("path", COMPILED_SPECS, ids=lambda p: p.stem)
def test_a_compiled_spec_comes_back_with_its_settings(keras: Any, path: Path) -> None:
    """Build a spec, import the model: each head's loss, weight and metrics as written, and
    the optimizer with the same class and the same arguments apart from Keras' defaults."""
    original = graphspec.load(path)
    model = graphspec.build(path)
    spec = import_config(model_config(model)).spec
    for head, entry in original.outputs.items():
        got = spec.outputs[head]
        assert (got.loss, got.loss_weight, got.metrics) == (
            entry.loss,
            entry.loss_weight,
            entry.metrics,
        )
    assert original.compile is not None and spec.compile is not None
    catalogue = load_catalogue()
    accepted = catalogue.optimizer_args[original.compile.optimizer.name]
    assert catalogue.optimizer_args[spec.compile.optimizer.name] is accepted
    written = {k: v for k, v in original.compile.optimizer.args.items() if v != accepted[k].default}
    assert spec.compile.optimizer.args == written
    keras.backend.clear_session()
