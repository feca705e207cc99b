"""`graphspec lsp` driven over stdio by pytest-lsp's client, as an editor drives it: open,
change, diagnostics with their ranges, hover, definition, references, completion, symbols, a
syntax error mid-edit, hostile specs. One server per module; every wait has a timeout."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from graphspec.lsp.document import is_spec
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT_S = 10.0

SPEC = """\
graphspec: 1
name: demo
inputs:
  image: {shape: [8, 8, 1]}
shared:
  proj: {layer: Dense, units: 4}
blocks:
  unit:
    params: {width: 16}
    inputs: {x: {}}
    nodes:
      conv: {layer: Conv2D, from: x, filters: "${width}", kernel_size: 3, padding: same}
      act: {layer: ReLU, from: conv}
    outputs: {y: act}
nodes:
  first: {block: unit, from: image, with: {width: 8}}
  flat: {layer: Flatten, from: first.y}
  logits: {use: proj, from: flat}
  unused: {layer: Dense, from: flat, units: 3}
outputs:
  probs: {from: logits, loss: mse, metrics: [mae]}
"""


def at(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> types.Position:
    """The 0-based position of the `occurrence`-th `needle` in `text` (plus `offset`)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line, column + offset)


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "graphspec", "lsp"]),
)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri())
    await asyncio.wait_for(lsp_client.initialize_session(params), TIMEOUT_S)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT_S)


async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """Wait (bounded) for the diagnostics of `uri`; the caller cleared the old ones."""
    async with asyncio.timeout(TIMEOUT_S):
        while uri not in client.diagnostics:
            await asyncio.sleep(0.005)
    return list(client.diagnostics[uri])


async def open_spec(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "yaml", 1, text))
    )
    return await published(client, uri)


async def change_spec(
    client: LanguageClient, uri: str, text: str, version: int
) -> list[types.Diagnostic]:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await published(client, uri)


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


def spec_uri(tmp: Path, name: str) -> str:
    return (tmp / name).as_uri()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lsp")


async def test_a_sound_spec_gets_only_the_pruning_warning_over_the_whole_key(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    found = await open_spec(client, uri, SPEC)
    assert [(d.code, d.severity) for d in found] == [("GS401", types.DiagnosticSeverity.Warning)]
    start = at(SPEC, "unused")
    assert found[0].range == types.Range(start, types.Position(start.line, start.character + 6))
    assert found[0].source == "graphspec"


async def test_hover_on_a_node_gives_layer_shape_and_parameters(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    await open_spec(client, uri, SPEC)
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "logits:", offset=2))
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "use proj (Dense)" in text
    assert "(None, 4)" in text
    assert "parameters: 2,052" in text  # 8*8*8 flattened = 512 inputs, 4 units: 512*4 + 4


async def test_hover_on_a_pruned_node_says_so(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "demo.yaml")
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "unused", offset=1))
    )
    assert hover is not None and "pruned" in hover.contents.value  # type: ignore[union-attr]


async def test_hover_on_a_head_gives_its_loss_and_the_parameters_it_depends_on(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "probs:", offset=1))
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "loss: `mse`" in text and "`mae`" in text
    # the block's conv (3*3*1*8 + 8 = 80) and the shared Dense (2,052); `unused` not counted
    assert "parameters it depends on: 2,132" in text


async def test_hover_on_an_input_gives_shape_and_dtype(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "image", occurrence=1))
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "(None, 8, 8, 1)" in text and "float32" in text


@pytest.mark.parametrize(
    ("needle", "occurrence", "declared"),
    [
        ("flat", 2, ("flat:", 0)),  # from: flat
        ("first.y", 0, ("first:", 0)),  # node.output: the node part
        ("unit", 1, ("unit:", 0)),  # block: unit
        ("proj", 1, ("proj:", 0)),  # use: proj
        ("width}", 0, ("width:", 0)),  # ${width}
        ("width", 2, ("width:", 0)),  # with: {width: 8}
        ("conv}", 0, ("conv:", 0)),  # from: conv inside the block
    ],
)
async def test_definition_goes_to_the_declaration(
    client: LanguageClient,
    folder: Path,
    needle: str,
    occurrence: int,
    declared: tuple[str, int],
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    result = await client.text_document_definition_async(
        types.DefinitionParams(doc(uri), at(SPEC, needle, occurrence, offset=1))
    )
    assert isinstance(result, list) and len(result) == 1
    assert result[0].range.start == at(SPEC, *declared)


async def test_definition_of_a_block_output_goes_to_the_block_outputs(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    result = await client.text_document_definition_async(
        types.DefinitionParams(doc(uri), at(SPEC, "first.y", offset=6))
    )
    assert isinstance(result, list) and result[0].range.start == at(SPEC, "y: act")


async def test_references_find_every_use(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "demo.yaml")
    result = await client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True),
            text_document=doc(uri),
            position=at(SPEC, "flat:"),
        )
    )
    starts = sorted((r.range.start.line, r.range.start.character) for r in result or [])
    expected = [at(SPEC, "flat:"), at(SPEC, "flat}"), at(SPEC, "flat,")]
    assert starts == sorted((p.line, p.character) for p in expected)


