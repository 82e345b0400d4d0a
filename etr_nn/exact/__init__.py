"""Exact real algebraic numbers: ``Number = Fraction | RealAlgebraic``."""

from .algebraic import Number, RealAlgebraic, approx_str, real_roots, sign
from .convert import from_json, from_sympy, from_z3, to_json, to_sympy
from .parse import parse_number
from .rational import parse_rational

__all__ = [
    "Number",
    "RealAlgebraic",
    "approx_str",
    "from_json",
    "from_sympy",
    "from_z3",
    "parse_number",
    "parse_rational",
    "real_roots",
    "sign",
    "to_json",
    "to_sympy",
]
