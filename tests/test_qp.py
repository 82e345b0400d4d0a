"""Exact least squares over a polyhedron (etr_nn.qp) against Z3 on the full KKT system."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction
from itertools import combinations_with_replacement

import numpy as np
import pytest

from etr_nn import qp
from etr_nn.generate import planted
from etr_nn.instance import Shape
from etr_nn.lp import particular_solution
from etr_nn.optimize import convex
from etr_nn.patterns import Layout, Linear, Points, Row, least_squares_block, least_squares_problem
from etr_nn.search.dichotomies import dichotomies

F = Fraction


def pattern_cells(seed: int) -> list[tuple[list[Row], list[Linear], Layout]]:
    """Twelve random one-output pattern cells of noisy planted data (d = 1, 2; k = 2; dead neurons
    and empty cells included): rows, residuals, layout."""
    rng = random.Random(seed)
    inst, _ = planted(Shape(1 + seed % 2, 2, 1), 6, seed)
    inst = replace(inst, labels=tuple((y[0] + F(rng.randint(-3, 3), 2),) for y in inst.labels))
    neurons = [(1, frozenset[int]())] + [(s, S) for S in dichotomies(inst.points) if S for s in (1, -1)]
    patterns = list(combinations_with_replacement(neurons, 2))
    rng.shuffle(patterns)
    return [least_squares_problem(Points.of(inst), tuple((s,) for s, _ in pattern), tuple(range(inst.n)),
                                  tuple(tuple(int(i in S) for i in range(inst.n)) for _, S in pattern))
            for pattern in patterns[:12]]


@pytest.mark.parametrize("seed", range(8))
def test_least_squares_on_pattern_cells_equals_z3_on_the_kkt_system(seed: int) -> None:
    """Random one-output pattern cells of noisy planted data (d = 1, 2; k = 2; dead neurons and
    empty cells included): every established minimum is feasible and equals the minimum of Z3 on
    the whole KKT system (complementarity as disjunctions, no float guess); an empty cell is never
    given a minimum; most cells are established."""
    established = 0
    for cell, residuals, layout in pattern_cells(seed):
        found = qp.least_squares(cell, residuals, layout.size)
        z = convex._solve("squared", cell, residuals, layout.size, 60)
        assert z != "unknown"
        if found is None:
            continue
        established += 1
        assert z is not None, "a minimum on an empty cell"
        assert all(row.holds(found.z) for row in cell)
        assert found.value == sum((r.at(found.z) ** 2 for r in residuals), F(0)) == sum((r.at(z) ** 2 for r in residuals), F(0))
    assert established >= 9


@pytest.mark.parametrize("seed", range(4))
def test_float_absolute_minimum_is_close_to_the_exact_linear_program(seed: int) -> None:
    """HiGHS' minimum Σ |r| on random one-output pattern cells is within float accuracy of Z3's exact
    simplex (`convex._solve`), and None exactly on the empty cells: the guide's filter on the patterns
    worth an exact optimum rests on it."""
    compared = 0
    for cell, residuals, layout in pattern_cells(seed):
        estimate = qp.float_absolute_minimum(cell, residuals, layout.size)
        z = convex._solve("absolute", cell, residuals, layout.size, 60)
        assert z != "unknown"
        assert (z is None) == (estimate is None), "HiGHS and the exact simplex disagree on the cell's emptiness"
        if z is None or estimate is None:
            continue
        compared += 1
        exact = float(sum((abs(r.at(z)) for r in residuals), F(0)))
        assert abs(estimate.value - exact) <= 1e-6 * (1 + exact)
    assert compared >= 6


@pytest.mark.parametrize("loss", ["absolute", "squared"])
@pytest.mark.parametrize("seed", range(8))
def test_weak_duality_bounds_are_lower_bounds_and_on_most_cells_the_exact_minimum(seed: int, loss: str) -> None:
    """The weak-duality bounds from HiGHS' multipliers (absolute: λᵀr0 + μᵀb with λ ∈ [−1, 1]^n;
    squared: μᵀb + 2λᵀr0 − ‖λ‖², λ from the minimiser's residuals) never exceed the exact least loss
    (Z3: `convex._solve`) on random one-output pattern cells (noisy planted data, also with half the
    residuals dropped: partial patterns) and on most are within 1e-9 (relative) of it: the search
    prunes with them. Floats decide nothing: with HiGHS' minimiser and multipliers distorted a bound,
    when one is given, is still at most the minimum."""
    rng = random.Random(seed)
    bound_of = qp.absolute_bound if loss == "absolute" else qp.squared_bound
    bounded = close = 0
    for cell, residuals, layout in pattern_cells(seed):
        for kept in (residuals, residuals[::2]):
            estimate = qp.float_least(loss, cell, kept, layout.size)
            z = convex._solve(loss, cell, kept, layout.size, 60)
            assert z != "unknown"
            if z is None or estimate is None:
                continue
            least = sum((abs(r.at(z)) if loss == "absolute" else r.at(z) ** 2 for r in kept), F(0))
            bound = bound_of(cell, kept, layout.size, estimate)
            if bound is None:
                continue
            assert bound <= least
            bounded += 1
            close += least - bound <= F(1, 10 ** 9) * (1 + least)
            assert estimate.duals is not None
            for _ in range(5):
                distorted = replace(estimate, z=estimate.z + np.array([rng.uniform(-1, 1) for _ in estimate.z]),
                                    duals=estimate.duals * rng.uniform(0.5, 3.0)
                                    + np.array([rng.choice((0.0, rng.uniform(-2, 2))) for _ in estimate.duals]))
                wrong = bound_of(cell, kept, layout.size, distorted)
                assert wrong is None or wrong <= least
    assert bounded >= 10 and close >= 0.8 * bounded, (bounded, close)


@pytest.mark.parametrize("seed", range(3))
def test_absolute_path_agrees_with_a_fresh_lp_along_a_depth_first_walk(seed: int) -> None:
    """The search path's LP, re-optimised from its last basis after blocks are removed and added
    (qp.AbsolutePath), gives the minimum Σ |r| of a fresh LP (float_absolute_minimum) within float
    accuracy, the same empty cells, and multipliers that prove an exact bound at most Z3's exact
    minimum (d = 2, k = 3, noisy planted data, a walk that shares prefixes as a search does)."""
    rng = random.Random(seed)
    inst, _ = planted(Shape(2, 3, 1), 14, seed)
    inst = replace(inst, labels=tuple((y[0] + F(rng.randint(-3, 3), 2),) for y in inst.labels))
    points, signs = Points.of(inst), ((1,), (1,), (-1,))
    size = Layout(2, 3, 1).size
    options = sorted(dichotomies(inst.points), key=sorted)
    neurons = [rng.choice(options) for _ in range(3)]
    path = qp.AbsolutePath(size)
    compared = 0
    for _ in range(120):
        if rng.random() < 0.3:  # the blocks up to the first point where the new set differs are kept
            neurons[rng.randrange(3)] = rng.choice(options)
        depth = rng.randint(1, inst.n)
        blocks = [least_squares_block(points, signs, p, tuple(int(p in S) for S in neurons)) for p in range(depth)]
        held = path.minimum(blocks)
        rows = [row for block_rows, _ in blocks for row in block_rows]
        residuals = [r for _, block_residuals in blocks for r in block_residuals]
        fresh = qp.float_absolute_minimum(rows, residuals, size)
        assert (held is None) == (fresh is None)
        if held is None or fresh is None:
            continue
        compared += 1
        assert abs(held.value - fresh.value) <= 1e-6 * (1 + fresh.value)
        bound = qp.absolute_bound(rows, residuals, size, held)
        if bound is not None:
            z = convex._solve("absolute", rows, residuals, size, 60)
            assert z is not None and z != "unknown"
            assert bound <= sum((abs(r.at(z)) for r in residuals), F(0))
    assert compared >= 30


def test_least_squares_known_answers() -> None:
    """Projection of (1, 2) on z0 + z1 ≤ 1 is (0, 1), distance² 2; an unconstrained fit is 0; the
    float guess is near the exact minimum; strict rows are refused."""
    residuals = [Linear(((0, F(1)),), F(-1)), Linear(((1, F(1)),), F(-2))]
    half_plane = [Row(((0, F(-1)), (1, F(-1))), ">=", F(-1))]
    found = qp.least_squares(half_plane, residuals, 2)
    assert found is not None and found.value == 2 and found.z == [0, 1]
    free = qp.least_squares([], residuals, 2)
    assert free is not None and free.value == 0
    guess = qp.float_minimum(half_plane, residuals, 2)
    assert guess is not None and abs(guess.value - 2) < 1e-6
    assert qp.exact_minimum(half_plane, residuals, 2, guess) == found
    with pytest.raises(ValueError):
        qp.least_squares([Row(((0, F(1)),), ">", F(0))], residuals, 2)


def test_particular_solution() -> None:
    """x + y = 3, x − y = 1 → (2, 1); a free unknown is 0; inconsistent rows give None."""
    rows = [Row(((0, F(1)), (1, F(1))), "=", F(3)), Row(((0, F(1)), (1, F(-1))), "=", F(1))]
    assert particular_solution(rows, 3) == [2, 1, 0]
    assert particular_solution(rows + [Row(((0, F(1)),), "=", F(5))], 3) is None


def test_a_stalling_qp_stops_on_its_iteration_count() -> None:
    """A degenerate QP on which HiGHS' QP method cycles (met by the branch and bound on output directions: 12
    unknowns, 12 rows ≥ 0, none bounded): the run stops on the iteration limit from the model's size
    (qp.ITERATIONS), a count, not on the clock — in milliseconds under a minute's time limit, where without the
    iteration limit it ran until its time limit (measured), so its outcome no longer depends on the machine's load."""
    import time

    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = lp.num_row_ = 12
    lp.col_cost_ = np.array([18.5, 134, 61, -12.375, -79.5, -36.75, 60, -50, -20, -21.5, 23.75, 1.5])
    lp.col_lower_, lp.col_upper_ = np.full(12, -highspy.kHighsInf), np.full(12, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = np.zeros(12), np.full(12, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array([0, 3, 7, 11, 14, 18, 22, 25, 29, 33, 33, 33, 33], dtype=np.int32)
    lp.a_matrix_.index_ = np.array([
        0, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 8, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11
    ], dtype=np.int32)
    lp.a_matrix_.value_ = np.array([
        3, 0.5, 0.5, -2.5, 2.5, 2, -2.5, -1, 1, 1, 1, 3, 0.5, 0.5, -2.5, 2.5, 2, -2.5, -1, 1, 1, 1, -3, -0.5, -0.5,
        2.5, -2.5, -2, 2.5, 1, -1, -1, -1
    ], dtype=float)
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = 12, highspy.HessianFormat.kTriangular
    hessian.start_ = np.array([0, 9, 17, 24, 30, 35, 39, 45, 50, 54, 55, 56, 57], dtype=np.int32)
    hessian.index_ = np.array([
        0, 1, 2, 3, 4, 5, 9, 10, 11, 1, 2, 3, 4, 5, 9, 10, 11, 2, 3, 4, 5, 9, 10, 11, 3, 4, 5, 9, 10, 11, 4, 5, 9,
        10, 11, 5, 9, 10, 11, 6, 7, 8, 9, 10, 11, 7, 8, 9, 10, 11, 8, 9, 10, 11, 9, 10, 11
    ], dtype=np.int32)
    hessian.value_ = np.array([
        3, 12, 6, -2, -8, -4, -2, 1, -1, 123, 54, -8, -82, -36, -18, 9, -9, 24, -4, -36, -16, -8, 4, -4, 1.5, 6, 3,
        1, -1, 1, 61.5, 27, 9, -9, 9, 12, 4, -4, 4, 54, -45, -18, 6, 6, 6, 37.5, 15, -5, -5, -5, 6, -2, -2, -2, 6,
        6, 6
    ], dtype=float)
    model = highspy.HighsModel()
    model.lp_, model.hessian_ = lp, hessian
    began = time.monotonic()
    assert qp.highs_optimum(model, 60.0) is None
    assert time.monotonic() - began < 30.0
