"""Every request on every prefix of a spec (as if typed from the top) and on specs with a
line deleted: nothing raises. In this process, on the features the server calls."""

from __future__ import annotations

import contextlib

import pytest
from lsprotocol import types

from graphspec.lsp import features
from graphspec.lsp.completion import completion
from graphspec.lsp.document import Document, analyse_text
from graphspec.read.source import split_lines
from graphspec.settings import Options
from tests.conftest import SPECS
from tests.lsp.test_completion import JSON_SPEC
from tests.lsp.test_names import HEADS
from tests.lsp.test_names import SPEC as NAMES
from tests.lsp.test_server import SPEC

OPTIONS = Options()
SEED = (SPECS / "seeds" / "seed001_ensemble_pruned.yaml").read_text(encoding="utf-8")


def every_request(document: Document, text: str) -> int:
    """Ask everything everywhere; how many answers were not empty."""
    lines = split_lines(text) or [""]
    answered = 0
    for row in range(len(lines)):
        for column in (0, 4, len(lines[row]) // 2, len(lines[row]) + 3):
            where = types.Position(row, column)
            answered += features.hover(document, where, OPTIONS) is not None
            answered += bool(features.definition(document, where))
            answered += bool(features.references(document, where, True))
            answered += bool(completion(document, text, where, OPTIONS))
            with contextlib.suppress(features.RenameRefused):
                answered += features.rename(document, text, where, "renamed") is not None
    return answered + bool(features.document_symbols(document))


@pytest.mark.parametrize(
    "original",
    [SPEC, SEED, NAMES, HEADS, "\ufeff" + JSON_SPEC, SPEC.replace("\n", "\r\n")],
    ids=["demo", "seed", "expressions", "monitors", "json-bom", "crlf"],
)
def test_typing_a_spec_from_the_top_never_raises(original: str) -> None:
    document = Document("file:///typed.yaml", "typed.yaml")
    answered = 0
    for cut in [*range(0, len(original), 7), len(original)]:
        text = original[:cut]
        analysis = analyse_text(text, "typed.yaml", OPTIONS)
        document.record(analysis)
        features.lsp_diagnostics(analysis, document.uri, document.file)
        answered += every_request(document, text)
    assert document.sound is not None and answered > len(original)  # an answer a character


def test_a_spec_missing_any_one_line_never_raises() -> None:
    lines = SPEC.splitlines(keepends=True)
    document = Document("file:///cut.yaml", "cut.yaml")
    answered = 0
    for index in range(len(lines)):
        text = "".join(lines[:index] + lines[index + 1 :])
        analysis = analyse_text(text, "cut.yaml", OPTIONS)
        document.record(analysis)
        features.lsp_diagnostics(analysis, document.uri, document.file)
        answered += every_request(document, text)
    assert answered > 500
