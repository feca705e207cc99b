"""`graphspec diff`: what changed between two specs, as text for people and JSON for tools.

Golden cases live in tests/fixtures/diff/<case>/ (old.yaml, new.yaml, expected.txt).
To accept an intended change of the output:
GRAPHSPEC_UPDATE_GOLDEN=1 pytest tests/views/test_diff.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from graphspec import SpecError, loads
from graphspec.cli import main
from graphspec.views.diff import (
    UNSET,
    Delta,
    NodeChange,
    SpecDiff,
    ValueChange,
    diff_json,
    diff_specs,
)
from tests.conftest import FIXTURES, SPECS

CASES = FIXTURES / "diff"
SEEDS = SPECS / "seeds"
ENSEMBLE = str(SEEDS / "seed001_ensemble3.yaml")
PRUNED = str(SEEDS / "seed001_ensemble_pruned.yaml")
# What the CLI must never let through from a spec: C0/C1 controls and bidi overrides.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def case(name: str) -> SpecDiff:
    return diff_specs(CASES / name / "old.yaml", CASES / name / "new.yaml")


def changed(diff: SpecDiff) -> dict[str, NodeChange]:
    return {change.name: change for change in diff.nodes_changed}


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_text_output_matches_expected(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CASES / name)
    code = main(["diff", "old.yaml", "new.yaml"])
    out = capsys.readouterr().out
    expected = CASES / name / "expected.txt"
    if os.environ.get("GRAPHSPEC_UPDATE_GOLDEN") == "1":
        expected.write_text(out)
    assert out == expected.read_text()
    assert code == (0 if out.endswith("no structural differences\n") else 1)


def test_formatting_comments_key_order_and_description_make_no_difference() -> None:
    old = (CASES / "reformatted" / "old.yaml").read_text()
    new = (CASES / "reformatted" / "new.yaml").read_text()
    assert old != new
    diff = case("reformatted")
    assert diff.identical
    assert diff.nodes_changed == diff.nodes_added == diff.nodes_removed == ()
    assert diff.settings == diff.heads_changed == ()
    assert not any(head.changed for head in diff.head_totals)


def test_added_and_removed_nodes() -> None:
    diff = case("added_removed")
    assert [n.name for n in diff.nodes_added] == ["hidden2", "norm", "probe"]
    assert [n.name for n in diff.nodes_removed] == ["drop"]
    probe = diff.nodes_added[-1]
    assert probe.pruned and probe.params == 0 and probe.shape is None
    assert diff.nodes_added[0].params == 64 * 32 + 32
    out = changed(diff)["out"]
    assert out.refs == Delta(("drop",), ("norm",))
    assert out.params == Delta(65, 33)
    assert not diff.identical


def test_changed_argument_reaches_downstream_shapes_and_params() -> None:
    diff = case("changed_argument")
    nodes = changed(diff)
    assert list(nodes) == ["conv1", "pool1", "conv2", "flat", "dense"]  # topological order
    conv1 = nodes["conv1"]
    assert conv1.arguments == (ValueChange("kernel_size", 3, 5),)
    assert conv1.edited
    flat = nodes["flat"]
    assert not flat.edited
    assert flat.shape == Delta(((("", (7744,)),)), ((("", (6400,)),)))
    assert nodes["dense"].params == Delta(7744 * 64 + 64, 6400 * 64 + 64)
    assert "probs" not in nodes  # same shape in, same weights: unchanged
    (head,) = diff.head_totals
    assert (head.old_params, head.new_params) == (515_146, 429_642)
    assert (diff.old_totals.params, diff.new_totals.params) == (515_146, 429_642)


def test_heads_added_removed_changed_and_their_params() -> None:
    diff = case("heads")
    assert [h.name for h in diff.heads_added] == ["age"]
    assert [h.name for h in diff.heads_removed] == ["kind"]
    (score,) = diff.heads_changed
    assert score.changes == (ValueChange("loss", "mse", "mae"),)
    totals = {h.name: h for h in diff.head_totals}
    assert list(totals) == ["score", "age", "kind"]  # the new spec's heads, then removed ones
    trunk_old, trunk_new = 16 * 32 + 32, 16 * 48 + 48
    assert (totals["score"].old_params, totals["score"].new_params) == (
        trunk_old + 33,
        trunk_new + 49,
    )
    assert (totals["age"].in_old, totals["age"].new_params) == (False, 16 * 8 + 8 + 9)
    assert (totals["kind"].old_params, totals["kind"].in_new) == (trunk_old + 3 * 32 + 3, False)
    kind = changed(diff)["kind"]  # its head went away, so the node is pruned now
    assert kind.pruned == Delta(False, True)
    assert diff.settings == (ValueChange("compile.optimizer.learning_rate", UNSET, 0.0001),)


def test_form_from_and_sequence_items() -> None:
    nodes = changed(case("form_and_from"))
    assert nodes["encode"].form == Delta("LSTM", "GRU")
    both = nodes["both"]
    assert both.form == Delta("concatenate", "add")
    assert both.refs == Delta(("encode", "char_encode"), ("char_encode", "encode"))
    paths = [c.path for c in nodes["classify"].arguments]
    assert paths[:4] == [
        "sequence[1].layer",
        "sequence[1].units",
        "sequence[1].activation",
        "sequence[1].rate",
    ]
    assert "sequence[2].units" in paths and "sequence[0].units" not in paths


def test_inputs_shared_and_blocks() -> None:
    diff = case("shared_blocks")
    (image,) = diff.inputs_changed
    assert image.changes == (ValueChange("shape", [32, 32, 3], [64, 64, 3]),)
    (enc,) = diff.shared_changed
    assert enc.changes == (ValueChange("units", 8, 16),)
    assert [(b.name, b.label) for b in diff.blocks_added] == [("spare", "1 node(s), pruned")]
    (unit,) = diff.blocks_changed
    assert unit.changes == (ValueChange("outputs.y", "norm", "act"),)
    assert [n.name for n in unit.nodes_added] == ["act"]
    aux = {h.name: h for h in diff.head_totals}["aux"]
    # the shared Dense's weights count for the head that uses it
    assert aux.new_params is not None and aux.old_params is not None
    assert aux.new_params - aux.old_params == 6_024


def test_shared_weights_count_once_for_a_head() -> None:
    siamese = str(SEEDS / "seed002_siamese.yaml")
    diff = diff_specs(siamese, siamese)
    assert diff.identical
    (head,) = diff.head_totals
    lstm, dense = 4 * (32 * (128 + 32) + 32), 64 + 1
    assert head.new_params == lstm + dense == diff.new_totals.params


SHARED_TWICE = """\
graphspec: 1
name: shared_twice
inputs: {x: {shape: [4]}, y: {shape: [4]}}
shared: {enc: {layer: Dense, units: 3}}
nodes:
  a: {use: enc, from: x}
  b: {use: enc, from: y}
  both: {op: add, from: [a, b]}
