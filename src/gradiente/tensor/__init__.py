"""The Tensor: an N-d array with autograd, assembled from one mixin class per family of methods.

Each family lives in its own module (``core``, ``inplace``, ``math``, ``comparison``,
``reductions``, ``shape``, ``indexing``, ``linalg``, ``factories`` with ``sampling``); families
reach each other only through the class (``self.method``). Helpers sit below them: ``common``
(Size, device, layout, dim checks, factory arguments), ``promotion`` (dtype promotion),
``marks`` (the ``@function``/``@inplace``/``@numpy_axis`` marks). Each method is a thin call
into an op (``gradiente.ops``); the op records a node of the computational graph when grad mode
is on and an input requires grad. ``backward()`` hands the graph to the engine, which applies
the chain rule node by node.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.ops import bfloat16 as _bfloat16  # noqa: F401 - the bfloat16 op table
from gradiente.ops import index_rules as _index_rules
from gradiente.ops.index_rules import (  # noqa: F401
    _check_int_bounds,
    _check_scatter_index,
    _convert_index,
    _dims_consumed,
    _index_array,
    _integers_first,
    _is_masked_fill,
    _sequence_as_tuple,
)
from gradiente.tensor import common as _common
from gradiente.tensor import comparison as _comparison
from gradiente.tensor import core as _core
from gradiente.tensor import extras as _extras
from gradiente.tensor import factories as _factories
from gradiente.tensor import indexing as _indexing
from gradiente.tensor import inference as _inference  # noqa: F401 - inference tensors
from gradiente.tensor import inplace as _inplace
from gradiente.tensor import linalg as _linalg
from gradiente.tensor import math as _math
from gradiente.tensor import memory as _memory
from gradiente.tensor import operands as _operands
from gradiente.tensor import promotion as _promotion
from gradiente.tensor import reductions as _reductions
from gradiente.tensor import sampling as _sampling
from gradiente.tensor import shape as _shape
from gradiente.tensor import special_math as _special_math
from gradiente.tensor import toplevel as _toplevel
from gradiente.tensor import torch_aliases as _torch_aliases
from gradiente.tensor.common import (  # noqa: F401
    _CPP_TYPE_NAMES,
    _CPU,
    _LEGACY_TYPE_NAMES,
    Size,
    _arr,
    _check_device,
    _detach,
    _dim,
    _dims,
    _first_leaf,
    _leaf_dtype,
    _rebuild,
    _req,
    _required,
    _return_type,
    _return_types,
    _scalar_type_name,
    _shape_arg,
    _sort_indices,
    _to_array,
    device,
)
from gradiente.tensor.comparison import Comparison
from gradiente.tensor.core import TensorCore
from gradiente.tensor.factories import *  # noqa: F403 - the public factories (its __all__)
from gradiente.tensor.factories import (  # noqa: F401
    _VECTOR_BYTES,
    NewTensors,
    _factory_dtype,
    _float_arange,
    _linspace,
)
from gradiente.tensor.indexing import Indexing, _as_bool_mask  # noqa: F401
from gradiente.tensor.inplace import (  # noqa: F401
    InPlace,
    _cast_checked,
    _check_inplace_cast,
    _inplace_ufunc,
    _overwrite,
    _store,
)
from gradiente.tensor.linalg import LinearAlgebra
from gradiente.tensor.marks import inplace_form, marked
from gradiente.tensor.math import Math
from gradiente.tensor.promotion import (  # noqa: F401
    _BOOL_SUB,
    _arg_reduce,
    _binary,
    _check_bool_subtraction,
    _check_float_kernel,
    _check_floating,
    _check_integer_divisor,
    _check_nonempty_dim,
    _check_not_bool,
    _check_tensor_arg,
    _float_only,
    _float_only_not_bool,
    _infer_shape,
    _no_grad_binary,
    _promote,
    _promote_float,
    _refuse_backward_with_bool,
    _rounded_divide,
    _scalar_like,
    _scaled_sum,
    _true_divide,
)
from gradiente.tensor.reductions import Reductions
from gradiente.tensor.sampling import RandomFills
from gradiente.tensor.shape import Shape
from gradiente.tensor.special_math import SpecialMath
from gradiente.tensor.toplevel import (  # noqa: F401
    _empty_product,
    _mixed_empty_product,
    cat,
    concat,
    concatenate,
    matmul,
    maximum,
    minimum,
    stack,
    where,
    write_out,
)


class Tensor(
    TensorCore,
    _memory.MemoryLayout,
    InPlace,
    Math,
    SpecialMath,
    Comparison,
    Reductions,
    Shape,
    Indexing,
    LinearAlgebra,
    NewTensors,
    RandomFills,
    _torch_aliases.TorchAliases,
    _extras.TorchExtras,
):
    """An N-d array with autograd: ``requires_grad``, ``grad``, ``grad_fn`` and ``backward()``."""

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "_base",
        "_view",
        "_hooks",
        "_accumulator",
        "_is_param",
        "__dict__",
        "__weakref__",
    )
    __array_priority__ = 1000  # make ``ndarray * tensor`` call Tensor.__rmul__
    # Comparison defines ``__eq__``, which unsets its own ``__hash__``: tensors hash by identity.
    __hash__ = TensorCore.__hash__


# The family modules (and ops' index rules) name the class ``Tensor`` (isinstance checks,
# ``Tensor._make``): bind it.
for _module in (
    _index_rules,
    _common,
    _promotion,
    _core,
    _inplace,
    _math,
    _memory,
    _special_math,
    _comparison,
    _reductions,
    _shape,
    _indexing,
    _linalg,
    _toplevel,
    _torch_aliases,
    _extras,
    _operands,
    _factories,
    _sampling,
):
    if hasattr(_module, "Tensor"):
        _module.Tensor = Tensor

# In-place forms (``x.tan_()``, ``x.tril_(k)``, ...) of the methods marked ``@inplace``, unless
# the family writes its own.
for _name in marked(Tensor, "inplace"):
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", inplace_form(_name, _cast_checked))

# ``x + [1, 2]``, ``x == "a"``: torch's operators refuse what is not a tensor, number or array
_operands.guard_operators(Tensor)

Tensor._stack = staticmethod(stack)  # used by autograd.functional, which cannot import us
_function._register_tensor_type(Tensor)
