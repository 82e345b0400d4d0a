"""Discrete training: three independent methods agree; known answers by construction."""

from __future__ import annotations

import re

import dataclasses
import json
import random
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn.certify import certify
from etr_nn.cli import main
from etr_nn.discrete import METHODS, smt, solve
from etr_nn.deadline import NO_LIMIT
from etr_nn.discrete.common import Scaled
from etr_nn.discrete.compare import compare, report, to_json
from etr_nn.generate import random_points, sample
from etr_nn.instance import Instance, Shape, load
from etr_nn.network import Network

SETS = [(-1, 0, 1), (0, 1), (-1, F(1, 2), 2), (-2, F(-1, 3), 0, 1)]


def instance(shape: Shape, data: list[tuple[tuple, tuple]], weights, loss="squared", max_error=0) -> Instance:
    return Instance("t", shape, tuple(tuple(F(v) for v in x) for x, _ in data),
                    tuple(tuple(F(v) for v in y) for _, y in data), loss, F(max_error),
                    tuple(sorted({F(v) for v in weights})))


@st.composite
def small_instances(draw) -> Instance:
    """d = 1, k ≤ 2, n ≤ 4, tiny sets: brute force stays below 4^6 or 3^7 networks."""
    weights = draw(st.sampled_from(SETS))
    k = draw(st.integers(1, 2))
    m = 2 if k == 1 and len(weights) <= 3 and draw(st.booleans()) else 1
    n = draw(st.integers(1, 4))
    xs = draw(st.lists(st.integers(-4, 4), min_size=n, max_size=n, unique=True))
    ys = [tuple(F(draw(st.integers(-6, 6)), draw(st.sampled_from((1, 2, 3)))) for _ in range(m)) for _ in xs]
    loss = draw(st.sampled_from(("squared", "absolute")))
    max_error = draw(st.sampled_from((0, 0, F(1, 2), 2)))
    return instance(Shape(1, k, m), [((x,), y) for x, y in zip(xs, ys)], weights, loss, max_error)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_methods_agree_with_brute_force(inst: Instance) -> None:
    answers = {method: solve(inst, method) for method in METHODS}
    assert len({a.status for a in answers.values()}) == 1, {m: a.rests_on for m, a in answers.items()}
    bitvectors = smt.solve(Scaled.of(inst), NO_LIMIT, bitvectors=True)
    assert bitvectors.status == answers["brute"].status
    assert bitvectors.network is None or certify(inst, bitvectors.network).valid
    for answer in answers.values():
        assert answer.status in ("sat", "unsat")
        if answer.status == "sat":
            assert answer.verified and certify(inst, answer.network).valid
            assert answer.error <= inst.max_error


@pytest.mark.parametrize("seed", range(6))
def test_planted_networks_with_weights_in_the_set_are_found(seed: int) -> None:
    rng = random.Random(seed)
    weights = (-1, 0, 1, 2)
    d, k, m = rng.choice([(1, 2, 1), (2, 2, 1), (1, 3, 1), (2, 1, 2)])
    network = Network.build([[rng.choice(weights) for _ in range(d)] for _ in range(k)],
                            [rng.choice(weights) for _ in range(k)],
                            [[rng.choice(weights) for _ in range(k)] for _ in range(m)],
                            [rng.choice(weights) for _ in range(m)])
    data = sample(network, random_points(5, d, rng, size=3), "planted")
    inst = dataclasses.replace(data, weights=tuple(F(v) for v in weights))
    for method in ("dp", "smt", "auto"):
        answer = solve(inst, method)
        assert answer.status == "sat" and answer.verified and answer.error == 0, (method, answer.rests_on)


def test_label_outside_the_reachable_set_is_unsat() -> None:
    # Integer weights at integer points give integer outputs: 1/2 is out of reach.
    inst = instance(Shape(2, 2, 1), [((0, 0), (0,)), ((1, 2), (F(1, 2),)), ((-1, 1), (3,))], (-1, 0, 1, 2))
    for method in ("dp", "smt", "auto"):
        answer = solve(inst, method)
        assert answer.status == "unsat" and answer.rests_on, method
    # ... but within loss 1/4 (squared) it fits: round the label.
    loose = dataclasses.replace(inst, max_error=F(1, 4))
    assert {solve(loose, m).status for m in ("dp", "smt")} == {"sat"}


def test_output_magnitude_bound_is_unsat() -> None:
    # |f(0)| = |a·relu(b) + c| ≤ 1·1 + 1 = 2 with one neuron and weights in {-1, 0, 1}.
    inst = instance(Shape(1, 1, 1), [((0,), (3,))], (-1, 0, 1))
    assert {solve(inst, m).status for m in METHODS} == {"unsat"}
    assert solve(dataclasses.replace(inst, labels=((F(2),),)), "dp").status == "sat"


def test_rational_weight_sets_are_scaled_exactly() -> None:
    # f(x) = (1/3)·relu(x/2 − 1/3) + 1/2 at points in (1/3)Z, weights from {-1/3, 1/3, 1/2}.
    weights = (F(-1, 3), F(1, 3), F(1, 2))
    network = Network.build([[F(1, 2)]], [F(-1, 3)], [[F(1, 3)]], [F(1, 2)])
    points = [(F(v, 3),) for v in (-2, 1, 4, 7)]
    inst = dataclasses.replace(sample(network, points, "rational"), weights=weights)
    for method in METHODS:
        answer = solve(inst, method)
        assert answer.status == "sat" and answer.error == 0, method


