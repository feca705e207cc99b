"""Which export formats can run here: a format whose converter or runtime is not installed is
skipped (the CLI's refusal for it is tested with its packages hidden)."""

from __future__ import annotations

from typing import Any

import pytest

from graphspec.export.formats import FORMATS


def needs(format_name: str) -> Any:
    """A skip mark for a format whose packages are missing here."""
    missing = FORMATS[format_name].missing()
    return pytest.mark.skipif(bool(missing), reason=f"not installed: {', '.join(missing)}")


FORMAT_PARAMS = [pytest.param(name, marks=needs(name)) for name in FORMATS]
"""Every format, each skipped where its converter is not installed."""
