"""Faults of ``gradiente train``/``evaluate``/``predict``/``run`` (ninth hunt), each a case that
once failed:

- ``--schedule onecycle`` with ``adagrad`` or ``adadelta`` stopped with OneCycleLR's "optimizer
  must support momentum" (those optimizers have no momentum to cycle);
- a checkpoint whose weights hold NaN (damaged, or forged along with its manifest) was evaluated
  (accuracy 9.86%, loss nan), predicted ("8 (nan%)") and resumed, which then reported a
  divergence "(try a smaller --lr)" that never happened;
- a ``DataLoader`` with persistent workers, or a dataset drawing from Python's ``random`` or
  NumPy's global generator, resumed with other random numbers and another shuffle than the run
  that was never stopped;
- ``gradiente run`` on a script with a syntax error showed the runner's own frames;
- ``--out ""`` (an unset shell variable) wrote the run into the current folder, and ``--out``
  naming a dangling link or a link loop failed with "File exists".

Stops are exact: ``GRADIENTE_FAULT_POINT=batch:n`` stops the run after its n-th optimizer step,
with SIGKILL, or with ``GRADIENTE_FAULT_SIGNAL=TERM``/``INT`` the signal a scheduler or Ctrl-C
sends; every stop is followed by ``--resume``, whose files must equal an uninterrupted run's.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hashlib
import json
import math
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gradiente
from gradiente.cli import main
from gradiente.train import checkpoint as checkpoint_module
from gradiente.train import checkpoint_path

TRAIN = "train --dataset digits --model logistic --batch-size 64 --epochs 3 --no-progress".split()
SAVED = ("model.safetensors", "optimizer.safetensors", "best.safetensors")


def _history(run: pathlib.Path) -> list[str]:
    """history.csv without the seconds column (timings differ from run to run)."""
    return [row.rsplit(",", 1)[0] for row in (run / "history.csv").read_text().split()]


def _same_as(run: pathlib.Path, reference: pathlib.Path) -> None:
    for name in SAVED:
        assert (
            checkpoint_path(run, name).read_bytes() == checkpoint_path(reference, name).read_bytes()
        ), name
    assert _history(run) == _history(reference)
    results = [json.loads((r / "results.json").read_text()) for r in (run, reference)]
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"]


def _snapshot(folder: pathlib.Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _one_line(err: str, *names) -> None:
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for name in names:
        assert str(name) in err, (name, err)


# --- stopped by a signal at a batch, resumed: the same bytes, every optimizer and schedule -------


def _stopped_in_process(monkeypatch, run, args, point, signal_name):
    """``gradiente train args --out run`` in this process, stopped by ``signal_name`` at
    ``point`` (its handler saves a checkpoint: exit 130)."""
    monkeypatch.setenv("GRADIENTE_FAULT_POINT", point)
    monkeypatch.setenv("GRADIENTE_FAULT_SIGNAL", signal_name)
    monkeypatch.setattr(checkpoint_module, "_fault_counts", {})
    assert main([*args, "--out", str(run)]) == 130
    monkeypatch.delenv("GRADIENTE_FAULT_POINT")


RUNS = {
    # adagrad and adadelta have no momentum: onecycle cycles their learning rate alone
    "adagrad-onecycle": ["--optimizer", "adagrad", "--schedule", "onecycle"],
    "adadelta-onecycle": ["--optimizer", "adadelta", "--schedule", "onecycle"],
    "nadam-plateau": ["--optimizer", "nadam", "--schedule", "plateau"],
    "rmsprop-step": ["--optimizer", "rmsprop", "--schedule", "step"],
    "nesterov-cosine": ["--optimizer", "nesterov", "--schedule", "cosine"],
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
@pytest.mark.parametrize("case", list(RUNS))
def test_a_stop_at_a_batch_then_resume_gives_the_same_bytes(tmp_path, monkeypatch, capsys, case):
    args = [*TRAIN, *RUNS[case]]
    reference = tmp_path / "reference"
    assert main([*args, "--out", str(reference)]) == 0
    # mid-epoch 2 by SIGTERM, the last batch of epoch 1 by Ctrl-C
    for point, signal_name in (("batch:30", "TERM"), ("batch:21", "INT")):
        run = tmp_path / f"{signal_name}"
        _stopped_in_process(monkeypatch, run, args, point, signal_name)
        assert main(["train", "--resume", str(run), "--no-progress"]) == 0
        _same_as(run, reference)


def test_onecycle_without_momentum_moves_the_learning_rate_as_torch_does():
    torch = pytest.importorskip("torch")
    from gradiente.cli import build_scheduler

    config = {"schedule": "onecycle", "schedule_args": {"max_lr": 0.01, "total_steps": 12}}
    for name in ("Adagrad", "Adadelta"):
        ours_opt = getattr(gradiente.optim, name)([gradiente.zeros(2, requires_grad=True)], lr=0.01)
        ours = build_scheduler(config, ours_opt)
        theirs_opt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.01)
        theirs = torch.optim.lr_scheduler.OneCycleLR(
            theirs_opt, cycle_momentum=False, **config["schedule_args"]
        )
        for _ in range(11):
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
            ours_opt.step(), ours.step(), theirs_opt.step(), theirs.step()


# --- a SIGKILL, then chained stops: a run stopped again and again ends as one never stopped ------


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and SIGTERM are POSIX")
def test_chained_kills_and_stops_in_real_processes(tmp_path):
    args = [*TRAIN, "--optimizer", "adagrad", "--schedule", "onecycle"]
    reference = tmp_path / "reference"
    assert main([*args, "--out", str(reference)]) == 0
    run = tmp_path / "run"
    stops = [("batch:9", "KILL", -signal.SIGKILL), ("batch:20", "TERM", 130)]
    stops += [("batch:3", "INT", 130), ("batch:1", "KILL", -signal.SIGKILL)]
    for i, (point, name, status) in enumerate(stops):
        command = [*args, "--out", str(run)] if i == 0 else ["train", "--resume", str(run)]
        env = dict(os.environ, GRADIENTE_FAULT_POINT=point, GRADIENTE_FAULT_SIGNAL=name)
        result = subprocess.run(
            [sys.executable, "-m", "gradiente", *command, "--no-progress"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == status, (point, result.stderr)
        if status == 130:
            assert "Traceback" not in result.stderr
            assert result.stderr.strip().splitlines()[-1].startswith("interrupted after ")
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    _same_as(run, reference)


# --- weights that hold NaN -------------------------------------------------------------------


def _poison(run: pathlib.Path, name: str) -> pathlib.Path:
    """Put a NaN into the first tensor of checkpoint file ``name`` and update the manifest to
    match (a forged file: the sha256 check passes)."""
    manifest = json.loads((run / "checkpoint.json").read_text())
    path = run / manifest["directory"] / name
    state = gradiente.load(path)
    tensors = state if name != "optimizer.safetensors" else state["state"][0]
    key = next(k for k, v in tensors.items() if v.dtype.is_floating_point)
    tensors[key] = tensors[key].clone()
    tensors[key].view(-1)[0] = math.nan
    gradiente.save(state, path)
    data = path.read_bytes()
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (run / "checkpoint.json").write_text(json.dumps(manifest))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> pathlib.Path:
    run = tmp_path_factory.mktemp("hunt9") / "run"
    assert main([*TRAIN[:-3], "--epochs", "2", "--no-progress", "--out", str(run)]) == 0
    return run


@pytest.mark.parametrize("name", SAVED)
def test_weights_with_nan_are_refused_naming_the_file(tmp_path, trained, capsys, name):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    path = _poison(run, name)
    image = tmp_path / "digit.npy"
    np.save(image, np.zeros((8, 8), np.float32))
    before = _snapshot(run)
    capsys.readouterr()

    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
    err = capsys.readouterr().err
    _one_line(err, path, "NaN or infinite")
    assert err.startswith("gradiente train: error: cannot resume: ") and "diverged" not in err
    if name != "optimizer.safetensors":
        weights = "best" if name == "best.safetensors" else "last"
        for command in (["evaluate", str(run)], ["predict", str(run), str(image)]):
            assert main([*command, "--checkpoint", weights]) == 1
            _one_line(capsys.readouterr().err, path, "NaN or infinite")
    assert _snapshot(run) == before  # nothing was written


# --- persistent loader workers, Python's and NumPy's generators -------------------------------

_FIT_SCRIPT = """
import random, sys
import numpy as np
import gradiente
from gradiente import nn, optim
from gradiente.data import DataLoader, Dataset
from gradiente.train import Callback, ModelCheckpoint, fit

