"""The CLI's file policy: which spec files an argument names, which outputs are refused, and
writes that leave the old file or nothing behind, never half of one."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphspec.cli import main
from graphspec.cli.exits import UsageError
from graphspec.cli.files import (
    DIRECTORY_RULE,
    check_output,
    expand,
    expand_one,
    write_text_atomically,
)
from graphspec.cli.reports import check_file
from graphspec.settings import Options


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """specs/ with specs at two depths, files that are not specs, and links; cwd = tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in ("b.yaml", "a.json", "sub/c.yml", "sub/deeper/d.yaml", "notes.txt", "sub/e.toml"):
        path = tmp_path / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("graphspec: 1\n")
    (tmp_path / "secret").write_text("token: 1\n")
    (tmp_path / "specs" / "link.yaml").symlink_to(tmp_path / "secret")
    (tmp_path / "specs" / "sub" / "linked_dir").symlink_to(tmp_path / "specs" / "sub" / "deeper")
    return tmp_path


def _names(paths: list[Path]) -> list[str]:
    return [path.as_posix() for path in paths]


# ---- expansion --------------------------------------------------------------------------------


def test_a_directory_gives_its_specs_at_any_depth_sorted_without_links(tree: Path) -> None:
    assert _names(expand(["specs"])) == [
        "specs/a.json",
        "specs/b.yaml",
        "specs/sub/c.yml",
        "specs/sub/deeper/d.yaml",
    ]


def test_arguments_keep_their_order_and_files_need_no_spec_suffix(tree: Path) -> None:
    assert _names(expand(["specs/sub", "specs/notes.txt", "specs/a.json"])) == [
        "specs/sub/c.yml",
        "specs/sub/deeper/d.yaml",
        "specs/notes.txt",
        "specs/a.json",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("specs/*.yaml", ["specs/b.yaml"]),  # the link.yaml beside it is left out
        ("specs/**/*.y*ml", ["specs/b.yaml", "specs/sub/c.yml", "specs/sub/deeper/d.yaml"]),
        ("specs/[ab].*", ["specs/a.json", "specs/b.yaml"]),
        ("specs/sub/?.yml", ["specs/sub/c.yml"]),
    ],
)
def test_a_pattern_the_shell_left_is_expanded_without_links(
    tree: Path, pattern: str, expected: list[str]
) -> None:
    assert _names(expand([pattern])) == expected


def test_a_file_whose_name_looks_like_a_pattern_is_that_file(tree: Path) -> None:
    (tree / "odd[1].yaml").write_text("graphspec: 1\n")
    assert _names(expand(["odd[1].yaml"])) == ["odd[1].yaml"]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("specs/link.yaml", "specs/link.yaml: is a symbolic link; graphspec reads spec files only"),
        ("specs/sub/linked_dir", "is a symbolic link"),
        ("specs/missing.yaml", "specs/missing.yaml: no such file"),
        ("specs/*.yamlx", "specs/*.yamlx: the pattern matches no file"),
        ("specs/link*", "the pattern matches no file"),  # its only match is a link
    ],
)
def test_refused_arguments(tree: Path, argument: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        expand(["specs/b.yaml", argument])


def test_a_directory_without_specs_is_refused(tree: Path) -> None:
    (tree / "empty" / "inner").mkdir(parents=True)
    (tree / "empty" / "inner" / "README.md").write_text("no specs here\n")
    with pytest.raises(UsageError, match=r"directory holds no \.yaml, \.yml or \.json spec"):
        expand(["empty"])


def test_expand_one_wants_exactly_one_file(tree: Path) -> None:
    assert expand_one("specs/sub/?.yml", "diff compares two files") == Path("specs/sub/c.yml")
    with pytest.raises(UsageError, match="specs: is a directory; diff compares two files"):
        expand_one("specs", "diff compares two files")
    with pytest.raises(UsageError, match=r"specs/\[ab\]\.\*: matches 2 files; graph draws one"):
        expand_one("specs/[ab].*", "graph draws one")


# ---- output checks ----------------------------------------------------------------------------


def test_an_output_passes_when_it_can_be_written(tmp_path: Path) -> None:
    check_output(tmp_path / "model.keras", (".keras",), force=False)
    existing = tmp_path / "graph.md"
    existing.write_text("old")
    check_output(existing)  # force is the default: graph and schema overwrite


@pytest.mark.parametrize(
    ("name", "suffixes", "force", "message"),
    [
        ("model.h5", (".keras",), True, "model.h5: the output must end in .keras"),
        ("spec.txt", (".yaml", ".yml"), True, "the output must end in .yaml or .yml"),
        ("link.keras", (".keras",), True, "is a symbolic link; refusing to write through it"),
        ("dangling.keras", (".keras",), True, "is a symbolic link"),
        ("folder.keras", (".keras",), True, "folder.keras: is a directory"),
        ("existing.keras", (".keras",), False, "already exists; pass --force to overwrite it"),
        ("missing/model.keras", (".keras",), True, "missing: no such directory"),
    ],
)
def test_refused_outputs(
    tmp_path: Path, name: str, suffixes: tuple[str, ...], force: bool, message: str
) -> None:
    (tmp_path / "target.keras").write_bytes(b"precious")
    (tmp_path / "link.keras").symlink_to(tmp_path / "target.keras")
    (tmp_path / "dangling.keras").symlink_to(tmp_path / "nowhere.keras")
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "existing.keras").write_bytes(b"old")
    with pytest.raises(UsageError, match=re.escape(message)):
        check_output(tmp_path / name, suffixes, force=force)
    assert (tmp_path / "target.keras").read_bytes() == b"precious"
    assert not (tmp_path / "nowhere.keras").exists()


