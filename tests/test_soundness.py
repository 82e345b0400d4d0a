"""Soundness of every rule that lets the gadget checker's search skip cases.

A rule is sound when it never prunes the activation pattern of a real fit. Each test plants
a random network (1–3 inputs, 1–3 ReLUs, 1–2 outputs, some zero output weights), samples
data from it, adds probe points between data points, on a data point and outside the data's
hull, and walks the network's own pattern down the search the checker actually runs (after
its instance reduction), asserting at every depth that
- the enumeration (dichotomy trie, symmetry breaking, output orthants, point order) offers it,
- its exact rows, the negated claim included, hold for the network's own unknowns,
- kink covering and the rank-one test do not refute it;
and that the reduction (affine hull of data and probes, dropped constant outputs) maps the
fit to a fit of the reduced instance with the same values at the probes.
"""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from etr_nn.certify import certify, loss
from etr_nn.deadline import NO_LIMIT
from etr_nn.gadgets import patterns
from etr_nn.gadgets.claims import Claim, lookup_in, parse_claim
from etr_nn.generate import random_network, random_points, sample
from etr_nn.instance import Instance, Shape
from etr_nn.network import Network
from etr_nn.search.dichotomies import basis
from etr_nn.search.engine import Incumbent
from etr_nn.search.span import span_fit
from etr_nn.qp import least_squares
from etr_nn.patterns import (Layout, Points, Trie, budget_row, children, fitting_system, least_squares_problem, point_order, point_rows,
                             sign_choices)

F = Fraction
SEEDS = range(60)


def _text(x: tuple[Fraction, ...]) -> str:
    return ", ".join(str(v) for v in x)


def planted_case(seed: int) -> tuple[Instance, Network, Claim]:
    """A planted instance, its network, and a claim at probe points that the network violates."""
    rng = random.Random(seed)
    d, k, m = rng.choice((1, 1, 2, 2, 3)), rng.randint(1, 3), rng.randint(1, 2)
    network = random_network(Shape(d, k, m), rng)
    if k > 1 and rng.random() < 0.2:  # an unused neuron: its output column is zero
        A = [list(row) for row in network.A]
        for row in A:
            row[rng.randrange(k)] = F(0)
        network = Network.build(network.W, network.b, A, network.c)
    n = rng.randint(3, 7 if d < 3 else 6)
    points = random_points(n, d, rng, size=3)
    if rng.random() < 0.3 and d > 1:  # data on a line or a plane: the affine hull is smaller
        points = sorted({tuple(p[0] * t for t in range(1, d + 1)) for p in points})
    instance = sample(network, points, f"sound-{seed}")
    a, b = rng.sample(range(len(points)), 2) if len(points) > 1 else (0, 0)
    between = tuple((u + v) / 2 for u, v in zip(points[a], points[b]))
    outside = tuple(v + F(rng.choice((-5, 5))) for v in points[rng.randrange(len(points))])
    on = points[rng.randrange(len(points))]
    probes = [between, outside, on] if d == 1 or rng.random() < 0.5 else [between]
    terms = [(rng.choice((1, 2, -1)), rng.randrange(m), x) for x in probes[: rng.randint(1, len(probes))]]
    if rng.random() < 0.5:  # a linear claim over one output: ¬claim goes into the simplex
        terms = [(c, terms[0][1], x) for c, _, x in terms]
    value = sum((c * network(x)[o] for c, o, x in terms), F(0))
    lhs = " + ".join(f"{c}*f{o + 1}({_text(x)})" for c, o, x in terms)
    relation, rhs = rng.choice((("=", value + 1), ("<=", value - 1), (">=", value + F(1, 2)), ("!=", value)))
    claim = parse_claim(f"{lhs} {relation} {rhs}")
    assert not claim.holds(lookup_in(network, {})), "the planted network must violate the claim"
    return instance, network, claim


