"""The pattern core: activation patterns and the system each (partial) pattern imposes, written
once for every user (the search engine, the guide, optimize, the gadget checker, the proofs).

Converters: rows to an exact LP (etr_nn.lp: incremental simplex, Farkas certificates), to
polynomial atoms and `poly.System` for the nonlinear backends (`row_atom`,
`full_pattern_system`, `fitting_system`), least squares over a pattern's cell (`least_squares_problem`,
for etr_nn.qp), outputs as linear forms (`output_value`, `Linear`,
which claims and residuals are built from), one factor of u = A·v fixed (`with_columns`,
`with_hyperplanes`), and back from a solution to a `Network` (`lp_network`).

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
from functools import cached_property, lru_cache
from fractions import Fraction
from itertools import combinations, combinations_with_replacement, product
from math import ceil, isqrt
from typing import Callable, Iterator, Literal, Sequence, Union, overload

import flint

from etr_nn.exact import Number, to_fmpq
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.poly import HOLDS, And, Atom, System
from etr_nn.search.dichotomies import dichotomies, lifted

Sign = tuple[int, ...]
Point = tuple[Fraction, ...]
Prefixes = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Points:
    """The points a search decides: the data, labelled, then probe points, unlabelled.

    A probe point (where a claim is evaluated) adds its activation bits and sign rows to a
    pattern but no equation: nothing is fitted there. Everything that reads labels reads
    them through `label`, so a probe is never taken for a data point. With `loss` = (kind,
    γ), γ > 0, a data point's label is met up to a slack, not exactly (`point_rows`)."""

    coords: tuple[Point, ...]
    labels: tuple[Point, ...]
    loss: tuple[str, Fraction] | None = None

    @classmethod
    def of(cls, instance: Instance, probes: Sequence[Point] = (), with_loss: bool = False) -> Points:
        """The instance's data, then those probes that are not data points; with `with_loss`
        and max_error > 0, labels within the instance's loss bound."""
        extra = tuple(dict.fromkeys(x for x in probes if x not in instance.points))
        loss = (instance.loss, instance.max_error) if with_loss and instance.max_error > 0 else None
        return cls(tuple(instance.points) + extra, tuple(instance.labels), loss)

    def label(self, p: int) -> Point | None:
        """y_p for a data point, None for a probe."""
        return self.labels[p] if p < len(self.labels) else None

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        """Computed once: Points key the cache of `point_atoms`."""
        return hash((self.coords, self.labels, self.loss))


@dataclass(frozen=True)
class Row:
    """Σ coeffs[v]·z_v (=, ≥ or >) rhs over the unknowns z of `Layout` (a pattern's rows are
    = and ≥; a negated claim can add a strict one, etr_nn.gadgets.proof)."""

    coeffs: tuple[tuple[int, Fraction], ...]
    rel: Literal["=", ">=", ">"]
    rhs: Fraction

    def holds(self, z: Sequence[Number]) -> bool:
        """Does the point z satisfy the row (exactly)?"""
        return HOLDS[self.rel](Linear(self.coeffs, -self.rhs).at(z))


