"""A small Language Server Protocol client over stdio, for tests: JSON-RPC 2.0 messages framed
by `Content-Length` headers, a reader thread, and a timeout on every wait, so a server that
hangs or dies fails the test instead of hanging it.

The server's requests of the client are answered here: `workspace/configuration` with the
sections of the settings given to `initialize` (yaml-language-server pulls its settings that
way whatever the client advertises, and ignores those pushed with `didChangeConfiguration`),
anything else with `null`. Each request is kept with the notifications, so a test can wait
for it.

    with LspClient(["node", "server.js", "--stdio"], cwd=root) as client:
        client.initialize(root_uri, settings)
        client.open(uri, text)
        diagnostics = client.diagnostics(uri)
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DEFAULT_TIMEOUT_S = 30.0
"""A wait for one answer; yaml-language-server answers in milliseconds once its schema is
loaded, and the first load of a 0.5 MB schema takes well under a second."""


class LspError(RuntimeError):
    """The server answered with an error, died, or did not answer in time."""


@dataclass(frozen=True)
class Notification:
    """A notification the server sent: its method, its params and when it arrived."""

    method: str
    params: Any
    received_at: float


def encode(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message with its `Content-Length` header (the length in bytes)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message on `stream`, or None at its end."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise LspError("a message without a Content-Length header")
    body = stream.read(length)
    if len(body) < length:
        return None
    message: dict[str, Any] = json.loads(body)
    return message


class LspClient:
    """A language server run as a child process, spoken to over its stdin and stdout."""

    def __init__(
        self, command: Sequence[str], cwd: Path, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.timeout_s = timeout_s
        self._process = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._lock = threading.Condition()
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._notifications: list[Notification] = []
        self._stderr: list[bytes] = []
        self._closed = False
        self._settings: dict[str, Any] = {}
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- the wire ----------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        with self._write_lock:
            try:
                self._process.stdin.write(encode({"jsonrpc": "2.0", **message}))
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError) as error:
                raise LspError(f"the server is gone: {self.stderr_tail()}") from error

    def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        while (message := read_message(self._process.stdout)) is not None:
            if "method" in message and "id" in message:  # a request of the client
                self._send({"id": message["id"], "result": self._answer(message)})
            with self._lock:
                if "method" in message:  # a notification, or a request answered above
                    self._notifications.append(
                        Notification(message["method"], message.get("params"), time.perf_counter())
                    )
                else:
                    self._responses[message["id"]] = message
                self._lock.notify_all()
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def _answer(self, request: dict[str, Any]) -> Any:
        """The result of a request of the client: settings for `workspace/configuration`."""
        if request["method"] == "workspace/configuration":
            items = request.get("params", {}).get("items", [])
            return [self._settings.get(item.get("section", "")) for item in items]
        return None

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)

    def stderr_tail(self) -> str:
        """The end of what the server wrote on stderr, for failure messages."""
        return b"".join(self._stderr[-20:]).decode("utf-8", "replace")

    def _wait(self, ready: Callable[[], Any], what: str, timeout_s: float | None) -> Any:
        """Wait until `ready()` is truthy and return it; LspError on a timeout or a dead server."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        with self._lock:
            while not (found := ready()):
                left = deadline - time.monotonic()
                if self._closed:
                    tail = self.stderr_tail()
                    raise LspError(f"the server exited while waiting for {what}: {tail}")
                if left <= 0:
                    raise LspError(f"no {what} within {timeout_s or self.timeout_s} s")
                self._lock.wait(left)
            return found

    # -- JSON-RPC ----------------------------------------------------------------------------

    def request(self, method: str, params: Any, timeout_s: float | None = None) -> Any:
        """Send a request and wait for its result."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        self._send({"id": ident, "method": method, "params": params})
        response: dict[str, Any] = self._wait(
            lambda: self._responses.pop(ident, None), f"answer to {method}", timeout_s
        )
        if "error" in response:
            raise LspError(f"{method}: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def mark(self) -> int:
        """How many notifications have arrived: wait for those after it with `notification`."""
        with self._lock:
            return len(self._notifications)

    def notification(
        self,
        method: str,
        where: Callable[[Any], bool] = lambda _: True,
        after: int = 0,
        timeout_s: float | None = None,
    ) -> Notification:
        """The first `method` notification from number `after` on whose params match `where`."""

        def found() -> Notification | None:
            for item in self._notifications[after:]:
                if item.method == method and where(item.params):
                    return item
            return None

        result: Notification = self._wait(found, f"{method} notification", timeout_s)
        return result

    # -- the language server protocol --------------------------------------------------------

    def initialize(self, root: Path, settings: dict[str, Any]) -> dict[str, Any]:
        """`initialize`, `initialized`, then the settings; the server's capabilities.

        Returns once the server has pulled the settings and handled them: a document opened
        before would be validated with the defaults (and again after, with two sets of
        diagnostics published)."""
        self._settings = settings
        capabilities = {
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": False},
                "completion": {
                    "completionItem": {"snippetSupport": False, "documentationFormat": ["markdown"]}
                },
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "synchronization": {"didSave": False},
            },
            "workspace": {"configuration": True, "workspaceFolders": False},
        }
        result: dict[str, Any] = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": capabilities,
                "initializationOptions": {},
            },
        )
        self.notify("initialized", {})
        mark = self.mark()
        self.notify("workspace/didChangeConfiguration", {"settings": settings})
        self.notification("workspace/configuration", after=mark)
        self.barrier()
        return result

    def barrier(self) -> None:
        """Wait until the server has handled everything sent before: a request it does not
        know, which it answers (with an error) only after the messages before it."""
        try:
            self.request("graphspec/barrier", None)
        except LspError as error:
            if "-32601" not in str(error):  # MethodNotFound is the expected answer
                raise

    def open(self, uri: str, text: str, language: str = "yaml", version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language,
                    "version": version,
                    "text": text,
                }
            },
        )

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def diagnostics(self, uri: str, after: int = 0, timeout_s: float | None = None) -> list[Any]:
        """The diagnostics the server publishes for `uri` (the first set after `after`)."""
        published = self.notification(
            "textDocument/publishDiagnostics",
            lambda params: params.get("uri") == uri,
            after=after,
            timeout_s=timeout_s,
        )
        diagnostics: list[Any] = published.params["diagnostics"]
        return diagnostics

    def completion(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        """The completion items at a position (0-based line and character)."""
        result = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        if result is None:
            return []
        items: list[dict[str, Any]] = result["items"] if isinstance(result, dict) else result
        return items

    def hover(self, uri: str, line: int, character: int) -> str:
        """The hover text at a position, markdown or plain ("" when there is none)."""
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        if not result:
            return ""
        contents = result["contents"]
        parts = contents if isinstance(contents, list) else [contents]
        return "\n".join(part if isinstance(part, str) else part["value"] for part in parts)

    # -- life --------------------------------------------------------------------------------

    def close(self) -> None:
        """`shutdown` and `exit` if the server still answers, else (or if it does not stop)
        killed; its pipes closed."""
        grace = min(5.0, self.timeout_s)
        try:
            if self._process.poll() is None:
                self.request("shutdown", None, timeout_s=grace)
                self.notify("exit", None)
                self._process.wait(timeout=grace)
        except (LspError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait(timeout=grace)
        finally:
            for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()

    @property
    def returncode(self) -> int | None:
        """The server's exit status once it has ended (negative: the signal that ended it)."""
        return self._process.poll()

    def __enter__(self) -> LspClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
