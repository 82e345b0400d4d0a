"""Exact real algebraic numbers.

A ``RealAlgebraic`` is an irrational real root of an irreducible, primitive
integer polynomial ``p`` of degree >= 2 with positive leading coefficient (its
canonical minimal polynomial), singled out by a closed rational interval
containing exactly one real root of ``p``.  Rational endpoints are never roots
of ``p``, so ``p(lo) * p(hi) < 0``.  Rational values are always ``Fraction``.

Arithmetic uses resultants: for ``p(a) = 0`` and ``q(b) = 0``

* ``a + b`` is a root of ``Res_y(p(y), q(x - y))``,
* ``a * b`` is a root of ``Res_y(p(y), y^deg(q) q(x / y))``,
* ``a ** n`` is a root of ``Res_y(p(y), x - y^n)``,
* ``1 / a`` is a root of ``x^deg(p) p(1 / x)``, ``-a`` of ``p(-x)``,
  ``a + r`` of ``p(x - r)`` and ``a * r`` of ``p(x / r)`` for rational ``r``.

The value is the unique root of one irreducible factor of that polynomial in
the rational interval-arithmetic enclosure of the operation; operand
intervals are bisected until exactly one candidate remains.

Objects are immutable values: internal refinement may narrow the stored
interval, never the number it denotes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Union

from flint import fmpq, fmpq_mat, fmpq_poly, fmpz_mpoly, fmpz_mpoly_ctx, fmpz_poly

from .rational import read_rational
from .roots import Interval, isolate, isolate_coarse, primitive, sign_at, vca

Number = Union[Fraction, "RealAlgebraic"]

_CTX = fmpz_mpoly_ctx.get(("x", "y"), "lex")
_X, _Y = _CTX.gens()


def to_fmpq(x: Fraction | int) -> fmpq:
    """A rational as a flint fmpq."""
    return fmpq(x.numerator, x.denominator)


def from_fmpq(x: fmpq) -> Fraction:
    """A flint fmpq as a Fraction."""
    return Fraction(int(x.p), int(x.q))


def _rational(x: object) -> fmpq:
    """Exact rational from an fmpq or what read_rational reads (an int, a Fraction, "-7/2", "1.25")."""
    return x if isinstance(x, fmpq) else to_fmpq(read_rational(x))


def _integer_poly(coeffs: Sequence[object]) -> fmpz_poly:
    """Primitive integer polynomial with the roots of the rational ``coeffs``
    (ascending), positive leading coefficient; rejects the zero polynomial."""
    q = fmpq_poly([_rational(c) for c in coeffs])
    if q == 0:
        raise ValueError("the zero polynomial has no isolated roots")
    return primitive(q.numer())


def _irreducible_factors(p: fmpz_poly) -> list[fmpz_poly]:
    return [primitive(f) for f, _ in p.factor()[1]]


class RealAlgebraic:
    """Irrational real algebraic number: root of ``coeffs`` in ``[lo, hi]``."""

    __slots__ = ("_p", "_coeffs", "_lo", "_hi", "_slo", "_index", "_in")

    def __init__(self, coeffs: Sequence[int], lo: Fraction | int | str, hi: Fraction | int | str):
        """Validate that ``coeffs`` (ascending) is irreducible of degree >= 2 and
        has exactly one real root in ``[lo, hi]``."""
        p = _integer_poly(coeffs)
        if p.degree() < 2:
            raise ValueError(f"degree {p.degree()} < 2: a rational number is a Fraction")
        if len(_irreducible_factors(p)) != 1 or p.factor()[1][0][1] != 1:
            raise ValueError(f"{_poly_str(p)} is not irreducible over Q; use RealAlgebraic.from_poly_root")
        a, b = _rational(lo), _rational(hi)
        roots = _roots_in(p, a, b)
        if len(roots) != 1:
            raise ValueError(f"{_poly_str(p)} has {len(roots)} real roots in [{a}, {b}], expected exactly 1")
        self._init(p, a, b)

    def _init(self, p: fmpz_poly, lo: fmpq, hi: fmpq) -> None:
        self._p = p
        self._coeffs = tuple(int(c) for c in p.coeffs())
        self._lo, self._hi = lo, hi
        self._slo = sign_at(p, lo)
        self._index: int | None = None
        self._in: tuple[NumberField, fmpq_poly] | None = None  # (K, c): this number is c(α), α K's generator

    @classmethod
    def _make(cls, p: fmpz_poly, lo: fmpq, hi: fmpq) -> RealAlgebraic:
        """Unchecked constructor: ``p`` canonical irreducible, one root in [lo, hi]."""
        self = cls.__new__(cls)
        self._init(p, lo, hi)
        return self

    def __reduce__(self) -> tuple[Callable[..., RealAlgebraic], tuple[tuple[int, ...], tuple[int, int], tuple[int, int]]]:
        """Pickled as its minimal polynomial and isolating interval (flint objects do not pickle):
        networks with algebraic weights travel back from worker processes."""
        return _unpickled, (self._coeffs, (int(self._lo.p), int(self._lo.q)), (int(self._hi.p), int(self._hi.q)))

    @classmethod
    def from_poly_root(cls, coeffs: Sequence[object], lo: object, hi: object) -> Number:
        """The unique real root in ``[lo, hi]`` of any nonzero rational polynomial
        (factored first); a ``Fraction`` if that root is rational."""
        a, b = _rational(lo), _rational(hi)
        if a > b:
            raise ValueError(f"empty interval [{a}, {b}]")
        found: list[Number] = []
        for f in _irreducible_factors(_integer_poly(coeffs)):
            if f.degree() == 1:
                r = -f[0] / fmpq(f[1])
                if a <= r <= b:
                    found.append(from_fmpq(r))
            else:
                found += [cls._make(f, *j) for j in _roots_in(f, a, b)]
        if len(found) != 1:
            raise ValueError(f"polynomial has {len(found)} distinct real roots in [{a}, {b}], expected exactly 1")
        return found[0]

    # -- basic properties -------------------------------------------------

    @property
    def coeffs(self) -> tuple[int, ...]:
        """Canonical minimal polynomial, coefficients ascending."""
        return self._coeffs

    @property
    def degree(self) -> int:
        return len(self._coeffs) - 1

    @property
    def interval(self) -> tuple[Fraction, Fraction]:
        """Current isolating interval (may get narrower over time)."""
        return from_fmpq(self._lo), from_fmpq(self._hi)

    @property
    def index(self) -> int:
        """0-based position among the real roots of the minimal polynomial."""
        if self._index is None:
            self._index = next(
                i for i, (a, b) in enumerate(isolate(self._coeffs)) if _meets(self._p, self._lo, self._hi, a, b)
            )
        return self._index

    # -- refinement -------------------------------------------------------

    def _side(self, r: fmpq) -> int:
        """Sign of ``self - r`` for rational ``r`` (never 0); narrows the interval."""
        if r <= self._lo:
            return 1
        if r >= self._hi:
            return -1
        if sign_at(self._p, r) == self._slo:
            self._lo = r
            return 1
        self._hi = r
        return -1

    def _bisect(self, times: int = 1) -> None:
        for _ in range(times):
            self._side((self._lo + self._hi) / 2)

    def _refine_to(self, width: fmpq) -> None:
        while self._hi - self._lo > width:
            self._bisect()

    def _avoid_zero(self) -> None:
        """Narrow the interval until it excludes 0."""
        while self._lo <= 0 <= self._hi:
            self._side(fmpq(0))
            self._bisect()

    def refine(self, width: Fraction | int) -> RealAlgebraic:
        """Same number with an isolating interval of width <= ``width``."""
        w = _rational(width)
        if w <= 0:
            raise ValueError("width must be positive")
        self._refine_to(w)
        return RealAlgebraic._make(self._p, self._lo, self._hi)

    # -- comparison -------------------------------------------------------

    def sign(self) -> int:
        return self._side(fmpq(0))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RealAlgebraic):
            return self._coeffs == other._coeffs and _meets(self._p, self._lo, self._hi, other._lo, other._hi)
        if isinstance(other, (int, Fraction)):
            return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._coeffs, self.index))

    def __lt__(self, other: object) -> bool:
        c = _cmp_or_none(self, other)
        return NotImplemented if c is None else c < 0

    def __le__(self, other: object) -> bool:
        c = _cmp_or_none(self, other)
        return NotImplemented if c is None else c <= 0

    def __gt__(self, other: object) -> bool:
        c = _cmp_or_none(self, other)
        return NotImplemented if c is None else c > 0

    def __ge__(self, other: object) -> bool:
        c = _cmp_or_none(self, other)
        return NotImplemented if c is None else c >= 0

    # -- arithmetic -------------------------------------------------------

    def __neg__(self) -> RealAlgebraic:
        out = RealAlgebraic._make(primitive(self._p(fmpz_poly([0, -1]))), -self._hi, -self._lo)
        if self._in is not None:
            out._in = (self._in[0], -self._in[1])
        return out

    def __pos__(self) -> RealAlgebraic:
        return self

    def __abs__(self) -> RealAlgebraic:
        return -self if self.sign() < 0 else self

    def __add__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else add(self, o)

    __radd__ = __add__

    def __sub__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else add(self, -o)

    def __rsub__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else add(-self, o)

    def __mul__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else mul(self, o)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else mul(self, inverse(o))

    def __rtruediv__(self, other: object) -> Number:
        o = _coerce(other)
        return NotImplemented if o is None else mul(o, inverse(self))

    def __pow__(self, n: int) -> Number:
        if not isinstance(n, int) or isinstance(n, bool):
            return NotImplemented
        if n < 0:
            return inverse(self**-n)
        if n <= 1:
            return Fraction(1) if n == 0 else self
        if self._in is not None:
            field, c = self._in
            return field.element(c**n)
        self._avoid_zero()
        res = primitive(_univariate(self._poly_y().resultant(_X - _Y**n, "y")))
        even_neg = n % 2 == 0 and self._hi < 0

        def enclose() -> Interval:
            lo, hi = self._lo**n, self._hi**n
            return (hi, lo) if even_neg else (lo, hi)

        return _select(res, enclose, [self])

    # -- output -----------------------------------------------------------

    def __float__(self) -> float:
        self._avoid_zero()
        self._refine_to(abs(self._lo) / 2**60)
        return float(from_fmpq((self._lo + self._hi) / 2))

    def approx(self, digits: int = 12) -> str:
        """Decimal string correctly rounded to ``digits`` significant digits."""
        return approx_str(self, digits)

    @property
    def isolating_interval(self) -> tuple[Fraction, Fraction]:
        """The coarse isolating interval (small ends) that printing and JSON show."""
        lo, hi = isolate_coarse(self._coeffs)[self.index]
        return from_fmpq(lo), from_fmpq(hi)

    def __str__(self) -> str:
        a, b = self.isolating_interval
        return f"root of {_poly_str(self._p)} in [{a}, {b}] ≈ {self.approx(9)}"

    def __repr__(self) -> str:
        a, b = self.isolating_interval
        return f"RealAlgebraic({list(self._coeffs)}, '{a}', '{b}')"

    def _repr_latex_(self) -> str:
        """Jupyter's display: √2/2 rather than the minimal polynomial, where a radical is known."""
        from etr_nn.exact.convert import to_latex

        return f"${to_latex(self)}$"

    def _poly_y(self) -> fmpz_mpoly:
        return _CTX.from_dict({(0, i): c for i, c in enumerate(self._coeffs) if c})


def _unpickled(coeffs: tuple[int, ...], lo: tuple[int, int], hi: tuple[int, int]) -> RealAlgebraic:
    return RealAlgebraic._make(fmpz_poly(list(coeffs)), fmpq(*lo), fmpq(*hi))


def _poly_str(p: fmpz_poly, var: str = "t") -> str:
    terms = []
    for i in range(p.degree(), -1, -1):
        c = int(p[i])
        if c == 0:
            continue
        mono = "" if i == 0 else var if i == 1 else f"{var}^{i}"
        mag = str(abs(c)) if abs(c) != 1 or i == 0 else ""
        body = f"{mag}*{mono}" if mag and mono else mag or mono
        terms.append(("-" if c < 0 else "+", body))
    s = " ".join(f"{sg} {b}" for sg, b in terms).lstrip("+ ")
    return "-" + s[2:] if s.startswith("- ") else s


def _meets(p: fmpz_poly, a: fmpq, b: fmpq, c: fmpq, d: fmpq) -> bool:
    """Whether ``[a, b] ∩ [c, d]`` contains a root of ``p``; exact when both
    intervals isolate a root of the irreducible ``p`` (a sign change)."""
    lo, hi = max(a, c), min(b, d)
    return lo <= hi and sign_at(p, lo) * sign_at(p, hi) < 0


def _roots_in(p: fmpz_poly, lo: fmpq, hi: fmpq) -> list[Interval]:
    """Isolating intervals, inside [lo, hi], of the roots of the irreducible ``p``
    (degree >= 2, so no rational root) lying in [lo, hi]: Vincent-Collins-Akritas on the
    interval alone (no isolation of the other roots)."""
    return vca(p, lo, hi)


def _coerce(x: object) -> Number | None:
    if isinstance(x, RealAlgebraic | Fraction):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Fraction(x)
    return None


def _cmp(a: Number, b: Number) -> int:
    """Sign of ``a - b``: bisect both intervals at a common rational point until
    it separates them; equality only for equal minimal polynomials."""
    if not isinstance(a, RealAlgebraic):
        return -_cmp(b, a) if isinstance(b, RealAlgebraic) else (a > b) - (a < b)
    if not isinstance(b, RealAlgebraic):
        return a._side(to_fmpq(b))
    if a == b:
        return 0
    while True:
        if a._hi < b._lo:
            return -1
        if b._hi < a._lo:
            return 1
        c = (max(a._lo, b._lo) + min(a._hi, b._hi)) / 2
        sa, sb = a._side(c), b._side(c)
        if sa != sb:
            return sa


def _cmp_or_none(a: RealAlgebraic, other: object) -> int | None:
    o = _coerce(other)
    return None if o is None else _cmp(a, o)