outputs: {first: a, second: b, sum: both}
"""


def test_a_head_reading_only_a_later_use_still_counts_the_shared_weights() -> None:
    spec = loads(SHARED_TWICE)
    diff = diff_specs(spec, spec)
    weights = 4 * 3 + 3
    assert {h.name: h.new_params for h in diff.head_totals} == {
        "first": weights,
        "second": weights,
        "sum": weights,
    }
    assert diff.new_totals.params == weights


def test_seed_ensembles(capsys: pytest.CaptureFixture[str]) -> None:
    diff = diff_specs(ENSEMBLE, PRUNED)
    nodes = changed(diff)
    assert list(nodes) == ["cnn3", "prediction"]
    cnn3 = nodes["cnn3"]
    assert cnn3.pruned == Delta(False, True)
    assert cnn3.params == Delta(157_412, 0)
    assert nodes["prediction"].arguments == (ValueChange("expr", "(a + b + c) / 3", "(a + b) / 2"),)
    assert diff.settings == (ValueChange("name", "seed001_ensemble3", "seed001_ensemble_pruned"),)
    assert (diff.old_totals.params, diff.new_totals.params) == (472_236, 314_824)
    assert main(["diff", ENSEMBLE, PRUNED]) == 1
    out = capsys.readouterr().out
    assert "~ node cnn3: now pruned (no head depends on it); params 157,412 -> 0" in out
    assert "total params: 472,236 -> 314,824 (-157,412)" in out


def test_every_seed_is_identical_to_itself() -> None:
    for seed in sorted(SEEDS.glob("*.yaml")):
        assert diff_specs(seed, seed).identical, seed.name


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CASES / "changed_argument"
    assert (
        main(["diff", "--format", "json", str(folder / "old.yaml"), str(folder / "new.yaml")]) == 1
    )
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    assert document["status"] == "different"
    assert document["old"]["params"] == 515_146 and document["new"]["params"] == 429_642
    conv1 = document["nodes"]["changed"][0]
    assert conv1["name"] == "conv1" and conv1["edited"] is True
    assert conv1["arguments"] == [{"path": "kernel_size", "old": 3, "new": 5}]
    assert conv1["shape"] == {"old": [None, 26, 26, 32], "new": [None, 24, 24, 32]}
    assert conv1["params"] == {"old": 320, "new": 832}
    assert conv1["form"] is None and conv1["from"] is None and conv1["pruned"] is None
    (head,) = document["heads"]["totals"]
    assert head == {
        "name": "probs",
        "old": {"params": 515_146, "shape": [None, 10]},
        "new": {"params": 429_642, "shape": [None, 10]},
        "delta": -85_504,
    }


def test_json_added_keys_leave_out_old(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CASES / "heads"
    main(["diff", "--format", "json", str(folder / "old.yaml"), str(folder / "new.yaml")])
    document = json.loads(capsys.readouterr().out)
    assert document["settings"] == [{"path": "compile.optimizer.learning_rate", "new": 0.0001}]
    assert [e["name"] for e in document["heads"]["added"]] == ["age"]
    assert document["heads"]["added"][0]["definition"] == {"from": "age", "loss": "mse"}
    assert [n["name"] for n in document["nodes"]["added"]] == ["extra", "age"]


def test_json_of_identical_specs_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CASES / "reformatted"
    assert (
        main(["diff", "--format", "json", str(folder / "old.yaml"), str(folder / "new.yaml")]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "identical"
    assert document["nodes"] == {"added": [], "removed": [], "changed": []}
    assert diff_json(case("reformatted")) == document


INVALID_SPEC = """\
graphspec: 1
name: broken
inputs: {x: {shape: [4]}}
nodes:
  d: {layer: Dense2, from: x, units: 2}
