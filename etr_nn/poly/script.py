"""SMT-LIB 2 scripts in real arithmetic (QF_NRA, QF_LRA) read into `System`s, one per check-sat.

Supported: declare-fun / declare-const of sort Real or Bool, define-fun without arguments,
assert, check-sat, check-sat-assuming, get-model (get-value and get-assignment print the model too),
push / pop (declarations and assertions are scoped by them), reset, reset-assertions,
set-logic, set-info, set-option, get-info, exit; terms with let, ite, `!` annotations (:named),
and / or / not / => / xor, = / distinct / < / <= / > / >=, + / - / * / `/`, integer and
decimal literals. Everything else (quantifiers, Int, arrays, transcendental functions, ...) is
an InputError naming the construct and its line.

The translation is exact and equivalence-preserving over the reals:
- a Bool variable b becomes a real variable with the atom b > 0 for "b is true";
- a real `(ite c s t)` becomes a fresh variable v defined by (c ∧ v = s) ∨ (¬c ∧ v = t),
  conjoined to the assertion; v is a function of the other variables, so the definition
  holds whatever the polarity of the ite's occurrence;
- `(/ s t)` with t not a nonzero constant becomes a fresh variable q with t = 0 ∨ q·t = s, and
  for every earlier such q' = (/ s' t') in scope the congruence t ≠ 0 ∨ t' ≠ 0 ∨ s ≠ s' ∨ q = q'.
  In SMT-LIB, `/` is total and (/ s 0) is the value of one unspecified function at s (Z3 and
  cvc5 read it so), which a model may choose: the script is satisfiable iff some point and some
  such function satisfy it, iff some point satisfies it with the quotients as free variables
  under these constraints (Ackermann's reduction of the function to its applications);
- a Bool `(ite c p q)` is (c ∧ p) ∨ (¬c ∧ q), p ⇔ q is (p ∧ q) ∨ (¬p ∧ ¬q), and ¬ is pushed
  to the atoms (`negation`).
All variables of the script share one flint context (names that are not plain identifiers
get internal names; `Check.shown` maps them back).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NoReturn, Union

import flint

from etr_nn.errors import InputError
from etr_nn.exact import parse_rational
from etr_nn.limits import MAX_DIGITS, MAX_EXPONENT, MAX_TERMS
from etr_nn.poly.formula import HOLDS, And, Atom, Formula, Or, Relation, System, negation
from etr_nn.poly.sexpr import Atom as SAtom
from etr_nn.poly.sexpr import List, SExpr, ReadError, read

Poly = flint.fmpq_mpoly
Truth = Union[Formula, bool]
Value = Union[Poly, Truth]
Sort = str  # "Real" or "Bool"

# Logics whose scripts may stay within real arithmetic; what a script uses is checked term by term.
LOGICS = frozenset({"QF_NRA", "QF_LRA", "QF_RDL", "QF_UF", "QF_UFNRA", "QF_UFLRA", "QF_NRAT", "NRA", "LRA", "UFNRA",
                    "ALL", "QF_ALL"})
_IGNORED = frozenset({"set-info", "set-option", "get-info"})
_QUANTIFIERS = frozenset({"forall", "exists"})
_COMPARE: dict[str, Relation] = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
_KNOWN_UNSUPPORTED = {
    "div": "integer division", "mod": "integer modulus", "abs": "abs", "to_int": "to_int (Int)",
    "to_real": "to_real (Int)", "is_int": "is_int (Int)", "exp": "a transcendental function", "sin": "a transcendental function",
    "cos": "a transcendental function", "tan": "a transcendental function", "log": "a transcendental function",
    "arcsin": "a transcendental function", "arccos": "a transcendental function", "arctan": "a transcendental function",
    "sqrt": "sqrt", "^": "powers", "select": "arrays", "store": "arrays", "root-obj": "root-obj",
}


@dataclass(frozen=True)
class Check:
    """One check-sat: the conjunction of the assertions on the stack then, as a System over all
    the script's variables; `shown` are the declared names in scope (name as written, variable
    of the System, sort), in order of declaration; `model`: a get-model follows it."""

    system: System
    shown: tuple[tuple[str, str, Sort], ...]
    line: int
    model: bool = False


@dataclass
class _Frame:
    assertions: list[Formula] = field(default_factory=list)
    declared: dict[str, tuple[str, Sort]] = field(default_factory=dict)  # name → (variable, sort)
    defined: dict[str, Value] = field(default_factory=dict)
    quotients: list[tuple[Poly, Poly, Poly]] = field(default_factory=list)  # (s, t, q) for q = (/ s t)


def _identifier(name: str) -> bool:
    return name.isascii() and name.replace("_", "").isalnum() and not name[0].isdigit()


def _walk(e: SExpr) -> Iterator[SExpr]:
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, List):
            stack.extend(x.items)


class _Reader:
    """Translates commands in order; the context is fixed by a first pass over the script: every
    declared name, one fresh variable per `ite` and one per divisor of a `/` (a term is
    translated once, so that bounds the real ites and the quotients)."""

    def __init__(self, commands: list[SExpr], source: str):
        self.source = source
        declared: list[str] = []
        ites = divisors = 0
        for command in commands:
            items = command.items if isinstance(command, List) else ()
            if len(items) >= 2 and isinstance(items[0], SAtom) and items[0].text in ("declare-fun", "declare-const") \
                    and isinstance(items[1], SAtom):
                declared.append(items[1].text)
            for x in _walk(command):
                if isinstance(x, SAtom) and x.kind == "atom" and x.text == "ite":
                    ites += 1
                elif isinstance(x, List) and x.items and isinstance(x.items[0], SAtom) and x.items[0].text == "/":
                    divisors += sum(not _nonzero_literal(d) for d in x.items[2:])
        taken = set(declared)
        self.variable: dict[str, str] = {}
        for name in dict.fromkeys(declared):
            self.variable[name] = name if _identifier(name) else self._fresh(f"v{len(self.variable)}", taken)
        self.fresh = [self._fresh(f"ite{k}", taken) for k in range(ites)]
        self.fresh_quotients = [self._fresh(f"div{k}", taken) for k in range(divisors)]
        names = tuple(self.variable.values()) + tuple(self.fresh) + tuple(self.fresh_quotients)
        self.ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
        self.gen = dict(zip(names, self.ctx.gens()))
        self.frames = [_Frame()]
        self.pending: list[Formula] = []  # definitions of the fresh variables of the term being read
        self.checks: list[Check] = []

    @staticmethod
    def _fresh(stem: str, taken: set[str]) -> str:
        name = f"_{stem}"
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    # --- errors -------------------------------------------------------------------------

    def fail(self, e: SExpr, message: str) -> NoReturn:
        raise InputError(f"{self.source}: line {e.line}: {message}")

    def unsupported(self, e: SExpr, what: str) -> NoReturn:
        self.fail(e, f"{what} is not supported (real arithmetic only: QF_NRA / QF_LRA)")

    # --- commands -----------------------------------------------------------------------

    def command(self, c: SExpr) -> bool:
        """Read one command; False at (exit)."""
        if not isinstance(c, List) or not c.items or not isinstance(c.items[0], SAtom):
            self.fail(c, f"expected a command such as (assert ...), found {_short(c)}")
        head, args = c.items[0].text, c.items[1:]
        if head in _IGNORED:
            return True
        if head == "exit":
            return False
        if head == "set-logic":
            logic = args[0].text if len(args) == 1 and isinstance(args[0], SAtom) else ""
            if logic not in LOGICS:
                self.fail(c, f"logic {logic or _short(c)} is not supported (supported: {', '.join(sorted(LOGICS))})")
        elif head == "declare-const":
            if len(args) != 2:
                self.fail(c, "declare-const takes a name and a sort")
            self.declare(c, args[0], args[1])
        elif head == "declare-fun":
            if len(args) != 3 or not isinstance(args[1], List):
                self.fail(c, "declare-fun takes a name, a list of argument sorts and a sort")
            if args[1].items:
                self.unsupported(c, f"declare-fun with arguments (uninterpreted function {_short(args[0])})")
            self.declare(c, args[0], args[2])
        elif head == "define-fun":
            if len(args) != 4 or not isinstance(args[1], List):
                self.fail(c, "define-fun takes a name, a list of arguments, a sort and a body")
            if args[1].items:
                self.unsupported(c, f"define-fun with arguments ({_short(args[0])})")
            name, sort = self.name(args[0]), self.sort(args[2])
            value = self.typed(args[3], {}, sort)
            self.frames[-1].assertions += self.pending
            self.pending = []
            self.frames[-1].defined[name] = value
        elif head == "assert":
            if len(args) != 1:
                self.fail(c, "assert takes one term")
            value = self.truth(args[0], {})
            self.frames[-1].assertions.append(_conjunction([value, *self.pending]))
            self.pending = []
        elif head == "check-sat":
            if args:
                self.fail(c, "check-sat takes no arguments")
            self.check_sat(c, [])
        elif head == "check-sat-assuming":
            if len(args) != 1 or not isinstance(args[0], List):
                self.fail(c, "check-sat-assuming takes a list of Bool terms")
            quotients = len(self.frames[-1].quotients)
            assumptions = [self.truth(a, {}) for a in args[0].items] + self.pending
            self.pending = []
            del self.frames[-1].quotients[quotients:]  # the assumptions' quotients end with this check
            self.check_sat(c, [_conjunction(assumptions)])
        elif head in ("get-model", "get-value", "get-assignment"):
            if self.checks:
                last = self.checks[-1]
                self.checks[-1] = Check(last.system, last.shown, last.line, True)
        elif head == "reset":
            self.frames = [_Frame()]
        elif head == "reset-assertions":
            self.frames = [_Frame(declared=self.frames[0].declared, defined=self.frames[0].defined)]
        elif head in ("push", "pop"):
            n = self.count(c, args)
            if head == "push":
                self.frames += [_Frame() for _ in range(n)]
            elif n > len(self.frames) - 1:
                self.fail(c, f"pop {n} with only {len(self.frames) - 1} push(es) open")
            else:
                del self.frames[len(self.frames) - n:]
        else:
            self.unsupported(c, f"the command {head}")
        return True

    def check_sat(self, c: SExpr, assumptions: list[Formula]) -> None:
        formula = And(tuple(a for f in self.frames for a in f.assertions) + tuple(assumptions))
        self.checks.append(Check(System(self.ctx, formula),
                                 tuple((n, v, s) for f in self.frames for n, (v, s) in f.declared.items()), c.line))

    def count(self, c: SExpr, args: tuple[SExpr, ...]) -> int:
        if not args:
            return 1
        if len(args) != 1 or not isinstance(args[0], SAtom) or not args[0].text.isdigit() or len(args[0].text) > 6:
            self.fail(c, "push / pop take one numeral")
        return int(args[0].text)

    def name(self, e: SExpr) -> str:
        if not isinstance(e, SAtom) or e.kind == "string" or e.text[0].isdigit() or e.text.startswith(":"):
            self.fail(e, f"expected a symbol, found {_short(e)}")
        if any(e.text in f.declared or e.text in f.defined for f in self.frames):
            self.fail(e, f"{e.text} is already declared")
        return e.text

    def sort(self, e: SExpr) -> Sort:
        if isinstance(e, SAtom) and e.text in ("Real", "Bool"):
            return e.text
        self.unsupported(e, f"the sort {_short(e)}")

    def declare(self, c: SExpr, name: SExpr, sort: SExpr) -> None:
        n, s = self.name(name), self.sort(sort)
        self.frames[-1].declared[n] = (self.variable[n], s)

    # --- terms --------------------------------------------------------------------------

    def typed(self, e: SExpr, env: dict[str, Value], sort: Sort) -> Value:
        return self.real(e, env) if sort == "Real" else self.truth(e, env)

    def real(self, e: SExpr, env: dict[str, Value]) -> Poly:
        value = self.term(e, env)
        if not isinstance(value, flint.fmpq_mpoly):
            self.fail(e, f"expected a Real term, found a Bool term {_short(e)}")
        return value

    def truth(self, e: SExpr, env: dict[str, Value]) -> Truth:
        value = self.term(e, env)
        if isinstance(value, flint.fmpq_mpoly):
            self.fail(e, f"expected a Bool term, found a Real term {_short(e)}")
        return value

    def term(self, e: SExpr, env: dict[str, Value]) -> Value:
        if isinstance(e, SAtom):
            return self.atom(e, env)
        if not e.items:
            self.fail(e, "empty term ()")
        head = e.items[0]
        if isinstance(head, List):
            if head.items and isinstance(head.items[0], SAtom) and head.items[0].text == "_":
                self.unsupported(e, f"the indexed symbol {_short(head)}")
            self.fail(e, f"expected a function symbol, found {_short(head)}")
        op, args = head.text, e.items[1:]
        if head.kind != "atom" or op not in _OPERATORS:
            if self.lookup(op, env) is not None:
                self.unsupported(e, f"applying {op} to arguments")
            if op in _QUANTIFIERS:
                self.unsupported(e, f"the quantifier {op}")
            if op in _KNOWN_UNSUPPORTED:
                self.unsupported(e, f"{op} ({_KNOWN_UNSUPPORTED[op]})")
            self.unsupported(e, f"the function {_short(head)}")
        arity = _ARITY.get(op)
        if arity is not None and not arity[0] <= len(args) <= arity[1]:
            self.fail(e, f"{op} takes {_arity_text(arity)}, found {len(args)}")
        return _OPERATORS[op](self, e, args, env)

    def atom(self, e: SAtom, env: dict[str, Value]) -> Value:
        text = e.text
        if e.kind == "atom":
            if text == "true":
                return True
            if text == "false":
                return False
            digits = text[1:] if text[0] == "-" and len(text) > 1 else text  # -3: not SMT-LIB, but common (Z3 reads it)
            if digits[0].isdigit():
                if not (digits.isdigit() or _decimal(digits)):
                    self.unsupported(e, f"the literal {text[:40]}")
                if len(digits) > MAX_DIGITS:
                    self.fail(e, f"a literal of more than {MAX_DIGITS} digits")
                return self.constant(parse_rational(text))
            if text[0] == "#":
                self.unsupported(e, f"the literal {text[:40]} (bit vectors)")
        if e.kind == "string":
            self.unsupported(e, "a string literal")
        value = self.lookup(text, env)
        if value is None:
            self.fail(e, f"unknown symbol {_short(e)}")
        return value

    def lookup(self, name: str, env: dict[str, Value]) -> Value | None:
        if name in env:
            return env[name]
        for frame in reversed(self.frames):
            if name in frame.defined:
                return frame.defined[name]
            if name in frame.declared:
                variable, sort = frame.declared[name]
                x = self.gen[variable]
                return x if sort == "Real" else Atom(x, ">")
        return None

    def constant(self, value: Fraction) -> Poly:
        return self.ctx.constant(flint.fmpq(value.numerator, value.denominator))

    def bounded(self, e: SExpr, p: Poly) -> Poly:
        if len(p) > MAX_TERMS:
            self.fail(e, f"a polynomial of more than {MAX_TERMS} terms")
        if p.total_degree() > MAX_EXPONENT:
            self.fail(e, f"a polynomial of degree more than {MAX_EXPONENT}")
        return p

    def fresh_ite(self, e: SExpr, c: Truth, s: Poly, t: Poly) -> Poly:
        if isinstance(c, bool):
            return s if c else t
        v = self.gen[self.fresh.pop(0)]
        self.pending.append(Or((_conjunction([c, Atom(v - s, "=")]), _conjunction([negation(c), Atom(v - t, "=")]))))
        return v

    def quotient(self, e: SExpr, s: Poly, t: Poly) -> Poly:
        """(/ s t) for t not a nonzero constant: a fresh variable q with t = 0 ∨ q·t = s and the
        congruence with the quotients in scope (module docstring)."""
        q, zero = self.gen[self.fresh_quotients.pop(0)], self.ctx.constant(0)
        parts = [_collect([_atom(self, e, t, zero, "="), _atom(self, e, q * t, s, "=")], False)]
        for s2, t2, q2 in (x for f in self.frames for x in f.quotients):
            parts.append(_collect([_atom(self, e, t, zero, "!="), _atom(self, e, t2, zero, "!="),
                                   _atom(self, e, s, s2, "!="), _atom(self, e, q, q2, "=")], False))
        self.pending.append(_conjunction(parts))
        self.frames[-1].quotients.append((s, t, q))
        return q


def _short(e: SExpr) -> str:
    text = str(e)
    return text if len(text) <= 40 else text[:37] + "..."


def _nonzero_literal(e: SExpr) -> bool:
    """A numeral or decimal (optionally with a leading -) other than zero."""
    digits = e.text.removeprefix("-") if isinstance(e, SAtom) and e.kind == "atom" else ""
    return (digits.isdigit() or _decimal(digits)) and digits.strip("0.") != ""


def _decimal(text: str) -> bool:
    """d.d (SMT-LIB) or d. (Z3 reads it)."""
    whole, dot, frac = text.partition(".")
    return bool(dot) and whole.isdigit() and (frac.isdigit() or not frac)


def _arity_text(arity: tuple[int, int]) -> str:
    lo, hi = arity
    if lo == hi:
        return f"{lo} argument{'s' if lo != 1 else ''}"
    return f"at least {lo} arguments" if hi > 10**6 else f"{lo} to {hi} arguments"


def _negated(value: Truth) -> Truth:
    return (not value) if isinstance(value, bool) else negation(value)


def _conjunction(values: list[Truth]) -> Formula:
    """And of the values as a formula (True: And(()); False: Or(()))."""
    parts = _collect(values, True)
    if isinstance(parts, bool):
        return And(()) if parts else Or(())
    return parts


def _collect(values: list[Truth], is_and: bool) -> Truth:
    """And (is_and) or Or of the values, with the constants folded and nested ones flattened."""
    kind = And if is_and else Or
    out: list[Formula] = []
    for v in values:
        if isinstance(v, bool):
            if v != is_and:
                return v
            continue
        out += v.args if isinstance(v, kind) else [v]
    if not out:
        return is_and
    return out[0] if len(out) == 1 else kind(tuple(out))


def _iff(a: Truth, b: Truth) -> Truth:
    if isinstance(a, bool):
        return b if a else _negated(b)
    if isinstance(b, bool):
        return a if b else _negated(a)
    return _collect([_collect([a, b], True), _collect([negation(a), negation(b)], True)], False)


# --- operators: (reader, the application, its arguments, let environment) → value ------------

Operator = Callable[[_Reader, List, tuple[SExpr, ...], dict[str, Value]], Value]
MANY = 10**9


def _op_and(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    return _collect([r.truth(a, env) for a in args], True)


def _op_or(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    return _collect([r.truth(a, env) for a in args], False)


def _op_not(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    return _negated(r.truth(args[0], env))


def _op_implies(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.truth(a, env) for a in args]  # right associative: a => (b => c)
    result = values[-1]
    for v in reversed(values[:-1]):
        result = _collect([_negated(v), result], False)
    return result


def _op_xor(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.truth(a, env) for a in args]  # left associative
    result = values[0]
    for v in values[1:]:
        result = _negated(_iff(result, v))
    return result


def _op_equal(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.term(a, env) for a in args]
    real = isinstance(values[0], flint.fmpq_mpoly)
    for a, v in zip(args, values):
        if isinstance(v, flint.fmpq_mpoly) != real:
            r.fail(a, f"= mixes Real and Bool terms ({_short(a)})")
    if real:
        return _collect([_atom(r, e, s, t, "=") for s, t in zip(values, values[1:])], True)  # type: ignore[arg-type]
    return _collect([_iff(s, t) for s, t in zip(values, values[1:])], True)  # type: ignore[arg-type]


def _op_distinct(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.term(a, env) for a in args]
    if all(isinstance(v, flint.fmpq_mpoly) for v in values):
        return _collect([_atom(r, e, s, t, "!=") for i, s in enumerate(values) for t in values[i + 1:]], True)  # type: ignore[arg-type]
    if any(isinstance(v, flint.fmpq_mpoly) for v in values):
        r.fail(e, "distinct mixes Real and Bool terms")
    return _collect([_negated(_iff(s, t)) for i, s in enumerate(values) for t in values[i + 1:]], True)  # type: ignore[arg-type]


def _atom(r: _Reader, e: SExpr, s: Poly, t: Poly, rel: Relation) -> Truth:
    p = r.bounded(e, s - t)
    if p.is_constant():
        c = flint.fmpq(0) if p.is_zero() else p.leading_coefficient()
        return bool(HOLDS[rel](c))
    return Atom(p, rel)


def _compare(rel: Relation) -> Operator:
    def op(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
        values = [r.real(a, env) for a in args]
        return _collect([_atom(r, e, s, t, rel) for s, t in zip(values, values[1:])], True)
    return op


def _op_add(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    """The sum, bounded once at the end: a sum of bounded polynomials has no higher degree than
    they, and no more terms than they together (bounding every partial sum is quadratic)."""
    total = r.ctx.constant(0)
    for a in args:
        total += r.real(a, env)
    return r.bounded(e, total)


def _op_sub(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.real(a, env) for a in args]
    if len(values) == 1:
        return -values[0]
    total = values[0]
    for v in values[1:]:
        total -= v
    return r.bounded(e, total)


def _op_mul(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    total = r.ctx.constant(1)
    for a in args:
        total = r.bounded(e, total * r.real(a, env))
    return total


def _op_div(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    values = [r.real(a, env) for a in args]
    total = values[0]
    for v in values[1:]:
        if v.is_constant() and not v.is_zero():
            total = total / v.leading_coefficient()
        else:
            total = r.quotient(e, total, v)
    return total


def _op_ite(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    c = r.truth(args[0], env)
    s, t = r.term(args[1], env), r.term(args[2], env)
    if isinstance(s, flint.fmpq_mpoly) != isinstance(t, flint.fmpq_mpoly):
        r.fail(e, "ite branches of different sorts")
    if isinstance(s, flint.fmpq_mpoly):
        assert isinstance(t, flint.fmpq_mpoly)
        return r.fresh_ite(e, c, s, t)
    assert not isinstance(t, flint.fmpq_mpoly)
    return _collect([_collect([c, s], True), _collect([_negated(c), t], True)], False)


def _op_let(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    bindings = args[0]
    if not isinstance(bindings, List) or not bindings.items:
        r.fail(e, "let takes a non-empty list of bindings and a term")
    inner = dict(env)
    for b in bindings.items:  # parallel: every bound term is read in the outer environment
        if not (isinstance(b, List) and len(b.items) == 2 and isinstance(b.items[0], SAtom) and b.items[0].kind != "string"):
            r.fail(b, f"a let binding is (name term), found {_short(b)}")
        inner[b.items[0].text] = r.term(b.items[1], env)
    return r.term(args[1], inner)


def _op_annotated(r: _Reader, e: List, args: tuple[SExpr, ...], env: dict[str, Value]) -> Value:
    """(! term :named n ...): the term (attributes do not change it); :named n defines n as the
    term in the current scope, as a define-fun would."""
    value = r.term(args[0], env)
    for attribute, name in zip(args[1:], args[2:]):
        if isinstance(attribute, SAtom) and attribute.text == ":named":
            r.frames[-1].defined[r.name(name)] = value
    return value


_OPERATORS: dict[str, Operator] = {
    "and": _op_and, "or": _op_or, "not": _op_not, "=>": _op_implies, "xor": _op_xor, "=": _op_equal,
    "distinct": _op_distinct, "+": _op_add, "-": _op_sub, "*": _op_mul, "/": _op_div, "ite": _op_ite,
    "let": _op_let, "!": _op_annotated, **{op: _compare(rel) for op, rel in _COMPARE.items()},
}
_ARITY: dict[str, tuple[int, int]] = {
    "not": (1, 1), "=>": (2, MANY), "xor": (2, MANY), "=": (2, MANY), "distinct": (2, MANY), "-": (1, MANY),
    "/": (2, MANY), "ite": (3, 3), "let": (2, 2), "!": (1, MANY), "<": (2, MANY), "<=": (2, MANY), ">": (2, MANY),
    ">=": (2, MANY),
}


_NOT_CODE = re.compile(r';[^\n]*|"(?:[^"]|"")*"|\|[^|]*\|')
_COMMAND = re.compile(r"\(\s*(check-sat|exit)\s*\)")


def count_checks(text: str) -> int:
    """The number of (check-sat) commands before any (exit), found by regular expressions once
    comments, strings and quoted symbols are blanked (linear time in C, unlike parsing: for the
    parent that answers for a script stopped while it was being parsed); in a well-formed script
    these lists occur only as commands."""
    count = 0
    for match in _COMMAND.finditer(_NOT_CODE.sub(" ", text)):
        if match.group(1) == "exit":
            break
        count += 1
    return count


def parse_script(text: str, source: str = "<script>") -> list[Check]:
    """The check-sats of an SMT-LIB script, in order; InputError (one line, naming the line at
    fault and the construct) for unreadable or unsupported input. Commands after (exit) are ignored."""
    try:
        commands = read(text)
    except ReadError as error:
        raise InputError(f"{source}: {error}") from None
    reader = _Reader(commands, source)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # terms nest at most MAX_SEXPR_NESTING lists deep
    try:
        for c in commands:
            if not reader.command(c):
                break
    finally:
        sys.setrecursionlimit(limit)
    return reader.checks
