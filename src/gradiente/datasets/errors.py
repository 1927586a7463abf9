"""``DatasetFileError``: a dataset file or archive that is damaged, truncated, foreign or hostile.

Dataset files come from the network or from someone else's disk, so the readers trust nothing in
them; whatever they refuse raises this error (a ``ValueError``), its message starting with the
file's path, so that the command line can print it as one line.
"""

from __future__ import annotations

__all__ = ["DatasetFileError"]


class DatasetFileError(ValueError):
    """A dataset file that cannot be read as what it should be; the message names the file."""
