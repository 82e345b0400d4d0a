"""Full patterns with m ≥ 2 outputs decided by the span of the hidden layer: the output layer
eliminated first, then exact linear algebra over Q — no polynomial system.

Neuron j's values on the N labelled points, h_j = (v_j·x̃_p if p ∈ S_j else 0)_p, range over the
image V_j of its chart Φ_j: R^{d+1} → R^N, and the labels read y_o = Σ_j A[o, j]·h_j + c_o·1
(u_jo = A[o, j]·v_j, fact 4). Take subspaces together with the constant vector 1: V'_j = V_j + R·1,
L = span(1, y_1, …, y_m) of dimension ℓ + 1, and for a fit T = span(1, h_j : A[:, j] ≠ 0) ⊇ L.
Since dim T ≤ 1 + k, there is no fit when k < ℓ; when k = ℓ, T = L, every neuron is in use and
1, h_1, …, h_k is a basis of L. When k = ℓ + 1 ≥ 2, suppose V'_j ∩ L = R·1 for every j (no
neuron's values are, up to a constant, a combination of the labels). Then T = L is impossible
(every h_j in use would lie in R·1, and so would the labels), so dim T = ℓ + 2 = k + 1: all k
neurons are in use and 1, h_1, …, h_k is a basis of T = L + R·h_j (each h_j ∉ L), so T ⊆ U =
∩_j (V'_j + L). If dim U = ℓ + 1 there is no fit; if dim U = ℓ + 2, T = U.
In both cases h_j ∈ V'_j ∩ T: if that is R·1, no fit; if it is span(1, ĥ_j) (with k = ℓ + 1 it
is at most that: its meet with L, a hyperplane of U, is R·1), h_j = s_j·ĥ_j + τ_j·1, s_j ≠ 0.
Then 1, ĥ_1, …, ĥ_k must be a basis of T (else no fit), y_o = Σ_j B[o, j]·ĥ_j + β_o·1 fixes
B[o, j] = A[o, j]·s_j, and A[:, j] = B[:, j]/s_j lies in the closed orthant σ_j: B[:, j] in σ_j's
orthant (s_j > 0) or in its negative (s_j < 0). (B[:, j] ≠ 0: else L, spanned by 1 and the labels,
would be span(1, ĥ_i : i ≠ j), against dim L = k + 1 when k = ℓ, and against V'_i ∩ L = R·1 when
k = ℓ + 1.) Scaling (v_j, A[:, j]) by (λ, 1/λ), λ > 0,
leaves |s_j| = 1, and what is left is one LP per neuron: v_j, τ_j with Φ_j(v_j) + τ_j·1 =
sign(s_j)·ĥ_j and the pattern's sign rows at every point (probes too).
So the pattern has a fit iff every check passes, and the fit is rational. Where a condition fails
(ℓ = 0, k > ℓ + 1; V'_j ∩ L ≠ R·1 or dim U > ℓ + 2 when k = ℓ + 1; dim V'_j ∩ T > 2 when k = ℓ)
the answer is None and the nonlinear backend decides. A partial pattern is tested on the points it
decides: no fit there, no completion. Measured on random labels with d = 2, k = 3, m = 2, n = 7
(benchmarks/random_two_output.py, seed 38): all 495 full patterns that reach the test decided,
1.5 ms each, where the nonlinear backend took 12 ms.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, Sequence

import flint

from etr_nn.exact import from_fmpq, to_fmpq
from etr_nn.lp import feasible_point
from etr_nn.network import Network
from etr_nn.patterns import Points, Prefixes, Row, Sign
from etr_nn.search.dichotomies import lifted

Vector = list[flint.fmpq]


def span_fit(points: Points, signs: tuple[Sign, ...], order: tuple[int, ...],
             prefixes: Prefixes) -> Network | Literal["unsat"] | None:
    """A fit of the points the pattern decides (order[:depth]; zero error: the labels are
    equations), exact and rational; "unsat" when there is none, so no completion of the pattern
    has one either; None when the conditions above fail."""
    k, m = len(signs), len(signs[0])
    decided = order[:len(prefixes[0])]
    labelled = [p for p in decided if points.label(p) is not None]
    n = len(labelled)
    x = lifted(points.coords)
    active = [{p for p, bit in zip(decided, bits) if bit} for bits in prefixes]
    one: Vector = [flint.fmpq(1)] * n
    labels = [one] + [[to_fmpq(points.labels[p][o]) for p in labelled] for o in range(m)]
    ell = _rank(labels) - 1
    if ell < 1 or k > ell + 1:
        return None
    if k < ell:
        return "unsat"
    charts = [[[to_fmpq(x[p][t]) if p in active[j] else flint.fmpq(0) for p in labelled]
               for t in range(len(x[0]))] + [one] for j in range(k)]  # spanning V'_j
    if k == ell:  # T = L
        dual = _kernel(labels, n)  # T = {u : a·u = 0 for every a in dual}
    else:
        if any(_rank(chart + labels) != _rank(chart) + ell for chart in charts):
            return None  # V'_j ∩ L ≠ R·1
        dual = [a for chart in charts for a in _kernel(chart + labels, n)]  # U
        dim_u = n - _rank(dual) if dual else n
        if dim_u == ell + 1:
            return "unsat"
        if dim_u > ell + 2:
            return None
    directions: list[Vector] = []
    for chart in charts:  # V'_j ∩ T: the images of the coefficient vectors w with Σ w_t·chart_t ∈ T
        images = [_combine(chart, w) for w in _kernel([[_dot(a, g) for g in chart] for a in dual], len(chart))] \
            if dual else chart
        rank = _rank(images)
        if rank == 1:
            return "unsat"
        if rank > 2:  # (only where k = ℓ: with k = ℓ + 1 its meet with L, a hyperplane of U, is R·1)
            return None
        directions.append(next(h for h in images if any(v != h[0] for v in h)))
    coordinates = _solve(directions + [one], labels[1:])
    if coordinates is None:
        return "unsat"  # 1, ĥ_1, …, ĥ_k dependent, or a label outside their span
    W, b, A, c = [], [], [[Fraction(0)] * k for _ in range(m)], [Fraction(0)] * m
    for j, sign in enumerate(signs):
        column = [coordinates[o][j] for o in range(m)]
        s = next((s for s in (1, -1) if all(s * sigma * v >= 0 for sigma, v in zip(sign, column))), None)
        if s is None:
            return "unsat"
        v = _hyperplane(x, labelled, decided, active[j], [s * h for h in directions[j]])
        if v is None:
            return "unsat"
        *w, tau = v
        W.append(w[:-1])
        b.append(w[-1])
        for o in range(m):
            A[o][j] = from_fmpq(column[o]) / s
            c[o] += A[o][j] * tau
    for o in range(m):
        c[o] += from_fmpq(coordinates[o][k])
    return Network.build(W, b, A, c)


def _hyperplane(x: list[tuple[Fraction, ...]], labelled: list[int], decided: Sequence[int], active: set[int],
                target: Vector) -> list[Fraction] | None:
    """(v, τ) with v·x̃_p·[p ∈ active] + τ = target_i at the i-th labelled point p, v·x̃_p ≥ 0 at the
    active points and ≤ 0 at the other decided points (exact simplex), or None."""
    width = len(x[0])
    rows = [Row(tuple((t, x[p][t]) for t in range(width) if p in active and x[p][t]) + ((width, Fraction(1)),),
                "=", from_fmpq(value)) for p, value in zip(labelled, target)]
    rows += [Row(tuple((t, x[p][t] if p in active else -x[p][t]) for t in range(width) if x[p][t]), ">=", Fraction(0))
             for p in decided]
    return feasible_point(rows, width + 1)


def _rank(vectors: Sequence[Vector]) -> int:
    return flint.fmpq_mat(list(vectors)).rank() if vectors else 0


def _kernel(vectors: Sequence[Vector], width: int) -> list[Vector]:
    """A basis of {a ∈ Q^width : a·g = 0 for every g} (from the reduced row echelon form)."""
    reduced, rank = flint.fmpq_mat(list(vectors)).rref()
    entries = reduced.entries()
    rows = [entries[r * width:(r + 1) * width] for r in range(rank)]
    pivots = [next(i for i, v in enumerate(row) if v != 0) for row in rows]
    basis = []
    for free in (i for i in range(width) if i not in pivots):
        a = [flint.fmpq(0)] * width
        a[free] = flint.fmpq(1)
        for row, pivot in zip(rows, pivots):
            a[pivot] = -row[free]
        basis.append(a)
    return basis


def _dot(a: Vector, g: Vector) -> flint.fmpq:
    return sum((u * v for u, v in zip(a, g)), flint.fmpq(0))


def _combine(vectors: Sequence[Vector], weights: Vector) -> Vector:
    return [sum((w * g[p] for w, g in zip(weights, vectors)), flint.fmpq(0)) for p in range(len(vectors[0]))]


def _solve(basis: Sequence[Vector], targets: Sequence[Vector]) -> list[Vector] | None:
    """Each target's coordinates in `basis` (linearly independent), or None when the basis is
    dependent or a target lies outside its span."""
    columns = flint.fmpq_mat(list(basis)).transpose()
    if columns.rank() < len(basis):
        return None
    out = []
    for y in targets:
        augmented = flint.fmpq_mat([[*row, v] for row, v in zip(columns.tolist(), y)])
        reduced, rank = augmented.rref()
        if rank > len(basis):
            return None
        out.append([reduced[i, len(basis)] for i in range(len(basis))])
    return out
