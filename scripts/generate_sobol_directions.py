"""Write ``src/gradiente/_sobol_directions.py``: Joe & Kuo's Sobol' direction numbers.

S. Joe and F. Y. Kuo publish the primitive polynomials and initial direction numbers of their
"new-joe-kuo-6.21201" table (search criterion D(6), https://web.maths.unsw.edu.au/~fkuo/sobol/)
as a text file with one row per dimension d ≥ 2 after a header line::

    d  s  a  m_1 m_2 ... m_s

(s: the polynomial's degree; a: its inner coefficients as bits; m_i: the initial direction
numbers). SciPy ships the same numbers as ``scipy/stats/_sobol_direction_numbers.npz`` (``poly``:
the whole polynomial x^s + ... + 1 as bits; ``vinit``: the m_i). Either can be read::

    python scripts/generate_sobol_directions.py new-joe-kuo-6.21201
    python scripts/generate_sobol_directions.py _sobol_direction_numbers.npz

Only the first ``DIMENSIONS`` rows are kept, as ``s a m_1 ... m_s`` lines of one string.
"""

from __future__ import annotations

import pathlib
import sys

DIMENSIONS = 1111
TARGET = pathlib.Path(__file__).resolve().parents[1] / "src" / "gradiente" / "_sobol_directions.py"


def _rows_from_joe_kuo(path: pathlib.Path) -> list[tuple[int, int, list[int]]]:
    rows = [(0, 0, [])]  # dimension 1 has no polynomial: its direction numbers are all 1
    for line in path.read_text().splitlines()[1:]:
        _, s, a, *m = (int(v) for v in line.split())
        rows.append((s, a, m[:s]))
    return rows


def _rows_from_npz(path: pathlib.Path) -> list[tuple[int, int, list[int]]]:
    import numpy as np

    table = np.load(path)
    rows = [(0, 0, [])]
    for poly, vinit in zip(table["poly"][1:], table["vinit"][1:], strict=True):
        s = int(poly).bit_length() - 1
        a = (int(poly) >> 1) & ((1 << (s - 1)) - 1)  # drop the leading x^s and trailing 1
        rows.append((s, a, [int(v) for v in vinit[:s]]))
    return rows


def main(source: str) -> None:
    path = pathlib.Path(source)
    rows = _rows_from_npz(path) if path.suffix == ".npz" else _rows_from_joe_kuo(path)
    lines = [" ".join(str(v) for v in (s, a, *m)) for s, a, m in rows[:DIMENSIONS]]
    TARGET.write_text(
        '"""Joe & Kuo\'s Sobol\' direction numbers (new-joe-kuo-6.21201, the first '
        f"{DIMENSIONS} dimensions).\n\n"
        "Written by ``scripts/generate_sobol_directions.py``: do not edit. One line per "
        "dimension,\n``s a m_1 ... m_s``: the degree s of the primitive polynomial, its inner "
        "coefficients a\n(as bits) and the initial direction numbers m_i; the first dimension's "
        'line is ``0 0``.\n"""\n\n'
        f"DIMENSIONS = {DIMENSIONS}\n\n"
        'TABLE = """\\\n' + "\n".join(lines) + '\n"""\n'
    )


if __name__ == "__main__":
    main(sys.argv[1])
