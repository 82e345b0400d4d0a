"""Float guidance from hyperplanes with simple normals: how the guide finds the ∃R reductions' fits.

The reductions' data (etr_nn.gadgets) force breaklines with small integer normals (the gadgets' chains
run along (1, 0), (0, 1), (1, 1)) through segments a unit or so wide whose ends lie thousands of units
apart: a float fit must get each normal right within about 1e-5, and random starts do not (best float
loss 12 in 90 s on encodings/sqrt2.json). Here every neuron's normal is fixed to a primitive integer
vector of max-norm ≤ HEIGHT and its offset starts in a gap between consecutive projections of the data
on that normal: an "atom" (normal and gap fix the neuron's activation set, up to its side). A local
search picks k atoms: greedily by a linear relaxation (an atom's ramp and step columns span its ramp at
every offset), then by swaps, the relaxation proposing SWAPS atoms for each neuron and the fit judging:
Levenberg–Marquardt on the offsets alone, the output layer solved (VariableProjection, fixed normals).
Restarts alternate two models: Φ = [relu(z), 1], and Φ with a free affine term, in which only the
lines matter, not the sides (relu(−z) = relu(z) − z); an affine fit becomes a network by turning over
neurons whose linear parts cancel the term (`turned`, a subset sum).

As everywhere in the guide, a fit only proposes an activation pattern; an exact check decides.
"""

from __future__ import annotations

from itertools import count, product
from typing import Iterator

import numpy as np

from etr_nn.instance import Instance
from etr_nn.search.least_squares import Fit, LevenbergMarquardt, VariableProjection, arrays

HEIGHT = 1  # normals: primitive integer vectors of max-norm ≤ HEIGHT (d = 2: (1, 0), (0, 1), (1, 1), (1, −1))
SWAPS = 6  # atoms the relaxation proposes for each neuron in a round of the local search
FIRST = 8  # a restart's first atom: one of the FIRST best by the relaxation, at random
EVALUATIONS = 200  # Levenberg–Marquardt evaluations per proposal
# A swap must lower the loss by this share: refitting the offsets alone polishes the current fit a little
# (golden.json: thousands of rounds at 0.1772 without it).
GAIN = 0.01
POLISH = 10  # a fit no swap improves gets this many times EVALUATIONS more
BATCH = 32  # proposals fitted together; the generator pauses (yields None) after each batch
TURN_LIMIT = 36  # the affine model's subset sum (meet in the middle, 2^(k/2) sums a side) only up to this many neurons


def atoms(X: np.ndarray, height: int = HEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Normals (atoms × d) and offsets (atoms): for each primitive integer normal w of max-norm ≤ height
    (first nonzero entry positive), the hyperplanes w·x + b = 0 through the midpoints between consecutive
    distinct values of w·x over the data."""
    d = X.shape[1]
    normals, offsets = [], []
    for w in product(range(-height, height + 1), repeat=d):
        if w <= (0,) * d or np.gcd.reduce(np.abs(w)) != 1:
            continue
        values = np.unique(X @ np.array(w, dtype=float))
        for middle in (values[1:] + values[:-1]) / 2:
            normals.append(w)
            offsets.append(-middle)
    return np.array(normals, dtype=float).reshape(-1, d), np.array(offsets)


class Relaxation:
    """The linear relaxation of a choice of atoms: Y fitted by least squares in the span of each chosen
    atom's ramp relu(w·x + b) and step [w·x + b > 0] (the ramps at every offset in the atom's gap and
    beyond) and the model's base columns (1, or x and 1)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, normals: np.ndarray, offsets: np.ndarray):
        z = X @ normals.T + offsets  # n × atoms
        self.Y = Y
        self.columns = np.stack([np.maximum(z, 0.0), (z > 0).astype(float)], axis=2).transpose(1, 0, 2)  # atoms × n × 2
        self.norms = (self.columns ** 2).sum(axis=(1, 2))

    def scores(self, chosen: list[int], base: np.ndarray) -> np.ndarray:
        """For every atom, how much the least-squares residual |R|² drops when its columns join the
        chosen atoms' and the base (−1 for the chosen ones)."""
        n = base.shape[0]
        spanned = np.hstack([self.columns[chosen].transpose(1, 0, 2).reshape(n, -1), base])
        U, sigma, _ = np.linalg.svd(spanned, full_matrices=False)
        Q = U[:, sigma > 1e-10 * sigma[0]]
        R = self.Y - Q @ (Q.T @ self.Y)
        C = self.columns - Q @ (Q.T @ self.columns)  # each atom's columns off the span
        values, vectors = np.linalg.eigh(C.transpose(0, 2, 1) @ C)
        # directions left with a relative square norm below 1e-10 are in the span (their rounding noise is not a drop)
        inverse = np.where(values > 1e-10 * self.norms[:, None], 1.0 / np.maximum(values, 1e-300), 0.0)
        along = vectors.transpose(0, 2, 1) @ (C.transpose(0, 2, 1) @ R)  # atoms × 2 × m
        scores = (inverse[:, :, None] * along ** 2).sum(axis=(1, 2))
        scores[chosen] = -1.0
        return scores