async def test_document_symbols_outline_the_spec(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "demo.yaml")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc(uri)))
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names == ["image", "proj", "unit", "first", "flat", "logits", "unused", "probs"]
    block = symbols[2]
    assert isinstance(block, types.DocumentSymbol) and block.children
    assert [c.name for c in block.children] == ["width", "x", "conv", "act", "y"]


async def complete(client: LanguageClient, uri: str, text: str, position: types.Position):
    await change_spec(client, uri, text, 99)
    result = await client.text_document_completion_async(types.CompletionParams(doc(uri), position))
    items = result.items if isinstance(result, types.CompletionList) else result or []
    return [item.label for item in items]


async def test_completion_of_from_offers_the_scope_names(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "complete.yaml")
    await open_spec(client, uri, SPEC)
    text = SPEC.replace("from: flat, units: 3", "from: fl, units: 3")
    labels = await complete(client, uri, text, at(text, "from: fl,", offset=8))
    assert {"image", "first", "flat", "logits", "first.y"} <= set(labels)
    assert "unused" not in labels  # the node itself
    inside = await complete(client, uri, SPEC, at(SPEC, "from: conv", offset=6))
    assert set(inside) == {"x", "conv"}


async def test_completion_of_layers_and_their_arguments(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "complete.yaml")
    text = SPEC.replace("{layer: Dense, from: flat, units: 3}", "{layer: Dense, from: flat, un}")
    labels = await complete(client, uri, text, at(text, "un}", offset=2))
    assert "units" in labels and "activation" in labels and "from" not in labels
    text = SPEC.replace("{layer: Dense, from: flat", "{layer: Con, from: flat")
    labels = await complete(client, uri, text, at(text, "Con,", offset=3))
    assert "Conv2D" in labels and "Dense" in labels


async def test_completion_of_block_parameters_in_with(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "complete.yaml")
    text = SPEC.replace("with: {width: 8}", "with: {w}")
    labels = await complete(client, uri, text, at(text, "with: {w", offset=8))
    assert labels == ["width"]


async def test_a_syntax_error_mid_edit_is_positioned_and_hover_keeps_working(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "edit.yaml")
    await open_spec(client, uri, SPEC)
    broken = SPEC.replace("{layer: Flatten, from: first.y}", "{layer: Flatten, from: [first.y}")
    found = await change_spec(client, uri, broken, 2)
    assert [d.code for d in found] == ["GS010"]
    assert found[0].range.start.line == at(broken, "flat:").line
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(broken, "logits:", offset=1))
    )
    assert hover is not None and "(None, 4)" in hover.contents.value  # type: ignore[union-attr]
    fixed = await change_spec(client, uri, SPEC, 3)
    assert [d.code for d in fixed] == ["GS401"]


async def test_a_bad_reference_is_underlined_whole_with_its_hint(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "edit.yaml")
    broken = SPEC.replace("{use: proj, from: flat}", "{use: proj, from: flatt}")
    found = await change_spec(client, uri, broken, 4)
    errors = [d for d in found if d.severity == types.DiagnosticSeverity.Error]
    assert [d.code for d in errors] == ["GS201"]
    start = at(broken, "flatt")
    assert errors[0].range == types.Range(start, types.Position(start.line, start.character + 5))
    assert "hint: did you mean 'flat'?" in errors[0].message


HOSTILE = sorted((FIXTURES / "invalid").glob("hostile_*.yaml"))


async def test_hostile_specs_never_take_the_server_down(
    client: LanguageClient, folder: Path
) -> None:
    """Every hostile fixture gets its diagnostics in time (none for the few without the
    `graphspec:` key, which the server leaves alone as other YAML), and the server still
    answers."""
    for number, path in enumerate(HOSTILE):
        uri = spec_uri(folder, path.name)
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        found = await open_spec(client, uri, text)
        errors = [d for d in found if d.severity == types.DiagnosticSeverity.Error]
        assert bool(errors) is is_spec(text), path.name
        await client.text_document_hover_async(
            types.HoverParams(doc(uri), types.Position(number % 5, 2))
        )
        client.text_document_did_close(types.DidCloseTextDocumentParams(doc(uri)))
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(spec_uri(folder, "demo.yaml")))
    )
    assert symbols


