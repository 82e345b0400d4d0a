"""Instances with known answers: data sampled from a network is always fittable by it."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import cast

from etr_nn.instance import Instance, Loss, Shape
from etr_nn.network import Network


def small_rational(rng: random.Random, size: int = 4, denominators: tuple[int, ...] = (1, 2)) -> Fraction:
    return Fraction(rng.randint(-size, size), rng.choice(denominators))


def random_network(shape: Shape, rng: random.Random, size: int = 3) -> Network:
    """A network with small rational weights and no zero output column (every neuron used)."""
    d, k, m = shape.inputs, shape.hidden, shape.outputs
    W = [[small_rational(rng, size) for _ in range(d)] for _ in range(k)]
    A = [[small_rational(rng, size) for _ in range(k)] for _ in range(m)]
    for j in range(k):
        if all(A[o][j] == 0 for o in range(m)):
            A[rng.randrange(m)][j] = Fraction(rng.choice((-1, 1)))
        if all(w == 0 for w in W[j]):
            W[j][rng.randrange(d)] = Fraction(1)
    return Network.build(W, [small_rational(rng, size) for _ in range(k)], A,
                         [small_rational(rng, size) for _ in range(m)])


def random_points(n: int, d: int, rng: random.Random, size: int = 6) -> list[tuple[Fraction, ...]]:
    """n distinct points of the grid ([-size, size] ∩ ½Z)^d (ValueError when it has fewer than n)."""
    if n > (4 * size + 1) ** d:
        raise ValueError(f"{n} distinct points asked of a grid of {(4 * size + 1) ** d}")
    points: set[tuple[Fraction, ...]] = set()
    while len(points) < n:
        points.add(tuple(Fraction(rng.randint(-2 * size, 2 * size), 2) for _ in range(d)))
    return sorted(points)


def sample(network: Network, points: list[tuple[Fraction, ...]], name: str, loss: Loss = "squared",
           hidden: int | None = None) -> Instance:
    """The data (x, network(x)); fittable with zero error by `network` (so with ≥ its width)."""
    shape = network.shape
    labels = [tuple(Fraction(cast(Fraction, v)) for v in network(x)) for x in points]  # Fraction() rejects irrational values
    return Instance(name, Shape(shape.inputs, hidden or shape.hidden, shape.outputs),
                    tuple(points), tuple(labels), loss)


def planted(shape: Shape, n: int, seed: int, loss: Loss = "squared") -> tuple[Instance, Network]:
    """A random network of `shape` and n points sampled from it: a sat instance by construction."""
    rng = random.Random(seed)
    network = random_network(shape, rng)
    name = f"planted-d{shape.inputs}-k{shape.hidden}-m{shape.outputs}-n{n}-s{seed}"
    return sample(network, random_points(n, shape.inputs, rng), name, loss), network
