"""Exact real algebraic numbers: ``Number = Fraction | RealAlgebraic``."""

from .algebraic import Number, RealAlgebraic, approx_str, from_fmpq, real_roots, sign, to_fmpq
from .convert import from_json, from_sympy, from_z3, to_json, to_latex, to_sympy
from .parse import parse_number
from .rational import parse_rational, read_rational

__all__ = [
    "Number",
    "RealAlgebraic",
    "approx_str",
    "from_fmpq",
    "from_json",
    "from_sympy",
    "from_z3",
    "parse_number",
    "parse_rational",
    "read_rational",
    "real_roots",
    "sign",
    "to_fmpq",
    "to_json",
    "to_latex",
    "to_sympy",
]
