"""Hyperplane dichotomies: the sets a single ReLU can be active on.

A neuron (w, b) is active (h > 0) at x_i exactly when v·x̃_i > 0, with v = (w, b) and
x̃_i = (x_i, 1). The activation sets {i : v·x̃_i > 0} are the strict dichotomies of the
data: for v on a hyperplane through some points, shifting b down a little makes them
negative and keeps the others, so every activation set is a sign vector σ ∈ {±1}^n with
σ_i v·x̃_i > 0 for some v, i.e. a full-dimensional cell of the central arrangement of the
hyperplanes {v : v·x̃_i = 0} in R^{d+1} (design notes, fact 5).

Cells are enumerated exactly by recursion on rank: restricted to the span V (dimension ρ)
of the vectors, the arrangement is essential, so with ρ ≥ 2 every cell is a pointed cone
with an extreme ray r, where the vectors orthogonal to r span a (ρ−1)-space. Near r the
signs of the other vectors are those of r (or −r), and the vectors orthogonal to r take
every sign vector of their own (rank ρ−1) arrangement. With ρ = 1 all vectors are
multiples of one, and the cells are ±(their signs). Everything is exact, and in integers:
each x̃_i is scaled to an integer vector (a positive multiple: the same cells), and rays come
from flint's integer null space (several times faster than Fraction arithmetic). For points
in general position the count is 2·Σ_{i≤d} C(n−1, i) (Cover, 1965).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from math import comb, lcm
from typing import Sequence, TypeVar, overload

import flint

Vector = tuple[Fraction, ...]
V = TypeVar("V", bound=tuple[Fraction | int, ...])  # a Vector, or an integer vector


def lifted(points: Sequence[Sequence[Fraction]]) -> list[Vector]:
    """x̃_i = (x_i, 1)."""
    return [tuple(Fraction(v) for v in x) + (Fraction(1),) for x in points]


@overload
def dot(u: Sequence[int], v: Sequence[int]) -> int: ...
@overload
def dot(u: Sequence[Fraction | int], v: Sequence[Fraction | int]) -> Fraction | int: ...
def dot(u: Sequence[Fraction | int], v: Sequence[Fraction | int]) -> Fraction | int:
    return sum((a * b for a, b in zip(u, v)), 0)


def integral(v: Sequence[Fraction | int]) -> tuple[int, ...]:
    """v times the lcm of its denominators: the integer vector in v's direction."""
    scale = lcm(*(Fraction(a).denominator for a in v))
    return tuple(int(a * scale) for a in v)


def basis(vectors: Sequence[V]) -> list[V]:
    """A maximal linearly independent subset of `vectors` (exact, fraction-free Gaussian elimination)."""
    chosen: list[V] = []
    reduced: list[tuple[int, tuple[Fraction | int, ...]]] = []  # echelon rows with their pivot column
    pivot: int | None
    for v in vectors:
        row = list(v)
        for pivot, r in reduced:
            if row[pivot]:  # r[pivot]·row − row[pivot]·r: zero at the pivot, integer for integer rows
                row = [a * r[pivot] - row[pivot] * b for a, b in zip(row, r)]
        pivot = next((t for t, a in enumerate(row) if a), None)
        if pivot is not None:
            reduced.append((pivot, tuple(row)))
            chosen.append(v)
    return chosen


def null_vector(rows: Sequence[Sequence[int]], size: int) -> list[int]:
    """A nonzero integer solution α of rows·α = 0, where the integer rows have rank size − 1
    (flint's exact null space)."""
    space, _ = flint.fmpz_mat([list(r) for r in rows]).nullspace()
    return [int(space[t, 0]) for t in range(size)]


def dichotomies(points: Sequence[Sequence[Fraction]]) -> list[frozenset[int]]:
    """Every activation set {i : w·x_i + b > 0} over all (w, b), sorted by (size, members)."""
    return list(_dichotomies(tuple(tuple(x) for x in points)))


@lru_cache(maxsize=16)
def _dichotomies(points: tuple[tuple[Fraction, ...], ...]) -> tuple[frozenset[int], ...]:
    vectors = tuple(integral(x) for x in lifted(points))
    cells = _cells(vectors, tuple(range(len(vectors))), {})
    return tuple(sorted((frozenset(i for i, s in enumerate(cell) if s > 0) for cell in cells),
                        key=lambda s: (len(s), sorted(s))))


def general_position_count(n: int, d: int) -> int:
    """Cover's count of affine dichotomies of n points in general position in R^d."""
    return 2 * sum(comb(n - 1, i) for i in range(d + 1)) if n else 1


def _cells(vectors: tuple[tuple[int, ...], ...], members: tuple[int, ...],
           memo: dict[tuple[int, ...], set[tuple[int, ...]]]) -> set[tuple[int, ...]]:
    """Sign vectors (indexed like `vectors`, 0 outside `members`) of the cells of the members' arrangement."""
    if members in memo:
        return memo[members]
    n = len(vectors)
    span = basis([vectors[i] for i in members])
    rho = len(span)
    cells: set[tuple[int, ...]] = set()
    if rho == 0:
        cells.add((0,) * n)
    elif rho == 1:
        base = [0] * n
        for i in members:
            base[i] = 1 if dot(vectors[i], span[0]) > 0 else -1
        cells |= {tuple(base), tuple(-s for s in base)}
    seen: set[tuple[int, ...]] = set()
    for subset in combinations(members, rho - 1) if rho >= 2 else ():
        rows = [vectors[i] for i in subset]
        if len(basis(rows)) < rho - 1:
            continue
        # r = Σ α_t span_t with r·x̃ = 0 for x̃ in the subset: a (ρ−1)×ρ system of rank ρ−1.
        alpha = null_vector([tuple(dot(x, s) for s in span) for x in rows], rho)
        r = tuple(sum(a * s[t] for a, s in zip(alpha, span)) for t in range(len(span[0])))
        values = {i: dot(vectors[i], r) for i in members}
        flat = tuple(i for i in members if values[i] == 0)
        if flat in seen:
            continue
        seen.add(flat)
        for inner in _cells(vectors, flat, memo):
            for direction in (1, -1):
                cell = list(inner)
                for i in members:
                    if values[i]:
                        cell[i] = direction if values[i] > 0 else -direction
                cells.add(tuple(cell))
    memo[members] = cells
    return cells
