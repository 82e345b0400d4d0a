"""The CAD backend: known cell counts, exact samples, projections, agreement with Z3 and QEPCAD B."""

from __future__ import annotations

import functools
import operator
from fractions import Fraction

import flint
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn import backends
from etr_nn.cad import CAD, cells, decide, project, qepcad
from etr_nn.encode.direct import encode
from etr_nn.exact import RealAlgebraic, real_roots
from etr_nn.generate import planted
from etr_nn.instance import Shape
from etr_nn.poly import And, Atom, Or, System
from etr_nn.solve import solve

XY = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
x, y = XY.gens()
XYZ = flint.fmpq_mpoly_ctx.get(("x", "y", "z"), "lex")


def test_circle_has_13_cells():
    # x in (-oo,-1): 1 cell; x = -1: y<0, y=0, y>0; (-1,1): 5; x = 1: 3; (1,oo): 1
    found = list(CAD([x**2 + y**2 - 1], XY).cells())
    assert len(found) == 13
    assert sorted(c.dimension for c in found) == [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert [c.index for c in found if c.dimension == 0] == [(2, 2), (4, 2)]


@pytest.mark.parametrize("coeffs", [[-2, 0, 1], [0, -1, 0, 1], [1, 0, 1], [6, -5, 1], [-2, 3, 0, -1, 1], [5]])
def test_univariate_cell_count(coeffs):
    ctx = flint.fmpq_mpoly_ctx.get(("x",), "lex")
    (t,) = ctx.gens()
    p = sum((c * t**e for e, c in enumerate(coeffs)), ctx.from_dict({}))
    r = len(real_roots(coeffs))
    found = list(CAD([p], ctx).cells())
    assert len(found) == 2 * r + 1
    assert [c.sample[0] for c in found if c.dimension == 0] == real_roots(coeffs)


def test_sphere_cell_count():
    # R^1: 5 cells; R^2: 1 + 5 + 13 + 5 + 1 = 25 (over x = ±1: y<0, y=0, y>0 with 1, 3, 1 z-cells)
    a, b, c = XYZ.gens()
    sphere = a**2 + b**2 + c**2 - 1
    found = list(CAD([sphere], XYZ).cells())
    assert len(found) == 25
    on = [cell for cell in found if System(XYZ, Atom(sphere, "=")).holds(dict(zip("xyz", cell.sample)))]
    assert len(on) == 6 and sorted(cell.dimension for cell in on) == [0, 0, 1, 1, 2, 2]


def test_x_squared_is_two_gives_two_root_samples():
    sols = cells(System(XY, Atom(x**2 - 2, "=")), order=["x", "y"])
    xs = [c.sample["x"] for c in sols]
    assert len(xs) == 2 and all(isinstance(v, RealAlgebraic) and v * v == 2 for v in xs)
    assert xs[0] < 0 < xs[1]
    assert all(c.dimension == 1 for c in sols)
    answer = decide(System(XY, And((Atom(x**2 - 2, "="), Atom(x, ">")))))
    assert answer.status == "sat" and answer.point["x"] ** 2 == 2 and answer.point["x"] > 0


def test_disc_solution_cells():
    sols = cells(System(XY, Atom(x**2 + y**2 - 1, "<=")))
    assert len(sols) == 5  # (-1, 0), (1, 0) and the 3 cells over -1 < x < 1
    assert max(c.dimension for c in sols) == 2


def test_projection_of_disc():
    (piece,) = project(System(XY, Atom(x**2 + y**2 - 1, "<=")), "x")
    assert (piece.lo, piece.hi, piece.lo_closed, piece.hi_closed) == (-1, 1, True, True)
    (piece,) = project(System(XY, Atom(x**2 + y**2 - 1, "<")), "x")
    assert (piece.lo, piece.hi, piece.lo_closed, piece.hi_closed) == (-1, 1, False, False)


def test_projection_of_product_on_circle():
    (piece,) = project(System(XY, Atom(x**2 + y**2 - 1, "=")), x * y)
    assert (piece.lo, piece.hi, piece.lo_closed, piece.hi_closed) == (Fraction(-1, 2), Fraction(1, 2), True, True)


def test_projection_unbounded_and_points():
    pieces = project(System(XY, Or((Atom(x * y - 1, "="), Atom(x**2 - 2, "=")))), "x")
    assert [str(p) for p in pieces] == ["(-oo, 0)", "(0, oo)"]
    pieces = project(System(XY, And((Atom(x * y - 1, "="), Atom(y**2 - 2, "=")))), "x")
    assert len(pieces) == 2 and all(p.lo == p.hi and p.lo**2 == Fraction(1, 2) for p in pieces)
    pieces = project(System(XY, And((Atom(x * y - 1, "="), Atom(y, ">")))), "x")
    assert [(p.lo, p.hi, p.lo_closed) for p in pieces] == [(0, None, False)]
    assert project(System(XY, Atom(x**2 + y**2 + 1, "<=")), "y") == []


def test_nullification_is_handled():
    # x·z − y vanishes identically over the line x = y = 0 (a 1-dimensional cell in
    # R^2 of the order x, z, y would not show it; in the order (x, y, z) the fibre over
    # (0, 0) is all of R): Lazard evaluation differentiates instead of failing.
    a, b, c = XYZ.gens()
    system = System(XYZ, And((Atom(a * c - b, "="), Atom(a, "="), Atom(c - 3, ">"))))
    found = cells(system, order=["x", "y", "z"])
    assert found and all(system.holds(cell.sample) for cell in found)
    assert decide(system).status == "sat"


def test_dependent_algebraic_coordinates():
    # y = -x = -sqrt 2: the conjugate tuple (sqrt 2, sqrt 2) nullifies (x - y)·z + x² - 2 + x - y,
    # so the iterated resultant vanishes and the coefficient-wise elimination takes over
    a, b, c = XYZ.gens()
    system = System(XYZ, And((Atom(a**2 - 2, "="), Atom(a + b, "="), Atom(a, ">"),
                              Atom((a - b) * c + a**2 - 2 + a - b, "="))))
    answer = decide(system)
    assert answer.status == "sat" and system.holds(answer.point)
    sols = cells(system, order=["x", "y", "z"])
    assert len(sols) == 1 and sols[0].dimension == 0 and sols[0].sample["z"] == -1


def _poly(draw, ctx, degree):
    gens = ctx.gens()
    p = ctx.from_dict({})
    for _ in range(draw(st.integers(1, 4))):
        term = ctx.from_dict({(0,) * ctx.nvars(): draw(st.integers(-3, 3))})
        for g in gens:
            term *= g ** draw(st.integers(0, degree))
        p += term
    return p


@st.composite
def systems(draw):
    ctx = XY if draw(st.booleans()) else XYZ
    atoms = [Atom(_poly(draw, ctx, 2 if ctx is XY else 1), draw(st.sampled_from(["=", "<", "<=", ">", "!="])))
             for _ in range(draw(st.integers(1, 3)))]
    if len(atoms) == 3 and draw(st.booleans()):
        return System(ctx, Or((And(tuple(atoms[:2])), atoms[2])))
    return System(ctx, And(tuple(atoms)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_agrees_with_z3(system):
    ours = decide(system, timeout=20)
    theirs = backends.get("z3").check(system, 20)
    if "unknown" in (ours.status, theirs.status):
        return
    assert ours.status == theirs.status
    if ours.status == "sat":
        assert system.holds(ours.point)


@pytest.mark.parametrize("k,m,n", [(1, 1, 3), (2, 1, 3), (1, 2, 3), (2, 2, 2)])
def test_planted_instances_solve(k, m, n):
    instance, _ = planted(Shape(1, k, m), n, seed=0)
    solution = solve(instance, backend="cad", timeout=30)
    assert solution.status == "sat" and solution.verified


def test_xor_one_neuron_unsat_two_sat():
    from etr_nn.instance import loads

    text = ('{"format": "etr-nn/instance/1", "name": "xor", "network": {"inputs": 2, "hidden": 2, "outputs": 1},'
            ' "data": [{"x": [0, 0], "y": [0]}, {"x": [0, 1], "y": [1]}, {"x": [1, 0], "y": [1]}, {"x": [1, 1], "y": [0]}]}')
    xor = loads(text)
    assert solve(xor, backend="cad", timeout=30).status == "sat"
    assert solve(xor.with_hidden(1), backend="cad", timeout=30).status == "unsat"


def test_encoded_cases_agree_with_z3():
    instance, _ = planted(Shape(1, 1, 2), 3, seed=1)
    for case in encode(instance):
        ours, theirs = decide(case.system, 30), backends.get("z3").check(case.system, 30)
        assert ours.status == theirs.status


def _qepcad_cases() -> list[System]:
    a, b, c = XYZ.gens()
    half = flint.fmpq(1, 2)
    return [
        System(XY, And((Atom(x**2 + y**2 - 1, "<"), Atom(x * y - half, ">")))),
        System(XY, And((Atom(x**2 + y**2 - 1, "<="), Atom(x * y - half, ">=")))),
        System(XY, And((Atom(y**2 - x**3 + x, "="), Atom(x + half, "<"), Atom(x + 1, ">")))),
        System(XY, And((Atom(y - x**2, ">"), Atom(y + x**2 - 1, "<"), Atom(x - 1, ">")))),
        System(XY, Or((And((Atom(x**2 - 2, "="), Atom(y**2 - 3, "="), Atom(x * y - 2, ">"))),
                       Atom(x**4 + y**4 + 1, "<")))),
        System(XYZ, And((Atom(a**2 + b**2 + c**2 - 1, "="), Atom(a * b * c - half / 4, ">")))),
        System(XYZ, And((Atom(a**2 + b**2 + c**2 - 1, "<="), Atom(a + b + c - 2, ">")))),
        System(XYZ, And((Atom(a * b - 1, "="), Atom(b * c - 1, "="), Atom(a + c, "="), Atom(a - 1, "!=")))),
    ]


@pytest.mark.skipif(not qepcad.available(), reason="QEPCAD B (passagemath-qepcad) not installed")
@pytest.mark.parametrize("system", _qepcad_cases())
def test_agrees_with_qepcad(system):
    ours = decide(system, timeout=30)
    assert ours.status == qepcad.decide(system, timeout=30)
    if ours.status == "sat":
        assert system.holds(ours.point)


@pytest.mark.slow
@pytest.mark.parametrize("k,m", [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_encoded_cases_of_random_labels_agree_with_z3(k, m):
    import random

    from etr_nn.generate import random_points
    from etr_nn.instance import Instance

    for seed in range(3):
        rng = random.Random(seed)
        points = random_points(3, 1, rng)
        labels = tuple(tuple(Fraction(rng.randint(-3, 3)) for _ in range(m)) for _ in points)
        instance = Instance(f"random-{seed}", Shape(1, k, m), tuple(points), labels)
        for case in encode(instance):
            ours, theirs = decide(case.system, 60), backends.get("z3").check(case.system, 60)
            assert "unknown" in (ours.status, theirs.status) or ours.status == theirs.status
            if ours.status == "sat":
                assert case.system.holds(ours.point)


@given(st.fractions(min_value=-5, max_value=5, max_denominator=30), st.fractions(min_value=0, max_value=3,
                                                                                 max_denominator=30).filter(bool))
def test_simplest_between_is_the_least_denominator_rational_in_the_interval(u: Fraction, width: Fraction) -> None:
    from etr_nn.cad.lifting import _simplest_between

    v = u + width
    r = _simplest_between(u, v)
    assert u < r < v
    q = next(q for q in range(1, r.denominator + 1)
             if any(u < Fraction(p, q) < v for p in range(int(u * q) - 1, int(v * q) + 2)))
    assert q == r.denominator
    assert abs(r) == min(abs(Fraction(p, q)) for p in range(int(u * q) - 1, int(v * q) + 2) if u < Fraction(p, q) < v)


def test_simplest_between_takes_no_time_on_tiny_gaps() -> None:
    """Once linear in 1/gap: points near 10¹² made the CAD's sample choice run for hours."""
    from etr_nn.cad.lifting import _simplest_between

    u = Fraction(10**12)
    assert _simplest_between(u, u + Fraction(1, 10**15)) == u + Fraction(1, 10**15 + 1)
    x = Fraction(10**12, 3)
    assert x < _simplest_between(x, x + Fraction(1, 10**18)) < x + Fraction(1, 10**18)


WXYZ = flint.fmpq_mpoly_ctx.get(("w", "x", "y", "z"), "lex")


@st.composite
def linear_heavy_systems(draw):
    """Several linear equations (eliminated together), a bilinear equation and inequalities."""
    gens = WXYZ.gens()

    def affine():
        return sum((draw(st.integers(-2, 2)) * g for g in gens), WXYZ.from_dict({(0, 0, 0, 0): draw(st.integers(-3, 3))}))
    atoms = [Atom(affine(), "=") for _ in range(draw(st.integers(1, 3)))]
    atoms.append(Atom(gens[draw(st.integers(0, 3))] * gens[draw(st.integers(0, 3))] - draw(st.integers(-2, 2)), "="))
    atoms += [Atom(affine(), draw(st.sampled_from([">=", ">", "!="]))) for _ in range(draw(st.integers(0, 2)))]
    return System(WXYZ, And(tuple(atoms)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linear_heavy_systems())
def test_linear_elimination_keeps_the_solutions(system):
    """Equisatisfiable: no branch when Z3 finds the system unsat only; each branch's formula (decided by Z3)
    unsat when the system is, and a solution of it, completed with the eliminated variables, a solution of
    the system."""
    from etr_nn.cad.eliminate import branches

    z3 = backends.get("z3")
    pieces = list(branches(system.formula))
    whole = z3.check(system, 20).status
    assert pieces or whole == "unsat"
    for piece in pieces:
        if piece.formula is True:
            point = [Fraction(0)] * 4
        else:
            answer = z3.check(System(WXYZ, piece.formula), 20)
            assert not (answer.status == "sat" and whole == "unsat")
            if answer.status != "sat":
                continue
            point = [answer.point.get(name, Fraction(0)) for name in system.names]
        assert system.holds(dict(zip(system.names, piece.complete(point))))


# --- equational constraints ----------------------------------------------------------------

def test_equational_projection_is_smaller_and_keeps_the_solutions():
    a, b, c = XYZ.gens()
    sphere, cone, plane = a**2 + b**2 + c**2 - 1, c**2 - a * b, a + 2 * b - c
    full = CAD([sphere, cone, plane], XYZ)
    reduced = CAD([sphere, cone, plane], XYZ, equation=sphere)
    assert reduced.factors[2] == [sphere] and len(reduced.factors[0]) < len(full.factors[0])
    # on the sphere: cone ≥ 0 and plane = 0, sat; cone > 1 is beyond the sphere (c² ≤ 1, ab ≥ -1/2), unsat
    for formula, answer in [(And((Atom(sphere, "="), Atom(cone, ">="), Atom(plane, "="))), "sat"),
                            (And((Atom(sphere, "="), Atom(cone - 2, ">"))), "unsat")]:
        assert decide(System(XYZ, formula)).status == answer


def test_equational_projection_falls_back_where_a_resultant_vanishes():
    """res_y(y - x, y - x²) = x - x² vanishes at x = 1, the one solution's cell: the reduced
    decomposition refuses that cell (Unreduced) and the search redoes it with the full projection."""
    from etr_nn.cad.core import Unreduced

    with pytest.raises(Unreduced):
        list(CAD([y - x, y - x**2], XY, equation=y - x).cells())
    answer = decide(System(XY, And((Atom(y - x, "="), Atom(y - x**2, "="), Atom(2 * x - 1, ">")))))
    assert answer.status == "sat" and answer.point == {"x": 1, "y": 1}


def _equational(draw: st.DrawFn) -> System:
    """1–2 equations of degree 2 in every term (no linear elimination applies) and 1–3 other
    atoms over 2–3 variables, sometimes a disjunction."""
    ctx = XY if draw(st.booleans()) else XYZ
    gens = ctx.gens()

    def poly(degree: int | None) -> flint.fmpq_mpoly:
        p = ctx.from_dict({}) + draw(st.integers(-3, 3))
        for _ in range(draw(st.integers(1, 3))):
            factors = [draw(st.sampled_from(gens)) for _ in range(draw(st.integers(0, 2)) if degree is None else degree)]
            p += draw(st.sampled_from([-3, -2, -1, 1, 2, 3])) * functools.reduce(operator.mul, factors, ctx.from_dict({}) + 1)
        return p

    atoms = [Atom(poly(2), "=") for _ in range(draw(st.integers(1, 2)))]
    atoms += [Atom(poly(None), draw(st.sampled_from(["<", "<=", ">", ">=", "!="]))) for _ in range(draw(st.integers(1, 3)))]
    atoms = [a for a in atoms if not a.poly.is_constant()] or [Atom(gens[0], "=")]
    if draw(st.booleans()):
        atoms.append(Or((Atom(poly(None) + gens[-1], "<"), Atom(poly(None) + gens[0], "="))))
    return System(ctx, And(tuple(atoms)))


equational_systems = st.composite(_equational)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(equational_systems())
def test_equational_projection_agrees_with_z3(system):
    ours = decide(system, timeout=10)
    theirs = backends.get("z3").check(system, 10)
    if "unknown" not in (ours.status, theirs.status):
        assert ours.status == theirs.status
    if ours.status == "sat":
        assert system.holds(ours.point)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(equational_systems())
def test_equational_projection_agrees_with_z3_at_length(system):
    test_equational_projection_agrees_with_z3.hypothesis.inner_test(system)


# --- sign rules ----------------------------------------------------------------------------

def _random_poly(rng, gens, ctx, positive: bool = False):
    """A random polynomial of degree ≤ 4; with `positive`, positive coefficients and a positive constant."""
    total = ctx.from_dict({})
    for _ in range(rng.randint(1, 5)):
        c = rng.randint(1, 5) if positive else rng.choice([-3, -2, -1, 1, 2, 3])
        total += c * functools.reduce(operator.mul, (rng.choice(gens) for _ in range(rng.randint(0, 4))), ctx.from_dict({(0, 0, 0): 1}))
    return total + (1 if positive else 0)


def _bound(rng, g, value: Fraction) -> Atom:
    """A bound a·x + b rel 0 on one variable that holds at x = value (a, b rational)."""
    a = rng.choice([-2, -1, 1, 3])
    b = Fraction(rng.randint(-4, 4), rng.randint(1, 2))
    v = a * value + b
    holds = {"<": v < 0, "<=": v <= 0, ">": v > 0, ">=": v >= 0}
    rel = rng.choice([r for r, ok in holds.items() if ok])
    return Atom(a * g + flint.fmpq(b.numerator, b.denominator), rel)


@pytest.mark.parametrize("seed", range(4))
def test_sign_rules_never_refute_a_conjunction_with_a_point(seed: int) -> None:
    """Soundness: conjunctions built around a point (bounds and atoms that hold there, the point's
    coordinates of every sign and 0) are never refuted; the rule's power: p = 0 and p < 0 for p with
    positive coefficients under positive bounds are refuted."""
    import random

    from etr_nn.cad.eliminate import refuted_by_signs

    rng = random.Random(seed)
    gens = XYZ.gens()
    for _ in range(150):
        point = [Fraction(rng.choice([-2, -1, 0, 0, 1, 2, 3]), rng.randint(1, 3)) for _ in gens]
        atoms = [_bound(rng, gens[i], point[i]) for i in rng.sample(range(3), rng.randint(1, 3))]
        for _ in range(rng.randint(1, 3)):
            p = _random_poly(rng, gens, XYZ, positive=rng.random() < 0.5)
            v = p(*[flint.fmpq(c.numerator, c.denominator) for c in point])
            atoms.append(Atom(p, rng.choice([r for r in ("=", "!=", "<", "<=", ">", ">=")
                                              if {"=": v == 0, "!=": v != 0, "<": v < 0, "<=": v <= 0,
                                                  ">": v > 0, ">=": v >= 0}[r]])))
        rng.shuffle(atoms)
        assert not refuted_by_signs(tuple(atoms)), (atoms, point)
    refuted = 0
    for _ in range(50):
        bounds = tuple(Atom(g - rng.randint(0, 2), rng.choice([">", ">="])) for g in gens)
        p = _random_poly(rng, gens, XYZ, positive=True)
        refuted += refuted_by_signs(bounds + (Atom(p, rng.choice(["=", "<", "<="])),))
    assert refuted == 50


def test_sign_refutations_agree_with_z3() -> None:
    """Differential: every conjunction of random bounds and atoms that the sign rules refute is unsat
    for Z3 (300 random conjunctions, of which the rules must refute some)."""
    import random

    from etr_nn.cad.eliminate import refuted_by_signs

    rng = random.Random(7)
    gens = XYZ.gens()
    z3 = backends.get("z3")
    refuted = 0
    for _ in range(300):
        atoms = [Atom(rng.choice([-1, 1, 2]) * g + rng.randint(-2, 2), rng.choice(["<", "<=", ">", ">="]))
                 for g in gens if rng.random() < 0.8]
        atoms += [Atom(_random_poly(rng, gens, XYZ, positive=rng.random() < 0.3),
                       rng.choice(["=", "<", "<=", ">", ">="])) for _ in range(rng.randint(1, 2))]
        if refuted_by_signs(tuple(atoms)):
            refuted += 1
            assert z3.check(System(XYZ, And(tuple(atoms))), 20).status == "unsat", atoms
    assert refuted >= 30
