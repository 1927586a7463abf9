"""benchmarks/bench_gpu.py runs end to end on the CUDA stand-in (a check of the script; the
figures it prints there are NumPy's, not a GPU's)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gpu.py"


def test_bench_gpu_runs_on_the_stand_in():
    cmd = [sys.executable, str(SCRIPT), "--stand-in", "--pairs", "1", "--repeats", "1"]
    out = subprocess.run(cmd + ["--cases", "mlp_b128"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "not GPU figures" in out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith("mlp_b128"))
    assert float(line.split()[2]) > 0  # a step time in ms
