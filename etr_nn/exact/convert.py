"""Conversions of exact numbers to and from JSON, SymPy and Z3 values."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy

from etr_nn.limits import MAX_DEGREE

from .algebraic import Number, RealAlgebraic, _integer_poly, _rational, approx_str, from_fmpq, inverse, real_roots
from .rational import check_poly


def to_json(x: Number | int) -> str | dict[str, Any]:
    """``"p/q"`` (or ``"p"``) for rationals; for algebraic numbers
    ``{"root_of": [c0, ..., cd], "interval": ["lo", "hi"], "approx": "..."}``."""
    if isinstance(x, RealAlgebraic):
        lo, hi = x.isolating_interval
        return {"root_of": list(x.coeffs), "interval": [str(lo), str(hi)], "approx": x.approx()}
    return str(Fraction(x))


def from_json(v: Any) -> Number:
    """Inverse of :func:`to_json`.  Accepts ints, strings ``"3"``, ``"-7/2"``,
    ``"1.25"`` and root_of dicts whose polynomial may be reducible; the
    interval must contain exactly one distinct real root.  ``"approx"`` is
    ignored.  Sizes are bounded (etr_nn.limits); strings are never evaluated."""
    if isinstance(v, dict):
        if "root_of" not in v or "interval" not in v:
            raise ValueError(f"algebraic number needs 'root_of' and 'interval' keys, got {sorted(v)}")
        coeffs, interval = v["root_of"], v["interval"]
        if not isinstance(coeffs, list) or not coeffs:
            raise ValueError(f"'root_of' must be a non-empty list of coefficients, got {coeffs!r}")
        if not isinstance(interval, list) or len(interval) != 2:
            raise ValueError(f"'interval' must be a list [lo, hi], got {interval!r}")
        if len(coeffs) > MAX_DEGREE + 1:
            raise ValueError(f"'root_of' has degree {len(coeffs) - 1} (at most {MAX_DEGREE})")
        check_poly(_integer_poly(coeffs).coeffs())
        return RealAlgebraic.from_poly_root(coeffs, *interval)
    return from_fmpq(_rational(v))


def to_sympy(x: Number | int) -> sympy.Expr:
    """``sympy.Rational``; a quadratic irrational as its radical (√2/2, the root of the minimal
    polynomial that `from_sympy` maps back to x exactly); else ``sympy.CRootOf(minimal
    polynomial, index)``."""
    import sympy  # imported on use: it costs half a second at start-up

    if isinstance(x, RealAlgebraic):
        t = sympy.Symbol("t")
        poly = sympy.Poly(list(reversed(x.coeffs)), t)
        if x.degree == 2:
            radical = next((r for r in sympy.roots(poly) if from_sympy(r) == x), None)
            if radical is not None:
                return radical
        return sympy.CRootOf(poly, x.index)
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def to_latex(x: Number | int) -> str:
    """LaTeX of an exact number: a fraction, a radical (degree 2), else
    "root of p(t) in [lo, hi] ≈ v" with the isolating interval's ends as decimals."""
    import sympy

    if not isinstance(x, RealAlgebraic) or x.degree == 2:
        return str(sympy.latex(to_sympy(x)))
    t = sympy.Symbol("t")
    poly = sympy.latex(sympy.Poly(list(reversed(x.coeffs)), t).as_expr())
    lo, hi = x.isolating_interval
    return (rf"\text{{root of }} {poly} \text{{ in }} [{_decimal(lo)}, {_decimal(hi)}]"
            rf" \approx {approx_str(x, 9)}")


def _decimal(x: Fraction) -> str:
    """x as a decimal: exact for the small dyadic ends of isolating intervals, else 6 digits."""
    if x.denominator & (x.denominator - 1) == 0 and x.denominator <= 2**20:
        return format((Decimal(x.numerator) / x.denominator).normalize(), "f")
    return approx_str(x, 6)


def _nth_root(b: Number, n: int) -> Number:
    """Real principal ``b^(1/n)``: a root of ``p(x^n)``, ``p`` the minimal
    polynomial of ``b`` (or ``x^n - b`` for rational ``b``)."""
    if n % 2 == 0 and b < 0:
        raise ValueError("even root of a negative number is not real")
    if isinstance(b, RealAlgebraic):
        coeffs: list[Fraction | int] = [0] * (n * b.degree + 1)
        coeffs[:: n] = b.coeffs
    else:
        coeffs = [-b] + [0] * (n - 1) + [1]
    want = (b > 0) - (b < 0)
    return next(r for r in real_roots(coeffs) if (r > 0) - (r < 0) == want and r**n == b)


def from_sympy(expr: Any) -> Number:
    """Exact number from a real algebraic SymPy expression: rationals,
    ``CRootOf``, and sums, products and rational powers of those.  SymPy objects
    (or Python numbers) only: a string is a TypeError, since ``sympy.sympify`` would
    evaluate it as Python; read text with :func:`etr_nn.exact.parse_number`."""
    import sympy

    if isinstance(expr, (str, bytes)):
        raise TypeError("from_sympy takes SymPy expressions, not text: use etr_nn.exact.parse_number")
    try:
        e = sympy.sympify(expr, strict=True)
    except sympy.SympifyError as error:
        raise TypeError(f"not a SymPy expression: {expr!r}") from error
    if e.is_real is False:
        raise ValueError(f"{e} is not real")
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if isinstance(e, sympy.CRootOf):
        coeffs = [Fraction(int(c.p), int(c.q)) for c in reversed(e.poly.all_coeffs())]
        roots = [r for r, m in _with_multiplicity(coeffs) for _ in range(m)]
        return roots[e.index]
    if e.is_Add or e.is_Mul:
        parts = [from_sympy(a) for a in e.args]
        acc = parts[0]
        for part in parts[1:]:
            acc = acc + part if e.is_Add else acc * part
        return acc
    if e.is_Pow and e.exp.is_Rational:
        base = from_sympy(e.base)
        p, q = int(e.exp.p), int(e.exp.q)
        r = _nth_root(base, q) if q > 1 else base
        return r**p if p >= 0 else inverse(r ** -p)
    raise ValueError(f"cannot convert {e!r} to an exact real algebraic number")


def _with_multiplicity(coeffs: list[Fraction]) -> list[tuple[Number, int]]:
    """Real roots ascending with their multiplicities."""
    out: list[tuple[Number, int]] = []
    for f, m in _integer_poly(coeffs).factor()[1]:
        out += [(r, m) for r in real_roots([int(c) for c in f.coeffs()])]
    return sorted(out, key=lambda rm: rm[0])


def from_z3(value: Any) -> Number:
    """Exact number from a Z3 model value (integer, rational or algebraic:
    the ``index()``-th, 1-based, ascending real root of ``poly()``)."""
    from etr_nn.z3lib import z3

    if z3.is_int_value(value):
        return Fraction(value.as_long())
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())
    if z3.is_algebraic_value(value):
        coeffs = [c.as_long() for c in value.poly()]
        return real_roots(coeffs)[value.index() - 1]
    raise ValueError(f"not a Z3 numeral: {value!r}")