def line_fits(instance: Instance, rng: np.random.Generator, worth: float) -> Iterator[tuple[Fit, float] | None]:
    """Fits (W, b, A, c) with their squared loss, one per restart of the local search (see the module
    docstring), which ends at a loss ≤ `worth` or when no swap helps; None at pauses (every BATCH
    fitted proposals), so that a caller can keep its time limits."""
    X, Y = arrays(instance)
    k = instance.shape.hidden
    normals, offsets = atoms(X)
    relaxation = Relaxation(X, Y, normals, offsets)
    if len(offsets) < k:
        return
    for restart in count():
        affine = restart % 2 == 1 and k <= TURN_LIMIT
        projection = VariableProjection(X, Y, k, affine=affine, fixed_normals=True)
        first = relaxation.scores([], projection.base)
        chosen = [int(rng.choice(np.argsort(-first)[:FIRST]))]
        while len(chosen) < k:
            scores = relaxation.scores(chosen, projection.base)
            chosen.append(int(rng.choice(np.flatnonzero(scores >= scores.max() * (1 - 1e-9)))))
        theta = np.hstack([normals[chosen], offsets[chosen, None]])  # k × (d + 1)
        (theta,), (cost,) = _settle(projection, theta[None])
        while cost > worth:
            ranked = [[int(a) for a in np.argsort(-relaxation.scores(chosen[:j] + chosen[j + 1:], projection.base))
                       if a not in chosen][:SWAPS] for j in range(k)]
            proposals = [(j, ranked[j][r]) for r in range(SWAPS) for j in rng.permutation(k) if r < len(ranked[j])]  # best first
            best, best_cost, best_theta = None, cost, theta
            for start in range(0, len(proposals), BATCH):
                batch = proposals[start:start + BATCH]
                starts = np.array([np.hstack([normals[swapped], offsets[swapped, None]])
                                   for swapped in ([*chosen[:j], a, *chosen[j + 1:]] for j, a in batch)])
                fitted, costs = _settle(projection, starts)
                i = int(np.argmin(costs))
                yield None
                if costs[i] < cost * (1 - GAIN):  # the first batch with a better fit ends the round
                    best, best_cost, best_theta = batch[i], costs[i], fitted[i]
                    break
            if best is None:  # no swap helps: polish the fit itself, go on if that helps
                (best_theta,), (best_cost,) = _settle(projection, theta[None], POLISH * EVALUATIONS)
                yield None
                if best_cost >= cost * (1 - GAIN):
                    break
                cost, theta = best_cost, best_theta
                continue
            chosen[best[0]], cost, theta = int(best[1]), best_cost, best_theta
        fit, slopes = projection.fit(theta.ravel())
        network = turned(fit, slopes) if affine else fit  # the affine model: its slopes cancelled by turning neurons over
        if network is not None:
            yield network, float(cost)


def _settle(projection: VariableProjection, thetas: np.ndarray, evaluations: int = EVALUATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg–Marquardt from each start (fits × k × (d + 1)) until it ends: the fits and their losses."""
    B = thetas.shape[0]
    fits = LevenbergMarquardt(projection.residuals, projection.jacobian, thetas.reshape(B, -1).copy())
    fits.restart(list(range(B)), np.zeros(B), evaluations)
    with np.errstate(over="ignore", invalid="ignore"):
        while not fits.done.all():
            fits.step()
    return fits.x.reshape(thetas.shape), fits.cost.copy()


def turned(fit: Fit, linear: np.ndarray) -> Fit | None:
    """A network for an affine-model fit Σ_j A_j relu(w_j·x + b_j) + L·x + c (L = `linear`, m × d):
    turning neuron j over (w_j, b_j → −w_j, −b_j) adds A_j (w_j·x + b_j) (relu(z) = relu(−z) + z), so
    a set F of neurons with Σ_{j∈F} A_j w_jᵀ = −L, found by meeting in the middle (within a relative
    1e-6), gives the same function without L (c absorbs Σ_F A_j b_j). None if no set does."""
    W, b, A, c = fit
    k = W.shape[0]
    vectors = np.array([np.outer(A[:, j], W[j]).ravel() for j in range(k)])  # k × (m·d)
    target = -linear.ravel()
    tolerance = 1e-6 * max(1.0, float(np.abs(vectors).max(initial=0.0)), float(np.abs(target).max(initial=0.0)))
    half = k // 2
    left, right = _subset_sums(vectors[:half]), _subset_sums(vectors[half:])
    order = np.argsort(left[:, 0])
    keys = left[order, 0]
    need = target - right
    low = np.searchsorted(keys, need[:, 0] - tolerance)
    high = np.searchsorted(keys, need[:, 0] + tolerance, side="right")
    for r in np.flatnonzero(high > low):
        close = np.abs(left[order[low[r]:high[r]]] - need[r]).max(axis=1) <= tolerance
        if close.any():
            chosen = int(order[low[r] + int(np.argmax(close))]) | r << half  # bit j: neuron j turned over
            flip = np.array([-1.0 if chosen >> j & 1 else 1.0 for j in range(k)])
            return W * flip[:, None], b * flip, A, c + A @ (b * (flip < 0))
    return None


def _subset_sums(vectors: np.ndarray) -> np.ndarray:
    """The sums of all subsets of the rows, subset s at index s (bit j: row j)."""
    sums = np.zeros((1, vectors.shape[1]))
    for v in vectors:
        sums = np.vstack([sums, sums + v])
    return sums
