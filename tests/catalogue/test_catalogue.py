"""Tests for the Keras catalogue: the checked-in JSON is current, and the reader needs no Keras."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graphspec.catalogue import generate as catalogue
from graphspec.catalogue.reader import (
    CATALOGUE_PATH,
    COMPILE_METRIC_NAMES,
    UNSAFE_LAYERS,
    Catalogue,
    load_catalogue,
)
from graphspec.diagnostics.suggest import suggest


def _keras() -> Any:
    """Import Keras or skip the test: only the generator half needs it."""
    return pytest.importorskip("keras", reason="keras is not installed; generator not checked")


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """The catalogue document the installed Keras gives (generated once per module)."""
    _keras()
    return catalogue.generate()


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    """The checked-in catalogue, as the validator reads it."""
    return load_catalogue()


# -- the checked-in file is current ------------------------------------------------------------


def test_checked_in_catalogue_matches_installed_keras(generated: dict[str, Any]) -> None:
    """The JSON in the repository is exactly what the generator makes from the installed Keras."""
    checked_in = CATALOGUE_PATH.read_text(encoding="utf-8")
    fresh = catalogue.render(generated)
    if checked_in != fresh:
        summary = "\n".join(catalogue.diff_documents(json.loads(checked_in), generated))
        pytest.fail(
            "graphspec/catalogue/data/keras_catalogue.json is out of date; run "
            f"`python -m graphspec.catalogue`:\n{summary or 'formatting differs'}"
        )


def test_generation_is_deterministic(generated: dict[str, Any]) -> None:
    """Two runs give byte-identical output, so the --check test cannot flap."""
    assert catalogue.render(catalogue.generate()) == catalogue.render(generated)


def test_check_reports_a_stale_file(tmp_path: Path, generated: dict[str, Any]) -> None:
    """`--check` exits 1 and names what changed when the file differs; 0 when it is current."""
    stale = json.loads(catalogue.render(generated))
    del stale["layers"]["Dense"]
    stale["losses"].append("not_a_loss")
    path = tmp_path / "catalogue.json"
    path.write_text(catalogue.render(stale), encoding="utf-8")
    lines: list[str] = []
    assert catalogue.main(["--check", "-o", str(path)], out=lines.append) == 1
    text = "\n".join(lines)
    assert "layers: + Dense" in text
    assert "losses: - not_a_loss" in text

    path.write_text(catalogue.render(generated), encoding="utf-8")
    assert catalogue.main(["--check", "-o", str(path)], out=lines.append) == 0


def test_write_to_output_path(tmp_path: Path) -> None:
    """`-o PATH` writes the catalogue there, creating folders."""
    _keras()
    path = tmp_path / "sub" / "cat.json"
    assert catalogue.main(["-o", str(path)], out=lambda _: None) == 0
    assert load_catalogue(path).layers["Dense"].required == ("units",)


def _resolves(get: Any, name: str) -> bool:
    """Whether a Keras ``get`` takes ``name`` (a missing optional dependency still counts)."""
    try:
        return get(name) is not None
    except ImportError:
        return True


def test_name_lists_resolve_with_keras_get(cat: Catalogue) -> None:
    """Every listed name is accepted by the real Keras lookup function."""
    keras = _keras()
    groups = {
        "activations": (cat.activations, keras.activations.get),
        "losses": (cat.losses, keras.losses.get),
        "metrics": (cat.metrics - COMPILE_METRIC_NAMES, keras.metrics.get),
        "optimizers": (cat.optimizers, keras.optimizers.get),
        "initializers": (cat.initializers, keras.initializers.get),
        "regularizers": (cat.regularizers, keras.regularizers.get),
        "constraints": (cat.constraints, keras.constraints.get),
    }
    for group, (names, get) in groups.items():
        assert names, group
        bad = sorted(n for n in names if not _resolves(get, n))
        assert not bad, f"{group}: {bad}"


def test_layer_arguments_are_real(cat: Catalogue) -> None:
    """Own, inherited and base arguments of common layers construct without error in Keras."""
    keras = _keras()
    layers = keras.layers
    base = {"name": "n", "trainable": False, "dtype": "float32", "autocast": False}
    layers.Dense(units=4, **base)
    layers.Conv2D(filters=2, kernel_size=3, lora_rank=None, **base)  # lora_rank via BaseConv
    layers.LSTM(units=2, zero_output_for_mask=True, **base)  # zero_output_for_mask via RNN
    layers.MaxPool2D(pool_size=2, **base)
    assert cat.layers["Conv2D"].args["lora_rank"].inherited_from == "BaseConv"
    assert not cat.layers["Conv2D"].accepts("rank")  # Conv2D fixes BaseConv's rank itself
    with pytest.raises(TypeError):
        layers.Conv2D(filters=2, kernel_size=3, rank=2)


# -- the reader ---------------------------------------------------------------------------------


def test_known_layers_and_required_arguments(cat: Catalogue) -> None:
    """Common layers are known with their required arguments in signature order."""
    assert cat.layers["Dense"].required == ("units",)
    assert cat.layers["Conv2D"].required == ("filters", "kernel_size")
    assert cat.layers["Embedding"].required == ("input_dim", "output_dim")
    assert cat.layers["Conv2D"].args["padding"].default == "valid"
    assert cat.layers["Conv2D"].args["strides"].default == [1, 1]
    assert cat.layers["Dense"].args["units"].required
    assert cat.layer("NoSuchLayer") is None


def test_base_layer_arguments(cat: Catalogue) -> None:
    """Layers taking **kwargs accept the base Layer keywords; deprecated ones are kept apart."""
    dense = cat.layers["Dense"]
    assert dense.accepts("trainable")
    assert dense.accepts("name")
    assert dense.accepts("units")
    assert not dense.accepts("filters")
    assert {"trainable", "name", "dtype"} <= cat.base_layer_args
    assert "input_shape" in cat.deprecated_layer_args
    assert not dense.accepts("input_shape")
    assert "trainable" in dense.all_args()


def test_aliases(cat: Catalogue) -> None:
    """Keras aliases resolve to their canonical class and share its arguments."""
    pool = cat.layers["MaxPool2D"]
    assert pool.canonical == "MaxPooling2D"
    assert pool.alias
    assert pool.args == cat.layers["MaxPooling2D"].args
    assert not cat.layers["MaxPooling2D"].alias
    assert cat.layers["Convolution2D"].canonical == "Conv2D"


def test_merge_layers(cat: Catalogue) -> None:
    """Merge layers are flagged; ordinary layers are not."""
    for name in ("Add", "Concatenate", "Average", "Maximum", "Minimum", "Multiply", "Subtract"):
        assert cat.layers[name].merge, name
    assert cat.layers["Dot"].merge
    assert cat.layers["Dot"].required == ("axes",)
    assert not cat.layers["Dense"].merge


def test_unsafe_layers(cat: Catalogue) -> None:
    """Code-running and structural layers stay in the catalogue but are marked unsafe."""
    assert {"Lambda", "InputLayer"} <= UNSAFE_LAYERS
    assert "Lambda" in cat.layers
    assert not cat.layers["Lambda"].safe
    assert cat.layers["Dense"].safe
    assert "Lambda" not in cat.safe_layer_names()
    assert "Dense" in cat.safe_layer_names()


def test_names(cat: Catalogue) -> None:
    """Loss, metric, optimizer and other names a spec may write are known."""
    assert {"categorical_crossentropy", "CategoricalCrossentropy", "mse", "mae"} <= cat.losses
    assert {"accuracy", "acc", "ce", "crossentropy", "AUC"} <= cat.metrics
    assert {"rmsprop", "RMSprop", "adam", "Adam", "sgd", "SGD"} <= cat.optimizers
    assert {"relu", "softmax", "linear"} <= cat.activations
    assert {"he_normal", "glorot_uniform", "zeros"} <= cat.initializers
    assert {"l2", "L1L2"} <= cat.regularizers
    assert {"max_norm", "NonNeg"} <= cat.constraints
    assert "get" not in cat.losses
    assert "Loss" not in cat.losses
    assert cat.keras_version.startswith("3.")


def test_optimizer_arguments(cat: Catalogue) -> None:
    """Every optimizer name maps to its class's constructor arguments."""
    assert set(cat.optimizer_args) == cat.optimizers
    assert "learning_rate" in cat.optimizer_args["rmsprop"]
    assert cat.optimizer_args["rmsprop"] == cat.optimizer_args["RMSprop"]


