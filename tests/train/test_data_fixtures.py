"""tests/fixtures/data/*.yaml: a spec and, in its header, the data to check against it; the
``# expect:`` line declares the diagnostics `check_data` reports (`tests/test_invalid_fixtures.py`
reads it; line 0 is the data itself, not the spec).

Header lines:

- ``# array: KEY DTYPE SHAPE [fill=V] [values=a,b,c] [nan=I]``: an array (``object`` and
  ``str`` dtypes too), zeros unless filled; ``nan=I`` puts NaN at flat index I;
- ``# layout: folder`` (one .npy per key) or ``compressed`` (`numpy.savez_compressed`);
  ``npz`` (`numpy.savez`) by default;
- ``# damage: missing | corrupt | truncated=KEY``: no file, garbage bytes, or KEY's file cut;
- ``# function: NAME``: the data is `tests.train.data_functions.NAME`, allowed by path;
- ``# role: validation``: the role in messages (training by default).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphspec.diagnostics import Diagnostic
from graphspec.diagnostics.codes import Group, in_group
from graphspec.pipeline import check_path
from graphspec.train.data import DataFunctions, check_data, read_data
from tests.test_invalid_fixtures import Fixture, _found, fixtures

FUNCTIONS = "tests.train.data_functions"


def _setting(text: str, name: str) -> str | None:
    found = re.search(rf"^# {name}: (.+)$", text, re.M)
    return found[1].strip() if found else None


def _array(line: str) -> tuple[str, Any]:
    key, dtype, shape_text, *options = line.split()
    shape = tuple(int(d) for d in shape_text.split(",") if d)
    settings = dict(option.split("=", 1) for option in options)
    if dtype == "object":
        array = np.empty(shape, object)
        array[...] = "a"
        return key, array
    if dtype == "str":
        return key, np.full(shape, "word")
    array = np.full(shape, float(settings.get("fill", 0))).astype(dtype)
    if "values" in settings:
        values = [float(v) for v in settings["values"].split(",")]
        array = np.array(values).astype(dtype).reshape(shape)
    if "nan" in settings:
        array.flat[int(settings["nan"])] = np.nan
    return key, array


def write_data(text: str, folder: Path) -> tuple[Any, str]:
    """The data a fixture declares, written as it says: (source for read_data, its name)."""
    arrays = dict(_array(line) for line in re.findall(r"^# array: (.+)$", text, re.M))
    layout = _setting(text, "layout") or "npz"
    damage = _setting(text, "damage") or ""
    if layout == "folder":
        target = folder / "data"
        target.mkdir()
        for key, array in arrays.items():
            np.save(target / f"{key}.npy", array, allow_pickle=True)
        if damage.startswith("truncated="):
            cut = target / f"{damage.partition('=')[2]}.npy"
            cut.write_bytes(cut.read_bytes()[:-7])
    else:
        target = folder / "data.npz"
        save = np.savez_compressed if layout == "compressed" else np.savez
        save(target, **arrays)
    if damage == "missing":
        target = folder / "absent.npz"
    elif damage == "corrupt":
        target.write_bytes(b"PK\x03\x04 not really a zip archive")
    return target, str(target)


def _run(fixture: Fixture, folder: Path) -> tuple[tuple[Diagnostic, ...], str]:
    text = fixture.path.read_text()
    report = check_path(fixture.path)
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    function = _setting(text, "function")
    if function is not None:
        path = f"{FUNCTIONS}.{function}"
        data = read_data(function, DataFunctions.from_paths([path]))
        where = f"{path}()"
    else:
        source, where = write_data(text, folder)
        data = read_data(source)
    role = _setting(text, "role") or "training"
    return check_data(report.plan, data, role), where  # type: ignore[arg-type]


@pytest.mark.parametrize("fixture", fixtures("data"), ids=lambda f: f.path.stem)
def test_data_fixture(fixture: Fixture, tmp_path: Path) -> None:
    diagnostics, where = _run(fixture, tmp_path)
    assert _found(diagnostics, errors=True) == list(fixture.expected), [
        d.format() for d in diagnostics
    ]
    role = _setting(fixture.path.read_text(), "role") or "training"
    for diagnostic in diagnostics:
        assert diagnostic.message.startswith(f"{role} data: ")
        assert where in diagnostic.message  # names the file (or function) it is about
        assert diagnostic.hint
        if diagnostic.location.line:
            assert diagnostic.location.file == str(fixture.path)
            assert diagnostic.path[0] in ("inputs", "outputs")
        else:
            assert diagnostic.location.file == where


def test_every_data_code_has_a_fixture() -> None:
    """The data codes' fixtures are here (tests/diagnostics/test_codes.py checks all codes)."""
    data_codes = {code.id for code in in_group(Group.TRAIN) if code.id < "GS830"}
    declared = {e.code for f in fixtures("data") for e in f.expected}
    assert data_codes and data_codes <= declared
