"""Window functions: ``torch.signal.windows`` (SciPy's definitions, ``sym=True`` by default) and
torch's top-level factories ``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window`` and ``kaiser_window`` (``periodic=True`` by default).

A window of length M is w(n) for n = 0 .. M−1. A *symmetric* window (``sym=True``, or
``periodic=False``) is the sampled curve with w(0) = w(M−1); a *periodic* one, for spectral
analysis, is the symmetric window of length M + 1 without its last sample. With N = M − 1
(symmetric) or M (periodic):

    general cosine   w(n) = Σᵢ (−1)ⁱ aᵢ cos(2πin / N)      (hann: a = ½, ½; hamming: .54, .46;
                                                           blackman: .42, .5, .08; nuttall)
    bartlett         w(n) = 1 − |2n/N − 1|
    kaiser           w(n) = I₀(β √(1 − (2n/N − 1)²)) / I₀(β)
    gaussian         w(n) = exp(−(n − N/2)² / (2σ²))
    exponential      w(n) = exp(−|n − center| / τ)
    cosine           w(n) = sin(π(n + ½) / (N + 1))

Each is computed with the same Tensor operations, in the same order and dtype, as torch's own
code, so float32 windows agree with torch's to the last bit or two; the ``torch.signal``
windows are differentiable compositions (``requires_grad=True`` gives a graph, as in torch),
the top-level factories leaves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from gradiente import backend as B
from gradiente.tensor import Tensor, arange, empty, linspace, ones, tensor
from gradiente.tensor.common import _CPP_TYPE_NAMES

__all__ = [
    "bartlett",
    "blackman",
    "cosine",
    "exponential",
    "gaussian",
    "general_cosine",
    "general_hamming",
    "hamming",
    "hann",
    "kaiser",
    "nuttall",
]


# ---------------------------------------------------------------------------------------------
# torch.signal.windows


def _checks(name: str, M: int, dtype, layout) -> None:
    """The checks every ``torch.signal.windows`` function makes first, with torch's wording."""
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if B.to_dtype(dtype).name not in ("float32", "float64"):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {B.to_dtype(dtype)}")


def _dtype(dtype):
    return B.get_default_dtype() if dtype is None else dtype


def _trivial(M: int, dtype, device, requires_grad):
    """The windows of length 0 (empty) and 1 (a single 1), or None."""
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


def exponential(
    M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
    requires_grad=False,
) -> Tensor:  # fmt: skip
    """The exponential (Poisson) window exp(−|n − center| / τ)."""
    dtype = _dtype(dtype)
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = linspace(
        -center * constant, (-center + (M - 1)) * constant, M, dtype=dtype, device=device,
        requires_grad=requires_grad,
    )  # fmt: skip
    return (-k.abs()).exp()


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The cosine (sine) window sin(π(n + ½) / M)."""
    dtype = _dtype(dtype)
    _checks("cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = 0.5
    constant = math.pi / (M + 1 if not sym and M > 1 else M)
    k = linspace(
        start * constant, (start + (M - 1)) * constant, M, dtype=dtype, device=device,
        requires_grad=requires_grad,
    )  # fmt: skip
    return k.sin()


def gaussian(
    M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """The Gaussian window exp(−(n − N/2)² / (2σ²))."""
    dtype = _dtype(dtype)
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = linspace(
        start * constant, (start + (M - 1)) * constant, M, dtype=dtype, device=device,
        requires_grad=requires_grad,
    )  # fmt: skip
    return (-(k**2)).exp()


def kaiser(
    M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """The Kaiser window I₀(β √(1 − (2n/N − 1)²)) / I₀(β)."""
    dtype = _dtype(dtype)
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    beta = tensor(beta, dtype=dtype)  # rounded to the window's dtype first, as in torch
    start = -beta
    constant = 2.0 * beta / (M if not sym else M - 1)
    end = beta.minimum(start + (M - 1) * constant)
    k = linspace(
        start.item(), end.item(), M, dtype=dtype, device=device, requires_grad=requires_grad
    )
    return (beta * beta - k.pow(2)).sqrt().i0() / beta.i0()


def general_cosine(
    M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """The generalized cosine window Σᵢ (−1)ⁱ aᵢ cos(2πin / N)."""
    dtype = _dtype(dtype)
    _checks("general_cosine", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * math.pi / (M if not sym else M - 1)
    k = linspace(0, (M - 1) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad)
    a_i = tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype, requires_grad=requires_grad)
    i = arange(a_i.shape[0], dtype=a_i.dtype)
    return (a_i.unsqueeze(-1) * (i.unsqueeze(-1) * k).cos()).sum(0)


def general_hamming(
    M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False
) -> Tensor:
    """The generalized Hamming window α − (1 − α) cos(2πn / N)."""
    return general_cosine(
        M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
        requires_grad=requires_grad,
    )  # fmt: skip


def _named_cosine(name: str, a, doc: str, own_checks: bool = False):
    """A general cosine window with fixed coefficients ``a`` (hann, hamming, ...); torch checks
    the arguments under the window's own name for blackman only (``own_checks``), under
    general_cosine's for the others."""

    def window(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
        if own_checks:
            _checks(name, M, _dtype(dtype), layout)
        return general_cosine(
            M, a=a, sym=sym, dtype=dtype, layout=layout, device=device,
            requires_grad=requires_grad,
        )  # fmt: skip

    window.__name__ = window.__qualname__ = name
    window.__doc__ = doc
    return window


hann = _named_cosine("hann", [0.5, 0.5], "The Hann window ½ − ½ cos(2πn / N).")
hamming = _named_cosine("hamming", [0.54, 0.46], "The Hamming window 0.54 − 0.46 cos(2πn / N).")
blackman = _named_cosine(
    "blackman",
    [0.42, 0.5, 0.08],
    "The Blackman window 0.42 − ½ cos(2πn/N) + 0.08 cos(4πn/N).",
    own_checks=True,
)
nuttall = _named_cosine(
    "nuttall",
    [0.3635819, 0.4891775, 0.1365995, 0.0106411],
    "Nuttall's minimum 4-term Blackman–Harris window.",
)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The Bartlett (triangular) window 1 − |2n/N − 1|."""
    dtype = _dtype(dtype)
    _checks("bartlett", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    start = -1
    constant = 2 / (M if not sym else M - 1)
    k = linspace(
        start, start + (M - 1) * constant, M, dtype=dtype, device=device,
        requires_grad=requires_grad,
    )  # fmt: skip
    return 1 - k.abs()


# ---------------------------------------------------------------------------------------------
# torch's top-level window factories (``torch.hann_window``, ...): leaves


def _factory_checks(name: str, window_length: int, dtype, requires_grad: bool) -> None:
    """torch's ``window_function_checks``, with its wording."""
    dtype = B.to_dtype(dtype)
    if not B.is_float(dtype.np):
        grad = "true" if requires_grad else "false (default)"
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_CPP_TYPE_NAMES.get(dtype.name, dtype.name)}, device=cpu, layout=Strided "
            f"(default), requires_grad={grad}, pinned_memory=false, memory_format=(nullopt))"
        )
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )


