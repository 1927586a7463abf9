"""``--device`` of ``gradiente train/evaluate/predict``: on the NumPy stand-in for CUDA
(``GRADIENTE_FAKE_CUDA=1``) a run prints exactly the CPU's metrics; a GPU that is not there is
one line on stderr, never a traceback."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
import types

import numpy as np
import pytest

from gradiente import backend as B
from gradiente.cli import main


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    yield
    B.set_stand_in_cuda(0)


def _metrics(stdout: str) -> list[str]:
    """The printed numbers that do not depend on the clock: each epoch's losses and
    accuracies (``epoch 2``, without the planned total), the test line up to its timing."""
    lines = [re.sub(r" \| [0-9.]+s.*", "", line) for line in stdout.splitlines()]
    lines = [re.sub(r"^epoch +(\d+)/\d+", r"epoch \1", line) for line in lines]
    return [line for line in lines if line.startswith(("epoch ", "test accuracy"))]


@pytest.fixture(scope="module")
def cpu_and_cuda_runs(tmp_path_factory):
    """One epoch of the default command on the CPU (in this process) and on the stand-in GPU
    (``python -m gradiente`` with ``GRADIENTE_FAKE_CUDA=1``)."""
    folder = tmp_path_factory.mktemp("device")
    on_cuda = subprocess.run(
        [sys.executable, "-m", "gradiente", "train", "--device", "cuda", "--epochs", "1"]
        + ["--no-progress", "--out", str(folder / "cuda")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "GRADIENTE_FAKE_CUDA": "1"},
    )
    assert on_cuda.returncode == 0, on_cuda.stderr
    return folder, on_cuda.stdout


def test_train_on_the_stand_in_gpu_prints_the_cpu_metrics(cpu_and_cuda_runs, capsys):
    folder, cuda_stdout = cpu_and_cuda_runs
    args = ["train", "--device", "cpu", "--epochs", "1", "--no-progress"]
    assert main([*args, "--out", str(folder / "cpu")]) == 0
    cpu_stdout = capsys.readouterr().out
    assert "device cuda:0 (gradiente stand-in CUDA device 0 (NumPy))" in cuda_stdout
    assert ", device cpu\n" in cpu_stdout
    metrics = _metrics(cpu_stdout)
    assert len(metrics) == 2 and metrics[0].startswith("epoch 1 | train loss")
    assert _metrics(cuda_stdout) == metrics


def test_evaluate_and_predict_on_the_stand_in_gpu(cpu_and_cuda_runs, cuda, capsys, tmp_path):
    folder, _ = cpu_and_cuda_runs
    run = str(folder / "cuda")  # trained on the (stand-in) GPU: its checkpoint holds host data
    outputs = {}
    for device in ("cpu", "cuda"):
        assert main(["evaluate", run, "--device", device]) == 0
        evaluated = capsys.readouterr().out
        image = tmp_path / "digit.npy"
        np.save(image, np.eye(8, dtype=np.float32) * 16)
        assert main(["predict", run, str(image), "--device", device]) == 0
        outputs[device] = (evaluated, capsys.readouterr().out)
    assert outputs["cuda"] == outputs["cpu"]
    assert "accuracy" in outputs["cpu"][0] and "%" in outputs["cpu"][1]


def test_resume_on_the_other_device(cuda, tmp_path, capsys):
    common = ["--dataset", "moons", "--no-progress"]
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "whole")]) == 0
    whole = _metrics(capsys.readouterr().out)
    half = ["train", *common, "--epochs", "1", "--device", "cuda"]
    assert main([*half, "--out", str(tmp_path / "half")]) == 0
    first = _metrics(capsys.readouterr().out)
    resume = ["train", "--resume", str(tmp_path / "half"), "--epochs", "2", "--device", "cpu"]
    assert main([*resume, "--no-progress"]) == 0
    second = _metrics(capsys.readouterr().out)
    assert first[:1] + second == whole


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["evaluate", "RUN"]])
def test_cuda_without_a_gpu_is_one_line(command, capsys):
    status = main([*command, "--device", "cuda"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "error: --device cuda: no CUDA GPU is available" in err and "--device cpu" in err


def test_a_gpu_past_the_last_is_one_line(cuda, capsys):
    assert main(["train", "--device", "cuda:3", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "gradiente train: error: --device cuda:3: there is no such GPU (1 CUDA device: cuda:0)\n"
    )


@pytest.mark.parametrize("name", ["gpu", "meta", "cuda:x"])
def test_a_device_name_torch_does_not_know_is_a_usage_error(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--device", name])
    assert exit_info.value.code == 2
    assert f"argument --device: expected auto, cpu, cuda or cuda:N, got '{name}'" in (
        capsys.readouterr().err
    )


def _gpu_line(capsys) -> str:
    assert main(["info"]) == 0
    return next(line for line in capsys.readouterr().out.splitlines() if line.startswith("GPU"))


def test_info_gpu_line_without_and_with_the_stand_in(capsys, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)  # no CuPy installed
    assert "none (no CuPy: pip install 'gradiente[cuda]'" in _gpu_line(capsys)
    B.set_stand_in_cuda(2)
    try:
        line = _gpu_line(capsys)
    finally:
        B.set_stand_in_cuda(0)
    assert line.split(None, 1)[1] == (
        "2 NumPy stand-ins (GRADIENTE_FAKE_CUDA): cuda:0 gradiente stand-in CUDA device 0 "
        "(NumPy), cuda:1 gradiente stand-in CUDA device 1 (NumPy)"
    )


def test_info_names_a_cupy_gpu_and_its_versions(capsys, monkeypatch):
    """The CuPy path, on a fake ``cupy`` and ``cudnn`` (no GPU here): name, CUDA runtime, CuPy
    and cuDNN frontend versions."""
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: 1,
        runtimeGetVersion=lambda: 12080,
        getDeviceProperties=lambda i: {"name": b"NVIDIA H200"},
    )
    cupy = types.ModuleType("cupy")
    cupy.__version__ = "14.2.0"
    cupy.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    cupy.cuda = types.SimpleNamespace(runtime=runtime)
    cudnn = types.ModuleType("cudnn")
    cudnn.__version__ = "1.32.0"
    cudnn.backend_version = lambda: 91900
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cudnn", cudnn)
    monkeypatch.setattr(B, "_cupy_tried", [False])  # let the backend look for CuPy again
    monkeypatch.setattr(B, "_cupy", None)
    assert _gpu_line(capsys).split(None, 1)[1] == (
        "cuda:0 NVIDIA H200 (CUDA runtime 12.8, CuPy 14.2.0, cuDNN frontend 1.32.0 (cuDNN 9.19.0))"
    )
    monkeypatch.setitem(sys.modules, "cudnn", None)  # ``import cudnn`` fails
    assert "CuPy 14.2.0, cuDNN frontend not installed)" in _gpu_line(capsys)