async def test_completion_mid_edit_uses_the_last_text_that_read(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "complete.yaml")
    await change_spec(client, uri, SPEC, 100)
    text = SPEC.replace("outputs:\n  probs", "  extra: {layer: Dense, from: \noutputs:\n  probs")
    labels = await complete(client, uri, text, at(text, "from: \n", offset=6))
    assert {"image", "first", "flat", "logits", "unused"} <= set(labels)


CUSTOM = """\
graphspec: 1
name: custom
inputs:
  x: {shape: [4]}
nodes:
  scaled: {layer: Scale, from: x}
outputs:
  out: scaled
"""


async def test_custom_layers_come_from_the_nearest_pyproject(
    client: LanguageClient, folder: Path
) -> None:
    project = folder / "project"
    (project / "specs").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.graphspec.custom-layers.Scale]\nclass = "mypkg.layers.Scale"\nshape = "same"\n'
    )
    allowed = await open_spec(client, spec_uri(project / "specs", "custom.yaml"), CUSTOM)
    assert allowed == []
    hover = await client.text_document_hover_async(
        types.HoverParams(doc(spec_uri(project / "specs", "custom.yaml")), at(CUSTOM, "scaled"))
    )
    assert hover is not None and "(None, 4)" in hover.contents.value  # type: ignore[union-attr]
    (folder / "elsewhere").mkdir()
    refused = await open_spec(client, spec_uri(folder / "elsewhere", "custom.yaml"), CUSTOM)
    assert [d.code for d in refused] == ["GS301"]
    start = at(CUSTOM, "Scale")
    assert refused[0].range == types.Range(start, types.Position(start.line, start.character + 5))


async def test_a_yaml_file_that_is_not_a_spec_gets_no_diagnostics(
    client: LanguageClient, folder: Path
) -> None:
    workflow = "name: ci\non:\n  push: {branches: [main]}\njobs: {}\n"
    assert await open_spec(client, spec_uri(folder, "ci.yaml"), workflow) == []


async def test_hover_on_a_layer_and_an_argument_reads_the_catalogue(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "demo.yaml")
    await change_spec(client, uri, SPEC, 200)
    layer = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "Conv2D", offset=2))
    )
    assert layer is not None
    assert "**layer** `Conv2D`" in layer.contents.value  # type: ignore[union-attr]
    assert "`filters`" in layer.contents.value  # type: ignore[union-attr]  # required
    argument = await client.text_document_hover_async(
        types.HoverParams(doc(uri), at(SPEC, "padding", offset=1))
    )
    assert argument is not None
    assert "default: `'valid'`" in argument.contents.value  # type: ignore[union-attr]
    uses = await client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True),
            text_document=doc(uri),
            position=at(SPEC, "Dense", occurrence=1),
        )
    )
    assert sorted(r.range.start.line for r in uses or []) == [
        at(SPEC, "Dense").line,
        at(SPEC, "Dense", occurrence=1).line,
    ]


async def test_completion_of_arguments_in_a_node_being_typed_over_lines(
    client: LanguageClient, folder: Path
) -> None:
    uri = spec_uri(folder, "complete.yaml")
    await change_spec(client, uri, SPEC, 300)
    typed = "\n  wide:\n    layer: Conv1D\n    from: flat\n    ker\noutputs:"
    text = SPEC.replace("\noutputs:", typed)
    labels = await complete(client, uri, text, at(text, "    ker\n", offset=7))
    assert "kernel_size" in labels and "filters" in labels
    assert "from" not in labels and "layer" not in labels


async def test_a_refused_pyproject_is_shown_and_the_spec_still_checked(
    client: LanguageClient, folder: Path
) -> None:
    project = folder / "refused"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.graphspec]\ncustom-layers = 3\n")
    found = await open_spec(client, spec_uri(project, "custom.yaml"), CUSTOM)
    assert [d.code for d in found] == ["GS301"]  # checked with the defaults
    assert any("pyproject.toml" in m.message for m in client.messages)


