"""Preprocessing before the CAD: substitute out variables fixed by linear equations, and
split disjunctions whose branches contain such equations.

In a conjunction, the equations of degree one are solved together (one reduced row
echelon form over Q: inconsistent, or each pivot variable an affine function of the free
ones) and substituted at once, each atom composed once; then an atom p = 0 with
p = c·v + q, c a nonzero rational and q free of v, fixes v = −q/c. Substituting removes a
CAD variable (the cost of a CAD is doubly exponential in their number).  A disjunction among the conjuncts whose branches
hold equations is split (each branch conjoined with the rest, eliminated again), so that
the ReLU case splits of the encodings become conjunctions (an equation p·q = 0 is split
likewise into p = 0 ∨ q = 0); branches whose atoms turn into false constants are dropped
at once.  When no equation is linear in a variable, the
conjunction's equations are replaced by the reduced row echelon form of their coefficient
matrix over the monomials (highest degree first): the same ideal's linear span, so the
same solutions, and it exposes inconsistent combinations (a nonzero constant) and linear
consequences of nonlinear equations. A conjunction whose bounds on variables force an atom
false through the signs of its monomials is dropped (`refuted_by_signs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import flint

from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.cad.projection import Poly, check_deadline
from etr_nn.exact import Number
from etr_nn.exact.echelon import echelon
from etr_nn.poly import HOLDS, And, Atom, Formula, Or
from etr_nn.poly.formula import evaluate

Truth = bool | Formula



@dataclass(frozen=True)
class Branch:
    """A conjunctive piece: formula (or True) over the remaining variables, and the
    eliminated variables with their values as polynomials in the others (in order)."""

    formula: Formula | Literal[True]
    solved: tuple[tuple[int, Poly], ...]

    def complete(self, point: list[Number]) -> list[Number]:
        """Fill in the eliminated variables of a full-length point, last eliminated first."""
        point = list(point)
        for i, value in reversed(self.solved):
            point[i] = evaluate(value, point)
        return point


def simplify(formula: Formula) -> Truth:
    """Constant atoms evaluated, And/Or flattened and short-circuited."""
    if isinstance(formula, Atom):
        if formula.poly.is_constant():
            p = formula.poly
            return HOLDS[formula.rel](flint.fmpq(0) if p.is_zero() else p.leading_coefficient())
        return formula
    is_and = isinstance(formula, And)
    args: list[Formula] = []
    for f in formula.args:
        s = simplify(f)
        if s is (not is_and):
            return not is_and
        if s is is_and:
            continue
        assert not isinstance(s, bool)  # True and False both returned or skipped above
        args += s.args if type(s) is type(formula) else [s]
    if not args:
        return is_and
    return args[0] if len(args) == 1 else (And if is_and else Or)(tuple(args))


def substitute(formula: Formula, values: dict[int, Poly]) -> Formula:
    """The formula with x_i replaced by values[i] for every i at once (each atom composed once)."""
    ctx = next(iter(values.values())).context()
    images = [values.get(j, g) for j, g in enumerate(ctx.gens())]

    def image(f: Formula) -> Formula:
        if isinstance(f, Atom):
            degrees = f.poly.degrees()
            return Atom(f.poly.compose(*images), f.rel) if any(degrees[i] for i in values) else f
        return type(f)(tuple(image(g) for g in f.args))

    return image(formula)


def _linear_solution(conjuncts: tuple[Formula, ...]) -> dict[int, Poly] | None | Literal[False]:
    """Gaussian elimination on the conjuncts' equations of degree one, all at once (one reduced row echelon
    form over Q): False if they are inconsistent, else each pivot variable's value as an affine function of
    the free ones (so substituting them together is exact), or None without such equations."""
    linear = [a.poly for a in conjuncts if isinstance(a, Atom) and a.rel == "=" and a.poly.total_degree() == 1]
    if not linear:
        return None
    ctx = linear[0].context()
    n = ctx.nvars()
    matrix = flint.fmpq_mat(len(linear), n + 1)
    for r, p in enumerate(linear):
        for exps, c in p.terms():
            matrix[r, next((i for i, e in enumerate(exps) if e), n)] = c
    rows = echelon(matrix)
    if rows is None:
        return False
    gens = ctx.gens()
    return {pivot: -sum((row[j] * gens[j] for j in range(pivot + 1, n) if row[j] != 0), ctx.from_dict({})) - row[n]
            for pivot, row in rows}


def _solvable(atom: Atom) -> tuple[int, Poly] | None:
    """(i, value) if the equation atom fixes x_i linearly with a constant coefficient."""
    if atom.rel != "=":
        return None
    p = atom.poly
    ctx = p.context()
    for i, e in enumerate(p.degrees()):
        if e != 1:
            continue
        terms = [(exps, c) for exps, c in p.terms() if exps[i]]
        if len(terms) == 1 and sum(terms[0][0]) == 1:
            c = terms[0][1]
            return i, -(p - c * ctx.gens()[i]) / c
    return None


def _row_reduce(conjuncts: tuple[Formula, ...]) -> tuple[Formula, ...] | None:
    """The conjuncts with their equations in reduced row echelon form over the monomials,
    or None if that changes nothing."""
    equations = [a.poly for a in conjuncts if isinstance(a, Atom) and a.rel == "="]
    if len(equations) < 2:
        return None
    monomials = sorted({exps for p in equations for exps, _ in p.terms()}, key=lambda e: (sum(e), e), reverse=True)
    column = {e: j for j, e in enumerate(monomials)}
    matrix = flint.fmpq_mat(len(equations), len(monomials))
    for i, p in enumerate(equations):
        for exps, c in p.terms():
            matrix[i, column[exps]] = c
    rref, rank = matrix.rref()
    ctx = equations[0].context()
    rows = [ctx.from_dict({monomials[j]: rref[i, j] for j in range(len(monomials)) if rref[i, j] != 0})
            for i in range(rank)]
    if {str(p) for p in rows} == {str(p) for p in equations}:
        return None
    rest = tuple(a for a in conjuncts if not (isinstance(a, Atom) and a.rel == "="))
    return rest + tuple(Atom(p, "=") for p in rows)


def _split_products(conjuncts: tuple[Formula, ...]) -> tuple[Formula, ...] | None:
    """The conjuncts with p·q = 0 replaced by p = 0 ∨ q = 0 (irreducible factors), or None."""
    out: list[Formula] = []
    changed = False
    for a in conjuncts:
        if isinstance(a, Atom) and a.rel == "=":
            factors = [g for g, _ in a.poly.factor()[1]]
            if len(factors) > 1 or factors and factors[0].degrees() != a.poly.degrees():
                out.append(Or(tuple(Atom(g, "=") for g in factors)))
                changed = True
                continue
        out.append(a)
    return tuple(out) if changed else None


Sign = tuple[int, bool]  # (s, strict): s·q ≥ 0, or s·q > 0 if strict


def _variable_sign(atom: Atom) -> tuple[int, Sign] | None:
    """(i, sign of x_i) if the atom is a bound c·x_i + d rel 0 that puts x_i in (0, ∞), [0, ∞),
    (−∞, 0) or (−∞, 0]."""
    p = atom.poly
    if p.total_degree() != 1 or atom.rel in ("=", "!="):
        return None
    used = [i for i, e in enumerate(p.degrees()) if e]
    if len(used) != 1:
        return None
    terms = dict(p.terms())
    i = used[0]
    c = terms[tuple(int(j == i) for j in range(len(p.degrees())))]
    bound = -terms.get((0,) * len(p.degrees()), flint.fmpq(0)) / c  # x_i rel' bound
    rel = atom.rel if c > 0 else {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[atom.rel]
    if rel in (">", ">="):
        return (i, (1, rel == ">" or bound > 0)) if bound >= 0 else None
    return (i, (-1, rel == "<" or bound < 0)) if bound <= 0 else None


def _polynomial_sign(p: Poly, signs: dict[int, Sign]) -> Sign | None:
    """The sign of p wherever the variables have their known signs, if every monomial c·Πx_i^e_i
    has one and the same: an even power is ≥ 0 (> 0 where x_i ≠ 0), an odd one has x_i's sign;
    a sum of terms ≥ 0 of which one is > 0 is > 0."""
    common: int | None = None
    strict = False
    for exps, c in p.terms():
        s, positive = (1 if c > 0 else -1), True
        for i, e in enumerate(exps):
            if e == 0:
                continue
            known = signs.get(i)
            if e % 2 == 0:
                positive = positive and known is not None and known[1]
            elif known is None:
                return None
            else:
                s, positive = s * known[0], positive and known[1]
        if common is not None and s != common:
            return None
        common, strict = s, strict or positive
    return None if common is None else (common, strict)


_FALSE_WHEN: dict[Sign, tuple[str, ...]] = {(1, True): ("=", "<", "<="), (1, False): ("<",),
                                            (-1, True): ("=", ">", ">="), (-1, False): (">",)}


def refuted_by_signs(conjuncts: tuple[Formula, ...]) -> bool:
    """Whether the conjunction is false by sign reasoning alone: the bounds among its atoms give
    variables signs (`_variable_sign`), and some atom p rel 0 is false wherever p has the sign
    its monomials force (`_polynomial_sign`), e.g. p = 0 for p with positive coefficients in
    positive variables. Sound: every point of the conjunction satisfies the bounds."""
    signs: dict[int, Sign] = {}
    for a in conjuncts:
        found = _variable_sign(a) if isinstance(a, Atom) else None
        if found is None:
            continue
        i, (s, strict) = found
        old = signs.get(i, (s, strict))
        if old[0] == s:
            signs[i] = (s, strict or old[1])
        elif strict or old[1]:
            return True  # x_i > 0 and x_i ≤ 0, or the like (x_i ≥ 0 and x_i ≤ 0 keep the first)
    for a in conjuncts:
        if isinstance(a, Atom):
            sign = _polynomial_sign(a.poly, signs)
            if sign is not None and a.rel in _FALSE_WHEN[sign]:
                return True
    return False


def _has_equation(formula: Formula) -> bool:
    if isinstance(formula, Atom):
        return formula.rel == "="
    return isinstance(formula, And) and any(_has_equation(f) for f in formula.args)


def branches(formula: Formula, deadline: Deadline = NO_LIMIT,
             solved: tuple[tuple[int, Poly], ...] = ()) -> Iterator[Branch]:
    """Conjunctive pieces whose disjunction is equivalent to the formula, each with its
    linear equations eliminated."""
    check_deadline(deadline)
    f = simplify(formula)
    while not isinstance(f, bool):
        check_deadline(deadline)
        conjuncts = f.args if isinstance(f, And) else (f,)
        if refuted_by_signs(conjuncts):
            return
        values = _linear_solution(conjuncts)
        if values is False:
            return
        if values is None:
            found = next((s for a in conjuncts if isinstance(a, Atom) and (s := _solvable(a))), None)
            values = dict([found]) if found else None
        if values is None:
            reduced = _row_reduce(conjuncts) or _split_products(conjuncts)
            if reduced is None:
                break
            f = simplify(And(reduced))
            continue
        solved += tuple(values.items())
        f = simplify(substitute(f, values))
    if f is False:
        return
    if not isinstance(f, bool):
        conjuncts = f.args if isinstance(f, And) else (f,)
        split = next((j for j, a in enumerate(conjuncts)
                      if isinstance(a, Or) and any(_has_equation(b) for b in a.args)), None)
        if split is not None:
            rest = conjuncts[:split] + conjuncts[split + 1:]
            alternatives = conjuncts[split]
            assert isinstance(alternatives, Or)
            for b in alternatives.args:
                yield from branches(And(rest + (b,)), deadline, solved)
            return
    yield Branch(f, solved)
