"""CAD lifting: signs at algebraic points by ball enclosures agree with exact evaluation,
fibre roots are the exact ones, and Hong's problem is decided."""

from __future__ import annotations

import random
from fractions import Fraction

import flint
import pytest

from benchmarks.check import closed_hong, hong
from etr_nn.cad import decide
from etr_nn.cad.core import CAD
from etr_nn.cad.lifting import enclosure, fibre, sign, substitute_rationals
from etr_nn.exact import Number, RealAlgebraic, real_roots
from etr_nn.poly import And, Atom, System
from etr_nn.poly.formula import evaluate
from etr_nn.poly.script import parse_script

XYZ = flint.fmpq_mpoly_ctx.get(("x", "y", "z"), "lex")
X, Y, Z = XYZ.gens()


def exact_sign(p: flint.fmpq_mpoly, point: list[Number]) -> int:
    v = evaluate(p, point)
    return (v > 0) - (v < 0)


def random_poly(rng: random.Random, names: int = 3, degree: int = 3) -> flint.fmpq_mpoly:
    terms = {}
    for _ in range(rng.randint(1, 5)):
        exps = [0] * 3
        for _ in range(rng.randint(0, degree)):
            exps[rng.randrange(names)] += 1
        terms[tuple(exps)] = flint.fmpq(rng.randint(-6, 6), rng.randint(1, 3))
    return XYZ.from_dict({e: c for e, c in terms.items() if c != 0})


def random_irrational(rng: random.Random, degree: int) -> RealAlgebraic:
    """An irrational real root of a random monic polynomial of this degree."""
    while True:
        coeffs = [rng.randint(-5, 5) for _ in range(degree)] + [1]
        found = [r for r in real_roots(coeffs) if isinstance(r, RealAlgebraic)]
        if found:
            return rng.choice(found)


def minimal(a: RealAlgebraic, var: flint.fmpq_mpoly) -> flint.fmpq_mpoly:
    return sum((c * var**e for e, c in enumerate(a.coeffs)), XYZ.from_dict({}))


def fresh(a: Number) -> Number:
    """The same number with its original (wide) isolating interval: every test starts unrefined."""
    return RealAlgebraic(list(a.coeffs), *a.isolating_interval) if isinstance(a, RealAlgebraic) else a


def seeds(count: int, fast: int) -> list[object]:
    """Seeds 0..count-1, those from `fast` on marked slow."""
    return [seed if seed < fast else pytest.param(seed, marks=pytest.mark.slow) for seed in range(count)]


@pytest.mark.parametrize("seed", seeds(6, 2))
def test_enclosure_signs_agree_with_exact_evaluation(seed: int) -> None:
    """Random polynomials at points with two or three algebraic coordinates (one of them a sum of
    the others, so that the coordinates are dependent), with many exact zeros: multiples of the
    minimal polynomials and of a relation between the coordinates, and products."""
    rng = random.Random(seed)
    zeros = 0
    for _ in range(60):
        a, b = random_irrational(rng, 2), random_irrational(rng, rng.choice([2, 3]))
        c = a + b
        point = [a, b, c]
        relation = Z - X - Y
        choices = [random_poly(rng), random_poly(rng) * minimal(a, X), random_poly(rng) * relation,
                   random_poly(rng) * relation + random_poly(rng, 2, 2) * minimal(b, Y),
                   random_poly(rng) * (random_poly(rng) + 1), random_poly(rng, 2) + relation**2]
        p = rng.choice(choices)
        want = exact_sign(p, point)
        zeros += want == 0
        assert sign(p, [fresh(v) for v in point]) == want, (str(p), point)
        if want != 0:
            assert sign(p, [fresh(v) for v in point], nonzero=True) == want
        ball = enclosure(substitute_rationals(p, point), [fresh(v) for v in point])
        assert not (ball > 0 and want <= 0) and not (ball < 0 and want >= 0)
    assert zeros >= 10


@pytest.mark.parametrize("seed", range(3))
def test_signs_at_one_algebraic_coordinate_agree_with_exact_evaluation(seed: int) -> None:
    """One irrational coordinate left after the rationals are substituted: p(α) = 0 is decided by
    divisibility by α's minimal polynomial, the nonzero sign by enclosures (also for values of
    ±10⁻⁶⁰, which the first enclosures do not separate from 0)."""
    rng = random.Random(200 + seed)
    zeros = 0
    for _ in range(40):
        a = random_irrational(rng, rng.choice([2, 3, 4]))
        r = Fraction(rng.randint(-3, 3), rng.randint(1, 2))
        y_r = Y - flint.fmpq(r.numerator, r.denominator)
        q = random_poly(rng, 2, 3)
        p = rng.choice([q, q * minimal(a, X), q * minimal(a, X) + y_r * random_poly(rng, 2, 2),
                        minimal(a, X) ** 2 + y_r**2, q * minimal(a, X) + flint.fmpq(rng.choice([-1, 1]), 10**60)])
        want = exact_sign(p, [a, r, Fraction(0)])
        zeros += want == 0
        assert sign(p, [fresh(a), r]) == want, (str(p), a, r)
    assert zeros >= 10


