"""What a shell or CI job sees of a run: the exit codes, and the error that means exit 2.

Apart from `graphspec.cli` itself so that the command modules can import them while the
package's `__init__` imports the commands.
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
"""Every spec is valid (warnings allowed); `diff`: the specs are structurally identical."""
EXIT_INVALID: Final = 1
"""A spec has errors; `diff`: the specs differ."""
EXIT_USAGE: Final = 2
"""The command line or the file system is at fault (missing file, refused output, ...)."""
EXIT_INTERNAL: Final = 3
"""A bug in graphspec."""
EXIT_INTERRUPTED: Final = 130
"""Ctrl-C, as shells report SIGINT."""
EXIT_BROKEN_PIPE: Final = 141
"""The reader of the output went away (`graphspec summary ... | head -1`): 128 + SIGPIPE, the
status a shell reports for `git log | head -1`, `cat` or `ls`, which SIGPIPE ends. A pipeline
run with `set -o pipefail` sees it, as it sees theirs; without pipefail only `head` counts."""


class UsageError(Exception):
    """A problem with the command line or the file system (exit 2)."""
