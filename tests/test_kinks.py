"""Kink covering (etr_nn.search.kinks) as the pattern search's first test at zero error: the pairs it
requires against their definition, real networks' own patterns never refuted (probe points included),
and the search with it against the search without it and Z3 on the direct encoding."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction as F
from functools import reduce
from itertools import combinations, product
from operator import or_
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn import backends, patterns
from etr_nn.encode.direct import encode
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.patterns import children, point_order, sign_choices
from etr_nn.search import engine, search
from etr_nn.search.engine import Search
from etr_nn.search import kinks
from etr_nn.search.kinks import Covering, Point, _cover, _find_cover, required_pairs, required_simplices

DIRECT_SECONDS = 5.0


def between(points: list[Point], i: int, k: int) -> list[tuple[int, F]]:
    """(j, λ) for the points j = a + λ·(c − a), 0 < λ < 1, of the segment from a = points[i] to c = points[k]."""
    a, c = points[i], points[k]
    found = []
    for j, b in enumerate(points):
        ratios = {(bt - at) / (ct - at) for at, bt, ct in zip(a, b, c) if ct != at}
        fixed = all(bt == at for at, bt, ct in zip(a, b, c) if ct == at)
        if fixed and len(ratios) == 1 and 0 < (lam := ratios.pop()) < 1:
            found.append((j, lam))
    return found


def defined_pairs(points: list[Point], values: list[F]) -> dict[int, set[tuple[int, int]]]:
    """The definition, by brute force: pairs with a point strictly between them off the chord (below: +1, above:
    −1), then those with no other such pair's segment inside their own."""
    required: dict[int, set[tuple[int, int]]] = {1: set(), -1: set()}
    for i, k in combinations(range(len(points)), 2):
        for j, lam in between(points, i, k):
            gap = values[i] + lam * (values[k] - values[i]) - values[j]
            if gap:
                required[1 if gap > 0 else -1].add((i, k))

    def inside(q: tuple[int, int], p: tuple[int, int]) -> bool:
        return all(e in p or any(j == e for j, _ in between(points, *p)) for e in q)

    return {s: {p for p in pairs if not any(q != p and inside(q, p) for q in pairs)} for s, pairs in required.items()}


def test_required_pairs_are_the_definitions() -> None:
    """On 300 random grid point sets (1–3 inputs, collinear triples common): exactly the defined pairs."""
    rng = random.Random(3)
    with_pairs = 0
    for _ in range(300):
        d = rng.choice((1, 2, 2, 3))
        n = rng.randint(3, min(10, 5 ** d))
        points: set[Point] = set()
        while len(points) < n:
            points.add(tuple(F(rng.randint(-2, 2)) for _ in range(d)))
        ordered, values = sorted(points), [F(rng.randint(-2, 2)) for _ in range(n)]
        found = required_pairs(ordered, values)
        assert {s: set(p) for s, p in found.items()} == defined_pairs(ordered, values), (ordered, values)
        with_pairs += bool(found[1] or found[-1])
    assert with_pairs >= 150


def barycentric(points: list[Point], simplex: tuple[int, ...], b: int) -> list[F] | None:
    """b's barycentric coordinates in the simplex (exact Gaussian elimination), None if its vertices are affinely
    dependent."""
    d = len(points[b])
    rows = [[points[a][t] for a in simplex] + [points[b][t]] for t in range(d)] + [[F(1)] * (d + 2)]
    for c in range(d + 1):
        pivot = next((r for r in range(c, d + 1) if rows[r][c]), None)
        if pivot is None:
            return None
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(d + 1):
            if r != c and rows[r][c]:
                factor = rows[r][c] / rows[c][c]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[c])]
    return [rows[c][d + 1] / rows[c][c] for c in range(d + 1)]


def defined_simplices(points: list[Point], values: list[F]) -> dict[int, set[tuple[int, ...]]]:
    """The definition, by brute force: d + 1 affinely independent points with another point in their hull below (+1)
    or above (−1) the interpolation of their values."""
    required: dict[int, set[tuple[int, ...]]] = {1: set(), -1: set()}
    for simplex in combinations(range(len(points)), len(points[0]) + 1):
        for b in set(range(len(points))) - set(simplex):
            lam = barycentric(points, simplex, b)
            if lam is not None and min(lam) >= 0:
                gap = sum((weight * values[a] for weight, a in zip(lam, simplex)), F(0)) - values[b]
                if gap:
                    required[1 if gap > 0 else -1].add(simplex)
    return required


