"""``torch.nn.utils.stateless``: the older home of ``functional_call`` (now
``torch.func.functional_call``, which this calls)."""

from __future__ import annotations

import warnings
from typing import Any

from gradiente import func

__all__ = ["functional_call"]


def functional_call(
    module,
    parameters_and_buffers: dict,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """Call ``module`` with ``parameters_and_buffers`` (names → tensors) standing in for its
    own parameters and buffers; deprecated in torch 2.0 for ``torch.func.functional_call``."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
        "removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    if args is None:
        args = ()
    return func.functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