def restricted(r: patterns.Reduction, instance: Instance, claim: Claim, network: Network) -> Network:
    """The fit on the reduction's coordinates: x = p0 + E·λ on the hull of data and probes, so
    W' = W·E, b' = b + W·p0, and the kept outputs' rows of A and c."""
    points = list(instance.points) + claim.probes()
    E = basis([tuple(a - b for a, b in zip(x, r.p0)) for x in points]) if len(r.G) < instance.shape.inputs else None
    d = instance.shape.inputs
    if E is None:
        E = [tuple(F(int(i == t)) for t in range(d)) for i in range(d)]
    W = [[sum((w[t] * e[t] for t in range(d)), F(0)) for e in E] for w in network.W]
    b = [bj + sum((w[t] * r.p0[t] for t in range(d)), F(0)) for w, bj in zip(network.W, network.b)]
    return Network.build(W, b, [network.A[o] for o in r.outputs], [network.c[o] for o in r.outputs])


def own_pattern(network: Network, coords: list[tuple[F, ...]], L: Layout
                ) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...], list[F]]:
    """The network's own pattern over the points `coords` (in the order decided), neurons sorted
    as the enumeration's symmetry breaking has them: (signs σ_j, bits per neuron, the point z with
    u_jo = A[o, j]·v_j and c; slacks 0)."""
    k, m = L.k, L.m
    v = [tuple(network.W[j]) + (network.b[j],) for j in range(k)]
    sigma = [tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k)]
    bits = [tuple(int(sum((a * b for a, b in zip(v[j], tuple(x) + (F(1),))), F(0)) > 0) for x in coords)
            for j in range(k)]
    neurons = sorted(range(k), key=lambda j: (sigma[j], bits[j]))
    z = [F(0)] * L.size
    for new, j in enumerate(neurons):
        for o in range(m):
            for t in range(L.d + 1):
                z[L.u(new, o, t)] = network.A[o][j] * v[j][t]
    for o in range(m):
        z[L.c(o)] = network.c[o]
    return tuple(sigma[j] for j in neurons), tuple(bits[j] for j in neurons), z


def walk(search: patterns.ClaimSearch, network: Network) -> None:
    """Walk the network's own pattern down the search; no rule may refute it at any depth: its
    point z = (u, c) satisfies every row and the ¬claim alternatives the search adds (exactly),
    and neither the pruning rule (kink covering) nor the rank-one test refutes a prefix."""
    setting, engine = search.setting, search.search
    L, points = setting.layout, setting.points
    signs, bits, z = own_pattern(network, [points.coords[p] for p in search.order], L)
    assert signs in sign_choices(L.k, L.m)
    m = L.m
    prefixes: tuple[tuple[int, ...], ...] = tuple(() for _ in signs)
    path: list[tuple[int, ...]] = []
    hooks = engine.hooks
    for t, p in enumerate(search.order):
        step = tuple(b[t] for b in bits)
        assert step in list(children(signs, prefixes, engine.trie)), f"enumeration skips depth {t}"
        prefixes = tuple(prefix + (b,) for prefix, b in zip(prefixes, step))
        path.append(step)
        for o in range(m):
            assert all(row.holds(z) for row in point_rows(points, L, signs, p, step, (o,))), \
                f"rows of depth {t}, output {o} fail"
            alternatives = hooks.extra(o, t, path) if hooks.extra else None
            assert not alternatives or any(all(row.holds(z) for row in rows) for rows in alternatives), \
                f"¬claim at depth {t} fails"
        if engine.covering is not None:
            assert engine.covering.feasible(signs, prefixes) is None, f"kink covering refutes depth {t}"
        if engine.rank_one is not None:
            assert not engine.rank_one.refutes(signs, prefixes), f"rank-one test refutes depth {t}"
        if engine.span_depth is not None:
            assert span_fit(points, signs, search.order, prefixes) != "unsat", f"span test refutes depth {t}"


def check_seed(seed: int) -> None:
    instance, network, claim = planted_case(seed)
    r = patterns.reduction(instance, claim)
    data, renamed = r.instance(instance), r.claim(claim)
    fit = restricted(r, instance, claim, network)
    assert certify(data, fit).valid, "the reduction loses a fit"
    assert renamed.value(lookup_in(fit, {})) == claim.value(lookup_in(network, {}))
    setting = patterns.Setting.of(instance, claim)
    search = patterns.ClaimSearch(setting, setting.order(), NO_LIMIT)
    assert sorted(search.order) == list(range(len(setting.points.coords)))
    walk(search, fit)


@pytest.mark.parametrize("seed", SEEDS)
def test_no_rule_prunes_a_real_fit(seed: int) -> None:
    check_seed(seed)


