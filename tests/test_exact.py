from fractions import Fraction

import pytest
import sympy
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn.exact import (
    RealAlgebraic,
    approx_str,
    from_json,
    from_sympy,
    from_z3,
    real_roots,
    sign,
    to_json,
    to_sympy,
)

t = sympy.Symbol("t")
SQRT2 = RealAlgebraic([-2, 0, 1], 1, 2)
SQRT3 = RealAlgebraic([-3, 0, 1], 1, 2)
PHI = RealAlgebraic([-1, -1, 1], 1, 2)
CBRT2 = RealAlgebraic([-2, 0, 0, 1], 1, 2)


def test_identities():
    two = SQRT2 * SQRT2
    assert two == 2 and type(two) is Fraction
    assert SQRT2 + (-SQRT2) == 0 and type(SQRT2 - SQRT2) is Fraction
    assert (SQRT2 / 2) * SQRT2 == 1
    assert PHI**2 == PHI + 1
    assert CBRT2**3 == 2 and CBRT2 * CBRT2 * CBRT2 == 2
    s = SQRT2 + SQRT3
    assert s.coeffs == (1, 0, -10, 0, 1)
    assert s > 3 and s < Fraction(315, 100)
    assert 1 / SQRT2 == SQRT2 / 2
    assert SQRT2**-2 == Fraction(1, 2)
    assert 3 - SQRT2 == -(SQRT2 - 3)
    assert abs(-SQRT2) == SQRT2 and sign(-SQRT2) == -1 and sign(Fraction(0)) == 0


def test_constructor_validation():
    with pytest.raises(ValueError, match="not irreducible"):
        RealAlgebraic([2, 0, -3, 0, 1], 1, 2)
    with pytest.raises(ValueError, match="0 real roots"):
        RealAlgebraic([-2, 0, 1], 2, 3)
    with pytest.raises(ValueError, match="2 real roots"):
        RealAlgebraic([-2, 0, 1], -2, 2)
    with pytest.raises(ValueError):
        RealAlgebraic([-2, 1], 1, 3)
    assert RealAlgebraic.from_poly_root([2, 0, -3, 0, 1], Fraction(6, 5), 2) == SQRT2
    assert RealAlgebraic.from_poly_root([2, 0, -3, 0, 1], Fraction(1, 2), Fraction(11, 10)) == 1
    assert RealAlgebraic([-4, 0, 2], 1, 2) == SQRT2  # normalized to primitive form


def test_comparison_hash_refine():
    narrow = SQRT2.refine(Fraction(1, 10**30))
    lo, hi = narrow.interval
    assert hi - lo <= Fraction(1, 10**30) and lo < SQRT2 < hi
    assert narrow == SQRT2 and hash(narrow) == hash(SQRT2)
    assert len({SQRT2, narrow, -SQRT2, SQRT3}) == 3
    assert SQRT2 != -SQRT2 and SQRT2 != Fraction(7, 5)
    assert Fraction(7, 5) < SQRT2 < Fraction(71, 50) and 1 <= SQRT2 <= SQRT3
    assert sorted([SQRT3, Fraction(3, 2), SQRT2, -SQRT2, 0]) == [-SQRT2, 0, SQRT2, Fraction(3, 2), SQRT3]


def test_approx_and_str():
    assert SQRT2.approx(30) == "1.41421356237309504880168872421"
    assert SQRT2.approx() == "1.41421356237"
    assert (-SQRT2 / 1000).approx(5) == "-0.0014142"
    assert approx_str(Fraction(-7, 2), 3) == "-3.50"
    assert approx_str(Fraction(0), 3) == "0"
    assert str(SQRT2) == "root of t^2 - 2 in [1, 2] ≈ 1.41421356"
    assert eval(repr(SQRT2)) == SQRT2
    assert float(SQRT2) == 2**0.5


def test_real_roots():
    roots = real_roots([2, 0, -3, 0, 1])  # (t^2 - 1)(t^2 - 2)
    assert roots == [-SQRT2, -1, 1, SQRT2]
    assert [type(r) for r in roots] == [RealAlgebraic, Fraction, Fraction, RealAlgebraic]
    assert real_roots([1, 0, 1]) == []
    assert real_roots([0, Fraction(-1, 4), 0, 1]) == [Fraction(-1, 2), 0, Fraction(1, 2)]
    # close roots: Mignotte-like polynomial t^5 - 2 (100 t - 1)^2
    p = sympy.Poly(t**5 - 2 * (100 * t - 1) ** 2, t)
    rs = real_roots([int(c) for c in reversed(p.all_coeffs())])
    assert [r.approx(20) for r in rs] == [str(sympy.N(r, 20)) for r in p.real_roots()]


