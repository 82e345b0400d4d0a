"""Exact optimum with two or more outputs (squared loss), piece by piece.

On every piece of `etr_nn.optimize.hidden` the loss is g = N/D on {D > 0} ∩ cell. The
optimum L* and its proof:

1. Guess: local minimisation of g in floating point on every piece (SLSQP on the cell).
2. Exact point: at a local minimiser on a face F of the cell (the constraints active there),
   D·∇N − N·∇D = 0 along F — solved by elimination next to the float point, in one number
   field Q(α) (`etr_nn.optimize.critical`; nlsat on the Lagrange system N − t·D = 0,
   ∇N − t·∇D = Σ μ_a ∇ℓ_a, ℓ_a = 0 for faces of dimension > 2). The network there
   (least-squares output layer, exact) is certified: its loss L is an upper bound, attained.
3. Proof: for every piece, "N − L'·D < 0 ∧ D > 0 ∧ cell ∧ outside the boxes" is refuted by
   nlsat, a complete decision procedure for real arithmetic; L' = L when rational, else a
   simple rational just above L, and each *box* around an exact critical point θ* carries a
   proof that N/D ≥ N/D(θ*) ≥ L on it (convexity and KKT, `critical.local_minimum`). A model
   below L is a better network: minimise again from it. Since the pieces cover every network
   (hidden.py), the refutations prove that no network has loss < L, and the certified network
   attains L.
4. Where step 2 fails (e.g. the infimum is approached where D → 0 or at infinity): the least
   directional limit at a rank drop next to the float point (`Region.limit`), else the CAD
   projects the piece's graph onto t (`etr_nn.cad.project`): exact infimum, and whether it
   is attained; the global infimum may then be "not attained".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from fractions import Fraction

import flint
import numpy as np

from etr_nn.progress import Progress
from etr_nn.deadline import Deadline
from etr_nn.backends.z3_backend import Z3Backend
from etr_nn.cad import cells, project
from etr_nn.cad.lifting import between
from etr_nn.cad.projection import Timeout
from etr_nn.certify import loss
from etr_nn.exact import Number, RealAlgebraic, real_roots, to_fmpq
from etr_nn.instance import Instance
from etr_nn.network import Network
from etr_nn.optimize import Optimum
from etr_nn.optimize.critical import Box, critical_point, local_minimum, parametrise
from etr_nn.optimize.hidden import LOSS, Piece, pieces
from etr_nn.poly import And, Atom, Formula, System, evaluate, rebase

ACTIVE = 1e-7  # a cell inequality this close to 0 at the float minimiser is taken as active
NEAR_VERTEX = 0.05  # vertices this close (relative) to a float minimiser are tried as rank drops
STARTS = 6


def constant_loss(instance: Instance) -> Fraction:
    """Width 0: c_o = mean label, loss Σ_o Σ_i (y_io − mean_o)²."""
    total = Fraction(0)
    for mean, o in zip(means(instance), range(instance.shape.outputs)):
        total += sum(((y[o] - mean) ** 2 for y in instance.labels), Fraction(0))
    return total


def means(instance: Instance) -> list[Fraction]:
    return [sum((y[o] for y in instance.labels), Fraction(0)) / instance.n for o in range(instance.shape.outputs)]


def constant_network(instance: Instance) -> Network:
    d, k, m = instance.shape.inputs, instance.shape.hidden, instance.shape.outputs
    zero = Fraction(0)
    return Network.build([[zero] * d] * k, [zero] * k, [[zero] * k] * m, means(instance))


@dataclass
class Region:
    """A piece with its loss N/D, cell, and float data; `point` the float minimiser."""

    piece: Piece
    ctx: flint.fmpq_mpoly_ctx
    numerator: flint.fmpq_mpoly
    denominator: flint.fmpq_mpoly
    cell: list[Atom]
    columns: np.ndarray  # (k + 1, n, r + 1): h_j = columns[j] @ (θ, 1)
    rows: np.ndarray  # (#cell, r + 1): rows @ (θ, 1) ≥ 0 on the cell
    labels: np.ndarray
    point: np.ndarray | None = None
    value: float = np.inf
    boxes: list[Box] = field(default_factory=list)  # N/D ≥ the best loss proved on each (∩ cell)

    @staticmethod
    def of(piece: Piece, labels: np.ndarray) -> Region | None:
        ctx = piece.context((LOSS,))
        numerator, denominator = piece.loss(ctx)
        if denominator.is_zero():
            return None
        r = len(piece.names)
        cell = piece.cell(ctx)
        rows = np.array([_linear(a.poly, r) * (1 if a.rel == ">=" else -1) for a in cell]).reshape(-1, r + 1)
        columns = np.array([[_linear(e, r) for e in col] for col in piece.columns(ctx)])
        return Region(piece, ctx, numerator, denominator, cell, columns, rows, labels)

    def g(self, theta: np.ndarray) -> float:
        """The least-squares loss at θ, in floating point."""
        H = self.columns @ np.append(theta, 1.0)
        H = H.T
        coef, *_ = np.linalg.lstsq(H, self.labels, rcond=None)
        return float(((H @ coef - self.labels) ** 2).sum())

    def minimise(self, rng: np.random.Generator, starts: list[np.ndarray]) -> np.ndarray | None:
        """Local minima of g on the cell (SLSQP) from the given starts, then random ones; keeps
        the least in `point`, returns the one reached from the given starts (if any)."""
        from scipy.optimize import minimize

        r = self.rows.shape[1] - 1
        constraint = {"type": "ineq", "fun": lambda th: self.rows @ np.append(th, 1.0),
                      "jac": lambda th: self.rows[:, :r]}
        scale = 1.0 + float(np.abs(self.rows).max())
        reached: tuple[float, np.ndarray] | None = None
        for i, start in enumerate(starts + [rng.normal(scale=scale, size=r) for _ in range(STARTS)]):
            result = minimize(self.g, start, method="SLSQP", constraints=[constraint] if len(self.rows) else [])
            if not np.all(self.rows @ np.append(result.x, 1.0) >= -1e-9):
                continue
            if i < len(starts) and (reached is None or result.fun < reached[0]):
                reached = float(result.fun), result.x
            if result.fun < self.value:
                self.point, self.value = result.x, float(result.fun)
        return None if reached is None else reached[1]

    def descend(self, rng: np.random.Generator, point: dict[str, Number]) -> np.ndarray:
        """The float local minimiser reached from a point of the cell (the point if none)."""
        start = np.array([float(point[n]) for n in self.piece.names])
        near = self.minimise(rng, [start])
        return start if near is None else near

    def system(self, *atoms: Formula) -> System:
        return System(self.ctx, And((*atoms, Atom(self.denominator, ">"), *self.cell)))

    def below(self, value: Number, timeout: float | None, exact: bool = False) -> tuple[str, dict[str, Number] | None]:
        """Is there θ on the cell, outside the boxes, with D > 0 and N/D < bound? (nlsat, exact)
        The bound is `value` itself if rational or `exact`; else the simplest rational in
        (value, value + w): nlsat is far faster with small rational coefficients, and the
        boxes, where N/D ≥ value is proved, hold the points with loss in [value, bound) next to
        an attained minimum (N/D − value grows like ρ² at distance ρ from a box's critical point,
        so w = min(10^-12, ρ³) over the boxes' radii). Unsat then proves N/D ≥ value outside
        the boxes; a model may have a loss in [value, bound) (see `loss_at`)."""
        t = self.ctx.gens()[-1]
        width = min([Fraction(1, 10 ** 12)] + [box.radius ** 3 for box in self.boxes])
        bound = value if exact or isinstance(value, Fraction) else between(value, value + width)
        answer = Z3Backend().check(self.system(Atom(self.numerator - t * self.denominator, "<"), *pin(t, bound),
                                               *[box.outside(self.ctx) for box in self.boxes]), timeout)
        return answer.status, answer.point

    def loss_at(self, point: dict[str, Number]) -> Number:
        """N/D at a point of the chart, exactly."""
        values = [point[name] for name in self.piece.names] + [Fraction(0)]
        return evaluate(self.numerator, values) / evaluate(self.denominator, values)

    def active(self, point: np.ndarray) -> list[Atom]:
        """The cell's constraints active at a float point."""
        return [a for a, row in zip(self.cell, self.rows) if abs(row @ np.append(point, 1.0)) <= ACTIVE]

    def critical_point(self, near: np.ndarray, timeout: float | None) -> dict[str, Number] | None:
        """An exact critical point of N/D on the face active at the float minimiser `near`: by
        elimination in one number field (`etr_nn.optimize.critical`, faces of dimension ≤ 2),
        else by nlsat on the Lagrange conditions in a small box around the float point."""
        active = self.active(near)
        found = critical_point(self.numerator, self.denominator, [a.poly for a in active], self.piece.names,
                               [float(x) for x in near])
        return found if found is not None else self._lagrange(near, active, timeout)

    def exclude(self, point: dict[str, Number], value: Number, near: np.ndarray) -> bool:
        """Add a box around the critical point on which N/D ≥ value is proved
        (`etr_nn.optimize.critical.local_minimum`); False if it is not proved or adds nothing."""
        if self.loss_at(point) < value:
            return False
        rows = [a.poly if a.rel == ">=" else -a.poly for a in self.active(near)]
        box = local_minimum(self.numerator, self.denominator, rows, self.piece.names,
                            [point[name] for name in self.piece.names])
        if box is None or box in self.boxes:
            return False
        self.boxes.append(box)
        return True

    def _lagrange(self, near: np.ndarray, active: list[Atom], timeout: float | None) -> dict[str, Number] | None:
        """N − t·D = 0, ∇N − t·∇D = Σ μ_a ∇ℓ_a, ℓ_a = 0 for the active a, in a box around
        the float minimiser (nlsat)."""
        r = len(self.piece.names)
        names = self.piece.names + (LOSS,) + tuple(f"mu{i}" for i in range(len(active)))
        ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
        gens = ctx.gens()
        t, mus = gens[r], gens[r + 1:]
        N, D = rebase(self.numerator, ctx), rebase(self.denominator, ctx)
        faces = [rebase(a.poly, ctx) for a in active]
        equations = [N - t * D] + [N.derivative(i) - t * D.derivative(i) - sum((mu * f.derivative(i) for mu, f in
                                                                               zip(mus, faces)), ctx.from_dict({}))
                                   for i in range(r)] + faces
        box = []
        for i, x in enumerate(list(near) + [self.g(near)]):
            width = 1e-4 * (1.0 + abs(x))
            box += [Atom(gens[i] - _rational(x - width), ">="), Atom(gens[i] - _rational(x + width), "<=")]
        system = System(ctx, And((*[Atom(e, "=") for e in equations], Atom(D, ">"), *box,
                                  *[rebase(a, ctx) for a in self.cell])))
        answer = Z3Backend().check(system, timeout)
        if answer.status != "sat":
            return None
        return {name: answer.point[name] for name in self.piece.names}  # type: ignore[index]

    def limit(self, near: np.ndarray) -> Number | None:
        """The least directional limit of N/D at a common zero θ0 of N and D next to the float
        points `near` and `point` (two chart coordinates): with θ = θ0 + s·δ, N = s^p·N_p(δ) + …,
        D = s^q·D_q(δ) + …, the limit along δ is N_q(δ)/D_q(δ) (0 if p > q), for δ in the cell's
        tangent cone at θ0, in the charts δ = (±1, σ), (σ, ±1). Each limit is approached inside
        the piece, so the least one bounds the infimum from above; the refutations then prove or
        improve it. Candidates θ0: the float points rounded, and the cell's vertices near them
        (where a float descent towards a rank drop stalls)."""
        if len(self.piece.names) != 2:
            return None
        best: Number | None = None
        for at in self._zeros([near] + ([self.point] if self.point is not None else [])):
            for value in self._limits(at):
                if best is None or value < best:
                    best = value
        return best

    def _zeros(self, floats: list[np.ndarray]) -> list[list[Fraction]]:
        """Common zeros of N and D among the rounded float points and nearby vertices."""
        candidates = [[Fraction(float(x)).limit_denominator(1000) for x in near] for near in floats]
        for first, second in combinations(self.cell, 2):
            face = parametrise([first.poly, second.poly], self.piece.names)
            if face is not None and not face[1]:  # the two rows meet in one point
                vertex = [coordinate.constant for coordinate in face[0]]
                if any(max(abs(float(v) - x) for v, x in zip(vertex, near)) <= NEAR_VERTEX * (1 + max(abs(near)))
                       for near in floats):
                    candidates.append(vertex)
        out = []
        for at in candidates:
            values = at + [Fraction(0)]
            if at not in out and evaluate(self.denominator, values) == 0 and evaluate(self.numerator, values) == 0:
                out.append(at)
        return out

    def _limits(self, at: list[Fraction]) -> list[Number]:
        line = flint.fmpq_mpoly_ctx.get(("s", "sigma"), "lex")
        step, sigma = line.gens()
        out: list[Number] = []
        for delta in [(line.constant(1), sigma), (line.constant(-1), sigma), (sigma, line.constant(1)),
                      (sigma, line.constant(-1))]:
            args = [line.constant(to_fmpq(x)) + step * e for x, e in zip(at, delta)] + [line.from_dict({})]
            numerator, denominator = _lowest(self.numerator.compose(*args)), _lowest(self.denominator.compose(*args))
            if denominator is None or (numerator is not None and numerator[0] < denominator[0]):
                continue
            top = numerator[1] if numerator is not None and numerator[0] == denominator[0] else flint.fmpq_poly([])
            cone = _cone([(_lowest(a.poly.compose(*args)), a.rel) for a in self.cell
                          if evaluate(a.poly, at + [Fraction(0)]) == 0])
            if cone is not None:
                out += _candidates(top, denominator[1], *cone)
        return out

    def infimum(self, timeout: float | None) -> tuple[Number, bool] | None:
        """The piece's exact infimum and whether it is attained (CAD projection onto t)."""
        system = self.piece.loss_system()
        assert system is not None
        intervals = project(system, LOSS, timeout)
        return (intervals[0].lo, intervals[0].lo_closed) if intervals else None  # type: ignore[return-value]


def optimize(instance: Instance, deadline: Deadline, shown: bool = False) -> Optimum:
    labels = np.array([[float(v) for v in y] for y in instance.labels])
    regions = [region for width in range(1, instance.shape.hidden + 1) for piece in pieces(instance, width)
               if (region := Region.of(piece, labels)) is not None]
    with Progress("optimize: pieces refuted below the best loss", len(regions), shown) as bar:
        return _least(instance, regions, deadline, bar)


def _least(instance: Instance, regions: list[Region], deadline: Deadline, bar: Progress) -> Optimum:
    best = _Best(constant_loss(instance), constant_network(instance), "the constant network")
    rng = np.random.default_rng(0)
    try:
        for region in regions:
            remaining(deadline)
            region.minimise(rng, [])
        for region in sorted(regions, key=lambda r: r.value):
            if region.point is not None and region.value < float(best.value) - 1e-9:
                best.improve(instance, region, region.point, deadline)
        pending = list(regions)
        refuted = 0
        while pending:
            region = pending.pop()
            status, point = region.below(best.value, remaining(deadline))
            if status == "sat" and region.loss_at(point) >= best.value:  # type: ignore[arg-type]
                if best.improve(instance, region, region.descend(rng, point), deadline):  # type: ignore[arg-type]
                    pending.append(region)
                    continue
                status, point = region.below(best.value, remaining(deadline), exact=True)
            if status == "unsat":
                refuted += 1
                bar.show(refuted)
            elif status == "sat":
                near = region.descend(rng, point)  # type: ignore[arg-type]
                if not (best.improve(instance, region, near, deadline) or best.from_limit(region, near)
                        or best.from_cad(instance, region, deadline)):
                    return Optimum(instance.name, "unknown", method="nlsat", rests_on=[
                        f"piece {describe(region.piece)} has losses below {best.value}, but neither a critical "
                        "point nor the CAD gave its exact infimum"])
                pending.append(region)
            else:
                return Optimum(instance.name, "unknown", method="nlsat",
                               rests_on=[f"nlsat gave no answer on piece {describe(region.piece)} "
                                         f"(loss ≤ {best.value} is attained)"])
        if best.network is None and not best.attain(instance, regions, deadline):
            return Optimum(instance.name, "unknown", method="nlsat",
                           rests_on=[f"infimum {best.value}; nlsat gave no answer on whether a piece attains it"])
    except Timeout:
        return Optimum(instance.name, "unknown", method="nlsat",
                       rests_on=[f"time limit (loss {best.value} is reached)" if best.network else "time limit"])
    rests = [f"least-squares output layer; {len(regions)} piece(s) (chart × closed dichotomy per neuron, widths "
             f"1..{instance.shape.hidden}), on each nlsat refutes a loss below {_short(best.value)} ({refuted} refutations); "
             "rank drops are covered by smaller widths"]
    if best.network is None:
        return Optimum(instance.name, "not attained", best.value, method="nlsat",
                       rests_on=rests + [f"infimum from {best.where}; nlsat refutes loss = infimum on every "
                                         "piece, and the constant network does not reach it: not attained"])
    return Optimum(instance.name, "optimal", best.value, best.network, "nlsat", rests + [f"attained on {best.where}"])


@dataclass
class _Best:
    """The least loss known: attained by `network`, or an infimum (network None)."""

    value: Number
    network: Network | None
    where: str

    def improve(self, instance: Instance, region: Region, near: np.ndarray, deadline: Deadline) -> bool:
        """The exact critical point next to the float minimiser `near`: True if its network lowers
        the best, or if it proves a box of the region where N/D ≥ the best (`Region.exclude`)."""
        point = region.critical_point(near, remaining(deadline))
        if point is None:
            return False
        network = region.piece.network(point, instance.shape.hidden)
        value = loss(instance, network)
        if value >= self.value:
            return region.exclude(point, self.value, near)
        self.value, self.network, self.where = value, network, f"piece {describe(region.piece)}"
        return True

    def from_limit(self, region: Region, near: np.ndarray) -> bool:
        """A directional limit at a rank drop next to the float minimiser; True if lower."""
        value = region.limit(near)
        if value is None or value >= self.value:
            return False
        self.value, self.network = value, None
        self.where = f"piece {describe(region.piece)} (limit where D → 0)"
        return True

    def from_cad(self, instance: Instance, region: Region, deadline: Deadline) -> bool:
        """The piece's exact infimum by the CAD, when the critical-point step fails; True if
        it lowers the best."""
        found = region.infimum(remaining(deadline))
        if found is None or found[0] >= self.value:
            return False
        value, attained = found
        network = optimal_network(instance, region.piece, value, deadline) if attained else None
        self.value, self.network = value, network
        self.where = f"piece {describe(region.piece)} (CAD projection)"
        return True

    def attain(self, instance: Instance, regions: list[Region], deadline: Deadline) -> bool:
        """An infimum from an open end may still be attained on another piece: look for loss
        = value on every piece (nlsat); False if some piece gave no answer."""
        if constant_loss(instance) == self.value:
            self.network, self.where = constant_network(instance), "the constant network"
            return True
        for region in regions:
            t = region.ctx.gens()[-1]
            answer = Z3Backend().check(region.system(Atom(region.numerator - t * region.denominator, "="),
                                                     *pin(t, self.value)), remaining(deadline))
            if answer.status == "sat":
                point = {n: answer.point[n] for n in region.piece.names}  # type: ignore[index]
                self.network = region.piece.network(point, instance.shape.hidden)
                self.where = f"piece {describe(region.piece)}"
                return True
            if answer.status != "sat" and answer.status != "unsat":
                return False
        return True


def optimal_network(instance: Instance, piece: Piece, value: Number, deadline: Deadline) -> Network:
    """A network with loss `value` on the piece: a CAD cell of the piece's system with t
    pinned to the value, preferring rational samples; output layer by exact least squares."""
    system = piece.loss_system()
    assert system is not None
    t = system.ctx.gens()[-1]
    found = cells(System(system.ctx, And((system.formula, *pin(t, value)))), [LOSS, *piece.names],
                  remaining(deadline))
    best = min(found, key=lambda c: sum(not isinstance(v, Fraction) for v in c.sample.values()))
    return piece.network(best.sample, instance.shape.hidden)


def _short(value: Number) -> str:
    return str(value) if isinstance(value, Fraction) else value.approx(9)


def pin(t: flint.fmpq_mpoly, value: Number) -> list[Atom]:
    """Atoms that hold exactly at t = value (minimal polynomial and isolating interval)."""
    if isinstance(value, Fraction):
        return [Atom(t - to_fmpq(value), "=")]
    assert isinstance(value, RealAlgebraic)
    lo, hi = value.interval
    poly = sum((t ** e * c for e, c in enumerate(value.coeffs)), t * 0)
    return [Atom(poly, "="), Atom(t - to_fmpq(lo), ">="), Atom(t - to_fmpq(hi), "<=")]


def describe(piece: Piece) -> str:
    """Per neuron: the sign of its first nonzero input weight and its active data points."""
    return "; ".join(f"w_{p + 1} {'>' if s > 0 else '<'} 0 active on points {{{', '.join(str(i + 1) for i in sorted(a))}}}"
                     for (p, s), a in piece.options)


def _lowest(p: flint.fmpq_mpoly) -> tuple[int, flint.fmpq_poly] | None:
    """(e, c(σ)): the lowest power s^e of p(s, σ) with its coefficient; None for p = 0."""
    if p.is_zero():
        return None
    e = min(exps[0] for exps, _ in p.terms())
    coeffs: dict[int, flint.fmpq] = {}
    for exps, c in p.terms():
        if exps[0] == e:
            coeffs[exps[1]] = c
    return e, flint.fmpq_poly([coeffs.get(i, 0) for i in range(max(coeffs) + 1)])


def _cone(rows: list[tuple[tuple[int, flint.fmpq_poly] | None, str]]) -> tuple[Fraction | None, Fraction | None] | None:
    """The σ-interval where every active constraint's first-order term s·(a + b·σ) has its sign."""
    lo: Fraction | None = None
    hi: Fraction | None = None
    for lowest, rel in rows:
        if lowest is None:
            continue
        poly = lowest[1] if rel == ">=" else -lowest[1]
        a, b = Fraction(str(poly[0])), Fraction(str(poly[1])) if poly.degree() >= 1 else Fraction(0)
        if b == 0:
            if a < 0:
                return None
        elif b > 0:
            lo = -a / b if lo is None else max(lo, -a / b)
        else:
            hi = -a / b if hi is None else min(hi, -a / b)
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def _candidates(top: flint.fmpq_poly, bottom: flint.fmpq_poly, lo: Fraction | None,
                hi: Fraction | None) -> list[Number]:
    """Values of top/bottom at its critical points and finite ends in [lo, hi], where bottom > 0."""
    derivative = top.derivative() * bottom - top * bottom.derivative()
    points: list[Number] = [x for x in (lo, hi) if x is not None]
    if not derivative.is_zero():
        points += [x for x in real_roots([Fraction(int(c.p), int(c.q)) for c in derivative.coeffs()])
                   if (lo is None or x >= lo) and (hi is None or x <= hi)]
    elif lo is None and hi is None:
        points.append(Fraction(0))
    out = []
    for x in points:
        b = _horner(bottom, x)
        if b > 0:
            out.append(_horner(top, x) / b)
    return out


def _horner(p: flint.fmpq_poly, x: Number) -> Number:
    total: Number = Fraction(0)
    for c in reversed(p.coeffs()):
        total = total * x + Fraction(int(c.p), int(c.q))
    return total


def _linear(p: flint.fmpq_mpoly, r: int) -> np.ndarray:
    """Coefficients (of the first r variables, then the constant) of a linear polynomial."""
    out = np.zeros(r + 1)
    for exps, c in p.terms():
        out[exps.index(1) if any(exps) else r] = float(c)
    return out


def _rational(x: float) -> flint.fmpq:
    return to_fmpq(Fraction(x).limit_denominator(10 ** 12))


def remaining(deadline: Deadline) -> float | None:
    """Seconds left before the deadline (None: no deadline); raises Timeout past it."""
    if deadline.passed():
        raise Timeout
    return deadline.left()
