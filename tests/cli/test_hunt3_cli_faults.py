"""Faults injected into the ``gradiente`` command from the outside, and how it must answer: one
line on stderr naming the problem (and the file), exit status 1 (2 for a bad command line),
never a traceback, and a run folder left as it was.

Each test is a case that once failed: numbers that argparse let through (an infinite ``--lr``,
a seed out of the generator's range), a ``config.json`` edited by hand, a ``--val-split`` that
leaves nothing to train on, a ``.npy`` of NaNs, ``export`` to a folder, a disk that fills up
during a checkpoint, two ``gradiente train`` writing one run folder, and SIGTERM. A run is
logistic regression on the bundled digits: well under a second.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hashlib
import json
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gradiente.cli import main
from gradiente.train.checkpoint import folder_lock

TRAIN = "train --dataset digits --model logistic --batch-size 64 --no-progress".split()


def _train(run: pathlib.Path, epochs: int, *extra: str) -> int:
    return main([*TRAIN, "--epochs", str(epochs), "--out", str(run), *extra])


def _weights(run: pathlib.Path) -> bytes:
    """The bytes of the current checkpoint's model.safetensors."""
    manifest = json.loads((run / "checkpoint.json").read_text())
    return (run / manifest["directory"] / "model.safetensors").read_bytes()


