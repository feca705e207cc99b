"""Command line: `graphspec validate|build|summary|graph|diff|import|schema`.

Only `build` imports Keras, and lazily; `import` reads a model's config without it."""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from graphspec.catalogue.custom import CustomLayerError
from graphspec.diagnostics import Severity
from graphspec.diagnostics.render import (
    diagnostic_json,
    escape,
    format_github,
    format_text,
    source_lines,
)
from graphspec.settings import DEFAULT_LIMITS, Limits, Options

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A problem with the command line or the file system (exit 2)."""


def _expand(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            # A pull request could add 'spec.yaml -> ~/.ssh/id_rsa': never read through a link,
            # or its target's lines would be quoted in the CI log.
            raise UsageError(f"{raw}: is a symbolic link; graphspec reads spec files only")
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml", ".json") and p.is_file() and not p.is_symlink()
            )
            if not found:
                raise UsageError(f"{raw}: directory holds no .yaml, .yml or .json spec")
            files.extend(found)
        elif not path.exists() and any(char in raw for char in "*?["):
            # A quoted pattern (or a shell that does not expand): expand it ourselves.
            matched = sorted(
                Path(p)
                for p in glob.glob(raw, recursive=True)
                if Path(p).is_file() and not Path(p).is_symlink()
            )
            if not matched:
                raise UsageError(f"{raw}: the pattern matches no file")
            files.extend(matched)
        elif not path.exists():
            raise UsageError(f"{raw}: no such file")
        else:
            files.append(path)
    return files


def _pick_format(requested: str | None) -> str:
    if requested:
        return requested
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


# ---- commands -------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.pipeline import check_path

    files = _expand(args.specs)
    fmt = _pick_format(args.format)
    invalid = warnings = 0
    results = []
    for file in files:
        try:
            report = check_path(file, options)
        except OSError as error:
            raise UsageError(f"{file}: cannot read: {error.strerror or error}") from error
        invalid += 0 if report.ok else 1
        warnings += sum(d.severity is Severity.WARNING for d in report.diagnostics)
        if fmt == "json":
            results.append(
                {
                    "file": str(file),
                    "status": "valid" if report.ok else "invalid",
                    "diagnostics": [diagnostic_json(d) for d in report.diagnostics],
                }
            )
            continue
        # The file is read once for quoting its lines, and only when there is something to say.
        lines = source_lines(str(file)) if report.diagnostics and fmt == "text" else []
        for diagnostic in report.diagnostics:
            line = format_github(diagnostic) if fmt == "github" else format_text(diagnostic, lines)
            print(line, file=out)
    if fmt == "json":
        json.dump({"version": 1, "files": results}, out, indent=2)
        out.write("\n")
    else:
        valid = len(files) - invalid
        print(
            f"checked {len(files)} spec(s): {valid} valid, {invalid} invalid, "
            f"{warnings} warning(s)",
            file=err,
        )
    return EXIT_INVALID if invalid else EXIT_OK


def _check_output(path: Path, force: bool) -> None:
    if path.suffix != ".keras":
        raise UsageError(f"{path}: the output must end in .keras")
    if path.is_symlink():
        raise UsageError(f"{path}: is a symbolic link; refusing to write through it")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{parent}: not writable")


def save_atomically(model: Any, path: Path) -> None:
    """Save next to the target and rename, so a failure never leaves a half-written file."""
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=".tmp.keras", dir=path.parent or "."
    )
    os.close(handle)
    try:
        model.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _build_one(
    spec_path: Path,
    output: Path,
    args: argparse.Namespace,
    options: Options,
    out: TextIO,
    err: TextIO,
) -> int:
    from graphspec.emit.model import BuildUnavailable
    from graphspec.emit.recursion import deep_recursion
    from graphspec.pipeline import build_report, check_path

    try:
        report = check_path(spec_path, options)
    except OSError as error:
        raise UsageError(f"{spec_path}: cannot read: {error.strerror or error}") from error
    for diagnostic in report.diagnostics:
        print(format_text(diagnostic), file=err)
    if not report.ok:
        return EXIT_INVALID
    started = time.perf_counter()
    try:
        model, report = build_report(report, options)
    except BuildUnavailable as error:
        raise UsageError(str(error)) from error
    if model is None:
        for diagnostic in report.diagnostics:
            if diagnostic.code.startswith("GS5"):
                print(format_text(diagnostic), file=err)
        return EXIT_INVALID
    # Keras 3.15 walks the graph iteratively here; the raise is insurance for other 3.x.
    with deep_recursion(len(model.layers)):
        if not args.quiet:
            model.summary(print_fn=lambda line, *_, **__: print(line, file=out))
        save_atomically(model, output)
    seconds = time.perf_counter() - started
    print(f"wrote {output} ({model.count_params():,} parameters) in {seconds:.1f} s", file=err)
    return EXIT_OK


def cmd_build(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    specs = [Path(spec) for spec in args.specs]
    specs = _expand([str(spec) for spec in specs])
    if args.output and len(specs) > 1:
        raise UsageError("-o/--output takes one spec; use --output-dir for several")
    if args.output_dir and not Path(args.output_dir).is_dir():
        raise UsageError(f"{args.output_dir}: no such directory")
    directory = Path(args.output_dir or ".")
    outputs = [Path(args.output) if args.output else directory / f"{s.stem}.keras" for s in specs]
    if len(set(outputs)) < len(outputs):
        raise UsageError("two specs would be saved to the same file; give them distinct names")
    for output in outputs:  # refuse before any slow work
        _check_output(output, args.force)
    worst = EXIT_OK
    for index, (spec, output) in enumerate(zip(specs, outputs, strict=True), start=1):
        counter = f"[{index}/{len(specs)}] " if len(specs) > 1 else ""
        print(f"{counter}building {spec} ...", file=err)
        worst = max(worst, _build_one(spec, output, args, options, out, err))
    return worst


def cmd_summary(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.pipeline import check_path
    from graphspec.views.summary import render_summary

    worst = EXIT_OK
    for file in _expand(args.specs):
        try:
            report = check_path(file, options)
        except OSError as error:
            raise UsageError(f"{file}: cannot read: {error.strerror or error}") from error
        for diagnostic in report.diagnostics:
            if diagnostic.severity is not Severity.INFO or args.verbose:
                print(format_text(diagnostic), file=err)
        if report.plan is None:
            worst = EXIT_INVALID
            continue
        out.write(render_summary(report.plan, str(file)) + "\n")
    return worst


def cmd_graph(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.pipeline import check_path
    from graphspec.views.drawing import render_dot, render_mermaid

    if Path(args.spec).is_dir():
        raise UsageError(f"{args.spec}: is a directory; graph draws one spec")
    (spec_path,) = _expand([args.spec])
    try:
        report = check_path(spec_path, options)
    except OSError as error:
        raise UsageError(f"{spec_path}: cannot read: {error.strerror or error}") from error
    for diagnostic in report.diagnostics:
        if diagnostic.severity is not Severity.INFO:
            print(format_text(diagnostic), file=err)
    if report.plan is None:
        return EXIT_INVALID
    text = render_dot(report.plan) if args.format == "dot" else render_mermaid(report.plan)
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            raise UsageError(f"{target}: is a directory")
        target.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.pipeline import check_path
    from graphspec.views.diff import diff_json, diff_plans, format_diff

    files = []
    for raw in (args.old, args.new):
        if Path(raw).is_dir():
            raise UsageError(f"{raw}: is a directory; diff compares two spec files")
        found = _expand([raw])
        if len(found) != 1:
            raise UsageError(f"{raw}: matches {len(found)} files; diff compares two spec files")
        files.extend(found)
    reports = []
    for file in files:
        try:
            reports.append(check_path(file, options))
        except OSError as error:
            raise UsageError(f"{file}: cannot read: {error.strerror or error}") from error
    old, new = reports
    if old.plan is None or new.plan is None:  # nothing to compare: say why, as validate does
        invalid = [(file, r) for file, r in zip(files, reports, strict=True) if r.plan is None]
        if args.format == "json":
            entries = [
                {
                    "file": str(file),
                    "status": "invalid",
                    "diagnostics": [diagnostic_json(d) for d in report.diagnostics],
                }
                for file, report in invalid
            ]
            json.dump({"version": 1, "status": "invalid", "files": entries}, out, indent=2)
            out.write("\n")
        else:
            for file, report in invalid:
                lines = source_lines(str(file))
                for diagnostic in report.diagnostics:
                    print(format_text(diagnostic, lines), file=out)
        names = " and ".join(escape(str(file)) for file, _ in invalid)
        print(f"graphspec diff: {names}: invalid, not compared", file=err)
        return EXIT_INVALID
    difference = diff_plans(old.plan, new.plan)
    if args.format == "json":
        json.dump(diff_json(difference), out, indent=2)
        out.write("\n")
    else:
        for line in format_diff(difference):
            print(escape(line), file=out)
    return EXIT_OK if difference.identical else EXIT_INVALID


def cmd_import(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    """A `.keras` file or Keras JSON config to a spec; reads the config only (no TensorFlow)."""
    from graphspec.diagnostics import SpecError
    from graphspec.importer.to_spec import import_path
    from graphspec.pipeline import check_text

    model = Path(args.model)
    if not model.is_file():
        raise UsageError(f"{model}: no such file")
    output = Path(args.output) if args.output else None
    if output is not None:
        if output.suffix not in (".yaml", ".yml"):
            raise UsageError(f"{output}: the spec must end in .yaml or .yml")
        if output.is_symlink() or output.is_dir():
            raise UsageError(f"{output}: is a symbolic link or a directory")
        if output.exists() and not args.force:
            raise UsageError(f"{output}: already exists; pass --force to overwrite it")
        if not (output.parent if str(output.parent) else Path(".")).is_dir():
            raise UsageError(f"{output.parent}: no such directory")
    try:
        imported = import_path(model, options.custom_layers)
    except SpecError as error:
        for diagnostic in error.diagnostics:
            print(format_text(diagnostic), file=err)
        return EXIT_INVALID
    name = str(output) if output else f"<{model.name} imported>"
    report = check_text(imported.text, name, options)
    for diagnostic in report.diagnostics:
        if diagnostic.severity is not Severity.INFO:
            print(format_text(diagnostic), file=err)
    if not report.ok:
        print("graphspec: the imported spec does not validate; nothing written", file=err)
        return EXIT_INVALID
    for note in imported.notes:
        print(f"note: {escape(note)}", file=err)
    if output is None:
        out.write(imported.text)
        return EXIT_OK
    handle, temporary = tempfile.mkstemp(
        prefix=f".{output.stem}.", suffix=".tmp", dir=output.parent or "."
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(imported.text)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    plan = report.plan
    total = (
        "?"
        if plan is None or plan.trainable is None or plan.non_trainable is None
        else (f"{plan.trainable + plan.non_trainable:,}")
    )
    nodes = len(report.spec.nodes) if report.spec else 0
    print(f"wrote {output}: {nodes} nodes, {total} parameters", file=err)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.spec.model import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            raise UsageError(f"{target}: is a directory")
        target.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _options(args: argparse.Namespace) -> Options:
    """The run's options, built once: [tool.graphspec] of the nearest pyproject.toml, then
    the command line (commands that read no spec get the defaults)."""
    if not hasattr(args, "strict"):
        return Options()
    limits = Limits(**{name: getattr(args, name) for name in Limits.flags()})
    try:
        return Options.from_sources(args.strict, limits, args.custom_layer)
    except CustomLayerError as error:
        raise UsageError(str(error)) from error


def _spec_options() -> argparse.ArgumentParser:
    """Options shared by every command that reads specs: --strict and the input caps."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--strict", action="store_true", help="treat unreachable (pruned) parts as errors"
    )
    parent.add_argument(
        "--custom-layer",
        action="append",
        default=[],
        metavar="MODULE.CLASS",
        help="allow specs to use this layer class by its class name (repeatable; adds to "
        "[tool.graphspec] custom-layers in the nearest pyproject.toml)",
    )
    caps = parent.add_argument_group("limits for untrusted input")
    for name, meaning in Limits.flags().items():
        default = getattr(DEFAULT_LIMITS, name)
        caps.add_argument(
            f"--{name.replace('_', '-')}",
            type=_positive,
            default=default,
            metavar="N",
            help=f"{meaning} (default {default:,})",
        )
    return parent


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphspec",
        description="Compile declarative YAML/JSON network specs into Keras 3 functional models.",
        epilog="Exit codes: 0 valid, 1 invalid spec, 2 usage or I/O error, 3 internal error.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    options = _spec_options()

    validate = commands.add_parser(
        "validate",
        parents=[options],
        help="check specs without Keras (fast; for CI and editors)",
        description="Check specs: syntax, schema, references, cycles, layer arguments, "
        "reachability. Never imports TensorFlow or Keras. Every problem of every file is "
        "reported in one run.",
    )
    validate.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or directories")
    validate.add_argument(
        "--format",
        choices=("text", "json", "github"),
        help="output format (default: text, or github when GITHUB_ACTIONS=true)",
    )
    validate.set_defaults(run=cmd_validate)

    build = commands.add_parser(
        "build",
        parents=[options],
        help="validate, build the Keras model and save it as .keras",
        description="Validate a spec, build its Keras 3 functional model, print the Keras "
        "summary and save the model atomically (never a half-written file; an existing file "
        "only with --force). Needs the 'tensorflow' extra.",
    )
    build.add_argument("specs", nargs="+", metavar="SPEC", help="the spec file(s)")
    build.add_argument(
        "-o", "--output", metavar="PATH", help="where to save one spec's model (a .keras file)"
    )
    build.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where to save each model as <spec name>.keras (default: the current directory)",
    )
    build.add_argument("--force", action="store_true", help="overwrite an existing output file")
    build.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    build.set_defaults(run=cmd_build)

    summary = commands.add_parser(
        "summary",
        parents=[options],
        help="print the static table of nodes, shapes and parameters (no Keras)",
        description="Print every node's layer, output shape and parameter count as inferred "
        "statically, pruned parts marked, and the totals. Never imports TensorFlow or Keras.",
    )
    summary.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or directories")
    summary.add_argument("-v", "--verbose", action="store_true", help="also print info notes")
    summary.set_defaults(run=cmd_summary)

    graph = commands.add_parser(
        "graph",
        parents=[options],
        help="draw the graph as Mermaid or Graphviz dot (no Keras)",
        description="Print the spec's graph: inputs, layers, merges, shared uses, blocks and "
        "heads, with pruned parts dashed. Paste Mermaid into Markdown; render dot with "
        "'dot -Tsvg'. Never imports TensorFlow or Keras.",
    )
    graph.add_argument("spec", metavar="SPEC", help="the spec file")
    graph.add_argument(
        "--format", choices=("mermaid", "dot"), default="mermaid", help="default: mermaid"
    )
    graph.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    graph.set_defaults(run=cmd_graph)

    diff = commands.add_parser(
        "diff",
        parents=[options],
        help="show the structural difference of two specs (no Keras)",
        description="Compare two specs as analysed, entries matched by name: inputs, shared "
        "entries, blocks, nodes and heads added, removed or changed (form, 'from', arguments "
        "as key paths such as sequence[2].units), each node's static output shape and "
        "parameter count, each head's parameters before and after. Comments, key order, "
        "formatting and 'description' make no difference. Never imports TensorFlow or Keras.",
        epilog="Exit codes: 0 structurally identical, 1 different, or either spec invalid (its "
        "diagnostics are printed as 'validate' prints them, and nothing is compared), 2 usage "
        "or I/O error.",
    )
    diff.add_argument("old", metavar="OLD", help="the spec before (e.g. the base branch's)")
    diff.add_argument("new", metavar="NEW", help="the spec after")
    diff.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    diff.set_defaults(run=cmd_diff)

    importer = commands.add_parser(
        "import",
        parents=[options],
        help="write the spec of a Keras model (.keras file or JSON config)",
        description="Read a Keras model's config (a .keras file or the JSON of model.to_json()) "
        "and write the spec a person would write: chains as 'sequence', layers called twice "
        "as 'shared' + 'use', nested models as blocks, x + y as 'op' or 'expr', default "
        "arguments left out, heads named after the model's outputs. Deterministic; the spec "
        "is validated before it is written. Reads the config only: no TensorFlow needed. "
        "Classes outside keras.layers must be allowed (--custom-layer or [tool.graphspec]); "
        "a Lambda layer is an error that says how to write it as an 'expr' node.",
    )
    importer.add_argument("model", metavar="MODEL", help="a .keras file or a Keras JSON config")
    importer.add_argument(
        "-o", "--output", metavar="SPEC", help="where to write the spec (.yaml; default stdout)"
    )
    importer.add_argument("--force", action="store_true", help="overwrite an existing spec")
    importer.set_defaults(run=cmd_import)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the spec language",
        description="Print the JSON Schema of spec language v1 (for editors and CI).",
    )
    schema.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    schema.set_defaults(run=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args, _options(args), sys.stdout, sys.stderr)
        return code
    except UsageError as error:
        print(f"graphspec: error: {escape(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("graphspec: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(
            f"graphspec: internal error: {type(error).__name__}: {escape(str(error))}\n"
            "this is a bug in graphspec; rerun with --debug for the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
