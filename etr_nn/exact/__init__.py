"""Exact real algebraic numbers: ``Number = Fraction | RealAlgebraic``."""

from .algebraic import Number, RealAlgebraic, approx_str, real_roots, sign
from .convert import from_json, from_sympy, from_z3, to_json, to_sympy

__all__ = [
    "Number",
    "RealAlgebraic",
    "approx_str",
    "from_json",
    "from_sympy",
    "from_z3",
    "real_roots",
    "sign",
    "to_json",
    "to_sympy",
]
