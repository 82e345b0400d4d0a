"""Solver-neutral polynomial formulas over the reals, and their SMT-LIB form."""

from etr_nn.poly.formula import HOLDS, NEGATION, RELATIONS, And, Atom, Formula, Or, Relation, System, atoms, evaluate, negation, rebase
from etr_nn.poly.smtlib import to_smt2

__all__ = ["HOLDS", "NEGATION", "RELATIONS", "And", "Atom", "Formula", "Or", "Relation", "System", "atoms", "evaluate", "negation", "rebase",
           "to_smt2"]
