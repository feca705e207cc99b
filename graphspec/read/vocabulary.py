"""Vocabulary files: ``vocabulary: {file: vocab/cities.txt}`` on StringLookup, IntegerLookup
and TextVectorization, read relative to the spec's folder.

A file holds one token per line, UTF-8 (a byte order mark is dropped), each line ending in
``\\n`` or ``\\r\\n``; the last line's end is optional. `validate` reads it, so the number of
tokens feeds the shape rules, and the Plan carries the tokens, so a built model (and the
``.keras`` file saved from it) holds the list, never a path. The path is refused when it is
absolute or leaves the spec's folder (``..``, or a symlink resolving outside), and the file
when it is larger than ``Limits.max_vocabulary_bytes``. Stdlib only: `validate` imports it.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from graphspec.diagnostics import Code, codes

VOCABULARY_LAYERS = frozenset({"StringLookup", "IntegerLookup", "TextVectorization"})
"""The layers whose ``vocabulary`` argument may name a file."""
FILE_KEY = "file"


@dataclass(frozen=True)
class VocabularyProblem:
    """Why a vocabulary file cannot be used: its code, the message and what to do."""

    code: Code
    message: str
    hint: str


def file_reference(value: Any) -> str | None:
    """The path of ``{file: path}``, or None for any other value (an inline list...)."""
    if isinstance(value, Mapping) and set(value) == {FILE_KEY}:
        path = value[FILE_KEY]
        return path if isinstance(path, str) else None
    return None


def spec_folder(file: str | None) -> Path | None:
    """The folder vocabulary paths are relative to: that of the spec file, when the spec came
    from a file (text checked under a name that is no file has none)."""
    if file is None:
        return None
    path = Path(file)
    # the folder the spec is in as named (a symlinked spec reads next to the link)
    return path.absolute().parent.resolve() if path.is_file() else None


def _absolute(written: str) -> bool:
    return PurePosixPath(written).is_absolute() or PureWindowsPath(written).is_absolute()


def locate(folder: Path | None, written: str) -> Path | VocabularyProblem:
    """The file ``written`` names inside ``folder``, or why it is refused."""
    if folder is None:
        return VocabularyProblem(
            codes.VOCABULARY_PATH,
            f"vocabulary file '{written}' cannot be read: the spec was given as text, not a "
            "file, so it has no folder to read it from",
            "check the spec as a file, or write the tokens inline: vocabulary: [a, b, c]",
        )
    if not written or _absolute(written) or PureWindowsPath(written).drive:
        return VocabularyProblem(
            codes.VOCABULARY_PATH,
            f"vocabulary file '{written}' must be a path relative to the spec's folder",
            "write the path from the spec's folder, e.g. vocab/cities.txt",
        )
    target = (folder / written).resolve()
    if not target.is_relative_to(folder):
        return VocabularyProblem(
            codes.VOCABULARY_PATH,
            f"vocabulary file '{written}' leaves the spec's folder",
            "keep vocabulary files in the spec's folder or below it (no '..', no symlink out)",
        )
    return target


def read_tokens(path: Path, written: str, max_bytes: int) -> tuple[str, ...] | VocabularyProblem:
    """The tokens of one vocabulary file, one per line, or why it cannot be read."""
    try:
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, "no such file")
        if not path.is_file():  # a folder, or a FIFO that would block the read
            raise IsADirectoryError(errno.EISDIR, "not a regular file")
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        return VocabularyProblem(
            codes.VOCABULARY_UNREADABLE,
            f"vocabulary file '{written}' cannot be read: {reason}",
            "check the path (relative to the spec's folder) and the file's permissions",
        )
    if len(raw) > max_bytes:
        return VocabularyProblem(
            codes.VOCABULARY_TOO_LARGE,
            f"vocabulary file '{written}' is larger than the cap of {max_bytes:,} bytes",
            "trim the vocabulary (max_tokens keeps the most frequent), or raise the cap with "
            "--max-vocabulary-bytes",
        )
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        return VocabularyProblem(
            codes.VOCABULARY_ENCODING,
            f"vocabulary file '{written}' is not UTF-8 text (byte {error.start})",
            "save it as UTF-8, one token per line",
        )
    if "\0" in text:
        return VocabularyProblem(
            codes.VOCABULARY_ENCODING,
            f"vocabulary file '{written}' holds a NUL byte: it is not text",
            "save it as UTF-8, one token per line",
        )
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the last line's end
    return tuple(line.removesuffix("\r") for line in lines)


def load_vocabulary(
    folder: Path | None, written: str, max_bytes: int
) -> tuple[str, ...] | VocabularyProblem:
    """``{file: written}`` resolved and read: its tokens, or why not."""
    located = locate(folder, written)
    if isinstance(located, VocabularyProblem):
        return located
    return read_tokens(located, written, max_bytes)


def token_problem(layer: str, tokens: Sequence[Any], lines: bool) -> tuple[int, str] | None:
    """Why Keras would refuse these tokens as ``layer``'s vocabulary, or None: an empty list,
    a repeated or empty token, a token of the wrong type (``lines``: they come from a file, so
    IntegerLookup's are integers written as text). With the index of the token at fault."""
    if not tokens:
        return 0, "the vocabulary is empty"
    where = "line" if lines else "item"
    first = 1 if lines else 0
    seen: dict[Any, int] = {}
    for index, token in enumerate(tokens):
        value = token
        if layer == "IntegerLookup":
            value = _integer(token) if lines else token
            if value is None or isinstance(value, bool) or not isinstance(value, int):
                return index, f"{where} {index + first} ({token!r}) is not an integer"
        elif not isinstance(token, str):
            return index, f"{where} {index + first} ({token!r}) is not a string"
        elif token == "":
            return index, f"{where} {index + first} is empty"
        if value in seen:
            return index, (
                f"{where} {index + first} repeats {token!r} ({where} {seen[value] + first}); "
                "Keras refuses a repeated token"
            )
        seen[value] = index
    return None


def _integer(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def tokens_for(layer: str, tokens: Sequence[str]) -> list[Any]:
    """A file's tokens as the layer's constructor takes them (IntegerLookup: integers)."""
    if layer == "IntegerLookup":
        return [int(token.strip()) for token in tokens]
    return list(tokens)


def inline_vocabulary(
    layer: str, args: Mapping[str, Any], files: Mapping[str, tuple[str, ...]]
) -> Mapping[str, Any]:
    """``args`` with ``vocabulary: {file: ...}`` replaced by the file's tokens (read by the
    analysis into ``files``, keyed by the path as written); other arguments unchanged.

    What emit gives Keras, and what a shape rule should read (its ``vocabulary_size``
    then counts an inline list whatever the spec wrote)."""
    written = file_reference(args.get("vocabulary"))
    if layer not in VOCABULARY_LAYERS or written is None or written not in files:
        return args
    return {**args, "vocabulary": tokens_for(layer, files[written])}


def vocabulary_size(args: Mapping[str, Any], files: Mapping[str, tuple[str, ...]]) -> int | None:
    """How many tokens ``vocabulary`` gives (inline, or a file already read); None when it is
    not written or not known (a ``${param}``)."""
    value = args.get("vocabulary")
    written = file_reference(value)
    if written is not None:
        tokens = files.get(written)
        return None if tokens is None else len(tokens)
    return len(value) if isinstance(value, list) else None
