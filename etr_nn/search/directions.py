"""Two or more outputs under a loss bound γ > 0: a full pattern decided by branch and bound on the
directions of the output columns — convex programs only, no polynomial system.

Fix a full pattern (activation sets S_j; closed cells C_j: v·x̃_p ≥ 0 on S_j, ≤ 0 off it, probes
included) and the task's signs σ_j. Its networks are f(x_p) = Σ_j A_j·[p ∈ S_j]·v_j·x̃_p + c with
v_j ∈ C_j and A_j ∈ R^m in the closed orthant σ_j (u_j = A_j ⊗ v_j, fact 4).

Box: each A_j in a simplicial cone K_j = cone(g_j1, …, g_jm) inside its orthant (at the root the
orthant itself, g_ji = σ_ji·e_i). With A_j = Σ_i λ_i·g_ji (λ ≥ 0), A_j ⊗ v_j = Σ_i g_ji ⊗ w_ji where
w_ji = λ_i·v_j ∈ C_j (a cone). So every network of the box has loss at least the least loss of
    f(x_p) = Σ_j Σ_i g_ji·[p ∈ S_j]·w_ji·x̃_p + c,   w_ji ∈ C_j   (the box's relaxation),
a convex program (residuals linear in (w, c)); an exact lower bound above γ (weak duality from
the float minimiser's multipliers, etr_nn.qp) refutes the box. At the root the relaxation is the
search's own per-output system; splitting the cones is what couples the outputs.

Direction: with every A_j on a fixed rational ray R_{≥0}·g_j, A_j ⊗ v_j = g_j ⊗ w_j (w_j = λ·v_j ∈
C_j), so the least loss is again a convex program, and each of its points IS a network (A_j = g_j,
v_j = w_j): one whose exact loss is at most γ is a fit (the search certifies it).

Pins: a neuron active on every data point adds A_j·(v_j·x̃_p) to every label, so shifting its bias
down by s (c up by A_j·s) changes no output and keeps the pattern (active rows stay ≥ 0 until one
reaches 0, inactive rows only fall). Every fit therefore has one where v_j·x̃_q = 0 at some active
row q of that neuron: a branch per q (the "pin", an equation on each w_ji). Without it a large
constant in that neuron, absorbed by c, would keep its relaxation from tightening.

Split: a box whose bound does not exceed γ and whose mid-directions g_j = Σ_i g_ji give no fit is
split: the widest cone of a neuron with labelled active points (largest sin² between two of its
generators, exact), along that edge at g_a + g_b, into two simplicial cones that cover it. Both
answers are exact whenever given: "unsat" when every box is refuted (the boxes cover every
network of the pattern), a fit when a direction yields one. Refuting needs the relaxations to
tighten as the cones shrink, and finding a fit needs a mid-direction inside the set of good ones:
a least loss exactly γ can split forever, so the deadline ends it (None: undecided)."""

from __future__ import annotations

import heapq
from itertools import product
from fractions import Fraction
from typing import Any, Literal, Sequence

from etr_nn.deadline import Deadline
from etr_nn.network import Network
from etr_nn.patterns import Linear, Points, Prefixes, Row, Sign
from etr_nn.search.dichotomies import lifted

Cone = tuple[tuple[Fraction, ...], ...]  # a simplicial cone's generators (m vectors of length m)
Box = tuple[Cone, ...]  # one cone per neuron

FLOAT_MARGIN = 1e-9  # a float loss above γ·(1 + FLOAT_MARGIN) is worth an exact bound; at most that, an exact point


