"""bfloat16 as a storage dtype: how an op computes when one of its inputs is bfloat16.

bfloat16 keeps float32's sign and 8 exponent bits but only 7 of its 23 mantissa bits, so
every bfloat16 number is exactly a float32 number and the cast up is free of error. PyTorch's
CPU kernels never do arithmetic in bfloat16: they load bfloat16, compute in float32 and round
the result to bfloat16 once, to nearest (ties to even). Reductions and matrix products
accumulate in float32 too. gradiente does the same, at one seam: ``Function.apply`` sends an op
with a bfloat16 input here, and the op's entry in ``RULES`` says what happens:

- ``"bits"``: the op only moves bits (reshape, transpose, indexing, cat, a cast, ...): it runs
  as usual on the bfloat16 arrays (NumPy handles ml_dtypes' dtype there), exact by nature;
- ``"float32"``: the bfloat16 inputs are widened to float32, the op's ordinary float32 kernel
  runs, and each float32 output is rounded to bfloat16 once. Its backward runs the same way:
  the incoming gradients and the saved values are float32 (the saved output is the *rounded*
  one, as torch saves it), the float32 backward runs, and the engine rounds each input's
  gradient to bfloat16 once, when it casts the gradient to the input's dtype;
- ``"forward"``: as ``"float32"`` forward, but its backward raises, because torch's backward
  formula for it rounds between steps (``-grad * ((a / b) / b)`` is four bfloat16 ops) and a
  one-rounding float32 backward would give other bits;
- ``"composite"``: as ``"float32"`` forward; the backward runs the op's Tensor-op derivative
  on the bfloat16 tensors themselves, each op rounded, as torch's autograd formula does;
- no entry: the op raises ``RuntimeError("... not implemented for 'BFloat16'")`` rather than
  return numbers that differ from torch's.

float16 goes through the same seam: an op whose rule is ``"float32"`` (or in ``HALF_RULES``),
or that has a float16 variant (``HALF_VARIANTS``), is computed in float32 and rounded to
float16 once, as torch's Half kernels do; every other op runs on the float16 arrays as before
(NumPy computes each float16 step in float32 and rounds it). Its backward may be differentiated
again: its float32 copies are then recorded casts (``create_graph=True`` works for float16).

Some of torch's bfloat16 kernels round *between* steps (log_softmax stores the sum of
exponentials and its log as bfloat16; nll_loss adds its terms in bfloat16). Such an op gets a
*variant*: a subclass, registered with ``variants=``, that replaces it on bfloat16 input. It
runs under the ``"float32"`` rule (widened inputs, float32 arrays), and calls ``rounded`` where
torch's kernel rounds; the final rounding is then exact, as are the engine's.

Which ops get which rule is one table, ``ops/bfloat16.py``; its test checks every entry
against torch bit for bit. Differentiating a bfloat16 backward again (``create_graph=True``)
is refused. A ``Function`` written by a user (``forward`` with Tensor ops) runs unchanged: its
inner ops come through this seam one by one, as in torch.
"""

from __future__ import annotations

from gradiente import backend as B
from gradiente.autograd import function as _function
from gradiente.autograd.function import _SavedOutput
from gradiente.autograd.grad_mode import grad_state

_F32 = B.float32.np
_BF16 = B.BF16
_F16 = B.xp.dtype(B.xp.float16)

# Function class -> "bits" | "float32" | "forward" (filled in by ``ops/bfloat16.py``)
RULES: dict[type, str] = {}
# Ops whose Python-number operand torch first rounds to bfloat16 (``x + 0.3`` adds 0.30078125;
# ``x * 0.3`` multiplies by float32's 0.3)
ROUNDS_SCALARS: set[type] = set()
# Function class -> the subclass that computes it as torch's bfloat16 kernel does
VARIANTS: dict[type, type] = {}
# Function class -> f(args) giving torch's op name for the refusal message, where one class
# serves several torch ops (normalisation: batch, layer and group norm)
REFUSAL_NAMES: dict = {}
# Ops of the table whose float16 version torch computes otherwise (they run as NumPy computes
# float16, each step rounded); every other "float32" entry is computed the same way for float16
HALF_NATIVE: set[type] = set()
# Function class -> the subclass that computes its float16 version as torch's Half kernel does
HALF_VARIANTS: dict[type, type] = {}
# Ops computed in float32 for float16 input only (their bfloat16 version stays refused)
HALF_RULES: dict[type, str] = {}


