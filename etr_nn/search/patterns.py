"""Activation patterns and the linear system each (partial) pattern imposes.

Unknowns (design notes, fact 4): u_jo = A[o, j]·(w_j, b_j) ∈ R^{d+1} and c_o. A neuron
carries a closed orthant σ_j ∈ {−1, 1}^m of its output column (σ_jo·A[o, j] ≥ 0; zero
entries belong to several orthants, so no third sign is needed) and an activation set S_j.
Under the pattern, for every decided point p:
    Σ_{j : p ∈ S_j} u_jo·x̃_p + c_o = y_po                                   (every o)
    σ_jo·u_jo·x̃_p ≥ 0 if p ∈ S_j, ≤ 0 otherwise                             (every j, o)
since u_jo·x̃_p = A[o, j]·(v_j·x̃_p) and v_j·x̃_p has the sign the pattern says. This system
is necessary for the pattern; with m = 1 (where A[0, j] = σ_j = ±1 by fact 1) it is also
sufficient. With m ≥ 2 the rest is rank one: u_j1, …, u_jm parallel to one v_j.

The enumeration rule that makes the search exhaustive (checked again by
etr_nn.search.certificate): sign vectors σ_1 ≤ … ≤ σ_k (lexicographic on the tuples), then
points in `order`, each neuron's activation bits restricted to prefixes of hyperplane
dichotomies of the data, and (σ_j, bits_j) ≤ (σ_{j+1}, bits_{j+1}) lexicographically
(neurons are interchangeable; a neuron with A[:, j] = 0 is the same as one with v_j = 0,
which fits every closed pattern and orthant).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations_with_replacement, product
from typing import Iterator, Literal, Sequence

from etr_nn.instance import Instance
from etr_nn.search.dichotomies import dichotomies, lifted

Sign = tuple[int, ...]
Point = tuple[Fraction, ...]


@dataclass(frozen=True)
class Points:
    """The points a search decides: the data, labelled, then probe points, unlabelled.

    A probe point (where a claim is evaluated) adds its activation bits and sign rows to a
    pattern but no equation: nothing is fitted there. Everything that reads labels reads
    them through `label`, so a probe is never taken for a data point."""

    coords: tuple[Point, ...]
    labels: tuple[Point, ...]

    @classmethod
    def of(cls, instance: Instance, probes: Sequence[Point] = ()) -> Points:
        """The instance's data, then those probes that are not data points."""
        extra = tuple(dict.fromkeys(x for x in probes if x not in instance.points))
        return cls(tuple(instance.points) + extra, tuple(instance.labels))

    def label(self, p: int) -> Point | None:
        """y_p for a data point, None for a probe."""
        return self.labels[p] if p < len(self.labels) else None


@dataclass(frozen=True)
class Row:
    """Σ coeffs[v]·z_v (=, ≥ or >) rhs over the unknowns z of `Layout` (a pattern's rows are
    = and ≥; a negated claim can add a strict one, etr_nn.gadgets.proof)."""

    coeffs: tuple[tuple[int, Fraction], ...]
    rel: Literal["=", ">=", ">"]
    rhs: Fraction


@dataclass(frozen=True)
class Layout:
    """Indices of the unknowns u_jo_t (t ≤ d, t = d the bias part) and c_o."""

    d: int
    k: int
    m: int

    def u(self, j: int, o: int, t: int) -> int:
        return ((j * self.m) + o) * (self.d + 1) + t

    def c(self, o: int) -> int:
        return self.k * self.m * (self.d + 1) + o

    @property
    def size(self) -> int:
        return self.k * self.m * (self.d + 1) + self.m


def sign_vectors(m: int) -> list[Sign]:
    """{−1, 1}^m, sorted: the closed orthants an output column can lie in."""
    return list(product((-1, 1), repeat=m))


def sign_choices(k: int, m: int) -> list[tuple[Sign, ...]]:
    """Non-decreasing k-tuples of sign vectors: one per multiset (neurons are interchangeable)."""
    return list(combinations_with_replacement(sign_vectors(m), k))


