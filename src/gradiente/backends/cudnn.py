"""``torch.backends.cudnn``: whether gradiente's CUDA convolutions may use cuDNN, and how.

cuDNN is reached through NVIDIA's cuDNN frontend (``pip install nvidia-cudnn-frontend``, the
module ``cudnn``; part of ``gradiente[cuda]``). The flags are torch's and mean the same:

- ``enabled`` (True): convolutions of CUDA tensors run as cuDNN graphs when the frontend is
  there; False makes them take the im2col-on-cuBLAS path (``ops/device_conv.py``).
- ``allow_tf32`` (True, torch's default for convolutions): float32 convolutions may use
  TensorFloat-32 tensor cores (10-bit mantissa products, float32 sums). False removes the
  tensor-core plans.
- ``benchmark`` and ``deterministic`` are accepted and recorded; gradiente picks cuDNN's plans
  by its heuristics (mode A, then its fallback list) either way.
"""

from __future__ import annotations

import contextlib
import importlib
import sys

enabled = True
allow_tf32 = True
benchmark = False
deterministic = False


def frontend():
    """The ``cudnn`` module of NVIDIA's cuDNN frontend, or None when it does not import."""
    try:
        return importlib.import_module("cudnn")
    except Exception:  # noqa: BLE001 - missing, or a library it loads is missing
        return None


def is_available() -> bool:
    """Whether cuDNN can run here: a CUDA device and the frontend that reaches cuDNN."""
    from gradiente import backend  # noqa: PLC0415 - (backend imports no gradiente module)

    return backend.cuda_device_count() > 0 and frontend() is not None


def version():
    """cuDNN's version as an int (e.g. 91900 for 9.19.0), as torch's; None without it."""
    module = frontend()
    if module is None:
        return None
    try:
        return int(module.backend_version())
    except Exception:  # noqa: BLE001 - the frontend without a loadable cuDNN library
        return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=True):
    """Set the four flags inside a ``with`` block and restore them after, as torch's
    ``torch.backends.cudnn.flags`` (whose defaults these are)."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    before = {name: getattr(module, name) for name in names}
    for name, value in zip(names, (enabled, benchmark, deterministic, allow_tf32)):
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(module, name, value)
