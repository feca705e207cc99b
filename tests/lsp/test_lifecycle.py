"""How `graphspec lsp` ends: after the client's `shutdown` and `exit` (status 0), after an
`exit` without `shutdown` (status 1, as the protocol asks), and when its stdin closes (the
editor went away: status 0), each promptly; and what `--help` tells a person who runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

TIMEOUT_S = 30.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}
SHUTDOWN = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}
EXIT = {"jsonrpc": "2.0", "method": "exit"}


def framed(*messages: dict[str, Any]) -> bytes:
    out = b""
    for message in messages:
        body = json.dumps(message).encode()
        out += b"Content-Length: %d\r\n\r\n" % len(body) + body
    return out


@pytest.mark.parametrize(
    ("messages", "status"),
    [
        ((INITIALIZE, SHUTDOWN, EXIT), 0),
        ((INITIALIZE, EXIT), 1),
        ((INITIALIZE,), 0),  # then stdin closes
    ],
    ids=["shutdown-exit", "exit-only", "stdin-closed"],
)
def test_the_server_ends_with_the_status_the_protocol_asks(
    messages: tuple[dict[str, Any], ...], status: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graphspec", "lsp"],
        input=framed(*messages),
        capture_output=True,
        timeout=TIMEOUT_S,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == status, done.stderr.decode()[-2000:]
    assert b'"id": 1' in done.stdout or b'"id":1' in done.stdout  # it answered initialize


def test_help_says_who_starts_it_which_files_it_checks_and_where_the_settings_are() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graphspec", "lsp", "--help"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    text = " ".join(done.stdout.split())
    assert "An editor starts it" in text
    assert "graphspec: version key" in text
    assert "docs/editors.md" in text
    assert "1 after an exit without shutdown" in text
