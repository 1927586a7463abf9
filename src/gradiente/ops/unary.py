"""Element-wise ops y = f(x): one way to write them, for math (exp, log, ...) and activations.

An op is one row — a ``Unary`` subclass, or a call of ``unary(...)`` — that gives:

- ``f(x, *args)``: the forward on arrays; ``args`` are the op's Python-number options (a slope,
  an alpha, ...);
- ``derivative(x, y, g, *args)``: dL/dx = g · f'(x), written with Tensor operations (the
  backward vocabulary of ``autograd/function.py``). Under ``create_graph=True`` it is recorded
  like any other computation, so second, third, ... derivatives come for free;
- optionally ``fast(x, y, g, *args)``: the same product on arrays, one fused NumPy expression,
  used when no graph is recorded (the ordinary first-order backward);
- ``saves``: what the derivative reads, the input x (``"input"``), the output y (``"output"``,
  e.g. exp, tanh, sigmoid) or both.

Activations also say what integer inputs do (``on_integers``) and where PyTorch's backward
masks the gradient to exactly zero (``blocked``), so a NaN upstream gradient stays out there.
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import get_default_dtype, torch_type_name, xp
from gradiente.ops.array_function import ArrayFunction


def sigmoid(x):
    """σ(x) = 1/(1 + e^(−x)) = e^x/(1 + e^x) on arrays, taking the form whose exponent is ≤ 0
    (no overflow for large |x|). Below the point where torch's e^(−x) overflows to inf
    (about −88.7 in float32), σ(x) is exactly 0 as in torch, not a denormal."""
    e = xp.exp(-xp.abs(x))
    y = xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return xp.where(x < -_exp_overflow(x.dtype), 0.0, y).astype(x.dtype, copy=False)


def _exp_overflow(dtype) -> float:
    """The x above which torch's e^x is inf: float64 in double precision, float32 otherwise
    (torch computes float16 and bfloat16 in float32)."""
    return 709.782712893384 if dtype == xp.float64 else 88.72283172607422


def _array(t):
    return None if t is None else t._data


class Unary(ArrayFunction):
    """Base of the element-wise ops y = f(x, *args) (see the module docstring)."""

    _torch_layout = True  # torch's memory order for its result (autograd.function)

    saves = "input"
    fast = None
    # what an integer or bool input does: None (the caller chose the dtype already), "raise"
    # (PyTorch has no integer kernel), "float" (computed in the default float dtype, as for
    # ``softsign``, which PyTorch composes from a true division) or "keep" (exact on integers)
    on_integers = None
    # (exception type, message) for a bool input where PyTorch's message differs from the
    # integer one; None: bools are treated as integers
    on_bool = None
    # blocked(x, *args): where PyTorch's backward sets the gradient to exactly 0 (a NaN or
    # infinite upstream gradient gives 0 there, not g · 0); None: nowhere
    blocked = None

    @staticmethod
    def f(x, *args):
        raise NotImplementedError

    @staticmethod
    def derivative(x, y, g, *args):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, a, *args):
        cls = type(ctx)
        x = a._data
        if cls.on_integers is not None and x.dtype.kind != "f":
            x = integer_input(cls, x)
        y = cls.f(x, *args)
        ctx.args = args
        if cls.saves == "input":
            ctx.save_for_backward(a)
        elif cls.saves == "output":
            ctx.save_for_backward(y)
        else:
            ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        cls = type(ctx)
        saved = ctx.saved_tensors
        x = None if cls.saves == "output" else saved[0]
        y = None if cls.saves == "input" else saved[-1]
        args = ctx.args
        if cls.fast is not None and not grad_state.enabled:
            out = cls.fast(_array(x), _array(y), grad._data, *args)
            if cls.blocked is not None:
                mask = cls.blocked(x._data, *args)
                out = xp.where(mask, 0, out).astype(out.dtype, copy=False)
        else:
            out = cls.derivative(x, y, grad, *args)
            if cls.blocked is not None:
                out = out.masked_fill(type(grad)._make(cls.blocked(x._data, *args)), 0.0)
            if x is not None and x._requires_grad and not out._requires_grad:
                out = FlatIn.apply(out, x)  # f' is piecewise constant: keep x in the graph
        return (out, *(None,) * len(args))


class FlatIn(ArrayFunction):
    """``value``, recorded as a function of ``x`` that is flat in x.

    The derivative of a piecewise-linear op (relu, leaky_relu, hardswish, ...) is constant in x
    almost everywhere, so written with Tensor ops it does not depend on x at all. PyTorch's
    double-backward nodes keep x as an input anyway; so does this op, so that the second
    derivative is zeros rather than "x was not used in the graph" (and, as in PyTorch, those
    zeros depend on nothing: a third derivative is refused).
    """

    backward_name = "FlatBackward0"

    @staticmethod
    def forward(ctx, value, x):
        ctx.shape = x._data.shape
        return value._data

    @staticmethod
    def backward(ctx, grad):
        return grad, grad.new_zeros(ctx.shape)  # zeros that depend on nothing, as PyTorch's


class Activation(Unary):
    """An activation: ``f`` and ``df`` (f'(x)) on arrays, ``dfdx`` (f'(x)) with Tensor ops.

    Most activations have no integer kernel in PyTorch (``on_integers = "raise"``).
    """

    on_integers = "raise"

    @staticmethod
    def df(x, *args):
        raise NotImplementedError

    @staticmethod
    def dfdx(x, *args):
        raise NotImplementedError

    @classmethod
    def fast(cls, x, y, g, *args):
        return g * cls.df(x, *args)

    @classmethod
    def derivative(cls, x, y, g, *args):
        return g * cls.dfdx(x, *args)


def unary(name: str, f, derivative, saves: str = "input", doc: str | None = None) -> type:
    """One table row: the ``Unary`` op ``name`` (backward node ``{name}Backward0``) computing
    ``f`` forward and ``derivative(x, y, g)`` backward."""
    return type(
        name,
        (Unary,),
        {
            "backward_name": f"{name}Backward0",
            "f": staticmethod(f),
            "derivative": staticmethod(derivative),
            "saves": saves,
            "__doc__": doc or f"Element-wise {name.lower()} and its derivative.",
            "__module__": __name__,
        },
    )


def mask(condition, like):
    """A bool Tensor ``condition`` as 0/1 in ``like``'s dtype (a piecewise-constant factor)."""
    return condition.to(like.dtype)


def integer_input(op, x):
    """An integer/bool array given to ``op``: converted or refused (see ``on_integers``), with
    PyTorch's NotImplementedError wording."""
    if x.dtype == xp.bool_ and op.on_bool is not None:
        error, message = op.on_bool
        raise error(message)
    if op.on_integers == "keep":
        return x
    if op.on_integers == "float":
        return x.astype(get_default_dtype().np)
    name = op.backward_name.removesuffix("Backward0").removesuffix("Backward").lower()
    kernel = getattr(op, "int_kernel", f"{name}_cpu")  # (where torch's kernel is named otherwise)
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(x.dtype)}'")
