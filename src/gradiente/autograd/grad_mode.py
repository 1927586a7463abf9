"""Grad modes: whether ops record the graph (``no_grad``, ``enable_grad``, ``inference_mode``).

As in PyTorch, grad mode and inference mode belong to a thread: ``no_grad()`` in one thread
does not stop another thread from recording its graph, and every new thread starts with
recording on. Anomaly detection is process-wide, as PyTorch's.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import warnings


class _GradState(threading.local):
    """Per-thread switches read by every op before it records a graph node.

    ``threading.local`` runs ``__init__`` once in each thread that touches the object, so a new
    thread sees the defaults (recording on, not in inference mode), whatever other threads set.
    """

    def __init__(self):
        self.enabled = True
        self.inference = False


grad_state = _GradState()


def _recording(mode: bool) -> bool:
    """Whether ops record the graph under grad mode ``mode``: never in inference mode (torch's
    ``enable_grad()`` inside ``inference_mode()`` does not record either)."""
    return mode and not grad_state.inference


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
        grad_state.enabled = _recording(self._mode)
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(lambda: self._fresh(self), func)

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


def _wrap_generator(make_context, generator_function):
    """``generator_function`` with the context ``make_context()`` around each step of its body
    (PyTorch's ``_wrap_generator``): the mode holds while the generator runs, and the caller's
    own mode holds between two ``next()`` calls, whatever each side sets."""

    @functools.wraps(generator_function)
    def generator_context(*args, **kwargs):
        generator = generator_function(*args, **kwargs)
        try:
            with make_context():
                response = generator.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        generator.close()
                    raise
                except BaseException as error:  # thrown in by the caller: pass it on
                    with make_context():
                        response = generator.throw(error)
                else:
                    with make_context():
                        response = generator.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_context


@contextlib.contextmanager
def _grad_enabled(mode: bool):
    """Grad mode ``mode`` inside the block, the previous one after it."""
    prev = grad_state.enabled
    grad_state.enabled = _recording(mode)
    try:
        yield
    finally:
        grad_state.enabled = prev


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
        grad_state.enabled = _recording(self._mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        return False

    def __call__(self, func):
        mode = self._mode
        grad_state.enabled = self._prev  # used as a decorator: do not change the mode now
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(lambda: _grad_enabled(mode), func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


# Called with True when the first ``inference_mode()`` block (of any thread) opens, with False
# when the last one closes: the Tensor class then marks the tensors made meanwhile as inference
# tensors (``tensor.core``), at no cost to tensor creation outside inference mode.
_inference_listeners: list = []
_inference_blocks = [0]  # how many inference_mode() blocks are open now, in all threads


def _count_inference_block(step: int) -> None:
    before = _inference_blocks[0]
    _inference_blocks[0] = before + step
    if (before == 0) != (before + step == 0):  # the first one opened or the last one closed
        for listener in _inference_listeners:
            listener(before == 0)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and the tensors made inside are *inference tensors*
    (``is_inference()``): they record no version counter, so autograd refuses to save them
    for backward and to change them in place once outside the mode, as in torch.
    ``mode=False`` leaves inference mode and turns recording on, as torch's
    ``InferenceMode(false)`` does."""

    def __init__(self, mode: bool = True):
        self._disable = bool(mode)

    def __enter__(self):
        self._prev = grad_state.enabled
        self._prev_inference = grad_state.inference
        grad_state.enabled = not self._disable
        grad_state.inference = self._disable
        if self._disable:
            _count_inference_block(1)
        return self

    def __exit__(self, *exc):
        grad_state.enabled = self._prev
        grad_state.inference = self._prev_inference
        if self._disable:
            _count_inference_block(-1)
        return False


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (in this thread)."""
    return grad_state.inference


# Anomaly detection (process-wide, as in PyTorch): [enabled, check_nan]. When enabled, each
# recorded op keeps the stack of its forward call, and with check_nan the engine raises at the
# first node whose backward returns a NaN gradient, naming that node (``engine.run_backward``).
_anomaly = [False, True]


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (``detect_anomaly`` / ``set_detect_anomaly``)."""
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly detection also makes backward raise on NaN gradients."""
    return _anomaly[1]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (PyTorch's ``torch.set_anomaly_enabled``)."""
    _anomaly[0], _anomaly[1] = bool(enabled), bool(check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off, as a function call or for a ``with`` block.

    With it on, backward raises ``RuntimeError("Function 'SqrtBackward0' returned nan values
    in its 0th output.")`` at the first op whose gradient has a NaN (unless ``check_nan`` is
    False), after a warning that shows where that op was called in forward.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = tuple(_anomaly)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_anomaly_enabled(*self._prev)
        return False


class detect_anomaly:
    """``with torch.autograd.detect_anomaly():`` — anomaly detection inside the block (see
    ``set_detect_anomaly``); also a decorator. Warns, as PyTorch does, that it is slow."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self):
        self._prev = tuple(_anomaly)
        set_anomaly_enabled(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        set_anomaly_enabled(*self._prev)
        return False

    def __call__(self, func):
        def make_context():
            fresh = object.__new__(detect_anomaly)
            fresh.check_nan = self.check_nan
            return fresh

        if inspect.isgeneratorfunction(func):
            return _wrap_generator(make_context, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with make_context():
                return func(*args, **kwargs)

        return wrapper
