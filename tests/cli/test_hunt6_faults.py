"""Faults injected into ``gradiente train/evaluate/predict`` from the outside (sixth hunt).

Each test is a case that once failed: a reader that leaves the pipe early (``| head``) got an
error line; a full disk, or a folder in the way of ``history.csv``, was reported under the name
of a temporary file nobody has heard of; a manifest whose file entry is not an object was an
"unexpected" AttributeError; an optimizer state without ``param_groups`` was reported as the
bare ``'param_groups'``; images that are all one colour trained on NaN inputs and were reported
as a diverging run; two runs without ``--out`` started together chose one folder, and the
second was refused; and a run's ``config.json`` given as the run folder was "not a run folder
(no config.json)". A run is logistic regression on the bundled digits: under a second.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hashlib
import io
import json
import pathlib
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from gradiente.cli import main

TRAIN = "train --dataset digits --model logistic --batch-size 64 --no-progress".split()


def _one_error_line(err: str, *words: str) -> str:
    """The one line of ``err``; it names every one of ``words``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> pathlib.Path:
    """A finished 1-epoch run (copied by the tests that change it)."""
    run = tmp_path_factory.mktemp("trained") / "run"
    assert main([*TRAIN, "--epochs", "1", "--out", str(run)]) == 0
    return run


def _forge(run: pathlib.Path, name: str, data: bytes) -> None:
    """Replace file ``name`` of the current checkpoint and its manifest entry (a checkpoint
    written by another program: the sha256 check passes)."""
    manifest = json.loads((run / "checkpoint.json").read_text())
    (run / manifest["directory"] / name).write_bytes(data)
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (run / "checkpoint.json").write_text(json.dumps(manifest))


@pytest.mark.skipif(sys.platform == "win32", reason="a pipe whose reader is gone is POSIX")
def test_a_reader_that_leaves_early_is_no_error(trained):
    # as in `gradiente evaluate RUN | head -1`: the reader is gone before the output is written
    command = ["evaluate", str(trained)]
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gradiente", *command],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(write)
    assert result.stderr == ""
    assert result.returncode == 128 + 13  # as a program that SIGPIPE ended: the shell's 141


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_names_the_file_not_its_temporary(tmp_path):
    def small_files():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))  # config.json does not fit

    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", *TRAIN, "--epochs", "1", "--out", str(run)],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    line = _one_error_line(result.stderr, f"cannot write {run / 'config.json'}:", "no checkpoint")
    assert ".tmp" not in line
    assert not run.exists()


def test_a_folder_in_the_way_of_history_csv_is_named(tmp_path, trained, capsys):
    run = shutil.copytree(trained, tmp_path / "run")
    (run / "history.csv").unlink()
    (run / "history.csv").mkdir()
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 1
    line = _one_error_line(capsys.readouterr().err, f"cannot replace {run / 'history.csv'}:")
    assert ".tmp" not in line and "the last checkpoint (epoch 2) is kept" in line
    assert not [p for p in run.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("entry", ["abc", 3, None, ["bytes"]])
def test_a_manifest_file_entry_that_is_not_an_object(tmp_path, trained, capsys, entry):
    run = shutil.copytree(trained, tmp_path / "run")
    manifest = json.loads((run / "checkpoint.json").read_text())
    manifest["files"]["model.safetensors"] = entry
    (run / "checkpoint.json").write_text(json.dumps(manifest))
    before = (run / "checkpoint.json").read_bytes()
    capsys.readouterr()
    for command in (["evaluate", str(run)], ["train", "--resume", str(run), "--no-progress"]):
        assert main(command) == 1
        line = _one_error_line(capsys.readouterr().err, str(run / "checkpoint.json"))
        assert "not a gradiente checkpoint manifest" in line and "unexpected" not in line
    assert (run / "checkpoint.json").read_bytes() == before


def test_an_optimizer_state_without_param_groups(tmp_path, trained, capsys):
    import gradiente

    run = shutil.copytree(trained, tmp_path / "run")
    buffer = io.BytesIO()
    gradiente.save({"state": {}}, buffer)
    _forge(run, "optimizer.safetensors", buffer.getvalue())
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 1
    _one_error_line(
        capsys.readouterr().err,
        "optimizer.safetensors: does not fit this run's optimizer: it has no entry 'param_groups'",
    )


def _idx(array: np.ndarray) -> bytes:
    """``array`` (uint8) as an IDX file, the format of MNIST."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def test_images_of_one_colour_train_on_finite_inputs(tmp_path, capsys):
    # every pixel of the training set is 0: its standard deviation is 0, and (x - mean) / 0 made
    # every input NaN, which was then reported as "training diverged ... try a smaller --lr"
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    labels = np.arange(20, dtype=np.uint8) % 10
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(_idx(np.zeros((20, 28, 28), np.uint8)))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(_idx(labels))
    run = tmp_path / "run"
    args = ["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "data"), "--model"]
    assert main([*args, "logistic", "--epochs", "1", "--no-progress", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["mean"] == [0.0] and config["data"]["std"] == [1.0]
    results = json.loads((run / "results.json").read_text())
    assert results["test_loss"] == pytest.approx(np.log(10), abs=0.05)  # finite: the class prior


def test_two_runs_without_out_started_together_get_two_folders(tmp_path, monkeypatch, capsys):
    # both saw runs/logistic-digits free and chose it; the second found it locked (or holding
    # the first's checkpoint) and was refused with "choose another --out", an option it never
    # gave. Here the second run starts between the first one's choice and its mkdir.
    from gradiente.cli import train as train_command

    monkeypatch.chdir(tmp_path)
    choose = train_command._new_run_dir

    def chosen_then_taken(out, model, dataset):
        path = choose(out, model, dataset)
        if not hasattr(chosen_then_taken, "done"):
            chosen_then_taken.done = True
            assert main([*TRAIN, "--epochs", "1"]) == 0  # the other run takes the same name
        return path

    monkeypatch.setattr(train_command, "_new_run_dir", chosen_then_taken)
    assert main([*TRAIN, "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "run folder: runs/logistic-digits\n" in out
    assert "run folder: runs/logistic-digits-2\n" in out
    for name in ("logistic-digits", "logistic-digits-2"):
        assert (tmp_path / "runs" / name / "results.json").is_file()


@pytest.mark.parametrize("command", ["evaluate", "predict", "train"])
def test_a_file_given_as_the_run_folder(trained, capsys, command):
    # `gradiente evaluate RUN/config.json` said "RUN/config.json is not a run folder (no
    # config.json)"
    path = trained / "config.json"
    args = {"evaluate": [str(path)], "predict": [str(path), str(path)]}
    argv = [command, *args.get(command, ["--resume", str(path)])]
    capsys.readouterr()
    assert main(argv) == 2
    _one_error_line(capsys.readouterr().err, f"{path} is a file, not a run folder")
