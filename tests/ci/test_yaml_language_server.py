"""The JSON Schema (schemas/graphspec.schema.json) works in a real editor: yaml-language-server
(the server behind VS Code's YAML extension and most editors' YAML support), run with Node over
stdio, validates every spec without a complaint, flags an unknown argument and a misspelt key
on their lines, completes layer names and a layer's arguments, and shows descriptions on hover.

How a file finds the schema, both ways an editor user has:

- the modeline every spec under specs/ starts with, `# yaml-language-server:
  $schema=../../schemas/graphspec.schema.json`: the server resolves a relative path against
  the directory of the document's `file://` URI and reads the file itself, so it needs no
  settings and works wherever the repository is checked out;
- `yaml.schemas` in the settings, as a VS Code user writes it in settings.json (a schema path
  relative to the workspace root, mapped to glob patterns): used here for the fixtures, which
  have no modeline.

The server is started once per module (`make test`'s set-up installs it with `npm ci` in
tests/ci/node, pinned by the lock file). `yaml/get/jsonSchema` (the server's own request)
checks that a file really got the schema: a file without one gets no diagnostics either.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ci.lsp_client import LspClient, LspError, encode, read_message
from tests.conftest import FIXTURES, ROOT, spec_files

SERVER = ROOT / "tests" / "ci" / "node" / "node_modules" / "yaml-language-server"
SCHEMA_FILE = ROOT / "schemas" / "graphspec.schema.json"
SCHEMA_URI = SCHEMA_FILE.as_uri()
MODELINE = "# yaml-language-server: $schema=../../schemas/graphspec.schema.json\n"
MAPPED = ("tests/fixtures/notes/*.yaml", "tests/fixtures/schema_invalid/*.yaml")
NOTES = sorted((FIXTURES / "notes").glob("*.yaml"))
SCHEMA_INVALID = sorted((FIXTURES / "schema_invalid").glob("*.yaml"))
EDITOR_INVALID = FIXTURES / "schema_invalid" / "editor_unknown_argument_and_key.yaml"
SETTINGS: dict[str, Any] = {
    "yaml": {
        "validate": True,
        "completion": True,
        "hover": True,
        "schemaStore": {"enable": False},  # no catalogue download: the tests run offline
        "format": {"enable": False},
        # A VS Code user's settings.json form: a path relative to the workspace, glob patterns.
        "schemas": {"./schemas/graphspec.schema.json": list(MAPPED)},
    }
}


def server_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH (yaml-language-server runs on Node.js)")
    if not (SERVER / "package.json").is_file():
        pytest.skip(
            "yaml-language-server is not installed: run make test's set-up"
            " (npm ci --prefix tests/ci/node)"
        )
    return [node, str(SERVER / "bin" / "yaml-language-server"), "--stdio"]


@pytest.fixture(scope="module")
def server() -> Iterator[LspClient]:
    with LspClient(server_command(), cwd=ROOT) as client:
        client.initialize(ROOT, SETTINGS)
        yield client


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


TYPED = (ROOT / "specs" / "editor" / f"typed_{n}.yaml" for n in itertools.count())
"""Names for the documents typed here (never written: the server reads what it is sent), two
levels under the root as the specs are, so that MODELINE resolves."""
CURSOR = "<|>"


def open_text(server: LspClient, text: str, path: Path | None = None) -> tuple[str, list[Any]]:
    """Open `text` as the file `path` (by default a fresh name from TYPED): its URI and the
    diagnostics the server publishes for it."""
    if path is None:
        path = next(TYPED)
    uri = path.as_uri()
    mark = server.mark()
    server.open(uri, text)
    return uri, server.diagnostics(uri, after=mark)


def schemas_of(server: LspClient, uri: str) -> list[str]:
    """The schemas the server applies to an open document."""
    found = server.request("yaml/get/jsonSchema", uri)
    return [entry["uri"] for entry in found]


def line_of(text: str, line_text: str) -> int:
    """The 0-based number of the one line holding `line_text`."""
    (line,) = [n for n, value in enumerate(text.splitlines()) if line_text in value]
    return line


def cursor(text: str) -> tuple[str, int, int]:
    """`text` without its CURSOR mark, and the mark's 0-based line and character."""
    before = text[: text.index(CURSOR)].split("\n")
    return text.replace(CURSOR, "", 1), len(before) - 1, len(before[-1])


def words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)}


def argument_description(schema: dict[str, Any], layer: str, argument: str) -> str:
    """The description the schema gives `argument` of `layer`: in the rule (anywhere in the
    schema) `if: {layer: layer} then: {properties: {argument: ...}}`."""
    found = []
    stack: list[Any] = [schema]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
            named = value.get("if", {}).get("properties", {}).get("layer", {})
            if layer == named.get("const") or layer in named.get("enum", ()):
                found.append(value["then"]["properties"][argument]["description"])
    (description,) = found
    assert isinstance(description, str)
    return description


