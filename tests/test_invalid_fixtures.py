"""Every fixture under tests/fixtures/ produces exactly the diagnostics it declares. A new case
is one new file, not new test code.

- ``invalid/*.yaml``: ``# expect: CODE@LINE ...`` lists the errors `validate` reports (in any
  order); optionally ``# strict: true`` and ``# limits: max_nodes=2 ...`` (caps lowered for the
  case, any `Limits` field).
- ``notes/*.yaml``: ``# expect: CODE@LINE:SEVERITY ...`` (``GS401@9:warning``): the spec is
  valid, and these are its warnings and info notes. Same ``# strict:`` and ``# limits:`` lines,
  and ``# backend: torch`` (the backend a build would use, `--backend`). Any fixture may
  allow custom layers with ``# custom-layer: module.Class`` lines, and custom losses and
  metrics with ``# custom-object: module.name`` lines (`--custom-object`).
- ``build_errors/*.yaml``: as ``invalid/``, but `validate` passes and the errors come from
  building the model with Keras (one small build each). Not ``build/``: .gitignore skips that.
- ``import/*.json``: Keras model configs. ``GSnnn_what.json`` fails `graphspec import` with
  GSnnn; a name without a code imports to a spec that validates.
- ``unreadable/GSnnn_what``: a path `graphspec.load` cannot read (a directory): `SpecError`
  with GSnnn.
- ``distribute/*.yaml``: valid specs whose run cannot be distributed as ``# distribute:``
  asks, with ``# env: NAME=VALUE`` lines (``@0``: no position; warnings allowed); run by
  tests/train/test_distribute.py.

A header is read from the file's bytes with undecodable bytes replaced (as UTF-16 after a
UTF-16 byte order mark), so a GS018 fixture keeps a readable header before its bad bytes.
``tests/diagnostics/test_codes.py`` checks that every declared code has a fixture here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.catalogue.custom import CustomLayers, CustomObjects
from graphspec.cli import main
from graphspec.diagnostics import Diagnostic, Severity, SpecError
from graphspec.diagnostics.codes import Stage
from graphspec.importer.to_spec import import_path
from graphspec.pipeline import build_report, check_path, check_text
from graphspec.settings import DEFAULT_LIMITS, Limits, Options
from tests.conftest import FIXTURES

_TOKEN = re.compile(r"(GS\d{3})@(\d+)(?::(\w+))?")
_NAMED = re.compile(r"^(GS\d{3})_\w+$")


@dataclass(frozen=True, order=True)
class Expected:
    """One diagnostic a fixture declares; ``line`` is None where the code has no position."""

    code: str
    line: int | None
    severity: Severity


@dataclass(frozen=True)
class Fixture:
    path: Path
    kind: str
    """The folder: invalid, notes, build_errors, import or unreadable."""
    expected: tuple[Expected, ...]
    strict: bool = False
    limits: Limits = DEFAULT_LIMITS
    backend: str | None = None
    custom_layers: tuple[str, ...] = ()
    custom_objects: tuple[str, ...] = ()

    @property
    def options(self) -> Options:
        custom = CustomLayers.from_paths(self.custom_layers, "--custom-layer")
        objects = CustomObjects.from_paths(self.custom_objects, "--custom-object")
        return Options(
            self.strict, self.limits, custom, backend=self.backend, custom_objects=objects
        )


def header_text(path: Path) -> str:
    """The fixture as text, whatever its bytes (GS018 fixtures are not UTF-8 past the header)."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    return raw.decode("utf-8", errors="replace")


