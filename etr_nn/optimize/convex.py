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

import time
from fractions import Fraction
from itertools import combinations_with_replacement

from etr_nn.z3lib import z3

from etr_nn.exact import from_z3
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import Optimum
from etr_nn.search.dichotomies import dichotomies, lifted
from etr_nn.search.lp import rational

Neuron = tuple[int, frozenset[int]]  # (output weight ±1, activation set); (0, ∅) is a dead neuron


def patterns(instance: Instance) -> list[tuple[Neuron, ...]]:
    """Multisets of neurons (neurons are interchangeable), dead ones included."""
    neurons: list[Neuron] = [(0, frozenset())] + [(s, S) for S in dichotomies(instance.points) if S for s in (1, -1)]
    return list(combinations_with_replacement(neurons, instance.shape.hidden))


def optimize(instance: Instance, deadline: float | None) -> Optimum:
    best: tuple[Fraction, Network] | None = None
    todo = patterns(instance)
    for pattern in todo:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return Optimum(instance.name, "unknown", method="convex", rests_on=["time limit"])
        found = pattern_optimum(instance, pattern, left)
        if found == "unknown":
            return Optimum(instance.name, "unknown", method="convex", rests_on=["z3 gave no answer (time limit)"])
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    assert best is not None  # the all-dead pattern is always feasible
    kind = "KKT system" if instance.loss == "squared" else "linear program"
    return Optimum(instance.name, "optimal", best[0], best[1], "convex",
                   [f"one output (fact 3): {len(todo)} activation pattern(s), each an exact convex program "
                    f"({kind} solved by Z3 over Q); the optimum and an optimal network are rational"])


def pattern_optimum(instance: Instance, pattern: tuple[Neuron, ...],
                    timeout: float | None) -> tuple[Fraction, Network] | None | str:
    """(minimum loss, network) on the pattern's closed cell; None if the cell is empty."""
    d = instance.shape.inputs
    xs = lifted(instance.points)
    v = [[z3.Real(f"v{j}_{t}") for t in range(d + 1)] for j in range(len(pattern))]
    c = z3.Real("c")
    cell = []  # g ≥ 0
    for vj, (_, active) in zip(v, pattern):
        for i, x in enumerate(xs):
            g = z3.Sum(*[rational(a) * e for a, e in zip(x, vj) if a])
            cell.append(g if i in active else -g)
    values = [z3.Sum(c, *[s * z3.Sum(*[rational(a) * e for a, e in zip(x, vj) if a])
                          for vj, (s, active) in zip(v, pattern) if i in active and s])
              for i, x in enumerate(xs)]
    residuals = [value - rational(y[0]) for value, y in zip(values, instance.labels)]
    unknowns = [e for vj in v for e in vj] + [c]
    if instance.loss == "squared":
        solver = z3.SolverFor("QF_LRA")
        mu = [z3.Real(f"mu{l}") for l in range(len(cell))]
        solver.add(*[g >= 0 for g in cell], *[m >= 0 for m in mu], *[z3.Or(m == 0, g == 0) for m, g in zip(mu, cell)])
        # stationarity: ∇ Σ r_i² = Σ_l μ_l ∇g_l, coefficient by coefficient (all linear)
        for u in unknowns:
            grad = z3.Sum(*[2 * _coefficient(r, u) * r for r in residuals])
            solver.add(grad == z3.Sum(*[_coefficient(g, u) * m for g, m in zip(cell, mu)]))
    else:
        solver = z3.Optimize()
        slack = [z3.Real(f"e{i}") for i in range(len(residuals))]
        solver.add(*[g >= 0 for g in cell], *[e >= r for e, r in zip(slack, residuals)], *[e >= -r for e, r in zip(slack, residuals)])
        solver.minimize(z3.Sum(*slack))
    if timeout is not None:
        solver.set("timeout", max(1, int(timeout * 1000)))
    result = solver.check()
    if result == z3.unsat:
        return None
    if result != z3.sat:
        return "unknown"
    model = solver.model()
    val = lambda e: from_z3(model.eval(e, model_completion=True))  # noqa: E731
    k = instance.shape.hidden
    network = Network.build([[val(e) for e in vj[:d]] for vj in v], [val(vj[d]) for vj in v],
                            [[Fraction(s) for s, _ in pattern]], [val(c)])
    assert network.shape.hidden == k
    total = sum((val(r) ** 2 if instance.loss == "squared" else abs(val(r)) for r in residuals), Fraction(0))
    return total, network  # type: ignore[return-value]


def _coefficient(expr: z3.ArithRef, u: z3.ArithRef) -> z3.ArithRef:
    """∂expr/∂u of a linear expression, as a Z3 rational (substitution u ↦ 1 minus u ↦ 0)."""
    return z3.simplify(z3.substitute(expr, (u, z3.RealVal(1))) - z3.substitute(expr, (u, z3.RealVal(0))))
