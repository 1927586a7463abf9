"""Hunt findings from sequence-model programs (RNN language models, packing, seq2seq,
attention, Transformers, CTC, EmbeddingBag), each checked against torch 2.13."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as GF
from gradiente import nn as gnn
from gradiente.nn.utils import rnn as grnn

torch = pytest.importorskip("torch")
tnn = torch.nn
trnn = torch.nn.utils.rnn


def _node(t) -> str:
    """The name of a tensor's graph node, as ``repr(t)`` shows it."""
    return repr(t.grad_fn).split()[0].lstrip("<")


def _torch_error(fn) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


def _assert_same_error(torch_fn, gradiente_fn):
    kind, message = _torch_error(torch_fn)
    with pytest.raises(kind) as info:
        gradiente_fn()
    assert str(info.value) == message


# ---------------------------------------------------------------------------------------------
# 1. pack/pad: torch's graph nodes (and layout) for the packed data and the padded results
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_padded_sequence_node_and_gradient(batch_first, enforce_sorted):
    x = np.random.RandomState(0).randn(3, 5, 2).astype(np.float32)  # (B, L, F)
    if not batch_first:
        x = x.transpose(1, 0, 2).copy()
    lengths = [4, 2, 1] if enforce_sorted else [2, 4, 1]
    results = []
    for lib, rnn in ((torch, trnn), (gradiente, grnn)):
        t = lib.tensor(x, requires_grad=True)
        packed = rnn.pack_padded_sequence(t, lengths, batch_first, enforce_sorted)
        (packed.data * lib.arange(packed.data.numel()).reshape(packed.data.shape)).sum().backward()
        results.append((_node(packed.data), packed.data.detach().numpy(), t.grad.numpy()))
    (t_node, t_data, t_grad), (g_node, g_data, g_grad) = results
    assert g_node == t_node == "PackPaddedSequenceBackward0"
    np.testing.assert_array_equal(g_data, t_data)
    np.testing.assert_array_equal(g_grad, t_grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("total_length", [None, 7])
def test_pad_packed_sequence_node_layout_and_gradient(batch_first, enforce_sorted, total_length):
    x = np.random.RandomState(1).randn(3, 5, 2).astype(np.float32)
    lengths = [5, 3, 1] if enforce_sorted else [3, 5, 1]
    results = []
    for lib, rnn in ((torch, trnn), (gradiente, grnn)):
        t = lib.tensor(x, requires_grad=True)
        packed = rnn.pack_padded_sequence(t, lengths, True, enforce_sorted)
        out, lens = rnn.pad_packed_sequence(packed, batch_first, -1.0, total_length)
        (out * lib.arange(out.numel()).reshape(out.shape)).sum().backward()
        info = (_node(out), out.is_contiguous(), lens.tolist())
        results.append((info, out.detach().numpy(), t.grad.numpy()))
    (t_info, t_out, t_grad), (g_info, g_out, g_grad) = results
    assert g_info == t_info
    np.testing.assert_array_equal(g_out, t_out)
    np.testing.assert_array_equal(g_grad, t_grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_copies_into_slices(batch_first, side):
    rng = np.random.RandomState(2)
    arrays = [rng.randn(n, 3).astype(np.float32) for n in (2, 4, 1)]
    results = []
    for lib, rnn in ((torch, trnn), (gradiente, grnn)):
        seqs = [lib.tensor(a, requires_grad=True) for a in arrays]
        seqs[1] = seqs[1].double()  # the result takes the first sequence's dtype
        out = rnn.pad_sequence(seqs, batch_first, 0.5, side)
        (out * lib.arange(out.numel()).reshape(out.shape)).sum().backward()
        grads = [s.grad.numpy() for s in seqs if s.grad is not None]
        results.append(((_node(out), str(out.dtype), out.is_contiguous()), out.detach(), grads))
    (t_info, t_out, t_grads), (g_info, g_out, g_grads) = results
    assert g_info == t_info
    np.testing.assert_array_equal(g_out.numpy(), t_out.numpy())
    for g, t in zip(g_grads, t_grads, strict=True):
        np.testing.assert_array_equal(g, t)


# ---------------------------------------------------------------------------------------------
# 2. recurrent layers: nodes of their outputs, torch's messages for bad states
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_output_nodes(mode, bidirectional):
    nodes = []
    for lib, rnn in ((torch, trnn), (gradiente, grnn)):
        lib.manual_seed(0)
        m = getattr(lib.nn, mode)(3, 4, batch_first=True, bidirectional=bidirectional)
        x = lib.randn(2, 5, 3)
        out = m(x)[0]
        packed = m(rnn.pack_padded_sequence(x, [5, 2], batch_first=True))[0]
        nodes.append((_node(out), _node(packed.data)))
    assert nodes[1] == nodes[0]


def _bad_states():
    """(layer, input shape, initial state) cases torch refuses."""
    return [
        ("LSTM", (5, 3, 6), lambda lib: (lib.randn(2, 3, 8), lib.randn(2, 3, 8))),  # h size
        ("LSTM", (5, 3, 6), lambda lib: (lib.randn(2, 3, 4), lib.randn(2, 3, 4))),  # c size
        ("LSTM", (5, 3, 6), lambda lib: lib.randn(2, 3, 4)),  # a tensor: two 2-D states
        ("LSTM", (5, 6), lambda lib: (lib.randn(2, 1, 4), lib.randn(2, 1, 8))),
        ("GRU", (5, 3, 6), lambda lib: lib.randn(3, 8)),
        ("GRU", (5, 6), lambda lib: lib.randn(2, 1, 8)),
        ("GRU", (5, 3, 6), lambda lib: lib.randn(2, 4, 8)),
        ("RNN", (1, 5, 3, 6), lambda lib: None),
        ("GRU", (1, 5, 3, 6), lambda lib: None),
    ]


@pytest.mark.parametrize("case", range(len(_bad_states())))
def test_rnn_bad_state_messages(case):
    mode, shape, state = _bad_states()[case]

    def run(lib):
        kwargs = {"proj_size": 4} if mode == "LSTM" else {}
        m = getattr(lib.nn, mode)(6, 8, num_layers=2, **kwargs)
        return m(lib.randn(*shape), state(lib))

    _assert_same_error(lambda: run(torch), lambda: run(gradiente))


def _bad_cell_calls():
    """(cell, input shape, state shapes) torch refuses."""
    return [
        ("GRUCell", (4, 5), [(4, 4)]),
        ("GRUCell", (4, 5), [(3, 3)]),
        ("RNNCell", (5,), [(1, 3)]),
        ("LSTMCell", (4, 4), []),
        ("LSTMCell", (4, 5), [(4, 3), (2, 3)]),
        ("LSTMCell", (4, 5), [(4, 3), (4, 3, 1)]),
        ("GRUCell", (2, 4, 5), []),
        ("RNNCell", (4, 5), [(1, 4, 3)]),
    ]


@pytest.mark.parametrize("case", range(len(_bad_cell_calls())))
def test_rnn_cell_size_checks(case):
    name, shape, states = _bad_cell_calls()[case]

    def run(lib):
        cell = getattr(lib.nn, name)(5, 3)
        hx = [lib.randn(*s) for s in states]
        hx = (tuple(hx) if name == "LSTMCell" else hx[0]) if hx else None
        return cell(lib.randn(*shape), hx)

    _assert_same_error(lambda: run(torch), lambda: run(gradiente))


def test_single_layer_rnn_dropout_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tnn.GRU(4, 5, dropout=0.5)
        gnn.GRU(4, 5, dropout=0.5)
        gnn.LSTM(4, 5, num_layers=2, dropout=0.5)  # no warning with two layers
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and messages[0] == messages[1]
    assert caught[1].filename.endswith("rnn.py")  # the layer's line, as in torch


# ---------------------------------------------------------------------------------------------
# 3. attention: the warning's location, torch's messages for sizes that do not fit
# ---------------------------------------------------------------------------------------------


def test_mismatched_mask_warning_points_at_the_layer():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mha = gnn.MultiheadAttention(4, 1)
        x = gradiente.randn(3, 2, 4)
        mha(x, x, x, attn_mask=gradiente.zeros(3, 3), key_padding_mask=gradiente.zeros(2, 3).bool())
    (warning,) = [w for w in caught if "mismatched" in str(w.message)]
    assert warning.filename.endswith(os.path.join("layers", "attention.py"))


def _sdpa_shapes():
    """(query, key, value) shapes whose products do not fit."""
    return [
        ((3, 4, 5), (3, 4, 4), (3, 4, 5)),
        ((2, 3, 4, 5), (2, 3, 6, 4), (2, 3, 6, 5)),
        ((2, 3, 4, 5), (1, 3, 6, 4), (1, 3, 6, 5)),
        ((4, 5), (6, 4), (6, 5)),
        ((4, 5), (6, 5), (7, 3)),
        ((2, 4, 5), (3, 6, 4), (3, 6, 5)),
        ((2, 4, 5), (3, 6, 5), (3, 6, 5)),
        ((2, 4, 6, 8), (2, 2, 7, 8), (2, 2, 7, 8)),
    ]


@pytest.mark.parametrize("case", range(len(_sdpa_shapes())))
def test_sdpa_size_messages(case):
    q, k, v = _sdpa_shapes()[case]

    def run(lib):
        return lib.nn.functional.scaled_dot_product_attention(
            lib.randn(*q), lib.randn(*k), lib.randn(*v)
        )

    _assert_same_error(lambda: run(torch), lambda: run(gradiente))


def test_transformer_nested_tensor_warning_points_at_its_init():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gnn.Transformer(8, 2, 1, 1, 16)
    (warning,) = [w for w in caught if "enable_nested_tensor" in str(w.message)]
    with open(warning.filename) as f:
        line = f.readlines()[warning.lineno - 1]
    assert "self.encoder = TransformerEncoder(" in line


# ---------------------------------------------------------------------------------------------
# 4. EmbeddingBag: torch's whole message for a first offset that is not 0
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int32"), ("int64", "int32")])
def test_embedding_bag_first_offset_message(dtypes):
    def run(lib):
        input_dtype, offsets_dtype = (getattr(lib, d) for d in dtypes)
        bag = lib.nn.EmbeddingBag(5, 2)
        return bag(lib.tensor([1, 2], dtype=input_dtype), lib.tensor([1], dtype=offsets_dtype))

    _assert_same_error(lambda: run(torch), lambda: run(gradiente))


def test_functional_embedding_bag_matches_after_message_change():
    weight = np.random.RandomState(3).randn(6, 3).astype(np.float32)
    args = ([1, 2, 3, 4], [0, 1, 4])
    got = GF.embedding_bag(
        gradiente.tensor(args[0]),
        gradiente.tensor(weight),
        gradiente.tensor(args[1]),
        mode="mean",
        include_last_offset=True,
    )
    want = torch.nn.functional.embedding_bag(
        torch.tensor(args[0]),
        torch.tensor(weight),
        torch.tensor(args[1]),
        mode="mean",
        include_last_offset=True,
    )
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# 5. CTC: a target label that is not a class is an error (torch's CPU kernel reads garbage)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [3, -1])
def test_ctc_label_out_of_range_is_an_error(label):
    log_probs = gradiente.randn(5, 2, 3).log_softmax(2)
    targets = gradiente.tensor([[1, 2], [1, label]])
    with pytest.raises(RuntimeError, match=f"target label {label} is out of range"):
        GF.ctc_loss(log_probs, targets, [5, 5], [2, 2])


def test_ctc_in_range_labels_still_match_torch():
    x = np.random.RandomState(4).randn(6, 2, 4).astype(np.float32)
    targets, lengths = [[1, 3, 3], [2, 0, 0]], ([6, 5], [3, 1])
    got = GF.ctc_loss(gradiente.tensor(x).log_softmax(2), gradiente.tensor(targets), *lengths)
    want = torch.nn.functional.ctc_loss(
        torch.tensor(x).log_softmax(2), torch.tensor(targets), *lengths
    )
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)