def _spec_fixture(path: Path, kind: str) -> Fixture:
    """A YAML fixture with a ``# expect:`` header (invalid/, notes/, build_errors/)."""
    text = header_text(path)
    match = re.search(r"^# expect: (.+)$", text, re.M)
    assert match, f"{path}: no '# expect:' header"
    expected = []
    for token in match[1].split():
        parsed = _TOKEN.fullmatch(token)
        assert parsed, f"{path}: '{token}' is not CODE@LINE or CODE@LINE:SEVERITY"
        code, line, severity = parsed.groups()
        if kind == "notes":
            assert severity in ("warning", "info"), f"{path}: '{token}' needs :warning or :info"
        elif kind != "distribute":  # a distribution check may warn (GS855)
            assert severity in (None, "error"), f"{path}: {kind}/ fixtures declare errors"
        expected.append(Expected(code, int(line), Severity(severity or "error")))
    caps = re.search(r"^# limits: (.+)$", text, re.M)
    settings = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", caps[1])} if caps else {}
    strict = re.search(r"^# strict: true$", text, re.M) is not None
    backend = re.search(r"^# backend: (\w+)$", text, re.M)
    custom = re.findall(r"^# custom-layer: (\S+)$", text, re.M)
    objects = re.findall(r"^# custom-object: (\S+)$", text, re.M)
    return Fixture(
        path,
        kind,
        tuple(sorted(expected)),
        strict,
        replace(DEFAULT_LIMITS, **settings),
        backend[1] if backend else None,
        tuple(custom),
        tuple(objects),
    )


def _named_fixture(path: Path, kind: str) -> Fixture:
    """A fixture whose name carries its code (import/, unreadable/): ``GS703_lambda.json``."""
    match = _NAMED.match(path.stem)
    assert match or kind == "import", f"{path}: the name must start with the code, GSnnn_"
    expected = (Expected(match[1], None, Severity.ERROR),) if match else ()
    return Fixture(path, kind, expected)


_FOLDERS = {
    "invalid": ("*.yaml", _spec_fixture),
    "notes": ("*.yaml", _spec_fixture),
    "build_errors": ("*.yaml", _spec_fixture),
    "import": ("*.json", _named_fixture),
    "unreadable": ("*", _named_fixture),
    "export": ("*.yaml", _spec_fixture),  # run by tests/export/test_fixtures.py
    "data": ("*.yaml", _spec_fixture),  # run by tests/train/test_data_fixtures.py
    "runs": ("*.yaml", _spec_fixture),  # run by tests/train/test_run_fixtures.py
    "distribute": ("*.yaml", _spec_fixture),  # run by tests/train/test_distribute.py
}


def _files(kind: str) -> Path:
    """The folder of files a kind's fixtures read (vocabularies: ``invalid/files/``)."""
    return FIXTURES / kind / "files"


def fixtures(kind: str) -> list[Fixture]:
    pattern, read = _FOLDERS[kind]
    return [read(path, kind) for path in sorted((FIXTURES / kind).glob(pattern))]


def all_fixtures() -> list[Fixture]:
    """Every fixture of every folder, with what it declares."""
    return [fixture for kind in _FOLDERS for fixture in fixtures(kind)]


def _found(diagnostics: tuple[Diagnostic, ...], errors: bool) -> list[Expected]:
    return sorted(
        Expected(str(d.code), d.location.line, d.severity)
        for d in diagnostics
        if d.is_error == errors
    )


def _cli_flags(fixture: Fixture) -> list[str]:
    """The fixture's options on the command line (``max_diagnostics`` has no flag)."""
    flags = ["--strict"] if fixture.strict else []
    if fixture.backend is not None:
        flags += ["--backend", fixture.backend]
    for path in fixture.custom_layers:
        flags += ["--custom-layer", path]
    for path in fixture.custom_objects:
        flags += ["--custom-object", path]
    for name in Limits.flags():
        flags += [f"--{name.replace('_', '-')}", str(getattr(fixture.limits, name))]
    return flags


def _check_locations(fixture: Fixture, diagnostics: tuple[Diagnostic, ...]) -> None:
    for diagnostic in diagnostics:
        assert diagnostic.location.file == str(fixture.path)
        assert diagnostic.location.column >= 1
        assert diagnostic.message


def _ids(fixture: Fixture) -> str:
    return fixture.path.stem


