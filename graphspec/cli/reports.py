"""How the commands check a spec file and print what was found, the same way in each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import UsageError
from graphspec.diagnostics import Diagnostic, Severity
from graphspec.diagnostics.render import format_text, source_lines

if TYPE_CHECKING:
    from graphspec.pipeline import Report
    from graphspec.settings import Options

__all__ = ["check_file", "print_diagnostics"]


def check_file(path: Path, options: Options) -> Report:
    """Check one spec file (no Keras); a file that cannot be read is a usage error (exit 2)."""
    from graphspec.pipeline import check_path

    try:
        return check_path(path, options)
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from error


def print_diagnostics(
    diagnostics: Iterable[Diagnostic],
    stream: TextIO,
    *,
    infos: bool = True,
    lines: Sequence[str] | None = None,
) -> None:
    """Each diagnostic as text under its source line; info notes only when `infos`.

    `lines` are the text the diagnostics point into when it is not (or not yet) a file on
    disk; otherwise each file is read once, and only when a diagnostic quotes it.
    """
    read: dict[str, Sequence[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.severity is Severity.INFO and not infos:
            continue
        quoted = lines
        if quoted is None:
            file = diagnostic.location.file
            if diagnostic.location.line and file not in read:
                read[file] = source_lines(file)
            quoted = read.get(file, ())
        print(format_text(diagnostic, quoted), file=stream)
