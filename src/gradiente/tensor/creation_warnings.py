"""The UserWarnings torch gives when a tensor is made in a way it advises against: copying a
tensor with ``torch.tensor``, a list of NumPy arrays, a non-writable NumPy array, ``x.T`` on
a tensor that is not a matrix. Learners meet them often; torch words them so, and gives the
last three once per process (its ``TORCH_WARN_ONCE``)."""

from __future__ import annotations

import warnings

from gradiente.backend import xp


def warn_copy_construct(data, call: str = "torch.tensor(sourceTensor)") -> None:
    """``torch.tensor(t)`` or ``x.new_tensor(t)`` of a tensor t: torch suggests clone."""
    from gradiente.tensor.core import Tensor

    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True)"
            f", rather than {call}.",
            UserWarning,
            stacklevel=3,
        )


def warn_list_of_arrays(data) -> None:
    """``torch.tensor([array, array, ...])``: slow, torch says; convert with numpy first."""
    if isinstance(data, list) and data and isinstance(data[0], xp.ndarray):
        _warn_once(
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
            "converting the list to a single numpy.ndarray with numpy.array() before converting "
            "to a tensor."
        )


def warn_not_writable(array) -> None:
    """``torch.from_numpy`` of a read-only array (``np.broadcast_to``, a buffer): torch's
    tensors are always writable, so writing through it is undefined behaviour."""
    if not array.flags.writeable:
        _warn_once(
            "The given NumPy array is not writable, and PyTorch does not support non-writable "
            "tensors. This means writing to this tensor will result in undefined behavior. You "
            "may want to copy the array to protect its data or make it writable before "
            "converting it to a tensor. This type of warning will be suppressed for the rest of "
            "this program."
        )


def warn_reversing_T(ndim: int) -> None:
    """``x.T`` of a tensor that is not a matrix: deprecated (a 0-D one in its own words)."""
    if ndim == 0:
        _warn_once(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
        )
    elif ndim != 2:
        _warn_once(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor."
        )


def warn_0d_H() -> None:
    """``x.H`` of a 0-D tensor (deprecated there, as ``x.T`` of one)."""
    _warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")


def _warn_once(message: str) -> None:
    from gradiente.functions.torch_aliases import warn_once

    warn_once(message, stacklevel=5)  # the user's line: past this module and its caller
