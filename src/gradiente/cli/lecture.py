"""``gradiente lecture``: reproduce the lecture's numbers and figures (``gradiente.lecture``).

``gradiente.lecture`` loads matplotlib and the eleven sections, which ``gradiente train``
should not wait for: it is imported only when the command runs (or when ``--only``'s section
names are needed to check the command line or print its help).
"""

from __future__ import annotations

import argparse

from gradiente.cli.validators import path_text

DEFAULT_OUT = "lecture-figures"  # gradiente.lecture.DEFAULT_OUT


class _SectionNames:
    """The lecture's section names (``gd``, ``linreg``, ...) as ``--only``'s choices, read
    from ``gradiente.lecture.SECTIONS`` the first time argparse looks at them."""

    def __iter__(self):
        from gradiente import lecture

        return iter([s.NAME for s in lecture.SECTIONS])

    def __contains__(self, name) -> bool:
        return name in list(self)


def add_arguments(lecture) -> None:
    """Add ``lecture``'s arguments and options to its parser."""
    lecture.add_argument(
        "--out",
        type=path_text,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for the figures (default: {DEFAULT_OUT}/)",
    )
    lecture.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=_SectionNames(),
        help="run only these sections (names from --list)",
    )
    lecture.add_argument("--list", action="store_true", help="list the sections and exit")
    lecture.set_defaults(handler=cmd_lecture)


def cmd_lecture(args: argparse.Namespace) -> int:
    """``gradiente lecture [--out DIR] [--only NAME ...] [--list]``: the lecture's sections in
    order, their numbers printed and their figures written into ``--out``."""
    from gradiente import lecture

    return lecture.command(args)