@pytest.mark.slow
def test_no_rule_prunes_a_real_fit_many() -> None:
    for seed in range(1000, 2000):
        check_seed(seed)


def test_the_planted_cases_exercise_every_rule() -> None:
    """The cases above are not vacuous: probes off the data, smaller hulls, two outputs,
    covering and rank-one tests active."""
    seen = {"hull": 0, "m2": 0, "covering": 0, "probe": 0, "span": 0}
    for seed in SEEDS:
        instance, _, claim = planted_case(seed)
        setting = patterns.Setting.of(instance, claim)
        search = patterns.ClaimSearch(setting, setting.order(), NO_LIMIT)
        seen["hull"] += len(setting.reduction.G) < instance.shape.inputs
        seen["m2"] += search.search.rank_one is not None
        seen["covering"] += search.search.covering is not None
        seen["probe"] += len(setting.points.coords) > instance.n
        seen["span"] += search.search.span_depth is not None and len(search.order) >= search.search.span_depth
    assert all(count >= 5 for count in seen.values()), seen


@pytest.mark.parametrize("seed", range(40))
def test_loss_budget_never_prunes_a_fit_within_the_bound(seed: int) -> None:
    """The rows that replace the label equations under max_error = γ > 0 (slacks e ≥ |residual|,
    Σ e over the decided points bounded per output: patterns.point_rows, budget_row) hold at every
    depth on the own pattern of a planted network (one or two outputs) whose noisy labels it fits
    with loss exactly γ, and its point satisfies the full pattern's fitting system with the whole
    loss bound (patterns.fitting_system, loss_atoms); with squared loss, the exact least squares of
    the decided points (the engine's loss bound) never exceeds γ."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 2))
    network = random_network(shape, rng)
    points = random_points(rng.randint(2, 7), shape.inputs, rng)
    clean = sample(network, points, "noisy", rng.choice(("squared", "absolute")))
    labels = tuple(tuple(v + F(rng.randint(-3, 3), rng.randint(1, 4)) for v in y) for y in clean.labels)
    noisy = replace(clean, labels=labels)
    gamma = loss(noisy, network)
    if gamma == 0:
        return
    instance = replace(noisy, max_error=gamma)
    m = shape.outputs
    pts = Points.of(instance, with_loss=True)
    L = Layout.of(pts, shape.hidden, m)
    order = point_order(instance)
    signs, bits, z = own_pattern(network, [instance.points[p] for p in order], L)
    for o in range(m):
        for p, (x, y) in enumerate(zip(instance.points, instance.labels)):
            z[L.e(p, o)] = abs(network(x)[o] - y[o])
    for depth, p in enumerate(order, start=1):
        step = tuple(b[depth - 1] for b in bits)
        assert all(row.holds(z) for row in point_rows(pts, L, signs, p, step)), f"rows of depth {depth}"
        for o in range(m):
            budget = budget_row(pts, L, order, depth, o)
            assert budget is not None and budget.holds(z), f"budget of depth {depth}, output {o}"
        if instance.loss == "squared":  # the engine's loss bound (Search._loss_exceeds) keeps the fit
            prefixes = tuple(b[:depth] for b in bits)
            rows, residuals, plain = least_squares_problem(pts, signs, order, prefixes)
            assert all(row.holds(z[:plain.size]) for row in rows), f"cell of depth {depth}"
            assert sum((r.at(z[:plain.size]) ** 2 for r in residuals), F(0)) <= gamma, f"residuals of depth {depth}"
            least = least_squares(rows, residuals, plain.size)
            assert least is None or least.value <= gamma, f"least squares of depth {depth} above the fit's loss"
    system, decode = fitting_system(pts, signs, order, bits)
    assert system.holds({f"z{i}": value for i, value in enumerate(z)}), "the fitting system loses the fit"
    rebuilt = decode({f"z{i}": value for i, value in enumerate(z)})
    assert rebuilt is not None and loss(instance, rebuilt) == gamma


def noisy_case(seed: int) -> tuple[Instance, Network]:
    """A planted network (1–2 inputs, 1–2 ReLUs, 1–2 outputs, 4–6 points, sometimes a point twice),
    labels moved off it, and γ = the network's own exact loss on them (> 0)."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 2), rng.randint(1, 2), rng.randint(1, 2))
    network = random_network(shape, rng)
    points = random_points(rng.randint(4, 6), shape.inputs, rng)
    if rng.random() < 0.3:
        points = points + [points[0]]
    clean = sample(network, points, "noisy", rng.choice(("squared", "absolute")))
    noisy = replace(clean, max_error=F(1), labels=tuple(tuple(v + F(rng.randint(-3, 3), rng.randint(1, 4)) for v in y)
                                                        for y in clean.labels))
    gamma = loss(noisy, network)
    return replace(noisy, max_error=gamma if gamma else F(1)), network


