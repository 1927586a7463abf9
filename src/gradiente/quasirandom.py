"""``torch.quasirandom``: the Sobol' low-discrepancy sequence (``SobolEngine``).

A Sobol' sequence fills [0, 1)^D far more evenly than random points, which makes quasi-Monte
Carlo integrals converge at about 1/n instead of 1/√n. Each dimension d has 30 *direction
numbers* v_d,b (30-bit integers, from Joe & Kuo's table), and the k-th point is

    x_k,d = (s_d ⊕ ⨁_{b : bit b of gray(k) is 1} v_d,b) / 2³⁰,    gray(k) = k ⊕ ⌊k/2⌋

(⊕ is bitwise XOR, s_d a shift, 0 without scrambling). Consecutive Gray codes differ in one
bit — the lowest zero bit of k − 1 — so a generator steps from x_{k−1} to x_k with one XOR;
here a whole batch is computed at once from the formula.

The direction numbers of dimension d come from its primitive polynomial
x^s + a_1 x^(s−1) + ... + a_(s−1) x + 1 over GF(2) and s initial numbers m_1 .. m_s:

    m_j = 2 a_1 m_(j−1) ⊕ 2² a_2 m_(j−2) ⊕ ... ⊕ 2^s m_(j−s) ⊕ m_(j−s),   v_d,b = m_(b+1) 2^(29−b)

(the first dimension has m_j = 1: its points are the van der Corput sequence).

``scramble=True`` applies Owen's random linear matrix scrambling, as torch does: each
dimension's direction numbers, read as 30-bit vectors with the most significant bit first, are
multiplied (mod 2) by a random lower-triangular 30 × 30 bit matrix with a unit diagonal, and a
random 30-bit shift s_d is XORed in. The bits are drawn with ``randint`` in torch's order, from
a generator seeded with ``seed`` (or from the default generator), so the points are torch's.
"""

from __future__ import annotations

import functools

from gradiente import backend as B
from gradiente._sobol_directions import DIMENSIONS, TABLE
from gradiente.backend import xp
from gradiente.random import Generator
from gradiente.tensor import Tensor, randint

__all__ = ["SobolEngine"]

_BITS = 30  # SobolEngine.MAXBIT: the points are multiples of 2⁻³⁰


@functools.cache
def _table() -> list[tuple[int, int, tuple[int, ...]]]:
    """Joe & Kuo's rows (s, a, (m_1, ..., m_s)), one per dimension."""
    rows = []
    for line in TABLE.splitlines():
        s, a, *m = (int(v) for v in line.split())
        rows.append((s, a, tuple(m)))
    return rows


def _direction_numbers(dimension: int):
    """The (dimension, 30) int64 array of v_d,b (torch's ``sobolstate``)."""
    v = xp.zeros((dimension, _BITS), dtype=xp.int64)
    v[0] = 1  # the first dimension: m_j = 1
    for d, (s, a, initial) in enumerate(_table()[1:dimension], start=1):
        m = list(initial)
        for j in range(s, _BITS):
            # m_j = m_(j−s) ⊕ 2^s m_(j−s) ⊕ ⨁_k 2^k a_k m_(j−k)
            new = m[j - s] ^ (m[j - s] << s)
            for k in range(1, s):
                if (a >> (s - 1 - k)) & 1:
                    new ^= m[j - k] << k
            m.append(new)
        v[d] = m
    return v << xp.arange(_BITS - 1, -1, -1, dtype=xp.int64)  # v_d,b = m_(b+1) · 2^(29−b)


def _points(v, shift, first: int, n: int):
    """The integer points x_first .. x_(first+n−1) as an (n, dimension) int64 array."""
    k = xp.arange(first, first + n, dtype=xp.int64)
    gray = k ^ (k >> 1)
    x = xp.repeat(shift[None, :], n, axis=0)
    for b in range(_BITS):
        bit = ((gray >> b) & 1).astype(bool)  # the points whose Gray code has bit b
        x[bit] ^= v[:, b]
    return x


