"""Recurrent layers against torch: RNN, LSTM, GRU (stacked, bidirectional, batch_first,
unbatched, initial states, projections, inter-layer dropout) and their cells. The default
initialisation must equal torch's for the same seed, so the modules are built from a seed and
compared with no weight copying: outputs, final states and every gradient, in float64."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
from conftest import assert_same

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-9, 1e-12


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _run(lib, make, arrays, train, seed=0):
    lib.manual_seed(seed)
    module = make(lib).double().train(train)
    leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
    x, *states = leaves
    if not states:
        out = module(x)
    elif isinstance(module, (lib.nn.LSTM, lib.nn.LSTMCell)):
        out = module(x, tuple(states))
    else:
        out = module(x, *states)
    outs = _flat(out)
    loss = sum(
        (o * lib.from_numpy(_rand(tuple(o.shape), 100 + i))).sum() for i, o in enumerate(outs)
    )
    loss.backward()
    return module, leaves, outs


CASES = {
    "rnn": (lambda m: m.nn.RNN(3, 4), [(5, 2, 3)]),
    "rnn_relu_2_layers_h0": (
        lambda m: m.nn.RNN(3, 4, num_layers=2, nonlinearity="relu"),
        [(5, 2, 3), (2, 2, 4)],
    ),
    "rnn_no_bias_batch_first": (
        lambda m: m.nn.RNN(3, 4, bias=False, batch_first=True),
        [(2, 5, 3)],
    ),
    "lstm": (lambda m: m.nn.LSTM(3, 4), [(6, 2, 3)]),
    "lstm_states": (lambda m: m.nn.LSTM(3, 4, 2), [(6, 2, 3), (2, 2, 4), (2, 2, 4)]),
    "lstm_bidirectional_batch_first": (
        lambda m: m.nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
        [(2, 6, 3)],
    ),
    "lstm_dropout": (lambda m: m.nn.LSTM(3, 4, 3, dropout=0.4), [(6, 2, 3)]),
    "lstm_proj": (lambda m: m.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True), [(4, 2, 3)]),
    "lstm_unbatched": (lambda m: m.nn.LSTM(3, 4, 2), [(6, 3)]),
    "gru": (lambda m: m.nn.GRU(3, 4), [(6, 2, 3)]),
    "gru_bidirectional_dropout": (
        lambda m: m.nn.GRU(3, 4, 2, dropout=0.5, bidirectional=True),
        [(6, 2, 3), (4, 2, 4)],
    ),
    "rnn_cell": (lambda m: m.nn.RNNCell(3, 4), [(2, 3)]),
    "rnn_cell_relu_h": (lambda m: m.nn.RNNCell(3, 4, nonlinearity="relu"), [(2, 3), (2, 4)]),
    "lstm_cell": (lambda m: m.nn.LSTMCell(3, 4), [(2, 3)]),
    "lstm_cell_states": (lambda m: m.nn.LSTMCell(3, 4), [(2, 3), (2, 4), (2, 4)]),
    "lstm_cell_unbatched": (lambda m: m.nn.LSTMCell(3, 4, bias=False), [(3,)]),
    "gru_cell": (lambda m: m.nn.GRUCell(3, 4), [(2, 3), (2, 4)]),
}


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", CASES)
def test_recurrent_layer_matches_torch(name, train):
    make, shapes = CASES[name]
    arrays = [_rand(s, i) for i, s in enumerate(shapes)]
    g_mod, g_in, g_out = _run(gradiente, make, arrays, train)
    t_mod, t_in, t_out = _run(torch, make, arrays, train)
    assert repr(g_mod) == repr(t_mod)
    assert len(g_out) == len(t_out)
    for k, (g, t) in enumerate(zip(g_out, t_out, strict=True)):
        assert_same(g, t, RTOL, ATOL, what=f"output {k}")
    for k, (g, t) in enumerate(zip(g_in, t_in, strict=True)):
        assert_same(g.grad, t.grad, RTOL, ATOL, what=f"grad of input {k}")
    g_params, t_params = dict(g_mod.named_parameters()), dict(t_mod.named_parameters())
    assert list(g_params) == list(t_params)
    for name_, t in t_params.items():
        assert_same(g_params[name_].grad, t.grad, RTOL, ATOL, what=f"grad of {name_}")


def test_lstm_float32_sequence_stays_close_to_torch():
    x = _rand((40, 3, 5), 0).astype(np.float32)
    gradiente.manual_seed(0)
    torch.manual_seed(0)
    g_out, (g_h, _) = nn.LSTM(5, 8, 2)(gradiente.from_numpy(x))
    t_out, (t_h, _) = torch.nn.LSTM(5, 8, 2)(torch.from_numpy(x))
    assert_same(g_out, t_out, rtol=1e-5, atol=1e-6)
    assert_same(g_h, t_h, rtol=1e-5, atol=1e-6)


def test_recurrent_parameter_names_and_all_weights():
    lstm = nn.LSTM(3, 4, 2, bidirectional=True)
    t_lstm = torch.nn.LSTM(3, 4, 2, bidirectional=True)
    assert [n for n, _ in lstm.named_parameters()] == [n for n, _ in t_lstm.named_parameters()]
    assert [[tuple(p.shape) for p in ws] for ws in lstm.all_weights] == [
        [tuple(p.shape) for p in ws] for ws in t_lstm.all_weights
    ]
    lstm.flatten_parameters()  # a no-op, as on the CPU in torch


def test_recurrent_layers_say_what_is_wrong():
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 5"):
        nn.GRU(3, 4)(gradiente.zeros(2, 1, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        nn.RNN(3, 4)(gradiente.zeros(6, 2, 3), gradiente.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        nn.LSTM(3, 4)(gradiente.zeros(3))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("RNN", (3, 4, 2, "relu", False, True), {}),  # nonlinearity fourth, as in torch
        ("RNN", (3, 4), {"nonlinearity": "relu", "bidirectional": True}),
        ("LSTM", (3, 5, 1, True, False, 0.0, False, 2), {}),  # proj_size eighth
        ("GRU", (3, 4, 1, False), {"batch_first": True}),
    ],
)
def test_recurrent_layers_take_torch_positional_and_keyword_arguments(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert getattr(ours, "nonlinearity", None) == getattr(theirs, "nonlinearity", None)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_rnn_and_gru_refuse_proj_size_as_torch_does(name):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, name)(3, 4, proj_size=2)
    with pytest.raises(ValueError) as ours:
        getattr(nn, name)(3, 4, proj_size=2)
    assert str(ours.value) == str(theirs.value)
