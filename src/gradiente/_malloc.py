"""Keep freed array memory in the process: no page faults for the next step's arrays.

A training step allocates the same large arrays (activations, gradients, layout copies) step
after step. glibc's malloc serves arrays of a few MB from the heap, and when they are freed at
the end of the step it gives the top of the heap back to the kernel (``M_TRIM_THRESHOLD``,
adjusted dynamically) — so the next step's arrays are mapped and zeroed again page by page.
Measured on LeNet-5's first convolution (forward and backward, batch 64): 622 minor page
faults per step and ~0.8 ms of the step, where a slightly different order of the same
allocations gave none. Raising the trim threshold (and fixing the mmap threshold, which stops
the dynamic adjustment) keeps that memory for reuse. PyTorch avoids the same cost with its own
caching allocator.

It only changes when glibc returns memory to the kernel; peak memory is unchanged. Set
``GRADIENTE_MALLOC_TUNING=0`` to leave malloc as it is (e.g. when another library tunes it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 256 << 20  # keep up to 256 MB of freed heap
MMAP_THRESHOLD = 32 << 20  # arrays below 32 MB come from the (reused) heap


def tune() -> bool:
    """Set the thresholds on glibc (Linux); False where that is not possible or not wanted."""
    if os.environ.get("GRADIENTE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
        "linux"
    ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    return mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
