"""gradiente.load reads the files of the real torch.save (zip and legacy formats), safely."""

from __future__ import annotations

import collections
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import gradiente
from gradiente import backend as B
from gradiente import nn
from gradiente.serialization import CheckpointError, safe_globals

torch = pytest.importorskip("torch")

FORMATS = [True, False]  # _use_new_zipfile_serialization: zip (torch >= 1.6) and legacy


def _saved(obj, path, zip_format=True):
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    return path


def _same(g, t):
    """A gradiente tensor equal to a torch tensor: dtype, shape, strides and values."""
    assert str(g.dtype) == str(t.dtype)
    assert tuple(g.shape) == tuple(t.shape)
    assert g.stride() == t.stride()
    expected = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
    got = g.float().numpy() if t.dtype == torch.bfloat16 else g.numpy()
    np.testing.assert_array_equal(got, expected)


class Point:
    """A plain class, to be pickled into a checkpoint (refused unless allowlisted)."""

    def __init__(self, x, y):
        self.x, self.y = x, y


class Evil:
    """What a malicious checkpoint holds: unpickling it would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("zip_format", FORMATS)
def test_a_tensor(tmp_path, zip_format):
    t = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    g = gradiente.load(_saved(t, tmp_path / "x.pt", zip_format))
    assert type(g) is gradiente.Tensor and not g.requires_grad
    _same(g, t)


@pytest.mark.parametrize("zip_format", FORMATS)
@pytest.mark.parametrize(
    "dtype",
    [
        torch.float32,
        torch.float64,
        torch.float16,
        torch.bfloat16,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.uint8,
        torch.bool,
    ],
)
def test_each_dtype(tmp_path, dtype, zip_format):
    values = torch.tensor([[-3.5, 0.0, 1.25], [2.0, 7.75, -1.0]])
    t = (values > 0) if dtype == torch.bool else values.to(dtype)
    g = gradiente.load(_saved({"t": t, "scalar": t[1, 2]}, tmp_path / "x.pt", zip_format))
    _same(g["t"], t)
    _same(g["scalar"], t[1, 2])


def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 5),
    )


def _gradiente_model():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)
    )


@pytest.mark.parametrize("zip_format", FORMATS)
def test_a_real_models_state_dict_loads_into_the_same_gradiente_model(tmp_path, zip_format):
    model = _torch_model()
    x = torch.randn(2, 3, 8, 8)
    model(x)  # one training step's batch statistics: running_mean/var are not their defaults
    model.eval()
    state = gradiente.load(_saved(model.state_dict(), tmp_path / "model.pth", zip_format))
    assert isinstance(state, collections.OrderedDict)
    assert list(state) == list(model.state_dict())
    assert state["1.num_batches_tracked"].dtype == gradiente.int64
    ours = _gradiente_model()
    ours.load_state_dict(state)
    ours.eval()
    with torch.no_grad():
        expected = model(x).numpy()
    got = ours(gradiente.tensor(x.numpy())).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zip_format", FORMATS)
def test_nested_containers_and_plain_values(tmp_path, zip_format):
    t = torch.arange(4.0)
    obj = {
        "epoch": 3,
        "lr": 0.5,
        "name": "run",
        "done": True,
        "none": None,
        "bytes": b"\x00\xffab",
        "bytearray": bytearray(b"xy"),
        "ints": {1, 2},
        "pairs": [(t, 1), (t * 2, [2, {"deep": t[1:]}])],
        "size": torch.Size([2, 3]),
        "device": torch.device("cpu"),
        "dtype": torch.float16,
    }
    g = gradiente.load(_saved(obj, tmp_path / "x.pt", zip_format))
    plain = ("epoch", "lr", "name", "done", "none", "bytes", "bytearray", "ints")
    assert {k: g[k] for k in plain} == {
        "epoch": 3,
        "lr": 0.5,
        "name": "run",
        "done": True,
        "none": None,
        "bytes": b"\x00\xffab",
        "bytearray": bytearray(b"xy"),
        "ints": {1, 2},
    }
    assert isinstance(g["pairs"], list) and isinstance(g["pairs"][0], tuple)
    _same(g["pairs"][0][0], t)
    assert g["pairs"][0][1] == 1
    _same(g["pairs"][1][0], t * 2)
    _same(g["pairs"][1][1][1]["deep"], t[1:])
    assert g["size"] == gradiente.Size([2, 3]) and repr(g["size"]) == "torch.Size([2, 3])"
    assert g["device"] == gradiente.device("cpu")
    assert g["dtype"] is gradiente.float16


@pytest.mark.parametrize("zip_format", FORMATS)
def test_views_of_one_storage_share_memory(tmp_path, zip_format):
    x = torch.arange(12.0).reshape(3, 4)
    g = gradiente.load(_saved([x, x[:, 1], x.t(), x[1]], tmp_path / "x.pt", zip_format))
    for ours, theirs in zip(g, [x, x[:, 1], x.t(), x[1]]):
        _same(ours, theirs)
    g[0][1, 1] = 100.0  # one write, seen through every view, as in torch
    assert g[1].tolist() == [1.0, 100.0, 9.0]
    assert g[2][1, 1].item() == 100.0
    assert g[3].tolist() == [4.0, 100.0, 6.0, 7.0]


@pytest.mark.parametrize("zip_format", FORMATS)
def test_non_contiguous_tensors(tmp_path, zip_format):
    x = torch.arange(60.0).reshape(3, 4, 5)
    cases = {
        "transposed": x.transpose(0, 2),
        "stepped": x[::2, 1:, ::3],
        "expanded": torch.arange(3.0).reshape(3, 1).expand(3, 4),  # stride 0
        "offset": x[2, 3:],
        "empty": x[:, :0],
    }
    g = gradiente.load(_saved(cases, tmp_path / "x.pt", zip_format))
    for key, t in cases.items():
        _same(g[key], t)
    assert not g["transposed"].is_contiguous()


@pytest.mark.parametrize("zip_format", FORMATS)
def test_parameters_and_requires_grad(tmp_path, zip_format):
    p = torch.nn.Parameter(torch.ones(2, 3))
    frozen = torch.nn.Parameter(torch.zeros(2), requires_grad=False)
    leaf = torch.ones(3, requires_grad=True)
    g = gradiente.load(
        _saved({"p": p, "frozen": frozen, "leaf": leaf}, tmp_path / "x.pt", zip_format)
    )
    assert isinstance(g["p"], nn.Parameter) and g["p"].requires_grad
    assert isinstance(g["frozen"], nn.Parameter) and not g["frozen"].requires_grad
    assert type(g["leaf"]) is gradiente.Tensor and g["leaf"].requires_grad and g["leaf"].is_leaf
    _same(g["p"].detach(), p.detach())
    (g["p"] * 2).sum().backward()
    np.testing.assert_array_equal(g["p"].grad.numpy(), np.full((2, 3), 2.0, np.float32))


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(5)}, buffer)  # archive named "archive/", not the file's stem
    buffer.seek(0)
    _same(gradiente.load(buffer)["w"], torch.arange(5))
    with open(_saved(torch.ones(2), tmp_path / "x.pt"), "rb") as f:
        _same(gradiente.load(f), torch.ones(2))


def _on_cuda(path, tmp_path):
    """A copy of the checkpoint at ``path`` whose storages say they were saved on cuda:0."""
    out = tmp_path / "cuda.pt"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("data.pkl"):  # BINUNICODE 'cpu' → 'cuda:0'
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            target.writestr(info.filename, data)
    return out


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    yield
    B.set_stand_in_cuda(0)


def test_map_location_on_the_cpu(tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    path = _saved({"x": x, "row": x[1]}, tmp_path / "x.pt")
    seen = []

    def keep(storage, location):
        seen.append((location, storage.dtype, storage.size()))
        return storage

    for location in ("cpu", gradiente.device("cpu"), {"cuda:0": "cpu"}, keep):
        g = gradiente.load(path, map_location=location)
        _same(g["x"], x)
        assert g["x"].device == gradiente.device("cpu")
    assert seen == [("cpu", gradiente.float32, 6)]  # one storage for both tensors

    saved_on_gpu = _on_cuda(path, tmp_path)
    with pytest.raises(RuntimeError, match="saved on cuda:0") as info:
        gradiente.load(saved_on_gpu)
    assert str(saved_on_gpu) in str(info.value) and "map_location='cpu'" in str(info.value)
    for location in ("cpu", {"cuda:0": "cpu"}, lambda s, loc: s):
        _same(gradiente.load(saved_on_gpu, map_location=location)["x"], x)


def test_map_location_to_cuda(tmp_path, cuda):
    x = torch.arange(6.0).reshape(2, 3)
    path = _saved({"x": x, "row": x[1]}, tmp_path / "x.pt")
    for location in ("cuda", "cuda:0", {"cpu": "cuda:0"}, lambda s, loc: s.cuda()):
        g = gradiente.load(path, map_location=location)
        assert g["x"].device == gradiente.device("cuda", 0)
        assert g["row"].device == gradiente.device("cuda", 0)
        np.testing.assert_array_equal(g["x"].cpu().numpy(), x.numpy())
    assert gradiente.load(_on_cuda(path, tmp_path))["x"].device == gradiente.device("cuda", 0)
    state = torch.nn.Linear(2, 3).state_dict()
    legacy = _saved(state, tmp_path / "legacy.pt", zip_format=False)
    g = gradiente.load(legacy, map_location="cuda")
    assert isinstance(g, collections.OrderedDict) and g._metadata == state._metadata
    for key, value in state.items():
        assert g[key].device == gradiente.device("cuda", 0)
        np.testing.assert_array_equal(g[key].cpu().numpy(), value.numpy())


@pytest.mark.parametrize("zip_format", FORMATS)
def test_a_malicious_pickle_is_refused_and_nothing_runs(tmp_path, zip_format):
    marker = tmp_path / "pwned"
    path = _saved({"w": torch.ones(2), "evil": Evil(marker)}, tmp_path / "evil.pt", zip_format)
    with pytest.raises(pickle.UnpicklingError) as info:
        gradiente.load(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: Weights only load failed")
    assert f"GLOBAL {os.system.__module__}.system was not an allowed global" in message
    assert "weights_only=False" in message
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system|GLOBAL nt.system"):
        gradiente.load(path, weights_only=None)  # None means True, as in torch >= 2.6
    assert not marker.exists()


def test_a_global_torch_refuses_is_refused_here_too(tmp_path):
    path = _saved({"p": Point(1, 2)}, tmp_path / "point.pt")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        torch.load(path)  # the reference
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}.Point"):
        gradiente.load(path)
    with safe_globals([Point]):
        point = gradiente.load(path)["p"]
    assert (type(point), point.x, point.y) == (Point, 1, 2)
    trusted = gradiente.load(path, weights_only=False)["p"]  # the file is trusted: plain pickle
    assert (trusted.x, trusted.y) == (1, 2)


@pytest.mark.parametrize("zip_format", FORMATS)
def test_a_whole_pickled_torch_model_is_refused_clearly(tmp_path, zip_format):
    path = _saved(torch.nn.Sequential(torch.nn.Linear(2, 3)), tmp_path / "m.pt", zip_format)
    with pytest.raises(
        pickle.UnpicklingError, match="GLOBAL torch.nn.modules.container.Sequential"
    ):
        gradiente.load(path)
    with pytest.raises(CheckpointError, match=r"save its state_dict\(\) with torch.save") as info:
        gradiente.load(path, weights_only=False)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize("dtype", [torch.complex64, torch.uint16])
def test_dtypes_gradiente_lacks_are_named(tmp_path, dtype):
    path = _saved({"z": torch.zeros(2, dtype=dtype)}, tmp_path / "z.pt")
    with pytest.raises(CheckpointError, match=f"of type torch.{str(dtype)[6:]}, which gradiente"):
        gradiente.load(path)


def test_a_torchscript_archive_is_named(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        gradiente.load(path)


def test_a_crafted_pickle_cannot_call_what_is_not_allowed(tmp_path):
    """Only allow-listed objects may be called (REDUCE), even when no GLOBAL names them."""
    buffer = io.BytesIO()
    torch.save({"size": torch.Size([2])}, buffer)
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    # getattr is not a global a checkpoint may name
    getattr_call = b"\x80\x02cbuiltins\ngetattr\nX\x01\x00\x00\x00aX\x07\x00\x00\x00__len__\x86R."
    # an allowed class may not be asked for a huge allocation: bytearray(2**40)
    huge = b"\x80\x02c__builtin__\nbytearray\n\x8a\x06\x00\x00\x00\x00\x00\x01\x85R."
    path = tmp_path / "crafted.pt"
    for crafted, error, match in [
        (getattr_call, pickle.UnpicklingError, "GLOBAL builtins.getattr"),
        (huge, CheckpointError, r"bytearray\(\) of a int"),
    ]:
        with zipfile.ZipFile(path, "w") as out:
            for info in original.infolist():
                data = crafted if info.filename.endswith("data.pkl") else original.read(info)
                out.writestr(info.filename, data)
        with pytest.raises(error, match=match):
            gradiente.load(path)


@pytest.mark.parametrize("zip_format", FORMATS)
def test_truncated_or_corrupt_files_raise_one_clear_error(tmp_path, zip_format):
    path = _saved({"w": torch.arange(1000.0)}, tmp_path / "x.pt", zip_format)
    data = path.read_bytes()
    broken = tmp_path / "broken.pt"
    for cut in (len(data) // 3, len(data) // 2, len(data) - 10):
        broken.write_bytes(data[:cut])
        with pytest.raises(RuntimeError) as info:
            gradiente.load(broken)
        assert isinstance(info.value, CheckpointError)
        message = str(info.value)
        assert message.startswith(f"{broken}: ") and "\n" not in message
        assert "truncated" in message or "damaged" in message


def test_corrupt_storage_bytes_and_missing_records(tmp_path):
    path = _saved({"w": torch.arange(1000.0)}, tmp_path / "x.pt")
    data = bytearray(path.read_bytes())
    start = data.index(b"x/data/0") + 200  # inside the storage's bytes
    data[start] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged or truncated torch.save zip") as info:
        gradiente.load(path)
    assert str(path) in str(info.value)

    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("notes/readme.txt", "hello")
    with pytest.raises(CheckpointError, match="without data.pkl: not a file written by torch.save"):
        gradiente.load(other)


def test_gradiente_files_still_load(tmp_path):
    """The safetensors checkpoints gradiente writes are unaffected."""
    path = tmp_path / "ours.pt"
    gradiente.save({"w": gradiente.ones(2), "epoch": 1}, path)
    loaded = gradiente.load(path)
    assert loaded["epoch"] == 1 and loaded["w"].tolist() == [1.0, 1.0]


def test_torch_load_under_gradiente_run(tmp_path):
    model = _torch_model()
    model.eval()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        np.save(tmp_path / "expected.npy", model(x).numpy())
    script = tmp_path / "use_checkpoint.py"
    script.write_text(
        textwrap.dedent(
            """
            import numpy as np
            import torch
            from torch import nn

            model = nn.Sequential(
                nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                nn.Linear(4 * 6 * 6, 5),
            )
            model.load_state_dict(torch.load("model.pt", map_location="cpu"))
            model.eval()
            with torch.no_grad():
                y = model(torch.from_numpy(np.load("x.npy")))
            print(float(np.abs(y.numpy() - np.load("expected.npy")).max()))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip()) < 1e-5