def register(
    rules: dict[type, str],
    rounds_scalars=(),
    variants=None,
    names=None,
    half_variants=None,
    half_rules=None,
) -> None:
    """Add ``{FunctionClass: rule}`` entries to the table (see the module docstring), the ops
    that round a Python-number operand to bfloat16 first, ``{FunctionClass: Variant}``
    replacements (each runs as ``"float32"``; ``half_variants`` for float16 input) and
    ``{FunctionClass: f(args) -> op name}`` for refusal messages; ``half_rules`` are rules for
    float16 input alone. A variant finds the 16-bit dtype it computes for in ``ctx.narrow``."""
    for cls, rule in rules.items():
        if rule not in ("bits", "float32", "forward", "composite"):
            raise ValueError(f"unknown bfloat16 rule {rule!r} for {cls.__name__}")
        RULES[cls] = rule
    ROUNDS_SCALARS.update(rounds_scalars)
    for cls, variant in (variants or {}).items():
        VARIANTS[cls] = variant
        RULES[variant] = "float32"
    HALF_RULES.update(half_rules or {})
    for cls, variant in (half_variants or {}).items():
        HALF_VARIANTS[cls] = variant
        RULES[variant] = "float32"
    REFUSAL_NAMES.update(names or {})


def rounded(array, narrow=_BF16):
    """A float32 array rounded to bfloat16 (or ``narrow``) and back: the value a store of that
    16-bit type keeps."""
    return array.astype(narrow).astype(_F32)


def not_implemented(name: str) -> RuntimeError:
    """torch's wording for a kernel that has no bfloat16 version."""
    return RuntimeError(f"\"{name}\" not implemented for 'BFloat16'")


def apply(cls, args, kwargs, record: bool, device):
    """``cls.apply(*args, **kwargs)`` for an op with at least one bfloat16 or float16 input;
    ``NotImplemented`` where a float16 op runs on the float16 arrays as usual."""
    Tensor = _function._Tensor
    dtypes = {a._data.dtype for a in args if isinstance(a, Tensor)}
    if _BF16 not in dtypes:
        return _apply_float16(cls, args, kwargs, record, device, dtypes)
    cls = VARIANTS.get(cls, cls)
    rule = _rule_of(cls)
    if rule is None:
        if not cls._array_forward:
            rule = "bits"  # a Tensor-level forward: its own ops come through here one by one
        else:
            name = REFUSAL_NAMES.get(cls)
            raise not_implemented(
                name(args) if name else cls.backward_name.removesuffix("Backward0")
            )
    ctx = cls._node_class()
    if rule == "bits":
        out = _function._run_forward(cls, ctx, args, kwargs)
        return _function._finish(cls, ctx, out, args, kwargs, record, device)
    if cls in ROUNDS_SCALARS:
        args = tuple(_rounded_scalar(a) if isinstance(a, float) else a for a in args)
    # Round only when bfloat16 is the op's float type: a float32 or float64 input (in ops that
    # take mixed dtypes) makes that the result type, as torch's promotion does.
    narrow = _BF16 if not any(d.kind == "f" for d in dtypes) else None
    return _run_widened(cls, ctx, rule, (args, kwargs), record, device, narrow)


def _apply_float16(cls, args, kwargs, record, device, dtypes):
    """A float16 op: computed in float32 and rounded once where the table says torch's Half
    kernel does (``HALF_IN_FLOAT32``), otherwise (``NotImplemented``) on the float16 arrays,
    as NumPy computes them. A float32 or float64 input makes the op run as usual, too."""
    if {d for d in dtypes if d.kind in "fc"} != {_F16}:  # (integer inputs: indices, targets)
        return NotImplemented
    variant = HALF_VARIANTS.get(cls)
    applies = getattr(variant, "half_applies", None)  # (a variant may cover some calls only)
    if variant is not None and (applies is None or applies(args)):
        cls = variant
    if _float16_rule(cls) != "float32":
        return NotImplemented
    if cls in ROUNDS_SCALARS:
        args = tuple(_rounded_scalar(a, _F16) if isinstance(a, float) else a for a in args)
    return _run_widened(cls, cls._node_class(), "float32", (args, kwargs), record, device, _F16)


