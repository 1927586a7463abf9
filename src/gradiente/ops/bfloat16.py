"""Which ops accept bfloat16 tensors, and how they compute on them (the table of
``autograd/reduced_precision.py``).

- ``"bits"``: the op moves bits only (shape, indexing, joining, casting): it runs on the
  bfloat16 arrays themselves.
- ``"float32"``: widened to float32, computed by the float32 kernel, rounded to bfloat16 once;
  its backward likewise (one rounding per input gradient). This is what torch's CPU kernels do
  for these ops, so the bits agree (``tests/tensor/test_bfloat16.py`` checks each entry).
- ``"forward"``: as ``"float32"``, but the backward raises: torch's derivative of these ops is
  several bfloat16 ops in a row, each rounded (division's ``-g · (a / b) / b``, silu's), which
  a single-rounding backward does not reproduce.

An op missing from the table raises ``"<op>" not implemented for 'BFloat16'`` on bfloat16
input.
"""

from __future__ import annotations

from gradiente.autograd import reduced_precision
from gradiente.ops import activation as A
from gradiente.ops import conv as C
from gradiente.ops import elementwise as E
from gradiente.ops import index as I  # noqa: E741 - the module's short name, as the others
from gradiente.ops import linalg as LA
from gradiente.ops import linear as LI
from gradiente.ops import reduce as R
from gradiente.ops import shape as S
from gradiente.ops import unary as U

MOVES_BITS = (
    S.Reshape,
    S.Permute,
    S.Transpose,
    S.Expand,
    S.Flip,
    S.Cat,
    S.Stack,
    S.Repeat,
    S.Diagonal,
    S.Split,
    S.Unbind,
    S.Roll,
    S.TrilTriu,
    I.Index,
    I.BasicIndex,
    I.IndexSelect,
    R.GatherAlongDim,
    E.Clone,
    E.ToDtype,
    E.ToDevice,
    E.Where,
    E.MaskedFill,
    E.NotDifferentiable,
    E.RefuseBackward,
    U.FlatIn,
)

COMPUTES_IN_FLOAT32 = (
    # element-wise arithmetic and math
    E.Add,
    E.Sub,
    E.RSub,
    E.Mul,
    E.Neg,
    E.Clamp,
    E.Maximum,
    E.Minimum,
    E.Exp,
    E.Log,
    E.Tanh,
    E.Sigmoid,
    E.Sqrt,
    E.Abs,
    # activations
    A.Relu,
    A.Gelu,
    A.LeakyRelu,
    # reductions and normalisations
    R.Sum,
    R.Mean,
    R.MaxMinAll,
    R.Softmax,
    # products
    LA.MatMul,
    LA.Bmm,
    LI.Linear,
    C._ConvNd,
    C._ConvWeight,
    # shape ops whose backward sums (accumulated in float32)
    I.IndexBackward,
    S.ConstantPad,
)

FORWARD_ONLY = (
    E.Div,
    A.Silu,
)

reduced_precision.register(
    {cls: "bits" for cls in MOVES_BITS}
    | {cls: "float32" for cls in COMPUTES_IN_FLOAT32}
    | {cls: "forward" for cls in FORWARD_ONLY},
    rounds_scalars=(E.Add, E.Sub, E.RSub),
)
