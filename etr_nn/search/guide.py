"""Float guidance for the search: local fits propose activation patterns, exact checks decide.

Levenberg–Marquardt (`levenberg_marquardt`, numpy only) fits the network in floating point from
random starts (hidden hyperplanes through one or d data points; some starts first fit with a
small weight penalty, which keeps them away from steep degenerate pairs of neurons). A fit with
near-zero residual (with max_error = γ > 0: float loss about γ or less) proposes one activation
pattern (S_j: the points where w_j·x + b_j > 0, ties either way since the pattern constraints are
closed) and the direction of every output column. That one pattern is then solved exactly:
- with the columns fixed to rationals read off the float fit (normalised to max-norm 1,
  fact 1), fitting is linear in (w_j, b_j, c): an exact LP (Z3 simplex over Q);
- if that fails (an irrational or badly rounded column), the pattern's fitting system
  goes to the nonlinear backend, as at a leaf of the search;
- with γ > 0 and one output, the pattern's exact convex optimum (etr_nn.optimize.convex);
  with two or more outputs, its fitting system with the loss bound (nonlinear backend).
Floats never decide anything: a proposal only matters through a network that
`etr_nn.certify` accepts, and a failed proposal is discarded (unsat answers always come
from the exhaustive search).
"""

from __future__ import annotations

import os
import time
from fractions import Fraction
from typing import Callable, Iterator

# The fits' matrices are tiny: BLAS threads would only cost (half of numpy's import time, and
# cores the exhaustive search needs). Effective when this module is the first to import numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from etr_nn.deadline import Deadline

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.search.engine import LEAF_BACKEND
from etr_nn.lp import feasible_point
from etr_nn.patterns import Points, fitting_system, with_columns
from etr_nn.optimize.convex import pattern_optimum

START = 0.25  # seconds of search before the guide's first turn (share)
FIT_TOLERANCE = 1e-18  # mean squared residual of a float fit worth an exact check
# A fit that ends its evaluations with a mean squared residual below POLISH_BELOW (relative, as
# FIT_TOLERANCE) is near a zero-residual fit, where LM converges fast: it gets POLISH·size more.
# Measured on planted d = 2, k = 6, m = 2, n = 24: 4 942 fits in 30 s, none near zero; the best
# ended at 4.9e-6 for want of evaluations.
POLISH_BELOW, POLISH = 1e-4, 100
PATTERN_SECONDS = 5.0  # at most this long for one pattern's exact convex optimum
LOSS_SLACK = 1e-6  # with max_error = γ > 0: a fit with float loss ≤ γ·(1 + this) is worth an exact check
# Weight penalties of a first fit, one drawn per start (0: none). Measured on planted d = 2, m = 2,
# k = 4 data: plain fits often end at a near-zero residual made by two steep opposite neurons.
RIDGES = (0.0, 0.01, 0.1)
# Evaluations per fit: the fits that reached zero residual on those data took at most 6·size
# (most under 2·size), while the slow, failing ones took half the time at 100·size.


Fit = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # W, b, A, c


def _unpack(theta: np.ndarray, d: int, k: int, m: int) -> Fit:
    W = theta[:k * d].reshape(k, d)
    b = theta[k * d:k * d + k]
    A = theta[k * d + k:k * d + k + m * k].reshape(m, k)
    return W, b, A, theta[k * d + k + m * k:]


def _start(rng: np.random.Generator, X: np.ndarray, k: int, m: int) -> np.ndarray:
    """A random start whose hyperplanes split the data: every other start puts hyperplane j
    through one random data point, the others through d random data points (then shifted a little)."""
    n, d = X.shape
    theta = rng.normal(0.0, 1.0, k * d + k + m * k + m)
    W = theta[:k * d].reshape(k, d)
    through_points = d > 1 and n >= d and rng.random() < 0.5
    for j in range(k):
        chosen = X[rng.choice(n, d if through_points else 1, replace=False)]
        if through_points:  # the normal of the affine hull of the chosen points (if they span one)
            _, values, vt = np.linalg.svd(chosen[1:] - chosen[0])
            if values.size and values[-1] > 1e-9:
                W[j] = vt[-1] * rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.0)
        theta[k * d + j] = -W[j] @ chosen[0] + rng.normal(0.0, 0.1)
    return theta


def _scale(instance: Instance) -> float:
    """The largest absolute coordinate or label (at least 1): residual tolerances are relative to it."""
    return max([1.0] + [abs(float(v)) for x in instance.points for v in x] + [abs(float(v)) for y in instance.labels for v in y])


