"""The gadget checker against an independent decider, and its last gate.

The independent decider is "fits ∧ ¬claim" in the unnormalised direct encoding (every weight
free, each ReLU an if-then-else case split, each probe value a sum of relu's) decided by Z3:
it uses none of the checker's rules (reduction, orthants, symmetry breaking, point order,
kink covering, the rank-one test). PROVED must match its unsat, REFUTED its sat.
"""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.encode.direct import encode
from etr_nn.gadgets import checker
from etr_nn.gadgets.checker import negated_system
from etr_nn.gadgets.claims import Claim, lookup_in, parse_claim
from etr_nn.generate import random_network, random_points, sample
from etr_nn.instance import Instance, Shape
from etr_nn.search.engine import Search

F = Fraction
DIRECT_SECONDS = 10.0

PROBE = Instance("probe", Shape(1, 2, 2), tuple((F(x),) for x in (0, 1, 3, 4, 6, 7)),
                 tuple((F(a), F(b)) for a, b in ((0, 0), (0, 0), (2, 1), (3, 2), (3, 4), (3, 5))))


def direct(instance: Instance, claim: Claim) -> str:
    """"proved" / "refuted" / "unknown" from Z3 on fits ∧ ¬claim, unnormalised direct encoding."""
    (case,) = encode(instance, normalise=False)
    answer = backends.get("z3").check(negated_system(instance, case, claim), DIRECT_SECONDS)
    return {"unsat": "proved", "sat": "refuted"}.get(answer.status, "unknown")


def _text(x: tuple[Fraction, ...]) -> str:
    return ", ".join(str(v) for v in x)


def random_case(seed: int, max_hidden: int, max_points: int) -> tuple[Instance, Claim]:
    """A small instance (planted, or random labels) and a claim at random probe points, linear or
    polynomial, true or false: its right-hand side read off a fit where there is one."""
    rng = random.Random(seed)
    d, m, k = rng.randint(1, 2), rng.randint(1, 2), rng.randint(1, max_hidden)
    network = random_network(Shape(d, k, m), rng, size=2)
    points = random_points(rng.randint(2, max_points), d, rng, size=3)
    instance = sample(network, points, f"diff-{seed}")
    if rng.random() < 0.3:  # random labels: maybe no fit, and a claim may hold vacuously
        labels = tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in points)
        instance = Instance(instance.name, instance.shape, instance.points, labels)
    probes = [tuple((a + b) / 2 for a, b in zip(*rng.sample(points, 2))) if len(points) > 1 else points[0],
              rng.choice(points), tuple(v + rng.choice((-3, 3)) for v in rng.choice(points))]
    probes = rng.sample(probes, rng.randint(1, 2))
    terms = [f"f{rng.randrange(m) + 1}({_text(x)})" for x in probes]
    lhs = " * ".join(terms) if rng.random() < 0.3 else " - ".join(terms)
    value = parse_claim(f"{lhs} = 0")
    on_network = value.value(lookup_in(network, {}))
    rhs = on_network + rng.choice((0, 0, 1, F(-1, 2)))
    return instance, parse_claim(f"{lhs} {rng.choice(('=', '<=', '>=', '<', '!='))} {rhs}")


def disagreements(seeds: range, max_hidden: int, max_points: int) -> tuple[list[str], dict[str, int]]:
    wrong, tally = [], {"proved": 0, "refuted": 0, "unknown": 0}
    for seed in seeds:
        instance, claim = random_case(seed, max_hidden, max_points)
        ours = checker.check_claim(instance, claim, timeout=30).verdict
        theirs = direct(instance, claim)
        tally[ours if theirs != "unknown" else "unknown"] += 1
        if "unknown" not in (ours, theirs) and ours != theirs:
            wrong.append(f"seed {seed}: {claim.text} on {instance.points}, {instance.labels}: "
                         f"checker {ours}, direct encoding {theirs}")
    return wrong, tally


def test_checker_agrees_with_the_direct_encoding() -> None:
    wrong, tally = disagreements(range(60), max_hidden=2, max_points=6)
    assert not wrong, wrong
    assert tally["proved"] >= 10 and tally["refuted"] >= 10 and tally["unknown"] <= 10, tally


