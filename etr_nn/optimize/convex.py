"""Exact optimum with one output: a convex program per activation pattern (fact 3).

With one output, positive homogeneity lets every hidden neuron have output weight
s_j ∈ {−1, 1} (or be dead), so f(x_i) = Σ_j s_j·[i ∈ S_j]·x̃_i·v_j + c on the closed cell
of the dichotomies S_j (x̃_i·v_j ≥ 0 on S_j, ≤ 0 off it): linear in (v, c). Per pattern
the loss is a convex quadratic (squared) or a linear program after the usual slack
variables (absolute) over a polyhedron, bounded below by 0, so its minimum is attained
(Frank–Wolfe) at a rational point:

- squared: the KKT conditions (stationarity, feasibility, multipliers ≥ 0,
  complementarity) are necessary (linear constraints) and sufficient (convexity): with the
  active set a float QP proposes they are a linear system solved exactly (etr_nn.qp); else,
  as a linear system with disjunctions, Z3 solves them exactly in rationals;
- absolute: Z3's exact simplex (Optimize) over Q.

The optimum is the least pattern optimum, and the optimal network is rational: that is
fact 3, proved for the instance at hand by exhibiting it. The patterns are not enumerated
one by one: a branch and bound on the pattern search (`optimize`) prunes every partial
pattern whose exact loss bound reaches the best loss found.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, Sequence

from etr_nn.progress import Progress
from etr_nn.deadline import Deadline
from etr_nn.z3lib import z3

from etr_nn.exact import from_z3
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import Optimum
from etr_nn.lp import linear, rational, to_z3
from etr_nn.search.engine import LEAF_BACKEND, Outcome
from etr_nn.certify import loss
from etr_nn.patterns import (Layout, Linear, Points, Row, Sign, least_squares_problem, lp_network, point_order,
                             sign_choices)
from etr_nn.qp import least_squares

GUIDE_SHARE, GUIDE_SECONDS = 0.1, 3.0  # float fits for the first incumbent
INLINE_SECONDS = 2.0  # with several workers, the branch and bound runs in this process this long first
SPLIT_DEPTH = 3  # then the sign choices left are split into the partial patterns of this many points: the workers' tasks
Neuron = tuple[int, frozenset[int]]  # (output weight ±1, activation set); (0, ∅) is a dead neuron


def rational_loss(instance: Instance, network: Network) -> Fraction:
    """The exact loss of a network with rational weights (every network of the one-output search is)."""
    value = loss(instance, network)
    if not isinstance(value, Fraction):
        raise ValueError(f"a network with irrational weights has loss {value}")
    return value


def optimize(instance: Instance, deadline: Deadline, shown: bool = False, workers: int = 1) -> Optimum:
    """Branch and bound on the pattern search (etr_nn.search.engine, `Incumbent`): the incumbent
    starts as the better of the constant network and the exact pattern optimum of float fits
    (GUIDE_SHARE of the time, at most GUIDE_SECONDS); a partial pattern goes when an exact lower
    bound on the loss of its completions reaches the incumbent (the least loss of its decided points
    and of those whose activations it forces, the convexity bound of its sign class, exact
    infeasibility), and every full pattern's exact
    convex optimum below the incumbent replaces it. When every sign choice is searched to the end, no
    network has a smaller loss than the least incumbent: it is optimal (and rational). With several
    `workers`, the sign choices not done in this process within INLINE_SECONDS are split at the
    partial patterns of SPLIT_DEPTH points that survive (`Search.frontier`: one sign choice can hold
    most of the work) and those run in worker processes, which post every better incumbent to each
    other (etr_nn.search.parallel.SharedIncumbent)."""
    from etr_nn.optimize.landscape import constant_network
    from etr_nn.search.engine import Incumbent, Search
    from etr_nn.search.guide import least_fit
    from etr_nn.search.parallel import Task, run_local

    left = deadline.left()
    guided = least_fit(instance, Deadline.after(GUIDE_SECONDS if left is None else min(GUIDE_SECONDS, GUIDE_SHARE * left)))
    constant = constant_network(instance)
    best = _least([(rational_loss(instance, constant), constant), guided])
    tasks, order = sign_choices(instance.shape.hidden, 1), point_order(instance)
    outcomes: list[Outcome] = []
    rest: list[tuple[Sign, ...]] = []
    unfinished = 0
    if best[0] > 0:
        search = Search(instance, order, deadline=deadline.sooner(INLINE_SECONDS) if workers > 1 else deadline,
                        incumbent=Incumbent(*best))
        with Progress("optimize: sign choices searched", len(tasks), shown) as bar:
            for signs in tasks:
                outcome = search.run(signs)
                if outcome.status == "unknown":
                    break
                outcomes.append(outcome)
                bar.show(len(outcomes))
        rest = tasks[len(outcomes):]
        unfinished = len(rest)
        if rest and workers > 1 and not deadline.passed():
            search.deadline = deadline
            parts: list[Task] = []
            for signs in rest:
                starts, outcome = search.frontier(signs, min(SPLIT_DEPTH, instance.n - 1))
                outcomes.append(outcome)
                parts += [(signs, start) for start in starts]
            incumbent = Incumbent(*_least([best, *(o.best for o in outcomes)]))
            more, _ = run_local(instance, order, parts, workers, LEAF_BACKEND, deadline, False, None, incumbent=incumbent)
            outcomes += more
            unfinished = len(parts) - len(more)
    best = _least([best, *(o.best for o in outcomes)])
    if best[0] > 0 and (unfinished or any(o.status != "unsat" for o in outcomes)):
        return Optimum(instance.name, "unknown", method="branch and bound",
                       rests_on=[f"time limit; the optimum is at most {best[0]}, the loss of a certified network "
                                 f"({len(tasks) - len(rest)} of {len(tasks)} sign choices searched in full"
                                 + (", the others in part)" if rest else ")")])
    explored = sum(o.explored for o in outcomes)
    pruned = sum(o.pruned + o.loss_bound + o.convexity for o in outcomes)
    kind = "KKT point, exact" if instance.loss == "squared" else "linear program, Z3 over Q"
    return Optimum(instance.name, "optimal", best[0], best[1], "branch and bound",
                   [f"one output (fact 3): branch and bound over {len(tasks)} sign choices, {explored} partial "
                    f"patterns ({pruned} pruned by exact linear infeasibility or an exact loss bound at least the "
                    f"incumbent: least loss of the decided points and of those whose activations the partial pattern "
                    f"forces, convexity bound of the sign class); each full "
                    f"pattern an exact convex program ({kind}); the optimum and an optimal network are rational"])


def _least(candidates: Sequence[tuple[Fraction, Network] | None]) -> tuple[Fraction, Network]:
    """The candidate (loss, network) of least loss (None entries skipped; one at least is not None)."""
    return min((c for c in candidates if c is not None), key=lambda c: c[0])


def pattern_optimum(instance: Instance, pattern: tuple[Neuron, ...],
                    timeout: float | None) -> tuple[Fraction, Network] | None | Literal["unknown"]:
    """(minimum loss, network) on the pattern's closed cell; None if the cell is empty. In the
    pattern core's unknowns (etr_nn.patterns, m = 1): u_j = s_j·v_j, with a dead neuron
    taken as s_j = 1 inactive everywhere (u_j·x̃ ≤ 0 on every point, so it adds nothing).
    Squared loss: a float active set confirmed by an exact KKT point (etr_nn.qp) when it can be,
    else the whole KKT system with its complementarity disjunctions (Z3 over Q)."""
    cell, residuals, layout, signs = _problem(instance, pattern)
    if instance.loss == "squared" and (found := least_squares(cell, residuals, layout.size)) is not None:
        values = found.z
    else:
        solved = _solve(instance.loss, cell, residuals, layout.size, timeout)
        if solved is None or solved == "unknown":
            return solved
        values = solved
    network = lp_network(values, signs, layout)
    assert network is not None  # one output: always rank one
    total = sum((e.at(values) ** 2 if instance.loss == "squared" else abs(e.at(values)) for e in residuals),
                Fraction(0))
    return total, network


def float_pattern_optimum(instance: Instance, pattern: tuple[Neuron, ...]) -> float | None:
    """The pattern's minimum loss in floating point (HiGHS: the QP, or the LP of the absolute loss);
    None when HiGHS reports no optimum. A guess: it only decides which patterns get the exact
    `pattern_optimum`."""
    from etr_nn import qp

    cell, residuals, layout, _ = _problem(instance, pattern)
    guess = qp.float_least(instance.loss, cell, residuals, layout.size)
    return None if guess is None else guess.value


def _problem(instance: Instance, pattern: tuple[Neuron, ...]) -> tuple[list[Row], list[Linear], Layout, tuple[Sign, ...]]:
    """The pattern's cell rows, residuals, layout and output signs (`patterns.least_squares_problem`)."""
    signs = tuple((s or 1,) for s, _ in pattern)
    prefixes = tuple(tuple(int(i in active) for i in range(instance.n)) for _, active in pattern)
    cell, residuals, layout = least_squares_problem(Points.of(instance), signs, tuple(range(instance.n)), prefixes)
    return cell, residuals, layout, signs


