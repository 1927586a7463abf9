"""The ``gradiente`` command on bad input: one line on stderr naming the problem and the file, a
non-zero exit status, never a traceback (unless ``--debug`` or ``GRADIENTE_DEBUG=1``).

The cases are the files the command reads: a run's weights and config.json (``evaluate``,
``predict``), the inputs of ``predict``, dataset files, archives and downloads (``train``), and
the script of ``run``. Each runs the console entry point ``gradiente.cli.main`` in this process
on a copy of one tiny trained run, damaged here.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gzip
import hashlib
import io
import json
import pathlib
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile
import zlib

import numpy as np
import pytest

import gradiente
from conftest import LyingServer
from gradiente import datasets
from gradiente.cli import main
from gradiente.models import get_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One epoch of logistic regression on the bundled digits (about a second)."""
    run = tmp_path_factory.mktemp("cli-bad-input") / "run"
    args = ["train", "--model", "logistic", "--epochs", "1", "--out", str(run), "--no-progress"]
    assert main(args) == 0
    return run


@pytest.fixture
def run(trained, tmp_path, capsys):
    """A fresh copy of the trained run folder, to damage."""
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    capsys.readouterr()
    return copy


def _fails(capsys, args, *names, status=1):
    """Run ``gradiente ARGS``: exit ``status``, one line on stderr naming each of ``names``."""
    assert main([str(a) for a in args]) == status
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"gradiente {args[0]}: error: "), err
    for name in names:
        assert str(name) in lines[0], err
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Damaged checkpoint (evaluate, predict)
# ---------------------------------------------------------------------------------------------


def _weights(run) -> pathlib.Path:
    """The weights file that ``gradiente evaluate`` reads, wherever the layout puts it."""
    (path,) = [p for p in run.rglob("*.safetensors") if p.name == "model.safetensors"]
    return path


def _resign(run, weights):
    """Make the checkpoint's manifest (if any) agree with the damaged file: a crafted file, not
    one that a checksum alone would catch."""
    manifest = run / "checkpoint.json"
    if not manifest.exists():
        return
    data = json.loads(manifest.read_text())
    entry = data["files"][weights.name]
    content = weights.read_bytes()
    entry.update(bytes=len(content), sha256=hashlib.sha256(content).hexdigest())
    manifest.write_text(json.dumps(data))


def _raw(text: bytes, data: bytes = b"") -> bytes:
    """A safetensors-like file: 8-byte little-endian header length, the header, the data."""
    return len(text).to_bytes(8, "little") + text + data


def _header(header: dict, data: bytes = b"") -> bytes:
    return _raw(json.dumps(header).encode(), data)


def _other_model_weights() -> bytes:
    buffer = io.BytesIO()
    gradiente.save(get_model("mlp", (1, 8, 8), 10).state_dict(), buffer)
    return buffer.getvalue()


