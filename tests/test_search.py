"""The pattern-search engine: known answers, agreement with the direct encoding, certificates."""

from __future__ import annotations

import json
import pickle
import random
import time
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etr_nn.certify import certify
from etr_nn.deadline import NO_LIMIT, Deadline
from etr_nn.cli import main
from etr_nn.generate import planted
from etr_nn.instance import Instance, Shape
from etr_nn.search import certificate, search
from etr_nn.search.dichotomies import dichotomies, general_position_count
from etr_nn.lp import Multipliers, check_farkas, farkas, feasible_point
from etr_nn.patterns import Points, Row, with_columns, with_hyperplanes
from etr_nn.solve import solve

F = Fraction


def instance(points, labels, hidden: int, name: str = "test") -> Instance:
    points = tuple(tuple(F(v) for v in x) for x in points)
    labels = tuple(tuple(F(v) for v in y) for y in labels)
    return Instance(name, Shape(len(points[0]), hidden, len(labels[0])), points, labels)


XOR = ([(0, 0), (0, 1), (1, 0), (1, 1)], [(0,), (1,), (1,), (0,)])


def zigzag(n: int, hidden: int) -> Instance:
    """y = 0, 1, 0, 1, … at x = 0, 1, …, n−1. Three consecutive points are never collinear,
    so f has a breakpoint in each of the disjoint intervals (0, 2), (2, 4), …: ⌊(n−1)/2⌋ of
    them. A 1-input network with k ReLUs has at most k breakpoints: unsat when ⌊(n−1)/2⌋ > k."""
    return instance([(i,) for i in range(n)], [(i % 2,) for i in range(n)], hidden, f"zigzag{n}")


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_dichotomy_count_in_general_position(d: int, n: int) -> None:
    # Points on the moment curve (t, t², t³): any d + 1 of them are affinely independent.
    points = [tuple(F(t + 1) ** (e + 1) for e in range(d)) for t in range(n)]
    sets = dichotomies(points)
    assert len(sets) == len(set(sets)) == general_position_count(n, d)


@pytest.mark.parametrize("points", [
    [(0, 0), (1, 1), (2, 2), (0, 1)],                    # three collinear points
    [(a, b) for a in range(3) for b in range(3)],        # a grid: many collinear triples
    [(0, 0), (0, 0), (1, 0)],                            # a repeated point
])
def test_dichotomies_of_degenerate_data_are_exactly_the_realised_sets(points) -> None:
    points = [tuple(F(v) for v in x) for x in points]
    sets = dichotomies(points)
    for subset in sets:  # realised: v·x̃ ≥ 1 on the set, ≤ −1 off it is feasible (exact LP)
        rows = [Row(((0, x[0] * s), (1, x[1] * s), (2, F(s))), ">=", F(1))
                for i, x in enumerate(points) for s in [1 if i in subset else -1]]
        assert feasible_point(rows, 3) is not None
    grid = [F(v, 2) for v in range(-5, 6)]
    for w0, w1, b in product(grid, grid, grid):  # every set realised on a grid of (w, b) is listed
        assert frozenset(i for i, x in enumerate(points) if w0 * x[0] + w1 * x[1] + b > 0) in sets


@pytest.mark.parametrize("d,m,k", [(d, m, k) if (m, k) != (2, 3) else pytest.param(d, m, k, marks=pytest.mark.slow)
                                   for d in (1, 2) for m in (1, 2) for k in (1, 2, 3)])
def test_planted_instances_are_sat_and_certified(d: int, m: int, k: int) -> None:
    n = 7
    inst, _ = planted(Shape(d, k, m), n, seed=10 * d + 3 * m + k)
    solution = search(inst, workers=1)
    assert solution.status == "sat" and solution.network is not None
    assert certify(inst, solution.network).valid
    if m == 1:
        assert solution.network.is_rational()


def test_xor() -> None:
    assert search(instance(*XOR, hidden=1), workers=1).status == "unsat"
    solution = search(instance(*XOR, hidden=2), workers=1)
    assert solution.status == "sat" and solution.network is not None and solution.network.is_rational()


def test_zigzag_needs_more_breakpoints_than_relus() -> None:
    assert search(zigzag(7, 2), workers=1).status == "unsat"
    assert search(zigzag(3, 2), workers=1).status == "sat"


@st.composite
def small_instances(draw: st.DrawFn) -> Instance:
    m = draw(st.integers(1, 2))
    k = draw(st.integers(1, 2))
    n = draw(st.integers(2, 4 if m == 1 else 3))
    xs = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n, unique=True))
    ys = draw(st.lists(st.tuples(*[st.integers(-2, 2)] * m), min_size=n, max_size=n))
    return instance([(x,) for x in xs], ys, k)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_engine_agrees_with_direct_encoding(inst: Instance) -> None:
    engine = search(inst, workers=1)
    direct = solve(inst, backend="z3", timeout=30)
    assert engine.status in ("sat", "unsat")
    if direct.status != "unknown":
        assert engine.status == direct.status


def test_hard_two_output_leaf_is_decided_by_the_cad_and_agrees_with_the_direct_encoding(tmp_path) -> None:
    """Four points, two ReLUs, two outputs: one full pattern survives the LP, and its rank-one
    system (nlsat alone, in an older chart: ~14 s) is refuted by the own procedure's linear
    elimination, before nlsat; the unsat answer agrees with Z3 on the direct encoding."""
    inst = instance([(0,), (2,), (4,), (5,)], [(3, -1), (2, 1), (-1, 0), (0, -1)], 2)
    path = tmp_path / "leaf.cert"
    assert search(inst, workers=1, certificate=path).status == "unsat"
    decided = [e["decided_by"] for e in json.loads(path.read_text())["nonlinear"]]
    assert decided and all("(cad: linear elimination leaves no branch)" in d for d in decided)
    assert solve(inst, backend="z3", timeout=60).status == "unsat"


