"""Lookup vocabularies: inline lists checked, files (`vocabulary: {file: ...}`) read once.

Every StringLookup, IntegerLookup and TextVectorization the spec declares (block instances
with their parameters substituted included) is looked at: an inline list must be tokens
Keras accepts (GS610), a file must be readable from the spec's folder (GS022-GS025, read by
`graphspec.read.vocabulary`) and hold such tokens. The tokens read go into
`Analysis.vocabularies`, then the Plan, so that the shape rules count them and emit gives
Keras the list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphspec.analyse.backends import declared_layers
from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.read.vocabulary import (
    VOCABULARY_LAYERS,
    VocabularyProblem,
    file_reference,
    load_vocabulary,
    spec_folder,
    token_problem,
)
from graphspec.spec.forms import BlockNode, SharedBlock
from graphspec.spec.model import Spec
from graphspec.spec.params import PLACEHOLDER

_FORMS = "a list of tokens, or {file: path} (a file next to the spec, one token per line)"
_TOKENS_HINT = (
    "list each token once: strings for StringLookup and TextVectorization, integers for "
    "IntegerLookup (the out-of-vocabulary and mask tokens are added by Keras)"
)


def _placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER.search(value) is not None


def _parameter_files(spec: Spec) -> Iterator[tuple[SpecPath, str]]:
    """``{file: ...}`` given as a block parameter's default or in a ``with:``: read too, so a
    block's lookup gets its tokens once the parameter is substituted."""
    for name, block in spec.blocks.items():
        for param, value in block.params.items():
            if (written := file_reference(value)) is not None:
                yield ("blocks", name, "params", param, "file"), written
    callers: list[tuple[SpecPath, Mapping[str, Any]]] = [
        (("shared", name), entry.with_)
        for name, entry in spec.shared.items()
        if isinstance(entry, SharedBlock)
    ]
    callers += [
        ((*base, "nodes", name), node.with_)
        for base, name, node in spec.walk()
        if isinstance(node, BlockNode)
    ]
    for path, arguments in callers:
        for param, value in arguments.items():
            if (written := file_reference(value)) is not None:
                yield (*path, "with", param, "file"), written


class _Reader(Reporter):
    """Reads each vocabulary file once, however many layers name it."""

    def __init__(self, analysis: Analysis) -> None:
        spec = analysis.spec
        super().__init__(spec.source)
        self.folder = spec_folder(spec.source.file if spec.source else None)
        self.limit = analysis.options.limits.max_vocabulary_bytes
        self.read: dict[str, tuple[str, ...] | VocabularyProblem] = {}

    def tokens(self, written: str, at: SpecPath) -> tuple[str, ...] | None:
        """The file's tokens, or None once its problem is reported at ``at``."""
        if written not in self.read:
            self.read[written] = load_vocabulary(self.folder, written, self.limit)
        found = self.read[written]
        if isinstance(found, VocabularyProblem):
            self.error(found.code, found.message, at, found.hint, once=True)
            return None
        return found

    def layer(self, path: SpecPath, layer: str, value: Any) -> tuple[str, tuple[str, ...]] | None:
        """Check one layer's vocabulary; a file's path and tokens when it names a good one."""
        at: SpecPath = (*path, "vocabulary")
        if isinstance(value, list):
            problem = token_problem(layer, value, lines=False)
            if problem is not None:
                index, why = problem
                where = (*at, index) if value else at
                message = f"{layer} vocabulary: {why}"
                self.error(codes.VOCABULARY_TOKENS, message, where, _TOKENS_HINT, once=True)
            return None
        written = file_reference(value)
        if written is None:
            if not _placeholder(value):
                _bad_form(self, layer, value, at)
            return None
        tokens = self.tokens(written, (*at, "file"))
        if tokens is None:
            return None
        problem = token_problem(layer, tokens, lines=True)
        if problem is not None:
            message = f"{layer} vocabulary file '{written}': {problem[1]}"
            self.error(codes.VOCABULARY_TOKENS, message, (*at, "file"), _TOKENS_HINT, once=True)
            return None
        return written, tokens


def read_vocabularies(analysis: Analysis) -> list[Diagnostic]:
    """Check inline vocabularies and read vocabulary files into `Analysis.vocabularies`."""
    reader = _Reader(analysis)
    for at, written in _parameter_files(analysis.spec):
        tokens = reader.tokens(written, at)
        if tokens is not None:
            analysis.vocabularies[written] = tokens
    for path, layer, args in declared_layers(analysis):
        if layer in VOCABULARY_LAYERS and args.get("vocabulary") is not None:
            found = reader.layer(path, layer, args["vocabulary"])
            if found is not None:
                analysis.vocabularies[found[0]] = found[1]
    return reader.diagnostics


def _bad_form(report: Reporter, layer: str, value: Any, at: SpecPath) -> None:
    if isinstance(value, str):
        message = (
            f"'vocabulary' of {layer} takes {_FORMS}; a bare string would be a path Keras "
            "reads from the working directory"
        )
        hint = f"write vocabulary: {{file: {value}}}"
    else:
        keys = f" with keys {sorted(value)}" if isinstance(value, Mapping) else ""
        message = f"'vocabulary' of {layer} takes {_FORMS}; received {type(value).__name__}{keys}"
        hint = "write vocabulary: [a, b, c] or vocabulary: {file: vocab/tokens.txt}"
    report.error(codes.BAD_ARGUMENT_VALUE, message, at, hint, once=True)
