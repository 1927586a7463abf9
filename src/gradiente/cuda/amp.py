"""``gradiente.cuda.amp``: mixed precision is accepted but not done — code under ``autocast``
runs in full precision (float32 stays float32), on the CPU and on CUDA alike."""

from __future__ import annotations

import functools


class autocast:
    """``torch.cuda.amp.autocast``: a context manager and decorator that computes in full
    precision (gradiente has no float16 autocasting)."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        self.enabled = enabled
        self.fast_dtype = dtype

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __call__(self, func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapped
