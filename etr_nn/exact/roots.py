"""Exact isolation of the real roots of integer polynomials.

Roots are isolated by closed rational intervals (quadratics in closed form
with an integer square root).  Arb enclosures computed by
FLINT only propose intervals; every interval is then certified exactly: a
Descartes count of one on the interval and a Sturm count of all real roots.
If any certificate fails, the Vincent-Collins-Akritas bisection (pure rational
arithmetic) is used instead.
"""

from __future__ import annotations

from functools import lru_cache
from math import isqrt
from typing import cast

from flint import acb, arb, fmpq, fmpq_poly, fmpz, fmpz_poly

Interval = tuple[fmpq, fmpq]


def primitive(p: fmpz_poly) -> fmpz_poly:
    """Primitive part of ``p`` with positive leading coefficient."""
    c = p.content()
    if p.leading_coefficient() < 0:
        c = -c
    return p if c == 1 else p // c


def sign_at(p: fmpz_poly, x: fmpq) -> int:
    """Sign of ``p(x)``, computed exactly."""
    v = p(x)
    return (v > 0) - (v < 0)


def _variations(coeffs: list[fmpz]) -> int:
    signs = [c > 0 for c in coeffs if c != 0]
    return sum(a != b for a, b in zip(signs, signs[1:]))


def descartes(p: fmpz_poly, lo: fmpq, hi: fmpq) -> int:
    """Descartes bound for the roots of ``p`` in the open interval (lo, hi).

    Counts the sign variations of ``(1+t)^d p((lo + hi t)/(1 + t))``; the count
    is an upper bound of the same parity, and ``0`` or ``1`` is exact.
    Requires ``p(lo) != 0``.
    """
    q = fmpq_poly(p)(fmpq_poly([lo, hi - lo])).numer()  # roots in (0, 1)
    rev = fmpz_poly(q.coeffs()[::-1])  # roots in (1, oo)
    return _variations(rev(fmpz_poly([1, 1])).coeffs())  # roots in (0, oo)


def sturm_count(p: fmpz_poly) -> int:
    """Number of distinct real roots of ``p``, by its Sturm sequence (each remainder scaled
    by a positive rational to a primitive integer polynomial: signs, hence counts, are
    unchanged, and coefficients stay small)."""
    def scaled(q: fmpq_poly) -> fmpq_poly:
        z = q.numer()  # the denominator is positive
        return q if q == 0 else fmpq_poly(z // z.content())

    seq = [fmpq_poly(p), scaled(fmpq_poly(p.derivative()))]
    while seq[-1].degree() > 0:
        seq.append(scaled(-(seq[-2] % seq[-1])))
    seq = [s for s in seq if s != 0]
    at_pos = [s[s.degree()] > 0 for s in seq]
    at_neg = [pos == (s.degree() % 2 == 0) for pos, s in zip(at_pos, seq)]
    return sum(a != b for a, b in zip(at_neg, at_neg[1:])) - sum(
        a != b for a, b in zip(at_pos, at_pos[1:])
    )


def _to_fmpq(x: arb) -> fmpq:
    man, exp = x.man_exp()
    return fmpq(man * 2**exp) if exp >= 0 else fmpq(man, fmpz(2) ** -exp)


def _guided(p: fmpz_poly) -> list[Interval] | None:
    """Intervals proposed by FLINT's root finder, or None if not certified."""
    out = []
    # python-flint's stub says list[acb]; complex_roots returns (root, multiplicity) pairs
    for r, _ in cast("list[tuple[acb, int]]", p.complex_roots()):
        if r.imag.is_zero():
            lo, hi = _to_fmpq(r.real.lower()), _to_fmpq(r.real.upper())
            if sign_at(p, lo) * sign_at(p, hi) >= 0 or descartes(p, lo, hi) != 1:
                return None
            out.append((lo, hi))
    out.sort()
    if any(a[1] >= b[0] for a, b in zip(out, out[1:])) or len(out) != sturm_count(p):
        return None
    return out


def _vca(p: fmpz_poly) -> list[Interval]:
    """Vincent-Collins-Akritas bisection on (-B, B), B the Cauchy bound."""
    c = [abs(x) for x in p.coeffs()]
    bound = fmpq(1 + max(c[:-1]) // c[-1] + 1)
    return vca(p, -bound, bound)


def vca(p: fmpz_poly, lo: fmpq, hi: fmpq) -> list[Interval]:
    """Isolating intervals of the roots of the squarefree ``p`` in (lo, hi), neither end a root:
    Descartes' rule of signs on the interval, bisected until each part has 0 or 1 sign
    variation (Vincent-Collins-Akritas)."""
    out, todo = [], [(lo, hi)]
    while todo:
        a, b = todo.pop()
        v = descartes(p, a, b)
        if v == 1:
            out.append((a, b))
        elif v > 1:
            mid = (a + b) / 2
            todo += [(a, mid), (mid, b)]
    return sorted(out)


def _quadratic(c: int, b: int, a: int) -> list[Interval]:
    """Roots ``(-b -+ sqrt(D)) / 2a`` of ``a t^2 + b t + c`` (a > 0, D = b^2 - 4ac
    not a square), using ``s < 2^k sqrt(D) < s + 1`` with ``s = isqrt(4^k D)``."""
    d = b * b - 4 * a * c
    if d < 0:
        return []
    k = 64
    s, den = isqrt(d << (2 * k)), (2 * a) << k
    mb = -b << k
    return [(fmpq(mb - s - 1, den), fmpq(mb - s, den)), (fmpq(mb + s, den), fmpq(mb + s + 1, den))]


@lru_cache(maxsize=4096)
def isolate(coeffs: tuple[int, ...]) -> tuple[Interval, ...]:
    """Disjoint ascending isolating intervals of the real roots of an
    irreducible integer polynomial of degree >= 2 (no root is rational,
    so no endpoint is a root)."""
    if len(coeffs) == 3:
        return tuple(_quadratic(*coeffs))
    p = fmpz_poly(list(coeffs))
    guided = _guided(p)  # [] (no real root) is an answer too
    return tuple(_vca(p) if guided is None else guided)


def _coarsen(lo: fmpq, hi: fmpq, left: fmpq | None, right: fmpq | None) -> Interval:
    """Widest dyadic interval [a/2^k, b/2^k] around [lo, hi] that stays
    within (left, right); it still isolates the same root."""
    k = 0
    while True:
        s = fmpz(2) ** k
        a, b = fmpq((lo * s).floor(), s), fmpq((hi * s).ceil(), s)
        if (left is None or a >= left) and (right is None or b <= right):
            return a, b
        k += 1


@lru_cache(maxsize=4096)
def isolate_coarse(coeffs: tuple[int, ...]) -> tuple[Interval, ...]:
    """Canonical isolating intervals with small dyadic endpoints (for display
    and serialization); bounds of neighbouring tight intervals separate them."""
    tight = isolate(coeffs)
    out: list[Interval] = []
    for i, (lo, hi) in enumerate(tight):
        left = out[-1][1] if out else None
        right = tight[i + 1][0] if i + 1 < len(tight) else None
        out.append(_coarsen(lo, hi, left, right))
    return tuple(out)