async def test_a_slow_check_does_not_hold_up_other_requests(
    client: LanguageClient, folder: Path
) -> None:
    """5,000 unknown references take a second or so to check (within the caps); meanwhile
    the server answers requests about another spec, and the slow spec's diagnostics come in
    the end."""
    nodes = "".join(f"  n{i}: {{layer: Dense, from: missing{i}, units: 2}}\n" for i in range(5000))
    slow = (
        f"graphspec: 1\nname: t\ninputs:\n  x: {{shape: [8]}}\nnodes:\n{nodes}outputs:\n  out: n0\n"
    )
    uri = spec_uri(folder, "slow.yaml")
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "yaml", 1, slow))
    )
    await asyncio.sleep(0.1)  # the check has begun
    started = asyncio.get_running_loop().time()
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(spec_uri(folder, "demo.yaml")))
    )
    waited = asyncio.get_running_loop().time() - started
    assert symbols and waited < 1.0
    assert uri not in client.diagnostics  # still checking: the answer did not wait for it
    async with asyncio.timeout(60):
        while uri not in client.diagnostics:
            await asyncio.sleep(0.05)
    found = client.diagnostics[uri]
    assert [d.code for d in found[:2]] == ["GS201", "GS201"] and found[-1].code == "GS021"


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text with non-overlapping single-line edits applied (ASCII lines)."""
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        start, end = edit.range.start, edit.range.end
        line = lines[start.line]
        lines[start.line] = line[: start.character] + edit.new_text + line[end.character :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("needle", "occurrence", "new", "count"),
    [
        ("flat", 2, "flattened", 3),  # a node: its key and both references
        ("width", 1, "channels", 3),  # a parameter: params, ${width}, with:
        ("first.y", 0, "unit_1", 2),  # from a reference: first.y keeps its output
        ("y: act", 0, "result", 2),  # a block output, and the output part of first.y
    ],
)
async def test_rename_edits_every_site_and_the_spec_stays_sound(
    client: LanguageClient, folder: Path, needle: str, occurrence: int, new: str, count: int
) -> None:
    uri = spec_uri(folder, "rename.yaml")
    await open_spec(client, uri, SPEC)
    edit = await client.text_document_rename_async(
        types.RenameParams(doc(uri), at(SPEC, needle, occurrence), new)
    )
    assert edit is not None and edit.changes is not None
    edits = edit.changes[uri]
    assert len(edits) == count
    renamed = apply(SPEC, list(edits))
    assert renamed.count(new) == count
    found = await change_spec(client, uri, renamed, 2)
    assert [d.code for d in found] == ["GS401"]


async def test_rename_to_a_taken_name_is_refused(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "rename.yaml")
    await change_spec(client, uri, SPEC, 3)
    with pytest.raises(Exception, match="already declared"):
        await client.text_document_rename_async(
            types.RenameParams(doc(uri), at(SPEC, "flat:"), "logits")
        )


async def test_a_did_you_mean_hint_is_a_quick_fix(client: LanguageClient, folder: Path) -> None:
    uri = spec_uri(folder, "fix.yaml")
    broken = SPEC.replace("{use: proj, from: flat}", "{use: proj, from: flatt}")
    found = await open_spec(client, uri, broken)
    error = next(d for d in found if d.code == "GS201")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(doc(uri), error.range, types.CodeActionContext([error]))
    )
    assert actions and isinstance(actions[0], types.CodeAction)
    assert actions[0].title == "Replace with 'flat'"
    assert actions[0].edit is not None and actions[0].edit.changes is not None
    assert apply(broken, list(actions[0].edit.changes[uri])) == SPEC


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("{from: logits, loss: m", "mse"),
        ("{from: logits, loss: mse, metrics: [mae, a", "accuracy"),
    ],
)
async def test_completion_of_losses_and_metrics_in_a_head(
    client: LanguageClient, folder: Path, written: str, expected: str
) -> None:
    uri = spec_uri(folder, "complete.yaml")
    text = SPEC.replace("{from: logits, loss: mse, metrics: [mae]}", written + "]}")
    labels = await complete(client, uri, text, at(text, written, offset=len(written)))
    assert expected in labels and "Dense" not in labels


async def test_completion_over_the_protocol_edits_the_typed_reference_with_shapes(
    client: LanguageClient, folder: Path
) -> None:
    """Through the real server: after `first.`, the item `first.y` replaces `first.` (its
    edit survives the protocol) and shows its shape."""
    uri = spec_uri(folder, "dotted.yaml")
    await open_spec(client, uri, SPEC)
    text = SPEC.replace("from: flat, units: 3", "from: first., units: 3")
    where = at(text, "first., units", offset=6)
    await change_spec(client, uri, text, 2)
    result = await client.text_document_completion_async(types.CompletionParams(doc(uri), where))
    items = result.items if isinstance(result, types.CompletionList) else result or []
    item = next(item for item in items if item.label == "first.y")
    assert item.detail == "output (None, 8, 8, 8)"
    assert isinstance(item.text_edit, types.TextEdit) and item.text_edit.new_text == "first.y"
    assert item.text_edit.range == types.Range(
        types.Position(where.line, where.character - 6), where
    )
