"""The convexity bound's split bounds (etr_nn/search/convexity.py) against the exact minimum of
the same convex regression, solved by its KKT system in rationals (etr_nn.qp, independent of the
dual construction), and against Z3's exact simplex for absolute loss."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from etr_nn.generate import random_points
from etr_nn.lp import ExactLP
from etr_nn.patterns import Linear, Points, Row
from etr_nn.qp import least_squares
from etr_nn.search import convexity
from etr_nn.search.convexity import ConvexityBound, partition

F = Fraction


def regression_rows(points: list[tuple[F, ...]], A: int) -> tuple[list[Row], int]:
    """Rows of convex regression on each side of the split A (values g_p, subgradients ξ_p)."""
    n, d = len(points), len(points[0])
    rows: list[Row] = []
    for p in range(n):
        for q in range(n):
            if p != q and (A >> p & 1) == (A >> q & 1):
                form = Linear(((q, F(1)),)) - Linear(((p, F(1)),)) - Linear(
                    tuple((n + p * d + i, points[q][i] - points[p][i]) for i in range(d) if points[q][i] != points[p][i]))
                rows += form.row(">=")
    return rows, n + n * d


def split_case(seed: int) -> tuple[ConvexityBound, list[tuple[F, ...]], tuple[tuple[F], ...], int, int]:
    rng = random.Random(seed)
    d, n = rng.randint(1, 2), rng.randint(4, 9)
    points = random_points(n, d, rng, size=3)
    labels = tuple((F(rng.randint(-4, 4), rng.randint(1, 3)),) for _ in points)
    bound = ConvexityBound(Points(tuple(points), labels, (rng.choice(("squared", "absolute")), F(1))), tuple(range(n)))
    return bound, points, labels, rng.choice(bound.activation_sets), rng.choice((1, -1))


def test_split_bound_is_a_near_tight_lower_bound() -> None:
    """Weak duality: the bound never exceeds the exact least loss of convex regression on the two
    sides of the split, and it is not vacuous: squared loss, at least 99 % of the exact minimum (its
    KKT system solved in rationals, where the float QP proposes an active set); absolute loss, Z3's
    exact simplex finds Σ|g_p − y_p| ≤ bound − 1/1000 infeasible and ≤ 1.01·bound + 1/1000 feasible."""
    tally = {"squared": 0, "absolute": 0}
    for seed in range(40):
        bound, points, labels, A, s = split_case(seed)
        n = len(points)
        value = bound.split_bound(0, s, partition(bound.full, [A]))
        rows, size = regression_rows(points, A)
        residuals = [Linear(((p, F(1)),), -s * labels[p][0]) for p in range(n)]
        assert value >= 0
        if bound.kind == "squared":
            exact = least_squares(rows, residuals, size)
            if exact is not None:  # no answer when the float QP stalls (subgradients are not in the objective)
                assert exact.value * F(99, 100) <= value <= exact.value, (seed, value, exact.value)
                tally["squared"] += 1
            continue
        slack = [Linear(((size + p, F(1)),)) for p in range(n)]
        within = [r for p in range(n) for r in (slack[p] - residuals[p]).row(">=") + (slack[p] + residuals[p]).row(">=")]
        total = Linear(tuple((size + p, F(1)) for p in range(n)))
        for threshold, expected in ((value - F(1, 1000), "unsat"), (value * F(101, 100) + F(1, 1000), "sat")):
            lp = ExactLP(size + n)
            lp.push(lp.compile([rows + within + (total - threshold).row("<=")]))
            assert lp.check() == expected, (seed, threshold, value)
        tally["absolute"] += 1
    assert min(tally.values()) >= 10, tally


def test_zero_error_hull_certificates_agree_with_the_exact_simplex(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero error: the split bound (its lower-hull certificates from the first split on: chords for
    d = 1, qhull for d = 2, the LP when qhull cannot decide) is positive exactly when no convex
    function on each side of the split takes the labels — decided independently by Z3's exact simplex
    on the regression rows with g_p = y_p. Cells with collinear points, repeated labels and random
    heights included."""
    monkeypatch.setattr(convexity, "HULL_AFTER", 0)
    outcomes = {True: 0, False: 0}
    for seed in range(120):
        rng = random.Random(seed)
        d, n = rng.randint(1, 2), rng.randint(3, 10)
        points = random_points(n, d, rng, size=rng.choice((3, 5)))  # the small grid: collinear points
        labels = tuple((F(rng.randint(-3, 3), rng.randint(1, 2)),) for _ in points)
        bound = ConvexityBound(Points(tuple(points), labels), tuple(range(n)))
        A, s = rng.choice(bound.activation_sets), rng.choice((1, -1))
        positive = bound.split_bound(0, s, partition(bound.full, [A])) > 0
        rows, size = regression_rows(points, A)
        values = [r for p in range(n) for r in Linear(((p, F(1)),), -s * labels[p][0]).row("=")]
        lp = ExactLP(size)
        lp.push(lp.compile([rows + values]))
        assert positive == (lp.check() == "unsat"), (seed, positive)
        outcomes[positive] += 1
    assert min(outcomes.values()) >= 20, outcomes