@pytest.mark.slow
def test_checker_agrees_with_the_direct_encoding_many() -> None:
    wrong, tally = disagreements(range(10_000, 11_000), max_hidden=3, max_points=7)
    assert not wrong, wrong
    assert tally["proved"] >= 100 and tally["refuted"] >= 100, tally


def test_a_probe_between_data_points_is_not_pruned() -> None:
    """The claim f1(5) = 100 is false on a certified fit; the checker once proved it (its rank-one
    test took probe points for data with label 0)."""
    false, true = checker.check(PROBE, [parse_claim("f1(5) = 100"), parse_claim("f1(5) = 3")]).results
    assert false.verdict == "refuted" and false.counterexample is not None
    assert certify(PROBE, false.counterexample).valid and false.counterexample([F(5)])[0] != 100
    assert true.verdict == "proved"
    assert direct(PROBE, false.claim) == "refuted" and direct(PROBE, true.claim) == "proved"


def test_last_gate_turns_an_unsound_proof_into_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a search that refutes every pattern (an unsound rule), the false claim and "no fit
    exists" come out proved; the gate holds certified fits that contradict both."""
    monkeypatch.setattr(Search, "_decide", lambda self, prefixes, path: ("unsat", 0))
    assert checker.check_claim(PROBE, parse_claim("f1(5) = 100")).verdict == "proved"  # the broken search
    report = checker.check(PROBE, [parse_claim("f1(5) = 100")])
    (result,) = report.results
    assert result.verdict == "unknown" and "internal contradiction" in result.reason
    assert report.fits is not None and report.fits.status == "sat" and "contradiction" in report.fits.rests_on


def unnormalised(instance: Instance, seconds: float = DIRECT_SECONDS) -> str:
    """"sat" / "unsat" / "unknown": Z3 on the direct encoding with every weight free."""
    (case,) = encode(instance, normalise=False)
    return backends.get("z3").check(case.system, seconds).status


def random_labels(seed: int, max_error: Fraction) -> Instance:
    rng = random.Random(seed)
    d, m, k = rng.randint(1, 2), rng.randint(1, 2), rng.randint(1, 2 if max_error == 0 else 1)
    points = random_points(rng.randint(2, 6 if max_error == 0 else 4), d, rng, size=3)
    labels = tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in points)
    return Instance(f"labels-{seed}", Shape(d, k, m), tuple(points), labels, rng.choice(("squared", "absolute")),
                    max_error)


@pytest.mark.parametrize("max_error", [F(0), F(1, 2)])
def test_solve_agrees_with_the_unnormalised_direct_encoding(max_error: Fraction) -> None:
    """solve (the pattern search at zero error, the normalised direct encoding above it) against
    Z3 on the encoding without normalisation or symmetry breaking, on random labels."""
    from etr_nn.solve import solve

    decided = {"sat": 0, "unsat": 0}
    for seed in range(30 if max_error == 0 else 12):
        instance = random_labels(seed, max_error)
        ours, theirs = solve(instance, timeout=DIRECT_SECONDS).status, unnormalised(instance)
        if "unknown" not in (ours, theirs):
            assert ours == theirs, f"seed {seed}: solve {ours}, direct encoding {theirs}"
            decided[ours] += 1
    assert min(decided.values()) >= 3, decided


