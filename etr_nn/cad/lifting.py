"""Lifting over exact sample points: signs of polynomials at real algebraic points (arb ball
enclosures, refined until they exclude 0, exact evaluation only for likely zeros), and the
real roots of a polynomial in the fibre over a sample point.

A sample point is a sequence of exact numbers (α_1, …, α_k) (`etr_nn.exact.Number`).

Fibre roots (approach: resultant elimination with exact selection, no outside solver).
For a level-(k+1) polynomial f:
1. Lazard evaluation: for i = 1..k, while f(α_1..α_i, x_{i+1}..) ≡ 0, replace f by ∂f/∂x_i.
   If f = (x_i − α_i)^v·g then ∂^v f/∂x_i^v = v!·g at x_i = α_i, so this is Lazard's
   valuation-and-divide step without dividing over a number field.  Rational coordinates
   are substituted as they come; irrational ones stay symbolic.
2. Coefficients of x_{k+1} that vanish at α are dropped (exact sign test), giving
   g(α, x) of its true degree.
3. R(x) = Res_{x_j}(m_j(x_j), …) over the irrational coordinates α_j with minimal
   polynomials m_j: R is the product of g over all conjugate tuples, an integer polynomial
   whose roots contain those of g(α, x).  Its real roots come from
   `etr_nn.exact.real_roots`, and a candidate γ is kept iff g(α, γ) = 0: certified by a sign
   change of g(α, ·) between rationals that separate γ from the other roots of R, refuted by a
   ball enclosure (arb) of g(α, γ) that excludes 0, and only otherwise (a root of even
   multiplicity) decided by exact evaluation.
4. If a conjugate tuple nullifies g, R ≡ 0; then the coefficients β_d = c_d(α) are computed
   exactly and R is the iterated resultant of Σ β_d x^d over the minimal polynomials of the
   irrational β_d (no conjugate of a nonzero number is 0, so this R ≢ 0).
This keeps every decision exact and independent of other solvers; the price is the degree
of R (product of the degrees), which is small when most coordinates are rational — as
they are for the encodings this package produces (sectors get rational samples).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import flint

from etr_nn.cad.projection import Poly, check_deadline, coefficients
from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.exact import Number, RealAlgebraic, real_roots, to_fmpq
from etr_nn.poly.formula import evaluate

Point = Sequence[Number]

_ROUNDS = 4


def _constant(p: Poly) -> flint.fmpq:
    return flint.fmpq(0) if p.is_zero() else p.leading_coefficient()


def substitute_rationals(p: Poly, point: Point) -> Poly:
    """p with every rational coordinate of `point` substituted."""
    degrees = p.degrees()
    values: dict[str | int, flint.fmpq] = {i: to_fmpq(v) for i, v in enumerate(point)
                                           if degrees[i] and not isinstance(v, RealAlgebraic)}
    return p.subs(values) if values else p


def _bits(x: RealAlgebraic) -> int:
    """About −log2 of the width of x's isolating interval."""
    lo, hi = x.interval
    w = hi - lo
    return w.denominator.bit_length() - w.numerator.bit_length()


def enclosure(p: Poly, point: Point) -> flint.arb:
    """A ball containing p(point), by arb's rigorous ball arithmetic on balls containing
    the isolating intervals of the algebraic coordinates p uses (rational ones must have been
    substituted); its radius tends to 0 with the widths of the intervals."""
    used = {i: _algebraic(point[i]) for i, e in enumerate(p.degrees()) if e > 0}
    prec = 64 + max((max(_bits(x), 0) for x in used.values()), default=0)
    with flint.ctx.workprec(prec):
        balls = {i: flint.arb(to_fmpq(x.interval[0])).union(flint.arb(to_fmpq(x.interval[1])))
                 for i, x in used.items()}
        total = flint.arb(0)
        for exps, c in p.terms():
            term = flint.arb(c)
            for i, e in enumerate(exps):
                if e:
                    term *= balls[i] ** e
            total += term
        return total


def _sign_by_enclosure(p: Poly, point: Point, deadline: Deadline, rounds: int | None) -> int | None:
    """Sign of p(point) once an enclosure excludes 0, refining the coordinates' intervals by
    8, 16, 32, … bits between tries; None after `rounds` refinements (None: no limit)."""
    used = [_algebraic(point[i]) for i, e in enumerate(p.degrees()) if e > 0]
    step = 8
    tries = 0
    while True:
        check_deadline(deadline)
        ball = enclosure(p, point)
        if ball > 0:
            return 1
        if ball < 0:
            return -1
        if rounds is not None and tries == rounds:
            return None
        for x in used:
            lo, hi = x.interval
            x.refine((hi - lo) / 2**step)
        step, tries = 2 * step, tries + 1


