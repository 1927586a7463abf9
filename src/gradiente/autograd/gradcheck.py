"""Finite-difference gradient check: compare autograd's Jacobian with central differences."""

from __future__ import annotations

import warnings

from gradiente import random as _random
from gradiente.autograd import function as _function
from gradiente.autograd.backward import grad as autograd_grad
from gradiente.autograd.grad_mode import enable_grad
from gradiente.backend import xp


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Check ``func``'s gradients against central differences (f(x+ε) − f(x−ε)) / 2ε.

    Every floating input with ``requires_grad`` is perturbed element by element; for each output
    element the analytical row of the Jacobian (from ``autograd.grad``) must match the numerical
    one within ``atol + rtol·|numerical|``. Inputs should be float64. Returns True, or raises
    with the worst element.
    """
    Tensor = _function._Tensor
    inputs = _as_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != xp.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                stacklevel=2,
            )

    # Every floating output counts; one that does not require grad has an analytical Jacobian
    # of zeros (so a backward that loses the graph is caught, not skipped).
    outputs = _selected(func(*inputs))
    out_arrays = [o._data.copy() for o in outputs]

    # Numerical Jacobian, one column per input element.
    numerical = []
    for x in diff_inputs:
        data = x._data
        cols = []
        # Perturb the tensor's own memory element by element (works for non-contiguous views).
        # func runs in the caller's grad mode, as in torch, so a func that calls autograd.grad
        # itself (a gradient penalty, a MAML inner step) works; the raw-array writes below
        # are invisible to autograd.
        for idx in xp.ndindex(data.shape):
            orig = data[idx].copy()
            data[idx] = orig + eps
            plus = [o._data.astype(xp.float64).reshape(-1).copy() for o in _selected(func(*inputs))]
            data[idx] = orig - eps
            minus = [
                o._data.astype(xp.float64).reshape(-1).copy() for o in _selected(func(*inputs))
            ]
            data[idx] = orig
            cols.append(xp.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
        numerical.append(xp.stack(cols, axis=1) if cols else xp.zeros((0, 0)))

    # Analytical Jacobian, one row per output element (a vector-Jacobian product each).
    total_out = sum(a.size for a in out_arrays)
    analytical = [xp.zeros((total_out, x._data.size)) for x in diff_inputs]
    row = 0
    for o, arr in zip(outputs, out_arrays):
        for j in range(arr.size):
            seed = xp.zeros(arr.size, dtype=arr.dtype)
            seed[j] = 1
            if not o.requires_grad:
                row += 1
                continue
            grads = autograd_grad(
                [o],
                diff_inputs,
                [Tensor._make(seed.reshape(arr.shape))],
                retain_graph=True,
                allow_unused=True,
            )
            for k, g in enumerate(grads):
                if g is not None:
                    analytical[k][row] = g._data.reshape(-1)
            row += 1

    # torch compares output by output, input by input, each Jacobian shown as its
    # (input elements, output elements) matrix
    first = 0
    for i, arr in enumerate(out_arrays):
        rows = slice(first, first + arr.size)
        first += arr.size
        for k, (a, n) in enumerate(zip(analytical, numerical)):
            n = n if n.shape == a.shape else n.reshape(a.shape)
            a, n = a[rows].T, n[rows].T
            if a.size and (xp.abs(a - n) > atol + rtol * xp.abs(n)).any():
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {i} with respect to input {k},\n"
                    f"numerical:{Tensor._make(n)!r}\nanalytical:{Tensor._make(a)!r}\n"
                )
    return True


def _selected(out):
    Tensor = _function._Tensor
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, **kwargs):
    """Check second derivatives: gradcheck of the function x -> d(func)/dx · v."""
    Tensor = _function._Tensor
    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        # uniform on [-1, 1) from the global generator, one draw per output, as torch's
        # gradgradcheck does (torch.testing.make_tensor), so later random numbers match too
        grad_outputs = [
            Tensor._make(_random.uniform(o._data.shape, o._data.dtype, -1.0, 1.0, None))
            for o in outs
        ]

    def first_grad(*xs):
        with enable_grad():  # the inner graph is needed even if the caller disabled grad
            out = _as_tuple(func(*xs))
            diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
            gs = autograd_grad(out, diff, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol)