# ---------------------------------------------------------------------------------------------
# gradiente.save(obj, f, format="torch"): files that the real torch.load reads
# ---------------------------------------------------------------------------------------------


def test_a_gradiente_state_dict_in_torch_format_loads_into_the_torch_model(tmp_path):
    gradiente.manual_seed(0)
    ours = _gradiente_model()
    ours(gradiente.randn(2, 3, 8, 8))  # batch statistics, so the buffers are not defaults
    ours.eval()
    path = tmp_path / "model.pt"
    gradiente.save(ours.state_dict(), path, format="torch")
    state = torch.load(path)  # weights_only=True: only torch's allowed globals in the file
    model = _torch_model()
    model.load_state_dict(state)
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    got = ours(gradiente.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert torch.load(path, mmap=True)["0.weight"].shape == (4, 3, 3, 3)  # records aligned


def test_torch_format_keeps_views_dtypes_parameters_and_plain_values(tmp_path):
    x = gradiente.arange(12.0).reshape(3, 4)
    obj = {
        "x": x,
        "column": x[:, 1],
        "transposed": x.t(),
        "flipped": gradiente.arange(4.0).flip(0),  # a negative stride: written as a copy
        "empty": gradiente.ones(0, 3),
        "param": nn.Parameter(gradiente.ones(2)),
        "leaf": gradiente.ones(3, requires_grad=True),
        "size": gradiente.Size([2, 3]),
        "device": gradiente.device("cpu"),
        "dtype": gradiente.bfloat16,
        "plain": [1, (2.5, "s", None, True), b"\x00\xff", {3: {4}}],
    }
    for dtype in (
        gradiente.float64,
        gradiente.float16,
        gradiente.bfloat16,
        gradiente.int8,
        gradiente.int16,
        gradiente.int32,
        gradiente.int64,
        gradiente.uint8,
    ):
        obj[str(dtype)] = gradiente.arange(-2, 4).reshape(2, 3).to(dtype)
    obj["bool"] = gradiente.tensor([True, False])
    buffer = io.BytesIO()
    gradiente.save(obj, buffer, format="torch")
    buffer.seek(0)
    t = torch.load(buffer)
    for key, value in obj.items():
        if isinstance(value, gradiente.Tensor):
            _same(value.detach(), t[key].detach())
    assert t["column"].untyped_storage().data_ptr() == t["x"].untyped_storage().data_ptr()
    assert t["transposed"].untyped_storage().data_ptr() == t["x"].untyped_storage().data_ptr()
    assert t["column"].storage_offset() == 1 and t["transposed"].stride() == (1, 4)
    assert type(t["param"]) is torch.nn.Parameter and t["param"].requires_grad
    assert t["leaf"].requires_grad and t["leaf"].is_leaf
    assert t["size"] == torch.Size([2, 3]) and type(t["size"]) is torch.Size
    assert t["device"] == torch.device("cpu") and t["dtype"] is torch.bfloat16
    assert t["plain"] == [1, (2.5, "s", None, True), b"\x00\xff", {3: {4}}]
    buffer.seek(0)
    back = gradiente.load(buffer)  # and gradiente reads its own torch-format files
    back["x"][0, 1] = 50.0
    assert back["column"][0].item() == 50.0


def test_torch_format_writes_cuda_tensors_as_host_copies(tmp_path, cuda):
    x = gradiente.arange(4.0).to("cuda")
    path = tmp_path / "x.pt"
    gradiente.save({"x": x}, path, format="torch")
    assert torch.load(path)["x"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format must be 'safetensors' or 'torch'"):
        gradiente.save({}, tmp_path / "x.pt", format="onnx")