class Augmented(Dataset):
    # noise from gradiente's, NumPy's and Python's generators, as augmentations draw it
    def __init__(self):
        rng = np.random.default_rng(0)
        self.x = gradiente.from_numpy(rng.standard_normal((64, 6)).astype(np.float32))
        self.y = gradiente.from_numpy((rng.standard_normal(64) > 0).astype(np.int64))
    def __len__(self):
        return 64
    def __getitem__(self, i):
        noise = gradiente.randn(6) * 0.1 + float(np.random.rand()) + random.random()
        return self.x[i] + noise, self.y[i]

class CtrlC(Callback):  # stops as Ctrl-C does, after batch n
    def __init__(self, n):
        self.n = n
    def on_batch_end(self, trainer, loss):
        self.n -= 1
        if self.n == 0:
            trainer.interrupt()

folder, workers, stop, resume = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
gradiente.manual_seed(1)
np.random.seed(int(sys.argv[5]))  # another process, another state: only the checkpoint's counts
random.seed(int(sys.argv[5]))
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
loader = DataLoader(Augmented(), batch_size=8, shuffle=True, num_workers=workers,
                    persistent_workers=workers > 0, generator=gradiente.Generator().manual_seed(5))
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
schedule = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=4 * len(loader))
callbacks = [ModelCheckpoint(folder, monitor="train_loss")] + ([CtrlC(stop)] if stop else [])
history = fit(model, loader, opt, nn.CrossEntropyLoss(), 4, scheduler=schedule,
              callbacks=callbacks, progress=False, verbose=False,
              resume=folder if resume == "resume" else None)