class Directions:
    """The branch and bound above for the full patterns of one instance's points (with a loss bound)."""

    def __init__(self, points: Points):
        assert points.loss is not None
        self.points, (self.kind, self.gamma) = points, points.loss
        self.x = lifted(points.coords)
        self.width = len(self.x[0])

    def decide(self, signs: tuple[Sign, ...], order: tuple[int, ...], prefixes: Prefixes,
               deadline: Deadline) -> Network | Literal["unsat"] | None:
        """A network of the full pattern with loss ≤ γ (exact rationals, to be certified), "unsat" when
        the pattern has none, None when the deadline came first: the boxes of every choice of pins."""
        active = [frozenset(p for p, bit in zip(order, bits) if bit) for bits in prefixes]
        leaf = _Leaf(self, active)
        m = len(signs[0])
        root: Box = tuple(tuple(tuple(Fraction(s if i == o else 0) for o in range(m)) for i, s in enumerate(sign))
                          for sign in signs)
        pinned = [j for j in leaf.used if all(p in active[j] for p in leaf.labelled)]
        for pins in product(*[dict.fromkeys(self.x[p] for p in sorted(active[j])) for j in pinned]):
            leaf.pins = dict(zip(pinned, pins))
            found = self._boxes(leaf, root, deadline)
            if found != "unsat":
                return found
        return "unsat"

    def at(self, order: tuple[int, ...], prefixes: Prefixes,
           columns: Sequence[Sequence[Fraction]]) -> Network | None:
        """A network of the full pattern with output columns A[:, j] on the rays of columns[o][j]
        (rational, A[o][j] indexing) and loss ≤ γ, exactly, or None: one direction test."""
        leaf = _Leaf(self, [frozenset(p for p, bit in zip(order, bits) if bit) for bits in prefixes])
        return leaf.direction(tuple(tuple(Fraction(row[j]) for row in columns) for j in range(len(prefixes))))

    @staticmethod
    def _boxes(leaf: _Leaf, root: Box, deadline: Deadline) -> Network | Literal["unsat"] | None:
        """Best-first over the boxes below `root` (least float relaxation first)."""
        boxes: list[tuple[float, int, Box]] = [(0.0, 0, root)]
        count, kept = 1, False
        while boxes:
            if deadline.passed():
                return None
            _, _, box = heapq.heappop(boxes)
            value = leaf.relaxation(box)
            if value is None:
                continue
            network = leaf.direction(tuple(tuple(sum(g) for g in zip(*cone)) for cone in box))
            if network is not None:
                return network
            halves = _halves(box, leaf.used)
            kept |= not halves  # no neuron to split (none active on a data point): not refuted, not decided here
            for half in halves:
                heapq.heappush(boxes, (value, count, half))
                count += 1
        return None if kept else "unsat"


