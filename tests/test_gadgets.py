"""Gadgets: claims, the checker, ETR-INV formulas, and the reduction (reduce → lift → certify → decode)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from etr_nn.certify import certify
from etr_nn.cli import main
from etr_nn.errors import InputError
from etr_nn.exact import RealAlgebraic, from_json, from_sympy
from etr_nn.gadgets import etrinv, reduction
from etr_nn.gadgets.checker import check, check_claim
from etr_nn.gadgets.claims import lookup_in, parse_claim
from etr_nn.gadgets.geometry import Chain, Layout, Ramp
from etr_nn.gadgets.library import GADGETS, link, variable
from etr_nn.network import Network
from etr_nn.search import kinks

SQRT2 = "x + x = z   # z = 2x\nx * z = 1\n"
GOLDEN = "u * u = 1\nx + u = y\nx * y = 1\n"
UNSAT = "x = 1\nx + x = y\ny * y = 1\n"  # x = 1 forces y = 2, and 2·2 ≠ 1


# --- claims -------------------------------------------------------------------------------

def test_claim_parser_builds_the_polynomial() -> None:
    c = parse_claim("2*f1(1/2, -3) - f2(0.5, -3)^2 >= W[0][1]*b[1] + 3/4")
    assert c.rel == ">=" and c.mentions_weights
    assert c.probes() == [(Fraction(1, 2), Fraction(-3))]  # 0.5 is taken exactly as 1/2
    values = {("f", 0, (Fraction(1, 2), Fraction(-3))): Fraction(5), ("f", 1, (Fraction(1, 2), Fraction(-3))): Fraction(2),
              ("W", 0, 1): Fraction(3), ("b", 1): Fraction(1)}
    assert c.value(values.__getitem__) == 10 - 4 - 3 - Fraction(3, 4)
    assert c.holds(values.__getitem__)
    assert not parse_claim("f1(0, 0) != f1(0, 0)").poly  # cancels to the zero polynomial


@pytest.mark.parametrize("text, position", [("f1(1/3, 0) +* 2 = 1", 13), ("f1(0, 0) = ", 12),
                                            ("f1(0, 0) 3", 10), ("f0(1, 1) = 2", 1), ("f1(0, 0) / f2(1, 1) = 1", 12),
                                            ("W[0] = 1", 6), ("f1(1/0, 1) = 2", 6), ("f1(0, 0) = 1 = 2", 14)])
def test_claim_parse_errors_name_the_claim_and_position(text: str, position: int) -> None:
    with pytest.raises(InputError) as error:
        parse_claim(text)
    assert f'claim "{text}": position {position}:' in str(error.value)


# --- the checker ----------------------------------------------------------------------------

def test_checker_proves_the_variable_gadget() -> None:
    g = variable()
    report = check(g.instance(), g.parsed_claims(), timeout=60)
    assert [r.verdict for r in report.results] == ["proved"] * len(g.claims), [r.reason for r in report.results]
    assert report.fits is not None and report.fits.status == "sat"


def test_checker_refutes_a_wrong_claim_with_a_certified_fit() -> None:
    g = variable()
    inst = g.instance()
    claim = parse_claim("3/2*(f1(1/3, 0) - f1(-1/3, 0)) = 2")  # the slope is not fixed by the gadget alone
    result = check_claim(inst, claim, timeout=60)
    assert result.verdict == "refuted" and result.counterexample is not None
    net = result.counterexample
    assert certify(inst, net).valid
    lookup = lookup_in(net, {"W": net.W, "b": net.b, "A": net.A, "c": net.c})
    assert not claim.holds(lookup) and result.value == claim.value(lookup) != 0


def test_checker_proves_the_link_gadget_pattern_by_pattern() -> None:
    """X·Y = 1 from touching ramps: every activation pattern of data and probes refuted, the
    rank-one leaves by nlsat (about 10 s with one process)."""
    g = link()
    result = check_claim(g.instance(), g.parsed_claims()[0], timeout=120)
    assert result.verdict == "proved", result.reason
    assert "full patterns reached" in result.reason and "1 input coordinate(s)" in result.reason


@pytest.mark.parametrize("name, claim", [("variable", "3/2*(f1(1/3, 0) - f1(-1/3, 0)) = 2"),
                                         ("link", "3*(f1(0, 0) - f1(-1/3, 0)) = 3")])
def test_pattern_checker_refutes_wrong_claims_with_certified_fits(name: str, claim: str) -> None:
    """The slope of a ramp is not fixed by one gadget: a certified fit violates slope = 2
    (x = 1); the counterexample is found on the reduced instance and mapped back."""
    inst, c = GADGETS[name]().instance(), parse_claim(claim)
    result = check_claim(inst, c, timeout=60)
    assert result.verdict == "refuted" and result.counterexample is not None
    net = result.counterexample
    assert certify(inst, net).valid and not c.holds(lookup_in(net, {}))


@pytest.mark.parametrize("name, claim", [("link", None), ("copy", None), ("link", "3*(f1(0, 0) - f1(-1/3, 0)) = 3")])
def test_the_pattern_check_in_two_processes_is_the_check_in_one(name: str, claim: str | None) -> None:
    """The orthant choices shared out among two forked workers: the same verdict, and for a proof the same counts
    (every orthant choice searched in full either way); a counterexample is certified."""
    g = GADGETS[name]()
    c = parse_claim(claim) if claim else g.parsed_claims()[0]
    one, two = (check_claim(g.instance(), c, timeout=120, workers=w) for w in (1, 2))
    assert one.verdict == two.verdict == ("refuted" if claim else "proved"), (one.reason, two.reason)
    if claim:
        assert two.counterexample is not None and certify(g.instance(), two.counterexample).valid
    else:
        assert one.reason == two.reason


def test_constant_claims() -> None:
    inst = variable().instance()
    assert check_claim(inst, parse_claim("1 + 1 = 2")).verdict == "proved"
    assert check_claim(inst, parse_claim("1 = 2"), timeout=60).verdict == "refuted"  # a fit exists


def test_weight_claims_are_checked_without_normalisation() -> None:
    inst = variable().instance()
    # a scaled copy of any fit is a fit, so no single weight is pinned ...
    result = check_claim(inst, parse_claim("W[0][0]^2 + W[1][0]^2 = 32"), timeout=60)
    assert result.verdict == "refuted" and result.counterexample is not None
    assert "no normalisation" in result.reason


def test_cli_gadget_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "variable.json"
    variable().instance().dump(path)
    assert main(["gadget", "check", str(path), "--claim", "f2(1/3, 0) = 0", "--timeout", "60"]) == 0
    assert "PROVED" in capsys.readouterr().out
    assert main(["gadget", "check", str(path), "--claim", "f1(1/3, 0) <= 3/2", "--timeout", "60"]) == 1
    out = capsys.readouterr().out
    assert "REFUTED" in out and "counterexample" in out and "W[0][0] =" in out
    assert main(["gadget", "check", str(path), "--claim", "f1(1/3, 0) <= "]) == 2
    assert "position" in capsys.readouterr().err
    assert main(["gadget", "check", str(path), "--claim", "f1(1, 2, 3) = 0"]) == 2
    assert main(["gadget", "check", str(path), "--claim", "A[2][0] = 0"]) == 2


# --- ETR-INV --------------------------------------------------------------------------------

def test_formula_parser_and_errors() -> None:
    f = etrinv.parses("# a comment\n\nx = 1\nx + y = z  # trailing\nx*y = 1\n")
    assert f.variables == ("x", "y", "z") and [c.kind for c in f.constraints] == ["one", "add", "inv"]
    assert [c.line for c in f.constraints] == [3, 4, 5]
    with pytest.raises(InputError, match="f.etr: line 2: cannot parse"):
        etrinv.parses("x = 1\nx * y = 2\n", "f.etr")
    with pytest.raises(InputError, match="no constraints"):
        etrinv.parses("# nothing\n")


def test_decide_small_formulas_exactly() -> None:
    status, v = etrinv.decide(etrinv.parses(SQRT2))
    assert status == "sat" and v is not None
    assert v["x"] == from_sympy(sympy.sqrt(2) / 2) and v["z"] == from_sympy(sympy.sqrt(2))
    status, v = etrinv.decide(etrinv.parses(GOLDEN))
    assert status == "sat" and v is not None and v["u"] == 1
    assert v["x"] == from_sympy((sympy.sqrt(5) - 1) / 2) and v["y"] == from_sympy((sympy.sqrt(5) + 1) / 2)
    assert etrinv.decide(etrinv.parses(UNSAT)) == ("unsat", None)
    assert etrinv.decide(etrinv.parses("x + x = x")) == ("unsat", None)  # x = 0 is outside [1/2, 2]


# --- the reduction --------------------------------------------------------------------------

def _roundtrip(text: str) -> dict[str, object]:
    formula = etrinv.parses(text)
    _, values = etrinv.decide(formula)
    assert values is not None
    instance = reduction.reduce(formula)
    assert (instance.shape.inputs, instance.shape.outputs, instance.max_error) == (2, 2, 0)
    network = reduction.lift(formula, values)
    assert certify(instance, network).valid
    decoded = reduction.decode(formula, network)
    assert decoded == values and formula.holds(decoded)
    return {"network": network, "values": values}


def test_sqrt2_instance_needs_weights_in_q_sqrt2() -> None:
    result = _roundtrip(SQRT2)
    weights = result["network"].weights()  # type: ignore[attr-defined]
    algebraic = [w for w in weights if isinstance(w, RealAlgebraic)]
    assert algebraic and all(w.degree == 2 for w in algebraic)
    # every irrational weight lies in Q(√2): a quadratic whose discriminant is 2 times a square
    for w in algebraic:
        a0, a1, a2 = w.coeffs
        assert sympy.sqrt(sympy.Rational(a1 * a1 - 4 * a0 * a2, 2)).is_rational


def test_golden_ratio_instance() -> None:
    values = _roundtrip(GOLDEN)["values"]
    assert values["y"] == from_sympy((1 + sympy.sqrt(5)) / 2)  # type: ignore[index]


@settings(max_examples=5)
@given(st.fractions(Fraction(1, 2), Fraction(2)))
def test_lift_and_decode_any_inverse_pair(x: Fraction) -> None:
    formula = etrinv.parses("x * y = 1")
    values = {"x": x, "y": 1 / x}
    network = reduction.lift(formula, values)
    assert network.is_rational() and reduction.decode(formula, network) == values


VALUES = (Fraction(1, 2), Fraction(2, 3), Fraction(1), Fraction(3, 2), Fraction(2))


@settings(max_examples=12, deadline=None)
@given(st.lists(st.sampled_from(VALUES), min_size=1, max_size=4), st.data())
def test_random_satisfied_formulas_lift_and_decode(values: list[Fraction], data: st.DataObject) -> None:
    """Values first, then constraints that hold for them (x = 1, x + y = z, x·y = 1, x·x = 1 among them):
    the layout validates, uses 3 ReLUs a variable and 4 a constraint (x = 1 and x·x = 1 pin, none), and the
    lift of the values is certified exactly and decodes back to them."""
    names = [f"x{i}" for i in range(len(values))]
    value = dict(zip(names, values))
    holding = [f"{x} = 1" for x in names if value[x] == 1]
    holding += [f"{x} * {y} = 1" for x in names for y in names if value[x] * value[y] == 1]
    holding += [f"{x} + {y} = {z}" for x in names for y in names for z in names if value[x] + value[y] == value[z]]
    assume(holding)
    formula = etrinv.parses("\n".join(data.draw(st.lists(st.sampled_from(holding), min_size=1, max_size=4, unique=True))))
    values_used = {x: value[x] for x in formula.variables}
    instance = reduction.reduce(formula)
    counted = sum(4 for c in formula.constraints if c.kind == "add" or c.kind == "inv" and c.names[0] != c.names[1])
    assert instance.shape.hidden == 3 * len(formula.variables) + counted
    network = reduction.lift(formula, values_used)
    assert certify(instance, network).valid and reduction.decode(formula, network) == values_used


def test_unsat_formula_has_no_lift_and_its_gadgets_are_checked() -> None:
    formula = etrinv.parses(UNSAT)
    instance = reduction.reduce(formula)  # too large for the direct encoding to refute (10 ReLUs)
    assert instance.shape.hidden == 2 * 3 + 4  # two links, V and W of x + x = y; y·y = 1 pins y like y = 1
    assert instance.points == reduction.reduce(etrinv.parses("x = 1\nx + x = y\ny = 1\n")).points
    assert etrinv.decide(formula)[0] == "unsat"
    with pytest.raises(InputError):
        reduction.lift(formula, {"x": Fraction(1), "y": Fraction(2)})
    g = variable()  # the gadget the range constraints rest on, proved
    assert check(g.instance(), g.parsed_claims(), timeout=60, fits=False).proved


def test_cli_reduce_lift_verify_decode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    formula, inst, sol = tmp_path / "sqrt2.etr", tmp_path / "sqrt2.json", tmp_path / "sqrt2.solution.json"
    formula.write_text(SQRT2)
    assert main(["reduce", str(formula), "-o", str(inst)]) == 0
    assert main(["lift", str(formula), str(inst), "-o", str(sol), "--values", "x=sqrt(2)/2, z=sqrt(2)"]) == 0
    assert main(["verify", str(inst), str(sol)]) == 0
    capsys.readouterr()
    assert main(["decode", str(inst), str(sol), "--json"]) == 0
    decoded = {k: from_json(v) for k, v in json.loads(capsys.readouterr().out).items()}
    assert decoded == {"x": from_sympy(sympy.sqrt(2) / 2), "z": from_sympy(sympy.sqrt(2))}
    assert main(["lift", str(formula), str(inst), "-o", str(sol), "--values", "x=1/2, z=1"]) == 2
    assert main(["lift", str(formula), str(inst), "-o", str(sol), "--values", "x=sqrt(2)/2"]) == 2
    unsat = tmp_path / "unsat.etr"
    unsat.write_text(UNSAT)
    assert main(["lift", str(unsat), str(inst), "-o", str(sol)]) == 1
    bad = tmp_path / "bad.etr"
    bad.write_text("x = 1\nx +* y\n")
    assert main(["reduce", str(bad), "-o", str(inst)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_every_gadget_has_a_certified_intended_fit_satisfying_its_claims() -> None:
    for make in GADGETS.values():
        g = make()
        net = g.layout.network(g.values)
        assert certify(g.instance(), net).valid
        lookup = lookup_in(net, {"W": net.W, "b": net.b, "A": net.A, "c": net.c})
        assert all(c.holds(lookup) for c in g.parsed_claims())


def test_a_chain_of_four_touching_ramps_carries_no_single_value() -> None:
    """The former variable chain (x, 1/x, x, 1/x in outputs 1, 2, 1+2, 1; 5 ReLUs, data at the ramp
    centres and outside the ends) has fits whose ramps overlap: this one (the restriction to v = 0 of
    a certified rational fit of the former √2 reduction) reads s_0 = 3/2 on ramp 0 and s_3 = 2 on
    ramp 3, so (s_0 − 1)(s_3 − 1) = 1/2, not 1; the intended fit gives 1."""
    ramps = [Ramp("x", (2, 0)), Ramp("x", (0, 2), True), Ramp("x", (2, 2)), Ramp("x", (2, 0), True)]
    lay = Layout([Chain("U_x", (Fraction(1), Fraction(0)), Fraction(0), ramps, line_points=1)])
    inst = lay.instance("four-ramp chain")
    half = Fraction(1, 2)
    overlapping = Network.build([[w, 0] for w in (3 * half, 3 * half, 5 * half, 4, 2)], [1, -half, -9 * half, -9, -7],
                                [[1, -half, half, 0, -1], [0, 1, 1, -1, 0]], [0, 0])
    claim = parse_claim("(3*(f1(0, 0) - f1(-1/3, 0)) - 1)*(3*(f1(10/3, 0) - f1(3, 0)) - 1) = 1")
    assert certify(inst, overlapping).valid and claim.value(lookup_in(overlapping, {})) == Fraction(-1, 2)
    assert claim.holds(lookup_in(lay.network({"x": Fraction(3, 2)}), {}))


def test_checker_proves_the_copy_gadget() -> None:
    """s_U = s_V (4 ReLUs, 23 points in the plane): kink covering and the exact simplex with
    ¬claim refute every partial pattern (a few seconds with one process)."""
    g = GADGETS["copy"]()
    result = check_claim(g.instance(), g.parsed_claims()[0], timeout=120)
    assert result.verdict == "proved", result.reason
    assert "kink covering" in result.reason and "2 input coordinate(s)" in result.reason


SX, SY, SZ = "3*(f1(1/3, -10) - f1(0, -10))", "3*(f1(-10, 1/3) - f1(-10, 0))", "3*(f1(-10, 10) - f1(-29/3, 31/3))"


@pytest.mark.parametrize("name, claim", [("copy", f"{SX} = 2"), ("copy", f"{SX} = {SY} + 1/2"),
                                         ("addition", f"{SX} = {SY}"), ("addition", f"{SX} + {SY} - {SZ} = 3/2"),
                                         ("transfer", f"{SX} = 2")])
def test_plane_gadgets_wrong_claims_are_refuted(name: str, claim: str) -> None:
    """Slopes are not fixed, x and y are independent, and x + y = z is not x + y = z + 1/2:
    certified fits violating each (found in about a second)."""
    inst, c = GADGETS[name]().instance(), parse_claim(claim)
    result = check_claim(inst, c, timeout=60)
    assert result.verdict == "refuted" and result.counterexample is not None
    assert certify(inst, result.counterexample).valid and not c.holds(lookup_in(result.counterexample, {}))


@pytest.mark.slow
def test_copy_with_both_points_of_each_data_line_on_one_side_is_false() -> None:
    """The former layout (points at τ = anchor, anchor + 1): a certified fit with neurons
    serving both chains reads different slopes (about 16 s)."""
    g = GADGETS["copy"]()
    for chain in g.layout.chains:
        chain.far = None
    inst = g.instance()
    result = check_claim(inst, g.parsed_claims()[0], timeout=600)
    assert result.verdict == "refuted" and result.counterexample is not None
    assert certify(inst, result.counterexample).valid


@pytest.mark.slow
def test_checker_proves_the_addition_gadget() -> None:
    """s_x + s_y − s_z = 1 (6 ReLUs, 33 points): every partial pattern refuted, most of them
    by kink covering (a few minutes with one process)."""
    g = GADGETS["addition"]()
    result = check_claim(g.instance(), g.parsed_claims()[0], timeout=1800)
    assert result.verdict == "proved", result.reason


# --- kink covering --------------------------------------------------------------------------

def test_kink_pairs_of_a_ramp_line() -> None:
    points = [(Fraction(u), Fraction(0)) for u in (-2, -1, 0, 1, 2)]
    pairs = kinks.required_pairs(points, [Fraction(v) for v in (0, 0, 1, 2, 2)])
    assert pairs == {1: [(0, 2)], -1: [(2, 4)]}  # a convex kink in (−2, 0), a concave one in (0, 2)
    assert kinks.required_pairs(points, [Fraction(v) for v in (0, 1, 2, 3, 4)]) == {1: [], -1: []}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-4, 4), st.sampled_from([-1, 1])),
                min_size=1, max_size=3))
def test_every_fit_passes_kink_covering(neurons: list[tuple[int, int, int, int]]) -> None:
    """The lemma against actual networks: labels made by a network, the network's own
    activation pattern (and orthants) is never refuted by kink covering."""
    points = [(Fraction(u), Fraction(v)) for u in range(-2, 2) for v in range(-2, 2)]
    net = Network.build([[w0, w1] for w0, w1, _, _ in neurons], [b for _, _, b, _ in neurons],
                        [[a for *_, a in neurons]], [0])
    labels = [tuple(net(p)) for p in points]
    order = tuple(range(len(points)))
    cover = kinks.Covering(points, labels, order)
    signs = [(a,) for *_, a in neurons]
    prefixes = [tuple(int(w0 * u + w1 * v + b > 0) for u, v in points) for w0, w1, b, _ in neurons]
    assert cover.feasible(signs, prefixes) is None