print("interrupted" if history.interrupted else "done")
"""


def _fit(tmp_path, folder, workers, stop=0, resume=False, seed=0, env=None):
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent(_FIT_SCRIPT))
    mode = "resume" if resume else "new"
    return subprocess.run(
        [sys.executable, str(script), str(folder), str(workers), str(stop), mode, str(seed)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("workers", [0, 2])
def test_random_augmentations_and_persistent_workers_resume_exactly(tmp_path, workers):
    reference = tmp_path / "reference"
    assert _fit(tmp_path, reference, workers).stdout.split() == ["done"]
    # Ctrl-C mid-epoch 2 (batch 13 of 32), resumed; then killed at batch 28, resumed again
    run = tmp_path / "run"
    assert _fit(tmp_path, run, workers, stop=13).stdout.split() == ["interrupted"]
    env = dict(os.environ, GRADIENTE_FAULT_POINT="batch:15")  # the 15th step after resuming
    killed = _fit(tmp_path, run, workers, resume=True, seed=8, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    result = _fit(tmp_path, run, workers, resume=True, seed=9)
    assert result.stdout.split() == ["done"], result.stderr
    for name in SAVED:
        assert (
            checkpoint_path(run, name).read_bytes() == checkpoint_path(reference, name).read_bytes()
        ), name


FORGED_STATES = {
    "numpy-short": ("numpy", ["MT19937", 3]),
    "numpy-keys": ("numpy", ["MT19937", "AAAA", 0, 0, 0.0]),
    "python-short": ("python", [3, [1, 2, 3], None]),
}


@pytest.mark.parametrize("case", list(FORGED_STATES))
def test_a_forged_python_or_numpy_state_is_refused(tmp_path, capsys, case):
    """A trainer state edited along with its manifest: refused before anything is written,
    not when the epoch starts."""
    run = tmp_path / "run"
    assert main([*TRAIN[:-3], "--epochs", "1", "--no-progress", "--out", str(run)]) == 0
    manifest = json.loads((run / "checkpoint.json").read_text())
    path = run / manifest["directory"] / "trainer_state.json"
    state = json.loads(path.read_text())
    assert set(state["rng"]) == {"global", "loader", "python", "numpy"}
    key, value = FORGED_STATES[case]
    state["rng"][key] = value
    data = json.dumps(state).encode()
    path.write_bytes(data)
    manifest["files"]["trainer_state.json"] = {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (run / "checkpoint.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    before = _snapshot(run)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 1
    _one_line(capsys.readouterr().err, path, "'numpy' random state")
    assert _snapshot(run) == before


# --- gradiente run: a script that does not compile ---------------------------------------------


def _run(*command):
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("source", ["def f(:\n", "x = 1\n  y = 2\n", "print('unclosed\n"])
def test_a_script_with_a_syntax_error_reports_as_python_does(tmp_path, source):
    script = tmp_path / "broken.py"
    script.write_text(source)
    ours = _run(sys.executable, "-m", "gradiente", "run", str(script))
    python = _run(sys.executable, str(script))
    assert ours.returncode == python.returncode == 1
    assert ours.stderr == python.stderr


def test_a_script_with_a_null_byte_is_named(tmp_path):
    script = tmp_path / "broken.py"
    script.write_bytes(b"a = 1\x00\n")
    ours = _run(sys.executable, "-m", "gradiente", "run", str(script))
    assert ours.returncode == 1
    _one_line(ours.stderr, script, "null bytes")


# --- paths on the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    "command,option",
    [("train", "--out"), ("train", "--resume"), ("train", "--data-dir"), ("lecture", "--out")],
)
def test_an_empty_path_is_a_usage_error(tmp_path, monkeypatch, capsys, command, option):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([command, option, ""])
    assert exit_info.value.code == 2
    assert f"argument {option}: expected a path, got an empty string" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder


@pytest.mark.parametrize("link", ["loop", "dangling"])
def test_out_naming_a_broken_link_is_a_usage_error(tmp_path, capsys, link):
    out = tmp_path / link
    out.symlink_to(out if link == "loop" else tmp_path / "missing" / "x")
    assert main([*TRAIN, "--out", str(out)]) == 2
    _one_line(capsys.readouterr().err, out, "symbolic link to nothing")
    assert sorted(p.name for p in tmp_path.iterdir()) == [link]


# --- predict: a 16-bit grey PNG --------------------------------------------------------------


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path, trained, capsys):
    """Pillow's convert("L") clips 16-bit values above 255 to white: a 16-bit digit became a
    silhouette. It must predict as the same picture in 8 bits does."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 65536, (8, 8)).astype(np.uint16)
    Image.fromarray(pixels).save(tmp_path / "deep.png")
    np.save(tmp_path / "same.npy", pixels.astype(np.float32) * (255 / 65535))
    capsys.readouterr()
    assert main(["predict", str(trained), str(tmp_path / "deep.png")]) == 0
    deep = capsys.readouterr().out.split(": ", 1)[1]
    assert main(["predict", str(trained), str(tmp_path / "same.npy")]) == 0
    assert capsys.readouterr().out.split(": ", 1)[1] == deep


