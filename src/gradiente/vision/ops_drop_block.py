"""torchvision's DropBlock (``torchvision.ops.drop_block``; Ghiasi et al., 2018,
https://arxiv.org/abs/1810.12890): dropout for feature maps that drops whole square (cubic)
blocks instead of single activations, since neighbouring activations of a convolution carry
nearly the same information and dropping one alone hardly regularises.

The block seeds are drawn with ``bernoulli_`` on torch's generator stream, so the same seed
drops the same blocks as torchvision.
"""

from __future__ import annotations

from gradiente import nn
from gradiente.nn import functional as F
from gradiente.tensor import Tensor
from gradiente.tensor.factories import empty

__all__ = ["DropBlock2d", "DropBlock3d", "drop_block2d", "drop_block3d"]


def _drop_block(
    input: Tensor, p: float, block_size: int, inplace: bool, eps: float, training: bool, dims: int
) -> Tensor:
    """DropBlock over the last ``dims`` (2 or 3) axes of an (N, C, *spatial) tensor.

    Block centres are drawn with probability γ = p · ∏size / (block^dims · ∏(size − block + 1))
    among the positions where a whole block fits, so that about a fraction p of the activations
    is dropped; a max pool grows each centre into its block. The kept activations are scaled
    by numel / (ε + number kept) to keep the expected sum.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != dims + 2:
        raise ValueError(f"input should be {dims + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    n, c, *sizes = input.shape
    block_size = min(block_size, *sizes)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    total, fitting = 1, 1
    for size in sizes:
        total, fitting = total * size, fitting * (size - block_size + 1)
    gamma = (p * total) / ((block_size**dims) * fitting)
    seeds_shape = (n, c, *(size - block_size + 1 for size in sizes))
    noise = empty(seeds_shape, dtype=input.dtype, device=input.device)
    noise.bernoulli_(gamma)
    half = block_size // 2
    noise = F.pad(noise, [half] * (2 * dims), value=0)
    pool = F.max_pool2d if dims == 2 else F.max_pool3d
    noise = pool(noise, stride=(1,) * dims, kernel_size=(block_size,) * dims, padding=half)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


def drop_block2d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-06,
    training: bool = True,
) -> Tensor:
    """DropBlock on an (N, C, H, W) tensor: zero ``block_size``² squares, about a fraction
    ``p`` of the activations, and rescale the rest (identity when not ``training``)."""
    return _drop_block(input, p, block_size, inplace, eps, training, dims=2)


def drop_block3d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-06,
    training: bool = True,
) -> Tensor:
    """DropBlock on an (N, C, D, H, W) tensor: zero ``block_size``³ cubes."""
    return _drop_block(input, p, block_size, inplace, eps, training, dims=3)


class DropBlock2d(nn.Module):
    """The module form of ``drop_block2d`` (active in training mode only)."""

    def __init__(self, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
            f"inplace={self.inplace})"
        )


class DropBlock3d(DropBlock2d):
    """The module form of ``drop_block3d``."""

    def forward(self, input: Tensor) -> Tensor:
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
