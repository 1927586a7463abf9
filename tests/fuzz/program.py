"""A fuzz program as data: inputs and steps, one interpreter for both libraries, Python source.

A program is a list of op records (``Step``) over named variables. The same records are run by
``run(lib, program)`` with ``lib`` = ``gradiente`` or ``torch`` (their APIs are the same), and
``program.source()`` prints them as a Python snippet that reproduces a mismatch when pasted into
a session with ``import torch as T; import torch.nn.functional as F`` (or gradiente's names).

Step kinds (``a``, ``b`` are arguments: a ``Var``, a ``Lit`` tensor literal or a Python value):

==========  =============================  ==========================================
kind        source                         notes
==========  =============================  ==========================================
func        ``out = T.fn(*args, **kw)``    ``fn`` may be ``F.name`` (nn.functional)
method      ``out = a.fn(*args, **kw)``    in-place methods (``mul_``) return ``a``
binop       ``out = a OP b``               ``fn`` is the operator, e.g. ``"//"``
unop        ``out = OP a``                 ``-`` or ``~``
getitem     ``out = a[index]``
setitem     ``a[index] = b``               statement: no output
iop         ``a OP= b`` / ``a[index] OP= b``  statement: augmented assignment
attr        ``out = a.name``               an attribute (``x.grad``, ``x.is_leaf``)
with        ``with T.no_grad(): <step>``   ``fn`` names a ``CONTEXTS`` entry; ``args[0]`` is
                                           the inner step, whose ``out`` the step shares
==========  =============================  ==========================================

Outputs may be one name or a tuple of names (``a, b = T.split(...)``); ``out="*name"`` keeps a
list-valued result (``split``/``chunk``) as one variable holding a list. A function name may
be dotted (``special.erf``, ``autograd.grad``). Besides ``Var`` and ``Lit``, an argument may be a
``DType``, a ``Gen`` (a new seeded ``T.Generator``) or a ``Fn`` (a lambda, e.g. a tensor hook),
each resolved against the library at run time.
"""

from __future__ import annotations

import contextlib
import math
import operator
from dataclasses import dataclass, field

import numpy as np

DTYPES = ("float32", "float64", "int64", "bool")


@dataclass(frozen=True)
class Var:
    """A reference to a program variable by name."""

    name: str

    def __repr__(self):
        return self.name


@dataclass(frozen=True, eq=False)
class Lit:
    """A constant tensor written in the program (index tensors, targets, weights)."""

    array: np.ndarray


@dataclass(eq=False)
class Input:
    """A leaf tensor: its values, dtype and whether it requires grad."""

    name: str
    array: np.ndarray
    requires_grad: bool = False


@dataclass(eq=False)
class Step:
    """One op record (see the module docstring for the kinds)."""

    kind: str
    fn: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    out: str | tuple | None = None
    index: object = None  # getitem/setitem/iop: the index expression

    @property
    def op(self):
        """A short name for the op, used to classify mismatches ("getitem", "F.conv2d", "%")."""
        if self.kind in ("getitem", "setitem"):
            return self.kind
        if self.kind == "iop":
            return f"{self.fn}= on view" if self.index is not None else f"{self.fn}="
        if self.kind in ("method", "attr"):
            return f".{self.fn}"
        if self.kind == "with":
            return f"{self.args[0].op} in {self.fn}"
        if self.kind == "func":
            return self.fn if self.fn.startswith("F.") else f"T.{self.fn}"
        return self.fn


@dataclass(eq=False)
class Program:
    inputs: list
    steps: list
    seed: int = 0  # seeds the random upstream gradient

    def source(self, failing=None):
        """The program as Python source; ``failing`` (a step number) is marked by a comment."""
        lines = ["import torch as T", "import torch.nn.functional as F", ""]
        for x in self.inputs:
            lines.append(f"{x.name} = {_tensor_source(x.array, x.requires_grad)}")
        for i, s in enumerate(self.steps):
            line = step_source(s)
            if i == failing:
                line += "  # <- mismatch here"
            lines.append(line)
        return "\n".join(lines)


# -- source rendering -----------------------------------------------------------------------


def _float_source(v):
    if math.isnan(v):
        return 'float("nan")'
    if math.isinf(v):
        return 'float("inf")' if v > 0 else '-float("inf")'
    return repr(float(v))


