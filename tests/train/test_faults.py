"""Fault tests of ``gradiente train``: SIGKILL at many points, damaged and mixed checkpoints,
planted symbolic links, same-seed determinism, and a diverging run.

The kills are exact: ``GRADIENTE_FAULT_POINT=<name>:<n>`` makes the training process kill
itself with SIGKILL the n-th time it reaches a named point (see ``gradiente.train.checkpoint``).
Every kill is followed by ``--resume`` (or the same command again), and the final files must
equal those of an uninterrupted run with the same seed, byte for byte. A run is logistic
regression on the bundled digits, 3 epochs of 21 batches: about a second.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
import math
import pathlib
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import gradiente
from gradiente import nn, optim
from gradiente.cli import main
from gradiente.data import DataLoader, TensorDataset
from gradiente.train import ModelCheckpoint, checkpoint_path, fit
from gradiente.train import checkpoint as checkpoint_module

TRAIN = "train --dataset digits --model logistic --batch-size 64 --epochs 3 --no-progress".split()
SAVED = ("model.safetensors", "optimizer.safetensors", "best.safetensors")
CHECKPOINT_FILES = {*SAVED, "trainer_state.json"}


def _train_killed_at(run: pathlib.Path, point: str) -> None:
    """Run the training command in a subprocess that kills itself at ``point``."""
    env = dict(os.environ, GRADIENTE_FAULT_POINT=point)
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", *TRAIN, "--out", str(run)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == -signal.SIGKILL, (point, result.returncode, result.stderr)


def _strict_json(path: pathlib.Path):
    """``path`` parsed as standard JSON: NaN/Infinity are not JSON and fail here."""

    def refuse(constant):
        raise ValueError(f"{path}: {constant} is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def _history(run: pathlib.Path) -> list[str]:
    """history.csv without the seconds column (timings differ from run to run)."""
    return [row.rsplit(",", 1)[0] for row in (run / "history.csv").read_text().split()]


def _check_clean(run: pathlib.Path) -> None:
    """One checkpoint directory with its four files, no temporary file, all JSON strict."""
    manifest = _strict_json(run / "checkpoint.json")
    stray = [
        p.name
        for p in run.iterdir()
        if p.name.startswith(".")
        or (p.name.startswith("checkpoint-") and p.name != manifest["directory"])
    ]
    assert stray == []
    assert {p.name for p in (run / manifest["directory"]).iterdir()} == CHECKPOINT_FILES
    for path in [*run.glob("*.json"), *run.glob("*/*.json")]:
        _strict_json(path)


def _same_as(run: pathlib.Path, reference: pathlib.Path) -> None:
    for name in SAVED:
        ours, theirs = checkpoint_path(run, name), checkpoint_path(reference, name)
        assert ours.read_bytes() == theirs.read_bytes(), name
    assert _history(run) == _history(reference)
    assert _strict_json(run / "results.json")["test_accuracy"] == pytest.approx(
        _strict_json(reference / "results.json")["test_accuracy"], abs=0
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pathlib.Path:
    """The uninterrupted run, in this process."""
    run = tmp_path_factory.mktemp("faults") / "reference"
    assert main([*TRAIN, "--out", str(run)]) == 0
    _check_clean(run)
    return run


# Where the process is killed. Each save of a checkpoint writes model, optimizer, best and
# trainer state into a new directory, then the manifest checkpoint.json (written to a temporary
# file and renamed: "before-switch" and "after-switch" surround that rename); after each epoch
# history.csv, and at the end curves.png and results.json. ":n" is the n-th time (the n-th
# epoch's save, or the n-th batch of the run: 21 per epoch).
KILL_POINTS = [
    "batch:30",  # mid-epoch 2
    "before-write:model.safetensors:2",
    "mid-write:model.safetensors:2",
    "after-write:model.safetensors:1",
    "mid-write:optimizer.safetensors:2",
    "after-write:optimizer.safetensors:3",
    "mid-write:best.safetensors:2",
    "mid-write:trainer_state.json:3",
    "after-write:trainer_state.json:2",
    "mid-write:checkpoint.json:2",
    "before-switch:2",
    "after-switch:1",  # switched, previous directory not yet deleted
    "after-switch:3",  # the last checkpoint is in place; nothing left to train
    "mid-write:history.csv:2",
    "mid-write:results.json:1",
]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_then_resume_gives_the_same_bytes(tmp_path, reference, point):
    run = tmp_path / "run"
    _train_killed_at(run, point)
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    _same_as(run, reference)
    _check_clean(run)


@pytest.mark.parametrize("point", ["before-write:config.json:1", "batch:5"])
def test_killed_before_the_first_checkpoint_the_same_command_starts_again(
    tmp_path, reference, point, capsys
):
    run = tmp_path / "run"
    _train_killed_at(run, point)
    assert not (run / "checkpoint.json").exists()
    assert main([*TRAIN, "--out", str(run)]) == 0
    _same_as(run, reference)
    _check_clean(run)


def test_resume_of_a_run_killed_in_epoch_1_starts_from_the_beginning(tmp_path, reference, capsys):
    run = tmp_path / "run"
    _train_killed_at(run, "mid-write:model.safetensors:1")
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    assert "(no checkpoint yet: starting from the beginning)" in capsys.readouterr().out
    _same_as(run, reference)
    _check_clean(run)


def test_two_runs_with_the_same_seed_write_identical_files(tmp_path, reference):
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", *TRAIN, "--out", str(run)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    _same_as(run, reference)
    _check_clean(run)

    def without_seconds(obj):
        if isinstance(obj, dict):
            return {k: without_seconds(v) for k, v in obj.items() if k != "seconds"}
        if isinstance(obj, list):
            return [without_seconds(v) for v in obj]
        return obj

    # the trainer state differs only in timings
    states = [_strict_json(checkpoint_path(r, "trainer_state.json")) for r in (run, reference)]
    assert without_seconds(states[0]) == without_seconds(states[1])


def test_a_run_folder_of_the_earlier_layout_still_resumes(tmp_path, reference):
    """Before manifests, the checkpoint files lay directly in the run folder."""
    run = tmp_path / "run"
    assert main([*TRAIN[:-3], "--epochs", "2", "--no-progress", "--out", str(run)]) == 0
    directory = checkpoint_path(run).parent
    for path in directory.iterdir():
        shutil.copyfile(path, run / path.name)
    shutil.rmtree(directory)
    (run / "checkpoint.json").unlink()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 0
    _same_as(run, reference)


# --- damaged and mixed checkpoints -----------------------------------------------------------


def _snapshot(folder: pathlib.Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _flip_last_byte(path: pathlib.Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # inside the tensor data: the file still parses
    path.write_bytes(bytes(data))


DAMAGES = {
    "mixed optimizer": ("optimizer.safetensors", "copy from epoch 1"),
    "mixed trainer state": ("trainer_state.json", "copy from epoch 1"),
    "flipped bit": ("model.safetensors", "flip"),
    "truncated": ("best.safetensors", "truncate"),
    "missing": ("optimizer.safetensors", "delete"),
    "manifest": ("checkpoint.json", "garbage"),
}


@pytest.mark.parametrize("case", DAMAGES)
def test_resume_refuses_a_damaged_or_mixed_checkpoint(tmp_path, capsys, case):
    name, damage = DAMAGES[case]
    run = tmp_path / "run"
    assert main([*TRAIN[:-3], "--epochs", "1", "--no-progress", "--out", str(run)]) == 0
    epoch_1 = tmp_path / "epoch1"
    shutil.copytree(checkpoint_path(run).parent, epoch_1)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    target = run / name if name == "checkpoint.json" else checkpoint_path(run).parent / name
    if damage == "copy from epoch 1":
        shutil.copyfile(epoch_1 / name, target)
    elif damage == "flip":
        _flip_last_byte(target)
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "delete":
        target.unlink()
    else:
        target.write_text("{")
    capsys.readouterr()
    before = _snapshot(run)

    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("gradiente train: error: cannot resume: ") and str(target) in err
    assert _snapshot(run) == before  # a refused resume changes nothing

    weights = "best" if name == "best.safetensors" else "last"
    if name in ("model.safetensors", "best.safetensors", "checkpoint.json"):
        assert main(["evaluate", str(run), "--checkpoint", weights]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(target) in err
        assert _snapshot(run) == before


# --- planted symbolic links ---------------------------------------------------------------


def test_planted_links_are_never_written_through(tmp_path, reference, monkeypatch):
    """Links at the run folder's file names and at the (here forced) temporary names: the
    files they point to stay untouched, the links are replaced or removed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victims = {}
    run = tmp_path / "run"
    run.mkdir()
    planted = ["history.csv", "results.json", "curves.png", "config.json"]
    forced = "a" * 12  # every other random name is this one, and a link waits there
    planted += [f".{n}.{forced}.tmp" for n in ("history.csv", "config.json", "checkpoint.json")]
    planted += [f"checkpoint-e1-b0-{forced}", f"checkpoint-e2-b0-{forced}"]
    for i, name in enumerate(planted):
        victim = outside / f"victim{i}"
        if name != "config.json":  # a dangling link: the target must not come to exist
            victim.write_text(f"precious {i}")
        victims[victim] = victim.read_bytes() if victim.exists() else None
        (run / name).symlink_to(victim)
    calls = iter(range(10**6))
    real = checkpoint_module.secrets.token_hex
    monkeypatch.setattr(
        checkpoint_module.secrets,
        "token_hex",
        lambda n: forced if next(calls) % 2 == 0 else real(n),
    )

    assert main([*TRAIN, "--out", str(run)]) == 0
    monkeypatch.undo()
    for victim, content in victims.items():
        assert (victim.read_bytes() if victim.exists() else None) == content, victim
    assert sorted(p.name for p in outside.iterdir()) == sorted(
        v.name for v, c in victims.items() if c is not None
    )
    assert not [p for p in run.iterdir() if p.is_symlink()]
    _same_as(run, reference)
    _check_clean(run)


