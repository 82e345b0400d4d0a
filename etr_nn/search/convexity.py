"""Convexity bounds: the least loss of every network of a sign class, from convex regression.

Fact (piecewise convexity). Fix an output o and a task's signs σ_jo (σ_jo·A[o, j] ≥ 0,
etr_nn.patterns). With P = {j : σ_jo = 1} and N = {j : σ_jo = −1},
    f_o(x) = Σ_{j∈P} |A_oj|·relu(v_j·x̃) − Σ_{j∈N} |A_oj|·relu(v_j·x̃) + c_o.
On each closed cell of the arrangement of the hyperplanes of N (a sign for every v_j·x̃, j ∈ N),
every relu of N is 0 or linear, so f_o is g = Σ_{j∈P} |A_oj|·relu(v_j·x̃) + c_o minus a linear
function: convex on all of R^d. With P in place of N the same holds for −f_o. So with s = 1 (convex,
N the minority) or s = −1 (concave, P the minority) and A_j = {p : v_j·x̃_p > 0} the activation sets of
the data of the minority neurons (etr_nn.search.dichotomies), output o's loss is at least
    bound(cells) = Σ_{cells C} R(C),
the cells being the nonempty classes of points with the same membership in every A_j (`partition`;
the whole set when the minority is empty), and R(C) the least Σ_{p∈C} ℓ(g_p − s·y_po) over values g_p
of a convex function on R^d: values with subgradients ξ_p, g_q ≥ g_p + ξ_p·(x_q − x_p) for p, q ∈ C
(convex regression). Used for minorities of at most two neurons.

Exact lower bounds by weak duality. For multipliers μ_pq ≥ 0 of those rows with
Σ_q μ_pq·(x_q − x_p) = 0 for every p (the ξ_p drop out of the Lagrangian) and c_p = Σ_q μ_qp − Σ_q μ_pq,
every feasible g has loss at least, with y_p = s·y_po,
    squared:  (Σ_p c_p·y_p)² / Σ_p c_p²   when Σ_p c_p·y_p ≤ 0  (the best multiple λ·μ, λ ≥ 0),
    absolute: −Σ_p c_p·y_p / max_p |c_p|  (λ·μ with λ·|c_p| ≤ 1, where min_g |g − y| − λc·g is finite).
A float solver (HiGHS) proposes μ; it is rounded, and each point's multipliers are projected exactly
onto that point's equations (a point whose projection stays negative gets μ_p = 0, always allowed).
Floats decide nothing: a wrong float only weakens the bound. With zero error (γ = 0) any loss will do,
and only whether the bound is positive matters: the values are those of a convex function on a cell iff
every lifted point (x_p, y_p) lies on the lower convex hull of the cell's lifted points, so a point above
it, with exact barycentric weights λ of x_p in the vertices of the facet below it (μ_pq = λ_q), is a
certificate: for d = 1 a point above the chord of its neighbours, found exactly (`_chord_multipliers`);
for d ≥ 2 qhull proposes it (`_hull_multipliers`, about a fifth of the LP's time; from a search's
HULL_AFTER-th split bound on, as importing it costs about as much), the LP remaining for flat cells.

A partial pattern decides the minority neurons' bits on some points, and only activation sets that
agree with them can be theirs. If for some output and side every candidate's bound exceeds γ (reaches
it, when minimising), no completion of the partial pattern has loss ≤ γ (< γ). Two minority neurons
are tried only once few pairs of sets agree with their bits (PAIRS).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from math import lcm
from typing import Callable, Sequence

import flint

from etr_nn.patterns import Points, Prefixes, Sign
from etr_nn.search.dichotomies import dichotomies

RIDGE = 1e-3  # weight of Σ ξ² in the float problem: ξ is not in the objective, and HiGHS' QP stalls on that
FLOAT_SECONDS = 0.5  # HiGHS' backstop per split (its iteration limit stops it first: qp.ITERATIONS)
ROUNDING = 10 ** 9  # float multipliers are rounded to this denominator before the exact projection
PAIRS = 16  # two minority neurons: their cells are tried once at most this many pairs of sets agree with their bits
HULL_AFTER = 64  # zero error, d ≥ 2: split bounds by the LP before qhull takes over (importing it costs ≈ 0.27 s, ~64 LPs)


def partition(full: int, sets: Sequence[int]) -> tuple[int, ...]:
    """The nonempty cells (bit masks of points) of the arrangement of activation sets, sorted: the
    same for a set and its complement."""
    cells = [full]
    for A in sets:
        cells = [part for c in cells for part in (c & A, c & ~A) if part]
    return tuple(sorted(cells))


class ConvexityBound:
    """The convexity bound (module docstring) of a search's partial patterns, one output and side
    sign s at a time. Cell bounds are computed when first needed and kept; `open` lists, per
    (o, s), the cells whose bound was found not to exceed γ (tried first)."""

    def __init__(self, points: Points, order: Sequence[int], minimising: bool = False):
        self.n = len(points.labels)
        self.coords = [tuple(flint.fmpq(v.numerator, v.denominator) for v in x) for x in points.coords[:self.n]]
        self.labels = [[flint.fmpq(v.numerator, v.denominator) for v in y] for y in points.labels]
        self.kind = points.loss[0] if points.loss else "squared"  # zero error: any loss, γ = 0
        self.zero_error = points.loss is None
        self.d = len(points.coords[0]) if points.coords else 0
        self.splits = 0  # split bounds computed (HULL_AFTER)
        self.order, self.minimising = tuple(order), minimising
        self.full = (1 << self.n) - 1
        self.activation_sets = [sum(1 << p for p in A) for A in dichotomies(points.coords[:self.n])]
        self.bounds: dict[tuple[int, int, tuple[int, ...]], Fraction] = {}
        self.open: dict[tuple[int, int], list[tuple[int, ...]]] = {}
        self.verdicts: dict[Fraction, dict[tuple[int, int, tuple[tuple[int, ...], ...]], bool]] = {}  # γ → (o, s, bits) →
        self.tests: dict[tuple[Sign, ...], list[tuple[int, int, tuple[int, ...]]]] = {}
        # the work of every split bound, in partial patterns of the search it saves (n·m per activation set)
        self.cost = self.n * len(self.labels[0]) * len(self.activation_sets) if self.labels else 0

    def refutes(self, signs: tuple[Sign, ...], prefixes: Prefixes, gamma: Fraction,
                stop: Callable[[], bool] = lambda: False) -> bool:
        """Does the bound show that no completion of the partial pattern has loss ≤ γ (< γ when
        minimising)? False when `stop()` turns true before it is known. Verdicts are kept per
        (output, side sign, the minority neurons' bits, γ)."""
        verdicts = self.verdicts.setdefault(gamma, {})
        for o, s, minority in self._tests(signs):
            bits = tuple(prefixes[j] for j in minority)
            verdict = verdicts.get((o, s, bits))
            if verdict is None:
                candidates = self._candidates(bits)
                verdict = False if candidates is None else self._all_exceed(o, s, candidates, gamma, stop)
                if verdict is None:
                    return False
                verdicts[o, s, bits] = verdict
            if verdict:
                return True
        return False

    def _tests(self, signs: tuple[Sign, ...]) -> list[tuple[int, int, tuple[int, ...]]]:
        """(o, s, the minority neurons) for every output and side sign with at most two neurons in
        the minority."""
        if signs not in self.tests:
            found = []
            for o in range(len(signs[0])):
                for s in (1, -1):
                    minority = tuple(j for j, sign in enumerate(signs) if sign[o] == -s)
                    if len(minority) <= 2:
                        found.append((o, s, minority))
            self.tests[signs] = found
        return self.tests[signs]

    def _agreeing(self, bits: tuple[int, ...]) -> list[int]:
        """The activation sets that agree with a neuron's bits on the decided data points."""
        decided = [(t, self.order[t]) for t in range(len(bits)) if self.order[t] < self.n]
        mask = sum(1 << p for _, p in decided)
        active = sum(1 << p for t, p in decided if bits[t])
        return [A for A in self.activation_sets if A & mask == active]

    def _candidates(self, bits: tuple[tuple[int, ...], ...]) -> list[tuple[int, ...]] | None:
        """The cells of the minority neurons' activation sets that agree with their bits (the whole
        set alone without a minority neuron); None when two minority neurons still have more than
        PAIRS such pairs of sets."""
        choices = [self._agreeing(b) for b in bits]
        if len(choices) == 2 and len(choices[0]) * len(choices[1]) > PAIRS:
            return None
        return list(dict.fromkeys(partition(self.full, sets) for sets in product(*choices)))

    def _all_exceed(self, o: int, s: int, candidates: list[tuple[int, ...]], gamma: Fraction,
                    stop: Callable[[], bool]) -> bool | None:
        """Does every candidate's split bound exceed γ? None when stopped before it is known."""
        known_open = self.open.setdefault((o, s), [])
        wanted = set(candidates)
        if any(cells in wanted and not self._exceeds(self.bounds[o, s, cells], gamma) for cells in known_open):
            return False
        for cells in candidates:
            if (o, s, cells) not in self.bounds:
                if stop():
                    return None
                self.bounds[o, s, cells] = self.split_bound(o, s, cells)
            if not self._exceeds(self.bounds[o, s, cells], gamma):
                known_open.append(cells)
                return False
        return True

    def _exceeds(self, bound: Fraction, gamma: Fraction) -> bool:
        return bound >= gamma if self.minimising else bound > gamma

    def split_bound(self, o: int, s: int, cells: tuple[int, ...]) -> Fraction:
        """An exact lower bound of the least loss of output o's values, convex (s = 1) or concave
        (s = −1) on each cell (module docstring)."""
        y = [s * label[o] for label in self.labels]
        self.splits += 1
        geometric = self.zero_error and (self.d == 1 or self.splits > HULL_AFTER)
        c = self._hull_multipliers(cells, y) if geometric else None
        if c is None:
            c = self._regression_multipliers(cells, y)
        total = sum((cp * yp for cp, yp in zip(c, y)), flint.fmpq(0))
        if total >= 0:
            return Fraction(0)
        if self.kind == "squared":
            value = total * total / sum((cp * cp for cp in c), flint.fmpq(0))
        else:
            value = -total / max(abs(cp) for cp in c)
        return Fraction(int(value.p), int(value.q))

    def _regression_multipliers(self, cells: tuple[int, ...], y: list[flint.fmpq]) -> list[flint.fmpq]:
        """c_p = Σ_q μ_qp − Σ_q μ_pq for exact multipliers μ near HiGHS' duals of the convex
        regression (module docstring); all zero when HiGHS reports no optimum."""
        cell = {p: c for c, members in enumerate(cells) for p in range(self.n) if members >> p & 1}
        pairs = [(p, q) for p in range(self.n) for q in range(self.n) if p != q and cell[p] == cell[q]]
        guess = self._float_multipliers(pairs, [float(v) for v in y])
        c = [flint.fmpq(0)] * self.n
        if guess is None:
            return c
        groups: list[list[tuple[int, float]]] = [[] for _ in range(self.n)]
        for (p, q), weight in zip(pairs, guess):
            groups[p].append((q, weight))
        for p in range(self.n):
            for q, m in self._project(p, groups[p]):
                c[q] += m
                c[p] -= m
        return c

    def _hull_multipliers(self, cells: tuple[int, ...], y: list[flint.fmpq]) -> list[flint.fmpq] | None:
        """Zero error: c as in `_regression_multipliers`, from the geometry instead of an LP. Values
        y_p on a cell are those of a convex function iff every lifted point (x_p, y_p) lies on the
        lower convex hull of the cell's lifted points. qhull (floats) proposes a point above that hull
        and the lower facet below it; if x_p = Σ λ_q·x_q over the facet's vertices with every λ_q ≥ 0
        (exact barycentric coordinates) and Σ λ_q·y_q < y_p, then μ_pq = λ_q are multipliers
        (Σ_q μ_pq·(x_q − x_p) = 0) with Σ c_p·y_p < 0: the first such point is returned, as any
        positive bound exceeds γ = 0. No point above the hull: all zero. None when qhull cannot
        decide (a flat cell whose points do not span R^d) or a proposal fails the exact check."""
        d = self.d
        if d == 1:
            return self._chord_multipliers(cells, y)
        import numpy as np
        from scipy.spatial import ConvexHull, QhullError

        c = [flint.fmpq(0)] * self.n
        for mask in cells:
            members = [p for p in range(self.n) if mask >> p & 1]
            if len(members) <= d + 1:
                if _rank([self.coords[p] for p in members]) == len(members) - 1:
                    continue  # an affine function takes any values there
                return None
            lifted = np.array([[float(v) for v in self.coords[p]] + [float(y[p])] for p in members])
            try:
                hull = ConvexHull(lifted)
            except QhullError:  # flat: fine when the labels are affine on a full-dimensional cell
                if _rank([self.coords[p] for p in members]) == _rank([self.coords[p] + (y[p],) for p in members]) == d:
                    continue
                return None
            lower = hull.equations[:, d] < -1e-12
            facets, equations = hull.simplices[lower], hull.equations[lower]
            on_hull = set(facets.ravel().tolist())
            for i, p in enumerate(members):
                if i in on_hull:
                    continue
                heights = -(equations[:, :d] @ lifted[i, :d] + equations[:, d + 1]) / equations[:, d]
                if heights.max() >= lifted[i, d] - 1e-9 * (1 + abs(lifted[i, d])):
                    continue  # on the hull as far as floats tell: no certificate sought
                vertices = [members[j] for j in facets[int(np.argmax(heights))]]
                weights = _barycentric([self.coords[q] for q in vertices], self.coords[p])
                if weights is None or any(w < 0 for w in weights):
                    return None
                below = sum((w * y[q] for w, q in zip(weights, vertices)), flint.fmpq(0))
                if below == y[p]:
                    continue  # on the facet (qhull leaves coplanar points out of its vertices)
                if below > y[p]:
                    return None
                for w, q in zip(weights, vertices):
                    c[q] += w
                c[p] -= 1
                return c  # one certificate: with zero error any positive bound refutes
        return c

    def _chord_multipliers(self, cells: tuple[int, ...], y: list[flint.fmpq]) -> list[flint.fmpq]:
        """`_hull_multipliers` for d = 1, exactly and without floats: values are convex on a cell iff,
        in the order of x, no point lies above the chord of its two neighbours (x_a < x_p < x_b,
        λ_a = (x_b − x_p)/(x_b − x_a), λ_b = 1 − λ_a) and points with the same x carry the same value
        (else the higher lies above the lower, λ = 1)."""
        c = [flint.fmpq(0)] * self.n
        for mask in cells:
            members = sorted((self.coords[p][0], y[p], p) for p in range(self.n) if mask >> p & 1)
            for (xa, ya, a), (xp, yp, p) in zip(members, members[1:]):
                if xa == xp and ya != yp:
                    c[a] += 1
                    c[p] -= 1
                    return c
            distinct = [m for m, following in zip(members, members[1:] + [None]) if following is None or following[0] != m[0]]
            for (xa, ya, a), (xp, yp, p), (xb, yb, b) in zip(distinct, distinct[1:], distinct[2:]):
                weight = (xb - xp) / (xb - xa)
                if weight * ya + (1 - weight) * yb < yp:
                    c[a] += weight
                    c[b] += 1 - weight
                    c[p] -= 1
                    return c
        return c

    def _project(self, p: int, group: list[tuple[int, float]]) -> list[tuple[int, flint.fmpq]]:
        """Multipliers μ_pq ≥ 0 near the float ones with Σ_q μ_pq·(x_q − x_p) = 0, exactly: the
        rounded vector's orthogonal projection onto that null space, on the support of the float
        multipliers (entries that come out negative are dropped and the rest projected again)."""
        scale = max((m for _, m in group), default=0.0)
        support = [(q, m) for q, m in group if m > 1e-9 * scale]
        d = len(self.coords[p])
        for _ in range(3):
            if not support:
                return []
            columns = [[self.coords[q][i] - self.coords[p][i] for i in range(d)] for q, _ in support]
            v = flint.fmpq_mat(len(support), 1, [flint.fmpq(round(m * ROUNDING), ROUNDING) for _, m in support])
            denominator = lcm(*(int(a.q) for column in columns for a in column))
            W = flint.fmpz_mat(d, len(support), [int((columns[t][i] * denominator).p) for i in range(d) for t in range(len(support))])
            space, rank = W.nullspace()
            if rank == 0:
                return []
            N = flint.fmpq_mat(flint.fmpz_mat(len(support), rank, [space[t, r] for t in range(len(support)) for r in range(rank)]))
            coefficients = (N.transpose() * N).solve(N.transpose() * v)
            mu = N * coefficients
            values = [mu[t, 0] for t in range(len(support))]
            if all(m >= 0 for m in values):
                return [(q, m) for (q, _), m in zip(support, values) if m]
            support = [entry for entry, m in zip(support, values) if m > 0]
        return []

    def _float_multipliers(self, pairs: list[tuple[int, int]], y: list[float]) -> list[float] | None:
        """HiGHS' row duals (≥ 0) of the convexity rows of the float problem min Σ ℓ(g_p − y_p)
        (+ RIDGE·Σ ξ² with squared loss), or None unless it reports an optimum."""
        import highspy
        import numpy as np

        from etr_nn.qp import highs_optimum

        n, d = self.n, self.d
        absolute = self.kind == "absolute"
        size = n + n * d + (n if absolute else 0)
        x = np.array([[float(v) for v in point] for point in self.coords]).reshape(n, d)
        P, Q = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
        # row r: g_q − g_p − ξ_p·(x_q − x_p) ≥ 0, stored row by row (zero coefficients left out)
        columns = np.column_stack([Q, P] + [n + P * d + i for i in range(d)])
        values = np.column_stack([np.ones(len(P)), -np.ones(len(P)), x[P] - x[Q]])
        lower = np.zeros(len(P))
        if absolute:  # t_p − g_p ≥ −y_p, t_p + g_p ≥ y_p
            t = np.arange(n)
            columns = np.vstack([columns,
                                 np.column_stack([n + n * d + t, t] + [t] * d),
                                 np.column_stack([n + n * d + t, t] + [t] * d)])
            values = np.vstack([values,
                                np.column_stack([np.ones(n), -np.ones(n)] + [np.zeros(n)] * d),
                                np.column_stack([np.ones(n), np.ones(n)] + [np.zeros(n)] * d)])
            lower = np.concatenate([lower, -np.array(y), np.array(y)])
        kept = values != 0
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = size, len(lower)
        cost = np.zeros(size)
        if absolute:
            cost[n + n * d:] = 1.0
        else:
            cost[:n] = [-2.0 * v for v in y]
        lp.col_cost_ = cost
        lp.col_lower_, lp.col_upper_ = np.full(size, -inf), np.full(size, inf)
        lp.row_lower_, lp.row_upper_ = lower, np.full(len(lower), inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(kept.sum(axis=1))]).astype(np.int32)
        lp.a_matrix_.index_ = columns[kept].astype(np.int32)
        lp.a_matrix_.value_ = values[kept]
        model = highspy.HighsModel()
        model.lp_ = lp
        if not absolute:
            hessian = highspy.HighsHessian()
            hessian.dim_, hessian.format_ = size, highspy.HessianFormat.kTriangular
            hessian.start_ = np.arange(size + 1, dtype=np.int32)
            hessian.index_ = np.arange(size, dtype=np.int32)
            hessian.value_ = np.array([2.0] * n + [2.0 * RIDGE] * (n * d))
            model.hessian_ = hessian
        solution = highs_optimum(model, FLOAT_SECONDS)
        return None if solution is None else [max(0.0, float(m)) for m in solution.row_dual[:len(pairs)]]


def _rank(points: Sequence[tuple[flint.fmpq, ...]]) -> int:
    """The dimension of the points' affine hull (exact rank of their differences)."""
    if len(points) <= 1:
        return 0
    d = len(points[0])
    return int(flint.fmpq_mat(len(points) - 1, d, [a - b for q in points[1:] for a, b in zip(q, points[0])]).rank())


def _barycentric(vertices: Sequence[tuple[flint.fmpq, ...]], x: tuple[flint.fmpq, ...]) -> list[flint.fmpq] | None:
    """λ with Σ λ_q·x_q = x and Σ λ_q = 1 (d + 1 vertices in R^d), exactly; None when they are affinely dependent."""
    size = len(vertices)
    matrix = flint.fmpq_mat(size, size, [v[i] for i in range(size - 1) for v in vertices] + [1] * size)
    if matrix.det() == 0:
        return None
    solution = matrix.solve(flint.fmpq_mat(size, 1, list(x) + [1]))
    return [solution[t, 0] for t in range(size)]