def own_pattern_statuses(instance: Instance, network: Network, incumbent: Incumbent | None = None) -> list[str]:
    """Search._decide along the network's own pattern, depth by depth (a fresh search)."""
    from etr_nn.search.engine import Outcome, Search

    order = point_order(instance)
    search = Search(instance, order, incumbent=incumbent)
    signs, bits, _ = own_pattern(network, [instance.points[p] for p in order], search.layout)
    search.signs, search.outcome = signs, Outcome("unsat")
    path: list[tuple[int, ...]] = []
    statuses = []
    for t in range(instance.n):
        path.append(tuple(b[t] for b in bits))
        statuses.append(search._decide(tuple(b[:t + 1] for b in bits), path)[0])
    return statuses


@pytest.mark.parametrize("seed", range(40))
def test_loss_rules_never_prune_a_fit_within_the_bound(seed: int) -> None:
    """The search's loss rules (Search._decide: budget rows, the convexity bound, and the decided
    points' least loss — first, before any simplex, from the parent's float point or HiGHS, confirmed
    by an exact KKT point (squared) or weak-duality bound (absolute)) keep the network's own pattern at every depth
    when γ is its loss, and when minimising with an incumbent just above it."""
    instance, network = noisy_case(seed)
    assert set(own_pattern_statuses(instance, network)) == {"sat"}
    incumbent = Incumbent(instance.max_error + F(1, 10 ** 6), network)
    assert set(own_pattern_statuses(instance, network, incumbent)) == {"sat"}


def test_the_loss_rules_prune_below_the_fits_loss() -> None:
    """The cases above are not vacuous: with γ a quarter of the network's loss, the decided points'
    least loss refutes a prefix of its own pattern in some cases of each loss."""
    refuted = {"squared": 0, "absolute": 0}
    for seed in range(40):
        instance, network = noisy_case(seed)
        refuted[instance.loss] += "loss" in own_pattern_statuses(replace(instance, max_error=instance.max_error / 4), network)
    assert min(refuted.values()) >= 3, refuted


def convexity_case(seed: int) -> tuple[Instance, Network]:
    """A planted network (1–3 inputs, 1–4 ReLUs, 1–2 outputs, sometimes a zero output weight),
    3–10 points (sometimes repeated or collinear), labels moved off it and γ = its own exact loss, or
    (one case in four) its exact labels and γ = 0."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 2))
    network = random_network(shape, rng)
    if rng.random() < 0.2:
        A = [list(row) for row in network.A]
        A[rng.randrange(shape.outputs)][rng.randrange(shape.hidden)] = F(0)
        network = Network.build(network.W, network.b, A, network.c)
    points = random_points(rng.randint(3, 10), shape.inputs, rng, size=3)
    if rng.random() < 0.2:
        points = points + [points[0]]  # the same point twice (noisy labels may differ)
    if rng.random() < 0.2 and shape.inputs > 1:
        points = sorted({tuple(p[0] * t for t in range(1, shape.inputs + 1)) for p in points})
    clean = sample(network, points, f"convex-{seed}", rng.choice(("squared", "absolute")))
    if rng.random() < 0.25:
        return clean, network
    labels = tuple(tuple(v + F(rng.randint(-3, 3), rng.randint(1, 4)) for v in y) for y in clean.labels)
    noisy = replace(clean, labels=labels, max_error=F(1))
    return replace(noisy, max_error=loss(noisy, network) or F(1)), network


@pytest.mark.parametrize("seed", range(60))
def test_convexity_bound_never_prunes_a_fit_within_the_bound(seed: int) -> None:
    """The convexity bound (search/convexity.py) on the own pattern of a planted network whose noisy
    labels it fits with loss exactly γ (zero error included): no prefix of the pattern is refuted, in a search (loss ≤ γ)
    or when minimising with the incumbent just above γ; and for every output, and each side sign s
    whose minority is at most two neurons, the exact bound of the cells of the network's own minority
    activation sets is at most the network's own loss on that output."""
    assert_convexity_bound_keeps(*convexity_case(seed))


