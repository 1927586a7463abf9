"""The argparse ``type=`` functions that check the numbers given on the command line.

One factory, ``number``, builds them all: parse the text as ``int`` or ``float``, test the
value, and on failure raise ``argparse.ArgumentTypeError``, which argparse prints as
``argument --lr: expected a positive number, got '0'`` with exit status 2.
"""

from __future__ import annotations

import argparse
import math
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
# the same, finite: an infinite learning rate or weight decay only turns the weights into NaN
positive_finite = number(float, lambda v: 0 < v < math.inf, "a positive number", "positive_finite")
non_negative_finite = number(
    float, lambda v: 0 <= v < math.inf, "a number >= 0", "non_negative_finite"
)
fraction = number(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)", "fraction")
# the range of seeds the random generator takes (as torch.manual_seed)
SEED_RANGE = (-(2**63), 2**64)
random_seed = number(
    int,
    lambda v: SEED_RANGE[0] <= v < SEED_RANGE[1],
    "an integer in [-2**63, 2**64)",
    "random_seed",
)
batch_size = number(
    int, lambda v: v >= 1, "a positive integer or 'full'", "batch_size", words=("full",)
)


def path_text(text: str) -> str:
    """A path given on the command line, refused when empty: ``--out ""`` (an unset shell
    variable) would otherwise mean the current folder."""
    if not text:
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text
