"""nn.TransformerEncoder's nested-tensor fast path against PyTorch: zeros at padded positions
when its conditions hold, the ordinary result otherwise, and the construction-time warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((3, 5, 8))
LEFT_ALIGNED = np.array([[0, 0, 0, 1, 1], [0, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
# a fully padded row: PyTorch's fast paths disagree on it (NaN in TransformerEncoderLayer's
# fused kernel, zeros from the encoder's nested tensor), so it is only compared on the latter
FULLY_PADDED = np.array([[0, 0, 0, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
RAGGED = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 1], [0, 1, 0, 1, 1]], dtype=bool)


def _encoder(lib, norm=False, batch_first=True, **kw):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = lib.nn.TransformerEncoder(
            layer, 2, norm=lib.nn.LayerNorm(8) if norm else None, **kw
        )
    return encoder.double().eval()


def _run(lib, padding, grad=False, train=False, with_mask=False, **kw):
    encoder = _encoder(lib, **kw).train(train)
    x = lib.tensor(X if kw.get("batch_first", True) else X.transpose(1, 0, 2))
    mask = lib.zeros(5, 5, dtype=lib.float64) if with_mask else None
    with lib.set_grad_enabled(grad):
        out = encoder(x, mask=mask, src_key_padding_mask=lib.tensor(padding))
    return np.nan_to_num(out.detach().numpy(), nan=123.0)


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"norm": True},
        {"mask_check": False, "padding": RAGGED},
        {"padding": FULLY_PADDED},
        {"norm": True, "padding": FULLY_PADDED},
        {"padding": RAGGED},  # not left-aligned: the ordinary path
        {"grad": True},  # parameters require grad: the ordinary path
        {"train": True},
        {"with_mask": True},
        {"batch_first": False},
        {"enable_nested_tensor": False},
    ],
    ids=repr,
)
def test_encoder_output_matches_torch(case):
    case = dict(case)
    padding = case.pop("padding", LEFT_ALIGNED)
    want = _run(torch, padding, **case)
    got = _run(gradiente, padding, **case)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_padded_positions_are_zero_and_the_rest_is_the_ordinary_result():
    fast = _run(gradiente, FULLY_PADDED)
    slow = _run(gradiente, FULLY_PADDED, enable_nested_tensor=False)
    kept = ~FULLY_PADDED
    assert (fast[~kept] == 0.0).all()
    np.testing.assert_array_equal(fast[kept], slow[kept])
    assert (slow[1] != 0).all()  # the fully padded row has values the ordinary way


def _construction_warnings(lib) -> list:
    layers = [
        lambda: lib.nn.TransformerEncoderLayer(8, 2, batch_first=False),
        lambda: lib.nn.TransformerEncoderLayer(8, 2, batch_first=True, norm_first=True),
        lambda: lib.nn.TransformerEncoderLayer(8, 1, batch_first=True),
        lambda: lib.nn.TransformerEncoderLayer(8, 2, batch_first=True, activation=lib.tanh),
        lambda: lib.nn.TransformerEncoderLayer(8, 2, batch_first=True, bias=False),
        lambda: lib.nn.TransformerEncoderLayer(8, 2, batch_first=True),
    ]
    found = []
    for make in layers:
        for enable in (True, False):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                encoder = lib.nn.TransformerEncoder(make(), 1, enable_nested_tensor=enable)
            found.append(
                (
                    [(w.category, str(w.message), w.filename == __file__) for w in caught],
                    encoder.enable_nested_tensor,
                    encoder.use_nested_tensor,
                )
            )
    return found


def test_construction_warning_matches_torch():
    assert _construction_warnings(gradiente) == _construction_warnings(torch)