@pytest.mark.parametrize("seed", range(40))
def test_zero_error_hull_certificates_never_prune_a_fit(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same with zero error and the geometric certificates from the first split bound on (chords
    for d = 1, lower convex hulls by qhull for d ≥ 2: convexity._hull_multipliers): the planted
    network's exact labels, its own pattern never refuted, its own split bounds 0."""
    from etr_nn.search import convexity

    monkeypatch.setattr(convexity, "HULL_AFTER", 0)
    instance, network = convexity_case(seed)
    exact = tuple(tuple(Fraction(v) for v in network(x)) for x in instance.points)  # type: ignore[arg-type]
    assert_convexity_bound_keeps(replace(instance, labels=exact, max_error=F(0)), network)


def assert_convexity_bound_keeps(instance: Instance, network: Network) -> None:
    """The checks of the two tests above, for a network whose loss on the instance is at most γ."""
    from etr_nn.search.convexity import ConvexityBound, partition

    shape, gamma = instance.shape, instance.max_error
    pts = Points.of(instance, with_loss=True)
    L = Layout.of(pts, shape.hidden, shape.outputs)
    order = point_order(instance)
    signs, bits, _ = own_pattern(network, [instance.points[p] for p in order], L)
    deciding, minimising = ConvexityBound(pts, order), ConvexityBound(pts, order, minimising=True)
    for depth in range(1, instance.n + 1):
        prefixes = tuple(b[:depth] for b in bits)
        assert not deciding.refutes(signs, prefixes, gamma), f"depth {depth} refuted at γ = the fit's loss"
        assert not minimising.refutes(signs, prefixes, gamma + F(1, 10 ** 6)), f"depth {depth} refuted when minimising"
    position = {order[t]: t for t in range(instance.n)}
    for o in range(shape.outputs):
        own = sum((abs(network(x)[o] - y[o]) ** (2 if instance.loss == "squared" else 1)
                   for x, y in zip(instance.points, instance.labels)), F(0))
        for s in (1, -1):
            minority = [j for j, sign in enumerate(signs) if sign[o] == -s]
            if len(minority) > 2:
                continue
            sets = [sum(1 << p for p in range(instance.n) if bits[j][position[p]]) for j in minority]
            assert deciding.split_bound(o, s, partition((1 << instance.n) - 1, sets)) <= own, (o, s)


def test_convexity_bound_refutes_what_only_a_better_shape_fits() -> None:
    """The bound is not vacuous: |x| on the line is fitted exactly by two ReLUs of output sign +1
    (convex), and −|x| is not fitted within 1/2 by any network whose neurons are all +1 (every
    convex function is at least 1 above −|x| at 0 or at ±1 on average: the best convex fit of the
    values −1, 0, −1 is the constant −2/3, loss 2/3 squared): every prefix of the all-(+1) sign
    class is refuted at depth 1, while the mixed classes are not refuted at the root."""
    from etr_nn.search.convexity import ConvexityBound

    instance = Instance("minus-abs", Shape(1, 2, 1), ((F(-1),), (F(0),), (F(1),)), ((F(-1),), (F(0),), (F(-1),)),
                        "squared", F(1, 2))
    pts = Points.of(instance, with_loss=True)
    bound = ConvexityBound(pts, (0, 1, 2))
    assert bound.split_bound(0, 1, (0b111,)) == F(2, 3)
    for bit in (0, 1):
        assert bound.refutes(((1,), (1,)), ((bit,), (bit,)), F(1, 2))
    assert not bound.refutes(((-1,), (1,)), ((0,), (1,)), F(1, 2))
    assert bound.refutes(((1,), (1,)), ((0,), (0,)), F(2, 3) - F(1, 10 ** 9))
    assert not bound.refutes(((1,), (1,)), ((0,), (0,)), F(2, 3))


@pytest.mark.parametrize("seed", range(60))
def test_forced_bits_are_the_networks_own(seed: int) -> None:
    """Trie.forced (the bits every dichotomy with a neuron's prefix has at a later point, which the loss
    bound and the simplex then use before those points are decided) names only bits a real network
    has: at every depth of a random network's own pattern — 1–3 inputs, 1–3 ReLUs, points sometimes
    repeated, collinear or on a neuron's hyperplane — each forced bit is the network's."""
    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 3), rng.randint(1, 3), 1)
    network = random_network(shape, rng)
    points = random_points(rng.randint(4, 12), shape.inputs, rng, size=3)
    if rng.random() < 0.3:
        points = points + [points[0]]
    if rng.random() < 0.3 and shape.inputs > 1:
        points = sorted({tuple(p[0] * t for t in range(1, shape.inputs + 1)) for p in points})
    if rng.random() < 0.3:  # a point on neuron 0's hyperplane (inactive there: relu(0) = 0)
        w, b = network.W[0], network.b[0]
        if w[0] != 0:
            rest = [F(rng.randint(-3, 3)) for _ in range(shape.inputs - 1)]
            points = points + [((-b - sum((a * x for a, x in zip(w[1:], rest)), F(0))) / w[0], *rest)]
    instance = sample(network, points, f"forced-{seed}")
    order = point_order(instance)
    coords = [instance.points[p] for p in order]
    _, bits, _ = own_pattern(network, coords, Layout.of(Points.of(instance), shape.hidden, 1))
    trie = Trie(instance.points, order)
    for depth in range(len(order) + 1):
        for t, forced in trie.forced(tuple(b[:depth] for b in bits)):
            assert t >= depth and forced == tuple(b[t] for b in bits), f"depth {depth}: point {t} forced wrongly"


