"""The backend: the one module that chooses Keras' backend and imports keras.

Keras 3 runs on TensorFlow, JAX or PyTorch, chosen by the ``KERAS_BACKEND`` environment
variable when keras is first imported (TensorFlow when it is unset). `graphspec build
--backend NAME` (``Options.backend``) sets that variable here, through `choose_backend`, before
anything imports keras; one process keeps the backend it first imported keras with, so asking
for another one afterwards is refused rather than ignored.

What graphspec must do around that import depends on the backend, so it is one row of
`BACKENDS` per backend: which pip extra installs it, what to tell a user who lacks it, and how
to keep its start-up quiet (TensorFlow logs from C++ and probes CUDA, writing straight to file
descriptor 2). Supporting another backend is one more row, the matching extra in
pyproject.toml and its name in `graphspec.settings.KERAS_BACKENDS`.

Everything else that needs keras gets it from `import_keras()`, which also registers
graphspec's old expression layer, so files saved before expr nodes became keras.ops calls
still load through `graphspec.load_model` in safe mode.
Importing this module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graphspec.settings import DEFAULT_BACKEND, KERAS_BACKENDS

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "BuildUnavailable",
    "backend_named",
    "choose_backend",
    "import_keras",
    "selected_backend",
]


class BuildUnavailable(RuntimeError):
    """Keras or its backend is not installed; building cannot run."""


@dataclass(frozen=True)
class Backend:
    """What graphspec needs to know about one Keras backend before importing keras on it."""

    name: str
    """As ``KERAS_BACKEND`` spells it."""
    title: str
    """As people spell it, in messages."""
    extra: str | None = None
    """graphspec's pip extra that installs Keras 3 and this backend; None: no extra yet."""
    packages: tuple[str, ...] = ()
    """What to install by hand when there is no extra."""
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Variables set before the import, unless the user has set them (log levels)."""
    native_startup_output: bool = False
    """Its start-up writes to file descriptor 2 from native code, past Python's sys.stderr."""
    quiet_imports: tuple[str, ...] = ()
    """Modules imported with keras, under the same silencing, when they are installed: ones
    Keras imports later anyway, whose start-up writes to file descriptor 2."""

    def startup_is_noisy(self) -> bool:
        """Whether importing keras on this backend writes to file descriptor 2 here."""
        return self.native_startup_output or any(
            importlib.util.find_spec(module) is not None for module in self.quiet_imports
        )

    @property
    def install_hint(self) -> str:
        """How to install what building on this backend needs."""
        if self.extra is not None:
            return f"install the build extra: pip install 'graphspec[{self.extra}]'"
        return f"install them: pip install {' '.join(('keras', *self.packages))}"

    def unavailable(self) -> str:
        """The message when keras (or this backend) cannot be imported."""
        return f"building needs Keras 3 and {self.title}: {self.install_hint}"


_TENSORFLOW_LOGS = MappingProxyType({"TF_CPP_MIN_LOG_LEVEL": "2"})
_BESIDE_TENSORFLOW: dict[str, Any] = {
    "environment": _TENSORFLOW_LOGS,
    "quiet_imports": ("tensorflow",),
}
"""JAX and PyTorch start quietly, but where TensorFlow is installed too (the dev environment),
Keras imports it on any backend when it first saves a model (its file utilities use
``tf.io.gfile`` when TensorFlow is there), and TensorFlow's C++ start-up writes to file
descriptor 2 whatever ``TF_CPP_MIN_LOG_LEVEL`` says: it is imported with keras, silenced."""

BACKENDS: Mapping[str, Backend] = MappingProxyType(
    {
        "tensorflow": Backend(
            "tensorflow",
            "TensorFlow",
            extra="tensorflow",
            environment=_TENSORFLOW_LOGS,
            native_startup_output=True,
        ),
        "jax": Backend("jax", "JAX", extra="jax", **_BESIDE_TENSORFLOW),
        "torch": Backend("torch", "PyTorch", extra="torch", **_BESIDE_TENSORFLOW),
    }
)
"""The backends graphspec knows, by ``KERAS_BACKEND`` name (`KERAS_BACKENDS`, in that order);
every one is tested (tests/backends/)."""
assert tuple(BACKENDS) == KERAS_BACKENDS


def backend_named(name: str) -> Backend:
    """The row of `BACKENDS` for a backend name; one with no start-up handling when unknown
    (Keras itself says whether it knows the name)."""
    return BACKENDS.get(name) or Backend(name, f"the '{name}' backend")


def selected_backend() -> Backend:
    """The backend keras will be (or was) imported with: ``KERAS_BACKEND``, else TensorFlow."""
    return backend_named(os.environ.get("KERAS_BACKEND") or DEFAULT_BACKEND)


def _imported_backend() -> str | None:
    """The backend keras was imported with in this process; None before the import."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return str(keras.backend.backend())
    except AttributeError:  # keras half-imported, or a stand-in
        return None


def choose_backend(name: str | None) -> Backend:
    """Make ``name`` the backend keras is imported with (``KERAS_BACKEND``), before keras is
    first imported; None keeps ``KERAS_BACKEND`` (else TensorFlow). Refuses a backend
    graphspec does not know, and one other than the backend keras already runs on in this
    process (Keras cannot switch), raising `BuildUnavailable` with what to do instead."""
    if name is None:
        return selected_backend()
    if name not in BACKENDS:
        raise BuildUnavailable(
            f"unknown backend '{name}': choose one of {', '.join(KERAS_BACKENDS)}"
        )
    imported = _imported_backend()
    if imported is not None and imported != name:
        raise BuildUnavailable(
            f"keras already runs on {backend_named(imported).title} in this process; "
            f"{BACKENDS[name].title} needs a new process (or KERAS_BACKEND={name} before "
            "keras is imported)"
        )
    os.environ["KERAS_BACKEND"] = name
    return BACKENDS[name]


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what native start-up code writes straight to file descriptor 2 (CUDA probes)."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras() -> Any:
    """Import keras on the selected backend, with its start-up noise hidden, or raise
    `BuildUnavailable` saying what to install. Registers the expression layer."""
    backend = selected_backend()
    for variable, value in backend.environment.items():
        os.environ.setdefault(variable, value)
    try:
        if "keras" in sys.modules:
            keras = importlib.import_module("keras")
        else:
            quiet = backend.startup_is_noisy()
            with _native_stderr_silenced() if quiet else contextlib.nullcontext():
                keras = importlib.import_module("keras")
                keras.ops.zeros(())  # the backend probes its devices on first use
                for module in backend.quiet_imports if quiet else ():
                    with contextlib.suppress(ImportError):
                        importlib.import_module(module)
    except ImportError as error:
        raise BuildUnavailable(backend.unavailable()) from error
    importlib.import_module("graphspec.emit.expression_layer")  # the old layer, for old files
    return keras