def test_fits_are_monotone_in_the_width_when_zero_is_allowed() -> None:
    for seed in range(5):
        rng = random.Random(seed)
        data = [((x,), (rng.randint(-2, 2),)) for x in range(-2, 2)]
        base = instance(Shape(1, 1, 1), data, (-1, 0, 1))
        answers = [solve(base.with_hidden(k), "dp").status for k in (1, 2, 3)]
        assert answers == sorted(answers, key=lambda s: s == "sat")


def test_example_files_have_the_answers_by_hand() -> None:
    # A slope of 1/2 on x = 0, 2, 4, 6: real weights fit with relu(x/2) + relu(-x/2); with
    # weights from {-1, 0, 1} each neuron changes by 0 or ±2 from x = 4 to 6, so f(6) − f(4)
    # is even while the labels differ by 1 — at any width.
    half = load("encodings/discrete-half-slope.json")
    real, finite = compare(half)
    assert (real.status, finite.status) == ("sat", "unsat")
    assert {solve(half, m).status for m in METHODS} == {"unsat"}
    assert {solve(half.with_hidden(3), m).status for m in ("dp", "smt")} == {"unsat"}
    # |x| = relu(x) + relu(-x): both fit.
    absolute = load("encodings/discrete-abs.json")
    real, finite = compare(absolute)
    assert (real.status, finite.status) == ("sat", "sat")
    assert set(finite.network.weights()) <= {-1, 0, 1}
    text = report(absolute, real, finite)
    assert "weights from {-1, 0, 1}" in text and re.search(r"^fits\s+yes\s+yes$", text, re.MULTILINE)
    doc = to_json(half, *compare(half))
    assert doc["real"]["status"] == "sat" and doc["discrete"]["status"] == "unsat"


def test_timeouts_give_unknown() -> None:
    big = instance(Shape(2, 3, 2), [((x, x * x % 5), (x, -x)) for x in range(6)], range(-3, 4))
    answer = solve(big, "brute", timeout=0.05)
    assert answer.status == "unknown" and "time limit" in answer.rests_on


def test_cli(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    half, absolute = "encodings/discrete-half-slope.json", "encodings/discrete-abs.json"
    for method in METHODS:
        assert main(["solve", absolute, "--method", method]) == 0
        assert "discrete-abs: sat" in capsys.readouterr().out
    assert main(["solve", half, "--method", "smt", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unsat"
    assert main(["compare", half]) == 0
    assert re.search(r"^fits\s+yes\s+no$", capsys.readouterr().out, re.MULTILINE)
    assert main(["compare", absolute, "--json", "--method", "smt"]) == 0
    assert json.loads(capsys.readouterr().out)["discrete"]["backend"] == "discrete-smt"
    real = tmp_path / "real.json"
    doc = json.loads(open(absolute).read())
    doc["weights"] = "real"
    real.write_text(json.dumps(doc))
    assert main(["compare", str(real)]) == 2
    assert main(["solve", str(real), "--method", "dp"]) == 2
    assert "finite weight set" in capsys.readouterr().err
    big = tmp_path / "big.json"
    doc.update(network={"inputs": 1, "hidden": 4, "outputs": 1}, weights={"finite": list(range(-4, 5))})
    big.write_text(json.dumps(doc))
    assert main(["solve", str(big), "--method", "brute", "--timeout", "0.05"]) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.sampled_from(("squared", "absolute")), st.sampled_from((0, 1)))
def test_dp_and_smt_agree_with_three_neurons(seed: int, loss: str, max_error: int) -> None:
    # k = 3 exercises the multiset order of the DP (sorted type sequences) beyond pairs.
    rng = random.Random(seed)
    d = rng.choice((1, 2))
    data = [(x, (rng.randint(-3, 3),)) for x in random_points(5, d, rng, size=2)]
    inst = instance(Shape(d, 3, 1), data, (-1, 0, 1), loss, max_error)
    assert solve(inst, "dp").status == solve(inst, "smt").status


def test_auto_does_not_pick_brute_force_where_it_is_slow() -> None:
    """Three points, 3 inputs, 1 ReLU, 2 outputs, |S| = 5: 390 625 networks, about half a minute of
    brute force; auto picks a method that decides it (unsat: the DP and Z3 agree) within seconds."""
    inst = Instance("w2000384", Shape(3, 1, 2), ((F(-7, 3), F(0), F(-3)), (F(-2), F(1), F(-2)), (F(2), F(13), F(10))),
                    ((F(-1), F(1)), (F(-2), F(0)), (F(1), F(1))), "absolute", F(1),
                    (F(-2), F(-1, 2), F(0), F(1, 2), F(2)))
    found = solve(inst, "auto", timeout=10)
    assert found.details["method"] != "brute" and found.status == "unsat"
    assert solve(inst, "dp", timeout=10).status == "unsat"

