"""`graphspec lsp` takes validate's options on its command line (`--strict` here), and an
editor's `initializationOptions` on top."""

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


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "graphspec", "lsp", "--strict"]
    ),
)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=ROOT.as_uri(),
        initialization_options={"debounce_ms": 5},
    )
    await asyncio.wait_for(lsp_client.initialize_session(params), TIMEOUT_S)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT_S)


async def test_strict_on_the_command_line_makes_pruning_an_error(
    client: LanguageClient, tmp_path: Path
) -> None:
    found = await open_spec(client, (tmp_path / "demo.yaml").as_uri(), SPEC)
    assert [(d.code, d.severity) for d in found] == [("GS401", types.DiagnosticSeverity.Error)]
