"""The branch and bound on the output columns' directions (etr_nn.search.directions): it never
refutes a pattern that holds a fit within the bound (planted networks' own patterns, probes
included), every network it returns is a fit, and it agrees with Z3 on the pattern's fitting system
wherever both decide."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from etr_nn import backends
from etr_nn.certify import certify, loss
from etr_nn.deadline import Deadline
from etr_nn.generate import random_network, random_points, sample
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.patterns import Points, fitting_system
from etr_nn.search.directions import Directions

F = Fraction
SECONDS = 5.0  # the branch and bound's time per pattern (soundness)
AGREEMENT_SECONDS = 1.5  # each side's time per pattern in the differential test


def planted(seed: int) -> tuple[Instance, Network, tuple[F, ...]]:
    """A planted network (1–2 inputs, 1–3 ReLUs, 2–3 outputs, 3–6 points, sometimes a point twice),
    labels moved off it, γ = its own exact loss on them, and a probe point."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 2), rng.randint(1, 3), rng.choice((2, 2, 3)))
    network = random_network(shape, rng)
    points = random_points(rng.randint(3, 6), shape.inputs, rng, size=3)
    if rng.random() < 0.3:
        points = points + [points[0]]
    clean = sample(network, points, f"directions-{seed}", rng.choice(("squared", "absolute")))
    labels = tuple(tuple(v + F(rng.randint(-2, 2), rng.randint(1, 2)) for v in y) for y in clean.labels)
    noisy = replace(clean, labels=labels, max_error=F(1))
    own = loss(noisy, network)
    probe = tuple(F(rng.randint(-6, 6), 2) for _ in range(shape.inputs))
    return replace(noisy, max_error=own if own else F(1)), network, probe


def own_pattern(network: Network, coords: tuple[tuple[F, ...], ...]) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """The network's signs σ_j (a zero entry taken as +1) and activation bits on the points."""
    k, m = network.shape.hidden, network.shape.outputs
    signs = tuple(tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k))
    bits = tuple(tuple(int(sum((w * a for w, a in zip(network.W[j], x)), network.b[j]) > 0) for x in coords)
                 for j in range(k))
    return signs, bits


def decide(instance: Instance, network: Network, probe: tuple[F, ...], seconds: float = SECONDS
           ) -> tuple[object, Points, tuple, tuple]:
    """The branch and bound on the network's own pattern: (its answer, the points, signs, bits)."""
    points = Points.of(instance, (probe,), with_loss=True)
    signs, bits = own_pattern(network, points.coords)
    order = tuple(range(len(points.coords)))
    return Directions(points).decide(signs, order, bits, Deadline.after(seconds)), points, signs, bits


@pytest.mark.parametrize("seed", range(40))
def test_never_refutes_a_pattern_with_a_fit(seed: int) -> None:
    """A planted network's own pattern (its loss is γ) is never refuted; a network found is a fit."""
    instance, network, probe = planted(seed)
    found, _, _, _ = decide(instance, network, probe)
    assert found != "unsat", f"seed {seed}: refuted a pattern whose network has loss {instance.max_error}"
    if isinstance(found, Network):
        assert certify(instance, found).valid, f"seed {seed}: the network found is not a fit"


def test_finds_fits_and_refutes_patterns() -> None:
    """Not vacuous: on the planted patterns it finds fits (at γ = own loss) and refutes some (at a
    sixteenth of it)."""
    found = refuted = 0
    for seed in range(40):
        instance, network, probe = planted(seed)
        found += isinstance(decide(instance, network, probe)[0], Network)
        refuted += decide(replace(instance, max_error=instance.max_error / 16), network, probe)[0] == "unsat"
    assert found >= 20 and refuted >= 10, (found, refuted)


def agreement(seed: int) -> str:
    """"agree", "undecided" (either side), or what disagreed: the planted pattern at γ = own loss / 1,
    / 4 or / 16, ours against nlsat on the pattern's fitting system (patterns.fitting_system)."""
    instance, network, probe = planted(seed)
    rng = random.Random(seed)
    instance = replace(instance, max_error=instance.max_error / rng.choice((1, 4, 16)))
    ours, points, signs, bits = decide(instance, network, probe, AGREEMENT_SECONDS)
    if ours is None:
        return "undecided"
    system, _ = fitting_system(points, signs, tuple(range(len(points.coords))), bits)
    theirs = backends.get("z3").check(system, AGREEMENT_SECONDS).status
    ours_status = "unsat" if ours == "unsat" else "sat"
    if ours_status == "sat" and not certify(instance, ours).valid:  # type: ignore[arg-type]
        return f"seed {seed}: an uncertified network"
    if theirs == "unknown":
        return "undecided"
    return "agree" if theirs == ours_status else f"seed {seed}: ours {ours_status}, nlsat {theirs}"


