"""Collecting one check's diagnostics, positioned by spec path in the file they came from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecPath
from graphspec.diagnostics.suggest import suggest

if TYPE_CHECKING:
    from graphspec.read.source import SourceTree


class Locator:
    """Turns spec paths into file positions (or a placeholder for specs built in code)."""

    def __init__(self, source: SourceTree | None) -> None:
        self.source = source

    def at(self, path: SpecPath) -> Location:
        """Where the value at ``path`` starts."""
        return self.source.locate(path) if self.source else Location("<spec>")

    def at_key(self, path: SpecPath) -> Location:
        """Where the key of the entry at ``path`` starts."""
        return self.source.locate_key(path) if self.source else Location("<spec>")


HINT_BUDGET = 64
"""Did-you-mean searches per check: each costs a pass over the candidates, so a flood of
misspellings must not make a run quadratic. Later diagnostics come without a hint."""


class Reporter:
    """Collects one check's diagnostics, positioned by spec path."""

    def __init__(self, source: SourceTree | None) -> None:
        self.at = Locator(source)
        self.diagnostics: list[Diagnostic] = []
        self.hints_left = HINT_BUDGET
        self._seen: set[tuple[Code, Location, str]] = set()

    def closest(self, name: str, candidates: Iterable[str]) -> str | None:
        """The candidate closest to a misspelt name, while the hint budget lasts."""
        if self.hints_left <= 0:
            return None
        self.hints_left -= 1
        return suggest(name, candidates)

    def hint(self, name: str, candidates: Iterable[str]) -> str | None:
        """A 'did you mean' hint, or None."""
        close = self.closest(name, candidates)
        return f"did you mean '{close}'?" if close and close != name else None

    def error(
        self,
        code: Code,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        key: bool = False,
        related: tuple[Location, ...] = (),
        location: Location | None = None,
        severity: Severity | None = None,
        once: bool = False,
    ) -> None:
        """Report at the value (or, with `key`, the key) at `path`, with the code's default
        severity unless told otherwise; with `once`, a repeat of the same code, place and
        message (a block instance inferred twice) is dropped."""
        where = location or (self.at.at_key(path) if key else self.at.at(path))
        if once:
            seen = (code, where, message)
            if seen in self._seen:
                return
            self._seen.add(seen)
        self.diagnostics.append(
            Diagnostic(code, severity or code.severity, message, where, path, hint, related)
        )

    @property
    def failed(self) -> bool:
        """Whether this check reported an error."""
        return any(d.is_error for d in self.diagnostics)
