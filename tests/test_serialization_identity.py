"""gradiente.save / load (default safetensors format) keep what torch.save / torch.load keep:
object identity, Parameters and requires_grad, memory shared between views, an OrderedDict's
attributes (``_metadata``) — each compared with torch on the same structure."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import collections
import io
import json

import numpy as np
import pytest
import safetensors.numpy

import gradiente
from gradiente import backend as B
from gradiente.serialization import CheckpointError

torch = pytest.importorskip("torch")


def _round_trip(lib, obj, **kwargs):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, **kwargs)


def _both(build):
    """``build(lib)`` saved and loaded by torch and by gradiente: (torch's, gradiente's)."""
    return _round_trip(torch, build(torch)), _round_trip(gradiente, build(gradiente))


def _version(path) -> int:
    header = json.loads(path.read_bytes()[8 : 8 + int.from_bytes(path.read_bytes()[:8], "little")])
    return json.loads(header["__metadata__"]["gradiente"])["version"]


# --- identity, Parameters, requires_grad -----------------------------------------------------


def test_the_hunters_example_matches_torch():
    def build(lib):
        w = lib.nn.Embedding(4, 2).weight
        t = lib.arange(10.0)
        return {"enc": w, "dec": w, "full": t, "view": t[2:5]}

    ours_torch, ours = _both(build)
    for d in (ours_torch, ours):
        assert type(d["enc"]).__name__ == "Parameter"
        assert d["enc"] is d["dec"] and d["enc"].requires_grad
        d["view"][0] = -1
        assert d["full"][2].item() == -1.0
        assert d["view"].storage_offset() == 2


def test_identity_anywhere_in_the_object():
    def build(lib):
        t = lib.arange(3.0)
        return [t, (t, {"x": t}), {"nested": [t]}]

    expected, got = _both(build)
    assert got[0] is got[1][0] is got[1][1]["x"] is got[2]["nested"][0]
    assert expected[0] is expected[1][1]["x"]
    got[2]["nested"][0][1] = 7.0
    np.testing.assert_array_equal(got[0].numpy(), [0.0, 7.0, 2.0])


@pytest.mark.parametrize("requires_grad", [True, False])
def test_parameters_load_as_parameters_with_their_requires_grad(requires_grad):
    def build(lib):
        p = lib.nn.Parameter(lib.ones(2, 3), requires_grad=requires_grad)
        return {"p": p, "plain": lib.ones(2)}

    expected, got = _both(build)
    assert isinstance(got["p"], gradiente.nn.Parameter)
    assert type(got["plain"]) is gradiente.Tensor
    assert got["p"].requires_grad == expected["p"].requires_grad == requires_grad
    assert got["p"].is_leaf and got["plain"].requires_grad is False


def test_requires_grad_of_plain_tensors_as_torch():
    def build(lib):
        leaf = lib.tensor([1.0, 2.0], requires_grad=True)
        return {"leaf": leaf, "computed": leaf * 2, "ints": lib.arange(3), "off": lib.ones(2)}

    expected, got = _both(build)
    for key in expected:
        assert got[key].requires_grad == expected[key].requires_grad, key
        assert got[key].is_leaf == expected[key].is_leaf, key
        assert type(got[key]).__name__ == type(expected[key]).__name__ == "Tensor"
        np.testing.assert_array_equal(got[key].detach().numpy(), expected[key].detach().numpy())


# --- views share memory ----------------------------------------------------------------------


def _views(lib):
    full = lib.arange(24.0)
    grid = full.view(4, 6)
    return {
        "full": full,
        "slice": full[2:5],
        "grid": grid,
        "transposed": grid.t(),
        "every_third": full[1::3],
        "block": grid[1:3, 2:5],
        "column": grid[:, 4],
        "expanded": full[5:6].expand(3, 2),
    }


def test_views_of_a_saved_base_match_torch():
    expected, got = _both(_views)
    for key, e in expected.items():
        g = got[key]
        assert g.shape == e.shape, key
        assert g.stride() == e.stride(), key
        assert g.storage_offset() == e.storage_offset(), key
        assert g.is_contiguous() == e.is_contiguous(), key
        np.testing.assert_array_equal(g.numpy(), e.numpy(), err_msg=key)


@pytest.mark.parametrize("written", ["full", "slice", "transposed", "block", "column"])
def test_writing_through_one_view_is_read_through_the_others(written):
    expected, got = _both(_views)
    for d in (expected, got):
        d[written].mul_(-1)
        d[written].add_(0.5)
    for key in expected:
        np.testing.assert_array_equal(got[key].numpy(), expected[key].numpy(), err_msg=key)


def test_views_share_one_stored_array():
    t = gradiente.arange(10.0)
    buf = io.BytesIO()
    gradiente.save({"full": t, "a": t[2:5], "b": t.view(2, 5).t()}, buf)
    arrays = safetensors.numpy.load(buf.getvalue())
    assert list(arrays) == ["full"]  # one storage, under the base's own key
    np.testing.assert_array_equal(arrays["full"], np.arange(10.0, dtype=np.float32))


def test_overlapping_views_without_their_base_share_memory():
    """torch stores the whole storage; gradiente the span the views cover: offsets then count
    from its first element, but they differ by as much as torch's."""

    def build(lib):
        t = lib.arange(10.0)
        return {"a": t[1:5], "b": t[3:7]}

    expected, got = _both(build)
    assert got["b"].storage_offset() - got["a"].storage_offset() == (
        expected["b"].storage_offset() - expected["a"].storage_offset()
    )
    for d in (expected, got):
        d["a"][3] = 100.0
    np.testing.assert_array_equal(got["b"].numpy(), expected["b"].numpy())


