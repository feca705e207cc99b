"""Where a token ends: graphspec reports where a value or key starts (1-based line and
column, `graphspec.read.source`); an editor underlines a range, so the range covers the whole
scalar, quoted string, flow collection or key that starts there. Read from the text alone, so
it works on a spec that does not read (a syntax error mid-edit) as well."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence

Span = tuple[int, int, int, int]
"""A range as (start line, start column, end line, end column): 0-based, the end exclusive,
columns in characters (code points) of the line."""

_QUOTES = "\"'"
_OPENERS = {"[": "]", "{": "}"}


def _quoted_end(lines: Sequence[str], row: int, col: int) -> tuple[int, int]:
    """The end of the quoted scalar whose opening quote is at (row, col), 0-based."""
    quote = lines[row][col]
    i = col + 1
    while row < len(lines):
        text = lines[row]
        while i < len(text):
            char = text[i]
            if quote == '"' and char == "\\":
                i += 2
                continue
            if char == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return row, i + 1
            i += 1
        if row + 1 >= len(lines):
            return row, len(text)
        row, i = row + 1, 0
    return row, i


def _flow_end(lines: Sequence[str], row: int, col: int, max_lines: int = 200) -> tuple[int, int]:
    """The end of the flow collection opened at (row, col), past its closing bracket; the end
    of the line when it does not close within `max_lines` lines (mid-edit)."""
    depth = 0
    first = row
    i = col
    while row < len(lines) and row - first < max_lines:
        text = lines[row]
        while i < len(text):
            char = text[i]
            if char in _QUOTES:
                end_row, end_col = _quoted_end(lines, row, i)
                if end_row != row:
                    row, i = end_row, end_col
                    text = lines[row]
                    continue
                i = end_col
                continue
            if char == "#" and (i == 0 or text[i - 1] in " \t"):
                break
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return row, i + 1
            i += 1
        row, i = row + 1, 0
    return first, len(lines[first].rstrip())


@functools.lru_cache(maxsize=16)
def _flow_marks(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where a line's flow depth changes (at each bracket outside quotes), and the depth after
    each change: read once per line, so a spec written on one long line (minified, 10^5
    characters) does not cost a scan of the line per token."""
    positions: list[int] = []
    depths: list[int] = []
    depth = 0
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char in "[{]}":
            depth += 1 if char in "[{" else -1
            positions.append(index)
            depths.append(depth)
    return tuple(positions), tuple(depths)


def _in_flow(text: str, col: int) -> bool:
    """Whether (col) on this line stands inside a flow collection opened on the same line."""
    if "[" not in text and "{" not in text:
        return False
    positions, depths = _flow_marks(text)
    before = bisect.bisect_left(positions, col)  # the brackets before `col`
    return before > 0 and depths[before - 1] > 0


def _plain_end(text: str, col: int) -> int:
    """The end of the plain scalar at `col`: before a comment, a `: ` (it is a key), and, in
    a flow collection, before `,`, `]` or `}`; trailing blanks left out."""
    flow = _in_flow(text, col)
    i = col
    while i < len(text):
        char = text[i]
        after = text[i + 1 : i + 2]
        if char == "#" and i > col and text[i - 1] in " \t":
            break
        if char == ":" and (after in ("", " ", "\t") or (flow and after in ",]}")):
            break
        if flow and char in ",]}":
            break
        i += 1
    while i > col and text[i - 1] in " \t":
        i -= 1
    return i


def token_span(lines: Sequence[str], line: int, column: int) -> Span:
    """The range of the token that starts at 1-based (line, column): a quoted string with its
    quotes, a flow collection with its brackets, a plain scalar or key; a block sequence's
    `- ` marker or a position past the line's end gives one character (or none)."""
    row, col = max(line - 1, 0), max(column - 1, 0)
    if row >= len(lines):
        last = max(len(lines) - 1, 0)
        end = len(lines[last]) if lines else 0
        return last, end, last, end
    text = lines[row]
    if col >= len(text):
        return row, len(text), row, len(text)
    char = text[col]
    if char in _QUOTES:
        end_row, end_col = _quoted_end(lines, row, col)
        return row, col, end_row, end_col
    if char in _OPENERS:
        end_row, end_col = _flow_end(lines, row, col)
        return row, col, end_row, end_col
    if char == "-" and text[col + 1 : col + 2] in ("", " "):
        return row, col, row, col + 1
    if char in "&*!":  # an anchor, alias or tag: its name
        end = col + 1
        while end < len(text) and text[end] not in " \t,[]{}":
            end += 1
        return row, col, row, end
    end = _plain_end(text, col)
    return row, col, row, max(end, col + 1)


_WORD = re.compile(r"[\w.]+")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def inner_span(text: str, col: int, limit: int) -> tuple[int, int]:
    """The part of a scalar's text a diagnostic points into (an expression's offending piece):
    a bracketed group, a quoted string, or a word or number (`eval`, `a.__class__`, `1e999`),
    never past `limit` (the scalar's end); one character when nothing else fits."""
    char = text[col : col + 1]
    end = col + 1
    if char in _CLOSERS:
        depth = 0
        for index in range(col, limit):
            if text[index] in _CLOSERS:
                depth += 1
            elif text[index] in _CLOSERS.values():
                depth -= 1
                if depth == 0:
                    end = index + 1
                    break
        else:
            end = limit
    elif char in _QUOTES:
        close = text.find(char, col + 1, limit)
        end = close + 1 if close > 0 else limit
    else:
        word = _WORD.match(text, col, limit)
        if word is not None:
            end = word.end()
    return col, max(min(end, limit), col + 1)


UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
"""The position encodings of LSP 3.17: what a column counts (UTF-16 unless both sides agree
on another)."""


def to_units(text: str, column: int, encoding: str = UTF16) -> int:
    """A 0-based character column of `text` in the negotiated encoding's units."""
    if text.isascii() or encoding == UTF32:
        return column
    if encoding == UTF8:
        return len(text[:column].encode("utf-8", "surrogatepass"))
    return len(text[:column].encode("utf-16-le", "surrogatepass")) // 2


def from_units(text: str, units: int, encoding: str = UTF16) -> int:
    """A column in the negotiated encoding's units (from the client) as a character column."""
    if text.isascii() or encoding == UTF32:
        return units
    count = 0
    for index, char in enumerate(text):
        if count >= units:
            return index
        if encoding == UTF8:
            count += len(char.encode("utf-8", "surrogatepass"))
        else:
            count += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def utf16_column(text: str, column: int) -> int:
    """A 0-based character column as UTF-16 code units (the LSP's default unit)."""
    return to_units(text, column, UTF16)


def character_column(text: str, units: int) -> int:
    """A 0-based UTF-16 column (from the client) as a character column of `text`."""
    return from_units(text, units, UTF16)
