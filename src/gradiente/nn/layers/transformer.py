"""Transformer layers (``torch.nn.Transformer*``): encoder and decoder layers, their stacks,
and the full encoder-decoder model of "Attention Is All You Need".

An encoder layer is self-attention then a feed-forward block, each inside a residual
connection with layer normalisation; post-norm (the paper, ``norm_first=False``) or pre-norm:

    post-norm:  x = LN₁(x + SA(x));      x = LN₂(x + FF(x))
    pre-norm:   x = x + SA(LN₁(x));      x = x + FF(LN₂(x))
    FF(x) = W₂ dropout(act(W₁ x + b₁)) + b₂

A decoder layer adds cross-attention to the encoder's output (``memory``) between the two.
Parameter names, initialisation (stacks are deep copies of one layer, so every layer starts
equal, as in torch) and the mask arguments are torch's.
"""

from __future__ import annotations

import copy
import warnings

from gradiente.autograd.grad_mode import is_grad_enabled
from gradiente.nn import functional as F
from gradiente.nn import init
from gradiente.nn.layers.activation import GELU, ReLU
from gradiente.nn.layers.attention import MultiheadAttention, _canonical_mask, _none_or_dtype
from gradiente.nn.layers.container import ModuleList
from gradiente.nn.layers.dropout import Dropout
from gradiente.nn.layers.linear import Linear
from gradiente.nn.layers.normalization import LayerNorm
from gradiente.nn.module import Module
from gradiente.tensor import Tensor, arange, full, where, zeros


def _generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, −∞ above (position i sees 0..i)."""
    return full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(diagonal=1)


def _get_activation_fn(activation: str):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:  # unbatched (S, E)
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal: bool | None = None, size: int | None = None) -> bool:
    """``is_causal`` if given; else whether ``mask`` equals the square subsequent mask."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        causal = _generate_square_subsequent_mask(sz, dtype=mask.dtype)
        if tuple(mask.shape) == tuple(causal.shape):
            make_causal = bool((mask == causal).all())
        else:
            make_causal = False
    return make_causal


def _dropout_like_torch(dropout: Dropout, x: Tensor, batch_first: bool) -> Tensor:
    """Dropout on an attention output. With ``batch_first`` that output is, in torch, a
    transposed view of an (L, N, E) array, and torch draws dropout noise in memory order; so
    the pattern is drawn on the (L, N, E) layout here too, to keep the same seed's pattern."""
    if batch_first and x.ndim == 3:
        return dropout(x.transpose(0, 1)).transpose(0, 1)
    return dropout(x)


class _TransformerLayer(Module):
    """What encoder and decoder layers share: torch's constructor, the activation argument (a
    name or a callable), the self-attention block and the feed-forward block.

    A layer is ``_n_blocks`` residual blocks (self-attention, then cross-attention in the
    decoder only, then feed-forward), each with its LayerNorm ``norm{i}`` and its dropout
    ``dropout{i}``; the sub-modules are created in torch's order, so parameter names, their
    order and the random draws of their initialisation are torch's.
    """

    _n_blocks: int

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation=F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        kw = {"device": device, "dtype": dtype}
        super().__init__()
        # self_attn, and multihead_attn (cross-attention) in the decoder
        for name in ("self_attn", "multihead_attn")[: self._n_blocks - 1]:
            attention = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
            )
            setattr(self, name, attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        blocks = range(1, self._n_blocks + 1)
        for i in blocks:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in blocks:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self._set_activation(activation)

    def _set_activation(self, activation) -> None:
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        # torch records which activation its fast path could use (1 relu, 2 gelu, 0 other).
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    @staticmethod
    def _attention_block(
        attn: MultiheadAttention, dropout: Dropout, x, mem, attn_mask, key_padding_mask, is_causal
    ) -> Tensor:
        """dropout(attention of queries ``x`` to keys and values ``mem``), weights not kept."""
        x = attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return _dropout_like_torch(dropout, x, attn.batch_first)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False) -> Tensor:
        return self._attention_block(
            self.self_attn, self.dropout1, x, x, attn_mask, key_padding_mask, is_causal
        )

    def _ff_block(self, x: Tensor, dropout_out: Dropout) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return dropout_out(x)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm.
    Constructor arguments: see ``_TransformerLayer`` (torch's)."""

    _n_blocks = 2

    def forward(
        self,
        src: Tensor,
        src_mask=None,
        src_key_padding_mask=None,
        is_causal: bool = False,
    ) -> Tensor:
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask,
            "src_key_padding_mask",
            _none_or_dtype(src_mask),
            "src_mask",
            src.dtype,
        )
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x), self.dropout2)
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x, self.dropout2))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention to ``memory`` and a feed-forward block, each with a
    residual connection and LayerNorm. Constructor arguments: see ``_TransformerLayer``
    (torch's)."""

    _n_blocks = 3

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x), self.dropout3)
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x, self.dropout3))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False) -> Tensor:
        return self._attention_block(
            self.multihead_attn, self.dropout2, x, mem, attn_mask, key_padding_mask, is_causal
        )


