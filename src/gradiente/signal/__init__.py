"""``torch.signal``: window functions for spectral analysis (``torch.signal.windows``)."""

from __future__ import annotations

from gradiente.signal import windows

__all__ = ["windows"]
