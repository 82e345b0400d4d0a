"""The guide's fits with small integer normals (etr_nn.search.lines)."""

from __future__ import annotations

from fractions import Fraction
from itertools import islice

import numpy as np
import pytest

from etr_nn.certify import certify
from etr_nn.deadline import Deadline
from etr_nn.instance import Instance, Shape, load
from etr_nn.network import Network
from etr_nn.search.guide import FIT_TOLERANCE, Guide, _scale
from etr_nn.search.least_squares import arrays
from etr_nn.search.lines import Relaxation, atoms, line_fits, turned

from conftest import ROOT


@pytest.mark.parametrize("seed", range(12))
def test_atoms_cut_between_consecutive_projections(seed: int) -> None:
    """Every atom's hyperplane has a primitive normal of max-norm 1 (first nonzero entry positive), no data
    point on it, and lies between two consecutive values of w·x; each such gap holds exactly one atom."""
    rng = np.random.default_rng(seed)
    d = 1 + seed % 3
    X = rng.integers(-3, 4, (8, d)).astype(float)  # repeats and collinear points on purpose
    normals, offsets = atoms(X)
    for w in {tuple(v) for v in normals}:
        assert max(map(abs, w)) == 1 and next(v for v in w if v) > 0
        mine = offsets[(normals == w).all(axis=1)]
        values = np.unique(X @ np.array(w))
        assert len(mine) == len(values) - 1
        assert np.allclose(np.sort(-mine), (values[1:] + values[:-1]) / 2)
    assert (np.abs(X @ normals.T + offsets) > 1e-9).all()
    assert len({tuple(v) for v in normals}) <= (3 ** d - 1) // 2


@pytest.mark.parametrize("seed", range(8))
def test_relaxation_scores_are_residual_drops(seed: int) -> None:
    """An atom's score is |R|² before minus after its ramp and step join the chosen atoms' columns and
    the base, by plain least squares; chosen atoms score −1."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(12, 2)), rng.normal(size=(12, 2))
    normals, offsets = atoms(X)
    relaxation = Relaxation(X, Y, normals, offsets)
    base = np.hstack([X, np.ones((12, 1))]) if seed % 2 else np.ones((12, 1))
    chosen = [int(a) for a in rng.choice(len(offsets), 3, replace=False)]

    def residual(columns: list[np.ndarray]) -> float:
        M = np.hstack(columns + [base])
        R = M @ np.linalg.lstsq(M, Y, rcond=None)[0] - Y
        return float((R * R).sum())

    before = residual([relaxation.columns[a] for a in chosen])
    scores = relaxation.scores(chosen, base)
    assert (scores[chosen] == -1).all()
    for a in rng.choice([a for a in range(len(offsets)) if a not in chosen], 10, replace=False):
        after = residual([relaxation.columns[a] for a in [*chosen, a]])
        assert scores[a] == pytest.approx(before - after, abs=1e-8)


@pytest.mark.parametrize("seed", range(20))
def test_turned_cancels_the_affine_term(seed: int) -> None:
    """A network written with some neurons turned over plus the affine term that makes up for it
    (relu(z) = relu(−z) + z): `turned` finds neurons to turn back, and its network computes the same
    function with no affine term; a term no set of neurons makes up for gives None."""
    rng = np.random.default_rng(seed)
    k, d, m = 3 + seed % 6, 2, 1 + seed % 2
    W, b, A, c = rng.normal(size=(k, d)), rng.normal(size=k), rng.normal(size=(m, k)), rng.normal(size=m)
    flipped = rng.random(k) < 0.5
    sign = np.where(flipped, -1.0, 1.0)
    linear = sum((np.outer(A[:, j], W[j]) for j in range(k) if flipped[j]), np.zeros((m, d)))
    shown = (W * sign[:, None], b * sign, A, c + A @ (b * flipped))  # Σ A relu(shown) + linear·x + c' = the network

    def value(fit: tuple[np.ndarray, ...], x: np.ndarray, slopes: np.ndarray) -> np.ndarray:
        W, b, A, c = fit
        return np.maximum(x @ W.T + b, 0) @ A.T + x @ slopes.T + c

    x = rng.normal(size=(30, d)) * 3
    assert np.allclose(value(shown, x, linear), value((W, b, A, c), x, np.zeros((m, d))))
    found = turned(shown, linear)
    assert found is not None
    assert np.allclose(value(found, x, np.zeros((m, d))), value((W, b, A, c), x, np.zeros((m, d))))
    assert turned(shown, linear + rng.normal(size=(m, d))) is None


def _instance_of(W: list[tuple[int, int]], b: list[Fraction], A: list[list[Fraction]], side: int) -> Instance:
    """Zero-error data of a network on the integer grid [0, side)²."""
    network = Network.build(W, b, A, [0] * len(A))
    points = [(Fraction(i), Fraction(j)) for i in range(side) for j in range(side)]
    labels = [network(p) for p in points]
    return Instance("grid", Shape(2, len(W), len(A)), points, labels)


@pytest.mark.parametrize("seed", range(4))
def test_line_fits_find_networks_with_simple_normals(seed: int) -> None:
    """Data of a network whose normals are in (1, 0), (0, 1), (1, 1), (1, −1) (offsets at random
    quarters, so no grid point lies on a breakline): some restart of the local search ends at a
    near-zero loss, and the guide's exact check turns one such fit into a certified network."""
    rng = np.random.default_rng(seed)
    k = 4
    normals = [[(1, 0), (0, 1), (1, 1), (1, -1)][int(i)] for i in rng.integers(0, 4, k)]
    b = [Fraction(int(rng.integers(-12, 4)) * 2 + 1, 4) for _ in range(k)]
    A = [[Fraction(int(v)) for v in rng.choice([-2, -1, 1, 2], k)] for _ in range(2)]
    instance = _instance_of(normals, b, A, 6)
    worth = FIT_TOLERANCE * _scale(instance) ** 2 * instance.n * 2
    losses = (item[1] for item in line_fits(instance, np.random.default_rng(seed), worth) if item is not None)
    assert any(loss <= worth for loss in islice(losses, 12))
    network = Guide(instance, seed=seed).run(Deadline.after(60))
    assert network is not None and certify(instance, network).valid