def convexity_from_the_start(seeds: range, monkeypatch: pytest.MonkeyPatch, max_hidden: int = 3) -> dict[str, int]:
    """solve and the gadget checker with the convexity bound active from the first partial pattern
    (zero error: engine.CONVEXITY_AFTER = 0), its geometric certificates from the first split bound on
    (convexity.HULL_AFTER = 0: chords for d = 1, qhull for d = 2), against Z3 on the unnormalised direct encoding, on
    random labels with up to `max_hidden` ReLUs (4: two neurons of each output sign, the bound's
    cells of two activation sets) and on random claims; the tally of decided answers."""
    from etr_nn.search import convexity, engine
    from etr_nn.solve import solve

    monkeypatch.setattr(engine, "CONVEXITY_AFTER", 0)
    monkeypatch.setattr(convexity, "HULL_AFTER", 0)
    decided = {"sat": 0, "unsat": 0, "proved": 0, "refuted": 0}
    for seed in seeds:
        rng = random.Random(seed)
        d, m, k = rng.randint(1, 2), rng.randint(1, 2), rng.randint(1, max_hidden)
        points = random_points(rng.randint(3, 6), d, rng, size=3)
        labels = tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in points)
        instance = Instance(f"convex-{seed}", Shape(d, k, m), tuple(points), labels)
        ours, theirs = solve(instance, timeout=DIRECT_SECONDS, workers=1).status, unnormalised(instance)
        if "unknown" not in (ours, theirs):
            assert ours == theirs, f"seed {seed}: solve {ours}, direct encoding {theirs}"
            decided[ours] += 1
        instance, claim = random_case(seed, max_hidden=max_hidden, max_points=6)
        verdict, truth = checker.check_claim(instance, claim, timeout=30).verdict, direct(instance, claim)
        if "unknown" not in (verdict, truth):
            assert verdict == truth, f"seed {seed}: {claim.text}: checker {verdict}, direct encoding {truth}"
            decided[verdict] += 1
    return decided


def test_convexity_bound_from_the_start_agrees_with_the_direct_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    decided = convexity_from_the_start(range(8), monkeypatch)
    assert min(decided.values()) >= 1, decided


@pytest.mark.slow
def test_convexity_bound_from_the_start_agrees_with_the_direct_encoding_many(monkeypatch: pytest.MonkeyPatch) -> None:
    decided = convexity_from_the_start(range(5000, 5200), monkeypatch, max_hidden=4)
    assert min(decided.values()) >= 20, decided


def test_rationality_agrees_with_solve_on_random_two_output_data() -> None:
    """"no fit" exactly when solve (the pattern search) says unsat; "no rational fit" never when
    solve found a rational certified fit; "rational" always with a rational certified network."""
    from etr_nn.optimize.rationality import rationality
    from etr_nn.solve import solve

    seen: dict[str, int] = {}
    for seed in range(12):
        rng = random.Random(seed)
        d, k = rng.randint(1, 2), rng.randint(1, 2)
        points = random_points(rng.randint(3, 5), d, rng, size=3)
        labels = tuple((F(rng.randint(-2, 2)), F(rng.randint(-2, 2))) for _ in points)
        instance = Instance(f"two-{seed}", Shape(d, k, 2), tuple(points), labels)
        answer, solved = rationality(instance, timeout=20), solve(instance, timeout=20)
        seen[answer.status] = seen.get(answer.status, 0) + 1
        if "unknown" in (answer.status, solved.status):
            continue
        assert (answer.status == "no fit") == (solved.status == "unsat"), seed
        if solved.network is not None and solved.network.is_rational():
            assert answer.status == "rational", seed
        if answer.status == "rational":
            assert answer.network is not None and answer.network.is_rational()
            assert certify(instance, answer.network).valid
    assert seen.get("rational", 0) >= 3 and seen.get("no fit", 0) >= 2, seen


def loss_bound_case(seed: int) -> tuple[Instance, Fraction]:
    """Random one-output data and the exact least loss of its network shape (every pattern's
    convex program decided by Z3 alone, tests/oracles.py: none of the search's pruning, no float
    guess)."""
    from oracles import enumerated_optimum

    rng = random.Random(seed)
    d, k = rng.randint(1, 2), rng.randint(1, 2)
    points = random_points(rng.randint(3, 6), d, rng, size=3)
    labels = tuple((F(rng.randint(-3, 3)),) for _ in points)
    instance = Instance(f"loss-{seed}", Shape(d, k, 1), tuple(points), labels,
                        rng.choice(("squared", "absolute")), F(1))
    return instance, enumerated_optimum(instance)


@pytest.mark.parametrize("seed", range(24))
def test_loss_bounds_in_the_search_agree_with_the_exact_optimum(seed: int) -> None:
    """solve with max_error = γ > 0 (the pattern search with slack rows and budget bounds) is sat
    exactly when the exact optimum is ≤ γ: at the optimum, just below it, and above it."""
    from etr_nn.solve import solve

    instance, optimum = loss_bound_case(seed)
    for gamma in {optimum, optimum - F(1, 7), optimum + F(1, 3)} - {F(0)}:
        if gamma < 0:
            continue
        answer = solve(replace(instance, max_error=gamma), timeout=60)
        assert answer.backend == "pattern search", answer.rests_on
        assert answer.status == ("sat" if optimum <= gamma else "unsat"), (gamma, optimum, answer.rests_on)


