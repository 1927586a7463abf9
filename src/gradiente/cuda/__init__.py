"""``gradiente.cuda``: torch.cuda's questions about NVIDIA GPUs, answered by the backend.

CUDA devices are CuPy's GPUs when CuPy imports and sees one, or NumPy stand-ins when
``GRADIENTE_FAKE_CUDA=N`` (tests). Without either, ``is_available()`` is False and moving a
tensor to "cuda" raises a clear error. Random numbers for CUDA tensors are drawn by the CPU
generator and copied (so a seeded model has torch's CPU weights on any device): ``manual_seed``
here only records the seed, as there is no separate device stream yet.
"""

from __future__ import annotations

import time

from gradiente import backend as B
from gradiente.backend import OutOfMemoryError  # noqa: F401 - torch.cuda.OutOfMemoryError
from gradiente.cuda import amp
from gradiente.tensor import device as _device_type
from gradiente.tensor.common import _device_index

__all__ = [
    "Event",
    "Stream",
    "amp",
    "current_device",
    "current_stream",
    "default_stream",
    "device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "initial_seed",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "set_device",
    "stream",
    "synchronize",
]


def is_available() -> bool:
    """True when at least one CUDA device (a GPU, or a stand-in in tests) can be used."""
    return B.cuda_device_count() > 0


def device_count() -> int:
    """The number of CUDA devices."""
    return B.cuda_device_count()


def _index(d) -> int:
    """The CUDA index that ``d`` (None: the current device, an int, a name, a device) means."""
    if d is None:
        index = B.current_cuda_device()
        B.check_cuda_index(index)
        return index
    if isinstance(d, int):
        B.check_cuda_index(d)
        return d
    index = _device_index(d)
    if index is None:
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return index


def current_device() -> int:
    """The index of the device a bare "cuda" means."""
    return _index(None)


def set_device(d) -> None:
    """Make ``d`` the device a bare "cuda" means."""
    B.set_current_cuda_device(_index(d))


class device:
    """``with torch.cuda.device(i):`` — make device ``i`` current inside the block."""

    def __init__(self, d) -> None:
        self.index = _index(d)
        self._previous = None

    def __enter__(self):
        self._previous = B.current_cuda_device()
        B.set_current_cuda_device(self.index)
        return self

    def __exit__(self, *exc) -> None:
        B.set_current_cuda_device(self._previous)


def get_device_name(d=None) -> str:
    """The GPU's name (CuPy's device properties), or the stand-in's."""
    index = _index(d)
    name = B._cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(d=None) -> None:
    """Wait until every kernel queued on the device has finished (nothing to wait for on the
    stand-in, whose NumPy calls finish before they return)."""
    index = _index(d)
    with B._cupy.cuda.Device(index):
        B._cupy.cuda.Device(index).synchronize()


_seed = [0]


def manual_seed(seed: int) -> None:
    """Record the CUDA seed (CUDA tensors' random numbers come from the CPU generator, which
    ``gradiente.manual_seed`` seeds; see the module's docstring)."""
    _seed[0] = int(seed)


def manual_seed_all(seed: int) -> None:
    """``manual_seed`` for every device (one seed is kept for all)."""
    manual_seed(seed)


def initial_seed() -> int:
    """The seed last given to ``manual_seed``."""
    return _seed[0]


_peak = [0]


def memory_allocated(d=None) -> int:
    """Bytes held by tensors on the device: CuPy's memory pool in use. The stand-in device has
    no memory of its own (its arrays are host memory): 0."""
    if B._cupy is None:  # no CUDA at all: torch's CPU build answers 0 rather than raising
        return 0
    _index(d)
    used = B._cupy.get_default_memory_pool().used_bytes()
    _peak[0] = max(_peak[0], used)
    return used


def max_memory_allocated(d=None) -> int:
    """The most bytes in use since the last ``reset_peak_memory_stats``: CuPy's pool keeps no
    peak, so from that call on every allocation goes through ``_track_peak``'s allocator,
    which records it (before any reset: the peak of the values seen at these calls)."""
    return max(_peak[0], memory_allocated(d))


def reset_peak_memory_stats(d=None) -> None:
    """Start the peak of ``max_memory_allocated`` again from the current use."""
    _peak[0] = 0
    _peak[0] = memory_allocated(d)
    _track_peak()


