"""The command line: exit codes, output formats, no Keras on the validate path, safe writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.cli import EXIT_BROKEN_PIPE, graph, main
from graphspec.cli.build import added
from graphspec.diagnostics import Diagnostic, Location, Severity
from graphspec.pipeline import check_path
from graphspec.views.drawing import FORMATS
from graphspec.views.summary import SummaryRow, summary_rows
from tests.conftest import FIXTURES, ROOT, SPECS

SEEDS = sorted(str(p) for p in (SPECS / "seeds").glob("*.yaml"))
INVALID = FIXTURES / "invalid"
DIAGNOSTIC_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)\[(?P<code>GS\d{3})\] .+$"
)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphspec", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_validate_all_seeds_without_importing_keras() -> None:
    code = (
        "import sys\n"
        "from graphspec.cli import main\n"
        f"rc = main(['validate', *{SEEDS!r}])\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'RC', rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "HEAVY [] RC 0" in result.stdout, result.stderr
    assert f"checked {len(SEEDS)} spec(s): {len(SEEDS)} valid" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["schema"],
        ["validate", "--format", "json", *SEEDS[:2]],
        ["summary", *SEEDS[:2]],
        ["graph", SEEDS[0], "--format", "dot"],
        ["diff", SEEDS[0], SEEDS[1]],
        ["diff", "--format", "json", SEEDS[0], SEEDS[1]],
    ],
)
def test_light_commands_do_not_import_keras(command: list[str]) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from graphspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({command!r})\n"
        "heavy = ('keras', 'tensorflow', 'graphspec.emit.model', 'graphspec.cli.keras_side')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr


def test_invalid_spec_exits_1_with_file_line_col_format() -> None:
    result = run("validate", str(INVALID / "several_errors.yaml"), str(SEEDS[0]))
    assert result.returncode == 1
    headers = [DIAGNOSTIC_LINE.match(line) for line in result.stdout.splitlines()]
    found = [match for match in headers if match]
    assert [(m["code"], m["line"]) for m in found] == [
        ("GS201", "8"),
        ("GS301", "9"),
        ("GS302", "10"),
    ]
    assert all(m["file"].endswith("several_errors.yaml") for m in found)
    assert (
        "    9 |   b: {layer: Dense2, from: x, units: 4}\n      |              ^" in result.stdout
    )
    assert "1 valid, 1 invalid" in result.stderr


def test_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/spec.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_no_arguments_is_a_usage_error() -> None:
    result = run("validate")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_help_explains_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("validate", "build", "schema", "Exit codes"):
        assert word in result.stdout


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(INVALID / "unknown_reference.yaml")]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    (entry,) = document["files"]
    assert entry["status"] == "invalid"
    (diagnostic,) = entry["diagnostics"]
    assert diagnostic["code"] == "GS201"
    assert diagnostic["line"] == 9
    assert diagnostic["path"] == "nodes.out.from[0]"
    assert diagnostic["hint"] == "did you mean 'dense1'?"


def test_github_format_escapes_what_could_forge_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "forge.yaml"
    spec.write_text(
        "graphspec: 1\nname: forge\ninputs:\n  x: {shape: [4]}\n"
        'outputs:\n  y: {from: "x", loss: "mse\\n::error::forged%0A\\e[31m"}\n'
    )
    assert main(["validate", "--format", "github", str(spec)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=")
    assert out.count("\n") == 1
    assert "\x1b" not in out
    assert "\\n::error::forged%250A" in out  # the newline is escaped, % encoded


def test_strict_turns_pruning_into_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    pruned = str(SPECS / "seeds" / "seed001_ensemble_pruned.yaml")
    assert main(["validate", pruned]) == 0
    assert "warning[GS401]" in capsys.readouterr().out
    assert main(["validate", "--strict", pruned]) == 1
    assert "error[GS401]" in capsys.readouterr().out


def test_summary_prints_the_static_table(capsys: pytest.CaptureFixture[str]) -> None:
    pruned = str(SPECS / "seeds" / "seed001_ensemble_pruned.yaml")
    assert main(["summary", pruned]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^cnn1\s+block cnn\s+\(None, 10\)\s+157,412$", out, re.M)
    assert re.search(r"^cnn3\s+block cnn\s+-\s+-\s+pruned$", out, re.M)
    assert "Total params: 314,824 (trainable 314,824, non-trainable 0)" in out
    assert "Pruned (not built): cnn3" in out


def test_summary_rows_are_built_from_the_plan() -> None:
    report = check_path(SPECS / "seeds" / "seed001_ensemble_pruned.yaml")
    assert report.plan is not None
    rows = {row.node: row for row in summary_rows(report.plan)}
    assert rows["cnn1"] == SummaryRow("cnn1", "block cnn", "(None, 10)", "157,412", "")
    assert rows["cnn3"] == SummaryRow("cnn3", "block cnn", "-", "-", "pruned")
    names = list(rows)
    assert names[0] in report.plan.spec.inputs
    assert names[-1] in report.plan.spec.outputs


def test_summary_of_invalid_spec_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(INVALID / "shape_residual_add.yaml")]) == 1
    assert "error[GS603]" in capsys.readouterr().err


def test_schema_file_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    checked_in = (ROOT / "schemas" / "graphspec.schema.json").read_text()
    assert capsys.readouterr().out == checked_in, "run 'make schema' and commit the result"


def test_graph_writes_its_output_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(SPECS / "seeds" / "seed002_dense.yaml")
    assert main(["graph", spec, "--format", "dot"]) == 0
    printed = capsys.readouterr().out
    target = tmp_path / "graph.dot"
    target.write_text("old")
    assert main(["graph", spec, "--format", "dot", "-o", str(target)]) == 0
    assert target.read_text() == printed
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]


def test_graph_and_schema_refuse_to_write_through_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "bashrc"
    secret.write_text("precious")
    link = tmp_path / "graph.md"
    link.symlink_to(secret)
    assert main(["graph", str(SPECS / "seeds" / "seed002_dense.yaml"), "-o", str(link)]) == 2
    assert main(["schema", "-o", str(link)]) == 2
    assert capsys.readouterr().err.count("is a symbolic link; refusing to write through it") == 2
    assert secret.read_text() == "precious"
    assert link.is_symlink()


def test_graph_of_a_pattern_matching_several_specs_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pattern = str(SPECS / "seeds" / "seed000_*.yaml")
    assert main(["graph", pattern]) == 2
    assert "files; graph draws one spec" in capsys.readouterr().err


def test_graph_format_choices_are_the_drawing_formats() -> None:
    result = run("graph", "--help")
    assert "{" + ",".join([*FORMATS, "svg", "png", "html"]) + "}" in result.stdout
    assert tuple(FORMATS) == graph.CHOICES  # the parser's restated names


def test_import_quotes_the_imported_text_not_the_file_it_would_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def layer(kind: str, config: dict[str, Any], inbound: list[Any]) -> dict[str, Any]:
        return {"module": "keras.layers", "class_name": kind, "name": config["name"],
                "config": config, "inbound_nodes": inbound}  # fmt: skip

    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}
    model = tmp_path / "model.json"
    model.write_text(
        json.dumps(
            {
                "class_name": "Functional",
                "config": {
                    "name": "m",
                    "layers": [
                        layer("InputLayer", {"name": "x", "batch_shape": [None, 4]}, []),
                        layer("Dense", {"name": "d", "units": -3}, [{"args": [tensor]}]),
                    ],
                    "input_layers": ["x", 0, 0],
                    "output_layers": ["d", 0, 0],
                },
            }
        )
    )
    spec = tmp_path / "spec.yaml"
    old = "".join(f"kept_{n}: 1\n" for n in range(10))
    spec.write_text(old)
    assert main(["import", str(model), "-o", str(spec), "--force"]) == 1
    err = capsys.readouterr().err
    assert "error[GS310]" in err
    assert "d: {layer: Dense, from: x, units: -3}" in err
    assert "kept_" not in err
    assert spec.read_text() == old


def test_added_diagnostics_are_what_a_later_stage_contributed() -> None:
    def note(code: str, line: int) -> Diagnostic:
        return Diagnostic(code, Severity.WARNING, "m", Location("s.yaml", line, 1))

    printed = [note("GS401", 3), note("GS401", 3), note("GS601", 5)]
    later = [note("GS401", 3), note("GS501", 4), note("GS401", 3), note("GS601", 5)]
    assert added(printed, later) == [note("GS501", 4)]
    assert added(printed[:1], later) == [note("GS501", 4), note("GS401", 3), note("GS601", 5)]
    assert added(later, printed) == []


# ---- build (in-process: Keras is imported once for the session) --------------------------------


def test_build_writes_loadable_model(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "dense.keras"
    assert main(["build", str(SPECS / "seeds" / "seed002_dense.yaml"), "-o", str(target)]) == 0
    captured = capsys.readouterr()
    assert "3,466" in captured.out  # the Keras summary
    assert f"wrote {target}" in captured.err
    model = keras.saving.load_model(target, safe_mode=True)
    assert model.count_params() == 3466
    assert [p.name for p in tmp_path.iterdir()] == ["dense.keras"]


def test_build_refuses_to_overwrite_without_force(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"precious")
    spec = str(SPECS / "seeds" / "seed002_dense.yaml")
    assert main(["build", spec, "-o", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"precious"
    assert main(["build", spec, "-o", str(target), "--force", "--quiet"]) == 0
    assert target.read_bytes() != b"precious"


@pytest.mark.parametrize("name", ["model.h5", "dir.keras"])
def test_build_rejects_bad_outputs(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    if name == "dir.keras":
        target.mkdir()
    assert main(["build", str(SPECS / "seeds" / "seed002_dense.yaml"), "-o", str(target)]) == 2


def test_failed_build_leaves_nothing_behind(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "graphspec: 1\nname: bad\ninputs:\n  x: {shape: [8, 8, 3]}\nnodes:\n"
        "  d: {layer: RandomZoom, from: x, height_factor: -2.0}\noutputs:\n  y: d\n"
    )
    target = tmp_path / "bad.keras"
    assert main(["build", str(spec), "-o", str(target)]) == 1
    assert "error[GS501]" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_build_prints_each_diagnostic_once(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The analysis' warning before Keras runs, then only what the build added."""
    spec = tmp_path / "zoom.yaml"
    spec.write_text(
        "graphspec: 1\nname: zoom\ninputs:\n  x: {shape: [8, 8, 3]}\nnodes:\n"
        "  spare: {layer: Flatten, from: x}\n"
        "  d: {layer: RandomZoom, from: x, height_factor: -2.0}\noutputs:\n  y: d\n"
    )
    assert main(["build", str(spec), "-o", str(tmp_path / "zoom.keras")]) == 1
    err = capsys.readouterr().err
    assert err.count("warning[GS401]") == 1
    assert err.count("error[GS501]") == 1
    assert err.index("warning[GS401]") < err.index("error[GS501]")
    assert "  d: {layer: RandomZoom" in err  # the build's diagnostic quotes its line too


