"""The rank-one test at partial patterns (m ≥ 2), by exact elimination of the linear part.

Under a partial pattern every output's equations read M·(u_·o, c_o) = y_·o with one matrix M
for all outputs (etr_nn.patterns; row p: x̃_p in the blocks of the neurons active at p, 1 for c).
A functional φ on neuron j's block is determined modulo c when (φ on block j, κ on c, 0
elsewhere) lies in the row space of M; then φ(u_jo) + κ·c_o = r_o for every solution, where r
is the right-hand side of that combination of rows. In the network u_jo = A[o, j]·v_j, so
r_o − κ·c_o = φ(v_j)·A[o, j]: the vectors r − κ·c of all such φ of block j are multiples of
the one column A[:, j], which lies in the closed orthant σ_j. Hence, exactly:
- every 2×2 minor of two such vectors vanishes; the products κ_a·κ_b·c_o·c_t cancel, so each
  minor is an affine equation in c, and together with the rows that fix c alone (pivot in the
  c column) they must have a solution c;
- where they fix c, or κ = 0, each vector r − κ·c lies in the orthant σ_j or in −σ_j.
A partial pattern violating either has no network, nor has any completion (its rows are a
subset of theirs). The per-output LPs cannot see this: they share no unknowns. The
functionals of block j are the rows of the reduced row echelon form of
[M without block j and c | block j | c | y] whose pivot lies in block j (columns of block j
after the others). At a full pattern this decides most fitting systems of random data before
any polynomial is built (measured in benchmarks/random_two_output.py).
"""

from __future__ import annotations

from typing import Literal

import flint

from etr_nn.exact import to_fmpq
from etr_nn.exact.echelon import echelon
from etr_nn.search.dichotomies import lifted
from etr_nn.patterns import Points, Sign


ZERO = flint.fmpq(0)
SPARE = 1  # below full patterns, the test runs from depth (k − 1)·(d + 1) + SPARE + 1 on


class RankOne:
    """`refutes(signs, prefixes)`: the test above for the points order[:depth] (exact, flint)."""

    def __init__(self, points: Points, order: tuple[int, ...]):
        xs = lifted(points.coords)
        self.x = [[to_fmpq(v) for v in xs[p]] for p in order]
        self.y = [None if (y := points.label(p)) is None else [to_fmpq(v) for v in y]
                  for p in order]  # None: a probe point, no equation
        self.zero = [flint.fmpq(0)] * len(self.x[0]) if self.x else []
        self.one = flint.fmpq(1)
        self.n = len(order)

    def refutes(self, signs: tuple[Sign, ...], prefixes: tuple[tuple[int, ...], ...]) -> bool:
        k, depth, m = len(signs), len(prefixes[0]), len(signs[0])
        width = len(self.zero)
        if depth < self.n and depth <= (k - 1) * width + SPARE:
            return False  # measured: with few points a functional is rare, the test not worth its cost
        labelled = [(t, y) for t in range(depth) if (y := self.y[t]) is not None]
        # each labelled point's row of M: the neurons' blocks in order (x̃_p where active, else 0), then 1 and y_p
        full = [[v for j in range(k) for v in (self.x[t] if prefixes[j][t] else self.zero)] for t, _ in labelled]
        tails = [[self.one, *y] for _, y in labelled]
        functionals: list[list[tuple[flint.fmpq, list[flint.fmpq]]]] = []  # per block: (κ, r)
        equations: list[list[flint.fmpq]] = []  # affine in c: coefficients of c_0..c_{m−1}, then the constant
        for j in range(k):
            functionals.append([])
            if not labelled or not any(prefixes[j]):
                continue  # no functional on an unused block
            a, b = j * width, (j + 1) * width
            rows = [row[:a] + row[b:] + row[a:b] + tail for row, tail in zip(full, tails)]
            R, rank = flint.fmpq_mat(rows).rref()
            entries, cols = R.entries(), len(rows[0])
            c_col = cols - m - 1
            pivot = 0
            for r in range(rank):  # reduced echelon form: each row's pivot lies right of the row above's
                base = r * cols
                while entries[base + pivot] == 0:
                    pivot += 1
                if pivot > c_col:
                    return True  # inconsistent equations
                if pivot == c_col:  # c_o = r_o for every o
                    equations += [[self.one if t == o else ZERO for t in range(m)] + [-entries[base + c_col + 1 + o]]
                                  for o in range(m)]
                elif pivot >= c_col - width:
                    functionals[j].append((entries[base + c_col], entries[base + c_col + 1:base + cols]))
                pivot += 1
        for j in range(k):
            for a, (ka, ra) in enumerate(functionals[j]):
                for kb, rb in functionals[j][a + 1:]:
                    for o in range(m):
                        for t in range(o + 1, m):
                            row = [ZERO] * (m + 1)
                            row[o], row[t] = kb * ra[t] - ka * rb[t], ka * rb[o] - kb * ra[o]
                            row[m] = ra[o] * rb[t] - ra[t] * rb[o]
                            equations.append(row)
        c = _solve_affine(equations, m) if equations else None
        if c is False:
            return True
        for j in range(k):
            vectors = [[r[o] - kappa * c[o] for o in range(m)] if c is not None else r
                       for kappa, r in functionals[j] if c is not None or kappa == 0]
            if not all(_in_orthant(v, signs[j]) for v in vectors):
                return True
        return False


def _solve_affine(equations: list[list[flint.fmpq]], m: int) -> list[flint.fmpq] | None | Literal[False]:
    """Rows (a_0..a_{m−1}, b) mean Σ a_o·c_o + b = 0: False if no c solves them, the solution if it is
    unique, else None."""
    rows = echelon(flint.fmpq_mat(equations))
    if rows is None:
        return False
    return [-row[m] for _, row in rows] if len(rows) == m else None


def _in_orthant(v: list[flint.fmpq], sign: Sign) -> bool:
    """Is v in the closed orthant `sign` or in its negative?"""
    return all(s * a >= 0 for s, a in zip(sign, v)) or all(s * a <= 0 for s, a in zip(sign, v))
