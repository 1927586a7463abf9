"""The ``gradiente`` command's parser and ``main``: dispatch to a command, one line per error.

Each command lives in its own module with its options (``add_arguments``) and its handler
(``cmd_*``): ``train``, ``evaluate`` and ``predict``, ``export``, ``run``, ``lecture``,
``info``; ``COMMANDS`` below lists them with their help texts. ``main``
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
    reader_gone,
    unexpected,
)

# The subcommands, in the order ``gradiente --help`` lists them: name, the function that adds
# its arguments and options (and sets its handler), its one-line help and its description.
COMMANDS = (
    (
        "train",
        train.add_arguments,
        "train a model (default: a small CNN on the bundled 8x8 digits)",
        "Train a model from the zoo on a dataset and save the run folder.",
    ),
    (
        "evaluate",
        evaluate.add_evaluate_arguments,
        "test accuracy, per-class precision/recall and confusion matrix of a run",
        "Evaluate a trained run on its test set; writes RUN/confusion.png.",
    ),
    (
        "predict",
        evaluate.add_predict_arguments,
        "classify images (PNG/JPEG/NPY) with a trained run",
        "Print the top-k classes and their probabilities for each input.",
    ),
    (
        "export",
        export.add_arguments,
        "export a trained run's model to ONNX",
        "Write a run's model as an ONNX file (needs pip install 'gradiente[onnx]').",
    ),
    (
        "run",
        run.add_arguments,
        "run an unmodified PyTorch script on gradiente",
        "Run SCRIPT with `import torch` (and torch.nn, torch.optim, torch.utils.data, ...) "
        "resolved to gradiente.",
    ),
    (
        "lecture",
        lecture.add_arguments,
        "reproduce the gradient-descent lecture: its numbers and figures",
        "Reproduce the lecture on gradient descent and backpropagation: print each section's "
        "numbers and write its figures (PNG, GIF for animations).",
    ),
    (
        "info",
        info.add_arguments,
        "version, backend, BLAS and threads, datasets found",
        "Describe this installation.",
    ),
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
    for name, add_arguments, summary, description in COMMANDS:
        add_arguments(sub.add_parser(name, help=summary, description=description))
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
    except BrokenPipeError:  # `gradiente ... | head`: the reader has what it wanted
        return reader_gone()
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
