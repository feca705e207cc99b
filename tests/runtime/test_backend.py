"""The backend module: which backend keras is imported on, what to install when it is missing,
start-up noise kept off the terminal, the expression layer registered."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from graphspec.runtime.backend import (
    BACKENDS,
    DEFAULT_BACKEND,
    BuildUnavailable,
    backend_named,
    choose_backend,
    import_keras,
    selected_backend,
)
from graphspec.settings import KERAS_BACKENDS, Options
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _keras_backend_restored() -> Iterator[None]:
    """choose_backend writes KERAS_BACKEND; every test here leaves it as it found it."""
    before = os.environ.get("KERAS_BACKEND")
    yield
    if before is None:
        os.environ.pop("KERAS_BACKEND", None)
    else:
        os.environ["KERAS_BACKEND"] = before


@pytest.fixture
def no_keras(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """keras cannot be imported (None in sys.modules makes the import fail)."""
    monkeypatch.setitem(sys.modules, "keras", None)
    return monkeypatch


def test_missing_keras_says_how_to_install(no_keras: pytest.MonkeyPatch) -> None:
    no_keras.delenv("KERAS_BACKEND", raising=False)
    with pytest.raises(BuildUnavailable) as caught:
        import_keras()
    assert str(caught.value) == (
        "building needs Keras 3 and TensorFlow: "
        "install the build extra: pip install 'graphspec[tensorflow]'"
    )


def test_missing_keras_hint_follows_the_chosen_backend(no_keras: pytest.MonkeyPatch) -> None:
    no_keras.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(BuildUnavailable, match=r"Keras 3 and JAX: .*'graphspec\[jax\]'$"):
        import_keras()
    no_keras.setenv("KERAS_BACKEND", "torch")
    with pytest.raises(BuildUnavailable, match=r"Keras 3 and PyTorch: .*'graphspec\[torch\]'$"):
        import_keras()


def test_tensorflow_log_level_is_set_before_import_unless_the_user_chose(
    no_keras: pytest.MonkeyPatch,
) -> None:
    no_keras.delenv("KERAS_BACKEND", raising=False)
    no_keras.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    with pytest.raises(BuildUnavailable):
        import_keras()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    no_keras.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    with pytest.raises(BuildUnavailable):
        import_keras()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_backend_is_read_from_keras_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert selected_backend().name == DEFAULT_BACKEND == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert selected_backend() is BACKENDS["torch"]


def test_every_backend_extra_is_declared_in_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for backend in BACKENDS.values():
        assert backend.extra is None or backend.extra in extras, backend.name
        assert backend.extra is not None or backend.packages, backend.name  # something to say
    assert BACKENDS[DEFAULT_BACKEND].extra == "tensorflow"


def test_only_tensorflow_itself_is_noisy_and_the_others_import_it_quietly() -> None:
    """JAX and PyTorch start quietly; TensorFlow, which Keras imports on any backend to save
    a model when it is installed, is imported with keras under the same silencing."""
    assert BACKENDS["tensorflow"].native_startup_output
    assert not BACKENDS["tensorflow"].quiet_imports
    for backend in BACKENDS.values():
        assert dict(backend.environment) == {"TF_CPP_MIN_LOG_LEVEL": "2"}
    for name in ("jax", "torch"):
        assert not BACKENDS[name].native_startup_output
        assert BACKENDS[name].quiet_imports == ("tensorflow",)


def test_unknown_backend_is_left_to_keras_with_a_plain_hint() -> None:
    backend = backend_named("numpy")
    assert not backend.native_startup_output and not backend.environment
    assert backend.unavailable() == (
        "building needs Keras 3 and the 'numpy' backend: install them: pip install keras"
    )


def test_native_start_up_output_is_hidden_and_fd_2_restored(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from graphspec.runtime.backend import _native_stderr_silenced

    with _native_stderr_silenced():
        os.write(2, b"CUDA probe\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_import_keras_registers_the_expression_layer(keras: Any) -> None:
    assert import_keras() is keras
    from graphspec.emit.expression_layer import ExpressionLayer

    assert keras.saving.get_registered_object("graphspec>Expression") is ExpressionLayer


def test_every_backend_graphspec_names_has_a_row_and_an_extra() -> None:
    assert tuple(BACKENDS) == KERAS_BACKENDS == ("tensorflow", "jax", "torch")
    assert all(backend.extra == name for name, backend in BACKENDS.items())


def test_choosing_a_backend_sets_keras_backend_before_the_import(
    no_keras: pytest.MonkeyPatch,
) -> None:
    # setenv first, so that the teardown restores the variable choose_backend sets below
    # (a bare delenv of an unset variable records nothing, and "jax" would leak into the
    # rest of the session: every later build would be checked for JAX)
    no_keras.setenv("KERAS_BACKEND", "tensorflow")
    no_keras.delenv("KERAS_BACKEND")
    assert choose_backend(None) is BACKENDS["tensorflow"]
    assert "KERAS_BACKEND" not in os.environ  # None keeps what the user set (nothing)
    assert choose_backend("jax") is BACKENDS["jax"]
    assert os.environ["KERAS_BACKEND"] == "jax"
    assert selected_backend() is BACKENDS["jax"]


def test_unknown_backend_is_refused(no_keras: pytest.MonkeyPatch) -> None:
    with pytest.raises(BuildUnavailable, match="unknown backend 'numpy': choose one of"):
        choose_backend("numpy")
    with pytest.raises(ValueError, match="unknown backend 'numpy'"):
        Options(backend="numpy")


def test_another_backend_than_the_imported_one_is_refused(
    keras: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras keeps the backend it was imported with: asking for another must not pass
    silently (this process imported keras on TensorFlow)."""
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    assert choose_backend(keras.backend.backend()).name == keras.backend.backend()
    other = next(name for name in KERAS_BACKENDS if name != keras.backend.backend())
    with pytest.raises(BuildUnavailable, match=r"already runs on .* needs a new process"):
        choose_backend(other)
    assert os.environ["KERAS_BACKEND"] == keras.backend.backend()


def test_options_backend_is_the_flag_then_keras_backend_then_tensorflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert Options().keras_backend == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert Options().keras_backend == "jax"
    assert Options(backend="torch").keras_backend == "torch"
