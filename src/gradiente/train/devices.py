"""Where training runs: the ``device=`` of ``fit``/``evaluate`` and moving batches onto it.

PyTorch programs say ``device = "cuda" if torch.cuda.is_available() else "cpu"``, move the model
once (``model.to(device)``) and every batch as it arrives (``x.to(device, non_blocking=True)``).
The training loop does the same, so a caller only names the device:

- ``"auto"``: CUDA when ``gradiente.cuda.is_available()``, else the CPU;
- ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a ``gradiente.device``: that device;
- ``None``: wherever the model already is (the device of its first parameter or buffer).

Checking the name does not import a GPU library: only ``"auto"`` and CUDA names ask whether a
GPU exists (which is when CuPy is imported, if installed).
"""

from __future__ import annotations

import collections.abc

from gradiente import cuda
from gradiente.tensor import Tensor, device


def resolve_device(name: str | device | None, model=None) -> device:
    """The ``gradiente.device`` that ``name`` means (see the module's docstring).

    Raises ``RuntimeError`` (torch's messages) for a CUDA device that is not there: "cuda"
    without a GPU, or "cuda:7" on a machine with one.
    """
    if name is None:
        return model_device(model)
    if isinstance(name, str) and name == "auto":
        name = "cuda" if cuda.is_available() else "cpu"
    target = device(name)
    if target.type == "cuda":
        index = cuda.current_device() if target.index is None else target.index
        cuda.get_device_name(index)  # raises if CUDA is missing or the index is past the last GPU
        target = device("cuda", index)
    return target


def model_device(model) -> device:
    """The device of ``model``'s first parameter (or buffer); the CPU for a model without any."""
    for tensors in (model.parameters(), model.buffers()) if model is not None else ():
        for t in tensors:
            return t.device
    return device("cpu")


def to_device(batch, target: device):
    """``batch`` with every tensor in it moved to ``target`` (tuples, lists and dicts are
    rebuilt, anything else is kept as it is). A tensor already there is not copied."""
    if isinstance(batch, Tensor):
        return batch.to(target, non_blocking=True)
    if isinstance(batch, tuple | list):
        moved = [to_device(item, target) for item in batch]
        return type(batch)(moved) if not hasattr(batch, "_fields") else type(batch)(*moved)
    if isinstance(batch, collections.abc.Mapping):
        return {key: to_device(value, target) for key, value in batch.items()}
    return batch
