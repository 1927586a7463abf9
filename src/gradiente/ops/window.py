"""Sliding-window geometry, written once: argument tuples and output sizes.

Convolution, pooling, unfold/fold, their ``nn`` layers and the image transforms describe a
window along each spatial axis by its kernel size k, stride s, padding p and dilation d. A
dilated kernel spans d·(k − 1) + 1 inputs, so over an input of length I padded by p on each side
the windows start at 0, s, 2s, ... while they fit:

    O = ⌊(I + 2p − d·(k − 1) − 1) / s⌋ + 1              (convolution; pooling in floor mode)

A transposed convolution runs that map backwards (its output is the input above):

    O = (I − 1)·s − 2p + d·(k − 1) + output_padding + 1

Pure integer arithmetic on Python values: ``ops``, ``nn`` and ``transforms`` all import it.
"""

from __future__ import annotations

# PyTorch's two wordings of a bad size argument (convolutions and pooling).
CONV_TUPLE_ERROR = "{op}: expected {name} to be a single integer or a tuple of {n}"
POOL_TUPLE_ERROR = "{op}: {name} must either be a single int, or a tuple of {n} ints"


def ntuple(value, n: int) -> tuple:
    """PyTorch's ``_single``/``_pair``: an int repeated n times, a sequence as a tuple.

    What the layers store (``Conv2d(3, 8, 5).kernel_size == (5, 5)``); no checks here.
    """
    if isinstance(value, int):
        return (value,) * n
    return tuple(value)


def int_tuple(
    value,
    n: int,
    name: str,
    op: str = "",
    message: str = CONV_TUPLE_ERROR,
    error: type[Exception] = RuntimeError,
) -> tuple:
    """An int, or a sequence of 1 or n ints, as a tuple of n ints (the ops' argument check).

    Any other length raises ``error(message)``, the message formatted with ``op``, ``name``
    and ``n`` (only then, so the common path builds no string).
    """
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise error(message.format(op=op, name=name, n=n))
    return value


def conv_out_size(size: int, k: int, s: int, p_total: int, d: int) -> int:
    """Output length of a convolution: ⌊(I + p_total − d·(k − 1) − 1) / s⌋ + 1.

    ``p_total`` is the padding on both sides together (2p, or before + after for 'same').
    """
    return (size + p_total - d * (k - 1) - 1) // s + 1


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: ⌊ or ⌈(I + 2p − d·(k − 1) − 1) / s⌉ + 1, where in
    ceil mode the last window must start inside the input or the left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def conv_transpose_out_size(
    size: int, k: int, s: int, p: int, d: int, output_padding: int = 0
) -> int:
    """Output length of a transposed convolution: (I − 1)·s − 2p + d·(k − 1) + op + 1."""
    return (size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def same_padding(k: int, d: int) -> tuple[int, int]:
    """padding='same' for stride 1: d·(k − 1) in all, the odd one after (PyTorch's split)."""
    total = d * (k - 1)
    return total // 2, total - total // 2
