"""Polynomial formulas: atoms, contexts and moving formulas between contexts by name."""

from __future__ import annotations

from fractions import Fraction

import flint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etr_nn import backends
from etr_nn.poly import RELATIONS, And, Atom, Or, System, rebase

XY = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
YX = flint.fmpq_mpoly_ctx.get(("y", "x"), "lex")
XYZ = flint.fmpq_mpoly_ctx.get(("x", "y", "z"), "lex")


def test_contexts_are_cached():
    assert flint.fmpq_mpoly_ctx.get(("x", "y"), "lex") is XY
    assert XY is not YX


def test_atom_from_another_context_is_rejected():
    # x' from (y, x): read by position in (x, y) it would be y, so x' - 1 = 0 ∧ y - 5 = 0
    # would be unsat and holds({x: 1, y: 5}) false.
    _, x_ = YX.gens()
    _, y = XY.gens()
    with pytest.raises(ValueError, match=r"\('y', 'x'\).*\('x', 'y'\)"):
        System(XY, And((Atom(x_ - 1, "="), Atom(y - 5, "="))))


def test_atom_from_a_larger_context_is_rejected():
    x, y, z = XYZ.gens()
    with pytest.raises(ValueError, match=r"\('x', 'y', 'z'\).*\('x', 'y'\)"):
        System(XY, Or((Atom(XY.gens()[0], ">"), And((Atom(x + y + z, "="),)))))


def test_equal_names_other_ordering_is_rejected():
    x, _ = flint.fmpq_mpoly_ctx.get(("x", "y"), "deglex").gens()
    with pytest.raises(ValueError):
        System(XY, Atom(x, "="))


def test_bad_relation_and_polynomial_rejected_at_construction():
    x, _ = XY.gens()
    with pytest.raises(ValueError, match="'=='.*<="):
        Atom(x, "==")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Atom(flint.fmpz_mpoly_ctx.get(("x",), "lex").gens()[0], "=")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Atom(1, "=")  # type: ignore[arg-type]
    assert {Atom(x, rel).rel for rel in RELATIONS} == {"=", "!=", "<", "<=", ">", ">="}


def test_connectives_take_tuples_of_formulas():
    x, _ = XY.gens()
    with pytest.raises(TypeError):
        And([Atom(x, "=")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Or(Atom(x, "=") for _ in range(2))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        And((x,))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        System(XY, x)  # type: ignore[arg-type]


def test_large_and_shared_formulas_construct_quickly():
    x, y = XY.gens()
    atoms = tuple(Atom(x - i * y, "<=") for i in range(5000))
    System(XY, And(atoms))
    f = Atom(x, ">")
    for _ in range(200):  # 2^200 paths to the atom, 201 distinct nodes
        f = And((f, f))
    System(XY, f)
    with pytest.raises(ValueError):
        System(XY, And((f, Atom(YX.gens()[0], "="))))


def test_rebase_by_name():
    _, x_ = YX.gens()
    _, y = XY.gens()
    system = System(XY, And((rebase(Atom(x_ - 1, "="), XY), Atom(y - 5, "="))))
    point = {"x": Fraction(1), "y": Fraction(5)}
    assert system.holds(point)
    for name in ("z3", "cad"):
        answer = backends.get(name).check(system, 30)
        assert answer.status == "sat", name
        assert answer.point == point, name


def test_rebase_polynomials_and_missing_names():
    y, x = YX.gens()
    p = x**2 * y - 3 * y + flint.fmpq(1, 2)
    q = rebase(p, XYZ)
    assert q.context() is XYZ
    a, b, _ = XYZ.gens()
    assert q == a**2 * b - 3 * b + flint.fmpq(1, 2)
    assert rebase(q, XYZ) is q
    with pytest.raises(ValueError, match="z"):
        rebase(Atom(XYZ.gens()[2], "="), XY)


NAMES = ("a", "b", "c")


@st.composite
def formulas(draw, ctx, depth=2):
    if depth == 0 or draw(st.booleans()):
        p = ctx.from_dict({})
        for _ in range(draw(st.integers(1, 3))):
            term = ctx.constant(draw(st.integers(-3, 3)))
            for g in ctx.gens():
                term *= g ** draw(st.integers(0, 2))
            p += term
        return Atom(p, draw(st.sampled_from(RELATIONS)))
    kind = draw(st.sampled_from([And, Or]))
    return kind(tuple(draw(st.lists(formulas(ctx, depth - 1), min_size=0, max_size=3))))


@st.composite
def rebased(draw):
    source = flint.fmpq_mpoly_ctx.get(tuple(draw(st.permutations(NAMES))), "lex")
    extra = draw(st.lists(st.sampled_from(["d", "e"]), unique=True))
    target = flint.fmpq_mpoly_ctx.get(tuple(draw(st.permutations(NAMES + tuple(extra)))), "lex")
    formula = draw(formulas(source))
    rational = st.fractions(min_value=-3, max_value=3, max_denominator=4)
    point = {name: draw(rational) for name in target.names()}
    return System(source, formula), System(target, rebase(formula, target)), point


@settings(max_examples=200, deadline=None)
@given(rebased())
def test_rebase_preserves_truth(case):
    before, after, point = case
    assert before.holds(point) == after.holds(point)