def point_order(instance: Instance) -> tuple[int, ...]:
    """The order points are decided in. d = 1: left to right. d ≥ 2: farthest first — the
    lexicographically least point, then repeatedly the point farthest (squared Euclidean distance,
    exact) from those chosen, ties to the lower index: spread-out points make partial patterns
    infeasible sooner (measured on planted d = 2, m = 2 data: 2–4× fewer nodes than lexicographic
    on most instances)."""
    lex = sorted(range(instance.n), key=lambda i: instance.points[i])
    if instance.shape.inputs == 1 or not lex:
        return tuple(lex)
    points = instance.points
    gap = {i: sum(((a - b) ** 2 for a, b in zip(points[i], points[lex[0]])), Fraction(0)) for i in lex[1:]}
    order = [lex[0]]
    while gap:
        far = max(sorted(gap), key=lambda i: gap[i])
        order.append(far)
        del gap[far]
        for i in gap:
            gap[i] = min(gap[i], sum(((a - b) ** 2 for a, b in zip(points[i], points[far])), Fraction(0)))
    return tuple(order)


class Trie:
    """Which activation bit a neuron may take next: prefixes (in `order`) of dichotomies."""

    def __init__(self, points: Sequence[Point], order: tuple[int, ...]):
        self.next: dict[tuple[int, ...], tuple[int, ...]] = {}
        options: dict[tuple[int, ...], set[int]] = {}
        for subset in dichotomies(points):
            bits = tuple(1 if p in subset else 0 for p in order)
            for t in range(len(order)):
                options.setdefault(bits[:t], set()).add(bits[t])
        self.next = {prefix: tuple(sorted(bits)) for prefix, bits in options.items()}


def children(signs: tuple[Sign, ...], prefixes: tuple[tuple[int, ...], ...], trie: Trie) -> Iterator[tuple[int, ...]]:
    """Bit vectors (one bit per neuron) for the next point, under the enumeration rule."""
    k = len(signs)
    for bits in product(*(trie.next[prefix] for prefix in prefixes)):
        if all(not (signs[j] == signs[j - 1] and prefixes[j] == prefixes[j - 1]) or bits[j] >= bits[j - 1]
               for j in range(1, k)):
            yield bits


def point_rows(points: Points, layout: Layout, signs: tuple[Sign, ...], p: int,
               bits: tuple[int, ...], outputs: range | tuple[int, ...] | None = None) -> list[Row]:
    """The rows point p adds when neuron j is active there iff bits[j] (module docstring),
    for the given outputs (default: all); rows of different outputs share no unknowns. A
    probe point adds its sign rows only."""
    x = lifted([points.coords[p]])[0]
    y = points.label(p)
    outputs = range(layout.m) if outputs is None else outputs
    rows = []
    if y is not None:
        for o in outputs:
            coeffs = [(layout.u(j, o, t), x[t]) for j in range(layout.k) if bits[j]
                      for t in range(layout.d + 1) if x[t]]
            rows.append(Row(tuple(coeffs) + ((layout.c(o), Fraction(1)),), "=", y[o]))
    for j in range(layout.k):
        for o in outputs:
            s = signs[j][o] if bits[j] else -signs[j][o]
            rows.append(Row(tuple((layout.u(j, o, t), s * x[t]) for t in range(layout.d + 1) if x[t]),
                            ">=", Fraction(0)))
    return rows


def pattern_rows(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
                 prefixes: tuple[tuple[int, ...], ...], outputs: tuple[int, ...] | None = None) -> list[Row]:
    """The rows of a partial pattern (neuron j's bits decide points order[:len(bits)]) for
    the given outputs (default: all)."""
    layout = Layout(len(points.coords[0]), len(signs), len(signs[0]))
    depth = len(prefixes[0])
    rows = []
    for t in range(depth):
        rows += point_rows(points, layout, signs, order[t], tuple(prefix[t] for prefix in prefixes), outputs)
    return rows