def test_suggest() -> None:
    """Did-you-mean hints find near misses, ignoring case, and give up on nonsense."""
    cat = load_catalogue()
    assert suggest("filter", cat.layers["Conv2D"].args) == "filters"
    assert suggest("dense", cat.layers) == "Dense"
    assert suggest("Dens", cat.layers) == "Dense"
    assert suggest("conv2d", cat.layers) == "Conv2D"
    assert suggest("BatchNormalisation", cat.layers) == "BatchNormalization"
    assert suggest("categorical_crossentropyy", cat.losses) == "categorical_crossentropy"
    assert suggest("xyzzy", cat.layers) is None
    assert suggest("x", []) is None


def test_reader_types_are_frozen(cat: Catalogue) -> None:
    """Catalogue objects are immutable, so the cached instance cannot be corrupted."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.keras_version = "0"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cat.layers["Dense"] = cat.layers["Conv2D"]  # type: ignore[index]
    assert load_catalogue() is load_catalogue()


def test_wrong_format_is_refused(tmp_path: Path) -> None:
    """A catalogue written in another layout fails loudly, telling how to regenerate it."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": 0}), encoding="utf-8")
    with pytest.raises(ValueError, match="regenerate"):
        load_catalogue(path)


# -- no Keras in the reader -----------------------------------------------------------------------


def test_import_and_load_do_not_import_keras() -> None:
    """Importing the module and reading the catalogue pulls in neither Keras nor TensorFlow."""
    code = (
        "import sys, time\n"
        "import graphspec.catalogue.reader as c\n"
        "t = time.perf_counter(); cat = c.load_catalogue(); dt = time.perf_counter() - t\n"
        "assert cat.layers['Dense'].required == ('units',)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'keras', 'tensorflow'})\n"
        "print(bad, dt)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    modules, _ = result.stdout.rsplit(" ", 1)
    assert modules == "[]", modules


def test_load_is_cached() -> None:
    """The catalogue file is read once per process (its load time is in benchmarks/)."""
    load_catalogue.cache_clear()
    first = load_catalogue()
    assert load_catalogue() is first
    load_catalogue.cache_clear()
    assert load_catalogue() is not first