def test_forced_bits_are_not_vacuous() -> None:
    """The test above is not vacuous: on 2-input data of 12 points, a random network's own pattern
    has forced bits at several points once a few points are decided."""
    rng = random.Random(7)
    forced = 0
    for _ in range(10):
        network = random_network(Shape(2, 2, 1), rng)
        instance = sample(network, random_points(12, 2, rng, size=3), "forced")
        order = point_order(instance)
        _, bits, _ = own_pattern(network, [instance.points[p] for p in order], Layout.of(Points.of(instance), 2, 1))
        forced += len(Trie(instance.points, order).forced(tuple(b[:6] for b in bits)))
    assert forced >= 10, forced


def forced_walk(seed: int) -> int:
    """Walk a random network's own pattern (1–3 inputs, 1–4 ReLUs, 1–2 outputs, zero error, 0–2 probe points,
    a random order) down a fresh Search: at every depth the rows each LP level holds (Search._level: the point
    decided there and the later points whose every bit the partial pattern forces) hold for the network's own
    unknowns with the network's own bits, and Search._decide keeps the pattern. The forced points' count."""
    from etr_nn.search.engine import Search

    rng = random.Random(seed)
    shape = Shape(rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 2))
    network = random_network(shape, rng)
    points = random_points(rng.randint(4, 12), shape.inputs, rng, size=3)
    instance = sample(network, points, f"forced-rows-{seed}")
    probes = tuple(random_points(rng.randint(0, 2), shape.inputs, rng, size=4))
    size = len(Points.of(instance, probes).coords)  # probes on data points are dropped
    search = Search(instance, tuple(rng.sample(range(size), size)), probes=probes)
    order = search.order
    signs, bits, z = own_pattern(network, [search.points.coords[p] for p in order], search.layout)
    search._begin(signs)
    forced = 0
    for depth in range(1, len(order) + 1):
        path = list(zip(*(b[:depth] for b in bits)))
        for t, step in search._level(path, depth - 1):
            assert step == tuple(b[t] for b in bits), f"depth {depth}: point {t} joined with bits not the network's"
            assert all(row.holds(z) for row in point_rows(search.points, search.layout, signs, order[t], step))
            forced += t != depth - 1
        assert search._decide(tuple(b[:depth] for b in bits), path)[0] == "sat", f"depth {depth} refuted"
    return forced


@pytest.mark.parametrize("seed", range(40))
def test_forced_rows_keep_a_zero_error_fit(seed: int) -> None:
    forced_walk(seed)


def test_forced_rows_are_not_vacuous() -> None:
    """The walks above join later points' rows early (measured: in 22 of the 40, 59 points in all)."""
    counts = [forced_walk(seed) for seed in range(40)]
    assert sum(c > 0 for c in counts) >= 15 and sum(counts) >= 40, counts
