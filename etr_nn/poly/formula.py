"""Polynomial formulas: atoms p ⋈ 0 (p ∈ Q[x_1..x_N]) under And / Or.

Polynomials are python-flint `fmpq_mpoly`s over one context per system, so every
backend (Z3, the CAD, SMT-LIB text) reads the same exact object.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Mapping, Union

import flint

from etr_nn.exact import Number

Relation = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Atom:
    """poly ⋈ 0."""

    poly: flint.fmpq_mpoly
    rel: Relation


@dataclass(frozen=True)
class And:
    args: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Formula, ...]


Formula = Union[Atom, And, Or]


@dataclass(frozen=True)
class System:
    """A formula over the variables of `ctx` (names from `ctx.names()`)."""

    ctx: flint.fmpq_mpoly_ctx
    formula: Formula

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.ctx.names())

    def holds(self, point: Mapping[str, Number]) -> bool:
        """Exact truth of the formula at a point (rational or algebraic coordinates)."""
        values = [point[name] for name in self.names]
        return _holds(self.formula, values)


def evaluate(poly: flint.fmpq_mpoly, values: list[Number]) -> Number:
    """p(values), exactly: Σ coefficient · Π value^exponent."""
    total: Number = Fraction(0)
    for monomial, coefficient in poly.terms():
        term: Number = Fraction(int(coefficient.p), int(coefficient.q))
        for value, exponent in zip(values, monomial):
            if exponent:
                term = term * value ** int(exponent)
        total = total + term
    return total


def _holds(formula: Formula, values: list[Number]) -> bool:
    if isinstance(formula, And):
        return all(_holds(f, values) for f in formula.args)
    if isinstance(formula, Or):
        return any(_holds(f, values) for f in formula.args)
    value = evaluate(formula.poly, values)
    return {"=": value == 0, "!=": value != 0, "<": value < 0, "<=": value <= 0,
            ">": value > 0, ">=": value >= 0}[formula.rel]
