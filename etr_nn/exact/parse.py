"""Exact numbers from text, by a grammar of our own: never ``eval``, ``sympify`` or ``parse_expr``.

Grammar (whitespace ignored; ``−``, ``×``, ``·``, ``÷`` read as ``-``, ``*``, ``*``, ``/``)::

    expr     := term (("+" | "-") term)*
    term     := unary (("*" | "/") unary)*
    unary    := ("+" | "-") unary | power
    power    := atom [("^" | "**") exponent]
    exponent := ["+" | "-"] INT | "(" ["+" | "-"] INT ["/" INT] ")"
    atom     := NUMBER | "(" expr ")" | ("sqrt" | "cbrt") "(" expr ")"
              | "root" "(" expr "," INT ")"                      real n-th root
              | "root" "of" poly "in" "[" expr "," expr "]" ["≈" ["-"] NUMBER]
    poly     := an expr over rationals and the variable t (or x): + - *, "/" by a
                nonzero constant, "^" a non-negative INT

NUMBER is an integer, a decimal or a decimal with an exponent (``12``, ``1.25``, ``1e-3``),
taken exactly. ``root of t^2 - 2 in [1, 2]`` is the only real root of the polynomial in the
closed interval: how ``str`` prints an algebraic number (its trailing ``≈ 1.41421356`` is read
and ignored). ``-2^2`` is ``-(2^2)``. Every size is bounded (etr_nn.limits): the text, the
nesting, the digits of each rational, exponents, root indices and the degree of results.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NoReturn, Union

from flint import fmpq_poly

from etr_nn.limits import MAX_BITS, MAX_DEGREE, MAX_EXPONENT, MAX_POLY_DIGITS
from etr_nn.tokens import Tokens

from .algebraic import Number, RealAlgebraic, inverse, to_fmpq
from .convert import _nth_root
from .rational import bounded, check_poly, parse_rational

Value = Union[Fraction, RealAlgebraic, fmpq_poly]  # polynomials only inside `root of ... in`

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^()\[\],≈−×·÷]))")
_SAME = {"−": "-", "×": "*", "·": "*", "÷": "/"}
_VARIABLES = ("t", "x")


def parse_number(text: str) -> Number:
    """The exact real number `text` denotes (see the module's grammar); ValueError naming the
    position at fault for anything else, or past the bounds of etr_nn.limits."""
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    value = _Parser(text).top()
    assert not isinstance(value, fmpq_poly)
    return value


class _Parser(Tokens):
    def __init__(self, text: str):
        super().__init__(text, _TOKEN, _SAME)
        self.poly = False  # inside `root of POLY`: values are polynomials in t

    def fail(self, position: int, message: str) -> NoReturn:
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        raise ValueError(f"{shown!r}: position {position + 1}: {message}")

    def sign(self) -> int:
        """An optional sign: -1 after "-", else 1."""
        if self.take("-"):
            return -1
        self.take("+")
        return 1

    # -- grammar ----------------------------------------------------------

    def top(self) -> Value:
        value = self.expr()
        if self.peek()[0] != "end":
            self.fail(self.peek()[2], f"unexpected {self.peek()[1]!r}")
        return value

    def expr(self) -> Value:
        value = self.term()
        while True:
            pos = self.peek()[2]
            if self.take("+"):
                value = self.combine(value, self.term(), "+", pos)
            elif self.take("-"):
                value = self.combine(value, self.term(), "-", pos)
            else:
                return value

    def term(self) -> Value:
        value = self.unary()
        while True:
            pos = self.peek()[2]
            if self.take("*"):
                value = self.combine(value, self.unary(), "*", pos)
            elif self.take("/"):
                value = self.combine(value, self.unary(), "/", pos)
            else:
                return value

    def unary(self) -> Value:
        pos = self.peek()[2]
        with self.nested():
            if self.take("-"):
                return self.checked(-self.unary(), pos)
            if self.take("+"):
                return self.unary()
            return self.power()

    def power(self) -> Value:
        base = self.atom()
        pos = self.peek()[2]
        if not self.take("^", "**"):
            return base
        if self.take("("):
            exponent = Fraction(self.sign() * self.integer())
            if self.take("/"):
                q = self.peek()[2]
                denominator = self.integer()
                if denominator == 0:
                    self.fail(q, "division by zero")
                exponent /= denominator
            self.expect(")")
        else:
            exponent = Fraction(self.sign() * self.integer())
        return self.raise_to(base, exponent, pos)

    def atom(self) -> Value:
        kind, text, pos = self.peek()
        if kind == "num":
            self.i += 1
            value: Value
            try:
                value = parse_rational(text)
            except ValueError as error:
                self.fail(pos, str(error))
            return fmpq_poly([to_fmpq(value)]) if self.poly else value
        if self.take("("):
            value = self.expr()
            self.expect(")")
            return value
        if kind == "name":
            self.i += 1
            if self.poly:
                if text in _VARIABLES:
                    return fmpq_poly([0, 1])
                self.fail(pos, f"expected a number or the variable t, found {text!r}")
            if text in ("sqrt", "cbrt"):
                self.expect("(")
                value = self.expr()
                self.expect(")")
                return self.root(value, 2 if text == "sqrt" else 3, pos)
            if text == "root" and self.take("of"):
                return self.root_of(pos)
            if text == "root":
                self.expect("(")
                value = self.expr()
                self.expect(",")
                n_pos = self.peek()[2]
                n = self.integer()
                self.expect(")")
                if n < 1:
                    self.fail(n_pos, "the root index must be at least 1")
                return self.root(value, n, pos)
            self.fail(pos, f"unknown name {text!r} (expected sqrt, cbrt, root or a number)")
        self.fail(pos, f"expected a number, '(', sqrt, cbrt or root, found {text or 'the end'!r}")

    def root_of(self, pos: int) -> Value:
        """`root of POLY in [lo, hi]`, the ≈ part skipped."""
        self.poly = True
        poly = self.expr()
        self.poly = False
        assert isinstance(poly, fmpq_poly)
        self.expect("in")
        self.expect("[")
        ends = []
        for closing in (",", "]"):
            end_pos = self.peek()[2]
            end = self.expr()
            if not isinstance(end, Fraction):
                self.fail(end_pos, "the interval's ends must be rational")
            ends.append(end)
            self.expect(closing)
        if self.take("≈"):
            self.sign()
            if self.peek()[0] != "num":
                self.fail(self.peek()[2], "expected a decimal after '≈'")
            self.i += 1
        try:
            check_poly(poly.numer().coeffs())
            return self.checked(RealAlgebraic.from_poly_root(poly.coeffs(), *ends), pos)
        except ValueError as error:
            self.fail(pos, str(error))

    # -- arithmetic, bounded ----------------------------------------------

    def combine(self, a: Value, b: Value, op: str, pos: int) -> Value:
        if isinstance(a, RealAlgebraic) and isinstance(b, RealAlgebraic) and a.degree * b.degree > MAX_DEGREE:
            self.fail(pos, f"the result may have degree {a.degree * b.degree} (at most {MAX_DEGREE})")
        if isinstance(a, fmpq_poly) and isinstance(b, fmpq_poly):
            if op == "*" and a.degree() + b.degree() > MAX_DEGREE:
                self.fail(pos, f"a polynomial of degree above {MAX_DEGREE}")
            if op == "/":
                if b.degree() != 0:
                    self.fail(pos, "a polynomial can only be divided by a nonzero constant")
                return self.checked(a / b[0], pos)
        if op == "/" and b == 0:
            self.fail(pos, "division by zero")
        if op == "+":
            return self.checked(a + b, pos)  # type: ignore[operator]
        if op == "-":
            return self.checked(a - b, pos)  # type: ignore[operator]
        if op == "*":
            return self.checked(a * b, pos)  # type: ignore[operator]
        return self.checked(a * inverse(b), pos)  # type: ignore[arg-type, operator]

    def raise_to(self, base: Value, exponent: Fraction, pos: int) -> Value:
        p, q = exponent.numerator, exponent.denominator
        if abs(p) > MAX_EXPONENT:
            self.fail(pos, f"exponent {p} (at most {MAX_EXPONENT} in absolute value)")
        if isinstance(base, fmpq_poly):
            if q != 1 or p < 0:
                self.fail(pos, "a polynomial's exponent must be a non-negative integer")
            if base.degree() * p > MAX_DEGREE:
                self.fail(pos, f"a polynomial of degree above {MAX_DEGREE}")
            return self.checked(base**p, pos)
        if q > 1:
            base = self.root(base, q, pos)
        if base == 0 and p < 0:
            self.fail(pos, "division by zero")
        if isinstance(base, Fraction):
            bits = max(base.numerator.bit_length(), base.denominator.bit_length())
            if (bits - 1) * abs(p) > MAX_BITS:
                self.fail(pos, f"the result would have more than {MAX_BITS} bits")
            return self.checked(base**p, pos)
        assert isinstance(base, RealAlgebraic)
        if _digits(base) * abs(p) > MAX_POLY_DIGITS:
            self.fail(pos, "exponent too large for this irrational base")
        return self.checked(base**p if p >= 0 else inverse(base**-p), pos)

    def root(self, value: Value, n: int, pos: int) -> Value:
        """The real n-th root (the principal one; for odd n of a negative number, negative)."""
        assert not isinstance(value, fmpq_poly)
        degree = value.degree if isinstance(value, RealAlgebraic) else 1
        if n * degree > MAX_DEGREE:
            self.fail(pos, f"the root may have degree {n * degree} (at most {MAX_DEGREE})")
        if n % 2 == 0 and value < 0:
            self.fail(pos, "an even root of a negative number is not real")
        return self.checked(_nth_root(value, n) if n > 1 else value, pos)

    def checked(self, value: Value, pos: int) -> Value:
        """`value`, or an error at `pos` if it is past the size bounds."""
        try:
            if isinstance(value, Fraction):
                bounded(value)
            elif isinstance(value, RealAlgebraic):
                check_poly(value.coeffs)
            else:
                if value.degree() > MAX_DEGREE:
                    raise ValueError(f"a polynomial of degree above {MAX_DEGREE}")
                check_poly(value.numer().coeffs())
                bounded(Fraction(int(value.denom())))
        except ValueError as error:
            self.fail(pos, str(error))
        return value


def _digits(x: RealAlgebraic) -> int:
    return sum(len(str(abs(c))) for c in x.coeffs)