outputs: {y: d}
"""


def test_invalid_spec_prints_diagnostics_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(INVALID_SPEC)
    assert main(["diff", ENSEMBLE, str(broken)]) == 1
    captured = capsys.readouterr()
    assert re.search(r"broken\.yaml:5:14: error\[GS301\] unknown layer 'Dense2'", captured.out)
    assert "    5 |   d: {layer: Dense2" in captured.out  # the source line, as validate quotes it
    assert "invalid, not compared" in captured.err
    assert "---" not in captured.out


def test_invalid_spec_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(INVALID_SPEC)
    assert main(["diff", "--format", "json", str(broken), ENSEMBLE]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "invalid"
    (entry,) = document["files"]
    assert entry["file"] == str(broken)
    assert [d["code"] for d in entry["diagnostics"]] == ["GS301"]


def test_strict_makes_a_pruned_node_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--strict", ENSEMBLE, PRUNED]) == 1
    assert "error[GS401]" in capsys.readouterr().out


def test_python_api_raises_on_an_invalid_spec() -> None:
    with pytest.raises(SpecError) as raised:
        diff_specs(loads(INVALID_SPEC), ENSEMBLE)
    assert [d.code for d in raised.value.diagnostics] == ["GS301"]


@pytest.mark.parametrize("missing", ["new", "old"])
def test_missing_file_exits_2(missing: str, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [ENSEMBLE, "no/such/spec.yaml"] if missing == "new" else ["no/such.yaml", ENSEMBLE]
    assert main(["diff", *paths]) == 2
    assert "no such file" in capsys.readouterr().err


def test_directory_or_one_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(SEEDS), ENSEMBLE]) == 2
    assert "is a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["diff", ENSEMBLE])
    assert exited.value.code == 2


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["diff", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "0 structurally identical, 1 different, or either spec invalid" in text
    assert "--strict" in text and "--max-nodes" in text


def test_spec_text_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = (
        "graphspec: 1\nname: t\ninputs: {{x: {{shape: [4]}}}}\n"
        "blocks:\n  b:\n    params: {{note: {note}}}\n    inputs: {{x: }}\n"
        "    nodes: {{d: {{layer: Dense, from: x, units: 2}}}}\n    outputs: {{y: d}}\n"
        "nodes: {{d: {{block: b, from: x}}}}\noutputs: {{y: d}}\n"
    )
    old = tmp_path / "old\x1b[2J.yaml"
    new = tmp_path / "new.yaml"
    old.write_text(spec.format(note="plain"))
    new.write_text(spec.format(note='"a\\e[31m\\u202e\\nz"'), encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "~ block b: params.note plain -> " in out
    assert not RAW_CONTROL.search(out)
    assert "\\u202e" in out and "old\\x1b[2J.yaml" in out