def _solve(kind: str, cell: list[Row], residuals: list[Linear], size: int,
           timeout: float | None) -> list[Fraction] | None | Literal["unknown"]:
    """A minimiser of the loss over the cell by Z3 over Q (None: the cell is empty): squared loss
    as its KKT system (stationarity, feasibility, multipliers ≥ 0, complementarity as
    disjunctions: necessary for linear constraints, sufficient by convexity); absolute loss as
    an LP with slacks e ≥ |r| (Z3's exact simplex, Optimize)."""
    z = [z3.Real(f"z{v}") for v in range(size)]
    r = [linear(e.coeffs, z, e.const) for e in residuals]
    if kind == "squared":
        solver = z3.SolverFor("QF_LRA")
        mu = [z3.Real(f"mu{i}") for i in range(len(cell))]
        g = [to_z3(row, z) for row in cell]  # a_l·z ≥ 0
        solver.add(*g, *[m >= 0 for m in mu])
        solver.add(*[z3.Or(m == 0, linear(row.coeffs, z) == 0) for m, row in zip(mu, cell)])
        # stationarity: ∇ Σ r_i² = Σ_l μ_l·a_l, coordinate by coordinate (linear)
        for v in range(size):
            grad = [rational(2 * a) * ri for e, ri in zip(residuals, r) if (a := dict(e.coeffs).get(v))]
            dual = [rational(a) * m for row, m in zip(cell, mu) if (a := dict(row.coeffs).get(v))]
            solver.add(z3.Sum(*grad, z3.RealVal(0)) == z3.Sum(*dual, z3.RealVal(0)))
    else:
        solver = z3.Optimize()
        slack = [z3.Real(f"e{i}") for i in range(len(residuals))]
        solver.add(*[to_z3(row, z) for row in cell], *[e >= ri for e, ri in zip(slack, r)],
                   *[e >= -ri for e, ri in zip(slack, r)])
        solver.minimize(z3.Sum(*slack))
    if timeout is not None:
        solver.set("timeout", max(1, int(timeout * 1000)))
    result = solver.check()
    if result == z3.unsat:
        return None
    if result != z3.sat:
        return "unknown"
    model = solver.model()
    return [from_z3(model.eval(e, model_completion=True)) for e in z]  # type: ignore[misc]
