"""Launching a worker script under ``mpiexec -n N`` from a test (skipped without MPI)."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import gradiente.distributed as dist

HERE = pathlib.Path(__file__).resolve().parent


def mpiexec() -> str | None:
    """The ``mpiexec`` next to this Python (the MPICH wheel's), else the one on PATH."""
    local = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def run_mpi(script: str, n: int = 2, *args: str, timeout: float = 120, check: bool = True):
    """Run ``mpiexec -n n python tests/distributed/<script> args...``; the completed process.

    ``timeout`` only guards against a hung job (a test that relies on it fails, never hangs)."""
    launcher = mpiexec()
    if not dist.is_available() or launcher is None:
        pytest.skip("needs mpi4py and mpiexec: pip install 'gradiente[distributed]'")
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    cmd = [launcher, "-n", str(n), sys.executable, str(HERE / script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}"
        )
    return proc
