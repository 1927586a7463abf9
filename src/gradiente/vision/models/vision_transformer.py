"""Vision Transformer (Dosovitskiy et al., 2020) with torchvision's module tree: ``vit_b_16``,
``vit_b_32``, ``vit_l_16``, ``vit_l_32``, ``vit_h_14``.

The image is cut into p×p patches, each projected to a ``hidden_dim`` vector (one p×p/p
convolution, ``conv_proj``); a learned class token is put in front, learned position
embeddings are added, and a stack of pre-norm Transformer encoder blocks (LayerNorm →
multi-head self-attention → residual; LayerNorm → MLP → residual) mixes the tokens. The class
token's final vector goes through ``heads``. Parameter names as torchvision's:
``conv_proj``, ``class_token``, ``encoder.pos_embedding``,
``encoder.layers.encoder_layer_i.ln_1/self_attention/ln_2/mlp``, ``encoder.ln``, ``heads.head``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.tensor.factories import empty, zeros
from gradiente.tensor.toplevel import cat
from gradiente.vision.models._utils import check_weights
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_layers import MLP

__all__ = [
    "VisionTransformer",
    "vit_b_16",
    "vit_b_32",
    "vit_h_14",
    "vit_l_16",
    "vit_l_32",
]


_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)  # the default norm_layer


class ConvStemConfig(NamedTuple):
    """One convolution of an optional convolutional stem (Xiao et al., 2021)."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


def _rename_legacy_mlp_keys(state_dict, prefix, local_metadata, *_) -> None:
    """State dicts from before torchvision 0.13 name the MLP's layers ``linear_1``/``linear_2``;
    they are ``0``/``3`` now (pytorch/vision#6053)."""
    version = local_metadata.get("version", None) if local_metadata else None
    if version is None or version < 2:
        for i in range(2):
            for kind in ["weight", "bias"]:
                old_key = f"{prefix}linear_{i + 1}.{kind}"
                if old_key in state_dict:
                    state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old_key)


class MLPBlock(MLP):
    """The Transformer's MLP: Linear(mlp_dim) → GELU → Dropout → Linear(in_dim) → Dropout.
    Weights Xavier-uniform, biases N(0, 1e-12)."""

    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(
            in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None, dropout=dropout
        )
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)
        self._register_load_state_dict_pre_hook(_rename_legacy_mlp_keys)


class EncoderBlock(nn.Module):
    """Pre-norm block: x = x + Dropout(SelfAttention(LN₁(x))); return x + MLP(LN₂(x))."""

    def __init__(
        self,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float,
        attention_dropout: float,
        norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(
            hidden_dim, num_heads, dropout=attention_dropout, batch_first=True
        )
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise AssertionError(
                f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}"
            )
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embeddings (N(0, 0.02²), as BERT) added, Dropout, the encoder blocks, a final
    LayerNorm. Tokens are (batch, sequence, hidden_dim)."""

    def __init__(
        self,
        seq_length: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float,
        attention_dropout: float,
        norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
    ) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(
                num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer
            )
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise AssertionError(
                f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}"
            )
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Patchify (``conv_proj``), prepend ``class_token``, ``encoder``, ``heads`` on the class
    token (``representation_size``: a Linear + tanh "pre-logits" layer first).

    Initialisation as torchvision's: ``conv_proj`` truncated N(0, 1/fan_in), zero bias (a
    convolutional stem: its last 1×1 convolution N(0, 2/out_channels)); class token 0; the
    head's weight and bias 0, so an untrained model outputs zeros.
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
        representation_size: int | None = None,
        norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
        conv_stem_configs: list[ConvStemConfig] | None = None,
    ) -> None:
        super().__init__()
        if image_size % patch_size != 0:
            raise AssertionError("Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, config in enumerate(conv_stem_configs):
                seq_proj.add_module(
                    f"conv_bn_relu_{i}",
                    Conv2dNormActivation(
                        in_channels=prev_channels,
                        out_channels=config.out_channels,
                        kernel_size=config.kernel_size,
                        stride=config.stride,
                        norm_layer=config.norm_layer,
                        activation_layer=config.activation_layer,
                    ),
                )
                prev_channels = config.out_channels
            seq_proj.add_module(
                "conv_last",
                nn.Conv2d(in_channels=prev_channels, out_channels=hidden_dim, kernel_size=1),
            )
            self.conv_proj: nn.Module = seq_proj
        else:
            self.conv_proj = nn.Conv2d(
                in_channels=3, out_channels=hidden_dim, kernel_size=patch_size, stride=patch_size
            )
        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(
            seq_length,
            num_layers,
            num_heads,
            hidden_dim,
            mlp_dim,
            dropout,
            attention_dropout,
            norm_layer,
        )
        self.seq_length = seq_length
        heads_layers: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

        if isinstance(self.conv_proj, nn.Conv2d):
            kh, kw = self.conv_proj.kernel_size
            fan_in = self.conv_proj.in_channels * kh * kw
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        elif isinstance(getattr(self.conv_proj, "conv_last", None), nn.Conv2d):
            conv_last = self.conv_proj.conv_last
            nn.init.normal_(conv_last.weight, mean=0.0, std=math.sqrt(2.0 / conv_last.out_channels))
            if conv_last.bias is not None:
                nn.init.zeros_(conv_last.bias)
        if isinstance(getattr(self.heads, "pre_logits", None), nn.Linear):
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """(n, c, h, w) image → (n, n_h·n_w, hidden_dim) patch tokens."""
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise AssertionError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise AssertionError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        n_h, n_w = h // p, w // p
        x = self.conv_proj(x).reshape(n, self.hidden_dim, n_h * n_w)
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        batch_class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(cat([batch_class_token, x], dim=1))
        return self.heads(x[:, 0])  # the class token's vector


def _vision_transformer(
    arch: str,
    patch_size: int,
    num_layers: int,
    num_heads: int,
    hidden_dim: int,
    mlp_dim: int,
    weights,
    kwargs: dict,
) -> VisionTransformer:
    check_weights(weights, arch, kwargs)
    image_size = kwargs.pop("image_size", 224)
    return VisionTransformer(
        image_size=image_size,
        patch_size=patch_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        mlp_dim=mlp_dim,
        **kwargs,
    )


def vit_b_16(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
    """ViT-B/16: 16×16 patches, 12 layers, 12 heads, width 768, 86.6 M parameters."""
    return _vision_transformer("vit_b_16", 16, 12, 12, 768, 3072, weights, kwargs)


def vit_b_32(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
    """ViT-B/32: 32×32 patches, 12 layers, 12 heads, width 768, 88.2 M parameters."""
    return _vision_transformer("vit_b_32", 32, 12, 12, 768, 3072, weights, kwargs)


def vit_l_16(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
    """ViT-L/16: 24 layers, 16 heads, width 1024, 304.3 M parameters."""
    return _vision_transformer("vit_l_16", 16, 24, 16, 1024, 4096, weights, kwargs)


def vit_l_32(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
    """ViT-L/32: 24 layers, 16 heads, width 1024, 306.5 M parameters."""
    return _vision_transformer("vit_l_32", 32, 24, 16, 1024, 4096, weights, kwargs)


def vit_h_14(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
    """ViT-H/14: 14×14 patches, 32 layers, 16 heads, width 1280, 632.0 M parameters."""
    return _vision_transformer("vit_h_14", 14, 32, 16, 1280, 5120, weights, kwargs)