def _univariate(r: fmpz_mpoly) -> fmpz_poly:
    """The ``fmpz_poly`` in x of a bivariate polynomial free of y."""
    d = r.to_dict()
    coeffs = [0] * (max((k[0] for k in d), default=0) + 1)
    for (i, _), c in d.items():
        coeffs[i] = int(c)
    return fmpz_poly(coeffs)


def _select(res: fmpz_poly, enclose: Callable[[], Interval], operands: list[RealAlgebraic]) -> Number:
    """The unique root of ``res`` in the shrinking enclosure ``enclose()``.

    Candidates are the roots of the irreducible factors of ``res`` meeting the
    enclosure; operands are bisected until exactly one remains.
    """
    factors = _irreducible_factors(res)
    steps = 1
    while True:
        lo, hi = enclose()
        found: list[tuple[fmpz_poly, Interval] | fmpq] = []
        alive = []
        for f in factors:
            if f.degree() == 1:
                r = -f[0] / fmpq(f[1])
                hits: list[tuple[fmpz_poly, Interval] | fmpq] = [r] if lo <= r <= hi else []
            else:
                hits = [(f, j) for j in _roots_in(f, lo, hi)]
            if hits:
                alive.append(f)
                found += hits
        if len(found) == 1:
            (x,) = found
            return from_fmpq(x) if isinstance(x, fmpq) else RealAlgebraic._make(x[0], *x[1])
        factors = alive
        for op in operands:
            op._bisect(steps)
        steps = min(2 * steps, 64)


