"""gradiente: gradient descent and backpropagation, for real — PyTorch's API on NumPy.

This module only re-exports: the names are PyTorch's top-level ones (``gradiente.tensor``,
``gradiente.zeros``, ``gradiente.no_grad``, ``gradiente.float32``, ...).
"""

from __future__ import annotations

from gradiente import autograd
from gradiente import functions as _functions
from gradiente._printing import set_printoptions
from gradiente.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from gradiente.backend import bool_ as bool  # noqa: A001 (PyTorch's name)
from gradiente.backend import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from gradiente.random import (
    Generator,
    default_generator,
    initial_seed,
    manual_seed,
    seed,
)
from gradiente.tensor import (
    Size,
    Tensor,
    arange,
    as_tensor,
    asarray,
    bernoulli,
    cat,
    concat,
    concatenate,
    device,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    matmul,
    maximum,
    minimum,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
# The function namespace (gradiente.exp, gradiente.sum, ...), defined in gradiente.functions.
globals().update({name: getattr(_functions, name) for name in _functions.__all__})
from gradiente import (  # noqa: E402
    data,
    datasets,
    func,
    linalg,
    nn,  # noqa: E402
    optim,  # noqa: E402
    special,
    testing,
    transforms,
    utils,
)
from gradiente.serialization import load, save  # noqa: E402
