"""``gradiente.load`` on crafted safetensors files: one clear error naming the file, never a
RecursionError, TypeError or KeyError, and no work beyond what the file's size allows."""

import json

import numpy as np
import pytest

import gradiente
from gradiente.serialization import CheckpointError


def _write(path, header, data=b"", length=None):
    """A safetensors-like file: 8-byte little-endian header length, the header, the data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(text) if length is None else length
    path.write_bytes(n.to_bytes(8, "little") + text + data)
    return path


def _load_fails(path, *fragments):
    with pytest.raises(CheckpointError) as info:
        gradiente.load(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    return message


def _entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def _structure(root, version=1):
    return {"__metadata__": {"gradiente": json.dumps({"version": version, "root": root})}}


@pytest.mark.parametrize("length", [2**40, 2**64 - 1, 100 * 1024 * 1024 + 1, 500])
def test_header_length_beyond_the_file_or_the_limit(tmp_path, length):
    path = _write(tmp_path / "big.safetensors", {"w": _entry()}, b"\0" * 8, length=length)
    _load_fails(path, f"header claims {length} bytes")


@pytest.mark.parametrize("where", ["header", "structure"])
def test_deep_nesting_is_refused_before_parsing(tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "header":
        text = ('{"w": ' + deep + "}").encode()
    else:
        meta = json.dumps({"gradiente": '{"version": 1, "root": ' + deep + "}"})
        text = ('{"__metadata__": ' + meta + "}").encode()
    path = _write(tmp_path / "deep.safetensors", text)
    _load_fails(path, "100001 levels deep")


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    key = '[[{"\\"' * 300  # a strange but valid tensor name
    gradiente.save({key: gradiente.ones(2)}, tmp_path / "ok.safetensors")
    loaded = gradiente.load(tmp_path / "ok.safetensors")
    np.testing.assert_array_equal(loaded[key].numpy(), [1.0, 1.0])


@pytest.mark.parametrize(
    "header,fragment",
    [
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"w": ', "not valid JSON"),
        ({"w": 5}, "is int, not an object"),
        ({"w": _entry(dtype="Q7")}, "dtype 'Q7'"),
        ({"w": _entry(dtype="C64", offsets=(0, 4))}, "dtype 'C64'"),  # complex: not read
        ({"w": _entry(dtype=["F32"])}, "dtype ['F32']"),
        ({"w": {"dtype": "F32", "data_offsets": [0, 8]}}, "shape None"),
        ({"w": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, "shape '2'"),
        ({"w": _entry(shape=(-2, -1))}, "shape [-2, -1]"),
        ({"w": _entry(shape=(2.0,))}, "shape [2.0]"),
        ({"w": _entry(shape=(True, 2))}, "shape [True, 2]"),
        ({"w": _entry(offsets=(0, 8000))}, "data_offsets [0, 8000]"),
        ({"w": _entry(offsets=(8, 0))}, "data_offsets [8, 0]"),
        ({"w": _entry(offsets=(-8, 0))}, "data_offsets [-8, 0]"),
        ({"w": _entry(offsets=("0", "8"))}, "data_offsets ['0', '8']"),
        ({"w": _entry(offsets=(0,))}, "data_offsets [0]"),
        ({"w": _entry(shape=(3,))}, "needs 12 bytes but its offsets hold 8"),
        ({"w": _entry(shape=(2**62, 2**62))}, "needs"),
        ({"w": _entry(), "v": _entry(shape=(1,), offsets=(0, 4))}, "overlaps"),
        ({"w": _entry(shape=(1,), offsets=(4, 8))}, "leaves a gap"),
        ({"w": _entry(shape=(1,), offsets=(0, 4))}, "the file has 8 bytes of data"),
        ({"__metadata__": {"a": 1}, "w": _entry()}, "__metadata__ is not a map"),
        ({"__metadata__": ["a"], "w": _entry()}, "__metadata__ is not a map"),
    ],
)
def test_damaged_header_fields(tmp_path, header, fragment):
    path = _write(tmp_path / "bad.safetensors", header, b"\0" * 8)
    _load_fails(path, fragment)


@pytest.mark.parametrize(
    "metadata,fragment",
    [
        ({"gradiente": "{not json"}, "structure is not valid JSON"),
        ({"gradiente": "[1]"}, "no root"),
        ({"gradiente": '{"version": "1", "root": 1}'}, "version '1'"),
        ({"gradiente": '{"version": 99, "root": 1}'}, "newer gradiente (format 99"),
    ],
)
def test_damaged_structure(tmp_path, metadata, fragment):
    path = _write(tmp_path / "bad.safetensors", {"__metadata__": metadata})
    _load_fails(path, fragment)


@pytest.mark.parametrize(
    "root,fragment",
    [
        ({"tensor": "missing"}, "missing tensor 'missing'"),
        ({"tensor": ["w"]}, "missing tensor ['w']"),
        ({"ndarray": {"a": 1}}, "missing tensor {'a': 1}"),
        ({"what": 1}, "unknown entry"),
        ({"dict": 5}, "'dict' holds int, not a list"),
        ({"dict": [[1]]}, "not a [key, value] pair"),
        ({"dict": [[[1, 2], 3]]}, "dict key of type list"),
        ({"tuple": "ab"}, "'tuple' holds str"),
        ({"float": "hello"}, "'hello' is not a non-finite float"),
        ({"float": 3}, "3 is not a non-finite float"),
        ({"tensor": "i", "requires_grad": True}, "int64 tensor cannot require gradients"),
    ],
)
def test_damaged_structure_nodes(tmp_path, root, fragment):
    header = _structure(root)
    header["i"] = _entry(dtype="I64", shape=(1,), offsets=(0, 8))
    path = _write(tmp_path / "bad.safetensors", header, b"\0" * 8)
    _load_fails(path, fragment)


def test_a_valid_crafted_file_loads(tmp_path):
    """The checks accept what the format allows: any order of entries, 0-size tensors,
    every dtype NumPy holds, trailing spaces in the header."""
    data = np.arange(3, dtype="<i2").tobytes() + np.array([1.5], dtype="<f8").tobytes()
    header = {
        "b": {"dtype": "F64", "shape": [1], "data_offsets": [6, 14]},
        "e": {"dtype": "U8", "shape": [0, 4], "data_offsets": [6, 6]},
        "a": {"dtype": "I16", "shape": [3], "data_offsets": [0, 6]},
    }
    path = _write(tmp_path / "ok.safetensors", json.dumps(header).encode() + b"   ", data)
    loaded = gradiente.load(path)
    assert list(loaded) == ["b", "e", "a"]
    np.testing.assert_array_equal(loaded["a"].numpy(), [0, 1, 2])
    assert loaded["a"].dtype == gradiente.int16 and loaded["b"].item() == 1.5
    assert loaded["e"].shape == (0, 4)
    loaded["a"][0] = 7  # writable, independent of the file's bytes


def test_save_refuses_what_load_would_refuse(tmp_path):
    deep = {"w": gradiente.ones(1)}
    for _ in range(60):
        deep = {"next": deep}
    with pytest.raises(ValueError, match="nests too deeply"):
        gradiente.save(deep, tmp_path / "deep.safetensors")
    assert not (tmp_path / "deep.safetensors").exists()
    shallow = {"next": {"next": {"w": gradiente.ones(1)}}}
    gradiente.save(shallow, tmp_path / "ok.safetensors")
    assert gradiente.load(tmp_path / "ok.safetensors")["next"]["next"]["w"].tolist() == [1.0]
