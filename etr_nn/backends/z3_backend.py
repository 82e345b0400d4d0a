"""Z3's real arithmetic: simplex for linear systems, nlsat for nonlinear ones.

Z3's models are read exactly (rationals, or algebraic numbers through poly()/index());
the caller re-checks every model independently (etr_nn.certify).
"""

from __future__ import annotations

import flint
from etr_nn.z3lib import z3

from etr_nn.backends.base import Answer
from etr_nn.exact import from_z3
from etr_nn.poly import HOLDS, And, Atom, Formula, Or, System


def to_z3(system: System) -> tuple[z3.BoolRef, dict[str, z3.ArithRef]]:
    """The system as a Z3 formula, with the Z3 variable of each name."""
    variables = {name: z3.Real(name) for name in system.names}
    symbols = [variables[name] for name in system.names]
    return _formula(system.formula, symbols), variables


def _rational(value: flint.fmpq) -> z3.ArithRef:
    return z3.RealVal(f"{int(value.p)}/{int(value.q)}")


def _poly(poly: flint.fmpq_mpoly, symbols: list[z3.ArithRef]) -> z3.ArithRef:
    terms = []
    for monomial, coefficient in poly.terms():
        factors = [s for s, e in zip(symbols, monomial) for _ in range(e)]
        if coefficient != 1 or not factors:
            factors.insert(0, _rational(coefficient))
        terms.append(factors[0] if len(factors) == 1 else z3.Product(*factors))
    if not terms:
        return z3.RealVal(0)
    return terms[0] if len(terms) == 1 else z3.Sum(*terms)


def _formula(formula: Formula, symbols: list[z3.ArithRef]) -> z3.BoolRef:
    if isinstance(formula, And):
        return z3.And(*[_formula(f, symbols) for f in formula.args])
    if isinstance(formula, Or):
        return z3.Or(*[_formula(f, symbols) for f in formula.args])
    p = _poly(formula.poly, symbols)
    return HOLDS[formula.rel](p)


def _degree(formula: Formula) -> int:
    if isinstance(formula, Atom):
        return formula.poly.total_degree()
    return max((_degree(f) for f in formula.args), default=0)


class Z3Backend:
    """QF_LRA (exact simplex) when every atom is linear, QF_NRA (nlsat) otherwise."""

    name = "z3"

    def check(self, system: System, timeout: float | None = None) -> Answer:
        formula, variables = to_z3(system)
        logic = "QF_LRA" if _degree(system.formula) <= 1 else "QF_NRA"
        solver = z3.SolverFor(logic)
        if timeout is not None:
            solver.set("timeout", max(1, int(timeout * 1000)))
        solver.add(formula)
        result = solver.check()
        if result == z3.sat:
            model = solver.model()
            point = {name: from_z3(model.eval(v, model_completion=True)) for name, v in variables.items()}
            return Answer("sat", point, f"z3 {logic}")
        if result == z3.unsat:
            return Answer("unsat", reason=f"z3 {logic}")
        return Answer("unknown", reason=f"z3 {logic}: {solver.reason_unknown()}")
