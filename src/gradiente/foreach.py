"""``torch._foreach_*``: one op applied to every tensor of a list.

torch fuses these into few kernels for speed; optimizers use them internally, and programs
call them for weight averaging (``torch._foreach_lerp_(ema_params, params, 1 - decay)``, as
timm's model EMA does), gradient scaling and clipping. Here each is a plain loop over the
matching tensor method, so autograd, dtypes and broadcasting are the method's.

An out-of-place op returns a tuple of new tensors; an in-place one (name ending in ``_``)
changes the tensors and returns the list it was given. The second operand of a binary op may
be a number, a tensor (used with every tensor), a list of numbers or a list of tensors of the
same length.
"""

from __future__ import annotations

from gradiente.tensor import Tensor

_UNARY = (
    "abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 log1p "
    "log2 neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc"
).split()
# torch's op name -> the tensor method that computes it
_BINARY = {
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "div": "div",
    "maximum": "maximum",
    "minimum": "minimum",
    "clamp_min": "clamp_min",
    "clamp_max": "clamp_max",
    "pow": "pow",
}


def _tensors(tensors) -> list:
    """The list of tensors, with torch's error for an empty one."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("Tensor list must have at least one tensor.")
    return tensors


def _per_tensor(other, n: int) -> list:
    """The second operand for each of ``n`` tensors: a list as it is (checked for length),
    a number or a single tensor repeated."""
    if isinstance(other, (list, tuple)):
        if len(other) != n:
            if other and isinstance(other[0], Tensor):
                raise RuntimeError(
                    f"Tensor lists must have the same number of tensors, got {n} and {len(other)}"
                )
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        return list(other)
    return [other] * n


def _returned(tensors, results, inplace: bool):
    """What torch returns: the list given (in place) or a tuple of the results."""
    return tensors if inplace else tuple(results)


def _call(t, method: str, other, kwargs: dict):
    """``t.method(other)``; an in-place op without a tensor method (``maximum_``) computes
    out of place and copies the result into t. ``maximum``/``minimum`` with a number are
    ``clamp_min``/``clamp_max`` (torch's foreach ops take numbers there too)."""
    if not isinstance(other, Tensor) and method.startswith(("maximum", "minimum")):
        method = method.replace("maximum", "clamp_min").replace("minimum", "clamp_max")
    fn = getattr(t, method, None)
    if fn is None:
        return t.copy_(getattr(t, method[:-1])(other, **kwargs))
    return fn(other, **kwargs)


def _make_unary(name: str, inplace: bool):
    method = name + ("_" if inplace else "")

    def op(self):
        ts = _tensors(self)
        return _returned(self, [getattr(t, method)() for t in ts], inplace)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = f"``t.{method}()`` for each tensor t of the list."
    return op


def _make_binary(name: str, method: str, inplace: bool):
    method = method + ("_" if inplace else "")

    def op(self, other, *, alpha=None):
        if name == "pow" and not isinstance(self, (list, tuple)):
            # _foreach_pow(number, tensors): the number to each tensor's power
            ts = _tensors(other)
            return tuple(t.new_tensor(self).pow(t) for t in ts)
        ts = _tensors(self)
        kwargs = {} if alpha is None else {"alpha": alpha}
        results = [_call(t, method, o, kwargs) for t, o in zip(ts, _per_tensor(other, len(ts)))]
        return _returned(self, results, inplace)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = f"``t.{method}(other)`` for each tensor t of the list (and its own other)."
    return op


def _make_ternary(name: str, inplace: bool):
    method = name + ("_" if inplace else "")

    def op(self, tensor1, tensor2, value=1):
        ts = _tensors(self)
        values = value.tolist() if isinstance(value, Tensor) else value
        triples = zip(ts, _per_tensor(tensor1, len(ts)), _per_tensor(tensor2, len(ts)))
        results = [
            getattr(t, method)(a, b, value=v)
            for (t, a, b), v in zip(triples, _per_tensor(values, len(ts)))
        ]
        return _returned(self, results, inplace)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = f"``t.{method}(t1, t2, value=v)`` for each tensor t of the list."
    return op


def _make_lerp(inplace: bool):
    method = "lerp_" if inplace else "lerp"

    def op(self, tensors1, weight):
        ts = _tensors(self)
        pairs = zip(ts, _per_tensor(tensors1, len(ts)), _per_tensor(weight, len(ts)))
        return _returned(self, [getattr(t, method)(e, w) for t, e, w in pairs], inplace)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = "``t.lerp(end, weight)`` for each tensor t of the list."
    return op


def _foreach_norm(self, ord=2, dtype=None):
    """The vector ``ord``-norm of each tensor of the list (0-d tensors)."""
    from gradiente import linalg

    return tuple(linalg.vector_norm(t, ord, dtype=dtype) for t in _tensors(self))


def _foreach_max(self):
    """The largest element of each tensor of the list."""
    return tuple(t.max() for t in _tensors(self))


def _foreach_zero_(self):
    """Fill every tensor of the list with zeros."""
    for t in _tensors(self):
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    """Copy each tensor of ``src`` into the tensor at the same place of the list."""
    ts = _tensors(self)
    for t, s in zip(ts, _per_tensor(src, len(ts))):
        t.copy_(s, non_blocking=non_blocking)
    return self


def _foreach_clone(self):
    """A copy of each tensor of the list."""
    return tuple(t.clone() for t in _tensors(self))


def _all_ops() -> dict:
    ops = {}
    for inplace in (False, True):
        made = [_make_unary(n, inplace) for n in _UNARY]
        made += [_make_binary(n, m, inplace) for n, m in _BINARY.items()]
        made += [_make_ternary(n, inplace) for n in ("addcmul", "addcdiv")]
        made.append(_make_lerp(inplace))
        ops.update((op.__name__, op) for op in made)
    for op in (_foreach_norm, _foreach_max, _foreach_zero_, _foreach_copy_, _foreach_clone):
        ops[op.__name__] = op
    return ops


OPS = _all_ops()
globals().update(OPS)
__all__ = sorted(OPS)