# --- divergence ---------------------------------------------------------------------------


def test_a_diverging_run_stops_with_one_line_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    # momentum SGD whose one-cycle schedule raises the learning rate to 5: NaN in epoch 2
    args = "train --dataset moons --optimizer momentum --lr 5 --schedule onecycle --epochs 5"
    assert main([*args.split(), "--batch-size", "64", "--no-progress", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    found = re.search(r"training diverged: the loss is (nan|inf) at epoch (\d+), batch (\d+)", err)
    assert found, err
    epoch = int(found.group(2))
    assert epoch >= 2 and f"the last good checkpoint (epoch {epoch - 1}) is kept" in err
    results = _strict_json(run / "results.json")
    assert results["diverged"].startswith("the loss is") and results["epochs"] == epoch - 1
    _check_clean(run)
    manifest = _strict_json(run / "checkpoint.json")
    assert (manifest["epoch"], manifest["batch"]) == (epoch - 1, 0)
    for name in SAVED:
        state = gradiente.load(checkpoint_path(run, name))
        tensors = state["state"].values() if "state" in state else [state]
        for group in tensors:
            for value in group.values():
                assert np.isfinite(value.numpy()).all(), name


class _Batches:
    """A fixed list of batches; in epoch ``bad_epoch`` the input of batch ``bad_batch`` (both
    1-based) holds an inf."""

    def __init__(self, bad_epoch, bad_batch):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((40, 4)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64)
        self.data = TensorDataset(gradiente.from_numpy(x), gradiente.from_numpy(y))
        self.bad, self.epoch = (bad_epoch, bad_batch), 0

    def __len__(self):
        return 4

    def __iter__(self):
        self.epoch += 1
        for i, (x, y) in enumerate(DataLoader(self.data, batch_size=10)):
            if (self.epoch, i + 1) == self.bad:
                x = x.clone()
                x[0, 0] = math.inf
            yield x, y


@pytest.mark.parametrize("terminate_on_nan", [True, False])
def test_fit_stops_on_a_non_finite_loss_and_never_saves_nan(tmp_path, terminate_on_nan):
    gradiente.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    history = fit(
        model,
        _Batches(2, 3),
        optim.SGD(model.parameters(), lr=0.1),
        nn.CrossEntropyLoss(),
        4,
        callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss")],
        progress=False,
        verbose=False,
        terminate_on_nan=terminate_on_nan,
    )
    if terminate_on_nan:
        assert history.terminated == "the loss is nan at epoch 2, batch 3"
        assert len(history) == 1 and not history.stopped_early
    else:
        assert history.terminated is None and len(history) == 4
    # either way the checkpoint on disk is the last finite one: epoch 1
    manifest = _strict_json(tmp_path / "checkpoint.json")
    assert (manifest["epoch"], manifest["batch"]) == (1, 0)
    for value in gradiente.load(checkpoint_path(tmp_path)).values():
        assert np.isfinite(value.numpy()).all()
