"""Known, deliberate or not-yet-fixed differences the independent fuzzer skips, with a reason.

Each entry is ``(category, op pattern, detail pattern, reason)``, optionally with a fifth
pattern the program's source must match: a mismatch whose category is equal and whose op and
detail match the regular expressions (``re.search``) is skipped and counted under its reason.
Keep the list short: an entry hides a whole class. Entries starting "open:" are differences
found and not fixed yet.
"""

from __future__ import annotations

import re

_BF16 = "not implemented for 'BFloat16'"

KNOWN = [
    # (category, op regex, detail regex, reason)
    (
        "gradiente raises",
        ".",
        _BF16,
        "bfloat16: an op missing from gradiente's verified table (ops/bfloat16.py) is refused",
    ),
    ("backward error", ".", _BF16, "bfloat16: a backward missing from the verified table"),
    ("error type", ".", _BF16, "bfloat16: refused before torch's own check"),
    (
        "no error",
        r"^T\.kron$",
        "RuntimeError",
        "torch 2.13's kron of a non-contiguous input raises its internal view error (a torch bug)",
    ),
    (
        "backward error",
        "backward",
        "torch raised RuntimeError: one of the variables needed",
        "torch 2.13's vander cannot be differentiated (it writes in place into a saved view)",
        r"T\.vander",
    ),
    (
        "error type",
        r"index_fill",
        "IndexError",
        "index_fill of an empty tensor: torch raises an internal setStorage RuntimeError",
    ),
    (
        "gradiente raises",
        r"scatter|gather",
        "Index tensor must have the same number of dimensions",
        "open: torch skips gather/scatter's shape checks for an empty index",
    ),
    (
        "requires_grad",
        r"T\.(unique|unique_consecutive|bincount|median|nanmedian)$",
        "torch True, gradiente False",
        "open: unique/bincount (and median of an empty tensor) results do not require grad "
        "(torch records a node whose backward raises)",
    ),
    (
        "value",
        r"signbit|copysign",
        ".",
        "open: the sign of a zero product of matmul with one term (k = 1) is torch's -0.0 "
        "(gemm.py, not edited here)",
        r"tensordot|T\.mm|bmm|matmul|@|addmm|einsum|inner|outer|kron",
    ),
    (
        "no error",
        r"index_add_|index_copy_|scatter_|setitem",
        "RuntimeError",
        "open: torch refuses an index write whose source overlaps the written tensor",
    ),
    (
        "gradiente raises",
        r"T\.cummin|T\.cummax",
        "Dimension out of range",
        "open: torch checks no dim for a scan of an empty tensor",
    ),
]


def match_known(category, op, detail, program=None):
    """The reason of the first entry matching this mismatch, or None."""
    for cat, op_re, detail_re, reason, *source_re in KNOWN:
        if cat == category and re.search(op_re, op) and re.search(detail_re, detail):
            if source_re and not (program and re.search(source_re[0], program.source())):
                continue
            return reason
    return None
