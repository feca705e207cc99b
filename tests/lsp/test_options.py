"""`graphspec lsp` takes validate's options on its command line (`--strict` here), and an
editor's `initializationOptions` on top; columns count what the client asked for (UTF-8
here)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import ROOT
from tests.lsp.test_server import SPEC, TIMEOUT_S, open_spec

pytestmark = pytest.mark.asyncio(loop_scope="module")

CAPABILITIES: list[types.ServerCapabilities] = []
"""What the server answered to `initialize`."""


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "graphspec", "lsp", "--strict"]
    ),
)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(
            general=types.GeneralClientCapabilities(
                position_encodings=[types.PositionEncodingKind.Utf8]
            )
        ),
        root_uri=ROOT.as_uri(),
        initialization_options={"debounce_ms": 5},
    )
    result = await asyncio.wait_for(lsp_client.initialize_session(params), TIMEOUT_S)
    CAPABILITIES.append(result.capabilities)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT_S)


async def test_strict_on_the_command_line_makes_pruning_an_error(
    client: LanguageClient, tmp_path: Path
) -> None:
    found = await open_spec(client, (tmp_path / "demo.yaml").as_uri(), SPEC)
    assert [(d.code, d.severity) for d in found] == [("GS401", types.DiagnosticSeverity.Error)]


async def test_columns_are_counted_in_the_negotiated_encoding(
    client: LanguageClient, tmp_path: Path
) -> None:
    assert CAPABILITIES[0].position_encoding == types.PositionEncodingKind.Utf8
    text = SPEC.replace("{use: proj, from: flat}", "{use: proj, from: flätt}")
    found = await open_spec(client, (tmp_path / "utf8.yaml").as_uri(), text)
    line = text.splitlines()[found[0].range.start.line]
    start = len(line[: line.index("flätt")].encode("utf-8"))
    assert (found[0].range.start.character, found[0].range.end.character) == (start, start + 6)
