"""The CLI and the file system: which spec files a command reads, and how it writes outputs.

The policy is for specs that come from someone else (a pull request in CI):
- spec arguments may be files, directories or glob patterns a shell left unexpanded; a
  directory contributes its spec files at any depth (`DIRECTORY_RULE`): every .yaml and .yml,
  and a .json only when its top level is an object with a "graphspec" key (or it is not valid
  JSON, so a broken spec is reported, not skipped), so a test's `expected.json` or a JSON
  schema beside the specs is not read as one; a symbolic link is never read, so a spec cannot
  be a link to a secret whose lines would then be quoted under a diagnostic;
- an output is checked before any slow work, never written through a symbolic link, and
  replaced atomically, so a failure leaves the old file (or nothing) behind, never half of one.

Failures are `UsageError`s (exit 2), not tracebacks. Only the standard library is used.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Sequence
from pathlib import Path

from graphspec.atomic import write_text
from graphspec.cli.exits import UsageError

__all__ = [
    "DIRECTORY_RULE",
    "SPEC_SUFFIXES",
    "check_output",
    "expand",
    "expand_one",
    "is_spec_file",
    "write_text_atomically",
]

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
"""The suffixes a directory argument looks at, at any depth (`is_spec_file` decides)."""

DIRECTORY_RULE = (
    "a directory contributes every .yaml and .yml file below it, and each .json file whose "
    'top level has a "graphspec" key or that is not valid JSON (so a broken spec is reported); '
    "other JSON, such as a test's expected.json, is left alone"
)
"""The rule in words, for `validate --help` and the README."""

_JSON_PEEK_BYTES = 16 * 1024 * 1024
"""A .json file larger than this is not opened to look for the key (not a spec: the reader's
size cap is the same)."""


def expand(paths: Sequence[str]) -> list[Path]:
    """The spec files named by command-line arguments, in argument order; each directory and
    pattern sorted. Refuses links, and arguments that name nothing."""
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
                if p.suffix in SPEC_SUFFIXES
                and p.is_file()
                and not p.is_symlink()
                and is_spec_file(p)
            )
            if not found:
                raise UsageError(f"{raw}: directory holds no .yaml, .yml or .json spec")
            files.extend(found)
        elif not path.exists() and any(char in raw for char in "*?["):
            # A quoted pattern (or a shell that does not expand): expand it ourselves. glob's
            # '**' descends into linked directories, so each match is checked up to the
            # pattern's fixed part for links (as rglob does for a directory argument).
            fixed = _fixed_part(raw)
            matched = sorted(
                Path(p)
                for p in glob.glob(raw, recursive=True)
                if Path(p).is_file() and not _through_link(Path(p), fixed)
            )
            if not matched:
                raise UsageError(f"{raw}: the pattern matches no file")
            files.extend(matched)
        elif not path.exists():
            raise UsageError(f"{raw}: no such file")
        else:
            files.append(path)
    return files


def is_spec_file(path: Path) -> bool:
    """Whether a file a directory holds is a spec: .yaml and .yml always; .json when it is an
    object with a top-level "graphspec" key, or when it cannot be read as JSON at all (then
    `validate` reports why, rather than a broken spec being skipped unseen)."""
    if path.suffix != ".json":
        return True
    try:
        if path.stat().st_size > _JSON_PEEK_BYTES:
            return False
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return True  # unreadable or broken: read it, and report what is wrong
    return isinstance(data, dict) and "graphspec" in data


def expand_one(raw: str, purpose: str) -> Path:
    """The one spec file an argument names (a pattern must match exactly one); `purpose` ends
    the refusal ("diff compares two spec files")."""
    if Path(raw).is_dir():
        raise UsageError(f"{raw}: is a directory; {purpose}")
    found = expand([raw])
    if len(found) != 1:
        raise UsageError(f"{raw}: matches {len(found)} files; {purpose}")
    return found[0]


def check_output(path: Path, suffixes: Sequence[str] = (), *, force: bool = True) -> None:
    """Refuse an output before the work that produces it: a wrong suffix (when `suffixes` are
    given), a link, a directory, an existing file without `force`, a missing or read-only
    parent directory."""
    if suffixes and path.suffix not in suffixes:
        raise UsageError(f"{path}: the output must end in {' or '.join(suffixes)}")
    if path.is_symlink():
        raise UsageError(f"{path}: is a symbolic link; refusing to write through it")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    parent = _parent(path)
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{parent}: not writable")


def write_text_atomically(path: Path, text: str) -> None:
    """Write UTF-8 text through `graphspec.atomic` (readers see the old file or the new one,
    with the replaced file's mode); a file-system failure is a `UsageError`."""
    try:
        write_text(path, text)
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from error


def _fixed_part(pattern: str) -> Path:
    """The directories a pattern names before its first wildcard: `specs` of `specs/**/*.yaml`."""
    fixed = []
    for part in Path(pattern).parts:
        if any(char in part for char in "*?["):
            break
        fixed.append(part)
    return Path(*fixed)


def _through_link(path: Path, root: Path) -> bool:
    """Whether `path`, or a directory between it and `root`, is a symbolic link."""
    while path != root and path != path.parent:
        if path.is_symlink():
            return True
        path = path.parent
    return False


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")
