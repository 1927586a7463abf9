"""The ``gradiente`` command's parser and ``main``: dispatch to a command, one line per error.

Each command lives in its own module with its options (``add_parser``) and its handler
(``cmd_*``): ``train``, ``evaluate`` and ``predict``, ``run``, ``lecture``, ``info``. ``main``
parses the command line, calls the handler and turns every error into one line on stderr,
``gradiente COMMAND: error: ...``, with a non-zero exit status (``--debug`` or
``GRADIENTE_DEBUG=1``: the full traceback instead).

Exit status: 0 success, 1 failure while running, 2 bad command line or data/model mismatch,
130 interrupted by Ctrl-C (after saving a resumable checkpoint).
"""

from __future__ import annotations

import argparse
import sys

from gradiente import __version__
from gradiente.cli import evaluate, export, info, lecture, run, train
from gradiente.cli.errors import (
    DEBUG_HELP,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    CLIError,
    debug,
    one_line,
    unexpected,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gradiente`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="gradiente",
        description="Train, evaluate and use neural networks with gradiente (PyTorch's API on "
        "NumPy).",
    )
    parser.add_argument("--version", action="version", version=f"gradiente {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train.add_parser(sub)
    evaluate.add_parsers(sub)
    export.add_parser(sub)
    run.add_parser(sub)
    lecture.add_parser(sub)
    info.add_parser(sub)
    for command in sub.choices.values():  # also accepted after the command's name
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return the exit status.

    Every error becomes one line on stderr, ``gradiente COMMAND: error: ...``, naming the
    problem and the file, and a non-zero status; ``--debug`` or ``GRADIENTE_DEBUG=1`` shows the
    full traceback instead.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv  # what --nproc re-runs under mpiexec
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"gradiente {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if debug(args):
            raise
        if isinstance(error, CLIError):
            message, status = str(error), error.status
        elif isinstance(error, ValueError | OSError):  # bad data or a file: the message says which
            message, status = str(error), EXIT_ERROR
        else:  # a bug, or bad input that no check above foresaw: still one line
            message, status = unexpected(error), EXIT_ERROR
        print(f"gradiente {args.command}: error: {one_line(message)}", file=sys.stderr)
        return status
