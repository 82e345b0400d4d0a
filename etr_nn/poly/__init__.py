"""Solver-neutral polynomial formulas over the reals, and their SMT-LIB form."""

from etr_nn.poly.formula import And, Atom, Formula, Or, Relation, System, evaluate
from etr_nn.poly.smtlib import to_smt2

__all__ = ["And", "Atom", "Formula", "Or", "Relation", "System", "evaluate", "to_smt2"]