def test_leaf_portfolio_falls_back_to_nlsat(monkeypatch) -> None:
    """The portfolio's answers past linear elimination are nlsat's, still exact: x·y = 1,
    x = 2y is sat at an irrational point (checked exactly), x² = −1 is unsat; x = 1 ∧ x = 2 is
    refuted by linear elimination alone."""
    import flint

    from etr_nn import backends
    from etr_nn.backends import portfolio
    from etr_nn.poly import And, Atom, System

    monkeypatch.setattr(portfolio, "CAD_SHARE", 0.0)
    ctx = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
    x, y = ctx.gens()
    sat = System(ctx, And((Atom(x * y - 1, "="), Atom(x - 2 * y, "="), Atom(x, ">"))))
    answer = backends.get("cad+z3").check(sat, 10)
    assert answer.status == "sat" and "z3" in answer.reason and sat.holds(answer.point)
    assert answer.point["x"] * answer.point["x"] == 2
    assert backends.get("cad+z3").check(System(ctx, And((Atom(x * x + 1, "="),))), 10).status == "unsat"
    refuted = backends.get("cad+z3").check(System(ctx, And((Atom(x - 1, "="), Atom(x - 2, "=")))), 10)
    assert refuted.status == "unsat" and "linear elimination" in refuted.reason


def test_farkas_certificates_verify_and_corruption_is_rejected(tmp_path) -> None:
    inst = instance(*XOR, hidden=1)
    path = tmp_path / "xor.cert"
    solution = search(inst, workers=1, certificate=path)
    assert solution.status == "unsat"
    doc = json.loads(path.read_text())
    problems, linear, nonlinear = certificate.check(inst, doc, "xor.cert")
    assert problems == [] and linear > 0 and nonlinear == 0
    entry = next(e for e in doc["refuted"] if any(F(v) for v in e["farkas"]))
    t = next(t for t, v in enumerate(entry["farkas"]) if F(v))
    entry["farkas"][t] = str(-2 * F(entry["farkas"][t]) - 1)
    assert certificate.check(inst, doc, "xor.cert")[0]
    doc["refuted"].remove(entry)
    assert any("neither refuted nor decided" in p or "do not cover" in p
               for p in certificate.check(inst, doc, "xor.cert")[0])


def _forged(inst: Instance) -> dict:
    """A certificate that declares every full pattern refuted by "the nonlinear backend"."""
    from etr_nn.patterns import Trie, children, point_order, sign_choices

    order = point_order(inst)
    trie, leaves = Trie(inst.points, order), []
    for signs in sign_choices(inst.shape.hidden, inst.shape.outputs):
        stack = [tuple(() for _ in signs)]
        while stack:
            prefixes = stack.pop()
            if len(prefixes[0]) == inst.n:
                leaves.append({"signs": [list(s) for s in signs], "bits": ["".join(map(str, b)) for b in prefixes],
                               "decided_by": "nonlinear backend: cad+z3 (unsat)"})
            else:
                stack += [tuple(p + (b,) for p, b in zip(prefixes, bits)) for bits in children(signs, prefixes, trie)]
    return certificate.build(inst, order, [], leaves)


def test_forged_nonlinear_refutations_are_re_decided_and_rejected() -> None:
    """Every full pattern declared "nonlinear" with no proof: one output is refused outright (its
    full patterns are linear: Farkas is required); two outputs are re-decided by Z3, and a sat
    instance's own pattern comes out sat."""
    one = instance(*XOR, hidden=2)  # sat
    problems = certificate.check(one, _forged(one), "forged")[0]
    assert problems and all("needs a Farkas certificate" in p for p in problems)
    two, _ = planted(Shape(1, 2, 2), 5, seed=3)
    problems = certificate.check(two, _forged(two), "forged")[0]
    assert any("re-decides it sat" in p for p in problems)


def test_farkas_on_a_small_system() -> None:
    # z ≥ 1 and −z ≥ 0 (z ≤ 0): infeasible; the multipliers are (1, 1).
    rows = [Row(((0, F(1)),), ">=", F(1)), Row(((0, F(-1)),), ">=", F(0))]
    y = farkas(rows)
    assert y is not None and check_farkas(rows, y) is None
    assert check_farkas(rows, [F(1), F(0)]) is not None
    assert farkas([Row(((0, F(1)),), ">=", F(1))]) is None


def test_farkas_reads_its_multipliers_past_definitions_left_in_z3s_context() -> None:
    """A script parsed into Z3's shared context (as a reader of SMT-LIB may do) leaves its define-fun's
    in every later model; farkas reads only its own multipliers y0, y1, …."""
    from etr_nn.z3lib import z3

    z3.parse_smt2_string("(define-fun half () Real (/ 1.0 2.0)) (declare-fun t () Real) (assert (> t half))")
    rows = [Row(((0, F(1)),), ">=", F(1)), Row(((0, F(-1)),), ">=", F(0))]
    y = farkas(rows)
    assert y is not None and check_farkas(rows, y) is None


def _next_rows(rng: random.Random, rows: list[Row], pool: list[Row]) -> list[Row]:
    """The next system of a depth-first walk: a prefix of the last one, then rows from a shared
    pool or fresh ones of every relation."""
    rows = rows[:rng.randint(0, len(rows))]
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.7:
            rows.append(rng.choice(pool))
        else:
            coeffs = tuple((v, F(rng.randint(-3, 3), rng.randint(1, 3))) for v in range(3))
            rows.append(Row(coeffs, rng.choice(["=", ">=", ">"]), F(rng.randint(-2, 2))))
    return rows[-8:]


def test_multipliers_of_a_stream_are_exact_certificates() -> None:
    """Soundness of Multipliers' shortcuts (a recent vector reused where the rows on its support
    recur; a float vertex solved exactly on its support): on 400 systems of a random depth-first
    walk over a shared row pool, every answer is a valid Motzkin certificate, and there is one exactly when Z3 finds the
    rows infeasible."""
    rng = random.Random(5)
    pool = [Row(tuple((v, F(rng.randint(-2, 2))) for v in range(3)), rng.choice([">=", ">", "="]), F(rng.randint(-2, 2)))
            for _ in range(12)]
    multipliers, infeasible, rows = Multipliers(keep=4), 0, []
    for _ in range(400):
        rows = _next_rows(rng, rows, pool)
        y = multipliers(rows)
        if feasible_point(rows, 3) is None:
            infeasible += 1
            assert y is not None and check_farkas(rows, y) is None, rows
        else:
            assert y is None, rows
    assert 40 < infeasible < 360  # both kinds were met


def test_a_time_capped_feasible_point_gives_the_same_answers() -> None:
    """`feasible_point(rows, size, seconds)` (the guide's rounding LPs) answers as the uncapped one where Z3 decides
    within the cap, and its points satisfy the rows exactly: 200 systems of the random walk above."""
    rng = random.Random(9)
    pool = [Row(tuple((v, F(rng.randint(-2, 2))) for v in range(3)), rng.choice([">=", ">", "="]), F(rng.randint(-2, 2)))
            for _ in range(12)]
    rows: list[Row] = []
    answers = set()
    for _ in range(200):
        rows = _next_rows(rng, rows, pool)
        capped, plain = feasible_point(rows, 3, 5.0), feasible_point(rows, 3)
        assert (capped is None) == (plain is None), rows
        assert capped is None or all(row.holds(capped) for row in rows)
        answers.add(capped is None)
    assert answers == {True, False}


