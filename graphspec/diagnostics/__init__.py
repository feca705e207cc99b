"""Diagnostics: every problem found in a spec, with a code, a spec path and a file position."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphspec.diagnostics.codes import Code, Severity, lookup

__all__ = [
    "Code",
    "Diagnostic",
    "Location",
    "Severity",
    "SpecError",
    "SpecPath",
    "format_path",
    "sort_diagnostics",
]

SpecPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a spec file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


def format_path(path: SpecPath) -> str:
    """Render a spec path the way users write it: ``nodes.merge.from[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "<root>"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem (or note) about a spec; `code` is declared in `graphspec.diagnostics.codes`."""

    code: Code
    severity: Severity
    message: str
    location: Location
    path: SpecPath = ()
    hint: str | None = None
    related: tuple[Location, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.code, Code):  # an id from code outside graphspec: declare it
            object.__setattr__(self, "code", lookup(str(self.code)))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """``file:line:col: severity[CODE] message`` plus an optional hint line."""
        text = f"{self.location}: {self.severity}[{self.code}] {self.message}"
        for other in self.related:
            text += f"\n    note: see also {other}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Order by file position so output reads top to bottom."""
    return sorted(diagnostics, key=lambda d: (d.location.file, d.location.line, d.location.column))


class SpecError(Exception):
    """Raised by the Python API when a spec has errors; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        shown = "\n".join(d.format() for d in errors[:10])
        more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
        super().__init__(f"{len(errors)} error(s) in spec\n{shown}{more}")
