"""``gradiente run SCRIPT [ARGS...]``: an unmodified PyTorch script, run on gradiente.

``gradiente.compat.install()`` makes ``import torch`` (and ``torch.nn``, ``torch.optim``,
``torch.utils.data``, ...) resolve to gradiente; the script then runs as ``__main__``. A name
gradiente lacks is explained in one line with the script's line; the script's own errors show
its traceback, as ``python script.py`` would.
"""

from __future__ import annotations

import argparse
import builtins
import io
import os
import pathlib
import runpy
import sys
import traceback
import types

from gradiente import compat
from gradiente import distributed as dist
from gradiente.cli.errors import EXIT_ERROR, EXIT_USAGE, CLIError, debug
from gradiente.fft import ComplexUnsupportedError

# errors that may mean the script reached a torch API gradiente lacks (compat.explain decides)
_MAYBE_UNSUPPORTED = (ImportError, AttributeError, ComplexUnsupportedError)


def add_arguments(run) -> None:
    """Add ``run``'s arguments to its parser."""
    run.add_argument("script", metavar="SCRIPT", help="a Python file written for PyTorch")
    run.add_argument(
        "args", metavar="ARGS", nargs=argparse.REMAINDER, help="arguments passed to the script"
    )
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """``gradiente run SCRIPT [ARGS...]``: the script with ``import torch`` → gradiente."""
    script = pathlib.Path(args.script)
    if not script.is_file():
        raise CLIError(f"no such script: {script}", EXIT_USAGE)
    compat.install()
    launched = dist.mpi_env()
    if launched is not None:  # under mpiexec: the variables torchrun would have set (env://)
        for key, value in {**launched, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}.items():
            os.environ.setdefault(key, str(value))
    sys.argv = [args.script, *args.args]  # as typed, as python gives it
    sys.path.insert(0, str(script.resolve().parent))
    try:
        _run_as_main(_main_file(args.script))
    except Exception as error:
        if debug(args):
            raise
        message = compat.explain(error) if isinstance(error, _MAYBE_UNSUPPORTED) else None
        if message is None:  # the script's own error: its traceback, as ``python script.py``
            _print_script_traceback(error, script)
        else:
            print(message + _script_location(error, script), file=sys.stderr)
        dist.abort_job(type(error).__name__)  # the other ranks must not wait for this one
        return EXIT_ERROR
    return 0


def _main_file(typed: str) -> str:
    """The script's ``__file__`` as ``python script.py`` sets it (since Python 3.9): the path
    as typed, joined to the working directory when relative, not normalised or resolved."""
    return typed if os.path.isabs(typed) else os.path.join(os.getcwd(), typed)


def _run_as_main(path: str) -> None:
    """Run the file at ``path`` as the ``__main__`` module, as ``python script.py`` does:
    ``__file__`` is ``path`` while ``sys.argv[0]`` stays as typed (``runpy.run_path`` would set
    both to ``path``). A zip archive or a directory runs through ``runpy``."""
    if not path.endswith(".py"):
        runpy.run_path(path, run_name="__main__")
        return
    with io.open_code(path) as file:
        code = compile(file.read(), path, "exec")
    main = types.ModuleType("__main__")
    main.__file__, main.__cached__, main.__builtins__ = path, None, builtins
    previous = sys.modules.get("__main__")
    sys.modules["__main__"] = main  # multiprocessing and pickle look the script up there
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = previous


def _is_script(filename: str, script: pathlib.Path) -> bool:
    """Whether a traceback frame's file is the script."""
    return os.path.abspath(filename) in (os.path.abspath(script), str(script.resolve()))


def _script_location(error: BaseException, script: pathlib.Path) -> str:
    """`` (script.py, line N)`` for the last line of ``script`` in the error's traceback."""
    where = ""
    tb = error.__traceback__
    while tb is not None:
        if _is_script(tb.tb_frame.f_code.co_filename, script):
            where = f" ({script.name}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return where


def _print_script_traceback(error: BaseException, script: pathlib.Path) -> None:
    """The traceback of ``error`` from the script's first frame on (not gradiente's runner)."""
    tb = error.__traceback__
    while tb is not None and not _is_script(tb.tb_frame.f_code.co_filename, script):
        tb = tb.tb_next
    if tb is None and isinstance(error, SyntaxError):
        # the script did not compile: no frame of it ran, and python shows only the file,
        # line and caret (no "Traceback" header, no frame of the runner)
        if not error.filename:  # "source code string cannot contain null bytes" names none
            error.filename = str(script)
        traceback.print_exception(type(error), error, None)
        return
    traceback.print_exception(type(error), error, tb or error.__traceback__)