def test_a_lone_view_is_saved_compactly():
    t = gradiente.arange(1000.0)
    buf = io.BytesIO()
    gradiente.save({"v": t[10:13]}, buf)
    assert len(buf.getvalue()) < 1000  # not the 4000 bytes of its base, as torch would
    buf.seek(0)
    np.testing.assert_array_equal(gradiente.load(buf)["v"].numpy(), [10.0, 11.0, 12.0])


def test_in_place_ops_on_a_loaded_view_record_gradients_as_torch():
    def run(lib):
        t = lib.arange(6.0)
        d = _round_trip(lib, {"full": t, "v": t[1:4]})
        w = lib.tensor(2.0, requires_grad=True)
        d["v"].mul_(w)
        (d["v"] * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return w.grad.item(), d["full"].detach().numpy()

    (expected_grad, expected_full), (grad, full) = run(torch), run(gradiente)
    assert grad == expected_grad
    np.testing.assert_array_equal(full, expected_full)


def test_views_of_a_parameter_match_torch():
    def build(lib):
        p = lib.nn.Parameter(lib.arange(6.0).view(2, 3))
        return {"p": p, "row": p[1], "buffer": p.detach()[:, 1]}

    expected, got = _both(build)
    assert isinstance(got["p"], gradiente.nn.Parameter)
    for key in expected:
        assert got[key].requires_grad == expected[key].requires_grad, key
        assert got[key].is_leaf == expected[key].is_leaf, key
        assert got[key].stride() == expected[key].stride(), key
    # a view that requires grad loads as a leaf of its own: memory shared, offset 0 (torch: 3)
    assert got["row"].storage_offset() == 0 and expected["row"].storage_offset() == 3
    assert got["buffer"].storage_offset() == expected["buffer"].storage_offset() == 1
    for d in (expected, got):
        d["p"].data[0, 1] = 42.0
        d["p"].data[1, 2] = 43.0
        assert d["buffer"][0].item() == 42.0 and d["row"][2].item() == 43.0


# --- state dicts: _metadata and tied weights -------------------------------------------------


def _net(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))


def test_a_state_dicts_metadata_survives():
    expected = _round_trip(torch, _net(torch).state_dict())
    got = _round_trip(gradiente, _net(gradiente).state_dict())
    assert type(got) is type(expected) is collections.OrderedDict
    assert type(got._metadata) is collections.OrderedDict
    assert got._metadata == expected._metadata
    assert list(got) == list(expected)