def test_required_simplices_are_the_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """On 200 random point sets (2–3 inputs, grid points: points on simplices' faces common, and general position):
    exactly the defined simplices, both when every pair of a simplex and a point is decided exactly (few points)
    and when floats screen them first (EXACT = 0)."""
    rng = random.Random(4)
    with_simplices = 0
    for trial in range(200):
        d = rng.choice((2, 2, 3))
        n = rng.randint(d + 1, 9)
        points: set[Point] = set()
        while len(points) < n:
            points.add(tuple(F(rng.randint(-2, 2)) if trial % 2 else F(rng.randint(-50, 50), rng.randint(1, 9))
                             for _ in range(d)))
        ordered, values = sorted(points), [F(rng.randint(-3, 3)) for _ in range(n)]
        found = required_simplices(ordered, values)
        with monkeypatch.context() as patched:
            patched.setattr(kinks, "EXACT", 0)
            screened = required_simplices(ordered, values)
        assert {s: set(S) for s, S in found.items()} == defined_simplices(ordered, values), (ordered, values)
        assert {s: set(S) for s, S in screened.items()} == defined_simplices(ordered, values), (ordered, values)
        with_simplices += bool(found[1] or found[-1])
    assert with_simplices >= 100


def own_pattern(network: Network, coords: tuple[Point, ...], order: tuple[int, ...]) -> tuple[tuple, tuple]:
    k, m = network.shape.hidden, network.shape.outputs
    signs = tuple(tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k))
    bits = tuple(tuple(int(sum((w * x for w, x in zip(network.W[j], coords[p])), network.b[j]) > 0) for p in order)
                 for j in range(k))
    return signs, bits


def test_cover_is_exact_set_cover_or_undecided() -> None:
    """`_cover` against brute force (every choice of one set per list, or none) on 400 random small set
    systems, with repeated lists (interchangeable neurons), with and without the bound on parts of the need;
    the cover `_find_cover` returns (one set of each list, or none, restricted to the need) covers it, also with
    the subproblems refuted in all earlier calls remembered; with a tiny step budget it may only err towards True
    (undecided refutes nothing)."""
    rng = random.Random(5)
    gave_up = found = 0
    refuted: set[Any] = set()
    for _ in range(400):
        bits = rng.randint(1, 9)
        need = (1 << bits) - 1
        lists = [sorted({rng.randrange(1, 1 << bits) for _ in range(rng.randint(0, 4))}) for _ in range(rng.randint(0, 3))]
        options = [lists[rng.randrange(len(lists))] for _ in range(rng.randint(0, 6))] if lists else []
        truth = any(need & ~reduce(or_, choice, 0) == 0 for choice in product(*[[0, *opts] for opts in options]))
        cut = rng.randrange(1 << bits)
        assert _cover(need, options) == _cover(need, options, parts=(cut, need & ~cut)) == truth, (need, options)
        assert _find_cover(need, options, refuted=refuted)[0] == truth, (need, options)  # subproblems of earlier ones
        possible, shares = _find_cover(need, options)
        if shares is not None:
            assert possible and reduce(or_, shares, 0) == need, (need, options, shares)
            assert all(x == 0 or any(x & y == x for y in opts) for x, opts in zip(shares, options))
            found += 1
        hurried = _cover(need, options, steps=1)
        assert hurried or not truth
        gave_up += hurried and not truth
    assert gave_up > 0 and found >= 100 and refuted  # the budget does cut searches short


