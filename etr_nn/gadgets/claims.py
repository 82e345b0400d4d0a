"""Claims about fitted networks: polynomial (in)equalities over outputs at points and weights.

Grammar (whitespace ignored)::

    claim  := expr REL expr               REL one of = <= < >= > !=
    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*   division by a nonzero constant only
    unary  := ("-" | "+") unary | power
    power  := atom (("^" | "**") INT)?
    atom   := NUMBER | "(" expr ")"
            | "f" INT "(" coord ("," coord)* ")"    output (1-based) at a point
            | "W[" INT "][" INT "]" | "b[" INT "]" | "A[" INT "][" INT "]" | "c[" INT "]"
    coord  := ["-"] NUMBER ["/" NUMBER]            NUMBER: 12, 1.25 (taken exactly)

`f2(1/2, 3)` is output 2 of the network at the point (1/2, 3); weights are 0-based as in
the solution format. A claim is a polynomial with rational coefficients in these symbols.
The text is never evaluated; its length, nesting, numbers, exponents and the number of
monomials are bounded (etr_nn.limits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping, NoReturn

from etr_nn.errors import InputError
from etr_nn.exact import Number, parse_rational
from etr_nn.exact.rational import bounded
from etr_nn.limits import MAX_EXPONENT, MAX_TERMS
from etr_nn.tokens import Tokens
from etr_nn.poly import HOLDS, NEGATION, Relation

#: ("f", output index 0-based, point) or ("W", j, t) / ("b", j) / ("A", o, j) / ("c", o).
Symbol = tuple
Monomial = tuple[tuple[Symbol, int], ...]  # sorted (symbol, exponent) pairs
Poly = dict[Monomial, Fraction]

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_]\w*)|(?P<op><=|>=|!=|\*\*|[-+*/^()\[\],=<>]))")


@dataclass(frozen=True)
class Claim:
    """lhs − rhs ⋈ 0, as a polynomial over probe values and weights."""

    text: str
    poly: Poly
    rel: Relation

    def symbols(self) -> set[Symbol]:
        return {s for monomial in self.poly for s, _ in monomial}

    @property
    def mentions_weights(self) -> bool:
        return any(s[0] != "f" for s in self.symbols())

    def probes(self) -> list[tuple[Fraction, ...]]:
        """The points at which the claim reads the network's outputs (sorted, distinct)."""
        return sorted({s[2] for s in self.symbols() if s[0] == "f"})

    def value(self, lookup: Callable[[Symbol], Number]) -> Number:
        """lhs − rhs, exactly, with each symbol's value from `lookup`."""
        total: Number = Fraction(0)
        for monomial, coefficient in self.poly.items():
            term: Number = coefficient
            for symbol, exponent in monomial:
                term = term * lookup(symbol) ** exponent
            total = total + term
        return total

    def holds(self, lookup: Callable[[Symbol], Number]) -> bool:
        v = self.value(lookup)
        return bool(HOLDS[self.rel](v))