def test_cli_certificate_round_trip(tmp_path, capsys) -> None:
    inst = zigzag(5, 1)
    file, cert = tmp_path / "z.json", tmp_path / "z.cert"
    inst.dump(file)
    assert main(["solve", str(file), "--workers", "1", "--quiet", "--certificate", str(cert)]) == 0
    assert "unsat" in capsys.readouterr().out
    assert main(["verify", str(file), str(cert)]) == 0
    assert "valid refutation" in capsys.readouterr().out
    doc = json.loads(cert.read_text())
    doc["refuted"] = doc["refuted"][1:]
    cert.write_text(json.dumps(doc))
    assert main(["verify", str(file), str(cert)]) == 1


def test_timeout_gives_unknown_quickly() -> None:
    inst, _ = planted(Shape(2, 3, 2), 14, seed=5)
    start = time.monotonic()
    solution = solve(inst.with_hidden(3), timeout=1.0, workers=1)
    assert time.monotonic() - start < 6
    assert solution.status in ("unknown", "sat")


def test_the_guide_never_runs_past_the_time_limit() -> None:
    """The float guide's turn inside the search is capped by the search's time limit: on these four
    two-output points (no answer in 10 s) `solve --timeout 10` with one worker took 11.8 s, the guide
    running on its granted share after the limit; now within the limit plus a second."""
    points = ((F(-3), F(-1, 2)), (F(-2), F(2)), (F(1), F(1, 2)), (F(3, 2), F(-5, 2)))
    labels = ((F(0), F(2)), (F(2), F(-2)), (F(1), F(-1)), (F(1), F(1)))
    inst = Instance("guide-limit", Shape(2, 2, 2), points, labels)
    start = time.monotonic()
    solution = solve(inst, timeout=10.0, workers=1)
    assert time.monotonic() - start < 11.0, solution.rests_on
    assert solution.status in ("unknown", "sat", "unsat")


def test_uncovered_instances_fall_back_to_the_direct_encoding() -> None:
    """max_error > 0: the search covers it (two or more outputs: then the direct encoding with the
    time left), except with a refutation certificate asked for: the direct encoding."""
    inst = instance(*XOR, hidden=2)
    inst = Instance(inst.name, inst.shape, inst.points, inst.labels, "absolute", F(1, 2))
    covered = solve(inst, timeout=30)
    assert covered.status == "sat" and covered.backend == "pattern search"
    assert "direct encoding" in solve(inst, timeout=30, certificate="unused.json").rests_on
    two, _ = planted(Shape(1, 1, 2), 3, seed=2)
    two = Instance(two.name, two.shape, two.points, two.labels, "absolute", F(1, 2))
    solution = solve(two, timeout=30)
    assert solution.status == "sat" and solution.backend.startswith("pattern search")


def test_dask_local_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        inst, _ = planted(Shape(1, 2, 2), 6, seed=1)
        sat = search(inst, cluster=cluster.scheduler_address)
        assert sat.status == "sat" and sat.network is not None and certify(inst, sat.network).valid
        assert search(instance(*XOR, hidden=1), cluster=cluster.scheduler_address).status == "unsat"


def test_batched_levenberg_marquardt_fits_each_row_on_its_own() -> None:
    """Rows of one batch are independent fits of a line to 5 points, each with its own weight
    penalty ρ and budget: a row converges to the exact least-squares solution of its own problem
    (ρ = 0: the line; ρ > 0: ridge regression, (XᵀX + ρ²I)⁻¹Xᵀy), a row with budget 1 stays at its
    start, and every row ends."""
    import numpy as np

    from etr_nn.search.least_squares import LevenbergMarquardt

    rng = np.random.default_rng(1)
    X = np.stack([np.linspace(-1, 1, 5), np.ones(5)], axis=1)
    y = X @ np.array([2.0, -1.0])

    start = rng.normal(size=(6, 2)) * 10
    ridges = np.array([0.0, 0.0, 0.5, 1.0, 0.0, 0.0])
    fits = LevenbergMarquardt(lambda x: (x @ X.T - y, None), lambda x, _: np.broadcast_to(X, (len(x), 5, 2)), start.copy())
    fits.restart(list(range(5)), ridges[:5], 100)
    fits.restart([5], np.zeros(1), 1)
    for _ in range(1000):
        if len(fits.ended()) == 6:
            break
        fits.step()
    assert fits.ended() == list(range(6))
    for i in range(5):
        expected = np.linalg.solve(X.T @ X + ridges[i] ** 2 * np.eye(2), X.T @ y)
        assert np.allclose(fits.x[i], expected, atol=1e-8), i
    assert (fits.x[5] == start[5]).all()


def test_float_fits_solve_the_output_layer_by_least_squares() -> None:
    """Variable projection: every fit's (A, c) is the least-squares output layer of its hidden layer
    (the residuals orthogonal to the columns of Φ = [relu(XWᵀ + b), 1]), its reported loss is its
    network's Σ r², and on planted one-input data many fits reach zero residual (measured: 37 %)."""
    import numpy as np

    from etr_nn.search.guide import FIT_TOLERANCE, _scale, float_fits

    inst, _ = planted(Shape(1, 4, 2), 16, 1)
    X = np.array([[float(v) for v in x] for x in inst.points])
    Y = np.array([[float(v) for v in y] for y in inst.labels])
    worth = FIT_TOLERANCE * _scale(inst) ** 2 * inst.n * inst.shape.outputs
    fits = float_fits(inst, np.random.default_rng(3))
    near_zero = 0
    for _ in range(200):
        (W, b, A, c), loss = next(fits)
        phi = np.hstack([np.maximum(X @ W.T + b, 0.0), np.ones((inst.n, 1))])
        r = phi[:, :-1] @ A.T + c - Y
        assert np.isclose(loss, float((r * r).sum()), rtol=1e-6, atol=1e-9)
        assert np.abs(phi.T @ r).max() <= 1e-6 * max(1.0, np.abs(phi).max() * np.abs(Y).max() * inst.n)
        near_zero += loss <= worth
    assert near_zero >= 20


