"""Vectorised float least squares for the guides: Levenberg–Marquardt on many fits at once, and
variable projection for two-layer ReLU networks (the output layer solved, the hidden layer fitted)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from etr_nn.exact.rational import to_float
from etr_nn.instance import Instance

Fit = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # W, b, A, c
Projection = tuple[np.ndarray, np.ndarray, np.ndarray]  # VariableProjection: z, U, Φ⁺Y per fit


def arrays(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """The points and labels as float matrices (n × d, n × m; ±inf past the float range: they only guide)."""
    return (np.array([[to_float(v) for v in x] for x in instance.points]),
            np.array([[to_float(v) for v in y] for y in instance.labels]))


class VariableProjection:
    """Least squares over the hidden layer alone (Golub–Pereyra): the output layer is linear given
    θ = (W, b), so a fit minimises |P⊥(θ)·Y|², P⊥ the projection onto the complement of the columns of
    Φ(θ) = [relu(XWᵀ + b), 1] (with `affine`: [relu(XWᵀ + b), X, 1], a free affine term), whose
    coefficients are Φ⁺Y, with Kaufman's Jacobian P⊥·(∂Φ/∂θ)·Φ⁺Y. With `fixed_normals` the columns
    for W are zero: only the offsets b move. θ is a matrix of fits × k(d + 1), neuron by neuron."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, k: int, affine: bool = False, fixed_normals: bool = False):
        self.X, self.Y, self.k, self.fixed_normals = X, Y, k, fixed_normals
        n = X.shape[0]
        self.lifted = np.hstack([X, np.ones((n, 1))])  # the rows (x_i, 1)
        self.base = self.lifted if affine else np.ones((n, 1))

    def residuals(self, theta: np.ndarray) -> tuple[np.ndarray, Projection]:
        """Per fit: the residuals ΦΦ⁺Y − Y, output by output, and what `jacobian` needs: z = XWᵀ + b, an
        orthonormal basis U of the span of Φ's columns (singular values below 1e-10 of the largest
        dropped) and Φ⁺Y. A fit whose Φ is not finite or huge gets residuals 1e100 (LM rejects that step)."""
        B, d, k = theta.shape[0], self.X.shape[1], self.k
        z = self.lifted @ theta.reshape(B, k, d + 1).transpose(0, 2, 1)
        phi = np.concatenate([np.maximum(z, 0.0), np.broadcast_to(self.base, (B, *self.base.shape))], axis=2)
        bad = ~np.isfinite(phi).all(axis=(1, 2)) | (np.abs(phi).max(axis=(1, 2)) > 1e100)
        phi[bad] = 0.0
        U, sigma, Vt = np.linalg.svd(phi, full_matrices=False)
        keep = sigma > 1e-10 * sigma[:, :1]
        U = U * keep[:, None, :]
        UtY = U.transpose(0, 2, 1) @ self.Y
        coefficients = (Vt.transpose(0, 2, 1) * np.where(keep, 1.0 / np.where(keep, sigma, 1.0), 0.0)[:, None, :]) @ UtY
        R = U @ UtY - self.Y
        R[bad] = 1e100
        return R.transpose(0, 2, 1).reshape(B, -1), (z, U, coefficients)

    def jacobian(self, theta: np.ndarray, projection: Projection) -> np.ndarray:
        """Kaufman: column (j, t) of output o is P⊥ applied to ∂h_j/∂θ_jt · (Φ⁺Y)_jo, where
        ∂relu(z_ij)/∂w_jt = [z_ij > 0]·x_it and ∂/∂b_j = [z_ij > 0]."""
        z, U, coefficients = projection
        B, (n, d), k, m = theta.shape[0], self.X.shape, self.k, self.Y.shape[1]
        lifted = self.lifted[:, d:] if self.fixed_normals else self.lifted  # the offsets' columns alone, or all
        free = lifted.shape[1]
        gate = (z > 0).astype(float)[:, :, :, None] * lifted[None, :, None, :]  # B × n × k × free
        J = np.stack([gate * coefficients[:, None, :k, o, None] for o in range(m)], axis=1).reshape(B, m, n, k * free)
        J -= U[:, None] @ (U.transpose(0, 2, 1)[:, None] @ J)
        if self.fixed_normals:  # zero columns for the normals
            J = np.concatenate([np.zeros((B, m, n, k, d)), J.reshape(B, m, n, k, 1)], axis=4)
        return J.reshape(B, m * n, k * (d + 1))

    def fit(self, theta: np.ndarray) -> tuple[Fit, np.ndarray]:
        """The network (W, b, A, c) of one hidden layer θ (a vector), output layer Φ⁺Y, and the affine
        term's slopes (m × d; none without `affine`), which the network leaves out."""
        k, d = self.k, self.X.shape[1]
        coefficients = self.residuals(theta[None])[1][2][0]
        planes = theta.reshape(k, d + 1)
        slopes = coefficients[k:-1].T
        return (planes[:, :d].copy(), planes[:, d].copy(), coefficients[:k].T, coefficients[-1]), slopes


