"""graphspec.shape: the one shape type and the one formatter every stage prints shapes with."""

from __future__ import annotations

import doctest
import subprocess
import sys

import pytest

import graphspec.shape
from graphspec.shape import format_shape, is_int


@pytest.mark.parametrize(
    ("shape", "batch", "printed"),
    [
        ((16, 16, 128), False, "(16, 16, 128)"),
        ((128,), False, "(128,)"),
        ((), False, "()"),
        ((None, 64), False, "(None, 64)"),
        ([3, None], False, "(3, None)"),
        ((16, 16, 128), True, "(None, 16, 16, 128)"),
        ((128,), True, "(None, 128)"),
        ((), True, "(None,)"),
        (None, False, "(unknown)"),
        (None, True, "(unknown)"),
    ],
)
def test_format_shape(shape: tuple[int | None, ...] | None, batch: bool, printed: str) -> None:
    assert format_shape(shape, batch=batch) == printed


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(graphspec.shape)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(("value", "expected"), [(3, True), (0, True), (-1, True)])
def test_is_int_takes_ints(value: object, expected: bool) -> None:
    assert is_int(value) is expected


@pytest.mark.parametrize("value", [True, False, 3.0, "3", None, [3]])
def test_is_int_refuses_bools_and_other_types(value: object) -> None:
    assert is_int(value) is False


def test_the_module_imports_only_the_standard_library() -> None:
    """The expression checker and the shape rules import it; it must stay that light."""
    code = (
        "import sys, importlib.util\n"
        "spec = importlib.util.spec_from_file_location('shape', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "before = set(sys.modules)\n"
        "spec.loader.exec_module(module)\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(new - set(sys.stdlib_module_names)))\n"
    )
    path = graphspec.shape.__file__
    assert path is not None
    result = subprocess.run(
        [sys.executable, "-c", code, path], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
