"""The ``gradiente`` command's entry point, kept outside the ``gradiente`` package.

Starting the command imports gradiente, and with it NumPy: a second or more. A Ctrl-C in that
time would interrupt the import with a long traceback (or a half-imported NumPy's error)
instead of the one line every other interruption gets. Python imports a package before any
of its code can catch anything, so the catch has to sit here, in a module that imports nothing
heavy, before ``gradiente.cli.main`` takes over.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as the shell reports a Ctrl-C (gradiente.cli's too)


def main() -> int:
    """Import the command line and run it; a Ctrl-C during the import ends in one line."""
    try:
        from gradiente.cli import main as run  # noqa: PLC0415 - the import being guarded
    except KeyboardInterrupt:
        print("gradiente: interrupted while starting", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()