def test_kink_starts_cross_the_required_segments(monkeypatch) -> None:
    """`_segments` are the required pairs of kink covering (every zero-error fit has a hyperplane
    between their ends: the planted network's own hyperplanes cross each); a kink start puts every
    hyperplane across d of them (the other starts only by chance: measured 68 % of them here), and
    no start is one without segments (a loss bound)."""
    from dataclasses import replace

    import numpy as np

    from etr_nn.search import guide

    inst, net = planted(Shape(2, 5, 2), 24, 1)
    X = np.array([[float(v) for v in x] for x in inst.points])
    segments = guide._segments(inst, X)
    ends = np.concatenate([segments, np.ones((*segments.shape[:2], 1))], axis=2)  # s × 2 × (d + 1)

    def crossed(planes: np.ndarray) -> np.ndarray:  # per hyperplane (w_j, b_j): how many segments it crosses
        side = ends @ planes.T
        return ((side[:, 0] * side[:, 1]) < 0).sum(axis=0)

    planted_planes = np.array([[float(v) for v in w] + [float(b)] for w, b in zip(net.W, net.b)])
    side = ends @ planted_planes.T
    assert len(segments) >= 10 and ((side[:, 0] * side[:, 1]) < 0).any(axis=1).all()

    def share_across(kink_starts: float) -> float:
        monkeypatch.setattr(guide, "KINK_STARTS", kink_starts)
        rng = np.random.default_rng(0)
        return sum(bool((crossed(guide._start(rng, X, segments, 5).reshape(5, 3)) >= 2).all()) for _ in range(400)) / 400

    assert share_across(1.0) == 1.0 and share_across(0.0) < 0.8
    assert len(guide._segments(replace(inst, max_error=Fraction(1)), X)) == 0


def test_elite_keeps_the_least_distinct_fits_and_revives_one_neuron_at_a_time() -> None:
    """`Elite` keeps the ELITE least Σ r² (above the near-zero floor, one of each loss up to a relative 1e-6),
    least first; a revived start is a kept θ with exactly one neuron's row taken from the fresh start, and a kept
    fit is dropped after TRIES·k revivals."""
    import numpy as np

    from etr_nn.search.guide import ELITE, TRIES, Elite

    k, width = 4, 3
    elite = Elite(floor=1e-12)
    rng = np.random.default_rng(0)
    assert elite.revived(rng, np.zeros(k * width), k) is None
    thetas = {loss: rng.normal(size=k * width) for loss in [5.0, 1e-13, 3.0, 3.0 * (1 + 1e-9), *range(10, 10 + ELITE)]}
    for loss, theta in thetas.items():
        elite.offer(loss, theta)
    assert [kept.loss for kept in elite.fits] == [3.0, 5.0, *range(10, 10 + ELITE - 2)]
    thetas[3.0][:] = 0.0  # kept as a copy
    assert elite.fits[0].theta.any()
    fresh = np.full(k * width, 7.0)
    parents = [kept.theta.reshape(k, width) for kept in elite.fits]
    for _ in range(50):
        revived = elite.revived(rng, fresh, k)
        assert revived is not None
        assert ((revived.reshape(k, width) == 7.0).all(axis=1)).sum() == 1
        assert any((revived.reshape(k, width) != parent).any(axis=1).sum() == 1 for parent in parents)
    alone = Elite(floor=0.0)
    alone.offer(1.0, rng.normal(size=k * width))
    for _ in range(TRIES * k):
        assert alone.revived(rng, fresh, k) is not None
    assert not alone.fits and alone.revived(rng, fresh, k) is None


@pytest.mark.slow
def test_revived_starts_find_near_zero_fits_sooner() -> None:
    """On planted d = 2, m = 2, k = 6, n = 24 data (scale tier, seed 1) the fits reach a near-zero residual within
    600 fits for each of guide seeds 0–2 (measured: 218, 269, 165); without revived starts (REVIVE = 0) at most one
    seed does (measured: 920, none in 3 000, 1 151)."""
    import numpy as np

    from etr_nn.search import guide

    inst, _ = planted(Shape(2, 6, 2), 24, 1)
    worth = guide.FIT_TOLERANCE * guide._scale(inst) ** 2 * inst.n * inst.shape.outputs

    def reached(seed: int) -> bool:
        fits = guide.float_fits(inst, np.random.default_rng(seed))
        return any(next(fits)[1] <= worth for _ in range(600))

    assert all(reached(seed) for seed in range(3))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(guide, "REVIVE", 0.0)
        assert sum(reached(seed) for seed in range(3)) <= 1


def test_guide_rounds_a_near_fit_to_an_exact_one() -> None:
    """A float fit within 1e-9 of a planted network (rational weights of small denominators): its
    pattern's exact step (`Guide._exact`: columns, then hyperplanes, rounded; an exact LP each)
    returns a network that certifies, for one and two outputs."""
    import numpy as np

    from etr_nn.search.guide import Guide

    rng = np.random.default_rng(0)
    for seed, m in [(0, 1), (1, 2), (2, 2)]:
        inst, net = planted(Shape(2, 3, m), 10, seed)
        W, b, A, c = (np.array([[float(v) for v in row] for row in M]) if isinstance(M[0], tuple)
                      else np.array([float(v) for v in M]) for M in (net.W, net.b, net.A, net.c))
        noisy = [M + 1e-9 * rng.normal(size=M.shape) for M in (W, b, A, c)]
        found = Guide(inst)._exact(*noisy, Deadline.after(10))
        assert found is not None and certify(inst, found).valid, (seed, m)


def test_float_guide_finds_certified_fits_and_nothing_on_unsat_data() -> None:
    """The guide proposes; only exactly certified networks come back (and none for unsat data)."""
    from etr_nn.search.guide import guided

    found = 0
    for seed in range(3):
        inst, _ = planted(Shape(2, 3, 2), 12, seed)
        network = guided(inst, Deadline.after(10))
        if network is not None:
            found += 1
            assert certify(inst, network).valid
    assert found >= 2  # measured: all three within a second
    square = tuple((Fraction(a), Fraction(b)) for a in (0, 1) for b in (0, 1))
    xor_twice = Instance("xor-m2", Shape(2, 1, 2), square, tuple((Fraction(a ^ b),) * 2 for a in (0, 1) for b in (0, 1)))
    assert guided(xor_twice, Deadline.after(1)) is None