# --- two processes saving checkpoints into one folder at once ---------------------------------

_SAVE_OFTEN = """
import sys
import gradiente
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.train import ModelCheckpoint, fit

gradiente.manual_seed(int(sys.argv[2]))
x = gradiente.randn(8, 4)
y = (x[:, 0] > 0).long()
model = nn.Linear(4, 2)
loader = DataLoader(TensorDataset(x, y), batch_size=8)
history = fit(model, loader, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), 150,
              callbacks=[ModelCheckpoint(sys.argv[1], monitor="train_loss")], progress=False,
              verbose=False)
print(len(history))
"""


def test_two_processes_checkpointing_into_one_folder_do_not_break_each_other(tmp_path):
    """Each save used to delete every checkpoint directory the manifest did not name, and every
    temporary file: the other process's directory being written, or its manifest about to be
    renamed ("cannot write .../optimizer.safetensors: No such file or directory"). A save now
    deletes only the directory it replaced; the folder ends with one whole checkpoint."""
    script = tmp_path / "save_often.py"
    script.write_text(_SAVE_OFTEN)
    folder = tmp_path / "shared"
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), str(folder), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (0, 1)
    ]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0 and out.split() == ["150"], err
    assert checkpoint_path(folder).is_file()  # the manifest's files all check out
    checkpoint_module.clean(folder)
    assert len(list(folder.glob("checkpoint-*"))) == 1


def test_an_optimizer_state_of_other_shapes_is_refused_before_training(tmp_path, trained, capsys):
    """Adam's moments of another shape (a mixed or forged file) failed in the middle of the
    first step, with NumPy's "non-broadcastable output operand" and no file named."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    manifest = json.loads((run / "checkpoint.json").read_text())
    path = run / manifest["directory"] / "optimizer.safetensors"
    state = gradiente.load(path)
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg"][:1].clone()
    gradiente.save(state, path)
    data = path.read_bytes()
    manifest["files"][path.name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (run / "checkpoint.json").write_text(json.dumps(manifest))
    before = _snapshot(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-progress"]) == 1
    _one_line(capsys.readouterr().err, path, "'exp_avg' of shape (1, 64)")
    assert _snapshot(run) == before
