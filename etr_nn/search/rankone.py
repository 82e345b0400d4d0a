"""The rank-one test at partial patterns (m ≥ 2), by exact elimination of the linear part.

Under a partial pattern every output's equations read M·(u_·o, c_o) = y_·o with one matrix M
for all outputs (etr_nn.patterns; row p: x̃_p in the blocks of the neurons active at p, 1 for c).
A functional φ on neuron j's block is determined by the equations when (φ on block j, 0
elsewhere) lies in the row space of M; then φ(u_jo) = r_o for every solution, where r is the
right-hand side of that combination of rows. In the network u_jo = A[o, j]·v_j, so
φ(u_jo) = φ(v_j)·A[o, j]: the vectors r of all determined φ of block j are multiples of the
one column A[:, j], which lies in the closed orthant σ_j. Hence, exactly:
- the matrix of these vectors has rank ≤ 1, and
- each of them lies in the orthant σ_j or in −σ_j.
A partial pattern violating either has no network, nor has any completion (its rows are a
subset of theirs). The per-output LPs cannot see this: they share no unknowns. The
determined functionals of block j are the rows of the reduced row echelon form of
[M without block j | block j | y] whose pivot lies in block j (columns of block j last).
"""

from __future__ import annotations

import flint

from etr_nn.exact import to_fmpq
from etr_nn.search.dichotomies import lifted
from etr_nn.patterns import Points, Sign


class RankOne:
    """`refutes(signs, prefixes)`: the test above for the points order[:depth] (exact, flint)."""

    def __init__(self, points: Points, order: tuple[int, ...]):
        xs = lifted(points.coords)
        self.x = [[to_fmpq(v) for v in xs[p]] for p in order]
        self.y = [None if (y := points.label(p)) is None else [to_fmpq(v) for v in y]
                  for p in order]  # None: a probe point, no equation
        self.zero = [flint.fmpq(0)] * len(self.x[0]) if self.x else []
        self.one = flint.fmpq(1)

    def refutes(self, signs: tuple[Sign, ...], prefixes: tuple[tuple[int, ...], ...]) -> bool:
        k, depth = len(signs), len(prefixes[0])
        width = len(self.zero)
        m = len(signs[0])
        if depth <= (k - 1) * width + 1:
            return False  # measured: with so few points a determined functional is rare, the test not worth its cost
        blocks = [[self.x[t] if prefixes[j][t] else self.zero for t in range(depth)] for j in range(k)]
        for j in range(k):
            if sum(prefixes[j]) == 0:
                continue  # no determined functional on an unused block
            others = [i for i in range(k) if i != j]
            rows = [sum((blocks[i][t] for i in others), []) + [self.one] + blocks[j][t] + y
                    for t in range(depth) if (y := self.y[t]) is not None]
            if not rows:
                continue
            R, rank = flint.fmpq_mat(rows).rref()
            entries = R.entries()
            cols = len(rows[0])
            start = cols - width - m  # first column of block j
            values = []
            for r in range(rank):
                row = entries[r * cols:(r + 1) * cols]
                pivot = next(c for c, v in enumerate(row) if v != 0)
                if pivot >= cols - m:
                    return True  # inconsistent equations
                if pivot >= start:
                    values.append(row[cols - m:])
            if values and not _rank_one_in_orthant(values, signs[j]):
                return True
        return False


def _rank_one_in_orthant(values: list[list[flint.fmpq]], sign: Sign) -> bool:
    """Are the vectors multiples of one vector, each in the closed orthant `sign` or its negative?"""
    lead = next((v for v in values if any(v)), None)
    if lead is None:
        return True
    for v in values:
        if any(v[o] * lead[p] != v[p] * lead[o] for o in range(len(v)) for p in range(o)):
            return False
        if any(v) and not (all(s * a >= 0 for s, a in zip(sign, v)) or all(s * a <= 0 for s, a in zip(sign, v))):
            return False
    return True
