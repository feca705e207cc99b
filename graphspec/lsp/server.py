"""The pygls server: documents in, diagnostics and answers out, over stdio.

Each open or change schedules one analysis of the document in a worker thread (the event loop
stays free to answer hover and completion from the previous analysis meanwhile); changes that
arrive while one runs are coalesced into the next, and diagnostics are published only for the
newest text. Hostile input is bounded by the same caps as `graphspec validate`
(`graphspec.settings.Limits`); an internal error in a check is logged and the document keeps its
previous analysis, so the server never goes down with a spec.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from graphspec import __version__
from graphspec.lsp import completion, features
from graphspec.lsp.document import Analysis, Document, ProjectOptions, analyse_text, is_spec
from graphspec.lsp.text import UTF16
from graphspec.settings import Options

log = logging.getLogger(__name__)

TRIGGERS = [":", " ", "[", "{", ",", "."]


@dataclass
class _State:
    """One open document and its scheduling: whether a check runs and whether the text
    changed since it began."""

    document: Document
    running: bool = False
    dirty: bool = False


class GraphspecServer(LanguageServer):
    """`graphspec lsp`: the LanguageServer with graphspec's documents and options."""

    def __init__(self) -> None:
        super().__init__("graphspec", __version__)
        self.states: dict[str, _State] = {}
        self.projects = ProjectOptions()
        self.debounce_s = 0.0
        self._shown: set[str] = set()
        """Messages about refused pyproject.toml files already shown (once each)."""
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphspec-check")
        self.shut_down = False
        """The client sent `shutdown`."""
        self.exited = False
        """The client sent `exit` (not only closed the pipe)."""

    def configure(self, settings: Any) -> None:
        """``initializationOptions``: ``{"strict": bool, "debounce_ms": int}``."""
        if not isinstance(settings, dict):
            return
        if "strict" in settings:
            self.projects = dataclasses.replace(
                self.projects, strict=bool(settings["strict"]), cache={}, errors={}
            )
        debounce = settings.get("debounce_ms", 0)
        if isinstance(debounce, int | float) and 0 <= debounce <= 2000:
            self.debounce_s = debounce / 1000

    def file_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def open_document(self, uri: str) -> _State:
        """A new document, its columns counted as negotiated at initialize."""
        negotiated = self.workspace.position_encoding
        encoding = str(getattr(negotiated, "value", negotiated) or UTF16)
        state = _State(Document(uri, self.file_of(uri), encoding))
        self.states[uri] = state
        return state

    def options_for(self, file: str) -> Options:
        options = self.projects.for_file(file)
        for folder, message in self.projects.errors.items():
            if message not in self._shown:
                self._shown.add(message)
                self.window_show_message(
                    types.ShowMessageParams(types.MessageType.Error, f"{folder}: {message}")
                )
        return options

    async def check(self, uri: str) -> None:
        """Analyse the newest text of `uri`, again while it changed during a check, and
        publish the diagnostics of the newest text."""
        state = self.states.get(uri)
        if state is None:
            return
        if state.running:
            state.dirty = True
            return
        state.running = True
        loop = asyncio.get_running_loop()
        try:
            while True:
                state.dirty = False
                if self.debounce_s:
                    await asyncio.sleep(self.debounce_s)
                    state.dirty = False
                if uri not in self.states:
                    return
                text_document = self.workspace.get_text_document(uri)
                text, version = text_document.source, text_document.version or 0
                file = state.document.file
                if not is_spec(text):  # another YAML file: nothing to say about it
                    self.text_document_publish_diagnostics(
                        types.PublishDiagnosticsParams(uri, [], version)
                    )
                    return
                options = self.options_for(file)
                try:
                    analysis = await loop.run_in_executor(
                        self.executor, analyse_text, text, file, options, version
                    )
                except Exception:  # a bug in a check: keep serving the last analysis
                    log.exception("checking %s failed", uri)
                    return
                if self.states.get(uri) is not state:  # closed meanwhile: say nothing
                    return
                state.document.record(analysis)  # newer than the last, even if not the newest
                if state.dirty:
                    continue
                encoding = state.document.encoding
                diagnostics = features.lsp_diagnostics(analysis, uri, file, encoding)
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri, diagnostics, version)
                )
                # index the names now, in the worker, so the next hover need not
                loop.run_in_executor(self.executor, _index, analysis)
                return
        finally:
            state.running = False


