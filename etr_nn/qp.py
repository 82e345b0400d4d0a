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
equations alone are tried first (one rational row reduction of the KKT matrix, flint;
kept if it satisfies the inequalities too), then the whole system by the exact simplex.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Literal, Sequence, TypeVar

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import flint  # noqa: E402

from etr_nn.exact import from_fmpq, to_fmpq  # noqa: E402
from etr_nn.exact.echelon import echelon  # noqa: E402
from etr_nn.lp import feasible_point  # noqa: E402
from etr_nn.patterns import Block, Linear, Row  # noqa: E402

T = TypeVar("T")
TIGHT = 1e-7  # a row whose float slack is at most this (relative) is guessed active
ROUNDING_BITS = 30  # free unknowns of the KKT system take the float minimiser's values, rounded to this
# HiGHS' QP method can cycle on degenerate (semidefinite) problems: a run stops after ITERATIONS + ITERATIONS_PER_LINE
# · (rows + columns) iterations (the optima of the tests and the loss benchmark took at most 4.25 · (rows + columns)),
# a count, so the float guesses are the same on a loaded machine; FLOAT_SECONDS is only a backstop
ITERATIONS, ITERATIONS_PER_LINE = 1_000, 20
FLOAT_SECONDS = 1.0


@dataclass(frozen=True)
class Minimum:
    """The exact minimum `value` of Σ r_p² on the polyhedron, attained at the rational point `z`."""

    value: Fraction
    z: list[Fraction]


@dataclass(frozen=True)
class Guess:
    """A point `z` of the rows and its loss Σ r_p² (or, from `float_absolute_minimum`, Σ |r_p|), in
    floating point: a proposal. HiGHS' minimiser with its rows' multipliers `duals`, or (duals None)
    some point of the rows (`extended`)."""

    value: float
    z: np.ndarray
    duals: np.ndarray | None


