"""graphspec import: Keras models to specs, and back (round trips of small zoo models)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphspec
from graphspec.catalogue.custom import CustomLayers
from graphspec.cli import main
from graphspec.diagnostics.codes import Stage
from graphspec.importer.to_spec import from_keras, import_config, model_config
from graphspec.testing.roundtrip import compare

LAYER_SCALE = CustomLayers.from_settings(
    {
        "LayerScale": {
            "class": "keras.src.applications.convnext.LayerScale",
            "shape": "same",
            "trainable": "projection_dim",
        }
    },
    "test",
)


@pytest.fixture(scope="module")
def handmade(keras: Any) -> Any:
    """One model with every form the importer writes."""
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    layers = keras.layers
    left = keras.Input((8,), name="left")
    right = keras.Input((8,), name="right")
    encoder = layers.Dense(4, activation="relu", name="encoder")
    a, b = encoder(left), encoder(right)
    tower_in = keras.Input((4,))
    tower = keras.Model(tower_in, layers.Dense(4, name="tower_dense")(tower_in), name="tower")
    t = tower(a)
    merged = layers.Concatenate(name="merged")([t, b])
    hidden = layers.Dense(4, name="hidden_1", kernel_initializer="he_normal")(merged)
    hidden = layers.BatchNormalization(name="hidden_bn")(hidden)
    hidden = layers.Activation("relu", name="hidden_act")(hidden)
    shifted = hidden + 3.0
    summed = shifted + b
    scaled = CustomScaleLayer(0.5, name="scaled")([summed, t])
    constant = keras.initializers.Constant(0.0)  # Keras makes it by name only with a value
    out = layers.Dense(2, activation="softmax", name="out", bias_initializer=constant)(scaled)
    return keras.Model([left, right], out, name="handmade")


@pytest.fixture(scope="module")
def handmade_spec(handmade: Any) -> str:
    return from_keras(handmade)


def test_the_spec_is_what_a_person_writes(handmade_spec: str) -> None:
    spec = graphspec.loads(handmade_spec)
    assert list(spec.inputs) == ["left", "right"]
    assert spec.shared["encoder"].layer == "Dense"  # type: ignore[union-attr]
    uses = [n for n in spec.nodes.values() if getattr(n, "use", None) == "encoder"]
    assert len(uses) == 2
    assert "tower_block" in spec.blocks
    chain = spec.nodes["hidden_act"]
    assert [item.name for item in chain.sequence] == [  # type: ignore[union-attr]
        "hidden_1",
        "hidden_bn",
        "hidden_act",
    ]
    expressions = sorted(n.expr for n in spec.nodes.values() if hasattr(n, "expr"))
    assert expressions == ["a + 3.0", "a + b * 0.5"]
    assert any(getattr(n, "op", None) == "add" for n in spec.nodes.values())
    assert list(spec.outputs) == ["out"]
    # defaults are left out; a non-default initializer is kept by its usual name
    assert "use_bias" not in handmade_spec and "glorot_uniform" not in handmade_spec
    assert "kernel_initializer: he_normal" in handmade_spec
    assert "bias_initializer: {name: Constant}" in handmade_spec


def test_import_is_deterministic_and_validates_cleanly(handmade: Any, handmade_spec: str) -> None:
    assert from_keras(handmade) == handmade_spec
    report = graphspec.check(graphspec.loads(handmade_spec))
    assert report.ok
    assert [d for d in report.diagnostics if d.severity != "info"] == []


def test_handmade_round_trip(handmade: Any, handmade_spec: str) -> None:
    imported = import_config(model_config(handmade))
    result = compare(handmade, imported.text, imported.layer_names)
    assert result.mismatches == ()
    assert result.static_params == handmade.count_params() == result.built_params
    # Inputs up to 255 give activations of several hundred, where float32 steps by 3e-5 to
    # 6e-5: TensorFlow's graph optimizer may reassociate the chain of keras.ops additions
    # (hidden + 3.0 + b + t * 0.5) in the build, which CustomScaleLayer's layer call keeps
    # apart in the original, so the two may differ by one such step.
    assert result.max_abs_diff is not None and result.max_abs_diff < 1.3e-4


SMALL_ZOO = [
    ("MobileNet", {"alpha": 0.25, "input_shape": (32, 32, 3)}),
    ("MobileNetV3Small", {"input_shape": (32, 32, 3), "minimalistic": True}),
    ("EfficientNetB0", {"input_shape": (32, 32, 3)}),
    ("ConvNeXtTiny", {"input_shape": (32, 32, 3)}),
]


@pytest.mark.parametrize(("name", "kwargs"), SMALL_ZOO, ids=[n for n, _ in SMALL_ZOO])
def test_zoo_round_trip(keras: Any, name: str, kwargs: dict[str, Any]) -> None:
    model = getattr(keras.applications, name)(weights=None, **kwargs)
    imported = import_config(model_config(model), name, LAYER_SCALE)
    result = compare(model, imported.text, imported.layer_names, LAYER_SCALE)
    assert result.mismatches == ()
    assert result.static_params == model.count_params() == result.built_params
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-5
    keras.backend.clear_session()


def test_lambda_is_refused_with_the_expr_form(keras: Any) -> None:
    x = keras.Input((4,), name="x")
    y = keras.layers.Lambda(lambda t: t * 2, name="double")(x)
    with pytest.raises(graphspec.SpecError) as caught:
        from_keras(keras.Model(x, y))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS703"
    assert "double" in diagnostic.message and "expr" in (diagnostic.hint or "")


def test_a_class_outside_keras_needs_allowing(keras: Any) -> None:
    from keras.src.applications.convnext import LayerScale

    x = keras.Input((3, 4), name="x")
    y = LayerScale(1e-6, 4, name="scale")(x)
    model = keras.Model(x, y)
    with pytest.raises(graphspec.SpecError) as caught:
        from_keras(model)
    assert caught.value.diagnostics[0].code == "GS704"
    assert "--custom-layer keras.src.applications.convnext.LayerScale" in str(
        caught.value.diagnostics[0].hint
    )
    text = from_keras(model, ["keras.src.applications.convnext.LayerScale"])
    assert "layer: LayerScale" in text
    # without a declared rule the shape is unknown to validate (info), with one it is inferred
    path = LAYER_SCALE.layers["LayerScale"].path
    bare = graphspec.check(graphspec.loads(text), custom_layers=[path])
    assert bare.ok and [d.code for d in bare.diagnostics] == ["GS601"]
    ruled = graphspec.check(graphspec.loads(text), custom_layers=LAYER_SCALE)
    assert ruled.ok and ruled.plan is not None and ruled.plan.trainable == 4
    # the spec alone cannot use it
    assert [d.code for d in graphspec.check(graphspec.loads(text)).diagnostics] == ["GS301"]


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, handmade: Any) -> Path:
    path = tmp_path_factory.mktemp("models") / "handmade.keras"
    handmade.save(path)
    return path


def test_cli_import_writes_a_spec_from_a_keras_file(
    saved: Path, handmade_spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "spec.yaml"
    assert main(["import", str(saved), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Imported from handmade.keras")
    assert text.split("\n", 1)[1] == handmade_spec  # the same spec as from the live model
    assert graphspec.check(graphspec.loads(text)).ok
    assert "wrote" in capsys.readouterr().err
    # an existing spec is kept unless --force
    out.write_text("keep me")
    assert main(["import", str(saved), "-o", str(out)]) == 2
    assert out.read_text() == "keep me"
    assert main(["import", str(saved), "-o", str(out), "--force"]) == 0
    assert out.read_text() == text


def test_cli_import_to_stdout_from_json(
    handmade: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "model.json"
    config.write_text(handmade.to_json())
    assert main(["import", str(config)]) == 0
    assert capsys.readouterr().out.startswith("# Imported from model.json")


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"not json", 1), (b"[1, 2]", 1), (b'{"class_name": "Subclassed", "config": {}}', 1)],
)
def test_cli_import_bad_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, code: int
) -> None:
    model = tmp_path / "model.json"
    model.write_bytes(content)
    assert main(["import", str(model), "-o", str(tmp_path / "spec.yaml")]) == code
    assert "error[GS701]" in capsys.readouterr().err
    assert not (tmp_path / "spec.yaml").exists()


def test_cli_import_usage_errors(tmp_path: Path) -> None:
    assert main(["import", str(tmp_path / "missing.keras")]) == 2
    model = tmp_path / "m.json"
    model.write_text("{}")
    assert main(["import", str(model), "-o", str(tmp_path / "spec.txt")]) == 2


def test_import_reads_config_json_without_keras(tmp_path: Path) -> None:
    """A Keras JSON config imports in a process that never loads Keras."""
    import subprocess
    import sys

    config = {
        "class_name": "Functional",
        "config": {
            "name": "tiny",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "x"},
                    "inbound_nodes": [],
                },
                {
                    "module": "keras.layers",
                    "class_name": "Dense",
                    "name": "y",
                    "config": {"name": "y", "units": 2, "use_bias": True},
                    "inbound_nodes": [
                        {
                            "args": [
                                {
                                    "class_name": "__keras_tensor__",
                                    "config": {"shape": [None, 4], "keras_history": ["x", 0, 0]},
                                }
                            ],
                            "kwargs": {},
                        }
                    ],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["y", 0, 0]],
        },
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    code = (
        "import sys\nfrom graphspec.cli import main\n"
        f"rc = main(['import', {str(path)!r}])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')]\n"
        "print(rc, bad, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.strip().endswith("0 []"), result.stderr
    assert "y: {layer: Dense, from: x, units: 2}" in result.stdout


def test_round_trip_notices_a_changed_spec(handmade: Any, handmade_spec: str) -> None:
    imported = import_config(model_config(handmade))
    changed = imported.text.replace("units: 2", "units: 3")
    assert changed != imported.text
    result = compare(handmade, changed, imported.layer_names, predict=False)
    assert not result.ok
    assert any("static params" in m for m in result.mismatches)
    assert any("layer out" in m for m in result.mismatches)


def test_round_trip_notices_a_changed_computation(handmade: Any) -> None:
    """Same structure and weights, another constant: only the predictions can tell."""
    imported = import_config(model_config(handmade))
    changed = imported.text.replace("a + 3.0", "a + 4.0")
    assert changed != imported.text
    result = compare(handmade, changed, imported.layer_names)
    assert result.mismatches == ()
    assert result.max_abs_diff is not None and result.max_abs_diff > 1e-5
    assert not result.ok


CUSTOM_MODULE = """
import keras