def test_load_state_dict_hooks_see_the_saved_version():
    """``local_metadata`` (what ``_load_from_state_dict`` and its pre-hooks get) comes from the
    state dict's ``_metadata``: after a round trip it still holds each module's version."""
    seen = {}
    for lib in (torch, gradiente):
        model = lib.nn.Sequential(lib.nn.Linear(2, 2))
        model[0]._version = 3
        calls = seen[lib] = []
        model[0]._register_load_state_dict_pre_hook(
            lambda state, prefix, local_metadata, *rest, calls=calls: calls.append(
                local_metadata.get("version")
            )
        )
        model.load_state_dict(_round_trip(lib, model.state_dict()))
    assert seen[gradiente] == seen[torch] == [3]


def test_an_ordered_dict_with_other_attributes():
    od = collections.OrderedDict(a=gradiente.ones(1))
    od.note = {"step": 3, "tag": "x"}
    got = _round_trip(gradiente, {"od": od})["od"]
    assert got.note == {"step": 3, "tag": "x"} and list(got) == ["a"]


class _TiedLM:
    """A language model whose decoder shares the embedding matrix, in torch or gradiente."""

    @staticmethod
    def build(lib):
        class LM(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = lib.nn.Embedding(5, 3)
                self.hidden = lib.nn.Linear(3, 3)
                self.decoder = lib.nn.Linear(3, 5)
                self.decoder.weight = self.encoder.weight

        return LM()


def test_a_tied_state_dict_loads_tied_as_in_torch(tmp_path):
    results = {}
    for lib in (torch, gradiente):
        lib.manual_seed(0)
        model = _TiedLM.build(lib)
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save(model.state_dict(), path)
        state = lib.load(path)
        assert "decoder.weight" in state and "encoder.weight" in state
        # one storage under both names: writing through one is read through the other
        assert state["encoder.weight"].data_ptr() == state["decoder.weight"].data_ptr()
        state["encoder.weight"][0, 0] = 9.0
        assert state["decoder.weight"][0, 0].item() == 9.0
        fresh = _TiedLM.build(lib)
        fresh.load_state_dict(state)
        assert fresh.decoder.weight is fresh.encoder.weight
        assert len(list(fresh.parameters())) == 4  # the tied weight counts once
        results[lib] = {k: v.detach().numpy().copy() for k, v in fresh.state_dict().items()}
    for key, value in results[torch].items():
        np.testing.assert_array_equal(results[gradiente][key], value, err_msg=key)


def test_a_tied_state_dict_keeps_every_key_for_safetensors_readers(tmp_path):
    model = _TiedLM.build(gradiente)
    gradiente.save(model.state_dict(), tmp_path / "lm.safetensors")
    arrays = safetensors.numpy.load_file(str(tmp_path / "lm.safetensors"))
    assert sorted(arrays) == sorted(model.state_dict())
    np.testing.assert_array_equal(arrays["decoder.weight"], arrays["encoder.weight"])


def test_the_same_parameter_twice_in_a_state_dict_with_keep_vars():
    model = _TiedLM.build(gradiente)
    state = _round_trip(gradiente, model.state_dict(keep_vars=True))
    assert state["decoder.weight"] is state["encoder.weight"]
    assert isinstance(state["encoder.weight"], gradiente.nn.Parameter)


def test_a_whole_checkpoint_keeps_optimizer_and_model_tied(tmp_path):
    model = _TiedLM.build(gradiente)
    optimizer = gradiente.optim.SGD(model.parameters(), lr=0.1)
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2}
    gradiente.save(checkpoint, tmp_path / "ckpt.pt")
    loaded = gradiente.load(tmp_path / "ckpt.pt")
    assert loaded["epoch"] == 2
    assert loaded["optimizer"] == optimizer.state_dict()
    model_state = loaded["model"]
    assert model_state._metadata == checkpoint["model"]._metadata
    assert model_state["encoder.weight"].data_ptr() == model_state["decoder.weight"].data_ptr()


# --- map_location, formats, crafted files ----------------------------------------------------


