"""Rationals from text, with bounded size: "3", "-7/2", "1.25", "1e-3" (never `Fraction(text)`,
which builds a 10^9-digit integer for "1e999999999")."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import SupportsInt

from etr_nn.limits import MAX_BITS, MAX_DEGREE, MAX_DIGITS, MAX_POLY_DIGITS, MAX_TEXT_CHARS

_FRACTION = re.compile(r"([+-]?)([0-9]+)\s*/\s*([0-9]+)")
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


def to_float(value: Fraction) -> float:
    """The nearest float, ±inf past the float range (a bound of 1e309 is a valid input; `float`
    raises OverflowError on it). Floats only guide: nothing is decided by this value."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def parse_rational(text: str) -> Fraction:
    """The exact value of an integer, a fraction "p/q" or a decimal (with an optional exponent);
    ValueError, quoting the text, for anything else or past the bounds of etr_nn.limits."""
    shown = repr(text) if len(text) <= 40 else repr(text[:37] + "...")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"{shown}: {len(text)} characters (at most {MAX_TEXT_CHARS})")
    s = text.strip()
    if m := _FRACTION.fullmatch(s):
        sign, p, q = m.groups()
        if max(len(p.lstrip("0")), len(q.lstrip("0"))) > MAX_DIGITS:
            raise ValueError(f"{shown}: more than {MAX_DIGITS} digits")
        if int(q) == 0:
            raise ValueError(f"{shown}: division by zero")
        return Fraction(int(sign + p), int(q))
    m = _DECIMAL.fullmatch(s)
    if not m or not (m.group(2) or m.group(3)):
        raise ValueError(f"{shown} is not a rational number (write an integer, a decimal or \"p/q\")")
    sign, whole, frac, exp = m.groups()
    frac = frac or ""
    digits = (whole + frac).lstrip("0")
    if not digits:
        return Fraction(0)
    # The value is digits · 10^shift: the sizes of both parts are bounded before it is built.
    shift = int(exp or 0) - len(frac) if len(exp or "") <= 12 else 10**12
    if max(len(digits) + max(shift, 0), 1 - min(shift, 0)) > MAX_DIGITS:
        raise ValueError(f"{shown}: more than {MAX_DIGITS} digits")
    value = Fraction(int(sign + digits))
    return value * 10**shift if shift >= 0 else value / 10**-shift


def read_rational(value: object) -> Fraction:
    """The one reader of exact rationals, for instance files, solution files and Python arguments
    alike: an int, a Fraction (a JSON decimal, as etr_nn.files reads it) or a string "p/q" /
    "-1.25" (parse_rational, bounded). ValueError for anything else, a float included: its value
    is binary (0.1 is not 1/10)."""
    if isinstance(value, str):
        return parse_rational(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float):
        raise ValueError(f"expected an exact rational, got the float {value!r} (use an int, a Fraction or a "
                         f"string such as \"1/2\")")
    shown = json.dumps(value, default=str)
    raise ValueError(f"expected a rational (an integer, a decimal or \"p/q\"), got {shown[:40]}")


def bounded(value: Fraction) -> Fraction:
    """`value`, or ValueError if its numerator or denominator has more than MAX_DIGITS digits."""
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return value


def check_poly(coeffs: Sequence[SupportsInt]) -> None:
    """ValueError unless an integer polynomial (coefficients ascending) is within MAX_DEGREE and
    MAX_POLY_DIGITS (the cost of isolating its roots grows fast with both)."""
    if len(coeffs) - 1 > MAX_DEGREE:
        raise ValueError(f"a polynomial of degree {len(coeffs) - 1} (at most {MAX_DEGREE})")
    bits = sum(abs(int(c)).bit_length() for c in coeffs)
    if bits > MAX_POLY_DIGITS * 3.33:
        raise ValueError(f"a polynomial with more than {MAX_POLY_DIGITS} digits in its coefficients")