def sign(p: Poly, point: Point, deadline: Deadline = NO_LIMIT, nonzero: bool = False) -> int:
    """Exact sign of p at the point (p may only involve the point's coordinates): rigorous
    enclosures first, exact evaluation when they still contain 0 after _ROUNDS refinements.
    With `nonzero` (the caller knows p(point) ≠ 0) enclosures are refined until they exclude 0,
    which they do since their radii tend to 0.  Timeout past the deadline (checked between
    refinements and between the terms of the exact evaluation)."""
    p = substitute_rationals(p, point)
    if p.is_constant():
        c = _constant(p)
        return (c > 0) - (c < 0)
    s = _sign_by_enclosure(p, point, deadline, None if nonzero else _ROUNDS)
    if s is not None:
        return s
    used = [i for i, e in enumerate(p.degrees()) if e]
    if len(used) == 1:
        return 0 if _vanishes_at(_univariate(p, used[0]), _algebraic(point[used[0]])) else \
            sign(p, point, deadline, nonzero=True)
    value = evaluate(p, [point[i] if i < len(point) else Fraction(0) for i in range(len(p.degrees()))],
                     lambda: check_deadline(deadline))
    return (value > 0) - (value < 0)


def _algebraic(x: Number) -> RealAlgebraic:
    """x, known to be irrational: a coordinate a polynomial still involves once the rational ones are substituted."""
    assert isinstance(x, RealAlgebraic)
    return x


def _vanishes_at(coeffs: list[flint.fmpq], x: RealAlgebraic) -> bool:
    """Whether q(x) = 0 for the rational polynomial q (ascending coefficients): x's minimal
    polynomial m is irreducible, so q(x) = 0 iff m divides q."""
    return (flint.fmpq_poly(coeffs) % flint.fmpq_poly(list(x.coeffs))).is_zero()


def _vanishes(h: Poly, i: int, point: Point, deadline: Deadline) -> bool:
    """Whether h, as a polynomial in x_{i+2}, x_{i+3}, … , is zero at (α_1..α_{i+1})."""
    ctx = h.context()
    grouped: dict[tuple[int, ...], dict[tuple[int, ...], flint.fmpq]] = {}
    for exps, c in h.terms():
        grouped.setdefault(exps[i + 1:], {})[exps[: i + 1] + (0,) * (len(exps) - i - 1)] = c
    return all(sign(ctx.from_dict(d), point[: i + 1], deadline) == 0 for d in grouped.values())


def lazard_evaluation(f: Poly, point: Point, deadline: Deadline = NO_LIMIT) -> tuple[Poly, bool]:
    """f after Lazard evaluation at the point: rational coordinates substituted,
    irrational ones symbolic, nullification removed by differentiation (step 1 above); and
    whether f was nullified, i.e. f(α, ·) ≡ 0 (some differentiation was needed)."""
    nullified = False
    for i, a in enumerate(point):
        while True:
            h = f.subs({i: to_fmpq(a)}) if not isinstance(a, RealAlgebraic) and f.degrees()[i] else f
            if not _vanishes(h, i, point, deadline):
                f = h
                break
            f, nullified = f.derivative(i), True
    return f, nullified


def _univariate(p: Poly, i: int) -> list[flint.fmpq]:
    cs = coefficients(p, i)
    return [_constant(cs[e]) if e in cs else flint.fmpq(0) for e in range(max(cs) + 1)]


def _minimal(ctx: flint.fmpq_mpoly_ctx, a: RealAlgebraic, i: int) -> Poly:
    n = ctx.nvars()
    return ctx.from_dict({tuple(e if j == i else 0 for j in range(n)): c for e, c in enumerate(a.coeffs) if c})


def _eliminate(g: Poly, numbers: dict[int, RealAlgebraic], main: int) -> list[flint.fmpq]:
    """Coefficients of Π over conjugates: iterated resultants with minimal polynomials."""
    ctx = g.context()
    for i, a in numbers.items():
        g = g.resultant(_minimal(ctx, a, i), i)
    return [] if g.is_zero() else _univariate(g, main)


def _coefficientwise(cs: dict[int, Poly], point: Point, deadline: Deadline) -> list[flint.fmpq]:
    """Step 4: the candidate polynomial from the exact values of the coefficients."""
    values = {e: evaluate(c, list(point) + [Fraction(0)], lambda: check_deadline(deadline)) for e, c in cs.items()}
    names = tuple(f"y{e}" for e in values) + ("x",)
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    gens = ctx.gens()
    x, main = gens[-1], len(names) - 1
    g, algebraic = ctx.from_dict({}), {}
    for j, (e, v) in enumerate(values.items()):
        if isinstance(v, RealAlgebraic):
            g += gens[j] * x**e
            algebraic[j] = v
        else:
            g += to_fmpq(v) * x**e
    return _eliminate(g, algebraic, main)