def test_map_location_keeps_identity_parameters_and_metadata():
    B.set_stand_in_cuda(1)
    try:
        linear = gradiente.nn.Linear(2, 2)
        d = _round_trip(
            gradiente,
            {"a": linear.weight, "b": linear.weight, "sd": linear.state_dict()},
            map_location="cuda",
        )
        assert d["a"] is d["b"] and isinstance(d["a"], gradiente.nn.Parameter)
        assert d["a"].device.type == "cuda" and d["a"].requires_grad
        assert d["sd"]._metadata == linear.state_dict()._metadata
        assert d["sd"]["weight"].device.type == "cuda"
    finally:
        B.set_stand_in_cuda(0)


def test_plain_structures_stay_format_1_and_shared_ones_are_format_2(tmp_path):
    t = gradiente.arange(4.0)
    gradiente.save({"w": t, "n": 3}, tmp_path / "plain.pt")
    gradiente.save({"w": t, "v": t[1:]}, tmp_path / "shared.pt")
    assert _version(tmp_path / "plain.pt") == 1
    assert _version(tmp_path / "shared.pt") == 2


def _file(path, root, arrays, version=2):
    structure = json.dumps({"version": version, "root": root})
    path.write_bytes(safetensors.numpy.save(arrays, metadata={"gradiente": structure}))
    return path


def test_files_of_format_1_still_load(tmp_path):
    """What gradiente wrote before format 2 (one array per tensor, requires_grad flags)."""
    root = {
        "dict": [
            ["w", {"tensor": "w", "requires_grad": True}],
            ["w2", {"tensor": "w2"}],
            ["step", 3],
        ],
        "ordered": True,
    }
    arrays = {"w": np.ones(2, np.float32), "w2": np.ones(2, np.float32)}
    d = gradiente.load(_file(tmp_path / "old.pt", root, arrays, version=1))
    assert type(d) is collections.OrderedDict and d["step"] == 3
    assert d["w"].requires_grad and type(d["w"]) is gradiente.Tensor
    assert d["w"] is not d["w2"] and d["w"].data_ptr() != d["w2"].data_ptr()


def _view(**fields):
    return {"view": "s", "offset": 0, "shape": [2], "stride": [1], **fields}


@pytest.mark.parametrize(
    "root,fragment",
    [
        (_view(offset=9), "reaches element 10 of 's', which has 10"),
        (_view(shape=[4], stride=[3]), "reaches element 9"),  # ok: fits
        (_view(shape=[4], stride=[4]), "reaches element 12"),
        (_view(offset=-1), "offset -1"),
        (_view(stride=[-1]), "stride [-1]"),
        (_view(shape=[2, 2]), "shape [2, 2]"),
        (_view(view="missing"), "missing tensor 'missing'"),
        ({"ref": 0}, "reference to tensor 0"),
        ([{"tensor": "s", "id": 0}, {"tensor": "s", "id": 0}], "id 0 is not a new number"),
        ({"tensor": "s", "requires_grad": "yes"}, "requires_grad is 'yes'"),
        ({"tensor": "s", "parameter": 1}, "parameter is 1"),
        ({"dict": [], "attrs": {"dict": [["x", 1]]}}, "not an OrderedDict"),
        ({"dict": [], "ordered": True, "attrs": {"dict": [["__class__", 1]]}}, "'__class__'"),
        ({"dict": [], "ordered": True, "attrs": [1]}, "not a dict"),
    ],
)
def test_crafted_nodes_fail_with_one_clear_message(tmp_path, root, fragment):
    path = _file(tmp_path / "crafted.pt", root, {"s": np.arange(10, dtype=np.float32)})
    if fragment == "reaches element 9":  # the last element exactly: loads
        np.testing.assert_array_equal(gradiente.load(path).numpy(), [0.0, 3.0, 6.0, 9.0])
        return
    with pytest.raises(CheckpointError) as info:
        gradiente.load(path)
    message = str(info.value)
    assert message.startswith(str(path)) and fragment in message, message


def test_an_int_view_cannot_require_grad(tmp_path):
    root = _view(requires_grad=True)
    path = _file(tmp_path / "crafted.pt", root, {"s": np.arange(10, dtype=np.int64)})
    with pytest.raises(CheckpointError, match="cannot require gradients"):
        gradiente.load(path)
