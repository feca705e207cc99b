"""Running Python on another Keras backend, in its own subprocess (one process holds one
backend), and skipping what needs a backend that is not installed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence

import pytest

from tests.conftest import ROOT

OTHER_BACKENDS = ("jax", "torch")
"""Compared with TensorFlow, the reference."""
_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def installed(backend: str) -> bool:
    """Whether the backend's package is installed (found without importing it)."""
    return importlib.util.find_spec(_MODULES[backend]) is not None


def need(backend: str) -> None:
    """Skip unless the backend is installed (`make test` installs every one)."""
    if not installed(backend):
        pytest.skip(f"{backend} is not installed: pip install -e '.[{backend}]'")


def backend_env(backend: str) -> dict[str, str]:
    """This process' environment with ``KERAS_BACKEND`` set, for a subprocess."""
    return {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}


def start(backend: str, args: Sequence[str]) -> subprocess.Popen[str]:
    """``python ARGS`` on the backend, from the repository root."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=backend_env(backend),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 900) -> str:
    """Wait for a subprocess of `start`; its stdout, or a failure with its stderr."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{process.args} failed:\n{err[-4000:]}"
    return out
