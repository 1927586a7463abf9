"""`gradiente info`'s BLAS line: library, kernel (and who forced it), direct GEMM calls."""

from __future__ import annotations

import subprocess
import sys


def _blas_line(env_extra, monkeypatch_env):
    env = dict(monkeypatch_env)
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-m", "gradiente", "info"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return next(line for line in out.stdout.splitlines() if line.startswith("BLAS"))


def test_info_says_whether_convolutions_call_blas_directly():
    import os

    from gradiente import _blas

    line = _blas_line({}, os.environ)
    expected = "direct GEMM calls: yes" if _blas.available() else "direct GEMM calls: no"
    assert expected in line
    off = _blas_line({"GRADIENTE_DIRECT_BLAS": "0"}, os.environ)
    assert "direct GEMM calls: no (convolutions build im2col columns)" in off


def test_info_names_a_forced_openblas_kernel():
    import os

    line = _blas_line({"OPENBLAS_CORETYPE": "Haswell"}, os.environ)
    if "openblas" in line.lower():
        assert "Haswell kernels (forced by OPENBLAS_CORETYPE=Haswell)" in line