def test_an_output_in_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: the directory stays writable")
        with pytest.raises(UsageError, match="not writable"):
            check_output(locked / "graph.md")
    finally:
        locked.chmod(0o700)


# ---- atomic writes ----------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_file_is_written_whole_with_the_umask_default_mode(
    tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "spec.yaml"
    write_text_atomically(target, "name: é → ok\n")
    assert target.read_bytes() == "name: é → ok\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["spec.yaml"]


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "schema.json"
    target.write_text("old")
    target.chmod(0o600)
    write_text_atomically(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "spec.yaml"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomically(target, "half written \ud800 never")
    assert os.listdir(tmp_path) == ["spec.yaml"]
    assert target.read_text() == "old\n"


def test_a_failed_rename_is_a_usage_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UsageError, match=r"new\.yaml: cannot write: Permission denied"):
        write_text_atomically(tmp_path / "new.yaml", "text\n")
    assert os.listdir(tmp_path) == []


def test_an_interrupted_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomically(tmp_path / "graph.md", "flowchart TD\n")
    assert os.listdir(tmp_path) == []


# ---- reading a spec ---------------------------------------------------------------------------


def test_a_spec_that_cannot_be_read_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(UsageError, match=r"folder\.yaml: cannot read: Is a directory"):
        check_file(folder, Options())


def test_a_directory_reads_json_only_when_it_is_a_spec(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    files = {
        "spec.yaml": "graphspec: 1\n",
        "spec.json": '{"name": "s", "graphspec": 1}',
        "bom.json": '\ufeff{"graphspec": 1}',
        "broken.json": '{"graphspec": 1,',  # reported by validate, never skipped unseen
        "expected.json": '{"status": "valid", "files": []}',
        "schema.json": '{"properties": {"graphspec": {"const": 1}}}',  # nested: not a spec
        "list.json": '[{"graphspec": 1}]',
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert sorted(path.name for path in expand([str(folder)])) == [
        "bom.json",
        "broken.json",
        "spec.json",
        "spec.yaml",
    ]
    # named one by one (or by a pattern), a file is always read
    assert expand([str(folder / "expected.json")]) == [folder / "expected.json"]


def test_validate_of_a_folder_with_an_expected_json_beside_its_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = Path(__file__).parents[2] / "specs" / "seeds" / "seed000_siso.yaml"
    (tmp_path / "model.yaml").write_text(spec.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "expected.json").write_text('{"params": 1234}', encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 0
    assert "checked 1 spec(s): 1 valid" in capsys.readouterr().err


def test_validate_help_states_the_directory_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert " ".join(DIRECTORY_RULE.split()) in " ".join(capsys.readouterr().out.split())