def _own_pattern(inst: Instance, network) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """The planted network's output orthants σ_j and activation bits (points in the search order)."""
    from etr_nn.patterns import point_order

    order = point_order(inst)
    k, m = inst.shape.hidden, inst.shape.outputs
    signs = tuple(tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k))
    bits = tuple(tuple(int(sum((w * x for w, x in zip(network.W[j], inst.points[p])), network.b[j]) > 0)
                       for p in order) for j in range(k))
    return signs, bits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 2), st.integers(1, 3), st.integers(2, 3), st.integers(0, 10**6))
def test_rank_one_test_never_refutes_a_planted_networks_own_pattern(d: int, k: int, m: int, seed: int) -> None:
    from etr_nn.patterns import point_order
    from etr_nn.search.rankone import RankOne

    inst, network = planted(Shape(d, k, m), 9, seed)
    test = RankOne(Points.of(inst), point_order(inst))
    signs, bits = _own_pattern(inst, network)
    for depth in range(1, inst.n + 1):
        assert not test.refutes(signs, tuple(b[:depth] for b in bits))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 2), st.integers(1, 4), st.integers(0, 10**6))
def test_frontier_keeps_a_planted_networks_own_pattern(d: int, k: int, m: int, depth: int, seed: int) -> None:
    """Search.frontier (the workers' tasks of a split sign choice) keeps the prefix of a planted
    network's own pattern, neurons in the enumeration's order, among the partial patterns it hands on;
    and the tasks below its survivors together find a fit (the own prefix's task first: it holds a fit)."""
    from etr_nn.patterns import point_order
    from etr_nn.search.engine import Search

    inst, network = planted(Shape(d, k, m), 7, seed)
    signs, bits = _own_pattern(inst, network)
    neurons = sorted(range(k), key=lambda j: (signs[j], bits[j]))
    signs, bits = tuple(signs[j] for j in neurons), tuple(bits[j] for j in neurons)
    engine = Search(inst, point_order(inst))
    starts, outcome = engine.frontier(signs, depth)
    own = tuple(b[:depth] for b in bits)
    assert outcome.status == "unsat" and own in starts
    assert any(engine.run(signs, start).status == "sat" for start in sorted(starts, key=lambda start: start != own))


def test_rank_one_test_refutes_what_the_per_output_lps_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    """One neuron, two outputs: off at x = 1, 2, on at 3, 4, 5. Each output alone fits
    (u_1 = (1, −5/2), u_2 = (2, −4), c = 0), but the two are not parallel, so no network does
    (and no combination of the outputs cancelling the neuron is constant: the search refutes it that way first)."""
    from etr_nn.patterns import pattern_rows, point_order
    from etr_nn.search import engine
    from etr_nn.search.rankone import RankOne

    inst = instance([(x,) for x in range(1, 6)], [(0, 0), (0, 0), (F(1, 2), 2), (F(3, 2), 4), (F(5, 2), 6)], 1)
    order = point_order(inst)
    signs, bits = ((1, 1),), ((0, 0, 1, 1, 1),)
    for o in range(2):
        assert feasible_point(pattern_rows(Points.of(inst), signs, order, bits, (o,)), 2 * 2 * 1 + 2) is not None
    assert RankOne(Points.of(inst), order).refutes(signs, bits)
    solution = search(inst, workers=1)
    assert solution.status == "unsat" and "a neuron cancels" in solution.rests_on
    monkeypatch.setattr(engine, "CANCELLATION", False)
    solution = search(inst, workers=1)
    assert solution.status == "unsat" and "rank-one test" in solution.rests_on


def test_rank_one_test_modulo_c_refutes_a_leaf_no_functional_determines() -> None:
    """A leaf of random data (2 inputs, 3 ReLUs, 2 outputs, 7 points): both outputs' LPs are feasible and
    no functional of a block is determined alone, but the third neuron's block is determined modulo c, so
    its minors are affine equations in (c_0, c_1) with no common solution. Z3 refutes the pattern's
    system too (independently)."""
    from etr_nn import backends
    from etr_nn.patterns import full_pattern_system, pattern_rows
    from etr_nn.search.rankone import RankOne

    xs = [(-5, F(-1, 2)), (F(-1, 2), F(-11, 2)), (F(1, 2), 6), (F(7, 2), F(9, 2)), (4, F(1, 2)), (5, 1), (F(11, 2), F(-9, 2))]
    ys = [(-2, 1), (-1, -1), (-1, 2), (-1, 1), (2, -1), (0, 3), (1, 0)]
    inst, order = instance(xs, ys, 3), (0, 6, 3, 1, 4, 2, 5)
    signs = ((-1, -1), (-1, 1), (-1, 1))
    bits = ((0, 0, 0, 1, 0, 0, 0), (0, 1, 1, 0, 1, 0, 1), (1, 0, 1, 0, 0, 1, 0))
    points = Points.of(inst)
    for o in range(2):
        assert feasible_point(pattern_rows(points, signs, order, bits, (o,)), 3 * 2 * 3 + 2) is not None
    assert RankOne(points, order).refutes(signs, bits)
    assert backends.get("z3").check(full_pattern_system(points, signs, order, bits), 30).status == "unsat"


def rank_one_refutations_against_z3(seeds: range) -> tuple[list[str], int]:
    """Partial patterns the rank-one test refutes during (0.3 s of) the search of random two-output
    data, each with its system (rows of the decided points and rank one) decided by Z3 alone:
    (disagreements, checked)."""
    from etr_nn import backends
    from etr_nn.patterns import full_pattern_system, point_order, sign_choices
    from etr_nn.search.engine import Hooks, Search

    wrong, checked = [], 0
    for seed in seeds:
        rng = random.Random(seed)
        d, n = rng.randint(1, 2), rng.randint(4, 7)
        xs = {tuple(F(rng.randint(-8, 8), 2) for _ in range(d)) for _ in range(n)}
        inst = instance(sorted(xs), [(rng.randint(-2, 2), rng.randint(-2, 2)) for _ in xs], rng.randint(2, 3))
        order, refuted = point_order(inst), []
        engine = Search(inst, order, deadline=Deadline.after(0.3))
        engine.cancellation = None  # the rank-one test alone: cancelling combinations would refute most first
        engine.hooks = Hooks(observe=lambda status, o, prefixes: refuted.append((engine.signs, prefixes))
                             if status == "rank" else None)
        for signs in sign_choices(inst.shape.hidden, 2):
            engine.run(signs)
        points = Points.of(inst)
        for signs, prefixes in rng.sample(refuted, min(len(refuted), 3)):
            checked += 1
            answer = backends.get("z3").check(full_pattern_system(points, signs, order, prefixes), 20)
            if answer.status == "sat":
                wrong.append(f"seed {seed}: signs {signs}, bits {prefixes} refuted, but Z3 finds {answer.point}")
    return wrong, checked