def float_fits(instance: Instance, rng: np.random.Generator) -> Iterator[tuple[Fit, float]]:
    """One local fit per step from a random start: (W, b, A, c) and its float loss (Σ r², or Σ |r| for
    absolute loss with max_error > 0)."""
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    X = np.array([[float(v) for v in x] for x in instance.points])
    Y = np.array([[float(v) for v in y] for y in instance.labels])
    n = X.shape[0]

    def residuals(theta: np.ndarray) -> np.ndarray:
        W, b, A, c = _unpack(theta, d, k, m)
        return (np.maximum(X @ W.T + b, 0.0) @ A.T + c - Y).ravel()

    def jacobian(theta: np.ndarray) -> np.ndarray:
        """∂r_io/∂W_jt = A_oj·[z_ij > 0]·x_it, ∂/∂b_j = A_oj·[z_ij > 0], ∂/∂A_oj = relu(z_ij), ∂/∂c_o = 1."""
        W, b, A, _ = _unpack(theta, d, k, m)
        z = X @ W.T + b
        on = (z > 0).astype(float)
        J = np.zeros((n, m, theta.size))
        for o in range(m):
            gate = on * A[o]  # n × k
            J[:, o, :k * d] = (gate[:, :, None] * X[:, None, :]).reshape(n, k * d)
            J[:, o, k * d:k * d + k] = gate
            J[:, o, k * d + k + o * k:k * d + k + (o + 1) * k] = np.maximum(z, 0.0)
            J[:, o, k * d + k + m * k + o] = 1.0
        return J.reshape(n * m, theta.size)

    size = k * d + k + m * k + m
    polish = POLISH_BELOW * _scale(instance) ** 2 * n * m
    while True:
        theta = _start(rng, X, k, m)
        ridge = float(rng.choice(RIDGES))
        if ridge:  # first a fit with a small weight penalty, away from degenerate steep pairs of neurons
            theta, _ = levenberg_marquardt(lambda t: np.concatenate([residuals(t), ridge * t]),
                                           lambda t: np.vstack([jacobian(t), ridge * np.eye(size)]), theta, 50 * size)
        theta, r = levenberg_marquardt(residuals, jacobian, theta, 10 * size)
        if r @ r < polish:
            theta, r = levenberg_marquardt(residuals, jacobian, theta, POLISH * size)
        absolute = instance.loss == "absolute" and instance.max_error > 0
        yield _unpack(theta, d, k, m), float(np.abs(r).sum()) if absolute else float(r @ r)


def levenberg_marquardt(fun: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray],
                        x: np.ndarray, max_nfev: int) -> tuple[np.ndarray, np.ndarray]:
    """A local minimum of |fun(x)|² from x: steps h = −(JᵀJ + μ·D)⁻¹Jᵀr, D = diag(JᵀJ) (Marquardt's
    scaling), μ updated from the gain ratio ρ (Nielsen: μ·max(1/3, 1 − (2ρ − 1)³) on success, else
    μ·ν with ν doubling). Returns (x, fun(x)). Plain numpy: no scipy import on the way."""
    r = fun(x)
    cost, nfev, mu, nu = float(r @ r), 1, -1.0, 2.0
    while nfev < max_nfev and cost > 1e-60:
        J = jac(x)
        A, g = J.T @ J, J.T @ r
        D = np.maximum(np.diag(A), 1e-12)
        if mu < 0:
            mu = 1e-3
        if np.abs(g).max() <= 1e-15 * max(1.0, cost):
            break
        while nfev < max_nfev:
            try:
                h = np.linalg.solve(A + mu * np.diag(D), -g)
            except np.linalg.LinAlgError:
                return x, r
            if np.linalg.norm(h) <= 1e-15 * (np.linalg.norm(x) + 1e-15):
                return x, r
            new = x + h
            rn = fun(new)
            nfev += 1
            cost_new = float(rn @ rn)
            gain = float(h @ (mu * D * h - g))
            rho = (cost - cost_new) / gain if gain > 0 else -1.0
            if rho > 0:
                x, r, cost = new, rn, cost_new
                mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
                nu = 2.0
                break
            mu *= nu
            nu *= 2
    return x, r