class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
"""


def test_user_custom_layer_builds_saves_and_loads(
    keras: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gs_user_layers.py").write_text(CUSTOM_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    text = """\
graphspec: 1
name: custom_user
inputs:
  x: {shape: [3]}
nodes:
  scaled: {layer: Scale, from: x, factor: 3.0}
outputs:
  out: scaled
"""
    allowed = ["gs_user_layers.Scale"]
    with pytest.raises(graphspec.SpecError):
        graphspec.build(graphspec.loads(text))  # not allowed: the spec alone cannot name it
    model = graphspec.build(graphspec.loads(text), custom_layers=allowed)
    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = graphspec.load_model(path, custom_layers=allowed)
    batch = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    assert loaded.predict(batch, verbose=0).tolist() == [[3.0, 6.0, 9.0]]
    assert type(loaded.get_layer("out")).__name__ == "Scale"


# --------------------------------------------------------------------------- untrusted configs

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_mangled_config_gives_a_diagnostic_never_a_traceback(
    handmade_config: dict[str, Any], data: st.DataObject
) -> None:
    """Model files are untrusted too: a changed or deleted entry anywhere in the config ends
    in graphspec's own error (or a spec), nothing else."""
    config = copy.deepcopy(handmade_config)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(config) if p]
        path = data.draw(st.sampled_from(paths))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSON)
    try:
        imported = import_config(config, "mangled.json")
    except graphspec.SpecError as error:
        assert error.diagnostics and error.diagnostics[0].code.stage is Stage.IMPORT
        return
    assert isinstance(imported.text, str) and imported.text.startswith("graphspec: 1")


@pytest.fixture(scope="module")
def handmade_config(handmade: Any) -> dict[str, Any]:
    return model_config(handmade)