def test_rank_one_refutations_are_refuted_by_z3() -> None:
    wrong, checked = rank_one_refutations_against_z3(range(30))
    assert not wrong, wrong
    assert checked >= 15


@pytest.mark.slow
def test_rank_one_refutations_are_refuted_by_z3_many() -> None:
    wrong, checked = rank_one_refutations_against_z3(range(1000, 1300))
    assert not wrong, wrong
    assert checked >= 250


def test_side_task_networks_end_the_search_and_never_make_unsat() -> None:
    """The side task (the float guide's slot) is called during the search; its network wins."""
    from etr_nn.search import engine
    from etr_nn.patterns import point_order, sign_choices

    inst, network = planted(Shape(2, 2, 2), 8, seed=3)
    calls = []
    found = engine.Search(inst, point_order(inst), side=lambda: calls.append(1) or network)
    found.next_side = 0.0
    outcome = found.run(sign_choices(2, 2)[0])
    assert calls and outcome.status == "sat" and outcome.guided and certify(inst, outcome.network).valid
    xor = instance(*XOR, hidden=1)
    nothing = engine.Search(xor, point_order(xor), side=lambda: None)
    nothing.next_side = 0.0
    assert all(nothing.run(task).status == "unsat" for task in sign_choices(1, 1))


def test_guide_share_is_weighted_by_the_open_fraction_of_the_search() -> None:
    """The guide gets half of the time since START, each interval weighted by the fraction of sign
    choices still open: none with weight 0, about half an interval's length with weight 1."""
    from etr_nn.search.guide import START, Guide

    xor = instance(*XOR, hidden=1)  # unsat: no fit ends the guide's turn early
    closed = Guide(xor, start=time.monotonic() - START - 0.6)
    assert closed.share(0.0) is None and closed.spent == 0
    opened = Guide(xor, start=time.monotonic() - START - 0.6)
    assert opened.share(1.0) is None and 0.25 <= opened.spent < 1.0


def test_guide_beside_workers_takes_its_whole_process_after_the_ramp() -> None:
    """Beside worker processes the guide gets half of the time until RAMP, then all of it: a turn 0.6 s
    into the ramped phase runs about 0.6 s (weight 1), against about 0.3 s in the search's own process."""
    from etr_nn.search.guide import RAMP, Guide

    xor = instance(*XOR, hidden=1)
    ramped = Guide(xor, start=time.monotonic() - RAMP - 0.6)
    ramped.since = time.monotonic() - 0.6
    assert ramped.share(1.0, beside=True) is None and 0.55 <= ramped.spent < 1.2
    inline = Guide(xor, start=time.monotonic() - RAMP - 0.6)
    inline.since = time.monotonic() - 0.6
    assert inline.share(1.0) is None and 0.25 <= inline.spent < 0.55
    early = Guide(xor, start=time.monotonic() - 0.6)  # before RAMP: half, beside workers too
    early.since = time.monotonic() - 0.6
    assert early.share(1.0, beside=True) is None and 0.25 <= early.spent < 0.55


def test_a_guide_slice_does_not_cut_an_exact_check_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """share() fits within its slice but checks each near-zero fit's pattern until the search's own limit:
    cut short at the slice's end, the pattern counted as tried (the √2 reduction's fit, found in 0.5 s, went
    unchecked through a 600 s solve)."""
    from etr_nn.search.guide import START, Guide

    guide = Guide(instance(*XOR, hidden=2), start=time.monotonic() - START - 0.6)
    checked: list[Deadline] = []
    monkeypatch.setattr(guide, "_exact", lambda W, b, A, c, until: checked.append(until))
    limit = Deadline.after(100)
    assert guide.share(1.0, limit) is None
    assert checked and all(until is limit for until in checked)


def test_concurrent_guide_returns_certified_sats_in_process(monkeypatch) -> None:
    """With one worker no process is spawned; two-output sats (guided or not) are certified."""
    import etr_nn.search as engine_search

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was spawned")

    monkeypatch.setattr(engine_search, "run_local", no_pool)
    for seed in range(3):
        inst, _ = planted(Shape(2, 3, 2), 12, seed)
        solution = search(inst, timeout=30, workers=1)
        assert solution.status == "sat" and solution.network is not None
        assert certify(inst, solution.network).valid
        assert ("float fit" in solution.rests_on) == solution.details["search"]["guided"]


def test_point_order_is_a_permutation_starting_lexicographically() -> None:
    from etr_nn.patterns import point_order

    for d in (1, 2, 3):
        inst, _ = planted(Shape(d, 2, 1), 10, seed=d)
        order = point_order(inst)
        assert sorted(order) == list(range(inst.n))
        assert inst.points[order[0]] == min(inst.points)
        if d == 1:
            assert [inst.points[p] for p in order] == sorted(inst.points)


def test_a_deadline_sent_to_another_process_keeps_the_time_left() -> None:
    """Deadlines travel as the time left, re-anchored on the receiver's monotonic clock."""
    sent = pickle.loads(pickle.dumps(Deadline.after(30)))
    left = sent.left()
    assert left is not None and 29 < left <= 30 and not sent.passed()
    assert pickle.loads(pickle.dumps(NO_LIMIT)).left() is None
    assert Deadline.after(0).passed() and Deadline.after(5).sooner(1).cap(10) <= 1
    assert NO_LIMIT.cap(7) == 7 and NO_LIMIT.extended(1).at is None


@pytest.mark.parametrize("seed", range(8))
def test_one_factor_fixed_the_other_is_an_exact_lp(seed: int) -> None:
    """u_jo = A[o, j]·v_j with one factor fixed is linear in the other (patterns.with_columns,
    with_hyperplanes): fixing a planted network's own columns or hyperplanes, the LP finds a fit,
    and the network it gives is certified exactly."""
    inst, net = planted(Shape(2, 2, 2), 6, seed)
    points = Points.of(inst)
    signs = tuple(tuple(1 if net.A[o][j] >= 0 else -1 for o in range(2)) for j in range(2))
    prefixes = tuple(tuple(int(sum(w * x for w, x in zip(net.W[j], p)) + net.b[j] > 0) for p in inst.points)
                     for j in range(2))
    rows, build = with_columns(points, signs, prefixes, net.A)
    z = feasible_point(rows, 2 * 3 + 2)
    assert z is not None and certify(inst, build(z)).valid
    V = [list(net.W[j]) + [net.b[j]] for j in range(2)]
    rows, build = with_hyperplanes(points, signs, tuple(range(inst.n)), prefixes, V)
    z = feasible_point(rows, 2 * 2 + 2)
    assert z is not None and certify(inst, build(z)).valid


