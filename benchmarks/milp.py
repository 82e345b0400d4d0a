"""A MILP peer for one-output absolute-loss instances: big-M, HiGHS through scipy.optimize.milp.

    python -m benchmarks.milp FILE [--cap SECONDS] [--big-m 1000]

With one output every hidden neuron can have output weight s_j ∈ {−1, 1} (positive
homogeneity), so "Σ_i |f(x_i) − y_i| ≤ γ" is a mixed-integer linear program once the weights
are boxed: binaries a_ij (neuron j active at x_i) and s_j; h_ij = relu(w_j·x_i + b_j) by
big-M rows; t_ij = [s_j = 1]·h_ij likewise, so s_j·h_ij = 2·t_ij − h_ij; slacks e_i ≥ |f(x_i) − y_i|.
Prints sat, unsat or unknown. A sat answer is checked exactly (the float weights rounded to
rationals, etr_nn.certify); if the check fails the answer is unknown. An unsat answer holds only
inside the box (|w|, |b|, |c| ≤ M/(1 + max|x|) and h ≤ M) and rests on floating point: it is not
checked, and the benchmark judges it against the exact optimum.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

import numpy as np

from etr_nn.certify import certify
from etr_nn.instance import Instance, load
from etr_nn.network import Network


def decide(instance: Instance, cap: float, big_m: float) -> str:
    from scipy.optimize import Bounds, LinearConstraint, milp

    if instance.shape.outputs != 1 or instance.loss != "absolute" or instance.weights is not None:
        return "unknown"
    d, k, n = instance.shape.inputs, instance.shape.hidden, instance.n
    X = np.array([[float(v) for v in x] for x in instance.points])
    y = np.array([float(v[0]) for v in instance.labels])
    box = big_m / (1 + float(np.abs(X).max()) * d)
    # variables: W (k·d), b (k), c, s (k), a (n·k), h (n·k), t (n·k), e (n)
    W, B, C = 0, k * d, k * d + k
    S, A, H, T, E = C + 1, C + 1 + k, C + 1 + k + n * k, C + 1 + k + 2 * n * k, C + 1 + k + 3 * n * k
    size = E + n
    rows, lower, upper = [], [], []

    def row(entries: dict[int, float], lo: float, hi: float) -> None:
        r = np.zeros(size)
        for v, a in entries.items():
            r[v] += a
        rows.append(r)
        lower.append(lo)
        upper.append(hi)

    for i in range(n):
        for j in range(k):
            pre = {W + j * d + t: X[i, t] for t in range(d)} | {B + j: 1.0}
            a, h, t = A + i * k + j, H + i * k + j, T + i * k + j
            row({h: 1.0} | {v: -c for v, c in pre.items()}, 0.0, np.inf)  # h ≥ w·x + b
            row({h: 1.0, a: big_m} | {v: -c for v, c in pre.items()}, -np.inf, big_m)  # h ≤ w·x + b + M(1 − a)
            row({h: 1.0, a: -big_m}, -np.inf, 0.0)  # h ≤ M·a
            row(pre | {a: -big_m}, -np.inf, 0.0)  # w·x + b ≤ M·a  (inactive ⇒ w·x + b ≤ 0)
            row({t: 1.0, S + j: -big_m}, -np.inf, 0.0)  # t ≤ M·s
            row({t: 1.0, h: -1.0}, -np.inf, 0.0)  # t ≤ h
            row({t: 1.0, h: -1.0, S + j: -big_m}, -big_m, np.inf)  # t ≥ h − M(1 − s)
        f = {C: 1.0} | {T + i * k + j: 2.0 for j in range(k)}
        for j in range(k):
            f[H + i * k + j] = -1.0
        row({E + i: 1.0} | {v: -c for v, c in f.items()}, -y[i], np.inf)  # e ≥ f − y
        row({E + i: 1.0} | f, y[i], np.inf)  # e ≥ y − f
    row({E + i: 1.0 for i in range(n)}, -np.inf, float(instance.max_error))
    lo = np.concatenate([np.full(k * d + k + 1, -box), np.zeros(k + n * k), np.zeros(2 * n * k), np.zeros(n)])
    hi = np.concatenate([np.full(k * d + k + 1, box), np.ones(k + n * k), np.full(2 * n * k, big_m), np.full(n, np.inf)])
    integrality = np.zeros(size)
    integrality[S:H] = 1
    result = milp(np.zeros(size), constraints=LinearConstraint(np.array(rows), lower, upper), integrality=integrality,
                  bounds=Bounds(lo, hi), options={"time_limit": cap, "disp": False})
    if result.status == 2:  # infeasible
        return "unsat"
    if result.x is None:
        return "unknown"
    x = result.x
    q = [Fraction(v).limit_denominator(10 ** 6) for v in x]
    s = [1 if x[S + j] > 0.5 else -1 for j in range(k)]
    network = Network.build([q[W + j * d:W + (j + 1) * d] for j in range(k)], q[B:B + k],
                            [[Fraction(v) for v in s]], [q[C]])
    return "sat" if certify(instance, network).valid else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument("--big-m", type=float, default=1000.0)
    args = parser.parse_args(argv)
    print(decide(load(args.file), args.cap, args.big_m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
