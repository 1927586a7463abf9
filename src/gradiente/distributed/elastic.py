"""What torchrun scripts import from ``torch.distributed.elastic``: the ``@record`` decorator.

Under torchrun, ``@record`` on ``main`` writes a failing process's traceback to a file the
launcher reports. With ``mpiexec`` there is no such file: the traceback is printed on the
failing rank and ``gradiente.distributed`` ends the whole job naming that rank, so ``record``
returns the function unchanged (it still runs, and its exceptions still propagate).
"""

from __future__ import annotations

__all__ = ["record"]


def record(fn=None, error_handler=None):
    """torch's decorator for a process's entry point; here the function itself."""
    if fn is None:  # used as ``@record()``
        return lambda f: f
    return fn
