"""DistributedDataParallel and SyncBatchNorm on two processes (``_ddp_worker.py``), LeNet-5
trained by 1, 2 and 4 processes (``_lenet_worker.py``), and failures ending the whole job."""

from __future__ import annotations

import os
import re

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
from mpi_helpers import run_mpi

import gradiente as torch
from gradiente import nn


@pytest.mark.parametrize("check", ["ddp", "no_sync", "unused", "syncbn"])
def test_two_processes_match_one_with_the_full_batch(check):
    proc = run_mpi("_ddp_worker.py", 2, check)
    assert sorted(re.findall(r"ok \d", proc.stdout)) == ["ok 0", "ok 1"]


def test_mismatched_models_are_refused_at_construction():
    proc = run_mpi("_ddp_worker.py", 2, "mismatch")
    assert proc.stdout.count("parameter weight has shape [3, 4]") == 2


def test_an_exception_on_one_rank_ends_the_job_naming_it():
    proc = run_mpi("_ddp_worker.py", 2, "crash", timeout=60, check=False)
    assert proc.returncode != 0
    assert "rank 1 failed with ValueError: deliberate failure" in proc.stderr
    assert "passed a barrier" not in proc.stdout


def test_a_killed_rank_ends_the_job():
    proc = run_mpi("_ddp_worker.py", 2, "kill", timeout=60, check=False)
    assert proc.returncode != 0
    assert "signal 9" in proc.stdout + proc.stderr


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lenet5_same_weights_with_1_2_and_4_processes(tmp_path, dtype):
    weights = {}
    for n in (1, 2, 4):
        out = tmp_path / f"{n}.npz"
        run_mpi("_lenet_worker.py", n, dtype, str(out))
        weights[n] = np.load(out)
    tol = 1e-12 if dtype == "float64" else 2e-6
    for n in (2, 4):
        for name in weights[1].files:
            np.testing.assert_allclose(weights[n][name], weights[1][name], rtol=0, atol=tol)
    moved = np.abs(weights[1]["fc3.weight"] - weights[1]["initial.fc3.weight"]).max()
    assert moved > 1e-3  # the 20 steps did train


def test_ddp_wrapper_api_without_mpi_calls():
    model = nn.parallel.DataParallel(nn.Linear(2, 3))
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert model(torch.ones(1, 2)).shape == (1, 3)
