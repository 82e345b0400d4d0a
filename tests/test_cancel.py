"""Combinations of two outputs in which a neuron cancels (etr_nn.search.cancel): the fact's witness satisfies the
rows, the test never refutes a real network's own pattern, and every partial pattern it refutes is refuted by Z3
on the pattern's full fitting system (rows and rank one), which uses none of the search's rules."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from etr_nn import backends
from etr_nn.deadline import Deadline
from etr_nn.generate import random_network, random_points, sample
from etr_nn.instance import Instance, Shape
from etr_nn.lp import feasible_point
from etr_nn.network import Network
from etr_nn.patterns import Points, full_pattern_system, pattern_rows, point_order, sign_choices
from etr_nn.search import cancel
from etr_nn.search.engine import Search, Table

F = Fraction


def planted_network(rng: random.Random) -> tuple[Instance, Network, tuple[tuple[F, ...], ...]]:
    """A random network with 1–3 inputs, 1–4 ReLUs and 2–3 outputs, some output weights zero (a whole column
    at times: an unused neuron), its data, and 0–2 probe points."""
    shape = Shape(rng.randint(1, 3), rng.randint(1, 4), rng.randint(2, 3))
    network = random_network(shape, rng)
    A = [list(row) for row in network.A]
    for _ in range(rng.randint(0, 2)):
        A[rng.randrange(shape.outputs)][rng.randrange(shape.hidden)] = F(0)
    if rng.random() < 0.2:
        j = rng.randrange(shape.hidden)
        for row in A:
            row[j] = F(0)
    network = Network.build(network.W, network.b, A, network.c)
    points = random_points(rng.randint(3, 10), shape.inputs, rng, size=3)
    probes = tuple(random_points(rng.randint(0, 2), shape.inputs, rng, size=4))
    return sample(network, points, "cancel"), network, probes


def witness(network: Network, signs: tuple[tuple[int, ...], ...], j: int, o: int, t: int) -> tuple[list[F], list[int]]:
    """The module docstring's solution for neuron j and outputs (o, t): (λ_o, λ_t, w_a for the other neurons, c'),
    and the signs ε_a of their weights g_a (0 where g_a = 0: either sign holds)."""
    A, sj = network.A, signs[j]
    lam = [A[t][j], -A[o][j]]
    scale = sj[t] * lam[0] - sj[o] * lam[1]
    lam = [v / scale for v in lam] if scale else [F(sj[t]), F(0)]
    z, epsilons = list(lam), []
    for i in range(len(signs)):
        if i != j:
            g = lam[0] * A[o][i] + lam[1] * A[t][i]
            z += [g * v for v in (*network.W[i], network.b[i])]
            epsilons.append((g > 0) - (g < 0))
    return z + [lam[0] * network.c[o] + lam[1] * network.c[t]], epsilons


def walk(seed: int) -> int:
    """Walk a planted network's own pattern (a random point order, probes included) down `Cancellation`: at every
    depth, for every neuron and pair of outputs, the witness satisfies every row the point adds (a guarded row
    where its guard's sign is the weight's) and the test does not refute the partial pattern. The number of
    (neuron, pair) systems with an undetermined sign (a Boolean) met."""
    rng = random.Random(seed)
    instance, network, probes = planted_network(rng)
    points = Points.of(instance, probes)
    order = tuple(rng.sample(range(len(points.coords)), len(points.coords)))
    k, m = instance.shape.hidden, instance.shape.outputs
    signs = tuple(tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k))
    v = [(*network.W[j], network.b[j]) for j in range(k)]
    bits = [tuple(int(sum((a * b for a, b in zip(v[j], (*points.coords[p], F(1)))), F(0)) > 0) for p in order)
            for j in range(k)]
    test = cancel.Cancellation(points, order, k, m)
    test.begin(signs)
    guarded = 0
    for depth in range(len(order)):
        for j in range(k):
            others = tuple(bits[i][depth] for i in range(k) if i != j)
            for o, t in test.pairs:
                z, epsilons = witness(network, signs, j, o, t)
                for guard, row in test.rows(j, o, t, depth, others):
                    if guard is None or epsilons[guard[0]] in (0, guard[1]):
                        assert row.holds(z), f"depth {depth}, neuron {j}, outputs {o, t}: {row} fails"
                guarded += depth == 0 and any(guard is not None for guard, _ in test.rows(j, o, t, depth, others))
        prefixes = tuple(b[:depth + 1] for b in bits)
        path = list(zip(*prefixes))
        assert not test.refutes(prefixes, path, Table()), f"depth {depth + 1} refuted"
    return guarded


@pytest.mark.parametrize("seed", range(60))
def test_cancellation_never_refutes_a_networks_own_pattern(seed: int) -> None:
    walk(seed)


@pytest.mark.slow
def test_cancellation_never_refutes_a_networks_own_pattern_many() -> None:
    for seed in range(1000, 1600):
        walk(seed)


def test_the_walks_meet_undetermined_signs() -> None:
    """Not vacuous: weights whose sign the orthants leave open (a Boolean of the system) occur in the walks."""
    assert sum(walk(seed) for seed in range(60)) >= 20


def refutations_against_z3(seeds: range) -> tuple[list[str], int, int]:
    """Partial patterns the test refutes during (0.3 s of) the search of random data (1–2 inputs, 2–3 ReLUs,
    2–3 outputs, 4–7 points), three per instance, each with its system (the decided points' rows and rank one)
    given to Z3 alone (5 s): (disagreements, how many Z3 decided, how many each output's own simplex finds
    feasible)."""
    wrong, beyond, decided = [], 0, 0
    for seed in seeds:
        rng = random.Random(seed)
        d, k, m = rng.randint(1, 2), rng.randint(2, 3), rng.randint(2, 3)
        xs = sorted({tuple(F(rng.randint(-8, 8), 2) for _ in range(d)) for _ in range(rng.randint(4, 7))})
        instance = Instance(f"cancel-{seed}", Shape(d, k, m), tuple(xs),
                            tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in xs))
        order, refuted = point_order(instance), []
        engine = Search(instance, order, deadline=Deadline.after(0.3))
        assert engine.cancellation is not None
        test = engine.cancellation

        def recorded(prefixes, path, table, refutes=test.refutes):  # type: ignore[no-untyped-def]
            answer = refutes(prefixes, path, table)
            if answer:
                refuted.append((test.signs, prefixes))
            return answer
        test.refutes = recorded  # type: ignore[method-assign]
        for signs in sign_choices(k, m):
            engine.run(signs)
        points = Points.of(instance)
        for signs, prefixes in rng.sample(refuted, min(len(refuted), 3)):
            beyond += all(feasible_point(pattern_rows(points, signs, order, prefixes, (o,)), engine.layout.size)
                          is not None for o in range(m))
            answer = backends.get("z3").check(full_pattern_system(points, signs, order, prefixes), 5)
            decided += answer.status != "unknown"
            if answer.status == "sat":
                wrong.append(f"seed {seed}: signs {signs}, bits {prefixes} refuted, but Z3 finds {answer.point}")
    return wrong, decided, beyond


def test_cancellation_refutations_are_refuted_by_z3() -> None:
    wrong, decided, beyond = refutations_against_z3(range(15))
    assert not wrong, wrong
    assert decided >= 20 and beyond >= 3, (decided, beyond)


@pytest.mark.slow
def test_cancellation_refutations_are_refuted_by_z3_many() -> None:
    wrong, decided, _ = refutations_against_z3(range(1000, 1300))
    assert not wrong, wrong
    assert decided >= 400, decided
