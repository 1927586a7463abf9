"""The argparse ``type=`` functions that check the numbers given on the command line.

One factory, ``number``, builds them all: parse the text as ``int`` or ``float``, test the
value, and on failure raise ``argparse.ArgumentTypeError``, which argparse prints as
``argument --lr: expected a positive number, got '0'`` with exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def number(
    kind: type, test: Callable, expected: str, name: str, words: tuple[str, ...] = ()
) -> Callable[[str], object]:
    """An argparse type: ``kind(text)`` if that parses and passes ``test``, else an error
    saying ``expected``; a text in ``words`` (such as ``"full"``) is returned as it is."""

    def parse(text: str):
        """The value given on the command line, checked."""
        if text in words:
            return text
        try:
            value = kind(text)
        except ValueError:
            value = None
        # ``not test(value)`` rather than the opposite test: NaN fails every comparison
        if value is None or not test(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = parse.__qualname__ = name
    return parse


positive_int = number(int, lambda v: v >= 1, "a positive integer", "positive_int")
positive_float = number(float, lambda v: v > 0, "a positive number", "positive_float")
non_negative_float = number(float, lambda v: v >= 0, "a number >= 0", "non_negative_float")
fraction = number(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)", "fraction")
batch_size = number(
    int, lambda v: v >= 1, "a positive integer or 'full'", "batch_size", words=("full",)
)
