"""``torch.fft``'s real-valued helpers: sample frequencies and the zero-frequency shifts.

A discrete Fourier transform of n samples spaced d apart has its terms at the frequencies

    f_k = k / (d n)  for k = 0, 1, ..., ⌈n/2⌉ − 1, −⌊n/2⌋, ..., −1     (``fftfreq``)
    f_k = k / (d n)  for k = 0, 1, ..., ⌊n/2⌋                         (``rfftfreq``)

in the order ``fft`` returns them: positive frequencies first, then the negative ones.
``fftshift`` rolls every dimension by ⌊size/2⌋ to put frequency 0 in the middle and
``ifftshift`` by ⌈size/2⌉ to undo it; both are ``roll``, so they are differentiable.

The transforms themselves (``fft``, ``rfft``, ``irfft``, ``fft2``, ...) compute with complex
numbers, and gradiente has no complex dtype: each of them raises ``NotImplementedError``
naming itself.
"""

from __future__ import annotations

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.tensor import Tensor, tensor

__all__ = ["fftfreq", "fftshift", "ifftshift", "rfftfreq"]


def _frequencies(name: str, k, n: int, d: float, dtype, device, requires_grad: bool) -> Tensor:
    """The integer frequencies k scaled by 1 / (d n), computed as torch does.

    torch rounds 1 / (n d) to the result's dtype and multiplies k by it in that dtype's "opmath"
    precision (float32 for float16/bfloat16/float32, float64 for float64) before rounding the
    product; n d = 0 gives ±inf and 0 · inf = nan, as in IEEE arithmetic.
    """
    dtype = B.get_default_dtype() if dtype is None else B.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    opmath = xp.float64 if dtype is B.float64 else xp.float32
    with xp.errstate(divide="ignore", invalid="ignore"):
        scale = xp.float64(1.0) / xp.float64(n * d)  # 1 / (d n)
        f = xp.asarray(k, dtype=opmath) * xp.asarray(scale).astype(dtype.np).astype(opmath)
    return tensor(f.astype(dtype.np), dtype=dtype, device=device, requires_grad=requires_grad)


def _check_n(name: str, n) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")


def fftfreq(
    n: int,
    d: float = 1.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The sample frequencies of an n-point FFT with sample spacing d: [0, 1, ..., −1] / (d n)."""
    _check_n("fft_fftfreq", n)
    # 0, 1, ..., ⌈n/2⌉ − 1, then −⌊n/2⌋, ..., −1
    k = xp.concatenate([xp.arange((n + 1) // 2), xp.arange(-(n // 2), 0)])
    return _frequencies("fftfreq", k, n, d, dtype, device, requires_grad)


def rfftfreq(
    n: int,
    d: float = 1.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The non-negative frequencies of an n-point real FFT: [0, 1, ..., ⌊n/2⌋] / (d n)."""
    _check_n("fft_rfftfreq", n)
    return _frequencies("rfftfreq", xp.arange(n // 2 + 1), n, d, dtype, device, requires_grad)


def _dims(input: Tensor, dim) -> tuple[int, ...]:
    """``dim`` as a tuple of dimensions (None: all), checked with torch's message."""
    if dim is None:
        return tuple(range(input.ndim))
    dims = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    n = max(input.ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
    return dims


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Roll each dimension in ``dim`` (default all) by ⌊size/2⌋: frequency 0 to the centre."""
    dims = _dims(input, dim)
    return input.roll([input.size(d) // 2 for d in dims], dims)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of ``fftshift``: roll each dimension in ``dim`` by ⌈size/2⌉."""
    dims = _dims(input, dim)
    return input.roll([(input.size(d) + 1) // 2 for d in dims], dims)


# ---------------------------------------------------------------------------------------------
# the transforms: complex results, which gradiente cannot hold


class ComplexUnsupportedError(NotImplementedError):
    """A transform gradiente cannot compute: its result is complex (``gradiente run`` prints
    this error's one line, as for any torch API gradiente lacks)."""


def _needs_complex(name: str):
    def transform(*args, **kwargs):
        raise ComplexUnsupportedError(
            f"torch.fft.{name} is not supported by gradiente: it computes with complex numbers "
            "and gradiente has no complex dtype (torch.fft's fftfreq, rfftfreq, fftshift and "
            "ifftshift are available)"
        )

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"``torch.fft.{name}``: raises ``ComplexUnsupportedError`` (no complex)."
    return transform


fft = _needs_complex("fft")
ifft = _needs_complex("ifft")
fft2 = _needs_complex("fft2")
ifft2 = _needs_complex("ifft2")
fftn = _needs_complex("fftn")
ifftn = _needs_complex("ifftn")
rfft = _needs_complex("rfft")
irfft = _needs_complex("irfft")
rfft2 = _needs_complex("rfft2")
irfft2 = _needs_complex("irfft2")
rfftn = _needs_complex("rfftn")
irfftn = _needs_complex("irfftn")
hfft = _needs_complex("hfft")
ihfft = _needs_complex("ihfft")
hfft2 = _needs_complex("hfft2")
ihfft2 = _needs_complex("ihfft2")
hfftn = _needs_complex("hfftn")
ihfftn = _needs_complex("ihfftn")