def test_shared_table_passes_exact_entries_between_tables() -> None:
    """Each worker's table sends its new entries to the others in batches and merges its inbox
    every PERIOD lookups: what one decided, the other then finds, with the same verdict."""
    import queue

    from etr_nn.search.parallel import SharedTable

    inbox_a, inbox_b = queue.Queue(), queue.Queue()  # type: ignore[var-annotated]
    a, b = SharedTable(inbox_a, [inbox_b]), SharedTable(inbox_b, [inbox_a])
    entries = [((depth % 2, (depth, ((1, (0, 1)),))), depth % 3 == 0) for depth in range(SharedTable.BATCH + 1)]
    for key, feasible in entries:
        a.put(key, feasible)
    for _ in range(SharedTable.PERIOD - 1):  # b has not looked at its inbox yet
        assert b.get(entries[0][0]) is None
    assert all(b.get(key) is feasible for key, feasible in entries[:SharedTable.BATCH])  # now it has
    assert b.get(entries[-1][0]) is None  # the second batch is not full: not sent yet
    assert b.get((0, (99, ()))) is None


@pytest.mark.parametrize("hidden", [1, 2])
def test_workers_sharing_their_tables_agree_with_one_process(monkeypatch, hidden: int) -> None:
    """Every task in two worker processes whose tables exchange every entry at once: the same answer
    as one process, on XOR twice (m = 2: unsat with one ReLU, sat with two), sat certified."""
    from etr_nn.patterns import point_order, sign_choices
    from etr_nn.search.parallel import SharedTable, run_inline, run_local

    monkeypatch.setattr(SharedTable, "BATCH", 1)
    monkeypatch.setattr(SharedTable, "PERIOD", 1)
    square = [(0, 0), (0, 1), (1, 0), (1, 1)]
    inst = Instance("xor-m2", Shape(2, hidden, 2), tuple((Fraction(a), Fraction(b)) for a, b in square),
                    tuple((Fraction(a ^ b), Fraction(1 - (a ^ b))) for a, b in square))
    order, tasks = point_order(inst), [(signs, None) for signs in sign_choices(hidden, 2)]
    alone, _ = run_inline(inst, order, tasks, "cad+z3", NO_LIMIT, False, None, None)
    shared, unfinished = run_local(inst, order, tasks, 2, "cad+z3", Deadline.after(60), False, None)
    assert unfinished == 0 or any(o.status == "sat" for o in shared)  # the first sat cancels the rest
    answer = "sat" if any(o.status == "sat" for o in alone) else "unsat"
    assert answer == ("sat" if any(o.status == "sat" for o in shared) else "unsat") == ("sat" if hidden == 2 else "unsat")
    for outcome in shared:
        if outcome.status == "sat":
            assert certify(inst, outcome.network).valid


def test_table_keeps_at_most_its_limit_and_promotes_what_it_finds(monkeypatch) -> None:
    """Two generations of LIMIT / 2: never more than LIMIT entries; the latest ones are kept; a hit
    in the older generation moves to the newer and survives the next rotation."""
    from etr_nn.search.engine import Table

    monkeypatch.setattr(Table, "LIMIT", 8)
    table = Table()
    for key in range(20):
        table.put(key, key % 2 == 0)
        assert len(table.items()) <= 8
    assert all(table.get(key) is (key % 2 == 0) for key in range(16, 20))
    assert table.get(0) is None
    found = next(key for key in range(20) if key in table.older)
    assert table.get(found) is (found % 2 == 0)
    for key in range(100, 104):  # a rotation: the older generation goes
        table.put(key, True)
    assert table.get(found) is (found % 2 == 0)


def _shared_against_direct(seeds: range) -> int:
    """Random small two-output instances: every task in two worker processes whose tables exchange
    each entry at once (the sharing rule at its most aggressive) against Z3 on the direct encoding
    (none of the search's pruning); sat networks certified. Returns how many Z3 decided."""
    from etr_nn.patterns import point_order, sign_choices
    from etr_nn.search.parallel import run_local

    decided = 0
    for seed in seeds:
        rng = random.Random(seed)
        shape = Shape(rng.randint(1, 2), rng.randint(1, 2), 2)
        points = tuple(tuple(Fraction(rng.randint(-4, 4), rng.randint(1, 2)) for _ in range(shape.inputs))
                       for _ in range(rng.randint(3, 5)))
        points = tuple(dict.fromkeys(points))
        labels = tuple((Fraction(rng.randint(-2, 2)), Fraction(rng.randint(-2, 2))) for _ in points)
        inst = Instance(f"shared-{seed}", shape, points, labels)
        order = point_order(inst)
        outcomes, unfinished = run_local(inst, order, [(signs, None) for signs in sign_choices(shape.hidden, 2)], 2, "cad+z3",
                                         Deadline.after(60), False, None)
        sat = [o for o in outcomes if o.status == "sat"]
        assert sat or (unfinished == 0 and all(o.status == "unsat" for o in outcomes)), seed
        for outcome in sat:
            assert certify(inst, outcome.network).valid, seed
        direct = solve(inst, backend="z3", timeout=10)
        if direct.status in ("sat", "unsat"):
            decided += 1
            assert direct.status == ("sat" if sat else "unsat"), seed
    return decided


def test_shared_tables_agree_with_the_direct_encoding(monkeypatch) -> None:
    from etr_nn.search.parallel import SharedTable

    monkeypatch.setattr(SharedTable, "BATCH", 1)
    monkeypatch.setattr(SharedTable, "PERIOD", 1)
    assert _shared_against_direct(range(8)) >= 6


@pytest.mark.slow
def test_shared_tables_agree_with_the_direct_encoding_many(monkeypatch) -> None:
    from etr_nn.search.parallel import SharedTable

    monkeypatch.setattr(SharedTable, "BATCH", 1)
    monkeypatch.setattr(SharedTable, "PERIOD", 1)
    assert _shared_against_direct(range(8, 208)) >= 150