@pytest.mark.parametrize("seed", seeds(4, 2))
def test_fibre_roots_are_the_exact_roots(seed: int) -> None:
    """fibre's roots over an algebraic x equal the real roots of f(α, y) found by exact evaluation of
    every real root of Res_x(f, m_α), including roots of even multiplicity (squares of factors)."""
    rng = random.Random(100 + seed)
    for _ in range(25):
        a = random_irrational(rng, rng.choice([2, 3]))
        q = random_poly(rng, 2, 2)
        if q.degrees()[1] == 0:
            q += Y
        f = rng.choice([q, q**2 * (Y - 1), (Y**2 - X) * q, (Y - X) ** 2 * (Y + X)])
        resultant = f.resultant(minimal(a, X), 0)
        if resultant.is_zero():  # f(α, y) ≡ 0: Lazard evaluation's case, tested in test_cad
            continue
        uni = [flint.fmpq(0)] * (resultant.degrees()[1] + 1)
        for exps, c in resultant.terms():
            uni[exps[1]] = c
        want = [r for r in real_roots(uni) if exact_sign(f, [a, r, Fraction(0)]) == 0]
        assert fibre(f, [fresh(a)])[0] == want, (str(f), a)


@pytest.mark.parametrize("seed", [0, 3, 4, 5, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2, 6, 7))])
def test_cad_signs_from_the_stacks_agree_with_exact_evaluation(seed: int) -> None:
    """CAD.sign (a projection factor vanishes at a sample iff its stack put a root there or it is
    nullified over the cell below; nonzero signs by enclosures) equals exact evaluation at every
    cell, for random polynomials with shared factors, irrational sections (x² = 2, y² = x) and a
    nullified one (x·z − y over x = y = 0). The zeros must be hit, also at irrational samples."""
    rng = random.Random(300 + seed)
    a, b = random_poly(rng, 3, 2), random_poly(rng, 3, 2)
    polys = [p for p in (a, b, a * b, a * (Y**2 - X), X**2 - 2, Y**2 - X, X * Z - Y, X, Y,
                         random_poly(rng, 2, 2)) if not p.is_constant()]
    cad = CAD(polys, XYZ)
    zeros = irrational_zeros = 0
    for cell in cad.cells():
        for p in polys:
            want = exact_sign(p, list(cell.sample))
            assert cad.sign(p, cell.sample) == want, (str(p), cell.sample)
            zeros += want == 0
            irrational_zeros += want == 0 and any(isinstance(v, RealAlgebraic) for v in cell.sample)
    assert zeros >= 20 and irrational_zeros >= 5


@pytest.mark.parametrize("n", [5, 6])
def test_hong_is_unsat(n: int) -> None:
    [c] = parse_script(hong(n))
    assert decide(c.system, isolate=False).status == "unsat"


@pytest.mark.slow
@pytest.mark.parametrize("n", [7, 8])
def test_hong_is_unsat_up_to_8(n: int) -> None:
    [c] = parse_script(hong(n))
    assert decide(c.system, isolate=False).status == "unsat"


def test_closed_hong_lifts_over_algebraic_sections() -> None:
    """x1² + … + x4² ≤ 1 ∧ x1⋯x4 ≥ 1 (unsat): sections are not skipped."""
    text = closed_hong(4)
    [c] = parse_script(text)
    assert decide(c.system, isolate=False).status == "unsat"


def test_open_formulas_are_found_on_full_dimensional_cells() -> None:
    """Strict atoms only: the search skips sections; a formula with ≤ and ≥ is still searched
    everywhere (its only solutions here are the points (±1, ±1))."""
    xy = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
    x, y = xy.gens()
    sat = System(xy, And((Atom(x**2 + y**2 - 3, "<"), Atom(x * y - 1, ">"), Atom(x - y, "!="))))
    assert decide(sat, isolate=False).status == "sat"
    tangent = System(xy, And((Atom(x**2 + y**2 - 2, "<"), Atom(x * y - 1, ">"))))
    assert decide(tangent, isolate=False).status == "unsat"
    touching = System(xy, And((Atom(x**2 + y**2 - 2, "<="), Atom(x * y - 1, ">="))))
    answer = decide(touching, isolate=False)
    assert answer.status == "sat" and abs(answer.point["x"]) == 1
