"""The suite's own layout: pytest imports test modules by their basename (tests/ folders are
not packages), so two test files of one name in different folders stop the whole collection
with "import file mismatch" — a mistake that only the full suite shows."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def test_test_module_basenames_are_unique() -> None:
    folders: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        folders[path.name].append(str(path.parent.relative_to(TESTS)))
    clashes = {name: sorted(where) for name, where in folders.items() if len(where) > 1}
    assert clashes == {}, "rename one of each: pytest collects modules by basename"
