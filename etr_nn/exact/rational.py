"""Rationals from text, with bounded size: "3", "-7/2", "1.25", "1e-3" (never `Fraction(text)`,
which builds a 10^9-digit integer for "1e999999999")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

from etr_nn.limits import MAX_BITS, MAX_DEGREE, MAX_DIGITS, MAX_POLY_DIGITS, MAX_TEXT_CHARS

_FRACTION = re.compile(r"([+-]?)([0-9]+)\s*/\s*([0-9]+)")
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


def parse_rational(text: str) -> Fraction:
    """The exact value of an integer, a fraction "p/q" or a decimal (with an optional exponent);
    ValueError for anything else or past the bounds of etr_nn.limits."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"a number of {len(text)} characters (at most {MAX_TEXT_CHARS})")
    s = text.strip()
    if m := _FRACTION.fullmatch(s):
        sign, p, q = m.groups()
        _check_digits(len(p.lstrip("0")), len(q.lstrip("0")))
        if int(q) == 0:
            raise ValueError(f"{text!r}: division by zero")
        return bounded(Fraction(int(sign + p), int(q)))
    m = _DECIMAL.fullmatch(s)
    if not m or not (m.group(2) or m.group(3)):
        raise ValueError(f"{text!r} is not a rational number (write an integer, a decimal or \"p/q\")")
    sign, whole, frac, exp = m.groups()
    frac = frac or ""
    digits = (whole + frac).lstrip("0")
    if len(exp or "") > 12:
        raise ValueError(f"{text!r}: exponent out of range")
    if not digits:
        return Fraction(0)
    shift = int(exp or 0) - len(frac)  # the value is digits · 10^shift: both parts bounded first
    _check_digits(len(digits) + max(shift, 0), max(-shift, 0) + 1)
    value = Fraction(int(sign + (digits or "0")))
    return bounded(value * 10**shift if shift >= 0 else value / 10**-shift)


def _check_digits(numerator: int, denominator: int) -> None:
    if max(numerator, denominator) > MAX_DIGITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")


def bounded(value: Fraction) -> Fraction:
    """`value`, or ValueError if its numerator or denominator has more than MAX_DIGITS digits."""
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return value


def check_poly(coeffs: Sequence[int]) -> None:
    """ValueError unless an integer polynomial (coefficients ascending) is within MAX_DEGREE and
    MAX_POLY_DIGITS (the cost of isolating its roots grows fast with both)."""
    if len(coeffs) - 1 > MAX_DEGREE:
        raise ValueError(f"a polynomial of degree {len(coeffs) - 1} (at most {MAX_DEGREE})")
    bits = sum(abs(int(c)).bit_length() for c in coeffs)
    if bits > MAX_POLY_DIGITS * 3.33:
        raise ValueError(f"a polynomial with more than {MAX_POLY_DIGITS} digits in its coefficients")
