"""PyTorch's top-level functions that are not plain forms of a Tensor method, and its constants.

The plain forms (``gradiente.exp(x)`` is ``x.exp()``) are generated from the methods' marks
into ``gradiente/_generated_functions.py``; the hand-written ones live here, one module a
family:

    basics     constants, memory formats, flip/remainder/pow/var_mean/..., predicates
    joining    atleast_Nd, hstack/vstack/dstack/column_stack, hsplit/vsplit/dsplit
    grids      meshgrid, cartesian_prod, combinations, block_diag, tril/triu_indices, vander
    products   einsum, tensordot, kron, chain_matmul, cdist, cov, corrcoef
    searching  isin, searchsorted, bucketize
    settings   finfo/iinfo, default device, threads, determinism, compile, rng state
    legacy     range and the FloatTensor-style constructors

``scripts/generate_functions.py`` reads the names these modules define, so that a name written
by hand is not generated again.
"""

from __future__ import annotations

from gradiente.func import vmap
from gradiente.functions.basics import (
    broadcast_shapes,
    broadcast_tensors,
    can_cast,
    channels_last,
    channels_last_3d,
    contiguous_format,
    e,
    empty_strided,
    flatten,
    flip,
    inf,
    is_floating_point,
    is_tensor,
    nan,
    newaxis,
    numel,
    pi,
    pow,
    preserve_format,
    remainder,
    result_type,
    std_mean,
    strided,
    typename,
    var_mean,
)
from gradiente.functions.grids import (
    block_diag,
    cartesian_prod,
    combinations,
    meshgrid,
    tril_indices,
    triu_indices,
    vander,
)
from gradiente.functions.joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dsplit,
    dstack,
    hsplit,
    hstack,
    repeat_interleave,
    row_stack,
    vsplit,
    vstack,
)
from gradiente.functions.legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    range,
)
from gradiente.functions.products import (
    cdist,
    chain_matmul,
    corrcoef,
    cov,
    einsum,
    kron,
    tensordot,
)
from gradiente.functions.searching import (
    bucketize,
    isin,
    searchsorted,
)
from gradiente.functions.settings import (
    are_deterministic_algorithms_enabled,
    compile,
    finfo,
    get_default_device,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    get_rng_state,
    iinfo,
    set_default_device,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    set_rng_state,
    use_deterministic_algorithms,
)

# torch.vmap is torch.func.vmap
__all__ = [
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "are_deterministic_algorithms_enabled",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "block_diag",
    "broadcast_shapes",
    "broadcast_tensors",
    "bucketize",
    "can_cast",
    "cartesian_prod",
    "cdist",
    "chain_matmul",
    "channels_last",
    "channels_last_3d",
    "column_stack",
    "combinations",
    "compile",
    "contiguous_format",
    "corrcoef",
    "cov",
    "dsplit",
    "dstack",
    "e",
    "einsum",
    "empty_strided",
    "finfo",
    "flatten",
    "flip",
    "get_default_device",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "get_num_threads",
    "get_rng_state",
    "hsplit",
    "hstack",
    "iinfo",
    "inf",
    "is_floating_point",
    "is_tensor",
    "isin",
    "kron",
    "meshgrid",
    "nan",
    "newaxis",
    "numel",
    "pi",
    "pow",
    "preserve_format",
    "range",
    "remainder",
    "repeat_interleave",
    "result_type",
    "row_stack",
    "searchsorted",
    "set_default_device",
    "set_float32_matmul_precision",
    "set_num_interop_threads",
    "set_num_threads",
    "set_rng_state",
    "std_mean",
    "strided",
    "tensordot",
    "tril_indices",
    "triu_indices",
    "typename",
    "use_deterministic_algorithms",
    "vander",
    "var_mean",
    "vmap",
    "vsplit",
    "vstack",
]
