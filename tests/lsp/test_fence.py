"""The server's work loads no Keras: a fresh process checks a seed and answers every kind of
request from it (the fence test imports the modules; this runs them), and building the CLI's
parser loads no pygls."""

from __future__ import annotations

from tests.conftest import SPECS
from tests.test_keras_fence import loaded_modules, under

SEED = SPECS / "seeds" / "seed001_ensemble_pruned.yaml"


def test_every_feature_runs_without_keras() -> None:
    code = (
        "from lsprotocol import types\n"
        "import graphspec.lsp.server\n"
        "from graphspec.lsp import features\n"
        "from graphspec.lsp.completion import completion\n"
        "from graphspec.lsp.document import Document, ProjectOptions, analyse_text\n"
        f"path = {str(SEED)!r}\n"
        "text = open(path).read()\n"
        "options = ProjectOptions().for_file(path)\n"
        "document = Document('file://' + path, path)\n"
        "document.record(analyse_text(text, path, options))\n"
        "assert features.lsp_diagnostics(document.latest, document.uri, path)\n"
        "for line in range(len(text.splitlines())):\n"
        "    for column in (2, 6, 20, 40):\n"
        "        where = types.Position(line, column)\n"
        "        features.hover(document, where)\n"
        "        features.definition(document, where)\n"
        "        features.references(document, where, True)\n"
        "        completion(document, text, where, options)\n"
        "assert features.document_symbols(document)\n"
    )
    assert under(loaded_modules(code), "keras", "tensorflow") == []


def test_the_cli_parser_loads_no_language_server() -> None:
    modules = loaded_modules("from graphspec.cli import make_parser\nmake_parser()")
    assert under(modules, "graphspec.lsp", "pygls", "lsprotocol") == []


def test_without_pygls_the_command_says_what_to_install() -> None:
    code = (
        "import sys, io, contextlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
        "            raise ImportError(f'no module named {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from graphspec.cli import main\n"
        "err = io.StringIO()\n"
        "with contextlib.redirect_stderr(err):\n"
        "    code = main(['lsp'])\n"
        "assert code == 2, code\n"
        "assert \"pip install 'graphspec[lsp]'\" in err.getvalue(), err.getvalue()\n"
    )
    loaded_modules(code)  # fails unless the code's assertions hold