def _sum_poly(a: RealAlgebraic, b: RealAlgebraic) -> fmpz_poly:
    """``Res_y(p(y), q(x - y))``."""
    q = _CTX.from_dict({})
    for c in reversed(b._coeffs):
        q = q * (_X - _Y) + c
    return _univariate(a._poly_y().resultant(q, "y"))


def _prod_poly(a: RealAlgebraic, b: RealAlgebraic) -> fmpz_poly:
    """``Res_y(p(y), y^m q(x / y))``, m = deg q."""
    m = b.degree
    q = _CTX.from_dict({(i, m - i): c for i, c in enumerate(b._coeffs) if c})
    return _univariate(a._poly_y().resultant(q, "y"))


def add(a: Number, b: Number) -> Number:
    """Exact sum."""
    if not isinstance(a, RealAlgebraic):
        if not isinstance(b, RealAlgebraic):
            return a + b
        a, b = b, a
    if not isinstance(b, RealAlgebraic):
        if b == 0:
            return a
        r = to_fmpq(b)
        p = primitive(fmpq_poly(a._p)(fmpq_poly([-r, 1])).numer())
        return _tagged(RealAlgebraic._make(p, a._lo + r, a._hi + r), a, lambda c: c + r)
    if (field := _common_field(a, b)) is not None:
        return field.element(a._in[1] + b._in[1])  # type: ignore[index]
    return _select(
        primitive(_sum_poly(a, b)), lambda: (a._lo + b._lo, a._hi + b._hi), [a, b]
    )


def mul(a: Number, b: Number) -> Number:
    """Exact product."""
    if not isinstance(a, RealAlgebraic):
        if not isinstance(b, RealAlgebraic):
            return a * b
        a, b = b, a
    if not isinstance(b, RealAlgebraic):
        if b == 0:
            return Fraction(0)
        if b == 1:
            return a
        r = to_fmpq(b)
        p = primitive(fmpq_poly(a._p)(fmpq_poly([0, 1 / r])).numer())
        lo, hi = a._lo * r, a._hi * r
        return _tagged(RealAlgebraic._make(p, *((lo, hi) if r > 0 else (hi, lo))), a, lambda c: c * r)
    if (field := _common_field(a, b)) is not None:
        return field.element(a._in[1] * b._in[1])  # type: ignore[index]

    def enclose() -> Interval:
        ps = [a._lo * b._lo, a._lo * b._hi, a._hi * b._lo, a._hi * b._hi]
        return min(ps), max(ps)

    return _select(primitive(_prod_poly(a, b)), enclose, [a, b])


def inverse(a: Number) -> Number:
    """Exact reciprocal: ``1/a`` is a root of the reversed polynomial."""
    if not isinstance(a, RealAlgebraic):
        if a == 0:
            raise ZeroDivisionError("division by zero")
        return 1 / a
    a._avoid_zero()
    p = primitive(fmpz_poly(list(a._coeffs[::-1])))
    out = RealAlgebraic._make(p, 1 / a._hi, 1 / a._lo)
    if a._in is not None:
        field, c = a._in
        out._in = (field, field.inverse(c))
    return out