def test_one_hyperplane_serves_both_outputs() -> None:
    """One input, one neuron of orthant (+, +): output 1 kinks between 0 and 2 (convex), output 2 between 3 and 5.
    Each output alone has a dichotomy for it; the neuron has one threshold, which separates only one of the pairs:
    the joint cover refutes the root, and passes it with two neurons."""
    points = [(F(x),) for x in range(6)]
    labels = [(F(max(x - 1, 0)), F(max(x - 4, 0))) for x in range(6)]
    covering = Covering(points, labels, tuple(range(6)))
    assert covering.feasible(((1, 1),), ((),)) == -1
    assert covering.feasible(((1, 1), (1, 1)), ((), ())) is None
    instance = Instance("two-kinks", Shape(1, 1, 2), tuple(points), tuple(labels))
    assert search(instance, 10, workers=1).status == "unsat"
    assert search(replace(instance, shape=Shape(1, 2, 2)), 10, workers=1).status == "sat"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 2), st.integers(0, 10**6))
def test_a_networks_own_pattern_is_never_refuted(d: int, k: int, m: int, seed: int) -> None:
    """Labels made by a random network on grid points (lines of 3–4 points, simplices holding points), a probe
    point among them: no prefix of the network's own pattern and orthants, in the search's order, is refuted by
    kink covering."""
    rng = random.Random(seed)
    grid = [tuple(F(v) for v in x) for x in product(*[range(-3, 4) if d == 1 else range(-1, 3) if d == 2 else range(3)]
                                                     * d)]
    coords = rng.sample(grid, min(len(grid), rng.randint(5, 9)))
    network = Network.build([[rng.randint(-2, 2) for _ in range(d)] for _ in range(k)],
                            [F(rng.randint(-4, 4), 2) for _ in range(k)],
                            [[rng.choice((-2, -1, 1, 2)) for _ in range(k)] for _ in range(m)], [0] * m)
    data, probe = coords[:-1], coords[-1]
    instance = Instance("kinks", Shape(d, k, m), tuple(data), tuple(tuple(network(x)) for x in data))
    order = point_order(instance) + (instance.n,)  # the probe last
    searching = Search(instance, order, probes=(probe,))
    if searching.covering is None:
        return  # no collinear triple off its chord
    signs, bits = own_pattern(network, searching.points.coords, order)
    for depth in range(len(bits[0]) + 1):
        prefixes = tuple(b[:depth] for b in bits)
        assert searching.covering.feasible(signs, prefixes) is None, (depth, network)
        if depth < len(bits[0]):  # the partial bit vectors of the network's next bits (patterns.children's `viable`)
            nxt = tuple(b[depth] for b in bits)
            assert all(searching.covering.viable(signs, prefixes, nxt[:j]) for j in range(1, k)), (depth, network)