@dataclass(frozen=True)
class Linear:
    """Σ coeffs[v]·z_v + const over the unknowns z of `Layout`: the value f_o(x_p) of an output
    under a pattern (`output_value`), and what claims build from such values. Sums, differences
    and products with a constant stay linear; any other product raises ValueError."""

    coeffs: tuple[tuple[int, Fraction], ...] = ()
    const: Fraction = Fraction(0)

    def __add__(self, other: Union[Linear, Fraction, int]) -> Linear:
        other = _linear(other)
        total = dict(self.coeffs)
        for v, a in other.coeffs:
            total[v] = total.get(v, Fraction(0)) + a
        return Linear(tuple((v, a) for v, a in sorted(total.items()) if a), self.const + other.const)

    __radd__ = __add__

    def __neg__(self) -> Linear:
        return Linear(tuple((v, -a) for v, a in self.coeffs), -self.const)

    def __sub__(self, other: Union[Linear, Fraction, int]) -> Linear:
        return self + -_linear(other)

    def __mul__(self, other: Union[Linear, Fraction, int]) -> Linear:
        other = _linear(other)
        if other.coeffs and self.coeffs:
            raise ValueError("a product of two non-constant linear forms is not linear")
        scale, form = (other.const, self) if not other.coeffs else (self.const, other)
        return Linear(tuple((v, scale * a) for v, a in form.coeffs if scale * a), scale * form.const)

    __rmul__ = __mul__

    def __pow__(self, e: int) -> Linear:
        if e == 1:
            return self
        if e == 0 or not self.coeffs:
            return Linear((), self.const ** e)
        raise ValueError("a power of a non-constant linear form is not linear")

    def row(self, rel: str) -> list[Row]:
        """`self rel 0` as rows (one, or two alternatives for ≠: > and <)."""
        minus = -self
        return {"=": [Row(self.coeffs, "=", -self.const)], ">=": [Row(self.coeffs, ">=", -self.const)],
                "<=": [Row(minus.coeffs, ">=", -minus.const)], ">": [Row(self.coeffs, ">", -self.const)],
                "<": [Row(minus.coeffs, ">", -minus.const)],
                "!=": [Row(self.coeffs, ">", -self.const), Row(minus.coeffs, ">", -minus.const)]}[rel]

    @overload
    def at(self, z: Sequence[Fraction]) -> Fraction: ...
    @overload
    def at(self, z: Sequence[Number]) -> Number: ...
    def at(self, z: Sequence[Number]) -> Number:
        """The form's value at the point z (exact)."""
        return sum((a * z[v] for v, a in self.coeffs), self.const)

    def substitute(self, image: dict[int, Linear]) -> Linear:
        """The form after z_v ↦ image[v] (a linear change of unknowns; every v must be mapped)."""
        return sum((image[v] * a for v, a in self.coeffs), Linear((), self.const))

    def poly(self, z: Sequence[flint.fmpq_mpoly]) -> flint.fmpq_mpoly:
        """The form as a polynomial in the generators z (one per unknown)."""
        one = z[0] ** 0
        return sum((z[v] * to_fmpq(a) for v, a in self.coeffs), one * to_fmpq(self.const))


def _linear(value: Union[Linear, Fraction, int]) -> Linear:
    return value if isinstance(value, Linear) else Linear((), Fraction(value))


@dataclass(frozen=True)
class Layout:
    """Indices of the unknowns u_jo_t (t ≤ d, t = d the bias part), c_o, and, when a loss bound
    replaces the label equations, a slack e_po ≥ |f_o(x_p) − y_po| per data point and output."""

    d: int
    k: int
    m: int
    n: int = 0  # data points with a slack (0: labels are equations)

    def u(self, j: int, o: int, t: int) -> int:
        return ((j * self.m) + o) * (self.d + 1) + t

    def c(self, o: int) -> int:
        return self.k * self.m * (self.d + 1) + o

    def e(self, p: int, o: int) -> int:
        return self.k * self.m * (self.d + 1) + self.m + p * self.m + o

    @property
    def size(self) -> int:
        return self.k * self.m * (self.d + 1) + self.m + self.n * self.m

    @classmethod
    def of(cls, points: Points, k: int, m: int) -> Layout:
        """The layout of a search over these points: slacks when they carry a loss bound."""
        return cls(len(points.coords[0]), k, m, len(points.labels) if points.loss else 0)


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
    """Which activation bit a neuron may take next: prefixes (in `order`) of dichotomies.

    Every network's activation set of a neuron ({p : v·x̃_p > 0}) is a dichotomy of the points, so a
    neuron whose bits on the first points form a prefix has, at a later point, one of the bits the
    dichotomies with that prefix have there: when they all agree the bit is forced (`forced`)."""

    def __init__(self, points: Sequence[Point], order: tuple[int, ...]):
        options: dict[tuple[int, ...], set[int]] = {}
        seen: dict[tuple[int, ...], list[int]] = {}  # prefix → [positions with a 1, positions with a 0] (bit masks)
        for subset in dichotomies(points):
            bits = tuple(1 if p in subset else 0 for p in order)
            ones = sum(1 << t for t, bit in enumerate(bits) if bit)
            zeros = ((1 << len(bits)) - 1) & ~ones
            for t in range(len(order) + 1):
                if t < len(order):
                    options.setdefault(bits[:t], set()).add(bits[t])
                masks = seen.setdefault(bits[:t], [0, 0])
                masks[0] |= ones
                masks[1] |= zeros
        self.next = {prefix: tuple(sorted(bits)) for prefix, bits in options.items()}
        # prefix → (positions past it forced to 1, positions past it forced to 0) as bit masks
        self.forced_masks = {prefix: (ones & ~zeros & later, zeros & ~ones & later)
                             for prefix, (ones, zeros) in seen.items() for later in [-1 << len(prefix)]}

    def forced(self, prefixes: Prefixes) -> list[tuple[int, tuple[int, ...]]]:
        """The later positions t (in `order`) where every neuron's bit is forced by its prefix, with those bits:
        every completion of the partial pattern has them."""
        masks = [self.forced_masks[prefix] for prefix in prefixes]
        common = -1
        for ones, zeros in masks:
            common &= ones | zeros
        out = []
        while common:
            t = (common & -common).bit_length() - 1
            out.append((t, tuple((ones >> t) & 1 for ones, _ in masks)))
            common &= common - 1
        return out