def least_squares(rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> Minimum | None:
    """The exact minimum of Σ_p r_p(z)² over z ∈ Q^size satisfying the rows (module docstring),
    or None when it was not established (the rows infeasible, the float solver failed, or its
    active set was not confirmed). Rows must be = or ≥."""
    guess = float_minimum(rows, residuals, size)
    return None if guess is None else exact_minimum(rows, residuals, size, guess)


def extended(guess: Guess, rows: Sequence[Row], residuals: Sequence[Linear], loss: str = "squared",
             tolerance: float = TIGHT) -> Guess | None:
    """The guess's point for a problem with these rows and residuals added, if it satisfies the rows
    (up to `tolerance`): its value then grows by the new residuals' loss (Σ r² or, "absolute", Σ |r|)
    — a float value of a point of the cell, at least the minimum; not a minimiser."""
    A, rhs = dense(rows, len(guess.z))
    if np.any(A @ guess.z - rhs < -tolerance * (1.0 + float(np.abs(guess.z).max(initial=0.0)))):
        return None
    M, r0 = dense(residuals, len(guess.z))
    r = M @ guess.z + r0
    return Guess(guess.value + float(np.abs(r).sum() if loss == "absolute" else (r ** 2).sum()), guess.z, None)


def float_minimum(rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> Guess | None:
    """HiGHS' minimum (a guess), or None when it reports no optimum (infeasible rows, a stall)."""
    return float_least_dense("squared", *dense(residuals, size), rows, size)


def float_least_dense(loss: str, M: np.ndarray, r0: np.ndarray, rows: Sequence[Row], size: int) -> Guess | None:
    """`float_least` with the residuals as a matrix and constants, r(z) = M·z + r0 (callers that build
    them in floating point first, and exactly only when needed). Absolute loss: HiGHS' simplex on
    min Σ e_p, e_p ± r_p(z) ≥ 0, its duals laid out as `float_absolute_minimum`'s."""
    if any(row.rel == ">" for row in rows):
        raise ValueError("least squares over a polyhedron takes = and ≥ rows only")
    if loss == "squared":
        found = _float_minimiser(M, r0, rows, size)
        if found is None:
            return None
        z, duals = found
        return Guess(float(((M @ z + r0) ** 2).sum()), z, duals)
    import highspy

    A, rhs = dense(rows, size)
    n = len(r0)
    matrix = np.block([[A, np.zeros((len(rows), n))], [M, np.eye(n)], [-M, np.eye(n)]])
    upper = np.concatenate([[b if row.rel == "=" else highspy.kHighsInf for b, row in zip(rhs, rows)],
                            np.full(2 * n, highspy.kHighsInf)])
    model = highspy.HighsModel()
    model.lp_ = _highs_lp(matrix, np.concatenate([rhs, -r0, r0]), upper,
                          np.concatenate([np.zeros(size), np.ones(n)]))
    solution = highs_optimum(model, FLOAT_SECONDS)
    if solution is None:
        return None
    z = np.array(solution.col_value[:size])
    return Guess(float(np.abs(M @ z + r0).sum()), z, np.array(solution.row_dual))


def exact_minimum(rows: Sequence[Row], residuals: Sequence[Linear], size: int, guess: Guess) -> Minimum | None:
    """The exact minimum, from the KKT system on a guessed active set (the rows tight at the guess
    whose multiplier is not negligible — a degenerate row with multiplier 0 need not be tight —
    then every tight row, at two tolerances), or None when no guess is confirmed. The guess must be
    a minimiser (`float_minimum`: with multipliers)."""
    if guess.duals is None:
        raise ValueError("exact_minimum needs the float minimiser's multipliers")
    duals = guess.duals
    A, rhs = dense(rows, size)
    slacks = A @ guess.z - rhs
    scale = 1.0 + float(np.abs(guess.z).max(initial=0.0))
    exact = _Exact.of(rows, residuals, size)
    tight = [[r for r, slack in enumerate(slacks) if rows[r].rel == "=" or abs(slack) <= tolerance * scale]
             for tolerance in (TIGHT, TIGHT * 1e-3)]
    strong = [r for r in tight[0] if rows[r].rel == "=" or duals[r] > TIGHT * scale]
    tried: list[list[int]] = []
    for active in [strong] + tight:
        if active in tried:
            continue
        tried.append(active)
        found = exact.kkt_point(active, guess.z, duals)
        if found is not None:
            return Minimum(exact.value(found), [from_fmpq(v) for v in found])
    return None


@dataclass(frozen=True)
class _Exact:
    """The problem in exact matrices: r(z) = M·z + r0, rows A·z (= or ≥) b."""

    M: flint.fmpq_mat
    r0: flint.fmpq_mat
    A: flint.fmpq_mat
    b: list[flint.fmpq]
    equal: list[bool]

    @staticmethod
    def of(rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> _Exact:
        M, A = flint.fmpq_mat(len(residuals), size), flint.fmpq_mat(len(rows), size)
        r0 = flint.fmpq_mat(len(residuals), 1)
        for p, r in enumerate(residuals):
            for v, a in r.coeffs:
                M[p, v] = to_fmpq(a)
            r0[p, 0] = to_fmpq(r.const)
        for i, row in enumerate(rows):
            for v, a in row.coeffs:
                A[i, v] = to_fmpq(a)
        return _Exact(M, r0, A, [to_fmpq(row.rhs) for row in rows], [row.rel == "=" for row in rows])

    def value(self, z: list[flint.fmpq]) -> Fraction:
        r = self.M * flint.fmpq_mat(len(z), 1, z) + self.r0
        return from_fmpq(sum((v * v for v in r.entries()), flint.fmpq(0)))

    def kkt_point(self, active: list[int], near: np.ndarray, duals: np.ndarray) -> list[flint.fmpq] | None:
        """An exact solution z of the KKT system with active set `active` (module docstring), or
        None. Unknowns (z, μ_active): 2MᵀM·z − Σ_l μ_l·a_l = −2Mᵀr0 and a_l·z = b_l (l active) as one
        linear system (flint, reduced row echelon form; its free unknowns rounded from the float
        minimiser `near` and the float multipliers `duals`, μ_l ≥ 0); kept if μ_l ≥ 0 on the ≥ rows and every row holds, else the whole
        system with those inequalities by the exact simplex."""
        size, s = self.M.ncols(), len(active)
        Mt = self.M.transpose()
        H, g = Mt * self.M * 2, Mt * self.r0 * (-2)
        system = flint.fmpq_mat(size + s, size + s + 1)
        for v in range(size):
            for w in range(size):
                system[v, w] = H[v, w]
            for i, r in enumerate(active):
                system[v, size + i] = -self.A[r, v]
            system[v, size + s] = g[v, 0]
        for i, r in enumerate(active):
            for w in range(size):
                system[size + i, w] = self.A[r, w]
            system[size + i, size + s] = self.b[r]
        reduced = echelon(system)
        if reduced is not None:
            pivots = {pivot for pivot, _ in reduced}
            proposal = list(near) + [max(0.0, duals[r]) for r in active]
            point = [flint.fmpq(0) if v in pivots else _rounded(proposal[v]) for v in range(size + s)]
            for pivot, entries in reduced:
                point[pivot] = entries[size + s] - sum((entries[v] * point[v] for v in range(pivot + 1, size + s)
                                                        if v not in pivots and entries[v] != 0), flint.fmpq(0))
            if self._holds(point[:size]) and all(self.equal[r] or point[size + i] >= 0 for i, r in enumerate(active)):
                return point[:size]
        return self._simplex(system, active)

    def _holds(self, z: list[flint.fmpq]) -> bool:
        Az = self.A * flint.fmpq_mat(len(z), 1, z)
        return all(Az[i, 0] == b if eq else Az[i, 0] >= b for i, (b, eq) in enumerate(zip(self.b, self.equal)))

    def _simplex(self, system: flint.fmpq_mat, active: list[int]) -> list[flint.fmpq] | None:
        """The KKT system with its inequalities (rows, μ ≥ 0 on active ≥ rows) by Z3's exact simplex."""
        size, width = self.M.ncols(), system.ncols() - 1
        rows = [_row(system, i, width, "=", system[i, width]) for i in range(system.nrows())]
        rows += [_row(self.A, i, size, "=" if eq else ">=", b) for i, (b, eq) in enumerate(zip(self.b, self.equal))]
        rows += [Row(((size + i, Fraction(1)),), ">=", Fraction(0)) for i, r in enumerate(active) if not self.equal[r]]
        point = feasible_point(rows, width)
        return None if point is None else [to_fmpq(v) for v in point[:size]]


def _rounded(x: float) -> flint.fmpq:
    """A nearby rational with denominator 2^ROUNDING_BITS."""
    return flint.fmpq(round(x * (1 << ROUNDING_BITS)), 1 << ROUNDING_BITS)


def _row(matrix: flint.fmpq_mat, i: int, width: int, rel: Literal["=", ">="], rhs: flint.fmpq) -> Row:
    """Row i of an exact matrix (its first `width` columns) as a Row: coefficients rel rhs."""
    return Row(tuple((v, from_fmpq(matrix[i, v])) for v in range(width) if matrix[i, v] != 0), rel, from_fmpq(rhs))


KEPT_LIMIT = 200_000  # entries of each per-object cache (`_kept`) before it is cleared
_DENSE: dict[tuple[int, Any], tuple[Any, Any]] = {}
_BLOCK_ARRAYS: dict[tuple[int, Any], tuple[Any, Any]] = {}
_EXACT: dict[tuple[int, Any], tuple[Any, Any]] = {}


def _kept(cache: dict[tuple[int, Any], tuple[Any, Any]], obj: object, make: Callable[[], T], tag: Any = None) -> T:
    """make(), kept in `cache` per object (and tag): the search passes the same cached rows and blocks
    again and again; an entry holds its object, so its id stays its own; cleared past KEPT_LIMIT."""
    key = (id(obj), tag)
    hit = cache.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]  # type: ignore[no-any-return]
    if len(cache) > KEPT_LIMIT:
        cache.clear()
    value = make()
    cache[key] = (obj, value)
    return value


def dense(forms: Sequence[Row | Linear], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The forms' coefficients (a matrix) and constant terms (a Row's right-hand side), in floating
    point; each form's kept per object (`_kept`)."""
    matrix, constants = np.zeros((len(forms), size)), np.zeros(len(forms))
    for i, form in enumerate(forms):
        matrix[i], constants[i] = _kept(_DENSE, form, lambda: _dense_form(form, size), size)
    return matrix, constants


def _dense_form(form: Row | Linear, size: int) -> tuple[np.ndarray, float]:
    coeffs = np.zeros(size)
    for v, a in form.coeffs:
        coeffs[v] = float(a)
    return coeffs, float(form.rhs if isinstance(form, Row) else form.const)


def _float_minimiser(M: np.ndarray, r0: np.ndarray, rows: Sequence[Row],
                     size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """HiGHS' QP solver on min ½·zᵀQz + gᵀz, Q = 2·MᵀM, g = 2·Mᵀr₀ (r(z) = M·z + r₀), rows as
    row bounds: its minimiser and row multipliers (Qz + g = Σ_l dual_l·a_l); None unless it reports
    an optimum."""
    import highspy

    A, rhs = dense(rows, size)
    upper = np.array([b if row.rel == "=" else highspy.kHighsInf for b, row in zip(rhs, rows)])
    lp = _highs_lp(A, rhs, upper, 2 * M.T @ r0)
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
    return None if solution is None else (np.array(solution.col_value), np.array(solution.row_dual))


def float_least(loss: str, rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> Guess | None:
    """HiGHS' minimum of the loss ("squared": Σ r_p², `float_minimum`; "absolute": Σ |r_p|,
    `float_absolute_minimum`) over the rows: a guess, or None."""
    return (float_absolute_minimum if loss == "absolute" else float_minimum)(rows, residuals, size)


def float_absolute_minimum(rows: Sequence[Row], residuals: Sequence[Linear], size: int) -> Guess | None:
    """min Σ_p |r_p(z)| over the rows, in floating point (HiGHS' simplex on the LP in (z, e):
    min Σ e_p, e_p ± r_p(z) ≥ 0): a guess with its minimiser z and row duals (rows, then the
    e_p + r_p ≥ 0 rows, then the e_p − r_p ≥ 0 rows), or None when HiGHS reports no optimum. The LP
    of `AbsolutePath` with one block."""
    return AbsolutePath(size).minimum([(tuple(rows), tuple(residuals))])


class AbsolutePath:
    """`float_absolute_minimum` for the partial patterns of a depth-first search: one HiGHS LP held
    across calls, its blocks those of the last call's path (one per decided point: its rows and its
    residuals with their columns e_p). A call removes the blocks past the common prefix (compared by
    identity: the blocks come from a cache), adds the new ones and re-optimises from the last basis
    (HiGHS' dual simplex after rows are added). The guess's duals are laid out as
    `float_absolute_minimum`'s for the concatenated rows and residuals (`absolute_bound`)."""

    def __init__(self, size: int) -> None:
        import highspy
        from highspy._core import _Highs

        self.size, self.inf = size, highspy.kHighsInf
        self.solver = _Highs()
        for option, value in (("output_flag", False), ("threads", 1), ("presolve", "off")):
            self.solver.setOptionValue(option, value)
        self.solver.addCols(size, np.zeros(size), np.full(size, -self.inf), np.full(size, self.inf), 0,
                            np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self.blocks: list[Block] = []
        self.spans: list[tuple[int, int, int]] = []  # per block: its first row, first column, residual count

    def minimum(self, blocks: Sequence[Block]) -> Guess | None:
        import highspy

        common = 0
        while common < min(len(blocks), len(self.blocks)) and blocks[common] is self.blocks[common]:
            common += 1
        if common < len(self.blocks):
            first_row, first_col, _ = self.spans[common]
            rows, cols = self.solver.getNumRow(), self.solver.getNumCol()
            self.solver.deleteRows(rows - first_row, np.arange(first_row, rows, dtype=np.int32))
            self.solver.deleteCols(cols - first_col, np.arange(first_col, cols, dtype=np.int32))
            del self.blocks[common:], self.spans[common:]
        for block in blocks[common:]:
            self._add(block)
        for _ in range(2):  # a warm start that ends in anything but an optimum or infeasibility: once more, cold
            self.solver.setOptionValue("time_limit", self.solver.getRunTime() + FLOAT_SECONDS)  # its clock runs on
            _limit_iterations(self.solver)
            self.solver.run()
            status = self.solver.getModelStatus()
            if status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible):
                break
            self.solver.clearSolver()
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        solution = self.solver.getSolution()
        z, row_duals = np.array(solution.col_value[:self.size]), np.array(solution.row_dual)
        residuals: list[Linear] = []
        signs, alphas, betas = [], [], []
        for (block_rows, block_residuals), (first, _, n) in zip(self.blocks, self.spans):
            residuals += block_residuals
            middle = first + len(block_rows)
            signs.append(row_duals[first:middle])
            alphas.append(row_duals[middle:middle + n])
            betas.append(row_duals[middle + n:middle + 2 * n])
        M, r0 = dense(residuals, self.size)
        return Guess(float(np.abs(M @ z + r0).sum()), z, np.concatenate(signs + alphas + betas))

    def _add(self, block: Block) -> None:
        """The block's columns e_p (cost 1, e_p ≥ 0) and rows: its own, then e_p + r_p ≥ 0, e_p − r_p ≥ 0."""
        first_row, first_col = self.solver.getNumRow(), self.solver.getNumCol()
        n, starts, indices, slack, values, lower, upper = _block_arrays(block, self.inf)
        if n:
            self.solver.addCols(n, np.ones(n), np.zeros(n), np.full(n, self.inf), 0,
                                np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self.solver.addRows(len(lower), lower, upper, len(indices), starts, indices + first_col * slack, values)
        self.blocks.append(block)
        self.spans.append((first_row, first_col, n))


def _block_arrays(block: Block, inf: float) -> tuple[Any, ...]:
    """`AbsolutePath._add`'s rows of a block in HiGHS' row-wise form, kept per block (`_kept`):
    (residual count, row starts, column indices with e_p's as p, 1 where an index is an e_p's (to
    shift by the first e column), values, row lower and upper bounds)."""
    return _kept(_BLOCK_ARRAYS, block, lambda: _row_arrays(block, inf))


def _row_arrays(block: Block, inf: float) -> tuple[Any, ...]:
    rows, residuals = block
    lines: list[tuple[list[int], list[int], list[float]]] = [
        ([v for v, _ in row.coeffs], [0] * len(row.coeffs), [float(a) for _, a in row.coeffs]) for row in rows]
    lower = [float(row.rhs) for row in rows]
    upper = [lower[i] if row.rel == "=" else inf for i, row in enumerate(rows)]
    for side in (1, -1):  # e_p + side·r_p ≥ 0
        for i, r in enumerate(residuals):
            lines.append(([v for v, _ in r.coeffs] + [i], [0] * len(r.coeffs) + [1],
                          [side * float(a) for _, a in r.coeffs] + [1.0]))
            lower.append(-side * float(r.const))
            upper.append(inf)
    return (len(residuals), np.cumsum([0] + [len(indices) for indices, _, _ in lines[:-1]]).astype(np.int32),
            np.array([v for indices, _, _ in lines for v in indices], dtype=np.int32),
            np.array([flag for _, flags, _ in lines for flag in flags], dtype=np.int32),
            np.array([a for _, _, line in lines for a in line]), np.array(lower), np.array(upper))


def absolute_bound(rows: Sequence[Row], residuals: Sequence[Linear], size: int, guess: Guess) -> Fraction | None:
    """An exact lower bound of min Σ_p |r_p(z)| over the rows A·z (= or ≥) b, by weak duality: for
    λ ∈ [−1, 1]^n and μ (μ_l ≥ 0 on the ≥ rows) with Mᵀλ = Aᵀμ, every feasible z has
    Σ_p |r_p(z)| ≥ Σ_p λ_p·r_p(z) = μᵀA·z + λᵀr0 ≥ μᵀb + λᵀr0. The float minimiser
    (`float_absolute_minimum`) proposes them, λ_p = β_p − α_p from the duals of its rows
    e_p + r_p ≥ 0 (α) and e_p − r_p ≥ 0 (β): λ_p = ±1 where the float is at a bound, μ_l = 0 where
    its multiplier is negligible, and the rest solve Mᵀλ = Aᵀμ exactly (`_dual_solution`) within
    their bounds. At the float's optimal basis the bound is the exact minimum. None when the
    proposal fails (floats never give the bound)."""
    if guess.duals is None:
        raise ValueError("absolute_bound needs the float minimiser's multipliers")
    count, n = len(rows), len(residuals)
    duals = guess.duals
    lam = duals[count + n:count + 2 * n] - duals[count:count + n]
    fixed = {p: (1 if lam[p] > 0 else -1) for p in range(n) if abs(lam[p]) >= 1.0 - TIGHT}
    free = [p for p in range(n) if p not in fixed]
    support = _support(rows, duals)
    rhs: dict[int, flint.fmpq] = {}  # −Σ_fixed M[p, v]·λ_p
    for p, sign in fixed.items():
        for v, a in _exact(residuals[p])[0]:
            rhs[v] = rhs.get(v, flint.fmpq(0)) - sign * a
    solved = _dual_solution([_exact(residuals[p])[0] for p in free], support, rows, rhs, size,
                            [float(lam[p]) for p in free] + [float(duals[r]) for r in support])
    if solved is None:
        return None
    lams, mus = solved[:len(free)], solved[len(free):]
    if any(abs(value) > 1 for value in lams):
        return None
    bound = (sum((mu * _exact(rows[r])[1] for r, mu in zip(support, mus)), flint.fmpq(0))
             + sum((value * _exact(residuals[p])[1] for p, value in zip(free, lams)), flint.fmpq(0))
             + sum((sign * _exact(residuals[p])[1] for p, sign in fixed.items()), flint.fmpq(0)))
    return from_fmpq(bound)


def squared_bound(rows: Sequence[Row], residuals: Sequence[Linear], size: int, guess: Guess) -> Fraction | None:
    """An exact lower bound of min Σ_p r_p(z)² over the rows A·z (= or ≥) b, by weak duality: for
    every λ ∈ Q^n, ‖r‖² ≥ 2λᵀr − ‖λ‖² (as ‖r − λ‖² ≥ 0), and for μ (μ_l ≥ 0 on the ≥ rows) with
    2Mᵀλ = Aᵀμ every feasible z has 2λᵀM·z = μᵀA·z ≥ μᵀb, so Σ_p r_p(z)² ≥ μᵀb + 2λᵀr0 − ‖λ‖².
    The float minimiser (`float_minimum`) proposes λ = r(z) and μ its row multipliers (zero where
    negligible); `_dual_solution` makes them exact. At the minimiser, with its multipliers, the
    bound is the minimum (the KKT conditions); no active set has to be right, only the signs of μ.
    None when the proposal fails (floats never give the bound)."""
    if guess.duals is None:
        raise ValueError("squared_bound needs the float minimiser's multipliers")
    M, r0 = dense(residuals, size)
    support = _support(rows, guess.duals)
    columns = [[(v, 2 * a) for v, a in _exact(r)[0]] for r in residuals]
    solved = _dual_solution(columns, support, rows, {}, size,
                            [float(x) for x in M @ guess.z + r0] + [float(guess.duals[r]) for r in support])
    if solved is None:
        return None
    lams, mus = solved[:len(residuals)], solved[len(residuals):]
    bound = (sum((mu * _exact(rows[r])[1] for r, mu in zip(support, mus)), flint.fmpq(0))
             + sum((2 * value * _exact(r)[1] - value * value for r, value in zip(residuals, lams)), flint.fmpq(0)))
    return from_fmpq(bound)


def _support(rows: Sequence[Row], duals: np.ndarray) -> list[int]:
    """The rows whose multiplier a dual solution keeps: every equation, and the ≥ rows whose float
    multiplier is not negligible (the others get μ_l = 0)."""
    scale = 1.0 + float(np.abs(duals[:len(rows)]).max(initial=0.0))
    return [r for r, row in enumerate(rows) if row.rel == "=" or duals[r] > TIGHT * scale]


def _dual_solution(columns: list[list[tuple[int, flint.fmpq]]], support: list[int], rows: Sequence[Row],
                   rhs: dict[int, flint.fmpq], size: int, proposal: list[float]) -> list[flint.fmpq] | None:
    """Exact (x, μ) with Σ_i x_i·columns_i − Σ_support μ_l·a_l = rhs (one equation per unknown z_v),
    near the float `proposal` (x, then μ): the reduced row echelon form, free unknowns rounded from the
    proposal (μ_l of a ≥ row at least 0), pivots solved. None when the system has no solution or a
    solved μ_l of a ≥ row is negative."""
    width = len(columns) + len(support)
    system = flint.fmpq_mat(size, width + 1)
    for i, column in enumerate(columns):
        for v, a in column:
            system[v, i] = a
    for i, r in enumerate(support):
        for v, a in _exact(rows[r])[0]:
            system[v, len(columns) + i] = -a
    for v, value in rhs.items():
        system[v, width] = value
    reduced = echelon(system)
    if reduced is None:
        return None
    pivots = {pivot for pivot, _ in reduced}
    inequality = [i >= len(columns) and rows[support[i - len(columns)]].rel != "=" for i in range(width)]
    unknowns = [flint.fmpq(0) if v in pivots else _rounded(max(proposal[v], 0.0) if inequality[v] else proposal[v])
                for v in range(width)]
    for pivot, entries in reduced:
        unknowns[pivot] = entries[width] - sum((entries[v] * unknowns[v] for v in range(pivot + 1, width)
                                                if v not in pivots and entries[v] != 0), flint.fmpq(0))
    if any(inequality[v] and unknowns[v] < 0 for v in range(width)):
        return None
    return unknowns


def _exact(form: Row | Linear) -> tuple[list[tuple[int, flint.fmpq]], flint.fmpq]:
    """A row's or a residual's coefficients and its right-hand side (a Row) or constant term (a
    Linear) as flint rationals, kept per object (`_kept`)."""
    return _kept(_EXACT, form, lambda: ([(v, to_fmpq(a)) for v, a in form.coeffs],
                                        to_fmpq(form.rhs if isinstance(form, Row) else form.const)))


def _highs_lp(matrix: np.ndarray, lower: np.ndarray, upper: np.ndarray, cost: np.ndarray) -> Any:
    """HiGHS' LP min cost·x subject to lower ≤ matrix·x ≤ upper, x free (stored column-wise)."""
    import highspy

    rows, size = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = size, rows
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = np.full(size, -highspy.kHighsInf), np.full(size, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    columns = [np.nonzero(matrix[:, v])[0] for v in range(size)]
    lp.a_matrix_.start_ = np.cumsum([0] + [len(c) for c in columns]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate(columns + [np.zeros(0, dtype=np.int64)]).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate([matrix[c, v] for v, c in enumerate(columns)] + [np.zeros(0)])
    return lp


def highs_optimum(model: Any, seconds: float) -> Any:
    """HiGHS on a model (an LP, or a QP with its Hessian), quietly, on one thread, within its iteration
    limit and at most `seconds`: its solution (primal values, row duals) if it reports an optimum, else None."""
    import highspy
    from highspy._core import _Highs  # highspy.Highs, its subclass, prints a banner to standard output

    solver = _Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("time_limit", seconds)
    if solver.passModel(model) != highspy.HighsStatus.kOk:
        return None
    _limit_iterations(solver)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return solver.getSolution()


def _limit_iterations(solver: Any) -> None:
    """The simplex and QP iteration limits of the next run, from the model's size (ITERATIONS)."""
    limit = ITERATIONS + ITERATIONS_PER_LINE * (solver.getNumRow() + solver.getNumCol())
    solver.setOptionValue("simplex_iteration_limit", limit)
    solver.setOptionValue("qp_iteration_limit", limit)