def _float16_rule(cls):
    """The rule for a float16 op: ``HALF_RULES``' or the bfloat16 table's, unless
    ``HALF_NATIVE`` lists it."""
    for k in cls.__mro__:
        if k in HALF_NATIVE:
            return None
        rule = HALF_RULES.get(k) or RULES.get(k)
        if rule is not None:
            return rule
    return None


def _run_widened(cls, ctx, rule, call, record, device, narrow):
    """Run ``cls`` on float32 copies of its 16-bit inputs and round its float32 outputs to
    ``narrow`` (none when ``narrow`` is None); its backward then runs in float32 too."""
    args, kwargs = call
    Tensor = _function._Tensor
    wide = tuple(
        _widen(a, narrow is _F16) if isinstance(a, Tensor) and a._data.dtype in (_BF16, _F16) else a
        for a in args
    )
    ctx.narrow = narrow
    out = _function._run_forward(cls, ctx, wide, kwargs)
    if narrow is not None:
        out = _round_outputs(ctx, out, narrow)
    result = _function._finish(cls, ctx, out, args, kwargs, record, device)
    if record and rule == "composite":  # the backward runs on the 16-bit tensors themselves
        ctx.__dict__["_bf16"] = rule
        originals = {id(w): a for w, a in zip(wide, args) if w is not a}
        ctx._saved = tuple(originals.get(id(item), item) for item in ctx._saved)
    elif record:
        ctx.__dict__["_bf16"] = rule
        for item in ctx._saved:
            if isinstance(item, _SavedOutput) and item.array.dtype in (_BF16, _F16):
                item.array = item.array.astype(_F32)  # the rounded output, exactly, in float32
    return result


def _rule_of(cls):
    """The table's rule for ``cls`` or its nearest listed base class (``T`` is a
    ``Transpose``, ``Bmm`` a ``MatMul``)."""
    for k in cls.__mro__:
        rule = RULES.get(k)
        if rule is not None:
            return rule
    return None


def _rounded_scalar(x: float, dtype=_BF16) -> float:
    """A Python float rounded to bfloat16 or float16 (through float32, as torch casts it)."""
    return float(B.cast(B.xp.asarray(x, dtype=_F32), dtype))


def _widen(t, recorded=False):
    """A float32 copy of 16-bit tensor ``t`` (exact), sharing its version counter so that an
    in-place change of ``t`` still invalidates what backward saved. ``recorded``: the copy is
    a recorded cast of ``t`` (float16), so that a backward pass differentiated again
    (``create_graph=True``) reaches ``t`` through what the op saved."""
    if recorded and t._requires_grad and grad_state.enabled:
        wide = t.float()
    else:
        wide = _function._Tensor._make(t._data.astype(_F32), t._requires_grad, None)
    wide._version_counter = t._get_version_counter()
    return wide


def _round_outputs(ctx, out, narrow=_BF16):
    """Each float32 output rounded to ``narrow`` (bfloat16 or float16); a saved output is
    replaced by its rounded version (torch saves the 16-bit result)."""
    if isinstance(out, tuple):
        return tuple(_round_outputs(ctx, o, narrow) for o in out)
    data = out._data if isinstance(out, _function._Tensor) else out
    if getattr(data, "dtype", None) != _F32:
        return out
    rounded = data.astype(narrow)
    if ctx._saved:
        ctx._saved = tuple(rounded if item is out else item for item in ctx._saved)
    return rounded


def widen_grads(node, grads):
    """The gradients given to a bfloat16 node's backward, in float32; or torch-like errors for
    backward passes that would not give torch's bits."""
    if grad_state.enabled:
        if node.__dict__.get("narrow") is _F16:  # float16: a differentiable float32 backward
            return [g.float() if g is not None and g._data.dtype is _F16 else g for g in grads]
        raise RuntimeError(
            f"{node.name()}: differentiating a backward pass through bfloat16 ops "
            "(create_graph=True) is not implemented for 'BFloat16'"
        )
    if node.__dict__["_bf16"] == "forward":
        raise not_implemented(node.name())
    if node.__dict__["_bf16"] == "composite":  # its Tensor-op backward rounds step by step
        return grads
    Tensor = _function._Tensor
    return [
        Tensor._make(g._data.astype(_F32), False, None)
        if g is not None and g._data.dtype in (_BF16, _F16)
        else g
        for g in grads
    ]


_function._register_reduced_apply(apply)
