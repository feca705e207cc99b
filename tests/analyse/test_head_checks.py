"""Heads' losses and metrics: a name or `{name: Class, arguments}`, checked against the
catalogue's classes without Keras; custom ones allowed outside the spec, never imported here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import graphspec
from graphspec.catalogue.custom import CustomObjects
from graphspec.catalogue.reader import load_catalogue
from graphspec.pipeline import check_text
from graphspec.settings import Options
from graphspec.spec.write import write_spec

HEAD = """\
graphspec: 1
name: heads
inputs: {{x: {{shape: [4]}}}}
nodes: {{logits: {{layer: Dense, from: x, units: 3}}}}
outputs:
  logits: {{from: logits, {entry}}}
compile: {{optimizer: adam}}
"""


def diagnostics(entry: str, options: Options | None = None) -> list[tuple[str, str | None]]:
    report = check_text(HEAD.format(entry=entry), "heads.yaml", options or Options())
    return [(str(d.code), d.hint) for d in report.diagnostics if d.is_error]


@pytest.mark.parametrize(
    "entry",
    [
        "loss: sparse_categorical_crossentropy",
        "loss: {name: sparse_categorical_crossentropy}",
        "loss: {name: SparseCategoricalCrossentropy, from_logits: true, ignore_class: 0}",
        "loss: {name: Huber, delta: 2.0}, metrics: [{name: SparseTopKCategoricalAccuracy, k: 2}]",
        "loss: mse, metrics: [{name: MeanIoU, num_classes: 3}, accuracy, auc]",
        "loss: mse, metrics: [{name: AUC, thresholds: [0.25, 0.5]}]",
    ],
)
def test_names_and_classes_with_their_arguments_are_valid(entry: str) -> None:
    assert diagnostics(entry) == []


def test_a_name_alone_reads_and_writes_as_it_always_did() -> None:
    short = graphspec.loads(HEAD.format(entry="loss: mse, metrics: [mae]"))
    long = graphspec.loads(HEAD.format(entry="loss: {name: mse}, metrics: [{name: mae}]"))
    assert short.outputs == long.outputs  # (Specs differ by their source text)
    head = short.outputs["logits"]
    assert head.loss == "mse" and head.metrics == ["mae"] and head.loss_name == "mse"
    assert "loss: mse, metrics: [mae]" in write_spec(long)


def test_arguments_are_written_back() -> None:
    entry = "loss: {name: SparseCategoricalCrossentropy, from_logits: true}"
    spec = graphspec.loads(HEAD.format(entry=entry))
    assert graphspec.loads(write_spec(spec)).outputs == spec.outputs
    assert str(spec.outputs["logits"].loss) == "SparseCategoricalCrossentropy(from_logits=true)"
    assert spec.outputs["logits"].loss != "SparseCategoricalCrossentropy"


@pytest.mark.parametrize(
    ("entry", "code", "hint"),
    [
        (
            "loss: {name: SparseCategoricalCrossentropy, from_logit: true}",
            "GS302",
            "did you mean 'from_logits'?",
        ),
        (
            "loss: {name: sparse_categorical_crossentropy, from_logits: true}",
            "GS311",
            "name the class: {name: SparseCategoricalCrossentropy, from_logits: true}",
        ),
        ("loss: {name: mse, reduction: sum}", "GS311", "{name: MeanSquaredError, "),
        ("loss: mse, metrics: [{name: accuracy, dtype: float32}]", "GS311", "no metric class"),
        ("loss: mse, metrics: [MeanIoU]", "GS303", "{name: MeanIoU, num_classes: ...}"),
        ("loss: {name: Huber, delta: {value: 2}}", "GS312", None),
        ("loss: {name: Huber, delta: [1, {a: 2}]}", "GS312", None),
        ("loss: mse, metrics: [{name: Precison, top_k: 2}]", "GS306", "did you mean 'Precision'?"),
        ("loss: contrastive_loss", "GS306", "--custom-object MODULE.contrastive_loss"),
    ],
)
def test_what_the_catalogue_refuses(entry: str, code: str, hint: str | None) -> None:
    ((found, found_hint),) = diagnostics(entry)
    assert found == code
    if hint is None:
        assert found_hint is None
    else:
        assert found_hint is not None and hint in found_hint


CUSTOM = Options(
    custom_objects=CustomObjects.from_paths(["no_such_package.losses.contrastive_loss"])
)


@pytest.mark.parametrize(
    "entry",
    [
        "loss: contrastive_loss",
        "loss: {name: contrastive_loss, margin: 2.0, labels: [0, 1]}",
        "loss: mse, metrics: [contrastive_loss, accuracy]",
    ],
)
def test_a_custom_object_is_accepted_by_name_without_importing_it(
    entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The allowed module is importable here, so an import would leave it in sys.modules."""
    (tmp_path / "gs_heads_probe").mkdir()
    (tmp_path / "gs_heads_probe" / "__init__.py").write_text("")
    (tmp_path / "gs_heads_probe" / "losses.py").write_text("def contrastive_loss(a, b): ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importable = Options(
        custom_objects=CustomObjects.from_paths(["gs_heads_probe.losses.contrastive_loss"])
    )
    assert diagnostics(entry, importable) == []
    assert "gs_heads_probe" not in sys.modules
    assert "gs_heads_probe.losses" not in sys.modules


def test_a_custom_object_takes_only_plain_values() -> None:
    entry = "loss: {name: contrastive_loss, margin: {class_name: Constant}}"
    assert [code for code, _ in diagnostics(entry, CUSTOM)] == ["GS312"]


def test_a_custom_object_named_like_a_keras_loss_is_the_custom_one() -> None:
    """The user allowed it by name, as a custom layer named like a Keras layer is theirs."""
    options = Options(custom_objects=CustomObjects.from_paths(["pkg.losses.mse"]))
    assert diagnostics("loss: {name: mse, scale: 2}", options) == []


def test_the_catalogue_knows_each_name_s_class() -> None:
    catalogue = load_catalogue()
    assert catalogue.loss_classes["mse"] == "MeanSquaredError"
    assert catalogue.loss_classes["sparse_categorical_crossentropy"] == (
        "SparseCategoricalCrossentropy"
    )
    assert catalogue.metric_classes["auc"] == "AUC"
    assert "accuracy" not in catalogue.metric_classes  # compile resolves it by shape
    assert catalogue.loss_args["SparseCategoricalCrossentropy"]["from_logits"].default is False
    assert catalogue.metric_args["MeanIoU"]["num_classes"].required
    assert set(catalogue.loss_classes.values()) <= set(catalogue.loss_args)
    assert "MeanMetricWrapper" not in catalogue.metric_args  # it takes a function


@pytest.mark.parametrize(
    ("entry", "version", "warned"),
    [
        ("loss: {name: SparseCategoricalCrossentropy, from_logits: true}", "1", True),
        ("loss: mse, metrics: [{name: SparseTopKCategoricalAccuracy, k: 2}]", "1", True),
        ("loss: {name: SparseCategoricalCrossentropy, from_logits: true}", "1.1", False),
        ("loss: mse, metrics: [mae]", "1", False),
    ],
)
def test_arguments_are_language_1_1(entry: str, version: str, warned: bool) -> None:
    text = HEAD.format(entry=entry).replace("graphspec: 1\n", f"graphspec: {version}\n")
    report = check_text(text, "heads.yaml")
    assert report.ok
    found = [d.message for d in report.diagnostics if d.code == "GS109"]
    assert len(found) == warned
    assert all("with arguments is new in language 1.1" in message for message in found)
