"""Kink covering: a combinatorial necessary condition on activation patterns from collinear data.

Lemma. Let a, b, c be collinear data points with b strictly between a and c, and
y_b < the linear interpolation of y_a, y_c (strictly convex; output o). Then in every
zero-error fit (f(x) = y at every data point) some neuron j with A[o, j] > 0 has
different activations at a and c.
Proof: along the segment [a, c] the pre-activation h_j = v_j·x̃ is affine, so a neuron
whose activation (h_j > 0) is the same at a and c is active on the whole segment (relu(h_j)
affine there) or inactive on it (relu(h_j) = 0 on it, since h_j ≤ 0 at both ends). Without a
positive-weight neuron switching between a and c, f_o restricted to [a, c] is affine plus
a sum of −relu(·)'s, which is concave, so y_b ≥ the interpolation: a contradiction.
Strictly concave triples need a neuron with A[o, j] < 0 switching between a and c.

The search's closed orthants σ_jo (σ_jo·A[o, j] ≥ 0) contain every such neuron, so a
partial pattern is refuted when, for some output o and sign s, the required pairs cannot
all be separated by neurons with σ_jo = s, each through a dichotomy of the points that is
still consistent with its bits so far. Only minimal pairs are kept: a neuron separating a
from c separates every pair (a', c') on that line with [a, c] ⊂ [a', c'].

Consistent dichotomies are bit masks over the list of all dichotomies; the covering test
is a small exact set-cover search over the distinct maximal "pairs separated" sets.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Sequence

from etr_nn.search.dichotomies import dichotomies

Point = Sequence[Fraction]
Pair = tuple[int, int]


def _collinear(a: Point, b: Point, c: Point) -> bool:
    return all((b[s] - a[s]) * (c[t] - a[t]) == (b[t] - a[t]) * (c[s] - a[s])
               for s, t in combinations(range(len(a)), 2))


def _position(a: Point, c: Point, b: Point) -> Fraction:
    """λ with b = a + λ·(c − a), for b on the line through a ≠ c."""
    t = next(t for t in range(len(a)) if a[t] != c[t])
    return (b[t] - a[t]) / (c[t] - a[t])


def required_pairs(points: Sequence[Point], values: Sequence[Fraction]) -> dict[int, list[Pair]]:
    """Minimal pairs (a, c) some neuron of each sign must separate: {+1: convex, −1: concave}."""
    n = len(values)
    found: dict[int, list[tuple[Pair, int]]] = {1: [], -1: []}
    for i, k in combinations(range(n), 2):
        a, c = points[i], points[k]
        if a == c:
            continue
        inner = [(j, lam) for j in range(n) if j not in (i, k) and _collinear(a, points[j], c)
                 and 0 < (lam := _position(a, c, points[j])) < 1]
        for j, lam in inner:
            gap = values[i] + lam * (values[k] - values[i]) - values[j]
            if gap:
                found[1 if gap > 0 else -1].append(((i, k), j))
    result: dict[int, list[Pair]] = {}
    for s, pairs in found.items():
        segments = {p for p, _ in pairs}
        result[s] = sorted(p for p in segments if not any(q != p and _inside(points, q, p) for q in segments))
    return result


def _inside(points: Sequence[Point], q: Pair, p: Pair) -> bool:
    """Is segment q contained in segment p (both on one line)?"""
    a, c = points[p[0]], points[p[1]]
    if not all(_collinear(a, points[e], c) for e in q):
        return False
    return all(0 <= _position(a, c, points[e]) <= 1 for e in q)


class Covering:
    """The kink-covering test for the points `points` (labels for the first len(labels))."""

    def __init__(self, points: Sequence[Point], labels: Sequence[Sequence[Fraction]], order: Sequence[int]):
        cells = dichotomies(points)
        self.full = (1 << len(cells)) - 1
        self.inside = [sum(1 << d for d, cell in enumerate(cells) if p in cell) for p in range(len(points))]
        self.order = tuple(order)
        outputs = len(labels[0]) if labels else 0
        self.needs: dict[tuple[int, int], int] = {}  # (o, s) → mask of required pairs
        self.separates: dict[tuple[int, int], list[int]] = {}  # (o, s) → per dichotomy, pairs separated
        for o in range(outputs):
            for s, pairs in required_pairs(points[:len(labels)], [y[o] for y in labels]).items():
                if pairs:
                    self.needs[o, s] = (1 << len(pairs)) - 1
                    self.separates[o, s] = [sum(1 << r for r, (a, c) in enumerate(pairs) if (a in cell) != (c in cell))
                                            for cell in cells]
        self.masks: dict[tuple[int, ...], int] = {(): self.full}
        self.memo: dict[tuple[int, int, int], list[int]] = {}
        self.decided: dict[tuple[int, int, tuple[int, ...]], bool] = {}

    def __bool__(self) -> bool:
        return bool(self.needs)

    def mask(self, prefix: tuple[int, ...]) -> int:
        """The dichotomies agreeing with a neuron's bits on the first len(prefix) points of the order."""
        hit = self.masks.get(prefix)
        if hit is None:
            inside = self.inside[self.order[len(prefix) - 1]]
            hit = self.mask(prefix[:-1]) & (inside if prefix[-1] else self.full & ~inside)
            self.masks[prefix] = hit
        return hit

    def _options(self, o: int, s: int, mask: int) -> list[int]:
        """The maximal sets of required pairs one neuron with these dichotomies can separate."""
        key = (o, s, mask)
        hit = self.memo.get(key)
        if hit is None:
            sep = self.separates[o, s]
            sets = {sep[d] for d in range(mask.bit_length()) if mask >> d & 1}
            hit = sorted((x for x in sets if not any(y != x and x & y == x for y in sets)), key=lambda x: -x.bit_count())
            self.memo[key] = hit
        return hit

    def feasible(self, signs: Sequence[Sequence[int]], prefixes: Sequence[tuple[int, ...]]) -> int | None:
        """None if every (output, sign) class can still cover its pairs, else the failing output."""
        for (o, s), need in self.needs.items():
            masks = tuple(sorted(self.mask(p) for sign, p in zip(signs, prefixes) if sign[o] == s))
            hit = self.decided.get((o, s, masks))
            if hit is None:
                hit = self.decided[o, s, masks] = _cover(need, [self._options(o, s, m) for m in masks])
            if not hit:
                return o
        return None


def _cover(need: int, options: list[list[int]]) -> bool:
    """Can one set from each list (or none) together contain every bit of `need`?"""
    if not need:
        return True
    if not options:
        return False
    if sum(max((x & need).bit_count() for x in opts) if opts else 0 for opts in options) < need.bit_count():
        return False
    first, rest = options[0], options[1:]
    return any(_cover(need & ~x, rest) for x in first if x & need) or _cover(need, rest)