def test_build_of_invalid_spec_exits_1_before_keras(capsys: pytest.CaptureFixture[str]) -> None:
    target = INVALID / "never.keras"
    assert main(["build", str(INVALID / "cycle.yaml"), "-o", str(target)]) == 1
    assert "error[GS203]" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.parametrize(
    "command", [["summary", *SEEDS], ["validate", "--format", "json", *SEEDS], ["schema"]]
)
def test_a_closed_pipe_ends_quietly_with_sigpipes_status(command: list[str]) -> None:
    # `graphspec summary ... | head -1`: the reader is gone before graphspec writes, so every
    # write fails; the run ends as `git log | head` does (141 = 128 + SIGPIPE), saying nothing.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "graphspec", *command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == EXIT_BROKEN_PIPE == 141
    assert result.stderr == ""


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"graphspec {graphspec.__version__}\n"


def test_a_long_cycle_is_shown_by_its_ends_and_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 3000
    nodes = "".join(
        f"  n{i}: {{layer: Dense, from: n{(i - 1) % count}, units: 4}}\n" for i in range(count)
    )
    spec = tmp_path / "cycle.yaml"
    spec.write_text(
        "graphspec: 1\nname: ring\ninputs:\n  x: {shape: [4]}\nnodes:\n"
        + nodes
        + "outputs:\n  out: n0\n",
        encoding="utf-8",
    )
    assert main(["validate", str(spec)]) == 1
    out = capsys.readouterr().out
    found = [line for line in out.splitlines() if "has a cycle" in line]
    assert len(found) == 1, out[:500]
    line = found[0]
    assert len(line) < 300, len(line)
    assert "→ … (2,994 more) →" in line
    assert line.endswith(line.split("cycle: ", 1)[1].split(" → ", 1)[0])  # back to the start


def test_a_short_cycle_is_shown_whole() -> None:
    from graphspec.analyse.references import cycle_text

    assert cycle_text(["a", "b", "c"]) == "a → b → c → a"
    names = [f"n{i}" for i in range(9)]
    assert cycle_text(names) == "n0 → n1 → n2 → … (3 more) → n6 → n7 → n8 → n0"
    assert cycle_text(names[:8]) == " → ".join([*names[:8], "n0"])