class LevenbergMarquardt:
    """Levenberg–Marquardt on many fits at once, one vectorised step for all: fit i minimises
    |fun(x_i)|² + ρ_i²·|x_i|² (ρ_i: its weight penalty) by steps h = −(JᵀJ + ρ²I + μ·D)⁻¹(Jᵀr + ρ²x),
    D = diag(JᵀJ + ρ²I) (Marquardt's scaling), μ updated from the gain ratio (Nielsen: μ·max(1/3,
    1 − (2ρ − 1)³) on success, else μ·ν with ν doubling), until its budget of evaluations is spent or
    it converges (`ended`); `restart` gives a fit a new penalty and budget from where it is (or from
    a new start written to x). fun and jac evaluate the rows of a matrix: fun(x) gives the residuals
    and what jac(x, that) needs at the same rows (a tuple of arrays, one entry per row: a step's trial
    residuals serve again for the Jacobian where the step is taken). Plain numpy."""

    def __init__(self, fun: Callable[[np.ndarray], tuple[np.ndarray, Any]],
                 jac: Callable[[np.ndarray, Any], np.ndarray], x: np.ndarray):
        self.fun, self.jac, self.x = fun, jac, x
        B, size = x.shape
        self.ridge, self.mu, self.nu = np.zeros(B), np.zeros(B), np.zeros(B)
        self.budget, self.nfev, self.done = np.zeros(B, dtype=int), np.zeros(B, dtype=int), np.zeros(B, dtype=bool)
        self.r = fun(x)[0]
        self.cost = np.zeros(B)
        self.A, self.g = np.zeros((B, size, size)), np.zeros((B, size))
        self.eye = np.eye(size)

    def restart(self, rows: list[int], ridge: np.ndarray, budget: int) -> None:
        self.ridge[rows], self.budget[rows], self.nfev[rows] = ridge, budget, 1
        self.mu[rows], self.nu[rows], self.done[rows] = 1e-3, 2.0, False
        self._evaluate(np.asarray(rows))

    def _objective(self, r: np.ndarray, x: np.ndarray, ridge: np.ndarray) -> np.ndarray:
        return (r * r).sum(axis=1) + ridge ** 2 * (x * x).sum(axis=1)

    def _evaluate(self, rows: np.ndarray, evaluated: tuple[np.ndarray, Any] | None = None) -> None:
        """r, the objective, JᵀJ + ρ²I and Jᵀr + ρ²x at the rows' current points (`evaluated`: fun's
        value there, when the step already has it)."""
        x, ridge2 = self.x[rows], self.ridge[rows] ** 2
        r, extra = self.fun(x) if evaluated is None else evaluated
        self.r[rows] = r
        self.cost[rows] = self._objective(r, x, self.ridge[rows])
        J = self.jac(x, extra)
        Jt = J.transpose(0, 2, 1)
        self.A[rows] = Jt @ J + ridge2[:, None, None] * self.eye
        self.g[rows] = (Jt @ r[:, :, None])[:, :, 0] + ridge2[:, None] * x
        cost = self.cost[rows]
        self.done[rows] |= (self.nfev[rows] >= self.budget[rows]) | (cost <= 1e-60) | (
            np.abs(self.g[rows]).max(axis=1) <= 1e-15 * np.maximum(1.0, cost))

    def ended(self) -> list[int]:
        return np.nonzero(self.done)[0].tolist()

    def step(self) -> None:
        """One trial step for every fit still going."""
        i = np.nonzero(~self.done)[0]
        if not i.size:
            return
        A, g, x, mu = self.A[i], self.g[i], self.x[i], self.mu[i]
        D = np.maximum(np.diagonal(A, axis1=1, axis2=2), 1e-12)
        system = A + mu[:, None, None] * (D[:, :, None] * self.eye)
        try:
            h = np.linalg.solve(system, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular system ends its fit; the others go on
            h = np.zeros_like(g)
            for a, row in enumerate(i):
                try:
                    h[a] = np.linalg.solve(system[a], -g[a])
                except np.linalg.LinAlgError:
                    self.done[row] = True
        tiny = np.linalg.norm(h, axis=1) <= 1e-15 * (np.linalg.norm(x, axis=1) + 1e-15)
        new = x + h
        rn, extra = self.fun(new)
        cost_new = self._objective(rn, new, self.ridge[i])
        self.nfev[i] += 1
        gain = (h * (mu[:, None] * D * h - g)).sum(axis=1)
        rho = np.where(gain > 0, (self.cost[i] - cost_new) / np.where(gain > 0, gain, 1.0), -1.0)
        ok = (rho > 0) & ~tiny
        took, rest = i[ok], i[~ok]
        self.done[i[tiny]] = True
        if took.size:
            self.x[took] = new[ok]
            self.mu[took] *= np.maximum(1 / 3, 1 - (2 * rho[ok] - 1) ** 3)
            self.nu[took] = 2.0
            self._evaluate(took, (rn[ok], None if extra is None else tuple(part[ok] for part in extra)))
        self.mu[rest] *= self.nu[rest]
        self.nu[rest] *= 2
        self.done[rest] |= self.nfev[rest] >= self.budget[rest]
