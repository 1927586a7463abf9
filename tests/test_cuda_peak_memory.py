"""gradiente.cuda.max_memory_allocated sees every peak after reset_peak_memory_stats: CuPy's
pool keeps no peak, so allocations are routed through an allocator that records it. Shown
with a fake CuPy whose pool counts bytes (the stand-in's arrays are host memory)."""

from __future__ import annotations

import types

import gradiente
from gradiente import backend as B
from gradiente import cuda


class _Pool:
    def __init__(self):
        self.used = 0

    def malloc(self, size):
        self.used += size
        return ("pointer", size)

    def free(self, size):
        self.used -= size

    def used_bytes(self):
        return self.used

    def total_bytes(self):
        return self.used


def test_the_peak_between_two_samples_is_seen(monkeypatch):
    pool, installed = _Pool(), []
    fake = types.SimpleNamespace(
        get_default_memory_pool=lambda: pool,
        cuda=types.SimpleNamespace(set_allocator=installed.append),
    )
    monkeypatch.setattr(B, "_cupy", fake)
    monkeypatch.setattr(cuda, "_index", lambda d: 0)
    monkeypatch.setattr(cuda, "_tracking", [False])
    monkeypatch.setattr(cuda, "_peak", [0])
    cuda.reset_peak_memory_stats()
    (malloc,) = installed  # every allocation now goes through it
    malloc(4096)
    malloc(1024)  # 5,120 bytes in use at the peak
    pool.free(5120)
    assert cuda.memory_allocated() == 0
    assert cuda.max_memory_allocated() == 5120
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == 0
    assert len(installed) == 1  # installed once
    assert gradiente.cuda.max_memory_allocated is cuda.max_memory_allocated
