"""Load stage: YAML or JSON text to plain values plus the file position of every spec path.

Only PyYAML's safe composer is used (the C one when present); graphspec resolves scalars
itself by the YAML 1.2 core schema, so `no` stays a string and `1e-3` is a number, and it
rejects what is not plain data: custom tags, aliases, merge keys, duplicate and non-string keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecPath, codes, format_path
from graphspec.settings import DEFAULT_LIMITS, Limits

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_CORE = "tag:yaml.org,2002:"
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}
_SPECIAL: dict[str, Any] = {
    **dict.fromkeys(_NULLS),
    **dict.fromkeys(_TRUES, True),
    **dict.fromkeys(_FALSES, False),
}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NONFINITE = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_MAX_DIGITS = 40


_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Lines as YAML numbers them (str.splitlines also breaks at \\v, \\f and \\x1c-\\x1e)."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


@dataclass(frozen=True)
class SourceTree:
    """A loaded spec file: its plain values and where each one stands in the file."""

    file: str
    text: str
    data: Any
    positions: Mapping[SpecPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: Mapping[SpecPath, tuple[int, int]] = field(default_factory=dict)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines as YAML counts them, split once on first use."""
        return split_lines(self.text)

    def line(self, number: int) -> str:
        """Line `number` (1-based) of the text, or '' past its end."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def locate(self, path: SpecPath) -> Location:
        """Position of the value at ``path``, or of its closest enclosing value."""
        return self._find(path, self.positions)

    def locate_key(self, path: SpecPath) -> Location:
        """Position of the mapping key that holds ``path`` (falls back to the value)."""
        if path in self.key_positions:
            line, column = self.key_positions[path]
            return Location(self.file, line, column)
        return self.locate(path)

    def _find(self, path: SpecPath, table: Mapping[SpecPath, tuple[int, int]]) -> Location:
        for end in range(len(path), -1, -1):
            found = table.get(path[:end])
            if found is not None:
                return Location(self.file, found[0], found[1])
        return Location(self.file, 1, 1)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: loading and checking make many objects but no
    cycles, and collections they trigger cost a third of the time on large specs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _LoadError(Exception):
    def __init__(
        self,
        code: Code,
        message: str,
        line: int,
        column: int,
        hint: str | None = None,
        related: tuple[tuple[int, int], ...] = (),
    ):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.line, self.column, self.related = line, column, related


def _mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _resolve_plain(text: str, event: yaml.Event) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema."""
    if text in _SPECIAL:
        return _SPECIAL[text]
    first = text[:1]
    if first.isalpha() or first == "_":  # names and words: never a number in YAML 1.2
        return text
    if _NONFINITE.fullmatch(text):
        raise _LoadError(codes.BAD_NUMBER, f"'{text}' is not a finite number", *_mark(event))
    if _INT.fullmatch(text) or _OCT.fullmatch(text) or _HEX.fullmatch(text):
        if len(text) > _MAX_DIGITS:
            raise _LoadError(
                codes.BAD_NUMBER, f"integer with {len(text)} digits is too large", *_mark(event)
            )
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.fullmatch(text):
        if len(text) > _MAX_DIGITS:
            raise _LoadError(
                codes.BAD_NUMBER, f"number with {len(text)} digits is too long", *_mark(event)
            )
        number = float(text)
        if not math.isfinite(number):
            raise _LoadError(codes.BAD_NUMBER, f"'{text}' is too large for a number", *_mark(event))
        return number
    return text