@pytest.mark.parametrize("path", spec_files(), ids=lambda path: path.stem)
def test_every_spec_gets_the_schema_by_its_modeline_and_no_diagnostics(
    server: LspClient, path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    relative = Path(os.path.relpath(SCHEMA_FILE, path.parent)).as_posix()
    assert text.startswith(f"# yaml-language-server: $schema={relative}\n")
    uri, diagnostics = open_text(server, text, path)
    assert diagnostics == []
    assert schemas_of(server, uri) == [SCHEMA_URI]


@pytest.mark.parametrize("path", NOTES, ids=lambda path: path.stem)
def test_valid_fixtures_get_the_schema_by_the_settings_and_no_diagnostics(
    server: LspClient, path: Path
) -> None:
    assert "yaml-language-server" not in path.read_text(encoding="utf-8")  # no modeline
    uri, diagnostics = open_text(server, path.read_text(encoding="utf-8"), path)
    assert diagnostics == []
    assert schemas_of(server, uri) == [SCHEMA_URI]


def test_an_unknown_argument_and_a_misspelt_key_are_flagged_on_their_lines(
    server: LspClient,
) -> None:
    text = EDITOR_INVALID.read_text(encoding="utf-8")
    _, diagnostics = open_text(server, text, EDITOR_INVALID)
    flagged = {
        (item["range"]["start"]["line"], item["message"])
        for item in diagnostics
        if item["severity"] == 1  # error
    }
    assert flagged == {
        (line_of(text, "unitz: 10"), "Property unitz is not allowed."),
        (line_of(text, "descripton:"), "Property descripton is not allowed."),
    }


@pytest.mark.parametrize("path", SCHEMA_INVALID, ids=lambda path: path.stem)
def test_every_schema_invalid_fixture_gets_an_error(server: LspClient, path: Path) -> None:
    """What check-jsonschema refuses (tests/spec/test_schema.py), the editor flags too."""
    _, diagnostics = open_text(server, path.read_text(encoding="utf-8"), path)
    assert [item for item in diagnostics if item["severity"] == 1]


NODE_BEING_TYPED = (
    MODELINE
    + """\
graphspec: 1
name: typed
inputs:
  x: {shape: [4]}
nodes:
  conv:
    from: x
    layer: Con<layer>
  dense:
    layer: Dense
    from: x
    <argument>
outputs:
  y: dense
"""
)


def completion_labels(server: LspClient, at: str) -> set[str]:
    """The labels the server offers at `<layer>` or `<argument>` in NODE_BEING_TYPED."""
    typed = NODE_BEING_TYPED.replace(at, CURSOR)
    text, line, character = cursor(re.sub("<layer>|<argument>", "", typed))
    uri, _ = open_text(server, text)
    return {item["label"] for item in server.completion(uri, line, character)}


def test_completion_offers_layer_names(server: LspClient) -> None:
    labels = completion_labels(server, "<layer>")
    assert {"Conv1D", "Conv2D", "Conv3D"} <= labels
    assert "Lambda" not in labels  # unsafe: the schema refuses it


def test_completion_offers_the_layers_arguments_on_a_new_key_line(server: LspClient) -> None:
    labels = completion_labels(server, "<argument>")
    assert {"units", "activation", "use_bias"} <= labels
    assert "from" not in labels  # already there
    assert "filters" not in labels and "rate" not in labels  # Conv2D's, Dropout's


HOVERED = (
    MODELINE
    + """\
graphspec: 1
name: hovered
inputs:
  x: {shape: [4]}
nodes:
  hidden: {layer: Dense, from: x, units: 8}
  out:
    layer: Dense
    from: hidden
    units: 2
outputs:
  y: out
"""
)


@pytest.fixture(scope="module")
def hovered(server: LspClient) -> str:
    """HOVERED, opened: its URI (it is valid)."""
    uri, diagnostics = open_text(server, HOVERED)
    assert diagnostics == []
    return uri


@pytest.mark.parametrize("line_text", ["hidden: {", "    units: 2"])
def test_hover_on_an_argument_shows_its_description(
    server: LspClient, hovered: str, schema: dict[str, Any], line_text: str
) -> None:
    line = line_of(HOVERED, line_text)
    shown = server.hover(hovered, line, HOVERED.splitlines()[line].index("units") + 2)
    expected = words(argument_description(schema, "Dense", "units"))
    assert expected and expected <= words(shown), shown


def test_hover_on_a_top_level_key_shows_its_description(
    server: LspClient, hovered: str, schema: dict[str, Any]
) -> None:
    shown = server.hover(hovered, line_of(HOVERED, "inputs:"), 2)
    expected = words(schema["properties"]["inputs"]["description"])
    assert expected and expected <= words(shown), shown


# The client itself, against stand-in servers (no Node needed): framing counts bytes, and a
# server that hangs or dies fails the call within its timeout instead of hanging the tests.


def test_a_message_is_framed_by_its_length_in_bytes() -> None:
    message = {"jsonrpc": "2.0", "method": "m", "params": {"text": "größe ‸"}}
    framed = encode(message)
    header, body = framed.split(b"\r\n\r\n", 1)
    assert header == b"Content-Length: %d" % len(body)
    assert len(body) > len(body.decode("utf-8"))  # ö, ß and ‸ take more than a byte
    assert read_message(io.BytesIO(framed + framed)) == message


@pytest.mark.parametrize(
    ("server", "error", "status"),
    [
        ("import time; time.sleep(60)", "no answer to initialize within 1", -signal.SIGKILL),
        ("import sys; sys.stderr.write('boom'); sys.exit(3)", "exited while waiting", 3),
    ],
    ids=["hung", "dead"],
)
def test_a_hung_or_dead_server_fails_the_call(server: str, error: str, status: int) -> None:
    """The wait gives up after the 1 s timeout (the message says so), and closing kills a hung
    server rather than waiting for it: every wait is bounded, so nothing can hang the tests."""
    with (
        LspClient([sys.executable, "-c", server], cwd=ROOT, timeout_s=1) as client,
        pytest.raises(LspError, match=error),
    ):
        client.initialize(ROOT, SETTINGS)
    assert client.returncode == status