class SobolEngine:
    """The (optionally scrambled) Sobol' sequence in ``dimension`` dimensions, as
    ``torch.quasirandom.SobolEngine``.

    ``draw(n)`` returns the next n points as an (n, dimension) tensor; ``draw_base2(m)`` the
    next 2^m (keeping the total a power of two, which the balance properties need);
    ``fast_forward(n)`` skips n points and ``reset()`` starts again. gradiente has the direction
    numbers of the first 1111 dimensions (torch: 21201).
    """

    MAXBIT = _BITS
    MAXDIM = 21201

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None) -> None:
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(
                f"Supported range of dimensionality for SobolEngine is [1, {self.MAXDIM}]"
            )
        if dimension > DIMENSIONS:
            raise ValueError(
                f"gradiente's SobolEngine has Joe & Kuo's direction numbers for dimensions "
                f"[1, {DIMENSIONS}] only (torch's go up to {self.MAXDIM}), got {dimension}"
            )
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        self.sobolstate = Tensor._make(_direction_numbers(dimension))
        if scramble:
            self._scramble()
        else:
            self.shift = Tensor._make(xp.zeros(dimension, dtype=xp.int64))
        self.quasi = self.shift.clone()
        # x_0 = shift / 2³⁰ in the default dtype of construction time, as torch keeps it
        default = B.get_default_dtype().np
        first = self.shift._data.astype(default) / default.type(2**self.MAXBIT)
        self._first_point = Tensor._make(first.reshape(1, -1))
        self.num_generated = 0

    def _scramble(self) -> None:
        """Owen's linear matrix scrambling with a random shift (torch's draws, in its order)."""
        generator = None
        if self.seed is not None:
            generator = Generator()
            generator.manual_seed(self.seed)
        D, bits = self.dimension, self.MAXBIT
        shift_bits = randint(2, (D, bits), generator=generator)._data
        self.shift = Tensor._make(shift_bits @ (1 << xp.arange(bits, dtype=xp.int64)))
        # L: (D, 30, 30) lower triangular with a unit diagonal, rows and columns MSB first
        L = xp.tril(randint(2, (D, bits, bits), generator=generator)._data)
        L[:, xp.arange(bits), xp.arange(bits)] = 1
        v = self.sobolstate._data
        powers = xp.arange(bits - 1, -1, -1, dtype=xp.int64)
        v_bits = (v[:, :, None] >> powers) & 1  # (D, 30 numbers, 30 bits MSB first)
        scrambled_bits = xp.einsum("dpc,djc->djp", L, v_bits) % 2  # L v (mod 2)
        self.sobolstate = Tensor._make((scrambled_bits << powers).sum(axis=-1))

    def draw(self, n: int = 1, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next n points of the sequence, as an (n, dimension) tensor in [0, 1)."""
        dtype = B.get_default_dtype() if dtype is None else B.to_dtype(dtype)
        N = self.num_generated
        x = _points(self.sobolstate._data, self.shift._data, N, n)
        values = (x * 2.0**-self.MAXBIT).astype(dtype.np)  # exact in float64, then rounded
        if N == 0 and n >= 1:
            values[0] = self._first_point._data[0].astype(dtype.np)
        if n > 0:
            self.quasi = Tensor._make(x[-1].copy())
        self.num_generated += n
        result = Tensor._make(values)
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m: int, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next 2^m points; the total drawn must stay a power of two."""
        n = 2**m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError(
                "The balance properties of Sobol' points require "
                f"n to be a power of 2. {self.num_generated} points have been "
                f"previously generated, then: n={self.num_generated}+2**{m}={total_n}. "
                "If you still want to do this, please use "
                "'SobolEngine.draw()' instead."
            )
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self) -> SobolEngine:
        """Start the sequence again from its first point."""
        self.quasi = self.shift.clone()
        self.num_generated = 0
        return self

    def fast_forward(self, n: int) -> SobolEngine:
        """Skip the next n points (as if drawn and thrown away)."""
        last = self.num_generated + n - 1  # the index of the last point skipped
        if last >= 0:
            self.quasi = Tensor._make(_points(self.sobolstate._data, self.shift._data, last, 1)[0])
        self.num_generated += n
        return self

    def __repr__(self) -> str:
        fields = [f"dimension={self.dimension}"]
        if self.scramble:
            fields += ["scramble=True"]
        if self.seed is not None:
            fields += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fields) + ")"