_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence while the event stream is walked."""

    value: dict[str, Any] | list[Any]
    path: SpecPath
    is_mapping: bool
    key: str | None = None
    key_path: SpecPath = ()


_ANCHOR_HINT = "write the value out, or use a 'shared' entry or a 'block' for reuse"


class _Builder:
    """Builds plain values from PyYAML's event stream, iteratively (no recursion to exhaust).

    Working on events rather than composed nodes lets graphspec refuse anchors, aliases and
    excessive nesting where they appear, before anything is expanded.
    """

    def __init__(self, limits: Limits, text: str = "") -> None:
        self.limits = limits
        self.text = text
        self.positions: dict[SpecPath, tuple[int, int]] = {}
        self.key_positions: dict[SpecPath, tuple[int, int]] = {}

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        plain, quoted = event.implicit
        if plain:
            return _resolve_plain(event.value, event)
        if quoted or event.tag in ("!", _CORE + "str"):
            return event.value
        raise _LoadError(
            codes.YAML_TAG,
            f"YAML tag '{event.tag}' is not allowed; a spec holds plain data only",
            *_mark(event),
        )

    def check_collection(self, event: yaml.CollectionStartEvent, kind: str) -> None:
        if not event.implicit and event.tag not in (None, "!", _CORE + kind):
            raise _LoadError(
                codes.YAML_TAG,
                f"YAML tag '{event.tag}' is not allowed; a spec holds plain data only",
                *_mark(event),
            )

    def build(self, events: Any) -> Any:
        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        for event in events:
            kind = type(event)
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _LoadError(
                        codes.SYNTAX,
                        "a spec file holds one YAML document, but this one has several",
                        *_mark(event),
                    )
                continue
            if kind is yaml.AliasEvent:
                raise _LoadError(
                    codes.YAML_ALIAS,
                    f"YAML alias '*{event.anchor}' is not allowed in a spec",
                    *_mark(event),
                    hint=_ANCHOR_HINT,
                )
            if kind not in _NODE_EVENTS:  # stream and document boundaries
                continue
            if event.anchor is not None:
                raise _LoadError(
                    codes.YAML_ALIAS,
                    f"YAML anchor '&{event.anchor}' is not allowed in a spec",
                    *_mark(event),
                    hint=_ANCHOR_HINT,
                )
            frame = stack[-1] if stack else None
            if frame is not None and frame.key is None and frame.is_mapping:
                text = event.value if kind is yaml.ScalarEvent else ""
                if (
                    text[:1].isalpha()
                    and event.implicit[0]
                    and text not in _SPECIAL
                    and text not in frame.value
                ):  # the common case inline: a plain, new, word-like key
                    child = (*frame.path, text)
                    mark = event.start_mark
                    self.key_positions[child] = (mark.line + 1, mark.column + 1)
                    frame.key = text
                    frame.key_path = child
                else:
                    self.take_key(event, frame)
                continue
            value: Any
            if kind is yaml.ScalarEvent:
                # the common case inline: a plain word, or a quoted string
                plain = event.implicit[0]
                text = event.value
                if (plain and text[:1].isalpha() and text not in _SPECIAL) or (
                    not plain and event.implicit[1]
                ):
                    value = text
                else:
                    value = self.scalar(event)
            elif kind is yaml.MappingStartEvent:
                self.check_collection(event, "map")
                value = {}
            else:
                assert isinstance(event, yaml.SequenceStartEvent)
                self.check_collection(event, "seq")
                value = []
            if frame is None:
                path: SpecPath = ()
                root = value
            elif frame.key is not None:  # a mapping's value
                path = frame.key_path
                frame.value[frame.key] = value  # type: ignore[call-overload]
                frame.key = None
            else:
                assert isinstance(frame.value, list)
                path = (*frame.path, len(frame.value))
                frame.value.append(value)
            mark = event.start_mark
            self.positions[path] = (mark.line + 1, mark.column + 1)
            if kind is not yaml.ScalarEvent:
                if len(stack) >= self.limits.max_depth:
                    raise _LoadError(
                        codes.NESTED_TOO_DEEP,
                        f"the spec nests deeper than {self.limits.max_depth} levels",
                        *_mark(event),
                        hint="a spec needs only a few levels; raise the cap with --max-depth",
                    )
                stack.append(_Frame(value, path, kind is yaml.MappingStartEvent))
        if documents == 0:
            raise _LoadError(
                codes.NOT_A_MAPPING, "the file is empty; expected a spec mapping", 1, 1
            )
        return root

    def take_key(self, event: yaml.NodeEvent, frame: _Frame) -> None:
        assert isinstance(frame.value, dict)
        if not isinstance(event, yaml.ScalarEvent):
            raise _LoadError(
                codes.NON_STRING_KEY, "mapping keys must be plain strings", *_mark(event)
            )
        if event.implicit[0] and event.value == "<<":
            raise _LoadError(
                codes.YAML_ALIAS, "YAML merge keys (<<) are not allowed", *_mark(event)
            )
        key = self.scalar(event)
        if not isinstance(key, str):
            _refuse_split_tuple(frame.value, event, self.text)
            raise _LoadError(
                codes.NON_STRING_KEY,
                f"mapping key {event.value!r} is read as {type(key).__name__}, not a string",
                *_mark(event),
                hint=f"quote it: '\"{event.value}\"'",
            )
        child = (*frame.path, key)
        if key in frame.value:
            first = self.key_positions[child]
            raise _LoadError(
                codes.DUPLICATE_KEY,
                f"duplicate key '{key}' in '{format_path(frame.path)}' (first at line {first[0]})",
                *_mark(event),
                hint="each key may appear once; YAML would silently keep only the last one",
                related=(first,),
            )
        self.key_positions[child] = _mark(event)
        frame.key = key
        frame.key_path = child


def _looks_like_json(file: str, text: str) -> bool:
    suffix = Path(file).suffix.lower()
    if suffix == ".json":
        return True
    if suffix in (".yaml", ".yml"):
        return False
    return text.lstrip().startswith("{")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a finite number")


def _check_json(file: str, text: str) -> list[Diagnostic]:
    """Strict JSON syntax and no NaN/Infinity; duplicate keys are found with positions later."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return [_diag(file, codes.SYNTAX, f"invalid JSON: {error.msg}", error.lineno, error.colno)]
    except RecursionError:
        message = "the JSON nests too deeply to read"
        return [_diag(file, codes.NESTED_TOO_DEEP, message, 1, 1, "a spec needs only a few levels")]
    except ValueError as error:
        return [_diag(file, codes.BAD_NUMBER, f"invalid JSON: {error}", 1, 1)]
    return []


