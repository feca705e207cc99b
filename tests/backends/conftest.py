"""The session's parity runs: parity_worker.py once per backend."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.backends.runs import OTHER_BACKENDS, finish, installed, need, start


@pytest.fixture(scope="session")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Any]:
    """parity_worker.py's results by backend: TensorFlow's first (it draws the weights),
    then JAX's and PyTorch's side by side. Once per session; a backend that is not
    installed is missing."""
    need("tensorflow")
    out = tmp_path_factory.mktemp("parity")
    worker = str(Path(__file__).with_name("parity_worker.py"))
    finish(start("tensorflow", [worker, "tensorflow", str(out)]))
    reference = ["--reference", str(out / "tensorflow.npz")]
    running = {
        backend: start(backend, [worker, backend, str(out), *reference])
        for backend in OTHER_BACKENDS
        if installed(backend)
    }
    for process in running.values():
        finish(process)
    import numpy as np

    return {backend: dict(np.load(out / f"{backend}.npz")) for backend in ("tensorflow", *running)}