class _LayerStack(Module):
    """``num_layers`` copies of one layer in sequence, then an optional ``norm``."""

    def __init__(self, layer: Module, num_layers: int, norm: Module | None) -> None:
        super().__init__()
        self.layers = _get_clones(layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def _run(self, output: Tensor, *args, **kwargs) -> Tensor:
        """Each layer on the previous one's output (same extra arguments), then ``norm``."""
        for mod in self.layers:
            output = mod(output, *args, **kwargs)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerEncoder(_LayerStack):
    """``num_layers`` copies of ``encoder_layer`` in sequence, then an optional ``norm``.

    PyTorch's "fast path" with ``enable_nested_tensor`` (eval, no gradient wanted, batched
    batch-first input, a ``src_key_padding_mask`` and no ``mask``) packs the batch into a
    nested (ragged) tensor of each sequence's unpadded tokens and pads the result back with
    zeros. gradiente keeps the padded tensor but reproduces what can be observed: the unpadded
    positions get the ordinary result and the padded ones 0 (before ``norm``). A row whose
    padding is not all at the end (only with ``mask_check=False``) is taken, as by PyTorch, as
    its first ``n`` tokens, n being its number of unpadded positions.
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__(encoder_layer, num_layers, norm)
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_no_nested_tensor(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                "enable_nested_tensor is True, but self.use_nested_tensor is False because "
                f"{why_not}",
                stacklevel=2,
            )
            self.use_nested_tensor = False

    def forward(
        self,
        src: Tensor,
        mask=None,
        src_key_padding_mask=None,
        is_causal: bool | None = None,
    ) -> Tensor:
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask,
            "src_key_padding_mask",
            _none_or_dtype(mask),
            "mask",
            src.dtype,
        )
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, False)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _get_seq_len(src, batch_first))
        kept = self._nested_rows(src, mask, src_key_padding_mask)
        if kept is None:
            return self._run(
                src, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask
            )
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=None, is_causal=is_causal, src_key_padding_mask=~kept)
        # the nested tensor padded back: zeros where a row has no token
        output = where(kept.unsqueeze(-1), output, zeros((), dtype=output.dtype))
        return self.norm(output) if self.norm is not None else output

    def _nested_rows(self, src: Tensor, mask, padding) -> Tensor | None:
        """Where PyTorch's fast path would pack the batch into a nested tensor: the (N, S)
        mask of the tokens each row keeps (its first n, n its unpadded count); else None."""
        layer = self.layers[0]
        if not self.use_nested_tensor or layer.training or src.dim() != 3 or padding is None:
            return None
        unpadded = padding == 0  # PyTorch's mask.logical_not() on the canonical float mask
        left_aligned = bool((unpadded[:, 1:] <= unpadded[:, :-1]).all())
        if (self.mask_check and not left_aligned) or mask is not None:
            return None
        attention = layer.self_attn
        tensors = (
            src,
            attention.in_proj_weight,
            attention.in_proj_bias,
            attention.out_proj.weight,
            attention.out_proj.bias,
            layer.norm1.weight,
            layer.norm1.bias,
            layer.norm2.weight,
            layer.norm2.bias,
            layer.linear1.weight,
            layer.linear1.bias,
            layer.linear2.weight,
            layer.linear2.bias,
        )
        if is_grad_enabled() and any(t.requires_grad for t in tensors):
            return None
        counts = unpadded.sum(dim=1, keepdim=True)
        return arange(src.shape[1]).unsqueeze(0) < counts


def _why_no_nested_tensor(layer) -> str:
    """Why PyTorch's TransformerEncoder cannot use nested tensors with ``layer`` ("" if it can),
    in its words and its order of checks."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (
            f"{name}.self_attn.batch_first was not True"
            "(use batch_first for better inference performance)"
        )
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerDecoder(_LayerStack):
    """``num_layers`` copies of ``decoder_layer`` in sequence, then an optional ``norm``."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__(decoder_layer, num_layers, norm)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        return self._run(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )


class Transformer(Module):
    """The encoder-decoder Transformer: ``encoder(src)`` is the memory ``decoder(tgt, memory)``
    attends to. Every parameter with more than one dimension is re-drawn ``xavier_uniform_``,
    as torch does."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation=F.relu,
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        kw = {"device": device, "dtype": dtype}
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_kwargs = {"batch_first": batch_first, "norm_first": norm_first, "bias": bias}

        def layer_and_norm(layer_cls) -> tuple[Module, Module]:
            """A new layer (the stack copies it) and the LayerNorm after the stack."""
            layer = layer_cls(*layer_args, **layer_kwargs, **kw)
            return layer, LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)

        # the encoder is built (and its random draws made) before the decoder, as in torch;
        # the stacks are made on lines of this method, where torch's warnings point too
        if custom_encoder is None:
            encoder_layer, encoder_norm = layer_and_norm(TransformerEncoderLayer)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        else:
            self.encoder = custom_encoder
        if custom_decoder is None:
            decoder_layer, decoder_norm = layer_and_norm(TransformerDecoderLayer)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        else:
            self.decoder = custom_decoder
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        is_batched = src.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if is_batched and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """(sz, sz) float mask, −∞ above the diagonal: position i attends to 0..i only."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
