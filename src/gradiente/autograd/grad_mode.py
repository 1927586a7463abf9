"""Grad modes: whether ops record the graph (``no_grad``, ``enable_grad``, ``inference_mode``).

As in PyTorch, grad mode and inference mode belong to a thread: ``no_grad()`` in one thread
does not stop another thread from recording its graph, and every new thread starts with
recording on. Anomaly detection is process-wide, as PyTorch's.
"""

from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    """Per-thread switches read by every op before it records a graph node.

    ``threading.local`` runs ``__init__`` once in each thread that touches the object, so a new
    thread sees the defaults (recording on, not in inference mode), whatever other threads set.
    """

    def __init__(self):
        self.enabled = True
        self.inference = False


grad_state = _GradState()


def is_grad_enabled() -> bool:
    """True when ops record the computational graph for backward."""
    return grad_state.enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that is also a decorator."""

    _mode = True

    def __new__(cls, *args, **kwargs):
        # ``@no_grad`` without parentheses: decorate the function directly.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = grad_state.enabled
        grad_state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return func(*args, **kwargs)

        return wrapper

    @staticmethod
    def _fresh(ctx):
        # A new instance per call, so nested/recursive calls each restore their own state.
        clone = object.__new__(type(ctx))
        clone.__dict__.update({k: v for k, v in ctx.__dict__.items() if k != "_prev"})
        return clone


class no_grad(_GradModeContext):
    """Disable graph recording: results of ops do not require grad (use for evaluation)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enable graph recording inside a ``no_grad`` region."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; works as a function call, a context manager and a decorator."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = grad_state.enabled
        grad_state.enabled = self._mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        return False

    def __call__(self, func):
        mode = self._mode
        grad_state.enabled = self._prev  # used as a decorator: do not change the mode now

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = grad_state.enabled
            grad_state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                grad_state.enabled = prev

        return wrapper


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (gradiente has no inference tensors); ``mode=False`` changes nothing."""

    def __init__(self, mode: bool = True):
        self._disable = bool(mode)

    def __enter__(self):
        self._prev = grad_state.enabled
        self._prev_inference = grad_state.inference
        if self._disable:
            grad_state.enabled = False
            grad_state.inference = True
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        grad_state.inference = self._prev_inference
        return False


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (in this thread)."""
    return grad_state.inference


class set_detect_anomaly:
    """Accepted for compatibility: gradiente's errors already name the op that failed.

    Works as a function call and as a context manager, like PyTorch's.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = _anomaly[0]
        _anomaly[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly[0] = self._prev
        return False


class detect_anomaly(set_detect_anomaly):
    """``with torch.autograd.detect_anomaly():`` — see ``set_detect_anomaly``."""

    def __init__(self, check_nan: bool = True):
        super().__init__(True, check_nan)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly():
                return func(*args, **kwargs)

        return wrapper


_anomaly = [False]


def is_anomaly_enabled() -> bool:
    return _anomaly[0]