def _list_source(obj):
    if isinstance(obj, list):
        return "[" + ", ".join(_list_source(o) for o in obj) + "]"
    if isinstance(obj, float):
        return _float_source(obj)
    return repr(obj)


def _tensor_source(array, requires_grad=False):
    dtype = array.dtype.name
    text = f"T.tensor({_list_source(array.tolist())}, dtype=T.{dtype})"
    if array.ndim != 1 or array.size == 0:
        text += f".reshape({tuple(array.shape)!r})"
    if requires_grad:
        text += ".requires_grad_()"
    return text


def value_source(v):
    """Python source for an argument value."""
    if isinstance(v, Var):
        return v.name
    if isinstance(v, Lit):
        return _tensor_source(v.array)
    if isinstance(v, DType):
        return f"T.{v.name}"
    if isinstance(v, Gen):
        return f"T.Generator().manual_seed({v.seed})"
    if isinstance(v, Fn):
        return v.source
    if isinstance(v, float):
        return _float_source(v)
    if isinstance(v, tuple):
        inner = ", ".join(value_source(o) for o in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(value_source(o) for o in v) + "]"
    return repr(v)


def index_source(index):
    """Python source for an index expression (the part inside ``[...]``)."""
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for it in items:
        if isinstance(it, slice):
            start = "" if it.start is None else str(it.start)
            stop = "" if it.stop is None else str(it.stop)
            parts.append(f"{start}:{stop}" + ("" if it.step is None else f":{it.step}"))
        elif it is Ellipsis:
            parts.append("...")
        else:
            parts.append(value_source(it))
    if not isinstance(index, tuple):
        return parts[0]
    if len(parts) == 1:
        return parts[0] + ","
    return ", ".join(parts) if parts else "()"


def _call_source(s):
    args = [value_source(a) for a in s.args]
    args += [f"{k}={value_source(v)}" for k, v in s.kwargs.items()]
    if s.kind == "method":
        return f"{value_source(s.args[0])}.{s.fn}({', '.join(args[1:])})"
    name = s.fn if s.fn.startswith("F.") else f"T.{s.fn}"
    return f"{name}({', '.join(args)})"


def _out_source(out):
    if isinstance(out, tuple):
        return ", ".join(out) + ("," if len(out) == 1 else "")
    return out.lstrip("*")


def step_source(s):
    """One step as a line of Python."""
    if s.kind in ("func", "method"):
        expr = _call_source(s)
    elif s.kind == "binop":
        expr = f"{value_source(s.args[0])} {s.fn} {value_source(s.args[1])}"
    elif s.kind == "unop":
        expr = f"{s.fn}{value_source(s.args[0])}"
    elif s.kind == "getitem":
        expr = f"{value_source(s.args[0])}[{index_source(s.index)}]"
    elif s.kind == "attr":
        expr = f"{value_source(s.args[0])}.{s.fn}"
    elif s.kind == "with":
        enter, leave = CONTEXT_SOURCE[s.fn]
        return f"{enter}{step_source(s.args[0])}{leave}"
    elif s.kind == "setitem":
        return f"{value_source(s.args[0])}[{index_source(s.index)}] = {value_source(s.args[1])}"
    elif s.kind == "iop":
        target = value_source(s.args[0])
        if s.index is not None:
            target += f"[{index_source(s.index)}]"
        return f"{target} {s.fn}= {value_source(s.args[1])}"
    else:
        raise ValueError(s.kind)
    return expr if s.out is None else f"{_out_source(s.out)} = {expr}"


# -- the interpreter ------------------------------------------------------------------------


@dataclass(frozen=True)
class DType:
    """A dtype argument (``T.float64``), resolved against the library at run time."""

    name: str


@dataclass(frozen=True)
class Gen:
    """A ``generator=`` argument: a new ``Generator`` seeded with ``seed`` (one per use)."""

    seed: int


@dataclass(frozen=True)
class Fn:
    """A callable argument given as Python source (``lambda g: g * 2``), evaluated with ``T``
    bound to the library."""

    source: str


@contextlib.contextmanager
def _default_dtype(lib, name):
    previous = lib.get_default_dtype()
    lib.set_default_dtype(getattr(lib, name))
    try:
        yield
    finally:
        lib.set_default_dtype(previous)


# ``with`` steps: how each context is made in a library, and how its source is written
CONTEXTS = {
    "no_grad": lambda lib: lib.no_grad(),
    "enable_grad": lambda lib: lib.enable_grad(),
    "default_float64": lambda lib: _default_dtype(lib, "float64"),
}
CONTEXT_SOURCE = {
    "no_grad": ("with T.no_grad(): ", ""),
    "enable_grad": ("with T.enable_grad(): ", ""),
    "default_float64": ("T.set_default_dtype(T.float64); ", "; T.set_default_dtype(T.float32)"),
}


BINOPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "@": operator.matmul,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
IOPS = {
    "+": operator.iadd,
    "-": operator.isub,
    "*": operator.imul,
    "/": operator.itruediv,
    "//": operator.ifloordiv,
    "%": operator.imod,
    "**": operator.ipow,
    "&": operator.iand,
    "|": operator.ior,
    "^": operator.ixor,
}
UNOPS = {"-": operator.neg, "~": operator.invert}


def make_input(lib, x):
    """The leaf tensor for input ``x`` in ``lib`` (as ``Program.source`` writes it)."""
    t = lib.tensor(x.array.tolist(), dtype=getattr(lib, x.array.dtype.name))
    t = t.reshape(tuple(x.array.shape))
    return t.requires_grad_() if x.requires_grad else t


def _resolve(lib, env, v):
    if isinstance(v, Var):
        return env[v.name]
    if isinstance(v, Lit):
        return lib.tensor(v.array.tolist(), dtype=getattr(lib, v.array.dtype.name)).reshape(
            v.array.shape
        )
    if isinstance(v, DType):
        return getattr(lib, v.name)
    if isinstance(v, Gen):
        return lib.Generator().manual_seed(v.seed)
    if isinstance(v, Fn):
        return eval(v.source, {"T": lib})  # noqa: S307 - the fuzzer's own source text
    if isinstance(v, tuple):
        return tuple(_resolve(lib, env, o) for o in v)
    if isinstance(v, list):
        return [_resolve(lib, env, o) for o in v]
    if isinstance(v, slice):
        return v
    return v


def _function(lib, name):
    if name.startswith("F."):
        return getattr(lib.nn.functional, name[2:])
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def run_step(lib, env, s):
    """Run one step in ``env`` (a dict of variables), storing its outputs."""
    if s.kind == "with":
        with CONTEXTS[s.fn](lib):
            return run_step(lib, env, s.args[0])
    args = [_resolve(lib, env, a) for a in s.args]
    kwargs = {k: _resolve(lib, env, v) for k, v in s.kwargs.items()}
    index = None if s.index is None else _resolve(lib, env, s.index)
    if s.kind == "func":
        result = _function(lib, s.fn)(*args, **kwargs)
    elif s.kind == "method":
        result = getattr(args[0], s.fn)(*args[1:], **kwargs)
    elif s.kind == "binop":
        result = BINOPS[s.fn](args[0], args[1])
    elif s.kind == "unop":
        result = UNOPS[s.fn](args[0])
    elif s.kind == "getitem":
        result = args[0][index]
    elif s.kind == "attr":
        result = getattr(args[0], s.fn)
    elif s.kind == "setitem":
        args[0][index] = args[1]
        return
    elif s.kind == "iop":
        if s.index is None:
            env[s.args[0].name] = IOPS[s.fn](args[0], args[1])
        else:
            view = args[0][index]
            args[0][index] = IOPS[s.fn](view, args[1])
        return
    else:
        raise ValueError(s.kind)
    if isinstance(s.out, tuple):
        result = tuple(result)
        if len(result) != len(s.out):
            raise ValueError(f"{len(result)} results for {len(s.out)} names")
        env.update(zip(s.out, result, strict=True))
    elif s.out is not None:
        env[s.out.lstrip("*")] = list(result) if s.out.startswith("*") else result


def run(lib, program):
    """Run ``program`` in ``lib``: (env, number of the step that raised or None, the error)."""
    env = {x.name: make_input(lib, x) for x in program.inputs}
    for i, s in enumerate(program.steps):
        try:
            run_step(lib, env, s)
        except Exception as e:  # noqa: BLE001 - any error is a result to compare
            return env, i, e
    return env, None, None