DAMAGED_WEIGHTS = {
    "truncated": lambda good: good[: len(good) // 2],
    "garbage": lambda good: bytes(range(256)) * 8,
    "empty": lambda good: b"",
    "huge-header-length": lambda good: (2**60).to_bytes(8, "little") + good[8:],
    "wrong-offsets": lambda good: _header(
        {"weight": {"dtype": "F32", "shape": [10, 64], "data_offsets": [0, 2560]}}, bytes(16)
    ),
    "wrong-dtype": lambda good: _header(
        {"weight": {"dtype": "COMPLEX", "shape": [4], "data_offsets": [0, 16]}}, bytes(16)
    ),
    "wrong-shape": lambda good: _header(
        {"weight": {"dtype": "F32", "shape": ["4"], "data_offsets": [0, 16]}}, bytes(16)
    ),
    "deep-nesting": lambda good: _raw(b"[" * 100_001 + b"]" * 100_001),
    "torch-zip": lambda good: b"PK\x03\x04" + bytes(60),
    "pickle": lambda good: pickle.dumps({"weight": [1.0]}),
    "other-model": lambda good: _other_model_weights(),
}


@pytest.mark.parametrize("damage", list(DAMAGED_WEIGHTS))
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_damaged_weights(run, tmp_path, capsys, damage, command):
    weights = _weights(run)
    weights.write_bytes(DAMAGED_WEIGHTS[damage](weights.read_bytes()))
    _resign(run, weights)
    digit = tmp_path / "digit.npy"
    np.save(digit, np.zeros((8, 8), np.uint8))
    args = [command, run] + ([digit] if command == "predict" else [])
    _fails(capsys, args, weights)


def test_weights_that_no_longer_match_the_manifest(run, capsys):
    weights = _weights(run)
    weights.write_bytes(weights.read_bytes()[:-4])
    _fails(capsys, ["evaluate", run], weights)


# ---------------------------------------------------------------------------------------------
# Damaged or foreign config.json
# ---------------------------------------------------------------------------------------------


def _edit(key_path, value):
    def edit(config):
        target = config
        for key in key_path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[key_path[-1]]
        else:
            target[key_path[-1]] = value
        return json.dumps(config).encode()

    return edit


DAMAGED_CONFIGS = {
    "not-json": (lambda c: b"{this is not json", "not valid JSON"),
    "binary": (lambda c: b"\xff\xfe\x00\x01", "not valid JSON"),
    "empty": (lambda c: b"", "not valid JSON"),
    "deep-nesting": (lambda c: b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    "list": (lambda c: b"[1, 2, 3]", "it holds a JSON list, not an object"),
    "string": (lambda c: b'"cnn"', "it holds a JSON str"),
    "missing-model": (_edit(["model"], KeyError), "'model' is missing"),
    "missing-data": (_edit(["data"], KeyError), "'data' is missing"),
    "missing-classes": (_edit(["data", "classes"], KeyError), "data: 'classes' is missing"),
    "unknown-model": (_edit(["model"], "resnet152"), "'model' is \"resnet152\", not one of"),
    "model-not-a-string": (_edit(["model"], ["cnn"]), "'model' is [\"cnn\"]"),
    "unknown-dataset": (_edit(["dataset"], "imagenet"), "'dataset' is \"imagenet\""),
    "seed-a-string": (_edit(["seed"], "0"), "'seed' is \"0\", not an integer"),
    "batch-size-negative": (_edit(["batch_size"], -5), "'batch_size' is -5"),
    "data-a-list": (_edit(["data"], [1, 8, 8]), "'data' is [1, 8, 8], not an object"),
    "in-shape-a-string": (_edit(["data", "in_shape"], "1x8x8"), "'in_shape' is \"1x8x8\""),
    "in-shape-huge": (_edit(["data", "in_shape"], [1, 10**6, 10**6]), "'in_shape' is"),
    "num-classes-zero": (_edit(["data", "num_classes"], 0), "'num_classes' is 0"),
    "classes-mismatch": (_edit(["data", "num_classes"], 7), "10 class names for 7 classes"),
    "std-zero": (_edit(["data", "std"], [0.0]), "'std' is [0.0]"),
    "mean-channels": (_edit(["data", "mean"], [0.1, 0.2]), "do not describe the same image"),
}


@pytest.mark.parametrize("damage", list(DAMAGED_CONFIGS))
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_damaged_config(run, tmp_path, capsys, damage, command):
    path = run / "config.json"
    make, fragment = DAMAGED_CONFIGS[damage]
    path.write_bytes(make(json.loads(path.read_text())))
    digit = tmp_path / "digit.npy"
    np.save(digit, np.zeros((8, 8), np.uint8))
    args = [command, run] + ([digit] if command == "predict" else [])
    line = _fails(capsys, args, path)
    assert fragment in line


def test_resume_with_a_damaged_config(run, capsys):
    (run / "config.json").write_text("[]")
    _fails(capsys, ["train", "--resume", run], run / "config.json")


def test_not_a_run_folder(tmp_path, capsys):
    _fails(capsys, ["evaluate", tmp_path], tmp_path, "not a run folder", status=2)


# ---------------------------------------------------------------------------------------------
# predict: damaged or foreign inputs
# ---------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png(width: int, height: int) -> bytes:
    """A 70-byte PNG claiming ``width`` x ``height`` grey pixels (its data: a few zeros)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(bytes(16))
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _real_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _npy_claiming(shape) -> bytes:
    """A .npy header announcing ``shape`` float64 values, followed by 16 bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + bytes(16)


BAD_INPUTS = {
    "text.png": (b"this is not an image", "cannot identify image file"),
    "truncated.png": (_real_png()[:80], "truncated"),
    "bomb.png": (_png(100_000, 100_000), "decompression bomb"),
    "half-bomb.png": (_png(10_000, 10_000), "decompression bomb"),
    "garbage.jpg": (b"\xff\xd8\xff\xe0" + bytes(40), "cannot"),
    "garbage.npy": (b"\x93NUMPY garbage", "not a readable .npy file"),
    "huge.npy": (_npy_claiming((100_000, 100_000)), "announces (100000, 100000)"),
    "objects.npy": (_npy(np.array([{"a": 1}], dtype=object)), "holds object values"),
    "wrong-shape.npy": (_npy(np.zeros((2, 3, 4, 5), np.uint8)), "is not an image"),
    "two-channels.npy": (_npy(np.zeros((2, 8, 8), np.uint8)), "is not an image"),
    "empty.npy": (_npy(np.zeros((0, 8), np.uint8)), "is not an image"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_predict_bad_input_file(run, tmp_path, capsys, name):
    content, fragment = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    line = _fails(capsys, ["predict", run, path], path)
    assert fragment in line


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_predict_input_that_is_not_a_file(run, tmp_path, capsys, kind):
    path = tmp_path / "input.png"
    if kind == "folder":
        path.mkdir()
    _fails(capsys, ["predict", run, path], path)


# ---------------------------------------------------------------------------------------------
# train: damaged or hostile dataset files, archives and downloads
# ---------------------------------------------------------------------------------------------


def _idx(array: np.ndarray, dims=None) -> bytes:
    dims = array.shape if dims is None else dims
    return bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()


def _mnist(root, damage=None):
    """Tiny MNIST files in ``root/MNIST/raw``; ``damage`` = (file name, bytes) replaces one."""
    raw = pathlib.Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = np.zeros((20, 28, 28), np.uint8), np.arange(20, dtype=np.uint8) % 10
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(_idx(images))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(_idx(labels))
    if damage is not None:
        (raw / damage[0]).write_bytes(damage[1])
    return raw


def _gzip_bomb() -> bytes:
    return gzip.compress(_idx(np.zeros((20, 28, 28), np.uint8)) + bytes(8 << 20), 1)


BAD_MNIST = {
    "wrong-magic": ("train-images-idx3-ubyte", b"\x89PNG\r\n\x1a\n" + bytes(100), "not an IDX"),
    "truncated": (
        "train-images-idx3-ubyte",
        _idx(np.zeros((20, 28, 28), np.uint8))[:1000],
        "but 984 bytes follow",
    ),
    "sizes-claim-more": (
        "t10k-images-idx3-ubyte",
        _idx(np.zeros((20, 28, 28), np.uint8), dims=(60_000, 28, 28)),
        "announces shape (60000, 28, 28)",
    ),
    "labels-do-not-match": (
        "train-labels-idx1-ubyte",
        _idx(np.zeros(19, np.uint8)),
        "holds 20 images but",
    ),
    "gzip-bomb": ("train-images-idx3-ubyte.gz", _gzip_bomb(), "more bytes follow"),
}


@pytest.mark.parametrize("damage", list(BAD_MNIST))
def test_train_on_damaged_mnist(tmp_path, capsys, damage):
    name, content, fragment = BAD_MNIST[damage]
    if name.endswith(".gz"):  # replaces the plain file of the same name
        raw = _mnist(tmp_path / "data", (name, content))
        (raw / name.removesuffix(".gz")).unlink()
    else:
        raw = _mnist(tmp_path / "data", (name, content))
    out = tmp_path / "out"
    args = ["train", "--dataset", "mnist", "--data-dir", tmp_path / "data", "--out", out]
    line = _fails(capsys, args, raw / name)
    assert fragment in line
    assert not out.exists()


def test_train_on_mnist_files_without_images(tmp_path, capsys):
    raw = _mnist(tmp_path / "data")
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(_idx(np.zeros((0, 28, 28), np.uint8)))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.zeros(0, np.uint8)))
    out = tmp_path / "out"
    args = ["train", "--dataset", "mnist", "--data-dir", tmp_path / "data", "--out", out]
    line = _fails(capsys, args, tmp_path / "data")
    assert "hold no images" in line and not out.exists()


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _cifar(root, damage=None):
    folder = pathlib.Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    entry = {b"labels": [0, 1], b"data": np.zeros((2, 3072), np.uint8)}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps(entry))
    if damage is not None:
        (folder / damage[0]).write_bytes(damage[1])
    return folder


BAD_CIFAR = {
    "wrong-keys": ("data_batch_2", pickle.dumps({"images": [1, 2]}), "not a CIFAR batch"),
    "wrong-types": (
        "data_batch_4",
        pickle.dumps({"labels": "ab", "data": np.zeros((2, 3072), np.uint8)}),
        "not ints",
    ),
    "wrong-shape": (
        "test_batch",
        pickle.dumps({"labels": [0, 1], "data": np.zeros((2, 1000), np.uint8)}),
        "1000 values per image",
    ),
    "imports-a-global": (
        "data_batch_1",
        pickle.dumps({"data": _Evil()}, protocol=2),
        "refusing to load",
    ),
    "not-a-pickle": ("data_batch_5", b"\x00garbage", "cannot read this CIFAR batch"),
    "meta": ("batches.meta", pickle.dumps({"label_names": 3}), "a list of 10 class names"),
}


@pytest.mark.parametrize("damage", list(BAD_CIFAR))
def test_train_on_crafted_cifar(tmp_path, capsys, damage):
    name, content, fragment = BAD_CIFAR[damage]
    folder = _cifar(tmp_path / "data", (name, content))
    out = tmp_path / "out"
    args = ["train", "--dataset", "cifar10", "--data-dir", tmp_path / "data", "--out", out]
    line = _fails(capsys, args, folder / name)
    assert fragment in line and "pwned" not in line
    assert not out.exists()


def _tar_gz(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, kind, target in members:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "file":
                data = pickle.dumps({"labels": [0], "data": np.zeros((1, 3072), np.uint8)})
                info.size = len(data)
            else:
                info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


MALICIOUS_ARCHIVES = {
    "dot-dot": [("cifar-10-batches-py/data_batch_1", "file", ""), ("../escaped", "file", "")],
    "absolute": [("/tmp/gradiente-cli-escaped", "file", "")],
    "symlink-out": [
        ("cifar-10-batches-py/data_batch_1", "file", ""),
        ("cifar-10-batches-py/data_batch_2", "link", "/etc/passwd"),
    ],
}


@pytest.mark.parametrize("kind", list(MALICIOUS_ARCHIVES))
def test_train_download_of_a_malicious_archive(tmp_path, capsys, monkeypatch, kind):
    archive = _tar_gz(MALICIOUS_ARCHIVES[kind])
    server = LyingServer({"cifar.tar.gz": (archive, len(archive))})
    try:
        monkeypatch.setattr(datasets.CIFAR10, "url", server.url + "cifar.tar.gz")
        monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", hashlib.md5(archive).hexdigest())
        data, out = tmp_path / "data", tmp_path / "out"
        args = ["train", "--dataset", "cifar10", "--download", "--data-dir", data, "--out", out]
        line = _fails(capsys, args, data / "cifar-10-python.tar.gz")
    finally:
        server.stop()
    assert "refusing to extract" in line
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-python.tar.gz"]  # nothing else
    assert not (tmp_path / "escaped").exists() and not out.exists()
    assert not pathlib.Path("/tmp/gradiente-cli-escaped").exists()


def test_train_download_truncated_without_checksum(tmp_path, capsys, monkeypatch):
    body = gzip.compress(_idx(np.zeros((20, 28, 28), np.uint8)))
    files = {name: (body, len(body) + 500) for name in ("a.gz", "b.gz", "c.gz", "d.gz")}
    server = LyingServer(files)
    try:
        monkeypatch.setattr(datasets.MNIST, "mirrors", [server.url])
        monkeypatch.setattr(datasets.MNIST, "resources", [(name, None) for name in files])
        data, out = tmp_path / "data", tmp_path / "out"
        args = ["train", "--dataset", "mnist", "--download", "--data-dir", data, "--out", out]
        line = _fails(capsys, args, server.url + "a.gz")
    finally:
        server.stop()
    assert f"announced {len(body) + 500} bytes but sent {len(body)}" in line
    assert [p for p in data.rglob("*") if p.is_file()] == []  # no partial file left
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# run, and --debug / GRADIENTE_DEBUG
# ---------------------------------------------------------------------------------------------


def test_run_a_script_that_does_not_exist(tmp_path, capsys):
    script = tmp_path / "missing.py"
    _fails(capsys, ["run", script], script, "no such script", status=2)


def test_run_shows_the_scripts_own_traceback(tmp_path):
    """A script's own error shows its traceback, as ``python script.py`` would (a subprocess:
    ``import torch`` must resolve to gradiente in a fresh interpreter)."""
    script = tmp_path / "fails.py"
    script.write_text("import torch\n\ndef f():\n    raise ValueError('from the script')\n\nf()\n")
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ValueError: from the script" in result.stderr
    assert f'File "{script}", line 6' in result.stderr and "runpy" not in result.stderr


@pytest.mark.parametrize(
    "debug", [["--debug", "evaluate"], ["evaluate", "--debug"], "GRADIENTE_DEBUG"]
)
def test_debug_raises_with_the_traceback(run, monkeypatch, debug):
    (run / "config.json").write_text("[]")
    if debug == "GRADIENTE_DEBUG":
        monkeypatch.setenv("GRADIENTE_DEBUG", "1")
        debug = ["evaluate"]
    with pytest.raises(Exception, match="config.json: it holds a JSON list"):
        main([*debug, str(run)])


def test_console_command_one_line_and_debug_traceback(run):
    """The real command (a subprocess): one line and exit 1, or the traceback with --debug."""
    weights = _weights(run)
    weights.write_bytes(b"garbage")
    _resign(run, weights)
    env = {k: v for k, v in os.environ.items() if k != "GRADIENTE_DEBUG"}
    command = [sys.executable, "-m", "gradiente"]
    plain = subprocess.run(
        [*command, "evaluate", str(run)], capture_output=True, text=True, env=env
    )
    assert plain.returncode == 1 and len(plain.stderr.splitlines()) == 1, plain.stderr
    assert str(weights) in plain.stderr and "Traceback" not in plain.stderr
    debug = subprocess.run(
        [*command, "evaluate", str(run)],
        capture_output=True,
        text=True,
        env={**env, "GRADIENTE_DEBUG": "1"},
    )
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "CheckpointError" in debug.stderr
