"""The ``gradiente`` command: train, evaluate, predict, resume, Ctrl-C, bad input, run, info.

Most checks call the console entry point ``gradiente.cli.main`` in this process (fast); the
end-to-end ones (``python -m gradiente``, Ctrl-C, ``gradiente run``) use a subprocess. Every
run goes to a temporary folder through ``--out``.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gradiente
from gradiente.cli import main
from gradiente.models import get_model
from gradiente.train import checkpoint_path
from gradiente.train.data import prepare_inputs

ROOT = pathlib.Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
RUN_FILES = {
    "checkpoint.json",
    "config.json",
    "curves.png",
    "history.csv",
    "results.json",
}
CHECKPOINT_FILES = {
    "best.safetensors",
    "model.safetensors",
    "optimizer.safetensors",
    "trainer_state.json",
}


def _gradiente(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradiente", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def _weights(run):
    return {k: v.numpy() for k, v in gradiente.load(checkpoint_path(run)).items()}


def _same_checkpoint(a, b):
    for name in ("model.safetensors", "optimizer.safetensors"):
        wa, wb = gradiente.load(checkpoint_path(a, name)), gradiente.load(checkpoint_path(b, name))
        flat_a, flat_b = _flatten(wa), _flatten(wb)
        assert flat_a.keys() == flat_b.keys(), name
        for key in flat_a:
            np.testing.assert_array_equal(flat_a[key], flat_b[key], err_msg=f"{name}: {key}")


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(obj, (list, tuple)):
        return _flatten(dict(enumerate(obj)), prefix)
    return {prefix: np.asarray(obj.numpy() if hasattr(obj, "numpy") else obj)}


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """One short epoch of the default command (a small CNN on the bundled digits)."""
    run = tmp_path_factory.mktemp("cli") / "digits"
    result = _gradiente("train", "--epochs", "1", "--out", run, "--no-progress")
    assert result.returncode == 0, result.stderr
    return run, result.stdout


def test_train_digits_leaves_a_complete_run_folder(digits_run):
    run, stdout = digits_run
    directory = json.loads((run / "checkpoint.json").read_text())["directory"]
    assert {p.name for p in run.iterdir()} == RUN_FILES | {directory}
    assert {p.name for p in (run / directory).iterdir()} == CHECKPOINT_FILES
    config = json.loads((run / "config.json").read_text())
    assert (config["model"], config["dataset"], config["optimizer"], config["seed"]) == (
        "cnn",
        "digits",
        "adam",
        0,
    )
    assert config["data"]["in_shape"] == [1, 8, 8] and config["data"]["num_classes"] == 10
    assert "mini-batch gradient descent (batch size 32)" in stdout
    assert "epoch 1/1 | train loss" in stdout and "| lr 0.001 |" in stdout
    assert "test accuracy" in stdout
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr")
    assert len(rows) == 2
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((run / "results.json").read_text())
    assert 0.5 < results["test_accuracy"] <= 1 and results["test_samples"] == 355
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_evaluate_prints_metrics_and_saves_the_confusion_matrix(digits_run, capsys):
    run, _ = digits_run
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    results = json.loads((run / "results.json").read_text())
    assert f"accuracy {100 * results['test_accuracy']:.2f}%" in out
    assert "precision" in out and "recall" in out and "confusion matrix" in out
    lines = out.splitlines()
    start = lines.index("confusion matrix (rows: true class, columns: predicted class)") + 2
    matrix = np.array([line.split()[1:] for line in lines[start : start + 10]], dtype=int)
    assert matrix.shape == (10, 10) and matrix.sum() == 355
    assert np.trace(matrix) == round(results["test_accuracy"] * 355)
    assert (run / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_png_and_npy(digits_run, tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run, _ = digits_run
    test_set = gradiente.datasets.Digits(train=False)
    image, label = test_set.data[0].numpy(), int(test_set.targets[0])
    np.save(tmp_path / "digit.npy", image)
    big = np.kron(image, np.ones((4, 4), dtype=np.uint8))  # 32×32: predict resizes it
    plt.imsave(tmp_path / "digit.png", big, cmap="gray", vmin=0, vmax=255)
    assert (
        main(
            [
                "predict",
                str(run),
                str(tmp_path / "digit.npy"),
                str(tmp_path / "digit.png"),
                "--top-k",
                "2",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line in lines:
        guesses = line.split(": ", 1)[1].split("  ")
        assert len(guesses) == 2
        probabilities = [float(g.split("(")[1].rstrip("%)")) for g in guesses]
        assert probabilities[0] >= probabilities[1] and sum(probabilities) <= 100.01
    # the .npy sample is preprocessed exactly as in training: the model's own top class
    config = json.loads((run / "config.json").read_text())
    model = get_model("cnn", config["data"]["in_shape"], 10)
    model.load_state_dict(gradiente.load(checkpoint_path(run)))
    model.eval()
    x = gradiente.from_numpy(prepare_inputs(image[None].astype(np.float32), config["data"]))
    with gradiente.no_grad():
        expected = model(x[None]).argmax(1).item()
    assert lines[0].startswith(f"{tmp_path / 'digit.npy'}: {expected} (")
    assert label in range(10)


def test_train_on_a_toy_set(tmp_path, capsys):
    run = tmp_path / "moons"
    assert (
        main(["train", "--dataset", "moons", "--epochs", "1", "--out", str(run), "--no-progress"])
        == 0
    )
    out = capsys.readouterr().out
    assert "mlp (MLP" in out and "900 training / 100 validation / 500 test" in out
    directory = json.loads((run / "checkpoint.json").read_text())["directory"]
    assert {p.name for p in run.iterdir()} == RUN_FILES | {directory}


@pytest.mark.parametrize(
    "batch_size,regime",
    [
        ("1", "stochastic gradient descent (batch size 1)"),
        ("full", "batch gradient descent (full batch of 720 samples)"),
        ("50", "mini-batch gradient descent (batch size 50)"),
    ],
)
def test_batch_size_names_the_regime(tmp_path, capsys, batch_size, regime):
    args = [
        "train",
        "--dataset",
        "circles",
        "--model",
        "logistic",
        "--epochs",
        "1",
        "--batch-size",
        batch_size,
        "--val-split",
        "0.28",
        "--out",
        str(tmp_path / "r"),
        "--no-progress",
        "--optimizer",
        "sgd",
    ]
    assert main(args) == 0
    assert regime in capsys.readouterr().out


@pytest.mark.parametrize(
    "optimizer,schedule",
    [
        ("sgd", "step"),
        ("momentum", "cosine"),
        ("nesterov", "onecycle"),
        ("adagrad", "plateau"),
        ("rmsprop", "none"),
        ("adadelta", "step"),
        ("adam", "cosine"),
        ("adamw", "onecycle"),
        ("nadam", "plateau"),
    ],
)
def test_every_optimizer_and_schedule(tmp_path, capsys, optimizer, schedule):
    run = tmp_path / "r"
    args = "train --dataset circles --epochs 2 --weight-decay 1e-4 --no-progress".split()
    assert main([*args, "--optimizer", optimizer, "--schedule", schedule, "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["optimizer"], config["schedule"]) == (optimizer, schedule)
    rows = (run / "history.csv").read_text().split()[1:]
    assert len(rows) == 2 and f"{optimizer} (lr " in capsys.readouterr().out


def test_resume_two_plus_two_equals_four(tmp_path, capsys):
    common = [
        "--dataset",
        "spirals",
        "--schedule",
        "plateau",
        "--optimizer",
        "nadam",
        "--batch-size",
        "64",
        "--no-progress",
    ]
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "a")]) == 0
    assert main(["train", "--resume", str(tmp_path / "a"), "--epochs", "4", "--no-progress"]) == 0
    assert main(["train", *common, "--epochs", "4", "--out", str(tmp_path / "b")]) == 0
    assert f"run folder: {tmp_path / 'a'} (resuming after epoch 2)" in capsys.readouterr().out
    _same_checkpoint(tmp_path / "a", tmp_path / "b")

    def without_seconds(run):
        return [row.rsplit(",", 1)[0] for row in (run / "history.csv").read_text().split()]

    assert without_seconds(tmp_path / "a") == without_seconds(tmp_path / "b")


def test_ctrl_c_saves_a_resumable_checkpoint(tmp_path):
    """SIGINT mid-run: exit 130 with one line, a complete checkpoint, and resuming gives the
    same weights as training straight through."""
    run = tmp_path / "run"
    common = ["--dataset", "moons", "--batch-size", "2", "--no-progress"]
    args = ["train", *common, "--epochs", "40", "--out", str(run)]
    process = subprocess.Popen(
        [sys.executable, "-m", "gradiente", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not (run / "history.csv").exists() and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted after ")
    assert lines[0].endswith(
        f": checkpoint saved in {run}; continue with: gradiente train --resume {run}"
    )
    assert "Traceback" not in err
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    state = json.loads(checkpoint_path(run, "trainer_state.json").read_text())
    done = state["epoch"] + 1  # finish the interrupted epoch
    assert main(["train", "--resume", str(run), "--epochs", str(done), "--no-progress"]) == 0
    straight = tmp_path / "straight"
    assert main(["train", *common, "--epochs", str(done), "--out", str(straight)]) == 0
    _same_checkpoint(run, straight)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "resnet"], "invalid choice: 'resnet' (choose from 'logistic', 'mlp', 'cnn'"),
        (["--dataset", "imagenet"], "invalid choice: 'imagenet' (choose from 'digits', 'mnist'"),
        (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs' (choose from 'sgd', 'momentum'"),
        (["--schedule", "warm"], "invalid choice: 'warm'"),
        (["--batch-size", "half"], "expected a positive integer or 'full'"),
        (["--val-split", "1.5"], "expected a fraction in [0, 1)"),
    ],
)
def test_bad_arguments_exit_2_with_the_choices(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_model_dataset_mismatch_is_a_clear_error(tmp_path, capsys):
    run = tmp_path / "vgg"
    assert main(["train", "--model", "vgg-small", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "model 'vgg-small' does not fit inputs of shape (1, 8, 8)" in err
    assert "Models that fit digits: logistic, mlp, cnn, vit." in err
    assert not run.exists()


def test_missing_dataset_says_where_it_looked_and_how_to_download(tmp_path, capsys):
    run, data = tmp_path / "run", tmp_path / "empty"
    assert (
        main(["train", "--dataset", "fashion-mnist", "--data-dir", str(data), "--out", str(run)])
        == 1
    )
    err = capsys.readouterr().err
    assert str(data / "FashionMNIST" / "raw") in err and "--download" in err
    assert not run.exists()


def test_resume_refuses_new_settings(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(["train", "--dataset", "moons", "--epochs", "1", "--out", str(run), "--no-progress"])
        == 0
    )
    assert main(["train", "--resume", str(run), "--lr", "0.5"]) == 2
    assert main(["train", "--dataset", "moons", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "--lr: a resumed run keeps the settings of its config.json" in err
    assert "already holds a run" in err


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="../shared/data/mnist is not here")
def test_real_mnist_test_split_is_split_with_a_notice(tmp_path, capsys):
    run = tmp_path / "mnist"
    assert (
        main(
            [
                "train",
                "--model",
                "logistic",
                "--dataset",
                "mnist",
                "--data-dir",
                str(MNIST_DIR),
                "--epochs",
                "1",
                "--batch-size",
                "200",
                "--out",
                str(run),
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "note: MNIST: only the test split" in out
    assert "7,200 training / 800 validation / 2,000 test samples of shape 1x28x28" in out


PYTORCH_SCRIPT = """
    import argparse

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.optim.lr_scheduler import StepLR
    from torch.utils.data import DataLoader, TensorDataset


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1)
            self.conv2 = nn.Conv2d(8, 16, 3, 1)
            self.fc1 = nn.Linear(16 * 2 * 2, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int, default=1)
        parser.add_argument("--save", required=True)
        args = parser.parse_args()
        torch.manual_seed(1)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.rand(300, 1, 8, 8)
        y = (x.mean(dim=(1, 2, 3)) * 40).long() % 10
        train_loader = DataLoader(TensorDataset(x[:200], y[:200]), batch_size=32, shuffle=True)
        test_loader = DataLoader(TensorDataset(x[200:], y[200:]), batch_size=50)
        model = Net().to(device)
        optimizer = optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
        for epoch in range(1, args.epochs + 1):
            model.train()
            for data, target in train_loader:
                data, target = data.to(device), target.to(device)
                optimizer.zero_grad()
                loss = F.nll_loss(model(data), target)
                loss.backward()
                optimizer.step()
            scheduler.step()
            model.eval()
            test_loss, correct = 0.0, 0
            with torch.no_grad():
                for data, target in test_loader:
                    output = model(data)
                    test_loss += F.nll_loss(output, target, reduction="sum").item()
                    pred = output.argmax(dim=1, keepdim=True)
                    correct += pred.eq(target.view_as(pred)).sum().item()
            test_loss /= len(test_loader.dataset)
            print(f"epoch {epoch}: loss {test_loss:.3f}, accuracy {correct}/100")
        torch.save(model.state_dict(), args.save)


    if __name__ == "__main__":
        main()
