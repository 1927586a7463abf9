"""``nn.utils.rnn`` against torch: padding and packing variable-length sequences (values,
gradients, errors) and the recurrent layers reading a ``PackedSequence`` (outputs, final
states in the caller's order, every gradient, dropout between layers)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, gradcheck_random_upstream, run_with_torch_alias
from gradiente.nn.utils import rnn as grnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

RTOL, ATOL = 1e-10, 1e-12


def _rand(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _leaves(arrays):
    """The same arrays as gradiente and torch leaves that require grad."""
    g = [gradiente.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    return g, t


def _backward(lib, outs, seed=50):
    """Back-propagate ⟨out_i, u_i⟩ with random u_i (all-ones would hide swapped gradients)."""
    loss = 0
    for i, o in enumerate(outs):
        u = _rand(tuple(o.shape), seed + i, o.detach().numpy().dtype)
        loss = loss + (o * lib.from_numpy(u)).sum()
    loss.backward()


def _assert_packed(g, t, rtol=RTOL, atol=ATOL):
    assert type(g).__name__ == "PackedSequence"
    assert_same(g.data, t.data, rtol, atol, "data")
    assert_same(g.batch_sizes, t.batch_sizes, what="batch_sizes")
    for name in ("sorted_indices", "unsorted_indices"):
        gi, ti = getattr(g, name), getattr(t, name)
        assert (gi is None) == (ti is None), name
        if ti is not None:
            assert_same(gi, ti, what=name)


# ------------------------------------------------------------------------------ pad_sequence


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("padding_value", [0.0, -2.5])
def test_pad_sequence(batch_first, padding_side, padding_value):
    arrays = [_rand((n, 3, 2), n) for n in (2, 5, 1, 5)]
    g, t = _leaves(arrays)
    kwargs = dict(batch_first=batch_first, padding_value=padding_value, padding_side=padding_side)
    g_out, t_out = grnn.pad_sequence(g, **kwargs), trnn.pad_sequence(t, **kwargs)
    assert_same(g_out, t_out)
    _backward(gradiente, [g_out])
    _backward(torch, [t_out])
    for gx, tx in zip(g, t, strict=True):
        assert_same(gx.grad, tx.grad, what="grad")


def test_pad_sequence_dtype_and_tensor_input():
    ints = [np.arange(2), np.arange(3)]
    g_out = grnn.pad_sequence([gradiente.from_numpy(a) for a in ints], padding_value=2.7)
    t_out = trnn.pad_sequence([torch.from_numpy(a) for a in ints], padding_value=2.7)
    assert_same(g_out, t_out)  # int64, the filler truncated to 2
    mixed = [_rand((2, 3), 0, np.float32), _rand((3, 3), 1)]
    assert_same(
        grnn.pad_sequence([gradiente.from_numpy(a) for a in mixed]),
        trnn.pad_sequence([torch.from_numpy(a) for a in mixed]),
    )
    stacked = _rand((3, 4, 2), 2)
    assert_same(
        grnn.pad_sequence(gradiente.from_numpy(stacked), batch_first=True),
        trnn.pad_sequence(torch.from_numpy(stacked), batch_first=True),
    )


def _same_error(g_call, t_call):
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(type(t_err.value)) as g_err:
        g_call()
    assert str(g_err.value) == str(t_err.value)


@pytest.mark.parametrize(
    "sequences, kwargs",
    [
        ([(2, 3), (3, 2)], {}),
        ([(2, 3), (3, 3)], {"padding_side": "middle"}),
        ([], {}),
    ],
)
def test_pad_sequence_errors(sequences, kwargs):
    _same_error(
        lambda: grnn.pad_sequence([gradiente.ones(s) for s in sequences], **kwargs),
        lambda: trnn.pad_sequence([torch.ones(s) for s in sequences], **kwargs),
    )
    _same_error(lambda: grnn.pad_sequence(5), lambda: trnn.pad_sequence(5))


# --------------------------------------------------------------------- pack / pad a batch


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(
    "lengths, enforce_sorted",
    [([5, 3, 3, 1], True), ([2, 5, 1, 3], False), ([4, 4, 2, 1], False)],
)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence(batch_first, lengths, enforce_sorted, as_tensor):
    shape = (4, 6, 3) if batch_first else (6, 4, 3)
    (gx,), (tx,) = _leaves([_rand(shape, 1)])
    g_len = gradiente.tensor(lengths) if as_tensor else lengths
    t_len = torch.tensor(lengths) if as_tensor else lengths
    g = grnn.pack_padded_sequence(gx, g_len, batch_first, enforce_sorted)
    t = trnn.pack_padded_sequence(tx, t_len, batch_first, enforce_sorted)
    _assert_packed(g, t)
    _backward(gradiente, [g.data])
    _backward(torch, [t.data])
    assert_same(gx.grad, tx.grad, what="grad")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_value", [0.0, -1.0])
@pytest.mark.parametrize("total_length", [None, 7])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pad_packed_sequence(batch_first, padding_value, total_length, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    (gx,), (tx,) = _leaves([_rand((5, 4, 2), 2)])
    g = grnn.pack_padded_sequence(gx, lengths, enforce_sorted=enforce_sorted)
    t = trnn.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    kwargs = dict(batch_first=batch_first, padding_value=padding_value, total_length=total_length)
    g_pad, g_len = grnn.pad_packed_sequence(g, **kwargs)
    t_pad, t_len = trnn.pad_packed_sequence(t, **kwargs)
    assert_same(g_pad, t_pad)
    assert_same(g_len, t_len)
    _backward(gradiente, [g_pad])
    _backward(torch, [t_pad])
    assert_same(gx.grad, tx.grad, what="grad")


def test_pack_then_pad_gradcheck():
    x = gradiente.from_numpy(_rand((5, 3, 2), 3)).requires_grad_()

    def round_trip(x):
        packed = grnn.pack_padded_sequence(x, [2, 5, 4], enforce_sorted=False)
        return grnn.pad_packed_sequence(packed, batch_first=True, padding_value=0.5)[0]

    gradcheck_random_upstream(round_trip, (x,))


@pytest.mark.parametrize(
    "lengths, kwargs",
    [
        ([2, 3, 1], {}),  # not sorted
        ([3, 2, 0], {}),
        ([3, 0, 1], {}),
        ([3, 2, 0], {"enforce_sorted": False}),
        ([3, 3], {}),
        ([3, 2, 1, 1, 1], {"batch_first": True}),
    ],
)
def test_pack_padded_sequence_errors(lengths, kwargs):
    x = _rand((4, 3, 2), 0)
    _same_error(
        lambda: grnn.pack_padded_sequence(gradiente.from_numpy(x), lengths, **kwargs),
        lambda: trnn.pack_padded_sequence(torch.from_numpy(x), lengths, **kwargs),
    )


def test_pack_padded_sequence_lengths_must_be_1d():
    x = _rand((4, 3, 2), 0)
    _same_error(
        lambda: grnn.pack_padded_sequence(gradiente.from_numpy(x), gradiente.tensor([[3, 2, 1]])),
        lambda: trnn.pack_padded_sequence(torch.from_numpy(x), torch.tensor([[3, 2, 1]])),
    )


def test_pad_packed_sequence_total_length_too_small():
    x = _rand((4, 3, 2), 0)
    g = grnn.pack_padded_sequence(gradiente.from_numpy(x), [3, 2, 1])
    t = trnn.pack_padded_sequence(torch.from_numpy(x), [3, 2, 1])
    _same_error(
        lambda: grnn.pad_packed_sequence(g, total_length=2),
        lambda: trnn.pad_packed_sequence(t, total_length=2),
    )


# ------------------------------------------------------------ lists of sequences, the tuple


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence(enforce_sorted):
    sizes = (4, 3, 3, 1) if enforce_sorted else (2, 4, 1, 3)
    arrays = [_rand((n, 2), n) for n in sizes]
    g, t = _leaves(arrays)
    g_packed = grnn.pack_sequence(g, enforce_sorted=enforce_sorted)
    t_packed = trnn.pack_sequence(t, enforce_sorted=enforce_sorted)
    _assert_packed(g_packed, t_packed)
    g_back, t_back = grnn.unpack_sequence(g_packed), trnn.unpack_sequence(t_packed)
    assert len(g_back) == len(t_back)
    for gs, ts in zip(g_back, t_back, strict=True):
        assert_same(gs, ts)
    _backward(gradiente, g_back)
    _backward(torch, t_back)
    for gx, tx in zip(g, t, strict=True):
        assert_same(gx.grad, tx.grad, what="grad")


def test_pack_sequence_unsorted_refused():
    _same_error(
        lambda: grnn.pack_sequence([gradiente.ones(2), gradiente.ones(3)]),
        lambda: trnn.pack_sequence([torch.ones(2), torch.ones(3)]),
    )


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    x = _rand((3, 5, 2) if batch_first else (5, 3, 2), 4)
    lengths = [5, 2, 4]
    g_pad, t_pad = gradiente.from_numpy(x.copy()), torch.from_numpy(x.copy())
    g = grnn.unpad_sequence(g_pad, gradiente.tensor(lengths), batch_first)
    t = trnn.unpad_sequence(t_pad, torch.tensor(lengths), batch_first)
    for gs, ts in zip(g, t, strict=True):
        assert_same(gs, ts)
    assert_same(g_pad, t_pad)  # time-major input: transposed in place, as torch does


def test_packed_sequence_tuple_and_conversions():
    x = _rand((4, 3, 2), 5, np.float32)
    g = grnn.pack_padded_sequence(gradiente.from_numpy(x), [2, 4, 1], enforce_sorted=False)
    t = trnn.pack_padded_sequence(torch.from_numpy(x), [2, 4, 1], enforce_sorted=False)
    assert g._fields == t._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = g
    assert data is g.data and batch_sizes is g.batch_sizes
    _assert_packed(g.double(), t.double())
    assert g.double().data.dtype == gradiente.float64
    assert g.to("cpu") is g and g.cpu() is g
    assert g.to(gradiente.float64).data.dtype == gradiente.float64
    assert not g.is_cuda
    # from (data, batch_sizes) alone: no permutation
    _assert_packed(
        grnn.PackedSequence(g.data, g.batch_sizes), trnn.PackedSequence(t.data, t.batch_sizes)
    )
    _assert_packed(
        grnn.PackedSequence((g.data, g.batch_sizes)), trnn.PackedSequence((t.data, t.batch_sizes))
    )
    _same_error(lambda: grnn.PackedSequence(g.data), lambda: trnn.PackedSequence(t.data))
    assert_same(grnn.invert_permutation(gradiente.tensor([2, 0, 1])), torch.tensor([1, 2, 0]))


# -------------------------------------------------------- recurrent layers on packed input


def _packed_rnn(lib, rnn, cls, dtype, batch_first, x, lengths, states, train=False, seed=0):
    """A seeded (torch-identical) layer run on packed ``x``: (module, leaves, outputs)."""
    lib.manual_seed(seed)
    module = getattr(lib.nn, cls)(
        3, 4, num_layers=2, bidirectional=True, batch_first=batch_first, dropout=0.3
    )
    module = module.to(getattr(lib, dtype)).train(train)
    leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in [x, *states]]
    x, *states = leaves
    packed = rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    hx = None if not states else (tuple(states) if cls == "LSTM" else states[0])
    out, h = module(packed, hx)
    assert type(out).__name__ == "PackedSequence"
    padded, _ = rnn.pad_packed_sequence(out, batch_first)
    outs = [out.data, padded, *(h if cls == "LSTM" else (h,))]
    _backward(lib, outs)
    return module, leaves, outs


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_states", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_recurrent_layers_on_packed_input(cls, batch_first, with_states, dtype):
    np_dtype = np.float64 if dtype == "float64" else np.float32
    rtol, atol = (RTOL, ATOL) if dtype == "float64" else (2e-5, 2e-6)
    x = _rand((4, 6, 3) if batch_first else (6, 4, 3), 7, np_dtype)
    lengths = [3, 6, 1, 4]
    states = [_rand((4, 4, 4), 8 + i, np_dtype) for i in range(2 if cls == "LSTM" else 1)]
    states = states if with_states else []
    g = _packed_rnn(gradiente, grnn, cls, dtype, batch_first, x, lengths, states)
    t = _packed_rnn(torch, trnn, cls, dtype, batch_first, x, lengths, states)
    for i, (go, to) in enumerate(zip(g[2], t[2], strict=True)):
        assert_same(go, to, rtol, atol, f"output {i}")
    for gx, tx in zip(g[1], t[1], strict=True):
        assert_same(gx.grad, tx.grad, rtol, atol, "input grad")
    g_params, t_params = dict(g[0].named_parameters()), dict(t[0].named_parameters())
    assert g_params.keys() == t_params.keys()
    for name, p in t_params.items():
        assert_same(g_params[name].grad, p.grad, rtol, atol, name)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_packed_input_dropout_between_layers_draws_like_torch(cls):
    x, lengths = _rand((5, 3, 3), 9), [2, 5, 3]
    g = _packed_rnn(gradiente, grnn, cls, "float64", False, x, lengths, [], train=True, seed=3)
    t = _packed_rnn(torch, trnn, cls, "float64", False, x, lengths, [], train=True, seed=3)
    for i, (go, to) in enumerate(zip(g[2], t[2], strict=True)):
        assert_same(go, to, RTOL, ATOL, f"output {i}")
    for name, p in t[0].named_parameters():
        assert_same(dict(g[0].named_parameters())[name].grad, p.grad, RTOL, ATOL, name)


def test_packed_lstm_gradcheck():
    gradiente.manual_seed(0)
    lstm = gradiente.nn.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    x = gradiente.from_numpy(_rand((4, 3, 2), 11)).requires_grad_()
    h0 = gradiente.from_numpy(_rand((4, 3, 3), 12)).requires_grad_()

    def run(x, h0):
        packed = grnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, (h, c) = lstm(packed, (h0, h0 * 0.5))
        return out.data, h, c

    gradcheck_random_upstream(run, (x, h0))


def test_packed_input_wrong_hidden_size():
    x = _rand((4, 3, 3), 0)
    for lib, rnn in ((gradiente, grnn), (torch, trnn)):
        lib.manual_seed(0)
        gru = lib.nn.GRU(3, 4).double()
        packed = rnn.pack_padded_sequence(lib.from_numpy(x), [4, 2, 1])
        with pytest.raises(
            RuntimeError, match=r"Expected hidden size \(1, 3, 4\), got \[1, 2, 4\]"
        ):
            gru(packed, lib.zeros(1, 2, 4, dtype=lib.float64))


def test_torch_nn_utils_rnn_under_gradiente_run():
    result = run_with_torch_alias(
        """
        import torch
        import torch.nn.utils.rnn
        from torch.nn.utils.rnn import PackedSequence, pack_sequence, pad_packed_sequence
        packed = pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
        assert isinstance(packed, PackedSequence)
        assert torch.nn.utils.rnn.pad_sequence is not None
        lstm = torch.nn.LSTM(2, 5)
        out, (h, c) = lstm(packed)
        print(tuple(pad_packed_sequence(out)[0].shape), tuple(h.shape))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(3, 2, 5) (1, 2, 5)"