def _refuse_split_tuple(mapping: dict[str, Any], event: yaml.ScalarEvent, text: str) -> None:
    """`{kernel_size: (3, 3, 3)}`: YAML reads the tuple as the value '(3' and the keys 3 and
    '3)'; the number key is refused below, and this says what was meant (GS107)."""
    if not mapping:
        return
    last_key, last = list(mapping.items())[-1]
    if not (isinstance(last, str) and last.startswith("(") and ")" not in last):
        return
    line, column = _mark(event)
    lines = split_lines(text)
    rest = lines[line - 1][column - 1 :] if 0 < line <= len(lines) else ""
    tail = rest[: rest.find(")") + 1]
    written = f"{last}, {tail}" if tail.endswith(")") else f"{last}, ...)"
    items = [item.strip() for item in written.strip("()").split(",")]
    raise _LoadError(
        codes.PYTHON_TUPLE,
        f"'{last_key}': write [{', '.join(items)}], not {written}",
        *_mark(event),
        hint="YAML writes a list in square brackets; inside {...}, (3, 3) is read as keys",
    )


def _diag(
    file: str, code: Code, message: str, line: int, column: int, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(file, line, column), (), hint)


def _syntax_hint(message: str, lines: list[str], line: int, column: int) -> str | None:
    """What to change for the YAML syntax errors people make most, from PyYAML's message and
    the line it points at (libyaml and the pure-Python scanner word them slightly apart)."""
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "cannot start any token" in message and (
        "'\\t'" in message or source[column - 1 : column] == "\t"
    ):
        return "YAML indents with spaces, not tabs: replace the tab with spaces"
    if "did not find expected ',' or" in message and "${" in source:
        placeholder = re.search(r"\$\{[^}]*\}?", source)
        written = placeholder.group() if placeholder else "${name}"
        return f'a placeholder in {{...}} is read as YAML flow syntax: quote it: "{written}"'
    if "did not find expected key" in message:
        return (
            "keys of one mapping start in the same column: align this line with the keys "
            "above it (indent with spaces, two per level)"
        )
    return None