# A partial bit vector is tested (`children`'s `viable`) when it has at least this many completions: a test costs about
# as much as a few full children's (kink covering on planted d = 2, k = 5, m = 2 data: 16 children a node at most,
# testing partial vectors 3.8 → 4.8 s; on the √2 reduction, 16 ReLUs, 2 600 children a node, 12.9 million → 0.1)
VIABLE_COMPLETIONS = 64


def children(signs: tuple[Sign, ...], prefixes: tuple[tuple[int, ...], ...], trie: Trie,
             viable: Callable[[tuple[int, ...]], bool] | None = None) -> Iterator[tuple[int, ...]]:
    """Bit vectors (one bit per neuron) for the next point, under the enumeration rule (tied neurons of
    one sign: bits non-decreasing), in product order. With `viable`, a partial vector (the bits of neurons
    0..j−1, 0 < j < k) with at least VIABLE_COMPLETIONS completions that it rejects is not extended: for a
    rule whose rejection of a partial vector holds for every completion (kink covering: kinks.Covering.viable)."""
    k = len(signs)
    options = [trie.next[prefix] for prefix in prefixes]
    completions = [1] * (k + 1)  # completions[j]: bit vectors of neurons j..k−1 (the rule ignored)
    if viable is not None:
        for j in range(k - 1, -1, -1):
            completions[j] = completions[j + 1] * len(options[j])
    if viable is None or k < 2 or completions[1] < VIABLE_COMPLETIONS:  # no partial vector to test
        for bits in product(*options):
            if all(not (signs[j] == signs[j - 1] and prefixes[j] == prefixes[j - 1]) or bits[j] >= bits[j - 1]
                   for j in range(1, k)):
                yield bits
        return

    def extend(bits: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        j = len(bits)
        for b in options[j]:
            if j and signs[j] == signs[j - 1] and prefixes[j] == prefixes[j - 1] and b < bits[j - 1]:
                continue
            longer = bits + (b,)
            if j + 1 == k:
                yield longer
            elif completions[j + 1] < VIABLE_COMPLETIONS or viable(longer):
                yield from extend(longer)

    yield from extend(())


def output_value(points: Points, layout: Layout, p: int, bits: tuple[int, ...], o: int) -> Linear:
    """f_o(x_p) = Σ_{j : bits[j]} u_jo·x̃_p + c_o, linear in the unknowns (module docstring)."""
    x = lifted([points.coords[p]])[0]
    return Linear(tuple((layout.u(j, o, t), x[t]) for j in range(layout.k) if bits[j]
                        for t in range(layout.d + 1) if x[t]) + ((layout.c(o), Fraction(1)),))


def point_rows(points: Points, layout: Layout, signs: tuple[Sign, ...], p: int,
               bits: tuple[int, ...], outputs: range | tuple[int, ...] | None = None) -> list[Row]:
    """The rows point p adds when neuron j is active there iff bits[j] (module docstring),
    for the given outputs (default: all); rows of different outputs share no unknowns. A
    probe point adds its sign rows only."""
    y = points.label(p)
    outputs = range(layout.m) if outputs is None else outputs
    rows: list[Row] = []
    if y is None:
        return sign_rows(points, layout, signs, p, bits, outputs)
    for o in outputs:
        residual = output_value(points, layout, p, bits, o) - y[o]
        if points.loss is None:
            rows += residual.row("=")
        else:  # e ≥ |residual|; squared loss: also e ≤ a rational bound of √γ (one residual)
            e = Linear(((layout.e(p, o), Fraction(1)),))
            rows += (e - residual).row(">=") + (e + residual).row(">=")
            if points.loss[0] == "squared":
                rows += (e - budget(points.loss, 1)).row("<=")
    return rows + sign_rows(points, layout, signs, p, bits, outputs)


def budget(loss: tuple[str, Fraction], count: int) -> Fraction:
    """A bound on Σ |residual| over `count` residuals of a fit with loss ≤ γ: γ for absolute
    loss; for squared loss a rational ≥ √(count·γ) (Cauchy–Schwarz: Σ|r| ≤ √count·√Σr²)."""
    kind, gamma = loss
    if kind == "absolute":
        return gamma
    scale = 10 ** 6
    return Fraction(isqrt(ceil(count * gamma * scale * scale)) + 1, scale)


def budget_row(points: Points, layout: Layout, order: tuple[int, ...], depth: int, o: int) -> Row | None:
    """Σ e_po ≤ budget over the data points among the first `depth` of the order: a necessary
    condition on every fit with loss ≤ γ, as each e_po ≥ |residual|; None without a loss bound."""
    if points.loss is None:
        return None
    decided = [p for p in order[:depth] if points.label(p) is not None]
    total = Linear(tuple((layout.e(p, o), Fraction(1)) for p in sorted(decided)))
    return (total - budget(points.loss, len(decided))).row("<=")[0]


def sign_rows(points: Points, layout: Layout, signs: tuple[Sign, ...], p: int, bits: tuple[int, ...],
              outputs: range | tuple[int, ...]) -> list[Row]:
    """σ_jo·u_jo·x̃_p ≥ 0 where neuron j is active at p, ≤ 0 where it is not (every j, o)."""
    x = lifted([points.coords[p]])[0]
    rows = []
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
    layout = Layout.of(points, len(signs), len(signs[0]))
    depth = len(prefixes[0])
    rows = []
    for t in range(depth):
        rows += point_rows(points, layout, signs, order[t], tuple(prefix[t] for prefix in prefixes), outputs)
    return rows


def least_squares_problem(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
                          prefixes: Prefixes) -> tuple[list[Row], list[Linear], Layout]:
    """A (partial) pattern's cell — the sign rows of its decided points, every output — and the
    residuals f_o(x_p) − y_po of its decided data points, in the unknowns (u, c) (no slacks).
    At any network whose pattern completes this one the rows hold and Σ residual² is at most its
    squared loss (the other points add nonnegative terms): the least Σ residual² over the rows
    (a convex QP, etr_nn.qp) bounds the loss of every completion from below, with the rank-one
    condition of m ≥ 2 dropped. With m = 1 and every point decided it is the pattern's optimum."""
    layout = Layout(len(points.coords[0]), len(signs), len(signs[0]))
    rows, residuals = joined([least_squares_block(points, signs, p, bits) for p, bits in zip(order, zip(*prefixes))])
    return rows, residuals, layout


Block = tuple[tuple[Row, ...], tuple[Linear, ...]]  # one point's cell rows and residuals (`least_squares_block`)


def joined(blocks: Sequence[Block]) -> tuple[list[Row], list[Linear]]:
    """The blocks' rows, and their residuals, one after the other."""
    return [row for rows, _ in blocks for row in rows], [r for _, residuals in blocks for r in residuals]


@lru_cache(maxsize=1 << 15)
def least_squares_block(points: Points, signs: tuple[Sign, ...], p: int, bits: tuple[int, ...]) -> Block:
    """Point p's share of `least_squares_problem`, cached: a search meets the same block again and again."""
    layout = Layout(len(points.coords[0]), len(signs), len(signs[0]))
    y = points.label(p)
    residuals = () if y is None else tuple(output_value(points, layout, p, bits, o) - y[o] for o in range(layout.m))
    return tuple(sign_rows(points, layout, signs, p, bits, range(layout.m))), residuals


def unknowns(layout: Layout) -> tuple[flint.fmpq_mpoly_ctx, list[flint.fmpq_mpoly]]:
    """A polynomial context with one generator z_v per unknown of the layout."""
    ctx = flint.fmpq_mpoly_ctx.get(tuple(f"z{v}" for v in range(layout.size)), "lex")
    return ctx, list(ctx.gens())


def row_atom(row: Row, z: Sequence[flint.fmpq_mpoly]) -> Atom:
    return Atom(Linear(row.coeffs, -row.rhs).poly(z), row.rel)


@lru_cache(maxsize=1 << 15)
def point_atoms(points: Points, signs: tuple[Sign, ...], p: int, bits: tuple[int, ...]) -> tuple[Atom, ...]:
    """`point_rows` of every output as atoms over `unknowns`, cached: the full patterns a search
    meets share most of their points' rows."""
    layout = Layout.of(points, len(signs), len(signs[0]))
    _, z = unknowns(layout)
    return tuple(row_atom(row, z) for row in point_rows(points, layout, signs, p, bits))


def full_pattern_system(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
                        prefixes: tuple[tuple[int, ...], ...], extra: Sequence[Atom] = ()) -> System:
    """A full pattern's exact system over the unknowns z = (u, c) (`unknowns`): every output's rows
    and rank one — every 2×2 minor of each neuron's (u_jo_t)_{o,t} vanishes, so u_jo = A[o, j]·v_j
    (fact 4) — and the `extra` atoms (over the same z). Its solutions are the fits with this
    (closed) pattern that satisfy the extra atoms."""
    L = Layout.of(points, len(signs), len(signs[0]))
    ctx, z = unknowns(L)
    atoms = [atom for t, p in enumerate(order[:len(prefixes[0])])
             for atom in point_atoms(points, signs, p, tuple(prefix[t] for prefix in prefixes))]
    for j in range(L.k):
        for o, o2 in combinations(range(L.m), 2):
            for t, t2 in combinations(range(L.d + 1), 2):
                atoms.append(Atom(z[L.u(j, o, t)] * z[L.u(j, o2, t2)] - z[L.u(j, o, t2)] * z[L.u(j, o2, t)], "="))
    return System(ctx, And(tuple(atoms) + tuple(extra)))


def lp_network(z: Sequence[Number], signs: tuple[Sign, ...], layout: Layout) -> Network | None:
    """The network of a solution z of a pattern's rows whose u_j1, …, u_jm are parallel (always
    with m = 1), or None: v_j = σ_jo·u_jo for the first o with u_jo ≠ 0, A[o, j] = u_jo / v_j —
    the inverse of u_jo = A[o, j]·v_j, c as it is."""
    L = layout
    A: list[list[Number]]
    W, b, A, c = [], [], [[Fraction(0)] * L.k for _ in range(L.m)], [z[L.c(o)] for o in range(L.m)]
    for j, sign in enumerate(signs):
        us = [[z[L.u(j, o, t)] for t in range(L.d + 1)] for o in range(L.m)]
        lead = next((o for o in range(L.m) if any(us[o])), 0)
        v = [sign[lead] * value for value in us[lead]]
        pivot = next((t for t in range(L.d + 1) if v[t]), None)
        for o in range(L.m):
            a = Fraction(sign[o]) if pivot is None else us[o][pivot] / v[pivot]
            if any(us[o][t] != a * v[t] for t in range(L.d + 1)):
                return None
            A[o][j] = a
        W.append(v[:L.d])
        b.append(v[L.d])
    return Network.build(W, b, A, c)


def substituted(rows: Sequence[Row], image: dict[int, Linear]) -> list[Row]:
    """The rows after z_v ↦ image[v]: e.g. one factor of u_jo = A[o, j]·v_j fixed, the other unknown
    (`with_columns`, `with_hyperplanes`)."""
    out = []
    for row in rows:
        form = Linear(row.coeffs, -row.rhs).substitute(image)
        out.append(Row(form.coeffs, row.rel, -form.const))
    return out


def with_columns(points: Points, signs: tuple[Sign, ...], prefixes: tuple[tuple[int, ...], ...],
                 A: Sequence[Sequence[Fraction]]) -> tuple[list[Row], Callable[[Sequence[Fraction]], Network]]:
    """A full pattern (points in their index order) with the output layer fixed to A (columns in
    the orthants σ_j): its rows are linear in v_j = (w_j, b_j) and c, unknowns v_j_t at
    j·(d+1) + t and c_o after them; with the map from a solution to its network."""
    d, k, m = len(points.coords[0]), len(signs), len(signs[0])
    L = Layout(d, k, m)
    image = {L.u(j, o, t): Linear(((j * (d + 1) + t, A[o][j]),)) for j in range(k) for o in range(m) for t in range(d + 1)}
    image |= {L.c(o): Linear(((k * (d + 1) + o, Fraction(1)),)) for o in range(m)}
    rows = substituted(pattern_rows(points, signs, tuple(range(len(points.coords))), prefixes), image)

    def network(z: Sequence[Fraction]) -> Network:
        return Network.build([z[j * (d + 1):j * (d + 1) + d] for j in range(k)], [z[j * (d + 1) + d] for j in range(k)],
                             A, z[k * (d + 1):])
    return rows, network


def with_hyperplanes(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
                     prefixes: tuple[tuple[int, ...], ...], V: Sequence[Sequence[Fraction]]
                     ) -> tuple[list[Row], Callable[[Sequence[Fraction]], Network]]:
    """A full pattern with the hidden layer fixed to v_j = V[j] (which satisfy it): its rows are
    linear in A and c, unknowns A[o, j] at o·k + j and c_o after them — the pattern's rows with
    u_jo = A[o, j]·V[j], and each column in its orthant; with the map to the network."""
    d, k, m = len(points.coords[0]), len(signs), len(signs[0])
    L = Layout(d, k, m)
    image = {L.u(j, o, t): Linear(((o * k + j, V[j][t]),) if V[j][t] else ()) for j in range(k) for o in range(m)
             for t in range(d + 1)}
    image |= {L.c(o): Linear(((m * k + o, Fraction(1)),)) for o in range(m)}
    rows = substituted(pattern_rows(points, signs, order, prefixes), image)
    rows += [Row(((o * k + j, Fraction(signs[j][o])),), ">=", Fraction(0)) for o in range(m) for j in range(k)]

    def network(z: Sequence[Fraction]) -> Network:
        return Network.build([v[:d] for v in V], [v[d] for v in V], [z[o * k:(o + 1) * k] for o in range(m)],
                             z[m * k:])
    return rows, network


def fitting_system(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
                   prefixes: Prefixes) -> tuple[System, Callable[[dict[str, Number]], Network | None]]:
    """The fitting problem of a full pattern for a nonlinear backend: `full_pattern_system` in the
    unknowns z = (u, c) — the linear rows, and rank one as vanishing 2×2 minors — with the map from
    a solution to its network (`lp_network`). This chart beats (v_j, A[:, j]) with bilinear label
    equations by orders of magnitude for nlsat (two-output leaves: 0.01 s against up to 14 s), as
    the label equations stay linear and fix most of z."""
    layout = Layout.of(points, len(signs), len(signs[0]))

    def decode(point: dict[str, Number]) -> Network | None:
        return lp_network([point.get(f"z{v}", Fraction(0)) for v in range(layout.size)], signs, layout)
    return full_pattern_system(points, signs, order, prefixes, loss_atoms(points, layout, order, prefixes)), decode


def loss_atoms(points: Points, layout: Layout, order: tuple[int, ...], prefixes: Prefixes) -> list[Atom]:
    """The whole loss bound of a full pattern, over all outputs together (the slack rows and budget
    rows bound each output alone): Σ_{p,o} e_po ≤ γ (absolute loss; e_po ≥ |residual| are rows), or
    Σ_{p,o} (f_o(x_p) − y_po)² ≤ γ (squared loss); none at zero error."""
    if points.loss is None:
        return []
    kind, gamma = points.loss
    _, z = unknowns(layout)
    bits_at = {p: tuple(b[t] for b in prefixes) for t, p in enumerate(order)}
    total = z[0] * 0
    for p, y in enumerate(points.labels):
        for o in range(layout.m):
            if kind == "absolute":
                total += z[layout.e(p, o)]
            else:
                residual = (output_value(points, layout, p, bits_at[p], o) - y[o]).poly(z)
                total += residual * residual
    return [Atom(total - to_fmpq(gamma), "<=")]