def _snapshot(run: pathlib.Path) -> dict[str, bytes]:
    """Every file of a run folder (subfolders included), by relative path."""
    return {str(p.relative_to(run)): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def _one_error_line(err: str, *words: str) -> str:
    """The one line of ``err``; it names every one of ``words``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> pathlib.Path:
    """A finished 2-epoch run (copied by the tests that change it)."""
    run = tmp_path_factory.mktemp("trained") / "run"
    assert _train(run, 2) == 0
    return run


def _copy(run: pathlib.Path, to: pathlib.Path) -> pathlib.Path:
    import shutil

    shutil.copytree(run, to)
    return to


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("--lr", "inf", "expected a positive number, got 'inf'"),
        ("--lr", "1e400", "expected a positive number, got '1e400'"),
        ("--weight-decay", "inf", "expected a number >= 0, got 'inf'"),
        ("--seed", str(2**64), f"expected an integer in [-2**63, 2**64), got '{2**64}'"),
        ("--seed", str(-(2**63) - 1), "expected an integer in [-2**63, 2**64)"),
    ],
)
def test_numbers_the_run_cannot_use_are_a_usage_error(tmp_path, capsys, option, value, expected):
    with pytest.raises(SystemExit) as exit_info:
        _train(tmp_path / "run", 1, option, value)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {expected}" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_the_extreme_seeds_are_accepted(tmp_path, capsys):
    assert _train(tmp_path / "a", 1, "--seed", str(2**64 - 1)) == 0
    assert _train(tmp_path / "b", 1, "--seed", str(-(2**63))) == 0


def test_a_val_split_that_leaves_nothing_to_train_on_is_a_usage_error(tmp_path, capsys):
    assert _train(tmp_path / "run", 1, "--val-split", "0.9999") == 2
    _one_error_line(capsys.readouterr().err, "--val-split 0.9999", "no training sample")
    assert not (tmp_path / "run").exists()


def test_a_data_dir_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    file = tmp_path / "mnist.gz"
    file.write_bytes(b"not a folder")
    status = main([*TRAIN, "--dataset", "mnist", "--data-dir", str(file), "--out", "x"])
    assert status == 2
    _one_error_line(capsys.readouterr().err, f"--data-dir {file}", "not a folder")


# --- config.json edited by hand -----------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, words",
    [
        ({"seed": 10**30}, ["'seed' is 1000000000000000000000000000000", "[-2**63, 2**64)"]),
        ({"schedule": "step", "schedule_args": {"x": 1}}, ["schedule_args: 'step_size'"]),
        (
            {"schedule": "step", "schedule_args": {"step_size": 1, "gamma": 0.1, "x": 1}},
            ["schedule_args: 'x' is not an argument of the step schedule"],
        ),
        (
            {"schedule": "step", "schedule_args": {"step_size": "a", "gamma": 0.1}},
            ["'step_size' is \"a\", not a positive integer"],
        ),
        (
            {"schedule": "plateau", "schedule_args": {"mode": "up", "factor": 0.1, "patience": 2}},
            ["'mode' is \"up\""],
        ),
        ({"schedule": "none", "schedule_args": {"T_max": 3}}, ["'T_max' is not an argument"]),
    ],
)
def test_resume_refuses_an_edited_config_naming_it_and_changes_nothing(
    tmp_path, trained, capsys, edit, words
):
    run = _copy(trained, tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, **edit}))
    before = _snapshot(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
    _one_error_line(capsys.readouterr().err, str(run / "config.json"), *words)
    assert _snapshot(run) == before


# --- predict and export -------------------------------------------------------------------------


def test_predict_refuses_a_npy_of_nan_naming_it(tmp_path, trained, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.full((8, 8), np.nan, dtype=np.float32))
    assert main(["predict", str(trained), str(path)]) == 1
    _one_error_line(capsys.readouterr().err, str(path), "NaN or infinite")


def test_export_to_a_folder_or_a_missing_folder_is_one_line(tmp_path, trained, capsys):
    pytest.importorskip("onnx")
    assert main(["export", str(trained), "--onnx", str(tmp_path)]) == 2
    _one_error_line(capsys.readouterr().err, f"--onnx {tmp_path} is a folder")
    target = tmp_path / "missing" / "model.onnx"
    assert main(["export", str(trained), "--onnx", str(target)]) == 1
    _one_error_line(capsys.readouterr().err, f"cannot write {target}")
    assert main(["export", str(trained), "--onnx", str(tmp_path / "m.onnx")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no temporary file left


# --- a full disk, two writers, SIGTERM ----------------------------------------------------------


def _limit_file_size():
    """In the child: files may grow to 2 KiB only (RLIMIT_FSIZE; Python ignores SIGXFSZ, so a
    longer write fails with EFBIG as on a full disk)."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_during_a_checkpoint_keeps_the_previous_one(tmp_path, trained, capsys):
    reference = tmp_path / "reference"
    assert _train(reference, 3) == 0
    run = _copy(trained, tmp_path / "run")
    manifest = (run / "checkpoint.json").read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradiente",
            "train",
            "--resume",
            str(run),
            "--epochs",
            "3",
            "--no-progress",
        ],
        preexec_fn=_limit_file_size,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    _one_error_line(
        result.stderr, "cannot write", "model.safetensors", "the last checkpoint (epoch 2) is kept"
    )
    assert (run / "checkpoint.json").read_bytes() == manifest
    assert [p.name for p in run.iterdir() if p.name.startswith((".", "checkpoint-"))] == [
        json.loads(manifest)["directory"]
    ]
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 0
    assert _weights(run) == _weights(reference)


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_run_folder_in_use_by_another_train_is_refused(tmp_path, trained, capsys):
    run = _copy(trained, tmp_path / "run")
    before = _snapshot(run)
    capsys.readouterr()
    with folder_lock(run):  # as another gradiente train writing there holds it
        assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
        _one_error_line(capsys.readouterr().err, str(run), "in use by another gradiente train")
        assert _snapshot(run) == before
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        with folder_lock(fresh):
            assert _train(fresh, 1) == 1
            _one_error_line(capsys.readouterr().err, str(fresh), "in use")
            assert list(fresh.iterdir()) == []
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_saves_a_checkpoint_like_ctrl_c_and_resumes_exactly(tmp_path, capsys):
    epochs = 30
    reference = tmp_path / "reference"
    assert _train(reference, epochs) == 0
    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "gradiente", *TRAIN, "--epochs", str(epochs), "--out", str(run)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (run / "checkpoint.json").exists() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the run ended before SIGTERM arrived")
    assert process.returncode == 130, err
    _one_error_line(err, "interrupted after", f"--resume {run}")
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    assert _weights(run) == _weights(reference)


# --- a checkpoint edited along with its manifest ------------------------------------------------


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda s: s.pop("history"), "'history' is not an object"),
        (lambda s: s.update(callbacks=7), "'callbacks' is not an object of objects"),
        (lambda s: s.update(rng="x"), "'rng' is not an object"),
        (lambda s: s["rng"].update(loader=["@@"]), "random state that is not"),
        (lambda s: s.update(format=None), "format null"),
    ],
)
def test_resume_refuses_a_trainer_state_forged_with_its_sha256(
    tmp_path, trained, capsys, edit, words
):
    """The sha256 check passes when the manifest was edited too (or written by another
    program): the trainer state's contents are still checked, before anything is written."""
    run = _copy(trained, tmp_path / "run")
    manifest = json.loads((run / "checkpoint.json").read_text())
    path = run / manifest["directory"] / "trainer_state.json"
    state = json.loads(path.read_text())
    edit(state)
    data = json.dumps(state).encode()
    path.write_bytes(data)
    manifest["files"]["trainer_state.json"] = {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (run / "checkpoint.json").write_text(json.dumps(manifest))
    before = _snapshot(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
    _one_error_line(capsys.readouterr().err, f"cannot resume: {path}", words)
    assert _snapshot(run) == before