def _index(analysis: Analysis) -> None:
    """Build an analysis' name index (a cached property) off the event loop."""
    _ = analysis.index


server = GraphspecServer()


@server.feature(types.INITIALIZE)
def _initialize(ls: GraphspecServer, params: types.InitializeParams) -> None:
    ls.configure(params.initialization_options)


@server.feature(types.SHUTDOWN)
def _shutdown(ls: GraphspecServer, params: None) -> None:
    ls.shut_down = True


@server.feature(types.EXIT)
def _exit(ls: GraphspecServer, params: None) -> None:
    ls.exited = True


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def _did_open(ls: GraphspecServer, params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.open_document(uri)
    await ls.check(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def _did_change(ls: GraphspecServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri not in ls.states:
        ls.open_document(uri)
    await ls.check(uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def _did_save(ls: GraphspecServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved spec: vocabulary files beside it now resolve; a saved pyproject.toml changes
    the options of every open spec below it."""
    if params.text_document.uri.endswith("pyproject.toml"):
        for uri in list(ls.states):
            await ls.check(uri)
    elif params.text_document.uri in ls.states:
        await ls.check(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: GraphspecServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.states.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))


def _document(ls: GraphspecServer, uri: str) -> Document | None:
    state = ls.states.get(uri)
    return state.document if state is not None else None


@server.feature(types.TEXT_DOCUMENT_HOVER)
def _hover(ls: GraphspecServer, params: types.HoverParams) -> types.Hover | None:
    document = _document(ls, params.text_document.uri)
    if document is None:
        return None
    return features.hover(document, params.position, ls.options_for(document.file))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: GraphspecServer, params: types.DefinitionParams) -> list[types.Location]:
    document = _document(ls, params.text_document.uri)
    return features.definition(document, params.position) if document else []


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def _references(ls: GraphspecServer, params: types.ReferenceParams) -> list[types.Location]:
    document = _document(ls, params.text_document.uri)
    if document is None:
        return []
    return features.references(document, params.position, params.context.include_declaration)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def _rename(ls: GraphspecServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    uri = params.text_document.uri
    document = _document(ls, uri)
    if document is None:
        return None
    text = ls.workspace.get_text_document(uri).source
    try:
        return features.rename(document, text, params.position, params.new_name)
    except features.RenameRefused as refused:
        raise JsonRpcInvalidRequest(str(refused)) from None


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def _code_actions(ls: GraphspecServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    return features.quick_fixes(uri, text, params.context.diagnostics)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _symbols(ls: GraphspecServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    document = _document(ls, params.text_document.uri)
    return features.document_symbols(document) if document else []


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGERS)
)
def _completion(ls: GraphspecServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    document = _document(ls, uri)
    if document is None:
        return types.CompletionList(is_incomplete=False, items=[])
    text = ls.workspace.get_text_document(uri).source
    options = ls.options_for(document.file)
    items = completion.completion(document, text, params.position, options)
    return types.CompletionList(is_incomplete=False, items=items)


def serve(projects: ProjectOptions | None = None) -> int:
    """Run the server on stdin and stdout until the client says exit (or closes stdin),
    checking specs with `projects` (the command line's options, each folder's pyproject.toml
    under them). Python's own `sys.stdout` points at stderr meanwhile: a stray print must not
    corrupt the protocol. Returns the exit status the protocol asks for: 1 after an `exit`
    without a `shutdown` before it, else 0."""
    if projects is not None:
        server.projects = projects
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    warm_up()
    server.start_io(stdin, stdout)
    return 1 if server.exited and not server.shut_down else 0


def warm_up() -> None:
    """Import the analysis passes and read the catalogue before the first spec arrives, then
    freeze what start-up made out of the collector's way: the garbage collector then walks only
    what each analysis makes, not the ~10^5 long-lived objects of the modules, when it runs
    between edits."""
    import gc

    import graphspec.analyse.passes  # noqa: F401  (the pipeline imports it on first use)
    from graphspec.catalogue.reader import load_catalogue

    load_catalogue()
    gc.collect()
    gc.freeze()