@pytest.mark.parametrize("seed", range(30))
def test_line_fits_on_small_data(seed: int) -> None:
    """Few points and atoms (as few as k, fewer than SWAPS more): every fit is a network of the instance's
    shape with its loss; the search goes on restart after restart."""
    rng = np.random.default_rng(seed)
    n, k, m = int(rng.integers(2, 7)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
    points = [(int(i) // 5 - 2, int(i) % 5 - 2) for i in rng.choice(25, n, replace=False)]
    instance = Instance("small", Shape(2, k, m), points, [tuple(int(v) for v in rng.integers(-2, 3, m)) for _ in range(n)])
    fits = [item for item in islice(line_fits(instance, rng, 1e-12), 100) if item is not None]
    for (W, b, A, c), loss in fits:
        assert W.shape == (k, 2) and b.shape == (k,) and A.shape == (m, k) and c.shape == (m,) and loss >= 0


def test_line_fits_without_enough_atoms_end() -> None:
    """Fewer atoms than neurons (one point): nothing to choose from, the generator ends."""
    instance = Instance("one", Shape(2, 2, 1), [(0, 0)], [(1,)])
    assert list(line_fits(instance, np.random.default_rng(0), 1e-9)) == []
    assert arrays(instance)[0].shape == (1, 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sqrt2", "golden"])
def test_guide_fits_the_reductions_from_scratch(name: str) -> None:
    """The ∃R reductions of {x + x = z, x·z = 1} and {u·u = 1, x + u = y, x·y = 1}: the guide alone finds a
    certified fit (sqrt2.json in 5.5 s here), with no lift and no search."""
    instance = load(ROOT / "encodings" / f"{name}.json")
    network = Guide(instance).run(Deadline.after(400))
    assert network is not None and certify(instance, network).valid
