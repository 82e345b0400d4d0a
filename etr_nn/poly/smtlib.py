"""SMT-LIB 2 (QF_NRA) text for a polynomial system, readable by Z3, cvc5 and Yices."""

from __future__ import annotations

from functools import lru_cache
from itertools import compress

import flint

from etr_nn.poly.formula import And, Atom, Formula, System


def to_smt2(system: System, comment: str = "") -> str:
    """`(set-logic QF_NRA)`, one `declare-fun` per variable, one assert, `(check-sat)`."""
    names = system.names
    lines = [f"; {line}" for line in comment.splitlines()]
    lines += ["(set-logic QF_NRA)"]
    lines += [f"(declare-fun {_symbol(name)} () Real)" for name in names]
    conjuncts = system.formula.args if isinstance(system.formula, And) else (system.formula,)
    lines += [f"(assert {formula_text(f, names)})" for f in conjuncts]
    lines += ["(check-sat)", "(get-model)", "(exit)"]
    return "\n".join(lines) + "\n"


def _symbol(name: str) -> str:
    return name if name.replace("_", "").isalnum() and not name[0].isdigit() else f"|{name}|"


def formula_text(formula: Formula, names: tuple[str, ...]) -> str:
    """The formula as an SMT-LIB term over the variables `names`."""
    if isinstance(formula, Atom):
        op = {"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}.get(formula.rel)
        text = _poly(formula.poly, names)
        return f"(not (= {text} 0))" if formula.rel == "!=" else f"({op} {text} 0)"
    op = "and" if isinstance(formula, And) else "or"
    if not formula.args:
        return "true" if op == "and" else "false"
    return f"({op} {' '.join(formula_text(f, names) for f in formula.args)})"


def _rational(value: flint.fmpq) -> str:
    p, q = int(value.p), int(value.q)
    text = str(abs(p)) if q == 1 else f"(/ {abs(p)} {q})"
    return f"(- {text})" if p < 0 else text


@lru_cache(maxsize=16)
def _symbols(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_symbol(name) for name in names)


def _poly(poly: flint.fmpq_mpoly, names: tuple[str, ...]) -> str:
    symbols, terms = _symbols(names), []
    for monomial, coefficient in poly.terms():
        factors = [symbols[v] for v in compress(range(len(monomial)), monomial) for _ in range(monomial[v])]
        if coefficient != 1 or not factors:
            factors.insert(0, _rational(coefficient))
        terms.append(factors[0] if len(factors) == 1 else f"(* {' '.join(factors)})")
    if not terms:
        return "0"
    return terms[0] if len(terms) == 1 else f"(+ {' '.join(terms)})"
