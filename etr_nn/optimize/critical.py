"""Exact critical points of a rational function on an affine face, by elimination.

A local minimiser of g = N/D (D > 0) relative to the face {ℓ = 0 : ℓ ∈ active} of a
polyhedral cell is a critical point of g restricted to that affine space. With the face
parametrised exactly, θ = θ0 + B·u (u ∈ Qᶠ, from the reduced row echelon form of the
active rows), it solves the square system

    E_i(u) = D·∂N/∂u_i − N·∂D/∂u_i = 0,   i = 1 … f.

For f ≤ 2 it is solved by elimination, next to a float minimiser: f = 0 is the rational
vertex; f = 1 a root α of E; f = 2 a root α of the resultant Res_{u2}(E1, E2) (every
common root projects to one), then u2 the root of gcd(E1(α, u2), E2(α, u2)), computed
over Q(α). Every coordinate of the point lies in the one number field Q(α), so the
network built there, and its loss, are computed in Q(α) (`etr_nn.exact.NumberField`).
Nothing here is trusted: the caller computes the network's loss exactly, and optimality
rests on the refutations, not on this point.

`local_minimum` proves that such a point is a minimum on a small box (convexity and the
KKT conditions, checked exactly), so that the refutations elsewhere need only a rational
bound instead of the algebraic value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import flint

from etr_nn.exact import Number, RealAlgebraic, from_fmpq, real_roots, to_fmpq
from etr_nn.exact.algebraic import NumberField
from etr_nn.optimize.hidden import determinant, solve_linear
from etr_nn.poly import Atom, Or, evaluate

Poly = flint.fmpq_mpoly
NEAR = 1e-3  # a root is next to the float minimiser when within NEAR·(1 + |x|)
CANDIDATES = 4  # roots of the eliminant tried, nearest first


def critical_point(numerator: Poly, denominator: Poly, active: Sequence[Poly], variables: Sequence[str],
                   guess: Sequence[float]) -> dict[str, Number] | None:
    """A critical point of N/D on {ℓ = 0 : ℓ ∈ active} next to `guess` (the variables' float
    values; the context's other variables are set to 0), with D ≠ 0 there; None if the face
    has more than two dimensions, its rows are inconsistent, or no such point is found."""
    ctx = numerator.context()
    face = parametrise(active, variables)
    if face is None or len(face[1]) > 2:
        return None
    coordinates, free = face
    names = [variables[j] for j in free]
    chart = flint.fmpq_mpoly_ctx.get(tuple(names) or ("u",), "lex")
    position = {name: i for i, name in enumerate(variables)}
    args = [coordinates[position[name]].poly(chart) if name in position else chart.from_dict({}) for name in ctx.names()]
    n, d = numerator.compose(*args, ctx=chart), denominator.compose(*args, ctx=chart)
    equations = [d * n.derivative(i) - n * d.derivative(i) for i in range(len(names))]
    target = [guess[j] for j in free]
    for u in _solutions(equations, target):
        values = dict(zip(names, u))
        point = [coordinate.at(values) for coordinate in coordinates]
        full = [point[position[name]] if name in position else Fraction(0) for name in ctx.names()]
        if evaluate(denominator, full) != 0:
            return dict(zip(variables, point))
    return None


@dataclass(frozen=True)
class Box:
    """The cube |θ_i − centre_i| ≤ radius."""

    variables: tuple[str, ...]
    centre: tuple[Fraction, ...]
    radius: Fraction

    def outside(self, ctx: flint.fmpq_mpoly_ctx) -> Or:
        gens = dict(zip(ctx.names(), ctx.gens()))
        return Or(tuple(Atom(gens[v] - to_fmpq(c + side * self.radius), "<" if side < 0 else ">")
                        for v, c in zip(self.variables, self.centre) for side in (-1, 1)))


RADII = [Fraction(1, 10 ** e) for e in (3, 5, 7, 9)]  # relative box sizes tried


def local_minimum(numerator: Poly, denominator: Poly, active: Sequence[Poly], variables: Sequence[str],
                  point: Sequence[Number]) -> Box | None:
    """A box B around θ* = point with N/D ≥ N/D(θ*) on B ∩ {ℓ ≥ 0 : ℓ ∈ active}, where the
    active rows are linear, oriented, and vanish at θ*; None if not proved. Proof: D > 0 and
    the Hessian of N/D positive definite on B (leading principal minors of D³·∇²(N/D)
    positive), so N/D is convex on B; and ∇(N/D)(θ*) = Σ μ_ℓ ∇ℓ with every μ_ℓ ≥ 0 (KKT),
    so on B ∩ cell N/D(θ) ≥ N/D(θ*) + ∇(N/D)(θ*)·(θ − θ*) = N/D(θ*) + Σ μ_ℓ ℓ(θ) ≥ N/D(θ*).
    Positivity on B is shown at B's rational centre c: for |h_i| ≤ ρ,
    p(c + h) ≥ p(c) − Σ_{e ≠ 0} |a_e|·ρ^|e|, a_e the coefficients of p(c + h)."""
    ctx = numerator.context()
    values = [dict(zip(variables, point)).get(name, Fraction(0)) for name in ctx.names()]
    if any(evaluate(row, values) != 0 for row in active) or not _kkt(numerator, denominator, active, variables,
                                                                      values):
        return None
    index = [ctx.names().index(v) for v in variables]
    first = [(numerator.derivative(i), denominator.derivative(i)) for i in index]
    hessian = [[denominator * (denominator * ni.derivative(j) + first[b][1] * ni - first[b][0] * di
                               - numerator * di.derivative(j)) - 2 * first[b][1] * (denominator * ni - numerator * di)
                for b, j in enumerate(index)] for ni, di in first]
    positive = [denominator] + [determinant([row[:size] for row in hessian[:size]])
                                for size in range(1, len(index) + 1)]
    scale = 1 + max(abs(Fraction(float(x))) for x in point) if point else Fraction(1)
    centre = tuple(Fraction(float(x)) for x in point)
    for radius in [r * scale for r in RADII]:
        if all(c - radius < x < c + radius for x, c in zip(point, centre)) and all(
                _lower_bound(p, ctx, dict(zip(variables, centre)), radius) > 0 for p in positive):
            return Box(tuple(variables), centre, radius)
    return None


def _kkt(numerator: Poly, denominator: Poly, active: Sequence[Poly], variables: Sequence[str],
         values: list[Number]) -> bool:
    """D²·∇(N/D) = D·∇N − N·∇D at the point is Σ μ_ℓ ∇ℓ with every μ_ℓ ≥ 0 (exact)."""
    ctx = numerator.context()
    index = [ctx.names().index(v) for v in variables]
    n, d = evaluate(numerator, values), evaluate(denominator, values)
    gradient = [d * evaluate(numerator.derivative(i), values) - n * evaluate(denominator.derivative(i), values)
                for i in index]
    rows = [[coefficient(row, v) for v in variables] for row in active]
    if not rows:
        return all(g == 0 for g in gradient)
    normal: list[list[Number]] = [[sum((a * b for a, b in zip(u, v)), Fraction(0)) for v in rows] for u in rows]
    try:
        mu = solve_linear(normal, [sum((a * g for a, g in zip(u, gradient)), Fraction(0)) for u in rows])
    except StopIteration:  # dependent active rows
        return False
    return all(m >= 0 for m in mu) and all(
        sum((m * row[i] for m, row in zip(mu, rows)), Fraction(0)) == gradient[i] for i in range(len(index)))


def coefficient(linear: Poly, name: str | None) -> Fraction:
    """The coefficient of a variable (None: the constant term) in a linear polynomial."""
    names = linear.context().names()
    for exps, c in linear.terms():
        if (name is None and not any(exps)) or (name is not None and exps[names.index(name)]):
            return from_fmpq(c)
    return Fraction(0)


def _lower_bound(p: Poly, ctx: flint.fmpq_mpoly_ctx, centre: dict[str, Fraction], radius: Fraction) -> Fraction:
    """A lower bound of p on the cube of the given radius around the centre."""
    gens = dict(zip(ctx.names(), ctx.gens()))
    shifted = p.compose(*[gens[name] + to_fmpq(centre[name]) if name in centre else gens[name]
                          for name in ctx.names()])
    bound = Fraction(0)
    for exps, c in shifted.terms():
        a = from_fmpq(c)
        bound += a if not any(exps) else -abs(a) * radius ** int(sum(exps))
    return bound


class Coordinate:
    """θ_j = c + Σ a_v·u_v over the face's free coordinates u."""

    def __init__(self, constant: Fraction, terms: dict[str, Fraction]):
        self.constant, self.terms = constant, terms

    def poly(self, chart: flint.fmpq_mpoly_ctx) -> Poly:
        gens = dict(zip(chart.names(), chart.gens()))
        return sum((gens[v] * to_fmpq(a) for v, a in self.terms.items() if a), chart.constant(to_fmpq(self.constant)))

    def at(self, values: dict[str, Number]) -> Number:
        total: Number = self.constant
        for name, a in self.terms.items():
            if a:
                total = total + values[name] * a
        return total


def parametrise(active: Sequence[Poly],
                 variables: Sequence[str]) -> tuple[list[Coordinate], list[int]] | None:
    """θ = θ0 + B·u on the affine space where every active (linear) row vanishes: the
    reduced row echelon form solves the pivot coordinates for the free ones (u); None if
    the rows are inconsistent."""
    r = len(variables)
    rows = [[to_fmpq(coefficient(poly, name)) for name in (*variables, None)] for poly in active]
    pivots: dict[int, int] = {}
    reduced: list[list[flint.fmpq]] = []
    if rows:
        matrix, rank = flint.fmpq_mat(rows).rref()
        reduced = [[matrix[i, j] for j in range(r + 1)] for i in range(rank)]
        for i, row in enumerate(reduced):
            pivot = next(j for j, c in enumerate(row) if c != 0)
            if pivot == r:
                return None
            pivots[pivot] = i
    free = [j for j in range(r) if j not in pivots]
    coordinates = []
    for j in range(r):
        if j in pivots:
            row = reduced[pivots[j]]
            coordinates.append(Coordinate(-from_fmpq(row[r]), {variables[f]: -from_fmpq(row[f]) for f in free}))
        else:
            coordinates.append(Coordinate(Fraction(0), {variables[j]: Fraction(1)}))
    return coordinates, free


def _solutions(equations: list[Poly], target: list[float]) -> list[list[Number]]:
    """Common roots of the equations (at most two unknowns) next to the float target."""
    if not equations:
        return [[]]
    if len(equations) == 1:
        return [[x] for x in _nearest(_univariate(equations[0], 0), target[0])]
    first, second = equations
    eliminant = first.resultant(second, first.context().names()[1])
    if eliminant.is_zero():
        return []  # a common factor: a curve of critical points, not isolated
    out = []
    for x in _nearest(_univariate(eliminant, 0), target[0]):
        at = _Evaluator(x)
        rest = _gcd(_in_second(first, at), _in_second(second, at))
        if len(rest) == 2:
            y = -rest[0] / rest[1]
            if _near(y, target[1]):
                out.append([at.value, y])
    return out


class _Evaluator:
    """Evaluates rational polynomials at x, in Q(x) when x is irrational."""

    def __init__(self, x: Number):
        self.field = NumberField(x) if isinstance(x, RealAlgebraic) else None
        self.value: Number = self.field.generator if self.field else x

    def __call__(self, p: flint.fmpq_poly) -> Number:
        if self.field is not None:
            return self.field.element(p)
        return from_fmpq(p(to_fmpq(self.value)))  # type: ignore[arg-type]


def _nearest(coeffs: list[Fraction], target: float) -> list[Number]:
    """The polynomial's real roots within NEAR of target, nearest first (at most CANDIDATES)."""
    if not any(coeffs):
        return []
    roots = [x for x in real_roots(coeffs) if _near(x, target)]
    return sorted(roots, key=lambda x: abs(float(x) - target))[:CANDIDATES]


def _near(x: Number, target: float) -> bool:
    return abs(float(x) - target) <= NEAR * (1 + abs(target))


def _univariate(p: Poly, variable: int) -> list[Fraction]:
    """Coefficients (ascending) of a polynomial in one of its context's variables only."""
    coeffs: dict[int, Fraction] = {}
    for exps, c in p.terms():
        coeffs[exps[variable]] = from_fmpq(c)
    return [coeffs.get(i, Fraction(0)) for i in range(max(coeffs, default=0) + 1)]


def _in_second(p: Poly, at: _Evaluator) -> list[Number]:
    """p(x, y) as a polynomial in y (ascending, trailing zeros stripped), x evaluated."""
    by_power: dict[int, dict[int, flint.fmpq]] = {}
    for (i, j), c in p.terms():
        by_power.setdefault(j, {})[i] = c
    out = [at(flint.fmpq_poly([row.get(i, 0) for i in range(max(row) + 1)])) if (row := by_power.get(j)) else
           Fraction(0) for j in range(max(by_power, default=0) + 1)]
    return _stripped(out)


def _gcd(p: list[Number], q: list[Number]) -> list[Number]:
    """Greatest common divisor of two polynomials (coefficient lists) by Euclid's algorithm;
    exact over the field of the coefficients."""
    while q:
        p, q = q, _remainder(p, q)
    return p


def _remainder(p: list[Number], q: list[Number]) -> list[Number]:
    p = list(p)
    while len(p) >= len(q):
        factor = p[-1] / q[-1]
        shift = len(p) - len(q)
        for i, c in enumerate(q[:-1]):
            p[shift + i] = p[shift + i] - factor * c
        p = _stripped(p[:-1])
    return p


def _stripped(p: list[Number]) -> list[Number]:
    while p and p[-1] == 0:
        p = p[:-1]
    return p