class _Leaf:
    """One full pattern's convex programs: f(x_p) = Σ_j Σ_i g_ji·[p ∈ S_j]·w_ji·x̃_p + c with every w_ji in
    C_j, for the generators g_ji of a box (m per neuron) or of a direction (one per neuron). Unknowns:
    the w_ji (block by block, neuron-major), then c. The cells' rows depend only on the number of
    blocks (kept); the residuals on the generators: in floating point first, exactly only for the
    programs whose float value calls for an exact bound or point."""

    def __init__(self, owner: Directions, active: list[frozenset[int]]):
        import numpy as np

        self.owner, self.active = owner, active
        points = owner.points
        self.labelled = range(len(points.labels))
        self.used = [j for j, S in enumerate(active) if any(p in S for p in self.labelled)]
        self.m = len(points.labels[0])
        self.X = np.array([[float(a) for a in x] for x in owner.x])
        self.on = np.array([[p in S for p in self.labelled] for S in active], dtype=float)  # k × n
        self.y = np.array([[float(v) for v in y] for y in points.labels])
        self.pins: dict[int, tuple[Fraction, ...]] = {}  # neuron → x̃ of its pin (`Directions.decide`)
        self.rows: dict[tuple[int, tuple[tuple[int, tuple[Fraction, ...]], ...]], list[Row]] = {}

    def cell_rows(self, per_neuron: int) -> list[Row]:
        """w_ji ∈ C_j for every block: w·x̃_p ≥ 0 on S_j, −w·x̃_p ≥ 0 off it (every point, probes too),
        and w·x̃ = 0 at the pinned neuron's pin."""
        key = (per_neuron, tuple(sorted(self.pins.items())))
        if key not in self.rows:
            width = self.owner.width
            self.rows[key] = [
                Row(coeffs, ">=", Fraction(0))
                for b in range(len(self.active) * per_neuron) for p, x in enumerate(self.owner.x)
                if (coeffs := tuple((b * width + t, (1 if p in self.active[b // per_neuron] else -1) * a)
                                    for t, a in enumerate(x) if a))]
            self.rows[key] += [Row(tuple((b * width + t, a) for t, a in enumerate(pin) if a), "=", Fraction(0))
                               for j, pin in self.pins.items() for b in range(j * per_neuron, (j + 1) * per_neuron)]
        return self.rows[key]

    def _float(self, generators: Sequence[Cone]) -> tuple[Any, Any, list[Row], int]:
        """The residual matrix M and constants r0 (r = M·z + r0, row (p, o) at p·m + o) in floating point,
        the rows, the size."""
        import numpy as np

        m = self.m
        G = np.array([[[float(a) for a in g] for g in cone] for cone in generators])  # k × per_neuron × m
        n = len(self.labelled)
        blocks = np.einsum("jio,jp,pt->pojit", G, self.on, self.X[:n]).reshape(n * m, -1)
        M = np.hstack([blocks, np.tile(np.eye(m), (n, 1))])
        return M, -self.y.reshape(-1), self.cell_rows(len(generators[0])), M.shape[1]

    def _exact(self, generators: Sequence[Cone]) -> list[Linear]:
        """The residuals exactly, in the order of `_float`."""
        per_neuron, width, m = len(generators[0]), self.owner.width, self.m
        size = len(generators) * per_neuron * width
        residuals = []
        for p in self.labelled:
            x = self.owner.x[p]
            for o in range(m):
                coeffs = [((j * per_neuron + i) * width + t, g[o] * a)
                          for j, cone in enumerate(generators) if p in self.active[j]
                          for i, g in enumerate(cone) if g[o] for t, a in enumerate(x) if a]
                residuals.append(Linear(tuple(coeffs) + ((size + o, Fraction(1)),), -self.owner.points.labels[p][o]))
        return residuals

    def relaxation(self, box: Box) -> float | None:
        """The float least loss of the box's relaxation (a value at most γ, or one that no exact bound
        confirmed above γ: the box stays), or None when an exact lower bound exceeds γ."""
        from etr_nn import qp

        kind, gamma = self.owner.kind, self.owner.gamma
        M, r0, rows, size = self._float(box)
        guess = qp.float_least_dense(kind, M, r0, rows, size)
        if guess is None:  # HiGHS stalled (the relaxation is never empty: w = 0 is a point of it)
            return 0.0
        if guess.value <= float(gamma) * (1 + FLOAT_MARGIN):
            return guess.value
        bound = (qp.absolute_bound if kind == "absolute" else qp.squared_bound)(rows, self._exact(box), size, guess)
        return None if bound is not None and bound > gamma else guess.value

    def direction(self, directions: tuple[tuple[Fraction, ...], ...]) -> Network | None:
        """A network with A_j = directions[j] and loss ≤ γ, exactly, or None."""
        from etr_nn import qp

        kind, gamma = self.owner.kind, self.owner.gamma
        generators = [(g,) for g in directions]
        M, r0, rows, size = self._float(generators)
        guess = qp.float_least_dense(kind, M, r0, rows, size)
        if guess is None or guess.value > float(gamma) * (1 + FLOAT_MARGIN):
            return None
        z = _within(kind, gamma, rows, self._exact(generators), size)
        if z is None:
            return None
        width, d = self.owner.width, self.owner.width - 1
        blocks = [z[j * width:(j + 1) * width] for j in range(len(directions))]
        return Network.build([w[:d] for w in blocks], [w[d] for w in blocks],
                             [[g[o] for g in directions] for o in range(self.m)], z[size - self.m:])


def _within(kind: str, gamma: Fraction, rows: list[Row], residuals: list[Linear], size: int) -> list[Fraction] | None:
    """An exact point of the rows with loss ≤ γ, or None: absolute loss by the exact simplex on the
    rows, e_p ≥ ±r_p and Σ e_p ≤ γ; squared loss at the exact minimiser (etr_nn.qp, a KKT point)."""
    from etr_nn import qp
    from etr_nn.lp import feasible_point

    if kind == "squared":
        found = qp.least_squares(rows, residuals, size)
        return found.z if found is not None and found.value <= gamma else None
    n = len(residuals)
    bounds = [Row(tuple((v, sign * a) for v, a in r.coeffs) + ((size + p, Fraction(1)),), ">=", -sign * r.const)
              for p, r in enumerate(residuals) for sign in (1, -1)]  # e_p ± r_p ≥ 0, r_p = Σ a·z + const
    budget = Row(tuple((size + p, Fraction(-1)) for p in range(n)), ">=", -gamma)
    point = feasible_point([*rows, *bounds, budget], size + n)
    return None if point is None else point[:size]


def _halves(box: Box, used: list[int]) -> list[Box]:
    """The box split at its widest cone (module docstring); no split (empty) when no used neuron's
    cone has two independent generators."""
    best, widest = None, Fraction(0)
    for j in used:
        cone = box[j]
        for a in range(len(cone)):
            for b in range(a + 1, len(cone)):
                wide = _sin2(cone[a], cone[b])
                if wide > widest:
                    best, widest = (j, a, b), wide
    if best is None:
        return []
    j, a, b = best
    middle = tuple(u + v for u, v in zip(box[j][a], box[j][b]))
    return [box[:j] + (tuple(middle if i == replaced else g for i, g in enumerate(box[j])),) + box[j + 1:]
            for replaced in (a, b)]


def _sin2(u: Sequence[Fraction], v: Sequence[Fraction]) -> Fraction:
    """sin² of the angle between u and v (0 when either is 0), exactly: 1 − (u·v)²/(|u|²|v|²)."""
    uu, vv, uv = sum(a * a for a in u), sum(b * b for b in v), sum(a * b for a, b in zip(u, v))
    return Fraction(0) if not uu or not vv else 1 - uv * uv / (uu * vv)
