"""Import the real torchvision beside the CPU torch, for the tests that take it as the reference.

The torchvision 0.28 wheel that matches torch 2.13 is a CUDA build: its C++ operators (``nms``,
``roi_align``, ...) cannot load beside the CPU torch, and ``import torchvision`` fails where it
registers their shape functions. Its pure-Python parts (transforms, models, datasets, box
utilities) are what the tests compare with, so those failed registrations are skipped during
the import. Nothing else changes.

As a program: ``python tests/torchvision_shim.py SCRIPT [ARGS...]`` runs SCRIPT as ``__main__``
with that import done first (the torch side of tests/programs). With ``--hide-torchvision``
first, ``import torchvision`` fails instead, so that a script takes its own fallback: the real
``datasets.MNIST`` wants the training files too, and ../shared holds only the test split.
"""

import os
import runpy
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def import_torchvision():
    """The torchvision module; ImportError where it is not installed."""
    import torch

    if "torchvision" in sys.modules and hasattr(sys.modules["torchvision"], "transforms"):
        return sys.modules["torchvision"]
    register_fake = torch.library.register_fake

    def tolerant_register_fake(op, *args, **kwargs):
        def decorate(fn):
            try:
                return register_fake(op, *args, **kwargs)(fn)
            except RuntimeError:  # the operator's C++ library did not load
                return fn

        return decorate

    torch.library.register_fake = tolerant_register_fake
    try:
        import torchvision
    finally:
        torch.library.register_fake = register_fake
    return torchvision


if __name__ == "__main__":
    if sys.argv[1] == "--hide-torchvision":
        del sys.argv[1]
        sys.modules["torchvision"] = None  # makes `import torchvision` raise ImportError
    else:
        try:
            import_torchvision()
        except ImportError:
            pass  # the script's own fallback (or its error) decides
    script, sys.argv = sys.argv[1], sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
