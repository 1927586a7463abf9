"""``nn.EmbeddingBag`` and ``F.embedding_bag`` against torch: every mode, offsets (with and
without the last one), 2-D input, per-sample weights, padding_idx, max_norm,
scale_grad_by_freq; values, gradients of the table and of the weights, errors, init, repr."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, gradcheck_random_upstream

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12
INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7, 3])
# bags [0:4], [4:4] (empty), [4:9], [9:12]
OFFSETS = np.array([0, 4, 4, 9])


def _run(lib, fn, weight, psw, *args, **kwargs):
    """``fn`` on leaf copies of ``weight`` (and ``psw``), back-propagated with a random
    upstream gradient: (output, weight.grad, psw.grad)."""
    w = lib.from_numpy(weight.copy()).requires_grad_()
    p = lib.from_numpy(psw.copy()).requires_grad_() if psw is not None else None
    out = fn(lib, w, p, *args, **kwargs)
    u = np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(weight.dtype)
    (out * lib.from_numpy(u)).sum().backward()
    return out, w.grad, (p.grad if p is not None else None)


def _compare(fn, weight, psw, *args, rtol=RTOL, atol=ATOL, **kwargs):
    g = _run(gradiente, fn, weight, psw, *args, **kwargs)
    t = _run(torch, fn, weight, psw, *args, **kwargs)
    assert_same(g[0], t[0], rtol, atol, "output")
    assert_same(g[1], t[1], rtol, atol, "weight grad")
    if psw is not None:
        assert_same(g[2], t[2], rtol, atol, "per_sample_weights grad")


def _functional(lib, w, p, indices, offsets, **kwargs):
    f = F if lib is gradiente else TF
    offsets = lib.from_numpy(offsets) if offsets is not None else None
    return f.embedding_bag(lib.from_numpy(indices), w, offsets, per_sample_weights=p, **kwargs)


def _table(seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal((10, 3)).astype(dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4, -10])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_offsets(mode, padding_idx, include_last_offset):
    offsets = np.append(OFFSETS, INDICES.size) if include_last_offset else OFFSETS
    _compare(
        _functional,
        _table(),
        None,
        INDICES,
        offsets,
        mode=mode,
        padding_idx=padding_idx,
        include_last_offset=include_last_offset,
    )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_2d_input(mode, padding_idx):
    _compare(
        _functional,
        _table(1),
        None,
        INDICES.reshape(3, 4),
        None,
        mode=mode,
        padding_idx=padding_idx,
    )


@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize("two_d", [False, True])
def test_per_sample_weights(padding_idx, two_d):
    indices = INDICES.reshape(4, 3) if two_d else INDICES
    psw = np.random.default_rng(3).standard_normal(indices.shape)
    offsets = None if two_d else OFFSETS
    _compare(_functional, _table(2), psw, indices, offsets, mode="sum", padding_idx=padding_idx)


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_scale_grad_by_freq(mode, padding_idx):
    """Each row's gradient divided by how often it is looked up, as documented and as torch's
    ``embedding`` does (torch 2.13's CPU ``embedding_bag`` divides by the count of another
    row, a bug in ``_embedding_bag_dense_backward_cpu_sum_mean``: there the reference is the
    lookup followed by the per-bag reduction)."""

    def reference(lib, w, p, indices, offsets, mode, padding_idx):
        rows = TF.embedding(lib.from_numpy(indices), w, scale_grad_by_freq=True)
        keep = torch.from_numpy(indices != padding_idx).unsqueeze(1).double()
        bounds = list(offsets) + [indices.size]
        bags = []
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            total = (rows[start:stop] * keep[start:stop]).sum(0)
            count = keep[start:stop].sum()
            bags.append(total / count.clamp(min=1) if mode == "mean" else total)
        return torch.stack(bags)

    kwargs = dict(mode=mode, padding_idx=padding_idx)
    weight = _table(3)
    g = _run(
        gradiente, _functional, weight, None, INDICES, OFFSETS, scale_grad_by_freq=True, **kwargs
    )
    t = _run(torch, reference, weight, None, INDICES, OFFSETS, **kwargs)
    assert_same(g[0], t[0], RTOL, ATOL, "output")
    assert_same(g[1], t[1], RTOL, ATOL, "weight grad")


def test_scale_grad_by_freq_refused_in_max_mode():
    _same_error(
        lambda: F.embedding_bag(
            gradiente.from_numpy(INDICES),
            gradiente.ones(10, 3),
            gradiente.from_numpy(OFFSETS),
            mode="max",
            scale_grad_by_freq=True,
        ),
        lambda: TF.embedding_bag(
            torch.from_numpy(INDICES),
            torch.ones(10, 3),
            torch.from_numpy(OFFSETS),
            mode="max",
            scale_grad_by_freq=True,
        ),
    )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_float32(mode):
    _compare(
        _functional,
        _table(4, np.float32),
        None,
        INDICES,
        OFFSETS,
        mode=mode,
        rtol=1e-6,
        atol=1e-6,
    )


def test_max_norm_renormalises_the_table_in_place():
    weight = _table(5) * 3
    results = []
    for lib in (gradiente, torch):
        w = lib.from_numpy(weight.copy())
        f = F if lib is gradiente else TF
        out = f.embedding_bag(lib.from_numpy(INDICES), w, lib.from_numpy(OFFSETS), max_norm=1.5)
        results.append((out, w))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1], what="renormalised table")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_gradcheck(mode):
    w = gradiente.from_numpy(_table(6)).requires_grad_()
    psw = gradiente.from_numpy(np.random.default_rng(7).standard_normal(INDICES.size))
    inputs = (w, psw.requires_grad_()) if mode == "sum" else (w,)
    indices, offsets = gradiente.from_numpy(INDICES), gradiente.from_numpy(OFFSETS)

    def bag(w, psw=None):
        return F.embedding_bag(
            indices, w, offsets, mode=mode, per_sample_weights=psw, padding_idx=3
        )

    gradcheck_random_upstream(bag, inputs)


# ------------------------------------------------------------------------------- the layer


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "sum", "padding_idx": 2},
        {"mode": "max", "include_last_offset": True},
        {"mode": "sum", "max_norm": 1.0, "norm_type": 3},
    ],
)
def test_layer_matches_torch(kwargs):
    offsets = OFFSETS
    if kwargs.get("include_last_offset"):
        offsets = np.append(OFFSETS, INDICES.size)
    psw = np.random.default_rng(8).standard_normal(INDICES.size)
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        bag = lib.nn.EmbeddingBag(10, 3, **kwargs).double()
        p = lib.from_numpy(psw.copy()) if kwargs.get("mode") == "sum" else None
        out = bag(lib.from_numpy(INDICES), lib.from_numpy(offsets), per_sample_weights=p)
        u = np.random.default_rng(9).standard_normal(tuple(out.shape))
        (out * lib.from_numpy(u)).sum().backward()
        results.append((bag, out))
    (g_bag, g_out), (t_bag, t_out) = results
    assert repr(g_bag) == repr(t_bag)
    assert_same(g_out, t_out)
    assert_same(g_bag.weight, t_bag.weight, what="weight (same seed, same init)")
    assert_same(g_bag.weight.grad, t_bag.weight.grad, what="weight grad")


def test_layer_attributes_and_from_pretrained():
    g, t = gradiente.nn.EmbeddingBag(10, 3), torch.nn.EmbeddingBag(10, 3)
    for name in ("mode", "include_last_offset", "padding_idx", "sparse", "max_norm"):
        assert getattr(g, name) == getattr(t, name), name
    assert gradiente.nn.EmbeddingBag(10, 3, padding_idx=-1).padding_idx == 9
    table = np.arange(12.0).reshape(4, 3)
    for freeze in (True, False):
        g = gradiente.nn.EmbeddingBag.from_pretrained(
            gradiente.from_numpy(table), freeze=freeze, mode="sum"
        )
        t = torch.nn.EmbeddingBag.from_pretrained(
            torch.from_numpy(table), freeze=freeze, mode="sum"
        )
        assert g.weight.requires_grad == t.weight.requires_grad
        assert repr(g) == repr(t)
        idx = np.array([[0, 3], [1, 1]])
        assert_same(g(gradiente.from_numpy(idx)), t(torch.from_numpy(idx)))


def _same_error(g_call, t_call, same_message=True):
    """The same exception type, and the same message (its first line: torch appends a
    printout of a tensor to some) unless ``same_message`` is False."""
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(type(t_err.value)) as g_err:
        g_call()
    if same_message:
        g_message = str(g_err.value).replace("gradiente.tensor", "torch").splitlines()[0]
        assert g_message == str(t_err.value).splitlines()[0]


@pytest.mark.parametrize(
    "indices, offsets, kwargs",
    [
        (INDICES, None, {}),
        (INDICES.reshape(3, 4), OFFSETS, {}),
        (INDICES, np.array([1, 4]), {}),
        (INDICES, np.array([0, 13]), {}),
        (INDICES, np.array([0, 4, 13]), {"include_last_offset": True}),
        (INDICES, OFFSETS, {"mode": "mean", "psw": True}),
        (INDICES, OFFSETS, {"mode": "sum", "psw": "short"}),
        (INDICES, OFFSETS, {"mode": "foo"}),
        (INDICES - 2, OFFSETS, {"same_message": False}),  # (torch names another index)
        (INDICES.astype(np.float32), OFFSETS, {}),
        (INDICES, OFFSETS.reshape(2, 2), {}),
        (INDICES.reshape(1, 3, 4), None, {}),
        (INDICES, OFFSETS, {"padding_idx": 20}),
        (INDICES, OFFSETS, {"mode": "sum", "psw": "float64"}),
    ],
)
def test_errors(indices, offsets, kwargs):
    kwargs = dict(kwargs)
    psw = kwargs.pop("psw", None)
    same_message = kwargs.pop("same_message", True)

    def call(lib):
        f = F if lib is gradiente else TF
        w = lib.from_numpy(_table(0, np.float32))
        p = None
        if psw is True:
            p = lib.ones(indices.shape)
        elif psw == "short":
            p = lib.ones(indices.size - 1)
        elif psw == "float64":
            p = lib.ones(indices.shape, dtype=lib.float64)
        o = lib.from_numpy(offsets) if offsets is not None else None
        return lambda: f.embedding_bag(
            lib.from_numpy(indices), w, o, per_sample_weights=p, **kwargs
        )

    _same_error(call(gradiente), call(torch), same_message)
    _same_error(
        lambda: gradiente.nn.EmbeddingBag(10, 3, padding_idx=10),
        lambda: torch.nn.EmbeddingBag(10, 3, padding_idx=10),
    )