"""


def test_run_a_pytorch_script_unchanged(tmp_path):
    script = tmp_path / "mnist_example.py"
    script.write_text(textwrap.dedent(PYTORCH_SCRIPT))
    result = _gradiente("run", script, "--epochs", "2", "--save", tmp_path / "net.pt")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2"]
    weights = gradiente.load(tmp_path / "net.pt")
    assert sorted(weights) == sorted(
        f"{layer}.{kind}"
        for layer in ("conv1", "conv2", "fc1", "fc2")
        for kind in ("weight", "bias")
    )
    try:
        import torch  # noqa: F401  (the same script under PyTorch prints the same numbers)
    except ImportError:
        return
    reference = subprocess.run(
        [sys.executable, str(script), "--epochs", "2", "--save", str(tmp_path / "torch.pt")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert reference.returncode == 0, reference.stderr
    assert lines == reference.stdout.splitlines()


def test_run_names_an_unsupported_api(tmp_path):
    script = tmp_path / "spectral.py"
    script.write_text("import torch\n\nx = torch.ones(8)\nprint(torch.fft.rfft(x))\n")
    result = _gradiente("run", script)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "gradiente run: torch.fft.rfft is not supported by gradiente: it computes with complex "
        "numbers and gradiente has no complex dtype (torch.fft's fftfreq, rfftfreq, fftshift "
        "and ifftshift are available) (spectral.py, line 4)"
    )


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for word in ("gradiente", "NumPy", "BLAS", "threads", "digits (bundled"):
        assert word in out


def test_console_command_is_declared():
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["gradiente"] == "gradiente_launch:main"  # which calls gradiente.cli:main