def test_agrees_with_nlsat_on_the_fitting_system() -> None:
    """Differential: 40 random patterns; no disagreement, a third at least decided by both."""
    results = [agreement(seed) for seed in range(100, 140)]
    wrong = [r for r in results if r not in ("agree", "undecided")]
    assert not wrong, wrong
    assert results.count("agree") >= 14, results.count("agree")


@pytest.mark.slow
def test_agrees_with_nlsat_on_the_fitting_system_many() -> None:
    results = [agreement(seed) for seed in range(1000, 1400)]
    wrong = [r for r in results if r not in ("agree", "undecided")]
    assert not wrong, wrong


def test_the_planted_directions_give_a_fit() -> None:
    """`Directions.at` with a planted network's own output columns: its convex program holds the network
    (loss γ), so an exact fit comes back — always with absolute loss (an exact LP), and with squared
    loss whenever the KKT point is confirmed (most cases) — and every one is certified."""
    found = {"absolute": [0, 0], "squared": [0, 0]}
    for seed in range(40):
        instance, network, probe = planted(seed)
        points = Points.of(instance, (probe,), with_loss=True)
        _, bits = own_pattern(network, points.coords)
        fit = Directions(points).at(tuple(range(len(points.coords))), bits, network.A)
        found[instance.loss][0] += 1
        if fit is not None:
            found[instance.loss][1] += 1
            assert certify(instance, fit).valid, f"seed {seed}"
    assert found["absolute"][0] == found["absolute"][1] > 0, found
    assert found["squared"][1] >= found["squared"][0] * 3 // 4, found


def lossy(seed: int) -> Instance:
    """A random-label two-output instance under a loss bound: 1–2 inputs, 1–2 ReLUs, 3–5 points."""
    rng = random.Random(seed)
    d = rng.randint(1, 2)
    points = random_points(rng.randint(3, 5), d, rng, size=3)
    labels = tuple((F(rng.randint(-2, 2)), F(rng.randint(-2, 2))) for _ in points)
    return Instance(f"lossy-{seed}", Shape(d, rng.randint(1, 2), 2), tuple(points), labels,
                    rng.choice(("squared", "absolute")), F(rng.randint(1, 6), 4))


def test_z3_answers_do_not_depend_on_the_checks_before() -> None:
    """The same direct encoding checked three times answers the same (each check in its own Z3 context:
    in the main context, seed 7's took 0.2 s, then was unknown at 6 s)."""
    from etr_nn.encode.direct import encode
    (case,) = encode(lossy(7), normalise=False)
    assert [backends.get("z3").check(case.system, AGREEMENT_SECONDS * 4).status for _ in range(3)] == ["unsat"] * 3


def direct_agreement(seed: int) -> tuple[str, bool]:
    """(verdict, whether the search's leaves used the branch and bound): the pattern search alone on
    `lossy(seed)` against Z3 on the unnormalised direct encoding; verdict "agree", "undecided" or what
    disagreed."""
    from etr_nn.encode.direct import encode
    from etr_nn.search import search

    instance = lossy(seed)
    ours = search(instance, AGREEMENT_SECONDS * 4, workers=1, guide_rest=False)
    (case,) = encode(instance, normalise=False)
    theirs = backends.get("z3").check(case.system, AGREEMENT_SECONDS * 4).status
    used = "output columns' directions" in ours.rests_on
    if "unknown" in (ours.status, theirs):
        return "undecided", used
    return ("agree" if ours.status == theirs else f"seed {seed}: search {ours.status}, direct encoding {theirs}"), used


def test_search_agrees_with_the_direct_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Differential, whole instances: 10 random ones; no disagreement, and in an agreeing answer the branch
    and bound decided leaves (Z3 rarely decides the instances that need it: seed 7 here). Seeds 2, 4, 7 and 8
    agree in under 0.3 s of the 6 s each side has. A leaf's first try is 5 s here, not 1: the branch and bound
    has half of it, and on a loaded machine half a second left seed 7's leaves to nlsat (agreeing, unused)."""
    from etr_nn.search import engine
    monkeypatch.setattr(engine, "FIRST_LEAF_SECONDS", 5.0)
    results = [direct_agreement(seed) for seed in range(10)]
    wrong = [verdict for verdict, _ in results if verdict not in ("agree", "undecided")]
    assert not wrong, wrong
    assert sum(verdict == "agree" for verdict, _ in results) >= 3, results
    assert any(verdict == "agree" and used for verdict, used in results), results


@pytest.mark.slow
def test_search_agrees_with_the_direct_encoding_many() -> None:
    results = [direct_agreement(seed) for seed in range(1000, 1200)]
    wrong = [verdict for verdict, _ in results if verdict not in ("agree", "undecided")]
    assert not wrong, wrong
    # measured: 75 agree (6 of them through the branch and bound), 125 undecided by one side
    assert sum(verdict == "agree" for verdict, _ in results) >= 50, results
    assert sum(verdict == "agree" and used for verdict, used in results) >= 3, results
