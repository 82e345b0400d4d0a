"""Exact optimum and rationality: known answers, and agreement with independent methods."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn import instance as instances
from etr_nn.certify import loss
from etr_nn.deadline import Deadline
from etr_nn.cli import main
from etr_nn.exact import RealAlgebraic, from_json
from etr_nn.gadgets import etrinv, reduction
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.optimize import Optimum, convex, landscape, optimize
from etr_nn.optimize.hidden import pieces
from etr_nn.optimize.rationality import rationality
from etr_nn.solve import solve
from oracles import enumerated_optimum

CATALOGUE = json.loads((Path(__file__).parent.parent / "encodings" / "catalogue.json").read_text())


def make(points: list[tuple[int, ...]], labels: list[tuple[int, ...]], hidden: int, max_error: Fraction = Fraction(0),
         loss_kind: str = "squared") -> Instance:
    return Instance("t", Shape(len(points[0]), hidden, len(labels[0])),
                    tuple(tuple(Fraction(v) for v in p) for p in points),
                    tuple(tuple(Fraction(v) for v in y) for y in labels), loss_kind, max_error)  # type: ignore[arg-type]


def float_minimum(instance: Instance, starts: int = 40) -> float:
    """The least loss BFGS reaches from random starts (floats: an upper bound at best)."""
    from scipy.optimize import minimize

    X = np.array([[float(v) for v in x] for x in instance.points])
    Y = np.array([[float(v) for v in y] for y in instance.labels])
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs

    def f(p: np.ndarray) -> float:
        W, b = p[:k * d].reshape(k, d), p[k * d:k * d + k]
        A, c = p[k * d + k:k * d + k + m * k].reshape(m, k), p[-m:]
        return float(((np.maximum(X @ W.T + b, 0) @ A.T + c - Y) ** 2).sum())

    rng = np.random.default_rng(0)
    return min(minimize(f, rng.normal(size=k * d + k + m * k + m) * 2, method="BFGS").fun for _ in range(starts))


def expected_value(entry: dict) -> Fraction | tuple[list[int], float]:
    if "rational" in entry["optimum"]:
        return Fraction(entry["optimum"]["rational"])
    return entry["optimum"]["poly"], float(entry["optimum"]["approx"])


@pytest.mark.parametrize("entry", CATALOGUE["optimum"], ids=lambda e: e["file"])
def test_catalogue_optimum(encodings: Path, entry: dict) -> None:
    """The documented optimum, attained by a network whose exact loss is that value, and
    the documented answer on rational optimal networks."""
    inst = instances.load(encodings / entry["file"])
    result = optimize(inst, 120)
    assert result.status == entry["status"], result.rests_on
    expected = expected_value(entry)
    if isinstance(expected, Fraction):
        assert result.value == expected
    else:
        assert isinstance(result.value, RealAlgebraic) and list(result.value.coeffs) == expected[0]
        assert abs(float(result.value) - expected[1]) < 1e-7
    if result.status == "optimal":
        assert result.network is not None and loss(inst, result.network) == result.value
    else:
        assert result.network is None and result.solution(inst).status == "unsat"
    answer = rationality(inst, 120, optimum=True)
    assert answer.status == entry["rationality_optimum"], answer.reasons


@pytest.mark.parametrize("entry", CATALOGUE["optimum"], ids=lambda e: e["file"])
def test_no_float_start_beats_the_exact_optimum(encodings: Path, entry: dict) -> None:
    inst = instances.load(encodings / entry["file"])
    result = optimize(inst, 120)
    assert result.value is not None
    assert float_minimum(inst) >= float(result.value) - 1e-7


def test_irrational_optimum_brackets_by_the_direct_encoding(encodings: Path) -> None:
    """Independent refutation of a lower loss: the direct encoding (all weights free, every
    ReLU case), decided by the CAD, has no network with loss ≤ a rational just below the
    optimum, and has one just above it."""
    inst = instances.load(encodings / "irrational-optimum.json")
    value = optimize(inst, 60).value
    assert isinstance(value, RealAlgebraic)
    lo, hi = value.refine(Fraction(1, 10 ** 6)).interval
    below = Instance(inst.name, inst.shape, inst.points, inst.labels, inst.loss, lo)
    above = Instance(inst.name, inst.shape, inst.points, inst.labels, inst.loss, hi)
    assert solve(below, backend="cad", timeout=60).status == "unsat"
    assert solve(above, backend="cad", timeout=60).status == "sat"


def test_landscape_matches_the_cad_projection_piece_by_piece() -> None:
    """On every piece of a one-ReLU two-output instance, the CAD's exact infimum is ≥ the
    optimum, and equal on some piece (an independent exact method)."""
    inst = make([(0,), (1,), (2,), (3,)], [(3, 1), (2, -3), (-2, 2), (2, 3)], 1)
    value = optimize(inst, 60).value
    labels = np.array([[float(v) for v in y] for y in inst.labels])
    infima = [region.infimum(60) for piece in pieces(inst, 1)
              if (region := landscape.Region.of(piece, labels)) is not None]
    lows = [found[0] for found in infima if found is not None]
    assert min(lows + [landscape.constant_loss(inst)]) == value


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(-3, 3), min_size=3, max_size=4), st.integers(1, 2))
def test_one_output_two_methods_agree_and_are_rational(labels: list[int], hidden: int) -> None:
    """Fact 3 per instance: the convex method's optimum is rational with a rational network,
    and the hidden-layer method (least squares + nlsat refutations) reaches the same value."""
    inst = make([(i,) for i in range(len(labels))], [(y,) for y in labels], hidden)
    a = convex.optimize(inst, Deadline.after(60))
    b = landscape.optimize(inst, Deadline.after(60))
    assert a.status == "optimal" and isinstance(a.value, Fraction)
    assert a.network is not None and a.network.is_rational() and loss(inst, a.network) == a.value
    assert b.value == a.value


def test_absolute_loss_one_output() -> None:
    """|f − y| summed: a single ReLU fits 0, 0, 1, 2 exactly; 0, 3, 0 (a hat) best at loss 3."""
    assert optimize(make([(0,), (1,), (2,), (3,)], [(0,), (0,), (1,), (2,)], 1, loss_kind="absolute"), 30).value == 0
    hat = optimize(make([(0,), (1,), (2,)], [(0,), (3,), (0,)], 1, loss_kind="absolute"), 30)
    assert hat.value == 3 and hat.network is not None and hat.network.is_rational()


def test_planted_two_output_network_has_optimum_zero() -> None:
    from etr_nn.generate import planted
    inst, _ = planted(Shape(1, 1, 2), 5, 3)
    result = optimize(inst, 60)
    assert result.status == "optimal" and result.value == 0


def test_rationality_answers() -> None:
    """Zero-error fits with two outputs: a rational fit found by the search, and no fit at all
    (decided by the search); max_error above an irrational optimum: a rounded network fits;
    below it: no fit."""
    planted = make([(0,), (1,), (2,), (3,)], [(0, 0), (0, 0), (1, 2), (2, 4)], 1)
    assert rationality(planted, 60).status == "rational"
    xorish = make([(0,), (1,), (2,)], [(0, 3), (0, 0), (2, 0)], 1)
    assert rationality(xorish, 60).status == "no fit"
    above = make([(0,), (1,), (2,)], [(0, 3), (0, 0), (2, 0)], 1, Fraction(7, 4))
    answer = rationality(above, 60)
    assert answer.status == "rational" and answer.network is not None and answer.network.is_rational()
    assert loss(above, answer.network) <= Fraction(7, 4)
    below = make([(0,), (1,), (2,)], [(0, 3), (0, 0), (2, 0)], 1, Fraction(17, 10))
    assert rationality(below, 60).status == "no fit"


def test_cli_optimize_json_and_output(encodings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "opt.json"
    assert main(["optimize", str(encodings / "irrational-optimum.json"), "--json", "--output", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    assert doc["status"] == "sat" and doc["attained"] is True and doc["verified"] is True
    assert doc["optimum_status"] == "optimal"  # what the text's headline says
    assert from_json(doc["optimum"]) == from_json(doc["error"])
    assert isinstance(from_json(doc["optimum"]), RealAlgebraic)
    assert main(["verify", str(encodings / "irrational-optimum.json"), str(out)]) == 0  # not against max_error 0
    assert "= the claimed optimum" in capsys.readouterr().out


def test_verify_checks_an_optimum_file_against_its_optimum(encodings: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    instance, out = encodings / "rational-optimum-one-output.json", tmp_path / "opt.json"
    assert main(["optimize", str(instance), "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["optimum"] == doc["error"] == "14/3" and doc["optimum_status"] == "optimal"
    assert main(["verify", str(instance), str(out)]) == 0
    for claimed, problem in (("4", "exceeds the bound 4"), ("5", "claims the optimum 5, the exact loss is 14/3")):
        out.write_text(json.dumps(doc | {"optimum": claimed}))
        capsys.readouterr()
        assert main(["verify", str(instance), str(out)]) == 1
        assert problem in capsys.readouterr().out


@pytest.mark.parametrize("status, solution_status", [("optimal", "sat"), ("not attained", "unsat"),
                                                     ("unknown", "unknown")])
def test_optimum_status_in_the_solution_format(status: str, solution_status: str) -> None:
    """The solution format keeps sat/unsat/unknown; "optimum_status" says what the text says."""
    inst = make([(0,), (1,)], [(0,), (1,)], 1)
    value = None if status == "unknown" else Fraction(0)
    network = Network.build([[1]], [0], [[1]], [0]) if status == "optimal" else None
    doc = Optimum("t", status, value, network).solution(inst).to_json()
    assert doc["status"] == solution_status and doc["optimum_status"] == status
    assert doc.get("attained") == (None if value is None else status == "optimal")


def test_cli_rationality_text(encodings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rationality", str(encodings / "cubic-optimum.json"), "--optimum"]) == 0
    text = capsys.readouterr().out
    assert "no rational optimal network" in text and "degree 3" in text
    assert main(["rationality", str(encodings / "rational-optimum-one-output.json"), "--optimum"]) == 0
    assert "rational optimal network" in capsys.readouterr().out


def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", str(tmp_path / "missing.json")]) == 2
    assert main(["rationality", str(tmp_path / "missing.json")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["optimize", str(bad)]) == 2
    with pytest.raises(SystemExit) as stop:
        main(["optimize", str(bad), "--timeout", "-1"])
    assert stop.value.code == 2 and "error" in capsys.readouterr().err
    good = Path(__file__).parent.parent / "benchmarks" / "loss" / "planted-d1-k2-m1-n10-s0-noisy-squared-sat.json"
    assert main(["optimize", str(good), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


@pytest.mark.slow
def test_rationality_of_a_reduction_is_decided_by_the_search(encodings: Path) -> None:
    """sqrt2.json (its formula has no rational solution): the answer comes from the search, a certified
    rational fit or unknown, never a negative answer read off the formula."""
    path = encodings / "sqrt2.json"
    answer = rationality(instances.load(path), 120, formula=etrinv.attached(path))
    assert answer.status in ("rational", "unknown")
    assert answer.network is None or (answer.network.is_rational() and loss(instances.load(path), answer.network) == 0)


def test_rationality_of_reductions_with_rational_solutions() -> None:
    """A formula with a rational solution: its lift is a certified rational fit. An instance
    that differs from its formula's reduction (one label changed) is not answered."""
    formula = etrinv.parses("x = 1\nx * y = 1")
    assert etrinv.rational_solutions(formula) == [{"x": Fraction(1), "y": Fraction(1)}]
    instance = reduction.reduce(formula, "one")
    answer = rationality(instance, 60, formula=formula)
    assert answer.status == "rational" and answer.network is not None and answer.network.is_rational()
    assert loss(instance, answer.network) == 0
    labels = ((instance.labels[0][0] + 1, instance.labels[0][1]),) + instance.labels[1:]
    tampered = Instance(instance.name, instance.shape, instance.points, labels)
    assert rationality(tampered, 60, formula=formula).status == "unknown"
    assert etrinv.rational_solutions(etrinv.parses("x * y = 1")) is None  # a curve of solutions: undecided


@pytest.mark.parametrize("seed", range(12))
def test_branch_and_bound_matches_the_enumeration(seed: int) -> None:
    """One output: the branch and bound's optimum (exact loss bounds, float-proposed KKT points)
    equals the least pattern optimum over all patterns decided by Z3 alone, on planted data with
    noise (d = 1, 2; k = 1, 2; squared and absolute loss)."""
    import random
    from dataclasses import replace

    from etr_nn.generate import planted

    rng = random.Random(seed)
    kind = ("squared", "absolute")[seed % 2]
    inst, _ = planted(Shape(1 + seed % 3 // 2, 1 + seed % 4 // 2, 1), rng.randint(4, 6), seed, kind)  # type: ignore[arg-type]
    inst = replace(inst, labels=tuple((y[0] + Fraction(rng.randint(-4, 4), 2),) for y in inst.labels))
    found = convex.optimize(inst, Deadline.after(120))
    assert found.status == "optimal" and found.network is not None
    assert found.value == enumerated_optimum(inst) == loss(inst, found.network)