def load_text(
    text: str, file: str = "<memory>", limits: Limits = DEFAULT_LIMITS
) -> tuple[SourceTree | None, list[Diagnostic]]:
    """Parse spec text; returns the tree, or None and the diagnostics that stopped it."""
    if len(text) > limits.max_bytes or (
        4 * len(text) > limits.max_bytes
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        message = f"the text is over the size cap of {limits.max_bytes:,} bytes"
        hint = "raise the cap (Limits(max_bytes=...)) if this spec is really that large"
        return None, [_diag(file, codes.FILE_TOO_LARGE, message, 1, 1, hint)]
    if _looks_like_json(file, text):
        problems = _check_json(file, text)
        if problems:
            return None, problems
    builder = _Builder(limits, text)
    try:
        with gc_paused():
            data = builder.build(yaml.parse(text, Loader=_Loader))
    except _LoadError as error:
        found = _diag(file, error.code, error.message, error.line, error.column, error.hint)
        related = tuple(Location(file, line, column) for line, column in error.related)
        return None, [dataclasses.replace(found, related=related)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = str(error.problem or error.context or "invalid YAML")
        if "maximum nesting depth" in message:
            # libyaml (0.2.5+ as bundled with PyYAML 6.0.3+) scans ahead and stops deep
            # nesting itself, before graphspec's own depth cap sees the events.
            message = f"the spec nests deeper than {limits.max_depth} levels"
            hint = "a spec needs only a few levels; the YAML parser stops at 1,000"
            return None, [_diag(file, codes.NESTED_TOO_DEEP, message, line, column, hint)]
        fix = _syntax_hint(message, split_lines(text), line, column)
        return None, [_diag(file, codes.SYNTAX, f"invalid YAML: {message}", line, column, fix)]
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        line = len(split_lines(before)) if before else 1
        column = len(before) - max(before.rfind("\n"), before.rfind("\r")) if before else 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"the file contains the control character U+{code:04X}, which YAML forbids"
        hint = "remove it (or write it as an escape inside a double-quoted string)"
        return None, [_diag(file, codes.NOT_UTF8, message, line, column, hint)]
    except yaml.YAMLError as error:
        return None, [_diag(file, codes.SYNTAX, f"invalid YAML: {error}", 1, 1)]
    if data is None:
        return None, [
            _diag(file, codes.NOT_A_MAPPING, "the file holds no spec; expected a mapping", 1, 1)
        ]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return None, [
            _diag(file, codes.NOT_A_MAPPING, f"the top level is {kind}; expected a mapping", 1, 1)
        ]
    tree = SourceTree(file, text, data, builder.positions, builder.key_positions)
    return tree, []


def load_file(
    path: str | Path, limits: Limits = DEFAULT_LIMITS
) -> tuple[SourceTree | None, list[Diagnostic]]:
    """Read and parse a spec file. I/O errors raise OSError (the CLI maps them to exit 2)."""
    file = str(path)
    size = Path(path).stat().st_size
    if size > limits.max_bytes:
        message = f"the file is {size:,} bytes, over the cap of {limits.max_bytes:,}"
        hint = "raise the cap with --max-bytes if this spec is really that large"
        return None, [_diag(file, codes.FILE_TOO_LARGE, message, 1, 1, hint)]
    with open(path, "rb") as handle:
        raw = handle.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:  # it grew since stat
        return None, [_diag(file, codes.FILE_TOO_LARGE, "the file is over the size cap", 1, 1)]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = "the file is UTF-16; specs are UTF-8"
        return None, [_diag(file, codes.NOT_UTF8, message, 1, 1, "save it as UTF-8")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [_diag(file, codes.NOT_UTF8, "the file is not valid UTF-8", line, 1)]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [_diag(file, codes.NOT_UTF8, "the file contains a NUL byte", line, 1)]
    return load_text(text, file, limits)
