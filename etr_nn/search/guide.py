"""Float guidance for the search: local fits propose activation patterns, exact checks decide.

Levenberg–Marquardt (scipy.optimize.least_squares) fits the network in floating point from
random starts. A fit with near-zero residual proposes one activation pattern (S_j: the
points where w_j·x + b_j > 0, ties either way since the pattern constraints are closed)
and the direction of every output column. That one pattern is then solved exactly:
- with the columns fixed to rationals read off the float fit (normalised to max-norm 1,
  fact 1), fitting is linear in (w_j, b_j, c): an exact LP (Z3 simplex over Q);
- if that fails (an irrational or badly rounded column), the pattern's rank-one system
  goes to the nonlinear backend, as at a leaf of the search.
Floats never decide anything: a proposal only matters through a network that
`etr_nn.certify` accepts, and a failed proposal is discarded (unsat answers always come
from the exhaustive search).
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import z3

from etr_nn import backends
from etr_nn.certify import certify
from etr_nn.exact import from_z3
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.search.engine import rank_one_system
from etr_nn.search.lp import rational

FIT_TOLERANCE = 1e-18  # mean squared residual of a float fit worth an exact check


def _unpack(theta: np.ndarray, d: int, k: int, m: int) -> tuple[np.ndarray, ...]:
    W = theta[:k * d].reshape(k, d)
    b = theta[k * d:k * d + k]
    A = theta[k * d + k:k * d + k + m * k].reshape(m, k)
    return W, b, A, theta[k * d + k + m * k:]


def float_fits(instance: Instance, rng: np.random.Generator, deadline: float):
    """Yield (W, b, A, c) float fits with near-zero residual, from random starts, until the deadline."""
    from scipy.optimize import least_squares  # only two-output searches pay for importing it

    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    X = np.array([[float(v) for v in x] for x in instance.points])
    Y = np.array([[float(v) for v in y] for y in instance.labels])
    scale = max(1.0, float(np.abs(X).max()), float(np.abs(Y).max()))

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
    method = "lm" if X.shape[0] * m >= size else "trf"
    while time.time() < deadline:
        # Each hidden hyperplane starts through a random data point, so that it splits the data.
        theta = rng.normal(0.0, 1.0, size)
        W = theta[:k * d].reshape(k, d)
        theta[k * d:k * d + k] = -np.einsum("jt,jt->j", W, X[rng.integers(0, len(X), k)]) + rng.normal(0, 0.1, k)
        try:
            fit = least_squares(residuals, theta, jac=jacobian, method=method, xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=100 * size)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.mean(fit.fun ** 2) < FIT_TOLERANCE * scale ** 2:
            yield _unpack(fit.x, d, k, m)


def _exact_with_columns(instance: Instance, active: list[list[bool]], A: list[list[Fraction]]) -> Network | None:
    """Fix the output columns; the pattern's fitting problem is then an LP in (w, b, c)."""
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    v = [[z3.Real(f"v{j}_{t}") for t in range(d + 1)] for j in range(k)]
    c = [z3.Real(f"c{o}") for o in range(m)]
    solver = z3.SolverFor("QF_LRA")
    for i, (x, y) in enumerate(zip(instance.points, instance.labels)):
        z = [z3.Sum(*[rational(x[t]) * v[j][t] for t in range(d)], v[j][d]) for j in range(k)]
        solver.add(*[z[j] >= 0 if active[j][i] else z[j] <= 0 for j in range(k)])
        for o in range(m):
            terms = [rational(A[o][j]) * z[j] for j in range(k) if active[j][i] and A[o][j]]
            solver.add(z3.Sum(*terms, c[o]) == rational(y[o]))
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    value = lambda e: from_z3(model.eval(e, model_completion=True))  # noqa: E731
    return Network.build([[value(v[j][t]) for t in range(d)] for j in range(k)], [value(v[j][d]) for j in range(k)],
                         A, [value(e) for e in c])


def guided(instance: Instance, deadline: float, nonlinear: str = "z3", seed: int = 0) -> Network | None:
    """A certified network found through float fits before `deadline`, or None."""
    k, m = instance.shape.hidden, instance.shape.outputs
    X = np.array([[float(v) for v in x] for x in instance.points])
    tried: set[tuple] = set()
    for W, b, A, _ in float_fits(instance, np.random.default_rng(seed), deadline):
        z = X @ W.T + b
        active = [[bool(z[i, j] > 0) for i in range(len(X))] for j in range(k)]
        norms = [float(np.abs(A[:, j]).max()) or 1.0 for j in range(k)]
        columns = [[Fraction(A[o, j] / norms[j]).limit_denominator(1000) for j in range(k)] for o in range(m)]
        key = (tuple(map(tuple, active)), tuple(map(tuple, columns)))
        if key in tried:
            continue
        tried.add(key)
        network = _exact_with_columns(instance, active, columns)
        if network is None and m > 1:
            signs = tuple(tuple(1 if A[o, j] >= 0 else -1 for o in range(m)) for j in range(k))
            system, decode = rank_one_system(instance, signs, tuple(range(instance.n)),
                                             tuple(tuple(int(a) for a in row) for row in active))
            answer = backends.get(nonlinear).check(system, max(0.1, min(5.0, deadline - time.time())))
            network = decode(answer.point) if answer.status == "sat" else None
        if network is not None and certify(instance, network).valid:
            return network
    return None