def test_json_round_trip():
    for x in [Fraction(3), Fraction(-7, 2), SQRT2, -SQRT3 / 7, SQRT2 + SQRT3]:
        j = to_json(x)
        assert from_json(j) == x
    assert to_json(Fraction(-7, 2)) == "-7/2" and to_json(Fraction(3)) == "3"
    assert to_json(SQRT2) == {"root_of": [-2, 0, 1], "interval": ["1", "2"], "approx": "1.41421356237"}
    assert from_json(3) == 3 and from_json("1.25") == Fraction(5, 4) and from_json("-7/2") == Fraction(-7, 2)
    assert from_json({"root_of": [2, 0, -3, 0, 1], "interval": ["1.2", "2"]}) == SQRT2
    assert from_json({"root_of": [-1, 1], "interval": ["0", "2"]}) == 1
    bad = [
        {"root_of": [-2, 0, 1], "interval": ["-2", "2"]},  # two roots
        {"root_of": [-2, 0, 1], "interval": ["2", "3"]},  # no root
        {"root_of": [2, 0, -3, 0, 1], "interval": ["0", "2"]},  # two roots, different factors
        {"root_of": [-2, 0, 1]},
        {"root_of": [0, 0], "interval": ["0", "1"]},
        {"root_of": [-2, 0, 1], "interval": ["2", "1"]},
        "abc",
        0.5,
        True,
    ]
    for v in bad:
        with pytest.raises(ValueError):
            from_json(v)


def test_sympy_conversions():
    for x in [Fraction(-7, 2), SQRT2, -SQRT2, SQRT2 + SQRT3, CBRT2]:
        assert from_sympy(to_sympy(x)) == x
    assert to_sympy(-SQRT2) == -sympy.sqrt(2)  # a radical where the degree is 2
    assert to_sympy(CBRT2) == sympy.CRootOf(t**3 - 2, 0)
    assert from_sympy(sympy.sqrt(2)) == SQRT2
    assert from_sympy(sympy.sqrt(2) + sympy.sqrt(3)) == SQRT2 + SQRT3
    assert from_sympy((1 + sympy.sqrt(5)) / 2) == PHI
    assert from_sympy(sympy.cbrt(2)) == CBRT2
    with pytest.raises(ValueError):
        from_sympy(sympy.Integer(-2) ** sympy.Rational(1, 3))  # principal root is not real
    with pytest.raises(ValueError):
        from_sympy(sympy.pi)
    assert from_sympy(sympy.CRootOf(t**3 * (t**2 - 2), 1)) == 0  # multiplicity counts
    assert from_sympy(sympy.CRootOf(t**3 * (t**2 - 2), 4)) == SQRT2


def test_from_z3():
    x = z3.Real("x")
    s = z3.Solver()
    s.add(x * x == 2, x > 0)
    assert s.check() == z3.sat
    assert from_z3(s.model()[x]) == SQRT2
    s = z3.Solver()
    s.add(x * x * x == 2)
    assert s.check() == z3.sat
    assert from_z3(s.model()[x]) == CBRT2
    s = z3.Solver()
    s.add(x * x == 2, x < 0)
    assert s.check() == z3.sat
    assert from_z3(s.model()[x]) == -SQRT2
    assert from_z3(z3.RealVal("-7/2")) == Fraction(-7, 2) and from_z3(z3.IntVal(5)) == 5


def test_speed_sum_in_quadratic_field():
    import time

    xs = [SQRT2 * k + Fraction(k, 3) for k in range(1, 51)]
    start = time.perf_counter()
    total = Fraction(0)
    for v in xs:
        total = total + v
    assert time.perf_counter() - start < 0.5
    assert total == 1275 * SQRT2 + 425


# -- randomized comparison against SymPy ---------------------------------

polys = st.lists(st.integers(-6, 6), min_size=3, max_size=4).filter(lambda c: c[-1] != 0)


@st.composite
def algebraic(draw):
    """A random real root, as CRootOf of a random integer polynomial."""
    coeffs = draw(polys)
    theirs = list(dict.fromkeys(sympy.Poly(list(reversed(coeffs)), t).real_roots()))
    if not theirs:
        return draw(st.fractions(max_denominator=5, min_value=-5, max_value=5)), None
    i = draw(st.integers(0, len(theirs) - 1))
    return real_roots(coeffs)[i], theirs[i]


def _sym(pair):
    x, s = pair
    return sympy.Rational(x.numerator, x.denominator) if s is None else s


def _agrees(ours, expr) -> bool:
    """Same minimal polynomial as SymPy computes, and equal to 40 digits."""
    mp = sympy.Poly(sympy.minimal_polynomial(expr, t), t)
    if isinstance(ours, Fraction):
        return mp.degree() == 1 and sympy.Rational(ours.numerator, ours.denominator) == sympy.solve(mp.as_expr(), t)[0]
    mp = sympy.Poly(mp.primitive()[1] * sympy.sign(mp.LC()), t)
    assert tuple(int(c) for c in reversed(mp.all_coeffs())) == ours.coeffs
    v = sympy.N(expr, 50)
    return abs(sympy.Float(ours.approx(45), 50) - v) <= sympy.Float(10) ** -40 * max(1, abs(v))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(algebraic(), algebraic())
