"""Critical points by elimination, local-minimum boxes, and number-field arithmetic.

Known answers: the critical point solves its equations exactly; a box's bound holds at every
sampled point of box ∩ cell (exact rationals); saddles and wrong-signed multipliers are never
boxed; arithmetic inside Q(α) agrees with the resultant arithmetic on untagged copies.
"""

from __future__ import annotations

import random
from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etr_nn.exact import RealAlgebraic, real_roots
from etr_nn.exact.algebraic import NumberField
from etr_nn.generate import random_network, random_points, sample
from etr_nn.instance import Instance, Shape
from etr_nn.optimize import landscape
from etr_nn.optimize.critical import critical_point, local_minimum
from etr_nn.optimize.hidden import pieces
from etr_nn.poly import evaluate

F = Fraction


def untagged(x: RealAlgebraic | Fraction) -> RealAlgebraic | Fraction:
    return RealAlgebraic(x.coeffs, *x.interval) if isinstance(x, RealAlgebraic) else x


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=4, max_size=5).filter(lambda c: c[-1] != 0),
       st.lists(st.integers(-3, 3), min_size=1, max_size=4), st.lists(st.integers(-3, 3), min_size=1, max_size=4))
def test_number_field_arithmetic_agrees_with_resultants(poly: list[int], a: list[int], b: list[int]) -> None:
    """c(α) ⊙ e(α) computed mod α's minimal polynomial equals the resultant-based result on copies
    that know nothing of the field; comparisons agree too."""
    irrational = [x for x in real_roots([F(c) for c in poly]) if isinstance(x, RealAlgebraic)]
    if not irrational:
        return
    field = NumberField(irrational[0])
    x, y = field.element(flint.fmpq_poly(a)), field.element(flint.fmpq_poly(b))
    ux, uy = untagged(x), untagged(y)
    assert x + y == ux + uy and x * y == ux * uy and x - y == ux - uy
    assert (x < y) == (ux < uy)
    if y != 0:
        assert x / y == ux / uy


def random_regions(seed: int) -> tuple[Instance, list[landscape.Region]]:
    """Pieces of a noisy planted d = 1, k ≤ 2, two-output instance, float-minimised."""
    rng = random.Random(seed)
    network = random_network(Shape(1, rng.randint(1, 2), 2), rng)
    clean = sample(network, random_points(rng.randint(4, 6), 1, rng, size=3), f"crit-{seed}")
    labels = tuple((y[0] + F(rng.randint(-2, 2)), y[1] + F(rng.randint(-2, 2), 2)) for y in clean.labels)
    instance = Instance(clean.name, clean.shape, clean.points, labels)
    values = np.array([[float(v) for v in y] for y in labels])
    regions = [r for w in range(1, instance.shape.hidden + 1) for p in pieces(instance, w)
               if (r := landscape.Region.of(p, values)) is not None]
    generator = np.random.default_rng(seed)
    for region in regions:
        region.minimise(generator, [])
    return instance, [r for r in regions if r.point is not None]


@pytest.mark.parametrize("seed", range(3))
def test_critical_points_solve_their_equations_exactly(seed: int) -> None:
    """At the eliminated point, D·∂N − N·∂D vanishes exactly along the face, the active rows vanish,
    and the loss N/D is the float minimum to float accuracy."""
    _, regions = random_regions(seed)
    found = 0
    for region in regions:
        assert region.point is not None
        active = [a.poly for a in region.active(region.point)]
        point = critical_point(region.numerator, region.denominator, active, region.piece.names,
                               list(region.point))
        if point is None:
            continue
        found += 1
        values = [point[n] for n in region.piece.names] + [F(0)]
        assert all(evaluate(row, values) == 0 for row in active)
        n, d = evaluate(region.numerator, values), evaluate(region.denominator, values)
        gradient = [d * evaluate(region.numerator.derivative(i), values)
                    - n * evaluate(region.denominator.derivative(i), values) for i in range(len(region.piece.names))]
        if not active:
            assert all(g == 0 for g in gradient)
        assert abs(float(n / d) - region.value) <= 1e-4 * (1 + region.value)
    assert found >= len(regions) // 2, f"seed {seed}: {found} of {len(regions)}"


@pytest.mark.parametrize("seed", range(3))
def test_local_minimum_boxes_hold_at_sampled_points(seed: int) -> None:
    """Soundness of the box rule: N/D ≥ N/D(θ*) at random rational points of box ∩ cell, the
    box's corners and faces included (exact evaluation)."""
    _, regions = random_regions(seed)
    rng = random.Random(seed)
    boxes = 0
    for region in regions:
        assert region.point is not None
        near = region.point
        active = region.active(near)
        point = critical_point(region.numerator, region.denominator, [a.poly for a in active], region.piece.names,
                               list(near))
        if point is None:
            continue
        rows = [a.poly if a.rel == ">=" else -a.poly for a in active]
        box = local_minimum(region.numerator, region.denominator, rows, region.piece.names,
                            [point[n] for n in region.piece.names])
        if box is None:
            continue
        boxes += 1
        least = region.loss_at(point)
        for _ in range(200):
            theta = [c + box.radius * F(rng.choice((-1, 1, rng.randint(-1000, 1000) / F(1000)))) for c in box.centre]
            values = theta + [F(0)]
            inside = all(evaluate(a.poly, values) >= 0 if a.rel == ">=" else evaluate(a.poly, values) <= 0
                         for a in region.cell)
            if inside:
                assert evaluate(region.numerator, values) >= least * evaluate(region.denominator, values)
    assert boxes >= 1


def test_saddles_and_wrong_multipliers_are_never_boxed() -> None:
    """x² − y² + 5 at its saddle: no box. (x − 1)² + y² at the origin: a minimum on x ≤ 0
    (multiplier 2 ≥ 0), not on x ≥ 0 (multiplier −2)."""
    ctx = flint.fmpq_mpoly_ctx.get(("x", "y"), "lex")
    x, y = ctx.gens()
    one = ctx.constant(1)
    assert local_minimum(x ** 2 - y ** 2 + 5, one, [], ("x", "y"), [F(0), F(0)]) is None
    bowl = (x - 1) ** 2 + y ** 2
    assert local_minimum(bowl, one, [-x], ("x", "y"), [F(0), F(0)]) is not None
    assert local_minimum(bowl, one, [x], ("x", "y"), [F(0), F(0)]) is None
    assert local_minimum(bowl, one, [], ("x", "y"), [F(1), F(0)]) is not None
    assert local_minimum(bowl, one, [], ("x", "y"), [F(0), F(0)]) is None  # not critical
