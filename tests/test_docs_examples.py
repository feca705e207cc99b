"""The documentation's examples and links are checked, so the docs cannot drift from the code.

- every ```yaml block in README.md and docs/*.md that starts with ``graphspec: 1`` is a spec:
  it must check clean (`graphspec.pipeline.check_text(...).ok`), or, when the block is preceded
  by an ``<!-- invalid: GSnnn -->`` comment, report that code as an error;
- a block preceded by ``<!-- warns: GSnnn -->`` must be valid and report that code (GS401);
- docs/language.md lists the `expr` functions and the layers with static shape rules between
  ``<!-- list: NAME -->`` and ``<!-- end list -->`` markers; each list is the code's table;
- every relative link in README.md and docs/*.md names a file or folder of this repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphspec.catalogue.shape_rules.base import known_layers
from graphspec.pipeline import check_text
from graphspec.settings import Limits
from graphspec.spec.expression import ALLOWED_FUNCTIONS
from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(
    r"(?:<!--\s*(?P<mark>invalid|warns):\s*(?P<code>GS\d{3})\s*-->\s*\n)?"
    r"^```yaml[ \t]*\n(?P<body>.*?)^```[ \t]*$",
    re.M | re.S,
)
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")


def _examples() -> list[tuple[str, int, str | None, str | None, str]]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text()
        for match in _FENCE.finditer(text):
            body = match["body"]
            first = next(
                (line for line in body.splitlines() if line.strip() and not line.startswith("#")),
                "",
            )
            if first.strip() not in ("graphspec: 1", "graphspec: 1.1"):
                continue
            line = text.count("\n", 0, match.start("body")) + 1
            found.append(
                (path.relative_to(ROOT).as_posix(), line, match["mark"], match["code"], body)
            )
    return found


EXAMPLES = _examples()


def test_the_docs_have_examples() -> None:
    documents = {document for document, *_ in EXAMPLES}
    assert {"README.md", "docs/language.md", "docs/cookbook.md"} <= documents


@pytest.mark.parametrize(
    ("document", "line", "mark", "code", "body"),
    EXAMPLES,
    ids=[f"{document}:{line}" for document, line, *_ in EXAMPLES],
)
def test_example(document: str, line: int, mark: str | None, code: str | None, body: str) -> None:
    report = check_text(body, f"{document}:{line}")
    shown = [f"{d.code} {d.severity.value} {d.message}" for d in report.diagnostics]
    if mark == "invalid":
        assert not report.ok, f"expected {code}, but the example is valid: {shown}"
        assert code in {d.code for d in report.diagnostics if d.is_error}, shown
    else:
        assert report.ok, shown
        if mark == "warns":
            assert code in {d.code for d in report.diagnostics}, shown
    if code != "GS109":  # an example that uses what 1.1 adds declares it
        assert "GS109" not in {d.code for d in report.diagnostics}, shown


def _listed(name: str) -> set[str]:
    text = (ROOT / "docs" / "language.md").read_text()
    match = re.search(rf"<!-- list: {name} -->(.*?)<!-- end list -->", text, re.S)
    assert match, f"docs/language.md has no '<!-- list: {name} -->' section"
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", match[1]))


def test_expr_functions_are_the_whitelist() -> None:
    assert _listed("expr-functions") == set(ALLOWED_FUNCTIONS)


def test_static_shape_layers_are_the_rules() -> None:
    assert _listed("shape-rules") == set(known_layers())


def test_caps_are_the_limits() -> None:
    text = (ROOT / "docs" / "language.md").read_text()
    for flag in Limits.flags():
        assert f"--{flag.replace('_', '-')}" in text, flag


def _link_targets(text: str) -> list[str]:
    """The targets of the Markdown links outside code."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return list(_LINK.findall(text))


def _is_url(target: str) -> bool:
    return re.match(r"[a-z][a-z0-9+.-]*:", target) is not None


def _relative_links(text: str) -> list[str]:
    """The targets of the Markdown links outside code that are neither URLs nor anchors."""
    return [t for t in _link_targets(text) if not _is_url(t) and not t.startswith("#")]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_no_link_leaves_the_repository_by_url(path: Path) -> None:
    """A clone is all a user has: what README.md and docs/ point to must be in it."""
    assert [t for t in _link_targets(path.read_text()) if _is_url(t)] == []


DOCS_FILES = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").rglob("*") if p.is_file() and p.suffix != ".png"),
]
"""Every text file a reader gets in README.md and docs/: Markdown, examples, pictures' text."""


@pytest.mark.parametrize("path", DOCS_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_address_outside_the_repository_even_in_code(path: Path) -> None:
    """Not even an example configuration sends a reader to a web address: a clone has no
    home page yet, and an example that needs a location uses a path."""
    assert re.findall(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", path.read_text()) == []


def test_relative_links_are_found() -> None:
    text = (
        "[a](docs/a.md) ![img](x.png) [b](https://x.org) [c](#here) `[d](e.md)`\n"
        "```\n[f](g.md)\n```\n[h](../shared/DESIGN.md#top)"
    )
    assert _relative_links(text) == ["docs/a.md", "../shared/DESIGN.md#top"]


def _links() -> list[tuple[str, str]]:
    return [
        (path.relative_to(ROOT).as_posix(), target)
        for path in DOCUMENTS
        for target in _relative_links(path.read_text())
    ]


@pytest.mark.parametrize(("document", "target"), _links())
def test_relative_link_names_a_file_of_the_repository(document: str, target: str) -> None:
    relative = target.split("#", 1)[0]
    resolved = ((ROOT / document).parent / relative).resolve()
    assert resolved.is_relative_to(ROOT.resolve()), f"{document}: {target} leaves the repository"
    assert resolved.exists(), f"{document}: {target} names no file"