_tracking = [False]


def _track_peak() -> None:
    """Route CuPy's allocations through the default pool and a check of its use
    (``cupy.cuda.set_allocator``), so that ``max_memory_allocated`` sees every peak; once."""
    set_allocator = getattr(B._cupy.cuda, "set_allocator", None) if B._cupy else None
    if _tracking[0] or set_allocator is None:
        return
    pool = B._cupy.get_default_memory_pool()

    def malloc(size):
        memory = pool.malloc(size)
        _peak[0] = max(_peak[0], pool.used_bytes())
        return memory

    set_allocator(malloc)
    _tracking[0] = True


def memory_reserved(d=None) -> int:
    """Bytes the allocator holds (CuPy's pool total); 0 on the stand-in and without CUDA."""
    if B._cupy is None:
        return 0
    _index(d)
    return B._cupy.get_default_memory_pool().total_bytes()


def empty_cache() -> None:
    """Give the allocator's unused blocks back to the driver."""
    if is_available():
        B._cupy.get_default_memory_pool().free_all_blocks()


class Event:
    """A point in the device's queue of work: ``record()`` it, ``synchronize()`` on it, and
    ``elapsed_time(end)`` in milliseconds between two events made with ``enable_timing``."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess=False):
        self.enable_timing = enable_timing
        self._recorded = False
        _index(None)
        self._event = B._cupy.cuda.Event(block=blocking, disable_timing=not enable_timing)

    def record(self, stream=None) -> None:
        """Mark this point of the current stream's work."""
        self._event.record(None if stream is None else stream._stream)
        self._recorded = True

    def synchronize(self) -> None:
        """Wait until the work before this event has finished."""
        self._event.synchronize()

    def query(self) -> bool:
        """True when the work before this event has finished."""
        return self._event.done

    def wait(self, stream=None) -> None:
        """Make later work on ``stream`` wait for this event."""
        (stream or current_stream())._stream.wait_event(self._event)

    def elapsed_time(self, end: Event) -> float:
        """Milliseconds from this event to ``end`` (both recorded, both with timing)."""
        if not (self.enable_timing and end.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return B._cupy.cuda.get_elapsed_time(self._event, end._event)


class Stream:
    """A queue of device work (CuPy's stream); on the stand-in, work runs when it is called."""

    def __init__(self, device=None, priority: int = 0, _null: bool = False) -> None:
        self.device = _device_type("cuda", _index(device))
        self.priority = priority
        cupy = B._cupy
        self._stream = cupy.cuda.Stream.null if _null else cupy.cuda.Stream(non_blocking=True)

    def synchronize(self) -> None:
        """Wait until all work on this stream has finished."""
        if self._stream is not None:
            self._stream.synchronize()

    def query(self) -> bool:
        """True when all work on this stream has finished."""
        return True if self._stream is None else self._stream.done

    def wait_event(self, event: Event) -> None:
        """Make later work on this stream wait for ``event``."""
        if self._stream is not None and event._event is not None:
            self._stream.wait_event(event._event)

    def wait_stream(self, other: Stream) -> None:
        """Make later work on this stream wait for the work queued on ``other`` so far."""
        self.wait_event(other.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        """Record an event on this stream and return it."""
        event = event or Event()
        event.record(self)
        return event

    def __enter__(self):
        if self._stream is not None:
            self._stream.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            self._stream.__exit__(*exc)


_default_streams: dict = {}


def default_stream(d=None) -> Stream:
    """The device's default (null) stream."""
    index = _index(d)
    if index not in _default_streams:
        _default_streams[index] = Stream(index, _null=True)
    return _default_streams[index]


_stream_stack: list = []


def current_stream(d=None) -> Stream:
    """The stream that work is queued on now (inside ``with stream(s):``, ``s``)."""
    return _stream_stack[-1] if _stream_stack else default_stream(d)


class stream:
    """``with torch.cuda.stream(s):`` — queue work inside the block on ``s``."""

    def __init__(self, s: Stream | None) -> None:
        self.s = s

    def __enter__(self):
        if self.s is not None:
            _stream_stack.append(self.s)
            self.s.__enter__()
        return self.s

    def __exit__(self, *exc) -> None:
        if self.s is not None:
            self.s.__exit__(*exc)
            _stream_stack.pop()
