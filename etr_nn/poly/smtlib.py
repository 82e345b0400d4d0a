"""SMT-LIB 2 (QF_NRA) text for a polynomial system, readable by Z3, cvc5 and Yices; and the
way back for the same subset of SMT-LIB (`from_smt2`), read by a tokenizer of our own."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Union

import flint

from etr_nn.errors import InputError
from etr_nn.limits import MAX_DIGITS, MAX_INPUT_BYTES, MAX_NESTING
from etr_nn.poly.formula import NEGATION, And, Atom, Formula, Or, Relation, System


def to_smt2(system: System, comment: str = "") -> str:
    """`(set-logic QF_NRA)`, one `declare-fun` per variable, one assert, `(check-sat)`."""
    names = system.names
    lines = [f"; {line}" for line in comment.splitlines()]
    lines += ["(set-logic QF_NRA)"]
    lines += [f"(declare-fun {_symbol(name)} () Real)" for name in names]
    conjuncts = system.formula.args if isinstance(system.formula, And) else (system.formula,)
    lines += [f"(assert {_formula(f, names)})" for f in conjuncts]
    lines += ["(check-sat)", "(get-model)", "(exit)"]
    return "\n".join(lines) + "\n"


def _symbol(name: str) -> str:
    return name if name.replace("_", "").isalnum() and not name[0].isdigit() else f"|{name}|"


def _formula(formula: Formula, names: tuple[str, ...]) -> str:
    if isinstance(formula, Atom):
        op = {"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}.get(formula.rel)
        text = _poly(formula.poly, names)
        return f"(not (= {text} 0))" if formula.rel == "!=" else f"({op} {text} 0)"
    op = "and" if isinstance(formula, And) else "or"
    if not formula.args:
        return "true" if op == "and" else "false"
    return f"({op} {' '.join(_formula(f, names) for f in formula.args)})"


def _rational(value: flint.fmpq) -> str:
    p, q = int(value.p), int(value.q)
    text = str(abs(p)) if q == 1 else f"(/ {abs(p)} {q})"
    return f"(- {text})" if p < 0 else text


def _poly(poly: flint.fmpq_mpoly, names: tuple[str, ...]) -> str:
    terms = []
    for monomial, coefficient in poly.terms():
        factors = [_symbol(name) for name, e in zip(names, monomial) for _ in range(e)]
        if coefficient != 1 or not factors:
            factors.insert(0, _rational(coefficient))
        terms.append(factors[0] if len(factors) == 1 else f"(* {' '.join(factors)})")
    if not terms:
        return "0"
    return terms[0] if len(terms) == 1 else f"(+ {' '.join(terms)})"


SExpr = Union[str, list["SExpr"]]
_TOKEN = re.compile(r"\s+|;[^\n]*|(?P<tok>\(|\)|\|[^|\\]*\||[^\s()|;]+)")
_COMPARE: dict[str, Relation] = {"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_IGNORED = ("set-logic", "set-option", "set-info", "check-sat", "get-model", "exit")


def from_smt2(text: str) -> System:
    """The system of an SMT-LIB 2 script over real variables, exactly: the subset `to_smt2`
    writes (declare-fun/declare-const of Real variables, asserts of and/or/not over =, <, <=,
    >, >= of polynomials built with +, -, *, / by a nonzero constant, integer and decimal
    numerals). Variables are in declaration order. InputError for anything else, or past the
    bounds of etr_nn.limits (size, nesting, digits of a numeral)."""
    if len(text) > MAX_INPUT_BYTES:
        raise InputError(f"SMT-LIB text longer than {MAX_INPUT_BYTES} characters")
    names: list[str] = []
    asserted: list[SExpr] = []
    for command in _sexprs(text):
        if not isinstance(command, list) or not command or not isinstance(command[0], str):
            raise InputError(f"not an SMT-LIB command: {_show(command)}")
        head = command[0]
        if head in ("declare-fun", "declare-const"):
            sort = command[3] if head == "declare-fun" and len(command) == 4 and command[2] == [] else (
                command[2] if head == "declare-const" and len(command) == 3 else None)
            if sort != "Real" or not isinstance(command[1], str):
                raise InputError(f"only real variables are read: {_show(command)}")
            name = _name(command[1])
            if name in names:
                raise InputError(f"variable {name} declared twice")
            names.append(name)
        elif head == "assert" and len(command) == 2:
            asserted.append(command[1])
        elif head not in _IGNORED:
            raise InputError(f"unsupported SMT-LIB command: {_show(command)}")
    ctx = flint.fmpq_mpoly_ctx.get(tuple(names), "lex")
    reader = _Reader(ctx, {name: g for name, g in zip(names, ctx.gens())})
    conjuncts = tuple(reader.formula(f) for f in asserted)
    return System(ctx, conjuncts[0] if len(conjuncts) == 1 else And(conjuncts))


def _sexprs(text: str) -> list[SExpr]:
    """The top-level S-expressions of the text (iterative; nesting bounded by MAX_NESTING)."""
    stack: list[list[SExpr]] = [[]]
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InputError(f"SMT-LIB: unreadable text at character {position}")
        position = match.end()
        token = match.group("tok")
        if token is None:
            continue
        if token == "(":
            if len(stack) > MAX_NESTING:
                raise InputError(f"SMT-LIB: nesting deeper than {MAX_NESTING}")
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise InputError(f"SMT-LIB: unbalanced ')' at character {position}")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise InputError("SMT-LIB: unbalanced '(' at the end of the text")
    return stack[0]


def _name(symbol: str) -> str:
    return symbol[1:-1] if symbol.startswith("|") else symbol


def _show(expr: SExpr) -> str:
    text = expr if isinstance(expr, str) else "(" + " ".join(_show(e) for e in expr) + ")"
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    def __init__(self, ctx: flint.fmpq_mpoly_ctx, variables: dict[str, flint.fmpq_mpoly]):
        self.ctx, self.variables = ctx, variables

    def formula(self, expr: SExpr) -> Formula:
        if expr in ("true", "false"):
            return And(()) if expr == "true" else Or(())
        if not isinstance(expr, list) or not expr or not isinstance(expr[0], str):
            raise InputError(f"SMT-LIB: not a formula: {_show(expr)}")
        head, args = expr[0], expr[1:]
        if head in ("and", "or"):
            parts = tuple(self.formula(a) for a in args)
            return And(parts) if head == "and" else Or(parts)
        if head == "not" and len(args) == 1:
            return self._negate(self.formula(args[0]))
        if head in _COMPARE and len(args) == 2:
            return Atom(self.term(args[0]) - self.term(args[1]), _COMPARE[head])
        raise InputError(f"SMT-LIB: unsupported formula: {_show(expr)}")

    def _negate(self, formula: Formula) -> Formula:
        if isinstance(formula, Atom):
            return Atom(formula.poly, NEGATION[formula.rel])
        parts = tuple(self._negate(f) for f in formula.args)
        return Or(parts) if isinstance(formula, And) else And(parts)

    def term(self, expr: SExpr) -> flint.fmpq_mpoly:
        if isinstance(expr, str):
            if expr in self.variables or _name(expr) in self.variables:
                return self.variables[_name(expr)]
            value = _numeral(expr)
            return self.ctx.constant(flint.fmpq(value.numerator, value.denominator))
        if not expr or not isinstance(expr[0], str):
            raise InputError(f"SMT-LIB: not a term: {_show(expr)}")
        head, args = expr[0], [self.term(a) for a in expr[1:]]
        if head == "+" and args:
            return sum(args[1:], args[0])
        if head == "-" and args:
            return -args[0] if len(args) == 1 else args[0] - sum(args[2:], args[1])
        if head == "*" and args:
            product = args[0]
            for a in args[1:]:
                product *= a
            return product
        if head == "/" and len(args) == 2 and args[1].is_constant() and args[1] != 0:
            return args[0] / args[1].leading_coefficient()  # type: ignore[no-any-return]
        raise InputError(f"SMT-LIB: unsupported term: {_show(expr)}")


def _numeral(token: str) -> Fraction:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", token) or len(token) > MAX_DIGITS:
        raise InputError(f"SMT-LIB: not a numeral or a declared variable: {_show(token)}")
    return Fraction(token)
