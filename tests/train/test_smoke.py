"""`graphspec smoke`: random data of the right shapes and types, one training step, evaluate
and predict; the loss per head, and the spec entries whose weights get no gradient."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphspec.analyse.plan import Plan
from graphspec.cli import main
from graphspec.pipeline import check_text
from graphspec.train.smoke import (
    DEFAULT_INT_BOUND,
    SmokeResult,
    id_bounds,
    input_shapes,
    random_target,
    smoke_report,
    target_kind,
)
from tests.conftest import ROOT, spec_files


def plan_of(text: str) -> Plan:
    report = check_text(text, "smoke.yaml")
    assert report.plan is not None, report.diagnostics
    return report.plan


def smoke(text: str) -> SmokeResult:
    return smoke_report(check_text(text, "smoke.yaml"), eager=True)


# ---- without Keras: sizes, id bounds, targets ----------------------------------------------

CONV1D_STACK = """\
graphspec: 1
name: conv1d
inputs:
  signal: {shape: [null, 2]}
nodes:
  features:
    from: signal
    sequence:
      - {layer: Conv1D, filters: 4, kernel_size: 5}
      - {layer: MaxPooling1D, pool_size: 2}
      - {layer: Conv1D, filters: 4, kernel_size: 5}
      - {layer: GlobalAveragePooling1D}
outputs:
  score: features
"""


def test_a_null_length_fits_a_conv1d_stack() -> None:
    # 8 is too short: 8 - 4 = 4, pooled 2, then a kernel of 5 does not fit; 16 fits.
    assert input_shapes(plan_of(CONV1D_STACK)) == {"signal": (16, 2)}


IDS = """\
graphspec: 1
name: ids
inputs:
  words: {shape: [null], dtype: int32}
  tags: {shape: [3], dtype: int64}
  codes: {shape: [4], dtype: int32}
  flags: {shape: [4], dtype: int32}
shared:
  vocab: {layer: Embedding, input_dim: 50, output_dim: 4}
blocks:
  embed:
    params: {size: 7}
    inputs: {i: {}, j: {}}
    nodes:
      e: {layer: Embedding, from: j, input_dim: "${size}", output_dim: 4}
      f: {layer: Flatten, from: e}
    outputs: {o: f}
nodes:
  w1: {sequence: [{layer: Reshape, target_shape: [-1]}, {layer: Embedding, input_dim: 300,
       output_dim: 4}], from: words}
  w2: {use: vocab, from: words}
  both: {op: concatenate, from: [w1, w2], axis: 1}
  pooled: {layer: GlobalAveragePooling1D, from: both}
  t: {block: embed, from: [codes, tags], with: {size: 9}}
  c: {layer: Dense, from: flags, units: 2}
  unused: {layer: Embedding, from: flags, input_dim: 3, output_dim: 2}
outputs:
  out: pooled
  t: t
  c: c
"""


def test_ids_stay_below_the_embeddings_that_read_them() -> None:
    # through a sequence and a shared layer (the smaller wins), into a block's second input
    # (its parameter substituted), and the default where no live Embedding reads the input
    assert id_bounds(plan_of(IDS)) == {
        "words": 50,
        "tags": 9,
        "codes": DEFAULT_INT_BOUND,
        "flags": DEFAULT_INT_BOUND,
    }


@pytest.mark.parametrize(
    ("loss", "kind"),
    [
        ("sparse_categorical_crossentropy", "sparse"),
        ("SparseCategoricalCrossentropy", "sparse"),
        ("categorical_crossentropy", "one_hot"),
        ("kl_divergence", "one_hot"),
        ("binary_crossentropy", "binary"),
        ("BinaryFocalCrossentropy", "binary"),
        ("hinge", "binary"),
        ("mse", "float"),
        ("huber", "float"),
        (None, "float"),
    ],
)
def test_target_kind(loss: str | None, kind: str) -> None:
    assert target_kind(loss) == kind


def test_random_targets_fit_their_loss() -> None:
    rng = np.random.default_rng(0)
    sparse = random_target("sparse", (2, 5, 7), rng)
    assert sparse.shape == (2, 5) and sparse.dtype == np.int32 and sparse.max() < 7
    one_hot = random_target("one_hot", (2, 7), rng)
    assert one_hot.shape == (2, 7) and np.all(one_hot.sum(-1) == 1)
    binary = random_target("binary", (2, 1), rng)
    assert set(np.unique(binary)) <= {0.0, 1.0}


# ---- with Keras ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", spec_files(), ids=lambda p: p.stem)
def test_every_example_spec_runs(path: Path, keras: Any) -> None:
    from graphspec.pipeline import check_path

    result = smoke_report(check_path(path), batch_size=2, eager=True)  # the CLI tests trace
    assert result.ok, result.failure
    assert [h.name for h in result.heads] == list(check_path(path).spec.outputs)  # type: ignore[union-attr]
    assert all(h.loss is not None and np.isfinite(h.loss) for h in result.heads)
    assert result.dead == ()
    for data in result.inputs.values():
        assert data.shape[0] == 2 and None not in data.shape


TWO_OUTPUTS = """\
graphspec: 1
name: half_used
inputs:
  x: {shape: [4]}