def _factory(name: str, window_length, periodic, dtype, device, requires_grad, compute):
    """The shared frame of the factories: checks, the lengths 0 and 1, the periodic window as
    the symmetric one of length M + 1 without its last sample; ``compute(n, length)`` gets the
    sample indices n = 0 .. length − 1 in the window's dtype."""
    dtype = _dtype(dtype)
    _factory_checks(name, window_length, dtype, requires_grad)
    if window_length in (0, 1):
        return ones((window_length,), dtype=dtype, device=device, requires_grad=requires_grad)
    length = window_length + 1 if periodic else window_length
    window = compute(arange(length, dtype=dtype), length)[:window_length].detach().clone()
    return window.to(device).requires_grad_(requires_grad)


def hamming_window(
    window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None,
    device=None, pin_memory=False, requires_grad=False,
) -> Tensor:  # fmt: skip
    """The Hamming window α − β cos(2πn / N) (periodic by default)."""

    def compute(n, length):
        return (n * (math.pi * 2.0 / (length - 1))).cos() * -beta + alpha

    return _factory(
        "hamming_window", window_length, periodic, dtype, device, requires_grad, compute
    )


def hann_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
    requires_grad=False,
) -> Tensor:  # fmt: skip
    """The Hann window ½ − ½ cos(2πn / N) (periodic by default)."""
    _factory_checks("hann_window", window_length, _dtype(dtype), requires_grad)
    return hamming_window(
        window_length, periodic, 0.5, 0.5, dtype=dtype, device=device, requires_grad=requires_grad
    )


def blackman_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
    requires_grad=False,
) -> Tensor:  # fmt: skip
    """The Blackman window 0.42 − ½ cos(2πn/N) + 0.08 cos(4πn/N) (periodic by default)."""

    def compute(n, length):
        x = n * (math.pi / (length - 1))
        return (x * 4).cos() * 0.08 - (x * 2).cos() * 0.5 + 0.42

    return _factory(
        "blackman_window", window_length, periodic, dtype, device, requires_grad, compute
    )


def bartlett_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
    requires_grad=False,
) -> Tensor:  # fmt: skip
    """The Bartlett (triangular) window 1 − |2n/N − 1| (periodic by default)."""

    def compute(n, length):
        x = n * (2.0 / (length - 1))
        first_half = ((length - 1) >> 1) + 1  # rising samples 2n/N; the rest fall as 2 − 2n/N
        return x.where(n < first_half, 2 - x)

    return _factory(
        "bartlett_window", window_length, periodic, dtype, device, requires_grad, compute
    )


def kaiser_window(
    window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
    pin_memory=False, requires_grad=False,
) -> Tensor:  # fmt: skip
    """The Kaiser window I₀(β √|1 − ((n − α)/α)²|) / I₀(β), α = N/2 (periodic by default)."""

    def compute(n, length):
        alpha = (length - 1) / 2.0
        b = tensor(beta, dtype=n.dtype)
        ratio = (n - alpha) / alpha
        return (b * (1 - ratio**2).abs().sqrt()).i0() / b.i0()

    return _factory("kaiser_window", window_length, periodic, dtype, device, requires_grad, compute)