def _add(p: Poly, q: Poly, sign: int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
        if out[m] == 0:
            del out[m]
    return out


def _mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            powers: dict[Symbol, int] = dict(m1)
            for s, e in m2:
                powers[s] = powers.get(s, 0) + e
            m = tuple(sorted(powers.items(), key=lambda se: repr(se[0])))
            out[m] = out.get(m, Fraction(0)) + c1 * c2
            if out[m] == 0:
                del out[m]
    return out


def _const(value: Fraction) -> Poly:
    return {(): value} if value else {}


class _Parser(Tokens):
    def __init__(self, text: str):
        super().__init__(text, _TOKEN)

    def fail(self, position: int, message: str) -> NoReturn:
        if len(self.text) > 200:
            raise InputError(f'claim "{self.text[:60]}...": position {position + 1}: {message}')
        raise InputError(f'claim "{self.text}": position {position + 1}: {message}\n  {self.text}\n'
                         f"  {' ' * position}^")

    def number(self) -> Fraction:
        kind, text, pos = self.peek()
        if kind != "num":
            self.fail(pos, f"expected a number, found {text or 'the end'!r}")
        self.i += 1
        try:
            return parse_rational(text)
        except ValueError as error:
            self.fail(pos, str(error))

    def claim(self) -> Claim:
        lhs = self.expr()
        kind, rel, pos = self.peek()
        if rel not in NEGATION:
            self.fail(pos, f"expected a relation (= <= < >= > !=), found {rel or 'the end'!r}")
        self.i += 1
        rhs = self.expr()
        if self.peek()[0] != "end":
            self.fail(self.peek()[2], f"unexpected {self.peek()[1]!r} after the claim")
        return Claim(self.text, _add(lhs, rhs, -1), rel)  # type: ignore[arg-type]

    def expr(self) -> Poly:
        p = self.term()
        while (op := self.take("+", "-")) is not None:
            p = _add(p, self.term(), 1 if op == "+" else -1)
        return p

    def term(self) -> Poly:
        p = self.unary()
        while (op := self.take("*", "/")) is not None:
            pos = self.peek()[2]
            q = self.unary()
            if op == "*":
                p = self.product(p, q, pos)
            else:
                if any(m for m in q) or not q:
                    self.fail(pos, "division only by a nonzero constant")
                p = self.product(p, _const(1 / q[()]), pos)
        return p

    def unary(self) -> Poly:
        with self.nested():
            if (op := self.take("-", "+")) is not None:
                p = self.unary()
                return _mul(_const(Fraction(-1)), p) if op == "-" else p
            return self.power()

    def power(self) -> Poly:
        p = self.atom()
        pos = self.peek()[2]
        if self.take("^", "**") is not None:
            exponent = self.integer()
            if exponent > MAX_EXPONENT:
                self.fail(pos, f"exponent {exponent} (at most {MAX_EXPONENT})")
            result = _const(Fraction(1))
            for _ in range(exponent):
                result = self.product(result, p, pos)
            return result
        return p

    def product(self, p: Poly, q: Poly, pos: int) -> Poly:
        """p·q, with the number of monomials and the size of coefficients bounded."""
        if len(p) * len(q) > MAX_TERMS:
            self.fail(pos, f"the product may have more than {MAX_TERMS} monomials")
        out = _mul(p, q)
        try:
            for c in out.values():
                bounded(c)
        except ValueError as error:
            self.fail(pos, f"a coefficient too large: {error}")
        return out

    def coord(self) -> Fraction:
        sign = -1 if self.take("-") else 1
        value = self.number()
        if self.take("/") is not None:
            pos = self.peek()[2]
            denominator = self.number()
            if denominator == 0:
                self.fail(pos, "division by zero")
            value /= denominator
        return sign * value

    def atom(self) -> Poly:
        kind, text, pos = self.peek()
        if kind == "num":
            return _const(self.number())
        if self.take("(") is not None:
            p = self.expr()
            self.expect(")")
            return p
        if kind == "name":
            self.i += 1
            if re.fullmatch(r"f[0-9]{1,6}", text):
                output = int(text[1:])
                if output < 1:
                    self.fail(pos, "outputs are numbered from 1")
                self.expect("(")
                point = [self.coord()]
                while self.take(",") is not None:
                    point.append(self.coord())
                self.expect(")")
                return {((("f", output - 1, tuple(point)), 1),): Fraction(1)}
            if text in ("W", "A", "b", "c"):
                indices = []
                for _ in range(2 if text in ("W", "A") else 1):
                    self.expect("[")
                    indices.append(self.integer())
                    self.expect("]")
                return {(((text, *indices), 1),): Fraction(1)}
        self.fail(pos, f"expected a number, f<output>(point), W[j][t], b[j], A[o][j], c[o] or '(', "
                       f"found {text or 'the end'!r}")
        raise AssertionError  # unreachable: fail raises


def parse_claim(text: str) -> Claim:
    """Parse one claim; InputError names the claim and the position at fault."""
    return _Parser(text).claim()


def check_against(claim: Claim, inputs: int, hidden: int, outputs: int) -> None:
    """InputError unless every output index, point dimension and weight index fits the shape."""
    bounds = {"W": (hidden, inputs), "b": (hidden,), "A": (outputs, hidden), "c": (outputs,)}
    for s in sorted(claim.symbols(), key=repr):
        if s[0] == "f":
            if s[1] >= outputs:
                raise InputError(f'claim "{claim.text}": f{s[1] + 1}: the network has {outputs} output(s)')
            if len(s[2]) != inputs:
                raise InputError(f'claim "{claim.text}": f{s[1] + 1} at a point with {len(s[2])} '
                                 f"coordinate(s); the network has {inputs} input(s)")
        elif any(i >= n for i, n in zip(s[1:], bounds[s[0]])):
            raise InputError(f'claim "{claim.text}": {s[0]}{"".join(f"[{i}]" for i in s[1:])} is out of '
                             f"range for {hidden} hidden, {inputs} inputs, {outputs} outputs")


def lookup_in(network_outputs: Callable[[tuple[Fraction, ...]], tuple[Number, ...]],
              weights: Mapping[str, object]) -> Callable[[Symbol], Number]:
    """A symbol lookup for Claim.value from a network's outputs and its W, b, A, c."""
    def lookup(s: Symbol) -> Number:
        if s[0] == "f":
            return network_outputs(s[2])[s[1]]
        value: object = weights[s[0]]
        for index in s[1:]:
            value = value[index]  # type: ignore[index]
        return value  # type: ignore[return-value]
    return lookup