def fibre(f: Poly, point: Point, deadline: Deadline = NO_LIMIT) -> tuple[list[Number], bool]:
    """The distinct real roots, ascending, of f(α, x_{k+1}) after Lazard evaluation (k = len(point)),
    and whether f is nullified over the point (f(α, ·) ≡ 0). If it is not, the roots are exactly
    those of f(α, ·): Lazard evaluation only substituted rationals."""
    k = len(point)
    g, nullified = lazard_evaluation(f, point, deadline)
    cs = {e: c for e, c in coefficients(g, k).items() if sign(c, point, deadline) != 0}
    if max(cs, default=0) == 0:
        return [], nullified
    if len(cs) == 1:
        return [Fraction(0)], nullified
    g = _join(cs, k, g.context())
    algebraic = {i: _algebraic(point[i]) for i, e in enumerate(g.degrees()[:k]) if e}
    if not algebraic:
        return real_roots(_univariate(g, k)), nullified
    check_deadline(deadline)
    coeffs = _eliminate(g, algebraic, k) or _coefficientwise(cs, point, deadline)
    check_deadline(deadline)
    return _select_roots(g, point, real_roots(coeffs), deadline), nullified


def _select_roots(g: Poly, point: Point, candidates: list[Number], deadline: Deadline) -> list[Number]:
    """The candidates (the distinct real roots, ascending, of R, whose roots include those of
    g(α, x)) that are roots of g(α, x).  Rationals s_0 < r_1 < s_1 < … < r_m < s_m separate
    the candidates; R(s_j) ≠ 0, so g(α, s_j) ≠ 0 and its sign is found by enclosures alone.  A
    sign change of g(α, ·) on (s_{j-1}, s_j) puts a root there, and r_j is the only root of R
    there; otherwise r_j is either no root (an enclosure of g(α, r_j) excludes 0) or a root
    of even multiplicity (exact evaluation)."""
    bounds: list[Number | None] = [None, *candidates, None]
    cuts = [between(a, b) for a, b in zip(bounds, bounds[1:])]
    sides = [sign(g, [*point, s], deadline, nonzero=True) for s in cuts]
    return [r for j, r in enumerate(candidates)
            if sides[j] != sides[j + 1] or sign(g, [*point, r], deadline) == 0]


def _join(cs: dict[int, Poly], k: int, ctx: flint.fmpq_mpoly_ctx) -> Poly:
    x = ctx.gens()[k]
    total = ctx.from_dict({})
    for e, c in cs.items():
        total += c * x**e
    return total


def _simplest_between(u: Fraction, v: Fraction) -> Fraction:
    """The rational of smallest denominator, then smallest absolute value, in (u, v), u < v."""
    if u < 0 < v:
        return Fraction(0)
    if v <= 0:
        return -_simplest_between(-v, -u)
    fl = Fraction(u.numerator // u.denominator)
    if fl + 1 < v:
        return fl + 1
    if u == fl:  # (fl, v) with v <= fl + 1: fl + 1/n for the least n with 1/n < v − fl
        return fl + Fraction(1, int(1 / (v - fl)) + 1)
    return fl + 1 / _simplest_between(1 / (v - fl), 1 / (u - fl))


def _upper(x: Number) -> Fraction:
    return x.interval[1] if isinstance(x, RealAlgebraic) else x


def _lower(x: Number) -> Fraction:
    return x.interval[0] if isinstance(x, RealAlgebraic) else x


def between(a: Number | None, b: Number | None) -> Fraction:
    """A simple rational strictly between a and b (None: unbounded on that side)."""
    if a is None and b is None:
        return Fraction(0)
    if a is None:
        assert b is not None
        return Fraction(0) if b > 0 else Fraction(_lower(b).__floor__() - 1)
    if b is None:
        return Fraction(0) if a < 0 else Fraction(_upper(a).__ceil__() + 1)
    while _upper(a) >= _lower(b):
        for x in (a, b):
            if isinstance(x, RealAlgebraic):
                lo, hi = x.interval
                x.refine((hi - lo) / 4)
    return _simplest_between(_upper(a), _lower(b))


StackCell = tuple[int, Number, frozenset[int]]


def stack(polys: list[Poly], point: Point, deadline: Deadline = NO_LIMIT) -> list[StackCell]:
    """The cells of the stack over the point: (index, sample, zeros) with index 1, 2, …, 2r + 1
    (even: section at a root, odd: sector with a rational sample); zeros are the positions in
    `polys` of the polynomials that vanish at the sample: those nullified over the point, and
    at a section those with a root there (the others have no root there: `fibre`)."""
    found: list[tuple[Number, int]] = []
    nullified: set[int] = set()
    for j, f in enumerate(polys):
        roots, zero = fibre(f, point, deadline)
        if zero:
            nullified.add(j)
        found += [(r, j) for r in roots]
    found.sort(key=lambda rj: rj[0])
    distinct: list[Number] = []
    zeros: list[set[int]] = []
    for r, j in found:
        if not distinct or r != distinct[-1]:
            distinct.append(r)
            zeros.append(set(nullified))
        zeros[-1].add(j)
    out: list[StackCell] = []
    bounds = [None, *distinct, None]
    for j in range(len(distinct) + 1):
        out.append((2 * j + 1, between(bounds[j], bounds[j + 1]), frozenset(nullified)))
        if j < len(distinct):
            out.append((2 * j + 2, distinct[j], frozenset(zeros[j])))
    return out