def test_random_sum_and_product(a, b):
    assert _agrees(a[0] + b[0], _sym(a) + _sym(b))
    assert _agrees(a[0] * b[0], _sym(a) * _sym(b))


@SETTINGS
@given(algebraic(), algebraic())
def test_random_comparison(a, b):
    x, y = a[0], b[0]
    assert (x == y) == (_sym(a) == _sym(b))  # both sides canonical
    expected = sympy.sign(sympy.N(_sym(a) - _sym(b), 60))
    assert (x < y) == (expected < 0) and (x > y) == (expected > 0)
    assert sign(x) == sympy.sign(sympy.N(_sym(a), 60))


@SETTINGS
@given(st.lists(st.integers(-20, 20), min_size=2, max_size=7).filter(lambda c: any(c[1:])))
def test_real_roots_match_sympy(coeffs):
    ours = real_roots(coeffs)
    theirs = sorted(set(sympy.Poly(list(reversed(coeffs)), t).real_roots()), key=lambda r: sympy.N(r, 50))
    assert len(ours) == len(theirs)
    assert all(o < p for o, p in zip(ours, ours[1:]))
    for o, r in zip(ours, theirs):
        assert from_sympy(r) == o


@SETTINGS
@given(st.lists(st.integers(-20, 20), min_size=3, max_size=7).filter(lambda c: c[-1] != 0))
def test_bisection_fallback_agrees(coeffs):
    from flint import fmpz_poly

    from etr_nn.exact.roots import _vca, isolate, primitive

    for f, _ in fmpz_poly(coeffs).factor()[1]:
        if f.degree() >= 2:
            f = primitive(f)
            ours = isolate(tuple(int(c) for c in f.coeffs()))
            fallback = _vca(f)
            assert len(ours) == len(fallback)
            for (a, b), (c, d) in zip(ours, fallback):
                assert max(a, c) <= min(b, d) and f(max(a, c)) * f(min(b, d)) < 0


def test_quadratic_irrationals_print_as_radicals_and_others_as_roots_with_intervals() -> None:
    """Notebooks show √2/2 (checked exactly: the radical maps back to the same number), not
    CRootOf; higher degrees show "root of … in [lo, hi] ≈ …" with short decimal ends."""
    import sympy

    from etr_nn.exact import parse_number, to_latex, to_sympy
    from etr_nn.network import Network
    from etr_nn.solution import Solution

    half_sqrt2 = parse_number("sqrt(2)/2")
    assert to_sympy(half_sqrt2) == sympy.sqrt(2) / 2
    assert to_sympy(parse_number("root of t^2 - t - 1 in [1, 2]")) == (1 + sympy.sqrt(5)) / 2
    assert to_sympy(parse_number("root of t^2 - t - 1 in [-1, 0]")) == (1 - sympy.sqrt(5)) / 2
    assert half_sqrt2._repr_latex_() == r"$\frac{\sqrt{2}}{2}$"
    cubic = parse_number("root of 4*t^3 - 308*t^2 + 7603*t - 60093 in [17, 18]")
    assert isinstance(to_sympy(cubic), sympy.CRootOf)
    assert to_latex(cubic) == (r"\text{root of } 4 t^{3} - 308 t^{2} + 7603 t - 60093 \text{ in } [17, 18]"
                               r" \approx 17.3593377")
    assert to_latex(Fraction(-7, 2)) == r"- \frac{7}{2}"
    network = Network.build([[half_sqrt2]], [1], [[cubic]], ["1/3"])
    assert r"\frac{\sqrt{2}}{2}" in network._repr_latex_() and "pmatrix" in network._repr_latex_()
    shown = Solution("n", "sat", network, Fraction(0), True, "z3", 0.1, "certified")._repr_markdown_()
    assert "**n**: sat" in shown and "$$W = " in shown and "verified exactly" in shown


def test_algebraic_numbers_and_networks_of_them_pickle() -> None:
    """Worker processes send their networks back pickled; flint's objects do not pickle, so a network
    with algebraic weights once crashed `solve` (random two-output data, 2 inputs, 6 points)."""
    import pickle

    from etr_nn.certify import certify
    from etr_nn.instance import Instance, Shape
    from etr_nn.network import Network

    root = RealAlgebraic([-2, 0, 1], 1, 2)
    copy = pickle.loads(pickle.dumps(root))
    assert copy == root and copy.coeffs == root.coeffs and copy * copy == 2
    network = Network.build([[root]], [Fraction(0)], [[root]], [Fraction(0)])  # f(1) = √2·√2 = 2
    instance = Instance("sqrt2-squared", Shape(1, 1, 1), points=((Fraction(1),),), labels=((Fraction(2),),))
    sent = pickle.loads(pickle.dumps(network))
    assert certify(instance, sent).valid