@pytest.mark.slow
def test_loss_bounds_in_the_search_agree_with_the_exact_optimum_many() -> None:
    for seed in range(1000, 1300):
        test_loss_bounds_in_the_search_agree_with_the_exact_optimum(seed)


def one_output_least_loss(seeds: range, kind: str, max_hidden: int = 1) -> dict[str, int]:
    """solve with one output and squared or absolute loss (the search that decides partial patterns
    by their decided points' least loss before any simplex, from float points, with an exact KKT
    point or weak-duality bound confirming every pruning) against Z3 on the unnormalised direct
    encoding: planted networks (1–2 inputs, up to `max_hidden` ReLUs, 3–4 points; Z3 decides few
    unsat cases beyond), labels moved off them, γ = the network's own loss (sat by construction)
    and a quarter of it; the tally."""
    from etr_nn.certify import loss
    from etr_nn.solve import solve

    decided = {"sat": 0, "unsat": 0}
    for seed in seeds:
        rng = random.Random(seed)
        shape = Shape(rng.randint(1, 2), rng.randint(1, max_hidden), 1)
        network = random_network(shape, rng)
        clean = sample(network, random_points(rng.randint(3, 4), shape.inputs, rng, size=3), f"{kind}-{seed}", kind)
        noisy = replace(clean, labels=tuple((y[0] + F(rng.randint(-2, 2)),) for y in clean.labels))
        own = loss(noisy, network)
        for gamma in (own, own / 4) if own else (F(1, 2),):
            instance = replace(noisy, max_error=gamma)
            ours, theirs = solve(instance, timeout=DIRECT_SECONDS, workers=1).status, unnormalised(instance)
            assert gamma != own or ours != "unsat", f"seed {seed}: a fit with loss {own} exists"
            if "unknown" not in (ours, theirs):
                assert ours == theirs, f"seed {seed}, γ = {gamma}: solve {ours}, direct encoding {theirs}"
                decided[ours] += 1
    return decided


@pytest.mark.parametrize("kind", ["squared", "absolute"])
def test_least_loss_search_agrees_with_the_direct_encoding(kind: str) -> None:
    decided = one_output_least_loss(range(12), kind)
    assert min(decided.values()) >= 2, decided


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["squared", "absolute"])
def test_least_loss_search_agrees_with_the_direct_encoding_many(kind: str) -> None:
    decided = one_output_least_loss(range(1000, 1200), kind, max_hidden=2)  # squared, seeds 1000–1059: 91 sat, 5 unsat, 255 s
    assert decided["sat"] >= 150 and decided["unsat"] >= 8, decided


@pytest.mark.parametrize("seed", range(16))
def test_branch_and_bound_agrees_with_the_exact_optimum(seed: int) -> None:
    """optimize (one output: branch and bound with least-squares, convexity and infeasibility
    pruning, float-guided KKT points) proves the optimum that the enumeration decided by Z3 alone
    finds, with a certified network of exactly that loss."""
    from etr_nn.certify import loss
    from etr_nn.deadline import Deadline
    from etr_nn.optimize.convex import optimize

    instance, optimum = loss_bound_case(seed)
    found = optimize(instance, Deadline.after(120))
    assert found.status == "optimal" and found.network is not None, found.rests_on
    assert found.value == optimum == loss(instance, found.network)


