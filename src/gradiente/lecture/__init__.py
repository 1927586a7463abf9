"""The lecture "Gradiente descendente e backpropagation", reproduced: ``gradiente lecture``.

Each section of the lecture is a small module with ``NAME``, ``TITLE`` and ``run(out)``: it
prints the section's numbers and writes its figures into the folder ``out``, returning their
paths. ``main(argv)`` is the command line: ``[--out DIR] [--only NAME ...] [--list]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gradiente.lecture import (
    adam,
    autograd_example,
    backprop_example,
    batch_size,
    gradient_descent,
    learning_rate,
    linear_regression,
    mlp_backward,
    nonconvex,
    optimizers,
    xavier,
)

# The lecture's order.
SECTIONS = [
    gradient_descent,
    linear_regression,
    learning_rate,
    batch_size,
    nonconvex,
    backprop_example,
    mlp_backward,
    autograd_example,
    xavier,
    optimizers,
    adam,
]

DEFAULT_OUT = "lecture-figures"


def section(name: str):
    """The section module called ``name`` (see ``--list``)."""
    for s in SECTIONS:
        if s.NAME == name:
            return s
    raise KeyError(
        f"no lecture section {name!r}; the sections are {', '.join(s.NAME for s in SECTIONS)}"
    )


def run(names=None, out=DEFAULT_OUT) -> list[Path]:
    """Run the sections called ``names`` (all, in order, by default); returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = SECTIONS if not names else [section(n) for n in names]
    written = []
    for s in chosen:
        number = SECTIONS.index(s) + 1
        print(f"\n=== {number}. {s.NAME}: {s.TITLE} ===")
        start = time.perf_counter()
        files = s.run(out)
        for f in files:
            print(f"[wrote {f}]")
        print(f"[{s.NAME}: {time.perf_counter() - start:.1f} s]")
        written.extend(files)
    return written


def main(argv: list[str] | None = None) -> int:
    """``gradiente lecture [--out DIR] [--only NAME ...] [--list]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="gradiente lecture",
        description="Reproduce the lecture on gradient descent and backpropagation: print each "
        "section's numbers and write its figures (PNG, GIF for animations).",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder for the figures (default: {DEFAULT_OUT}/)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=[s.NAME for s in SECTIONS],
        help="run only these sections (names from --list)",
    )
    parser.add_argument("--list", action="store_true", help="list the sections and exit")
    return command(parser.parse_args(argv))


def command(args: argparse.Namespace) -> int:
    """List the sections (``args.list``), or run ``args.only`` (all if None) into ``args.out``
    and say how many files were written; returns the exit status. ``main`` and the
    ``gradiente lecture`` subcommand both end here."""
    if args.list:
        for k, s in enumerate(SECTIONS, start=1):
            print(f"{k:>2}. {s.NAME:<12} {s.TITLE}")
        return 0
    files = run(args.only, args.out)
    print(f"\n{len(files)} files in {args.out}/")
    return 0