def test_shared_incumbents_travel_between_workers_with_their_networks() -> None:
    """A better incumbent offered in one worker reaches the others with its own network (never a
    value without the network that attains it); a worse one is neither taken nor posted."""
    import queue as queues

    from etr_nn.network import Network
    from etr_nn.search.engine import Incumbent
    from etr_nn.search.parallel import SharedIncumbent

    def network(c: int) -> Network:
        return Network.build([[F(1)]], [F(0)], [[F(1)]], [F(c)])

    inboxes: list[queues.Queue] = [queues.Queue() for _ in range(3)]
    shared = [SharedIncumbent(Incumbent(F(5), network(5)), inboxes[i], [box for j, box in enumerate(inboxes) if j != i])
              for i in range(3)]
    assert shared[0].offer(F(3), network(3))
    assert shared[2].news() and shared[1].news() and not shared[0].news()
    assert all((s.value, s.network) == (F(3), network(3)) for s in shared)
    assert not shared[1].offer(F(4), network(4))
    assert not any(s.news() for s in shared)
    assert shared[2].offer(F(2), network(2)) and shared[0].news() and shared[1].news()
    assert all((s.value, s.network) == (F(2), network(2)) for s in shared)


def _closed_pattern(network, points: Points, order: tuple[int, ...]) -> tuple[tuple, tuple]:
    """A network's output orthants σ_j (closed: 0 counts as +) and activation bits at `points` in `order`."""
    k, m = len(network.W), len(network.c)
    signs = tuple(tuple(1 if network.A[o][j] >= 0 else -1 for o in range(m)) for j in range(k))
    bits = tuple(tuple(int(sum((w * x for w, x in zip(network.W[j], points.coords[p])), network.b[j]) > 0)
                       for p in order) for j in range(k))
    return signs, bits


def _span_planted(seed: int) -> bool:
    """A planted network's own pattern (probes and a random order included) is never refuted by the
    span test at any depth; at the full pattern a fit it returns is certified. Whether it decided."""
    from etr_nn.network import Network
    from etr_nn.generate import random_network, random_points, sample
    from etr_nn.search.span import span_fit

    rng = random.Random(seed)
    d, m = rng.randint(1, 2), rng.choice((2, 2, 3))
    k = m + 1 if rng.random() < 0.7 else rng.randint(1, m + 2)  # k = m + 1: where the test can decide
    network = random_network(Shape(d, k, m), rng, size=rng.choice((3, 12, 12)))  # 12: fewer equal hyperplanes
    inst = sample(network, random_points(rng.randint(5, 10), d, rng), f"span-{seed}")
    points = Points.of(inst, random_points(rng.randint(0, 2), d, rng))
    order = tuple(rng.sample(range(len(points.coords)), len(points.coords)))
    signs, bits = _closed_pattern(network, points, order)
    for depth in range(1, len(order) + 1):
        found = span_fit(points, signs, order, tuple(b[:depth] for b in bits))
        assert found != "unsat", f"depth {depth} of the planted network's own pattern refuted"
    if isinstance(found, Network):
        assert certify(inst, found).valid
    return found is not None


def test_span_test_never_refutes_a_planted_networks_own_pattern() -> None:
    decided = sum(_span_planted(seed) for seed in range(300))
    assert decided >= 50  # not vacuous (measured: 83 fits returned and certified)


def span_decisions_against_z3(seeds: range) -> tuple[list[str], int, int]:
    """Partial and full patterns of two-output data (random labels: mostly unsat; planted: sat)
    that the span test decides, met during a second of search each, with their systems (the decided
    points' rows and rank one) decided by Z3 alone (2 s, else skipped): (disagreements, sat checked,
    unsat checked)."""
    from etr_nn import backends
    from etr_nn.generate import random_network, random_points, sample
    from etr_nn.network import Network
    from etr_nn.patterns import full_pattern_system, point_order, sign_choices
    from etr_nn.search.engine import Hooks, Search
    from etr_nn.search.span import span_fit

    wrong, sat, unsat = [], 0, 0
    for seed in seeds:
        rng = random.Random(seed)
        d, n = rng.randint(1, 2), rng.randint(7, 8)
        if seed % 2:
            xs = {tuple(F(rng.randint(-8, 8), 2) for _ in range(d)) for _ in range(n)}
            inst = instance(sorted(xs), [(rng.randint(-3, 3), rng.randint(-3, 3)) for _ in xs], 3)
        else:
            inst = sample(random_network(Shape(d, 3, 2), rng, size=12), random_points(n, d, rng), f"span-{seed}")
        order, met = point_order(inst), []
        engine = Search(inst, order, deadline=Deadline.after(1))
        engine.covering = None  # the span test alone: kink covering would decide most of these d = 1 patterns first,
        engine.cancellation = None  # and output combinations cancelling a neuron most of the others
        engine.hooks = Hooks(observe=lambda status, o, prefixes: met.append((engine.signs, prefixes))
                             if status == "span" or (status == "sat" and len(prefixes[0]) == inst.n) else None)
        for signs in sign_choices(3, 2):
            if engine.run(signs).status == "sat":
                break
        points = Points.of(inst)
        for signs, prefixes in rng.sample(met, min(len(met), 4)):
            found = span_fit(points, signs, order, prefixes)
            if found is None:
                continue
            answer = backends.get("z3").check(full_pattern_system(points, signs, order, prefixes), 2)
            if answer.status == "unknown":
                continue
            sat, unsat = sat + (found != "unsat"), unsat + (found == "unsat")
            if answer.status != ("unsat" if found == "unsat" else "sat"):
                wrong.append(f"seed {seed}: signs {signs}, bits {prefixes}: span test {found}, Z3 {answer.status}")
            if isinstance(found, Network) and len(prefixes[0]) == inst.n and not certify(inst, found).valid:
                wrong.append(f"seed {seed}: signs {signs}, bits {prefixes}: the span test's fit fails the check")
    return wrong, sat, unsat


def test_span_decisions_agree_with_z3() -> None:
    wrong, sat, unsat = span_decisions_against_z3(range(16))
    assert not wrong, wrong
    assert unsat >= 12 and sat >= 1, (sat, unsat)  # measured: 21 and 2


@pytest.mark.slow
def test_span_decisions_agree_with_z3_many() -> None:
    wrong, sat, unsat = span_decisions_against_z3(range(2000, 2300))
    assert not wrong, wrong
    assert unsat >= 100 and sat >= 25, (sat, unsat)