class NumberField:
    """Q(α) for a real algebraic α of degree n: the number c(α) is the rational polynomial c
    reduced modulo α's minimal polynomial m, so sums and products of numbers of one field are
    polynomial operations mod m (inverses by the extended Euclidean algorithm: m is
    irreducible). The minimal polynomial of c(α) is that of the matrix of y ↦ c·y on the
    basis 1, α, …, α^(n−1), degree ≤ n: no resultant of degree n² as for two unrelated
    numbers. Numbers made here carry their field; arithmetic between them stays in it."""

    def __init__(self, generator: RealAlgebraic):
        self.modulus = fmpq_poly(generator._p)
        self.generator = RealAlgebraic._make(generator._p, generator._lo, generator._hi)
        self.generator._in = (self, fmpq_poly([0, 1]))

    def element(self, c: fmpq_poly) -> Number:
        """The number c(α)."""
        c = c % self.modulus
        if c.degree() <= 0:
            return from_fmpq(c[0])
        n = self.modulus.degree()
        columns = [(c * fmpq_poly([0] * j + [1])) % self.modulus for j in range(n)]
        matrix = fmpq_mat(n, n, [columns[j][i] for i in range(n) for j in range(n)])
        alpha = self.generator
        out = _select(primitive(matrix.minpoly().numer()), lambda: _enclosure(c, alpha._lo, alpha._hi), [alpha])
        assert isinstance(out, RealAlgebraic)  # c(α) ∉ Q: 1, α, …, α^(n−1) are linearly independent
        out._in = (self, c)
        return out

    def inverse(self, c: fmpq_poly) -> fmpq_poly:
        """1/c mod m (c ≢ 0 mod m)."""
        g, s, _ = c.xgcd(self.modulus)
        return s / g[0]


def _common_field(a: RealAlgebraic, b: RealAlgebraic) -> NumberField | None:
    if a._in is not None and b._in is not None and a._in[0] is b._in[0]:
        return a._in[0]
    return None


def _tagged(out: RealAlgebraic, a: RealAlgebraic, image: Callable[[fmpq_poly], fmpq_poly]) -> RealAlgebraic:
    """`out` (a rational operation applied to a) keeps a's field, with element image(c)."""
    if a._in is not None:
        out._in = (a._in[0], image(a._in[1]))
    return out


def _enclosure(c: fmpq_poly, lo: fmpq, hi: fmpq) -> Interval:
    """Rational interval containing c(x) for every x in [lo, hi] (Horner's scheme)."""
    a = b = fmpq(0)
    for k in reversed(c.coeffs()):
        ps = (a * lo, a * hi, b * lo, b * hi)
        a, b = min(ps) + k, max(ps) + k
    return a, b


def sign(x: Number | int) -> int:
    """Sign (-1, 0, 1) of a number."""
    if isinstance(x, RealAlgebraic):
        return x.sign()
    return (x > 0) - (x < 0)


def _floor_log10(q: Fraction) -> int:
    """``e`` with ``10^e <= q < 10^(e+1)`` for rational ``q > 0``."""
    e = len(str(q.numerator)) - len(str(q.denominator))
    return e if q >= Fraction(10) ** e else e - 1


def _round_sig(q: Fraction, digits: int) -> tuple[int, int]:
    """``(m, k)`` with ``m * 10^k`` = ``q`` rounded to ``digits`` significant digits."""
    e = _floor_log10(abs(q))
    k = e - digits + 1
    m = round(q / Fraction(10) ** k)
    if abs(m) == 10**digits:
        m, k = m // 10, k + 1
    return m, k


def approx_str(x: Number | int, digits: int = 12) -> str:
    """Decimal string of ``x`` correctly rounded to ``digits`` significant
    digits (exact: intervals are refined until both ends round alike)."""
    if digits < 1:
        raise ValueError("digits must be >= 1")
    if isinstance(x, RealAlgebraic):
        x._avoid_zero()
        while True:
            lo, hi = x.interval
            m = _round_sig(lo, digits)
            if m == _round_sig(hi, digits):
                break
            x._refine_to((x._hi - x._lo) / 16)
    elif x == 0:
        return "0"
    else:
        m = _round_sig(Fraction(x), digits)
    return format(Decimal(f"{m[0]}e{m[1]}"), "f")


def real_roots(coeffs: Sequence[object]) -> list[Number]:
    """Distinct real roots, ascending, of a nonzero polynomial with rational
    coefficients (ascending order)."""
    out: list[Number] = []
    for f in _irreducible_factors(_integer_poly(coeffs)):
        if f.degree() == 1:
            out.append(from_fmpq(-f[0] / fmpq(f[1])))
        else:
            fc = tuple(int(c) for c in f.coeffs())
            out += [RealAlgebraic._make(f, a, b) for a, b in isolate(fc)]
    return sorted(out)
