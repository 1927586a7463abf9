"""``torch.nn.attention``: choosing the kernel of ``F.scaled_dot_product_attention``.

torch has several implementations of attention (the plain "math" one, FlashAttention, the
memory-efficient one, cuDNN's) and ``with sdpa_kernel(SDPBackend.MATH):`` restricts which it
may use. They compute the same function ``softmax(Q Kᵀ / √d + mask) V`` and differ in speed
and memory only. gradiente has one implementation, the math one, so ``sdpa_kernel`` accepts
any backends, checks the argument as torch does and changes nothing.
"""

from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]

# torch's switch for warnings about why a fused kernel was not used (there are none here)
WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The attention implementations torch can choose from (its names and numbers)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Run the block with only ``backends`` (one ``SDPBackend`` or a list) allowed for
    ``scaled_dot_product_attention``. gradiente's one (math) implementation serves them all,
    so nothing changes inside; the argument is checked as torch checks it."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
            f"got {type(backends).__name__}"
        )
    yield {}
