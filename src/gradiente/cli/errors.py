"""How the ``gradiente`` command fails: exit statuses, ``CLIError``, ``--debug``, one-line errors.

Every error reaches the user as one line on stderr naming the problem (and the file), with a
non-zero exit status; ``--debug`` or ``GRADIENTE_DEBUG=1`` shows the full traceback instead.
"""

from __future__ import annotations

import contextlib
import os
import sys

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
EXIT_PIPE = 128 + 13  # what a shell reports for a program that SIGPIPE ended
DEBUG_ENV = "GRADIENTE_DEBUG"
DEBUG_HELP = f"on error, show the full traceback instead of one line (or set {DEBUG_ENV}=1)"


class CLIError(Exception):
    """A message for the user (no traceback) and the exit status to leave with."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


def debug(args) -> bool:
    """Whether errors show their traceback: ``--debug``, or ``GRADIENTE_DEBUG`` set (not 0)."""
    env = os.environ.get(DEBUG_ENV, "").strip().lower()
    return bool(getattr(args, "debug", False)) or env not in ("", "0", "false", "no")


def one_line(text: str) -> str:
    """``text`` on one line (a message may quote a library's multi-line error)."""
    return " ".join(str(text).split())


def unexpected(error: Exception) -> str:
    """The line for an error that no command turned into a message of its own."""
    detail = one_line(str(error))
    name = type(error).__name__
    return (
        f"{name}{': ' + detail if detail else ''} (unexpected: run again with --debug for the "
        "traceback)"
    )


def reader_gone() -> int:
    """After ``BrokenPipeError``: the reader of the output left early (``gradiente ... | head``),
    which is no error. Stop silently, as the programs that SIGPIPE ends do, with the status a
    shell reports for them; stdout now goes to /dev/null, so that Python's last flush of the
    output nobody reads raises nothing more."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: a stdout without a descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_PIPE
