"""Vocabulary files: where they may be, how they are read, and what `validate` says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphspec.diagnostics import codes
from graphspec.pipeline import check_path, check_text
from graphspec.read.vocabulary import (
    VocabularyProblem,
    file_reference,
    inline_vocabulary,
    load_vocabulary,
    spec_folder,
    token_problem,
    vocabulary_size,
)
from graphspec.settings import Limits, Options

SPEC = """graphspec: 1
name: lookup
inputs:
  city: {{shape: [1], dtype: string}}
nodes:
  ids: {{layer: StringLookup, from: city, vocabulary: {vocabulary}}}
outputs:
  ids: ids
"""


def _problem(found: object) -> VocabularyProblem:
    assert isinstance(found, VocabularyProblem), found
    return found


def test_tokens_one_per_line_crlf_and_bom(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_bytes("\ufeffparis\r\nlondon\nrome".encode())
    assert load_vocabulary(tmp_path, "v.txt", 1000) == ("paris", "london", "rome")


def test_paths_that_leave_the_folder_are_refused(tmp_path: Path) -> None:
    spec = tmp_path / "specs"
    spec.mkdir()
    (tmp_path / "secret.txt").write_text("a\n")
    (spec / "link.txt").symlink_to(tmp_path / "secret.txt")
    for written in ("../secret.txt", "link.txt", str(tmp_path / "secret.txt"), "C:\\x.txt", ""):
        assert _problem(load_vocabulary(spec, written, 1000)).code == codes.VOCABULARY_PATH


def test_a_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("a\nb\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.txt").symlink_to(tmp_path / "real.txt")
    assert load_vocabulary(tmp_path, "sub/link.txt", 1000) == ("a", "b")


def test_missing_folder_fifo_too_large_and_not_text(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "big.txt").write_text("x\n" * 10)
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "nul.txt").write_bytes(b"a\0b\n")
    found = {
        name: _problem(load_vocabulary(tmp_path, name, 16)).code
        for name in ("missing.txt", "folder", "pipe", "big.txt", "latin1.txt", "nul.txt")
    }
    assert found == {
        "missing.txt": codes.VOCABULARY_UNREADABLE,
        "folder": codes.VOCABULARY_UNREADABLE,
        "pipe": codes.VOCABULARY_UNREADABLE,  # never opened: a read would block
        "big.txt": codes.VOCABULARY_TOO_LARGE,
        "latin1.txt": codes.VOCABULARY_ENCODING,
        "nul.txt": codes.VOCABULARY_ENCODING,
    }


def test_a_symlinked_spec_reads_next_to_the_link(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "s.yaml").write_text("")
    (tmp_path / "s.yaml").symlink_to(tmp_path / "elsewhere" / "s.yaml")
    assert spec_folder(str(tmp_path / "s.yaml")) == tmp_path.resolve()


def test_a_spec_given_as_text_has_no_folder() -> None:
    assert spec_folder("<memory>") is None and spec_folder(None) is None
    report = check_text(SPEC.format(vocabulary="{file: v.txt}"))
    (error,) = [d for d in report.diagnostics if d.is_error]
    assert error.code == codes.VOCABULARY_PATH
    assert "given as text" in error.message


def test_token_problems() -> None:
    assert token_problem("StringLookup", ["a", "b"], lines=False) is None
    assert token_problem("StringLookup", [], lines=False) == (0, "the vocabulary is empty")
    assert token_problem("StringLookup", ["a", ""], lines=True) == (1, "line 2 is empty")
    assert token_problem("StringLookup", ["a", 3], lines=False) == (1, "item 1 (3) is not a string")
    assert token_problem("IntegerLookup", ["4", " 5"], lines=True) is None
    assert token_problem("IntegerLookup", ["4", "04"], lines=True) == (
        1,
        "line 2 repeats '04' (line 1); Keras refuses a repeated token",
    )
    assert token_problem("IntegerLookup", [1, True], lines=False) == (
        1,
        "item 1 (True) is not an integer",
    )


def test_inline_vocabulary_and_its_size() -> None:
    files = {"v.txt": ("3", "4")}
    args = {"vocabulary": {"file": "v.txt"}, "output_mode": "one_hot"}
    assert inline_vocabulary("IntegerLookup", args, files)["vocabulary"] == [3, 4]
    assert inline_vocabulary("StringLookup", args, files)["vocabulary"] == ["3", "4"]
    assert inline_vocabulary("Dense", args, files) is args
    assert vocabulary_size(args, files) == 2
    assert vocabulary_size({"vocabulary": ["a"]}, {}) == 1
    assert vocabulary_size({"vocabulary": "${v}"}, {}) is None
    assert file_reference({"file": "v.txt", "extra": 1}) is None


def test_validate_reads_the_file_into_the_plan(tmp_path: Path) -> None:
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "cities.txt").write_text("paris\nrome\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(vocabulary="{file: vocab/cities.txt}"))
    report = check_path(spec)
    assert report.ok and report.plan is not None
    assert report.plan.vocabularies == {"vocab/cities.txt": ("paris", "rome")}
    capped = check_path(spec, Options(limits=Limits(max_vocabulary_bytes=4)))
    assert [d.code for d in capped.diagnostics if d.is_error] == [codes.VOCABULARY_TOO_LARGE]


@pytest.mark.parametrize(
    ("vocabulary", "code"),
    [
        ("cities.txt", codes.BAD_ARGUMENT_VALUE),  # a bare path Keras would read from the cwd
        ("{path: cities.txt}", codes.BAD_ARGUMENT_VALUE),
        ("[paris, paris]", codes.VOCABULARY_TOKENS),
    ],
)
def test_other_vocabulary_forms(tmp_path: Path, vocabulary: str, code: codes.Code) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(vocabulary=vocabulary))
    assert [d.code for d in check_path(spec).diagnostics if d.is_error] == [code]


def test_a_block_parameter_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("a\nb\nc\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(
        """graphspec: 1
name: blocks
inputs:
  w: {shape: [1], dtype: string}
blocks:
  look:
    params: {vocab: [x]}
    inputs: {w: {}}
    nodes:
      ids: {layer: StringLookup, from: w, vocabulary: "${vocab}"}
    outputs: {y: ids}
nodes:
  l: {block: look, from: w, with: {vocab: {file: v.txt}}}
outputs:
  l: l
"""
    )
    report = check_path(spec)
    assert report.ok, [d.message for d in report.diagnostics]
    assert report.plan is not None and report.plan.vocabularies == {"v.txt": ("a", "b", "c")}
