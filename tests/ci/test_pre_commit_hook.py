"""The `graphspec-validate` pre-commit hook, run as users run it: `pre-commit try-repo` on a
git copy of this checkout installs the package from that path (core dependencies only) into a
fresh environment, then checks a valid and an invalid spec of another repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, SPECS

HOOKS = ROOT / ".pre-commit-hooks.yaml"
VALID = SPECS / "gallery"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_hook_is_declared_for_specs_without_extras() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "graphspec-validate"
    assert hook["language"] == "python"
    assert hook["entry"] == "graphspec validate"
    assert "additional_dependencies" not in hook
    files = re.compile(hook["files"])
    for path in ["specs/model.yaml", "specs/a/b.yml", "ml/specs/x.json"]:
        assert files.search(path), path
    for path in [".github/workflows/ci.yml", "specs.yaml", "docs/specs.md", "config.yaml"]:
        assert not files.search(path), path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files (tracked and untracked, not ignored), committed in a new repo."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    repo = tmp_path_factory.mktemp("hook_repo")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hook repo")
    return repo


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("user_repo")
    (repo / "specs").mkdir()
    valid = next(iter(sorted(VALID.glob("*.yaml"))))
    shutil.copy2(valid, repo / "specs" / "good.yaml")
    shutil.copy2(FIXTURES / "invalid" / "cycle.yaml", repo / "specs" / "bad.yaml")
    (repo / "notes.yaml").write_text("- not a spec\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "user repo")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("pre_commit_home")


def pre_commit(user_repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=user_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def try_repo(
    hook_repo: Path, user_repo: Path, home: Path, *files: str
) -> subprocess.CompletedProcess[str]:
    args = ["try-repo", str(hook_repo), "graphspec-validate", "--verbose"]
    args += ["--files", *files] if files else ["--all-files"]
    return pre_commit(user_repo, home, *args)


def test_a_valid_spec_passes(hook_repo: Path, user_repo: Path, pre_commit_home: Path) -> None:
    pytest.importorskip("pre_commit")
    done = try_repo(hook_repo, user_repo, pre_commit_home, "specs/good.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_an_invalid_spec_fails_with_its_diagnostic(
    hook_repo: Path, user_repo: Path, pre_commit_home: Path
) -> None:
    pytest.importorskip("pre_commit")
    done = try_repo(hook_repo, user_repo, pre_commit_home, "specs/good.yaml", "specs/bad.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "specs/bad.yaml:7:" in done.stdout and "GS203" in done.stdout


def test_all_files_checks_only_specs(
    hook_repo: Path, user_repo: Path, pre_commit_home: Path
) -> None:
    pytest.importorskip("pre_commit")
    done = try_repo(hook_repo, user_repo, pre_commit_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "specs/bad.yaml" in done.stdout
    assert "notes.yaml" not in done.stdout


def test_an_installed_hook_has_the_core_dependencies_only(
    hook_repo: Path, user_repo: Path, tmp_path: Path
) -> None:
    """As a user's .pre-commit-config.yaml installs it (`try-repo` deletes its environment)."""
    pytest.importorskip("pre_commit")
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: graphspec-validate\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    done = pre_commit(user_repo, home, "run", "-c", str(config), "--files", "specs/good.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    (python,) = home.glob("repo*/py_env-*/bin/python")
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    assert "graphspec==" in listed and "pydantic==" in listed and "networkx==" in listed
    assert "tensorflow" not in listed and "keras" not in listed and "jax" not in listed
