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
pattern whose exact loss bound reaches the best loss found; in Russian dolls (`dolls`), so that
the loss of the points a partial pattern has not decided yet is bounded too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from etr_nn.progress import Progress
from etr_nn.deadline import Deadline
from etr_nn.z3lib import z3

from etr_nn.exact import from_z3
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import Optimum
from etr_nn.lp import linear, rational, to_z3
from etr_nn.certify import loss
from etr_nn.patterns import Linear, Points, Row, least_squares_problem, lp_network, point_order, sign_choices
from etr_nn.qp import least_squares

GUIDE_SHARE, GUIDE_SECONDS = 0.1, 3.0  # float fits for the first incumbent
Neuron = tuple[int, frozenset[int]]  # (output weight ±1, activation set); (0, ∅) is a dead neuron


def rational_loss(instance: Instance, network: Network) -> Fraction:
    """The exact loss of a network with rational weights (every network of the one-output search is)."""
    value = loss(instance, network)
    if not isinstance(value, Fraction):
        raise ValueError(f"a network with irrational weights has loss {value}")
    return value


def optimize(instance: Instance, deadline: Deadline, shown: bool = False) -> Optimum:
    """Branch and bound on the pattern search, in Russian dolls (`dolls`): the optimum of the last
    point, the last two, …, all points in `point_order`, each a branch and bound whose partial
    patterns are bounded with the optima of the smaller dolls. The last doll's incumbent starts as
    the best of the previous doll's network, the constant network and the exact pattern optima of
    float fits (GUIDE_SHARE of the time, at most GUIDE_SECONDS). When every doll is searched to the
    end, no network has a smaller loss: the incumbent is optimal (and rational)."""
    from etr_nn.optimize.landscape import constant_network
    from etr_nn.search.guide import least_fit

    left = deadline.left()
    guided = least_fit(instance, Deadline.after(GUIDE_SECONDS if left is None else min(GUIDE_SECONDS, GUIDE_SHARE * left)))
    found = dolls(instance, point_order(instance), deadline, guided, shown=shown)
    if found.best is None:
        upper = min([rational_loss(instance, constant_network(instance))] + ([guided[0]] if guided else []))
        return Optimum(instance.name, "unknown", method="branch and bound",
                       rests_on=[f"time limit; the optimum lies in [{found.tails[0]}, {upper}]: at least the exact "
                                 f"optimum of the last {found.done} points in the point order, at most the loss of a "
                                 f"certified network"])
    kind = "KKT point, exact" if instance.loss == "squared" else "linear program, Z3 over Q"
    return Optimum(instance.name, "optimal", found.best[0], found.best[1], "branch and bound",
                   [f"one output (fact 3): branch and bound over {len(sign_choices(instance.shape.hidden, 1))} sign "
                    f"choices in {instance.n} Russian dolls (the optimum on the last s points bounds the loss of the "
                    f"undecided points in the next), {found.explored} partial patterns ({found.pruned} pruned by "
                    f"exact linear infeasibility or an exact loss bound at least the incumbent); each full pattern "
                    f"an exact convex program ({kind}); the optimum and an optimal network are rational"])


@dataclass
class Dolls:
    """What `dolls` found: `tails[t]` a lower bound on the loss over the points order[t:] of every
    network of the shape (t = 0 … n; nonincreasing, tails[n] = 0), exact for the last `done`
    dolls; `best` the optimum of all points with an optimal network once the last doll is done."""

    tails: list[Fraction]
    done: int = 0
    best: tuple[Fraction, Network] | None = None
    explored: int = 0
    pruned: int = 0


def dolls(instance: Instance, order: tuple[int, ...], deadline: Deadline,
          start: tuple[Fraction, Network] | None = None, shown: bool = False) -> Dolls:
    """Russian doll search (one output): for s = 1, …, n, the exact optimum L_s of the points
    order[n−s:] alone, by branch and bound on the pattern search (etr_nn.search.engine, `Incumbent`)
    over those points in that order, with `tails` bounding the undecided points: at depth t of doll
    s the undecided points are order[n−s+t:], a smaller doll, and the restriction of any network to
    them is a network of the shape, so their loss is at least L_{s−t}. Each doll's incumbent starts
    as the best of the constant network, the previous doll's network, a zero-error fit (while
    L_{s−1} = 0 and s is at most the number of unknowns (u, c)) and, in the last doll, `start`.
    L_s ≤ L_{s+1} (a network's loss on more points is no smaller), so before doll s is done the
    bounds of the larger tails are L_{s−1}. Stops early at the deadline."""
    from etr_nn.search.engine import Incumbent, Search
    from etr_nn.optimize.landscape import constant_network

    n = instance.n
    free = instance.shape.hidden * (instance.shape.inputs + 1) + 1  # more points are rarely fitted exactly
    found = Dolls([Fraction(0)] * (n + 1))
    previous: Network | None = None
    with Progress("optimize: Russian dolls", n, shown) as bar:
        for s in range(1, n + 1):
            points = order[n - s:]
            part = replace(instance, points=tuple(instance.points[p] for p in points),
                           labels=tuple(instance.labels[p] for p in points), max_error=Fraction(0))
            candidates = [constant_network(part)] + ([previous] if previous else []) + ([start[1]] if start and s == n else [])
            tasks = sign_choices(instance.shape.hidden, 1)
            if found.tails[n - s + 1] == 0 and s <= free:  # the search with label equations finds such fits fast
                zero = Search(part, tuple(range(s)), deadline=deadline)
                for signs in tasks:
                    outcome = zero.run(signs)
                    if outcome.status == "unknown":
                        return found
                    if outcome.network is not None:
                        candidates.append(outcome.network)
                        break
            losses = [rational_loss(part, net) for net in candidates]
            best = Incumbent(min(losses), candidates[losses.index(min(losses))])
            if best.value > 0:
                search = Search(part, tuple(range(s)), deadline=deadline, incumbent=best, tails=found.tails[n - s:])
                for signs in tasks:
                    outcome = search.run(signs)
                    found.explored += outcome.explored
                    found.pruned += outcome.pruned + outcome.loss_bound + outcome.convexity
                    if outcome.status == "unknown":
                        return found
                    if best.value == 0:
                        break
            found.tails[:n - s + 1] = [best.value] * (n - s + 1)
            found.done, previous = s, best.network
            bar.show(s)
    found.best = (best.value, best.network)
    return found


def pattern_optimum(instance: Instance, pattern: tuple[Neuron, ...],
                    timeout: float | None) -> tuple[Fraction, Network] | None | Literal["unknown"]:
    """(minimum loss, network) on the pattern's closed cell; None if the cell is empty. In the
    pattern core's unknowns (etr_nn.patterns, m = 1): u_j = s_j·v_j, with a dead neuron
    taken as s_j = 1 inactive everywhere (u_j·x̃ ≤ 0 on every point, so it adds nothing).
    Squared loss: a float active set confirmed by an exact KKT point (etr_nn.qp) when it can be,
    else the whole KKT system with its complementarity disjunctions (Z3 over Q)."""
    points = Points.of(instance)
    signs = tuple((s or 1,) for s, _ in pattern)
    prefixes = tuple(tuple(int(i in active) for i in range(instance.n)) for _, active in pattern)
    cell, residuals, layout = least_squares_problem(points, signs, tuple(range(instance.n)), prefixes)
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