blocks:
  split:
    inputs: {i: {}}
    nodes:
      left: {layer: Dense, from: i, units: 2}
      right: {layer: Dense, from: i, units: 3, activation: softmax}
    outputs: {l: left, r: right}
nodes:
  two: {block: split, from: x}
  seq: {sequence: [{layer: Dense, units: 3}, {layer: Dense, units: 3}], from: x}
outputs:
  probs: {from: two.r, loss: sparse_categorical_crossentropy}
  seq: {from: seq, loss: categorical_crossentropy}
"""


def test_dead_weights_are_named_by_spec_entry(keras: Any) -> None:
    result = smoke(TWO_OUTPUTS)
    assert result.ok, result.failure
    # the block's unused output `l` trains nothing: its Dense gets no gradient
    assert [(d.entry, d.variables) for d in result.dead or ()] == [
        ("nodes.two > blocks.split.nodes.left", ("left/kernel", "left/bias"))
    ]
    # no compile section: adam, and each head's own loss
    probs, seq = result.heads
    assert (probs.loss_name, probs.target) == ("sparse_categorical_crossentropy", "class ids < 3")
    assert (seq.loss_name, seq.target) == ("categorical_crossentropy", "one-hot of 3")
    assert all(h.loss is not None for h in result.heads)


NOT_FINITE = """\
graphspec: 1
name: not_finite
inputs:
  x: {shape: [3]}
nodes:
  d: {layer: Dense, from: x, units: 2}
  bad: {expr: "log(a - a)", from: {a: d}}
outputs:
  bad: {from: bad, loss: mse}
compile:
  optimizer: sgd
"""


def test_a_non_finite_loss_fails_the_run(keras: Any) -> None:
    result = smoke(NOT_FINITE)
    assert result.status == "failed" and result.failure is not None
    assert result.failure.step == "train"
    assert "not finite" in result.failure.message


def run_cli(*args: str) -> tuple[int, str, str]:
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["smoke", *args])
    return code, out.getvalue(), err.getvalue()


def test_cli_json_and_exit_codes(keras: Any, tmp_path: Path) -> None:
    good = tmp_path / "half_used.yaml"
    good.write_text(TWO_OUTPUTS)
    bad = tmp_path / "not_finite.yaml"
    bad.write_text(NOT_FINITE)
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(TWO_OUTPUTS.replace("from: two.r, loss", "from: nowhere, loss"))

    code, out, _ = run_cli(str(good), "--format", "json")
    assert code == 0
    (entry,) = json.loads(out)["files"]
    assert entry["status"] == "ok" and entry["batch_size"] == 2
    assert [h["name"] for h in entry["heads"]] == ["probs", "seq"]
    assert entry["dead"] == [
        {"entry": "nodes.two > blocks.split.nodes.left", "variables": ["left/kernel", "left/bias"]}
    ]

    code, out, _ = run_cli(str(bad), str(invalid))
    assert code == 1
    assert "failed at train" in out and "invalid (nothing ran)" in out


def test_cli_text_on_a_seed(keras: Any) -> None:
    code, out, _ = run_cli(str(ROOT / "specs/seeds/seed002_qa.yaml"), "--batch-size", "3")
    assert code == 0
    assert "input text: (3, 8) int32, ids < 10000" in out
    assert "answer  categorical_crossentropy  one-hot of 500" in out
    assert "dead weights: none" in out