@pytest.mark.parametrize("seed, split", [(seed, split) for seed in range(6) for split in (1, 3)])
def test_branch_and_bound_in_worker_processes_agrees_with_the_exact_optimum(seed: int, split: int,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The same with every sign choice split at the partial patterns of `split` points that survive
    (Search.frontier) and those searched in two worker processes (none in this one): each worker's
    own incumbent, the least of them optimal."""
    from etr_nn.certify import loss
    from etr_nn.deadline import Deadline
    from etr_nn.optimize import convex

    monkeypatch.setattr(convex, "INLINE_SECONDS", 0.0)
    monkeypatch.setattr(convex, "SPLIT_DEPTH", split)
    instance, optimum = loss_bound_case(seed)
    found = convex.optimize(instance, Deadline.after(120), workers=2)
    assert found.status == "optimal" and found.network is not None, found.rests_on
    assert found.value == optimum == loss(instance, found.network)


@pytest.mark.slow
def test_branch_and_bound_agrees_with_the_exact_optimum_many() -> None:
    for seed in range(1000, 1300):
        test_branch_and_bound_agrees_with_the_exact_optimum(seed)


def two_output_noisy(seed: int) -> tuple[Instance, Fraction]:
    """A planted two-output network (1–2 inputs, 1 ReLU, 3–4 points), labels moved off it, and the
    network's own exact loss on them."""
    from etr_nn.certify import loss

    rng = random.Random(seed)
    d = rng.randint(1, 2)
    network = random_network(Shape(d, 1, 2), rng)
    clean = sample(network, random_points(rng.randint(3, 4), d, rng, size=3), f"noisy-{seed}",
                   rng.choice(("squared", "absolute")))
    labels = tuple((y[0] + F(rng.randint(-2, 2)), y[1] + F(rng.randint(-2, 2), 2)) for y in clean.labels)
    noisy = replace(clean, labels=labels)
    return noisy, loss(noisy, network)


@pytest.mark.parametrize("seed", range(8))
def test_two_outputs_with_a_loss_bound(seed: int) -> None:
    """max_error > 0 with two outputs (the pattern search, then the direct encoding with the time
    left): sat at the planted network's own loss (known by construction), and agreement with Z3 on
    the unnormalised direct encoding wherever both decide, at that loss and at a quarter of it —
    for `solve` and for the pattern search alone (its loss bound couples the outputs)."""
    from etr_nn.search import search
    from etr_nn.solve import solve

    noisy, own = two_output_noisy(seed)
    for gamma in (own, own / 4) if own else (F(1, 2),):
        instance = replace(noisy, max_error=gamma)
        theirs = unnormalised(instance)
        for ours in (solve(instance, timeout=2 * DIRECT_SECONDS, workers=1).status,
                     search(instance, DIRECT_SECONDS, workers=1, guide_rest=False).status):
            assert gamma != own or ours != "unsat", f"seed {seed}: a fit with loss {own} exists"
            if "unknown" not in (ours, theirs):
                assert ours == theirs, f"seed {seed}, γ = {gamma}: ours {ours}, direct encoding {theirs}"


@pytest.mark.slow
def test_two_outputs_with_a_loss_bound_many() -> None:
    for seed in range(100, 200):
        test_two_outputs_with_a_loss_bound(seed)


def two_output_optimum_case(seed: int) -> Instance:
    """A planted two-output network (1–2 inputs, 1 ReLU: pieces in one or two chart coordinates;
    Z3 on the direct encoding decides almost none with 2 ReLUs), 3–4 points, squared loss, labels
    moved."""
    rng = random.Random(seed)
    d = rng.randint(1, 2)
    network = random_network(Shape(d, 1, 2), rng)
    clean = sample(network, random_points(rng.randint(3, 4), d, rng, size=3), f"optimum2-{seed}")
    labels = tuple((y[0] + F(rng.randint(-2, 2)), y[1] + F(rng.randint(-2, 2), 2)) for y in clean.labels)
    return replace(clean, labels=labels)


def two_output_optimum_disagreements(seeds: range) -> tuple[list[str], int]:
    """optimize's two-output optimum L (critical points by elimination, boxes, rational bounds)
    against Z3 on the unnormalised direct encoding: loss ≤ a rational just above L is not unsat,
    loss ≤ a rational just below L (or L itself when not attained) is not sat."""
    from etr_nn.cad.lifting import between
    from etr_nn.optimize import optimize

    wrong, decided = [], 0
    for seed in seeds:
        instance = two_output_optimum_case(seed)
        result = optimize(instance, timeout=60)
        if result.status == "unknown" or result.value is None:
            continue
        value = result.value
        checks = [(between(value, value + F(1, 100)), "unsat")]
        if value > 0:
            checks.append((value if result.status == "not attained" and isinstance(value, Fraction)
                           else between(value - F(1, 100), value), "sat"))
        for gamma, impossible in checks:
            theirs = unnormalised(replace(instance, max_error=gamma))
            decided += theirs != "unknown"
            if theirs == impossible:
                wrong.append(f"seed {seed}: optimum {value} ({result.status}), direct encoding {theirs} at γ = {gamma}")
    return wrong, decided


def test_two_output_optimum_agrees_with_the_direct_encoding() -> None:
    wrong, decided = two_output_optimum_disagreements(range(1, 5))
    assert not wrong, wrong
    assert decided >= 6


@pytest.mark.slow
def test_two_output_optimum_agrees_with_the_direct_encoding_many() -> None:
    wrong, decided = two_output_optimum_disagreements(range(1000, 1040))
    assert not wrong, wrong
    assert decided >= 50


def rule_disagreements(switch: str, seeds: range, monkeypatch: pytest.MonkeyPatch, hidden: tuple[int, int] = (1, 2),
                       outputs: tuple[int, int] = (1, 2), without: tuple[str, ...] = ()) -> dict[str, int]:
    """The pattern search with one of its rules on (the flag engine.<switch>) against the search with it off and Z3
    on the unnormalised direct encoding, on 1–2 inputs, `hidden` and `outputs` ranges and 5–8 points, labels random
    or (every other seed) a random network's; the tally of answers all three gave, and of searches the rule
    shortened. The rules `without` are off in both searches."""
    from etr_nn.search import engine, search

    for flag in without:
        monkeypatch.setattr(engine, flag, False)

    tally = {"sat": 0, "unsat": 0, "shorter": 0}
    for seed in seeds:
        rng = random.Random(seed)
        d, m, k = rng.randint(1, 2), rng.randint(*outputs), rng.randint(*hidden)
        points = random_points(rng.randint(5, 8), d, rng, size=3)
        labels = tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in points)
        instance = (Instance(f"{switch.lower()}-{seed}", Shape(d, k, m), tuple(points), labels) if seed % 2 else
                    sample(random_network(Shape(d, k, m), rng), points, f"{switch.lower()}-{seed}"))
        ours = search(instance, DIRECT_SECONDS, workers=1)
        with monkeypatch.context() as patched:
            patched.setattr(engine, switch, False)
            plain = search(instance, DIRECT_SECONDS, workers=1)
        theirs = unnormalised(instance, seconds=3.0)
        answers = {ours.status, plain.status, theirs} - {"unknown"}
        assert len(answers) <= 1, f"seed {seed}: with {switch} {ours.status}, without {plain.status}, direct {theirs}"
        if "unknown" not in (ours.status, plain.status, theirs):
            tally[ours.status] += 1
        explored = [s.details["search"]["patterns_explored"] for s in (ours, plain)]
        tally["shorter"] += explored[0] < explored[1]
    return tally


