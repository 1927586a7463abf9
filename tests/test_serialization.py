"""gradiente.save / load: safetensors files, nested state, torch interop, atomic writes."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import collections
import io
import math
import pickle

import numpy as np
import pytest

import gradiente
from gradiente import serialization


def _t(*shape, dtype=np.float32, seed=0):
    return gradiente.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def _assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, gradiente.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def _optimizer_state():
    """Shaped like torch.optim.Adam(...).state_dict(): int keys, lists of ints, tuples, None."""
    return {
        "state": {
            0: {"step": gradiente.tensor(3.0), "exp_avg": _t(2, 3), "exp_avg_sq": _t(2, 3, seed=1)},
            1: {"step": gradiente.tensor(3.0), "exp_avg": _t(3), "exp_avg_sq": _t(3, seed=2)},
        },
        "param_groups": [
            {
                "lr": 0.001,
                "betas": (0.9, 0.999),
                "eps": 1e-08,
                "weight_decay": 0,
                "amsgrad": False,
                "foreach": None,
                "maximize": False,
                "params": [0, 1],
            }
        ],
    }


def test_round_trip_of_nested_state(tmp_path):
    obj = {
        "model": collections.OrderedDict([("fc.weight", _t(4, 3)), ("fc.bias", _t(4))]),
        "optimizer": _optimizer_state(),
        "epoch": 7,
        "best": float("inf"),
        "nan": float("nan"),
        "history": [0.5, 0.25, None],
        "name": "mlp",
        "mask": gradiente.tensor([True, False]),
        "counts": gradiente.tensor([1, 2], dtype=gradiente.int64),
        "halves": gradiente.ones(2, dtype=gradiente.float16),
        "bytes": gradiente.zeros(3, dtype=gradiente.uint8),
        "array": np.arange(4, dtype=np.int32),
        "empty": gradiente.zeros(0, 5),
        (1, "a"): "tuple key",
        2.5: [()],
    }
    path = tmp_path / "ckpt.safetensors"
    gradiente.save(obj, path)
    back = gradiente.load(path)
    _assert_same(obj, back)
    assert isinstance(back["model"], collections.OrderedDict)


def test_scalars_and_requires_grad(tmp_path):
    w = gradiente.ones(2, requires_grad=True)
    gradiente.save({"w": w, "plain": 3}, tmp_path / "a")
    back = gradiente.load(tmp_path / "a")
    assert back["w"].requires_grad and back["plain"] == 3
    gradiente.save(_t(2, 2), tmp_path / "b")
    _assert_same(gradiente.load(tmp_path / "b"), gradiente.load(tmp_path / "b"))
    gradiente.save([1, "x"], tmp_path / "c")
    assert gradiente.load(tmp_path / "c") == [1, "x"]


def test_file_objects():
    buffer = io.BytesIO()
    gradiente.save({"x": _t(3)}, buffer)
    buffer.seek(0)
    _assert_same(gradiente.load(buffer), {"x": _t(3)})


def test_other_objects_are_pickled_and_load_only_with_weights_only_false(tmp_path):
    path = tmp_path / "x"
    gradiente.save({"state": {0: {"fn": print}}, "w": _t(2)}, path)
    with pytest.raises(pickle.UnpicklingError, match="builtins.builtin_function_or_method"):
        gradiente.load(path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        gradiente.load(path, weights_only=True)
    loaded = gradiente.load(path, weights_only=False)
    assert loaded["state"][0]["fn"] is print
    _assert_same(loaded["w"], _t(2))


def test_whole_model_round_trip(tmp_path):
    nn = pytest.importorskip("gradiente.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    model.eval()
    optimizer = gradiente.optim.Adam(model.parameters(), lr=0.01)
    path = tmp_path / "model.pth"
    gradiente.save({"model": model, "epoch": 3}, path)
    loaded = gradiente.load(path, weights_only=False)
    assert loaded["epoch"] == 3 and type(loaded["model"]) is nn.Sequential
    assert not loaded["model"].training and repr(loaded["model"]) == repr(model)
    x = _t(5, 3)
    _assert_same(loaded["model"](x).detach(), model(x).detach())
    gradiente.save(optimizer, path)
    assert gradiente.load(path, weights_only=False).state_dict() == optimizer.state_dict()


def test_unpicklable_objects_and_keys_name_the_key_path(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['state'\]\[0\]\['fn'\]"):
        gradiente.save({"state": {0: {"fn": lambda: 1}}}, tmp_path / "x")
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\]"):
        gradiente.save({"a": [1, (x for x in ())]}, tmp_path / "x")
    with pytest.raises(TypeError, match="dict key"):
        gradiente.save({frozenset(): 1}, tmp_path / "x")
    assert not list(tmp_path.iterdir())


def test_flat_state_dict_opens_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    state = collections.OrderedDict(
        [("0.weight", _t(4, 3)), ("0.bias", _t(4)), ("2.weight", _t(2, 4))]
    )
    path = tmp_path / "model.safetensors"
    gradiente.save(state, path)
    loaded = st.load_file(str(path))
    assert set(loaded) == set(state)
    for k, v in state.items():
        assert torch.equal(loaded[k], torch.from_numpy(v.numpy()))
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False)
    )
    model.load_state_dict(loaded)


def test_torch_safetensors_file_loads_into_a_gradiente_model(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    nn = pytest.importorskip("gradiente.nn")
    Linear = getattr(nn, "Linear", None)
    if Linear is None:
        Linear = pytest.importorskip("gradiente.nn.layers.linear").Linear
    torch.manual_seed(0)
    ref = torch.nn.Linear(5, 3)
    path = tmp_path / "torch.safetensors"
    st.save_file(ref.state_dict(), str(path))
    state = gradiente.load(path)
    assert set(state) == {"weight", "bias"}
    ours = Linear(5, 3)
    ours.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_allclose(
        ours(gradiente.from_numpy(x)).detach().numpy(),
        ref(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-6,
    )


def test_crash_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    gradiente.save({"epoch": 1, "w": _t(100)}, path)
    before = path.read_bytes()

    def crash_halfway(f, data):
        f.write(data[: len(data) // 2])
        raise OSError("disk pulled out mid-write")

    monkeypatch.setattr(serialization, "_write_bytes", crash_halfway)
    with pytest.raises(OSError, match="mid-write"):
        gradiente.save({"epoch": 2, "w": _t(100, seed=5)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]  # no temp file left
    assert gradiente.load(path)["epoch"] == 1


@pytest.mark.parametrize(
    "content,hint",
    [
        (b"", "only 0 bytes"),
        (os.urandom(64), "not a gradiente/safetensors checkpoint"),
        (pickle.dumps({"w": [1, 2]}), "pickle"),
        (b"PK\x03\x04" + b"\x00" * 40, "torch.save"),
    ],
)
def test_foreign_files_raise_a_clear_error(tmp_path, content, hint):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=hint) as info:
        gradiente.load(path)
    assert str(path) in str(info.value)


def test_truncated_file_raises_naming_it(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    gradiente.save({"w": _t(1000)}, path)
    data = path.read_bytes()
    for cut in (4, 20, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="truncated") as info:
            gradiente.load(path)
        assert str(path) in str(info.value)


def test_map_location():
    buffer = io.BytesIO()
    gradiente.save({"x": 1}, buffer)
    buffer.seek(0)
    for location in ("cpu", gradiente.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s):
        buffer.seek(0)
        assert gradiente.load(buffer, map_location=location) == {"x": 1}
    for location in ("cuda:0", {"cpu": "cuda:1"}):  # no CUDA device here
        buffer.seek(0)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            gradiente.load(buffer, map_location=location)
