"""Linear systems over Q in reduced row echelon form (flint's fmpq_mat.rref)."""

from __future__ import annotations

import flint


def echelon(augmented: flint.fmpq_mat) -> list[tuple[int, list[flint.fmpq]]] | None:
    """The nonzero rows of the reduced row echelon form of [A | b], each with its pivot column, or
    None when A·x = b is inconsistent (a pivot in the last column reads 0 = 1). Row r then says
    x_pivot + Σ_{j > pivot} row[j]·x_j = row[−1], the x_j free or pivots of later rows only."""
    reduced, rank = augmented.rref()
    width = augmented.ncols()
    entries = reduced.entries()
    rows = []
    for r in range(rank):
        row = entries[r * width:(r + 1) * width]
        pivot = next(j for j, v in enumerate(row) if v != 0)
        if pivot == width - 1:
            return None
        rows.append((pivot, row))
    return rows
