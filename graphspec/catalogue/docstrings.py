"""One-line descriptions of Keras layers and their arguments, read from Keras' docstrings.

Keras 3 writes Google-style docstrings: an ``Args:`` section of ``name: text`` entries whose
continuation lines are indented deeper. The catalogue generator keeps, per argument, the first
sentence of its entry (whitespace collapsed, Markdown links reduced to their text, backticks
kept) and, per layer, the docstring's first sentence, so the JSON Schema can show them in an
editor. Plain text work on classes already imported: this module never imports Keras.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = [
    "DESCRIPTION_LIMIT",
    "QUORUM",
    "class_argument_docs",
    "class_summary",
    "consensus",
    "describe_arguments",
    "docstring_arguments",
    "summarise",
]

DESCRIPTION_LIMIT = 160
"""Longest description kept, in characters (the ellipsis included)."""
QUORUM = 5
"""Fewest layers that must document an argument alike before others borrow the description."""
_SHORT = 40
"""A first sentence shorter than this ("Float between 0 and 1.") takes the next one too."""

_ARGS_HEADER = re.compile(r"(?P<indent>[ \t]*)(?:Args|Arguments):[ \t]*")
_ENTRY = re.compile(
    r"(?P<names>\*{0,2}\w+(?:[ \t]*,[ \t]*\*{0,2}\w+)*)"
    r"[ \t]*(?:\([^)]*\))?[ \t]*:(?:\s+(?P<text>.*))?"
)
"""``units: text``, ``axis (int): text``, ``kernel_size, strides: text``, ``**kwargs: text``."""
_LINK = re.compile(r"\[([^\]]+)\]\(\s*[^)]*\)")
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bie)(?<!\beg)(?<!\betc)(?<!\bvs)(?<!\bcf)\.(?=\s|$)"
)
"""A full stop followed by a space or the end, not one of an abbreviation (``e.g.``, ``ie.``)."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def docstring_arguments(doc: str | None) -> dict[str, str]:
    """The entries of a docstring's ``Args:`` sections: name → text, paragraphs split by
    blank lines; the first entry of a name wins, ``*args``/``**kwargs`` are left out."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    found: dict[str, list[str]] = {}
    index = 0
    while index < len(lines):
        header = _ARGS_HEADER.fullmatch(lines[index])
        index += 1
        if header is None:
            continue
        base, entry_indent, current = len(header["indent"]), None, None
        while index < len(lines):
            line = lines[index]
            if line.strip() and _indent(line) <= base:
                break  # the next section ("Returns:", "Input shape:") or prose
            index += 1
            if not line.strip():
                if current is not None:
                    current.append("")
                continue
            entry_indent = _indent(line) if entry_indent is None else entry_indent
            # One space of slack: Conv3DTranspose's `output_padding` entry is indented by 9.
            entry = _ENTRY.fullmatch(line.strip()) if _indent(line) <= entry_indent + 1 else None
            if entry is None:
                if current is not None:
                    current.append(line.strip())
                continue
            current = [entry["text"] or ""]
            for name in re.split(r"[ \t]*,[ \t]*", entry["names"]):
                if not name.startswith("*"):
                    found.setdefault(name, current)
    return {name: "\n".join(text).strip() for name, text in found.items() if "".join(text)}


def summarise(text: str | None, limit: int = DESCRIPTION_LIMIT) -> str | None:
    """One line from a docstring passage: its first sentence (two when the first is short),
    whitespace collapsed, ``[text](url)`` reduced to ``text``, cut at ``limit`` with "…"."""
    if not text:
        return None
    paragraph = re.split(r"\n[ \t]*\n", text.strip(), maxsplit=1)[0]
    flat = " ".join(_LINK.sub(r"\1", paragraph).split())
    line = flat
    for stop in _SENTENCE_END.finditer(flat):
        if stop.end() >= _SHORT:
            line = flat[: stop.end()]
            break
    if len(line) > limit:
        cut = line[: limit - 1].rsplit(" ", 1)[0]
        if cut.count("`") % 2:  # do not leave a code span open
            cut = cut[: cut.rindex("`")]
        cut = cut.rstrip(" ,;:")
        line = f"{cut}…"
    return line or None


def class_summary(cls: type) -> str | None:
    """The first sentence of the class's own docstring (an inherited one would mislead)."""
    doc = vars(cls).get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    first = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return summarise(first)


def class_argument_docs(cls: type, stop: type) -> dict[str, str]:
    """Argument entries documented for ``cls``: its docstring and its ``__init__``'s, then
    each base class's along the MRO down to ``stop`` (included); the nearest wins."""
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        for doc in (vars(klass).get("__doc__"), getattr(init, "__doc__", None)):
            for name, text in docstring_arguments(doc if isinstance(doc, str) else None).items():
                docs.setdefault(name, text)
        if klass is stop:
            break
    return docs


def consensus(descriptions: Iterable[str], quorum: int = QUORUM) -> str | None:
    """The description more than half of ``descriptions``, and at least ``quorum`` of them,
    give; None when they disagree or are too few to call it a Keras convention."""
    counts = Counter(descriptions)
    total = sum(counts.values())
    best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if best and best[0][1] >= quorum and best[0][1] * 2 > total:
        return best[0][0]
    return None


def describe_arguments(entries: Iterable[dict[str, object]], documented: Mapping[str, str]) -> None:
    """Add a ``description`` to each argument entry that ``documented`` summarises."""
    for entry in entries:
        description = summarise(documented.get(str(entry["name"])))
        if description is not None:
            entry["description"] = description
