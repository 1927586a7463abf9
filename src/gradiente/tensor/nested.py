"""How torch reads nested Python sequences as a tensor's shape, for its error messages: the
sizes along the first elements, and the first sequence that breaks them."""

from __future__ import annotations

import numbers


def _first_sizes(data) -> tuple[list, object]:
    """The sizes of nested sequences read along their first elements, and the first leaf."""
    sizes, probe = [], data
    while isinstance(probe, (list, tuple)):
        sizes.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    return sizes, probe


def _ragged(data) -> Exception | None:
    """torch's complaint about nested sequences of uneven depth or length, or None: the
    lengths along the first elements set each dim's size, and the first sequence that differs
    is named (a number where a sequence belongs, or a sequence where a number does, is a
    TypeError, as torch's)."""
    sizes, probe = _first_sizes(data)
    integral = isinstance(probe, numbers.Integral)

    def walk(seq, dim):
        if dim >= len(sizes):
            if not isinstance(seq, (list, tuple)):
                return None
            if integral:
                name = type(seq).__name__
                return TypeError(f"'{name}' object cannot be interpreted as an integer")
            return TypeError(f"must be real number, not {type(seq).__name__}")
        if not isinstance(seq, (list, tuple)):
            return TypeError("not a sequence")
        if len(seq) != sizes[dim]:
            return ValueError(
                f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(seq)})"
            )
        for item in seq:
            problem = walk(item, dim + 1)
            if problem:
                return problem
        return None

    return walk(data, 0)