def test_there_are_fixtures() -> None:
    counts = {kind: len(fixtures(kind)) for kind in _FOLDERS}
    assert counts["invalid"] >= 30
    assert all(counts.values()), counts


@pytest.mark.parametrize("kind", list(_FOLDERS))
def test_every_file_is_a_case(kind: str) -> None:
    """A fixture the glob misses (``notes/x.yml``, ``import/x.JSON``) would never run."""
    pattern, _ = _FOLDERS[kind]
    cases = {f.path for f in fixtures(kind)}
    stray = [p.name for p in (FIXTURES / kind).iterdir() if p not in cases and p != _files(kind)]
    assert stray == [], f"tests/fixtures/{kind}/ files that are not {pattern} cases"


@pytest.mark.parametrize("fixture", fixtures("invalid"), ids=_ids)
def test_invalid_spec(fixture: Fixture) -> None:
    report = check_path(fixture.path, fixture.options)
    assert not report.ok
    assert _found(report.diagnostics, errors=True) == list(fixture.expected)
    assert main(["validate", *_cli_flags(fixture), str(fixture.path)]) == 1
    _check_locations(fixture, report.diagnostics)


@pytest.mark.parametrize("fixture", fixtures("notes"), ids=_ids)
def test_notes(fixture: Fixture) -> None:
    report = check_path(fixture.path, fixture.options)
    assert report.ok, [d.format() for d in report.diagnostics if d.is_error]
    assert _found(report.diagnostics, errors=False) == list(fixture.expected)
    assert main(["validate", *_cli_flags(fixture), str(fixture.path)]) == 0
    _check_locations(fixture, report.diagnostics)


@pytest.mark.parametrize("fixture", fixtures("build_errors"), ids=_ids)
def test_build_fails(fixture: Fixture, keras: Any) -> None:
    report = check_path(fixture.path, fixture.options)
    assert report.ok, "validate finds this already: the case belongs in invalid/"
    model, built = build_report(report, fixture.options)
    assert model is None
    assert _found(built.diagnostics, errors=True) == list(fixture.expected)
    _check_locations(fixture, built.diagnostics)


@pytest.mark.parametrize("fixture", fixtures("import"), ids=_ids)
def test_import(fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    if not fixture.expected:
        imported = import_path(fixture.path)
        assert check_text(imported.text).ok, imported.text
        assert main(["import", str(fixture.path)]) == 0
        return
    with pytest.raises(SpecError) as caught:
        import_path(fixture.path)
    (expected,) = fixture.expected
    found = [(str(d.code), d.severity, d.code.stage) for d in caught.value.diagnostics]
    assert found == [(expected.code, expected.severity, Stage.IMPORT)]
    capsys.readouterr()
    assert main(["import", str(fixture.path)]) == 1
    assert f"error[{expected.code}]" in capsys.readouterr().err


# (fixture, what is wrong): known graphspec bugs, as minimal cases; when one is fixed its test
# passes, and strict xfail makes the entry go.
@pytest.mark.parametrize("fixture", [f for f in fixtures("import") if f.expected], ids=_ids)
def test_import_diagnostic_names_the_file(fixture: Fixture) -> None:
    with pytest.raises(SpecError) as caught:
        import_path(fixture.path)
    assert [d.location.file for d in caught.value.diagnostics] == [str(fixture.path)]


@pytest.mark.parametrize("fixture", fixtures("unreadable"), ids=_ids)
def test_unreadable(fixture: Fixture) -> None:
    with pytest.raises(SpecError) as caught:
        graphspec.load(fixture.path)
    found = [
        Expected(str(d.code), None, d.severity) for d in caught.value.diagnostics if d.is_error
    ]
    assert found == list(fixture.expected)
    assert [d.location.file for d in caught.value.diagnostics] == [str(fixture.path)]
    assert main(["validate", str(fixture.path)]) == 2  # the CLI: a usage or I/O error