class Guide:
    """Float fits in slices, alongside the exhaustive search: `run(until)` or `share()` return
    a certified network or None; the guide keeps its random state and tried patterns between calls."""

    def __init__(self, instance: Instance, nonlinear: str = LEAF_BACKEND, seed: int = 0, start: float | None = None):
        self.instance, self.nonlinear = instance, nonlinear
        self.X = np.array([[float(v) for v in x] for x in instance.points])
        self.fits = float_fits(instance, np.random.default_rng(seed))
        scale = _scale(instance)
        # Worth an exact check: a near-zero residual; with γ > 0 a float loss about γ or less, and with one
        # output every new pattern (its exact optimum costs milliseconds, and can be far below the fit's own
        # loss: the fits minimise the squared loss, and stop at local minima).
        self.worth = (float(instance.max_error) * (1 + LOSS_SLACK) if instance.shape.outputs > 1 else np.inf) \
            if instance.max_error else FIT_TOLERANCE * scale ** 2 * instance.n * instance.shape.outputs
        self.tried: set[tuple] = set()
        self.start, self.spent = time.monotonic() if start is None else start, 0.0
        self.granted, self.since = 0.0, self.start + START

    def share(self, weight: float = 1.0) -> Network | None:
        """Run for the guide's share of the time since `start`: none in the first START seconds (easy
        instances end there, without importing numpy), then half of each interval, as two processes
        sharing one core would, times `weight`: the fraction of the exhaustive search's sign choices
        still open, so that the guide yields as the search nears its end (an unsat run with one
        worker then takes 2·ln 2 ≈ 1.4 times its search time, not 2).
        Measured: the hardest planted sat instance of benchmarks/engine.py needs 10–20 s of fits; on
        benchmarks/run.py's suite START = 0.25 s gave a lower PAR-2 than 0.5, 0.5 lower than 1 or 2 s;
        the weight took that instance from 27.0 to 27.5 s and its unsat k − 1 versions from 9.3–14.2 s
        to 7.3–10.4 s, and random two-output instances with one worker from PAR-2 119.4 to 94.2 s."""
        now = time.monotonic()
        if now > self.since:
            self.granted += (now - self.since) / 2 * weight
            self.since = now
        allowed = self.granted - self.spent
        return self.run(Deadline.after(allowed)) if allowed > 0 else None

    def run(self, until: Deadline) -> Network | None:
        """Float fits until `until`; each near-zero fit's pattern solved exactly."""
        began = time.monotonic()
        try:
            while not until.passed():
                fit, value = next(self.fits)
                network = self._exact(*fit, until) if value <= self.worth else None
                if network is not None:
                    return network
            return None
        finally:
            self.spent += time.monotonic() - began

    def _exact(self, W: np.ndarray, b: np.ndarray, A: np.ndarray, c: np.ndarray, until: Deadline) -> Network | None:
        instance, nonlinear = self.instance, self.nonlinear
        k, m = instance.shape.hidden, instance.shape.outputs
        z = self.X @ W.T + b
        active = [[bool(z[i, j] > 0) for i in range(len(self.X))] for j in range(k)]
        norms = [float(np.abs(A[:, j]).max()) or 1.0 for j in range(k)]
        columns = [[Fraction(A[o, j] / norms[j]).limit_denominator(1000) for j in range(k)] for o in range(m)]
        key = (tuple(map(tuple, active)), tuple(map(tuple, columns)))
        if key in self.tried:
            return None
        self.tried.add(key)
        prefixes = tuple(tuple(int(a) for a in row) for row in active)
        signs = tuple(tuple(1 if A[o, j] >= 0 else -1 for o in range(m)) for j in range(k))
        network = None
        if instance.max_error and m == 1:  # the pattern's exact convex optimum (one output)
            found = pattern_optimum(instance, fit_pattern(self.X, W, b, A), until.cap(PATTERN_SECONDS, least=0.1))
            network = found[1] if isinstance(found, tuple) else None
        elif not instance.max_error:
            rows, build = with_columns(Points.of(instance), signs, prefixes, columns)
            point = feasible_point(rows, k * (instance.shape.inputs + 1) + m)
            network = None if point is None else build(point)
        if network is None and m > 1:
            system, decode = fitting_system(Points.of(instance, with_loss=True), signs, tuple(range(instance.n)), prefixes)
            answer = backends.get(nonlinear).check(system, until.cap(5.0, least=0.1))
            network = decode(answer.point) if answer.status == "sat" else None
        if network is not None and certify(instance, network).valid:
            return network
        return None


def guided(instance: Instance, deadline: Deadline, nonlinear: str = LEAF_BACKEND, seed: int = 0) -> Network | None:
    """A certified network found through float fits before `deadline`, or None."""
    return Guide(instance, nonlinear, seed).run(deadline)


def fit_pattern(X: np.ndarray, W: np.ndarray, b: np.ndarray, A: np.ndarray) -> tuple[tuple[int, frozenset[int]], ...]:
    """A one-output fit's activation pattern as optimize.convex takes it: (sign of A[0, j], the
    points where w_j·x + b_j > 0) per neuron."""
    active = X @ W.T + b > 0
    return tuple((1 if A[0, j] >= 0 else -1, frozenset(np.nonzero(active[:, j])[0].tolist())) for j in range(W.shape[0]))


def least_fit(instance: Instance, until: Deadline, seed: int = 0) -> tuple[Fraction, Network] | None:
    """One output: the least exact loss among the activation patterns of float fits made before
    `until`, with its network (each pattern's exact convex optimum, etr_nn.optimize.convex; an upper
    bound on the optimum, attained)."""
    X = np.array([[float(v) for v in x] for x in instance.points])
    fits = float_fits(instance, np.random.default_rng(seed))
    best: tuple[Fraction, Network] | None = None
    tried: set[tuple] = set()
    while not until.passed():
        (W, b, A, _), _ = next(fits)
        pattern = fit_pattern(X, W, b, A)
        if pattern in tried:
            continue
        tried.add(pattern)
        found = pattern_optimum(instance, pattern, until.cap(PATTERN_SECONDS, least=0.1))
        if isinstance(found, tuple) and (best is None or found[0] < best[0]):
            best = found
    return best