def test_forced_rows_agree_with_the_direct_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = rule_disagreements("FORCED_ROWS", range(20), monkeypatch, without=("CANCELLATION",))
    assert tally["sat"] >= 5 and tally["unsat"] >= 5 and tally["shorter"] >= 5, tally


@pytest.mark.slow
def test_forced_rows_agree_with_the_direct_encoding_many(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = rule_disagreements("FORCED_ROWS", range(3000, 3300), monkeypatch, without=("CANCELLATION",))
    assert tally["sat"] >= 50 and tally["unsat"] >= 50 and tally["shorter"] >= 50, tally


def test_cancellation_agrees_with_the_direct_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Combinations of outputs cancelling a neuron (etr_nn.search.cancel), two or three outputs."""
    tally = rule_disagreements("CANCELLATION", range(20), monkeypatch, hidden=(1, 2), outputs=(2, 3))
    assert tally["sat"] >= 5 and tally["unsat"] >= 5 and tally["shorter"] >= 5, tally


@pytest.mark.slow
def test_cancellation_agrees_with_the_direct_encoding_many(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = rule_disagreements("CANCELLATION", range(4000, 4300), monkeypatch, hidden=(1, 2), outputs=(2, 3))
    assert tally["sat"] >= 50 and tally["unsat"] >= 50 and tally["shorter"] >= 50, tally
