"""A Ctrl-C while the ``gradiente`` command is still importing ends in one line, not a
traceback (the entry point ``gradiente_launch`` catches it around the import)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

_INTERRUPTED_IMPORT = """
import importlib.abc, sys
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "gradiente.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
import gradiente_launch
sys.exit(gradiente_launch.main())
"""


def test_interrupt_during_the_import_is_one_line():
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 130
    assert done.stderr == "gradiente: interrupted while starting\n"


def test_a_real_ctrl_c_soon_after_start_prints_no_traceback():
    """SIGINT a moment after start: whether it lands in the import or in the command, the
    command ends with status 130 and one line."""
    for delay in (0.3, 0.8):
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import gradiente_launch, sys; sys.exit(gradiente_launch.main())",
                "info",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
        if process.returncode == 0:  # `info` finished before the signal arrived: nothing to see
            continue
        assert process.returncode == 130, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