def pruning_walk(seed: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """patterns.children with kink covering on partial bit vectors (Covering.viable) against the plain children, at
    every node of random walks (random children) on collinear data, 1–4 ReLUs, partial vectors tested from 1, 2, 4
    or 8 completions on (the default, 64, is a cost threshold for wide layers): it drops only children whose full
    vectors kink covering refutes (monotone: a partial vector's rejection holds for every completion), keeps the
    order, and yields nothing new; the number of children it dropped."""
    rng = random.Random(seed)
    monkeypatch.setattr(patterns, "VIABLE_COMPLETIONS", rng.choice((1, 2, 4, 8)))
    case = collinear_case(seed)
    instance = Instance(case.name, Shape(case.shape.inputs, rng.randint(1, 4), case.shape.outputs), case.points, case.labels)
    searching = Search(instance, point_order(instance))
    covering = searching.covering
    if covering is None:
        return 0
    dropped = 0
    choices = sign_choices(instance.shape.hidden, instance.shape.outputs)
    for signs in rng.sample(choices, min(3, len(choices))):
        prefixes: tuple[tuple[int, ...], ...] = tuple(() for _ in signs)
        for _ in range(instance.n):
            every = list(children(signs, prefixes, searching.trie))
            pruned = list(children(signs, prefixes, searching.trie, lambda partial: covering.viable(signs, prefixes, partial)))
            kept = [bits for bits in every if covering.feasible(signs, [p + (b,) for p, b in zip(prefixes, bits)]) is None]
            assert [bits for bits in pruned if bits in kept] == kept and set(pruned) <= set(every), (seed, signs, prefixes)
            dropped += len(every) - len(pruned)
            prefixes = tuple(p + (b,) for p, b in zip(prefixes, rng.choice(every)))
    return dropped


@pytest.mark.parametrize("seed", range(30))
def test_children_pruned_by_partial_vectors_are_refuted_ones(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pruning_walk(seed, monkeypatch)


def test_children_pruning_drops_children(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sum(pruning_walk(seed, monkeypatch) for seed in range(30)) > 0


def collinear_case(seed: int) -> Instance:
    """Random labels on points of a small grid (many collinear triples), 1–2 inputs, outputs and ReLUs."""
    rng = random.Random(seed)
    d, m, k = rng.randint(1, 2), rng.randint(1, 2), rng.randint(1, 2)
    grid = [(F(u),) for u in range(-2, 3)] if d == 1 else [(F(u), F(v)) for u in range(3) for v in range(3)]
    points = rng.sample(grid, rng.randint(3, min(6, len(grid))))
    labels = tuple(tuple(F(rng.randint(-2, 2)) for _ in range(m)) for _ in points)
    return Instance(f"collinear-{seed}", Shape(d, k, m), tuple(points), labels)


def planar_case(seed: int) -> Instance:
    """Two inputs, 5–6 points of rational coordinates (no three collinear, as a rule: only simplices ask for kinks),
    1–2 outputs: even seeds the labels of a random network with 1–2 ReLUs asked of as many (sat), odd seeds random
    labels asked of one ReLU (seeds 1 mod 4: Z3 decides most of those) or two."""
    rng = random.Random(seed)
    m, n = rng.randint(1, 2), rng.randint(5, 6)
    points: list[tuple[F, F]] = []
    while len(points) < n:
        x = (F(rng.randint(-20, 20), rng.randint(1, 4)), F(rng.randint(-20, 20), rng.randint(1, 4)))
        points += [x] if x not in points else []
    if seed % 2:
        labels = [tuple(F(rng.randint(-3, 3)) for _ in range(m)) for _ in points]
        return Instance(f"planar-{seed}", Shape(2, 1 if seed % 4 == 1 else 2, m), tuple(points), tuple(labels))
    k = rng.randint(1, 2)
    network = Network.build([[rng.randint(-2, 2) for _ in range(2)] for _ in range(k)],
                            [F(rng.randint(-4, 4), 2) for _ in range(k)],
                            [[rng.choice((-2, -1, 1, 2)) for _ in range(k)] for _ in range(m)], [0] * m)
    return Instance(f"planar-{seed}", Shape(2, k, m), tuple(points), tuple(tuple(network(x)) for x in points))


def kink_disagreements(seeds: range, monkeypatch: pytest.MonkeyPatch,
                       make: Callable[[int], Instance] = collinear_case) -> dict[str, int]:
    """The pattern search with kink covering (on the children's partial bit vectors as well) against the search
    without it and Z3 on the unnormalised direct encoding, on the instances `make` makes; the tally (answers decided by all three,
    refutations that kink covering took part in)."""
    tally = {"sat": 0, "unsat": 0, "kinks": 0}
    # every partial bit vector of a child tested (the default threshold is a cost policy for wide layers)
    monkeypatch.setattr(patterns, "VIABLE_COMPLETIONS", 1)
    for seed in seeds:
        instance = make(seed)
        ours = search(instance, DIRECT_SECONDS, workers=1)
        with monkeypatch.context() as patched:
            patched.setattr(engine, "Covering", lambda *args: None)
            plain = search(instance, DIRECT_SECONDS, workers=1).status
        (case,) = encode(instance, normalise=False)
        theirs = backends.get("z3").check(case.system, DIRECT_SECONDS).status
        answers = {ours.status, plain, theirs} - {"unknown"}
        assert len(answers) <= 1, f"seed {seed}: with kink covering {ours.status}, without {plain}, direct {theirs}"
        if "unknown" not in (ours.status, plain, theirs):
            tally[ours.status] += 1
        tally["kinks"] += ours.details["search"]["patterns_refuted_kinks"] > 0
    return tally


def joint_case(seed: int) -> Instance:
    """Two outputs on 5–7 points of a line or a 3×3 grid (collinear triples common): even seeds the labels of a
    random network with 1–3 ReLUs asked of as many (sat), odd seeds random labels asked of 1–2 ReLUs (mostly unsat,
    where the joint cover bites)."""
    rng = random.Random(seed)
    d = rng.choice((1, 1, 2))
    grid = [(F(u),) for u in range(-3, 4)] if d == 1 else [(F(u), F(v)) for u in range(3) for v in range(3)]
    points = rng.sample(grid, rng.randint(5, 7))
    if seed % 2:
        labels = [(F(rng.randint(-2, 2)), F(rng.randint(-2, 2))) for _ in points]
        return Instance(f"joint-{seed}", Shape(d, rng.randint(1, 2), 2), tuple(points), tuple(labels))
    k = rng.randint(1, 3)
    network = Network.build([[rng.randint(-2, 2) for _ in range(d)] for _ in range(k)],
                            [F(rng.randint(-4, 4), 2) for _ in range(k)],
                            [[rng.choice((-2, -1, 0, 1, 2)) for _ in range(k)] for _ in range(2)], [0, 0])
    return Instance(f"joint-{seed}", Shape(d, k, 2), tuple(points), tuple(tuple(network(x)) for x in points))


def joint_disagreements(seeds: range, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The search with the joint cover against the search with each class's cover alone (JOINT_STEPS 0: every
    joint cover undecided) and Z3 on the direct encoding (2 s), on `joint_case`s; the tally (answers of both
    searches, those Z3 decided as well, partial patterns only the joint cover refuted)."""
    tally = {"sat": 0, "unsat": 0, "direct": 0, "joint": 0}
    feasible = Covering.feasible

    def counted(self: Covering, signs: Any, prefixes: Any) -> int | None:
        failed = feasible(self, signs, prefixes)
        tally["joint"] += failed == -1
        return failed

    for seed in seeds:
        instance = joint_case(seed)
        with monkeypatch.context() as patched:
            patched.setattr(Covering, "feasible", counted)
            ours = search(instance, DIRECT_SECONDS, workers=1).status
        with monkeypatch.context() as patched:
            patched.setattr(kinks, "JOINT_STEPS", 0)
            plain = search(instance, DIRECT_SECONDS, workers=1).status
        (encoded,) = encode(instance, normalise=False)
        theirs = backends.get("z3").check(encoded.system, 2.0).status
        answers = {ours, plain, theirs} - {"unknown"}
        assert len(answers) <= 1, f"seed {seed}: joint cover {ours}, classes alone {plain}, direct {theirs}"
        if "unknown" not in (ours, plain):
            tally[ours] += 1
            tally["direct"] += theirs != "unknown"
    return tally


def test_search_with_the_joint_cover_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = joint_disagreements(range(60), monkeypatch)  # measured: 30 sat, 30 unsat (Z3 decided 50), joint 16
    assert tally["sat"] >= 20 and tally["unsat"] >= 15 and tally["direct"] >= 35 and tally["joint"] >= 3, tally


@pytest.mark.slow
def test_search_with_the_joint_cover_agrees_many(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = joint_disagreements(range(1000, 1400), monkeypatch)  # measured: 202 sat, 198 unsat (Z3 344), joint 83
    assert tally["sat"] >= 150 and tally["unsat"] >= 150 and tally["direct"] >= 280 and tally["joint"] >= 40, tally


def test_search_with_kink_covering_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = kink_disagreements(range(40), monkeypatch)  # measured: 20 sat, 18 unsat, kink covering in 30
    assert tally["sat"] >= 10 and tally["unsat"] >= 10 and tally["kinks"] >= 15, tally


@pytest.mark.slow
def test_search_with_kink_covering_agrees_many(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = kink_disagreements(range(1000, 1300), monkeypatch)
    assert tally["sat"] >= 80 and tally["unsat"] >= 80 and tally["kinks"] >= 120, tally


def test_search_with_required_simplices_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = kink_disagreements(range(24), monkeypatch, planar_case)  # measured: 10 sat, 6 unsat, kinks 20
    assert tally["sat"] >= 6 and tally["unsat"] >= 4 and tally["kinks"] >= 15, tally


@pytest.mark.slow
def test_search_with_required_simplices_agrees_many(monkeypatch: pytest.MonkeyPatch) -> None:
    tally = kink_disagreements(range(1000, 1300), monkeypatch, planar_case)  # measured: 141 sat, 72 unsat, kinks 234
    assert tally["sat"] >= 100 and tally["unsat"] >= 50 and tally["kinks"] >= 150, tally
