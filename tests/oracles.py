"""Independent deciders the tests compare the library against (they share none of its pruning)."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations_with_replacement

from etr_nn.instance import Instance
from etr_nn.optimize import convex
from etr_nn.patterns import Points, least_squares_problem
from etr_nn.search.dichotomies import dichotomies


def enumerated_optimum(instance: Instance) -> Fraction:
    """The one-output optimum by brute force, sharing nothing with the branch and bound but the
    cell and residuals: every multiset of (sign, dichotomy) neurons, each pattern's optimum by Z3
    alone (the KKT system with its complementarity disjunctions, or the LP; no float guess)."""
    neurons = [(1, frozenset[int]())] + [(s, S) for S in dichotomies(instance.points) if S for s in (1, -1)]
    best = None
    for pattern in combinations_with_replacement(neurons, instance.shape.hidden):
        prefixes = tuple(tuple(int(i in S) for i in range(instance.n)) for _, S in pattern)
        cell, residuals, layout = least_squares_problem(Points.of(instance), tuple((s,) for s, _ in pattern),
                                                        tuple(range(instance.n)), prefixes)
        z = convex._solve(instance.loss, cell, residuals, layout.size, 60)
        assert z != "unknown"
        if z is not None:
            value = sum((r.at(z) ** 2 if instance.loss == "squared" else abs(r.at(z)) for r in residuals), Fraction(0))
            best = value if best is None else min(best, value)
    assert best is not None
    return best
