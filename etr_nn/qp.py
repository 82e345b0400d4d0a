"""Exact least squares over a polyhedron: min Σ_p r_p(z)² subject to rows a_l·z (= or ≥) b_l,
with every r_p an affine form (`etr_nn.patterns.Linear`) — a convex quadratic program.

A float solver (HiGHS) proposes a minimiser z̃; the rows tight at z̃ are a guess S of the
active set. On S the Karush–Kuhn–Tucker conditions are linear in (z, μ):

    Σ_p 2·r_p(z)·∇r_p = Σ_{l ∈ S} μ_l·a_l,   a_l·z = b_l (l ∈ S),   a·z (= or ≥) b (every row),
    μ_l ≥ 0 on the ≥ rows of S,

and complementarity holds by construction (μ_l is nonzero only on rows that are tight). An
exact rational solution of this linear system (Z3's simplex, `etr_nn.lp.feasible_point`) is a
KKT point of a convex program with linear constraints, hence a global minimiser (KKT conditions
are sufficient under convexity): the minimum Σ_p r_p(z)² is then exact. A wrong guess makes the
system infeasible, and the answer is None — never a wrong value. Floats only propose. The
equations alone are tried first (one rational row reduction, `etr_nn.lp.particular_solution`;
kept if it satisfies the inequalities too), then the whole system by the exact simplex.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from etr_nn.lp import feasible_point, particular_solution  # noqa: E402
from etr_nn.patterns import Linear, Row  # noqa: E402

TIGHT = 1e-7  # a row whose float slack is at most this (relative) is guessed active
FLOAT_SECONDS = 0.05  # HiGHS' time limit: its QP method can stall on degenerate (semidefinite) problems


@dataclass(frozen=True)
class Minimum:
    """The exact minimum `value` of Σ r_p² on the polyhedron, attained at the rational point `z`."""

    value: Fraction
    z: list[Fraction]


def least_squares(rows: Sequence[Row], residuals: Sequence[Linear], size: int,
                  exceeding: Fraction | None = None) -> Minimum | None:
    """The exact minimum of Σ_p r_p(z)² over z ∈ Q^size satisfying the rows (module docstring),
    or None when it was not established (the rows infeasible, the float solver failed, or its
    active set was not confirmed). With `exceeding`, only a minimum above it is wanted: None
    without exact work when the float minimum is not above it. Rows must be = or ≥."""
    if any(row.rel == ">" for row in rows):
        raise ValueError("least squares over a polyhedron takes = and ≥ rows only")
    guess = _float_minimiser(rows, residuals, size)
    if guess is None:
        return None
    if exceeding is not None and sum(_value(r, guess) ** 2 for r in residuals) <= float(exceeding):
        return None
    slacks = [_slack(row, guess) for row in rows]
    scale = 1.0 + float(np.abs(guess).max(initial=0.0))
    for tolerance in (TIGHT, TIGHT * 1e-3):
        active = [r for r, slack in enumerate(slacks) if rows[r].rel == "=" or abs(slack) <= tolerance * scale]
        found = _kkt_point(rows, residuals, size, active)
        if found is not None:
            return Minimum(sum((r.at(found) ** 2 for r in residuals), Fraction(0)), found)
    return None


def _kkt_point(rows: Sequence[Row], residuals: Sequence[Linear], size: int, active: list[int]) -> list[Fraction] | None:
    """An exact solution z of the KKT system with active set `active` (module docstring), or None.
    Unknowns: z_0 … z_{size−1}, then one multiplier per active row."""
    system = list(rows)
    for r in active:
        if rows[r].rel == ">=":
            system.append(Row(rows[r].coeffs, "=", rows[r].rhs))
    mu = {r: size + i for i, r in enumerate(active)}
    system += [Row(((mu[r], Fraction(1)),), ">=", Fraction(0)) for r in active if rows[r].rel == ">="]
    for v in range(size):  # ∂/∂z_v: Σ_p 2·(∂r_p/∂z_v)·r_p(z) − Σ_l μ_l·a_lv = 0
        stationarity = Linear()
        for residual in residuals:
            a = dict(residual.coeffs).get(v)
            if a:
                stationarity += residual * (2 * a)
        for r in active:
            a = dict(rows[r].coeffs).get(v)
            if a:
                stationarity -= Linear(((mu[r], a),))
        if stationarity.coeffs or stationarity.const:
            system += stationarity.row("=")
    point = particular_solution([row for row in system if row.rel == "="], size + len(active))
    if point is None or not all(row.holds(point) for row in system):  # the equations' own solution first
        point = feasible_point(system, size + len(active))
    return None if point is None else point[:size]


def _slack(row: Row, z: np.ndarray) -> float:
    return _value(Linear(row.coeffs, -row.rhs), z)


def _value(form: Linear, z: np.ndarray) -> float:
    return sum(float(a) * z[v] for v, a in form.coeffs) + float(form.const)


def _float_minimiser(rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> np.ndarray | None:
    """HiGHS' QP solver on min ½·zᵀQz + gᵀz, Q = 2·MᵀM, g = 2·Mᵀr₀ (r(z) = M·z + r₀), rows as
    row bounds; None unless it reports an optimum."""
    import highspy

    M = np.zeros((len(residuals), size))
    r0 = np.array([float(r.const) for r in residuals])
    for p, r in enumerate(residuals):
        for v, a in r.coeffs:
            M[p, v] = float(a)
    A = np.zeros((len(rows), size))
    for i, row in enumerate(rows):
        for v, a in row.coeffs:
            A[i, v] = float(a)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = size, len(rows)
    lp.col_cost_ = 2 * M.T @ r0
    lp.col_lower_, lp.col_upper_ = np.full(size, -inf), np.full(size, inf)
    rhs = np.array([float(row.rhs) for row in rows])
    lp.row_lower_ = rhs
    lp.row_upper_ = np.array([b if row.rel == "=" else inf for b, row in zip(rhs, rows)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    columns = [np.nonzero(A[:, v])[0] for v in range(size)]
    lp.a_matrix_.start_ = np.cumsum([0] + [len(c) for c in columns]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate(columns + [np.zeros(0, dtype=np.int64)]).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate([A[c, v] for v, c in enumerate(columns)] + [np.zeros(0)])
    Q = 2 * M.T @ M
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = size, highspy.HessianFormat.kTriangular
    lower = [np.nonzero(Q[v:, v])[0] + v for v in range(size)]  # lower triangle, column by column
    hessian.start_ = np.cumsum([0] + [len(c) for c in lower]).astype(np.int32)
    hessian.index_ = np.concatenate(lower + [np.zeros(0, dtype=np.int64)]).astype(np.int32)
    hessian.value_ = np.concatenate([Q[c, v] for v, c in enumerate(lower)] + [np.zeros(0)])
    model = highspy.HighsModel()
    model.lp_, model.hessian_ = lp, hessian
    solution = highs_optimum(model, FLOAT_SECONDS)
    return None if solution is None else np.array(solution.col_value)


def highs_optimum(model: Any, seconds: float) -> Any:
    """HiGHS on a model (an LP, or a QP with its Hessian), quietly, on one thread, for at most
    `seconds`: its solution (primal values, row duals) if it reports an optimum, else None."""
    import highspy
    from highspy._core import _Highs  # highspy.Highs, its subclass, prints a banner to standard output

    solver = _Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("time_limit", seconds)
    if solver.passModel(model) != highspy.HighsStatus.kOk:
        return None
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return solver.getSolution()
