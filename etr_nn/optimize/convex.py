"""Exact optimum with one output: a convex program per activation pattern (fact 3).

With one output, positive homogeneity lets every hidden neuron have output weight
s_j ∈ {−1, 1} (or be dead), so f(x_i) = Σ_j s_j·[i ∈ S_j]·x̃_i·v_j + c on the closed cell
of the dichotomies S_j (x̃_i·v_j ≥ 0 on S_j, ≤ 0 off it): linear in (v, c). Per pattern
the loss is a convex quadratic (squared) or a linear program after the usual slack
variables (absolute) over a polyhedron, bounded below by 0, so its minimum is attained
(Frank–Wolfe) at a rational point:

- squared: the KKT conditions (stationarity, feasibility, multipliers ≥ 0,
  complementarity) are necessary (linear constraints) and sufficient (convexity); as a
  linear system with disjunctions Z3 solves them exactly in rationals;
- absolute: Z3's exact simplex (Optimize) over Q.

The optimum is the least pattern optimum, and the optimal network is rational: that is
fact 3, proved for the instance at hand by exhibiting it.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations_with_replacement
from typing import Literal

from etr_nn.progress import Progress
from etr_nn.deadline import Deadline
from etr_nn.z3lib import z3

from etr_nn.exact import from_z3
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import Optimum
from etr_nn.search.dichotomies import dichotomies
from etr_nn.lp import linear, rational, to_z3
from etr_nn.patterns import Layout, Points, lp_network, output_value, sign_rows

Neuron = tuple[int, frozenset[int]]  # (output weight ±1, activation set); (0, ∅) is a dead neuron


def patterns(instance: Instance) -> list[tuple[Neuron, ...]]:
    """Multisets of neurons (neurons are interchangeable), dead ones included."""
    neurons: list[Neuron] = [(0, frozenset())] + [(s, S) for S in dichotomies(instance.points) if S for s in (1, -1)]
    return list(combinations_with_replacement(neurons, instance.shape.hidden))


def optimize(instance: Instance, deadline: Deadline, shown: bool = False) -> Optimum:
    """The least of the patterns' exact convex optima (module docstring); a bar over the patterns
    when `shown`."""
    todo = patterns(instance)
    with Progress("optimize: activation patterns", len(todo), shown) as bar:
        return _least(instance, todo, deadline, bar)


def _least(instance: Instance, todo: list[tuple[Neuron, ...]], deadline: Deadline, bar: Progress) -> Optimum:
    best: tuple[Fraction, Network] | None = None
    for done, pattern in enumerate(todo, start=1):
        if deadline.passed():
            return Optimum(instance.name, "unknown", method="convex", rests_on=["time limit"])
        found = pattern_optimum(instance, pattern, deadline.left())
        if found == "unknown":
            return Optimum(instance.name, "unknown", method="convex", rests_on=["z3 gave no answer (time limit)"])
        if found is not None and (best is None or found[0] < best[0]):
            best = found
        bar.show(done)
    assert best is not None  # the all-dead pattern is always feasible
    kind = "KKT system" if instance.loss == "squared" else "linear program"
    return Optimum(instance.name, "optimal", best[0], best[1], "convex",
                   [f"one output (fact 3): {len(todo)} activation pattern(s), each an exact convex program "
                    f"({kind} solved by Z3 over Q); the optimum and an optimal network are rational"])


def pattern_optimum(instance: Instance, pattern: tuple[Neuron, ...],
                    timeout: float | None) -> tuple[Fraction, Network] | None | Literal["unknown"]:
    """(minimum loss, network) on the pattern's closed cell; None if the cell is empty. In the
    pattern core's unknowns (etr_nn.patterns, m = 1): u_j = s_j·v_j, with a dead neuron
    taken as s_j = 1 inactive everywhere (u_j·x̃ ≤ 0 on every point, so it adds nothing)."""
    points, layout = Points.of(instance), Layout(instance.shape.inputs, instance.shape.hidden, 1)
    signs = tuple((s or 1,) for s, _ in pattern)
    bits = [tuple(int(i in active) for _, active in pattern) for i in range(instance.n)]
    cell = [row for i in range(instance.n) for row in sign_rows(points, layout, signs, i, bits[i], (0,))]
    residuals = [output_value(points, layout, i, bits[i], 0) - y[0] for i, y in enumerate(instance.labels)]
    z = [z3.Real(f"z{v}") for v in range(layout.size)]
    r = [linear(e.coeffs, z, e.const) for e in residuals]
    if instance.loss == "squared":
        solver = z3.SolverFor("QF_LRA")
        mu = [z3.Real(f"mu{i}") for i in range(len(cell))]
        g = [to_z3(row, z) for row in cell]  # a_l·z ≥ 0
        solver.add(*g, *[m >= 0 for m in mu])
        solver.add(*[z3.Or(m == 0, linear(row.coeffs, z) == 0) for m, row in zip(mu, cell)])
        # stationarity: ∇ Σ r_i² = Σ_l μ_l·a_l, coordinate by coordinate (linear)
        for v in range(layout.size):
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
    values: list[Fraction] = [from_z3(model.eval(e, model_completion=True)) for e in z]  # type: ignore[misc]
    network = lp_network(values, signs, layout)
    assert network is not None  # one output: always rank one
    total = sum((e.at(values) ** 2 if instance.loss == "squared" else abs(e.at(values)) for e in residuals),
                Fraction(0))
    return total, network
