"""MultiheadAttention and the Transformer layers against torch: parameter names and initial
values for the same seed, outputs and gradients in float64 under every kind of mask, and a tiny
encoder trained three steps to the same losses."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
E, H = 8, 2


def _g(a):
    return None if a is None else gradiente.from_numpy(np.array(a, copy=True))


def _t(a):
    return None if a is None else torch.from_numpy(np.array(a, copy=True))


def _both(name, *args, **kwargs):
    """The same layer built in torch and gradiente from the same seed (float64)."""
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    gradiente.manual_seed(0)
    g = getattr(gradiente.nn, name)(*args, **kwargs, dtype=gradiente.float64)
    return g, t


def _assert_same_state(g, t):
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts)
    for name in ts:
        np.testing.assert_array_equal(gs[name].numpy(), ts[name].numpy(), err_msg=name)


def _compare(g, t, g_args, t_args, g_kwargs=None, t_kwargs=None, index=None, inputs=()):
    """Same output and same gradients (parameters and the float ``inputs``, given by position
    in the args) for a random upstream gradient."""
    g_out = g(*g_args, **(g_kwargs or {}))
    t_out = t(*t_args, **(t_kwargs or {}))
    if index is not None:
        g_out, t_out = g_out[index], t_out[index]
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), atol=1e-12)
    up = RNG.standard_normal(tuple(t_out.shape))
    g_out.backward(_g(up))
    t_out.backward(_t(up))
    t_params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), t_params[name].grad.numpy(), atol=1e-12, err_msg=name
        )
    for i in inputs:
        np.testing.assert_allclose(g_args[i].grad.numpy(), t_args[i].grad.numpy(), atol=1e-12)


def _leaves(*arrays):
    g = [_g(a).requires_grad_() for a in arrays]
    t = [_t(a).requires_grad_() for a in arrays]
    return g, t


# ------------------------------------------------------------------------ MultiheadAttention


MHA_CONFIGS = [
    {},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
    {"batch_first": True},
]


@pytest.mark.parametrize("config", MHA_CONFIGS)
def test_mha_parameters_and_init_match_torch(config):
    g, t = _both("MultiheadAttention", E, H, **config)
    _assert_same_state(g, t)


def _mask_cases():
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True  # the second sequence has two padding keys
    bool_mask = RNG.random((4, 5)) > 0.7
    bool_mask[:, 0] = False
    float_mask = RNG.standard_normal((4, 5))
    per_head = RNG.standard_normal((2 * H, 4, 5))
    return [
        {},
        {"need_weights": False},
        {"key_padding_mask": kpm},
        {"key_padding_mask": kpm, "need_weights": False},
        {"attn_mask": bool_mask, "need_weights": False},
        {"attn_mask": float_mask},
        {"attn_mask": per_head, "key_padding_mask": kpm, "need_weights": False},
        {"attn_mask": bool_mask, "average_attn_weights": False},
    ]


@pytest.mark.parametrize("config", MHA_CONFIGS)
@pytest.mark.parametrize("call", _mask_cases())
def test_mha_forward_and_gradients_match_torch(config, call):
    g, t = _both("MultiheadAttention", E, H, **config)
    q = RNG.standard_normal((4, 2, E))
    kv = RNG.standard_normal((5, 2, config.get("kdim", E)))
    v = RNG.standard_normal((5, 2, config.get("vdim", E)))
    if config.get("batch_first"):
        q, kv, v = (a.transpose(1, 0, 2) for a in (q, kv, v))
    (gq, gk, gv), (tq, tk, tv) = _leaves(q, kv, v)
    g_call = {k: _g(a) if isinstance(a, np.ndarray) else a for k, a in call.items()}
    t_call = {k: _t(a) if isinstance(a, np.ndarray) else a for k, a in call.items()}
    g_out, g_w = g(gq, gk, gv, **g_call)
    t_out, t_w = t(tq, tk, tv, **t_call)
    if t_w is None:
        assert g_w is None
    else:
        np.testing.assert_allclose(g_w.detach().numpy(), t_w.detach().numpy(), atol=1e-12)
    _compare(g, t, (gq, gk, gv), (tq, tk, tv), g_call, t_call, index=0, inputs=(0, 1, 2))


def test_mha_self_attention_causal_and_unbatched():
    g, t = _both("MultiheadAttention", E, H)
    x = RNG.standard_normal((4, 2, E))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    (gx,), (tx,) = _leaves(x)
    kwargs = {"need_weights": False, "is_causal": True}
    _compare(
        g,
        t,
        (gx, gx, gx),
        (tx, tx, tx),
        {**kwargs, "attn_mask": _g(causal.numpy())},
        {**kwargs, "attn_mask": causal},
        index=0,
        inputs=(0,),
    )
    (gx,), (tx,) = _leaves(x[:, 0])  # (L, E): no batch dimension
    _compare(g, t, (gx, gx, gx), (tx, tx, tx), index=0, inputs=(0,))


def test_mha_is_causal_needs_a_mask():
    g = gradiente.nn.MultiheadAttention(E, H)
    x = gradiente.randn(4, 2, E)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        g(x, x, x, is_causal=True)


# ---------------------------------------------------------------------- Transformer layers


LAYER_CONFIGS = [
    {},
    {"norm_first": True},
    {"activation": "gelu"},
    {"batch_first": True, "norm_first": True},
    {"bias": False},
    {"layer_norm_eps": 1e-3},
]


def _seq(L, batch_first):
    x = RNG.standard_normal((L, 2, E))
    return x.transpose(1, 0, 2) if batch_first else x


@pytest.mark.parametrize("config", LAYER_CONFIGS)
def test_encoder_layer_matches_torch(config):
    g, t = _both("TransformerEncoderLayer", E, H, dim_feedforward=12, dropout=0.0, **config)
    _assert_same_state(g, t)
    (gx,), (tx,) = _leaves(_seq(5, config.get("batch_first", False)))
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[0, 4] = True
    kwargs = {"src_key_padding_mask": kpm}
    g_kw = {k: _g(v) for k, v in kwargs.items()}
    t_kw = {k: _t(v) for k, v in kwargs.items()}
    _compare(g, t, (gx,), (tx,), g_kw, t_kw, inputs=(0,))


@pytest.mark.parametrize("config", LAYER_CONFIGS)
def test_decoder_layer_matches_torch(config):
    g, t = _both("TransformerDecoderLayer", E, H, dim_feedforward=12, dropout=0.0, **config)
    _assert_same_state(g, t)
    bf = config.get("batch_first", False)
    (gx, gm), (tx, tm) = _leaves(_seq(4, bf), _seq(5, bf))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mem_kpm = np.zeros((2, 5), dtype=bool)
    mem_kpm[1, 3:] = True
    g_kw = {
        "tgt_mask": _g(mask.numpy()),
        "tgt_is_causal": True,
        "memory_key_padding_mask": _g(mem_kpm),
    }
    t_kw = {"tgt_mask": mask, "tgt_is_causal": True, "memory_key_padding_mask": _t(mem_kpm)}
    _compare(g, t, (gx, gm), (tx, tm), g_kw, t_kw, inputs=(0, 1))


def test_activation_callable():
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(E, H, 12, 0.0, torch.tanh, dtype=torch.float64)
    gradiente.manual_seed(0)
    g = gradiente.nn.TransformerEncoderLayer(E, H, 12, 0.0, gradiente.tanh, dtype=gradiente.float64)
    assert g.activation is gradiente.tanh and g.activation_relu_or_gelu == 0
    (gx,), (tx,) = _leaves(_seq(3, False))
    _compare(g, t, (gx,), (tx,), inputs=(0,))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(norm_first):
    kwargs = {"dim_feedforward": 12, "dropout": 0.0, "norm_first": norm_first}
    g, t = _both("Transformer", E, H, 2, 2, **kwargs)
    _assert_same_state(g, t)
    (gs, gt), (ts, tt) = _leaves(_seq(5, False), _seq(4, False))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    src_kpm = np.zeros((2, 5), dtype=bool)
    src_kpm[0, 3:] = True
    g_kw = {"tgt_mask": _g(mask.numpy()), "src_key_padding_mask": _g(src_kpm)}
    t_kw = {"tgt_mask": mask, "src_key_padding_mask": _t(src_kpm)}
    _compare(g, t, (gs, gt), (ts, tt), g_kw, t_kw, inputs=(0, 1))


def test_square_subsequent_mask():
    g = gradiente.nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert g.dtype == gradiente.float32
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_encoder_stack_detects_a_causal_mask():
    from gradiente.nn.layers.transformer import _detect_is_causal_mask

    causal = gradiente.nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal, None, 4) is True
    assert _detect_is_causal_mask(causal.flip(0), None, 4) is False
    assert _detect_is_causal_mask(None, True) is True


@pytest.mark.parametrize("batch_first", [False, True])
def test_tiny_encoder_trains_like_torch(batch_first):
    """Three SGD steps of a 2-layer encoder with dropout, started from torch's weights and the
    same seed: the same losses (the dropout patterns are drawn in torch's order, also where
    torch draws on a transposed layout: the attention output under ``batch_first``)."""
    kw = {"dropout": 0.1, "batch_first": batch_first}
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(E, H, 16, **kw, dtype=torch.float64)
    t = torch.nn.Sequential(
        torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
    )
    g_layer = gradiente.nn.TransformerEncoderLayer(E, H, 16, **kw, dtype=gradiente.float64)
    g = gradiente.nn.Sequential(gradiente.nn.TransformerEncoder(g_layer, 2))
    g.load_state_dict({k: _g(v.numpy()) for k, v in t.state_dict().items()})
    x, y = RNG.standard_normal((6, 3, E)), RNG.standard_normal((6, 3, E))
    t_opt = torch.optim.SGD(t.parameters(), lr=0.1)
    g_opt = gradiente.optim.SGD(g.parameters(), lr=0.1)
    torch.manual_seed(1)
    gradiente.manual_seed(1)
    t_losses, g_losses = [], []
    for _ in range(3):
        for model, opt, lib, losses, wrap in (
            (t, t_opt, torch, t_losses, _t),
            (g, g_opt, gradiente, g_losses, _g),
        ):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(wrap(x)), wrap(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-12)
    assert len(set(t_losses)) == 3  # the weights moved


@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_dropout_pattern_matches_torch(batch_first):
    kw = {"dropout": 0.3, "batch_first": batch_first}
    g, t = _both("TransformerDecoderLayer", E, H, 16, **kw)
    tgt, mem = RNG.standard_normal((3, 4, E)), RNG.standard_normal((5, 4, E))
    if batch_first:
        tgt, mem = tgt.transpose(1, 0, 2), mem.transpose(1, 0, 2)
    torch.manual_seed(1)
    expected = t(_t(tgt), _t(mem)).detach().numpy()
    gradiente.manual_seed(1)
    np.testing.assert_allclose(g(_g(tgt), _g(mem)).detach().numpy(), expected, atol=1e-12)
