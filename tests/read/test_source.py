"""The load stage: safe YAML/JSON, YAML 1.2 scalars, positions for every value."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphspec.read.source import _syntax_hint, load_file, load_text


def test_scalars_follow_yaml_1_2() -> None:
    tree, problems = load_text("a: [no, yes, on, 1e-3, 010, 0x1F, ~, true, '5', 1:30]\n", "s.yaml")
    assert not problems and tree is not None
    assert tree.data["a"] == ["no", "yes", "on", 0.001, 10, 31, None, True, "5", "1:30"]


def test_positions_are_recorded_for_values_and_keys() -> None:
    tree, _ = load_text("nodes:\n  conv:\n    from: [a, b]\n", "p.yaml")
    assert tree is not None
    assert tree.locate(("nodes", "conv", "from", 1)).line == 3
    assert tree.locate(("nodes", "conv", "from", 1)).column == 15
    assert tree.locate_key(("nodes", "conv")).column == 3
    assert tree.locate(("nodes", "conv", "missing")).line == 3  # the enclosing mapping


def test_json_positions_come_from_the_same_walk() -> None:
    tree, problems = load_text('{"a": 1,\n "b": [true, null]}', "x.json")
    assert not problems and tree is not None
    assert tree.data == {"a": 1, "b": [True, None]}
    assert tree.locate(("b", 1)).line == 2


@pytest.mark.parametrize(
    ("text", "name", "code", "line"),
    [
        ("a: 1\na: 2\n", "d.yaml", "GS011", 2),
        ('{"a": 1,\n "a": 2}', "d.json", "GS011", 2),
        ('{"a": NaN}', "n.json", "GS016", 1),
        ('{"a": 1', "t.json", "GS010", 1),
        ("a: .nan\n", "n.yaml", "GS016", 1),
        ("a: !!python/name:os.system x\n", "t.yaml", "GS012", 1),
        ("a: !custom 3\n", "t.yaml", "GS012", 1),
        ("a: &x [1]\nb: *x\n", "a.yaml", "GS013", 1),
        ("a: {<<: {b: 1}}\n", "m.yaml", "GS013", 1),
        ("1: a\n", "k.yaml", "GS014", 1),
        ("? [a]\n: b\n", "k.yaml", "GS014", 1),
        ("a: 1\n---\nb: 2\n", "docs.yaml", "GS010", 2),
        ("", "e.yaml", "GS015", 1),
        ("# only a comment\n", "e.yaml", "GS015", 1),
        ("- a\n- b\n", "l.yaml", "GS015", 1),
        ("a: [1\n", "u.yaml", "GS010", 2),
        ("a: " + "9" * 5000 + "\n", "big.yaml", "GS016", 1),
    ],
)
def test_rejected_input(text: str, name: str, code: str, line: int) -> None:
    tree, problems = load_text(text, name)
    assert tree is None
    assert [(p.code, p.location.line) for p in problems] == [(code, line)]


def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    tree, problems = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert tree is None
    assert problems[0].code == "GS013"


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"a: \xff\xfe\n", "GS018"), (b"a: 1\x00\n", "GS018")],
)
def test_undecodable_bytes(tmp_path: Path, raw: bytes, code: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(raw)
    tree, problems = load_file(path)
    assert tree is None
    assert problems[0].code == code


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    tree, problems = load_file(path)
    assert not problems and tree is not None
    assert tree.data == {"a": 1}


def test_text_from_python_meets_the_size_cap_too() -> None:
    from graphspec.pipeline import check_text
    from graphspec.settings import Limits, Options

    text = "graphspec: 1\nname: big\ndescription: " + "é" * 60 + "\n"
    report = check_text(text, "big.yaml", Options(limits=Limits(max_bytes=100)))
    assert [d.code for d in report.diagnostics] == ["GS017"]  # 60 characters, 120 bytes
    assert (
        check_text(text, "big.yaml", Options(limits=Limits(max_bytes=200))).diagnostics[0].code
        != "GS017"
    )


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("graphspec: 1\ninputs:\n\tx: {shape: [3]}\n", 3, "YAML indents with spaces, not tabs"),
        ("graphspec: 1\ninputs:\n  x: {shape: [3]}\n nodes: 1\n", 4, "align this line"),
        (
            "graphspec: 1\nnodes:\n  c: {layer: Conv2D, args: {filters: ${filters}}}\n",
            3,
            'quote it: "${filters}"',
        ),
        ("graphspec: 1\ninputs:\n  x: {shape: [${n}, 3]}\n", 3, 'quote it: "${n}"'),
    ],
    ids=["tab", "indentation", "placeholder-in-mapping", "placeholder-in-list"],
)
def test_common_yaml_syntax_errors_come_with_a_hint(text: str, line: int, hint: str) -> None:
    tree, problems = load_text(text, "spec.yaml")
    assert tree is None
    [problem] = problems
    assert problem.code == "GS010"
    assert problem.location.line == line
    assert problem.hint is not None and hint in problem.hint, problem


def test_the_tab_hint_reads_the_pure_python_scanners_message_too() -> None:
    message = "found character '\\t' that cannot start any token"
    assert _syntax_hint(message, ["a:", "  b: 1"], 2, 3) == (
        "YAML indents with spaces, not tabs: replace the tab with spaces"
    )
    assert _syntax_hint("while scanning for the next token", ["a"], 1, 1) is None


def test_a_tab_shows_as_a_marker_with_the_caret_under_it() -> None:
    from graphspec.diagnostics.render import TAB_MARKER, format_text

    text = "graphspec: 1\ninputs:\n\tx: {shape: [3]}\n"
    _, [problem] = load_text(text, "spec.yaml")
    _, quoted, caret, hint = format_text(problem, text.splitlines()).splitlines()
    assert quoted == f"    3 | {TAB_MARKER}x: {{shape: [3]}}"
    assert quoted[caret.index("^")] == TAB_MARKER == "\u2192"
    assert "not tabs" in hint
