"""What the server knows of each open spec: its latest analysis, the last one that read (for
positions) and the last sound one (for hover), and the options of its project.

An analysis is the CLI's: `graphspec.pipeline.check_text` with the `Options` that
`graphspec validate` would build in the spec's folder (``[tool.graphspec]`` of the nearest
pyproject.toml), so the same diagnostics come out. No pygls here: tests and benchmarks call
it directly.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from graphspec.analyse.plan import Plan
from graphspec.catalogue.custom import CustomLayerError
from graphspec.diagnostics import Diagnostic, Location, Severity, codes
from graphspec.lsp.index import SpecIndex
from graphspec.lsp.text import UTF16
from graphspec.pipeline import Report, check_text
from graphspec.read.source import SourceTree, load_text, split_lines
from graphspec.settings import DEFAULT_LIMITS, Limits, Options


@dataclass(frozen=True)
class Analysis:
    """One version of a document, checked."""

    version: int
    text: str
    report: Report
    source: SourceTree | None
    """The text's values and positions, when it reads as YAML or JSON."""
    seconds: float
    """How long the check took."""

    @property
    def plan(self) -> Plan | None:
        return self.report.plan

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.source.lines if self.source is not None else split_lines(self.text)

    @functools.cached_property
    def index(self) -> SpecIndex | None:
        """The names and references of the text (built on first use, not on each edit)."""
        return SpecIndex(self.source) if self.source is not None else None


BOM = "\ufeff"
"""A byte order mark: `graphspec validate` skips it at the start of a file; an editor may keep
it in the text it sends (as its first character, counted in line 0's columns)."""

_SPEC_KEY = re.compile(r"""^(?:graphspec|"graphspec"|'graphspec')[ \t]*:|"graphspec"\s*:""", re.M)


def is_spec(text: str) -> bool:
    """Whether a YAML or JSON document is a graphspec spec: it has the `graphspec:` version key
    (at the top level of a YAML file, anywhere in a JSON one). Editors start the server for every
    YAML file; the others (CI workflows, configs) get no diagnostics."""
    return _SPEC_KEY.search(text.removeprefix(BOM)) is not None


def _lone_surrogate(text: str, file: str) -> Diagnostic | None:
    """A file read from disk is UTF-8 or refused (GS018); an editor's text can hold what no
    file does, a lone surrogate (an escape in the protocol's JSON): refused the same way."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        before = text[: error.start]
        line = before.count("\n") + 1
        column = error.start - (before.rfind("\n") + 1) + 1
        message = f"the text contains U+{ord(text[error.start]):04X}, which is not valid UTF-8"
        return Diagnostic(codes.NOT_UTF8, Severity.ERROR, message, Location(file, line, column))
    return None


def analyse_text(text: str, file: str, options: Options, version: int = 0) -> Analysis:
    """Check `text` as `graphspec validate` checks the file `file`."""
    start = time.perf_counter()
    unencodable = _lone_surrogate(text, file)
    if unencodable is not None:
        report = Report(file, (unencodable,))
        return Analysis(version, text, report, None, time.perf_counter() - start)
    checked = text.removeprefix(BOM)  # as `graphspec validate` reads a file
    report = check_text(checked, file, options)
    source = report.spec.source if report.spec is not None else None
    if source is None:  # did not parse: read it again for the positions of its names
        source = load_text(checked, file, options.limits)[0]
    if checked is not text:
        report, source = _after_bom(report, source, text)
    return Analysis(version, text, report, source, time.perf_counter() - start)


def _after_bom(
    report: Report, source: SourceTree | None, text: str
) -> tuple[Report, SourceTree | None]:
    """Positions found in the text without its byte order mark, moved to the text with it:
    one column further on line 1."""

    def moved(location: Location) -> Location:
        if location.line != 1:
            return location
        return dataclasses.replace(location, column=location.column + 1)

    def position(where: tuple[int, int]) -> tuple[int, int]:
        return (1, where[1] + 1) if where[0] == 1 else where

    diagnostics = tuple(
        dataclasses.replace(
            diagnostic,
            location=moved(diagnostic.location),
            related=tuple(moved(other) for other in diagnostic.related),
        )
        for diagnostic in report.diagnostics
    )
    report = dataclasses.replace(report, diagnostics=diagnostics)
    if source is not None:
        source = dataclasses.replace(
            source,
            text=text,
            positions={path: position(where) for path, where in source.positions.items()},
            key_positions={path: position(where) for path, where in source.key_positions.items()},
        )
    return report, source


@dataclass
class Document:
    """An open spec: the analyses the features answer from."""

    uri: str
    file: str
    encoding: str = UTF16
    """What the editor's columns count (negotiated at initialize; UTF-16 unless agreed)."""
    latest: Analysis | None = None
    readable: Analysis | None = None
    """The latest analysis whose text read (positions of names), perhaps older than `latest`."""
    sound: Analysis | None = None
    """The latest analysis with a Plan (shapes, parameters, pruning)."""

    def record(self, analysis: Analysis) -> None:
        self.latest = analysis
        if analysis.source is not None:
            self.readable = analysis
        if analysis.plan is not None:
            self.sound = analysis


def _pyproject_stamps(folder: Path) -> tuple[tuple[str, float], ...]:
    """The pyproject.toml files from `folder` upwards with their modification times: the
    options are read again when one appears, changes or goes."""
    stamps = []
    for parent in (folder, *folder.parents):
        candidate = parent / "pyproject.toml"
        try:
            stamps.append((str(candidate), candidate.stat().st_mtime))
        except OSError:
            continue
    return tuple(stamps)


@dataclass
class ProjectOptions:
    """The `Options` of each folder, read as the CLI reads them and kept while the folder's
    pyproject.toml files are unchanged."""

    strict: bool = False
    limits: Limits = DEFAULT_LIMITS
    custom_layers: tuple[str, ...] = ()
    """``--custom-layer`` paths of the command line, on top of each folder's."""
    custom_objects: tuple[str, ...] = ()
    backend: str | None = None
    cache: dict[Path, tuple[tuple[tuple[str, float], ...], Options]] = field(default_factory=dict)
    errors: dict[Path, str] = field(default_factory=dict)
    """A folder whose pyproject.toml is refused: the message (its specs get the defaults)."""

    def for_file(self, file: str) -> Options:
        folder = Path(file).absolute().parent
        stamps = _pyproject_stamps(folder)
        cached = self.cache.get(folder)
        if cached is not None and cached[0] == stamps:
            return cached[1]
        try:
            options = Options.from_sources(
                self.strict,
                self.limits,
                self.custom_layers,
                folder,
                self.backend,
                self.custom_objects,
            )
            self.errors.pop(folder, None)
        except CustomLayerError as error:
            options = Options(self.strict, self.limits, backend=self.backend)
            self.errors[folder] = str(error)
        self.cache[folder] = (stamps, options)
        return options
